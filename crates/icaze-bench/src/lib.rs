//! Shared fixtures for the Icaze benchmarks: one SMS permit, encoded as an
//! Icaze token and as three peer formats (PASETO v4.public, JWT EdDSA, and
//! COSE_Sign1 as an EU DCC-style `HC1:` string), plus the SMS segment and QR
//! version arithmetic of the size report.
//!
//! ```
//! use icaze_bench::{hc1, jwt, paseto, sms, Fixture};
//!
//! let fx = Fixture::new();
//! let text = fx.token.to_text();
//! assert_eq!(sms::measure(&text).segments, 1);
//!
//! // Every format carries the same claims and gives them back after verifying.
//! let permit = fx.trust.verify(&icaze_core::UnverifiedPermit::from_text(&text)?)?;
//! assert_eq!(icaze_bench::PlainClaims::from_permit(permit.claims(), permit.key_id()), fx.plain);
//! assert_eq!(paseto::verify(&fx.paseto_verifier(), &paseto::sign(&fx.paseto_signer(), &fx.plain)?)?, fx.plain);
//! assert_eq!(jwt::verify(&fx.jwt_verifier(), &jwt::sign(&fx.jwt_signer(), &fx.plain)?)?, fx.plain);
//! assert_eq!(hc1::verify(&fx.public_key(), &hc1::sign(&fx.signing_key(), &fx.plain, hc1::Compression::Zlib)?)?, fx.plain);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The peers are written the way a careful user of each crate would write
//! them, not tuned for speed, and each verify path goes from the text to typed
//! claims: decode, check the signature, read the claims. None of them checks
//! the claims against a clock, and neither does the Icaze path measured here
//! (`TrustList::verify` checks the key's validity at the permit's issue time,
//! which the peers do not do at all).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod fixture;
pub mod hc1;
pub mod jwt;
pub mod paseto;
pub mod qr;
pub mod sms;

pub use fixture::{Fixture, PlainClaims};

/// Why a peer token was refused, or could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// The text is not in the format's encoding.
    #[error("the token text is not well-formed: {0}")]
    Encoding(String),
    /// The signature does not verify under the key.
    #[error("the signature does not verify")]
    Signature,
    /// The signature verified, but the claims are missing a field or hold a wrong type.
    #[error("the claims cannot be read: {0}")]
    Claims(String),
    /// The token could not be made.
    #[error("the token cannot be made: {0}")]
    Sign(String),
}
