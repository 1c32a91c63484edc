import { beforeEach, describe, expect, it } from "vitest";
import type { ServerFrame } from "@/types/api";
import { FakeWs } from "@/test/fake-web-socket";
import { RoomSocket, type ConnectionStatus } from "./ws-client";

const welcome = (lastSeq: number): ServerFrame =>
  ({ type: "welcome", connId: "c", you: {}, room: {}, messages: [], hasMore: false, presence: [], call: { participants: [] }, lastSeq }) as unknown as ServerFrame;

function setup(opts: { online?: () => boolean } = {}) {
  FakeWs.all = [];
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let id = 0;
  let lastSeq: number | undefined;
  const frames: ServerFrame[] = [];
  const statuses: ConnectionStatus[] = [];
  const terminal: number[] = [];
  const sock = new RoomSocket({
    url: () => "ws://x/api/rooms/r/ws?tab=t",
    lastSeq: () => lastSeq,
    onFrame: (f) => {
      frames.push(f);
      if (f.type === "welcome") lastSeq = f.lastSeq;
      if (f.type === "ack") lastSeq = f.message.seq;
    },
    onStatus: (s) => statuses.push(s),
    onTerminal: (c) => terminal.push(c),
    WebSocketImpl: FakeWs,
    setTimeout: (fn, ms) => {
      timers.set(++id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (t) => void timers.delete(t as number),
    now: () => now,
    random: () => 0.5,
    isOnline: opts.online ?? (() => true),
    pingIntervalMs: 1000,
    deadAfterMs: 2500,
  });
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > end) break;
      now = next[1].at;
      timers.delete(next[0]);
      next[1].fn();
    }
    now = end;
  };
  const last = () => FakeWs.all[FakeWs.all.length - 1];
  return { sock, advance, last, frames, statuses, terminal };
}

const sendFrame = (clientId: string) => ({ type: "send" as const, clientId, kind: "text" as const, text: clientId });

describe("RoomSocket", () => {
  beforeEach(() => {
    FakeWs.all = [];
  });

  it("says hello first, without lastSeq on the first open", () => {
    const { sock, last } = setup();
    sock.start();
    last().open();
    expect(last().sent).toEqual([{ type: "hello" }]);
  });

  it("holds sends until welcome, then flushes them in order", () => {
    const { sock, last } = setup();
    sock.start();
    sock.enqueue(sendFrame("a"));
    last().open();
    sock.enqueue(sendFrame("b"));
    expect(last().sent).toHaveLength(1);
    last().frame(welcome(0));
    expect(last().sent.slice(1)).toEqual([sendFrame("a"), sendFrame("b")]);
  });

  it("reconnects with backoff, says hello with lastSeq and resends unacked frames", () => {
    const { sock, last, advance, statuses } = setup();
    sock.start();
    last().open();
    last().frame(welcome(7));
    sock.enqueue(sendFrame("a"));
    sock.enqueue(sendFrame("b"));
    last().frame({ type: "ack", clientId: "a", message: { seq: 8 } });
    last().drop(1012);
    expect(statuses.at(-1)).toBe("reconnecting");
    expect(FakeWs.all).toHaveLength(1);
    advance(400); // attempt 0 with random 0.5 → 375 ms
    expect(FakeWs.all).toHaveLength(2);
    last().open();
    expect(last().sent).toEqual([{ type: "hello", lastSeq: 8 }]);
    last().frame(welcome(8));
    expect(last().sent.slice(1)).toEqual([sendFrame("b")]);
    expect(sock.queue.size).toBe(1);
    expect(statuses.at(-1)).toBe("open");
  });

  it("backs off further after each failure and reports repeated failures", () => {
    const failures: number[] = [];
    const t = setup();
    const sock = new RoomSocket({
      ...(t.sock as unknown as { o: object }).o,
      onRepeatedFailure: (n: number) => failures.push(n),
    } as never);
    sock.start();
    FakeWs.all.at(-1)!.drop();
    t.advance(375);
    FakeWs.all.at(-1)!.drop();
    t.advance(700); // attempt 1 → 750 ms: not yet
    const count = FakeWs.all.length;
    t.advance(50);
    expect(FakeWs.all.length).toBe(count + 1);
    FakeWs.all.at(-1)!.drop();
    expect(failures).toEqual([3]);
  });

  it("does not reconnect after 4401, 4403 or 4404", () => {
    for (const code of [4401, 4403, 4404]) {
      const { sock, last, advance, terminal } = setup();
      sock.start();
      last().open();
      last().frame(welcome(0));
      last().drop(code);
      advance(60_000);
      expect(FakeWs.all).toHaveLength(1);
      expect(terminal).toEqual([code]);
    }
  });

  it("keeps a refused send out of resends until retried", () => {
    const { sock, last } = setup();
    sock.start();
    last().open();
    last().frame(welcome(0));
    sock.enqueue(sendFrame("a"));
    last().frame({ type: "error", code: "too_long", message: "x", clientId: "a" });
    expect(sock.queue.state("a")).toBe("failed");
    sock.retry("a");
    expect(last().sent.filter((f) => (f as { clientId?: string }).clientId === "a")).toHaveLength(2);
  });

  it("queues while offline and sends after the network returns", () => {
    let online = true;
    const { sock, last, advance } = setup({ online: () => online });
    sock.start();
    last().open();
    last().frame(welcome(3));
    online = false;
    sock.wentOffline();
    expect(last().closedWith).toBe(4000);
    sock.enqueue(sendFrame("x"));
    expect(sock.send({ type: "typing", active: true })).toBe(false);
    online = true;
    sock.reconnectNow();
    advance(0);
    last().open();
    last().frame(welcome(3));
    expect(last().sent).toEqual([{ type: "hello", lastSeq: 3 }, sendFrame("x")]);
  });

  it("pings and reconnects when the server goes silent", () => {
    const { sock, last, advance } = setup();
    sock.start();
    last().open();
    last().frame(welcome(0));
    advance(1000);
    expect(last().sent).toContainEqual({ type: "ping" });
    advance(2000);
    expect(FakeWs.all).toHaveLength(2);
  });

  it("stop closes the socket and schedules nothing", () => {
    const { sock, last, advance } = setup();
    sock.start();
    last().open();
    sock.stop();
    advance(60_000);
    expect(FakeWs.all).toHaveLength(1);
    expect(last().closedWith).toBe(1000);
  });
});
