import { describe, expect, it } from "vitest";
import { findUrls, segmentText, singleUrl } from "./linkify";

describe("segmentText", () => {
  it("links URLs and leaves trailing punctuation out", () => {
    expect(segmentText("see https://example.com/a?b=1. ok")).toEqual([
      { type: "text", text: "see " },
      { type: "link", text: "https://example.com/a?b=1", href: "https://example.com/a?b=1" },
      { type: "text", text: ". ok" },
    ]);
  });
  it("drops an unbalanced closing parenthesis but keeps balanced ones", () => {
    expect(findUrls("(https://x.org/a)")[0].href).toBe("https://x.org/a");
    expect(findUrls("https://en.wikipedia.org/wiki/A_(b)")[0].href).toBe("https://en.wikipedia.org/wiki/A_(b)");
  });
  it("marks mentions next to links", () => {
    const segs = segmentText("@Ann look http://a.io", ["Ann"]);
    expect(segs.map((s) => s.type)).toEqual(["mention", "text", "link"]);
  });
  it("does not link javascript: or bare words", () => {
    expect(segmentText("javascript:alert(1) www.x.com")).toEqual([{ type: "text", text: "javascript:alert(1) www.x.com" }]);
  });
});

describe("singleUrl", () => {
  it("finds a message that is only a URL", () => {
    expect(singleUrl("  https://a.io/x  ")).toBe("https://a.io/x");
    expect(singleUrl("https://a.io and more")).toBeNull();
  });
});
