//! The cases of `tests/vectors/bundle-v2.json`: sync bundles of format 2, the
//! sections after the revocation set (`docs/bundle-format.md` §2.1), accepted
//! and refused. The frame and fields before the sections are those of format 1,
//! whose cases are in `bundle-v1.json`.

use super::*;

/// The body of `c` (its sections empty) with `sections` in place of its
/// section count and sections, signed by the bundle key under `domain`.
fn with_sections(c: &BundleContents, sections: &[u8], domain: Domain) -> Vec<u8> {
    let signed = c.sign(&test_key("sync"), KeyId(6));
    let mut body = signed[..signed.len() - 64].to_vec();
    assert_eq!(body.pop(), Some(0), "no sections: a count of 0");
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

fn replaced(serials: &[u32]) -> Vec<u8> {
    section(SECTION_REPLACED, &RevocationSet::from_serials(serials.iter().copied()).encode())
}

pub(crate) fn bundle_v2_cases(root: &SecretKey) -> Vec<Value> {
    let mut cases = ByteCases { read: read_bundle, root: root.public_key(), shows: "bundle", list: Vec::new() };
    let mut add = |name: &str, bytes: Vec<u8>, expected: &str| cases.add(name, bytes, expected);
    let ganja = sample::zone(7, "Gəncə", "Гянджа", "Ganja");
    let plain = sample::sample_contents(12, 1_608_012_345, bundle_trust(root), "Tightened regime, 14.12.2020", ganja);
    let sync = test_key("sync");
    let mut full = plain.clone();
    full.sections.replaced = RevocationSet::from_serials([907, 123_456_789]);
    let v2 = |sections: &[&[u8]]| with_sections(&plain, &sections.concat(), Domain::BundleV2);

    // Accepted.
    add("full bundle, two of its three revoked serials replaced", full.try_sign(&sync, KeyId(6)).unwrap(), "ok");
    add("full bundle, no sections", plain.try_sign(&sync, KeyId(6)).unwrap(), "ok");
    let delta = BundleContents {
        base_version: Some(11),
        revocations: RevocationSet::from_serials([5000, 5001]),
        sections: BundleSections { replaced: RevocationSet::from_serials([5001]), organisations: None },
        ..plain.clone()
    };
    add(
        "delta on top of version 11, one of its two revocations replaced",
        delta.try_sign(&sync, KeyId(6)).unwrap(),
        "ok",
    );
    add(
        "sections 1, 3 and 200: the last two skipped",
        v2(&[&[3], &replaced(&[12]), &section(3, b"\x00\x01"), &section(200, &[])]),
        "ok",
    );
    let mut orgs = plain.clone();
    orgs.sections.organisations = Some(organisations());
    add("full bundle with three authorised organisations", orgs.try_sign(&sync, KeyId(6)).unwrap(), "ok");
    let emptied = BundleContents {
        base_version: Some(11),
        revocations: RevocationSet::empty(),
        sections: BundleSections { organisations: Some(AuthorisedOrganisations::default()), ..Default::default() },
        ..plain.clone()
    };
    add("delta that empties the authorised organisations", emptied.try_sign(&sync, KeyId(6)).unwrap(), "ok");
    let encoded = organisations().encode();
    let orgs_section = |bytes: &[u8]| v2(&[&[1], &section(SECTION_ORGANISATIONS, bytes)]);
    // The list's bytes changed `from_end` bytes before its end.
    let changed = |from_end: usize, to: &[u8]| {
        let mut bytes = encoded.clone();
        let i = bytes.len() - from_end;
        bytes[i..i + to.len()].copy_from_slice(to);
        orgs_section(&bytes)
    };

    // Refused.
    add("no section count", v2(&[]), "truncated");
    add("two sections counted, one present", v2(&[&[2], &replaced(&[12])]), "truncated");
    let mut long = [[1].as_slice(), &replaced(&[12])].concat();
    long[4] += 1;
    add("a section length one past the end", v2(&[&long]), "truncated");
    add("a byte after the last section", v2(&[&[1], &replaced(&[12]), &[0]]), "trailing_bytes");
    add("section tag 0", v2(&[&[1], &section(0, &[])]), "invalid_field");
    add("section tag 1 twice", v2(&[&[2], &replaced(&[12]), &replaced(&[907])]), "invalid_field");
    add("section tags descending", v2(&[&[2], &section(9, &[]), &replaced(&[12])]), "invalid_field");
    add("replaced: a serial the bundle does not revoke", v2(&[&[1], &replaced(&[12, 13])]), "invalid_field");
    add("replaced: the empty set, which is left out instead", v2(&[&[1], &replaced(&[])]), "invalid_field");
    add("replaced: a set of wire version 2", v2(&[&[1], &section(SECTION_REPLACED, &[2, 0])]), "replaced");
    add("replaced: a set with trailing bytes", v2(&[&[1], &section(SECTION_REPLACED, &[1, 0, 0])]), "replaced");
    add("format 2 signed under the format 1 domain", with_sections(&plain, &[0], Domain::Bundle), "bad_signature");
    add("organisations: cut short", orgs_section(&encoded[..encoded.len() - 1]), "truncated");
    add("organisations: a byte after the list", orgs_section(&[encoded.as_slice(), &[0]].concat()), "trailing_bytes");
    add("organisations: a sector no organisation uses", orgs_section(&[1, 1, b's', 0, 0, 0, 0]), "invalid_field");
    add("organisations: sectors out of order", orgs_section(&[2, 1, b't', 1, b's']), "invalid_field");
    add("organisations: a tax id of 11 digits", orgs_section(&ORG_HUGE_TAX_ID), "invalid_field");
    add("organisations: a name of 161 bytes", orgs_section(&ORG_LONG_NAME), "too_large");
    add("organisations: a zone of 0", changed(6, &[0, 0]), "invalid_field");
    add("organisations: over 200 000", orgs_section(&[0, 0, 3, 13, 65]), "too_large");
    cases.list
}

/// The organisations of the vectors: one in every zone with no end, one in
/// two zones until a date, one whose name has a comma and Azerbaijani letters.
fn organisations() -> AuthorisedOrganisations {
    let org = |tax: u64, name: &str, sector: &str, zones: &[u16], until: Option<u32>| AuthorisedOrganisation {
        tax_id: TaxId::new(tax).unwrap(),
        name: name.into(),
        sector: sector.into(),
        zones: zones.iter().map(|&z| ZoneId::new(z).unwrap()).collect(),
        until: until.map(UtcMinute::from_unix_minutes),
    };
    AuthorisedOrganisations::new(vec![
        org(1_700_000_001, "Bakı Metropoliteni, QSC", "nəqliyyat", &[], None),
        org(101_234_567, "Azərsu ASC", "kommunal", &[1, 7], Some(26_810_000)),
        org(9_900_000_000, "Mərkəzi Klinika MMC", "səhiyyə", &[7], None),
    ])
    .unwrap()
}

/// One sector `s` and one organisation whose tax id is 10^10 (five bytes 02 54 0b e4 00).
const ORG_HUGE_TAX_ID: [u8; 20] = [1, 1, b's', 0, 0, 0, 1, 0x02, 0x54, 0x0b, 0xe4, 0x00, 1, b'A', 0, 0, 0, 0, 0, 0];
/// One sector `s` and an organisation whose name's length byte says 161.
const ORG_LONG_NAME: [u8; 13] = [1, 1, b's', 0, 0, 0, 1, 0, 0, 0, 0, 1, 161];
