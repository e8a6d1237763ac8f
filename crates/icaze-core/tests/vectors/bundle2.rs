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
        sections: BundleSections { replaced: RevocationSet::from_serials([5001]) },
        ..plain.clone()
    };
    add(
        "delta on top of version 11, one of its two revocations replaced",
        delta.try_sign(&sync, KeyId(6)).unwrap(),
        "ok",
    );
    add(
        "sections 1, 2 (reserved: organisations) and 200: the last two skipped",
        v2(&[&[3], &replaced(&[12]), &section(SECTION_ORGANISATIONS, b"\x00\x01"), &section(200, &[])]),
        "ok",
    );

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
    cases.list
}
