//! The embedded SQLite engine the server's stores share: connections opened
//! with the service's settings (WAL, durability, a busy timeout, files readable
//! by their owner only), versioned migrations, pools of read connections, and
//! WAL checkpoints on a thread of their own so that a store's single writer
//! never waits for one.
//!
//! It knows SQLite and files, nothing else: no permit, inspection, portal or
//! HTTP type, no schema. Each store brings its own tables and migrations and
//! maps [`Error`] into the store interface's error.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("example.db");
//! let config = icaze_sqlite::SqliteConfig::default();
//! let mut conn = icaze_sqlite::open(&path, &config)?;
//! icaze_sqlite::migrate(&mut conn, &["CREATE TABLE t (x INTEGER)"], "example.db")?;
//! let readers = icaze_sqlite::Readers::new(&path, config, icaze_sqlite::open);
//! let count: i64 = readers.with(|c| Ok::<_, icaze_sqlite::Error>(c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?))?;
//! assert_eq!(count, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

/// What the engine could not do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A database made by newer software, a schema version that does not
    /// read, or a thread that could not be started.
    #[error("stored data is damaged: {0}")]
    Damaged(String),
    /// A database file could not be made or its permissions set.
    #[error("{0}: check the data directory's owner and permissions")]
    File(String),
    /// A lock of the engine was poisoned by a thread that panicked, or a
    /// store's writer thread is gone (the service is shutting down).
    #[error("the database's connections are no longer usable")]
    Gone,
    /// A store's rule refused inside a transaction (which rolled back), or
    /// a store interface's error passed through the engine.
    #[error(transparent)]
    Store(#[from] icaze_permits::store::StoreError),
}

impl From<Error> for icaze_permits::store::StoreError {
    fn from(e: Error) -> Self {
        use icaze_permits::store::StoreError;
        match e {
            Error::Database(e) => StoreError::Database(Box::new(e)),
            Error::Damaged(d) => StoreError::Damaged(d),
            Error::File(f) => StoreError::File(f),
            Error::Gone => StoreError::WriterGone,
            Error::Store(e) => e,
        }
    }
}

/// How durable a commit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous = FULL`: a commit survives a power cut. The default.
    Full,
    /// `synchronous = NORMAL`: a commit survives a crash of the process, not of the machine.
    Normal,
}

/// Settings of the SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteConfig {
    /// How durable a commit is.
    pub durability: Durability,
    /// The most requests one transaction commits together.
    pub max_batch: usize,
    /// WAL pages after which the WAL is copied back into the database
    /// (SQLite's `wal_autocheckpoint`, 1000 by default). Every permit dirties
    /// two pages of scattered indexes (the daily counters by document and by
    /// phone); a larger WAL lets a page dirtied several times between two
    /// checkpoints be written back once: 16384 pages (64 MiB) cut the writer's
    /// CPU time per permit from 46 to 39 µs in a 100,000-permit run against a
    /// 10-million-person registry.
    ///
    /// The SMS store's writer never checkpoints: a checkpoint copies thousands
    /// of scattered pages and then syncs the database file, and inside the
    /// writer's commit every request of the service waited for it (at 10
    /// million permits the p99 latency rose to about 650 ms while the median
    /// stayed near 50 ms, `docs/benchmarks.md`). A thread of its own does it
    /// instead (see [`Checkpointer`]), after about this many pages. The sync
    /// store's checkpoints run on a thread of their own too; the portal's
    /// database keeps SQLite's automatic checkpoint at this interval.
    pub checkpoint_pages: u32,
    /// The permission bits of the database files: `0o600` (the owner only),
    /// or `0o640` for a service whose group reads them (backups). SQLite gives
    /// its `-wal` and `-shm` files the database file's bits.
    pub file_mode: u32,
}

impl Default for SqliteConfig {
    fn default() -> Self {
        Self { durability: Durability::Full, max_batch: 512, checkpoint_pages: 16384, file_mode: 0o600 }
    }
}

/// Makes the database file at `path` if it is missing, with `mode`, and takes
/// from an existing one (and its `-wal` and `-shm`) any bit beyond `mode`: the
/// databases hold personal data (the permits' documents and phones, the
/// inspections, the registries), and a file SQLite makes takes the umask's
/// bits, readable by every user of the machine under the usual 022.
fn restrict(path: &Path, mode: u32) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let failed = |e: std::io::Error| Error::File(format!("{}: {e}", path.display()));
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(failed(e)),
        }
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        for file in [path.to_owned(), wal.into(), shm.into()] {
            let Ok(meta) = std::fs::metadata(&file) else { continue };
            let bits = meta.permissions().mode() & 0o777;
            if bits & !mode != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(bits & mode)).map_err(failed)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Read connections to one database, opened when first needed and kept for
/// the next reader. Shared by the SMS store and the sync store.
pub struct Readers {
    path: PathBuf,
    config: SqliteConfig,
    open: fn(&Path, &SqliteConfig) -> Result<Connection, Error>,
    pool: Mutex<Vec<Connection>>,
}

impl Readers {
    /// A pool whose connections `open` makes.
    pub fn new(path: &Path, config: SqliteConfig, open: fn(&Path, &SqliteConfig) -> Result<Connection, Error>) -> Self {
        Self { path: path.to_owned(), config, open, pool: Mutex::new(Vec::new()) }
    }

    /// Runs `f` on a pooled connection (a new one if none is free); `f`'s
    /// error type is the caller's, which takes the engine's.
    pub fn with<T, E: From<Error>>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let pooled = self.pool.lock().map_err(|_| Error::Gone)?.pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => (self.open)(&self.path, &self.config)?,
        };
        let result = f(&conn);
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(conn);
        }
        result
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings its connections open with.
    pub fn config(&self) -> &SqliteConfig {
        &self.config
    }

    /// A connection of its own, outside the pool.
    pub fn connection(&self) -> Result<Connection, Error> {
        (self.open)(&self.path, &self.config)
    }
}

/// Opens a connection with the settings every database of the service shares:
/// WAL, the configured durability and checkpoint interval, a busy timeout.
pub fn open(path: &Path, config: &SqliteConfig) -> Result<Connection, Error> {
    restrict(path, config.file_mode)?;
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let sync = match config.durability {
        Durability::Full => "FULL",
        Durability::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", sync)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "wal_autocheckpoint", config.checkpoint_pages)?;
    Ok(conn)
}

/// Runs the migrations not yet done, each in an exclusive transaction that
/// also sets `PRAGMA user_version` to the number done; refuses a database
/// made by newer software. `name` names the database in errors.
pub fn migrate(conn: &mut Connection, migrations: &[&str], name: &str) -> Result<(), Error> {
    let done: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let done = usize::try_from(done).map_err(|_| Error::Damaged(format!("{name}: schema version {done}")))?;
    if done > migrations.len() {
        return Err(Error::Damaged(format!(
            "{name} is at schema version {done}, newer than this software ({}): update it",
            migrations.len()
        )));
    }
    for (i, sql) in migrations.iter().enumerate().skip(done) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// The WAL checkpoints of one database, on a thread of their own, so that
/// the single writer never waits for one.
///
/// The writer tells it how many jobs it committed ([`Checkpointer::committed`]:
/// permits, or the sync store's writes); after about
/// [`SqliteConfig::checkpoint_pages`] WAL pages (the caller says how many a
/// job writes) or a second with anything committed, the thread runs
/// `PRAGMA wal_checkpoint(PASSIVE)`: it copies the WAL frames that no reader
/// still needs back into the database and syncs it, taking no lock the writer
/// or the readers wait for.
///
/// SQLite starts the WAL over from its beginning only when a write
/// transaction begins with every frame copied and no reader inside the WAL;
/// under a steady load the writer commits again before a passive checkpoint
/// ends, so that never happens and the WAL grew to 490 MB in a 500,000-permit
/// run. Once the WAL holds twice the interval, the thread asks the writer to
/// run `wal_checkpoint(RESTART)` between two batches
/// ([`Checkpointer::restart_wanted`]): it copies the few frames committed
/// since the passive checkpoint, waits for the readers of the moment (tens of
/// microseconds each; new readers read the database file) and starts the WAL
/// over. As the writer it takes no writer lock, so it cannot wait for one.
///
/// Invariant: a checkpoint never makes a committed transaction undone: the
/// frames stay in the WAL (synced at commit under `synchronous = FULL`) until
/// SQLite has synced the database file they were copied into.
pub struct Checkpointer {
    state: Mutex<CheckpointState>,
    wake: Condvar,
    /// Permits committed after which the thread is woken.
    every: u64,
    /// The WAL has grown past twice the interval: the writer should restart it.
    restart: AtomicBool,
    /// The thread is checkpointing: a restart now would fail at once, since
    /// SQLite lets one checkpoint run at a time and does not wait for it.
    running: AtomicBool,
}

struct CheckpointState {
    /// Permits committed since the last checkpoint began.
    pending: u64,
    /// The writer has stopped: the thread ends.
    stop: bool,
}

impl Checkpointer {
    /// Starts the thread on a connection of its own to `path`, for a writer
    /// whose jobs each write about `pages_per_job` WAL pages.
    pub fn start(path: &Path, config: &SqliteConfig, pages_per_job: u32) -> Result<Arc<Self>, Error> {
        let conn = open(path, config)?;
        let every = u64::from(config.checkpoint_pages / pages_per_job.max(1)).max(1);
        let restart_frames = i64::from(config.checkpoint_pages).saturating_mul(2);
        let this = Arc::new(Self {
            state: Mutex::new(CheckpointState { pending: 0, stop: false }),
            wake: Condvar::new(),
            every,
            restart: AtomicBool::new(false),
            running: AtomicBool::new(false),
        });
        let thread = this.clone();
        std::thread::Builder::new()
            .name("icaze-sqlite-checkpoint".into())
            .spawn(move || thread.run(&conn, restart_frames))
            .map_err(|e| Error::Damaged(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(this)
    }

    /// The writer committed `jobs` more requests.
    pub fn committed(&self, jobs: u64) {
        let Ok(mut state) = self.state.lock() else { return };
        state.pending += jobs;
        if state.pending >= self.every {
            self.wake.notify_one();
        }
    }

    /// Whether the writer should restart the WAL now (see [`restart_wal`]);
    /// true once per request of the thread, and not while the thread is
    /// checkpointing (the request then waits for a later call).
    fn restart_wanted(&self) -> bool {
        !self.running.load(Ordering::SeqCst) && self.restart.swap(false, Ordering::SeqCst)
    }

    /// The writer, between two transactions on `conn` (the writer connection
    /// of `database`): restarts the WAL when the thread asks for it (see
    /// [`Self::restart_wanted`] and [`restart_wal`]). A restart that readers
    /// hold up or that fails leaves the WAL growing until the next request.
    pub fn restart_if_wanted(&self, conn: &Connection, database: &str) {
        if !self.restart_wanted() {
            return;
        }
        match restart_wal(conn) {
            Ok(true) => {}
            Ok(false) => tracing::debug!(database, "readers kept the WAL busy; restarted later"),
            Err(e) => tracing::warn!(database, error = %e, "restarting the WAL failed; retried later"),
        }
    }

    /// Asks the writer to restart the WAL, as the thread does once the WAL
    /// has grown past twice the interval.
    #[doc(hidden)]
    pub fn request_restart(&self) {
        self.restart.store(true, Ordering::SeqCst);
    }

    /// The writer has stopped: the thread ends after its current checkpoint.
    pub fn stop(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.stop = true;
            self.wake.notify_one();
        }
    }

    fn run(&self, conn: &Connection, restart_frames: i64) {
        loop {
            {
                let Ok(state) = self.state.lock() else { return };
                let Ok((mut state, _)) =
                    self.wake.wait_timeout_while(state, Duration::from_secs(1), |s| s.pending < self.every && !s.stop)
                else {
                    return;
                };
                if state.stop {
                    return;
                }
                if state.pending == 0 {
                    continue;
                }
                state.pending = 0;
            }
            self.running.store(true, Ordering::SeqCst);
            let result = checkpoint(conn, "PASSIVE");
            self.running.store(false, Ordering::SeqCst);
            match result {
                Ok((_, frames, _)) if frames >= restart_frames => self.restart.store(true, Ordering::Relaxed),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; retried later"),
            }
        }
    }
}

/// Every row that `stmt` selects with `params`, each read by `read`: the
/// stores' reads of rows into their types, by column name.
pub(crate) fn read_rows<T>(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    mut read: impl FnMut(&rusqlite::Row<'_>) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    let mut rows = stmt.query(params)?;
    let mut all = Vec::new();
    while let Some(r) = rows.next()? {
        all.push(read(r)?);
    }
    Ok(all)
}

/// The first row that `stmt` selects with `params`, if any, read by `read`.
pub(crate) fn read_first<T>(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    read: impl FnOnce(&rusqlite::Row<'_>) -> Result<T, Error>,
) -> Result<Option<T>, Error> {
    stmt.query(params)?.next()?.map(read).transpose()
}

/// The writer, between two transactions, copies what is left of the WAL and
/// starts it over (see [`Checkpointer`]). It waits at most 50 ms for readers
/// or the checkpoint thread; if they are still there, the WAL just goes on
/// growing until the next request. Returns whether the WAL was restarted.
pub fn restart_wal(conn: &Connection) -> Result<bool, rusqlite::Error> {
    conn.busy_timeout(Duration::from_millis(50))?;
    let result = checkpoint(conn, "RESTART");
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let (busy, _, _) = result?;
    Ok(busy == 0)
}

/// How long a connection waits for a lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `PRAGMA wal_checkpoint(mode)`: (busy, frames in the WAL, frames copied).
fn checkpoint(conn: &Connection, mode: &str) -> Result<(i64, i64, i64), rusqlite::Error> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checkpoint thread copies the WAL back without restarting it; the
    /// writer restarts it, after which writes start at its beginning again.
    #[test]
    fn the_writer_restarts_a_wal_the_checkpoint_thread_copied() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("icaze.db");
        let config = SqliteConfig::default();
        let mut writer = open(&path, &config).unwrap();
        migrate(&mut writer, &["CREATE TABLE regimes (id TEXT PRIMARY KEY, toml TEXT NOT NULL)"], "icaze.db").unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        let write = |conn: &Connection, from: u32| {
            for i in from..from + 200 {
                conn.execute("INSERT INTO regimes (id, toml) VALUES (?1, '')", [format!("r{i:07}")]).unwrap();
            }
        };
        write(&writer, 0);
        let checkpointer = open(&path, &config).unwrap();
        let (_, frames, copied) = checkpoint(&checkpointer, "PASSIVE").unwrap();
        assert!(frames >= 200, "{frames}");
        assert_eq!(copied, frames);
        // A reader keeps the WAL in use: the writer cannot restart it.
        let reader = open(&path, &config).unwrap();
        reader.execute_batch("BEGIN; SELECT count(*) FROM regimes;").unwrap();
        write(&writer, 200);
        assert!(!restart_wal(&writer).unwrap());
        reader.execute_batch("COMMIT").unwrap();
        assert!(restart_wal(&writer).unwrap());
        writer.execute("INSERT INTO regimes (id, toml) VALUES ('last', '')", []).unwrap();
        let (_, frames, copied) = checkpoint(&checkpointer, "PASSIVE").unwrap();
        assert!(frames < 10, "{frames}");
        assert_eq!(copied, frames);
        drop(writer);
        let regimes: i64 = checkpointer.query_row("SELECT count(*) FROM regimes", [], |r| r.get(0)).unwrap();
        assert_eq!(regimes, 401);
    }

    #[test]
    fn a_database_of_newer_software_is_refused_and_files_are_the_owners_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let config = SqliteConfig::default();
        let mut conn = open(&path, &config).unwrap();
        migrate(&mut conn, &["CREATE TABLE a (x)", "CREATE TABLE b (x)"], "x.db").unwrap();
        let err = migrate(&mut conn, &["CREATE TABLE a (x)"], "x.db").unwrap_err();
        assert!(err.to_string().contains("newer than this software"), "{err}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
