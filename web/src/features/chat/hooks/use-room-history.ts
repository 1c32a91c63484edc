import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { api } from "@/lib/api-client";
import type { Message } from "@/types/api";
import type { RoomSession, RoomSnapshot } from "../lib/room-session";

export const HISTORY_PAGE = 50;

type HistoryPage = { items: Message[]; hasMore: boolean };
type Applied = { session: RoomSession; key: number; pages: number };

/** Hands the pages this session has not seen yet to it, and counts them. */
function mergeNewPages(applied: { current: Applied | null }, session: RoomSession, key: number, pages: HistoryPage[] | undefined) {
  if (!pages) return;
  const a = applied.current;
  const from = a && a.session === session && a.key === key ? a.pages : 0;
  for (let i = from; i < pages.length; i++) session.applyHistoryPage(pages[i].items, pages[i].hasMore);
  applied.current = { session, key, pages: Math.max(from, pages.length) };
}

/**
 * Older messages, above the first welcome's oldest message, as a TanStack infinite query
 * (GET /api/rooms/:id/messages?before=<seq>). Each page is merged into the session's list once:
 * the hook counts the pages it handed to this session (cached pages, when coming back to the
 * room, are handed over on mount).
 */
export function useRoomHistory(session: RoomSession, snap: RoomSnapshot) {
  const anchor = snap.anchor;
  const roomId = session.roomId;
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
  const { fetchNextPage } = q;

  // How many of the query's pages this session has merged (a new session starts from zero).
  const applied = useRef<Applied | null>(null);
  const key = anchor?.seq ?? 0;
  const pages = q.data?.pages;
  useEffect(() => mergeNewPages(applied, session, key, pages), [session, key, pages]);

  /** Loads the next older page (the first call fetches the query's first page); resolves when merged. */
  const loadOlder = async (): Promise<void> => {
    if (!anchor || !session.getSnapshot().chat.hasMore) return;
    const r = await fetchNextPage({ cancelRefetch: false });
    mergeNewPages(applied, session, key, r.data?.pages);
  };

  /** Loads pages until `seq` is in the list (or nothing older exists). */
  const loadUntil = async (seq: number): Promise<boolean> => {
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

  return { hasMore: snap.chat.hasMore, loading: q.isFetching, error: q.isError, loadOlder, loadUntil };
}
