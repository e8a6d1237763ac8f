//! TLS to the database: rustls (ring, as the rest of the workspace), the
//! database server's certificate verified against the CA of
//! [`PgConfig::ca_file`] only, its host name (or IP address) checked.
//!
//! Invariant: a connection never falls back to plain text silently. With a CA
//! file every connection is TLS (`sslmode=require` is set whatever the
//! connection string says, and the server's certificate must verify); a
//! connection string that asks for TLS (`sslmode=require`) without a CA file
//! is refused at open, since its certificate could not be verified.

use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, RecyclingMethod};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use tokio_postgres::config::SslMode;
use tokio_postgres::NoTls;

use crate::{OpenError, PgConfig};

/// The pool's connection manager for `pg`, over TLS when `config` names a CA.
pub(crate) fn manager(mut pg: tokio_postgres::Config, config: &PgConfig) -> Result<Manager, OpenError> {
    let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
    let Some(path) = &config.ca_file else {
        if pg.get_ssl_mode() == SslMode::Require {
            return Err(OpenError::Tls(
                "the connection string asks for TLS (sslmode=require) but no CA file is given to verify the \
                 database server's certificate: give it (--database-ca)"
                    .into(),
            ));
        }
        return Ok(Manager::from_config(pg, NoTls, manager_config));
    };
    let failed = |what: String| OpenError::Tls(format!("{}: {what}", path.display()));
    let pem = std::fs::read(path).map_err(|e| failed(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| failed(format!("not a PEM certificate: {e}")))?;
        roots.add(cert).map_err(|e| failed(format!("not a CA certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(failed("no certificate in it".into()));
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    pg.ssl_mode(SslMode::Require);
    Ok(Manager::from_config(pg, tokio_postgres_rustls::MakeRustlsConnect::new(tls), manager_config))
}
