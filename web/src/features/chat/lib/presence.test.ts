import { describe, expect, it } from "vitest";
import { presenceDot, presenceMap } from "./presence";

describe("presence", () => {
  it("keeps only connected users", () => {
    const m = presenceMap([
      { userId: "a", connections: 2 },
      { userId: "b", connections: 0 },
    ]);
    expect([...m.keys()]).toEqual(["a"]);
  });
  it("shows green by default, yellow idle, gray locked", () => {
    expect(presenceDot({ userId: "a", connections: 1 })).toBe("active");
    expect(presenceDot({ userId: "a", connections: 1, user: "idle" })).toBe("idle");
    expect(presenceDot({ userId: "a", connections: 1, user: "idle", screen: "locked" })).toBe("locked");
    expect(presenceDot(undefined)).toBeUndefined();
  });
});
