//! The JSON answers of the service's API, as types both ends use: the server
//! (`icaze-server`) serializes them at its HTTP edge, and the client
//! (`icaze-client`: `icaze admin`, `icaze portal`, the supervisor's screen)
//! deserializes the same types, so a changed shape fails to compile or fails a
//! round-trip test instead of failing in the field.
//!
//! [`sync`]: the sync service's `/v1/…` answers (`docs/sync-api.md`);
//! [`portal`]: the employer portal's and the 102 console's `/portal/api/…`
//! answers and the administrator's portal actions (`docs/portal-api.md`);
//! [`report`]: the searches of permits and the abuse report of the SMS codes;
//! [`Refusal`]: the `{code, message}` both send when they refuse.
//!
//! These are wire shapes, not the services' values: the services answer with
//! plain values and the server's edge converts them. Times are RFC 3339 text
//! as sent (UTC, or Baku time where a record's own time is shown); an `Option`
//! is `null` on the wire, never absent. Not checked here: what a text field
//! holds (a status, a flag, a code): the documents list their values, and a
//! newer server may add some; nor unknown fields, which a client ignores so
//! that a server may add fields.

use serde::{Deserialize, Serialize};

pub mod portal;
pub mod report;
pub mod sync;

/// A refusal as both APIs send it: a stable machine `code`, a `message` for
/// people, and on a `429` the seconds to wait (`Retry-After` too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The stable machine code (`unauthenticated`, `invalid_json`, …).
    pub code: String,
    /// What was wrong, for people.
    pub message: String,
    /// On `429 Too Many Requests`: how many seconds to wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// `{"from", "to"}`: a range of sequence numbers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeqRange {
    /// The first.
    pub from: u64,
    /// The last.
    pub to: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_its_wait_only_when_it_has_one() {
        let plain = Refusal { code: "forbidden".into(), message: "no".into(), retry_after: None };
        assert_eq!(serde_json::to_string(&plain).unwrap(), r#"{"code":"forbidden","message":"no"}"#);
        let wait = Refusal { retry_after: Some(60), ..plain };
        let text = serde_json::to_string(&wait).unwrap();
        assert_eq!(text, r#"{"code":"forbidden","message":"no","retry_after":60}"#);
        assert_eq!(serde_json::from_str::<Refusal>(&text).unwrap(), wait);
    }
}
