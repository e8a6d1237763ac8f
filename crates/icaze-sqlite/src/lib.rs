//! The embedded SQLite backend of the Icaze server: the engine every store
//! shares ([`engine`]: connections, migrations, read pools, WAL checkpoints)
//! and the stores built on it, each implementing a rules crate's store
//! interface: [`permits`] ([`icaze_permits::store::PermitStore`]: registries,
//! permits, daily limits, serial numbers, regimes), [`sync`]
//! ([`icaze_sync_service::store::SyncStore`]: devices, inspections,
//! revocations, bundle versions, supervisors, the audit trail) and
//! [`portal`] ([`icaze_portal::store::PortalStore`]: accounts, sessions,
//! employees, the portal's permits, imports, its audit log); and [`backup`],
//! a running service's databases copied, and restored.
//!
//! It knows SQLite and the store interfaces; it knows no HTTP, and JSON only
//! as the text of a column (the audit trails' details, an import's
//! problems); it holds no rule: a store checks what the rules ask it to
//! check in one transaction (a daily limit with a permit's insertion) and
//! nothing more.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod backup;
pub mod engine;
pub mod permits;
pub mod portal;
pub mod sync;

pub use crate::engine::{migrate, open, restart_wal, Checkpointer, Durability, Error, Readers, SqliteConfig};
