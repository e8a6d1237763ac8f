//! The size report: the same permit in every format, as text, SMS and QR.
//!
//! Run with `cargo bench -p icaze-bench --bench sizes`; it prints a markdown
//! table and measures no time.

use icaze_bench::sms::{self, Encoding};
use icaze_bench::{hc1, jwt, paseto, qr, Fixture};

fn main() {
    let fx = Fixture::new();
    let sms_form = fx.token.to_text();
    let digits = fx.token.to_qr_digits();
    let rows: Vec<(&str, String)> = vec![
        ("icaze SMS form (`IZ1` + base64url)", sms_form),
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
