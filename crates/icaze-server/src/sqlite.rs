//! The embedded SQLite backend as the server wires it: the permits store and
//! the engine's settings from `icaze-sqlite`, for the portal store that
//! still lives here.

pub use icaze_sqlite::permits::{SqlitePermitStore, REGISTRY_FILE};
pub(crate) use icaze_sqlite::{migrate, open, Readers};
pub use icaze_sqlite::{Durability, Error, SqliteConfig};
