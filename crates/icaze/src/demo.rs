//! `icaze demo`: the whole offline path once, narrated, on a demo authority.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use icaze_authority::{Authority, InitOptions};
use icaze_core::{
    evaluate, issue, Check, ClaimsSpec, DocumentNumber, PermitClaims, Purpose, Status, UtcMinute, ZoneId,
};

pub(crate) fn run(dir: &Path, now: UtcMinute) -> anyhow::Result<ExitCode> {
    if dir.join("trustlist").exists() {
        println!("1. Authority: reusing the demo authority in {}", dir.display());
    } else {
        Authority::init(dir, now, &InitOptions::default())?;
        println!(
            "1. Authority: created a DEMO root key and SMS, portal and call-centre issuer keys in {}",
            dir.display()
        );
    }
    let authority = Authority::load(dir)?;
    let trust = authority.trust_list();
    println!("   trust list version {} with {} issuer keys, signed by the root", trust.version(), trust.keys().len());

    // A citizen texts "2 AZE11111111" to 8103.
    let document = DocumentNumber::parse("AZE11111111")?;
    let zone = ZoneId::new(1).context("zone 1")?;
    let (key_id, key) = authority.signing_key(Purpose::Necessities, now).context("the SMS key")?;
    let claims = PermitClaims::new(ClaimsSpec {
        serial: authority.next_serial()?,
        document: document.clone(),
        purpose: Purpose::Necessities,
        zones: vec![zone],
        issued_at: now,
        valid_from: now,
        valid_until: now.checked_add(180).context("time")?,
        vehicle: None,
    })?;
    let token = issue(key, key_id, &claims);
    let text = token.to_text();
    let reply = format!(
        "{} {} {}-{} {}",
        document.canonical(),
        claims.valid_from().baku().day_month(),
        claims.valid_from().baku().hour_minute(),
        claims.valid_until().baku().hour_minute(),
        text
    );
    println!("2. SMS permit (code 2, zone 1, 3 hours), serial {}:", claims.serial());
    println!("   reply SMS ({} characters, one GSM-7 segment): {reply}", reply.chars().count());

    let symbol = icaze_qr::encode(&token.to_qr_digits())?;
    let png = dir.join("permit.png");
    std::fs::write(&png, symbol.to_png(8)?).with_context(|| png.display().to_string())?;
    let info = symbol.info();
    println!(
        "3. QR code: version {} ({}x{} modules, ECC {}), written to {}",
        info.version,
        info.modules,
        info.modules,
        info.ec_level,
        png.display()
    );

    let scanned = icaze_qr::decode_image(&std::fs::read(&png)?)?;
    let scanned = scanned.first().context("the QR code did not decode")?;
    let checks = [
        ("scanned QR, in zone 1, now", scanned.as_str(), Check { at: now, zone: Some(zone) }),
        ("pasted SMS, in zone 1, now", reply.as_str(), Check { at: now, zone: Some(zone) }),
        ("scanned QR, in zone 2", scanned.as_str(), Check { at: now, zone: ZoneId::new(2) }),
        (
            "scanned QR, 4 hours later",
            scanned.as_str(),
            Check { at: now.checked_add(240).context("time")?, zone: Some(zone) },
        ),
    ];
    println!("4. An officer's device verifies offline against the pinned root and trust list:");
    let mut all_as_expected = true;
    for (i, (what, input, check)) in checks.iter().enumerate() {
        let verdict = evaluate(input, trust, check);
        let reasons: Vec<&str> = verdict.reasons.iter().map(|r| r.message.as_str()).collect();
        println!("   {what}: {} {}", verdict.status.code().to_uppercase(), reasons.join("; "));
        all_as_expected &= (i < 2) == (verdict.status == Status::Valid);
    }
    let mut forged = text.clone().into_bytes();
    let last = forged.len() - 20;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).context("ASCII")?;
    let verdict = evaluate(&forged, trust, &Check { at: now, zone: Some(zone) });
    println!("   a token with one character changed: {}", verdict.status.code().to_uppercase());
    all_as_expected &= verdict.status != Status::Valid;
    println!("Try: icaze verify --trust {} --zone 1 '{text}'", dir.join("trustlist").display());
    Ok(if all_as_expected { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
