//! The one client of the Icaze service's API, for everyone who calls it from
//! outside the server: `icaze admin` ([`api::ApiClient`], any call with the
//! administrator's token), `icaze portal` ([`portal::PortalSession`], an
//! authorised person's session of the employer portal, by cookie and CSRF
//! token), the precinct supervisor's screen in the app
//! ([`supervisor::SupervisorClient`], typed calls over the same client), and
//! the device core's sync client (its HTTP client, pinned certificates and
//! refusals from [`transport`]).
//!
//! It knows HTTP (reqwest with rustls) and the API's JSON; it knows nothing
//! of the server's crates, of SQLite, or of the device's state: what it sends
//! and reads is defined by `docs/sync-api.md` and `docs/portal-api.md`, and
//! the answers it reads are the types the server writes them from
//! ([`answers`], `icaze_protocol::api`).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod api;
pub use icaze_protocol::api as answers;
pub mod portal;
pub mod supervisor;
pub mod transport;
