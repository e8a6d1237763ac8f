//! The sync service of `docs/sync-api.md` as the server wires it: the rules
//! of `icaze-sync-service`, its SQLite store from `icaze-sqlite`, and the
//! `/v1/…` routes ([`http`]).

pub mod answers;
pub mod feeds;
pub mod http;
pub mod replace;

pub use icaze_sqlite::sync as sqlite;
pub use icaze_sync_service::*;
