//! The fuzzing harnesses: one function per parser of outside input. Each must
//! return, whatever the bytes, and checks the property its format promises
//! (one encoding per value: what reads must re-encode to the same bytes).
//! A panic, an overflow or a failed assertion here is a bug.
//!
//! The libFuzzer targets in `fuzz_targets/` call these; `tests/corpus.rs`
//! runs them over the seed corpus in `corpus/` on stable Rust.
#![forbid(unsafe_code)]

use icaze_core::{PublicKey, RevocationSet, TrustList, UnverifiedPermit, VerifiedBundle};
use icaze_protocol::{EnrollmentCode, InspectionRecord, UploadBatch, GENESIS_HASH};

/// The root key of the known-answer vectors (`tests/vectors/*.json`), so
/// that seeds made from the vectors reach past the signature checks.
const VECTOR_ROOT: [u8; 32] = [
    0x79, 0xea, 0xa2, 0x68, 0x7d, 0x14, 0x26, 0xc7, 0xbf, 0x53, 0x00, 0x79, 0xbd, 0x7c, 0xf5, 0xbe, 0xe9, 0xda, 0xfd,
    0x3a, 0x99, 0x35, 0xcc, 0x42, 0xcd, 0xcf, 0x34, 0x9e, 0x11, 0xa2, 0xc9, 0xeb,
];

fn root() -> PublicKey {
    // Invariant: VECTOR_ROOT is the vectors' valid root key.
    PublicKey::from_bytes(&VECTOR_ROOT).expect("the vectors' root key is valid")
}

/// Any text as an officer pastes or scans it: find a token, read it, verify it.
pub fn token_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let found = UnverifiedPermit::find_in_text(text);
    let exact = UnverifiedPermit::from_text(text);
    if let Ok(permit) = exact {
        let bytes = permit.token().as_bytes();
        let again = UnverifiedPermit::from_text(&permit.token().to_text()).expect("a token's own text reads");
        assert_eq!(again.token().as_bytes(), bytes, "one token, one SMS form");
        assert!(found.is_ok(), "a text that is a token also holds one");
    }
    if let Ok(permit) = found {
        let again = UnverifiedPermit::from_bytes(permit.token().as_bytes()).expect("found tokens re-read");
        assert_eq!(again.key_id(), permit.key_id());
    }
}

/// Token bytes (as a QR scanner or a decoder gives them).
pub fn token_bytes(data: &[u8]) {
    let Ok(permit) = UnverifiedPermit::from_bytes(data) else { return };
    let token = permit.token();
    assert_eq!(token.as_bytes(), data);
    let sms = UnverifiedPermit::from_text(&token.to_text()).expect("the SMS form reads");
    let qr = UnverifiedPermit::from_text(&token.to_qr_digits()).expect("the QR form reads");
    assert_eq!(sms.token().as_bytes(), data, "one token, one SMS form");
    assert_eq!(qr.token().as_bytes(), data, "one token, one QR form");
}

/// What a citizen texts to 8103: it always gets a reply in GSM-7 basic characters.
pub fn sms_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let language = icaze_sms::language_of(&text);
    match icaze_sms::parse(&text) {
        Ok(request) => assert!((1..=9).contains(&request.code), "codes are 1..=9"),
        Err(problem) => {
            let reply = icaze_sms::reply::how_to_write(language, &problem, &[1, 2]);
            assert!(icaze_sms::gsm7::is_basic(&reply), "every reply is GSM-7 basic: {reply:?}");
            assert!(!reply.is_empty());
        }
    }
}

/// A sync bundle, as a device downloads it or reads it from a precinct file.
pub fn bundle(data: &[u8]) {
    if let Ok(bundle) = VerifiedBundle::verify(data, &root()) {
        let contents = bundle.contents();
        assert!(contents.base_version.is_none_or(|base| base < contents.version), "a delta builds on an older version");
        let replaced = &contents.sections.replaced;
        assert!(
            replaced.iter().all(|serial| contents.revocations.contains(icaze_core::PermitSerial(serial))),
            "a replaced serial is a revoked one"
        );
    }
}

/// A root-signed trust list.
pub fn trust_list(data: &[u8]) {
    if let Ok(list) = TrustList::verify_bytes(data, &root()) {
        let _ = list.keys().len();
    }
}

/// The revocation set's wire form (inside a bundle, after its signature).
pub fn revocations(data: &[u8]) {
    if let Ok(set) = RevocationSet::decode(data) {
        let again = RevocationSet::decode(&set.encode()).expect("an encoded set decodes");
        assert!(again == set, "decode(encode(set)) == set");
        assert_eq!(set.encode(), data, "one set, one encoding");
    }
}

/// An upload batch or a precinct export file.
pub fn upload_batch(data: &[u8]) {
    if let Ok(batch) = UploadBatch::verify(data) {
        for (record, body) in batch.records().iter().zip(batch.bodies()) {
            assert_eq!(record.body().expect("a read record encodes"), body, "one record, one encoding");
        }
    }
}

/// One inspection record body.
pub fn inspection_record(data: &[u8]) {
    if let Ok(record) = InspectionRecord::decode(data, GENESIS_HASH, GENESIS_HASH) {
        assert_eq!(record.body().expect("a read record encodes"), data, "one record, one encoding");
    }
}

/// An enrollment code a supervisor types or scans.
pub fn enrollment_code(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(code) = EnrollmentCode::parse(text) {
        let again = EnrollmentCode::parse(&code.to_string()).expect("a code's own text reads");
        assert_eq!(again, code);
    }
}

/// An image the officer opens to scan a QR code.
pub fn qr_image(data: &[u8]) {
    if let Ok(texts) = icaze_qr::decode_image(data) {
        for text in texts {
            token_text(text.as_bytes());
        }
    }
}

/// A population registry, deny-list or authorised organisations' file, as
/// `icaze registry import|deny|organisations` reads it: every row is a record
/// in canonical form or a problem with its line, lines ascend, a list read
/// whole is one the bundle carries and reads back, and nothing panics.
pub fn registry_csv(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut last = 0;
    for (line, row) in icaze_permits::csv::people(&text) {
        assert!(line > last, "lines ascend");
        last = line;
        if let Ok(person) = row {
            let again = icaze_permits::csv::document(&person.document).expect("a canonical document reads");
            assert_eq!(again, person.document, "documents are canonical");
        }
    }
    let mut last = 0;
    for (line, row) in icaze_permits::csv::denials(&text) {
        assert!(line > last, "lines ascend");
        last = line;
        if let Ok(denial) = row {
            assert!(!denial.reason.trim().is_empty(), "a denial has a reason");
        }
    }
    if let Ok(list) = icaze_permits::csv::organisation_list(&text) {
        let again = icaze_core::AuthorisedOrganisations::decode(&list.encode()).expect("a list read decodes");
        assert_eq!(again, list, "the organisations' section round-trips");
    }
}

/// A regime file, as `icaze regime` and the admin API load it: read or
/// refused with a message; a regime read has a period, and moving it anywhere
/// (rehearsals) keeps it well-formed.
pub fn regime_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(regime) = icaze_permits::regime::Regime::from_toml(text) else { return };
    assert!(regime.start < regime.end, "a regime's period is not empty");
    let bundle = regime.to_bundle();
    assert!(bundle.zones.windows(2).all(|w| w[0].id < w[1].id), "bundle zones ascend");
    for start in [0, 1, regime.end.unix_minutes(), u32::MAX - 1, u32::MAX] {
        let moved = regime.moved_to(icaze_core::UtcMinute::from_unix_minutes(start));
        assert!(moved.start <= moved.end, "a moved regime keeps its order");
    }
}

/// A line of an employer's CSV import or a registry file (`icaze_permits::csv`): its
/// fields read or refused with a `LineError`; fields read, written back quoted,
/// read the same.
pub fn portal_csv(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text.lines() {
        let Ok(fields) = icaze_permits::csv::fields(line) else { continue };
        assert!(!fields.is_empty(), "a line has at least one field");
        let quoted: Vec<String> = fields.iter().map(|f| format!("\"{}\"", f.replace('"', "\"\""))).collect();
        let again = icaze_permits::csv::fields(&quoted.join(",")).expect("quoted fields read");
        assert_eq!(again, fields, "quoting keeps the fields");
    }
}

/// A harness: reads any bytes, panics only on a bug.
pub type Harness = fn(&[u8]);

/// Every harness by its target's name, for the corpus test.
pub const TARGETS: &[(&str, Harness)] = &[
    ("token_text", token_text),
    ("token_bytes", token_bytes),
    ("sms_text", sms_text),
    ("bundle", bundle),
    ("trust_list", trust_list),
    ("revocations", revocations),
    ("upload_batch", upload_batch),
    ("inspection_record", inspection_record),
    ("enrollment_code", enrollment_code),
    ("qr_image", qr_image),
    ("registry_csv", registry_csv),
    ("regime_toml", regime_toml),
    ("portal_csv", portal_csv),
];
