//! The PostgreSQL portal store: the conformance suite every backend runs
//! (`icaze_portal::conformance`), then what only a shared database must hold:
//! two instances of the portal on one database (a session made on one valid on
//! the other, the login throttles counted across both, no organisation, login
//! or employee made twice by concurrent requests), a database that stops and
//! comes back, migrations and damaged rows.

use std::sync::{Arc, Barrier};

use icaze_core::UtcMinute;
use icaze_permits::clock::FixedClock;
use icaze_permits::keys::KeyRing;
use icaze_permits::regime::Regime;
use icaze_portal::conformance::Backend;
use icaze_portal::password::{HashCost, MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_LOGIN};
use icaze_portal::store::{
    EmployeeRow, EmployeeStatus, ImportProblem, ImportRow, OrgRow, PortalStore, ProblemCode, StoreError,
};
use icaze_portal::{EmployeeInput, PortalConfig, PortalError, PortalService};
use icaze_postgres::{OpenError, PgConfig, PgPermitStore, PgPortalStore};
use icaze_sync_service::{Caller, SyncService};
use icaze_testkit::postgres::{PgCluster, PgDatabase};

/// Each database a fresh one in the cluster this test process shares.
struct Postgres;

fn database() -> PgDatabase {
    PgCluster::shared().expect("a PostgreSQL cluster").create_database().expect("a database")
}

fn open(db: &PgDatabase) -> PgPortalStore {
    PgPortalStore::open(&db.url(), PgConfig::default()).expect("open the store")
}

impl Backend for Postgres {
    type Database = PgDatabase;
    type Store = PgPortalStore;

    fn database(&self) -> PgDatabase {
        database()
    }

    fn open(&self, database: &PgDatabase) -> PgPortalStore {
        open(database)
    }
}

icaze_portal::portal_store_conformance!(Postgres);

fn now() -> UtcMinute {
    UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").unwrap()
}

/// One instance of the portal: its own stores and pools on the shared
/// database, its own sync service (on SQLite: the portal's logins and
/// organisations do not reach it) and key ring.
struct Instance {
    portal: PortalService<PgPermitStore>,
    _sync_dir: tempfile::TempDir,
}

/// Two portal instances on `db`, made inside `runtime` (the service keeps its
/// handle for the main store's asynchronous calls).
fn two_instances(db: &PgDatabase, runtime: &tokio::runtime::Runtime) -> [Instance; 2] {
    let keys = tempfile::tempdir().unwrap();
    icaze_authority::Authority::init(keys.path(), now(), &icaze_authority::InitOptions::default()).unwrap();
    let _entered = runtime.enter();
    let regime = Arc::new(Regime::from_toml(include_str!("../../../regimes/2020-12-14.toml")).unwrap());
    let instance = || {
        let config = PgConfig { pool_size: 8, ..PgConfig::default() };
        let main = Arc::new(PgPermitStore::open(&db.url(), config.clone()).unwrap());
        let ring = Arc::new(KeyRing::load(keys.path()).unwrap());
        let clock = Arc::new(FixedClock::new(now()));
        let sync_dir = tempfile::tempdir().unwrap();
        let sync_store = icaze_sqlite::sync::SqliteSyncStore::open(
            &sync_dir.path().join("sync.db"),
            icaze_sqlite::SqliteConfig::default(),
        )
        .unwrap();
        let sync = Arc::new(SyncService::new(
            Box::new(sync_store),
            Arc::clone(&main),
            Arc::clone(&ring),
            None,
            clock.clone(),
            "admin-token".into(),
        ));
        let regime = Arc::clone(&regime);
        let portal = PortalService::new(
            Box::new(PgPortalStore::open(&db.url(), config).unwrap()),
            main,
            sync,
            ring,
            Arc::new(move |at| (regime.start <= at && at < regime.end).then(|| Arc::clone(&regime))),
            clock,
            PortalConfig { hash_cost: HashCost::cheap(), secure_cookie: false, serial_block: 16 },
        )
        .unwrap();
        Instance { portal, _sync_dir: sync_dir }
    };
    [instance(), instance()]
}

/// Runs `attempt(i, instance)` for `count` requests at once on plain threads
/// (the portal's methods block), alternating between the instances; the
/// answers in order.
fn at_once<T: Send>(
    instances: &[Instance; 2],
    count: usize,
    attempt: impl Fn(usize, &PortalService<PgPermitStore>) -> T + Sync,
) -> Vec<T> {
    let start = Barrier::new(count);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..count)
            .map(|i| {
                let (start, attempt) = (&start, &attempt);
                scope.spawn(move || {
                    start.wait();
                    attempt(i, &instances[i % 2].portal)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().expect("a request")).collect()
    })
}

/// Regression test of issue 21: a session made through one instance is valid
/// through the other, and ended through the other it is ended for both.
#[test]
fn issue_21_a_session_made_on_one_instance_is_valid_on_the_other() {
    let db = database();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let [a, b] = two_instances(&db, &runtime);
    let (org, login, one_time) = a.portal.create_org(&Caller::Admin, "1234567890", "Org", "boss", "Boss").unwrap();
    let (cookie, made) = a.portal.login(&login, &one_time, "10.0.0.1").unwrap();
    let found = b.portal.session(Some(&cookie)).unwrap();
    assert_eq!(
        (found.person.id, found.org.as_ref().map(|o| o.id), &found.csrf),
        (made.person.id, Some(org), &made.csrf)
    );
    b.portal.logout(&found).unwrap();
    assert!(matches!(a.portal.session(Some(&cookie)), Err(PortalError::NoSession)));
    assert!(matches!(b.portal.session(Some(&cookie)), Err(PortalError::NoSession)));
}

/// Regression test of issue 21: wrong passwords sent at once to two instances
/// are counted by both: exactly as many are checked as one instance would
/// check one after the other, for a login and for an address, and then even
/// the right password is throttled.
#[test]
fn issue_21_failed_logins_on_two_instances_at_once_throttle_at_one_limit() {
    let db = database();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let instances = two_instances(&db, &runtime);
    let (_, login, one_time) =
        instances[0].portal.create_org(&Caller::Admin, "1234567890", "Org", "boss", "Boss").unwrap();
    let answers = at_once(&instances, 30, |i, portal| {
        portal.login(&login, &format!("wrong password {i}"), &format!("10.0.0.{i}")).map(|_| ())
    });
    let checked = answers.iter().filter(|a| matches!(a, Err(PortalError::BadCredentials))).count();
    let throttled = answers.iter().filter(|a| matches!(a, Err(PortalError::Throttled { .. }))).count();
    assert_eq!((checked, throttled), (MAX_FAILURES_PER_LOGIN as usize, 30 - MAX_FAILURES_PER_LOGIN as usize));
    for instance in &instances {
        let refused = instance.portal.login(&login, &one_time, "10.0.1.1");
        assert!(matches!(refused, Err(PortalError::Throttled { .. })), "{refused:?}");
    }

    // One address guessing many logins.
    let answers =
        at_once(&instances, 40, |i, portal| portal.login(&format!("guess{i}"), "wrong password", "10.9.9.9").map(drop));
    let checked = answers.iter().filter(|a| matches!(a, Err(PortalError::BadCredentials))).count();
    assert_eq!(checked, MAX_FAILURES_PER_ADDRESS as usize, "{answers:?}");
    assert!(answers.iter().all(|a| matches!(a, Err(PortalError::BadCredentials | PortalError::Throttled { .. }))));
}

/// Regression test of issue 21: the same organisation, login or employee
/// created at once through two instances is created once, and every other
/// request is told it exists (as it would be one after the other), none gets
/// a storage error.
#[test]
fn issue_21_concurrent_creates_on_two_instances_make_one_organisation_login_and_employee() {
    let db = database();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let instances = two_instances(&db, &runtime);
    let codes = |answers: &[Result<(), PortalError>]| -> Vec<&'static str> {
        let mut codes: Vec<_> = answers.iter().map(|a| a.as_ref().err().map_or("ok", PortalError::code)).collect();
        codes.sort_unstable();
        codes
    };
    let orgs = at_once(&instances, 12, |i, portal| {
        portal.create_org(&Caller::Admin, "1234567890", "Org", &format!("boss{i}"), "Boss").map(drop)
    });
    let mut expected = vec!["duplicate_organisation"; 11];
    expected.push("ok");
    assert_eq!(codes(&orgs), expected, "{orgs:?}");
    assert_eq!(db.psql("SELECT count(*) FROM portal_organisations").unwrap(), "1");
    assert_eq!(db.psql("SELECT count(*) FROM portal_persons").unwrap(), "1");

    let operators =
        at_once(&instances, 12, |_, portal| portal.create_operator(&Caller::Admin, "operator", "Op").map(drop));
    let mut expected = vec!["duplicate_login"; 11];
    expected.push("ok");
    assert_eq!(codes(&operators), expected, "{operators:?}");

    // An employee's document, checked then inserted as the rules do, by two
    // stores at once (the service's own check needs a regime and a registry).
    let stores = [open(&db), open(&db)];
    let org_id: i64 = db.psql("SELECT id FROM portal_organisations").unwrap().parse().unwrap();
    let start = Barrier::new(12);
    let inserted: Vec<Result<bool, StoreError>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..12)
            .map(|i| {
                let (store, start) = (&stores[i % 2], &start);
                scope.spawn(move || {
                    start.wait();
                    let mut inserted = false;
                    store
                        .write(&mut |tx| {
                            inserted = tx.employee_by_document(org_id, "AZE00000001")?.is_none();
                            if inserted {
                                tx.insert_employee(&employee(org_id, &format!("Name {i}")))?;
                            }
                            Ok(())
                        })
                        .map(|()| inserted)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let inserted: Vec<bool> = inserted.into_iter().map(|r| r.expect("no storage error")).collect();
    assert_eq!(inserted.iter().filter(|&&i| i).count(), 1, "{inserted:?}");
    assert_eq!(db.psql("SELECT count(*) FROM portal_employees").unwrap(), "1");
}

fn employee(org_id: i64, name: &str) -> EmployeeRow {
    EmployeeRow {
        id: 0,
        org_id,
        document: "AZE00000001".into(),
        name: name.into(),
        position: "Engineer".into(),
        zones: vec![1],
        valid_from: 18611,
        valid_until: 18612,
        plate: None,
        status: EmployeeStatus::Active,
        serial: None,
    }
}

fn org(tax_id: &str) -> OrgRow {
    OrgRow { id: 0, tax_id: tax_id.into(), name: "Org".into(), created_at: now(), revoked_at: None }
}

/// Regression test of issue 21: edits of one employee sent at once to two
/// instances run one after the other: each revokes the permit the one before
/// it issued, and one permit of the employee is left in force, theirs.
#[test]
fn issue_21_edits_of_one_employee_on_two_instances_at_once_leave_one_permit_in_force() {
    let db = database();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let instances = two_instances(&db, &runtime);
    let registry = PgPermitStore::open(&db.url(), PgConfig::default()).unwrap();
    registry.import_people("document,birth_date,zone\nAZE11111111,1980-05-17,1\n").unwrap();
    let (org, login, one_time) =
        instances[0].portal.create_org(&Caller::Admin, "1234567890", "Org", "boss", "Boss").unwrap();
    let (cookie, principal) = instances[0].portal.login(&login, &one_time, "10.0.0.1").unwrap();
    let principals = [principal, instances[1].portal.session(Some(&cookie)).unwrap()];
    let input = |until: &str| EmployeeInput {
        document: "AZE11111111".into(),
        name: "Aysel".into(),
        position: String::new(),
        zones: vec![1],
        valid_from: "2020-12-16".into(),
        valid_until: until.into(),
        plate: None,
    };
    let added = instances[0].portal.add_employee(&principals[0], &input("2020-12-17")).unwrap();
    let id = added.employee.id;
    // Each edit another window: each one re-issues, whichever runs before it.
    let edits = at_once(&instances, 8, |i, portal| {
        portal.edit_employee(&principals[i % 2], id, &input(&format!("2020-12-2{i}"))).map(|v| v.employee.serial)
    });
    let issued: Vec<u32> = edits.into_iter().map(|e| e.expect("an edit").expect("a permit")).collect();
    let store = open(&db);
    let mut found = None;
    store
        .read(&mut |tx| {
            found = Some((tx.employee(org, id)?, tx.live_permits_of_employee(id)?));
            Ok(())
        })
        .unwrap();
    let (employee, live) = found.unwrap();
    let serial = employee.expect("the employee").serial.expect("a permit");
    assert_eq!(live, [serial], "one permit in force, the employee's");
    assert!(issued.contains(&serial), "{issued:?}");
    assert_eq!(db.psql("SELECT count(*), count(*) FILTER (WHERE revoked) FROM portal_permits").unwrap(), "9|8");
}

/// Changes of employees (`PortalStore::lock_changes`) taken on two instances
/// run one at a time, and a lock dropped lets the next one in.
#[test]
fn issue_21_changes_on_two_instances_run_one_at_a_time() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let db = database();
    let stores = [open(&db), open(&db)];
    let (inside, most, done) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for i in 0..8 {
            let (store, inside, most, done) = (&stores[i % 2], &inside, &most, &done);
            scope.spawn(move || {
                for _ in 0..10 {
                    let lock = store.lock_changes().expect("the lock");
                    most.fetch_max(inside.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                    // A round trip to the database while the lock is held.
                    store.read(&mut |tx| tx.org_by_tax_id("1000000001").map(drop)).unwrap();
                    inside.fetch_sub(1, Ordering::SeqCst);
                    drop(lock);
                    done.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!((most.into_inner(), done.into_inner()), (1, 80));
}

/// The database stopped: every write and read is a `StoreError` (the portal
/// says the service is unavailable), nothing of a write half-done; after a
/// restart the same store works again.
#[test]
fn the_database_stopped_gives_errors_and_the_store_recovers_after_a_restart() {
    // A cluster of its own: this test stops it.
    let cluster = Arc::new(PgCluster::start().unwrap());
    let db = cluster.create_database().unwrap();
    let config = PgConfig { connect_timeout: std::time::Duration::from_secs(2), ..PgConfig::default() };
    let store = PgPortalStore::open(&db.url(), config.clone()).unwrap();
    store.write(&mut |tx| tx.insert_org(&org("1000000001")).map(drop)).unwrap();

    cluster.stop().unwrap();
    let refused = store.write(&mut |tx| tx.insert_org(&org("1000000002")).map(drop));
    assert!(matches!(refused, Err(StoreError::Database(_))), "{refused:?}");
    let unread = store.read(&mut |tx| tx.org_by_tax_id("1000000001").map(drop));
    assert!(matches!(unread, Err(StoreError::Database(_))), "{unread:?}");
    let unreachable = PgPortalStore::open(&db.url(), config);
    assert!(matches!(unreachable, Err(OpenError::Store(StoreError::Database(_)))), "{unreachable:?}");

    cluster.restart().unwrap();
    store.write(&mut |tx| tx.insert_org(&org("1000000003")).map(drop)).unwrap();
    assert_eq!(
        db.psql("SELECT string_agg(tax_id, ',' ORDER BY tax_id) FROM portal_organisations").unwrap(),
        "1000000001,1000000003"
    );
}

/// A portal schema of a newer build is refused with a clear error; the
/// portal's and the permits' schemas are versioned apart in one database, and
/// instances starting together migrate once.
#[test]
fn a_newer_portal_schema_is_refused_and_each_store_has_its_version() {
    let db = database();
    PgPermitStore::open(&db.url(), PgConfig::default()).unwrap();
    let opened: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url();
            std::thread::spawn(move || PgPortalStore::open(&url, PgConfig::default()).map(drop))
        })
        .collect();
    for open in opened {
        open.join().unwrap().unwrap();
    }
    assert_eq!(
        db.psql("SELECT string_agg(store || '=' || version, ',' ORDER BY store) FROM schema_version").unwrap(),
        "permits=8,portal=2"
    );
    db.psql("UPDATE schema_version SET version = 7 WHERE store = 'portal'").unwrap();
    let refused = PgPortalStore::open(&db.url(), PgConfig::default()).unwrap_err();
    assert!(matches!(refused, OpenError::Newer { store: "portal", found: 7, known: 2 }), "{refused:?}");
    assert!(refused.to_string().contains("newer than this build knows"), "{refused}");
    // The permits store is not held back by the portal's version.
    PgPermitStore::open(&db.url(), PgConfig::default()).unwrap();
}

/// Rows that do not read back (a foreign or damaged database) are a
/// `StoreError::Damaged`, never a panic.
#[test]
fn stored_rows_that_do_not_read_are_damaged_not_a_panic() {
    let db = database();
    let store = open(&db);
    store.write(&mut |tx| tx.insert_org(&org("1000000001")).map(drop)).unwrap();
    let id: i64 = db.psql("SELECT id FROM portal_organisations").unwrap().parse().unwrap();
    store.write(&mut |tx| tx.insert_employee(&employee(id, "A")).map(drop)).unwrap();
    let read_employee = || {
        let mut found = None;
        store.read(&mut |tx| {
            found = Some(tx.employee_by_document(id, "AZE00000001")?);
            Ok(())
        })
    };
    db.psql("UPDATE portal_employees SET zones = '{70000}'").unwrap();
    assert!(matches!(read_employee(), Err(StoreError::Damaged(_))));
    db.psql("UPDATE portal_employees SET zones = '{1}', serial = -1").unwrap();
    assert!(matches!(read_employee(), Err(StoreError::Damaged(_))));
    db.psql("ALTER TABLE portal_organisations ALTER COLUMN name TYPE bigint USING 5").unwrap();
    let retyped = store.read(&mut |tx| tx.org(id).map(drop));
    assert!(matches!(retyped, Err(StoreError::Damaged(_))), "{retyped:?}");
}

/// An import's problems written before they had codes (schema 1: no
/// `problem_codes`) read with the empty code, their messages kept; a code that
/// does not read is damage, not a panic.
#[test]
fn import_problems_written_before_codes_read_without_them() {
    let db = database();
    let store = open(&db);
    let problem = |line, message: &str| ImportProblem {
        line,
        message: message.into(),
        code: ProblemCode { code: "invalid_csv".into(), case: Some("columns".into()), ..ProblemCode::default() },
    };
    let job = ImportRow {
        id: "a".into(),
        org_id: 1,
        state: "done".into(),
        total: 2,
        processed: 2,
        imported: 0,
        problems: vec![problem(2, "expected 7 columns, found 3"), problem(3, "expected 7 columns, found 1")],
        problems_total: 2,
        created_at: now(),
    };
    store.write(&mut |tx| tx.put_import(&job)).unwrap();
    let read = || {
        let mut found = None;
        store.read(&mut |tx| {
            found = tx.import(1, "a")?;
            Ok(())
        })?;
        Ok::<_, StoreError>(found.expect("the import"))
    };
    assert_eq!(read().unwrap(), job);
    db.psql("UPDATE portal_imports SET problem_codes = '{}'").unwrap();
    let old = read().unwrap();
    assert_eq!(
        old.problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>(),
        ["expected 7 columns, found 3", "expected 7 columns, found 1"]
    );
    assert!(old.problems.iter().all(|p| p.code == ProblemCode::default()), "{old:?}");
    db.psql("UPDATE portal_imports SET problem_codes = '{\"not json\",\"{}\"}'").unwrap();
    assert!(matches!(read(), Err(StoreError::Damaged(_))));
}

/// A statement that fails inside a write rolls the whole transaction back,
/// even when the work goes on and answers `Ok`: nothing of it is committed.
#[test]
fn a_write_whose_statement_failed_commits_nothing_even_if_the_work_says_ok() {
    let db = database();
    let store = open(&db);
    store.write(&mut |tx| tx.insert_org(&org("1000000001")).map(drop)).unwrap();
    let swallowed = store.write(&mut |tx| {
        tx.insert_org(&org("1000000002"))?;
        // A duplicate, its error dropped: the transaction is failed.
        let _ = tx.insert_org(&org("1000000001"));
        Ok(())
    });
    assert!(swallowed.is_err());
    assert_eq!(db.psql("SELECT count(*) FROM portal_organisations").unwrap(), "1");
    // The store's connections are usable afterwards.
    for tax_id in ["1000000003", "1000000004", "1000000005"] {
        store.write(&mut |tx| tx.insert_org(&org(tax_id)).map(drop)).unwrap();
    }
}
