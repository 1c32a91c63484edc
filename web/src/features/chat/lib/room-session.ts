// One open room: the socket, the message list with its optimistic sends, presence, typing and
// call state, as an external store for React (subscribe/getSnapshot). No DOM, no React: the page's
// location, the storage, the HTTP client and the socket come in as RoomSessionDeps
// (useRoomSession wires the browser's).
import { isApiError } from "@/lib/api-client";
import { randomId } from "@/lib/utils";
import type { ConnectionStatus, RoomSocket, RoomSocketOptions } from "@/lib/ws-client";
import type { CallState, Message, PresenceEntry, ReplyRef, Room, SendFrame, ServerFrame, User } from "@/types/api";
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
  awaitingUpload,
  finishUpload,
  removePending,
  retryPending,
  settleImage,
  startUpload,
  updatePending,
  type ChatState,
  type PendingMessage,
} from "./chat-state";
import { presenceMap } from "./presence";
import { TypingRoster, TypingSender } from "./typing-tracker";

export const MAX_TEXT = 4000;
const NOTIFY_BATCH_MS = 16;

export type Ended = { code: number; reason: string };

export type ImageUploadResult = { ok: true; key: string } | { ok: false; error: string };

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

/** What a session needs from the outside world; tests pass fakes. */
export type RoomSessionDeps = {
  /** The page's location: the socket URL is built from its protocol and host. */
  location: Pick<Location, "protocol" | "host">;
  /** Where unconfirmed sends survive a reload (localStorage); null when there is none. */
  storage: Pick<Storage, "getItem" | "setItem" | "removeItem"> | null;
  /** The HTTP client (GET only: the access check and gap fills). */
  http: { get<T>(path: string, query?: Record<string, string | number>): Promise<T> };
  /** Makes the room's socket from the session's callbacks. */
  createSocket: (options: RoomSocketOptions) => RoomSocket;
  /** This tab's id (the socket's `tab` query parameter). */
  tabId: string;
  /**
   * Converts, hashes and uploads images (features/uploads): one result per file, in order, and
   * each as soon as it is settled. Absent: image messages fail with a clear error.
   */
  uploadImages?: (files: Blob[], onResult: (index: number, r: ImageUploadResult) => void) => Promise<ImageUploadResult[]>;
  /** The render batching timer (default: the global setTimeout). */
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (id: unknown) => void;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (id: unknown) => void;
};

export type RoomSessionEvents = {
  /** A live message from someone else (for unread counts and notifications). */
  onIncoming?: (m: Message) => void;
  /** The server refused something that was not a send (edit, delete, rate limit...). */
  onError?: (code: string, message: string) => void;
  onRoomUpdated?: (room: Room) => void;
};

const replyFields = (replyTo?: Message): Pick<PendingMessage, "replyToSeq" | "replyTo"> =>
  replyTo
    ? { replyToSeq: replyTo.seq, replyTo: { seq: replyTo.seq, authorId: replyTo.author.userId, kind: replyTo.kind, snippet: snippetOf(replyTo) } }
    : {};

export const snippetOf = (m: Pick<Message, "kind" | "text" | "images">): string =>
  m.kind === "image" ? (m.images && m.images.length > 1 ? `🖼️ ×${m.images.length}` : "🖼️ Image") : (m.text ?? "").slice(0, 100);

/**
 * Constructing does nothing but allocate (React may construct one and drop it). start() connects;
 * stop() ends everything it started: no frame, timer or HTTP answer that arrives later changes
 * the snapshot, notifies, or writes to storage. A stopped session can be started again (React's
 * StrictMode does that): work begun before the stop stays ignored.
 */
export class RoomSession {
  readonly roomId: string;
  readonly meId: string;
  private readonly deps: RoomSessionDeps;
  private readonly timers: Required<Pick<RoomSessionDeps, "setTimeout" | "clearTimeout" | "setInterval" | "clearInterval">>;
  private readonly socket: RoomSocket;
  private readonly roster = new TypingRoster();
  private readonly typingSender: TypingSender;
  private readonly eventListeners = new Set<RoomSessionEvents>();
  private readonly listeners = new Set<() => void>();
  private snap: RoomSnapshot;
  private status: { user: "active" | "idle"; screen: "locked" | "unlocked" } | null = null;
  private sendTyping = true;
  private fillingGap = false;
  private running = false;
  /** Bumped by every start() and stop(): async work from an earlier run checks it and gives up. */
  private epoch = 0;
  /** The pending list last written to storage (written again only when it changes). */
  private persisted: PendingMessage[] | null = null;
  /** What was last written there (undefined: nothing yet, null: removed). */
  private savedJson: string | null | undefined = undefined;
  private rosterTimer: unknown = null;
  private notifyTimer: unknown = null;
  /** Image messages whose uploads are running now (by clientId). */
  private readonly uploading = new Set<string>();

  constructor(roomId: string, meId: string, deps: RoomSessionDeps) {
    this.roomId = roomId;
    this.meId = meId;
    this.deps = deps;
    this.timers = {
      setTimeout: deps.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms)),
      clearTimeout: deps.clearTimeout ?? ((id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>)),
      setInterval: deps.setInterval ?? ((fn, ms) => globalThis.setInterval(fn, ms)),
      clearInterval: deps.clearInterval ?? ((id) => globalThis.clearInterval(id as ReturnType<typeof setInterval>)),
    };
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
    this.socket = deps.createSocket({
      url: () => {
        const { protocol, host } = this.deps.location;
        const proto = protocol === "https:" ? "wss:" : "ws:";
        return `${proto}//${host}/api/rooms/${encodeURIComponent(roomId)}/ws?tab=${encodeURIComponent(deps.tabId)}`;
      },
      lastSeq: () => (this.snap.chat.loaded ? this.snap.chat.lastSeq : undefined),
      // The socket reports its own stop ("closed") synchronously: a stopped session ignores it.
      onFrame: (f) => this.running && this.onFrame(f),
      onStatus: (status) => this.running && this.update({ status }),
      onTerminal: (code, reason) => this.running && this.end(code, reason),
      onRepeatedFailure: () => this.running && void this.checkAccess(),
    });
  }

  /** Adds listeners for the session's events; returns the function that removes them. */
  listen(events: RoomSessionEvents): () => void {
    this.eventListeners.add(events);
    return () => void this.eventListeners.delete(events);
  }

  private emit<K extends keyof RoomSessionEvents>(name: K, ...args: Parameters<NonNullable<RoomSessionEvents[K]>>) {
    for (const e of this.eventListeners) (e[name] as ((...a: typeof args) => void) | undefined)?.(...args);
  }

  // ---- store -------------------------------------------------------------------------------
  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  };
  getSnapshot = () => this.snap;

  private update(patch: Partial<RoomSnapshot>) {
    if (!this.running) return;
    this.snap = { ...this.snap, ...patch };
    if (patch.chat && patch.chat.pending !== this.persisted) this.persistPending();
    this.scheduleNotify();
  }

  /**
   * Frames arrive one task each; a burst of them is rendered once (within ~16 ms), not once per
   * frame. getSnapshot() is always current; only the re-render is coalesced.
   */
  private scheduleNotify() {
    if (this.notifyTimer !== null) return;
    this.notifyTimer = this.timers.setTimeout(() => {
      this.notifyTimer = null;
      if (this.running) this.listeners.forEach((l) => l());
    }, NOTIFY_BATCH_MS);
  }

  private setChat(fn: (c: ChatState) => ChatState) {
    const next = fn(this.snap.chat);
    if (next !== this.snap.chat) this.update({ chat: next });
  }

  // ---- lifecycle ---------------------------------------------------------------------------
  start() {
    if (this.running) return;
    this.running = true;
    this.epoch++;
    this.restorePending();
    this.failInterruptedUploads();
    if (this.snap.ended) return; // 4401/4403/4404 are final: no new socket
    this.socket.start();
    this.rosterTimer = this.timers.setInterval(() => this.refreshTyping(), 2000);
  }

  /**
   * Ends the socket, the timers and every async step in flight. Subscribers stay (React
   * unsubscribes them itself); they are not called while stopped.
   */
  stop() {
    if (!this.running) return;
    this.typingSender.stop();
    this.running = false;
    this.epoch++;
    this.socket.stop();
    if (this.rosterTimer !== null) this.timers.clearInterval(this.rosterTimer);
    this.rosterTimer = null;
    if (this.notifyTimer !== null) this.timers.clearTimeout(this.notifyTimer);
    this.notifyTimer = null;
    this.fillingGap = false;
  }

  get isRunning(): boolean {
    return this.running;
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
        this.emit("onRoomUpdated", f.room);
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
        if (!known && f.message.author.userId !== this.meId) this.emit("onIncoming", f.message);
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
        this.emit("onRoomUpdated", f.room);
        break;
      case "roomDeleted":
        this.end(4404, "room deleted");
        break;
      case "error":
        if (f.clientId) this.setChat((c) => failPending(c, f.clientId!, { code: f.code, message: f.message }));
        else this.emit("onError", f.code, f.message);
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
    const epoch = this.epoch;
    try {
      await this.deps.http.get(`rooms/${encodeURIComponent(this.roomId)}`);
    } catch (e) {
      if (epoch !== this.epoch) return;
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
    const epoch = this.epoch;
    try {
      let before = gap.before;
      for (let i = 0; i < 50; i++) {
        const page = await this.deps.http.get<{ items: Message[]; hasMore: boolean }>(`rooms/${encodeURIComponent(this.roomId)}/messages`, {
          before,
          limit: 100,
        });
        if (epoch !== this.epoch) return; // stopped meanwhile: a later start fills it again
        const items = page.items.filter((m) => m.seq > gap.after);
        this.setChat((c) => applyGapFill(c, items));
        if (!this.snap.chat.gap || items.length === 0) break;
        before = items[0].seq;
        if (before <= gap.after + 1) break;
      }
    } catch {
      /* the list keeps a hole; a later reconnect retries */
    } finally {
      if (epoch === this.epoch) this.fillingGap = false;
    }
  }

  /** Older messages fetched by the history query. */
  applyHistoryPage(items: Message[], hasMore: boolean) {
    this.setChat((c) => applyHistory(c, items, hasMore));
  }

  // ---- user actions ------------------------------------------------------------------------
  /** Sends a text message. Returns its clientId. Works offline: it is queued and sent later. */
  sendText(text: string, replyTo?: Message): string {
    const p: PendingMessage = { clientId: randomId(), text, createdAt: Date.now(), ...replyFields(replyTo) };
    this.setChat((c) => addPending(c, p));
    this.typingSender.stop();
    this.socket.enqueue(this.frameOf(p));
    return p.clientId;
  }

  /**
   * Sends images: shown at once from the local files, uploaded (converted, hashed, stored), then
   * sent as one image message. A caption is its own text message, sent right after the images
   * and carrying the reply (without a caption the image message carries it). Returns the image
   * message's clientId. A failed upload leaves the message failed with Retry (same clientId).
   */
  sendImages(files: Blob[], opts: { replyTo?: Message; caption?: string } = {}): string {
    const clientId = randomId();
    const caption = opts.caption?.trim();
    const now = Date.now();
    const p: PendingMessage = {
      clientId,
      kind: "image",
      text: "",
      local: files.map((file) => ({ file, state: "uploading" })),
      createdAt: now,
      ...(caption ? {} : replyFields(opts.replyTo)),
    };
    this.setChat((c) => addPending(c, p));
    if (caption) {
      const cap: PendingMessage = { clientId: randomId(), text: caption, createdAt: now, after: clientId, ...replyFields(opts.replyTo) };
      this.setChat((c) => addPending(c, cap));
    }
    this.typingSender.stop();
    void this.upload(clientId);
    return clientId;
  }

  /** Sends a stored image (a sticker) as an image message: nothing to upload, no reply. */
  sendSticker(key: string): string {
    const p: PendingMessage = { clientId: randomId(), kind: "image", text: "", images: [key], createdAt: Date.now() };
    this.setChat((c) => addPending(c, p));
    this.socket.enqueue(this.frameOf(p));
    return p.clientId;
  }

  /** Uploads what is not stored yet of an image message; sends it (and its caption) when all is. */
  private async upload(clientId: string) {
    const p = this.findPending(clientId);
    if (!p?.local || this.uploading.has(clientId)) return;
    const todo = p.local.flatMap((l, i) => (l.state === "done" ? [] : [i]));
    this.setChat((c) => updatePending(c, clientId, startUpload));
    const upload = this.deps.uploadImages;
    const files = todo.map((i) => p.local![i].file);
    if (!upload || files.some((f) => !f)) {
      const error = upload ? "The picked file is no longer available." : "Image uploads are not available here.";
      for (const i of todo) this.setChat((c) => updatePending(c, clientId, (x) => settleImage(x, i, { ok: false, error })));
      this.setChat((c) => updatePending(c, clientId, finishUpload));
      return;
    }
    this.uploading.add(clientId);
    try {
      const results = await upload(files as Blob[], (j, r) => this.setChat((c) => updatePending(c, clientId, (x) => settleImage(x, todo[j], r))));
      // Whatever onResult missed (an uploader that reports only at the end).
      results.forEach((r, j) => this.setChat((c) => updatePending(c, clientId, (x) => settleImage(x, todo[j], r))));
    } catch (e) {
      const error = e instanceof Error && e.message ? e.message : "The upload failed.";
      for (const i of todo) this.setChat((c) => updatePending(c, clientId, (x) => settleImage(x, i, { ok: false, error })));
    } finally {
      this.uploading.delete(clientId);
    }
    this.setChat((c) => updatePending(c, clientId, finishUpload));
    const done = this.findPending(clientId);
    if (this.running && done?.images) this.dispatch(done);
  }

  /** Puts a ready message on the socket, then the captions that waited for it. */
  private dispatch(p: PendingMessage) {
    this.socket.enqueue(this.frameOf(p));
    for (const cap of this.snap.chat.pending.filter((x) => x.after === p.clientId)) {
      this.setChat((c) => updatePending(c, cap.clientId, (x) => ({ ...x, after: undefined })));
      if (!cap.error) this.socket.enqueue(this.frameOf(cap));
    }
  }

  /** Image messages left "uploading" by an upload that ended while the session was stopped. */
  private failInterruptedUploads() {
    for (const p of this.snap.chat.pending) {
      if (!p.local?.some((l) => l.state === "uploading") || this.uploading.has(p.clientId)) continue;
      const error = "The upload was interrupted.";
      this.setChat((c) =>
        updatePending(c, p.clientId, (x) => finishUpload({ ...x, local: x.local!.map((l) => (l.state === "uploading" ? { ...l, state: "failed", error } : l)) })),
      );
    }
  }

  private findPending(clientId: string): PendingMessage | undefined {
    return this.snap.chat.pending.find((x) => x.clientId === clientId);
  }

  /**
   * Tries a failed message again with the same clientId (the server answers a repeated one with
   * the original ack, never a duplicate): an image message re-uploads what did not go up first.
   */
  retry(clientId: string) {
    const p = this.findPending(clientId);
    if (!p) return;
    if (awaitingUpload(p)) {
      if (p.local) void this.upload(clientId);
      return;
    }
    if (p.after && !this.findPending(p.after)) {
      // a caption whose images are gone: it goes on its own
      this.setChat((c) => updatePending(c, clientId, (x) => ({ ...x, after: undefined })));
    } else if (p.after) return; // still waits for its images
    this.setChat((c) => retryPending(c, clientId));
    this.socket.queue.enqueue(this.frameOf(p));
    this.socket.retry(clientId);
  }

  /** Drops an unsent message (and the caption waiting for it). */
  discard(clientId: string) {
    for (const p of this.snap.chat.pending.filter((x) => x.clientId === clientId || x.after === clientId)) {
      this.socket.queue.remove(p.clientId);
      this.setChat((c) => removePending(c, p.clientId));
    }
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

  /** The one place send frames are built. */
  private frameOf(p: PendingMessage): SendFrame {
    const reply = p.replyToSeq !== undefined ? { replyToSeq: p.replyToSeq } : {};
    if (p.kind === "image") return { type: "send", clientId: p.clientId, kind: "image", images: p.images ?? [], ...reply };
    return { type: "send", clientId: p.clientId, kind: "text", text: p.text, ...reply };
  }

  // ---- pending sends survive a reload ------------------------------------------------------
  private get storageKey() {
    return `roomchat.pending.${this.meId}.${this.roomId}`;
  }

  /**
   * Writes the unsent messages that a reload can still send: texts, and image messages whose
   * images are stored (by key). Images still uploading live in memory only (their files cannot
   * be stored); a caption waiting for them is kept and comes back as failed.
   */
  private persistPending() {
    const p = this.snap.chat.pending;
    this.persisted = p;
    const storage = this.deps.storage;
    if (!storage) return;
    const saved = p.filter((x) => !awaitingUpload(x)).map(({ local: _local, ...rest }) => rest);
    const json = saved.length === 0 ? null : JSON.stringify(saved);
    if (json === this.savedJson) return; // an upload's progress changes nothing stored
    try {
      if (json === null) storage.removeItem(this.storageKey);
      else storage.setItem(this.storageKey, json);
      this.savedJson = json;
    } catch {
      /* storage full or disabled: the queue still lives in memory */
    }
  }

  private restorePending() {
    let saved: unknown = [];
    try {
      saved = JSON.parse(this.deps.storage?.getItem(this.storageKey) ?? "[]");
    } catch {
      saved = [];
    }
    if (!Array.isArray(saved)) return;
    const valid = (saved as PendingMessage[]).filter(
      (p) =>
        p &&
        typeof p.clientId === "string" &&
        typeof p.text === "string" &&
        (p.kind !== "image" || (Array.isArray(p.images) && p.images.length > 0 && p.images.every((k) => typeof k === "string"))),
    );
    const ids = new Set(valid.map((p) => p.clientId));
    for (const saved of valid) {
      let p = saved;
      if (p.after) {
        p = ids.has(p.after)
          ? { ...p, after: undefined } // its images are stored and queued just before it
          : { ...p, after: undefined, error: { code: "images_lost", message: "Its images were not uploaded before the page closed." } };
      }
      this.setChat((c) => addPending(c, p));
      if (!p.error) this.socket.queue.enqueue(this.frameOf(p));
    }
  }
}

export type { ReplyRef };
