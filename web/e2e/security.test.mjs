// Stored XSS in the browser: message text, display names and room names that carry HTML,
// script, javascript: URLs or markdown-looking links must reach the other user's screen as
// literal text. Mallory (display name and room name are HTML) posts every payload through
// the composer; Vic reads the room. Both pages are checked: no script ran (window.__pwned
// stays undefined, no dialog opened), each payload is shown verbatim, nothing of the
// injected kind exists in the message list, and every link uses an http(s) href.
// Run: ROOMCHAT_BIN=/abs/path/roomchat npm run e2e   (after npm run build)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fillSignup, launchBrowser, screenshot, startServer } from "./harness.mjs";

const T = 15_000;
const run = Date.now().toString(36);
// Display names and room names are free text (1-64 characters); these are valid.
const EVIL_NAME = `<img src=x onerror="window.__pwned='name'">`;
const EVIL_ROOM = `<svg onload="window.__pwned='room'">`;
const mallory = { username: `mallory_${run}`, displayName: EVIL_NAME, password: "correct horse 3" };
const vic = { username: `vic_${run}`, displayName: "Vic", password: "battery staple 4" };

// Each one sets window.__pwned or opens a dialog if it is ever parsed as HTML, followed as a
// link, or run as a URL. `links` is how many auto-links the text must produce (http(s) only).
const PAYLOADS = [
  { text: `<img src=x onerror="window.__pwned='img'">`, links: 0 },
  { text: `<script>window.__pwned='script'</script>`, links: 0 },
  { text: `<svg><animate onbegin="window.__pwned='svg'" attributeName="x" dur="1s"/></svg>`, links: 0 },
  { text: `<iframe src="javascript:window.__pwned='iframe'"></iframe>`, links: 0 },
  { text: `<a href="javascript:window.__pwned='anchor'">click me</a>`, links: 0 },
  { text: `javascript:window.__pwned='bare'`, links: 0 },
  { text: `JaVaScRiPt:alert('mixed case')`, links: 0 },
  { text: `[click here](javascript:window.__pwned='md-link')`, links: 0 },
  { text: `![logo](x" onerror="window.__pwned='md-image')`, links: 0 },
  { text: `data:text/html,<script>window.__pwned='data'</script>`, links: 0 },
  { text: `<details open ontoggle="window.__pwned='details'">x</details>`, links: 0 },
  { text: `<style>body{display:none}</style><b>bold?</b> &lt;i&gt;entity&lt;/i&gt; &amp;`, links: 0 },
  // URLs next to markup: the link must stop before the quote/bracket and stay http(s).
  { text: `https://example.com/a"><img src=x onerror="window.__pwned='url-break'">`, links: 1 },
  { text: `see https://example.com/x?q=<script>alert(1)</script> now`, links: 1 },
  { text: `javascript://example.com/%0Awindow.__pwned='js-comment'`, links: 0 },
  { text: `[ok](https://example.com/safe) and <https://example.com/angle>`, links: 2 },
  // Mallory's display name inside text makes it a mention segment.
  { text: `hey @${EVIL_NAME} look`, links: 0 },
];
// The element kinds the payloads try to create; none may appear inside a message.
const INJECTED = "img, script, svg, iframe, a[href^='javascript' i], style, b, i, details, animate, object, embed, form";

let server;
let browser;
let M; // Mallory's page
let V; // Vic's page
const dialogs = [];

async function newPage(ctx, who) {
  const page = await ctx.newPage();
  page.setDefaultTimeout(T);
  page.on("pageerror", (e) => console.error(`[${who} page error] ${e.message}`));
  // alert/confirm/prompt from a payload: record it (the test fails on it) and close it.
  page.on("dialog", async (d) => {
    dialogs.push(`${who}: ${d.type()} ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  return page;
}

async function signUp(page, u) {
  await page.goto("/login");
  await fillSignup(page, u);
  await page.waitForURL((url) => url.pathname === "/");
}

/** Texts of every message bubble in the list, as the user sees them. */
const bubbleTexts = (page) => page.locator('[data-testid="bubble"]').allTextContents();

/** What the page would reveal if anything had been injected (evaluated in the page). */
function inspect(page) {
  return page.evaluate((injected) => {
    const list = document.querySelector('[data-testid="message-scroller"]');
    const inBubbles = [...(list?.querySelectorAll('[data-testid="bubble"]') ?? [])].flatMap((b) =>
      [...b.querySelectorAll(injected)].map((e) => e.outerHTML.slice(0, 120)),
    );
    // Event-handler attributes never come from React: any one is injected markup.
    const handlers = [...document.querySelectorAll("*")].flatMap((e) =>
      [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName} ${a.name}`),
    );
    const hrefs = [...document.querySelectorAll("a[href]")].map((a) => a.href);
    const bubbleLinks = [...(list?.querySelectorAll('[data-testid="bubble"] a') ?? [])].map((a) => a.getAttribute("href"));
    return { pwned: window.__pwned, inBubbles, handlers, hrefs, bubbleLinks };
  }, INJECTED);
}

async function assertInert(page, who) {
  const r = await inspect(page);
  assert.equal(r.pwned, undefined, `${who}: a payload ran (window.__pwned = ${JSON.stringify(r.pwned)})`);
  assert.deepEqual(dialogs, [], "a payload opened a dialog");
  assert.deepEqual(r.inBubbles, [], `${who}: injected elements inside messages`);
  assert.deepEqual(r.handlers, [], `${who}: event-handler attributes in the document`);
  for (const href of r.hrefs) {
    assert.match(new URL(href).protocol, /^https?:$/, `${who}: a link with a non-http(s) href: ${href}`);
  }
  for (const href of r.bubbleLinks) {
    assert.match(href, /^https?:\/\//i, `${who}: an auto-link that is not http(s): ${href}`);
  }
  return r;
}

describe("hostile text in the browser is inert", { timeout: 300_000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it("the payloads do run when parsed as HTML (the detector works)", async () => {
    const ctx = await browser.newContext();
    const page = await newPage(ctx, "control");
    await page.setContent(`<div id="out"></div>`);
    for (const html of [PAYLOADS[0].text, PAYLOADS[10].text]) {
      await page.evaluate((h) => {
        delete window.__pwned;
        document.getElementById("out").innerHTML = h;
      }, html);
      await page.waitForFunction(() => window.__pwned !== undefined, null, { timeout: 5_000 });
    }
    await ctx.close();
  });

  it("messages, display names and room names carrying HTML or script are shown literally", async () => {
    const ctxM = await browser.newContext({ baseURL: server.baseUrl });
    const ctxV = await browser.newContext({ baseURL: server.baseUrl });
    M = await newPage(ctxM, "mallory");
    V = await newPage(ctxV, "vic");
    try {
      await signUp(M, mallory);
      await signUp(V, vic);

      // Mallory's room, named with markup.
      await M.getByTestId("sidebar-create-room").click();
      const form = M.getByTestId("create-room-form");
      await form.getByLabel("Name").fill(EVIL_ROOM);
      await form.getByText("Public", { exact: true }).click();
      await form.getByRole("button", { name: "Create" }).click();
      await M.waitForURL(/\/rooms\/[A-Za-z0-9_-]+$/);
      const roomUrl = new URL(M.url()).pathname;
      await M.getByTestId("room-title").filter({ hasText: EVIL_ROOM }).waitFor();

      await V.goto(roomUrl);
      await V.getByTestId("room-title").filter({ hasText: EVIL_ROOM }).waitFor();
      assert.equal((await V.getByTestId("room-title").textContent()).trim(), EVIL_ROOM);

      const input = M.getByTestId("composer-input");
      for (const p of PAYLOADS) {
        await input.fill(p.text);
        await input.press("Enter");
        await V.locator('[data-testid="bubble"]').filter({ hasText: p.text }).first().waitFor();
      }
      // onerror/onload fire asynchronously after a failed load: give them time to.
      await V.waitForTimeout(1000);

      for (const [page, who] of [[V, "vic"], [M, "mallory"]]) {
        const texts = await bubbleTexts(page);
        for (const p of PAYLOADS) {
          assert.ok(texts.includes(p.text), `${who}: ${JSON.stringify(p.text)} is not shown verbatim; bubbles: ${JSON.stringify(texts)}`);
          const bubble = page.locator('[data-testid="bubble"]').filter({ hasText: p.text }).first();
          assert.equal(await bubble.locator("a").count(), p.links, `${who}: auto-links in ${JSON.stringify(p.text)}`);
        }
        await assertInert(page, who);
      }

      // Mallory's name is text wherever Vic sees it: above her messages and in the members list.
      await V.getByText(EVIL_NAME, { exact: true }).first().waitFor();
      await V.getByTestId("members-button").click();
      await V.getByTestId("member").filter({ hasText: EVIL_NAME }).waitFor();
      await V.keyboard.press("Escape");

      // A reply quotes a payload (snippet from the server), and search highlights it.
      await V.locator('[data-testid="bubble"]').filter({ hasText: PAYLOADS[0].text }).first().click({ button: "right" });
      await V.getByRole("menuitem", { name: "Reply" }).click();
      await V.getByTestId("composer-input").fill("replying to that");
      await V.getByTestId("composer-input").press("Enter");
      const quote = M.locator('[data-testid="message"]', { hasText: "replying to that" }).getByTestId("reply-quote");
      await quote.waitFor();
      assert.ok((await quote.textContent()).includes(PAYLOADS[0].text));
      assert.ok((await quote.textContent()).includes(EVIL_NAME), "the quote names Mallory literally");

      await V.getByTestId("open-search").click();
      await V.getByTestId("search-input").fill("pwned");
      await V.getByTestId("search-result").first().waitFor();
      await V.waitForTimeout(500);
      const results = V.getByTestId("search-result");
      assert.equal(await results.locator(INJECTED).count(), 0, "injected elements in search results");
      assert.ok((await results.allTextContents()).some((t) => t.includes("window.__pwned")), "search shows the payload text");
      await screenshot(V, "20-hostile-text-search");
      await V.keyboard.press("Escape");

      await V.waitForTimeout(500);
      for (const [page, who] of [[V, "vic"], [M, "mallory"]]) await assertInert(page, who);
      await screenshot(V, "21-hostile-text");
    } catch (e) {
      if (M) await screenshot(M, "fail-security-mallory").catch(() => {});
      if (V) await screenshot(V, "fail-security-vic").catch(() => {});
      throw e;
    }
  });
});
