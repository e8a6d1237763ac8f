//! A rough rate of `record_permit` on PostgreSQL and on SQLite in the same run:
//! a throwaway cluster (`icaze_testkit::postgres`, `fsync` off, then on) and a temporary
//! SQLite database (`synchronous = FULL` and `NORMAL`), each given `PERMITS`
//! SMS permits, `IN_FLIGHT` at a time, every one for its own document and phone.
//! Not a benchmark to quote to the last digit: the machine is shared.
//!
//! ```text
//! cargo run -p icaze-postgres --example record_rate
//! ```

use std::sync::Arc;
use std::time::Instant;

use icaze_permits::conformance::{limits, sms_permit};
use icaze_permits::store::{PermitStore, Recorded};
use icaze_postgres::{PgConfig, PgPermitStore};
use icaze_sqlite::permits::SqlitePermitStore;
use icaze_sqlite::{Durability, SqliteConfig};
use icaze_testkit::postgres::PgCluster;

const PERMITS: u32 = 4000;
const IN_FLIGHT: u32 = 32;

async fn rate<S: PermitStore>(name: &str, store: Arc<S>) {
    let at = icaze_core::UtcMinute::parse_rfc3339("2020-12-14T12:00:00+04:00").expect("a time");
    let daily = limits(at, 1, 1);
    let started = Instant::now();
    let workers: Vec<_> = (0..IN_FLIGHT)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut serial = w + 1;
                while serial <= PERMITS {
                    let permit = sms_permit(serial, &format!("AZE{serial:08}"), &format!("99450{serial:07}"), at);
                    assert_eq!(store.record_permit(permit, daily).await.expect("record"), Recorded::Issued);
                    serial += IN_FLIGHT;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a worker");
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{name}: {PERMITS} permits in {seconds:.2} s, {:.0} permits/s", f64::from(PERMITS) / seconds);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let cluster = Arc::new(PgCluster::start().expect("a PostgreSQL cluster"));
    println!("cluster start (initdb + pg_ctl start): {:.2} s", cluster.started_in().as_secs_f64());
    let db = cluster.create_database().expect("a database");
    let pg = PgPermitStore::open(&db.url(), PgConfig::default()).expect("open");
    rate("postgres (fsync off, synchronous_commit on, pool 16)", Arc::new(pg)).await;
    // Durable as SQLite's FULL: fsync and full-page writes back on (both reload
    // without a restart), in a fresh database.
    cluster.psql("postgres", "ALTER SYSTEM SET fsync = on").expect("fsync on");
    cluster.psql("postgres", "ALTER SYSTEM SET full_page_writes = on").expect("full-page writes on");
    cluster.psql("postgres", "SELECT pg_reload_conf()").expect("reload");
    let durable = cluster.create_database().expect("a database");
    let pg = PgPermitStore::open(&durable.url(), PgConfig::default()).expect("open");
    rate("postgres (fsync on, synchronous_commit on, pool 16)", Arc::new(pg)).await;
    for durability in [Durability::Full, Durability::Normal] {
        let dir = tempfile::tempdir().expect("a directory");
        let config = SqliteConfig { durability, ..SqliteConfig::default() };
        let sqlite = SqlitePermitStore::open(&dir.path().join("icaze.db"), config).expect("open");
        rate(&format!("sqlite ({durability:?})"), Arc::new(sqlite)).await;
    }
}
