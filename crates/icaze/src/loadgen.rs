//! `icaze loadgen`: a load generator for the 8103 SMS endpoint (issue 3 §6).
//!
//! It plays the operator's SMS gateway: many keep-alive HTTP/1.1 connections,
//! each sending `GET /sms/8103?from=..&text=2 AZE........` one request at a
//! time, every request for a distinct document of the demo registry
//! (`icaze registry demo`) from its own phone. It counts the replies that carry
//! a permit token and those that do not, and prints permits/s overall and per
//! interval with latency percentiles, beside the raw Ed25519 signing rate of
//! this machine measured in the same run. Benchmarks, not tests: see
//! `docs/benchmarks.md`.
//!
//! The client is a minimal HTTP/1.1 client of its own over a tokio TCP
//! stream: one request written with one `write`, the reply read into a
//! buffer kept for the connection, its status line and `Content-Length`
//! parsed and nothing else. On a 2-core machine shared with the server, every
//! microsecond the load generator spends is taken from the server: hyper's
//! client (request and header maps, body futures, a task per connection) cost
//! about 29 µs a request. Not handled, because the service does not send
//! them: chunked replies, `1xx` replies, replies without `Content-Length`
//! (each is counted as a transport error and the connection is reopened).

use std::net::{SocketAddr, ToSocketAddrs as _};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use std::io::Write as _;
use tokio::net::TcpStream;

#[derive(clap::Args)]
pub(crate) struct LoadgenArgs {
    /// The service's address, e.g. http://127.0.0.1:8103 (plain HTTP).
    #[arg(long, alias = "url")]
    server: String,
    /// Requests to send, each for a distinct document.
    #[arg(long, default_value_t = 100_000)]
    count: u64,
    /// Concurrent keep-alive connections, each with one request in flight.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// The first document number: documents are AZE{first + i:08} as made by `icaze registry demo`.
    #[arg(long, default_value_t = 50_000_000)]
    first_document: u64,
    /// Distinct sender phones (default: one per request). With fewer, requests are
    /// spread evenly; keep at least COUNT / 10 so the service's per-phone limits
    /// (10 permits a day, a burst of 10) never refuse.
    #[arg(long)]
    phones: Option<u64>,
    /// The SMS code to ask for.
    #[arg(long, default_value_t = 2)]
    code: u8,
    /// The order documents are asked in: `scattered` (a fixed permutation, like
    /// citizens texting in no particular order) or `sequential`.
    #[arg(long, value_enum, default_value_t = Order::Scattered)]
    order: Order,
    /// Seconds per reporting interval.
    #[arg(long, default_value_t = 10)]
    interval: u64,
    /// Worker threads of the load generator's own runtime.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Seconds spent measuring the raw signing rate, before and after the load.
    #[arg(long, default_value_t = 2.0)]
    sign_seconds: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Order {
    Scattered,
    Sequential,
}

/// A bijection of `0..n`: request `j` asks for document `permute(j)`.
struct Permutation {
    n: u64,
    step: u64,
}

impl Permutation {
    fn new(n: u64, order: Order) -> Self {
        if order == Order::Sequential || n < 3 {
            return Self { n, step: 1 };
        }
        // A step near n/φ that is coprime with n visits every index once, far apart.
        let mut step = ((n as f64) * 0.618_033_988_75) as u64 | 1;
        while gcd(step, n) != 1 {
            step += 2;
        }
        Self { n, step }
    }

    fn get(&self, j: u64) -> u64 {
        ((u128::from(j) * u128::from(self.step)) % u128::from(self.n)) as u64
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A log-bucketed latency histogram in microseconds (HdrHistogram's layout
/// with 64 sub-buckets per power of two: under 1.6 % error), recorded with
/// one atomic add so every connection can share it.
struct Histogram {
    buckets: Vec<AtomicU64>,
    max: AtomicU64,
}

const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
const BUCKETS: usize = 2048;

impl Histogram {
    fn new() -> Self {
        Self { buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(), max: AtomicU64::new(0) }
    }

    fn index(micros: u64) -> usize {
        if micros < 2 * SUB {
            return micros as usize;
        }
        let shift = 63 - micros.leading_zeros() - SUB_BITS;
        ((u64::from(shift) * SUB + (micros >> shift)) as usize).min(BUCKETS - 1)
    }

    /// The highest value that falls in bucket `index`.
    fn upper(index: usize) -> u64 {
        let index = index as u64;
        if index < 2 * SUB {
            return index;
        }
        let shift = index / SUB - 1;
        ((index % SUB + SUB + 1) << shift) - 1
    }

    fn record(&self, elapsed: Duration) {
        let micros = elapsed.as_micros().min(u128::from(u64::MAX)) as u64;
        self.buckets[Self::index(micros)].fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(micros, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Vec<u64> {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect()
    }
}

/// Percentiles of a snapshot (or of the difference of two).
struct Percentiles {
    count: u64,
    p50: u64,
    p90: u64,
    p99: u64,
    max: u64,
}

fn percentiles(counts: &[u64]) -> Percentiles {
    let count: u64 = counts.iter().sum();
    let at = |q: f64| {
        let target = ((q * count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in counts.iter().enumerate() {
            seen += n;
            if seen >= target {
                return Histogram::upper(i);
            }
        }
        0
    };
    let max = counts.iter().rposition(|&n| n > 0).map(Histogram::upper).unwrap_or(0);
    Percentiles { count, p50: at(0.50), p90: at(0.90), p99: at(0.99), max }
}

fn ms(micros: u64) -> String {
    format!("{:.2} ms", micros as f64 / 1000.0)
}

/// What every connection shares.
struct Shared {
    next: AtomicU64,
    permits: AtomicU64,
    refusals: AtomicU64,
    errors: AtomicU64,
    latency: Histogram,
    examples: Mutex<Vec<String>>,
}

/// Raw Ed25519 signatures per second over 81-byte messages, on this thread.
fn sign_rate(seconds: f64) -> f64 {
    let key = icaze_core::SecretKey::from_seed(&[7; 32]);
    let mut message = [0u8; 81];
    let started = Instant::now();
    let mut signed = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        for _ in 0..256 {
            message[0] = message[0].wrapping_add(1);
            std::hint::black_box(key.sign_raw(std::hint::black_box(&message)));
        }
        signed += 256;
    }
    signed as f64 / started.elapsed().as_secs_f64()
}

/// `http://host:port[/...]` to the address to connect to and the Host header.
fn target(url: &str) -> anyhow::Result<(SocketAddr, String)> {
    let Some(rest) = url.strip_prefix("http://") else {
        bail!("--server must start with http:// (the load generator speaks plain HTTP), not {url:?}");
    };
    let authority = rest.split('/').next().unwrap_or_default().to_owned();
    let addr = authority
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {authority:?} (give host:port)"))?
        .next()
        .with_context(|| format!("{authority:?} resolves to no address"))?;
    Ok((addr, authority))
}

pub(crate) fn run(args: LoadgenArgs) -> anyhow::Result<ExitCode> {
    if args.count == 0 || args.connections == 0 || args.interval == 0 {
        bail!("--count, --connections and --interval must be positive");
    }
    let phones = args.phones.unwrap_or(args.count).max(1);
    if phones > 1_000_000_000 {
        bail!("--phones must be at most 1000000000 (nine digits after 994)");
    }
    let (addr, host) = target(&args.server)?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let sign_before = sign_rate(args.sign_seconds);
    println!("machine: {cores} cores; raw Ed25519 sign (81 bytes, 1 thread): {sign_before:.0}/s before the load");
    println!(
        "load: {} requests, code {}, {:?} documents AZE{:08}.., {} phones, {} connections, {} client threads -> {}",
        args.count, args.code, args.order, args.first_document, phones, args.connections, args.threads, args.server
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let shared = Arc::new(Shared {
        next: AtomicU64::new(0),
        permits: AtomicU64::new(0),
        refusals: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        latency: Histogram::new(),
        examples: Mutex::new(Vec::new()),
    });
    let order = Arc::new(Permutation::new(args.count, args.order));
    let plan = Arc::new(Plan {
        addr,
        host,
        count: args.count,
        first_document: args.first_document,
        phones,
        code: args.code,
        order,
    });
    let started = Instant::now();
    let intervals = runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..args.connections {
            tasks.push(tokio::spawn(connection(plan.clone(), shared.clone())));
        }
        let all = futures_join(tasks);
        tokio::pin!(all);
        let mut ticker = tokio::time::interval(Duration::from_secs(args.interval));
        ticker.tick().await;
        let mut intervals = Vec::new();
        let (mut last_permits, mut last_hist, mut last_at) = (0u64, shared.latency.snapshot(), Instant::now());
        println!(
            "{:>7} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "t (s)", "permits", "permits/s", "p50", "p90", "p99", "max"
        );
        loop {
            let finished = tokio::select! {
                _ = &mut all => true,
                _ = ticker.tick() => false,
            };
            let now = Instant::now();
            let permits = shared.permits.load(Ordering::Relaxed);
            let hist = shared.latency.snapshot();
            let diff: Vec<u64> = hist.iter().zip(&last_hist).map(|(a, b)| a - b).collect();
            let p = percentiles(&diff);
            let seconds = now.duration_since(last_at).as_secs_f64();
            let rate = (permits - last_permits) as f64 / seconds;
            println!(
                "{:>7.0} {:>10} {:>10.0} {:>10} {:>10} {:>10} {:>10}{}",
                now.duration_since(started).as_secs_f64(),
                permits - last_permits,
                rate,
                ms(p.p50),
                ms(p.p90),
                ms(p.p99),
                ms(p.max),
                if finished { "  (last, partial)" } else { "" }
            );
            if !finished {
                intervals.push(rate);
            }
            (last_permits, last_hist, last_at) = (permits, hist, now);
            if finished {
                break;
            }
        }
        intervals
    });
    let elapsed = started.elapsed().as_secs_f64();
    let sign_after = sign_rate(args.sign_seconds);
    let permits = shared.permits.load(Ordering::Relaxed);
    let refusals = shared.refusals.load(Ordering::Relaxed);
    let errors = shared.errors.load(Ordering::Relaxed);
    let p = percentiles(&shared.latency.snapshot());
    let max = shared.latency.max.load(Ordering::Relaxed);
    println!("--- summary ---");
    println!("requests answered: {} ({permits} permits, {refusals} refusals), {errors} transport errors", p.count);
    println!("elapsed: {elapsed:.1} s; permits/s overall: {:.0}", permits as f64 / elapsed);
    if !intervals.is_empty() {
        let mut sorted = intervals.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "permits/s per {} s interval ({} full intervals): min {:.0}, median {:.0}, max {:.0}",
            args.interval,
            sorted.len(),
            sorted[0],
            sorted[sorted.len() / 2],
            sorted[sorted.len() - 1]
        );
    }
    println!("latency (all requests): p50 {}, p90 {}, p99 {}, max {}", ms(p.p50), ms(p.p90), ms(p.p99), ms(max));
    println!(
        "raw Ed25519 sign (81 bytes, 1 thread, {cores} cores): {sign_before:.0}/s before, {sign_after:.0}/s after the load"
    );
    if let Ok(examples) = shared.examples.lock() {
        for example in examples.iter() {
            println!("example of a reply without a permit: {example}");
        }
    }
    Ok(if refusals == 0 && errors == 0 && permits == args.count { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// What to send.
struct Plan {
    addr: SocketAddr,
    host: String,
    count: u64,
    first_document: u64,
    phones: u64,
    code: u8,
    order: Arc<Permutation>,
}

/// Waits for every task.
async fn futures_join(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for task in tasks {
        let _ = task.await;
    }
}

/// The largest reply head and body the load generator reads (the service's
/// replies are a few hundred bytes).
const MAX_REPLY: usize = 64 * 1024;

/// One keep-alive connection with its buffers, kept across requests.
struct Conn {
    stream: TcpStream,
    request: Vec<u8>,
    reply: Vec<u8>,
}

async fn connect(plan: &Plan) -> anyhow::Result<Conn> {
    let stream = TcpStream::connect(plan.addr).await.with_context(|| format!("connecting to {}", plan.addr))?;
    stream.set_nodelay(true)?;
    Ok(Conn { stream, request: Vec::with_capacity(256), reply: Vec::with_capacity(4096) })
}

/// Where a reply's head ends and how long its body is, once the head is complete.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    head_len: usize,
    body_len: usize,
}

/// Reads a reply head from `buf`: `Ok(None)` while it is incomplete.
fn parse_head(buf: &[u8]) -> anyhow::Result<Option<Head>> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        if buf.len() > MAX_REPLY {
            bail!("a reply head longer than {MAX_REPLY} bytes");
        }
        return Ok(None);
    };
    let head = std::str::from_utf8(buf.get(..end).unwrap_or_default()).context("a reply head that is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse::<u16>().ok())
        .with_context(|| format!("a reply status line that does not read: {status_line:?}"))?;
    let mut body_len = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        if name.eq_ignore_ascii_case("content-length") {
            body_len = Some(value.trim().parse::<usize>().context("a Content-Length that is not a number")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("a reply with Transfer-Encoding (the load generator reads Content-Length replies only)");
        }
    }
    let body_len = body_len.context("a reply without Content-Length")?;
    if body_len > MAX_REPLY {
        bail!("a reply body of {body_len} bytes, more than {MAX_REPLY}");
    }
    Ok(Some(Head { status, head_len: end + 4, body_len }))
}

/// Writes all of `bytes` (readiness and `try_write`: no I/O extension traits needed).
async fn write_all(stream: &TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Appends what the stream has to `buf`: the number of bytes, 0 at its end.
async fn read_some(stream: &TcpStream, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut chunk = [0u8; 4096];
    loop {
        stream.readable().await?;
        match stream.try_read(&mut chunk) {
            Ok(n) => {
                buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                return Ok(n);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

impl Conn {
    /// Sends `GET target` and reads the whole reply: its status and body.
    /// `target` writes the request target into the connection's buffer.
    async fn get(
        &mut self,
        host: &str,
        target: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
    ) -> anyhow::Result<(u16, &[u8])> {
        self.request.clear();
        self.request.extend_from_slice(b"GET ");
        target(&mut self.request)?;
        write!(self.request, " HTTP/1.1\r\nHost: {host}\r\n\r\n")?;
        write_all(&self.stream, &self.request).await?;
        self.reply.clear();
        let head = loop {
            if let Some(head) = parse_head(&self.reply)? {
                break head;
            }
            if read_some(&self.stream, &mut self.reply).await? == 0 {
                bail!("the service closed the connection");
            }
        };
        let end = head.head_len + head.body_len;
        while self.reply.len() < end {
            if read_some(&self.stream, &mut self.reply).await? == 0 {
                bail!("the service closed the connection in a reply");
            }
        }
        if self.reply.len() > end {
            bail!("bytes after the reply, which was not asked for");
        }
        Ok((head.status, self.reply.get(head.head_len..end).unwrap_or_default()))
    }
}

/// One gateway connection: takes the next request number until all are sent.
async fn connection(plan: Arc<Plan>, shared: Arc<Shared>) {
    let mut conn: Option<Conn> = None;
    let mut failures = 0;
    loop {
        let j = shared.next.fetch_add(1, Ordering::Relaxed);
        if j >= plan.count {
            return;
        }
        let i = plan.order.get(j);
        let document = plan.first_document + i;
        // The document's owner texts from their own phone (or one of `phones`).
        let phone = 500_000_000 + i % plan.phones;
        let outcome = async {
            let c = match &mut conn {
                Some(c) => c,
                None => conn.insert(connect(&plan).await?),
            };
            let started = Instant::now();
            let code = plan.code;
            let target = |buf: &mut Vec<u8>| write!(buf, "/sms/8103?from=994{phone:09}&text={code}%20AZE{document:08}");
            let (status, body) = c.get(&plan.host, target).await?;
            shared.latency.record(started.elapsed());
            // A permit reply carries a token, which starts with IZ and its format's digit.
            let permit = status == 200 && body.windows(3).any(|w| w.starts_with(b"IZ") && w[2].is_ascii_digit());
            let example = (!permit).then(|| format!("{status} {}", String::from_utf8_lossy(body).trim()));
            anyhow::Ok(example)
        }
        .await;
        match outcome {
            Ok(None) => {
                failures = 0;
                shared.permits.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Some(example)) => {
                failures = 0;
                shared.refusals.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut examples) = shared.examples.lock() {
                    if examples.len() < 3 {
                        examples.push(example);
                    }
                }
            }
            Err(e) => {
                shared.errors.fetch_add(1, Ordering::Relaxed);
                conn = None;
                failures += 1;
                if failures == 1 || failures % 100 == 0 {
                    eprintln!("loadgen: request for AZE{document:08} failed: {e:#}");
                }
                if failures >= 1000 {
                    eprintln!("loadgen: a connection gives up after {failures} failures in a row");
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scattered_order_visits_every_document_once() {
        for n in [1u64, 2, 3, 10, 64, 1000, 4096, 99_991] {
            let p = Permutation::new(n, Order::Scattered);
            let mut seen = vec![false; n as usize];
            for j in 0..n {
                let i = p.get(j) as usize;
                assert!(!seen[i], "n={n}: {i} twice");
                seen[i] = true;
            }
        }
    }

    #[test]
    fn histogram_buckets_are_contiguous_and_tight() {
        let mut last = 0;
        for v in 0..1_000_000u64 {
            let i = Histogram::index(v);
            assert!(i == last || i == last + 1, "{v}");
            assert!(Histogram::upper(i) >= v, "{v}");
            assert!(Histogram::upper(i) as f64 <= v as f64 * 1.016 + 1.0, "{v}");
            last = i;
        }
    }

    #[test]
    fn reply_heads() {
        let reply = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nIZ1ab";
        let head = parse_head(reply).unwrap().unwrap();
        assert_eq!(head, Head { status: 200, head_len: reply.len() - 5, body_len: 5 });
        assert_eq!(parse_head(&reply[..20]).unwrap(), None);
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 2\r\ncontent-length: 0\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: 99999999\r\n\r\n").is_err());
    }

    #[tokio::test]
    async fn a_connection_reads_replies_one_after_the_other() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let heads = |seen: &[u8]| seen.windows(4).filter(|w| w == b"\r\n\r\n").count();
            let mut answered = 0;
            while answered < 2 {
                assert!(read_some(&socket, &mut seen).await.unwrap() > 0);
                if heads(&seen) >= 1 && answered == 0 {
                    // A reply written in pieces, to exercise the reassembly.
                    write_all(&socket, b"HTTP/1.1 200 OK\r\nContent-Len").await.unwrap();
                    write_all(&socket, b"gth: 6\r\n\r\nIZ1xyz").await.unwrap();
                    answered = 1;
                }
                if heads(&seen) == 2 {
                    write_all(&socket, b"HTTP/1.1 429 Too Many\r\ncontent-length: 2\r\n\r\nno").await.unwrap();
                    answered = 2;
                }
            }
            String::from_utf8(seen).unwrap()
        });
        let plan = Plan {
            addr,
            host: "h".into(),
            count: 1,
            first_document: 0,
            phones: 1,
            code: 2,
            order: Arc::new(Permutation::new(1, Order::Sequential)),
        };
        let mut conn = connect(&plan).await.unwrap();
        let (status, body) = conn.get("h", |b| b.write_all(b"/a")).await.unwrap();
        assert_eq!((status, body), (200, &b"IZ1xyz"[..]));
        let (status, body) = conn.get("h", |b| b.write_all(b"/b")).await.unwrap();
        assert_eq!((status, body), (429, &b"no"[..]));
        let seen = server.await.unwrap();
        assert_eq!(seen, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    }

    #[test]
    fn percentiles_of_known_values() {
        let h = Histogram::new();
        for micros in 1..=1000 {
            h.record(Duration::from_micros(micros));
        }
        let p = percentiles(&h.snapshot());
        assert_eq!(p.count, 1000);
        assert!((495..=510).contains(&p.p50), "{}", p.p50);
        assert!((985..=1000).contains(&p.p99), "{}", p.p99);
        assert!((1000..=1016).contains(&p.max), "{}", p.max);
    }
}
