import { ChevronDown, Globe, Hash, Heart, Lock, MoreHorizontal, Settings } from "lucide-react";
import { Link, useParams } from "react-router";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { Skeleton } from "@/components/ui/skeleton";
import { Spinner } from "@/components/ui/spinner";
import { cn } from "@/lib/utils";
import type { Room } from "@/types/api";
import { flattenPages, useFavoriteRooms, useMyRooms } from "../api/rooms";
import { openRoomSettings } from "../lib/dialogs";

function RoomIcon({ room }: { room: Room }) {
  if (room.visibility === "private") return <Lock className="size-3.5" />;
  if (room.visibility === "public") return <Globe className="size-3.5" />;
  return <Hash className="size-3.5" />;
}

function RoomItem({ room, onNavigate }: { room: Room; onNavigate?: () => void }) {
  const { id } = useParams();
  const active = id === room.id;
  return (
    <li className="group/item relative">
      <Link
        to={`/rooms/${room.id}`}
        onClick={onNavigate}
        aria-current={active ? "page" : undefined}
        className={cn(
          "flex h-8 items-center gap-2 rounded-md px-2 pr-8 text-sm text-sidebar-foreground/80 transition-colors hover:bg-sidebar-accent hover:text-sidebar-foreground",
          active && "bg-sidebar-accent font-medium text-sidebar-foreground",
        )}
      >
        <span className="text-muted-foreground">
          <RoomIcon room={room} />
        </span>
        <span className="truncate">{room.name}</span>
      </Link>
      {room.role === "owner" && (
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button
              variant="ghost"
              size="icon-sm"
              aria-label={`Actions for ${room.name}`}
              className={cn(
                "absolute top-0 right-0 size-8 opacity-0 group-hover/item:opacity-100 focus-visible:opacity-100 data-[state=open]:opacity-100",
                active && "opacity-100",
              )}
            >
              <MoreHorizontal />
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent side="right" align="start">
            <DropdownMenuItem onSelect={() => openRoomSettings(room.id)}>
              <Settings />
              Room settings
            </DropdownMenuItem>
          </DropdownMenuContent>
        </DropdownMenu>
      )}
    </li>
  );
}

function RoomGroup({
  title,
  icon,
  query,
  empty,
  onNavigate,
  testId,
}: {
  title: string;
  icon: React.ReactNode;
  query: ReturnType<typeof useMyRooms>;
  empty: string;
  onNavigate?: () => void;
  testId: string;
}) {
  const rooms = flattenPages(query.data);
  return (
    <div className="grid gap-1" data-testid={testId}>
      <div className="flex items-center gap-2 px-2 text-xs font-medium text-muted-foreground">
        {icon}
        {title}
      </div>
      {query.isPending ? (
        <div className="grid gap-1 px-2">
          {Array.from({ length: 3 }, (_, i) => (
            <Skeleton key={i} className="h-6" />
          ))}
        </div>
      ) : query.isError ? (
        <button className="px-2 text-left text-xs text-destructive hover:underline" onClick={() => void query.refetch()}>
          Could not load. Retry
        </button>
      ) : rooms.length === 0 ? (
        <p className="px-2 text-xs text-muted-foreground">{empty}</p>
      ) : (
        <ul className="grid gap-0.5">
          {rooms.map((r) => (
            <RoomItem key={r.id} room={r} onNavigate={onNavigate} />
          ))}
        </ul>
      )}
      {query.hasNextPage && (
        <button
          className="flex items-center gap-1 px-2 text-xs text-muted-foreground hover:text-foreground"
          onClick={() => void query.fetchNextPage()}
          disabled={query.isFetchingNextPage}
        >
          {query.isFetchingNextPage ? <Spinner className="size-3" /> : <ChevronDown className="size-3" />}
          Show more
        </button>
      )}
    </div>
  );
}

export function RoomNav({ onNavigate }: { onNavigate?: () => void }) {
  const favorites = useFavoriteRooms();
  const mine = useMyRooms();
  return (
    <nav className="grid gap-5" aria-label="Rooms">
      <RoomGroup
        title="Favorite rooms"
        icon={<Heart className="size-3" />}
        query={favorites}
        empty="Rooms you favorite appear here."
        onNavigate={onNavigate}
        testId="nav-favorites"
      />
      <RoomGroup
        title="Your rooms"
        icon={<Hash className="size-3" />}
        query={mine}
        empty="Rooms you create or join appear here."
        onNavigate={onNavigate}
        testId="nav-mine"
      />
    </nav>
  );
}
