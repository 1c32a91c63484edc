import { beforeEach, describe, expect, it } from "vitest";
import { ApiError } from "@/lib/api-client";
import { RoomSocket } from "@/lib/ws-client";
import type { Message, Room, User } from "@/types/api";
import { FakeWs } from "@/test/fake-web-socket";
import { RoomSession, type ImageUploadResult, type RoomSessionDeps } from "./room-session";

/** An in-memory Storage that counts its writes. */
class FakeStorage {
  data = new Map<string, string>();
  writes = 0;
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.writes++;
    this.data.set(k, v);
  }
  removeItem(k: string) {
    this.writes++;
    this.data.delete(k);
  }
}

/** HTTP answers the test releases by hand. */
class FakeHttp {
  calls: { path: string; query?: Record<string, string | number>; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  get<T>(path: string, query?: Record<string, string | number>): Promise<T> {
    return new Promise<T>((resolve, reject) => this.calls.push({ path, query, resolve: resolve as (v: unknown) => void, reject }));
  }
}

const me: User = { id: "me", username: "me", displayName: "Me" } as User;
const room: Room = { id: "r1", name: "General" } as Room;

const msg = (seq: number, extra: Partial<Message> = {}): Message => ({
  seq,
  id: `id-${seq}`,
  roomId: "r1",
  author: { kind: "user", userId: "u2" },
  kind: "text",
  text: `m${seq}`,
  createdAt: 1000 + seq,
  ...extra,
});

const welcome = (messages: Message[], extra: object = {}) => ({
  type: "welcome",
  connId: "c",
  you: me,
  room,
  messages,
  hasMore: false,
  presence: [],
  call: { participants: [] },
  lastSeq: messages.length ? messages[messages.length - 1].seq : 0,
  ...extra,
});

const flushPromises = () => new Promise<void>((r) => setTimeout(r, 0));

function setup(opts: { storage?: FakeStorage; location?: { protocol: string; host: string }; uploadImages?: RoomSessionDeps["uploadImages"] } = {}) {
  FakeWs.all = [];
  let now = 0;
  let id = 0;
  const timers = new Map<number, { at: number; fn: () => void; every?: number }>();
  const setT = (fn: () => void, ms: number) => {
    timers.set(++id, { at: now + ms, fn });
    return id;
  };
  const setI = (fn: () => void, ms: number) => {
    timers.set(++id, { at: now + ms, fn, every: ms });
    return id;
  };
  const clear = (t: unknown) => void timers.delete(t as number);
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > end) break;
      now = next[1].at;
      if (next[1].every) next[1].at = now + next[1].every;
      else timers.delete(next[0]);
      next[1].fn();
    }
    now = end;
  };
  const storage = opts.storage ?? new FakeStorage();
  const http = new FakeHttp();
  const deps: RoomSessionDeps = {
    location: opts.location ?? { protocol: "http:", host: "chat.example:8080" },
    storage,
    http,
    createSocket: (o) =>
      new RoomSocket({ ...o, WebSocketImpl: FakeWs, setTimeout: setT, clearTimeout: clear, now: () => now, random: () => 0.5, isOnline: () => true }),
    tabId: "tab 1",
    uploadImages: opts.uploadImages,
    setTimeout: setT,
    clearTimeout: clear,
    setInterval: setI,
    clearInterval: clear,
  };
  const session = new RoomSession("r1", "me", deps);
  let notified = 0;
  session.subscribe(() => notified++);
  const last = () => FakeWs.all[FakeWs.all.length - 1];
  /** Starts, opens the socket and delivers a welcome. */
  const connect = (messages: Message[] = [msg(1), msg(2)], extra: object = {}) => {
    session.start();
    last().open();
    last().frame(welcome(messages, extra));
  };
  return { session, storage, http, advance, last, connect, timers, notifications: () => notified };
}

describe("RoomSession", () => {
  beforeEach(() => {
    FakeWs.all = [];
  });

  it("connects nothing until started, then opens the room's socket from the location it was given", () => {
    const { session, last } = setup({ location: { protocol: "https:", host: "chat.example" } });
    expect(FakeWs.all).toHaveLength(0);
    session.start();
    expect(last().url).toBe("wss://chat.example/api/rooms/r1/ws?tab=tab%201");
  });

  it("applies the welcome and notifies subscribers once per burst of frames", () => {
    const { session, connect, last, advance, notifications } = setup();
    connect([msg(1), msg(2)], { hasMore: true });
    last().frame({ type: "message", message: msg(3) });
    last().frame({ type: "message", message: msg(4) });
    const s = session.getSnapshot();
    expect(s.chat.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(s.me?.id).toBe("me");
    expect(s.status).toBe("open");
    expect(s.anchor).toEqual({ seq: 1, hasMore: true });
    expect(notifications()).toBe(0); // coalesced
    advance(16);
    expect(notifications()).toBe(1);
  });

  it("sends a text optimistically, keeps it in storage until the ack, then forgets it", () => {
    const { session, connect, last, storage } = setup();
    connect();
    const clientId = session.sendText("hello", msg(2));
    expect(session.getSnapshot().chat.pending.map((p) => p.text)).toEqual(["hello"]);
    expect(last().sends).toEqual([{ type: "send", clientId, kind: "text", text: "hello", replyToSeq: 2 }]);
    expect(JSON.parse(storage.getItem("roomchat.pending.me.r1") ?? "[]")).toHaveLength(1);
    last().frame({ type: "ack", clientId, message: msg(3, { author: { kind: "user", userId: "me" }, text: "hello", clientId }) });
    expect(session.getSnapshot().chat.pending).toHaveLength(0);
    expect(session.getSnapshot().chat.messages.at(-1)?.text).toBe("hello");
    expect(storage.getItem("roomchat.pending.me.r1")).toBeNull();
  });

  it("writes storage only when the pending list changes, not on every message", () => {
    const { connect, last, storage } = setup();
    connect();
    const before = storage.writes;
    for (let s = 3; s < 50; s++) last().frame({ type: "message", message: msg(s) });
    last().frame({ type: "messageUpdated", message: msg(10, { text: "edited", editedAt: 5 }) });
    last().frame({ type: "presence", users: [] });
    expect(storage.writes).toBe(before);
  });

  it("restores unconfirmed sends from storage and resends them after the welcome", () => {
    const storage = new FakeStorage();
    storage.setItem("roomchat.pending.me.r1", JSON.stringify([{ clientId: "c1", text: "queued", createdAt: 1 }, { bogus: true }]));
    const { session, connect, last } = setup({ storage });
    connect();
    expect(session.getSnapshot().chat.pending.map((p) => p.clientId)).toEqual(["c1"]);
    expect(last().sends).toEqual([{ type: "send", clientId: "c1", kind: "text", text: "queued" }]);
  });

  it("tells listeners about messages from others only, until they stop listening", () => {
    const { session, connect, last } = setup();
    const incoming: number[] = [];
    const off = session.listen({ onIncoming: (m) => incoming.push(m.seq) });
    connect();
    last().frame({ type: "message", message: msg(3) });
    last().frame({ type: "message", message: msg(4, { author: { kind: "user", userId: "me" }, clientId: "x" }) });
    off();
    last().frame({ type: "message", message: msg(5) });
    expect(incoming).toEqual([3]);
  });

  it("marks a refused send as failed and reports other errors to listeners", () => {
    const { session, connect, last } = setup();
    const errors: string[] = [];
    session.listen({ onError: (code) => errors.push(code) });
    connect();
    const clientId = session.sendText("too much");
    last().frame({ type: "error", clientId, code: "too_long", message: "too long" });
    last().frame({ type: "error", code: "rate_limited", message: "slow down" });
    expect(session.getSnapshot().chat.pending[0].error?.code).toBe("too_long");
    expect(errors).toEqual(["rate_limited"]);
  });

  it("fills the hole a catch-up reset leaves through the HTTP client", async () => {
    const { session, connect, last, http, advance } = setup();
    connect([msg(1), msg(2)]);
    last().drop(1012);
    advance(400);
    last().open();
    expect(last().sent[0]).toEqual({ type: "hello", lastSeq: 2 });
    last().frame(welcome([msg(8), msg(9)], { reset: true }));
    expect(session.getSnapshot().chat.gap).toEqual({ after: 2, before: 8 });
    expect(http.calls.map((c) => [c.path, c.query])).toEqual([["rooms/r1/messages", { before: 8, limit: 100 }]]);
    http.calls[0].resolve({ items: [msg(3), msg(4), msg(5), msg(6), msg(7)], hasMore: true });
    await flushPromises();
    expect(session.getSnapshot().chat.gap).toBeNull();
    expect(session.getSnapshot().chat.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("ends the room when the upgrade keeps failing and the HTTP check says it is gone", async () => {
    const { session, last, http, advance } = setup();
    session.start();
    for (let i = 0; i < 3; i++) {
      last().drop(1006);
      advance(60_000);
    }
    expect(http.calls.map((c) => c.path)).toEqual(["rooms/r1"]);
    const sockets = FakeWs.all.length;
    http.calls[0].reject(new ApiError(403, "forbidden", "no"));
    await flushPromises();
    expect(session.getSnapshot().ended).toEqual({ code: 4403, reason: "forbidden" });
    expect(session.getSnapshot().status).toBe("closed");
    advance(60_000);
    expect(FakeWs.all).toHaveLength(sockets); // no reconnect after the end
  });

  it("a terminal close code ends the session for good", () => {
    const { session, connect, last, advance } = setup();
    connect();
    last().drop(4404);
    expect(session.getSnapshot().ended?.code).toBe(4404);
    advance(60_000);
    expect(FakeWs.all).toHaveLength(1);
  });

  describe("after stop()", () => {
    it("closes the socket, clears its timers and notifies nobody", () => {
      const { session, connect, last, advance, timers, notifications } = setup();
      connect();
      session.keystroke();
      last().frame({ type: "message", message: msg(3) }); // a notify is now scheduled
      const ws = last();
      session.stop();
      expect(ws.closedWith).toBe(1000);
      expect(ws.sent.filter((f) => f.type === "typing")).toEqual([
        { type: "typing", active: true },
        { type: "typing", active: false },
      ]);
      expect(timers.size).toBe(0);
      advance(60_000);
      expect(notifications()).toBe(0);
      expect(session.getSnapshot().status).toBe("open"); // the socket's own "closed" was ignored
    });

    it("ignores HTTP answers that arrive later and writes nothing to storage", async () => {
      const { session, connect, last, http, advance, storage } = setup();
      connect([msg(1), msg(2)]);
      last().drop(1012);
      advance(400);
      last().open();
      last().frame(welcome([msg(8)], { reset: true }));
      session.sendText("unsent");
      const snap = session.getSnapshot();
      const writes = storage.writes;
      session.stop();
      http.calls[0].resolve({ items: [msg(3), msg(4), msg(5), msg(6), msg(7)], hasMore: true });
      await flushPromises();
      session.applyHistoryPage([msg(0)], false);
      session.discard(snap.chat.pending[0].clientId);
      expect(session.getSnapshot()).toBe(snap);
      expect(storage.writes).toBe(writes);
      expect(http.calls).toHaveLength(1);
    });

    it("starts again with a new socket that catches up from where it was (React StrictMode)", () => {
      const { session, connect, last, advance, notifications } = setup();
      connect([msg(1), msg(2)]);
      session.stop();
      session.start();
      expect(FakeWs.all).toHaveLength(2);
      last().open();
      expect(last().sent[0]).toEqual({ type: "hello", lastSeq: 2 });
      last().frame(welcome([msg(3)]));
      advance(16);
      expect(session.getSnapshot().chat.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
      expect(notifications()).toBe(1);
    });
  });
  describe("images", () => {
    /** An uploader the test settles by hand, file by file. */
    class FakeUploader {
      calls: { files: Blob[]; onResult: (i: number, r: ImageUploadResult) => void; done: (r: ImageUploadResult[]) => void }[] = [];
      upload = (files: Blob[], onResult: (i: number, r: ImageUploadResult) => void) =>
        new Promise<ImageUploadResult[]>((done) => this.calls.push({ files, onResult, done }));
      /** Settles call `n` with keys (strings) or errors ({ error }). */
      settle(n: number, outcome: (string | { error: string })[]) {
        const rs = outcome.map<ImageUploadResult>((o) => (typeof o === "string" ? { ok: true, key: o } : { ok: false, error: o.error }));
        rs.forEach((r, i) => this.calls[n].onResult(i, r));
        this.calls[n].done(rs);
      }
    }
    const blob = (s: string) => new Blob([s]);
    const pendingOf = (session: RoomSession, clientId: string) => session.getSnapshot().chat.pending.find((p) => p.clientId === clientId)!;

    it("shows the images at once, uploads, then sends the image message and its caption in that order", async () => {
      const up = new FakeUploader();
      const { session, connect, last } = setup({ uploadImages: up.upload });
      connect();
      const a = blob("a");
      const id = session.sendImages([a, blob("b")], { replyTo: msg(2), caption: "look" });
      const [img, cap] = session.getSnapshot().chat.pending;
      expect(img).toMatchObject({ clientId: id, kind: "image", text: "" });
      expect(img.local?.map((l) => l.state)).toEqual(["uploading", "uploading"]);
      expect(img.local?.[0].file).toBe(a);
      expect(img.replyToSeq).toBeUndefined(); // the caption carries the reply
      expect(cap).toMatchObject({ text: "look", after: id, replyToSeq: 2 });
      expect(last().sends).toEqual([]);
      expect(up.calls[0].files).toHaveLength(2);
      up.calls[0].onResult(1, { ok: true, key: "k2" });
      expect(pendingOf(session, id).local?.map((l) => l.state)).toEqual(["uploading", "done"]);
      up.settle(0, ["k1", "k2"]);
      await flushPromises();
      expect(last().sends).toEqual([
        { type: "send", clientId: id, kind: "image", images: ["k1", "k2"] },
        { type: "send", clientId: cap.clientId, kind: "text", text: "look", replyToSeq: 2 },
      ]);
    });

    it("puts the reply on the image message when there is no caption", async () => {
      const up = new FakeUploader();
      const { session, connect, last } = setup({ uploadImages: up.upload });
      connect();
      const id = session.sendImages([blob("a")], { replyTo: msg(1) });
      expect(session.getSnapshot().chat.pending).toHaveLength(1);
      up.settle(0, ["k1"]);
      await flushPromises();
      expect(last().sends).toEqual([{ type: "send", clientId: id, kind: "image", images: ["k1"], replyToSeq: 1 }]);
    });

    it("a failed upload fails the message; Retry uploads only what failed and sends with the same clientId", async () => {
      const up = new FakeUploader();
      const { session, connect, last } = setup({ uploadImages: up.upload });
      connect();
      const b = blob("b");
      const id = session.sendImages([blob("a"), b, blob("c")], { caption: "three" });
      up.settle(0, ["k1", { error: "The upload link expired or was refused." }, "k3"]);
      await flushPromises();
      const failed = pendingOf(session, id);
      expect(failed.error).toEqual({ code: "upload_failed", message: "1 of 3 images could not be uploaded: The upload link expired or was refused." });
      expect(failed.local?.map((l) => l.state)).toEqual(["done", "failed", "done"]);
      expect(last().sends).toEqual([]); // neither the images nor the caption
      session.retry(id);
      expect(pendingOf(session, id).error).toBeUndefined();
      expect(up.calls[1].files).toEqual([b]);
      up.settle(1, ["k2"]);
      await flushPromises();
      expect(last().sends.map((f) => [f.clientId === id, f.kind, f.images ?? f.text])).toEqual([
        [true, "image", ["k1", "k2", "k3"]],
        [false, "text", "three"],
      ]);
      last().frame({ type: "ack", clientId: id, message: msg(3, { author: { kind: "user", userId: "me" }, kind: "image", images: ["k1", "k2", "k3"], text: undefined }) });
      expect(session.getSnapshot().chat.pending.map((p) => p.text)).toEqual(["three"]);
    });

    it("an uploader that throws fails every image with its words", async () => {
      const { session, connect } = setup({ uploadImages: () => Promise.reject(new Error("offline")) });
      connect();
      const id = session.sendImages([blob("a")]);
      await flushPromises();
      expect(pendingOf(session, id).error?.message).toBe("The image could not be uploaded: offline");
    });

    it("discarding an image message drops the caption waiting for it", async () => {
      const up = new FakeUploader();
      const { session, connect, last } = setup({ uploadImages: up.upload });
      connect();
      const id = session.sendImages([blob("a")], { caption: "gone too" });
      session.discard(id);
      expect(session.getSnapshot().chat.pending).toEqual([]);
      up.settle(0, ["k1"]);
      await flushPromises();
      expect(last().sends).toEqual([]);
    });

    it("stores image messages once their images are stored, without the files; a caption whose images were lost comes back failed", async () => {
      const up = new FakeUploader();
      const storage = new FakeStorage();
      const { session, connect } = setup({ uploadImages: up.upload, storage });
      connect();
      session.sendImages([blob("a")], { caption: "first" });
      const saved = () => JSON.parse(storage.getItem("roomchat.pending.me.r1") ?? "[]") as Record<string, unknown>[];
      expect(saved().map((p) => p.text)).toEqual(["first"]); // the image message cannot survive a reload yet
      up.settle(0, ["k1"]);
      await flushPromises();
      expect(saved().map((p) => [p.kind ?? "text", p.images ?? p.text])).toEqual([
        ["image", ["k1"]],
        ["text", "first"],
      ]);
      expect(saved()[0].local).toBeUndefined();
      const writes = storage.writes;
      const id2 = session.sendImages([blob("b"), blob("c")]);
      up.calls[1].onResult(0, { ok: true, key: "kb" });
      expect(storage.writes).toBe(writes); // progress of an upload is not stored
      expect(saved().map((p) => p.clientId)).not.toContain(id2);

      // a reload while a caption's images were still uploading
      const storage2 = new FakeStorage();
      storage2.setItem("roomchat.pending.me.r1", JSON.stringify([{ clientId: "cap", text: "orphan", after: "img", createdAt: 1 }]));
      const s2 = setup({ storage: storage2 });
      s2.connect();
      expect(s2.session.getSnapshot().chat.pending[0].error?.code).toBe("images_lost");
      expect(s2.last().sends).toEqual([]);
      s2.session.retry("cap");
      expect(s2.last().sends).toEqual([{ type: "send", clientId: "cap", kind: "text", text: "orphan" }]);
    });

    it("restores stored image messages and their captions in order", () => {
      const storage = new FakeStorage();
      storage.setItem(
        "roomchat.pending.me.r1",
        JSON.stringify([
          { clientId: "img", kind: "image", text: "", images: ["k1"], createdAt: 1 },
          { clientId: "cap", text: "hi", after: "img", createdAt: 1 },
          { clientId: "bad", kind: "image", text: "", createdAt: 1 },
        ]),
      );
      const { session, connect, last } = setup({ storage });
      connect();
      expect(session.getSnapshot().chat.pending.map((p) => p.clientId)).toEqual(["img", "cap"]);
      expect(last().sends).toEqual([
        { type: "send", clientId: "img", kind: "image", images: ["k1"] },
        { type: "send", clientId: "cap", kind: "text", text: "hi" },
      ]);
    });

    it("sends a sticker as an image message with its key: no upload, no reply", () => {
      const up = new FakeUploader();
      const { session, connect, last } = setup({ uploadImages: up.upload });
      connect();
      const id = session.sendSticker("abc");
      expect(up.calls).toHaveLength(0);
      expect(last().sends).toEqual([{ type: "send", clientId: id, kind: "image", images: ["abc"] }]);
    });

    it("an upload that ended while stopped leaves the message failed, ready to retry", async () => {
      const up = new FakeUploader();
      const { session, connect, last } = setup({ uploadImages: up.upload });
      connect();
      const id = session.sendImages([blob("a")]);
      session.stop();
      up.settle(0, ["k1"]);
      await flushPromises();
      session.start();
      last().open();
      last().frame(welcome([msg(1), msg(2)]));
      expect(pendingOf(session, id).error?.message).toBe("The image could not be uploaded: The upload was interrupted.");
      session.retry(id);
      up.settle(1, ["k1"]);
      await flushPromises();
      expect(last().sends).toEqual([{ type: "send", clientId: id, kind: "image", images: ["k1"] }]);
    });

    it("without an uploader, image messages fail with a clear error", async () => {
      const { session, connect } = setup();
      connect();
      const id = session.sendImages([blob("a")]);
      await flushPromises();
      expect(pendingOf(session, id).error?.message).toBe("The image could not be uploaded: Image uploads are not available here.");
    });
  });
});
