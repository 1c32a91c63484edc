// Sign-in through a real OpenID Connect provider in Chromium: the test starts oidc-provider
// (tests/services/oidc) and the server configured with it, then clicks "Continue with Test IdP"
// on the login page and lands in the app signed in; a refusal at the provider lands back on the
// login page with its message; settings list the linked provider.
// Run: ROOMCHAT_BIN=/abs/path/roomchat npm run e2e   (after npm run build, and npm ci in
// tests/services/oidc, which make test-web does)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { axeViolations, launchBrowser, screenshot, startServer, webRoot } from "./harness.mjs";

const T = 20_000;
const serviceDir = path.resolve(webRoot, "..", "tests", "services", "oidc");
const secret = "roomchat-e2e-secret-0123456789";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** axe (WCAG 2.1 A/AA) on the page as it is, after transitions settle. */
async function expectAccessible(page, screen) {
  await page.waitForTimeout(400);
  const found = await axeViolations(page);
  assert.deepEqual(found, [], `axe on "${screen}":\n${found.join("\n")}`);
}

/** Starts the provider; resolves with { issuer, admin(path), stop }. */
async function startProvider() {
  if (!existsSync(path.join(serviceDir, "node_modules"))) throw new Error(`run npm ci in ${serviceDir} first`);
  const dir = mkdtempSync(path.join(tmpdir(), "roomchat-oidc-e2e-"));
  const ready = path.join(dir, "ready.json");
  const child = spawn(process.execPath, [path.join(serviceDir, "index.mjs"), "--ready-file", ready, "--client-secret", secret], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  process.once("exit", () => child.kill("SIGKILL"));
  for (let i = 0; i < 300 && !existsSync(ready); i++) await sleep(100);
  if (!existsSync(ready)) throw new Error("the OIDC provider did not start within 30 s");
  const { issuer } = JSON.parse(readFileSync(ready, "utf8"));
  const admin = async (p) => {
    const r = await fetch(`${issuer}${p}`, { method: "POST" });
    assert.equal(r.status, 200, `${p}: ${r.status}`);
  };
  const stop = async () => {
    child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
  return { issuer, admin, stop, dir };
}

describe("sign-in with an OpenID Connect provider", () => {
  let provider, server, browser;

  before(async () => {
    provider = await startProvider();
    writeFileSync(path.join(provider.dir, "secret"), secret);
    const config = path.join(provider.dir, "oidc.json");
    writeFileSync(
      config,
      JSON.stringify({
        providers: [
          {
            id: "test",
            name: "Test IdP",
            issuer: provider.issuer,
            clientId: "roomchat",
            clientSecretFile: path.join(provider.dir, "secret"),
            allowInsecureLoopback: true,
          },
        ],
      }),
    );
    server = await startServer({ extraArgs: ["--oidc-config", config] });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await provider?.stop();
  });

  it("clicks the provider's button and lands in the app signed in", { timeout: T }, async () => {
    await provider.admin("/admin/user?sub=e2e-1&name=Edith%20E2E&username=edith");
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/login`);
    await page.getByRole("link", { name: "Continue with Test IdP" }).click();
    await page.waitForURL((url) => url.origin === server.baseUrl && !url.pathname.startsWith("/login"), { timeout: 10_000 });
    const session = await page.evaluate(async () => {
      const r = await fetch("/api/auth/session");
      return { status: r.status, body: await r.json() };
    });
    assert.equal(session.status, 200);
    assert.equal(session.body.user.displayName, "Edith E2E");
    assert.equal(session.body.user.username, "edith");
    const cookies = await context.cookies(server.baseUrl);
    const sessionCookie = cookies.find((c) => c.name === "roomchat_session");
    assert.ok(sessionCookie?.httpOnly, "the session cookie is HttpOnly");

    await page.goto(`${server.baseUrl}/settings`);
    const section = page.getByTestId("sign-in-settings");
    await section.getByText("Linked").waitFor();
    assert.equal(await section.getByRole("button", { name: "Unlink" }).isDisabled(), true, "the only way in cannot be unlinked");
    await expectAccessible(page, "settings with a linked provider");
    await screenshot(page, "oidc-settings");
    await context.close();
  });

  it("a refusal at the provider lands on the login page with a message", { timeout: T }, async () => {
    await provider.admin("/admin/deny?on=1");
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${server.baseUrl}/login`);
      await page.getByRole("link", { name: "Continue with Test IdP" }).click();
      await page.waitForURL((url) => url.pathname === "/login" && url.searchParams.get("error") === "access_denied", { timeout: 10_000 });
      await page.getByTestId("provider-error").getByText("Sign-in was cancelled at the provider.").waitFor();
      await expectAccessible(page, "login page with a provider's refusal");
      const session = await page.evaluate(async () => (await fetch("/api/auth/session")).status);
      assert.equal(session, 401);
      await screenshot(page, "oidc-refused");
    } finally {
      await provider.admin("/admin/deny?on=0");
      await context.close();
    }
  });
});
