//! Known-answer vectors: `tests/vectors/permit-v1.json` (named cases, accepted
//! and rejected, with the expected status and reason),
//! `tests/vectors/permit-v1-bitflips.txt` (every single bit of one valid token
//! flipped) and `tests/vectors/trustlist-v1.json` (trust lists, accepted and
//! refused, with the expected result). The files are generated from fixed TEST
//! keys by this test; it fails when the code would generate anything else, and
//! rewrites them when run with `ICAZE_BLESS_VECTORS=1`. Their format is
//! described in `docs/token-format.md` §9.
//!
//! Cases that break one rule of the format are written with the small bit and
//! byte writers below, because the library's encoders never write them; each
//! such case states the error it must give, so that it exercises the rule it
//! is named after and not another one.

use std::path::PathBuf;

use icaze_core::*;
use serde_json::{json, Value};

#[path = "vectors/v2.rs"]
mod v2;

#[path = "vectors/bundle2.rs"]
mod bundle2;

#[path = "support/bundle_sample.rs"]
mod sample;
use sample::{at, test_key};

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
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
    let root = test_key("root");
    let key = |id: u8, label: &str, purposes: &[Purpose], from: &str, until: &str, revoked: bool| TrustedKey {
        id: KeyId(id),
        public_key: test_key(label).public_key(),
        valid_from: at(from),
        valid_until: at(until),
        purposes: PurposeSet::of(purposes),
        revoked,
        may_sign_bundles: false,
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
    test_key(label)
}

#[derive(Clone, Copy)]
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

/// The business trip of the permit files (v2 issues it at 09:03, and first
/// without the vehicle).
const TRIP: Spec = Spec {
    serial: 900_001,
    doc: "AA0012345",
    purpose: Purpose::BusinessTrip,
    zones: &[1, 4, 17],
    issued: "2020-12-14T09:00:00+04:00",
    from: "2020-12-15T00:00:00+04:00",
    until: "2020-12-18T00:00:00+04:00",
    vehicle: Some("10-AB-123"),
};

/// The work permit of the permit files, re-issued after its start (v2 also
/// issues it from the start of its day).
const WORK: Spec = Spec {
    serial: 4_000_000_000,
    doc: "DYI7654321",
    purpose: Purpose::Work,
    zones: &[2],
    issued: "2020-12-14T00:00:00+04:00",
    from: "2020-12-01T00:00:00+04:00",
    until: "2021-01-18T00:00:00+04:00",
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

/// A v1 token (the format of `permit-v1.json`).
fn token(id: u8, s: &Spec) -> Vec<u8> {
    issue_as(Format::V1, &signer(id), KeyId(id), &claims(s)).as_bytes().to_vec()
}

/// A v2 token, as issuers write them.
fn token2(id: u8, s: &Spec) -> Vec<u8> {
    issue(&signer(id), KeyId(id), &claims(s)).as_bytes().to_vec()
}

/// A token for `s` with a document that [`DocumentNumber::parse`] cannot give
/// (it reads letters-then-digits as an ID card).
fn token_with_document(format: Format, id: u8, s: &Spec, document: DocumentNumber) -> Vec<u8> {
    let base = claims(s);
    let claims = PermitClaims::new(ClaimsSpec {
        serial: base.serial(),
        document,
        purpose: base.purpose(),
        zones: base.zones().to_vec(),
        issued_at: base.issued_at(),
        valid_from: base.valid_from(),
        valid_until: base.valid_until(),
        vehicle: base.vehicle().cloned(),
    })
    .unwrap();
    issue_as(format, &signer(id), KeyId(id), &claims).as_bytes().to_vec()
}

fn sms_text(bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!("IZ1{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn sms2_text(bytes: &[u8]) -> String {
    format!("IZ2{}", &sms_text(bytes)[3..])
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

/// The cases of `permit-v1.json`, in order.
struct Cases<'a> {
    fx: &'a Fixture,
    list: Vec<Value>,
}

impl Cases<'_> {
    fn add(&mut self, name: &str, input: String, at: &str, zone: Option<u16>) {
        self.list.push(case(name, input, at, zone, self.fx));
    }

    /// A case checked at `CHECK_AT` in `zone` that must give `status` and
    /// first reason `reason`.
    fn expect(&mut self, name: &str, input: String, zone: Option<u16>, status: &str, reason: Option<&str>) {
        let v = case(name, input, CHECK_AT, zone, self.fx);
        assert_eq!((v["status"].as_str(), v["reason"].as_str()), (Some(status), reason), "{name}");
        self.list.push(v);
    }

    /// `sms` signed by keys the trust list refuses for it (unknown, outside
    /// its validity, revoked, not allowed the purpose), each written as text
    /// by `text`.
    fn refused_keys(&mut self, sms: &Spec, text: impl Fn(u8, &Spec) -> String) {
        self.add("key not in the trust list", text(9, sms), CHECK_AT, Some(1));
        self.add("key outside its validity", text(4, sms), CHECK_AT, Some(1));
        self.add("revoked key", text(5, sms), CHECK_AT, Some(1));
        let work = Spec { purpose: Purpose::Work, ..*sms };
        self.add("sms key signing a work permit", text(1, &work), CHECK_AT, Some(1));
        self.add("portal key signing code 2", text(2, sms), CHECK_AT, Some(1));
    }

    /// A malformed case (checked at `CHECK_AT` in zone 1) that must fail to
    /// parse with exactly `error`, field name included.
    fn malformed(&mut self, name: &str, input: String, error: ParseError) {
        assert_eq!(UnverifiedPermit::find_in_text(&input).err(), Some(error.clone()), "{name}");
        self.expect(name, input, Some(1), "malformed", Some(error.code()));
    }
}

/// Bits written most significant first (docs/token-format.md §3), with named
/// marks so that a payload can be cut inside a given field.
#[derive(Default)]
struct Bits {
    bits: Vec<bool>,
    marks: Vec<(String, usize)>,
}

impl Bits {
    fn put(&mut self, value: u64, width: u32) {
        assert!(width == 64 || value >> width == 0, "{value} does not fit {width} bits");
        self.bits.extend((0..width).rev().map(|i| (value >> i) & 1 == 1));
    }

    fn mark(&mut self, name: String) {
        self.marks.push((name, self.bits.len()));
    }

    fn position(&self, name: &str) -> usize {
        self.marks.iter().find(|(n, _)| n == name).map(|&(_, at)| at).unwrap_or_else(|| panic!("no field {name}"))
    }

    /// The bytes, with `padding` in the bits up to the next byte boundary.
    fn finish(mut self, padding: u64) -> Vec<u8> {
        let pad = ((8 - self.bits.len() % 8) % 8) as u32;
        self.put(padding, pad);
        self.bits.chunks(8).map(|byte| byte.iter().fold(0u8, |acc, &bit| (acc << 1) | u8::from(bit))).collect()
    }

    /// `version`, `purpose`, `key_id`, `serial` and `issued_at`: the same
    /// widths in §3 and §10.
    fn head(&mut self, version: u64, purpose: u64, key_id: u64, serial: u64, issued: u64) {
        for (value, width) in [(version, 4), (purpose, 4), (key_id, 8), (serial, 32), (issued, 26)] {
            self.put(value, width);
        }
    }

    /// The zones of `width` bits, each marked `zone N` and followed by its
    /// `more_zones` bit.
    fn zones(&mut self, zones: &[u64], width: u32) {
        for (i, &zone) in zones.iter().enumerate() {
            self.mark(format!("zone {}", i + 1));
            self.put(zone, width);
            self.put(u64::from(i + 1 < zones.len()), 1);
        }
    }

    /// `vehicle_flag`, then `plate_len` and the plate's character codes;
    /// `document_type`, then for types 1 and 7 `series_len` and the series'
    /// letter codes (§3 and §10 alike).
    fn vehicle_and_document_type(&mut self, plate: Option<&[u64]>, doc_type: u64, series: &[u64]) {
        self.put(u64::from(plate.is_some()), 1);
        if let Some(plate) = plate {
            self.put(plate.len() as u64, 4);
            for &c in plate {
                self.put(c, 6);
            }
        }
        self.put(doc_type, 4);
        if matches!(doc_type, 1 | 7) {
            self.put(series.len() as u64, 3);
            for &c in series {
                self.put(c, 5);
            }
        }
    }

    /// The `digits` field (marked), cut where `cut` says, then padded: the
    /// end of a payload in §3 and §10.
    fn digits_and_finish(
        mut self,
        digit_count: u64,
        digits: u64,
        cut: Option<(&'static str, usize)>,
        padding: u64,
    ) -> Vec<u8> {
        self.mark("digits".to_owned());
        self.put(digits, digit_width(digit_count));
        if let Some((field, bits)) = cut {
            let end = self.position(field) + bits;
            self.bits.truncate(end);
        }
        self.finish(padding)
    }
}

/// `W(n)`: the least `w` with `2^w >= 10^n`.
fn digit_width(n: u64) -> u32 {
    (0..).find(|&w| 1u128 << w >= 10u128.pow(n as u32)).unwrap()
}

/// A payload written field by field as §3 (v1) or §10 (v2) lists them, so
/// that a case can carry any value, including those the encoder never writes.
/// The formats differ only in how they write `from` and `duration` (`F` and
/// `D`) and in v2's `zone_wide`.
#[derive(Clone)]
struct RawPayload<F, D> {
    version: u64,
    purpose: u64,
    key_id: u64,
    serial: u64,
    /// Minutes since 2020-01-01T00:00Z.
    issued: u64,
    from: F,
    duration: D,
    /// v2's `zone_wide` (12-bit zones, not 5); v1 zones are always 12 bits.
    zone_wide: bool,
    zones: Vec<u64>,
    /// The plate's character codes; `None` writes `vehicle_flag = 0`.
    plate: Option<Vec<u64>>,
    doc_type: u64,
    /// The series' letter codes, written (after `series_len`) for types 1 and 7.
    series: Vec<u64>,
    /// The number of digits; v2 writes it as `digit_count` for types 1, 7, 8
    /// and 9 only.
    digit_count: u64,
    digits: u64,
    /// The value of the padding bits.
    padding: u64,
    /// End the payload this many bits into the field of this name ("zone 17",
    /// "digits"), then pad with zeros.
    cut: Option<(&'static str, usize)>,
}

impl<F, D> RawPayload<F, D> {
    /// The fields of the SMS permit in format `version`, with its `from` and
    /// `duration`.
    fn sms_with(version: u64, from: F, duration: D) -> Self {
        RawPayload {
            version,
            purpose: 2,
            key_id: 1,
            serial: 123_456_789,
            issued: 502_920,
            from,
            duration,
            zone_wide: false,
            zones: vec![1],
            plate: None,
            doc_type: 2,
            series: vec![],
            digit_count: 8,
            digits: 11_111_111,
            padding: 0,
            cut: None,
        }
    }
}

/// A v1 payload: `from` is `from_before` and `from_delta` (`None` writes
/// `from_flag = 0`), `duration` is `long_flag` and the duration.
type Raw = RawPayload<Option<(bool, u64)>, (bool, u64)>;

impl Raw {
    /// The fields of the SMS permit (`SMS`).
    fn sms() -> Self {
        Raw::sms_with(1, None, (false, 180))
    }

    fn payload(&self) -> Vec<u8> {
        let mut b = Bits::default();
        b.head(self.version, self.purpose, self.key_id, self.serial, self.issued);
        b.put(u64::from(self.from.is_some()), 1);
        if let Some((before, delta)) = self.from {
            b.put(u64::from(before), 1);
            b.put(delta, 20);
        }
        let (long, duration) = self.duration;
        b.put(u64::from(long), 1);
        b.put(duration, if long { 20 } else { 11 });
        b.zones(&self.zones, 12);
        b.vehicle_and_document_type(self.plate.as_deref(), self.doc_type, &self.series);
        b.put(self.digit_count, 4);
        b.digits_and_finish(self.digit_count, self.digits, self.cut, self.padding)
    }

    /// The SMS form of the payload signed with key 1.
    fn text(&self) -> String {
        sms_text(&signed(1, &self.payload(), Domain::Permit))
    }
}

/// Series letter codes: `A` is 1.
fn letters(s: &str) -> Vec<u64> {
    s.bytes().map(|b| u64::from(b - b'A' + 1)).collect()
}

fn permit_cases(fx: &Fixture) -> Vec<Value> {
    let sms = token(1, &SMS);
    let sms_payload = &sms[..sms.len() - 64];
    let mut cases = Cases { fx, list: Vec::new() };
    let c = &mut cases;

    // Accepted.
    c.add("sms permit, SMS form", sms_text(&sms), CHECK_AT, Some(1));
    c.add(
        "sms permit, QR digits form",
        UnverifiedPermit::from_bytes(&sms).unwrap().token().to_qr_digits(),
        CHECK_AT,
        Some(1),
    );
    c.add(
        "sms permit inside the whole SMS reply",
        format!("AZE11111111 15.12 10:00-13:00 {}", sms_text(&sms)),
        CHECK_AT,
        Some(1),
    );
    c.add("sms permit, no zone given", sms_text(&sms), CHECK_AT, None);
    c.add("first minute of validity", sms_text(&sms), "2020-12-15T10:00:00+04:00", Some(1));
    c.add("last minute of validity", sms_text(&sms), "2020-12-15T12:59:00+04:00", Some(1));
    let medical = Spec { serial: 7, doc: "MYİ1234567", purpose: Purpose::Medical, zones: &[3], ..SMS };
    c.add("medical permit of a temporary resident", sms_text(&token(1, &medical)), CHECK_AT, Some(3));
    let trip = TRIP;
    c.add("business trip to three zones with a vehicle", sms_text(&token(2, &trip)), CHECK_AT, Some(17));
    let work = WORK;
    c.add("work permit re-issued after its start", sms_text(&token(2, &work)), CHECK_AT, Some(2));
    let funeral = Spec { serial: 55, doc: "MOM0000042", purpose: Purpose::Funeral, zones: &[6], ..SMS };
    c.add("funeral permit from the call centre", sms_text(&token(3, &funeral)), CHECK_AT, Some(6));
    // `RN000123456` typed as text reads as an ID card of series RN (doc_type 1).
    let rn_card = Spec { serial: 56, doc: "RN000123456", ..SMS };
    let rn_card_text = sms_text(&token(1, &rn_card));
    assert!(UnverifiedPermit::from_text(&rn_card_text).is_ok());
    c.expect("ID card of another series, RN", rn_card_text, Some(1), "valid", None);
    let notice = DocumentNumber::new(DocumentKind::RegistrationNotice, "RN", "000123456").unwrap();
    let notice_text = sms_text(&token_with_document(Format::V1, 1, &Spec { serial: 57, ..SMS }, notice));
    c.expect("registration notification with letters", notice_text, Some(1), "valid", None);
    let notice = DocumentNumber::parse("123456789012").unwrap();
    assert_eq!(notice.kind(), DocumentKind::RegistrationNotice);
    let notice_text = sms_text(&token_with_document(Format::V1, 1, &Spec { serial: 58, ..SMS }, notice));
    c.expect("registration notification, digits only", notice_text, Some(1), "valid", None);
    let short_aze = Spec { serial: 59, doc: "AZE7", ..SMS };
    c.expect(
        "ID card AZE with one digit (types 2 and 3 take 1 to 15 digits)",
        sms_text(&token(1, &short_aze)),
        Some(1),
        "valid",
        None,
    );
    let sixteen = Raw { zones: (1..=16).collect(), ..Raw::sms() };
    c.expect("16 zones, the most a permit names", sixteen.text(), Some(16), "valid", None);

    // Rejected by time and place.
    c.add("before validity", sms_text(&sms), "2020-12-15T09:59:00+04:00", Some(1));
    c.add("at the end of validity", sms_text(&sms), "2020-12-15T13:00:00+04:00", Some(1));
    c.add("wrong zone", sms_text(&sms), CHECK_AT, Some(2));
    // issued_at is 502 920 minutes after 2020-01-01T00:00Z: going back that far
    // lands exactly on the earliest valid_from.
    let epoch_start = Raw { from: Some((true, 502_920)), ..Raw::sms() };
    c.expect("valid_from exactly 2020-01-01T00:00Z", epoch_start.text(), Some(1), "expired", Some("expired"));

    // Rejected by the trust list.
    let mut bad = sms.clone();
    *bad.last_mut().unwrap() ^= 1;
    c.add("signature byte changed", sms_text(&bad), CHECK_AT, Some(1));
    let mut bad = sms.clone();
    bad[3] ^= 0x40;
    c.add("serial changed after signing", sms_text(&bad), CHECK_AT, Some(1));
    let other = token(1, &Spec { serial: 1, ..SMS });
    let mut spliced = sms_payload.to_vec();
    spliced.extend_from_slice(&other[other.len() - 64..]);
    c.add("signature of another permit spliced in", sms_text(&spliced), CHECK_AT, Some(1));
    c.add(
        "signed under the trust-list domain",
        sms_text(&signed(1, sms_payload, Domain::TrustList)),
        CHECK_AT,
        Some(1),
    );
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
    c.add("non-canonical signature, S + L", sms_text(&high_s), CHECK_AT, Some(1));
    c.refused_keys(&SMS, |id, s| sms_text(&token(id, s)));

    // Malformed.
    c.add("last byte missing", sms_text(&sms[..sms.len() - 1]), CHECK_AT, Some(1));
    c.add("payload only", sms_text(sms_payload), CHECK_AT, Some(1));
    let text = sms_text(&sms);
    c.add("last 4 characters cut", text[..text.len() - 4].to_owned(), CHECK_AT, Some(1));
    c.add("last 10 characters cut", text[..text.len() - 10].to_owned(), CHECK_AT, Some(1));
    let mut longer = sms.clone();
    longer.push(0);
    c.add("one byte appended", sms_text(&longer), CHECK_AT, Some(1));
    let mut v2 = sms_payload.to_vec();
    v2[0] = (v2[0] & 0x0f) | 0x20;
    c.malformed(
        "IZ1 text of a payload whose version is 2",
        sms_text(&signed(1, &v2, Domain::Permit)),
        ParseError::InvalidField("version"),
    );
    c.malformed(
        "text prefix of version 2 on a v1 token",
        format!("IZ2{}", &text[3..]),
        ParseError::InvalidField("version"),
    );
    c.add("text prefix of version 3", format!("IZ3{}", &text[3..]), CHECK_AT, Some(1));
    let mut zero_zone = sms_payload.to_vec();
    // Zone 1 follows 74 bits of header, serial and time, the from flag and 12
    // bits of duration: bits 87..99. Clear its lowest bit (bit 98): zone 0.
    zero_zone[98 / 8] &= !(1 << (7 - 98 % 8));
    c.add("zone 0, validly signed", sms_text(&signed(1, &zero_zone, Domain::Permit)), CHECK_AT, Some(1));
    c.add("base64 of impossible length", "IZ1AAAAA".to_owned(), CHECK_AT, Some(1));
    c.add("token followed by '=' (not base64url, so not part of it)", format!("{text}="), CHECK_AT, Some(1));
    c.add("no token at all", "2 AZE11111111".to_owned(), CHECK_AT, Some(1));
    c.add("empty", String::new(), CHECK_AT, Some(1));
    c.add("QR digits of a wrong length", "1".repeat(101), CHECK_AT, Some(1));
    c.add("far too long", format!("IZ1{}", "A".repeat(400)), CHECK_AT, Some(1));

    // One rule of §3 broken, everything else valid, signed with key 1.
    assert_eq!(Raw::sms().payload(), sms_payload, "the bit writer writes what the encoder does");
    let field = ParseError::InvalidField;
    let raw = Raw::sms;
    c.malformed("purpose 0", Raw { purpose: 0, ..raw() }.text(), field("purpose"));
    c.malformed("from_flag 1 with delta 0", Raw { from: Some((false, 0)), ..raw() }.text(), field("valid_from"));
    c.malformed(
        "valid_from one minute before 2020-01-01",
        Raw { from: Some((true, 502_921)), ..raw() }.text(),
        field("valid_from"),
    );
    c.malformed("long-form duration 2047", Raw { duration: (true, 2047), ..raw() }.text(), field("duration"));
    c.malformed("short-form duration 0", Raw { duration: (false, 0), ..raw() }.text(), field("duration"));
    c.malformed("zones not ascending", Raw { zones: vec![4, 2], ..raw() }.text(), field("zone"));
    c.malformed("a zone twice", Raw { zones: vec![3, 3], ..raw() }.text(), field("zone"));
    c.malformed("17 zones", Raw { zones: (1..=17).collect(), ..raw() }.text(), field("zone"));
    c.malformed("vehicle with plate_len 0", Raw { plate: Some(vec![]), ..raw() }.text(), field("vehicle"));
    c.malformed("plate character 36", Raw { plate: Some(vec![1, 0, 36]), ..raw() }.text(), field("vehicle"));
    c.malformed("document type 0", Raw { doc_type: 0, ..raw() }.text(), field("document_type"));
    c.malformed("document type 8", Raw { doc_type: 8, ..raw() }.text(), field("document_type"));
    let type1 = |series: Vec<u64>| Raw { doc_type: 1, series, digit_count: 7, digits: 1_234_567, ..raw() };
    c.malformed("type 1 with series_len 0", type1(vec![]).text(), field("document"));
    c.malformed("series character 0", type1(vec![1, 0]).text(), field("document"));
    c.malformed("series character 27", type1(vec![1, 27]).text(), field("document"));
    c.malformed("type 1 with series AZE (it has type 2)", type1(letters("AZE")).text(), field("document"));
    c.malformed("type 1 with series MYI (another kind's series)", type1(letters("MYI")).text(), field("document"));
    c.malformed("8 digits of value 10^8", Raw { digits: 100_000_000, ..raw() }.text(), field("document"));
    let residence = |digit_count: u64, digits: u64| Raw { doc_type: 4, digit_count, digits, ..raw() };
    c.malformed("type 4 with 6 digits", residence(6, 123_456).text(), field("document"));
    // Type 4 with 7 digits ends 3 bits short of a byte: room for padding.
    c.malformed("non-zero padding bit", Raw { padding: 1, ..residence(7, 1_234_567) }.text(), field("padding"));

    // Which error wins: fields are read in order and each is refused as soon
    // as the rules §3 gives for it can be checked.
    let cut = |raw: Raw, field: &'static str, bits: usize| Raw { cut: Some((field, bits)), ..raw };
    c.malformed(
        "17th zone, payload ends inside it",
        cut(Raw { zones: (1..=17).collect(), ..raw() }, "zone 17", 4).text(),
        ParseError::Truncated,
    );
    c.malformed(
        "type 4 with 6 digits, payload ends inside the digits",
        cut(residence(6, 123_456), "digits", 10).text(),
        ParseError::Truncated,
    );
    c.malformed(
        "type 1 with series_len 0, payload ends inside the digits",
        cut(type1(vec![]), "digits", 10).text(),
        ParseError::Truncated,
    );
    c.malformed(
        "type 1 with series MYI, payload ends inside the digits",
        cut(type1(letters("MYI")), "digits", 10).text(),
        ParseError::Truncated,
    );
    c.malformed(
        "type 1 with series AZE, payload ends inside the digits",
        cut(type1(letters("AZE")), "digits", 10).text(),
        field("document"),
    );
    let mut short_v2 = sms[..63].to_vec();
    short_v2[0] = (short_v2[0] & 0x0f) | 0x20;
    c.malformed("63 bytes whose first four bits are 2", sms_text(&short_v2), ParseError::Truncated);
    c.malformed("signature only (64 bytes, empty payload)", sms_text(&sms[17..]), ParseError::Truncated);

    // Lengths (text.rs: 215 characters, 405 digits, 160 bytes).
    c.malformed(
        "215 base64url characters with non-zero unused bits",
        format!("IZ1{}B", "A".repeat(214)),
        ParseError::BadEncoding("base64url"),
    );
    c.malformed(
        "215 base64url characters: 161 bytes, first four bits 0",
        format!("IZ1{}", "A".repeat(215)),
        ParseError::TooLong,
    );
    c.malformed(
        "217 base64url characters (an impossible length)",
        format!("IZ1{}", "A".repeat(217)),
        ParseError::TooLong,
    );
    c.malformed("QR form of 391 digits: 161 bytes", "1".repeat(391), ParseError::TooLong);
    c.malformed("QR form of 405 digits (no group length)", "1".repeat(405), ParseError::BadEncoding("QR digit groups"));
    c.malformed("QR form of 407 digits", "1".repeat(407), ParseError::TooLong);

    // Text forms and finding the token (§2.2, §2.3).
    let qr = sms_token_qr(&sms);
    c.malformed(
        "QR digit group not below 2^56",
        format!("99999999999999999{}", &qr[17..]),
        ParseError::BadEncoding("QR digit groups"),
    );
    c.malformed("QR digits with a letter inside", format!("{}A{}", &qr[..150], &qr[151..]), ParseError::NotFound);
    // The first run, 102 digits, is six whole groups: 42 bytes. The second is
    // shorter than 100 digits, so not a candidate.
    c.malformed("QR digits split by a space", format!("{} {}", &qr[..102], &qr[102..]), ParseError::Truncated);
    let trip_text = sms_text(&token(2, &trip));
    c.expect("two valid tokens: the first wins", format!("{text} {trip_text}"), Some(1), "valid", None);
    c.expect("a malformed candidate, then a valid token", format!("IZ1AAAAA {text}"), Some(1), "valid", None);
    let mut bad = sms.clone();
    *bad.last_mut().unwrap() ^= 1;
    c.expect(
        "a well-formed token with a bad signature, then a valid token",
        format!("{} {text}", sms_text(&bad)),
        Some(1),
        "bad_signature",
        Some("bad_signature"),
    );
    c.malformed("IZ1 preceded by a base64url character", format!("x{text}"), ParseError::NotFound);
    c.expect("IZ1 preceded by a non-ASCII letter", format!("icazə{text}"), Some(1), "valid", None);
    cases.list
}

fn sms_token_qr(token: &[u8]) -> String {
    UnverifiedPermit::from_bytes(token).unwrap().token().to_qr_digits()
}

fn bitflips(fx: &Fixture) -> String {
    let about = "# Every single bit of the sms permit token flipped (token_hex of case 'sms permit, SMS form').\n\
         # Checked at 2020-12-15T11:00:00+04:00 in zone 1 against the trust list of permit-v1.json.\n";
    flip_every_bit(fx, &token(1, &SMS), sms_text, about)
}

/// The bit-flip file of `token`: `about`, the columns, then a line for every
/// single bit of it flipped, written as text by `text` and checked at
/// `CHECK_AT` in zone 1.
fn flip_every_bit(fx: &Fixture, token: &[u8], text: fn(&[u8]) -> String, about: &str) -> String {
    let mut flips = format!(
        "{about}# Columns: bit index (0 = most significant bit of byte 0), expected status, expected reason, input.\n"
    );
    for bit in 0..token.len() * 8 {
        let mut b = token.to_vec();
        b[bit / 8] ^= 0x80 >> (bit % 8);
        let input = text(&b);
        let verdict = evaluate(&input, &fx.trust, &Check { at: at(CHECK_AT), zone: ZoneId::new(1) });
        let reason = verdict.reasons.first().map_or("-", |r| r.code);
        flips.push_str(&format!("{bit} {} {reason} {input}\n", verdict.status.code()));
    }
    flips
}

/// One issuer key of a trust list, as bytes (§5), so that a case can carry
/// any value.
#[derive(Clone)]
struct RawKey {
    id: u8,
    public_key: [u8; 32],
    valid_from: u32,
    valid_until: u32,
    purposes: u16,
    flags: u8,
    /// `label_len`; `None` writes the label's length.
    label_len: Option<u8>,
    label: Vec<u8>,
}

#[derive(Clone)]
struct RawList {
    magic: [u8; 4],
    format: u8,
    version: u64,
    issued_at: u32,
    /// `count`; `None` writes the number of keys.
    count: Option<u8>,
    keys: Vec<RawKey>,
}

impl RawList {
    fn of(list: &TrustList) -> Self {
        let keys = list
            .keys()
            .iter()
            .map(|k| RawKey {
                id: k.id.0,
                public_key: k.public_key.to_bytes(),
                valid_from: k.valid_from.unix_minutes(),
                valid_until: k.valid_until.unix_minutes(),
                purposes: k.purposes.mask(),
                flags: u8::from(k.revoked) | u8::from(k.may_sign_bundles) << 1,
                label_len: None,
                label: k.label.as_bytes().to_vec(),
            })
            .collect();
        RawList {
            magic: *b"IZTL",
            format: 1,
            version: list.version(),
            issued_at: list.issued_at().unix_minutes(),
            count: None,
            keys,
        }
    }

    fn body(&self) -> Vec<u8> {
        let mut out = self.magic.to_vec();
        out.push(self.format);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out.push(self.count.unwrap_or(self.keys.len() as u8));
        for k in &self.keys {
            out.push(k.id);
            out.extend_from_slice(&k.public_key);
            out.extend_from_slice(&k.valid_from.to_be_bytes());
            out.extend_from_slice(&k.valid_until.to_be_bytes());
            out.extend_from_slice(&k.purposes.to_be_bytes());
            out.push(k.flags);
            out.push(k.label_len.unwrap_or(k.label.len() as u8));
            out.extend_from_slice(&k.label);
        }
        out
    }

    /// The file: the body and `root`'s signature over it in `domain`.
    fn signed_in(&self, root: &SecretKey, domain: Domain) -> Vec<u8> {
        let mut out = self.body();
        let signature = root.sign(domain, &out);
        out.extend_from_slice(&signature);
        out
    }

    fn signed(&self, root: &SecretKey) -> Vec<u8> {
        self.signed_in(root, Domain::TrustList)
    }

    /// The list with its first key changed by `f`.
    fn first_key(&self, f: impl FnOnce(&mut RawKey)) -> Self {
        let mut list = self.clone();
        f(&mut list.keys[0]);
        list
    }
}

fn trust_list_json(list: &TrustList) -> Value {
    json!({
        "version": list.version(),
        "issued_at": list.issued_at().to_rfc3339_utc(),
        "keys": list.keys().iter().map(|k| json!({
            "key_id": k.id.0,
            "public_key_hex": hex(&k.public_key.to_bytes()),
            "valid_from": k.valid_from.to_rfc3339_utc(),
            "valid_until": k.valid_until.to_rfc3339_utc(),
            "purposes": k.purposes.mask(),
            "revoked": k.revoked,
            "may_sign_bundles": k.may_sign_bundles,
            "label": k.label,
        })).collect::<Vec<_>>(),
    })
}

/// Reads a trust list or a bundle against the pinned root: `ok` or the
/// error's code, and what an accepted file says.
type Read = fn(&[u8], &PublicKey) -> (String, Option<Value>);

fn read_trust_list(bytes: &[u8], root: &PublicKey) -> (String, Option<Value>) {
    shown(TrustList::verify_bytes(bytes, root).map(|list| trust_list_json(&list)).map_err(|e| e.code()))
}

fn read_bundle(bytes: &[u8], root: &PublicKey) -> (String, Option<Value>) {
    shown(VerifiedBundle::verify(bytes, root).map(|bundle| bundle_json(&bundle)).map_err(|e| e.code()))
}

/// `ok` and what was read, or the error's code.
fn shown(result: Result<Value, &str>) -> (String, Option<Value>) {
    match result {
        Ok(v) => ("ok".to_owned(), Some(v)),
        Err(code) => (code.to_owned(), None),
    }
}

/// The cases of `trustlist-v1.json` or `bundle-v1.json`, in order: each input
/// read with `read`, its result checked, and what an accepted one says kept
/// under `shows`.
struct ByteCases {
    read: Read,
    root: PublicKey,
    shows: &'static str,
    list: Vec<Value>,
}

impl ByteCases {
    fn add(&mut self, name: &str, bytes: Vec<u8>, expected: &str) {
        let (result, shown) = (self.read)(&bytes, &self.root);
        assert_eq!(result, expected, "{name}");
        let mut v = json!({ "name": name, "input_hex": hex(&bytes), "result": result });
        if let Some(shown) = shown {
            v[self.shows] = shown;
        }
        self.list.push(v);
    }
}

fn trust_list_cases(fx: &Fixture) -> Vec<Value> {
    let root = &fx.root;
    let mut cases = ByteCases { read: read_trust_list, root: root.public_key(), shows: "list", list: Vec::new() };
    let mut add = |name: &str, bytes: Vec<u8>, expected: &str| cases.add(name, bytes, expected);

    let base = RawList::of(&fx.trust);
    let good = base.signed(root);
    assert_eq!(good, fx.trust.sign(root), "the byte writer writes what TrustList::sign does");
    let sms_key = base.keys[0].clone();

    // Accepted.
    add("the trust list of permit-v1.json", good.clone(), "ok");
    let one = RawList {
        version: u64::MAX,
        issued_at: u32::MAX,
        keys: vec![RawKey { purposes: 0xfffe, label: vec![], ..sms_key.clone() }],
        ..base.clone()
    };
    add("largest version and issued_at, one key, all purposes, empty label", one.signed(root), "ok");
    let long_label = base.first_key(|k| k.label = b"0123456789abcdefghijklmnopqrstu~".to_vec());
    add("label of 32 characters", long_label.signed(root), "ok");
    let portal_key = base.keys[1].clone();
    let ids =
        RawList { keys: vec![RawKey { id: 0, ..sms_key.clone() }, RawKey { id: 255, ..portal_key }], ..base.clone() };
    add("key ids 0 and 255", ids.signed(root), "ok");
    let sync_key = RawKey {
        id: 6,
        public_key: test_key("sync").public_key().to_bytes(),
        purposes: 0,
        flags: 2,
        label: b"test-sync".to_vec(),
        ..sms_key.clone()
    };
    let mut with_sync = base.clone();
    with_sync.keys.push(sync_key.clone());
    add("a bundle key: flag bit 1 (may sign bundles), no purposes", with_sync.signed(root), "ok");
    add(
        "flag bits 0 and 1: a revoked bundle key that may also sign permits",
        base.first_key(|k| k.flags = 3).signed(root),
        "ok",
    );

    // The frame.
    add("bad magic", RawList { magic: *b"IZTM", ..base.clone() }.signed(root), "bad_magic");
    add("format 2", RawList { format: 2, ..base.clone() }.signed(root), "unsupported_format");
    add("empty", vec![], "truncated");
    add("63 bytes", good[..63].to_vec(), "truncated");
    add("66 bytes: the body is shorter than the magic", good[..66].to_vec(), "truncated");
    add("cut inside the first public key", good[..64 + 18 + 1 + 10].to_vec(), "truncated");
    add("signature cut to 10 bytes", good[..good.len() - 54].to_vec(), "truncated");
    add("last byte missing", good[..good.len() - 1].to_vec(), "truncated");
    let mut longer = good.clone();
    longer.push(0);
    add("a byte after the signature", longer, "trailing_bytes");
    let mut declared_fewer = base.body();
    declared_fewer[17] = 4;
    let signature = root.sign(Domain::TrustList, &declared_fewer);
    declared_fewer.extend_from_slice(&signature);
    add("count 4 with 5 keys, signed", declared_fewer, "trailing_bytes");

    // Fields.
    add("zero keys", RawList { keys: vec![], ..base.clone() }.signed(root), "invalid_field");
    let mut swapped = base.clone();
    swapped.keys.swap(0, 1);
    add("key ids not ascending", swapped.signed(root), "invalid_field");
    let mut twice = base.clone();
    twice.keys[1].id = twice.keys[0].id;
    add("a key id twice", twice.signed(root), "invalid_field");
    add(
        "valid_until equal to valid_from",
        base.first_key(|k| k.valid_until = k.valid_from).signed(root),
        "invalid_field",
    );
    add(
        "valid_until before valid_from",
        base.first_key(|k| k.valid_until = k.valid_from - 1).signed(root),
        "invalid_field",
    );
    add("purposes bit 0 set", base.first_key(|k| k.purposes |= 1).signed(root), "invalid_field");
    add("flag bit 2 set", base.first_key(|k| k.flags |= 4).signed(root), "invalid_field");
    add("flag bit 7 set", base.first_key(|k| k.flags |= 0x80).signed(root), "invalid_field");
    add(
        "label of 33 characters",
        base.first_key(|k| k.label = b"0123456789abcdefghijklmnopqrstuvw".to_vec()).signed(root),
        "invalid_field",
    );
    add("label with a space", base.first_key(|k| k.label = b"test sms".to_vec()).signed(root), "invalid_field");
    add(
        "label with a non-ASCII letter (UTF-8)",
        base.first_key(|k| k.label = "test-smə".as_bytes().to_vec()).signed(root),
        "invalid_field",
    );
    add("label with DEL (0x7f)", base.first_key(|k| k.label = b"test-sms\x7f".to_vec()).signed(root), "invalid_field");
    // Public keys by their encoded y: 1 is the identity (small order); y = 3
    // + p is the same point as the canonical y = 3, of large order.
    let y = |low: u8| {
        let mut key = [0u8; 32];
        key[0] = low;
        key
    };
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xf0;
    non_canonical[31] = 0x7f;
    for (name, public_key, expected) in [
        ("public key of small order (the identity)", y(1), "invalid_field"),
        ("public key y = 3 (canonical, large order)", y(3), "ok"),
        ("public key y = 3 + p (non-canonical)", non_canonical, "invalid_field"),
        ("public key y = 2 (not on the curve)", y(2), "invalid_field"),
    ] {
        add(name, base.first_key(|k| k.public_key = public_key).signed(root), expected);
    }

    // The signature.
    add("signed by another root", base.signed(&test_key("other-root")), "bad_signature");
    add("signed under the permit domain", base.signed_in(root, Domain::Permit), "bad_signature");
    let mut changed = good.clone();
    changed[12] ^= 1;
    add("version changed after signing", changed, "bad_signature");

    // Which error wins: each field is refused as soon as it is read, before
    // later fields, trailing bytes and the signature.
    let mut long_label = base.first_key(|k| k.label_len = Some(200)).body();
    long_label.truncate(18 + 1 + 32 + 4 + 4 + 2 + 1 + 1 + 8);
    long_label.extend_from_slice(&[0; 64]);
    add("label_len 200, the file ends inside the label", long_label, "invalid_field");
    let mut zero_then_more = RawList { count: Some(0), ..base.clone() }.signed(root);
    zero_then_more.push(0);
    add("count 0, then keys and a trailing byte", zero_then_more, "invalid_field");
    let mut late = base.first_key(|k| k.flags = 4).signed(&test_key("other-root"));
    late.push(0);
    add("flag bit 2 set, a trailing byte, another root", late, "invalid_field");
    cases.list
}

/// The trust list of `bundle-v1.json`: the SMS issuer (1, no bundle flag),
/// the bundle key (6), a revoked bundle key (7) and one valid only in April 2020 (8).
fn bundle_trust(root: &SecretKey) -> Vec<u8> {
    sample::bundle_trust_list(root, 4, [6, 7, 8])
}

/// What a bundle says; for format 2 also `format` and what its sections say.
fn bundle_json(b: &VerifiedBundle) -> Value {
    let c = b.contents();
    let f = &c.freshness;
    let mut shown = json!({
        "version": c.version,
        "base_version": c.base_version,
        "server_time_unix_seconds": c.server_time_unix_seconds,
        "signer": b.signer().0,
        "trust_list_version": b.trust_list().version(),
        "freshness": [f.warn_after_minutes, f.strong_warn_after_minutes, f.invalid_after_minutes, f.max_clock_drift_minutes],
        "regimes": c.regimes.iter().map(|r| json!({
            "id": r.id,
            "name": r.name,
            "start": r.start.to_rfc3339_utc(),
            "end": r.end.to_rfc3339_utc(),
            "scope": r.scope.to_string(),
            "purposes": r.purposes.mask(),
            "zones": r.zones.iter().map(|z| json!([z.id.get(), z.name_az, z.name_ru, z.name_en])).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "revocations_hex": hex(&c.revocations.encode()),
        "revoked": c.revocations.iter().collect::<Vec<_>>(),
    });
    if b.format() == BundleFormat::V2 {
        shown["format"] = json!(2);
        shown["replaced"] = json!(c.sections.replaced.iter().collect::<Vec<_>>());
        shown["skipped_sections"] = json!(b.skipped_sections());
        shown["organisations"] = json!(c.sections.organisations.as_ref().map(|list| {
            list.as_slice()
                .iter()
                .map(|o| {
                    json!([
                        o.tax_id.to_string(),
                        o.name,
                        o.sector,
                        o.zones.iter().map(|z| z.get()).collect::<Vec<_>>(),
                        o.until.map(|u| u.to_rfc3339_utc()),
                    ])
                })
                .collect::<Vec<_>>()
        }));
    }
    shown
}

fn bundle_cases(root: &SecretKey) -> Vec<Value> {
    let mut cases = ByteCases { read: read_bundle, root: root.public_key(), shows: "bundle", list: Vec::new() };
    let mut add = |name: &str, bytes: Vec<u8>, expected: &str| cases.add(name, bytes, expected);
    let ganja = sample::zone(7, "Gəncə", "Гянджа", "Ganja");
    let full = sample::sample_contents(12, 1_608_012_345, bundle_trust(root), "Tightened regime, 14.12.2020", ganja);
    let sync = test_key("sync");
    let signed = |c: &BundleContents| c.sign_format1(&sync, KeyId(6));
    let good = signed(&full);
    // The body of `good` changed by `f`, signed again by the bundle key.
    let resigned = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut body = good[..good.len() - 64].to_vec();
        f(&mut body);
        let signature = sync.sign(Domain::Bundle, &body);
        body.extend_from_slice(&signature);
        body
    };
    let with = |f: &dyn Fn(&mut BundleContents)| {
        let mut c = full.clone();
        f(&mut c);
        signed(&c)
    };

    // Accepted.
    add("full bundle, two regimes, three revoked serials", good.clone(), "ok");
    add(
        "delta on top of version 11, no revocations, no regimes",
        with(&|c| {
            c.base_version = Some(11);
            c.regimes.clear();
            c.revocations = RevocationSet::empty();
        }),
        "ok",
    );
    add("signer valid at the last minute of its period", with(&|c| c.server_time_unix_seconds = 1_612_123_199), "ok");

    // The frame.
    add("empty", vec![], "truncated");
    add("63 bytes", good[..63].to_vec(), "truncated");
    add("last byte missing", good[..good.len() - 1].to_vec(), "truncated");
    add("cut inside the trust list", good[..27 + 64 + 40].to_vec(), "truncated");
    let mut longer = good.clone();
    longer.push(0);
    add("a byte after the signature", longer, "trailing_bytes");
    add("a byte after the revocation set, signed", resigned(&|b| b.push(0)), "trailing_bytes");
    add("bad magic", resigned(&|b| b[3] = b'C'), "bad_magic");
    add("format 3", resigned(&|b| b[4] = 3), "unsupported_format");

    // Fields.
    add("version 0", with(&|c| c.version = 0), "invalid_field");
    add("kind 2", resigned(&|b| b[14] = 2), "invalid_field");
    add("base version equal to the version", with(&|c| c.base_version = Some(12)), "invalid_field");
    add("server time past 2^32 minutes", with(&|c| c.server_time_unix_seconds = (1 << 32) * 60), "invalid_field");
    add("trust list length 32769", resigned(&|b| b[23..27].copy_from_slice(&32_769u32.to_be_bytes())), "too_large");
    add("freshness: warn after 0 minutes", with(&|c| c.freshness.warn_after_minutes = 0), "invalid_field");
    add("freshness: invalid before strong warning", with(&|c| c.freshness.invalid_after_minutes = 60), "invalid_field");
    add("empty regime id", with(&|c| c.regimes[0].id = String::new()), "invalid_field");
    add("regime id with a space", with(&|c| c.regimes[0].id = "2020 12".into()), "invalid_field");
    add("regime id twice", with(&|c| c.regimes[1].id = c.regimes[0].id.clone()), "invalid_field");
    add("regime name with a control character", with(&|c| c.regimes[0].name = "Dec\u{85}".into()), "invalid_field");
    add("regime end equal to its start", with(&|c| c.regimes[0].end = c.regimes[0].start), "invalid_field");
    add(
        "regime scope 2",
        resigned(&|b| {
            // After the id (length byte and 10 bytes), the name (1 + 28 bytes), start and end.
            let id = b.windows(11).position(|w| w == b"\x0a2020-12-14").unwrap();
            b[id + 11 + 1 + 28 + 8] = 2;
        }),
        "invalid_field",
    );
    add("listed regime without zones", with(&|c| c.regimes[0].zones.clear()), "invalid_field");
    add("zones not ascending", with(&|c| c.regimes[0].zones.reverse()), "invalid_field");
    add(
        "zone name of 101 bytes",
        resigned(&|b| {
            // The Azerbaijani name of zone 1: its length byte becomes 101 (over the cap).
            let at = b.windows(4).position(|w| w == b"\x05Bak").unwrap();
            b[at] = 101;
        }),
        "too_large",
    );
    add(
        "revocation set of wire version 2",
        resigned(&|b| {
            let at = b.len() - full.revocations.encode().len();
            b[at] = 2;
        }),
        "revocations",
    );

    // The signer and the trust list.
    add(
        "signed by the SMS key, which may not sign bundles",
        full.sign_format1(&test_key("sms"), KeyId(1)),
        "signer_not_allowed",
    );
    add("signed by a revoked bundle key", full.sign_format1(&test_key("sync-stolen"), KeyId(7)), "signer_revoked");
    add(
        "signed by a bundle key valid only in April 2020",
        full.sign_format1(&test_key("sync-april"), KeyId(8)),
        "signer_not_valid",
    );
    add(
        "server time after the bundle key's period",
        with(&|c| c.server_time_unix_seconds = 1_612_123_200),
        "signer_not_valid",
    );
    add("signer id 9, not in the list", full.sign_format1(&test_key("not-in-the-list"), KeyId(9)), "unknown_signer");
    add("signed by the root, naming the bundle key", full.sign_format1(root, KeyId(6)), "bad_signature");
    add(
        "signed under the trust list domain",
        {
            let mut b = good[..good.len() - 64].to_vec();
            let signature = sync.sign(Domain::TrustList, &b);
            b.extend_from_slice(&signature);
            b
        },
        "bad_signature",
    );
    let mut changed = good.clone();
    changed[13] ^= 1;
    add("version changed after signing", changed, "bad_signature");
    add(
        "trust list signed by another root",
        signed(&BundleContents { trust_list: bundle_trust(&test_key("other-root")), ..full.clone() }),
        "trust_list",
    );
    cases.list
}

struct Generated {
    permit_v1: String,
    bitflips_v1: String,
    permit_v2: String,
    bitflips_v2: String,
    trust_list: String,
    bundles: String,
    bundles_v2: String,
}

fn generate() -> Generated {
    let fx = fixture();
    let doc2 = json!({
        "about": "Known-answer vectors for Icaze permit token v2 (docs/token-format.md section 10; the file's format is that of permit-v1.json, section 9.1). Keys, trust list and root are those of permit-v1.json. Check every case against trust_list_hex, verified with root_public_key_hex; 'at' is the time of the check, 'zone' the officer's zone (null: no zone test); 'status' and 'reason' are the expected verdict. Generated by crates/icaze-core/tests/vectors.rs.",
        "root_public_key_hex": hex(&fx.root.public_key().to_bytes()),
        "trust_list_hex": hex(&fx.trust.sign(&fx.root)),
        "cases": v2::permit_cases(&fx),
    });
    let permit_v2 = serde_json::to_string_pretty(&doc2).unwrap() + "\n";
    let doc = json!({
        "about": "Known-answer vectors for Icaze permit token v1 (docs/token-format.md, format of this file in section 9). Keys are TEST keys: the seed of each is 'icaze TEST ' followed by its role (root, sms, portal, callcentre, sms-april, sms-stolen; not-in-the-list for the key of case 'key not in the trust list'), padded with '.' to 32 bytes, e.g. 'icaze TEST sms..................' for key 1. Check every case against trust_list_hex, verified with root_public_key_hex; 'at' is the time of the check, 'zone' the officer's zone (null: no zone test); 'status' and 'reason' are the expected verdict. Generated by crates/icaze-core/tests/vectors.rs.",
        "root_public_key_hex": hex(&fx.root.public_key().to_bytes()),
        "trust_list_hex": hex(&fx.trust.sign(&fx.root)),
        "cases": permit_cases(&fx),
    });
    let json = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let trust = json!({
        "about": "Known-answer vectors for the Icaze trust list, format 1 (docs/token-format.md section 5, format of this file in section 9). Read each input_hex as a trust list file and check it against root_public_key_hex (the TEST root of permit-v1.json); 'result' is 'ok' or the error code (bad_magic, unsupported_format, truncated, trailing_bytes, invalid_field, bad_signature); 'list' shows what an accepted list says. Other-root cases are signed by the TEST key 'icaze TEST other-root' padded with '.' to 32 bytes; the bundle key of key id 6 is the TEST key 'icaze TEST sync'. Generated by crates/icaze-core/tests/vectors.rs.",
        "root_public_key_hex": hex(&fx.root.public_key().to_bytes()),
        "cases": trust_list_cases(&fx),
    });
    let trust = serde_json::to_string_pretty(&trust).unwrap() + "\n";
    let bundles = json!({
        "about": "Known-answer vectors for the Icaze sync bundle, format 1 (docs/bundle-format.md, format of this file in its section 8). Read each input_hex as a bundle and check it against root_public_key_hex (the TEST root of permit-v1.json); 'result' is 'ok' or the error code of section 5; 'bundle' shows what an accepted bundle says. Keys are TEST keys: 'icaze TEST ' followed by the role (root, sms, sync, sync-stolen, sync-april, not-in-the-list, other-root), padded with '.' to 32 bytes. Generated by crates/icaze-core/tests/vectors.rs.",
        "root_public_key_hex": hex(&fx.root.public_key().to_bytes()),
        "cases": bundle_cases(&fx.root),
    });
    let bundles = serde_json::to_string_pretty(&bundles).unwrap() + "\n";
    let bundles_v2 = json!({
        "about": "Known-answer vectors for the Icaze sync bundle, format 2: format 1 with sections after the revocation set (docs/bundle-format.md section 2.1; format of this file in its section 8, with 'format', 'replaced' and 'skipped_sections' in what an accepted bundle says). Keys and trust list are those of bundle-v1.json. Generated by crates/icaze-core/tests/vectors.rs.",
        "root_public_key_hex": hex(&fx.root.public_key().to_bytes()),
        "cases": bundle2::bundle_v2_cases(&fx.root),
    });
    let bundles_v2 = serde_json::to_string_pretty(&bundles_v2).unwrap() + "\n";
    Generated {
        permit_v1: json,
        bitflips_v1: bitflips(&fx),
        permit_v2,
        bitflips_v2: v2::bitflips(&fx),
        trust_list: trust,
        bundles,
        bundles_v2,
    }
}

#[test]
fn vector_files_are_current() {
    let g = generate();
    let dir = vectors_dir();
    let files = [
        ("permit-v1.json", g.permit_v1),
        ("permit-v1-bitflips.txt", g.bitflips_v1),
        ("permit-v2.json", g.permit_v2),
        ("permit-v2-bitflips.txt", g.bitflips_v2),
        ("trustlist-v1.json", g.trust_list),
        ("bundle-v1.json", g.bundles),
        ("bundle-v2.json", g.bundles_v2),
    ];
    if std::env::var_os("ICAZE_BLESS_VECTORS").is_some() {
        for (name, content) in &files {
            std::fs::write(dir.join(name), content).unwrap();
        }
    }
    for (name, content) in &files {
        let on_disk = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        assert!(
            on_disk == *content,
            "tests/vectors/{name} differs from what the code generates; if the change is intended, rerun with ICAZE_BLESS_VECTORS=1 and review the diff"
        );
    }
}

fn read_json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(vectors_dir().join(name)).unwrap()).unwrap()
}

fn root_of(doc: &Value) -> PublicKey {
    PublicKey::from_bytes(&unhex(doc["root_public_key_hex"].as_str().unwrap()).try_into().unwrap()).unwrap()
}

/// Reads the files as an outside verifier would and checks every case, so the
/// files stay meaningful even if the generator above were wrong.
#[test]
fn every_vector_gives_its_verdict() {
    check_permit_vectors("permit-v1.json", "permit-v1-bitflips.txt");
}

#[test]
fn every_v2_vector_gives_its_verdict() {
    check_permit_vectors("permit-v2.json", "permit-v2-bitflips.txt");
}

fn check_permit_vectors(file: &str, bitflips: &str) {
    let doc = read_json(file);
    let root = root_of(&doc);
    let trust = TrustList::verify_bytes(&unhex(doc["trust_list_hex"].as_str().unwrap()), &root).unwrap();
    let published = std::fs::read_to_string(vectors_dir().join("../../keys/test-root.public")).unwrap();
    let published = published.lines().find(|l| !l.starts_with('#')).unwrap().split(' ').next_back().unwrap();
    use base64::Engine as _;
    let published = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(published).unwrap();
    assert_eq!(published, root.to_bytes(), "keys/test-root.public is the vectors' root");
    let cases = doc["cases"].as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        assert!(names.insert(name), "two cases named {name}");
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

    let flips = std::fs::read_to_string(vectors_dir().join(bitflips)).unwrap();
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

#[test]
fn every_trust_list_vector_gives_its_result() {
    let results =
        ["ok", "bad_magic", "unsupported_format", "truncated", "trailing_bytes", "invalid_field", "bad_signature"];
    check_byte_vectors("trustlist-v1.json", read_trust_list, "list", "trust list", &results);
}

#[test]
fn every_bundle_vector_gives_its_result() {
    let results = [
        "ok",
        "truncated",
        "trailing_bytes",
        "bad_magic",
        "unsupported_format",
        "invalid_field",
        "too_large",
        "trust_list",
        "unknown_signer",
        "signer_not_allowed",
        "signer_revoked",
        "signer_not_valid",
        "bad_signature",
        "revocations",
    ];
    check_byte_vectors("bundle-v1.json", read_bundle, "bundle", "bundle", &results);
}

#[test]
fn every_bundle_v2_vector_gives_its_result() {
    let results = ["ok", "truncated", "trailing_bytes", "invalid_field", "replaced", "bad_signature"];
    check_byte_vectors("bundle-v2.json", read_bundle, "bundle", "bundle v2", &results);
}

/// Reads `file` as an outside verifier would: every case's input gives its
/// result and shows what it says under `shows`, and `results` are all covered.
fn check_byte_vectors(file: &str, read: Read, shows: &str, what: &str, results: &[&str]) {
    let doc = read_json(file);
    let root = root_of(&doc);
    assert_eq!(root, root_of(&read_json("permit-v1.json")), "both files pin the same TEST root");
    let mut seen = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    for case in doc["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        assert!(names.insert(name), "two cases named {name}");
        let (result, shown) = read(&unhex(case["input_hex"].as_str().unwrap()), &root);
        assert_eq!(result, case["result"].as_str().unwrap(), "{name}");
        assert_eq!(shown, case.get(shows).cloned(), "{name}");
        seen.insert(result);
    }
    for result in results {
        assert!(seen.contains(*result), "no {what} vector for {result}");
    }
}
