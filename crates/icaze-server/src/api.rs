//! What the two JSON APIs (the sync service's `/v1/…` and the portal's
//! `/portal/api/…`) share at the HTTP edge: the credentials a request carries
//! ([`Credentials`]), the query string, the JSON body, the work run on the
//! blocking pool ([`blocking`]), a JSON response no cache keeps, and the one
//! refusal both send ([`ApiError`], `{code, message}`).
//!
//! Reading errors come out as [`BadRequest`], a code and a message that name
//! the parameter; each service turns it into its own error type, so its
//! handlers keep one `?` per step.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::rejection::BytesRejection;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use icaze_core::UtcMinute;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::portal::PortalError;
use crate::sync::SyncError;

/// The session cookie of the portal.
pub const SESSION_COOKIE: &str = "icaze_portal";
/// The header that carries the portal's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a request carries to say who sends it: the bearer token of the sync
/// API and the administrator, or the portal's session cookie and CSRF token.
/// The services decide what each is worth; reading them never fails.
#[derive(Debug, Clone, Default)]
pub(crate) struct Credentials {
    /// `Authorization`, whole (`Bearer …`).
    pub(crate) bearer: Option<String>,
    /// The value of the session cookie.
    pub(crate) session: Option<String>,
    /// `X-CSRF-Token`.
    pub(crate) csrf: Option<String>,
}

impl Credentials {
    fn of(headers: &HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let session = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == SESSION_COOKIE)
            .map(|(_, value)| value.trim().to_owned());
        Credentials { bearer: text(header::AUTHORIZATION.as_str()), session, csrf: text(CSRF_HEADER) }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Credentials {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Credentials::of(&parts.headers))
    }
}

/// A refusal as both APIs send it: the status, `{code, message}` (and
/// `retry_after` with `Retry-After` on a `429`), `WWW-Authenticate: Bearer`
/// when a bearer token was missing or unknown.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    /// Its stable machine code (`bad_credentials`, `throttled`, …).
    pub(crate) fn code(&self) -> &'static str {
        self.code
    }

    /// A refusal with no `Retry-After`.
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None }
    }

    fn logged(self, error: &dyn std::fmt::Display, what: &str) -> Self {
        if self.status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %error, "{what} request failed");
        }
        self
    }
}

impl From<SyncError> for ApiError {
    fn from(e: SyncError) -> Self {
        let status = match &e {
            SyncError::Unauthenticated => StatusCode::UNAUTHORIZED,
            SyncError::Forbidden(_) | SyncError::DeviceUnknown | SyncError::DeviceSuspended => StatusCode::FORBIDDEN,
            SyncError::DeviceNotFound(_) | SyncError::SupervisorNotFound(_) => StatusCode::NOT_FOUND,
            SyncError::SupervisorExists(_) | SyncError::FutureVersion { .. } => StatusCode::CONFLICT,
            SyncError::Invalid { code: "too_large", .. } => StatusCode::PAYLOAD_TOO_LARGE,
            SyncError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            SyncError::EnrollmentCode(_) | SyncError::Batch(_) | SyncError::Invalid { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let retry_after = match e {
            SyncError::RateLimited { retry_after, .. } => Some(retry_after),
            _ => None,
        };
        ApiError { status, code: e.code(), message: e.to_string(), retry_after }.logged(&e, "sync")
    }
}

impl From<PortalError> for ApiError {
    fn from(e: PortalError) -> Self {
        let status = match &e {
            PortalError::NoSession | PortalError::SessionExpired | PortalError::BadCredentials => {
                StatusCode::UNAUTHORIZED
            }
            PortalError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            PortalError::Csrf
            | PortalError::Forbidden(_)
            | PortalError::OrgRevoked
            | PortalError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            PortalError::NotFound { .. } => StatusCode::NOT_FOUND,
            PortalError::Conflict { .. } => StatusCode::CONFLICT,
            PortalError::Invalid { code: "too_large", .. } => StatusCode::PAYLOAD_TOO_LARGE,
            PortalError::Invalid { .. } => StatusCode::BAD_REQUEST,
            PortalError::UnknownDocument(_) | PortalError::Refused => StatusCode::UNPROCESSABLE_ENTITY,
            PortalError::Sync(SyncError::Unauthenticated) => StatusCode::UNAUTHORIZED,
            PortalError::Sync(SyncError::Forbidden(_)) => StatusCode::FORBIDDEN,
            PortalError::Sync(SyncError::Invalid { .. }) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let retry_after = match &e {
            PortalError::Throttled { retry_after } => Some(*retry_after),
            _ => None,
        };
        ApiError { status, code: e.code(), message: e.to_string(), retry_after }.logged(&e, "portal")
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        let bad = unreadable_body(&r);
        ApiError::new(r.status(), bad.code, bad.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"code": self.code, "message": self.message});
        if let Some(seconds) = self.retry_after {
            body["retry_after"] = json!(seconds);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED && self.code == "unauthenticated" {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// What a handler answers.
pub(crate) type Answer = Result<Response, ApiError>;

/// Runs `work` on the blocking pool (the services read and write their stores
/// and sign): its error becomes the API's refusal.
pub(crate) async fn blocking<Svc, T, E>(
    svc: &Arc<Svc>,
    work: impl FnOnce(&Svc) -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    Svc: Send + Sync + 'static,
    T: Send + 'static,
    E: Send + 'static,
    ApiError: From<E>,
{
    let svc = svc.clone();
    match tokio::task::spawn_blocking(move || work(&svc)).await {
        Ok(done) => Ok(done?),
        Err(e) => {
            tracing::error!(error = %e, "a worker failed");
            Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("a worker failed: {e}")))
        }
    }
}

/// A request body that could not be read: over the route's limit, or broken.
pub(crate) fn unreadable_body(r: &BytesRejection) -> BadRequest {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        BadRequest { code: "too_large", message: "the request body is over this route's limit".into() }
    } else {
        BadRequest { code: "bad_body", message: format!("the request body could not be read: {r}") }
    }
}

/// A request the service cannot read: a stable `code` for programs and a
/// message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadRequest {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl From<BadRequest> for SyncError {
    fn from(bad: BadRequest) -> Self {
        SyncError::Invalid { code: bad.code, message: bad.message }
    }
}

impl From<BadRequest> for PortalError {
    fn from(bad: BadRequest) -> Self {
        PortalError::Invalid { code: bad.code, message: bad.message }
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
    fn credentials_are_read_from_the_headers_and_the_session_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        headers.insert(header::COOKIE, HeaderValue::from_static("theme=dark; icaze_portal= s1 ;x=y"));
        headers.insert(CSRF_HEADER, HeaderValue::from_static("t1"));
        let c = Credentials::of(&headers);
        assert_eq!(
            (c.bearer.as_deref(), c.session.as_deref(), c.csrf.as_deref()),
            (Some("Bearer abc"), Some("s1"), Some("t1"))
        );
        headers.insert(header::COOKIE, HeaderValue::from_static("icaze_portalx=1"));
        assert_eq!(Credentials::of(&headers).session, None);
        let none = Credentials::of(&HeaderMap::new());
        assert_eq!((none.bearer, none.session, none.csrf), (None, None, None));
    }

    #[test]
    fn refusals_carry_their_code_and_the_bearer_challenge_only_for_an_unknown_token() {
        let r = ApiError::from(SyncError::Unauthenticated).into_response();
        assert_eq!(
            (r.status(), r.headers()[header::WWW_AUTHENTICATE].to_str().unwrap()),
            (StatusCode::UNAUTHORIZED, "Bearer")
        );
        let r = ApiError::from(PortalError::NoSession).into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().get(header::WWW_AUTHENTICATE).is_none());
        let r = ApiError::from(PortalError::Throttled { retry_after: 60 }).into_response();
        assert_eq!(
            (r.status(), r.headers()[header::RETRY_AFTER].to_str().unwrap()),
            (StatusCode::TOO_MANY_REQUESTS, "60")
        );
    }

    #[test]
    fn answers_are_not_cached() {
        let r = json_response(StatusCode::CREATED, serde_json::json!({"a": 1}));
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    }
}
