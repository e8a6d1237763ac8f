//! A full replacement of the population registry on PostgreSQL
//! ([`icaze_permits::replace`]), all in one transaction on a connection of its
//! own: a staging table made in it, the file's rows loaded into it as they
//! are read ([`icaze_permits::replace::BATCH_ROWS`] a statement), the
//! documents no longer registered found, and the staging table renamed to
//! `people` in place of the old one, which is dropped.
//!
//! Readers see none of it until the commit (the staging table does not exist
//! for them), then the new registry: the renames take `people`'s exclusive
//! lock only at the end, for the time of the renames and the commit (queued
//! readers wait that long, bounded by a lock timeout); the comparison before
//! them holds a `SHARE` lock, which lets readers read and makes writers of
//! `people` (an import) wait. A prepared statement naming `people` is planned
//! again on the new table after the commit, as PostgreSQL does after any
//! change of a table it reads. A crash, a lost connection or an error rolls
//! everything back: no staging table is ever left behind.
//!
//! One replacement at a time, across instances: a transaction-level advisory
//! lock ([`REPLACE_LOCK`]); a second one is refused as `Busy`. Kept as a job
//! (`replace_people_job`), its record is `jobs.rs`'s: `swapped` in this one
//! transaction, the rest on pooled connections while the lock is held.

use std::collections::HashMap;
use std::io::BufRead;

use deadpool_postgres::{ClientWrapper, Object};
use icaze_permits::replace::{
    load_people, JobEnd, JobId, JobStart, Numbered, ReplaceError, ReplaceLimits, ReplaceProgress, ReplaceReport,
    ReplacementJob,
};
use icaze_permits::store::StoreError;

use super::{col, db, fits, jobs, pool_error, PgPermitStore};

/// The advisory lock a replacement holds (`icaze` and `people` in ASCII).
const REPLACE_LOCK: i64 = 0x6963_617a_6570_706c;

/// The longest a statement of a replacement may run: the comparison reads
/// both registries whole (seconds at 10 million people).
const STATEMENT_TIMEOUT: &str = "30min";

/// The longest the renames wait for `people`'s exclusive lock, while readers
/// queue behind them: past it the replacement fails and nothing changed.
const LOCK_TIMEOUT: &str = "5s";

impl PgPermitStore {
    /// Replaces the population registry with the file `reader` reads, as
    /// `SqlitePermitStore::replace_people` does in `icaze-sqlite` (the same
    /// rows, problems, guard and report; see the module doc for what readers
    /// see). Refused as [`ReplaceError::Busy`] while another replacement of
    /// this database runs, from any instance.
    pub fn replace_people<R: BufRead>(
        &self,
        reader: R,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        self.replace(reader, None, limits, progress)
    }

    /// Replaces the population registry as [`PgPermitStore::replace_people`]
    /// does, kept as a job in the permits schema
    /// ([`icaze_permits::replace::ReplacementJob`], `jobs.rs`): once it holds
    /// the lock, its record is made and its number told
    /// ([`ReplaceProgress::Started`]); its progress is written after each
    /// batch, `swapped` in the replacement's transaction, a refusal before
    /// the lock is let go. A progress write that fails only logs.
    pub fn replace_people_job<R: BufRead>(
        &self,
        reader: R,
        job: &JobStart<'_>,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        self.replace(reader, Some(job), limits, progress)
    }

    /// The record of the replacement kept as job `id`, or of the newest with
    /// `None`, from any instance. A record still running whose runner is gone
    /// (the advisory lock is free) is marked interrupted first.
    pub fn replacement_job(&self, id: Option<JobId>) -> Result<Option<ReplacementJob>, StoreError> {
        self.read(move |client| async move {
            let found = jobs::read(&client, id).await?;
            if !found.as_ref().is_some_and(|j| j.state.running()) {
                return Ok(found);
            }
            if jobs::sweep(&client, REPLACE_LOCK).await? == 0 {
                return Ok(found);
            }
            tracing::warn!("replacements whose runner is gone marked interrupted");
            jobs::read(&client, id).await
        })
    }

    fn replace<R: BufRead>(
        &self,
        reader: R,
        job: Option<&JobStart<'_>>,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        let pool = self.pool.clone();
        let begun = self.runtime.block(async move {
            // Out of the pool: the connection holds the transaction across
            // calls, and is closed (the transaction rolled back) when dropped
            // on any path, never handed to another request mid-transaction.
            let client = Object::take(pool.get().await.map_err(pool_error)?);
            client
                .batch_execute(&format!("BEGIN; SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'"))
                .await
                .map_err(db)?;
            let row = client.query_one("SELECT pg_try_advisory_xact_lock($1)", &[&REPLACE_LOCK]).await.map_err(db)?;
            if !col::<bool>(&row, 0)? {
                return Ok(None);
            }
            client
                .batch_execute(
                    "CREATE TABLE people_staging (
                        document TEXT NOT NULL,
                        birth_day INTEGER NOT NULL,
                        zone INTEGER NOT NULL,
                        CONSTRAINT people_staging_pkey PRIMARY KEY (document)
                     )",
                )
                .await
                .map_err(db)?;
            Ok(Some(client))
        })?;
        let Some(client) = begun else { return Err(ReplaceError::Busy) };
        let Some(job) = job else { return self.load_and_swap(client, reader, None, limits, progress) };
        let start = jobs::Start::of(job);
        let id = self.read(move |c| async move { jobs::start(&c, start).await })?;
        progress(ReplaceProgress::Started { job: id });
        let mut recorded = |p: ReplaceProgress| {
            let written = match p {
                ReplaceProgress::Loading { lines, bytes } => {
                    let (lines, bytes) =
                        (i64::try_from(lines).unwrap_or(i64::MAX), i64::try_from(bytes).unwrap_or(i64::MAX));
                    self.read(move |c| async move { jobs::loading(&c, id, lines, bytes).await })
                }
                ReplaceProgress::Comparing { loaded } => {
                    let loaded = i64::try_from(loaded).unwrap_or(i64::MAX);
                    self.read(move |c| async move { jobs::comparing(&c, id, loaded).await })
                }
                _ => Ok(()),
            };
            if let Err(e) = written {
                tracing::warn!(error = %e, job = %id, "a replacement's progress was not recorded");
            }
            progress(p);
        };
        let replaced = self.load_and_swap(client, reader, Some((id, job)), limits, &mut recorded);
        if let Err(e) = &replaced {
            let (reason, at) = (e.to_string(), jobs::now(job));
            if let Err(e) = self.read(move |c| async move { jobs::failed(&c, id, reason, at).await }) {
                // Left running, the record reads interrupted once the lock is let go.
                tracing::warn!(error = %e, job = %id, "a replacement's end was not recorded");
            }
        }
        replaced
    }

    /// The replacement, in the transaction `client` began holding the lock.
    fn load_and_swap<R: BufRead>(
        &self,
        client: ClientWrapper,
        reader: R,
        job: Option<(JobId, &JobStart<'_>)>,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        let mut held = Some(client);
        let mut report = load_people(reader, progress, |batch| {
            // Invariant: `held` is put back after every batch that succeeds,
            // and a failed one ends the load.
            let client = held.take().ok_or(StoreError::WriterGone)?;
            let (client, duplicates) = self.runtime.block(stage(client, batch))?;
            held = Some(client);
            Ok(duplicates)
        })?;
        let client = held.take().ok_or(StoreError::WriterGone)?;
        progress(ReplaceProgress::Comparing { loaded: report.loaded });
        let (registered, removed, client) = self.runtime.block(async move {
            client.batch_execute("LOCK TABLE people IN SHARE MODE; ANALYZE people_staging").await.map_err(db)?;
            let row = client.query_one("SELECT count(*) FROM people", &[]).await.map_err(db)?;
            let registered: usize = fits(col::<i64>(&row, 0)?, "a count")?;
            let rows = client
                .query(
                    "SELECT p.document FROM people p
                     WHERE NOT EXISTS (SELECT 1 FROM people_staging s WHERE s.document = p.document)
                     ORDER BY p.document",
                    &[],
                )
                .await
                .map_err(db)?;
            let removed = rows.iter().map(|r| col::<String>(r, 0)).collect::<Result<Vec<_>, _>>()?;
            Ok((registered, removed, client))
        })?;
        report.registered = registered;
        report.refused = limits.refusal(&report, removed.len(), registered);
        if report.refused.is_some() {
            if let Some((id, job)) = job {
                // Before the lock is let go, so the record never reads interrupted.
                let end = jobs::End::of(&JobEnd::of(&report, job.clock.now()));
                self.read(move |c| async move { jobs::end(&c, id, end).await })?;
            }
            // Rolled back here, not left to the connection's close, which
            // happens a moment later: until then the lock would still be
            // held, and a corrected file sent at once refused as busy.
            self.runtime.block(async move { client.batch_execute("ROLLBACK").await.map_err(db) })?;
            return Ok(report);
        }
        report.removed = removed;
        // The record says swapped in the swap's own transaction.
        let end = job.map(|(id, job)| (id, jobs::End::of(&JobEnd::of(&report, job.clock.now()))));
        // In the swap's transaction: a document that left the registry is
        // cancelled, and its live permits are revoked by the applier, also
        // across a crash (as a feed's cancellation is).
        self.runtime.block(async move {
            if let Some((id, end)) = end {
                jobs::end(&client, id, end).await?;
            }
            client
                .batch_execute(&format!(
                    "INSERT INTO to_revoke (document, cause, feed)
                     SELECT p.document, 1, '' FROM people p
                     WHERE NOT EXISTS (SELECT 1 FROM people_staging s WHERE s.document = p.document)
                     ON CONFLICT DO NOTHING;
                     SET LOCAL lock_timeout = '{LOCK_TIMEOUT}';
                     ALTER TABLE people RENAME TO people_replaced;
                     ALTER TABLE people_staging RENAME TO people;
                     DROP TABLE people_replaced;
                     ALTER TABLE people RENAME CONSTRAINT people_staging_pkey TO people_pkey;
                     COMMIT"
                ))
                .await
                .map_err(db)
        })?;
        progress(ReplaceProgress::Swapped);
        Ok(report)
    }
}

/// Loads one batch into the staging table; the rows whose document an
/// earlier row holds are answered, not loaded. The connection comes back
/// for the next batch.
async fn stage(
    client: ClientWrapper,
    batch: Vec<Numbered>,
) -> Result<(ClientWrapper, Vec<(usize, String)>), StoreError> {
    let insert = client
        .prepare_cached(
            "INSERT INTO people_staging (document, birth_day, zone)
             SELECT * FROM unnest($1::text[], $2::int[], $3::int[])
             ON CONFLICT (document) DO NOTHING RETURNING document",
        )
        .await
        .map_err(db)?;
    let documents: Vec<&str> = batch.iter().map(|(_, p)| p.document.as_str()).collect();
    let births: Vec<i32> = batch.iter().map(|(_, p)| p.birth_day).collect();
    let zones: Vec<i32> = batch.iter().map(|(_, p)| i32::from(p.zone.get())).collect();
    let rows = client.query(&insert, &[&documents, &births, &zones]).await.map_err(db)?;
    // Each document inserted once; a row of the batch whose document was not
    // inserted, or was already taken by an earlier row of it, is a duplicate.
    let mut inserted: HashMap<String, bool> = HashMap::with_capacity(rows.len());
    for row in &rows {
        inserted.insert(col(row, 0)?, false);
    }
    let mut duplicates = Vec::new();
    for (line, person) in &batch {
        match inserted.get_mut(&person.document) {
            Some(taken @ false) => *taken = true,
            _ => duplicates.push((*line, person.document.clone())),
        }
    }
    Ok((client, duplicates))
}
