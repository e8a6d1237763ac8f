//! The test suite every [`SyncStore`] backend runs, the same tests for each
//! (behind the `conformance` feature, for backends' tests only).
//!
//! A backend's test file implements [`Backend`] (a fresh database, a store on
//! it) and expands [`sync_store_conformance!`](crate::sync_store_conformance), which makes one `#[test]` of
//! each function here:
//!
//! ```text
//! struct Sqlite;
//! impl icaze_sync_service::conformance::Backend for Sqlite { /* ... */ }
//! icaze_sync_service::sync_store_conformance!(Sqlite);
//! ```
//!
//! The tests hold what the store interface promises and what the rules rely
//! on, read back through the interface only; they use `assert!` and panic on
//! a failure, as tests do. How a backend holds them with several instances on
//! one database, and what it does when its database goes away, is tested by
//! the backend itself.

use std::sync::Arc;

use icaze_core::{SecretKey, UtcMinute};
use icaze_permits::keys::KeyRing;
use icaze_permits::store::PermitStore;
use icaze_permits::FixedClock;
use icaze_protocol::{EnrollmentCode, InspectionRecord, UploadBatch};

use crate::bundle::BundleAnswer;
use crate::store::{
    AuditDetails, AuditEntry, BundleState, ConflictRow, DeviceRow, InspectionQuery, InspectionRow, NewInspections,
    RevocationKind, RevocationRow, StoreError, StoredInspection, SupervisorRole, SupervisorRow, SyncStore,
};

mod bundles;
mod denials;
mod people;
pub use bundles::deltas_carry_the_organisations_only_when_they_changed;
pub use denials::{
    a_round_of_revocations_is_read_and_written_at_once, the_applier_revokes_only_what_still_holds_when_it_runs,
};
pub use people::{every_view_of_people_is_audited, supervisors_keep_their_role};

/// What the suite needs of a backend besides the store interface.
pub trait Backend: Send + Sync {
    /// Keeps a fresh, empty database alive (a temporary directory, a
    /// throwaway PostgreSQL database).
    type Database: Send + Sync;
    /// The store.
    type Store: SyncStore;
    /// The permits store of the same backend, which the service reads
    /// (regimes, a document's permits).
    type Permits: PermitStore;
    /// A fresh, empty database.
    fn database(&self) -> Self::Database;
    /// A store on `database` (called again after the first is dropped: a
    /// restart).
    fn open(&self, database: &Self::Database) -> Self::Store;
    /// The permits store on `database`.
    fn permits(&self, database: &Self::Database) -> Self::Permits;
}

/// One `#[test]` of each conformance test for the [`Backend`] `$backend` (an
/// expression, evaluated in each test).
#[macro_export]
macro_rules! sync_store_conformance {
    (@tests $backend:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::$name(&$backend);
            }
        )*
    };
    ($backend:expr) => {
        $crate::sync_store_conformance!(@tests $backend;
            a_failed_write_leaves_nothing_of_itself,
            concurrent_writers_keep_their_own_failures,
            a_panicking_write_is_rolled_back_and_the_store_goes_on,
            reopening_keeps_what_was_written,
            multi_row_inserts_store_every_record_once_and_derive_the_chain,
            records_of_a_device_not_stored_are_refused,
            devices_round_trip_by_id_key_and_precinct,
            queries_page_newest_first_and_count_by_hour_and_officer,
            records_kept_apart_are_kept_once_each,
            revocations_carry_their_version_and_a_bundle_reads_up_to_its_own,
            supervisors_are_unique_and_found_by_token_hash,
            the_audit_trail_is_kept_in_order_as_json,
            the_service_stores_uploads_as_logged_and_versions_its_bundles,
            supervisors_keep_their_role,
            every_view_of_people_is_audited,
            deltas_carry_the_organisations_only_when_they_changed,
            the_applier_revokes_only_what_still_holds_when_it_runs,
            a_round_of_revocations_is_read_and_written_at_once,
        );
    };
}

/// The minute the suite's records are made at.
pub const START: u32 = 26_830_000;

/// A device `id` of precinct `P-1`, approved at [`START`]; its key is the id's
/// first byte 32 times.
pub fn device(id: &str) -> DeviceRow {
    DeviceRow {
        device_id: id.into(),
        public_key: [id.as_bytes().first().copied().unwrap_or(0); 32],
        badge: "B-1".into(),
        precinct: "P-1".into(),
        suspended: false,
        approved_at: UtcMinute::from_unix_minutes(START),
        approved_by: "admin".into(),
        last_sync: None,
        high_water: 0,
        max_seq: 0,
        fork_seq: None,
        badge_seq: None,
    }
}

/// The hash the suite gives record `seq`.
pub fn hash_of(seq: u64) -> [u8; 32] {
    [seq as u8; 32]
}

/// Record `seq` at [`START`], valid, by `B-1` in zone 1.
pub fn row(seq: u64) -> InspectionRow<'static> {
    InspectionRow {
        seq,
        at: UtcMinute::from_unix_minutes(START),
        officer: "B-1",
        zone: 1,
        input: "token",
        display: Some("valid"),
        gap_prev_hash: None,
        hash: hash_of(seq),
        body: &[1, 2, 3],
    }
}

/// `rows` of `device_id`, uploaded from `P-1` a minute after [`START`].
pub fn of<'a>(device_id: &'a str, rows: Vec<InspectionRow<'static>>) -> NewInspections<'a> {
    NewInspections {
        device_id,
        precinct: "P-1",
        received_at: UtcMinute::from_unix_minutes(START + 1),
        channel: "upload",
        rows,
    }
}

/// A store with device `D`.
fn with_device<B: Backend>(backend: &B) -> (B::Database, B::Store) {
    let db = backend.database();
    let store = backend.open(&db);
    store.write(&mut |tx| tx.put_device(&device("D"))).expect("put device D");
    (db, store)
}

/// The stored seqs of a device, ascending.
fn seqs_of(store: &impl SyncStore, device_id: &str) -> Vec<u64> {
    let mut seqs = Vec::new();
    store
        .write(&mut |tx| {
            seqs = tx.seqs_after(device_id, 0, 10_000)?;
            Ok(())
        })
        .expect("the stored seqs");
    seqs
}

/// A transaction that fails half-way leaves nothing of itself: neither its
/// records nor its device update.
pub fn a_failed_write_leaves_nothing_of_itself<B: Backend>(backend: &B) {
    let (_db, store) = with_device(backend);
    store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(1)]))).expect("record 1");
    let failed = store.write(&mut |tx| {
        tx.put_device(&DeviceRow { max_seq: 9, ..device("D") })?;
        tx.insert_inspections(&of("D", vec![row(2)]))?;
        tx.insert_inspections(&of("D", vec![row(1)]))
    });
    assert!(failed.is_err());
    assert_eq!(seqs_of(&store, "D"), [1]);
    assert_eq!(store.device("D").expect("device").map(|d| d.max_seq), Some(0));
    // A rule's refusal (an error of the work itself) rolls back the same way.
    let refused = store.write(&mut |tx| {
        tx.insert_inspections(&of("D", vec![row(2)]))?;
        Err(StoreError::Damaged("refused by the rules".into()))
    });
    assert!(refused.is_err());
    assert_eq!(seqs_of(&store, "D"), [1]);
}

/// Writers at once each get their own outcome: a failing one takes none of
/// the others with it, and nothing stays open after them.
pub fn concurrent_writers_keep_their_own_failures<B: Backend>(backend: &B) {
    let (_db, store) = with_device(backend);
    let store = Arc::new(store);
    let threads: Vec<_> = (1..=48u64)
        .map(|seq| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                store.write(&mut |tx| {
                    tx.insert_inspections(&of("D", vec![row(seq)]))?;
                    if seq.is_multiple_of(8) {
                        // A duplicate: this write fails, and only this one.
                        tx.insert_inspections(&of("D", vec![row(seq)]))?;
                    }
                    Ok(())
                })
            })
        })
        .collect();
    for (i, thread) in threads.into_iter().enumerate() {
        let seq = i as u64 + 1;
        assert_eq!(thread.join().expect("a writer").is_ok(), !seq.is_multiple_of(8), "write {seq}");
    }
    assert_eq!(seqs_of(store.as_ref(), "D"), (1..=48).filter(|s| s % 8 != 0).collect::<Vec<u64>>());
    store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(100)]))).expect("a later write");
    assert_eq!(seqs_of(store.as_ref(), "D").len(), 43);
}

/// A panic inside the work rolls its transaction back; the store goes on.
pub fn a_panicking_write_is_rolled_back_and_the_store_goes_on<B: Backend>(backend: &B) {
    let (_db, store) = with_device(backend);
    let panicked = store.write(&mut |tx| {
        tx.insert_inspections(&of("D", vec![row(1)]))?;
        panic!("a bug in the rules");
    });
    assert!(matches!(panicked, Err(StoreError::Damaged(_))), "{panicked:?}");
    assert!(seqs_of(&store, "D").is_empty());
    store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(1)]))).expect("record 1");
    let mut seen = Vec::new();
    store
        .write(&mut |tx| {
            seen = tx.hashes("D", 0, 10)?;
            Ok(())
        })
        .expect("read in a write");
    assert_eq!(seen, [(1, hash_of(1))]);
}

/// A store opened again on the same database (a restart) finds everything.
pub fn reopening_keeps_what_was_written<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    assert_eq!(store.bundle_state().expect("state"), BundleState::default());
    store
        .write(&mut |tx| {
            tx.put_device(&device("D"))?;
            tx.insert_inspections(&of("D", vec![row(1), row(2)]))
        })
        .expect("a write");
    drop(store);
    let again = backend.open(&db);
    assert_eq!(again.bundle_state().expect("state"), BundleState::default());
    assert_eq!(again.device("D").expect("device"), Some(device("D")));
    assert_eq!(seqs_of(&again, "D"), [1, 2]);
}

/// A batch of 200 records in one call, then three after a gap: each stored
/// once, the chain hash before each derived (or kept, after the gap), and a
/// batch that repeats a stored seq stores nothing of itself.
pub fn multi_row_inserts_store_every_record_once_and_derive_the_chain<B: Backend>(backend: &B) {
    let (_db, store) = with_device(backend);
    store.write(&mut |tx| tx.insert_inspections(&of("D", (1..=200).map(row).collect()))).expect("200 records");
    let after_gap = vec![InspectionRow { gap_prev_hash: Some([0xee; 32]), ..row(203) }, row(204), row(205)];
    store.write(&mut |tx| tx.insert_inspections(&of("D", after_gap.clone()))).expect("after the gap");
    let mut before = Vec::new();
    let mut seqs = Vec::new();
    let mut hashes = Vec::new();
    store
        .write(&mut |tx| {
            before = [1, 2, 150, 203, 204, 300]
                .into_iter()
                .map(|seq| tx.prev_hash_of("D", seq))
                .collect::<Result<Vec<_>, _>>()?;
            seqs = tx.seqs_after("D", 198, 4)?;
            hashes = tx.hashes("D", 199, 204)?;
            Ok(())
        })
        .expect("reads in a write");
    assert_eq!(
        before,
        [Some([0; 32]), Some(hash_of(1)), Some(hash_of(149)), Some([0xee; 32]), Some(hash_of(203)), None]
    );
    assert_eq!(seqs, [199, 200, 203, 204]);
    assert_eq!(hashes.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [199, 200, 203, 204]);
    assert!(hashes.iter().all(|(s, h)| *h == hash_of(*s)));
    let again = store.write(&mut |tx| tx.insert_inspections(&of("D", (198..=210).map(row).collect())));
    assert!(again.is_err());
    let query = InspectionQuery { device: Some("D".into()), limit: 1000, ..Default::default() };
    let read = store.inspections(&query).expect("inspections");
    assert_eq!(read.len(), 203);
    let by_seq = |seq: u8| read.iter().find(|r| r.hash == [seq; 32]).expect("stored");
    assert_eq!(by_seq(204).prev_hash, hash_of(203));
    assert_eq!(by_seq(203).prev_hash, [0xee; 32]);
    assert_eq!(by_seq(1).prev_hash, [0; 32]);
    assert_eq!((by_seq(1).body.as_slice(), by_seq(1).precinct.as_str()), (&[1u8, 2, 3][..], "P-1"));
    assert_eq!(store.next_seq_after("D", 200).expect("next"), Some(203));
    assert_eq!(store.next_seq_after("D", 205).expect("next"), None);
}

/// Records of a device that is not stored are refused, as damaged data.
pub fn records_of_a_device_not_stored_are_refused<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let refused = store.write(&mut |tx| tx.insert_inspections(&of("X", vec![row(1)])));
    assert!(matches!(&refused, Err(StoreError::Damaged(m)) if m.contains("not stored")), "{refused:?}");
}

/// Devices by id, by key and by precinct (ordered by id), every field as
/// written, and `put_device` replacing a device's row.
pub fn devices_round_trip_by_id_key_and_precinct<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let full = DeviceRow {
        precinct: "P-2".into(),
        suspended: true,
        last_sync: Some(UtcMinute::from_unix_minutes(START + 5)),
        high_water: 7,
        max_seq: 12,
        fork_seq: Some(9),
        badge_seq: Some(11),
        ..device("Zed")
    };
    store
        .write(&mut |tx| {
            for d in [device("b"), full.clone(), device("C"), device("a")] {
                tx.put_device(&d)?;
            }
            Ok(())
        })
        .expect("devices");
    assert_eq!(store.device("Zed").expect("device"), Some(full.clone()));
    assert_eq!(store.device_by_key(&[b'Z'; 32]).expect("by key"), Some(full.clone()));
    assert_eq!(store.device_by_key(&[0; 32]).expect("by key"), None);
    assert_eq!(store.device("nobody").expect("device"), None);
    let ids = |rows: Vec<DeviceRow>| rows.into_iter().map(|d| d.device_id).collect::<Vec<_>>();
    // Byte order: capitals first.
    assert_eq!(ids(store.devices(None).expect("all")), ["C", "Zed", "a", "b"]);
    assert_eq!(ids(store.devices(Some("P-1")).expect("P-1")), ["C", "a", "b"]);
    assert!(store.devices(Some("P-9")).expect("P-9").is_empty());
    let moved = DeviceRow { precinct: "P-1".into(), suspended: false, fork_seq: None, badge_seq: None, ..full };
    let mut inside = None;
    store
        .write(&mut |tx| {
            tx.put_device(&moved)?;
            inside = tx.device("Zed")?;
            Ok(())
        })
        .expect("a replacement");
    assert_eq!(inside.as_ref(), Some(&moved));
    assert_eq!(store.device("Zed").expect("device"), Some(moved));
    assert_eq!(ids(store.devices(Some("P-1")).expect("P-1")), ["C", "Zed", "a", "b"]);
}

/// Devices `D` (precinct `P-1`) and `E` (`P-2`) and 30 records of each, at
/// times out of order, every third a violation, every fifth shown `not_valid`.
fn write_two_precincts(store: &impl SyncStore) {
    let rows = |precinct: u32| {
        (1..=30u64)
            .map(|seq| InspectionRow {
                at: UtcMinute::from_unix_minutes(START + (seq * 37 % 11) as u32 * 40 + precinct),
                officer: if seq % 2 == 0 { "B-1" } else { "B-2" },
                input: if seq % 3 == 0 { "violation" } else { "token" },
                display: if seq % 5 == 0 { Some("not_valid") } else { Some("valid") },
                ..row(seq)
            })
            .collect::<Vec<_>>()
    };
    store
        .write(&mut |tx| {
            tx.put_device(&device("D"))?;
            tx.put_device(&DeviceRow { precinct: "P-2".into(), ..device("E") })?;
            tx.insert_inspections(&of("D", rows(0)))?;
            tx.insert_inspections(&NewInspections { precinct: "P-2", ..of("E", rows(1)) })
        })
        .expect("two precincts");
}

/// Pages of a precinct newest first through the cursor, each row once; a
/// window of violations; the filters; the counts by hour and by officer.
pub fn queries_page_newest_first_and_count_by_hour_and_officer<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    write_two_precincts(&store);
    let query = InspectionQuery { precinct: Some("P-1".into()), limit: 4, ..Default::default() };
    let mut pages: Vec<StoredInspection> = Vec::new();
    loop {
        let after = pages.last().map(|r| (r.at, r.id));
        let page = store.inspections(&InspectionQuery { after, ..query.clone() }).expect("a page");
        assert!(page.len() <= 4);
        if page.is_empty() {
            break;
        }
        pages.extend(page);
    }
    assert_eq!(pages.len(), 30);
    assert!(pages.iter().all(|r| r.device_id == "D" && r.precinct == "P-1"));
    assert!(pages.windows(2).all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)), "newest first, each once");
    let seq = |r: &StoredInspection| u64::from(r.hash[0]);
    let (from, to) = (UtcMinute::from_unix_minutes(START + 80), UtcMinute::from_unix_minutes(START + 300));
    let window = InspectionQuery { from: Some(from), to: Some(to), violations: true, limit: 100, ..query.clone() };
    let window = store.inspections(&window).expect("a window");
    let expected: Vec<_> =
        pages.iter().filter(|r| r.at >= from && r.at < to && seq(r) % 3 == 0).cloned().collect::<Vec<_>>();
    assert!(!expected.is_empty());
    assert_eq!(window, expected);
    let by_officer = InspectionQuery { officer: Some("B-1".into()), zone: Some(1), limit: 100, ..Default::default() };
    let by_officer = store.inspections(&by_officer).expect("by officer");
    assert_eq!(by_officer.len(), 30);
    assert!(by_officer.iter().all(|r| seq(r) % 2 == 0));
    let other_zone = InspectionQuery { zone: Some(2), limit: 100, ..Default::default() };
    assert!(store.inspections(&other_zone).expect("zone 2").is_empty());
    let of_e = InspectionQuery { device: Some("E".into()), precinct: Some("P-1".into()), limit: 100, ..query };
    assert!(store.inspections(&of_e).expect("E in P-1").is_empty());

    let (from, to) = (UtcMinute::from_unix_minutes(START - 10_000), UtcMinute::from_unix_minutes(START + 10_000));
    let hourly = store.hourly(Some("P-1"), from, to).expect("hourly");
    assert!(hourly.windows(2).all(|w| w[0].hour < w[1].hour));
    assert!(hourly.iter().all(|h| h.hour.unix_minutes() % 60 == 0));
    let sums = hourly.iter().fold((0, 0, 0), |(n, v, nv), h| (n + h.inspections, v + h.violations, nv + h.not_valid));
    assert_eq!(sums, (30, 10, 6));
    let all = store.hourly(None, from, to).expect("hourly, all");
    assert_eq!(all.iter().map(|h| h.inspections).sum::<u64>(), 60);
    assert!(store.hourly(Some("P-9"), from, to).expect("hourly, P-9").is_empty());
    let narrow = store.hourly(None, UtcMinute::from_unix_minutes(START), UtcMinute::from_unix_minutes(START + 1));
    // Records at START exactly: seqs whose `seq * 37 % 11` is 0 in P-1 (11, 22).
    assert_eq!(narrow.expect("one minute").iter().map(|h| h.inspections).sum::<u64>(), 2);
    let officers = store.officers(Some("P-2"), from, to).expect("officers");
    assert_eq!(
        officers.iter().map(|o| (o.badge.as_str(), o.inspections, o.violations)).collect::<Vec<_>>(),
        [("B-1", 15, 5), ("B-2", 15, 5)]
    );
    assert_eq!(store.officers(None, from, to).expect("officers, all").len(), 2);
}

/// A record kept apart is kept once, however often it comes; another record
/// of the same seq is kept beside it.
pub fn records_kept_apart_are_kept_once_each<B: Backend>(backend: &B) {
    let (_db, store) = with_device(backend);
    let conflict = |hash: u8| ConflictRow {
        device_id: "D".into(),
        seq: 4,
        prev_hash: [3; 32],
        hash: [hash; 32],
        body: vec![9, 9],
        received_at: UtcMinute::from_unix_minutes(START + 2),
        channel: "file",
    };
    let mut kept = Vec::new();
    store
        .write(&mut |tx| {
            kept = vec![tx.insert_conflict(&conflict(1))?, tx.insert_conflict(&conflict(1))?];
            Ok(())
        })
        .expect("conflicts");
    assert_eq!(kept, [true, false]);
    store
        .write(&mut |tx| {
            kept = vec![tx.insert_conflict(&conflict(1))?, tx.insert_conflict(&conflict(2))?];
            Ok(())
        })
        .expect("conflicts again");
    assert_eq!(kept, [false, true]);
    assert_eq!(store.conflict_count("D").expect("count"), 2);
    assert_eq!(store.conflict_count("E").expect("count"), 0);
}

/// The bundle state round-trips; revocations carry the version they were
/// made in; the reads by version are bounded as they say; a serial is
/// revoked once; a revoker's count since a time.
pub fn revocations_carry_their_version_and_a_bundle_reads_up_to_its_own<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    assert_eq!(store.bundle_state().expect("state"), BundleState::default());
    let at = |m: u32| UtcMinute::from_unix_minutes(START + m);
    let revoke_kind = |serials: Vec<u32>, by: &'static str, minute: u32, document: Option<&'static str>, kind| {
        let mut version = 0;
        store
            .write(&mut |tx| {
                let mut state = tx.bundle_state()?;
                state.version += 1;
                state.minted_at = Some(at(minute));
                tx.set_bundle_state(&state)?;
                for &serial in &serials {
                    tx.insert_revocation(&RevocationRow {
                        serial,
                        version: state.version,
                        at: at(minute),
                        by: by.into(),
                        reason: "stolen".into(),
                        document: document.map(str::to_owned),
                        kind,
                    })?;
                }
                version = state.version;
                Ok(())
            })
            .map(|()| version)
    };
    let revoke = |serials: Vec<u32>, by: &'static str, minute: u32, document: Option<&'static str>| {
        revoke_kind(serials, by, minute, document, RevocationKind::Other)
    };
    assert_eq!(revoke(vec![30, 10], "admin", 0, None).expect("version 1"), 1);
    assert_eq!(revoke(vec![20], "sup", 10, Some("AZE11111111")).expect("version 2"), 2);
    assert_eq!(revoke_kind(vec![5, 40], "sup", 20, None, RevocationKind::Replaced).expect("version 3"), 3);
    // A serial revoked again is refused, and its version is not kept either.
    assert!(revoke(vec![41, 20], "sup", 30, None).is_err());
    assert_eq!(store.bundle_state().expect("state").version, 3);
    assert!(!store.is_revoked(41).expect("41"));

    assert_eq!(store.revoked_serials(0, 3).expect("all"), [5, 10, 20, 30, 40]);
    assert_eq!(store.revoked_serials(1, 3).expect("delta"), [5, 20, 40]);
    assert_eq!(store.revoked_serials(0, 2).expect("up to 2"), [10, 20, 30]);
    assert_eq!(store.revoked_serials(1, 2).expect("2 only"), [20]);
    assert!(store.revoked_serials(3, 3).expect("none").is_empty());
    // The replaced ones, by the same versions: a subset of the revoked.
    assert_eq!(store.replaced_serials(0, 3).expect("all replaced"), [5, 40]);
    assert_eq!(store.replaced_serials(2, 3).expect("delta"), [5, 40]);
    assert!(store.replaced_serials(0, 2).expect("up to 2").is_empty());
    assert!(store.replaced_serials(3, 3).expect("none").is_empty());
    assert_eq!((store.revoked_count(0).expect("count"), store.revoked_count(2).expect("count")), (5, 2));
    let listed = store.revocations(1).expect("revocations");
    assert_eq!(listed.iter().map(|r| (r.version, r.serial)).collect::<Vec<_>>(), [(2, 20), (3, 5), (3, 40)]);
    assert_eq!(
        listed[0],
        RevocationRow {
            serial: 20,
            version: 2,
            at: at(10),
            by: "sup".into(),
            reason: "stolen".into(),
            document: Some("AZE11111111".into()),
            kind: RevocationKind::Other,
        }
    );
    assert_eq!(listed.iter().map(|r| r.kind).collect::<Vec<_>>(), {
        use RevocationKind::{Other, Replaced};
        [Other, Replaced, Replaced]
    });
    assert!(store.is_revoked(20).expect("20") && !store.is_revoked(21).expect("21"));
    let mut counted = (false, false, 0, 0, 0);
    store
        .write(&mut |tx| {
            counted = (
                tx.is_revoked(40)?,
                tx.is_revoked(41)?,
                tx.revocations_by_since("sup", at(0))?,
                tx.revocations_by_since("sup", at(11))?,
                tx.revocations_by_since("nobody", at(0))?,
            );
            Ok(())
        })
        .expect("reads in a write");
    assert_eq!(counted, (true, false, 3, 2, 0));
    let state = BundleState {
        version: 9,
        fingerprint: Some([7; 32]),
        minted_at: Some(at(99)),
        organisations: Some([8; 32]),
        organisations_version: 7,
        organisations_checked: 9,
    };
    store.write(&mut |tx| tx.set_bundle_state(&state)).expect("state");
    assert_eq!(store.bundle_state().expect("state"), state);
}

/// Supervisors: one of a name, found by their token's hash, removed once.
pub fn supervisors_are_unique_and_found_by_token_hash<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let sup = |name: &str, hash: u8| SupervisorRow {
        name: name.into(),
        precinct: "P-1".into(),
        token_hash: [hash; 32],
        created_at: UtcMinute::from_unix_minutes(START),
        role: SupervisorRole::Supervisor,
    };
    let mut answers = Vec::new();
    store
        .write(&mut |tx| {
            answers = vec![tx.insert_supervisor(&sup("ana", 1))?, tx.insert_supervisor(&sup("ana", 2))?];
            Ok(())
        })
        .expect("supervisors");
    assert_eq!(answers, [true, false]);
    assert_eq!(store.supervisor_by_token_hash(&[1; 32]).expect("by hash"), Some(sup("ana", 1)));
    assert_eq!(store.supervisor_by_token_hash(&[2; 32]).expect("by hash"), None);
    store
        .write(&mut |tx| {
            answers = vec![tx.delete_supervisor("ana")?, tx.delete_supervisor("ana")?];
            Ok(())
        })
        .expect("removals");
    assert_eq!(answers, [true, false]);
    assert_eq!(store.supervisor_by_token_hash(&[1; 32]).expect("by hash"), None);
}

/// The audit trail: oldest first, paged by row id, its details kept as the
/// JSON object of their fields in name order, the same text on every backend.
pub fn the_audit_trail_is_kept_in_order_as_json<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let entries = [
        AuditDetails::Revoked { document: None, reason: "lost".into(), serials: vec![3, 1], version: 2 },
        AuditDetails::DeviceStatus { device_id: "D".into(), reason: "stolen \"phone\"".into() },
        AuditDetails::ForkCleared { badge_seq: Some(4), device_id: "D".into(), fork_seq: None, reason: "ok".into() },
        AuditDetails::SupervisorRemoved { name: "ana".into() },
    ];
    for (i, details) in entries.iter().enumerate() {
        let entry = AuditEntry {
            at: UtcMinute::from_unix_minutes(START + i as u32),
            who: "admin".into(),
            what: format!("what_{i}"),
            details: details.clone(),
        };
        store.write(&mut |tx| tx.audit(&entry)).expect("an audit entry");
    }
    // A rolled-back write leaves no entry.
    let entry = AuditEntry {
        at: UtcMinute::from_unix_minutes(START),
        who: "admin".into(),
        what: "never".into(),
        details: AuditDetails::SupervisorRemoved { name: "x".into() },
    };
    let refused = store.write(&mut |tx| {
        tx.audit(&entry)?;
        Err(StoreError::Damaged("refused".into()))
    });
    assert!(refused.is_err());
    let all = store.audit_entries(0, 100).expect("the trail");
    assert_eq!(all.iter().map(|(_, r)| r.what.as_str()).collect::<Vec<_>>(), ["what_0", "what_1", "what_2", "what_3"]);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(all[0].1.details, r#"{"document":null,"reason":"lost","serials":[3,1],"version":2}"#);
    assert_eq!(all[1].1.details, r#"{"device_id":"D","reason":"stolen \"phone\""}"#);
    assert_eq!(all[2].1.details, r#"{"badge_seq":4,"device_id":"D","fork_seq":null,"reason":"ok"}"#);
    assert_eq!((all[3].1.who.as_str(), all[3].1.at), ("admin", UtcMinute::from_unix_minutes(START + 3)));
    let page = store.audit_entries(all[0].0, 2).expect("a page");
    assert_eq!(page, all[1..3]);
    assert!(store.audit_entries(all[3].0, 10).expect("after the last").is_empty());
}

/// The sync service over the store: uploads read back exactly as the device
/// logged them (chain hashes included) across a gap, its filling, duplicates
/// and a fork kept apart; a revocation raises the bundle's version, and the
/// bundles answer with it.
pub fn the_service_stores_uploads_as_logged_and_versions_its_bundles<B: Backend>(backend: &B) {
    let db = backend.database();
    let keys = tempfile::tempdir().expect("a directory");
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").expect("a time");
    icaze_authority::Authority::init(&keys.path().join("authority"), now, &Default::default()).expect("keys");
    let service = crate::SyncService::new(
        Box::new(backend.open(&db)),
        Arc::new(backend.permits(&db)),
        Arc::new(KeyRing::load(&keys.path().join("authority")).expect("the key ring")),
        None,
        Arc::new(FixedClock::new(now)),
        "admin".into(),
    );
    let key = SecretKey::from_seed(&[7; 32]);
    let code = EnrollmentCode::of(&key.public_key()).to_string();
    let (_, view) = service.approve(&crate::Caller::Admin, &code, "B-1", "P-1").expect("approve");
    let device_id = view.row.device_id;
    let upload = |records: &[InspectionRecord]| {
        let batch = UploadBatch::sign(&key, now, records).expect("a batch");
        service.upload(&batch, crate::Channel::Upload, None).expect("an upload")
    };
    let stored = || {
        let filter =
            crate::InspectionFilter { device: Some(device_id.clone()), limit: Some(1000), ..Default::default() };
        let page = service.inspections(&crate::Caller::Admin, &filter).expect("inspections");
        let mut records: Vec<InspectionRecord> = page.records.into_iter().map(|(_, _, r)| r).collect();
        records.sort_by_key(|r| r.seq);
        records
    };
    let log = icaze_protocol::samples::sample_log(1, "B-1", 12, now);
    let first = upload(&log[..3]);
    assert_eq!((first.accepted, first.acknowledged_seq), (3, 3));
    let after_gap = upload(&log[7..]);
    assert_eq!((after_gap.accepted, after_gap.acknowledged_seq), (5, 12));
    let device = after_gap.device.expect("the device");
    assert_eq!((device.row.high_water, device.gap), (3, Some((4, 7))));
    let seqs: Vec<u64> = stored().iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 8, 9, 10, 11, 12]);
    let filled = upload(&log[3..7]);
    assert_eq!(filled.accepted, 4);
    assert_eq!(filled.device.as_ref().map(|d| (d.row.high_water, d.gap)), Some((12, None)));
    let again = upload(&log[2..9]);
    assert_eq!((again.accepted, again.duplicates, again.conflicts), (0, 7, 0));
    assert_eq!(stored(), log);
    // Another log's record 6 is a fork: kept apart, flagged, never merged.
    let other = icaze_protocol::samples::sample_log(2, "B-1", 6, now);
    let fork = upload(&other[5..]);
    assert_eq!((fork.accepted, fork.conflicts), (0, 1));
    assert_eq!(fork.device.map(|d| (d.row.fork_seq, d.conflicts)), Some((Some(6), 1)));
    assert_eq!(stored(), log);

    let built = |answer: BundleAnswer| match answer {
        BundleAnswer::Bundle(built) => (built.version, built.base),
        BundleAnswer::Current { version } => panic!("current at {version}"),
    };
    assert_eq!(built(service.bundle(None).expect("a bundle")), (1, None));
    let (revoked, version) =
        service.revoke(&crate::Caller::Admin, crate::RevokeTarget::Serials(vec![7, 5, 7]), "stolen").expect("revoke");
    assert_eq!((revoked, version), (vec![5, 7], 2));
    let replaced = crate::RevokeTarget::Serial(9);
    let third = service.revoke_as(&crate::Caller::Admin, replaced, "edited", RevocationKind::Replaced).expect("revoke");
    assert_eq!(third, (vec![9], 3));
    // A delta of one revocation in three; since version 1, all of them: the full bundle.
    assert_eq!(built(service.bundle(Some(2)).expect("a delta")), (3, Some(2)));
    assert_eq!(built(service.bundle(Some(1)).expect("a full bundle")), (3, None));
    // Both carry the replaced serial in their section 1, among their revocations.
    let root = *KeyRing::load(&keys.path().join("authority")).expect("the key ring").current().root_public_key();
    let read = |since: Option<u64>| match service.bundle(since).expect("a bundle") {
        BundleAnswer::Bundle(built) => icaze_core::VerifiedBundle::verify(&built.bytes, &root).expect("it verifies"),
        BundleAnswer::Current { version } => panic!("current at {version}"),
    };
    for since in [None, Some(2)] {
        let bundle = read(since);
        let serials = |set: &icaze_core::RevocationSet| set.iter().collect::<Vec<_>>();
        assert_eq!(bundle.format(), icaze_core::BundleFormat::V2);
        assert_eq!(serials(&bundle.contents().sections.replaced), [9], "since {since:?}");
        let revoked = if since.is_none() { vec![5, 7, 9] } else { vec![9] };
        assert_eq!(serials(&bundle.contents().revocations), revoked, "since {since:?}");
    }
    assert!(matches!(service.bundle(Some(3)), Ok(BundleAnswer::Current { version: 3 })));
    assert!(service.is_revoked(5).expect("5") && !service.is_revoked(6).expect("6"));
    let trail = service.audit_trail(&crate::Caller::Admin, 0, 10).expect("the trail");
    let what: Vec<&str> = trail.iter().map(|(_, r)| r.what.as_str()).collect();
    assert_eq!(what, ["device_approved", "revoked", "revoked"]);
}
