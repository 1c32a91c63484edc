import { useEffect, useState, useSyncExternalStore } from "react";
import { toast } from "sonner";
import { useRoomCacheUpdate } from "@/features/rooms/api/rooms";
import { useSettings } from "@/features/settings/lib/settings-store";
import { primeUser } from "@/features/users/api/users";
import type { Message } from "@/types/api";
import { RoomSession, type RoomSnapshot } from "../lib/room-session";

const EMPTY: RoomSnapshot | null = null;
const noop = () => () => {};

/**
 * Opens the room's socket while mounted. Reconnects at once when the network returns or the tab
 * becomes visible; closes and queues while the browser is offline.
 */
export function useRoomSession(roomId: string, meId: string, onIncoming: (m: Message) => void) {
  const [session, setSession] = useState<RoomSession | null>(null);
  const writeRoom = useRoomCacheUpdate();
  const { showTyping } = useSettings();

  useEffect(() => {
    const s = new RoomSession(roomId, meId, {
      onIncoming: (m) => onIncomingRef.current(m),
      onError: (code, message) => toast.error(code === "rate_limited" ? "You are sending too fast. Slow down a little." : message),
      onRoomUpdated: (room) => writeRoom(room),
    });
    setSession(s);
    s.start();
    const online = () => s.reconnectNow();
    const offline = () => s.wentOffline();
    const visible = () => {
      if (document.visibilityState === "visible") s.reconnectNow();
    };
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    document.addEventListener("visibilitychange", visible);
    return () => {
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
      document.removeEventListener("visibilitychange", visible);
      s.stop();
    };
    // a new session per room and user only (writeRoom only writes to the query cache)
  }, [roomId, meId]);

  useEffect(() => {
    onIncomingRef.current = onIncoming;
  });

  useEffect(() => {
    session?.setTypingEnabled(showTyping);
  }, [session, showTyping]);

  const snap = useSyncExternalStore(session?.subscribe ?? noop, () => session?.getSnapshot() ?? EMPTY);

  useEffect(() => {
    if (snap?.me) primeUser(snap.me);
  }, [snap?.me]);

  return { session, snap };
}

// The latest onIncoming without re-creating the session (module scope per mounted room is
// enough: one room view is open at a time).
const onIncomingRef: { current: (m: Message) => void } = { current: () => {} };
