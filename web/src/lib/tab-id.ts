import { randomId } from "./utils";

const KEY = "roomchat.tab";
let cached: string | null = null;

/** One id per browser tab (kept across reloads in sessionStorage): the `tab` of the room socket. */
export function tabId(): string {
  if (cached) return cached;
  try {
    cached = sessionStorage.getItem(KEY);
    if (!cached) {
      cached = randomId();
      sessionStorage.setItem(KEY, cached);
    }
  } catch {
    cached = randomId();
  }
  return cached;
}
