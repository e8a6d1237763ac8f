//! The portal's SQLite store ([`icaze_portal::store::PortalStore`]),
//! `DATA/portal.db`: WAL, `synchronous = FULL` by default (the service's
//! [`SqliteConfig`]), migrations by `PRAGMA user_version`, a pool of
//! read-only connections. The transaction's operations are in `tx.rs`.
//!
//! Writes go through one connection behind a mutex, each in an immediate
//! transaction: the portal's writes are a few a second (a person's clicks,
//! an import as one transaction), far below what group commit is for in the
//! SMS store.

mod tx;

use std::path::Path;
use std::sync::Mutex;

use icaze_core::UtcMinute;
use rusqlite::{Connection, TransactionBehavior};

use self::tx::Tx;
use crate::{migrate, open, Error, Readers, SqliteConfig};
use icaze_portal::store::{PortalStore, PortalTx, StoreError};

/// Runs `f`, answering in the store interface's error.
pub(crate) fn answer<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, StoreError> {
    f().map_err(StoreError::from)
}

const MIGRATIONS: &[&str] = &[
    // 1: accounts, sessions, employees, permits, trips, imports, audit.
    "CREATE TABLE organisations (
        id INTEGER PRIMARY KEY,
        tax_id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
     );
     CREATE TABLE persons (
        id INTEGER PRIMARY KEY,
        login TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('employer', 'operator')),
        org_id INTEGER REFERENCES organisations (id),
        password_hash TEXT NOT NULL,
        must_change_password INTEGER NOT NULL,
        active INTEGER NOT NULL,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL
     );
     CREATE INDEX persons_org ON persons (org_id);
     CREATE TABLE sessions (
        id_hash BLOB PRIMARY KEY,
        person_id INTEGER NOT NULL REFERENCES persons (id),
        csrf TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX sessions_person ON sessions (person_id);
     CREATE TABLE login_failures (
        id INTEGER PRIMARY KEY,
        login TEXT NOT NULL,
        address TEXT NOT NULL,
        at INTEGER NOT NULL
     );
     CREATE INDEX login_failures_login ON login_failures (login, at);
     CREATE INDEX login_failures_address ON login_failures (address, at);
     CREATE TABLE employees (
        id INTEGER PRIMARY KEY,
        org_id INTEGER NOT NULL REFERENCES organisations (id),
        document TEXT NOT NULL,
        name TEXT NOT NULL,
        position TEXT NOT NULL,
        zones TEXT NOT NULL,
        valid_from INTEGER NOT NULL,
        valid_until INTEGER NOT NULL,
        plate TEXT,
        status TEXT NOT NULL CHECK (status IN ('active', 'deactivated')),
        serial INTEGER,
        UNIQUE (org_id, document)
     );
     CREATE TABLE trips (
        id INTEGER PRIMARY KEY,
        org_id INTEGER NOT NULL REFERENCES organisations (id),
        employee_id INTEGER NOT NULL,
        zones TEXT NOT NULL,
        valid_from INTEGER NOT NULL,
        valid_until INTEGER NOT NULL,
        serial INTEGER NOT NULL
     );
     CREATE INDEX trips_employee ON trips (employee_id);
     CREATE TABLE permits (
        serial INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('work', 'trip', 'funeral')),
        org_id INTEGER,
        employee_id INTEGER,
        trip_id INTEGER,
        issued_by TEXT NOT NULL,
        document TEXT NOT NULL,
        zones TEXT NOT NULL,
        token TEXT NOT NULL,
        issued_at INTEGER NOT NULL,
        valid_from INTEGER NOT NULL,
        valid_until INTEGER NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0,
        note TEXT
     );
     CREATE INDEX permits_org ON permits (org_id) WHERE org_id IS NOT NULL;
     CREATE INDEX permits_employee ON permits (employee_id) WHERE employee_id IS NOT NULL;
     CREATE INDEX permits_funeral ON permits (issued_by, serial) WHERE kind = 'funeral';
     CREATE TABLE imports (
        id TEXT PRIMARY KEY,
        org_id INTEGER NOT NULL,
        state TEXT NOT NULL,
        total INTEGER NOT NULL,
        processed INTEGER NOT NULL,
        imported INTEGER NOT NULL,
        problems TEXT NOT NULL,
        problems_total INTEGER NOT NULL,
        created_at INTEGER NOT NULL
     );
     CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        org_id INTEGER,
        at INTEGER NOT NULL,
        by TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT NOT NULL
     );
     CREATE INDEX audit_org ON audit (org_id, id);",
    // 2: an organisation revoked by the administrator stays revoked.
    "ALTER TABLE organisations ADD COLUMN revoked_at INTEGER;",
];

/// The SQLite portal store.
pub struct SqlitePortalStore {
    writer: Mutex<Connection>,
    readers: Readers,
}

/// A read connection: `query_only`, so that a read can never write.
fn open_reader(path: &Path, config: &SqliteConfig) -> Result<Connection, Error> {
    let conn = open(path, config)?;
    conn.pragma_update(None, "query_only", "ON")?;
    Ok(conn)
}

impl SqlitePortalStore {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path, config: SqliteConfig) -> Result<Self, Error> {
        let mut conn = open(path, &config)?;
        migrate(&mut conn, MIGRATIONS, "portal.db")?;
        Ok(Self { writer: Mutex::new(conn), readers: Readers::new(path, config, open_reader) })
    }
}

impl PortalStore for SqlitePortalStore {
    fn write(&self, work: &mut dyn FnMut(&mut dyn PortalTx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        answer(|| {
            // A panic inside a transaction leaves the connection rolled back
            // (the transaction is dropped), so a poisoned lock is safe to take.
            let mut conn = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            work(&mut Tx(&tx))?;
            tx.commit()?;
            Ok(())
        })
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn PortalTx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        answer(|| {
            self.readers.with(|conn| {
                conn.execute_batch("BEGIN DEFERRED")?;
                let result = work(&mut Tx(conn));
                conn.execute_batch("ROLLBACK")?;
                Ok(result?)
            })
        })
    }
}

/// Zones as stored: ids joined by `;`.
pub(crate) fn zones_text(zones: &[u16]) -> String {
    zones.iter().map(u16::to_string).collect::<Vec<_>>().join(";")
}

pub(crate) fn zones_of(text: &str) -> Result<Vec<u16>, Error> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(';').map(|z| z.parse().map_err(|_| Error::Damaged(format!("zones {text:?}")))).collect()
}

pub(crate) fn minute(value: u32) -> UtcMinute {
    UtcMinute::from_unix_minutes(value)
}

pub(crate) fn damaged(what: &str, value: &str) -> Error {
    Error::Damaged(format!("{what} {value:?}"))
}

#[cfg(test)]
mod tests;
