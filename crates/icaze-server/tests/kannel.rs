//! Citizens' SMS through a real SMS gateway: Debian's Kannel (bearerbox and
//! smsbox with a fake SMSC driven by `fakesmsc`) in front of the service on
//! loopback. Needs `apt-get install kannel kannel-extras` (done by `.ci/run`).

use icaze_core::{evaluate, Check, Status, TrustList, ZoneId};
use icaze_testkit::service::{at, TestService};
use icaze_testkit::Kannel;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_through_kannel_get_their_replies_and_permits_verify() {
    let mut service = TestService::start(at("2020-12-15T10:00:00+04:00"), |_| {}).await;
    service.import_demo_people(10);
    service.import_demo_denials();
    let data = service.data();

    let url = service.url("/sms/8103");
    let messages: Vec<(&str, &str)> = vec![
        ("994501000001", "2 AZE11111111"),
        ("994501000001", "2 AZE11111111"),
        ("994501000003", "  1,  myı 1234567 "),
        ("994501000004", "salam, icaze lazimdir"),
        ("994501000005", "2 AZE99999999"),
        ("994501000006", "2 АZЕ50000001"),
        ("994501000007", "2 AZE44444444"),
    ];
    let replies = tokio::task::spawn_blocking(move || {
        let kannel = Kannel::start(&url).expect("Kannel starts (apt-get install kannel kannel-extras)");
        let replies = kannel.send_batch(&messages);
        replies.unwrap_or_else(|e| panic!("{e}\n{}", kannel.log_tail()))
    })
    .await
    .unwrap();

    let root = icaze_authority::read_public_key(&std::fs::read_to_string(data.join("authority/root.public")).unwrap())
        .unwrap();
    let trust = TrustList::verify_bytes(&std::fs::read(data.join("authority/trustlist")).unwrap(), &root).unwrap();
    let check = |reply: &str, zone: u16| {
        let verdict = evaluate(reply, &trust, &Check { at: at("2020-12-15T11:00:00+04:00"), zone: ZoneId::new(zone) });
        assert_eq!(verdict.status, Status::Valid, "{reply}: {:?}", verdict.reasons);
        verdict.permit.unwrap().claims().serial()
    };
    // A whole reply, as it came through the gateway, verifies offline.
    let first = check(&replies[0], 1);
    assert_eq!(check(&replies[1], 1), first, "a repeated request from the same phone gets the same permit");
    check(&replies[2], 2);
    // AZE50000001 is synthetic person 1 of the demo registry, registered in zone 2.
    check(&replies[5], 2);
    assert!(replies[3].contains("2 AZE11111111") && !replies[3].contains("IZ2"), "{}", replies[3]);
    assert!(replies[4].contains("AZE99999999") && !replies[4].contains("IZ2"), "{}", replies[4]);
    assert!(replies[6].contains("9108") && !replies[6].contains("IZ2"), "{}", replies[6]);
    for reply in &replies {
        assert!(reply.len() <= 160 && reply.is_ascii(), "one GSM-7 SMS: {reply:?}");
    }
    service.stop().await;
}
