// Mentions are "@<display name>" in plain text: presentational only, the server does not parse them.

export type MentionRange = { start: number; end: number; name: string };

const WORD = /[\p{L}\p{N}_]/u;
const isWord = (ch: string | undefined) => ch !== undefined && WORD.test(ch);

/**
 * Finds "@Name" for each known display name (exact, case-sensitive), preferring the longest
 * name at a position. The "@" must not follow a word character or another "@", and the name
 * must not run on into a word character ("@AnnBot" is not "@Ann").
 */
export function findMentionRanges(text: string, names: Iterable<string>): MentionRange[] {
  const sorted = [...new Set(names)].filter((n) => n.trim().length > 0).sort((a, b) => b.length - a.length);
  if (sorted.length === 0 || !text.includes("@")) return [];
  const out: MentionRange[] = [];
  let i = text.indexOf("@");
  while (i !== -1) {
    const before = i > 0 ? text[i - 1] : undefined;
    let matched: string | undefined;
    if (!isWord(before) && before !== "@") {
      for (const name of sorted) {
        if (text.startsWith(name, i + 1)) {
          const after = text[i + 1 + name.length];
          if (!isWord(after)) {
            matched = name;
            break;
          }
        }
      }
    }
    if (matched !== undefined) {
      const end = i + 1 + matched.length;
      out.push({ start: i, end, name: matched });
      i = text.indexOf("@", end);
    } else {
      i = text.indexOf("@", i + 1);
    }
  }
  return out;
}

export type InsertResult = { value: string; caret: number };

/**
 * Inserts "@name " over the selection [selStart, selEnd). A space goes before it when the
 * preceding character is a word character or "@"; a space always follows. Returns null when
 * the result would be longer than maxLength.
 */
export function insertMention(
  value: string,
  selStart: number,
  selEnd: number,
  name: string,
  maxLength: number,
): InsertResult | null {
  const start = Math.max(0, Math.min(selStart, value.length));
  const end = Math.max(start, Math.min(selEnd, value.length));
  const prev = start > 0 ? value[start - 1] : undefined;
  const lead = isWord(prev) || prev === "@" ? " " : "";
  const insert = `${lead}@${name} `;
  const next = value.slice(0, start) + insert + value.slice(end);
  if (next.length > maxLength) return null;
  return { value: next, caret: start + insert.length };
}
