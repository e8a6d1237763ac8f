//! The checks of the fields people type (names, logins, documents, dates and
//! times) and the Baku day arithmetic of the portal's windows.

use icaze_core::{DocumentError, DocumentNumber, UtcMinute};
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

/// A date field; `what` is the request's field (`valid_from`).
pub(crate) fn day_of(field: &str, what: &'static str) -> Result<i32, PortalError> {
    icaze_permits::csv::date(field).map_err(|_| {
        let e = PortalError::invalid("invalid_dates", format!("{what} {field:?} is not a date YYYY-MM-DD")).field(what);
        if field.trim().is_empty() {
            e.case("missing")
        } else {
            e.case("not_a_date").param("value", field)
        }
    })
}

/// A Baku local time `YYYY-MM-DDTHH:MM`, or RFC 3339; `what` is the request's field.
pub(crate) fn local_time(field: &str, what: &'static str) -> Result<UtcMinute, PortalError> {
    let field = field.trim();
    let text = if field.len() == 16 { format!("{field}:00+04:00") } else { field.to_owned() };
    UtcMinute::parse_rfc3339(&text).map_err(|_| {
        let e = PortalError::invalid("invalid_dates", format!("{what} {field:?} is not a Baku time YYYY-MM-DDTHH:MM"))
            .field(what);
        if field.is_empty() {
            e.case("missing")
        } else {
            e.case("not_a_time").param("value", field)
        }
    })
}

/// A text field of 1 (or 0 when `optional`) to [`MAX_TEXT`] characters, no
/// control characters. `what` names it in the message (`person's name`); its
/// last word is the request's field (`name`) and the refusal's case.
pub(crate) fn text_field(value: &str, what: &'static str, optional: bool) -> Result<String, PortalError> {
    let value = value.trim();
    let count = value.chars().count();
    if (count == 0 && !optional) || count > MAX_TEXT || value.chars().any(char::is_control) {
        let least = if optional { 0 } else { 1 };
        let field = what.rsplit(' ').next().unwrap_or(what);
        return Err(PortalError::invalid(
            "invalid_field",
            format!("the {what} must be {least} to {MAX_TEXT} characters without control characters"),
        )
        .case(field)
        .field(field)
        .param("min", least)
        .param("max", MAX_TEXT));
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
        )
        .field("login")
        .param("value", value));
    }
    Ok(login)
}

/// A document number, parsed.
pub(crate) fn document_field(value: &str) -> Result<DocumentNumber, PortalError> {
    DocumentNumber::parse(value).map_err(|e| {
        let refusal =
            PortalError::invalid("invalid_document", format!("the document {value:?}: {e}")).field("document");
        match e {
            DocumentError::Empty => refusal.case("empty"),
            DocumentError::BadCharacter(v) => refusal.case("characters").param("value", v),
            DocumentError::BadShape(v) => refusal.case("shape").param("value", v),
            DocumentError::TooLong(v) => refusal.case("too_long").param("value", v),
            DocumentError::WrongDigitCount(v) => refusal.case("digits").param("value", v).param("digits", 7),
            // A newer kind of problem: the code alone.
            _ => refusal,
        }
    })
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

    /// A refusal's code, case, field and values.
    type Said = (&'static str, Option<&'static str>, Option<&'static str>, Vec<(&'static str, String)>);

    /// The code, case, field and values of a refusal, as the API sends them.
    fn said(e: PortalError) -> Said {
        let d = e.detail();
        (e.code(), d.case, d.field, d.params)
    }

    #[test]
    fn each_refusal_names_its_case_its_field_and_its_values() {
        let v = |s: &str| s.to_owned();
        assert_eq!(
            said(day_of(" ", "valid_until").unwrap_err()),
            ("invalid_dates", Some("missing"), Some("valid_until"), vec![])
        );
        assert_eq!(
            said(day_of("31.12.2020", "valid_from").unwrap_err()),
            ("invalid_dates", Some("not_a_date"), Some("valid_from"), vec![("value", v("31.12.2020"))])
        );
        assert_eq!(
            said(local_time("tomorrow", "valid_until").unwrap_err()),
            ("invalid_dates", Some("not_a_time"), Some("valid_until"), vec![("value", v("tomorrow"))])
        );
        let max = MAX_TEXT.to_string();
        assert_eq!(
            said(text_field("", "person's name", false).unwrap_err()),
            ("invalid_field", Some("name"), Some("name"), vec![("min", v("1")), ("max", max.clone())])
        );
        assert_eq!(
            said(text_field("a\nb", "position", true).unwrap_err()),
            ("invalid_field", Some("position"), Some("position"), vec![("min", v("0")), ("max", max)])
        );
        assert_eq!(
            said(login_field("ab").unwrap_err()),
            ("invalid_login", None, Some("login"), vec![("value", v("ab"))])
        );
        let document = |text: &str| said(document_field(text).unwrap_err());
        assert_eq!(document("--"), ("invalid_document", Some("empty"), Some("document"), vec![]));
        assert_eq!(
            document("AZ#1"),
            ("invalid_document", Some("characters"), Some("document"), vec![("value", v("AZ#1"))])
        );
        assert_eq!(document("12AB"), ("invalid_document", Some("shape"), Some("document"), vec![("value", v("12AB"))]));
        assert_eq!(
            document("MYI12"),
            ("invalid_document", Some("digits"), Some("document"), vec![("value", v("MYI12")), ("digits", v("7"))])
        );
    }
}
