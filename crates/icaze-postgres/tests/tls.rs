//! Issue 21: TLS to the database. With the CA of the database server's
//! certificate, every connection of the store is TLS and the certificate and
//! its name are verified; another CA or another name is refused; asking for
//! TLS without a CA is refused rather than connected unverified.

use icaze_permits::store::PermitStore;
use icaze_postgres::{OpenError, PgConfig, PgPermitStore};
use icaze_testkit::postgres::PgCluster;

struct Ca {
    cert: String,
    params: rcgen::CertificateParams,
    key: rcgen::KeyPair,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, format!("{name} CA"));
        let cert = params.self_signed(&key).unwrap().pem();
        Ca { cert, params, key }
    }

    /// A server certificate for `names`, and its key, as PEM.
    fn server(&self, names: &[&str]) -> (String, String) {
        let issuer = rcgen::Issuer::from_params(&self.params, &self.key);
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
        (params.signed_by(&key, &issuer).unwrap().pem(), key.serialize_pem())
    }
}

#[test]
fn over_tls_the_store_verifies_the_database_server_and_never_falls_back_to_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("database");
    let (cert, key) = ca.server(&["localhost", "127.0.0.1"]);
    let cluster = PgCluster::start().unwrap();
    cluster.enable_tls(&cert, &key).unwrap();
    cluster.psql("postgres", "CREATE DATABASE icaze").unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.cert).unwrap();
    let tls = PgConfig { ca_file: Some(ca_file), pool_size: 2, ..PgConfig::default() };

    let store = PgPermitStore::open(&cluster.url("icaze"), tls.clone()).expect("open over TLS");
    store.import_people("document,birth_date,zone\nAZE11111111,1980-05-17,1\n").unwrap();
    assert!(store.person("AZE11111111").unwrap().is_some());
    let connections = "SELECT s.ssl, count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                       WHERE a.application_name = 'icaze' GROUP BY s.ssl";
    assert_eq!(cluster.psql("postgres", connections).unwrap(), "t|1", "the store's connections are all TLS");
    drop(store);

    // Another CA's view of the same server: refused.
    let stranger = dir.path().join("stranger.pem");
    std::fs::write(&stranger, Ca::new("stranger").cert).unwrap();
    let refused = PgPermitStore::open(&cluster.url("icaze"), PgConfig { ca_file: Some(stranger), ..tls.clone() });
    let refused = refused.expect_err("a server the CA did not sign");
    assert!(format!("{refused:?}").contains("UnknownIssuer"), "{refused:?}");

    // The right CA, the wrong name: refused.
    let (cert, key) = ca.server(&["db.icaze.test"]);
    cluster.enable_tls(&cert, &key).unwrap();
    let refused = PgPermitStore::open(&cluster.url("icaze"), tls.clone()).expect_err("a certificate for another name");
    assert!(format!("{refused:?}").contains("NotValidForName"), "{refused:?}");

    // TLS asked for without a CA to verify it: refused before connecting.
    let url = format!("{}?sslmode=require", cluster.url("icaze"));
    let refused = PgPermitStore::open(&url, PgConfig::default()).expect_err("sslmode=require without a CA");
    assert!(matches!(refused, OpenError::Tls(_)), "{refused:?}");
    assert!(refused.to_string().contains("--database-ca"), "{refused}");

    // A CA file that is no certificate: a clear error.
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let refused = PgPermitStore::open(&cluster.url("icaze"), PgConfig { ca_file: Some(junk), ..tls }).unwrap_err();
    assert!(matches!(refused, OpenError::Tls(_)) && refused.to_string().contains("no certificate"), "{refused}");
}
