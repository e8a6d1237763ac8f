//! The employer portal and the 102 call-centre console as the server wires
//! them (`docs/portal-api.md`): the rules of `icaze-portal`, its SQLite
//! store from `icaze-sqlite`, the routes ([`http`]), the JSON they answer
//! with ([`answers`]) and the printable certificate ([`pdf`]).

pub mod answers;
pub mod http;
#[cfg(test)]
mod page_shapes;
pub mod pdf;
pub mod sender;

pub use icaze_portal::*;
pub use icaze_sqlite::portal as sqlite;
