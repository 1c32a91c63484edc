import { describe, expect, it } from "vitest";
import { isEmojiOnly } from "./emoji";

describe("isEmojiOnly", () => {
  it("accepts one to three emoji", () => {
    expect(isEmojiOnly("😀")).toBe(true);
    expect(isEmojiOnly("👍🏽")).toBe(true);
    expect(isEmojiOnly("👨‍👩‍👧 🎉 🇫🇷")).toBe(true);
  });
  it("rejects four emoji, text, digits and empty", () => {
    expect(isEmojiOnly("😀😀😀😀")).toBe(false);
    expect(isEmojiOnly("hi 😀")).toBe(false);
    expect(isEmojiOnly("1")).toBe(false);
    expect(isEmojiOnly("")).toBe(false);
    expect(isEmojiOnly(undefined)).toBe(false);
  });
});
