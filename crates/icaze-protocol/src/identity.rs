//! A device's public identity: its [`DeviceId`] and the [`EnrollmentCode`] a
//! precinct supervisor reads to enrol it. The device's secret key stays on the
//! device (`icaze-device`).
//!
//! See [`EnrollmentCode`] and [`DeviceId`] for the formats.

use std::fmt;

use icaze_core::PublicKey;
use sha2::{Digest as _, Sha256};

const CODE_PREFIX: &str = "ICZD1-";
const ENROLL_DOMAIN: &[u8] = b"icaze:enroll:v1\0";
const ID_DOMAIN: &[u8] = b"icaze:device-id:v1\0";
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The device's public identity, the same on the device and on the server:
/// `base32(SHA-256("icaze:device-id:v1\0" || public_key)[0..10])`, 16 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeviceId([u8; 10]);

impl DeviceId {
    /// The id of the device with this public key.
    pub fn of(key: &PublicKey) -> Self {
        let digest = Sha256::new().chain_update(ID_DOMAIN).chain_update(key.to_bytes()).finalize();
        let mut id = [0; 10];
        // Invariant: a SHA-256 digest is 32 bytes, so the first 10 exist.
        id.copy_from_slice(&digest[..10]);
        Self(id)
    }

    /// Reads the 16-character form (case ignored); `None` if it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 16 {
            return None;
        }
        let bytes = unbase32(&text.to_ascii_uppercase())?;
        Some(Self(bytes.try_into().ok()?))
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&base32(&self.0))
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({self})")
    }
}

/// The text a supervisor enters (or scans) to enrol a device: its public key with a check.
///
/// Enrollment code, version 1:
///
/// ```text
/// code     = "ICZD1-" || groups of 4 characters of base32(public_key || check), joined by "-"
/// check    = SHA-256("icaze:enroll:v1\0" || public_key)[0..4]
/// base32   = RFC 4648 alphabet A–Z 2–7, no padding (36 bytes → 58 characters)
/// ```
///
/// Every character is in the QR alphanumeric set, so the code's QR symbol is
/// small. A reader ignores case, spaces and dashes after the prefix, and
/// refuses a code whose check bytes do not match (a mistyped character).
///
/// `DeviceId` = base32(SHA-256("icaze:device-id:v1\0" || public_key)[0..10]):
/// 16 characters, the same on the device and on the server.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollmentCode {
    key: PublicKey,
}

/// An enrollment code that does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnrollmentCodeError {
    /// It does not start with `ICZD1-`.
    #[error("an enrollment code starts with ICZD1-: is this the right text?")]
    Prefix,
    /// A character outside A–Z, 2–7, or the wrong length.
    #[error("the enrollment code has a character that is not A-Z or 2-7, or the wrong length: retype it")]
    Encoding,
    /// The check bytes do not match: a character was mistyped.
    #[error("the enrollment code's check does not match: a character was mistyped, retype it")]
    Check,
    /// The key is not a valid Ed25519 public key.
    #[error("the enrollment code does not hold a valid public key")]
    BadKey,
}

impl EnrollmentCode {
    /// The code for a device key.
    pub fn of(key: &PublicKey) -> Self {
        Self { key: *key }
    }

    /// The device's public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// The device id.
    pub fn device_id(&self) -> DeviceId {
        DeviceId::of(&self.key)
    }

    /// Reads a code, ignoring case, spaces and dashes after the prefix.
    pub fn parse(text: &str) -> Result<Self, EnrollmentCodeError> {
        let text = text.trim();
        let head = text.get(..CODE_PREFIX.len()).ok_or(EnrollmentCodeError::Prefix)?;
        if !head.eq_ignore_ascii_case(CODE_PREFIX) {
            return Err(EnrollmentCodeError::Prefix);
        }
        let rest = text.get(CODE_PREFIX.len()..).ok_or(EnrollmentCodeError::Prefix)?;
        let chars: String =
            rest.chars().filter(|c| *c != '-' && !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
        let bytes = unbase32(&chars).ok_or(EnrollmentCodeError::Encoding)?;
        let [key @ .., c0, c1, c2, c3] = bytes.as_slice() else {
            return Err(EnrollmentCodeError::Encoding);
        };
        let key: [u8; 32] = key.try_into().map_err(|_| EnrollmentCodeError::Encoding)?;
        if check_bytes(&key) != [*c0, *c1, *c2, *c3] {
            return Err(EnrollmentCodeError::Check);
        }
        let key = PublicKey::from_bytes(&key).map_err(|_| EnrollmentCodeError::BadKey)?;
        Ok(Self { key })
    }
}

fn check_bytes(key: &[u8; 32]) -> [u8; 4] {
    let digest = Sha256::new().chain_update(ENROLL_DOMAIN).chain_update(key).finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

impl fmt::Display for EnrollmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.key.to_bytes();
        let mut bytes = key.to_vec();
        bytes.extend_from_slice(&check_bytes(&key));
        let chars = base32(&bytes);
        let groups: Vec<&str> = chars.as_bytes().chunks(4).filter_map(|c| std::str::from_utf8(c).ok()).collect();
        write!(f, "{CODE_PREFIX}{}", groups.join("-"))
    }
}

impl fmt::Debug for EnrollmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EnrollmentCode({self})")
    }
}

fn base32(bytes: &[u8]) -> String {
    // Every index below is masked with 31, inside the 32-letter alphabet.
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((acc >> bits) & 31) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes unpadded base32; `None` for a character outside the alphabet,
/// an impossible length or non-zero unused bits (one text per byte string).
fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = BASE32.iter().position(|&a| a == c)? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 5 && acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use icaze_core::SecretKey;

    #[test]
    fn base32_round_trips_and_is_canonical() {
        for n in 0..40 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(unbase32(&base32(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI"); // RFC 4648 test vector, unpadded
        assert!(unbase32("MZXW6YTBOJ").is_none(), "non-zero unused bits");
        assert!(unbase32("M1").is_none());
    }

    #[test]
    fn enrollment_code_round_trips_and_catches_typos() {
        let key = SecretKey::from_seed(&[3; 32]).public_key();
        let code = EnrollmentCode::of(&key).to_string();
        assert!(code.starts_with("ICZD1-"), "{code}");
        assert_eq!(code.len(), 6 + 58 + 14, "{code}");
        let back = EnrollmentCode::parse(&code.to_lowercase().replace('-', " ").replacen(' ', "-", 1)).unwrap();
        assert_eq!(back.public_key(), &key);
        assert_eq!(back.device_id(), DeviceId::of(&key));
        assert_eq!(DeviceId::of(&key).to_string().len(), 16);
        assert_eq!(DeviceId::parse(&DeviceId::of(&key).to_string().to_lowercase()), Some(DeviceId::of(&key)));
        assert_eq!(DeviceId::parse("AAAA"), None);
        assert_eq!(DeviceId::parse("AAAAAAAAAAAAAAA1"), None);
        let mut typo: Vec<char> = code.chars().collect();
        typo[7] = if typo[7] == 'A' { 'B' } else { 'A' };
        let typo: String = typo.into_iter().collect();
        assert!(EnrollmentCode::parse(&typo).is_err());
        assert_eq!(EnrollmentCode::parse("hello"), Err(EnrollmentCodeError::Prefix));
        assert_eq!(EnrollmentCode::parse("ICZD1-AAAA"), Err(EnrollmentCodeError::Encoding));
        assert_eq!(EnrollmentCode::parse("ICZD1-é"), Err(EnrollmentCodeError::Encoding));
    }
}
