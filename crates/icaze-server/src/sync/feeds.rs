//! The routes of the registry feeds (`docs/feeds.md`): an agency's batch
//! under its feed credential, and the administrator's credentials and
//! records of batches; each handler a few lines over [`SyncService`], its
//! answer one of `icaze_protocol::api::feeds`.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::Router;
use icaze_core::UtcMinute;
use icaze_permits::feeds::{BatchRecord, FeedCredential, MAX_BATCH_BYTES};
use icaze_protocol::api::feeds as api;
use serde::Deserialize;

use super::{FeedReceipt, SyncError, SyncService};
use crate::api::{self as edge, blocking, ok, reply, Answer, Credentials, Query, RawBody};
use crate::store::PermitStore;

/// The largest JSON body of these routes.
const MAX_JSON: usize = 4 * 1024;

/// The feeds' routes, merged into the sync API's.
pub fn routes<S: PermitStore>() -> Router<Arc<SyncService<S>>> {
    Router::new()
        .route("/v1/feeds", post(add::<S>).get(list::<S>).layer(DefaultBodyLimit::max(MAX_JSON)))
        .route("/v1/feeds/{agency}", delete(remove::<S>))
        // The body's limit is the rules' own plus room, so that a batch too
        // large is refused by the rules with their message.
        .route(
            "/v1/registries/{registry}/batches/{batch_id}",
            post(batch::<S>).layer(DefaultBodyLimit::max(MAX_BATCH_BYTES + 1)),
        )
        .route("/v1/registries/{registry}/batches", get(batches::<S>))
        .route(
            "/v1/registries/organisations",
            put(organisations::<S>).layer(DefaultBodyLimit::max(MAX_ORGANISATIONS_BYTES)),
        )
}

/// The largest list of authorised organisations: far above the bundle's caps,
/// which the rules check row by row.
const MAX_ORGANISATIONS_BYTES: usize = 16 << 20;

/// `PUT /v1/registries/organisations`: the whole list, all or nothing.
async fn organisations<S: PermitStore>(
    State(svc): State<Arc<SyncService<S>>>,
    credentials: Credentials,
    body: RawBody,
) -> Answer {
    let done = blocking(&svc, move |s| {
        let body = body.bytes().map_err(SyncError::from)?;
        match s.replace_organisations(credentials.bearer.as_deref(), &body) {
            Err(e @ SyncError::BadRows(_)) => Ok(Err(e)),
            other => other.map(Ok),
        }
    })
    .await?;
    match done {
        Ok((agency, count)) => ok(api::OrganisationsReplaced { agency, organisations: count as u64 }),
        Err(e) => match &e {
            SyncError::BadRows(problems) => reply(StatusCode::UNPROCESSABLE_ENTITY, refused(&e, problems)),
            _ => Err(e.into()),
        },
    }
}

type Call<S> = edge::Call<SyncService<S>>;
type Json<T> = edge::Json<T, SyncError>;

/// A record as the API writes it.
pub fn record(r: &BatchRecord) -> api::Batch {
    api::Batch {
        agency: r.agency.clone(),
        registry: r.registry.as_str().to_owned(),
        batch_id: r.batch_id.clone(),
        sha256: r.hash.clone(),
        received_at: r.received_at.to_rfc3339_utc(),
        added: r.added,
        removed: r.removed,
    }
}

/// A receipt as the API writes it.
pub fn receipt(r: &FeedReceipt) -> api::BatchApplied {
    api::BatchApplied { batch: record(&r.record), replayed: r.replayed }
}

/// A credential as the API lists it (never its hash).
pub fn feed(c: &FeedCredential) -> api::Feed {
    api::Feed {
        agency: c.agency.clone(),
        registry: c.registry.as_str().to_owned(),
        created_at: c.created_at.to_rfc3339_utc(),
        expires_at: c.expires_at.map(UtcMinute::to_rfc3339_utc),
    }
}

/// The 422 of a batch with bad rows: every one, with its line.
pub fn refused(error: &SyncError, problems: &[icaze_permits::store::RowProblem]) -> api::BatchRefused {
    api::BatchRefused {
        code: error.code().to_owned(),
        message: error.to_string(),
        problems: problems.iter().map(|p| api::RowProblem { line: p.line, message: p.message.clone() }).collect(),
    }
}

async fn batch<S: PermitStore>(
    State(svc): State<Arc<SyncService<S>>>,
    Path((registry, batch_id)): Path<(String, String)>,
    credentials: Credentials,
    body: RawBody,
) -> Answer {
    let done = blocking(&svc, move |s| {
        let body = body.bytes().map_err(SyncError::from)?;
        match s.feed_batch(credentials.bearer.as_deref(), &registry, &batch_id, &body) {
            Err(e @ SyncError::BadRows(_)) => Ok(Err(e)),
            other => other.map(Ok),
        }
    })
    .await?;
    match done {
        Ok(applied) => ok(receipt(&applied)),
        Err(e) => match &e {
            SyncError::BadRows(problems) => reply(StatusCode::UNPROCESSABLE_ENTITY, refused(&e, problems)),
            _ => Err(e.into()),
        },
    }
}

async fn batches<S: PermitStore>(call: Call<S>, Path(registry): Path<String>, RawQuery(q): RawQuery) -> Answer {
    let q = Query::new(q);
    let records = call.run(move |s, c| s.feed_batches(c, &registry, q.parse("limit")?.unwrap_or(100))).await?;
    ok(api::BatchList { batches: records.iter().map(record).collect() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedBody {
    agency: String,
    registry: String,
    /// A date (its start in Baku) or RFC 3339; none: until removed.
    #[serde(default)]
    expires_at: Option<String>,
}

async fn add<S: PermitStore>(call: Call<S>, body: Json<FeedBody>) -> Answer {
    let added = call
        .run(move |s, caller| {
            let b = body.read()?;
            let (credential, token) = s.add_feed(caller, &b.agency, &b.registry, b.expires_at.as_deref())?;
            Ok(api::FeedAdded {
                agency: b.agency,
                registry: b.registry,
                token,
                expires_at: credential.expires_at.map(UtcMinute::to_rfc3339_utc),
            })
        })
        .await?;
    reply(StatusCode::CREATED, added)
}

async fn list<S: PermitStore>(call: Call<S>) -> Answer {
    let feeds = call.run(|s, caller| s.feeds(caller)).await?;
    ok(api::FeedList { feeds: feeds.iter().map(feed).collect() })
}

async fn remove<S: PermitStore>(call: Call<S>, Path(agency): Path<String>) -> Answer {
    let removed = agency.clone();
    call.run(move |s, caller| s.remove_feed(caller, &agency)).await?;
    ok(api::FeedRemoved { agency: removed, removed: true })
}
