import { describe, expect, it } from "vitest";
import { validateSignup } from "./validate";

describe("validateSignup", () => {
  it("accepts a valid form", () => {
    expect(validateSignup({ username: "ann_01", password: "password1", displayName: "Ann" })).toEqual({});
  });
  it("flags each bad field", () => {
    const e = validateSignup({ username: "An", password: "short", displayName: "  " });
    expect(Object.keys(e).sort()).toEqual(["displayName", "password", "username"]);
  });
});
