//! Why a token or trust list was refused. Every error has a stable code.

/// Bytes or text that are not a well-formed token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text holds no token.
    #[error("no permit token found: a token starts with IZ1 (SMS) or is a long string of digits (QR)")]
    NotFound,
    /// The characters are not a valid encoding (base64url after the prefix, or
    /// the digit groups of the QR form).
    #[error("the token text is damaged: it is not valid {0} (was it cut or retyped?)")]
    BadEncoding(&'static str),
    /// A format version this software does not read.
    #[error("the token is format version {0}, which this software cannot read: update the app")]
    UnsupportedVersion(u8),
    /// The token ends before its last field or its signature.
    #[error("the token is truncated: it ends before its signature is complete")]
    Truncated,
    /// Bytes after the end of the token.
    #[error("the token has extra bytes after its end")]
    TrailingBytes,
    /// More bytes or characters than any valid token has.
    #[error("the token is longer than any valid permit")]
    TooLong,
    /// A field holds a value the format does not allow.
    #[error("the token's {0} field is invalid")]
    InvalidField(&'static str),
}

impl ParseError {
    /// A stable machine code, e.g. `truncated`.
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::NotFound => "no_token",
            ParseError::BadEncoding(_) => "bad_encoding",
            ParseError::UnsupportedVersion(_) => "unsupported_version",
            ParseError::Truncated => "truncated",
            ParseError::TrailingBytes => "trailing_bytes",
            ParseError::TooLong => "too_long",
            ParseError::InvalidField(_) => "invalid_field",
        }
    }
}

/// A well-formed token that the trust list does not vouch for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No key of that id is in the trust list.
    #[error(
        "the permit is signed by key {0}, which is not in the trust list: sync the device, or the permit is forged"
    )]
    UnknownKey(u8),
    /// The signature does not match the claims and key.
    #[error("the permit's signature is not valid: it was altered or forged")]
    BadSignature,
    /// The key has been revoked by the authority.
    #[error("the key that signed this permit (key {0}) has been revoked")]
    KeyRevoked(u8),
    /// The permit's issue time is outside the key's validity.
    #[error("the permit was issued when its key (key {0}) was not valid")]
    KeyNotValid(u8),
    /// The key may not sign permits of this purpose.
    #[error("key {key} may not sign {purpose} permits")]
    PurposeNotAllowed {
        /// The key.
        key: u8,
        /// The purpose's name.
        purpose: String,
    },
}

impl VerifyError {
    /// A stable machine code, e.g. `bad_signature`.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::UnknownKey(_) => "unknown_key",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::KeyRevoked(_) => "key_revoked",
            VerifyError::KeyNotValid(_) => "key_not_valid",
            VerifyError::PurposeNotAllowed { .. } => "purpose_not_allowed",
        }
    }
}
