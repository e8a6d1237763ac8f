//! The one permit every benchmark and the size report work on.

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use icaze_core::{
    issue, ClaimsSpec, DocumentNumber, KeyId, PermitClaims, PermitSerial, Purpose, PurposeSet, SecretKey, Token,
    TrustList, TrustedKey, UtcMinute, ZoneId, SIGNATURE_LEN,
};

/// The issuer key's RFC 8032 seed: a fixed test key, never a real one.
const ISSUER_SEED: [u8; 32] = [2; 32];
/// 2020-12-15T10:00:00+04:00, in Unix seconds.
const ISSUED_AT: i64 = 1_608_012_000;
/// The December 2020 regime's activation delay: valid 15 minutes after issue.
const VALID_FROM: i64 = ISSUED_AT + 15 * 60;
/// For three hours.
const VALID_UNTIL: i64 = VALID_FROM + 3 * 3600;

/// What a permit says, in plain types: the common ground of every format, so
/// that each one's verify path can be checked to give back the same thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainClaims {
    /// The holder's document number, canonical ASCII form (`AZE11111111`).
    pub document: String,
    /// Why the holder may move.
    pub purpose: Purpose,
    /// Zone numbers, ascending.
    pub zones: Vec<u16>,
    /// Issue time, Unix seconds.
    pub issued_at: i64,
    /// Start of validity, Unix seconds.
    pub valid_from: i64,
    /// End of validity (exclusive), Unix seconds.
    pub valid_until: i64,
    /// The permit's serial number.
    pub serial: u32,
    /// The id of the key that signed it.
    pub key_id: u8,
}

impl PlainClaims {
    /// The plain form of Icaze claims signed by key `key_id`.
    pub fn from_permit(claims: &PermitClaims, key_id: KeyId) -> Self {
        Self {
            document: claims.document().canonical(),
            purpose: claims.purpose(),
            zones: claims.zones().iter().map(|z| z.get()).collect(),
            issued_at: claims.issued_at().unix_seconds(),
            valid_from: claims.valid_from().unix_seconds(),
            valid_until: claims.valid_until().unix_seconds(),
            serial: claims.serial().0,
            key_id: key_id.0,
        }
    }
}

/// An SMS permit (document AZE11111111, purpose Necessities, zone 1, issued
/// and valid from 2020-12-15T10:00+04:00 for three hours, serial 123456789,
/// key id 1), its Icaze token, and the issuer key and trust list around it.
pub struct Fixture {
    /// The issuer key (fixed test seed).
    pub issuer: SecretKey,
    /// A trust list holding the issuer key as key 1.
    pub trust: TrustList,
    /// The claims, as Icaze types.
    pub claims: PermitClaims,
    /// The same claims, as plain types.
    pub plain: PlainClaims,
    /// The Icaze token of the claims, signed by the issuer key.
    pub token: Token,
}

impl Fixture {
    /// Builds the fixture. It panics only if the constants above are wrong,
    /// which every test and benchmark would show at once.
    pub fn new() -> Self {
        let minute = |unix: i64| UtcMinute::from_unix_seconds(unix).expect("fixture time in range");
        let issuer = SecretKey::from_seed(&ISSUER_SEED);
        let trust = TrustList::new(
            1,
            minute(ISSUED_AT - 30 * 86_400),
            vec![TrustedKey {
                id: KeyId(1),
                public_key: issuer.public_key(),
                valid_from: minute(ISSUED_AT - 30 * 86_400),
                valid_until: minute(ISSUED_AT + 60 * 86_400),
                purposes: PurposeSet::of(&[Purpose::Medical, Purpose::Necessities]),
                revoked: false,
                may_sign_bundles: false,
                label: "sms-2020-12".into(),
            }],
        )
        .expect("fixture trust list is well-formed");
        let claims = PermitClaims::new(ClaimsSpec {
            serial: PermitSerial(123_456_789),
            document: DocumentNumber::parse("AZE11111111").expect("fixture document number"),
            purpose: Purpose::Necessities,
            zones: vec![ZoneId::new(1).expect("zone 1 exists")],
            issued_at: minute(ISSUED_AT),
            valid_from: minute(VALID_FROM),
            valid_until: minute(VALID_UNTIL),
            vehicle: None,
        })
        .expect("fixture claims are encodable");
        let token = issue(&issuer, KeyId(1), &claims);
        let plain = PlainClaims::from_permit(&claims, KeyId(1));
        Self { issuer, trust, claims, plain, token }
    }

    /// The issuer key as an ed25519-dalek key, for the raw and COSE signers.
    pub fn signing_key(&self) -> SigningKey {
        SigningKey::from_bytes(&ISSUER_SEED)
    }

    /// The issuer's public key as an ed25519-dalek key.
    pub fn public_key(&self) -> VerifyingKey {
        self.signing_key().verifying_key()
    }

    /// Exactly the message an Icaze permit signature covers: the permit domain
    /// prefix of the token's format, then the packed payload (16 + 17 = 33
    /// bytes here).
    pub fn signed_message(&self) -> Vec<u8> {
        let bytes = self.token.as_bytes();
        let payload = &bytes[..bytes.len() - SIGNATURE_LEN];
        [self.token.format().domain().prefix(), payload].concat()
    }

    /// The token's signature.
    pub fn signature(&self) -> Signature {
        let bytes = self.token.as_bytes();
        let mut sig = [0u8; SIGNATURE_LEN];
        sig.copy_from_slice(&bytes[bytes.len() - SIGNATURE_LEN..]);
        Signature::from_bytes(&sig)
    }

    /// A PASETO v4.public signer with the issuer key.
    pub fn paseto_signer(&self) -> crate::paseto::Signer {
        crate::paseto::Signer::new(&ISSUER_SEED)
    }

    /// A PASETO v4.public verifier with the issuer's public key.
    pub fn paseto_verifier(&self) -> crate::paseto::Verifier {
        crate::paseto::Verifier::new(&self.public_key())
    }

    /// A JWT EdDSA signer with the issuer key.
    pub fn jwt_signer(&self) -> crate::jwt::Signer {
        crate::jwt::Signer::new(&ISSUER_SEED)
    }

    /// A JWT EdDSA verifier with the issuer's public key.
    pub fn jwt_verifier(&self) -> crate::jwt::Verifier {
        crate::jwt::Verifier::new(&self.public_key())
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_the_typical_sms_permit() {
        let fx = Fixture::new();
        assert_eq!(fx.token.as_bytes().len(), 17 + 64);
        assert_eq!(fx.token.to_text().len(), 111);
        assert_eq!(fx.token.to_qr_digits().len(), 197);
        assert_eq!(fx.signed_message().len(), 33);
    }

    #[test]
    fn the_raw_baseline_checks_the_same_signature_as_icaze() {
        let fx = Fixture::new();
        assert!(fx.public_key().verify_strict(&fx.signed_message(), &fx.signature()).is_ok());
        let mut other = fx.signed_message();
        other[20] ^= 1;
        assert!(fx.public_key().verify_strict(&other, &fx.signature()).is_err());
    }

    #[test]
    fn icaze_verifies_to_the_plain_claims() {
        let fx = Fixture::new();
        let text = fx.token.to_text();
        let permit = fx.trust.verify(&icaze_core::UnverifiedPermit::from_text(&text).unwrap()).unwrap();
        assert_eq!(PlainClaims::from_permit(permit.claims(), permit.key_id()), fx.plain);
        assert_eq!(fx.plain.valid_until - fx.plain.valid_from, 3 * 3600);
    }
}
