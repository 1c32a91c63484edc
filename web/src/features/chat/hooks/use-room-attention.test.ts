import { describe, expect, it } from "vitest";
import { faviconFor, titleFor } from "./use-room-attention";

describe("favicon and title", () => {
  it("prefers the call badge over unread", () => {
    expect(faviconFor(true, 3)).toBe("call");
    expect(faviconFor(false, 3)).toBe("unread");
    expect(faviconFor(false, 0)).toBe("default");
  });
  it("prefixes the unread count", () => {
    expect(titleFor("General", 0)).toBe("General · roomchat");
    expect(titleFor("General", 4)).toBe("(4) General · roomchat");
    expect(titleFor(undefined, 120)).toBe("(99+) roomchat");
  });
});
