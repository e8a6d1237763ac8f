//! How fast the sync service stores uploaded inspection records: `DEVICES`
//! devices (default 8) upload 200,000 records together in batches of 500,
//! through `SyncService::upload` (batch verification, classification, one
//! savepoint per batch, group commit) into a fresh `sync.db` with
//! `synchronous = FULL`, without HTTP.
//!
//! ```text
//! DEVICES=8 cargo run --release -p icaze-server --example sync_ingest
//! DEVICES=8 SYNC=normal cargo run --release -p icaze-server --example sync_ingest   # without fsync
//! ```
//!
//! It then checks that every record sent is stored once, and prints the
//! size of `sync.db` with its WAL.

use std::sync::Arc;
use std::time::Instant;

use icaze_core::{SecretKey, UtcMinute};
use icaze_server::sync::{Caller, Channel, SyncService};
use icaze_sync::{EnrollmentCode, UploadBatch};

const RECORDS: usize = 200_000;
const BATCH: usize = 500;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let devices: usize = std::env::var("DEVICES").ok().and_then(|d| d.parse().ok()).unwrap_or(8).clamp(1, 200);
    let dir = tempfile::tempdir()?;
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00")?;
    icaze_authority::Authority::init(&dir.path().join("authority"), now, &Default::default())?;
    let permits = Arc::new(icaze_server::sqlite::SqliteStore::open(&dir.path().join("icaze.db"), Default::default())?);
    // SYNC=normal measures without the fsync of each commit (what the disk's flush costs).
    let mut config = icaze_server::sqlite::SqliteConfig::default();
    let mut durability = "FULL";
    if std::env::var("SYNC").is_ok_and(|s| s == "normal") {
        config.durability = icaze_server::sqlite::Durability::Normal;
        durability = "NORMAL";
    }
    let store = icaze_server::sync::sqlite::SqliteSyncStore::open(&dir.path().join("sync.db"), config)?;
    let service = Arc::new(SyncService::new(
        Box::new(store),
        permits,
        Arc::new(icaze_server::keys::KeyRing::load(&dir.path().join("authority"))?),
        None,
        Arc::new(icaze_server::FixedClock::new(now)),
        "admin".into(),
    ));

    let per_device = RECORDS / devices;
    let mut uploads = Vec::new();
    for d in 0..devices {
        let key = SecretKey::from_seed(&[d as u8 + 1; 32]);
        service.approve(&Caller::Admin, &EnrollmentCode::of(&key.public_key()).to_string(), "B-1042", "P-1")?;
        let log = icaze_sync::samples::sample_log(d as u8, "B-1042", per_device as u64, now);
        let batches = log.chunks(BATCH).map(|c| UploadBatch::sign(&key, now, c)).collect::<Result<Vec<_>, _>>()?;
        uploads.push(batches);
    }

    let started = Instant::now();
    let threads: Vec<_> = uploads
        .into_iter()
        .map(|batches| {
            let service = service.clone();
            std::thread::spawn(move || -> Result<u64, String> {
                let mut accepted = 0;
                for batch in &batches {
                    accepted += service.upload(batch, Channel::Upload, None).map_err(|e| e.to_string())?.accepted;
                }
                Ok(accepted)
            })
        })
        .collect();
    let mut accepted = 0;
    for thread in threads {
        accepted += thread.join().map_err(|_| "an upload thread panicked")??;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{devices} devices, {accepted} records in batches of {BATCH} (synchronous = {durability}): {seconds:.2} s, {:.0} records/s",
        accepted as f64 / seconds
    );
    // Nothing lost, nothing stored twice; and what the records cost on disk.
    let db = dir.path().join("sync.db");
    let stored: i64 =
        rusqlite::Connection::open(&db)?.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0))?;
    let sent = (per_device * devices) as u64;
    if u64::try_from(stored).ok() != Some(sent) || accepted != sent {
        return Err(format!("{stored} records stored, {accepted} accepted, {sent} sent").into());
    }
    let bytes = |name: &str| std::fs::metadata(dir.path().join(name)).map_or(0, |m| m.len());
    let size = bytes("sync.db") + bytes("sync.db-wal");
    println!("{stored} records stored, sync.db with its WAL: {:.1} MB", size as f64 / 1e6);
    Ok(())
}
