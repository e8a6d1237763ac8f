//! A transaction of the portal's PostgreSQL store on a pooled connection:
//! how it begins, runs statements and ends (its operations are in `tx.rs`).
//!
//! The interface's operations are synchronous and the connection is driven
//! by the store's runtime: each statement is sent there with the connection
//! (moved in, handed back with the rows), and the calling thread waits for
//! it. The first statement that fails is remembered: PostgreSQL refuses
//! every later one of the transaction, and the transaction is then rolled
//! back whatever the work answers (a `COMMIT` of a failed transaction would
//! roll back and say nothing).

use std::cell::RefCell;

use deadpool_postgres::{Object, Pool};
use icaze_core::UtcMinute;
use icaze_portal::store::StoreError;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::pool_error;
use crate::connect::db;
use crate::permits::col;
use crate::runtime::StoreRuntime;

/// A statement's parameter, owned: it goes to the store's runtime.
pub(super) type Param = Box<dyn ToSql + Sync + Send>;

/// `value` as a statement's parameter.
pub(super) fn p<T: ToSql + Sync + Send + 'static>(value: T) -> Param {
    Box::new(value)
}

/// What a transaction may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// READ COMMITTED, committed when the work succeeds.
    Write,
    /// One snapshot (REPEATABLE READ), READ ONLY: writes fail.
    Read,
}

/// Why a transaction did not commit, and whether running it again may help.
pub(super) struct Failed {
    pub(super) error: StoreError,
    pub(super) retry: bool,
}

/// A transaction on a pooled connection.
pub(super) struct Tx<'a> {
    // Invariant: `Some` except while a statement runs; taken out by `finish`
    // after a clean `COMMIT` or `ROLLBACK` only. A connection still here when
    // the transaction is dropped may be inside a transaction: it is taken out
    // of the pool and closed rather than handed to the next request.
    client: RefCell<Option<Object>>,
    runtime: &'a StoreRuntime,
    mode: Mode,
    /// The first statement that failed: its SQLSTATE, if the database gave one.
    failed: RefCell<Option<Option<SqlState>>>,
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.get_mut().take() {
            drop(Object::take(client));
        }
    }
}

/// Whether a transaction that failed with `code` may simply run again.
fn retryable(code: Option<&SqlState>) -> bool {
    matches!(code, Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
        || *c == SqlState::T_R_DEADLOCK_DETECTED
        || *c == SqlState::UNIQUE_VIOLATION)
}

/// A stored number that must fit the type it is read into.
pub(super) fn fits<T: TryFrom<i64>>(value: i64, what: &str) -> Result<T, StoreError> {
    T::try_from(value).map_err(|_| StoreError::Damaged(format!("{what} {value} is out of range")))
}

pub(super) fn minute(value: i64) -> Result<UtcMinute, StoreError> {
    Ok(UtcMinute::from_unix_minutes(fits(value, "a time")?))
}

pub(super) fn zones(values: Vec<i32>) -> Result<Vec<u16>, StoreError> {
    values.into_iter().map(|z| fits(i64::from(z), "a zone")).collect()
}

pub(super) fn zones_param(zones: &[u16]) -> Param {
    p(zones.iter().map(|&z| i32::from(z)).collect::<Vec<i32>>())
}

pub(super) fn damaged(what: &str, value: &str) -> StoreError {
    StoreError::Damaged(format!("{what} {value:?}"))
}

impl<'a> Tx<'a> {
    /// Takes a connection from the pool and begins a transaction on it.
    pub(super) fn begin(pool: &Pool, runtime: &'a StoreRuntime, mode: Mode) -> Result<Tx<'a>, StoreError> {
        let pool = pool.clone();
        let client = runtime.block(async move { pool.get().await.map_err(pool_error) })?;
        let tx = Tx { client: RefCell::new(Some(client)), runtime, mode, failed: RefCell::new(None) };
        tx.batch(match mode {
            Mode::Write => "BEGIN ISOLATION LEVEL READ COMMITTED",
            Mode::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        })?;
        Ok(tx)
    }

    /// Commits (a write whose work and statements all succeeded) or rolls back.
    pub(super) fn finish(self, work: Result<(), StoreError>) -> Result<(), Failed> {
        let earlier = self.failed.borrow().clone();
        let commit = self.mode == Mode::Write && work.is_ok() && earlier.is_none();
        let ended = self.batch(if commit { "COMMIT" } else { "ROLLBACK" });
        if ended.is_ok() {
            // Back to the pool: the connection is outside any transaction.
            drop(self.client.borrow_mut().take());
        }
        if let Some(code) = earlier {
            let error = work.err().unwrap_or_else(|| {
                StoreError::Damaged("a statement of the transaction failed, so it was rolled back".into())
            });
            return Err(Failed { retry: retryable(code.as_ref()), error });
        }
        work.map_err(|error| Failed { error, retry: false })?;
        ended.map_err(|error| {
            // A serialization failure may come at the commit.
            let code = self.failed.borrow().clone().flatten();
            Failed { retry: commit && retryable(code.as_ref()), error }
        })
    }

    /// Runs `sql` on the connection, on the store's runtime; its rows.
    pub(super) fn rows(&self, sql: String, params: Vec<Param>) -> Result<Vec<Row>, StoreError> {
        if self.failed.borrow().is_some() {
            return Err(StoreError::Damaged("an earlier statement of the transaction failed".into()));
        }
        let client = self.client.borrow_mut().take().ok_or(StoreError::WriterGone)?;
        let (client, answer) = self.runtime.block(async move {
            let answer = async {
                let statement = client.prepare_cached(&sql).await?;
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| &**v as &(dyn ToSql + Sync)).collect();
                client.query(&statement, &refs).await
            }
            .await;
            Ok((client, answer))
        })?;
        *self.client.borrow_mut() = Some(client);
        answer.map_err(|e| self.fail(e))
    }

    /// Runs statements without parameters (`BEGIN`, `COMMIT`, `ROLLBACK`).
    fn batch(&self, sql: &'static str) -> Result<(), StoreError> {
        let client = self.client.borrow_mut().take().ok_or(StoreError::WriterGone)?;
        let (client, answer) = self.runtime.block(async move {
            let answer = client.batch_execute(sql).await;
            Ok((client, answer))
        })?;
        *self.client.borrow_mut() = Some(client);
        answer.map_err(|e| self.fail(e))
    }

    /// Remembers the first failure of the transaction.
    fn fail(&self, e: tokio_postgres::Error) -> StoreError {
        let mut failed = self.failed.borrow_mut();
        if failed.is_none() {
            *failed = Some(e.code().cloned());
        }
        db(e)
    }

    pub(super) fn one<T>(
        &self,
        sql: String,
        params: Vec<Param>,
        read: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.rows(sql, params)?.first().map(read).transpose()
    }

    pub(super) fn many<T>(
        &self,
        sql: String,
        params: Vec<Param>,
        read: impl FnMut(&Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.rows(sql, params)?.iter().map(read).collect()
    }

    pub(super) fn execute(&self, sql: &str, params: Vec<Param>) -> Result<(), StoreError> {
        self.rows(sql.to_owned(), params).map(drop)
    }

    /// The id an `INSERT … RETURNING id` gave.
    pub(super) fn returning_id(&self, sql: &str, params: Vec<Param>) -> Result<i64, StoreError> {
        let id = self.one(sql.to_owned(), params, |r| col::<i64>(r, 0))?;
        id.ok_or_else(|| StoreError::Damaged("an insert returned no id".into()))
    }

    /// Takes the advisory transaction locks of `keys` (hashed by the
    /// database), in ascending order of their hashes so that two transactions
    /// never wait for each other in a cycle. PostgreSQL evaluates a volatile
    /// function of the select list after the `ORDER BY` (since 9.6). Only a
    /// write takes them: a read holds nothing back.
    pub(super) fn lock(&self, keys: &[String]) -> Result<(), StoreError> {
        if self.mode == Mode::Read {
            return Ok(());
        }
        self.execute(
            "SELECT pg_advisory_xact_lock(k) FROM
                (SELECT DISTINCT hashtextextended(key, 0) AS k FROM unnest($1::text[]) AS key) AS keys
             ORDER BY k",
            vec![p(keys.to_vec())],
        )
    }

    pub(super) fn serials(&self, sql: String, params: Vec<Param>) -> Result<Vec<u32>, StoreError> {
        self.many(sql, params, |r| fits(col::<i64>(r, 0)?, "a serial"))
    }
}
