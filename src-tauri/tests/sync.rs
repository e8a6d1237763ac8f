//! The app's sync against the real service: `icaze_server::Server` in this
//! process on a loopback port, with a fixed clock and its development
//! authority, and an `AppCore` on a device pinned to that authority's root.
//!
//! Before approval a sync says the device is `unknown` and keeps its records;
//! after an administrator approves it (`POST /v1/devices`), a check is uploaded
//! and the device is `active` with its badge and precinct, which a restarted
//! app still shows; an export file is a batch the server's reader accepts, and
//! once the precinct imports it the next sync empties the outbox.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use icaze_app::core::AppCore;
use icaze_app::settings::Settings;
use icaze_core::UtcMinute;
use icaze_server::{FixedClock, ServeConfig, Server};
use icaze_sync::UploadBatch;
use serde_json::{json, Value};

fn at(s: &str) -> UtcMinute {
    UtcMinute::parse_rfc3339(s).unwrap()
}

/// The service's clock and the device's, once the permits are valid.
const NOW: &str = "2020-12-15T10:30:00+04:00";

struct Service {
    tmp: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    server: Option<Server>,
    clock: Arc<FixedClock>,
    url: String,
}

impl Service {
    fn start() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let clock = Arc::new(FixedClock::new(at("2020-12-15T10:00:00+04:00")));
        let mut config = ServeConfig::new(tmp.path().join("data"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.clock = clock.clone();
        let server = runtime.block_on(Server::start(config)).unwrap();
        let url = format!("http://{}", server.addr());
        let store =
            icaze_server::sqlite::SqliteStore::open(&tmp.path().join("data/icaze.db"), Default::default()).unwrap();
        assert!(store.import_people(&icaze_server::registry::demo_people_csv(20)).unwrap().problems.is_empty());
        Self { tmp, runtime, server: Some(server), clock, url }
    }

    fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    fn device_dir(&self) -> PathBuf {
        self.tmp.path().join("device")
    }

    /// An SMS to 8103 through the service's gateway endpoint; returns the token.
    fn sms_permit(&self, from: &str, text: &str) -> String {
        let url = format!("{}/sms/8103", self.url);
        let reply = self.runtime.block_on(async {
            let response =
                reqwest::Client::new().get(&url).query(&[("from", from), ("text", text)]).send().await.unwrap();
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        });
        reply.split(' ').find(|w| w.starts_with("IZ1")).unwrap_or_else(|| panic!("no token in {reply:?}")).to_owned()
    }

    /// Approves a device as the administrator (`POST /v1/devices`); returns the device JSON.
    fn approve(&self, code: &str, badge: &str, precinct: &str) -> Value {
        let token = std::fs::read_to_string(self.data().join("admin-token")).unwrap();
        let body = json!({ "code": code, "badge": badge, "precinct": precinct }).to_string();
        self.runtime.block_on(async {
            let response = reqwest::Client::new()
                .post(format!("{}/v1/devices", self.url))
                .bearer_auth(token.trim())
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
        })
    }

    /// A device set up with the service's root and the officer B-1042, its
    /// sync server given in the settings.
    /// Imports an export file at the precinct (`POST /v1/imports`, as the administrator).
    fn import(&self, file: Vec<u8>) -> Value {
        let token = std::fs::read_to_string(self.data().join("admin-token")).unwrap();
        self.runtime.block_on(async {
            let response = reqwest::Client::new()
                .post(format!("{}/v1/imports", self.url))
                .bearer_auth(token.trim())
                .header("content-type", "application/octet-stream")
                .body(file)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
            assert_eq!(status, 200, "{body}");
            body
        })
    }

    fn device(&self) -> AppCore {
        let dir = self.device_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let mut core = AppCore::open(&dir);
        let root = std::fs::read_to_string(self.data().join("authority/root.public")).unwrap();
        core.init_device(&root, Some("B-1042".into()), at(NOW)).unwrap();
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

fn outbox(core: &AppCore) -> u64 {
    core.status(at(NOW)).unwrap().device.unwrap()["outbox"].as_u64().unwrap()
}

#[test]
fn the_app_syncs_with_the_real_service_and_remembers_its_enrollment() {
    let s = Service::start();
    let token = s.sms_permit("994501112233", "2 AZE11111111");
    s.clock.set(at(NOW));
    let mut core = s.device();
    assert_eq!(core.status(at(NOW)).unwrap().enrollment, None, "no status before the first sync");
    assert_eq!(core.status(at(NOW)).unwrap().server.as_deref(), Some(s.url.as_str()));

    // Not approved yet: the check stays in the outbox, the bundle comes down.
    assert_eq!(core.check_text(&token, 1, at(NOW)).unwrap()["kind"], "no_data");
    let report = s.runtime.block_on(core.sync_now(at(NOW))).unwrap();
    assert_eq!((report["status"].as_str(), report["sent"].as_u64()), (Some("unknown"), Some(0)), "{report}");
    assert_eq!(report["bundle"]["result"], "applied", "{report}");
    let unknown = core.status(at(NOW)).unwrap().enrollment.unwrap();
    assert_eq!((unknown.status.as_str(), unknown.badge, unknown.precinct), ("unknown", None, None));
    assert_eq!(unknown.checked_at, NOW);
    assert_eq!(outbox(&core), 1);

    let code = core.enrollment().unwrap().code;
    let approved = s.approve(&code, "B-1042", "P-12");
    assert_eq!(approved["status"], "active");

    // Approved: both checks go up and leave the outbox.
    assert_eq!(core.check_text(&token, 1, at(NOW)).unwrap()["kind"], "valid");
    let report = s.runtime.block_on(core.sync_now(at(NOW))).unwrap();
    assert_eq!((report["status"].as_str(), report["precinct"].as_str()), (Some("active"), Some("P-12")), "{report}");
    assert_eq!((report["sent"].as_u64(), report["acknowledged"].as_u64()), (Some(2), Some(2)), "{report}");
    assert_eq!(outbox(&core), 0);

    // A restarted app still knows the status.
    drop(core);
    let core = AppCore::open(&s.device_dir());
    let active = core.status(at(NOW)).unwrap().enrollment.unwrap();
    assert_eq!(
        (active.status.as_str(), active.badge.as_deref(), active.precinct.as_deref()),
        ("active", Some("B-1042"), Some("P-12"))
    );
    assert_eq!(active.server, format!("{}/", s.url));
}

#[test]
fn an_export_file_imported_at_the_precinct_empties_the_outbox_at_the_next_sync() {
    let s = Service::start();
    s.clock.set(at(NOW));
    let mut core = s.device();
    core.check_text("not a permit", 1, at(NOW)).unwrap();
    core.check_text("not one either", 1, at(NOW)).unwrap();
    let exported = core.export(at(NOW)).unwrap();
    assert_eq!((exported.records, exported.first_seq, exported.last_seq), (2, Some(1), Some(2)));
    let path = Path::new(&exported.path);
    assert!(path.starts_with(s.device_dir().join(icaze_app::core::EXPORT_DIR)), "{}", exported.path);
    assert!(exported.path.ends_with("-20201215T1030.iczu"), "{}", exported.path);
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(bytes.len() as u64, exported.bytes);
    let batch = UploadBatch::verify(&bytes).unwrap();
    assert_eq!((batch.first_seq(), batch.records().len()), (1, 2));
    assert_eq!(batch.device_id().to_string(), core.enrollment().unwrap().device_id);
    // Exporting sends nothing: the records wait for a sync or the precinct's import.
    assert_eq!(outbox(&core), 2);

    // The precinct imports the file; the next sync learns that the server
    // holds the records and drops them from the outbox without sending them.
    s.approve(&core.enrollment().unwrap().code, "B-1042", "P-12");
    let imported = s.import(bytes);
    assert_eq!((imported["accepted"].as_u64(), imported["channel"].as_str()), (Some(2), Some("file")), "{imported}");
    let report = s.runtime.block_on(core.sync_now(at(NOW))).unwrap();
    assert_eq!((report["status"].as_str(), report["sent"].as_u64()), (Some("active"), Some(0)), "{report}");
    assert_eq!(outbox(&core), 0);
}

#[test]
fn sync_failures_reach_the_ui_as_codes() {
    let s = Service::start();
    let mut core = s.device();
    core.save_settings(Settings { server: Some("http://127.0.0.1:9/icaze".into()), ..Settings::default() }).unwrap();
    // Port 9 (discard) on loopback refuses the connection at once; the client
    // tries again with its backoff and then gives up.
    let error = s.runtime.block_on(core.sync_now(at(NOW))).unwrap_err();
    assert_eq!(error.code, "unreachable", "{error:?}");
    assert_eq!(core.status(at(NOW)).unwrap().enrollment, None, "a failed sync learns nothing");

    let dir = tempfile::tempdir().unwrap();
    let mut bare = AppCore::open(dir.path());
    let root = std::fs::read_to_string(s.data().join("authority/root.public")).unwrap();
    bare.init_device(&root, None, at(NOW)).unwrap();
    let error = s.runtime.block_on(bare.sync_now(at(NOW))).unwrap_err();
    assert_eq!(error.code, "no_server");
}
