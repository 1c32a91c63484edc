// Presence as the client shows it. Pure.
import type { PresenceEntry } from "@/types/api";

/** A presence frame lists every user in the room (one entry per user): it replaces the map. */
export function presenceMap(users: PresenceEntry[]): Map<string, PresenceEntry> {
  const m = new Map<string, PresenceEntry>();
  for (const u of users) if (u.connections > 0) m.set(u.userId, u);
  return m;
}

/** The dot for an online user: locked screen beats idle; no status shared means active. */
export function presenceDot(e: PresenceEntry | undefined): "active" | "idle" | "locked" | undefined {
  if (!e || e.connections <= 0) return undefined;
  if (e.screen === "locked") return "locked";
  if (e.user === "idle") return "idle";
  return "active";
}
