//! The size report: the same permit in every format, as text, SMS and QR.
//!
//! Run with `cargo bench -p icaze-bench --bench sizes`; it prints a markdown
//! table and measures no time.

use icaze_bench::sms::{self, Encoding};
use icaze_bench::{hc1, jwt, paseto, qr, Fixture};
use icaze_core::{
    issue_as, ClaimsSpec, DocumentNumber, Format, KeyId, PermitClaims, PermitSerial, Purpose, SecretKey, UtcMinute,
    VehiclePlate, ZoneId,
};
use qrcode::EcLevel;

/// A kind of permit a channel issues under the shipped regimes, or a document
/// the registries accept; times UTC.
struct Kind {
    name: &'static str,
    document: &'static str,
    purpose: Purpose,
    zones: &'static [u16],
    issued: &'static str,
    from: &'static str,
    until: &'static str,
    plate: Option<&'static str>,
}

/// The SMS code-2 permit of December 2020: 15 minutes' delay, 3 hours.
const SMS_DEC: Kind = Kind {
    name: "SMS code 2, 15 min delay, 3 h (Dec 2020)",
    document: "AZE11111111",
    purpose: Purpose::Necessities,
    zones: &[1],
    issued: "2020-12-15T06:07:00Z",
    from: "2020-12-15T06:22:00Z",
    until: "2020-12-15T09:22:00Z",
    plate: None,
};

/// A work permit from today's start to the regime's end.
const WORK: Kind = Kind {
    name: "work permit, from today's start to the regime's end",
    purpose: Purpose::Work,
    from: "2020-12-14T20:00:00Z",
    until: "2021-01-17T20:00:00Z",
    ..SMS_DEC
};

/// A business trip of three days.
const TRIP: Kind = Kind {
    name: "business trip, 1 zone, 3 days",
    purpose: Purpose::BusinessTrip,
    zones: &[3],
    from: "2020-12-16T20:00:00Z",
    until: "2020-12-19T20:00:00Z",
    ..SMS_DEC
};

/// A funeral permit for two zones.
const FUNERAL: Kind = Kind {
    name: "funeral, 2 zones, from a quarter hour, 4 h 30",
    purpose: Purpose::Funeral,
    zones: &[3, 17],
    from: "2020-12-16T05:30:00Z",
    until: "2020-12-16T10:00:00Z",
    ..SMS_DEC
};

/// Every kind of permit the channels issue under the shipped regimes, and the
/// documents the registries accept.
const KINDS: &[Kind] = &[
    SMS_DEC,
    Kind {
        name: "SMS code 1, no delay, 2 h (April 2020)",
        purpose: Purpose::Medical,
        issued: "2020-04-15T06:07:00Z",
        from: "2020-04-15T06:07:00Z",
        until: "2020-04-15T08:07:00Z",
        ..SMS_DEC
    },
    Kind { name: "SMS code 2, MYİ residence permit", document: "MYI1234567", zones: &[17], ..SMS_DEC },
    Kind { name: "SMS code 2, ID card AZE of 9 digits", document: "AZE123456789", ..SMS_DEC },
    Kind { name: "SMS code 2, registration notification of 12 digits", document: "123456789012", ..SMS_DEC },
    Kind { name: "SMS code 2, AB + 15 digits", document: "AB123456789012345", ..SMS_DEC },
    Kind { name: "SMS code 2, 7 letters + 15 digits", document: "ABCDEFG123456789012345", ..SMS_DEC },
    WORK,
    Kind { name: "work permit with a vehicle plate", plate: Some("10-AB-123"), ..WORK },
    TRIP,
    Kind { name: "business trip, 2 zones, 3 days", zones: &[1, 3], ..TRIP },
    Kind { name: "business trip, 3 zones, 3 days", zones: &[1, 3, 17], ..TRIP },
    Kind { name: "business trip, 3 zones, with a vehicle", zones: &[1, 3, 17], plate: Some("10-AB-123"), ..TRIP },
    FUNERAL,
    Kind {
        name: "funeral, 2 zones, from any minute, 24 h",
        from: "2020-12-16T05:07:00Z",
        until: "2020-12-17T05:07:00Z",
        ..FUNERAL
    },
];

/// The most token bytes a version-5 QR code holds at ECC M in the digits form.
const V5_M_BYTES: usize = 83;

/// The size table of every permit kind in both formats.
fn kinds_table() {
    let key = SecretKey::from_seed(&[7; 32]);
    let minute = |s: &str| UtcMinute::parse_rfc3339(s).expect("a time of the table");
    println!("| permit | v1 payload | v1 QR (M) | v2 payload | v2 token | v2 SMS form | v2 QR (M) | v2 QR (L) | bytes left at 5-M |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for Kind { name, document, purpose, zones, issued, from, until, plate } in KINDS {
        let claims = PermitClaims::new(ClaimsSpec {
            serial: PermitSerial(u32::MAX),
            document: DocumentNumber::parse(document).expect("a document of the table"),
            purpose: *purpose,
            zones: zones.iter().map(|&z| ZoneId::new(z).expect("a zone of the table")).collect(),
            issued_at: minute(issued),
            valid_from: minute(from),
            valid_until: minute(until),
            vehicle: plate.and_then(VehiclePlate::parse),
        })
        .expect("claims of the table");
        let v1 = issue_as(Format::V1, &key, KeyId(255), &claims);
        let v2 = issue_as(Format::V2, &key, KeyId(255), &claims);
        let shown = |v: Option<i16>| v.map_or_else(|| "too large".to_owned(), |v| v.to_string());
        let left = V5_M_BYTES as i64 - v2.as_bytes().len() as i64;
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {left} |",
            v1.as_bytes().len() - 64,
            shown(qr::version(&v1.to_qr_digits(), EcLevel::M)),
            v2.as_bytes().len() - 64,
            v2.as_bytes().len(),
            v2.to_text().len(),
            shown(qr::version(&v2.to_qr_digits(), EcLevel::M)),
            shown(qr::version(&v2.to_qr_digits(), EcLevel::L)),
        );
    }
    println!();
}

fn main() {
    kinds_table();
    let fx = Fixture::new();
    let sms_form = fx.token.to_text();
    let digits = fx.token.to_qr_digits();
    let rows: Vec<(&str, String)> = vec![
        ("icaze SMS form (`IZ2` + base64url)", sms_form),
        ("icaze QR form (digits)", digits),
        ("PASETO v4.public (JSON, kid footer)", paseto::sign(&fx.paseto_signer(), &fx.plain).expect("PASETO signs")),
        ("JWT EdDSA (JSON, kid header)", jwt::sign(&fx.jwt_signer(), &fx.plain).expect("JWT signs")),
        (
            "COSE_Sign1 CWT + zlib + base45 (`HC1:`)",
            hc1::sign(&fx.signing_key(), &fx.plain, hc1::Compression::Zlib).expect("COSE signs"),
        ),
        (
            "COSE_Sign1 CWT + base45, no zlib",
            hc1::sign(&fx.signing_key(), &fx.plain, hc1::Compression::None).expect("COSE signs"),
        ),
    ];

    println!("Icaze token: {} bytes (17 payload + 64 signature)\n", fx.token.as_bytes().len());
    println!("| format | characters | SMS encoding | SMS segments | QR version (ECC M) | GSM basic set only |");
    println!("| --- | ---: | --- | ---: | ---: | --- |");
    for (name, text) in &rows {
        let length = sms::measure(text);
        let encoding = match length.encoding {
            Encoding::Gsm7 => format!("GSM-7, {} septets", length.units),
            Encoding::Ucs2 => format!("UCS-2, {} units", length.units),
        };
        let version = qr::version_m(text).map_or_else(|| "too large".to_owned(), |v| v.to_string());
        let basic = if sms::is_gsm_basic(text) { "yes" } else { "no" };
        println!("| {name} | {} | {encoding} | {} | {version} | {basic} |", text.chars().count(), length.segments);
    }
    println!();
    for (name, text) in &rows {
        println!("{name}:\n{text}\n");
    }
}
