//! Text formats of key files.
//!
//! A secret key file:
//! ```text
//! # icaze secret key: keep it offline or mode 0600, never share it
//! icaze-secret-key-v1 sms 1 <seed in base64url>
//! ```
//! A public key file:
//! ```text
//! # icaze root public key
//! icaze-public-key-v1 root <key in base64url>
//! ```
//! Lines starting with `#` and blank lines are ignored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use icaze_core::{KeyId, PublicKey, SecretKey};
use zeroize::Zeroizing;

/// A key file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// No line of the expected kind.
    #[error("no {0} line found: is this the right file?")]
    Missing(&'static str),
    /// The line is damaged.
    #[error("the key line is damaged: expected `{0}`")]
    Damaged(&'static str),
}

const SECRET_TAG: &str = "icaze-secret-key-v1";
const PUBLIC_TAG: &str = "icaze-public-key-v1";

pub(crate) fn secret_key_text(role: &str, id: KeyId, key: &SecretKey) -> String {
    let seed = Zeroizing::new(URL_SAFE_NO_PAD.encode(key.seed().as_ref()));
    format!("# icaze secret key: keep it offline or mode 0600, never share it\n{SECRET_TAG} {role} {id} {}\n", *seed)
}

fn key_line<'a>(text: &'a str, tag: &'static str) -> Result<Vec<&'a str>, KeyFileError> {
    let line =
        text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#')).ok_or(KeyFileError::Missing(tag))?;
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.first() != Some(&tag) {
        return Err(KeyFileError::Missing(tag));
    }
    Ok(fields)
}

fn decode32(text: &str, shape: &'static str) -> Result<Zeroizing<[u8; 32]>, KeyFileError> {
    let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(text).map_err(|_| KeyFileError::Damaged(shape))?);
    let mut out = Zeroizing::new([0u8; 32]);
    if bytes.len() != 32 {
        return Err(KeyFileError::Damaged(shape));
    }
    out.copy_from_slice(&bytes);
    Ok(out)
}

pub(crate) fn read_secret_key(text: &str) -> Result<(KeyId, SecretKey), KeyFileError> {
    const SHAPE: &str = "icaze-secret-key-v1 ROLE ID SEED";
    let fields = key_line(text, SECRET_TAG)?;
    let [_, _role, id, seed] = fields.as_slice() else {
        return Err(KeyFileError::Damaged(SHAPE));
    };
    let id = KeyId(id.parse().map_err(|_| KeyFileError::Damaged(SHAPE))?);
    Ok((id, SecretKey::from_seed(&*decode32(seed, SHAPE)?)))
}

/// The text of a public key file for `role`.
pub fn write_public_key_text(role: &str, key: &PublicKey) -> String {
    format!("# icaze {role} public key\n{PUBLIC_TAG} {role} {}\n", URL_SAFE_NO_PAD.encode(key.to_bytes()))
}

/// Reads a public key file.
pub fn read_public_key(text: &str) -> Result<PublicKey, KeyFileError> {
    const SHAPE: &str = "icaze-public-key-v1 ROLE KEY";
    let fields = key_line(text, PUBLIC_TAG)?;
    let [_, _role, key] = fields.as_slice() else {
        return Err(KeyFileError::Damaged(SHAPE));
    };
    PublicKey::from_bytes(&*decode32(key, SHAPE)?).map_err(|_| KeyFileError::Damaged(SHAPE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let key = SecretKey::from_seed(&[5; 32]);
        let (id, back) = read_secret_key(&secret_key_text("sms", KeyId(4), &key)).unwrap();
        assert_eq!(id, KeyId(4));
        assert_eq!(back.public_key(), key.public_key());
        let public = read_public_key(&write_public_key_text("root", &key.public_key())).unwrap();
        assert_eq!(public, key.public_key());
    }

    #[test]
    fn damaged_files_are_errors() {
        assert_eq!(read_public_key("").unwrap_err(), KeyFileError::Missing(PUBLIC_TAG));
        assert!(read_public_key("icaze-public-key-v1 root AAAA").is_err());
        assert!(read_public_key("icaze-public-key-v1 root").is_err());
        assert!(read_secret_key("icaze-public-key-v1 root AAAA").is_err());
        assert!(read_secret_key("icaze-secret-key-v1 sms x AAAA").is_err());
    }
}
