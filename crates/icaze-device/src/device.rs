//! The device: its store, its key, the data in memory, and the operations the
//! app, the CLI and the tests call.

mod bundle;
mod check;
mod log;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use icaze_core::{BundleZone, PublicKey, RevocationSet, SecretKey, UtcMinute, VerifiedBundle, ZoneId};

use crate::error::DeviceError;
use crate::keyfile::{create_key_file, read_key_file};
use crate::store::{DeviceRow, Store};
use crate::verdict::Data;
use icaze_protocol::{DeviceId, EnrollmentCode, OfficerBadge};

pub use self::bundle::BundleApplied;
pub use self::log::{ChainBreak, ChainReport, DeviceStatus, ExportReport, Freshness};

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
                let replaced = RevocationSet::decode(&b.replaced)
                    .map_err(|e| damaged(format!("the stored set of replaced permits does not read: {e}")))?;
                if bundle.contents().version != b.version {
                    return Err(damaged("the stored bundle's version does not match its row".into()));
                }
                Some(data_of(&bundle, revocations, replaced))
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

    /// The directory's database path, for tools that inspect the file.
    pub fn db_path(dir: &Path) -> PathBuf {
        dir.join(DB_FILE)
    }

    fn damaged(&self, detail: String) -> DeviceError {
        DeviceError::Damaged { path: self.dir.join(DB_FILE), detail }
    }
}

fn data_of(bundle: &VerifiedBundle, revocations: RevocationSet, replaced: RevocationSet) -> Data {
    let c = bundle.contents();
    Data {
        version: c.version,
        server_time_unix_seconds: c.server_time_unix_seconds,
        trust: bundle.trust_list().clone(),
        regimes: c.regimes.clone(),
        freshness: c.freshness,
        revocations,
        replaced,
    }
}
