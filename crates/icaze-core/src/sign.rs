//! Domain-separated Ed25519: the only place this crate signs or verifies.
//!
//! Every signed object of Icaze is signed over `domain || body`, where the
//! domain is a fixed ASCII string ending in a NUL byte. No domain contains a NUL
//! before its end, so no domain is a prefix of another, and a signature made
//! for one kind of object never verifies as another kind (a permit signature
//! cannot pass as a trust list's, a bundle's or an upload batch's).
//!
//! Verification is `verify_strict`: it rejects non-canonical signatures
//! (S ≥ L), small-order public keys and small-order R, and it compares the
//! recomputed R's canonical encoding with the signature's R bytes, so a
//! non-canonical R never verifies. Public keys are read only in their
//! canonical encoding. A valid signature cannot be mangled into a second
//! valid one, and one key has one byte string.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;

/// What a signature is for; each kind of signed object has its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Domain {
    /// A permit token of format v1.
    Permit,
    /// A permit token of format v2.
    PermitV2,
    /// A trust list signed by the root key.
    TrustList,
    /// A sync bundle for officer devices, format 1.
    Bundle,
    /// A sync bundle for officer devices, format 2 (with sections).
    BundleV2,
    /// A batch of inspection records uploaded by a device.
    UploadBatch,
}

impl Domain {
    /// The bytes prepended to the body before signing.
    pub const fn prefix(self) -> &'static [u8] {
        match self {
            Domain::Permit => b"icaze:permit:v1\0",
            Domain::PermitV2 => b"icaze:permit:v2\0",
            Domain::TrustList => b"icaze:trustlist:v1\0",
            Domain::Bundle => b"icaze:bundle:v1\0",
            Domain::BundleV2 => b"icaze:bundle:v2\0",
            Domain::UploadBatch => b"icaze:upload:v1\0",
        }
    }
}

/// An Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

/// Bytes that are not a usable Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "not an Ed25519 public key: expected the canonical 32-byte encoding of a curve point that is not of small order"
)]
pub struct BadPublicKey;

impl PublicKey {
    /// Reads a 32-byte public key, refusing points off the curve, weak
    /// (small-order) keys, which `verify_strict` would refuse anyway, and
    /// non-canonical encodings (a `y` coordinate of `p` or more, or a sign bit
    /// set with `x = 0`). ed25519-dalek decodes those by reducing `y` modulo
    /// `p`, so without this check one key would have several byte strings, a
    /// trust list could list the same key twice under different bytes, and
    /// the key bytes hashed into every signature check would not be the ones
    /// the key re-encodes to.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, BadPublicKey> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| BadPublicKey)?;
        if key.is_weak() || key.to_edwards().compress().to_bytes() != *bytes {
            return Err(BadPublicKey);
        }
        Ok(Self(key))
    }

    /// The 32 key bytes.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.to_bytes()
    }

    /// Checks `signature` over `domain || body` with `verify_strict`.
    pub fn verify(&self, domain: Domain, body: &[u8], signature: &[u8; SIGNATURE_LEN]) -> bool {
        self.verify_raw(&[domain.prefix(), body].concat(), signature)
    }

    /// Plain RFC 8032 Ed25519 over `message`, with `verify_strict`; the layer
    /// under [`PublicKey::verify`], open so that RFC 8032's vectors can be run
    /// through it.
    pub fn verify_raw(&self, message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.0.verify_strict(message, &signature).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex(&self.to_bytes()))
    }
}

/// An Ed25519 secret key. It has no `Debug` output beyond its public half, is
/// never serialised by this crate except on request, and is zeroized on drop.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// The key whose RFC 8032 seed is `seed`. Callers make seeds from the
    /// operating system's random source; this crate does no I/O.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// The 32-byte seed, for writing the key to its protected file.
    pub fn seed(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.0.to_bytes())
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `domain || body`.
    pub fn sign(&self, domain: Domain, body: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.sign_raw(&[domain.prefix(), body].concat())
    }

    /// Plain RFC 8032 Ed25519 over `message`; see [`PublicKey::verify_raw`].
    pub fn sign_raw(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.0.sign(message).to_bytes()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public: {}, secret: <redacted>)", hex(&self.public_key().to_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    /// RFC 8032, section 7.1: TEST 1, 2, 3 and SHA(abc), run through the
    /// signing layer this crate uses for every signature.
    #[test]
    fn rfc8032_vectors_through_the_signing_layer() {
        type Vector<'a> = (&'a [u8; 32], &'a [u8; 32], &'a [u8], &'a [u8; 64]);
        let vectors: [Vector; 4] = [
            (
                &hex!("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
                &hex!("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
                b"",
                &hex!("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
            ),
            (
                &hex!("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"),
                &hex!("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
                &hex!("72"),
                &hex!("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
            ),
            (
                &hex!("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"),
                &hex!("fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"),
                &hex!("af82"),
                &hex!("6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
            ),
            (
                &hex!("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42"),
                &hex!("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf"),
                &hex!("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
                &hex!("dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"),
            ),
        ];
        for (seed, public, message, signature) in vectors {
            let key = SecretKey::from_seed(seed);
            assert_eq!(&key.public_key().to_bytes(), public);
            assert_eq!(&key.sign_raw(message), signature);
            let public = PublicKey::from_bytes(public).unwrap();
            assert!(public.verify_raw(message, signature));
            // The domain-separated layer is the same Ed25519 over a prefixed message.
            let framed = [Domain::Permit.prefix(), message].concat();
            assert_eq!(key.sign(Domain::Permit, message), key.sign_raw(&framed));
            assert!(!public.verify(Domain::Permit, message, signature), "a raw signature must not pass as a permit's");
        }
    }

    #[test]
    fn signatures_do_not_cross_domains() {
        let key = SecretKey::from_seed(&[7; 32]);
        let public = key.public_key();
        let domains = [
            Domain::Permit,
            Domain::PermitV2,
            Domain::TrustList,
            Domain::Bundle,
            Domain::BundleV2,
            Domain::UploadBatch,
        ];
        for a in domains {
            let sig = key.sign(a, b"body");
            for b in domains {
                assert_eq!(public.verify(b, b"body", &sig), a == b, "{a:?} signature checked as {b:?}");
            }
        }
        for a in domains {
            for b in domains {
                if a != b {
                    assert!(!a.prefix().starts_with(b.prefix()), "{a:?} starts with {b:?}");
                }
            }
        }
    }

    #[test]
    fn non_canonical_s_is_rejected() {
        // S + L verifies under lax checks in some libraries; it must not here.
        const L: [u8; 32] = hex!("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
        let key = SecretKey::from_seed(&[9; 32]);
        let mut sig = key.sign(Domain::Permit, b"x");
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(sig[32 + i]) + u16::from(L[i]) + carry;
            sig[32 + i] = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0, "S + L still fits in 32 bytes for this key");
        assert!(!key.public_key().verify(Domain::Permit, b"x", &sig));
    }

    #[test]
    fn weak_public_keys_are_refused() {
        // The identity point, of small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(BadPublicKey));
    }

    /// The encoding of `y + p` (little-endian), for a small `y`: the same
    /// field element as `y`, written non-canonically.
    fn y_plus_p(y: u8) -> [u8; 32] {
        // p = 2^255 - 19, little-endian.
        let mut bytes = [0xffu8; 32];
        bytes[0] = 0xed;
        bytes[31] = 0x7f;
        let (low, carry) = bytes[0].overflowing_add(y);
        assert!(!carry, "y is small, so y + p does not carry out of byte 0");
        bytes[0] = low;
        bytes
    }

    #[test]
    fn non_canonical_public_keys_are_refused() {
        // y = 3 is on the curve, and its point is not of small order: the
        // canonical encoding is a usable key.
        let mut canonical = [0u8; 32];
        canonical[0] = 3;
        let key = PublicKey::from_bytes(&canonical).expect("y = 3 is a point of large order");
        assert_eq!(key.to_bytes(), canonical);

        // y + p names the same point. ed25519-dalek alone accepts it, so the
        // refusal below is this crate's check, not the library's.
        let non_canonical = y_plus_p(3);
        assert_eq!(non_canonical, hex!("f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"));
        let lax = VerifyingKey::from_bytes(&non_canonical).expect("dalek reduces y modulo p");
        assert_eq!(lax.to_edwards().compress().to_bytes(), canonical);
        assert!(!lax.is_weak());
        assert_eq!(PublicKey::from_bytes(&non_canonical), Err(BadPublicKey));

        // The same with the sign bit set: the negated point, also non-canonical.
        let mut negated = non_canonical;
        negated[31] |= 0x80;
        assert!(VerifyingKey::from_bytes(&negated).is_ok());
        assert_eq!(PublicKey::from_bytes(&negated), Err(BadPublicKey));
        let mut negated_canonical = canonical;
        negated_canonical[31] |= 0x80;
        assert!(PublicKey::from_bytes(&negated_canonical).is_ok());
    }

    #[test]
    fn secret_key_debug_hides_the_secret() {
        let key = SecretKey::from_seed(&[0x42; 32]);
        let shown = format!("{key:?}");
        assert!(shown.contains("redacted"));
        assert!(!shown.contains("4242"));
    }
}
