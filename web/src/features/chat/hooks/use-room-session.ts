import { useEffect, useEffectEvent, useState, useSyncExternalStore } from "react";
import { toast } from "sonner";
import { useRoomCacheUpdate } from "@/features/rooms/api/rooms";
import { useSettings } from "@/features/settings/lib/settings-store";
import { uploadImagesInBrowser } from "@/features/uploads/api/uploads";
import { primeUser } from "@/features/users/api/users";
import { api } from "@/lib/api-client";
import { tabId } from "@/lib/tab-id";
import { RoomSocket } from "@/lib/ws-client";
import type { Room } from "@/types/api";
import { RoomSession, type RoomSessionDeps } from "../lib/room-session";

function browserStorage(): RoomSessionDeps["storage"] {
  try {
    return window.localStorage;
  } catch {
    return null; // storage disabled: pending sends live in memory only
  }
}

/** The browser's location, localStorage, the app's HTTP client, a real WebSocket and uploads. */
export function browserSessionDeps(): RoomSessionDeps {
  return {
    location: window.location,
    storage: browserStorage(),
    http: api,
    createSocket: (options) => new RoomSocket(options),
    tabId: tabId(),
    uploadImages: uploadImagesInBrowser,
  };
}

/**
 * The room's session: made once per room and user (constructing it connects nothing), started
 * while mounted. Reconnects at once when the network returns or the tab becomes visible; closes
 * and queues while the browser is offline.
 */
export function useRoomSession(roomId: string, meId: string) {
  const [session, setSession] = useState(() => new RoomSession(roomId, meId, browserSessionDeps()));
  if (session.roomId !== roomId || session.meId !== meId) setSession(new RoomSession(roomId, meId, browserSessionDeps()));

  const writeRoom = useRoomCacheUpdate();
  const onRoomUpdated = useEffectEvent((room: Room) => writeRoom(room));
  const { showTyping } = useSettings();

  useEffect(() => {
    const off = session.listen({
      onError: (code, message) => toast.error(code === "rate_limited" ? "You are sending too fast. Slow down a little." : message),
      onRoomUpdated: (room) => onRoomUpdated(room),
    });
    session.start();
    const online = () => session.reconnectNow();
    const offline = () => session.wentOffline();
    const visible = () => {
      if (document.visibilityState === "visible") session.reconnectNow();
    };
    window.addEventListener("online", online);
    window.addEventListener("offline", offline);
    document.addEventListener("visibilitychange", visible);
    return () => {
      window.removeEventListener("online", online);
      window.removeEventListener("offline", offline);
      document.removeEventListener("visibilitychange", visible);
      session.stop();
      off();
    };
  }, [session]);

  useEffect(() => {
    session.setTypingEnabled(showTyping);
  }, [session, showTyping]);

  const snap = useSyncExternalStore(session.subscribe, session.getSnapshot);

  useEffect(() => {
    if (snap.me) primeUser(snap.me);
  }, [snap.me]);

  return { session, snap };
}
