//! Why a portal request was refused.

use icaze_permits::store::StoreError;
use icaze_sync_service::SyncError;

/// Why a portal request was refused. [`PortalError::code`] is the stable
/// code the API answers with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PortalError {
    /// No session cookie, or one nobody holds.
    #[error("you are not logged in: log in on /portal/")]
    NoSession,
    /// The session ended.
    #[error("your session has ended (30 minutes without activity, or 12 hours after login): log in again")]
    SessionExpired,
    /// Wrong login or password (the same answer for both).
    #[error("wrong login or password")]
    BadCredentials,
    /// Too many failed logins.
    #[error("too many failed logins: try again in {retry_after} seconds")]
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The CSRF token is missing or wrong.
    #[error("the request lacks this session's X-CSRF-Token header: reload the page")]
    Csrf,
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The administrator revoked the caller's organisation: it cannot sign
    /// in, add, import or reactivate.
    #[error("the administrator revoked this organisation's permission: its permits were revoked and nothing can be added or reactivated")]
    OrgRevoked,
    /// The session was opened with a one-time password: it may only set a
    /// new one (`POST /portal/api/password`), read itself and end.
    #[error("this session was opened with a one-time password: set a password of your own first")]
    PasswordChangeRequired,
    /// Something that does not exist, or not for this caller.
    #[error("{message}")]
    NotFound {
        /// A stable code.
        code: &'static str,
        /// What was not found.
        message: String,
    },
    /// A conflict with what is stored.
    #[error("{message}")]
    Conflict {
        /// A stable code.
        code: &'static str,
        /// What conflicts and how to go on.
        message: String,
    },
    /// A field of the request is wrong.
    #[error("{message}")]
    Invalid {
        /// A stable code.
        code: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The document is not in the population registry.
    #[error("the document {0} is not in the population registry: check the number")]
    UnknownDocument(String),
    /// The person may not get a permit; the reason is not told.
    #[error("no permit can be issued for this document: the holder may call 9108")]
    Refused,
    /// The sync service refused or failed to revoke.
    #[error("revoking failed: {0}")]
    Sync(#[from] SyncError),
    /// The database failed.
    #[error("storage failed, try again: {0}")]
    Store(#[from] StoreError),
    /// Something else inside the server.
    #[error("{0}")]
    Internal(String),
}

impl PortalError {
    /// The stable snake-case code of the API.
    pub fn code(&self) -> &'static str {
        match self {
            PortalError::NoSession => "no_session",
            PortalError::SessionExpired => "session_expired",
            PortalError::BadCredentials => "bad_credentials",
            PortalError::Throttled { .. } => "throttled",
            PortalError::Csrf => "csrf",
            PortalError::Forbidden(_) => "forbidden",
            PortalError::OrgRevoked => "organisation_revoked",
            PortalError::PasswordChangeRequired => "password_change_required",
            PortalError::NotFound { code, .. }
            | PortalError::Conflict { code, .. }
            | PortalError::Invalid { code, .. } => code,
            PortalError::UnknownDocument(_) => "unknown_document",
            PortalError::Refused => "refused",
            PortalError::Sync(e) => e.code(),
            PortalError::Store(_) => "storage",
            PortalError::Internal(_) => "internal",
        }
    }

    /// A wrong field.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        PortalError::Invalid { code, message: message.into() }
    }

    /// Something that does not exist, or not for this caller.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        PortalError::NotFound { code, message: message.into() }
    }

    /// A conflict with what is stored.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        PortalError::Conflict { code, message: message.into() }
    }

    pub(crate) fn employee_not_found(id: i64) -> Self {
        Self::not_found("employee_not_found", format!("there is no employee {id} in your organisation"))
    }
}
