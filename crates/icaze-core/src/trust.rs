//! The trust list: issuer keys vouched for by the offline root key.
//!
//! The root key signs a versioned list of issuer keys, each with its validity
//! period and the purposes it may sign. Devices pin the root's public key and
//! accept a permit only if its key is in the list, was valid when the permit
//! was issued, is not revoked, and may sign the permit's purpose. Several
//! issuer keys can be valid at once, so keys rotate without a gap.
//!
//! The list also names the server's online key that signs sync bundles
//! (flag bit 1, [`TrustedKey::may_sign_bundles`]): the root stays offline and
//! vouches for that key here, as it does for the permit issuers.

use crate::claims::{KeyId, Purpose, PurposeSet};
use crate::error::VerifyError;
use crate::permit::{UnverifiedPermit, VerifiedPermit};
use crate::sign::{Domain, PublicKey, SecretKey, PUBLIC_KEY_LEN, SIGNATURE_LEN};
use crate::time::UtcMinute;

const MAGIC: &[u8; 4] = b"IZTL";
const FORMAT: u8 = 1;
const MAX_LABEL: usize = 32;
const FLAG_REVOKED: u8 = 1;
const FLAG_MAY_SIGN_BUNDLES: u8 = 2;
/// Every flag bit this format defines; a list with another bit set is refused.
const KNOWN_FLAGS: u8 = FLAG_REVOKED | FLAG_MAY_SIGN_BUNDLES;

/// One issuer key in the trust list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The id permits name it by; unique within the list.
    pub id: KeyId,
    /// The public key.
    pub public_key: PublicKey,
    /// Permits issued from this minute on may be signed by it.
    pub valid_from: UtcMinute,
    /// Permits issued from this minute on may not (exclusive end).
    pub valid_until: UtcMinute,
    /// Which permit purposes it may sign; may be empty (a key that only signs
    /// sync bundles).
    pub purposes: PurposeSet,
    /// Revoked keys stay listed, so that devices say why their permits fail.
    pub revoked: bool,
    /// Whether it may sign sync bundles (flag bit 1). Independent of
    /// `purposes`: a bundle key need not sign permits, and an issuer key does
    /// not sign bundles unless the root says so here.
    pub may_sign_bundles: bool,
    /// A short printable ASCII name, e.g. `sms-2020-12` (at most 32 bytes).
    pub label: String,
}

impl TrustedKey {
    /// The `flags` byte of the trust list format.
    fn flags(&self) -> u8 {
        let mut flags = 0;
        if self.revoked {
            flags |= FLAG_REVOKED;
        }
        if self.may_sign_bundles {
            flags |= FLAG_MAY_SIGN_BUNDLES;
        }
        flags
    }
}

/// A trust list that was built by the authority or read from bytes signed by
/// the pinned root key. There is no way to get one from bytes without that check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustList {
    version: u64,
    issued_at: UtcMinute,
    // Invariant: ascending by id, ids unique, at most 255 keys.
    keys: Vec<TrustedKey>,
}

/// Why a trust list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustListError {
    /// Not a trust list file at all.
    #[error("not an Icaze trust list: the file does not start with IZTL")]
    BadMagic,
    /// A trust list format this software does not read.
    #[error("trust list format {0} cannot be read by this software: update it")]
    UnsupportedFormat(u8),
    /// The bytes end early.
    #[error("the trust list is truncated")]
    Truncated,
    /// Bytes after the signature.
    #[error("the trust list has extra bytes after its signature")]
    TrailingBytes,
    /// A field holds a value the format does not allow.
    #[error("the trust list's {0} is invalid")]
    InvalidField(&'static str),
    /// The root key did not sign it.
    #[error("the trust list is not signed by the pinned root key: it was altered, or belongs to another authority")]
    BadSignature,
}

impl TrustListError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            TrustListError::BadMagic => "bad_magic",
            TrustListError::UnsupportedFormat(_) => "unsupported_format",
            TrustListError::Truncated => "truncated",
            TrustListError::TrailingBytes => "trailing_bytes",
            TrustListError::InvalidField(_) => "invalid_field",
            TrustListError::BadSignature => "bad_signature",
        }
    }
}

/// A length-checked reader over a byte slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TrustListError> {
        if self.0.len() < n {
            return Err(TrustListError::Truncated);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], TrustListError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, TrustListError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, TrustListError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, TrustListError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, TrustListError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
}

impl TrustList {
    /// A list to sign, checked: ids unique, labels printable ASCII of at most
    /// 32 bytes, validity periods non-empty. Keys are sorted by id.
    pub fn new(version: u64, issued_at: UtcMinute, mut keys: Vec<TrustedKey>) -> Result<Self, TrustListError> {
        keys.sort_by_key(|k| k.id);
        if keys.is_empty() || keys.len() > 255 {
            return Err(TrustListError::InvalidField("key count"));
        }
        if keys.windows(2).any(|w| w[0].id == w[1].id) {
            return Err(TrustListError::InvalidField("key id (duplicate)"));
        }
        for key in &keys {
            if key.label.len() > MAX_LABEL || !key.label.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(TrustListError::InvalidField("key label"));
            }
            if key.valid_until <= key.valid_from {
                return Err(TrustListError::InvalidField("key validity"));
            }
        }
        Ok(Self { version, issued_at, keys })
    }

    /// The list's version; a device never replaces a list by a lower version.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// When the root signed it.
    pub fn issued_at(&self) -> UtcMinute {
        self.issued_at
    }

    /// The keys, ascending by id.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// The key with this id.
    pub fn key(&self, id: KeyId) -> Option<&TrustedKey> {
        self.keys.binary_search_by_key(&id, |k| k.id).ok().and_then(|i| self.keys.get(i))
    }

    fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(18 + self.keys.len() * 80);
        out.extend_from_slice(MAGIC);
        out.push(FORMAT);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.issued_at.unix_minutes().to_be_bytes());
        // Invariant: 1..=255 keys (checked by `new` and `verify_bytes`).
        out.push(self.keys.len() as u8);
        for key in &self.keys {
            out.push(key.id.0);
            out.extend_from_slice(&key.public_key.to_bytes());
            out.extend_from_slice(&key.valid_from.unix_minutes().to_be_bytes());
            out.extend_from_slice(&key.valid_until.unix_minutes().to_be_bytes());
            out.extend_from_slice(&key.purposes.mask().to_be_bytes());
            out.push(key.flags());
            out.push(key.label.len() as u8);
            out.extend_from_slice(key.label.as_bytes());
        }
        out
    }

    /// The signed file: body, then the root's signature over it.
    pub fn sign(&self, root: &SecretKey) -> Vec<u8> {
        let mut out = self.body();
        let signature = root.sign(Domain::TrustList, &out);
        out.extend_from_slice(&signature);
        out
    }

    /// Reads a signed trust list and checks it against the pinned root key.
    ///
    /// The signature is the last 64 bytes (fewer bytes: `Truncated`); the body
    /// before it is parsed first, so a malformed list is refused for its first
    /// bad field even when its signature would not verify either.
    pub fn verify_bytes(bytes: &[u8], root: &PublicKey) -> Result<Self, TrustListError> {
        let split = bytes.len().checked_sub(SIGNATURE_LEN).ok_or(TrustListError::Truncated)?;
        let (body, signature) = bytes.split_at(split);
        let list = Self::parse_body(body)?;
        let mut sig = [0u8; SIGNATURE_LEN];
        sig.copy_from_slice(signature);
        if !root.verify(Domain::TrustList, body, &sig) {
            return Err(TrustListError::BadSignature);
        }
        Ok(list)
    }

    /// Reads the body field by field, refusing each field as soon as it is
    /// read (the order `docs/token-format.md` §5 fixes, so every verifier
    /// names the same error), then checks the whole with [`TrustList::new`].
    fn parse_body(body: &[u8]) -> Result<Self, TrustListError> {
        let mut r = Reader(body);
        // A body shorter than the magic is a cut file, not another kind of
        // file: it is `Truncated`, like every other prefix of a list.
        if r.take(4)? != MAGIC {
            return Err(TrustListError::BadMagic);
        }
        let format = r.u8()?;
        if format != FORMAT {
            return Err(TrustListError::UnsupportedFormat(format));
        }
        let version = r.u64()?;
        let issued_at = UtcMinute::from_unix_minutes(r.u32()?);
        let count = r.u8()?;
        if count == 0 {
            return Err(TrustListError::InvalidField("key count"));
        }
        let mut keys = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let id = KeyId(r.u8()?);
            if keys.last().is_some_and(|last: &TrustedKey| last.id >= id) {
                return Err(TrustListError::InvalidField("key order"));
            }
            let public_key = PublicKey::from_bytes(&r.array::<PUBLIC_KEY_LEN>()?)
                .map_err(|_| TrustListError::InvalidField("public key"))?;
            let valid_from = UtcMinute::from_unix_minutes(r.u32()?);
            let valid_until = UtcMinute::from_unix_minutes(r.u32()?);
            if valid_until <= valid_from {
                return Err(TrustListError::InvalidField("key validity"));
            }
            let mask = r.u16()?;
            if mask & 1 != 0 {
                return Err(TrustListError::InvalidField("purposes"));
            }
            let flags = r.u8()?;
            if flags & !KNOWN_FLAGS != 0 {
                return Err(TrustListError::InvalidField("flags"));
            }
            let label_len = usize::from(r.u8()?);
            if label_len > MAX_LABEL {
                return Err(TrustListError::InvalidField("key label"));
            }
            let label = r.take(label_len)?;
            if !label.iter().all(u8::is_ascii_graphic) {
                return Err(TrustListError::InvalidField("key label"));
            }
            let label = std::str::from_utf8(label).map_err(|_| TrustListError::InvalidField("key label"))?.to_owned();
            keys.push(TrustedKey {
                id,
                public_key,
                valid_from,
                valid_until,
                purposes: PurposeSet::from_mask(mask),
                revoked: flags & FLAG_REVOKED != 0,
                may_sign_bundles: flags & FLAG_MAY_SIGN_BUNDLES != 0,
                label,
            });
        }
        if !r.0.is_empty() {
            return Err(TrustListError::TrailingBytes);
        }
        Self::new(version, issued_at, keys)
    }

    /// Checks a permit: its key is listed and not revoked, the signature is
    /// good (`verify_strict`, permit domain), the key was valid at the permit's
    /// issue time, and the key may sign its purpose — in that order, so that no
    /// claim is believed before the signature is.
    pub fn verify(&self, permit: &UnverifiedPermit) -> Result<VerifiedPermit, VerifyError> {
        let id = permit.key_id();
        let key = self.key(id).ok_or(VerifyError::UnknownKey(id.0))?;
        let (domain, signed, signature) = permit.signed_parts();
        if !key.public_key.verify(domain, signed, &signature) {
            return Err(VerifyError::BadSignature);
        }
        if key.revoked {
            return Err(VerifyError::KeyRevoked(id.0));
        }
        let claims = permit.claims_unchecked();
        if !(key.valid_from..key.valid_until).contains(&claims.issued_at()) {
            return Err(VerifyError::KeyNotValid(id.0));
        }
        if !key.purposes.contains(claims.purpose()) {
            return Err(VerifyError::PurposeNotAllowed { key: id.0, purpose: claims.purpose().name() });
        }
        Ok(permit.clone().into_verified())
    }

    /// A key that may sign `purpose` at `at`, not revoked: the one valid
    /// longest, so that a fresh rotation key is used once the old one expires.
    pub fn signing_key_for(&self, purpose: Purpose, at: UtcMinute) -> Option<&TrustedKey> {
        self.keys
            .iter()
            .filter(|k| !k.revoked && k.purposes.contains(purpose) && (k.valid_from..k.valid_until).contains(&at))
            .max_by_key(|k| k.valid_until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u8, seed: u8) -> (SecretKey, TrustedKey) {
        let secret = SecretKey::from_seed(&[seed; 32]);
        let trusted = TrustedKey {
            id: KeyId(id),
            public_key: secret.public_key(),
            valid_from: UtcMinute::from_unix_minutes(27_000_000),
            valid_until: UtcMinute::from_unix_minutes(28_000_000),
            purposes: PurposeSet::of(&[Purpose::Medical, Purpose::Necessities]),
            revoked: false,
            may_sign_bundles: false,
            label: format!("key-{id}"),
        };
        (secret, trusted)
    }

    #[test]
    fn signed_list_round_trips_and_binds_the_root() {
        let root = SecretKey::from_seed(&[1; 32]);
        let list = TrustList::new(7, UtcMinute::from_unix_minutes(27_000_000), vec![key(9, 2).1, key(3, 3).1]).unwrap();
        let bytes = list.sign(&root);
        let back = TrustList::verify_bytes(&bytes, &root.public_key()).unwrap();
        assert_eq!(back, list);
        assert_eq!(back.keys()[0].id, KeyId(3), "sorted by id");

        let other_root = SecretKey::from_seed(&[2; 32]);
        assert_eq!(TrustList::verify_bytes(&bytes, &other_root.public_key()), Err(TrustListError::BadSignature));

        for i in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[i] ^= 0x10;
            assert!(TrustList::verify_bytes(&flipped, &root.public_key()).is_err(), "byte {i}");
        }
        // Every cut file is truncated, including those whose body (all but
        // the last 64 bytes) is shorter than the magic.
        for len in 0..bytes.len() {
            assert_eq!(
                TrustList::verify_bytes(&bytes[..len], &root.public_key()),
                Err(TrustListError::Truncated),
                "prefix {len}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(TrustList::verify_bytes(&longer, &root.public_key()), Err(TrustListError::TrailingBytes));
    }

    #[test]
    fn bundle_flag_round_trips_with_an_empty_purpose_set() {
        let root = SecretKey::from_seed(&[1; 32]);
        let (_, issuer) = key(1, 2);
        let (_, mut sync) = key(4, 3);
        sync.purposes = PurposeSet::default();
        sync.may_sign_bundles = true;
        let list = TrustList::new(2, UtcMinute::from_unix_minutes(27_000_000), vec![issuer, sync]).unwrap();
        let bytes = list.sign(&root);
        let back = TrustList::verify_bytes(&bytes, &root.public_key()).unwrap();
        assert_eq!(back, list);
        let sync = back.key(KeyId(4)).unwrap();
        assert!(sync.may_sign_bundles && !sync.revoked);
        assert_eq!(sync.purposes.mask(), 0);
        assert!(!back.key(KeyId(1)).unwrap().may_sign_bundles);
        // A key with no purposes never signs permits.
        assert_eq!(
            back.signing_key_for(Purpose::Medical, UtcMinute::from_unix_minutes(27_100_000)).unwrap().id,
            KeyId(1)
        );
    }

    #[test]
    fn flag_bits_other_than_0_and_1_are_refused() {
        let root = SecretKey::from_seed(&[1; 32]);
        let list = TrustList::new(1, UtcMinute::from_unix_minutes(0), vec![key(1, 2).1]).unwrap();
        let bytes = list.sign(&root);
        // The flags byte of the only key: after the 18-byte header, id, key, times and purposes.
        let flags_at = 18 + 1 + 32 + 4 + 4 + 2;
        assert_eq!(bytes[flags_at], 0);
        for bit in 0..8 {
            let mut body = bytes[..bytes.len() - SIGNATURE_LEN].to_vec();
            body[flags_at] = 1 << bit;
            let signature = root.sign(Domain::TrustList, &body);
            body.extend_from_slice(&signature);
            let result = TrustList::verify_bytes(&body, &root.public_key());
            if bit < 2 {
                assert!(result.is_ok(), "bit {bit}");
            } else {
                assert_eq!(result, Err(TrustListError::InvalidField("flags")), "bit {bit}");
            }
        }
    }

    #[test]
    fn duplicate_ids_are_refused() {
        assert_eq!(
            TrustList::new(1, UtcMinute::from_unix_minutes(0), vec![key(1, 2).1, key(1, 3).1]),
            Err(TrustListError::InvalidField("key id (duplicate)"))
        );
    }

    #[test]
    fn signing_key_prefers_the_newest() {
        let (_, mut old) = key(1, 2);
        let (_, mut new) = key(2, 3);
        old.valid_until = UtcMinute::from_unix_minutes(27_500_000);
        new.valid_from = UtcMinute::from_unix_minutes(27_400_000);
        let list = TrustList::new(1, UtcMinute::from_unix_minutes(0), vec![old, new]).unwrap();
        let at = |m| UtcMinute::from_unix_minutes(m);
        assert_eq!(list.signing_key_for(Purpose::Medical, at(27_100_000)).unwrap().id, KeyId(1));
        assert_eq!(list.signing_key_for(Purpose::Medical, at(27_450_000)).unwrap().id, KeyId(2));
        assert!(list.signing_key_for(Purpose::Work, at(27_450_000)).is_none());
    }
}
