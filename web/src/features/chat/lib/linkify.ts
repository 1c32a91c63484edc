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

/** True when the whole (trimmed) text is one URL: the place where a link card goes. */
export function singleUrl(text: string | undefined): string | null {
  if (!text) return null;
  const t = text.trim();
  const urls = findUrls(t);
  return urls.length === 1 && urls[0].start === 0 && urls[0].end === t.length ? urls[0].href : null;
}
