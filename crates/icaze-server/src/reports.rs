//! The searches of permits and refused SMS requests, and the abuse report of
//! the SMS codes (issue 23), as JSON and CSV, routes of the sync API (the
//! caller is the bearer token's, as for `/v1/…`):
//!
//! - `GET /admin/search?document=&phone=&code=&from=&to=&limit=`: newest
//!   first; `from` and `to` are Baku days (`YYYY-MM-DD`, `to` inclusive), the
//!   last day by default.
//! - `GET /admin/report/codes?from=&to=&code=1&threshold=1.5&baseline_days=7&format=csv`:
//!   requests per code and hour, each code's share against its share in the
//!   baseline days before, the top phones and documents of the watched code.
//!
//! Who may see what, and the audit line of every view, are the sync
//! service's rules (`icaze_sync_service::people`): the administrator and
//! investigators search by document or phone and see them in full, a plain
//! supervisor sees them masked and searches by code and period only (`403`).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::RawQuery;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use icaze_core::UtcMinute;
use icaze_permits::report::{code_report, CodeReport, ReportRequest};
use icaze_permits::store::{Found, PermitStore, Search};
use icaze_protocol::api::report as api;
use icaze_sync_service::{PeopleAccess, SyncError, SyncService};

use crate::api::{ok, Answer, BadRequest, Call, Query};
use crate::http::AppState;

/// The most rows a search returns.
const MAX_ROWS: u32 = 1000;

fn found(f: Found) -> api::Found {
    let channel = match (f.code, f.purpose) {
        (1.., _) => "sms",
        (0, p) if p == icaze_core::Purpose::Funeral.code() => "callcentre",
        _ => "portal",
    };
    api::Found {
        at: f.at.to_rfc3339_utc(),
        document: f.document,
        phone: f.phone,
        code: f.code,
        channel: channel.to_owned(),
        serial: f.serial.map(|s| s.0),
        reason: f.reason,
    }
}

/// The report as the API answers it.
pub fn report_answer(r: &CodeReport, access: PeopleAccess) -> api::CodeReport {
    let counts = |list: &[(String, u32)]| {
        list.iter().map(|(key, permits)| api::Requester { key: key.clone(), permits: *permits }).collect()
    };
    api::CodeReport {
        from: r.request.from.to_rfc3339_utc(),
        to: r.request.to.to_rfc3339_utc(),
        watched_code: r.request.watched,
        threshold: r.request.threshold,
        baseline_days: r.request.baseline_days,
        alert: r.alert(),
        hours: r
            .hours
            .iter()
            .map(|h| api::CodeHour {
                hour: h.hour.to_rfc3339_utc(),
                code: h.code,
                permits: h.permits,
                refused: h.refused,
            })
            .collect(),
        shares: r
            .shares
            .iter()
            .map(|s| api::CodeShare {
                code: s.code,
                requests: s.requests,
                share: s.share,
                usual_share: s.usual_share,
                alert: s.alert,
            })
            .collect(),
        top_phones: counts(&r.top.phones),
        top_documents: counts(&r.top.documents),
        masked: access == PeopleAccess::Masked,
    }
}

fn bad(message: String) -> BadRequest {
    BadRequest { code: "invalid_query", message }
}

/// The start of a Baku day `YYYY-MM-DD`.
fn baku_day_start(text: &str, what: &str) -> Result<UtcMinute, BadRequest> {
    UtcMinute::parse_rfc3339(&format!("{}T00:00:00+04:00", text.trim()))
        .map_err(|_| bad(format!("{what}: {text:?} is not a day (YYYY-MM-DD)")))
}

/// The period `from ..= to` (Baku days), by default the 24 hours up to now.
fn period(q: &Query, now: UtcMinute) -> Result<(UtcMinute, UtcMinute), BadRequest> {
    let day = 24 * 60;
    let end = match q.get("to") {
        Some(to) => baku_day_start(to, "to")?.checked_add(day).unwrap_or(now),
        // This minute included.
        None => now.checked_add(1).unwrap_or(now),
    };
    let start = match q.get("from") {
        Some(from) => baku_day_start(from, "from")?,
        None => UtcMinute::from_unix_minutes(end.unix_minutes().saturating_sub(day)),
    };
    if start >= end {
        return Err(bad("from must be before to".into()));
    }
    Ok((start, end))
}

fn search_of(q: &Query, now: UtcMinute) -> Result<(Search, u32), BadRequest> {
    let (from, to) = period(q, now)?;
    let document = q
        .get("document")
        .map(|d| icaze_core::DocumentNumber::parse(d).map(|d| d.canonical()))
        .transpose()
        .map_err(|e| bad(format!("document: {e}")))?;
    let phone = q.get("phone").map(icaze_permits::csv::phone).transpose().map_err(|e| bad(format!("phone: {e}")))?;
    let limit = q.parse::<u32>("limit")?.unwrap_or(100).clamp(1, MAX_ROWS);
    Ok((Search { document, phone, code: q.parse("code")?, from, to, limit: limit + 1 }, limit))
}

/// `GET /admin/search`.
pub(crate) async fn search<S: PermitStore>(call: Call<SyncService<S>>, RawQuery(q): RawQuery) -> Answer {
    let q = Query::new(q);
    let answer = call
        .run_as(
            |s, creds| s.authenticate(creds.bearer.as_deref()),
            move |s, caller| {
                let (search, limit) = search_of(&q, s.now())?;
                let (found, access) = s.search_permits(caller, &search)?;
                let truncated = found.len() > limit as usize;
                Ok(api::SearchAnswer {
                    found: found.into_iter().take(limit as usize).map(self::found).collect(),
                    truncated,
                    masked: access == PeopleAccess::Masked,
                })
            },
        )
        .await?;
    ok(answer)
}

fn report_request(q: &Query, now: UtcMinute) -> Result<ReportRequest, BadRequest> {
    let (from, to) = period(q, now)?;
    let threshold = q.parse::<f64>("threshold")?.unwrap_or(DEFAULT_THRESHOLD);
    if !(threshold.is_finite() && threshold > 0.0) {
        return Err(bad("threshold: a positive number".into()));
    }
    Ok(ReportRequest {
        from,
        to,
        watched: q.parse("code")?.unwrap_or(1),
        baseline_days: q.parse::<u32>("baseline_days")?.unwrap_or(7).min(366),
        threshold,
        top: 20,
    })
}

/// `GET /admin/report/codes`, JSON or (`format=csv`) CSV.
pub(crate) async fn code_report_route<S: PermitStore>(call: Call<SyncService<S>>, RawQuery(q): RawQuery) -> Answer {
    let q = Query::new(q);
    let csv = match q.get("format") {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(SyncError::from(bad(format!("format: {other:?}; use json or csv"))).into()),
    };
    let (report, access) = call
        .run_as(
            |s, creds| s.authenticate(creds.bearer.as_deref()),
            move |s, caller| {
                let request = report_request(&q, s.now())?;
                s.code_report(caller, request)
            },
        )
        .await?;
    if csv {
        let mut response = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], report_csv(&report)).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(response);
    }
    ok(report_answer(&report, access))
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
