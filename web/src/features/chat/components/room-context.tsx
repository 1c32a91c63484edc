// Contexts of an open room, split by how often they change so that a new message does not
// re-render every bubble: RoomContext is stable (its actions never change identity), presence
// and connection status change rarely, and the whole snapshot changes on every frame.
import { createContext, use } from "react";
import type { ConnectionStatus } from "@/lib/ws-client";
import type { Message, PresenceEntry, Room, User } from "@/types/api";
import type { RoomSession, RoomSnapshot } from "../lib/room-session";
import { RovingFocus } from "../lib/roving-focus";

export type RoomActions = {
  reply: (m: Message) => void;
  edit: (m: Message) => void;
  remove: (m: Message) => void;
  mention: (userId: string) => void;
  jumpTo: (seq: number) => void;
};

export type RoomCtx = {
  session: RoomSession;
  me: User;
  room: Room;
  /** Display names of everyone known in this room, for mention highlighting. */
  names: string[];
  actions: RoomActions;
};

export const RoomContext = createContext<RoomCtx | null>(null);
export const SnapContext = createContext<RoomSnapshot | null>(null);
export const PresenceContext = createContext<Map<string, PresenceEntry>>(new Map());
export const StatusContext = createContext<ConnectionStatus>("connecting");
/** The message list's Tab stop (provided by MessageList). */
export const RovingFocusContext = createContext<RovingFocus>(new RovingFocus());

export function useRoomCtx(): RoomCtx {
  const c = use(RoomContext);
  if (!c) throw new Error("useRoomCtx outside a room");
  return c;
}

export function useRoomSnap(): RoomSnapshot {
  const s = use(SnapContext);
  if (!s) throw new Error("useRoomSnap outside a room");
  return s;
}

export const usePresence = () => use(PresenceContext);
export const useConnectionStatus = () => use(StatusContext);
export const useRovingFocus = () => use(RovingFocusContext);
