//! The upload batch: a contiguous, hash-chained run of one device's inspection
//! records, signed by the device's key. Sent to `POST /v1/upload`, or written
//! to a file that a supervisor imports at the precinct; the bytes are the same.
//!
//! ```text
//! magic "ICZU" | version u8 = 1 | device key (32) | created u32 (Unix minutes)
//! | first_seq u64 | prev_hash (32) | count u32 (≤ 100 000)
//! | count × (u16 length 1..=8192, record body) | signature (64)
//! signature = Ed25519 by the device key over "icaze:upload:v1\0" ‖ every byte before it
//! ```
//!
//! The batch carries only the first `prev_hash`; the reader recomputes every
//! record's hash from it, so a batch cannot hold a broken chain, and requires
//! record `i` to have `seq = first_seq + i`. What a batch does not show: that
//! `prev_hash` is the hash the server already holds for `first_seq - 1` (the
//! server compares; a difference is a fork), nor that the device's clock was
//! right. Specified in `docs/sync-api.md` section 3.

use std::ops::Range;

use icaze_core::{Domain, PublicKey, SecretKey, UtcMinute, PUBLIC_KEY_LEN, SIGNATURE_LEN};

use crate::identity::DeviceId;
use crate::record::{chain_hash, InspectionRecord, RecordError, RecordHash, GENESIS_HASH};

/// The four bytes that open a batch.
pub const BATCH_MAGIC: &[u8; 4] = b"ICZU";
/// The batch format version.
pub const BATCH_VERSION: u8 = 1;
/// The most records in one batch or export file.
pub const MAX_BATCH_RECORDS: usize = 100_000;
/// The longest record body in a batch, in bytes.
pub const MAX_RECORD_LEN: usize = 8192;
/// The largest batch the upload endpoint takes.
pub const MAX_UPLOAD_LEN: usize = 4 << 20;
/// The largest export file the import endpoint takes.
pub const MAX_EXPORT_LEN: usize = 64 << 20;

const HEADER_LEN: usize = 4 + 1 + PUBLIC_KEY_LEN + 4 + 8 + 32 + 4;

/// A batch that does not read, or records that cannot make one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// It does not start with `ICZU`.
    #[error("not an upload batch: it does not start with ICZU")]
    Magic,
    /// A version this reader does not know.
    #[error("upload batch version {0} is not supported: update the app or the server")]
    Version(u8),
    /// It ends inside a field.
    #[error("the upload batch is truncated: send it again")]
    Truncated,
    /// Bytes follow the signature.
    #[error("the upload batch has bytes after its signature")]
    TrailingBytes,
    /// More records than a batch may hold.
    #[error("the upload batch holds {0} records, more than the {MAX_BATCH_RECORDS} allowed: split it")]
    TooManyRecords(usize),
    /// A record body of length 0 or over the cap.
    #[error("record {index} of the batch is {len} bytes long, outside 1..={MAX_RECORD_LEN}")]
    RecordLength {
        /// The record's position in the batch, from 0.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// A record body that does not decode.
    #[error("record {index} of the batch does not decode: {source}")]
    Record {
        /// The record's position in the batch, from 0.
        index: usize,
        /// Why.
        source: RecordError,
    },
    /// A record out of sequence.
    #[error("record {index} of the batch has sequence number {found}, expected {expected}")]
    Sequence {
        /// The record's position in the batch, from 0.
        index: usize,
        /// The sequence number it should have.
        expected: u64,
        /// The one it has.
        found: u64,
    },
    /// Records given to `sign` that do not chain.
    #[error("record {index} does not chain to the record before it")]
    Chain {
        /// The record's position, from 0.
        index: usize,
    },
    /// The device key is not a valid Ed25519 key.
    #[error("the upload batch's device key is not a valid Ed25519 public key")]
    BadKey,
    /// The signature does not verify under the batch's device key.
    #[error("the upload batch's signature does not verify: it was altered or not made by this device")]
    BadSignature,
}

impl BatchError {
    /// A stable code for logs and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            BatchError::Magic => "not_a_batch",
            BatchError::Version(_) => "unsupported_version",
            BatchError::Truncated => "truncated",
            BatchError::TrailingBytes => "trailing_bytes",
            BatchError::TooManyRecords(_) => "too_many_records",
            BatchError::RecordLength { .. } => "record_length",
            BatchError::Record { .. } => "bad_record",
            BatchError::Sequence { .. } => "bad_sequence",
            BatchError::Chain { .. } => "broken_chain",
            BatchError::BadKey => "bad_key",
            BatchError::BadSignature => "bad_signature",
        }
    }
}

/// A batch whose format, records, sequence and signature were checked, with
/// every record's hash recomputed from the batch's `prev_hash`.
#[derive(Debug, Clone)]
pub struct UploadBatch {
    device_key: PublicKey,
    created: UtcMinute,
    first_seq: u64,
    prev_hash: RecordHash,
    records: Vec<InspectionRecord>,
    bytes: Vec<u8>,
    bodies: Vec<Range<usize>>,
}

impl UploadBatch {
    /// Signs a contiguous, chained run of records (as the device's log holds
    /// them: `seq` rising by one, each `prev_hash` the previous `hash`).
    pub fn sign(key: &SecretKey, created: UtcMinute, records: &[InspectionRecord]) -> Result<Vec<u8>, BatchError> {
        if records.len() > MAX_BATCH_RECORDS {
            return Err(BatchError::TooManyRecords(records.len()));
        }
        let (first_seq, prev_hash) = match records.first() {
            Some(r) => (r.seq, r.prev_hash),
            None => (1, GENESIS_HASH),
        };
        let mut out = header(key, created, first_seq, &prev_hash, records.len());
        let mut prev = prev_hash;
        for (index, record) in records.iter().enumerate() {
            let expected = first_seq.saturating_add(index as u64);
            if record.seq != expected {
                return Err(BatchError::Sequence { index, expected, found: record.seq });
            }
            let body = record.body().map_err(|source| BatchError::Record { index, source })?;
            if body.len() > MAX_RECORD_LEN {
                return Err(BatchError::RecordLength { index, len: body.len() });
            }
            if record.prev_hash != prev || chain_hash(&prev, &body) != record.hash {
                return Err(BatchError::Chain { index });
            }
            prev = record.hash;
            // The cap above keeps the length inside u16.
            out.extend_from_slice(&(body.len() as u16).to_be_bytes());
            out.extend_from_slice(&body);
        }
        let signature = key.sign(Domain::UploadBatch, &out);
        out.extend_from_slice(&signature);
        Ok(out)
    }

    /// A batch with no records: a device asking for its status. `next_seq` is
    /// the sequence number its next record will have.
    pub fn sign_empty(key: &SecretKey, created: UtcMinute, next_seq: u64) -> Vec<u8> {
        let mut out = header(key, created, next_seq.max(1), &GENESIS_HASH, 0);
        let signature = key.sign(Domain::UploadBatch, &out);
        out.extend_from_slice(&signature);
        out
    }

    /// Reads and checks a batch. Never panics, whatever the bytes.
    pub fn verify(bytes: &[u8]) -> Result<UploadBatch, BatchError> {
        if bytes.len() < 4 {
            return Err(if BATCH_MAGIC.starts_with(bytes) { BatchError::Truncated } else { BatchError::Magic });
        }
        let mut r = Reader { bytes, pos: 0 };
        if r.take(4)? != BATCH_MAGIC {
            return Err(BatchError::Magic);
        }
        let version = r.array::<1>()?[0];
        if version != BATCH_VERSION {
            return Err(BatchError::Version(version));
        }
        let device_key = PublicKey::from_bytes(&r.array()?).map_err(|_| BatchError::BadKey)?;
        let created = UtcMinute::from_unix_minutes(u32::from_be_bytes(r.array()?));
        let first_seq = u64::from_be_bytes(r.array()?);
        let prev_hash = RecordHash(r.array()?);
        let count = u32::from_be_bytes(r.array()?) as usize;
        if count > MAX_BATCH_RECORDS {
            return Err(BatchError::TooManyRecords(count));
        }
        // Each record takes at least 3 bytes: do not reserve for a count the input cannot hold.
        let mut records = Vec::with_capacity(count.min(bytes.len() / 3));
        let mut bodies = Vec::with_capacity(count.min(bytes.len() / 3));
        let mut prev = prev_hash;
        for index in 0..count {
            let len = usize::from(u16::from_be_bytes(r.array()?));
            if len == 0 || len > MAX_RECORD_LEN {
                return Err(BatchError::RecordLength { index, len });
            }
            let start = r.pos;
            let body = r.take(len)?;
            let hash = chain_hash(&prev, body);
            let record =
                InspectionRecord::decode(body, prev, hash).map_err(|source| BatchError::Record { index, source })?;
            let expected = first_seq.checked_add(index as u64).ok_or(BatchError::Sequence {
                index,
                expected: u64::MAX,
                found: record.seq,
            })?;
            if record.seq != expected {
                return Err(BatchError::Sequence { index, expected, found: record.seq });
            }
            prev = hash;
            records.push(record);
            bodies.push(start..start + len);
        }
        let signed_len = r.pos;
        let signature: [u8; SIGNATURE_LEN] = r.array()?;
        if r.pos != bytes.len() {
            return Err(BatchError::TrailingBytes);
        }
        let signed = bytes.get(..signed_len).ok_or(BatchError::Truncated)?;
        if !device_key.verify(Domain::UploadBatch, signed, &signature) {
            return Err(BatchError::BadSignature);
        }
        Ok(UploadBatch { device_key, created, first_seq, prev_hash, records, bytes: bytes.to_vec(), bodies })
    }

    /// The key that signed it.
    pub fn device_key(&self) -> &PublicKey {
        &self.device_key
    }

    /// The id of the device that signed it.
    pub fn device_id(&self) -> DeviceId {
        DeviceId::of(&self.device_key)
    }

    /// The device's clock when it made the batch.
    pub fn created(&self) -> UtcMinute {
        self.created
    }

    /// The first record's sequence number (for an empty batch: the device's next one).
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// The hash of record `first_seq - 1` as the device holds it.
    pub fn prev_hash(&self) -> &RecordHash {
        &self.prev_hash
    }

    /// The records, each with its `prev_hash` and `hash` computed.
    pub fn records(&self) -> &[InspectionRecord] {
        &self.records
    }

    /// The records' canonical bodies as received, in the same order.
    pub fn bodies(&self) -> impl Iterator<Item = &[u8]> {
        // Invariant: every range was taken from `bytes` by `verify`.
        self.bodies.iter().map(|range| &self.bytes[range.clone()])
    }

    /// Whether it holds no record (a status request).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The hash of its last record, or `prev_hash` when it is empty.
    pub fn last_hash(&self) -> RecordHash {
        self.records.last().map_or(self.prev_hash, |r| r.hash)
    }
}

fn header(key: &SecretKey, created: UtcMinute, first_seq: u64, prev_hash: &RecordHash, count: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + count * 200 + SIGNATURE_LEN);
    out.extend_from_slice(BATCH_MAGIC);
    out.push(BATCH_VERSION);
    out.extend_from_slice(&key.public_key().to_bytes());
    out.extend_from_slice(&created.unix_minutes().to_be_bytes());
    out.extend_from_slice(&first_seq.to_be_bytes());
    out.extend_from_slice(&prev_hash.0);
    // Callers cap `count` at MAX_BATCH_RECORDS, inside u32.
    out.extend_from_slice(&(count as u32).to_be_bytes());
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BatchError> {
        let end = self.pos.checked_add(n).ok_or(BatchError::Truncated)?;
        let out = self.bytes.get(self.pos..end).ok_or(BatchError::Truncated)?;
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], BatchError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: u64) -> Vec<InspectionRecord> {
        crate::samples::sample_log(7, "B-1042", n, UtcMinute::from_unix_minutes(26_830_000))
    }

    fn key() -> SecretKey {
        SecretKey::from_seed(&[9; 32])
    }

    #[test]
    fn signs_and_verifies_a_run_from_the_middle() {
        let records = chain(10);
        let bytes = UploadBatch::sign(&key(), UtcMinute::from_unix_minutes(26_830_100), &records[3..8]).unwrap();
        let batch = UploadBatch::verify(&bytes).unwrap();
        assert_eq!(batch.first_seq(), 4);
        assert_eq!(batch.prev_hash(), &records[2].hash);
        assert_eq!(batch.records(), &records[3..8]);
        assert_eq!(batch.last_hash(), records[7].hash);
        assert_eq!(batch.device_id(), DeviceId::of(&key().public_key()));
        let bodies: Vec<Vec<u8>> = batch.bodies().map(<[u8]>::to_vec).collect();
        assert_eq!(bodies[0], records[3].body().unwrap());
        assert_eq!(batch.created().unix_minutes(), 26_830_100);
    }

    #[test]
    fn an_empty_batch_is_a_status_request() {
        let bytes = UploadBatch::sign_empty(&key(), UtcMinute::from_unix_minutes(5), 12);
        let batch = UploadBatch::verify(&bytes).unwrap();
        assert!(batch.is_empty());
        assert_eq!(batch.first_seq(), 12);
        assert_eq!(bytes.len(), HEADER_LEN + SIGNATURE_LEN);
    }

    #[test]
    fn sign_refuses_records_that_do_not_chain_or_skip() {
        let records = chain(5);
        let skipping = [records[0].clone(), records[2].clone()];
        assert!(matches!(
            UploadBatch::sign(&key(), UtcMinute::from_unix_minutes(1), &skipping),
            Err(BatchError::Sequence { index: 1, expected: 2, found: 3 })
        ));
        let mut altered = records.clone();
        altered[2].note = Some("changed after the fact".into());
        assert_eq!(
            UploadBatch::sign(&key(), UtcMinute::from_unix_minutes(1), &altered).unwrap_err(),
            BatchError::Chain { index: 2 }
        );
    }

    #[test]
    fn every_flipped_bit_and_every_truncation_is_refused() {
        let bytes = UploadBatch::sign(&key(), UtcMinute::from_unix_minutes(7), &chain(3)).unwrap();
        for i in 0..bytes.len() {
            for bit in [0x01, 0x80] {
                let mut bad = bytes.clone();
                bad[i] ^= bit;
                assert!(UploadBatch::verify(&bad).is_err(), "bit {bit:#x} of byte {i}");
            }
        }
        for n in 0..bytes.len() {
            assert!(UploadBatch::verify(&bytes[..n]).is_err(), "truncated to {n}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(UploadBatch::verify(&long).unwrap_err(), BatchError::TrailingBytes);
    }

    #[test]
    fn another_key_cannot_sign_for_a_device() {
        // A batch carries its own key, so "another device's records" means a
        // batch whose key is not the device's: the server compares the key.
        let mut bytes = UploadBatch::sign(&key(), UtcMinute::from_unix_minutes(7), &chain(2)).unwrap();
        let other = SecretKey::from_seed(&[10; 32]).public_key().to_bytes();
        bytes[5..5 + PUBLIC_KEY_LEN].copy_from_slice(&other);
        assert_eq!(UploadBatch::verify(&bytes).unwrap_err(), BatchError::BadSignature);
    }

    #[test]
    fn caps_are_enforced_before_allocating() {
        let mut bytes = UploadBatch::sign_empty(&key(), UtcMinute::from_unix_minutes(7), 1);
        let count_at = HEADER_LEN - 4;
        bytes[count_at..count_at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(UploadBatch::verify(&bytes).unwrap_err(), BatchError::TooManyRecords(u32::MAX as usize));
        bytes[count_at..count_at + 4].copy_from_slice(&1000u32.to_be_bytes());
        // The signature's bytes are read as the first record's length: refused either way.
        assert!(matches!(
            UploadBatch::verify(&bytes),
            Err(BatchError::RecordLength { index: 0, .. } | BatchError::Truncated)
        ));
        assert_eq!(UploadBatch::verify(b"IC").unwrap_err(), BatchError::Truncated);
        assert_eq!(UploadBatch::verify(b"XYZW").unwrap_err(), BatchError::Magic);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x1234_5678_u32;
        for len in 0..400 {
            let mut bytes: Vec<u8> = BATCH_MAGIC.to_vec();
            bytes.push(1);
            for _ in 0..len {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                bytes.push((seed >> 24) as u8);
            }
            assert!(UploadBatch::verify(&bytes).is_err());
        }
    }
}
