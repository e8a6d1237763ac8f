//! The permits store's tables and their versioned migrations.

use deadpool_postgres::Client;
use icaze_permits::store::StoreError;

use crate::OpenError;

/// The name of the permits store's row in `schema_version`.
pub(crate) const STORE: &str = "permits";

/// The key of the advisory lock under which instances migrate, one at a time.
const MIGRATION_LOCK: i64 = 0x6963_617a_6501;

/// Each migration runs once, in order, in one transaction with the version's
/// update; `schema_version.version` is the number done.
///
/// Times are UTC minutes (`BIGINT`, as `u32` does not fit `INTEGER`), days are
/// Asia/Baku calendar days since 1970-01-01.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: registries, permits, daily counters, the serial counter, regimes.
    "CREATE TABLE people (
        document TEXT PRIMARY KEY,
        birth_day INTEGER NOT NULL,
        zone INTEGER NOT NULL
     );
     CREATE TABLE denials (
        document TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        until BIGINT
     );
     CREATE TABLE phones (
        document TEXT NOT NULL,
        phone TEXT NOT NULL,
        PRIMARY KEY (document, phone)
     );
     CREATE TABLE denials_to_apply (document TEXT PRIMARY KEY);
     CREATE TABLE permits (
        serial BIGINT PRIMARY KEY,
        document TEXT NOT NULL,
        code SMALLINT NOT NULL,
        purpose SMALLINT NOT NULL,
        zone INTEGER NOT NULL,
        key_id SMALLINT NOT NULL,
        issued_at BIGINT NOT NULL,
        valid_from BIGINT NOT NULL,
        valid_until BIGINT NOT NULL,
        phone TEXT NOT NULL,
        token TEXT NOT NULL
     );
     CREATE INDEX permits_by_document ON permits (document, valid_until);
     -- A document's permits of a code on a day: how many, and the last one
     -- (the one a replacement must still name).
     CREATE TABLE document_day (
        document TEXT NOT NULL,
        day INTEGER NOT NULL,
        code SMALLINT NOT NULL,
        count INTEGER NOT NULL,
        last_serial BIGINT NOT NULL,
        PRIMARY KEY (document, day, code)
     );
     CREATE TABLE phone_day (
        day INTEGER NOT NULL,
        phone TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, phone)
     );
     -- Invariant: one row; every serial below reserved_until was handed out once.
     CREATE TABLE serials (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        reserved_until BIGINT NOT NULL CHECK (reserved_until BETWEEN 1 AND 4294967295)
     );
     INSERT INTO serials VALUES (1, 1);
     CREATE SEQUENCE regime_order;
     CREATE TABLE regimes (
        id TEXT PRIMARY KEY,
        toml TEXT NOT NULL,
        loaded BIGINT NOT NULL DEFAULT nextval('regime_order')
     );",
    // 2: a regime's cap of one code per phone per day (`per_phone_per_day` of a code).
    "CREATE TABLE phone_code_day (
        day INTEGER NOT NULL,
        phone TEXT NOT NULL,
        code SMALLINT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, phone, code)
     );",
    // 3: the SMS requests that got no new permit, and the permits by time, for
    // the searches and the abuse report (issue 23).
    "CREATE TABLE refused (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        phone TEXT NOT NULL,
        document TEXT NOT NULL,
        code SMALLINT NOT NULL,
        reason TEXT NOT NULL
     );
     CREATE INDEX refused_by_at ON refused (at);
     CREATE INDEX permits_by_issued_at ON permits (issued_at);",
    // 4: what every instance holds in memory, counted so that each sees another
    // change it (issue 21): the newest trust list put in force, the regimes.
    "CREATE TABLE generations (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        trust_list BIGINT NOT NULL,
        regimes BIGINT NOT NULL
     );
     INSERT INTO generations VALUES (1, 0, 0);",
    // 5: the registry feeds (`docs/feeds.md`): the agencies' credentials (the
    // SHA-256 of each token), the record of every batch applied, and the
    // queue of documents to revoke with its cause (0 denied, 1 cancelled) and
    // the feed that caused it ('' for an import).
    "CREATE TABLE to_revoke (
        document TEXT NOT NULL,
        cause SMALLINT NOT NULL,
        feed TEXT NOT NULL,
        PRIMARY KEY (document, cause, feed)
     );
     INSERT INTO to_revoke (document, cause, feed) SELECT document, 0, '' FROM denials_to_apply;
     DROP TABLE denials_to_apply;
     CREATE TABLE feeds (
        agency TEXT PRIMARY KEY,
        registry TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL
     );
     CREATE TABLE feed_batches (
        id BIGSERIAL PRIMARY KEY,
        agency TEXT NOT NULL,
        registry TEXT NOT NULL,
        batch_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        added BIGINT NOT NULL,
        removed BIGINT NOT NULL,
        UNIQUE (agency, batch_id)
     );
     CREATE INDEX feed_batches_by_registry ON feed_batches (registry, id);",
    // 6: the organisations whose employees move on their service card (issue 23).
    "CREATE TABLE organisations (
        tax_id BIGINT PRIMARY KEY,
        name TEXT NOT NULL,
        sector TEXT NOT NULL,
        zones INTEGER[] NOT NULL,
        until BIGINT
     );",
    // 7: the replacements of the population registry kept as jobs (`permits/jobs.rs`).
    crate::permits::jobs::MIGRATION,
    // 8: a feed credential's expiry (`docs/feeds.md` "Credentials"), in Unix
    // minutes; none for a credential that does not expire.
    "ALTER TABLE feeds ADD COLUMN expires_at BIGINT;",
];

/// Brings the permits store's schema to [`MIGRATIONS`]' version.
pub(crate) async fn migrate(client: &mut Client, migrations: &[&str]) -> Result<(), OpenError> {
    migrate_store(client, STORE, migrations).await
}

/// Brings the schema of the store named `store` (its row in `schema_version`)
/// to `migrations`' version; every store of the database shares the table and
/// the lock.
pub(crate) async fn migrate_store(
    client: &mut Client,
    store: &'static str,
    migrations: &[&str],
) -> Result<(), OpenError> {
    let known = i32::try_from(migrations.len()).map_err(|_| StoreError::Damaged("too many migrations".into()))?;
    let tx = client.transaction().await.map_err(db)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(db)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (store TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        .await
        .map_err(db)?;
    tx.execute("INSERT INTO schema_version VALUES ($1, 0) ON CONFLICT (store) DO NOTHING", &[&store])
        .await
        .map_err(db)?;
    let row = tx.query_one("SELECT version FROM schema_version WHERE store = $1", &[&store]).await.map_err(db)?;
    let found: i32 = crate::permits::col(&row, 0)?;
    if found > known {
        return Err(OpenError::Newer { store, found, known });
    }
    for (i, migration) in migrations.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
        tx.batch_execute(migration)
            .await
            .map_err(|e| StoreError::Database(Box::new(MigrationError::new(store, i + 1, &e))))?;
    }
    tx.execute("UPDATE schema_version SET version = $2 WHERE store = $1", &[&store, &known]).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(())
}

fn db(e: tokio_postgres::Error) -> OpenError {
    OpenError::Store(StoreError::Database(Box::new(e)))
}

/// A migration the database refused, in the server's own words: a store
/// that cannot be migrated says which migration, and what the server said
/// (its SQLSTATE, message, detail and hint), not only that a database error
/// happened. Boxed in [`StoreError::Database`]; a caller may downcast to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("migration {number} of the {store} schema failed: {}", self.words())]
pub struct MigrationError {
    /// Which store's schema (`permits`, `sync`, `portal`).
    pub store: &'static str,
    /// The migration's number, from 1.
    pub number: usize,
    /// The server's SQLSTATE (`42P07` for an object that exists already);
    /// `None` when the server said nothing (the connection was lost).
    pub sqlstate: Option<String>,
    /// The server's message, or the client's error when the server said nothing.
    pub message: String,
    /// The server's detail, if any.
    pub detail: Option<String>,
    /// The server's hint, if any.
    pub hint: Option<String>,
}

impl MigrationError {
    fn new(store: &'static str, number: usize, e: &tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(server) => MigrationError {
                store,
                number,
                sqlstate: Some(server.code().code().to_owned()),
                message: server.message().to_owned(),
                detail: server.detail().map(str::to_owned),
                hint: server.hint().map(str::to_owned),
            },
            None => {
                // The client's own error (a lost connection, a timeout):
                // its sources say what happened.
                let mut message = e.to_string();
                let mut source = std::error::Error::source(e);
                while let Some(cause) = source {
                    message = format!("{message}: {cause}");
                    source = cause.source();
                }
                MigrationError { store, number, sqlstate: None, message, detail: None, hint: None }
            }
        }
    }

    /// `SQLSTATE 42P07: relation "people" already exists (detail …; hint …)`.
    fn words(&self) -> String {
        let mut words = match &self.sqlstate {
            Some(code) => format!("SQLSTATE {code}: {}", self.message),
            None => self.message.clone(),
        };
        let extra: Vec<String> = [("detail", &self.detail), ("hint", &self.hint)]
            .into_iter()
            .filter_map(|(what, text)| text.as_ref().map(|t| format!("{what}: {t}")))
            .collect();
        if !extra.is_empty() {
            words = format!("{words} ({})", extra.join("; "));
        }
        words
    }
}
