//! The UI's TypeScript types, generated from the answers' Rust types with
//! ts-rs: one file per type in `ui/src/bindings/`, and `CommandAnswers.ts`,
//! which names each command's answer. `ui/src/api.ts` and
//! `ui/src/supervisor-api.ts` type every `invoke` with them, so a changed
//! answer fails the UI's `tsc`, not the officer's screen.
//!
//! The files are checked in; `tests/bindings.rs` generates them again into a
//! temporary directory and fails when they differ from the checked-in ones.
//! After changing an answer, write them again with
//! `ICAZE_BLESS=1 cargo test -p icaze-app --test bindings`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use icaze_device::answers::{LogRecord, ServiceCardAnswer, SyncAnswer, VerdictAnswer};
use icaze_device::BundleApplied;
use icaze_protocol::api::report::CodeReport;
use icaze_protocol::api::sync::{Activity, Device, DeviceList, InspectionPage, Receipt, Revoked};
use ts_rs::{Config, ExportError, TS};

use crate::core::{AppStatus, Enrollment, Exported, ManualRequest, ServiceCardRequest, TodayLog, ZoneName};
use crate::error::AppError;
use crate::settings::Settings;
use crate::supervisor::SignedIn;

/// The file that names each command's answer.
pub const COMMANDS_FILE: &str = "CommandAnswers.ts";

/// How the types are written: 64-bit integers as `number` (counts and
/// sequence numbers stay far below 2^53, and the JSON carries plain numbers).
fn config(dir: &Path) -> Config {
    Config::new().with_large_int("number").with_out_dir(dir)
}

/// One command and its answer's type.
struct Answer {
    command: &'static str,
    /// The answer's TypeScript type, e.g. `Array<Zone>`.
    ts: String,
    /// The generated type it names, to import: its name and file.
    imports: Vec<(String, String)>,
    export: fn(&Config) -> Result<(), ExportError>,
}

fn answer<T: TS + 'static + ?Sized>(command: &'static str, cfg: &Config) -> Answer {
    // A primitive (`string`, `null`) imports nothing.
    let imports = T::output_path().map(|path| (T::ident(cfg), path.to_string_lossy().into_owned()));
    Answer { command, ts: T::name(cfg), imports: imports.into_iter().collect(), export: export_all::<T> }
}

/// A command that answers with a list of `T`.
fn list<T: TS + 'static>(command: &'static str, cfg: &Config) -> Answer {
    Answer { ts: Vec::<T>::name(cfg), ..answer::<T>(command, cfg) }
}

/// Writes `T` and the types it uses; nothing for a primitive.
fn export_all<T: TS + 'static + ?Sized>(cfg: &Config) -> Result<(), ExportError> {
    match T::output_path() {
        Some(_) => T::export_all(cfg),
        None => Ok(()),
    }
}

/// Every command's answer, in the order of `command_names::ALL` (a test holds them equal).
fn answers(cfg: &Config) -> Vec<Answer> {
    vec![
        answer::<AppStatus>("status", cfg),
        answer::<AppStatus>("init_device", cfg),
        answer::<VerdictAnswer>("check_text", cfg),
        answer::<VerdictAnswer>("check_image", cfg),
        answer::<LogRecord>("record_manual", cfg),
        answer::<ServiceCardAnswer>("check_service_card", cfg),
        answer::<TodayLog>("today_log", cfg),
        answer::<BundleApplied>("import_bundle", cfg),
        answer::<Enrollment>("enrollment", cfg),
        list::<ZoneName>("zones", cfg),
        answer::<Settings>("get_settings", cfg),
        answer::<Settings>("save_settings", cfg),
        answer::<SyncAnswer>("sync_now", cfg),
        answer::<Exported>("export_outbox", cfg),
        answer::<SignedIn>("supervisor_login", cfg),
        answer::<()>("supervisor_logout", cfg),
        answer::<InspectionPage>("supervisor_inspections", cfg),
        answer::<String>("supervisor_inspections_csv", cfg),
        answer::<Activity>("supervisor_hourly", cfg),
        answer::<CodeReport>("supervisor_codes", cfg),
        answer::<String>("supervisor_codes_csv", cfg),
        answer::<DeviceList>("supervisor_devices", cfg),
        answer::<Device>("supervisor_approve", cfg),
        answer::<Device>("supervisor_suspend", cfg),
        answer::<Device>("supervisor_resume", cfg),
        answer::<Revoked>("supervisor_revoke", cfg),
        answer::<Receipt>("supervisor_import", cfg),
    ]
}

/// The commands whose answers are listed, in order.
pub fn commands() -> Vec<&'static str> {
    answers(&config(Path::new("."))).iter().map(|a| a.command).collect()
}

/// Writes every binding into `dir` (an empty directory: ts-rs merges into
/// files that are already there): each answer's type and the types it uses,
/// what the UI sends that the app defines ([`ManualRequest`], [`ServiceCardRequest`]), the error
/// ([`AppError`]), and [`COMMANDS_FILE`].
pub fn export(dir: &Path) -> Result<(), ExportError> {
    let cfg = config(dir);
    let answers = answers(&cfg);
    for a in &answers {
        (a.export)(&cfg)?;
    }
    ManualRequest::export_all(&cfg)?;
    ServiceCardRequest::export_all(&cfg)?;
    AppError::export_all(&cfg)?;
    std::fs::write(dir.join(COMMANDS_FILE), commands_file(&answers))?;
    Ok(())
}

fn commands_file(answers: &[Answer]) -> String {
    let imports: BTreeSet<&(String, String)> = answers.iter().flat_map(|a| &a.imports).collect();
    let mut out = String::from("// Generated from src-tauri/src/bindings.rs. Do not edit this file manually.\n");
    for (name, path) in imports {
        let module = path.trim_end_matches(".ts");
        let _ = writeln!(out, "import type {{ {name} }} from \"./{module}\";");
    }
    out.push_str("\n/** What each of the app's commands answers with (its failures are an `AppError`). */\n");
    out.push_str("export interface CommandAnswers {\n");
    for a in answers {
        let _ = writeln!(out, "  {}: {};", a.command, a.ts);
    }
    out.push_str("}\n");
    out
}
