use super::*;
use crate::claims::Purpose;
use crate::trust::TrustedKey;

#[path = "../../tests/support/bundle_sample.rs"]
mod sample;
use sample::{at, sample_contents, test_key, zone};

const SERVER_TIME: &str = "2020-12-15T06:00:00Z";

/// A trust list with an SMS issuer (1), the bundle key (4), a revoked
/// bundle key (5) and a bundle key valid only in April 2020 (6).
fn trust_file(root: &SecretKey) -> Vec<u8> {
    sample::bundle_trust_list(root, 2, [4, 5, 6])
}

fn contents(trust_list: Vec<u8>) -> BundleContents {
    let server_time = at(SERVER_TIME).unix_seconds() as u64 + 17;
    let sumgayit = zone(2, "Sumqayıt", "Сумгайыт", "Sumgayit");
    sample_contents(7, server_time, trust_list, "Tightened special quarantine regime", sumgayit)
}

fn code(result: Result<VerifiedBundle, BundleError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn round_trip() {
    let root = test_key("root");
    let full = contents(trust_file(&root));
    let bytes = full.try_sign(&test_key("sync"), KeyId(4)).unwrap();
    assert_eq!(bytes, full.sign(&test_key("sync"), KeyId(4)), "try_sign signs what sign does");
    let verified = VerifiedBundle::verify(&bytes, &root.public_key()).unwrap();
    assert_eq!(verified.contents(), &full);
    assert_eq!(verified.signer(), KeyId(4));
    assert_eq!(verified.trust_list().version(), 2);
    assert_eq!(verified.server_time(), at(SERVER_TIME), "seconds are dropped");
    assert!(verified.contents().revocations.contains(crate::PermitSerial(907)));

    let delta =
        BundleContents { version: 8, base_version: Some(7), revocations: RevocationSet::empty(), ..full.clone() };
    let bytes = delta.try_sign(&test_key("sync"), KeyId(4)).unwrap();
    assert_eq!(VerifiedBundle::verify(&bytes, &root.public_key()).unwrap().contents(), &delta);
}

#[test]
fn regime_scope_and_period() {
    let c = contents(vec![]);
    let (listed, everywhere) = (&c.regimes[0], &c.regimes[1]);
    assert!(listed.restricts(ZoneId::new(2).unwrap()) && !listed.restricts(ZoneId::new(3).unwrap()));
    assert!(everywhere.restricts(ZoneId::new(3).unwrap()));
    assert!(listed.in_force(listed.start) && !listed.in_force(listed.end));
    assert!(!listed.in_force(UtcMinute::from_unix_minutes(listed.start.unix_minutes() - 1)));
}

fn small_bundle(root: &SecretKey) -> Vec<u8> {
    let mut c = contents(trust_file(root));
    c.regimes.truncate(1);
    c.regimes[0].zones.truncate(1);
    c.sign(&test_key("sync"), KeyId(4))
}

#[test]
fn every_single_bit_flip_is_refused() {
    let root = test_key("root");
    let bytes = small_bundle(&root);
    assert!(VerifiedBundle::verify(&bytes, &root.public_key()).is_ok());
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 0x80 >> (bit % 8);
        assert!(VerifiedBundle::verify(&flipped, &root.public_key()).is_err(), "bit {bit}");
    }
}

#[test]
fn every_truncation_and_a_trailing_byte_are_refused() {
    let root = test_key("root");
    let bytes = small_bundle(&root);
    // The body of a cut bundle is a prefix of the real body: every field
    // it holds has its real value, so only the end of the bytes can stop
    // the reader, and every prefix is `truncated`.
    for len in 0..bytes.len() {
        assert_eq!(code(VerifiedBundle::verify(&bytes[..len], &root.public_key())), "truncated", "prefix {len}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(code(VerifiedBundle::verify(&longer, &root.public_key())), "trailing_bytes");
}

#[test]
fn signers_are_checked_against_the_embedded_list() {
    let root = test_key("root");
    let pinned = root.public_key();
    let c = contents(trust_file(&root));
    let signed = |role: &str, id: u8| c.sign(&test_key(role), KeyId(id));
    assert_eq!(code(VerifiedBundle::verify(&signed("sync", 4), &pinned)), "ok");
    assert_eq!(code(VerifiedBundle::verify(&signed("sms", 1), &pinned)), "signer_not_allowed");
    assert_eq!(code(VerifiedBundle::verify(&signed("sync-stolen", 5), &pinned)), "signer_revoked");
    assert_eq!(code(VerifiedBundle::verify(&signed("sync-april", 6), &pinned)), "signer_not_valid");
    assert_eq!(code(VerifiedBundle::verify(&signed("not-in-the-list", 9), &pinned)), "unknown_signer");
    // The root is not in its own list: naming a listed key's id, its
    // signature does not verify; naming another id, it is unknown.
    assert_eq!(code(VerifiedBundle::verify(&signed("root", 4), &pinned)), "bad_signature");
    assert_eq!(code(VerifiedBundle::verify(&signed("root", 0), &pinned)), "unknown_signer");
    // Another key's signature under a listed bundle key's id.
    assert_eq!(code(VerifiedBundle::verify(&signed("sms", 4), &pinned)), "bad_signature");

    // A trust list from another root, with the same bundle key: refused,
    // whoever signed the bundle.
    let foreign = contents(trust_file(&test_key("other-root")));
    let bytes = foreign.sign(&test_key("sync"), KeyId(4));
    let err = VerifiedBundle::verify(&bytes, &pinned).unwrap_err();
    assert_eq!(err, BundleError::TrustList(TrustListError::BadSignature));
    assert_eq!(err.code(), "trust_list");
    // And the bundle is not a trust list: the pinned root cannot be
    // passed off as a bundle key by signing the bundle domain.
    let by_root = c.sign(&root, KeyId(4));
    assert_eq!(code(VerifiedBundle::verify(&by_root, &pinned)), "bad_signature");
}

#[test]
fn the_signer_is_valid_at_the_server_time_not_later() {
    let root = test_key("root");
    let mut c = contents(trust_file(&root));
    c.server_time_unix_seconds = at("2021-02-01T00:00:00+04:00").unix_seconds() as u64;
    assert_eq!(
        code(VerifiedBundle::verify(&c.sign(&test_key("sync"), KeyId(4)), &root.public_key())),
        "signer_not_valid"
    );
    c.server_time_unix_seconds -= 1;
    assert_eq!(code(VerifiedBundle::verify(&c.sign(&test_key("sync"), KeyId(4)), &root.public_key())), "ok");
}

#[test]
fn try_sign_refuses_what_devices_would_refuse() {
    let c = contents(test_key("root").public_key().to_bytes().to_vec());
    let key = test_key("sync");
    let refused = |f: &dyn Fn(&mut BundleContents)| {
        let mut bad = c.clone();
        f(&mut bad);
        bad.try_sign(&key, KeyId(4)).map(|_| ()).unwrap_err().code()
    };
    assert_eq!(refused(&|b| b.version = 0), "invalid_field");
    assert_eq!(refused(&|b| b.base_version = Some(7)), "invalid_field");
    assert_eq!(refused(&|b| b.server_time_unix_seconds = u64::MAX), "invalid_field");
    assert_eq!(refused(&|b| b.freshness.warn_after_minutes = 0), "invalid_field");
    assert_eq!(refused(&|b| b.freshness.invalid_after_minutes = 60), "invalid_field");
    assert_eq!(refused(&|b| b.regimes[0].zones.reverse()), "invalid_field");
    assert_eq!(refused(&|b| b.regimes[0].zones.clear()), "invalid_field");
    assert_eq!(refused(&|b| b.regimes[1].id = b.regimes[0].id.clone()), "invalid_field");
    assert_eq!(refused(&|b| b.regimes[0].id = String::new()), "invalid_field");
    assert_eq!(refused(&|b| b.regimes[0].id = "a b".into()), "invalid_field");
    assert_eq!(refused(&|b| b.regimes[0].name = "x\u{7}".into()), "invalid_field");
    assert_eq!(refused(&|b| b.regimes[0].end = b.regimes[0].start), "invalid_field");
    assert_eq!(refused(&|b| b.regimes[0].name = "ə".repeat(101)), "too_large");
    assert_eq!(refused(&|b| b.regimes[0].zones[0].name_ru = "я".repeat(51)), "too_large");
    assert_eq!(refused(&|b| b.regimes[0].name = "x".repeat(300)), "too_large");
    assert_eq!(refused(&|b| b.trust_list = vec![0; MAX_TRUST_LIST_LEN + 1]), "too_large");
    let many = |b: &mut BundleContents| {
        b.regimes = (0..65).map(|i| BundleRegime { id: format!("r{i}"), ..c.regimes[1].clone() }).collect()
    };
    assert_eq!(refused(&many), "too_large");
    // The limits themselves are allowed.
    let mut edge = c.clone();
    edge.regimes[0].name = "ə".repeat(100);
    edge.regimes[0].id = "x".repeat(MAX_REGIME_ID_LEN);
    edge.regimes[0].zones[0].name_en = "y".repeat(MAX_ZONE_NAME_LEN);
    assert!(edge.try_sign(&key, KeyId(4)).is_ok());
}

#[test]
fn frame_errors_have_their_codes() {
    let root = test_key("root");
    let pinned = root.public_key();
    let c = contents(trust_file(&root));
    let resigned = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut body = c.body(KeyId(4), BundleFormat::V2);
        f(&mut body);
        let signature = test_key("sync").sign(Domain::BundleV2, &body);
        body.extend_from_slice(&signature);
        code(VerifiedBundle::verify(&body, &pinned))
    };
    assert_eq!(resigned(&|b| b[3] = b'C'), "bad_magic");
    assert_eq!(resigned(&|b| b[4] = 3), "unsupported_format");
    assert_eq!(resigned(&|b| b[14] = 2), "invalid_field", "kind 2");
    assert_eq!(resigned(&|b| b.push(0)), "trailing_bytes");
    // Trust list length 32 KiB + 1.
    assert_eq!(resigned(&|b| b[23..27].copy_from_slice(&(MAX_TRUST_LIST_LEN as u32 + 1).to_be_bytes())), "too_large");
    // A revocation set of an unknown wire version, under a good signature.
    // The sections follow it: here one byte, a count of 0.
    let revocations_at = c.body(KeyId(4), BundleFormat::V2).len() - c.revocations.encode().len() - 1;
    assert_eq!(resigned(&|b| b[revocations_at] = 2), "revocations");
    assert_eq!(code(VerifiedBundle::verify(&vec![0; MAX_BUNDLE_LEN + 1], &pinned)), "too_large");
}

/// The worked example of `docs/bundle-format.md` §6.
fn worked_example() -> (Vec<u8>, Vec<u8>) {
    let root = test_key("root");
    let sync = TrustedKey {
        id: KeyId(4),
        public_key: test_key("sync").public_key(),
        valid_from: at("2020-12-01T00:00:00+04:00"),
        valid_until: at("2021-12-01T00:00:00+04:00"),
        purposes: PurposeSet::default(),
        revoked: false,
        may_sign_bundles: true,
        label: "sync".into(),
    };
    let trust = TrustList::new(1, at("2020-12-01T00:00:00+04:00"), vec![sync]).unwrap().sign(&root);
    let contents = BundleContents {
        version: 1,
        base_version: None,
        server_time_unix_seconds: at("2020-12-15T10:00:00+04:00").unix_seconds() as u64,
        trust_list: trust.clone(),
        regimes: vec![BundleRegime {
            id: "2020-12-14".into(),
            name: "Dec 2020".into(),
            start: at("2020-12-14T00:00:00+04:00"),
            end: at("2021-01-18T00:00:00+04:00"),
            scope: RegimeScope::Listed,
            zones: vec![BundleZone {
                id: ZoneId::new(1).unwrap(),
                name_az: "Bakı".into(),
                name_ru: "Баку".into(),
                name_en: "Baku".into(),
            }],
            purposes: PurposeSet::of(&[Purpose::Medical, Purpose::Necessities]),
        }],
        freshness: FreshnessPolicy::default(),
        revocations: RevocationSet::from_serials([12, 907]),
        sections: BundleSections::default(),
    };
    let bytes = contents.sign_format1(&test_key("sync"), KeyId(4));
    assert_eq!(VerifiedBundle::verify(&bytes, &root.public_key()).unwrap().contents(), &contents);
    (bytes, trust)
}

#[test]
fn the_worked_example_is_the_documented_one() {
    let (bytes, trust) = worked_example();
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let doc: String = include_str!("../../../../docs/bundle-format.md").split_whitespace().collect();
    if std::env::var_os("ICAZE_PRINT_EXAMPLE").is_some() {
        println!("trust list {} bytes: {}", trust.len(), hex(&trust));
        println!("bundle {} bytes: {}", bytes.len(), hex(&bytes));
    }
    assert!(doc.contains(&hex(&bytes)), "docs/bundle-format.md §6 shows another bundle");
    assert!(doc.contains(&hex(&trust)), "docs/bundle-format.md §6 shows another trust list");
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let root = test_key("root");
    let pinned = root.public_key();
    let good = small_bundle(&root);
    // SplitMix64: deterministic, so a failure is reproducible.
    let mut state = 0x1CA2_E000_u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for round in 0..3000 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            let len = (next() % 400) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Half of them start like a bundle, to get past the magic.
            if round % 4 == 0 && len >= 5 {
                bytes[..5].copy_from_slice(b"IZSB\x01");
            }
            bytes
        } else {
            let mut bytes = good.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % bytes.len();
                bytes[i] = next() as u8;
            }
            bytes.truncate(bytes.len() - (next() % 3) as usize);
            bytes
        };
        let _ = VerifiedBundle::verify(&bytes, &pinned);
        if let Some(body) = bytes.len().checked_sub(64).and_then(|n| bytes.get(..n)) {
            // The parser alone, on bodies the signature would stop.
            if let Ok(body) = Body::parse(body) {
                let _ = body.contents();
            }
        }
    }
}

/// The body of `c` (sections empty) with its section count and sections
/// replaced by `sections`, signed by the bundle key under `domain`.
fn with_sections(c: &BundleContents, sections: &[u8], domain: Domain) -> Vec<u8> {
    assert!(c.sections.is_empty());
    let mut body = c.body(KeyId(4), BundleFormat::V2);
    assert_eq!(body.pop(), Some(0), "an empty section list is one byte, 0");
    body.extend_from_slice(sections);
    let signature = test_key("sync").sign(domain, &body);
    body.extend_from_slice(&signature);
    body
}

/// A section: tag, u32 length, bytes.
fn section(tag: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
    out
}

#[test]
fn format_2_carries_the_replaced_serials() {
    let root = test_key("root");
    let mut full = contents(trust_file(&root));
    full.sections.replaced = RevocationSet::from_serials([907]);
    let bytes = full.try_sign(&test_key("sync"), KeyId(4)).unwrap();
    assert_eq!(bytes[4], 2, "the server writes format 2");
    let verified = VerifiedBundle::verify(&bytes, &root.public_key()).unwrap();
    assert_eq!(verified.contents(), &full);
    assert_eq!(verified.format(), BundleFormat::V2);
    assert!(verified.skipped_sections().is_empty());
    assert!(verified.contents().sections.replaced.contains(crate::PermitSerial(907)));
    assert!(!verified.contents().sections.replaced.contains(crate::PermitSerial(12)));

    // A delta: its replaced serials are among its own revocations.
    let delta = BundleContents {
        version: 8,
        base_version: Some(7),
        revocations: RevocationSet::from_serials([2000, 2001]),
        sections: BundleSections { replaced: RevocationSet::from_serials([2001]), organisations: None },
        ..full.clone()
    };
    let bytes = delta.try_sign(&test_key("sync"), KeyId(4)).unwrap();
    assert_eq!(VerifiedBundle::verify(&bytes, &root.public_key()).unwrap().contents(), &delta);
}

#[test]
fn format_1_still_reads_with_no_sections() {
    let root = test_key("root");
    let mut full = contents(trust_file(&root));
    let v1 = full.sign_format1(&test_key("sync"), KeyId(4));
    assert_eq!(v1[4], 1);
    let verified = VerifiedBundle::verify(&v1, &root.public_key()).unwrap();
    assert_eq!(verified.format(), BundleFormat::V1);
    assert_eq!(verified.contents(), &full);
    // Format 1 has no sections: what they hold is not written.
    full.sections.replaced = RevocationSet::from_serials([12]);
    assert_eq!(full.sign_format1(&test_key("sync"), KeyId(4)), v1);
    // The same bodies signed under the other format's domain do not verify.
    let pinned = root.public_key();
    let mut body = v1[..v1.len() - 64].to_vec();
    body.extend_from_slice(&test_key("sync").sign(Domain::BundleV2, &body.clone()));
    assert_eq!(code(VerifiedBundle::verify(&body, &pinned)), "bad_signature");
    let c = contents(trust_file(&root));
    assert_eq!(code(VerifiedBundle::verify(&with_sections(&c, &[0], Domain::Bundle), &pinned)), "bad_signature");
    // A format-1 body followed by a section count: trailing bytes.
    let mut body = c.body(KeyId(4), BundleFormat::V1);
    body.push(0);
    body.extend_from_slice(&test_key("sync").sign(Domain::Bundle, &body.clone()));
    assert_eq!(code(VerifiedBundle::verify(&body, &pinned)), "trailing_bytes");
}

#[test]
fn sections_are_refused_out_of_order_or_not_revoked() {
    let root = test_key("root");
    let pinned = root.public_key();
    let c = contents(trust_file(&root));
    let read = |sections: &[u8]| code(VerifiedBundle::verify(&with_sections(&c, sections, Domain::BundleV2), &pinned));
    let replaced = |serials: &[u32]| section(1, &RevocationSet::from_serials(serials.iter().copied()).encode());

    assert_eq!(read(&[0]), "ok");
    assert_eq!(read(&[[1].as_slice(), &replaced(&[12, 907])].concat()), "ok");
    // No section count at all.
    assert_eq!(read(&[]), "truncated");
    // A count of two with one section, a length past the end.
    assert_eq!(read(&[[2].as_slice(), &replaced(&[12])].concat()), "truncated");
    let mut long = [[1].as_slice(), &replaced(&[12])].concat();
    long[4] += 1;
    assert_eq!(read(&long), "truncated");
    // Tag 0, a tag twice, tags descending.
    assert_eq!(read(&[[1].as_slice(), &section(0, &[])].concat()), "invalid_field");
    assert_eq!(read(&[[2].as_slice(), &replaced(&[12]), &replaced(&[907])].concat()), "invalid_field");
    assert_eq!(read(&[[2].as_slice(), &section(5, &[1]), &replaced(&[12])].concat()), "invalid_field");
    // A serial the bundle does not revoke, an empty set (left out instead), a bad set.
    assert_eq!(read(&[[1].as_slice(), &replaced(&[12, 13])].concat()), "invalid_field");
    assert_eq!(read(&[[1].as_slice(), &replaced(&[])].concat()), "invalid_field");
    assert_eq!(read(&[[1].as_slice(), &section(1, &[2, 0])].concat()), "replaced");
    assert_eq!(read(&[[1].as_slice(), &section(1, &[1, 1, 0, 0, 0])].concat()), "replaced");
    // Bytes after the last section.
    assert_eq!(read(&[0, 0]), "trailing_bytes");

    // try_sign refuses a replaced serial the bundle does not revoke.
    let mut bad = c.clone();
    bad.sections.replaced = RevocationSet::from_serials([13]);
    assert_eq!(bad.try_sign(&test_key("sync"), KeyId(4)).unwrap_err().code(), "invalid_field");
}

#[test]
fn unknown_sections_are_skipped() {
    let root = test_key("root");
    let c = contents(trust_file(&root));
    let sections = [
        [3].as_slice(),
        &section(1, &RevocationSet::from_serials([12]).encode()),
        &section(3, b"later"),
        &section(200, &[]),
    ]
    .concat();
    let verified = VerifiedBundle::verify(&with_sections(&c, &sections, Domain::BundleV2), &root.public_key()).unwrap();
    assert_eq!(verified.skipped_sections(), [3, 200]);
    assert_eq!(verified.contents().sections.replaced.iter().collect::<Vec<_>>(), [12]);
}

#[test]
fn issue_23_the_authorised_organisations_are_section_2_in_full_bundles_and_deltas() {
    use crate::{AuthorisedOrganisation, AuthorisedOrganisations, TaxId};
    let root = test_key("root");
    let pinned = root.public_key();
    let list = AuthorisedOrganisations::new(vec![
        AuthorisedOrganisation {
            tax_id: TaxId::new(1_700_000_001).unwrap(),
            name: "Bakı Metropoliteni QSC".into(),
            sector: "nəqliyyat".into(),
            zones: vec![],
            until: None,
        },
        AuthorisedOrganisation {
            tax_id: TaxId::new(101_234_567).unwrap(),
            name: "Azərsu ASC".into(),
            sector: "kommunal".into(),
            zones: vec![ZoneId::new(1).unwrap(), ZoneId::new(3).unwrap()],
            until: Some(UtcMinute::from_unix_minutes(26_900_000)),
        },
    ])
    .unwrap();
    let mut full = contents(trust_file(&root));
    full.sections.organisations = Some(list.clone());
    let bytes = full.try_sign(&test_key("sync"), KeyId(4)).unwrap();
    let verified = VerifiedBundle::verify(&bytes, &pinned).unwrap();
    assert_eq!(verified.contents().sections.organisations.as_ref(), Some(&list));
    assert!(verified.skipped_sections().is_empty());
    // The section is the list's own encoding, after the section count and its tag and length.
    let encoded = list.encode();
    let body = &bytes[..bytes.len() - 64];
    assert!(
        body.ends_with(&[&[1, SECTION_ORGANISATIONS], &(encoded.len() as u32).to_be_bytes()[..], &encoded].concat())
    );

    // A delta that empties the list says so with an empty section; one with
    // no section leaves the list alone: two contents, two encodings.
    for organisations in [Some(AuthorisedOrganisations::default()), None] {
        let delta = BundleContents {
            version: 8,
            base_version: Some(7),
            sections: BundleSections { organisations, ..full.sections.clone() },
            ..full.clone()
        };
        let bytes = delta.try_sign(&test_key("sync"), KeyId(4)).unwrap();
        assert_eq!(VerifiedBundle::verify(&bytes, &pinned).unwrap().contents(), &delta);
    }

    // A section that does not read is refused with the list's own error; cut short, truncated.
    let c = contents(trust_file(&root));
    let read = |sections: &[u8]| code(VerifiedBundle::verify(&with_sections(&c, sections, Domain::BundleV2), &pinned));
    assert_eq!(read(&[[1].as_slice(), &section(2, &encoded)].concat()), "ok");
    assert_eq!(read(&[[1].as_slice(), &section(2, &encoded[..encoded.len() - 1])].concat()), "truncated");
    let mut open_ended = encoded.clone();
    let at = open_ended.len() - 4;
    open_ended[at..].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(read(&[[1].as_slice(), &section(2, &open_ended)].concat()), "ok", "an open end reads");
    assert_eq!(read(&[[1].as_slice(), &section(2, b"orgs")].concat()), "too_large", "a sector of 114 bytes");
    assert_eq!(read(&[[1].as_slice(), &section(2, &[1, 1, b's', 0, 0, 0, 0])].concat()), "invalid_field");
    // Sections still ascend: the organisations after the replaced serials.
    let replaced = section(1, &RevocationSet::from_serials([12]).encode());
    assert_eq!(read(&[[2].as_slice(), &replaced, &section(2, &encoded)].concat()), "ok");
    assert_eq!(read(&[[2].as_slice(), &section(2, &encoded), &replaced].concat()), "invalid_field");
}
