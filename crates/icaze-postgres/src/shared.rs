//! What the instances on one database must do once, or all alike (issue 21):
//! the counts of what each holds in memory (`generations`, one row: the
//! newest trust list put in force, the regimes stored), so that every
//! instance sees another change them, and the deny-list applier's turn, a
//! session advisory lock that one instance holds at a time.

use std::time::Duration;

use deadpool_postgres::Client;
use icaze_permits::store::{DenialsLock, Generations, StoreError};
use tokio::runtime::Handle;

use crate::connect::Held;
use crate::permits::{col, db};

/// The key of the deny-list applier's session advisory lock.
const DENIALS_LOCK: &str = "icaze-deny-list-applier";

/// The longest a dropped lock waits for its release to be answered.
const RELEASE_WAIT: Duration = Duration::from_secs(5);

/// Stores a regime and counts the regimes' generation up, in one transaction.
pub(crate) async fn put_regime(mut client: Client, id: String, toml: String) -> Result<(), StoreError> {
    let tx = client.transaction().await.map_err(db)?;
    tx.execute(
        "INSERT INTO regimes (id, toml) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET toml = excluded.toml, loaded = nextval('regime_order')",
        &[&id, &toml],
    )
    .await
    .map_err(db)?;
    tx.execute("UPDATE generations SET regimes = regimes + 1", &[]).await.map_err(db)?;
    tx.commit().await.map_err(db)
}

/// The one row of counts.
pub(crate) async fn generations(client: Client) -> Result<Generations, StoreError> {
    let row = client.query_one("SELECT trust_list, regimes FROM generations", &[]).await.map_err(db)?;
    let count = |i: usize| -> Result<u64, StoreError> {
        u64::try_from(col::<i64>(&row, i)?).map_err(|_| StoreError::Damaged("a negative generation".into()))
    };
    Ok(Generations { trust_list: count(0)?, regimes: count(1)? })
}

/// Raises the trust list's count to `version`, never lowering it.
pub(crate) async fn trust_list_reloaded(client: Client, version: u64) -> Result<(), StoreError> {
    let version = i64::try_from(version).map_err(|_| StoreError::Damaged("a trust list version past i64".into()))?;
    client.execute("UPDATE generations SET trust_list = GREATEST(trust_list, $1)", &[&version]).await.map_err(db)?;
    Ok(())
}

/// Tries the applier's session lock on this connection, without waiting: held,
/// the connection goes with the lock; refused, it goes back to the pool as it
/// was.
pub(crate) async fn lock_denials(client: Client, runtime: Handle) -> Result<Option<DenialsLock>, StoreError> {
    let row =
        client.query_one("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", &[&DENIALS_LOCK]).await.map_err(db)?;
    Ok(col::<bool>(&row, 0)?.then(|| DenialsLock::new(Turn { client: Some(client), runtime })))
}

/// The applier's lock, held by its connection.
struct Turn {
    client: Option<Client>,
    runtime: Handle,
}

impl Drop for Turn {
    /// Lets the lock go before returning, so that the next round of any
    /// instance finds it free (closing the connection alone lets it go only
    /// once the server has noticed the session ended), then closes the
    /// connection rather than pooling it. A release that fails or does not
    /// answer in time is left to the close: the server lets a session's
    /// locks go with it.
    fn drop(&mut self) {
        let Some(client) = self.client.take() else { return };
        let (released, wait) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = client.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", &[&DENIALS_LOCK]).await;
            drop(Held(Some(client)));
            let _ = released.send(());
        });
        let _ = wait.recv_timeout(RELEASE_WAIT);
    }
}
