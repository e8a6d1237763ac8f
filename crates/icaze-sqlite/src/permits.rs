//! The embedded SQLite store: WAL, versioned migrations, one writer thread
//! that commits many requests in one transaction (group commit), and a pool
//! of read connections.

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use icaze_core::{PermitSerial, UtcMinute, ZoneId};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use icaze_permits::csv::baku_day;
use icaze_permits::store::{
    Denial, ImportReport, LastPermit, Limits, PermitRecord, PermitStore, Person, Recorded, RowProblem, StoreError,
};

use crate::{migrate, open, Checkpointer, Error, Readers, SqliteConfig};

/// Runs `f`, answering in the store interface's error.
fn answer<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, StoreError> {
    f().map_err(StoreError::from)
}

/// Each migration runs once, in order; `PRAGMA user_version` is the number done.
const MIGRATIONS: &[&str] = &[
    // 1: registries, permits, daily counters, serial reservations, regimes.
    "CREATE TABLE people (
        document TEXT PRIMARY KEY,
        birth_day INTEGER NOT NULL,
        zone INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE TABLE denials (
        document TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        until INTEGER
     ) WITHOUT ROWID;
     CREATE TABLE permits (
        serial INTEGER PRIMARY KEY,
        document TEXT NOT NULL,
        code INTEGER NOT NULL,
        purpose INTEGER NOT NULL,
        zone INTEGER NOT NULL,
        key_id INTEGER NOT NULL,
        issued_at INTEGER NOT NULL,
        valid_from INTEGER NOT NULL,
        valid_until INTEGER NOT NULL,
        phone TEXT NOT NULL,
        token TEXT NOT NULL
     );
     CREATE TABLE document_day (
        day INTEGER NOT NULL,
        document TEXT NOT NULL,
        code INTEGER NOT NULL,
        count INTEGER NOT NULL,
        last_serial INTEGER NOT NULL,
        PRIMARY KEY (day, document, code)
     ) WITHOUT ROWID;
     CREATE TABLE phone_day (
        day INTEGER NOT NULL,
        phone TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, phone)
     ) WITHOUT ROWID;
     CREATE TABLE serials (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        reserved_until INTEGER NOT NULL
     );
     INSERT INTO serials VALUES (1, 1);
     CREATE TABLE regimes (
        id TEXT PRIMARY KEY,
        toml TEXT NOT NULL,
        loaded_at INTEGER NOT NULL DEFAULT (unixepoch())
     );",
    // 2: the registries moved to a database file of their own (`registry.db`,
    // see `REGISTRY_MIGRATIONS`); `move_registries_out` copied their rows first.
    "DROP TABLE people;
     DROP TABLE denials;",
    // 3: every permit of a document found by the document. The daily counter by
    // (day, document, code) becomes one row a permit, keyed by the document first:
    // the day's count is the highest `n`, and revoking every permit of a document
    // reads a few adjacent rows instead of scanning the whole permits table (two
    // seconds at 10 million permits). The rows of one document share a page, so an
    // SMS permit still dirties one page of it, as the counter did.
    "CREATE TABLE document_permits (
        document TEXT NOT NULL,
        day INTEGER NOT NULL,
        code INTEGER NOT NULL,
        n INTEGER NOT NULL,
        serial INTEGER NOT NULL,
        PRIMARY KEY (document, day, code, n)
     ) WITHOUT ROWID;
     INSERT INTO document_permits (document, day, code, n, serial)
        SELECT document, day, code, row_number() OVER (PARTITION BY document, day, code ORDER BY serial), serial
        FROM (SELECT document, (issued_at + 240) / 1440 AS day, code, serial FROM permits);
     DROP TABLE document_day;",
];

/// The registries' database, beside the permits' (`registry.db` in the same
/// directory).
///
/// The service reads a person and the deny list for every SMS and writes
/// them only on an import. In the permits' database, every commit of the
/// writer (tens a second) emptied the page cache of every read connection,
/// and each lookup read its pages again from the file, through the WAL's
/// index: about 15 µs a lookup at 10 million people. In a file of its own,
/// which nothing writes between imports, the readers' caches and their
/// memory map stay valid.
pub const REGISTRY_FILE: &str = "registry.db";

/// The registries' migrations, in `registry.db`.
const REGISTRY_MIGRATIONS: &[&str] = &[
    // 1: the population registry and the deny list.
    "CREATE TABLE people (
        document TEXT PRIMARY KEY,
        birth_day INTEGER NOT NULL,
        zone INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE TABLE denials (
        document TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        until INTEGER
     ) WITHOUT ROWID;",
    // 2: the phone register: which phone numbers belong to a document's holder.
    "CREATE TABLE phones (
        document TEXT NOT NULL,
        phone TEXT NOT NULL,
        PRIMARY KEY (document, phone)
     ) WITHOUT ROWID;",
    // 3: documents put on the deny list whose live permits the service has
    // not yet revoked (`PermitStore::denials_to_apply`); the list imported before
    // this migration is applied too.
    "CREATE TABLE denials_to_apply (document TEXT PRIMARY KEY) WITHOUT ROWID;
     INSERT INTO denials_to_apply (document) SELECT document FROM denials;",
];

/// How much of `registry.db` a reader maps into memory: all of it for any
/// country (10 million people take about 240 MB). A mapped page is read
/// without a system call or a copy into the page cache.
const REGISTRY_MMAP_BYTES: i64 = 4 << 30;

enum Job {
    Record(PermitRecord, Limits, oneshot::Sender<Result<Recorded, Error>>),
    Reserve(u32, oneshot::Sender<Result<Range<u32>, Error>>),
    Issue(Vec<PermitRecord>, oneshot::Sender<Result<(), Error>>),
}

/// The SQLite store.
pub struct SqlitePermitStore {
    writer: mpsc::UnboundedSender<Job>,
    /// Jobs sent to the writer thread and not yet answered
    /// ([`SqlitePermitStore::queued_jobs`]).
    // Invariant: incremented before a job is sent, decremented once it is
    // answered (or could not be sent), so it never goes below zero.
    queued: Arc<AtomicU64>,
    readers: Readers,
    /// Read connections to `registry.db`.
    registry: Readers,
}

/// Opens a read connection to `registry.db`, which maps the file into memory
/// (see [`REGISTRY_MMAP_BYTES`]).
fn open_registry_reader(path: &Path, config: &SqliteConfig) -> Result<Connection, Error> {
    let conn = open(path, config)?;
    conn.pragma_update(None, "mmap_size", REGISTRY_MMAP_BYTES)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

/// Moves the registries of a database made before they had a file of their
/// own (schema version 1) into `registry.db`; migration 2 then drops them.
///
/// The copy commits in both files before the drop commits in the permits'
/// one. A crash in between leaves the rows in both, and the next open copies
/// them again: `INSERT OR REPLACE` makes that copy the same as the first.
fn move_registries_out(conn: &mut Connection, registry: &Path) -> Result<(), Error> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != 1 {
        return Ok(());
    }
    let path = registry.to_str().ok_or_else(|| {
        Error::Damaged(format!("{} is not a UTF-8 path: move the data directory", registry.display()))
    })?;
    conn.execute("ATTACH DATABASE ?1 AS registry", [path])?;
    let moved = (|| {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "INSERT OR REPLACE INTO registry.people (document, birth_day, zone)
                SELECT document, birth_day, zone FROM main.people;
             INSERT OR REPLACE INTO registry.denials (document, reason, until)
                SELECT document, reason, until FROM main.denials;",
        )?;
        tx.commit()
    })();
    conn.execute("DETACH DATABASE registry", [])?;
    Ok(moved?)
}

impl SqlitePermitStore {
    /// Opens (creating and migrating if needed) the database at `path` and
    /// starts its writer thread and its checkpoint thread.
    ///
    /// The registries live in [`REGISTRY_FILE`] beside `path`; a database
    /// made before they moved there has their rows moved on this first open.
    pub fn open(path: &Path, config: SqliteConfig) -> Result<Self, Error> {
        let registry_path = path.with_file_name(REGISTRY_FILE);
        migrate(&mut open(&registry_path, &config)?, REGISTRY_MIGRATIONS, REGISTRY_FILE)?;
        let mut conn = open(path, &config)?;
        move_registries_out(&mut conn, &registry_path)?;
        migrate(&mut conn, MIGRATIONS, "icaze.db")?;
        // The checkpoint thread does the writer's checkpoints (see `Checkpointer`).
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        // Two WAL pages a permit: the daily counters by document and by phone
        // each dirty a page of their own; the permits table's pages fill in order.
        let checkpointer = Checkpointer::start(path, &config, 2)?;
        let (writer, jobs) = mpsc::unbounded_channel();
        let max_batch = config.max_batch.max(1);
        let queued = Arc::new(AtomicU64::new(0));
        let done = queued.clone();
        std::thread::Builder::new()
            .name("icaze-sqlite-writer".into())
            .spawn(move || {
                write_loop(conn, jobs, max_batch, &checkpointer, &done);
                checkpointer.stop();
            })
            .map_err(|e| Error::Damaged(format!("cannot start the writer thread: {e}")))?;
        Ok(Self {
            writer,
            queued,
            readers: Readers::new(path, config.clone(), open),
            registry: Readers::new(&registry_path, config, open_registry_reader),
        })
    }

    /// How many jobs (permits to record, serials to reserve) wait for the
    /// writer thread or are in its current transaction: sent and not yet
    /// answered. A queue that keeps growing means the disk does not keep up
    /// with the requests (the server shows it as `icaze_sqlite_writer_queue`).
    pub fn queued_jobs(&self) -> u64 {
        self.queued.load(Ordering::Relaxed)
    }

    /// Sends `job` to the writer thread, counting it as queued.
    fn send(&self, job: Job) -> Result<(), Error> {
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.writer.send(job).map_err(|_| {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            Error::Gone
        })
    }

    fn with_registry<T>(&self, f: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        self.registry.with(f)
    }

    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        self.readers.with(f)
    }

    /// A connection of its own, for imports and administration.
    fn connection(&self) -> Result<Connection, Error> {
        self.readers.connection()
    }

    /// Imports the population registry, CSV columns `document,birth_date,zone`
    /// (a header line is required; `birth_date` is `YYYY-MM-DD`). Rows that do
    /// not read are reported with their line and skipped; the good ones are
    /// committed together, replacing earlier rows of the same document.
    pub fn import_people(&self, csv: &str) -> Result<ImportReport, Error> {
        // A connection of its own: the pooled readers are query-only.
        let mut conn = open(self.registry.path(), self.registry.config())?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut report = ImportReport::default();
        {
            let mut insert = tx.prepare(
                "INSERT INTO people (document, birth_day, zone) VALUES (?1, ?2, ?3)
                 ON CONFLICT (document) DO UPDATE SET birth_day = excluded.birth_day, zone = excluded.zone",
            )?;
            for (line, row) in icaze_permits::csv::people(csv) {
                match row {
                    Ok(p) => {
                        insert.execute(params![p.document, p.birth_day, p.zone.get()])?;
                        report.imported += 1;
                    }
                    Err(message) => report.problems.push(RowProblem { line, message }),
                }
            }
        }
        tx.commit()?;
        Ok(report)
    }

    /// Imports the deny list, CSV columns `document,reason,until` (`until` is
    /// RFC 3339 or a date `YYYY-MM-DD` meaning its start in Baku, or empty for
    /// open-ended).
    pub fn import_denials(&self, csv: &str) -> Result<ImportReport, Error> {
        // A connection of its own: the pooled readers are query-only.
        let mut conn = open(self.registry.path(), self.registry.config())?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut report = ImportReport::default();
        {
            let mut insert = tx.prepare(
                "INSERT INTO denials (document, reason, until) VALUES (?1, ?2, ?3)
                 ON CONFLICT (document) DO UPDATE SET reason = excluded.reason, until = excluded.until",
            )?;
            // In the same transaction: a denial imported is a denial whose
            // permits the service will revoke, also across a crash.
            let mut to_apply = tx.prepare("INSERT OR IGNORE INTO denials_to_apply (document) VALUES (?1)")?;
            for (line, row) in icaze_permits::csv::denials(csv) {
                match row {
                    Ok(d) => {
                        insert.execute(params![d.document, d.reason, d.until.map(|u| u.unix_minutes())])?;
                        to_apply.execute([&d.document])?;
                        report.imported += 1;
                    }
                    Err(message) => report.problems.push(RowProblem { line, message }),
                }
            }
        }
        tx.commit()?;
        Ok(report)
    }

    /// Imports the phone register, CSV columns `document,phone`: the SIM
    /// cards the operators registered to each identity document. The file
    /// is the whole register: it replaces the one before (a number given up
    /// or moved to another holder must leave), in one transaction, and a
    /// file with a problem in any row replaces nothing.
    pub fn import_phones(&self, csv: &str) -> Result<ImportReport, Error> {
        let mut conn = open(self.registry.path(), self.registry.config())?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut report = ImportReport::default();
        tx.execute("DELETE FROM phones", [])?;
        {
            let mut insert = tx.prepare("INSERT OR IGNORE INTO phones (document, phone) VALUES (?1, ?2)")?;
            for (line, row) in icaze_permits::csv::phones(csv) {
                match row {
                    Ok(p) => {
                        insert.execute(params![p.document, p.phone])?;
                        report.imported += 1;
                    }
                    Err(message) => report.problems.push(RowProblem { line, message }),
                }
            }
        }
        if report.problems.is_empty() {
            tx.commit()?;
        } else {
            report.imported = 0;
        }
        Ok(report)
    }

    /// Number of permits recorded.
    pub fn permit_count(&self) -> Result<i64, Error> {
        self.with_reader(|c| Ok(c.query_row("SELECT count(*) FROM permits", [], |r| r.get(0))?))
    }
}

impl PermitStore for SqlitePermitStore {
    fn person(&self, document: &str) -> Result<Option<Person>, StoreError> {
        answer(|| {
            self.with_registry(|c| {
                let row: Option<(i32, u16)> = c
                    .prepare_cached("SELECT birth_day, zone FROM people WHERE document = ?1")?
                    .query_row([document], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                row.map(|(birth_day, zone)| {
                    let zone = ZoneId::new(zone).ok_or_else(|| Error::Damaged(format!("zone {zone}")))?;
                    Ok(Person { birth_day, zone })
                })
                .transpose()
            })
        })
    }

    fn denial(&self, document: &str, at: UtcMinute) -> Result<Option<Denial>, StoreError> {
        answer(|| {
            self.with_registry(|c| {
                let row: Option<(String, Option<u32>)> = c
                    .prepare_cached("SELECT reason, until FROM denials WHERE document = ?1")?
                    .query_row([document], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                Ok(row.and_then(|(reason, until)| {
                    let until = until.map(UtcMinute::from_unix_minutes);
                    until.is_none_or(|u| at < u).then_some(Denial { reason, until })
                }))
            })
        })
    }

    /// One query, so one read transaction instead of two.
    fn person_and_denial(&self, document: &str, at: UtcMinute) -> Result<Option<(Person, Option<Denial>)>, StoreError> {
        answer(|| {
            self.with_registry(|c| {
                type Row = (i32, u16, Option<String>, Option<u32>);
                let row: Option<Row> = c
                    .prepare_cached(
                        // Subqueries, not a LEFT JOIN: SQLite plans that join with the
                        // bound value, so it re-prepared the statement for every document.
                        "SELECT birth_day, zone,
                            (SELECT reason FROM denials WHERE document = ?1),
                            (SELECT until FROM denials WHERE document = ?1)
                         FROM people WHERE document = ?1",
                    )?
                    .query_row([document], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .optional()?;
                let Some((birth_day, zone, reason, until)) = row else { return Ok(None) };
                let zone = ZoneId::new(zone).ok_or_else(|| Error::Damaged(format!("zone {zone}")))?;
                let until = until.map(UtcMinute::from_unix_minutes);
                let denial = reason.filter(|_| until.is_none_or(|u| at < u)).map(|reason| Denial { reason, until });
                Ok(Some((Person { birth_day, zone }, denial)))
            })
        })
    }

    fn phone_may_ask(&self, document: &str, phone: &str) -> Result<bool, StoreError> {
        answer(|| {
            self.with_registry(|c| {
                Ok(c.prepare_cached(
                    "SELECT NOT EXISTS (SELECT 1 FROM phones WHERE document = ?1)
                         OR EXISTS (SELECT 1 FROM phones WHERE document = ?1 AND phone = ?2)",
                )?
                .query_row([document, phone], |r| r.get(0))?)
            })
        })
    }

    fn denials_to_apply(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        answer(|| {
            self.with_registry(|c| {
                let mut stmt = c.prepare_cached("SELECT document FROM denials_to_apply ORDER BY document LIMIT ?1")?;
                let rows = stmt.query_map([limit], |r| r.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
        })
    }

    fn denials_applied(&self, documents: &[String]) -> Result<(), StoreError> {
        answer(|| {
            let mut conn = open(self.registry.path(), self.registry.config())?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut delete = tx.prepare("DELETE FROM denials_to_apply WHERE document = ?1")?;
                for document in documents {
                    delete.execute([document])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    async fn reserve_serials(&self, count: u32) -> Result<Range<u32>, StoreError> {
        let answer: Result<_, Error> = async {
            let (tx, rx) = oneshot::channel();
            self.send(Job::Reserve(count, tx))?;
            rx.await.map_err(|_| Error::Gone)?
        }
        .await;
        Ok(answer?)
    }

    async fn record_permit(&self, permit: PermitRecord, limits: Limits) -> Result<Recorded, StoreError> {
        let answer: Result<_, Error> = async {
            let (tx, rx) = oneshot::channel();
            self.send(Job::Record(permit, limits, tx))?;
            rx.await.map_err(|_| Error::Gone)?
        }
        .await;
        Ok(answer?)
    }

    async fn record_issued_many(&self, permits: Vec<PermitRecord>) -> Result<(), StoreError> {
        let answer: Result<_, Error> = async {
            if permits.is_empty() {
                return Ok(());
            }
            let (tx, rx) = oneshot::channel();
            self.send(Job::Issue(permits, tx))?;
            rx.await.map_err(|_| Error::Gone)?
        }
        .await;
        Ok(answer?)
    }

    fn regimes(&self) -> Result<Vec<String>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare("SELECT toml FROM regimes ORDER BY loaded_at, id")?;
                let rows = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
                Ok(rows)
            })
        })
    }

    /// A scan of the permits table: it has no index by document, which
    /// would cost every SMS permit one more index write for a rare
    /// supervisor's action (about a second per 10 million permits).
    fn valid_permits(&self, document: &str, at: UtcMinute) -> Result<Vec<PermitSerial>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT p.serial FROM document_permits d JOIN permits p ON p.serial = d.serial
                     WHERE d.document = ?1 AND p.valid_until > ?2 ORDER BY p.serial",
                )?;
                let rows = stmt.query_map(params![document, at.unix_minutes()], |r| r.get::<_, u32>(0))?;
                Ok(rows.map(|r| r.map(PermitSerial)).collect::<Result<Vec<_>, _>>()?)
            })
        })
    }

    fn put_regime(&self, id: &str, toml: &str) -> Result<(), StoreError> {
        answer(|| {
            self.connection()?.execute(
                "INSERT INTO regimes (id, toml) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET toml = excluded.toml, loaded_at = unixepoch()",
                params![id, toml],
            )?;
            Ok(())
        })
    }
}

/// The writer: takes every job waiting (up to `max_batch`), runs them all in
/// one transaction, commits once, then answers them all. Nobody hears
/// `Issued` before the commit returned.
fn write_loop(
    mut conn: Connection,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    max_batch: usize,
    checkpointer: &Checkpointer,
    queued: &AtomicU64,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = run_batch(&mut conn, &batch);
        checkpointer.committed(batch.len() as u64);
        checkpointer.restart_if_wanted(&conn, "icaze.db");
        for (job, result) in batch.drain(..).zip(results) {
            match (job, result) {
                (Job::Record(_, _, reply), Answer::Recorded(r)) => {
                    let _ = reply.send(r);
                }
                (Job::Reserve(_, reply), Answer::Reserved(r)) => {
                    let _ = reply.send(r);
                }
                (Job::Record(_, _, reply), Answer::Failed(e)) => {
                    let _ = reply.send(Err(Error::Damaged(e)));
                }
                (Job::Reserve(_, reply), Answer::Failed(e)) => {
                    let _ = reply.send(Err(Error::Damaged(e)));
                }
                (Job::Issue(_, reply), Answer::Issued(r)) => {
                    let _ = reply.send(r);
                }
                (Job::Issue(_, reply), Answer::Failed(e)) => {
                    let _ = reply.send(Err(Error::Damaged(e)));
                }
                // Invariant: run_batch answers each job with its own kind or Failed.
                _ => {}
            }
            queued.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

enum Answer {
    Recorded(Result<Recorded, Error>),
    Reserved(Result<Range<u32>, Error>),
    Issued(Result<(), Error>),
    Failed(String),
}

/// Runs a batch in one transaction. A permit's job runs without a savepoint
/// of its own: `record` leaves no trace when it refuses, and the statements
/// of a savepoint (and the copies of the pages it may have to restore) were a
/// good part of the writer's work per permit. If a statement fails (a full
/// disk, a damaged page), the whole transaction is rolled back and the batch
/// runs again with a savepoint per job, so that one bad job fails alone.
fn run_batch(conn: &mut Connection, batch: &[Job]) -> Vec<Answer> {
    match run_batch_fast(conn, batch) {
        Some(answers) => answers,
        None => run_batch_savepoints(conn, batch),
    }
}

/// [`run_batch`]'s common path; `None` if a permit's job failed (nothing of
/// the batch is then kept).
fn run_batch_fast(conn: &mut Connection, batch: &[Job]) -> Option<Vec<Answer>> {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return Some(batch.iter().map(|_| Answer::Failed(format!("begin: {e}"))).collect()),
    };
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let answer = match job {
            Job::Record(permit, limits, _) => match record(&tx, permit, limits) {
                Ok(recorded) => Answer::Recorded(Ok(recorded)),
                // Dropping the transaction rolls it back.
                Err(_) => return None,
            },
            Job::Reserve(count, _) => Answer::Reserved(in_savepoint(&tx, |tx| reserve(tx, *count), |_| true)),
            Job::Issue(permits, _) => Answer::Issued(in_savepoint(&tx, |tx| issue_unlimited(tx, permits), |_| true)),
        };
        answers.push(answer);
    }
    if let Err(e) = tx.commit() {
        tracing::error!(error = %e, "commit failed: {} requests refused", batch.len());
        return Some(batch.iter().map(|_| Answer::Failed(format!("commit: {e}"))).collect());
    }
    Some(answers)
}

/// [`run_batch`] with a savepoint per job, after a failure of the fast path.
fn run_batch_savepoints(conn: &mut Connection, batch: &[Job]) -> Vec<Answer> {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return batch.iter().map(|_| Answer::Failed(format!("begin: {e}"))).collect(),
    };
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let answer = match job {
            Job::Record(permit, limits, _) => {
                Answer::Recorded(in_savepoint(&tx, |tx| record(tx, permit, limits), |r| *r == Recorded::Issued))
            }
            Job::Reserve(count, _) => Answer::Reserved(in_savepoint(&tx, |tx| reserve(tx, *count), |_| true)),
            Job::Issue(permits, _) => Answer::Issued(in_savepoint(&tx, |tx| issue_unlimited(tx, permits), |_| true)),
        };
        answers.push(answer);
    }
    if let Err(e) = tx.commit() {
        tracing::error!(error = %e, "commit failed: {} requests refused", batch.len());
        return batch.iter().map(|_| Answer::Failed(format!("commit: {e}"))).collect();
    }
    answers
}

/// Runs one job in a savepoint: kept when it succeeds and `keep` says so,
/// undone otherwise (an error, or a refusal that must leave no trace).
fn in_savepoint<T>(
    tx: &rusqlite::Transaction<'_>,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, Error>,
    keep: impl FnOnce(&T) -> bool,
) -> Result<T, Error> {
    // Cached statements: parsing them for every job showed in the writer's profile (sqlite3RunParser).
    tx.prepare_cached("SAVEPOINT job")?.execute([])?;
    let result = f(tx);
    if !result.as_ref().is_ok_and(keep) {
        tx.prepare_cached("ROLLBACK TO job")?.execute([])?;
    }
    tx.prepare_cached("RELEASE job")?.execute([])?;
    result
}

fn reserve(tx: &rusqlite::Transaction<'_>, count: u32) -> Result<Range<u32>, Error> {
    let start: u32 = tx.query_row("SELECT reserved_until FROM serials WHERE id = 1", [], |r| r.get(0))?;
    let end = start.checked_add(count).ok_or_else(|| Error::Damaged("serial numbers exhausted".into()))?;
    tx.execute("UPDATE serials SET reserved_until = ?1 WHERE id = 1", [end])?;
    Ok(start..end)
}

/// The limits and the insert. The counters are bumped only below their limit
/// (`WHERE count < limit`, and for the document a row `n` only while `n` is
/// within its limit), in the writer's transaction, so the database, not a lock
/// in memory, holds the daily limit under any concurrency.
///
/// A refusal leaves no trace, without a savepoint: the phone's counter is
/// bumped first; if the phone is at its limit nothing was written, and if the
/// document then is at its own, the phone's bump is taken back (`count - 1`,
/// exact because nothing else ran in between). A document at its limit is
/// told so (its permit is sent again) before a phone at its limit, as when
/// the document's counter was bumped first.
fn record(tx: &rusqlite::Transaction<'_>, p: &PermitRecord, limits: &Limits) -> Result<Recorded, Error> {
    if let Some(replaced) = limits.replaces {
        return replace(tx, p, limits, replaced);
    }
    let phone_bumped = tx
        .prepare_cached(
            "INSERT INTO phone_day (day, phone, count) VALUES (?1, ?2, 1)
             ON CONFLICT (day, phone) DO UPDATE SET count = count + 1 WHERE count < ?3",
        )?
        .execute(params![limits.day, p.phone, limits.per_phone])?;
    if phone_bumped == 0 {
        let document_count: u32 = tx
            .prepare_cached(
                "SELECT coalesce(max(n), 0) FROM document_permits WHERE document = ?1 AND day = ?2 AND code = ?3",
            )?
            .query_row(params![p.document, limits.day, p.code], |r| r.get(0))?;
        if document_count >= limits.per_document {
            return Ok(Recorded::DocumentLimit { last: last_permit(tx, p, limits)? });
        }
        return Ok(Recorded::PhoneLimit);
    }
    // One row more for the document only while the day's count is below its limit.
    let document_bumped = tx
        .prepare_cached(
            "INSERT INTO document_permits (document, day, code, n, serial)
             SELECT ?1, ?2, ?3, coalesce(max(n), 0) + 1, ?4 FROM document_permits
             WHERE document = ?1 AND day = ?2 AND code = ?3
             HAVING coalesce(max(n), 0) < ?5",
        )?
        .execute(params![p.document, limits.day, p.code, p.serial.0, limits.per_document])?;
    if document_bumped == 0 {
        tx.prepare_cached("UPDATE phone_day SET count = count - 1 WHERE day = ?1 AND phone = ?2")?
            .execute(params![limits.day, p.phone])?;
        return Ok(Recorded::DocumentLimit { last: last_permit(tx, p, limits)? });
    }
    insert_permit(tx, p)?;
    Ok(Recorded::Issued)
}

/// Records `p` in place of the day's permit `replaced` (see
/// [`Limits::replaces`]): the document's last row for the day and code moves
/// to `p` only if it still names `replaced`, in the writer's transaction, so
/// of many requests at once exactly one replaces it and the others are given
/// its permit.
fn replace(
    tx: &rusqlite::Transaction<'_>,
    p: &PermitRecord,
    limits: &Limits,
    replaced: PermitSerial,
) -> Result<Recorded, Error> {
    let moved = tx
        .prepare_cached(
            "UPDATE document_permits SET serial = ?4
             WHERE document = ?1 AND day = ?2 AND code = ?3 AND serial = ?5
               AND n = (SELECT max(n) FROM document_permits WHERE document = ?1 AND day = ?2 AND code = ?3)",
        )?
        .execute(params![p.document, limits.day, p.code, p.serial.0, replaced.0])?;
    if moved == 0 {
        return Ok(Recorded::DocumentLimit { last: last_permit(tx, p, limits)? });
    }
    insert_permit(tx, p)?;
    Ok(Recorded::Issued)
}

/// The last permit of the document for the day and code.
fn last_permit(tx: &rusqlite::Transaction<'_>, p: &PermitRecord, limits: &Limits) -> Result<Option<LastPermit>, Error> {
    Ok(tx
        .prepare_cached(
            "SELECT p.serial, p.key_id, p.token, p.valid_from, p.valid_until, p.phone
             FROM document_permits d JOIN permits p ON p.serial = d.serial
             WHERE d.document = ?1 AND d.day = ?2 AND d.code = ?3
             ORDER BY d.n DESC LIMIT 1",
        )?
        .query_row(params![p.document, limits.day, p.code], |r| {
            Ok(LastPermit {
                serial: PermitSerial(r.get(0)?),
                key_id: r.get(1)?,
                token: r.get(2)?,
                valid_from: UtcMinute::from_unix_minutes(r.get(3)?),
                valid_until: UtcMinute::from_unix_minutes(r.get(4)?),
                phone: r.get(5)?,
            })
        })
        .optional()?)
}

/// Records permits of the channels without daily limits (the portal, the 102
/// console): each gets the next row of its document for its day.
fn issue_unlimited(tx: &rusqlite::Transaction<'_>, permits: &[PermitRecord]) -> Result<(), Error> {
    for p in permits {
        tx.prepare_cached(
            "INSERT INTO document_permits (document, day, code, n, serial)
             SELECT ?1, ?2, ?3, coalesce(max(n), 0) + 1, ?4 FROM document_permits
             WHERE document = ?1 AND day = ?2 AND code = ?3",
        )?
        .execute(params![p.document, baku_day(p.issued_at), p.code, p.serial.0])?;
        insert_permit(tx, p)?;
    }
    Ok(())
}

fn insert_permit(tx: &rusqlite::Transaction<'_>, p: &PermitRecord) -> Result<(), Error> {
    tx.prepare_cached(
        "INSERT INTO permits (serial, document, code, purpose, zone, key_id, issued_at, valid_from, valid_until, phone, token)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        p.serial.0,
        p.document,
        p.code,
        p.purpose,
        p.zone.get(),
        p.key_id,
        p.issued_at.unix_minutes(),
        p.valid_from.unix_minutes(),
        p.valid_until.unix_minutes(),
        p.phone,
        p.token
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests;
