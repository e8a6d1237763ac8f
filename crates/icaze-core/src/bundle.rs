//! The signed sync bundle: what an officer's device learns from the server.
//!
//! A bundle carries the root-signed trust list, the regimes with their zones,
//! the freshness policy, the revoked permit serials (all of them, or those
//! added since an earlier bundle), the server's clock and, from format 2,
//! tagged sections (`sections.rs`: the serials a newer permit replaced, the authorised organisations). It is signed by the
//! server's online bundle key, which the embedded trust list must name with
//! the flag "may sign sync bundles"; the device pins only the offline root.
//! The byte layout, the checks and their order are in `docs/bundle-format.md`.
//!
//! Parsing and signing are here; applying a bundle is the device's job.
//! [`VerifiedBundle::verify`] does **not** check rollback (that `version` is
//! above the one the device holds, or that a delta's `base_version` is the one
//! it holds) nor freshness (how old `server_time` is): the device knows what
//! it has and what time it is, this crate does not.

use std::fmt;

mod sections;

use sections::RawSections;
pub use sections::{BundleSections, SECTION_ORGANISATIONS, SECTION_REPLACED};

use crate::claims::{KeyId, PurposeSet, ZoneId};
use crate::revocation::{RevocationDecodeError, RevocationSet};
use crate::sign::{Domain, PublicKey, SecretKey, SIGNATURE_LEN};
use crate::time::UtcMinute;
use crate::trust::{TrustList, TrustListError};

mod organisations;

pub use organisations::{
    AuthorisedOrganisation, AuthorisedOrganisations, TaxId, MAX_ORGANISATIONS, MAX_ORGANISATION_NAME_LEN,
    MAX_ORGANISATION_ZONES, MAX_SECTORS, MAX_SECTOR_LEN,
};

const MAGIC: &[u8; 4] = b"IZSB";
const FORMAT_1: u8 = 1;
const FORMAT_2: u8 = 2;
const KIND_FULL: u8 = 0;
const KIND_DELTA: u8 = 1;
const SCOPE_EVERYWHERE: u8 = 0;
const SCOPE_LISTED: u8 = 1;

/// The largest bundle accepted, in bytes (64 MiB). A full bundle's size is
/// mostly its revocation set, about one byte per revoked serial at the
/// densities of a country (ten million serials: about 10 MB), so this leaves
/// room for several times that while bounding what a device reads and
/// allocates from a file or the network.
pub const MAX_BUNDLE_LEN: usize = 64 << 20;
/// The largest embedded trust list, in bytes: a list of 255 keys with
/// 32-byte labels takes 19 717 bytes.
pub const MAX_TRUST_LIST_LEN: usize = 32 << 10;
/// The most regimes a bundle carries (current and announced).
pub const MAX_REGIMES: usize = 64;
/// The longest regime id, in bytes of printable ASCII.
pub const MAX_REGIME_ID_LEN: usize = 32;
/// The longest regime name, in bytes of UTF-8.
pub const MAX_REGIME_NAME_LEN: usize = 200;
/// The longest zone name in one language, in bytes of UTF-8.
pub const MAX_ZONE_NAME_LEN: usize = 100;

/// How old synced data may be before the device warns, and before it stops
/// showing any permit as valid. All in minutes since the server time of the
/// last bundle applied.
///
/// Revocations matter within hours, so the defaults are tight: a warning
/// after 6 hours, a strong warning after a day, and no `valid` verdict after
/// 3 days (Ontario's verifier app warned at 4 days and blocked at 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshnessPolicy {
    /// Data older than this: a warning with every verdict.
    pub warn_after_minutes: u32,
    /// Data older than this: a strong warning.
    pub strong_warn_after_minutes: u32,
    /// Data older than this: no permit is shown as valid.
    pub invalid_after_minutes: u32,
    /// The largest difference between the device's clock and the server's
    /// (as learnt at sync) the device tolerates before it distrusts its clock.
    pub max_clock_drift_minutes: u32,
}

impl Default for FreshnessPolicy {
    fn default() -> Self {
        Self {
            warn_after_minutes: 6 * 60,
            strong_warn_after_minutes: 24 * 60,
            invalid_after_minutes: 72 * 60,
            max_clock_drift_minutes: 10,
        }
    }
}

/// A bundle's layout, its `format` byte: the server writes format 2; devices
/// still read format 1, which has no sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleFormat {
    /// Format 1: no sections, signed under `icaze:bundle:v1\0`.
    V1,
    /// Format 2: sections after the revocation set, signed under `icaze:bundle:v2\0`.
    V2,
}

impl BundleFormat {
    fn byte(self) -> u8 {
        match self {
            BundleFormat::V1 => FORMAT_1,
            BundleFormat::V2 => FORMAT_2,
        }
    }

    fn domain(self) -> Domain {
        match self {
            BundleFormat::V1 => Domain::Bundle,
            BundleFormat::V2 => Domain::BundleV2,
        }
    }
}

/// Which zones a regime restricts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegimeScope {
    /// Every zone of the country; the listed zones only name some.
    Everywhere,
    /// Only the listed zones.
    Listed,
}

/// A zone with its names, for the officer's screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleZone {
    /// The id permits carry.
    pub id: ZoneId,
    /// Name in Azerbaijani (UTF-8, at most [`MAX_ZONE_NAME_LEN`] bytes).
    pub name_az: String,
    /// Name in Russian.
    pub name_ru: String,
    /// Name in English.
    pub name_en: String,
}

/// A regime as devices see it: when it is in force, where, and which permit
/// purposes exist under it. The SMS rules stay on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleRegime {
    /// A short id, e.g. `2020-12-14` (printable ASCII, 1 to [`MAX_REGIME_ID_LEN`] bytes, unique in the bundle).
    pub id: String,
    /// A name for people (UTF-8, at most [`MAX_REGIME_NAME_LEN`] bytes).
    pub name: String,
    /// Start (inclusive).
    pub start: UtcMinute,
    /// End (exclusive); after `start`.
    pub end: UtcMinute,
    /// Which zones are restricted.
    pub scope: RegimeScope,
    /// The zones, strictly ascending by id; at least one when the scope is `Listed`.
    pub zones: Vec<BundleZone>,
    /// The purposes that exist under this regime.
    pub purposes: PurposeSet,
}

impl BundleRegime {
    /// Whether the regime is in force at `at`.
    pub fn in_force(&self, at: UtcMinute) -> bool {
        (self.start..self.end).contains(&at)
    }

    /// Whether `zone` is restricted: every zone for `Everywhere`, the listed
    /// ones for `Listed`.
    pub fn restricts(&self, zone: ZoneId) -> bool {
        match self.scope {
            RegimeScope::Everywhere => true,
            RegimeScope::Listed => self.zones.iter().any(|z| z.id == zone),
        }
    }
}

/// What a bundle says, before signing or after verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleContents {
    /// Strictly increasing per server, at least 1.
    pub version: u64,
    /// `None`: a full bundle. `Some(n)`: a delta that applies only on top of
    /// version `n` (below `version`).
    pub base_version: Option<u64>,
    /// The server's clock when it made the bundle, in Unix seconds (below
    /// 2^32 minutes, the range of [`UtcMinute`]).
    pub server_time_unix_seconds: u64,
    /// The root-signed trust list file, embedded as is.
    pub trust_list: Vec<u8>,
    /// Current and announced regimes, in full in both kinds of bundle.
    pub regimes: Vec<BundleRegime>,
    /// How old data may get on the device.
    pub freshness: FreshnessPolicy,
    /// Full bundle: every revoked serial. Delta: those added since `base_version`.
    pub revocations: RevocationSet,
    /// What the sections say (format 2); all empty in a format-1 bundle.
    pub sections: BundleSections,
}

/// A bundle whose trust list verified against the pinned root and whose
/// signature verified with a key that list allows to sign bundles. There is
/// no other way to get one.
#[derive(Debug, Clone)]
pub struct VerifiedBundle {
    contents: BundleContents,
    trust: TrustList,
    signer: KeyId,
    format: BundleFormat,
    skipped_sections: Vec<u8>,
}

/// Why a bundle was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The bytes end early.
    #[error("the sync bundle is truncated: download or copy it again")]
    Truncated,
    /// Bytes left after the last field.
    #[error("the sync bundle has extra bytes after its last field: download or copy it again")]
    TrailingBytes,
    /// Not a bundle at all.
    #[error("not an Icaze sync bundle: the file does not start with IZSB")]
    BadMagic,
    /// A bundle format this software does not read.
    #[error("sync bundle format {0} cannot be read by this software: update it")]
    UnsupportedFormat(u8),
    /// A field holds a value the format does not allow.
    #[error("the sync bundle's {0} is invalid")]
    InvalidField(&'static str),
    /// The bundle, or one of its length fields, is over its cap.
    #[error("the sync bundle is too large: its {0} is over the format's cap (docs/bundle-format.md)")]
    TooLarge(&'static str),
    /// The embedded trust list was refused.
    #[error("the sync bundle's trust list is refused: {0}")]
    TrustList(TrustListError),
    /// The signer's key id is not in the embedded trust list.
    #[error("the sync bundle names key {0} as its signer, which its trust list does not hold")]
    UnknownSigner(u8),
    /// The signer is in the list without the flag "may sign sync bundles".
    #[error("key {0} may not sign sync bundles: the trust list does not give it that right")]
    SignerNotAllowed(u8),
    /// The signer is revoked.
    #[error("the sync bundle is signed by key {0}, which is revoked: get a bundle from the current server")]
    SignerRevoked(u8),
    /// The signer was not valid at the bundle's server time.
    #[error("key {0} was not valid at the sync bundle's server time")]
    SignerNotValid(u8),
    /// The signature does not verify.
    #[error("the sync bundle's signature does not verify: it was altered, or signed by another key")]
    BadSignature,
    /// The revocation set was refused.
    #[error("the sync bundle's revocation set is refused: {0}")]
    Revocations(RevocationDecodeError),
    /// The replaced section's revocation set was refused.
    #[error("the sync bundle's set of replaced permits is refused: {0}")]
    Replaced(RevocationDecodeError),
}

impl BundleError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::Truncated => "truncated",
            BundleError::TrailingBytes => "trailing_bytes",
            BundleError::BadMagic => "bad_magic",
            BundleError::UnsupportedFormat(_) => "unsupported_format",
            BundleError::InvalidField(_) => "invalid_field",
            BundleError::TooLarge(_) => "too_large",
            BundleError::TrustList(_) => "trust_list",
            BundleError::UnknownSigner(_) => "unknown_signer",
            BundleError::SignerNotAllowed(_) => "signer_not_allowed",
            BundleError::SignerRevoked(_) => "signer_revoked",
            BundleError::SignerNotValid(_) => "signer_not_valid",
            BundleError::BadSignature => "bad_signature",
            BundleError::Revocations(_) => "revocations",
            BundleError::Replaced(_) => "replaced",
        }
    }
}

/// A length-checked reader over a byte slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BundleError> {
        if self.0.len() < n {
            return Err(BundleError::Truncated);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], BundleError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, BundleError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, BundleError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, BundleError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, BundleError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    /// A `u8` length, at most `max` (else `TooLarge(field)`), then that many
    /// bytes of UTF-8 without control characters (else `InvalidField(field)`).
    fn text(&mut self, max: usize, field: &'static str) -> Result<String, BundleError> {
        let len = usize::from(self.u8()?);
        if len > max {
            return Err(BundleError::TooLarge(field));
        }
        let bytes = self.take(len)?;
        let text = std::str::from_utf8(bytes).map_err(|_| BundleError::InvalidField(field))?;
        if text.chars().any(char::is_control) {
            return Err(BundleError::InvalidField(field));
        }
        Ok(text.to_owned())
    }
}

/// A parsed body: every field read and checked, the revocations still in
/// their wire form (decoded only once the signature is known good).
struct Body<'a> {
    format: BundleFormat,
    signer: KeyId,
    version: u64,
    base_version: Option<u64>,
    server_time_unix_seconds: u64,
    trust_list: &'a [u8],
    regimes: Vec<BundleRegime>,
    freshness: FreshnessPolicy,
    revocations: &'a [u8],
    sections: RawSections<'a>,
}

/// The minute of a server time, if it is one [`UtcMinute`] can hold.
fn server_minute(seconds: u64) -> Option<UtcMinute> {
    u32::try_from(seconds / 60).ok().map(UtcMinute::from_unix_minutes)
}

impl<'a> Body<'a> {
    /// Reads the body field by field, refusing each as soon as it is read, in
    /// the order `docs/bundle-format.md` fixes.
    fn parse(body: &'a [u8]) -> Result<Self, BundleError> {
        let mut r = Reader(body);
        if r.take(4)? != MAGIC {
            return Err(BundleError::BadMagic);
        }
        let format = match r.u8()? {
            FORMAT_1 => BundleFormat::V1,
            FORMAT_2 => BundleFormat::V2,
            other => return Err(BundleError::UnsupportedFormat(other)),
        };
        let signer = KeyId(r.u8()?);
        let version = r.u64()?;
        if version == 0 {
            return Err(BundleError::InvalidField("version"));
        }
        let base_version = match r.u8()? {
            KIND_FULL => None,
            KIND_DELTA => {
                let base = r.u64()?;
                if base >= version {
                    return Err(BundleError::InvalidField("base version"));
                }
                Some(base)
            }
            _ => return Err(BundleError::InvalidField("kind")),
        };
        let server_time_unix_seconds = r.u64()?;
        if server_minute(server_time_unix_seconds).is_none() {
            return Err(BundleError::InvalidField("server time"));
        }
        let trust_len = r.u32()? as usize;
        if trust_len > MAX_TRUST_LIST_LEN {
            return Err(BundleError::TooLarge("trust list"));
        }
        let trust_list = r.take(trust_len)?;
        let freshness = FreshnessPolicy {
            warn_after_minutes: r.u32()?,
            strong_warn_after_minutes: r.u32()?,
            invalid_after_minutes: r.u32()?,
            max_clock_drift_minutes: r.u32()?,
        };
        if freshness.warn_after_minutes == 0
            || freshness.warn_after_minutes > freshness.strong_warn_after_minutes
            || freshness.strong_warn_after_minutes > freshness.invalid_after_minutes
        {
            return Err(BundleError::InvalidField("freshness policy"));
        }
        let regime_count = usize::from(r.u8()?);
        if regime_count > MAX_REGIMES {
            return Err(BundleError::TooLarge("regime count"));
        }
        let mut regimes: Vec<BundleRegime> = Vec::with_capacity(regime_count);
        for _ in 0..regime_count {
            let regime = Self::regime(&mut r)?;
            if regimes.iter().any(|other| other.id == regime.id) {
                return Err(BundleError::InvalidField("regime id (duplicate)"));
            }
            regimes.push(regime);
        }
        // The revocation set's length is capped by the bundle's: a length
        // past the end is `Truncated`.
        let revocations_len = r.u32()? as usize;
        let revocations = r.take(revocations_len)?;
        let sections = match format {
            BundleFormat::V1 => RawSections::default(),
            BundleFormat::V2 => RawSections::parse(&mut r)?,
        };
        if !r.0.is_empty() {
            return Err(BundleError::TrailingBytes);
        }
        Ok(Self {
            format,
            signer,
            version,
            base_version,
            server_time_unix_seconds,
            trust_list,
            regimes,
            freshness,
            revocations,
            sections,
        })
    }

    fn regime(r: &mut Reader<'_>) -> Result<BundleRegime, BundleError> {
        let id_len = usize::from(r.u8()?);
        if id_len > MAX_REGIME_ID_LEN {
            return Err(BundleError::TooLarge("regime id"));
        }
        let id = r.take(id_len)?;
        if id.is_empty() || !id.iter().all(u8::is_ascii_graphic) {
            return Err(BundleError::InvalidField("regime id"));
        }
        let id = std::str::from_utf8(id).map_err(|_| BundleError::InvalidField("regime id"))?.to_owned();
        let name = r.text(MAX_REGIME_NAME_LEN, "regime name")?;
        let start = UtcMinute::from_unix_minutes(r.u32()?);
        let end = UtcMinute::from_unix_minutes(r.u32()?);
        if end <= start {
            return Err(BundleError::InvalidField("regime period"));
        }
        let scope = match r.u8()? {
            SCOPE_EVERYWHERE => RegimeScope::Everywhere,
            SCOPE_LISTED => RegimeScope::Listed,
            _ => return Err(BundleError::InvalidField("regime scope")),
        };
        let mask = r.u16()?;
        if mask & 1 != 0 {
            return Err(BundleError::InvalidField("regime purposes"));
        }
        let zone_count = usize::from(r.u16()?);
        if zone_count > usize::from(ZoneId::MAX) {
            return Err(BundleError::TooLarge("zone count"));
        }
        if zone_count == 0 && scope == RegimeScope::Listed {
            return Err(BundleError::InvalidField("zone count (a listed regime needs a zone)"));
        }
        // Each zone takes at least 5 bytes: reserve no more than the input can fill.
        let mut zones: Vec<BundleZone> = Vec::with_capacity(zone_count.min(r.0.len() / 5));
        for _ in 0..zone_count {
            let id = ZoneId::new(r.u16()?).ok_or(BundleError::InvalidField("zone id"))?;
            if zones.last().is_some_and(|last| last.id >= id) {
                return Err(BundleError::InvalidField("zone order"));
            }
            let name_az = r.text(MAX_ZONE_NAME_LEN, "zone name")?;
            let name_ru = r.text(MAX_ZONE_NAME_LEN, "zone name")?;
            let name_en = r.text(MAX_ZONE_NAME_LEN, "zone name")?;
            zones.push(BundleZone { id, name_az, name_ru, name_en });
        }
        Ok(BundleRegime { id, name, start, end, scope, zones, purposes: PurposeSet::from_mask(mask) })
    }
}

/// Appends a `u8` length and the bytes. A length over 255 is cut to 8 bits:
/// such contents are refused by [`BundleContents::try_sign`], and devices
/// refuse what [`BundleContents::sign`] makes of them.
fn put_short(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

impl BundleContents {
    /// The body: every field, with `key_id` as the signer, before the
    /// signature; format 1 leaves the sections out.
    fn body(&self, key_id: KeyId, format: BundleFormat) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.trust_list.len() + self.regimes.len() * 512);
        out.extend_from_slice(MAGIC);
        out.push(format.byte());
        out.push(key_id.0);
        out.extend_from_slice(&self.version.to_be_bytes());
        match self.base_version {
            None => out.push(KIND_FULL),
            Some(base) => {
                out.push(KIND_DELTA);
                out.extend_from_slice(&base.to_be_bytes());
            }
        }
        out.extend_from_slice(&self.server_time_unix_seconds.to_be_bytes());
        // Lengths that do not fit are cut, and refused by `try_sign`; see `put_short`.
        out.extend_from_slice(&(self.trust_list.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.trust_list);
        let f = &self.freshness;
        for minutes in
            [f.warn_after_minutes, f.strong_warn_after_minutes, f.invalid_after_minutes, f.max_clock_drift_minutes]
        {
            out.extend_from_slice(&minutes.to_be_bytes());
        }
        out.push(self.regimes.len() as u8);
        for regime in &self.regimes {
            put_short(&mut out, regime.id.as_bytes());
            put_short(&mut out, regime.name.as_bytes());
            out.extend_from_slice(&regime.start.unix_minutes().to_be_bytes());
            out.extend_from_slice(&regime.end.unix_minutes().to_be_bytes());
            out.push(match regime.scope {
                RegimeScope::Everywhere => SCOPE_EVERYWHERE,
                RegimeScope::Listed => SCOPE_LISTED,
            });
            out.extend_from_slice(&regime.purposes.mask().to_be_bytes());
            out.extend_from_slice(&(regime.zones.len() as u16).to_be_bytes());
            for zone in &regime.zones {
                out.extend_from_slice(&zone.id.get().to_be_bytes());
                put_short(&mut out, zone.name_az.as_bytes());
                put_short(&mut out, zone.name_ru.as_bytes());
                put_short(&mut out, zone.name_en.as_bytes());
            }
        }
        let revocations = self.revocations.encode();
        out.extend_from_slice(&(revocations.len() as u32).to_be_bytes());
        out.extend_from_slice(&revocations);
        if format == BundleFormat::V2 {
            self.sections.write(&mut out);
        }
        out
    }

    /// The signed bundle in format 2: the body naming `key_id` as its signer,
    /// then the signature of `key` over `"icaze:bundle:v2\0" || body`.
    ///
    /// Contents outside the format's rules (an empty regime id, unsorted
    /// zones, a name over its cap, a base version not below the version...)
    /// are signed as they are and then refused by every device; use
    /// [`BundleContents::try_sign`] to be told instead.
    pub fn sign(&self, key: &SecretKey, key_id: KeyId) -> Vec<u8> {
        self.sign_as(key, key_id, BundleFormat::V2)
    }

    /// The signed bundle in format 1, which devices still read and the
    /// server no longer writes: for the tests and vectors of that reader.
    /// Format 1 has no sections, so they are left out, whatever they hold.
    pub fn sign_format1(&self, key: &SecretKey, key_id: KeyId) -> Vec<u8> {
        self.sign_as(key, key_id, BundleFormat::V1)
    }

    fn sign_as(&self, key: &SecretKey, key_id: KeyId, format: BundleFormat) -> Vec<u8> {
        let mut out = self.body(key_id, format);
        let signature = key.sign(format.domain(), &out);
        out.extend_from_slice(&signature);
        out
    }

    /// [`BundleContents::sign`], after checking that a device will read the
    /// result back as these very contents: the signed bytes are parsed with the
    /// device's own reader and compared. The trust list, the signer and the
    /// signature are not checked here (a device checks them against its
    /// pinned root).
    pub fn try_sign(&self, key: &SecretKey, key_id: KeyId) -> Result<Vec<u8>, BundleError> {
        self.check_lengths()?;
        let mut out = self.body(key_id, BundleFormat::V2);
        if out.len() + SIGNATURE_LEN > MAX_BUNDLE_LEN {
            return Err(BundleError::TooLarge("size"));
        }
        let back = Body::parse(&out)?.contents()?;
        if back != *self {
            // Every rule is checked by the parser or by `check_lengths`, so
            // this is a safety net, not a path any contents are known to take.
            return Err(BundleError::InvalidField("contents (they do not read back as written)"));
        }
        let signature = key.sign(Domain::BundleV2, &out);
        out.extend_from_slice(&signature);
        Ok(out)
    }

    /// The caps on lengths, checked before encoding: a length over its cap
    /// would not fit its length field, and the parser would misread the rest.
    fn check_lengths(&self) -> Result<(), BundleError> {
        if self.trust_list.len() > MAX_TRUST_LIST_LEN {
            return Err(BundleError::TooLarge("trust list"));
        }
        if self.regimes.len() > MAX_REGIMES {
            return Err(BundleError::TooLarge("regime count"));
        }
        for regime in &self.regimes {
            if regime.id.len() > MAX_REGIME_ID_LEN {
                return Err(BundleError::TooLarge("regime id"));
            }
            if regime.name.len() > MAX_REGIME_NAME_LEN {
                return Err(BundleError::TooLarge("regime name"));
            }
            if regime.zones.len() > usize::from(ZoneId::MAX) {
                return Err(BundleError::TooLarge("zone count"));
            }
            for zone in &regime.zones {
                if [&zone.name_az, &zone.name_ru, &zone.name_en].iter().any(|n| n.len() > MAX_ZONE_NAME_LEN) {
                    return Err(BundleError::TooLarge("zone name"));
                }
            }
        }
        Ok(())
    }
}

impl Body<'_> {
    /// The contents, decoding the revocation set, then the sections
    /// (checked against it).
    fn contents(&self) -> Result<BundleContents, BundleError> {
        let revocations = RevocationSet::decode(self.revocations).map_err(BundleError::Revocations)?;
        let sections = self.sections.decode(&revocations)?;
        Ok(BundleContents {
            version: self.version,
            base_version: self.base_version,
            server_time_unix_seconds: self.server_time_unix_seconds,
            trust_list: self.trust_list.to_vec(),
            regimes: self.regimes.clone(),
            freshness: self.freshness,
            revocations,
            sections,
        })
    }
}

impl VerifiedBundle {
    /// Verifies the embedded trust list against the pinned root, then the
    /// bundle's signature with the key it names, which must be in that list,
    /// not revoked, flagged may_sign_bundles, and valid at the bundle's
    /// server time. Does NOT check rollback (the device compares versions
    /// with what it has) nor freshness.
    ///
    /// The order of the checks, each ending with its error: the size cap
    /// (`too_large`); fewer than 64 bytes (`truncated`); the body field by
    /// field (sections 2 and 5 of `docs/bundle-format.md`); the trust list against
    /// `root` (`trust_list`); the signer in that list (`unknown_signer`); the
    /// signature (`bad_signature`); the signer revoked (`signer_revoked`),
    /// without the flag (`signer_not_allowed`), not valid at the server time
    /// (`signer_not_valid`); last the revocation set (`revocations`) and the
    /// replaced section (`replaced`, or `invalid_field` when it is empty or
    /// names a serial the bundle does not revoke), decoded only once the
    /// bytes are known to come from the server. Format 1 and 2 are read;
    /// format 2's unknown sections are skipped (`skipped_sections`).
    pub fn verify(bytes: &[u8], root: &PublicKey) -> Result<VerifiedBundle, BundleError> {
        if bytes.len() > MAX_BUNDLE_LEN {
            return Err(BundleError::TooLarge("size"));
        }
        let split = bytes.len().checked_sub(SIGNATURE_LEN).ok_or(BundleError::Truncated)?;
        let (body_bytes, signature) = bytes.split_at(split);
        let body = Body::parse(body_bytes)?;
        let trust = TrustList::verify_bytes(body.trust_list, root).map_err(BundleError::TrustList)?;
        let id = body.signer;
        let key = trust.key(id).ok_or(BundleError::UnknownSigner(id.0))?;
        let mut sig = [0u8; SIGNATURE_LEN];
        sig.copy_from_slice(signature);
        if !key.public_key.verify(body.format.domain(), body_bytes, &sig) {
            return Err(BundleError::BadSignature);
        }
        if key.revoked {
            return Err(BundleError::SignerRevoked(id.0));
        }
        if !key.may_sign_bundles {
            return Err(BundleError::SignerNotAllowed(id.0));
        }
        // Invariant: the parser refused server times outside UtcMinute's range.
        let at = server_minute(body.server_time_unix_seconds).ok_or(BundleError::InvalidField("server time"))?;
        if !(key.valid_from..key.valid_until).contains(&at) {
            return Err(BundleError::SignerNotValid(id.0));
        }
        let contents = body.contents()?;
        Ok(VerifiedBundle { contents, trust, signer: id, format: body.format, skipped_sections: body.sections.skipped })
    }

    /// What the bundle says.
    pub fn contents(&self) -> &BundleContents {
        &self.contents
    }

    /// The embedded trust list, verified against the pinned root.
    pub fn trust_list(&self) -> &TrustList {
        &self.trust
    }

    /// The key that signed the bundle.
    pub fn signer(&self) -> KeyId {
        self.signer
    }

    /// The bundle's layout.
    pub fn format(&self) -> BundleFormat {
        self.format
    }

    /// The tags of the sections this reader does not know and skipped,
    /// ascending (their bytes were signed, but are not read).
    pub fn skipped_sections(&self) -> &[u8] {
        &self.skipped_sections
    }

    /// The bundle's server time as a minute (the signer was valid then).
    pub fn server_time(&self) -> UtcMinute {
        // Invariant: verified bundles hold a server time in UtcMinute's range.
        server_minute(self.contents.server_time_unix_seconds).unwrap_or(UtcMinute::from_unix_minutes(u32::MAX))
    }
}

impl fmt::Display for RegimeScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RegimeScope::Everywhere => "everywhere",
            RegimeScope::Listed => "listed",
        })
    }
}

#[cfg(test)]
mod tests;
