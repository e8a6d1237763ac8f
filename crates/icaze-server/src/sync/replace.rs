//! `PUT /v1/registries/people` (`docs/feeds.md`): the population registry
//! replaced whole by the agency holding the `people` feed credential, the
//! body streamed into the backend's `replace_people` and never held whole —
//! the axum body's frames go through a bounded channel to a blocking thread
//! that reads them as [`std::io::Read`] — and `GET
//! /v1/registries/people/replacement`, how far the replacement this instance
//! runs is. The PUT answers when the replacement is done, with its report.
//!
//! Not here: the rules of the credential and the audit (the sync service's
//! `feed_for` and `people_replaced`), and one replacement at a time (the
//! backend's lock, across instances: `Busy`, answered `409`).

use std::io::Read;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::Router;
use icaze_permits::feeds::Registry;
use icaze_permits::replace::{ReplaceError, ReplaceLimits, ReplaceProgress, ReplaceReport};
use icaze_protocol::api::feeds as api;
use tokio::sync::mpsc;

use super::{SyncError, SyncService};
use crate::api::{ok, reply, Answer, ApiError, Credentials, Query};
use crate::database::PermitBackend;

/// Frames of the body held between the connection and the loading thread.
const CHANNEL_FRAMES: usize = 16;

/// What the routes hold: the services and the progress of the replacement
/// this instance runs.
pub struct Replacements {
    sync: Arc<SyncService<PermitBackend>>,
    store: Arc<PermitBackend>,
    progress: Mutex<Option<api::ReplacementProgress>>,
}

impl Replacements {
    /// The routes' state over the sync service and the backend it stores in.
    pub fn new(sync: Arc<SyncService<PermitBackend>>, store: Arc<PermitBackend>) -> Arc<Self> {
        Arc::new(Self { sync, store, progress: Mutex::new(None) })
    }

    fn set(&self, change: impl FnOnce(&mut api::ReplacementProgress)) {
        // A poisoned lock only means a reader panicked: the value is still whole.
        let mut held = self.progress.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = held.as_mut() {
            change(p);
        }
    }
}

/// The routes, over their own state.
pub fn routes(state: Arc<Replacements>) -> Router {
    Router::new()
        .route("/v1/registries/people", put(replace).layer(DefaultBodyLimit::disable()))
        .route("/v1/registries/people/replacement", get(progress))
        .with_state(state)
}

/// The body's frames as [`Read`], on the loading thread.
struct ChannelReader {
    frames: mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
    state: Arc<Replacements>,
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
        let taken = self.current.split_to(n);
        buf[..n].copy_from_slice(&taken);
        let lines = taken.iter().filter(|b| **b == b'\n').count() as u64;
        self.state.set(|p| {
            p.bytes += n as u64;
            p.lines += lines;
        });
        Ok(n)
    }
}

async fn replace(
    State(state): State<Arc<Replacements>>,
    credentials: Credentials,
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
    let sync = state.sync.clone();
    let bearer = credentials.bearer.clone();
    let credential = tokio::task::spawn_blocking(move || sync.feed_for(bearer.as_deref(), Registry::People.as_str()))
        .await
        .map_err(worker)??;
    let agency = credential.agency;
    let (send, frames) = mpsc::channel(CHANNEL_FRAMES);
    // The body is read here, on the runtime, while the thread loads it.
    let pump = tokio::spawn(async move {
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
    let worker_state = state.clone();
    let who = agency.clone();
    let done = tokio::task::spawn_blocking(move || load(&worker_state, &who, force, frames)).await;
    pump.abort();
    let (report, lines, bytes) = done.map_err(worker)??;
    let answer = api::PeopleReplaced {
        agency,
        state: if report.refused.is_some() { "refused" } else { "swapped" }.to_owned(),
        refused: report.refused.as_ref().map(ToString::to_string),
        forced: force,
        lines,
        bytes,
        loaded: report.loaded as u64,
        registered: report.registered as u64,
        removed: report.removed.len() as u64,
        problem_count: report.problem_count as u64,
        problems: report
            .problems
            .iter()
            .map(|p| api::RowProblem { line: p.line, message: p.message.clone() })
            .collect(),
    };
    if report.refused.is_some() {
        reply(StatusCode::UNPROCESSABLE_ENTITY, answer)
    } else {
        ok(answer)
    }
}

/// On the loading thread: the replacement, its progress kept, then audited;
/// answers the report with the lines and bytes read.
fn load(
    state: &Arc<Replacements>,
    agency: &str,
    force: bool,
    frames: mpsc::Receiver<Result<Bytes, String>>,
) -> Result<(ReplaceReport, u64, u64), ApiError> {
    {
        let mut held = state.progress.lock().unwrap_or_else(|e| e.into_inner());
        if held.as_ref().is_some_and(|p| p.state == "loading" || p.state == "comparing") {
            return Err(busy(ReplaceError::Busy));
        }
        *held = Some(api::ReplacementProgress {
            state: "loading".into(),
            agency: Some(agency.to_owned()),
            lines: 0,
            bytes: 0,
            loaded: 0,
        });
    }
    let reader = std::io::BufReader::with_capacity(
        1 << 16,
        ChannelReader { frames, current: Bytes::new(), state: state.clone() },
    );
    let limits = ReplaceLimits { force, ..ReplaceLimits::default() };
    let mut told = |p: ReplaceProgress| match p {
        ReplaceProgress::Comparing { loaded } => {
            tracing::info!(agency, loaded, "population registry read; comparing");
            state.set(|s| {
                s.state = "comparing".into();
                s.loaded = loaded as u64;
            });
        }
        ReplaceProgress::Swapped => state.set(|s| s.state = "swapped".into()),
        ReplaceProgress::Loading { lines, bytes } => {
            tracing::info!(agency, lines, bytes, "population registry loading")
        }
        _ => {}
    };
    let result = state.store.replace_people(reader, limits, &mut told);
    let (lines, bytes) = {
        let mut held = state.progress.lock().unwrap_or_else(|e| e.into_inner());
        let read = held.as_ref().map_or((0, 0), |p| (p.lines, p.bytes));
        *held = None;
        read
    };
    let report = result.map_err(busy)?;
    state.sync.people_replaced(agency, force, &report).map_err(ApiError::from)?;
    tracing::info!(
        agency,
        loaded = report.loaded,
        removed = report.removed.len(),
        problems = report.problem_count,
        refused = report.refused.is_some(),
        "population registry replacement ended"
    );
    Ok((report, lines, bytes))
}

/// A replacement that did not run to its end.
fn busy(e: ReplaceError) -> ApiError {
    match e {
        ReplaceError::Busy => ApiError::new(StatusCode::CONFLICT, "replacement_running", e.to_string()),
        ReplaceError::Read(_) => ApiError::new(StatusCode::BAD_REQUEST, "bad_body", e.to_string()),
        ReplaceError::Store(s) => ApiError::from(SyncError::Store(s)),
        other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", other.to_string()),
    }
}

fn worker(e: tokio::task::JoinError) -> ApiError {
    tracing::error!(error = %e, "a worker failed");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("a worker failed: {e}"))
}

async fn progress(State(state): State<Arc<Replacements>>, credentials: Credentials) -> Answer {
    let sync = state.sync.clone();
    tokio::task::spawn_blocking(move || sync.feed_for(credentials.bearer.as_deref(), Registry::People.as_str()))
        .await
        .map_err(worker)??;
    let held = state.progress.lock().unwrap_or_else(|e| e.into_inner()).clone();
    ok(held.unwrap_or(api::ReplacementProgress { state: "idle".into(), agency: None, lines: 0, bytes: 0, loaded: 0 }))
}
