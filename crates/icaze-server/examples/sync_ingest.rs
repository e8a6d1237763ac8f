//! How fast the sync service stores uploaded inspection records: `DEVICES`
//! devices (default 8) upload 200,000 records together in batches of 500,
//! through `SyncService::upload` (batch verification, classification, one
//! savepoint per batch, group commit) into a fresh `sync.db` with
//! `synchronous = FULL`, without HTTP.
//!
//! ```text
//! DEVICES=8 cargo run --release -p icaze-server --example sync_ingest
//! ```

use std::sync::Arc;
use std::time::Instant;

use icaze_core::{PermitSerial, SecretKey, UtcMinute, ZoneId};
use icaze_server::sync::{Caller, Channel, SyncService};
use icaze_sync::{
    chain_hash, EnrollmentCode, InputKind, InspectionRecord, Location, OfficerBadge, Outcome, RecordId, UploadBatch,
    GENESIS_HASH,
};

const RECORDS: usize = 200_000;
const BATCH: usize = 500;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let devices: usize = std::env::var("DEVICES").ok().and_then(|d| d.parse().ok()).unwrap_or(8).clamp(1, 200);
    let dir = tempfile::tempdir()?;
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00")?;
    icaze_authority::Authority::init(&dir.path().join("authority"), now, &Default::default())?;
    let permits = Arc::new(icaze_server::sqlite::SqliteStore::open(&dir.path().join("icaze.db"), Default::default())?);
    let store = icaze_server::sync::sqlite::SqliteSyncStore::open(&dir.path().join("sync.db"), Default::default())?;
    let service = Arc::new(SyncService::new(
        Box::new(store),
        permits,
        icaze_authority::Authority::load(&dir.path().join("authority"))?,
        None,
        Arc::new(icaze_server::FixedClock::new(now)),
        "admin".into(),
    ));

    let per_device = RECORDS / devices;
    let mut uploads = Vec::new();
    for d in 0..devices {
        let key = SecretKey::from_seed(&[d as u8 + 1; 32]);
        service.approve(&Caller::Admin, &EnrollmentCode::of(&key.public_key()).to_string(), "B-1042", "P-1")?;
        let mut prev = GENESIS_HASH;
        let mut log = Vec::with_capacity(per_device);
        for seq in 1..=per_device as u64 {
            let mut record = InspectionRecord {
                id: RecordId([(seq % 251) as u8; 16]),
                seq,
                at: now,
                officer: OfficerBadge::new("B-1042")?,
                zone: ZoneId::new(1).ok_or("zone")?,
                location: Location::from_degrees(40.4093, 49.8671),
                input: InputKind::Token,
                serial: Some(PermitSerial(seq as u32)),
                document: Some("AZE11111111".into()),
                outcome: Some(Outcome {
                    verdict: "valid".into(),
                    display: "valid".into(),
                    reasons: vec![],
                    warnings: vec![],
                }),
                action: None,
                note: None,
                details: vec![],
                prev_hash: prev,
                hash: GENESIS_HASH,
            };
            record.hash = chain_hash(&prev, &record.body()?);
            prev = record.hash;
            log.push(record);
        }
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
        "{devices} devices, {accepted} records in batches of {BATCH} (synchronous = FULL): {seconds:.2} s, {:.0} records/s",
        accepted as f64 / seconds
    );
    Ok(())
}
