//! The device: its store, its key, the data in memory, and the operations the
//! app, the CLI and the tests call.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use icaze_core::{BundleZone, PublicKey, RevocationSet, SecretKey, UtcMinute, VerifiedBundle, ZoneId};
use serde_json::{json, Value};

use crate::error::DeviceError;
use crate::keyfile::{create_key_file, read_key_file};
use crate::manual::ManualCheck;
use crate::scene::Scene;
use crate::store::{BundleRow, DeviceRow, LogTip, Store, SyncRow};
use crate::verdict::{clock, evaluate, server_minute, ClockFacts, Data, DeviceVerdict};
use icaze_protocol::{
    chain_hash, BatchError, DeviceId, EnrollmentCode, InputKind, InspectionRecord, OfficerBadge, Outcome, RecordHash,
    RecordId, UploadBatch, GENESIS_HASH, MAX_BATCH_RECORDS,
};

/// The database file in a device directory.
pub const DB_FILE: &str = "device.db";
/// The device key file in a device directory (mode 0600).
pub const KEY_FILE: &str = "device.key";

/// How long a record stays on the phone once the server has it: three days,
/// so the officer can still show the last shifts' checks, while a stolen
/// phone holds little of other people's data (`docs/security.md` section 4).
pub const LOG_RETENTION_MINUTES: u32 = 3 * 24 * 60;

/// The folder of the device directory where the app writes export files for
/// the precinct; [`Device::prune`] removes those older than the log keeps.
pub const EXPORT_DIR: &str = "exports";

/// What a new device is set up with.
#[derive(Debug, Clone)]
pub struct InitConfig {
    /// The authority's root public key, pinned for the device's life.
    pub root: PublicKey,
    /// The sync server's address, if known.
    pub server: Option<String>,
    /// The officer the device is issued to, the default for inspections.
    pub officer: Option<OfficerBadge>,
}

/// The file in a device's directory of the pinned server certificate.
pub const SERVER_CA_FILE: &str = "server-ca.pem";

/// What the officer adds to a check's record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    /// What the officer did, e.g. `let_pass`, `turned_back`.
    pub action: Option<String>,
    /// A free note.
    pub note: Option<String>,
}

/// Where a bundle came from; it decides what its server time says about the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Fetched from the server just now: its time is the current time.
    Sync,
    /// Read from a file made earlier: its time is a lower bound only.
    File,
}

/// A bundle that was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleApplied {
    /// The new version.
    pub version: u64,
    /// Whether it was a delta (applied to the previous version).
    pub delta: bool,
    /// Revoked serials held now.
    pub revocations: usize,
    /// Whether the clock is suspected after this bundle.
    pub clock_suspicious: bool,
}

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
    /// `fresh`, `stale`, `very_stale`, `too_old` or `no_data`.
    pub freshness: &'static str,
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
    /// The JSON shape `icaze device status` prints.
    pub fn to_json(&self) -> Value {
        json!({
            "device_id": self.device_id.to_string(),
            "bundle_version": self.bundle_version,
            "trust_list_version": self.trust_list_version,
            "data_time": self.data_time.map(|t| t.baku().to_rfc3339()),
            "data_age_minutes": self.data_age_minutes,
            "freshness": self.freshness,
            "last_sync": self.last_sync.map(|t| t.baku().to_rfc3339()),
            "revocations": self.revocations,
            "log_records": self.log_records,
            "outbox": self.outbox,
            "chain_ok": self.chain.is_ok(),
            "chain_problem": self.chain.broken.as_ref().map(|b| json!({ "seq": b.seq, "problem": b.problem })),
            "clock_suspect": self.clock_suspect,
        })
    }
}

/// An officer's device: the pinned root, the applied data, the inspection log.
pub struct Device {
    dir: PathBuf,
    store: Store,
    key: SecretKey,
    root: PublicKey,
    server: Option<String>,
    officer: Option<OfficerBadge>,
    // Invariant: equal to what the store's bundle row holds, verified against `root`.
    data: Option<Data>,
    // A copy of the store's clock suspicion, for `evaluate_unlogged`; `check`
    // reads the stored one inside its transaction.
    clock_suspect: Option<String>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("id", &self.device_id())
            .field("bundle_version", &self.data.as_ref().map(|d| d.version))
            .finish_non_exhaustive()
    }
}

fn new_record_id() -> Result<RecordId, DeviceError> {
    let mut id = [0; 16];
    getrandom::getrandom(&mut id).map_err(|e| DeviceError::Random(e.to_string()))?;
    Ok(RecordId(id))
}

impl Device {
    /// Sets up a new device in `dir` (created if missing; must hold no device):
    /// makes the device key (`device.key`, mode 0600) and the database.
    pub fn init(dir: &Path, config: &InitConfig, now: UtcMinute) -> Result<Self, DeviceError> {
        std::fs::create_dir_all(dir).map_err(|source| DeviceError::Io { path: dir.to_owned(), source })?;
        let (db, key_path) = (dir.join(DB_FILE), dir.join(KEY_FILE));
        if db.exists() || key_path.exists() {
            return Err(DeviceError::AlreadyExists(dir.to_owned()));
        }
        let key = create_key_file(&key_path)?;
        let created = (|| {
            let mut store = Store::create(&db)?;
            let row = DeviceRow {
                root: config.root,
                device_public: key.public_key().to_bytes(),
                server: config.server.clone(),
                officer: config.officer.as_ref().map(|o| o.as_str().to_owned()),
            };
            store.insert_device(&row, now)?;
            Ok::<_, DeviceError>(store)
        })();
        let store = match created {
            Ok(store) => store,
            Err(e) => {
                // Leave no half-made device behind: the key was ours, just made.
                let _ = std::fs::remove_file(&key_path);
                let _ = std::fs::remove_file(&db);
                return Err(e);
            }
        };
        Ok(Self {
            dir: dir.to_owned(),
            store,
            key,
            root: config.root,
            server: config.server.clone(),
            officer: config.officer.clone(),
            data: None,
            clock_suspect: None,
        })
    }

    /// Opens the device in `dir`, re-verifying its stored bundle against the pinned root.
    pub fn open(dir: &Path) -> Result<Self, DeviceError> {
        let db = dir.join(DB_FILE);
        if !db.exists() {
            return Err(DeviceError::NotADevice(dir.to_owned()));
        }
        let store = Store::open(&db)?;
        let row = store.device()?;
        let key_path = dir.join(KEY_FILE);
        let key = read_key_file(&key_path)?;
        if key.public_key().to_bytes() != row.device_public {
            return Err(DeviceError::KeyFile(key_path));
        }
        let damaged = |detail: String| DeviceError::Damaged { path: db.clone(), detail };
        let data = match store.bundle()? {
            None => None,
            Some(b) => {
                let bundle = VerifiedBundle::verify(&b.signed_bundle, &row.root)
                    .map_err(|e| damaged(format!("the stored bundle no longer verifies: {e}")))?;
                let revocations = RevocationSet::decode(&b.revocations)
                    .map_err(|e| damaged(format!("the stored revocation set does not read: {e}")))?;
                if bundle.contents().version != b.version {
                    return Err(damaged("the stored bundle's version does not match its row".into()));
                }
                Some(data_of(&bundle, revocations))
            }
        };
        let officer = row.officer.as_deref().map(OfficerBadge::new).transpose().map_err(|e| damaged(e.to_string()))?;
        let clock_suspect = store.sync_state()?.clock_suspect;
        Ok(Self { dir: dir.to_owned(), store, key, root: row.root, server: row.server, officer, data, clock_suspect })
    }

    /// The device id.
    pub fn device_id(&self) -> DeviceId {
        DeviceId::of(&self.key.public_key())
    }

    /// The enrollment code to show the supervisor.
    pub fn enrollment_code(&self) -> EnrollmentCode {
        EnrollmentCode::of(&self.key.public_key())
    }

    /// The device directory (where the sync client keeps a partial download).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The pinned root key.
    pub fn root(&self) -> &PublicKey {
        &self.root
    }

    /// The sync server's address given at init.
    pub fn server(&self) -> Option<&str> {
        self.server.as_deref()
    }

    /// Pins the sync server's certificate, or its CA's (PEM, as
    /// `icaze device init --server-ca` reads it from the enrollment): from
    /// now on [`crate::SyncClient::for_device`] trusts it alone and speaks
    /// `https://` only. Kept in [`SERVER_CA_FILE`], replaced whole.
    pub fn pin_server_ca(&self, pem: &str) -> Result<(), DeviceError> {
        icaze_client::transport::pinned_certificates(pem).map_err(DeviceError::ServerCertificate)?;
        let path = self.dir.join(SERVER_CA_FILE);
        let tmp = self.dir.join(format!("{SERVER_CA_FILE}.tmp"));
        let io = |source| DeviceError::Io { path: path.clone(), source };
        std::fs::write(&tmp, pem).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(())
    }

    /// The pinned server certificate ([`Device::pin_server_ca`]), if any.
    pub fn server_ca(&self) -> Result<Option<String>, DeviceError> {
        let path = self.dir.join(SERVER_CA_FILE);
        match std::fs::read_to_string(&path) {
            Ok(pem) => Ok(Some(pem)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(DeviceError::Io { path, source }),
        }
    }

    /// The officer given at init.
    pub fn officer(&self) -> Option<&OfficerBadge> {
        self.officer.as_ref()
    }

    /// The applied bundle version, if any.
    pub fn bundle_version(&self) -> Option<u64> {
        self.data.as_ref().map(|d| d.version)
    }

    /// The revoked serials held (merged across deltas).
    pub fn revocations(&self) -> Option<&RevocationSet> {
        self.data.as_ref().map(|d| &d.revocations)
    }

    /// The zones of the applied bundle with their names, for the officer to
    /// pick and read: those of the regimes in force at `now`, or of every
    /// regime in the bundle when none is (one announced but not started, one
    /// just ended), so that zones can still be named. One entry per id, in id
    /// order; where two regimes name a zone differently, the earlier regime in
    /// the bundle wins. Empty before the first bundle.
    ///
    /// The names are for people only. Nothing here limits the zone a check is
    /// made in: a zone the bundle does not name (a village outside a listed
    /// regime's towns, or one a whole-country regime restricts without naming
    /// it) is checked by its number like any other.
    pub fn zones(&self, now: UtcMinute) -> Vec<BundleZone> {
        let Some(data) = &self.data else { return Vec::new() };
        let in_force: Vec<_> = data.regimes.iter().filter(|r| r.in_force(now)).collect();
        let regimes = if in_force.is_empty() { data.regimes.iter().collect() } else { in_force };
        let mut zones: BTreeMap<ZoneId, &BundleZone> = BTreeMap::new();
        for zone in regimes.into_iter().flat_map(|r| &r.zones) {
            zones.entry(zone.id).or_insert(zone);
        }
        zones.into_values().cloned().collect()
    }

    /// Applies a bundle fetched from the sync server just now, `device_now`
    /// being the device's clock. Checks the clock against the server's time:
    /// more than the policy's drift apart flags it until a later sync sees it right.
    pub fn apply_bundle(&mut self, bytes: &[u8], device_now: UtcMinute) -> Result<BundleApplied, DeviceError> {
        self.apply(bytes, device_now, Source::Sync)
    }

    /// Applies a bundle from a file (a precinct's offline copy). Its server time
    /// is only a lower bound of the current time: a device clock before it is
    /// flagged, and no file clears a clock suspicion (only a live sync can).
    pub fn import_bundle(&mut self, bytes: &[u8], device_now: UtcMinute) -> Result<BundleApplied, DeviceError> {
        self.apply(bytes, device_now, Source::File)
    }

    fn apply(&mut self, bytes: &[u8], device_now: UtcMinute, source: Source) -> Result<BundleApplied, DeviceError> {
        let bundle = VerifiedBundle::verify(bytes, &self.root)?;
        let contents = bundle.contents();
        let trust_version = bundle.trust_list().version();
        if let Some(current) = &self.data {
            if trust_version < current.trust.version() {
                return Err(DeviceError::TrustListRollback {
                    current: current.trust.version(),
                    offered: trust_version,
                });
            }
            // A newer trust list, signed by the offline root, opens a new epoch of
            // bundle versions: the one way back for devices to which a leaked sync
            // key pushed a bundle of version 2^63 - 1, after which every real bundle
            // would be refused as a rollback. The rotation that revokes the leaked
            // key makes that newer list (`docs/security.md`, section 8); within an
            // epoch, versions only rise.
            let new_epoch = trust_version > current.trust.version();
            if contents.version <= current.version && !new_epoch {
                return Err(DeviceError::Rollback { current: current.version, offered: contents.version });
            }
        }
        let revocations = match contents.base_version {
            None => contents.revocations.clone(),
            Some(base) => match &self.data {
                Some(current) if current.version == base => current.revocations.union(&contents.revocations),
                current => {
                    return Err(DeviceError::NeedFullBundle { base, current: current.as_ref().map(|d| d.version) })
                }
            },
        };
        let drift = i64::from(contents.freshness.max_clock_drift_minutes);
        let ahead = device_now.minutes_since(server_minute(contents.server_time_unix_seconds));
        let previous = self.store.sync_state()?;
        let clock_suspect = match source {
            Source::Sync if ahead.abs() > drift => Some(clock::DRIFT.to_owned()),
            Source::Sync => None,
            Source::File if ahead < -drift => Some(clock::BEHIND_DATA.to_owned()),
            Source::File => previous.clock_suspect,
        };
        let encoded = revocations.encode();
        let row = BundleRow {
            version: contents.version,
            server_time: contents.server_time_unix_seconds,
            trust_list_version: trust_version,
            trust_list: contents.trust_list.clone(),
            signed_bundle: bytes.to_vec(),
            revocations: encoded,
            revocation_count: revocations.len() as u64,
            applied_at: device_now,
        };
        let sync = SyncRow {
            last_sync_device: Some(device_now),
            last_sync_server: Some(contents.server_time_unix_seconds),
            clock_suspect,
        };
        self.store.save_bundle(&row, &sync)?;
        let applied = BundleApplied {
            version: contents.version,
            delta: contents.base_version.is_some(),
            revocations: revocations.len(),
            clock_suspicious: sync.clock_suspect.is_some(),
        };
        self.data = Some(data_of(&bundle, revocations));
        self.clock_suspect = sync.clock_suspect;
        Ok(applied)
    }

    /// Judges `text` without recording it: for benchmarks and previews only.
    /// An inspection must go through [`Device::check`], which logs it first.
    pub fn evaluate_unlogged(&self, text: &str, scene: &Scene) -> DeviceVerdict {
        let clock = ClockFacts { suspect: self.clock_suspect.as_deref(), newest_logged: None };
        evaluate(self.data.as_ref(), text, scene, &clock).0
    }

    /// Checks a permit text (a token, QR digits or a whole SMS) and records the
    /// inspection. The record is committed durably before the verdict is
    /// returned; if it cannot be, the error is returned and no verdict.
    pub fn check(&mut self, text: &str, scene: &Scene, notes: &Notes) -> Result<DeviceVerdict, DeviceError> {
        let data = self.data.as_ref();
        let (record, verdict) = self.store.append(|tip: &LogTip| {
            let facts = ClockFacts { suspect: tip.clock_suspect.as_deref(), newest_logged: tip.newest_at };
            let (verdict, suspicion) = evaluate(data, text, scene, &facts);
            let claims = verdict.permit.as_ref().map(|p| p.claims());
            let record = InspectionRecord {
                id: new_record_id()?,
                seq: 0,
                at: scene.at,
                officer: scene.officer.clone(),
                zone: scene.zone,
                location: scene.location,
                input: InputKind::of_text(text),
                serial: claims.map(|c| c.serial()),
                document: claims.map(|c| c.document().canonical()),
                outcome: Some(Outcome {
                    verdict: verdict.kind.code().to_owned(),
                    display: verdict.display.code().to_owned(),
                    reasons: verdict.reasons.iter().map(|r| r.code.to_owned()).collect(),
                    warnings: verdict.warnings.iter().map(|r| r.code.to_owned()).collect(),
                }),
                action: notes.action.clone(),
                note: notes.note.clone(),
                details: vec![],
                prev_hash: GENESIS_HASH,
                hash: GENESIS_HASH,
            };
            let suspect_now = tip.clock_suspect.clone().or_else(|| suspicion.map(str::to_owned));
            Ok((record, suspicion.map(str::to_owned), (verdict, suspect_now)))
        })?;
        let (mut verdict, suspect_now) = verdict;
        self.clock_suspect = suspect_now;
        verdict.seq = Some(record.seq);
        Ok(verdict)
    }

    /// Records a check without a token. Committed durably before it returns.
    pub fn record_manual(
        &mut self,
        check: &ManualCheck,
        scene: &Scene,
        notes: &Notes,
    ) -> Result<InspectionRecord, DeviceError> {
        let fields = check.fields(notes.note.as_deref())?;
        let (record, ()) = self.store.append(|_tip: &LogTip| {
            let record = InspectionRecord {
                id: new_record_id()?,
                seq: 0,
                at: scene.at,
                officer: scene.officer.clone(),
                zone: scene.zone,
                location: scene.location,
                input: fields.input,
                serial: None,
                document: fields.document,
                outcome: None,
                action: notes.action.clone(),
                note: fields.note,
                details: fields.details,
                prev_hash: GENESIS_HASH,
                hash: GENESIS_HASH,
            };
            Ok((record, None, ()))
        })?;
        Ok(record)
    }

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

    fn damaged(&self, detail: String) -> DeviceError {
        DeviceError::Damaged { path: self.dir.join(DB_FILE), detail }
    }

    /// The device's standing at `now`, including a full chain check.
    pub fn status(&self, now: UtcMinute) -> Result<DeviceStatus, DeviceError> {
        let sync = self.store.sync_state()?;
        let age = self.data.as_ref().map(|d| now.minutes_since(d.server_minute()));
        let freshness = match (&self.data, age) {
            (Some(d), Some(age)) => {
                let f = &d.freshness;
                if age > i64::from(f.invalid_after_minutes) {
                    "too_old"
                } else if age > i64::from(f.strong_warn_after_minutes) {
                    "very_stale"
                } else if age > i64::from(f.warn_after_minutes) {
                    "stale"
                } else {
                    "fresh"
                }
            }
            _ => "no_data",
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

    /// The directory's database path, for tools that inspect the file.
    pub fn db_path(dir: &Path) -> PathBuf {
        dir.join(DB_FILE)
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

fn data_of(bundle: &VerifiedBundle, revocations: RevocationSet) -> Data {
    let c = bundle.contents();
    Data {
        version: c.version,
        server_time_unix_seconds: c.server_time_unix_seconds,
        trust: bundle.trust_list().clone(),
        regimes: c.regimes.clone(),
        freshness: c.freshness,
        revocations,
    }
}
