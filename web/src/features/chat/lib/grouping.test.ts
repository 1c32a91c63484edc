import { describe, expect, it } from "vitest";
import { groupMessages, reuseGroups, stabilizeGroupKeys, type Groupable } from "./grouping";

const MIN = 60_000;
const row = (key: string, at: number, authorId?: string, authorKind: Groupable["authorKind"] = "user"): Groupable => ({
  key,
  createdAt: at,
  authorKind,
  authorId,
});
const shape = (items: ReturnType<typeof groupMessages>) =>
  items.map((i) => (i.type === "separator" ? "|" : i.items.map((r) => r.key).join("")));

describe("groupMessages", () => {
  it("runs consecutive messages of one author into one group", () => {
    const g = groupMessages([row("a", 0, "u1"), row("b", MIN, "u1"), row("c", 2 * MIN, "u1")], "me");
    expect(shape(g)).toEqual(["|", "abc"]);
  });

  it("starts a group when the author changes", () => {
    const g = groupMessages([row("a", 0, "u1"), row("b", 1, "u2"), row("c", 2, "u1")], "me");
    expect(shape(g)).toEqual(["|", "a", "b", "c"]);
  });

  it("splits after more than 5 minutes and adds a separator", () => {
    const g = groupMessages([row("a", 0, "u1"), row("b", 5 * MIN, "u1"), row("c", 10 * MIN + 1, "u1")], "me");
    expect(shape(g)).toEqual(["|", "ab", "|", "c"]);
  });

  it("never groups system messages", () => {
    const g = groupMessages([row("a", 0, undefined, "system"), row("b", 1, undefined, "system")], "me");
    expect(shape(g)).toEqual(["|", "a", "b"]);
  });

  it("keeps bots apart from users with the same id", () => {
    const g = groupMessages([row("a", 0, "x", "bot"), row("b", 1, "x", "user")], "me");
    expect(shape(g)).toEqual(["|", "a", "b"]);
  });

  it("marks my own groups", () => {
    const g = groupMessages([row("a", 0, "me"), row("b", 1, "u2")], "me");
    const groups = g.filter((i) => i.type === "group");
    expect(groups.map((x) => x.mine)).toEqual([true, false]);
  });

  it("returns nothing for no rows", () => {
    expect(groupMessages([], "me")).toEqual([]);
  });
});

describe("stabilizeGroupKeys", () => {
  it("keeps a group's key when older rows of the same author are prepended", () => {
    const mem = new Map<string, string>();
    const first = stabilizeGroupKeys(groupMessages([row("c", 2, "u1"), row("d", 3, "u1")], "me"), mem);
    const key = first.find((i) => i.type === "group")!.key;
    const next = stabilizeGroupKeys(groupMessages([row("a", 0, "u1"), row("b", 1, "u1"), row("c", 2, "u1"), row("d", 3, "u1")], "me"), mem);
    const groups = next.filter((i) => i.type === "group");
    expect(groups).toHaveLength(1);
    expect(groups[0].key).toBe(key);
  });

  it("keeps keys unique when a group splits", () => {
    const mem = new Map<string, string>();
    stabilizeGroupKeys(groupMessages([row("a", 0, "u1"), row("b", 1, "u1")], "me"), mem);
    // b now comes after a gap (e.g. a message in between was loaded): two groups
    const next = stabilizeGroupKeys(groupMessages([row("a", 0, "u1"), row("x", 1, "u2"), row("b", 2, "u1")], "me"), mem);
    const keys = next.filter((i) => i.type === "group").map((g) => g.key);
    expect(new Set(keys).size).toBe(3);
  });
});

describe("reuseGroups", () => {
  it("keeps unchanged groups and separators by identity and replaces changed ones", () => {
    const a = row("a", 0, "u1");
    const b = row("b", 1, "u2");
    const first = groupMessages([a, b], "me");
    const c = row("c", 2, "u2");
    const next = reuseGroups(first, groupMessages([a, b, c], "me"));
    expect(next[0]).toBe(first[0]); // separator
    expect(next[1]).toBe(first[1]); // a's group, unchanged
    expect(next[2]).not.toBe(first[2]); // b's group grew
    expect(next[2].type === "group" && next[2].items.map((r) => r.key)).toEqual(["b", "c"]);
  });
});
