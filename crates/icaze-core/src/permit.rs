//! Permit tokens: issuing one, and the unverified → verified path of reading one.

use crate::claims::{KeyId, PermitClaims};
use crate::error::ParseError;
use crate::sign::{Domain, SecretKey, SIGNATURE_LEN};
use crate::text;
use crate::wire;

/// An encoded, signed permit: payload then signature, with its text forms.
/// It says nothing about whether the signature is good; see [`UnverifiedPermit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(Vec<u8>);

impl Token {
    /// The bytes: packed payload, then the 64-byte Ed25519 signature.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The SMS form, `IZ1…`: GSM 03.38 basic characters, no spaces.
    pub fn to_text(&self) -> String {
        text::to_sms(&self.0)
    }

    /// The QR form: digits only, for a QR code in numeric mode.
    pub fn to_qr_digits(&self) -> String {
        text::to_qr_digits(&self.0)
    }
}

/// Signs `claims` with an issuer key, giving the token to hand to the holder.
///
/// The caller is the authority: it chooses a key whose trust list entry allows
/// `claims.purpose()` and covers `claims.issued_at()`; a token signed otherwise
/// is made, but no device will accept it.
pub fn issue(key: &SecretKey, key_id: KeyId, claims: &PermitClaims) -> Token {
    let mut bytes = wire::encode(key_id, claims);
    let signature = key.sign(Domain::Permit, &bytes);
    bytes.extend_from_slice(&signature);
    Token(bytes)
}

/// A token read from outside: well-formed, but not yet checked against a trust
/// list. Only its key id can be read; the claims are reached through
/// [`crate::TrustList::verify`], which gives a [`VerifiedPermit`].
#[derive(Debug, Clone)]
pub struct UnverifiedPermit {
    token: Token,
    key_id: KeyId,
    claims: PermitClaims,
}

impl UnverifiedPermit {
    /// Reads token bytes (payload then signature).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        if bytes.len() > text::MAX_TOKEN_BYTES {
            return Err(ParseError::TooLong);
        }
        let split = bytes.len().checked_sub(SIGNATURE_LEN).ok_or(ParseError::Truncated)?;
        let (key_id, claims) = wire::decode(&bytes[..split])?;
        Ok(Self { token: Token(bytes.to_vec()), key_id, claims })
    }

    /// Reads a text that is exactly one token, in the SMS form (`IZ1…`) or the
    /// QR form (digits); white space around it is ignored.
    pub fn from_text(text: &str) -> Result<Self, ParseError> {
        Self::from_bytes(&text::decode_exact(text)?)
    }

    /// Finds a token inside a longer text, such as a whole SMS reply pasted by
    /// an officer, and reads the first one that is well-formed. When none is,
    /// the error is that of the first candidate, or [`ParseError::NotFound`].
    pub fn find_in_text(text: &str) -> Result<Self, ParseError> {
        let mut first_error = None;
        for candidate in text::candidates(text) {
            match Self::from_text(candidate) {
                Ok(permit) => return Ok(permit),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(ParseError::NotFound))
    }

    /// The id of the key that claims to have signed it.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The token, to re-encode (e.g. as a QR code) without trusting it.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The signed bytes and the signature, for the trust list to check.
    pub(crate) fn signed_parts(&self) -> (&[u8], [u8; SIGNATURE_LEN]) {
        let bytes = self.token.as_bytes();
        let split = bytes.len() - SIGNATURE_LEN;
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(&bytes[split..]);
        (&bytes[..split], signature)
    }

    pub(crate) fn into_verified(self) -> VerifiedPermit {
        VerifiedPermit { token: self.token, key_id: self.key_id, claims: self.claims }
    }

    pub(crate) fn claims_unchecked(&self) -> &PermitClaims {
        &self.claims
    }
}

/// A permit whose signature was checked against the trust list, whose key was
/// valid when it was issued and may sign its purpose. Its claims can be read.
/// Whether it is valid *now*, *here*, and not revoked is a further question:
/// see [`crate::evaluate`].
#[derive(Debug, Clone)]
pub struct VerifiedPermit {
    token: Token,
    key_id: KeyId,
    claims: PermitClaims,
}

impl VerifiedPermit {
    /// What the permit says.
    pub fn claims(&self) -> &PermitClaims {
        &self.claims
    }

    /// The key that signed it.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The token it was read from.
    pub fn token(&self) -> &Token {
        &self.token
    }
}
