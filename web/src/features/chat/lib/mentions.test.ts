import { describe, expect, it } from "vitest";
import { findMentionRanges, insertMention } from "./mentions";

const names = (text: string, list: string[]) => findMentionRanges(text, list).map((r) => text.slice(r.start, r.end));

describe("findMentionRanges", () => {
  it("matches exact, case-sensitive names, including spaces and CJK", () => {
    expect(names("hi @Ann and @张 三!", ["Ann", "张 三"])).toEqual(["@Ann", "@张 三"]);
    expect(names("hi @ann", ["Ann"])).toEqual([]);
  });
  it("prefers the longest name", () => {
    expect(names("@Ann Lee says hi", ["Ann", "Ann Lee"])).toEqual(["@Ann Lee"]);
  });
  it("requires boundaries on both sides", () => {
    expect(names("foo@Ann", ["Ann"])).toEqual([]);
    expect(names("@@Ann", ["Ann"])).toEqual([]);
    expect(names("@AnnBot", ["Ann"])).toEqual([]);
    expect(names("(@Ann).", ["Ann"])).toEqual(["@Ann"]);
  });
  it("reports offsets", () => {
    expect(findMentionRanges("x @Bo y", ["Bo"])).toEqual([{ start: 2, end: 5, name: "Bo" }]);
  });
  it("finds nothing without names", () => {
    expect(findMentionRanges("@Ann", [])).toEqual([]);
  });
});

describe("insertMention", () => {
  it("inserts at the caret with a trailing space and moves the caret after it", () => {
    expect(insertMention("hello ", 6, 6, "Ann", 100)).toEqual({ value: "hello @Ann ", caret: 11 });
  });
  it("replaces the selection", () => {
    expect(insertMention("hi XYZ there", 3, 6, "Bo", 100)).toEqual({ value: "hi @Bo  there", caret: 7 });
  });
  it("adds a leading space after a word character or @", () => {
    expect(insertMention("hi", 2, 2, "Bo", 100)?.value).toBe("hi @Bo ");
    expect(insertMention("@", 1, 1, "Bo", 100)?.value).toBe("@ @Bo ");
  });
  it("refuses when the result is too long", () => {
    expect(insertMention("abc", 3, 3, "Bob", 6)).toBeNull();
  });
});
