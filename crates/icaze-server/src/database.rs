//! Where the service keeps its state ([`Database`]: the embedded SQLite files
//! of the data directory, or a PostgreSQL database several instances share)
//! and the one place the three stores are opened from that choice
//! ([`Database::open`]).
//!
//! The permits store is chosen at run time as a [`PermitBackend`], an enum
//! that implements [`PermitStore`] by handing each call to the backend it
//! holds. `Arc<dyn PermitStore>` would have needed no delegation at all, but
//! the trait is not object-safe (its writes return `impl Future`, which keeps
//! the SMS path free of a boxed future a request, and making it object-safe
//! would change every backend); making `Server::start` generic over the store
//! would compile every service and route twice. The enum is one `match` a
//! method. The sync and portal
//! stores are trait objects already (`Box<dyn SyncStore>`, `Box<dyn
//! PortalStore>`).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use icaze_core::{AuthorisedOrganisations, PermitSerial, UtcMinute};
use icaze_postgres::PgPermitStore;
pub use icaze_postgres::{OpenError, PgConfig};

use crate::portal::store::PortalStore;
use crate::replace::{ReplaceError, ReplaceLimits, ReplaceProgress, ReplaceReport};
use crate::sqlite::{SqliteConfig, SqlitePermitStore};
use crate::store::{
    BatchApplied, BatchRecord, CodeHour, Denial, DenialsLock, FeedBatch, FeedCredential, Found, Generations,
    ImportReport, Limits, PermitRecord, PermitStore, Person, Recorded, RefusedRequest, Registry, Search, StoreError,
    ToRevoke, TopRequesters,
};
use crate::sync::store::SyncStore;
use crate::StartError;

/// Which database the service keeps its state in (`icaze serve --database`).
/// Its `Debug` writes the URL without its password ([`redacted`]).
#[derive(Clone, Default)]
pub enum Database {
    /// The embedded SQLite files in the data directory (`icaze.db`,
    /// `registry.db`, `sync.db`, `portal.db`), with
    /// [`crate::ServeConfig::sqlite`]'s settings: one instance on one machine.
    #[default]
    Sqlite,
    /// A PostgreSQL database that several instances share.
    Postgres {
        /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
        url: String,
        /// The pool's and the statements' bounds.
        config: PgConfig,
    },
}

impl Database {
    /// `--database` as given: `sqlite` (the default), or a PostgreSQL URL
    /// (`postgres://…` or `postgresql://…`) with the default pool settings.
    pub fn parse(text: &str) -> Result<Database, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("sqlite") {
            return Ok(Database::Sqlite);
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Database::Postgres { url: text.to_owned(), config: PgConfig::default() });
        }
        Err(format!("{:?}: the database is `sqlite` or a URL postgres://USER@HOST:PORT/DATABASE", redacted(text)))
    }

    /// What to call it in logs: the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite => "SQLite in the data directory".to_owned(),
            Database::Postgres { url, .. } => format!("PostgreSQL at {}", redacted(url)),
        }
    }

    /// The permits store alone (for the registry imports of `icaze registry`):
    /// in `data` for SQLite, created if missing.
    pub fn open_permits(&self, data: &Path, sqlite: &SqliteConfig) -> Result<PermitBackend, StartError> {
        match self {
            Database::Sqlite => {
                std::fs::create_dir_all(data).map_err(|e| StartError::Io(format!("{}: {e}", data.display())))?;
                Ok(PermitBackend::Sqlite(SqlitePermitStore::open(&data.join("icaze.db"), sqlite.clone())?))
            }
            Database::Postgres { url, config } => {
                Ok(PermitBackend::Postgres(PgPermitStore::open(url, config.clone())?))
            }
        }
    }

    /// The three stores of the service, all in the data directory's SQLite
    /// files or all in the one PostgreSQL database (nothing shared is ever
    /// kept in an instance's own files).
    pub fn open(&self, data: &Path, sqlite: &SqliteConfig) -> Result<Stores, StartError> {
        match self {
            Database::Sqlite => Ok(Stores {
                permits: self.open_permits(data, sqlite)?,
                sync: Box::new(crate::sync::sqlite::SqliteSyncStore::open(&data.join("sync.db"), sqlite.clone())?),
                portal: Box::new(crate::portal::sqlite::SqlitePortalStore::open(
                    &data.join("portal.db"),
                    sqlite.clone(),
                )?),
            }),
            Database::Postgres { url, config } => Ok(Stores {
                permits: PermitBackend::Postgres(PgPermitStore::open(url, config.clone())?),
                sync: Box::new(icaze_postgres::PgSyncStore::open(url, config.clone())?),
                portal: Box::new(icaze_postgres::PgPortalStore::open(url, config.clone())?),
            }),
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite => f.write_str("Sqlite"),
            Database::Postgres { url, config } => {
                f.debug_struct("Postgres").field("url", &redacted(url)).field("config", config).finish()
            }
        }
    }
}

/// The stores [`Database::open`] opened.
pub struct Stores {
    /// The permits, daily limits, serials, registries and regimes.
    pub permits: PermitBackend,
    /// The sync service's store.
    pub sync: Box<dyn SyncStore>,
    /// The portal's store.
    pub portal: Box<dyn PortalStore>,
}

/// A URL with its password, if any, written as `***`.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let path = match path.find("password=") {
        Some(at) => {
            let end = path[at..].find('&').map_or(path.len(), |e| at + e);
            format!("{}password=***{}", &path[..at], &path[end..])
        }
        None => path.to_owned(),
    };
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{path}"),
            None => format!("{scheme}://{user}@{host}{path}"),
        },
        None => format!("{scheme}://{authority}{path}"),
    }
}

/// The permits store of either backend, chosen at run time.
pub enum PermitBackend {
    /// `DATA/icaze.db` and `DATA/registry.db`.
    Sqlite(SqlitePermitStore),
    /// A shared PostgreSQL database.
    Postgres(PgPermitStore),
}

impl PermitBackend {
    /// Imports the population registry (CSV `document,birth_date,zone`).
    pub fn import_people(&self, csv: &str) -> Result<ImportReport, StoreError> {
        match self {
            PermitBackend::Sqlite(s) => Ok(s.import_people(csv)?),
            PermitBackend::Postgres(s) => s.import_people(csv),
        }
    }

    /// Replaces the whole population registry with the CSV `reader` streams
    /// (`document,birth_date,zone`), loaded beside the registry in use and
    /// swapped in (see [`crate::replace`]); `progress` is told as it goes. The
    /// report names the documents no longer registered, whose permits the
    /// caller revokes.
    pub fn replace_people(
        &self,
        reader: impl std::io::BufRead,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        match self {
            PermitBackend::Sqlite(s) => s.replace_people(reader, limits, progress),
            PermitBackend::Postgres(s) => s.replace_people(reader, limits, progress),
        }
    }

    /// Replaces the population registry as [`PermitBackend::replace_people`]
    /// does, kept as a job in the store ([`crate::replace::ReplacementJob`]):
    /// its number told first ([`ReplaceProgress::Started`]).
    pub fn replace_people_job(
        &self,
        reader: impl std::io::BufRead,
        job: &crate::replace::JobStart<'_>,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        match self {
            PermitBackend::Sqlite(s) => s.replace_people_job(reader, job, limits, progress),
            PermitBackend::Postgres(s) => s.replace_people_job(reader, job, limits, progress),
        }
    }

    /// The record of the replacement `id`, or of the newest with `None`; one
    /// whose runner is gone reads interrupted.
    pub fn replacement_job(
        &self,
        id: Option<crate::replace::JobId>,
    ) -> Result<Option<crate::replace::ReplacementJob>, StoreError> {
        match self {
            PermitBackend::Sqlite(s) => s.replacement_job(id),
            PermitBackend::Postgres(s) => s.replacement_job(id),
        }
    }

    /// Imports the deny list (CSV `document,reason,until`).
    pub fn import_denials(&self, csv: &str) -> Result<ImportReport, StoreError> {
        match self {
            PermitBackend::Sqlite(s) => Ok(s.import_denials(csv)?),
            PermitBackend::Postgres(s) => s.import_denials(csv),
        }
    }

    /// Replaces the phone register (CSV `document,phone`).
    pub fn import_phones(&self, csv: &str) -> Result<ImportReport, StoreError> {
        match self {
            PermitBackend::Sqlite(s) => Ok(s.import_phones(csv)?),
            PermitBackend::Postgres(s) => s.import_phones(csv),
        }
    }

    /// How many permits are recorded.
    pub fn permit_count(&self) -> Result<i64, StoreError> {
        match self {
            PermitBackend::Sqlite(s) => Ok(s.permit_count()?),
            PermitBackend::Postgres(s) => s.permit_count(),
        }
    }

    /// The SQLite writer's queue (jobs sent and not yet answered); `None`
    /// on PostgreSQL, which has no writer thread (its pool is the bound).
    pub fn queued_jobs(&self) -> Option<u64> {
        match self {
            PermitBackend::Sqlite(s) => Some(s.queued_jobs()),
            PermitBackend::Postgres(_) => None,
        }
    }
}

/// Hands a call to whichever backend is held.
macro_rules! each {
    ($self:expr, $store:ident => $call:expr) => {
        match $self {
            PermitBackend::Sqlite($store) => $call,
            PermitBackend::Postgres($store) => $call,
        }
    };
}

impl PermitStore for PermitBackend {
    fn person(&self, document: &str) -> Result<Option<Person>, StoreError> {
        each!(self, s => s.person(document))
    }

    fn denial(&self, document: &str, at: UtcMinute) -> Result<Option<Denial>, StoreError> {
        each!(self, s => s.denial(document, at))
    }

    fn person_and_denial(&self, document: &str, at: UtcMinute) -> Result<Option<(Person, Option<Denial>)>, StoreError> {
        each!(self, s => s.person_and_denial(document, at))
    }

    fn phone_may_ask(&self, document: &str, phone: &str) -> Result<bool, StoreError> {
        each!(self, s => s.phone_may_ask(document, phone))
    }

    fn denials_to_apply(&self, limit: u32) -> Result<Vec<ToRevoke>, StoreError> {
        each!(self, s => s.denials_to_apply(limit))
    }

    fn denials_applied(&self, done: &[ToRevoke]) -> Result<(), StoreError> {
        each!(self, s => s.denials_applied(done))
    }

    fn still_to_revoke(&self, queued: &[ToRevoke], at: UtcMinute) -> Result<Vec<ToRevoke>, StoreError> {
        each!(self, s => s.still_to_revoke(queued, at))
    }

    fn add_feed(&self, credential: &FeedCredential) -> Result<bool, StoreError> {
        each!(self, s => s.add_feed(credential))
    }

    fn feeds(&self) -> Result<Vec<FeedCredential>, StoreError> {
        each!(self, s => s.feeds())
    }

    fn remove_feed(&self, agency: &str) -> Result<bool, StoreError> {
        each!(self, s => s.remove_feed(agency))
    }

    fn feed_by_token_hash(&self, token_hash: &str) -> Result<Option<FeedCredential>, StoreError> {
        each!(self, s => s.feed_by_token_hash(token_hash))
    }

    fn apply_feed_batch(&self, batch: &FeedBatch) -> Result<BatchApplied, StoreError> {
        each!(self, s => s.apply_feed_batch(batch))
    }

    fn feed_batches(&self, registry: Registry, limit: u32) -> Result<Vec<BatchRecord>, StoreError> {
        each!(self, s => s.feed_batches(registry, limit))
    }

    fn lock_denials(&self) -> Result<Option<DenialsLock>, StoreError> {
        each!(self, s => s.lock_denials())
    }

    async fn reserve_serials(&self, count: u32) -> Result<Range<u32>, StoreError> {
        each!(self, s => s.reserve_serials(count).await)
    }

    async fn record_permit(&self, permit: PermitRecord, limits: Limits) -> Result<Recorded, StoreError> {
        each!(self, s => s.record_permit(permit, limits).await)
    }

    async fn record_issued_many(&self, permits: Vec<PermitRecord>) -> Result<(), StoreError> {
        each!(self, s => s.record_issued_many(permits).await)
    }

    async fn record_issued(&self, permit: PermitRecord) -> Result<(), StoreError> {
        each!(self, s => s.record_issued(permit).await)
    }

    fn organisations(&self) -> Result<AuthorisedOrganisations, StoreError> {
        each!(self, s => s.organisations())
    }

    fn replace_organisations(&self, organisations: &AuthorisedOrganisations) -> Result<(), StoreError> {
        each!(self, s => s.replace_organisations(organisations))
    }

    fn regimes(&self) -> Result<Vec<String>, StoreError> {
        each!(self, s => s.regimes())
    }

    fn put_regime(&self, id: &str, toml: &str) -> Result<(), StoreError> {
        each!(self, s => s.put_regime(id, toml))
    }

    fn generations(&self) -> Result<Generations, StoreError> {
        each!(self, s => s.generations())
    }

    fn trust_list_reloaded(&self, version: u64) -> Result<(), StoreError> {
        each!(self, s => s.trust_list_reloaded(version))
    }

    fn valid_permits(&self, document: &str, at: UtcMinute) -> Result<Vec<PermitSerial>, StoreError> {
        each!(self, s => s.valid_permits(document, at))
    }

    fn valid_permits_many(
        &self,
        documents: &[String],
        at: UtcMinute,
    ) -> Result<BTreeMap<String, Vec<PermitSerial>>, StoreError> {
        each!(self, s => s.valid_permits_many(documents, at))
    }

    async fn ready(&self) -> Result<(), StoreError> {
        each!(self, s => s.ready().await)
    }

    async fn record_refused(&self, request: RefusedRequest) -> Result<(), StoreError> {
        each!(self, s => s.record_refused(request).await)
    }

    fn search(&self, search: &Search) -> Result<Vec<Found>, StoreError> {
        each!(self, s => s.search(search))
    }

    fn code_hours(&self, from: UtcMinute, to: UtcMinute) -> Result<Vec<CodeHour>, StoreError> {
        each!(self, s => s.code_hours(from, to))
    }

    fn top_requesters(
        &self,
        code: u8,
        from: UtcMinute,
        to: UtcMinute,
        limit: u32,
    ) -> Result<TopRequesters, StoreError> {
        each!(self, s => s.top_requesters(code, from, to, limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_reads_sqlite_or_a_postgres_url_and_nothing_else() {
        assert!(matches!(Database::parse("sqlite"), Ok(Database::Sqlite)));
        let Ok(Database::Postgres { url, .. }) = Database::parse(" postgres://icaze@db1:5432/icaze ") else {
            panic!("a postgres URL")
        };
        assert_eq!(url, "postgres://icaze@db1:5432/icaze");
        assert!(matches!(Database::parse("postgresql://db1/icaze"), Ok(Database::Postgres { .. })));
        for bad in ["", "mysql://db/icaze", "icaze.db", "host=db1 user=icaze"] {
            assert!(Database::parse(bad).is_err(), "{bad}");
        }
        // A refused URL is not echoed with its password.
        let refused = Database::parse("postgre://icaze:secret@db1/icaze").unwrap_err();
        assert!(!refused.contains("secret"), "{refused}");
    }

    #[test]
    fn a_url_is_logged_without_its_password() {
        assert_eq!(redacted("postgres://icaze:s3cret@db1:5432/icaze"), "postgres://icaze:***@db1:5432/icaze");
        assert_eq!(redacted("postgres://icaze@db1/icaze"), "postgres://icaze@db1/icaze");
        assert_eq!(
            redacted("postgres://db1/icaze?user=icaze&password=s3cret&sslmode=require"),
            "postgres://db1/icaze?user=icaze&password=***&sslmode=require"
        );
        let database = Database::parse("postgres://u:pw@h/d").unwrap();
        for text in [database.describe(), format!("{database:?}")] {
            assert!(!text.contains("pw@") && text.contains("u:***@h/d"), "{text}");
        }
    }
}
