import { memo, useId, useLayoutEffect, useRef, useState, useSyncExternalStore } from "react";
import { toast } from "sonner";
import { AlertCircle, Clock, Copy, Pencil, Reply, RotateCw, Sticker, Trash2, X } from "lucide-react";
import { saveSticker } from "@/features/stickers/api/stickers";
import { copyImage } from "@/features/uploads/api/copy-image";
import { useUserById, displayNameOf } from "@/features/users/api/users";
import { Button } from "@/components/ui/button";
import { ContextMenu, ContextMenuContent, ContextMenuItem, ContextMenuSeparator, ContextMenuTrigger } from "@/components/ui/context-menu";
import { formatAbsolute, formatClock } from "@/lib/time-format";
import { cn } from "@/lib/utils";
import type { Message, ReplyRef } from "@/types/api";
import { awaitingUpload, type PendingMessage } from "../lib/chat-state";
import { isEmojiOnly } from "../lib/emoji";
import { singleUrl } from "../lib/linkify";
import { LinkCard } from "./link-card";
import { PendingImages, StoredImages } from "./message-images";
import { MessageText } from "./message-text";
import { useConnectionStatus, useRoomCtx, useRovingFocus } from "./room-context";

export type Row = {
  key: string;
  createdAt: number;
  authorKind: "user" | "system" | "bot";
  authorId?: string;
  message?: Message;
  pending?: PendingMessage;
};

function Quote({ reply, mine, onJump }: { reply: ReplyRef; mine: boolean; onJump: () => void }) {
  const author = useUserById(reply.authorId);
  return (
    <button
      type="button"
      onClick={onJump}
      className={cn(
        "mb-1 flex max-w-full min-w-0 items-baseline gap-1.5 rounded-md border-l-2 px-2 py-1 text-left text-xs",
        mine ? "border-white/70 bg-black/10 text-white hover:bg-black/15" : "border-primary bg-background/40 text-muted-foreground hover:bg-background/60",
      )}
      title="Jump to the original message"
      data-testid="reply-quote"
    >
      <span className="shrink-0 font-medium">{displayNameOf(author.data, reply.authorId)}</span>
      <span className="truncate">{reply.snippet || (reply.kind === "image" ? "🖼️ Image" : "…")}</span>
    </button>
  );
}

/** Copies the selected part of the message, or all of it; says so (toasts are announced). */
function copyText(m: Message, el: HTMLElement | null) {
  const sel = window.getSelection();
  const selected = sel && !sel.isCollapsed && el && el.contains(sel.anchorNode) && el.contains(sel.focusNode) ? sel.toString() : "";
  if (!navigator.clipboard) {
    toast.error("Copying is not available here.");
    return;
  }
  navigator.clipboard.writeText(selected || m.text || "").then(
    () => toast.success("Message copied"),
    () => toast.error("Could not copy the message."),
  );
}

/**
 * Reply, copy, edit and delete: shown while the row is hovered or has the keyboard focus, so Tab
 * from a focused message reaches them (a touch screen also has the long-press menu). When they go away with the focus inside (the message was
 * deleted), the focus goes back to the message row instead of being lost.
 */
function MessageActions({ m, mine, canEdit, canDelete, authorName }: { m: Message; mine: boolean; canEdit: boolean; canDelete: boolean; authorName: string }) {
  const { actions } = useRoomCtx();
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    return () => {
      if (el && el.contains(el.ownerDocument.activeElement)) el.closest<HTMLElement>('[data-testid="message"]')?.focus();
    };
  }, []);
  const who = mine ? "your message" : `${authorName}'s message`;
  return (
    <div
      ref={ref}
      className={cn(
        // focus on the row or in it, or a hover (focus-visible variants were tried: in
        // Chromium, Tab from the row into the bar then lost the focus to the page)
        "absolute top-0 z-10 hidden group-focus-within/msg:block [@media(hover:hover)]:group-hover/msg:block",
        mine ? "right-full pr-1.5" : "left-full pl-1.5",
      )}
      data-testid="message-actions"
    >
      <div role="group" aria-label={`Actions for ${who}`} className={cn("flex items-center gap-0.5 rounded-md border bg-popover p-0.5 shadow-sm", mine && "flex-row-reverse")}>
        <span className="px-1 text-[11px] whitespace-nowrap text-muted-foreground" title={formatAbsolute(m.createdAt)} aria-hidden="true">
          {formatClock(m.createdAt)}
        </span>
        <Button variant="ghost" size="icon-sm" className="size-7" aria-label="Reply" title="Reply" onClick={() => actions.reply(m)}>
          <Reply className="size-3.5" />
        </Button>
        {m.kind === "text" && (
          <Button variant="ghost" size="icon-sm" className="size-7" aria-label="Copy" title="Copy" onClick={() => copyText(m, document.getElementById(`msg-${m.seq}`))}>
            <Copy className="size-3.5" />
          </Button>
        )}
        {canEdit && (
          <Button variant="ghost" size="icon-sm" className="size-7" aria-label="Edit" title="Edit" onClick={() => actions.edit(m)}>
            <Pencil className="size-3.5" />
          </Button>
        )}
        {canDelete && (
          <Button variant="ghost" size="icon-sm" className="size-7 text-destructive" aria-label="Delete" title="Delete" onClick={() => actions.remove(m)}>
            <Trash2 className="size-3.5" />
          </Button>
        )}
      </div>
    </div>
  );
}

function PendingLabel({ p }: { p: PendingMessage }) {
  const status = useConnectionStatus();
  const text = awaitingUpload(p) ? "Uploading…" : p.after ? "Waiting for the images…" : status === "open" ? "Sending…" : "Waiting for connection";
  return (
    <span className="flex items-center gap-1" data-testid="pending-state">
      <Clock className="size-3" />
      {text}
    </span>
  );
}

/** The image under a right-click or a long press, if any (tiles carry data-image-key). */
const imageKeyAt = (target: EventTarget) => (target instanceof Element ? (target.closest<HTMLElement>("[data-image-key]")?.dataset.imageKey ?? null) : null);

export const MessageItem = memo(function MessageItem({
  row,
  mine,
  first,
  last,
  authorName,
}: {
  row: Row;
  mine: boolean;
  first: boolean;
  last: boolean;
  /** Who wrote it, as a screen reader says it ("You" for mine). */
  authorName: string;
}) {
  const { actions, names, me, room, session } = useRoomCtx();
  const roving = useRovingFocus();
  // Which image the context menu is for (null: the message itself).
  const [menuImage, setMenuImage] = useState<string | null>(null);
  const tabbable = useSyncExternalStore(roving.subscribe, () => roving.tabbable === row.key);
  const labelId = useId();
  const bodyId = useId();
  const m = row.message;
  const p = row.pending;
  const text = m ? m.text : p?.text;
  const replyTo = m?.replyTo ?? p?.replyTo;
  const deleted = !!m?.deleted;
  const emoji = !deleted && isEmojiOnly(text);
  const canDelete = !!m && !deleted && (mine || room.role === "owner");
  const canEdit = !!m && !deleted && mine && m.kind === "text";
  const image = !deleted && (m ?? p)?.kind === "image";
  const linkUrl = m && !deleted && m.kind === "text" ? singleUrl(text) : null;
  const state = deleted ? "deleted" : p?.error ? "not sent" : p && awaitingUpload(p) ? "uploading" : p ? "sending" : m?.editedAt ? "edited" : "";
  const label = [authorName, formatClock(row.createdAt), replyTo && !deleted ? "reply" : "", state].filter(Boolean).join(", ");

  const radius = mine
    ? cn("rounded-2xl", !first && "rounded-tr-md", !last && "rounded-br-md")
    : cn("rounded-2xl", !first && "rounded-tl-md", !last && "rounded-bl-md");

  const bubble = (
    <div
      className={cn(
        "relative flex max-w-[min(36rem,85%)] flex-col",
        mine ? "items-end self-end" : "items-start self-start",
      )}
    >
      <div
        className={cn(
          "relative min-w-0 max-w-full text-[0.9375rem] leading-relaxed select-text",
          emoji ? "px-1" : cn(image ? "p-1" : "px-3 py-1.5", radius, mine ? "bg-bubble-mine text-bubble-mine-foreground" : "bg-bubble"),
          deleted && "bg-transparent italic text-muted-foreground ring-1 ring-border",
          p && !p.error && "opacity-70",
          p?.error && "ring-2 ring-destructive",
        )}
        data-testid="bubble"
        id={bodyId}
      >
        {replyTo && !deleted && <Quote reply={replyTo} mine={mine && !emoji} onJump={() => actions.jumpTo(replyTo.seq)} />}
        {deleted ? (
          <span data-testid="deleted">This message was deleted</span>
        ) : m?.kind === "image" ? (
          <StoredImages message={m} authorName={authorName} />
        ) : p?.kind === "image" ? (
          <PendingImages pending={p} />
        ) : linkUrl ? (
          <LinkCard url={linkUrl} fallback={<MessageText text={text ?? ""} names={names} myName={me.displayName} mine={mine} />} />
        ) : (
          <MessageText text={text ?? ""} names={names} myName={me.displayName} mine={mine && !emoji} />
        )}
      </div>
      {(last && !p?.error) || (p && !p.error) || m?.editedAt ? (
        <div className="flex h-4 items-center gap-1.5 px-1 text-[11px] text-muted-foreground">
          {m?.editedAt && !deleted && <span>edited</span>}
          {p && !p.error && <PendingLabel p={p} />}
          {m && (
            <time dateTime={new Date(row.createdAt).toISOString()} title={formatAbsolute(row.createdAt)}>
              {formatClock(row.createdAt)}
            </time>
          )}
        </div>
      ) : null}
      {p?.error && (
        <div className="flex flex-wrap items-center gap-1 pt-0.5 text-xs text-destructive" data-testid="failed-state">
          <AlertCircle className="size-3.5" />
          <span>Not sent: {p.error.message || p.error.code}</span>
          <Button size="sm" variant="ghost" className="h-6 px-2 text-xs" onClick={() => session.retry(p.clientId)}>
            <RotateCw className="size-3" />
            Retry
          </Button>
          <Button size="sm" variant="ghost" className="h-6 px-2 text-xs" onClick={() => session.discard(p.clientId)}>
            <X className="size-3" />
            Discard
          </Button>
        </div>
      )}
      {m && !deleted && <MessageActions m={m} mine={mine} canEdit={canEdit} canDelete={canDelete} authorName={authorName} />}
    </div>
  );

  const rowProps = {
    "data-testid": "message",
    "data-seq": m?.seq,
    "data-client-id": p?.clientId ?? m?.clientId,
    "data-mine": mine ? "true" : "false",
    "data-row-key": row.key,
    id: m ? `msg-${m.seq}` : undefined,
    // One row of the list is in the Tab order (roving tabindex); the arrow keys move between rows.
    role: "article",
    tabIndex: tabbable ? 0 : -1,
    "aria-labelledby": `${labelId} ${bodyId}`,
    className: cn(
      "group/msg flex w-full flex-col rounded-md outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50",
      mine ? "items-end" : "items-start",
    ),
  };
  const content = (
    <>
      <span id={labelId} className="sr-only">
        {label}
      </span>
      {bubble}
    </>
  );

  // One element tree for every state of the row (sending, sent, deleted): a row that changes state
  // keeps its DOM element, and with it the keyboard focus. The menu is off when it has nothing.
  const menu = !!m && !deleted;
  return (
    <ContextMenu>
      <ContextMenuTrigger
        asChild
        disabled={!menu}
        // Runs before Radix opens the menu (a right-click, the menu key, or a long press on touch).
        onContextMenu={(e) => setMenuImage(imageKeyAt(e.target))}
        onPointerDown={(e) => e.pointerType !== "mouse" && setMenuImage(imageKeyAt(e.target))}
      >
        <div {...rowProps}>{content}</div>
      </ContextMenuTrigger>
      {menu && (
        <ContextMenuContent className="w-48">
          <ContextMenuItem onSelect={() => actions.reply(m)}>
            <Reply />
            Reply
          </ContextMenuItem>
          {menuImage && (
            <>
              <ContextMenuItem onSelect={() => void copyImage(menuImage)}>
                <Copy />
                Copy image
              </ContextMenuItem>
              <ContextMenuItem onSelect={() => void saveSticker(menuImage)}>
                <Sticker />
                Save to stickers
              </ContextMenuItem>
            </>
          )}
          {m.kind === "text" && (
            <ContextMenuItem onSelect={() => copyText(m, document.getElementById(`msg-${m.seq}`))}>
              <Copy />
              Copy
            </ContextMenuItem>
          )}
          {(mine || canDelete) && <ContextMenuSeparator />}
          {canEdit && (
            <ContextMenuItem onSelect={() => actions.edit(m)}>
              <Pencil />
              Edit
            </ContextMenuItem>
          )}
          {canDelete && (
            <ContextMenuItem variant="destructive" onSelect={() => actions.remove(m)}>
              <Trash2 />
              Delete
            </ContextMenuItem>
          )}
        </ContextMenuContent>
      )}
    </ContextMenu>
  );
});
