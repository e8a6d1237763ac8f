//! The permit as a PASETO v4.public token (Ed25519), through the `pasetors`
//! crate.
//!
//! The payload is JSON with the PASETO registered claim names (`sub`, `iat`,
//! `nbf`, `exp`, `jti`; times as RFC 3339 strings, as PASETO requires) and
//! short private names for the rest. The key id travels in the footer as
//! `{"kid":"1"}` (shorter than the PASERK id PASETO recommends, which favours
//! PASETO in the size report).
//!
//! The verify path is `version4::PublicToken::verify` and then the JSON: the
//! higher-level `pasetors::public::verify` always checks `exp` against the
//! current clock, which a permit from 2020 fails, and no other format is made
//! to check a clock here either. `pasetors` verifies with `ed25519-compact`.

use ed25519_dalek::VerifyingKey;
use icaze_core::Purpose;
use pasetors::keys::{AsymmetricPublicKey, AsymmetricSecretKey};
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};
use pasetors::Public;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::{PeerError, PlainClaims};

/// The claims as JSON.
#[derive(Serialize, Deserialize)]
struct Body {
    sub: String,
    pur: String,
    zones: Vec<u16>,
    iat: String,
    nbf: String,
    exp: String,
    jti: String,
}

/// The footer as JSON.
#[derive(Serialize, Deserialize)]
struct Footer {
    kid: String,
}

/// An issuer's PASETO v4 secret key.
pub struct Signer {
    key: AsymmetricSecretKey<V4>,
}

impl Signer {
    /// The key with RFC 8032 seed `seed` (pasetors takes seed ‖ public key).
    pub fn new(seed: &[u8; 32]) -> Self {
        let public = ed25519_dalek::SigningKey::from_bytes(seed).verifying_key();
        let bytes = [&seed[..], public.as_bytes()].concat();
        // Invariant: the public half was derived from the seed just above,
        // which is all `from` checks for a 64-byte V4 secret key.
        Self { key: AsymmetricSecretKey::<V4>::from(&bytes).expect("seed ‖ derived public key") }
    }
}

/// A device's PASETO v4 public key.
pub struct Verifier {
    key: AsymmetricPublicKey<V4>,
}

impl Verifier {
    /// Verifies tokens signed by `public`.
    pub fn new(public: &VerifyingKey) -> Self {
        // Invariant: V4 accepts any 32 bytes as a public key.
        Self { key: AsymmetricPublicKey::<V4>::from(public.as_bytes()).expect("32-byte key") }
    }
}

fn rfc3339(unix: i64) -> Result<String, PeerError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| PeerError::Sign(format!("time {unix} out of range")))
}

fn unix(text: &str) -> Result<i64, PeerError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|_| PeerError::Claims(format!("{text:?} is not an RFC 3339 time")))
}

/// Signs `claims` as a `v4.public.` token with a key-id footer.
pub fn sign(signer: &Signer, claims: &PlainClaims) -> Result<String, PeerError> {
    let body = Body {
        sub: claims.document.clone(),
        pur: claims.purpose.name(),
        zones: claims.zones.clone(),
        iat: rfc3339(claims.issued_at)?,
        nbf: rfc3339(claims.valid_from)?,
        exp: rfc3339(claims.valid_until)?,
        jti: claims.serial.to_string(),
    };
    let payload = serde_json::to_vec(&body).map_err(|e| PeerError::Sign(e.to_string()))?;
    let footer =
        serde_json::to_vec(&Footer { kid: claims.key_id.to_string() }).map_err(|e| PeerError::Sign(e.to_string()))?;
    PublicToken::sign(&signer.key, &payload, Some(&footer), None).map_err(|e| PeerError::Sign(e.to_string()))
}

/// Decodes a `v4.public.` token, checks its signature, and reads the claims
/// and the footer's key id.
pub fn verify(verifier: &Verifier, text: &str) -> Result<PlainClaims, PeerError> {
    let untrusted = UntrustedToken::<Public, V4>::try_from(text).map_err(|e| PeerError::Encoding(format!("{e:?}")))?;
    let trusted = PublicToken::verify(&verifier.key, &untrusted, None, None).map_err(|_| PeerError::Signature)?;
    let body: Body = serde_json::from_str(trusted.payload()).map_err(|e| PeerError::Claims(e.to_string()))?;
    let footer: Footer = serde_json::from_slice(trusted.footer()).map_err(|e| PeerError::Claims(e.to_string()))?;
    Ok(PlainClaims {
        document: body.sub,
        purpose: Purpose::from_name(&body.pur).ok_or_else(|| PeerError::Claims("unknown purpose".into()))?,
        zones: body.zones,
        issued_at: unix(&body.iat)?,
        valid_from: unix(&body.nbf)?,
        valid_until: unix(&body.exp)?,
        serial: body.jti.parse().map_err(|_| PeerError::Claims("jti is not a serial number".into()))?,
        key_id: footer.kid.parse().map_err(|_| PeerError::Claims("kid is not a number".into()))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fixture;

    #[test]
    fn round_trip_and_tamper() {
        let fx = Fixture::new();
        let text = sign(&fx.paseto_signer(), &fx.plain).unwrap();
        assert!(text.starts_with("v4.public."), "{text}");
        assert_eq!(verify(&fx.paseto_verifier(), &text).unwrap(), fx.plain);

        let mut bytes = text.clone().into_bytes();
        bytes[20] = if bytes[20] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(matches!(verify(&fx.paseto_verifier(), &tampered), Err(PeerError::Signature)));

        let stranger = Verifier::new(&ed25519_dalek::SigningKey::from_bytes(&[3; 32]).verifying_key());
        assert!(matches!(verify(&stranger, &text), Err(PeerError::Signature)));
    }
}
