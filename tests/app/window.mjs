// The real app in a real window: tauri-driver and WebKitWebDriver drive the
// built binary (a debug build with the UI embedded), on a device directory
// prepared with the `icaze` CLI. Picks the zone by name in Settings, opens the
// QR image of a valid permit, then of a revoked one, through the Scan screen's
// file input; checks the verdicts and the zones' names on screen and the
// verdicts in `icaze device log`; writes an export file from the Sync screen.
// Screenshots go to target/app-test/.
//
// Needs: a display (run under `xvfb-run -a`), `tauri-driver` on PATH, and the
// binaries target/debug/icaze and target/debug/icaze-app. Run by tests/app/run.sh.
// No npm package: WebDriver is plain HTTP, spoken here with fetch.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(repo, "target", "app-test");
const work = join(out, "window");
const icaze = join(repo, "target", "debug", "icaze");
// ICAZE_APP_BINARY measures another build (e.g. target/release/icaze-app).
const app = resolve(process.env.ICAZE_APP_BINARY ?? join(repo, "target", "debug", "icaze-app"));
const port = Number(process.env.TAURI_DRIVER_PORT ?? 4444);
// WebKitWebDriver's own port, which tauri-driver forwards to.
const nativePort = Number(process.env.TAURI_NATIVE_PORT ?? port + 1);
const driverUrl = `http://127.0.0.1:${port}`;
const az = JSON.parse(readFileSync(join(repo, "ui", "src", "i18n", "az.json"), "utf8"));

const cli = (...args) => execFileSync(icaze, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** RFC 3339 in Baku time, for regime files. */
function baku(ms) {
  return new Date(ms + 4 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "+04:00");
}

// 1. An authority, a regime in force now, two permits (the second revoked),
//    a bundle, and a device set up and loaded with it, all with the CLI.
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const keys = join(work, "authority");
const device = join(work, "device");
cli("keys", "init", "--keys", keys);
const regime = readFileSync(join(repo, "regimes", "2020-12-14.toml"), "utf8")
  .replace(/^start = .*$/m, `start = "${baku(Date.now() - 24 * 3600_000)}"`)
  .replace(/^end = .*$/m, `end = "${baku(Date.now() + 30 * 24 * 3600_000)}"`);
writeFileSync(join(work, "regime.toml"), regime);
const issue = (doc) => cli("issue", "--keys", keys, "--document", doc, "--purpose", "necessities", "--zone", "1");
const serialOf = (token) =>
  JSON.parse(execFileSync(icaze, ["verify", "--trust", join(keys, "trustlist"), "--zone", "1", token], { encoding: "utf8" }))
    .permit.serial;
const valid = issue("AZE11111111");
const revoked = issue("AZE22222222");
writeFileSync(join(work, "revoked.txt"), `${serialOf(revoked)}\n`);
cli("bundle", "make", "--keys", keys, "--regime", join(work, "regime.toml"), "--version", "1",
  "--revoked", join(work, "revoked.txt"), "--out", join(work, "bundle-1"));
const initOutput = cli("device", "--data", device, "init", "--root", join(keys, "root.public"), "--officer", "B-1042");
const enrollmentCode = /enrollment code (ICZD1-\S+)/.exec(initOutput)?.[1];
assert.ok(enrollmentCode, `no enrollment code in: ${initOutput}`);
cli("device", "--data", device, "import-bundle", join(work, "bundle-1"));
cli("qr", valid, "--png", join(work, "valid.png"));
cli("qr", revoked, "--png", join(work, "revoked.png"));

// 2. tauri-driver, which starts WebKitWebDriver, which starts the app with
//    this environment (ICAZE_DEVICE_DIR points it at the prepared device).
const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
  env: { ...process.env, ICAZE_DEVICE_DIR: device },
  stdio: ["ignore", "inherit", "inherit"],
});
const stopDriver = () => driver.exitCode === null && driver.kill();
process.on("exit", stopDriver);

async function wd(method, path, body) {
  const response = await fetch(`${driverUrl}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
  return json.value;
}

async function until(what, probe, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Ready once both ports accept connections: tauri-driver's, and that of the
// WebKitWebDriver it starts beside it (on a loaded machine that one binds
// seconds later, and a session request forwarded before then fails).
// Probing by connecting only: tauri-driver's /status would start another
// WebKitWebDriver.
const accepts = (p) =>
  new Promise((ok) => {
    const socket = connect(p, "127.0.0.1", () => (socket.end(), ok(true)));
    socket.on("error", () => ok(false));
  });
await until("tauri-driver", () => accepts(port), 60_000);
await until("WebKitWebDriver", () => accepts(nativePort), 60_000);

const started = performance.now();
const session = await wd("POST", "/session", {
  capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application: app } } },
});
const sid = session.sessionId;
const s = (path) => `/session/${sid}${path}`;
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

const find = async (css) => {
  const found = await wd("POST", s("/element"), { using: "css selector", value: css });
  if (!found?.[ELEMENT]) throw new Error(`no element ${css}: ${JSON.stringify(found)}`);
  return found[ELEMENT];
};
const exists = async (css) =>
  (await wd("POST", s("/elements"), { using: "css selector", value: css })).length > 0;
const text = async (css) => wd("GET", s(`/element/${await find(css)}/text`));
const attr = async (css, name) => wd("GET", s(`/element/${await find(css)}/attribute/${name}`));
// Scrolled to the middle of the screen first: WebKitWebDriver scrolls an element only just
// into view, where the fixed tab bar lies over the bottom of a long screen (Settings).
const click = async (css) => {
  const id = await find(css);
  await wd("POST", s("/execute/sync"), {
    script: "arguments[0].scrollIntoView({ block: 'center' });",
    args: [{ [ELEMENT]: id }],
  });
  return wd("POST", s(`/element/${id}/click`), {});
};
const type = async (css, value) => {
  const id = await find(css);
  await wd("POST", s(`/element/${id}/clear`), {});
  await wd("POST", s(`/element/${id}/value`), { text: value });
};
const shot = async (name) =>
  writeFileSync(join(out, name), Buffer.from(await wd("GET", s("/screenshot")), "base64"));

/**
 * Memory of the app process and of its WebKit children, from /proc, in MiB:
 * resident (VmRSS, shared libraries counted in each process) and proportional
 * (Pss, shared pages divided among their users: the fairer sum).
 */
function appMemory() {
  const procs = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  const read = (pid, file) => {
    try {
      return readFileSync(`/proc/${pid}/${file}`, "utf8");
    } catch {
      return "";
    }
  };
  const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(read(pid, "status"))?.[1] ?? 0) / 1024;
  const ppid = (pid) => /PPid:\s+(\d+)/.exec(read(pid, "status"))?.[1];
  const exe = (pid) => {
    try {
      return readlinkSync(`/proc/${pid}/exe`);
    } catch {
      return "";
    }
  };
  const main = procs.filter((pid) => exe(pid) === app);
  const children = procs.filter((pid) => main.includes(ppid(pid)));
  const pss = (pid) => Number(/Pss:\s+(\d+)/.exec(read(pid, "smaps_rollup"))?.[1] ?? 0) / 1024;
  const sum = (pids, of = rss) => Math.round(pids.reduce((total, pid) => total + of(pid), 0));
  return {
    app: sum(main),
    children: sum(children),
    pss: sum([...main, ...children], pss),
    count: main.length + children.length,
  };
}

let failed = false;
let exportText = "";
try {
  await until("scan-ready", () => exists("body[data-ready=true]"));
  const scanReadyMs = Math.round(performance.now() - started);

  // The zone is picked by name in Settings, from the zones the bundle names
  // (regimes/2020-12-14.toml: 17, in id order), through the real zones and
  // save_settings commands.
  await click("#tab-settings");
  await until("zone list", () => exists("#settings-zone"));
  const options = (await wd("POST", s("/elements"), { using: "css selector", value: "#settings-zone option" })).map(
    (o) => o[ELEMENT],
  );
  const labels = await Promise.all(options.map((o) => wd("GET", s(`/element/${o}/text`))));
  assert.equal(labels.length, 1 + 17 + 1, `options: ${labels}`);
  assert.deepEqual(labels.slice(1, 4), ["Bakı", "Sumqayıt", "Gəncə"]);
  assert.equal(labels.at(-1), az["settings.zone_other"]);
  await wd("POST", s(`/element/${options[labels.indexOf("Bakı")]}/click`), {});
  await until("zone number shown", async () => (await text("#settings-zone-id")) === "№ 1");
  assert.equal(await wd("POST", s("/execute/sync"), { script: "return document.querySelector('#settings-zone').value", args: [] }), "1");
  // Two frames, so that the screenshot shows the list's new choice painted.
  await wd("POST", s("/execute/async"), {
    script: "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
    args: [],
  });
  await shot("window-settings-zone.png");
  await click("#settings-save");
  await until("zone saved", async () => (await text("#header-zone")) === "Bakı");
  await click("#tab-scan");

  for (const [file, kind, title, document, shotName] of [
    ["valid.png", "valid", az["verdict.valid"], "AZE11111111", "window-valid.png"],
    ["revoked.png", "revoked", az["verdict.revoked"], "AZE22222222", "window-revoked.png"],
  ]) {
    await until("scan screen", () => exists("#scan-image"));
    const input = await find("#scan-image");
    await wd("POST", s(`/element/${input}/value`), { text: join(work, file) });
    await until(`${kind} result`, () => exists("#result"));
    assert.equal(await attr("#result", "data-kind"), kind);
    assert.equal(await attr("#result", "data-level"), kind === "valid" ? "green" : "red");
    assert.equal(await text("#result-title"), title);
    assert.equal(await text("#result-document"), document);
    assert.equal(await text("#result-zones"), "Bakı");
    assert.equal(await text("#result-your-zone"), "Bakı");
    await until("result painted", () => exists("#result-countdown"));
    await shot(shotName);
    await click("#result-next");
  }

  // The Log screen shows both, newest first.
  await click("#tab-log");
  await until("log entries", async () => (await wd("POST", s("/elements"), { using: "css selector", value: "#log-list .entry" })).length === 2);
  const logZones = (await wd("POST", s("/elements"), { using: "css selector", value: "#log-list .entry .zone" })).map(
    (e) => wd("GET", s(`/element/${e[ELEMENT]}/text`)),
  );
  assert.deepEqual(await Promise.all(logZones), ["Bakı", "Bakı"]);
  await shot("window-log.png");

  // The enrollment code the app shows is the one the CLI printed, with its QR image drawn.
  await click("#tab-settings");
  await click("#settings-enrollment");
  await until("enrollment code", () => exists("#enrollment-code"));
  assert.equal(await text("#enrollment-code"), enrollmentCode);
  const qrWidth = await wd("POST", s("/execute/sync"), {
    script: "return document.querySelector('#enrollment-qr').naturalWidth",
    args: [],
  });
  assert.ok(qrWidth > 0, "the enrollment QR image did not load (CSP img-src data:?)");
  await shot("window-enrollment.png");
  // No sync has run: the status is not known yet. The device has no server
  // address, so Sync now is disabled; the export for the precinct still works.
  assert.equal(await text("#enrollment-status-state"), az["enrollment.status.none"]);
  await click("#tab-sync");
  await until("sync screen", () => exists("#sync-now"));
  assert.equal(await attr("#sync-now", "disabled"), "true");
  assert.ok(await exists("#sync-no-server"));
  await click("#sync-export");
  await until("export written", () => exists("#sync-export-path"));
  exportText = await text("#sync-export-path");
  await shot("window-sync.png");
  const memory = appMemory();
  console.log(
    `window test: scan-ready ${scanReadyMs} ms after the session request; resident memory ` +
      `${memory.app} MiB app + ${memory.children} MiB WebKit processes (${memory.count} processes), ` +
      `proportional ${memory.pss} MiB in all`,
  );
} catch (e) {
  failed = true;
  console.error(e);
  await shot("window-failure.png").catch(() => {});
} finally {
  await wd("DELETE", s("")).catch(() => {});
  stopDriver();
}
if (failed) process.exit(1);

// 3. The inspections are in the device's log, as the CLI reads it.
const log = cli("device", "--data", device, "log").split("\n").map((line) => JSON.parse(line));
assert.deepEqual(
  log.map((r) => [r.input, r.verdict, r.document, r.zone, r.officer]),
  [
    ["qr_digits", "valid", "AZE11111111", 1, "B-1042"],
    ["qr_digits", "revoked", "AZE22222222", 1, "B-1042"],
  ],
);
const status = JSON.parse(cli("device", "--data", device, "status"));
assert.equal(status.chain_ok, true);
assert.equal(status.outbox, 2);
// 4. The export file is where the Sync screen said, a signed batch (magic ICZU).
const exportsDir = join(device, "exports");
const exported = readdirSync(exportsDir);
assert.equal(exported.length, 1, `exports: ${exported}`);
assert.ok(exportText.includes(join(exportsDir, exported[0])), exportText);
assert.equal(readFileSync(join(exportsDir, exported[0])).subarray(0, 4).toString("latin1"), "ICZU");
console.log("window test: ok (valid and revoked QR images judged in the app, both in the device log; export file written)");
