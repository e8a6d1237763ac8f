//! What a service holds in memory, counted in `generations` (one row: the
//! newest trust list put in force, the regimes stored), and the deny-list
//! applier's turn. One process owns these files, so nobody else changes what
//! it holds; the counts are kept so that the store answers as every backend
//! does, and the turn is a lock of this process, by database file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use icaze_permits::store::{DenialsLock, Generations};
use rusqlite::{params, TransactionBehavior};

use super::SqlitePermitStore;
use crate::Error;

impl SqlitePermitStore {
    /// Stores a regime and counts the regimes' generation up, in one transaction.
    pub(super) fn put_regime_counted(&self, id: &str, toml: &str) -> Result<(), Error> {
        let mut conn = self.connection()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO regimes (id, toml) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET toml = excluded.toml, loaded_at = unixepoch()",
            params![id, toml],
        )?;
        tx.execute("UPDATE generations SET regimes = regimes + 1", [])?;
        tx.commit()?;
        Ok(())
    }

    pub(super) fn read_generations(&self) -> Result<Generations, Error> {
        self.with_reader(|c| {
            let (trust_list, regimes): (i64, i64) =
                c.query_row("SELECT trust_list, regimes FROM generations", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let count = |n: i64| u64::try_from(n).map_err(|_| Error::Damaged("a negative generation".into()));
            Ok(Generations { trust_list: count(trust_list)?, regimes: count(regimes)? })
        })
    }

    /// Raises the trust list's count to `version`, never lowering it.
    pub(super) fn raise_trust_list(&self, version: u64) -> Result<(), Error> {
        let version = i64::try_from(version).map_err(|_| Error::Damaged("a trust list version past i64".into()))?;
        self.connection()?.execute("UPDATE generations SET trust_list = max(trust_list, ?1)", [version])?;
        Ok(())
    }
}

/// The database files whose deny-list applier is at work in this process.
static APPLYING: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// The applier's turn on one database file: taken from [`APPLYING`], given
/// back when dropped.
pub(super) struct DenialsTurn(PathBuf);

impl DenialsTurn {
    /// The turn on `path`'s database, unless another applier has it.
    pub(super) fn take(path: &Path) -> Option<DenialsLock> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        // A poisoned set is still whole: it is only inserted into and removed from.
        let mut held = APPLYING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        held.insert(key.clone()).then(|| DenialsLock::new(DenialsTurn(key)))
    }
}

impl Drop for DenialsTurn {
    fn drop(&mut self) {
        APPLYING.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&self.0);
    }
}
