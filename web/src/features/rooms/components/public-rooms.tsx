import { Globe, MessageCircle, Plus, RefreshCw, Users } from "lucide-react";
import { Link } from "react-router";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { Spinner } from "@/components/ui/spinner";
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip";
import { useNow } from "@/hooks/use-now";
import { errorMessage } from "@/lib/api-client";
import { formatAbsolute, formatRelative } from "@/lib/time-format";
import { flattenPages, usePublicRooms } from "../api/rooms";
import { openCreateRoom } from "../lib/dialogs";

export function PublicRooms() {
  const q = usePublicRooms();
  const now = useNow(60_000);
  const rooms = flattenPages(q.data);

  return (
    <section className="mx-auto w-full max-w-3xl px-4 py-6 md:px-8">
      <div className="mb-6 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Public rooms</h1>
          <p className="text-sm text-muted-foreground">Find a conversation</p>
        </div>
        <div className="flex gap-2">
          <Button variant="outline" size="icon" aria-label="Refresh" onClick={() => void q.refetch()} disabled={q.isFetching}>
            <RefreshCw className={q.isFetching && !q.isFetchingNextPage ? "animate-spin" : undefined} />
          </Button>
          <Button onClick={() => openCreateRoom("unlisted")}>
            <Plus />
            Create room
          </Button>
        </div>
      </div>

      {q.isPending ? (
        <ul className="grid gap-2" aria-label="Loading public rooms">
          {Array.from({ length: 5 }, (_, i) => (
            <li key={i} className="flex items-center gap-3 rounded-lg border p-4">
              <Skeleton className="size-9 rounded-full" />
              <div className="grid flex-1 gap-2">
                <Skeleton className="h-4 w-1/3" />
                <Skeleton className="h-3 w-1/4" />
              </div>
            </li>
          ))}
        </ul>
      ) : q.isError ? (
        <div className="grid place-items-center gap-3 rounded-lg border border-dashed p-10 text-center" role="alert">
          <p className="font-medium">Could not load public rooms</p>
          <p className="text-sm text-muted-foreground">{errorMessage(q.error)}</p>
          <Button variant="outline" onClick={() => void q.refetch()}>
            Try again
          </Button>
        </div>
      ) : rooms.length === 0 ? (
        <div className="grid place-items-center gap-3 rounded-lg border border-dashed p-10 text-center" data-testid="public-empty">
          <Globe className="size-10 text-muted-foreground" />
          <p className="font-medium">No public rooms yet</p>
          <p className="max-w-sm text-sm text-muted-foreground">Start the first conversation that anyone signed in can discover.</p>
          <Button onClick={() => openCreateRoom("public")}>
            <Plus />
            Create a public room
          </Button>
        </div>
      ) : (
        <>
          <ul className="grid gap-2" data-testid="public-rooms">
            {rooms.map((r) => (
              <li key={r.id}>
                <Link
                  to={`/rooms/${r.id}`}
                  className="flex items-center gap-3 rounded-lg border bg-card p-4 transition-colors hover:bg-accent/60 focus-visible:ring-[3px] focus-visible:ring-ring/50 focus-visible:outline-none"
                >
                  <span className="grid size-9 shrink-0 place-items-center rounded-full bg-primary/15 text-primary">
                    <MessageCircle className="size-4" />
                  </span>
                  <span className="min-w-0 flex-1">
                    <span className="block truncate font-medium">{r.name}</span>
                    <Tooltip>
                      <TooltipTrigger asChild>
                        <span className="text-xs text-muted-foreground">Active {formatRelative(r.lastActiveAt, now)}</span>
                      </TooltipTrigger>
                      <TooltipContent>{formatAbsolute(r.lastActiveAt)}</TooltipContent>
                    </Tooltip>
                  </span>
                  {(r.online ?? 0) > 0 && (
                    <span className="flex items-center gap-1 text-xs text-muted-foreground" title={`${r.online} online`}>
                      <span className="size-2 rounded-full bg-emerald-500" />
                      <Users className="size-3.5" />
                      {r.online}
                    </span>
                  )}
                </Link>
              </li>
            ))}
          </ul>
          {q.hasNextPage && (
            <div className="mt-4 flex justify-center">
              <Button variant="outline" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
                {q.isFetchingNextPage && <Spinner />}
                Load more
              </Button>
            </div>
          )}
          {q.isFetchNextPageError && <p className="mt-2 text-center text-sm text-destructive">Could not load more rooms. Try again.</p>}
        </>
      )}
    </section>
  );
}
