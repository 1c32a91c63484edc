import { UserMinus } from "lucide-react";
import { toast } from "sonner";
import { confirm } from "@/components/confirm-dialog";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Skeleton } from "@/components/ui/skeleton";
import { useRemoveMember, visibilityLabel } from "@/features/rooms/api/rooms";
import { displayNameOf, useUserById } from "@/features/users/api/users";
import { UserAvatar } from "@/features/users/components/user-avatar";
import { errorMessage } from "@/lib/api-client";
import type { PresenceEntry } from "@/types/api";
import { presenceDot } from "../lib/presence";
import { useRoomCtx, useRoomSnap } from "./room-context";

const STATUS = { active: "Active", idle: "Idle", locked: "Away (screen locked)" } as const;

function MemberRow({ entry }: { entry: PresenceEntry }) {
  const { room, me, actions } = useRoomCtx();
  const user = useUserById(entry.userId);
  const remove = useRemoveMember(room.id);
  const dot = presenceDot(entry);
  const isMe = entry.userId === me.id;
  const canRemove = room.role === "owner" && !isMe && entry.userId !== room.ownerId;
  return (
    <li className="flex items-center gap-3 rounded-md p-2 hover:bg-accent/40" data-testid="member">
      <UserAvatar user={user.data} userId={entry.userId} presence={dot} />
      <div className="min-w-0 flex-1">
        {user.isPending ? (
          <Skeleton className="h-4 w-24" />
        ) : (
          <button type="button" className="block max-w-full truncate text-left text-sm font-medium hover:underline" onClick={() => !isMe && actions.mention(entry.userId)} disabled={isMe}>
            {displayNameOf(user.data, entry.userId)}
            {isMe && <span className="text-muted-foreground"> (you)</span>}
            {entry.userId === room.ownerId && <span className="ml-1 text-xs text-muted-foreground">owner</span>}
          </button>
        )}
        <div className="text-xs text-muted-foreground" data-testid="member-status">
          {dot ? STATUS[dot] : "Offline"}
          {entry.connections > 1 && ` · ${entry.connections} tabs`}
        </div>
      </div>
      {canRemove && (
        <Button
          variant="ghost"
          size="icon-sm"
          aria-label={`Remove ${displayNameOf(user.data, entry.userId)} from the room`}
          onClick={() =>
            void confirm({
              title: "Remove member?",
              description: `${displayNameOf(user.data, entry.userId)} will lose access to this room.`,
              confirmText: "Remove",
              destructive: true,
              action: () =>
                remove.mutateAsync(entry.userId).then(
                  () => toast.success("Member removed"),
                  (e) => {
                    toast.error(errorMessage(e));
                    throw e;
                  },
                ),
            })
          }
        >
          <UserMinus />
        </Button>
      )}
    </li>
  );
}

export function MemberDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const { room } = useRoomCtx();
  const snap = useRoomSnap();
  const online = [...snap.presence.values()];
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent data-testid="member-dialog">
        <DialogHeader>
          <DialogTitle className="flex items-center gap-2">
            <span className="truncate">{room.name}</span>
            <Badge variant="secondary">{visibilityLabel[room.visibility]}</Badge>
          </DialogTitle>
          <DialogDescription>
            {online.length} {online.length === 1 ? "person" : "people"} online
          </DialogDescription>
        </DialogHeader>
        <ul className="-mx-2 grid max-h-[60dvh] gap-0.5 overflow-y-auto">
          {online.map((e) => (
            <MemberRow key={e.userId} entry={e} />
          ))}
        </ul>
      </DialogContent>
    </Dialog>
  );
}
