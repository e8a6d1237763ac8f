//! The officer device core: offline verification of permits against data
//! synced from the server, and a tamper-evident inspection log.
//!
//! A [`Device`] lives in a directory: `device.key` (its Ed25519 key, mode
//! 0600) and `device.db` (SQLite: the pinned root key, the applied bundle,
//! the inspection log, the upload outbox). Bundles are verified against the
//! pinned root and refused when rolled back; every check is logged, hash
//! chained and committed to disk before its verdict is returned.
//!
//! ```
//! use icaze_core::*;
//! use icaze_device::*;
//!
//! let at = |s| UtcMinute::parse_rfc3339(s).unwrap();
//! // The authority: a root key vouches for an SMS issuer key and the sync key.
//! let (root, sms, sync) = (SecretKey::from_seed(&[1; 32]), SecretKey::from_seed(&[2; 32]), SecretKey::from_seed(&[4; 32]));
//! let key = |id, k: &SecretKey, purposes, may_sign_bundles| TrustedKey {
//!     id: KeyId(id),
//!     public_key: k.public_key(),
//!     valid_from: at("2020-12-01T00:00:00Z"),
//!     valid_until: at("2021-02-01T00:00:00Z"),
//!     purposes,
//!     revoked: false,
//!     may_sign_bundles,
//!     label: format!("key-{id}"),
//! };
//! let trust = TrustList::new(1, at("2020-12-01T00:00:00Z"), vec![
//!     key(1, &sms, PurposeSet::of(&[Purpose::Medical, Purpose::Necessities]), false),
//!     key(4, &sync, PurposeSet::default(), true),
//! ])?;
//! // The server: a bundle with the regime of 14 December 2020 over zone 1, and one revoked serial.
//! let bundle = BundleContents {
//!     version: 1,
//!     base_version: None,
//!     server_time_unix_seconds: at("2020-12-15T09:00:00+04:00").unix_seconds() as u64,
//!     trust_list: trust.sign(&root),
//!     regimes: vec![BundleRegime {
//!         id: "2020-12-14".into(),
//!         name: "Special quarantine regime".into(),
//!         start: at("2020-12-14T00:00:00+04:00"),
//!         end: at("2021-01-31T06:00:00+04:00"),
//!         scope: RegimeScope::Listed,
//!         zones: vec![BundleZone { id: ZoneId::new(1).unwrap(), name_az: "Bakı".into(), name_ru: "Баку".into(), name_en: "Baku".into() }],
//!         purposes: PurposeSet::of(&[Purpose::Medical, Purpose::Necessities, Purpose::Funeral, Purpose::Work]),
//!     }],
//!     freshness: FreshnessPolicy::default(),
//!     revocations: RevocationSet::from_serials([7]),
//!     sections: Default::default(),
//! }
//! .sign(&sync, KeyId(4));
//!
//! // The officer's device, offline, with the bundle from a precinct file.
//! let dir = tempfile::tempdir()?;
//! let config = InitConfig { root: root.public_key(), server: None, officer: None };
//! let mut device = Device::init(dir.path(), &config, at("2020-12-15T09:30:00+04:00"))?;
//! device.import_bundle(&bundle, at("2020-12-15T09:30:00+04:00"))?;
//!
//! let claims = PermitClaims::new(ClaimsSpec {
//!     serial: PermitSerial(42),
//!     document: DocumentNumber::parse("AZE11111111")?,
//!     purpose: Purpose::Necessities,
//!     zones: vec![ZoneId::new(1).unwrap()],
//!     issued_at: at("2020-12-15T10:00:00+04:00"),
//!     valid_from: at("2020-12-15T10:00:00+04:00"),
//!     valid_until: at("2020-12-15T13:00:00+04:00"),
//!     vehicle: None,
//! })?;
//! let sms_text = format!("AZE11111111 15.12 10:00-13:00 {}", issue(&sms, KeyId(1), &claims).to_text());
//! let scene = Scene {
//!     at: at("2020-12-15T11:00:00+04:00"),
//!     zone: ZoneId::new(1).unwrap(),
//!     officer: OfficerBadge::new("B-1042")?,
//!     location: None,
//! };
//! let verdict = device.check(&sms_text, &scene, &Notes::default())?;
//! assert_eq!(verdict.kind, VerdictKind::Valid);
//! assert_eq!(verdict.display, Display::Valid);
//! assert_eq!(verdict.issued_minutes_ago, Some(60));
//! assert_eq!(verdict.seq, Some(1), "logged before it was returned");
//! assert!(device.verify_chain()?.is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The sync client ([`SyncClient`]) uploads the outbox in signed batches
//! ([`Device::upload_batch`]), acknowledges what the server holds
//! ([`Device::ack`]) and applies the bundle it fetches
//! ([`Device::apply_bundle`]); [`Device::export`] writes the outbox to a file
//! for a precinct when the device cannot reach the server.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod answers;
pub mod cards;
mod device;
mod error;
mod keyfile;
mod manual;
mod scene;
mod store;
pub use icaze_client::supervisor;
mod sync;
mod verdict;

pub use device::{
    BundleApplied, ChainBreak, ChainReport, Device, DeviceStatus, ExportReport, Freshness, InitConfig, Notes, DB_FILE,
    EXPORT_DIR, KEY_FILE, LOG_RETENTION_MINUTES, SERVER_CA_FILE,
};
pub use error::{DeviceError, StorageError};
pub use icaze_client::transport::pinned_certificates;
pub use icaze_protocol::{
    chain_hash, BadBadge, DeviceId, EnrollmentCode, EnrollmentCodeError, InputKind, InspectionRecord, Location,
    OfficerBadge, Outcome, RecordError, RecordHash, RecordId, GENESIS_HASH, HASH_PREFIX, MAX_ITEMS, MAX_NOTE,
    MAX_SHORT, RECORD_FORMAT,
};
pub use manual::ManualCheck;
pub use scene::Scene;
pub use sync::{
    BundleOutcome, Enrollment, SyncClient, SyncConfig, SyncError, SyncReport, UploadAnswer, PARTIAL_BUNDLE_FILE,
    PARTIAL_BUNDLE_META,
};
pub use verdict::{DeviceVerdict, Display, VerdictKind};
