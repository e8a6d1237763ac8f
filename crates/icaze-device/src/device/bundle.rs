//! A bundle applied to the device: fetched by a sync, or imported from a file.

use icaze_core::{UtcMinute, VerifiedBundle};

use super::{data_of, Device};
use crate::error::DeviceError;
use crate::store::{BundleRow, SyncRow};
use crate::verdict::{clock, server_minute};

/// Where a bundle came from; it decides what its server time says about the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Fetched from the server just now: its time is the current time.
    Sync,
    /// Read from a file made earlier: its time is a lower bound only.
    File,
}

/// A bundle that was applied; also the app's answer to a bundle import.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct BundleApplied {
    /// The new version.
    pub version: u64,
    /// Whether it was a delta (applied to the previous version).
    pub delta: bool,
    /// Revoked serials held now.
    pub revocations: usize,
    /// Whether the clock is suspected after this bundle.
    pub clock_suspicious: bool,
    /// Authorised organisations held now (for the service-card check).
    pub organisations: u64,
}

impl Device {
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
        let replaced = &contents.sections.replaced;
        let (revocations, replaced) = match contents.base_version {
            None => (contents.revocations.clone(), replaced.clone()),
            Some(base) => match &self.data {
                Some(current) if current.version == base => {
                    (current.revocations.union(&contents.revocations), current.replaced.union(replaced))
                }
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
            replaced: replaced.encode(),
        };
        let sync = SyncRow {
            last_sync_device: Some(device_now),
            last_sync_server: Some(contents.server_time_unix_seconds),
            clock_suspect,
        };
        // A delta without the section keeps the list (the server leaves it out
        // when it did not change since the base). A full bundle without it (a
        // server before issue 23) holds none: a full bundle stands alone, and a
        // list it does not vouch for could show an organisation removed since
        // as authorised, where no list answers `unknown`.
        let none = icaze_core::AuthorisedOrganisations::default();
        let organisations = match (&contents.sections.organisations, contents.base_version) {
            (Some(list), _) => Some(list),
            (None, Some(_)) => None,
            (None, None) => Some(&none),
        };
        self.store.save_bundle(&row, &sync, organisations)?;
        let applied = BundleApplied {
            version: contents.version,
            delta: contents.base_version.is_some(),
            revocations: revocations.len(),
            clock_suspicious: sync.clock_suspect.is_some(),
            organisations: self.store.organisation_count()?,
        };
        self.data = Some(data_of(&bundle, revocations, replaced));
        self.clock_suspect = sync.clock_suspect;
        Ok(applied)
    }
}
