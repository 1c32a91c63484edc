import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, parseSettings } from "./settings-store";

describe("parseSettings", () => {
  it("defaults to status off, typing on, dark theme", () => {
    expect(parseSettings(null)).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toEqual({ showStatus: false, showTyping: true, theme: "dark" });
  });
  it("treats a missing showTyping as on (the original app's bug) and keeps valid fields", () => {
    expect(parseSettings('{"showStatus":true}')).toEqual({ showStatus: true, showTyping: true, theme: "dark" });
    expect(parseSettings('{"showTyping":false,"theme":"light"}').showTyping).toBe(false);
  });
  it("survives garbage", () => {
    expect(parseSettings("{nope")).toEqual(DEFAULT_SETTINGS);
    expect(parseSettings('{"theme":"neon","showStatus":"yes"}')).toEqual(DEFAULT_SETTINGS);
  });
});
