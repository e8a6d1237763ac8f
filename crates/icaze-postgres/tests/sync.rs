//! The PostgreSQL sync store: the conformance suite every backend runs
//! (`icaze_sync_service::conformance`), then what only a shared database must
//! hold, through the sync service's own rules on two instances (two services,
//! each with its own pools, on one database): an upload sent to both at once
//! stored once, bundle versions and revocations consistent whichever builds
//! them, and the database stopped and restarted.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use icaze_core::{SecretKey, UtcMinute};
use icaze_permits::keys::KeyRing;
use icaze_permits::store::StoreError;
use icaze_permits::FixedClock;
use icaze_postgres::{OpenError, PgConfig, PgPermitStore, PgSyncStore};
use icaze_protocol::{EnrollmentCode, InspectionRecord, UploadBatch};
use icaze_sync_service::bundle::BundleAnswer;
use icaze_sync_service::conformance::{device, of, row, Backend};
use icaze_sync_service::store::{InspectionQuery, SyncStore};
use icaze_sync_service::{Caller, Channel, InspectionFilter, RevokeTarget, SyncError, SyncLimits, SyncService};
use icaze_testkit::postgres::{PgCluster, PgDatabase};

/// Each database a fresh one in the cluster this test process shares.
struct Postgres;

fn database() -> PgDatabase {
    PgCluster::shared().expect("a PostgreSQL cluster").create_database().expect("a database")
}

impl Backend for Postgres {
    type Database = PgDatabase;
    type Store = PgSyncStore;
    type Permits = PgPermitStore;

    fn database(&self) -> PgDatabase {
        database()
    }

    fn open(&self, database: &PgDatabase) -> PgSyncStore {
        PgSyncStore::open(&database.url(), PgConfig::default()).expect("open the store")
    }

    fn permits(&self, database: &PgDatabase) -> PgPermitStore {
        PgPermitStore::open(&database.url(), PgConfig::default()).expect("open the store")
    }
}

icaze_sync_service::sync_store_conformance!(Postgres);

fn now() -> UtcMinute {
    UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").unwrap()
}

/// The authority's keys, in a directory of their own.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        icaze_authority::Authority::init(&dir.path().join("authority"), now(), &Default::default()).unwrap();
        Keys { dir }
    }

    /// One instance of the sync service on the database at `url`.
    fn instance(&self, url: &str, config: PgConfig) -> SyncService<PgPermitStore> {
        let permits = Arc::new(PgPermitStore::open(url, config.clone()).unwrap());
        let store = PgSyncStore::open(url, config).unwrap();
        SyncService::new(
            Box::new(store),
            permits,
            Arc::new(KeyRing::load(&self.dir.path().join("authority")).unwrap()),
            None,
            Arc::new(FixedClock::new(now())),
            "admin".into(),
        )
        .with_limits(SyncLimits::unlimited_rates())
    }
}

fn two_instances(keys: &Keys, db: &PgDatabase) -> [Arc<SyncService<PgPermitStore>>; 2] {
    let config = PgConfig { pool_size: 8, ..PgConfig::default() };
    [Arc::new(keys.instance(&db.url(), config.clone())), Arc::new(keys.instance(&db.url(), config))]
}

/// An approved device's key and id, approved through `service`.
fn approved(service: &SyncService<PgPermitStore>) -> (SecretKey, String) {
    approved_as(service, 7)
}

/// The device of the key of seed `seed` (all bytes) approved through `service`.
fn approved_as(service: &SyncService<PgPermitStore>, seed: u8) -> (SecretKey, String) {
    let key = SecretKey::from_seed(&[seed; 32]);
    let code = EnrollmentCode::of(&key.public_key()).to_string();
    let (_, view) = service.approve(&Caller::Admin, &code, "B-1", "P-1").unwrap();
    (key, view.row.device_id)
}

/// The device's stored records, ascending by seq.
fn stored(service: &SyncService<PgPermitStore>, device_id: &str) -> Vec<InspectionRecord> {
    let filter = InspectionFilter { device: Some(device_id.into()), limit: Some(10_000), ..Default::default() };
    let mut records: Vec<InspectionRecord> =
        service.inspections(&Caller::Admin, &filter).unwrap().records.into_iter().map(|(_, _, r)| r).collect();
    records.sort_by_key(|r| r.seq);
    records
}

/// Regression test of issue 21: the same uploads (whole, and overlapping
/// halves) sent to two instances at once, each several times: every one is
/// acknowledged, the log is stored once, chained, and the counts add up:
/// each record accepted exactly once across all the receipts.
#[test]
fn issue_21_uploads_replayed_to_two_instances_at_once_are_stored_once() {
    let db = database();
    let keys = Keys::new();
    let instances = two_instances(&keys, &db);
    let (key, device_id) = approved(&instances[0]);
    let log = icaze_protocol::samples::sample_log(1, "B-1", 300, now());
    let batches: Vec<Vec<u8>> = [&log[..200], &log[100..], &log[..]]
        .iter()
        .map(|records| UploadBatch::sign(&key, now(), records).unwrap())
        .collect();
    let sends: Vec<(usize, usize)> = (0..12).map(|i| (i % 3, i % 2)).collect();
    let start = Arc::new(Barrier::new(sends.len()));
    let threads: Vec<_> = sends
        .iter()
        .map(|&(batch, instance)| {
            let (service, bytes, start) = (Arc::clone(&instances[instance]), batches[batch].clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                service.upload(&bytes, Channel::Upload, None)
            })
        })
        .collect();
    let receipts: Vec<_> = threads.into_iter().map(|t| t.join().unwrap().expect("an upload")).collect();
    let accepted: u64 = receipts.iter().map(|r| r.accepted).sum();
    assert_eq!(accepted, 300, "{receipts:?}");
    for (receipt, &(batch, _)) in receipts.iter().zip(&sends) {
        let n = [200, 200, 300][batch];
        assert_eq!(receipt.accepted + receipt.duplicates, n, "{receipt:?}");
        assert_eq!(receipt.conflicts, 0);
        assert_eq!(receipt.acknowledged_seq, [200, 300, 300][batch]);
    }
    assert_eq!(db.psql("SELECT count(*), count(DISTINCT seq) FROM sync_inspections").unwrap(), "300|300");
    assert_eq!(db.psql("SELECT count(*) FROM sync_conflicts").unwrap(), "0");
    assert_eq!(stored(&instances[1], &device_id), log);
    let row = instances[1].store_device(&device_id);
    assert_eq!((row.high_water, row.max_seq, row.fork_seq), (300, 300, None));
}

/// What the tests read of a device through the service's store.
trait StoreDevice {
    fn store_device(&self, device_id: &str) -> icaze_sync_service::store::DeviceRow;
}

impl StoreDevice for SyncService<PgPermitStore> {
    fn store_device(&self, device_id: &str) -> icaze_sync_service::store::DeviceRow {
        let views = self.devices(&Caller::Admin, None, None).unwrap();
        views.into_iter().find(|v| v.row.device_id == device_id).expect("the device").row
    }
}

/// The bundle of a service, as built.
fn built(answer: BundleAnswer) -> Arc<icaze_sync_service::bundle::BuiltBundle> {
    match answer {
        BundleAnswer::Bundle(built) => built,
        other => panic!("{other:?}"),
    }
}

/// Regression test of issue 21: 16 first bundle requests at once on two
/// instances of a fresh database make one version, not one an instance;
/// then revocations at once (20 serials, and one serial by four callers):
/// each revoked once, each in a version of its own, one after the other; and
/// both instances sign the same bytes for the same bundle.
#[test]
fn issue_21_bundles_and_revocations_at_once_on_two_instances_keep_one_sequence_of_versions() {
    let db = database();
    let keys = Keys::new();
    let instances = two_instances(&keys, &db);
    let start = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let (service, start) = (Arc::clone(&instances[i % 2]), start.clone());
            std::thread::spawn(move || {
                start.wait();
                built(service.bundle(None).unwrap())
            })
        })
        .collect();
    let first: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(first.iter().all(|b| b.version == 1 && b.bytes == first[0].bytes && b.etag == first[0].etag));
    assert_eq!(db.psql("SELECT version FROM sync_bundle_state").unwrap(), "1");

    let targets: Vec<u32> = (1..=20).chain([999; 4]).collect();
    let start = Arc::new(Barrier::new(targets.len()));
    let threads: Vec<_> = targets
        .iter()
        .enumerate()
        .map(|(i, &serial)| {
            let (service, start) = (Arc::clone(&instances[i % 2]), start.clone());
            std::thread::spawn(move || {
                start.wait();
                service.revoke(&Caller::Admin, RevokeTarget::Serial(serial), "stolen").unwrap()
            })
        })
        .collect();
    let answers: Vec<(Vec<u32>, u64)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let fresh: Vec<&(Vec<u32>, u64)> = answers.iter().filter(|(serials, _)| !serials.is_empty()).collect();
    assert_eq!(fresh.len(), 21, "{answers:?}");
    let mut versions: Vec<u64> = fresh.iter().map(|(_, v)| *v).collect();
    versions.sort_unstable();
    assert_eq!(versions, (2..=22).collect::<Vec<u64>>(), "one version each, one after the other");
    // Each revocation is stored with the version its request was answered.
    for (serials, version) in &fresh {
        let listed = instances[0].revocations(&Caller::Admin, version - 1).unwrap();
        let of_version: Vec<u32> = listed.iter().filter(|r| r.version == *version).map(|r| r.serial).collect();
        assert_eq!(&of_version, serials);
    }
    assert_eq!(db.psql("SELECT count(*) FROM sync_revocations WHERE serial = 999").unwrap(), "1");

    // The same full bundle and the same delta from both, byte for byte.
    let full = [built(instances[0].bundle(None).unwrap()), built(instances[1].bundle(None).unwrap())];
    assert_eq!(full[0].version, 22);
    assert_eq!((&full[0].etag, &full[0].bytes), (&full[1].etag, &full[1].bytes));
    let delta = [built(instances[1].bundle(Some(12)).unwrap()), built(instances[0].bundle(Some(12)).unwrap())];
    assert_eq!((delta[0].base, delta[0].version), (Some(12), 22));
    assert_eq!((&delta[0].etag, &delta[0].bytes), (&delta[1].etag, &delta[1].bytes));
}

/// Stops the cluster in the middle of the work of a write: the write fails,
/// and nothing of it is there after the restart.
fn write_cut_by_a_stop(store: &PgSyncStore, cluster: &PgCluster) -> Result<(), StoreError> {
    store.write(&mut |tx| {
        tx.insert_inspections(&of("D", vec![row(3), row(4)]))?;
        cluster.stop().expect("stop the cluster");
        tx.put_device(&icaze_sync_service::store::DeviceRow { max_seq: 4, ..device("D") })
    })
}

/// Regression test of issue 21: the database stopped: every call of the
/// store and of the service is a typed error (no panic, no upload
/// acknowledged), a store cannot open, a write cut by the stop leaves nothing;
/// after a restart the same instances work again without a restart of their
/// own, and the upload refused before goes in whole.
#[test]
fn issue_21_the_database_stopped_gives_typed_errors_and_nothing_half_written() {
    // A cluster of its own: this test stops it.
    let cluster = Arc::new(PgCluster::start().unwrap());
    let db = cluster.create_database().unwrap();
    let config = PgConfig { connect_timeout: Duration::from_secs(2), ..PgConfig::default() };
    let keys = Keys::new();
    let service = keys.instance(&db.url(), config.clone());
    let store = PgSyncStore::open(&db.url(), config.clone()).unwrap();
    let (key, device_id) = approved(&service);
    let log = icaze_protocol::samples::sample_log(1, "B-1", 100, now());
    let first = service.upload(&UploadBatch::sign(&key, now(), &log[..50]).unwrap(), Channel::Upload, None).unwrap();
    assert_eq!(first.accepted, 50);
    store.write(&mut |tx| tx.put_device(&device("D"))).unwrap();
    store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(1), row(2)]))).unwrap();

    let cut = write_cut_by_a_stop(&store, &cluster);
    assert!(matches!(cut, Err(StoreError::Database(_))), "{cut:?}");
    let second = UploadBatch::sign(&key, now(), &log[50..]).unwrap();
    let refused = service.upload(&second, Channel::Upload, None);
    assert!(matches!(refused, Err(SyncError::Store(StoreError::Database(_)))), "{refused:?}");
    let revoked = service.revoke(&Caller::Admin, RevokeTarget::Serial(5), "stolen");
    assert!(matches!(revoked, Err(SyncError::Store(_))), "{revoked:?}");
    assert!(matches!(service.bundle(None), Err(SyncError::Store(_))));
    assert!(matches!(service.devices(&Caller::Admin, None, None), Err(SyncError::Store(_))));
    assert!(matches!(store.device("D"), Err(StoreError::Database(_))));
    assert!(store.inspections(&InspectionQuery { limit: 10, ..Default::default() }).is_err());
    assert!(store.bundle_state().is_err());
    assert!(store.audit_entries(0, 10).is_err());
    let unreachable = PgSyncStore::open(&db.url(), config);
    assert!(matches!(unreachable, Err(OpenError::Store(StoreError::Database(_)))), "{unreachable:?}");

    cluster.restart().unwrap();
    // Nothing of the cut write: records 3 and 4 are not there, the device is as before.
    assert_eq!(store.device("D").unwrap().map(|d| d.max_seq), Some(0));
    let mut seqs = Vec::new();
    store
        .write(&mut |tx| {
            seqs = tx.seqs_after("D", 0, 100)?;
            Ok(())
        })
        .unwrap();
    assert_eq!(seqs, [1, 2]);
    assert!(!service.is_revoked(5).unwrap());
    let again = service.upload(&second, Channel::Upload, None).unwrap();
    assert_eq!((again.accepted, again.duplicates, again.acknowledged_seq), (50, 0, 100));
    assert_eq!(stored(&service, &device_id), log);
    assert_eq!(db.psql("SELECT count(*), count(DISTINCT (device_id, seq)) FROM sync_inspections").unwrap(), "102|102");
}

/// A database whose sync schema is newer than this build is refused; the
/// permits schema beside it is another store's, migrated on its own.
#[test]
fn a_newer_sync_schema_is_refused_and_the_stores_migrate_side_by_side() {
    let db = database();
    drop(PgSyncStore::open(&db.url(), PgConfig::default()).unwrap());
    drop(PgPermitStore::open(&db.url(), PgConfig::default()).unwrap());
    assert_eq!(
        db.psql("SELECT store, version FROM schema_version ORDER BY store").unwrap(),
        "permits|8
sync|4"
    );
    db.psql("UPDATE schema_version SET version = 5 WHERE store = 'sync'").unwrap();
    let refused = PgSyncStore::open(&db.url(), PgConfig::default()).unwrap_err();
    assert!(matches!(refused, OpenError::Newer { store: "sync", found: 5, known: 4 }), "{refused:?}");
    // The permits store's schema is its own: it still opens.
    assert!(PgPermitStore::open(&db.url(), PgConfig::default()).is_ok());
    // The log and the audit trail refuse changes.
    db.psql("UPDATE schema_version SET version = 4 WHERE store = 'sync'").unwrap();
    let sync = PgSyncStore::open(&db.url(), PgConfig::default()).unwrap();
    sync.write(&mut |tx| {
        tx.put_device(&device("D"))?;
        tx.insert_inspections(&of("D", vec![row(1)]))
    })
    .unwrap();
    for sql in ["UPDATE sync_inspections SET officer = 'X'", "DELETE FROM sync_inspections", "TRUNCATE sync_audit"] {
        let refused = db.psql(sql).unwrap_err().to_string();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    assert_eq!(db.psql("SELECT count(*) FROM sync_inspections").unwrap(), "1");
}

/// Rows that do not read back (a foreign or damaged database) are a
/// `StoreError::Damaged`, never a panic.
#[test]
fn stored_rows_that_do_not_read_are_damaged_not_a_panic() {
    let db = database();
    let store = PgSyncStore::open(&db.url(), PgConfig::default()).unwrap();
    store.write(&mut |tx| tx.put_device(&device("D"))).unwrap();
    db.psql("UPDATE sync_devices SET public_key = '\\x0102', high_water = -1").unwrap();
    assert!(matches!(store.device("D"), Err(StoreError::Damaged(_))));
    db.psql("UPDATE sync_bundle_state SET version = -3").unwrap();
    assert!(matches!(store.bundle_state(), Err(StoreError::Damaged(_))));
    db.psql("ALTER TABLE sync_revocations ALTER COLUMN serial TYPE text").unwrap();
    db.psql("INSERT INTO sync_revocations VALUES ('x', 1, 0, 'a', 'b', NULL)").unwrap();
    assert!(matches!(store.revoked_serials(0, 9), Err(StoreError::Damaged(_))));
}

/// Regression test of issue 21: the database stopped while four devices
/// upload through two instances. After the restart every upload that was
/// acknowledged is stored, each record once; what was not acknowledged is
/// either not stored or stored whole (a commit whose answer was lost), and the
/// devices' retries complete their logs with nothing twice.
#[test]
fn issue_21_every_acknowledged_upload_is_stored_once_when_the_database_stops_mid_flight() {
    const DEVICES: u8 = 4;
    const BATCH: usize = 20;
    let cluster = Arc::new(PgCluster::start().unwrap());
    let db = cluster.create_database().unwrap();
    let keys = Keys::new();
    let config = PgConfig { connect_timeout: Duration::from_secs(2), pool_size: 4, ..PgConfig::default() };
    let instances =
        [Arc::new(keys.instance(&db.url(), config.clone())), Arc::new(keys.instance(&db.url(), config.clone()))];
    let devices: Vec<_> = (1..=DEVICES).map(|d| approved_as(&instances[0], d)).collect();
    let logs: Vec<_> =
        (1..=DEVICES).map(|d| icaze_protocol::samples::sample_log(d, "B-1", 2000, now())).collect::<Vec<_>>();
    let acknowledged = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let threads: Vec<_> = devices
        .iter()
        .zip(&logs)
        .enumerate()
        .map(|(d, (_, log))| {
            // The key of `approved_as(.., d + 1)`.
            let key = SecretKey::from_seed(&[d as u8 + 1; 32]);
            let (log, acknowledged) = (log.clone(), Arc::clone(&acknowledged));
            let instances = instances.clone();
            std::thread::spawn(move || {
                let mut acked = 0u64;
                for (b, chunk) in log.chunks(BATCH).enumerate() {
                    let batch = UploadBatch::sign(&key, now(), chunk).unwrap();
                    match instances[(d + b) % 2].upload(&batch, Channel::Upload, None) {
                        Ok(receipt) => {
                            assert_eq!((receipt.accepted, receipt.conflicts), (BATCH as u64, 0));
                            acked = receipt.acknowledged_seq;
                            acknowledged.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        Err(SyncError::Store(_)) => break,
                        Err(other) => panic!("{other:?}"),
                    }
                }
                acked
            })
        })
        .collect();
    while acknowledged.load(std::sync::atomic::Ordering::SeqCst) < 20 {
        std::thread::sleep(Duration::from_millis(5));
    }
    cluster.stop().unwrap();
    let acked: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(acked.iter().all(|&a| a < 2000), "the stop came after every upload: {acked:?}");
    cluster.restart().unwrap();
    for (((key, device_id), log), &acked) in devices.iter().zip(&logs).zip(&acked) {
        let stored_now = stored(&instances[1], device_id);
        assert!(stored_now.len() as u64 >= acked, "{device_id}: acknowledged {acked}, stored {}", stored_now.len());
        assert!(stored_now.len() as u64 <= acked + BATCH as u64, "at most the batch in flight");
        assert_eq!(stored_now[..], log[..stored_now.len()], "a prefix of the log, each record once");
        // The device sends again everything after its acknowledged seq.
        let rest = UploadBatch::sign(key, now(), &log[acked as usize..(acked as usize + 500).min(2000)]).unwrap();
        let receipt = instances[0].upload(&rest, Channel::Upload, None).unwrap();
        assert_eq!(receipt.duplicates, stored_now.len() as u64 - acked);
        assert_eq!(receipt.conflicts, 0);
    }
    let total: u64 = acked.iter().map(|a| (a + 500).min(2000)).sum();
    assert_eq!(
        db.psql("SELECT count(*), count(DISTINCT (device_id, seq)) FROM sync_inspections").unwrap(),
        format!("{total}|{total}")
    );
}

/// Regression test of issue 21: every instance runs the deny-list applier.
/// While another holds the applier's turn an instance applies nothing; two
/// appliers started at once on two instances, three rounds each, revoke every
/// denied person's permits once, with one audit entry a person.
#[test]
fn issue_21_two_deny_list_appliers_at_once_revoke_and_audit_each_denial_once() {
    use icaze_permits::store::PermitStore as _;
    let db = database();
    let keys = Keys::new();
    let instances = two_instances(&keys, &db);
    let permits = PgPermitStore::open(&db.url(), PgConfig::default()).unwrap();
    let documents: Vec<String> = (0..40).map(|i| format!("AZE{:08}", 30_000_000 + i)).collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let serials = runtime.block_on(permits.reserve_serials(3 * 40)).unwrap();
    let records: Vec<_> = serials
        .clone()
        .map(|serial| {
            let document = &documents[((serial - serials.start) / 3) as usize];
            icaze_permits::conformance::sms_permit(serial, document, "", now())
        })
        .collect();
    runtime.block_on(permits.record_issued_many(records)).unwrap();
    let csv: String = documents.iter().map(|d| format!("{d},infected,\n")).collect();
    permits.import_denials(&format!("document,reason,until\n{csv}")).unwrap();

    // Another instance's applier at work: this one leaves the round to it.
    let turn = permits.lock_denials().unwrap().expect("the turn is free");
    assert_eq!(instances[0].apply_denials().unwrap(), Vec::<u32>::new());
    assert_eq!(permits.denials_to_apply(100).unwrap().len(), 40, "left for the holder");
    drop(turn);

    let at_once = Arc::new(Barrier::new(2));
    let revoked: Vec<u32> = instances
        .iter()
        .map(|instance| {
            let (instance, at_once) = (instance.clone(), at_once.clone());
            std::thread::spawn(move || {
                at_once.wait();
                (0..3).flat_map(|_| instance.apply_denials().unwrap()).collect::<Vec<u32>>()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let mut sorted = revoked.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, serials.collect::<Vec<u32>>(), "each serial revoked once, by one applier");
    assert!(permits.denials_to_apply(100).unwrap().is_empty());
    let rows = instances[1].revocations(&Caller::Admin, 0).unwrap();
    assert_eq!(rows.len(), 120);
    assert!(rows.iter().all(|r| r.by == "deny-list"));
    let audited = instances[0].audit_trail(&Caller::Admin, 0, 1000).unwrap();
    let by_deny_list: Vec<_> = audited.iter().filter(|(_, a)| a.who == "deny-list" && a.what == "revoked").collect();
    assert_eq!(by_deny_list.len(), 40, "one audit entry a person: {by_deny_list:?}");
    for document in &documents {
        let entries = by_deny_list.iter().filter(|(_, a)| a.details.contains(document.as_str())).count();
        assert_eq!(entries, 1, "{document}");
    }
}

/// Issue 23's follow-up: the applier revokes a round of the queue in one
/// transaction of the sync store, so a round of N documents makes exactly one
/// bundle version, with one audit entry a document and its reason; the same
/// documents queued again (a round applied again) revoke and audit nothing,
/// and make no version.
#[test]
fn issue_23_a_round_of_documents_makes_one_bundle_version_with_an_audit_entry_a_document() {
    use icaze_permits::store::PermitStore as _;
    let db = database();
    let keys = Keys::new();
    let instances = two_instances(&keys, &db);
    let permits = PgPermitStore::open(&db.url(), PgConfig::default()).unwrap();
    let documents: Vec<String> = (0..50).map(|i| format!("AZE{:08}", 40_000_000 + i)).collect();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Two permits for each of the first 30 documents; the other 20 hold none.
    let serials = runtime.block_on(permits.reserve_serials(2 * 30)).unwrap();
    let records: Vec<_> = serials
        .clone()
        .map(|serial| {
            let document = &documents[((serial - serials.start) / 2) as usize];
            icaze_permits::conformance::sms_permit(serial, document, "", now())
        })
        .collect();
    runtime.block_on(permits.record_issued_many(records)).unwrap();
    let before = instances[0].revocations(&Caller::Admin, 0).unwrap();
    assert!(before.is_empty());
    let csv: String = documents.iter().map(|d| format!("{d},infected,\n")).collect();
    permits.import_denials(&format!("document,reason,until\n{csv}")).unwrap();

    let mut revoked = instances[0].apply_denials().unwrap();
    revoked.sort_unstable();
    assert_eq!(revoked, serials.clone().collect::<Vec<u32>>());
    let rows = instances[1].revocations(&Caller::Admin, 0).unwrap();
    assert_eq!(rows.len(), 60);
    let version = rows[0].version;
    assert!(rows.iter().all(|r| r.version == version), "one bundle version for the round");
    assert!(rows.iter().all(|r| r.by == "deny-list" && r.reason == "put on the deny list"));
    let audited = instances[0].audit_trail(&Caller::Admin, 0, 1000).unwrap();
    let revocations: Vec<_> = audited.iter().filter(|(_, a)| a.what == "revoked").collect();
    assert_eq!(revocations.len(), 30, "one audit entry a document that held permits");
    for document in &documents[..30] {
        let entries: Vec<_> = revocations.iter().filter(|(_, a)| a.details.contains(document.as_str())).collect();
        assert_eq!(entries.len(), 1, "{document}");
        assert!(entries[0].1.details.contains("put on the deny list"), "{:?}", entries[0]);
        let details = &entries[0].1.details;
        assert!(
            details.contains(&format!("\"version\":{version}")) || details.contains(&format!("\"version\": {version}")),
            "{details}"
        );
    }

    // Queued again: nothing new, no version, no audit entry.
    permits.import_denials(&format!("document,reason,until\n{csv}")).unwrap();
    assert_eq!(instances[1].apply_denials().unwrap(), Vec::<u32>::new());
    assert!(permits.denials_to_apply(100).unwrap().is_empty());
    assert_eq!(instances[0].revocations(&Caller::Admin, version).unwrap(), Vec::new());
    let again = instances[0].audit_trail(&Caller::Admin, 0, 1000).unwrap();
    assert_eq!(again.iter().filter(|(_, a)| a.what == "revoked").count(), 30);
}
