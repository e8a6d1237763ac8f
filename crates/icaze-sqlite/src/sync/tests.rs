use std::sync::atomic::Ordering;

use rusqlite::params;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

use super::schema::{coded, CHANNEL_CODES, DISPLAY_CODES, INPUT_CODES};
use super::*;
use icaze_core::UtcMinute;
use icaze_sync_service::store::{
    BundleState, DeviceRow, HourCount, InspectionQuery, InspectionRow, NewInspections, OfficerCount, StoredInspection,
    SyncStore,
};

fn store() -> (tempfile::TempDir, SqliteSyncStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteSyncStore::open(&dir.path().join("sync.db"), SqliteConfig::default()).unwrap();
    (dir, store)
}

fn device(id: &str) -> DeviceRow {
    DeviceRow {
        device_id: id.into(),
        public_key: [id.as_bytes().first().copied().unwrap_or(0); 32],
        badge: "B-1".into(),
        precinct: "P-1".into(),
        suspended: false,
        approved_at: UtcMinute::from_unix_minutes(26_830_000),
        approved_by: "admin".into(),
        last_sync: None,
        high_water: 0,
        max_seq: 0,
        fork_seq: None,
        badge_seq: None,
    }
}

fn hash_of(seq: u64) -> [u8; 32] {
    [seq as u8; 32]
}

fn row(seq: u64) -> InspectionRow<'static> {
    InspectionRow {
        seq,
        at: UtcMinute::from_unix_minutes(26_830_000),
        officer: "B-1",
        zone: 1,
        input: "token",
        display: Some("valid"),
        gap_prev_hash: None,
        hash: hash_of(seq),
        body: &[1, 2, 3],
    }
}

fn of<'a>(device_id: &'a str, rows: Vec<InspectionRow<'static>>) -> NewInspections<'a> {
    NewInspections {
        device_id,
        precinct: "P-1",
        received_at: UtcMinute::from_unix_minutes(26_830_001),
        channel: "upload",
        rows,
    }
}

/// A store with device `D`.
fn store_with_device() -> (tempfile::TempDir, SqliteSyncStore) {
    let (dir, store) = store();
    store.write(&mut |tx| tx.put_device(&device("D"))).unwrap();
    (dir, store)
}

/// The triggers refuse any change of the log (what the store does with its
/// writes is the conformance suite's, `tests/sync_conformance.rs`).
#[test]
fn the_log_is_append_only() {
    let (dir, store) = store_with_device();
    store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(1)]))).unwrap();
    let conn = Connection::open(dir.path().join("sync.db")).unwrap();
    let count: i64 = conn.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 1);
    let update = conn.execute("UPDATE inspections SET officer = 'X'", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(conn.execute("DELETE FROM inspections", []).is_err());
    let count: i64 = conn.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 1);
}

/// Issue 5: with FULL the WAL is flushed outside the writer's lock, and
/// still every write returns, and every read answers, only once what it
/// did or saw is flushed; a flush that failed stops the store.
#[test]
fn writes_return_and_reads_answer_only_after_the_flush_and_a_failed_flush_stops_the_store() {
    let (_dir, store) = store_with_device();
    assert!(store.flush.wal.is_some(), "FULL flushes the WAL itself");
    let durable = |store: &SqliteSyncStore| store.lock_flush().durable;
    store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(1)]))).unwrap();
    let finished = store.lock_writer().finished;
    assert!(finished >= 1 && durable(&store) >= finished, "the write returned before its flush");
    // A commit that a read may see is flushed before the read answers.
    store.flush.visible.store(finished + 1, Ordering::SeqCst);
    store.flush.committed.store(finished + 1, Ordering::SeqCst);
    assert_eq!(store.device("D").unwrap().map(|d| d.device_id), Some("D".to_owned()));
    assert!(durable(&store) > finished, "the read answered before the flush of what it saw");
    store.lock_flush().broken = true;
    let refused = store.write(&mut |tx| tx.insert_inspections(&of("D", vec![row(2)])));
    assert!(matches!(refused, Err(StoreError::Damaged(m)) if m.contains("flush")));
    assert!(matches!(store.device("D"), Err(StoreError::Damaged(m)) if m.contains("flush")));
    // Without FULL, nothing is flushed by the store.
    let dir = tempfile::tempdir().unwrap();
    let config = SqliteConfig { durability: Durability::Normal, ..SqliteConfig::default() };
    let normal = SqliteSyncStore::open(&dir.path().join("sync.db"), config).unwrap();
    assert!(normal.flush.wal.is_none());
    normal.write(&mut |tx| tx.put_device(&device("D"))).unwrap();
    assert_eq!(normal.device("D").unwrap().map(|d| d.max_seq), Some(0));
}

/// Issue 5: the WAL is copied back by the checkpoint thread, not inside
/// a group's COMMIT, and the writer restarts it between groups when
/// asked; nothing written is lost on the way. The thread works on its
/// own time, so the test waits for what it does (at most a minute).
#[test]
fn the_checkpoint_thread_copies_the_wal_back_and_the_writer_restarts_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.db");
    let store = SqliteSyncStore::open(&path, SqliteConfig::default()).unwrap();
    store.write(&mut |tx| tx.put_device(&device("D"))).unwrap();
    let autocheckpoint: i64 =
        store.lock_writer().conn.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap();
    assert_eq!(autocheckpoint, 0, "the writer never checkpoints inside a COMMIT");
    let mut seq = 0;
    let mut write = |n: u64| {
        let rows: Vec<_> = (seq + 1..=seq + n).map(row).collect();
        seq += n;
        store.write(&mut |tx| tx.insert_inspections(&of("D", rows.clone()))).unwrap();
    };
    // 100 writes of 100 records, about 4 MB of WAL.
    for _ in 0..100 {
        write(100);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    // The thread checkpoints at least once a second while anything is
    // new. Once copied back, the 10,000 rows' hashes alone take 320 KB.
    while std::fs::metadata(&path).unwrap().len() < 320_000 {
        assert!(std::time::Instant::now() < deadline, "the records were never copied into sync.db");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The thread asks for a restart once the WAL holds twice the
    // interval; here the test asks. The writer restarts it after a
    // group, unless the thread is checkpointing at that moment.
    let probe = Connection::open(&path).unwrap();
    loop {
        store.checkpointer.request_restart();
        write(1);
        let (_, frames, _): (i64, i64, i64) =
            probe.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
        if (0..100).contains(&frames) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the WAL was never started over ({frames} frames)");
    }
    drop(store);
    let count: i64 = probe.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0)).unwrap();
    assert_eq!(count, i64::try_from(seq).unwrap());
}

#[test]
fn reopening_keeps_the_schema_version() {
    let (dir, store) = store();
    drop(store);
    let again = SqliteSyncStore::open(&dir.path().join("sync.db"), SqliteConfig::default()).unwrap();
    assert_eq!(again.bundle_state().unwrap(), BundleState::default());
    let conn = Connection::open(dir.path().join("sync.db")).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, MIGRATIONS.len() as i64);
}

/// Issue 23: a database of schema 8 keeps its bundle version, and what it
/// says of the organisations is not known until the next version.
#[test]
fn a_bundle_state_of_schema_8_is_migrated_with_the_organisations_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.db");
    {
        let mut conn = open(&path, &SqliteConfig::default()).unwrap();
        crate::migrate(&mut conn, &MIGRATIONS[..8], "sync.db").unwrap();
        conn.execute("UPDATE bundle_state SET version = 12, fingerprint = ?1, minted_at = 26830000", [vec![7u8; 32]])
            .unwrap();
    }
    let store = SqliteSyncStore::open(&path, SqliteConfig::default()).unwrap();
    let state = store.bundle_state().unwrap();
    let expected = BundleState {
        version: 12,
        fingerprint: Some([7; 32]),
        minted_at: Some(UtcMinute::from_unix_minutes(26_830_000)),
        ..BundleState::default()
    };
    assert_eq!(state, expected);
    assert_eq!(state.organisations_since(), None);
}

/// A database made by schema 1 (text device ids, `prev_hash` in every
/// row) opens with every record, and goes on.
#[test]
fn a_database_of_schema_1_is_migrated_with_all_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.db");
    {
        let mut conn = open(&path, &SqliteConfig::default()).unwrap();
        crate::migrate(&mut conn, &MIGRATIONS[..1], "sync.db").unwrap();
        for (id, key, hw, max) in [("DDDDDDDDDDDDDDDD", 1u8, 2, 6), ("EEEEEEEEEEEEEEEE", 2, 1, 1)] {
            conn.execute(
                "INSERT INTO devices VALUES (?1, ?2, 'B-1', 'P-1', 0, 26830000, 'admin', NULL, ?3, ?4, NULL)",
                params![id, vec![key; 32], hw, max],
            )
            .unwrap();
        }
        // D: 1, 2, then 5 and 6 after a gap (5's prev_hash cannot be derived); E: 1.
        let rows: [(&str, i64, [u8; 32], [u8; 32]); 5] = [
            ("DDDDDDDDDDDDDDDD", 1, [0; 32], hash_of(1)),
            ("EEEEEEEEEEEEEEEE", 1, [0; 32], [0x41; 32]),
            ("DDDDDDDDDDDDDDDD", 2, hash_of(1), hash_of(2)),
            ("DDDDDDDDDDDDDDDD", 5, [0xee; 32], hash_of(5)),
            ("DDDDDDDDDDDDDDDD", 6, hash_of(5), hash_of(6)),
        ];
        for (id, seq, prev, hash) in rows {
            conn.execute(
                "INSERT INTO inspections (device_id, seq, precinct, at, officer, zone, input, display, prev_hash,
                        hash, body, received_at, channel)
                     VALUES (?1, ?2, 'P-1', 26830000 + ?2, 'B-1', 1, 'token', 'valid', ?3, ?4, x'010203', 26830001,
                        'upload')",
                params![id, seq, prev.as_slice(), hash.as_slice()],
            )
            .unwrap();
        }
    }
    let store = SqliteSyncStore::open(&path, SqliteConfig::default()).unwrap();
    let read = store.inspections(&InspectionQuery { limit: 100, ..Default::default() }).unwrap();
    let mut seen: Vec<(String, [u8; 32], [u8; 32], i64)> =
        read.iter().map(|r| (r.device_id.clone(), r.prev_hash, r.hash, r.id)).collect();
    seen.sort_by_key(|s| s.3);
    let d = "DDDDDDDDDDDDDDDD".to_owned();
    assert_eq!(
        seen,
        [
            (d.clone(), [0; 32], hash_of(1), 1),
            ("EEEEEEEEEEEEEEEE".to_owned(), [0; 32], [0x41; 32], 2),
            (d.clone(), hash_of(1), hash_of(2), 3),
            (d.clone(), [0xee; 32], hash_of(5), 4),
            (d.clone(), hash_of(5), hash_of(6), 5),
        ]
    );
    let only_d =
        InspectionQuery { device: Some(d.clone()), precinct: Some("P-1".into()), limit: 100, ..Default::default() };
    assert_eq!(store.inspections(&only_d).unwrap().len(), 4);
    assert_eq!(store.device(&d).unwrap().map(|r| (r.high_water, r.max_seq)), Some((2, 6)));
    assert_eq!(store.next_seq_after(&d, 2).unwrap(), Some(5));
    // The log goes on: the gap fills, a stored seq is refused, the log stays append-only.
    store.write(&mut |tx| tx.insert_inspections(&of(&d, vec![row(3), row(4)]))).unwrap();
    assert!(store.write(&mut |tx| tx.insert_inspections(&of(&d, vec![row(2)]))).is_err());
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, MIGRATIONS.len() as i64);
    let kept: i64 = conn.query_row("SELECT count(gap_prev_hash) FROM inspections", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, 1);
    assert!(conn.execute("UPDATE inspections SET officer = 'X'", []).unwrap_err().to_string().contains("append-only"));
    assert!(conn.execute("DELETE FROM inspections", []).is_err());
    let count: i64 = conn.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 7);
}

/// A database of schema 2 (text precinct, input, display and channel in
/// every inspection row) opens with every row coded as migration 3 codes
/// them, the same as new rows are coded (the SQL's CASEs match the
/// tables), and the queries answer as before.
#[test]
fn a_database_of_schema_2_is_migrated_to_codes_with_all_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.db");
    let inputs: Vec<&str> = INPUT_CODES.iter().map(|(t, _)| *t).collect();
    // Every display code, one without a code (kept as text), and none.
    let displays = [Some("valid"), Some("valid_with_warning"), Some("not_valid"), Some("blinking"), None];
    let hour = 26_830_020i64;
    {
        let mut conn = open(&path, &SqliteConfig::default()).unwrap();
        crate::migrate(&mut conn, &MIGRATIONS[..2], "sync.db").unwrap();
        conn.execute(
            "INSERT INTO devices (device_id, public_key, badge, precinct, suspended, approved_at, approved_by,
                    last_sync, high_water, max_seq, fork_seq)
                 VALUES ('DDDDDDDDDDDDDDDD', ?1, 'B-1', 'P-2', 0, 26830000, 'admin', NULL, 10, 10, NULL)",
            [vec![1u8; 32]],
        )
        .unwrap();
        for seq in 1..=10i64 {
            let input = inputs[(seq as usize) % inputs.len()];
            let display = displays[(seq as usize) % displays.len()];
            let (precinct, channel) = if seq <= 4 { ("P-1", "upload") } else { ("P-2", "file") };
            conn.execute(
                "INSERT INTO inspections (device, seq, precinct, at, officer, zone, input, display, gap_prev_hash,
                        hash, body, received_at, channel)
                     VALUES (1, ?1, ?2, ?3, ?4, 1, ?5, ?6, NULL, ?7, x'010203', 26830001, ?8)",
                params![
                    seq,
                    precinct,
                    hour + seq,
                    if seq % 2 == 0 { "B-1" } else { "B-2" },
                    input,
                    display,
                    hash_of(seq as u64).as_slice(),
                    channel
                ],
            )
            .unwrap();
        }
    }
    let store = SqliteSyncStore::open(&path, SqliteConfig::default()).unwrap();
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, MIGRATIONS.len() as i64);
    let precincts: Vec<(i64, String)> = {
        let mut stmt = conn.prepare("SELECT num, name FROM precincts ORDER BY num").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(precincts, [(1, "P-1".to_owned()), (2, "P-2".to_owned())]);
    // Each migrated row holds what an insert of today would store.
    let value = |v: ToSqlOutput<'_>| match v {
        ToSqlOutput::Owned(v) => v,
        ToSqlOutput::Borrowed(ValueRef::Text(t)) => Value::Text(String::from_utf8(t.to_vec()).unwrap()),
        _ => unreachable!("coded gives owned or borrowed values"),
    };
    let mut stmt =
        conn.prepare("SELECT id, seq, precinct, input, display, channel FROM inspections ORDER BY id").unwrap();
    let rows: Vec<(i64, i64, i64, Value, Value, Value)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 10);
    for (id, seq, precinct, input, display, channel) in rows {
        assert_eq!(id, seq, "row ids are kept");
        let (want_precinct, want_channel) = if seq <= 4 { (1, "upload") } else { (2, "file") };
        assert_eq!(precinct, want_precinct);
        assert_eq!(input, value(coded(&INPUT_CODES, inputs[(seq as usize) % inputs.len()])), "input of {seq}");
        let want_display =
            displays[(seq as usize) % displays.len()].map_or(Value::Null, |d| value(coded(&DISPLAY_CODES, d)));
        assert_eq!(display, want_display, "display of {seq}");
        assert_eq!(channel, value(coded(&CHANNEL_CODES, want_channel)));
    }
    // Codes, not text, for all but the display without one.
    let texts: i64 = conn
        .query_row(
            "SELECT count(*) FROM inspections WHERE typeof(input) = 'text' OR typeof(display) = 'text'
                    OR typeof(channel) = 'text'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(texts, 2, "seq 3 and 8 show `blinking`");
    // The queries answer with the same strings and counts as before.
    let (from, to) = (UtcMinute::from_unix_minutes(26_830_000), UtcMinute::from_unix_minutes(26_831_000));
    let hours = store.hourly(None, from, to).unwrap();
    let violations = (1..=10).filter(|s| inputs[s % inputs.len()] == "violation").count() as u64;
    let not_valid = (1..=10).filter(|s| displays[s % displays.len()] == Some("not_valid")).count() as u64;
    assert_eq!(
        hours.iter().fold((0, 0, 0), |(n, v, nv), h| (n + h.inspections, v + h.violations, nv + h.not_valid)),
        (10, violations, not_valid)
    );
    let p1 = store.hourly(Some("P-1"), from, to).unwrap();
    assert_eq!(p1.iter().map(|h| h.inspections).sum::<u64>(), 4);
    assert!(store.hourly(Some("P-9"), from, to).unwrap().is_empty());
    let officers = store.officers(Some("P-2"), from, to).unwrap();
    assert_eq!(
        officers.iter().map(|o| (o.badge.as_str(), o.inspections)).collect::<Vec<_>>(),
        [("B-1", 3), ("B-2", 3)]
    );
    let only_p1 =
        store.inspections(&InspectionQuery { precinct: Some("P-1".into()), limit: 100, ..Default::default() }).unwrap();
    assert_eq!(
        only_p1.iter().map(|r| (r.id, r.precinct.as_str())).collect::<Vec<_>>(),
        [(4, "P-1"), (3, "P-1"), (2, "P-1"), (1, "P-1")]
    );
    let flagged = store.inspections(&InspectionQuery { violations: true, limit: 100, ..Default::default() }).unwrap();
    assert_eq!(flagged.len() as u64, violations);
    assert!(flagged.iter().all(|r| r.precinct.starts_with("P-")));
    // New records of a precinct never seen before get the next number.
    let new_precinct = NewInspections { precinct: "P-9", ..of("DDDDDDDDDDDDDDDD", vec![row(11)]) };
    store.write(&mut |tx| tx.insert_inspections(&new_precinct)).unwrap();
    let p9 =
        store.inspections(&InspectionQuery { precinct: Some("P-9".into()), limit: 100, ..Default::default() }).unwrap();
    assert_eq!(
        p9.iter().map(|r| (r.id, r.precinct.as_str(), r.prev_hash)).collect::<Vec<_>>(),
        [(11, "P-9", hash_of(10))]
    );
    let num: i64 = conn.query_row("SELECT precinct FROM inspections WHERE id = 11", [], |r| r.get(0)).unwrap();
    assert_eq!(num, 3);
}

/// Devices `D` (precinct `P-1`) and `E` (`P-2`) and `n` records of each
/// from `first`, at times out of order, every third a violation.
fn write_two_precincts(store: &SqliteSyncStore, first: u64, n: u64) {
    let rows = |precinct| {
        (first..first + n)
            .map(|seq| InspectionRow {
                at: UtcMinute::from_unix_minutes(26_830_000 + (seq * 37 % 11) as u32 * 40 + precinct),
                officer: if seq % 2 == 0 { "B-1" } else { "B-2" },
                input: if seq % 3 == 0 { "violation" } else { "token" },
                ..row(seq)
            })
            .collect::<Vec<_>>()
    };
    store
        .write(&mut |tx| {
            if first == 1 {
                tx.put_device(&device("D"))?;
                tx.put_device(&DeviceRow { precinct: "P-2".into(), ..device("E") })?;
            }
            tx.insert_inspections(&of("D", rows(0)))?;
            tx.insert_inspections(&NewInspections { precinct: "P-2", ..of("E", rows(1)) })
        })
        .unwrap();
}

/// Indexes by hand, as the thread does, at most `max` rows.
fn index_by_hand(path: &Path, max: i64) -> i64 {
    let main = open(path, &SqliteConfig::default()).unwrap();
    let mut ix = crate::open(&index_path(path), &SqliteConfig::default()).unwrap();
    super::time_index::index_some(&main, &mut ix, max).unwrap().1
}

/// What the supervisors read of precinct `P-1`: every page of 4 of the
/// newest first, a time window, the counts by hour and by officer.
type Answers = (Vec<StoredInspection>, Vec<StoredInspection>, Vec<HourCount>, Vec<OfficerCount>);

fn answers(store: &SqliteSyncStore) -> Answers {
    let query = InspectionQuery { precinct: Some("P-1".into()), limit: 4, ..Default::default() };
    let mut pages = Vec::new();
    loop {
        let after = pages.last().map(|r: &StoredInspection| (r.at, r.id));
        let page = store.inspections(&InspectionQuery { after, ..query.clone() }).unwrap();
        if page.is_empty() {
            break;
        }
        pages.extend(page);
    }
    let (from, to) = (UtcMinute::from_unix_minutes(26_830_080), UtcMinute::from_unix_minutes(26_830_300));
    let window = InspectionQuery { from: Some(from), to: Some(to), violations: true, limit: 100, ..query };
    let window = store.inspections(&window).unwrap();
    let hours = UtcMinute::from_unix_minutes(26_820_000);
    let (hourly, officers) = (
        store.hourly(Some("P-1"), hours, UtcMinute::from_unix_minutes(26_840_000)).unwrap(),
        store.officers(Some("P-1"), hours, UtcMinute::from_unix_minutes(26_840_000)).unwrap(),
    );
    (pages, window, hourly, officers)
}

/// Issue 5: the queries by precinct read the time index up to what it
/// holds and the rows after it from sync.db, and answer the same however
/// far the index has come.
#[test]
fn queries_by_precinct_answer_the_same_however_far_the_time_index_has_come() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.db");
    let store = SqliteSyncStore::open_with(&path, SqliteConfig::default(), false).unwrap();
    write_two_precincts(&store, 1, 30);
    let nothing_indexed = answers(&store);
    // Checked against the rows themselves: P-1's 30, newest first.
    let (pages, window, hourly, officers) = &nothing_indexed;
    assert_eq!(pages.len(), 30);
    assert!(pages.iter().all(|r| r.device_id == "D" && r.precinct == "P-1"));
    assert!(pages.windows(2).all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)), "newest first");
    // D's rows are the first 30, so their ids are their sequence numbers.
    let in_window = |r: &&StoredInspection| (26_830_080..26_830_300).contains(&r.at.unix_minutes()) && r.id % 3 == 0;
    assert_eq!(window, &pages.iter().filter(in_window).cloned().collect::<Vec<_>>());
    assert!(!window.is_empty());
    assert_eq!(hourly.iter().map(|h| h.inspections).sum::<u64>(), 30);
    assert_eq!(hourly.iter().map(|h| h.violations).sum::<u64>(), 10);
    assert_eq!(
        officers.iter().map(|o| (o.badge.as_str(), o.inspections)).collect::<Vec<_>>(),
        [("B-1", 15), ("B-2", 15)]
    );

    // Part of the rows indexed, then all: the same answers.
    assert_eq!(index_by_hand(&path, 25), 25);
    assert_eq!(answers(&store), nothing_indexed);
    assert_eq!(index_by_hand(&path, 1000), 60);
    assert_eq!(answers(&store), nothing_indexed);
    // More rows after the index: merged with it.
    write_two_precincts(&store, 31, 10);
    let (pages, _, hourly, _) = answers(&store);
    assert_eq!(pages.len(), 40);
    // With a device too, read without the time index: the same rows.
    let of_device =
        InspectionQuery { precinct: Some("P-1".into()), device: Some("D".into()), limit: 100, ..Default::default() };
    assert_eq!(store.inspections(&of_device).unwrap(), pages);
    let of_other = InspectionQuery { device: Some("E".into()), ..of_device };
    assert_eq!(store.inspections(&of_other).unwrap(), []);
    assert_eq!(hourly.iter().map(|h| h.inspections).sum::<u64>(), 40);
    index_by_hand(&path, 1000);
    assert_eq!(answers(&store).0, pages);
}

/// Issue 5: the time index is derived data. One that does not match
/// sync.db (sync.db lost commits the thread had indexed, or came back
/// from a backup), or does not open, is made again from nothing; and an
/// entry that points at a row of another precinct or time is never an
/// answer.
#[test]
fn a_time_index_that_does_not_match_sync_db_is_made_again_and_stray_entries_are_never_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.db");
    let index = index_path(&path);
    let store = SqliteSyncStore::open_with(&path, SqliteConfig::default(), false).unwrap();
    write_two_precincts(&store, 1, 30);
    let expected = answers(&store);
    index_by_hand(&path, 1000);
    // Stray entries under P-1 (number 1): one of a P-2 row (31 is E's
    // first) at its time, one of a P-1 row at another time.
    let ix = Connection::open(&index).unwrap();
    ix.execute_batch(
        "INSERT INTO entries SELECT 1, at, id FROM entries WHERE id = 31;
             INSERT INTO entries VALUES (1, 26830999, 5);",
    )
    .unwrap();
    assert_eq!(ix.query_row("SELECT count(*) FROM entries", [], |r| r.get::<_, i64>(0)).unwrap(), 62);
    assert_eq!(answers(&store), expected);
    drop(store);

    let indexed = |ix: &Connection| -> (i64, i64) {
        ix.query_row("SELECT indexed, (SELECT count(*) FROM entries) FROM state", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
    };
    // Reopened as it is: kept.
    let store = SqliteSyncStore::open_with(&path, SqliteConfig::default(), false).unwrap();
    assert_eq!(indexed(&ix), (60, 62));
    drop(store);
    // The row it ends at carries another hash: made again.
    ix.execute("UPDATE state SET hash = zeroblob(32)", []).unwrap();
    drop(ix);
    let store = SqliteSyncStore::open_with(&path, SqliteConfig::default(), false).unwrap();
    assert_eq!(indexed(&Connection::open(&index).unwrap()), (0, 0));
    assert_eq!(answers(&store), expected);
    index_by_hand(&path, 1000);
    assert_eq!(answers(&store), expected);
    drop(store);
    // A file that is no database: made again.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", index.display()));
    }
    std::fs::write(
        &index,
        b"not a database at all, and longer than a header of one hundred bytes, \
            so that SQLite reads it as one and finds it is not",
    )
    .unwrap();
    let store = SqliteSyncStore::open_with(&path, SqliteConfig::default(), false).unwrap();
    assert_eq!(indexed(&Connection::open(&index).unwrap()), (0, 0));
    assert_eq!(answers(&store), expected);
}

/// Issue 5: the thread indexes what the writer commits, on its own time
/// (the test waits for it, at most a minute).
#[test]
fn the_time_index_thread_indexes_every_committed_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.db");
    let store = SqliteSyncStore::open(&path, SqliteConfig::default()).unwrap();
    write_two_precincts(&store, 1, 30);
    let expected = answers(&store);
    write_two_precincts(&store, 31, 30);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while store.index.indexed() < 120 {
        assert!(std::time::Instant::now() < deadline, "the thread indexed only {} rows", store.index.indexed());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let ix = Connection::open(index_path(&path)).unwrap();
    assert_eq!(ix.query_row("SELECT count(*) FROM entries", [], |r| r.get::<_, i64>(0)).unwrap(), 120);
    let (pages, ..) = answers(&store);
    assert_eq!(pages.len(), 60);
    assert!(pages.windows(2).all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)), "newest first, each once");
    assert!(expected.0.iter().all(|r| pages.contains(r)));
}
