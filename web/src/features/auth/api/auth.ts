import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, isApiError } from "@/lib/api-client";
import type { AuthProviders, Identities, User } from "@/types/api";

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

/** Links a provider to the signed-in user, then comes back to settings. */
export function oidcLinkUrl(providerId: string): string {
  return `/api/auth/oidc/${encodeURIComponent(providerId)}/start?link=1&redirect=${encodeURIComponent("/settings")}`;
}

/** What the server's ?error= codes on /login and /settings mean to the user. */
export function oidcErrorMessage(code: string | null): string | null {
  switch (code) {
    case null:
    case "":
      return null;
    case "access_denied":
      return "Sign-in was cancelled at the provider.";
    case "invalid_state":
      return "That sign-in link expired or was already used. Please try again.";
    case "invalid_token":
      return "The provider's answer could not be verified. Please try again.";
    case "provider_unavailable":
      return "The sign-in provider cannot be reached right now. Please try again later.";
    case "identity_in_use":
      return "That account at the provider is already linked to another roomchat user.";
    default:
      return "Sign-in with the provider failed. Please try again.";
  }
}

export const identitiesKey = ["me", "identities"] as const;

export function useIdentities() {
  return useQuery({ queryKey: identitiesKey, queryFn: () => api.get<Identities>("me/identities") });
}

export function useUnlinkIdentity() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (provider: string) => api.delete<void>(`me/identities/${encodeURIComponent(provider)}`),
    onSettled: () => void qc.invalidateQueries({ queryKey: identitiesKey }),
  });
}
