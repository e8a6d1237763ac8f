// A fake device core behind the Tauri IPC, for the browser tests: built into
// an IIFE and injected before the app's own script, it answers the app's
// commands the way src-tauri does, from fixtures. Texts containing
// `REVOKED` judge as revoked, other `IZ1…` texts as valid, anything else as
// malformed; images fail as unreadable unless they are `qr-valid.png`.
// Sync: a server address containing `offline` fails as unreachable; else the
// device becomes active (B-1042, P-12) and its outbox is acknowledged. With
// `window.__icazeHoldSync` set, a sync waits for `window.__icazeReleaseSync()`.
import { mockIPC } from "@tauri-apps/api/mocks";
import type { AppStatus, EnrollmentStatus, LogRecord, Settings, SyncReport, Verdict } from "../../src/api";

const BAKU_MS = 4 * 3600_000;

/** A Date as Baku RFC 3339 (`…+04:00`), as the device core writes times. */
function baku(date: Date): string {
  return new Date(date.getTime() + BAKU_MS).toISOString().replace(/\.\d{3}Z$/, "+04:00");
}

const settings: Settings = { language: "az", zone: null, officer: null, theme: "light", server: null };
const records: LogRecord[] = [];
let acknowledged = 0;
let enrollment: EnrollmentStatus | null = null;
const calls: { cmd: string; args: unknown }[] = [];
// A page that sets `__icazeMockFirstStart` before this script starts with no device.
let hasDevice = !(window as unknown as { __icazeMockFirstStart?: boolean }).__icazeMockFirstStart;

function status(): AppStatus {
  return {
    dir: "/mock/device",
    device: !hasDevice ? null : {
      device_id: "MOCKDEVICE000000",
      bundle_version: 3,
      trust_list_version: 1,
      data_time: baku(new Date(Date.now() - 40 * 60_000)),
      data_age_minutes: 40,
      freshness: "fresh",
      last_sync: baku(new Date(Date.now() - 40 * 60_000)),
      revocations: 1,
      log_records: records.length,
      outbox: records.length - acknowledged,
      chain_ok: true,
      clock_suspect: null,
    },
    open_error: null,
    officer: settings.officer ?? "B-1042",
    settings: { ...settings },
    server: settings.server ?? "https://sync.icaze.example",
    enrollment,
  };
}

type Hold = Window & { __icazeHoldSync?: boolean; __icazeReleaseSync?: () => void };

async function sync(): Promise<SyncReport> {
  const w = window as Hold;
  if (w.__icazeHoldSync) await new Promise<void>((resolve) => (w.__icazeReleaseSync = resolve));
  const server = settings.server ?? "https://sync.icaze.example";
  if (server.includes("offline")) {
    throw { code: "unreachable", message: `cannot reach the sync server at ${server} after 4 tries` };
  }
  const sent = records.length - acknowledged;
  acknowledged = records.length;
  enrollment = {
    status: "active",
    badge: "B-1042",
    precinct: "P-12",
    checked_at: baku(new Date()),
    server,
  };
  return {
    device_id: "MOCKDEVICE000000",
    status: "active",
    badge: "B-1042",
    precinct: "P-12",
    requests: 2,
    sent,
    accepted: sent,
    duplicates: 0,
    conflicts: 0,
    acknowledged: sent,
    acknowledged_seq: records.length,
    high_water: records.length,
    outbox_left: 0,
    flags: [],
    server_time: baku(new Date()),
    bundle: { result: "applied", version: 4, delta: true, revocations: 2, clock_suspicious: false, bytes: 900, resumed_from: null },
    retries: 0,
  };
}

function verdict(text: string, zone: number): Verdict {
  const now = Date.now();
  const permit = {
    serial: text.includes("REVOKED") ? 7 : 42,
    key_id: 1,
    document: "AZE11111111",
    document_kind: "id_card",
    purpose: "necessities",
    zones: [1],
    issued_at: baku(new Date(now - 2 * 60_000)),
    valid_from: baku(new Date(now - 2 * 60_000)),
    valid_until: baku(new Date(now + 178 * 60_000)),
    vehicle: null,
  };
  const base = {
    warnings: [],
    issued_minutes_ago: 2,
    data_age_minutes: 40,
    bundle_version: 3,
    checked_at: baku(new Date(now)),
    zone,
    seq: records.length + 1,
  };
  if (text.includes("REVOKED")) {
    return {
      ...base,
      kind: "revoked",
      display: "not_valid",
      reasons: [{ code: "revoked", message: "permit 7 was revoked" }],
      document: permit.document,
      permit,
    };
  }
  if (text.includes("IZ1") || /^\d{20,}$/.test(text)) {
    return { ...base, kind: "valid", display: "valid", reasons: [], document: permit.document, permit };
  }
  return {
    ...base,
    kind: "malformed",
    display: "not_valid",
    reasons: [{ code: "no_token", message: "no permit token was found in the text" }],
    document: null,
    permit: null,
    issued_minutes_ago: null,
  };
}

function log(v: Verdict): Verdict {
  records.push({
    seq: v.seq ?? 0,
    at: v.checked_at,
    officer: settings.officer ?? "B-1042",
    zone: v.zone,
    input: "token",
    serial: v.permit?.serial ?? null,
    document: v.document,
    verdict: v.kind,
    display: v.display,
    reasons: v.reasons.map((r) => r.code),
    note: null,
    details: [],
  });
  return v;
}

mockIPC((cmd, payload) => {
  const args = (payload ?? {}) as Record<string, unknown>;
  calls.push({ cmd, args: payload instanceof Uint8Array ? `<${payload.length} bytes>` : args });
  switch (cmd) {
    case "status":
      return status();
    case "get_settings":
      return { ...settings };
    case "save_settings": {
      const next = args.settings as Settings;
      if (next.zone !== null && (next.zone < 1 || next.zone > 65535)) {
        throw { code: "bad_zone", message: `zone ${next.zone} is out of range` };
      }
      Object.assign(settings, next);
      return { ...settings };
    }
    case "init_device":
      if (!String(args.rootPublic).startsWith("icaze-public-key-v1 root ")) {
        throw { code: "bad_root_key", message: "the root key file is damaged" };
      }
      hasDevice = true;
      settings.officer = (args.officer as string | null) ?? null;
      return status();
    case "check_text":
      return log(verdict(String(args.text), Number(args.zone)));
    case "check_image":
      throw { code: "qr_not_found", message: "no QR code was found in the image" };
    case "today_log":
      return {
        day_start: baku(new Date(Date.now() - 3600_000)),
        records: [...records].reverse(),
        outbox: records.length,
        log_records: records.length,
      };
    case "enrollment":
      return {
        device_id: "MOCKDEVICE000000",
        code: "ICZD1-AAAA-BBBB",
        qr_svg: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=",
      };
    case "sync_now":
      return sync();
    case "export_outbox":
      return {
        path: "/mock/device/exports/icaze-MOCKDEVICE000000-20201215T1030.iczu",
        records: records.length - acknowledged,
        first_seq: acknowledged + 1,
        last_seq: records.length,
        bytes: 170,
        left_out: 0,
      };
    default:
      throw { code: "unknown_command", message: `the mock does not know ${cmd}` };
  }
});

(window as unknown as { __icazeCalls: typeof calls }).__icazeCalls = calls;
