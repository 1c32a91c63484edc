// Splits message text into plain text, links and mentions for rendering. Pure.
import { findMentionRanges } from "./mentions";

export type Segment =
  | { type: "text"; text: string }
  | { type: "link"; text: string; href: string }
  | { type: "mention"; text: string; name: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[.,:;!?'"]+$/;

function trimUrl(raw: string): string {
  let url = raw.replace(TRAILING, "");
  // Drop an unbalanced closing bracket: "(see https://x.y/a)" -> "https://x.y/a".
  for (const [open, close] of [["(", ")"], ["[", "]"]] as const) {
    while (url.endsWith(close) && url.split(open).length < url.split(close).length) {
      url = url.slice(0, -1).replace(TRAILING, "");
    }
  }
  return url;
}

export function findUrls(text: string): { start: number; end: number; href: string }[] {
  const out: { start: number; end: number; href: string }[] = [];
  for (const m of text.matchAll(URL_RE)) {
    const url = trimUrl(m[0]);
    if (url.length > "https://".length) out.push({ start: m.index, end: m.index + url.length, href: url });
  }
  return out;
}

export function segmentText(text: string, names: Iterable<string> = []): Segment[] {
  const urls = findUrls(text);
  const mentions = findMentionRanges(text, names).filter(
    (m) => !urls.some((u) => m.start < u.end && m.end > u.start),
  );
  const marks = [
    ...urls.map((u) => ({ ...u, kind: "link" as const })),
    ...mentions.map((m) => ({ ...m, kind: "mention" as const })),
  ].sort((a, b) => a.start - b.start);
  const out: Segment[] = [];
  let pos = 0;
  for (const m of marks) {
    if (m.start > pos) out.push({ type: "text", text: text.slice(pos, m.start) });
    const t = text.slice(m.start, m.end);
    out.push(m.kind === "link" ? { type: "link", text: t, href: m.href } : { type: "mention", text: t, name: m.name });
    pos = m.end;
  }
  if (pos < text.length) out.push({ type: "text", text: text.slice(pos) });
  return out;
}

/** A whole message that is one URL (no brackets, braces, pipes, carets or backticks in it). */
const SINGLE_URL_RE = /^https?:\/\/[^\s<>[\]{}|^`"]+$/i;

/**
 * The URL when the whole (trimmed) text is one URL: the place where a link card goes. Trailing
 * punctuation (.,;:!? and quotes) and an unbalanced ")" are not part of it: "see this:" style
 * endings still get a card for the URL itself.
 */
export function singleUrl(text: string | undefined): string | null {
  if (!text) return null;
  const t = text.trim();
  if (!SINGLE_URL_RE.test(t)) return null;
  const url = trimUrl(t);
  try {
    const u = new URL(url);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname ? url : null;
  } catch {
    return null;
  }
}

/** The host a link card names ("www." dropped). */
export function domainOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, "");
  } catch {
    return url;
  }
}
