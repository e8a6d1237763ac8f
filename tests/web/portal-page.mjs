// What the portal's browser tests (portal.test.mjs, portal-words.test.mjs) do
// alike on a page: open the portal, wait for a route, sign in, fill the
// password form, pick zones, and see that a form the page refuses itself sends
// nothing. Not a test file: run.sh runs only *.test.mjs.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before } from "node:test";
import { launchChromium, shotsDir, startServer } from "./server.mjs";

/**
 * One server and one Chromium for all the tests of a file: started before them, stopped
 * after them; the object returned holds them (`server`, `browser`) meanwhile.
 */
export function serverAndBrowserForTheFile() {
  const shared = { server: null, browser: null };
  before(async () => {
    mkdirSync(shotsDir, { recursive: true });
    shared.server = await startServer();
    shared.browser = await launchChromium();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.server?.stop();
  });
  return shared;
}

/**
 * The portal of the `shared` server in a fresh browser context of its Chromium (its own
 * cookies) made with `contextOptions`, once the page says it is ready. Uncaught errors and CSP
 * violations are pushed to `problems`; `onDialog` answers every dialog.
 */
export async function openPortalPage(shared, { contextOptions, problems, onDialog }) {
  const context = await shared.browser.newContext(contextOptions);
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on("dialog", onDialog);
  await page.goto(`${shared.server.url}/portal/`);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

export async function waitRoute(page, route) {
  await page.waitForSelector(`body[data-route="${route}"]`);
}

export async function login(page, loginName, password) {
  await page.fill("#login-login", loginName);
  await page.fill("#login-password", password);
  await page.click("#login-submit");
}

/** Fills the password form (the current password, the new one and its repeat); `submit` sends it. */
export async function fillPasswords(page, current, fresh, repeat = fresh, { submit = false } = {}) {
  await page.fill("#password-old", current);
  await page.fill("#password-new", fresh);
  await page.fill("#password-repeat", repeat);
  if (submit) await page.click("#password-submit");
}

/** Chooses zones in a zone picker: checkboxes when the server lists zones, else the typed list. */
export async function pickZones(page, prefix, ids) {
  if (await page.$(`#${prefix}-typed`)) {
    await page.fill(`#${prefix}-typed`, ids.join(", "));
    return;
  }
  for (const id of ids) await page.check(`#${prefix}-${id}`);
}

/**
 * The portal API requests the page makes while `action` runs. A marker request
 * made after it (`/healthz`) is seen after any request the action made, as the
 * page's requests are reported in order, so no waiting on time is needed.
 */
export async function apiRequestsDuring(page, action) {
  const seen = [];
  const onRequest = (r) => seen.push(`${r.method()} ${new URL(r.url()).pathname}`);
  page.on("request", onRequest);
  try {
    await action();
    const marker = page.waitForRequest((r) => r.url().endsWith("/healthz?marker"));
    await page.evaluate(() => fetch("/healthz?marker").then((r) => r.text()));
    await marker;
  } finally {
    page.off("request", onRequest);
  }
  return seen.filter((r) => r.includes("/portal/api/"));
}

/** Clicks `#<form>-submit` and waits for `#<form>-error` to show; asserts that no API request went out. */
export async function refusedInPage(page, form, message) {
  const sent = await apiRequestsDuring(page, async () => {
    await page.click(`#${form}-submit`);
    await page.waitForSelector(`#${form}-error:not([hidden])`);
  });
  assert.deepEqual(sent, [], message);
}
