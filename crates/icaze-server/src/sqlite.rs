//! The embedded SQLite backend as the server wires it: the permits store and
//! the engine's settings from `icaze-sqlite` (the sync and portal stores are
//! reached as `sync::sqlite` and `portal::sqlite`).

pub use icaze_sqlite::backup;
pub use icaze_sqlite::permits::{SqlitePermitStore, REGISTRY_FILE};
pub use icaze_sqlite::{Durability, Error, SqliteConfig};
