//! The connection pool every store of this backend opens: the connection
//! string read, every connection's settings, TLS as [`PgConfig::ca_file`]
//! asks (`tls.rs`), and the pool's timeouts.

use deadpool_postgres::{Object, Pool};
use icaze_permits::store::StoreError;

use crate::{OpenError, PgConfig};

/// A pool of connections to `url`, named `application` in the server's
/// views (`pg_stat_activity`). Connects lazily: the first query waits for it.
pub(crate) fn pool(url: &str, config: &PgConfig, application: &str) -> Result<Pool, OpenError> {
    let mut pg: tokio_postgres::Config =
        url.parse().map_err(|e: tokio_postgres::Error| OpenError::Url(e.to_string()))?;
    pg.connect_timeout(config.connect_timeout);
    // Every commit durable (whatever the server's default) and no statement,
    // lock waits included, longer than the configured bound.
    pg.options(format!(
        "-c synchronous_commit=on -c statement_timeout={}",
        config.statement_timeout.as_millis().max(1)
    ));
    pg.application_name(application);
    let manager = crate::tls::manager(pg, config)?;
    Pool::builder(manager)
        .max_size(config.pool_size.max(1))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(config.connect_timeout))
        .create_timeout(Some(config.connect_timeout))
        .recycle_timeout(Some(config.connect_timeout))
        .build()
        .map_err(|e| OpenError::Store(StoreError::Damaged(format!("cannot make the connection pool: {e}"))))
}

/// A database error in the store interface's words.
pub(crate) fn db(e: tokio_postgres::Error) -> StoreError {
    StoreError::Database(Box::new(e))
}

/// A connection the pool could not give, in the store interface's words.
pub(crate) fn pool_error(e: deadpool_postgres::PoolError) -> StoreError {
    StoreError::Database(Box::new(e))
}

/// A connection of its own, holding a session's advisory lock (or with its
/// settings changed): closed when dropped, never given back to the pool, so
/// the server lets the lock go with the session whatever happened meanwhile.
pub(crate) struct Held(pub(crate) Option<Object>);

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            drop(Object::take(client));
        }
    }
}
