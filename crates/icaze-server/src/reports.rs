//! The administrator's searches of permits and refused SMS requests, and the
//! abuse report of the SMS codes (issue 23), as JSON and CSV:
//!
//! - `GET /admin/search?document=&phone=&code=&from=&to=&limit=`: newest
//!   first; `from` and `to` are Baku days (`YYYY-MM-DD`, `to` inclusive), the
//!   last day by default.
//! - `GET /admin/report/codes?from=&to=&code=1&threshold=1.5&baseline_days=7&format=csv`:
//!   requests per code and hour, each code's share against its share in the
//!   baseline days before, the top phones and documents of the watched code.
//!
//! Both show documents and phones: they are for the administrator's token only,
//! and every search is written to the audit log (`icaze::audit`: who, what was
//! looked for, how many rows), since it reads a person's data.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use icaze_core::UtcMinute;
use icaze_permits::report::{code_report, CodeReport, ReportRequest};
use icaze_permits::store::{Found, PermitStore, Search};
use serde::{Deserialize, Serialize};

use crate::http::{is_admin, AppState};

/// The most rows a search returns.
const MAX_ROWS: u32 = 1000;

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    document: Option<String>,
    phone: Option<String>,
    code: Option<u8>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
}

#[derive(Deserialize)]
pub(crate) struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    code: Option<u8>,
    threshold: Option<f64>,
    baseline_days: Option<u32>,
    format: Option<String>,
}

/// One row of a search's answer.
#[derive(Serialize)]
struct FoundAnswer {
    at: String,
    document: String,
    phone: String,
    code: u8,
    channel: &'static str,
    serial: Option<u32>,
    reason: Option<String>,
}

impl From<Found> for FoundAnswer {
    fn from(f: Found) -> Self {
        let channel = match (f.code, f.purpose) {
            (1.., _) => "sms",
            (0, p) if p == icaze_core::Purpose::Funeral.code() => "callcentre",
            _ => "portal",
        };
        FoundAnswer {
            at: f.at.to_rfc3339_utc(),
            document: f.document,
            phone: f.phone,
            code: f.code,
            channel,
            serial: f.serial.map(|s| s.0),
            reason: f.reason,
        }
    }
}

#[derive(Serialize)]
struct SearchAnswer {
    found: Vec<FoundAnswer>,
    /// More rows matched than `limit`.
    truncated: bool,
}

#[derive(Serialize)]
struct HourAnswer {
    hour: String,
    code: u8,
    permits: u32,
    refused: u32,
}

#[derive(Serialize)]
struct ShareAnswer {
    code: u8,
    requests: u64,
    share: f64,
    usual_share: Option<f64>,
    alert: bool,
}

#[derive(Serialize)]
struct Count {
    key: String,
    permits: u32,
}

#[derive(Serialize)]
struct ReportAnswer {
    from: String,
    to: String,
    watched_code: u8,
    threshold: f64,
    baseline_days: u32,
    alert: bool,
    hours: Vec<HourAnswer>,
    shares: Vec<ShareAnswer>,
    top_phones: Vec<Count>,
    top_documents: Vec<Count>,
}

impl From<&CodeReport> for ReportAnswer {
    fn from(r: &CodeReport) -> Self {
        let counts = |list: &[(String, u32)]| {
            list.iter().map(|(key, permits)| Count { key: key.clone(), permits: *permits }).collect()
        };
        ReportAnswer {
            from: r.request.from.to_rfc3339_utc(),
            to: r.request.to.to_rfc3339_utc(),
            watched_code: r.request.watched,
            threshold: r.request.threshold,
            baseline_days: r.request.baseline_days,
            alert: r.alert(),
            hours: r
                .hours
                .iter()
                .map(|h| HourAnswer {
                    hour: h.hour.to_rfc3339_utc(),
                    code: h.code,
                    permits: h.permits,
                    refused: h.refused,
                })
                .collect(),
            shares: r
                .shares
                .iter()
                .map(|s| ShareAnswer {
                    code: s.code,
                    requests: s.requests,
                    share: s.share,
                    usual_share: s.usual_share,
                    alert: s.alert,
                })
                .collect(),
            top_phones: counts(&r.top.phones),
            top_documents: counts(&r.top.documents),
        }
    }
}

fn refuse(status: StatusCode, message: String) -> Response {
    (status, format!("{message}\n")).into_response()
}

/// The start of a Baku day `YYYY-MM-DD`.
fn baku_day_start(text: &str, what: &str) -> Result<UtcMinute, String> {
    UtcMinute::parse_rfc3339(&format!("{}T00:00:00+04:00", text.trim()))
        .map_err(|_| format!("{what}: {text:?} is not a day (YYYY-MM-DD)"))
}

/// The period `from ..= to` (Baku days), by default the 24 hours up to now.
fn period(from: Option<&str>, to: Option<&str>, now: UtcMinute) -> Result<(UtcMinute, UtcMinute), String> {
    let day = 24 * 60;
    let end = match to {
        Some(to) => baku_day_start(to, "to")?.checked_add(day).unwrap_or(now),
        // This minute included.
        None => now.checked_add(1).unwrap_or(now),
    };
    let start = match from {
        Some(from) => baku_day_start(from, "from")?,
        None => UtcMinute::from_unix_minutes(end.unix_minutes().saturating_sub(day)),
    };
    if start >= end {
        return Err("from must be before to".into());
    }
    Ok((start, end))
}

fn canonical_document(text: &str) -> Result<String, String> {
    icaze_core::DocumentNumber::parse(text).map(|d| d.canonical()).map_err(|e| format!("document: {e}"))
}

pub(crate) async fn search<S: PermitStore>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    Query(query): Query<SearchQuery>,
) -> Response {
    if !is_admin(&state, &headers) {
        return refuse(StatusCode::UNAUTHORIZED, "an administrator's bearer token is required".into());
    }
    let (from, to) = match period(query.from.as_deref(), query.to.as_deref(), state.clock.now()) {
        Ok(period) => period,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, message),
    };
    let document = match query.document.as_deref().map(canonical_document).transpose() {
        Ok(document) => document,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, message),
    };
    let phone = match query.phone.as_deref().map(icaze_permits::csv::phone).transpose() {
        Ok(phone) => phone,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, format!("phone: {e}")),
    };
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_ROWS);
    let search = Search { document, phone, code: query.code, from, to, limit: limit + 1 };
    let state2 = state.clone();
    let asked = search.clone();
    let found = match tokio::task::spawn_blocking(move || state2.sms.store().search(&asked)).await {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => return refuse(StatusCode::SERVICE_UNAVAILABLE, format!("the database: {e}")),
        Err(_) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "the search failed".into()),
    };
    tracing::info!(
        target: "icaze::audit",
        who = "administrator",
        document = ?search.document,
        phone = ?search.phone,
        code = ?search.code,
        from = %from.to_rfc3339_utc(),
        to = %to.to_rfc3339_utc(),
        rows = found.len().min(limit as usize),
        "permits searched"
    );
    let truncated = found.len() > limit as usize;
    let found = found.into_iter().take(limit as usize).map(FoundAnswer::from).collect();
    no_store((StatusCode::OK, axum::Json(SearchAnswer { found, truncated })).into_response())
}

pub(crate) async fn code_report_route<S: PermitStore>(
    State(state): State<Arc<AppState<S>>>,
    headers: HeaderMap,
    Query(query): Query<ReportQuery>,
) -> Response {
    if !is_admin(&state, &headers) {
        return refuse(StatusCode::UNAUTHORIZED, "an administrator's bearer token is required".into());
    }
    let (from, to) = match period(query.from.as_deref(), query.to.as_deref(), state.clock.now()) {
        Ok(period) => period,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, message),
    };
    let threshold = query.threshold.unwrap_or(DEFAULT_THRESHOLD);
    if !(threshold.is_finite() && threshold > 0.0) {
        return refuse(StatusCode::BAD_REQUEST, "threshold: a positive number".into());
    }
    let request = ReportRequest {
        from,
        to,
        watched: query.code.unwrap_or(1),
        baseline_days: query.baseline_days.unwrap_or(7).min(366),
        threshold,
        top: 20,
    };
    let state2 = state.clone();
    let report = match tokio::task::spawn_blocking(move || code_report(state2.sms.store().as_ref(), request)).await {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => return refuse(StatusCode::SERVICE_UNAVAILABLE, format!("the database: {e}")),
        Err(_) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "the report failed".into()),
    };
    tracing::info!(target: "icaze::audit", who = "administrator", from = %from.to_rfc3339_utc(), to = %to.to_rfc3339_utc(), "code report read");
    match query.format.as_deref() {
        Some("csv") => {
            no_store(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], report_csv(&report)).into_response())
        }
        None | Some("json") => no_store((StatusCode::OK, axum::Json(ReportAnswer::from(&report))).into_response()),
        Some(other) => refuse(StatusCode::BAD_REQUEST, format!("format: {other:?}; use json or csv")),
    }
}

/// The factor past a code's usual share that flags it.
pub const DEFAULT_THRESHOLD: f64 = 1.5;

/// The report's hours as CSV, one line per hour and code, each with the
/// code's share of the hour.
fn report_csv(report: &CodeReport) -> String {
    let mut out = String::from("hour_utc,hour_baku,code,permits,refused,share_of_hour\n");
    let mut totals = std::collections::BTreeMap::new();
    for h in &report.hours {
        *totals.entry(h.hour).or_insert(0u64) += u64::from(h.permits) + u64::from(h.refused);
    }
    for h in &report.hours {
        let total = totals.get(&h.hour).copied().unwrap_or(0).max(1);
        let share = (u64::from(h.permits) + u64::from(h.refused)) as f64 / total as f64;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{share:.3}",
            h.hour.to_rfc3339_utc(),
            h.hour.baku(),
            h.code,
            h.permits,
            h.refused
        );
    }
    out
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

/// The codes' shares of the last day against their usual shares, for
/// `/metrics` (`icaze_code_share_ratio`, `icaze_code_share_alert`): computed
/// when a scrape finds them older than [`CodeShareGauges::MAX_AGE`], so a
/// scrape every few seconds costs one report a minute.
#[derive(Default)]
pub struct CodeShareGauges {
    last: tokio::sync::Mutex<Option<(std::time::Instant, Vec<icaze_permits::report::CodeShare>)>>,
}

impl CodeShareGauges {
    /// How long a computed report serves the scrapes.
    pub const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

    /// The gauges' lines, the report made again first if it is stale.
    pub(crate) async fn render<S: PermitStore>(&self, state: &Arc<AppState<S>>) -> String {
        let mut last = self.last.lock().await;
        if last.as_ref().is_none_or(|(at, _)| at.elapsed() > Self::MAX_AGE) {
            let now = state.clock.now();
            let request = ReportRequest {
                from: UtcMinute::from_unix_minutes(now.unix_minutes().saturating_sub(24 * 60)),
                to: now.checked_add(1).unwrap_or(now),
                watched: 1,
                baseline_days: 7,
                threshold: DEFAULT_THRESHOLD,
                top: 0,
            };
            let state = state.clone();
            match tokio::task::spawn_blocking(move || code_report(state.sms.store().as_ref(), request)).await {
                Ok(Ok(report)) => *last = Some((std::time::Instant::now(), report.shares)),
                Ok(Err(e)) => tracing::warn!(error = %e, "the code shares could not be computed"),
                Err(e) => tracing::warn!(error = %e, "the code shares could not be computed"),
            }
        }
        let Some((_, shares)) = last.as_ref() else { return String::new() };
        let mut out = String::from(
            "# HELP icaze_code_share_ratio An SMS code's share of the last day's requests over its share in the 7 days before.\n\
             # TYPE icaze_code_share_ratio gauge\n",
        );
        for s in shares {
            if let Some(usual) = s.usual_share.filter(|u| *u > 0.0) {
                let _ = writeln!(out, "icaze_code_share_ratio{{code=\"{}\"}} {:.3}", s.code, s.share / usual);
            }
        }
        out.push_str(
            "# HELP icaze_code_share_alert 1 when an SMS code's share of the last day is over 1.5 times its usual share.\n\
             # TYPE icaze_code_share_alert gauge\n",
        );
        for s in shares {
            let _ = writeln!(out, "icaze_code_share_alert{{code=\"{}\"}} {}", s.code, u8::from(s.alert));
        }
        out
    }
}
