//! The sync client: one call, [`SyncClient::sync`], does what a device does in
//! the minute it is online (`docs/sync-api.md`):
//!
//! 1. a status request (an empty signed batch) tells the device whether it is
//!    approved, for which badge and precinct, and how far the server already
//!    holds its log, with the hash of the record there (records imported from
//!    an export file leave the outbox without being sent again; a copy of the
//!    phone, whose records differ from what the server holds, keeps them and
//!    sends them);
//! 2. the outbox goes up in signed batches of [`SyncConfig::batch_records`],
//!    each acknowledged only as far as the server's `acknowledged_seq`, until
//!    the outbox is empty;
//! 3. the bundle comes down (`GET /v1/bundle?since=V`) into a partial file in
//!    the device directory, resumed with `Range` and `If-Range` when a
//!    download broke, and is applied with [`Device::apply_bundle`], which
//!    verifies it against the pinned root and refuses rollbacks.
//!
//! Transient failures (no connection, a timeout, a 5xx answer, a body cut
//! short) are retried with exponential backoff; permanent ones (a 4xx answer,
//! a refused bundle) end the sync with a typed [`SyncError`]. Nothing is lost
//! either way: a record leaves the outbox only once the server acknowledged it.
//!
//! Not checked here: that the server is the right one (the bundle is verified
//! against the pinned root, but an upload goes to whatever address is given,
//! and its answer's acknowledgement is believed); TLS is checked against the
//! web PKI roots when the address is `https`.

mod answers;
mod download;
mod upload;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use icaze_core::UtcMinute;
use reqwest::StatusCode;

use icaze_client::transport::{
    base_url, http_client, pinned_certificates, refused_certificate, Answer, ApiError, ReadFailure,
};

use crate::device::Device;
use crate::error::DeviceError;

pub use self::answers::{BundleOutcome, Enrollment, SyncError, SyncReport, UploadAnswer};

/// The partial bundle download in a device directory.
pub const PARTIAL_BUNDLE_FILE: &str = "bundle.partial";
/// What the partial download is (`{"etag": "…", "since": N | null}`), beside it.
pub const PARTIAL_BUNDLE_META: &str = "bundle.partial.json";

/// The longest JSON answer read from the server.
const MAX_ANSWER_LEN: usize = 1 << 20;

/// How the client talks to the server.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Tries per request, the first included (at least 1).
    pub attempts: u32,
    /// The wait before the first retry; it doubles with each retry.
    pub base_delay: Duration,
    /// The longest wait between two tries.
    pub max_delay: Duration,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long one request may take, its body included. A bundle download
    /// cut by it resumes where it stopped on the next try.
    pub request_timeout: Duration,
    /// Records per upload batch (a batch is also kept under the server's
    /// 4 MiB cap by halving it when needed).
    pub batch_records: usize,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            batch_records: 500,
        }
    }
}

/// One try's failure.
enum Failure {
    /// Worth another try: no connection, a timeout, a 5xx, a body cut short.
    Transient { detail: String, status: Option<u16> },
    /// Not worth another try.
    Permanent(SyncError),
}

impl From<SyncError> for Failure {
    fn from(e: SyncError) -> Self {
        Failure::Permanent(e)
    }
}

fn transient(detail: impl std::fmt::Display) -> Failure {
    Failure::Transient { detail: detail.to_string(), status: None }
}

/// A request that got no answer: a certificate the TLS handshake refused is
/// not worth another try ([`SyncError::Untrusted`]); anything else is.
fn send_failed(url: &reqwest::Url, e: reqwest::Error) -> Failure {
    match refused_certificate(&e) {
        Some(detail) => Failure::Permanent(SyncError::Untrusted { url: url.to_string(), detail }),
        None => transient(e),
    }
}

/// A client of one sync server.
#[derive(Debug, Clone)]
pub struct SyncClient {
    base: reqwest::Url,
    http: reqwest::Client,
    config: SyncConfig,
}

impl SyncClient {
    /// A client of the server at `server_url` (`http://…` or `https://…`).
    pub fn new(server_url: &str, config: SyncConfig) -> Result<SyncClient, SyncError> {
        let base = base_url(server_url).map_err(|reason| SyncError::BadUrl { url: server_url.to_owned(), reason })?;
        let user_agent = concat!("icaze-device/", env!("CARGO_PKG_VERSION"));
        let http = http_client(config.connect_timeout, config.request_timeout, user_agent, None)
            .map_err(|e| SyncError::Client(e.to_string()))?;
        Ok(SyncClient { base, http, config })
    }

    /// The same client trusting only the certificates of `pem` (the server's,
    /// or its CA's: [`crate::Device::server_ca`]), so that a hostile network
    /// can neither read nor change a sync. Refuses an `http://` server.
    pub fn pinned(self, pem: &str) -> Result<SyncClient, SyncError> {
        if self.base.scheme() != "https" {
            return Err(SyncError::BadUrl {
                url: self.base.to_string(),
                reason: "this device pins the server's certificate, so it syncs with an https:// server only".into(),
            });
        }
        let pinned = pinned_certificates(pem).map_err(|e| SyncError::Client(format!("the pinned certificate: {e}")))?;
        let user_agent = concat!("icaze-device/", env!("CARGO_PKG_VERSION"));
        let http = http_client(self.config.connect_timeout, self.config.request_timeout, user_agent, Some(&pinned))
            .map_err(|e| SyncError::Client(e.to_string()))?;
        Ok(SyncClient { http, ..self })
    }

    /// A client for `device`: of `server_url`, pinned to the certificate the
    /// device keeps if it keeps one.
    pub fn for_device(device: &crate::Device, server_url: &str, config: SyncConfig) -> Result<SyncClient, SyncError> {
        let client = SyncClient::new(server_url, config)?;
        match device.server_ca()? {
            Some(pem) => client.pinned(&pem),
            None => Ok(client),
        }
    }

    /// The server's address.
    pub fn server(&self) -> &str {
        self.base.as_str()
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, SyncError> {
        self.base.join(path).map_err(|e| SyncError::BadUrl { url: self.base.to_string(), reason: e.to_string() })
    }

    /// Uploads the outbox, learns the device's standing, and fetches and
    /// applies the bundle; `now` is the device's clock. See the module
    /// documentation for the steps and what is retried.
    pub async fn sync(&self, device: &mut Device, now: UtcMinute) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport {
            device_id: device.device_id(),
            enrollment: Enrollment::Unknown,
            badge: None,
            precinct: None,
            requests: 0,
            sent: 0,
            accepted: 0,
            duplicates: 0,
            conflicts: 0,
            acknowledged: 0,
            acknowledged_seq: 0,
            high_water: 0,
            outbox_left: 0,
            pruned: 0,
            flags: Vec::new(),
            diverged: false,
            server_time: None,
            bundle: BundleOutcome::UpToDate { version: 0 },
            retries: 0,
        };
        self.upload_outbox(device, now, &mut report).await?;
        report.outbox_left = device.outbox_len()?;
        report.pruned = device.prune(now)?;
        report.bundle = self.fetch_and_apply(device, now, &mut report.retries).await?;
        Ok(report)
    }

    /// Runs `attempt` until it succeeds, fails permanently, or has been tried
    /// [`SyncConfig::attempts`] times, waiting `base_delay`, then twice that,
    /// and so on (at most `max_delay`) between tries.
    async fn retry<T, F, Fut>(&self, retries: &mut u32, url: &reqwest::Url, mut attempt: F) -> Result<T, SyncError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let attempts = self.config.attempts.max(1);
        let mut delay = self.config.base_delay;
        let mut tried = 0;
        loop {
            tried += 1;
            match attempt().await {
                Ok(value) => return Ok(value),
                Err(Failure::Permanent(e)) => return Err(e),
                Err(Failure::Transient { detail, status }) if tried >= attempts => {
                    return Err(match status {
                        Some(status) => SyncError::Server { status, attempts: tried, message: detail },
                        None => SyncError::Unreachable { url: url.to_string(), attempts: tried, detail },
                    });
                }
                Err(Failure::Transient { .. }) => {
                    *retries += 1;
                    tokio::time::sleep(delay.min(self.config.max_delay)).await;
                    delay = delay.saturating_mul(2);
                }
            }
        }
    }
}

/// Maps an error status to a failure: 5xx, 408 and 429 are transient; any
/// other status is returned as the server's error for the caller to type.
fn check_status(answer: &Answer, what: &'static str) -> Result<ApiError, Failure> {
    let (status, error) = (answer.status, answer.error());
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS {
        return Err(Failure::Transient {
            detail: format!("{what}: {} {}", error.code, error.message),
            status: Some(status.as_u16()),
        });
    }
    Ok(error)
}

fn refused(what: &'static str, status: StatusCode, error: ApiError) -> SyncError {
    SyncError::Refused { what, status: status.as_u16(), code: error.code, message: error.message }
}

/// Reads a body of at most `cap` bytes; a body cut short is transient.
async fn read_capped(response: reqwest::Response, cap: usize) -> Result<Answer, Failure> {
    Answer::read(response, cap).await.map_err(|failure| match failure {
        ReadFailure::TooLarge => Failure::Permanent(SyncError::Protocol(format!("an answer of more than {cap} bytes"))),
        ReadFailure::CutShort(e) => transient(format!("the answer was cut short: {e}")),
    })
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |source| Failure::Permanent(SyncError::Device(DeviceError::Io { path: PathBuf::from(path), source }))
}

#[cfg(test)]
mod tests;
