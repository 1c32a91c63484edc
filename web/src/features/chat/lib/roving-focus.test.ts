import { describe, expect, it } from "vitest";
import { RovingFocus, rovingTarget } from "./roving-focus";

describe("RovingFocus", () => {
  it("makes the newest row the Tab stop until the user focuses another", () => {
    const f = new RovingFocus();
    let calls = 0;
    f.subscribe(() => calls++);
    f.rowsChanged(new Set(["a", "b"]), "b");
    expect(f.tabbable).toBe("b");
    f.focus("a");
    expect(f.tabbable).toBe("a");
    f.rowsChanged(new Set(["a", "b", "c"]), "c"); // a new message does not steal the Tab stop
    expect(f.tabbable).toBe("a");
    expect(calls).toBe(2);
  });

  it("falls back to the newest row when the focused one goes away", () => {
    const f = new RovingFocus();
    f.rowsChanged(new Set(["a", "b"]), "b");
    f.focus("a");
    f.rowsChanged(new Set(["b"]), "b");
    expect(f.tabbable).toBe("b");
  });

  it("does not notify when the Tab stop stays where it is", () => {
    const f = new RovingFocus();
    let calls = 0;
    f.subscribe(() => calls++);
    f.rowsChanged(new Set(["a"]), "a");
    f.focus("a");
    f.rowsChanged(new Set(["a"]), "a");
    expect(calls).toBe(1);
  });
});

describe("rovingTarget", () => {
  it("moves by one, by a page, to the ends, and stays inside the list", () => {
    expect(rovingTarget("ArrowUp", 5, 20)).toBe(4);
    expect(rovingTarget("ArrowDown", 5, 20)).toBe(6);
    expect(rovingTarget("ArrowUp", 0, 20)).toBe(0);
    expect(rovingTarget("ArrowDown", 19, 20)).toBe(19);
    expect(rovingTarget("PageUp", 5, 20)).toBe(0);
    expect(rovingTarget("PageDown", 5, 20)).toBe(15);
    expect(rovingTarget("Home", 5, 20)).toBe(0);
    expect(rovingTarget("End", 5, 20)).toBe(19);
  });
  it("ignores other keys and empty lists", () => {
    expect(rovingTarget("Enter", 5, 20)).toBeNull();
    expect(rovingTarget("ArrowUp", 0, 0)).toBeNull();
  });
});
