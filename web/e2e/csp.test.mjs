// The page's security headers are in force, and the app works under them. The HTML comes with a
// Content-Security-Policy (scripts from the server only: an injected inline script or event
// handler does not run even if markup ever got into the page), clickjacking protection (the app
// cannot be framed), a Referrer-Policy and nosniff. Then a user signs up, opens a room, sends a
// message and pops the room out (Document Picture-in-Picture, where the API exists) with no
// policy violation reported.
// Run: ROOMCHAT_BIN=/abs/path/roomchat node --test e2e/csp.test.mjs   (after npm run build)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fillSignup, launchBrowser, screenshot, startServer } from "./harness.mjs";

const T = 15_000;
const run = Date.now().toString(36);
const cara = { username: `cara_${run}`, displayName: "Cara", password: "correct horse 5" };

let server;
let browser;

/** A page that records every CSP violation (the listener is installed by the browser, not inline). */
async function watchedPage(ctx) {
  const page = await ctx.newPage();
  page.setDefaultTimeout(T);
  page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__violations.push(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  return page;
}

const directives = (csp) =>
  Object.fromEntries(
    csp.split(";").map((d) => d.trim()).filter(Boolean).map((d) => {
      const [name, ...values] = d.split(/\s+/);
      return [name, values];
    }),
  );

describe("the security headers hold and the app works under them", { timeout: 180_000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it("sends the policy and the other headers with every page", async () => {
    for (const path of ["/", "/login", "/rooms/someroom"]) {
      const res = await fetch(server.baseUrl + path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get("content-type"), /^text\/html/, path);
      const csp = res.headers.get("content-security-policy");
      assert.ok(csp, `${path}: no Content-Security-Policy`);
      const d = directives(csp);
      assert.deepEqual(d["script-src"], ["'self'"], `${path}: script-src in ${csp}`);
      assert.deepEqual(d["object-src"], ["'none'"], csp);
      assert.deepEqual(d["base-uri"], ["'none'"], csp);
      assert.deepEqual(d["frame-ancestors"], ["'none'"], csp);
      assert.ok(d["connect-src"]?.includes("'self'"), `connect-src in ${csp}`);
      assert.ok(d["img-src"]?.includes("blob:") && d["img-src"]?.includes("data:"), `img-src in ${csp}`);
      assert.ok(d["media-src"], `media-src in ${csp}`);
      for (const [name, values] of Object.entries(d)) {
        assert.ok(!values.includes("'unsafe-eval'") && !values.includes("*"), `${name} is too open: ${csp}`);
        if (name === "script-src" || name === "default-src") assert.ok(!values.includes("'unsafe-inline'"), csp);
      }
      assert.equal(res.headers.get("x-frame-options"), "DENY", path);
      assert.equal(res.headers.get("referrer-policy"), "same-origin", path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    }
    // The API's answers are not sniffed into something else either.
    const api = await fetch(server.baseUrl + "/api/auth/session");
    assert.equal(api.status, 401);
    assert.equal(api.headers.get("x-content-type-options"), "nosniff");
  });

  it("an injected inline script or event handler does not run", async () => {
    const ctx = await browser.newContext({ baseURL: server.baseUrl });
    const page = await watchedPage(ctx);
    await page.goto("/login");
    await page.getByRole("tab", { name: "Sign up" }).waitFor();
    await page.evaluate(() => {
      const s = document.createElement("script");
      s.textContent = "window.__pwned = 'inline script'";
      document.body.appendChild(s);
      const div = document.createElement("div");
      div.innerHTML = `<img src="data:," onerror="window.__pwned='handler'"><img src="/nope.png" onerror="window.__pwned='handler 2'">`;
      document.body.appendChild(div);
      const a = document.createElement("a");
      a.href = "javascript:void(window.__pwned='javascript url')";
      document.body.appendChild(a);
      a.click();
    });
    // onerror fires after the failed loads: give it time to.
    await page.waitForTimeout(1000);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, "an injected script ran");
    const violations = await page.evaluate(() => window.__violations);
    assert.ok(violations.some((v) => v.startsWith("script-src")), `no script-src violation: ${violations}`);
    await ctx.close();
  });

  it("the app cannot be framed by another site", async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    page.setDefaultTimeout(T);
    const blocked = new Promise((resolve) => {
      page.on("console", (m) => {
        if (/frame-ancestors|X-Frame-Options|refused to (display|connect)/i.test(m.text())) resolve(m.text());
      });
    });
    await page.setContent(`<iframe id="f" src="${server.baseUrl}/login" width="600" height="400"></iframe>`);
    const frame = await (await page.$("#f")).contentFrame();
    await page.waitForTimeout(1500);
    // A framed app would render its login form inside the frame.
    const rendered = await frame
      .evaluate(() => !!document.querySelector('[data-testid="signup-form"], [role="tab"]'))
      .catch(() => false);
    assert.equal(rendered, false, `the app rendered inside a frame (${frame.url()})`);
    const why = await Promise.race([blocked, new Promise((r) => setTimeout(() => r(null), 2000))]);
    assert.ok(why, "no frame refusal was reported");
    await ctx.close();
  });

  it("signs up, opens a room, sends a message and pops out with no violation", async () => {
    const ctx = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1200, height: 800 } });
    const page = await watchedPage(ctx);
    try {
      await page.goto("/login");
      await fillSignup(page, cara);
      await page.waitForURL((u) => u.pathname === "/");
      await page.getByTestId("sidebar-create-room").click();
      const form = page.getByTestId("create-room-form");
      await form.getByLabel("Name").fill("Policy room");
      await form.getByText("Public", { exact: true }).click();
      await form.getByRole("button", { name: "Create" }).click();
      await page.waitForURL(/\/rooms\/[A-Za-z0-9_-]+$/);
      const input = page.getByTestId("composer-input");
      await input.fill("hello under a strict policy");
      await input.press("Enter");
      // Acked: it has a seq, so it went over the WebSocket and came back.
      await page.waitForFunction(() =>
        [...document.querySelectorAll('[data-testid="message"][data-seq]')].some((e) => e.textContent.includes("hello under a strict policy")),
      );
      // The saved theme is applied before the app starts, by a script file (an inline one would
      // be blocked and reported): a light theme drops the page's default dark class.
      await page.evaluate(() => localStorage.setItem("roomchat.settings", JSON.stringify({ theme: "light" })));
      const themeScript = page.waitForResponse((r) => r.url().endsWith("/theme.js"));
      await page.reload();
      assert.equal((await themeScript).status(), 200);
      assert.equal(await page.evaluate(() => document.documentElement.classList.contains("dark")), false, "theme not applied");
      await page.getByTestId("composer-input").waitFor();

      const pip = await page.evaluate(() => "documentPictureInPicture" in window);
      if (pip) {
        await page.getByRole("button", { name: "Pop out" }).click();
        await page.getByText("is open in a pop-out window").waitFor();
        await page.waitForFunction(() => !!documentPictureInPicture.window?.document.querySelector('[data-testid="room-view"]'));
        // Styled in the pop-out: the copied stylesheets apply (a themed background, not the default white).
        const bg = await page.evaluate(() => {
          const w = documentPictureInPicture.window;
          return w.getComputedStyle(w.document.body).backgroundColor;
        });
        assert.notEqual(bg, "rgba(0, 0, 0, 0)", "the PiP window is unstyled");
        await page.evaluate(() => documentPictureInPicture.window.close());
        await page.getByTestId("room-view").waitFor();
      } else {
        console.log("# documentPictureInPicture is absent in this Chromium: the pop-out was not exercised");
      }
      await page.waitForTimeout(300);
      assert.deepEqual(await page.evaluate(() => window.__violations), [], "the app itself broke the policy");
    } catch (e) {
      await screenshot(page, "fail-csp").catch(() => {});
      throw e;
    }
    await ctx.close();
  });
});
