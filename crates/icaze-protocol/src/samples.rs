//! Sample logs for tests, benchmarks and fuzzing seeds (the `samples`
//! feature): one place that makes a chained run of plausible records, so
//! that every such caller agrees on what a valid log looks like.

use icaze_core::{PermitSerial, UtcMinute, ZoneId};

use crate::badge::{Location, OfficerBadge};
use crate::record::{chain_hash, InputKind, InspectionRecord, Outcome, RecordId, GENESIS_HASH};

/// Record `seq` (`id`) of `officer`: a check at `at` in zone 1, with no
/// position, of the token of permit `serial` (document AZE11111111), found
/// valid; not chained yet (both hashes are the genesis hash).
pub fn valid_check(
    id: RecordId,
    seq: u64,
    at: UtcMinute,
    officer: OfficerBadge,
    serial: PermitSerial,
) -> InspectionRecord {
    InspectionRecord {
        id,
        seq,
        at,
        officer,
        // Invariant: zone 1 exists.
        zone: ZoneId::new(1).expect("zone 1"),
        location: None,
        input: InputKind::Token,
        serial: Some(serial),
        document: Some("AZE11111111".into()),
        outcome: Some(Outcome { verdict: "valid".into(), display: "valid".into(), reasons: vec![], warnings: vec![] }),
        action: None,
        note: None,
        details: vec![],
        prev_hash: GENESIS_HASH,
        hash: GENESIS_HASH,
    }
}

/// A chained log of `n` records, sequence numbers 1..=n, one a minute from
/// `start`: checks of valid SMS permits (serial = sequence number) by officer
/// `badge` in zone 1, every other one with a position in Baku. Record ids
/// are `tag` followed by the sequence number, so logs with different tags do
/// not share ids.
///
/// # Panics
/// If `badge` is not a valid badge: samples are made by tests and tools, not
/// from outside input.
pub fn sample_log(tag: u8, badge: &str, n: u64, start: UtcMinute) -> Vec<InspectionRecord> {
    let officer = OfficerBadge::new(badge).expect("a valid sample badge");
    let mut prev = GENESIS_HASH;
    (1..=n)
        .map(|seq| {
            let mut id = [tag; 16];
            id[8..].copy_from_slice(&seq.to_be_bytes());
            let at = UtcMinute::from_unix_minutes(start.unix_minutes().saturating_add(seq as u32));
            let mut record = InspectionRecord {
                location: Location::from_e7(404_093_000, 498_671_000).filter(|_| seq % 2 == 0),
                prev_hash: prev,
                ..valid_check(RecordId(id), seq, at, officer.clone(), PermitSerial(seq as u32))
            };
            // Invariant: every field above is within its cap, so the body encodes.
            record.hash = chain_hash(&prev, &record.body().expect("a sample record encodes"));
            prev = record.hash;
            record
        })
        .collect()
}
