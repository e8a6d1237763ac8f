// The app's commands (src-tauri/src/commands.rs), typed. Every failure is
// an `AppError` with a stable code that the catalogues translate.
import { invoke } from "@tauri-apps/api/core";

export type Language = "az" | "ru" | "en";
export type Theme = "light" | "dark" | "high_contrast";

export interface Settings {
  language: Language;
  zone: number | null;
  officer: string | null;
  theme: Theme;
  /** The sync server, when not the one the device was set up with. */
  server: string | null;
}

export interface AppError {
  code: string;
  message: string;
}

/** `icaze device status` JSON. */
export interface DeviceStatus {
  device_id: string;
  bundle_version: number | null;
  trust_list_version: number | null;
  data_time: string | null;
  data_age_minutes: number | null;
  freshness: Freshness;
  last_sync: string | null;
  revocations: number;
  log_records: number;
  outbox: number;
  chain_ok: boolean;
  clock_suspect: string | null;
}

export type Freshness = "fresh" | "stale" | "very_stale" | "too_old" | "no_data";

export interface AppStatus {
  dir: string;
  device: DeviceStatus | null;
  open_error: AppError | null;
  officer: string | null;
  settings: Settings;
  /** The sync server the app uses (the settings', else the device's own). */
  server: string | null;
  /** The enrollment the last sync learnt; null before the first sync. */
  enrollment: EnrollmentStatus | null;
}

export type EnrollmentState = "active" | "suspended" | "unknown";

/** The device's standing on the server, as the last sync said (src-tauri settings.rs). */
export interface EnrollmentStatus {
  status: EnrollmentState;
  badge: string | null;
  precinct: string | null;
  checked_at: string;
  server: string;
}

/** `icaze device sync` JSON (SyncReport::to_json). */
export interface SyncReport {
  device_id: string;
  status: EnrollmentState;
  badge: string | null;
  precinct: string | null;
  requests: number;
  sent: number;
  accepted: number;
  duplicates: number;
  conflicts: number;
  acknowledged: number;
  acknowledged_seq: number;
  high_water: number;
  outbox_left: number;
  flags: string[];
  /** The server holds this device's log otherwise than the phone (a copy or a restored backup). */
  diverged: boolean;
  server_time: string | null;
  bundle:
    | {
        result: "applied";
        version: number;
        delta: boolean;
        revocations: number;
        clock_suspicious: boolean;
        bytes: number;
        resumed_from: number | null;
      }
    | { result: "up_to_date"; version: number };
  retries: number;
}

/** An export file written for the precinct. */
export interface Exported {
  path: string;
  records: number;
  first_seq: number | null;
  last_seq: number | null;
  bytes: number;
  left_out: number;
}

export interface Reason {
  code: string;
  message: string;
}

export interface Permit {
  serial: number;
  key_id: number;
  document: string;
  document_kind: string;
  purpose: string;
  zones: number[];
  issued_at: string;
  valid_from: string;
  valid_until: string;
  vehicle: string | null;
}

/** `icaze device check` JSON. */
export interface Verdict {
  kind: string;
  display: string;
  reasons: Reason[];
  warnings: Reason[];
  document: string | null;
  permit: Permit | null;
  issued_minutes_ago: number | null;
  data_age_minutes: number | null;
  bundle_version: number | null;
  checked_at: string;
  zone: number;
  seq: number | null;
}

/** `icaze device log` JSON, one record. */
export interface LogRecord {
  seq: number;
  at: string;
  officer: string;
  zone: number;
  input: string;
  serial: number | null;
  document: string | null;
  verdict: string | null;
  display: string | null;
  reasons: string[] | null;
  note: string | null;
  details: { name: string; value: string }[];
}

export interface TodayLog {
  day_start: string;
  records: LogRecord[];
  outbox: number;
  log_records: number;
}

/** A zone of the bundle's regimes with its names (src-tauri `ZoneName`). */
export interface Zone {
  id: number;
  name_az: string;
  name_ru: string;
  name_en: string;
}

export interface Enrollment {
  device_id: string;
  code: string;
  qr_svg: string;
}

export type ManualRequest =
  | { kind: "service_card"; organisation: string; card_number: string; zone: number; note: string | null }
  | { kind: "summons"; issuer: string; document: string; zone: number; note: string | null }
  | { kind: "danger"; what: string; zone: number; note: string | null }
  | {
      kind: "violation";
      protocol_number: string;
      article: string;
      document: string | null;
      zone: number;
      note: string | null;
    };

export interface BundleApplied {
  version: number;
  delta: boolean;
  revocations: number;
  clock_suspicious: boolean;
}

/** Turns whatever a rejected invoke gives into an AppError. */
export function asAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    return { code: String(code), message: String(message) };
  }
  return { code: "ipc", message: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown> | Uint8Array, headers?: Record<string, string>) {
  try {
    return await invoke<T>(cmd, args, headers ? { headers } : undefined);
  } catch (e) {
    throw asAppError(e);
  }
}

export const api = {
  status: () => call<AppStatus>("status"),
  initDevice: (rootPublic: string, officer: string | null) =>
    call<AppStatus>("init_device", { rootPublic, officer }),
  checkText: (text: string, zone: number) => call<Verdict>("check_text", { text, zone }),
  checkImage: (bytes: Uint8Array, zone: number) => call<Verdict>("check_image", bytes, { "icaze-zone": String(zone) }),
  recordManual: (request: ManualRequest) => call<LogRecord>("record_manual", { request }),
  todayLog: () => call<TodayLog>("today_log"),
  importBundle: (bytes: Uint8Array) => call<BundleApplied>("import_bundle", bytes),
  enrollment: () => call<Enrollment>("enrollment"),
  /** The zones of the regime in force (else of every regime in the bundle); empty without a bundle. */
  zones: () => call<Zone[]>("zones"),
  getSettings: () => call<Settings>("get_settings"),
  saveSettings: (settings: Settings) => call<Settings>("save_settings", { settings }),
  syncNow: () => call<SyncReport>("sync_now"),
  exportOutbox: () => call<Exported>("export_outbox"),
};
