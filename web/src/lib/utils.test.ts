import { describe, expect, it } from "vitest";
import { initials, safeRedirect } from "./utils";

describe("safeRedirect", () => {
  it("keeps same-origin paths", () => {
    expect(safeRedirect("/rooms/abc?x=1")).toBe("/rooms/abc?x=1");
  });
  it("refuses other origins, protocol-relative URLs and the login page", () => {
    expect(safeRedirect("https://evil.example/")).toBe("/");
    expect(safeRedirect("//evil.example/")).toBe("/");
    expect(safeRedirect("/\\evil.example")).toBe("/");
    expect(safeRedirect("/login?redirect=/x")).toBe("/");
    expect(safeRedirect(null)).toBe("/");
  });
});

describe("initials", () => {
  it("takes two letters", () => {
    expect(initials("Ann Lee")).toBe("AL");
    expect(initials("bob")).toBe("BO");
    expect(initials("")).toBe("?");
  });
});
