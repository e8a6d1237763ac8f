//! The sync store on PostgreSQL ([`PgSyncStore`]): devices, the inspections
//! they upload, the records kept apart, revocations, the bundle version,
//! supervisors and the audit trail, in the tables `sync_*` of the database
//! the permits store uses (or another).
//!
//! It keeps the semantics of the SQLite store (`icaze_sqlite::sync`), which
//! the conformance suite of `icaze_sync_service::conformance` checks on both;
//! what SQLite gets from its one writer, several instances on one database get
//! from the database, at READ COMMITTED:
//!
//! - **A device's writes one at a time.** [`SyncTx::device`] takes the
//!   device's advisory transaction lock (`pg_advisory_xact_lock(class,
//!   hashtext(device_id))`) before it reads the row, and every write of the
//!   rules that touches a device reads it first. An upload replayed to another
//!   instance, even at the same moment, is classified by the second
//!   transaction after the first committed (each statement at READ COMMITTED
//!   sees what was committed before it began): its records are duplicates,
//!   stored once. The lock is advisory rather than the row's `FOR UPDATE`
//!   because it also holds for a device not stored yet (two approvals of one
//!   enrolment code). Underneath, `UNIQUE (device_id, seq)` is the database's
//!   last word: a record stored twice fails its whole transaction.
//! - **Bundle versions one after the other.** [`SyncTx::bundle_state`] reads
//!   the one `sync_bundle_state` row `FOR UPDATE`, and both the revocations and
//!   a bundle's version bump read it first in their transaction: versions are
//!   raised by one transaction at a time, whichever instance, each revocation
//!   is stored with the version its transaction raised it to, and a second
//!   instance that finds the bundle stale re-reads the row after the first
//!   instance's bump and finds it fresh (one version, not two). A row lock
//!   rather than a sequence: a sequence hands out numbers outside the
//!   transaction (a rolled-back revocation would leave a version no bundle
//!   carries) and could not be read and raised together with the fingerprint;
//!   rather than SERIALIZABLE: every concurrent revocation would fail with a
//!   serialization error to retry, where the lock makes them wait their turn.
//!   A bundle of version `v` holds exactly the revocations of versions up to
//!   `v` ([`SyncStore::revoked_serials`](icaze_sync_service::store::SyncStore::revoked_serials) is bounded above), so every instance
//!   signs the same bytes for one version, base and minute: an ETag names one
//!   bundle whichever instance serves it.
//! - **Revocations in order.** A serial is revoked once (`serial` is the
//!   primary key, and the check runs after the bundle lock), and a
//!   supervisor's daily count is read under that lock, so requests at once on
//!   several instances are bounded as sequential ones.
//! - **The audit trail in commit order.** An entry is appended under an
//!   advisory lock held to the commit, so row ids rise in the order entries
//!   become visible, and a reader paging by id never skips one.
//!
//! Deadlocks and serialization failures, which these locks do not cause
//! (the rules' transactions take them in one order: a device's, the bundle's,
//! the audit's; none takes two devices') but another writer could, run the whole transaction again, at most
//! [`RETRIES`] times: the rules' work is a closure that may run again. A
//! commit is `synchronous_commit = on`: a write returns, and a read sees it,
//! only once it is on the server's disk.
//!
//! Each call of a [`SyncTx`] is a round trip on the transaction's connection,
//! run on the store's runtime like every query (see the crate doc); the work
//! itself runs on the caller's thread, under `catch_unwind`, so a panic in the
//! rules rolls the transaction back. A connection is given back to the pool
//! only after its `COMMIT` or `ROLLBACK` succeeded; dropped in any other state
//! (a failed rollback, a commit in doubt, a panic), it is closed (`tx::Held`).
//!
//! What is not held across instances: the devices' and supervisors' request
//! rates (`icaze_sync_service::SyncLimits`) are token buckets in each
//! instance's memory, so N instances allow N times the rate.

mod queries;
mod rows;
mod schema;
mod tx;

use std::panic::{catch_unwind, AssertUnwindSafe};

use deadpool_postgres::{Client, Pool};
use icaze_permits::store::StoreError;
use icaze_sync_service::store::SyncTx;
use tokio_postgres::error::SqlState;

use self::schema::{MIGRATIONS, STORE};
use self::tx::{Held, Tx};
use crate::connect::pool_error;
use crate::runtime::StoreRuntime;
use crate::schema::migrate_store;
use crate::{OpenError, PgConfig};

/// How often a transaction that failed with a deadlock or a serialization
/// failure is run again.
const RETRIES: u32 = 5;

/// The PostgreSQL implementation of [`SyncStore`](icaze_sync_service::store::SyncStore):
/// a pool of connections to one database, which other instances may share.
///
/// A device's writes run one at a time under its advisory lock, bundle
/// versions are raised under the lock of the bundle state's row, and the
/// audit trail is appended under a lock held to the commit, so that an upload
/// replayed to another instance is stored once and every instance builds the
/// same bundle of a version (`docs/postgres.md`, "The sync store").
pub struct PgSyncStore {
    pool: Pool,
    // Invariant: declared after `pool`, so the pool's connections are dropped
    // before the runtime that drives them stops.
    runtime: StoreRuntime,
}

impl std::fmt::Debug for PgSyncStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSyncStore").field("pool", &self.pool.status()).finish()
    }
}

/// Whether a failed transaction may simply run again: a deadlock or a
/// serialization failure.
fn retryable(e: &StoreError) -> bool {
    let StoreError::Database(e) = e else { return false };
    let Some(e) = e.downcast_ref::<tokio_postgres::Error>() else { return false };
    matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// How one run of a transaction ended.
enum Run {
    /// Committed, or failed for good.
    Done(Result<(), StoreError>),
    /// Rolled back by a deadlock or a serialization failure.
    Again(StoreError),
}

impl PgSyncStore {
    /// Connects to the database at `url` (`postgres://USER@HOST:PORT/DATABASE`,
    /// or the key-value form), creating or migrating the sync schema (the
    /// permits store's schema is its own, migrated by `PgPermitStore::open`).
    ///
    /// Blocks until the database answered; unreachable, it fails after
    /// [`PgConfig::connect_timeout`].
    pub fn open(url: &str, config: PgConfig) -> Result<PgSyncStore, OpenError> {
        let pool = crate::connect::pool(url, &config, "icaze-sync")?;
        let runtime = StoreRuntime::start(config.worker_threads)?;
        let migrating = pool.clone();
        runtime.block(async move {
            let mut client = migrating.get().await.map_err(pool_error)?;
            Ok(migrate_store(&mut client, STORE, MIGRATIONS).await)
        })??;
        Ok(PgSyncStore { pool, runtime })
    }

    /// Runs `work` with a pooled connection on the store's runtime, and waits.
    fn read<T, F>(&self, work: impl FnOnce(Client) -> F + Send + 'static) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let pool = self.pool.clone();
        self.runtime.block(async move {
            let client = pool.get().await.map_err(pool_error)?;
            work(client).await
        })
    }

    /// Runs one simple statement (`BEGIN`, `COMMIT`, `ROLLBACK`) on `client`;
    /// the client back, unless the call lost it.
    fn simple(&self, client: Held, sql: &'static str) -> (Option<Held>, Result<(), StoreError>) {
        let ran = self.runtime.block(async move {
            let result = client.batch_execute(sql).await.map_err(rows::db);
            Ok((client, result))
        });
        match ran {
            Ok((client, result)) => (Some(client), result),
            Err(e) => (None, Err(e)),
        }
    }

    /// Rolls the transaction on `client` back and gives the connection back
    /// to the pool; one whose rollback failed is closed instead (see [`Held`]).
    fn roll_back(&self, client: Option<Held>) {
        if let Some(client) = client {
            match self.simple(client, "ROLLBACK") {
                (Some(client), Ok(())) => client.release(),
                (_, Err(e)) => tracing::warn!(error = %e, "a rollback failed; the connection is closed"),
                (None, Ok(())) => {}
            }
        }
    }

    /// [`SyncStore::write`](icaze_sync_service::store::SyncStore::write): runs
    /// the transaction, again after a deadlock or a serialization failure.
    fn write_retried(&self, work: &mut dyn FnMut(&mut dyn SyncTx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let mut tries = 0;
        loop {
            match self.run_once(work) {
                Run::Done(result) => return result,
                Run::Again(e) if tries >= RETRIES => return Err(e),
                Run::Again(e) => {
                    tries += 1;
                    tracing::debug!(error = %e, tries, "a sync transaction runs again");
                }
            }
        }
    }

    fn run_once(&self, work: &mut dyn FnMut(&mut dyn SyncTx) -> Result<(), StoreError>) -> Run {
        let pool = self.pool.clone();
        let client = match self.runtime.block(async move { pool.get().await.map_err(pool_error) }) {
            Ok(client) => Held::new(client),
            Err(e) => return Run::Done(Err(e)),
        };
        let (client, begun) = self.simple(client, "BEGIN ISOLATION LEVEL READ COMMITTED");
        if let Err(e) = begun {
            self.roll_back(client);
            return Run::Done(Err(e));
        }
        let mut tx = Tx { runtime: &self.runtime, client, failed: None, retry: false };
        let outcome = catch_unwind(AssertUnwindSafe(|| work(&mut tx)))
            .unwrap_or_else(|_| Err(StoreError::Damaged("a write panicked; it was rolled back".into())));
        let Tx { client, failed, retry, .. } = tx;
        match (outcome, failed) {
            (Ok(()), None) => {
                let Some(client) = client else {
                    return Run::Done(Err(StoreError::Damaged("the transaction's connection was lost".into())));
                };
                match self.simple(client, "COMMIT") {
                    (client, Ok(())) => {
                        if let Some(client) = client {
                            client.release();
                        }
                        Run::Done(Ok(()))
                    }
                    // In doubt: the connection is not trusted again (dropped, it is closed).
                    (_, Err(e)) => {
                        if retryable(&e) {
                            Run::Again(e)
                        } else {
                            Run::Done(Err(e))
                        }
                    }
                }
            }
            // The work went on after a failed statement: PostgreSQL would turn
            // the COMMIT into a rollback, so say so rather than answer Ok.
            (Ok(()), Some(message)) => {
                self.roll_back(client);
                Run::Done(Err(StoreError::Damaged(format!(
                    "a statement failed ({message}); nothing of this request was stored"
                ))))
            }
            (Err(e), _) => {
                self.roll_back(client);
                if retry {
                    Run::Again(e)
                } else {
                    Run::Done(Err(e))
                }
            }
        }
    }
}
