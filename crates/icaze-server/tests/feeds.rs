//! The registry feeds end to end over HTTP (`docs/feeds.md`, issue 23): an
//! agency's credential made by the administrator, its batches refused or
//! applied whole and once, and their consequences: the live permits of
//! every channel (SMS, portal, 102 console) of a person put on the deny list
//! or whose document was cancelled, revoked in the next bundle. The people
//! registry's replacement as a job is in `tests/replacements.rs`.

mod common;

use icaze_core::{TrustList, UnverifiedPermit, VerifiedBundle};
use icaze_server::portal::password::HashCost;
use icaze_testkit::service::{at, TestService};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct Service {
    svc: TestService,
    client: reqwest::Client,
    admin: String,
}

impl Service {
    async fn start() -> Self {
        let svc = TestService::start(at("2020-12-15T10:00:00+04:00"), |c| {
            c.portal.hash_cost = HashCost::cheap();
            c.deny_list_every = std::time::Duration::from_millis(50);
        })
        .await;
        svc.import_demo_people(10);
        let admin = svc.admin_token();
        Self { svc, client: reqwest::Client::new(), admin }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, Value) {
        let (status, _, body) = common::send(&self.client, &self.svc, method, path, bearer, body).await;
        (status, body)
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send(method, path, Some(&self.admin), body.map(|b| b.to_string())).await
    }

    /// A new feed credential's token.
    async fn feed(&self, agency: &str, registry: &str) -> String {
        let (status, body) =
            self.admin(Method::POST, "/v1/feeds", Some(json!({"agency": agency, "registry": registry}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    async fn batch(&self, token: Option<&str>, registry: &str, id: &str, csv: &str) -> (StatusCode, Value) {
        let path = format!("/v1/registries/{registry}/batches/{id}");
        self.send(Method::POST, &path, token, Some(csv.to_owned())).await
    }

    /// A portal session (cookie, CSRF) of `login` after its one-time password was changed.
    async fn session(&self, login: &str, one_time: &str) -> (String, String) {
        let (status, body, cookie) =
            self.portal(Method::POST, "/portal/api/login", None, json!({"login": login, "password": one_time})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let session = (cookie.unwrap(), body["csrf"].as_str().unwrap().to_owned());
        let new = json!({"old": one_time, "new": "a password of my own"});
        let (status, body, _) = self.portal(Method::POST, "/portal/api/password", Some(&session), new).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        session
    }

    async fn portal(
        &self,
        method: Method,
        path: &str,
        session: Option<&(String, String)>,
        body: Value,
    ) -> (StatusCode, Value, Option<String>) {
        let mut request = self.client.request(method, self.svc.url(path)).body(body.to_string());
        if let Some((cookie, csrf)) = session {
            request = request.header("cookie", format!("icaze_portal={cookie}")).header("x-csrf-token", csrf);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let cookie = response.headers().get("set-cookie").map(|v| {
            let text = v.to_str().unwrap();
            text.split(';').next().unwrap().trim_start_matches("icaze_portal=").to_owned()
        });
        (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null), cookie)
    }

    fn trust(&self) -> TrustList {
        let dir = self.svc.data().join("authority");
        let root =
            icaze_authority::read_public_key(&std::fs::read_to_string(dir.join("root.public")).unwrap()).unwrap();
        TrustList::verify_bytes(&std::fs::read(dir.join("trustlist")).unwrap(), &root).unwrap()
    }

    /// The serial of the permit in an SMS reply.
    async fn sms_serial(&self, text: &str) -> u64 {
        let reply = self.svc.sms_permit("994501112233", text).await;
        let permit = self.trust().verify(&UnverifiedPermit::find_in_text(&reply).unwrap()).unwrap();
        u64::from(permit.claims().serial().0)
    }

    /// The serials revoked in the bundle a device gets now.
    async fn bundle_revocations(&self) -> Vec<u64> {
        let bytes = self.client.get(self.svc.url("/v1/bundle")).send().await.unwrap().bytes().await.unwrap();
        let text = std::fs::read_to_string(self.svc.data().join("authority/root.public")).unwrap();
        let root = icaze_authority::read_public_key(&text).unwrap();
        let contents = VerifiedBundle::verify(&bytes, &root).unwrap().contents().clone();
        contents.revocations.iter().map(u64::from).collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_s_denials_and_cancellations_revoke_every_channel_s_permits_in_the_next_bundle() {
    let s = Service::start().await;
    // Permits of AZE11111111 from all three channels, of AZE50000001 by SMS,
    // and of another person who stays.
    let sms = s.sms_serial("2 AZE11111111").await;
    let cancelled_sms = s.sms_serial("2 AZE50000001").await;
    let other = s.sms_serial("2 MYI1234567").await;
    let (status, body) = s
        .admin(
            Method::POST,
            "/v1/organisations",
            Some(json!({"tax_id": "1111111111", "name": "Org", "login": "org.a", "person_name": "Aliyev"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let employer = s.session("org.a", body["password"].as_str().unwrap()).await;
    let employee = json!({"document": "AZE11111111", "name": "Məmmədov Elçin", "position": "driver", "zones": [1],
        "valid_from": "2020-12-15", "valid_until": "2020-12-31"});
    let (status, body, _) = s.portal(Method::POST, "/portal/api/employees", Some(&employer), employee).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let portal = body["permit"]["serial"].as_u64().unwrap();
    let (status, body) =
        s.admin(Method::POST, "/v1/operators", Some(json!({"login": "op1", "name": "Operator One"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let operator = s.session("op1", body["password"].as_str().unwrap()).await;
    let funeral = json!({"document": "AZE11111111", "zone": 3, "valid_from": "2020-12-15T12:00",
        "valid_until": "2020-12-15T20:00"});
    let (status, body, _) = s.portal(Method::POST, "/portal/api/funeral", Some(&operator), funeral).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let call_centre = body["serial"].as_u64().unwrap();
    let denied = [sms, portal, call_centre];

    let etabib = s.feed("etabib", "deny").await;
    let asan = s.feed("asan", "people").await;
    let (status, body) =
        s.admin(Method::POST, "/v1/feeds", Some(json!({"agency": "etabib", "registry": "people"}))).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("feed_exists")));

    let deny = "op,document,reason,until\nadd,AZE11111111,positive PCR ward 3,\n";
    let (status, body) = s.batch(None, "deny", "b1", deny).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let (status, _) = s.batch(Some(&s.admin), "deny", "b1", deny).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the administrator is no agency");
    let (status, body) = s.batch(Some(&asan), "deny", "b1", deny).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    // Every bad row, with its line; nothing applied.
    let bad = "op,document,reason,until\nadd,MYI1234567,contact,\nadd,??,x,\nadd,AZE33333333,,\nput,AZE1,x,\n";
    let (status, body) = s.batch(Some(&etabib), "deny", "b1", bad).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_rows")), "{body}");
    let lines: Vec<u64> = body["problems"].as_array().unwrap().iter().map(|p| p["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 5]);

    let (status, first) = s.batch(Some(&etabib), "deny", "b1", deny).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (first["agency"].as_str(), first["added"].as_u64(), first["replayed"].as_bool()),
        (Some("etabib"), Some(1), Some(false))
    );
    let (status, again) = s.batch(Some(&etabib), "deny", "b1", deny).await;
    assert_eq!((status, again["replayed"].as_bool()), (StatusCode::OK, Some(true)));
    assert_eq!(again["sha256"], first["sha256"]);
    let (status, body) = s.batch(Some(&etabib), "deny", "b1", "op,document,reason,until\nremove,AZE11111111,,\n").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("batch_conflict")));
    let (status, body) =
        s.batch(Some(&asan), "people", "p1", "op,document,birth_date,zone\nremove,AZE50000001,,\n").await;
    assert_eq!((status, body["removed"].as_u64()), (StatusCode::OK, Some(1)), "{body}");

    // The applier (every 50 ms here) revokes them; the next bundle lists them.
    let mut revoked = Vec::new();
    for _ in 0..400 {
        revoked = s.bundle_revocations().await;
        if denied.iter().chain([&cancelled_sms]).all(|serial| revoked.contains(serial)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(denied.iter().all(|serial| revoked.contains(serial)), "{denied:?} in {revoked:?}");
    assert!(revoked.contains(&cancelled_sms), "{revoked:?}");
    assert!(!revoked.contains(&other), "another person's permit stays");
    let (_, audit) = s.admin(Method::GET, "/v1/audit", None).await;
    let audit = audit.to_string();
    assert!(audit.contains("deny list (feed etabib)") && audit.contains("document cancelled (feed asan)"), "{audit}");
    assert!(!audit.contains("PCR"), "never the health detail: {audit}");
    // A cancelled document gets no new permit.
    let reply = s.client.get(s.svc.url("/sms/8103")).query(&[("from", "994501112233"), ("text", "1 AZE50000001")]);
    let reply = reply.send().await.unwrap().text().await.unwrap();
    assert!(!reply.contains("IZ2"), "{reply}");

    // The records, for the administrator only.
    let (status, body) = s.admin(Method::GET, "/v1/registries/deny/batches", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["batches"].as_array().unwrap().len(), 1);
    assert_eq!(
        (body["batches"][0]["batch_id"].as_str(), body["batches"][0]["sha256"].clone()),
        (Some("b1"), first["sha256"].clone())
    );
    let (status, _) = s.send(Method::GET, "/v1/registries/deny/batches", Some(&etabib), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, list) = s.admin(Method::GET, "/v1/feeds", None).await;
    assert_eq!(list["feeds"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains(&etabib), "never a token");
    // Removed, the credential stops working at once.
    let (status, _) = s.admin(Method::DELETE, "/v1/feeds/etabib", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s.batch(Some(&etabib), "deny", "b2", deny).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = s.admin(Method::DELETE, "/v1/feeds/etabib", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("feed_not_found")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_the_size_limit_is_refused_whole() {
    let s = Service::start().await;
    let token = s.feed("operator", "phones").await;
    let row = "add,AZE11111111,994501112233\n";
    let big = format!("op,document,phone\n{}", row.repeat(icaze_permits::feeds::MAX_BATCH_BYTES / row.len() + 1));
    let (status, body) = s.batch(Some(&token), "phones", "big", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let (status, body) = s.batch(Some(&token), "phones", "ok", &format!("op,document,phone\n{row}")).await;
    assert_eq!((status, body["added"].as_u64()), (StatusCode::OK, Some(1)), "{body}");
    let (status, body) = s.batch(Some(&token), "nonsense", "x", "op\n").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("unknown_registry")));
}

/// A `PUT` of a whole registry under `token`.
async fn put(s: &Service, path: &str, token: Option<&str>, body: String) -> (StatusCode, Value) {
    s.send(Method::PUT, path, token, Some(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_23_the_authorised_organisations_are_replaced_whole_and_go_into_the_bundle() {
    let s = Service::start().await;
    let orgs = s.feed("tax", "organisations").await;
    let people = s.feed("asan", "people").await;
    let list =
        "tax_id,name,sector,zones,until\n1700000001,Bakı Metropoliteni,nəqliyyat,,\n0101234567,Azərsu,kommunal,1,\n";
    assert_eq!(put(&s, "/v1/registries/organisations", Some(&people), list.into()).await.0, StatusCode::FORBIDDEN);
    assert_eq!(put(&s, "/v1/registries/organisations", None, list.into()).await.0, StatusCode::UNAUTHORIZED);
    let bad = "tax_id,name,sector,zones,until\n170000000,A,s,,\n1700000001,A,s,,\n1700000001,B,s,,\n";
    let (status, body) = put(&s, "/v1/registries/organisations", Some(&orgs), bad.into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let lines: Vec<u64> = body["problems"].as_array().unwrap().iter().map(|p| p["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 4], "{body}");
    // Batches are not how organisations are fed.
    let (status, _) = s.batch(Some(&orgs), "organisations", "o1", list).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, body) = put(&s, "/v1/registries/organisations", Some(&orgs), list.into()).await;
    assert_eq!((status, body["organisations"].as_u64()), (StatusCode::OK, Some(2)), "{body}");
    let bytes = s.client.get(s.svc.url("/v1/bundle")).send().await.unwrap().bytes().await.unwrap();
    let root =
        icaze_authority::read_public_key(&std::fs::read_to_string(s.svc.data().join("authority/root.public")).unwrap())
            .unwrap();
    let contents = VerifiedBundle::verify(&bytes, &root).unwrap().contents().clone();
    let carried = contents.sections.organisations.expect("section 2");
    let tax_ids: Vec<String> = carried.as_slice().iter().map(|o| o.tax_id.to_string()).collect();
    assert_eq!(tax_ids, ["0101234567", "1700000001"]);
}

/// Issue 23, "Credentials": a credential made with an expiry works until
/// then (a batch accepted) and is refused after it with `401 feed_expired`,
/// saying when; the list shows the expiry; an expiry not in the future, or
/// one that does not read, is refused at creation and makes no credential.
#[tokio::test]
async fn issue_23_a_feed_credential_is_refused_after_its_expiry() {
    let s = Service::start().await;
    for (expires, code) in [
        ("2020-12-15", "expiry_not_in_future"),
        ("2020-12-15T10:00:00+04:00", "expiry_not_in_future"),
        ("31.01.2021", "invalid_expiry"),
    ] {
        let request = json!({"agency": "etabib", "registry": "deny", "expires_at": expires});
        let (status, body) = s.admin(Method::POST, "/v1/feeds", Some(request)).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{expires}: {body}");
    }
    let (status, body) = s.admin(Method::GET, "/v1/feeds", None).await;
    assert_eq!((status, body["feeds"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{body}");

    let request = json!({"agency": "etabib", "registry": "deny", "expires_at": "2020-12-17"});
    let (status, body) = s.admin(Method::POST, "/v1/feeds", Some(request)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The date means its start in Baku: 2020-12-17T00:00+04:00.
    assert_eq!(body["expires_at"].as_str(), Some("2020-12-16T20:00:00Z"));
    let etabib = body["token"].as_str().unwrap().to_owned();
    let forever = s.feed("asan", "people").await;
    let (_, body) = s.admin(Method::GET, "/v1/feeds", None).await;
    let listed: Vec<(&str, Option<&str>)> = body["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["agency"].as_str().unwrap(), f["expires_at"].as_str()))
        .collect();
    assert_eq!(listed, [("asan", None), ("etabib", Some("2020-12-16T20:00:00Z"))]);

    let deny = "op,document,reason,until\nadd,AZE11111111,positive PCR ward 3,\n";
    s.svc.clock().set(at("2020-12-16T23:59:00+04:00"));
    let (status, body) = s.batch(Some(&etabib), "deny", "b1", deny).await;
    assert_eq!((status, body["added"].as_u64()), (StatusCode::OK, Some(1)), "{body}");

    s.svc.clock().set(at("2020-12-17T00:00:00+04:00"));
    let (status, body) = s.batch(Some(&etabib), "deny", "b2", deny).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("feed_expired")), "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("etabib") && message.contains("2020-12-17 00:00"), "{message}");
    assert!(message.contains("ask the administrator for a new one"), "{message}");
    // A credential without an expiry still works; an unknown token is still
    // only `unauthenticated`.
    let people = "op,document,birth_date,zone\nremove,AZE50000001,,\n";
    let (status, body) = s.batch(Some(&forever), "people", "p1", people).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = s.batch(Some("not-a-token"), "deny", "b2", deny).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
}
