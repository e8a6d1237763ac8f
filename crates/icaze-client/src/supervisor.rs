//! A precinct supervisor's client of the sync service (`docs/sync-api.md`
//! sections 2, 4, 6, 7 and 8): who the credential is, the inspections devices
//! uploaded and their hourly statistics, the devices (those not synced for a
//! while too), approving, suspending and resuming a device, revoking permits,
//! and importing a device's export file.
//!
//! Every call is one request with the bearer credential; the server decides
//! what the credential may do (a supervisor only sees and acts on their own
//! precinct). Nothing is retried: a person is waiting and tries again.
//! Answers are read up to a cap ([`MAX_JSON_ANSWER`], [`MAX_CSV_ANSWER`]) as
//! the typed answers of `icaze_protocol::api::sync`, the types the server
//! writes them from, so an answer of another shape is a
//! [`SupervisorError::Protocol`]; `whoami` is handed on typed, the others as
//! the JSON of their type (what the app's screen reads).
//!
//! Not checked here: that the server is the right one (TLS is checked against
//! the web PKI roots when the address is `https`, nothing more), nor what the
//! answers' text fields hold (a status, a flag).
//!
//! The token never appears in `Debug` output: it lives only in a header
//! value marked sensitive.

use std::time::Duration;

use icaze_protocol::api::sync as answers;
pub use icaze_protocol::api::sync::Whoami;
use icaze_protocol::MAX_EXPORT_LEN;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api::{ApiClient, Body, Request, SendError, SetupError, Timeouts};
pub use crate::api::{MAX_SERVER_CHARS, MAX_TOKEN_CHARS};
use crate::transport::{self, ApiError};

/// The largest JSON answer read: a page of 10 000 inspections is about 10 MB.
pub const MAX_JSON_ANSWER: usize = 16 << 20;
/// The largest CSV answer read.
pub const MAX_CSV_ANSWER: usize = 32 << 20;
/// The longest text field sent (a badge, a precinct, a reason, a filter value).
pub const MAX_FIELD_CHARS: usize = 1000;

/// How the client talks to the server.
#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long one request may take, its body included (an import of a
    /// large export file or a CSV of a busy day takes a while).
    pub request_timeout: Duration,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        Self { connect_timeout: Duration::from_secs(10), request_timeout: Duration::from_secs(120) }
    }
}

/// A supervisor's call that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SupervisorError {
    /// The server address does not parse.
    #[error("the server address {url:?} is not usable ({reason}): give it as http://HOST:PORT or https://HOST")]
    BadUrl {
        /// The address given.
        url: String,
        /// Why.
        reason: String,
    },
    /// The token is empty, too long or holds characters a token cannot hold.
    #[error("the token {0}: paste the whole token the administrator gave you")]
    BadToken(&'static str),
    /// An argument cannot be sent as it is.
    #[error("{field} {reason}")]
    BadInput {
        /// The argument.
        field: &'static str,
        /// What is wrong with it and what to give instead.
        reason: String,
    },
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// No answer.
    #[error("cannot reach the sync service at {url} ({detail}): check the address and the network")]
    Unreachable {
        /// The address.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The server does not know the credential (`401`).
    #[error("the service does not accept this token ({message}): check it, or ask the administrator for a new one")]
    Unauthorized {
        /// The server's message.
        message: String,
    },
    /// The credential may not do this (`403`), e.g. another precinct's data.
    #[error("this token may not do that ({code}): {message}")]
    Forbidden {
        /// The server's error code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The server refused the request (another 4xx).
    #[error("the service refused the request with status {status} ({code}): {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The server's error code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The server failed (5xx).
    #[error("the service failed with status {status} ({message}): try again later")]
    Server {
        /// The HTTP status.
        status: u16,
        /// What it said.
        message: String,
    },
    /// The answer is larger than the cap.
    #[error("the service's answer is larger than {limit} bytes: narrow the filter")]
    TooLarge {
        /// The cap.
        limit: usize,
    },
    /// An answer that does not follow the API.
    #[error("the service's answer does not follow the sync API: {0}; check the server address")]
    Protocol(String),
}

impl SupervisorError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            SupervisorError::BadUrl { .. } => "bad_url",
            SupervisorError::BadToken(_) => "bad_token",
            SupervisorError::BadInput { .. } => "bad_input",
            SupervisorError::Client(_) => "client",
            SupervisorError::Unreachable { .. } => "unreachable",
            SupervisorError::Unauthorized { .. } => "unauthorized",
            SupervisorError::Forbidden { .. } => "forbidden",
            SupervisorError::Refused { .. } => "refused",
            SupervisorError::Server { .. } => "server_error",
            SupervisorError::TooLarge { .. } => "too_large",
            SupervisorError::Protocol(_) => "protocol",
        }
    }
}

/// Which inspections to list (`GET /v1/inspections`). Empty fields filter nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InspectionFilter {
    /// Only this precinct (a supervisor always gets their own).
    pub precinct: Option<String>,
    /// Only this officer's badge.
    pub officer: Option<String>,
    /// Only this zone.
    pub zone: Option<u16>,
    /// Only this device.
    pub device: Option<String>,
    /// From this time, RFC 3339 with its offset.
    pub from: Option<String>,
    /// Up to this time, RFC 3339 with its offset.
    pub to: Option<String>,
    /// Only violations.
    pub violations: bool,
    /// At most this many (the server allows up to 10 000).
    pub limit: Option<u32>,
    /// The next page: the `next` of the page before.
    pub after: Option<String>,
}

/// Which hours to count (`GET /v1/stats/hourly`): by default the 24 hours before now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HourlyFilter {
    /// Only this precinct (a supervisor always gets their own).
    pub precinct: Option<String>,
    /// From this time, RFC 3339.
    pub from: Option<String>,
    /// Up to this time, RFC 3339.
    pub to: Option<String>,
}

/// Which day of the abuse report of the SMS codes (`GET /admin/report/codes`):
/// by default the 24 hours before now, code 1 watched, against the 7 days before.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CodesFilter {
    /// The Baku day, `YYYY-MM-DD`.
    pub day: Option<String>,
    /// The code whose top phones and documents are listed.
    pub code: Option<u8>,
    /// The days before whose shares are the usual ones.
    pub baseline_days: Option<u32>,
}

/// What to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeTarget {
    /// One permit by its serial.
    Serial(u32),
    /// Every permit of this document still valid now.
    Document(String),
}

/// A client of one sync service with one credential.
#[derive(Debug, Clone)]
pub struct SupervisorClient {
    api: ApiClient,
}

impl SupervisorClient {
    /// A client of the service at `server_url` with the bearer `token`, and the default timeouts.
    pub fn new(server_url: &str, token: &str) -> Result<Self, SupervisorError> {
        Self::with_config(server_url, token, &SupervisorConfig::default())
    }

    /// A client with these timeouts.
    pub fn with_config(server_url: &str, token: &str, config: &SupervisorConfig) -> Result<Self, SupervisorError> {
        let timeouts = Timeouts { connect: config.connect_timeout, request: config.request_timeout };
        let user_agent = concat!("icaze-supervisor/", env!("CARGO_PKG_VERSION"));
        let api = ApiClient::new(server_url, token, timeouts, user_agent).map_err(|e| match e {
            SetupError::BadUrl { url, reason } => SupervisorError::BadUrl { url, reason },
            SetupError::BadToken(why) => SupervisorError::BadToken(why),
            SetupError::Client(e) => SupervisorError::Client(e),
        })?;
        Ok(Self { api })
    }

    /// The service's address, as requests are made to it.
    pub fn server(&self) -> &str {
        self.api.server()
    }

    /// Who the credential is; a wrong token gives [`SupervisorError::Unauthorized`].
    pub async fn whoami(&self) -> Result<Whoami, SupervisorError> {
        let body = self.send(Method::GET, "v1/whoami", Vec::new(), Body::None, MAX_JSON_ANSWER).await?;
        typed(&body)
    }

    /// A page of inspections, newest first: `{"inspections": [...], "next": ...}`.
    pub async fn inspections(&self, filter: &InspectionFilter) -> Result<Value, SupervisorError> {
        let query = inspection_query(filter)?;
        let body = self.send(Method::GET, "v1/inspections", query, Body::None, MAX_JSON_ANSWER).await?;
        json_of::<answers::InspectionPage>(&body)
    }

    /// The same page as CSV (`docs/sync-api.md` section 7), header line included.
    pub async fn inspections_csv(&self, filter: &InspectionFilter) -> Result<String, SupervisorError> {
        let mut query = inspection_query(filter)?;
        query.push(("format", "csv".into()));
        let body = self.send(Method::GET, "v1/inspections", query, Body::None, MAX_CSV_ANSWER).await?;
        String::from_utf8(body).map_err(|_| SupervisorError::Protocol("the CSV is not UTF-8".into()))
    }

    /// Inspections, violations and refusals per hour and per officer:
    /// `{"hours": [{hour, inspections, violations, not_valid}], "officers": [{badge, inspections, violations}]}`.
    pub async fn hourly(&self, filter: &HourlyFilter) -> Result<Value, SupervisorError> {
        let mut query = Vec::new();
        push_text(&mut query, "precinct", filter.precinct.as_deref())?;
        push_time(&mut query, "from", filter.from.as_deref())?;
        push_time(&mut query, "to", filter.to.as_deref())?;
        let body = self.send(Method::GET, "v1/stats/hourly", query, Body::None, MAX_JSON_ANSWER).await?;
        json_of::<answers::Activity>(&body)
    }

    /// The abuse report of the SMS codes for a day: requests per code and
    /// hour, each code's share against its usual share, the watched code's
    /// top phones and documents (masked for a plain supervisor), as
    /// `icaze_protocol::api::report::CodeReport`. The service audits the view.
    pub async fn code_report(&self, filter: &CodesFilter) -> Result<Value, SupervisorError> {
        let query = codes_query(filter)?;
        let body = self.send(Method::GET, "admin/report/codes", query, Body::None, MAX_JSON_ANSWER).await?;
        json_of::<icaze_protocol::api::report::CodeReport>(&body)
    }

    /// The same report's hours as CSV text.
    pub async fn code_report_csv(&self, filter: &CodesFilter) -> Result<String, SupervisorError> {
        let mut query = codes_query(filter)?;
        query.push(("format", "csv".into()));
        let body = self.send(Method::GET, "admin/report/codes", query, Body::None, MAX_CSV_ANSWER).await?;
        String::from_utf8(body).map_err(|_| SupervisorError::Protocol("the CSV is not UTF-8".into()))
    }

    /// The devices the credential may see, or only those whose last sync is
    /// older than `stale_hours` (or that never synced): `{"devices": [...]}`.
    pub async fn devices(&self, stale_hours: Option<u32>) -> Result<Value, SupervisorError> {
        let query = stale_hours.map(|h| vec![("not_synced_hours", h.to_string())]).unwrap_or_default();
        let body = self.send(Method::GET, "v1/devices", query, Body::None, MAX_JSON_ANSWER).await?;
        json_of::<answers::DeviceList>(&body)
    }

    /// Approves the device showing enrollment `code` for the officer `badge`
    /// in `precinct`; returns the device.
    pub async fn approve(&self, code: &str, badge: &str, precinct: &str) -> Result<Value, SupervisorError> {
        let code = field("code", code)?;
        let body = json!({ "code": code, "badge": field("badge", badge)?, "precinct": field("precinct", precinct)? });
        let answer = self.send(Method::POST, "v1/devices", Vec::new(), Body::Json(body), MAX_JSON_ANSWER).await?;
        json_of::<answers::Device>(&answer)
    }

    /// Suspends a device: its uploads are refused until it is resumed.
    pub async fn suspend(&self, device_id: &str, reason: &str) -> Result<Value, SupervisorError> {
        self.set_status(device_id, "suspend", reason).await
    }

    /// Resumes a suspended device.
    pub async fn resume(&self, device_id: &str, reason: &str) -> Result<Value, SupervisorError> {
        self.set_status(device_id, "resume", reason).await
    }

    async fn set_status(&self, device_id: &str, action: &str, reason: &str) -> Result<Value, SupervisorError> {
        let path = format!("v1/devices/{}/{action}", segment(field("device", device_id)?)?);
        let body = json!({ "reason": field("reason", reason)? });
        let answer = self.send(Method::POST, &path, Vec::new(), Body::Json(body), MAX_JSON_ANSWER).await?;
        json_of::<answers::Device>(&answer)
    }

    /// Revokes a permit, or every valid permit of a document: `{"revoked": [...], "version": N}`.
    pub async fn revoke(&self, target: &RevokeTarget, reason: &str) -> Result<Value, SupervisorError> {
        let reason = field("reason", reason)?;
        let body = match target {
            RevokeTarget::Serial(serial) => json!({ "serial": serial, "reason": reason }),
            RevokeTarget::Document(document) => json!({ "document": field("document", document)?, "reason": reason }),
        };
        let answer = self.send(Method::POST, "v1/revocations", Vec::new(), Body::Json(body), MAX_JSON_ANSWER).await?;
        json_of::<answers::Revoked>(&answer)
    }

    /// Imports a device's export file (`POST /v1/imports`); returns the receipt.
    pub async fn import_export_file(&self, bytes: Vec<u8>) -> Result<Value, SupervisorError> {
        if bytes.is_empty() {
            return Err(SupervisorError::BadInput {
                field: "the file",
                reason: "is empty: choose a device's export file".into(),
            });
        }
        if bytes.len() > MAX_EXPORT_LEN {
            return Err(SupervisorError::BadInput {
                field: "the file",
                reason: format!(
                    "is larger than an export file can be ({MAX_EXPORT_LEN} bytes): choose the device's export"
                ),
            });
        }
        let answer = self.send(Method::POST, "v1/imports", Vec::new(), Body::Bytes(bytes), MAX_JSON_ANSWER).await?;
        json_of::<answers::Receipt>(&answer)
    }

    /// One request; the body of a 2xx answer, read up to `cap` bytes.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: Vec<(&'static str, String)>,
        body: Body,
        cap: usize,
    ) -> Result<Vec<u8>, SupervisorError> {
        let request = Request { method, path: path.to_owned(), query, body };
        let answer = self.api.send(request, cap).await.map_err(|e| match e {
            SendError::TooLarge { limit } => SupervisorError::TooLarge { limit },
            SendError::Unreachable { url, detail } => SupervisorError::Unreachable { url, detail },
            other => SupervisorError::BadUrl { url: self.api.server().to_owned(), reason: other.to_string() },
        })?;
        if answer.status.is_success() {
            return Ok(answer.body);
        }
        Err(refusal(answer.status, &answer.body))
    }
}

/// The typed error for a non-2xx answer with its `{code, message}` body.
fn refusal(status: StatusCode, body: &[u8]) -> SupervisorError {
    let ApiError { code, message } = ApiError::from_answer(status, body);
    match status {
        StatusCode::UNAUTHORIZED => SupervisorError::Unauthorized { message },
        StatusCode::FORBIDDEN => SupervisorError::Forbidden { code, message },
        StatusCode::PAYLOAD_TOO_LARGE => SupervisorError::Refused { status: status.as_u16(), code, message },
        s if s.is_server_error() => SupervisorError::Server { status: s.as_u16(), message },
        s => SupervisorError::Refused { status: s.as_u16(), code, message },
    }
}

/// An answer read as its type `T`.
fn typed<T: DeserializeOwned>(body: &[u8]) -> Result<T, SupervisorError> {
    serde_json::from_slice(body)
        .map_err(|e| SupervisorError::Protocol(format!("the answer is not the {}: {e}", std::any::type_name::<T>())))
}

/// An answer read as its type `T`, handed on as `T`'s JSON.
fn json_of<T: DeserializeOwned + Serialize>(body: &[u8]) -> Result<Value, SupervisorError> {
    serde_json::to_value(typed::<T>(body)?).map_err(|e| SupervisorError::Protocol(e.to_string()))
}

/// A required text argument, trimmed, not empty and not too long.
fn field<'a>(name: &'static str, text: &'a str) -> Result<&'a str, SupervisorError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(SupervisorError::BadInput { field: name, reason: "is empty: fill it in".into() });
    }
    if text.chars().count() > MAX_FIELD_CHARS {
        return Err(SupervisorError::BadInput {
            field: name,
            reason: format!("is longer than {MAX_FIELD_CHARS} characters: shorten it"),
        });
    }
    Ok(text)
}

fn push_text(
    query: &mut Vec<(&'static str, String)>,
    name: &'static str,
    value: Option<&str>,
) -> Result<(), SupervisorError> {
    if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
        query.push((name, field(name, value)?.to_owned()));
    }
    Ok(())
}

/// A time argument, checked here and sent in UTC.
fn push_time(
    query: &mut Vec<(&'static str, String)>,
    name: &'static str,
    value: Option<&str>,
) -> Result<(), SupervisorError> {
    if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
        let time = transport::utc(value).ok_or_else(|| SupervisorError::BadInput {
            field: name,
            reason: format!("{value:?} is not a time: give it as RFC 3339, e.g. 2020-12-15T10:00:00+04:00"),
        })?;
        query.push((name, time));
    }
    Ok(())
}

fn codes_query(filter: &CodesFilter) -> Result<Vec<(&'static str, String)>, SupervisorError> {
    let mut query = Vec::new();
    if let Some(day) = filter.day.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        let b = day.as_bytes();
        let shaped = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
        if !shaped {
            return Err(SupervisorError::BadInput {
                field: "day",
                reason: format!("{day:?} is not a day: give it as YYYY-MM-DD"),
            });
        }
        query.push(("from", day.to_owned()));
        query.push(("to", day.to_owned()));
    }
    if let Some(code) = filter.code {
        query.push(("code", code.to_string()));
    }
    if let Some(days) = filter.baseline_days {
        query.push(("baseline_days", days.to_string()));
    }
    Ok(query)
}

fn inspection_query(filter: &InspectionFilter) -> Result<Vec<(&'static str, String)>, SupervisorError> {
    let mut query = Vec::new();
    push_text(&mut query, "precinct", filter.precinct.as_deref())?;
    push_text(&mut query, "officer", filter.officer.as_deref())?;
    if let Some(zone) = filter.zone {
        query.push(("zone", zone.to_string()));
    }
    push_text(&mut query, "device", filter.device.as_deref())?;
    push_time(&mut query, "from", filter.from.as_deref())?;
    push_time(&mut query, "to", filter.to.as_deref())?;
    if filter.violations {
        query.push(("violations", "true".into()));
    }
    if let Some(limit) = filter.limit {
        query.push(("limit", limit.to_string()));
    }
    push_text(&mut query, "after", filter.after.as_deref())?;
    Ok(query)
}

/// A path segment (a device id) as sent: only the characters device ids
/// hold pass unescaped, and `.` or `..` (which a URL would read as a move up
/// the path) are refused.
fn segment(text: &str) -> Result<String, SupervisorError> {
    transport::segment(text)
        .ok_or_else(|| SupervisorError::BadInput { field: "device", reason: format!("{text:?} is not a device id") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_tokens_are_checked_and_the_token_is_not_shown() {
        assert_eq!(SupervisorClient::new("ftp://x", "t").unwrap_err().code(), "bad_url");
        assert_eq!(SupervisorClient::new("not a url", "t").unwrap_err().code(), "bad_url");
        assert_eq!(SupervisorClient::new("http://127.0.0.1:1", "  ").unwrap_err().code(), "bad_token");
        assert_eq!(SupervisorClient::new("http://127.0.0.1:1", "a b").unwrap_err().code(), "bad_token");
        assert_eq!(SupervisorClient::new("http://127.0.0.1:1", "é").unwrap_err().code(), "bad_token");
        let client = SupervisorClient::new("http://127.0.0.1:1/icaze", " secret-token-123 ").unwrap();
        assert_eq!(client.server(), "http://127.0.0.1:1/icaze/");
        let debug = format!("{client:?}");
        assert!(!debug.contains("secret-token-123"), "{debug}");
    }

    #[test]
    fn filters_become_the_query_with_times_in_utc() {
        let filter = InspectionFilter {
            officer: Some(" B-1042 ".into()),
            zone: Some(3),
            from: Some("2020-12-15T10:00:00+04:00".into()),
            to: Some(String::new()),
            violations: true,
            ..InspectionFilter::default()
        };
        let query = inspection_query(&filter).unwrap();
        assert_eq!(
            query,
            vec![
                ("officer", "B-1042".to_owned()),
                ("zone", "3".to_owned()),
                ("from", "2020-12-15T06:00:00Z".to_owned()),
                ("violations", "true".to_owned())
            ]
        );
        let bad = InspectionFilter { to: Some("yesterday".into()), ..InspectionFilter::default() };
        assert_eq!(inspection_query(&bad).unwrap_err().code(), "bad_input");
    }

    #[test]
    fn refusals_are_typed_by_status() {
        let body = br#"{"code":"unauthenticated","message":"no such token"}"#;
        assert!(matches!(refusal(StatusCode::UNAUTHORIZED, body), SupervisorError::Unauthorized { .. }));
        let forbidden = refusal(StatusCode::FORBIDDEN, br#"{"code":"forbidden","message":"other precinct"}"#);
        assert!(matches!(&forbidden, SupervisorError::Forbidden { code, .. } if code == "forbidden"));
        let garbage = refusal(StatusCode::BAD_REQUEST, b"<html>");
        assert!(matches!(&garbage, SupervisorError::Refused { code, status: 400, .. } if code == "http_400"));
        assert_eq!(refusal(StatusCode::BAD_GATEWAY, b"").code(), "server_error");
        assert_eq!(json_of::<answers::Revoked>(b"[1]").unwrap_err().code(), "protocol");
        assert_eq!(json_of::<answers::Revoked>(b"{\"a\":1}").unwrap_err().code(), "protocol");
        let revoked = json_of::<answers::Revoked>(br#"{"revoked": [7], "version": 3, "new": true}"#).unwrap();
        assert_eq!(revoked, json!({"revoked": [7], "version": 3}));
    }

    #[test]
    fn fields_and_segments_are_checked() {
        assert_eq!(field("badge", " B-7 ").unwrap(), "B-7");
        assert!(field("badge", " ").is_err());
        assert!(field("reason", &"x".repeat(MAX_FIELD_CHARS + 1)).is_err());
        assert_eq!(segment("ab12-CD_3").unwrap(), "ab12-CD_3");
        assert_eq!(segment("../x").unwrap(), "..%2Fx");
        assert!(segment("..").is_err());
    }
}
