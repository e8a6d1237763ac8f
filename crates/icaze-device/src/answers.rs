//! The JSON answers of the device's two front ends: what `icaze device …`
//! prints and what the app's commands answer with, one serde struct each,
//! written from the device's plain values ([`DeviceVerdict`], [`DeviceStatus`],
//! [`SyncReport`]); the log record is the API's ([`LogRecord`]).
//!
//! Each also derives [`ts_rs::TS`]: the app's UI reads its TypeScript types
//! from them (`ui/src/bindings/`, checked by `src-tauri/tests/bindings.rs`),
//! so a changed shape fails the build rather than the officer's screen.
//! Times are RFC 3339 in Baku time; integers are JavaScript numbers (the
//! bindings are generated with 64-bit integers as `number`: counts and
//! sequence numbers stay far below 2^53).

use icaze_core::{Reason, VerifiedPermit};
use icaze_protocol::InspectionRecord;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::cards::CardAnswer;
use crate::device::{DeviceStatus, Freshness};
use crate::sync::{BundleOutcome, Enrollment, SyncReport};
use crate::verdict::{DeviceVerdict, Display, VerdictKind};

/// A reason or a warning of a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "Reason")]
pub struct ReasonAnswer {
    /// A stable code, e.g. `revoked`, `data_stale`.
    pub code: String,
    /// What it means, in English.
    pub message: String,
}

impl From<&Reason> for ReasonAnswer {
    fn from(r: &Reason) -> Self {
        Self { code: r.code.to_owned(), message: r.message.clone() }
    }
}

/// A verified permit's claims: the one shape of a permit in every JSON
/// output (the device's verdict, `icaze verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "Permit")]
pub struct PermitAnswer {
    /// The serial.
    pub serial: u32,
    /// The issuer key's id.
    pub key_id: u8,
    /// The holder's document, canonical form.
    pub document: String,
    /// The document's kind, e.g. `passport`.
    pub document_kind: String,
    /// The purpose's name.
    pub purpose: String,
    /// The zones it is valid in.
    pub zones: Vec<u16>,
    /// When it was issued.
    pub issued_at: String,
    /// Its window's start.
    pub valid_from: String,
    /// Its window's end.
    pub valid_until: String,
    /// The vehicle's plate, if any.
    pub vehicle: Option<String>,
}

impl From<&VerifiedPermit> for PermitAnswer {
    fn from(permit: &VerifiedPermit) -> Self {
        let c = permit.claims();
        Self {
            serial: c.serial().0,
            key_id: permit.key_id().0,
            document: c.document().to_string(),
            document_kind: c.document().kind().code().to_owned(),
            purpose: c.purpose().name(),
            zones: c.zones().iter().map(|z| z.get()).collect(),
            issued_at: c.issued_at().baku().to_rfc3339(),
            valid_from: c.valid_from().baku().to_rfc3339(),
            valid_until: c.valid_until().baku().to_rfc3339(),
            vehicle: c.vehicle().map(|v| v.as_str().to_owned()),
        }
    }
}

/// The answer to one check (`icaze device check`, the app's `check_text`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "Verdict")]
pub struct VerdictAnswer {
    /// What was found.
    pub kind: VerdictKind,
    /// What the screen shows.
    pub display: Display,
    /// Why, decisive reason first.
    pub reasons: Vec<ReasonAnswer>,
    /// Notices that do not change the kind.
    pub warnings: Vec<ReasonAnswer>,
    /// The verified permit's document, what the officer compares with the card.
    pub document: Option<String>,
    /// The verified permit.
    pub permit: Option<PermitAnswer>,
    /// Minutes from the permit's issue to the check.
    pub issued_minutes_ago: Option<i64>,
    /// Minutes from the data's server time to the check.
    pub data_age_minutes: Option<i64>,
    /// The bundle version the verdict rests on.
    pub bundle_version: Option<u64>,
    /// The device time of the check.
    pub checked_at: String,
    /// The officer's zone.
    pub zone: u16,
    /// The log's sequence number, once recorded.
    pub seq: Option<u64>,
}

impl From<&DeviceVerdict> for VerdictAnswer {
    fn from(v: &DeviceVerdict) -> Self {
        Self {
            kind: v.kind,
            display: v.display,
            reasons: v.reasons.iter().map(ReasonAnswer::from).collect(),
            warnings: v.warnings.iter().map(ReasonAnswer::from).collect(),
            document: v.permit.as_ref().map(|p| p.claims().document().to_string()),
            permit: v.permit.as_ref().map(PermitAnswer::from),
            issued_minutes_ago: v.issued_minutes_ago,
            data_age_minutes: v.data_age_minutes,
            bundle_version: v.bundle_version,
            checked_at: v.checked_at.baku().to_rfc3339(),
            zone: v.zone.get(),
            seq: v.seq,
        }
    }
}

/// An authorised organisation as the officer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "Organisation")]
pub struct OrganisationAnswer {
    /// Its tax id, ten digits.
    pub tax_id: String,
    /// Its name.
    pub name: String,
    /// Its sector, as the registry names it.
    pub sector: String,
    /// The zones it may work in; empty for every zone.
    pub zones: Vec<u16>,
    /// Until when (exclusive), if the authorisation ends.
    pub until: Option<String>,
}

impl From<&icaze_core::AuthorisedOrganisation> for OrganisationAnswer {
    fn from(o: &icaze_core::AuthorisedOrganisation) -> Self {
        Self {
            tax_id: o.tax_id.to_string(),
            name: o.name.clone(),
            sector: o.sector.clone(),
            zones: o.zones.iter().map(|z| z.get()).collect(),
            until: o.until.map(|u| u.baku().to_rfc3339()),
        }
    }
}

/// The answer to a service card (`icaze device manual service-card`, the
/// app's `check_service_card`): the standing of its organisation and the
/// record that logged the check.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(rename = "ServiceCard")]
pub struct ServiceCardAnswer {
    /// `authorised`, `not_authorised`, `unknown` or `several`.
    pub standing: String,
    /// Why: `zone` or `expired` for `not_authorised`, `no_data` for an `unknown` without a bundle.
    pub reason: Option<String>,
    /// The organisation judged.
    pub organisation: Option<OrganisationAnswer>,
    /// For `several`: the organisations whose names match, to pick from.
    pub matches: Vec<OrganisationAnswer>,
    /// The inspection record of the check.
    pub record: LogRecord,
}

impl ServiceCardAnswer {
    /// The answer of `answer`, logged as `record`.
    pub fn new(answer: &CardAnswer, record: &InspectionRecord) -> Self {
        Self {
            standing: answer.standing.code().to_owned(),
            reason: answer.reason.map(|r| r.code().to_owned()),
            organisation: answer.organisation.as_ref().map(OrganisationAnswer::from),
            matches: answer.matches.iter().map(OrganisationAnswer::from).collect(),
            record: record.to_api(),
        }
    }
}

/// Where the log's chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ChainProblem {
    /// The first bad record's sequence number.
    pub seq: u64,
    /// What is wrong, in English.
    pub problem: String,
}

/// The device's standing (`icaze device status`, the app's header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "DeviceStatus")]
pub struct StatusAnswer {
    /// The device id.
    pub device_id: String,
    /// The applied bundle version.
    pub bundle_version: Option<u64>,
    /// The trust list version in it.
    pub trust_list_version: Option<u64>,
    /// The data's server time.
    pub data_time: Option<String>,
    /// Minutes from the data's server time to now.
    pub data_age_minutes: Option<i64>,
    /// How old the data is against its policy.
    pub freshness: Freshness,
    /// The device time of the last good sync.
    pub last_sync: Option<String>,
    /// Revoked serials held.
    pub revocations: usize,
    /// Records in the log.
    pub log_records: u64,
    /// Records waiting for upload.
    pub outbox: u64,
    /// Whether every record of the log verifies.
    pub chain_ok: bool,
    /// Where the chain breaks, if it does.
    pub chain_problem: Option<ChainProblem>,
    /// Why the clock is suspected, if it is.
    pub clock_suspect: Option<String>,
}

impl From<&DeviceStatus> for StatusAnswer {
    fn from(s: &DeviceStatus) -> Self {
        Self {
            device_id: s.device_id.to_string(),
            bundle_version: s.bundle_version,
            trust_list_version: s.trust_list_version,
            data_time: s.data_time.map(|t| t.baku().to_rfc3339()),
            data_age_minutes: s.data_age_minutes,
            freshness: s.freshness,
            last_sync: s.last_sync.map(|t| t.baku().to_rfc3339()),
            revocations: s.revocations,
            log_records: s.log_records,
            outbox: s.outbox,
            chain_ok: s.chain.is_ok(),
            chain_problem: s.chain.broken.as_ref().map(|b| ChainProblem { seq: b.seq, problem: b.problem.clone() }),
            clock_suspect: s.clock_suspect.clone(),
        }
    }
}

/// What a sync did with the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "result", rename_all = "snake_case")]
#[ts(rename = "SyncBundle")]
pub enum BundleAnswer {
    /// A newer bundle was applied.
    Applied {
        /// The new version.
        version: u64,
        /// Whether it was a delta.
        delta: bool,
        /// Revoked serials held now.
        revocations: usize,
        /// Whether the clock is suspected after it.
        clock_suspicious: bool,
        /// The bundle's length.
        bytes: u64,
        /// Where a broken download was resumed, if it was.
        resumed_from: Option<u64>,
    },
    /// The server had nothing newer.
    UpToDate {
        /// The device's version.
        version: u64,
    },
}

/// What a sync did (`icaze device sync`, the app's `sync_now`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "SyncReport")]
pub struct SyncAnswer {
    /// The device.
    pub device_id: String,
    /// Its standing on the server.
    pub status: Enrollment,
    /// The officer it is assigned to.
    pub badge: Option<String>,
    /// Its precinct.
    pub precinct: Option<String>,
    /// Upload requests made.
    pub requests: u32,
    /// Records sent.
    pub sent: u64,
    /// Records the server stored.
    pub accepted: u64,
    /// Records the server had already.
    pub duplicates: u64,
    /// Records kept apart as a fork.
    pub conflicts: u64,
    /// Records that left the outbox.
    pub acknowledged: u64,
    /// The highest sequence number acknowledged.
    pub acknowledged_seq: u64,
    /// The server holds the log 1..=high_water without a gap.
    pub high_water: u64,
    /// Records still waiting.
    pub outbox_left: u64,
    /// Acknowledged records removed from the phone after the upload.
    pub pruned: u64,
    /// The device's flags on the server.
    pub flags: Vec<String>,
    /// The server holds this device's log otherwise than the phone does.
    pub diverged: bool,
    /// The server's time in its last answer.
    pub server_time: Option<String>,
    /// What became of the bundle.
    pub bundle: BundleAnswer,
    /// Requests tried again.
    pub retries: u32,
}

impl From<&SyncReport> for SyncAnswer {
    fn from(r: &SyncReport) -> Self {
        let bundle = match &r.bundle {
            BundleOutcome::Applied { applied, bytes, resumed_from } => BundleAnswer::Applied {
                version: applied.version,
                delta: applied.delta,
                revocations: applied.revocations,
                clock_suspicious: applied.clock_suspicious,
                bytes: *bytes,
                resumed_from: *resumed_from,
            },
            BundleOutcome::UpToDate { version } => BundleAnswer::UpToDate { version: *version },
        };
        Self {
            device_id: r.device_id.to_string(),
            status: r.enrollment,
            badge: r.badge.clone(),
            precinct: r.precinct.clone(),
            requests: r.requests,
            sent: r.sent,
            accepted: r.accepted,
            duplicates: r.duplicates,
            conflicts: r.conflicts,
            acknowledged: r.acknowledged,
            acknowledged_seq: r.acknowledged_seq,
            high_water: r.high_water,
            outbox_left: r.outbox_left,
            pruned: r.pruned,
            flags: r.flags.clone(),
            diverged: r.diverged,
            server_time: r.server_time.clone(),
            bundle,
            retries: r.retries,
        }
    }
}

/// One inspection record (`icaze device log`, the app's Log screen, a service
/// card's answer): the device's own, written by [`InspectionRecord::to_api`],
/// or one the service lists to a supervisor. It is the API's record, defined
/// once in `icaze-protocol` (with its TypeScript, named `LogRecord` there too).
pub use icaze_protocol::api::sync::Record as LogRecord;
