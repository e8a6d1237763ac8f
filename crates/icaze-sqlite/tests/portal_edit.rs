//! The portal's edits of an employee over the SQLite stores, with the portal's
//! own store failing on demand: what devices are told of a replaced permit
//! (issue 22 item 8), and the known gap of a name-only edit after a storage
//! failure, which kept a revoked serial as the employee's permit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use icaze_core::UtcMinute;
use icaze_permits::clock::FixedClock;
use icaze_permits::keys::KeyRing;
use icaze_permits::regime::Regime;
use icaze_portal::password::HashCost;
use icaze_portal::store::{PortalStore, PortalTx, StoreError};
use icaze_portal::{EmployeeInput, PortalConfig, PortalService};
use icaze_sqlite::permits::SqlitePermitStore;
use icaze_sqlite::portal::SqlitePortalStore;
use icaze_sqlite::sync::SqliteSyncStore;
use icaze_sqlite::SqliteConfig;
use icaze_sync_service::store::RevocationKind;
use icaze_sync_service::{Caller, SyncService};

/// The portal's store, whose next write fails once `fail` is set.
struct Failing {
    inner: SqlitePortalStore,
    fail: Arc<AtomicBool>,
}

impl PortalStore for Failing {
    fn write(&self, work: &mut dyn FnMut(&mut dyn PortalTx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        if self.fail.swap(false, Ordering::SeqCst) {
            return Err(StoreError::WriterGone);
        }
        self.inner.write(work)
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn PortalTx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        self.inner.read(work)
    }
}

struct Fixture {
    portal: PortalService<SqlitePermitStore>,
    sync: Arc<SyncService<SqlitePermitStore>>,
    fail: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").unwrap();
    let keys = dir.path().join("keys");
    icaze_authority::Authority::init(&keys, now, &icaze_authority::InitOptions::default()).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _entered = runtime.enter();
    let main = Arc::new(SqlitePermitStore::open(&dir.path().join("icaze.db"), SqliteConfig::default()).unwrap());
    main.import_people("document,birth_date,zone\nAZE11111111,1980-05-17,1\n").unwrap();
    let ring = Arc::new(KeyRing::load(&keys).unwrap());
    let clock = Arc::new(FixedClock::new(now));
    let sync_store = SqliteSyncStore::open(&dir.path().join("sync.db"), SqliteConfig::default()).unwrap();
    let sync = Arc::new(SyncService::new(
        Box::new(sync_store),
        Arc::clone(&main),
        Arc::clone(&ring),
        None,
        clock.clone(),
        "admin-token".into(),
    ));
    let regime = Arc::new(Regime::from_toml(include_str!("../../../regimes/2020-12-14.toml")).unwrap());
    let fail = Arc::new(AtomicBool::new(false));
    let store = Failing {
        inner: SqlitePortalStore::open(&dir.path().join("portal.db"), SqliteConfig::default()).unwrap(),
        fail: Arc::clone(&fail),
    };
    let portal = PortalService::new(
        Box::new(store),
        main,
        Arc::clone(&sync),
        ring,
        Arc::new(move |at| (regime.start <= at && at < regime.end).then(|| Arc::clone(&regime))),
        clock,
        PortalConfig { hash_cost: HashCost::cheap(), secure_cookie: false, serial_block: 16 },
    )
    .unwrap();
    drop(_entered);
    Fixture { portal, sync, fail, _dir: dir, _runtime: runtime }
}

fn input(name: &str, until: &str) -> EmployeeInput {
    EmployeeInput {
        document: "AZE11111111".into(),
        name: name.into(),
        position: String::new(),
        zones: vec![1],
        valid_from: "2020-12-16".into(),
        valid_until: until.into(),
        plate: None,
    }
}

/// How the sync service revoked `serial`, if it did.
fn revoked_as(f: &Fixture, serial: u32) -> Option<RevocationKind> {
    let rows = f.sync.revocations(&Caller::Admin, 0).unwrap();
    rows.iter().find(|r| r.serial == serial).map(|r| r.kind)
}

/// Issue 22 item 8: an edit of a signed field revokes the old permit as
/// replaced, which the next bundle tells devices; a storage failure's
/// revocation of the permit not handed out is a plain one.
#[test]
fn an_edit_of_a_signed_field_revokes_the_old_permit_as_replaced() {
    let f = fixture();
    let _entered = f._runtime.enter();
    let (_, login, one_time) = f.portal.create_org(&Caller::Admin, "1234567890", "Org", "boss", "Boss").unwrap();
    let (_, principal) = f.portal.login(&login, &one_time, "10.0.0.1").unwrap();
    let added = f.portal.add_employee(&principal, &input("Aysel", "2020-12-17")).unwrap();
    let first = added.employee.serial.unwrap();
    let edited = f.portal.edit_employee(&principal, added.employee.id, &input("Aysel", "2020-12-18")).unwrap();
    let second = edited.employee.serial.unwrap();
    assert_ne!(first, second);
    assert_eq!(revoked_as(&f, first), Some(RevocationKind::Replaced));
    assert_eq!(revoked_as(&f, second), None);
    // Deleting the employee revokes theirs as a plain revocation.
    f.portal.delete_employee(&principal, added.employee.id).unwrap();
    assert_eq!(revoked_as(&f, second), Some(RevocationKind::Other));
}

/// The known gap of `icaze-portal`: a re-issue whose portal write fails after
/// the old permit was revoked leaves that permit unmarked in the portal, and a
/// name-only edit then kept it as the employee's permit, revoked on every
/// device. The sync service's revocations now decide: it is re-issued.
#[test]
fn a_name_only_edit_after_a_storage_failure_does_not_keep_a_revoked_serial() {
    let f = fixture();
    let _entered = f._runtime.enter();
    let (_, login, one_time) = f.portal.create_org(&Caller::Admin, "1234567890", "Org", "boss", "Boss").unwrap();
    let (_, principal) = f.portal.login(&login, &one_time, "10.0.0.1").unwrap();
    let added = f.portal.add_employee(&principal, &input("Aysel", "2020-12-17")).unwrap();
    let (id, first) = (added.employee.id, added.employee.serial.unwrap());

    f.fail.store(true, Ordering::SeqCst);
    assert!(f.portal.edit_employee(&principal, id, &input("Aysel", "2020-12-18")).is_err());
    assert_eq!(revoked_as(&f, first), Some(RevocationKind::Replaced), "revoked before the portal's write failed");
    assert_eq!(f.portal.employee(&principal, id).unwrap().employee.serial, Some(first), "the portal kept it");

    let renamed = f.portal.edit_employee(&principal, id, &input("Aysel Məmmədova", "2020-12-17")).unwrap();
    let serial = renamed.employee.serial.expect("a permit");
    assert_ne!(serial, first, "a revoked serial is not kept");
    assert!(!f.sync.is_revoked(serial).unwrap(), "the employee's permit is in force");
    assert_eq!(renamed.employee.name, "Aysel Məmmədova");
}
