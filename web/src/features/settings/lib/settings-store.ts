// Client settings, kept in localStorage and shared by every component through one store.
import { useSyncExternalStore } from "react";

export type Theme = "dark" | "light" | "system";
export type Settings = {
  /** Send my idle / screen-lock status (Idle Detection API). Off by default. */
  showStatus: boolean;
  /** Send the typing indicator. On by default. */
  showTyping: boolean;
  theme: Theme;
};

export const DEFAULT_SETTINGS: Settings = { showStatus: false, showTyping: true, theme: "dark" };
const KEY = "roomchat.settings";

/** Unknown or malformed values fall back to the defaults field by field. */
export function parseSettings(raw: string | null): Settings {
  let v: Record<string, unknown> = {};
  try {
    const p: unknown = raw ? JSON.parse(raw) : {};
    if (p && typeof p === "object") v = p as Record<string, unknown>;
  } catch {
    /* defaults */
  }
  return {
    showStatus: typeof v.showStatus === "boolean" ? v.showStatus : DEFAULT_SETTINGS.showStatus,
    showTyping: typeof v.showTyping === "boolean" ? v.showTyping : DEFAULT_SETTINGS.showTyping,
    theme: v.theme === "light" || v.theme === "dark" || v.theme === "system" ? v.theme : DEFAULT_SETTINGS.theme,
  };
}

let current: Settings = typeof localStorage === "undefined" ? DEFAULT_SETTINGS : parseSettings(localStorage.getItem(KEY));
const listeners = new Set<() => void>();

export function getSettings(): Settings {
  return current;
}

export function updateSettings(patch: Partial<Settings>): void {
  current = { ...current, ...patch };
  try {
    localStorage.setItem(KEY, JSON.stringify(current));
  } catch {
    /* private mode */
  }
  listeners.forEach((l) => l());
}

function subscribe(l: () => void) {
  listeners.add(l);
  const onStorage = (e: StorageEvent) => {
    if (e.key === KEY) {
      current = parseSettings(e.newValue);
      l();
    }
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(l);
    window.removeEventListener("storage", onStorage);
  };
}

export function useSettings(): Settings {
  return useSyncExternalStore(subscribe, getSettings, getSettings);
}
