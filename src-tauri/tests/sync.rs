//! The app's sync against the real service: `icaze_server::Server` in this
//! process on a loopback port, with a fixed clock and its development
//! authority, and an `AppCore` on a device pinned to that authority's root.
//!
//! Before approval a sync says the device is `unknown` and keeps its records;
//! after an administrator approves it (`POST /v1/devices`), a check is uploaded
//! and the device is `active` with its badge and precinct, which a restarted
//! app still shows; an export file is a batch the server's reader accepts, and
//! once the precinct imports it the next sync empties the outbox. The first
//! sync's bundle names the zones for the Settings picker.

use std::path::Path;
mod common;

use common::{at, json, Service, NOW};
use icaze_app::core::AppCore;
use icaze_app::settings::Settings;
use icaze_protocol::UploadBatch;
use serde_json::{json, Value};

/// The device's directory in the service's temporary directory.
const DEVICE: &str = "device";

/// Approves a device as the administrator (`POST /v1/devices`); returns the device JSON.
fn approve(s: &Service, code: &str, badge: &str, precinct: &str) -> Value {
    let body = json!({ "code": code, "badge": badge, "precinct": precinct }).to_string();
    s.post_as_admin("/v1/devices", "application/json", body.into_bytes(), 201)
}

/// Imports an export file at the precinct (`POST /v1/imports`, as the administrator).
fn import(s: &Service, file: Vec<u8>) -> Value {
    s.post_as_admin("/v1/imports", "application/octet-stream", file, 200)
}

fn outbox(core: &AppCore) -> u64 {
    json(core.status(at(NOW)).unwrap().device.unwrap())["outbox"].as_u64().unwrap()
}

#[test]
fn the_app_syncs_with_the_real_service_and_remembers_its_enrollment() {
    let (s, token) = Service::with_sms_permit();
    let mut core = s.device(DEVICE, "B-1042");
    assert_eq!(core.status(at(NOW)).unwrap().enrollment, None, "no status before the first sync");
    assert_eq!(core.status(at(NOW)).unwrap().server.as_deref(), Some(s.url.as_str()));

    // Not approved yet: the check stays in the outbox, the bundle comes down.
    assert_eq!(json(core.check_text(&token, 1, at(NOW)).unwrap())["kind"], "no_data");
    let report = json(s.runtime.block_on(core.sync_now(at(NOW))).unwrap());
    assert_eq!((report["status"].as_str(), report["sent"].as_u64()), (Some("unknown"), Some(0)), "{report}");
    assert_eq!(report["bundle"]["result"], "applied", "{report}");
    let unknown = core.status(at(NOW)).unwrap().enrollment.unwrap();
    assert_eq!((unknown.status.code(), unknown.badge, unknown.precinct), ("unknown", None, None));
    assert_eq!(unknown.checked_at, NOW);
    assert_eq!(outbox(&core), 1);

    let code = core.enrollment().unwrap().code;
    let approved = approve(&s, &code, "B-1042", "P-12");
    assert_eq!(approved["status"], "active");

    // Approved: both checks go up and leave the outbox.
    assert_eq!(json(core.check_text(&token, 1, at(NOW)).unwrap())["kind"], "valid");
    let report = json(s.runtime.block_on(core.sync_now(at(NOW))).unwrap());
    assert_eq!((report["status"].as_str(), report["precinct"].as_str()), (Some("active"), Some("P-12")), "{report}");
    assert_eq!((report["sent"].as_u64(), report["acknowledged"].as_u64()), (Some(2), Some(2)), "{report}");
    assert_eq!(outbox(&core), 0);

    // A restarted app still knows the status.
    drop(core);
    let core = AppCore::open(&s.device_dir(DEVICE));
    let active = core.status(at(NOW)).unwrap().enrollment.unwrap();
    assert_eq!(
        (active.status.code(), active.badge.as_deref(), active.precinct.as_deref()),
        ("active", Some("B-1042"), Some("P-12"))
    );
    assert_eq!(active.server, format!("{}/", s.url));
}

/// The issue "Zones are bare numbers": the zone picker's names are those of the
/// bundle the first sync brings down (the service's default regime,
/// `regimes/2020-12-14.toml`), in the three languages.
#[test]
fn the_first_sync_brings_the_zone_names_of_the_regime_in_force() {
    let s = Service::start();
    s.clock.set(at(NOW));
    let mut core = s.device(DEVICE, "B-1042");
    assert_eq!(core.zones(at(NOW)), [], "no bundle yet: the picker falls back to the number");
    s.runtime.block_on(core.sync_now(at(NOW))).unwrap();
    let zones = core.zones(at(NOW));
    assert_eq!(zones.iter().map(|z| z.id).collect::<Vec<_>>(), (1..=17).collect::<Vec<u16>>());
    let names = |z: &icaze_app::core::ZoneName| (z.name_az.clone(), z.name_ru.clone(), z.name_en.clone());
    assert_eq!(names(&zones[0]), ("Bakı".into(), "Баку".into(), "Baku".into()));
    assert_eq!(names(&zones[1]), ("Sumqayıt".into(), "Сумгайыт".into(), "Sumgayit".into()));
    assert_eq!(names(&zones[16]), ("İsmayıllı şəhəri".into(), "город Исмаиллы".into(), "Ismayilli city".into()));
    // A restarted app reads them from the stored bundle.
    drop(core);
    assert_eq!(AppCore::open(&s.device_dir(DEVICE)).zones(at(NOW)), zones);
}

#[test]
fn an_export_file_imported_at_the_precinct_empties_the_outbox_at_the_next_sync() {
    let (s, token) = Service::with_sms_permit();
    let mut core = s.device(DEVICE, "B-1042");
    core.check_text(&token, 1, at(NOW)).unwrap();
    core.check_text(&token, 2, at(NOW)).unwrap();
    let exported = core.export(at(NOW)).unwrap();
    assert_eq!((exported.records, exported.first_seq, exported.last_seq), (2, Some(1), Some(2)));
    let path = Path::new(&exported.path);
    assert!(path.starts_with(s.device_dir(DEVICE).join(icaze_app::core::EXPORT_DIR)), "{}", exported.path);
    assert!(exported.path.ends_with("-20201215T1030.iczu"), "{}", exported.path);
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(bytes.len() as u64, exported.bytes);
    let batch = UploadBatch::verify(&bytes).unwrap();
    assert_eq!((batch.first_seq(), batch.records().len()), (1, 2));
    assert_eq!(batch.device_id().to_string(), core.enrollment().unwrap().device_id);
    // Exporting sends nothing: the records wait for a sync or the precinct's import.
    assert_eq!(outbox(&core), 2);

    // The precinct imports the file; the next sync learns that the server
    // holds the records and drops them from the outbox without sending them.
    approve(&s, &core.enrollment().unwrap().code, "B-1042", "P-12");
    let imported = import(&s, bytes);
    assert_eq!((imported["accepted"].as_u64(), imported["channel"].as_str()), (Some(2), Some("file")), "{imported}");
    let report = json(s.runtime.block_on(core.sync_now(at(NOW))).unwrap());
    assert_eq!((report["status"].as_str(), report["sent"].as_u64()), (Some("active"), Some(0)), "{report}");
    assert_eq!(outbox(&core), 0);
}

#[test]
fn sync_failures_reach_the_ui_as_codes() {
    let s = Service::start();
    let mut core = s.device(DEVICE, "B-1042");
    core.save_settings(Settings { server: Some("http://127.0.0.1:9/icaze".into()), ..Settings::default() }).unwrap();
    // Port 9 (discard) on loopback refuses the connection at once; the client
    // tries again with its backoff and then gives up.
    let error = s.runtime.block_on(core.sync_now(at(NOW))).unwrap_err();
    assert_eq!(error.code, "unreachable", "{error:?}");
    assert_eq!(core.status(at(NOW)).unwrap().enrollment, None, "a failed sync learns nothing");

    let dir = tempfile::tempdir().unwrap();
    let mut bare = AppCore::open(dir.path());
    let root = std::fs::read_to_string(s.data().join("authority/root.public")).unwrap();
    bare.init_device(&root, None, at(NOW)).unwrap();
    let error = s.runtime.block_on(bare.sync_now(at(NOW))).unwrap_err();
    assert_eq!(error.code, "no_server");
}
