//! The embedded SQLite backend as the server wires it: the permits store and
//! the engine's settings from `icaze-sqlite`, for the sync and portal stores
//! that still live here.

pub use icaze_sqlite::permits::{SqlitePermitStore, REGISTRY_FILE};
pub(crate) use icaze_sqlite::{migrate, open, Checkpointer, Readers};
pub use icaze_sqlite::{Durability, Error, SqliteConfig};
