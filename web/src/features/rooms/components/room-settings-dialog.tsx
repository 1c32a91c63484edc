import { Check, Copy, Link2, Trash2 } from "lucide-react";
import { useState } from "react";
import { useLocation, useNavigate } from "react-router";
import { toast } from "sonner";
import { confirm } from "@/components/confirm-dialog";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Skeleton } from "@/components/ui/skeleton";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage } from "@/lib/api-client";
import { cn } from "@/lib/utils";
import type { Room, Visibility } from "@/types/api";
import { inviteLink, useCreateInvite, useDeleteRoom, useRoom, useUpdateRoom } from "../api/rooms";
import { roomSettingsDialog } from "../lib/dialogs";

export function RoomSettingsDialog() {
  const { roomId } = roomSettingsDialog.useValue();
  const room = useRoom(roomId ?? undefined);
  return (
    <Dialog open={roomId !== null} onOpenChange={(o) => !o && roomSettingsDialog.set({ roomId: null })}>
      <DialogContent data-testid="room-settings">
        <DialogHeader>
          <DialogTitle>Room settings</DialogTitle>
          <DialogDescription className="truncate">{room.data?.name ?? "…"}</DialogDescription>
        </DialogHeader>
        {room.data ? <RoomSettingsBody key={room.data.id} room={room.data} /> : <Skeleton className="h-48" />}
      </DialogContent>
    </Dialog>
  );
}

const VIS: { value: Visibility; label: string; text: string }[] = [
  { value: "private", label: "Private", text: "Members only; join with an invite link." },
  { value: "unlisted", label: "Unlisted", text: "Anyone with the room link can join." },
  { value: "public", label: "Public", text: "Shown in public room discovery." },
];

function RoomSettingsBody({ room }: { room: Room }) {
  const [name, setName] = useState(room.name);
  const update = useUpdateRoom(room.id);
  const del = useDeleteRoom();
  const invite = useCreateInvite(room.id);
  const [link, setLink] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const navigate = useNavigate();
  const location = useLocation();

  const rename = (e: React.FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (!n || n === room.name) return;
    update.mutate({ name: n }, { onSuccess: () => toast.success("Room renamed"), onError: (err) => toast.error(errorMessage(err)) });
  };

  const setVisibility = async (v: Visibility) => {
    if (v === room.visibility) return;
    if (v === "public") {
      const ok = await confirm({
        title: "Make this room public?",
        description: "Anyone signed in will be able to find this room, enter it, and read its existing message history.",
        confirmText: "Make public",
      });
      if (!ok) return;
    }
    update.mutate(
      { visibility: v },
      {
        onSuccess: () => toast.success(`Room is now ${v}`),
        onError: (err) => toast.error(errorMessage(err)),
      },
    );
  };

  const makeInvite = () =>
    invite.mutate(undefined, {
      onSuccess: (r) => setLink(inviteLink(r)),
      onError: (err) => toast.error(errorMessage(err)),
    });

  const copy = async () => {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      toast.error("Could not copy; select the link and copy it by hand.");
    }
  };

  const remove = () =>
    confirm({
      title: "Delete room",
      description: `Delete "${room.name}" and its whole message history? This cannot be undone.`,
      confirmText: "Delete",
      destructive: true,
      action: () =>
        del.mutateAsync(room.id).then(
          () => {
            toast.success("Room deleted");
            roomSettingsDialog.set({ roomId: null });
            if (location.pathname.startsWith(`/rooms/${room.id}`)) void navigate("/");
          },
          (err) => {
            toast.error(errorMessage(err));
            throw err;
          },
        ),
    });

  return (
    <div className="grid gap-6">
      <form onSubmit={rename} className="grid gap-2">
        <Label htmlFor="rename">Name</Label>
        <div className="flex gap-2">
          <Input id="rename" value={name} maxLength={64} onChange={(e) => setName(e.target.value)} />
          <Button type="submit" variant="secondary" disabled={update.isPending || !name.trim() || name.trim() === room.name}>
            Rename
          </Button>
        </div>
      </form>

      <div className="grid gap-2">
        <span className="text-sm font-medium">Visibility</span>
        <div className="grid gap-2" role="radiogroup" aria-label="Visibility">
          {VIS.map((v) => (
            <button
              key={v.value}
              type="button"
              role="radio"
              aria-checked={room.visibility === v.value}
              disabled={update.isPending}
              onClick={() => void setVisibility(v.value)}
              className={cn(
                "flex items-start gap-3 rounded-md border p-3 text-left text-sm transition-colors hover:bg-accent/50 disabled:opacity-60",
                room.visibility === v.value && "border-primary bg-primary/5",
              )}
            >
              <span className={cn("mt-1 size-3 shrink-0 rounded-full border", room.visibility === v.value && "border-primary bg-primary")} />
              <span>
                <span className="font-medium">{v.label}</span>
                <span className="block text-muted-foreground">{v.text}</span>
              </span>
            </button>
          ))}
        </div>
      </div>

      {room.visibility === "private" && (
        <div className="grid gap-2">
          <span className="text-sm font-medium">Invite link</span>
          {link ? (
            <div className="flex gap-2">
              <Input readOnly value={link} onFocus={(e) => e.currentTarget.select()} data-testid="invite-link" />
              <Button type="button" variant="secondary" size="icon" onClick={() => void copy()} aria-label="Copy invite link">
                {copied ? <Check /> : <Copy />}
              </Button>
            </div>
          ) : (
            <Button type="button" variant="outline" onClick={makeInvite} disabled={invite.isPending} className="justify-start">
              {invite.isPending ? <Spinner /> : <Link2 />}
              Create invite link
            </Button>
          )}
        </div>
      )}

      <div className="flex items-center justify-between gap-4 rounded-md border border-destructive/40 p-3">
        <div className="text-sm">
          <div className="font-medium">Delete room</div>
          <div className="text-muted-foreground">Permanently delete this room and its message history.</div>
        </div>
        <Button type="button" variant="destructive" size="sm" onClick={() => void remove()}>
          {del.isPending ? <Spinner /> : <Trash2 />}
          Delete
        </Button>
      </div>
    </div>
  );
}
