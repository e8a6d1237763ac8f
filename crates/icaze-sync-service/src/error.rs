//! Why a request of the sync service was refused.

use icaze_authority::AuthorityError;
use icaze_protocol::{BatchError, EnrollmentCodeError};

use crate::store::StoreError;

/// Why a request of the sync API was refused. [`SyncError::code`] is the
/// stable code the API answers with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// No credential, or one nobody holds.
    #[error("this needs `Authorization: Bearer <token>` of an administrator or a precinct supervisor")]
    Unauthenticated,
    /// A credential that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The batch's key is not an enrolled device.
    #[error("this device is not enrolled: show its enrollment code to your precinct's supervisor to approve it")]
    DeviceUnknown,
    /// The device is suspended.
    #[error("this device is suspended: its records stay on it until a supervisor resumes it")]
    DeviceSuspended,
    /// No device with that id.
    #[error("there is no device {0}: check the device id")]
    DeviceNotFound(String),
    /// No supervisor of that name.
    #[error("there is no supervisor named {0}: check the name")]
    SupervisorNotFound(String),
    /// The name is taken.
    #[error("a supervisor named {0} exists already: choose another name, or remove that one first")]
    SupervisorExists(String),
    /// The enrollment code does not read.
    #[error("{0}")]
    EnrollmentCode(#[from] EnrollmentCodeError),
    /// The upload batch or export file does not read or verify.
    #[error("the upload batch is refused: {0}")]
    Batch(BatchError),
    /// A feed's batch without its agency's credential, or with one nobody holds.
    #[error("this needs `Authorization: Bearer <token>` of the agency's feed credential (`icaze admin feed add`)")]
    FeedUnauthenticated,
    /// A feed's batch under its agency's credential after the credential's
    /// expiry.
    #[error("the feed credential of {agency} expired at {} (Baku time): ask the administrator for a new one (`icaze admin feed add`)", .expired_at.baku())]
    FeedExpired {
        /// The agency.
        agency: String,
        /// When it expired.
        expired_at: icaze_core::UtcMinute,
    },
    /// No feed credential of that agency.
    #[error("there is no feed of the agency {0}: check the name (`icaze admin feed list`)")]
    FeedNotFound(String),
    /// The agency has a feed credential.
    #[error("the agency {0} has a feed credential already: remove it first to make another")]
    FeedExists(String),
    /// Rows of a feed's batch do not read: nothing of it was applied.
    #[error("{} rows of the batch do not read (the first on line {}): nothing was applied; correct them and send the batch again", .0.len(), .0.first().map_or(0, |p| p.line))]
    BadRows(Vec<icaze_permits::store::RowProblem>),
    /// The agency sent this batch id before with other contents.
    #[error("the batch {batch_id} was applied before with other contents (SHA-256 {hash}): give a new batch a new id")]
    BatchConflict {
        /// The id.
        batch_id: String,
        /// The SHA-256 of the batch applied under that id.
        hash: String,
    },
    /// A field of the request is wrong.
    #[error("{message}")]
    Invalid {
        /// A stable code.
        code: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// `since` is above the current bundle version.
    #[error("bundle version {asked} is above this server's current version {current}: that bundle came from another server or from before a restore; fetch a full bundle (no `since`)")]
    FutureVersion {
        /// The version asked for.
        asked: u64,
        /// The current version.
        current: u64,
    },
    /// The database failed.
    #[error("storage failed, try again: {0}")]
    Store(#[from] StoreError),
    /// The bundle could not be signed.
    #[error("the bundle cannot be made: {0}")]
    Bundle(#[from] AuthorityError),
    /// The caller's requests came faster than [`SyncLimits`] let in.
    #[error("too many requests from this {who}: try again in {retry_after} s")]
    RateLimited {
        /// `device` or `supervisor`.
        who: &'static str,
        /// Seconds until the next request is let in.
        retry_after: u64,
    },
    /// Something else inside the server.
    #[error("{0}")]
    Internal(String),
}

impl SyncError {
    /// The stable snake-case code of the API.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Unauthenticated => "unauthenticated",
            SyncError::Forbidden(_) => "forbidden",
            SyncError::DeviceUnknown => "device_unknown",
            SyncError::DeviceSuspended => "device_suspended",
            SyncError::DeviceNotFound(_) => "device_not_found",
            SyncError::SupervisorNotFound(_) => "supervisor_not_found",
            SyncError::SupervisorExists(_) => "supervisor_exists",
            SyncError::EnrollmentCode(EnrollmentCodeError::Check) => "enrollment_code_mistyped",
            SyncError::EnrollmentCode(_) => "bad_enrollment_code",
            SyncError::Batch(e) => e.code(),
            SyncError::Invalid { code, .. } => code,
            SyncError::FeedUnauthenticated => "unauthenticated",
            SyncError::FeedExpired { .. } => "feed_expired",
            SyncError::FeedNotFound(_) => "feed_not_found",
            SyncError::FeedExists(_) => "feed_exists",
            SyncError::BadRows(_) => "bad_rows",
            SyncError::BatchConflict { .. } => "batch_conflict",
            SyncError::FutureVersion { .. } => "future_version",
            SyncError::Store(_) => "storage",
            SyncError::Bundle(_) => "bundle_unavailable",
            SyncError::RateLimited { .. } => "rate_limited",
            SyncError::Internal(_) => "internal",
        }
    }

    pub(crate) fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        SyncError::Invalid { code, message: message.into() }
    }
}
