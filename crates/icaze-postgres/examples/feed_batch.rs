//! A deny-list feed batch of 100,000 rows applied, and the revocations it
//! causes, on SQLite or on PostgreSQL (`docs/feeds.md`, figures in
//! `docs/benchmarks.md`): 100,000 people in the registry, `HOLDERS` of them
//! (default 10,000) holding a live permit; the batch denies all 100,000
//! through `SyncService::feed_batch` (credential, parsing, hashing, the
//! store's one transaction), then `SyncService::apply_denials` revokes the
//! holders' permits. Prints the time of each and the process's peak resident
//! memory (`VmHWM`) before and after. One backend a run, so that each peak is
//! its own; PostgreSQL is a throwaway cluster with `fsync` on.
//!
//! ```text
//! cargo run --release -p icaze-postgres --example feed_batch -- sqlite
//! cargo run --release -p icaze-postgres --example feed_batch -- postgres
//! ```

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use icaze_core::{PermitSerial, UtcMinute, ZoneId};
use icaze_permits::keys::KeyRing;
use icaze_permits::store::{PermitRecord, PermitStore};
use icaze_permits::FixedClock;
use icaze_postgres::{PgConfig, PgPermitStore, PgSyncStore};
use icaze_sqlite::permits::SqlitePermitStore;
use icaze_sqlite::sync::SqliteSyncStore;
use icaze_sqlite::SqliteConfig;
use icaze_sync_service::store::SyncStore;
use icaze_sync_service::{Caller, SyncLimits, SyncService};
use icaze_testkit::postgres::PgCluster;

const ROWS: u32 = 100_000;

fn now() -> UtcMinute {
    UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").expect("a time")
}

/// The process's peak resident memory so far, in MiB.
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn document(i: u32) -> String {
    format!("AZE{:08}", 60_000_000 + i)
}

/// The registry, the holders' permits, then the batch and the applier.
fn run<S: PermitStore>(
    rt: &tokio::runtime::Runtime,
    name: &str,
    permits: Arc<S>,
    sync: Box<dyn SyncStore>,
    holders: u32,
    import: impl Fn(&str),
) {
    let keys = tempfile::tempdir().expect("a directory");
    let authority = keys.path().join("authority");
    icaze_authority::Authority::init(&authority, now(), &Default::default()).expect("an authority");
    let service = SyncService::new(
        sync,
        permits.clone(),
        Arc::new(KeyRing::load(&authority).expect("keys")),
        None,
        Arc::new(FixedClock::new(now())),
        "admin".into(),
    )
    .with_limits(SyncLimits::unlimited_rates());
    let mut people = String::from("document,birth_date,zone\n");
    for i in 0..ROWS {
        let _ = writeln!(people, "{},1980-01-01,{}", document(i), 1 + i % 17);
    }
    import(&people);
    drop(people);
    let range = rt.block_on(permits.reserve_serials(holders)).expect("serials");
    let zone = ZoneId::new(1).expect("zone 1");
    let issued: Vec<PermitRecord> = (0..holders)
        .map(|i| PermitRecord {
            serial: PermitSerial(range.start + i),
            document: document(i * (ROWS / holders.max(1))),
            code: 0,
            purpose: 3,
            zone,
            key_id: 1,
            issued_at: now(),
            valid_from: now(),
            valid_until: now().checked_add(24 * 60).expect("in range"),
            phone: String::new(),
            token: format!("IZ2-{i}"),
        })
        .collect();
    for chunk in issued.chunks(5000) {
        rt.block_on(permits.record_issued_many(chunk.to_vec())).expect("permits");
    }
    let (_, token) = service.add_feed(&Caller::Admin, "etabib", "deny", None).expect("a feed");
    let mut batch = String::from("op,document,reason,until\n");
    for i in 0..ROWS {
        let _ = writeln!(batch, "add,{},positive PCR,", document(i));
    }
    let before = peak_mib();
    let bearer = format!("Bearer {token}");
    let started = Instant::now();
    let receipt = service.feed_batch(Some(&bearer), "deny", "bench-1", batch.as_bytes()).expect("applied");
    let applied = started.elapsed().as_secs_f64();
    assert_eq!(receipt.record.added, ROWS);
    let after_batch = peak_mib();
    let started = Instant::now();
    let revoked = service.apply_denials().expect("revoked");
    let revoking = started.elapsed().as_secs_f64();
    assert_eq!(revoked.len(), holders as usize);
    println!(
        "{name}: batch of {ROWS} rows ({} bytes) applied in {applied:.2} s; {} permits of {holders} holders revoked in \
         {revoking:.2} s; peak RSS {before:.0} MiB before the batch, {after_batch:.0} MiB after it, {:.0} MiB after \
         the revocations",
        batch.len(),
        revoked.len(),
        peak_mib()
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    let backend = std::env::args().nth(1).unwrap_or_else(|| "sqlite".into());
    let holders: u32 = std::env::var("HOLDERS").ok().and_then(|h| h.parse().ok()).unwrap_or(10_000);
    match backend.as_str() {
        "sqlite" => {
            let dir = tempfile::tempdir().expect("a directory");
            let config = SqliteConfig::default();
            let permits =
                Arc::new(SqlitePermitStore::open(&dir.path().join("icaze.db"), config.clone()).expect("open"));
            let sync = SqliteSyncStore::open(&dir.path().join("sync.db"), config).expect("open");
            let importer = permits.clone();
            let import = move |csv: &str| assert!(importer.import_people(csv).expect("import").problems.is_empty());
            run(&rt, "sqlite (synchronous FULL)", permits, Box::new(sync), holders, import);
        }
        "postgres" => {
            let cluster = Arc::new(PgCluster::start().expect("a PostgreSQL cluster"));
            cluster.psql("postgres", "ALTER SYSTEM SET fsync = on").expect("fsync on");
            cluster.psql("postgres", "ALTER SYSTEM SET full_page_writes = on").expect("full-page writes on");
            cluster.psql("postgres", "SELECT pg_reload_conf()").expect("reload");
            let db = cluster.create_database().expect("a database");
            let permits = Arc::new(PgPermitStore::open(&db.url(), PgConfig::default()).expect("open"));
            let sync = PgSyncStore::open(&db.url(), PgConfig::default()).expect("open");
            let importer = permits.clone();
            let import = move |csv: &str| assert!(importer.import_people(csv).expect("import").problems.is_empty());
            run(&rt, "postgres (fsync on)", permits, Box::new(sync), holders, import);
        }
        other => panic!("{other:?}: sqlite or postgres"),
    }
}
