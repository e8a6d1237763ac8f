//! What the sync service answers: devices, receipts, pages of inspections,
//! counts, a key reload. Plain values; the HTTP edge writes them as JSON.

use icaze_core::UtcMinute;
use icaze_protocol::{InspectionRecord, RecordHash};

use crate::store::{DeviceRow, HourCount, OfficerCount};

/// Through which door records came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `POST /v1/upload` by the device itself.
    Upload,
    /// `POST /v1/imports`: an export file brought to the precinct.
    File,
}

impl Channel {
    /// `upload` or `file`.
    pub fn code(self) -> &'static str {
        match self {
            Channel::Upload => "upload",
            Channel::File => "file",
        }
    }
}

/// A device as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceView {
    /// The stored row.
    pub row: DeviceRow,
    /// The first missing range `(from, to)` when there is a gap.
    pub gap: Option<(u64, u64)>,
    /// The number of its records kept apart (conflicting with its log).
    pub conflicts: u64,
}

impl DeviceView {
    /// `active` or `suspended`.
    pub fn status(&self) -> &'static str {
        if self.row.suspended {
            "suspended"
        } else {
            "active"
        }
    }

    /// `gap`, `fork` and `badge`, when flagged.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.gap.is_some() {
            flags.push("gap");
        }
        if self.row.fork_seq.is_some() {
            flags.push("fork");
        }
        if self.row.badge_seq.is_some() {
            flags.push("badge");
        }
        flags
    }
}

/// What an approval did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// A new device.
    Created,
    /// Already approved with that badge and precinct: nothing changed.
    Unchanged,
    /// Moved to another badge or precinct.
    Reassigned,
}

/// The answer to an upload or an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The device, `None` for a status request of a device not enrolled.
    pub device: Option<DeviceView>,
    /// The device id.
    pub device_id: String,
    /// The device may drop its outbox up to this seq, if its own record there
    /// has [`Receipt::acknowledged_hash`].
    pub acknowledged_seq: u64,
    /// The chain hash of the record at `acknowledged_seq` as the server keeps
    /// it (`None` when it keeps none): a device whose record there differs (a
    /// copy or a restored backup of a phone) keeps its outbox and uploads it.
    pub acknowledged_hash: Option<RecordHash>,
    /// Records stored in the log.
    pub accepted: u64,
    /// Records the server had already.
    pub duplicates: u64,
    /// Records kept apart.
    pub conflicts: u64,
    /// How they came.
    pub channel: Channel,
    /// The server's time.
    pub server_time: UtcMinute,
}

/// What to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeTarget {
    /// One serial.
    Serial(u32),
    /// A list of serials (e.g. the permits a health authority names), at most
    /// [`MAX_REVOKE_SERIALS`] in one call, revoked as one new version.
    Serials(Vec<u32>),
    /// Every permit of a document still valid now.
    Document(String),
}

/// The most serials one revocation call takes.
pub const MAX_REVOKE_SERIALS: usize = 10_000_000;

/// A page of inspections.
#[derive(Debug, Clone)]
pub struct InspectionPage {
    /// The records with their device and precinct, newest first.
    pub records: Vec<(String, String, InspectionRecord)>,
    /// The cursor of the next page, if there may be one.
    pub next: Option<String>,
}

/// The filters of `GET /v1/inspections` as given.
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    /// `precinct`.
    pub precinct: Option<String>,
    /// `officer`.
    pub officer: Option<String>,
    /// `zone`.
    pub zone: Option<u16>,
    /// `device`.
    pub device: Option<String>,
    /// `from`.
    pub from: Option<UtcMinute>,
    /// `to`.
    pub to: Option<UtcMinute>,
    /// `violations=true`.
    pub violations: bool,
    /// `limit`.
    pub limit: Option<u32>,
    /// `after`: the `next` of the page before.
    pub after: Option<String>,
}

/// Inspections per hour and per officer over a period ([`crate::SyncService::hourly`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// By hour, oldest first.
    pub hours: Vec<HourCount>,
    /// By officer.
    pub officers: Vec<OfficerCount>,
}

/// What a key reload did ([`crate::SyncService::reload_keys`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysReloaded {
    /// The trust list's version now in force.
    pub trust_list_version: u64,
    /// The keys this reload revoked.
    pub revoked_keys: Vec<u8>,
    /// What the hook of [`crate::SyncService::on_keys_reloaded`] did, when
    /// one is set and keys were revoked.
    pub reissued: Option<Reissue>,
}

/// What re-issuing the long-lived permits of revoked keys came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reissue {
    /// This many were re-issued; these were not.
    Done {
        /// Permits re-issued.
        reissued: usize,
        /// The permits not re-issued, and why.
        problems: Vec<ReissueProblem>,
    },
    /// The re-issue failed as a whole (nothing was re-issued).
    Failed {
        /// The stable error code.
        code: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// A permit that was not re-issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReissueProblem {
    /// Its serial.
    pub serial: u32,
    /// The stable error code.
    pub code: &'static str,
    /// Why.
    pub message: String,
}
