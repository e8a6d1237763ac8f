//! What the two JSON APIs (the sync service's `/v1/…` and the portal's
//! `/portal/api/…`) share in reading a request and writing an answer: the
//! query string, the JSON body, and a JSON response no cache keeps.
//!
//! Errors come out as [`BadRequest`], a code and a message that name the
//! parameter; each service turns it into its own error type, so its handlers
//! keep one `?` per step.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use icaze_core::UtcMinute;
use serde::Deserialize;
use serde_json::Value;

/// A request the service cannot read: a stable `code` for programs and a
/// message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRequest {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl From<BadRequest> for crate::sync::SyncError {
    fn from(bad: BadRequest) -> Self {
        crate::sync::SyncError::Invalid { code: bad.code, message: bad.message }
    }
}

impl From<BadRequest> for crate::portal::PortalError {
    fn from(bad: BadRequest) -> Self {
        crate::portal::PortalError::Invalid { code: bad.code, message: bad.message }
    }
}

/// The query parameters, decoded. An empty value counts as absent, as HTML
/// forms send every field whether it was filled in or not.
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn new(raw: Option<String>) -> Self {
        Self(form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect())
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    pub(crate) fn owned(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }

    /// A number (or anything else `FromStr` reads), if given.
    pub(crate) fn parse<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, BadRequest> {
        self.get(name)
            .map(|v| {
                v.parse().map_err(|_| BadRequest {
                    code: "invalid_query",
                    message: format!("the parameter {name}={v:?} is not a valid number"),
                })
            })
            .transpose()
    }

    /// An RFC 3339 time, if given.
    pub(crate) fn time(&self, name: &str) -> Result<Option<UtcMinute>, BadRequest> {
        self.get(name)
            .map(|v| {
                UtcMinute::parse_rfc3339(v).map_err(|e| BadRequest {
                    code: "invalid_query",
                    message: format!("the parameter {name}={v:?} is not an RFC 3339 time: {e}"),
                })
            })
            .transpose()
    }
}

/// Reads a JSON body; `contract` names the document that lists its fields.
pub(crate) fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8], contract: &str) -> Result<T, BadRequest> {
    serde_json::from_slice(body).map_err(|e| BadRequest {
        code: "invalid_json",
        message: format!("the JSON body does not read: {e}; see {contract} for its fields"),
    })
}

/// A JSON answer. Answers hold personal data, tokens and credentials: no
/// cache may keep them (`Cache-Control: no-store`).
pub(crate) fn json_response(status: StatusCode, value: Value) -> Response {
    let mut response = (status, axum::Json(value)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_absent_and_bad_numbers_are_named() {
        let q = Query::new(Some("a=&b=12&c=x%20y&t=2020-12-15T10:00:00Z&n=ten".into()));
        assert_eq!(q.get("a"), None);
        assert_eq!(q.parse::<u32>("b"), Ok(Some(12)));
        assert_eq!(q.owned("c").as_deref(), Some("x y"));
        assert!(q.time("t").unwrap().is_some());
        let bad = q.parse::<u32>("n").unwrap_err();
        assert_eq!(bad.code, "invalid_query");
        assert!(bad.message.contains("n=\"ten\""), "{}", bad.message);
        assert_eq!(q.time("c").unwrap_err().code, "invalid_query");
        assert_eq!(Query::new(None).get("b"), None);
    }

    #[test]
    fn a_bad_body_names_the_contract() {
        let bad = parse_json::<Value>(b"{", "docs/x.md").unwrap_err();
        assert_eq!(bad.code, "invalid_json");
        assert!(bad.message.ends_with("see docs/x.md for its fields"), "{}", bad.message);
    }

    #[test]
    fn answers_are_not_cached() {
        let r = json_response(StatusCode::CREATED, serde_json::json!({"a": 1}));
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    }
}
