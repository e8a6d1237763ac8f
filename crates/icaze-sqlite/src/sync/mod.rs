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
//!
//! [`SyncStore::write`]: icaze_sync_service::store::SyncStore::write

mod queries;
mod rows;
mod schema;
mod time_index;
mod tx;
mod writer;

use std::collections::BTreeSet;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Condvar, Mutex};

use rusqlite::Connection;

use self::schema::MIGRATIONS;
use self::time_index::{index_path, TimeIndex};
pub use self::writer::MAX_GROUP;
use self::writer::{Flush, FlushState, Writer, PAGES_PER_WRITE};
use crate::{Checkpointer, Durability, Error, Readers, SqliteConfig};
use icaze_permits::store::StoreError;

/// Runs `f`, answering in the store interface's error.
fn answer<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, StoreError> {
    f().map_err(StoreError::from)
}

/// The SQLite implementation of [`SyncStore`](icaze_sync_service::store::SyncStore).
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
}

impl Drop for SqliteSyncStore {
    /// The checkpoint thread ends after its current checkpoint.
    fn drop(&mut self) {
        self.checkpointer.stop();
        self.index.stop();
    }
}

#[cfg(test)]
mod tests;
