//! Sync through a bad network: the real service (`icaze_server::Server`, in this
//! process, on a loopback port, with a fixed clock) behind the fault-injecting proxy of
//! `icaze-testkit`, and a device (the library API) that logs inspections over several
//! rounds and syncs through the proxy after each. Connections are refused, reset in the
//! middle of an upload or of its answer, cut short, delayed, and uploads are delivered
//! twice; a sync may fail, and the next round tries again. A revocation is made half-way.
//! At the end one clean sync goes straight to the service.
//!
//! Then the service must hold exactly the device's log (every sequence number once, no
//! gap, each hash the device's), the outbox must be empty, the bundle versions must
//! agree, the device must carry no flag, and the revocation must have reached it. The
//! proxy's counters show that every kind of fault really happened.
//!
//! The schedule of faults is seeded: `ICAZE_FAULT_SEED=N` runs another seed, and a
//! failure names the seed it ran with. Run with `--nocapture` to see the counts.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{at, Service, NOW};
use icaze_core::PermitSerial;
use icaze_device::{Device, InitConfig, ManualCheck, Notes, OfficerBadge, Scene, SyncClient, SyncConfig};
use icaze_testkit::{FaultKind, FaultProxy, FaultSchedule};
use serde_json::{json, Value};

/// The seed of the fault schedule when `ICAZE_FAULT_SEED` is not set.
const DEFAULT_SEED: u64 = 9;
/// Rounds of logging and syncing through the proxy.
const ROUNDS: u64 = 40;
/// The serials revoked during the run, and the round each is revoked before.
const REVOKED: [(u64, u32); 6] =
    [(3, 910_001), (9, 910_002), (15, 910_003), (20, 910_004), (27, 910_005), (33, 910_006)];

/// An admin request straight to the service (never through the proxy) that must
/// succeed; its JSON answer.
fn admin_json(s: &Service, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let (status, _, bytes) = s.admin_request(method, path, body);
    let value: Value = serde_json::from_slice(&bytes).unwrap();
    assert!((200..300).contains(&status), "{path}: {status} {value}");
    value
}

/// Every inspection of `device` the service holds: sequence number and hash, in
/// the order received, following the `next` cursor.
fn inspections(s: &Service, device: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/v1/inspections?device={device}&format=json&limit=100");
        if let Some(cursor) = &after {
            path.push_str(&format!("&after={cursor}"));
        }
        let page = admin_json(s, reqwest::Method::GET, &path, None);
        for record in page["inspections"].as_array().unwrap() {
            assert_eq!(record["device_id"], device, "{record}");
            out.push((record["seq"].as_u64().unwrap(), record["hash"].as_str().unwrap().to_owned()));
        }
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return out,
        }
    }
}

/// Short waits: the faults come from a proxy on loopback, not from a real network.
fn fast_retries() -> SyncConfig {
    SyncConfig {
        attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(20),
        batch_records: 16,
    }
}

#[test]
fn sync_survives_refused_reset_cut_delayed_and_duplicated_connections() {
    let seed = std::env::var("ICAZE_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEED);
    // 40 rounds in a second or two, each of a few batches and retries: far
    // faster than a phone syncs, so the device's rate limit is lifted.
    let s = Service::start_with(|c| {
        c.sync_limits = icaze_server::sync::SyncLimits::unlimited_rates();
    });
    // The bundle made at start is from 10:00; from here on it is 10:30.
    s.clock.set(at(NOW));
    let root_text = std::fs::read_to_string(s.data().join("authority/root.public")).unwrap();
    let root = icaze_authority::read_public_key(&root_text).unwrap();
    let dir = s.path("device");
    let config = InitConfig { root, server: None, officer: None };
    let mut device = Device::init(&dir, &config, at(NOW)).unwrap();
    let device_id = device.device_id().to_string();
    let approved = admin_json(
        &s,
        reqwest::Method::POST,
        "/v1/devices",
        Some(json!({"code": device.enrollment_code().to_string(), "badge": "B-1", "precinct": "P-1"})),
    );
    assert_eq!(approved["device_id"], device_id.as_str(), "{approved}");

    // Byte counts up to 1500: a round's connection carries a few kilobytes, and a fault armed
    // beyond what its connection carries never fires.
    let schedule = FaultSchedule::Seeded { seed, pass_percent: 40, max_bytes: 1500 };
    let proxy = FaultProxy::start(s.addr(), schedule).unwrap();
    let through_proxy = format!("http://{}", proxy.addr());
    let scene = Scene {
        at: at(NOW),
        zone: icaze_core::ZoneId::new(1).unwrap(),
        officer: OfficerBadge::new("B-1").unwrap(),
        location: None,
    };

    let (mut synced, mut failed, mut retries, mut duplicates, mut resumed) = (0u32, 0u32, 0u32, 0u64, 0u32);
    let mut errors: BTreeMap<&'static str, u32> = BTreeMap::new();
    for round in 0..ROUNDS {
        for (before, serial) in REVOKED {
            if before == round {
                let answer = admin_json(
                    &s,
                    reqwest::Method::POST,
                    "/v1/revocations",
                    Some(json!({"serial": serial, "reason": "fault test"})),
                );
                assert_eq!(answer["revoked"], json!([serial]), "{answer}");
            }
        }
        // 4 to 16 records a round, about 400 in all.
        for i in 0..4 + (round * 7) % 13 {
            let check = ManualCheck::ImminentDanger { note: format!("round {round} check {i}") };
            device.record_manual(&check, &scene, &Notes::default()).unwrap();
        }
        // A new client each round, as a device that comes online: no pooled connection
        // carries over, so every round starts with a fresh connection through the proxy.
        let client = SyncClient::new(&through_proxy, fast_retries()).unwrap();
        match s.runtime.block_on(client.sync(&mut device, at(NOW))) {
            Ok(report) => {
                synced += 1;
                retries += report.retries;
                duplicates += report.duplicates;
                if let icaze_device::BundleOutcome::Applied { resumed_from: Some(_), .. } = report.bundle {
                    resumed += 1;
                }
                assert!(report.flags.is_empty(), "seed {seed}, round {round}: flags {:?}", report.flags);
                assert_eq!(report.conflicts, 0, "seed {seed}, round {round}");
                // A whole sync brings every revocation made before it.
                let held = device.revocations().unwrap();
                for (_, serial) in REVOKED.iter().filter(|(before, _)| *before <= round) {
                    assert!(held.contains(PermitSerial(*serial)), "seed {seed}, round {round}: {serial} not revoked");
                }
            }
            Err(e) => {
                failed += 1;
                // A bad network may defeat every try; it must never look like anything
                // but a network failure (no protocol error, no refused bundle, no loop).
                assert!(e.is_transient(), "seed {seed}, round {round}: a fault gave a permanent error: {e}");
                *errors.entry(e.code()).or_default() += 1;
            }
        }
    }

    // One clean sync, straight to the service.
    let client = SyncClient::new(&s.url, fast_retries()).unwrap();
    let last = s.runtime.block_on(client.sync(&mut device, at(NOW))).unwrap();
    assert!(proxy.wait_idle(Duration::from_secs(30)), "seed {seed}: the proxy still holds connections");
    let counts = proxy.counts();

    let log = device.log(1, usize::MAX).unwrap();
    let n = log.len() as u64;
    assert_eq!(n, (0..ROUNDS).map(|round| 4 + (round * 7) % 13).sum::<u64>(), "every record logged is in the log");
    println!(
        "seed {seed}: {ROUNDS} rounds, {n} records; syncs through the proxy: {synced} whole, {failed} failed {errors:?}; \
         {retries} retries in the whole ones; {duplicates} records the server already had; {resumed} bundle downloads \
         resumed; the clean sync sent {} records"
    ,
        last.sent
    );
    println!("proxy: {counts}");

    // The service holds exactly the device's log.
    let held = inspections(&s, &device_id);
    let mut by_seq: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for (seq, hash) in held {
        by_seq.entry(seq).or_default().push(hash);
    }
    for record in &log {
        let hashes = by_seq.remove(&record.seq).unwrap_or_default();
        assert_eq!(hashes, vec![record.hash.to_hex()], "seed {seed}: record {} on the service", record.seq);
    }
    assert!(by_seq.is_empty(), "seed {seed}: records the device never logged: {:?}", by_seq.keys());
    assert!(device.verify_chain().unwrap().is_ok());
    assert_eq!(device.outbox_len().unwrap(), 0, "seed {seed}");
    assert_eq!((last.outbox_left, last.acknowledged_seq, last.high_water), (0, n, n), "seed {seed}");
    assert!(last.flags.is_empty(), "seed {seed}: {:?}", last.flags);

    let devices = admin_json(&s, reqwest::Method::GET, "/v1/devices", None);
    let listed = devices["devices"].as_array().unwrap().iter().find(|d| d["device_id"] == device_id.as_str()).unwrap();
    assert_eq!(listed["high_water"], n, "seed {seed}: {listed}");
    assert_eq!(listed["flags"], json!([]), "seed {seed}: {listed}");
    assert_eq!((&listed["gap"], &listed["fork_seq"], &listed["conflicts"]), (&Value::Null, &Value::Null, &json!(0)));

    // The device holds the service's bundle, and every revocation.
    let (status, headers, _) = s.admin_request(reqwest::Method::GET, "/v1/bundle", None);
    assert_eq!(status, 200);
    let version: u64 = headers["icaze-bundle-version"].to_str().unwrap().parse().unwrap();
    assert_eq!(device.bundle_version(), Some(version), "seed {seed}");
    let revocations = device.revocations().unwrap();
    for (_, serial) in REVOKED {
        assert!(revocations.contains(PermitSerial(serial)), "seed {seed}: serial {serial} not on the device");
    }

    // Every kind of fault really happened.
    for kind in FaultKind::ALL {
        assert!(counts.fired(kind) > 0, "seed {seed}: no {} happened: {counts}", kind.name());
    }
}
