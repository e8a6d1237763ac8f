//! Permit tokens: issuing one, and the unverified → verified path of reading one.

use crate::claims::{KeyId, PermitClaims};
use crate::error::ParseError;
use crate::sign::{Domain, SecretKey, SIGNATURE_LEN};
use crate::text;
use crate::wire::{self, Format};

/// An encoded, signed permit: payload then signature, with its text forms.
/// It says nothing about whether the signature is good; see [`UnverifiedPermit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(Vec<u8>);

impl Token {
    /// The bytes: packed payload, then the 64-byte Ed25519 signature.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The format, read from the first four bits.
    pub fn format(&self) -> Format {
        // Invariant: a `Token` is made only by `issue` or by a successful parse,
        // so its first four bits are a version this crate reads.
        self.0.first().and_then(|b| Format::from_version(b >> 4)).unwrap_or(Format::V1)
    }

    /// The SMS form, `IZ2…` (or `IZ1…` for a v1 token): GSM 03.38 basic
    /// characters, no spaces.
    pub fn to_text(&self) -> String {
        text::to_sms(&self.0)
    }

    /// The QR form: digits only, for a QR code in numeric mode.
    pub fn to_qr_digits(&self) -> String {
        text::to_qr_digits(&self.0)
    }
}

/// Signs `claims` with an issuer key, giving the token to hand to the holder,
/// in the format issuers write ([`Format::V2`]).
///
/// The caller is the authority: it chooses a key whose trust list entry allows
/// `claims.purpose()` and covers `claims.issued_at()`; a token signed otherwise
/// is made, but no device will accept it.
pub fn issue(key: &SecretKey, key_id: KeyId, claims: &PermitClaims) -> Token {
    issue_as(Format::V2, key, key_id, claims)
}

/// [`issue`] in a format of the caller's choice: [`Format::V1`] for the
/// permits of devices that read only v1, and for tests of both.
pub fn issue_as(format: Format, key: &SecretKey, key_id: KeyId, claims: &PermitClaims) -> Token {
    let mut bytes = format.encode(key_id, claims);
    let signature = key.sign(format.domain(), &bytes);
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
        let (_, key_id, claims) = wire::decode_any(&bytes[..split])?;
        Ok(Self { token: Token(bytes.to_vec()), key_id, claims })
    }

    /// Reads a text that is exactly one token, in the SMS form (`IZ2…`,
    /// `IZ1…`) or the QR form (digits); white space around it is ignored. The
    /// SMS form's version digit must be the payload's own version.
    pub fn from_text(text: &str) -> Result<Self, ParseError> {
        let decoded = text::decode_exact(text)?;
        let bytes = decoded.bytes;
        if let Some(version) = decoded.prefix_version {
            // After the length checks of `from_bytes`, before its payload is
            // read: the payload's first four bits are its version.
            if bytes.len() > text::MAX_TOKEN_BYTES {
                return Err(ParseError::TooLong);
            }
            if bytes.len() <= SIGNATURE_LEN {
                return Err(ParseError::Truncated);
            }
            if bytes[0] >> 4 != version {
                return Err(ParseError::InvalidField("version"));
            }
        }
        Self::from_bytes(&bytes)
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

    /// The signature's domain, the signed bytes and the signature, for the
    /// trust list to check.
    pub(crate) fn signed_parts(&self) -> (Domain, &[u8], [u8; SIGNATURE_LEN]) {
        let bytes = self.token.as_bytes();
        let split = bytes.len() - SIGNATURE_LEN;
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(&bytes[split..]);
        (self.token.format().domain(), &bytes[..split], signature)
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
