//! The PostgreSQL backend of the Icaze server: the permits store
//! ([`PgPermitStore`], implementing [`icaze_permits::store::PermitStore`]) and
//! the sync store ([`PgSyncStore`], implementing
//! `icaze_sync_service::store::SyncStore`; how it holds uploads, bundle
//! versions and revocations across instances is in its module, `sync`) and
//! the portal store ([`PgPortalStore`], implementing
//! [`icaze_portal::store::PortalStore`]; how it holds across instances is in
//! its module, `portal/`) on a database that several `icaze serve` instances
//! may share.
//!
//! ```no_run
//! use icaze_permits::store::PermitStore;
//! use icaze_postgres::{PgConfig, PgPermitStore};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = PgPermitStore::open("postgres://icaze@127.0.0.1:5432/icaze", PgConfig::default())?;
//! store.import_people("document,birth_date,zone\nAZE11111111,1980-05-17,1\n")?;
//! assert!(store.person("AZE11111111")?.is_some());
//! # Ok(())
//! # }
//! ```
//!
//! It knows PostgreSQL and the store interface; it knows no HTTP, no JSON, and
//! holds no rule: it checks what the rules ask it to check (a daily limit with a
//! permit's insertion) in one transaction and nothing more. Its errors are the
//! interface's [`StoreError`], whose database error is boxed: no PostgreSQL type
//! reaches the rules.
//!
//! # Several instances, one database
//!
//! Everything that must hold across instances is held by the database, never by
//! a lock in a process:
//!
//! - **The daily limits** are conditional upserts, in the transaction that
//!   inserts the permit (READ COMMITTED): a document's counter of the day and
//!   code, `INSERT … ON CONFLICT (document, day, code) DO UPDATE SET count =
//!   count + 1 WHERE count < limit RETURNING count`, then the phone's counter
//!   the same way. PostgreSQL takes the row's lock for the conflict and, when
//!   another transaction changed the row meanwhile, evaluates the `WHERE` again
//!   on the row as committed; so of any number of concurrent requests exactly as
//!   many as the limit get a row back, on any instance, and a request with no
//!   row back rolls its transaction back (nothing of it stays). The document's
//!   row is always locked before the phone's, so two permits never wait for each
//!   other in a cycle. SERIALIZABLE would hold the limits too, but by failing
//!   every concurrent request for the same document or phone with a
//!   serialization error to retry; the conditional upsert makes them queue on
//!   one row instead and answers each at its first try.
//! - **A replacement** ([`icaze_permits::store::Limits::replaces`]) is an
//!   `UPDATE … SET last_serial = new WHERE last_serial = replaced` of the same
//!   row: the first one moves it and the others, re-evaluating after its commit,
//!   find it moved and are given its permit.
//! - **Serial numbers** come from one counter row, moved forward by an
//!   `UPDATE … RETURNING` in a transaction of its own that commits before the
//!   range is returned: two instances never get overlapping ranges, and a range
//!   handed out before a crash is never handed out again (at worst its unused
//!   numbers are skipped).
//! - Permits of the other channels (`record_issued_many`, the portal's batches)
//!   bump their documents' day rows in key order, so two batches never wait on
//!   each other in a cycle either.
//! - Deadlocks (`40P01`) and serialization failures (`40001`), which the above
//!   should not cause but another writer (an administrator's script) could, are
//!   retried a few times; other failures are returned, after the transaction was
//!   rolled back. A commit is `synchronous_commit = on`, set on every
//!   connection, so `Issued` is answered only for a permit on the server's disk.
//!
//! # How the synchronous methods run
//!
//! The store owns a small multi-thread tokio runtime on a thread of its own
//! (`icaze-postgres`), and every query runs there, also those of the async
//! methods: the pool's connections are driven by tasks of that runtime, so they
//! live as long as the store, whoever calls it. A synchronous method
//! ([`PgPermitStore::person`] and the others the trait declares without
//! `async`) spawns its query on that runtime and waits for the answer on a
//! standard channel, blocking its thread for a query's round trip, as the
//! SQLite store's reads block for a read; this works from any thread: a
//! `spawn_blocking` thread of the sync service, a worker of the server's
//! runtime, or a plain thread. `block_in_place` was not used: it panics on a
//! current-thread runtime, and the store cannot know its caller's. The async
//! methods spawn their transaction there too and await its handle.
//!
//! # Migrations
//!
//! Versioned in `schema_version`, one row per store (`permits`, `sync` and
//! `portal`), applied in one transaction under an
//! advisory lock, so that instances starting together migrate once. A database
//! of a newer schema than this build knows is refused ([`OpenError::Newer`]).
//!
//! # TLS
//!
//! With [`PgConfig::ca_file`] every connection is TLS (rustls), the server's
//! certificate verified against that CA alone and its host name checked; a
//! connection string asking for `sslmode=require` without a CA file is refused
//! rather than connected unverified. Without a CA file connections are plain,
//! for a database on loopback, a unix socket or a private network.
//!
//! # Not checked
//!
//! The registries are read as they are when asked: an import commits at once
//! for every instance. A permit's row is trusted as written: the store does not
//! verify tokens.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod connect;
mod feeds;
mod permits;
mod reports;
mod runtime;
mod schema;
mod shared;
mod sync;
mod tls;

// The portal store (issue 21).
mod portal;
pub use crate::portal::PgPortalStore;

use std::path::PathBuf;
use std::time::Duration;

pub use crate::permits::PgPermitStore;
pub use crate::schema::MigrationError;
pub use crate::sync::PgSyncStore;

/// Settings of the PostgreSQL store.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// Connections each store keeps at most (each instance has its own pool).
    pub pool_size: usize,
    /// Worker threads of the store's runtime.
    pub worker_threads: usize,
    /// How long a connection may take to be made, and a request may wait for a
    /// free connection: past it, the request fails (the SMS says try again later).
    pub connect_timeout: Duration,
    /// The longest a statement may run (`statement_timeout`), waits for a row's
    /// lock included.
    pub statement_timeout: Duration,
    /// The CA (PEM) that signed the database server's certificate: with it,
    /// every connection is TLS and the server's certificate and name are
    /// verified against it alone (`tls.rs`); without it, connections are
    /// plain (loopback, a unix socket, a private network).
    pub ca_file: Option<PathBuf>,
}

impl Default for PgConfig {
    fn default() -> Self {
        PgConfig {
            pool_size: 16,
            worker_threads: 2,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
            ca_file: None,
        }
    }
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The connection string does not read.
    #[error("the database connection string does not read: {0}: use postgres://USER@HOST:PORT/DATABASE")]
    Url(String),
    /// The database was migrated by a newer build.
    #[error(
        "the database's {store} schema is version {found}, newer than this build knows ({known}): run the newer icaze, or restore the database from before it"
    )]
    Newer {
        /// Which store's schema.
        store: &'static str,
        /// The version found.
        found: i32,
        /// The newest this build knows.
        known: i32,
    },
    /// TLS to the database cannot be set up as asked.
    #[error("TLS to the database: {0}")]
    Tls(String),
    /// The database could not be reached or refused.
    #[error(transparent)]
    Store(#[from] icaze_permits::store::StoreError),
}

impl From<OpenError> for icaze_permits::store::StoreError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Store(e) => e,
            other => icaze_permits::store::StoreError::Damaged(other.to_string()),
        }
    }
}
