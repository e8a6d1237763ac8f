// Browser tests of the built UI (ui/dist) in Debian's Chromium, with the
// Tauri IPC mocked (tests/e2e/mock-ipc.ts, built here into an IIFE and
// injected before the app's script). Run: `npm run build && npm run test:e2e`.
// Screenshots go to ../target/app-test/ (kept as CI artefacts).
//
// The entry point: one process, one vite build and preview, one Chromium for
// the whole run (harness.mjs, imported first); each module below registers the
// tests of one area with node:test, which runs them in the order imported.
import "./harness.mjs";
import "./verdicts.mjs";
import "./zones.mjs";
import "./manual-and-log.mjs";
import "./sync.mjs";
import "./camera.mjs";
import "./supervisor.mjs";
import "./phones.mjs";
import "./preferences.mjs";
