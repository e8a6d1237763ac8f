//! The device's side of sync without the real server: upload batches and
//! export files made from the outbox, and the sync client against a scripted
//! HTTP server on loopback that answers each connection with prepared bytes
//! (failures, a body cut short, partial content) and records what it was sent.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::time::Duration;

use icaze_core::*;
use icaze_device::*;
use icaze_protocol::UploadBatch;

fn at(s: &str) -> UtcMinute {
    UtcMinute::parse_rfc3339(s).unwrap()
}

const T0: &str = "2020-12-15T09:00:00+04:00";

fn root() -> SecretKey {
    SecretKey::from_seed(&[1; 32])
}

fn sync_key() -> SecretKey {
    SecretKey::from_seed(&[4; 32])
}

/// A full bundle of `version` signed by the authority whose root the devices pin.
fn bundle(version: u64, revoked: &[u32]) -> Vec<u8> {
    let trust = TrustList::new(
        1,
        at("2020-12-01T00:00:00Z"),
        vec![TrustedKey {
            id: KeyId(4),
            public_key: sync_key().public_key(),
            valid_from: at("2020-12-01T00:00:00Z"),
            valid_until: at("2022-01-01T00:00:00Z"),
            purposes: PurposeSet::default(),
            revoked: false,
            may_sign_bundles: true,
            label: "sync".into(),
        }],
    )
    .unwrap()
    .sign(&root());
    BundleContents {
        version,
        base_version: None,
        server_time_unix_seconds: at(T0).unix_seconds() as u64,
        trust_list: trust,
        regimes: vec![],
        freshness: FreshnessPolicy::default(),
        revocations: RevocationSet::from_serials(revoked.iter().copied()),
        sections: Default::default(),
    }
    .try_sign(&sync_key(), KeyId(4))
    .unwrap()
}

/// A device in its own directory with `records` manual checks in its log.
fn device(records: usize) -> (tempfile::TempDir, Device) {
    let dir = tempfile::tempdir().unwrap();
    let config = InitConfig { root: root().public_key(), server: None, officer: None };
    let mut device = Device::init(dir.path(), &config, at(T0)).unwrap();
    let scene = Scene {
        at: at(T0),
        zone: ZoneId::new(1).unwrap(),
        officer: OfficerBadge::new("B-1042").unwrap(),
        location: None,
    };
    for i in 0..records {
        let check = ManualCheck::ImminentDanger { note: format!("danger {i}") };
        device.record_manual(&check, &scene, &Notes::default()).unwrap();
    }
    (dir, device)
}

fn seqs(batch: &UploadBatch) -> Vec<u64> {
    batch.records().iter().map(|r| r.seq).collect()
}

#[test]
fn upload_batches_are_the_oldest_run_of_the_outbox_and_ack_moves_it() {
    let (_dir, mut device) = device(5);
    let batch = UploadBatch::verify(&device.upload_batch(2, at(T0)).unwrap()).unwrap();
    assert_eq!(seqs(&batch), [1, 2]);
    assert_eq!(batch.device_id(), device.device_id());
    assert_eq!(batch.prev_hash(), &GENESIS_HASH);
    assert_eq!(device.outbox_len().unwrap(), 5, "making a batch acknowledges nothing");

    assert_eq!(device.ack(2).unwrap(), 2);
    let batch = UploadBatch::verify(&device.upload_batch(500, at(T0)).unwrap()).unwrap();
    assert_eq!(seqs(&batch), [3, 4, 5]);
    assert_eq!(batch.prev_hash(), &device.log(2, 1).unwrap()[0].hash, "chained onto the acknowledged record");

    assert_eq!(device.ack(5).unwrap(), 3);
    let status = UploadBatch::verify(&device.upload_batch(500, at(T0)).unwrap()).unwrap();
    assert!(status.is_empty());
    assert_eq!(status.first_seq(), 6, "a status request names the next sequence number");
    assert!(UploadBatch::verify(&device.upload_batch(0, at(T0)).unwrap()).unwrap().is_empty());
}

#[test]
fn an_export_file_is_the_whole_outbox_written_whole() {
    let (dir, mut device) = device(5);
    let out = dir.path().join("export.iczu");
    let report = device.export(&out, at(T0)).unwrap();
    assert_eq!((report.records, report.first_seq, report.last_seq, report.left_out), (5, Some(1), Some(5), 0));
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(report.bytes, bytes.len() as u64);
    assert_eq!(seqs(&UploadBatch::verify(&bytes).unwrap()), [1, 2, 3, 4, 5]);
    assert_eq!(device.outbox_len().unwrap(), 5, "exporting acknowledges nothing");

    device.ack(3).unwrap();
    device.export(&out, at(T0)).unwrap();
    assert_eq!(seqs(&UploadBatch::verify(&std::fs::read(&out).unwrap()).unwrap()), [4, 5], "replaced whole");
    device.export_from(&out, 5, at(T0)).unwrap();
    assert_eq!(seqs(&UploadBatch::verify(&std::fs::read(&out).unwrap()).unwrap()), [5]);

    device.ack(5).unwrap();
    let empty = device.export(&out, at(T0)).unwrap();
    assert_eq!((empty.records, empty.first_seq), (0, None));
    assert!(UploadBatch::verify(&std::fs::read(&out).unwrap()).unwrap().is_empty());

    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "no temporary file left: {names:?}");
    let missing = device.export(&dir.path().join("no/such/dir/x"), at(T0)).unwrap_err();
    assert_eq!(missing.code(), "io");
}

#[test]
fn an_answer_acknowledges_only_what_it_says_and_only_for_an_active_device() {
    let (_dir, mut device) = device(4);
    let read = |json: &str| UploadAnswer::from_json(json.as_bytes()).unwrap();
    let unknown = read(r#"{"status": "unknown", "acknowledged_seq": 4}"#);
    assert_eq!(unknown.acknowledge(&mut device).unwrap(), 0);
    let suspended = read(r#"{"status": "suspended", "acknowledged_seq": 4}"#);
    assert_eq!(suspended.acknowledge(&mut device).unwrap(), 0);
    // Another record at seq 2 than this phone's (a copy of it, or a backup restored), no hash
    // at all, or a seq this phone never reached: nothing leaves the outbox.
    let ours = device.record_hash(2).unwrap().unwrap().to_hex();
    let theirs = device.record_hash(3).unwrap().unwrap().to_hex();
    let other = read(&format!(r#"{{"status": "active", "acknowledged_seq": 2, "acknowledged_hash": "{theirs}"}}"#));
    assert_eq!(other.acknowledge(&mut device).unwrap(), 0);
    let bare = read(r#"{"status": "active", "acknowledged_seq": 2}"#);
    assert_eq!(bare.acknowledge(&mut device).unwrap(), 0);
    let beyond = read(&format!(r#"{{"status": "active", "acknowledged_seq": 9, "acknowledged_hash": "{ours}"}}"#));
    assert_eq!(beyond.acknowledge(&mut device).unwrap(), 0);
    assert_eq!(device.outbox_len().unwrap(), 4);
    let active = read(&format!(r#"{{"status": "active", "acknowledged_seq": 2, "acknowledged_hash": "{ours}"}}"#));
    assert_eq!(active.acknowledge(&mut device).unwrap(), 2);
    assert_eq!(device.outbox(10).unwrap().iter().map(|r| r.seq).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(active.acknowledge(&mut device).unwrap(), 0, "acknowledging again changes nothing");
    assert_eq!(device.log(1, 10).unwrap().len(), 4, "the log keeps every record");
}

/// The status request of a phone whose log went another way than the
/// server's: nothing is dropped on its word; the batches go up and their own
/// answers acknowledge them.
#[test]
fn a_status_answer_for_another_log_drops_nothing_and_the_records_go_up() {
    let (_dir, mut device) = device(3);
    let foreign = "ab".repeat(32);
    let full = bundle(1, &[]);
    let (url, server) = scripted(vec![
        answer_with_hash("active", 3, Some(&foreign)),
        answer(&device, "active", 2),
        answer(&device, "active", 3),
        reply("200 OK", &[("etag", "\"1.f.1\"")], &full, full.len()),
    ]);
    let report = run(SyncClient::new(&url, fast()).unwrap().sync(&mut device, at(T0))).unwrap();
    let seen = server.join();
    let batches: Vec<Vec<u64>> = seen[..3].iter().map(|s| seqs(&UploadBatch::verify(&s.body).unwrap())).collect();
    assert_eq!(batches, [vec![], vec![1, 2], vec![3]]);
    assert!(report.diverged);
    assert_eq!((report.sent, report.acknowledged, report.outbox_left), (3, 3, 0));
    assert_eq!(serde_json::to_value(report.answer()).unwrap()["diverged"], true);
}

/// What the scripted server was sent on one connection.
#[derive(Debug)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What the scripted server was sent, once the client is done: each request
/// is recorded before its reply is written, so nothing is missed, and a
/// client that stops early leaves the server waiting rather than the test.
struct Script(std::sync::mpsc::Receiver<Seen>);

impl Script {
    fn join(self) -> Vec<Seen> {
        self.0.try_iter().collect()
    }
}

/// Answers connection `i` with `replies[i]` (written as is, then the
/// connection is closed), and records what it was sent.
fn scripted(replies: Vec<Vec<u8>>) -> (String, Script) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (seen, script) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for reply in replies {
            let (mut stream, _) = listener.accept().unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut buf = Vec::new();
            let mut byte = [0u8; 1];
            while !buf.ends_with(b"\r\n\r\n") {
                assert_eq!(stream.read(&mut byte).unwrap(), 1, "the client closed mid-request");
                buf.push(byte[0]);
            }
            let head = String::from_utf8(buf).unwrap();
            let mut lines = head.split("\r\n");
            let request_line = lines.next().unwrap().to_owned();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let len = headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
            let mut body = vec![0u8; len];
            stream.read_exact(&mut body).unwrap();
            if seen.send(Seen { request_line, headers, body }).is_err() {
                return;
            }
            stream.write_all(&reply).unwrap();
            stream.flush().unwrap();
        }
    });
    (url, Script(script))
}

fn reply(status: &str, headers: &[(&str, &str)], body: &[u8], declared_len: usize) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: {declared_len}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn json_reply(status: &str, body: &str) -> Vec<u8> {
    reply(status, &[("content-type", "application/json")], body.as_bytes(), body.len())
}

/// An answer acknowledging `device`'s own record `acknowledged` (its hash, as the server keeps it).
fn answer(device: &Device, status: &str, acknowledged: u64) -> Vec<u8> {
    let hash = device.record_hash(acknowledged).unwrap().map(|h| h.to_hex());
    answer_with_hash(status, acknowledged, hash.as_deref())
}

fn answer_with_hash(status: &str, acknowledged: u64, hash: Option<&str>) -> Vec<u8> {
    let hash = hash.map_or("null".to_owned(), |h| format!("\"{h}\""));
    json_reply(
        "200 OK",
        &format!(
            r#"{{"status": "{status}", "badge": "B-1042", "precinct": "P-12",
                "acknowledged_seq": {acknowledged}, "acknowledged_hash": {hash}, "high_water": {acknowledged},
                "accepted": 1, "duplicates": 0, "conflicts": 0, "flags": [], "channel": "upload",
                "server_time": "2020-12-15T05:00:00Z"}}"#
        ),
    )
}

fn fast() -> SyncConfig {
    SyncConfig {
        attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(20),
        batch_records: 2,
    }
}

fn run<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

#[test]
fn sync_retries_transient_failures_and_acks_only_what_the_server_acknowledged() {
    let (_dir, mut device) = device(5);
    let full = bundle(1, &[7]);
    let (url, server) = scripted(vec![
        json_reply("503 Service Unavailable", r#"{"code": "storage", "message": "try again"}"#),
        answer(&device, "active", 0),
        // The first batch (1, 2) is acknowledged only up to 1: record 2 stays and goes again.
        answer(&device, "active", 1),
        answer(&device, "active", 3),
        answer(&device, "active", 5),
        reply("200 OK", &[("etag", "\"1.f.1\"")], &full, full.len()),
    ]);
    let client = SyncClient::new(&url, fast()).unwrap();
    let report = run(client.sync(&mut device, at(T0))).unwrap();
    let seen = server.join();

    assert_eq!(report.enrollment, Enrollment::Active);
    assert_eq!((report.badge.as_deref(), report.precinct.as_deref()), (Some("B-1042"), Some("P-12")));
    assert_eq!(report.retries, 1);
    assert_eq!(report.outbox_left, 0);
    assert_eq!(device.outbox_len().unwrap(), 0);
    assert_eq!(report.acknowledged, 5);
    let batches: Vec<Vec<u64>> = seen[1..5].iter().map(|s| seqs(&UploadBatch::verify(&s.body).unwrap())).collect();
    assert_eq!(batches, [vec![], vec![1, 2], vec![2, 3], vec![4, 5]]);
    assert!(seen[0].request_line.starts_with("POST /v1/upload "), "{}", seen[0].request_line);
    assert_eq!(seen[0].header("content-type"), Some("application/octet-stream"));
    assert!(seen[5].request_line.starts_with("GET /v1/bundle "), "no since without a bundle: {}", seen[5].request_line);
    assert!(
        matches!(report.bundle, BundleOutcome::Applied { ref applied, resumed_from: None, .. } if applied.version == 1)
    );
    assert_eq!(device.bundle_version(), Some(1));
    let json = serde_json::to_value(report.answer()).unwrap();
    assert_eq!(json["bundle"]["result"], "applied");
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>().join(" ");
    assert_eq!(
        keys(&json),
        "accepted acknowledged acknowledged_seq badge bundle conflicts device_id diverged duplicates flags \
         high_water outbox_left precinct pruned requests retries sent server_time status"
    );
    assert_eq!(keys(&json["bundle"]), "bytes clock_suspicious delta result resumed_from revocations version");
}

#[test]
fn a_bundle_cut_short_is_resumed_with_range_and_if_range() {
    let (dir, mut device) = device(0);
    device.apply_bundle(&bundle(1, &[]), at(T0)).unwrap();
    let full = bundle(2, &[7, 8]);
    let half = full.len() / 2;
    let rest = &full[half..];
    let range = format!("bytes {half}-{}/{}", full.len() - 1, full.len());
    let (url, server) = scripted(vec![
        answer(&device, "active", 0),
        // The whole bundle announced, half of it sent, then the connection closes.
        reply("200 OK", &[("etag", "\"2.f.9\"")], &full[..half], full.len()),
        reply("206 Partial Content", &[("etag", "\"2.f.9\""), ("content-range", &range)], rest, rest.len()),
    ]);
    let client = SyncClient::new(&url, fast()).unwrap();
    let report = run(client.sync(&mut device, at(T0))).unwrap();
    let seen = server.join();

    assert!(seen[1].request_line.starts_with("GET /v1/bundle?since=1 "), "{}", seen[1].request_line);
    assert_eq!(seen[1].header("range"), None);
    assert_eq!(seen[2].header("range"), Some(format!("bytes={half}-").as_str()));
    assert_eq!(seen[2].header("if-range"), Some("\"2.f.9\""));
    assert_eq!(report.retries, 1);
    match &report.bundle {
        BundleOutcome::Applied { applied, resumed_from, bytes } => {
            assert_eq!((applied.version, applied.revocations), (2, 2));
            assert_eq!(*resumed_from, Some(half as u64));
            assert_eq!(*bytes, full.len() as u64);
        }
        other => panic!("{other:?}"),
    }
    assert!(!dir.path().join(PARTIAL_BUNDLE_FILE).exists(), "the partial file goes once applied");
    assert!(!dir.path().join(PARTIAL_BUNDLE_META).exists());
    assert!(device.revocations().unwrap().contains(PermitSerial(8)));
}

#[test]
fn a_device_not_approved_or_suspended_keeps_its_records() {
    let (_dir, mut device) = device(3);
    let (url, server) = scripted(vec![
        json_reply(
            "200 OK",
            r#"{"status": "unknown", "acknowledged_seq": 0, "high_water": 0, "accepted": 0,
                "duplicates": 0, "conflicts": 0, "flags": [], "channel": "upload", "server_time": "2020-12-15T05:00:00Z"}"#,
        ),
        reply("200 OK", &[("etag", "\"1.f.1\"")], &bundle(1, &[]), bundle(1, &[]).len()),
    ]);
    let report = run(SyncClient::new(&url, fast()).unwrap().sync(&mut device, at(T0))).unwrap();
    assert_eq!(server.join().len(), 2, "no batch is sent before approval");
    assert_eq!(report.enrollment, Enrollment::Unknown);
    assert_eq!((report.sent, report.outbox_left), (0, 3));
    assert_eq!(device.bundle_version(), Some(1), "the bundle is public: a new device gets its data");

    // Suspended after the status request said active: the batch is refused, nothing acknowledged.
    let (url, server) = scripted(vec![
        answer(&device, "active", 0),
        json_reply("403 Forbidden", r#"{"code": "device_suspended", "message": "suspended"}"#),
        reply("304 Not Modified", &[], b"", 0),
    ]);
    let report = run(SyncClient::new(&url, fast()).unwrap().sync(&mut device, at(T0))).unwrap();
    server.join();
    assert_eq!(report.enrollment, Enrollment::Suspended);
    assert_eq!(device.outbox_len().unwrap(), 3);
    assert_eq!(report.bundle, BundleOutcome::UpToDate { version: 1 });
}

#[test]
fn permanent_refusals_are_typed_errors_and_transient_ones_give_up_after_the_attempts() {
    let (_dir, mut device) = device(1);
    device.apply_bundle(&bundle(3, &[]), at(T0)).unwrap();
    let (url, server) = scripted(vec![
        answer(&device, "active", 1),
        json_reply("409 Conflict", r#"{"code": "future_version", "message": "above 2"}"#),
    ]);
    let e = run(SyncClient::new(&url, fast()).unwrap().sync(&mut device, at(T0))).unwrap_err();
    server.join();
    assert_eq!(e.code(), "future_version", "{e}");
    assert_eq!(device.outbox_len().unwrap(), 0, "what was acknowledged before the error stays acknowledged");

    // An answer for another device (a wrong address, a proxy) is not believed.
    let (url, server) =
        scripted(vec![json_reply("200 OK", r#"{"device_id": "0000000000000000", "status": "active"}"#)]);
    let e = run(SyncClient::new(&url, fast()).unwrap().sync(&mut device, at(T0))).unwrap_err();
    server.join();
    assert_eq!(e.code(), "protocol", "{e}");

    let (url, server) =
        scripted(vec![json_reply("400 Bad Request", r#"{"code": "bad_signature", "message": "altered"}"#)]);
    let e = run(SyncClient::new(&url, fast()).unwrap().sync(&mut device, at(T0))).unwrap_err();
    server.join();
    assert!(matches!(&e, SyncError::Refused { status: 400, code, .. } if code == "bad_signature"), "{e}");
    assert!(!e.is_transient());

    // An older bundle than the device's is refused as a rollback, not applied.
    let (url, server) = scripted(vec![
        answer(&device, "active", 1),
        reply("200 OK", &[("etag", "\"2.f.1\"")], &bundle(2, &[]), bundle(2, &[]).len()),
    ]);
    let e = run(SyncClient::new(&url, fast()).unwrap().sync(&mut device, at(T0))).unwrap_err();
    server.join();
    assert!(matches!(&e, SyncError::BundleRefused(DeviceError::Rollback { current: 3, offered: 2 })), "{e}");
    assert_eq!(device.bundle_version(), Some(3));

    let (url, server) = scripted(vec![
        json_reply("500 Internal Server Error", "{}"),
        json_reply("502 Bad Gateway", "{}"),
        json_reply("503 Service Unavailable", "{}"),
    ]);
    let e = run(SyncClient::new(&url, fast()).unwrap().sync(&mut device, at(T0))).unwrap_err();
    assert_eq!(server.join().len(), 3);
    assert!(matches!(e, SyncError::Server { status: 503, attempts: 3, .. }), "{e}");
    assert!(e.is_transient());

    // Nobody listens: the port of a listener just closed.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = run(SyncClient::new(&format!("http://127.0.0.1:{port}"), fast()).unwrap().sync(&mut device, at(T0)))
        .unwrap_err();
    assert_eq!(e.code(), "unreachable", "{e}");
}

#[test]
fn acknowledged_records_leave_the_phone_after_their_time_and_the_chain_still_verifies() {
    let (dir, mut device) = device(5);
    let later = |minutes: u32| UtcMinute::from_unix_minutes(at(T0).unix_minutes() + minutes);
    let retention = icaze_device::LOG_RETENTION_MINUTES;
    assert_eq!(device.ack(3).unwrap(), 3);
    assert_eq!(device.prune(later(retention - 1)).unwrap(), 0, "not yet: younger than the retention");
    assert_eq!(device.prune(later(retention + 1)).unwrap(), 3, "the acknowledged ones go, the outbox stays");
    assert_eq!(device.pruned_up_to().unwrap(), 3);
    assert_eq!(device.log(0, 100).unwrap().iter().map(|r| r.seq).collect::<Vec<_>>(), [4, 5]);
    let chain = device.verify_chain().unwrap();
    assert_eq!((chain.records, chain.broken), (2, None));

    // The outbox uploads as before, chained on the record that left.
    let batch = UploadBatch::verify(&device.upload_batch(500, later(retention + 1)).unwrap()).unwrap();
    assert_eq!(seqs(&batch), [4, 5]);
    assert_eq!(batch.prev_hash(), &device.log(4, 1).unwrap()[0].prev_hash);

    // Everything acknowledged: all go but the newest, on which the next record chains.
    device.ack(5).unwrap();
    assert_eq!(device.prune(later(retention + 1)).unwrap(), 1);
    assert_eq!(device.log(0, 100).unwrap().len(), 1);
    let scene = Scene {
        at: later(retention + 2),
        zone: ZoneId::new(1).unwrap(),
        officer: OfficerBadge::new("B-1042").unwrap(),
        location: None,
    };
    let record =
        device.record_manual(&ManualCheck::ImminentDanger { note: "after".into() }, &scene, &Notes::default()).unwrap();
    assert_eq!(record.seq, 6);
    let status = UploadBatch::verify(&device.upload_batch(0, later(retention + 2)).unwrap()).unwrap();
    assert_eq!(status.first_seq(), 7, "the next number counts the records that left");
    drop(device);

    // Reopened, the chain still verifies from the anchor; the database refuses to
    // delete a record still waiting or above the anchor, whoever asks.
    let device = Device::open(dir.path()).unwrap();
    assert_eq!(device.verify_chain().unwrap(), icaze_device::ChainReport { records: 2, broken: None });
    drop(device);
    let db = rusqlite::Connection::open(dir.path().join(icaze_device::DB_FILE)).unwrap();
    for seq in [5, 6] {
        let refused = db.execute("DELETE FROM inspections WHERE seq = ?1", [seq]);
        assert!(refused.is_err(), "seq {seq} deleted by hand");
    }
    let backwards = db.execute("UPDATE prune_anchor SET up_to_seq = 0 WHERE id = 1", []);
    assert!(backwards.is_err(), "the anchor moved back");
}
