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
use icaze_server::FixedClock;
pub use icaze_testkit::service::at;
use icaze_testkit::service::TestService;
use serde_json::Value;

/// The service's clock and the device's, once the permits are valid.
pub const NOW: &str = "2020-12-15T10:30:00+04:00";

pub struct Service {
    pub runtime: tokio::runtime::Runtime,
    // Invariant: `Some` until dropped; it is stopped before `runtime` goes.
    svc: Option<TestService>,
    pub clock: Arc<FixedClock>,
    pub url: String,
}

impl Service {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let svc = runtime.block_on(TestService::start(at("2020-12-15T10:00:00+04:00"), |_| {}));
        svc.import_demo_people(20);
        let (clock, url) = (svc.clock().clone(), svc.url(""));
        Self { runtime, svc: Some(svc), clock, url }
    }

    fn svc(&self) -> &TestService {
        self.svc.as_ref().unwrap()
    }

    /// The service's data directory.
    pub fn data(&self) -> PathBuf {
        self.svc().data()
    }

    /// Where the device called `name` keeps its directory.
    pub fn device_dir(&self, name: &str) -> PathBuf {
        self.svc().path(name)
    }

    pub fn admin_token(&self) -> String {
        self.svc().admin_token()
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
        if let Some(mut svc) = self.svc.take() {
            self.runtime.block_on(svc.stop());
        }
    }
}

/// A command's answer as the UI receives it.
pub fn json<T: serde::Serialize>(answer: T) -> Value {
    serde_json::to_value(answer).unwrap()
}
