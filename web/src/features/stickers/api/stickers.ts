// The user's sticker library (GET/POST/DELETE /api/stickers): an infinite query by cursor, and
// saving and removing, which say how it went in a toast and keep the list fresh.
import { useInfiniteQuery, type InfiniteData } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, errorMessage } from "@/lib/api-client";
import { queryClient } from "@/lib/query-client";
import type { Page } from "@/types/api";

export type Sticker = { id: string; key: string; createdAt: number };

export const STICKER_PAGE = 30;
export const stickerKeys = { all: ["stickers"] as const };

export function useStickers(enabled = true) {
  return useInfiniteQuery({
    queryKey: stickerKeys.all,
    queryFn: ({ pageParam }) => api.get<Page<Sticker>>("stickers", { cursor: pageParam, limit: STICKER_PAGE }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    staleTime: 24 * 60 * 60_000,
    enabled,
  });
}

/** "Save to stickers" (idempotent on the server: saving twice keeps one). */
export async function saveSticker(key: string): Promise<boolean> {
  try {
    await api.post<{ sticker: Sticker }>("stickers", { key });
    toast.success("Saved to stickers");
    void queryClient.invalidateQueries({ queryKey: stickerKeys.all });
    return true;
  } catch (e) {
    toast.error(errorMessage(e, "Could not save the sticker."));
    return false;
  }
}

export async function removeSticker(id: string): Promise<void> {
  await api.delete<void>(`stickers/${encodeURIComponent(id)}`);
  // gone from the list at once, then refetched
  queryClient.setQueryData<InfiniteData<Page<Sticker>, string>>(stickerKeys.all, (d) =>
    d ? { ...d, pages: d.pages.map((p) => ({ ...p, items: p.items.filter((s) => s.id !== id) })) } : d,
  );
  toast.success("Removed from stickers");
  void queryClient.invalidateQueries({ queryKey: stickerKeys.all });
}
