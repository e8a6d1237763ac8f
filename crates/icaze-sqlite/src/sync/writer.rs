//! The writer connection and its group commit, and the flush of the WAL
//! outside the writer's lock.

use std::collections::BTreeSet;
use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use rusqlite::Connection;

use super::tx::Tx;
use super::SqliteSyncStore;
use crate::Error;
use icaze_permits::store::StoreError;
use icaze_sync_service::store::SyncTx;

/// The WAL pages a write adds, about: an upload of 500 records writes some
/// 30 (the rows, about 220 bytes each, and their entries in the index by
/// device and sequence number); the checkpoint thread also runs once a
/// second with anything committed.
pub(super) const PAGES_PER_WRITE: u32 = 32;

/// The most writes one group commit holds, so that a steady stream of
/// writers does not keep one transaction open for ever.
pub const MAX_GROUP: usize = 64;

/// The writer connection and the group commit's state.
pub(super) struct Writer {
    pub(super) conn: Connection,
    /// A transaction is open, holding the writes of group `group`.
    pub(super) open: bool,
    /// The current group.
    pub(super) group: u64,
    /// Writes in the current group.
    pub(super) writes: usize,
    /// Every group up to this one is finished: committed, or failed.
    pub(super) finished: u64,
    /// Recent groups whose commit failed.
    pub(super) failed: BTreeSet<u64>,
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
///
/// [`SyncStore::write`]: icaze_sync_service::store::SyncStore::write
pub(super) struct Flush {
    /// The WAL file, `None` with `synchronous = NORMAL` (nothing is flushed).
    pub(super) wal: Option<File>,
    pub(super) state: Mutex<FlushState>,
    /// Signalled when a flush ends.
    pub(super) flushed: Condvar,
    /// The last group whose `COMMIT` began: a read may see it.
    pub(super) visible: AtomicU64,
    /// The last group whose `COMMIT` returned (or failed).
    pub(super) committed: AtomicU64,
}

pub(super) struct FlushState {
    /// Every group up to this one is durable (or failed).
    pub(super) durable: u64,
    /// A flush is running.
    pub(super) running: bool,
    /// A flush failed.
    pub(super) broken: bool,
}

impl SqliteSyncStore {
    /// The writer. A panic never happens while it is held (the rules' work
    /// runs under `catch_unwind`), so a poisoned lock still holds a
    /// consistent state and is taken as is.
    pub(super) fn lock_writer(&self) -> MutexGuard<'_, Writer> {
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

    pub(super) fn with_reader<T>(&self, f: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
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

    pub(super) fn lock_flush(&self) -> MutexGuard<'_, FlushState> {
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

    /// The body of [`SyncStore::write`]: runs `work` in the current group (see the module's doc).
    ///
    /// [`SyncStore::write`]: icaze_sync_service::store::SyncStore::write
    pub(super) fn write_in_group(
        &self,
        work: &mut dyn FnMut(&mut dyn SyncTx) -> Result<(), StoreError>,
    ) -> Result<(), Error> {
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
    }
}
