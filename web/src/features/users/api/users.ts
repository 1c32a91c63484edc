// User profiles by id, fetched in batches (GET /api/users?ids=, up to 100 ids a request) and
// cached per id in TanStack Query.
import { useQueries, useQuery } from "@tanstack/react-query";
import { api } from "@/lib/api-client";
import { queryClient } from "@/lib/query-client";
import type { User } from "@/types/api";

export const userKey = (id: string) => ["users", id] as const;

type Waiter = { resolve: (u: User | null) => void; reject: (e: unknown) => void };
const queue = new Map<string, Waiter[]>();
let scheduled = false;

async function flush() {
  scheduled = false;
  const batch = new Map(queue);
  queue.clear();
  const ids = [...batch.keys()];
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    try {
      const r = await api.get<{ items: User[] }>("users", { ids: chunk.join(",") });
      const byId = new Map(r.items.map((u) => [u.id, u]));
      for (const id of chunk) batch.get(id)!.forEach((w) => w.resolve(byId.get(id) ?? null));
    } catch (e) {
      for (const id of chunk) batch.get(id)!.forEach((w) => w.reject(e));
    }
  }
}

export function loadUser(id: string): Promise<User | null> {
  return new Promise((resolve, reject) => {
    const list = queue.get(id) ?? [];
    list.push({ resolve, reject });
    queue.set(id, list);
    if (!scheduled) {
      scheduled = true;
      setTimeout(() => void flush(), 10);
    }
  });
}

const userQuery = (id: string) => ({
  queryKey: userKey(id),
  queryFn: () => loadUser(id),
  staleTime: 5 * 60_000,
});

export function useUserById(id: string | undefined) {
  return useQuery({ ...userQuery(id ?? ""), enabled: !!id });
}

export function useUsersById(ids: string[]): Map<string, User> {
  const results = useQueries({ queries: ids.map((id) => userQuery(id)) });
  const out = new Map<string, User>();
  results.forEach((r) => {
    if (r.data) out.set(r.data.id, r.data);
  });
  return out;
}

/** Seeds the cache with a user we already have (from welcome.you, login, ...). */
export function primeUser(u: User) {
  queryClient.setQueryData(userKey(u.id), u);
}

export function displayNameOf(u: User | null | undefined, fallbackId?: string): string {
  if (u) return u.displayName || u.username;
  return fallbackId ? fallbackId.slice(0, 2).toUpperCase() : "Unknown user";
}
