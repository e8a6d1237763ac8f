// What the phone keeps for itself: the screen kept awake on Scan, the result's
// sound, the theme that follows the system.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { shots, catalogue, TOKEN, openApp, check, PHONE } from "./harness.mjs";

/** A `navigator.wakeLock` that records what the app asks: "request" and "release", in order. */
const fakeWakeLock = () => {
  window.__icazeWake = [];
  Object.defineProperty(navigator, "wakeLock", {
    configurable: true,
    value: {
      async request(type) {
        window.__icazeWake.push(`request ${type}`);
        return { release: async () => void window.__icazeWake.push("release"), addEventListener() {} };
      },
    },
  });
};

test("the screen stays awake while Scan and its result show, and may dim elsewhere", async () => {
  const page = await openApp({ viewport: PHONE, init: [fakeWakeLock] });
  const wake = () => page.evaluate(() => window.__icazeWake);
  // openApp went Scan → Settings → Scan.
  await page.waitForFunction(() => window.__icazeWake.at(-1) === "request screen");
  await check(page, TOKEN);
  await page.click("#result-next");
  const held = (await wake()).length;
  assert.equal((await wake()).at(-1), "request screen", "held through the result and back");
  await page.click("#tab-log");
  await page.waitForFunction(() => window.__icazeWake.at(-1) === "release");
  assert.equal((await wake()).length, held + 1);
  await page.click("#tab-scan");
  await page.waitForFunction(() => window.__icazeWake.at(-1) === "request screen");
  await page.close();

  // Without the API (WebKitGTK), Scan works as before.
  const bare = await openApp({
    viewport: PHONE,
    init: [() => Object.defineProperty(Navigator.prototype, "wakeLock", { configurable: true, get: () => undefined })],
  });
  await check(bare, TOKEN);
  assert.equal(await bare.getAttribute("#result", "data-level"), "green");
  await bare.close();
});

/** Counts the tones the page starts (`__icazeTones`): every AudioContext made plays one. */
const countTones = () => {
  window.__icazeTones = 0;
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    constructor(...args) {
      super(...args);
      window.__icazeTones += 1;
    }
  };
};

test("the result's sound can be turned off in Settings, and stays off after a restart", async () => {
  const page = await openApp({ viewport: PHONE, init: [countTones] });
  const tones = () => page.evaluate(() => window.__icazeTones);
  await check(page, TOKEN);
  assert.equal(await tones(), 1, "on by default");
  await page.click("#result-next");
  await page.click("#tab-settings");
  assert.equal(await page.getAttribute("#settings-sound-on", "aria-checked"), "true");
  await page.click("#settings-sound-off");
  assert.equal(await page.getAttribute("#settings-sound-off", "aria-checked"), "true");
  assert.equal(await page.textContent("#settings-sound-off"), catalogue.az["settings.sound.off"]);
  await page.locator("#settings-sound").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, "ui-settings-sound-off-360.png") });
  await page.click("#tab-scan");
  await check(page, `${TOKEN}REVOKED`);
  assert.equal(await page.getAttribute("#result", "data-level"), "red");
  assert.equal(await tones(), 1, "no tone with the sound off");
  // A restart keeps the choice (the webview's storage), and the core's settings never saw it.
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  await page.click("#tab-settings");
  assert.equal(await page.getAttribute("#settings-sound-off", "aria-checked"), "true");
  const saved = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings"));
  assert.ok(saved.every((c) => !("sound" in c.args.settings)));
  await page.click("#settings-sound-on");
  await page.selectOption("#settings-zone", "1");
  await page.click("#settings-save");
  await page.waitForFunction(() => document.querySelector("#header-zone")?.textContent === "Bakı");
  await page.click("#tab-scan");
  await check(page, TOKEN);
  assert.equal(await page.evaluate(() => window.__icazeTones), 1, "on again");
  await page.close();
});

test("the theme can follow the system's light or dark, and keeps following it after a restart", async () => {
  const page = await openApp({ viewport: PHONE });
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.click("#tab-settings");
  assert.equal(await theme(), "light", "the saved theme until asked to follow");
  assert.equal(await page.textContent("#settings-theme-system"), catalogue.az["settings.theme.system"]);
  const saves = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings").length);
  await page.click("#settings-theme-system");
  await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
  assert.equal(await page.getAttribute("#settings-theme-system", "aria-checked"), "true");
  assert.equal(await page.getAttribute("#settings-theme-light", "aria-checked"), "false");
  await page.screenshot({ path: join(shots, "ui-theme-system-dark-360.png") });
  // The system turns light: the app follows at once.
  await page.emulateMedia({ colorScheme: "light" });
  await page.waitForFunction(() => document.documentElement.dataset.theme === "light");
  await page.emulateMedia({ colorScheme: "dark" });
  await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
  assert.equal(
    await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings").length),
    saves,
    "the core's theme is not touched",
  );
  // After a restart it still follows.
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(await theme(), "dark");
  await page.click("#tab-settings");
  assert.equal(await page.getAttribute("#settings-theme-system", "aria-checked"), "true");
  // A theme of its own ends the following.
  await page.click("#settings-theme-high_contrast");
  await page.waitForFunction(() => document.documentElement.dataset.theme === "high_contrast");
  assert.equal(await page.getAttribute("#settings-theme-system", "aria-checked"), "false");
  await page.emulateMedia({ colorScheme: "light" });
  assert.equal(await theme(), "high_contrast");
  const last = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings").at(-1).args);
  assert.equal(last.settings.theme, "high_contrast");
  await page.close();
});
