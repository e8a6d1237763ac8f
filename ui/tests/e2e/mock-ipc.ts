// A fake device core behind the Tauri IPC, for the browser tests: built into
// an IIFE and injected before the app's own script, it answers the app's
// commands the way src-tauri does, from fixtures. Texts containing
// `REVOKED` judge as revoked, `REPLACED` as revoked because a newer permit replaced it, `LATER` as not yet valid (from 12 minutes on), other `IZ1…` or `IZ2…` texts as valid, anything else as
// unreadable (an error, not a verdict: nothing is logged); images fail as unreadable unless they are `qr-valid.png`; a
// permit is valid in zones 1 and 2. `record_manual` records violations (other kinds are refused).
// `check_service_card` looks the organisation up in ORGANISATIONS below (a tax id exactly, a
// name in any case as a part of the names) and judges it for the officer's zone, as the core does.
// The bundle: a device has one (version 3) unless it starts with no device
// (`__icazeMockFirstStart`) or no data (`__icazeMockNoBundle`), and then gets
// one at its first sync; `zones` answers the zones below from it (their
// names as regimes/2020-12-14.toml gives them), or none without a bundle.
// Sync: a server address containing `offline` fails as unreachable; else the
// device becomes active (B-1042, P-12) and its outbox is acknowledged. With
// `window.__icazeHoldSync` set, a sync waits for `window.__icazeReleaseSync()`.
// Supervisor: the token `sup-token` signs in as aliyev of P-12 (any other is
// refused as unauthorized; a server containing `offline` is unreachable);
// inspections, hourly statistics and devices come from the fixtures below,
// filtered as the service filters them (a violation is a manual record of one; one check is of a forged token); enrollment codes must start `ICZD1-`,
// document numbers must start `AZE`.
import { mockIPC } from "@tauri-apps/api/mocks";
import type {
  AppStatus,
  EnrollmentStatus,
  LogRecord,
  ManualRequest,
  Organisation,
  ServiceCard,
  ServiceCardRequest,
  Settings,
  SyncReport,
  Verdict,
  Zone,
} from "../../src/api";
import type { CommandAnswers } from "../../src/bindings/CommandAnswers";
import type { HourStat, OfficerStat } from "../../src/charts";
import type { CodeReport, DeviceInfo, Hourly, Inspection, InspectionFilter, Whoami } from "../../src/supervisor-api";

/** Every command, each answering with the type the Rust command answers with (src/bindings/). */
type Handlers = {
  [C in keyof CommandAnswers]: (
    args: Record<string, unknown>,
    payload: unknown,
  ) => CommandAnswers[C] | Promise<CommandAnswers[C]>;
};

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
// A page that sets `__icazeMockFirstStart` before this script starts with no
// device; one that sets `__icazeMockNoBundle` with a device that has no data yet.
const flags = window as unknown as { __icazeMockFirstStart?: boolean; __icazeMockNoBundle?: boolean };
let hasDevice = !flags.__icazeMockFirstStart;
let hasBundle = hasDevice && !flags.__icazeMockNoBundle;

// Zones of regimes/2020-12-14.toml, as the bundle names them.
const ZONES: Zone[] = [
  { id: 1, name_az: "Bakı", name_ru: "Баку", name_en: "Baku" },
  { id: 2, name_az: "Sumqayıt", name_ru: "Сумгайыт", name_en: "Sumgayit" },
  { id: 3, name_az: "Gəncə", name_ru: "Гянджа", name_en: "Ganja" },
  { id: 4, name_az: "Mingəçevir", name_ru: "Мингечевир", name_en: "Mingachevir" },
  { id: 7, name_az: "Lənkəran şəhəri", name_ru: "город Ленкорань", name_en: "Lankaran city" },
];

function status(): AppStatus {
  return {
    dir: "/mock/device",
    device: !hasDevice ? null : {
      device_id: "MOCKDEVICE000000",
      bundle_version: hasBundle ? 3 : null,
      trust_list_version: hasBundle ? 1 : null,
      data_time: hasBundle ? baku(new Date(Date.now() - 40 * 60_000)) : null,
      data_age_minutes: hasBundle ? 40 : null,
      freshness: hasBundle ? "fresh" : "no_data",
      last_sync: hasBundle ? baku(new Date(Date.now() - 40 * 60_000)) : null,
      revocations: hasBundle ? 1 : 0,
      log_records: records.length,
      outbox: records.length - acknowledged,
      chain_ok: true,
      chain_problem: null,
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
  hasBundle = true;
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
    pruned: 0,
    diverged: false,
    flags: [],
    server_time: baku(new Date()),
    bundle: { result: "applied", version: 4, delta: true, revocations: 2, clock_suspicious: false, bytes: 900, resumed_from: null },
    retries: 0,
  };
}

function verdict(text: string, zone: number): Verdict {
  const now = Date.now();
  const permit = {
    serial: text.includes("REVOKED") ? 7 : text.includes("REPLACED") ? 8 : 42,
    key_id: 1,
    document: text.includes("MYI") ? "MYİ1234567" : "AZE11111111",
    document_kind: "id_card",
    purpose: "necessities",
    zones: [1, 2],
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
  if (text.includes("LATER")) {
    // Issued now, valid from 12 minutes on (an SMS permit's activation delay).
    const later = {
      ...permit,
      valid_from: baku(new Date(now + 12 * 60_000)),
      valid_until: baku(new Date(now + 192 * 60_000)),
    };
    return {
      ...base,
      kind: "not_yet_valid",
      display: "not_valid",
      reasons: [{ code: "not_yet_valid", message: "the permit is not valid yet" }],
      document: later.document,
      permit: later,
      issued_minutes_ago: 0,
    };
  }
  if (text.includes("REPLACED")) {
    return {
      ...base,
      kind: "revoked",
      display: "not_valid",
      reasons: [{ code: "replaced", message: "permit 8 was replaced by a newer permit: ask for the new one" }],
      document: permit.document,
      permit,
    };
  }
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
  return { ...base, kind: "valid", display: "valid", reasons: [], document: permit.document, permit };
}

/** The fields of a record the screens do not show: its identity, place and chain hashes. */
/** The authorised organisations of the mock's bundle. */
const ORGANISATIONS: Organisation[] = [
  { tax_id: "0101234567", name: "Azərsu ASC", sector: "kommunal", zones: [3], until: null },
  { tax_id: "0202020202", name: "Azərsu Servis MMC", sector: "kommunal", zones: [], until: "2020-12-01T00:00:00+04:00" },
  { tax_id: "1700000001", name: "Bakı Metropoliteni QSC", sector: "nəqliyyat", zones: [], until: null },
];

/** A service card judged as `icaze_device::cards` judges it (the mock's clock is past every `until`). */
function serviceCard(request: ServiceCardRequest): Omit<ServiceCard, "record"> {
  const text = request.organisation.trim();
  const runs = text.match(/\d+/g) ?? [];
  const fold = (s: string) => s.toLocaleLowerCase("az").replace(/ə/g, "e").replace(/ı/g, "i");
  const found =
    runs.length === 1 && runs[0].length === 10
      ? ORGANISATIONS.filter((o) => o.tax_id === runs[0])
      : ORGANISATIONS.filter((o) => fold(o.name).includes(fold(text)));
  if (found.length > 1) return { standing: "several", reason: null, organisation: null, matches: found };
  const [o] = found;
  if (!o) return { standing: "unknown", reason: null, organisation: null, matches: [] };
  const reason = o.until ? "expired" : o.zones.length && !o.zones.includes(request.zone) ? "zone" : null;
  return { standing: reason ? "not_authorised" : "authorised", reason, organisation: o, matches: [] };
}

function unshown(seq: number) {
  return { id: `${seq}`.padStart(32, "0"), location: null, prev_hash: "0".repeat(64), hash: `${seq}`.padStart(64, "0") };
}

function log(v: Verdict): Verdict {
  records.push({
    ...unshown(v.seq ?? 0),
    seq: v.seq ?? 0,
    at: v.checked_at,
    officer: settings.officer ?? "B-1042",
    zone: v.zone,
    input: "token",
    serial: v.permit?.serial ?? null,
    // The device logs the canonical form, as SMS and the server have it.
    document: v.document?.replace("İ", "I") ?? null,
    verdict: v.kind,
    display: v.display,
    reasons: v.reasons.map((r) => r.code),
    warnings: v.warnings.map((r) => r.code),
    action: null,
    note: null,
    details: [],
  });
  return v;
}

// The supervisor's side of the sync service.
let supervisorSignedIn = false;
const svDevices: DeviceInfo[] = [
  {
    device_id: "MOCKDEVICE000000",
    badge: "B-1042",
    precinct: "P-12",
    status: "active",
    approved_at: "2020-12-14T06:00:00Z",
    approved_by: "aliyev",
    last_sync: new Date(Date.now() - 30 * 60_000).toISOString(),
    high_water: 12,
    flags: [],
    gap: null,
    fork_seq: null,
    badge_seq: null,
    conflicts: 0,
  },
  {
    device_id: "STALEDEVICE00000",
    badge: "B-77",
    precinct: "P-12",
    status: "active",
    approved_at: "2020-12-14T06:00:00Z",
    approved_by: "aliyev",
    last_sync: new Date(Date.now() - 30 * 3600_000).toISOString(),
    high_water: 3,
    flags: [],
    gap: null,
    fork_seq: null,
    badge_seq: null,
    conflicts: 0,
  },
];
const hourStart = Math.floor(Date.now() / 3600_000) * 3600_000;
const svInspections: Inspection[] = [
  svRecord(1, "MOCKDEVICE000000", "B-1042", 1, "valid", "valid", "token", 0),
  svRecord(2, "MOCKDEVICE000000", "B-1042", 1, null, null, "violation", 1),
  svRecord(3, "STALEDEVICE00000", "B-77", 2, "expired", "not_valid", "token", 2),
  svRecord(4, "STALEDEVICE00000", "B-77", 2, null, null, "violation", 2),
  svRecord(5, "MOCKDEVICE000000", "B-1042", 3, "valid", "valid", "token", 3),
  // A forged token: its serial is whatever the forger wrote, so the log offers no revocation.
  svRecord(6, "STALEDEVICE00000", "B-77", 2, "bad_signature", "not_valid", "token", 3),
];

function svRecord(
  seq: number,
  device: string,
  officer: string,
  zone: number,
  verdict: string | null,
  display: string | null,
  input: string,
  hoursAgo: number,
): Inspection {
  return {
    device_id: device,
    precinct: "P-12",
    ...unshown(seq),
    seq,
    at: baku(new Date(hourStart - hoursAgo * 3600_000 + 10 * 60_000)),
    officer,
    zone,
    input,
    serial: input === "token" ? 40 + seq : null,
    document: `AZE1111111${seq}`,
    verdict,
    display,
    // The verdict's own code as its reason, as the device core gives it for a refusal.
    reasons: verdict === null ? null : verdict === "valid" ? [] : [verdict],
    warnings: verdict === null ? null : [],
    action: null,
    note: null,
    details: [],
  };
}

function svFiltered(filter: InspectionFilter): Inspection[] {
  const from = filter.from ? Date.parse(filter.from) : -Infinity;
  const to = filter.to ? Date.parse(filter.to) : Infinity;
  return svInspections.filter(
    (r) =>
      (!filter.officer || r.officer === filter.officer) &&
      (filter.zone == null || r.zone === filter.zone) &&
      (!filter.violations || r.input === "violation") &&
      Date.parse(r.at) >= from &&
      Date.parse(r.at) <= to,
  );
}

function svHourly(): Hourly {
  const hours = new Map<string, HourStat>();
  const officers = new Map<string, OfficerStat>();
  for (const r of svInspections) {
    const hour = new Date(Math.floor(Date.parse(r.at) / 3600_000) * 3600_000).toISOString().replace(".000", "");
    const h = hours.get(hour) ?? { hour, inspections: 0, violations: 0, not_valid: 0 };
    const o = officers.get(r.officer) ?? { badge: r.officer, inspections: 0, violations: 0 };
    const violation = r.input === "violation" ? 1 : 0;
    h.inspections += 1;
    h.violations += violation;
    h.not_valid += r.display === "not_valid" ? 1 : 0;
    o.inspections += 1;
    o.violations += violation;
    hours.set(hour, h);
    officers.set(r.officer, o);
  }
  return { hours: [...hours.values()], officers: [...officers.values()] };
}

/**
 * The code report of a plain supervisor for 15.12.2020 (or the day asked): code 1
 * usually 20% of the requests, most of them at 10:00 and 11:00 Baku, masked people.
 */
function svCodes(filter: { day?: string | null; code?: number | null }): CodeReport {
  const day = filter.day ?? "2020-12-15";
  const start = Date.parse(`${day}T00:00:00+04:00`);
  const hour = (h: number) => new Date(start + h * 3600_000).toISOString().replace(".000", "");
  return {
    from: hour(0),
    to: hour(24),
    watched_code: filter.code ?? 1,
    threshold: 1.5,
    baseline_days: 7,
    alert: true,
    hours: [
      { hour: hour(9), code: 1, permits: 2, refused: 0 },
      { hour: hour(9), code: 2, permits: 8, refused: 0 },
      { hour: hour(10), code: 1, permits: 6, refused: 1 },
      { hour: hour(10), code: 2, permits: 2, refused: 0 },
      { hour: hour(11), code: 1, permits: 4, refused: 0 },
      { hour: hour(14), code: 3, permits: 1, refused: 0 },
    ],
    shares: [
      { code: 1, requests: 13, share: 13 / 24, usual_share: 0.2, alert: true },
      { code: 2, requests: 10, share: 10 / 24, usual_share: 0.7, alert: false },
      { code: 3, requests: 1, share: 1 / 24, usual_share: 0.1, alert: false },
    ],
    top_phones: [
      { key: "+99450•••••44", permits: 6 },
      { key: "+99455•••••01", permits: 2 },
    ],
    top_documents: [
      { key: "AZ•••••••15", permits: 1 },
      { key: "AA•••••67", permits: 1 },
    ],
    masked: true,
  };
}

/** `answer()` when a supervisor is signed in, else the app's refusal. */
function signedIn<T>(answer: () => T): T {
  if (!supervisorSignedIn) throw { code: "supervisor_signed_out", message: "sign in as a supervisor first" };
  return answer();
}

function setSuspended(args: Record<string, unknown>, suspended: boolean): DeviceInfo {
  return signedIn(() => {
    const device = svDevices.find((d) => d.device_id === args.device);
    if (!device) throw { code: "supervisor_refused", message: `no device ${String(args.device)}` };
    device.status = suspended ? "suspended" : "active";
    return { ...device };
  });
}

const supervisorHandlers = {
  supervisor_login: (args) => {
    supervisorSignedIn = false;
    const server = String(args.server);
    if (!/^https?:\/\/./.test(server)) {
      throw { code: "supervisor_bad_url", message: `the server address ${server} is not usable` };
    }
    if (server.includes("offline")) {
      throw { code: "supervisor_unreachable", message: `cannot reach the sync service at ${server}` };
    }
    if (args.token !== "sup-token") {
      throw { code: "supervisor_unauthorized", message: "the service does not accept this token (unknown token)" };
    }
    supervisorSignedIn = true;
    return {
      server: server.endsWith("/") ? server : `${server}/`,
      whoami: { role: "supervisor", name: "aliyev", precinct: "P-12", investigator: false } satisfies Whoami,
    };
  },
  supervisor_logout: () => {
    supervisorSignedIn = false;
    return null;
  },
  supervisor_inspections: (args) =>
    signedIn(() => ({ inspections: svFiltered(args.filter as InspectionFilter), next: null })),
  supervisor_inspections_csv: (args) =>
    signedIn(() =>
      [
        "device_id,precinct,seq,at,officer,zone,verdict",
        ...svFiltered(args.filter as InspectionFilter).map(
          (r) => `${r.device_id},${r.precinct},${r.seq},${r.at},${r.officer},${r.zone},${r.verdict}`,
        ),
      ].join("\r\n"),
    ),
  supervisor_hourly: () => signedIn(svHourly),
  supervisor_codes: (args) => signedIn(() => svCodes(args.filter as { day?: string | null; code?: number | null })),
  supervisor_codes_csv: (args) =>
    signedIn(() =>
      [
        "hour_utc,hour_baku,code,permits,refused,share_of_hour",
        ...svCodes(args.filter as { day?: string | null }).hours.map((h) => `${h.hour},,${h.code},${h.permits},${h.refused},`),
      ].join("\n"),
    ),
  supervisor_devices: (args) =>
    signedIn(() => {
      const hours = args.hours as number | null;
      const list =
        hours == null
          ? svDevices
          : svDevices.filter((d) => !d.last_sync || Date.now() - Date.parse(d.last_sync) > hours * 3600_000);
      return { devices: list.map((d) => ({ ...d })) };
    }),
  supervisor_approve: (args) =>
    signedIn(() => {
      if (!String(args.code).startsWith("ICZD1-")) {
        throw { code: "supervisor_refused", message: "invalid_enrollment_code: the enrollment code does not read" };
      }
      if (args.precinct !== "P-12") {
        throw { code: "supervisor_forbidden", message: "aliyev may only act on precinct P-12" };
      }
      const device: DeviceInfo = {
        device_id: "NEWDEVICE0000000",
        badge: String(args.badge),
        precinct: "P-12",
        status: "active",
        approved_at: new Date().toISOString(),
        approved_by: "aliyev",
        last_sync: null,
        high_water: 0,
        flags: [],
        gap: null,
        fork_seq: null,
        badge_seq: null,
        conflicts: 0,
      };
      svDevices.push(device);
      return device;
    }),
  supervisor_suspend: (args) => setSuspended(args, true),
  supervisor_resume: (args) => setSuspended(args, false),
  supervisor_revoke: (args) =>
    signedIn(() => {
      if (args.serial != null) return { revoked: [Number(args.serial)], version: 5 };
      if (!String(args.document).startsWith("AZE")) {
        throw { code: "supervisor_refused", message: `invalid_document: the document ${String(args.document)} does not read` };
      }
      return { revoked: [41, 42], version: 5 };
    }),
  supervisor_import: (_args, payload) =>
    signedIn(() => {
      const bytes = payload instanceof Uint8Array ? payload.length : 0;
      if (bytes === 0) throw { code: "supervisor_bad_input", message: "the file is empty" };
      return {
        device_id: "MOCKDEVICE000000",
        status: "active",
        badge: "B-1042",
        precinct: "P-12",
        acknowledged_seq: 2,
        acknowledged_hash: "2".padStart(64, "0"),
        high_water: 2,
        accepted: 2,
        duplicates: 0,
        conflicts: 0,
        flags: [],
        gap: null,
        fork_seq: null,
        channel: "file",
        server_time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      };
    }),
} satisfies Partial<Handlers>;

const handlers: Handlers = {
  status: () => status(),
  get_settings: () => ({ ...settings }),
  zones: () => (hasBundle ? ZONES.map((z) => ({ ...z })) : []),
  save_settings: (args) => {
    const next = args.settings as Settings;
    // As src-tauri settings.rs (ZoneId::MAX).
    if (next.zone !== null && (next.zone < 1 || next.zone > 4095)) {
      throw { code: "bad_zone", message: `zone ${next.zone} is out of range: zones are 1 to 4095` };
    }
    Object.assign(settings, next);
    return { ...settings };
  },
  init_device: (args) => {
    if (!String(args.rootPublic).startsWith("icaze-public-key-v1 root ")) {
      throw { code: "bad_root_key", message: "the root key file is damaged" };
    }
    hasDevice = true;
    settings.officer = (args.officer as string | null) ?? null;
    return status();
  },
  check_text: (args) => {
    const text = String(args.text);
    // As src-tauri: text without a readable token is no inspection.
    if (!/IZ[12]/.test(text) && !/^\d{20,}$/.test(text)) {
      throw { code: "unreadable_token", message: "no permit token found (no_token)" };
    }
    return log(verdict(text, Number(args.zone)));
  },
  record_manual: (args) => {
    // Only the violation is modelled: its record as the device core writes it (manual.rs).
    const request = args.request as ManualRequest;
    if (request.kind !== "violation") throw { code: "unknown_command", message: `the mock records violations only` };
    for (const [name, value] of [["protocol_number", request.protocol_number], ["article", request.article]]) {
      if (!value.trim()) throw { code: "missing_field", message: `${name} is empty` };
    }
    const record: LogRecord = {
      ...unshown(records.length + 1),
      seq: records.length + 1,
      at: baku(new Date()),
      officer: settings.officer ?? "B-1042",
      zone: request.zone,
      input: "violation",
      serial: null,
      document: request.document,
      verdict: null,
      display: null,
      reasons: null,
      warnings: null,
      action: null,
      note: request.note,
      details: [
        { name: "protocol_number", value: request.protocol_number },
        { name: "article", value: request.article },
      ],
    };
    records.push(record);
    return record;
  },
  check_service_card: (args) => {
    const request = args.request as ServiceCardRequest;
    for (const [name, value] of [["organisation", request.organisation], ["card_number", request.card_number]]) {
      if (!value.trim()) throw { code: "missing_field", message: `${name} is empty` };
    }
    const answer = serviceCard(request);
    const record: LogRecord = {
      ...unshown(records.length + 1),
      seq: records.length + 1,
      at: baku(new Date()),
      officer: settings.officer ?? "B-1042",
      zone: request.zone,
      input: "service_card",
      serial: null,
      document: null,
      verdict: null,
      display: null,
      reasons: null,
      warnings: null,
      action: null,
      note: request.note,
      details: [
        { name: "organisation", value: request.organisation },
        { name: "card_number", value: request.card_number },
        { name: "card_answer", value: answer.standing },
      ],
    };
    records.push(record);
    return { ...answer, record };
  },
  check_image: () => {
    throw { code: "qr_not_found", message: "no QR code was found in the image" };
  },
  import_bundle: () => {
    throw { code: "unknown_command", message: "the mock does not import bundles" };
  },
  today_log: () => ({
    day_start: baku(new Date(Date.now() - 3600_000)),
    records: [...records].reverse(),
    outbox: records.length,
    log_records: records.length,
  }),
  enrollment: () => ({
    device_id: "MOCKDEVICE000000",
    code: "ICZD1-AAAA-BBBB",
    qr_svg: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=",
  }),
  sync_now: () => sync(),
  export_outbox: () => ({
    path: "/mock/device/exports/icaze-MOCKDEVICE000000-20201215T1030.iczu",
    records: records.length - acknowledged,
    first_seq: acknowledged + 1,
    last_seq: records.length,
    bytes: 170,
    left_out: 0,
  }),
  ...supervisorHandlers,
};

mockIPC((cmd, payload) => {
  const args = (payload ?? {}) as Record<string, unknown>;
  calls.push({ cmd, args: payload instanceof Uint8Array ? `<${payload.length} bytes>` : args });
  if (!Object.prototype.hasOwnProperty.call(handlers, cmd)) throw { code: "unknown_command", message: `the mock does not know ${cmd}` };
  const handler = handlers[cmd as keyof Handlers] as (args: Record<string, unknown>, payload: unknown) => unknown;
  return handler(args, payload);
});

(window as unknown as { __icazeCalls: typeof calls }).__icazeCalls = calls;
