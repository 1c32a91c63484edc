// What a link card shows for a preview. Pure. The page's Content-Security-Policy lets images and
// media come from this origin only (img-src 'self' blob: data:, media-src 'self' blob:): an
// og:image or a video elsewhere would be blocked, so the card shows a placeholder instead of
// asking for it, and a video elsewhere becomes a card that opens it in a new tab.
import { domainOf } from "./linkify";

export type LinkPreview = {
  url: string;
  title: string;
  description: string;
  image: string | null;
  contentType: "html" | "image" | "video" | "pdf" | "other";
};

export type LinkCardModel =
  | { kind: "link"; href: string }
  | { kind: "card"; href: string; title: string; description: string; domain: string; image: string | null }
  | { kind: "video"; href: string; title: string; domain: string; src: string | null }
  | { kind: "file"; href: string; title: string; domain: string };

/** `url` resolved against `origin` when it is http(s) on that same origin; else null. */
export function sameOrigin(url: string | null | undefined, origin: string): string | null {
  if (!url) return null;
  try {
    const u = new URL(url, origin);
    return (u.protocol === "http:" || u.protocol === "https:") && u.origin === origin ? u.href : null;
  } catch {
    return null;
  }
}

/**
 * The card for `href` (the URL as the message has it) from the server's preview; without one
 * (an error, or a type the card cannot show) a plain link.
 */
export function linkCardModel(href: string, p: LinkPreview | null | undefined, origin: string): LinkCardModel {
  if (!p || typeof p !== "object") return { kind: "link", href };
  const domain = domainOf(href);
  const title = (typeof p.title === "string" && p.title.trim()) || domain;
  switch (p.contentType) {
    case "html":
      return { kind: "card", href, title, description: typeof p.description === "string" ? p.description.trim() : "", domain, image: sameOrigin(p.image, origin) };
    case "image":
      return { kind: "card", href, title, description: "", domain, image: sameOrigin(p.image ?? href, origin) };
    case "video":
      return { kind: "video", href, title, domain, src: sameOrigin(href, origin) };
    case "pdf":
      return { kind: "file", href, title, domain };
    default:
      return { kind: "link", href };
  }
}
