//! The embedded SQLite store: WAL, versioned migrations, one writer thread
//! that commits many requests in one transaction (group commit), and a pool
//! of read connections.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use icaze_core::{AuthorisedOrganisations, PermitSerial, UtcMinute, ZoneId};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use icaze_permits::csv::baku_day;
use icaze_permits::store::{
    BatchApplied, BatchRecord, CodeHour, Denial, DenialsLock, FeedBatch, FeedCredential, Found, Generations,
    ImportReport, LastPermit, Limits, PermitRecord, PermitStore, Person, Recorded, RefusedRequest, Registry,
    RowProblem, Search, StoreError, ToRevoke, TopRequesters,
};

use crate::engine::read_first;
use crate::{migrate, open, Checkpointer, Error, Readers, SqliteConfig};

mod feeds;
mod jobs;
mod organisations;
mod replace;
mod shared;
mod writer;

use self::writer::write_loop;

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
    // 4: a regime's cap of one code per phone per day (`per_phone_per_day` of a code).
    "CREATE TABLE phone_code_day (
        day INTEGER NOT NULL,
        phone TEXT NOT NULL,
        code INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, phone, code)
     ) WITHOUT ROWID;",
    // 5: the SMS requests that got no new permit, and the permits by time, for
    // the searches and the abuse report (issue 23). The index on `issued_at`
    // is appended to at its right edge, one hot page, by every permit.
    "CREATE TABLE refused (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        phone TEXT NOT NULL,
        document TEXT NOT NULL,
        code INTEGER NOT NULL,
        reason TEXT NOT NULL
     );
     CREATE INDEX refused_by_at ON refused (at);
     CREATE INDEX permits_by_issued_at ON permits (issued_at);",
    // 6: what a service holds in memory, counted (`shared.rs`).
    "CREATE TABLE generations (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        trust_list INTEGER NOT NULL,
        regimes INTEGER NOT NULL
     );
     INSERT INTO generations VALUES (1, 0, 0);",
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
    // 4: the registry feeds (`docs/feeds.md`): the agencies' credentials (the
    // SHA-256 of each token), the record of every batch applied, and the
    // queue of documents to revoke with its cause (0 denied, 1 cancelled) and
    // the feed that caused it ('' for an import).
    "CREATE TABLE to_revoke (
        document TEXT NOT NULL,
        cause INTEGER NOT NULL,
        feed TEXT NOT NULL,
        PRIMARY KEY (document, cause, feed)
     ) WITHOUT ROWID;
     INSERT INTO to_revoke (document, cause, feed) SELECT document, 0, '' FROM denials_to_apply;
     DROP TABLE denials_to_apply;
     CREATE TABLE feeds (
        agency TEXT PRIMARY KEY,
        registry TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE TABLE feed_batches (
        id INTEGER PRIMARY KEY,
        agency TEXT NOT NULL,
        registry TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        added INTEGER NOT NULL,
        removed INTEGER NOT NULL,
        UNIQUE (agency, batch_id)
     );
     CREATE INDEX feed_batches_by_registry ON feed_batches (registry, id);",
    // 5: the organisations whose employees move on their service card (issue 23);
    // `zones` the zone ids joined by `;`, empty for every zone.
    "CREATE TABLE organisations (
        tax_id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        sector TEXT NOT NULL,
        zones TEXT NOT NULL,
        until INTEGER
     );",
    // 6: the replacements kept as jobs.
    jobs::MIGRATION,
    // 7: a feed credential's expiry (`docs/feeds.md` "Credentials"), in Unix
    // minutes; none for a credential that does not expire.
    "ALTER TABLE feeds ADD COLUMN expires_at INTEGER;",
];

/// How much of `registry.db` a reader maps into memory: all of it for any
/// country (10 million people take about 240 MB). A mapped page is read
/// without a system call or a copy into the page cache.
const REGISTRY_MMAP_BYTES: i64 = 4 << 30;

enum Job {
    Record(PermitRecord, Limits, oneshot::Sender<Result<Recorded, Error>>),
    Reserve(u32, oneshot::Sender<Result<Range<u32>, Error>>),
    Issue(Vec<PermitRecord>, oneshot::Sender<Result<(), Error>>),
    Refused(RefusedRequest, oneshot::Sender<Result<(), Error>>),
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

    /// Runs `write` on a registry connection of its own (the pooled readers
    /// are query-only), in an immediate transaction that `write` commits.
    fn write_registry<T>(&self, write: impl FnOnce(rusqlite::Transaction<'_>) -> Result<T, Error>) -> Result<T, Error> {
        let mut conn = open(self.registry.path(), self.registry.config())?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        write(tx)
    }

    /// Runs `write` as [`Self::write_registry`] does, then commits: all that
    /// `write` did, or nothing if it failed.
    fn write_registry_all<T>(
        &self,
        write: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.write_registry(|tx| {
            let done = write(&tx)?;
            tx.commit()?;
            Ok(done)
        })
    }

    /// Imports the population registry, CSV columns `document,birth_date,zone`
    /// (a header line is required; `birth_date` is `YYYY-MM-DD`). Rows that do
    /// not read are reported with their line and skipped; the good ones are
    /// committed together, replacing earlier rows of the same document.
    pub fn import_people(&self, csv: &str) -> Result<ImportReport, Error> {
        self.write_registry_all(|tx| {
            let mut insert = tx.prepare(
                "INSERT INTO people (document, birth_day, zone) VALUES (?1, ?2, ?3)
                 ON CONFLICT (document) DO UPDATE SET birth_day = excluded.birth_day, zone = excluded.zone",
            )?;
            import_rows(icaze_permits::csv::people(csv), |p| {
                insert.execute(params![p.document, p.birth_day, p.zone.get()])?;
                Ok(())
            })
        })
    }

    /// Imports the deny list, CSV columns `document,reason,until` (`until` is
    /// RFC 3339 or a date `YYYY-MM-DD` meaning its start in Baku, or empty for
    /// open-ended).
    pub fn import_denials(&self, csv: &str) -> Result<ImportReport, Error> {
        self.write_registry_all(|tx| {
            let mut insert = tx.prepare(
                "INSERT INTO denials (document, reason, until) VALUES (?1, ?2, ?3)
                 ON CONFLICT (document) DO UPDATE SET reason = excluded.reason, until = excluded.until",
            )?;
            // In the same transaction: a denial imported is a denial whose
            // permits the service will revoke, also across a crash.
            let mut to_apply =
                tx.prepare("INSERT OR IGNORE INTO to_revoke (document, cause, feed) VALUES (?1, 0, '')")?;
            import_rows(icaze_permits::csv::denials(csv), |d| {
                insert.execute(params![d.document, d.reason, d.until.map(|u| u.unix_minutes())])?;
                to_apply.execute([&d.document])?;
                Ok(())
            })
        })
    }

    /// Imports the phone register, CSV columns `document,phone`: the SIM
    /// cards the operators registered to each identity document. The file
    /// is the whole register: it replaces the one before (a number given up
    /// or moved to another holder must leave), in one transaction, and a
    /// file with a problem in any row replaces nothing.
    pub fn import_phones(&self, csv: &str) -> Result<ImportReport, Error> {
        self.write_registry(|tx| {
            tx.execute("DELETE FROM phones", [])?;
            let mut report = {
                let mut insert = tx.prepare("INSERT OR IGNORE INTO phones (document, phone) VALUES (?1, ?2)")?;
                import_rows(icaze_permits::csv::phones(csv), |p| {
                    insert.execute(params![p.document, p.phone])?;
                    Ok(())
                })?
            };
            if report.problems.is_empty() {
                tx.commit()?;
            } else {
                report.imported = 0;
            }
            Ok(report)
        })
    }

    /// Number of permits recorded.
    pub fn permit_count(&self) -> Result<i64, Error> {
        self.with_reader(|c| Ok(c.query_row("SELECT count(*) FROM permits", [], |r| r.get(0))?))
    }
}

/// The rows of an import file: each good one given to `insert` and counted,
/// each bad one reported with its line and skipped.
fn import_rows<T>(
    rows: impl Iterator<Item = (usize, Result<T, String>)>,
    mut insert: impl FnMut(T) -> Result<(), Error>,
) -> Result<ImportReport, Error> {
    let mut report = ImportReport::default();
    for (line, row) in rows {
        match row {
            Ok(r) => {
                insert(r)?;
                report.imported += 1;
            }
            Err(message) => report.problems.push(RowProblem { line, message }),
        }
    }
    Ok(report)
}

/// A person as the registry stores them: `zone` checked to be a zone.
fn person_of(birth_day: i32, zone: u16) -> Result<Person, Error> {
    let zone = ZoneId::new(zone).ok_or_else(|| Error::Damaged(format!("zone {zone}")))?;
    Ok(Person { birth_day, zone })
}

/// A stored denial, if it still holds `at`.
pub(super) fn denial_of(reason: String, until: Option<u32>, at: UtcMinute) -> Option<Denial> {
    let until = until.map(UtcMinute::from_unix_minutes);
    until.is_none_or(|u| at < u).then_some(Denial { reason, until })
}

/// The row of [`PermitStore::person_and_denial`]'s SELECT.
///
/// Read by position, not by name: this read answers every SMS, and a read by
/// name looks each name up among the columns. The positions are those of the
/// SELECT: `birth_day, zone, reason, until`.
struct PersonAndDenial {
    birth_day: i32,
    zone: u16,
    reason: Option<String>,
    until: Option<u32>,
}

impl PersonAndDenial {
    const BIRTH_DAY: usize = 0;
    const ZONE: usize = 1;
    const REASON: usize = 2;
    const UNTIL: usize = 3;

    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            birth_day: r.get(Self::BIRTH_DAY)?,
            zone: r.get(Self::ZONE)?,
            reason: r.get(Self::REASON)?,
            until: r.get(Self::UNTIL)?,
        })
    }
}

impl PermitStore for SqlitePermitStore {
    fn person(&self, document: &str) -> Result<Option<Person>, StoreError> {
        answer(|| {
            self.with_registry(|c| {
                let mut stmt = c.prepare_cached("SELECT birth_day, zone FROM people WHERE document = ?1")?;
                read_first(&mut stmt, [document], |r| person_of(r.get("birth_day")?, r.get("zone")?))
            })
        })
    }

    fn denial(&self, document: &str, at: UtcMinute) -> Result<Option<Denial>, StoreError> {
        answer(|| {
            self.with_registry(|c| {
                let mut stmt = c.prepare_cached("SELECT reason, until FROM denials WHERE document = ?1")?;
                let row = read_first(&mut stmt, [document], |r| Ok((r.get("reason")?, r.get("until")?)))?;
                Ok(row.and_then(|(reason, until)| denial_of(reason, until, at)))
            })
        })
    }

    /// One query, so one read transaction instead of two.
    fn person_and_denial(&self, document: &str, at: UtcMinute) -> Result<Option<(Person, Option<Denial>)>, StoreError> {
        answer(|| {
            self.with_registry(|c| {
                let row = c
                    .prepare_cached(
                        // Subqueries, not a LEFT JOIN: SQLite plans that join with the
                        // bound value, so it re-prepared the statement for every document.
                        "SELECT birth_day, zone,
                            (SELECT reason FROM denials WHERE document = ?1) AS reason,
                            (SELECT until FROM denials WHERE document = ?1) AS until
                         FROM people WHERE document = ?1",
                    )?
                    .query_row([document], PersonAndDenial::from_row)
                    .optional()?;
                let Some(row) = row else { return Ok(None) };
                let person = person_of(row.birth_day, row.zone)?;
                let denial = row.reason.and_then(|reason| denial_of(reason, row.until, at));
                Ok(Some((person, denial)))
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

    fn denials_to_apply(&self, limit: u32) -> Result<Vec<ToRevoke>, StoreError> {
        answer(|| self.with_registry(|c| feeds::queued(c, limit)))
    }

    fn denials_applied(&self, done: &[ToRevoke]) -> Result<(), StoreError> {
        answer(|| self.write_registry_all(|tx| feeds::applied(tx, done)))
    }

    /// One read connection for the round, its two statements prepared once.
    fn still_to_revoke(&self, queued: &[ToRevoke], at: UtcMinute) -> Result<Vec<ToRevoke>, StoreError> {
        answer(|| self.with_registry(|c| feeds::still_to_revoke(c, queued, at)))
    }

    fn lock_denials(&self) -> Result<Option<DenialsLock>, StoreError> {
        Ok(self::shared::DenialsTurn::take(self.readers.path()))
    }

    fn add_feed(&self, credential: &FeedCredential) -> Result<bool, StoreError> {
        answer(|| self.write_registry_all(|tx| feeds::add(tx, credential)))
    }

    fn feeds(&self) -> Result<Vec<FeedCredential>, StoreError> {
        answer(|| self.with_registry(feeds::all))
    }

    fn remove_feed(&self, agency: &str) -> Result<bool, StoreError> {
        answer(|| self.write_registry_all(|tx| Ok(tx.execute("DELETE FROM feeds WHERE agency = ?1", [agency])? == 1)))
    }

    fn feed_by_token_hash(&self, token_hash: &str) -> Result<Option<FeedCredential>, StoreError> {
        answer(|| self.with_registry(|c| feeds::by_token_hash(c, token_hash)))
    }

    fn apply_feed_batch(&self, batch: &FeedBatch) -> Result<BatchApplied, StoreError> {
        answer(|| {
            self.write_registry(|tx| {
                let applied = feeds::apply(&tx, batch)?;
                if matches!(applied, BatchApplied::Applied(_)) {
                    tx.commit()?;
                }
                Ok(applied)
            })
        })
    }

    fn feed_batches(&self, registry: Registry, limit: u32) -> Result<Vec<BatchRecord>, StoreError> {
        answer(|| self.with_registry(|c| feeds::batches(c, registry, limit)))
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

    fn organisations(&self) -> Result<AuthorisedOrganisations, StoreError> {
        answer(|| self.with_registry(organisations::read))
    }

    fn replace_organisations(&self, list: &AuthorisedOrganisations) -> Result<(), StoreError> {
        answer(|| self.write_registry_all(|tx| organisations::replace(tx, list)))
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
        let mut many = self.valid_permits_many(&[document.to_owned()], at)?;
        Ok(many.remove(document).unwrap_or_default())
    }

    fn valid_permits_many(
        &self,
        documents: &[String],
        at: UtcMinute,
    ) -> Result<BTreeMap<String, Vec<PermitSerial>>, StoreError> {
        answer(|| self.with_reader(|c| feeds::valid_permits_many(c, documents, at)))
    }

    async fn record_refused(&self, request: RefusedRequest) -> Result<(), StoreError> {
        let answer: Result<_, Error> = async {
            let (tx, rx) = oneshot::channel();
            self.send(Job::Refused(request, tx))?;
            rx.await.map_err(|_| Error::Gone)?
        }
        .await;
        Ok(answer?)
    }

    /// Both tables by time (`permits_by_issued_at`, `refused_by_at`), the
    /// other conditions checked on the rows of the period.
    fn search(&self, search: &Search) -> Result<Vec<Found>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT at, document, phone, code, serial, purpose, reason FROM (
                        SELECT issued_at AS at, document, phone, code, serial, purpose, NULL AS reason FROM permits
                        WHERE issued_at >= ?1 AND issued_at < ?2
                          AND (?3 IS NULL OR document = ?3) AND (?4 IS NULL OR phone = ?4) AND (?5 IS NULL OR code = ?5)
                        UNION ALL
                        SELECT at, document, phone, code, NULL, 0, reason FROM refused
                        WHERE at >= ?1 AND at < ?2
                          AND (?3 IS NULL OR document = ?3) AND (?4 IS NULL OR phone = ?4) AND (?5 IS NULL OR code = ?5))
                     ORDER BY at DESC, serial DESC LIMIT ?6",
                )?;
                let args = params![
                    search.from.unix_minutes(),
                    search.to.unix_minutes(),
                    search.document,
                    search.phone,
                    search.code,
                    search.limit
                ];
                let rows = stmt.query_map(args, |r| {
                    Ok(Found {
                        at: UtcMinute::from_unix_minutes(r.get("at")?),
                        document: r.get("document")?,
                        phone: r.get("phone")?,
                        code: r.get("code")?,
                        serial: r.get::<_, Option<u32>>("serial")?.map(PermitSerial),
                        purpose: r.get("purpose")?,
                        reason: r.get("reason")?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
        })
    }

    fn code_hours(&self, from: UtcMinute, to: UtcMinute) -> Result<Vec<CodeHour>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT hour, code, sum(permits) AS permits, sum(refused) AS refused FROM (
                        SELECT issued_at / 60 * 60 AS hour, code, 1 AS permits, 0 AS refused FROM permits
                        WHERE issued_at >= ?1 AND issued_at < ?2 AND code > 0
                        UNION ALL
                        SELECT at / 60 * 60, code, 0, 1 FROM refused WHERE at >= ?1 AND at < ?2)
                     GROUP BY hour, code ORDER BY hour, code",
                )?;
                let rows = stmt.query_map(params![from.unix_minutes(), to.unix_minutes()], |r| {
                    Ok(CodeHour {
                        hour: UtcMinute::from_unix_minutes(r.get("hour")?),
                        code: r.get("code")?,
                        permits: r.get("permits")?,
                        refused: r.get("refused")?,
                    })
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
        })
    }

    fn top_requesters(
        &self,
        code: u8,
        from: UtcMinute,
        to: UtcMinute,
        limit: u32,
    ) -> Result<TopRequesters, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let top = |column: &str| -> Result<Vec<(String, u32)>, Error> {
                    let mut stmt = c.prepare_cached(&format!(
                        "SELECT {column}, count(*) AS n FROM permits
                         WHERE issued_at >= ?1 AND issued_at < ?2 AND code = ?3
                         GROUP BY {column} ORDER BY n DESC, {column} LIMIT ?4"
                    ))?;
                    let args = params![from.unix_minutes(), to.unix_minutes(), code, limit];
                    let rows = stmt.query_map(args, |r| Ok((r.get(0)?, r.get(1)?)))?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?)
                };
                Ok(TopRequesters { phones: top("phone")?, documents: top("document")? })
            })
        })
    }

    fn put_regime(&self, id: &str, toml: &str) -> Result<(), StoreError> {
        answer(|| self.put_regime_counted(id, toml))
    }

    fn generations(&self) -> Result<Generations, StoreError> {
        answer(|| self.read_generations())
    }

    fn trust_list_reloaded(&self, version: u64) -> Result<(), StoreError> {
        answer(|| self.raise_trust_list(version))
    }
}

#[cfg(test)]
mod tests;
