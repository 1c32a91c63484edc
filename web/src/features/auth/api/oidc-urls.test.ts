import { describe, expect, it } from "vitest";
import { oidcErrorMessage, oidcLinkUrl, oidcStartUrl } from "./auth";

describe("OpenID Connect links and messages", () => {
  it("builds the start URLs with the id and the redirect encoded", () => {
    expect(oidcStartUrl("kc", "/rooms/a b")).toBe("/api/auth/oidc/kc/start?redirect=%2Frooms%2Fa%20b");
    expect(oidcStartUrl("a/b", "/")).toBe("/api/auth/oidc/a%2Fb/start?redirect=%2F");
    expect(oidcLinkUrl("kc")).toBe("/api/auth/oidc/kc/start?link=1&redirect=%2Fsettings");
  });

  it("turns the server's error codes into messages, and unknown codes into a generic one", () => {
    expect(oidcErrorMessage(null)).toBeNull();
    expect(oidcErrorMessage("")).toBeNull();
    expect(oidcErrorMessage("access_denied")).toMatch(/cancelled/);
    expect(oidcErrorMessage("identity_in_use")).toMatch(/another roomchat user/);
    expect(oidcErrorMessage("<script>")).toBe("Sign-in with the provider failed. Please try again.");
  });
});
