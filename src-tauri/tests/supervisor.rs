//! The Supervisor screen's core against the real service: `icaze_server::Server`
//! in this process on a loopback port with a fixed clock, a supervisor made by
//! the administrator (`POST /v1/supervisors`), and an officer's `AppCore`
//! whose enrollment code the supervisor approves.
//!
//! Signed in through [`SupervisorSession`] (what the Tauri commands call), the
//! supervisor approves the device, sees it among those never synced, sees the
//! inspection it uploads in the list, the CSV and the hourly counts, revokes
//! the holder's document, suspends and resumes the device and imports its
//! export file; a wrong token and another precinct are refused with typed codes.

mod common;

use common::{at, json, Service, NOW};
use icaze_app::core::ManualRequest;
use icaze_app::supervisor::SupervisorSession;
use icaze_device::supervisor::{CodesFilter, HourlyFilter, InspectionFilter};
use serde_json::{json, Value};

/// Makes a supervisor of `precinct` as the administrator; returns their token.
fn add_supervisor(s: &Service, name: &str, precinct: &str) -> String {
    add_with_role(s, name, precinct, "supervisor")
}

/// Makes a supervisor with a role (`supervisor`, `investigator`); returns their token.
fn add_with_role(s: &Service, name: &str, precinct: &str, role: &str) -> String {
    let body = json!({ "name": name, "precinct": precinct, "role": role }).to_string();
    let answer = s.post_as_admin("/v1/supervisors", "application/json", body.into_bytes(), 201);
    answer["token"].as_str().unwrap().to_owned()
}

fn device_ids(devices: &Value) -> Vec<&str> {
    devices["devices"].as_array().unwrap().iter().map(|d| d["device_id"].as_str().unwrap()).collect()
}

#[test]
fn a_supervisor_approves_watches_revokes_and_imports_through_the_real_service() {
    let (s, permit) = Service::with_sms_permit();
    let sup_token = add_supervisor(&s, "aliyev", "P-12");
    let session = SupervisorSession::default();

    let signed_in = s.runtime.block_on(session.login(&s.url, &sup_token)).unwrap();
    assert_eq!(signed_in.whoami.role, "supervisor");
    assert_eq!(signed_in.whoami.name.as_deref(), Some("aliyev"));
    assert_eq!(signed_in.whoami.precinct.as_deref(), Some("P-12"));
    assert_eq!(signed_in.server, format!("{}/", s.url));

    // Approve the officer's device by its enrollment code.
    let mut officer = s.device("officer", "B-1042");
    let enrollment = officer.enrollment().unwrap();
    let approved = json(s.runtime.block_on(session.approve(&enrollment.code, "B-1042", "P-12")).unwrap());
    assert_eq!((approved["status"].as_str(), approved["badge"].as_str()), (Some("active"), Some("B-1042")));
    assert_eq!(approved["device_id"], enrollment.device_id.as_str());
    // Another precinct is not the supervisor's to approve for.
    let other = s.runtime.block_on(session.approve(&enrollment.code, "B-1042", "P-99")).unwrap_err();
    assert_eq!(other.code, "supervisor_forbidden", "{other:?}");

    // Never synced: listed among the stale devices.
    let stale = json(s.runtime.block_on(session.devices(Some(1))).unwrap());
    assert_eq!(device_ids(&stale), vec![enrollment.device_id.as_str()]);

    // The officer's first sync brings the data down; then the officer checks
    // the permit, records a violation and syncs again: the supervisor sees both.
    s.runtime.block_on(officer.sync_now(at(NOW))).unwrap();
    assert_eq!(json(officer.check_text(&permit, 1, at(NOW)).unwrap())["kind"], "valid");
    let violation = ManualRequest::Violation {
        protocol_number: "P-0001".into(),
        article: "211.2".into(),
        document: Some("AZE22222222".into()),
        zone: 1,
        note: None,
    };
    officer.record_manual(violation, at(NOW)).unwrap();
    let report = json(s.runtime.block_on(officer.sync_now(at(NOW))).unwrap());
    assert_eq!(report["acknowledged"], 2, "{report}");
    let stale = json(s.runtime.block_on(session.devices(Some(1))).unwrap());
    assert_eq!(device_ids(&stale), Vec::<&str>::new(), "synced just now");
    let all = json(s.runtime.block_on(session.devices(None)).unwrap());
    assert_eq!(device_ids(&all), vec![enrollment.device_id.as_str()]);

    let page = json(s.runtime.block_on(session.inspections(&InspectionFilter::default())).unwrap());
    let list = page["inspections"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{page}");
    let valid = list.iter().find(|r| r["verdict"] == "valid").unwrap_or_else(|| panic!("{page}"));
    assert_eq!((valid["officer"].as_str(), valid["precinct"].as_str()), (Some("B-1042"), Some("P-12")));
    let by_other_officer = InspectionFilter { officer: Some("B-9".into()), ..InspectionFilter::default() };
    let empty = json(s.runtime.block_on(session.inspections(&by_other_officer)).unwrap());
    assert_eq!(empty["inspections"].as_array().unwrap().len(), 0);
    let violations = InspectionFilter { violations: true, ..InspectionFilter::default() };
    let only = json(s.runtime.block_on(session.inspections(&violations)).unwrap());
    let only = only["inspections"].as_array().unwrap();
    assert_eq!(only.len(), 1, "{only:?}");
    assert_eq!((only[0]["input"].as_str(), only[0]["document"].as_str()), (Some("violation"), Some("AZE22222222")));
    let csv = s.runtime.block_on(session.inspections_csv(&violations)).unwrap();
    // The server's byte-order mark reaches the screen, which writes one, not two.
    let text = csv.strip_prefix('\u{feff}').unwrap_or_else(|| panic!("the export starts with a BOM: {csv}"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("device_id,precinct,seq,at,officer"), "{csv}");
    assert!(lines[1].contains(",B-1042,") && lines[1].contains("AZE22222222"), "{csv}");

    // The hour up to 11:00 (the end is exclusive, and the checks were made at 10:30).
    let day = HourlyFilter { to: Some("2020-12-15T11:00:00+04:00".into()), ..HourlyFilter::default() };
    let stats = json(s.runtime.block_on(session.hourly(&day)).unwrap());
    let hours = stats["hours"].as_array().unwrap();
    assert_eq!(hours.iter().map(|h| h["inspections"].as_u64().unwrap()).sum::<u64>(), 2, "{stats}");
    assert_eq!(hours.iter().map(|h| h["violations"].as_u64().unwrap()).sum::<u64>(), 1, "{stats}");
    assert_eq!(stats["officers"][0]["badge"], "B-1042", "{stats}");
    assert_eq!(stats["officers"][0]["inspections"], 2, "{stats}");
    // Another precinct's statistics are refused.
    let elsewhere = HourlyFilter { precinct: Some("P-99".into()), ..HourlyFilter::default() };
    assert_eq!(s.runtime.block_on(session.hourly(&elsewhere)).unwrap_err().code, "supervisor_forbidden");

    // Revoke the holder's document: the permit's serial is in the answer.
    let revoked =
        json(s.runtime.block_on(session.revoke(None, Some("AZE11111111".into()), "document stolen")).unwrap());
    assert_eq!(revoked["revoked"].as_array().unwrap().len(), 1, "{revoked}");
    assert!(revoked["version"].as_u64().unwrap() >= 2, "{revoked}");
    // The device learns of it at its next sync and judges the permit revoked.
    s.runtime.block_on(officer.sync_now(at(NOW))).unwrap();
    assert_eq!(json(officer.check_text(&permit, 1, at(NOW)).unwrap())["kind"], "revoked");
    let bad_document = s.runtime.block_on(session.revoke(None, Some("not a document".into()), "x")).unwrap_err();
    assert_eq!(bad_document.code, "supervisor_refused", "{bad_document:?}");

    // Suspend and resume.
    let id = enrollment.device_id.as_str();
    let suspended = json(s.runtime.block_on(session.set_suspended(id, true, "lost phone")).unwrap());
    assert_eq!(suspended["status"], "suspended");
    let resumed = json(s.runtime.block_on(session.set_suspended(id, false, "found")).unwrap());
    assert_eq!(resumed["status"], "active");

    // An export file of the officer's outbox is imported at the precinct.
    let exported = officer.export(at(NOW)).unwrap();
    assert_eq!(exported.records, 1, "the check made after the last sync");
    let receipt = json(s.runtime.block_on(session.import(std::fs::read(&exported.path).unwrap())).unwrap());
    assert_eq!((receipt["accepted"].as_u64(), receipt["channel"].as_str()), (Some(1), Some("file")), "{receipt}");
    let garbage = s.runtime.block_on(session.import(b"not an export".to_vec())).unwrap_err();
    assert_eq!(garbage.code, "supervisor_refused", "{garbage:?}");

    // The administrator signs in too, and sees every precinct.
    let admin = s.runtime.block_on(session.login(&format!("{}/", s.url), &s.admin_token())).unwrap();
    assert_eq!((admin.whoami.role.as_str(), admin.whoami.precinct), ("admin", None));
}

#[test]
fn a_wrong_token_is_refused_and_leaves_the_session_signed_out() {
    let s = Service::start();
    let session = SupervisorSession::default();
    let wrong = s.runtime.block_on(session.login(&s.url, "0123456789abcdef")).unwrap_err();
    assert_eq!(wrong.code, "supervisor_unauthorized", "{wrong:?}");
    assert!(!wrong.message.contains("0123456789abcdef"), "the token is not repeated: {}", wrong.message);
    assert_eq!(s.runtime.block_on(session.devices(None)).unwrap_err().code, "supervisor_signed_out");

    // A good sign-in followed by a bad one forgets the good one.
    s.runtime.block_on(session.login(&s.url, &s.admin_token())).unwrap();
    assert!(s.runtime.block_on(session.devices(None)).is_ok());
    assert!(s.runtime.block_on(session.login(&s.url, "nope")).is_err());
    assert_eq!(s.runtime.block_on(session.devices(None)).unwrap_err().code, "supervisor_signed_out");

    // Nothing listens on port 9 of loopback; a bad address is refused before any request.
    let closed = s.runtime.block_on(session.login("http://127.0.0.1:9", "token")).unwrap_err();
    assert_eq!(closed.code, "supervisor_unreachable", "{closed:?}");
    let ftp = s.runtime.block_on(session.login("ftp://127.0.0.1", "token")).unwrap_err();
    assert_eq!(ftp.code, "supervisor_bad_url");
}

/// The Codes view: a plain supervisor sees the day's code report with the
/// phone and document masked, an investigator sees them in full; both get the CSV.
#[test]
fn the_codes_view_masks_people_for_a_plain_supervisor_only() {
    let (s, _) = Service::with_sms_permit();
    let day = CodesFilter { day: Some("2020-12-15".into()), code: Some(2), baseline_days: Some(1) };
    let session = SupervisorSession::default();

    s.runtime.block_on(session.login(&s.url, &add_supervisor(&s, "bob", "P-12"))).unwrap();
    let masked = s.runtime.block_on(session.codes(&day)).unwrap();
    assert!(masked.masked && !masked.alert, "{masked:?}");
    assert_eq!((masked.hours.len(), masked.hours[0].code, masked.hours[0].permits), (1, 2, 1));
    assert_eq!(masked.top_phones[0].key, "+99450•••••33");
    assert_eq!(masked.top_documents[0].key, "AZ•••••••11");
    let csv = s.runtime.block_on(session.codes_csv(&day)).unwrap();
    assert_eq!(csv.lines().next(), Some("hour_utc,hour_baku,code,permits,refused,share_of_hour"));
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let bad = CodesFilter { day: Some("15.12.2020".into()), ..CodesFilter::default() };
    assert_eq!(s.runtime.block_on(session.codes(&bad)).unwrap_err().code, "supervisor_bad_input");

    let investigator = add_with_role(&s, "ana", "P-12", "investigator");
    let signed_in = s.runtime.block_on(session.login(&s.url, &investigator)).unwrap();
    assert!(signed_in.whoami.investigator);
    let full = s.runtime.block_on(session.codes(&day)).unwrap();
    assert!(!full.masked);
    assert_eq!((full.top_phones[0].key.as_str(), full.top_documents[0].key.as_str()), ("994501112233", "AZE11111111"));
}
