// Images, stickers and link cards in the browser, two users against the real server: upload
// (PNG kept, JPEG converted to WebP, hex SHA-256 keys, nothing uploaded twice), the caption after
// the images, zoom by keyboard, a failed upload retried with the same clientId, save to
// stickers and send one, copy an image to the clipboard, a link card from a local page with
// og tags, and an avatar. The server runs with --preview-allow-loopback (its test-only flag) so
// that it may fetch the page this suite serves on 127.0.0.1.
// Run: ROOMCHAT_BIN=/abs/path/roomchat node --test e2e/images.test.mjs   (after npm run build)
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { axeViolations, fillSignup, launchBrowser, messageRow, newPage, screenshot, startServer } from "./harness.mjs";

const T = 15_000;
const run = Date.now().toString(36);
const ann = { username: `ann_${run}`, displayName: "Ann", password: "correct horse 1" };
const bob = { username: `bob_${run}`, displayName: "Bob", password: "battery staple 2" };

let server;
let site; // the local page the link card previews
let siteUrl;
let browser;
let ctxA;
let ctxB;
let A; // Ann
let B; // Bob
let roomUrl;

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");
const msg = messageRow;

/** The PUTs Ann's page makes (method, URL and Content-Type). */
const traffic = { puts: [] };

/**
 * The bodies of the POST /api/uploads requests of the page since it loaded. Recorded by a
 * wrapper around fetch that the test installs (CDP gives no body for a fetch of a Request).
 */
const presigns = (page) => page.evaluate(() => window.__presigns);
async function recordPresigns(ctx) {
  await ctx.addInitScript(() => {
    const orig = window.fetch;
    window.__presigns = [];
    window.fetch = function (input, init) {
      const req = input instanceof Request ? input.clone() : new Request(input, init);
      if (req.method === "POST" && new URL(req.url, location.href).pathname === "/api/uploads") {
        req.json().then((b) => window.__presigns.push(b), () => {});
      }
      return orig.call(this, input, init);
    };
  });
}

/** The sent (acked) image messages of a page, oldest first. */
const imageRows = (page) => page.locator('[data-testid="message"][data-seq]').filter({ has: page.getByTestId("message-images") });

/** The keys of an image row's tiles. */
const keysOf = (row) => row.getByTestId("image-tile").evaluateAll((els) => els.map((e) => e.getAttribute("data-image-key")));

/** A small image made by the page's canvas (a PNG or a JPEG), as a Buffer. */
async function makeImage(page, type, color) {
  const b64 = await page.evaluate(
    async ({ type, color }) => {
      const c = document.createElement("canvas");
      c.width = 96;
      c.height = 64;
      const g = c.getContext("2d");
      g.fillStyle = color;
      g.fillRect(0, 0, 96, 64);
      g.fillStyle = "#ffffff";
      g.fillRect(12, 12, 24, 24);
      const blob = await new Promise((r) => c.toBlob(r, type, 0.92));
      if (blob.type !== type) throw new Error(`the canvas made ${blob.type}, not ${type}`);
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let s = "";
      for (const b of bytes) s += String.fromCharCode(b);
      return btoa(s);
    },
    { type, color },
  );
  return Buffer.from(b64, "base64");
}

async function attach(page, files) {
  await page.getByTestId("image-input").setInputFiles(files);
  await page.getByTestId("attachment").nth(files.length - 1).waitFor();
}

/** Sends what is attached (with `caption`, maybe empty) and waits for the images' ack. */
async function sendAttached(page, caption = "") {
  const before = await imageRows(page).count();
  const input = page.getByTestId("composer-input");
  await input.fill(caption);
  await input.press("Enter");
  await page.waitForFunction(
    (n) =>
      [...document.querySelectorAll('[data-testid="message"][data-seq]')].filter((e) => e.querySelector('[data-testid="message-images"]')).length > n,
    before,
  );
  return imageRows(page).last();
}

/** Fails with every violation axe finds on the page as it is now (after transitions finish). */
async function expectAccessible(page, screen) {
  await page.waitForTimeout(400);
  await page
    .waitForFunction(() => document.getAnimations().every((a) => a.playState !== "running" || a.effect?.getTiming().iterations === Infinity), null, { timeout: 10_000 })
    .catch(() => {});
  const found = await axeViolations(page);
  if (found.length) await screenshot(page, `a11y-images-${screen}`).catch(() => {});
  assert.deepEqual(found, [], `axe on "${screen}":\n${found.join("\n")}`);
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
      if (A) await screenshot(A, `fail-images-${slug}-ann`).catch(() => {});
      if (B) await screenshot(B, `fail-images-${slug}-bob`).catch(() => {});
      throw e;
    }
  });
}

describe("images, stickers and link cards", { timeout: 600_000 }, () => {
  before(async () => {
    // The page a link card previews: og tags, and an og:image on this (other) origin, which the
    // page's CSP would block: the card must not even ask for it.
    site = createServer((req, res) => {
      if (req.url === "/og.png") {
        res.writeHead(404).end();
        return;
      }
      if (req.url === "/article.html") {
        const base = `http://127.0.0.1:${site.address().port}`;
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
        res.end(`<!doctype html><html><head><title>Fallback title</title>
<meta property="og:title" content="A test article">
<meta property="og:description" content="Served by the images suite">
<meta property="og:image" content="${base}/og.png">
</head><body><p>Hello</p></body></html>`);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise((r) => site.listen(0, "127.0.0.1", r));
    siteUrl = `http://127.0.0.1:${site.address().port}/article.html`;

    server = await startServer({ extraArgs: ["--preview-allow-loopback"] });
    browser = await launchBrowser();
    ctxA = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
    ctxB = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1100, height: 760 }, colorScheme: "dark" });
    await ctxB.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.baseUrl });
    await recordPresigns(ctxA);
    A = await newPage(ctxA, T);
    B = await newPage(ctxB, T);
    A.on("request", (r) => {
      if (r.method() === "PUT") traffic.puts.push({ url: r.url(), contentType: r.headers()["content-type"] });
    });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    await new Promise((r) => (site ? site.close(r) : r()));
  });

  step("Ann and Bob sign up and meet in a room", async () => {
    await A.goto("/login");
    await fillSignup(A, ann);
    await A.waitForURL((u) => u.pathname === "/");
    await A.getByTestId("sidebar-create-room").click();
    const form = A.getByTestId("create-room-form");
    await form.getByLabel("Name").fill("Pictures");
    await form.getByText("Public", { exact: true }).click();
    await form.getByRole("button", { name: "Create" }).click();
    await A.waitForURL(/\/rooms\/[A-Za-z0-9_-]+$/);
    roomUrl = new URL(A.url()).pathname;
    await A.getByTestId("history-start").waitFor();
    await B.goto(roomUrl);
    await B.waitForURL(/\/login\?redirect=/);
    await fillSignup(B, bob);
    await B.waitForURL((u) => u.pathname === roomUrl);
    await B.getByTestId("room-title").filter({ hasText: "Pictures" }).waitFor();
  });

  let png;
  let jpeg;
  let pngKey;
  let webpKey;
  step("Ann sends a PNG (kept) and a JPEG (converted to WebP) with a caption", async () => {
    png = await makeImage(A, "image/png", "#c2410c");
    jpeg = await makeImage(A, "image/jpeg", "#0e7490");
    pngKey = sha256(png);
    await attach(A, [
      { name: "orange.png", mimeType: "image/png", buffer: png },
      { name: "teal.jpg", mimeType: "image/jpeg", buffer: jpeg },
    ]);
    assert.equal(await A.getByTestId("attachment").count(), 2);
    await screenshot(A, "images-01-attached");
    await expectAccessible(A, "composer-with-attachments");
    // the attached preview zooms, and Escape closes it
    await A.getByRole("button", { name: /View attached image 1/ }).click();
    await A.getByTestId("image-viewer").waitFor();
    await A.keyboard.press("Escape");
    await A.getByTestId("image-viewer").waitFor({ state: "detached" });

    const row = await sendAttached(A, "Two pictures");
    assert.equal(await A.getByTestId("attachment").count(), 0, "the attachments are cleared");
    const keys = await keysOf(row);
    assert.equal(keys.length, 2);
    assert.equal(keys[0], pngKey, "the PNG is stored as it is, keyed by the hex SHA-256 of its bytes");
    webpKey = keys[1];
    assert.match(webpKey, /^[0-9a-f]{64}$/);
    assert.notEqual(webpKey, sha256(jpeg), "the JPEG was not stored as it was");

    const asked = await presigns(A);
    assert.equal(asked.length, 1);
    assert.deepEqual(
      asked[0].files.map((f) => [f.sha256, f.contentType]),
      [
        [pngKey, "image/png"],
        [webpKey, "image/webp"],
      ],
    );
    assert.equal(asked[0].files[0].size, png.length);
    assert.deepEqual(traffic.puts.map((p) => p.contentType).sort(), ["image/png", "image/webp"]);
    assert.ok(traffic.puts.every((p) => p.contentType !== "image/jpeg"), "no JPEG went up");
    // the caption comes right after the images, as its own message
    await msg(A, "Two pictures").and(A.locator("[data-seq]")).waitFor();
    const imageSeq = Number(await row.getAttribute("data-seq"));
    assert.equal(Number(await msg(A, "Two pictures").getAttribute("data-seq")), imageSeq + 1);
  });

  step("Bob sees both images in fixed-size tiles and the caption", async () => {
    const row = imageRows(B).last();
    await row.waitFor();
    assert.deepEqual(await keysOf(row), [pngKey, webpKey]);
    await msg(B, "Two pictures").waitFor();
    await B.waitForFunction(() => {
      const imgs = [...document.querySelectorAll('[data-testid="image-tile"] img')];
      return imgs.length >= 2 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    });
    const imgs = row.locator('[data-testid="image-tile"] img');
    assert.equal(await imgs.first().getAttribute("loading"), "lazy");
    assert.equal(await imgs.first().getAttribute("src"), `/blobs/${pngKey}`);
    const boxes = await row.getByTestId("image-tile").evaluateAll((els) => els.map((e) => [e.offsetWidth, e.offsetHeight]));
    assert.deepEqual(boxes[0], boxes[1], "same tile size whatever the image");
    assert.ok(boxes[0][0] > 0 && boxes[0][0] === boxes[0][1], "square tiles");
    await screenshot(B, "images-02-received");
  });

  step("Bob zooms an image by keyboard; Escape closes it and the focus goes back", async () => {
    const tile = imageRows(B).last().getByTestId("image-tile").first();
    await tile.focus();
    await B.keyboard.press("Enter");
    const viewer = B.getByTestId("image-viewer");
    await viewer.waitFor();
    await viewer.locator(`img[src="/blobs/${pngKey}"]`).waitFor();
    await screenshot(B, "images-03-viewer");
    await expectAccessible(B, "viewer");
    await B.keyboard.press("Escape");
    await viewer.waitFor({ state: "detached" });
    assert.equal(await B.evaluate(() => document.activeElement?.getAttribute("data-image-key")), pngKey);
    // Space opens it too
    await B.keyboard.press(" ");
    await viewer.waitFor();
    await B.keyboard.press("Escape");
    await viewer.waitFor({ state: "detached" });
  });

  step("the same image sent again is not uploaded again", async () => {
    const puts = traffic.puts.length;
    const asked = (await presigns(A)).length;
    await attach(A, [{ name: "again.png", mimeType: "image/png", buffer: png }]);
    const row = await sendAttached(A);
    assert.deepEqual(await keysOf(row), [pngKey]);
    assert.equal((await presigns(A)).length, asked + 1, "asked the server");
    assert.equal(traffic.puts.length, puts, "but nothing was PUT");
    await B.waitForFunction((n) => document.querySelectorAll('[data-testid="message"][data-seq] [data-testid="message-images"]').length === n, 2);
  });

  step("a failed upload shows Retry; retrying sends it once, with the same clientId", async () => {
    const img = await makeImage(A, "image/png", "#4d7c0f");
    const key = sha256(img);
    let refused = 0;
    await A.route("**/blobs/**", (route) => {
      if (route.request().method() === "PUT") {
        refused++;
        return route.fulfill({ status: 403, contentType: "application/json", body: '{"error":{"code":"forbidden","message":"expired"}}' });
      }
      return route.continue();
    });
    await attach(A, [{ name: "green.png", mimeType: "image/png", buffer: img }]);
    const input = A.getByTestId("composer-input");
    await input.fill("");
    await input.press("Enter");
    const failed = A.locator('[data-testid="message"]').filter({ has: A.getByTestId("failed-state") });
    await failed.waitFor();
    assert.equal(refused, 1);
    await failed.locator('[data-testid="image-tile"][data-state="failed"]').waitFor();
    await failed.getByText("The upload link expired or was refused").waitFor();
    const clientId = await failed.getAttribute("data-client-id");
    await screenshot(A, "images-04-upload-failed");
    await A.unroute("**/blobs/**");
    await failed.getByRole("button", { name: "Retry" }).click();
    const sent = A.locator(`[data-testid="message"][data-client-id="${clientId}"][data-seq]`);
    await sent.waitFor();
    assert.deepEqual(await keysOf(sent), [key]);
    await B.locator(`[data-testid="image-tile"][data-image-key="${key}"]`).waitFor();
    assert.equal(await B.locator(`[data-testid="image-tile"][data-image-key="${key}"]`).count(), 1, "one message, no duplicate");
    assert.equal(await A.getByTestId("failed-state").count(), 0);
  });

  step("Ann saves an image to her stickers and sends the sticker", async () => {
    const tile = imageRows(A).first().getByTestId("image-tile").first();
    await tile.click({ button: "right" });
    await A.getByRole("menuitem", { name: "Save to stickers" }).click();
    await A.getByText("Saved to stickers").first().waitFor();
    const puts = traffic.puts.length;
    const asked = (await presigns(A)).length;
    const before = await imageRows(B).count();
    await A.getByTestId("sticker-button").click();
    const picker = A.getByTestId("sticker-picker");
    await picker.waitFor();
    const sticker = picker.locator(`[data-testid="sticker"][data-sticker-key="${pngKey}"]`);
    await sticker.waitFor();
    assert.equal(await picker.getByTestId("sticker").count(), 1);
    await screenshot(A, "images-05-sticker-picker");
    await expectAccessible(A, "sticker-picker");
    await sticker.getByRole("button", { name: /Send sticker/ }).click();
    await picker.waitFor({ state: "detached" });
    await B.waitForFunction((n) => document.querySelectorAll('[data-testid="message"][data-seq] [data-testid="message-images"]').length === n, before + 1);
    assert.deepEqual(await keysOf(imageRows(B).last()), [pngKey]);
    assert.equal(traffic.puts.length, puts, "a sticker uploads nothing");
    assert.equal((await presigns(A)).length, asked, "not even a presign");
  });

  step("Bob copies an image to the clipboard (as PNG)", async () => {
    const tile = B.locator(`[data-testid="message"][data-seq] [data-testid="image-tile"][data-image-key="${webpKey}"]`).first();
    await tile.click({ button: "right" });
    await B.getByRole("menuitem", { name: "Copy image" }).click();
    await B.getByText("Image copied").first().waitFor();
    const types = await B.evaluate(async () => {
      const items = await navigator.clipboard.read();
      return items.flatMap((i) => i.types);
    });
    assert.ok(types.includes("image/png"), `clipboard holds ${types.join(", ")}`);
    const size = await B.evaluate(async () => {
      const [item] = await navigator.clipboard.read();
      const blob = await item.getType("image/png");
      const bmp = await createImageBitmap(blob);
      return [bmp.width, bmp.height];
    });
    assert.deepEqual(size, [96, 64], "the image itself, at its size");
  });

  step("a message that is one URL shows a link card (and does not load an og:image from another origin)", async () => {
    const requested = [];
    const watch = (r) => r.url().endsWith("/og.png") && requested.push(r.url());
    A.on("request", watch);
    B.on("request", watch);
    const input = A.getByTestId("composer-input");
    await input.fill(siteUrl);
    await input.press("Enter");
    for (const page of [A, B]) {
      const card = page.getByTestId("link-card").last();
      await card.waitFor();
      await card.getByTestId("link-card-title").filter({ hasText: "A test article" }).waitFor();
      await card.getByText("127.0.0.1").waitFor();
      assert.equal(await card.getAttribute("href"), siteUrl);
      assert.equal(await card.getAttribute("target"), "_blank");
      assert.equal(await card.getAttribute("rel"), "noopener noreferrer");
      await card.getByTestId("link-card-placeholder").waitFor();
    }
    await screenshot(B, "images-06-link-card");
    await expectAccessible(B, "room-with-images-and-card");
    A.off("request", watch);
    B.off("request", watch);
    assert.deepEqual(requested, [], "the browser never asked for the other origin's og:image");
    // a URL the server will not preview is a plain link
    await input.fill("http://127.0.0.1:1/nothing-here");
    await input.press("Enter");
    const plain = msg(B, "http://127.0.0.1:1/nothing-here");
    await plain.locator("a").waitFor();
    await B.waitForFunction(() => !document.querySelector('[data-testid="link-card-skeleton"]'));
    assert.equal(await plain.getByTestId("link-card").count(), 0);
  });

  step("the picker removes a sticker after a confirmation", async () => {
    await A.getByTestId("sticker-button").click();
    const picker = A.getByTestId("sticker-picker");
    await picker.getByTestId("sticker").first().hover();
    await picker.getByRole("button", { name: "Remove sticker 1" }).click();
    await A.getByText("Remove this sticker?").waitFor();
    await A.getByTestId("confirm-action").click();
    await A.getByText("Removed from stickers").first().waitFor();
    await picker.getByText("No stickers yet").waitFor();
    await A.keyboard.press("Escape");
    await picker.waitFor({ state: "detached" });
  });

  step("on a phone the sticker picker is a bottom sheet titled Stickers", async () => {
    const mobile = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, colorScheme: "dark" });
    await mobile.addCookies(await ctxA.cookies());
    const M = await newPage(mobile, T);
    await M.goto(roomUrl);
    await imageRows(M).first().waitFor();
    const overflow = await M.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scroll at 375 px (overflow ${overflow}px)`);
    await M.getByTestId("sticker-button").click();
    const sheet = M.getByRole("dialog", { name: "Stickers" });
    await sheet.waitFor();
    await sheet.getByText("No stickers yet").waitFor();
    await M.waitForTimeout(400); // the sheet slides in
    await screenshot(M, "images-07-mobile-stickers");
    await mobile.close();
  });

  step("Ann uploads an avatar in the settings", async () => {
    const img = await makeImage(A, "image/jpeg", "#7c3aed");
    await A.goto("/settings");
    await A.getByTestId("avatar-settings").waitFor();
    await A.getByTestId("avatar-input").setInputFiles({ name: "me.jpg", mimeType: "image/jpeg", buffer: img });
    await A.getByText("Avatar updated").first().waitFor();
    const src = await A.getByTestId("avatar-settings").locator("img").getAttribute("src");
    assert.match(src, /^\/blobs\/[0-9a-f]{64}$/);
    const me = await A.evaluate(async () => (await (await fetch("/api/auth/session")).json()).user);
    assert.equal(me.avatarUrl, src);
    assert.equal((await presigns(A)).at(-1).files[0].contentType, "image/webp", "the JPEG avatar went up as WebP");
    await screenshot(A, "images-08-avatar");
    await A.getByRole("button", { name: "Remove avatar" }).click();
    await A.getByText("Avatar removed").first().waitFor();
    await A.getByTestId("avatar-settings").locator("img").waitFor({ state: "detached" });
  });
});
