//! The permit as a JWT (RFC 7519) signed with EdDSA (Ed25519), through the
//! `jsonwebtoken` crate and its RustCrypto backend.
//!
//! The header is `{"typ":"JWT","alg":"EdDSA","kid":"1"}` and the claims are
//! JSON with the registered names where one fits (`sub`, `iat`, `nbf`, `exp`,
//! `jti`) and short private names for the rest (`pur`, `zones`).
//!
//! Not checked here, by design of the comparison: `exp` and `nbf` against a
//! clock (the permit is from 2020). Note that `jsonwebtoken` verifies with
//! ed25519-dalek's `verify`, not `verify_strict`, and builds the verifying key
//! from its bytes again on every call; both are what a user of the crate gets.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::VerifyingKey;
use icaze_core::Purpose;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{PeerError, PlainClaims};

/// The claims as JSON.
#[derive(Serialize, Deserialize)]
struct Body {
    sub: String,
    pur: String,
    zones: Vec<u16>,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
}

/// An issuer's JWT signing key.
pub struct Signer {
    key: EncodingKey,
}

impl Signer {
    /// The key with RFC 8032 seed `seed`, wrapped as PKCS#8 (RFC 8410), which
    /// is the form `jsonwebtoken` takes Ed25519 secret keys in.
    pub fn new(seed: &[u8; 32]) -> Self {
        const PKCS8_PREFIX: [u8; 16] =
            [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
        let der = [&PKCS8_PREFIX[..], seed].concat();
        Self { key: EncodingKey::from_ed_der(&der) }
    }
}

/// A device's JWT verifier: the issuer's public key and the validation rules.
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl Verifier {
    /// Verifies EdDSA tokens by `public`; `exp` is neither required nor checked.
    pub fn new(public: &VerifyingKey) -> Self {
        // Invariant: 32 bytes in unpadded base64url are always a valid JWK `x`.
        let key = DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(public.as_bytes()))
            .expect("base64url of 32 bytes decodes");
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        Self { key, validation }
    }
}

/// Signs `claims` as a compact JWT.
pub fn sign(signer: &Signer, claims: &PlainClaims) -> Result<String, PeerError> {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(claims.key_id.to_string());
    let body = Body {
        sub: claims.document.clone(),
        pur: claims.purpose.name(),
        zones: claims.zones.clone(),
        iat: claims.issued_at,
        nbf: claims.valid_from,
        exp: claims.valid_until,
        jti: claims.serial.to_string(),
    };
    jsonwebtoken::encode(&header, &body, &signer.key).map_err(|e| PeerError::Sign(e.to_string()))
}

/// Decodes a compact JWT, checks its EdDSA signature, and reads the claims.
pub fn verify(verifier: &Verifier, text: &str) -> Result<PlainClaims, PeerError> {
    use jsonwebtoken::errors::ErrorKind;
    let data = jsonwebtoken::decode::<Body>(text, &verifier.key, &verifier.validation).map_err(|e| match e.kind() {
        ErrorKind::InvalidSignature => PeerError::Signature,
        ErrorKind::Json(_) | ErrorKind::MissingRequiredClaim(_) => PeerError::Claims(e.to_string()),
        _ => PeerError::Encoding(e.to_string()),
    })?;
    let key_id = data
        .header
        .kid
        .as_deref()
        .and_then(|kid| kid.parse().ok())
        .ok_or_else(|| PeerError::Claims("kid is missing or not a number".into()))?;
    let body = data.claims;
    Ok(PlainClaims {
        document: body.sub,
        purpose: Purpose::from_name(&body.pur).ok_or_else(|| PeerError::Claims("unknown purpose".into()))?,
        zones: body.zones,
        issued_at: body.iat,
        valid_from: body.nbf,
        valid_until: body.exp,
        serial: body.jti.parse().map_err(|_| PeerError::Claims("jti is not a serial number".into()))?,
        key_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fixture;

    #[test]
    fn round_trip_and_tamper() {
        let fx = Fixture::new();
        let text = sign(&fx.jwt_signer(), &fx.plain).unwrap();
        assert!(text.starts_with("eyJ"), "{text}");
        assert_eq!(verify(&fx.jwt_verifier(), &text).unwrap(), fx.plain);

        // Change one claim character in the payload (the middle part).
        let dot = text.find('.').unwrap();
        let mut bytes = text.clone().into_bytes();
        bytes[dot + 10] = if bytes[dot + 10] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(verify(&fx.jwt_verifier(), &tampered).is_err());

        let stranger = Verifier::new(&ed25519_dalek::SigningKey::from_bytes(&[3; 32]).verifying_key());
        assert!(matches!(verify(&stranger, &text), Err(PeerError::Signature)));
    }
}
