// While the tab is hidden: count unread messages, badge the favicon and the title, and show
// notifications (if allowed). A call in progress badges the favicon too (call beats unread).
import { useEffect, useEffectEvent, useRef, useState } from "react";
import type { Message, User } from "@/types/api";
import { loadUser } from "@/features/users/api/users";
import type { RoomSession } from "../lib/room-session";

const ICONS = { default: "/favicon.svg", unread: "/favicon-unread.svg", call: "/favicon-call.svg" } as const;

export function setFavicon(kind: keyof typeof ICONS) {
  const link = document.querySelector<HTMLLinkElement>("link#favicon") ?? document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (link && !link.href.endsWith(ICONS[kind])) link.href = ICONS[kind];
}

/** Pure: which favicon to show. */
export function faviconFor(callActive: boolean, unread: number): keyof typeof ICONS {
  if (callActive) return "call";
  if (unread > 0) return "unread";
  return "default";
}

/** Pure: the page title. */
export function titleFor(roomName: string | undefined, unread: number): string {
  const base = roomName ? `${roomName} · roomchat` : "roomchat";
  return unread > 0 ? `(${unread > 99 ? "99+" : unread}) ${base}` : base;
}

const notifications = new Set<Notification>();

/** Listens to the session's live messages from others while mounted. */
export function useRoomAttention(session: RoomSession, roomName: string | undefined, callActive: boolean) {
  const [unread, setUnread] = useState(0);
  const hiddenRef = useRef(typeof document !== "undefined" && document.visibilityState !== "visible");

  useEffect(() => {
    const onVis = () => {
      hiddenRef.current = document.visibilityState !== "visible";
      if (!hiddenRef.current) {
        setUnread(0);
        notifications.forEach((n) => n.close());
        notifications.clear();
      }
    };
    document.addEventListener("visibilitychange", onVis);
    return () => document.removeEventListener("visibilitychange", onVis);
  }, []);

  useEffect(() => {
    document.title = titleFor(roomName, unread);
    setFavicon(faviconFor(callActive, unread));
  }, [roomName, unread, callActive]);

  useEffect(
    () => () => {
      setFavicon("default");
      document.title = "roomchat";
    },
    [],
  );

  /** Each live message from someone else. */
  const onIncoming = useEffectEvent((m: Message) => {
    if (!hiddenRef.current || m.author.kind === "system") return;
    setUnread((n) => n + 1);
    if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
    const body = m.kind === "image" ? `🖼️ (${m.images?.length ?? 1})` : (m.text ?? "");
    const show = (u: User | null) => {
      try {
        const n = new Notification(u?.displayName ?? (m.author.kind === "bot" ? "Bot" : "New message"), {
          body: body.slice(0, 200),
          icon: u?.avatarUrl ?? "/favicon.svg",
          tag: `roomchat-${m.roomId}-${m.seq}`,
        });
        n.onclick = () => {
          window.focus();
          n.close();
        };
        n.onclose = () => notifications.delete(n);
        notifications.add(n);
      } catch {
        /* some platforms only allow notifications from a service worker */
      }
    };
    if (m.author.userId) loadUser(m.author.userId).then(show, () => show(null));
    else show(null);
  });

  useEffect(() => session.listen({ onIncoming: (m) => onIncoming(m) }), [session]);

  return { unread };
}

/** Asks for notification permission once, on the first send (a user gesture). */
export function askNotificationPermissionOnce() {
  if (typeof Notification === "undefined" || Notification.permission !== "default") return;
  if (sessionStorage.getItem("roomchat.notif-asked")) return;
  sessionStorage.setItem("roomchat.notif-asked", "1");
  void Notification.requestPermission().catch(() => {});
}
