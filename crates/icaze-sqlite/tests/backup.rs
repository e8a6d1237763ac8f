//! A running service's databases backed up while permits are being recorded,
//! and restored: every permit recorded before the backup began is in the
//! copy, the copy is whole, and the restored counter hands out no serial the
//! old service may have used.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use icaze_core::UtcMinute;
use icaze_permits::conformance::{limits, sms_permit};
use icaze_permits::store::{PermitStore, Recorded};
use icaze_sqlite::backup::{backup, restore, PERMITS_FILE};
use icaze_sqlite::permits::SqlitePermitStore;
use icaze_sqlite::sync::SqliteSyncStore;
use icaze_sqlite::SqliteConfig;

fn noon() -> UtcMinute {
    UtcMinute::parse_rfc3339("2020-12-14T12:00:00+04:00").unwrap()
}

fn permits_in(path: &std::path::Path) -> u32 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("SELECT count(*) FROM permits", [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_holds_what_came_before_and_restores_without_reusing_serials() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let store = Arc::new(SqlitePermitStore::open(&data.join(PERMITS_FILE), SqliteConfig::default()).unwrap());
    store.import_people(&icaze_permits::registry::demo_people_csv(0)).unwrap();
    drop(SqliteSyncStore::open(&data.join("sync.db"), SqliteConfig::default()).unwrap());
    std::fs::write(data.join("admin-token"), "secret\n").unwrap();

    // A writer that goes on recording permits while the backup runs.
    let recorded = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, recorded, stop) = (store.clone(), recorded.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let serial = store.reserve_serials(1).await.unwrap().start;
                let permit = sms_permit(serial, &format!("AZE{serial:08}"), &format!("99450{serial:07}"), noon());
                let outcome = store.record_permit(permit, limits(noon(), 1, 100)).await.unwrap();
                assert!(matches!(outcome, Recorded::Issued), "{outcome:?}");
                recorded.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    while recorded.load(Ordering::SeqCst) < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before = recorded.load(Ordering::SeqCst);
    let copy = dir.path().join("backup");
    let files = tokio::task::spawn_blocking({
        let (data, copy) = (data.clone(), copy.clone());
        move || backup(&data, &copy).unwrap()
    })
    .await
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();

    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.last().copied(), Some("admin-token"), "{names:?}");
    let databases: Vec<&str> = names.iter().copied().filter(|n| n.ends_with(".db")).collect();
    assert_eq!(databases.last().copied(), Some(PERMITS_FILE), "the permits database is copied last: {databases:?}");
    assert!(databases.contains(&"sync.db") && databases.contains(&"registry.db"), "{databases:?}");
    assert!(!databases.contains(&"sync-index.db"), "{databases:?}");
    assert!(!copy.read_dir().unwrap().any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".partial")));
    let copied = permits_in(&copy.join(PERMITS_FILE));
    assert!(copied >= before, "the copy holds {copied} permits, {before} were recorded before it began");
    assert!(copied <= recorded.load(Ordering::SeqCst));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(copy.join(PERMITS_FILE)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }

    // A second backup into the same directory is refused; nothing is overwritten.
    let again = backup(&data, &copy).unwrap_err();
    assert!(again.to_string().contains("not empty"), "{again}");

    // Restored: the people are there, and the counter has moved on past the gap.
    let last_issued = {
        let conn = rusqlite::Connection::open(data.join(PERMITS_FILE)).unwrap();
        conn.query_row("SELECT max(serial) FROM permits", [], |r| r.get::<_, u32>(0)).unwrap()
    };
    drop(store);
    let restored_dir = dir.path().join("restored");
    let restored = restore(&copy, &restored_dir, 1_000_000).unwrap();
    assert!(restored.next_serial >= 1_000_000 + copied, "{restored:?}");
    assert_eq!(std::fs::read_to_string(restored_dir.join("admin-token")).unwrap(), "secret\n");
    let store = SqlitePermitStore::open(&restored_dir.join(PERMITS_FILE), SqliteConfig::default()).unwrap();
    assert!(store.person("AZE11111111").unwrap().is_some());
    let next = store.reserve_serials(1).await.unwrap().start;
    assert_eq!(next, restored.next_serial);
    assert!(next > last_issued + 900_000, "{next} against the old service's last {last_issued}");

    // A restore over a directory that holds databases is refused.
    let over = restore(&copy, &restored_dir, 1).unwrap_err();
    assert!(over.to_string().contains("holds databases already"), "{over}");
}

#[test]
fn a_directory_without_the_permits_database_is_neither_backed_up_nor_restored() {
    let dir = tempfile::tempdir().unwrap();
    let e = backup(dir.path(), &dir.path().join("b")).unwrap_err();
    assert!(e.to_string().contains("no icaze.db"), "{e}");
    assert!(!dir.path().join("b").exists());
    let e = restore(dir.path(), &dir.path().join("r"), 1).unwrap_err();
    assert!(e.to_string().contains("is this a backup"), "{e}");
}
