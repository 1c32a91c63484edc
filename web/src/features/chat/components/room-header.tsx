import { Globe, Hash, Heart, Link as LinkIcon, Lock, MoreVertical, PhoneCall, PictureInPicture2, Search, Settings, Share2, Users } from "lucide-react";
import { toast } from "sonner";
import { SidebarTrigger } from "@/components/layouts/sidebar-context";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { WithTooltip } from "@/components/ui/tooltip";
import { useSetFavorite, visibilityLabel } from "@/features/rooms/api/rooms";
import { openRoomSettings } from "@/features/rooms/lib/dialogs";
import { errorMessage } from "@/lib/api-client";
import { cn } from "@/lib/utils";
import type { ConnectionStatus } from "@/lib/ws-client";
import { useRoomCtx, useRoomSnap } from "./room-context";

const STATUS_TEXT: Partial<Record<ConnectionStatus, string>> = {
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  closed: "Disconnected",
};

export function RoomHeader({
  onMembers,
  onSearch,
  onPip,
  inPip,
}: {
  onMembers: () => void;
  onSearch: () => void;
  onPip?: () => void;
  inPip: boolean;
}) {
  const { room } = useRoomCtx();
  const snap = useRoomSnap();
  const fav = useSetFavorite();
  const online = snap.presence.size;
  const inCall = snap.call.participants.length;
  const owner = room.role === "owner";
  const canShare = typeof navigator !== "undefined" && "share" in navigator;
  const status = snap.status === "open" ? null : STATUS_TEXT[snap.status];
  const VisIcon = room.visibility === "private" ? Lock : room.visibility === "public" ? Globe : Hash;

  const toggleFavorite = () =>
    fav.mutate(
      { room, favorite: !room.isFavorite },
      {
        onSuccess: (_r, v) => toast.success(v.favorite ? "Added to favorites" : "Removed from favorites"),
        onError: (e) => toast.error(errorMessage(e)),
      },
    );

  const share = async () => {
    const url = `${location.origin}/rooms/${room.id}`;
    if (canShare) {
      try {
        await navigator.share({ title: `${room.name} · roomchat`, url });
        return;
      } catch {
        /* cancelled: fall back to copying */
      }
    }
    try {
      await navigator.clipboard.writeText(url);
      toast.success("Room link copied");
    } catch {
      toast.error("Could not copy the link");
    }
  };

  return (
    <header className="flex h-14 shrink-0 items-center gap-1 border-b bg-background/80 px-2 backdrop-blur md:px-4" data-testid="room-header">
      {!inPip && <SidebarTrigger />}
      <div className="flex min-w-0 flex-1 items-center gap-2 pl-1">
        <VisIcon className="size-4 shrink-0 text-muted-foreground" aria-label={visibilityLabel[room.visibility]} />
        <h1 className="truncate font-semibold" data-testid="room-title">
          {room.name}
        </h1>
        {status && (
          <span
            className={cn("shrink-0 rounded-full px-2 py-0.5 text-[11px] font-medium", snap.status === "offline" ? "bg-destructive/15 text-destructive" : "bg-amber-500/15 text-amber-500")}
            data-testid="connection-status"
          >
            {status}
          </span>
        )}
        {inCall > 0 && (
          <span className="flex shrink-0 items-center gap-1 rounded-full bg-emerald-500/15 px-2 py-0.5 text-[11px] font-medium text-emerald-500" title="A call is in progress" data-testid="call-indicator">
            <PhoneCall className="size-3" />
            {inCall}
          </span>
        )}
      </div>

      <div className="hidden items-center gap-0.5 sm:flex">
        <WithTooltip label="Search in room">
          <Button variant="ghost" size="icon-sm" onClick={onSearch} aria-label="Search in room" data-testid="open-search">
            <Search />
          </Button>
        </WithTooltip>
        <WithTooltip label={room.isFavorite ? "Remove from favorites" : "Add to favorites"}>
          <Button variant="ghost" size="icon-sm" onClick={toggleFavorite} disabled={fav.isPending} aria-pressed={room.isFavorite} aria-label="Favorite" data-testid="favorite">
            <Heart className={cn(room.isFavorite && "fill-rose-500 text-rose-500")} />
          </Button>
        </WithTooltip>
        {onPip && !inPip && (
          <WithTooltip label="Pop out (picture-in-picture)">
            <Button variant="ghost" size="icon-sm" onClick={onPip} aria-label="Pop out">
              <PictureInPicture2 />
            </Button>
          </WithTooltip>
        )}
        {!inPip && (
          <WithTooltip label={canShare ? "Share" : "Copy room link"}>
            <Button variant="ghost" size="icon-sm" onClick={() => void share()} aria-label={canShare ? "Share" : "Copy room link"}>
              {canShare ? <Share2 /> : <LinkIcon />}
            </Button>
          </WithTooltip>
        )}
        {owner && !inPip && (
          <WithTooltip label="Room settings">
            <Button variant="ghost" size="icon-sm" onClick={() => openRoomSettings(room.id)} aria-label="Room settings" data-testid="room-settings-button">
              <Settings />
            </Button>
          </WithTooltip>
        )}
      </div>

      <Button variant="ghost" size="sm" className="h-8 gap-1.5 rounded-full px-2.5" onClick={onMembers} aria-label={`${online} online, show members`} data-testid="members-button">
        <span className="size-2 rounded-full bg-emerald-500" />
        <Users className="size-4" />
        <span className="tabular-nums" data-testid="online-count">
          {online}
        </span>
      </Button>

      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button variant="ghost" size="icon-sm" className="sm:hidden" aria-label="More">
            <MoreVertical />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end">
          <DropdownMenuItem onSelect={onSearch}>
            <Search />
            Search
          </DropdownMenuItem>
          <DropdownMenuItem onSelect={toggleFavorite}>
            <Heart />
            {room.isFavorite ? "Remove from favorites" : "Add to favorites"}
          </DropdownMenuItem>
          {onPip && !inPip && (
            <DropdownMenuItem onSelect={onPip}>
              <PictureInPicture2 />
              Pop out
            </DropdownMenuItem>
          )}
          <DropdownMenuItem onSelect={() => void share()}>
            <Share2 />
            Share link
          </DropdownMenuItem>
          {owner && (
            <DropdownMenuItem onSelect={() => openRoomSettings(room.id)}>
              <Settings />
              Room settings
            </DropdownMenuItem>
          )}
        </DropdownMenuContent>
      </DropdownMenu>
    </header>
  );
}
