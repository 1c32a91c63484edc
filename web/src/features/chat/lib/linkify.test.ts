import { describe, expect, it } from "vitest";
import { domainOf, findUrls, segmentText, singleUrl } from "./linkify";

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
    expect(singleUrl("HTTP://A.io/x?q=1#h")).toBe("HTTP://A.io/x?q=1#h");
    expect(singleUrl("https://a.io and more")).toBeNull();
    expect(singleUrl("look: https://a.io")).toBeNull();
    expect(singleUrl("")).toBeNull();
    expect(singleUrl(undefined)).toBeNull();
  });
  it("strips trailing punctuation and an unbalanced closing parenthesis", () => {
    expect(singleUrl("https://a.io/x.")).toBe("https://a.io/x");
    expect(singleUrl("https://a.io/x?!,;:")).toBe("https://a.io/x");
    expect(singleUrl("https://a.io/x)")).toBe("https://a.io/x");
    expect(singleUrl("https://en.wikipedia.org/wiki/A_(b)")).toBe("https://en.wikipedia.org/wiki/A_(b)");
    expect(singleUrl("https://en.wikipedia.org/wiki/A_(b)).")).toBe("https://en.wikipedia.org/wiki/A_(b)");
  });
  it("refuses what the pattern excludes and what is not a URL", () => {
    for (const t of ["https://a.io/[x]", "https://a.io/{x}", "https://a.io/a|b", "https://a.io/^", "https://a.io/`x`", "(https://a.io/x)", "ftp://a.io/x", "https://", "https://."]) {
      expect(singleUrl(t), t).toBeNull();
    }
  });
});

describe("domainOf", () => {
  it("names the host without www", () => {
    expect(domainOf("https://www.example.com:8080/a")).toBe("example.com");
    expect(domainOf("not a url")).toBe("not a url");
  });
});
