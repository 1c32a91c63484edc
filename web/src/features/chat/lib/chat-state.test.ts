import { describe, expect, it, vi } from "vitest";
import type { Message } from "@/types/api";
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
  findMessage,
  awaitingUpload,
  finishUpload,
  mergeMessages,
  retryPending,
  settleImage,
  startUpload,
  updatePending,
  type ChatState,
  type PendingMessage,
} from "./chat-state";

const msg = (seq: number, extra: Partial<Message> = {}): Message => ({
  seq,
  id: `id-${seq}`,
  roomId: "r",
  author: { kind: "user", userId: extra.author?.userId ?? "u2" },
  kind: "text",
  text: `m${seq}`,
  createdAt: 1000 + seq,
  ...extra,
});
const seqs = (s: ChatState) => s.messages.map((m) => m.seq);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => msg(a + i));

describe("mergeMessages", () => {
  it("keeps seq order with no duplicates", () => {
    const out = mergeMessages([msg(1), msg(3)], [msg(2), msg(3), msg(0)]);
    expect(out.map((m) => m.seq)).toEqual([0, 1, 2, 3]);
  });
  it("lets a deletion or a later edit win over an older copy", () => {
    const edited = msg(2, { text: "new", editedAt: 5 });
    expect(mergeMessages([edited], [msg(2)])[0].text).toBe("new");
    const deleted = msg(2, { deleted: true, text: undefined });
    expect(mergeMessages([msg(2)], [deleted])[0].deleted).toBe(true);
    expect(mergeMessages([deleted], [msg(2)])[0].deleted).toBe(true);
  });
});

describe("optimistic sends", () => {
  const welcomed = applyWelcome(emptyChat, { messages: range(1, 3), hasMore: false, lastSeq: 3 }, "me");

  it("replaces the pending bubble by the acked message", () => {
    let s = addPending(welcomed, { clientId: "c1", text: "hi", createdAt: 1 });
    expect(s.pending).toHaveLength(1);
    s = applyAck(s, "c1", msg(4, { author: { kind: "user", userId: "me" }, text: "hi" }));
    expect(s.pending).toHaveLength(0);
    expect(seqs(s)).toEqual([1, 2, 3, 4]);
    expect(s.messages[3].clientId).toBe("c1");
    expect(s.lastSeq).toBe(4);
  });

  it("does not duplicate when the ack repeats after a resend", () => {
    let s = addPending(welcomed, { clientId: "c1", text: "hi", createdAt: 1 });
    const m = msg(4, { author: { kind: "user", userId: "me" }, clientId: "c1" });
    s = applyMessage(s, m, "me"); // echo seen first (e.g. in the catch-up)
    expect(s.pending).toHaveLength(0);
    s = applyAck(s, "c1", m);
    expect(seqs(s)).toEqual([1, 2, 3, 4]);
  });

  it("a message from someone else with the same clientId does not settle mine", () => {
    let s = addPending(welcomed, { clientId: "c1", text: "hi", createdAt: 1 });
    s = applyMessage(s, msg(4, { clientId: "c1" }), "me");
    expect(s.pending).toHaveLength(1);
  });

  it("marks a refused send as failed and retries it", () => {
    let s = addPending(welcomed, { clientId: "c1", text: "hi", createdAt: 1 });
    s = failPending(s, "c1", { code: "too_long", message: "too long" });
    expect(s.pending[0].error?.code).toBe("too_long");
    s = retryPending(s, "c1");
    expect(s.pending[0].error).toBeUndefined();
  });

  it("ignores a duplicate addPending", () => {
    let s = addPending(welcomed, { clientId: "c1", text: "hi", createdAt: 1 });
    s = addPending(s, { clientId: "c1", text: "hi", createdAt: 1 });
    expect(s.pending).toHaveLength(1);
  });
});

describe("reconnect", () => {
  it("merges the missed messages and keeps older history and pending sends", () => {
    let s = applyWelcome(emptyChat, { messages: range(26, 50), hasMore: true, lastSeq: 50 }, "me");
    s = applyHistory(s, range(1, 25), false);
    s = addPending(s, { clientId: "c9", text: "queued", createdAt: 1 });
    s = applyWelcome(s, { messages: range(51, 53), hasMore: true, lastSeq: 53 }, "me");
    expect(seqs(s)).toEqual(range(1, 53).map((m) => m.seq));
    expect(s.hasMore).toBe(false);
    expect(s.pending.map((p) => p.clientId)).toEqual(["c9"]);
    expect(s.lastSeq).toBe(53);
  });

  it("settles a pending send whose ack was lost but which is in the catch-up", () => {
    let s = applyWelcome(emptyChat, { messages: range(1, 2), hasMore: false, lastSeq: 2 }, "me");
    s = addPending(s, { clientId: "c1", text: "hi", createdAt: 1 });
    const mine = msg(3, { author: { kind: "user", userId: "me" }, clientId: "c1" });
    s = applyWelcome(s, { messages: [mine], hasMore: false, lastSeq: 3 }, "me");
    expect(s.pending).toHaveLength(0);
    expect(seqs(s)).toEqual([1, 2, 3]);
  });

  it("an empty catch-up keeps everything", () => {
    let s = applyWelcome(emptyChat, { messages: range(1, 5), hasMore: false, lastSeq: 5 }, "me");
    s = applyWelcome(s, { messages: [], hasMore: true, lastSeq: 5 }, "me");
    expect(seqs(s)).toEqual([1, 2, 3, 4, 5]);
    expect(s.hasMore).toBe(false);
  });

  it("remembers the hole after a reset and clears it once filled", () => {
    let s = applyWelcome(emptyChat, { messages: range(1, 10), hasMore: false, lastSeq: 10 }, "me");
    s = applyWelcome(s, { messages: range(2001, 2025), hasMore: true, reset: true, lastSeq: 2025 }, "me");
    expect(s.gap).toEqual({ after: 10, before: 2001 });
    s = applyGapFill(s, range(11, 1000));
    expect(s.gap).not.toBeNull();
    s = applyGapFill(s, range(1001, 2000));
    expect(s.gap).toBeNull();
    expect(s.messages).toHaveLength(2025);
  });
});

describe("history and updates", () => {
  it("prepends older pages and takes hasMore from them", () => {
    let s = applyWelcome(emptyChat, { messages: range(76, 100), hasMore: true, lastSeq: 100 }, "me");
    s = applyHistory(s, range(51, 75), true);
    expect(s.messages[0].seq).toBe(51);
    expect(s.hasMore).toBe(true);
    s = applyHistory(s, range(51, 60), false); // a stale overlapping page changes nothing
    expect(s.hasMore).toBe(true);
    expect(s.messages).toHaveLength(50);
  });

  it("applies edits and deletions of loaded messages only", () => {
    let s = applyWelcome(emptyChat, { messages: range(5, 6), hasMore: true, lastSeq: 6 }, "me");
    s = applyUpdate(s, msg(6, { text: "edited", editedAt: 9 }));
    expect(findMessage(s, 6)?.text).toBe("edited");
    const before = s;
    s = applyUpdate(s, msg(1, { deleted: true }));
    expect(s).toBe(before);
  });
});

describe("merging cost and identity", () => {
  it("returns the same list (and state) when a page brings nothing new", () => {
    let s = applyWelcome(emptyChat, { messages: range(51, 100), hasMore: true, lastSeq: 100 }, "me");
    s = applyHistory(s, range(1, 50), false);
    const list = s.messages;
    expect(applyHistory(s, range(1, 50), false)).toBe(s);
    expect(applyHistory(s, range(20, 70), false)).toBe(s);
    expect(mergeMessages(list, range(40, 60))).toBe(list);
    expect(applyUpdate(s, msg(7))).toBe(s);
  });

  it("prepends an older page and appends newer messages without touching the rest", () => {
    const live = range(51, 100);
    const withOlder = mergeMessages(live, range(1, 50));
    expect(withOlder.map((m) => m.seq)).toEqual(range(1, 100).map((m) => m.seq));
    expect(withOlder[50]).toBe(live[0]); // the loaded messages keep their identity
    const withNewer = mergeMessages(withOlder, [msg(101)]);
    expect(withNewer.slice(0, 100).every((m, i) => m === withOlder[i])).toBe(true);
  });

  it("merges an interleaved, unsorted batch in order and lets an edit replace its message", () => {
    const list = [msg(1), msg(3), msg(5)];
    const out = mergeMessages(list, [msg(4), msg(3, { text: "edited", editedAt: 9 }), msg(2), msg(2)]);
    expect(out.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(out[2].text).toBe("edited");
    expect(out[0]).toBe(list[0]);
    expect(out[4]).toBe(list[2]);
  });

  it("never sorts a list it only appends to or merges into", () => {
    const list = range(1, 2000);
    const spy = vi.spyOn(Array.prototype, "sort");
    try {
      mergeMessages(list, [msg(2001)]);
      mergeMessages(list, range(1500, 2100));
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe("image messages on their way", () => {
  const file = new Blob(["x"]);
  const sending = (): PendingMessage => ({
    clientId: "c1",
    kind: "image",
    text: "",
    createdAt: 1,
    local: [
      { file, state: "uploading" },
      { file, state: "uploading" },
    ],
  });

  it("settles images one by one and becomes ready with its keys in order", () => {
    let p = settleImage(sending(), 1, { ok: true, key: "k2" });
    expect(finishUpload(p)).toBe(p); // still uploading
    p = finishUpload(settleImage(p, 0, { ok: true, key: "k1" }));
    expect(p.images).toEqual(["k1", "k2"]);
    expect(awaitingUpload(p)).toBe(false);
    expect(p.local?.[0].file).toBe(file); // kept for display
  });

  it("fails as a whole when one image failed, and a new attempt only resets the failed ones", () => {
    let p = finishUpload(settleImage(settleImage(sending(), 0, { ok: true, key: "k1" }), 1, { ok: false, error: "too big" }));
    expect(p.error).toEqual({ code: "upload_failed", message: "1 of 2 images could not be uploaded: too big" });
    expect(awaitingUpload(p)).toBe(true);
    p = startUpload(p);
    expect(p.error).toBeUndefined();
    expect(p.local?.map((l) => [l.state, l.key])).toEqual([
      ["done", "k1"],
      ["uploading", undefined],
    ]);
  });

  it("ignores a result for an image that is not uploading (late or repeated)", () => {
    const p = settleImage(sending(), 0, { ok: true, key: "k1" });
    expect(settleImage(p, 0, { ok: false, error: "late" })).toBe(p);
    expect(settleImage(p, 5, { ok: true, key: "x" })).toBe(p);
  });

  it("updatePending returns the state itself when nothing changed", () => {
    const state: ChatState = { ...emptyChat, pending: [sending()] };
    expect(updatePending(state, "other", () => sending())).toBe(state);
    expect(updatePending(state, "c1", (p) => p)).toBe(state);
    expect(updatePending(state, "c1", (p) => ({ ...p, text: "t" })).pending[0].text).toBe("t");
  });
});
