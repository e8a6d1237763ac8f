// What every browser test module shares: one vite build of the IPC mock, one
// `vite preview` of the built UI (ui/dist), one Chromium (Debian's), opened in
// `before` and closed in `after`; `openApp`, `check` and the constants the
// tests compare with. run.mjs imports this module first, then the tests.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build, preview } from "vite";

export const ui = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const shots = join(ui, "..", "target", "app-test");
export const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
// Without the background-networking flags Chromium stalls on refused connections here.
export const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
export const catalogue = {
  az: (await import(join(ui, "src/i18n/az.json"), { with: { type: "json" } })).default,
  ru: (await import(join(ui, "src/i18n/ru.json"), { with: { type: "json" } })).default,
  en: (await import(join(ui, "src/i18n/en.json"), { with: { type: "json" } })).default,
};
export const TOKEN = "IZ1EgEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4_QEFCQ0RFRkdISUpLTE1OT1BRUlNU";

/** The QR digits form of a token (docs/token-format.md §2.2): 7-byte groups as fixed-width decimals. */
function qrDigits(hex) {
  const width = [0, 3, 5, 8, 10, 13, 15, 17];
  let out = "";
  for (let i = 0; i < hex.length; i += 14) {
    const group = hex.slice(i, i + 14);
    out += BigInt(`0x${group}`).toString().padStart(width[group.length / 2], "0");
  }
  return out;
}
// tests/e2e/permit-qr.png is `icaze qr --png` of case 1 of the token vectors, whose
// QR form this is: what the camera must read and pass on, digit for digit.
const vectors = JSON.parse(readFileSync(join(ui, "..", "tests", "vectors", "permit-v1.json"), "utf8"));
export const QR_DIGITS = qrDigits(vectors.cases[0].token_hex);

let server;
let browser;
let url;
/** A directory for the run's files (the camera's video), removed in `after`. */
export const scratch = mkdtempSync(join(tmpdir(), "icaze-e2e-"));
// What a test module opened for itself (a browser of its own), closed first in `after`.
const closers = [];

/** Has `close` called at the end of the run, before the shared browser and the server close. */
export function closeAtEnd(close) {
  closers.push(close);
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  await build({
    root: ui,
    configFile: false,
    logLevel: "warn",
    build: {
      outDir: "dist-mock",
      emptyOutDir: true,
      lib: { entry: "tests/e2e/mock-ipc.ts", formats: ["iife"], name: "IcazeMock", fileName: () => "mock-ipc.js" },
    },
  });
  server = await preview({ root: ui, logLevel: "warn", preview: { host: "127.0.0.1", port: 4173, strictPort: false } });
  url = server.resolvedUrls.local[0];
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
});

after(async () => {
  for (const close of closers) await close();
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
  await new Promise((resolve) => server?.httpServer.close(resolve));
});

/**
 * A fresh page with the mock installed, the app booted and its zone set to 1
 * (picked in Settings' list, where the bundle names it Bakı); `init` scripts
 * run before the mock and the app (in `on`, a browser), in a window of `viewport`.
 */
export async function openApp({ zone = 1, firstStart = false, on = browser, init = [], viewport = { width: 420, height: 820 } } = {}) {
  const context = await on.newContext({ viewport });
  const page = await context.newPage();
  page.on("pageerror", (e) => assert.fail(`page error: ${e.message}`));
  for (const script of init) await page.addInitScript(script);
  if (firstStart) await page.addInitScript(() => (window.__icazeMockFirstStart = true));
  await page.addInitScript({ path: join(ui, "dist-mock", "mock-ipc.js") });
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
  if (zone) {
    await page.click("#tab-settings");
    await page.selectOption("#settings-zone", String(zone));
    await page.click("#settings-save");
    await page.waitForSelector(`#header-zone[title="${catalogue.az["zone.number"].replace("{zone}", zone)}"]`);
    await page.click("#tab-scan");
  }
  return page;
}

export async function check(page, text) {
  await page.fill("#scan-text", text);
  await page.click("#scan-check");
  await page.waitForSelector("#result");
}

export const background = (page) => page.$eval("#result", (el) => getComputedStyle(el).backgroundColor);

// Issue 22 item 4: what the officer sees on a phone. Phone sizes: 360x740, and
// 320 px wide for the narrowest phones still in service.
export const PHONE = { width: 360, height: 740 };
export const PHONE_320 = { width: 320, height: 640 };

export async function chooseLanguage(page, lang) {
  await page.click("#tab-settings");
  await page.click(`#settings-language-${lang}`);
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}
