// The Supervisor screen's commands (src-tauri/src/supervisor.rs), typed. The
// answers are the sync service's JSON (docs/sync-api.md) as the app reads it,
// their types generated from the app's Rust structs (src/bindings/); failures
// are AppErrors whose codes start with `supervisor_`. The filters are what the
// UI sends, written here by hand after icaze-client's.
import { call } from "./api";
import type { Inspection } from "./bindings/Inspection";

export type { CodeReport } from "./bindings/CodeReport";
export type { DeviceInfo } from "./bindings/DeviceInfo";
export type { Hourly } from "./bindings/Hourly";
export type { ImportReceipt } from "./bindings/ImportReceipt";
export type { Inspection } from "./bindings/Inspection";
export type { InspectionPage } from "./bindings/InspectionPage";
export type { Revoked } from "./bindings/Revoked";
export type { SignedIn } from "./bindings/SignedIn";
export type { Whoami } from "./bindings/Whoami";

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

/** `GET /admin/report/codes` for a Baku day (`YYYY-MM-DD`; the last 24 hours when null). */
export interface CodesFilter {
  day?: string | null;
  code?: number | null;
  baseline_days?: number | null;
}

export const supervisorApi = {
  login: (server: string, token: string) => call("supervisor_login", { server, token }),
  logout: () => call("supervisor_logout"),
  inspections: (filter: InspectionFilter) => call("supervisor_inspections", { filter }),
  inspectionsCsv: (filter: InspectionFilter) => call("supervisor_inspections_csv", { filter }),
  hourly: (filter: HourlyFilter) => call("supervisor_hourly", { filter }),
  codes: (filter: CodesFilter) => call("supervisor_codes", { filter }),
  codesCsv: (filter: CodesFilter) => call("supervisor_codes_csv", { filter }),
  devices: (hours: number | null) => call("supervisor_devices", { hours }),
  approve: (code: string, badge: string, precinct: string) =>
    call("supervisor_approve", { code, badge, precinct }),
  suspend: (device: string, reason: string) => call("supervisor_suspend", { device, reason }),
  resume: (device: string, reason: string) => call("supervisor_resume", { device, reason }),
  revoke: (target: { serial: number } | { document: string }, reason: string) =>
    call("supervisor_revoke", {
      serial: "serial" in target ? target.serial : null,
      document: "document" in target ? target.document : null,
      reason,
    }),
  importFile: (bytes: Uint8Array) => call("supervisor_import", bytes),
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
