//! The Icaze permit token and its trust chain: everything that is signed by
//! the authority and checked offline by an officer's device.
//!
//! A permit is a packed binary payload (17 bytes for a typical SMS permit)
//! followed by an Ed25519 signature, carried as text in an SMS (`IZ2…`, GSM-7
//! safe) or as digits in a QR code. Issuers write format v2; format v1
//! (`IZ1…`) is still read. An offline root key signs a
//! [`TrustList`] of issuer keys; a device pins the root and accepts a permit
//! only through that list. The byte layout is specified in
//! `docs/token-format.md`.
//!
//! This crate does no I/O and reads no clock: keys, trust lists and the
//! current time are passed in.
//!
//! ```
//! use icaze_core::*;
//!
//! // The authority: an offline root key vouches for an SMS issuer key.
//! let root = SecretKey::from_seed(&[1; 32]);
//! let sms_key = SecretKey::from_seed(&[2; 32]);
//! let at = |s| UtcMinute::parse_rfc3339(s).unwrap();
//! let trust = TrustList::new(1, at("2020-12-01T00:00:00Z"), vec![TrustedKey {
//!     id: KeyId(1),
//!     public_key: sms_key.public_key(),
//!     valid_from: at("2020-12-01T00:00:00Z"),
//!     valid_until: at("2021-02-01T00:00:00Z"),
//!     purposes: PurposeSet::of(&[Purpose::Medical, Purpose::Necessities]),
//!     revoked: false,
//!     may_sign_bundles: false,
//!     label: "sms-2020-12".into(),
//! }])?;
//! let trust_file = trust.sign(&root);
//!
//! // A citizen's SMS permit for three hours in zone 1.
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
//! let text = issue(&sms_key, KeyId(1), &claims).to_text();
//! assert!(text.starts_with("IZ2") && text.len() <= 112);
//!
//! // An officer's device, offline, with the pinned root and the synced list.
//! let trust = TrustList::verify_bytes(&trust_file, &root.public_key())?;
//! let sms = format!("AZE11111111 15.12 10:00-13:00 {text}");
//! let check = Check { at: at("2020-12-15T11:30:00+04:00"), zone: ZoneId::new(1) };
//! let verdict = evaluate(&sms, &trust, &check);
//! assert_eq!(verdict.status, Status::Valid);
//! assert_eq!(verdict.permit.unwrap().claims().document().canonical(), "AZE11111111");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bits;
mod bundle;
mod claims;
mod document;
mod error;
mod permit;
mod revocation;
mod sign;
mod text;
mod time;
mod trust;
mod verdict;
mod wire;
mod wire2;

pub use bundle::{
    AuthorisedOrganisation, AuthorisedOrganisations, TaxId, MAX_ORGANISATIONS, MAX_ORGANISATION_NAME_LEN,
    MAX_ORGANISATION_ZONES, MAX_SECTORS, MAX_SECTOR_LEN,
};
pub use bundle::{
    BundleContents, BundleError, BundleFormat, BundleRegime, BundleSections, BundleZone, FreshnessPolicy, RegimeScope,
    VerifiedBundle, MAX_BUNDLE_LEN, MAX_REGIMES, MAX_REGIME_ID_LEN, MAX_REGIME_NAME_LEN, MAX_TRUST_LIST_LEN,
    MAX_ZONE_NAME_LEN, SECTION_ORGANISATIONS, SECTION_REPLACED,
};
pub use claims::{
    ClaimsError, ClaimsSpec, KeyId, PermitClaims, PermitSerial, Purpose, PurposeSet, VehiclePlate, ZoneId, MAX_ZONES,
};
pub use document::{DocumentError, DocumentKind, DocumentNumber, MAX_DIGITS, MAX_SERIES_LETTERS};
pub use error::{ParseError, VerifyError};
pub use permit::{issue, issue_as, Token, UnverifiedPermit, VerifiedPermit};
pub use revocation::{RevocationDecodeError, RevocationSet};
pub use sign::{BadPublicKey, Domain, PublicKey, SecretKey, PUBLIC_KEY_LEN, SIGNATURE_LEN};
pub use text::SMS_PREFIX;
pub use time::{civil_from_days, BakuTime, TimeParseError, UtcMinute, BAKU_OFFSET_MINUTES};
pub use trust::{TrustList, TrustListError, TrustedKey};
pub use verdict::{evaluate, judge, Check, Reason, Status, Verdict};
pub use wire::{Format, VERSION};
