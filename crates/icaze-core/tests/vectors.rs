//! Known-answer vectors: `tests/vectors/permit-v1.json` (named cases, accepted
//! and rejected, with the expected status and reason) and
//! `tests/vectors/permit-v1-bitflips.txt` (every single bit of one valid token
//! flipped). The files are generated from fixed TEST keys by this test; it
//! fails when the code would generate anything else, and rewrites them when
//! run with `ICAZE_BLESS_VECTORS=1`.

use std::path::PathBuf;

use icaze_core::*;
use serde_json::{json, Value};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

/// TEST keys: the seed is the label padded with `.` to 32 bytes. Public
/// knowledge, never used outside tests.
fn test_key(label: &str) -> SecretKey {
    let mut seed = [b'.'; 32];
    seed[..label.len()].copy_from_slice(label.as_bytes());
    SecretKey::from_seed(&seed)
}

fn at(s: &str) -> UtcMinute {
    UtcMinute::parse_rfc3339(s).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

const CHECK_AT: &str = "2020-12-15T11:00:00+04:00";

struct Fixture {
    root: SecretKey,
    trust: TrustList,
}

fn fixture() -> Fixture {
    let root = test_key("icaze TEST root");
    let key = |id: u8, label: &str, purposes: &[Purpose], from: &str, until: &str, revoked: bool| TrustedKey {
        id: KeyId(id),
        public_key: test_key(&format!("icaze TEST {label}")).public_key(),
        valid_from: at(from),
        valid_until: at(until),
        purposes: PurposeSet::of(purposes),
        revoked,
        label: format!("test-{label}"),
    };
    let sms = [Purpose::Medical, Purpose::Necessities];
    let keys = vec![
        key(1, "sms", &sms, "2020-12-01T00:00:00+04:00", "2021-02-01T00:00:00+04:00", false),
        key(
            2,
            "portal",
            &[Purpose::Work, Purpose::BusinessTrip],
            "2020-12-01T00:00:00+04:00",
            "2021-02-01T00:00:00+04:00",
            false,
        ),
        key(3, "callcentre", &[Purpose::Funeral], "2020-12-01T00:00:00+04:00", "2021-02-01T00:00:00+04:00", false),
        key(4, "sms-april", &sms, "2020-04-01T00:00:00+04:00", "2020-06-01T00:00:00+04:00", false),
        key(5, "sms-stolen", &sms, "2020-12-01T00:00:00+04:00", "2021-02-01T00:00:00+04:00", true),
    ];
    let trust = TrustList::new(3, at("2020-12-13T12:00:00+04:00"), keys).unwrap();
    Fixture { root, trust }
}

fn signer(id: u8) -> SecretKey {
    let label = match id {
        1 => "sms",
        2 => "portal",
        3 => "callcentre",
        4 => "sms-april",
        5 => "sms-stolen",
        _ => "not-in-the-list",
    };
    test_key(&format!("icaze TEST {label}"))
}

struct Spec {
    serial: u32,
    doc: &'static str,
    purpose: Purpose,
    zones: &'static [u16],
    issued: &'static str,
    from: &'static str,
    until: &'static str,
    vehicle: Option<&'static str>,
}

const SMS: Spec = Spec {
    serial: 123_456_789,
    doc: "AZE11111111",
    purpose: Purpose::Necessities,
    zones: &[1],
    issued: "2020-12-15T10:00:00+04:00",
    from: "2020-12-15T10:00:00+04:00",
    until: "2020-12-15T13:00:00+04:00",
    vehicle: None,
};

fn claims(s: &Spec) -> PermitClaims {
    PermitClaims::new(ClaimsSpec {
        serial: PermitSerial(s.serial),
        document: DocumentNumber::parse(s.doc).unwrap(),
        purpose: s.purpose,
        zones: s.zones.iter().map(|&z| ZoneId::new(z).unwrap()).collect(),
        issued_at: at(s.issued),
        valid_from: at(s.from),
        valid_until: at(s.until),
        vehicle: s.vehicle.map(|v| VehiclePlate::parse(v).unwrap()),
    })
    .unwrap()
}

fn token(id: u8, s: &Spec) -> Vec<u8> {
    issue(&signer(id), KeyId(id), &claims(s)).as_bytes().to_vec()
}

fn sms_text(bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!("IZ1{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Re-signs `payload` with key `id`, as a forger holding that key would.
fn signed(id: u8, payload: &[u8], domain: Domain) -> Vec<u8> {
    let mut out = payload.to_vec();
    out.extend_from_slice(&signer(id).sign(domain, payload));
    out
}

fn claims_json(c: &PermitClaims, key: KeyId) -> Value {
    json!({
        "key_id": key.0,
        "serial": c.serial().0,
        "document": c.document().canonical(),
        "document_kind": c.document().kind().code(),
        "purpose": c.purpose().code(),
        "zones": c.zones().iter().map(|z| z.get()).collect::<Vec<_>>(),
        "issued_at": c.issued_at().to_rfc3339_utc(),
        "valid_from": c.valid_from().to_rfc3339_utc(),
        "valid_until": c.valid_until().to_rfc3339_utc(),
        "vehicle": c.vehicle().map(|v| v.as_str().to_owned()),
    })
}

/// A case: the input text, where and when it is checked, and the expected result.
fn case(name: &str, input: String, check_at: &str, zone: Option<u16>, fx: &Fixture) -> Value {
    let check = Check { at: at(check_at), zone: zone.and_then(ZoneId::new) };
    let verdict = evaluate(&input, &fx.trust, &check);
    let mut v = json!({
        "name": name,
        "input": input,
        "at": check_at,
        "zone": zone,
        "status": verdict.status.code(),
        "reason": verdict.reasons.first().map(|r| r.code),
    });
    if let Some(p) = &verdict.permit {
        v["claims"] = claims_json(p.claims(), p.key_id());
        v["token_hex"] = json!(hex(p.token().as_bytes()));
        v["payload_hex"] = json!(hex(&p.token().as_bytes()[..p.token().as_bytes().len() - 64]));
    }
    v
}

fn generate() -> (String, String) {
    let fx = fixture();
    let sms = token(1, &SMS);
    let sms_payload = &sms[..sms.len() - 64];
    let mut cases = Vec::new();
    let mut add = |name: &str, input: String, at: &str, zone: Option<u16>| cases.push(case(name, input, at, zone, &fx));

    // Accepted.
    add("sms permit, SMS form", sms_text(&sms), CHECK_AT, Some(1));
    add(
        "sms permit, QR digits form",
        UnverifiedPermit::from_bytes(&sms).unwrap().token().to_qr_digits(),
        CHECK_AT,
        Some(1),
    );
    add(
        "sms permit inside the whole SMS reply",
        format!("AZE11111111 15.12 10:00-13:00 {}", sms_text(&sms)),
        CHECK_AT,
        Some(1),
    );
    add("sms permit, no zone given", sms_text(&sms), CHECK_AT, None);
    add("first minute of validity", sms_text(&sms), "2020-12-15T10:00:00+04:00", Some(1));
    add("last minute of validity", sms_text(&sms), "2020-12-15T12:59:00+04:00", Some(1));
    let medical = Spec { serial: 7, doc: "MYİ1234567", purpose: Purpose::Medical, zones: &[3], ..SMS };
    add("medical permit of a temporary resident", sms_text(&token(1, &medical)), CHECK_AT, Some(3));
    let trip = Spec {
        serial: 900_001,
        doc: "AA0012345",
        purpose: Purpose::BusinessTrip,
        zones: &[1, 4, 17],
        issued: "2020-12-14T09:00:00+04:00",
        from: "2020-12-15T00:00:00+04:00",
        until: "2020-12-18T00:00:00+04:00",
        vehicle: Some("10-AB-123"),
    };
    add("business trip to three zones with a vehicle", sms_text(&token(2, &trip)), CHECK_AT, Some(17));
    let work = Spec {
        serial: 4_000_000_000,
        doc: "DYI7654321",
        purpose: Purpose::Work,
        zones: &[2],
        issued: "2020-12-14T00:00:00+04:00",
        from: "2020-12-01T00:00:00+04:00",
        until: "2021-01-18T00:00:00+04:00",
        vehicle: None,
    };
    add("work permit re-issued after its start", sms_text(&token(2, &work)), CHECK_AT, Some(2));
    let funeral = Spec { serial: 55, doc: "MOM0000042", purpose: Purpose::Funeral, zones: &[6], ..SMS };
    add("funeral permit from the call centre", sms_text(&token(3, &funeral)), CHECK_AT, Some(6));
    let notice = Spec { serial: 56, doc: "RN000123456", ..SMS };
    add("registration notification with letters", sms_text(&token(1, &notice)), CHECK_AT, Some(1));

    // Rejected by time and place.
    add("before validity", sms_text(&sms), "2020-12-15T09:59:00+04:00", Some(1));
    add("at the end of validity", sms_text(&sms), "2020-12-15T13:00:00+04:00", Some(1));
    add("wrong zone", sms_text(&sms), CHECK_AT, Some(2));

    // Rejected by the trust list.
    let mut bad = sms.clone();
    *bad.last_mut().unwrap() ^= 1;
    add("signature byte changed", sms_text(&bad), CHECK_AT, Some(1));
    let mut bad = sms.clone();
    bad[3] ^= 0x40;
    add("serial changed after signing", sms_text(&bad), CHECK_AT, Some(1));
    let other = token(1, &Spec { serial: 1, ..SMS });
    let mut spliced = sms_payload.to_vec();
    spliced.extend_from_slice(&other[other.len() - 64..]);
    add("signature of another permit spliced in", sms_text(&spliced), CHECK_AT, Some(1));
    add("signed under the trust-list domain", sms_text(&signed(1, sms_payload, Domain::TrustList)), CHECK_AT, Some(1));
    let mut high_s = sms.clone();
    let l: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let s_at = high_s.len() - 32;
    let mut carry = 0u16;
    for i in 0..32 {
        let sum = u16::from(high_s[s_at + i]) + u16::from(l[i]) + carry;
        high_s[s_at + i] = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    add("non-canonical signature, S + L", sms_text(&high_s), CHECK_AT, Some(1));
    add("key not in the trust list", sms_text(&token(9, &SMS)), CHECK_AT, Some(1));
    add("key outside its validity", sms_text(&token(4, &SMS)), CHECK_AT, Some(1));
    add("revoked key", sms_text(&token(5, &SMS)), CHECK_AT, Some(1));
    add(
        "sms key signing a work permit",
        sms_text(&token(1, &Spec { purpose: Purpose::Work, ..SMS })),
        CHECK_AT,
        Some(1),
    );
    add("portal key signing code 2", sms_text(&token(2, &SMS)), CHECK_AT, Some(1));

    // Malformed.
    add("last byte missing", sms_text(&sms[..sms.len() - 1]), CHECK_AT, Some(1));
    add("payload only", sms_text(sms_payload), CHECK_AT, Some(1));
    let text = sms_text(&sms);
    add("last 4 characters cut", text[..text.len() - 4].to_owned(), CHECK_AT, Some(1));
    add("last 10 characters cut", text[..text.len() - 10].to_owned(), CHECK_AT, Some(1));
    let mut longer = sms.clone();
    longer.push(0);
    add("one byte appended", sms_text(&longer), CHECK_AT, Some(1));
    let mut v2 = sms_payload.to_vec();
    v2[0] = (v2[0] & 0x0f) | 0x20;
    add("payload of version 2, validly signed", sms_text(&signed(1, &v2, Domain::Permit)), CHECK_AT, Some(1));
    add("text prefix of version 2", format!("IZ2{}", &text[3..]), CHECK_AT, Some(1));
    let mut zero_zone = sms_payload.to_vec();
    // Zone 1 follows 74 bits of header, serial and time, the from flag and 12
    // bits of duration: bits 87..99. Clear its lowest bit (bit 98): zone 0.
    zero_zone[98 / 8] &= !(1 << (7 - 98 % 8));
    add("zone 0, validly signed", sms_text(&signed(1, &zero_zone, Domain::Permit)), CHECK_AT, Some(1));
    add("base64 of impossible length", "IZ1AAAAA".to_owned(), CHECK_AT, Some(1));
    add("token followed by '=' (not base64url, so not part of it)", format!("{text}="), CHECK_AT, Some(1));
    add("no token at all", "2 AZE11111111".to_owned(), CHECK_AT, Some(1));
    add("empty", String::new(), CHECK_AT, Some(1));
    add("QR digits of a wrong length", "1".repeat(101), CHECK_AT, Some(1));
    add("far too long", format!("IZ1{}", "A".repeat(400)), CHECK_AT, Some(1));

    let doc = json!({
        "about": "Known-answer vectors for Icaze permit token v1 (docs/token-format.md). Keys are TEST keys: each seed is the key's label padded with '.' to 32 bytes, e.g. 'icaze TEST sms' for key 1. Check every case against trust_list_hex, verified with root_public_key_hex; 'at' is the time of the check, 'zone' the officer's zone (null: no zone test); 'status' and 'reason' are the expected verdict. Generated by crates/icaze-core/tests/vectors.rs.",
        "root_public_key_hex": hex(&fx.root.public_key().to_bytes()),
        "trust_list_hex": hex(&fx.trust.sign(&fx.root)),
        "cases": cases,
    });
    let json = serde_json::to_string_pretty(&doc).unwrap() + "\n";

    let mut flips = String::from(
        "# Every single bit of the sms permit token flipped (token_hex of case 'sms permit, SMS form').\n\
         # Checked at 2020-12-15T11:00:00+04:00 in zone 1 against the trust list of permit-v1.json.\n\
         # Columns: bit index (0 = most significant bit of byte 0), expected status, expected reason, input.\n",
    );
    for bit in 0..sms.len() * 8 {
        let mut b = sms.clone();
        b[bit / 8] ^= 0x80 >> (bit % 8);
        let input = sms_text(&b);
        let verdict = evaluate(&input, &fx.trust, &Check { at: at(CHECK_AT), zone: ZoneId::new(1) });
        let reason = verdict.reasons.first().map_or("-", |r| r.code);
        flips.push_str(&format!("{bit} {} {reason} {input}\n", verdict.status.code()));
    }
    (json, flips)
}

#[test]
fn vector_files_are_current() {
    let (json, flips) = generate();
    let dir = vectors_dir();
    if std::env::var_os("ICAZE_BLESS_VECTORS").is_some() {
        std::fs::write(dir.join("permit-v1.json"), &json).unwrap();
        std::fs::write(dir.join("permit-v1-bitflips.txt"), &flips).unwrap();
    }
    let on_disk = std::fs::read_to_string(dir.join("permit-v1.json")).unwrap();
    assert!(on_disk == json, "tests/vectors/permit-v1.json differs from what the code generates; if the change is intended, rerun with ICAZE_BLESS_VECTORS=1 and review the diff");
    let on_disk = std::fs::read_to_string(dir.join("permit-v1-bitflips.txt")).unwrap();
    assert!(on_disk == flips, "tests/vectors/permit-v1-bitflips.txt is stale; rerun with ICAZE_BLESS_VECTORS=1");
}

/// Reads the files as an outside verifier would and checks every case, so the
/// files stay meaningful even if the generator above were wrong.
#[test]
fn every_vector_gives_its_verdict() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors_dir().join("permit-v1.json")).unwrap()).unwrap();
    let root = PublicKey::from_bytes(&unhex(doc["root_public_key_hex"].as_str().unwrap()).try_into().unwrap()).unwrap();
    let trust = TrustList::verify_bytes(&unhex(doc["trust_list_hex"].as_str().unwrap()), &root).unwrap();
    let published = std::fs::read_to_string(vectors_dir().join("../../keys/test-root.public")).unwrap();
    let published = published.lines().find(|l| !l.starts_with('#')).unwrap().split(' ').next_back().unwrap();
    use base64::Engine as _;
    let published = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(published).unwrap();
    assert_eq!(published, root.to_bytes(), "keys/test-root.public is the vectors' root");
    let cases = doc["cases"].as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let check = Check {
            at: at(case["at"].as_str().unwrap()),
            zone: case["zone"].as_u64().and_then(|z| ZoneId::new(z as u16)),
        };
        let verdict = evaluate(case["input"].as_str().unwrap(), &trust, &check);
        assert_eq!(verdict.status.code(), case["status"].as_str().unwrap(), "{name}");
        assert_eq!(verdict.reasons.first().map(|r| r.code), case["reason"].as_str(), "{name}");
        assert_eq!(verdict.permit.is_some(), case.get("claims").is_some(), "{name}");
        if let Some(p) = &verdict.permit {
            assert_eq!(claims_json(p.claims(), p.key_id()), case["claims"], "{name}");
        }
        seen.insert(case["reason"].as_str().unwrap_or(case["status"].as_str().unwrap()).to_owned());
    }
    // The vectors cover every rejection reason the issue names.
    for reason in [
        "valid",
        "not_yet_valid",
        "expired",
        "wrong_zone",
        "bad_signature",
        "unknown_key",
        "key_not_valid",
        "key_revoked",
        "purpose_not_allowed",
        "truncated",
        "trailing_bytes",
        "unsupported_version",
        "invalid_field",
        "bad_encoding",
        "no_token",
        "too_long",
    ] {
        assert!(seen.contains(reason), "no vector for {reason}");
    }

    let flips = std::fs::read_to_string(vectors_dir().join("permit-v1-bitflips.txt")).unwrap();
    let mut count = 0;
    for line in flips.lines().filter(|l| !l.starts_with('#')) {
        let [bit, status, reason, input] = line.split(' ').collect::<Vec<_>>()[..] else { panic!("bad line {line}") };
        let verdict = evaluate(input, &trust, &Check { at: at(CHECK_AT), zone: ZoneId::new(1) });
        assert_ne!(verdict.status, Status::Valid, "bit {bit} flipped still verifies");
        assert_eq!(verdict.status.code(), status, "bit {bit}");
        assert_eq!(verdict.reasons.first().map_or("-", |r| r.code), reason, "bit {bit}");
        count += 1;
    }
    assert_eq!(count, 81 * 8, "one line per bit of the 81-byte token");
}
