//! What the two JSON APIs (the sync service's `/v1/…` and the portal's
//! `/portal/api/…`) share at the HTTP edge: the credentials a request carries
//! ([`Credentials`]), a handler's service and credentials in one extractor
//! ([`Call`]), the query string, the JSON body ([`Json`], read once the caller
//! is known), the work run on the blocking pool ([`blocking`]), a typed answer
//! as a JSON response no cache keeps ([`ok`], [`reply`]), and the one refusal
//! both send ([`ApiError`], `{code, message}`, `icaze_protocol::api::Refusal`).
//!
//! Reading errors come out as [`BadRequest`], a code and a message that name
//! the parameter; each service turns it into its own error type, so its
//! handlers keep one `?` per step.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use icaze_core::UtcMinute;
use icaze_protocol::api::Refusal;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::portal::{Detail, PortalError};
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
    /// The case, field and values of a portal refusal (none of the sync API's).
    detail: Detail,
}

impl ApiError {
    /// Its stable machine code (`bad_credentials`, `throttled`, …).
    pub(crate) fn code(&self) -> &'static str {
        self.code
    }

    /// A refusal with no `Retry-After`.
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None, detail: Detail::default() }
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
            SyncError::Unauthenticated | SyncError::FeedUnauthenticated | SyncError::FeedExpired { .. } => {
                StatusCode::UNAUTHORIZED
            }
            SyncError::Forbidden(_) | SyncError::DeviceUnknown | SyncError::DeviceSuspended => StatusCode::FORBIDDEN,
            SyncError::DeviceNotFound(_) | SyncError::SupervisorNotFound(_) | SyncError::FeedNotFound(_) => {
                StatusCode::NOT_FOUND
            }
            SyncError::SupervisorExists(_)
            | SyncError::FutureVersion { .. }
            | SyncError::FeedExists(_)
            | SyncError::BatchConflict { .. } => StatusCode::CONFLICT,
            SyncError::BadRows(_) => StatusCode::UNPROCESSABLE_ENTITY,
            SyncError::Invalid { code: "too_large", .. } => StatusCode::PAYLOAD_TOO_LARGE,
            SyncError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            SyncError::EnrollmentCode(_) | SyncError::Batch(_) | SyncError::Invalid { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let retry_after = match e {
            SyncError::RateLimited { retry_after, .. } => Some(retry_after),
            _ => None,
        };
        ApiError { status, code: e.code(), message: e.to_string(), retry_after, detail: Detail::default() }
            .logged(&e, "sync")
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
        ApiError { status, code: e.code(), message: e.to_string(), retry_after, detail: e.detail() }
            .logged(&e, "portal")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Refusal {
            code: self.code.to_owned(),
            message: self.message,
            retry_after: self.retry_after,
            detail: wire_detail(&self.detail),
        };
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

/// A portal refusal's case, field and values as the API writes them.
pub(crate) fn wire_detail(detail: &Detail) -> icaze_protocol::api::Detail {
    icaze_protocol::api::Detail {
        case: detail.case.map(str::to_owned),
        field: detail.field.map(str::to_owned),
        params: detail.params.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect(),
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
        PortalError::invalid(bad.code, bad.message)
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
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8], contract: &str) -> Result<T, BadRequest> {
    serde_json::from_slice(body).map_err(|e| BadRequest {
        code: "invalid_json",
        message: format!("the JSON body does not read: {e}; see {contract} for its fields"),
    })
}

/// A service's error type, which a bad request becomes, and the document
/// that lists its routes' fields.
pub(crate) trait Contract: From<BadRequest> {
    /// The document, named in an `invalid_json` refusal.
    const DOCUMENT: &'static str;
}

impl Contract for SyncError {
    const DOCUMENT: &'static str = "docs/sync-api.md";
}

impl Contract for PortalError {
    const DOCUMENT: &'static str = "docs/portal-api.md";
}

/// A request body as bytes, or why it could not be read (over the route's
/// limit, broken). Extracting never fails: the handler reads it with
/// [`RawBody::bytes`] once the caller is known, so that a stranger learns
/// nothing about the body from the refusal.
pub(crate) struct RawBody(Result<Bytes, BadRequest>);

impl RawBody {
    /// The bytes, or the refusal of an unreadable body.
    pub(crate) fn bytes(self) -> Result<Bytes, BadRequest> {
        self.0
    }
}

impl<St: Send + Sync> FromRequest<St> for RawBody {
    type Rejection = Infallible;

    async fn from_request(request: Request, state: &St) -> Result<Self, Self::Rejection> {
        Ok(RawBody(Bytes::from_request(request, state).await.map_err(|r| unreadable_body(&r))))
    }
}

/// A JSON body of type `T` for a service whose error is `E`: read with
/// [`Json::read`] inside the service's work, after the credentials were
/// checked and on the blocking pool (a revocation list is up to 16 MiB). A
/// body that does not read is the service's `invalid_json` refusal (naming
/// [`Contract::DOCUMENT`]), one over the limit its `too_large`.
pub(crate) struct Json<T, E> {
    body: RawBody,
    read_as: PhantomData<fn() -> (T, E)>,
}

impl<T: DeserializeOwned, E: Contract> Json<T, E> {
    /// The body, read.
    pub(crate) fn read(self) -> Result<T, E> {
        let bytes = self.body.bytes()?;
        Ok(parse_json(&bytes, E::DOCUMENT)?)
    }
}

impl<T, E, St: Send + Sync> FromRequest<St> for Json<T, E> {
    type Rejection = Infallible;

    async fn from_request(request: Request, state: &St) -> Result<Self, Self::Rejection> {
        Ok(Json { body: RawBody::from_request(request, state).await?, read_as: PhantomData })
    }
}

/// What every handler of a service starts from: the service (the router's
/// state) and the request's credentials. Each service adds its own ways to
/// run work as the caller they name.
pub(crate) struct Call<Svc> {
    pub(crate) svc: Arc<Svc>,
    pub(crate) creds: Credentials,
}

impl<Svc> Clone for Call<Svc> {
    fn clone(&self) -> Self {
        Call { svc: self.svc.clone(), creds: self.creds.clone() }
    }
}

impl<Svc: Send + Sync + 'static> Call<Svc> {
    /// Runs `work` on the blocking pool for the caller `who` finds in the
    /// credentials (its refusal ends the request before any work).
    pub(crate) async fn run_as<Who, T, E>(
        self,
        who: impl FnOnce(&Svc, &Credentials) -> Result<Who, E> + Send + 'static,
        work: impl FnOnce(&Svc, &Who) -> Result<T, E> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Send + 'static,
        ApiError: From<E>,
    {
        let creds = self.creds;
        blocking(&self.svc, move |s| work(s, &who(s, &creds)?)).await
    }
}

impl<Svc: Send + Sync> FromRequestParts<Arc<Svc>> for Call<Svc> {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<Svc>) -> Result<Self, Self::Rejection> {
        Ok(Call { svc: state.clone(), creds: Credentials::of(&parts.headers) })
    }
}

/// A typed answer as JSON with `status`. Answers hold personal data, tokens
/// and credentials: no cache may keep them (`Cache-Control: no-store`).
pub(crate) fn json_response(status: StatusCode, answer: impl Serialize) -> Response {
    let mut response = (status, axum::Json(answer)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A typed answer with `status`, as a handler returns it.
pub(crate) fn reply(status: StatusCode, answer: impl Serialize) -> Answer {
    Ok(json_response(status, answer))
}

/// A typed answer, `200 OK`.
pub(crate) fn ok(answer: impl Serialize) -> Answer {
    reply(StatusCode::OK, answer)
}

/// An audit entry's details as the store keeps them: their JSON, or the text
/// itself when it is not JSON (an entry older than typed details).
pub(crate) fn stored_details(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// The answer as the server sends it, checked to read back as the client
/// reads it (the same type), as JSON for the test to look at.
#[cfg(test)]
pub(crate) fn round_trip<T>(answer: &T) -> Value
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = serde_json::to_vec(answer).expect("an answer serializes");
    assert_eq!(&serde_json::from_slice::<T>(&bytes).expect("the client reads it"), answer);
    serde_json::from_slice(&bytes).expect("it is JSON")
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

    #[derive(Debug, serde::Deserialize)]
    struct Reason {
        reason: String,
    }

    /// The extractor over a request with `body` (the limits are the routes', tested over HTTP).
    fn json_body<E>(body: &'static str) -> Json<Reason, E> {
        let request = Request::builder().body(axum::body::Body::from(body)).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let Ok(json) = runtime.block_on(Json::<Reason, E>::from_request(request, &()));
        json
    }

    #[test]
    fn a_json_body_is_read_as_its_type_or_refused_in_the_services_error() {
        assert_eq!(json_body::<SyncError>(r#"{"reason": "lost"}"#).read().unwrap().reason, "lost");
        match json_body::<SyncError>("{").read() {
            Err(SyncError::Invalid { code: "invalid_json", message }) => {
                assert!(message.ends_with("see docs/sync-api.md for its fields"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        match json_body::<PortalError>(r#"{"why": 1}"#).read() {
            Err(PortalError::Invalid { code: "invalid_json", message, .. }) => {
                assert!(message.contains("docs/portal-api.md"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn stored_details_are_json_or_their_text() {
        assert_eq!(stored_details(r#"{"login": "a"}"#), serde_json::json!({"login": "a"}));
        assert_eq!(stored_details("approved by hand"), Value::String("approved by hand".into()));
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
