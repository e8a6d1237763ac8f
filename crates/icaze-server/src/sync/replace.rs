//! `PUT /v1/registries/people` (`docs/feeds.md`): the population registry
//! replaced whole by the agency holding the `people` feed credential, as a
//! job that outlives the request. The body is streamed into the backend's
//! `replace_people_job` and never held whole — the axum body's frames go
//! through a bounded channel to a blocking thread that reads them as
//! [`std::io::Read`] — and the PUT answers `202 Accepted` with the job's
//! record and its `Location` once the body is read and staged; the
//! comparison, the swap and the audit go on on that thread.
//!
//! The job's record is the store's (`registry.db` or the permits schema), so
//! `GET /v1/registries/people/replacements/{id}` and `GET
//! /v1/registries/people/replacement` (the newest) answer from any
//! instance, and a job whose instance died reads `interrupted`.
//!
//! The upload is not bound by the listener's request timeout but by its
//! upload timeout ([`crate::listener::Deadline::upload`]); the idle timeout
//! still closes one that stops sending.
//!
//! Not here: the rules of the credential and the audit (the sync service's
//! `feed_for` and `people_replaced`), and one replacement at a time (the
//! backend's lock, across instances: `Busy`, answered `409`).

use std::io::Read;
use std::pin::Pin;
use std::sync::Arc;

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::routing::{get, put};
use axum::{Extension, Router};
use icaze_permits::feeds::Registry;
use icaze_permits::replace::{JobId, JobStart, ReplaceError, ReplaceLimits, ReplaceProgress, ReplacementJob};
use icaze_permits::Clock;
use icaze_protocol::api::feeds as api;
use tokio::sync::{mpsc, oneshot};

use super::{SyncError, SyncService};
use crate::api::{ok, reply, Answer, ApiError, Credentials, Query};
use crate::database::PermitBackend;
use crate::listener::Deadline;

/// Frames of the body held between the connection and the loading thread.
const CHANNEL_FRAMES: usize = 16;

/// Where a job's record is read.
const JOBS: &str = "/v1/registries/people/replacements";

/// What the routes hold: the services, the backend the jobs run on, and the
/// clock their times are read from.
pub struct Replacements {
    sync: Arc<SyncService<PermitBackend>>,
    store: Arc<PermitBackend>,
    clock: Arc<dyn Clock>,
}

impl Replacements {
    /// The routes' state over the sync service and the backend it stores in.
    pub fn new(sync: Arc<SyncService<PermitBackend>>, store: Arc<PermitBackend>, clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self { sync, store, clock })
    }

    /// The record of job `id` (the newest with `None`), as answered.
    async fn job(self: &Arc<Self>, id: Option<JobId>) -> Result<Option<api::ReplacementJob>, ApiError> {
        let state = self.clone();
        let found = tokio::task::spawn_blocking(move || state.store.replacement_job(id)).await.map_err(worker)?;
        Ok(found.map_err(|e| ApiError::from(SyncError::Store(e)))?.map(answer))
    }

    /// The caller, checked to hold the `people` feed credential.
    async fn feed(self: &Arc<Self>, credentials: Credentials) -> Result<String, ApiError> {
        let sync = self.sync.clone();
        let credential = tokio::task::spawn_blocking(move || {
            sync.feed_for(credentials.bearer.as_deref(), Registry::People.as_str())
        })
        .await
        .map_err(worker)??;
        Ok(credential.agency)
    }
}

/// The routes, over their own state.
pub fn routes(state: Arc<Replacements>) -> Router {
    Router::new()
        .route("/v1/registries/people", put(replace).layer(DefaultBodyLimit::disable()))
        .route("/v1/registries/people/replacement", get(newest))
        .route("/v1/registries/people/replacements/{id}", get(job))
        .with_state(state)
}

/// A job's record as answered.
fn answer(job: ReplacementJob) -> api::ReplacementJob {
    api::ReplacementJob {
        id: job.id.0,
        agency: job.agency,
        forced: job.forced,
        started_at: job.started_at.to_rfc3339_utc(),
        state: job.state.as_str().to_owned(),
        lines: job.lines,
        bytes: job.bytes,
        loaded: job.loaded,
        registered: job.registered,
        removed: job.removed,
        problem_count: job.problem_count,
        problems: job.problems.into_iter().map(|p| api::RowProblem { line: p.line, message: p.message }).collect(),
        reason: job.reason,
        ended_at: job.ended_at.map(|at| at.to_rfc3339_utc()),
    }
}

/// The body's frames as [`Read`], on the loading thread.
struct ChannelReader {
    frames: mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.frames.blocking_recv() {
                Some(Ok(frame)) => self.current = frame,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

async fn replace(
    State(state): State<Arc<Replacements>>,
    credentials: Credentials,
    deadline: Option<Extension<Deadline>>,
    RawQuery(q): RawQuery,
    mut body: Body,
) -> Answer {
    let force = match Query::new(q).get("force") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            let message = format!("force={other:?}: give force=true or leave it out");
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message));
        }
    };
    let agency = state.feed(credentials).await?;
    if let Some(Extension(deadline)) = deadline {
        deadline.upload();
    }
    let (send, frames) = mpsc::channel(CHANNEL_FRAMES);
    // The body is read here, on the runtime, while the thread loads it.
    tokio::spawn(async move {
        loop {
            let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
            let item = match frame {
                None => return,
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => Ok(data),
                    Err(_) => continue, // trailers
                },
                Some(Err(e)) => Err(format!("the request body broke off: {e}")),
            };
            let broken = item.is_err();
            if send.send(item).await.is_err() || broken {
                return;
            }
        }
    });
    let (staged, accepted) = oneshot::channel();
    let runner = state.clone();
    // Not awaited past the staging: the job outlives the request.
    tokio::task::spawn_blocking(move || run(&runner, &agency, force, frames, staged));
    let id = match accepted.await {
        Ok(Ok(id)) => id,
        Ok(Err(e)) => return Err(e),
        Err(_) => return Err(worker("the replacement's thread ended without an answer")),
    };
    let Some(job) = state.job(Some(id)).await? else {
        return Err(worker(format!("the replacement {id} has no record")));
    };
    let mut response = reply(StatusCode::ACCEPTED, job)?;
    // A number's text is always a valid header value.
    if let Ok(location) = HeaderValue::from_str(&format!("{JOBS}/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// On the loading thread: the replacement as a job, `staged` told its number
/// once the body is read (or why it did not start or stopped before), then
/// the comparison, the swap and the audit.
fn run(
    state: &Replacements,
    agency: &str,
    force: bool,
    frames: mpsc::Receiver<Result<Bytes, String>>,
    staged: oneshot::Sender<Result<JobId, ApiError>>,
) {
    let reader = std::io::BufReader::with_capacity(1 << 16, ChannelReader { frames, current: Bytes::new() });
    let limits = ReplaceLimits { force, ..ReplaceLimits::default() };
    let job = JobStart { agency, forced: force, clock: &*state.clock };
    let (mut id, mut staged) = (None, Some(staged));
    let mut told = |p: ReplaceProgress| match p {
        ReplaceProgress::Started { job } => id = Some(job),
        ReplaceProgress::Loading { lines, bytes } => {
            tracing::info!(agency, lines, bytes, "population registry loading")
        }
        ReplaceProgress::Comparing { loaded } => {
            tracing::info!(agency, loaded, "population registry read; comparing");
            if let (Some(staged), Some(id)) = (staged.take(), id) {
                let _ = staged.send(Ok(id));
            }
        }
        _ => {}
    };
    let result = state.store.replace_people_job(reader, &job, limits, &mut told);
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            tracing::warn!(agency, error = %e, "population registry replacement stopped");
            if let Some(staged) = staged.take() {
                let _ = staged.send(Err(stopped(e)));
            }
            return;
        }
    };
    if let Err(e) = state.sync.people_replaced(agency, force, &report) {
        tracing::error!(agency, error = %e, "a population registry replacement was not audited");
    }
    tracing::info!(
        agency,
        job = ?id,
        loaded = report.loaded,
        removed = report.removed.len(),
        problems = report.problem_count,
        refused = report.refused.is_some(),
        "population registry replacement ended"
    );
}

/// A replacement that stopped before it was staged.
fn stopped(e: ReplaceError) -> ApiError {
    match e {
        ReplaceError::Busy => ApiError::new(StatusCode::CONFLICT, "replacement_running", e.to_string()),
        ReplaceError::Read(_) => ApiError::new(StatusCode::BAD_REQUEST, "bad_body", e.to_string()),
        ReplaceError::Store(s) => ApiError::from(SyncError::Store(s)),
        other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", other.to_string()),
    }
}

fn worker(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "a worker failed");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("a worker failed: {e}"))
}

/// `GET /v1/registries/people/replacements/{id}`: the job's record.
async fn job(State(state): State<Arc<Replacements>>, credentials: Credentials, Path(id): Path<String>) -> Answer {
    state.feed(credentials).await?;
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no replacement {id:?}"));
    let number = id.parse::<i64>().map_err(|_| not_found())?;
    ok(state.job(Some(JobId(number))).await?.ok_or_else(not_found)?)
}

/// `GET /v1/registries/people/replacement`: how far the newest job is.
async fn newest(State(state): State<Arc<Replacements>>, credentials: Credentials) -> Answer {
    state.feed(credentials).await?;
    let progress = match state.job(None).await? {
        None => {
            api::ReplacementProgress { state: "idle".into(), id: None, agency: None, lines: 0, bytes: 0, loaded: 0 }
        }
        Some(job) => api::ReplacementProgress {
            state: job.state,
            id: Some(job.id),
            agency: Some(job.agency),
            lines: job.lines,
            bytes: job.bytes,
            loaded: job.loaded,
        },
    };
    ok(progress)
}

#[cfg(test)]
mod tests {
    use icaze_core::UtcMinute;
    use icaze_permits::replace::JobState;
    use icaze_permits::store::RowProblem;
    use serde_json::Value;

    use super::*;

    fn job(state: JobState, reason: Option<&str>, ended: Option<u32>) -> ReplacementJob {
        let started = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").unwrap();
        ReplacementJob {
            id: JobId(7),
            agency: "asan".into(),
            forced: false,
            started_at: started,
            state,
            lines: 12,
            bytes: 300,
            loaded: 10,
            registered: 100,
            removed: 0,
            problem_count: 1,
            problems: vec![RowProblem { line: 3, message: "the zone is not a number".into() }],
            reason: reason.map(str::to_owned),
            ended_at: ended.and_then(|m| started.checked_add(m)),
        }
    }

    #[test]
    fn a_job_is_answered_with_its_state_by_name_and_its_times_in_utc() {
        let refused = job(JobState::Refused, Some("90 of the 100 people registered are not in the file"), Some(2));
        let json = crate::api::round_trip(&answer(refused));
        assert_eq!((json["id"].as_i64(), json["state"].as_str()), (Some(7), Some("refused")), "{json}");
        assert_eq!(
            (json["started_at"].as_str(), json["ended_at"].as_str()),
            (Some("2020-12-15T06:00:00Z"), Some("2020-12-15T06:02:00Z"))
        );
        assert_eq!(json["problems"][0]["line"], 3);
        assert!(json["reason"].as_str().is_some_and(|r| r.starts_with("90 of the 100")), "{json}");
        let json = crate::api::round_trip(&answer(job(JobState::Loading, None, None)));
        assert_eq!(
            (json["state"].as_str(), &json["ended_at"], &json["reason"]),
            (Some("loading"), &Value::Null, &Value::Null)
        );
    }
}
