//! The sync store conformance suite (`icaze_sync_service::conformance`)
//! against the SQLite store: the same tests the PostgreSQL store runs.

use icaze_sqlite::permits::SqlitePermitStore;
use icaze_sqlite::sync::SqliteSyncStore;
use icaze_sqlite::SqliteConfig;
use icaze_sync_service::conformance::Backend;

/// Each database a temporary directory of its own.
struct Sqlite;

impl Backend for Sqlite {
    type Database = tempfile::TempDir;
    type Store = SqliteSyncStore;
    type Permits = SqlitePermitStore;

    fn database(&self) -> tempfile::TempDir {
        tempfile::tempdir().expect("a temporary directory")
    }

    fn open(&self, database: &tempfile::TempDir) -> SqliteSyncStore {
        SqliteSyncStore::open(&database.path().join("sync.db"), SqliteConfig::default()).expect("open the store")
    }

    fn permits(&self, database: &tempfile::TempDir) -> SqlitePermitStore {
        SqlitePermitStore::open(&database.path().join("icaze.db"), SqliteConfig::default()).expect("open the store")
    }
}

icaze_sync_service::sync_store_conformance!(Sqlite);
