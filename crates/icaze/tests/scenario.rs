//! The whole scenario, end to end, with the real parts: a citizen's SMS goes
//! through a real SMS gateway (Debian's Kannel with its fake SMSC) to the
//! service; the permit in the reply becomes a QR image; an officer's device,
//! enrolled and synced, decodes the image and judges it VALID, logging the
//! inspection; the device syncs and the supervisor API shows the inspection;
//! the permit is revoked; the device syncs again and the same QR image is now
//! REVOKED.
//!
//! Needs `apt-get install kannel kannel-extras` (done by `.ci/run`).

use icaze_core::ZoneId;
use icaze_device::{Device, InitConfig, Notes, OfficerBadge, Scene, SyncClient, SyncConfig, VerdictKind};
use icaze_testkit::service::{at, TestService};
use icaze_testkit::Kannel;
use serde_json::{json, Value};

async fn post(url: &str, token: &str, body: Value) -> Value {
    let response =
        reqwest::Client::new().post(url).bearer_auth(token).body(body.to_string()).send().await.expect("the service");
    let status = response.status();
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert!(status.is_success(), "{url}: {status} {body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_to_qr_to_verdict_to_supervisor_to_revocation() {
    // The service, its clock at 10:00 on the second day of the December 2020 regime.
    let mut service = TestService::start(at("2020-12-15T10:00:00+04:00"), |_| {}).await;
    service.import_demo_people(10);
    let (data, clock, base, admin) = (service.data(), service.clock().clone(), service.url(""), service.admin_token());

    // 1. The citizen texts "2 AZE11111111" to 8103; the reply comes back through Kannel.
    let sms_url = format!("{base}/sms/8103");
    let reply = tokio::task::spawn_blocking(move || {
        let kannel = Kannel::start(&sms_url).expect("Kannel starts (apt-get install kannel kannel-extras)");
        kannel.send("994501234567", "2 AZE11111111").unwrap_or_else(|e| panic!("{e}\n{}", kannel.log_tail()))
    })
    .await
    .unwrap();
    assert!(reply.len() <= 160, "one SMS: {reply}");
    let token = icaze_core::UnverifiedPermit::find_in_text(&reply).expect("a permit in the reply").token().clone();

    // 2. The citizen shows it as a QR code: the image the officer's camera would give.
    let png = icaze_qr::encode(&token.to_qr_digits()).unwrap().to_png(4).unwrap();

    // 3. The officer's device: pinned to the root, enrolled by the supervisor, synced.
    let root = icaze_authority::read_public_key(&std::fs::read_to_string(data.join("authority/root.public")).unwrap())
        .unwrap();
    let device_dir = service.path("device");
    let config = InitConfig { root, server: Some(base.clone()), officer: Some(OfficerBadge::new("B-1042").unwrap()) };
    let mut device = Device::init(&device_dir, &config, at("2020-12-15T10:00:00+04:00")).unwrap();
    let code = device.enrollment_code().to_string();
    post(&format!("{base}/v1/devices"), &admin, json!({"code": code, "badge": "B-1042", "precinct": "P-12"})).await;
    let client = SyncClient::new(&base, SyncConfig::default()).unwrap();

    // The permit is valid from 10:15; the officer checks it at 10:30.
    clock.set(at("2020-12-15T10:30:00+04:00"));
    let now = at("2020-12-15T10:30:00+04:00");
    client.sync(&mut device, now).await.expect("the first sync");
    let scene =
        Scene { at: now, zone: ZoneId::new(1).unwrap(), officer: OfficerBadge::new("B-1042").unwrap(), location: None };
    let scanned = icaze_qr::decode_image(&png).expect("the QR image decodes");
    assert_eq!(scanned.len(), 1);
    let verdict = device.check(&scanned[0], &scene, &Notes::default()).unwrap();
    assert_eq!(verdict.kind, VerdictKind::Valid, "{:?}", verdict.reasons);
    assert_eq!(verdict.seq, Some(1), "logged before it was shown");
    let serial = verdict.permit.as_ref().unwrap().claims().serial().0;

    // 4. The device syncs; the supervisor sees the inspection.
    let report = client.sync(&mut device, now).await.expect("the second sync");
    assert_eq!(report.acknowledged_seq, 1);
    let p12 = post(&format!("{base}/v1/supervisors"), &admin, json!({"name": "S-1", "precinct": "P-12"})).await;
    let supervisor = p12["token"].as_str().unwrap().to_owned();
    let listed: Value = serde_json::from_slice(
        &reqwest::Client::new()
            .get(format!("{base}/v1/inspections"))
            .bearer_auth(&supervisor)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let inspections = listed["inspections"].as_array().unwrap();
    assert_eq!(inspections.len(), 1, "{listed}");
    assert_eq!(
        (inspections[0]["serial"].as_u64(), inspections[0]["verdict"].as_str(), inspections[0]["officer"].as_str()),
        (Some(u64::from(serial)), Some("valid"), Some("B-1042"))
    );

    // 5. The permit is revoked; the next sync carries it to the device.
    post(&format!("{base}/v1/revocations"), &supervisor, json!({"serial": serial, "reason": "reported infected"}))
        .await;
    clock.set(at("2020-12-15T10:40:00+04:00"));
    let later = at("2020-12-15T10:40:00+04:00");
    client.sync(&mut device, later).await.expect("the third sync");
    let again = device.check(&scanned[0], &Scene { at: later, ..scene }, &Notes::default()).unwrap();
    assert_eq!(again.kind, VerdictKind::Revoked, "{:?}", again.reasons);
    assert!(device.verify_chain().unwrap().is_ok());
    service.stop().await;
}
