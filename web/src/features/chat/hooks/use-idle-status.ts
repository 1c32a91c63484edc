import { useEffect } from "react";
import { useSettings } from "@/features/settings/lib/settings-store";
import { watchIdle } from "@/features/settings/lib/idle";
import type { RoomSession } from "../lib/room-session";

/** With "Show my status" on, reports active/idle (60 s) and locked/unlocked to the room. */
export function useIdleStatus(session: RoomSession | null) {
  const { showStatus } = useSettings();
  useEffect(() => {
    if (!session) return;
    if (!showStatus) {
      session.setStatus(null);
      return;
    }
    const ctrl = new AbortController();
    void watchIdle((s) => session.setStatus(s), ctrl.signal);
    return () => ctrl.abort();
  }, [session, showStatus]);
}
