// The one HTTP client. Same origin, JSON, errors mapped from {"error":{"code","message"}} to
// ApiError; a 401 outside the auth endpoints sends the user to /login?redirect=<here>.
import ky, { HTTPError, TimeoutError } from "ky";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfter?: number;
  constructor(status: number, code: string, message: string, retryAfter?: number) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export const isApiError = (e: unknown, code?: string): e is ApiError =>
  e instanceof ApiError && (code === undefined || e.code === code);

let onUnauthorized: (() => void) | null = null;
/** The app installs what a 401 does (clear the session, go to /login?redirect=...). */
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn;
}

const AUTH_PATHS = ["auth/session", "auth/login", "auth/signup", "auth/providers"];

const http = ky.create({
  prefixUrl: "/api",
  credentials: "same-origin",
  retry: 0,
  timeout: 20_000,
  throwHttpErrors: true,
});

async function toApiError(e: unknown, path: string): Promise<ApiError> {
  if (e instanceof HTTPError) {
    const res = e.response;
    let code = res.status === 401 ? "unauthenticated" : `http_${res.status}`;
    let message = res.statusText || "Request failed";
    try {
      const body = await res.json<{ error?: { code?: string; message?: string } }>();
      if (body?.error?.code) code = body.error.code;
      if (body?.error?.message) message = body.error.message;
    } catch {
      /* not JSON */
    }
    const ra = Number(res.headers.get("Retry-After"));
    if (res.status === 401 && !AUTH_PATHS.some((p) => path.startsWith(p))) onUnauthorized?.();
    return new ApiError(res.status, code, message, Number.isFinite(ra) && ra > 0 ? ra : undefined);
  }
  if (e instanceof TimeoutError) return new ApiError(0, "timeout", "The server did not answer in time.");
  if (e instanceof ApiError) return e;
  return new ApiError(0, "network", "Could not reach the server. Check your connection.");
}

type Query = Record<string, string | number | boolean | undefined | null>;

function searchParams(q?: Query): Record<string, string> | undefined {
  if (!q) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== "") out[k] = String(v);
  return out;
}

async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  try {
    const res = await http(path, {
      method,
      json: body,
      searchParams: searchParams(query),
    });
    if (res.status === 204 || res.headers.get("Content-Length") === "0") return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  } catch (e) {
    throw await toApiError(e, path);
  }
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>("GET", path, undefined, query),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, body),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, body),
  delete: <T>(path: string) => request<T>("DELETE", path),
};

/** Human text for a toast. */
export function errorMessage(e: unknown, fallback = "Something went wrong."): string {
  if (e instanceof ApiError) {
    if (e.code === "rate_limited") return e.retryAfter ? `Too many requests, try again in ${e.retryAfter} s.` : "Too many requests, slow down.";
    return e.message || fallback;
  }
  return e instanceof Error && e.message ? e.message : fallback;
}
