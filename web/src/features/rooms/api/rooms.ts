import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData } from "@tanstack/react-query";
import { api } from "@/lib/api-client";
import type { Page, Room, Visibility } from "@/types/api";

export const roomKeys = {
  all: ["rooms"] as const,
  public: ["rooms", "list", "public"] as const,
  mine: ["rooms", "list", "mine"] as const,
  favorites: ["rooms", "list", "favorites"] as const,
  detail: (id: string) => ["rooms", "detail", id] as const,
};

function listQuery(key: readonly string[], path: string, limit: number) {
  return {
    queryKey: key,
    queryFn: ({ pageParam }: { pageParam: string | null }) => api.get<Page<Room>>(path, { limit, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (last: Page<Room>) => last.nextCursor ?? undefined,
  };
}

/** Public discovery: keyset cursor, "load more". */
export function usePublicRooms(enabled = true) {
  return useInfiniteQuery({ ...listQuery(roomKeys.public, "rooms/public", 20), enabled });
}

export function useMyRooms() {
  return useInfiniteQuery(listQuery(roomKeys.mine, "rooms/mine", 30));
}

export function useFavoriteRooms() {
  return useInfiniteQuery(listQuery(roomKeys.favorites, "rooms/favorites", 30));
}

export const flattenPages = (d: InfiniteData<Page<Room>> | undefined): Room[] => {
  const seen = new Set<string>();
  const out: Room[] = [];
  for (const p of d?.pages ?? [])
    for (const r of p.items) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      out.push(r);
    }
  return out;
};

export function useRoom(id: string | undefined) {
  return useQuery({
    queryKey: roomKeys.detail(id ?? ""),
    queryFn: () => api.get<{ room: Room }>(`rooms/${encodeURIComponent(id!)}`).then((r) => r.room),
    enabled: !!id,
    staleTime: 10_000,
  });
}

/** Writes a fresh room into every cache that shows it. */
export function useRoomCacheUpdate() {
  const qc = useQueryClient();
  return (room: Room) => {
    qc.setQueryData(roomKeys.detail(room.id), room);
    for (const key of [roomKeys.mine, roomKeys.favorites, roomKeys.public]) {
      qc.setQueryData<InfiniteData<Page<Room>>>(key, (d) =>
        d
          ? { ...d, pages: d.pages.map((p) => ({ ...p, items: p.items.map((r) => (r.id === room.id ? { ...r, ...room, online: r.online } : r)) })) }
          : d,
      );
    }
  };
}

export function useCreateRoom() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; visibility: Visibility }) => api.post<{ room: Room }>("rooms", body).then((r) => r.room),
    onSuccess: (room) => {
      qc.setQueryData(roomKeys.detail(room.id), room);
      void qc.invalidateQueries({ queryKey: roomKeys.mine });
      if (room.visibility === "public") void qc.invalidateQueries({ queryKey: roomKeys.public });
    },
  });
}

export function useUpdateRoom(id: string) {
  const qc = useQueryClient();
  const write = useRoomCacheUpdate();
  return useMutation({
    mutationFn: (body: { name?: string; visibility?: Visibility }) =>
      api.patch<{ room: Room }>(`rooms/${encodeURIComponent(id)}`, body).then((r) => r.room),
    onSuccess: (room) => {
      write(room);
      void qc.invalidateQueries({ queryKey: roomKeys.public });
    },
  });
}

export function useDeleteRoom() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete<void>(`rooms/${encodeURIComponent(id)}`),
    onSuccess: (_r, id) => {
      qc.removeQueries({ queryKey: roomKeys.detail(id) });
      void qc.invalidateQueries({ queryKey: ["rooms", "list"] });
    },
  });
}

export function useSetFavorite() {
  const qc = useQueryClient();
  const write = useRoomCacheUpdate();
  return useMutation({
    mutationFn: ({ room, favorite }: { room: Room; favorite: boolean }) =>
      favorite ? api.put<void>(`rooms/${encodeURIComponent(room.id)}/favorite`) : api.delete<void>(`rooms/${encodeURIComponent(room.id)}/favorite`),
    onSuccess: (_r, { room, favorite }) => {
      write({ ...room, isFavorite: favorite });
      void qc.invalidateQueries({ queryKey: roomKeys.favorites });
    },
  });
}

export function useCreateInvite(id: string) {
  return useMutation({
    mutationFn: () => api.post<{ token: string; url: string }>(`rooms/${encodeURIComponent(id)}/invites`),
  });
}

export function useAcceptInvite() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (token: string) => api.post<{ room: Room }>(`invites/${encodeURIComponent(token)}/accept`).then((r) => r.room),
    onSuccess: (room) => {
      qc.setQueryData(roomKeys.detail(room.id), room);
      void qc.invalidateQueries({ queryKey: roomKeys.mine });
    },
  });
}

export function useRemoveMember(roomId: string) {
  return useMutation({
    mutationFn: (userId: string) => api.delete<void>(`rooms/${encodeURIComponent(roomId)}/members/${encodeURIComponent(userId)}`),
  });
}

/** Absolute invite link; the server's `url` may be relative. */
export function inviteLink(r: { token: string; url?: string }): string {
  if (r.url) {
    try {
      return new URL(r.url, window.location.origin).toString();
    } catch {
      /* fall through */
    }
  }
  return `${window.location.origin}/invite/${encodeURIComponent(r.token)}`;
}

export const visibilityLabel: Record<Visibility, string> = {
  public: "Public",
  unlisted: "Unlisted",
  private: "Private",
};
