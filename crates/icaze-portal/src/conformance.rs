//! The test suite every [`PortalStore`] backend runs, the same tests for each
//! (behind the `conformance` feature, for backends' tests only).
//!
//! A backend's test file implements [`Backend`] (a fresh database, a store on
//! it) and expands [`portal_store_conformance!`], which makes one `#[test]` of
//! each function here:
//!
//! ```text
//! struct Sqlite;
//! impl icaze_portal::conformance::Backend for Sqlite { /* ... */ }
//! icaze_portal::portal_store_conformance!(Sqlite);
//! ```
//!
//! The tests hold what [`PortalTx`] promises and what the rules rely on; they
//! use `assert!` and panic on a failure, as tests do. What a backend does under
//! concurrency across processes is tested by the backend itself.

use icaze_core::UtcMinute;

use crate::password::Failures;
use crate::store::{
    AuditDetails, AuditEntry, EmployeeQuery, EmployeeRow, EmployeeStatus, ImportProblem, ImportRow, OrgRow, PermitKind,
    PermitRow, PersonRow, PortalStore, PortalTx, ProblemCode, ReissuedPermit, Role, SessionRow, StoreError, TripRow,
};

/// What the suite needs of a backend besides the store interface.
pub trait Backend: Send + Sync {
    /// Keeps a fresh, empty database alive (a temporary directory, a
    /// throwaway PostgreSQL database).
    type Database;
    /// The store.
    type Store: PortalStore;
    /// A fresh, empty database.
    fn database(&self) -> Self::Database;
    /// A store on `database`; called twice, two stores on one database, as
    /// two instances of the service would have.
    fn open(&self, database: &Self::Database) -> Self::Store;
}

/// One `#[test]` of each conformance test for the [`Backend`] `$backend` (an
/// expression, evaluated in each test).
#[macro_export]
macro_rules! portal_store_conformance {
    (@tests $backend:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::$name(&$backend);
            }
        )*
    };
    ($backend:expr) => {
        $crate::portal_store_conformance!(@tests $backend;
            a_failed_write_leaves_nothing_and_reads_cannot_write,
            organisations_are_unique_by_tax_id_and_a_revoked_one_stays_revoked,
            persons_round_trip_and_logins_are_unique,
            sessions_live_until_ended_and_another_store_sees_them,
            login_failures_are_counted_by_login_and_by_address_within_the_window,
            employees_round_trip_and_a_document_is_unique_within_an_organisation,
            the_employee_list_filters_and_pages,
            trips_belong_to_their_organisation_and_go_with_their_employee,
            permits_round_trip_and_revocations_mark_them,
            funeral_permits_are_listed_by_operator_oldest_first,
            imports_are_replaced_and_those_cut_by_a_restart_are_failed,
            the_audit_log_is_an_organisation_s_in_order_with_its_details_as_json,
            the_change_lock_is_let_go_when_dropped,
        );
    };
}

fn minute(m: u32) -> UtcMinute {
    UtcMinute::from_unix_minutes(m)
}

/// Runs `work` in a write transaction; its value.
fn write<T>(
    store: &dyn PortalStore,
    mut work: impl FnMut(&mut dyn PortalTx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut out = None;
    store.write(&mut |tx| {
        out = Some(work(tx)?);
        Ok(())
    })?;
    Ok(out.expect("the work ran"))
}

/// Runs `work` on a read snapshot; its value.
fn read<T>(store: &dyn PortalStore, mut work: impl FnMut(&mut dyn PortalTx) -> Result<T, StoreError>) -> T {
    let mut out = None;
    store
        .read(&mut |tx| {
            out = Some(work(tx)?);
            Ok(())
        })
        .expect("the read");
    out.expect("the read ran")
}

fn org(tax_id: &str) -> OrgRow {
    OrgRow { id: 0, tax_id: tax_id.into(), name: format!("Org {tax_id}"), created_at: minute(10), revoked_at: None }
}

fn new_org(store: &dyn PortalStore, tax_id: &str) -> i64 {
    write(store, |tx| tx.insert_org(&org(tax_id))).expect("an organisation")
}

fn person(login: &str, org_id: Option<i64>) -> PersonRow {
    PersonRow {
        id: 0,
        login: login.into(),
        name: format!("Person {login}"),
        role: if org_id.is_some() { Role::Employer } else { Role::Operator },
        org_id,
        password_hash: format!("$argon2id$v=19$m=8,t=1,p=1$salt$hash-of-{login}"),
        must_change_password: true,
        active: true,
        created_by: "admin".into(),
        created_at: minute(20),
    }
}

fn employee(org_id: i64, document: &str, name: &str) -> EmployeeRow {
    EmployeeRow {
        id: 0,
        org_id,
        document: document.into(),
        name: name.into(),
        position: "Engineer".into(),
        zones: vec![1, 3, 65535],
        valid_from: 18610,
        valid_until: 18620,
        plate: None,
        status: EmployeeStatus::Active,
        serial: None,
    }
}

fn permit(serial: u32, kind: PermitKind, org_id: Option<i64>, employee_id: Option<i64>) -> PermitRow {
    PermitRow {
        serial,
        kind,
        org_id,
        employee_id,
        trip_id: None,
        issued_by: "boss".into(),
        document: "AZE12345678".into(),
        zones: vec![2, 7],
        token: format!("IZ2-{serial}"),
        issued_at: minute(1000),
        valid_from: minute(1000),
        valid_until: minute(u32::MAX),
        revoked: false,
        note: None,
    }
}

/// A write that fails leaves nothing; a read cannot write; the tax id is
/// unique.
pub fn a_failed_write_leaves_nothing_and_reads_cannot_write<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let failed = store.write(&mut |tx| {
        let id = tx.insert_org(&org("1234567890"))?;
        // The transaction sees its own writes.
        assert_eq!(tx.org(id)?.map(|o| o.tax_id), Some("1234567890".into()));
        Err(StoreError::Damaged("stop".into()))
    });
    assert!(failed.is_err());
    assert_eq!(read(&store, |tx| tx.org_by_tax_id("1234567890")), None);
    assert!(store.read(&mut |tx| tx.insert_org(&org("1234567890")).map(drop)).is_err());
    assert_eq!(read(&store, |tx| tx.org_by_tax_id("1234567890")), None);
    new_org(&store, "1234567890");
    assert!(write(&store, |tx| tx.insert_org(&org("1234567890"))).is_err(), "the tax id is unique");
    // The store goes on after a refused write.
    new_org(&store, "1234567891");
}

/// Organisations by id and tax id; revoking keeps the first time.
pub fn organisations_are_unique_by_tax_id_and_a_revoked_one_stays_revoked<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let a = new_org(&store, "1000000001");
    let b = new_org(&store, "1000000002");
    assert_ne!(a, b);
    let found = read(&store, |tx| tx.org(a)).expect("found");
    assert_eq!(found, OrgRow { id: a, ..org("1000000001") });
    assert_eq!(read(&store, |tx| tx.org_by_tax_id("1000000002")).map(|o| o.id), Some(b));
    assert_eq!(read(&store, |tx| tx.org(a + b + 100)), None);
    write(&store, |tx| tx.revoke_org(a, minute(50))).unwrap();
    write(&store, |tx| tx.revoke_org(a, minute(60))).unwrap();
    assert_eq!(read(&store, |tx| tx.org(a)).and_then(|o| o.revoked_at), Some(minute(50)));
    assert_eq!(read(&store, |tx| tx.org(b)).and_then(|o| o.revoked_at), None);
}

/// Persons by id, login and organisation; password and activity changes.
pub fn persons_round_trip_and_logins_are_unique<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let org_id = new_org(&store, "1000000001");
    let other = new_org(&store, "1000000002");
    let boss = write(&store, |tx| tx.insert_person(&person("boss", Some(org_id)))).unwrap();
    let clerk = write(&store, |tx| tx.insert_person(&person("clerk", Some(org_id)))).unwrap();
    write(&store, |tx| tx.insert_person(&person("elsewhere", Some(other)))).unwrap();
    let operator = write(&store, |tx| tx.insert_person(&person("op", None))).unwrap();
    assert_eq!(read(&store, |tx| tx.person(boss)), Some(PersonRow { id: boss, ..person("boss", Some(org_id)) }));
    assert_eq!(read(&store, |tx| tx.person_by_login("op")), Some(PersonRow { id: operator, ..person("op", None) }));
    assert_eq!(read(&store, |tx| tx.person_by_login("nobody")), None);
    let of_org: Vec<i64> = read(&store, |tx| tx.persons_of_org(org_id)).iter().map(|p| p.id).collect();
    assert_eq!(of_org, [boss, clerk]);
    assert!(write(&store, |tx| tx.insert_person(&person("clerk", Some(other)))).is_err(), "the login is unique");

    write(&store, |tx| tx.set_password(clerk, "$argon2id$new", false)).unwrap();
    write(&store, |tx| tx.set_person_active(boss, false)).unwrap();
    let clerk = read(&store, |tx| tx.person(clerk)).unwrap();
    assert_eq!(
        (clerk.password_hash.as_str(), clerk.must_change_password, clerk.active),
        ("$argon2id$new", false, true)
    );
    let boss = read(&store, |tx| tx.person(boss)).unwrap();
    assert!(!boss.active && boss.must_change_password);
}

/// Sessions by the hash of their id: touched only forward, ended one by one,
/// by person, all but one, or when stale; a session written through one store
/// is read through another store on the same database (another instance).
pub fn sessions_live_until_ended_and_another_store_sees_them<B: Backend>(backend: &B) {
    let db = backend.database();
    let (store, other) = (backend.open(&db), backend.open(&db));
    let org_id = new_org(&store, "1000000001");
    let a = write(&store, |tx| tx.insert_person(&person("a", Some(org_id)))).unwrap();
    let b = write(&store, |tx| tx.insert_person(&person("b", Some(org_id)))).unwrap();
    let session = |n: u8, person_id: i64, at: u32| SessionRow {
        id_hash: [n; 32],
        person_id,
        csrf: format!("csrf-{n}"),
        created_at: minute(at),
        last_seen: minute(at),
    };
    for s in [session(1, a, 100), session(2, a, 200), session(3, a, 300), session(4, b, 400), session(5, b, 10)] {
        write(&store, |tx| tx.insert_session(&s)).unwrap();
    }
    assert_eq!(read(&other, |tx| tx.session(&[1; 32])), Some(session(1, a, 100)));
    assert_eq!(read(&other, |tx| tx.session(&[9; 32])), None);
    assert!(write(&other, |tx| tx.insert_session(&session(1, b, 100))).is_err(), "a session id is unique");

    write(&other, |tx| tx.touch_session(&[1; 32], minute(150))).unwrap();
    write(&store, |tx| tx.touch_session(&[1; 32], minute(120))).unwrap();
    let touched = read(&store, |tx| tx.session(&[1; 32])).unwrap();
    assert_eq!((touched.created_at, touched.last_seen), (minute(100), minute(150)), "never moved back");

    write(&other, |tx| tx.delete_other_sessions(a, &[2; 32])).unwrap();
    let alive =
        |s: &B::Store| -> Vec<u8> { (1..=5).filter(|&n| read(s, |tx| tx.session(&[n; 32])).is_some()).collect() };
    assert_eq!(alive(&store), [2, 4, 5]);
    // Idle since before 300, or opened before 20.
    write(&store, |tx| tx.delete_stale_sessions(minute(300), minute(20))).unwrap();
    assert_eq!(alive(&other), [4]);
    write(&store, |tx| tx.insert_session(&session(6, b, 500))).unwrap();
    write(&other, |tx| tx.delete_session(&[4; 32])).unwrap();
    assert_eq!(alive(&store), Vec::<u8>::new());
    write(&store, |tx| tx.delete_sessions_of(b)).unwrap();
    assert_eq!(read(&other, |tx| tx.session(&[6; 32])), None);
}

/// Failures after `since` are counted by login and by address, with the
/// oldest of each; recording forgets those before `forget_before`; clearing a
/// login's leaves the others'.
pub fn login_failures_are_counted_by_login_and_by_address_within_the_window<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let failures =
        |login: &str, address: &str, since: u32| read(&store, |tx| tx.failures(login, address, minute(since)));
    assert_eq!(failures("a", "10.0.0.1", 0), Failures::default());
    for (login, address, at) in [("a", "10.0.0.1", 100), ("a", "10.0.0.2", 101), ("b", "10.0.0.1", 102)] {
        write(&store, |tx| tx.record_failure(login, address, minute(at), minute(50))).unwrap();
    }
    assert_eq!(
        failures("a", "10.0.0.1", 99),
        Failures { by_login: 2, oldest_login: Some(100), by_address: 2, oldest_address: Some(100) }
    );
    // Only those after `since`.
    assert_eq!(
        failures("a", "10.0.0.1", 100),
        Failures { by_login: 1, oldest_login: Some(101), by_address: 1, oldest_address: Some(102) }
    );
    // In a write too, where a backend may lock as it counts.
    let counted = write(&store, |tx| tx.failures("b", "10.0.0.9", minute(0))).unwrap();
    assert_eq!(counted, Failures { by_login: 1, oldest_login: Some(102), by_address: 0, oldest_address: None });
    // A failure at 200 forgets those before 101.
    write(&store, |tx| tx.record_failure("c", "10.0.0.3", minute(200), minute(101))).unwrap();
    assert_eq!(failures("a", "10.0.0.1", 0).by_login, 1);
    assert_eq!(failures("b", "10.0.0.1", 0).by_address, 1);
    write(&store, |tx| tx.clear_failures("a")).unwrap();
    assert_eq!(failures("a", "10.0.0.2", 0), Failures::default());
    assert_eq!(failures("b", "10.0.0.3", 0).by_login, 1);
    assert_eq!(failures("c", "10.0.0.3", 0).by_address, 1);
}

/// Employees by organisation, id and document; updated and deleted by id; a
/// document once per organisation, but in two organisations.
pub fn employees_round_trip_and_a_document_is_unique_within_an_organisation<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let org_id = new_org(&store, "1000000001");
    let other = new_org(&store, "1000000002");
    let a = write(&store, |tx| tx.insert_employee(&employee(org_id, "AZE00000001", "Aysel"))).unwrap();
    let mut second = employee(org_id, "AZE00000002", "Kamran");
    second.plate = Some("10-AB-123".into());
    second.serial = Some(u32::MAX);
    let b = write(&store, |tx| tx.insert_employee(&second)).unwrap();
    let elsewhere = write(&store, |tx| tx.insert_employee(&employee(other, "AZE00000001", "Aysel"))).unwrap();
    assert!(
        write(&store, |tx| tx.insert_employee(&employee(org_id, "AZE00000001", "Again"))).is_err(),
        "a document once per organisation"
    );
    assert_eq!(read(&store, |tx| tx.employee(org_id, b)), Some(EmployeeRow { id: b, ..second.clone() }));
    assert_eq!(read(&store, |tx| tx.employee(other, b)), None, "another organisation's");
    assert_eq!(read(&store, |tx| tx.employee_by_document(other, "AZE00000001")).map(|e| e.id), Some(elsewhere));
    let mut documents = read(&store, |tx| tx.documents_of_org(org_id));
    documents.sort();
    assert_eq!(documents, ["AZE00000001", "AZE00000002"]);

    let mut edited = EmployeeRow { id: a, ..employee(org_id, "AZE00000003", "Aysel M.") };
    edited.status = EmployeeStatus::Deactivated;
    edited.zones = vec![4];
    edited.serial = Some(17);
    write(&store, |tx| tx.update_employee(&edited)).unwrap();
    assert_eq!(read(&store, |tx| tx.employee(org_id, a)), Some(edited.clone()));
    assert_eq!(read(&store, |tx| tx.employee_by_document(org_id, "AZE00000001")), None);
    let deactivated = |org: Option<i64>| -> Vec<i64> {
        read(&store, |tx| tx.employees_with_status(org, EmployeeStatus::Deactivated)).iter().map(|e| e.id).collect()
    };
    let mut other_edit = read(&store, |tx| tx.employee(other, elsewhere)).unwrap();
    other_edit.status = EmployeeStatus::Deactivated;
    write(&store, |tx| tx.update_employee(&other_edit)).unwrap();
    assert_eq!(deactivated(None), [a, elsewhere]);
    assert_eq!(deactivated(Some(org_id)), [a]);
    let active: Vec<i64> =
        read(&store, |tx| tx.employees_with_status(None, EmployeeStatus::Active)).iter().map(|e| e.id).collect();
    assert_eq!(active, [b]);
    write(&store, |tx| tx.delete_employee(a)).unwrap();
    assert_eq!(read(&store, |tx| tx.employee(org_id, a)), None);
    // The document is free again.
    write(&store, |tx| tx.insert_employee(&employee(org_id, "AZE00000003", "Aysel"))).unwrap();
}

/// The list: a part of the document or the name (ASCII letters in either
/// case; `%` and `_` are themselves), a status, ids after one, a limit.
pub fn the_employee_list_filters_and_pages<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let org_id = new_org(&store, "1000000001");
    let other = new_org(&store, "1000000002");
    let names = ["Aysel Mammadova", "Kamran 100%", "Leyla_Aliyeva", "Orxan Əliyev", "Nigar"];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut e = employee(org_id, &format!("AZE0000000{i}"), name);
        if i == 4 {
            e.status = EmployeeStatus::Deactivated;
        }
        ids.push(write(&store, |tx| tx.insert_employee(&e)).unwrap());
    }
    write(&store, |tx| tx.insert_employee(&employee(other, "AZE00000009", "Aysel"))).unwrap();
    let list = |q: Option<&str>, status: Option<EmployeeStatus>, after: i64, limit: u32| -> Vec<i64> {
        let query = EmployeeQuery { q: q.map(str::to_owned), status, after, limit };
        read(&store, |tx| tx.employees(org_id, &query)).iter().map(|e| e.id).collect()
    };
    assert_eq!(list(None, None, 0, 100), ids);
    assert_eq!(list(None, None, ids[1], 2), [ids[2], ids[3]]);
    assert_eq!(list(None, Some(EmployeeStatus::Deactivated), 0, 100), [ids[4]]);
    assert_eq!(list(None, Some(EmployeeStatus::Active), 0, 100), ids[..4]);
    assert_eq!(list(Some("aysel"), None, 0, 100), [ids[0]]);
    assert_eq!(list(Some("ALIYEV"), None, 0, 100), [ids[2]]);
    assert_eq!(list(Some("aze0000000"), None, 0, 100), ids);
    assert_eq!(list(Some("00003"), None, 0, 100), [ids[3]]);
    assert_eq!(list(Some("Əliyev"), None, 0, 100), [ids[3]]);
    assert_eq!(list(Some("%"), None, 0, 100), [ids[1]]);
    assert_eq!(list(Some("_"), None, 0, 100), [ids[2]]);
    assert_eq!(list(Some("n_1"), None, 0, 100), Vec::<i64>::new());
    assert_eq!(list(Some("ga"), None, 0, 100), [ids[4]]);
    assert_eq!(list(Some("ga"), Some(EmployeeStatus::Active), 0, 100), Vec::<i64>::new());
    assert_eq!(list(Some("nobody"), None, 0, 100), Vec::<i64>::new());
    assert_eq!(list(None, None, 0, 0), Vec::<i64>::new());
}

/// Trips by organisation and employee; their serial replaced; deleted with
/// their employee.
pub fn trips_belong_to_their_organisation_and_go_with_their_employee<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let org_id = new_org(&store, "1000000001");
    let other = new_org(&store, "1000000002");
    let e = write(&store, |tx| tx.insert_employee(&employee(org_id, "AZE00000001", "Aysel"))).unwrap();
    let f = write(&store, |tx| tx.insert_employee(&employee(org_id, "AZE00000002", "Kamran"))).unwrap();
    let trip = |employee_id: i64, serial: u32| TripRow {
        id: 0,
        org_id,
        employee_id,
        zones: vec![5, 9],
        valid_from: 18611,
        valid_until: 18612,
        serial,
    };
    let t1 = write(&store, |tx| tx.insert_trip(&trip(e, 10))).unwrap();
    let t2 = write(&store, |tx| tx.insert_trip(&trip(e, 11))).unwrap();
    let t3 = write(&store, |tx| tx.insert_trip(&trip(f, 12))).unwrap();
    assert_eq!(read(&store, |tx| tx.trip(org_id, t2)), Some(TripRow { id: t2, ..trip(e, 11) }));
    assert_eq!(read(&store, |tx| tx.trip(other, t2)), None);
    write(&store, |tx| tx.set_trip_serial(t1, u32::MAX)).unwrap();
    assert_eq!(
        read(&store, |tx| tx.trips_of(e)),
        [TripRow { id: t1, ..trip(e, u32::MAX) }, TripRow { id: t2, ..trip(e, 11) }]
    );
    write(&store, |tx| tx.delete_employee(e)).unwrap();
    assert_eq!(read(&store, |tx| tx.trips_of(e)), []);
    assert_eq!(read(&store, |tx| tx.trip(org_id, t1)), None);
    assert_eq!(read(&store, |tx| tx.trip(org_id, t3)).map(|t| t.employee_id), Some(f));
}

/// Permits by serial, with every field; revoked ones leave the live lists.
pub fn permits_round_trip_and_revocations_mark_them<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let org_id = new_org(&store, "1000000001");
    let other = new_org(&store, "1000000002");
    let e = write(&store, |tx| tx.insert_employee(&employee(org_id, "AZE00000001", "Aysel"))).unwrap();
    let mut trip = permit(u32::MAX, PermitKind::Trip, Some(org_id), Some(e));
    trip.trip_id = Some(4);
    trip.revoked = false;
    let mut funeral = permit(3, PermitKind::Funeral, None, None);
    funeral.note = Some("Cənazə, Sabunçu".into());
    funeral.issued_by = "op".into();
    let permits = [
        permit(1, PermitKind::Work, Some(org_id), Some(e)),
        permit(2, PermitKind::Work, Some(org_id), Some(e)),
        trip.clone(),
        funeral.clone(),
        permit(5, PermitKind::Work, Some(other), None),
    ];
    write(&store, |tx| permits.iter().try_for_each(|p| tx.insert_permit(p))).unwrap();
    assert!(write(&store, |tx| tx.insert_permit(&permits[0])).is_err(), "a serial once");
    assert_eq!(read(&store, |tx| tx.permit(u32::MAX)), Some(trip));
    assert_eq!(read(&store, |tx| tx.permit(3)), Some(funeral));
    assert_eq!(read(&store, |tx| tx.permit(4)), None);
    assert_eq!(read(&store, |tx| tx.live_permits_of_org(org_id)), [1, 2, u32::MAX]);
    assert_eq!(read(&store, |tx| tx.live_permits_of_employee(e)), [1, 2, u32::MAX]);
    write(&store, |tx| tx.mark_revoked(&[2, u32::MAX, 99])).unwrap();
    write(&store, |tx| tx.mark_revoked(&[])).unwrap();
    assert_eq!(read(&store, |tx| tx.live_permits_of_org(org_id)), [1]);
    assert_eq!(read(&store, |tx| tx.live_permits_of_employee(e)), [1]);
    assert_eq!(read(&store, |tx| tx.live_permits_of_org(other)), [5]);
    assert!(read(&store, |tx| tx.permit(2)).is_some_and(|p| p.revoked));
}

/// An operator's funeral permits, serials after one, oldest first, at most a limit.
pub fn funeral_permits_are_listed_by_operator_oldest_first<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let mut all = Vec::new();
    for (serial, by, kind) in [
        (30, "op", PermitKind::Funeral),
        (10, "op", PermitKind::Funeral),
        (20, "other", PermitKind::Funeral),
        (40, "op", PermitKind::Work),
        (50, "op", PermitKind::Funeral),
    ] {
        let mut p = permit(serial, kind, None, None);
        p.issued_by = by.into();
        all.push(p);
    }
    write(&store, |tx| all.iter().try_for_each(|p| tx.insert_permit(p))).unwrap();
    let serials = |after: u32, limit: u32| -> Vec<u32> {
        read(&store, |tx| tx.funeral_permits("op", after, limit)).iter().map(|p| p.serial).collect()
    };
    assert_eq!(serials(0, 10), [10, 30, 50]);
    assert_eq!(serials(10, 1), [30]);
    assert_eq!(serials(50, 10), Vec::<u32>::new());
    assert_eq!(read(&store, |tx| tx.funeral_permits("op", 0, 1)), [all[1].clone()]);
}

/// An import is inserted, then replaced (its organisation and start kept);
/// those still checking or issuing are failed after a restart.
pub fn imports_are_replaced_and_those_cut_by_a_restart_are_failed<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let mut job = ImportRow {
        id: "a".into(),
        org_id: 1,
        state: "checking".into(),
        total: 2,
        processed: 0,
        imported: 0,
        problems: Vec::new(),
        problems_total: 0,
        created_at: minute(5),
    };
    write(&store, |tx| tx.put_import(&job)).unwrap();
    job.state = "issuing".into();
    job.processed = 2;
    job.problems = vec![
        ImportProblem { line: 3, message: "bad, \"quoted\"".into(), code: ProblemCode::default() },
        ImportProblem {
            line: 9,
            message: "ə".into(),
            code: ProblemCode {
                code: "invalid_zone".into(),
                case: Some("not_in_regime".into()),
                field: Some("zones".into()),
                params: vec![("zone".into(), "999".into()), ("regime".into(), "ə \"1\"".into())],
            },
        },
    ];
    job.problems_total = 7;
    write(&store, |tx| tx.put_import(&ImportRow { org_id: 2, created_at: minute(6), ..job.clone() })).unwrap();
    assert_eq!(read(&store, |tx| tx.import(1, "a")), Some(job.clone()));
    let done = ImportRow { id: "b".into(), state: "done".into(), ..job.clone() };
    write(&store, |tx| tx.put_import(&done)).unwrap();
    assert_eq!(write(&store, |tx| tx.fail_unfinished_imports()).unwrap(), 1);
    assert_eq!(write(&store, |tx| tx.fail_unfinished_imports()).unwrap(), 0);
    assert_eq!(read(&store, |tx| tx.import(1, "a")), Some(ImportRow { state: "failed".into(), ..job }));
    assert_eq!(read(&store, |tx| tx.import(1, "b")), Some(done));
    assert_eq!(read(&store, |tx| tx.import(2, "a")), None, "another organisation's import is not found");
}

/// An organisation's entries after an id, oldest first, at most a limit; the
/// details as the JSON object of their fields, in name order.
pub fn the_audit_log_is_an_organisation_s_in_order_with_its_details_as_json<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let entry = |org_id: Option<i64>, action: &str, details: AuditDetails| AuditEntry {
        org_id,
        at: minute(77),
        by: "boss".into(),
        action: action.into(),
        details,
    };
    let added = AuditDetails::EmployeeAdded { document: "AZE1".into(), employee: 7, serial: 9 };
    let reissued = AuditDetails::PermitsReissued {
        reason: "the key \"portal\" was revoked".into(),
        reissued: vec![ReissuedPermit { new: 10, old: 9 }],
    };
    let trip = AuditDetails::TripAdded { employee: 7, serial: 9, trip: 2, zones: vec![3, 4] };
    let ids = write(&store, |tx| {
        Ok([
            tx.audit(&entry(Some(1), "employee_added", added.clone()))?,
            tx.audit(&entry(Some(2), "trip_added", trip.clone()))?,
            tx.audit(&entry(None, "funeral_issued", AuditDetails::Login { login: "op".into() }))?,
            tx.audit(&entry(Some(1), "permits_reissued", reissued.clone()))?,
            tx.audit(&entry(Some(1), "trip_added", trip.clone()))?,
        ])
    })
    .unwrap();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let entries = read(&store, |tx| tx.audit_entries(1, 0, 10));
    assert_eq!(entries.iter().map(|e| e.id).collect::<Vec<_>>(), [ids[0], ids[3], ids[4]]);
    assert_eq!(
        entries.iter().map(|e| e.details.as_str()).collect::<Vec<_>>(),
        [
            r#"{"document":"AZE1","employee":7,"serial":9}"#,
            r#"{"reason":"the key \"portal\" was revoked","reissued":[{"new":10,"old":9}]}"#,
            r#"{"employee":7,"serial":9,"trip":2,"zones":[3,4]}"#,
        ]
    );
    let first = &entries[0];
    assert_eq!(
        (first.org_id, first.at, first.by.as_str(), first.action.as_str()),
        (Some(1), minute(77), "boss", "employee_added")
    );
    let page = read(&store, |tx| tx.audit_entries(1, ids[0], 1));
    assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), [ids[3]]);
    assert_eq!(read(&store, |tx| tx.audit_entries(2, 0, 10)).len(), 1);
    assert_eq!(read(&store, |tx| tx.audit_entries(3, 0, 10)), []);
}

/// The lock of changes, dropped, is taken again, by the same store and by
/// another on the same database, and the store writes while it is held.
pub fn the_change_lock_is_let_go_when_dropped<B: Backend>(backend: &B) {
    let db = backend.database();
    let (store, other) = (backend.open(&db), backend.open(&db));
    for round in 0..3 {
        for (i, s) in [&store, &other].into_iter().enumerate() {
            let lock = s.lock_changes().expect("the lock");
            write(s, |tx| tx.insert_org(&org(&format!("10000000{round}{i}")))).expect("a write under the lock");
            drop(lock);
        }
    }
    assert!(read(&store, |tx| tx.org_by_tax_id("1000000021")).is_some());
}
