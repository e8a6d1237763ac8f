//! The sync API end to end over real HTTP on loopback (`docs/sync-api.md`):
//! a server of each test's own, with a fixed clock, and officer devices
//! simulated with `icaze-protocol` alone (the server never depends on the device
//! core).

use std::sync::Arc;

use icaze_core::{PermitSerial, SecretKey, UtcMinute, VerifiedBundle, ZoneId};
use icaze_protocol::{
    chain_hash, EnrollmentCode, InputKind, InspectionRecord, Location, OfficerBadge, Outcome, RecordId, UploadBatch,
    GENESIS_HASH,
};
use icaze_server::sync::ratelimit::Rate;
use icaze_server::sync::SyncLimits;
use icaze_server::{FixedClock, ServeConfig};
use icaze_testkit::service::{at, TestService};
use reqwest::StatusCode;
use serde_json::{json, Value};

const START: &str = "2020-12-15T10:00:00+04:00";

struct Service {
    svc: TestService,
    clock: Arc<FixedClock>,
    client: reqwest::Client,
    admin: String,
}

impl Service {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(configure: impl FnOnce(&mut ServeConfig)) -> Self {
        let svc = TestService::start(at(START), configure).await;
        let (clock, admin) = (svc.clock().clone(), svc.admin_token());
        Self { svc, clock, client: reqwest::Client::new(), admin }
    }

    fn data(&self) -> std::path::PathBuf {
        self.svc.data()
    }

    fn url(&self, path: &str) -> String {
        self.svc.url(path)
    }

    async fn send(&self, request: reqwest::RequestBuilder, token: Option<&str>) -> (StatusCode, Value) {
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let bytes = response.bytes().await.unwrap();
        let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        (status, value)
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.send(self.client.get(self.url(path)), token).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.send(self.client.post(self.url(path)).body(body.to_string()), token).await
    }

    async fn upload(&self, bytes: Vec<u8>) -> (StatusCode, Value) {
        self.send(self.client.post(self.url("/v1/upload")).body(bytes), None).await
    }

    async fn import(&self, bytes: Vec<u8>, token: &str) -> (StatusCode, Value) {
        self.send(self.client.post(self.url("/v1/imports")).body(bytes), Some(token)).await
    }

    async fn supervisor(&self, name: &str, precinct: &str) -> String {
        let (status, body) =
            self.post("/v1/supervisors", Some(&self.admin), json!({"name": name, "precinct": precinct})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["precinct"], precinct);
        body["token"].as_str().unwrap().to_owned()
    }

    async fn approve(&self, token: &str, device: &Device, badge: &str, precinct: &str) -> (StatusCode, Value) {
        self.post("/v1/devices", Some(token), json!({"code": device.code(), "badge": badge, "precinct": precinct}))
            .await
    }

    async fn device(&self, id: &str) -> Value {
        let (status, body) = self.get("/v1/devices", Some(&self.admin)).await;
        assert_eq!(status, StatusCode::OK);
        body["devices"].as_array().unwrap().iter().find(|d| d["device_id"] == id).cloned().unwrap_or(Value::Null)
    }

    async fn inspections(&self, query: &str, token: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/v1/inspections{query}"), Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["inspections"].as_array().unwrap().clone()
    }

    fn sync_db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.data().join("sync.db")).unwrap()
    }

    fn count(&self, table: &str) -> i64 {
        self.sync_db().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
    }

    fn root(&self) -> icaze_core::PublicKey {
        let text = std::fs::read_to_string(self.data().join("authority/root.public")).unwrap();
        icaze_authority::read_public_key(&text).unwrap()
    }

    async fn metrics(&self) -> String {
        let token = std::fs::read_to_string(self.data().join("metrics-token")).unwrap();
        let response = self.client.get(self.url("/metrics")).bearer_auth(token.trim()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    async fn bundle(&self, query: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(self.url(&format!("/v1/bundle{query}")));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }
}

/// An officer's device as the server sees it: a key and a hash-chained log.
struct Device {
    key: SecretKey,
    log: Vec<InspectionRecord>,
}

struct Inspection {
    officer: &'static str,
    zone: u16,
    input: InputKind,
    display: &'static str,
    at: UtcMinute,
    note: Option<&'static str>,
}

impl Default for Inspection {
    fn default() -> Self {
        Self { officer: "B-1042", zone: 1, input: InputKind::Token, display: "valid", at: at(START), note: None }
    }
}

fn record(seq: u64, prev: icaze_protocol::RecordHash, i: &Inspection) -> InspectionRecord {
    let mut r = InspectionRecord {
        id: RecordId([seq as u8; 16]),
        seq,
        at: i.at,
        officer: OfficerBadge::new(i.officer).unwrap(),
        zone: ZoneId::new(i.zone).unwrap(),
        location: Location::from_degrees(40.4093, 49.8671),
        input: i.input,
        serial: Some(PermitSerial(42)),
        document: Some("AZE11111111".into()),
        outcome: Some(Outcome {
            verdict: if i.display == "not_valid" { "expired".into() } else { "valid".into() },
            display: i.display.into(),
            reasons: vec![],
            warnings: vec!["data_stale".into()],
        }),
        action: Some("let_pass".into()),
        note: i.note.map(str::to_owned),
        details: vec![],
        prev_hash: prev,
        hash: GENESIS_HASH,
    };
    r.hash = chain_hash(&prev, &r.body().unwrap());
    r
}

impl Device {
    fn new(seed: u8) -> Self {
        Self { key: SecretKey::from_seed(&[seed; 32]), log: Vec::new() }
    }

    fn code(&self) -> String {
        EnrollmentCode::of(&self.key.public_key()).to_string()
    }

    fn id(&self) -> String {
        EnrollmentCode::of(&self.key.public_key()).device_id().to_string()
    }

    fn inspect(&mut self, inspection: Inspection) {
        let prev = self.log.last().map_or(GENESIS_HASH, |r| r.hash);
        let seq = self.log.len() as u64 + 1;
        self.log.push(record(seq, prev, &inspection));
    }

    fn inspect_n(&mut self, n: usize) {
        for _ in 0..n {
            self.inspect(Inspection::default());
        }
    }

    /// The batch of records `from..=to` (1-based).
    fn batch(&self, from: u64, to: u64) -> Vec<u8> {
        let records = &self.log[(from - 1) as usize..to as usize];
        UploadBatch::sign(&self.key, at(START), records).unwrap()
    }

    fn status_request(&self) -> Vec<u8> {
        UploadBatch::sign_empty(&self.key, at(START), self.log.len() as u64 + 1)
    }
}

fn seqs(list: &[Value]) -> Vec<u64> {
    list.iter().map(|r| r["seq"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn enrollment_approval_suspension_and_resumption() {
    let s = Service::start().await;
    let mut d = Device::new(1);
    d.inspect_n(2);

    // Before approval a status request says "unknown"; an upload is refused.
    let (status, body) = s.upload(d.status_request()).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("unknown")), "{body}");
    let (status, body) = s.upload(d.batch(1, 2)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("device_unknown")), "{body}");

    let (status, device) = s.approve(&s.admin, &d, "B-1042", "P-12").await;
    assert_eq!(status, StatusCode::CREATED, "{device}");
    assert_eq!(device["device_id"], d.id());
    assert_eq!(device["status"], "active");
    assert_eq!(device["approved_by"], "admin");
    assert_eq!(device["last_sync"], Value::Null);
    assert_eq!(s.device(&d.id()).await["badge"], "B-1042");

    // A mistyped character of the code.
    let mut typo: Vec<char> = d.code().chars().collect();
    typo[8] = if typo[8] == 'A' { 'B' } else { 'A' };
    let typo: String = typo.into_iter().collect();
    let (status, body) =
        s.post("/v1/devices", Some(&s.admin), json!({"code": typo, "badge": "B-1", "precinct": "P-12"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "enrollment_code_mistyped", "{body}");
    assert!(body["message"].as_str().unwrap().contains("retype"), "{body}");
    let (status, body) = s.post("/v1/devices", Some(&s.admin), json!({"code": "hello"})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_json")), "{body}");

    // Approving again: no change; with another badge: re-assigned, audited.
    let (status, again) = s.approve(&s.admin, &d, "B-1042", "P-12").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, device);
    s.clock.set(at("2020-12-15T10:05:00+04:00"));
    let (status, moved) = s.approve(&s.admin, &d, "B-2000", "P-12").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(moved["badge"], "B-2000");
    assert_ne!(moved["approved_at"], device["approved_at"]);

    // Suspended: the upload is refused and nothing is stored.
    let path = format!("/v1/devices/{}/suspend", d.id());
    let (status, body) = s.post(&path, Some(&s.admin), json!({"reason": "phone lost"})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("suspended")), "{body}");
    let (status, body) = s.upload(d.batch(1, 2)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("device_suspended")), "{body}");
    assert_eq!(s.count("inspections"), 0);
    assert_eq!(s.device(&d.id()).await["high_water"], 0);
    let (status, body) = s.upload(d.status_request()).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("suspended")), "{body}");

    let path = format!("/v1/devices/{}/resume", d.id());
    let (status, body) = s.post(&path, Some(&s.admin), json!({"reason": "found"})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("active")), "{body}");
    let (status, body) = s.upload(d.batch(1, 2)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 2);
    let (status, body) = s.post(&path, Some(&s.admin), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reason is required: {body}");
    let (status, _) = s.post("/v1/devices/NOSUCHDEVICE/resume", Some(&s.admin), json!({"reason": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, audit) = s.get("/v1/audit", Some(&s.admin)).await;
    assert_eq!(status, StatusCode::OK);
    let audit = audit["audit"].as_array().unwrap();
    let whats: Vec<&str> = audit.iter().map(|e| e["what"].as_str().unwrap()).collect();
    assert_eq!(whats, ["device_approved", "device_reassigned", "device_suspended", "device_resumed"]);
    assert_eq!(audit[2]["details"], json!({"device_id": d.id(), "reason": "phone lost"}));
    assert_eq!((audit[2]["who"].as_str(), audit[2]["at"].as_str()), (Some("admin"), Some("2020-12-15T06:05:00Z")));
    let after = audit[1]["id"].as_i64().unwrap();
    let (_, rest) = s.get(&format!("/v1/audit?after={after}&limit=1"), Some(&s.admin)).await;
    assert_eq!(rest["audit"].as_array().unwrap().len(), 1);
    assert_eq!(rest["audit"][0]["what"], "device_suspended");
}

#[tokio::test]
async fn uploads_are_stored_once_and_forks_and_gaps_are_flagged() {
    let s = Service::start().await;
    let mut d = Device::new(2);
    d.inspect_n(3);
    s.approve(&s.admin, &d, "B-1042", "P-12").await;

    let (status, receipt) = s.upload(d.batch(1, 3)).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["accepted"], 3);
    assert_eq!(receipt["acknowledged_seq"], 3);
    assert_eq!(receipt["high_water"], 3);
    assert_eq!(receipt["channel"], "upload");
    assert_eq!(receipt["badge"], "B-1042");
    assert_eq!(receipt["server_time"], "2020-12-15T06:00:00Z");

    // The same batch again: all duplicates, nothing stored twice.
    let (_, again) = s.upload(d.batch(1, 3)).await;
    assert_eq!((again["accepted"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(3)), "{again}");
    assert_eq!(s.count("inspections"), 3);

    // The same bytes as an export file: duplicates only, through the file channel.
    let (status, imported) = s.import(d.batch(1, 3), &s.admin).await;
    assert_eq!(status, StatusCode::OK, "{imported}");
    assert_eq!((imported["duplicates"].as_u64(), imported["channel"].as_str()), (Some(3), Some("file")));
    assert_eq!(s.count("inspections"), 3);

    // Another key claiming records: unknown; a key swapped into a batch: a bad signature.
    let mut stranger = Device::new(3);
    stranger.inspect_n(1);
    let (status, body) = s.upload(stranger.batch(1, 1)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("device_unknown")), "{body}");
    let mut swapped = stranger.batch(1, 1);
    swapped[5..37].copy_from_slice(&d.key.public_key().to_bytes());
    let (status, body) = s.upload(swapped).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_signature")), "{body}");

    // A tampered byte anywhere is refused.
    d.inspect_n(1);
    let good = d.batch(4, 4);
    for i in [0, 4, 40, good.len() / 2, good.len() - 1] {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        let (status, body) = s.upload(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "byte {i}: {body}");
        assert!(body["code"].as_str().is_some_and(|c| !c.is_empty()), "{body}");
    }
    assert_eq!(s.count("inspections"), 3);

    // A fork: record 3 again with other content; kept apart, the original untouched.
    let other = record(3, d.log[1].hash, &Inspection { note: Some("rewritten"), ..Inspection::default() });
    let fork = UploadBatch::sign(&d.key, at(START), &[other]).unwrap();
    let (status, receipt) = s.upload(fork).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!((receipt["accepted"].as_u64(), receipt["conflicts"].as_u64()), (Some(0), Some(1)), "{receipt}");
    assert_eq!(receipt["acknowledged_seq"], 3);
    assert_eq!(receipt["flags"], json!(["fork"]));
    assert_eq!(receipt["fork_seq"], 3);
    assert_eq!(s.count("conflicts"), 1);
    let listed = s.device(&d.id()).await;
    assert_eq!((listed["conflicts"].as_u64(), listed["fork_seq"].as_u64()), (Some(1), Some(3)), "{listed}");
    let third = s.inspections(&format!("?device={}", d.id()), &s.admin).await;
    assert_eq!(seqs(&third), [3, 2, 1]);
    assert!(third.iter().all(|r| r["note"].is_null()), "the original stays: {third:?}");
    assert_eq!(third[0]["hash"], d.log[2].hash.to_hex());

    // A supervisor of another precinct may not clear the flag; the device's own may, audited;
    // the records kept apart stay, and a new conflict flags the device again.
    let other_sup = s.supervisor("other", "P-13").await;
    let clear = format!("/v1/devices/{}/clear-fork", d.id());
    let (status, _) = s.post(&clear, Some(&other_sup), json!({"reason": "seen"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let own_sup = s.supervisor("own", "P-12").await;
    let (status, body) = s.post(&clear, Some(&own_sup), json!({"reason": "phone restored from a backup"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["fork_seq"].as_u64(), body["conflicts"].as_u64()), (None, Some(1)), "{body}");
    assert_eq!(body["flags"], json!([]));
    let (_, audit) = s.get("/v1/audit", Some(&s.admin)).await;
    assert!(audit.to_string().contains("fork_cleared"), "{audit}");
    let again = record(2, d.log[0].hash, &Inspection { note: Some("rewritten too"), ..Inspection::default() });
    let (_, receipt) = s.upload(UploadBatch::sign(&d.key, at(START), &[again]).unwrap()).await;
    assert_eq!((receipt["fork_seq"].as_u64(), receipt["conflicts"].as_u64()), (Some(2), Some(1)), "{receipt}");
    assert_eq!(s.count("conflicts"), 2);

    // A gap: 6..7 before 4..5; stored and flagged, then filled and cleared.
    d.inspect_n(3);
    let (_, receipt) = s.upload(d.batch(6, 7)).await;
    assert_eq!(receipt["accepted"], 2, "{receipt}");
    assert_eq!(receipt["high_water"], 3);
    assert_eq!(receipt["gap"], json!({"from": 4, "to": 5}));
    assert_eq!(receipt["flags"], json!(["gap", "fork"]));
    let (_, receipt) = s.upload(d.batch(4, 5)).await;
    assert_eq!(receipt["accepted"], 2, "{receipt}");
    assert_eq!(receipt["high_water"], 7);
    assert_eq!(receipt["flags"], json!(["fork"]));
    assert_eq!(receipt["gap"], Value::Null);
    assert_eq!(s.count("inspections"), 7);

    // An empty batch acknowledges up to the high water mark.
    let (_, status_answer) = s.upload(d.status_request()).await;
    assert_eq!(
        (status_answer["status"].as_str(), status_answer["acknowledged_seq"].as_u64()),
        (Some("active"), Some(7))
    );

    // A body over 4 MiB: too large to upload, not to import (64 MiB), where it is read and refused.
    let (status, body) = s.upload(vec![0u8; (4 << 20) + 1]).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")), "{body}");
    let (status, body) = s.import(vec![0u8; (4 << 20) + 1], &s.admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = s.import(vec![0u8; (64 << 20) + 1], &s.admin).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")), "{body}");
    assert_eq!(s.count("inspections"), 7);
}

#[tokio::test]
async fn a_record_under_another_badge_flags_the_device() {
    let s = Service::start().await;
    let mut d = Device::new(3);
    // Made before the approval, by whoever had the phone then: not flagged.
    let before = at("2020-12-15T09:00:00+04:00");
    d.inspect(Inspection { officer: "B-7", at: before, ..Inspection::default() });
    s.approve(&s.admin, &d, "B-1042", "P-12").await;
    d.inspect(Inspection { officer: "B-1042", ..Inspection::default() });
    let (status, receipt) = s.upload(d.batch(1, 2)).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["flags"], json!([]), "{receipt}");

    // After the approval, a record under another badge: stored, and the device flagged.
    d.inspect(Inspection { officer: "B-1042", ..Inspection::default() });
    d.inspect(Inspection { officer: "B-9999", ..Inspection::default() });
    let (_, receipt) = s.upload(d.batch(3, 4)).await;
    assert_eq!((receipt["accepted"].as_u64(), receipt["flags"].clone()), (Some(2), json!(["badge"])), "{receipt}");
    let listed = s.device(&d.id()).await;
    assert_eq!((listed["flags"].clone(), listed["badge_seq"].as_u64()), (json!(["badge"]), Some(4)), "{listed}");
    assert_eq!(s.count("inspections"), 4);

    // The supervisor clears it, audited; a new one flags the device again.
    let clear = format!("/v1/devices/{}/clear-fork", d.id());
    let (status, body) = s.post(&clear, Some(&s.admin), json!({"reason": "a colleague's phone was flat"})).await;
    assert_eq!((status, body["flags"].clone(), body["badge_seq"].clone()), (StatusCode::OK, json!([]), Value::Null));
    d.inspect(Inspection { officer: "B-5", ..Inspection::default() });
    let (_, receipt) = s.upload(d.batch(5, 5)).await;
    assert_eq!(receipt["flags"], json!(["badge"]), "{receipt}");
    assert_eq!(s.device(&d.id()).await["badge_seq"], 5);
}

#[tokio::test]
async fn a_gap_filler_that_does_not_chain_on_the_right_is_kept_apart() {
    let s = Service::start().await;
    let mut d = Device::new(4);
    d.inspect_n(4);
    s.approve(&s.admin, &d, "B-1042", "P-12").await;
    s.upload(d.batch(1, 1)).await;
    s.upload(d.batch(3, 4)).await;
    // Record 2 rewritten: it chains on record 1 but record 3 does not chain on it.
    let other = record(2, d.log[0].hash, &Inspection { note: Some("other"), ..Inspection::default() });
    let (_, receipt) = s.upload(UploadBatch::sign(&d.key, at(START), &[other]).unwrap()).await;
    assert_eq!(receipt["conflicts"], 1, "{receipt}");
    assert_eq!(receipt["high_water"], 1);
    assert_eq!(receipt["flags"], json!(["gap", "fork"]));
    let (_, receipt) = s.upload(d.batch(2, 2)).await;
    assert_eq!((receipt["accepted"].as_u64(), receipt["high_water"].as_u64()), (Some(1), Some(4)), "{receipt}");
}

#[tokio::test]
async fn each_role_is_refused_what_it_may_not_do() {
    let s = Service::start().await;
    let p1 = s.supervisor("sup1", "P1").await;
    let p2 = s.supervisor("sup2", "P2").await;
    let (mut d1, mut d2) = (Device::new(11), Device::new(12));
    d1.inspect_n(2);
    d2.inspect_n(3);
    assert_eq!(s.approve(&p1, &d1, "B-1", "P1").await.0, StatusCode::CREATED);
    assert_eq!(s.approve(&p2, &d2, "B-2", "P2").await.0, StatusCode::CREATED);
    s.upload(d1.batch(1, 2)).await;
    s.upload(d2.batch(1, 3)).await;

    let (status, me) = s.get("/v1/whoami", Some(&p1)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me, json!({"role": "supervisor", "name": "sup1", "precinct": "P1", "investigator": false}));
    let (_, me) = s.get("/v1/whoami", Some(&s.admin)).await;
    assert_eq!(me["role"], "admin");

    // A supervisor sees only its precinct.
    let mine = s.inspections("", &p1).await;
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|r| r["precinct"] == "P1" && r["device_id"] == d1.id()), "{mine:?}");
    let all = s.inspections("", &s.admin).await;
    assert_eq!(all.len(), 5);

    let (s1, s2) = (d1.id(), d2.id());
    let code2 = d2.code();
    let wrong_admin = format!("{}x", s.admin);
    // (token, method, path, body, expected status)
    type Case<'a> = (Option<&'a str>, &'static str, String, Option<Value>, StatusCode);
    let u = StatusCode::UNAUTHORIZED;
    let f = StatusCode::FORBIDDEN;
    let cases: Vec<Case<'_>> = vec![
        // Nobody.
        (None, "GET", "/v1/whoami".into(), None, u),
        (None, "GET", "/v1/devices".into(), None, u),
        (None, "POST", "/v1/devices".into(), Some(json!({"code": code2, "badge": "B", "precinct": "P1"})), u),
        (None, "GET", "/v1/inspections".into(), None, u),
        (None, "GET", "/v1/stats/hourly".into(), None, u),
        (None, "POST", "/v1/revocations".into(), Some(json!({"serial": 5, "reason": "x"})), u),
        (None, "GET", "/v1/revocations".into(), None, u),
        (None, "POST", "/v1/supervisors".into(), Some(json!({"name": "x", "precinct": "P1"})), u),
        (None, "DELETE", "/v1/supervisors/sup1".into(), None, u),
        (None, "POST", format!("/v1/devices/{s1}/suspend"), Some(json!({"reason": "x"})), u),
        // A wrong administrator token.
        (Some(&wrong_admin), "GET", "/v1/whoami".into(), None, u),
        (Some(&wrong_admin), "GET", "/v1/revocations".into(), None, u),
        // A device: its id or enrollment code is no credential.
        (Some(&s1), "GET", "/v1/whoami".into(), None, u),
        (Some(&s1), "GET", "/v1/inspections".into(), None, u),
        // The supervisor of P1.
        (Some(&p1), "POST", "/v1/supervisors".into(), Some(json!({"name": "x", "precinct": "P1"})), f),
        (Some(&p1), "DELETE", "/v1/supervisors/sup2".into(), None, f),
        (Some(&p1), "GET", "/v1/revocations".into(), None, f),
        (Some(&p1), "GET", "/v1/audit".into(), None, f),
        (None, "GET", "/v1/audit".into(), None, u),
        (
            Some(&p1),
            "POST",
            "/v1/devices".into(),
            Some(json!({"code": d1.code(), "badge": "B-1", "precinct": "P2"})),
            f,
        ),
        (Some(&p1), "POST", "/v1/devices".into(), Some(json!({"code": code2, "badge": "B-2", "precinct": "P1"})), f),
        (Some(&p1), "POST", format!("/v1/devices/{s2}/suspend"), Some(json!({"reason": "x"})), f),
        (Some(&p1), "GET", "/v1/devices?precinct=P2".into(), None, f),
        (Some(&p1), "GET", "/v1/inspections?precinct=P2".into(), None, f),
        (Some(&p1), "GET", format!("/v1/inspections?device={s2}"), None, f),
        (Some(&p1), "GET", "/v1/stats/hourly?precinct=P2".into(), None, f),
        // The supervisor of P2.
        (Some(&p2), "POST", format!("/v1/devices/{s1}/resume"), Some(json!({"reason": "x"})), f),
        (Some(&p2), "GET", "/v1/devices?precinct=P1".into(), None, f),
        (Some(&p2), "GET", "/v1/inspections?precinct=P1".into(), None, f),
        (Some(&p2), "GET", "/v1/revocations?since_version=0".into(), None, f),
        (Some(&p2), "POST", "/v1/supervisors".into(), Some(json!({"name": "y", "precinct": "P2"})), f),
    ];
    for (token, method, path, body, expected) in cases {
        let mut request = match method {
            "GET" => s.client.get(s.url(&path)),
            "POST" => s.client.post(s.url(&path)),
            _ => s.client.delete(s.url(&path)),
        };
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let (status, answer) = s.send(request, token).await;
        assert_eq!(status, expected, "{method} {path} as {token:?}: {answer}");
        let code = answer["code"].as_str().unwrap_or_default();
        assert_eq!(code, if expected == u { "unauthenticated" } else { "forbidden" }, "{method} {path}: {answer}");
    }

    // Imports: only of one's own precinct's devices, and never without a credential.
    assert_eq!(s.import(d2.batch(1, 3), &p1).await.0, f);
    let (status, _) = s.send(s.client.post(s.url("/v1/imports")).body(d1.batch(1, 2)), None).await;
    assert_eq!(status, u);
    assert_eq!(s.import(d1.batch(1, 2), &p1).await.0, StatusCode::OK);

    // The administrator may do everything, and a removed supervisor's token stops working.
    let (status, _) = s.get("/v1/inspections?precinct=P2", Some(&s.admin)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.send(s.client.delete(s.url("/v1/supervisors/sup1")), Some(&s.admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s.get("/v1/whoami", Some(&p1)).await.0, u);
    assert_eq!(s.get("/v1/whoami", Some(&p2)).await.0, StatusCode::OK);
    let (status, body) = s.post("/v1/supervisors", Some(&s.admin), json!({"name": "sup2", "precinct": "P3"})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("supervisor_exists")));
    let (status, body) = s.send(s.client.delete(s.url("/v1/supervisors/nobody")), Some(&s.admin)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("supervisor_not_found")));
    let (status, body) = s.get("/v1/nothing-here", Some(&s.admin)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, body) = s
        .post("/v1/supervisors", Some(&s.admin), json!({"name": "x", "precinct": "P1", "x": "y".repeat(70_000)}))
        .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")));
}

/// Issues a permit by SMS for `document` and returns its serial.
async fn permit(s: &Service, text: &str) -> u32 {
    let response =
        s.client.get(s.url("/sms/8103")).query(&[("from", "994501112233"), ("text", text)]).send().await.unwrap();
    let reply = response.text().await.unwrap();
    assert!(reply.contains("IZ2"), "{reply}");
    let db = rusqlite::Connection::open(s.data().join("icaze.db")).unwrap();
    db.query_row("SELECT max(serial) FROM permits", [], |r| r.get(0)).unwrap()
}

/// The permit in the reply to an SMS with this text.
async fn reply_permit(s: &Service, text: &str) -> icaze_core::UnverifiedPermit {
    let response =
        s.client.get(s.url("/sms/8103")).query(&[("from", "994501112233"), ("text", text)]).send().await.unwrap();
    let reply = response.text().await.unwrap();
    icaze_core::UnverifiedPermit::find_in_text(&reply).unwrap_or_else(|e| panic!("{e}: {reply}"))
}

fn verified(s: &Service, bytes: &[u8]) -> icaze_core::BundleContents {
    VerifiedBundle::verify(bytes, &s.root()).unwrap().contents().clone()
}

#[tokio::test]
async fn a_list_of_serials_is_revoked_as_one_version() {
    let s = Service::start().await;
    let (status, body) =
        s.post("/v1/revocations", Some(&s.admin), json!({"serials": [3, 1, 3, 900_001], "reason": "list"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked"], json!([1, 3, 900_001]), "sorted, each once");
    let v = body["version"].as_u64().unwrap();
    let (_, body) = s.post("/v1/revocations", Some(&s.admin), json!({"serials": [1, 2], "reason": "list"})).await;
    assert_eq!(body, json!({"revoked": [2], "version": v + 1}), "only what was not revoked yet");
    let (status, body) =
        s.post("/v1/revocations", Some(&s.admin), json!({"serial": 4, "serials": [5], "reason": "x"})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_target")));
    let response = s.bundle("", &[]).await;
    let contents = verified(&s, &response.bytes().await.unwrap());
    assert_eq!(contents.revocations.iter().collect::<Vec<_>>(), [1, 2, 3, 900_001]);
}

/// Limits a test reaches in a few requests: buckets of 3 that refill once an hour.
fn tight_limits() -> SyncLimits {
    let slow = Rate::new(3, std::time::Duration::from_secs(3600));
    SyncLimits { device: slow, supervisor: slow, supervisor_serials: 3, supervisor_revocations_a_day: 5 }
}

#[tokio::test]
async fn a_device_or_a_supervisor_past_its_rate_is_told_when_to_come_back() {
    let s = Service::start_with(|c| c.sync_limits = tight_limits()).await;
    let (a, b) = (Device::new(21), Device::new(22));
    s.approve(&s.admin, &a, "B-1042", "P-12").await;
    s.approve(&s.admin, &b, "B-1043", "P-12").await;
    for _ in 0..3 {
        assert_eq!(s.upload(a.status_request()).await.0, StatusCode::OK);
    }
    let response = s.client.post(s.url("/v1/upload")).body(a.status_request()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "3600");
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["code"], "rate_limited", "{body}");
    // Another device has a bucket of its own, and forged batches in its name,
    // refused at their signature, take nothing from it.
    for _ in 0..3 {
        let mut forged = b.status_request();
        *forged.last_mut().unwrap() ^= 1;
        assert_eq!(s.upload(forged).await.0, StatusCode::BAD_REQUEST);
    }
    for _ in 0..3 {
        assert_eq!(s.upload(b.status_request()).await.0, StatusCode::OK);
    }

    let supervisor = s.supervisor("S-Aliyev", "P-12").await;
    for _ in 0..3 {
        assert_eq!(s.get("/v1/devices", Some(&supervisor)).await.0, StatusCode::OK);
    }
    let (status, body) = s.get("/v1/inspections", Some(&supervisor)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")), "{body}");
    // The administrator is not counted.
    for _ in 0..5 {
        assert_eq!(s.get("/v1/devices", Some(&s.admin)).await.0, StatusCode::OK);
    }
    // Issue 22 item 13: the refusals have a series of their own, by caller.
    let metrics = s.metrics().await;
    assert!(metrics.contains("icaze_sync_rate_limited_total{caller=\"device\"} 1"), "{metrics}");
    assert!(metrics.contains("icaze_sync_rate_limited_total{caller=\"supervisor\"} 1"), "{metrics}");
}

#[tokio::test]
async fn a_supervisor_revokes_a_few_permits_at_a_time_and_a_day() {
    let s = Service::start_with(|c| {
        c.sync_limits = SyncLimits { supervisor: Rate::new(100, std::time::Duration::from_secs(1)), ..tight_limits() }
    })
    .await;
    let supervisor = s.supervisor("S-Aliyev", "P-12").await;
    let revoke = |serials: Vec<u32>, token: String| {
        let s = &s;
        async move { s.post("/v1/revocations", Some(&token), json!({"serials": serials, "reason": "fraud"})).await }
    };
    // A list longer than a supervisor's is the administrator's.
    let (status, body) = revoke(vec![1, 2, 3, 4], supervisor.clone()).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{body}");
    assert_eq!(revoke(vec![1, 2, 3, 4], s.admin.clone()).await.0, StatusCode::OK);
    // Five a day: 3 and 2 go, the sixth does not, however it is asked for;
    // one already revoked costs nothing.
    assert_eq!(revoke(vec![10, 11, 12], supervisor.clone()).await.0, StatusCode::OK);
    assert_eq!(revoke(vec![12, 13, 1], supervisor.clone()).await.0, StatusCode::OK);
    let (status, body) = revoke(vec![14, 15], supervisor.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["message"].as_str().unwrap().contains("ask an administrator"), "{body}");
    assert_eq!(revoke(vec![14], supervisor.clone()).await.0, StatusCode::OK);
    let (status, _) = s.post("/v1/revocations", Some(&supervisor), json!({"serial": 16, "reason": "fraud"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Each revocation is in the audit trail under the supervisor's name.
    let (_, audit) = s.get("/v1/audit", Some(&s.admin)).await;
    let revoked: Vec<Value> = audit["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["what"] == "revoked" && e["who"] == "S-Aliyev")
        .map(|e| e["details"]["serials"].clone())
        .collect();
    assert_eq!(revoked, [json!([10, 11, 12]), json!([13]), json!([14])], "{audit}");
    // A day later the supervisor may again.
    s.clock.set(at("2020-12-16T10:01:00+04:00"));
    assert_eq!(revoke(vec![16, 17], supervisor).await.0, StatusCode::OK);
}

#[tokio::test]
async fn revocations_reach_the_bundle_full_delta_and_resumed() {
    let s = Service::start().await;
    let store = icaze_server::sqlite::SqlitePermitStore::open(&s.data().join("icaze.db"), Default::default()).unwrap();
    assert!(store.import_people(&icaze_server::registry::demo_people_csv(10)).unwrap().problems.is_empty());
    let p1 = s.supervisor("sup1", "P1").await;
    let first = permit(&s, "2 AZE11111111").await;
    let second = permit(&s, "1 AZE11111111").await;
    let other = permit(&s, "2 MYI1234567").await;

    let (status, body) =
        s.post("/v1/revocations", Some(&s.admin), json!({"serial": 900_001, "reason": "stolen"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked"], json!([900_001]));
    let v1 = body["version"].as_u64().unwrap();
    let (_, body) = s.post("/v1/revocations", Some(&p1), json!({"serial": 900_001, "reason": "again"})).await;
    assert_eq!(body, json!({"revoked": [], "version": v1}), "revoking twice is not an error");
    let (_, body) = s.post("/v1/revocations", Some(&p1), json!({"serial": other, "reason": "fraud"})).await;
    assert!(body["version"].as_u64().unwrap() > v1);
    let (status, body) =
        s.post("/v1/revocations", Some(&p1), json!({"serial": 5, "document": "AZE11111111", "reason": "x"})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_target")));

    // The full bundle, signed, holds the serials.
    let response = s.bundle("", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let full_version: u64 = response.headers()["icaze-bundle-version"].to_str().unwrap().parse().unwrap();
    assert_eq!(response.headers()["accept-ranges"], "bytes");
    let full = response.bytes().await.unwrap().to_vec();
    let contents = verified(&s, &full);
    assert_eq!(contents.version, full_version);
    assert_eq!(contents.base_version, None);
    assert_eq!(contents.revocations.iter().collect::<Vec<_>>(), {
        let mut v = vec![900_001, other];
        v.sort();
        v
    });
    assert_eq!(contents.server_time_unix_seconds, at(START).unix_seconds() as u64);
    assert_eq!(contents.regimes.len(), 1);
    assert_eq!(etag, format!("\"{full_version}.f.{}\"", at(START).unix_minutes()));

    // If-None-Match with the current ETag.
    let response = s.bundle("", &[("if-none-match", &etag)]).await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);

    // A range, then a revocation by document, then the rest of that very bundle.
    let response = s.bundle("", &[("range", "bytes=0-99")]).await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(response.headers()["content-range"], format!("bytes 0-99/{}", full.len()).as_str());
    let mut resumed = response.bytes().await.unwrap().to_vec();
    assert_eq!(resumed.len(), 100);

    let (status, body) =
        s.post("/v1/revocations", Some(&p1), json!({"document": "AZE11111111", "reason": "infected"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut by_document: Vec<u64> = body["revoked"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    by_document.sort();
    assert_eq!(by_document, [u64::from(first), u64::from(second)]);
    let v_doc = body["version"].as_u64().unwrap();
    assert!(v_doc > full_version);

    let response = s.bundle("", &[("range", "bytes=100-"), ("if-range", &etag)]).await;
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    resumed.extend_from_slice(&response.bytes().await.unwrap());
    assert_eq!(resumed, full, "resumed from the very same bundle");
    let response = s.bundle("", &[("range", "bytes=100-"), ("if-range", "\"1.f.1\"")]).await;
    assert_eq!(response.status(), StatusCode::OK, "an unknown bundle: the whole current one");
    assert_eq!(verified(&s, &response.bytes().await.unwrap()).version, v_doc);

    // The delta since the full bundle holds only the new serials.
    let response = s.bundle(&format!("?since={full_version}"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let delta = verified(&s, &response.bytes().await.unwrap());
    assert_eq!((delta.version, delta.base_version), (v_doc, Some(full_version)));
    assert_eq!(delta.revocations.iter().map(u64::from).collect::<Vec<_>>(), by_document);

    // From the future: refused.
    let (status, body) = s.get(&format!("/v1/bundle?since={}", v_doc + 5), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("future_version")), "{body}");

    // The current version in the minute it was made: nothing newer; a minute
    // later, an empty delta with a fresh server time.
    let response = s.bundle(&format!("?since={v_doc}"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    s.clock.set(at("2020-12-15T10:01:00+04:00"));
    let response = s.bundle(&format!("?since={v_doc}"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let fresh = verified(&s, &response.bytes().await.unwrap());
    assert_eq!((fresh.version, fresh.base_version), (v_doc + 1, Some(v_doc)));
    assert!(fresh.revocations.is_empty());
    assert_eq!(fresh.server_time_unix_seconds, at("2020-12-15T10:01:00+04:00").unix_seconds() as u64);

    // The audit list.
    let (status, body) = s.get("/v1/revocations?since_version=0", Some(&s.admin)).await;
    assert_eq!(status, StatusCode::OK);
    let list = body["revocations"].as_array().unwrap();
    assert_eq!(list.len(), 4, "{body}");
    let doc = list.iter().find(|r| r["serial"] == first).unwrap();
    assert_eq!((doc["by"].as_str(), doc["reason"].as_str()), (Some("sup1"), Some("infected")));
    assert_eq!(doc["document"], "AZE11111111");
    assert_eq!(doc["at"], "2020-12-15T06:00:00Z");
    let (_, later) = s.get(&format!("/v1/revocations?since_version={full_version}"), Some(&s.admin)).await;
    assert_eq!(later["revocations"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn inspections_are_queried_exported_and_counted() {
    let s = Service::start().await;
    let mut d = Device::new(21);
    let mut idle = Device::new(22);
    let t = |s: &str| at(s);
    d.inspect(Inspection { officer: "B-1", zone: 1, at: t("2020-12-15T08:10:00+04:00"), ..Inspection::default() });
    d.inspect(Inspection {
        officer: "B-1",
        zone: 2,
        input: InputKind::Violation,
        display: "not_valid",
        at: t("2020-12-15T08:20:00+04:00"),
        note: Some("no permit, \"protocol\" 12"),
    });
    d.inspect(Inspection { officer: "B-2", zone: 2, at: t("2020-12-15T09:05:00+04:00"), ..Inspection::default() });
    d.inspect(Inspection {
        officer: "B-2",
        zone: 1,
        display: "not_valid",
        at: t("2020-12-15T09:30:00+04:00"),
        ..Inspection::default()
    });
    idle.inspect_n(1);
    s.approve(&s.admin, &d, "B-1", "P-12").await;
    s.approve(&s.admin, &idle, "B-9", "P-12").await;
    assert_eq!(s.upload(d.batch(1, 4)).await.0, StatusCode::OK);

    let all = s.inspections("", &s.admin).await;
    assert_eq!(seqs(&all), [4, 3, 2, 1], "newest first");
    assert_eq!(all[0]["device_id"], d.id());
    assert_eq!(all[0]["precinct"], "P-12");
    assert_eq!(all[0]["officer"], "B-2");
    assert_eq!(seqs(&s.inspections("?officer=B-1", &s.admin).await), [2, 1]);
    assert_eq!(seqs(&s.inspections("?zone=2", &s.admin).await), [3, 2]);
    assert_eq!(seqs(&s.inspections("?violations=true", &s.admin).await), [2]);
    let window = "?from=2020-12-15T08:15:00%2B04:00&to=2020-12-15T09:30:00%2B04:00";
    assert_eq!(seqs(&s.inspections(window, &s.admin).await), [3, 2]);
    assert!(s.inspections("?precinct=P-99", &s.admin).await.is_empty());
    let (status, body) = s.get("/v1/inspections?from=yesterday", Some(&s.admin)).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));

    // Pages.
    let (_, page) = s.get("/v1/inspections?limit=3", Some(&s.admin)).await;
    assert_eq!(seqs(page["inspections"].as_array().unwrap()), [4, 3, 2]);
    let next = page["next"].as_str().unwrap().to_owned();
    let (_, page) = s.get(&format!("/v1/inspections?limit=3&after={next}"), Some(&s.admin)).await;
    assert_eq!(seqs(page["inspections"].as_array().unwrap()), [1]);
    assert_eq!(page["next"], Value::Null);
    let (status, _) = s.get("/v1/inspections?limit=10001", Some(&s.admin)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // CSV.
    let response = s.client.get(s.url("/v1/inspections?format=csv")).bearer_auth(&s.admin).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xef\xbb\xbf"), "a byte-order mark, for spreadsheets");
    let csv = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "device_id,precinct,seq,at,officer,zone,input,serial,document,verdict,display,reasons,warnings,action,note,lat,lon"
    );
    assert_eq!(lines.len(), 6, "a header, four rows, and the last line's end: {csv}");
    assert_eq!(
        lines[3],
        format!(
            "{},P-12,2,2020-12-15T08:20:00+04:00,B-1,2,violation,42,AZE11111111,expired,not_valid,,data_stale,let_pass,\"no permit, \"\"protocol\"\" 12\",40.4093,49.8671",
            d.id()
        )
    );

    // Statistics per hour and per officer.
    let (status, stats) = s
        .get(
            "/v1/stats/hourly?precinct=P-12&from=2020-12-15T00:00:00%2B04:00&to=2020-12-16T00:00:00%2B04:00",
            Some(&s.admin),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(
        stats["hours"],
        json!([
            {"hour": "2020-12-15T04:00:00Z", "inspections": 2, "violations": 1, "not_valid": 1},
            {"hour": "2020-12-15T05:00:00Z", "inspections": 2, "violations": 0, "not_valid": 1},
        ])
    );
    assert_eq!(
        stats["officers"],
        json!([
            {"badge": "B-1", "inspections": 2, "violations": 1},
            {"badge": "B-2", "inspections": 2, "violations": 0},
        ])
    );

    // Devices not synced for a while: the idle one never, the other three hours ago.
    s.clock.set(at("2020-12-15T13:00:00+04:00"));
    let ids = |body: &Value| -> Vec<String> {
        body["devices"].as_array().unwrap().iter().map(|d| d["device_id"].as_str().unwrap().to_owned()).collect()
    };
    let (_, stale) = s.get("/v1/devices?precinct=P-12&not_synced_hours=2", Some(&s.admin)).await;
    let mut both = vec![d.id(), idle.id()];
    both.sort();
    assert_eq!(ids(&stale), both);
    let (_, stale) = s.get("/v1/devices?precinct=P-12&not_synced_hours=4", Some(&s.admin)).await;
    assert_eq!(ids(&stale), [idle.id()]);
    let (_, device) = s.get("/v1/devices?precinct=P-12", Some(&s.admin)).await;
    let synced = device["devices"].as_array().unwrap().iter().find(|x| x["device_id"] == d.id()).unwrap().clone();
    assert_eq!((synced["last_sync"].as_str(), synced["high_water"].as_u64()), (Some("2020-12-15T06:00:00Z"), Some(4)));
}

#[tokio::test]
async fn a_new_regime_raises_the_bundle_version() {
    let s = Service::start().await;
    let response = s.bundle("", &[]).await;
    let before = verified(&s, &response.bytes().await.unwrap());
    let again = verified(&s, &s.bundle("", &[]).await.bytes().await.unwrap());
    assert_eq!(again.version, before.version, "nothing changed, the same version");
    let march = icaze_server::regime::DEFAULT_REGIME
        .replace("id = \"2020-12-14\"", "id = \"2021-03\"")
        .replace("2020-12-14T00:00:00+04:00", "2021-03-01T00:00:00+04:00")
        .replace("2021-01-18T00:00:00+04:00", "2021-04-01T00:00:00+04:00");
    let loaded = s.client.post(s.url("/admin/regime")).bearer_auth(&s.admin).body(march).send().await.unwrap();
    assert_eq!(loaded.status(), StatusCode::OK);
    let after = verified(&s, &s.bundle("", &[]).await.bytes().await.unwrap());
    assert_eq!(after.version, before.version + 1);
    let ids: Vec<&str> = after.regimes.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["2020-12-14", "2021-03"], "the current and the announced regime");
    // A delta on top of the old version carries the new regimes too.
    let delta = verified(&s, &s.bundle(&format!("?since={}", before.version), &[]).await.bytes().await.unwrap());
    assert_eq!((delta.base_version, delta.regimes.len()), (Some(before.version), 2));
}

/// The token text of the permit with this serial.
fn token_of(s: &Service, serial: u32) -> icaze_core::UnverifiedPermit {
    let db = rusqlite::Connection::open(s.data().join("icaze.db")).unwrap();
    let text: String = db.query_row("SELECT token FROM permits WHERE serial = ?1", [serial], |r| r.get(0)).unwrap();
    icaze_core::UnverifiedPermit::from_text(&text).unwrap()
}

#[tokio::test]
async fn a_stolen_key_is_rotated_reloaded_and_its_tokens_refused_by_the_next_bundle() {
    let s = Service::start().await;
    let store = icaze_server::sqlite::SqlitePermitStore::open(&s.data().join("icaze.db"), Default::default()).unwrap();
    assert!(store.import_people(&icaze_server::registry::demo_people_csv(10)).unwrap().problems.is_empty());
    let old = token_of(&s, permit(&s, "1 AZE11111111").await);
    assert_eq!(old.key_id().0, 1);
    let before = verified(&s, &s.bundle("", &[]).await.bytes().await.unwrap());

    let keys = s.data().join("authority");
    let old_list = std::fs::read(keys.join("trustlist")).unwrap();
    icaze_authority::Authority::rotate(&keys, "sms", at(START), &Default::default()).unwrap();
    let sup = s.supervisor("sup", "P1").await;
    let (status, _) = s.post("/v1/keys/reload", Some(&sup), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "administrators only");
    // Until the reload the service still signs with the old key.
    assert_eq!(token_of(&s, permit(&s, "1 AZE22222222").await).key_id().0, 1);
    let once_a_day = token_of(&s, permit(&s, "2 AZE22222222").await);
    assert_eq!(once_a_day.key_id().0, 1);
    let (status, body) = s.post("/v1/keys/reload", Some(&s.admin), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["trust_list_version"].as_u64(), &body["revoked_keys"]), (Some(2), &json!([1])));

    // New permits come from the new key; the next bundle's trust list refuses the old key's tokens.
    let new = token_of(&s, permit(&s, "2 MYI1234567").await);
    assert_eq!(new.key_id().0, 5);
    // Today's once-a-day permit of the old key is replaced by the new key's, once (it does
    // not count against the daily limit); after that the new one is what a repeated SMS gets.
    let replaced = reply_permit(&s, "2 AZE22222222").await;
    assert_eq!(replaced.key_id().0, 5);
    assert_ne!(replaced.token().to_text(), once_a_day.token().to_text());
    assert_eq!(reply_permit(&s, "2 AZE22222222").await.token().to_text(), replaced.token().to_text());
    // A permit of the new key is repeated as before.
    assert_eq!(reply_permit(&s, "2 MYI1234567").await.token().to_text(), new.token().to_text());
    let after = verified(&s, &s.bundle("", &[]).await.bytes().await.unwrap());
    assert!(after.version > before.version, "a new trust list is a new bundle version");
    let trust = icaze_core::TrustList::verify_bytes(&after.trust_list, &s.root()).unwrap();
    assert_eq!(trust.version(), 2);
    assert!(matches!(trust.verify(&old), Err(icaze_core::VerifyError::KeyRevoked(1))));
    assert!(trust.verify(&new).is_ok());
    let delta = verified(&s, &s.bundle(&format!("?since={}", before.version), &[]).await.bytes().await.unwrap());
    assert_eq!(delta.trust_list, after.trust_list, "a delta carries the new trust list too");
    let (_, audit) = s.get("/v1/audit", Some(&s.admin)).await;
    assert!(audit.to_string().contains("keys_reloaded"), "{audit}");

    // A rolled-back trust list is refused and the keys in force stay.
    std::fs::write(keys.join("trustlist"), old_list).unwrap();
    let (status, body) = s.post("/v1/keys/reload", Some(&s.admin), json!({})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("keys_refused")), "{body}");
    assert_eq!(token_of(&s, permit(&s, "2 DYI7654321").await).key_id().0, 5);
}

/// Issue 22 item 13: batches by channel and result, their records by outcome,
/// and the bytes of the bundles sent, full and delta, in `/metrics`.
#[tokio::test]
async fn metrics_count_batches_records_and_bundle_bytes() {
    let s = Service::start().await;
    let mut d = Device::new(2);
    d.inspect_n(3);
    s.approve(&s.admin, &d, "B-1042", "P-12").await;
    assert_eq!(s.upload(d.batch(1, 2)).await.0, StatusCode::OK);
    let (status, receipt) = s.upload(d.batch(1, 3)).await;
    assert_eq!(
        (status, receipt["accepted"].as_u64(), receipt["duplicates"].as_u64()),
        (StatusCode::OK, Some(1), Some(2))
    );
    assert_eq!(s.import(d.batch(1, 3), &s.admin).await.0, StatusCode::OK);
    let mut stranger = Device::new(3);
    stranger.inspect_n(1);
    assert_eq!(s.upload(stranger.batch(1, 1)).await.0, StatusCode::FORBIDDEN);

    // A delta starts from a version that holds a revocation already.
    let (status, body) =
        s.post("/v1/revocations", Some(&s.admin), json!({"serial": 900_001, "reason": "stolen"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let response = s.bundle("", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let version: u64 = response.headers()["icaze-bundle-version"].to_str().unwrap().parse().unwrap();
    let full = response.bytes().await.unwrap().len();
    let (status, body) =
        s.post("/v1/revocations", Some(&s.admin), json!({"serial": 900_002, "reason": "stolen"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let response = s.bundle(&format!("?since={version}"), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let delta = response.bytes().await.unwrap();
    assert_eq!(verified(&s, &delta).base_version, Some(version), "a delta");
    let delta = delta.len();

    let metrics = s.metrics().await;
    for line in [
        "icaze_sync_batches_total{channel=\"upload\",result=\"accepted\"} 2".to_owned(),
        "icaze_sync_batches_total{channel=\"upload\",result=\"refused\"} 1".to_owned(),
        "icaze_sync_batches_total{channel=\"import\",result=\"accepted\"} 1".to_owned(),
        "icaze_sync_batches_total{channel=\"import\",result=\"refused\"} 0".to_owned(),
        "icaze_sync_records_total{channel=\"upload\",outcome=\"accepted\"} 3".to_owned(),
        "icaze_sync_records_total{channel=\"upload\",outcome=\"duplicate\"} 2".to_owned(),
        "icaze_sync_records_total{channel=\"import\",outcome=\"duplicate\"} 3".to_owned(),
        "icaze_sync_records_total{channel=\"import\",outcome=\"accepted\"} 0".to_owned(),
        format!("icaze_bundle_bytes_sum{{kind=\"full\"}} {full}"),
        "icaze_bundle_bytes_count{kind=\"full\"} 1".to_owned(),
        format!("icaze_bundle_bytes_sum{{kind=\"delta\"}} {delta}"),
        "icaze_bundle_bytes_count{kind=\"delta\"} 1".to_owned(),
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
}
