// One app-wide confirmation dialog: `await confirm({...})` resolves true when confirmed.
import { useRef, useState, useSyncExternalStore } from "react";
import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
} from "@/components/ui/alert-dialog";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";

export type ConfirmOptions = {
  title?: string;
  description?: React.ReactNode;
  confirmText?: string;
  cancelText?: string;
  destructive?: boolean;
  /** Runs while the dialog shows a spinner; the dialog closes when it settles. */
  action?: () => Promise<unknown>;
  /**
   * Where the keyboard focus goes on close when the element that opened the dialog is gone or
   * hidden (a message's Delete button): by default it would be lost to the page's body.
   */
  restoreFocus?: () => HTMLElement | null;
};

type Current = ConfirmOptions & { resolve: (ok: boolean) => void; opener: Element | null };

let current: Current | null = null;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

export function confirm(options: ConfirmOptions): Promise<boolean> {
  current?.resolve(false);
  return new Promise((resolve) => {
    current = { ...options, resolve, opener: document.activeElement };
    emit();
  });
}

function close(ok: boolean) {
  current?.resolve(ok);
  current = null;
  emit();
}

export function ConfirmDialogHost() {
  const c = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
  const [pending, setPending] = useState(false);
  // The open dialog's focus return, kept past close (the options are gone by then).
  const closing = useRef<Pick<Current, "opener" | "restoreFocus"> | null>(null);

  const onConfirm = async () => {
    if (!c) return;
    if (c.action) {
      setPending(true);
      try {
        await c.action();
        close(true);
      } catch {
        close(false);
      } finally {
        setPending(false);
      }
    } else {
      close(true);
    }
  };

  return (
    <AlertDialog open={c !== null} onOpenChange={(open) => !open && !pending && close(false)}>
      <AlertDialogContent
        onOpenAutoFocus={() => {
          closing.current = c && { opener: c.opener, restoreFocus: c.restoreFocus };
        }}
        onCloseAutoFocus={(e) => {
          const r = closing.current;
          closing.current = null;
          if (!r?.restoreFocus) return;
          // The opener may be gone, or hidden until its container has the focus (a message's
          // actions): focus the container first, then the opener if it is still there.
          e.preventDefault();
          r.restoreFocus()?.focus();
          if (r.opener instanceof HTMLElement && r.opener.isConnected) r.opener.focus();
        }}
      >
        <AlertDialogHeader>
          <AlertDialogTitle>{c?.title ?? "Are you sure?"}</AlertDialogTitle>
          {c?.description && <AlertDialogDescription>{c.description}</AlertDialogDescription>}
        </AlertDialogHeader>
        <AlertDialogFooter>
          <AlertDialogCancel disabled={pending}>{c?.cancelText ?? "Cancel"}</AlertDialogCancel>
          <Button variant={c?.destructive ? "destructive" : "default"} onClick={() => void onConfirm()} disabled={pending} data-testid="confirm-action">
            {pending && <Spinner />}
            {c?.confirmText ?? "Confirm"}
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
