//! The sync service's SQLite store, in a database file of its own
//! (`DATA/sync.db`), so that the inspections' write load never waits on the
//! SMS service's writer and the other way round.
//!
//! WAL, `synchronous = FULL` by default (each commit flushed to the disk
//! before anyone learns of it), versioned migrations (`PRAGMA user_version`),
//! one writer connection with cached prepared statements, and a small pool
//! of read connections, which attach the time index (`sync-index.db`,
//! `time_index`) that queries by precinct and time read.
//!
//! Group commit: each [`SyncStore::write`] runs in a savepoint of its own
//! inside a transaction that writers arriving together share; the last
//! writer of the group (the one that finds nobody waiting behind it, or the
//! [`MAX_GROUP`]th) commits, and every writer of the group returns only after
//! that commit is flushed to the disk, by a flush made outside the writer's
//! lock (see `Flush`) while the next group works. An upload batch of 500
//! records is thus one savepoint, never a transaction or an fsync per record,
//! and concurrent devices share fsyncs. The inspections, the records kept
//! apart and the audit trail are append-only: triggers abort any UPDATE or
//! DELETE on them.

mod time_index;

use std::collections::BTreeSet;
use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

use icaze_core::UtcMinute;
use rusqlite::types::{ToSql, ToSqlOutput, Value, ValueRef};
use rusqlite::{params, Connection, OptionalExtension, Row};

use icaze_protocol::GENESIS_HASH;

use self::time_index::{index_path, TimeIndex};
use crate::{Checkpointer, Durability, Error, Readers, SqliteConfig};
use icaze_permits::store::StoreError;
use icaze_sync_service::store::{
    AuditDetails, AuditEntry, AuditRecord, BundleState, ConflictRow, DeviceRow, HourCount, InspectionQuery,
    NewInspections, OfficerCount, RevocationRow, StoredInspection, SupervisorRow, SyncStore, SyncTx,
};

/// Runs `f`, answering in the store interface's error.
fn answer<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, StoreError> {
    f().map_err(StoreError::from)
}

/// Each migration runs once, in order; `PRAGMA user_version` is the number done.
const MIGRATIONS: &[&str] = &[
    // 1: devices, the log, the records kept apart, revocations, the bundle
    // version, supervisors, the audit trail.
    "CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        public_key BLOB NOT NULL UNIQUE,
        badge TEXT NOT NULL,
        precinct TEXT NOT NULL,
        suspended INTEGER NOT NULL,
        approved_at INTEGER NOT NULL,
        approved_by TEXT NOT NULL,
        last_sync INTEGER,
        high_water INTEGER NOT NULL,
        max_seq INTEGER NOT NULL,
        fork_seq INTEGER
     ) WITHOUT ROWID;
     CREATE INDEX devices_precinct ON devices (precinct);
     CREATE TABLE inspections (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        precinct TEXT NOT NULL,
        at INTEGER NOT NULL,
        officer TEXT NOT NULL,
        zone INTEGER NOT NULL,
        input TEXT NOT NULL,
        display TEXT,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        body BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        UNIQUE (device_id, seq)
     );
     CREATE INDEX inspections_precinct_at ON inspections (precinct, at);
     CREATE TRIGGER inspections_no_update BEFORE UPDATE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;
     CREATE TRIGGER inspections_no_delete BEFORE DELETE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;
     CREATE TABLE conflicts (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        body BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        UNIQUE (device_id, seq, hash)
     );
     CREATE TRIGGER conflicts_no_update BEFORE UPDATE ON conflicts
        BEGIN SELECT RAISE(ABORT, 'records kept apart are append-only'); END;
     CREATE TRIGGER conflicts_no_delete BEFORE DELETE ON conflicts
        BEGIN SELECT RAISE(ABORT, 'records kept apart are append-only'); END;
     CREATE TABLE revocations (
        serial INTEGER PRIMARY KEY,
        version INTEGER NOT NULL,
        at INTEGER NOT NULL,
        by TEXT NOT NULL,
        reason TEXT NOT NULL,
        document TEXT
     );
     CREATE INDEX revocations_version ON revocations (version);
     CREATE TABLE bundle_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        fingerprint BLOB,
        minted_at INTEGER
     );
     INSERT INTO bundle_state VALUES (1, 0, NULL, NULL);
     CREATE TABLE supervisors (
        name TEXT PRIMARY KEY,
        precinct TEXT NOT NULL,
        token_hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
     );
     CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        who TEXT NOT NULL,
        what TEXT NOT NULL,
        details TEXT NOT NULL
     );
     CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
     CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
    // 2 (issue 5, ingest speed): devices get an integer number, which keys
    // their inspections in place of the 16-character text id; an inspection
    // row no longer repeats the chain hash before it (the stored hash of the
    // record before), and keeps it only when that record is not stored (the
    // far side of a gap). Both tables are rewritten; row ids are kept, so the
    // order of reception and the paging cursors stay as they were. A row whose
    // device is missing makes the migration fail (NOT NULL) rather than drop it.
    "CREATE TABLE devices_v2 (
        num INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL UNIQUE,
        public_key BLOB NOT NULL UNIQUE,
        badge TEXT NOT NULL,
        precinct TEXT NOT NULL,
        suspended INTEGER NOT NULL,
        approved_at INTEGER NOT NULL,
        approved_by TEXT NOT NULL,
        last_sync INTEGER,
        high_water INTEGER NOT NULL,
        max_seq INTEGER NOT NULL,
        fork_seq INTEGER
     );
     INSERT INTO devices_v2 (device_id, public_key, badge, precinct, suspended, approved_at, approved_by,
        last_sync, high_water, max_seq, fork_seq)
        SELECT device_id, public_key, badge, precinct, suspended, approved_at, approved_by,
            last_sync, high_water, max_seq, fork_seq
        FROM devices ORDER BY device_id;
     CREATE TABLE inspections_v2 (
        id INTEGER PRIMARY KEY,
        device INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        precinct TEXT NOT NULL,
        at INTEGER NOT NULL,
        officer TEXT NOT NULL,
        zone INTEGER NOT NULL,
        input TEXT NOT NULL,
        display TEXT,
        gap_prev_hash BLOB,
        hash BLOB NOT NULL,
        body BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        UNIQUE (device, seq)
     );
     INSERT INTO inspections_v2 (id, device, seq, precinct, at, officer, zone, input, display, gap_prev_hash,
        hash, body, received_at, channel)
        SELECT i.id, (SELECT d.num FROM devices_v2 d WHERE d.device_id = i.device_id), i.seq, i.precinct, i.at,
            i.officer, i.zone, i.input, i.display,
            CASE WHEN (i.seq = 1 AND i.prev_hash = zeroblob(32))
                OR i.prev_hash IS (SELECT p.hash FROM inspections p WHERE p.device_id = i.device_id AND p.seq = i.seq - 1)
                THEN NULL ELSE i.prev_hash END,
            i.hash, i.body, i.received_at, i.channel
        FROM inspections i ORDER BY i.id;
     DROP TABLE inspections;
     DROP TABLE devices;
     ALTER TABLE devices_v2 RENAME TO devices;
     CREATE INDEX devices_precinct ON devices (precinct);
     ALTER TABLE inspections_v2 RENAME TO inspections;
     CREATE INDEX inspections_precinct_at ON inspections (precinct, at);
     CREATE TRIGGER inspections_no_update BEFORE UPDATE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;
     CREATE TRIGGER inspections_no_delete BEFORE DELETE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;",
    // 3 (issue 5, ingest speed, fewer bytes a row): the precinct of an
    // inspection is a number (`precincts.num`), and its input kind, display
    // level and channel are small integers (`INPUT_CODES`, `DISPLAY_CODES`,
    // `CHANNEL_CODES`, which these CASEs must match: a test checks it). The
    // three columns have no type, hence no affinity: a text without a code
    // (a display level a newer device sends) is kept as the text itself.
    // Row ids are kept, as in migration 2.
    "CREATE TABLE precincts (
        num INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
     );
     INSERT INTO precincts (name) SELECT DISTINCT precinct FROM inspections ORDER BY precinct;
     CREATE TABLE inspections_v3 (
        id INTEGER PRIMARY KEY,
        device INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        precinct INTEGER NOT NULL,
        at INTEGER NOT NULL,
        officer TEXT NOT NULL,
        zone INTEGER NOT NULL,
        input NOT NULL,
        display,
        gap_prev_hash BLOB,
        hash BLOB NOT NULL,
        body BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        channel NOT NULL,
        UNIQUE (device, seq)
     );
     INSERT INTO inspections_v3 (id, device, seq, precinct, at, officer, zone, input, display, gap_prev_hash,
        hash, body, received_at, channel)
        SELECT i.id, i.device, i.seq, (SELECT p.num FROM precincts p WHERE p.name = i.precinct), i.at, i.officer,
            i.zone,
            CASE i.input WHEN 'token' THEN 1 WHEN 'qr_digits' THEN 2 WHEN 'text' THEN 3 WHEN 'service_card' THEN 4
                WHEN 'summons' THEN 5 WHEN 'imminent_danger' THEN 6 WHEN 'violation' THEN 7 ELSE i.input END,
            CASE i.display WHEN 'valid' THEN 1 WHEN 'valid_with_warning' THEN 2 WHEN 'not_valid' THEN 3
                ELSE i.display END,
            i.gap_prev_hash, i.hash, i.body, i.received_at,
            CASE i.channel WHEN 'upload' THEN 1 WHEN 'file' THEN 2 ELSE i.channel END
        FROM inspections i ORDER BY i.id;
     DROP TABLE inspections;
     ALTER TABLE inspections_v3 RENAME TO inspections;
     CREATE INDEX inspections_precinct_at ON inspections (precinct, at);
     CREATE TRIGGER inspections_no_update BEFORE UPDATE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;
     CREATE TRIGGER inspections_no_delete BEFORE DELETE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;",
    // 4 (issue 5, ingest speed): the inspections by precinct and time move
    // out of sync.db, into the time index (`time_index`), which a
    // thread of its own fills; the thread indexes the rows already there.
    "DROP INDEX inspections_precinct_at;",
    // 5 (issue 18): a record under another badge than the device's approved one.
    "ALTER TABLE devices ADD COLUMN badge_seq INTEGER;",
    // 6 (issue 18): a supervisor's revocations of the last 24 hours are counted.
    "CREATE INDEX revocations_by_at ON revocations (by, at);",
];

/// The stored codes of an inspection's input kinds (`icaze_protocol::InputKind::code`), migration 3.
const INPUT_CODES: [(&str, i64); 7] = [
    ("token", 1),
    ("qr_digits", 2),
    ("text", 3),
    ("service_card", 4),
    ("summons", 5),
    ("imminent_danger", 6),
    ("violation", 7),
];

/// The stored codes of the display levels, migration 3.
const DISPLAY_CODES: [(&str, i64); 3] = [("valid", 1), ("valid_with_warning", 2), ("not_valid", 3)];

/// The stored codes of the channels (`icaze_sync_service::Channel::code`), migration 3.
const CHANNEL_CODES: [(&str, i64); 2] = [("upload", 1), ("file", 2)];

/// The stored form of a text with a code table: its code, or the text itself
/// when it has none (the column has no affinity, so SQLite keeps either).
fn coded<'a>(codes: &[(&str, i64)], text: &'a str) -> ToSqlOutput<'a> {
    match codes.iter().find(|(t, _)| *t == text) {
        Some(&(_, code)) => ToSqlOutput::Owned(Value::Integer(code)),
        None => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
    }
}

/// The code of a text that is in its table, for the queries' SQL.
fn code_of(codes: &[(&str, i64)], text: &str) -> i64 {
    // Invariant: callers pass a text of the table (checked by a test); 0 matches no row.
    codes.iter().find(|(t, _)| *t == text).map_or(0, |&(_, c)| c)
}

/// The WAL pages a write adds, about: an upload of 500 records writes some
/// 30 (the rows, about 220 bytes each, and their entries in the index by
/// device and sequence number); the checkpoint thread also runs once a
/// second with anything committed.
const PAGES_PER_WRITE: u32 = 32;

/// The most writes one group commit holds, so that a steady stream of
/// writers does not keep one transaction open for ever.
pub const MAX_GROUP: usize = 64;

/// The writer connection and the group commit's state.
struct Writer {
    conn: Connection,
    /// A transaction is open, holding the writes of group `group`.
    open: bool,
    /// The current group.
    group: u64,
    /// Writes in the current group.
    writes: usize,
    /// Every group up to this one is finished: committed, or failed.
    finished: u64,
    /// Recent groups whose commit failed.
    failed: BTreeSet<u64>,
}

/// The flush of the WAL, made outside the writer's lock (issue 5).
///
/// With `synchronous = FULL` SQLite would `fsync` the WAL inside `COMMIT`,
/// with the writer connection held, so that the next group could do nothing
/// during the flush (a third of an ingest's time). The writer connection
/// therefore commits with `synchronous = NORMAL`, which writes the WAL but
/// does not flush it (SQLite still flushes around checkpoints, and NORMAL
/// keeps the database consistent after a crash), and the store flushes the
/// WAL file itself after the commit, without the writer's lock, while the
/// next group works. One flush covers every group committed before it began.
///
/// Invariant: nothing leaves the store before the flush that covers it:
/// [`SyncStore::write`] returns only once its group is durable, and a read
/// returns only once every commit it may have seen is durable (a revocation
/// or a device's chain seen by a read could otherwise be lost by a crash
/// after it was served). A flush that fails breaks the store: every later
/// write and read is refused, since the kernel may have dropped the pages
/// it could not write and a later flush would not say so.
struct Flush {
    /// The WAL file, `None` with `synchronous = NORMAL` (nothing is flushed).
    wal: Option<File>,
    state: Mutex<FlushState>,
    /// Signalled when a flush ends.
    flushed: Condvar,
    /// The last group whose `COMMIT` began: a read may see it.
    visible: AtomicU64,
    /// The last group whose `COMMIT` returned (or failed).
    committed: AtomicU64,
}

struct FlushState {
    /// Every group up to this one is durable (or failed).
    durable: u64,
    /// A flush is running.
    running: bool,
    /// A flush failed.
    broken: bool,
}

/// The SQLite implementation of [`SyncStore`].
pub struct SqliteSyncStore {
    writer: Mutex<Writer>,
    /// Copies the WAL back into the database, outside the writer's lock.
    checkpointer: Arc<Checkpointer>,
    /// The inspections by precinct and time, in `sync-index.db`.
    index: Arc<TimeIndex>,
    /// Signalled when a group is finished.
    finished: Condvar,
    /// Writers waiting for the writer connection.
    waiting: AtomicUsize,
    flush: Flush,
    readers: Readers,
}

fn open(path: &Path, config: &SqliteConfig) -> Result<Connection, crate::Error> {
    let conn = crate::open(path, config)?;
    // Enough cached statements for every query shape of the inspections page.
    conn.set_prepared_statement_cache_capacity(64);
    // Every upload batch is a savepoint, and SQLite copies each page a
    // savepoint changes first into a statement journal, a temporary file by
    // default: two `pwrite`s a page, two thirds of all the writes of an
    // ingest (issue 5). In memory, that copy costs a `memcpy`; it lives only
    // until the savepoint is released, and nothing durable depends on it.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

/// Opens a read connection, with the time index attached as `ix`.
fn open_reader(path: &Path, config: &SqliteConfig) -> Result<Connection, crate::Error> {
    let conn = open(path, config)?;
    let index = index_path(path);
    let name = index.to_str().ok_or_else(|| {
        crate::Error::Damaged(format!(
            "the data directory's path {} is not UTF-8: SQLite cannot attach it",
            path.display()
        ))
    })?;
    conn.execute("ATTACH DATABASE ?1 AS ix", [name])?;
    Ok(conn)
}

impl SqliteSyncStore {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path, config: SqliteConfig) -> Result<Self, Error> {
        Self::open_with(path, config, true)
    }

    /// [`Self::open`], with the time index's thread or without it (tests index by hand).
    fn open_with(path: &Path, config: SqliteConfig, index_thread: bool) -> Result<Self, Error> {
        let mut conn = open(path, &config)?;
        crate::migrate(&mut conn, MIGRATIONS, "sync.db")?;
        // SQLite's automatic checkpoint would run inside a group's COMMIT,
        // with the writer's lock held: it copies tens of megabytes of pages
        // back into the database and syncs it, while every upload waits. A
        // thread of its own does it instead, as for the SMS store.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpointer = Checkpointer::start(path, &config, PAGES_PER_WRITE)?;
        // With FULL, the store flushes the WAL itself, outside the writer's lock (see `Flush`).
        let wal = match config.durability {
            Durability::Full => {
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                let mut name = path.as_os_str().to_owned();
                name.push("-wal");
                // The WAL exists: the writer connection opened it in WAL mode and keeps it open.
                let wal = File::options().read(true).write(true).open(&name).map_err(|e| {
                    Error::Damaged(format!("cannot open the WAL {} to flush it: {e}", Path::new(&name).display()))
                })?;
                Some(wal)
            }
            Durability::Normal => None,
        };
        let writer = Writer { conn, open: false, group: 1, writes: 0, finished: 0, failed: BTreeSet::new() };
        // Last, so that nothing fails once its thread runs; and before any
        // reader, since they attach the index, which this makes if it is missing.
        let index = TimeIndex::start(path, &config, open, index_thread)?;
        Ok(Self {
            writer: Mutex::new(writer),
            checkpointer,
            index,
            finished: Condvar::new(),
            waiting: AtomicUsize::new(0),
            flush: Flush {
                wal,
                state: Mutex::new(FlushState { durable: 0, running: false, broken: false }),
                flushed: Condvar::new(),
                visible: AtomicU64::new(0),
                committed: AtomicU64::new(0),
            },
            readers: Readers::new(path, config, open_reader),
        })
    }

    /// The writer. A panic never happens while it is held (the rules' work
    /// runs under `catch_unwind`), so a poisoned lock still holds a
    /// consistent state and is taken as is.
    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` in a savepoint of the current group's transaction. The
    /// flag says the transaction is in doubt: a savepoint could not be
    /// released or rolled back, so the whole group must be rolled back.
    fn run(
        w: &mut Writer,
        work: &mut dyn FnMut(&mut dyn SyncTx) -> Result<(), StoreError>,
    ) -> (Result<(), Error>, bool) {
        if !w.open {
            if let Err(e) = w.conn.execute_batch("BEGIN IMMEDIATE") {
                return (Err(e.into()), false);
            }
            w.open = true;
        }
        w.writes += 1;
        if let Err(e) = w.conn.execute_batch("SAVEPOINT work") {
            return (Err(e.into()), false);
        }
        let conn = &w.conn;
        let outcome = catch_unwind(AssertUnwindSafe(|| work(&mut Tx(conn)).map_err(Error::from)))
            .unwrap_or_else(|_| Err(Error::Damaged("a write panicked; it was rolled back".into())));
        let end = if outcome.is_ok() { "RELEASE work" } else { "ROLLBACK TO work; RELEASE work" };
        match w.conn.execute_batch(end) {
            Ok(()) => (outcome, false),
            Err(e) => (outcome.and(Err(e.into())), true),
        }
    }

    /// Ends the current group: commits it (or, when `abort`, rolls it back)
    /// and wakes its writers.
    fn finish(&self, w: &mut Writer, abort: bool) {
        if w.open {
            // Before the COMMIT: a read that runs into it must wait for its flush.
            self.flush.visible.store(w.group, Ordering::SeqCst);
            let committed = if abort { Err(()) } else { w.conn.execute_batch("COMMIT").map_err(|_| ()) };
            if committed.is_err() {
                let _ = w.conn.execute_batch("ROLLBACK");
                w.failed.insert(w.group);
            } else {
                self.checkpointer.committed(w.writes as u64);
                self.index.wake();
            }
            w.open = false;
            // Between two groups, when the checkpoint thread asks for it (see `Checkpointer`).
            self.checkpointer.restart_if_wanted(&w.conn, "sync.db");
        }
        w.finished = w.group;
        self.flush.committed.store(w.group, Ordering::SeqCst);
        w.group += 1;
        w.writes = 0;
        // Writers of older groups have long been woken and have read their outcome.
        let keep = w.finished.saturating_sub(1024);
        w.failed.retain(|g| *g >= keep);
        self.finished.notify_all();
    }

    fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        let out = self.readers.with(f)?;
        // Whatever the read saw was committed by this group or an earlier one.
        let seen = self.flush.visible.load(Ordering::SeqCst);
        if self.flush.committed.load(Ordering::SeqCst) < seen {
            // That COMMIT is running, under the writer's lock: it has ended once the lock is free.
            drop(self.lock_writer());
        }
        self.flush_to(seen)?;
        Ok(out)
    }

    fn lock_flush(&self) -> MutexGuard<'_, FlushState> {
        // The state is a few integers set together: a poisoned lock holds a consistent state.
        self.flush.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Returns once every group up to `group` (all committed or failed
    /// already) is durable: it runs a flush of the WAL, or waits for the one
    /// running, or for the next when the running one began too early.
    fn flush_to(&self, group: u64) -> Result<(), Error> {
        let Some(wal) = &self.flush.wal else { return Ok(()) };
        let mut f = self.lock_flush();
        loop {
            if f.broken {
                return Err(Error::Damaged(
                    "a flush of sync.db's WAL to the disk failed: restart the service once the disk is fixed".into(),
                ));
            }
            if f.durable >= group {
                return Ok(());
            }
            if f.running {
                f = self.flush.flushed.wait(f).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            f.running = true;
            // Every group committed by now wrote its frames to the WAL before this flush begins.
            let target = self.flush.committed.load(Ordering::SeqCst);
            drop(f);
            let flushed = wal.sync_data();
            f = self.lock_flush();
            f.running = false;
            match flushed {
                Ok(()) => f.durable = f.durable.max(target),
                Err(e) => {
                    tracing::error!(error = %e, "flushing sync.db's WAL failed; the sync store refuses all requests");
                    f.broken = true;
                }
            }
            self.flush.flushed.notify_all();
        }
    }
}

fn int(v: u64) -> Result<i64, Error> {
    i64::try_from(v).map_err(|_| Error::Damaged(format!("{v} does not fit the database's integers")))
}

fn uint(v: i64) -> Result<u64, Error> {
    u64::try_from(v).map_err(|_| Error::Damaged(format!("negative count {v}")))
}

fn hash32(v: Vec<u8>) -> Result<[u8; 32], Error> {
    v.try_into().map_err(|v: Vec<u8>| Error::Damaged(format!("a stored hash or key of {} bytes", v.len())))
}

fn minute(v: i64) -> Result<UtcMinute, Error> {
    u32::try_from(v).map(UtcMinute::from_unix_minutes).map_err(|_| Error::Damaged(format!("time {v}")))
}

/// The number of the device whose text id is `?1`, inside a statement.
const DEVICE_NUM: &str = "(SELECT num FROM devices WHERE device_id = ?1)";

/// The stored hash of the record before the row `i`, inside a statement.
const HASH_BEFORE: &str = "(SELECT p.hash FROM inspections p WHERE p.device = i.device AND p.seq = i.seq - 1)";

/// The sizes of the multi-row inserts, largest first.
const INSERT_CHUNKS: [usize; 7] = [64, 32, 16, 8, 4, 2, 1];

/// Parameters of one row in a multi-row insert, after the four shared ones.
const PER_ROW: usize = 9;

/// `INSERT` of `rows` inspections (one of [`INSERT_CHUNKS`]): `?1` device
/// number, `?2` precinct number, `?3` received_at, `?4` channel's code, then [`PER_ROW`]
/// parameters a row. Made once: the statement cache is keyed by the text.
fn insert_sql(rows: usize) -> &'static str {
    static SQL: OnceLock<Vec<(usize, String)>> = OnceLock::new();
    let all = SQL.get_or_init(|| INSERT_CHUNKS.iter().map(|&n| (n, make_insert_sql(n))).collect());
    // Invariant: callers pass a size of INSERT_CHUNKS, and size 1 is always there.
    all.iter().find(|(n, _)| *n == rows).or(all.last()).map_or("", |(_, sql)| sql.as_str())
}

/// `OR FAIL`: a statement that meets a stored `(device, seq)` stops there and
/// keeps the rows it inserted before, which the caller's savepoint then rolls
/// back with the whole write (`SqliteSyncStore::run`). With the default
/// `ABORT`, SQLite would open a statement journal for each statement, copying
/// again every page it changes, for nothing: the savepoint already does.
fn make_insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT OR FAIL INTO inspections (device, precinct, received_at, channel, seq, at, officer, zone, input,
            display,
            gap_prev_hash, hash, body) VALUES ",
    );
    for k in 0..rows {
        let p = 5 + k * PER_ROW;
        if k > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("(?1, ?2, ?3, ?4, ?{p}"));
        for j in 1..PER_ROW {
            sql.push_str(&format!(", ?{}", p + j));
        }
        sql.push(')');
    }
    sql
}

/// The chain hash before a stored record: kept in its row (after a gap),
/// else the hash of the stored record before it, else (record 1) genesis.
fn chain_before(seq: i64, kept: Option<Vec<u8>>, before: Option<Vec<u8>>) -> Result<[u8; 32], Error> {
    match (kept, before) {
        (Some(h), _) | (None, Some(h)) => hash32(h),
        (None, None) if seq == 1 => Ok(GENESIS_HASH.0),
        (None, None) => {
            Err(Error::Damaged(format!("record {seq} keeps no chain hash and the record before it is not stored")))
        }
    }
}

const DEVICE_COLUMNS: &str = "device_id, public_key, badge, precinct, suspended, approved_at, approved_by, \
                              last_sync, high_water, max_seq, fork_seq, badge_seq";

type RawDevice = (String, Vec<u8>, String, String, bool, i64, String, Option<i64>, i64, i64, Option<i64>, Option<i64>);

fn raw_device(r: &Row<'_>) -> rusqlite::Result<RawDevice> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

fn device_row(raw: RawDevice) -> Result<DeviceRow, Error> {
    let (device_id, key, badge, precinct, suspended, approved_at, approved_by, last_sync, hw, max_seq, fork, other) =
        raw;
    Ok(DeviceRow {
        device_id,
        public_key: hash32(key)?,
        badge,
        precinct,
        suspended,
        approved_at: minute(approved_at)?,
        approved_by,
        last_sync: last_sync.map(minute).transpose()?,
        high_water: uint(hw)?,
        max_seq: uint(max_seq)?,
        fork_seq: fork.map(uint).transpose()?,
        badge_seq: other.map(uint).transpose()?,
    })
}

fn one_device(conn: &Connection, column: &str, value: &dyn ToSql) -> Result<Option<DeviceRow>, Error> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE {column} = ?1");
    let raw = conn.prepare_cached(&sql)?.query_row([value], raw_device).optional()?;
    raw.map(device_row).transpose()
}

fn bundle_state(conn: &Connection) -> Result<BundleState, Error> {
    let (version, fingerprint, minted_at): (i64, Option<Vec<u8>>, Option<i64>) = conn
        .prepare_cached("SELECT version, fingerprint, minted_at FROM bundle_state WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(BundleState {
        version: uint(version)?,
        fingerprint: fingerprint.map(hash32).transpose()?,
        minted_at: minted_at.map(minute).transpose()?,
    })
}

/// The number of a precinct's name in the inspection rows, made the first
/// time a record of that precinct is stored (in the caller's savepoint, so a
/// write that fails leaves no number behind).
fn precinct_num(conn: &Connection, name: &str) -> Result<i64, Error> {
    let found: Option<i64> =
        conn.prepare_cached("SELECT num FROM precincts WHERE name = ?1")?.query_row([name], |r| r.get(0)).optional()?;
    if let Some(num) = found {
        return Ok(num);
    }
    conn.prepare_cached("INSERT INTO precincts (name) VALUES (?1)")?.execute([name])?;
    Ok(conn.last_insert_rowid())
}

/// The number of the precinct named `?1`, inside a statement (NULL, which
/// matches no row, for a name never stored).
const PRECINCT_NUM_1: &str = "(SELECT num FROM precincts WHERE name = ?1)";

/// The transaction the rules write through (the writer connection inside
/// a savepoint).
struct Tx<'a>(&'a Connection);

impl SyncTx for Tx<'_> {
    fn device(&mut self, device_id: &str) -> Result<Option<DeviceRow>, StoreError> {
        answer(|| one_device(self.0, "device_id", &device_id))
    }

    fn put_device(&mut self, d: &DeviceRow) -> Result<(), StoreError> {
        answer(|| {
            self.0
                .prepare_cached(&format!(
                    "INSERT INTO devices ({DEVICE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                     ON CONFLICT (device_id) DO UPDATE SET public_key = excluded.public_key, badge = excluded.badge,
                        precinct = excluded.precinct, suspended = excluded.suspended,
                        approved_at = excluded.approved_at, approved_by = excluded.approved_by,
                        last_sync = excluded.last_sync, high_water = excluded.high_water,
                        max_seq = excluded.max_seq, fork_seq = excluded.fork_seq, badge_seq = excluded.badge_seq"
                ))?
                .execute(params![
                    d.device_id,
                    d.public_key.as_slice(),
                    d.badge,
                    d.precinct,
                    d.suspended,
                    d.approved_at.unix_minutes(),
                    d.approved_by,
                    d.last_sync.map(|t| t.unix_minutes()),
                    int(d.high_water)?,
                    int(d.max_seq)?,
                    d.fork_seq.map(int).transpose()?,
                    d.badge_seq.map(int).transpose()?,
                ])?;
            Ok(())
        })
    }

    fn hashes(&mut self, device_id: &str, from: u64, to: u64) -> Result<Vec<(u64, [u8; 32])>, StoreError> {
        answer(|| {
            let mut stmt = self.0.prepare_cached(&format!(
                "SELECT seq, hash FROM inspections WHERE device = {DEVICE_NUM} AND seq BETWEEN ?2 AND ?3 ORDER BY seq"
            ))?;
            let rows = stmt.query_map(params![device_id, int(from)?, int(to)?], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, hash) = row?;
                out.push((uint(seq)?, hash32(hash)?));
            }
            Ok(out)
        })
    }

    fn prev_hash_of(&mut self, device_id: &str, seq: u64) -> Result<Option<[u8; 32]>, StoreError> {
        answer(|| {
            let found = self
                .0
                .prepare_cached(&format!(
                    "SELECT i.seq, i.gap_prev_hash, {HASH_BEFORE} FROM inspections i WHERE i.device = {DEVICE_NUM}
                     AND i.seq = ?2"
                ))?
                .query_row(params![device_id, int(seq)?], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            found.map(|(seq, kept, before)| chain_before(seq, kept, before)).transpose()
        })
    }

    fn seqs_after(&mut self, device_id: &str, after: u64, limit: u32) -> Result<Vec<u64>, StoreError> {
        answer(|| {
            let mut stmt = self.0.prepare_cached(&format!(
                "SELECT seq FROM inspections WHERE device = {DEVICE_NUM} AND seq > ?2 ORDER BY seq LIMIT ?3"
            ))?;
            let rows = stmt.query_map(params![device_id, int(after)?, limit], |r| r.get::<_, i64>(0))?;
            rows.map(|r| uint(r?)).collect()
        })
    }

    fn insert_inspections(&mut self, records: &NewInspections<'_>) -> Result<(), StoreError> {
        answer(|| {
            if records.rows.is_empty() {
                return Ok(());
            }
            let device: i64 = self
                .0
                .prepare_cached("SELECT num FROM devices WHERE device_id = ?1")?
                .query_row([records.device_id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| Error::Damaged(format!("records of device {} that is not stored", records.device_id)))?;
            let precinct = precinct_num(self.0, records.precinct)?;
            let channel = coded(&CHANNEL_CODES, records.channel);
            // A few multi-row statements of power-of-two sizes (500 rows: 7 × 64,
            // 32, 16, 4), each prepared once and cached, rather than one statement
            // execution per row.
            let mut rest = records.rows.as_slice();
            while !rest.is_empty() {
                let size = INSERT_CHUNKS.iter().copied().find(|&n| n <= rest.len()).unwrap_or(1);
                let (chunk, tail) = rest.split_at(size.min(rest.len()));
                rest = tail;
                let mut stmt = self.0.prepare_cached(insert_sql(chunk.len()))?;
                stmt.raw_bind_parameter(1, device)?;
                stmt.raw_bind_parameter(2, precinct)?;
                stmt.raw_bind_parameter(3, records.received_at.unix_minutes())?;
                stmt.raw_bind_parameter(4, &channel)?;
                for (k, row) in chunk.iter().enumerate() {
                    let at = 5 + k * PER_ROW;
                    stmt.raw_bind_parameter(at, int(row.seq)?)?;
                    stmt.raw_bind_parameter(at + 1, row.at.unix_minutes())?;
                    stmt.raw_bind_parameter(at + 2, row.officer)?;
                    stmt.raw_bind_parameter(at + 3, row.zone)?;
                    stmt.raw_bind_parameter(at + 4, coded(&INPUT_CODES, row.input))?;
                    stmt.raw_bind_parameter(at + 5, row.display.map(|d| coded(&DISPLAY_CODES, d)))?;
                    stmt.raw_bind_parameter(at + 6, row.gap_prev_hash.as_ref().map(|h| h.as_slice()))?;
                    stmt.raw_bind_parameter(at + 7, row.hash.as_slice())?;
                    stmt.raw_bind_parameter(at + 8, row.body)?;
                }
                stmt.raw_execute()?;
            }
            Ok(())
        })
    }

    fn insert_conflict(&mut self, row: &ConflictRow) -> Result<bool, StoreError> {
        answer(|| {
            let n = self
                .0
                .prepare_cached(
                    "INSERT OR IGNORE INTO conflicts (device_id, seq, prev_hash, hash, body, received_at, channel)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    row.device_id,
                    int(row.seq)?,
                    row.prev_hash.as_slice(),
                    row.hash.as_slice(),
                    row.body,
                    row.received_at.unix_minutes(),
                    row.channel,
                ])?;
            Ok(n == 1)
        })
    }

    fn bundle_state(&mut self) -> Result<BundleState, StoreError> {
        answer(|| bundle_state(self.0))
    }

    fn set_bundle_state(&mut self, state: &BundleState) -> Result<(), StoreError> {
        answer(|| {
            self.0
                .prepare_cached("UPDATE bundle_state SET version = ?1, fingerprint = ?2, minted_at = ?3 WHERE id = 1")?
                .execute(params![
                    int(state.version)?,
                    state.fingerprint.as_ref().map(|f| f.as_slice()),
                    state.minted_at.map(|t| t.unix_minutes())
                ])?;
            Ok(())
        })
    }

    fn is_revoked(&mut self, serial: u32) -> Result<bool, StoreError> {
        answer(|| {
            Ok(self
                .0
                .prepare_cached("SELECT 1 FROM revocations WHERE serial = ?1")?
                .query_row([serial], |_| Ok(()))
                .optional()?
                .is_some())
        })
    }

    fn insert_revocation(&mut self, row: &RevocationRow) -> Result<(), StoreError> {
        answer(|| {
            self.0
                .prepare_cached(
                    "INSERT INTO revocations (serial, version, at, by, reason, document) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![row.serial, int(row.version)?, row.at.unix_minutes(), row.by, row.reason, row.document])?;
            Ok(())
        })
    }

    fn revocations_by_since(&mut self, by: &str, since: UtcMinute) -> Result<u64, StoreError> {
        answer(|| {
            let n: i64 = self
                .0
                .prepare_cached("SELECT count(*) FROM revocations WHERE by = ?1 AND at >= ?2")?
                .query_row(params![by, since.unix_minutes()], |r| r.get(0))?;
            Ok(n as u64)
        })
    }

    fn insert_supervisor(&mut self, row: &SupervisorRow) -> Result<bool, StoreError> {
        answer(|| {
            let n = self
                .0
                .prepare_cached(
                    "INSERT OR IGNORE INTO supervisors (name, precinct, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![row.name, row.precinct, row.token_hash.as_slice(), row.created_at.unix_minutes()])?;
            Ok(n == 1)
        })
    }

    fn delete_supervisor(&mut self, name: &str) -> Result<bool, StoreError> {
        answer(|| {
            let n = self.0.prepare_cached("DELETE FROM supervisors WHERE name = ?1")?.execute([name])?;
            Ok(n == 1)
        })
    }

    fn audit(&mut self, e: &AuditEntry) -> Result<(), StoreError> {
        answer(|| {
            self.0
                .prepare_cached("INSERT INTO audit (at, who, what, details) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![e.at.unix_minutes(), e.who, e.what, audit_json(&e.details)?])?;
            Ok(())
        })
    }
}

/// The audit details as stored: the JSON object of their fields.
fn audit_json(details: &AuditDetails) -> Result<String, Error> {
    serde_json::to_string(details).map_err(|e| Error::Damaged(format!("audit details: {e}")))
}

/// The `WHERE` clauses of an inspections query and their values. `key` is the
/// alias whose `precinct`, `at` and `id` the clauses on those three name:
/// `e` for the time index's entries, `i` for the rows themselves.
fn filters(q: &InspectionQuery, key: &str) -> (Vec<String>, Vec<Box<dyn ToSql>>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut values: Vec<Box<dyn ToSql>> = Vec::new();
    if let Some(p) = &q.precinct {
        clauses.push(format!("{key}.precinct = (SELECT num FROM precincts WHERE name = ?)"));
        values.push(Box::new(p.clone()));
    }
    if let Some(o) = &q.officer {
        clauses.push("i.officer = ?".into());
        values.push(Box::new(o.clone()));
    }
    if let Some(z) = q.zone {
        clauses.push("i.zone = ?".into());
        values.push(Box::new(z));
    }
    if let Some(d) = &q.device {
        clauses.push("i.device = (SELECT num FROM devices WHERE device_id = ?)".into());
        values.push(Box::new(d.clone()));
    }
    if let Some(t) = q.from {
        clauses.push(format!("{key}.at >= ?"));
        values.push(Box::new(t.unix_minutes()));
    }
    if let Some(t) = q.to {
        clauses.push(format!("{key}.at < ?"));
        values.push(Box::new(t.unix_minutes()));
    }
    if q.violations {
        clauses.push(format!("i.input = {}", code_of(&INPUT_CODES, "violation")));
    }
    if let Some((at, id)) = q.after {
        clauses.push(format!("({key}.at < ? OR ({key}.at = ? AND {key}.id < ?))"));
        values.push(Box::new(at.unix_minutes()));
        values.push(Box::new(at.unix_minutes()));
        values.push(Box::new(id));
    }
    (clauses, values)
}

/// `WHERE` and the clauses, or nothing.
fn where_all(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
}

/// The last row id of `sync.db` in the time index, inside a statement: the
/// rows up to it are read through the index, the rows after it directly.
const INDEXED: &str = "(SELECT indexed FROM ix.state)";

/// The time index's entries joined with their rows: only with a row of the
/// same precinct and time (see `time_index`), and only up to [`INDEXED`].
const ENTRIES: &str = "ix.entries e JOIN inspections i ON i.id = e.id AND i.precinct = e.precinct AND i.at = e.at";

/// The inspections of `?1`'s precinct from `?2` to `?3` (columns `at`,
/// `officer`, `input`, `display`) as a table: those the time index holds
/// and those after it. Without a precinct (`?1` NULL), every row is read.
fn rows_between(precinct: bool) -> String {
    if precinct {
        format!(
            "(SELECT i.at, i.officer, i.input, i.display FROM {ENTRIES}
                 WHERE e.precinct = {PRECINCT_NUM_1} AND e.at >= ?2 AND e.at < ?3 AND e.id <= {INDEXED}
              UNION ALL
              SELECT at, officer, input, display FROM inspections
                 WHERE id > {INDEXED} AND precinct = {PRECINCT_NUM_1} AND at >= ?2 AND at < ?3)"
        )
    } else {
        "(SELECT at, officer, input, display FROM inspections WHERE ?1 IS NULL AND at >= ?2 AND at < ?3)".into()
    }
}

impl Drop for SqliteSyncStore {
    /// The checkpoint thread ends after its current checkpoint.
    fn drop(&mut self) {
        self.checkpointer.stop();
        self.index.stop();
    }
}

impl SyncStore for SqliteSyncStore {
    fn write(&self, work: &mut dyn FnMut(&mut dyn SyncTx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        answer(|| {
            // After a failed flush nothing more is written (the flush says why).
            if self.lock_flush().broken {
                return self.flush_to(u64::MAX);
            }
            self.waiting.fetch_add(1, Ordering::SeqCst);
            let mut w = self.lock_writer();
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            let (result, in_doubt) = Self::run(&mut w, work);
            let group = w.group;
            if in_doubt || !w.open || w.writes >= MAX_GROUP || self.waiting.load(Ordering::SeqCst) == 0 {
                self.finish(&mut w, in_doubt);
            } else {
                // A writer waiting for the connection joins this group and commits it (or one after it).
                while w.finished < group {
                    w = self.finished.wait(w).unwrap_or_else(PoisonError::into_inner);
                }
            }
            result?;
            if w.failed.contains(&group) {
                return Err(Error::Damaged("the commit failed, nothing of this request was stored: try again".into()));
            }
            // The next group may work while this one's commit is flushed.
            drop(w);
            self.flush_to(group)
        })
    }

    fn device(&self, device_id: &str) -> Result<Option<DeviceRow>, StoreError> {
        answer(|| self.with_reader(|c| one_device(c, "device_id", &device_id)))
    }

    fn device_by_key(&self, key: &[u8; 32]) -> Result<Option<DeviceRow>, StoreError> {
        answer(|| {
            // Without waiting for a flush: an upload only picks its device with
            // this answer, reads the device again in its own transaction, and
            // answers after that transaction's flush, which covers whatever this
            // read saw. Waiting here would hold the next group back during the
            // running flush, which is what flushing outside the lock avoids.
            self.readers.with(|c| one_device(c, "public_key", &key.as_slice()))
        })
    }

    fn devices(&self, precinct: Option<&str>) -> Result<Vec<DeviceRow>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices WHERE ?1 IS NULL OR precinct = ?1 ORDER BY device_id"
                ))?;
                let raws = stmt.query_map([precinct], raw_device)?.collect::<Result<Vec<_>, _>>()?;
                raws.into_iter().map(device_row).collect()
            })
        })
    }

    fn next_seq_after(&self, device_id: &str, after: u64) -> Result<Option<u64>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let seq: Option<i64> = c
                    .prepare_cached(&format!(
                        "SELECT min(seq) FROM inspections WHERE device = {DEVICE_NUM} AND seq > ?2"
                    ))?
                    .query_row(params![device_id, int(after)?], |r| r.get(0))?;
                seq.map(uint).transpose()
            })
        })
    }

    fn inspections(&self, q: &InspectionQuery) -> Result<Vec<StoredInspection>, StoreError> {
        answer(|| {
            let columns = format!(
                "SELECT i.id, d.device_id, (SELECT p.name FROM precincts p WHERE p.num = i.precinct), i.seq, \
                 i.gap_prev_hash, {HASH_BEFORE}, i.hash, i.body, i.at"
            );
            let (mut clauses, mut values) = filters(q, "i");
            // A device's rows are read by the index by device (a few thousand at
            // most, sorted), not by walking the whole precinct's entries.
            let sql = if q.precinct.is_some() && q.device.is_none() {
                // A precinct's newest first: through the time index, merged with the rows after it.
                let (mut indexed, indexed_values) = filters(q, "e");
                indexed.push(format!("e.id <= {INDEXED}"));
                clauses.push(format!("i.id > {INDEXED}"));
                let (indexed, after) = (where_all(&indexed), where_all(&clauses));
                values =
                    indexed_values.into_iter().chain([Box::new(q.limit) as Box<dyn ToSql>]).chain(values).collect();
                values.extend([Box::new(q.limit) as Box<dyn ToSql>, Box::new(q.limit)]);
                format!(
                    "SELECT * FROM ({columns} FROM {ENTRIES} JOIN devices d ON d.num = i.device {indexed}
                        ORDER BY e.at DESC, e.id DESC LIMIT ?)
                     UNION ALL
                     SELECT * FROM ({columns} FROM inspections i JOIN devices d ON d.num = i.device {after}
                        ORDER BY i.at DESC, i.id DESC LIMIT ?)
                     ORDER BY 9 DESC, 1 DESC LIMIT ?"
                )
            } else {
                values.push(Box::new(q.limit));
                format!(
                    "{columns} FROM inspections i JOIN devices d ON d.num = i.device {}
                     ORDER BY i.at DESC, i.id DESC LIMIT ?",
                    where_all(&clauses)
                )
            };
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(&sql)?;
                let params: Vec<&dyn ToSql> = values.iter().map(|v| v.as_ref()).collect();
                let rows = stmt.query_map(params.as_slice(), |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, Option<Vec<u8>>>(4)?,
                        r.get::<_, Option<Vec<u8>>>(5)?,
                        r.get::<_, Vec<u8>>(6)?,
                        r.get::<_, Vec<u8>>(7)?,
                        r.get::<_, i64>(8)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (id, device_id, precinct, seq, kept, before, hash, body, at) = row?;
                    out.push(StoredInspection {
                        id,
                        device_id,
                        precinct,
                        prev_hash: chain_before(seq, kept, before)?,
                        hash: hash32(hash)?,
                        body,
                        at: minute(at)?,
                    });
                }
                Ok(out)
            })
        })
    }

    fn hourly(&self, precinct: Option<&str>, from: UtcMinute, to: UtcMinute) -> Result<Vec<HourCount>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT at / 60 * 60 AS hour, count(*),
                        sum(CASE WHEN input = {violation} THEN 1 ELSE 0 END),
                        sum(CASE WHEN display = {not_valid} THEN 1 ELSE 0 END)
                     FROM {rows} GROUP BY hour ORDER BY hour",
                    rows = rows_between(precinct.is_some()),
                    violation = code_of(&INPUT_CODES, "violation"),
                    not_valid = code_of(&DISPLAY_CODES, "not_valid"),
                ))?;
                let rows = stmt.query_map(params![precinct, from.unix_minutes(), to.unix_minutes()], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (hour, n, v, nv) = row?;
                    out.push(HourCount {
                        hour: minute(hour)?,
                        inspections: uint(n)?,
                        violations: uint(v)?,
                        not_valid: uint(nv)?,
                    });
                }
                Ok(out)
            })
        })
    }

    fn officers(
        &self,
        precinct: Option<&str>,
        from: UtcMinute,
        to: UtcMinute,
    ) -> Result<Vec<OfficerCount>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT officer, count(*), sum(CASE WHEN input = {violation} THEN 1 ELSE 0 END)
                     FROM {rows} GROUP BY officer ORDER BY officer",
                    rows = rows_between(precinct.is_some()),
                    violation = code_of(&INPUT_CODES, "violation"),
                ))?;
                let rows = stmt.query_map(params![precinct, from.unix_minutes(), to.unix_minutes()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (badge, n, v) = row?;
                    out.push(OfficerCount { badge, inspections: uint(n)?, violations: uint(v)? });
                }
                Ok(out)
            })
        })
    }

    fn conflict_count(&self, device_id: &str) -> Result<u64, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let n: i64 = c
                    .prepare_cached("SELECT count(*) FROM conflicts WHERE device_id = ?1")?
                    .query_row([device_id], |r| r.get(0))?;
                uint(n)
            })
        })
    }

    fn bundle_state(&self) -> Result<BundleState, StoreError> {
        answer(|| self.with_reader(bundle_state))
    }

    fn revoked_serials(&self, after_version: u64) -> Result<Vec<u32>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached("SELECT serial FROM revocations WHERE version > ?1 ORDER BY serial")?;
                let rows = stmt.query_map([int(after_version)?], |r| r.get::<_, u32>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
        })
    }

    fn is_revoked(&self, serial: u32) -> Result<bool, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                Ok(c.prepare_cached("SELECT 1 FROM revocations WHERE serial = ?1")?
                    .query_row([serial], |_| Ok(()))
                    .optional()?
                    .is_some())
            })
        })
    }

    fn revoked_count(&self, after_version: u64) -> Result<u64, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let n: i64 = c
                    .prepare_cached("SELECT count(*) FROM revocations WHERE version > ?1")?
                    .query_row([int(after_version)?], |r| r.get(0))?;
                uint(n)
            })
        })
    }

    fn revocations(&self, after_version: u64) -> Result<Vec<RevocationRow>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT serial, version, at, by, reason, document FROM revocations WHERE version > ?1
                     ORDER BY version, serial",
                )?;
                let rows = stmt.query_map([int(after_version)?], |r| {
                    Ok((
                        r.get::<_, u32>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (serial, version, at, by, reason, document) = row?;
                    out.push(RevocationRow { serial, version: uint(version)?, at: minute(at)?, by, reason, document });
                }
                Ok(out)
            })
        })
    }

    fn supervisor_by_token_hash(&self, hash: &[u8; 32]) -> Result<Option<SupervisorRow>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let row = c
                    .prepare_cached(
                        "SELECT name, precinct, token_hash, created_at FROM supervisors WHERE token_hash = ?1",
                    )?
                    .query_row([hash.as_slice()], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Vec<u8>>(2)?,
                            r.get::<_, i64>(3)?,
                        ))
                    })
                    .optional()?;
                row.map(|(name, precinct, token_hash, created_at)| {
                    Ok(SupervisorRow {
                        name,
                        precinct,
                        token_hash: hash32(token_hash)?,
                        created_at: minute(created_at)?,
                    })
                })
                .transpose()
            })
        })
    }

    fn audit_entries(&self, after: i64, limit: u32) -> Result<Vec<(i64, AuditRecord)>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT id, at, who, what, details FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![after, limit], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (id, at, who, what, details) = row?;
                    out.push((id, AuditRecord { at: minute(at)?, who, what, details }));
                }
                Ok(out)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use icaze_sync_service::store::InspectionRow;

    fn store() -> (tempfile::TempDir, SqliteSyncStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteSyncStore::open(&dir.path().join("sync.db"), SqliteConfig::default()).unwrap();
        (dir, store)
    }

    fn device(id: &str) -> DeviceRow {
        DeviceRow {
            device_id: id.into(),
            public_key: [id.as_bytes().first().copied().unwrap_or(0); 32],
            badge: "B-1".into(),
            precinct: "P-1".into(),
            suspended: false,
            approved_at: UtcMinute::from_unix_minutes(26_830_000),
            approved_by: "admin".into(),
            last_sync: None,
            high_water: 0,
            max_seq: 0,
            fork_seq: None,
            badge_seq: None,
        }
    }

    fn hash_of(seq: u64) -> [u8; 32] {
        [seq as u8; 32]
    }

    fn row(seq: u64) -> InspectionRow<'static> {
        InspectionRow {
            seq,
            at: UtcMinute::from_unix_minutes(26_830_000),
            officer: "B-1",
            zone: 1,
            input: "token",
            display: Some("valid"),
            gap_prev_hash: None,
            hash: hash_of(seq),
            body: &[1, 2, 3],
        }
    }

    fn of<'a>(device_id: &'a str, rows: Vec<InspectionRow<'static>>) -> NewInspections<'a> {
        NewInspections {
            device_id,
            precinct: "P-1",
            received_at: UtcMinute::from_unix_minutes(26_830_001),
            channel: "upload",
            rows,
        }
    }

    /// A store with device `D`.
    fn store_with_device() -> (tempfile::TempDir, SqliteSyncStore) {
        let (dir, store) = store();
        store.write(&mut |tx| tx.put_device(&device("D"))).unwrap();
        (dir, store)
    }

    #[test]
    fn the_log_is_append_only_and_a_failed_write_leaves_nothing() {
        let (dir, store) = store_with_device();
        store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(1)]))).unwrap();
        // A transaction that fails half-way leaves nothing of itself.
        let failed = store.write(&mut |tx| {
            tx.insert_inspections(&of("D", vec![row(2)]))?;
            tx.insert_inspections(&of("D", vec![row(1)]))
        });
        assert!(failed.is_err());
        let conn = Connection::open(dir.path().join("sync.db")).unwrap();
        let count: i64 = conn.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 1);
        let update = conn.execute("UPDATE inspections SET officer = 'X'", []);
        assert!(update.unwrap_err().to_string().contains("append-only"));
        assert!(conn.execute("DELETE FROM inspections", []).is_err());
        let count: i64 = conn.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 1);
    }

    #[test]
    fn concurrent_writers_share_commits_and_keep_their_own_failures() {
        let (dir, store) = store_with_device();
        let store = std::sync::Arc::new(store);
        let threads: Vec<_> = (1..=48u64)
            .map(|seq| {
                let store = store.clone();
                std::thread::spawn(move || {
                    store.write(&mut |tx| {
                        tx.insert_inspections(&of("D", vec![row(seq)]))?;
                        if seq.is_multiple_of(8) {
                            // A duplicate: this write fails, and only this one.
                            tx.insert_inspections(&of("D", vec![row(seq)]))?;
                        }
                        Ok(())
                    })
                })
            })
            .collect();
        for (i, thread) in threads.into_iter().enumerate() {
            let seq = i as u64 + 1;
            assert_eq!(thread.join().unwrap().is_ok(), !seq.is_multiple_of(8), "write {seq}");
        }
        let conn = Connection::open(dir.path().join("sync.db")).unwrap();
        let seqs: Vec<i64> = {
            let mut stmt = conn.prepare("SELECT seq FROM inspections ORDER BY seq").unwrap();
            stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
        };
        assert_eq!(seqs, (1..=48).filter(|s: &i64| s % 8 != 0).collect::<Vec<i64>>());
        // Nothing is left open: a later write commits on its own.
        store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(100)]))).unwrap();
        let count: i64 = conn.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 43);
    }

    /// Issue 5: with FULL the WAL is flushed outside the writer's lock, and
    /// still every write returns, and every read answers, only once what it
    /// did or saw is flushed; a flush that failed stops the store.
    #[test]
    fn writes_return_and_reads_answer_only_after_the_flush_and_a_failed_flush_stops_the_store() {
        let (_dir, store) = store_with_device();
        assert!(store.flush.wal.is_some(), "FULL flushes the WAL itself");
        let durable = |store: &SqliteSyncStore| store.lock_flush().durable;
        store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(1)]))).unwrap();
        let finished = store.lock_writer().finished;
        assert!(finished >= 1 && durable(&store) >= finished, "the write returned before its flush");
        // A commit that a read may see is flushed before the read answers.
        store.flush.visible.store(finished + 1, Ordering::SeqCst);
        store.flush.committed.store(finished + 1, Ordering::SeqCst);
        assert_eq!(store.device("D").unwrap().map(|d| d.device_id), Some("D".to_owned()));
        assert!(durable(&store) > finished, "the read answered before the flush of what it saw");
        store.lock_flush().broken = true;
        let refused = store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(2)])));
        assert!(matches!(refused, Err(StoreError::Damaged(m)) if m.contains("flush")));
        assert!(matches!(store.device("D"), Err(StoreError::Damaged(m)) if m.contains("flush")));
        // Without FULL, nothing is flushed by the store.
        let dir = tempfile::tempdir().unwrap();
        let config = SqliteConfig { durability: Durability::Normal, ..SqliteConfig::default() };
        let normal = SqliteSyncStore::open(&dir.path().join("sync.db"), config).unwrap();
        assert!(normal.flush.wal.is_none());
        normal.write(&mut |tx| tx.put_device(&device("D"))).unwrap();
        assert_eq!(normal.device("D").unwrap().map(|d| d.max_seq), Some(0));
    }

    /// Issue 5: the WAL is copied back by the checkpoint thread, not inside
    /// a group's COMMIT, and the writer restarts it between groups when
    /// asked; nothing written is lost on the way. The thread works on its
    /// own time, so the test waits for what it does (at most a minute).
    #[test]
    fn the_checkpoint_thread_copies_the_wal_back_and_the_writer_restarts_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sync.db");
        let store = SqliteSyncStore::open(&path, SqliteConfig::default()).unwrap();
        store.write(&mut |tx| tx.put_device(&device("D"))).unwrap();
        let autocheckpoint: i64 =
            store.lock_writer().conn.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap();
        assert_eq!(autocheckpoint, 0, "the writer never checkpoints inside a COMMIT");
        let mut seq = 0;
        let mut write = |n: u64| {
            let rows: Vec<_> = (seq + 1..=seq + n).map(row).collect();
            seq += n;
            store.write(&mut |tx| tx.insert_inspections(&of("D", rows.clone()))).unwrap();
        };
        // 100 writes of 100 records, about 4 MB of WAL.
        for _ in 0..100 {
            write(100);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        // The thread checkpoints at least once a second while anything is
        // new. Once copied back, the 10,000 rows' hashes alone take 320 KB.
        while std::fs::metadata(&path).unwrap().len() < 320_000 {
            assert!(std::time::Instant::now() < deadline, "the records were never copied into sync.db");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // The thread asks for a restart once the WAL holds twice the
        // interval; here the test asks. The writer restarts it after a
        // group, unless the thread is checkpointing at that moment.
        let probe = Connection::open(&path).unwrap();
        loop {
            store.checkpointer.request_restart();
            write(1);
            let (_, frames, _): (i64, i64, i64) = probe
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap();
            if (0..100).contains(&frames) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the WAL was never started over ({frames} frames)");
        }
        drop(store);
        let count: i64 = probe.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0)).unwrap();
        assert_eq!(count, i64::try_from(seq).unwrap());
    }

    #[test]
    fn a_panicking_write_is_rolled_back_and_the_store_goes_on() {
        let (_dir, store) = store_with_device();
        let panicked = store.write(&mut |tx| {
            tx.insert_inspections(&of("D", vec![row(1)]))?;
            panic!("a bug in the rules");
        });
        assert!(matches!(panicked, Err(StoreError::Damaged(_))));
        store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(1)]))).unwrap();
        let mut seen = Vec::new();
        store
            .write(&mut |tx| {
                seen = tx.hashes("D", 0, 10)?;
                Ok(())
            })
            .unwrap();
        assert_eq!(seen.len(), 1);
    }

    #[test]
    fn reopening_keeps_the_schema_version() {
        let (dir, store) = store();
        drop(store);
        let again = SqliteSyncStore::open(&dir.path().join("sync.db"), SqliteConfig::default()).unwrap();
        assert_eq!(again.bundle_state().unwrap(), BundleState::default());
        let conn = Connection::open(dir.path().join("sync.db")).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[test]
    fn multi_row_inserts_store_every_record_once_and_derive_the_chain() {
        let (dir, store) = store_with_device();
        // 1..=200 in one call (64, 64, 64, 8), then 203..=205 after a gap.
        store.write(&mut |tx| tx.insert_inspections(&of("D", (1..=200).map(row).collect()))).unwrap();
        let after_gap = vec![InspectionRow { gap_prev_hash: Some([0xee; 32]), ..row(203) }, row(204), row(205)];
        store.write(&mut |tx| tx.insert_inspections(&of("D", after_gap.clone()))).unwrap();
        let conn = Connection::open(dir.path().join("sync.db")).unwrap();
        let (n, distinct, kept): (i64, i64, i64) = conn
            .query_row("SELECT count(*), count(DISTINCT seq), count(gap_prev_hash) FROM inspections", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((n, distinct, kept), (203, 203, 1));
        let mut before = Vec::new();
        store
            .write(&mut |tx| {
                before = [1, 2, 150, 203, 204, 300].into_iter().map(|seq| tx.prev_hash_of("D", seq)).collect::<Result<
                    Vec<_>,
                    _,
                >>(
                )?;
                Ok(())
            })
            .unwrap();
        assert_eq!(
            before,
            [Some([0; 32]), Some(hash_of(1)), Some(hash_of(149)), Some([0xee; 32]), Some(hash_of(203)), None]
        );
        // A batch that repeats a stored seq stores nothing of itself.
        let again = store.write(&mut |tx| tx.insert_inspections(&of("D", (198..=210).map(row).collect())));
        assert!(again.is_err());
        let query = InspectionQuery { device: Some("D".into()), limit: 1000, ..Default::default() };
        let read = store.inspections(&query).unwrap();
        assert_eq!(read.len(), 203);
        let by_seq = |seq: u8| read.iter().find(|r| r.hash == [seq; 32]).unwrap();
        assert_eq!(by_seq(204).prev_hash, hash_of(203));
        assert_eq!(by_seq(203).prev_hash, [0xee; 32]);
        assert_eq!(by_seq(1).prev_hash, [0; 32]);
        assert_eq!(store.next_seq_after("D", 200).unwrap(), Some(203));
    }

    #[test]
    fn records_of_a_device_not_stored_are_refused() {
        let (_dir, store) = store();
        let refused = store.write(&mut |tx| tx.insert_inspections(&of("X", vec![row(1)])));
        assert!(matches!(refused, Err(StoreError::Damaged(m)) if m.contains("not stored")));
    }

    /// A database made by schema 1 (text device ids, `prev_hash` in every
    /// row) opens with every record, and goes on.
    #[test]
    fn a_database_of_schema_1_is_migrated_with_all_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sync.db");
        {
            let mut conn = open(&path, &SqliteConfig::default()).unwrap();
            crate::migrate(&mut conn, &MIGRATIONS[..1], "sync.db").unwrap();
            for (id, key, hw, max) in [("DDDDDDDDDDDDDDDD", 1u8, 2, 6), ("EEEEEEEEEEEEEEEE", 2, 1, 1)] {
                conn.execute(
                    "INSERT INTO devices VALUES (?1, ?2, 'B-1', 'P-1', 0, 26830000, 'admin', NULL, ?3, ?4, NULL)",
                    params![id, vec![key; 32], hw, max],
                )
                .unwrap();
            }
            // D: 1, 2, then 5 and 6 after a gap (5's prev_hash cannot be derived); E: 1.
            let rows: [(&str, i64, [u8; 32], [u8; 32]); 5] = [
                ("DDDDDDDDDDDDDDDD", 1, [0; 32], hash_of(1)),
                ("EEEEEEEEEEEEEEEE", 1, [0; 32], [0x41; 32]),
                ("DDDDDDDDDDDDDDDD", 2, hash_of(1), hash_of(2)),
                ("DDDDDDDDDDDDDDDD", 5, [0xee; 32], hash_of(5)),
                ("DDDDDDDDDDDDDDDD", 6, hash_of(5), hash_of(6)),
            ];
            for (id, seq, prev, hash) in rows {
                conn.execute(
                    "INSERT INTO inspections (device_id, seq, precinct, at, officer, zone, input, display, prev_hash,
                        hash, body, received_at, channel)
                     VALUES (?1, ?2, 'P-1', 26830000 + ?2, 'B-1', 1, 'token', 'valid', ?3, ?4, x'010203', 26830001,
                        'upload')",
                    params![id, seq, prev.as_slice(), hash.as_slice()],
                )
                .unwrap();
            }
        }
        let store = SqliteSyncStore::open(&path, SqliteConfig::default()).unwrap();
        let read = store.inspections(&InspectionQuery { limit: 100, ..Default::default() }).unwrap();
        let mut seen: Vec<(String, [u8; 32], [u8; 32], i64)> =
            read.iter().map(|r| (r.device_id.clone(), r.prev_hash, r.hash, r.id)).collect();
        seen.sort_by_key(|s| s.3);
        let d = "DDDDDDDDDDDDDDDD".to_owned();
        assert_eq!(
            seen,
            [
                (d.clone(), [0; 32], hash_of(1), 1),
                ("EEEEEEEEEEEEEEEE".to_owned(), [0; 32], [0x41; 32], 2),
                (d.clone(), hash_of(1), hash_of(2), 3),
                (d.clone(), [0xee; 32], hash_of(5), 4),
                (d.clone(), hash_of(5), hash_of(6), 5),
            ]
        );
        let only_d =
            InspectionQuery { device: Some(d.clone()), precinct: Some("P-1".into()), limit: 100, ..Default::default() };
        assert_eq!(store.inspections(&only_d).unwrap().len(), 4);
        assert_eq!(store.device(&d).unwrap().map(|r| (r.high_water, r.max_seq)), Some((2, 6)));
        assert_eq!(store.next_seq_after(&d, 2).unwrap(), Some(5));
        // The log goes on: the gap fills, a stored seq is refused, the log stays append-only.
        store.write(&mut |tx| tx.insert_inspections(&of(&d, vec![row(3), row(4)]))).unwrap();
        assert!(store.write(&mut |tx| tx.insert_inspections(&of(&d, vec![row(2)]))).is_err());
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let kept: i64 = conn.query_row("SELECT count(gap_prev_hash) FROM inspections", [], |r| r.get(0)).unwrap();
        assert_eq!(kept, 1);
        assert!(conn
            .execute("UPDATE inspections SET officer = 'X'", [])
            .unwrap_err()
            .to_string()
            .contains("append-only"));
        assert!(conn.execute("DELETE FROM inspections", []).is_err());
        let count: i64 = conn.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 7);
    }

    /// A database of schema 2 (text precinct, input, display and channel in
    /// every inspection row) opens with every row coded as migration 3 codes
    /// them, the same as new rows are coded (the SQL's CASEs match the
    /// tables), and the queries answer as before.
    #[test]
    fn a_database_of_schema_2_is_migrated_to_codes_with_all_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sync.db");
        let inputs: Vec<&str> = INPUT_CODES.iter().map(|(t, _)| *t).collect();
        // Every display code, one without a code (kept as text), and none.
        let displays = [Some("valid"), Some("valid_with_warning"), Some("not_valid"), Some("blinking"), None];
        let hour = 26_830_020i64;
        {
            let mut conn = open(&path, &SqliteConfig::default()).unwrap();
            crate::migrate(&mut conn, &MIGRATIONS[..2], "sync.db").unwrap();
            conn.execute(
                "INSERT INTO devices (device_id, public_key, badge, precinct, suspended, approved_at, approved_by,
                    last_sync, high_water, max_seq, fork_seq)
                 VALUES ('DDDDDDDDDDDDDDDD', ?1, 'B-1', 'P-2', 0, 26830000, 'admin', NULL, 10, 10, NULL)",
                [vec![1u8; 32]],
            )
            .unwrap();
            for seq in 1..=10i64 {
                let input = inputs[(seq as usize) % inputs.len()];
                let display = displays[(seq as usize) % displays.len()];
                let (precinct, channel) = if seq <= 4 { ("P-1", "upload") } else { ("P-2", "file") };
                conn.execute(
                    "INSERT INTO inspections (device, seq, precinct, at, officer, zone, input, display, gap_prev_hash,
                        hash, body, received_at, channel)
                     VALUES (1, ?1, ?2, ?3, ?4, 1, ?5, ?6, NULL, ?7, x'010203', 26830001, ?8)",
                    params![
                        seq,
                        precinct,
                        hour + seq,
                        if seq % 2 == 0 { "B-1" } else { "B-2" },
                        input,
                        display,
                        hash_of(seq as u64).as_slice(),
                        channel
                    ],
                )
                .unwrap();
            }
        }
        let store = SqliteSyncStore::open(&path, SqliteConfig::default()).unwrap();
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let precincts: Vec<(i64, String)> = {
            let mut stmt = conn.prepare("SELECT num, name FROM precincts ORDER BY num").unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
        };
        assert_eq!(precincts, [(1, "P-1".to_owned()), (2, "P-2".to_owned())]);
        // Each migrated row holds what an insert of today would store.
        let value = |v: ToSqlOutput<'_>| match v {
            ToSqlOutput::Owned(v) => v,
            ToSqlOutput::Borrowed(ValueRef::Text(t)) => Value::Text(String::from_utf8(t.to_vec()).unwrap()),
            _ => unreachable!("coded gives owned or borrowed values"),
        };
        let mut stmt =
            conn.prepare("SELECT id, seq, precinct, input, display, channel FROM inspections ORDER BY id").unwrap();
        let rows: Vec<(i64, i64, i64, Value, Value, Value)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 10);
        for (id, seq, precinct, input, display, channel) in rows {
            assert_eq!(id, seq, "row ids are kept");
            let (want_precinct, want_channel) = if seq <= 4 { (1, "upload") } else { (2, "file") };
            assert_eq!(precinct, want_precinct);
            assert_eq!(input, value(coded(&INPUT_CODES, inputs[(seq as usize) % inputs.len()])), "input of {seq}");
            let want_display =
                displays[(seq as usize) % displays.len()].map_or(Value::Null, |d| value(coded(&DISPLAY_CODES, d)));
            assert_eq!(display, want_display, "display of {seq}");
            assert_eq!(channel, value(coded(&CHANNEL_CODES, want_channel)));
        }
        // Codes, not text, for all but the display without one.
        let texts: i64 = conn
            .query_row(
                "SELECT count(*) FROM inspections WHERE typeof(input) = 'text' OR typeof(display) = 'text'
                    OR typeof(channel) = 'text'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(texts, 2, "seq 3 and 8 show `blinking`");
        // The queries answer with the same strings and counts as before.
        let (from, to) = (UtcMinute::from_unix_minutes(26_830_000), UtcMinute::from_unix_minutes(26_831_000));
        let hours = store.hourly(None, from, to).unwrap();
        let violations = (1..=10).filter(|s| inputs[s % inputs.len()] == "violation").count() as u64;
        let not_valid = (1..=10).filter(|s| displays[s % displays.len()] == Some("not_valid")).count() as u64;
        assert_eq!(
            hours.iter().fold((0, 0, 0), |(n, v, nv), h| (n + h.inspections, v + h.violations, nv + h.not_valid)),
            (10, violations, not_valid)
        );
        let p1 = store.hourly(Some("P-1"), from, to).unwrap();
        assert_eq!(p1.iter().map(|h| h.inspections).sum::<u64>(), 4);
        assert!(store.hourly(Some("P-9"), from, to).unwrap().is_empty());
        let officers = store.officers(Some("P-2"), from, to).unwrap();
        assert_eq!(
            officers.iter().map(|o| (o.badge.as_str(), o.inspections)).collect::<Vec<_>>(),
            [("B-1", 3), ("B-2", 3)]
        );
        let only_p1 = store
            .inspections(&InspectionQuery { precinct: Some("P-1".into()), limit: 100, ..Default::default() })
            .unwrap();
        assert_eq!(
            only_p1.iter().map(|r| (r.id, r.precinct.as_str())).collect::<Vec<_>>(),
            [(4, "P-1"), (3, "P-1"), (2, "P-1"), (1, "P-1")]
        );
        let flagged =
            store.inspections(&InspectionQuery { violations: true, limit: 100, ..Default::default() }).unwrap();
        assert_eq!(flagged.len() as u64, violations);
        assert!(flagged.iter().all(|r| r.precinct.starts_with("P-")));
        // New records of a precinct never seen before get the next number.
        let new_precinct = NewInspections { precinct: "P-9", ..of("DDDDDDDDDDDDDDDD", vec![row(11)]) };
        store.write(&mut |tx| tx.insert_inspections(&new_precinct)).unwrap();
        let p9 = store
            .inspections(&InspectionQuery { precinct: Some("P-9".into()), limit: 100, ..Default::default() })
            .unwrap();
        assert_eq!(
            p9.iter().map(|r| (r.id, r.precinct.as_str(), r.prev_hash)).collect::<Vec<_>>(),
            [(11, "P-9", hash_of(10))]
        );
        let num: i64 = conn.query_row("SELECT precinct FROM inspections WHERE id = 11", [], |r| r.get(0)).unwrap();
        assert_eq!(num, 3);
    }

    /// Devices `D` (precinct `P-1`) and `E` (`P-2`) and `n` records of each
    /// from `first`, at times out of order, every third a violation.
    fn write_two_precincts(store: &SqliteSyncStore, first: u64, n: u64) {
        let rows = |precinct| {
            (first..first + n)
                .map(|seq| InspectionRow {
                    at: UtcMinute::from_unix_minutes(26_830_000 + (seq * 37 % 11) as u32 * 40 + precinct),
                    officer: if seq % 2 == 0 { "B-1" } else { "B-2" },
                    input: if seq % 3 == 0 { "violation" } else { "token" },
                    ..row(seq)
                })
                .collect::<Vec<_>>()
        };
        store
            .write(&mut |tx| {
                if first == 1 {
                    tx.put_device(&device("D"))?;
                    tx.put_device(&DeviceRow { precinct: "P-2".into(), ..device("E") })?;
                }
                tx.insert_inspections(&of("D", rows(0)))?;
                tx.insert_inspections(&NewInspections { precinct: "P-2", ..of("E", rows(1)) })
            })
            .unwrap();
    }

    /// Indexes by hand, as the thread does, at most `max` rows.
    fn index_by_hand(path: &Path, max: i64) -> i64 {
        let main = open(path, &SqliteConfig::default()).unwrap();
        let mut ix = crate::open(&index_path(path), &SqliteConfig::default()).unwrap();
        super::time_index::index_some(&main, &mut ix, max).unwrap().1
    }

    /// What the supervisors read of precinct `P-1`: every page of 4 of the
    /// newest first, a time window, the counts by hour and by officer.
    type Answers = (Vec<StoredInspection>, Vec<StoredInspection>, Vec<HourCount>, Vec<OfficerCount>);

    fn answers(store: &SqliteSyncStore) -> Answers {
        let query = InspectionQuery { precinct: Some("P-1".into()), limit: 4, ..Default::default() };
        let mut pages = Vec::new();
        loop {
            let after = pages.last().map(|r: &StoredInspection| (r.at, r.id));
            let page = store.inspections(&InspectionQuery { after, ..query.clone() }).unwrap();
            if page.is_empty() {
                break;
            }
            pages.extend(page);
        }
        let (from, to) = (UtcMinute::from_unix_minutes(26_830_080), UtcMinute::from_unix_minutes(26_830_300));
        let window = InspectionQuery { from: Some(from), to: Some(to), violations: true, limit: 100, ..query };
        let window = store.inspections(&window).unwrap();
        let hours = UtcMinute::from_unix_minutes(26_820_000);
        let (hourly, officers) = (
            store.hourly(Some("P-1"), hours, UtcMinute::from_unix_minutes(26_840_000)).unwrap(),
            store.officers(Some("P-1"), hours, UtcMinute::from_unix_minutes(26_840_000)).unwrap(),
        );
        (pages, window, hourly, officers)
    }

    /// Issue 5: the queries by precinct read the time index up to what it
    /// holds and the rows after it from sync.db, and answer the same however
    /// far the index has come.
    #[test]
    fn queries_by_precinct_answer_the_same_however_far_the_time_index_has_come() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sync.db");
        let store = SqliteSyncStore::open_with(&path, SqliteConfig::default(), false).unwrap();
        write_two_precincts(&store, 1, 30);
        let nothing_indexed = answers(&store);
        // Checked against the rows themselves: P-1's 30, newest first.
        let (pages, window, hourly, officers) = &nothing_indexed;
        assert_eq!(pages.len(), 30);
        assert!(pages.iter().all(|r| r.device_id == "D" && r.precinct == "P-1"));
        assert!(pages.windows(2).all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)), "newest first");
        // D's rows are the first 30, so their ids are their sequence numbers.
        let in_window =
            |r: &&StoredInspection| (26_830_080..26_830_300).contains(&r.at.unix_minutes()) && r.id % 3 == 0;
        assert_eq!(window, &pages.iter().filter(in_window).cloned().collect::<Vec<_>>());
        assert!(!window.is_empty());
        assert_eq!(hourly.iter().map(|h| h.inspections).sum::<u64>(), 30);
        assert_eq!(hourly.iter().map(|h| h.violations).sum::<u64>(), 10);
        assert_eq!(
            officers.iter().map(|o| (o.badge.as_str(), o.inspections)).collect::<Vec<_>>(),
            [("B-1", 15), ("B-2", 15)]
        );

        // Part of the rows indexed, then all: the same answers.
        assert_eq!(index_by_hand(&path, 25), 25);
        assert_eq!(answers(&store), nothing_indexed);
        assert_eq!(index_by_hand(&path, 1000), 60);
        assert_eq!(answers(&store), nothing_indexed);
        // More rows after the index: merged with it.
        write_two_precincts(&store, 31, 10);
        let (pages, _, hourly, _) = answers(&store);
        assert_eq!(pages.len(), 40);
        // With a device too, read without the time index: the same rows.
        let of_device = InspectionQuery {
            precinct: Some("P-1".into()),
            device: Some("D".into()),
            limit: 100,
            ..Default::default()
        };
        assert_eq!(store.inspections(&of_device).unwrap(), pages);
        let of_other = InspectionQuery { device: Some("E".into()), ..of_device };
        assert_eq!(store.inspections(&of_other).unwrap(), []);
        assert_eq!(hourly.iter().map(|h| h.inspections).sum::<u64>(), 40);
        index_by_hand(&path, 1000);
        assert_eq!(answers(&store).0, pages);
    }

    /// Issue 5: the time index is derived data. One that does not match
    /// sync.db (sync.db lost commits the thread had indexed, or came back
    /// from a backup), or does not open, is made again from nothing; and an
    /// entry that points at a row of another precinct or time is never an
    /// answer.
    #[test]
    fn a_time_index_that_does_not_match_sync_db_is_made_again_and_stray_entries_are_never_answers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sync.db");
        let index = index_path(&path);
        let store = SqliteSyncStore::open_with(&path, SqliteConfig::default(), false).unwrap();
        write_two_precincts(&store, 1, 30);
        let expected = answers(&store);
        index_by_hand(&path, 1000);
        // Stray entries under P-1 (number 1): one of a P-2 row (31 is E's
        // first) at its time, one of a P-1 row at another time.
        let ix = Connection::open(&index).unwrap();
        ix.execute_batch(
            "INSERT INTO entries SELECT 1, at, id FROM entries WHERE id = 31;
             INSERT INTO entries VALUES (1, 26830999, 5);",
        )
        .unwrap();
        assert_eq!(ix.query_row("SELECT count(*) FROM entries", [], |r| r.get::<_, i64>(0)).unwrap(), 62);
        assert_eq!(answers(&store), expected);
        drop(store);

        let indexed = |ix: &Connection| -> (i64, i64) {
            ix.query_row("SELECT indexed, (SELECT count(*) FROM entries) FROM state", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
        };
        // Reopened as it is: kept.
        let store = SqliteSyncStore::open_with(&path, SqliteConfig::default(), false).unwrap();
        assert_eq!(indexed(&ix), (60, 62));
        drop(store);
        // The row it ends at carries another hash: made again.
        ix.execute("UPDATE state SET hash = zeroblob(32)", []).unwrap();
        drop(ix);
        let store = SqliteSyncStore::open_with(&path, SqliteConfig::default(), false).unwrap();
        assert_eq!(indexed(&Connection::open(&index).unwrap()), (0, 0));
        assert_eq!(answers(&store), expected);
        index_by_hand(&path, 1000);
        assert_eq!(answers(&store), expected);
        drop(store);
        // A file that is no database: made again.
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", index.display()));
        }
        std::fs::write(
            &index,
            b"not a database at all, and longer than a header of one hundred bytes, \
            so that SQLite reads it as one and finds it is not",
        )
        .unwrap();
        let store = SqliteSyncStore::open_with(&path, SqliteConfig::default(), false).unwrap();
        assert_eq!(indexed(&Connection::open(&index).unwrap()), (0, 0));
        assert_eq!(answers(&store), expected);
    }

    /// Issue 5: the thread indexes what the writer commits, on its own time
    /// (the test waits for it, at most a minute).
    #[test]
    fn the_time_index_thread_indexes_every_committed_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sync.db");
        let store = SqliteSyncStore::open(&path, SqliteConfig::default()).unwrap();
        write_two_precincts(&store, 1, 30);
        let expected = answers(&store);
        write_two_precincts(&store, 31, 30);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while store.index.indexed() < 120 {
            assert!(std::time::Instant::now() < deadline, "the thread indexed only {} rows", store.index.indexed());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let ix = Connection::open(index_path(&path)).unwrap();
        assert_eq!(ix.query_row("SELECT count(*) FROM entries", [], |r| r.get::<_, i64>(0)).unwrap(), 120);
        let (pages, ..) = answers(&store);
        assert_eq!(pages.len(), 60);
        assert!(pages.windows(2).all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)), "newest first, each once");
        assert!(expected.0.iter().all(|r| pages.contains(r)));
    }
}
