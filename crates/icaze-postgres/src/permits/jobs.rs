//! The records of the population registry's replacements kept as jobs
//! ([`icaze_permits::replace::ReplacementJob`]) in the permits schema, shared
//! by every instance.
//!
//! A replacement runs in one transaction on a connection of its own, which
//! no other connection sees until it commits; its record is therefore
//! written on pooled connections, each write committed at once — except its
//! end when swapped, written in the replacement's own transaction, so the
//! record says swapped exactly when the registry was. A record still running
//! is its runner's while the runner holds the replacement's advisory lock;
//! once the lock is free, a reader marks it interrupted ([`sweep`]).

use icaze_core::UtcMinute;
use icaze_permits::replace::{JobEnd, JobId, JobStart, JobState, ReplacementJob};
use icaze_permits::store::{RowProblem, StoreError};
use tokio_postgres::Client;

use super::{col, minute};
use crate::connect::db;

/// Migration 7 of the permits schema: one row a replacement, its times in
/// UTC minutes, and its first bad rows in order.
pub(crate) const MIGRATION: &str = "CREATE TABLE replacements (
        id BIGSERIAL PRIMARY KEY,
        agency TEXT NOT NULL,
        forced BOOLEAN NOT NULL,
        started_at BIGINT NOT NULL,
        state TEXT NOT NULL,
        lines BIGINT NOT NULL DEFAULT 0,
        bytes BIGINT NOT NULL DEFAULT 0,
        loaded BIGINT NOT NULL DEFAULT 0,
        registered BIGINT NOT NULL DEFAULT 0,
        removed BIGINT NOT NULL DEFAULT 0,
        problem_count BIGINT NOT NULL DEFAULT 0,
        reason TEXT,
        ended_at BIGINT
     );
     CREATE TABLE replacement_problems (
        job BIGINT NOT NULL REFERENCES replacements (id),
        n INTEGER NOT NULL,
        line BIGINT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (job, n)
     );";

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A job's start, owned, to be written on the store's runtime.
pub(super) struct Start {
    agency: String,
    forced: bool,
    at: i64,
}

impl Start {
    pub(super) fn of(job: &JobStart<'_>) -> Self {
        Start { agency: job.agency.to_owned(), forced: job.forced, at: i64::from(job.clock.now().unix_minutes()) }
    }
}

/// A job's end, owned, to be written on the store's runtime.
pub(super) struct End {
    state: &'static str,
    counts: [i64; 4],
    reason: Option<String>,
    at: i64,
    lines: Vec<i64>,
    messages: Vec<String>,
}

impl End {
    pub(super) fn of(end: &JobEnd<'_>) -> Self {
        let r = end.report;
        End {
            state: end.state.as_str(),
            counts: [count(r.loaded), count(r.registered), count(r.removed.len()), count(r.problem_count)],
            reason: end.reason.clone(),
            at: i64::from(end.at.unix_minutes()),
            lines: r.problems.iter().map(|p| count(p.line)).collect(),
            messages: r.problems.iter().map(|p| p.message.clone()).collect(),
        }
    }
}

/// A new record, loading; while the runner holds the replacement's lock (so
/// any record still running is a dead runner's, and is marked interrupted in
/// the same statement).
pub(super) async fn start(client: &Client, job: Start) -> Result<JobId, StoreError> {
    let row = client
        .query_one(
            "WITH swept AS (
                UPDATE replacements SET state = 'interrupted' WHERE state IN ('loading', 'comparing')
             )
             INSERT INTO replacements (agency, forced, started_at, state) VALUES ($1, $2, $3, 'loading')
             RETURNING id",
            &[&job.agency, &job.forced, &job.at],
        )
        .await
        .map_err(db)?;
    Ok(JobId(col(&row, 0)?))
}

/// Lines and bytes read so far.
pub(super) async fn loading(client: &Client, id: JobId, lines: i64, bytes: i64) -> Result<(), StoreError> {
    client
        .execute("UPDATE replacements SET lines = $2, bytes = $3 WHERE id = $1", &[&id.0, &lines, &bytes])
        .await
        .map_err(db)?;
    Ok(())
}

/// The file read: comparing.
pub(super) async fn comparing(client: &Client, id: JobId, loaded: i64) -> Result<(), StoreError> {
    client
        .execute("UPDATE replacements SET state = 'comparing', loaded = $2 WHERE id = $1", &[&id.0, &loaded])
        .await
        .map_err(db)?;
    Ok(())
}

/// Its end with its report (in the replacement's transaction when swapped).
pub(super) async fn end(client: &Client, id: JobId, end: End) -> Result<(), StoreError> {
    let [loaded, registered, removed, problems] = end.counts;
    client
        .execute(
            "UPDATE replacements SET state = $2, loaded = $3, registered = $4, removed = $5, problem_count = $6,
                reason = $7, ended_at = $8
             WHERE id = $1",
            &[&id.0, &end.state, &loaded, &registered, &removed, &problems, &end.reason, &end.at],
        )
        .await
        .map_err(db)?;
    client
        .execute(
            "INSERT INTO replacement_problems (job, n, line, message)
             SELECT $1, n::int - 1, line, message FROM unnest($2::bigint[], $3::text[]) WITH ORDINALITY AS p (line, message, n)",
            &[&id.0, &end.lines, &end.messages],
        )
        .await
        .map_err(db)?;
    Ok(())
}

/// Its end by an error: what was read so far stays.
pub(super) async fn failed(client: &Client, id: JobId, reason: String, at: i64) -> Result<(), StoreError> {
    client
        .execute(
            "UPDATE replacements SET state = 'failed', reason = $2, ended_at = $3 WHERE id = $1",
            &[&id.0, &reason, &at],
        )
        .await
        .map_err(db)?;
    Ok(())
}

/// Marks every record still running interrupted if the replacement's lock is
/// free (its runner is gone), in one statement: the lock, tried in the
/// statement's own transaction, is let go at its end.
pub(super) async fn sweep(client: &Client, lock: i64) -> Result<u64, StoreError> {
    client
        .execute(
            "UPDATE replacements SET state = 'interrupted'
             WHERE state IN ('loading', 'comparing') AND pg_try_advisory_xact_lock($1)",
            &[&lock],
        )
        .await
        .map_err(db)
}

/// The record `id`, or the newest with `None`.
pub(super) async fn read(client: &Client, id: Option<JobId>) -> Result<Option<ReplacementJob>, StoreError> {
    let columns = "SELECT id, agency, forced, started_at, state, lines, bytes, loaded, registered, removed,
                problem_count, reason, ended_at FROM replacements";
    let row = match id {
        Some(id) => client.query_opt(&format!("{columns} WHERE id = $1"), &[&id.0]).await,
        None => client.query_opt(&format!("{columns} ORDER BY id DESC LIMIT 1"), &[]).await,
    };
    let Some(r) = row.map_err(db)? else { return Ok(None) };
    let state: String = col(&r, 4)?;
    let unsigned = |i| col::<i64>(&r, i).map(|n| u64::try_from(n).unwrap_or(0));
    let id = JobId(col(&r, 0)?);
    let mut job = ReplacementJob {
        id,
        agency: col(&r, 1)?,
        forced: col(&r, 2)?,
        started_at: minute(col(&r, 3)?)?,
        state: JobState::parse(&state)
            .ok_or_else(|| StoreError::Damaged(format!("the replacement {id} has the unknown state {state:?}")))?,
        lines: unsigned(5)?,
        bytes: unsigned(6)?,
        loaded: unsigned(7)?,
        registered: unsigned(8)?,
        removed: unsigned(9)?,
        problem_count: unsigned(10)?,
        problems: Vec::new(),
        reason: col(&r, 11)?,
        ended_at: col::<Option<i64>>(&r, 12)?.map(minute).transpose()?,
    };
    let rows = client
        .query("SELECT line, message FROM replacement_problems WHERE job = $1 ORDER BY n", &[&id.0])
        .await
        .map_err(db)?;
    for r in &rows {
        job.problems.push(RowProblem { line: usize::try_from(col::<i64>(r, 0)?).unwrap_or(0), message: col(r, 1)? });
    }
    Ok(Some(job))
}

/// Now, as the records keep it.
pub(super) fn now(job: &JobStart<'_>) -> i64 {
    let at: UtcMinute = job.clock.now();
    i64::from(at.unix_minutes())
}
