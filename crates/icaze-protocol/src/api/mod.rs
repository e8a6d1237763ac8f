//! The JSON answers of the service's API, as types both ends use: the server
//! (`icaze-server`) serializes them at its HTTP edge, and the client
//! (`icaze-client`: `icaze admin`, `icaze portal`, the supervisor's screen)
//! deserializes the same types, so a changed shape fails to compile or fails a
//! round-trip test instead of failing in the field.
//!
//! [`sync`]: the sync service's `/v1/…` answers (`docs/sync-api.md`);
//! [`portal`]: the employer portal's and the 102 console's `/portal/api/…`
//! answers and the administrator's portal actions (`docs/portal-api.md`);
//! [`feeds`]: the registry feeds' answers (`docs/feeds.md`);
//! [`report`]: the searches of permits and the abuse report of the SMS codes;
//! [`Refusal`]: the `{code, message}` both send when they refuse, with the
//! case, field and values a page needs to say it in its own language.
//!
//! These are wire shapes, not the services' values: the services answer with
//! plain values and the server's edge converts them. Times are RFC 3339 text
//! as sent (UTC, or Baku time where a record's own time is shown); an `Option`
//! is `null` on the wire, never absent. Not checked here: what a text field
//! holds (a status, a flag, a code): the documents list their values, and a
//! newer server may add some; nor unknown fields, which a client ignores so
//! that a server may add fields.
//!
//! With the feature `ts` (the device core and the app turn it on), the answers
//! the app shows derive `ts_rs::TS`: the app's UI types (`ui/src/bindings/`,
//! written by `src-tauri/src/bindings.rs`) are generated from these same types,
//! so the server's answer, the app's parse and the UI's type are one
//! definition. Their TypeScript keeps the names the UI has always used
//! (`ts(rename)`: `Device` is `DeviceInfo`, `Record` is `LogRecord`, …).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

pub mod feeds;
pub mod portal;
pub mod report;
pub mod sync;

/// A refusal as both APIs send it: a stable machine `code`, a `message` for
/// people (in English), on a `429` the seconds to wait (`Retry-After` too),
/// and its [`Detail`], from which a page says it in its own language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The stable machine code (`unauthenticated`, `invalid_json`, …).
    pub code: String,
    /// What was wrong, for people.
    pub message: String,
    /// On `429 Too Many Requests`: how many seconds to wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Its case, field and values, as members of the refusal itself.
    #[serde(flatten)]
    pub detail: Detail,
}

/// What a refusal (or an import's or a reactivation's problem) says beside its
/// code: where one code covers several cases, `case` names the one, `field`
/// the request's field it is about and `params` the values the message names,
/// so that a page says it in its own language from these alone
/// (`docs/portal-api.md`, "Refusals"). Each is left out when empty, so a client
/// that reads only `code` and `message` reads the same as before.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    /// The case of the code when it covers several (`funeral_length` of `invalid_dates`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// The request's field it is about, by the API's names (`valid_until`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The values the message names, as text (`{"hours": "24"}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

/// `{"from", "to"}`: a range of sequence numbers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS), ts(rename = "Gap"))]
pub struct SeqRange {
    /// The first.
    pub from: u64,
    /// The last.
    pub to: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ts")]
    #[test]
    fn the_typescript_keeps_the_names_the_ui_imports() {
        let cfg = ts_rs::Config::new();
        let names = [
            (sync::Device::ident(&cfg), "DeviceInfo"),
            (sync::Receipt::ident(&cfg), "ImportReceipt"),
            (sync::Record::ident(&cfg), "LogRecord"),
            (sync::Position::ident(&cfg), "Place"),
            (sync::Activity::ident(&cfg), "Hourly"),
            (sync::HourActivity::ident(&cfg), "HourStat"),
            (sync::OfficerActivity::ident(&cfg), "OfficerStat"),
            (SeqRange::ident(&cfg), "Gap"),
            (report::CodeHour::ident(&cfg), "CodeHourStat"),
            (report::CodeShare::ident(&cfg), "CodeShareStat"),
        ];
        for (ident, ui) in names {
            assert_eq!(ident, ui);
        }
        // The record's fields stand in the inspection itself, as on the wire.
        let inspection = sync::Inspection::decl(&cfg);
        assert!(inspection.contains("device_id: string") && inspection.contains("prev_hash: string"), "{inspection}");
        assert!(!inspection.contains("record:"), "{inspection}");
    }

    #[test]
    fn a_refusal_names_its_wait_only_when_it_has_one() {
        let plain = Refusal { code: "forbidden".into(), message: "no".into(), ..Refusal::default() };
        assert_eq!(serde_json::to_string(&plain).unwrap(), r#"{"code":"forbidden","message":"no"}"#);
        let wait = Refusal { retry_after: Some(60), ..plain };
        let text = serde_json::to_string(&wait).unwrap();
        assert_eq!(text, r#"{"code":"forbidden","message":"no","retry_after":60}"#);
        assert_eq!(serde_json::from_str::<Refusal>(&text).unwrap(), wait);
    }

    #[test]
    fn a_refusal_names_its_case_field_and_values_only_when_it_has_them() {
        let funeral = Refusal {
            code: "invalid_dates".into(),
            message: "a funeral permit lasts more than 0 and at most 24 hours".into(),
            retry_after: None,
            detail: Detail {
                case: Some("funeral_length".into()),
                field: Some("valid_until".into()),
                params: [("hours".to_owned(), "24".to_owned())].into(),
            },
        };
        let text = serde_json::to_string(&funeral).unwrap();
        assert_eq!(
            text,
            r#"{"code":"invalid_dates","message":"a funeral permit lasts more than 0 and at most 24 hours","case":"funeral_length","field":"valid_until","params":{"hours":"24"}}"#
        );
        assert_eq!(serde_json::from_str::<Refusal>(&text).unwrap(), funeral);
        // An older server's refusal, and an older client's reading of a newer one.
        let old: Refusal = serde_json::from_str(r#"{"code":"refused","message":"no"}"#).unwrap();
        assert_eq!(old.detail, Detail::default());
        #[derive(Deserialize)]
        struct OldRefusal {
            code: String,
        }
        assert_eq!(serde_json::from_str::<OldRefusal>(&text).unwrap().code, "invalid_dates");
    }
}
