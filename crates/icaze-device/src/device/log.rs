//! The inspection log: its records, its chain check, the outbox and its
//! acknowledgements, pruning, exports, and the device's status.

use std::path::{Path, PathBuf};

use icaze_core::UtcMinute;
use serde::Serialize;
use ts_rs::TS;

use crate::answers::StatusAnswer;

use super::{Device, EXPORT_DIR, LOG_RETENTION_MINUTES};
use crate::error::DeviceError;
use crate::verdict::Data;
use icaze_protocol::{chain_hash, BatchError, DeviceId, InspectionRecord, RecordHash, UploadBatch, MAX_BATCH_RECORDS};

/// An export file written by [`Device::export`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// The file.
    pub path: PathBuf,
    /// Records in it.
    pub records: usize,
    /// The first record's sequence number, if any.
    pub first_seq: Option<u64>,
    /// The last record's sequence number, if any.
    pub last_seq: Option<u64>,
    /// The file's length.
    pub bytes: u64,
    /// Outbox records after `last_seq` left out because a file holds at most
    /// [`MAX_BATCH_RECORDS`]; 0 when the file holds the whole outbox.
    pub left_out: u64,
}

/// The result of re-checking the whole inspection log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Records read before the first break (all of them if none).
    pub records: u64,
    /// The first broken record and what is wrong with it.
    pub broken: Option<ChainBreak>,
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The sequence number of the first bad record (or the one expected there).
    pub seq: u64,
    /// What is wrong, in English.
    pub problem: String,
}

impl ChainReport {
    /// Whether every record verifies.
    pub fn is_ok(&self) -> bool {
        self.broken.is_none()
    }
}

/// The device's standing, for `status` and the app's header.
#[derive(Debug, Clone)]
pub struct DeviceStatus {
    /// The device id.
    pub device_id: DeviceId,
    /// The applied bundle version, if any.
    pub bundle_version: Option<u64>,
    /// The trust list version in it.
    pub trust_list_version: Option<u64>,
    /// The data's server time.
    pub data_time: Option<UtcMinute>,
    /// Minutes from the data's server time to `now`.
    pub data_age_minutes: Option<i64>,
    /// How old the data is against its policy.
    pub freshness: Freshness,
    /// The device time of the last good sync.
    pub last_sync: Option<UtcMinute>,
    /// Revoked serials held.
    pub revocations: usize,
    /// Records in the log.
    pub log_records: u64,
    /// Records waiting for upload.
    pub outbox: u64,
    /// The chain check.
    pub chain: ChainReport,
    /// Why the clock is suspected, if it is.
    pub clock_suspect: Option<String>,
}

impl DeviceStatus {
    /// The JSON answer `icaze device status` prints and the app's header reads.
    pub fn answer(&self) -> StatusAnswer {
        StatusAnswer::from(self)
    }
}

/// How old the device's data is against the bundle's freshness policy.
/// Serialised as its [`Freshness::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// Younger than the policy's first warning.
    Fresh,
    /// Past the first warning.
    Stale,
    /// Past the strong warning.
    VeryStale,
    /// Past the age after which no permit is shown valid.
    TooOld,
    /// No bundle applied yet.
    NoData,
}

impl Freshness {
    /// `fresh`, `stale`, `very_stale`, `too_old` or `no_data`.
    pub fn code(self) -> &'static str {
        match self {
            Freshness::Fresh => "fresh",
            Freshness::Stale => "stale",
            Freshness::VeryStale => "very_stale",
            Freshness::TooOld => "too_old",
            Freshness::NoData => "no_data",
        }
    }
}

impl Device {
    /// Moves committed records from the write-ahead log into the database
    /// file. Durability does not depend on it (a commit is on disk once in the
    /// WAL); the app calls it while idle, e.g. while the officer reads a
    /// verdict, so that this work never lands inside a check. SQLite also
    /// does it by itself when the WAL reaches 10,000 pages (about 40 MB).
    pub fn checkpoint(&self) -> Result<(), DeviceError> {
        self.store.checkpoint()
    }

    /// The log from `from_seq` on, at most `limit` records, in order.
    pub fn log(&self, from_seq: u64, limit: usize) -> Result<Vec<InspectionRecord>, DeviceError> {
        let mut out = Vec::new();
        self.store.visit(from_seq, |raw| {
            if out.len() >= limit {
                return Ok(false);
            }
            out.push(self.store.decode(&raw)?);
            Ok(true)
        })?;
        Ok(out)
    }

    /// Re-checks the whole log: sequence numbers 1, 2, 3… with no gap, every
    /// record readable, its stored columns equal to its body, each `prev_hash`
    /// the hash before, each hash recomputed.
    pub fn verify_chain(&self) -> Result<ChainReport, DeviceError> {
        // After pruning, the chain starts from the anchor: the hash of the last record gone.
        let (pruned, anchor) = self.store.prune_anchor()?;
        let mut expected_seq = pruned + 1;
        let mut prev: RecordHash = anchor;
        let mut broken = None;
        self.store.visit(0, |raw| {
            let problem = (|| {
                if u64::try_from(raw.seq).ok() != Some(expected_seq) {
                    return Some(format!("sequence number {} where {expected_seq} was expected", raw.seq));
                }
                let record = match self.store.decode(&raw) {
                    Ok(r) => r,
                    Err(e) => return Some(e.to_string()),
                };
                if record.seq != expected_seq || i64::from(record.at.unix_minutes()) != raw.at {
                    return Some("the stored columns differ from the record".into());
                }
                if record.prev_hash != prev {
                    return Some("its previous hash is not the hash of the record before".into());
                }
                if chain_hash(&prev, &raw.body) != record.hash {
                    return Some("its hash does not match its content".into());
                }
                prev = record.hash;
                None
            })();
            if let Some(problem) = problem {
                broken = Some(ChainBreak { seq: expected_seq, problem });
                return Ok(false);
            }
            expected_seq += 1;
            Ok(true)
        })?;
        Ok(ChainReport { records: expected_seq - 1 - pruned, broken })
    }

    /// The chain hash of the record at `seq`, if the phone still holds it.
    pub fn record_hash(&self, seq: u64) -> Result<Option<RecordHash>, DeviceError> {
        Ok(self.log(seq, 1)?.into_iter().find(|r| r.seq == seq).map(|r| r.hash))
    }

    /// The records waiting for upload, oldest first, at most `limit`.
    pub fn outbox(&self, limit: usize) -> Result<Vec<InspectionRecord>, DeviceError> {
        let mut out = Vec::new();
        for seq in self.store.outbox(limit)? {
            out.extend(self.log(seq, 1)?);
        }
        Ok(out)
    }

    /// Marks every record up to `up_to_seq` as received by the server; returns
    /// how many left the outbox. The log keeps them.
    pub fn ack(&mut self, up_to_seq: u64) -> Result<u64, DeviceError> {
        self.store.ack(up_to_seq)
    }

    /// Removes from the phone the records the server acknowledged that are
    /// older than [`LOG_RETENTION_MINUTES`] at `now` (a stolen phone then
    /// holds at most that much of other people's data); records waiting for
    /// upload always stay, and so does the newest record. The chain of what
    /// stays still verifies (`verify_chain`), from the anchor kept in its
    /// place. Returns how many records were removed. Run after each sync.
    ///
    /// Export files in the device directory's [`EXPORT_DIR`] older than the
    /// same retention are removed too: they hold the same records, and the
    /// outbox keeps whatever is not yet acknowledged.
    pub fn prune(&mut self, now: UtcMinute) -> Result<u64, DeviceError> {
        let before = UtcMinute::from_unix_minutes(now.unix_minutes().saturating_sub(LOG_RETENTION_MINUTES));
        let pruned = self.store.prune(before)?;
        prune_exports(&self.dir.join(EXPORT_DIR), before);
        Ok(pruned)
    }

    /// The last sequence number removed from the phone by [`Device::prune`] (0 when none).
    pub fn pruned_up_to(&self) -> Result<u64, DeviceError> {
        Ok(self.store.prune_anchor()?.0)
    }

    /// Records waiting for upload.
    pub fn outbox_len(&self) -> Result<u64, DeviceError> {
        self.store.outbox_len()
    }

    /// The next upload: the oldest contiguous run of the outbox, at most
    /// `limit` records (and at most [`MAX_BATCH_RECORDS`]), signed with the
    /// device key as an upload batch (`docs/sync-api.md` section 3). When the
    /// outbox is empty (or `limit` is 0): an empty batch, the status request.
    /// Nothing leaves the outbox here; only [`Device::ack`] removes records.
    pub fn upload_batch(&self, limit: usize, now: UtcMinute) -> Result<Vec<u8>, DeviceError> {
        let records = self.outbox_run(limit.min(MAX_BATCH_RECORDS))?;
        if records.is_empty() {
            return Ok(UploadBatch::sign_empty(&self.key, now, self.next_seq()?));
        }
        self.sign_batch(&records, now)
    }

    /// Writes the whole outbox as one signed batch file, the export a
    /// supervisor imports at the precinct (`POST /v1/imports`) when the device
    /// cannot reach the server. The file is written beside `path` and renamed
    /// into place once it is on disk, so `path` never holds half a file.
    ///
    /// A file holds at most [`MAX_BATCH_RECORDS`] records: with more in the
    /// outbox, the oldest are written and [`ExportReport::left_out`] says how
    /// many were not; export the rest with [`Device::export_from`] from
    /// `last_seq + 1`, or sync. Exporting acknowledges nothing: the records stay
    /// in the outbox until a sync (the server counts them as duplicates once
    /// the file was imported). An empty outbox gives a valid file of no records.
    pub fn export(&self, path: &Path, now: UtcMinute) -> Result<ExportReport, DeviceError> {
        self.export_from(path, 1, now)
    }

    /// Like [`Device::export`], from the outbox's record `from_seq` on (for
    /// an outbox of more than [`MAX_BATCH_RECORDS`] records).
    pub fn export_from(&self, path: &Path, from_seq: u64, now: UtcMinute) -> Result<ExportReport, DeviceError> {
        let last = self.store.last_seq()?;
        let waiting = self.store.outbox_len()?;
        let records = match self.store.outbox(1)?.first() {
            None => Vec::new(),
            Some(&first) => {
                // The outbox is the end of the log: a record enters it with its
                // append, and `ack` removes every record up to a sequence number.
                if last.checked_sub(first) != Some(waiting.saturating_sub(1)) {
                    return Err(self.damaged("the upload outbox is not the end of the inspection log".into()));
                }
                let records = self.log(first.max(from_seq), MAX_BATCH_RECORDS)?;
                self.check_run(&records, first.max(from_seq))?;
                records
            }
        };
        let bytes = if records.is_empty() {
            UploadBatch::sign_empty(&self.key, now, self.next_seq()?)
        } else {
            self.sign_batch(&records, now)?
        };
        write_atomically(path, &bytes)?;
        let last_seq = records.last().map(|r| r.seq);
        Ok(ExportReport {
            path: path.to_owned(),
            records: records.len(),
            first_seq: records.first().map(|r| r.seq),
            last_seq,
            bytes: bytes.len() as u64,
            left_out: last_seq.map_or(0, |written| last.saturating_sub(written)),
        })
    }

    /// The oldest contiguous run of the outbox, at most `limit` records.
    fn outbox_run(&self, limit: usize) -> Result<Vec<InspectionRecord>, DeviceError> {
        let seqs = self.store.outbox(limit)?;
        let Some(&first) = seqs.first() else {
            return Ok(Vec::new());
        };
        // The outbox is contiguous (see `export_from`); stop at a hole all the
        // same rather than sign a batch that would skip a record.
        let run = seqs.iter().zip(first..).take_while(|(&seq, expected)| seq == *expected).count();
        let records = self.log(first, run)?;
        self.check_run(&records, first)?;
        if records.len() != run {
            return Err(self.damaged("a record of the upload outbox is missing from the log".into()));
        }
        Ok(records)
    }

    fn check_run(&self, records: &[InspectionRecord], first: u64) -> Result<(), DeviceError> {
        match records.iter().zip(first..).find(|(r, seq)| r.seq != *seq) {
            Some((r, seq)) => {
                Err(self.damaged(format!("the log holds sequence number {} where {seq} was expected", r.seq)))
            }
            None => Ok(()),
        }
    }

    fn next_seq(&self) -> Result<u64, DeviceError> {
        // The log is numbered 1, 2, 3… with no gap (the oldest may have been pruned).
        Ok(self.store.last_seq()?.saturating_add(1))
    }

    fn sign_batch(&self, records: &[InspectionRecord], now: UtcMinute) -> Result<Vec<u8>, DeviceError> {
        UploadBatch::sign(&self.key, now, records).map_err(|e| match e {
            BatchError::Record { source, .. } => DeviceError::Record(source),
            other => self.damaged(format!("the outbox cannot be signed as a batch: {other}")),
        })
    }

    /// The device's standing at `now`, including a full chain check.
    pub fn status(&self, now: UtcMinute) -> Result<DeviceStatus, DeviceError> {
        let sync = self.store.sync_state()?;
        let age = self.data.as_ref().map(|d| now.minutes_since(d.server_minute()));
        let freshness = match (&self.data, age) {
            (Some(d), Some(age)) => {
                let f = &d.freshness;
                if age > i64::from(f.invalid_after_minutes) {
                    Freshness::TooOld
                } else if age > i64::from(f.strong_warn_after_minutes) {
                    Freshness::VeryStale
                } else if age > i64::from(f.warn_after_minutes) {
                    Freshness::Stale
                } else {
                    Freshness::Fresh
                }
            }
            _ => Freshness::NoData,
        };
        Ok(DeviceStatus {
            device_id: self.device_id(),
            bundle_version: self.data.as_ref().map(|d| d.version),
            trust_list_version: self.data.as_ref().map(|d| d.trust.version()),
            data_time: self.data.as_ref().map(Data::server_minute),
            data_age_minutes: age,
            freshness,
            last_sync: sync.last_sync_device,
            revocations: self.data.as_ref().map_or(0, |d| d.revocations.len()),
            log_records: self.store.log_len()?,
            outbox: self.store.outbox_len()?,
            chain: self.verify_chain()?,
            clock_suspect: sync.clock_suspect,
        })
    }
}

/// Removes the export files (`*.iczu`) in `folder` last written before
/// `before`.
fn prune_exports(folder: &Path, before: UtcMinute) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    let before = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::from(before.unix_minutes()) * 60);
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "iczu") {
            continue;
        }
        let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|at| at < before);
        if old {
            // One that cannot be removed now is tried again at the next prune.
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Writes `bytes` to a new file beside `path`, flushes it to disk, and renames
/// it to `path`, so that `path` holds either its old content or all of `bytes`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DeviceError> {
    use std::io::Write as _;
    let io = |source| DeviceError::Io { path: path.to_owned(), source };
    let name = path
        .file_name()
        .ok_or_else(|| io(std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path names no file")))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        let mut file = crate::keyfile::new_private_file().open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    // The rename is durable once the directory is flushed; a failure here
    // leaves a complete file either way, so it is not reported.
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = std::fs::File::open(parent) {
        let _ = dir.sync_all();
    }
    Ok(())
}
