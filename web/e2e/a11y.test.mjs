// Accessibility in the browser: axe-core (WCAG 2.1 A and AA rules) on every screen, the message
// actions by keyboard alone, and a message list that only announces new messages.
// Run: ROOMCHAT_BIN=/abs/path/roomchat node --test e2e/a11y.test.mjs   (after npm run build)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { axeViolations, fillSignup, launchBrowser, screenshot, startServer, seedRoom, newPage, messageRow } from "./harness.mjs";

const T = 15_000;
let server;
let browser;
let ctxA;
let ctxB;
let A; // Ann
let B; // Bob
let roomUrl;
const run = Date.now().toString(36);
const ann = { username: `ann_${run}`, displayName: "Ann", password: "correct horse 1" };
const bob = { username: `bob_${run}`, displayName: "Bob", password: "battery staple 2" };

const msg = messageRow;

async function send(page, text) {
  const input = page.getByTestId("composer-input");
  await input.fill(text);
  await input.press("Enter");
  await page.locator('[data-testid="message"][data-seq]', { hasText: text }).first().waitFor();
}

/** Fails with every violation axe finds on the page as it is now. */
async function expectAccessible(page, screen) {
  // Let transitions finish (dialogs, sheets, a toast fading in or out): axe
  // reads computed colours, and a half-faded element fails contrast. Endless
  // animations (spinners, typing dots) are not waited for.
  await page.waitForTimeout(400);
  await page
    .waitForFunction(
      () =>
        document
          .getAnimations()
          .every((a) => a.playState !== "running" || a.effect?.getTiming().iterations === Infinity),
      null,
      { timeout: 10_000 },
    )
    .catch(() => {});
  const found = await axeViolations(page);
  if (found.length) await screenshot(page, `a11y-${screen}`).catch(() => {});
  // A11Y_REPORT=1 lists every screen's violations in one run instead of stopping at the first.
  if (process.env.A11Y_REPORT && found.length) return void console.log(`### ${screen}\n${found.join("\n")}`);
  assert.deepEqual(found, [], `axe on "${screen}":\n${found.join("\n")}`);
}

/** What has the keyboard focus: a message row (its text), a button (its name) or a field. */
const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { kind: "none" };
    if (el.getAttribute("data-testid") === "message") return { kind: "row", text: el.querySelector('[data-testid="bubble"]')?.textContent ?? "", seq: el.getAttribute("data-seq") };
    return { kind: el.tagName.toLowerCase(), name: el.getAttribute("aria-label") ?? el.textContent?.trim() ?? "", testid: el.getAttribute("data-testid") };
  });

/** Presses `key` until the focus satisfies `ok` (at most `max` presses). */
async function pressUntil(page, key, ok, max = 40) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    const f = await focused(page);
    if (ok(f)) return f;
    seen.push(JSON.stringify(f));
    await page.keyboard.press(key);
  }
  const f = await focused(page);
  assert.ok(ok(f), `focus did not get there with ${key}; it went:\n${[...seen, JSON.stringify(f)].join("\n")}`);
  return f;
}

let broken = null;
function step(name, fn) {
  it(name, async (t) => {
    if (broken) return t.skip(`after the failure in "${broken}"`);
    try {
      await fn(t);
    } catch (e) {
      broken = name;
      const slug = name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
      if (A) await screenshot(A, `fail-a11y-${slug}-ann`).catch(() => {});
      if (B) await screenshot(B, `fail-a11y-${slug}-bob`).catch(() => {});
      throw e;
    }
  });
}

describe("accessibility", { timeout: 600_000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    ctxA = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
    ctxB = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1100, height: 760 }, colorScheme: "dark" });
    await ctxA.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.baseUrl });
    A = await newPage(ctxA, T);
    B = await newPage(ctxB, T);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  step("the login page (log in and sign up tabs)", async () => {
    await A.goto("/login");
    await A.getByTestId("login-form").waitFor();
    await expectAccessible(A, "login");
    await A.getByRole("tab", { name: "Sign up" }).click();
    await A.getByTestId("signup-form").waitFor();
    await expectAccessible(A, "signup");
  });

  step("the home page, empty and with the create-room dialog open", async () => {
    await fillSignup(A, ann);
    await A.waitForURL((u) => u.pathname === "/");
    await A.getByTestId("public-empty").or(A.getByTestId("public-rooms")).waitFor();
    await expectAccessible(A, "home-empty");
    await A.getByTestId("sidebar-create-room").click();
    await A.getByTestId("create-room-form").waitFor();
    await expectAccessible(A, "create-room-dialog");
    const form = A.getByTestId("create-room-form");
    await form.getByLabel("Name").fill("Lobby");
    await form.getByText("Public", { exact: true }).click();
    await form.getByRole("button", { name: "Create" }).click();
    await A.waitForURL(/\/rooms\/[A-Za-z0-9_-]+$/);
    roomUrl = new URL(A.url()).pathname;
    await A.getByTestId("history-start").waitFor();
    await expectAccessible(A, "room-empty");
  });

  step("a room with messages (replies, edits, a deletion, links, emoji), its dialogs, and the settings page", async () => {
    await B.goto(roomUrl);
    await B.waitForURL(/\/login\?redirect=/);
    await fillSignup(B, bob);
    await B.waitForURL((u) => u.pathname === roomUrl);
    await send(A, "Hello from Ann, see https://example.com/docs");
    await send(B, "Hi Ann, Bob here");
    await send(B, "🎉");
    await msg(A, "Hi Ann, Bob here").locator('[data-testid="bubble"]').click({ button: "right" });
    await A.getByRole("menuitem", { name: "Reply" }).click();
    await send(A, "A reply to Bob");
    await send(A, "Typo mesage");
    await msg(A, "Typo mesage").hover();
    await msg(A, "Typo mesage").getByRole("button", { name: "Edit" }).click();
    await A.getByTestId("composer-input").fill("Fixed message");
    await A.getByTestId("composer-input").press("Enter");
    await msg(A, "Fixed message").getByText("edited", { exact: true }).waitFor();
    await send(A, "Delete me");
    await msg(A, "Delete me").hover();
    await msg(A, "Delete me").getByRole("button", { name: "Delete" }).click();
    await A.getByTestId("confirm-action").waitFor();
    await expectAccessible(A, "confirm-delete-dialog");
    await A.getByTestId("confirm-action").click();
    await A.getByTestId("deleted").waitFor();
    await A.mouse.move(0, 0);
    await expectAccessible(A, "room-with-messages");
    await expectAccessible(B, "room-with-messages-bob");

    await msg(A, "Hi Ann, Bob here").first().hover(); // the hover toolbar
    await expectAccessible(A, "room-message-actions");
    await A.mouse.move(0, 0);

    await A.getByTestId("members-button").click();
    await A.getByTestId("member-dialog").waitFor();
    await expectAccessible(A, "member-dialog");
    await A.keyboard.press("Escape");
    await A.getByTestId("open-search").click();
    await A.getByTestId("search-input").fill("reply");
    await A.getByTestId("search-result").first().waitFor();
    await expectAccessible(A, "search-dialog");
    await A.keyboard.press("Escape");
    await A.getByTestId("room-settings-button").click();
    await A.getByTestId("room-settings").waitFor();
    await expectAccessible(A, "room-settings-dialog");
    await A.keyboard.press("Escape");
    await A.getByTestId("user-menu").click();
    await A.getByTestId("logout").waitFor();
    await expectAccessible(A, "user-menu");
    await A.keyboard.press("Escape");

    await A.goto("/");
    await A.getByTestId("public-rooms").waitFor();
    await expectAccessible(A, "home-with-rooms");
    await A.goto("/settings");
    await A.getByText("Show typing indicator").waitFor();
    await expectAccessible(A, "settings");
  });

  step("the light theme passes too", async () => {
    const light = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    await light.addCookies(await ctxA.cookies());
    const L = await newPage(light, T);
    await L.addInitScript(() => localStorage.setItem("roomchat.settings", JSON.stringify({ theme: "light" })));
    await L.goto(roomUrl);
    await msg(L, "Fixed message").waitFor();
    await expectAccessible(L, "room-light");
    await L.goto("/settings");
    await L.getByText("Show typing indicator").waitFor();
    await expectAccessible(L, "settings-light");
    await light.close();
  });

  step("the mobile width (375 px): room, navigation sheet, home", async () => {
    const mobile = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, colorScheme: "dark" });
    await mobile.addCookies(await ctxA.cookies());
    const M = await newPage(mobile, T);
    await M.goto(roomUrl);
    await msg(M, "Fixed message").waitFor();
    await expectAccessible(M, "mobile-room");
    await M.getByTestId("sidebar-trigger").click();
    await M.getByTestId("sidebar").getByText("Lobby").waitFor();
    await expectAccessible(M, "mobile-sidebar");
    await M.keyboard.press("Escape");
    await M.goto("/");
    await M.getByTestId("public-rooms").waitFor();
    await expectAccessible(M, "mobile-home");
    await mobile.close();
  });

  step("replies to, edits and deletes a message with the keyboard alone", async () => {
    await A.goto(roomUrl);
    await send(B, "Reply to me by keyboard");
    await msg(A, "Reply to me by keyboard").waitFor();
    await A.mouse.move(0, 0); // no hover: what shows is what the keyboard brings up
    // From the top of the page, Tab reaches the message box; the message list is just before it,
    // with one row as its Tab stop.
    await A.locator("body").focus();
    await pressUntil(A, "Tab", (f) => f.testid === "composer-input", 80);
    await pressUntil(A, "Shift+Tab", (f) => f.kind === "row");
    await pressUntil(A, "End", (f) => f.kind === "row" && f.text.includes("Reply to me by keyboard"), 2);
    await expectAccessible(A, "room-row-focused");

    // reply: Tab into the row's actions, Enter, type, Enter
    let f = await pressUntil(A, "Tab", (x) => x.kind === "button" && x.name === "Reply", 3);
    assert.equal(f.name, "Reply");
    await A.keyboard.press("Enter");
    f = await focused(A);
    assert.equal(f.testid, "composer-input", "the reply puts the focus in the message box");
    assert.match(await A.getByTestId("composer-input").evaluate((el) => document.getElementById(el.getAttribute("aria-describedby")).textContent), /Replying to Bob/);
    await A.keyboard.type("Answered by keyboard");
    await A.keyboard.press("Enter");
    const reply = msg(B, "Answered by keyboard");
    await reply.getByTestId("reply-quote").filter({ hasText: "Reply to me by keyboard" }).waitFor();

    // edit: back to the list (Shift+Tab), End to my newest message, Tab to Edit
    await msg(A, "Answered by keyboard").and(A.locator("[data-seq]")).waitFor();
    await pressUntil(A, "Shift+Tab", (x) => x.kind === "row");
    await pressUntil(A, "End", (x) => x.kind === "row" && x.text.includes("Answered by keyboard"), 2);
    await pressUntil(A, "Tab", (x) => x.kind === "button" && x.name === "Edit", 4);
    await A.keyboard.press("Enter");
    f = await focused(A);
    assert.equal(f.testid, "composer-input");
    assert.equal(await A.getByTestId("composer-input").inputValue(), "Answered by keyboard");
    await A.keyboard.press("ControlOrMeta+A");
    await A.keyboard.type("Answered and edited by keyboard");
    await A.keyboard.press("Enter");
    await msg(B, "Answered and edited by keyboard").getByText("edited", { exact: true }).waitFor();

    // delete: back to the row, Tab to Delete, Enter, then confirm in the dialog by keyboard
    const row = await pressUntil(A, "Shift+Tab", (x) => x.kind === "row");
    assert.match(row.text, /Answered and edited by keyboard/, "the row that was focused stays the list's Tab stop");
    await pressUntil(A, "Tab", (x) => x.kind === "button" && x.name === "Delete", 5);
    await A.keyboard.press("Enter");
    await A.getByRole("alertdialog").waitFor();
    await pressUntil(A, "Tab", (x) => x.testid === "confirm-action", 3);
    await A.keyboard.press("Enter");
    await B.waitForFunction((seq) => document.querySelector(`[data-seq="${seq}"] [data-testid="deleted"]`), row.seq);
    await A.locator(`[data-seq="${row.seq}"] [data-testid="deleted"]`).waitFor();
    // the actions went away with the focus in them: it is back on the row, not lost
    await A.waitForFunction((seq) => document.activeElement?.getAttribute("data-seq") === seq, row.seq).catch(async (e) => {
      throw new Error(`focus is on ${await A.evaluate(() => document.activeElement?.outerHTML.slice(0, 300))}: ${e.message}`);
    });

    // the arrow keys walk the rows in order
    await A.keyboard.press("ArrowUp");
    const up = await focused(A);
    assert.equal(up.kind, "row");
    assert.ok(Number(up.seq) < Number(row.seq), "ArrowUp goes to an older message");
  });

  step("copies a message with the keyboard, and the copy is announced", async () => {
    await pressUntil(A, "Tab", (x) => x.kind === "button" && x.name === "Copy", 3);
    await A.keyboard.press("Enter");
    await A.getByText("Message copied").waitFor();
    const copied = await A.evaluate(() => navigator.clipboard.readText());
    const rowText = await A.evaluate(() => document.activeElement.closest('[data-testid="message"]').querySelector('[data-testid="bubble"]').textContent);
    assert.equal(copied, rowText);
  });

  step("new messages from others are announced; older pages loaded above are not", async () => {
    const seeded = await seedRoom(A, { name: "Archive", visibility: "public", count: 150, prefix: "old" });
    await B.goto(`/rooms/${seeded}`);
    await B.locator('[data-testid="bubble"]').filter({ hasText: /^old message 150$/ }).waitFor();
    const scroller = B.getByTestId("message-scroller");
    assert.equal(await scroller.getAttribute("aria-live"), null, "the list is not a live region");
    assert.notEqual(await scroller.getAttribute("role"), "log", "role=log would make it one");
    const liveRegions = await B.evaluate(() =>
      [...document.querySelectorAll('[aria-live]:not([aria-live="off"]), [role="log"], [role="status"], [role="alert"]')]
        .filter((e) => e.querySelector('[data-testid="message"]'))
        .map((e) => e.outerHTML.slice(0, 80)),
    );
    assert.deepEqual(liveRegions, [], "no live region contains the messages");
    for (let i = 0; i < 40 && !(await B.getByTestId("history-start").isVisible()); i++) {
      await scroller.evaluate((el) => (el.scrollTop = 0));
      await B.waitForTimeout(250);
    }
    await B.locator('[data-testid="bubble"]').filter({ hasText: /^old message 1$/ }).waitFor();
    const announcer = B.getByTestId("new-message-announcer");
    assert.equal(await announcer.getAttribute("aria-live"), "polite");
    assert.equal((await announcer.textContent()).trim(), "", "nothing was announced for the older pages");
    await A.goto(`/rooms/${seeded}`);
    await send(A, "A new one for Bob");
    await B.waitForFunction(() => document.querySelector('[data-testid="new-message-announcer"]').textContent.includes("Ann: A new one for Bob"));
    assert.doesNotMatch(await announcer.textContent(), /old message/);
    await send(B, "My own reply");
    await B.waitForTimeout(300);
    assert.doesNotMatch(await announcer.textContent(), /My own reply/, "my own messages are not read back to me");
    await expectAccessible(B, "room-long-history");
  });
});
