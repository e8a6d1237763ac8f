//! The employer portal and the 102 call-centre console of
//! `docs/portal-api.md`: accounts and sessions, organisations and their
//! authorised persons, employees with their work and business-trip permits,
//! CSV imports, funeral permits, and the administrator's regime-change
//! actions.
//!
//! [`PortalService`] holds the rules and sees its own data only through
//! [`store::PortalStore`] (SQLite in `icaze_sqlite::portal`,
//! `DATA/portal.db`, or PostgreSQL in `icaze_postgres`); it records every permit it issues in the main permits
//! table ([`icaze_permits::store::PermitStore::record_issued_many`], so that
//! revoking by document finds them), and revokes through the sync service,
//! so that its revocations reach devices in the next bundle. This crate
//! knows neither HTTP, nor JSON, nor a database: it answers in plain values
//! ([`EmployeeView`], [`TripView`], [`Reactivated`], [`Printable`]), its
//! audit details are typed ([`store::AuditDetails`]), and the routes, the
//! JSON and the certificate's PDF are `icaze-server`'s.
//!
//! Every method is blocking (the store, Argon2, signing): the routes call
//! them on the blocking pool, where the few asynchronous calls into the main
//! store are waited for with the runtime handle the service was made with.
//!
//! What is *not* checked: that a person's name or position is true; that an
//! employee works where the employer says (the employer answers for it, and
//! every change is in the audit log); revocations made outside the portal
//! (by document, by an administrator) are not reflected in the portal's own
//! `revoked` flags, only in the sync service's list, which is what devices use.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod accounts;
#[cfg(feature = "conformance")]
pub mod conformance;
mod employees;
mod error;
mod fields;
mod funerals;
pub mod import;
pub mod password;
mod reissue;
mod service;
pub mod store;

pub use crate::accounts::Principal;
pub use crate::employees::{
    EditPreview, EmployeeInput, EmployeeView, Printable, ReactivateProblem, Reactivated, TripInput, TripView,
};
pub use crate::error::{Detail, PortalError};
pub use crate::fields::day_text;
pub use crate::funerals::{mask_phone, FuneralInput};
pub use crate::service::{
    PortalConfig, PortalService, RegimeSource, ABSOLUTE_MINUTES, DEFAULT_PAGE, FUNERAL_MAX_AHEAD_MINUTES,
    FUNERAL_MAX_MINUTES, IDLE_MINUTES, MAX_PAGE, MAX_TEXT,
};
