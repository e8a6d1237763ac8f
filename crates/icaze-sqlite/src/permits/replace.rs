//! A full replacement of the population registry in `registry.db`
//! ([`icaze_permits::replace`]): the file loaded into a staging table beside
//! `people`, in transactions of
//! [`icaze_permits::replace::BATCH_ROWS`] rows, then swapped in by two
//! renames in one short transaction.
//!
//! The SMS service's readers read `people` under WAL: until the swap commits
//! they read the registry in use (the staging table is another table), and
//! after it the new one (SQLite prepares a statement again once the schema
//! changed, and finds the new table by its name). There is no moment with an
//! empty or half-loaded registry. The other writers of `registry.db` (a deny
//! list import, the denials applied) take their turn between two batches;
//! during the comparison and the swap they wait (a few seconds at 10 million
//! people, within the busy timeout).
//!
//! One replacement at a time, across processes: a lock on a file beside the
//! database (`registry.db-replace.lock`), held while it runs and released by
//! the system if the process dies. A staging table left by a crash is dropped
//! by the next replacement.
//!
//! Kept as a job (`replace_people_job`), a replacement has its record in
//! `registry.db` (`jobs.rs`), written by the runner while it holds the lock:
//! `swapped` in the swap's transaction, so a record running whose lock is
//! free is a dead runner's, and reads interrupted.

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;

use icaze_permits::replace::{
    load_people, JobEnd, JobId, JobStart, Numbered, ReplaceError, ReplaceLimits, ReplaceProgress, ReplaceReport,
    ReplacementJob,
};
use icaze_permits::store::StoreError;
use rusqlite::{params, Connection, TransactionBehavior};

use super::{jobs, SqlitePermitStore};
use crate::{open, Durability, Error};

/// The page cache of the loading connection: the staging table's pages that
/// random document numbers touch stay in memory longer than in SQLite's
/// default 2 MB.
const LOAD_CACHE_KIB: i64 = 64 * 1024;

fn store(e: impl Into<Error>) -> ReplaceError {
    ReplaceError::Store(StoreError::from(e.into()))
}

impl SqlitePermitStore {
    /// Replaces the population registry with the file `reader` reads (CSV
    /// `document,birth_date,zone`, a header line first), as a stream: bad rows
    /// are reported with their line and skipped, a document on an earlier line
    /// too is a bad row, and `progress` is told after every
    /// [`icaze_permits::replace::BATCH_ROWS`] rows. A file past `limits` (too many bad rows, too many
    /// people removed) replaces nothing and says why in
    /// [`ReplaceReport::refused`]; so does a file whose first line is not the
    /// header. The documents no longer registered are in
    /// [`ReplaceReport::removed`]. See the module doc for what readers see.
    pub fn replace_people<R: BufRead>(
        &self,
        reader: R,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        let _lock = self.replace_lock()?;
        self.replace_locked(reader, None, limits, progress)
    }

    /// Replaces the population registry as [`SqlitePermitStore::replace_people`]
    /// does, kept as a job in `registry.db`
    /// ([`icaze_permits::replace::ReplacementJob`]): once it holds the lock,
    /// its record is made and its number told
    /// ([`ReplaceProgress::Started`]); its progress is written after each
    /// batch, `swapped` in the swap's transaction, and a refusal or an error
    /// before the lock is let go. A record whose write fails only logs: the
    /// replacement goes on.
    pub fn replace_people_job<R: BufRead>(
        &self,
        reader: R,
        job: &JobStart<'_>,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        let _lock = self.replace_lock()?;
        let mut records = open(self.registry.path(), self.registry.config()).map_err(store)?;
        let id = jobs::start(&mut records, job).map_err(store)?;
        progress(ReplaceProgress::Started { job: id });
        let mut recorded = |p: ReplaceProgress| {
            let written = match p {
                ReplaceProgress::Loading { lines, bytes } => jobs::loading(&records, id, lines, bytes),
                ReplaceProgress::Comparing { loaded } => jobs::comparing(&records, id, loaded),
                _ => Ok(()),
            };
            if let Err(e) = written {
                tracing::warn!(error = %e, job = %id, "a replacement's progress was not recorded");
            }
            progress(p);
        };
        let replaced = self.replace_locked(reader, Some((id, job)), limits, &mut recorded);
        let ended = match &replaced {
            Ok(report) if report.refused.is_some() => jobs::end(&records, id, &JobEnd::of(report, job.clock.now())),
            Ok(_) => Ok(()), // marked swapped in the swap's transaction
            Err(e) => jobs::failed(&records, id, &e.to_string(), job.clock.now()),
        };
        if let Err(e) = ended {
            // Left running, the record reads interrupted once the lock is let go.
            tracing::warn!(error = %e, job = %id, "a replacement's end was not recorded");
        }
        replaced
    }

    /// The record of the replacement kept as job `id`, or of the newest with
    /// `None`. A record still running whose runner is gone (the lock is
    /// free) is marked interrupted first, under the lock.
    pub fn replacement_job(&self, id: Option<JobId>) -> Result<Option<ReplacementJob>, StoreError> {
        let found = self.with_registry(|c| jobs::read(c, id))?;
        if !found.as_ref().is_some_and(|j| j.state.running()) {
            return Ok(found);
        }
        let _lock = match self.replace_lock() {
            Ok(lock) => lock,
            Err(ReplaceError::Busy) => return Ok(found),
            Err(ReplaceError::Store(e)) => return Err(e),
            Err(e) => return Err(StoreError::Damaged(e.to_string())),
        };
        let conn = open(self.registry.path(), self.registry.config())?;
        let swept = jobs::sweep(&conn)?;
        if swept > 0 {
            tracing::warn!(swept, "replacements whose runner is gone marked interrupted");
        }
        Ok(jobs::read(&conn, id)?)
    }

    /// A replacement, with the lock held.
    fn replace_locked<R: BufRead>(
        &self,
        reader: R,
        job: Option<(JobId, &JobStart<'_>)>,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        let mut conn = open(self.registry.path(), self.registry.config()).map_err(store)?;
        conn.pragma_update(None, "cache_size", -LOAD_CACHE_KIB).map_err(store)?;
        conn.execute_batch(
            "DROP TABLE IF EXISTS people_staging;
             DROP TABLE IF EXISTS people_replaced;
             CREATE TABLE people_staging (
                document TEXT PRIMARY KEY,
                birth_day INTEGER NOT NULL,
                zone INTEGER NOT NULL
             ) WITHOUT ROWID;",
        )
        .map_err(store)?;
        let replaced = self.load_and_swap(&mut conn, reader, job, limits, progress);
        if !matches!(&replaced, Ok(report) if report.refused.is_none()) {
            // Nothing was swapped: the staging table goes (or, if this fails
            // too, the next replacement drops it).
            let _ = conn.execute_batch("DROP TABLE IF EXISTS people_staging");
            return replaced;
        }
        // The new registry is in use; the old one's pages go to the free list,
        // for the next replacement's staging table. A failure here leaves the
        // old table to the next replacement, which drops it first.
        if let Err(e) = conn.execute_batch("DROP TABLE people_replaced") {
            tracing::warn!(error = %e, "the replaced population registry was not dropped; the next replacement drops it");
        }
        replaced
    }

    fn load_and_swap<R: BufRead>(
        &self,
        conn: &mut Connection,
        reader: R,
        job: Option<(JobId, &JobStart<'_>)>,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        // The staging table is worthless until the swap, so its batches need
        // not reach the disk one by one: NORMAL keeps the file consistent
        // across a crash (which loses at most the last batches, and the
        // staging table is dropped anyway). The swap commits as configured.
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(store)?;
        let mut report = load_people(reader, progress, |batch| stage(conn, batch).map_err(store))?;
        let sync = match self.registry.config().durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync).map_err(store)?;
        progress(ReplaceProgress::Comparing { loaded: report.loaded });
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(store)?;
        let registered: i64 = tx.query_row("SELECT count(*) FROM people", [], |r| r.get(0)).map_err(store)?;
        report.registered = usize::try_from(registered).unwrap_or(usize::MAX);
        let removed = {
            let mut stmt = tx
                .prepare(
                    "SELECT p.document FROM people p
                     WHERE NOT EXISTS (SELECT 1 FROM people_staging s WHERE s.document = p.document)
                     ORDER BY p.document",
                )
                .map_err(store)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(store)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(store)?
        };
        report.refused = limits.refusal(&report, removed.len(), report.registered);
        if report.refused.is_some() {
            return Ok(report);
        }
        // In the swap's transaction: a document that left the registry is
        // cancelled, and its live permits are revoked by the applier, also
        // across a crash (as a feed's cancellation is).
        tx.execute(
            "INSERT OR IGNORE INTO to_revoke (document, cause, feed)
             SELECT p.document, 1, '' FROM people p
             WHERE NOT EXISTS (SELECT 1 FROM people_staging s WHERE s.document = p.document)",
            [],
        )
        .map_err(store)?;
        tx.execute_batch(
            "ALTER TABLE people RENAME TO people_replaced;
             ALTER TABLE people_staging RENAME TO people;",
        )
        .map_err(store)?;
        report.removed = removed;
        if let Some((id, job)) = job {
            jobs::end(&tx, id, &JobEnd::of(&report, job.clock.now())).map_err(store)?;
        }
        tx.commit().map_err(store)?;
        progress(ReplaceProgress::Swapped);
        Ok(report)
    }

    /// The lock of replacements, taken; `Busy` if another holds it.
    ///
    /// An exclusive transaction on a database file of its own (empty, in
    /// rollback-journal mode, so the lock is the file's lock): SQLite's locks
    /// hold between processes and between connections of one process, and the
    /// system releases them when the process dies.
    fn replace_lock(&self) -> Result<Connection, ReplaceError> {
        let mut path = PathBuf::from(self.registry.path()).into_os_string();
        path.push("-replace.lock");
        let conn = Connection::open(PathBuf::from(path)).map_err(store)?;
        conn.busy_timeout(Duration::ZERO).map_err(store)?;
        match conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE") {
            Ok(()) => Ok(conn),
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => Err(ReplaceError::Busy),
            Err(e) => Err(store(e)),
        }
    }
}

/// Loads one batch into the staging table in a transaction of its own; the
/// rows whose document an earlier row holds are answered, not loaded.
fn stage(conn: &mut Connection, batch: Vec<Numbered>) -> Result<Vec<(usize, String)>, Error> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut duplicates = Vec::new();
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO people_staging (document, birth_day, zone) VALUES (?1, ?2, ?3)
             ON CONFLICT (document) DO NOTHING",
        )?;
        for (line, row) in batch {
            if insert.execute(params![row.document, row.birth_day, row.zone.get()])? == 0 {
                duplicates.push((line, row.document));
            }
        }
    }
    tx.commit()?;
    Ok(duplicates)
}
