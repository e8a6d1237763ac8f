//! The permit as the EU Digital COVID Certificate carries its payload: a CWT
//! claims map (RFC 8392) in CBOR, signed as a tagged COSE_Sign1 (RFC 9052)
//! with EdDSA, compressed with zlib, in base45 (RFC 9285), prefixed `HC1:`.
//!
//! The claims map uses the registered CWT keys (2 `sub`, 4 `exp`, 5 `nbf`,
//! 6 `iat`, 7 `cti`, the serial as 4 big-endian bytes) and two one-byte private
//! keys, -1 for the purpose code and -2 for the zone list; the protected header
//! holds the algorithm and a one-byte key id. The DCC itself uses an 8-byte key
//! id and a much larger registered claim (-260), so this layout favours COSE.
//!
//! The signature is made with ed25519-dalek over coset's `Sig_structure`
//! (`tbs_data`) and checked with `verify_strict`, as Icaze does. Not checked:
//! `exp` and `nbf` against a clock.

use std::io::{Read, Write};

use ciborium::Value;
use coset::iana;
use coset::{CoseSign1, CoseSign1Builder, HeaderBuilder, RegisteredLabelWithPrivate, TaggedCborSerializable};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use icaze_core::Purpose;

use crate::{PeerError, PlainClaims};

/// The prefix of the text form.
pub const PREFIX: &str = "HC1:";
/// No permit inflates to more than this; a larger one is refused.
const MAX_INFLATED: u64 = 4096;

const SUB: i64 = 2;
const EXP: i64 = 4;
const NBF: i64 = 5;
const IAT: i64 = 6;
const CTI: i64 = 7;
const PURPOSE: i64 = -1;
const ZONES: i64 = -2;

/// Whether the COSE bytes are zlib-compressed before base45, as in the DCC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// zlib at its best level, as the DCC does.
    Zlib,
    /// The COSE bytes as they are (for the size report: zlib cannot shrink a
    /// payload this small and mostly random).
    None,
}

fn claims_map(claims: &PlainClaims) -> Value {
    let int = |n: i64| Value::Integer(n.into());
    Value::Map(vec![
        (int(SUB), Value::Text(claims.document.clone())),
        (int(EXP), int(claims.valid_until)),
        (int(NBF), int(claims.valid_from)),
        (int(IAT), int(claims.issued_at)),
        (int(CTI), Value::Bytes(claims.serial.to_be_bytes().to_vec())),
        (int(PURPOSE), int(i64::from(claims.purpose.code()))),
        (int(ZONES), Value::Array(claims.zones.iter().map(|&z| int(i64::from(z))).collect())),
    ])
}

/// Signs `claims` and encodes them as an `HC1:` string.
pub fn sign(key: &SigningKey, claims: &PlainClaims, compression: Compression) -> Result<String, PeerError> {
    let mut payload = Vec::new();
    ciborium::into_writer(&claims_map(claims), &mut payload).map_err(|e| PeerError::Sign(e.to_string()))?;
    let protected = HeaderBuilder::new().algorithm(iana::Algorithm::EdDSA).key_id(vec![claims.key_id]).build();
    let mut sign1 = CoseSign1Builder::new().protected(protected).payload(payload).build();
    sign1.signature = key.sign(&sign1.tbs_data(b"")).to_bytes().to_vec();
    let cose = sign1.to_tagged_vec().map_err(|e| PeerError::Sign(e.to_string()))?;
    let bytes = match compression {
        Compression::Zlib => {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(&cose).and_then(|()| z.finish()).map_err(|e| PeerError::Sign(e.to_string()))?
        }
        Compression::None => cose,
    };
    Ok(format!("{PREFIX}{}", base45::encode(bytes)))
}

/// Decodes an `HC1:` string (zlib-compressed or not), checks the COSE_Sign1
/// signature with `verify_strict`, and reads the claims map.
pub fn verify(key: &VerifyingKey, text: &str) -> Result<PlainClaims, PeerError> {
    let body = text.strip_prefix(PREFIX).ok_or_else(|| PeerError::Encoding("no HC1: prefix".into()))?;
    let bytes = base45::decode(body).map_err(|e| PeerError::Encoding(e.to_string()))?;
    // A tagged COSE_Sign1 starts with tag 18 (0xd2); a zlib stream with 0x78.
    let cose = if bytes.first() == Some(&0x78) {
        let mut inflated = Vec::new();
        flate2::read::ZlibDecoder::new(bytes.as_slice())
            .take(MAX_INFLATED + 1)
            .read_to_end(&mut inflated)
            .map_err(|e| PeerError::Encoding(format!("zlib: {e}")))?;
        if inflated.len() as u64 > MAX_INFLATED {
            return Err(PeerError::Encoding("inflates to more than 4 KiB".into()));
        }
        inflated
    } else {
        bytes
    };
    let sign1 = CoseSign1::from_tagged_slice(&cose).map_err(|e| PeerError::Encoding(e.to_string()))?;
    if sign1.protected.header.alg != Some(RegisteredLabelWithPrivate::Assigned(iana::Algorithm::EdDSA)) {
        return Err(PeerError::Encoding("the algorithm is not EdDSA".into()));
    }
    sign1.verify_signature(b"", |signature, data| {
        let signature = Signature::from_slice(signature).map_err(|_| PeerError::Signature)?;
        key.verify_strict(data, &signature).map_err(|_| PeerError::Signature)
    })?;
    let key_id = match sign1.protected.header.key_id.as_slice() {
        [id] => *id,
        _ => return Err(PeerError::Claims("the key id is not one byte".into())),
    };
    let payload = sign1.payload.as_deref().ok_or_else(|| PeerError::Claims("no payload".into()))?;
    let map: Value = ciborium::from_reader(payload).map_err(|e| PeerError::Claims(e.to_string()))?;
    read_claims(map, key_id)
}

fn read_claims(map: Value, key_id: u8) -> Result<PlainClaims, PeerError> {
    let missing = |name: &str| PeerError::Claims(format!("{name} is missing or of the wrong type"));
    let Value::Map(entries) = map else {
        return Err(PeerError::Claims("the payload is not a map".into()));
    };
    let (mut sub, mut exp, mut nbf, mut iat, mut cti, mut purpose, mut zones) =
        (None, None, None, None, None, None, None);
    for (k, v) in entries {
        let Some(k) = k.as_integer().and_then(|k| i64::try_from(k).ok()) else { continue };
        let as_i64 = |v: &Value| v.as_integer().and_then(|n| i64::try_from(n).ok());
        match k {
            SUB => sub = v.into_text().ok(),
            EXP => exp = as_i64(&v),
            NBF => nbf = as_i64(&v),
            IAT => iat = as_i64(&v),
            CTI => cti = v.into_bytes().ok().and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes),
            PURPOSE => purpose = as_i64(&v).and_then(|c| u8::try_from(c).ok()).and_then(Purpose::from_code),
            ZONES => {
                zones = v.into_array().ok().and_then(|a| {
                    a.iter().map(|z| as_i64(z).and_then(|z| u16::try_from(z).ok())).collect::<Option<Vec<u16>>>()
                })
            }
            _ => {}
        }
    }
    Ok(PlainClaims {
        document: sub.ok_or_else(|| missing("sub"))?,
        purpose: purpose.ok_or_else(|| missing("purpose"))?,
        zones: zones.ok_or_else(|| missing("zones"))?,
        issued_at: iat.ok_or_else(|| missing("iat"))?,
        valid_from: nbf.ok_or_else(|| missing("nbf"))?,
        valid_until: exp.ok_or_else(|| missing("exp"))?,
        serial: cti.ok_or_else(|| missing("cti"))?,
        key_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fixture;

    #[test]
    fn round_trip_with_and_without_zlib() {
        let fx = Fixture::new();
        for compression in [Compression::Zlib, Compression::None] {
            let text = sign(&fx.signing_key(), &fx.plain, compression).unwrap();
            assert!(text.starts_with("HC1:"));
            assert_eq!(verify(&fx.public_key(), &text).unwrap(), fx.plain, "{compression:?}");
        }
    }

    #[test]
    fn a_changed_claim_fails_the_signature() {
        let fx = Fixture::new();
        let text = sign(&fx.signing_key(), &fx.plain, Compression::None).unwrap();
        let mut cose = base45::decode(&text[PREFIX.len()..]).unwrap();
        let at = cose.windows(11).position(|w| w == b"AZE11111111").unwrap();
        cose[at + 10] = b'2';
        let tampered = format!("{PREFIX}{}", base45::encode(cose));
        assert!(matches!(verify(&fx.public_key(), &tampered), Err(PeerError::Signature)));

        let stranger = SigningKey::from_bytes(&[3; 32]).verifying_key();
        let text = sign(&fx.signing_key(), &fx.plain, Compression::Zlib).unwrap();
        assert!(matches!(verify(&stranger, &text), Err(PeerError::Signature)));
    }
}
