//! The store conformance suites (`icaze_permits::conformance` and, in
//! `portal`, `icaze_portal::conformance`) against the SQLite stores: the same
//! tests the PostgreSQL stores run.

use icaze_permits::conformance::Backend;
use icaze_permits::replace::{ReplaceError, ReplaceLimits, ReplaceProgress, ReplaceReport};
use icaze_permits::store::ImportReport;
use icaze_sqlite::permits::SqlitePermitStore;
use icaze_sqlite::SqliteConfig;

/// Each database a temporary directory of its own.
struct Sqlite;

impl Backend for Sqlite {
    type Database = tempfile::TempDir;
    type Store = SqlitePermitStore;

    fn database(&self) -> tempfile::TempDir {
        tempfile::tempdir().expect("a temporary directory")
    }

    fn open(&self, database: &tempfile::TempDir) -> SqlitePermitStore {
        SqlitePermitStore::open(&database.path().join("icaze.db"), SqliteConfig::default()).expect("open the store")
    }

    fn import_people(&self, store: &SqlitePermitStore, csv: &str) -> ImportReport {
        store.import_people(csv).expect("import people")
    }

    fn import_denials(&self, store: &SqlitePermitStore, csv: &str) -> ImportReport {
        store.import_denials(csv).expect("import denials")
    }

    fn import_phones(&self, store: &SqlitePermitStore, csv: &str) -> ImportReport {
        store.import_phones(csv).expect("import phones")
    }

    fn replace_people(
        &self,
        store: &SqlitePermitStore,
        csv: &str,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        store.replace_people(csv.as_bytes(), limits, progress)
    }

    fn replace_people_job(
        &self,
        store: &SqlitePermitStore,
        csv: &str,
        job: &icaze_permits::replace::JobStart<'_>,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError> {
        store.replace_people_job(csv.as_bytes(), job, limits, progress)
    }

    fn replacement_job(
        &self,
        store: &SqlitePermitStore,
        id: Option<icaze_permits::replace::JobId>,
    ) -> Result<Option<icaze_permits::replace::ReplacementJob>, icaze_permits::store::StoreError> {
        store.replacement_job(id)
    }
}

icaze_permits::permit_store_conformance!(Sqlite);

/// The portal store's conformance suite (`icaze_portal::conformance`).
mod portal {
    use icaze_portal::conformance::Backend;
    use icaze_sqlite::portal::SqlitePortalStore;
    use icaze_sqlite::SqliteConfig;

    /// Each database a temporary directory of its own.
    struct Sqlite;

    impl Backend for Sqlite {
        type Database = tempfile::TempDir;
        type Store = SqlitePortalStore;

        fn database(&self) -> tempfile::TempDir {
            tempfile::tempdir().expect("a temporary directory")
        }

        fn open(&self, database: &tempfile::TempDir) -> SqlitePortalStore {
            SqlitePortalStore::open(&database.path().join("portal.db"), SqliteConfig::default())
                .expect("open the store")
        }
    }

    icaze_portal::portal_store_conformance!(Sqlite);
}
