import { describe, expect, it } from "vitest";
import { linkCardModel, sameOrigin, type LinkPreview } from "./link-preview";

const origin = "https://chat.example";
const preview = (p: Partial<LinkPreview>): LinkPreview => ({ url: "https://news.example/a", title: "", description: "", image: null, contentType: "html", ...p });

describe("sameOrigin", () => {
  it("keeps this origin's URLs (resolved) and nothing else", () => {
    expect(sameOrigin("/blobs/abc", origin)).toBe("https://chat.example/blobs/abc");
    expect(sameOrigin("https://chat.example/x.png", origin)).toBe("https://chat.example/x.png");
    expect(sameOrigin("https://cdn.example/x.png", origin)).toBeNull();
    expect(sameOrigin("http://chat.example/x.png", origin)).toBeNull(); // another scheme is another origin
    expect(sameOrigin("data:image/png;base64,AAAA", origin)).toBeNull();
    expect(sameOrigin("javascript:alert(1)", origin)).toBeNull();
    expect(sameOrigin(null, origin)).toBeNull();
  });
});

describe("linkCardModel", () => {
  const href = "https://www.news.example/a";
  it("an HTML page: its title (else the domain), description, and its image only from this origin", () => {
    expect(linkCardModel(href, preview({ title: " Big news ", description: " d ", image: "https://cdn.example/og.png" }), origin)).toEqual({
      kind: "card",
      href,
      title: "Big news",
      description: "d",
      domain: "news.example",
      image: null,
    });
    const local = linkCardModel(href, preview({ image: "https://chat.example/og.png" }), origin);
    expect(local).toMatchObject({ title: "news.example", image: "https://chat.example/og.png" });
  });
  it("an image: the card's picture is the link itself, when it is on this origin", () => {
    expect(linkCardModel("https://chat.example/p.png", preview({ contentType: "image", image: null, title: "p.png" }), origin)).toMatchObject({
      kind: "card",
      image: "https://chat.example/p.png",
    });
    expect(linkCardModel("https://img.example/p.png", preview({ contentType: "image", image: "https://img.example/p.png" }), origin)).toMatchObject({ image: null });
  });
  it("a video plays inline only from this origin; a PDF is a file card", () => {
    expect(linkCardModel("https://chat.example/v.mp4", preview({ contentType: "video", title: "v.mp4" }), origin)).toMatchObject({ kind: "video", src: "https://chat.example/v.mp4" });
    expect(linkCardModel("https://v.example/v.mp4", preview({ contentType: "video" }), origin)).toMatchObject({ kind: "video", src: null, title: "v.example" });
    expect(linkCardModel("https://d.example/a.pdf", preview({ contentType: "pdf", title: "a.pdf" }), origin)).toEqual({ kind: "file", href: "https://d.example/a.pdf", title: "a.pdf", domain: "d.example" });
  });
  it("other types and no preview at all: a plain link", () => {
    expect(linkCardModel(href, preview({ contentType: "other" }), origin)).toEqual({ kind: "link", href });
    expect(linkCardModel(href, undefined, origin)).toEqual({ kind: "link", href });
  });
});
