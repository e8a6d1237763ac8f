//! Sample logs for tests, benchmarks and fuzzing seeds (the `samples`
//! feature): one place that makes a chained run of plausible records, so
//! that every such caller agrees on what a valid log looks like.

use icaze_core::{PermitSerial, UtcMinute, ZoneId};

use crate::badge::{Location, OfficerBadge};
use crate::record::{chain_hash, InputKind, InspectionRecord, Outcome, RecordId, GENESIS_HASH};

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
            let mut record = InspectionRecord {
                id: RecordId(id),
                seq,
                at: UtcMinute::from_unix_minutes(start.unix_minutes().saturating_add(seq as u32)),
                officer: officer.clone(),
                // Invariant: zone 1 exists.
                zone: ZoneId::new(1).expect("zone 1"),
                location: Location::from_e7(404_093_000, 498_671_000).filter(|_| seq % 2 == 0),
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
            // Invariant: every field above is within its cap, so the body encodes.
            record.hash = chain_hash(&prev, &record.body().expect("a sample record encodes"));
            prev = record.hash;
            record
        })
        .collect()
}
