//! TEST keys and a sample trust list and bundle, shared by the bundle's unit
//! tests (`src/bundle/tests.rs`) and the vectors (`tests/vectors.rs`), which
//! both include this file with `#[path]`. It names the core's types through
//! its includer's imports (`use super::*`), so that it reads the same as the
//! crate itself and as a user of it.

// Each includer uses part of it.
#![allow(dead_code)]

use super::*;

/// TEST keys: the seed is `icaze TEST ` followed by the key's role (`root`,
/// `sms`, ...), padded with `.` to 32 bytes. Public knowledge, never used
/// outside tests.
pub(crate) fn test_key(role: &str) -> SecretKey {
    let name = format!("icaze TEST {role}");
    let mut seed = [b'.'; 32];
    seed[..name.len()].copy_from_slice(name.as_bytes());
    SecretKey::from_seed(&seed)
}

pub(crate) fn at(s: &str) -> UtcMinute {
    UtcMinute::parse_rfc3339(s).unwrap()
}

/// The TEST key of `role` under `id`, valid in December 2020 and January 2021.
pub(crate) fn trusted(id: u8, role: &str, purposes: &[Purpose], revoked: bool, may_sign_bundles: bool) -> TrustedKey {
    TrustedKey {
        id: KeyId(id),
        public_key: test_key(role).public_key(),
        valid_from: at("2020-12-01T00:00:00+04:00"),
        valid_until: at("2021-02-01T00:00:00+04:00"),
        purposes: PurposeSet::of(purposes),
        revoked,
        may_sign_bundles,
        label: format!("test-{role}"),
    }
}

/// A trust list of `version`, signed by `root`: the SMS issuer (1, no bundle
/// flag) and, under `[sync, stolen, april]`, the bundle key, a revoked bundle
/// key and one valid only in April 2020.
pub(crate) fn bundle_trust_list(root: &SecretKey, version: u64, [sync, stolen, april]: [u8; 3]) -> Vec<u8> {
    let mut april = trusted(april, "sync-april", &[], false, true);
    april.valid_from = at("2020-04-01T00:00:00+04:00");
    april.valid_until = at("2020-06-01T00:00:00+04:00");
    let keys = vec![
        trusted(1, "sms", &[Purpose::Medical, Purpose::Necessities], false, false),
        trusted(sync, "sync", &[], false, true),
        trusted(stolen, "sync-stolen", &[], true, true),
        april,
    ];
    TrustList::new(version, at("2020-12-13T12:00:00+04:00"), keys).unwrap().sign(root)
}

/// A zone with its names in the three languages.
pub(crate) fn zone(id: u16, az: &str, ru: &str, en: &str) -> BundleZone {
    BundleZone { id: ZoneId::new(id).unwrap(), name_az: az.into(), name_ru: ru.into(), name_en: en.into() }
}

/// A full bundle of `version` at `server_time_unix_seconds`: two regimes (the
/// December 2020 one, named `name`, listing Baku and `second_zone`, and a
/// weekend everywhere), the default freshness and three revoked serials.
pub(crate) fn sample_contents(
    version: u64,
    server_time_unix_seconds: u64,
    trust_list: Vec<u8>,
    name: &str,
    second_zone: BundleZone,
) -> BundleContents {
    BundleContents {
        version,
        base_version: None,
        server_time_unix_seconds,
        trust_list,
        regimes: vec![
            BundleRegime {
                id: "2020-12-14".into(),
                name: name.into(),
                start: at("2020-12-14T00:00:00+04:00"),
                end: at("2021-01-18T00:00:00+04:00"),
                scope: RegimeScope::Listed,
                zones: vec![zone(1, "Bakı", "Баку", "Baku"), second_zone],
                purposes: PurposeSet::of(&[Purpose::Medical, Purpose::Necessities, Purpose::Work]),
            },
            BundleRegime {
                id: "weekend".into(),
                name: String::new(),
                start: at("2020-12-19T00:00:00+04:00"),
                end: at("2020-12-21T00:00:00+04:00"),
                scope: RegimeScope::Everywhere,
                zones: vec![],
                purposes: PurposeSet::default(),
            },
        ],
        freshness: FreshnessPolicy::default(),
        revocations: RevocationSet::from_serials([12, 907, 123_456_789]),
        sections: BundleSections::default(),
    }
}
