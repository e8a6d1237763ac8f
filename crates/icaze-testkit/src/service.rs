//! A real `icaze serve` for integration tests, set up in one place: the
//! server of `icaze-server` in the test's process, on a loopback port of its
//! own, in a temporary directory of its own, with a fixed clock and its
//! development authority. Each test starts its own, so tests run in parallel.
//!
//! [`TestService`] is async (tests on `#[tokio::test]`); tests without a
//! runtime of their own use [`BlockingService`], which holds one beside it and
//! stops the service before the runtime goes.

use std::net::SocketAddr;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use icaze_core::UtcMinute;
use icaze_server::sqlite::SqlitePermitStore;
use icaze_server::{FixedClock, ServeConfig, Server};

/// A time as tests write it, RFC 3339 with its offset.
///
/// # Panics
/// On a text that is not such a time: a test's own constant.
pub fn at(text: &str) -> UtcMinute {
    UtcMinute::parse_rfc3339(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// A running service and the directory it keeps its data in.
pub struct TestService {
    dir: tempfile::TempDir,
    // Invariant: `Some` from start to stop.
    server: Option<Server>,
    clock: Arc<FixedClock>,
}

impl TestService {
    /// A service whose clock stands at `start`, with `configure` applied to its
    /// configuration (the data directory, the address and the clock are set
    /// before, and are best left alone).
    ///
    /// # Panics
    /// When the temporary directory or the server cannot be made: the test fails.
    pub async fn start(start: UtcMinute, configure: impl FnOnce(&mut ServeConfig)) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let clock = Arc::new(FixedClock::new(start));
        let mut config = Self::config(dir.path(), &clock);
        configure(&mut config);
        let server = Server::start(config).await.expect("the service starts");
        Self { dir, server: Some(server), clock }
    }

    fn config(dir: &Path, clock: &Arc<FixedClock>) -> ServeConfig {
        let mut config = ServeConfig::new(dir.join("data"));
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.clock = clock.clone();
        config
    }

    /// Stops the service and starts it again on the same data and clock, with
    /// `configure` applied as at [`TestService::start`].
    pub async fn restart(&mut self, configure: impl FnOnce(&mut ServeConfig)) {
        self.stop().await;
        let mut config = Self::config(self.dir.path(), &self.clock);
        configure(&mut config);
        self.server = Some(Server::start(config).await.expect("the service starts again"));
    }

    /// Stops the service (gracefully: what it acknowledged is stored); a
    /// second call does nothing.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }

    /// The running server.
    ///
    /// # Panics
    /// After [`TestService::stop`].
    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("the service runs")
    }

    /// The service's clock.
    pub fn clock(&self) -> &Arc<FixedClock> {
        &self.clock
    }

    /// The address it listens on.
    ///
    /// # Panics
    /// After [`TestService::stop`].
    pub fn addr(&self) -> SocketAddr {
        self.server().addr()
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr())
    }

    /// The service's data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `name` in the test's own directory, beside the data (a device's
    /// directory, a file to import).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The administrator's token, which the service wrote at its first start.
    pub fn admin_token(&self) -> String {
        let path = self.data().join("admin-token");
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).trim().to_owned()
    }

    /// The service's permits store, opened beside the running server.
    pub fn permits(&self) -> SqlitePermitStore {
        SqlitePermitStore::open(&self.data().join("icaze.db"), Default::default()).expect("the permits store opens")
    }

    /// `n` synthetic people in the population registry, all read cleanly.
    pub fn import_demo_people(&self, n: u32) {
        let report = self.permits().import_people(&icaze_server::registry::demo_people_csv(n)).expect("an import");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }

    /// The synthetic deny list.
    pub fn import_demo_denials(&self) {
        let report = self.permits().import_denials(&icaze_server::registry::demo_denials_csv()).expect("an import");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    }

    /// An SMS to 8103 through the service's gateway endpoint, as Kannel
    /// passes it on: the token of the reply.
    ///
    /// # Panics
    /// When the service does not answer 200 with a token: the test fails.
    pub async fn sms_permit(&self, from: &str, text: &str) -> String {
        let response = reqwest::Client::new()
            .get(self.url("/sms/8103"))
            .query(&[("from", from), ("text", text)])
            .send()
            .await
            .expect("the service answers");
        assert_eq!(response.status(), 200);
        let reply = response.text().await.expect("a reply");
        reply.split(' ').find(|w| w.starts_with("IZ2")).unwrap_or_else(|| panic!("no token in {reply:?}")).to_owned()
    }
}

/// A [`TestService`] for tests without a runtime of their own: it holds one
/// (tests run their own requests on [`BlockingService::runtime`]) and stops
/// the service before the runtime goes. It reads as the [`TestService`] it
/// holds.
pub struct BlockingService {
    /// The runtime the server's tasks run on; tests use it for their own requests.
    pub runtime: tokio::runtime::Runtime,
    // Invariant: `Some` until dropped; it is stopped before `runtime` goes.
    svc: Option<TestService>,
    /// The service's clock, at the start time until a test moves it.
    pub clock: Arc<FixedClock>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl BlockingService {
    /// A service whose clock stands at `start`, with `configure` applied as at
    /// [`TestService::start`].
    ///
    /// # Panics
    /// When the runtime or the service cannot be made: the test fails.
    pub fn start(start: UtcMinute, configure: impl FnOnce(&mut ServeConfig)) -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let svc = runtime.block_on(TestService::start(start, configure));
        let (clock, url) = (svc.clock().clone(), svc.url(""));
        Self { runtime, svc: Some(svc), clock, url }
    }

    /// [`TestService::sms_permit`], run to its end.
    pub fn sms_permit(&self, from: &str, text: &str) -> String {
        self.runtime.block_on(self.deref().sms_permit(from, text))
    }
}

impl Deref for BlockingService {
    type Target = TestService;

    fn deref(&self) -> &TestService {
        // Invariant: `svc` is `Some` until `drop`.
        self.svc.as_ref().expect("the service runs until dropped")
    }
}

impl Drop for BlockingService {
    fn drop(&mut self) {
        if let Some(mut svc) = self.svc.take() {
            self.runtime.block_on(svc.stop());
        }
    }
}
