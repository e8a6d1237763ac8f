//! The records of the population registry's replacements kept as jobs
//! ([`icaze_permits::replace::ReplacementJob`]), in `registry.db` beside the
//! registry, so that the swap's transaction also marks its job swapped.
//!
//! Written only by a replacement's runner while it holds the replacement
//! lock, and by a reader that found a record still running and took the lock
//! itself (its runner is gone: the record is marked interrupted). Times are
//! UTC minutes.

use icaze_core::UtcMinute;
use icaze_permits::replace::{JobEnd, JobId, JobStart, JobState, ReplacementJob};
use icaze_permits::store::RowProblem;
use rusqlite::{params, Connection, OptionalExtension};

use crate::Error;

/// Migration 6 of `registry.db`: one row a replacement, its times in UTC
/// minutes, and its first bad rows in order.
pub(super) const MIGRATION: &str = "CREATE TABLE replacements (
        id INTEGER PRIMARY KEY,
        agency TEXT NOT NULL,
        forced INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        lines INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        loaded INTEGER NOT NULL DEFAULT 0,
        registered INTEGER NOT NULL DEFAULT 0,
        removed INTEGER NOT NULL DEFAULT 0,
        problem_count INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        ended_at INTEGER
     );
     CREATE TABLE replacement_problems (
        job INTEGER NOT NULL,
        n INTEGER NOT NULL,
        line INTEGER NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (job, n)
     ) WITHOUT ROWID;";

/// Marks every record still running interrupted; only with the replacement
/// lock held, when no runner is alive.
pub(super) fn sweep(conn: &Connection) -> Result<usize, Error> {
    Ok(conn.execute("UPDATE replacements SET state = 'interrupted' WHERE state IN ('loading', 'comparing')", [])?)
}

/// A new record, loading; with the replacement lock held (so any record
/// still running is a dead runner's, and is marked interrupted).
pub(super) fn start(conn: &mut Connection, job: &JobStart) -> Result<JobId, Error> {
    let tx = conn.transaction()?;
    sweep(&tx)?;
    tx.execute(
        "INSERT INTO replacements (agency, forced, started_at, state) VALUES (?1, ?2, ?3, 'loading')",
        params![job.agency, job.forced, job.clock.now().unix_minutes()],
    )?;
    let id = JobId(tx.last_insert_rowid());
    tx.commit()?;
    Ok(id)
}

/// Lines and bytes read so far.
pub(super) fn loading(conn: &Connection, id: JobId, lines: usize, bytes: u64) -> Result<(), Error> {
    conn.execute(
        "UPDATE replacements SET lines = ?2, bytes = ?3 WHERE id = ?1",
        params![id.0, i64::try_from(lines).unwrap_or(i64::MAX), i64::try_from(bytes).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}

/// The file read: comparing.
pub(super) fn comparing(conn: &Connection, id: JobId, loaded: usize) -> Result<(), Error> {
    conn.execute(
        "UPDATE replacements SET state = 'comparing', loaded = ?2 WHERE id = ?1",
        params![id.0, i64::try_from(loaded).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}

/// Its end with its report (in the swap's transaction when swapped).
pub(super) fn end(conn: &Connection, id: JobId, end: &JobEnd<'_>) -> Result<(), Error> {
    let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let r = end.report;
    conn.execute(
        "UPDATE replacements SET state = ?2, loaded = ?3, registered = ?4, removed = ?5, problem_count = ?6,
            reason = ?7, ended_at = ?8
         WHERE id = ?1",
        params![
            id.0,
            end.state.as_str(),
            count(r.loaded),
            count(r.registered),
            count(r.removed.len()),
            count(r.problem_count),
            end.reason,
            end.at.unix_minutes()
        ],
    )?;
    let mut insert =
        conn.prepare_cached("INSERT INTO replacement_problems (job, n, line, message) VALUES (?1, ?2, ?3, ?4)")?;
    for (n, p) in r.problems.iter().enumerate() {
        insert.execute(params![id.0, count(n), count(p.line), p.message])?;
    }
    Ok(())
}

/// Its end by an error: what was read so far stays.
pub(super) fn failed(conn: &Connection, id: JobId, reason: &str, at: UtcMinute) -> Result<(), Error> {
    conn.execute(
        "UPDATE replacements SET state = 'failed', reason = ?2, ended_at = ?3 WHERE id = ?1",
        params![id.0, reason, at.unix_minutes()],
    )?;
    Ok(())
}

/// The record `id`, or the newest with `None`.
pub(super) fn read(conn: &Connection, id: Option<JobId>) -> Result<Option<ReplacementJob>, Error> {
    let columns = "SELECT id, agency, forced, started_at, state, lines, bytes, loaded, registered, removed,
                problem_count, reason, ended_at FROM replacements";
    let row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(ReplacementJob, String)> {
        let minute = |m: i64| UtcMinute::from_unix_minutes(u32::try_from(m).unwrap_or(0));
        let count = |i| r.get::<_, i64>(i).map(|n| u64::try_from(n).unwrap_or(0));
        Ok((
            ReplacementJob {
                id: JobId(r.get(0)?),
                agency: r.get(1)?,
                forced: r.get(2)?,
                started_at: minute(r.get(3)?),
                state: JobState::Failed,
                lines: count(5)?,
                bytes: count(6)?,
                loaded: count(7)?,
                registered: count(8)?,
                removed: count(9)?,
                problem_count: count(10)?,
                problems: Vec::new(),
                reason: r.get(11)?,
                ended_at: r.get::<_, Option<i64>>(12)?.map(minute),
            },
            r.get(4)?,
        ))
    };
    let found = match id {
        Some(id) => conn.query_row(&format!("{columns} WHERE id = ?1"), [id.0], row).optional()?,
        None => conn.query_row(&format!("{columns} ORDER BY id DESC LIMIT 1"), [], row).optional()?,
    };
    let Some((mut job, state)) = found else { return Ok(None) };
    job.state = JobState::parse(&state)
        .ok_or_else(|| Error::Damaged(format!("the replacement {} has the unknown state {state:?}", job.id)))?;
    let mut stmt = conn.prepare_cached("SELECT line, message FROM replacement_problems WHERE job = ?1 ORDER BY n")?;
    let problems = stmt.query_map([job.id.0], |r| {
        Ok(RowProblem { line: usize::try_from(r.get::<_, i64>(0)?).unwrap_or(0), message: r.get(1)? })
    })?;
    job.problems = problems.collect::<Result<_, _>>()?;
    Ok(Some(job))
}
