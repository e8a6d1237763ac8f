//! Throwaway PostgreSQL clusters on loopback for the tests of the PostgreSQL
//! backend: see [`PgCluster`].
//!
//! A cluster is Debian's PostgreSQL (`/usr/lib/postgresql/NN/bin`: `initdb`,
//! `pg_ctl`, `postgres`, `psql`), made by `initdb` in a temporary directory
//! (trust authentication, loopback only, its unix socket in that directory) and
//! started by `pg_ctl` on a free loopback port. It is never a system service:
//! nothing is installed, enabled or left behind. Dropping the last handle stops it
//! (`pg_ctl stop -m immediate`) and removes the directory, also when a test panics.
//!
//! As root (CI), `initdb` refuses to run, so every PostgreSQL program runs as the
//! unprivileged `nobody` through `runuser`, and the directory is given to it;
//! as any other user, they run as that user.
//!
//! `initdb` is most of a cluster's start-up (measured by the tests, printed by
//! `cargo test -p icaze-testkit -- --nocapture cluster_start`), so the tests of one
//! process share one cluster ([`PgCluster::shared`]), each in a database of its own
//! ([`PgCluster::create_database`]). A test that stops the server starts its own.
//!
//! Durability is off in these clusters (`fsync = off`): they are thrown away, and
//! a test of the rules needs no disk flush. A crash of the machine is not what they
//! test.
//!
//! What is not handled: a test process killed with `SIGKILL` leaves its cluster
//! running (no `Drop` runs); it listens on loopback only and its directory is in the
//! temporary directory.

use std::fmt;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

mod deployment;

/// The user PostgreSQL runs as when the tests run as root.
const UNPRIVILEGED: &str = "nobody";
/// The database superuser `initdb` makes.
const SUPERUSER: &str = "postgres";

/// Why a throwaway cluster could not be made, started or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// No PostgreSQL server binaries were found.
    #[error("PostgreSQL is not installed (no initdb, pg_ctl and postgres in /usr/lib/postgresql/*/bin or on PATH): apt-get install postgresql")]
    NotInstalled,
    /// A program could not be run, or the temporary directory could not be made.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A PostgreSQL program ended in failure.
    #[error("{program} failed ({status}): {output}")]
    Failed {
        /// The program and its first argument.
        program: String,
        /// Its exit status.
        status: String,
        /// Its standard error and output, and the server log's tail if there is one.
        output: String,
    },
}

/// Where the PostgreSQL programs are: the newest `/usr/lib/postgresql/NN/bin`
/// holding `initdb`, `pg_ctl`, `postgres` and `psql`, else the directory of an
/// `initdb` on `PATH` holding them.
pub fn bin_dir() -> Option<PathBuf> {
    let has_all = |dir: &Path| ["initdb", "pg_ctl", "postgres", "psql"].iter().all(|p| dir.join(p).is_file());
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_all(dir))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        let initdb = std::fs::canonicalize(dir.join("initdb")).ok()?;
        let dir = initdb.parent()?.to_owned();
        has_all(&dir).then_some(dir)
    })
}

/// Whether PostgreSQL's server programs are installed.
pub fn available() -> bool {
    bin_dir().is_some()
}

/// Whether this process runs as root (`initdb` refuses root).
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// A running throwaway PostgreSQL cluster on `127.0.0.1`.
///
/// ```no_run
/// use icaze_testkit::postgres::PgCluster;
///
/// # fn main() -> Result<(), icaze_testkit::postgres::PgError> {
/// let cluster = PgCluster::shared()?;
/// let db = cluster.create_database()?;
/// // postgres://postgres@127.0.0.1:PORT/icaze_test_N, trust authentication.
/// println!("{}", db.url());
/// # Ok(())
/// # }
/// ```
pub struct PgCluster {
    bin: PathBuf,
    // Invariant: dropped after the server is stopped (see `Drop`), so the server
    // never runs on a removed directory.
    dir: tempfile::TempDir,
    port: u16,
    as_nobody: bool,
    /// How long `initdb` and the first start took.
    started_in: Duration,
    /// Numbers the databases made in it.
    databases: AtomicU64,
}

impl fmt::Debug for PgCluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgCluster").field("dir", &self.dir.path()).field("port", &self.port).finish()
    }
}

/// The cluster the tests of this process share, while one of them holds it.
static SHARED: Mutex<Weak<PgCluster>> = Mutex::new(Weak::new());

impl PgCluster {
    /// Makes and starts a cluster of its own (for a test that stops it).
    pub fn start() -> Result<PgCluster, PgError> {
        let started = Instant::now();
        let bin = bin_dir().ok_or(PgError::NotInstalled)?;
        let as_nobody = running_as_root();
        let dir = cluster_dir(as_nobody)?;
        let mut cluster =
            PgCluster { bin, dir, port: 0, as_nobody, started_in: Duration::ZERO, databases: AtomicU64::new(0) };
        let data = cluster.data_dir();
        let mut initdb = cluster.command("initdb");
        initdb
            .args(["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--username", SUPERUSER, "-D"])
            .arg(&data);
        run(&mut initdb, None)?;
        cluster.start_on_a_free_port()?;
        cluster.started_in = started.elapsed();
        Ok(cluster)
    }

    /// Starts the server on a free port. A free port is taken by binding port
    /// 0 and letting go; another process may take it in between, so a failed
    /// start tries another.
    fn start_on_a_free_port(&mut self) -> Result<(), PgError> {
        let mut last = None;
        for _ in 0..5 {
            self.port = free_port()?;
            match self.pg_ctl_start() {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        self.port = 0;
        Err(last.expect("five tries"))
    }

    /// The cluster the tests of this process share: started by the first test
    /// that asks, stopped when the last test holding it ends.
    pub fn shared() -> Result<Arc<PgCluster>, PgError> {
        let mut shared = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cluster) = shared.upgrade() {
            return Ok(cluster);
        }
        let cluster = Arc::new(PgCluster::start()?);
        *shared = Arc::downgrade(&cluster);
        Ok(cluster)
    }

    /// A new, empty database in this cluster, dropped with the cluster.
    pub fn create_database(self: &Arc<Self>) -> Result<PgDatabase, PgError> {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("icaze_test_{n}");
        self.psql("postgres", &format!("CREATE DATABASE {name}"))?;
        Ok(PgDatabase { cluster: Arc::clone(self), name })
    }

    /// Runs `sql` in `database` with `psql`, as the superuser; its output.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, PgError> {
        let mut psql = Command::new(self.bin.join("psql"));
        psql.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", SUPERUSER, "-p"])
            .arg(self.port.to_string())
            .args(["-d", database, "-c", sql]);
        let out = run(&mut psql, None)?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// The port it listens on, on `127.0.0.1`.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How long making and starting it took (`initdb` and `pg_ctl start`).
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// A connection string to `database` as the superuser.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`):
    /// connections break, and the data stays for [`PgCluster::restart`].
    pub fn stop(&self) -> Result<(), PgError> {
        let mut stop = self.command("pg_ctl");
        stop.args(["stop", "-m", "immediate", "-w", "-D"]).arg(self.data_dir());
        run(&mut stop, Some(&self.log_file())).map(|_| ())
    }

    /// Starts the server again on the same port, after [`PgCluster::stop`];
    /// it recovers from its write-ahead log as after a crash.
    pub fn restart(&self) -> Result<(), PgError> {
        self.pg_ctl_start()
    }

    /// The last lines of the server's log.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log_file())
    }

    fn pg_ctl_start(&self) -> Result<(), PgError> {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} -c fsync=off \
             -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB",
            self.port,
            self.dir.path().display()
        );
        let mut start = self.command("pg_ctl");
        start
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .args(["-o", &options]);
        run(&mut start, Some(&self.log_file())).map(|_| ())
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_file(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// A PostgreSQL program, run as `nobody` when this process is root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_nobody {
            let mut command = Command::new("runuser");
            command.args(["-u", UNPRIVILEGED, "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.port != 0 {
            let mut stop = self.command("pg_ctl");
            stop.args(["stop", "-m", "immediate", "-w", "-D"]).arg(self.data_dir());
            // Already stopped by a test (`stop`) is fine; anything else cannot
            // be reported from a drop.
            let _ = stop.output();
        }
    }
}

/// A database of a [`PgCluster`], for one test.
#[derive(Debug, Clone)]
pub struct PgDatabase {
    cluster: Arc<PgCluster>,
    name: String,
}

impl PgDatabase {
    /// Its connection string.
    pub fn url(&self) -> String {
        self.cluster.url(&self.name)
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `sql` in it with `psql`; its output (unaligned, tuples only).
    pub fn psql(&self, sql: &str) -> Result<String, PgError> {
        self.cluster.psql(&self.name, sql)
    }

    /// Its cluster.
    pub fn cluster(&self) -> &Arc<PgCluster> {
        &self.cluster
    }
}

/// A new temporary directory for a cluster, the unprivileged user's when
/// this process is root.
fn cluster_dir(as_nobody: bool) -> Result<tempfile::TempDir, PgError> {
    let dir = tempfile::Builder::new()
        .prefix("icaze-pg-")
        .tempdir()
        .map_err(|source| PgError::Io { what: "making the cluster's directory".into(), source })?;
    if as_nobody {
        // The directory is the unprivileged user's; its parent (the temporary
        // directory) must let that user through, as /tmp does.
        run(Command::new("chown").arg(format!("{UNPRIVILEGED}:")).arg(dir.path()), None)?;
    }
    Ok(dir)
}

fn free_port() -> Result<u16, PgError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|source| PgError::Io { what: "finding a free port".into(), source })?;
    listener.local_addr().map(|a| a.port()).map_err(|source| PgError::Io { what: "finding a free port".into(), source })
}

/// Runs a command to its end; a failure carries its output and the log's tail.
fn run(command: &mut Command, log: Option<&Path>) -> Result<Output, PgError> {
    let program = format!("{command:?}");
    let out = command.output().map_err(|source| PgError::Io { what: format!("running {program}"), source })?;
    if out.status.success() {
        return Ok(out);
    }
    let mut output = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    if let Some(log) = log {
        output.push_str("\nserver log:\n");
        output.push_str(&log_tail(log));
    }
    Err(PgError::Failed { program, status: out.status.to_string(), output })
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
