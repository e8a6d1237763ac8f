//! The device core end to end: bundles applied and refused, every verdict
//! kind, the clock, freshness, the log's chain and append-only rule, damaged
//! databases. Each test has its own directory.

use icaze_core::*;
use icaze_device::*;

fn at(s: &str) -> UtcMinute {
    UtcMinute::parse_rfc3339(s).unwrap()
}

fn zone(z: u16) -> ZoneId {
    ZoneId::new(z).unwrap()
}

/// The server's time of bundle version 1; the device's clock at import.
const T0: &str = "2020-12-15T09:00:00+04:00";

struct Authority {
    root: SecretKey,
    sms: SecretKey,
    portal: SecretKey,
    callcentre: SecretKey,
    sync: SecretKey,
}

fn authority() -> Authority {
    Authority {
        root: SecretKey::from_seed(&[1; 32]),
        sms: SecretKey::from_seed(&[2; 32]),
        portal: SecretKey::from_seed(&[3; 32]),
        callcentre: SecretKey::from_seed(&[5; 32]),
        sync: SecretKey::from_seed(&[4; 32]),
    }
}

fn trusted(id: u8, key: &SecretKey, purposes: &[Purpose], revoked: bool, bundles: bool) -> TrustedKey {
    TrustedKey {
        id: KeyId(id),
        public_key: key.public_key(),
        valid_from: at("2020-12-01T00:00:00Z"),
        valid_until: at("2022-01-01T00:00:00Z"),
        purposes: PurposeSet::of(purposes),
        revoked,
        may_sign_bundles: bundles,
        label: format!("key-{id}"),
    }
}

impl Authority {
    fn trust_list(&self, version: u64) -> Vec<u8> {
        TrustList::new(
            version,
            at("2020-12-01T00:00:00Z"),
            vec![
                trusted(1, &self.sms, &[Purpose::Medical, Purpose::Necessities], false, false),
                trusted(2, &self.portal, &[Purpose::Work, Purpose::BusinessTrip], false, false),
                // The call centre's key was revoked (a leak, say).
                trusted(3, &self.callcentre, &[Purpose::Funeral], true, false),
                trusted(4, &self.sync, &[], false, true),
            ],
        )
        .unwrap()
        .sign(&self.root)
    }

    fn contents(&self, version: u64, server_time: &str, revoked: &[u32]) -> BundleContents {
        BundleContents {
            version,
            base_version: None,
            server_time_unix_seconds: at(server_time).unix_seconds() as u64,
            trust_list: self.trust_list(1),
            regimes: vec![regime("2020-12-14T00:00:00+04:00", "2021-01-31T06:00:00+04:00")],
            freshness: FreshnessPolicy::default(),
            revocations: RevocationSet::from_serials(revoked.iter().copied()),
            sections: Default::default(),
        }
    }

    fn sign(&self, contents: &BundleContents) -> Vec<u8> {
        contents.try_sign(&self.sync, KeyId(4)).unwrap()
    }

    fn bundle(&self, version: u64, server_time: &str, revoked: &[u32]) -> Vec<u8> {
        self.sign(&self.contents(version, server_time, revoked))
    }

    #[allow(clippy::too_many_arguments)]
    fn permit_with(
        &self,
        key: (&SecretKey, u8),
        serial: u32,
        purpose: Purpose,
        zones: &[u16],
        issued: &str,
        from: &str,
        minutes: u32,
    ) -> String {
        let from = at(from);
        let claims = PermitClaims::new(ClaimsSpec {
            serial: PermitSerial(serial),
            document: DocumentNumber::parse("AZE11111111").unwrap(),
            purpose,
            zones: zones.iter().map(|&z| zone(z)).collect(),
            issued_at: at(issued),
            valid_from: from,
            valid_until: from.checked_add(minutes).unwrap(),
            vehicle: None,
        })
        .unwrap();
        issue(key.0, KeyId(key.1), &claims).to_text()
    }

    /// An SMS permit, serial `serial`, zone 1, 10:00 to 13:00 on 15 December.
    fn permit(&self, serial: u32) -> String {
        self.permit_with((&self.sms, 1), serial, Purpose::Necessities, &[1], FROM, FROM, 180)
    }

    /// Serial 42 for `purpose`, signed with `key`, zone 1, 10:00 to 13:00 on
    /// 15 December: a permit the trust list may refuse for its key.
    fn signed_by(&self, key: (&SecretKey, u8), purpose: Purpose) -> String {
        self.permit_with(key, 42, purpose, &[1], FROM, FROM, 180)
    }
}

const FROM: &str = "2020-12-15T10:00:00+04:00";

/// The regime of 14 December 2020 over zones 1 and 2; business trips do not exist under it.
fn regime(start: &str, end: &str) -> BundleRegime {
    let z =
        |id, name: &str| BundleZone { id: zone(id), name_az: name.into(), name_ru: name.into(), name_en: name.into() };
    BundleRegime {
        id: "2020-12-14".into(),
        name: "Special quarantine regime".into(),
        start: at(start),
        end: at(end),
        scope: RegimeScope::Listed,
        zones: vec![z(1, "Baku"), z(2, "Sumgait")],
        purposes: PurposeSet::of(&[Purpose::Medical, Purpose::Necessities, Purpose::Funeral, Purpose::Work]),
    }
}

fn scene(time: &str, z: u16) -> Scene {
    Scene { at: at(time), zone: zone(z), officer: OfficerBadge::new("B-1042").unwrap(), location: None }
}

struct Fixture {
    dir: tempfile::TempDir,
    a: Authority,
    device: Device,
}

/// A device with bundle version 1 (serial 7 revoked) imported at T0.
fn fixture() -> Fixture {
    let mut f = empty_fixture();
    let bundle = f.a.bundle(1, T0, &[7]);
    f.device.import_bundle(&bundle, at(T0)).unwrap();
    f
}

fn empty_fixture() -> Fixture {
    let a = authority();
    let dir = tempfile::tempdir().unwrap();
    let config = InitConfig { root: a.root.public_key(), server: None, officer: None };
    let device = Device::init(dir.path(), &config, at(T0)).unwrap();
    Fixture { dir, a, device }
}

fn check(device: &mut Device, text: &str, time: &str, z: u16) -> DeviceVerdict {
    device.check(text, &scene(time, z), &Notes::default()).unwrap()
}

fn codes(reasons: &[Reason]) -> Vec<&'static str> {
    reasons.iter().map(|r| r.code).collect()
}

#[test]
fn a_valid_permit_is_valid_and_logged_first() {
    let mut f = fixture();
    let sms = format!("Icaze AZE11111111 15.12 10:00-13:00 {}", f.a.permit(42));
    let v = check(&mut f.device, &sms, "2020-12-15T11:00:00+04:00", 1);
    assert_eq!((v.kind, v.display), (VerdictKind::Valid, Display::Valid), "{:?}", v.reasons);
    assert!(v.reasons.is_empty() && v.warnings.is_empty());
    assert_eq!(v.issued_minutes_ago, Some(60));
    assert_eq!(v.data_age_minutes, Some(120));
    assert_eq!(v.seq, Some(1));
    let json = serde_json::to_value(v.answer()).unwrap();
    assert_eq!(json["document"], "AZE11111111");
    assert_eq!(json["permit"]["issued_at"], "2020-12-15T10:00:00+04:00");
    // The shape the CLI prints and the app's UI types (ui/src/bindings/Verdict.ts) read.
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>().join(" ");
    assert_eq!(
        keys(&json),
        "bundle_version checked_at data_age_minutes display document issued_minutes_ago kind permit reasons seq \
         warnings zone"
    );
    assert_eq!(
        keys(&json["permit"]),
        "document document_kind issued_at key_id purpose serial valid_from valid_until vehicle zones"
    );
    assert_eq!((json["kind"].as_str(), json["display"].as_str()), (Some("valid"), Some("valid")));
    let log = f.device.log(1, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].serial, Some(PermitSerial(42)));
    assert_eq!(log[0].document.as_deref(), Some("AZE11111111"));
    assert_eq!(log[0].input, InputKind::Text);
    assert_eq!(log[0].outcome.as_ref().unwrap().verdict, "valid");

    // The QR form of the same token.
    let qr = UnverifiedPermit::find_in_text(&f.a.permit(42)).unwrap().token().to_qr_digits();
    let v = check(&mut f.device, &qr, "2020-12-15T11:00:00+04:00", 1);
    assert_eq!(v.kind, VerdictKind::Valid);
    assert_eq!(f.device.log(2, 1).unwrap()[0].input, InputKind::QrDigits);
}

#[test]
fn every_verdict_kind() {
    let mut f = fixture();
    let noon = "2020-12-15T11:00:00+04:00";
    let a = &f.a;
    let cases: Vec<(String, &str, u16, VerdictKind, &str)> = vec![
        (
            a.permit_with((&a.sms, 1), 42, Purpose::Medical, &[1], T0, FROM, 180),
            "2020-12-15T09:30:00+04:00",
            1,
            VerdictKind::NotYetValid,
            "not_yet_valid",
        ),
        (a.permit(7), noon, 1, VerdictKind::Revoked, "revoked"),
        (a.permit(42), noon, 2, VerdictKind::WrongZone, "wrong_zone"),
        (a.signed_by((&a.sms, 9), Purpose::Medical), noon, 1, VerdictKind::UnknownKey, "unknown_key"),
        (a.signed_by((&a.callcentre, 3), Purpose::Funeral), noon, 1, VerdictKind::KeyRevoked, "key_revoked"),
        (
            a.permit_with((&a.sms, 1), 42, Purpose::Medical, &[1], "2020-11-30T10:00:00+04:00", FROM, 180),
            noon,
            1,
            VerdictKind::KeyNotValid,
            "key_not_valid",
        ),
        (a.signed_by((&a.portal, 1), Purpose::Medical), noon, 1, VerdictKind::BadSignature, "bad_signature"),
        (a.signed_by((&a.sms, 1), Purpose::Work), noon, 1, VerdictKind::PurposeNotAllowed, "purpose_not_allowed"),
        (
            a.signed_by((&a.portal, 2), Purpose::BusinessTrip),
            noon,
            1,
            VerdictKind::PurposeNotAllowed,
            "purpose_not_in_regime",
        ),
        ("no token here".into(), noon, 1, VerdictKind::Malformed, "no_token"),
        ("IZ1AAAA".into(), noon, 1, VerdictKind::Malformed, "truncated"),
        (a.permit(42), noon, 3, VerdictKind::NoPermitNeeded, "no_permit_needed"),
        // Last: the device's clock never goes back in this test.
        (a.permit(42), "2020-12-15T13:00:00+04:00", 1, VerdictKind::Expired, "expired"),
    ];
    for (i, (text, time, z, kind, code)) in cases.into_iter().enumerate() {
        let v = check(&mut f.device, &text, time, z);
        assert_eq!(v.kind, kind, "case {i}: {:?}", v.reasons);
        assert_eq!(v.reasons.first().map(|r| r.code), Some(code), "case {i}");
        let shown = if kind == VerdictKind::NoPermitNeeded { Display::Valid } else { Display::NotValid };
        assert_eq!(v.display, shown, "case {i}");
        assert!(v.warnings.is_empty(), "case {i}: {:?}", v.warnings);
        assert_eq!(v.seq, Some(i as u64 + 1), "case {i}: logged");
        assert_eq!(f.device.log(i as u64 + 1, 1).unwrap()[0].outcome.as_ref().unwrap().verdict, kind.code());
    }
    // A revoked permit still shows whose it is; a forged one does not.
    let v = check(&mut f.device, &f.a.permit(7), "2020-12-15T13:00:00+04:00", 1);
    assert_eq!(serde_json::to_value(v.answer()).unwrap()["document"], "AZE11111111");
    let forged = f.a.permit_with((&f.a.portal, 1), 42, Purpose::Medical, &[1], FROM, FROM, 180);
    let forged = check(&mut f.device, &forged, "2020-12-15T13:00:00+04:00", 1);
    assert!(serde_json::to_value(forged.answer()).unwrap()["document"].is_null());
    assert!(f.device.verify_chain().unwrap().is_ok());
}

#[test]
fn no_permit_needed_outside_the_regime_and_no_data_without_a_bundle() {
    let mut f = empty_fixture();
    let v = check(&mut f.device, &f.a.permit(42), "2020-12-15T09:00:00+04:00", 1);
    assert_eq!((v.kind, v.display), (VerdictKind::NoData, Display::NotValid));
    assert_eq!(codes(&v.reasons), ["no_data"]);
    assert_eq!(v.seq, Some(1), "a check without data is still an inspection");

    let mut contents = f.a.contents(1, T0, &[]);
    contents.regimes = vec![regime("2020-12-14T00:00:00+04:00", "2020-12-15T10:30:00+04:00")];
    f.device.import_bundle(&f.a.sign(&contents), at(T0)).unwrap();
    let v = check(&mut f.device, &f.a.permit(42), "2020-12-15T10:00:00+04:00", 1);
    assert_eq!(v.kind, VerdictKind::Valid);
    let v = check(&mut f.device, "no token", "2020-12-15T11:00:00+04:00", 1);
    assert_eq!((v.kind, v.display), (VerdictKind::NoPermitNeeded, Display::Valid), "the regime ended at 10:30");
}

#[test]
fn the_zones_are_those_of_the_regime_in_force_named_once_in_id_order() {
    let mut f = empty_fixture();
    assert!(f.device.zones(at(T0)).is_empty(), "no names before the first bundle");

    // The regime of 14 December (zones 1 and 2) ends on 31 January; one
    // announced from 25 January lists zones 1 (named otherwise) and 3.
    let mut contents = f.a.contents(1, T0, &[]);
    let mut announced = regime("2021-01-25T00:00:00+04:00", "2021-03-01T00:00:00+04:00");
    announced.id = "2021-01-25".into();
    announced.zones = vec![
        BundleZone {
            id: zone(1),
            name_az: "Bakı şəhəri".into(),
            name_ru: "город Баку".into(),
            name_en: "Baku city".into(),
        },
        BundleZone { id: zone(3), name_az: "Gəncə".into(), name_ru: "Гянджа".into(), name_en: "Ganja".into() },
    ];
    contents.regimes.push(announced);
    f.device.import_bundle(&f.a.sign(&contents), at(T0)).unwrap();
    let ids = |zones: &[BundleZone]| zones.iter().map(|z| z.id.get()).collect::<Vec<_>>();

    let now = f.device.zones(at("2020-12-15T11:00:00+04:00"));
    assert_eq!(ids(&now), [1, 2], "only the regime in force");
    assert_eq!(now[0].name_en, "Baku");
    let both = f.device.zones(at("2021-01-26T11:00:00+04:00"));
    assert_eq!(ids(&both), [1, 2, 3], "two regimes in force, zone 1 once");
    assert_eq!(both[0].name_en, "Baku", "the earlier regime names it");
    assert_eq!((both[2].name_az.as_str(), both[2].name_ru.as_str()), ("Gəncə", "Гянджа"));
    let before = f.device.zones(at("2020-12-01T00:00:00+04:00"));
    assert_eq!(ids(&before), [1, 2, 3], "none in force: every regime's zones");

    // The names survive a restart (they come from the stored bundle).
    drop(f.device);
    let reopened = Device::open(f.dir.path()).unwrap();
    assert_eq!(reopened.zones(at("2021-01-26T11:00:00+04:00")), both);
}

#[test]
fn forged_and_foreign_bundles_are_refused() {
    let mut f = fixture();
    let mut bundle = f.a.bundle(2, T0, &[]);
    let last = bundle.len() - 1;
    bundle[last] ^= 1;
    let e = f.device.import_bundle(&bundle, at(T0)).unwrap_err();
    assert_eq!(e.code(), "bad_bundle", "{e}");
    assert!(matches!(e, DeviceError::Bundle(BundleError::BadSignature)), "{e}");

    // Another authority's bundle: its trust list is not signed by the pinned root.
    let other = Authority { root: SecretKey::from_seed(&[9; 32]), ..authority() };
    let e = f.device.import_bundle(&other.bundle(2, T0, &[]), at(T0)).unwrap_err();
    assert!(matches!(e, DeviceError::Bundle(BundleError::TrustList(_))), "{e}");

    // Signed by an issuer key, which may not sign bundles.
    let by_sms = f.a.contents(2, T0, &[]).try_sign(&f.a.sms, KeyId(1)).unwrap();
    assert!(f.device.import_bundle(&by_sms, at(T0)).is_err());

    for garbage in [&b""[..], b"IZB", &[0u8; 200][..]] {
        assert_eq!(f.device.import_bundle(garbage, at(T0)).unwrap_err().code(), "bad_bundle");
    }
    assert_eq!(f.device.bundle_version(), Some(1), "nothing was applied");
    let v = check(&mut f.device, &f.a.permit(7), "2020-12-15T11:00:00+04:00", 1);
    assert_eq!(v.kind, VerdictKind::Revoked, "version 1 still in force");
}

#[test]
fn rolled_back_bundles_are_refused() {
    let mut f = fixture();
    f.device.apply_bundle(&f.a.bundle(3, T0, &[]), at(T0)).unwrap();
    for version in [1, 2, 3] {
        let e = f.device.apply_bundle(&f.a.bundle(version, T0, &[7]), at(T0)).unwrap_err();
        assert!(matches!(e, DeviceError::Rollback { current: 3, offered } if offered == version), "{e}");
    }
    // A newer bundle carrying an older trust list.
    let mut newer = f.a.contents(5, T0, &[]);
    newer.trust_list = f.a.trust_list(2);
    f.device.apply_bundle(&f.a.sign(&newer), at(T0)).unwrap();
    let older_list = f.a.bundle(6, T0, &[]);
    let e = f.device.apply_bundle(&older_list, at(T0)).unwrap_err();
    assert!(matches!(e, DeviceError::TrustListRollback { current: 2, offered: 1 }), "{e}");
    assert_eq!(f.device.bundle_version(), Some(5));
    // Survives a reopen.
    drop(f.device);
    let device = Device::open(f.dir.path()).unwrap();
    assert_eq!(device.bundle_version(), Some(5));
}

#[test]
fn a_bundle_pushed_to_the_last_version_by_a_leaked_sync_key_is_undone_by_a_rotation() {
    let mut f = fixture();
    // The leaked sync key signs a bundle of the last version, with no revocations.
    f.device.apply_bundle(&f.a.bundle(i64::MAX as u64, T0, &[]), at(T0)).unwrap();
    let real = f.a.bundle(6, T0, &[7]);
    let e = f.device.apply_bundle(&real, at(T0)).unwrap_err();
    assert!(matches!(e, DeviceError::Rollback { offered: 6, .. }), "every real bundle refused: {e}");
    // The rotation at the root: trust list 2 revokes the leaked key and adds a new one.
    let new_sync = SecretKey::from_seed(&[6; 32]);
    let rotated = TrustList::new(
        2,
        at("2020-12-15T00:00:00Z"),
        vec![
            trusted(1, &f.a.sms, &[Purpose::Medical, Purpose::Necessities], false, false),
            trusted(2, &f.a.portal, &[Purpose::Work, Purpose::BusinessTrip], false, false),
            trusted(3, &f.a.callcentre, &[Purpose::Funeral], true, false),
            trusted(4, &f.a.sync, &[], true, true),
            trusted(5, &new_sync, &[], false, true),
        ],
    )
    .unwrap()
    .sign(&f.a.root);
    let mut contents = f.a.contents(7, T0, &[7]);
    contents.trust_list = rotated.clone();
    f.device.apply_bundle(&contents.try_sign(&new_sync, KeyId(5)).unwrap(), at(T0)).unwrap();
    assert_eq!(f.device.bundle_version(), Some(7), "the new trust list opened a new epoch");
    let v = check(&mut f.device, &f.a.permit(7), "2020-12-15T11:00:00+04:00", 1);
    assert_eq!(v.kind, VerdictKind::Revoked, "the real revocations are back");
    // The leaked key cannot do it again: with the old list it is a trust-list rollback,
    // with the new one its signature is a revoked key's; and within the epoch versions rise.
    let e = f.device.apply_bundle(&f.a.bundle(i64::MAX as u64, T0, &[]), at(T0)).unwrap_err();
    assert!(matches!(e, DeviceError::TrustListRollback { current: 2, offered: 1 }), "{e}");
    let mut forged = f.a.contents(i64::MAX as u64, T0, &[]);
    forged.trust_list = rotated.clone();
    assert!(f.device.apply_bundle(&f.a.sign(&forged), at(T0)).is_err(), "signed by a revoked sync key");
    let mut older = f.a.contents(6, T0, &[]);
    older.trust_list = rotated;
    let e = f.device.apply_bundle(&older.try_sign(&new_sync, KeyId(5)).unwrap(), at(T0)).unwrap_err();
    assert!(matches!(e, DeviceError::Rollback { current: 7, offered: 6 }), "{e}");
    assert_eq!(f.device.bundle_version(), Some(7));
}

#[test]
fn deltas_apply_only_on_their_base() {
    let mut f = empty_fixture();
    let mut delta = f.a.contents(2, T0, &[8]);
    delta.base_version = Some(1);
    let delta = f.a.sign(&delta);
    let e = f.device.import_bundle(&delta, at(T0)).unwrap_err();
    assert!(matches!(e, DeviceError::NeedFullBundle { base: 1, current: None }), "{e}");
    assert!(e.to_string().contains("a full bundle is needed"), "{e}");

    f.device.import_bundle(&f.a.bundle(1, T0, &[7]), at(T0)).unwrap();
    let mut wrong = f.a.contents(6, T0, &[9]);
    wrong.base_version = Some(5);
    let e = f.device.import_bundle(&f.a.sign(&wrong), at(T0)).unwrap_err();
    assert!(matches!(e, DeviceError::NeedFullBundle { base: 5, current: Some(1) }), "{e}");

    let applied = f.device.import_bundle(&delta, at(T0)).unwrap();
    assert_eq!((applied.version, applied.delta, applied.revocations), (2, true, 2));
    for serial in [7, 8] {
        let v = check(&mut f.device, &f.a.permit(serial), "2020-12-15T11:00:00+04:00", 1);
        assert_eq!(v.kind, VerdictKind::Revoked, "serial {serial}");
    }
    // The merged set is what the device keeps, also after a reopen.
    drop(f.device);
    let device = Device::open(f.dir.path()).unwrap();
    let revoked: Vec<u32> = device.revocations().unwrap().iter().collect();
    assert_eq!(revoked, [7, 8]);
}

/// Issue 22 item 8: a permit a newer one replaced is not valid, and says why.
#[test]
fn a_replaced_permit_is_revoked_as_replaced_by_a_newer_permit_and_logged_so() {
    let mut f = empty_fixture();
    let mut full = f.a.contents(1, T0, &[7, 8]);
    full.sections.replaced = RevocationSet::from_serials([8]);
    f.device.import_bundle(&f.a.sign(&full), at(T0)).unwrap();
    let mut delta = f.a.contents(2, T0, &[9]);
    delta.base_version = Some(1);
    delta.sections.replaced = RevocationSet::from_serials([9]);
    f.device.import_bundle(&f.a.sign(&delta), at(T0)).unwrap();
    drop(f.device);
    let mut device = Device::open(f.dir.path()).unwrap();
    for (serial, code) in [(7, "revoked"), (8, "replaced"), (9, "replaced")] {
        let v = check(&mut device, &f.a.permit(serial), "2020-12-15T11:00:00+04:00", 1);
        assert_eq!((v.kind, v.display), (VerdictKind::Revoked, Display::NotValid), "serial {serial}");
        assert_eq!(codes(&v.reasons)[..1], [code], "serial {serial}");
        let json = serde_json::to_value(v.answer()).unwrap();
        assert_eq!((json["kind"].as_str(), json["reasons"][0]["code"].as_str()), (Some("revoked"), Some(code)));
        let logged = device.log(v.seq.unwrap(), 1).unwrap().remove(0).outcome.unwrap();
        assert_eq!((logged.verdict.as_str(), logged.reasons[0].as_str()), ("revoked", code));
    }
    assert!(check(&mut device, &f.a.permit(8), "2020-12-15T11:00:00+04:00", 1).reasons[0].message.contains("newer"));
}

#[test]
fn a_clock_set_back_is_flagged_until_a_sync_sees_it_right() {
    let mut f = fixture();
    let token = f.a.permit(42);
    let v = check(&mut f.device, &token, "2020-12-15T11:00:00+04:00", 1);
    assert!(v.warnings.is_empty());
    // Set back half an hour: earlier than an inspection already logged.
    let v = check(&mut f.device, &token, "2020-12-15T10:30:00+04:00", 1);
    assert_eq!((v.kind, v.display), (VerdictKind::Valid, Display::ValidWithWarning));
    assert_eq!(codes(&v.warnings), ["clock_suspicious"]);
    // Still flagged later, and after a reopen.
    let v = check(&mut f.device, &token, "2020-12-15T11:30:00+04:00", 1);
    assert_eq!(codes(&v.warnings), ["clock_suspicious"]);
    drop(f.device);
    f.device = Device::open(f.dir.path()).unwrap();
    let v = check(&mut f.device, &token, "2020-12-15T11:31:00+04:00", 1);
    assert_eq!(codes(&v.warnings), ["clock_suspicious"]);
    assert_eq!(
        f.device.status(at("2020-12-15T11:31:00+04:00")).unwrap().clock_suspect.as_deref(),
        Some("clock_went_back")
    );
    // A file import cannot clear it; a live sync that agrees with the clock does.
    assert!(
        f.device
            .import_bundle(&f.a.bundle(2, "2020-12-15T11:32:00+04:00", &[]), at("2020-12-15T11:32:00+04:00"))
            .unwrap()
            .clock_suspicious
    );
    let applied = f
        .device
        .apply_bundle(&f.a.bundle(3, "2020-12-15T11:33:00+04:00", &[]), at("2020-12-15T11:35:00+04:00"))
        .unwrap();
    assert!(!applied.clock_suspicious);
    let v = check(&mut f.device, &token, "2020-12-15T11:36:00+04:00", 1);
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);

    // A sync that finds the clock an hour off flags it.
    let applied = f
        .device
        .apply_bundle(&f.a.bundle(4, "2020-12-15T11:40:00+04:00", &[]), at("2020-12-15T12:40:00+04:00"))
        .unwrap();
    assert!(applied.clock_suspicious);
    let v = check(&mut f.device, &token, "2020-12-15T12:41:00+04:00", 1);
    assert_eq!(codes(&v.warnings), ["clock_suspicious"]);
}

#[test]
fn a_clock_before_the_data_is_flagged_and_never_valid() {
    let mut f = fixture();
    // Bundle made at 09:00; the device says 08:00 and the permit's window is open at 08:00.
    let early = f.a.permit_with(
        (&f.a.sms, 1),
        42,
        Purpose::Medical,
        &[1],
        "2020-12-15T07:00:00+04:00",
        "2020-12-15T07:00:00+04:00",
        600,
    );
    let v = check(&mut f.device, &early, "2020-12-15T08:00:00+04:00", 1);
    assert_eq!((v.kind, v.display), (VerdictKind::Valid, Display::NotValid));
    assert_eq!(codes(&v.warnings), ["clock_suspicious"]);
    assert_eq!(codes(&v.reasons), ["clock_wrong"]);
}

#[test]
fn clocks_in_1970_and_2099_give_clear_verdicts() {
    for time in ["1970-01-01T00:00:00Z", "2099-06-01T12:00:00Z"] {
        let mut f = fixture();
        let v = check(&mut f.device, &f.a.permit(42), time, 1);
        assert_eq!(v.display, Display::NotValid, "{time}: {:?}", v.reasons);
        assert!(v.seq.is_some());
        if time.starts_with("1970") {
            assert!(codes(&v.warnings).contains(&"clock_suspicious"));
            assert!(codes(&v.reasons).contains(&"clock_wrong"));
        } else {
            assert_eq!(v.kind, VerdictKind::NoPermitNeeded, "the regime ended in 2021");
            assert!(codes(&v.reasons).contains(&"data_too_old"));
        }
        let json = serde_json::to_string(&v.answer()).unwrap();
        assert!(json.contains("\"display\":\"not_valid\""));
        // The 1970 clock after a 2099 one, in the same log.
        let v = check(&mut f.device, &f.a.permit(42), "1970-01-01T00:00:00Z", 1);
        assert_eq!(v.display, Display::NotValid);
    }
}

#[test]
fn the_freshness_ladder() {
    let mut f = fixture();
    // A permit valid five days from 09:00 on 15 December; data made at 09:00.
    let long = f.a.permit_with((&f.a.sms, 1), 42, Purpose::Medical, &[1], T0, T0, 5 * 24 * 60);
    let steps = [
        ("2020-12-15T14:00:00+04:00", Display::Valid, vec![], vec![]),
        ("2020-12-15T15:01:00+04:00", Display::ValidWithWarning, vec!["data_stale"], vec![]),
        ("2020-12-16T09:01:00+04:00", Display::ValidWithWarning, vec!["data_very_stale"], vec![]),
        ("2020-12-18T09:01:00+04:00", Display::NotValid, vec![], vec!["data_too_old"]),
    ];
    for (time, display, warnings, reasons) in steps {
        let v = check(&mut f.device, &long, time, 1);
        assert_eq!(v.kind, VerdictKind::Valid, "{time}");
        assert_eq!(v.display, display, "{time}");
        assert_eq!(codes(&v.warnings), warnings, "{time}");
        assert_eq!(codes(&v.reasons), reasons, "{time}");
    }
    assert_eq!(f.device.status(at("2020-12-18T09:01:00+04:00")).unwrap().freshness.code(), "too_old");
    // A sync brings it back.
    f.device.apply_bundle(&f.a.bundle(2, "2020-12-18T09:02:00+04:00", &[]), at("2020-12-18T09:02:00+04:00")).unwrap();
    let v = check(&mut f.device, &long, "2020-12-18T09:03:00+04:00", 1);
    assert_eq!(v.display, Display::Valid);
    // A tighter policy, carried in the bundle.
    let mut tight = f.a.contents(3, "2020-12-18T09:04:00+04:00", &[]);
    tight.freshness = FreshnessPolicy {
        warn_after_minutes: 1,
        strong_warn_after_minutes: 2,
        invalid_after_minutes: 3,
        max_clock_drift_minutes: 10,
    };
    f.device.apply_bundle(&f.a.sign(&tight), at("2020-12-18T09:04:00+04:00")).unwrap();
    let v = check(&mut f.device, &long, "2020-12-18T09:08:00+04:00", 1);
    assert_eq!((v.display, codes(&v.reasons)), (Display::NotValid, vec!["data_too_old"]));
}

#[test]
fn manual_checks_are_logged_with_their_fields() {
    let mut f = empty_fixture();
    let s = Scene { location: Location::parse("40.4093,49.8671"), ..scene("2020-12-15T11:00:00+04:00", 1) };
    let notes = Notes { action: Some("let_pass".into()), note: None };
    let checks = [
        ManualCheck::ServiceCard { organisation: "Baku Metro".into(), card_number: "4711".into() },
        ManualCheck::Summons { issuer: "Nasimi District Court".into(), document: "2-1234/2020".into() },
        ManualCheck::ImminentDanger { note: "taking a neighbour to hospital".into() },
        ManualCheck::Violation {
            protocol_number: "AB-000123".into(),
            article: "211.2".into(),
            document: Some("AZE11111111".into()),
        },
    ];
    for (i, c) in checks.iter().enumerate() {
        let r = f.device.record_manual(c, &s, &notes).unwrap();
        assert_eq!(r.seq, i as u64 + 1);
        assert_eq!(r.input, c.input_kind());
    }
    let log = f.device.log(1, 100).unwrap();
    // With no bundle, the card's organisation is unknown for want of data (issue 23).
    let details: Vec<(&str, &str)> = log[0].details.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(
        details,
        [
            ("organisation", "Baku Metro"),
            ("card_number", "4711"),
            ("card_answer", "unknown"),
            ("card_reason", "no_data")
        ]
    );
    assert_eq!(log[1].details[0].1, "Nasimi District Court");
    assert_eq!(log[2].note.as_deref(), Some("taking a neighbour to hospital"));
    assert_eq!(log[3].document.as_deref(), Some("AZE11111111"));
    assert_eq!(log[3].details[1], ("article".into(), "211.2".into()));
    assert_eq!(log[0].location, Location::parse("40.4093,49.8671"));
    assert!(log.iter().all(|r| r.outcome.is_none() && r.action.as_deref() == Some("let_pass")));
    let json = log[3].to_json();
    assert_eq!(json["input"], "violation");
    // The device's answer is the record's JSON (the service lists the same type), and reads back.
    for r in &log {
        let answer: answers::LogRecord = r.to_api();
        assert_eq!(serde_json::from_value::<answers::LogRecord>(r.to_json()).unwrap(), answer);
    }

    let empty = ManualCheck::ServiceCard { organisation: " ".into(), card_number: "1".into() };
    assert!(matches!(f.device.record_manual(&empty, &s, &notes), Err(DeviceError::MissingField("organisation"))));
    let long_note = Notes { action: None, note: Some("x".repeat(MAX_NOTE + 1)) };
    assert!(f.device.record_manual(&checks[0], &s, &long_note).is_err());
    assert_eq!(f.device.log(1, 100).unwrap().len(), 4, "refused checks log nothing");
    assert!(f.device.verify_chain().unwrap().is_ok());
}

#[test]
fn the_outbox_keeps_records_until_acknowledged_and_the_log_keeps_them_after() {
    let mut f = fixture();
    for _ in 0..5 {
        check(&mut f.device, "no token", "2020-12-15T11:00:00+04:00", 1);
    }
    let seqs = |d: &Device| d.outbox(100).unwrap().iter().map(|r| r.seq).collect::<Vec<_>>();
    assert_eq!(seqs(&f.device), [1, 2, 3, 4, 5]);
    assert_eq!(f.device.ack(3).unwrap(), 3);
    assert_eq!(seqs(&f.device), [4, 5]);
    assert_eq!(f.device.ack(3).unwrap(), 0, "acknowledging again changes nothing");
    let status = f.device.status(at("2020-12-15T11:00:00+04:00")).unwrap();
    assert_eq!((status.log_records, status.outbox, status.chain.is_ok()), (5, 2, true));
    assert_eq!(status.bundle_version, Some(1));
    let json = serde_json::to_value(status.answer()).unwrap();
    assert_eq!(json["chain_ok"], true);
    assert_eq!((json["freshness"].as_str(), json["chain_problem"].is_null()), (Some("fresh"), true));
    assert_eq!(
        json.as_object().unwrap().keys().cloned().collect::<Vec<_>>().join(" "),
        "bundle_version chain_ok chain_problem clock_suspect data_age_minutes data_time device_id freshness \
         last_sync log_records outbox revocations trust_list_version"
    );
}

#[test]
fn the_chain_detects_a_row_altered_in_sqlite_and_the_log_refuses_updates() {
    let mut f = fixture();
    for i in 0..6 {
        check(&mut f.device, &f.a.permit(40 + i), "2020-12-15T11:00:00+04:00", 1);
    }
    let report = f.device.verify_chain().unwrap();
    assert_eq!((report.records, report.is_ok()), (6, true));

    let db = rusqlite_open(&f);
    // The schema itself refuses updates and deletes of the log.
    assert!(db.execute("UPDATE inspections SET at = at + 1 WHERE seq = 3", []).is_err());
    assert!(db.execute("DELETE FROM inspections WHERE seq = 6", []).is_err());
    assert!(f.device.verify_chain().unwrap().is_ok());

    // Someone with the file drops the guard and edits record 4's verdict.
    db.execute_batch("DROP TRIGGER inspections_no_update").unwrap();
    let body: Vec<u8> = db.query_row("SELECT body FROM inspections WHERE seq = 4", [], |r| r.get(0)).unwrap();
    let pos = body.windows(5).position(|w| w == b"valid").unwrap();
    let mut altered = body.clone();
    altered[pos] = b'V';
    db.execute("UPDATE inspections SET body = ?1 WHERE seq = 4", [altered]).unwrap();
    let report = f.device.verify_chain().unwrap();
    assert_eq!(report.broken.as_ref().map(|b| b.seq), Some(4), "{report:?}");
    assert_eq!(report.records, 3);

    // Restored body, but the time column moved: also found.
    db.execute("UPDATE inspections SET body = ?1, at = at + 1 WHERE seq = 4", [body]).unwrap();
    assert_eq!(f.device.verify_chain().unwrap().broken.unwrap().seq, 4);
    db.execute("UPDATE inspections SET at = at - 1 WHERE seq = 4", []).unwrap();
    assert!(f.device.verify_chain().unwrap().is_ok());

    // A record removed from the middle.
    db.execute_batch(
        "DROP TRIGGER inspections_no_delete; DELETE FROM outbox WHERE seq = 2; DELETE FROM inspections WHERE seq = 2",
    )
    .unwrap();
    let report = f.device.verify_chain().unwrap();
    assert_eq!(report.broken.map(|b| b.seq), Some(2));
}

fn rusqlite_open(f: &Fixture) -> rusqlite::Connection {
    rusqlite::Connection::open(f.dir.path().join(DB_FILE)).unwrap()
}

#[test]
fn garbage_and_truncated_databases_give_a_clear_error() {
    let f = fixture();
    let dir = f.dir.path().to_owned();
    drop(f.device);
    let db = dir.join(DB_FILE);
    let good = std::fs::read(&db).unwrap();
    assert!(good.len() > 4096, "a database of several pages");

    std::fs::write(&db, b"this is not a database, it is a note to self that is long enough for a header".repeat(80))
        .unwrap();
    let e = Device::open(&dir).unwrap_err();
    assert_eq!(e.code(), "damaged", "{e}");
    assert!(e.to_string().contains("restore it from a backup"), "{e}");

    // An empty file is an empty database: it opens and migrates, and has no device row.
    for len in [0, 50, 100, 1024, 4096, good.len() / 2, good.len() - 1] {
        std::fs::write(&db, &good[..len]).unwrap();
        let e =
            Device::open(&dir).err().unwrap_or_else(|| panic!("truncated to {len} of {} bytes: opened", good.len()));
        assert_eq!(e.code(), "damaged", "truncated to {len} bytes: {e}");
    }
    std::fs::write(&db, &good).unwrap();
    assert!(Device::open(&dir).unwrap().verify_chain().unwrap().is_ok(), "the intact file still opens");

    std::fs::remove_file(&db).unwrap();
    assert_eq!(Device::open(&dir).unwrap_err().code(), "not_a_device");
    assert_eq!(Device::open(&dir.join("nowhere")).unwrap_err().code(), "not_a_device");
}

#[test]
fn init_refuses_an_existing_device_and_open_checks_the_key() {
    let f = fixture();
    let config = InitConfig { root: f.a.root.public_key(), server: None, officer: None };
    assert_eq!(Device::init(f.dir.path(), &config, at(T0)).unwrap_err().code(), "already_exists");
    let id = f.device.device_id();
    assert_eq!(f.device.enrollment_code().device_id(), id);
    assert_eq!(EnrollmentCode::parse(&f.device.enrollment_code().to_string()).unwrap().device_id(), id);
    drop(f.device);
    assert_eq!(Device::open(f.dir.path()).unwrap().device_id(), id);
    std::fs::remove_file(f.dir.path().join(KEY_FILE)).unwrap();
    assert!(Device::open(f.dir.path()).is_err());
}

/// The log holds other people's documents and names: its database, its key and the
/// export files are the owner's only, and export files go when the log's records do.
#[cfg(unix)]
#[test]
fn the_log_and_its_export_files_are_the_owners_only_and_old_exports_are_pruned() {
    use std::os::unix::fs::PermissionsExt as _;
    let mut f = fixture();
    check(&mut f.device, &f.a.permit(1), "2020-12-15T11:00:00+04:00", 1);
    let exports = f.dir.path().join(icaze_device::EXPORT_DIR);
    std::fs::create_dir_all(&exports).unwrap();
    let (old, new, other) = (exports.join("old.iczu"), exports.join("new.iczu"), exports.join("readme.txt"));
    f.device.export(&old, at(T0)).unwrap();
    f.device.export(&new, at(T0)).unwrap();
    std::fs::write(&other, "not an export").unwrap();
    let wal = format!("{}-wal", icaze_device::DB_FILE);
    for name in [icaze_device::DB_FILE, &wal, icaze_device::KEY_FILE, "exports/old.iczu", "exports/new.iczu"] {
        let mode = std::fs::metadata(f.dir.path().join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{name} is {mode:o}");
    }
    // Written four days ago: older than the three days the log keeps.
    let now = std::time::SystemTime::now();
    let four_days = std::time::Duration::from_secs(4 * 24 * 3600);
    std::fs::File::options().write(true).open(&old).unwrap().set_modified(now - four_days).unwrap();
    let minutes = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 60;
    f.device.prune(UtcMinute::from_unix_minutes(minutes as u32)).unwrap();
    assert!(!old.exists(), "the old export is gone");
    assert!(new.exists() && other.exists(), "a recent export and what is not an export stay");
}

/// The authorised organisations of the bundles below (issue 23).
fn organisations() -> AuthorisedOrganisations {
    let org = |tax: u64, name: &str, zones: &[u16], until: Option<&str>| AuthorisedOrganisation {
        tax_id: TaxId::new(tax).unwrap(),
        name: name.into(),
        sector: "kommunal".into(),
        zones: zones.iter().map(|&z| zone(z)).collect(),
        until: until.map(at),
    };
    AuthorisedOrganisations::new(vec![
        org(1_700_000_001, "Bakı Metropoliteni QSC", &[], None),
        org(101_234_567, "Azərsu ASC", &[1, 3], Some("2020-12-16T00:00:00+04:00")),
        org(202_020_202, "Azərsu Servis MMC", &[], None),
        org(303_030_303, "Şəki İpək Kombinatı", &[2], None),
    ])
    .unwrap()
}

/// Issue 23 item 6: a service card's organisation is found by tax id or name
/// among the bundle's authorised organisations, judged for the officer's zone
/// and time, and the answer logged with the card; a delta without the list
/// keeps it, one with an empty list empties it.
#[test]
fn issue_23_a_service_card_is_judged_against_the_bundle_s_organisations_and_logged() {
    use icaze_device::cards::{CardReason as R, CardStanding as S};
    let mut f = empty_fixture();
    let card = |device: &mut Device, text: &str, time: &str, z: u16| {
        let (answer, record) = device.check_service_card(text, "4711", &scene(time, z), &Notes::default()).unwrap();
        let tax = answer.organisation.as_ref().map(|o| o.tax_id.to_string());
        let matches: Vec<String> = answer.matches.iter().map(|o| o.tax_id.to_string()).collect();
        (answer.standing, answer.reason, tax, matches, record)
    };
    const NOON: &str = "2020-12-15T12:00:00+04:00";
    let (standing, reason, _, _, record) = card(&mut f.device, "1700000001", NOON, 1);
    assert_eq!((standing, reason), (S::Unknown, Some(R::NoData)), "no bundle, no list");
    assert_eq!(record.details.last().unwrap(), &("card_reason".to_owned(), "no_data".to_owned()));

    let mut contents = f.a.contents(1, T0, &[7]);
    contents.sections.organisations = Some(organisations());
    assert_eq!(f.device.import_bundle(&f.a.sign(&contents), at(T0)).unwrap().organisations, 4);

    let tax = |t: &str| Some(t.to_owned());
    let cases = [
        ("1700000001", NOON, 1, S::Authorised, None, tax("1700000001"), 0),
        ("VÖEN: 0101234567", NOON, 2, S::NotAuthorised, Some(R::Zone), tax("0101234567"), 0),
        ("0101234567", NOON, 3, S::Authorised, None, tax("0101234567"), 0),
        ("0101234567", "2020-12-16T00:00:00+04:00", 1, S::NotAuthorised, Some(R::Expired), tax("0101234567"), 0),
        ("azərsu", NOON, 1, S::Several, None, None, 2),
        ("AZERSU ASC", NOON, 1, S::Authorised, None, tax("0101234567"), 0),
        ("metropoliteni", NOON, 1, S::Authorised, None, tax("1700000001"), 0),
        ("BAKI METRO", NOON, 1, S::Authorised, None, tax("1700000001"), 0),
        ("seki ipek", NOON, 1, S::NotAuthorised, Some(R::Zone), tax("0303030303"), 0),
        ("ŞƏKİ", NOON, 2, S::Authorised, None, tax("0303030303"), 0),
        ("9999999999", NOON, 1, S::Unknown, None, None, 0),
        ("Yoxdur MMC", NOON, 1, S::Unknown, None, None, 0),
    ];
    for (text, time, z, standing, reason, tax_id, matches) in cases {
        let got = card(&mut f.device, text, time, z);
        assert_eq!((got.0, got.1, got.2, got.3.len()), (standing, reason, tax_id, matches), "{text} in zone {z}");
    }
    // Several: by name, those that start with the text first.
    assert_eq!(card(&mut f.device, "azərsu", NOON, 1).3, ["0101234567", "0202020202"]);

    // Every check is logged with the card's fields and the answer.
    let (_, _, _, _, record) = card(&mut f.device, "VÖEN: 0101234567", NOON, 2);
    let details: Vec<(&str, &str)> = record.details.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(
        details,
        [
            ("organisation", "VÖEN: 0101234567"),
            ("card_number", "4711"),
            ("card_answer", "not_authorised"),
            ("card_reason", "zone"),
            ("tax_id", "0101234567"),
        ]
    );
    assert_eq!(record.input, InputKind::ServiceCard);
    let logged = f.device.log(0, 100).unwrap();
    assert_eq!(logged.len(), 15);
    // `record_manual` of a service card looks it up the same way.
    let manual = ManualCheck::ServiceCard { organisation: "1700000001".into(), card_number: "9".into() };
    let record = f.device.record_manual(&manual, &scene(NOON, 1), &Notes::default()).unwrap();
    assert_eq!(record.details[2], ("card_answer".to_owned(), "authorised".to_owned()));
    // An empty field is refused before anything is looked up or logged.
    let refused = f.device.check_service_card(" ", "1", &scene(NOON, 1), &Notes::default());
    assert!(matches!(refused, Err(DeviceError::MissingField("organisation"))), "{refused:?}");

    // A delta without the section keeps the list, across a restart too.
    let delta = BundleContents { version: 2, base_version: Some(1), ..f.a.contents(2, T0, &[]) };
    assert_eq!(f.device.import_bundle(&f.a.sign(&delta), at(T0)).unwrap().organisations, 4);
    drop(f.device);
    let mut device = Device::open(f.dir.path()).unwrap();
    assert_eq!(card(&mut device, "1700000001", NOON, 1).0, S::Authorised);
    // A delta with an empty list empties it.
    let mut emptied = BundleContents { version: 3, base_version: Some(2), ..f.a.contents(3, T0, &[]) };
    emptied.sections.organisations = Some(AuthorisedOrganisations::default());
    assert_eq!(device.import_bundle(&f.a.sign(&emptied), at(T0)).unwrap().organisations, 0);
    let got = card(&mut device, "1700000001", NOON, 1);
    assert_eq!((got.0, got.1), (S::Unknown, None));
}
