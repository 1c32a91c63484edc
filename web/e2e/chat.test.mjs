// The browser end-to-end suite: two users in two browser contexts against the real server.
// Run: ROOMCHAT_BIN=/abs/path/roomchat npm run e2e   (after npm run build)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fillSignup, launchBrowser, screenshot, startServer, seedRoom, newPage, messageRow } from "./harness.mjs";

const T = 15_000;
let server;
let browser;
let ctxA;
let ctxB;
let A; // Ann's page
let B; // Bob's page
let roomUrl;
let roomId;
const run = Date.now().toString(36);
const ann = { username: `ann_${run}`, displayName: "Ann", password: "correct horse 1" };
const bob = { username: `bob_${run}`, displayName: "Bob", password: "battery staple 2" };

const msg = messageRow;
/** The newest message of General once the bulk step ran. */
const lastBulk = (page) => page.locator('[data-testid="bubble"]').filter({ hasText: /^bulk 1100$/ });

async function send(page, text) {
  const input = page.getByTestId("composer-input");
  await input.fill(text);
  await input.press("Enter");
  await msg(page, text).first().waitFor();
}

let broken = null;
/** Steps build on each other: after a failure the rest are skipped, and screenshots are kept. */
function step(name, fn) {
  it(name, async (t) => {
    if (broken) return t.skip(`after the failure in "${broken}"`);
    try {
      await fn(t);
    } catch (e) {
      broken = name;
      const slug = name.replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
      if (A) await screenshot(A, `fail-${slug}-ann`).catch(() => {});
      if (B) await screenshot(B, `fail-${slug}-bob`).catch(() => {});
      throw e;
    }
  });
}

async function waitText(locator, text) {
  await locator.filter({ hasText: text }).first().waitFor();
}

describe("roomchat in the browser", { timeout: 600_000 }, () => {
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    ctxA = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
    ctxB = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1100, height: 760 }, colorScheme: "dark" });
    A = await newPage(ctxA, T);
    B = await newPage(ctxB, T);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  step("signs up Ann and shows the empty home page", async () => {
    await A.goto("/");
    await A.waitForURL(/\/login/);
    await screenshot(A, "01-login");
    await fillSignup(A, ann);
    await A.waitForURL((u) => u.pathname === "/");
    await A.getByTestId("public-empty").or(A.getByTestId("public-rooms")).waitFor();
    await screenshot(A, "02-home-empty");
  });

  step("Ann creates a public room (with confirmation-free create dialog)", async () => {
    await A.getByTestId("sidebar-create-room").click();
    const form = A.getByTestId("create-room-form");
    await form.getByLabel("Name").fill("General");
    await form.getByText("Public", { exact: true }).click();
    await screenshot(A, "03-create-room");
    await form.getByRole("button", { name: "Create" }).click();
    await A.waitForURL(/\/rooms\/[A-Za-z0-9_-]+$/);
    roomUrl = new URL(A.url()).pathname;
    roomId = roomUrl.split("/").pop();
    await A.getByTestId("room-title").filter({ hasText: "General" }).waitFor();
    await A.getByTestId("history-start").waitFor();
    await A.getByTestId("nav-mine").getByText("General").waitFor();
  });

  step("Bob opens the deep link, signs up, and comes back to the room", async () => {
    await B.goto(roomUrl);
    await B.waitForURL(/\/login\?redirect=/);
    assert.equal(new URL(B.url()).searchParams.get("redirect"), roomUrl);
    await fillSignup(B, bob);
    await B.waitForURL((u) => u.pathname === roomUrl);
    await B.getByTestId("room-title").filter({ hasText: "General" }).waitFor();
  });

  step("exchanges messages both ways, own messages on the right", async () => {
    await send(A, "Hello from Ann");
    await msg(B, "Hello from Ann").waitFor();
    await send(B, "Hi Ann, Bob here 👋 https://example.com/docs");
    await msg(A, "Hi Ann, Bob here").waitFor();
    assert.equal(await msg(A, "Hello from Ann").getAttribute("data-mine"), "true");
    assert.equal(await msg(A, "Hi Ann, Bob here").getAttribute("data-mine"), "false");
    assert.equal(await msg(B, "Hello from Ann").getAttribute("data-mine"), "false");
    // acked, not optimistic any more: it has a seq
    await A.waitForFunction(() => document.querySelector('[data-testid="message"][data-mine="true"]')?.getAttribute("data-seq"));
    // the URL is a link that opens in a new tab
    const link = msg(A, "Hi Ann, Bob here").locator("a");
    assert.equal(await link.getAttribute("href"), "https://example.com/docs");
    assert.equal(await link.getAttribute("target"), "_blank");
    await send(A, "🎉");
    await msg(B, "🎉").locator("[data-emoji-only]").waitFor(); // emoji-only messages are shown large
  });

  step("shows presence and typing", async () => {
    await A.waitForFunction(() => document.querySelector('[data-testid="online-count"]')?.textContent === "2");
    await B.waitForFunction(() => document.querySelector('[data-testid="online-count"]')?.textContent === "2");
    await A.locator('[data-testid="author-avatar"] [data-presence="active"]').first().waitFor();
    const input = B.getByTestId("composer-input");
    await input.click();
    await input.pressSequentially("I am typ", { delay: 40 });
    await waitText(A.getByTestId("typing-label"), "Bob is typing");
    await screenshot(A, "04-room-typing");
    await input.fill("");
    await input.blur();
    await A.getByTestId("typing-label").waitFor({ state: "detached" });
    await A.getByTestId("members-button").click();
    await A.getByTestId("member-dialog").getByText("Bob").waitFor();
    assert.equal(await A.getByTestId("member").count(), 2);
    await screenshot(A, "05-member-dialog");
    await A.keyboard.press("Escape");
  });

  step("shares idle status through the Idle Detection API when turned on", async () => {
    // A stand-in IdleDetector: permission granted, and the user goes idle shortly after start.
    await B.addInitScript(() => {
      class FakeIdleDetector extends EventTarget {
        userState = "active";
        screenState = "unlocked";
        static async requestPermission() {
          return "granted";
        }
        async start() {
          setTimeout(() => {
            this.userState = "idle";
            this.dispatchEvent(new Event("change"));
          }, 300);
        }
      }
      window.IdleDetector = FakeIdleDetector;
    });
    await B.goto("/settings");
    const toggle = B.getByRole("switch", { name: "Show my status" });
    assert.equal(await toggle.getAttribute("aria-checked"), "false", "off by default");
    await toggle.click();
    await B.waitForFunction(() => document.querySelector("#show-status")?.getAttribute("aria-checked") === "true");
    await B.goto(roomUrl);
    await A.locator('[data-testid="author-avatar"] [data-presence="idle"]').first().waitFor();
    await A.getByTestId("members-button").click();
    await waitText(A.getByTestId("member-status"), "Idle");
    await A.keyboard.press("Escape");
  });

  step("replies with a quote that jumps to the original", async () => {
    await msg(B, "Hello from Ann").locator('[data-testid="bubble"]').click({ button: "right" });
    await B.getByRole("menuitem", { name: "Reply" }).click();
    await waitText(B.getByTestId("composer-context"), "Replying to Ann");
    await send(B, "This is a reply");
    const reply = msg(A, "This is a reply");
    await reply.waitFor();
    await waitText(reply.getByTestId("reply-quote"), "Hello from Ann");
    await reply.getByTestId("reply-quote").click();
    await A.waitForSelector(".reply-flash");
  });

  step("a click on an avatar inserts a mention, which is highlighted", async () => {
    await A.locator('[data-testid="author-avatar"]').last().click();
    assert.equal(await A.getByTestId("composer-input").inputValue(), "@Bob ");
    await A.getByTestId("composer-input").press("End");
    await A.getByTestId("composer-input").pressSequentially("look at this");
    await A.getByTestId("composer-input").press("Enter");
    await msg(B, "look at this").locator('[data-mention="Bob"]').waitFor();
  });

  step("edits and deletes own messages", async () => {
    await send(A, "Typo mesage");
    await msg(B, "Typo mesage").waitFor();
    await msg(A, "Typo mesage").hover();
    await msg(A, "Typo mesage").getByRole("button", { name: "Edit" }).click();
    const input = A.getByTestId("composer-input");
    await input.fill("Fixed message");
    await input.press("Enter");
    await msg(B, "Fixed message").waitFor();
    await waitText(msg(B, "Fixed message"), "edited");
    await send(A, "Delete me");
    await msg(B, "Delete me").waitFor();
    await msg(A, "Delete me").hover();
    await msg(A, "Delete me").getByRole("button", { name: "Delete" }).click();
    await A.getByTestId("confirm-action").click();
    await B.getByTestId("deleted").first().waitFor();
    assert.equal(await msg(B, "Delete me").count(), 0);
    await screenshot(A, "06-room-ann");
    await screenshot(B, "07-room-bob");
  });

  step("Enter sends, Shift+Enter makes a new line, IME composition never sends", async () => {
    const input = A.getByTestId("composer-input");
    await input.fill("line one");
    await input.press("Shift+Enter");
    await input.pressSequentially("line two");
    assert.equal(await input.inputValue(), "line one\nline two");
    // Enter while an IME is composing picks a candidate: nothing is sent
    await input.evaluate((el) => el.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", code: "Enter", keyCode: 229, isComposing: true, bubbles: true, cancelable: true })));
    await A.waitForTimeout(300);
    assert.equal(await input.inputValue(), "line one\nline two");
    await input.press("Enter");
    await msg(B, "line two").waitFor();
    assert.equal(await msg(B, "line two").locator('[data-testid="bubble"]').innerText(), "line one\nline two");
  });

  step("a hidden tab counts unread messages in the title and the favicon", async () => {
    await A.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await send(B, "Are you there?");
    await A.waitForFunction(() => document.title.startsWith("(1) General"));
    await A.waitForFunction(() => document.querySelector("link#favicon").href.endsWith("/favicon-unread.svg"));
    await A.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await A.waitForFunction(() => document.title === "General · roomchat");
    await A.waitForFunction(() => document.querySelector("link#favicon").href.endsWith("/favicon.svg"));
  });

  step("a send the server refuses shows a failed state with retry", async () => {
    // Make the next outgoing send too long on the wire (the composer itself never allows it).
    await A.evaluate(() => {
      const orig = WebSocket.prototype.send;
      WebSocket.prototype.send = function (data) {
        if (typeof data === "string" && data.includes('"Make me fail"')) {
          WebSocket.prototype.send = orig;
          data = data.replace('"Make me fail"', JSON.stringify("x".repeat(4001)));
        }
        return orig.call(this, data);
      };
    });
    const input = A.getByTestId("composer-input");
    await input.fill("Make me fail");
    await input.press("Enter");
    await msg(A, "Make me fail").getByTestId("failed-state").waitFor();
    await screenshot(A, "08b-failed-send");
    assert.equal(await msg(B, "Make me fail").count(), 0);
    await msg(A, "Make me fail").getByRole("button", { name: "Retry" }).click();
    await msg(B, "Make me fail").waitFor();
    await A.waitForFunction(() => [...document.querySelectorAll('[data-testid="message"][data-seq]')].some((e) => e.textContent.includes("Make me fail")));
    assert.equal(await msg(A, "Make me fail").count(), 1);
    assert.equal(await A.getByTestId("failed-state").count(), 0);
  });

  step("pops the room out with Document Picture-in-Picture where the API exists", async (t) => {
    const supported = await A.evaluate(() => "documentPictureInPicture" in window);
    t.diagnostic(`documentPictureInPicture ${supported ? "available: pop-out tested" : "absent: only the button's absence is checked"}`);
    if (!supported) {
      assert.equal(await A.getByRole("button", { name: "Pop out" }).count(), 0, "no PiP button without the API");
      return;
    }
    await A.getByRole("button", { name: "Pop out" }).click();
    await A.getByText("is open in a pop-out window").waitFor();
    const pipHasRoom = await A.evaluate(() => !!documentPictureInPicture.window?.document.querySelector('[data-testid="room-view"]'));
    assert.ok(pipHasRoom, "the room is rendered in the PiP window");
    const styled = await A.evaluate(() => documentPictureInPicture.window.document.querySelectorAll("style,link[rel=stylesheet]").length);
    assert.ok(styled > 0, "stylesheets copied");
    await A.evaluate(() => documentPictureInPicture.window.close());
    await A.getByTestId("room-view").waitFor();
  });

  step("searches the room and jumps to a result", async () => {
    await A.getByTestId("open-search").click();
    await A.getByTestId("search-input").fill("reply");
    await A.getByTestId("search-result").first().waitFor();
    await screenshot(A, "08-search");
    await A.getByTestId("search-result").first().click();
    await A.waitForSelector(".reply-flash");
  });

  step("queues a message sent offline and delivers it after reconnect", async () => {
    const before = await B.locator('[data-testid="message"]').count();
    await ctxB.setOffline(true);
    await B.waitForFunction(() => navigator.onLine === false);
    const input = B.getByTestId("composer-input");
    await input.fill("Sent while offline");
    await input.press("Enter");
    const pending = msg(B, "Sent while offline");
    await pending.getByTestId("pending-state").waitFor();
    assert.equal(await B.getByTestId("send-button").isDisabled(), true, "empty input after send");
    await screenshot(B, "09-offline-pending");
    await A.waitForTimeout(1500);
    assert.equal(await msg(A, "Sent while offline").count(), 0, "not delivered while offline");
    await ctxB.setOffline(false);
    await msg(A, "Sent while offline").waitFor({ timeout: 20_000 });
    await B.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="message"]')].filter((e) => e.textContent.includes("Sent while offline") && e.getAttribute("data-seq")).length === 1,
      null,
      { timeout: 20_000 },
    );
    assert.equal(await msg(B, "Sent while offline").count(), 1, "no duplicate after the resend");
    assert.equal(await msg(A, "Sent while offline").count(), 1);
    assert.ok((await B.locator('[data-testid="message"]').count()) >= before + 1, "loaded history kept");
    // and the connection works both ways again
    await send(A, "Welcome back");
    await msg(B, "Welcome back").waitFor();
  });

  step("a server restart: both reconnect, catch up and lose nothing", async () => {
    const countA = await A.locator('[data-testid="message"][data-seq]').count();
    const countB = await B.locator('[data-testid="message"][data-seq]').count();
    const restarting = server.restart({ downMs: 1500 });
    await A.getByTestId("connection-status").waitFor(); // "Reconnecting…"
    await send(A, "Sent during the restart");
    await restarting;
    await msg(B, "Sent during the restart").waitFor({ timeout: 30_000 });
    await A.getByTestId("connection-status").waitFor({ state: "detached", timeout: 30_000 });
    await B.getByTestId("connection-status").waitFor({ state: "detached", timeout: 30_000 });
    await A.waitForFunction(() => [...document.querySelectorAll('[data-testid="message"][data-seq]')].some((e) => e.textContent.includes("Sent during the restart")));
    assert.equal(await A.locator('[data-testid="message"][data-seq]').count(), countA + 1, "Ann kept her history, one new message");
    assert.equal(await B.locator('[data-testid="message"][data-seq]').count(), countB + 1, "Bob kept his history, one new message");
    await send(B, "Back after the restart");
    await msg(A, "Back after the restart").waitFor();
  });

  step("a long absence (catch-up reset) fills the gap instead of dropping history", async () => {
    const before = await B.locator('[data-testid="message"][data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
    await ctxB.setOffline(true);
    await B.waitForFunction(() => navigator.onLine === false);
    // 1100 messages while Bob is away: more than the server's catch-up window (1000)
    await A.evaluate(async (roomId) => {
      const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/rooms/${roomId}/ws?tab=seed2`);
      await new Promise((res, rej) => {
        ws.onopen = res;
        ws.onerror = () => rej(new Error("seed socket failed"));
      });
      // paced in batches: the test server allows 1000 messages a second
      let acks = 0;
      let wake = () => {};
      let failure = null;
      ws.onmessage = (ev) => {
        const f = JSON.parse(ev.data);
        if (f.type === "ack") acks++;
        if (f.type === "error") failure = new Error(`${f.code}: ${f.message}`);
        wake();
      };
      const until = (cond) =>
        new Promise((res, rej) => {
          const t = setTimeout(() => rej(new Error(`seed timeout after ${acks} acks`)), 60_000);
          wake = () => {
            if (failure) rej(failure);
            else if (cond()) (clearTimeout(t), res());
          };
          wake();
        });
      let welcomed = false;
      const onMsg = ws.onmessage;
      ws.onmessage = (ev) => {
        if (JSON.parse(ev.data).type === "welcome") welcomed = true;
        onMsg(ev);
      };
      ws.send(JSON.stringify({ type: "hello" }));
      await until(() => welcomed);
      for (let start = 1; start <= 1100; start += 275) {
        for (let i = start; i < start + 275; i++) ws.send(JSON.stringify({ type: "send", clientId: `bulk-${i}`, kind: "text", text: `bulk ${i}` }));
        await until(() => acks >= start + 274);
        await new Promise((r) => setTimeout(r, 400));
      }
      ws.close();
    }, roomId);
    await ctxB.setOffline(false);
    const bubble = (text) => B.locator('[data-testid="bubble"]').filter({ hasText: new RegExp(`^${text}$`) });
    await bubble("bulk 1100").waitFor({ timeout: 30_000 });
    await bubble("bulk 1").waitFor({ state: "attached", timeout: 30_000 });
    const after = await B.locator('[data-testid="message"][data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
    for (const s of before) assert.ok(after.includes(s), `kept seq ${s}`);
    for (let i = 1; i < after.length; i++) assert.equal(after[i], after[i - 1] + 1, `no hole after seq ${after[i - 1]}`);
    assert.equal(after.length, before.length + 1100);
  });

  step("scrolls through 200 seeded messages upward, in order, without duplicates", async () => {
    const seeded = await seedRoom(A, { name: "History", visibility: "unlisted", count: 200, prefix: "seed" });
    await B.goto(`/rooms/${seeded}`);
    await msg(B, "seed message 200").waitFor();
    const scroller = B.getByTestId("message-scroller");
    // the newest message is in view at first
    assert.ok(await msg(B, "seed message 200").isVisible());

    // One prepend with the reading position measured: the message on screen must not move.
    await B.waitForTimeout(500); // let the first render settle
    const probe = await scroller.evaluate((el) => {
      el.scrollTop = 60; // near the top: the sentinel comes into range and loads a page
      const first = el.querySelector('[data-testid="message"][data-seq]');
      return { seq: first.getAttribute("data-seq"), top: first.getBoundingClientRect().top };
    });
    await B.waitForFunction((s) => document.querySelector('[data-testid="message"][data-seq]')?.getAttribute("data-seq") !== s, probe.seq);
    await B.waitForTimeout(300);
    const topAfter = await B.locator(`[data-seq="${probe.seq}"]`).evaluate((e) => e.getBoundingClientRect().top);
    assert.ok(Math.abs(topAfter - probe.top) <= 2, `reading position kept (moved ${topAfter - probe.top}px)`);

    for (let i = 0; i < 40; i++) {
      if (await B.getByTestId("history-start").isVisible()) break;
      await scroller.evaluate((el) => (el.scrollTop = 0));
      await B.waitForTimeout(250);
    }
    await B.getByTestId("history-start").waitFor();
    const seqs = await B.locator('[data-testid="message"][data-seq]').evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
    const texts = await B.locator('[data-testid="message"][data-seq]').evaluateAll((els) => els.map((e) => e.querySelector('[data-testid="bubble"]').textContent));
    assert.equal(seqs.length, 200, "all 200 messages, once each");
    assert.equal(new Set(seqs).size, 200, "no duplicates");
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `ascending at ${i}`);
    for (let i = 0; i < 200; i++) assert.equal(texts[i], `seed message ${i + 1}`);
    await screenshot(B, "10-history-top");
    // scrolled up: a new message shows the jump button with an unread count
    await A.goto(`/rooms/${seeded}`);
    await send(A, "New while Bob reads old stuff");
    await waitText(B.getByTestId("unread-count"), "1");
    await screenshot(B, "11-jump-to-bottom");
    await B.getByTestId("jump-to-bottom").click();
    await B.getByTestId("jump-to-bottom").waitFor({ state: "detached" });
  });

  step("a private room refuses a non-member until they accept an invite", async () => {
    const prev = new URL(A.url()).pathname;
    await A.getByTestId("sidebar-create-room").click();
    const form = A.getByTestId("create-room-form");
    await form.getByLabel("Name").fill("Secret plans");
    await form.getByText("Private", { exact: true }).click();
    await form.getByRole("button", { name: "Create" }).click();
    await A.waitForURL((u) => u.pathname.startsWith("/rooms/") && u.pathname !== prev);
    const secretUrl = new URL(A.url()).pathname;
    await A.getByTestId("room-title").filter({ hasText: "Secret plans" }).waitFor();
    await send(A, "top secret");

    await B.goto(secretUrl);
    await waitText(B.getByTestId("room-blocked"), "This room is private");
    await screenshot(B, "12-private-refused");
    assert.equal(await msg(B, "top secret").count(), 0);

    await A.getByTestId("room-settings-button").click();
    await A.getByRole("button", { name: "Create invite link" }).click();
    const link = await A.getByTestId("invite-link").inputValue();
    await screenshot(A, "13-room-settings");
    await A.keyboard.press("Escape");
    await B.goto(new URL(link).pathname);
    await B.getByTestId("accept-invite").click();
    await B.waitForURL((u) => u.pathname === secretUrl);
    await msg(B, "top secret").waitFor();
    await B.getByTestId("nav-mine").getByText("Secret plans").waitFor();

    // the owner removes Bob: his socket closes with 4403 and the room says so
    await A.getByTestId("members-button").click();
    await A.getByRole("button", { name: "Remove Bob from the room" }).click();
    await A.getByTestId("confirm-action").click();
    await waitText(B.getByTestId("room-blocked"), "You were removed from this room");
    await A.keyboard.press("Escape");
  });

  step("asks before making a room public", async () => {
    await A.getByTestId("room-settings-button").click();
    await A.getByRole("radio", { name: /Public/ }).click();
    await A.getByText("Make this room public?").waitFor();
    await A.getByRole("button", { name: "Cancel" }).click();
    assert.equal(await A.getByRole("radio", { name: /Private/ }).getAttribute("aria-checked"), "true");
    await A.keyboard.press("Escape");
  });

  step("the owner renames a room; anyone can favorite it", async () => {
    await A.goto(roomUrl);
    await B.goto(roomUrl);
    await A.getByTestId("room-settings-button").click();
    const name = A.getByTestId("room-settings").getByLabel("Name");
    await name.fill("General chat");
    await A.getByRole("button", { name: "Rename" }).click();
    await A.getByText("Room renamed").waitFor();
    await A.keyboard.press("Escape");
    await B.getByTestId("room-title").filter({ hasText: "General chat" }).waitFor(); // roomUpdated reached Bob
    await B.getByTestId("favorite").click();
    await B.getByTestId("nav-favorites").getByText("General chat").waitFor();
    assert.equal(await B.getByTestId("favorite").getAttribute("aria-pressed"), "true");
  });

  step("with the typing indicator turned off, nothing is sent", async () => {
    await B.goto("/settings");
    await B.getByRole("switch", { name: "Show typing indicator" }).click();
    await B.goto(roomUrl);
    const input = B.getByTestId("composer-input");
    await input.click();
    await input.pressSequentially("quiet typing", { delay: 30 });
    await A.waitForTimeout(1500);
    assert.equal(await A.getByTestId("typing-label").count(), 0);
    await input.fill("");
    await B.goto("/settings");
    await B.getByRole("switch", { name: "Show typing indicator" }).click();
  });

  step("public discovery pages with load more", async () => {
    await A.evaluate(async () => {
      for (let i = 1; i <= 22; i++) {
        const r = await fetch("/api/rooms", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name: `Lobby ${i}`, visibility: "public" }) });
        if (r.status !== 201) throw new Error(`create room ${i}: ${r.status} ${await r.text()}`);
      }
    });
    await A.goto("/");
    const items = A.getByTestId("public-rooms").locator("li");
    await items.first().waitFor();
    assert.equal(await items.count(), 20);
    await A.getByRole("button", { name: "Load more" }).click();
    await A.waitForFunction(() => document.querySelectorAll('[data-testid="public-rooms"] li').length === 23);
    assert.equal(await A.getByRole("button", { name: "Load more" }).count(), 0, "no more pages");
    const names = await items.evaluateAll((els) => els.map((e) => e.textContent));
    assert.equal(new Set(names).size, 23, "no duplicates across pages");
    await waitText(items.first(), "Active just now");
  });

  step("settings page and the mobile layout", async () => {
    await A.goto("/settings");
    await A.getByText("Show typing indicator").waitFor();
    await screenshot(A, "14-settings");
    await A.goto("/");
    await A.getByTestId("public-rooms").waitFor();
    await screenshot(A, "15-home");

    const mobile = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, colorScheme: "dark" });
    await mobile.addCookies(await ctxA.cookies());
    const M = await newPage(mobile, T);
    await M.goto(roomUrl);
    await lastBulk(M).waitFor();
    const overflow = await M.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scroll at 375 px (overflow ${overflow}px)`);
    await screenshot(M, "16-mobile-room");
    await M.getByTestId("sidebar-trigger").click();
    await M.getByTestId("sidebar").getByText("General").waitFor();
    await M.waitForTimeout(500); // the sheet slides in
    await screenshot(M, "17-mobile-sidebar");
    await M.keyboard.press("Escape");
    await M.goto("/");
    await M.getByTestId("public-rooms").waitFor();
    await screenshot(M, "18-mobile-home");
    await mobile.close();
  });

  step("deleting a room sends its visitors back home with a notice", async () => {
    await A.getByTestId("nav-mine").getByText("History").click();
    await A.getByTestId("room-title").filter({ hasText: "History" }).waitFor();
    const secretUrl = new URL(A.url()).pathname;
    await B.goto(secretUrl);
    await msg(B, "seed message 200").waitFor();
    await A.getByTestId("room-settings-button").click();
    await A.getByRole("button", { name: "Delete" }).click();
    await A.getByTestId("confirm-action").click();
    await A.waitForURL((u) => u.pathname === "/");
    await B.waitForURL((u) => u.pathname === "/");
    await B.getByText(/was deleted/).waitFor();
    await B.goto(secretUrl);
    await waitText(B.getByTestId("room-blocked"), "Room not found");
  });

  step("logs out and the room socket ends", async () => {
    await B.goto(roomUrl);
    await lastBulk(B).waitFor();
    await B.getByTestId("user-menu").click();
    await B.getByTestId("logout").click();
    await B.waitForURL(/\/login/);
    await B.goto(roomUrl);
    await B.waitForURL(/\/login\?redirect=/);
    // one button per OpenID provider the server lists (faked here: the test server has none)
    await B.route("**/api/auth/providers", (route) => route.fulfill({ json: { password: true, oidc: [{ id: "acme", name: "Acme SSO" }] } }));
    await B.reload();
    const sso = B.getByRole("link", { name: "Continue with Acme SSO" });
    await sso.waitFor();
    assert.equal(await sso.getAttribute("href"), `/api/auth/oidc/acme/start?redirect=${encodeURIComponent(roomUrl)}`);
    await screenshot(B, "19-login-with-sso");
    await B.unroute("**/api/auth/providers");
    // log in again (the log-in form, not sign-up) and land back in the room
    const form = B.getByTestId("login-form");
    await form.getByLabel("Password").fill("wrong password");
    await form.getByLabel("Username").fill(bob.username);
    await form.getByRole("button", { name: "Log in" }).click();
    await form.getByText("Wrong username or password.").waitFor();
    await form.getByLabel("Password").fill(bob.password);
    await form.getByRole("button", { name: "Log in" }).click();
    await B.waitForURL((u) => u.pathname === roomUrl);
    await lastBulk(B).waitFor();
  });
});
