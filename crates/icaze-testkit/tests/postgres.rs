//! Throwaway PostgreSQL clusters: made, used, stopped and restarted, and gone
//! after the last handle, also when a test panics.

use std::net::{Ipv4Addr, TcpStream};
use std::sync::Arc;
use std::time::Instant;

use icaze_testkit::postgres::{self, PgCluster};

fn listening(port: u16) -> bool {
    TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// Prints the start-up time (`-- --nocapture`): `docs/postgres.md` quotes it.
#[test]
fn cluster_start_gives_a_fresh_database_per_test_and_leaves_nothing() {
    assert!(postgres::available(), "PostgreSQL is not installed: apt-get install postgresql");
    let cluster = Arc::new(PgCluster::start().unwrap());
    eprintln!("cluster start (initdb + pg_ctl start): {:?}", cluster.started_in());
    let dir = {
        let created = Instant::now();
        let a = cluster.create_database().unwrap();
        eprintln!("CREATE DATABASE: {:?}", created.elapsed());
        let b = cluster.create_database().unwrap();
        assert_ne!(a.name(), b.name());
        a.psql("CREATE TABLE t (x int); INSERT INTO t VALUES (7)").unwrap();
        assert_eq!(a.psql("SELECT x FROM t").unwrap(), "7");
        // Another test's database does not see it.
        assert!(b.psql("SELECT x FROM t").is_err());
        assert!(a.url().starts_with("postgres://postgres@127.0.0.1:"), "{}", a.url());
        let data = a.psql("SELECT current_setting('data_directory')").unwrap();
        std::path::PathBuf::from(data).parent().unwrap().to_owned()
    };
    assert!(dir.exists());
    let port = cluster.port();
    assert!(listening(port));
    drop(cluster);
    assert!(!listening(port), "the server still listens after the drop");
    assert!(!dir.exists(), "{} is left behind", dir.display());
}

#[test]
fn a_stopped_cluster_restarts_with_its_data() {
    let cluster = Arc::new(PgCluster::start().unwrap());
    let db = cluster.create_database().unwrap();
    db.psql("CREATE TABLE t (x int); INSERT INTO t VALUES (1)").unwrap();
    cluster.stop().unwrap();
    assert!(db.psql("SELECT x FROM t").is_err());
    let stopped = Instant::now();
    cluster.restart().unwrap();
    eprintln!("restart after an immediate stop: {:?}", stopped.elapsed());
    assert_eq!(db.psql("SELECT x FROM t").unwrap(), "1", "{}", cluster.log_tail());
}

#[test]
fn a_panicking_test_leaves_no_cluster_behind() {
    let seen = std::sync::Mutex::new(None);
    let result = std::panic::catch_unwind(|| {
        // Its own cluster: the shared one may be held by another test meanwhile.
        let cluster = Arc::new(PgCluster::start().unwrap());
        let db = cluster.create_database().unwrap();
        *seen.lock().unwrap() = Some((cluster.port(), db.psql("SELECT current_setting('data_directory')").unwrap()));
        panic!("a failing test");
    });
    assert!(result.is_err());
    let (port, data) = seen.into_inner().unwrap().unwrap();
    assert!(!listening(port), "the server still listens after the panic");
    assert!(!std::path::Path::new(&data).exists(), "{data} is left behind");
}

#[test]
fn tests_of_one_process_share_a_cluster() {
    let a = PgCluster::shared().unwrap();
    let b = PgCluster::shared().unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let (x, y) = (a.create_database().unwrap(), b.create_database().unwrap());
    assert_ne!(x.name(), y.name());
}
