//! The Supervisor screen's answers: the sync service's JSON
//! (`docs/sync-api.md`) read into these structs as the client receives it and
//! passed on to the UI, whose TypeScript types are generated from them
//! (`ui/src/bindings/`). An answer that does not read as its struct is the
//! service's fault (`supervisor_protocol`), not a screen that shows blanks;
//! fields the app does not know are dropped, so a newer service still works.
//! `src-tauri/tests/supervisor.rs` reads every one from the real service.

use icaze_device::answers::LogRecord;
use icaze_device::supervisor::Whoami;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::error::AppError;

/// `value` read as the answer `T`, or the error the UI shows.
pub fn read<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, AppError> {
    serde_json::from_value(value).map_err(|e| {
        AppError::new("supervisor_protocol", format!("the service's answer to {what} does not read as expected: {e}"))
    })
}

/// Who a credential is (`GET /v1/whoami`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "Whoami")]
pub struct Identity {
    /// `admin`, `supervisor` or `service`.
    pub role: String,
    /// The supervisor's name; `admin` for the administrator.
    pub name: Option<String>,
    /// The supervisor's precinct; `None` for the administrator.
    pub precinct: Option<String>,
    /// Sees documents and phones in full (the administrator, an
    /// investigator); a plain supervisor sees them masked.
    pub investigator: bool,
}

impl From<Whoami> for Identity {
    fn from(w: Whoami) -> Self {
        Self { role: w.role, name: w.name, precinct: w.precinct, investigator: w.investigator }
    }
}

/// One inspection as the service lists it: the device's log record, with
/// the device and its precinct.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Inspection {
    /// The device that made it.
    pub device_id: String,
    /// The device's precinct.
    pub precinct: String,
    /// The record as the device logged it.
    #[serde(flatten)]
    pub record: LogRecord,
}

/// A page of inspections (`GET /v1/inspections`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct InspectionPage {
    /// The inspections, oldest first.
    pub inspections: Vec<Inspection>,
    /// The `after` of the next page, if there is one.
    pub next: Option<String>,
}

/// One hour of `GET /v1/stats/hourly`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HourStat {
    /// The hour's start, RFC 3339 UTC.
    pub hour: String,
    /// Inspections in it.
    pub inspections: u64,
    /// Violations among them.
    pub violations: u64,
    /// Checks shown not valid.
    pub not_valid: u64,
}

/// One officer of `GET /v1/stats/hourly`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OfficerStat {
    /// The badge.
    pub badge: String,
    /// Inspections.
    pub inspections: u64,
    /// Violations among them.
    pub violations: u64,
}

/// Counts per hour and per officer (`GET /v1/stats/hourly`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Hourly {
    /// Per hour.
    pub hours: Vec<HourStat>,
    /// Per officer.
    pub officers: Vec<OfficerStat>,
}

/// The first missing range of a device's log on the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Gap {
    /// Its first sequence number.
    pub from: u64,
    /// Its last.
    pub to: u64,
}

/// A device as the service keeps it (`docs/sync-api.md` section 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeviceInfo {
    /// The device id.
    pub device_id: String,
    /// The officer it is assigned to.
    pub badge: String,
    /// Its precinct.
    pub precinct: String,
    /// `active` or `suspended`.
    pub status: String,
    /// When it was approved, RFC 3339 UTC.
    pub approved_at: String,
    /// Who approved it.
    pub approved_by: String,
    /// Its last sync, RFC 3339 UTC.
    pub last_sync: Option<String>,
    /// The service holds its log 1..=high_water without a gap.
    pub high_water: u64,
    /// `gap`, `fork`, `badge`…
    pub flags: Vec<String>,
    /// The first missing range, if any.
    pub gap: Option<Gap>,
    /// The first conflicting sequence number, if any.
    pub fork_seq: Option<u64>,
    /// The first record under another badge, if any.
    pub badge_seq: Option<u64>,
    /// Records kept apart as a fork.
    #[serde(default)]
    pub conflicts: u64,
}

/// The devices (`GET /v1/devices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeviceList {
    /// The devices.
    pub devices: Vec<DeviceInfo>,
}

/// What a revocation did (`POST /v1/revocations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Revoked {
    /// The serials revoked now.
    pub revoked: Vec<u32>,
    /// The revocation list's version after it.
    pub version: u64,
}

/// The answer to an export file's import (`POST /v1/imports`, `docs/sync-api.md` section 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportReceipt {
    /// The device whose file it was.
    pub device_id: String,
    /// Its standing: `active`, `suspended` or `unknown`.
    pub status: String,
    /// The officer it is assigned to.
    pub badge: Option<String>,
    /// Its precinct.
    pub precinct: Option<String>,
    /// The highest sequence number held.
    pub acknowledged_seq: u64,
    /// That record's chain hash, hex.
    pub acknowledged_hash: Option<String>,
    /// The service holds the log 1..=high_water without a gap.
    pub high_water: u64,
    /// Records stored.
    pub accepted: u64,
    /// Records the service had already.
    pub duplicates: u64,
    /// Records kept apart as a fork.
    pub conflicts: u64,
    /// The device's flags.
    pub flags: Vec<String>,
    /// The first missing range, if any.
    pub gap: Option<Gap>,
    /// The first conflicting sequence number, if any.
    pub fork_seq: Option<u64>,
    /// `file` for an import.
    pub channel: String,
    /// The service's time, RFC 3339 UTC.
    pub server_time: String,
}

/// Permits and refused requests of one SMS code in one hour (the Codes view).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CodeHourStat {
    /// The hour's start, RFC 3339 UTC.
    pub hour: String,
    /// The SMS code.
    pub code: u8,
    /// Permits issued.
    pub permits: u32,
    /// Requests refused.
    pub refused: u32,
}

/// One code's share of the day's requests against its usual share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CodeShareStat {
    /// The SMS code.
    pub code: u8,
    /// Its requests in the period.
    pub requests: u64,
    /// Its share, 0 to 1.
    pub share: f64,
    /// Its share in the baseline days, if they had requests.
    pub usual_share: Option<f64>,
    /// Flagged: past the threshold times its usual share.
    pub alert: bool,
}

/// A phone or document with its permits of the watched code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Requester {
    /// The phone or document (masked for a plain supervisor).
    pub key: String,
    /// Its permits.
    pub permits: u32,
}

/// The abuse report of the SMS codes (`GET /admin/report/codes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CodeReport {
    /// Start of the period, RFC 3339 UTC.
    pub from: String,
    /// End of the period (exclusive).
    pub to: String,
    /// The code whose top phones and documents are listed.
    pub watched_code: u8,
    /// The factor past a code's usual share that flags it.
    pub threshold: f64,
    /// The days whose shares are the usual ones.
    pub baseline_days: u32,
    /// Some code is flagged.
    pub alert: bool,
    /// Per hour and code.
    pub hours: Vec<CodeHourStat>,
    /// Every code's share.
    pub shares: Vec<CodeShareStat>,
    /// The watched code's top phones.
    pub top_phones: Vec<Requester>,
    /// The watched code's top documents.
    pub top_documents: Vec<Requester>,
    /// Documents and phones are masked.
    pub masked: bool,
}
