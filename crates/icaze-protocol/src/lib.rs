//! The sync protocol between officer devices and the server, shared by both
//! sides and doing no I/O: the inspection record and its hash chain
//! (`docs/inspection-log.md`), the device's public identity and enrollment
//! code, the signed upload batch that carries records to the server (and, as
//! a file, to a precinct), and (feature `json`, for the edges) the JSON
//! answers of the service's API as types both the server and its client use
//! ([`api`]; `docs/sync-api.md`, `docs/portal-api.md`), and (feature `ts`, for
//! the device core and the app) the TypeScript of the answers the app shows.
//!
//! The device core (`icaze-device`) writes records and batches; the server
//! (`icaze-server`) reads them with the same code, so the two cannot disagree
//! on an encoding.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "json")]
pub mod api;
mod badge;
mod batch;
mod identity;
mod record;
#[cfg(any(test, feature = "samples"))]
pub mod samples;

pub use badge::{BadBadge, Location, OfficerBadge};
pub use batch::{
    BatchError, UploadBatch, BATCH_MAGIC, BATCH_VERSION, MAX_BATCH_RECORDS, MAX_EXPORT_LEN, MAX_RECORD_LEN,
    MAX_UPLOAD_LEN,
};
pub use identity::{DeviceId, EnrollmentCode, EnrollmentCodeError};
pub use record::{
    chain_hash, InputKind, InspectionRecord, Outcome, RecordError, RecordHash, RecordId, GENESIS_HASH, HASH_PREFIX,
    MAX_ITEMS, MAX_NOTE, MAX_SHORT, RECORD_FORMAT,
};
