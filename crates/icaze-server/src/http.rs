//! The HTTP routes: thin handlers over the SMS service.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::listener::ClientAddr;
use crate::sms::SmsService;
use crate::store::PermitStore;
use crate::Clock;

/// Who may call the SMS endpoint: the operator's gateway.
#[derive(Debug, Clone, Default)]
pub struct GatewayAuth {
    /// A shared secret the gateway sends as the `key` parameter.
    pub secret: Option<String>,
    /// Addresses allowed without the secret. Empty and no secret: callers
    /// on loopback that did not come through a trusted proxy only.
    pub allow: Vec<IpAddr>,
}

impl GatewayAuth {
    fn permits(&self, client: ClientAddr, key: Option<&str>) -> bool {
        if let (Some(secret), Some(key)) = (&self.secret, key) {
            if constant_time_eq(secret.as_bytes(), key.as_bytes()) {
                return true;
            }
        }
        if self.allow.iter().any(|ip| ip.to_canonical() == client.ip) {
            return true;
        }
        // Behind a proxy on loopback every request comes from loopback: a
        // proxied one is somebody else's, never the local gateway's.
        self.secret.is_none() && self.allow.is_empty() && client.ip.is_loopback() && !client.proxied
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What every handler shares.
pub struct AppState<S: PermitStore> {
    /// The SMS service.
    pub sms: SmsService<S>,
    /// Its store, asked by `/healthz` whether it can answer.
    pub store: Arc<S>,
    /// Gateway access.
    pub gateway: GatewayAuth,
    /// The administrator's bearer token.
    pub admin_token: String,
    /// The bearer token that reads `/metrics` and nothing else (`DATA/metrics-token`),
    /// for the monitoring system; the administrator's token reads it too.
    pub metrics_token: String,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Every route's requests and latency (all routes: SMS, sync, portal, pages).
    pub http_metrics: Arc<crate::metrics::HttpMetrics>,
    /// Sync batches, bundles, portal logins and the SQLite writer's queue.
    pub service_metrics: Arc<crate::metrics::ServiceMetrics>,
    /// The SMS codes' shares against their usual shares, for `/metrics`.
    pub code_shares: crate::reports::CodeShareGauges,
}

/// The router of the service.
pub fn router<S: PermitStore>(state: Arc<AppState<S>>) -> Router {
    Router::new()
        .route("/sms/8103", get(sms_get::<S>).post(sms_post::<S>))
        .route("/healthz", get(healthz::<S>))
        .route("/metrics", get(metrics::<S>))
        .route("/admin/regime", post(load_regime::<S>))
        .with_state(state)
}

/// The longest `/healthz` waits for the database: a load balancer's check
/// (HAProxy's `timeout check`) should wait a little longer than this.
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// `200 ok` while the store answers, `503` while it does not (the PostgreSQL
/// database unreachable), so that a load balancer sends the requests to an
/// instance that can serve them. What failed is logged, not told.
async fn healthz<S: PermitStore>(State(state): State<Arc<AppState<S>>>) -> Response {
    match tokio::time::timeout(HEALTH_TIMEOUT, state.store.ready()).await {
        Ok(Ok(())) => "ok\n".into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready: the database does not answer\n").into_response()
        }
        Err(_) => {
            tracing::warn!(timeout = ?HEALTH_TIMEOUT, "not ready: the database did not answer in time");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready: the database does not answer\n").into_response()
        }
    }
}

/// Longest query or body the SMS endpoint reads; an SMS is far shorter.
const MAX_REQUEST: usize = 64 * 1024;

async fn sms_get<S: PermitStore>(
    State(state): State<Arc<AppState<S>>>,
    client: ClientAddr,
    RawQuery(query): RawQuery,
) -> Response {
    sms(&state, client, query.unwrap_or_default().as_bytes()).await
}

async fn sms_post<S: PermitStore>(
    State(state): State<Arc<AppState<S>>>,
    client: ClientAddr,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    // Parameters may come in the query, the form body, or both.
    let mut all = query.unwrap_or_default().into_bytes();
    if !body.is_empty() {
        all.push(b'&');
        all.extend_from_slice(&body);
    }
    sms(&state, client, &all).await
}

async fn sms<S: PermitStore>(state: &AppState<S>, client: ClientAddr, params: &[u8]) -> Response {
    if params.len() > MAX_REQUEST {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request too large\n").into_response();
    }
    let (mut from, mut text, mut key) = (None, None, None);
    // Invalid UTF-8 or percent-escapes are decoded lossily: a garbled SMS still gets a reply.
    for (name, value) in form_urlencoded::parse(params) {
        match name.as_ref() {
            "from" => from = Some(value.into_owned()),
            "text" => text = Some(value.into_owned()),
            "key" => key = Some(value.into_owned()),
            _ => {}
        }
    }
    if !state.gateway.permits(client, key.as_deref()) {
        return (StatusCode::FORBIDDEN, "this endpoint is for the SMS gateway\n").into_response();
    }
    let Some(from) = from.filter(|f| !f.trim().is_empty()) else {
        return (StatusCode::BAD_REQUEST, "missing parameter `from` (the sender's number)\n").into_response();
    };
    let text = text.unwrap_or_default();
    let (reply, outcome) = state.sms.handle(from.trim(), &text, state.clock.now()).await;
    // Debug, not info: one log line per SMS at thousands of SMS a second cost
    // more than the rest of the HTTP layer (formatting plus a write to stderr
    // each); the outcomes are counted in /metrics.
    tracing::debug!(outcome = ?outcome, "sms answered");
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], reply).into_response()
}

/// The metrics, for the monitoring system's token or the administrator's
/// only: the refusals by reason (the deny list, the age limit, unknown
/// documents) are counts no caller of 8103 may read.
async fn metrics<S: PermitStore>(State(state): State<Arc<AppState<S>>>, headers: HeaderMap) -> Response {
    if !bearer_is(&headers, &state.metrics_token) && !is_admin(&state, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "the metrics token (DATA/metrics-token) is required as a bearer token\n",
        )
            .into_response();
    }
    let text = state.sms.metrics.render()
        + &state.service_metrics.render()
        + &state.http_metrics.render()
        + &state.code_shares.render(&state).await;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

pub(crate) fn is_admin<S: PermitStore>(state: &AppState<S>, headers: &HeaderMap) -> bool {
    bearer_is(headers, &state.admin_token)
}

/// Whether the request's bearer token is `token` (compared in constant time).
fn bearer_is(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| constant_time_eq(t.trim().as_bytes(), token.as_bytes()))
}

async fn load_regime<S: PermitStore>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_admin(&state, &headers) {
        return (StatusCode::UNAUTHORIZED, "an administrator's bearer token is required\n").into_response();
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, "the regime file is not UTF-8\n").into_response();
    };
    match state.sms.load_regime(text) {
        Ok(regime) => {
            tracing::info!(id = %regime.id, "regime loaded");
            format!("loaded regime {} ({} .. {} Baku time)\n", regime.id, regime.start.baku(), regime.end.baku())
                .into_response()
        }
        Err(message) => (StatusCode::BAD_REQUEST, format!("{message}\n")).into_response(),
    }
}

/// The header that carries a request's id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// The client's `X-Request-Id` when it is one we can carry safely (1 to 64
/// letters, digits, `-`, `_`, `.` or `:`, so that it cannot forge a log line
/// or a header), else a new random one of 16 hex digits.
fn request_id(request: &axum::extract::Request) -> String {
    let given = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|v| {
        (1..=64).contains(&v.len())
            && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    });
    if let Some(id) = given {
        return id.to_owned();
    }
    let mut bytes = [0u8; 8];
    // Without a random source the id is still unique enough to follow a request in the logs.
    if getrandom::getrandom(&mut bytes).is_err() {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        bytes = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Gives a request its id ([`REQUEST_ID`]: the client's, or a new one), runs
/// it in a `request` span that carries the id, its method and route (so that
/// every log line written while answering it names it), answers the id in the
/// response header, and counts the request in
/// [`crate::metrics::HttpMetrics`]: its route template (`unmatched` where no
/// route took it), its method (`other` beyond the standard ones, so that no
/// caller can add series at will), its status and how long the service took
/// to answer.
pub async fn track(
    metrics: Arc<crate::metrics::HttpMetrics>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use tracing::Instrument as _;
    let route = request.extensions().get::<axum::extract::MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method: &'static str = match request.method().as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "PATCH" => "PATCH",
        _ => "other",
    };
    let id = request_id(&request);
    let span = tracing::info_span!("request", request_id = %id, method, route = %route);
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics.observe(&route, method, status, elapsed);
    // Debug, as the SMS handler's line: a line per request is for looking
    // into a problem (`RUST_LOG=icaze_server=debug`), the counts are in /metrics.
    span.in_scope(|| tracing::debug!(status, micros = elapsed.as_micros() as u64, "request answered"));
    if let Ok(value) = header::HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
