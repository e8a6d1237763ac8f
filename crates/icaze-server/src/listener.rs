//! The front door: accepts TCP connections and serves HTTP/1.1 on them,
//! with bounds a hostile client cannot stretch (`docs/security.md`, "The
//! service's front door").
//!
//! - At most [`Limits::max_connections`] connections are served at once; the
//!   next waits in the kernel's backlog until one ends, so the process never
//!   runs out of file descriptors for its databases.
//! - A request's headers must arrive within [`Limits::header_timeout`] of the
//!   connection's start (hyper's header-read timer), however slowly they
//!   dribble in.
//! - A connection on which nothing is read or written for
//!   [`Limits::idle_timeout`] is closed: an idle keep-alive connection, a
//!   body that stopped.
//! - A request must be answered within [`Limits::request_timeout`], reading
//!   its body included (`408` otherwise); a route that takes an upload longer
//!   than that (the population registry's `PUT`) says so through the
//!   request's [`Deadline`], and has [`Limits::upload_timeout`] instead. The
//!   idle timeout still closes an upload that stops sending.
//!
//! `axum::serve` had none of these: 120 half-sent requests under a low file
//! limit stopped `/healthz`.
//!
//! Every request carries its [`ClientAddr`]: the peer's address, or, when
//! the peer is one of the trusted proxies, the address its `X-Forwarded-For`
//! names (the throttles, the SMS gateway's allow list and the logs use it).
//! `X-Forwarded-For` from anyone else is ignored.
//!
//! With a [`Tls`] configuration (`icaze serve --tls-cert --tls-key`) every
//! connection is TLS (rustls): the handshake must end within the header
//! timeout, and the idle timeout counts the encrypted bytes.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;

/// The bounds of the front door.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Connections served at once.
    pub max_connections: usize,
    /// From a connection's start to its first request's last header line.
    pub header_timeout: Duration,
    /// Nothing read or written for this long closes a connection.
    pub idle_timeout: Duration,
    /// From a request's headers to its answer, the body's reading included.
    pub request_timeout: Duration,
    /// The same for a route that takes an upload ([`Deadline::upload`]).
    pub upload_timeout: Duration,
}

impl Default for Limits {
    /// 10 s for headers, 60 s idle, 120 s a request (a 16 MiB import at
    /// 140 kB/s), 2 hours an upload (a 10-million-person registry, 250 MB,
    /// at 35 kB/s), and [`default_max_connections`].
    fn default() -> Self {
        Self {
            max_connections: default_max_connections(),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(120),
            upload_timeout: Duration::from_secs(2 * 3600),
        }
    }
}

/// A request's time to be answered, in its extensions: a handler that takes
/// an upload calls [`Deadline::upload`] before it reads the body. Absent
/// when a router is served without the listener (tests calling it directly).
#[derive(Clone, Debug)]
pub struct Deadline {
    upload: Arc<std::sync::atomic::AtomicBool>,
}

impl Deadline {
    /// This request is an upload: it has [`Limits::upload_timeout`] from its
    /// start rather than [`Limits::request_timeout`].
    pub fn upload(&self) {
        self.upload.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    fn is_upload(&self) -> bool {
        self.upload.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The address a request came from, for throttles, allow lists and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr {
    /// The client's address: the peer's, or the one a trusted proxy forwarded.
    pub ip: IpAddr,
    /// Whether the request came through a trusted proxy. A proxied request
    /// is never "from loopback", whatever the proxy wrote.
    pub proxied: bool,
}

impl ClientAddr {
    /// The client of a request from `peer` with `headers`: `peer` itself,
    /// unless `peer` is in `trusted`; then the right-most address of
    /// `X-Forwarded-For` that is not a trusted proxy (each proxy appends the
    /// address it saw, so what is left of that is the client's word only).
    /// A proxied request without a readable address is the proxy's.
    pub fn of(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> Self {
        let peer = peer.to_canonical();
        if !trusted.contains(&peer) {
            return Self { ip: peer, proxied: false };
        }
        let mut forwarded = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            let Ok(text) = value.to_str() else { break };
            forwarded.extend(text.split(',').map(str::trim));
        }
        let mut ip = peer;
        for hop in forwarded.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(hop) if trusted.contains(&hop.to_canonical()) => ip = hop.to_canonical(),
                Ok(hop) => {
                    ip = hop.to_canonical();
                    break;
                }
                // Garbage where an address should be: the hop before it is
                // the last one a trusted proxy vouched for.
                Err(_) => break,
            }
        }
        Self { ip, proxied: true }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, StatusCode> {
        if let Some(client) = parts.extensions.get::<ClientAddr>() {
            return Ok(*client);
        }
        // A router served some other way (a test's `oneshot`): the peer alone.
        match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => Ok(Self { ip: peer.ip().to_canonical(), proxied: false }),
            None => Err(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

/// The server's certificate chain and key, ready for handshakes.
pub type Tls = Arc<tokio_rustls::rustls::ServerConfig>;

/// Reads `cert` (PEM: the server's certificate, then its chain) and `key`
/// (PEM: PKCS#8, PKCS#1 or SEC1) into a TLS configuration (TLS 1.2 and 1.3,
/// HTTP/1.1). The error says which file is wrong and why.
pub fn load_tls(cert: &Path, key: &Path) -> Result<Tls, String> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| format!("the TLS certificate {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("the TLS certificate {}: no CERTIFICATE in it", cert.display()));
    }
    let secret = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("the TLS key {}: {e}", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, secret)
        .map_err(|e| {
            format!("the TLS certificate {} and key {} do not go together: {e}", cert.display(), key.display())
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// File descriptors kept for the databases, logs and outgoing requests.
const RESERVED_FILES: usize = 128;

/// 4,096 connections, or fewer if the process's file limit (its soft
/// `RLIMIT_NOFILE`, read from `/proc/self/limits`) leaves less beside
/// [`RESERVED_FILES`]; at least 16.
pub fn default_max_connections() -> usize {
    let limit = std::fs::read_to_string("/proc/self/limits").ok().and_then(|text| open_files_limit(&text));
    match limit {
        Some(limit) => limit.saturating_sub(RESERVED_FILES).clamp(16, 4096),
        None => 4096,
    }
}

/// The soft limit of the "Max open files" line of `/proc/self/limits`.
fn open_files_limit(text: &str) -> Option<usize> {
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

/// Serves `app` on `listener` within `limits` until `stop` turns true, then
/// lets the requests under way finish. `X-Forwarded-For` is read from the
/// `trusted_proxies` only.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    trusted_proxies: Vec<IpAddr>,
    tls: Option<Tls>,
    mut stop: watch::Receiver<bool>,
) {
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
    let trusted: Arc<[IpAddr]> = trusted_proxies.into_iter().map(|ip| ip.to_canonical()).collect();
    let app =
        app.layer(axum::middleware::from_fn(move |request: Request, next: Next| answer_within(limits, request, next)));
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = stopped(&mut stop) => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stopped(&mut stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was
                // accepted: wait a little rather than spin.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let trusted = trusted.clone();
        let service = app.clone().map_request(move |mut request: Request<hyper::body::Incoming>| {
            let client = ClientAddr::of(peer.ip(), request.headers(), &trusted);
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(client);
            request
        });
        let stream = Idle::new(stream, limits.idle_timeout);
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
        let service = hyper_util::service::TowerToHyperService::new(service);
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let ended = match tls {
                None => watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await,
                Some(acceptor) => match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await,
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, %peer, "a TLS handshake failed");
                        Ok(())
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "a TLS handshake did not end in time");
                        Ok(())
                    }
                },
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, %peer, "a connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Returns once `stop` turns true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// The request timeout: `408` when `next` takes longer than the request
/// timeout, or the upload timeout once the handler said it takes an upload.
async fn answer_within(limits: Limits, mut request: Request, next: Next) -> Response {
    let deadline = Deadline { upload: Arc::default() };
    request.extensions_mut().insert(deadline.clone());
    let start = Instant::now();
    let answer = next.run(request);
    tokio::pin!(answer);
    let mut timeout = limits.request_timeout;
    loop {
        tokio::select! {
            response = &mut answer => return response,
            () = tokio::time::sleep_until(start + timeout) => {
                if deadline.is_upload() && timeout < limits.upload_timeout {
                    timeout = limits.upload_timeout;
                    continue;
                }
                return (
                    StatusCode::REQUEST_TIMEOUT,
                    [(axum::http::header::CONNECTION, "close")],
                    axum::Json(serde_json::json!({
                        "code": "request_timeout",
                        "message": format!("the request was not complete within {} s", timeout.as_secs()),
                    })),
                )
                    .into_response();
            }
        }
    }
}

/// A stream that fails its reads and writes once nothing was read or
/// written for `idle`.
struct Idle<T> {
    inner: T,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<T> Idle<T> {
    fn new(inner: T, idle: Duration) -> Self {
        Self { inner, idle, deadline: Box::pin(tokio::time::sleep(idle)) }
    }

    fn progressed(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.idle);
    }

    /// `Pending` stays pending until the deadline; then a timeout error.
    fn expired<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the connection was idle"))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Idle<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.expired(cx),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Idle<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, data) {
            Poll::Ready(result) => {
                if matches!(result, Ok(n) if n > 0) {
                    this.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.expired(cx),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(result) => {
                if matches!(result, Ok(n) if n > 0) {
                    this.progressed();
                }
                Poll::Ready(result)
            }
            Poll::Pending => this.expired(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use std::net::SocketAddr;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpStream;

    /// Longer than any bound here takes on a loaded machine: a test that waits
    /// this long has found a connection the server never closes.
    const NEVER: Duration = Duration::from_secs(60);

    async fn start(limits: Limits) -> (SocketAddr, watch::Sender<bool>) {
        let app = Router::new()
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/echo", post(|body: axum::body::Bytes| async move { body }))
            .route(
                "/upload",
                post(|request: Request| async move {
                    request.extensions().get::<Deadline>().expect("served by the listener").upload();
                    match axum::body::to_bytes(request.into_body(), 1 << 20).await {
                        Ok(body) => (StatusCode::OK, body),
                        Err(_) => (StatusCode::BAD_REQUEST, axum::body::Bytes::from_static(b"broken")),
                    }
                }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(serve(listener, app, limits, Vec::new(), None, stopped));
        (addr, stop)
    }

    fn tight() -> Limits {
        Limits {
            max_connections: 8,
            header_timeout: Duration::from_millis(500),
            idle_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(1),
            upload_timeout: NEVER,
        }
    }

    /// Everything the server sends until it closes the connection.
    async fn until_closed(stream: &mut TcpStream) -> String {
        let mut got = Vec::new();
        let read = tokio::time::timeout(NEVER, async {
            let mut buf = [0u8; 4096];
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
        });
        read.await.expect("the server closes the connection");
        String::from_utf8_lossy(&got).into_owned()
    }

    async fn healthz(addr: SocketAddr) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        until_closed(&mut stream).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn half_sent_requests_are_closed_and_healthz_still_answers() {
        let (addr, _stop) = start(tight()).await;
        // Slowloris: more half-sent requests than there are connections to serve.
        let mut slow = Vec::new();
        for _ in 0..40 {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
            slow.push(stream);
        }
        // Each is closed by the server (its headers never end), and /healthz answers.
        assert!(healthz(addr).await.starts_with("HTTP/1.1 200"), "healthz answers behind the slow ones");
        for stream in &mut slow {
            assert!(!until_closed(stream).await.contains("200 OK"), "a half-sent request is never answered");
        }
        // A connection that sends nothing at all is closed too.
        let mut silent = TcpStream::connect(addr).await.unwrap();
        until_closed(&mut silent).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_that_stops_is_cut_and_an_idle_connection_is_closed() {
        let (addr, _stop) = start(tight()).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nten bytes.").await.unwrap();
        let answer = until_closed(&mut stream).await;
        assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");

        // A whole request is answered; the connection kept alive after it is closed when idle.
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello").await.unwrap();
        let answer = until_closed(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("hello"), "{answer}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_upload_outlives_the_request_timeout_until_it_stops_sending() {
        let (addr, _stop) = start(Limits { idle_timeout: NEVER, ..tight() }).await;
        let mut upload = TcpStream::connect(addr).await.unwrap();
        let head = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\nhalf.";
        upload.write_all(head).await.unwrap();
        // Another route's request begun after it is cut by the request timeout…
        let mut other = TcpStream::connect(addr).await.unwrap();
        other.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf.").await.unwrap();
        let cut = until_closed(&mut other).await;
        assert!(cut.starts_with("HTTP/1.1 408"), "{cut}");
        // …and the upload, older than that, is still read to its end.
        upload.write_all(b"done!").await.unwrap();
        let answer = until_closed(&mut upload).await;
        assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("half.done!"), "{answer}");

        // The idle timeout still closes an upload that stopped sending.
        let (addr, _stop) = start(tight()).await;
        let mut stalled = TcpStream::connect(addr).await.unwrap();
        stalled.write_all(b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf.").await.unwrap();
        let answer = until_closed(&mut stalled).await;
        assert!(!answer.contains("200 OK"), "{answer}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_house_frees_its_places_as_connections_end() {
        let (addr, _stop) = start(Limits { max_connections: 2, idle_timeout: NEVER * 2, ..tight() }).await;
        // Two connections that have sent nothing hold both places until their header timeout.
        let mut held = Vec::new();
        for _ in 0..2 {
            held.push(TcpStream::connect(addr).await.unwrap());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // The third is accepted by the kernel and served once a place is free.
        assert!(healthz(addr).await.starts_with("HTTP/1.1 200"));
        for stream in &mut held {
            until_closed(stream).await;
        }
    }

    #[test]
    fn x_forwarded_for_counts_from_trusted_proxies_only() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let headers = |values: &[&str]| {
            let mut map = HeaderMap::new();
            for v in values {
                map.append("x-forwarded-for", v.parse().unwrap());
            }
            map
        };
        let proxy = [ip("127.0.0.1"), ip("10.0.0.2")];
        let of = |peer: &str, values: &[&str]| ClientAddr::of(ip(peer), &headers(values), &proxy);
        let client = |s: &str, proxied| ClientAddr { ip: ip(s), proxied };
        // Not from a trusted proxy: the header is the caller's word, ignored.
        assert_eq!(of("203.0.113.9", &["198.51.100.1"]), client("203.0.113.9", false));
        // From the proxy: the address it appended, not what the client put before it.
        assert_eq!(of("127.0.0.1", &["198.51.100.1"]), client("198.51.100.1", true));
        assert_eq!(of("127.0.0.1", &["127.0.0.1, 198.51.100.1"]), client("198.51.100.1", true));
        assert_eq!(of("127.0.0.1", &["6.6.6.6", "198.51.100.1, 10.0.0.2"]), client("198.51.100.1", true));
        // A chain of trusted proxies only, or nothing readable: the nearest vouched-for hop.
        assert_eq!(of("127.0.0.1", &["10.0.0.2"]), client("10.0.0.2", true));
        assert_eq!(of("127.0.0.1", &[]), client("127.0.0.1", true));
        assert_eq!(of("127.0.0.1", &["unknown, 10.0.0.2"]), client("10.0.0.2", true));
        assert_eq!(of("::ffff:127.0.0.1", &["::ffff:198.51.100.1"]), client("198.51.100.1", true));
        assert_eq!(of("::1", &["198.51.100.1"]), client("::1", false));
    }

    #[test]
    fn the_file_limit_is_read_from_proc() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max cpu time              unlimited            unlimited            seconds   \n\
                    Max open files            1024                 524288               files     \n";
        assert_eq!(open_files_limit(text), Some(1024));
        assert_eq!(open_files_limit("Max open files            unlimited   unlimited   files\n"), None);
        assert_eq!(open_files_limit(""), None);
        assert!((16..=4096).contains(&default_max_connections()));
    }
}
