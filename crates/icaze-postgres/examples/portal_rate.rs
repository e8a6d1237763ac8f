//! A rough rate of the portal store's two commonest transactions on
//! PostgreSQL and on SQLite in the same run: the read every signed-in request
//! makes (its session, person and organisation, one snapshot) and a login's
//! first write (the throttles' count under their locks, the failure recorded,
//! the person read; each login from its own address), `THREADS` at a time. A throwaway cluster
//! (`icaze_testkit::postgres`, `fsync` off, then on) and a temporary SQLite
//! database (`synchronous = FULL`). Not a benchmark to quote to the last
//! digit: the machine is shared.
//!
//! ```text
//! cargo run -p icaze-postgres --example portal_rate
//! ```

use std::time::Instant;

use icaze_core::UtcMinute;
use icaze_portal::store::{OrgRow, PersonRow, PortalStore, Role, SessionRow};
use icaze_postgres::{PgConfig, PgPortalStore};
use icaze_sqlite::portal::SqlitePortalStore;
use icaze_sqlite::SqliteConfig;
use icaze_testkit::postgres::PgCluster;

const READS: usize = 8000;
const LOGINS: usize = 2000;
const THREADS: usize = 8;

fn minute(m: u32) -> UtcMinute {
    UtcMinute::from_unix_minutes(m)
}

/// An organisation, a person and their session.
fn setup(store: &dyn PortalStore) -> ([u8; 32], i64, i64) {
    let mut ids = (0, 0);
    store
        .write(&mut |tx| {
            let org = tx.insert_org(&OrgRow {
                id: 0,
                tax_id: "1234567890".into(),
                name: "Org".into(),
                created_at: minute(1),
                revoked_at: None,
            })?;
            let person = tx.insert_person(&PersonRow {
                id: 0,
                login: "boss".into(),
                name: "Boss".into(),
                role: Role::Employer,
                org_id: Some(org),
                password_hash: "$argon2id$x".into(),
                must_change_password: false,
                active: true,
                created_by: "admin".into(),
                created_at: minute(1),
            })?;
            tx.insert_session(&SessionRow {
                id_hash: [7; 32],
                person_id: person,
                csrf: "csrf".into(),
                created_at: minute(1),
                last_seen: minute(1),
            })?;
            ids = (org, person);
            Ok(())
        })
        .expect("setup");
    ([7; 32], ids.0, ids.1)
}

/// Runs `each(i)` for `0..count` on `THREADS` threads; per second.
fn rate(count: usize, each: impl Fn(usize) + Sync) -> f64 {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let each = &each;
            scope.spawn(move || (t..count).step_by(THREADS).for_each(each));
        }
    });
    count as f64 / started.elapsed().as_secs_f64()
}

fn measure(name: &str, store: &dyn PortalStore) {
    let (session, org, person) = setup(store);
    let reads = rate(READS, |_| {
        store
            .read(&mut |tx| {
                let found = tx.session(&session)?.expect("the session");
                assert_eq!(tx.person(found.person_id)?.map(|p| p.id), Some(person));
                assert!(tx.org(org)?.is_some());
                Ok(())
            })
            .expect("a read");
    });
    let logins = rate(LOGINS, |i| {
        let (login, address) = (format!("guess{i}"), format!("10.0.{}.{}", i / 250, i % 250));
        store
            .write(&mut |tx| {
                tx.failures(&login, &address, minute(100))?;
                tx.record_failure(&login, &address, minute(200), minute(100))?;
                tx.person_by_login(&login)?;
                Ok(())
            })
            .expect("a login's write");
    });
    println!("{name}: {reads:.0} request reads/s, {logins:.0} login writes/s ({THREADS} threads)");
}

fn main() {
    let cluster = std::sync::Arc::new(PgCluster::start().expect("a PostgreSQL cluster"));
    let db = cluster.create_database().expect("a database");
    let pg = PgPortalStore::open(&db.url(), PgConfig::default()).expect("open");
    measure("postgres (fsync off, synchronous_commit on, pool 16)", &pg);
    cluster.psql("postgres", "ALTER SYSTEM SET fsync = on").expect("fsync on");
    cluster.psql("postgres", "ALTER SYSTEM SET full_page_writes = on").expect("full-page writes on");
    cluster.psql("postgres", "SELECT pg_reload_conf()").expect("reload");
    let durable = cluster.create_database().expect("a database");
    let pg = PgPortalStore::open(&durable.url(), PgConfig::default()).expect("open");
    measure("postgres (fsync on)", &pg);
    let dir = tempfile::tempdir().expect("a directory");
    let sqlite = SqlitePortalStore::open(&dir.path().join("portal.db"), SqliteConfig::default()).expect("open");
    measure("sqlite (synchronous = FULL)", &sqlite);
}
