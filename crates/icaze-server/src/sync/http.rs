//! The routes `/v1/…` of `docs/sync-api.md`: thin handlers over
//! [`SyncService`], errors as JSON `{code, message}`, bodies capped (JSON
//! 64 KiB, upload batches 4 MiB, imported files 64 MiB; larger: `413`).
//! Every call into the service runs on the blocking pool: it reads or writes
//! SQLite and signs bundles.

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Extension, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use icaze_protocol::api::sync::{SupervisorAdded, SupervisorRemoved};
use icaze_protocol::{MAX_EXPORT_LEN, MAX_UPLOAD_LEN};
use serde::Deserialize;

use super::answers;
use super::bundle::{BuiltBundle, BundleAnswer};
use super::{Approval, Caller, Channel, InspectionFilter, RevokeTarget, SyncError, SyncService};
use crate::api::{self, blocking, ok, reply, Answer, ApiError, Query, RawBody};
use crate::metrics::{ServiceMetrics, SyncChannel};
use crate::store::PermitStore;
use icaze_sync_service::store::SupervisorRole;

/// The largest JSON request body.
pub const MAX_JSON: usize = 64 * 1024;
/// The largest revocation request: a list of about a million serials as JSON.
pub const MAX_REVOCATION_JSON: usize = 16 << 20;

/// The routes of the sync API.
pub fn router<S: PermitStore>(svc: Arc<SyncService<S>>) -> Router {
    let json_limit = DefaultBodyLimit::max(MAX_JSON);
    Router::new()
        .route("/v1/devices", post(approve::<S>).get(devices::<S>).layer(json_limit))
        .route("/v1/devices/{device_id}/suspend", post(suspend::<S>).layer(json_limit))
        .route("/v1/devices/{device_id}/resume", post(resume::<S>).layer(json_limit))
        .route("/v1/devices/{device_id}/clear-fork", post(clear_fork::<S>).layer(json_limit))
        .route("/v1/upload", post(upload::<S>).layer(DefaultBodyLimit::max(MAX_UPLOAD_LEN)))
        .route("/v1/imports", post(import::<S>).layer(DefaultBodyLimit::max(MAX_EXPORT_LEN)))
        .route("/v1/bundle", get(bundle::<S>))
        .route(
            "/v1/revocations",
            post(revoke::<S>).get(revocations::<S>).layer(DefaultBodyLimit::max(MAX_REVOCATION_JSON)),
        )
        .route("/v1/inspections", get(inspections::<S>))
        .route("/v1/stats/hourly", get(hourly::<S>))
        .route("/v1/whoami", get(whoami::<S>))
        .route("/v1/keys/reload", post(reload_keys::<S>))
        .route("/v1/audit", get(audit::<S>))
        .route("/v1/supervisors", post(add_supervisor::<S>).layer(json_limit))
        .route("/v1/supervisors/{name}", delete(remove_supervisor::<S>))
        .route("/admin/search", get(crate::reports::search::<S>))
        .route("/admin/report/codes", get(crate::reports::code_report_route::<S>))
        .merge(super::feeds::routes::<S>())
        .fallback(not_found)
        .with_state(svc)
}

/// Any other path: the JSON error, like every answer of the API.
async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route: see docs/sync-api.md for the routes of the sync API",
    )
}

/// A handler's service and credentials.
type Call<S> = api::Call<SyncService<S>>;
/// A JSON body of the sync API.
type Json<T> = api::Json<T, SyncError>;

impl<S: PermitStore> Call<S> {
    /// Runs `work` on the blocking pool for the caller the bearer token names.
    pub(super) async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce(&SyncService<S>, &Caller) -> Result<T, SyncError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.run_as(|s, creds| s.authenticate(creds.bearer.as_deref()), work).await
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    code: String,
    badge: String,
    precinct: String,
}

async fn approve<S: PermitStore>(call: Call<S>, body: Json<ApproveBody>) -> Answer {
    let (approval, device) = call
        .run(move |s, caller| {
            let b = body.read()?;
            s.approve(caller, &b.code, &b.badge, &b.precinct)
        })
        .await?;
    let status = if approval == Approval::Created { StatusCode::CREATED } else { StatusCode::OK };
    reply(status, answers::device(&device))
}

async fn devices<S: PermitStore>(call: Call<S>, RawQuery(q): RawQuery) -> Answer {
    let q = Query::new(q);
    let devices = call.run(move |s, c| s.devices(c, q.get("precinct"), q.parse("not_synced_hours")?)).await?;
    ok(answers::devices(&devices))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
}

/// A supervisor's action on one device, with its reason: the device as it is now.
async fn on_device<S: PermitStore>(
    call: Call<S>,
    body: Json<ReasonBody>,
    action: impl FnOnce(&SyncService<S>, &Caller, &str) -> Result<super::DeviceView, SyncError> + Send + 'static,
) -> Answer {
    let device = call.run(move |s, caller| action(s, caller, &body.read()?.reason)).await?;
    ok(answers::device(&device))
}

async fn suspend<S: PermitStore>(call: Call<S>, Path(id): Path<String>, body: Json<ReasonBody>) -> Answer {
    on_device(call, body, move |s, c, why| s.set_suspended(c, &id, true, why)).await
}

async fn resume<S: PermitStore>(call: Call<S>, Path(id): Path<String>, body: Json<ReasonBody>) -> Answer {
    on_device(call, body, move |s, c, why| s.set_suspended(c, &id, false, why)).await
}

async fn clear_fork<S: PermitStore>(call: Call<S>, Path(id): Path<String>, body: Json<ReasonBody>) -> Answer {
    on_device(call, body, move |s, c, why| s.clear_fork(c, &id, why)).await
}

async fn upload<S: PermitStore>(
    State(svc): State<Arc<SyncService<S>>>,
    Extension(metrics): Extension<Arc<ServiceMetrics>>,
    body: RawBody,
) -> Answer {
    let received = match body.bytes() {
        Ok(body) => blocking(&svc, move |s| s.upload(&body, Channel::Upload, None)).await,
        Err(bad) => Err(SyncError::from(bad).into()),
    };
    receipt(&metrics, SyncChannel::Upload, received)
}

async fn import<S: PermitStore>(
    call: Call<S>,
    Extension(metrics): Extension<Arc<ServiceMetrics>>,
    body: RawBody,
) -> Answer {
    let received = call.run(move |s, caller| s.upload(&body.bytes()?, Channel::File, Some(caller))).await;
    receipt(&metrics, SyncChannel::Import, received)
}

/// Counts a batch by `channel` with its records' outcomes, and answers its receipt.
fn receipt(metrics: &ServiceMetrics, channel: SyncChannel, received: Result<super::Receipt, ApiError>) -> Answer {
    match received {
        Ok(receipt) => {
            metrics.batch_accepted(channel, receipt.accepted, receipt.duplicates, receipt.conflicts);
            ok(answers::receipt(&receipt))
        }
        Err(e) => {
            metrics.batch_refused(channel);
            Err(e)
        }
    }
}

/// Whether an `If-None-Match` or `If-Range` value names `etag`.
fn names(value: Option<&HeaderValue>, etag: &str) -> bool {
    value
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == etag || t == "*"))
}

/// A single byte range of `len` bytes: `Ok(None)` when the header is absent
/// or not one we serve (several ranges, nonsense: the whole body is sent),
/// `Err(())` when it is unsatisfiable.
fn byte_range(header: Option<&HeaderValue>, len: usize) -> Result<Option<(usize, usize)>, ()> {
    let Some(spec) = header.and_then(|v| v.to_str().ok()).and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else { return Ok(None) };
    let (a, b) = (a.trim(), b.trim());
    let range = if a.is_empty() {
        // A suffix: the last N bytes.
        let Ok(n) = b.parse::<usize>() else { return Ok(None) };
        if n == 0 || len == 0 {
            return Err(());
        }
        (len.saturating_sub(n), len - 1)
    } else {
        let Ok(start) = a.parse::<usize>() else { return Ok(None) };
        let end = if b.is_empty() {
            len.saturating_sub(1)
        } else {
            match b.parse::<usize>() {
                Ok(end) if end >= start => end.min(len.saturating_sub(1)),
                _ => return Ok(None),
            }
        };
        if start >= len {
            return Err(());
        }
        (start, end)
    };
    Ok(Some(range))
}

fn bundle_headers(response: &mut Response, built: &BuiltBundle) {
    let h = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&built.etag) {
        h.insert(header::ETAG, etag);
    }
    h.insert("icaze-bundle-version", HeaderValue::from(built.version));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

/// The whole bundle, or the range asked for, its bytes counted as sent.
fn send_bundle(metrics: &ServiceMetrics, built: &BuiltBundle, range: Option<&HeaderValue>) -> Response {
    let len = built.bytes.len();
    let delta = built.base.is_some();
    let mut response = match byte_range(range, len) {
        Ok(None) => {
            metrics.bundle_sent(delta, len);
            (StatusCode::OK, Body::from(built.bytes.clone())).into_response()
        }
        Ok(Some((start, end))) => {
            let part = built.bytes.get(start..=end).map(<[u8]>::to_vec).unwrap_or_default();
            metrics.bundle_sent(delta, part.len());
            let mut r = (StatusCode::PARTIAL_CONTENT, Body::from(part)).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        Err(()) => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
    };
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    bundle_headers(&mut response, built);
    response
}

async fn bundle<S: PermitStore>(
    State(svc): State<Arc<SyncService<S>>>,
    Extension(metrics): Extension<Arc<ServiceMetrics>>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Answer {
    let since: Option<u64> = Query::new(q).parse("since").map_err(SyncError::from)?;
    let range = headers.get(header::RANGE);
    if let (Some(range), Some(if_range)) = (range, headers.get(header::IF_RANGE)) {
        // Resume from that very bundle while the cache has it; else the whole current one.
        let cached = if_range.to_str().ok().and_then(|etag| svc.cached_bundle(etag.trim()));
        if let Some(built) = cached {
            return Ok(send_bundle(&metrics, &built, Some(range)));
        }
        return match blocking(&svc, move |s| s.bundle(since)).await? {
            BundleAnswer::Bundle(built) => Ok(send_bundle(&metrics, &built, None)),
            BundleAnswer::Current { version } => Ok(not_modified(version)),
        };
    }
    match blocking(&svc, move |s| s.bundle(since)).await? {
        BundleAnswer::Current { version } => Ok(not_modified(version)),
        BundleAnswer::Bundle(built) => {
            if names(headers.get(header::IF_NONE_MATCH), &built.etag) {
                let mut response = StatusCode::NOT_MODIFIED.into_response();
                bundle_headers(&mut response, &built);
                return Ok(response);
            }
            Ok(send_bundle(&metrics, &built, range))
        }
    }
}

/// The device holds the current version, made this minute.
fn not_modified(version: u64) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    response.headers_mut().insert("icaze-bundle-version", HeaderValue::from(version));
    response
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeBody {
    serial: Option<u32>,
    serials: Option<Vec<u32>>,
    document: Option<String>,
    reason: String,
}

async fn revoke<S: PermitStore>(call: Call<S>, body: Json<RevokeBody>) -> Answer {
    let (revoked, version) = call
        .run(move |s, caller| {
            let b = body.read()?;
            let target = match (b.serial, b.serials, b.document) {
                (Some(serial), None, None) => RevokeTarget::Serial(serial),
                (None, Some(serials), None) => RevokeTarget::Serials(serials),
                (None, None, Some(document)) => RevokeTarget::Document(document),
                _ => {
                    return Err(SyncError::Invalid {
                        code: "invalid_target",
                        message: "give exactly one of `serial`, `serials` and `document`".into(),
                    })
                }
            };
            s.revoke(caller, target, &b.reason)
        })
        .await?;
    ok(icaze_protocol::api::sync::Revoked { revoked, version })
}

async fn revocations<S: PermitStore>(call: Call<S>, RawQuery(q): RawQuery) -> Answer {
    let q = Query::new(q);
    let rows = call.run(move |s, c| s.revocations(c, q.parse("since_version")?.unwrap_or(0))).await?;
    ok(answers::revocations(&rows))
}

/// The CSV columns of `GET /v1/inspections?format=csv`.
pub const CSV_HEADER: &str =
    "device_id,precinct,seq,at,officer,zone,input,serial,document,verdict,display,reasons,warnings,action,note,lat,lon";

/// One CSV field, quoted when RFC 4180 needs it. A text a spreadsheet
/// would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return: an officer's note, an input read from a QR code) gets a
/// `'` before it, which spreadsheets show as text; numbers (`-12.5`) stay
/// numbers.
fn csv_field(out: &mut String, value: &str) {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']) && value.parse::<f64>().is_err();
    let value: Cow<'_, str> = if formula { Cow::Owned(format!("'{value}")) } else { Cow::Borrowed(value) };
    if value.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&value);
    }
}

fn csv_row(out: &mut String, device_id: &str, precinct: &str, r: &icaze_protocol::InspectionRecord) {
    let outcome = r.outcome.as_ref();
    let fields = [
        device_id.to_owned(),
        precinct.to_owned(),
        r.seq.to_string(),
        r.at.baku().to_rfc3339(),
        r.officer.as_str().to_owned(),
        r.zone.get().to_string(),
        r.input.code().to_owned(),
        r.serial.map(|s| s.0.to_string()).unwrap_or_default(),
        r.document.clone().unwrap_or_default(),
        outcome.map(|o| o.verdict.clone()).unwrap_or_default(),
        outcome.map(|o| o.display.clone()).unwrap_or_default(),
        outcome.map(|o| o.reasons.join(";")).unwrap_or_default(),
        outcome.map(|o| o.warnings.join(";")).unwrap_or_default(),
        r.action.clone().unwrap_or_default(),
        r.note.clone().unwrap_or_default(),
        r.location.map(|l| l.lat().to_string()).unwrap_or_default(),
        r.location.map(|l| l.lon().to_string()).unwrap_or_default(),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, field);
    }
    out.push_str("\r\n");
}

async fn inspections<S: PermitStore>(call: Call<S>, RawQuery(q): RawQuery) -> Answer {
    let q = Query::new(q);
    let csv = match q.get("format") {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            let message = format!("format={other:?}: use json or csv");
            return Err(SyncError::Invalid { code: "invalid_query", message }.into());
        }
    };
    let page = call
        .run(move |s, caller| {
            let filter = InspectionFilter {
                precinct: q.owned("precinct"),
                officer: q.owned("officer"),
                zone: q.parse("zone")?,
                device: q.owned("device"),
                from: q.time("from")?,
                to: q.time("to")?,
                violations: matches!(q.get("violations"), Some("true" | "1")),
                limit: q.parse("limit")?,
                after: q.owned("after"),
            };
            s.inspections(caller, &filter)
        })
        .await?;
    if csv {
        let mut out = String::with_capacity(128 * (page.records.len() + 1));
        // A byte-order mark first, so that spreadsheets read the file as UTF-8 (ə, ş, ğ).
        out.push('\u{feff}');
        out.push_str(CSV_HEADER);
        out.push_str("\r\n");
        for (device_id, precinct, record) in &page.records {
            csv_row(&mut out, device_id, precinct, record);
        }
        let mut response = (StatusCode::OK, out).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        if let Some(next) = page.next.as_deref().and_then(|n| HeaderValue::from_str(n).ok()) {
            response.headers_mut().insert("icaze-next", next);
        }
        return Ok(response);
    }
    ok(answers::inspections(&page))
}

async fn hourly<S: PermitStore>(call: Call<S>, RawQuery(q): RawQuery) -> Answer {
    let q = Query::new(q);
    let stats = call.run(move |s, c| s.hourly(c, q.get("precinct"), q.time("from")?, q.time("to")?)).await?;
    ok(answers::activity(&stats))
}

/// `GET /v1/audit?after=ID&limit=N` (administrators; not in the spec's
/// version 1): the audit trail, oldest first, with each entry's `id` for the
/// next page.
async fn audit<S: PermitStore>(call: Call<S>, RawQuery(q): RawQuery) -> Answer {
    let q = Query::new(q);
    let entries = call
        .run(move |s, c| {
            s.audit_trail(c, q.parse("after")?.unwrap_or(0), q.parse("limit")?.unwrap_or(super::DEFAULT_PAGE))
        })
        .await?;
    ok(answers::audit(&entries))
}

async fn reload_keys<S: PermitStore>(call: Call<S>) -> Answer {
    ok(answers::keys_reloaded(&call.run(|s, caller| s.reload_keys(caller)).await?))
}

async fn whoami<S: PermitStore>(call: Call<S>) -> Answer {
    ok(answers::whoami(&call.run(|_, caller| Ok(caller.clone())).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SupervisorBody {
    name: String,
    precinct: String,
    /// `supervisor` (the default) or `investigator`.
    #[serde(default)]
    role: Option<String>,
}

async fn add_supervisor<S: PermitStore>(call: Call<S>, body: Json<SupervisorBody>) -> Answer {
    let added = call
        .run(move |s, caller| {
            let b = body.read()?;
            let role = match b.role.as_deref() {
                None => SupervisorRole::Supervisor,
                Some(text) => SupervisorRole::parse(text).ok_or_else(|| api::BadRequest {
                    code: "invalid_role",
                    message: format!("role {text:?}: use supervisor or investigator"),
                })?,
            };
            let token = s.add_supervisor(caller, &b.name, &b.precinct, role)?;
            Ok(SupervisorAdded { name: b.name, precinct: b.precinct, role: role.as_str().to_owned(), token })
        })
        .await?;
    reply(StatusCode::CREATED, added)
}

async fn remove_supervisor<S: PermitStore>(call: Call<S>, Path(name): Path<String>) -> Answer {
    let removed = name.clone();
    call.run(move |s, caller| s.remove_supervisor(caller, &name)).await?;
    ok(SupervisorRemoved { name: removed, removed: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges() {
        let v = |s: &str| HeaderValue::from_str(s).unwrap();
        assert_eq!(byte_range(None, 10), Ok(None));
        assert_eq!(byte_range(Some(&v("bytes=2-")), 10), Ok(Some((2, 9))));
        assert_eq!(byte_range(Some(&v("bytes=2-4")), 10), Ok(Some((2, 4))));
        assert_eq!(byte_range(Some(&v("bytes=2-40")), 10), Ok(Some((2, 9))));
        assert_eq!(byte_range(Some(&v("bytes=-3")), 10), Ok(Some((7, 9))));
        assert_eq!(byte_range(Some(&v("bytes=10-")), 10), Err(()));
        assert_eq!(byte_range(Some(&v("bytes=4-2")), 10), Ok(None));
        assert_eq!(byte_range(Some(&v("bytes=0-1,3-4")), 10), Ok(None));
        assert_eq!(byte_range(Some(&v("items=0-1")), 10), Ok(None));
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        let mut out = String::new();
        csv_field(&mut out, "a,b \"c\"");
        assert_eq!(out, "\"a,b \"\"c\"\"\"");
        let mut plain = String::new();
        csv_field(&mut plain, "B-1042");
        assert_eq!(plain, "B-1042");
        for (formula, written) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("-49.8671", "-49.8671"),
            ("Gəncə", "Gəncə"),
        ] {
            let mut out = String::new();
            csv_field(&mut out, formula);
            assert_eq!(out, written, "{formula:?}");
        }
    }
}
