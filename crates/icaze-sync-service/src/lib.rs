//! The sync service of `docs/sync-api.md`: device enrollment, upload and
//! import of inspection records, the signed sync bundle, revocations,
//! inspections for supervisors, and supervisors' credentials.
//!
//! [`SyncService`] holds the rules and sees storage only through
//! [`store::SyncStore`] (SQLite in `icaze_sqlite::sync`, `DATA/sync.db`;
//! PostgreSQL in `icaze_postgres::PgSyncStore`; both run the suite of
//! `conformance`, behind the feature of that name); the
//! routes in `icaze-server` are thin. Everything a handler does is a method
//! here that the tests can call directly.
//!
//! This crate knows neither HTTP, nor JSON, nor a database: it answers in
//! plain values ([`views`]), and the audit trail's details are typed
//! ([`store::AuditDetails`]); the HTTP edge and the storage backend write
//! them as they need.
//!
//! What is *not* checked: a record's contents beyond its encoding (an
//! officer may log any zone, any time; the device clock is the record's
//! time), and whether a revoked serial was ever issued (permits of other
//! channels are not in this server's database).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod auth;
pub mod bundle;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
mod limits;
pub mod people;
pub mod ratelimit;
mod service;
pub mod store;
pub mod views;

pub use crate::auth::Caller;
pub use crate::error::SyncError;
pub use crate::limits::{RateLimited, SyncLimits};
pub use crate::people::PeopleAccess;
pub use crate::service::feeds::{FeedReceipt, MAX_BATCH_RECORDS};
pub use crate::service::{KeyHook, SyncService, DEFAULT_PAGE, MAX_PAGE, MAX_REASON};
pub use crate::views::{
    Activity, Approval, Channel, DeviceView, InspectionFilter, InspectionPage, KeysReloaded, Receipt, Reissue,
    ReissueProblem, RevokeTarget, MAX_REVOKE_SERIALS,
};
