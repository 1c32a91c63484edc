import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { api } from "@/lib/api-client";
import type { Message } from "@/types/api";
import type { RoomSession, RoomSnapshot } from "../lib/room-session";

export const HISTORY_PAGE = 50;

type HistoryPage = { items: Message[]; hasMore: boolean };

/**
 * Older messages, above the first welcome's oldest message, as a TanStack infinite query
 * (GET /api/rooms/:id/messages?before=<seq>). Pages are merged into the session's list.
 */
export function useRoomHistory(session: RoomSession | null, snap: RoomSnapshot | null) {
  const anchor = snap?.anchor ?? null;
  const roomId = session?.roomId ?? "";
  const q = useInfiniteQuery({
    queryKey: ["rooms", "history", roomId, anchor?.seq ?? 0],
    queryFn: ({ pageParam }) =>
      api.get<HistoryPage>(`rooms/${encodeURIComponent(roomId)}/messages`, { before: pageParam, limit: HISTORY_PAGE }),
    initialPageParam: anchor?.seq ?? 0,
    getNextPageParam: (last) => (last.hasMore && last.items.length > 0 ? last.items[0].seq : undefined),
    enabled: false,
    staleTime: Infinity,
    gcTime: 5 * 60_000,
  });

  // Feed every page (cached ones too, when coming back to the room) into the session.
  useEffect(() => {
    if (!session || !q.data) return;
    for (const p of q.data.pages) session.applyHistoryPage(p.items, p.hasMore);
  }, [session, q.data]);

  const hasMore = snap?.chat.hasMore ?? false;
  const loading = q.isFetching;

  /** Loads the next older page (the first call fetches the query's first page); resolves when merged. */
  const loadOlder = async (): Promise<void> => {
    if (!session || !anchor || !session.getSnapshot().chat.hasMore) return;
    const r = await q.fetchNextPage({ cancelRefetch: false });
    r.data?.pages.forEach((p) => session.applyHistoryPage(p.items, p.hasMore));
  };

  /** Loads pages until `seq` is in the list (or nothing older exists). */
  const loadUntil = async (seq: number): Promise<boolean> => {
    if (!session) return false;
    for (let i = 0; i < 200; i++) {
      const s = session.getSnapshot();
      const oldest = s.chat.messages[0]?.seq;
      if (oldest !== undefined && oldest <= seq) return true;
      if (!s.chat.hasMore) return false;
      const before = oldest;
      await loadOlder();
      if (session.getSnapshot().chat.messages[0]?.seq === before) return false; // no progress
    }
    return false;
  };

  return { hasMore, loading, error: q.isError, loadOlder, loadUntil };
}
