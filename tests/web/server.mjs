// The shared helper of the browser tests in tests/web/: starts the real
// `icaze serve` (target/debug/icaze, built by run.sh) on a fresh data
// directory with the demo population registry and the 14 December 2020 regime
// moved to begin today, and launches Debian's Chromium for Playwright.
//
//   import { startServer, launchChromium, DEMO, shotsDir } from "./server.mjs";
//   const server = await startServer();      // {url, data, adminToken, adminPost, adminGet, stop}
//   const browser = await launchChromium();
//   ...
//   await browser.close(); await server.stop();
//
// The server listens on 127.0.0.1 port 0 and the helper reads the address the
// server prints, so tests never race for a port.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

/** The repository's root. */
export const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Where screenshots go (kept as CI artefacts). */
export const shotsDir = join(repo, "target", "web-tests");
const icaze = process.env.ICAZE_BINARY ?? join(repo, "target", "debug", "icaze");
const regimeFile = join(repo, "regimes", "2020-12-14.toml");

/**
 * Documents of `icaze registry demo` (crates/icaze-permits/src/registry.rs):
 * the named demo people, and `synthetic(i)` for the i-th synthetic person
 * (i < DEMO.count), whose registered zone is 1 + i % 17.
 */
export const DEMO = {
  count: 300,
  /** Baku (zone 1), gets permits. */
  baku: "AZE11111111",
  /** Baku, over 65. */
  over65: "AZE22222222",
  /** Zone 101, outside the restricted region centres. */
  village: "AZE33333333",
  /** Ganja (zone 3), on the deny list. */
  denied: "AZE44444444",
  /** Sumgayit (zone 2), temporary residence permit. */
  sumgayit: "MYI1234567",
  /** Lankaran city (zone 7), permanent residence permit. */
  lankaran: "DYI7654321",
  /** A document that is in no registry. */
  unknown: "AZE99999999",
  synthetic(i) {
    return { document: `AZE${String(50_000_000 + i).padStart(8, "0")}`, zone: 1 + (i % 17) };
  },
};

/** Today's date in Baku (YYYY-MM-DD), plus `days`. */
export function bakuDate(days = 0) {
  return new Date(Date.now() + 4 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/** A `datetime-local` value in Baku time, `minutes` from now, rounded up to a quarter hour (a funeral permit starts on one). */
export function bakuDateTime(minutes = 0) {
  const quarter = 15 * 60_000;
  const at = Date.now() + 4 * 3600_000 + minutes * 60_000;
  return new Date(Math.ceil(at / quarter) * quarter).toISOString().slice(0, 16);
}

/**
 * Starts `icaze serve` on a fresh data directory, with `args` added to its command line
 * (say, `["--citizen-page", "https://icaze.az/p"]`).
 * @returns {Promise<{url: string, data: string, adminToken: string,
 *   adminPost: (path: string, body: unknown) => Promise<{status: number, body: any}>,
 *   adminGet: (path: string) => Promise<{status: number, body: any}>,
 *   log: () => string, stop: () => Promise<void>}>}
 */
export async function startServer({ count = DEMO.count, args = [] } = {}) {
  if (!existsSync(icaze)) throw new Error(`${icaze} is missing: run \`cargo build -p icaze --locked\` first`);
  mkdirSync(join(repo, "target", "web-tests"), { recursive: true });
  const data = mkdtempSync(join(tmpdir(), "icaze-web-"));
  execFileSync(icaze, ["registry", "demo", "--data", data, "--count", String(count)], { stdio: ["ignore", "pipe", "pipe"] });
  const child = spawn(
    icaze,
    ["serve", "--data", data, "--listen", "127.0.0.1:0", "--regime", regimeFile, "--regime-start", "today", ...args],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" } },
  );
  let output = "";
  const exited = new Promise((resolveExit) => child.on("exit", (code, signal) => resolveExit({ code, signal })));
  const url = await new Promise((resolveUrl, reject) => {
    const onData = (chunk) => {
      output += chunk.toString();
      const m = /icaze serving on (http:\/\/[0-9.]+:\d+)/.exec(output);
      if (m) resolveUrl(m[1]);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    exited.then(({ code, signal }) => reject(new Error(`icaze serve exited (${code ?? signal}) before listening:\n${output}`)));
  });
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // Not accepting yet: try again below.
    }
    if (i > 200) throw new Error(`${url}/healthz never answered:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const adminToken = readFileSync(join(data, "admin-token"), "utf8").trim();
  const admin = async (method, path, body) => {
    const r = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: r.status, body: parsed };
  };
  let stopped = false;
  return {
    url,
    data,
    adminToken,
    adminPost: (path, body) => admin("POST", path, body ?? {}),
    adminGet: (path) => admin("GET", path),
    log: () => output,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      if (!process.env.ICAZE_KEEP_DATA) rmSync(data, { recursive: true, force: true });
    },
  };
}

/**
 * Debian's Chromium, headless, through Playwright. Playwright gives every
 * launch a fresh temporary profile (it refuses a `--user-data-dir` argument),
 * so no state leaks between runs.
 */
export async function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    // Without the background-networking flags Chromium stalls on refused connections here.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
