// One open room: the socket, the message list with its optimistic sends, presence, typing and
// call state, as an external store for React (subscribe/getSnapshot). No DOM, no React.
import { api, isApiError } from "@/lib/api-client";
import { tabId } from "@/lib/tab-id";
import { randomId } from "@/lib/utils";
import { RoomSocket, type ConnectionStatus, type RoomSocketOptions } from "@/lib/ws-client";
import type { CallState, Message, PresenceEntry, ReplyRef, Room, ServerFrame, User } from "@/types/api";
import {
  addPending,
  applyAck,
  applyGapFill,
  applyHistory,
  applyMessage,
  applyUpdate,
  applyWelcome,
  emptyChat,
  failPending,
  removePending,
  retryPending,
  type ChatState,
  type PendingMessage,
} from "./chat-state";
import { presenceMap } from "./presence";
import { TypingRoster, TypingSender } from "./typing-tracker";

export const MAX_TEXT = 4000;
const NOTIFY_BATCH_MS = 16;

export type Ended = { code: number; reason: string };

export type RoomSnapshot = {
  chat: ChatState;
  status: ConnectionStatus;
  me: User | null;
  room: Room | null;
  presence: Map<string, PresenceEntry>;
  typing: string[];
  call: CallState;
  /** Set when the room will not come back: 4401 session ended, 4403 removed, 4404 deleted. */
  ended: Ended | null;
  /** Oldest seq and hasMore of the first welcome: where the history query starts. */
  anchor: { seq: number; hasMore: boolean } | null;
};

export type RoomSessionEvents = {
  /** A live message from someone else (for unread counts and notifications). */
  onIncoming?: (m: Message) => void;
  /** The server refused something that was not a send (edit, delete, rate limit...). */
  onError?: (code: string, message: string) => void;
  onRoomUpdated?: (room: Room) => void;
};

export const snippetOf = (m: Pick<Message, "kind" | "text" | "images">): string =>
  m.kind === "image" ? (m.images && m.images.length > 1 ? `🖼️ ×${m.images.length}` : "🖼️ Image") : (m.text ?? "").slice(0, 100);

export class RoomSession {
  readonly roomId: string;
  private readonly meId: string;
  private readonly socket: RoomSocket;
  private readonly roster = new TypingRoster();
  private readonly typingSender: TypingSender;
  private readonly events: RoomSessionEvents;
  private readonly listeners = new Set<() => void>();
  private snap: RoomSnapshot;
  private status: { user: "active" | "idle"; screen: "locked" | "unlocked" } | null = null;
  private sendTyping = true;
  private fillingGap = false;
  private rosterTimer: ReturnType<typeof setInterval> | null = null;
  private notifyTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(roomId: string, meId: string, events: RoomSessionEvents = {}, socketOptions: Partial<RoomSocketOptions> = {}) {
    this.roomId = roomId;
    this.meId = meId;
    this.events = events;
    this.snap = {
      chat: emptyChat,
      status: "connecting",
      me: null,
      room: null,
      presence: new Map(),
      typing: [],
      call: { participants: [] },
      ended: null,
      anchor: null,
    };
    this.typingSender = new TypingSender((active) => {
      if (this.sendTyping) this.socket.send({ type: "typing", active });
    });
    this.socket = new RoomSocket({
      url: () => {
        const proto = location.protocol === "https:" ? "wss:" : "ws:";
        return `${proto}//${location.host}/api/rooms/${encodeURIComponent(roomId)}/ws?tab=${encodeURIComponent(tabId())}`;
      },
      lastSeq: () => (this.snap.chat.loaded ? this.snap.chat.lastSeq : undefined),
      onFrame: (f) => this.onFrame(f),
      onStatus: (status) => this.update({ status }),
      onTerminal: (code, reason) => this.end(code, reason),
      onRepeatedFailure: () => void this.checkAccess(),
      ...socketOptions,
    });
  }

  // ---- store -------------------------------------------------------------------------------
  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  };
  getSnapshot = () => this.snap;

  private update(patch: Partial<RoomSnapshot>) {
    this.snap = { ...this.snap, ...patch };
    if (patch.chat) this.persistPending();
    this.scheduleNotify();
  }

  /**
   * Frames arrive one task each; a burst of them is rendered once (within ~16 ms), not once per
   * frame. getSnapshot() is always current; only the re-render is coalesced.
   */
  private scheduleNotify() {
    if (this.notifyTimer !== null) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = null;
      this.listeners.forEach((l) => l());
    }, NOTIFY_BATCH_MS);
  }

  private setChat(fn: (c: ChatState) => ChatState) {
    const next = fn(this.snap.chat);
    if (next !== this.snap.chat) this.update({ chat: next });
  }

  // ---- lifecycle ---------------------------------------------------------------------------
  start() {
    this.restorePending();
    this.socket.start();
    this.rosterTimer = setInterval(() => this.refreshTyping(), 2000);
  }

  stop() {
    this.typingSender.stop();
    this.socket.stop();
    if (this.rosterTimer) clearInterval(this.rosterTimer);
    if (this.notifyTimer) clearTimeout(this.notifyTimer);
    this.notifyTimer = null;
    this.listeners.clear();
  }

  reconnectNow() {
    this.socket.reconnectNow();
  }

  wentOffline() {
    this.socket.wentOffline();
  }

  /** Whether typing frames are sent at all (the "Show typing indicator" setting). */
  setTypingEnabled(on: boolean) {
    if (!on) this.typingSender.stop();
    this.sendTyping = on;
  }

  // ---- frames ------------------------------------------------------------------------------
  private onFrame(f: ServerFrame) {
    switch (f.type) {
      case "welcome": {
        this.roster.clear();
        const chat = applyWelcome(this.snap.chat, f, f.you.id);
        const anchor =
          this.snap.anchor ?? { seq: f.messages.length ? Math.min(...f.messages.map((m) => m.seq)) : f.lastSeq + 1, hasMore: f.hasMore };
        this.update({ chat, me: f.you, room: f.room, presence: presenceMap(f.presence), call: f.call ?? { participants: [] }, typing: [], anchor });
        this.events.onRoomUpdated?.(f.room);
        this.typingSender.resend();
        if (this.status) this.socket.send({ type: "status", ...this.status });
        if (chat.gap) void this.fillGap();
        break;
      }
      case "ack":
        this.setChat((c) => applyAck(c, f.clientId, f.message));
        break;
      case "message": {
        const known = f.message.author.userId === this.meId && f.message.clientId !== undefined;
        this.setChat((c) => applyMessage(c, f.message, this.meId));
        if (f.message.author.userId) this.roster.set(f.message.author.userId, false);
        this.refreshTyping();
        if (!known && f.message.author.userId !== this.meId) this.events.onIncoming?.(f.message);
        break;
      }
      case "messageUpdated":
        this.setChat((c) => applyUpdate(c, f.message));
        break;
      case "history":
        this.setChat((c) => applyHistory(c, f.messages, f.hasMore));
        break;
      case "presence":
        this.update({ presence: presenceMap(f.users) });
        break;
      case "typing":
        this.roster.set(f.userId, f.active);
        this.refreshTyping();
        break;
      case "call":
        this.update({ call: { participants: f.participants ?? [] } });
        break;
      case "roomUpdated":
        this.update({ room: f.room });
        this.events.onRoomUpdated?.(f.room);
        break;
      case "roomDeleted":
        this.end(4404, "room deleted");
        break;
      case "error":
        if (f.clientId) this.setChat((c) => failPending(c, f.clientId!, { code: f.code, message: f.message }));
        else this.events.onError?.(f.code, f.message);
        break;
      default:
        break;
    }
  }

  private refreshTyping() {
    const list = this.roster.list(this.meId);
    const cur = this.snap.typing;
    if (list.length !== cur.length || list.some((id, i) => cur[i] !== id)) this.update({ typing: list });
  }

  private end(code: number, reason: string) {
    if (this.snap.ended) return;
    this.socket.stop();
    this.update({ ended: { code, reason }, status: "closed" });
  }

  /** The upgrade keeps failing: ask over HTTP whether the room is still ours to open. */
  private async checkAccess() {
    try {
      await api.get(`rooms/${encodeURIComponent(this.roomId)}`);
    } catch (e) {
      if (isApiError(e) && e.status === 401) this.end(4401, "session ended");
      else if (isApiError(e) && e.status === 403) this.end(4403, "forbidden");
      else if (isApiError(e) && e.status === 404) this.end(4404, "not found");
    }
  }

  /** After a catch-up reset: fetch the skipped range so loaded history stays contiguous. */
  private async fillGap() {
    const gap = this.snap.chat.gap;
    if (this.fillingGap || !gap) return;
    this.fillingGap = true;
    try {
      let before = gap.before;
      for (let i = 0; i < 50; i++) {
        const page = await api.get<{ items: Message[]; hasMore: boolean }>(`rooms/${encodeURIComponent(this.roomId)}/messages`, {
          before,
          limit: 100,
        });
        const items = page.items.filter((m) => m.seq > gap.after);
        this.setChat((c) => applyGapFill(c, items));
        if (!this.snap.chat.gap || items.length === 0) break;
        before = items[0].seq;
        if (before <= gap.after + 1) break;
      }
    } catch {
      /* the list keeps a hole; a later reconnect retries */
    } finally {
      this.fillingGap = false;
    }
  }

  /** Older messages fetched by the history query. */
  applyHistoryPage(items: Message[], hasMore: boolean) {
    this.setChat((c) => applyHistory(c, items, hasMore));
  }

  // ---- user actions ------------------------------------------------------------------------
  /** Sends a text message. Returns its clientId. Works offline: it is queued and sent later. */
  sendText(text: string, replyTo?: Message): string {
    const clientId = randomId();
    const p: PendingMessage = {
      clientId,
      text,
      createdAt: Date.now(),
      replyToSeq: replyTo?.seq,
      replyTo: replyTo
        ? { seq: replyTo.seq, authorId: replyTo.author.userId, kind: replyTo.kind, snippet: snippetOf(replyTo) }
        : undefined,
    };
    this.setChat((c) => addPending(c, p));
    this.typingSender.stop();
    this.socket.enqueue(this.frameOf(p));
    return clientId;
  }

  retry(clientId: string) {
    const p = this.snap.chat.pending.find((x) => x.clientId === clientId);
    if (!p) return;
    this.setChat((c) => retryPending(c, clientId));
    this.socket.queue.enqueue(this.frameOf(p));
    this.socket.retry(clientId);
  }

  discard(clientId: string) {
    this.socket.queue.remove(clientId);
    this.setChat((c) => removePending(c, clientId));
  }

  edit(seq: number, text: string): boolean {
    return this.socket.send({ type: "edit", seq, text });
  }

  remove(seq: number): boolean {
    return this.socket.send({ type: "delete", seq });
  }

  keystroke() {
    if (this.sendTyping) this.typingSender.keystroke();
  }

  stopTyping() {
    this.typingSender.stop();
  }

  /** My idle/lock state from the Idle Detection API, or null when not shared. */
  setStatus(s: { user: "active" | "idle"; screen: "locked" | "unlocked" } | null) {
    this.status = s;
    if (s) this.socket.send({ type: "status", ...s });
  }

  get connected(): boolean {
    return this.socket.ready;
  }

  private frameOf(p: PendingMessage) {
    return {
      type: "send" as const,
      clientId: p.clientId,
      kind: "text" as const,
      text: p.text,
      ...(p.replyToSeq !== undefined ? { replyToSeq: p.replyToSeq } : {}),
    };
  }

  // ---- pending sends survive a reload ------------------------------------------------------
  private get storageKey() {
    return `roomchat.pending.${this.meId}.${this.roomId}`;
  }

  private persistPending() {
    try {
      const p = this.snap.chat.pending;
      if (p.length === 0) localStorage.removeItem(this.storageKey);
      else localStorage.setItem(this.storageKey, JSON.stringify(p));
    } catch {
      /* storage full or disabled: the queue still lives in memory */
    }
  }

  private restorePending() {
    let saved: PendingMessage[] = [];
    try {
      saved = JSON.parse(localStorage.getItem(this.storageKey) ?? "[]") as PendingMessage[];
    } catch {
      saved = [];
    }
    if (!Array.isArray(saved)) return;
    for (const p of saved) {
      if (!p || typeof p.clientId !== "string" || typeof p.text !== "string") continue;
      this.setChat((c) => addPending(c, p));
      if (!p.error) this.socket.queue.enqueue(this.frameOf(p));
    }
  }
}

export type { ReplyRef };
