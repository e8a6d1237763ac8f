//! The server's answers as the device reads them, the sync's report, and its errors.

use icaze_core::MAX_BUNDLE_LEN;
use icaze_protocol::DeviceId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::answers::SyncAnswer;

use crate::device::{BundleApplied, Device};
use crate::error::DeviceError;

/// The device's standing on the server, serialised as its [`Enrollment::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "EnrollmentState")]
pub enum Enrollment {
    /// Approved and active: its uploads are stored.
    Active,
    /// Suspended by a supervisor: its uploads are refused, its records kept.
    Suspended,
    /// Not approved yet: show the enrollment code to a supervisor.
    Unknown,
}

impl Enrollment {
    /// `active`, `suspended` or `unknown`, as the API says.
    pub fn code(self) -> &'static str {
        match self {
            Enrollment::Active => "active",
            Enrollment::Suspended => "suspended",
            Enrollment::Unknown => "unknown",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "active" => Some(Enrollment::Active),
            "suspended" => Some(Enrollment::Suspended),
            "unknown" => Some(Enrollment::Unknown),
            _ => None,
        }
    }
}

/// The server's answer to an upload or a status request (`docs/sync-api.md`
/// section 4). Fields the server may leave out default to empty.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UploadAnswer {
    /// The device, as the server computed it from the batch's key.
    #[serde(default)]
    pub device_id: String,
    /// `active`, `suspended` or `unknown`.
    pub status: String,
    /// The officer the device is assigned to.
    #[serde(default)]
    pub badge: Option<String>,
    /// The device's precinct.
    #[serde(default)]
    pub precinct: Option<String>,
    /// The device may drop its outbox up to this sequence number, if its own
    /// record there has [`UploadAnswer::acknowledged_hash`].
    #[serde(default)]
    pub acknowledged_seq: u64,
    /// The chain hash (hex) of the record at `acknowledged_seq` as the server
    /// keeps it.
    #[serde(default)]
    pub acknowledged_hash: Option<String>,
    /// The server holds records 1..=high_water chained without a gap.
    #[serde(default)]
    pub high_water: u64,
    /// Records stored.
    #[serde(default)]
    pub accepted: u64,
    /// Records the server had already.
    #[serde(default)]
    pub duplicates: u64,
    /// Records kept apart (a fork).
    #[serde(default)]
    pub conflicts: u64,
    /// The device's flags (`gap`, `fork`), as the server gives them.
    #[serde(default)]
    pub flags: Vec<Value>,
    /// The server's time, RFC 3339.
    #[serde(default)]
    pub server_time: Option<String>,
}

impl UploadAnswer {
    /// Reads an answer body.
    pub fn from_json(body: &[u8]) -> Result<Self, SyncError> {
        serde_json::from_slice(body)
            .map_err(|e| SyncError::Protocol(format!("the upload answer does not read as the API's JSON: {e}")))
    }

    /// The status it gives.
    pub fn enrollment(&self) -> Result<Enrollment, SyncError> {
        Enrollment::from_code(&self.status)
            .ok_or_else(|| SyncError::Protocol(format!("the server gave the unknown device status {:?}", self.status)))
    }

    /// Acknowledges, on `device`, what this answer says the server holds:
    /// every outbox record up to `acknowledged_seq` when the phone's own
    /// record there has the hash the server keeps (the chain hash covers every
    /// record before it), and nothing when the device is not active. Returns
    /// how many records left the outbox.
    ///
    /// A copy of a phone, or one restored from a backup, has records that the
    /// server holds other records under: their hashes differ, so they stay in
    /// the outbox and go up, and the server keeps them apart as a fork.
    pub fn acknowledge(&self, device: &mut Device) -> Result<u64, SyncError> {
        match self.check_ours(device)? {
            Acknowledged::Ours => Ok(device.ack(self.acknowledged_seq)?),
            Acknowledged::Nothing | Acknowledged::NotOurs => Ok(0),
        }
    }

    /// Whether the record the server acknowledged is the phone's own.
    pub(super) fn check_ours(&self, device: &Device) -> Result<Acknowledged, SyncError> {
        if self.enrollment()? != Enrollment::Active || self.acknowledged_seq == 0 {
            return Ok(Acknowledged::Nothing);
        }
        let ours = device.record_hash(self.acknowledged_seq)?;
        Ok(match (ours, self.acknowledged_hash.as_deref()) {
            (Some(ours), Some(theirs)) if ours.to_hex() == theirs => Acknowledged::Ours,
            // Already gone from the phone: acknowledged before, and pruned.
            (None, _) if self.acknowledged_seq <= device.pruned_up_to()? => Acknowledged::Nothing,
            _ => Acknowledged::NotOurs,
        })
    }

    pub(super) fn flag_names(&self) -> Vec<String> {
        self.flags
            .iter()
            .map(|f| match f {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    }
}

/// What an answer's acknowledgement is to the phone.
pub(super) enum Acknowledged {
    /// Nothing to drop (not active, or nothing acknowledged).
    Nothing,
    /// The phone's own record: what is up to it may leave the outbox.
    Ours,
    /// The server keeps another record there (or one the phone never wrote):
    /// the phone's log went another way, and nothing leaves the outbox.
    NotOurs,
}

/// What became of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleOutcome {
    /// A newer bundle was applied.
    Applied {
        /// What was applied.
        applied: BundleApplied,
        /// The bundle's length.
        bytes: u64,
        /// Where a broken download was resumed, if it was.
        resumed_from: Option<u64>,
    },
    /// The server had nothing newer than the device's version.
    UpToDate {
        /// The device's version.
        version: u64,
    },
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The device.
    pub device_id: DeviceId,
    /// Its standing on the server.
    pub enrollment: Enrollment,
    /// The officer it is assigned to, if the server said.
    pub badge: Option<String>,
    /// Its precinct, if the server said.
    pub precinct: Option<String>,
    /// Upload requests made, the status request included.
    pub requests: u32,
    /// Records sent.
    pub sent: u64,
    /// Records the server stored.
    pub accepted: u64,
    /// Records the server had already.
    pub duplicates: u64,
    /// Records the server kept apart as a fork.
    pub conflicts: u64,
    /// Records that left the outbox.
    pub acknowledged: u64,
    /// The highest sequence number the server acknowledged.
    pub acknowledged_seq: u64,
    /// The server holds the log 1..=high_water without a gap.
    pub high_water: u64,
    /// Records still waiting (all of them when the device is not active).
    pub outbox_left: u64,
    /// Acknowledged records past their time on the phone, removed after the upload.
    pub pruned: u64,
    /// The device's flags on the server (`gap`, `fork`).
    pub flags: Vec<String>,
    /// The server holds this device's log otherwise than the phone does (the
    /// phone is a copy, or was restored from a backup): its records were sent
    /// all the same, and the server keeps those that differ apart for a
    /// supervisor.
    pub diverged: bool,
    /// The server's time in its last answer.
    pub server_time: Option<String>,
    /// What became of the bundle.
    pub bundle: BundleOutcome,
    /// Requests tried again after a transient failure.
    pub retries: u32,
}

impl SyncReport {
    /// The JSON line `icaze device sync` prints, and the app's answer.
    pub fn answer(&self) -> SyncAnswer {
        SyncAnswer::from(self)
    }
}

/// A sync that failed. Records stay in the outbox unless acknowledged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The server address does not parse.
    #[error("the server address {url:?} is not usable ({reason}): give it as http://HOST:PORT or https://HOST")]
    BadUrl {
        /// The address given.
        url: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// No answer after every try.
    #[error(
        "cannot reach the sync server at {url} after {attempts} tries ({detail}): check the network and sync again"
    )]
    Unreachable {
        /// The address.
        url: String,
        /// Tries made.
        attempts: u32,
        /// The last failure.
        detail: String,
    },
    /// The server did not show the pinned certificate (or one of the pinned
    /// CA's): nothing was sent.
    #[error(
        "the server at {url} did not show the certificate this device pins ({detail}): nothing was sent. A hostile \
         network, or the server's certificate changed: ask the supervisor for the server's certificate"
    )]
    Untrusted {
        /// The address.
        url: String,
        /// What the TLS handshake said.
        detail: String,
    },
    /// The server failed (5xx) on every try.
    #[error("the sync server failed with status {status} after {attempts} tries ({message}): sync again later")]
    Server {
        /// The last status.
        status: u16,
        /// Tries made.
        attempts: u32,
        /// What it said.
        message: String,
    },
    /// The server refused a request (4xx).
    #[error("the server refused {what} with status {status} ({code}): {message}")]
    Refused {
        /// The request.
        what: &'static str,
        /// The HTTP status.
        status: u16,
        /// The server's error code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The device holds a bundle newer than the server's (`409 future_version`).
    #[error(
        "the device holds bundle version {version}, newer than the server's ({message}): the server lost its state or \
         is another service; check the server address"
    )]
    FutureVersion {
        /// The device's version.
        version: u64,
        /// The server's message.
        message: String,
    },
    /// An answer that does not follow the API.
    #[error("the server's answer does not follow the sync API: {0}")]
    Protocol(String),
    /// The server acknowledged nothing of a batch it accepted.
    #[error(
        "the server accepted records {first}..={last} but acknowledged only up to {acknowledged}: stopping rather than \
         sending them again in a loop; report this to the administrator"
    )]
    NoProgress {
        /// The batch's first sequence number.
        first: u64,
        /// Its last.
        last: u64,
        /// The answer's `acknowledged_seq`.
        acknowledged: u64,
    },
    /// The bundle is larger than any valid bundle.
    #[error("the server sent a bundle of more than {MAX_BUNDLE_LEN} bytes: refused")]
    BundleTooLarge,
    /// The bundle does not verify, or would roll the device's data back.
    #[error("the bundle from the server is refused: {0}")]
    BundleRefused(#[source] DeviceError),
    /// The device's store or a file in its directory failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl SyncError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::BadUrl { .. } => "bad_url",
            SyncError::Client(_) => "client",
            SyncError::Unreachable { .. } => "unreachable",
            SyncError::Untrusted { .. } => "untrusted_server",
            SyncError::Server { .. } => "server_error",
            SyncError::Refused { .. } => "refused",
            SyncError::FutureVersion { .. } => "future_version",
            SyncError::Protocol(_) => "protocol",
            SyncError::NoProgress { .. } => "no_progress",
            SyncError::BundleTooLarge => "bundle_too_large",
            SyncError::BundleRefused(_) => "bundle_refused",
            SyncError::Device(_) => "device",
        }
    }

    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Unreachable { .. } | SyncError::Server { .. })
    }
}
