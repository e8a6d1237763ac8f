use super::*;

fn store() -> (tempfile::TempDir, SqlitePermitStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlitePermitStore::open(&dir.path().join("icaze.db"), SqliteConfig::default()).unwrap();
    (dir, store)
}

#[test]
fn import_reports_bad_rows_by_line_and_keeps_the_good_ones() {
    let (_dir, store) = store();
    let csv = "document,birth_date,zone\nAZE11111111,1980-05-17,1\n\nAZE22222222,1980-02-30,1\nAZE33333333,1\nMYI1234567,1985-06-06,2\n";
    let report = store.import_people(csv).unwrap();
    assert_eq!(report.imported, 2);
    let lines: Vec<usize> = report.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [4, 5]);
    assert!(report.problems[1].message.contains("expected 3 columns"), "{:?}", report.problems);
    let wrong_header = store.import_people("doc,birth,zone\nAZE44444444,1990-04-04,3\n").unwrap();
    assert_eq!((wrong_header.imported, wrong_header.problems.len()), (0, 1));
}

#[test]
fn person_and_denial_agree_with_the_separate_lookups() {
    let (_dir, store) = store();
    store.import_people(&icaze_permits::registry::demo_people_csv(0)).unwrap();
    let csv = "document,reason,until\nAZE44444444,infected,\nAZE11111111,arrival,2020-12-15\n";
    assert!(store.import_denials(csv).unwrap().problems.is_empty());
    let before = UtcMinute::parse_rfc3339("2020-12-14T12:00:00+04:00").unwrap();
    let after = UtcMinute::parse_rfc3339("2020-12-15T00:00:00+04:00").unwrap();
    for document in ["AZE11111111", "AZE44444444", "MYI1234567", "AZE99999999"] {
        for at in [before, after] {
            let separate = store.person(document).unwrap().map(|p| (p, store.denial(document, at).unwrap()));
            assert_eq!(store.person_and_denial(document, at).unwrap(), separate, "{document} at {at:?}");
        }
    }
    assert!(store.person_and_denial("AZE11111111", before).unwrap().unwrap().1.is_some());
    assert!(store.person_and_denial("AZE11111111", after).unwrap().unwrap().1.is_none());
}

/// A database of schema version 1 kept the registries beside the permits:
/// the first open moves their rows to `registry.db` and drops them there,
/// and lookups and later opens find them in their new file.
#[test]
fn registries_of_a_schema_1_database_move_to_their_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("icaze.db");
    {
        let mut old = open(&path, &SqliteConfig::default()).unwrap();
        migrate(&mut old, &MIGRATIONS[..1], "icaze.db").unwrap();
        old.execute_batch(
            "INSERT INTO people VALUES ('AZE11111111', 3000, 4), ('AZE44444444', 4000, 3);
                 INSERT INTO denials VALUES ('AZE44444444', 'infected', NULL);
                 INSERT INTO regimes (id, toml) VALUES ('kept', 'x');",
        )
        .unwrap();
    }
    let at = UtcMinute::parse_rfc3339("2020-12-14T12:00:00+04:00").unwrap();
    for _ in 0..2 {
        let store = SqlitePermitStore::open(&path, SqliteConfig::default()).unwrap();
        let (person, denial) = store.person_and_denial("AZE44444444", at).unwrap().unwrap();
        assert_eq!((person.birth_day, person.zone.get()), (4000, 3));
        assert_eq!(denial.map(|d| d.reason).as_deref(), Some("infected"));
        assert_eq!(store.person("AZE11111111").unwrap().map(|p| p.zone.get()), Some(4));
        assert_eq!(store.regimes().unwrap(), ["x"]);
    }
    let main = Connection::open(&path).unwrap();
    let tables: Vec<String> = main
        .prepare("SELECT name FROM sqlite_schema WHERE name IN ('people', 'denials')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.is_empty(), "{tables:?}");
    let registry = Connection::open(dir.path().join(REGISTRY_FILE)).unwrap();
    let people: i64 = registry.query_row("SELECT count(*) FROM people", [], |r| r.get(0)).unwrap();
    assert_eq!(people, 2);
}

/// The pooled registry readers cannot write, and an import is seen by the
/// next lookup on a reader that was already open.
#[test]
fn an_import_is_seen_by_open_registry_readers() {
    let (_dir, store) = store();
    assert_eq!(store.person("AZE11111111").unwrap(), None);
    let refused = store.with_registry(|c| Ok(c.execute("DELETE FROM people", [])?));
    assert!(refused.is_err(), "{refused:?}");
    store.import_people("document,birth_date,zone\nAZE11111111,1980-05-17,1\n").unwrap();
    assert_eq!(store.person("AZE11111111").unwrap().map(|p| p.zone.get()), Some(1));
}

fn sms_permit(serial: u32, document: &str, phone: &str) -> PermitRecord {
    let at = UtcMinute::parse_rfc3339("2020-12-14T12:00:00+04:00").unwrap();
    PermitRecord {
        serial: PermitSerial(serial),
        document: document.to_owned(),
        code: 2,
        purpose: 2,
        zone: ZoneId::new(1).unwrap(),
        key_id: 1,
        issued_at: at,
        valid_from: at,
        valid_until: at.checked_add(180).unwrap(),
        phone: phone.to_owned(),
        token: format!("IZ1-{serial}"),
    }
}

/// The refusals of `record` run without a savepoint: they must leave the
/// counters as they found them, and a document at its limit is told so
/// before a phone at its limit.
#[tokio::test]
async fn refusals_leave_no_trace_and_the_document_limit_comes_first() {
    let (dir, store) = store();
    let limits =
        Limits { day: 18610, per_document: 1, per_phone: 2, per_week: None, per_phone_code: None, replaces: None };
    let record = |serial, document: &str, phone: &str| store.record_permit(sms_permit(serial, document, phone), limits);
    assert_eq!(record(1, "AZE10000001", "994500000001").await.unwrap(), Recorded::Issued);
    // The document's permit again: its last permit, and the phone's count is taken back.
    let again = record(2, "AZE10000001", "994500000001").await.unwrap();
    let Recorded::DocumentLimit { last: Some(last) } = again else { panic!("{again:?}") };
    assert_eq!(last.token, "IZ1-1");
    assert_eq!(record(3, "AZE10000002", "994500000001").await.unwrap(), Recorded::Issued);
    // Now the phone is at its limit (2): another document is refused and its counter stays untouched...
    assert_eq!(record(4, "AZE10000003", "994500000001").await.unwrap(), Recorded::PhoneLimit);
    assert_eq!(record(5, "AZE10000003", "994500000002").await.unwrap(), Recorded::Issued);
    // ...and a document at its own limit still gets its permit again.
    let both = record(6, "AZE10000002", "994500000001").await.unwrap();
    assert!(matches!(both, Recorded::DocumentLimit { last: Some(ref last) } if last.token == "IZ1-3"), "{both:?}");
    let conn = Connection::open(dir.path().join("icaze.db")).unwrap();
    let phones: Vec<(String, u32)> = conn
        .prepare("SELECT phone, count FROM phone_day ORDER BY phone")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(phones, [("994500000001".to_owned(), 2), ("994500000002".to_owned(), 1)]);
    let documents: i64 = conn.query_row("SELECT count(*) FROM document_permits", [], |r| r.get(0)).unwrap();
    assert_eq!(documents, 3);
    assert_eq!(store.permit_count().unwrap(), 3);
}

/// A permit replaces the day's permit the counter names, without counting;
/// a second replacement of the same permit (two SMS at once) is given the
/// first one's permit instead.
#[tokio::test]
async fn a_replacement_moves_the_day_s_permit_once_and_counts_nothing() {
    let (dir, store) = store();
    let limits =
        Limits { day: 18610, per_document: 1, per_phone: 5, per_week: None, per_phone_code: None, replaces: None };
    let replacing = |serial| Limits { replaces: Some(PermitSerial(serial)), ..limits };
    let record = |serial, limits| store.record_permit(sms_permit(serial, "AZE10000001", "994500000001"), limits);
    assert_eq!(record(1, limits).await.unwrap(), Recorded::Issued);
    assert_eq!(record(2, replacing(1)).await.unwrap(), Recorded::Issued);
    let late = record(3, replacing(1)).await.unwrap();
    assert!(matches!(late, Recorded::DocumentLimit { last: Some(ref last) } if last.serial.0 == 2), "{late:?}");
    let again = record(4, limits).await.unwrap();
    assert!(matches!(again, Recorded::DocumentLimit { last: Some(ref last) } if last.token == "IZ1-2"), "{again:?}");
    let conn = Connection::open(dir.path().join("icaze.db")).unwrap();
    let counts: (u32, u32) = conn
        .query_row("SELECT (SELECT max(n) FROM document_permits), (SELECT count FROM phone_day)", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(counts, (1, 1));
    assert_eq!(store.permit_count().unwrap(), 2);
}

/// Schema 2 counted a document's permits of a day in one row; migration 3
/// gives each permit its row, numbered in serial order, so the count goes
/// on where it was and every permit of the document is found by it.
#[tokio::test]
async fn the_daily_counters_of_a_schema_2_database_become_a_row_a_permit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("icaze.db");
    let day = 18610;
    let minute = |m: i64| (day as i64) * 1440 - 240 + m;
    {
        let mut old = open(&path, &SqliteConfig::default()).unwrap();
        migrate(&mut old, &MIGRATIONS[..2], "icaze.db").unwrap();
        let permit = |serial: u32, document: &str, code: u8, at: i64| {
            old.execute(
                "INSERT INTO permits VALUES (?1, ?2, ?3, 2, 1, 1, ?4, ?4, ?5, '994500000001', ?6)",
                params![serial, document, code, at, at + 180, format!("IZ1-{serial}")],
            )
            .unwrap();
        };
        permit(7, "AZE10000001", 1, minute(600));
        permit(9, "AZE10000001", 1, minute(700));
        permit(8, "AZE10000002", 2, minute(650));
        // The day before, in Baku: 23:59 local.
        permit(3, "AZE10000001", 1, minute(-1));
        old.execute_batch(&format!(
            "INSERT INTO document_day VALUES ({day}, 'AZE10000001', 1, 2, 9), ({day}, 'AZE10000002', 2, 1, 8),
                    ({}, 'AZE10000001', 1, 1, 3);",
            day - 1
        ))
        .unwrap();
    }
    let store = SqlitePermitStore::open(&path, SqliteConfig::default()).unwrap();
    let conn = Connection::open(&path).unwrap();
    let rows: Vec<(String, i32, u8, u32, u32)> = conn
        .prepare("SELECT document, day, code, n, serial FROM document_permits ORDER BY document, day, code, n")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected = [
        ("AZE10000001".to_owned(), day - 1, 1, 1, 3),
        ("AZE10000001".to_owned(), day, 1, 1, 7),
        ("AZE10000001".to_owned(), day, 1, 2, 9),
        ("AZE10000002".to_owned(), day, 2, 1, 8),
    ];
    assert_eq!(rows, expected);
    // Code 1 allows three a day: one more, then the limit, with the last one given.
    let limits = Limits { day, per_document: 3, per_phone: 10, per_week: None, per_phone_code: None, replaces: None };
    let record = |serial| store.record_permit(sms_permit(serial, "AZE10000001", "994500000009"), limits);
    let mut third = sms_permit(10, "AZE10000001", "994500000009");
    third.code = 1;
    assert_eq!(store.record_permit(third, limits).await.unwrap(), Recorded::Issued);
    let mut fourth = sms_permit(11, "AZE10000001", "994500000009");
    fourth.code = 1;
    let refused = store.record_permit(fourth, limits).await.unwrap();
    assert!(matches!(refused, Recorded::DocumentLimit { last: Some(ref l) } if l.serial.0 == 10), "{refused:?}");
    // Code 2 of the same document is counted apart.
    assert_eq!(record(12).await.unwrap(), Recorded::Issued);
    let serials = |at: i64| store.valid_permits("AZE10000001", UtcMinute::from_unix_minutes(at as u32)).unwrap();
    assert_eq!(serials(0), [PermitSerial(3), PermitSerial(7), PermitSerial(9), PermitSerial(10), PermitSerial(12)]);
    assert_eq!(serials(minute(800)), [PermitSerial(9), PermitSerial(10), PermitSerial(12)]);
}

#[tokio::test]
async fn permits_from_other_channels_are_all_or_nothing_and_found_by_document() {
    let (_dir, store) = store();
    let serials = store.reserve_serials(3).await.unwrap();
    let at = UtcMinute::parse_rfc3339("2020-12-14T12:00:00+04:00").unwrap();
    let permit = |serial: u32, document: &str| PermitRecord {
        code: 0,
        purpose: 4,
        key_id: 2,
        valid_until: at.checked_add(60).unwrap(),
        ..sms_permit(serial, document, "")
    };
    let (a, b, c) = (serials.start, serials.start + 1, serials.start + 2);
    store.record_issued_many(vec![permit(a, "AZE11111111"), permit(b, "AZE11111111")]).await.unwrap();
    // A serial already used makes the whole call fail and leaves nothing of it.
    let twice = store.record_issued_many(vec![permit(c, "AZE22222222"), permit(a, "AZE22222222")]).await;
    assert!(twice.is_err());
    assert_eq!(store.valid_permits("AZE11111111", at).unwrap(), [PermitSerial(a), PermitSerial(b)]);
    assert!(store.valid_permits("AZE22222222", at).unwrap().is_empty());
    store.record_issued(permit(c, "AZE22222222")).await.unwrap();
    assert_eq!(store.valid_permits("AZE22222222", at).unwrap(), [PermitSerial(c)]);
}
