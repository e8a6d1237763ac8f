//! How fast the sync service stores uploaded inspection records: `DEVICES`
//! devices (default 8) upload `RECORDS` records (default 200,000) together in batches of 500,
//! through `SyncService::upload` (batch verification, classification, one
//! savepoint per batch, group commit) into a fresh `sync.db` with
//! `synchronous = FULL`, without HTTP.
//!
//! ```text
//! DEVICES=8 cargo run --release -p icaze-server --example sync_ingest
//! DEVICES=8 SYNC=normal cargo run --release -p icaze-server --example sync_ingest   # without fsync
//! DEVICES=8 RESEND=10 cargo run --release -p icaze-server --example sync_ingest      # every 10th batch twice
//! DEVICES=8 RECORDS=2000000 cargo run --release -p icaze-server --example sync_ingest # a ten-second run
//! ```
//!
//! With `RESEND=k`, every k-th batch of a device is sent a second time right
//! after the first (a device retrying after a lost receipt): its records come
//! back as duplicates, and the rate counts them with the new ones.
//!
//! It then checks that every record sent is stored once, prints the size of
//! `sync.db` with its WAL, and how long after the last upload the time index
//! (`sync-index.db`, filled by a thread of its own) held every record.

use std::sync::Arc;
use std::time::Instant;

use icaze_core::{SecretKey, UtcMinute};
use icaze_protocol::{EnrollmentCode, UploadBatch};
use icaze_server::sync::{Caller, Channel, SyncService};

const BATCH: usize = 500;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let devices: usize = std::env::var("DEVICES").ok().and_then(|d| d.parse().ok()).unwrap_or(8).clamp(1, 200);
    let records: usize =
        std::env::var("RECORDS").ok().and_then(|d| d.parse().ok()).unwrap_or(200_000).clamp(BATCH, 100_000_000);
    let resend: usize = std::env::var("RESEND").ok().and_then(|d| d.parse().ok()).unwrap_or(0);
    let dir = tempfile::tempdir()?;
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00")?;
    icaze_authority::Authority::init(&dir.path().join("authority"), now, &Default::default())?;
    let permits =
        Arc::new(icaze_server::sqlite::SqlitePermitStore::open(&dir.path().join("icaze.db"), Default::default())?);
    // SYNC=normal measures without the fsync of each commit (what the disk's flush costs).
    let mut config = icaze_server::sqlite::SqliteConfig::default();
    let mut durability = "FULL";
    if std::env::var("SYNC").is_ok_and(|s| s == "normal") {
        config.durability = icaze_server::sqlite::Durability::Normal;
        durability = "NORMAL";
    }
    let store = icaze_server::sync::sqlite::SqliteSyncStore::open(&dir.path().join("sync.db"), config)?;
    let service = Arc::new(
        SyncService::new(
            Box::new(store),
            permits,
            Arc::new(icaze_server::keys::KeyRing::load(&dir.path().join("authority"))?),
            None,
            Arc::new(icaze_server::FixedClock::new(now)),
            "admin".into(),
        )
        .with_limits(icaze_server::sync::SyncLimits::unlimited_rates()),
    );

    let per_device = records / devices;
    let is_resent = move |i: usize| resend > 0 && (i + 1).is_multiple_of(resend);
    let mut resent = 0u64;
    let mut uploads = Vec::new();
    for d in 0..devices {
        let key = SecretKey::from_seed(&[d as u8 + 1; 32]);
        service.approve(&Caller::Admin, &EnrollmentCode::of(&key.public_key()).to_string(), "B-1042", "P-1")?;
        let log = icaze_protocol::samples::sample_log(d as u8, "B-1042", per_device as u64, now);
        let batches = log.chunks(BATCH).map(|c| UploadBatch::sign(&key, now, c)).collect::<Result<Vec<_>, _>>()?;
        // The records sent twice: those of every `resend`-th batch.
        resent +=
            log.chunks(BATCH).enumerate().filter(|(i, _)| is_resent(*i)).map(|(_, c)| c.len() as u64).sum::<u64>();
        uploads.push(batches);
    }

    let started = Instant::now();
    let threads: Vec<_> = uploads
        .into_iter()
        .map(|batches| {
            let service = service.clone();
            std::thread::spawn(move || -> Result<(u64, u64), String> {
                let (mut accepted, mut duplicates) = (0, 0);
                for (i, batch) in batches.iter().enumerate() {
                    let times = if is_resent(i) { 2 } else { 1 };
                    for _ in 0..times {
                        let receipt = service.upload(batch, Channel::Upload, None).map_err(|e| e.to_string())?;
                        accepted += receipt.accepted;
                        duplicates += receipt.duplicates;
                    }
                }
                Ok((accepted, duplicates))
            })
        })
        .collect();
    let (mut accepted, mut duplicates) = (0, 0);
    for thread in threads {
        let (a, d) = thread.join().map_err(|_| "an upload thread panicked")??;
        accepted += a;
        duplicates += d;
    }
    let seconds = started.elapsed().as_secs_f64();
    let ended = Instant::now();
    println!(
        "{devices} devices, {accepted} records in batches of {BATCH} (synchronous = {durability}): {seconds:.2} s, {:.0} records/s",
        (accepted + duplicates) as f64 / seconds
    );
    if resend > 0 {
        println!("(the rate counts {duplicates} duplicates too: one batch in {resend} sent twice)");
    }
    // Nothing lost, nothing stored twice; and what the records cost on disk.
    let db = dir.path().join("sync.db");
    let stored: i64 =
        rusqlite::Connection::open(&db)?.query_row("SELECT count(*) FROM inspections", [], |r| r.get(0))?;
    let sent = (per_device * devices) as u64;
    if u64::try_from(stored).ok() != Some(sent) || accepted != sent || duplicates != resent {
        return Err(
            format!("{stored} records stored, {accepted} accepted, {sent} sent, {duplicates} duplicates").into()
        );
    }
    let bytes = |name: &str| std::fs::metadata(dir.path().join(name)).map_or(0, |m| m.len());
    let size = bytes("sync.db") + bytes("sync.db-wal");
    println!("{stored} records stored, sync.db with its WAL: {:.1} MB", size as f64 / 1e6);
    let index = rusqlite::Connection::open(dir.path().join("sync-index.db"))?;
    let last: i64 = rusqlite::Connection::open(&db)?.query_row("SELECT max(id) FROM inspections", [], |r| r.get(0))?;
    while index.query_row("SELECT indexed FROM state", [], |r| r.get::<_, i64>(0))? < last {
        if ended.elapsed().as_secs() > 600 {
            return Err("the time index did not catch up within 10 minutes".into());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    println!("the time index held every record {:.2} s after the last upload", ended.elapsed().as_secs_f64());
    Ok(())
}
