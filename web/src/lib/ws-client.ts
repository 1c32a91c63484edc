// The one WebSocket client: a room connection that reconnects with backoff and jitter, says
// `hello {lastSeq}` on every open, and owns a send queue keyed by clientId that survives
// reconnects (frames are resent until their `ack`). It knows the wire, not React.
import type { ClientFrame, SendFrame, ServerFrame } from "@/types/api";
import { backoffDelay } from "./backoff";
import { SendQueue } from "./send-queue";

export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "offline" | "closed";

/** Close codes after which reconnecting is pointless. */
export const CLOSE_SESSION_ENDED = 4401;
export const CLOSE_REMOVED = 4403;
export const CLOSE_ROOM_DELETED = 4404;
const TERMINAL = new Set([CLOSE_SESSION_ENDED, CLOSE_REMOVED, CLOSE_ROOM_DELETED]);

type WsLike = {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
};

export type RoomSocketOptions = {
  url: () => string;
  /** Highest seq the client holds, or undefined before the first welcome. */
  lastSeq: () => number | undefined;
  onFrame: (frame: ServerFrame) => void;
  onStatus?: (status: ConnectionStatus) => void;
  /** 4401/4403/4404: the socket will not come back. */
  onTerminal?: (code: number, reason: string) => void;
  /** Called after several failed attempts that never opened (the upgrade may be refused). */
  onRepeatedFailure?: (failures: number) => void;
  WebSocketImpl?: new (url: string) => WsLike;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (id: unknown) => void;
  now?: () => number;
  random?: () => number;
  isOnline?: () => boolean;
  pingIntervalMs?: number;
  /** Declared dead when nothing was heard for this long (pings are answered by pong). */
  deadAfterMs?: number;
};

const OPEN = 1;

export class RoomSocket {
  readonly queue = new SendQueue<SendFrame>();
  private ws: WsLike | null = null;
  private status: ConnectionStatus = "closed";
  private welcomed = false;
  private everOpened = false;
  private stopped = true;
  private attempt = 0;
  private failuresWithoutOpen = 0;
  private retryTimer: unknown = null;
  private pingTimer: unknown = null;
  private lastHeard = 0;
  private readonly o: Required<
    Pick<RoomSocketOptions, "setTimeout" | "clearTimeout" | "now" | "random" | "isOnline" | "pingIntervalMs" | "deadAfterMs">
  > &
    RoomSocketOptions;

  constructor(options: RoomSocketOptions) {
    this.o = {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
      now: () => Date.now(),
      random: Math.random,
      isOnline: () => (typeof navigator === "undefined" ? true : navigator.onLine !== false),
      pingIntervalMs: 15_000,
      deadAfterMs: 35_000,
      ...options,
    };
  }

  get connectionStatus(): ConnectionStatus {
    return this.status;
  }

  /** True once the server welcomed this connection: frames may be sent. */
  get ready(): boolean {
    return this.welcomed && this.ws?.readyState === OPEN;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    this.welcomed = false;
    if (ws) {
      this.detach(ws);
      try {
        ws.close(1000, "bye");
      } catch {
        /* already closed */
      }
    }
    this.queue.connectionLost();
    this.setStatus("closed");
  }

  /** Sends a fire-and-forget frame (typing, status, edit, ...). False when not connected. */
  send(frame: ClientFrame): boolean {
    if (!this.ready || !this.o.isOnline()) return false;
    this.ws!.send(JSON.stringify(frame));
    return true;
  }

  /** Queues a `send` frame; it goes out now if connected, else after the next welcome. */
  enqueue(frame: SendFrame): void {
    this.queue.enqueue(frame);
    this.flush();
  }

  retry(clientId: string): void {
    this.queue.retry(clientId);
    this.flush();
  }

  /** The network came back or the tab became visible: reconnect now unless healthy. */
  reconnectNow(): void {
    if (this.stopped) return;
    if (this.ws && this.status === "open" && this.o.now() - this.lastHeard < this.o.pingIntervalMs) {
      this.flush();
      return;
    }
    this.attempt = 0;
    this.dropAndReconnect(0);
  }

  /** The browser says the network is gone: close now, queue sends, wait for "online". */
  wentOffline(): void {
    if (this.stopped) return;
    this.dropSocket();
    this.setStatus("offline");
    this.clearRetry();
    // probe slowly in case the "online" event never comes
    this.retryTimer = this.o.setTimeout(() => this.connect(), 10_000);
  }

  private connect(): void {
    if (this.stopped) return;
    this.clearRetry();
    if (!this.o.isOnline()) {
      this.setStatus("offline");
      this.retryTimer = this.o.setTimeout(() => this.connect(), 10_000);
      return;
    }
    this.setStatus(this.everOpened ? "reconnecting" : "connecting");
    const Impl = this.o.WebSocketImpl ?? (WebSocket as unknown as new (url: string) => WsLike);
    let ws: WsLike;
    try {
      ws = new Impl(this.o.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.welcomed = false;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.failuresWithoutOpen = 0;
      this.lastHeard = this.o.now();
      const lastSeq = this.o.lastSeq();
      ws.send(JSON.stringify(lastSeq ? { type: "hello", lastSeq } : { type: "hello" }));
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastHeard = this.o.now();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(ev.data)) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === "welcome") {
        this.welcomed = true;
        this.everOpened = true;
        this.attempt = 0;
        this.setStatus("open");
        this.startPing();
      } else if (frame.type === "ack") {
        this.queue.ack(frame.clientId);
      } else if (frame.type === "error" && frame.clientId) {
        this.queue.fail(frame.clientId);
      }
      this.o.onFrame(frame);
      if (frame.type === "welcome") this.flush();
    };
    ws.onerror = () => {
      /* onclose follows */
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      const opened = this.welcomed;
      this.ws = null;
      this.welcomed = false;
      this.stopPing();
      this.queue.connectionLost();
      if (TERMINAL.has(ev.code)) {
        this.stopped = true;
        this.setStatus("closed");
        this.o.onTerminal?.(ev.code, ev.reason);
        return;
      }
      if (!opened) {
        this.failuresWithoutOpen++;
        if (this.failuresWithoutOpen % 3 === 0) this.o.onRepeatedFailure?.(this.failuresWithoutOpen);
      }
      this.scheduleReconnect();
    };
  }

  private flush(): void {
    if (!this.ready || !this.o.isOnline()) return;
    for (const frame of this.queue.takeSendable()) this.ws!.send(JSON.stringify(frame));
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.clearRetry();
    const delay = backoffDelay(this.attempt++, this.o.random);
    this.setStatus(this.o.isOnline() ? "reconnecting" : "offline");
    this.retryTimer = this.o.setTimeout(() => this.connect(), delay);
  }

  private dropAndReconnect(delay: number): void {
    this.dropSocket();
    this.clearRetry();
    this.setStatus("reconnecting");
    this.retryTimer = this.o.setTimeout(() => this.connect(), delay);
  }

  private dropSocket(): void {
    const ws = this.ws;
    this.ws = null;
    this.welcomed = false;
    this.stopPing();
    this.queue.connectionLost();
    if (ws) {
      this.detach(ws);
      try {
        ws.close(4000, "reconnect");
      } catch {
        /* ignore */
      }
    }
  }

  private detach(ws: WsLike): void {
    ws.onopen = ws.onmessage = ws.onerror = null;
    ws.onclose = null;
  }

  private startPing(): void {
    this.stopPing();
    const tick = () => {
      if (!this.ws) return;
      if (this.o.now() - this.lastHeard > this.o.deadAfterMs) {
        this.dropAndReconnect(0);
        return;
      }
      if (this.ws.readyState === OPEN) this.ws.send('{"type":"ping"}');
      this.pingTimer = this.o.setTimeout(tick, this.o.pingIntervalMs);
    };
    this.pingTimer = this.o.setTimeout(tick, this.o.pingIntervalMs);
  }

  private stopPing(): void {
    if (this.pingTimer !== null) this.o.clearTimeout(this.pingTimer);
    this.pingTimer = null;
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) this.o.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private clearTimers(): void {
    this.clearRetry();
    this.stopPing();
  }

  private setStatus(s: ConnectionStatus): void {
    if (this.status === s) return;
    this.status = s;
    this.o.onStatus?.(s);
  }
}
