//! A rough rate of upload ingest (inspection records stored a second) through
//! `SyncService::upload` on SQLite and on PostgreSQL in one run: `DEVICES`
//! devices (default 8) upload `RECORDS` records (default 100,000) together, in
//! batches of 500, each device on a thread of its own, without HTTP:
//!
//! - PostgreSQL, one instance (one service, pools of 16), `fsync` off;
//! - PostgreSQL, two instances on one database (two services, each with its
//!   own pools; the devices alternate between them), `fsync` off;
//! - PostgreSQL, one instance, `fsync` on (durable as SQLite's FULL);
//! - SQLite, `synchronous = FULL` (group commit, the WAL flushed by the store).
//!
//! Every run ends by checking that every record is stored once. The time is
//! the wall clock; the CPU is this process's (user and system, the rules and
//! the client side) and, for PostgreSQL, the server's processes' (from
//! `/proc`), each divided by the records. Not a benchmark to quote to the last
//! digit: the machine is shared.
//!
//! ```text
//! cargo run --release -p icaze-postgres --example ingest_rate
//! DEVICES=16 RECORDS=200000 cargo run --release -p icaze-postgres --example ingest_rate
//! ```

use std::sync::Arc;
use std::time::Instant;

use icaze_core::{SecretKey, UtcMinute};
use icaze_permits::keys::KeyRing;
use icaze_permits::store::PermitStore;
use icaze_permits::FixedClock;
use icaze_postgres::{PgConfig, PgPermitStore, PgSyncStore};
use icaze_protocol::{EnrollmentCode, UploadBatch};
use icaze_sqlite::permits::SqlitePermitStore;
use icaze_sqlite::sync::SqliteSyncStore;
use icaze_sqlite::SqliteConfig;
use icaze_sync_service::store::SyncStore;
use icaze_sync_service::{Caller, Channel, SyncLimits, SyncService};
use icaze_testkit::postgres::PgCluster;

mod common;
use common::{cpu_since, server_pids};

const BATCH: usize = 500;

fn now() -> UtcMinute {
    UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").expect("a time")
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// CPU seconds (user + system) of each process of `pids`.
fn cpu_seconds(pids: &[u32]) -> std::collections::HashMap<u32, f64> {
    pids.iter()
        .filter_map(|&pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
            Some((pid, ticks as f64 / 100.0))
        })
        .collect()
}

fn service<S: PermitStore>(keys: &std::path::Path, store: Box<dyn SyncStore>, permits: Arc<S>) -> Arc<SyncService<S>> {
    Arc::new(
        SyncService::new(
            store,
            permits,
            Arc::new(KeyRing::load(keys).expect("the keys")),
            None,
            Arc::new(FixedClock::new(now())),
            "admin".into(),
        )
        .with_limits(SyncLimits::unlimited_rates()),
    )
}

/// `devices` devices approved through the first instance, their batches
/// uploaded to the instances in turn; the rate and the CPU a record.
fn ingest<S: PermitStore>(
    name: &str,
    instances: &[Arc<SyncService<S>>],
    server: Option<u16>,
    devices: usize,
    records: usize,
) {
    let per_device = (records / devices).max(1) as u64;
    let keys: Vec<SecretKey> = (0..devices).map(|d| SecretKey::from_seed(&[d as u8 + 1; 32])).collect();
    for (d, key) in keys.iter().enumerate() {
        let code = EnrollmentCode::of(&key.public_key()).to_string();
        instances[0].approve(&Caller::Admin, &code, &format!("B-{d}"), "P-1").expect("approve");
    }
    // Signed before the clock starts: the devices sign, not the server.
    let batches: Vec<Vec<Vec<u8>>> = keys
        .iter()
        .enumerate()
        .map(|(d, key)| {
            let log = icaze_protocol::samples::sample_log(d as u8 + 1, &format!("B-{d}"), per_device, now());
            log.chunks(BATCH).map(|chunk| UploadBatch::sign(key, now(), chunk).expect("a batch")).collect()
        })
        .collect();
    let cpu_before = cpu_seconds(&[std::process::id()]);
    let started = Instant::now();
    let server_pids = || server.map(server_pids).unwrap_or_default();
    let server_before = cpu_seconds(&server_pids());
    let threads: Vec<_> = batches
        .into_iter()
        .enumerate()
        .map(|(d, batches)| {
            let service = Arc::clone(&instances[d % instances.len()]);
            std::thread::spawn(move || {
                for batch in batches {
                    let receipt = service.upload(&batch, Channel::Upload, None).expect("an upload");
                    assert_eq!(receipt.conflicts, 0);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("a device");
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_since(&cpu_before, &cpu_seconds(&[std::process::id()]));
    // A backend that ended during the run is missed (the pools keep theirs).
    let server_cpu = cpu_since(&server_before, &cpu_seconds(&server_pids()));
    let total = per_device * devices as u64;
    let stored: u64 = instances[0]
        .devices(&Caller::Admin, None, None)
        .expect("devices")
        .iter()
        .map(|d| {
            assert_eq!(d.row.high_water, per_device, "every record stored once");
            d.row.high_water
        })
        .sum();
    assert_eq!(stored, total);
    let per = |s: f64| s * 1e6 / total as f64;
    let in_server = match server {
        Some(_) => format!(", {:.0} µs in the PostgreSQL server", per(server_cpu)),
        None => String::new(),
    };
    println!(
        "{name}: {total} records in {seconds:.2} s, {:.0} records/s; CPU a record: {:.0} µs here{in_server}",
        total as f64 / seconds,
        per(cpu),
    );
}

fn main() {
    let devices = env("DEVICES", 8).clamp(1, 200);
    let records = env("RECORDS", 100_000).max(BATCH);
    let dir = tempfile::tempdir().expect("a directory");
    let keys = dir.path().join("authority");
    icaze_authority::Authority::init(&keys, now(), &Default::default()).expect("keys");

    let cluster = Arc::new(PgCluster::start().expect("a PostgreSQL cluster"));
    let pg = |url: &str| {
        let config = PgConfig::default();
        let permits = Arc::new(PgPermitStore::open(url, config.clone()).expect("open"));
        let store = PgSyncStore::open(url, config).expect("open");
        service(&keys, Box::new(store), permits)
    };
    let one = cluster.create_database().expect("a database");
    ingest("postgres, one instance (fsync off)", &[pg(&one.url())], Some(cluster.port()), devices, records);
    let two = cluster.create_database().expect("a database");
    ingest(
        "postgres, two instances (fsync off)",
        &[pg(&two.url()), pg(&two.url())],
        Some(cluster.port()),
        devices,
        records,
    );
    // Durable as SQLite's FULL: fsync and full-page writes back on (both reload without a restart).
    for sql in ["ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET full_page_writes = on", "SELECT pg_reload_conf()"] {
        cluster.psql("postgres", sql).expect("fsync on");
    }
    let durable = cluster.create_database().expect("a database");
    ingest("postgres, one instance (fsync on)", &[pg(&durable.url())], Some(cluster.port()), devices, records);

    let permits =
        Arc::new(SqlitePermitStore::open(&dir.path().join("icaze.db"), SqliteConfig::default()).expect("open"));
    let store = SqliteSyncStore::open(&dir.path().join("sync.db"), SqliteConfig::default()).expect("open");
    ingest("sqlite (synchronous = FULL)", &[service(&keys, Box::new(store), permits)], None, devices, records);
}
