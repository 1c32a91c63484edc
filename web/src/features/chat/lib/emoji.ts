// Emoji-only detection: 1..3 RGI emoji and nothing else (whitespace between is allowed).
let re: RegExp | null | undefined;

function emojiRegex(): RegExp | null {
  if (re === undefined) {
    try {
      re = new RegExp("^(?:\\p{RGI_Emoji}\\s*){1,3}$", "v");
    } catch {
      re = null; // engines without the v flag: never enlarge
    }
  }
  return re;
}

export function isEmojiOnly(text: string | undefined): boolean {
  if (!text) return false;
  const t = text.trim();
  if (t.length === 0 || t.length > 64) return false;
  return emojiRegex()?.test(t) ?? false;
}
