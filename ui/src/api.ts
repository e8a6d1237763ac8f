// The app's commands (src-tauri/src/commands.rs), typed. The answers' types
// are generated from the Rust answers (src/bindings/, src-tauri/src/bindings.rs):
// each command's answer is `CommandAnswers[command]`, so a changed answer
// fails `tsc`. Every failure is an `AppError` with a stable code that the
// catalogues translate.
import { invoke } from "@tauri-apps/api/core";
import type { AppError } from "./bindings/AppError";
import type { CommandAnswers } from "./bindings/CommandAnswers";
import type { ManualRequest } from "./bindings/ManualRequest";
import type { ServiceCardRequest } from "./bindings/ServiceCardRequest";
import type { Settings } from "./bindings/Settings";

export type { AppError } from "./bindings/AppError";
export type { AppStatus } from "./bindings/AppStatus";
export type { BundleApplied } from "./bindings/BundleApplied";
export type { DeviceStatus } from "./bindings/DeviceStatus";
export type { Enrollment } from "./bindings/Enrollment";
export type { EnrollmentState } from "./bindings/EnrollmentState";
export type { EnrollmentStatus } from "./bindings/EnrollmentStatus";
export type { Exported } from "./bindings/Exported";
export type { Freshness } from "./bindings/Freshness";
export type { Language } from "./bindings/Language";
export type { LogRecord } from "./bindings/LogRecord";
export type { ManualRequest } from "./bindings/ManualRequest";
export type { Organisation } from "./bindings/Organisation";
export type { Permit } from "./bindings/Permit";
export type { Reason } from "./bindings/Reason";
export type { ServiceCard } from "./bindings/ServiceCard";
export type { ServiceCardRequest } from "./bindings/ServiceCardRequest";
export type { Settings } from "./bindings/Settings";
export type { SyncReport } from "./bindings/SyncReport";
export type { Theme } from "./bindings/Theme";
export type { TodayLog } from "./bindings/TodayLog";
export type { Verdict } from "./bindings/Verdict";
export type { Zone } from "./bindings/Zone";

/** Turns whatever a rejected invoke gives into an AppError. */
export function asAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const { code, message } = e as { code: unknown; message: unknown };
    return { code: String(code), message: String(message) };
  }
  return { code: "ipc", message: String(e) };
}

/** Invokes `cmd`; its answer has the type the Rust command answers with. */
export async function call<C extends keyof CommandAnswers>(
  cmd: C,
  args?: Record<string, unknown> | Uint8Array,
  headers?: Record<string, string>,
): Promise<CommandAnswers[C]> {
  try {
    return await invoke<CommandAnswers[C]>(cmd, args, headers ? { headers } : undefined);
  } catch (e) {
    throw asAppError(e);
  }
}

export const api = {
  status: () => call("status"),
  initDevice: (rootPublic: string, officer: string | null) =>
    call("init_device", { rootPublic, officer }),
  checkText: (text: string, zone: number) => call("check_text", { text, zone }),
  checkImage: (bytes: Uint8Array, zone: number) => call("check_image", bytes, { "icaze-zone": String(zone) }),
  recordManual: (request: ManualRequest) => call("record_manual", { request }),
  checkServiceCard: (request: ServiceCardRequest) => call("check_service_card", { request }),
  todayLog: () => call("today_log"),
  importBundle: (bytes: Uint8Array) => call("import_bundle", bytes),
  enrollment: () => call("enrollment"),
  /** The zones of the regime in force (else of every regime in the bundle); empty without a bundle. */
  zones: () => call("zones"),
  getSettings: () => call("get_settings"),
  saveSettings: (settings: Settings) => call("save_settings", { settings }),
  syncNow: () => call("sync_now"),
  exportOutbox: () => call("export_outbox"),
};
