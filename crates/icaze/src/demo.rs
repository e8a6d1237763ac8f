//! `icaze demo`: the whole offline path once, narrated, on a demo authority.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use icaze_authority::{Authority, InitOptions};
use icaze_core::{
    issue, BundleContents, ClaimsSpec, DocumentNumber, FreshnessPolicy, PermitClaims, Purpose, RevocationSet,
    UtcMinute, ZoneId,
};
use icaze_device::{Device, InitConfig, Notes, OfficerBadge, Scene, VerdictKind};
use icaze_server::regime::{Regime, DEFAULT_REGIME};

pub(crate) fn run(dir: &Path, now: UtcMinute) -> anyhow::Result<ExitCode> {
    if dir.join("trustlist").exists() {
        println!("1. Authority: reusing the demo authority in {}", dir.display());
    } else {
        Authority::init(dir, now, &InitOptions::default())?;
        println!(
            "1. Authority: created a DEMO root key, SMS, portal and call-centre issuer keys and a sync bundle key in {}",
            dir.display()
        );
    }
    let authority = Authority::load(dir)?;
    let trust = authority.trust_list();
    println!("   trust list version {} with {} keys, signed by the root", trust.version(), trust.keys().len());

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

    // A second permit, revoked at once (say its holder was reported infected).
    let revoked_claims = PermitClaims::new(ClaimsSpec {
        serial: authority.next_serial()?,
        document: DocumentNumber::parse("MYI1234567")?,
        purpose: Purpose::Necessities,
        zones: vec![ZoneId::new(2).context("zone 2")?],
        issued_at: now,
        valid_from: now,
        valid_until: claims.valid_until(),
        vehicle: None,
    })?;
    let revoked = issue(key, key_id, &revoked_claims).to_text();

    // The sync bundle: the regime of 14 December 2020 moved to start today, and the revocation.
    let device_dir = dir.join("device");
    let mut device = if device_dir.join(icaze_device::KEY_FILE).exists() {
        Device::open(&device_dir)?
    } else {
        let root = *authority.root_public_key();
        Device::init(&device_dir, &InitConfig { root, server: None, officer: None }, now)?
    };
    let regime = Regime::from_toml(DEFAULT_REGIME)?.moved_to(start_of_baku_day(now));
    let contents = BundleContents {
        version: device.bundle_version().map_or(1, |v| v + 1),
        base_version: None,
        server_time_unix_seconds: u64::try_from(now.unix_seconds()).context("time")?,
        trust_list: authority.trust_list_file().to_vec(),
        regimes: vec![regime.to_bundle()],
        freshness: FreshnessPolicy::default(),
        revocations: RevocationSet::from_serials([revoked_claims.serial().0]),
        sections: Default::default(),
    };
    let applied = device.import_bundle(&authority.sign_bundle(&contents)?, now)?;
    println!(
        "4. Sync bundle version {} (regime {} from today, {} revoked serial) applied on the officer's device {}",
        applied.version,
        regime.id,
        applied.revocations,
        device.device_id()
    );

    let mut forged = text.clone().into_bytes();
    let last = forged.len() - 20;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).context("ASCII")?;
    let later = now.checked_add(240).context("time")?;
    let zone_id = |id| ZoneId::new(id).context("zone");
    let checks = [
        ("scanned QR, in zone 1, now", scanned.as_str(), now, zone, VerdictKind::Valid),
        ("pasted SMS, in zone 1, now", reply.as_str(), now, zone, VerdictKind::Valid),
        ("scanned QR, in zone 2 (Sumgayit)", scanned.as_str(), now, zone_id(2)?, VerdictKind::WrongZone),
        ("scanned QR, 4 hours later", scanned.as_str(), later, zone, VerdictKind::Expired),
        ("the revoked permit, in zone 2", revoked.as_str(), now, zone_id(2)?, VerdictKind::Revoked),
        ("a token with one character changed", forged.as_str(), now, zone, VerdictKind::BadSignature),
        (
            "scanned QR, in a village outside the region centres",
            scanned.as_str(),
            now,
            zone_id(101)?,
            VerdictKind::NoPermitNeeded,
        ),
    ];
    println!("5. The device verifies offline and logs every check before it shows the verdict:");
    let officer = OfficerBadge::new("DEMO-001").map_err(|e| anyhow::anyhow!("{}", e.0))?;
    let mut all_as_expected = true;
    for (what, input, at, zone, expected) in checks {
        let scene = Scene { at, zone, officer: officer.clone(), location: None };
        let verdict = device.check(input, &scene, &Notes::default())?;
        let reasons: Vec<&str> = verdict.reasons.iter().map(|r| r.message.as_str()).collect();
        println!("   {what}: {} {}", verdict.kind.code().to_uppercase(), reasons.join("; "));
        all_as_expected &= verdict.kind == expected;
    }
    let chain = device.verify_chain()?;
    println!(
        "6. Inspection log: {} records, hash chain {}, {} waiting for upload",
        chain.records,
        if chain.is_ok() { "intact" } else { "BROKEN" },
        device.outbox(usize::MAX)?.len()
    );
    all_as_expected &= chain.is_ok();
    println!("Try: icaze verify --trust {} --zone 1 '{text}'", dir.join("trustlist").display());
    println!("     icaze device --data {} log", device_dir.display());
    Ok(if all_as_expected { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Midnight in Baku at the start of the day of `t`.
fn start_of_baku_day(t: UtcMinute) -> UtcMinute {
    let offset = icaze_core::BAKU_OFFSET_MINUTES as u32;
    let local = t.unix_minutes() + offset;
    UtcMinute::from_unix_minutes(local - local % 1440 - offset)
}
