//! The real service for the app's integration tests: `icaze_server::Server` in
//! this process on a loopback port, with a fixed clock, its development
//! authority and a registry of 20 synthetic people; and officers' `AppCore`s
//! pinned to its root.

// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use icaze_app::core::AppCore;
use icaze_app::settings::Settings;
use icaze_core::UtcMinute;
use icaze_server::{FixedClock, ServeConfig, Server};
use serde_json::Value;

pub fn at(s: &str) -> UtcMinute {
    UtcMinute::parse_rfc3339(s).unwrap()
}

/// The service's clock and the device's, once the permits are valid.
pub const NOW: &str = "2020-12-15T10:30:00+04:00";

pub struct Service {
    tmp: tempfile::TempDir,
    pub runtime: tokio::runtime::Runtime,
    server: Option<Server>,
    pub clock: Arc<FixedClock>,
    pub url: String,
}

impl Service {
    pub fn start() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let clock = Arc::new(FixedClock::new(at("2020-12-15T10:00:00+04:00")));
        let mut config = ServeConfig::new(tmp.path().join("data"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.clock = clock.clone();
        let server = runtime.block_on(Server::start(config)).unwrap();
        let url = format!("http://{}", server.addr());
        let store =
            icaze_server::sqlite::SqlitePermitStore::open(&tmp.path().join("data/icaze.db"), Default::default())
                .unwrap();
        assert!(store.import_people(&icaze_server::registry::demo_people_csv(20)).unwrap().problems.is_empty());
        Self { tmp, runtime, server: Some(server), clock, url }
    }

    /// The service's data directory.
    pub fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    /// Where the device called `name` keeps its directory.
    pub fn device_dir(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    pub fn admin_token(&self) -> String {
        std::fs::read_to_string(self.data().join("admin-token")).unwrap().trim().to_owned()
    }

    /// An SMS to 8103 through the service's gateway endpoint; returns the token.
    pub fn sms_permit(&self, from: &str, text: &str) -> String {
        let url = format!("{}/sms/8103", self.url);
        let reply = self.runtime.block_on(async {
            let response =
                reqwest::Client::new().get(&url).query(&[("from", from), ("text", text)]).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        });
        reply.split(' ').find(|w| w.starts_with("IZ2")).unwrap_or_else(|| panic!("no token in {reply:?}")).to_owned()
    }

    /// A `POST` to `path` as the administrator; asserts the status and returns the JSON answer.
    pub fn post_as_admin(&self, path: &str, content_type: &str, body: Vec<u8>, status: u16) -> Value {
        self.runtime.block_on(async {
            let response = reqwest::Client::new()
                .post(format!("{}{path}", self.url))
                .bearer_auth(self.admin_token())
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            let got = response.status();
            let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
            assert_eq!(got, status, "{answer}");
            answer
        })
    }

    /// An officer's app in the directory `name`, set up with the service's
    /// root and `badge`, zone 1 and this server in its settings.
    pub fn device(&self, name: &str, badge: &str) -> AppCore {
        let dir = self.device_dir(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut core = AppCore::open(&dir);
        let root = std::fs::read_to_string(self.data().join("authority/root.public")).unwrap();
        core.init_device(&root, Some(badge.into()), at(NOW)).unwrap();
        core.save_settings(Settings { zone: Some(1), server: Some(self.url.clone()), ..Settings::default() }).unwrap();
        core
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }
}
