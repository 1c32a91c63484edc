import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, isApiError } from "@/lib/api-client";
import type { AuthProviders, User } from "@/types/api";

export const sessionKey = ["session"] as const;

export async function getSession(): Promise<User | null> {
  try {
    const r = await api.get<{ user: User }>("auth/session");
    return r.user;
  } catch (e) {
    if (isApiError(e) && e.status === 401) return null;
    throw e;
  }
}

/** The signed-in user, or null. */
export function useSession() {
  return useQuery({ queryKey: sessionKey, queryFn: getSession, staleTime: 5 * 60_000, retry: 1, retryDelay: 500 });
}

export function useUser(): User | null {
  return useSession().data ?? null;
}

export function useProviders() {
  return useQuery({
    queryKey: ["auth", "providers"],
    queryFn: () => api.get<AuthProviders>("auth/providers"),
    staleTime: Infinity,
  });
}

export type LoginInput = { username: string; password: string };
export type SignupInput = LoginInput & { displayName: string };

export function useLogin() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: LoginInput) => api.post<{ user: User }>("auth/login", body),
    onSuccess: (r) => {
      qc.clear();
      qc.setQueryData(sessionKey, r.user);
    },
  });
}

export function useSignup() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: SignupInput) => api.post<{ user: User }>("auth/signup", body),
    onSuccess: (r) => {
      qc.clear();
      qc.setQueryData(sessionKey, r.user);
    },
  });
}

export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<void>("auth/logout"),
    onSettled: () => {
      qc.clear();
      qc.setQueryData(sessionKey, null);
    },
  });
}

export function oidcStartUrl(providerId: string, redirect: string): string {
  return `/api/auth/oidc/${encodeURIComponent(providerId)}/start?redirect=${encodeURIComponent(redirect)}`;
}
