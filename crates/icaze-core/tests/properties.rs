//! Property tests: any claims round-trip; no change to a token's bytes or text
//! is ever accepted; no input panics.

use icaze_core::*;
use proptest::prelude::*;

const EPOCH_2020: u32 = 26_297_280;

fn keys() -> (SecretKey, TrustList) {
    let issuer = SecretKey::from_seed(&[2; 32]);
    let all: Vec<Purpose> = (1..=15).filter_map(Purpose::from_code).collect();
    let trust = TrustList::new(
        1,
        UtcMinute::from_unix_minutes(EPOCH_2020),
        vec![TrustedKey {
            id: KeyId(7),
            public_key: issuer.public_key(),
            valid_from: UtcMinute::from_unix_minutes(EPOCH_2020),
            valid_until: UtcMinute::from_unix_minutes(EPOCH_2020 + (1 << 26)),
            purposes: PurposeSet::of(&all),
            revoked: false,
            may_sign_bundles: false,
            label: "all".into(),
        }],
    )
    .unwrap();
    (issuer, trust)
}

fn document() -> impl Strategy<Value = DocumentNumber> {
    prop_oneof![
        ("[A-Z]{1,7}", "[0-9]{1,15}")
            .prop_filter_map("id card", |(s, d)| { DocumentNumber::new(DocumentKind::IdCard, &s, &d).ok() }),
        "[0-9]{7}".prop_map(|d| DocumentNumber::parse(&format!("MYI{d}")).unwrap()),
        "[0-9]{7}".prop_map(|d| DocumentNumber::parse(&format!("DYI{d}")).unwrap()),
        "[0-9]{7}".prop_map(|d| DocumentNumber::parse(&format!("MOM{d}")).unwrap()),
        ("[A-Z]{0,7}", "[0-9]{1,15}")
            .prop_filter_map("notice", |(s, d)| { DocumentNumber::new(DocumentKind::RegistrationNotice, &s, &d).ok() }),
    ]
}

prop_compose! {
    fn claims()(
        serial in any::<u32>(),
        document in document(),
        purpose in (1u8..=15).prop_map(|c| Purpose::from_code(c).unwrap()),
        zones in proptest::collection::vec(1u16..=4095, 1..=16),
        issued in 0u32..(1 << 26),
        from_delta in prop_oneof![Just(0i64), -((1i64 << 20) - 1)..(1i64 << 20)],
        duration in prop_oneof![1u32..2048, 1u32..(1 << 20)],
        vehicle in proptest::option::of("[0-9A-Z]{1,15}"),
    ) -> Option<PermitClaims> {
        let issued_at = UtcMinute::from_unix_minutes(EPOCH_2020 + issued);
        let from = i64::from(issued_at.unix_minutes()) + from_delta;
        let valid_from = UtcMinute::from_unix_minutes(u32::try_from(from).ok()?);
        PermitClaims::new(ClaimsSpec {
            serial: PermitSerial(serial),
            document,
            purpose,
            zones: zones.into_iter().filter_map(ZoneId::new).collect(),
            issued_at,
            valid_from,
            valid_until: valid_from.checked_add(duration)?,
            vehicle: vehicle.and_then(|v| VehiclePlate::parse(&v)),
        }).ok()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_claims_round_trip_through_both_text_forms(claims in claims()) {
        let Some(claims) = claims else { return Ok(()) };
        let (issuer, trust) = keys();
        let token = issue(&issuer, KeyId(7), &claims);
        for text in [token.to_text(), token.to_qr_digits()] {
            let permit = trust.verify(&UnverifiedPermit::from_text(&text).unwrap()).unwrap();
            prop_assert_eq!(permit.claims(), &claims);
            prop_assert_eq!(permit.token(), &token);
        }
        prop_assert!(token.to_text().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn any_changed_byte_is_rejected(claims in claims(), index in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let Some(claims) = claims else { return Ok(()) };
        let (issuer, trust) = keys();
        let mut bytes = issue(&issuer, KeyId(7), &claims).as_bytes().to_vec();
        let i = index.index(bytes.len());
        bytes[i] ^= xor;
        if let Ok(permit) = UnverifiedPermit::from_bytes(&bytes) {
            prop_assert!(trust.verify(&permit).is_err(), "byte {} changed by {:#x} still verifies", i, xor);
        }
    }

    #[test]
    fn any_changed_character_is_rejected(claims in claims(), index in any::<prop::sample::Index>(), c in "[A-Za-z0-9_=. -]") {
        let Some(claims) = claims else { return Ok(()) };
        let (issuer, trust) = keys();
        let text = issue(&issuer, KeyId(7), &claims).to_text();
        let i = 3 + index.index(text.len() - 3);
        if text[i..].starts_with(&c) { return Ok(()) }
        let changed = format!("{}{}{}", &text[..i], c, &text[i + 1..]);
        let verdict = evaluate(&changed, &trust, &Check { at: claims.valid_from(), zone: None });
        prop_assert_ne!(verdict.status, Status::Valid, "{} still valid", changed);
    }

    #[test]
    fn arbitrary_text_never_panics_or_passes(text in "\\PC{0,300}") {
        let (_, trust) = keys();
        let verdict = evaluate(&text, &trust, &Check { at: UtcMinute::from_unix_minutes(EPOCH_2020 + 500_000), zone: None });
        prop_assert_ne!(verdict.status, Status::Valid);
    }

    #[test]
    fn arbitrary_token_text_never_panics_or_passes(body in "[A-Za-z0-9_-]{0,250}", digits in "[0-9]{90,240}") {
        let (_, trust) = keys();
        let check = Check { at: UtcMinute::from_unix_minutes(EPOCH_2020 + 500_000), zone: None };
        prop_assert_ne!(evaluate(&format!("IZ1{body}"), &trust, &check).status, Status::Valid);
        prop_assert_ne!(evaluate(&digits, &trust, &check).status, Status::Valid);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let (_, trust) = keys();
        if let Ok(permit) = UnverifiedPermit::from_bytes(&bytes) {
            prop_assert!(trust.verify(&permit).is_err());
        }
        let root = SecretKey::from_seed(&[1; 32]).public_key();
        prop_assert!(TrustList::verify_bytes(&bytes, &root).is_err());
    }
}
