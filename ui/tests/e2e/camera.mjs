// The camera on Scan (Chromium's fake camera playing permit-qr.png, and page
// cameras made of a canvas) and the service card's camera on Manual.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { chromium } from "playwright-core";
import { readGreyPng, writeY4m } from "./fake-camera.mjs";
import {
  ui,
  shots,
  chromiumPath,
  chromiumArgs,
  catalogue,
  TOKEN,
  QR_DIGITS,
  scratch,
  closeAtEnd,
  openApp,
  check,
} from "./harness.mjs";

// Chromium with a fake camera, launched by the first camera test.
let cameraBrowser;
closeAtEnd(() => cameraBrowser?.close());

// The camera. Init scripts for the page: each getUserMedia stream is kept in
// `__icazeStreams` so that a test can see whether its tracks were stopped.

/** What Tauri's `freezePrototype` does, so that the decoder is tested under it. */
const freezePrototype = () => Object.freeze(Object.prototype);

const recordStreams = () => {
  const media = navigator.mediaDevices;
  const open = media.getUserMedia.bind(media);
  window.__icazeStreams = [];
  media.getUserMedia = async (constraints) => {
    window.__icazeConstraints = constraints;
    const stream = await open(constraints);
    window.__icazeStreams.push(stream);
    return stream;
  };
};

/** A camera with a torch and no QR code in sight: a still canvas as the stream. */
const canvasCamera = () => {
  window.__icazeStreams = [];
  window.__icazeTorch = [];
  navigator.mediaDevices.getUserMedia = async () => {
    // With `__icazeHoldCamera` set, the camera opens when `__icazeReleaseCamera()` is called.
    if (window.__icazeHoldCamera) await new Promise((resolve) => (window.__icazeReleaseCamera = resolve));
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 240;
    canvas.getContext("2d").fillRect(0, 0, 320, 240);
    const stream = canvas.captureStream(5);
    const track = stream.getVideoTracks()[0];
    track.getCapabilities = () => ({ torch: true });
    track.applyConstraints = async (c) => void window.__icazeTorch.push(c.advanced[0].torch);
    window.__icazeStreams.push(stream);
    return stream;
  };
};

/** getUserMedia fails with the DOMException named in `__icazeCameraError`. */
const failingCamera = () => {
  navigator.mediaDevices.getUserMedia = async () => {
    throw new DOMException("the test's camera fails", window.__icazeCameraError);
  };
};

const trackStates = (page) =>
  page.evaluate(() => window.__icazeStreams.flatMap((s) => s.getTracks()).map((t) => t.readyState));

test("the camera reads a permit's QR code, checks exactly its text, and releases the camera", async () => {
  const video = join(scratch, "permit-qr.y4m");
  writeY4m(video, readGreyPng(join(ui, "tests", "e2e", "permit-qr.png")));
  cameraBrowser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      ...chromiumArgs,
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-video-capture=${video}`,
    ],
  });
  const page = await openApp({ on: cameraBrowser, init: [freezePrototype, recordStreams] });
  assert.equal(await page.textContent("#scan-camera"), catalogue.az["scan.camera"]);
  assert.equal(await page.getAttribute("#scan-camera-view", "hidden"), "");
  await page.click("#scan-camera");
  await page.waitForSelector("#result");
  const calls = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "check_text"));
  assert.deepEqual(calls.map((c) => c.args), [{ text: QR_DIGITS, zone: 1 }]);
  assert.equal(await page.getAttribute("#result", "data-level"), "green");
  assert.deepEqual(await page.evaluate(() => window.__icazeConstraints), {
    video: { facingMode: "environment" },
    audio: false,
  });
  assert.deepEqual(await trackStates(page), ["ended"]);
  await page.close();
});

test("Cancel, leaving the screen and hiding the page each release the camera; the torch switches", async () => {
  const page = await openApp({ init: [canvasCamera] });
  const opened = async (count) => {
    await page.click("#scan-camera");
    await page.waitForSelector("#scan-video");
    await page.waitForSelector("#scan-torch:not([hidden])");
    assert.deepEqual(await trackStates(page), [...Array(count - 1).fill("ended"), "live"]);
  };
  await opened(1);
  assert.equal(await page.textContent("#scan-camera-status"), catalogue.az["scan.camera_aim"]);
  assert.equal(await page.isDisabled("#scan-camera"), true);
  await page.click("#scan-torch");
  await page.waitForSelector("#scan-torch[aria-pressed=true]");
  assert.equal(await page.textContent("#scan-torch"), catalogue.az["scan.torch_off"]);
  assert.deepEqual(await page.evaluate(() => window.__icazeTorch), [true]);
  await page.screenshot({ path: join(shots, "ui-camera.png") });
  await page.click("#scan-camera-cancel");
  assert.deepEqual(await trackStates(page), ["ended"]);
  assert.equal(await page.$("#scan-video"), null);
  assert.equal(await page.isHidden("#scan-camera-view"), true);
  assert.equal(await page.isDisabled("#scan-camera"), false);

  await opened(2);
  assert.equal(await page.getAttribute("#scan-torch", "aria-pressed"), "false");
  await page.click("#tab-log");
  await page.waitForFunction(() =>
    window.__icazeStreams.every((s) => s.getTracks().every((t) => t.readyState === "ended")),
  );

  await page.click("#tab-scan");
  await opened(3);
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  assert.deepEqual(await trackStates(page), ["ended", "ended", "ended"]);
  assert.equal(await page.$("#scan-video"), null);
  assert.equal(await page.isHidden("#scan-camera-view"), true);
  assert.equal(await page.isDisabled("#scan-camera"), false);
  await page.evaluate(() => delete document.visibilityState);

  // Cancel while the camera is still opening (a slow permission prompt): it is closed as it opens.
  await page.evaluate(() => (window.__icazeHoldCamera = true));
  await page.click("#scan-camera");
  await page.waitForFunction(() => window.__icazeReleaseCamera);
  await page.click("#scan-camera-cancel");
  await page.evaluate(() => window.__icazeReleaseCamera());
  await page.waitForFunction(() => window.__icazeStreams.length === 4);
  assert.deepEqual(await trackStates(page), ["ended", "ended", "ended", "ended"]);
  assert.equal(await page.$("#scan-video"), null);
  assert.equal(await page.isHidden("#scan-camera-view"), true);
  const checks = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "check_text").length);
  assert.equal(checks, 0);
  await page.close();
});

test("a missing, refused or busy camera is explained, and the photo and paste paths still work", async () => {
  const page = await openApp({ init: [failingCamera] });
  for (const [name, code] of [
    ["NotFoundError", "camera_none"],
    ["NotAllowedError", "camera_denied"],
    ["NotReadableError", "camera_busy"],
    ["NotSupportedError", "camera_failed"],
  ]) {
    await page.evaluate((n) => (window.__icazeCameraError = n), name);
    await page.click("#scan-camera");
    await page.waitForSelector("#error-banner");
    assert.equal(await page.textContent("#error-banner span"), catalogue.az[`error.${code}`], name);
    assert.equal(await page.isHidden("#scan-camera-view"), true);
    await page.click("#error-banner .close");
  }
  // A webview without media devices at all (an insecure origin, or WebKitGTK without media streams).
  await page.evaluate(() =>
    Object.defineProperty(navigator, "mediaDevices", { configurable: true, value: undefined }),
  );
  await page.click("#scan-camera");
  await page.waitForSelector("#error-banner");
  assert.equal(await page.textContent("#error-banner span"), catalogue.az["error.camera_none"]);
  await page.screenshot({ path: join(shots, "ui-camera-none.png") });
  const photo = { name: "photo.png", mimeType: "image/png", buffer: Buffer.from("not a png") };
  await page.setInputFiles("#scan-image", photo);
  await page.waitForFunction(
    (text) => document.querySelector("#error-banner span")?.textContent === text,
    catalogue.az["error.qr_not_found"],
  );
  await check(page, TOKEN);
  assert.equal(await page.getAttribute("#result", "data-level"), "green");
  await page.close();
});

/**
 * A camera with a torch that shows the permit's QR code (tests/e2e/permit-qr.png)
 * while `__icazeQrInView` is set, on a white frame otherwise. Opening it fails
 * with the DOMException named in `__icazeCameraError`, if set; `__icazeOpens`
 * counts the openings asked for.
 */
const qrCamera = ({ width, height, luma }) => {
  window.__icazeStreams = [];
  window.__icazeTorch = [];
  window.__icazeOpens = 0;
  const grey = Uint8Array.from(atob(luma), (c) => c.charCodeAt(0));
  navigator.mediaDevices.getUserMedia = async () => {
    window.__icazeOpens += 1;
    if (window.__icazeCameraError) throw new DOMException("the test's camera fails", window.__icazeCameraError);
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 480;
    const g = canvas.getContext("2d");
    const code = new ImageData(width, height);
    grey.forEach((v, i) => code.data.set([v, v, v, 255], i * 4));
    const stream = canvas.captureStream(10);
    const track = stream.getVideoTracks()[0];
    // Painted again and again, so that the stream keeps giving frames.
    const paint = () => {
      if (track.readyState === "ended") return clearInterval(timer);
      g.fillStyle = "#fff";
      g.fillRect(0, 0, 640, 480);
      if (window.__icazeQrInView) g.putImageData(code, (640 - width) >> 1, (480 - height) >> 1);
    };
    const timer = setInterval(paint, 50);
    paint();
    track.getCapabilities = () => ({ torch: true });
    track.applyConstraints = async (c) => void window.__icazeTorch.push(c.advanced[0].torch);
    window.__icazeStreams.push(stream);
    return stream;
  };
};
/** The init script of a `qrCamera` showing tests/e2e/`file`. */
const qrCameraOf = (file) => {
  const { width, height, luma } = readGreyPng(join(ui, "tests", "e2e", file));
  return { content: `(${qrCamera})(${JSON.stringify({ width, height, luma: luma.toString("base64") })});` };
};
const permitQr = () => qrCameraOf("permit-qr.png");
// tests/e2e/card-qr.png is `icaze qr --png` of "Bakı Metropoliteni QSC\nVÖEN: 1700000001".
const cardQr = () => qrCameraOf("card-qr.png");

const checkTexts = (page) =>
  page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "check_text").map((c) => c.args.text));

test("after a camera check the camera opens again by itself, torch kept, and does not check that permit twice", async () => {
  const page = await openApp({ init: [permitQr()] });
  await page.click("#scan-camera");
  await page.waitForSelector("#scan-torch:not([hidden])");
  await page.click("#scan-torch");
  await page.waitForSelector("#scan-torch[aria-pressed=true]");
  await page.evaluate(() => (window.__icazeQrInView = true));
  await page.waitForSelector("#result");
  assert.deepEqual(await checkTexts(page), [QR_DIGITS]);
  assert.deepEqual(await trackStates(page), ["ended"]);

  // Next check: the camera is open again, its torch on as the officer left it.
  await page.click("#result-next");
  await page.waitForSelector("#scan-video");
  await page.waitForSelector("#scan-torch[aria-pressed=true]");
  assert.equal(await page.textContent("#scan-torch"), catalogue.az["scan.torch_off"]);
  assert.deepEqual(await page.evaluate(() => window.__icazeTorch), [true, true]);
  // The permit still in front of it is read, and not checked (nor logged) again.
  await page.waitForFunction(
    (text) => document.querySelector("#scan-camera-status")?.textContent === text,
    catalogue.az["scan.camera_same"],
  );
  assert.deepEqual(await checkTexts(page), [QR_DIGITS]);
  assert.deepEqual(await trackStates(page), ["ended", "live"]);
  assert.equal(await page.$("#error-banner"), null);
  // The photo and paste paths are there as before.
  assert.equal(await page.isVisible("#scan-text"), true);
  assert.equal(await page.isEnabled("#scan-image"), true);
  await page.screenshot({ path: join(shots, "ui-camera-reopened.png") });

  // Opened by hand, the camera checks whatever it reads, the same permit too.
  await page.click("#scan-camera-cancel");
  assert.equal(await page.getAttribute("#scan-torch", "aria-pressed"), "false");
  await page.click("#scan-camera");
  await page.waitForSelector("#result");
  assert.deepEqual(await checkTexts(page), [QR_DIGITS, QR_DIGITS]);
  // That check had the torch off: the camera opens again with it off.
  await page.click("#result-next");
  await page.waitForSelector("#scan-video");
  await page.waitForSelector("#scan-torch:not([hidden])");
  assert.equal(await page.getAttribute("#scan-torch", "aria-pressed"), "false");
  assert.deepEqual(await page.evaluate(() => window.__icazeTorch), [true, true]);

  // A pasted check does not open the camera after its result, even with the camera open before it.
  const opens = await page.evaluate(() => window.__icazeOpens);
  await check(page, TOKEN);
  await page.click("#result-next");
  await page.waitForSelector("#scan-text");
  assert.equal(await page.evaluate(() => window.__icazeOpens), opens);
  assert.equal(await page.isHidden("#scan-camera-view"), true);
  assert.ok((await trackStates(page)).every((state) => state === "ended"));
  await page.close();
});

test("a camera that will not open again after a result leaves the Scan screen as it was, without a message", async () => {
  const page = await openApp({ init: [permitQr()] });
  await page.evaluate(() => (window.__icazeQrInView = true));
  await page.click("#scan-camera");
  await page.waitForSelector("#result");
  await page.evaluate(() => (window.__icazeCameraError = "NotAllowedError"));
  await page.click("#result-next");
  await page.waitForFunction(() => window.__icazeOpens === 2);
  await page.waitForSelector("#scan-camera:not([disabled])");
  assert.equal(await page.$("#error-banner"), null, "quietly");
  assert.equal(await page.isHidden("#scan-camera-view"), true);
  await page.screenshot({ path: join(shots, "ui-camera-reopen-refused.png") });
  // Asked for by the officer, the refusal is explained as before; paste still works.
  await page.click("#scan-camera");
  await page.waitForSelector("#error-banner");
  assert.equal(await page.textContent("#error-banner span"), catalogue.az["error.camera_denied"]);
  await check(page, TOKEN);
  assert.equal(await page.getAttribute("#result", "data-level"), "green");
  await page.close();
});

const cardChecks = (page) =>
  page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "check_service_card").map((c) => c.args.request));

test("a service card's code is scanned: its tax id checked as if typed, the card's number asked for first if missing", async () => {
  const page = await openApp({ init: [cardQr()] });
  await page.click("#tab-manual");
  await page.waitForSelector("#manual-form");
  assert.equal(await page.textContent("#card-camera"), catalogue.az["card.scan"]);
  assert.equal(await page.isHidden("#card-camera-view"), true);

  // The card's number typed first: the code's tax id is checked at once, and the camera released.
  await page.fill("#manual-card_number", "4711");
  await page.click("#card-camera");
  await page.waitForSelector("#scan-video");
  assert.equal(await page.textContent("#card-camera-status"), catalogue.az["card.camera_aim"]);
  await page.evaluate(() => (window.__icazeQrInView = true));
  await page.waitForSelector("#card-answer[data-standing=authorised]");
  assert.equal(await page.textContent("#card-symbol"), "✓");
  assert.equal(await page.textContent("#card-title"), catalogue.az["card.authorised"]);
  assert.equal(await page.textContent("#card-name"), "Bakı Metropoliteni QSC");
  assert.deepEqual(await cardChecks(page), [{ organisation: "1700000001", card_number: "4711", zone: 1, note: null }]);
  assert.equal(await page.inputValue("#manual-organisation"), "1700000001");
  assert.deepEqual(await trackStates(page), ["ended"]);
  await page.screenshot({ path: join(shots, "ui-service-card-scanned.png") });

  // No number yet: the tax id is filled in, the number asked for, nothing checked until it is typed.
  await page.fill("#manual-card_number", "");
  await page.fill("#manual-organisation", "");
  await page.click("#card-camera");
  await page.waitForSelector("#card-scanned:not([hidden])");
  assert.equal(await page.textContent("#card-scanned"), catalogue.az["card.scanned"].replace("{tax_id}", "1700000001"));
  assert.equal(await page.inputValue("#manual-organisation"), "1700000001");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "manual-card_number");
  assert.equal((await cardChecks(page)).length, 1);
  assert.deepEqual(await trackStates(page), ["ended", "ended"]);
  await page.fill("#manual-card_number", "4712");
  await page.click("#manual-save");
  await page.waitForFunction(() => window.__icazeCalls.filter((c) => c.cmd === "check_service_card").length === 2);
  assert.deepEqual((await cardChecks(page))[1], { organisation: "1700000001", card_number: "4712", zone: 1, note: null });
  await page.waitForSelector("#card-answer[data-standing=authorised]");
  // Logged as a typed card is: a service card with its organisation and number.
  await page.click("#tab-log");
  await page.waitForSelector("#log-list .entry");
  assert.deepEqual(await page.$$eval("#log-list .entry .what", (els) => els.map((e) => e.textContent)), [
    catalogue.az["manual.kind.service_card"],
    catalogue.az["manual.kind.service_card"],
  ]);
  await page.close();
});

test("a code with no tax id on it (a permit's) says so on the card's camera, checks nothing, and keeps looking", async () => {
  const page = await openApp({ init: [permitQr()] });
  await page.click("#tab-manual");
  await page.fill("#manual-card_number", "4711");
  await page.click("#card-camera");
  await page.waitForSelector("#scan-video");
  await page.evaluate(() => (window.__icazeQrInView = true));
  await page.waitForFunction(
    (text) => document.querySelector("#card-camera-status")?.textContent === text,
    catalogue.az["card.no_tax_id"],
  );
  await page.screenshot({ path: join(shots, "ui-service-card-no-tax-id.png") });
  assert.deepEqual(await cardChecks(page), []);
  assert.equal(await page.$("#card-answer"), null);
  assert.equal(await page.inputValue("#manual-organisation"), "");
  assert.deepEqual(await trackStates(page), ["live"]);
  // Nor does the permit's code reach the permit check from here.
  assert.deepEqual(await checkTexts(page), []);
  await page.click("#card-camera-cancel");
  assert.deepEqual(await trackStates(page), ["ended"]);
  assert.equal(await page.isHidden("#card-camera-view"), true);
  await page.close();
});
