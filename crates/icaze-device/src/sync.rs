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

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

use icaze_core::{UtcMinute, MAX_BUNDLE_LEN};
use icaze_protocol::{DeviceId, UploadBatch, MAX_UPLOAD_LEN};
use reqwest::header::{HeaderMap, CONTENT_RANGE, CONTENT_TYPE, ETAG, IF_RANGE, RANGE};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use icaze_client::transport::{
    base_url, http_client, pinned_certificates, refused_certificate, Answer, ApiError, ReadFailure,
};

use crate::device::{BundleApplied, Device};
use crate::error::DeviceError;

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

/// The device's standing on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrollment {
    /// Approved and active: its uploads are stored.
    Active,
    /// Suspended by a supervisor: its uploads are refused, its records kept.
    Suspended,
    /// Not approved yet: show the enrollment code to a supervisor.
    Unknown,
}

impl Enrollment {
    /// `active`, `suspended` or `unknown`, as the API says.
    pub fn code(self) -> &'static str {
        match self {
            Enrollment::Active => "active",
            Enrollment::Suspended => "suspended",
            Enrollment::Unknown => "unknown",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "active" => Some(Enrollment::Active),
            "suspended" => Some(Enrollment::Suspended),
            "unknown" => Some(Enrollment::Unknown),
            _ => None,
        }
    }
}

/// The server's answer to an upload or a status request (`docs/sync-api.md`
/// section 4). Fields the server may leave out default to empty.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UploadAnswer {
    /// The device, as the server computed it from the batch's key.
    #[serde(default)]
    pub device_id: String,
    /// `active`, `suspended` or `unknown`.
    pub status: String,
    /// The officer the device is assigned to.
    #[serde(default)]
    pub badge: Option<String>,
    /// The device's precinct.
    #[serde(default)]
    pub precinct: Option<String>,
    /// The device may drop its outbox up to this sequence number, if its own
    /// record there has [`UploadAnswer::acknowledged_hash`].
    #[serde(default)]
    pub acknowledged_seq: u64,
    /// The chain hash (hex) of the record at `acknowledged_seq` as the server
    /// keeps it.
    #[serde(default)]
    pub acknowledged_hash: Option<String>,
    /// The server holds records 1..=high_water chained without a gap.
    #[serde(default)]
    pub high_water: u64,
    /// Records stored.
    #[serde(default)]
    pub accepted: u64,
    /// Records the server had already.
    #[serde(default)]
    pub duplicates: u64,
    /// Records kept apart (a fork).
    #[serde(default)]
    pub conflicts: u64,
    /// The device's flags (`gap`, `fork`), as the server gives them.
    #[serde(default)]
    pub flags: Vec<Value>,
    /// The server's time, RFC 3339.
    #[serde(default)]
    pub server_time: Option<String>,
}

impl UploadAnswer {
    /// Reads an answer body.
    pub fn from_json(body: &[u8]) -> Result<Self, SyncError> {
        serde_json::from_slice(body)
            .map_err(|e| SyncError::Protocol(format!("the upload answer does not read as the API's JSON: {e}")))
    }

    /// The status it gives.
    pub fn enrollment(&self) -> Result<Enrollment, SyncError> {
        Enrollment::from_code(&self.status)
            .ok_or_else(|| SyncError::Protocol(format!("the server gave the unknown device status {:?}", self.status)))
    }

    /// Acknowledges, on `device`, what this answer says the server holds:
    /// every outbox record up to `acknowledged_seq` when the phone's own
    /// record there has the hash the server keeps (the chain hash covers every
    /// record before it), and nothing when the device is not active. Returns
    /// how many records left the outbox.
    ///
    /// A copy of a phone, or one restored from a backup, has records that the
    /// server holds other records under: their hashes differ, so they stay in
    /// the outbox and go up, and the server keeps them apart as a fork.
    pub fn acknowledge(&self, device: &mut Device) -> Result<u64, SyncError> {
        match self.check_ours(device)? {
            Acknowledged::Ours => Ok(device.ack(self.acknowledged_seq)?),
            Acknowledged::Nothing | Acknowledged::NotOurs => Ok(0),
        }
    }

    /// Whether the record the server acknowledged is the phone's own.
    fn check_ours(&self, device: &Device) -> Result<Acknowledged, SyncError> {
        if self.enrollment()? != Enrollment::Active || self.acknowledged_seq == 0 {
            return Ok(Acknowledged::Nothing);
        }
        let ours = device.record_hash(self.acknowledged_seq)?;
        Ok(match (ours, self.acknowledged_hash.as_deref()) {
            (Some(ours), Some(theirs)) if ours.to_hex() == theirs => Acknowledged::Ours,
            // Already gone from the phone: acknowledged before, and pruned.
            (None, _) if self.acknowledged_seq <= device.pruned_up_to()? => Acknowledged::Nothing,
            _ => Acknowledged::NotOurs,
        })
    }

    fn flag_names(&self) -> Vec<String> {
        self.flags
            .iter()
            .map(|f| match f {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    }
}

/// What an answer's acknowledgement is to the phone.
enum Acknowledged {
    /// Nothing to drop (not active, or nothing acknowledged).
    Nothing,
    /// The phone's own record: what is up to it may leave the outbox.
    Ours,
    /// The server keeps another record there (or one the phone never wrote):
    /// the phone's log went another way, and nothing leaves the outbox.
    NotOurs,
}

/// What became of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleOutcome {
    /// A newer bundle was applied.
    Applied {
        /// What was applied.
        applied: BundleApplied,
        /// The bundle's length.
        bytes: u64,
        /// Where a broken download was resumed, if it was.
        resumed_from: Option<u64>,
    },
    /// The server had nothing newer than the device's version.
    UpToDate {
        /// The device's version.
        version: u64,
    },
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The device.
    pub device_id: DeviceId,
    /// Its standing on the server.
    pub enrollment: Enrollment,
    /// The officer it is assigned to, if the server said.
    pub badge: Option<String>,
    /// Its precinct, if the server said.
    pub precinct: Option<String>,
    /// Upload requests made, the status request included.
    pub requests: u32,
    /// Records sent.
    pub sent: u64,
    /// Records the server stored.
    pub accepted: u64,
    /// Records the server had already.
    pub duplicates: u64,
    /// Records the server kept apart as a fork.
    pub conflicts: u64,
    /// Records that left the outbox.
    pub acknowledged: u64,
    /// The highest sequence number the server acknowledged.
    pub acknowledged_seq: u64,
    /// The server holds the log 1..=high_water without a gap.
    pub high_water: u64,
    /// Records still waiting (all of them when the device is not active).
    pub outbox_left: u64,
    /// Acknowledged records past their time on the phone, removed after the upload.
    pub pruned: u64,
    /// The device's flags on the server (`gap`, `fork`).
    pub flags: Vec<String>,
    /// The server holds this device's log otherwise than the phone does (the
    /// phone is a copy, or was restored from a backup): its records were sent
    /// all the same, and the server keeps those that differ apart for a
    /// supervisor.
    pub diverged: bool,
    /// The server's time in its last answer.
    pub server_time: Option<String>,
    /// What became of the bundle.
    pub bundle: BundleOutcome,
    /// Requests tried again after a transient failure.
    pub retries: u32,
}

impl SyncReport {
    /// The JSON line `icaze device sync` prints.
    pub fn to_json(&self) -> Value {
        let bundle = match &self.bundle {
            BundleOutcome::Applied { applied, bytes, resumed_from } => json!({
                "result": "applied",
                "version": applied.version,
                "delta": applied.delta,
                "revocations": applied.revocations,
                "clock_suspicious": applied.clock_suspicious,
                "bytes": bytes,
                "resumed_from": resumed_from,
            }),
            BundleOutcome::UpToDate { version } => json!({ "result": "up_to_date", "version": version }),
        };
        json!({
            "device_id": self.device_id.to_string(),
            "status": self.enrollment.code(),
            "badge": self.badge,
            "precinct": self.precinct,
            "requests": self.requests,
            "sent": self.sent,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "conflicts": self.conflicts,
            "acknowledged": self.acknowledged,
            "acknowledged_seq": self.acknowledged_seq,
            "high_water": self.high_water,
            "outbox_left": self.outbox_left,
            "pruned": self.pruned,
            "flags": self.flags,
            "diverged": self.diverged,
            "server_time": self.server_time,
            "bundle": bundle,
            "retries": self.retries,
        })
    }
}

/// A sync that failed. Records stay in the outbox unless acknowledged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The server address does not parse.
    #[error("the server address {url:?} is not usable ({reason}): give it as http://HOST:PORT or https://HOST")]
    BadUrl {
        /// The address given.
        url: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// No answer after every try.
    #[error(
        "cannot reach the sync server at {url} after {attempts} tries ({detail}): check the network and sync again"
    )]
    Unreachable {
        /// The address.
        url: String,
        /// Tries made.
        attempts: u32,
        /// The last failure.
        detail: String,
    },
    /// The server did not show the pinned certificate (or one of the pinned
    /// CA's): nothing was sent.
    #[error(
        "the server at {url} did not show the certificate this device pins ({detail}): nothing was sent. A hostile \
         network, or the server's certificate changed: ask the supervisor for the server's certificate"
    )]
    Untrusted {
        /// The address.
        url: String,
        /// What the TLS handshake said.
        detail: String,
    },
    /// The server failed (5xx) on every try.
    #[error("the sync server failed with status {status} after {attempts} tries ({message}): sync again later")]
    Server {
        /// The last status.
        status: u16,
        /// Tries made.
        attempts: u32,
        /// What it said.
        message: String,
    },
    /// The server refused a request (4xx).
    #[error("the server refused {what} with status {status} ({code}): {message}")]
    Refused {
        /// The request.
        what: &'static str,
        /// The HTTP status.
        status: u16,
        /// The server's error code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The device holds a bundle newer than the server's (`409 future_version`).
    #[error(
        "the device holds bundle version {version}, newer than the server's ({message}): the server lost its state or \
         is another service; check the server address"
    )]
    FutureVersion {
        /// The device's version.
        version: u64,
        /// The server's message.
        message: String,
    },
    /// An answer that does not follow the API.
    #[error("the server's answer does not follow the sync API: {0}")]
    Protocol(String),
    /// The server acknowledged nothing of a batch it accepted.
    #[error(
        "the server accepted records {first}..={last} but acknowledged only up to {acknowledged}: stopping rather than \
         sending them again in a loop; report this to the administrator"
    )]
    NoProgress {
        /// The batch's first sequence number.
        first: u64,
        /// Its last.
        last: u64,
        /// The answer's `acknowledged_seq`.
        acknowledged: u64,
    },
    /// The bundle is larger than any valid bundle.
    #[error("the server sent a bundle of more than {MAX_BUNDLE_LEN} bytes: refused")]
    BundleTooLarge,
    /// The bundle does not verify, or would roll the device's data back.
    #[error("the bundle from the server is refused: {0}")]
    BundleRefused(#[source] DeviceError),
    /// The device's store or a file in its directory failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl SyncError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::BadUrl { .. } => "bad_url",
            SyncError::Client(_) => "client",
            SyncError::Unreachable { .. } => "unreachable",
            SyncError::Untrusted { .. } => "untrusted_server",
            SyncError::Server { .. } => "server_error",
            SyncError::Refused { .. } => "refused",
            SyncError::FutureVersion { .. } => "future_version",
            SyncError::Protocol(_) => "protocol",
            SyncError::NoProgress { .. } => "no_progress",
            SyncError::BundleTooLarge => "bundle_too_large",
            SyncError::BundleRefused(_) => "bundle_refused",
            SyncError::Device(_) => "device",
        }
    }

    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Unreachable { .. } | SyncError::Server { .. })
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

/// What an upload request got: an answer, or the device's standing when the
/// server refused it for that (`403 device_unknown` / `device_suspended`).
enum Uploaded {
    Answer(Box<UploadAnswer>),
    NotAccepted(Enrollment),
}

/// A downloaded bundle.
struct Fetched {
    bytes: Vec<u8>,
    resumed_from: Option<u64>,
}

/// The partial download's description, kept beside it.
#[derive(Debug, Serialize, Deserialize)]
struct PartialMeta {
    etag: String,
    since: Option<u64>,
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

    /// Step 1 and 2: the status request, then batches until the outbox is empty.
    async fn upload_outbox(
        &self,
        device: &mut Device,
        now: UtcMinute,
        report: &mut SyncReport,
    ) -> Result<(), SyncError> {
        let status = device.upload_batch(0, now)?;
        if !self.upload_and_ack(device, &status, report).await? {
            return Ok(());
        }
        while device.outbox_len()? > 0 {
            let mut limit = self.config.batch_records.max(1);
            let mut bytes = device.upload_batch(limit, now)?;
            while bytes.len() > MAX_UPLOAD_LEN && limit > 1 {
                limit /= 2;
                bytes = device.upload_batch(limit, now)?;
            }
            // A self-check of what is about to leave, and the batch's range for the progress check.
            let batch = UploadBatch::verify(&bytes)
                .map_err(|e| SyncError::Protocol(format!("the device made a batch that does not verify: {e}")))?;
            let (first, count) = (batch.first_seq(), batch.records().len() as u64);
            if count == 0 {
                break;
            }
            let before = report.acknowledged;
            report.sent += count;
            if !self.upload_and_ack(device, &bytes, report).await? {
                return Ok(());
            }
            if report.acknowledged == before {
                return Err(SyncError::NoProgress {
                    first,
                    last: first + count - 1,
                    acknowledged: report.acknowledged_seq,
                });
            }
        }
        Ok(())
    }

    /// Sends one batch and acknowledges what the answer says. Returns whether
    /// the device is active (whether to go on uploading).
    async fn upload_and_ack(
        &self,
        device: &mut Device,
        bytes: &[u8],
        report: &mut SyncReport,
    ) -> Result<bool, SyncError> {
        let url = self.url("v1/upload")?;
        report.requests += 1;
        let uploaded = self.retry(&mut report.retries, &url, || self.upload_once(&url, bytes)).await?;
        let answer = match uploaded {
            Uploaded::NotAccepted(enrollment) => {
                report.enrollment = enrollment;
                return Ok(false);
            }
            Uploaded::Answer(answer) => answer,
        };
        let ours = device.device_id().to_string();
        if !answer.device_id.is_empty() && answer.device_id != ours {
            return Err(SyncError::Protocol(format!(
                "the server answered for device {}, not for this device {ours}: check the server address",
                answer.device_id
            )));
        }
        report.enrollment = answer.enrollment()?;
        match answer.check_ours(device)? {
            Acknowledged::Ours => report.acknowledged += device.ack(answer.acknowledged_seq)?,
            Acknowledged::NotOurs => report.diverged = true,
            Acknowledged::Nothing => {}
        }
        report.acknowledged_seq = report.acknowledged_seq.max(answer.acknowledged_seq);
        report.high_water = answer.high_water;
        report.accepted += answer.accepted;
        report.duplicates += answer.duplicates;
        report.conflicts += answer.conflicts;
        report.flags = answer.flag_names();
        report.badge = answer.badge.clone().or(report.badge.take());
        report.precinct = answer.precinct.clone().or(report.precinct.take());
        report.server_time = answer.server_time.clone();
        Ok(report.enrollment == Enrollment::Active)
    }

    async fn upload_once(&self, url: &reqwest::Url, bytes: &[u8]) -> Result<Uploaded, Failure> {
        let response = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .map_err(|e| send_failed(url, e))?;
        let answer = read_capped(response, MAX_ANSWER_LEN).await?;
        if answer.status.is_success() {
            return Ok(Uploaded::Answer(Box::new(UploadAnswer::from_json(&answer.body)?)));
        }
        let error = check_status(&answer, "the upload")?;
        Err(Failure::Permanent(match (answer.status, error.code.as_str()) {
            (StatusCode::FORBIDDEN, "device_unknown") => return Ok(Uploaded::NotAccepted(Enrollment::Unknown)),
            (StatusCode::FORBIDDEN, "device_suspended") => return Ok(Uploaded::NotAccepted(Enrollment::Suspended)),
            (status, _) => refused("the upload", status, error),
        }))
    }

    /// Step 3: the bundle, resumed if a download broke, then applied.
    async fn fetch_and_apply(
        &self,
        device: &mut Device,
        now: UtcMinute,
        retries: &mut u32,
    ) -> Result<BundleOutcome, SyncError> {
        let since = device.bundle_version();
        let dir = device.dir().to_owned();
        let up_to_date = BundleOutcome::UpToDate { version: since.unwrap_or(0) };
        let Some(mut fetched) = self.fetch_bundle(&dir, since, retries).await? else {
            return Ok(up_to_date);
        };
        let mut applied = device.apply_bundle(&fetched.bytes, now);
        if matches!(applied, Err(DeviceError::Bundle(_))) && fetched.resumed_from.is_some() {
            // A resumed download that does not verify: fetch it whole once
            // rather than blame the server for what may be a stale partial file.
            discard_partial(&dir);
            let Some(again) = self.fetch_bundle(&dir, since, retries).await? else {
                return Ok(up_to_date);
            };
            fetched = again;
            applied = device.apply_bundle(&fetched.bytes, now);
        }
        discard_partial(&dir);
        match applied {
            Ok(applied) => Ok(BundleOutcome::Applied {
                applied,
                bytes: fetched.bytes.len() as u64,
                resumed_from: fetched.resumed_from,
            }),
            // The same version again within the minute the server keeps it: nothing new.
            Err(DeviceError::Rollback { current, offered }) if current == offered => {
                Ok(BundleOutcome::UpToDate { version: current })
            }
            Err(
                e @ (DeviceError::Bundle(_)
                | DeviceError::Rollback { .. }
                | DeviceError::TrustListRollback { .. }
                | DeviceError::NeedFullBundle { .. }),
            ) => Err(SyncError::BundleRefused(e)),
            // The device's own store failed: not the bundle's fault.
            Err(e) => Err(SyncError::Device(e)),
        }
    }

    /// Downloads the bundle into the partial file, resuming it, with retries;
    /// `None` when the server has nothing newer than `since`.
    async fn fetch_bundle(
        &self,
        dir: &Path,
        since: Option<u64>,
        retries: &mut u32,
    ) -> Result<Option<Fetched>, SyncError> {
        let mut url = self.url("v1/bundle")?;
        if let Some(since) = since {
            url.query_pairs_mut().append_pair("since", &since.to_string());
        }
        self.retry(retries, &url, || self.fetch_bundle_once(&url, dir, since)).await
    }

    /// One try: asks for the rest of the partial file if there is one, and
    /// writes what arrives to it as it arrives, so that a broken connection
    /// leaves what came for the next try.
    async fn fetch_bundle_once(
        &self,
        url: &reqwest::Url,
        dir: &Path,
        since: Option<u64>,
    ) -> Result<Option<Fetched>, Failure> {
        let (file_path, meta_path) = (dir.join(PARTIAL_BUNDLE_FILE), dir.join(PARTIAL_BUNDLE_META));
        let partial = read_partial(dir, since);
        let mut request = self.http.get(url.clone());
        if let Some((etag, len)) = &partial {
            request = request.header(RANGE, format!("bytes={len}-")).header(IF_RANGE, etag.as_str());
        }
        let mut response = request.send().await.map_err(|e| send_failed(url, e))?;
        let status = response.status();
        let (mut file, resumed_from, total) = match (status, &partial) {
            (StatusCode::PARTIAL_CONTENT, Some((_, len))) => {
                let Some((start, total)) = content_range(response.headers()) else {
                    discard_partial(dir);
                    return Err(Failure::Permanent(SyncError::Protocol(
                        "a 206 answer without a readable Content-Range".into(),
                    )));
                };
                if start != *len {
                    // Not where the file ends: start over on the next try.
                    discard_partial(dir);
                    return Err(transient(format!("the server resumed at byte {start}, not {len}")));
                }
                let file = std::fs::OpenOptions::new().append(true).open(&file_path).map_err(io(&file_path))?;
                (file, Some(start), total)
            }
            (StatusCode::PARTIAL_CONTENT, None) => {
                return Err(Failure::Permanent(SyncError::Protocol("a 206 answer to a request with no range".into())));
            }
            (StatusCode::OK, _) if response.content_length().is_some_and(|n| n > MAX_BUNDLE_LEN as u64) => {
                return Err(Failure::Permanent(SyncError::BundleTooLarge));
            }
            (StatusCode::OK, _) => {
                // The whole bundle: keep its ETag first, so that the bytes written
                // below can be resumed from if the connection breaks.
                discard_partial(dir);
                if let Some(etag) = response.headers().get(ETAG).and_then(|v| v.to_str().ok()) {
                    let meta = serde_json::to_vec(&PartialMeta { etag: etag.to_owned(), since })
                        .map_err(|e| Failure::Permanent(SyncError::Protocol(e.to_string())))?;
                    std::fs::write(&meta_path, meta).map_err(io(&meta_path))?;
                }
                let file = std::fs::File::create(&file_path).map_err(io(&file_path))?;
                (file, None, response.content_length())
            }
            // The device holds the current version, made this very minute.
            (StatusCode::NOT_MODIFIED | StatusCode::NO_CONTENT, _) if since.is_some() => {
                discard_partial(dir);
                return Ok(None);
            }
            (StatusCode::RANGE_NOT_SATISFIABLE, _) => {
                discard_partial(dir);
                return Err(transient("the partial download is not part of the server's bundle"));
            }
            (StatusCode::CONFLICT, _) => {
                let error = read_capped(response, MAX_ANSWER_LEN).await?.error();
                return Err(Failure::Permanent(match error.code.as_str() {
                    "future_version" => {
                        SyncError::FutureVersion { version: since.unwrap_or(0), message: error.message }
                    }
                    _ => refused("the bundle request", status, error),
                }));
            }
            _ => {
                let error = check_status(&read_capped(response, MAX_ANSWER_LEN).await?, "the bundle request")?;
                return Err(Failure::Permanent(refused("the bundle request", status, error)));
            }
        };
        use std::io::Write as _;
        let mut len = resumed_from.unwrap_or(0);
        while let Some(chunk) =
            response.chunk().await.map_err(|e| transient(format!("the bundle was cut short: {e}")))?
        {
            len += chunk.len() as u64;
            if len > MAX_BUNDLE_LEN as u64 {
                discard_partial(dir);
                return Err(Failure::Permanent(SyncError::BundleTooLarge));
            }
            file.write_all(&chunk).map_err(io(&file_path))?;
        }
        drop(file);
        let expected = match (resumed_from, total) {
            (Some(_), total) => total,
            (None, length) => length,
        };
        if expected.is_some_and(|expected| expected != len) {
            return Err(transient(format!("the bundle was cut short at {len} bytes")));
        }
        let bytes = std::fs::read(&file_path).map_err(io(&file_path))?;
        if bytes.len() as u64 != len {
            discard_partial(dir);
            return Err(transient("the partial bundle file changed while it was written"));
        }
        Ok(Some(Fetched { bytes, resumed_from }))
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

/// `Content-Range: bytes START-END/TOTAL` → (START, TOTAL if known).
fn content_range(headers: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let (start, end) = (start.trim().parse::<u64>().ok()?, end.trim().parse::<u64>().ok()?);
    if end < start {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse::<u64>().ok()?),
    };
    Some((start, total))
}

/// The partial download to resume, if there is one for this `since`: its ETag
/// and length. A partial download for another `since`, or one that does not
/// read, is discarded.
fn read_partial(dir: &Path, since: Option<u64>) -> Option<(String, u64)> {
    let meta = std::fs::read(dir.join(PARTIAL_BUNDLE_META)).ok();
    let len = std::fs::metadata(dir.join(PARTIAL_BUNDLE_FILE)).map(|m| m.len()).ok();
    let found = match (meta.as_deref().map(serde_json::from_slice::<PartialMeta>), len) {
        (Some(Ok(meta)), Some(len)) if meta.since == since && len > 0 && len < MAX_BUNDLE_LEN as u64 => {
            Some((meta.etag, len))
        }
        _ => None,
    };
    if found.is_none() {
        discard_partial(dir);
    }
    found
}

/// Removes the partial download. A failure only means the next try does not resume.
fn discard_partial(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(PARTIAL_BUNDLE_FILE));
    let _ = std::fs::remove_file(dir.join(PARTIAL_BUNDLE_META));
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Failure + '_ {
    move |source| Failure::Permanent(SyncError::Device(DeviceError::Io { path: PathBuf::from(path), source }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_reads_only_well_formed_values() {
        let mut headers = HeaderMap::new();
        let mut with = |v: &str| {
            headers.insert(CONTENT_RANGE, v.parse().unwrap());
            content_range(&headers)
        };
        assert_eq!(with("bytes 100-199/200"), Some((100, Some(200))));
        assert_eq!(with("bytes 0-0/*"), Some((0, None)));
        assert_eq!(with("bytes 10-5/20"), None);
        assert_eq!(with("items 0-1/2"), None);
        assert_eq!(with("bytes x-1/2"), None);
        assert_eq!(with("bytes 1-2/z"), None);
    }

    #[test]
    fn answers_read_with_defaults_and_refuse_unknown_statuses() {
        let answer = UploadAnswer::from_json(br#"{"status": "unknown"}"#).unwrap();
        assert_eq!(answer.enrollment().unwrap(), Enrollment::Unknown);
        assert_eq!(answer.acknowledged_seq, 0);
        let answer = UploadAnswer::from_json(
            br#"{"device_id": "x", "status": "active", "badge": "B-1", "precinct": "P-1", "acknowledged_seq": 7,
                "high_water": 7, "accepted": 2, "duplicates": 5, "conflicts": 0, "flags": ["gap", {"kind": "fork"}],
                "channel": "upload", "server_time": "2020-12-15T06:00:00Z", "extra": 1}"#,
        )
        .unwrap();
        assert_eq!(answer.acknowledged_seq, 7);
        assert_eq!(answer.flag_names(), vec!["gap".to_owned(), r#"{"kind":"fork"}"#.to_owned()]);
        let odd = UploadAnswer::from_json(br#"{"status": "deleted"}"#).unwrap();
        assert_eq!(odd.enrollment().unwrap_err().code(), "protocol");
        assert_eq!(UploadAnswer::from_json(b"<html>").unwrap_err().code(), "protocol");
    }

    #[test]
    fn addresses_are_checked() {
        assert_eq!(SyncClient::new("ftp://x", SyncConfig::default()).unwrap_err().code(), "bad_url");
        assert_eq!(SyncClient::new("not a url", SyncConfig::default()).unwrap_err().code(), "bad_url");
        let client = SyncClient::new("http://127.0.0.1:8103/base", SyncConfig::default()).unwrap();
        assert_eq!(client.url("v1/upload").unwrap().as_str(), "http://127.0.0.1:8103/base/v1/upload");
        let client = SyncClient::new("http://127.0.0.1:8103", SyncConfig::default()).unwrap();
        assert_eq!(client.url("v1/bundle").unwrap().as_str(), "http://127.0.0.1:8103/v1/bundle");
    }

    #[test]
    fn a_partial_file_for_another_version_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(PARTIAL_BUNDLE_FILE), b"abc").unwrap();
        let meta = serde_json::to_vec(&PartialMeta { etag: "\"3.f.1\"".into(), since: Some(2) }).unwrap();
        std::fs::write(dir.path().join(PARTIAL_BUNDLE_META), meta).unwrap();
        assert_eq!(read_partial(dir.path(), Some(2)), Some(("\"3.f.1\"".to_owned(), 3)));
        assert_eq!(read_partial(dir.path(), Some(3)), None);
        assert!(!dir.path().join(PARTIAL_BUNDLE_FILE).exists(), "discarded");
        assert_eq!(read_partial(dir.path(), Some(2)), None);
    }
}
