//! The checks of the fields people type (names, logins, documents, dates and
//! times) and the Baku day arithmetic of the portal's windows.

use icaze_core::{DocumentNumber, UtcMinute};
use icaze_permits::csv::civil_from_days;
use sha2::{Digest as _, Sha256};

use crate::{PortalError, MAX_TEXT};

/// A Baku day as `YYYY-MM-DD`.
pub fn day_text(day: i32) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The first minute of a Baku day.
pub(crate) fn day_start(day: i32) -> Option<UtcMinute> {
    let minutes = i64::from(day) * 1440 - i64::from(icaze_core::BAKU_OFFSET_MINUTES);
    u32::try_from(minutes).ok().map(UtcMinute::from_unix_minutes)
}

/// A date field.
pub(crate) fn day_of(field: &str, what: &str) -> Result<i32, PortalError> {
    icaze_permits::csv::date(field)
        .map_err(|_| PortalError::invalid("invalid_dates", format!("{what} {field:?} is not a date YYYY-MM-DD")))
}

/// A Baku local time `YYYY-MM-DDTHH:MM`, or RFC 3339.
pub(crate) fn local_time(field: &str, what: &str) -> Result<UtcMinute, PortalError> {
    let field = field.trim();
    let text = if field.len() == 16 { format!("{field}:00+04:00") } else { field.to_owned() };
    UtcMinute::parse_rfc3339(&text).map_err(|_| {
        PortalError::invalid("invalid_dates", format!("{what} {field:?} is not a Baku time YYYY-MM-DDTHH:MM"))
    })
}

/// A text field of 1 (or 0 when `optional`) to [`MAX_TEXT`] characters, no control characters.
pub(crate) fn text_field(value: &str, what: &str, optional: bool) -> Result<String, PortalError> {
    let value = value.trim();
    let count = value.chars().count();
    if (count == 0 && !optional) || count > MAX_TEXT || value.chars().any(char::is_control) {
        let least = if optional { 0 } else { 1 };
        return Err(PortalError::invalid(
            "invalid_field",
            format!("the {what} must be {least} to {MAX_TEXT} characters without control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A login: 3 to 64 characters `a-z 0-9 . _ -`, kept in lower case.
pub(crate) fn login_field(value: &str) -> Result<String, PortalError> {
    let login = value.trim().to_ascii_lowercase();
    let ok = (3..=64).contains(&login.len())
        && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(PortalError::invalid(
            "invalid_login",
            format!("the login {value:?} must be 3 to 64 characters: letters a-z, digits, '.', '_', '-'"),
        ));
    }
    Ok(login)
}

/// A document number, parsed.
pub(crate) fn document_field(value: &str) -> Result<DocumentNumber, PortalError> {
    DocumentNumber::parse(value)
        .map_err(|e| PortalError::invalid("invalid_document", format!("the document {value:?}: {e}")))
}

pub(crate) fn session_hash(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

pub(crate) fn random_hex(bytes: usize) -> Result<String, PortalError> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| PortalError::Internal(format!("random source: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_run_from_baku_midnight_to_baku_midnight() {
        let day = icaze_permits::csv::date("2020-12-15").unwrap();
        assert_eq!(day_start(day), Some(UtcMinute::parse_rfc3339("2020-12-15T00:00:00+04:00").unwrap()));
        assert_eq!(day_text(day), "2020-12-15");
        assert!(day_of("2020-12-32", "valid_from").is_err());
    }

    #[test]
    fn funeral_times_are_baku_local() {
        let t = local_time("2020-12-15T09:00", "valid_from").unwrap();
        assert_eq!(t.to_rfc3339_utc(), "2020-12-15T05:00:00Z");
        assert_eq!(local_time("2020-12-15T05:00:00Z", "x").unwrap(), t);
        assert_eq!(local_time("15.12.2020 09:00", "x").unwrap_err().code(), "invalid_dates");
    }

    #[test]
    fn fields_are_checked() {
        assert_eq!(login_field(" Aliyev.R ").unwrap(), "aliyev.r");
        for bad in ["ab", "with space", "ünicode", &"x".repeat(65)] {
            assert_eq!(login_field(bad).unwrap_err().code(), "invalid_login", "{bad}");
        }
        assert_eq!(text_field("  Rashad  ", "name", false).unwrap(), "Rashad");
        assert!(text_field("", "name", false).is_err());
        assert_eq!(text_field("", "position", true).unwrap(), "");
        assert!(text_field("a\nb", "name", false).is_err());
        assert!(text_field(&"ə".repeat(MAX_TEXT + 1), "name", false).is_err());
        assert_eq!(document_field("???").unwrap_err().code(), "invalid_document");
    }
}
