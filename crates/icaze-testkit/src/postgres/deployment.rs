//! What a deployment does to its database, on a throwaway cluster (issue 21):
//! a streaming replica made by `pg_basebackup` from the running primary,
//! promoted when the primary is killed (the failover test), and TLS.

use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{cluster_dir, run, PgCluster, PgError, SUPERUSER};

impl PgCluster {
    /// Makes a streaming replica of this cluster (`pg_basebackup -X stream -R`:
    /// a copy of its data, and `primary_conninfo` pointing at it) and starts it
    /// on a port of its own, once it streams.
    ///
    /// With `synchronous`, this cluster's commits wait from then on for the
    /// replica to have flushed them (`synchronous_standby_names = '*'`, with
    /// `synchronous_commit = on`): a commit acknowledged by the primary is on
    /// the replica too, and survives the primary's loss. Without it, the last
    /// commits before a loss may be missing on the replica.
    pub fn start_replica(&self, synchronous: bool) -> Result<PgCluster, PgError> {
        let started = Instant::now();
        let mut replica = PgCluster {
            bin: self.bin.clone(),
            dir: cluster_dir(self.as_nobody)?,
            port: 0,
            as_nobody: self.as_nobody,
            started_in: Duration::ZERO,
            databases: AtomicU64::new(self.databases.load(Ordering::Relaxed)),
        };
        let mut backup = replica.command("pg_basebackup");
        backup
            .args(["-h", "127.0.0.1", "-U", SUPERUSER, "-p"])
            .arg(self.port.to_string())
            .args(["-X", "stream", "-R", "--no-sync", "-D"])
            .arg(replica.data_dir());
        run(&mut backup, Some(&self.log_file()))?;
        replica.start_on_a_free_port()?;
        let state = if synchronous {
            self.psql("postgres", "ALTER SYSTEM SET synchronous_standby_names = '*'")?;
            self.psql("postgres", "SELECT pg_reload_conf()")?;
            "sync"
        } else {
            "async"
        };
        let query =
            format!("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = '{state}'");
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.psql("postgres", &query)? != "1" {
            if Instant::now() > deadline {
                return Err(PgError::Failed {
                    program: "the replica".into(),
                    status: format!("not streaming ({state}) after 60 s"),
                    output: replica.log_tail(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        replica.started_in = started.elapsed();
        Ok(replica)
    }

    /// Promotes this replica to a primary (`pg_ctl promote`), and waits until
    /// it takes writes.
    pub fn promote(&self) -> Result<(), PgError> {
        let mut promote = self.command("pg_ctl");
        promote.args(["promote", "-w", "-t", "60", "-D"]).arg(self.data_dir());
        run(&mut promote, Some(&self.log_file())).map(|_| ())
    }

    /// Kills the server's processes with `SIGKILL`, the postmaster and its
    /// children at once, as a lost machine would leave it: no shutdown
    /// checkpoint, no goodbye to the clients or the replicas.
    pub fn kill(&self) -> Result<(), PgError> {
        let pid_file = self.data_dir().join("postmaster.pid");
        let text = std::fs::read_to_string(&pid_file)
            .map_err(|source| PgError::Io { what: format!("reading {}", pid_file.display()), source })?;
        let postmaster = text.lines().next().unwrap_or_default().trim().to_owned();
        // Listed before the postmaster dies (then they are orphans), killed after
        // it, so that it cannot start over: a backend killed first makes the
        // postmaster end every other one itself and restart.
        let backends = children(&postmaster);
        run(Command::new("kill").args(["-KILL", &postmaster]), None)?;
        for backend in backends {
            // One may have ended by itself in between: "no such process" is fine.
            let _ = Command::new("kill").args(["-KILL", &backend]).output();
        }
        Ok(())
    }
}

/// The processes whose parent is `pid`, from `/proc`.
fn children(pid: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_owned();
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`; the command may hold spaces and parentheses.
            let after = &stat[stat.rfind(')')? + 1..];
            let ppid = after.split_whitespace().nth(1)?;
            (ppid == pid).then_some(name)
        })
        .collect()
}

impl PgCluster {
    /// Turns TLS on (`ssl = on`, reloaded) with this certificate chain and
    /// key (PEM), written into the data directory for the server's user.
    /// Plain connections are still accepted: whether a client insists on TLS
    /// is the client's part.
    pub fn enable_tls(&self, cert_pem: &str, key_pem: &str) -> Result<(), PgError> {
        use std::os::unix::fs::PermissionsExt as _;
        for (name, text, mode) in [("server.crt", cert_pem, 0o644), ("server.key", key_pem, 0o600)] {
            let path = self.data_dir().join(name);
            let io = |source| PgError::Io { what: format!("writing {}", path.display()), source };
            std::fs::write(&path, text).map_err(io)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).map_err(io)?;
            if self.as_nobody {
                run(Command::new("chown").arg(format!("{}:", super::UNPRIVILEGED)).arg(&path), None)?;
            }
        }
        self.psql("postgres", "ALTER SYSTEM SET ssl = on")?;
        self.psql("postgres", "SELECT pg_reload_conf()")?;
        // The reload is asynchronous: wait until new connections see it.
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.psql("postgres", "SHOW ssl")? != "on" {
            if Instant::now() > deadline {
                return Err(PgError::Failed {
                    program: "ssl = on".into(),
                    status: "not in force after 30 s".into(),
                    output: self.log_tail(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}
