//! Issue 5, the ingest's storage layout: records uploaded through
//! `SyncService::upload` read back exactly as the device logged them (chain
//! hashes included, now that a row keeps the hash before it only after a
//! gap), across a gap, its filling, duplicates and a fork kept apart.

use std::sync::Arc;

use icaze_core::{SecretKey, UtcMinute};
use icaze_protocol::{EnrollmentCode, InspectionRecord, UploadBatch};
use icaze_server::sqlite::SqlitePermitStore;
use icaze_server::sync::sqlite::SqliteSyncStore;
use icaze_server::sync::{Caller, Channel, InspectionFilter, Receipt, SyncService};

struct Setup {
    _dir: tempfile::TempDir,
    service: SyncService<SqlitePermitStore>,
    key: SecretKey,
    now: UtcMinute,
    device_id: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").unwrap();
    icaze_authority::Authority::init(&dir.path().join("authority"), now, &Default::default()).unwrap();
    let permits = Arc::new(SqlitePermitStore::open(&dir.path().join("icaze.db"), Default::default()).unwrap());
    let store = SqliteSyncStore::open(&dir.path().join("sync.db"), Default::default()).unwrap();
    let service = SyncService::new(
        Box::new(store),
        permits,
        Arc::new(icaze_server::keys::KeyRing::load(&dir.path().join("authority")).unwrap()),
        None,
        Arc::new(icaze_server::FixedClock::new(now)),
        "admin".into(),
    );
    let key = SecretKey::from_seed(&[7; 32]);
    let (_, view) =
        service.approve(&Caller::Admin, &EnrollmentCode::of(&key.public_key()).to_string(), "B-1", "P-1").unwrap();
    Setup { _dir: dir, service, key, now, device_id: view.row.device_id }
}

impl Setup {
    fn upload(&self, records: &[InspectionRecord]) -> Receipt {
        let batch = UploadBatch::sign(&self.key, self.now, records).unwrap();
        self.service.upload(&batch, Channel::Upload, None).unwrap()
    }

    /// The device's stored records, ascending by seq.
    fn stored(&self) -> Vec<InspectionRecord> {
        let filter = InspectionFilter { device: Some(self.device_id.clone()), ..Default::default() };
        let page = self.service.inspections(&Caller::Admin, &filter).unwrap();
        let mut records: Vec<InspectionRecord> = page.records.into_iter().map(|(_, _, r)| r).collect();
        records.sort_by_key(|r| r.seq);
        records
    }
}

#[test]
fn records_read_back_with_their_chain_across_a_gap_duplicates_and_a_fork() {
    let s = setup();
    let log = icaze_protocol::samples::sample_log(1, "B-1", 12, s.now);
    let seqs = |records: &[InspectionRecord]| records.iter().map(|r| r.seq).collect::<Vec<_>>();

    let first = s.upload(&log[..3]);
    assert_eq!((first.accepted, first.acknowledged_seq), (3, 3));
    // 8..=12 after a gap: record 8's chain hash before it cannot come from record 7.
    let after_gap = s.upload(&log[7..]);
    assert_eq!((after_gap.accepted, after_gap.acknowledged_seq), (5, 12));
    let device = after_gap.device.unwrap();
    assert_eq!((device.row.high_water, device.gap), (3, Some((4, 7))));
    let stored = s.stored();
    assert_eq!(seqs(&stored), [1, 2, 3, 8, 9, 10, 11, 12]);
    assert_eq!(stored[..3], log[..3]);
    assert_eq!(stored[3..], log[7..]);

    // The gap fills; a batch repeating stored records only counts them.
    let filled = s.upload(&log[3..7]);
    assert_eq!(filled.accepted, 4);
    assert_eq!(filled.device.as_ref().map(|d| (d.row.high_water, d.gap)), Some((12, None)));
    let again = s.upload(&log[2..9]);
    assert_eq!((again.accepted, again.duplicates, again.conflicts), (0, 7, 0));
    assert_eq!(s.stored(), log);

    // Another log's record 6 is a fork: kept apart, flagged, never merged.
    let other = icaze_protocol::samples::sample_log(2, "B-1", 6, s.now);
    let fork = s.upload(&other[5..]);
    assert_eq!((fork.accepted, fork.conflicts), (0, 1));
    assert_eq!(fork.device.map(|d| (d.row.fork_seq, d.conflicts)), Some((Some(6), 1)));
    assert_eq!(s.stored(), log);
}

#[test]
fn a_batch_starting_at_seq_0_is_refused() {
    let s = setup();
    let mut log = icaze_protocol::samples::sample_log(1, "B-1", 1, s.now);
    log[0].seq = 0;
    log[0].hash = icaze_protocol::chain_hash(&log[0].prev_hash, &log[0].body().unwrap());
    // A log's first record is 1: seq 0 has no record before it to chain on.
    let batch = UploadBatch::sign(&s.key, s.now, &log).unwrap();
    let refused = s.service.upload(&batch, Channel::Upload, None).unwrap_err();
    assert_eq!(refused.code(), "invalid_seq");
    assert!(s.stored().is_empty());
}
