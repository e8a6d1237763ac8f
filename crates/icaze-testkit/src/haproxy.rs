//! A real front for tests of several `icaze serve` instances: Debian's HAProxy
//! (`/usr/sbin/haproxy`) on a free loopback port, round robin over the given
//! backends with health checks on `/healthz` (`option httpchk`): see [`HaProxy`].
//!
//! HAProxy runs as a child process in the foreground (`-db`) with a generated
//! configuration in a temporary directory; it is never a system service (no
//! `systemctl`, nothing installed or left behind). Dropping the [`HaProxy`]
//! kills it and removes the directory. Its state is read through its admin
//! socket in that directory (`show stat`): whether each backend is up, and how
//! many requests each was sent.
//!
//! Without HAProxy installed, [`HaProxy::start`] fails with
//! [`HaProxyError::NotInstalled`], which names the package: a test needing a
//! front fails clearly, it is never skipped.
//!
//! The health checks run every [`CHECK_INTERVAL`]; a backend is taken out after
//! two failed checks and put back after two good ones, so a test waits for a
//! change with [`HaProxy::wait_for`], never by sleeping a fixed time.

use std::fmt;
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian installs HAProxy.
pub const HAPROXY: &str = "/usr/sbin/haproxy";

/// How often each backend's `/healthz` is asked.
pub const CHECK_INTERVAL: Duration = Duration::from_millis(300);

/// How long HAProxy gets to start listening.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// Why the front could not be started or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HaProxyError {
    /// `/usr/sbin/haproxy` is missing.
    #[error("HAProxy is not installed ({HAPROXY} is missing): apt-get install haproxy (the tests start their own; no service is needed)")]
    NotInstalled,
    /// An operating-system call failed.
    #[error("could not {action}: {source}")]
    Io {
        /// What was being done.
        action: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// HAProxy ended, or refused its configuration.
    #[error("haproxy exited ({status}):\n{log}")]
    Exited {
        /// Its exit status.
        status: String,
        /// The end of its output.
        log: String,
    },
    /// HAProxy or a backend did not reach the state waited for in time.
    #[error("{what} within {} s:\n{log}", .waited.as_secs())]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        waited: Duration,
        /// The end of its output.
        log: String,
    },
    /// The admin socket answered something that does not read as `show stat`.
    #[error("haproxy's statistics do not read: {0}")]
    Stats(String),
}

fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> HaProxyError {
    let action = action.into();
    move |source| HaProxyError::Io { action, source }
}

/// Whether HAProxy is installed where Debian puts it.
pub fn available() -> bool {
    Path::new(HAPROXY).is_file()
}

/// A backend's state as HAProxy sees it (`show stat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendStat {
    /// Its name in the configuration: `s0`, `s1`, … in the order given.
    pub name: String,
    /// `UP`, `DOWN`, or a transition such as `UP 1/2` or `DOWN 1/2`.
    pub status: String,
    /// Requests (sessions) sent to it so far.
    pub sent: u64,
}

impl BackendStat {
    /// Whether HAProxy sends it requests (`UP`, also while a failed check
    /// counts towards taking it out).
    pub fn up(&self) -> bool {
        self.status.starts_with("UP")
    }
}

/// HAProxy on `127.0.0.1`, round robin over backends checked on `/healthz`.
///
/// ```no_run
/// use icaze_testkit::haproxy::HaProxy;
///
/// # fn main() -> Result<(), icaze_testkit::haproxy::HaProxyError> {
/// let front = HaProxy::start(&["127.0.0.1:8103".parse().unwrap(), "127.0.0.1:8104".parse().unwrap()])?;
/// front.wait_for(0, true)?;
/// println!("{} → {:?}", front.url(), front.stats()?);
/// # Ok(())
/// # }
/// ```
pub struct HaProxy {
    child: Child,
    addr: SocketAddr,
    backends: Vec<SocketAddr>,
    // Invariant: dropped after the process is killed (see `Drop`).
    dir: tempfile::TempDir,
}

impl fmt::Debug for HaProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HaProxy").field("addr", &self.addr).field("backends", &self.backends).finish()
    }
}

impl HaProxy {
    /// Starts HAProxy on a free loopback port in front of `backends` (plain
    /// HTTP), and waits until it listens. The backends may be down: they are
    /// put in when their `/healthz` answers `200`.
    pub fn start(backends: &[SocketAddr]) -> Result<HaProxy, HaProxyError> {
        if !available() {
            return Err(HaProxyError::NotInstalled);
        }
        let dir = tempfile::Builder::new()
            .prefix("icaze-haproxy-")
            .tempdir()
            .map_err(io("make a temporary directory for haproxy"))?;
        // A port free now may be taken before haproxy binds it: a failed start tries another.
        let mut last = None;
        for _ in 0..5 {
            let port = free_port()?;
            match HaProxy::start_on(&dir, port, backends) {
                Ok(child) => {
                    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
                    return Ok(HaProxy { child, addr, backends: backends.to_vec(), dir });
                }
                Err(e @ HaProxyError::Exited { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(HaProxyError::Stats("no start attempted".into())))
    }

    fn start_on(dir: &tempfile::TempDir, port: u16, backends: &[SocketAddr]) -> Result<Child, HaProxyError> {
        let config = dir.path().join("haproxy.cfg");
        std::fs::write(&config, configuration(port, &socket_path(dir.path()), backends))
            .map_err(io("write haproxy.cfg"))?;
        let log = File::create(log_path(dir.path())).map_err(io("make haproxy's log"))?;
        let err = log.try_clone().map_err(io("make haproxy's log"))?;
        let mut child = Command::new(HAPROXY)
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(io(format!("run {HAPROXY}")))?;
        let started = Instant::now();
        loop {
            if let Some(status) = child.try_wait().map_err(io("wait for haproxy"))? {
                return Err(HaProxyError::Exited { status: status.to_string(), log: log_tail(dir.path()) });
            }
            if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() && socket_path(dir.path()).exists() {
                return Ok(child);
            }
            if started.elapsed() > START_DEADLINE {
                let _ = child.kill();
                let _ = child.wait();
                return Err(HaProxyError::Timeout {
                    what: "haproxy did not listen".into(),
                    waited: START_DEADLINE,
                    log: log_tail(dir.path()),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The front's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The backends as given, `s0` first.
    pub fn backends(&self) -> &[SocketAddr] {
        &self.backends
    }

    /// Each backend's state, in the order given.
    pub fn stats(&self) -> Result<Vec<BackendStat>, HaProxyError> {
        let mut socket =
            UnixStream::connect(socket_path(self.dir.path())).map_err(io("reach haproxy's admin socket"))?;
        socket.set_read_timeout(Some(Duration::from_secs(10))).map_err(io("set a timeout"))?;
        socket.write_all(b"show stat\n").map_err(io("ask haproxy's statistics"))?;
        let mut text = String::new();
        socket.read_to_string(&mut text).map_err(io("read haproxy's statistics"))?;
        let mut lines = text.lines();
        let header =
            lines.next().and_then(|h| h.strip_prefix("# ")).ok_or_else(|| HaProxyError::Stats(text.clone()))?;
        let column = |name: &str| {
            header.split(',').position(|c| c == name).ok_or_else(|| HaProxyError::Stats(format!("no {name}: {header}")))
        };
        let (px, sv, status, stot) = (column("pxname")?, column("svname")?, column("status")?, column("stot")?);
        let mut stats = Vec::new();
        for line in lines {
            let fields: Vec<&str> = line.split(',').collect();
            if fields.get(px) != Some(&"icaze") || matches!(fields.get(sv), Some(&"FRONTEND" | &"BACKEND")) {
                continue;
            }
            let field = |i: usize| fields.get(i).copied().ok_or_else(|| HaProxyError::Stats(line.to_owned()));
            stats.push(BackendStat {
                name: field(sv)?.to_owned(),
                status: field(status)?.to_owned(),
                sent: field(stot)?.parse().map_err(|_| HaProxyError::Stats(line.to_owned()))?,
            });
        }
        if stats.len() != self.backends.len() {
            return Err(HaProxyError::Stats(format!(
                "{} backends listed, {} configured",
                stats.len(),
                self.backends.len()
            )));
        }
        Ok(stats)
    }

    /// Waits until backend `index` is up (`true`) or down (`false`), as its
    /// health checks find it.
    pub fn wait_for(&self, index: usize, up: bool) -> Result<(), HaProxyError> {
        let deadline = Duration::from_secs(30);
        let started = Instant::now();
        loop {
            let stat =
                self.stats()?.into_iter().nth(index).ok_or_else(|| HaProxyError::Stats(format!("no s{index}")))?;
            // Fully up or fully down: not a transition such as `UP 1/2`.
            if stat.status == if up { "UP" } else { "DOWN" } {
                return Ok(());
            }
            if started.elapsed() > deadline {
                return Err(HaProxyError::Timeout {
                    what: format!(
                        "backend s{index} was not {} (it is {})",
                        if up { "UP" } else { "DOWN" },
                        stat.status
                    ),
                    waited: deadline,
                    log: log_tail(self.dir.path()),
                });
            }
            std::thread::sleep(CHECK_INTERVAL / 3);
        }
    }

    /// The last lines of HAProxy's output (alerts and warnings).
    pub fn log_tail(&self) -> String {
        log_tail(self.dir.path())
    }
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The configuration: one frontend, one backend `icaze` of servers `s0`, `s1`,
/// …, as `docs/operations.md` documents for a deployment, with the checks and
/// timeouts shortened for tests.
fn configuration(port: u16, socket: &Path, backends: &[SocketAddr]) -> String {
    let inter = CHECK_INTERVAL.as_millis();
    let mut text = format!(
        "global
    maxconn 4096
    stats socket {socket} mode 600 level admin

defaults
    mode http
    option redispatch
    retries 3
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 4s

frontend front
    bind 127.0.0.1:{port}
    option forwardfor
    default_backend icaze

backend icaze
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter {inter}ms fastinter {inter}ms downinter {inter}ms fall 2 rise 2
",
        socket = socket.display()
    );
    for (i, backend) in backends.iter().enumerate() {
        text.push_str(&format!("    server s{i} {backend} check\n"));
    }
    text
}

fn socket_path(dir: &Path) -> PathBuf {
    dir.join("admin.sock")
}

fn log_path(dir: &Path) -> PathBuf {
    dir.join("haproxy.log")
}

fn log_tail(dir: &Path) -> String {
    let text = std::fs::read_to_string(log_path(dir)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn free_port() -> Result<u16, HaProxyError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io("find a free port"))?;
    Ok(listener.local_addr().map_err(io("find a free port"))?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend answering `/healthz` with `status` to every request, counting them.
    fn backend(status: &'static str) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicU64>) {
        use std::io::{BufRead as _, BufReader};
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut request = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                while reader.read_line(&mut request).is_ok_and(|n| n > 2) {
                    if request.ends_with("\r\n\r\n") {
                        break;
                    }
                }
                if !request.starts_with("GET /healthz") {
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n");
            }
        });
        (addr, hits)
    }

    fn get(addr: SocketAddr) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(stream, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn round_robin_over_the_healthy_backends_only() {
        let (a, a_hits) = backend("200 OK");
        let (b, b_hits) = backend("200 OK");
        let (sick, sick_hits) = backend("503 Service Unavailable");
        let front = HaProxy::start(&[a, b, sick]).unwrap();
        front.wait_for(0, true).unwrap();
        front.wait_for(1, true).unwrap();
        front.wait_for(2, false).unwrap();
        for _ in 0..10 {
            assert!(get(front.addr()).starts_with("HTTP/1.1 200"));
        }
        let (a, b) =
            (a_hits.load(std::sync::atomic::Ordering::SeqCst), b_hits.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!((a, b), (5, 5), "round robin");
        assert_eq!(sick_hits.load(std::sync::atomic::Ordering::SeqCst), 0, "a backend failing its checks is out");
        let stats = front.stats().unwrap();
        assert_eq!(stats.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["s0", "s1", "s2"]);
        assert_eq!((stats[0].sent, stats[1].sent, stats[2].sent), (5, 5, 0));
        assert!(stats[0].up() && !stats[2].up());
    }

    #[test]
    fn a_backend_that_stops_answering_is_taken_out() {
        let (a, _) = backend("200 OK");
        // A port nothing listens on.
        let gone = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port().unwrap()));
        let front = HaProxy::start(&[a, gone]).unwrap();
        front.wait_for(0, true).unwrap();
        front.wait_for(1, false).unwrap();
        for _ in 0..4 {
            assert!(get(front.addr()).starts_with("HTTP/1.1 200"));
        }
    }
}
