//! The SMS service end to end over real HTTP on loopback, with a real SQLite
//! file in a directory of each test's own, and a fixed clock.

use std::sync::Arc;

use icaze_core::{evaluate, Check, Status, TrustList, UtcMinute, ZoneId};
use icaze_server::{FixedClock, ServeConfig};
use icaze_testkit::service::{at, TestService};

struct Service {
    svc: TestService,
    clock: Arc<FixedClock>,
    client: reqwest::Client,
}

impl Service {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A service with 50 synthetic people and the synthetic deny list.
    async fn start_with(configure: impl FnOnce(&mut ServeConfig)) -> Self {
        let svc = TestService::start(at("2020-12-15T10:00:00+04:00"), configure).await;
        svc.import_demo_people(50);
        svc.import_demo_denials();
        let clock = svc.clock().clone();
        Self { svc, clock, client: reqwest::Client::new() }
    }

    fn data(&self) -> std::path::PathBuf {
        self.svc.data()
    }

    fn url(&self, path: &str) -> String {
        self.svc.url(path)
    }

    async fn sms(&self, from: &str, text: &str) -> String {
        let response =
            self.client.get(self.url("/sms/8103")).query(&[("from", from), ("text", text)]).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
        response.text().await.unwrap()
    }

    fn trust(&self) -> TrustList {
        let dir = self.data().join("authority");
        let root =
            icaze_authority::read_public_key(&std::fs::read_to_string(dir.join("root.public")).unwrap()).unwrap();
        TrustList::verify_bytes(&std::fs::read(dir.join("trustlist")).unwrap(), &root).unwrap()
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.data().join("icaze.db")).unwrap()
    }

    fn permits(&self) -> i64 {
        self.db().query_row("SELECT count(*) FROM permits", [], |r| r.get(0)).unwrap()
    }
}

fn token(reply: &str) -> &str {
    reply.split(' ').find(|w| w.starts_with("IZ2")).unwrap_or_else(|| panic!("no token in {reply:?}"))
}

#[tokio::test]
async fn a_permit_by_sms_verifies_offline() {
    let s = Service::start().await;
    let reply = s.sms("994501112233", "2 AZE11111111").await;
    assert!(reply.len() <= 160 && reply.is_ascii(), "one GSM-7 SMS: {reply:?}");
    assert!(reply.contains("AZE11111111") && reply.contains("10:15-13:15"), "15 minutes activation delay: {reply}");
    let trust = s.trust();
    let valid = evaluate(token(&reply), &trust, &Check { at: at("2020-12-15T10:30:00+04:00"), zone: ZoneId::new(1) });
    assert_eq!(valid.status, Status::Valid, "{:?}", valid.reasons);
    let claims = valid.permit.unwrap().claims().clone();
    assert_eq!(claims.issued_at(), at("2020-12-15T10:00:00+04:00"));
    let early = evaluate(token(&reply), &trust, &Check { at: at("2020-12-15T10:05:00+04:00"), zone: None });
    assert_eq!(early.status, Status::NotYetValid);
    assert_eq!(s.permits(), 1);
}

#[tokio::test]
async fn with_the_citizen_page_configured_the_token_is_a_link_to_it() {
    let link = icaze_server::sms::PageLink::parse("https://icaze.az/p").unwrap();
    let s = Service::start_with(|config| config.sms.page_link = Some(link)).await;
    let trust = s.trust();
    let check = Check { at: at("2020-12-15T10:30:00+04:00"), zone: ZoneId::new(1) };
    for (text, label) in [("2 AZE11111111", "Icaze"), ("RU 2 AZE11111111", "Propusk"), ("EN 1 AZE11111111", "Permit")] {
        let reply = s.sms("994501112233", text).await;
        assert!(reply.len() <= 160 && reply.is_ascii(), "one GSM-7 SMS: {reply:?}");
        let (before, token) = reply.split_once("icaze.az/p#").unwrap_or_else(|| panic!("no link in {reply:?}"));
        assert_eq!(before, format!("{label} AZE11111111 15.12 10:15-13:15 "));
        assert!(token.starts_with("IZ2") && !token.contains(' '), "{reply}");
        // Verifiers find the token in the whole reply (docs/token-format.md §2.3).
        assert_eq!(evaluate(&reply, &trust, &check).status, Status::Valid, "{reply}");
        assert_eq!(evaluate(token, &trust, &check).status, Status::Valid, "{reply}");
    }
    // Not configured: the bare token, as the other tests see it.
    let plain = Service::start().await;
    assert!(plain.sms("994501112233", "2 AZE11111111").await.starts_with("Icaze AZE11111111 15.12 10:15-13:15 IZ2"));
}

#[tokio::test]
async fn code_2_once_a_day_and_the_same_permit_again_while_valid() {
    let s = Service::start().await;
    let first = s.sms("994501112233", "2 AZE11111111").await;
    let again = s.sms("994501112233", "2 aze11111111").await;
    assert_eq!(token(&first), token(&again), "a repeated request gets the same permit, not a new one");
    s.clock.set(at("2020-12-15T14:00:00+04:00"));
    let later = s.sms("994501112233", "2 AZE11111111").await;
    assert!(!later.contains("IZ2"), "the day's code 2 is used: {later}");
    assert_eq!(s.permits(), 1);
    // Code 1 has its own limit (3 a day in this regime).
    for _ in 0..3 {
        assert!(s.sms("994501112233", "1 AZE11111111").await.contains("IZ2"));
        s.clock.set(UtcMinute::from_unix_minutes(s.clock.0.load(std::sync::atomic::Ordering::SeqCst) + 200));
    }
    // The third code 1 permit (20:55-23:55) is sent again while it is valid, then no more.
    s.clock.set(at("2020-12-15T23:50:00+04:00"));
    let repeat = s.sms("994501112233", "1 AZE11111111").await;
    assert!(repeat.contains("20:55-23:55"), "{repeat}");
    s.clock.set(at("2020-12-15T23:58:00+04:00"));
    assert!(!s.sms("994501112233", "1 AZE11111111").await.contains("IZ2"));
    // A new day in Baku.
    s.clock.set(at("2020-12-16T00:00:00+04:00"));
    assert!(s.sms("994501112233", "2 AZE11111111").await.contains("IZ2"));
    assert_eq!(s.permits(), 5);
}

#[tokio::test]
async fn the_daily_limit_holds_under_concurrency() {
    let s = Arc::new(Service::start().await);
    let mut tasks = Vec::new();
    for i in 0..64 {
        let s = s.clone();
        // Distinct phones, so only the per-document limit decides.
        tasks.push(tokio::spawn(async move { s.sms(&format!("99450{i:07}"), "2 AZE11111111").await }));
    }
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    let (with_token, without): (Vec<_>, Vec<_>) = replies.iter().partition(|r| r.contains("IZ2"));
    assert_eq!(with_token.len(), 1, "64 simultaneous requests, one permit, to one phone: {with_token:?}");
    // The other 63 phones are told nothing of it: not its window, not its token.
    assert!(without.iter().all(|r| !r.contains("10:15") && r.contains("9108")), "{without:?}");
    assert_eq!(s.permits(), 1);
}

/// A reply with its document number replaced, to compare refusals of different documents.
fn shape(reply: &str, document: &str) -> String {
    reply.replace(document, "DOC")
}

#[tokio::test]
async fn the_permit_goes_only_to_the_phone_that_got_it() {
    let s = Service::start().await;
    let owner = s.sms("994501112233", "2 AZE11111111").await;
    assert!(owner.contains("IZ2"), "{owner}");
    // Another phone that knows the document number: no token, no window, and the
    // very reply an unknown document gets, so it learns nothing.
    let other = s.sms("994559998877", "2 AZE11111111").await;
    assert!(!other.contains("IZ2") && !other.contains("10:15"), "{other}");
    let unknown = s.sms("994559998877", "2 AZE99999999").await;
    assert_eq!(shape(&other, "AZE11111111"), shape(&unknown, "AZE99999999"));
    // Also after the day's permit has expired (the daily limit would tell that one was given).
    s.clock.set(at("2020-12-15T14:00:00+04:00"));
    let late = s.sms("994559998877", "2 AZE11111111").await;
    assert_eq!(shape(&late, "AZE11111111"), shape(&unknown, "AZE99999999"));
    s.clock.set(at("2020-12-15T11:00:00+04:00"));
    // The owner's phone gets it again, however the gateway writes the number.
    for from in ["994501112233", "+994501112233"] {
        assert_eq!(token(&s.sms(from, "2 AZE11111111").await), token(&owner), "{from}");
    }
    assert_eq!(s.permits(), 1);
}

#[tokio::test]
async fn refusals_that_rest_on_registries_read_the_same() {
    let april = icaze_server::regime::Regime::from_toml(icaze_server::regime::APRIL_2020_REGIME).unwrap();
    let december = Service::start().await;
    let rehearsal = Service::start_with(|c| c.rehearsal = Some(april.moved_to(at("2020-12-15T00:00:00+04:00")))).await;
    let unknown = shape(&december.sms("994501112233", "2 AZE99999999").await, "AZE99999999");
    assert!(unknown.starts_with("DOC: ") && unknown.contains("9108"), "{unknown}");
    let cases = [
        (&december, "AZE44444444", "on the deny list"),
        (&december, "AZE33333333", "registered where the regime restricts nothing"),
        (&rehearsal, "AZE22222222", "over the age limit"),
        (&rehearsal, "AZE99999999", "unknown, under another regime"),
    ];
    for (service, document, what) in cases {
        let reply = service.sms("994501112233", &format!("2 {document}")).await;
        assert_eq!(shape(&reply, document), unknown, "{document} ({what}) reads like an unknown document");
    }
    let english = december.sms("994501112233", "EN 2 AZE44444444").await;
    assert_eq!(
        shape(&english, "AZE44444444"),
        shape(&december.sms("994501112233", "EN 2 AZE99999999").await, "AZE99999999")
    );
    assert_eq!(december.permits() + rehearsal.permits(), 0);
}

#[tokio::test]
async fn refusals_say_what_to_do_and_issue_nothing() {
    let s = Service::start().await;
    let cases = [
        ("salam", "2 AZE11111111"),
        ("", "2 AZE11111111"),
        ("2 AZE99999999", "9108"),
        ("2 AZE44444444", "9108"),
        ("2 AZE33333333", "9108"),
        ("7 AZE11111111", "1 ve ya 2"),
        ("2 AZE11111111 AZE22222222", ""),
    ];
    for (text, hint) in cases {
        let reply = s.sms("994501112233", text).await;
        assert!(!reply.contains("IZ2"), "{text:?} -> {reply}");
        assert!(reply.contains(hint), "{text:?} -> {reply} should mention {hint:?}");
        assert!(reply.len() <= 160 && reply.is_ascii(), "{reply}");
    }
    let denied = s.sms("994501112233", "2 AZE44444444").await;
    assert!(!denied.to_lowercase().contains("infect"), "no health detail: {denied}");
    assert_eq!(s.permits(), 0);
}

#[tokio::test]
async fn issue_19_russian_on_request_in_latin_or_cyrillic() {
    let s = Service::start().await;
    let reply = s.sms("994501112233", "RU 2 AZE11111111").await;
    assert!(reply.starts_with("Propusk AZE11111111 ") && reply.contains("IZ2"), "{reply}");
    assert!(reply.len() <= 160 && reply.is_ascii(), "one GSM-7 SMS: {reply}");
    let help = s.sms("994501112233", "РУ привет").await;
    assert!(help.contains("RU 2 AZE11111111") && help.is_ascii(), "{help}");
    let refused = s.sms("994501112233", "рус 2 AZE99999999").await;
    assert!(refused.contains("9108") && !refused.contains("IZ2") && refused.is_ascii(), "{refused}");
}

#[tokio::test]
async fn english_on_request() {
    let s = Service::start().await;
    let reply = s.sms("994501112233", "EN 2 MYİ1234567").await;
    assert!(reply.contains("MYI1234567") && reply.contains("IZ2"), "{reply}");
    let help = s.sms("994501112233", "EN hello").await;
    assert!(help.contains("2 AZE11111111"), "{help}");
}

#[tokio::test]
async fn outside_every_regime_no_permit_is_needed() {
    let s = Service::start().await;
    s.clock.set(at("2021-02-01T10:00:00+04:00"));
    let reply = s.sms("994501112233", "2 AZE11111111").await;
    assert!(!reply.contains("IZ2"), "{reply}");
    assert_eq!(s.permits(), 0);
}

#[tokio::test]
async fn a_rehearsal_of_april_2020_refuses_the_over_65s() {
    let april = icaze_server::regime::Regime::from_toml(icaze_server::regime::APRIL_2020_REGIME).unwrap();
    let s = Service::start_with(|c| c.rehearsal = Some(april.moved_to(at("2020-12-15T00:00:00+04:00")))).await;
    let old = s.sms("994501112233", "2 AZE22222222").await;
    assert!(!old.contains("IZ2") && old.contains("9108"), "{old}");
    let young = s.sms("994501112233", "2 AZE11111111").await;
    assert!(young.contains("IZ2") && young.contains("10:00-12:00"), "no delay, 2 hours: {young}");
    // A village is restricted when the whole country is.
    assert!(s.sms("994501112233", "1 AZE33333333").await.contains("IZ2"));
}

#[tokio::test]
async fn one_phone_for_a_family_within_its_daily_limit() {
    let s = Service::start_with(|c| c.sms.per_phone_per_day = 3).await;
    let mut issued = 0;
    for i in 0..5 {
        let reply = s.sms("994509998877", &format!("2 AZE{:08}", 50_000_000 + i)).await;
        issued += usize::from(reply.contains("IZ2"));
    }
    assert_eq!(issued, 3);
    assert_eq!(s.permits(), 3);
}

#[tokio::test]
async fn floods_from_one_phone_are_slowed_down() {
    let s = Service::start_with(|c| {
        c.sms.burst = 5;
        c.sms.per_minute = 1;
    })
    .await;
    let mut replies = Vec::new();
    for _ in 0..8 {
        replies.push(s.sms("994500000001", "nonsense").await);
    }
    assert_ne!(replies[0], replies[7], "the flood gets a different reply once slowed down");
    assert_eq!(replies[5], replies[7]);
}

#[tokio::test]
async fn serials_are_never_reused_across_restarts() {
    let mut s = Service::start().await;
    s.sms("994501112233", "2 AZE11111111").await;
    s.svc.restart(|_| {}).await;
    s.sms("994501112233", "2 MYI1234567").await;
    let serials: Vec<i64> = {
        let db = s.db();
        let mut stmt = db.prepare("SELECT serial FROM permits ORDER BY serial").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(serials.len(), 2);
    assert!(serials[1] > serials[0], "{serials:?}");
}

#[tokio::test]
async fn the_gateway_secret_is_required_when_set() {
    let s = Service::start_with(|c| c.gateway.secret = Some("s3cret".into())).await;
    let url = s.url("/sms/8103");
    let no_key = s.client.get(&url).query(&[("from", "1"), ("text", "2 AZE11111111")]).send().await.unwrap();
    assert_eq!(no_key.status(), 403);
    let wrong = s.client.get(&url).query(&[("from", "1"), ("text", "x"), ("key", "guess")]).send().await.unwrap();
    assert_eq!(wrong.status(), 403);
    let ok =
        s.client.get(&url).query(&[("from", "1"), ("text", "2 AZE11111111"), ("key", "s3cret")]).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    // POST with a form body works the same way.
    let form = s
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("from=2&text=2+MYI1234567&key=s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    assert!(form.text().await.unwrap().contains("IZ2"));
}

/// The status of an SMS request as a proxy on loopback passes it on.
async fn sms_via(s: &Service, forwarded_for: Option<&str>) -> u16 {
    let mut request = s.client.get(s.url("/sms/8103")).query(&[("from", "994501234567"), ("text", "2 AZE11111111")]);
    if let Some(forwarded) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn behind_a_proxy_the_sms_endpoint_is_the_gateways_only() {
    let proxy = vec!["127.0.0.1".parse().unwrap()];
    // With neither secret nor allow list, only a caller on loopback itself:
    // behind a proxy on loopback, the world is not let in.
    let s = Service::start_with(|c| {
        c.public_url = Some("https://permits.example.az".into());
        c.trusted_proxies = proxy.clone();
    })
    .await;
    assert_eq!(sms_via(&s, Some("203.0.113.5")).await, 403);
    assert_eq!(sms_via(&s, Some("127.0.0.1")).await, 403, "forwarded is forwarded, whatever it names");
    assert_eq!(sms_via(&s, None).await, 403);
    // The gateway's address, as the proxy saw it, is let in; a client that
    // writes that address itself is not.
    let s = Service::start_with(|c| {
        c.public_url = Some("https://permits.example.az".into());
        c.trusted_proxies = proxy.clone();
        c.gateway.allow = vec!["203.0.113.5".parse().unwrap()];
    })
    .await;
    assert_eq!(sms_via(&s, Some("203.0.113.5")).await, 200);
    assert_eq!(sms_via(&s, Some("203.0.113.5, 198.51.100.7")).await, 403);
    // With no trusted proxy the header is ignored: the local gateway is served.
    let s = Service::start().await;
    assert_eq!(sms_via(&s, Some("198.51.100.7")).await, 200);
}

#[tokio::test]
async fn garbage_gets_a_reply_not_an_error() {
    let s = Service::start().await;
    let url = s.url("/sms/8103");
    // Invalid UTF-8 after percent-decoding, and a very long text.
    let raw = s.client.get(format!("{url}?from=1&text=%FF%FE%2032%00")).send().await.unwrap();
    assert_eq!(raw.status(), 200);
    assert!(!raw.text().await.unwrap().is_empty());
    let long = "ə".repeat(3000);
    let reply = s.sms("994501112233", &long).await;
    assert!(reply.is_ascii() && reply.len() <= 160, "{reply}");
    let missing = s.client.get(format!("{url}?text=2")).send().await.unwrap();
    assert_eq!(missing.status(), 400);
    let huge = s.client.post(&url).body(format!("from=1&text={}", "A".repeat(100_000))).send().await.unwrap();
    assert_eq!(huge.status(), 413);
}

#[tokio::test]
async fn a_regime_is_loaded_while_running() {
    let s = Service::start().await;
    s.clock.set(at("2021-03-01T10:00:00+04:00"));
    assert!(!s.sms("994501112233", "2 AZE11111111").await.contains("IZ2"), "no regime in March 2021");
    let token = std::fs::read_to_string(s.data().join("admin-token")).unwrap();
    let march = icaze_server::regime::DEFAULT_REGIME
        .replace("id = \"2020-12-14\"", "id = \"2021-03\"")
        .replace("2020-12-14T00:00:00+04:00", "2021-03-01T00:00:00+04:00")
        .replace("2021-01-18T00:00:00+04:00", "2021-04-01T00:00:00+04:00");
    let url = s.url("/admin/regime");
    let refused = s.client.post(&url).body(march.clone()).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let bad = s.client.post(&url).bearer_auth(token.trim()).body("id = 1").send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let loaded = s.client.post(&url).bearer_auth(token.trim()).body(march).send().await.unwrap();
    assert_eq!(loaded.status(), 200, "{}", loaded.text().await.unwrap());
    assert!(s.sms("994501112233", "2 AZE11111111").await.contains("IZ2"));
}

impl Service {
    async fn metrics(&self) -> String {
        let token = std::fs::read_to_string(self.data().join("metrics-token")).unwrap();
        let response = self.client.get(self.url("/metrics")).bearer_auth(token.trim()).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    fn admin_token(&self) -> String {
        std::fs::read_to_string(self.data().join("admin-token")).unwrap().trim().to_owned()
    }

    async fn revoke(&self, body: serde_json::Value) -> serde_json::Value {
        let response = self
            .client
            .post(self.url("/v1/revocations"))
            .bearer_auth(self.admin_token())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
    }
}

fn serial_of(s: &Service, reply: &str) -> u32 {
    let check = Check { at: at("2020-12-15T10:30:00+04:00"), zone: None };
    evaluate(token(reply), &s.trust(), &check).permit.unwrap().claims().serial().0
}

#[tokio::test]
async fn a_revoked_permit_is_never_sent_again() {
    let s = Service::start().await;
    // Code 2, once a day: revoked by its serial, it is not sent again, and the
    // reply says that no new one comes by SMS today and where to ask.
    let first = s.sms("994501112233", "2 AZE11111111").await;
    s.revoke(serde_json::json!({"serial": serial_of(&s, &first), "reason": "taken by another phone"})).await;
    for text in ["2 AZE11111111", "EN 2 AZE11111111"] {
        let again = s.sms("994501112233", text).await;
        assert!(!again.contains("IZ2"), "{again}");
        assert!(again.contains("9108") && again.contains("AZE11111111"), "{again}");
    }
    assert!(s.sms("994501112233", "EN 2 AZE11111111").await.contains("revoked"));
    // Code 1 (3 a day): revoked by document, the next request is a new permit,
    // where the rules allow one.
    let medical = s.sms("994501112233", "1 MYI1234567").await;
    s.revoke(serde_json::json!({"document": "MYI1234567", "reason": "reported"})).await;
    let new = s.sms("994501112233", "1 MYI1234567").await;
    assert!(new.contains("IZ2") && token(&new) != token(&medical), "{new}");
    assert_eq!(s.permits(), 3);
    let metrics = s.metrics().await;
    assert!(metrics.contains("icaze_sms_refusals_total{reason=\"revoked\"} 3"), "{metrics}");
}

#[tokio::test]
async fn the_phone_register_decides_which_phones_may_ask() {
    let s = Service::start().await;
    let store = icaze_server::sqlite::SqlitePermitStore::open(&s.data().join("icaze.db"), Default::default()).unwrap();
    let report =
        store.import_phones("document,phone\nAZE11111111,+994 50 111-22-33\nAZE11111111,994701234567\n").unwrap();
    assert_eq!((report.imported, report.problems.len()), (2, 0));
    // A phone not registered to the holder is refused before anyone got a permit,
    // in the words an unknown document gets.
    let stranger = s.sms("994559998877", "2 AZE11111111").await;
    let unknown = s.sms("994559998877", "2 AZE99999999").await;
    assert_eq!(shape(&stranger, "AZE11111111"), shape(&unknown, "AZE99999999"));
    assert_eq!(s.permits(), 0);
    assert!(s.sms("994501112233", "2 AZE11111111").await.contains("IZ2"));
    // A document the register does not name is open to any phone.
    assert!(s.sms("994559998877", "2 MYI1234567").await.contains("IZ2"));
    // A file with a bad row replaces nothing; a good one replaces the whole register.
    let bad = store.import_phones("document,phone\nAZE11111111,not a phone\n").unwrap();
    assert_eq!((bad.imported, bad.problems.len()), (0, 1));
    assert!(!s.sms("994559998877", "1 AZE11111111").await.contains("IZ2"), "the register still holds");
    store.import_phones("document,phone\nAZE11111111,994559998877\n").unwrap();
    assert!(s.sms("994559998877", "1 AZE11111111").await.contains("IZ2"), "the SIM moved to this phone");
}

impl Service {
    async fn revoked_serials(&self) -> Vec<u64> {
        let response =
            self.client.get(self.url("/v1/revocations")).bearer_auth(self.admin_token()).send().await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        body["revocations"].as_array().unwrap().iter().map(|r| r["serial"].as_u64().unwrap()).collect()
    }
}

#[tokio::test]
async fn putting_a_person_on_the_deny_list_revokes_their_permits() {
    let s = Service::start_with(|c| c.deny_list_every = std::time::Duration::from_millis(50)).await;
    let necessities = s.sms("994501112233", "2 AZE11111111").await;
    let medical = s.sms("994501112233", "1 AZE11111111").await;
    let other = s.sms("994501112233", "2 MYI1234567").await;
    let live = [serial_of(&s, &necessities), serial_of(&s, &medical)].map(u64::from);
    // The import, as `icaze registry deny` makes it, beside the running service.
    let store = icaze_server::sqlite::SqlitePermitStore::open(&s.data().join("icaze.db"), Default::default()).unwrap();
    store.import_denials("document,reason,until\nAZE11111111,registered as infected,\n").unwrap();
    let mut revoked = Vec::new();
    for _ in 0..400 {
        revoked = s.revoked_serials().await;
        if live.iter().all(|l| revoked.contains(l)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(live.iter().all(|l| revoked.contains(l)), "both permits revoked: {revoked:?}");
    assert!(!revoked.contains(&u64::from(serial_of(&s, &other))), "another person's permit stays");
    // In the bundle the devices get, and in the audit trail, by the deny list.
    let bundle = s.client.get(s.url("/v1/bundle")).send().await.unwrap().bytes().await.unwrap();
    let root =
        icaze_authority::read_public_key(&std::fs::read_to_string(s.data().join("authority/root.public")).unwrap())
            .unwrap();
    let contents = icaze_core::VerifiedBundle::verify(&bundle, &root).unwrap().contents().clone();
    let in_bundle: Vec<u64> = contents.revocations.iter().map(u64::from).collect();
    assert!(live.iter().all(|l| in_bundle.contains(l)), "{in_bundle:?}");
    let audit: serde_json::Value = serde_json::from_slice(
        &s.client.get(s.url("/v1/audit")).bearer_auth(s.admin_token()).send().await.unwrap().bytes().await.unwrap(),
    )
    .unwrap();
    assert!(audit.to_string().contains("deny-list"), "{audit}");
    // Lifting the denial revokes nothing back, and brings no permit back.
    store.import_denials("document,reason,until\nAZE11111111,lifted,2020-12-15\n").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let after = s.revoked_serials().await;
    assert!(live.iter().all(|l| after.contains(l)), "{after:?}");
    let again = s.sms("994501112233", "2 AZE11111111").await;
    assert!(!again.contains("IZ2"), "the revoked permit is not sent again: {again}");
}

#[tokio::test]
async fn health_and_metrics() {
    let s = Service::start().await;
    s.sms("994501112233", "2 AZE11111111").await;
    s.sms("994501112233", "2 AZE99999999").await;
    let health = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    // Refusals by reason are nobody's business but the monitoring's: no token, no metrics.
    for token in [None, Some("wrong"), Some("")] {
        let mut request = s.client.get(s.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let refused = request.send().await.unwrap();
        assert_eq!(refused.status(), 401, "{token:?}");
        assert!(!refused.text().await.unwrap().contains("refusals"));
    }
    let admin = s.client.get(s.url("/metrics")).bearer_auth(s.admin_token()).send().await.unwrap();
    assert_eq!(admin.status(), 200);
    let metrics = s.metrics().await;
    assert!(metrics.contains("icaze_permits_issued_total{code=\"2\"} 1"), "{metrics}");
    assert!(metrics.contains("icaze_sms_refusals_total{reason=\"unknown_document\"} 1"), "{metrics}");
    assert!(metrics.contains("icaze_sms_request_seconds_count 2"), "{metrics}");
    // Issue 22: every route's requests by status, and their latency, by the route's
    // template; a path no route takes counts as `unmatched`, whatever it was.
    let missing = s.client.get(s.url("/no/such/path/AZE11111111")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let metrics = s.metrics().await;
    assert!(
        metrics.contains("icaze_http_requests_total{route=\"/sms/8103\",method=\"GET\",status=\"200\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("icaze_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"));
    assert!(metrics.contains("icaze_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"401\"} 3"));
    assert!(metrics.contains("icaze_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1"));
    assert!(metrics.contains("icaze_http_request_seconds_count{route=\"/sms/8103\"} 2"), "{metrics}");
    assert!(!metrics.contains("AZE11111111"), "no path, document or phone in a label");
    // Issue 22 item 13: the permits' jobs waiting for the SQLite writer; both
    // SMS were answered, so none is left.
    assert!(metrics.lines().any(|l| l == "icaze_sqlite_writer_queue 0"), "{metrics}");
    assert!(metrics.contains("# TYPE icaze_sqlite_writer_queue gauge"));
}

/// Issue 22 item 13: every request carries an id, the client's when it sent a
/// usable one, in the response and in the request's log span.
#[tokio::test]
async fn each_request_gets_an_id_the_clients_or_a_new_one() {
    let s = Service::start().await;
    let given = s.client.get(s.url("/healthz")).header("x-request-id", "gw-42.a:b_c").send().await.unwrap();
    assert_eq!(given.headers()["x-request-id"], "gw-42.a:b_c");
    let mut made = Vec::new();
    for header in [None, Some("has space"), Some("x".repeat(65).as_str()), Some("")] {
        let mut request = s.client.get(s.url("/no/such/path"));
        if let Some(value) = header {
            request = request.header("x-request-id", value);
        }
        let response = request.send().await.unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 16, "{header:?}: a new id of 16 hex digits, not {id:?}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        made.push(id);
    }
    made.sort();
    made.dedup();
    assert_eq!(made.len(), 4, "each new id is its own");
}

/// The databases hold the permits' documents and phones, the inspections and the
/// registries: no other user of the machine reads them, however the umask is set.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_databases_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    // A database file left readable by everyone (made before, or copied in) is tightened.
    let s = Service::start_with(|config| {
        std::fs::create_dir_all(&config.data).unwrap();
        let loose = config.data.join("portal.db");
        std::fs::write(&loose, b"").unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    })
    .await;
    // A permit issued, so that the permits' database and its WAL hold a person's data.
    s.sms("994501112233", "2 AZE11111111").await;
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(s.data()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.contains(".db") {
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{name} is {mode:o}");
            seen.push(name);
        }
    }
    for db in ["icaze.db", "icaze.db-wal", "registry.db", "sync.db", "portal.db"] {
        assert!(seen.iter().any(|name| name == db), "{db} is among {seen:?}");
    }
}

/// Issue 23 item 5: a regime's caps of code 1, per phone per day and per
/// document over seven days, loaded into the running service, hold from the
/// next request; raised, they let the next request through, with no restart.
#[tokio::test]
async fn caps_of_code_1_loaded_at_run_time_hold_from_the_next_request() {
    let s = Service::start().await;
    let load = |per_phone: u32| {
        let text = icaze_server::regime::DEFAULT_REGIME
            .replace("per_day = 3\n", &format!("per_day = 3\nper_week = 4\nper_phone_per_day = {per_phone}\n"));
        assert_ne!(text, icaze_server::regime::DEFAULT_REGIME, "code 1's table is where the test expects it");
        let request = s.client.post(s.url("/admin/regime")).bearer_auth(s.admin_token()).body(text);
        async move { assert_eq!(request.send().await.unwrap().status(), 200) }
    };
    load(2).await;
    let phone = "994501112233";
    assert!(s.sms(phone, "1 AZE50000000").await.contains("IZ2"));
    assert!(s.sms(phone, "1 AZE50000001").await.contains("IZ2"));
    let capped = s.sms(phone, "EN 1 AZE50000002").await;
    assert!(capped.contains("today's limit") && !capped.contains("IZ2"), "{capped}");
    load(5).await;
    assert!(s.sms(phone, "1 AZE50000002").await.contains("IZ2"), "the raised cap holds at once");

    // AZE50000000 had one on the 15th; three on the 16th make four in the week.
    s.clock.set(at("2020-12-16T10:00:00+04:00"));
    for _ in 0..3 {
        assert!(s.sms("994507654321", "1 AZE50000000").await.contains("IZ2"));
    }
    s.clock.set(at("2020-12-17T10:00:00+04:00"));
    let week = s.sms("994507654321", "EN 1 AZE50000000").await;
    assert!(week.contains("4 in 7 days") && week.contains("9108") && !week.contains("IZ2"), "{week}");
    assert!(s.metrics().await.contains("icaze_sms_refusals_total{reason=\"weekly_limit\"} 1"));
    // Seven days after the 15th, that day's permit no longer counts.
    s.clock.set(at("2020-12-22T10:00:00+04:00"));
    assert!(s.sms("994507654321", "1 AZE50000000").await.contains("IZ2"));
    assert_eq!(s.permits(), 3 + 3 + 1, "three on the 15th, three on the 16th, one on the 22nd");
}
