import { describe, expect, it } from "vitest";
import { TypingRoster, TypingSender, type Timers } from "./typing-tracker";

function fakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      pending.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (id) => void pending.delete(id as number),
    now: () => now,
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...pending]) {
      if (t.at <= now) {
        pending.delete(id);
        t.fn();
      }
    }
  };
  return { timers, advance };
}

describe("TypingSender", () => {
  it("sends true once, then false 2 s after the last keystroke", () => {
    const { timers, advance } = fakeTimers();
    const sent: boolean[] = [];
    const t = new TypingSender((a) => sent.push(a), 2000, timers);
    t.keystroke();
    advance(1500);
    t.keystroke();
    advance(1500);
    t.keystroke();
    expect(sent).toEqual([true]);
    advance(2000);
    expect(sent).toEqual([true, false]);
  });

  it("stops at once on submit and sends nothing when idle", () => {
    const { timers } = fakeTimers();
    const sent: boolean[] = [];
    const t = new TypingSender((a) => sent.push(a), 2000, timers);
    t.stop();
    t.keystroke();
    t.stop();
    t.stop();
    expect(sent).toEqual([true, false]);
  });

  it("repeats the active state after a reconnect", () => {
    const { timers } = fakeTimers();
    const sent: boolean[] = [];
    const t = new TypingSender((a) => sent.push(a), 2000, timers);
    t.resend();
    t.keystroke();
    t.resend();
    expect(sent).toEqual([true, true]);
  });
});

describe("TypingRoster", () => {
  it("lists typers without me and expires stale entries", () => {
    let now = 0;
    const r = new TypingRoster(8000, () => now);
    r.set("a", true);
    r.set("me", true);
    r.set("b", true);
    expect(r.list("me")).toEqual(["a", "b"]);
    r.set("a", false);
    expect(r.list("me")).toEqual(["b"]);
    now = 9000;
    expect(r.list("me")).toEqual([]);
  });
});
