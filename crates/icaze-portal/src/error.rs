//! Why a portal request was refused.

use icaze_permits::store::StoreError;
use icaze_sync_service::SyncError;

/// What a page needs to say a refusal in its own language without reading the
/// English message: the case of its code when the code covers several
/// (`funeral_length` of `invalid_dates`), the request's field it is about (by
/// the API's field names: `valid_until`, `document`), and the values the
/// message names (`hours` = `24`). The page's catalogue key is
/// `error.<code>.<case>`, or `error.<code>` when there is no case; the values
/// fill its `{name}` placeholders. A value is text as the message writes it;
/// a Baku time is `YYYY-MM-DD HH:MM`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    /// The case of the code, when it covers several.
    pub case: Option<&'static str>,
    /// The request's field it is about.
    pub field: Option<&'static str>,
    /// The values the message names, by name, in order.
    pub params: Vec<(&'static str, String)>,
}

/// Why a portal request was refused. [`PortalError::code`] is the stable
/// code the API answers with, [`PortalError::detail`] its case and values.
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
        /// Its case and values, for a page to say it in its own words.
        detail: Detail,
    },
    /// A conflict with what is stored.
    #[error("{message}")]
    Conflict {
        /// A stable code.
        code: &'static str,
        /// What conflicts and how to go on.
        message: String,
        /// Its case and values, for a page to say it in its own words.
        detail: Detail,
    },
    /// A field of the request is wrong.
    #[error("{message}")]
    Invalid {
        /// A stable code.
        code: &'static str,
        /// What is wrong and how to fix it.
        message: String,
        /// Its case and values, for a page to say it in its own words.
        detail: Detail,
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

    /// The case and values of the refusal: those it was given for a wrong
    /// field, a conflict or something not found, and those of the other
    /// refusals that name a field or a value.
    pub fn detail(&self) -> Detail {
        match self {
            PortalError::NotFound { detail, .. }
            | PortalError::Conflict { detail, .. }
            | PortalError::Invalid { detail, .. } => detail.clone(),
            PortalError::UnknownDocument(document) => {
                Detail { case: None, field: Some("document"), params: vec![("document", document.clone())] }
            }
            PortalError::Refused => Detail { field: Some("document"), ..Detail::default() },
            PortalError::Throttled { retry_after } => {
                Detail { params: vec![("retry_after", retry_after.to_string())], ..Detail::default() }
            }
            _ => Detail::default(),
        }
    }

    /// A wrong field.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        PortalError::Invalid { code, message: message.into(), detail: Detail::default() }
    }

    /// Something that does not exist, or not for this caller.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        PortalError::NotFound { code, message: message.into(), detail: Detail::default() }
    }

    /// A conflict with what is stored.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        PortalError::Conflict { code, message: message.into(), detail: Detail::default() }
    }

    /// The same refusal, its case named (a wrong field, a conflict or
    /// something not found; any other is given back as it is).
    pub fn case(mut self, case: &'static str) -> Self {
        if let Some(detail) = self.detail_mut() {
            detail.case = Some(case);
        }
        self
    }

    /// The same refusal, about the request's `field` (as [`PortalError::case`]).
    pub fn field(mut self, field: &'static str) -> Self {
        if let Some(detail) = self.detail_mut() {
            detail.field = Some(field);
        }
        self
    }

    /// The same refusal with a value its message names (as [`PortalError::case`]).
    pub fn param(mut self, name: &'static str, value: impl ToString) -> Self {
        if let Some(detail) = self.detail_mut() {
            detail.params.push((name, value.to_string()));
        }
        self
    }

    fn detail_mut(&mut self) -> Option<&mut Detail> {
        match self {
            PortalError::NotFound { detail, .. }
            | PortalError::Conflict { detail, .. }
            | PortalError::Invalid { detail, .. } => Some(detail),
            _ => None,
        }
    }

    pub(crate) fn employee_not_found(id: i64) -> Self {
        Self::not_found("employee_not_found", format!("there is no employee {id} in your organisation"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_carries_its_case_field_and_values() {
        let e = PortalError::invalid("invalid_dates", "a funeral permit lasts more than 0 and at most 24 hours")
            .case("funeral_length")
            .field("valid_until")
            .param("hours", 24);
        assert_eq!(e.code(), "invalid_dates");
        assert_eq!(e.to_string(), "a funeral permit lasts more than 0 and at most 24 hours", "the message is kept");
        let detail = e.detail();
        assert_eq!(detail.case, Some("funeral_length"));
        assert_eq!(detail.field, Some("valid_until"));
        assert_eq!(detail.params, vec![("hours", "24".to_owned())]);
        let conflict = PortalError::conflict("duplicate_login", "taken").field("login").param("login", "a.b");
        assert_eq!(conflict.detail().params, vec![("login", "a.b".to_owned())]);
        assert_eq!(PortalError::not_found("import_not_found", "no").detail(), Detail::default());
    }

    #[test]
    fn the_refusals_with_values_of_their_own_name_them() {
        let unknown = PortalError::UnknownDocument("AZE99999999".into());
        assert_eq!(unknown.code(), "unknown_document");
        assert_eq!(unknown.detail().field, Some("document"));
        assert_eq!(unknown.detail().params, vec![("document", "AZE99999999".to_owned())]);
        assert_eq!(PortalError::Refused.detail().field, Some("document"));
        assert_eq!(PortalError::Throttled { retry_after: 90 }.detail().params, vec![("retry_after", "90".to_owned())]);
        assert_eq!(PortalError::BadCredentials.detail(), Detail::default());
        // Only a wrong field, a conflict or something not found takes a case: another is given back as it was.
        let plain = PortalError::BadCredentials.case("x").field("login").param("a", 1);
        assert!(matches!(plain, PortalError::BadCredentials));
        assert_eq!(plain.detail(), Detail::default());
    }
}
