//! The sync service's answers (`docs/sync-api.md`): devices, receipts,
//! revocations, inspections, counts, the audit trail, a key reload, who a
//! credential is, supervisors.

use serde::{Deserialize, Serialize};
use serde_json::Value;
#[cfg(feature = "ts")]
use ts_rs::TS;

use super::SeqRange;

/// A device, section 2, with its flags' details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS), ts(rename = "DeviceInfo"))]
pub struct Device {
    /// Its id (16 characters).
    pub device_id: String,
    /// The officer's badge it is approved for.
    pub badge: String,
    /// Its precinct.
    pub precinct: String,
    /// `active` or `suspended`.
    pub status: String,
    /// When it was (last) approved, RFC 3339 UTC.
    pub approved_at: String,
    /// Who approved it.
    pub approved_by: String,
    /// Its last accepted upload or import, RFC 3339 UTC.
    pub last_sync: Option<String>,
    /// Records `1..=high_water` are held, chained, without a gap.
    pub high_water: u64,
    /// `gap`, `fork`, `badge`, when flagged.
    pub flags: Vec<String>,
    /// The first missing range, when there is a gap.
    pub gap: Option<SeqRange>,
    /// The first conflicting seq (a fork).
    pub fork_seq: Option<u64>,
    /// The first record under another badge.
    pub badge_seq: Option<u64>,
    /// How many of its records are kept apart (read as 0 from a server
    /// that does not say).
    #[serde(default)]
    pub conflicts: u64,
}

/// `GET /v1/devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct DeviceList {
    /// The devices the credential may see.
    pub devices: Vec<Device>,
}

/// The answer to an upload or an import, section 4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS), ts(rename = "ImportReceipt"))]
pub struct Receipt {
    /// The device's id.
    pub device_id: String,
    /// `active`, `suspended`, or `unknown` for a device not enrolled.
    pub status: String,
    /// Its badge, if enrolled.
    pub badge: Option<String>,
    /// Its precinct, if enrolled.
    pub precinct: Option<String>,
    /// The device may drop its outbox up to this seq…
    pub acknowledged_seq: u64,
    /// …if its own record there has this chain hash (hex).
    pub acknowledged_hash: Option<String>,
    /// Records `1..=high_water` are held.
    pub high_water: u64,
    /// Records stored.
    pub accepted: u64,
    /// Records the server had already.
    pub duplicates: u64,
    /// Records kept apart.
    pub conflicts: u64,
    /// The device's flags.
    pub flags: Vec<String>,
    /// The first missing range, when there is a gap.
    pub gap: Option<SeqRange>,
    /// The first conflicting seq.
    pub fork_seq: Option<u64>,
    /// `upload` or `file`.
    pub channel: String,
    /// The server's time, RFC 3339 UTC.
    pub server_time: String,
}

/// `POST /v1/revocations`: the serials revoked now and the bundle version they are in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Revoked {
    /// Serials revoked by this call (those revoked before are left out).
    pub revoked: Vec<u32>,
    /// The bundle version that carries them.
    pub version: u64,
}

/// One revocation (`GET /v1/revocations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// The permit's serial.
    pub serial: u32,
    /// The bundle version it came in.
    pub version: u64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Who.
    pub by: String,
    /// Why.
    pub reason: String,
    /// The holder's document, when known.
    pub document: Option<String>,
}

/// `GET /v1/revocations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationList {
    /// Since the version asked for.
    pub revocations: Vec<Revocation>,
}

/// A position, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS), ts(rename = "Place"))]
pub struct Position {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// One of a record's extra details: a field of a manual check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Detail {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// An inspection record as JSON (`docs/inspection-log.md`): the API's,
/// `icaze device log`'s and the app's Log screen's shape, times in Baku time.
/// Codes are strings, not enums: records the service lists may come from
/// devices of other versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS), ts(rename = "LogRecord"))]
pub struct Record {
    /// Its place in the device's log, from 1.
    pub seq: u64,
    /// Its id (hex).
    pub id: String,
    /// When, RFC 3339 in Baku time.
    pub at: String,
    /// The officer's badge.
    pub officer: String,
    /// The zone checked.
    pub zone: u16,
    /// Where, if known.
    pub location: Option<Position>,
    /// How the permit was read (`token`, `qr_digits`, …).
    pub input: String,
    /// The permit's serial, if read.
    pub serial: Option<u32>,
    /// The holder's document, if known.
    pub document: Option<String>,
    /// The verdict, when a permit was judged.
    pub verdict: Option<String>,
    /// The display level shown.
    pub display: Option<String>,
    /// The verdict's reason codes, the decisive one first; `null` on manual records.
    pub reasons: Option<Vec<String>>,
    /// The verdict's warning codes.
    pub warnings: Option<Vec<String>>,
    /// What the officer did.
    pub action: Option<String>,
    /// The officer's note.
    pub note: Option<String>,
    /// The fields of a manual check, e.g. `organisation`.
    pub details: Vec<Detail>,
    /// The previous record's chain hash (hex).
    pub prev_hash: String,
    /// This record's chain hash (hex).
    pub hash: String,
}

/// An inspection as `GET /v1/inspections` lists it: the record, with its device and precinct.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Inspection {
    /// The device that made it.
    pub device_id: String,
    /// The device's precinct.
    pub precinct: String,
    /// The record.
    #[serde(flatten)]
    pub record: Record,
}

/// `GET /v1/inspections`: a page, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct InspectionPage {
    /// The inspections.
    pub inspections: Vec<Inspection>,
    /// The `after` of the next page, if there may be one.
    pub next: Option<String>,
}

/// One hour's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS), ts(rename = "HourStat"))]
pub struct HourActivity {
    /// The hour's start, RFC 3339 UTC.
    pub hour: String,
    /// Inspections.
    pub inspections: u64,
    /// Violations recorded.
    pub violations: u64,
    /// Permits judged not valid.
    pub not_valid: u64,
}

/// One officer's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS), ts(rename = "OfficerStat"))]
pub struct OfficerActivity {
    /// The badge.
    pub badge: String,
    /// Inspections.
    pub inspections: u64,
    /// Violations recorded.
    pub violations: u64,
}

/// `GET /v1/stats/hourly`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS), ts(rename = "Hourly"))]
pub struct Activity {
    /// By hour, oldest first.
    pub hours: Vec<HourActivity>,
    /// By officer.
    pub officers: Vec<OfficerActivity>,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its id, the `after` of the next page.
    pub id: i64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Who.
    pub who: String,
    /// What (`device_approved`, …).
    pub what: String,
    /// The action's details, as the store keeps them: an object per kind of
    /// action, or a text for the oldest entries.
    pub details: Value,
}

/// `GET /v1/audit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    /// Oldest first.
    pub audit: Vec<AuditEntry>,
}

/// A permit not re-issued after a key reload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReissueProblem {
    /// Its serial.
    pub serial: u32,
    /// The stable code.
    pub code: String,
    /// Why.
    pub message: String,
}

/// What re-issuing the permits of revoked keys came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reissue {
    /// `{"reissued", "problems"}`.
    Done {
        /// Permits re-issued.
        reissued: u64,
        /// Those that were not.
        problems: Vec<ReissueProblem>,
    },
    /// `{"error", "message"}`: nothing was re-issued.
    Failed {
        /// The stable code.
        error: String,
        /// Why.
        message: String,
    },
}

/// `POST /v1/keys/reload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysReloaded {
    /// The trust list's version now in force.
    pub trust_list_version: u64,
    /// The key ids this reload revoked.
    pub revoked_keys: Vec<u8>,
    /// The re-issue, when keys were revoked and the portal re-issues.
    pub reissued: Option<Reissue>,
}

/// Who a credential is (`GET /v1/whoami`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Whoami {
    /// `admin`, `supervisor` or `service`.
    pub role: String,
    /// The supervisor's or service's name; `admin` for the administrator.
    #[serde(default)]
    pub name: Option<String>,
    /// The supervisor's precinct; `None` for the administrator.
    #[serde(default)]
    pub precinct: Option<String>,
    /// Sees documents and phones in full and searches by them: the
    /// administrator and a supervisor made an investigator.
    #[serde(default)]
    pub investigator: bool,
}

/// `POST /v1/supervisors`: the new supervisor and their token, shown only now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorAdded {
    /// The name.
    pub name: String,
    /// The precinct.
    pub precinct: String,
    /// `supervisor` or `investigator`.
    #[serde(default = "plain_supervisor")]
    pub role: String,
    /// The bearer token.
    pub token: String,
}

fn plain_supervisor() -> String {
    "supervisor".into()
}

/// `DELETE /v1/supervisors/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorRemoved {
    /// The name.
    pub name: String,
    /// Always `true`.
    pub removed: bool,
}
