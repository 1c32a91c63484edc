// End-to-end harness: starts the real roomchat server on a free loopback port with a temporary
// data folder, launches Debian's Chromium through playwright-core, and cleans up (always).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const webRoot = path.resolve(here, "..");
export const distDir = path.join(webRoot, "dist");
export const shotDir = path.join(here, "screenshots");

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const LAUNCH_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the server; resolves with { baseUrl, stop } once the ready file names the port.
 * `extraArgs` go after the common ones (a suite's own test-only flags).
 */
export async function startServer({ extraArgs = [] } = {}) {
  const bin = process.env.ROOMCHAT_BIN;
  if (!bin || !existsSync(bin)) throw new Error(`ROOMCHAT_BIN must name the server binary (got ${bin ?? "nothing"})`);
  if (!existsSync(path.join(distDir, "index.html"))) throw new Error(`build the client first: ${distDir}/index.html is missing`);
  const dir = mkdtempSync(path.join(tmpdir(), "roomchat-e2e-"));
  const ready = path.join(dir, "ready");
  const data = path.join(dir, "data");
  mkdirSync(data);
  const args = [
    "serve",
    "--listen", "127.0.0.1:0",
    "--data", data,
    "--web", distDir,
    "--ready-file", ready,
    "--password-cost", "min",
    "--message-rate", "1000",
    "--message-burst", "1000",
    "--signup-per-minute", "100000",
    "--signup-burst", "100000",
    ...extraArgs,
  ];
  const logPath = path.join(dir, "server.log");
  const { openSync } = await import("node:fs");
  const log = openSync(logPath, "a");
  let child;
  let exited = null;

  const spawnServer = (listen) => {
    rmSync(ready, { force: true });
    const argv = [...args];
    argv[argv.indexOf("--listen") + 1] = listen;
    child = spawn(bin, argv, { stdio: ["ignore", log, log] });
    exited = null;
    const me = child;
    me.on("exit", (code, signal) => {
      if (child === me) exited = { code, signal };
    });
  };

  const waitReady = async () => {
    for (let i = 0; i < 300; i++) {
      if (exited) {
        const out = existsSync(logPath) ? readFileSync(logPath, "utf8").slice(-4000) : "";
        throw new Error(`server exited early (${JSON.stringify(exited)}):\n${out}`);
      }
      if (existsSync(ready)) {
        const port = Number(readFileSync(ready, "utf8").trim().split(/\s+/).pop());
        if (port > 0) return port;
      }
      await sleep(100);
    }
    throw new Error("server did not become ready within 30 s");
  };

  const kill = async () => {
    if (exited === null && child) {
      child.kill("SIGTERM");
      for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
      if (exited === null) {
        console.error(`server pid ${child.pid} ignored SIGTERM for 5 s; killing it`);
        child.kill("SIGKILL");
        for (let i = 0; i < 50 && exited === null; i++) await sleep(100);
      }
    }
  };

  const stop = async () => {
    await kill();
    if (!process.env.KEEP_E2E_DATA) rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", () => {
    if (exited === null && child) child.kill("SIGKILL");
  });

  spawnServer("127.0.0.1:0");
  let port;
  try {
    port = await waitReady();
  } catch (e) {
    await stop();
    throw e;
  }

  /** Stops the server (SIGTERM) and starts it again on the same port with the same data. */
  const restart = async ({ downMs = 0 } = {}) => {
    await kill();
    await sleep(downMs);
    spawnServer(`127.0.0.1:${port}`);
    await waitReady();
  };

  return { baseUrl: `http://127.0.0.1:${port}`, stop, restart, logPath, pid: () => child.pid };
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
}

/** Fills and submits the sign-up form of a login page that is already open. */
export async function fillSignup(page, u) {
  await page.getByRole("tab", { name: "Sign up" }).click();
  const form = page.getByTestId("signup-form");
  await form.getByLabel("Username").fill(u.username);
  await form.getByLabel("Display name").fill(u.displayName);
  await form.getByLabel("Password").fill(u.password);
  await form.getByRole("button", { name: "Create account" }).click();
}

export async function screenshot(page, name) {
  mkdirSync(shotDir, { recursive: true });
  await page.screenshot({ path: path.join(shotDir, `${name}.png`) });
}

const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
let axeSource;

/**
 * Runs axe-core in the page (evaluated, not a script tag: the page's Content-Security-Policy
 * allows no inline script) against the WCAG 2.1 A and AA rules; returns the violations, each
 * with the elements it found, as readable lines.
 */
export async function axeViolations(page) {
  axeSource ??= readFileSync(path.join(webRoot, "node_modules", "axe-core", "axe.min.js"), "utf8");
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary}`) }));
  }, AXE_TAGS);
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 5).join("\n    ")}${v.nodes.length > 5 ? `\n    …and ${v.nodes.length - 5} more` : ""}`);
}

// Creates a room through the API as the page's user and sends `count`
// messages "<prefix> message 1".."<prefix> message N" over a socket of its
// own, waiting for every ack. Answers the room id.
export async function seedRoom(page, { name, visibility = "public", count, prefix }) {
  return page.evaluate(async ({ name, visibility, count, prefix }) => {
    const r = await fetch("/api/rooms", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name, visibility }),
    });
    const { room } = await r.json();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/api/rooms/${room.id}/ws?tab=seed`);
    await new Promise((res, rej) => {
      ws.onopen = res;
      ws.onerror = () => rej(new Error("seed socket failed"));
    });
    ws.send(JSON.stringify({ type: "hello" }));
    let acks = 0;
    await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`seed timeout after ${acks} acks`)), 60_000);
      ws.onmessage = (ev) => {
        const f = JSON.parse(ev.data);
        if (f.type === "welcome") {
          for (let i = 1; i <= count; i++)
            ws.send(JSON.stringify({ type: "send", clientId: `${prefix}-${i}`, kind: "text", text: `${prefix} message ${i}` }));
        } else if (f.type === "ack" && ++acks === count) {
          clearTimeout(t);
          res();
        } else if (f.type === "error") {
          clearTimeout(t);
          rej(new Error(`${f.code}: ${f.message}`));
        }
      };
    });
    ws.close();
    return room.id;
  }, { name, visibility, count, prefix });
}

// A page whose waits give up after `timeout` ms and whose script errors are
// printed (the suites assert on what the user sees, these explain failures).
export async function newPage(ctx, timeout = 15_000) {
  const page = await ctx.newPage();
  page.setDefaultTimeout(timeout);
  page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
  return page;
}

// The message rows whose text contains `text`.
export const messageRow = (page, text) => page.locator('[data-testid="message"]', { hasText: text });
