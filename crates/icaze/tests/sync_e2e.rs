//! Sync end to end: the real service (`icaze_server::Server`, in this process,
//! on a loopback port, with a fixed clock and its development authority) and
//! the real `icaze` executable for the device and the administrator.
//!
//! A device pinned to the service's root waits for approval, is approved with
//! `icaze admin device approve`, logs checks of an SMS permit, and syncs: the
//! service shows exactly its records, a second sync sends nothing again, a
//! revocation reaches the device, an export file imported at the precinct is
//! taken once, and a broken bundle download is resumed from its partial file.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{at, icaze, icaze_command, json_line, Service, NOW};
use serde_json::Value;

/// The service with the 20 synthetic people the SMS permits are asked for.
fn start() -> Service {
    Service::start().with_demo_people(20)
}

/// The directory of the device the `icaze device` commands work on.
fn device_dir(s: &Service) -> PathBuf {
    s.path("device")
}

fn device(s: &Service, args: &[&str]) -> Output {
    icaze(&[&["device", "--data", device_dir(s).to_str().unwrap()][..], args].concat())
}

/// `icaze device init` pinned to the service's root, with `args` after: the
/// enrollment code and the device id it prints.
fn init_device(s: &Service, args: &[&str]) -> (String, String) {
    let root = s.data().join("authority/root.public");
    let out = device(s, &[&["init", "--root", root.to_str().unwrap()][..], args].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).unwrap();
    let line = |prefix: &str| printed.lines().find_map(|l| l.strip_prefix(prefix)).unwrap().to_owned();
    (line("enrollment code "), line("device "))
}

fn sync(s: &Service) -> (i32, Value) {
    let out = device(s, &["sync", "--at", NOW]);
    (out.status.code().unwrap(), json_line(&out))
}

fn check(s: &Service, token: &str) -> Value {
    let out = device(s, &["check", "--zone", "1", "--at", NOW, token]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn inspections(s: &Service) -> Vec<Value> {
    let (code, answer) = s.admin(&["inspections"]);
    assert_eq!(code, 0, "{answer}");
    answer["inspections"].as_array().unwrap().clone()
}

fn seqs(records: &[Value]) -> Vec<u64> {
    let mut seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    seqs.sort_unstable();
    seqs
}

#[test]
fn a_device_syncs_with_the_real_service() {
    let s = start();
    let (code, device_id) = init_device(&s, &["--server", &s.url, "--officer", "B-1042"]);

    // Permits by SMS at 10:00, valid from 10:15; from here on both clocks say 10:30.
    let token = s.sms_permit("994501112233", "2 AZE11111111");
    let other = s.sms_permit("994501112244", "1 MYI1234567");
    s.clock.set(at(NOW));

    // Not approved yet: the records stay, the (public) bundle comes down.
    assert_eq!(check(&s, &token)["kind"], "no_data");
    let (code_1, report) = sync(&s);
    assert_eq!(code_1, 1, "{report}");
    assert_eq!((report["status"].as_str(), report["sent"].as_u64()), (Some("unknown"), Some(0)), "{report}");
    assert_eq!(report["outbox_left"], 1);
    assert_eq!(report["bundle"]["result"], "applied", "{report}");

    let (status, approved) = s.admin(&["device", "approve", &code, "--officer", "B-1042", "--precinct", "P-12"]);
    assert_eq!(status, 0, "{approved}");
    assert_eq!(
        (approved["device_id"].as_str(), approved["status"].as_str()),
        (Some(device_id.as_str()), Some("active"))
    );

    let valid = check(&s, &token);
    assert_eq!(valid["kind"], "valid", "{valid}");
    let serial = valid["permit"]["serial"].as_u64().unwrap();
    assert_eq!(check(&s, &other)["kind"], "wrong_zone");
    let (status, report) = sync(&s);
    assert_eq!(status, 0, "{report}");
    assert_eq!((report["status"].as_str(), report["badge"].as_str()), (Some("active"), Some("B-1042")));
    assert_eq!((report["sent"].as_u64(), report["accepted"].as_u64()), (Some(3), Some(3)), "{report}");
    assert_eq!((report["outbox_left"].as_u64(), report["acknowledged_seq"].as_u64()), (Some(0), Some(3)));

    let records = inspections(&s);
    assert_eq!(seqs(&records), [1, 2, 3], "exactly the device's records");
    assert!(records.iter().all(|r| r["device_id"] == device_id.as_str() && r["precinct"] == "P-12"));
    let token_file = s.data().join("admin-token");
    let csv = icaze(&[
        "admin",
        "--server",
        &s.url,
        "--token-file",
        token_file.to_str().unwrap(),
        "inspections",
        "--format",
        "csv",
    ]);
    assert!(csv.status.success());
    assert_eq!(String::from_utf8(csv.stdout).unwrap().lines().count(), 4, "a header and three rows");

    // A second sync sends nothing again.
    let (status, again) = sync(&s);
    assert_eq!(status, 0, "{again}");
    assert_eq!(
        (again["sent"].as_u64(), again["accepted"].as_u64(), again["requests"].as_u64()),
        (Some(0), Some(0), Some(1))
    );
    assert_eq!(inspections(&s).len(), 3);

    // A revocation reaches the device with the next sync.
    let (status, revoked) = s.admin(&["revoke", "--document", "AZE11111111", "--reason", "lost phone"]);
    assert_eq!(status, 0, "{revoked}");
    assert_eq!(revoked["revoked"], serde_json::json!([serial]));
    let (status, report) = sync(&s);
    assert_eq!(status, 0, "{report}");
    assert_eq!(report["bundle"]["result"], "applied", "{report}");
    assert_eq!(check(&s, &token)["kind"], "revoked");

    // Records carried on a file: imported once, twice changes nothing, and the device then sends nothing twice.
    check(&s, &other);
    let export = s.path("export.iczu");
    let out = device(&s, &["export", "--out", export.to_str().unwrap(), "--at", NOW]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_line(&out)["records"], 2, "records 4 (the revoked check) and 5");
    let (status, imported) = s.admin(&["import", export.to_str().unwrap()]);
    assert_eq!(status, 0, "{imported}");
    assert_eq!((imported["accepted"].as_u64(), imported["channel"].as_str()), (Some(2), Some("file")));
    let (_, twice) = s.admin(&["import", export.to_str().unwrap()]);
    assert_eq!((twice["accepted"].as_u64(), twice["duplicates"].as_u64()), (Some(0), Some(2)), "{twice}");
    assert_eq!(seqs(&inspections(&s)), [1, 2, 3, 4, 5]);
    let (_, report) = sync(&s);
    assert_eq!((report["sent"].as_u64(), report["outbox_left"].as_u64()), (Some(0), Some(0)), "{report}");

    // A refusal shows the server's code and exits 1.
    let (status, refused) = s.admin(&["device", "suspend", "nosuchdevice", "--reason", "test"]);
    assert_eq!((status, refused["code"].as_str()), (1, Some("device_not_found")), "{refused}");

    // A broken download: half of the next bundle is in the partial file; the sync asks for the rest.
    let (status, _) = s.admin(&["revoke", "--serial", "999999", "--reason", "test"]);
    assert_eq!(status, 0);
    let held = report["bundle"]["version"].as_u64().unwrap();
    let (code_200, headers, full) = s.get(&format!("/v1/bundle?since={held}"));
    assert_eq!(code_200, 200);
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let half = full.len() / 2;
    let dir = device_dir(&s);
    write_partial(&dir, &full[..half], &etag, held);
    let (status, report) = sync(&s);
    assert_eq!(status, 0, "{report}");
    assert_eq!(report["bundle"]["resumed_from"], half as u64, "{report}");
    assert_eq!(report["bundle"]["bytes"], full.len() as u64);
    assert!(!dir.join(icaze_device::PARTIAL_BUNDLE_FILE).exists());
    let status: Value = serde_json::from_slice(&device(&s, &["status", "--at", NOW]).stdout).unwrap();
    assert_eq!(status["revocations"], 2, "{status}");
}

/// The answer the device gives for a service card of `organisation` (its
/// `card_answer`, logged with the check).
fn card(s: &Service, organisation: &str) -> String {
    let args =
        ["manual", "--zone", "1", "--at", NOW, "service-card", "--organisation", organisation, "--card-number", "7"];
    let out = device(s, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let record = json_line(&out);
    let details = record["details"].as_array().unwrap();
    let answer = details.iter().find(|d| d["name"] == "card_answer").unwrap_or_else(|| panic!("{record}"));
    answer["value"].as_str().unwrap().to_owned()
}

/// Issue 23: the authorised organisations come down with the first (full)
/// bundle; a delta of a revocation only leaves them out, and the device still
/// finds them; one after all were removed reaches the device as an empty list.
#[test]
fn issue_23_the_organisations_come_down_once_and_so_does_their_removal() {
    use icaze_core::{AuthorisedOrganisation, AuthorisedOrganisations, TaxId};
    use icaze_server::store::PermitStore;
    let s = start();
    let metro = AuthorisedOrganisation {
        tax_id: TaxId::new(1_700_000_001).unwrap(),
        name: "Bakı Metropoliteni QSC".into(),
        sector: "nəqliyyat".into(),
        zones: Vec::new(),
        until: None,
    };
    s.store().replace_organisations(&AuthorisedOrganisations::new(vec![metro]).unwrap()).unwrap();
    init_device(&s, &["--server", &s.url, "--officer", "B-1042"]);
    s.clock.set(at(NOW));
    // A revocation before, so that the one after is no more than half of all: a delta.
    assert_eq!(s.admin(&["revoke", "--serial", "999998", "--reason", "test"]).0, 0);
    let (_, full) = sync(&s);
    assert_eq!((full["bundle"]["result"].as_str(), full["bundle"]["delta"].as_bool()), (Some("applied"), Some(false)));
    assert_eq!(card(&s, "1700000001"), "authorised");

    let (status, _) = s.admin(&["revoke", "--serial", "999999", "--reason", "test"]);
    assert_eq!(status, 0);
    let (_, delta) = sync(&s);
    assert_eq!((delta["bundle"]["result"].as_str(), delta["bundle"]["delta"].as_bool()), (Some("applied"), Some(true)));
    let (full_bytes, delta_bytes) =
        (full["bundle"]["bytes"].as_u64().unwrap(), delta["bundle"]["bytes"].as_u64().unwrap());
    // The delta holds all the full bundle does and a revoked serial more, but not the list.
    assert!(delta_bytes < full_bytes, "{delta_bytes} bytes against {full_bytes}");
    assert_eq!(card(&s, "1700000001"), "authorised", "the list kept through the delta");

    s.store().replace_organisations(&AuthorisedOrganisations::default()).unwrap();
    let (_, emptied) = sync(&s);
    assert_eq!(emptied["bundle"]["delta"].as_bool(), Some(true), "{emptied}");
    assert_eq!(card(&s, "1700000001"), "unknown", "none authorised now");
}

/// `icaze device` on the device directory `dir`.
fn device_at(dir: &Path, args: &[&str]) -> Output {
    icaze(&[&["device", "--data", dir.to_str().unwrap()][..], args].concat())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A phone copied (or restored from a backup) goes on logging checks that the
/// server holds other records under: its sync sends them, the server keeps
/// them apart and flags the device, and nothing leaves the copy's outbox that
/// the server did not take.
#[test]
fn a_copied_phone_sends_its_records_and_the_server_keeps_them_apart() {
    let s = start();
    let (code, _) = init_device(&s, &["--server", &s.url, "--officer", "B-1042"]);
    let first = s.sms_permit("994501112233", "2 AZE11111111");
    // Zones 2 and 7: wrong in zone 1, and logged all the same.
    let second = s.sms_permit("994501112244", "2 MYI1234567");
    let third = s.sms_permit("994501112255", "2 DYI7654321");
    s.clock.set(at(NOW));
    let (status, approved) = s.admin(&["device", "approve", &code, "--officer", "B-1042", "--precinct", "P-12"]);
    assert_eq!(status, 0, "{approved}");
    check(&s, &first);
    let (status, report) = sync(&s);
    assert_eq!((status, report["acknowledged_seq"].as_u64()), (0, Some(1)), "{report}");

    // The copy is made; both phones then log a check of their own as record 2.
    let copy = s.path("copy");
    copy_dir(&device_dir(&s), &copy);
    check(&s, &second);
    let (status, report) = sync(&s);
    assert_eq!((status, report["accepted"].as_u64(), report["diverged"].as_bool()), (0, Some(1), Some(false)));
    let out = device_at(&copy, &["check", "--zone", "1", "--at", NOW, &third]);
    let verdict: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdict["kind"], "wrong_zone", "{verdict}");

    let out = device_at(&copy, &["sync", "--at", NOW]);
    let report = json_line(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(
        (report["sent"].as_u64(), report["conflicts"].as_u64(), report["outbox_left"].as_u64()),
        (Some(1), Some(1), Some(0)),
        "the copy's record 2 went up and was kept apart: {report}"
    );
    assert_eq!(report["diverged"], true, "{report}");
    assert!(report["flags"].as_array().unwrap().iter().any(|f| f == "fork"), "{report}");
    let (status, devices) = s.admin(&["devices"]);
    assert_eq!(status, 0, "{devices}");
    let listed = &devices["devices"][0];
    assert_eq!((listed["fork_seq"].as_u64(), listed["conflicts"].as_u64()), (Some(2), Some(1)), "{devices}");
    assert_eq!(seqs(&inspections(&s)), [1, 2], "the original's log, the copy's record apart");

    // The original goes on as before: its status request still drops what the server holds.
    let (status, report) = sync(&s);
    assert_eq!((status, report["sent"].as_u64(), report["diverged"].as_bool()), (0, Some(0), Some(false)), "{report}");
}

fn write_partial(dir: &Path, bytes: &[u8], etag: &str, since: u64) {
    std::fs::write(dir.join(icaze_device::PARTIAL_BUNDLE_FILE), bytes).unwrap();
    let meta = serde_json::json!({ "etag": etag, "since": since });
    std::fs::write(dir.join(icaze_device::PARTIAL_BUNDLE_META), meta.to_string()).unwrap();
}

#[test]
fn supervisors_suspensions_and_refusals_through_icaze_admin() {
    let s = start();
    s.clock.set(at(NOW));
    let (code, device_id) = init_device(&s, &["--officer", "B-7"]);

    let (status, who) = s.admin(&["whoami"]);
    assert_eq!((status, who["role"].as_str()), (0, Some("admin")), "{who}");
    let (status, added) = s.admin(&["supervisor", "add", "aliyev", "--precinct", "P-12"]);
    assert_eq!(status, 0, "{added}");
    let supervisor = added["token"].as_str().unwrap().to_owned();
    assert_eq!(added["role"], "supervisor");
    let (status, added) = s.admin(&["supervisor", "add", "mammadova", "--precinct", "P-12", "--role", "investigator"]);
    assert_eq!((status, added["role"].as_str()), (0, Some("investigator")), "{added}");

    // The supervisor's token, from the environment.
    let as_supervisor = |args: &[&str]| {
        let out = icaze_command(&[&["admin", "--server", &s.url][..], args].concat())
            .env("ICAZE_TOKEN", &supervisor)
            .output()
            .unwrap();
        (out.status.code().unwrap(), json_line(&out))
    };
    let (status, who) = as_supervisor(&["whoami"]);
    assert_eq!((status, who["role"].as_str(), who["precinct"].as_str()), (0, Some("supervisor"), Some("P-12")));
    let (status, refused) = as_supervisor(&["device", "approve", &code, "--officer", "B-7", "--precinct", "P-99"]);
    assert_eq!((status, refused["status"].as_u64(), refused["code"].as_str()), (1, Some(403), Some("forbidden")));
    let (status, approved) = as_supervisor(&["device", "approve", &code, "--officer", "B-7", "--precinct", "P-12"]);
    assert_eq!((status, approved["device_id"].as_str()), (0, Some(device_id.as_str())), "{approved}");

    let (status, stale) = as_supervisor(&["devices", "--not-synced-hours", "1"]);
    assert_eq!((status, stale["devices"].as_array().map(Vec::len)), (0, Some(1)), "never synced: {stale}");

    // Suspended: the sync is refused, the records stay on the device.
    device(&s, &["manual", "--zone", "1", "--at", NOW, "danger", "--what", "fire"]);
    let (status, _) = as_supervisor(&["device", "suspend", &device_id, "--reason", "phone reported lost"]);
    assert_eq!(status, 0);
    let out = device(&s, &["sync", "--server", &s.url, "--at", NOW]);
    let report = json_line(&out);
    assert_eq!((out.status.code(), report["status"].as_str()), (Some(1), Some("suspended")), "{report}");
    assert_eq!(report["outbox_left"], 1);
    let (status, _) = as_supervisor(&["device", "resume", &device_id, "--reason", "phone found"]);
    assert_eq!(status, 0);
    let out = device(&s, &["sync", "--server", &s.url, "--at", NOW]);
    let report = json_line(&out);
    assert_eq!((out.status.code(), report["accepted"].as_u64()), (Some(0), Some(1)), "{report}");

    let (status, stale) = as_supervisor(&["devices", "--not-synced-hours", "1"]);
    assert_eq!((status, stale["devices"].as_array().map(Vec::len)), (0, Some(0)), "synced now: {stale}");
    let (status, stats) =
        as_supervisor(&["stats", "--from", "2020-12-15T00:00:00+04:00", "--to", "2020-12-16T00:00:00+04:00"]);
    assert_eq!(status, 0, "{stats}");
    assert_eq!(stats["officers"][0]["badge"], "B-7", "{stats}");
    let (status, list) = as_supervisor(&["inspections", "--officer", "B-7", "--from", "2020-12-15T00:00:00+04:00"]);
    assert_eq!((status, list["inspections"].as_array().map(Vec::len)), (0, Some(1)), "{list}");

    // Removed: the token stops working at once.
    let (status, _) = s.admin(&["supervisor", "remove", "aliyev"]);
    assert_eq!(status, 0);
    let (status, refused) = as_supervisor(&["whoami"]);
    assert_eq!((status, refused["code"].as_str()), (1, Some("unauthenticated")), "{refused}");

    // Cannot run: no credential, or nobody at the address.
    let out = icaze(&["admin", "--server", &s.url, "whoami"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token-file"));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = icaze(&["admin", "--server", &format!("http://127.0.0.1:{port}"), "--token", "x", "whoami"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_large_outbox_goes_up_in_batches_through_the_library_client() {
    let s = start();
    s.clock.set(at(NOW));
    let root_text = std::fs::read_to_string(s.data().join("authority/root.public")).unwrap();
    let root = icaze_authority::read_public_key(&root_text).unwrap();
    let dir = device_dir(&s);
    let config = icaze_device::InitConfig { root, server: Some(s.url.clone()), officer: None };
    let mut device = icaze_device::Device::init(&dir, &config, at(NOW)).unwrap();
    let (status, _) =
        s.admin(&["device", "approve", &device.enrollment_code().to_string(), "--officer", "B-1", "--precinct", "P-1"]);
    assert_eq!(status, 0);
    let scene = icaze_device::Scene {
        at: at(NOW),
        zone: icaze_core::ZoneId::new(1).unwrap(),
        officer: icaze_device::OfficerBadge::new("B-1").unwrap(),
        location: None,
    };
    let n = 1201;
    for i in 0..n {
        let check = icaze_device::ManualCheck::ImminentDanger { note: format!("check {i}") };
        device.record_manual(&check, &scene, &icaze_device::Notes::default()).unwrap();
    }
    let client = icaze_device::SyncClient::new(&s.url, icaze_device::SyncConfig::default()).unwrap();
    let report = s.runtime.block_on(client.sync(&mut device, at(NOW))).unwrap();
    assert_eq!(report.enrollment, icaze_device::Enrollment::Active);
    assert_eq!((report.sent, report.accepted, report.duplicates), (n, n, 0));
    assert_eq!(report.requests, 4, "a status request and batches of 500, 500 and 201");
    assert_eq!((report.acknowledged_seq, report.high_water, report.outbox_left), (n, n, 0));
    let (status, page) = s.admin(&["inspections", "--limit", "10000"]);
    assert_eq!(status, 0);
    assert_eq!(seqs(page["inspections"].as_array().unwrap()), (1..=n).collect::<Vec<_>>());
}

/// A CA, a server certificate it signs for `localhost` and `127.0.0.1`, and the
/// server's key, as PEM: (ca, server chain, server key).
fn certificates(name: &str) -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name.push(rcgen::DnType::CommonName, format!("{name} CA"));
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();
    (ca_cert.pem(), server_cert.pem(), server_key.serialize_pem())
}

#[test]
fn over_tls_a_device_syncs_with_the_pinned_server_only() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let (ca, chain, key) = certificates("Icaze test");
    let (ca_file, cert_file, key_file) = (file("ca.pem", &ca), file("server.pem", &chain), file("server.key", &key));
    let stranger = file("stranger-ca.pem", &certificates("Stranger").0);
    let s = Service::start_with(|c| c.tls = Some(icaze_server::TlsFiles { cert: cert_file, key: key_file.clone() }));
    s.clock.set(at(NOW));
    let https = format!("https://localhost:{}", s.addr().port());
    let root = s.data().join("authority/root.public");
    let root = root.to_str().unwrap();

    // Plain HTTP gets no answer from a TLS port.
    assert!(s.runtime.block_on(reqwest::Client::new().get(format!("{}/healthz", s.url)).send()).is_err());

    // A device pinned to the server's CA enrols, checks, and syncs over TLS.
    let pinned = s.path("pinned");
    let init = |dir: &Path, server: &str, ca: &Path| {
        device_at(
            dir,
            &["init", "--root", root, "--server", server, "--officer", "B-1", "--server-ca", ca.to_str().unwrap()],
        )
    };
    let out = init(&pinned, &https, &ca_file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let code = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("enrollment code "))
        .unwrap()
        .to_owned();
    let admin = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).unwrap())
        .build()
        .unwrap();
    let approved = s.runtime.block_on(async {
        let response = admin
            .post(format!("{https}/v1/devices"))
            .bearer_auth(s.admin_token())
            .body(serde_json::json!({"code": code, "badge": "B-1", "precinct": "P-1"}).to_string())
            .send()
            .await
            .unwrap();
        response.status()
    });
    assert_eq!(approved, 201);
    assert!(device_at(&pinned, &["check", "--zone", "1", "--at", NOW, "not a permit"]).status.code().is_some());
    let out = device_at(&pinned, &["sync", "--at", NOW]);
    let report = json_line(&out);
    assert!(out.status.success(), "{report} {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!((report["accepted"].as_u64(), report["outbox_left"].as_u64()), (Some(1), Some(0)), "{report}");

    // A device pinned to another CA, as on a hostile network: refused at once, nothing sent, nothing lost.
    let misled = s.path("misled");
    assert!(init(&misled, &https, &stranger).status.success());
    device_at(&misled, &["check", "--zone", "1", "--at", NOW, "not a permit"]);
    let out = device_at(&misled, &["sync", "--at", NOW]);
    let refused = json_line(&out);
    assert_eq!(
        (out.status.success(), refused["code"].as_str()),
        (false, Some("untrusted_server")),
        "{refused} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: Value = serde_json::from_slice(&device_at(&misled, &["status", "--at", NOW]).stdout).unwrap();
    assert_eq!(status["outbox"], 1, "{status}");

    // A pin needs https, and a file that is no certificate leaves no device behind.
    let out = init(&s.path("plain"), &s.url, &ca_file);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("https://"));
    let out = init(&s.path("keyed"), &https, &key_file);
    assert!(!out.status.success(), "a private key is not a certificate");
    assert!(!s.path("keyed").join(icaze_device::DB_FILE).exists());
}
