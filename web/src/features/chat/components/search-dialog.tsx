import { useInfiniteQuery } from "@tanstack/react-query";
import { Search } from "lucide-react";
import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { displayNameOf, useUserById } from "@/features/users/api/users";
import { api, errorMessage } from "@/lib/api-client";
import { formatAbsolute } from "@/lib/time-format";
import type { Message, Page } from "@/types/api";
import { useRoomCtx } from "./room-context";

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function Highlight({ text, q }: { text: string; q: string }) {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return <>{text}</>;
  const re = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})`, "gi");
  return (
    <>
      {text.split(re).map((part, i) =>
        i % 2 === 1 ? (
          <mark key={i} className="rounded bg-mention px-0.5 text-foreground">
            {part}
          </mark>
        ) : (
          part
        ),
      )}
    </>
  );
}

function Result({ m, q, onPick }: { m: Message; q: string; onPick: () => void }) {
  const author = useUserById(m.author.userId);
  return (
    <li>
      <button type="button" onClick={onPick} className="grid w-full gap-0.5 rounded-md p-2 text-left hover:bg-accent/50" data-testid="search-result">
        <span className="flex items-baseline justify-between gap-2 text-xs text-muted-foreground">
          <span className="truncate font-medium text-foreground">{displayNameOf(author.data, m.author.userId)}</span>
          <span className="shrink-0">{formatAbsolute(m.createdAt)}</span>
        </span>
        <span className="line-clamp-3 text-sm break-words whitespace-pre-wrap">
          <Highlight text={m.text ?? ""} q={q} />
        </span>
      </button>
    </li>
  );
}

export function SearchDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const { room, actions } = useRoomCtx();
  const [input, setInput] = useState("");
  const q = useDebounced(input.trim(), 300);
  const results = useInfiniteQuery({
    queryKey: ["rooms", "search", room.id, q],
    queryFn: ({ pageParam }) => api.get<Page<Message>>(`rooms/${encodeURIComponent(room.id)}/search`, { q, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (p) => p.nextCursor ?? undefined,
    enabled: open && q.length >= 1 && q.length <= 200,
    staleTime: 10_000,
  });
  const items = results.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="top-[10%] translate-y-0 gap-3 sm:max-w-xl" data-testid="search-dialog">
        <DialogHeader>
          <DialogTitle>Search in {room.name}</DialogTitle>
          <DialogDescription className="sr-only">Full-text search in this room&apos;s messages</DialogDescription>
        </DialogHeader>
        <div className="relative">
          <Search className="absolute top-1/2 left-3 size-4 -translate-y-1/2 text-muted-foreground" />
          <Input value={input} maxLength={200} onChange={(e) => setInput(e.target.value)} placeholder="Search messages" className="pl-9" data-testid="search-input" />
        </div>
        <div className="max-h-[60dvh] min-h-16 overflow-y-auto">
          {q.length === 0 ? (
            <p className="p-4 text-center text-sm text-muted-foreground">Type to search this room&apos;s history.</p>
          ) : results.isPending ? (
            <div className="flex justify-center p-4">
              <Spinner />
            </div>
          ) : results.isError ? (
            <p className="p-4 text-center text-sm text-destructive">{errorMessage(results.error)}</p>
          ) : items.length === 0 ? (
            <p className="p-4 text-center text-sm text-muted-foreground">No messages match “{q}”.</p>
          ) : (
            <ul className="grid gap-0.5">
              {items.map((m) => (
                <Result
                  key={m.seq}
                  m={m}
                  q={q}
                  onPick={() => {
                    onOpenChange(false);
                    actions.jumpTo(m.seq);
                  }}
                />
              ))}
            </ul>
          )}
          {results.hasNextPage && (
            <div className="flex justify-center p-2">
              <Button variant="ghost" size="sm" onClick={() => void results.fetchNextPage()} disabled={results.isFetchingNextPage}>
                {results.isFetchingNextPage && <Spinner />}
                More results
              </Button>
            </div>
          )}
        </div>
      </DialogContent>
    </Dialog>
  );
}
