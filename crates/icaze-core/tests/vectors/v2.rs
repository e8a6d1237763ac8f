//! The cases of `permit-v2.json` and `permit-v2-bitflips.txt` (format v2,
//! `docs/token-format.md` §10), with the same fixture, keys and case writer as
//! the v1 files.

use super::*;

/// A v2 payload (§10): `from` and `duration` are each the form, its field's
/// value and width.
type Raw2 = RawPayload<(u64, u64, u32), (u64, u64, u32)>;

impl Raw2 {
    /// The fields of the v2 SMS permit (`SMS2`): 15 minutes' activation delay, 3 hours.
    fn sms() -> Self {
        Raw2::sms_with(2, (1, 14, 6), (1, 2, 10))
    }

    fn payload(&self) -> Vec<u8> {
        let mut b = Bits::default();
        b.head(self.version, self.purpose, self.key_id, self.serial, self.issued);
        for (form, value, width) in [self.from, self.duration] {
            b.put(form, 2);
            b.put(value, width);
        }
        b.put(u64::from(self.zone_wide), 1);
        b.zones(&self.zones, if self.zone_wide { 12 } else { 5 });
        b.vehicle_and_document_type(self.plate.as_deref(), self.doc_type, &self.series);
        if matches!(self.doc_type, 1 | 7 | 8 | 9) {
            b.put(self.digit_count, 4);
        }
        b.digits_and_finish(self.digit_count, self.digits, self.cut, self.padding)
    }

    /// The SMS form of the payload signed with key 1 in the v2 domain.
    fn text(&self) -> String {
        sms2_text(&signed(1, &self.payload(), Domain::PermitV2))
    }
}

/// The SMS permit of `permit-v2.json`: code 2, issued 10:00, valid from 10:15
/// (the regime's activation delay) for three hours.
pub(crate) const SMS2: Spec = Spec {
    issued: "2020-12-15T10:00:00+04:00",
    from: "2020-12-15T10:15:00+04:00",
    until: "2020-12-15T13:15:00+04:00",
    ..SMS
};

pub(crate) fn permit_cases(fx: &Fixture) -> Vec<Value> {
    let sms = token2(1, &SMS2);
    let sms_payload = &sms[..sms.len() - 64];
    let text = sms2_text(&sms);
    let mut cases = Cases { fx, list: Vec::new() };
    let c = &mut cases;
    assert_eq!(Raw2::sms().payload(), sms_payload, "the bit writer writes what the encoder does");

    // Accepted, one of each form.
    c.expect("sms permit, SMS form", text.clone(), Some(1), "valid", None);
    c.expect("sms permit, QR digits form", qr_digits(&sms), Some(1), "valid", None);
    c.expect(
        "sms permit inside the whole SMS reply",
        format!("AZE11111111 15.12 10:15-13:15 {text}"),
        Some(1),
        "valid",
        None,
    );
    c.add("sms permit, no zone given", text.clone(), CHECK_AT, None);
    c.add("first minute of validity, after the activation delay", text.clone(), "2020-12-15T10:15:00+04:00", Some(1));
    c.add("last minute of validity", text.clone(), "2020-12-15T13:14:00+04:00", Some(1));
    c.add("within the activation delay", text.clone(), "2020-12-15T10:14:00+04:00", Some(1));
    c.add("at the end of validity", text.clone(), "2020-12-15T13:15:00+04:00", Some(1));
    c.add("wrong zone", text.clone(), CHECK_AT, Some(2));
    let medical =
        Spec { serial: 7, doc: "MYİ1234567", purpose: Purpose::Medical, zones: &[3], from: SMS2.issued, ..SMS2 };
    c.expect(
        "medical permit of a temporary resident, no delay",
        sms2_text(&token2(1, &medical)),
        Some(3),
        "valid",
        None,
    );
    let work = Spec { issued: "2020-12-14T13:07:00+04:00", from: "2020-12-14T00:00:00+04:00", ..WORK };
    c.expect("work permit from the start of its day, 35 days", sms2_text(&token2(2, &work)), Some(2), "valid", None);
    let reissued = Spec { from: "2020-12-01T00:00:00+04:00", ..work };
    c.expect("work permit re-issued after its start", sms2_text(&token2(2, &reissued)), Some(2), "valid", None);
    let trip = Spec { issued: "2020-12-14T09:03:00+04:00", vehicle: None, ..TRIP };
    c.expect("business trip to three zones", sms2_text(&token2(2, &trip)), Some(17), "valid", None);
    let driven = Spec { vehicle: Some("10-AB-123"), ..trip };
    c.expect("business trip with a vehicle", sms2_text(&token2(2, &driven)), Some(4), "valid", None);
    let funeral = Spec {
        serial: 55,
        doc: "MOM0000042",
        purpose: Purpose::Funeral,
        zones: &[6, 17],
        issued: "2020-12-15T08:41:00+04:00",
        from: "2020-12-15T09:30:00+04:00",
        until: "2020-12-15T14:00:00+04:00",
        vehicle: None,
    };
    c.expect("funeral permit for two zones, 4 hours 30", sms2_text(&token2(3, &funeral)), Some(6), "valid", None);
    let any_minute = Spec { serial: 60, from: "2020-12-15T09:53:00+04:00", until: "2020-12-15T12:53:00+04:00", ..SMS2 };
    c.expect(
        "valid_from 7 minutes before issue (the general form)",
        sms2_text(&token2(1, &any_minute)),
        Some(1),
        "valid",
        None,
    );
    let long = Spec { serial: 61, until: "2020-12-16T20:24:00+04:00", ..SMS2 };
    c.expect("2049 minutes (the long duration form)", sms2_text(&token2(1, &long)), Some(1), "valid", None);
    // The edges of the forms: just beyond what the quarter form, the days form
    // and the hours form hold, so the general forms must carry them. I is on a
    // quarter hour (10:00 Baku), so q = ±4096 quarters lands 42 days 16 hours away.
    let edges = [
        (
            "a quarter hour 4096 quarters after issue (the general form)",
            "2021-01-27T02:00:00+04:00",
            "2021-01-27T05:00:00+04:00",
        ),
        (
            "a quarter hour 4097 quarters before issue (the general form)",
            "2020-11-02T17:45:00+04:00",
            "2020-12-15T13:15:00+04:00",
        ),
        ("257 whole days (the long duration form)", "2020-12-15T10:15:00+04:00", "2021-08-29T10:15:00+04:00"),
        ("1025 whole hours (the long duration form)", "2020-12-15T10:15:00+04:00", "2021-01-27T03:15:00+04:00"),
    ];
    for (serial, (name, from, until)) in (64..).zip(edges) {
        let edge = sms2_text(&token2(1, &Spec { serial, from, until, ..SMS2 }));
        let status = if name.starts_with("a quarter hour 4096") { "not_yet_valid" } else { "valid" };
        let reason = (status != "valid").then_some(status);
        c.expect(name, edge, Some(1), status, reason);
    }
    let wide = Spec { serial: 62, zones: &[1, 32], ..SMS2 };
    c.expect("zone 32 (12-bit zones)", sms2_text(&token2(1, &wide)), Some(32), "valid", None);
    let sixteen = Raw2 { zones: (1..=16).collect(), ..Raw2::sms() };
    c.expect("16 zones, the most a permit names", sixteen.text(), Some(16), "valid", None);
    for (name, doc) in [
        ("ID card AZE with 9 digits (type 8)", "AZE123456789"),
        ("ID card AA with 6 digits (type 9)", "AA123456"),
        ("ID card of another series, RN (type 1)", "RN000123456"),
        ("registration notification, digits only (type 7)", "123456789012"),
    ] {
        c.expect(name, sms2_text(&token2(1, &Spec { serial: 63, doc, ..SMS2 })), Some(1), "valid", None);
    }
    let notice = DocumentNumber::new(DocumentKind::RegistrationNotice, "RN", "000123456").unwrap();
    let notice_text = sms2_text(&token_with_document(Format::V2, 1, &Spec { serial: 57, ..SMS2 }, notice));
    c.expect("registration notification with letters (type 7)", notice_text, Some(1), "valid", None);
    let v1 = token(1, &SMS);
    c.expect(
        "a v1 permit before a v2 one: the first well-formed token wins",
        format!("{} {text}", sms_text(&v1)),
        Some(1),
        "valid",
        None,
    );

    // Rejected by the trust list and the signature's domain.
    let mut bad = sms.clone();
    *bad.last_mut().unwrap() ^= 1;
    c.add("signature byte changed", sms2_text(&bad), CHECK_AT, Some(1));
    c.expect(
        "signed under the v1 permit domain",
        sms2_text(&signed(1, sms_payload, Domain::Permit)),
        Some(1),
        "bad_signature",
        Some("bad_signature"),
    );
    c.refused_keys(&SMS2, |id, s| sms2_text(&token2(id, s)));

    // Malformed: the text forms.
    let version = ParseError::InvalidField("version");
    c.malformed("IZ1 prefix on a v2 token", sms_text(&sms), version.clone());
    c.malformed("IZ2 prefix on a v1 token", sms2_text(&v1), version);
    c.malformed("IZ3 prefix", format!("IZ3{}", &text[3..]), ParseError::UnsupportedVersion(3));
    let mut v3 = sms.clone();
    v3[0] = (v3[0] & 0x0f) | 0x30;
    c.malformed("QR form of a payload whose version is 3", qr_digits(&v3), ParseError::UnsupportedVersion(3));
    c.malformed("last byte missing", sms2_text(&sms[..sms.len() - 1]), ParseError::Truncated);
    c.malformed("base64 of impossible length", "IZ2AAAAA".to_owned(), ParseError::BadEncoding("base64url"));
    c.malformed("far too long", format!("IZ2{}", "A".repeat(400)), ParseError::TooLong);
    c.malformed("no token at all", "2 AZE11111111".to_owned(), ParseError::NotFound);
    let mut longer = sms.clone();
    longer.push(0);
    c.malformed("one byte appended", sms2_text(&longer), ParseError::TrailingBytes);

    // Malformed: one rule of §10 broken, signed with key 1 in the v2 domain.
    let field = ParseError::InvalidField;
    let raw = Raw2::sms;
    c.malformed("purpose 0", Raw2 { purpose: 0, ..raw() }.text(), field("purpose"));
    c.malformed("general form with delta 0", Raw2 { from: (3, 0, 21), ..raw() }.text(), field("valid_from"));
    c.malformed("general form for 15 minutes later", Raw2 { from: (3, 15, 21), ..raw() }.text(), field("valid_from"));
    c.malformed(
        "general form for a quarter hour the quarter form holds",
        Raw2 { from: (3, (1 << 20) | 60, 21), ..raw() }.text(),
        field("valid_from"),
    );
    c.malformed("quarter form landing on issued_at", Raw2 { from: (2, 0, 13), ..raw() }.text(), field("valid_from"));
    c.malformed(
        "quarter form landing 60 minutes later",
        Raw2 { from: (2, 4, 13), ..raw() }.text(),
        field("valid_from"),
    );
    c.malformed(
        "valid_from one minute before 2020-01-01",
        Raw2 { from: (3, (1 << 20) | 502_921, 21), ..raw() }.text(),
        field("valid_from"),
    );
    c.malformed("180 minutes in the minutes form", Raw2 { duration: (2, 179, 11), ..raw() }.text(), field("duration"));
    c.malformed("one day in the hours form", Raw2 { duration: (1, 23, 10), ..raw() }.text(), field("duration"));
    c.malformed("long form of 2048 minutes", Raw2 { duration: (3, 2048, 20), ..raw() }.text(), field("duration"));
    c.malformed("long form of 0 minutes", Raw2 { duration: (3, 0, 20), ..raw() }.text(), field("duration"));
    c.malformed("zone 0", Raw2 { zones: vec![0], ..raw() }.text(), field("zone"));
    c.malformed("zones not ascending", Raw2 { zones: vec![4, 2], ..raw() }.text(), field("zone"));
    c.malformed("17 zones", Raw2 { zones: (1..=17).collect(), ..raw() }.text(), field("zone"));
    c.malformed(
        "12-bit zones with every zone below 32",
        Raw2 { zone_wide: true, zones: vec![1, 31], ..raw() }.text(),
        field("zone"),
    );
    c.malformed("vehicle with plate_len 0", Raw2 { plate: Some(vec![]), ..raw() }.text(), field("vehicle"));
    c.malformed("plate character 36", Raw2 { plate: Some(vec![1, 0, 36]), ..raw() }.text(), field("vehicle"));
    for doc_type in [0, 10, 15] {
        c.malformed(&format!("document type {doc_type}"), Raw2 { doc_type, ..raw() }.text(), field("document_type"));
    }
    c.malformed("type 8 with 8 digits (type 2 holds it)", Raw2 { doc_type: 8, ..raw() }.text(), field("document"));
    c.malformed(
        "type 9 with 7 digits (type 3 holds it)",
        Raw2 { doc_type: 9, digit_count: 7, digits: 1_234_567, ..raw() }.text(),
        field("document"),
    );
    c.malformed(
        "type 8 with digit_count 0",
        Raw2 { doc_type: 8, digit_count: 0, digits: 0, ..raw() }.text(),
        field("document"),
    );
    let type1 = |series: Vec<u64>| Raw2 { doc_type: 1, series, digit_count: 7, digits: 1_234_567, ..raw() };
    c.malformed("type 1 with series_len 0", type1(vec![]).text(), field("document"));
    c.malformed("type 1 with series AZE (it has type 2)", type1(letters("AZE")).text(), field("document"));
    c.malformed("series character 27", type1(vec![1, 27]).text(), field("document"));
    c.malformed("8 digits of value 10^8", Raw2 { digits: 100_000_000, ..raw() }.text(), field("document"));
    c.malformed("non-zero padding bit", Raw2 { padding: 1, ..raw() }.text(), field("padding"));
    c.malformed(
        "payload ends inside the first zone",
        Raw2 { cut: Some(("zone 1", 1)), ..raw() }.text(),
        ParseError::Truncated,
    );
    c.malformed(
        "type 1 with series AZE, payload ends inside the digits",
        Raw2 { cut: Some(("digits", 10)), ..type1(letters("AZE")) }.text(),
        field("document"),
    );
    cases.list
}

/// The QR form of any token bytes, even ones no parser accepts (§2.2).
fn qr_digits(token: &[u8]) -> String {
    const GROUP_DIGITS: [usize; 8] = [0, 3, 5, 8, 10, 13, 15, 17];
    token
        .chunks(7)
        .map(|g| {
            let value = g.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            format!("{value:0width$}", width = GROUP_DIGITS[g.len()])
        })
        .collect()
}

pub(crate) fn bitflips(fx: &Fixture) -> String {
    let about = "# Every single bit of the v2 sms permit token flipped (token_hex of case 'sms permit, SMS form' of permit-v2.json).\n\
         # Checked at 2020-12-15T11:00:00+04:00 in zone 1 against the trust list of permit-v2.json.\n";
    flip_every_bit(fx, &token2(1, &SMS2), sms2_text, about)
}
