//! The bundle's download, into a partial file that a broken download resumes
//! (`Range`, `If-Range`), and its application.

use std::path::Path;

use icaze_core::{UtcMinute, MAX_BUNDLE_LEN};
use reqwest::header::{HeaderMap, CONTENT_RANGE, ETAG, IF_RANGE, RANGE};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use super::{
    check_status, io, read_capped, refused, send_failed, transient, BundleOutcome, Failure, SyncClient, SyncError,
    MAX_ANSWER_LEN, PARTIAL_BUNDLE_FILE, PARTIAL_BUNDLE_META,
};
use crate::device::Device;
use crate::error::DeviceError;

/// A downloaded bundle.
struct Fetched {
    bytes: Vec<u8>,
    resumed_from: Option<u64>,
}

/// The partial download's description, kept beside it.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct PartialMeta {
    pub(super) etag: String,
    pub(super) since: Option<u64>,
}

impl SyncClient {
    /// Step 3: the bundle, resumed if a download broke, then applied.
    pub(super) async fn fetch_and_apply(
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
}

/// `Content-Range: bytes START-END/TOTAL` → (START, TOTAL if known).
pub(super) fn content_range(headers: &HeaderMap) -> Option<(u64, Option<u64>)> {
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
pub(super) fn read_partial(dir: &Path, since: Option<u64>) -> Option<(String, u64)> {
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
