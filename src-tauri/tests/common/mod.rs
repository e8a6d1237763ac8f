//! The real service for the app's integration tests: `icaze_server::Server` in
//! this process on a loopback port, with a fixed clock, its development
//! authority and a registry of 20 synthetic people; and officers' `AppCore`s
//! pinned to its root.

// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::ops::Deref;
use std::path::PathBuf;

use icaze_app::core::AppCore;
use icaze_app::settings::Settings;
pub use icaze_testkit::service::at;
use icaze_testkit::service::BlockingService;
use serde_json::Value;

/// The service's clock and the device's, once the permits are valid.
pub const NOW: &str = "2020-12-15T10:30:00+04:00";

/// The service; it reads as the [`BlockingService`] it holds (its `runtime`,
/// `clock`, `url`, data and paths).
pub struct Service(BlockingService);

impl Deref for Service {
    type Target = BlockingService;

    fn deref(&self) -> &BlockingService {
        &self.0
    }
}

impl Service {
    pub fn start() -> Self {
        let svc = BlockingService::start(at("2020-12-15T10:00:00+04:00"), |_| {});
        svc.import_demo_people(20);
        Self(svc)
    }

    /// The service after one citizen asked for an SMS permit (code 2 for
    /// AZE11111111), with its clock moved to [`NOW`], when the permit is valid:
    /// the service and the permit's token.
    pub fn with_sms_permit() -> (Self, String) {
        let s = Self::start();
        let token = s.sms_permit("994501112233", "2 AZE11111111");
        s.clock.set(at(NOW));
        (s, token)
    }

    /// Where the device called `name` keeps its directory.
    pub fn device_dir(&self, name: &str) -> PathBuf {
        self.path(name)
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

/// A command's answer as the UI receives it.
pub fn json<T: serde::Serialize>(answer: T) -> serde_json::Value {
    serde_json::to_value(answer).unwrap()
}
