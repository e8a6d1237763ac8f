//! The permit rules of the Icaze server: the 8103 SMS service ([`sms`]), the
//! regimes it applies ([`regime`]), the registries it reads ([`csv`],
//! [`registry`]; a full replacement of the population registry, [`replace`]), the issuer key ring ([`keys`]), the abuse report of the
//! SMS codes ([`report`]), and the interface of the store that keeps permits,
//! daily limits and serial numbers ([`store`]).
//!
//! This crate knows the rules and nothing of how they are reached or kept: it
//! depends on neither an HTTP framework, nor JSON, nor a database. The HTTP
//! server (`icaze-server`) calls it; a storage backend (`icaze-sqlite`)
//! implements [`store::PermitStore`]. `tests/architecture.rs` checks the
//! dependency graph.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod clock;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod csv;
pub mod feeds;
pub mod keys;
pub mod metrics;
pub mod regime;
pub mod registry;
pub mod replace;
pub mod report;
pub mod sms;
pub mod store;

pub use crate::clock::{Clock, FixedClock, SystemClock};
