//! The inspections in the order of precinct and time, in a database of their
//! own beside `sync.db` ([`INDEX_FILE`]), filled by a thread of its own.
//!
//! The supervisors' queries by precinct and time read the inspections in that
//! order. As an index of `sync.db` it cost an ingest about a quarter of its
//! speed (issue 5, `docs/benchmarks.md`): every upload's rows land in the
//! middle of that B-tree, under the writer's lock, and SQLite has one writer
//! a file. Here the entries `(precinct, at, id)` live in `sync-index.db`, and
//! a thread copies them from the rows committed to `sync.db`, after the
//! writer and beside it, on another core.
//!
//! The index is derived data, and it may lag behind or be wrong:
//! - **Behind**: the rows after `state.indexed` are not in it yet. Every query
//!   also reads those rows from `sync.db` itself (a range of row ids, small
//!   unless the index is being made again) and merges them; the two parts
//!   meet at the `indexed` that the query reads in its own snapshot.
//! - **Wrong**: the thread indexes rows as soon as they are committed, before
//!   their flush, so a crash can leave entries of rows that `sync.db` lost
//!   and then gives their ids to other rows; a `sync.db` restored from a
//!   backup leaves a whole index that is not its own. So the index is checked
//!   at open ([`TimeIndex::start`]): the row `indexed` of `sync.db` must still
//!   carry the chain hash the index noted, else the index is made again from
//!   nothing. And every query joins an entry only with a row of the same
//!   precinct and time: an entry that points at another row is never an
//!   answer.
//!
//! Invariant: every row of `sync.db` whose id is at most `state.indexed` has
//! its entry. The thread writes entries and `indexed` in one transaction,
//! and the rows of `sync.db` never change (the log is append-only).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use crate::Error;
use crate::{Durability, SqliteConfig};

/// The index's file, beside `sync.db`.
pub(crate) const INDEX_FILE: &str = "sync-index.db";

/// The schema of [`INDEX_FILE`]: `state.hash` is the chain hash of the row
/// `indexed` of `sync.db` (NULL while nothing is indexed).
const MIGRATIONS: &[&str] = &["CREATE TABLE state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        indexed INTEGER NOT NULL,
        hash BLOB
     );
     INSERT INTO state VALUES (1, 0, NULL);
     CREATE TABLE entries (
        precinct INTEGER NOT NULL,
        at INTEGER NOT NULL,
        id INTEGER NOT NULL,
        PRIMARY KEY (precinct, at, id)
     ) WITHOUT ROWID;"];

/// The rows one transaction of the thread indexes at most.
const CHUNK: i64 = 20_000;

/// The path of the index of the `sync.db` at `main`.
pub(crate) fn index_path(main: &Path) -> PathBuf {
    main.with_file_name(INDEX_FILE)
}

/// The thread that fills the index, and what the store tells it.
pub(crate) struct TimeIndex {
    state: Mutex<Wake>,
    wake: Condvar,
    /// The last row id indexed (what the thread last committed).
    indexed: AtomicI64,
    /// The thread, joined when the store closes.
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Wake {
    /// Rows were committed since the thread last looked.
    pending: bool,
    /// The store is closing: the thread ends.
    stop: bool,
}

impl TimeIndex {
    /// Opens the index of the `sync.db` at `main`, checks it against
    /// `sync.db` (making it again when it does not match, or does not open),
    /// and, when `thread`, starts the thread that fills it. `open_main`
    /// opens a read connection to `sync.db`.
    pub(crate) fn start(
        main: &Path,
        config: &SqliteConfig,
        open_main: fn(&Path, &SqliteConfig) -> Result<Connection, crate::Error>,
        thread: bool,
    ) -> Result<Arc<Self>, Error> {
        let reader = open_main(main, config)?;
        let ix = open_checked(&index_path(main), &reader, config)?;
        let indexed: i64 = ix.query_row("SELECT indexed FROM state", [], |r| r.get(0))?;
        let this = Arc::new(Self {
            state: Mutex::new(Wake { pending: true, stop: false }),
            wake: Condvar::new(),
            indexed: AtomicI64::new(indexed),
            thread: Mutex::new(None),
        });
        if thread {
            let worker = this.clone();
            let handle = std::thread::Builder::new()
                .name("icaze-sync-index".into())
                .spawn(move || worker.run(&reader, ix))
                .map_err(|e| Error::Damaged(format!("cannot start the time index's thread: {e}")))?;
            if let Ok(mut thread) = this.thread.lock() {
                *thread = Some(handle);
            }
        }
        Ok(this)
    }

    /// Rows were committed: the thread indexes them.
    pub(crate) fn wake(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.pending = true;
            self.wake.notify_one();
        }
    }

    /// The store is closing: returns once the thread has ended, after its
    /// current transaction (so that the files are closed with the store).
    pub(crate) fn stop(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.stop = true;
            self.wake.notify_one();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(handle) = handle {
            // A panic of the thread (none is expected) has nothing left to clean up.
            let _ = handle.join();
        }
    }

    /// The last row id the thread has indexed.
    #[cfg(test)]
    pub(crate) fn indexed(&self) -> i64 {
        self.indexed.load(Ordering::SeqCst)
    }

    fn run(&self, main: &Connection, mut ix: Connection) {
        loop {
            let more = match index_some(main, &mut ix, CHUNK) {
                Ok((n, indexed)) => {
                    self.indexed.store(indexed, Ordering::SeqCst);
                    n == CHUNK
                }
                Err(e) => {
                    tracing::warn!(error = %e, "indexing the inspections by precinct and time failed; retried later");
                    false
                }
            };
            let Ok(state) = self.state.lock() else { return };
            // After a full chunk, only a stop waits; else a commit, or a second.
            let wait = if more { Duration::ZERO } else { Duration::from_secs(1) };
            let Ok((mut state, _)) = self.wake.wait_timeout_while(state, wait, |s| !s.pending && !s.stop) else {
                return;
            };
            if state.stop {
                return;
            }
            state.pending = false;
        }
    }
}

/// Opens the index at `path`, checked against `sync.db` (`main`): made again
/// from nothing when it does not open, is of a newer schema, or was made
/// from another `sync.db` (see the module's documentation).
fn open_checked(path: &Path, main: &Connection, config: &SqliteConfig) -> Result<Connection, Error> {
    match open_matching(path, main, config) {
        Ok(Some(conn)) => return Ok(conn),
        Ok(None) => tracing::warn!(
            path = %path.display(),
            "the time index does not match sync.db (a crash, or a sync.db restored): made again from nothing"
        ),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "the time index does not open: made again from nothing")
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::Damaged(format!(
                    "cannot remove {} to make the time index again: {e}",
                    Path::new(&name).display()
                )))
            }
        }
    }
    open_matching(path, main, config)?
        .ok_or_else(|| Error::Damaged(format!("{} does not match sync.db even when new", path.display())))
}

/// The index at `path` (made if missing), or `None` when it does not match `sync.db`.
fn open_matching(path: &Path, main: &Connection, config: &SqliteConfig) -> Result<Option<Connection>, Error> {
    // Derived data: after a crash, what NORMAL loses is indexed again.
    let config = SqliteConfig { durability: Durability::Normal, ..config.clone() };
    let mut conn = crate::open(path, &config)?;
    crate::migrate(&mut conn, MIGRATIONS, INDEX_FILE)?;
    let (indexed, hash): (i64, Option<Vec<u8>>) =
        conn.query_row("SELECT indexed, hash FROM state", [], |r| Ok((r.get("indexed")?, r.get("hash")?)))?;
    if indexed == 0 {
        return Ok(Some(conn));
    }
    let stored: Option<Vec<u8>> =
        main.query_row("SELECT hash FROM inspections WHERE id = ?1", [indexed], |r| r.get(0)).optional()?;
    Ok((stored.is_some() && stored == hash).then_some(conn))
}

/// Indexes at most `max` rows of `sync.db` after the last one indexed, in one
/// transaction of the index; returns how many, and the last row id indexed.
pub(crate) fn index_some(main: &Connection, ix: &mut Connection, max: i64) -> Result<(i64, i64), Error> {
    let indexed: i64 = ix.query_row("SELECT indexed FROM state", [], |r| r.get(0))?;
    // By position (`id, precinct, at`): up to `max` rows a call, each into
    // the tuple the sort and the insert below take.
    const ID: usize = 0;
    const PRECINCT: usize = 1;
    const AT: usize = 2;
    let mut rows = main
        .prepare_cached("SELECT id, precinct, at FROM inspections WHERE id > ?1 ORDER BY id LIMIT ?2")?
        .query_map(params![indexed, max], |r| {
            Ok((r.get::<_, i64>(ID)?, r.get::<_, i64>(PRECINCT)?, r.get::<_, i64>(AT)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let Some(&(last, _, _)) = rows.last() else { return Ok((0, indexed)) };
    // A row once committed never changes, so another snapshot reads the same hash.
    let hash: Vec<u8> =
        main.prepare_cached("SELECT hash FROM inspections WHERE id = ?1")?.query_row([last], |r| r.get(0))?;
    // In the index's order: each page of the B-tree is then visited once.
    rows.sort_unstable_by_key(|&(id, precinct, at)| (precinct, at, id));
    let tx = ix.transaction()?;
    for chunk in rows.chunks(INSERT_ROWS) {
        let mut insert = tx.prepare_cached(insert_sql(chunk.len()))?;
        for (k, (id, precinct, at)) in chunk.iter().enumerate() {
            insert.raw_bind_parameter(3 * k + 1, precinct)?;
            insert.raw_bind_parameter(3 * k + 2, at)?;
            insert.raw_bind_parameter(3 * k + 3, id)?;
        }
        insert.raw_execute()?;
    }
    tx.execute("UPDATE state SET indexed = ?1, hash = ?2", params![last, hash])?;
    tx.commit()?;
    Ok((rows.len() as i64, last))
}

/// The entries one `INSERT` of the thread holds at most.
const INSERT_ROWS: usize = 100;

/// `INSERT OR IGNORE` of `rows` entries (1 to [`INSERT_ROWS`]), made once
/// each: the statement cache is keyed by the text.
fn insert_sql(rows: usize) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| {
        (1..=INSERT_ROWS)
            .map(|n| {
                let values = (0..n).map(|k| format!("(?{}, ?{}, ?{})", 3 * k + 1, 3 * k + 2, 3 * k + 3));
                format!(
                    "INSERT OR IGNORE INTO entries (precinct, at, id) VALUES {}",
                    values.collect::<Vec<_>>().join(", ")
                )
            })
            .collect()
    });
    // Invariant: 1 <= rows <= INSERT_ROWS (chunks of INSERT_ROWS), so the index is in range.
    all.get(rows.saturating_sub(1)).map_or("", String::as_str)
}
