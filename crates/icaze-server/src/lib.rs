//! The Icaze server: the 8103 SMS permit service on tokio + axum, with its
//! regimes, registries and storage (SQLite by default), and the sync API of
//! officer devices and precinct supervisors (`sync`, `docs/sync-api.md`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use icaze_server::{ServeConfig, Server};
//! let server = Server::start(ServeConfig::new("data".into())).await?;
//! println!("listening on http://{}", server.addr());
//! server.wait().await;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api;
pub mod database;
pub mod follow;
pub mod http;
pub mod listener;
pub mod metrics;
pub mod portal;
pub mod reports;
pub mod sqlite;
pub mod sync;
pub mod web;

pub use icaze_permits::{csv, keys, regime, registry, replace, sms, store};
pub use icaze_permits::{Clock, FixedClock, SystemClock};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use icaze_authority::{Authority, InitOptions};

pub use crate::database::Database;
pub use crate::http::GatewayAuth;
use crate::regime::Regime;
use crate::sms::{SmsConfig, SmsService};
use crate::sqlite::SqliteConfig;
use crate::store::PermitStore as _;

/// How to run the service.
#[derive(Clone)]
pub struct ServeConfig {
    /// The data directory: database, development authority, admin token.
    pub data: PathBuf,
    /// The address to listen on.
    pub listen: SocketAddr,
    /// An authority made by `icaze keys init`; `None`: a development authority in `data`.
    pub keys: Option<PathBuf>,
    /// A regime to rehearse (kept in memory), already moved if asked.
    pub rehearsal: Option<Regime>,
    /// Who may call the SMS endpoint.
    pub gateway: GatewayAuth,
    /// Where the state is kept: the SQLite files of `data` (the default) or a
    /// PostgreSQL database shared with other instances.
    pub database: Database,
    /// The SQLite files' settings (with [`Database::Sqlite`]).
    pub sqlite: SqliteConfig,
    /// SMS rules.
    pub sms: SmsConfig,
    /// Portal settings. Its `Secure` cookies follow [`ServeConfig::public_url`].
    pub portal: portal::PortalConfig,
    /// The address people and devices reach the service at, `https://…` behind
    /// a TLS proxy: its scheme decides whether the portal's cookies are
    /// `Secure`. `None`: `https://` with [`ServeConfig::tls`], else `http://`,
    /// and the listening address, with `Secure` cookies under TLS or unless
    /// listening on loopback (the single-machine `icaze up`).
    pub public_url: Option<String>,
    /// The certificate and key files (PEM) to serve HTTPS with, without a proxy.
    pub tls: Option<TlsFiles>,
    /// The proxies whose `X-Forwarded-For` names the client
    /// ([`listener::ClientAddr`]); from anyone else it is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// How often the service looks for people put on the deny list, to
    /// revoke their permits ([`sync::SyncService::apply_denials`]).
    pub deny_list_every: std::time::Duration,
    /// How often an instance on a shared database ([`Database::Postgres`])
    /// looks whether another instance put a new trust list or a regime in
    /// force, to load it too ([`follow`]). Not used on SQLite (one process).
    pub follow_every: std::time::Duration,
    /// The front door's bounds: connections, header, idle and request timeouts.
    pub limits: listener::Limits,
    /// What one device or supervisor may ask of the sync API.
    pub sync_limits: sync::SyncLimits,
    /// The SMS gateway's send interface with its user and password (Kannel's
    /// `http://HOST:13013/cgi-bin/sendsms?username=…&password=…`), through
    /// which the 102 console sends funeral permits to callers. `None`: the
    /// console answers `sms_not_configured`.
    pub sms_send_url: Option<String>,
}

impl ServeConfig {
    /// Defaults: loopback port 8103, development authority, gateway on loopback.
    pub fn new(data: PathBuf) -> Self {
        Self {
            data,
            listen: SocketAddr::from(([127, 0, 0, 1], 8103)),
            keys: None,
            rehearsal: None,
            gateway: GatewayAuth::default(),
            database: Database::Sqlite,
            sqlite: SqliteConfig::default(),
            sms: SmsConfig::default(),
            portal: portal::PortalConfig::default(),
            public_url: None,
            trusted_proxies: Vec::new(),
            tls: None,
            clock: Arc::new(SystemClock),
            deny_list_every: std::time::Duration::from_secs(30),
            follow_every: std::time::Duration::from_secs(2),
            limits: listener::Limits::default(),
            sync_limits: sync::SyncLimits::default(),
            sms_send_url: None,
        }
    }
}

/// Every `every`, and once at the start, revokes the permits of the people
/// put on the deny list since (an import by `icaze registry deny` writes them
/// down, whether this service runs or not), until `stop`.
async fn apply_denials<S: store::PermitStore>(
    sync: Arc<sync::SyncService<S>>,
    every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let service = sync.clone();
        match tokio::task::spawn_blocking(move || service.apply_denials()).await {
            Ok(Ok(revoked)) if !revoked.is_empty() => {
                tracing::info!(count = revoked.len(), "permits of people put on the deny list revoked");
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::error!(error = %e, "revoking the permits of the deny list failed; tried again later")
            }
            Err(e) => tracing::error!(error = %e, "revoking the permits of the deny list stopped"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}

/// A failure to start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A file or the listening socket.
    #[error("{0}")]
    Io(String),
    /// The authority's keys.
    #[error("{0}")]
    Authority(#[from] icaze_authority::AuthorityError),
    /// The database.
    #[error("{0}")]
    Store(#[from] store::StoreError),
    /// A database did not open.
    #[error("{0}")]
    Database(#[from] sqlite::Error),
    /// The PostgreSQL database did not open (unreachable, a bad URL, a newer schema).
    #[error("{0}")]
    Postgres(#[from] database::OpenError),
    /// A shared database ([`Database::Postgres`]) without [`ServeConfig::keys`].
    #[error(
        "a shared database needs the authority every instance signs with: make it offline with `icaze keys init`, \
         copy it without the root key to each instance, and start with --keys"
    )]
    SharedWithoutKeys,
    /// The portal.
    #[error("{0}")]
    Portal(#[from] portal::PortalError),
    /// `--sms-send-url`.
    #[error("{0}")]
    SmsSender(#[from] portal::sender::SenderError),
}

/// The files of `icaze serve --tls-cert --tls-key`.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain, PEM, the server's own first.
    pub cert: PathBuf,
    /// Its private key, PEM.
    pub key: PathBuf,
}

/// A public URL as `--public-url` takes it: `http://` or `https://`, a host,
/// an optional port, no path, query or credentials; returned without a
/// trailing slash.
pub fn public_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("{text:?}: a public URL starts with https:// (or http://)"))?;
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if rest.is_empty() || !rest.chars().all(fine) {
        return Err(format!("{text:?}: a public URL is a scheme, a host and a port, without a path"));
    }
    Ok(text.to_owned())
}

/// A running service.
pub struct Server {
    addr: SocketAddr,
    public_url: String,
    tls: bool,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Opens the data directory (creating the database, and a development
    /// authority when no keys are given), binds, and starts serving.
    pub async fn start(config: ServeConfig) -> Result<Self, StartError> {
        let data = &config.data;
        std::fs::create_dir_all(data).map_err(|e| StartError::Io(format!("{}: {e}", data.display())))?;
        let keys = match &config.keys {
            Some(keys) => keys.clone(),
            // A development authority of its own on each instance would give each its own root.
            None if matches!(config.database, Database::Postgres { .. }) => return Err(StartError::SharedWithoutKeys),
            None => {
                let dev = data.join("authority");
                if !dev.join("trustlist").exists() {
                    Authority::init(&dev, config.clock.now(), &InitOptions::default())?;
                    tracing::warn!(
                        dir = %dev.display(),
                        "created a DEVELOPMENT authority: its root key is on this server. For real permits, \
                         make the authority offline with `icaze keys init` and start with --keys"
                    );
                    eprintln!(
                        "WARNING: created a DEVELOPMENT authority in {} (root key on this server; not for real permits)",
                        dev.display()
                    );
                }
                dev
            }
        };
        let key_ring = Arc::new(keys::KeyRing::load(&keys)?);
        let stores = config.database.open(data, &config.sqlite)?;
        let store = Arc::new(stores.permits);
        if store.regimes()?.is_empty() {
            let default = Regime::from_toml(regime::DEFAULT_REGIME)
                .map_err(|e| StartError::Io(format!("the shipped regime: {e}")))?;
            store.put_regime(&default.id, regime::DEFAULT_REGIME)?;
        }
        // Read before the services load the regimes: one stored meanwhile is loaded again.
        let seen = store.generations()?;
        let admin_token = admin_token(data)?;
        let sync = Arc::new(
            sync::SyncService::new(
                stores.sync,
                store.clone(),
                key_ring.clone(),
                config.rehearsal.clone(),
                config.clock.clone(),
                admin_token.clone(),
            )
            .with_limits(config.sync_limits),
        );
        let revocations = sync.clone();
        let sms = SmsService::new(store.clone(), key_ring.clone(), config.rehearsal.clone(), config.sms.clone())?
            .with_revocations(Arc::new(move |serial| revocations.is_revoked(serial.0).map_err(|e| e.to_string())));
        let queue_of = store.clone();
        let refusals_of = sync.clone();
        let service_metrics =
            Arc::new(metrics::ServiceMetrics::new(Box::new(move || queue_of.queued_jobs())).with_rate_limited(
                Box::new(move || {
                    let refused = refusals_of.rate_limited();
                    let load = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
                    (load(&refused.devices), load(&refused.supervisors))
                }),
            ));
        let state = Arc::new(http::AppState {
            sms,
            store: store.clone(),
            gateway: config.gateway.clone(),
            admin_token,
            metrics_token: metrics_token(data)?,
            clock: config.clock.clone(),
            http_metrics: Arc::default(),
            service_metrics: service_metrics.clone(),
            code_shares: Default::default(),
        });
        // The portal asks the SMS service for the regime in force, so that a
        // regime loaded at run time applies to both at once.
        let regimes = state.clone();
        let public = match &config.public_url {
            Some(url) => Some(public_url(url).map_err(|e| StartError::Io(format!("the public URL {e}")))?),
            None => None,
        };
        let tls = match &config.tls {
            Some(files) => Some(listener::load_tls(&files.cert, &files.key).map_err(StartError::Io)?),
            None => None,
        };
        let mut portal_config = config.portal.clone();
        portal_config.secure_cookie &= match &public {
            Some(url) => url.starts_with("https://"),
            None => tls.is_some() || !config.listen.ip().is_loopback(),
        };
        let portal = Arc::new(portal::PortalService::new(
            stores.portal,
            store,
            sync.clone(),
            key_ring.clone(),
            Arc::new(move |at| regimes.sms.regime_at(at)),
            config.clock.clone(),
            portal_config,
        )?);
        // After a reload that revoked keys, the portal re-issues its long-lived permits of those keys.
        let reissuer = Arc::downgrade(&portal);
        sync.on_keys_reloaded(Box::new(move |reloaded| {
            let portal = reissuer.upgrade()?;
            Some(portal.reissue_revoked_keys(&reloaded.newly_revoked).unwrap_or_else(|e| {
                tracing::error!(error = %e, "re-issuing the permits of a revoked key failed");
                sync::Reissue::Failed { code: e.code(), message: e.to_string() }
            }))
        }));
        let sms_sender = match &config.sms_send_url {
            Some(url) => Some(portal::sender::SmsSender::new(url, config.sms.page_link.clone())?),
            None => None,
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| StartError::Io(format!("cannot listen on {}: {e}", config.listen)))?;
        let addr = listener.local_addr().map_err(|e| StartError::Io(e.to_string()))?;
        let (shutdown, stop) = tokio::sync::watch::channel(false);
        let sync_for_denials = sync.clone();
        let names_from = state.clone();
        let names_clock = config.clock.clone();
        let zone_names: web::ZoneNames =
            Arc::new(move || names_from.sms.zone_names(names_clock.now()).into_values().collect());
        let http_metrics = state.http_metrics.clone();
        let follower_state = state.clone();
        let replacements = sync::replace::Replacements::new(sync.clone(), state.store.clone(), config.clock.clone());
        let app = http::router(state)
            .merge(portal::http::router(portal, sms_sender))
            .merge(web::router(zone_names))
            .merge(sync::http::router(sync))
            .merge(sync::replace::routes(replacements))
            .layer(axum::Extension(service_metrics))
            .layer(axum::middleware::from_fn(move |request, next| http::track(http_metrics.clone(), request, next)));
        tokio::spawn(apply_denials(sync_for_denials, config.deny_list_every, shutdown.subscribe()));
        if let Database::Postgres { .. } = config.database {
            let regimes = follower_state.clone();
            let follower = follow::Follower::new(
                follower_state.store.clone(),
                key_ring.clone(),
                Box::new(move || regimes.sms.reload_regimes()),
                seen,
            );
            tokio::spawn(follow::follow(follower, config.follow_every, shutdown.subscribe()));
        }
        let task = tokio::spawn(crate::listener::serve(
            listener,
            app,
            config.limits,
            config.trusted_proxies.clone(),
            tls,
            stop,
        ));
        let scheme = if config.tls.is_some() { "https" } else { "http" };
        let public_url = public.unwrap_or_else(|| format!("{scheme}://{addr}"));
        tracing::info!(%addr, %public_url, database = %config.database.describe(), "icaze serving");
        Ok(Self { addr, public_url, tls: config.tls.is_some(), shutdown, task })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether it serves HTTPS itself.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// The address people reach it at: [`ServeConfig::public_url`], or
    /// `http://` and [`Server::addr`].
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Stops accepting, finishes the requests under way, and returns.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Serves until Ctrl-C or SIGTERM, then stops gracefully.
    pub async fn wait(self) {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.stop().await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// The administrator's token: made on first start (mode 0600), printed once.
fn admin_token(data: &Path) -> Result<String, StartError> {
    secret_token(data, "admin-token", "the administrator's token")
}

/// The token of `DATA/metrics-token`, made at the first start: it reads
/// `/metrics` and nothing else (for the monitoring system).
fn metrics_token(data: &Path) -> Result<String, StartError> {
    secret_token(data, "metrics-token", "the metrics token")
}

/// The token in `DATA/NAME`, or a new random one written there (0600) and
/// announced once as `what`.
fn secret_token(data: &Path, name: &str, what: &str) -> Result<String, StartError> {
    let path = data.join(name);
    match std::fs::read_to_string(&path) {
        Ok(token) => return Ok(token.trim().to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StartError::Io(format!("{}: {e}", path.display()))),
    }
    let mut bytes = [0u8; 24];
    getrandom::getrandom(&mut bytes).map_err(|e| StartError::Io(format!("random source: {e}")))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    use std::io::Write as _;
    options
        .open(&path)
        .and_then(|mut f| f.write_all(format!("{token}\n").as_bytes()))
        .map_err(|e| StartError::Io(format!("{}: {e}", path.display())))?;
    eprintln!("first start: {what} is {token} (kept in {}; shown only now)", path.display());
    Ok(token)
}
