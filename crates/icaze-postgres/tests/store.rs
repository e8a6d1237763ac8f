//! The PostgreSQL permits store: the conformance suite every backend runs
//! (`icaze_permits::conformance`), then what only a shared database must hold:
//! the limits and the serials across two instances under concurrent requests, a
//! database that stops and comes back, and migrations.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use icaze_core::PermitSerial;
use icaze_permits::conformance::{limits, sms_permit, Backend};
use icaze_permits::replace::{ReplaceError, ReplaceLimits, ReplaceProgress, ReplaceReport};
use icaze_permits::store::{ImportReport, Limits, PermitStore, Recorded, StoreError};
use icaze_postgres::{MigrationError, OpenError, PgConfig, PgPermitStore};
use icaze_testkit::postgres::{PgCluster, PgDatabase};

/// Each database a fresh one in the cluster this test process shares.
struct Postgres;

fn database() -> PgDatabase {
    PgCluster::shared().expect("a PostgreSQL cluster").create_database().expect("a database")
}

fn open(db: &PgDatabase) -> PgPermitStore {
    PgPermitStore::open(&db.url(), PgConfig::default()).expect("open the store")
}

impl Backend for Postgres {
    type Database = PgDatabase;
    type Store = PgPermitStore;

    fn database(&self) -> PgDatabase {
        database()
    }

    fn open(&self, database: &PgDatabase) -> PgPermitStore {
        open(database)
    }

    fn import_people(&self, store: &PgPermitStore, csv: &str) -> ImportReport {
        store.import_people(csv).expect("import people")
    }

    fn import_denials(&self, store: &PgPermitStore, csv: &str) -> ImportReport {
        store.import_denials(csv).expect("import denials")
    }

    fn import_phones(&self, store: &PgPermitStore, csv: &str) -> ImportReport {
        store.import_phones(csv).expect("import phones")
    }

    fn replace_people(
        &self,
        store: &PgPermitStore,
        csv: &str,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        store.replace_people(csv.as_bytes(), limits, progress)
    }

    fn replace_people_job(
        &self,
        store: &PgPermitStore,
        csv: &str,
        job: &icaze_permits::replace::JobStart<'_>,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        store.replace_people_job(csv.as_bytes(), job, limits, progress)
    }

    fn replacement_job(
        &self,
        store: &PgPermitStore,
        id: Option<icaze_permits::replace::JobId>,
    ) -> Result<Option<icaze_permits::replace::ReplacementJob>, icaze_permits::store::StoreError> {
        store.replacement_job(id)
    }
}

icaze_permits::permit_store_conformance!(Postgres);

fn noon() -> icaze_core::UtcMinute {
    icaze_core::UtcMinute::parse_rfc3339("2020-12-14T12:00:00+04:00").unwrap()
}

/// Sends `requests` at once, alternating between two stores (two servers on
/// one database); the answers by serial.
async fn at_once(
    stores: &[Arc<PgPermitStore>; 2],
    requests: Vec<(icaze_permits::store::PermitRecord, Limits)>,
) -> Vec<(u32, Recorded)> {
    let tasks: Vec<_> = requests
        .into_iter()
        .enumerate()
        .map(|(i, (permit, limits))| {
            let store = Arc::clone(&stores[i % 2]);
            tokio::spawn(async move {
                let serial = permit.serial.0;
                (serial, store.record_permit(permit, limits).await.expect("record"))
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("the task"));
    }
    answers
}

fn two_instances(db: &PgDatabase) -> [Arc<PgPermitStore>; 2] {
    let config = PgConfig { pool_size: 8, ..PgConfig::default() };
    [
        Arc::new(PgPermitStore::open(&db.url(), config.clone()).unwrap()),
        Arc::new(PgPermitStore::open(&db.url(), config).unwrap()),
    ]
}

/// Regression test of issue 21: the once-a-day rule held by the database, not a
/// process: 100 requests for one document at once on two instances give exactly
/// the allowed number of permits, and every refusal names one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issue_21_a_hundred_requests_for_one_document_on_two_instances_give_exactly_the_limit() {
    let db = database();
    let stores = two_instances(&db);
    let at = noon();
    let limits = limits(at, 3, 1000);
    let requests =
        (1..=100).map(|serial| (sms_permit(serial, "AZE10000001", &format!("99450{serial:07}"), at), limits)).collect();
    let answers = at_once(&stores, requests).await;
    let issued: BTreeSet<u32> = answers.iter().filter(|(_, r)| *r == Recorded::Issued).map(|(s, _)| *s).collect();
    assert_eq!(issued.len(), 3, "{answers:?}");
    for (serial, answer) in &answers {
        match answer {
            Recorded::Issued => {}
            Recorded::DocumentLimit { last: Some(last) } => {
                assert!(issued.contains(&last.serial.0), "{serial}: {last:?} is not one issued")
            }
            other => panic!("{serial}: {other:?}"),
        }
    }
    assert_eq!(stores[0].permit_count().unwrap(), 3);
    let valid: BTreeSet<u32> = stores[1].valid_permits("AZE10000001", at).unwrap().iter().map(|s| s.0).collect();
    assert_eq!(valid, issued);
    // The refused requests took nothing from their phones.
    assert_eq!(db.psql("SELECT sum(count) FROM phone_day").unwrap(), "3");
}

/// The phone's limit the same way: 100 documents from one phone at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issue_21_a_hundred_documents_from_one_phone_on_two_instances_give_exactly_the_limit() {
    let db = database();
    let stores = two_instances(&db);
    let at = noon();
    let limits = limits(at, 1, 4);
    let requests =
        (1..=100).map(|serial| (sms_permit(serial, &format!("AZE{serial:08}"), "994500000001", at), limits)).collect();
    let answers = at_once(&stores, requests).await;
    let issued = answers.iter().filter(|(_, r)| *r == Recorded::Issued).count();
    assert_eq!(issued, 4, "{answers:?}");
    assert!(answers.iter().all(|(_, r)| matches!(r, Recorded::Issued | Recorded::PhoneLimit)), "{answers:?}");
    assert_eq!(stores[1].permit_count().unwrap(), 4);
    // Documents refused for the phone were not counted.
    assert_eq!(db.psql("SELECT count(*) FROM document_day").unwrap(), "4");
}

/// Many replacements of one permit at once on two instances: exactly one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issue_21_concurrent_replacements_of_one_permit_replace_it_once() {
    let db = database();
    let stores = two_instances(&db);
    let at = noon();
    let daily = limits(at, 1, 1000);
    assert_eq!(
        stores[0].record_permit(sms_permit(1, "AZE10000001", "994500000001", at), daily).await.unwrap(),
        Recorded::Issued
    );
    let replacing = Limits { replaces: Some(PermitSerial(1)), ..daily };
    let requests = (2..=41).map(|serial| (sms_permit(serial, "AZE10000001", "994500000001", at), replacing)).collect();
    let answers = at_once(&stores, requests).await;
    let issued: Vec<u32> = answers.iter().filter(|(_, r)| *r == Recorded::Issued).map(|(s, _)| *s).collect();
    assert_eq!(issued.len(), 1, "{answers:?}");
    for (_, answer) in &answers {
        if let Recorded::DocumentLimit { last } = answer {
            assert_eq!(last.as_ref().map(|l| l.serial.0), Some(issued[0]));
        }
    }
}

/// Serials reserved at once by two instances are disjoint, and the counter
/// stands after all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issue_21_serials_reserved_at_once_by_two_instances_are_disjoint() {
    let db = database();
    let stores = two_instances(&db);
    let tasks: Vec<_> = (0..100u32)
        .map(|i| {
            let store = Arc::clone(&stores[(i % 2) as usize]);
            tokio::spawn(async move { store.reserve_serials(i % 10 + 1).await.expect("reserve") })
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for task in tasks {
        let range = task.await.unwrap();
        total += range.len();
        for serial in range {
            assert!(seen.insert(serial), "serial {serial} handed out twice");
        }
    }
    assert_eq!(total, 10 * (1 + 10) * 10 / 2);
    assert_eq!(seen.first(), Some(&1));
    assert_eq!(db.psql("SELECT reserved_until FROM serials").unwrap(), (total + 1).to_string());
}

/// The database stopped mid-way: every call is a `StoreError` (no panic, no
/// permit answered as issued), a store cannot open; after a restart the same
/// store works again, and nothing of the failed calls is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_21_the_database_stopped_gives_errors_and_the_store_recovers_after_a_restart() {
    // A cluster of its own: this test stops it.
    let cluster = Arc::new(PgCluster::start().unwrap());
    let db = cluster.create_database().unwrap();
    let config = PgConfig { connect_timeout: Duration::from_secs(2), ..PgConfig::default() };
    let store = PgPermitStore::open(&db.url(), config.clone()).unwrap();
    let at = noon();
    let daily = limits(at, 2, 10);
    store.import_people("document,birth_date,zone\nAZE10000001,1980-05-17,1\n").unwrap();
    let serials = store.reserve_serials(10).await.unwrap();
    let first = sms_permit(serials.start, "AZE10000001", "994500000001", at);
    assert_eq!(store.record_permit(first, daily).await.unwrap(), Recorded::Issued);
    assert!(store.ready().await.is_ok());

    cluster.stop().unwrap();
    // The health check (`/healthz`) tells the database is away.
    assert!(matches!(store.ready().await, Err(StoreError::Database(_))));
    let refused = store.record_permit(sms_permit(serials.start + 1, "AZE10000001", "994500000001", at), daily).await;
    assert!(matches!(refused, Err(StoreError::Database(_))), "{refused:?}");
    assert!(store.reserve_serials(5).await.is_err());
    assert!(store.person("AZE10000001").is_err());
    assert!(store.person_and_denial("AZE10000001", at).is_err());
    assert!(store.phone_may_ask("AZE10000001", "994500000001").is_err());
    assert!(store.regimes().is_err());
    assert!(store.put_regime("r", "x").is_err());
    assert!(store.valid_permits("AZE10000001", at).is_err());
    assert!(store.denials_to_apply(5).is_err());
    assert!(store.record_issued(sms_permit(serials.start + 2, "AZE10000002", "", at)).await.is_err());
    assert!(store.import_people("document,birth_date,zone\nAZE10000002,1980-05-17,1\n").is_err());
    let unreachable = PgPermitStore::open(&db.url(), config);
    assert!(matches!(unreachable, Err(OpenError::Store(StoreError::Database(_)))), "{unreachable:?}");

    cluster.restart().unwrap();
    assert!(store.ready().await.is_ok());
    assert!(store.person("AZE10000001").unwrap().is_some());
    // The refused permit was not stored; the day still has room for one more.
    assert_eq!(store.valid_permits("AZE10000001", at).unwrap(), [PermitSerial(serials.start)]);
    let again = sms_permit(serials.start + 3, "AZE10000001", "994500000001", at);
    assert_eq!(store.record_permit(again, daily).await.unwrap(), Recorded::Issued);
    // No serial handed out before the stop comes again.
    assert!(store.reserve_serials(1).await.unwrap().start >= serials.end);
    assert_eq!(store.permit_count().unwrap(), 2);
    // Nothing of the portal's permit that failed.
    assert!(store.valid_permits("AZE10000002", at).unwrap().is_empty());
}

/// Regression test of issue 21: the database stopped while requests are in
/// flight on two instances. Every permit answered `Issued` is stored after the
/// restart (never a permit that is not stored); every other request got an
/// error or a refusal, and at most one a worker is stored without its answer
/// (a commit whose acknowledgement was lost), which the citizen's retry is
/// given back as the day's permit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn issue_21_every_permit_answered_issued_is_stored_when_the_database_stops_mid_flight() {
    const WORKERS: u32 = 8;
    let cluster = Arc::new(PgCluster::start().unwrap());
    let db = cluster.create_database().unwrap();
    let stores = two_instances(&db);
    let issued = Arc::new(std::sync::Mutex::new(Vec::new()));
    let enough = Arc::new(tokio::sync::Notify::new());
    let at = noon();
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (store, issued, enough) =
                (Arc::clone(&stores[(w % 2) as usize]), Arc::clone(&issued), Arc::clone(&enough));
            tokio::spawn(async move {
                let mut serial = w + 1;
                loop {
                    let permit = sms_permit(serial, &format!("AZE{serial:08}"), &format!("99450{serial:07}"), at);
                    match store.record_permit(permit, limits(at, 1, 1)).await {
                        Ok(Recorded::Issued) => {
                            let mut issued = issued.lock().unwrap();
                            issued.push(serial);
                            if issued.len() == 40 {
                                enough.notify_one();
                            }
                        }
                        Ok(other) => panic!("{serial}: {other:?}"),
                        Err(_) => return,
                    }
                    serial += WORKERS;
                }
            })
        })
        .collect();
    enough.notified().await;
    let stopping = Arc::clone(&cluster);
    tokio::task::spawn_blocking(move || stopping.stop().unwrap()).await.unwrap();
    for worker in workers {
        worker.await.unwrap();
    }
    cluster.restart().unwrap();
    let issued = issued.lock().unwrap().clone();
    let stored = stores[0].permit_count().unwrap();
    for serial in &issued {
        let found = stores[1].valid_permits(&format!("AZE{serial:08}"), at).unwrap();
        assert_eq!(found, [PermitSerial(*serial)], "permit {serial} was answered issued but is not stored");
    }
    let in_doubt = usize::try_from(stored).unwrap() - issued.len();
    assert!(in_doubt <= WORKERS as usize, "{stored} stored, {} answered issued", issued.len());
}

/// A database migrated by a newer build is refused with a clear error, and
/// instances starting together migrate once.
#[test]
fn a_newer_schema_is_refused_and_instances_starting_together_migrate_once() {
    let db = database();
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url();
            std::thread::spawn(move || PgPermitStore::open(&url, PgConfig::default()).map(|_| ()))
        })
        .collect();
    for open in opened {
        open.join().unwrap().unwrap();
    }
    assert_eq!(db.psql("SELECT version FROM schema_version WHERE store = 'permits'").unwrap(), "8");
    db.psql("UPDATE schema_version SET version = 9 WHERE store = 'permits'").unwrap();
    let refused = PgPermitStore::open(&db.url(), PgConfig::default()).unwrap_err();
    assert!(matches!(refused, OpenError::Newer { found: 9, known: 8, .. }), "{refused:?}");
    assert!(refused.to_string().contains("newer than this build knows"), "{refused}");
    let bad = PgPermitStore::open("postgres://[nonsense", PgConfig::default()).unwrap_err();
    assert!(matches!(bad, OpenError::Url(_)), "{bad:?}");
}

/// Issue 23: a migration the server refuses says so in the server's words —
/// the migration's number, the SQLSTATE and the message — not only "db
/// error"; nothing of the failed migrations stays, and once the conflicting
/// object is gone the store opens.
#[test]
fn issue_23_a_failed_migration_reports_the_server_s_message_and_sqlstate() {
    let db = database();
    // Migration 6 makes `organisations`: a table of that name is in the way.
    db.psql("CREATE TABLE organisations (note TEXT)").unwrap();
    let refused = PgPermitStore::open(&db.url(), PgConfig::default()).unwrap_err();
    let OpenError::Store(StoreError::Database(boxed)) = &refused else { panic!("{refused:?}") };
    let migration = boxed.downcast_ref::<MigrationError>().unwrap_or_else(|| panic!("{boxed:?}"));
    assert_eq!((migration.store, migration.number), ("permits", 6));
    assert_eq!(migration.sqlstate.as_deref(), Some("42P07"), "duplicate_table");
    assert_eq!(migration.message, "relation \"organisations\" already exists");
    let said = refused.to_string();
    assert!(
        said.contains(
            "migration 6 of the permits schema failed: SQLSTATE 42P07: relation \"organisations\" already exists"
        ),
        "{said}"
    );
    assert!(!said.contains("db error"), "{said}");
    // The migrations ran in one transaction: none of them stayed.
    assert_eq!(db.psql("SELECT count(*) FROM pg_tables WHERE tablename IN ('people', 'schema_version')").unwrap(), "0");
    db.psql("DROP TABLE organisations").unwrap();
    let store = open(&db);
    assert_eq!(store.organisations().unwrap().len(), 0);
    assert_eq!(db.psql("SELECT version FROM schema_version WHERE store = 'permits'").unwrap(), "8");
}

/// Imports go in chunks as they are read: a document twice, in one chunk or in
/// two, keeps its last row; a phone register with a bad row in its last chunk
/// replaces nothing.
#[test]
fn imports_larger_than_a_chunk_keep_each_document_s_last_row() {
    let db = database();
    let store = open(&db);
    let mut people = String::from("document,birth_date,zone\n");
    for zone in [1, 2] {
        for i in 0..6000 {
            people.push_str(&format!("AZE{i:08},1980-05-17,{zone}\n"));
        }
    }
    people.push_str("AZE00000001,1980-05-17,9999\n");
    let report = store.import_people(&people).unwrap();
    assert_eq!((report.imported, report.problems.len()), (12000, 1));
    assert_eq!(report.problems[0].line, 12002);
    assert_eq!(db.psql("SELECT count(*), min(zone), max(zone) FROM people").unwrap(), "6000|2|2");

    let mut phones = String::from("document,phone\n");
    for i in 0..7000 {
        phones.push_str(&format!("AZE{i:08},99450{i:07}\n"));
    }
    assert_eq!(store.import_phones(&phones).unwrap().imported, 7000);
    phones.push_str("AZE00000001,not a phone\n");
    let refused = store.import_phones(&phones).unwrap();
    assert_eq!((refused.imported, refused.problems.len()), (0, 1));
    assert_eq!(db.psql("SELECT count(*) FROM phones").unwrap(), "7000");
}

/// Rows that do not read back (a foreign or damaged database) are a
/// `StoreError::Damaged`, never a panic.
#[test]
fn stored_rows_that_do_not_read_are_damaged_not_a_panic() {
    let db = database();
    let store = open(&db);
    store.import_people("document,birth_date,zone\nAZE11111111,1980-05-17,1\nAZE22222222,1980-05-17,2\n").unwrap();
    db.psql("UPDATE people SET zone = 0 WHERE document = 'AZE11111111'").unwrap();
    let zero = store.person("AZE11111111");
    assert!(matches!(zero, Err(StoreError::Damaged(_))), "{zero:?}");
    db.psql("ALTER TABLE people ALTER COLUMN zone TYPE bigint").unwrap();
    let retyped = store.person_and_denial("AZE22222222", noon());
    assert!(matches!(retyped, Err(StoreError::Damaged(_))), "{retyped:?}");
    db.psql("INSERT INTO permits VALUES (-5, 'AZE22222222', 2, 2, 1, 1, 0, 0, 99999999, '', 'x')").unwrap();
    let negative = store.valid_permits("AZE22222222", noon());
    assert!(matches!(negative, Err(StoreError::Damaged(_))), "{negative:?}");
}

/// Portal batches naming the same documents in opposite orders, at once on two
/// instances: all are recorded, each document counted once a permit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batches_of_the_same_documents_in_opposite_orders_all_go_in() {
    let db = database();
    let stores = two_instances(&db);
    let at = noon();
    let documents: Vec<String> = (1..=6).map(|i| format!("AZE{i:08}")).collect();
    let tasks: Vec<_> = (0..20u32)
        .map(|b| {
            let store = Arc::clone(&stores[(b % 2) as usize]);
            let mut order = documents.clone();
            if b % 2 == 1 {
                order.reverse();
            }
            let batch: Vec<_> = order
                .iter()
                .enumerate()
                .map(|(i, d)| icaze_permits::store::PermitRecord {
                    code: 0,
                    ..sms_permit(b * 10 + i as u32 + 1, d, "", at)
                })
                .collect();
            tokio::spawn(async move { store.record_issued_many(batch).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("a batch");
    }
    assert_eq!(stores[0].permit_count().unwrap(), 120);
    assert_eq!(db.psql("SELECT min(count), max(count) FROM document_day").unwrap(), "20|20");
}
