// The Supervisor screen's commands (src-tauri/src/supervisor.rs), typed. The
// answers are the sync service's JSON (docs/sync-api.md); failures are
// AppErrors whose codes start with `supervisor_`.
import { invoke } from "@tauri-apps/api/core";
import { asAppError } from "./api";
import type { HourStat, OfficerStat } from "./charts";

export interface Whoami {
  role: "admin" | "supervisor" | "service";
  name: string | null;
  precinct: string | null;
}

export interface SignedIn {
  server: string;
  whoami: Whoami;
}

/** `GET /v1/inspections` filters; empty ones filter nothing. Times are RFC 3339. */
export interface InspectionFilter {
  precinct?: string | null;
  officer?: string | null;
  zone?: number | null;
  device?: string | null;
  from?: string | null;
  to?: string | null;
  violations?: boolean;
  limit?: number | null;
  after?: string | null;
}

export interface HourlyFilter {
  precinct?: string | null;
  from?: string | null;
  to?: string | null;
}

/** One inspection as the service lists it (InspectionRecord::to_json plus device and precinct). */
export interface Inspection {
  device_id: string;
  precinct: string;
  seq: number;
  at: string;
  officer: string;
  zone: number;
  input: string;
  serial: number | null;
  document: string | null;
  verdict: string | null;
  display: string | null;
  /** The verdict's reason codes, the first the main one (`reason.<code>` in the catalogues); null on manual records. */
  reasons: string[] | null;
  action: string | null;
  note: string | null;
}

export interface InspectionPage {
  inspections: Inspection[];
  next: string | null;
}

export interface Hourly {
  hours: HourStat[];
  officers: OfficerStat[];
}

export interface DeviceInfo {
  device_id: string;
  badge: string;
  precinct: string;
  status: "active" | "suspended" | string;
  approved_at: string;
  approved_by: string;
  last_sync: string | null;
  high_water: number;
  flags: string[];
}

export interface Revoked {
  revoked: number[];
  version: number;
}

export interface ImportReceipt {
  device_id: string;
  status: string;
  accepted: number;
  duplicates: number;
  conflicts: number;
}

async function call<T>(cmd: string, args?: Record<string, unknown> | Uint8Array) {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asAppError(e);
  }
}

export const supervisorApi = {
  login: (server: string, token: string) => call<SignedIn>("supervisor_login", { server, token }),
  logout: () => call<null>("supervisor_logout"),
  inspections: (filter: InspectionFilter) => call<InspectionPage>("supervisor_inspections", { filter }),
  inspectionsCsv: (filter: InspectionFilter) => call<string>("supervisor_inspections_csv", { filter }),
  hourly: (filter: HourlyFilter) => call<Hourly>("supervisor_hourly", { filter }),
  devices: (hours: number | null) => call<{ devices: DeviceInfo[] }>("supervisor_devices", { hours }),
  approve: (code: string, badge: string, precinct: string) =>
    call<DeviceInfo>("supervisor_approve", { code, badge, precinct }),
  suspend: (device: string, reason: string) => call<DeviceInfo>("supervisor_suspend", { device, reason }),
  resume: (device: string, reason: string) => call<DeviceInfo>("supervisor_resume", { device, reason }),
  revoke: (target: { serial: number } | { document: string }, reason: string) =>
    call<Revoked>("supervisor_revoke", {
      serial: "serial" in target ? target.serial : null,
      document: "document" in target ? target.document : null,
      reason,
    }),
  importFile: (bytes: Uint8Array) => call<ImportReceipt>("supervisor_import", bytes),
};

/**
 * Verdicts whose permit was read and its signature verified by a key the
 * device trusted: only then is the serial the issuer's, and revoking it hits
 * the permit the officer saw. A forged or unverifiable token (`bad_signature`,
 * `unknown_key`, `key_revoked`, `key_not_valid`, `malformed`, `no_data`) may
 * carry any serial, a genuine holder's included; a `revoked` one is revoked.
 */
const REVOCABLE_VERDICTS = new Set(["valid", "not_yet_valid", "expired", "wrong_zone", "purpose_not_allowed", "no_permit_needed"]);

/** The serial a log row offers to revoke, or null (no serial, or one not to be trusted). */
export function revocableSerial(row: Pick<Inspection, "serial" | "verdict">): number | null {
  return row.serial !== null && row.verdict !== null && REVOCABLE_VERDICTS.has(row.verdict) ? row.serial : null;
}
