//! A fault-injecting TCP proxy on loopback: see [`FaultProxy`].

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The shortest delay a seeded schedule deals out.
const MIN_DELAY: Duration = Duration::from_millis(10);
/// The longest delay a seeded schedule deals out.
const MAX_DELAY: Duration = Duration::from_millis(60);
/// How long the second copy of a duplicated request may take to be answered after the
/// client went away, before its connection is closed anyway.
const DUPLICATE_GRACE: Duration = Duration::from_secs(2);
/// The size of the buffer of each direction of a connection.
const BUFFER: usize = 16 * 1024;

/// What the proxy does to one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward both ways untouched.
    Pass,
    /// Close the client's connection at once, before reading anything and without
    /// connecting to the target (the client sees its connection closed or reset).
    Refuse,
    /// Forward the first `after` bytes the client sends, then reset both connections
    /// (RST, `SO_LINGER` 0): an upload that dies on the way.
    ResetRequest {
        /// Client bytes forwarded before the reset, at least 1.
        after: u64,
    },
    /// Forward the first `after` bytes the target answers, then reset both connections:
    /// the server did the work, the answer is lost.
    ResetResponse {
        /// Answer bytes forwarded before the reset, at least 1.
        after: u64,
    },
    /// Forward the first `after` bytes the target answers, then close both connections
    /// cleanly (FIN): an answer cut short that looks like an orderly end.
    TruncateResponse {
        /// Answer bytes forwarded before the close, at least 1.
        after: u64,
    },
    /// Wait this long before connecting to the target and forwarding, then pass.
    Delay {
        /// The wait.
        delay: Duration,
    },
    /// Open two connections to the target and send every client byte on both; answer
    /// the client from the first only and discard the second's answer: a retransmitted
    /// upload that the server receives twice.
    DuplicateRequest,
}

impl Fault {
    /// What kind of fault it is.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Pass => FaultKind::Pass,
            Fault::Refuse => FaultKind::Refuse,
            Fault::ResetRequest { .. } => FaultKind::ResetRequest,
            Fault::ResetResponse { .. } => FaultKind::ResetResponse,
            Fault::TruncateResponse { .. } => FaultKind::TruncateResponse,
            Fault::Delay { .. } => FaultKind::Delay,
            Fault::DuplicateRequest => FaultKind::DuplicateRequest,
        }
    }
}

/// The kinds of [`Fault`], for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// [`Fault::Pass`].
    Pass,
    /// [`Fault::Refuse`].
    Refuse,
    /// [`Fault::ResetRequest`].
    ResetRequest,
    /// [`Fault::ResetResponse`].
    ResetResponse,
    /// [`Fault::TruncateResponse`].
    TruncateResponse,
    /// [`Fault::Delay`].
    Delay,
    /// [`Fault::DuplicateRequest`].
    DuplicateRequest,
}

impl FaultKind {
    /// Every kind, in the order of the enum.
    pub const ALL: [FaultKind; 7] = [
        FaultKind::Pass,
        FaultKind::Refuse,
        FaultKind::ResetRequest,
        FaultKind::ResetResponse,
        FaultKind::TruncateResponse,
        FaultKind::Delay,
        FaultKind::DuplicateRequest,
    ];

    /// Every kind but [`FaultKind::Pass`]: the faults proper.
    pub const FAULTS: [FaultKind; 6] = [
        FaultKind::Refuse,
        FaultKind::ResetRequest,
        FaultKind::ResetResponse,
        FaultKind::TruncateResponse,
        FaultKind::Delay,
        FaultKind::DuplicateRequest,
    ];

    /// A short snake-case name, for reports.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Pass => "pass",
            FaultKind::Refuse => "refuse",
            FaultKind::ResetRequest => "reset_request",
            FaultKind::ResetResponse => "reset_response",
            FaultKind::TruncateResponse => "truncate_response",
            FaultKind::Delay => "delay",
            FaultKind::DuplicateRequest => "duplicate_request",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Which fault each connection gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultSchedule {
    /// Drawn from a seeded generator: connection `i` passes untouched with a chance of
    /// `pass_percent` in 100, else gets one of the six faults, each as likely; byte
    /// counts are drawn from `1..=max_bytes` and delays from 10 to 60 ms.
    Seeded {
        /// The seed: the same seed gives the same fault to the same connection number.
        seed: u64,
        /// The chance, in percent, that a connection passes untouched (above 100: 100).
        pass_percent: u8,
        /// The largest byte count of a reset or a truncation (0 is taken as 1).
        max_bytes: u64,
    },
    /// Connection `i` gets `faults[i % faults.len()]`; an empty list passes everything.
    Script(Vec<Fault>),
}

impl FaultSchedule {
    /// A seeded schedule with 40% of connections untouched and byte counts up to 4096,
    /// which is about what one or two requests of the sync API and their answers take.
    pub fn seeded(seed: u64) -> Self {
        FaultSchedule::Seeded { seed, pass_percent: 40, max_bytes: 4096 }
    }

    /// The fault of connection number `connection` (from 0).
    pub fn fault_for(&self, connection: u64) -> Fault {
        match self {
            FaultSchedule::Script(faults) if faults.is_empty() => Fault::Pass,
            FaultSchedule::Script(faults) => {
                // The index is below `faults.len()`, so it fits a usize and the lookup succeeds.
                let i = (connection % faults.len() as u64) as usize;
                faults.get(i).copied().unwrap_or(Fault::Pass)
            }
            FaultSchedule::Seeded { seed, pass_percent, max_bytes } => {
                let mut state = seed ^ connection.wrapping_mul(0xA076_1D64_78BD_642F);
                let mut draw = move || splitmix64(&mut state);
                if draw() % 100 < u64::from(*pass_percent) {
                    return Fault::Pass;
                }
                let bytes = 1 + draw() % (*max_bytes).max(1);
                let span = (MAX_DELAY - MIN_DELAY).as_millis() as u64 + 1;
                let delay = MIN_DELAY + Duration::from_millis(draw() % span);
                match draw() % 6 {
                    0 => Fault::Refuse,
                    1 => Fault::ResetRequest { after: bytes },
                    2 => Fault::ResetResponse { after: bytes },
                    3 => Fault::TruncateResponse { after: bytes },
                    4 => Fault::Delay { delay },
                    _ => Fault::DuplicateRequest,
                }
            }
        }
    }
}

/// SplitMix64 (Steele, Lea and Flood): small, fast, and the same on every platform.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What the proxy did, counted since it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultCounts {
    /// Connections accepted.
    pub connections: u64,
    /// Faults that fired, by kind (read with [`FaultCounts::fired`]). A [`Fault::Pass`] "fires" when its
    /// connection is accepted; a [`Fault::Refuse`] when the connection is closed; a
    /// [`Fault::Delay`] when its wait is over; a [`Fault::DuplicateRequest`] when client
    /// bytes went to both target connections; the byte-counted faults when their byte
    /// count is reached.
    fired: [u64; 7],
    /// Faults armed on connections that ended before they could fire (a byte count
    /// never reached, a duplicate whose client sent nothing).
    pub not_fired: u64,
    /// Connections to the target that could not be made (the client's connection was
    /// then closed).
    pub target_unreachable: u64,
    /// Connections ended by an I/O error on either side (a reset by the client or the
    /// target, for instance), not counting the proxy's own resets.
    pub io_errors: u64,
}

impl FaultCounts {
    /// How many times faults of `kind` fired.
    pub fn fired(&self, kind: FaultKind) -> u64 {
        self.fired.get(kind.index()).copied().unwrap_or(0)
    }
}

impl fmt::Display for FaultCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connections {}", self.connections)?;
        for kind in FaultKind::ALL {
            write!(f, ", {} {}", kind.name(), self.fired(kind))?;
        }
        write!(
            f,
            ", not fired {}, target unreachable {}, i/o errors {}",
            self.not_fired, self.target_unreachable, self.io_errors
        )
    }
}

/// The counters, shared by the connection tasks.
#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    fired: [AtomicU64; 7],
    not_fired: AtomicU64,
    target_unreachable: AtomicU64,
    io_errors: AtomicU64,
    /// Connections whose task has not ended yet, and the signal that it went to zero.
    active: Mutex<u64>,
    idle: Condvar,
}

/// Counts a connection as active while it lives, the task's cancellation included.
struct Active(Arc<Counters>);

impl Active {
    fn new(counters: Arc<Counters>) -> Self {
        *counters.active.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        Active(counters)
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        let mut active = self.0.active.lock().unwrap_or_else(PoisonError::into_inner);
        *active = active.saturating_sub(1);
        if *active == 0 {
            self.0.idle.notify_all();
        }
    }
}

impl Counters {
    fn fire(&self, kind: FaultKind) {
        if let Some(counter) = self.fired.get(kind.index()) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn snapshot(&self) -> FaultCounts {
        let mut fired = [0; 7];
        for (out, counter) in fired.iter_mut().zip(&self.fired) {
            *out = counter.load(Ordering::Relaxed);
        }
        FaultCounts {
            connections: self.connections.load(Ordering::Relaxed),
            fired,
            not_fired: self.not_fired.load(Ordering::Relaxed),
            target_unreachable: self.target_unreachable.load(Ordering::Relaxed),
            io_errors: self.io_errors.load(Ordering::Relaxed),
        }
    }
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaultProxyError {
    /// The loopback port could not be bound.
    #[error("cannot listen on a loopback port for the fault proxy ({0}): check that 127.0.0.1 is configured")]
    Bind(#[source] io::Error),
    /// The proxy's runtime or thread could not be made.
    #[error("cannot start the fault proxy's runtime ({0}): the machine may be out of threads or file descriptors")]
    Runtime(#[source] io::Error),
}

/// A fault-injecting TCP proxy on loopback, for tests of clients that must survive a bad
/// network (the device's sync client in a field with one bar of signal).
///
/// ```no_run
/// use icaze_testkit::{FaultKind, FaultProxy, FaultSchedule};
///
/// # fn main() -> Result<(), icaze_testkit::FaultProxyError> {
/// # let server: std::net::SocketAddr = "127.0.0.1:8103".parse().unwrap();
/// // Connections to `proxy.addr()` reach `server`, each with the fault the seed gives it.
/// let proxy = FaultProxy::start(server, FaultSchedule::seeded(7))?;
/// let url = format!("http://{}", proxy.addr());
/// // ... run the client against `url` ...
/// let counts = proxy.counts();
/// assert!(counts.fired(FaultKind::ResetResponse) > 0, "{counts}");
/// # Ok(())
/// # }
/// ```
///
/// The proxy listens on `127.0.0.1:0` and forwards every accepted connection to one
/// target address. Connection number `i` (from 0, in the order they are accepted) gets
/// the fault [`FaultSchedule::fault_for`]`(i)`: a pure function of the schedule and `i`,
/// so a seed names a run, and a failing seed can be run again. The faults are the ones a
/// mobile network deals out (see [`Fault`]); byte counts are counted over the whole
/// connection, so with HTTP keep-alive a fault may fire in the second or third request a
/// connection carries.
///
/// [`FaultProxy::counts`] tells how many faults really fired: a reset armed for byte 900
/// of a connection that carried 600 bytes did nothing, and is counted as not fired. The
/// counts are final once [`FaultProxy::wait_idle`] says every connection ended. The
/// schedule is fixed by the seed, but what a connection carries is not quite: a reset in
/// the middle of an upload may land before or after the server stored it, and the two
/// copies of a duplicated upload race, so the answers (and the bytes after them) differ,
/// and two runs of one seed may count a few faults differently.
///
/// The proxy runs on a tokio runtime of its own, on a thread of its own, so it can be
/// used from synchronous tests and from tests with a runtime alike; dropping the
/// [`FaultProxy`] stops it and closes every connection it holds. An I/O error on a
/// connection ends that connection (and is counted), never the proxy, and never panics.
///
/// Not modelled: packet loss and reordering below TCP (the kernel hides them on
/// loopback), slow links (bandwidth), and faults in the middle of the TCP handshake.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    target: SocketAddr,
    counters: Arc<Counters>,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Listens on `127.0.0.1:0` and forwards connections to `target` with the faults
    /// `schedule` gives them.
    pub fn start(target: SocketAddr, schedule: FaultSchedule) -> Result<FaultProxy, FaultProxyError> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(FaultProxyError::Bind)?;
        let addr = listener.local_addr().map_err(FaultProxyError::Bind)?;
        listener.set_nonblocking(true).map_err(FaultProxyError::Bind)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(FaultProxyError::Runtime)?;
        let counters = Arc::new(Counters::default());
        let (shutdown, stop) = watch::channel(false);
        let task_counters = counters.clone();
        let thread = std::thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || runtime.block_on(accept_loop(listener, target, schedule, task_counters, stop)))
            .map_err(FaultProxyError::Runtime)?;
        Ok(FaultProxy { addr, target, counters, shutdown, thread: Some(thread) })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address connections are forwarded to.
    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// What the proxy did so far. A connection still open may yet change the counts:
    /// call [`FaultProxy::wait_idle`] first for final ones.
    pub fn counts(&self) -> FaultCounts {
        self.counters.snapshot()
    }

    /// Waits until no connection is open any more (the clients closed theirs, and the
    /// second copy of every duplicated request was answered), at most `timeout`; says
    /// whether it got there. A client that keeps an idle connection open (an HTTP
    /// client's pool) keeps the proxy busy: drop the client first.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut active = self.counters.active.lock().unwrap_or_else(PoisonError::into_inner);
        while *active > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            active = self.counters.idle.wait_timeout(active, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        true
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        // The accept loop ends when it sees the flag; the runtime it ran on is then
        // dropped with the thread, which cancels every connection task and closes its
        // sockets. A send error means the loop already ended.
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            // A panic in the proxy's thread would be a bug in this file; it must not
            // become a second panic in a test that is already unwinding.
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: std::net::TcpListener,
    target: SocketAddr,
    schedule: FaultSchedule,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(_) => {
            // Clients then see their connections refused, and the counters stay at zero.
            return;
        }
    };
    let mut next = 0u64;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else {
                    // A connection that died in the accept queue; the next one may be fine.
                    counters.io_errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let fault = schedule.fault_for(next);
                next += 1;
                counters.connections.fetch_add(1, Ordering::Relaxed);
                let active = Active::new(counters.clone());
                tokio::spawn(async move {
                    connection(client, target, fault, &active.0).await;
                    drop(active);
                });
            }
            _ = stop.changed() => return,
        }
    }
}

/// How a forwarding loop ended.
enum End {
    /// Both sides closed in order, or the fault had nothing left to do.
    Closed,
    /// The armed fault fired.
    Fired,
    /// An I/O error on either side.
    Error,
}

async fn connection(client: TcpStream, target: SocketAddr, fault: Fault, counters: &Counters) {
    let _ = client.set_nodelay(true);
    match fault {
        Fault::Refuse => {
            drop(client);
            counters.fire(FaultKind::Refuse);
            return;
        }
        Fault::Delay { delay } => {
            tokio::time::sleep(delay).await;
            counters.fire(FaultKind::Delay);
        }
        Fault::Pass => counters.fire(FaultKind::Pass),
        _ => {}
    }
    let Ok(upstream) = TcpStream::connect(target).await else {
        counters.target_unreachable.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let _ = upstream.set_nodelay(true);
    let duplicate = match fault {
        Fault::DuplicateRequest => TcpStream::connect(target).await.ok(),
        _ => None,
    };
    let armed = !matches!(fault, Fault::Pass | Fault::Delay { .. });
    let (end, duplicated, leftover) = forward(client, upstream, duplicate, fault).await;
    if matches!(end, End::Error) {
        counters.io_errors.fetch_add(1, Ordering::Relaxed);
    }
    if matches!(end, End::Fired) {
        counters.fire(fault.kind());
    } else if duplicated {
        counters.fire(FaultKind::DuplicateRequest);
    } else if armed {
        counters.not_fired.fetch_add(1, Ordering::Relaxed);
    }
    if let Some(mut second) = leftover {
        // Give the second copy time to be answered, as a retransmission would be: the
        // server must see and finish it; its answer is read and thrown away.
        let _ = second.shutdown().await;
        let mut sink = vec![0u8; BUFFER];
        let _ = tokio::time::timeout(DUPLICATE_GRACE, async {
            while matches!(second.read(&mut sink).await, Ok(n) if n > 0) {}
        })
        .await;
    }
}

/// Forwards both ways until both sides closed, an error, or the fault fired. Returns how
/// it ended, whether a duplicate connection carried client bytes, and that connection
/// if it is still open (so that its answer can be waited for).
async fn forward(
    mut client: TcpStream,
    mut upstream: TcpStream,
    mut duplicate: Option<TcpStream>,
    fault: Fault,
) -> (End, bool, Option<TcpStream>) {
    let (mut up_buf, mut down_buf, mut dup_buf) = (vec![0u8; BUFFER], vec![0u8; BUFFER], vec![0u8; BUFFER]);
    let (mut sent_up, mut sent_down) = (0u64, 0u64);
    let (mut client_open, mut upstream_open) = (true, true);
    let mut duplicate_used = false;
    let end = loop {
        if !client_open && !upstream_open {
            break End::Closed;
        }
        tokio::select! {
            read = client.read(&mut up_buf), if client_open => {
                let Ok(n) = read else { break End::Error };
                if n == 0 {
                    client_open = false;
                    let _ = upstream.shutdown().await;
                    continue;
                }
                let chunk = up_buf.get(..n).unwrap_or_default();
                let (pass, fire) = match fault {
                    Fault::ResetRequest { after } => cut(chunk, sent_up, after),
                    _ => (chunk, false),
                };
                sent_up += pass.len() as u64;
                if upstream.write_all(pass).await.is_err() {
                    break End::Error;
                }
                if let Some(second) = duplicate.as_mut() {
                    // A duplicate that cannot be written to is dropped: the client's
                    // connection goes on as a plain pass.
                    if second.write_all(pass).await.is_ok() {
                        duplicate_used = true;
                    } else {
                        duplicate = None;
                    }
                }
                if fire {
                    reset(&client);
                    reset(&upstream);
                    break End::Fired;
                }
            }
            read = upstream.read(&mut down_buf), if upstream_open => {
                let Ok(n) = read else { break End::Error };
                if n == 0 {
                    upstream_open = false;
                    let _ = client.shutdown().await;
                    continue;
                }
                let chunk = down_buf.get(..n).unwrap_or_default();
                let (pass, fire) = match fault {
                    Fault::ResetResponse { after } | Fault::TruncateResponse { after } => cut(chunk, sent_down, after),
                    _ => (chunk, false),
                };
                sent_down += pass.len() as u64;
                if client.write_all(pass).await.is_err() {
                    break End::Error;
                }
                if fire {
                    if matches!(fault, Fault::TruncateResponse { .. }) {
                        // An orderly end: FIN to the client, and the target's
                        // connection closed as well.
                        let _ = client.flush().await;
                        let _ = client.shutdown().await;
                    } else {
                        reset(&client);
                        reset(&upstream);
                    }
                    break End::Fired;
                }
            }
            read = read_some(duplicate.as_mut(), &mut dup_buf) => {
                // The second copy's answer is discarded; when its connection ends, the
                // copy is done with.
                if !matches!(read, Ok(n) if n > 0) {
                    duplicate = None;
                }
            }
        }
    };
    (end, duplicate_used, duplicate.filter(|_| duplicate_used))
}

/// Reads from `stream`, or waits for ever when there is none (a `select!` branch that
/// never completes).
async fn read_some(stream: Option<&mut TcpStream>, buf: &mut [u8]) -> io::Result<usize> {
    match stream {
        Some(stream) => stream.read(buf).await,
        None => std::future::pending().await,
    }
}

/// The part of `chunk` to forward when `sent` bytes went before and the fault fires at
/// byte `after`, and whether it fires with this chunk.
fn cut(chunk: &[u8], sent: u64, after: u64) -> (&[u8], bool) {
    let room = after.saturating_sub(sent);
    if (chunk.len() as u64) < room {
        return (chunk, false);
    }
    // `room` is at most `chunk.len()` here, so it fits a usize and the slice is in bounds.
    (chunk.get(..room as usize).unwrap_or(chunk), true)
}

/// Makes the socket's close a reset (RST) rather than an orderly FIN. A failure leaves
/// an orderly close, which the counters cannot tell apart; on Linux it does not fail.
fn reset(stream: &TcpStream) {
    let _ = stream.set_zero_linger();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_seed_gives_the_same_faults_and_every_kind_comes_up() {
        let schedule = FaultSchedule::seeded(42);
        let first: Vec<Fault> = (0..200).map(|i| schedule.fault_for(i)).collect();
        let again: Vec<Fault> = (0..200).map(|i| schedule.fault_for(i)).collect();
        assert_eq!(first, again);
        for kind in FaultKind::ALL {
            assert!(first.iter().any(|f| f.kind() == kind), "{kind:?} never drawn in 200 connections");
        }
        let other: Vec<Fault> = (0..200).map(|i| FaultSchedule::seeded(43).fault_for(i)).collect();
        assert_ne!(first, other, "another seed, another schedule");
        for fault in first {
            match fault {
                Fault::ResetRequest { after } | Fault::ResetResponse { after } | Fault::TruncateResponse { after } => {
                    assert!((1..=4096).contains(&after), "{fault:?}")
                }
                Fault::Delay { delay } => assert!((MIN_DELAY..=MAX_DELAY).contains(&delay), "{fault:?}"),
                _ => {}
            }
        }
        assert_eq!(FaultSchedule::Script(vec![]).fault_for(5), Fault::Pass);
        let script = FaultSchedule::Script(vec![Fault::Refuse, Fault::DuplicateRequest]);
        assert_eq!((script.fault_for(0), script.fault_for(3)), (Fault::Refuse, Fault::DuplicateRequest));
    }

    #[test]
    fn cut_splits_at_the_armed_byte() {
        assert_eq!(cut(b"abcdef", 0, 10), (&b"abcdef"[..], false));
        assert_eq!(cut(b"abcdef", 0, 6), (&b"abcdef"[..], true));
        assert_eq!(cut(b"abcdef", 4, 6), (&b"ab"[..], true));
        assert_eq!(cut(b"abcdef", 10, 6), (&b""[..], true));
    }

    /// An echo server that answers each read with the same bytes; when a connection
    /// ends, the bytes it received are sent on the channel.
    fn echo_server() -> (SocketAddr, std::sync::mpsc::Receiver<Vec<u8>>) {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let tx = tx.clone();
                std::thread::spawn(move || {
                    let (mut buf, mut received) = ([0u8; 1024], Vec::new());
                    while let Ok(n) = stream.read(&mut buf) {
                        received.extend_from_slice(&buf[..n]);
                        if n == 0 || stream.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = tx.send(received);
                });
            }
        });
        (addr, rx)
    }

    /// Sends `message`, half-closes, and reads the answer to its end: the bytes, or the
    /// error that ended it.
    fn round_trip(addr: SocketAddr, message: &[u8]) -> (Vec<u8>, Option<io::ErrorKind>) {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut answer = Vec::new();
        if let Err(e) = stream.write_all(message) {
            return (answer, Some(e.kind()));
        }
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut buf = [0u8; 256];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return (answer, None),
                Ok(n) => answer.extend_from_slice(&buf[..n]),
                Err(e) => return (answer, Some(e.kind())),
            }
        }
    }

    #[test]
    fn each_fault_does_what_it_says_and_is_counted() {
        let (echo, _) = echo_server();
        let script = FaultSchedule::Script(vec![
            Fault::Pass,
            Fault::Refuse,
            Fault::ResetRequest { after: 3 },
            Fault::ResetResponse { after: 4 },
            Fault::TruncateResponse { after: 5 },
            Fault::Delay { delay: Duration::from_millis(10) },
            Fault::DuplicateRequest,
            Fault::ResetRequest { after: 1000 },
        ]);
        let proxy = FaultProxy::start(echo, script).unwrap();
        let message = b"0123456789";
        assert_eq!(round_trip(proxy.addr(), message), (message.to_vec(), None), "pass");
        let (answer, _) = round_trip(proxy.addr(), message);
        assert!(answer.is_empty(), "refused: nothing comes back");
        let (answer, error) = round_trip(proxy.addr(), message);
        assert!(answer.len() <= 3, "reset after 3 request bytes: at most those echo back, got {answer:?}");
        assert_eq!(error, Some(io::ErrorKind::ConnectionReset), "a reset, not an orderly end");
        let (answer, error) = round_trip(proxy.addr(), message);
        assert_eq!((answer.as_slice(), error), (&b"0123"[..], Some(io::ErrorKind::ConnectionReset)));
        assert_eq!(round_trip(proxy.addr(), message), (b"01234".to_vec(), None), "truncated, orderly");
        assert_eq!(round_trip(proxy.addr(), message), (message.to_vec(), None), "delayed, whole");
        assert_eq!(round_trip(proxy.addr(), message), (message.to_vec(), None), "one answer of the duplicate");
        assert_eq!(round_trip(proxy.addr(), message), (message.to_vec(), None), "armed beyond the end");

        assert!(proxy.wait_idle(Duration::from_secs(10)), "every connection ended");
        let counts = proxy.counts();
        assert_eq!(counts.connections, 8, "{counts}");
        for kind in FaultKind::ALL {
            assert_eq!(counts.fired(kind), 1, "{kind:?}: {counts}");
        }
        assert_eq!(counts.not_fired, 1, "{counts}");
        assert_eq!(counts.target_unreachable, 0, "{counts}");
    }

    #[test]
    fn a_duplicated_request_reaches_the_target_twice() {
        let (echo, received) = echo_server();
        let proxy = FaultProxy::start(echo, FaultSchedule::Script(vec![Fault::DuplicateRequest])).unwrap();
        assert_eq!(round_trip(proxy.addr(), b"upload"), (b"upload".to_vec(), None), "one answer");
        for copy in 0..2 {
            let got = received.recv_timeout(Duration::from_secs(10)).unwrap();
            assert_eq!(got, b"upload", "copy {copy}");
        }
        assert!(proxy.wait_idle(Duration::from_secs(10)), "every connection ended");
        assert_eq!(proxy.counts().fired(FaultKind::DuplicateRequest), 1, "{}", proxy.counts());
    }

    #[test]
    fn an_unreachable_target_is_counted_not_fatal() {
        let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap();
        let proxy = FaultProxy::start(port, FaultSchedule::Script(vec![Fault::Pass])).unwrap();
        let (answer, _) = round_trip(proxy.addr(), b"hello");
        assert!(answer.is_empty());
        let (answer, _) = round_trip(proxy.addr(), b"again");
        assert!(answer.is_empty());
        assert!(proxy.wait_idle(Duration::from_secs(10)), "every connection ended");
        assert_eq!(proxy.counts().target_unreachable, 2, "{}", proxy.counts());
    }
}
