import { describe, expect, it } from "vitest";
import { decideScrollAction, isStuck, nextUnread, type ScrollInput } from "./scroll";

const base: ScrollInput = {
  initial: false,
  prepended: false,
  stuck: false,
  forceStick: false,
  prevScrollTop: 100,
  prevScrollHeight: 1000,
  scrollHeight: 1000,
};

describe("isStuck", () => {
  it("is true within 256 px of the bottom", () => {
    expect(isStuck({ scrollTop: 744, scrollHeight: 1500, clientHeight: 500 })).toBe(true);
    expect(isStuck({ scrollTop: 743, scrollHeight: 1500, clientHeight: 500 })).toBe(false);
  });
});

describe("decideScrollAction", () => {
  it("jumps to the bottom on the first load", () => {
    expect(decideScrollAction({ ...base, initial: true })).toEqual({ type: "jump-bottom" });
  });
  it("keeps the reading position when history is prepended", () => {
    expect(decideScrollAction({ ...base, prepended: true, scrollHeight: 1600 })).toEqual({ type: "compensate", top: 700 });
  });
  it("keeps the position even when stuck if older messages were prepended", () => {
    expect(decideScrollAction({ ...base, prepended: true, stuck: true, scrollHeight: 1300 })).toEqual({ type: "compensate", top: 400 });
  });
  it("follows new messages when stuck", () => {
    expect(decideScrollAction({ ...base, stuck: true, scrollHeight: 1100 })).toEqual({ type: "smooth-bottom" });
  });
  it("leaves the view alone when scrolled up", () => {
    expect(decideScrollAction({ ...base, scrollHeight: 1100 })).toEqual({ type: "none" });
  });
  it("always follows after the user sends", () => {
    expect(decideScrollAction({ ...base, forceStick: true, scrollHeight: 1100 })).toEqual({ type: "smooth-bottom" });
  });
});

describe("nextUnread", () => {
  it("counts while scrolled up and resets when stuck", () => {
    expect(nextUnread(2, 3, false)).toBe(5);
    expect(nextUnread(5, 1, true)).toBe(0);
  });
});
