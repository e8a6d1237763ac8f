//! The employer portal and the 102 call-centre console end to end over real
//! HTTP on loopback (`docs/portal-api.md`): a server of each test's own with
//! a fixed clock inside the December 2020 regime, the demo registry, and
//! cheap Argon2 parameters so that the suite stays fast.

use std::sync::Arc;

use icaze_core::{Purpose, TrustList, UnverifiedPermit, VerifiedPermit};
use icaze_server::portal::password::HashCost;
use icaze_server::{FixedClock, ServeConfig, Server};
use icaze_testkit::service::{at, TestService};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const START: &str = "2020-12-15T10:00:00+04:00";

struct Service {
    svc: TestService,
    clock: Arc<FixedClock>,
    client: reqwest::Client,
    admin: String,
}

/// A logged-in person: the session cookie and the CSRF token.
#[derive(Clone)]
struct Session {
    cookie: String,
    csrf: String,
}

/// The password a test's person sets after the one-time one.
const OWN: &str = "a password of my own";

struct Answer {
    status: StatusCode,
    body: Value,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Service {
    /// Stops the server and starts it again on the same data.
    async fn restart(mut self) -> Self {
        self.svc.restart(|c| c.portal.hash_cost = HashCost::cheap()).await;
        self
    }

    async fn start() -> Self {
        Self::start_with(HashCost::cheap()).await
    }

    /// A service whose passwords are hashed at `cost`.
    async fn start_with(cost: HashCost) -> Self {
        Self::start_configured(cost, |_| {}).await
    }

    /// A service of its own `configure`d configuration, with 50 synthetic
    /// people and the synthetic deny list.
    async fn start_configured(cost: HashCost, configure: impl FnOnce(&mut ServeConfig)) -> Self {
        let svc = TestService::start(at(START), |c| {
            c.portal.hash_cost = cost;
            configure(c);
        })
        .await;
        svc.import_demo_people(50);
        svc.import_demo_denials();
        let (clock, admin) = (svc.clock().clone(), svc.admin_token());
        Self { svc, clock, client: reqwest::Client::new(), admin }
    }

    fn url(&self, path: &str) -> String {
        self.svc.url(path)
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
        csrf: bool,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut request = self.client.request(method, self.url(path));
        if let Some(s) = session {
            request = request.header("cookie", format!("icaze_portal={}", s.cookie));
            if csrf {
                request = request.header("x-csrf-token", &s.csrf);
            }
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap().to_vec();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, body, headers, bytes }
    }

    async fn get(&self, path: &str, s: &Session) -> Answer {
        self.request(Method::GET, path, Some(s), false, None).await
    }

    async fn post(&self, path: &str, s: &Session, body: Value) -> Answer {
        self.request(Method::POST, path, Some(s), true, Some(body.to_string().into_bytes())).await
    }

    async fn put(&self, path: &str, s: &Session, body: Value) -> Answer {
        self.request(Method::PUT, path, Some(s), true, Some(body.to_string().into_bytes())).await
    }

    async fn delete(&self, path: &str, s: &Session) -> Answer {
        self.request(Method::DELETE, path, Some(s), true, None).await
    }

    async fn admin_request(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path)).bearer_auth(&self.admin);
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null))
    }

    async fn admin(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.admin_request(Method::POST, path, Some(body)).await
    }

    async fn login(&self, login: &str, password: &str) -> Answer {
        let body = json!({"login": login, "password": password}).to_string().into_bytes();
        self.request(Method::POST, "/portal/api/login", None, false, Some(body)).await
    }

    async fn session(&self, login: &str, password: &str) -> Session {
        let answer = self.login(login, password).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let set = answer.headers["set-cookie"].to_str().unwrap();
        let cookie = set.split(';').next().unwrap().strip_prefix("icaze_portal=").unwrap().to_owned();
        Session { cookie, csrf: answer.body["csrf"].as_str().unwrap().to_owned() }
    }

    /// A new organisation and its first person's session.
    /// Signs in with a one-time password and sets [`OWN`], as a person must
    /// before anything else: the session goes on.
    async fn own_session(&self, login: &str, one_time: &str) -> Session {
        let session = self.session(login, one_time).await;
        let changed = self.post("/portal/api/password", &session, json!({"old": one_time, "new": OWN})).await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        session
    }

    async fn org(&self, tax_id: &str, login: &str) -> (i64, Session) {
        let (status, body) = self
            .admin(
                "/v1/organisations",
                json!({"tax_id": tax_id, "name": format!("Org {tax_id}"), "login": login, "person_name": "Aliyev"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let session = self.own_session(login, body["password"].as_str().unwrap()).await;
        (body["id"].as_i64().unwrap(), session)
    }

    async fn add_employee(&self, s: &Session, document: &str, zones: Value, until: &str) -> Answer {
        let body = json!({"document": document, "name": "Məmmədov Elçin", "position": "driver", "zones": zones,
            "valid_from": "2020-12-15", "valid_until": until});
        self.post("/portal/api/employees", s, body).await
    }

    async fn revoked_serials(&self) -> Vec<u64> {
        let (status, body) = self.admin_request(Method::GET, "/v1/revocations", None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["revocations"].as_array().unwrap().iter().map(|r| r["serial"].as_u64().unwrap()).collect()
    }

    fn verify(&self, token: &str) -> VerifiedPermit {
        let data = self.svc.data().join("authority");
        let root =
            icaze_authority::read_public_key(&std::fs::read_to_string(data.join("root.public")).unwrap()).unwrap();
        let trust = TrustList::verify_bytes(&std::fs::read(data.join("trustlist")).unwrap(), &root).unwrap();
        trust.verify(&UnverifiedPermit::from_text(token).unwrap()).unwrap()
    }

    async fn import(&self, s: &Session, csv: &str) -> Value {
        let answer =
            self.request(Method::POST, "/portal/api/imports", Some(s), true, Some(csv.as_bytes().to_vec())).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
        let id = answer.body["id"].as_str().unwrap().to_owned();
        // The import runs in the background: poll until it ends.
        for _ in 0..3000 {
            let status = self.get(&format!("/portal/api/imports/{id}"), s).await;
            assert_eq!(status.status, StatusCode::OK, "{}", status.body);
            if matches!(status.body["state"].as_str(), Some("done" | "failed")) {
                return status.body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the import did not end");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_sessions_csrf_and_throttling() {
    let s = Service::start().await;
    let (status, body) = s
        .admin(
            "/v1/organisations",
            json!({"tax_id": "1234567890", "name": "Azersu", "login": "Aliyev.R",
            "person_name": "Rashad Aliyev"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["login"], "aliyev.r");
    let password = body["password"].as_str().unwrap().to_owned();
    let (status, body) = s
        .admin(
            "/v1/organisations",
            json!({"tax_id": "1234567890", "name": "Again", "login": "other",
            "person_name": "X"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("duplicate_organisation")));

    // Wrong password and unknown login give the same answer.
    let wrong = s.login("aliyev.r", "not the password").await;
    assert_eq!((wrong.status, wrong.body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("bad_credentials")));
    let unknown = s.login("nobody", "not the password").await;
    assert_eq!(
        (unknown.status, unknown.body["message"].clone()),
        (StatusCode::UNAUTHORIZED, wrong.body["message"].clone())
    );

    let right = s.login("aliyev.r", &password).await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.body);
    assert_eq!(right.body["user"]["role"], "employer");
    assert_eq!(right.body["user"]["must_change_password"], true);
    assert_eq!(right.body["user"]["org"]["tax_id"], "1234567890");
    let cookie = right.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/portal"));
    assert!(!cookie.contains("Secure"), "no Secure on loopback: {cookie}");
    let session = s.session("aliyev.r", &password).await;
    assert_eq!(s.get("/portal/api/session", &session).await.body["user"]["login"], "aliyev.r");

    // CSRF: refused without the header, or with another session's token.
    let new = json!({"old": password, "new": "a long new password"});
    let refused =
        s.request(Method::POST, "/portal/api/password", Some(&session), false, Some(new.to_string().into())).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("csrf")));
    let forged = Session { cookie: session.cookie.clone(), csrf: "0".repeat(48) };
    assert_eq!(s.post("/portal/api/password", &forged, new.clone()).await.status, StatusCode::FORBIDDEN);
    let short = s.post("/portal/api/password", &session, json!({"old": password, "new": "short"})).await;
    assert_eq!(short.body["code"], "weak_password");
    assert_eq!((&short.body["case"], &short.body["field"]), (&json!("length"), &json!("new")));
    assert_eq!(short.body["params"]["min"], "10");
    let wrong = s.post("/portal/api/password", &session, json!({"old": "not it", "new": "a long new password"})).await;
    assert_eq!(
        (wrong.status, &wrong.body["code"], &wrong.body["field"]),
        (StatusCode::BAD_REQUEST, &json!("wrong_password"), &json!("old"))
    );
    assert!(wrong.body.get("case").is_none() && wrong.body.get("params").is_none(), "{}", wrong.body);
    assert_eq!(s.post("/portal/api/password", &session, new).await.status, StatusCode::OK);
    let again = s.session("aliyev.r", "a long new password").await;
    assert_eq!(s.get("/portal/api/session", &again).await.body["user"]["must_change_password"], false);

    // No cookie, an unknown one, an idle one.
    let none = s.request(Method::GET, "/portal/api/session", None, false, None).await;
    assert_eq!((none.status, none.body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("no_session")));
    let bogus = Session { cookie: "abc".into(), csrf: "x".into() };
    assert_eq!(s.get("/portal/api/org", &bogus).await.body["code"], "no_session");
    s.clock.set(at("2020-12-15T10:29:00+04:00"));
    assert_eq!(s.get("/portal/api/org", &again).await.status, StatusCode::OK, "29 minutes idle is fine");
    s.clock.set(at("2020-12-15T10:59:00+04:00"));
    let expired = s.get("/portal/api/org", &again).await;
    assert_eq!((expired.status, expired.body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("session_expired")));
    // And 12 hours after login in any case, however active.
    let busy = s.session("aliyev.r", "a long new password").await;
    let login_time = at("2020-12-15T10:59:00+04:00");
    for minutes in (25..12 * 60).step_by(25) {
        s.clock.set(login_time.checked_add(minutes).unwrap());
        assert_eq!(s.get("/portal/api/org", &busy).await.status, StatusCode::OK, "{minutes} minutes after login");
    }
    s.clock.set(login_time.checked_add(12 * 60).unwrap());
    assert_eq!(s.get("/portal/api/org", &busy).await.body["code"], "session_expired");

    // Five failures close the login for 15 minutes, the right password too.
    for _ in 0..5 {
        assert_eq!(s.login("aliyev.r", "guess guess guess").await.status, StatusCode::UNAUTHORIZED);
    }
    let throttled = s.login("aliyev.r", "a long new password").await;
    assert_eq!((throttled.status, throttled.body["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("throttled")));
    assert_eq!(throttled.body["retry_after"], 15 * 60);
    assert_eq!(throttled.headers["retry-after"], "900");
    s.clock.set(login_time.checked_add(12 * 60 + 15).unwrap());
    assert_eq!(s.login("aliyev.r", "a long new password").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_time_password_sets_a_new_one_only_and_a_change_ends_the_other_sessions() {
    let s = Service::start().await;
    let (status, body) = s
        .admin(
            "/v1/organisations",
            json!({"tax_id": "5555555555", "name": "Once", "login": "org.once", "person_name": "Aliyev"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let one_time = body["password"].as_str().unwrap().to_owned();
    // Two sessions of the one-time password (say, the administrator's and the person's).
    let first = s.session("org.once", &one_time).await;
    let second = s.session("org.once", &one_time).await;
    // It reads itself, and nothing else; it adds nothing, delegates nothing.
    assert_eq!(s.get("/portal/api/session", &first).await.body["user"]["must_change_password"], true);
    let refused = |answer: Answer, what: &str| {
        assert_eq!(
            (answer.status, answer.body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("password_change_required")),
            "{what}: {}",
            answer.body
        );
    };
    refused(s.get("/portal/api/org", &first).await, "org");
    refused(s.get("/portal/api/employees", &first).await, "employees");
    refused(s.add_employee(&first, "AZE50000000", json!([1]), "2020-12-31").await, "add");
    refused(s.post("/portal/api/org/persons", &first, json!({"login": "deputy", "name": "D"})).await, "delegate");
    let import = s.request(Method::POST, "/portal/api/imports", Some(&first), true, Some(b"x".to_vec())).await;
    refused(import, "import");

    // Setting a new password: this session goes on and may do everything; the other ends.
    let changed = s.post("/portal/api/password", &first, json!({"old": one_time, "new": OWN})).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(s.get("/portal/api/org", &first).await.status, StatusCode::OK);
    let ended = s.get("/portal/api/session", &second).await;
    assert_eq!((ended.status, ended.body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("no_session")));
    assert_eq!(s.login("org.once", &one_time).await.status, StatusCode::UNAUTHORIZED);

    // A later change ends a session opened elsewhere with the password before.
    let elsewhere = s.session("org.once", OWN).await;
    assert_eq!(s.get("/portal/api/org", &elsewhere).await.status, StatusCode::OK);
    let again = s.post("/portal/api/password", &first, json!({"old": OWN, "new": "yet another password"})).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(s.get("/portal/api/org", &elsewhere).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.get("/portal/api/org", &first).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn employees_permits_edits_and_isolation() {
    let s = Service::start().await;
    let (_, a) = s.org("1111111111", "org.a").await;
    let (_, b) = s.org("2222222222", "org.b").await;

    let added = s.add_employee(&a, "aze11111111", json!([2, 1]), "2020-12-31").await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let e = added.body.clone();
    assert_eq!((e["document"].as_str(), e["status"].as_str()), (Some("AZE11111111"), Some("active")));
    assert_eq!(e["zones"], json!([1, 2]));
    let permit = s.verify(e["permit"]["token"].as_str().unwrap());
    let claims = permit.claims();
    assert_eq!(claims.purpose(), Purpose::Work);
    assert_eq!(claims.serial().0 as u64, e["permit"]["serial"].as_u64().unwrap());
    assert_eq!(claims.valid_from(), at("2020-12-15T00:00:00+04:00"));
    assert_eq!(claims.valid_until(), at("2021-01-01T00:00:00+04:00"));
    assert_eq!(claims.zones().iter().map(|z| z.get()).collect::<Vec<_>>(), vec![1, 2]);
    let id = e["id"].as_i64().unwrap();
    let old_serial = e["permit"]["serial"].as_u64().unwrap();

    // Refusals.
    let dup = s.add_employee(&a, "AZE11111111", json!([1]), "2020-12-31").await;
    assert_eq!((dup.status, dup.body["code"].as_str()), (StatusCode::CONFLICT, Some("duplicate_employee")));
    let cases = [
        ("AZE99999999", json!([1]), "2020-12-31", "unknown_document"),
        ("AZE44444444", json!([1]), "2020-12-31", "refused"),
        ("???", json!([1]), "2020-12-31", "invalid_document"),
        ("AZE50000001", json!([999]), "2020-12-31", "invalid_zone"),
        ("AZE50000001", json!([1]), "2021-02-01", "outside_regime"),
        ("AZE50000001", json!([1]), "2020-12-01", "invalid_dates"),
    ];
    for (document, zones, until, code) in cases {
        let answer = s.add_employee(&a, document, zones, until).await;
        assert_eq!(answer.body["code"], code, "{document}: {}", answer.body);
    }
    let refused = s.add_employee(&a, "AZE44444444", json!([1]), "2020-12-31").await;
    assert!(!refused.body["message"].as_str().unwrap().contains("infected"), "no detail of the denial");

    // Another organisation sees nothing of it.
    let path = format!("/portal/api/employees/{id}");
    for answer in [
        s.get(&path, &b).await,
        s.put(
            &path,
            &b,
            json!({"document": "AZE11111111", "name": "x", "zones": [1], "valid_from": "2020-12-15",
            "valid_until": "2020-12-20"}),
        )
        .await,
        s.delete(&path, &b).await,
        s.get(&format!("{path}/qr.png"), &b).await,
        s.get("/portal/api/employees/999999", &a).await,
    ] {
        assert_eq!((answer.status, answer.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("employee_not_found")));
    }
    assert_eq!(s.get("/portal/api/employees", &b).await.body["employees"], json!([]));
    assert_eq!(s.get("/portal/api/employees?q=elçin", &a).await.body["employees"].as_array().unwrap().len(), 1);

    // Documents to print.
    let png = s.get(&format!("{path}/qr.png"), &a).await;
    assert_eq!(png.headers["content-type"], "image/png");
    let digits = permit.token().to_qr_digits();
    assert_eq!(icaze_qr::decode_image(&png.bytes).unwrap(), vec![digits]);
    let svg = s.get(&format!("{path}/qr.svg"), &a).await;
    assert_eq!(svg.headers["content-type"], "image/svg+xml");
    assert!(String::from_utf8(svg.bytes).unwrap().contains("<svg"));
    let pdf = s.get(&format!("{path}/certificate.pdf"), &a).await;
    assert_eq!((pdf.status, pdf.headers["content-type"].to_str().unwrap()), (StatusCode::OK, "application/pdf"));
    assert!(pdf.bytes.starts_with(b"%PDF-"));

    // Issue 22 item 8: an edit of the name or position only keeps the permit and its
    // serial, and revokes nothing; the preview says so before.
    let unsigned = json!({"document": "AZE11111111", "name": "Məmmədov Elçin Renamed", "position": "driver",
        "zones": [1, 2], "valid_from": "2020-12-15", "valid_until": "2020-12-31"});
    let preview = s.post(&format!("{path}/preview"), &a, unsigned.clone()).await;
    assert_eq!((preview.status, &preview.body), (StatusCode::OK, &json!({"reissues": false, "revokes": []})));
    let renamed = s.put(&path, &a, unsigned).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "Məmmədov Elçin Renamed");
    assert_eq!(renamed.body["position"], "driver");
    assert_eq!(renamed.body["permit"]["serial"].as_u64(), Some(old_serial));
    assert!(!s.revoked_serials().await.contains(&old_serial));

    // A zone edit: the preview names the serial it revokes, changes nothing...
    let zoned = json!({"document": "AZE11111111", "name": "Məmmədov Elçin", "position": "engineer",
        "zones": [3], "valid_from": "2020-12-15", "valid_until": "2020-12-31"});
    let preview = s.post(&format!("{path}/preview"), &a, zoned.clone()).await;
    assert_eq!(preview.body, json!({"reissues": true, "revokes": [old_serial]}));
    assert_eq!(s.get(&path, &a).await.body["permit"]["serial"].as_u64(), Some(old_serial));
    assert!(!s.revoked_serials().await.contains(&old_serial));
    let bad = s
        .post(
            &format!("{path}/preview"),
            &a,
            json!({"document": "AZE11111111", "name": "x",
        "zones": [999], "valid_from": "2020-12-15", "valid_until": "2020-12-31"}),
        )
        .await;
    assert_eq!(bad.body["code"], "invalid_zone", "{}", bad.body);
    assert_eq!(s.post(&format!("{path}/preview"), &b, zoned.clone()).await.status, StatusCode::NOT_FOUND);
    // ...and the edit gives a new serial and revokes the old one.
    let rezoned = s.put(&path, &a, zoned).await;
    assert_eq!(rezoned.status, StatusCode::OK, "{}", rezoned.body);
    let zone_serial = rezoned.body["permit"]["serial"].as_u64().unwrap();
    assert_ne!(zone_serial, old_serial);
    assert!(s.revoked_serials().await.contains(&old_serial));
    assert_eq!(rezoned.body["zones"], json!([3]));
    let old_serial = zone_serial;

    // An edit of the window and the plate revokes the old permit and issues a new one.
    let edited = s
        .put(
            &path,
            &a,
            json!({"document": "AZE11111111", "name": "Məmmədov Elçin", "position": "engineer",
            "zones": [3], "valid_from": "2020-12-16", "valid_until": "2020-12-20", "plate": "10-AA-123"}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let new_serial = edited.body["permit"]["serial"].as_u64().unwrap();
    assert_ne!(new_serial, old_serial);
    assert_eq!(edited.body["plate"], "10AA123");
    let revoked = s.revoked_serials().await;
    assert!(revoked.contains(&old_serial) && !revoked.contains(&new_serial), "{revoked:?}");
    let new_permit = s.verify(edited.body["permit"]["token"].as_str().unwrap());
    assert_eq!(new_permit.claims().vehicle().map(|v| v.as_str().to_owned()).as_deref(), Some("10AA123"));

    // A business trip.
    let trip = s
        .post(
            &format!("{path}/trips"),
            &a,
            json!({"zones": [5, 6], "valid_from": "2020-12-17", "valid_until": "2020-12-18"}),
        )
        .await;
    assert_eq!(trip.status, StatusCode::CREATED, "{}", trip.body);
    let trip_permit = s.verify(trip.body["permit"]["token"].as_str().unwrap());
    assert_eq!(trip_permit.claims().purpose(), Purpose::BusinessTrip);
    let trip_serial = trip.body["permit"]["serial"].as_u64().unwrap();
    let trip_id = trip.body["id"].as_i64().unwrap();
    assert_eq!(s.get(&format!("/portal/api/trips/{trip_id}/qr.svg"), &a).await.status, StatusCode::OK);
    assert_eq!(s.get(&format!("/portal/api/trips/{trip_id}/qr.svg"), &b).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.get(&path, &a).await.body["trips"].as_array().unwrap().len(), 1);

    // Delete revokes the permit and the trip's.
    let deleted = s.delete(&path, &a).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    let mut gone: Vec<u64> = deleted.body["revoked"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    gone.sort_unstable();
    assert_eq!(gone, vec![new_serial, trip_serial]);
    let revoked = s.revoked_serials().await;
    assert!(revoked.contains(&new_serial) && revoked.contains(&trip_serial));
    assert_eq!(s.get("/portal/api/employees", &a).await.body["employees"], json!([]));
    assert_eq!(s.get(&path, &a).await.status, StatusCode::NOT_FOUND);

    // Every change is in the organisation's audit log, and only there.
    let audit = s.get("/portal/api/audit", &a).await.body;
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec![
            "organisation_created",
            "password_changed",
            "employee_added",
            "employee_edited",
            "employee_edited",
            "employee_edited",
            "trip_added",
            "employee_deleted"
        ]
    );
    assert_eq!(s.get("/portal/api/audit", &b).await.body["entries"].as_array().unwrap().len(), 2);

    // Delegation: a second person, then deactivated with their sessions.
    // The login is qualified by the organisation's tax id, so that it tells nothing of
    // another organisation's logins: the same name asked for by org b is b's own, and a
    // bare login of org b (its first person's) is not this employer's to take or to probe.
    let added = s.post("/portal/api/org/persons", &a, json!({"login": "deputy", "name": "Deputy"})).await;
    assert_eq!((added.status, added.body["login"].as_str()), (StatusCode::CREATED, Some("deputy@1111111111")));
    let theirs = s.post("/portal/api/org/persons", &b, json!({"login": "Deputy", "name": "Deputy B"})).await;
    assert_eq!((theirs.status, theirs.body["login"].as_str()), (StatusCode::CREATED, Some("deputy@2222222222")));
    let probe = s.post("/portal/api/org/persons", &a, json!({"login": "org.b", "name": "Probe"})).await;
    assert_eq!((probe.status, probe.body["login"].as_str()), (StatusCode::CREATED, Some("org.b@1111111111")));
    let again = s.post("/portal/api/org/persons", &a, json!({"login": "deputy", "name": "Twice"})).await;
    assert_eq!((again.status, again.body["code"].as_str()), (StatusCode::CONFLICT, Some("duplicate_login")));
    let forged = s.post("/portal/api/org/persons", &a, json!({"login": "deputy@2222222222", "name": "X"})).await;
    assert_eq!(forged.body["code"], "invalid_login", "no other organisation's suffix: {}", forged.body);
    let deputy = s.own_session("deputy@1111111111", added.body["password"].as_str().unwrap()).await;
    assert_eq!(s.get("/portal/api/org", &deputy).await.body["persons"].as_array().unwrap().len(), 3);
    assert_eq!(s.delete("/portal/api/org/persons/deputy@1111111111", &a).await.status, StatusCode::OK);
    assert_eq!(s.get("/portal/api/org", &deputy).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(s.delete("/portal/api/org/persons/org.a", &a).await.body["code"], "cannot_remove_self");
    assert_eq!(s.delete("/portal/api/org/persons/org.b", &a).await.status, StatusCode::NOT_FOUND);
}

/// Issue 22 item 7: the certificate printed `Icazä`, `Räsad Äliyev` and `Baki`, with English
/// labels only. It keeps every letter now, speaks the portal's language (`?lang=`,
/// Azerbaijani by default), and shows the end of validity as the page and the device do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_22_the_certificate_keeps_its_letters_in_az_ru_and_en() {
    let s = Service::start().await;
    let (status, body) = s
        .admin(
            "/v1/organisations",
            json!({"tax_id": "4444444444", "name": "Bakı Çörək Zavodu ASC", "login": "org.c", "person_name": "Rəşad"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let a = s.own_session("org.c", body["password"].as_str().unwrap()).await;
    let added = s
        .post(
            "/portal/api/employees",
            &a,
            json!({"document": "AZE11111111", "name": "Rəşad Əliyev İsmayıl oğlu", "position": "Çörək sexinin müdiri",
            "zones": [1, 2], "valid_from": "2020-12-15", "valid_until": "2020-12-31", "plate": "10-AA-123"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    // The permit ends at the first minute it is no longer valid: the page shows this
    // instant as `01.01.2021 00:00` (Baku time), and so does the device and the certificate.
    assert_eq!(added.body["permit"]["valid_until"], "2020-12-31T20:00:00Z");
    let path = format!("/portal/api/employees/{}/certificate.pdf", added.body["id"]);

    let default = s.get(&path, &a).await;
    assert_eq!(default.status, StatusCode::OK);
    assert_eq!(default.bytes, s.get(&format!("{path}?lang=az"), &a).await.bytes, "Azerbaijani is the default");
    let az = icaze_testkit::pdftotext(&default.bytes);
    for expected in [
        "İcazə: iş",
        "Ad, soyad",
        "Rəşad Əliyev İsmayıl oğlu",
        "Vəzifə",
        "Çörək sexinin müdiri",
        "Təşkilat",
        "Bakı Çörək Zavodu ASC (VÖEN 4444444444)",
        "Zonalar",
        "Bakı (1), Sumqayıt (2)",
        "Etibarlılıq",
        "15.12.2020 00:00 – 01.01.2021 00:00 (Bakı vaxtı)",
        "Avtomobil nömrəsi",
        "10AA123",
    ] {
        assert!(az.contains(expected), "{expected:?} not in the Azerbaijani certificate:\n{az}");
    }

    let ru = icaze_testkit::pdftotext(&s.get(&format!("{path}?lang=ru"), &a).await.bytes);
    for expected in [
        "Пропуск: работа",
        "Фамилия, имя",
        "Rəşad Əliyev İsmayıl oğlu",
        "Должность",
        "Организация",
        "Bakı Çörək Zavodu ASC (ВОЕН 4444444444)",
        "Зоны",
        "Баку (1), Сумгайыт (2)",
        "Срок действия",
        "15.12.2020 00:00 – 01.01.2021 00:00 (время Баку)",
        "Номер автомобиля",
    ] {
        assert!(ru.contains(expected), "{expected:?} not in the Russian certificate:\n{ru}");
    }

    let en = icaze_testkit::pdftotext(&s.get(&format!("{path}?lang=en"), &a).await.bytes);
    for expected in ["Permit: work", "Name", "Rəşad Əliyev İsmayıl oğlu", "Baku (1), Sumgayit (2)", "(Baku time)"]
    {
        assert!(en.contains(expected), "{expected:?} not in the English certificate:\n{en}");
    }

    let unknown = s.get(&format!("{path}?lang=de"), &a).await;
    assert_eq!((unknown.status, unknown.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_check_every_row_and_keep_only_the_good_ones() {
    let s = Service::start().await;
    let (_, a) = s.org("1111111111", "org.a").await;
    let csv = "document,name,position,zones,valid_from,valid_until,plate\r\n\
        AZE50000000,\"Aliyev, Rashad\",driver,1;2,2020-12-15,2020-12-31,\n\
        ???,Bad Document,x,1,2020-12-15,2020-12-31,\n\
        AZE99999999,Unknown,x,1,2020-12-15,2020-12-31,\n\
        AZE50000002,Bad Zone,x,999,2020-12-15,2020-12-31,\n\
        AZE50000000,Repeated,x,1,2020-12-15,2020-12-31,\n\
        AZE50000003,Bad Dates,x,1,2020-12-31,2020-12-15,\n\
        AZE44444444,Denied,x,1,2020-12-15,2020-12-31,\n\
        AZE50000004,Short,x,1\n\
        \n\
        MYI1234567,With Plate,courier,2,2020-12-16,2020-12-20,90-BB-001\n";
    let report = s.import(&a, csv).await;
    assert_eq!(report["state"], "done", "{report}");
    assert_eq!((report["total"].as_u64(), report["imported"].as_u64()), (Some(9), Some(2)), "{report}");
    let lines: Vec<u64> = report["problems"].as_array().unwrap().iter().map(|p| p["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 8, 9], "{report}");
    assert_eq!(report["problems_total"], 7);
    let message = |line: u64| {
        report["problems"].as_array().unwrap().iter().find(|p| p["line"] == line).unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(message(6).contains("repeats line 2"), "{}", message(6));
    assert!(message(9).contains("expected 7 columns"), "{}", message(9));
    // Each line's problem by its code, case, field and values, as a refusal says it (issue 22 item 6).
    let coded = |line: u64| {
        let p = report["problems"].as_array().unwrap().iter().find(|p| p["line"] == line).unwrap();
        (p["code"].clone(), p["case"].clone(), p["field"].clone(), p["params"].clone())
    };
    assert_eq!(coded(3).0, "invalid_document");
    assert_eq!(
        coded(4),
        (json!("unknown_document"), json!(null), json!("document"), json!({"document": "AZE99999999"}))
    );
    let (code, case, field, params) = coded(5);
    assert_eq!(
        (code, case, field, &params["zone"]),
        (json!("invalid_zone"), json!("not_in_regime"), json!("zones"), &json!("999"))
    );
    assert!(params["regime"].is_string(), "{params}");
    assert_eq!(
        coded(6),
        (
            json!("duplicate_employee"),
            json!("repeat"),
            json!("document"),
            json!({"document": "AZE50000000", "line": "2"})
        )
    );
    assert_eq!(coded(7), (json!("invalid_dates"), json!("until_before_from"), json!("valid_until"), json!(null)));
    assert_eq!(coded(8), (json!("refused"), json!(null), json!("document"), json!(null)));
    assert_eq!(coded(9), (json!("invalid_csv"), json!("columns"), json!(null), json!({"expected": "7", "found": "4"})));

    let list = s.get("/portal/api/employees", &a).await.body;
    let employees = list["employees"].as_array().unwrap();
    let documents: Vec<&str> = employees.iter().map(|e| e["document"].as_str().unwrap()).collect();
    assert_eq!(documents, vec!["AZE50000000", "MYI1234567"]);
    assert_eq!(employees[0]["name"], "Aliyev, Rashad");
    assert_eq!(employees[1]["plate"], "90BB001");
    for e in employees {
        assert_eq!(s.verify(e["permit"]["token"].as_str().unwrap()).claims().purpose(), Purpose::Work);
    }

    // The same file again: the good rows are now duplicates of the organisation.
    let again = s.import(&a, csv).await;
    assert_eq!((again["state"].as_str(), again["imported"].as_u64()), (Some("done"), Some(0)), "{again}");
    let first = &again["problems"][0];
    assert_eq!(first["line"], 2);
    assert!(first["message"].as_str().unwrap().contains("registered in your organisation"), "{first}");
    assert_eq!(
        (&first["code"], &first["case"], &first["params"]),
        (&json!("duplicate_employee"), &json!(null), &json!({"document": "AZE50000000"}))
    );
    assert_eq!(s.get("/portal/api/employees", &a).await.body["employees"].as_array().unwrap().len(), 2);

    // A file without the right header imports nothing.
    let bad = s.import(&a, "document,name\nAZE50000005,X\n").await;
    assert_eq!((bad["state"].as_str(), bad["problems"][0]["line"].as_u64()), (Some("failed"), Some(1)), "{bad}");
    assert_eq!((&bad["problems"][0]["code"], &bad["problems"][0]["case"]), (&json!("invalid_csv"), &json!("header")));
    assert_eq!(bad["problems"][0]["params"]["header"], "document,name,position,zones,valid_from,valid_until,plate");
    // Another organisation cannot read the job.
    let (_, b) = s.org("2222222222", "org.b").await;
    let id = s.request(Method::POST, "/portal/api/imports", Some(&a), true, Some(csv.as_bytes().to_vec())).await;
    let path = format!("/portal/api/imports/{}", id.body["id"].as_str().unwrap());
    assert_eq!(s.get(&path, &b).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funeral_permits_come_from_operators_only() {
    let s = Service::start().await;
    let (status, body) = s.admin("/v1/operators", json!({"login": "op1", "name": "Operator One"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let op = s.own_session("op1", body["password"].as_str().unwrap()).await;
    let (_, employer) = s.org("1111111111", "org.a").await;

    let request = json!({"document": "AZE11111111", "zone": 3, "valid_from": "2020-12-15T12:00",
        "valid_until": "2020-12-15T20:00", "note": "father's funeral"});
    let issued = s.post("/portal/api/funeral", &op, request.clone()).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    assert_eq!(issued.body["operator"], "op1");
    assert_eq!(issued.body["zones"], json!([1, 3]), "destination and registered zone");
    let permit = s.verify(issued.body["token"].as_str().unwrap());
    assert_eq!(permit.claims().purpose(), Purpose::Funeral);
    assert_eq!(permit.claims().valid_from(), at("2020-12-15T12:00:00+04:00"));

    let forbidden = s.post("/portal/api/funeral", &employer, request.clone()).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(s.get("/portal/api/employees", &op).await.status, StatusCode::FORBIDDEN);

    let mut long = request.clone();
    long["valid_until"] = json!("2020-12-16T12:01");
    let long = s.post("/portal/api/funeral", &op, long).await.body;
    // The case of `invalid_dates`, the field and the values, beside the English message (issue 22 item 6).
    assert_eq!(
        long,
        json!({"code": "invalid_dates", "message": "a funeral permit lasts more than 0 and at most 24 hours",
            "case": "funeral_length", "field": "valid_until", "params": {"hours": "24"}})
    );
    let mut ahead = request.clone();
    ahead["valid_from"] = json!("2020-12-18T11:00");
    ahead["valid_until"] = json!("2020-12-18T12:00");
    let ahead = s.post("/portal/api/funeral", &op, ahead).await.body;
    assert_eq!(
        (&ahead["code"], &ahead["case"], &ahead["field"]),
        (&json!("invalid_dates"), &json!("funeral_ahead"), &json!("valid_from"))
    );
    assert_eq!(ahead["params"], json!({"days": "3"}));
    let mut denied = request.clone();
    denied["document"] = json!("AZE44444444");
    assert_eq!(s.post("/portal/api/funeral", &op, denied).await.body["code"], "refused");

    let list = s.get("/portal/api/funeral", &op).await.body;
    assert_eq!(list["permits"].as_array().unwrap().len(), 1);
    assert_eq!(list["permits"][0]["serial"], issued.body["serial"]);

    // The family calls back: an operator revokes it, audited; it reaches the bundle's list.
    let serial = issued.body["serial"].as_u64().unwrap();
    let revoke = format!("/portal/api/funeral/{serial}/revoke");
    assert_eq!(s.post(&revoke, &op, json!({"reason": ""})).await.body["code"], "invalid_field");
    assert_eq!(s.post(&revoke, &employer, json!({"reason": "x"})).await.status, StatusCode::FORBIDDEN);
    let revoked = s.post(&revoke, &op, json!({"reason": "the funeral was moved"})).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(revoked.body["revoked"], true);
    assert!(s.revoked_serials().await.contains(&serial));
    assert_eq!(s.post(&revoke, &op, json!({"reason": "again"})).await.status, StatusCode::OK, "twice is no error");
    let missing = s.post("/portal/api/funeral/999999/revoke", &op, json!({"reason": "x"})).await;
    assert_eq!((missing.status, missing.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("permit_not_found")));
    let list = s.get("/portal/api/funeral", &op).await.body;
    assert_eq!(list["permits"][0]["revoked"], true);
}

/// An operator and a funeral permit issued by them, on a service `configure`d.
async fn operator_with_funeral(configure: impl FnOnce(&mut ServeConfig)) -> (Service, Session, Value) {
    let s = Service::start_configured(HashCost::cheap(), configure).await;
    let (status, body) = s.admin("/v1/operators", json!({"login": "op1", "name": "Operator One"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let op = s.own_session("op1", body["password"].as_str().unwrap()).await;
    let request = json!({"document": "AZE11111111", "zone": 3, "valid_from": "2020-12-15T12:00",
        "valid_until": "2020-12-15T20:00"});
    let issued = s.post("/portal/api/funeral", &op, request).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    (s, op, issued.body)
}

/// The `funeral_sms_sent` entries of the portal's audit log: (by, details).
fn sms_audit(s: &Service) -> Vec<(String, Value)> {
    let db = rusqlite::Connection::open(s.svc.data().join("portal.db")).unwrap();
    let mut query = db.prepare("SELECT by, details FROM audit WHERE action = 'funeral_sms_sent' ORDER BY id").unwrap();
    let rows = query.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).unwrap();
    rows.map(|r| r.unwrap()).map(|(by, details)| (by, serde_json::from_str(&details).unwrap())).collect()
}

/// Issue 22 item 9: the 102 console sends a funeral permit to the caller's
/// phone through Kannel's send interface; the phone network (the fake SMSC)
/// receives the 8103 service's permit reply at that phone, and it verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_22_an_operator_sends_a_funeral_permit_by_sms_through_kannel() {
    // Nothing here sends to the short code: the sms-service's URL is never called.
    let kannel = tokio::task::spawn_blocking(|| {
        icaze_testkit::Kannel::start("http://127.0.0.1:9/sms/8103")
            .expect("Kannel starts (apt-get install kannel kannel-extras)")
    })
    .await
    .unwrap();
    let send_url = kannel.sendsms_url();
    let (s, op, issued) = operator_with_funeral(|c| c.sms_send_url = Some(send_url)).await;
    let serial = issued["serial"].as_u64().unwrap();
    let path = format!("/portal/api/funeral/{serial}/sms");

    let sent = s.post(&path, &op, json!({"phone": "+994 50 123-45-67", "language": "en"})).await;
    assert_eq!(sent.status, StatusCode::OK, "{}\n{}", sent.body, kannel.log_tail());
    assert_eq!(sent.body["phone"], "994501234567");
    let text = sent.body["text"].as_str().unwrap().to_owned();
    let token = issued["token"].as_str().unwrap();
    assert!(text.contains("AZE11111111 15.12 12:00-20:00") && text.ends_with(token), "{text}");
    let received = tokio::task::spawn_blocking(move || {
        let received = kannel.received("994501234567");
        received.unwrap_or_else(|e| panic!("{e}\n{}", kannel.log_tail()))
    })
    .await
    .unwrap();
    assert_eq!(received, text, "the phone receives exactly the permit reply");
    assert!(received.len() <= 160 && received.is_ascii(), "one GSM-7 SMS: {received:?}");
    assert_eq!(
        s.verify(received.rsplit(' ').next().unwrap()).claims().serial(),
        icaze_core::PermitSerial(serial as u32)
    );
    assert_eq!(
        sms_audit(&s),
        vec![("op1".to_owned(), json!({"operator": "op1", "phone": "99450*****67", "serial": serial}))]
    );

    // A phone that is not one, a language the SMS service does not write: 400, nothing sent.
    let bad = s.post(&path, &op, json!({"phone": "050 12x"})).await;
    assert_eq!((bad.status, bad.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_phone")));
    let bad = s.post(&path, &op, json!({"phone": "994501234567", "language": "de"})).await;
    assert_eq!((bad.status, bad.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_language")));
    let missing = s.post("/portal/api/funeral/999999/sms", &op, json!({"phone": "994501234567"})).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // A revoked permit is not sent.
    let revoke = format!("/portal/api/funeral/{serial}/revoke");
    assert_eq!(s.post(&revoke, &op, json!({"reason": "moved"})).await.status, StatusCode::OK);
    let revoked = s.post(&path, &op, json!({"phone": "994501234567"})).await;
    assert_eq!((revoked.status, revoked.body["code"].as_str()), (StatusCode::CONFLICT, Some("permit_revoked")));
    assert_eq!(sms_audit(&s).len(), 1, "only what the gateway took is audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_funeral_permit_is_not_sent_without_a_gateway_or_when_the_gateway_fails() {
    let (s, op, issued) = operator_with_funeral(|_| {}).await;
    let path = format!("/portal/api/funeral/{}/sms", issued["serial"]);
    let answer = s.post(&path, &op, json!({"phone": "+994501234567", "language": "az"})).await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("sms_not_configured"))
    );
    // CSRF as on every console route.
    let no_csrf =
        s.request(Method::POST, &path, Some(&op), false, Some(b"{\"phone\":\"994501234567\"}".to_vec())).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);

    // A gateway that is not listening: 502, nothing audited, the operator may try again.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}/cgi-bin/sendsms?username=u&password=p");
    let (s, op, issued) = operator_with_funeral(|c| c.sms_send_url = Some(url)).await;
    let path = format!("/portal/api/funeral/{}/sms", issued["serial"]);
    let answer = s.post(&path, &op, json!({"phone": "+994501234567"})).await;
    assert_eq!((answer.status, answer.body["code"].as_str()), (StatusCode::BAD_GATEWAY, Some("sms_gateway_failed")));
    assert!(!answer.body["message"].as_str().unwrap().contains("password"), "{}", answer.body);
    assert!(sms_audit(&s).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regime_changes_and_revocations_reach_the_bundle_list() {
    let s = Service::start().await;
    let (org_a, a) = s.org("1111111111", "org.a").await;
    let (org_b, b) = s.org("2222222222", "org.b").await;
    let mut serials = Vec::new();
    for document in ["AZE50000000", "AZE50000001"] {
        let added = s.add_employee(&a, document, json!([1]), "2020-12-31").await;
        assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
        serials.push(added.body["permit"]["serial"].as_u64().unwrap());
    }

    // Mass deactivation at a regime change, then reactivation by the employer.
    let (status, body) = s.admin("/v1/portal/deactivate", json!({"reason": "new regime"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["deactivated"].as_u64(), body["revoked"].as_u64()), (Some(2), Some(2)));
    let revoked = s.revoked_serials().await;
    assert!(serials.iter().all(|serial| revoked.contains(serial)), "{revoked:?}");
    let list = s.get("/portal/api/employees?status=deactivated", &a).await.body;
    assert_eq!(list["employees"].as_array().unwrap().len(), 2);
    let back = s
        .post(
            "/portal/api/employees/reactivate",
            &a,
            json!({"all": true, "valid_from": "2020-12-16",
            "valid_until": "2021-01-10"}),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert_eq!((back.body["reactivated"].as_u64(), back.body["problems"].clone()), (Some(2), json!([])));
    let list = s.get("/portal/api/employees?status=active", &a).await.body;
    let fresh: Vec<u64> =
        list["employees"].as_array().unwrap().iter().map(|e| e["permit"]["serial"].as_u64().unwrap()).collect();
    assert_eq!(fresh.len(), 2);
    assert!(fresh.iter().all(|serial| !serials.contains(serial)));

    // Revoking by document covers a portal permit.
    let (status, body) =
        s.admin("/v1/revocations", json!({"document": "AZE50000000", "reason": "reported by the employer"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["revoked"].as_array().unwrap().iter().any(|v| v.as_u64() == Some(fresh[0])), "{body}");

    // Revoking an organisation revokes its permits, not another's.
    let other = s.add_employee(&b, "AZE50000002", json!([1]), "2020-12-31").await;
    let other_serial = other.body["permit"]["serial"].as_u64().unwrap();
    let (status, body) =
        s.admin(&format!("/v1/organisations/{org_a}/revoke"), json!({"reason": "licence withdrawn"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut gone: Vec<u64> = body["revoked"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    gone.sort_unstable();
    assert_eq!(gone, fresh);
    assert!(!s.revoked_serials().await.contains(&other_serial));
    assert_ne!(org_a, org_b);

    // Only the administrator may do these.
    let (status, _) = s
        .client
        .post(s.url("/v1/portal/deactivate"))
        .body(json!({"reason": "x"}).to_string())
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_organisation_stays_revoked() {
    let s = Service::start().await;
    let (status, body) = s
        .admin(
            "/v1/organisations",
            json!({"tax_id": "3333333333", "name": "Revoked LLC", "login": "org.r", "person_name": "Aliyev"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (org, password) = (body["id"].as_i64().unwrap(), body["password"].as_str().unwrap().to_owned());
    let r = s.own_session("org.r", &password).await;
    let serial =
        s.add_employee(&r, "AZE50000000", json!([1]), "2020-12-31").await.body["permit"]["serial"].as_u64().unwrap();
    // Deactivated at a regime change, so that reactivation has something to reactivate.
    let (status, body) = s.admin("/v1/portal/deactivate", json!({"reason": "new regime"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = s.admin(&format!("/v1/organisations/{org}/revoke"), json!({"reason": "fraud"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(s.revoked_serials().await.contains(&serial));
    let refused = |answer: Answer, what: &str| {
        assert_eq!(
            (answer.status, answer.body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("organisation_revoked")),
            "{what}: {}",
            answer.body
        );
    };
    // The session open before the revocation allows nothing: reactivating, adding, importing.
    let back = s
        .post(
            "/portal/api/employees/reactivate",
            &r,
            json!({"all": true, "valid_from": "2020-12-16", "valid_until": "2021-01-10"}),
        )
        .await;
    refused(back, "reactivate");
    // The session was ended: a new one must be asked for, and is refused.
    let again = s.add_employee(&r, "AZE50000001", json!([1]), "2020-12-31").await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.body);
    refused(s.login("org.r", OWN).await, "sign in");
    let csv = "document,name,position,zones,valid_from,valid_until,plate\r\nAZE50000002,A B,driver,1,2020-12-15,2020-12-31,\r\n";
    let import = s.request(Method::POST, "/portal/api/imports", Some(&r), true, Some(csv.as_bytes().to_vec())).await;
    assert_eq!(import.status, StatusCode::UNAUTHORIZED, "{}", import.body);
    // Nothing new was issued, and the permit is still revoked.
    let (status, body) = s.admin(&format!("/v1/organisations/{org}/revoke"), json!({"reason": "fraud"})).await;
    assert_eq!((status, body["revoked"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{body}");
    // A wrong password is told apart from nothing: the revocation is told only to who knows it.
    assert_eq!(s.login("org.r", "not the password").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_sent_at_once_are_throttled_as_sequential_ones_are() {
    // The real hashing cost, so that the guesses overlap as they would in an attack.
    let s = Arc::new(Service::start_with(HashCost::default()).await);
    let (status, body) = s
        .admin(
            "/v1/organisations",
            json!({"tax_id": "4444444444", "name": "Target", "login": "org.t", "person_name": "Aliyev"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let password = body["password"].as_str().unwrap().to_owned();
    // 29 wrong passwords sent at the same moment. (The right one is not among them: a
    // success takes the login's count back, so where it landed in the burst would decide
    // how many guesses after it are checked, as it would one after another.)
    let attempts: Vec<_> = (0..29)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.login("org.t", &format!("guess number {i}")).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let checked = statuses.iter().filter(|&&st| st != StatusCode::TOO_MANY_REQUESTS).count();
    // Five failures a login close it: at most five were checked, as one after another.
    assert!(checked <= 5, "{checked} of 29 were checked: {statuses:?}");
    assert!(statuses.iter().all(|&st| matches!(st, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS)));
    // The right password now is refused too: the login is closed, whoever knows it.
    assert_eq!(s.login("org.t", &password).await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_is_throttled_across_logins_and_bodies_are_capped() {
    let s = Service::start().await;
    let (_, a) = s.org("1111111111", "org.a").await;
    // Twenty failures from one address, four per login name, close the address.
    for i in 0..20 {
        let answer = s.login(&format!("guess{}", i / 4), "not a password").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let throttled = s.login("org.a", "whatever it is").await;
    assert_eq!((throttled.status, throttled.body["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("throttled")));
    // A session already open is not affected.
    assert_eq!(s.get("/portal/api/org", &a).await.status, StatusCode::OK);

    let big = json!({"document": "x".repeat(70 * 1024)}).to_string().into_bytes();
    let answer = s.request(Method::POST, "/portal/api/employees", Some(&a), true, Some(big)).await;
    assert_eq!((answer.status, answer.body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")));
    let broken = s.request(Method::POST, "/portal/api/employees", Some(&a), true, Some(b"{".to_vec())).await;
    assert_eq!((broken.status, broken.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_json")));
    let not_utf8 = s.request(Method::POST, "/portal/api/imports", Some(&a), true, Some(vec![0xff, 0xfe, 0x00])).await;
    assert_eq!(not_utf8.body["code"], "bad_encoding");
}

/// A sign-in as a proxy passes it on: from loopback, with `X-Forwarded-For`.
async fn login_via(s: &Service, forwarded_for: &str, login: &str, password: &str) -> (StatusCode, String) {
    let response = s
        .client
        .post(s.url("/portal/api/login"))
        .header("x-forwarded-for", forwarded_for)
        .body(json!({"login": login, "password": password}).to_string())
        .send()
        .await
        .unwrap();
    let cookie = response.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (response.status(), cookie)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_tls_proxy_cookies_are_secure_and_throttles_count_each_client() {
    // The documented deployment: a TLS proxy on this machine, the service on loopback.
    let s = Service::start_configured(HashCost::cheap(), |c| {
        c.public_url = Some("https://permits.example.az/".into());
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    assert_eq!(s.svc.server().public_url(), "https://permits.example.az");
    let (_, _) = s.org("1111111111", "org.a").await;
    let (status, cookie) = login_via(&s, "198.51.100.7", "org.a", OWN).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cookie.contains("; Secure"), "listening on loopback behind https: {cookie}");

    // Twenty failures from one client close that client, and only that one,
    // though every request reaches the service from the proxy's address.
    for i in 0..20 {
        let (status, _) = login_via(&s, "203.0.113.5", &format!("guess{}", i / 4), "not a password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_eq!(login_via(&s, "203.0.113.5", "org.a", OWN).await.0, StatusCode::TOO_MANY_REQUESTS);
    // What the client wrote before the proxy's own entry changes nothing.
    assert_eq!(login_via(&s, "198.51.100.7, 203.0.113.5", "org.a", OWN).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login_via(&s, "198.51.100.7", "org.a", OWN).await.0, StatusCode::OK);

    // Without a trusted proxy the header is anybody's: ignored, so varying it
    // escapes nothing, and on loopback with no public URL cookies are not Secure.
    let direct = Service::start().await;
    let (_, _) = direct.org("1111111111", "org.a").await;
    let (status, cookie) = login_via(&direct, "198.51.100.7", "org.a", OWN).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!cookie.contains("Secure"), "{cookie}");
    for i in 0..20 {
        let (status, _) = login_via(&direct, &format!("203.0.113.{i}"), &format!("guess{}", i / 4), "no").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_eq!(login_via(&direct, "198.51.100.99", "org.a", OWN).await.0, StatusCode::TOO_MANY_REQUESTS);

    // A public URL of http:// is taken at its word; a path or another scheme is refused at start.
    let plain = Service::start_configured(HashCost::cheap(), |c| {
        c.listen = "0.0.0.0:0".parse().unwrap();
        c.public_url = Some("http://permits.lan:8080".into());
    })
    .await;
    let (_, _) = plain.org("1111111111", "org.a").await;
    assert!(!login_via(&plain, "198.51.100.7", "org.a", OWN).await.1.contains("Secure"));
    for bad in ["ftp://permits.example.az", "https://permits.example.az/portal", "permits.example.az"] {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServeConfig::new(dir.path().join("data"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.public_url = Some(bad.into());
        let refused = Server::start(config).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused.contains("public URL"), "{bad}: {refused}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_survives_a_restart_and_serials_are_never_reused() {
    let s = Service::start().await;
    let (_, a) = s.org("1111111111", "org.a").await;
    let first = s.add_employee(&a, "AZE50000000", json!([1]), "2020-12-31").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let first_serial = first.body["permit"]["serial"].as_u64().unwrap();

    let s = s.restart().await;
    // The session, the employee and the audit log are on disk.
    let list = s.get("/portal/api/employees", &a).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["employees"][0]["permit"]["serial"].as_u64(), Some(first_serial));
    let second = s.add_employee(&a, "AZE50000001", json!([1]), "2020-12-31").await;
    let second_serial = second.body["permit"]["serial"].as_u64().unwrap();
    assert!(second_serial > first_serial, "{second_serial} after {first_serial}");
    // An SMS permit after the restart takes yet another serial.
    let sms = s
        .client
        .get(s.url("/sms/8103"))
        .query(&[("from", "994501234567"), ("text", "1 AZE50000002")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = UnverifiedPermit::find_in_text(&sms).unwrap();
    let sms_serial = u64::from(s.verify(&token.token().to_text()).claims().serial().0);
    assert!(sms_serial != first_serial && sms_serial != second_serial, "{sms}");
    // Created, its one-time password replaced, two employees added.
    assert_eq!(s.get("/portal/api/audit", &a).await.body["entries"].as_array().unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stolen_portal_key_is_rotated_and_its_long_lived_permits_reissued() {
    let s = Service::start().await;
    let (status, org) = s
        .admin(
            "/v1/organisations",
            json!({"tax_id": "3333333333", "name": "Keys", "login": "org.keys", "person_name": "Aliyev"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    let password = org["password"].as_str().unwrap();
    let a = s.own_session("org.keys", password).await;
    let added = s.add_employee(&a, "AZE50000000", json!([1, 2]), "2021-01-10").await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let id = added.body["id"].as_i64().unwrap();
    let old_token = added.body["permit"]["token"].as_str().unwrap().to_owned();
    assert_eq!(UnverifiedPermit::from_text(&old_token).unwrap().key_id().0, 2, "the portal key");
    let trip = s
        .post(
            &format!("/portal/api/employees/{id}/trips"),
            &a,
            json!({"zones": [3], "valid_from": "2020-12-20", "valid_until": "2020-12-22"}),
        )
        .await;
    assert_eq!(trip.status, StatusCode::CREATED, "{}", trip.body);
    let ended = s.add_employee(&a, "AZE50000001", json!([1]), "2020-12-15").await;
    assert_eq!(ended.status, StatusCode::CREATED, "{}", ended.body);
    s.clock.set(at("2020-12-16T10:00:00+04:00"));

    let keys = s.svc.data().join("authority");
    icaze_authority::Authority::rotate(&keys, "portal", at("2020-12-16T10:00:00+04:00"), &Default::default()).unwrap();
    let (status, body) = s.admin("/v1/keys/reload", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked_keys"], json!([2]));
    assert_eq!(body["reissued"]["reissued"], 2, "the work permit and the trip, not the permit that ended: {body}");

    // The employee's permit and trip are new tokens of the new key, same holder and zones.
    let a = s.session("org.keys", OWN).await;
    let now = s.get(&format!("/portal/api/employees/{id}"), &a).await.body;
    let new_token = now["permit"]["token"].as_str().unwrap();
    assert_ne!(new_token, old_token);
    let verified = s.verify(new_token);
    assert_eq!(UnverifiedPermit::from_text(new_token).unwrap().key_id().0, 5);
    assert_eq!(verified.claims().document().canonical(), "AZE50000000");
    assert_eq!(verified.claims().zones().iter().map(|z| z.get()).collect::<Vec<_>>(), [1, 2]);
    let trip_token = now["trips"][0]["permit"]["token"].as_str().unwrap();
    assert_eq!(UnverifiedPermit::from_text(trip_token).unwrap().key_id().0, 5);
    // The old token no longer verifies under the new trust list.
    let root = icaze_authority::read_public_key(&std::fs::read_to_string(keys.join("root.public")).unwrap()).unwrap();
    let trust = TrustList::verify_bytes(&std::fs::read(keys.join("trustlist")).unwrap(), &root).unwrap();
    assert!(trust.verify(&UnverifiedPermit::from_text(&old_token).unwrap()).is_err());
    let audit = s.get("/portal/api/audit", &a).await.body;
    assert!(audit.to_string().contains("permits_reissued"), "{audit}");

    // A second reload revokes nothing new and re-issues nothing.
    let (_, body) = s.admin("/v1/keys/reload", json!({})).await;
    assert_eq!((body["revoked_keys"].clone(), body["reissued"].clone()), (json!([]), Value::Null), "{body}");
}

/// The QR version (at error correction M, as `icaze qr` and every page draw
/// it) of a token's QR form.
fn qr_version(token: &str) -> u8 {
    let digits = UnverifiedPermit::from_text(token).unwrap().token().to_qr_digits();
    icaze_qr::encode(&digits).unwrap().info().version
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_19_every_channel_s_permits_fit_a_version_5_qr_code() {
    let s = Service::start().await;
    // An odd minute, so that no time falls on a short form by chance.
    s.clock.set(at("2020-12-15T10:07:00+04:00"));
    let sms = |text: &'static str| {
        let request = s.client.get(s.url("/sms/8103")).query(&[("from", "994501234567"), ("text", text)]);
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let mut tokens = Vec::new();
    for text in ["2 AZE50000002", "1 AZE50000003"] {
        let reply = sms(text).await;
        let token = UnverifiedPermit::find_in_text(&reply).unwrap_or_else(|e| panic!("{reply}: {e}"));
        let claims = s.verify(&token.token().to_text()).claims().clone();
        assert_eq!(claims.valid_from().minutes_since(claims.issued_at()), 15, "the regime's activation delay");
        tokens.push((text.to_owned(), token.token().to_text()));
    }

    let (_, a) = s.org("1111111111", "org.a").await;
    let work = s.add_employee(&a, "AZE50000004", json!([1]), "2021-01-17").await;
    assert_eq!(work.status, StatusCode::CREATED, "{}", work.body);
    tokens.push(("work permit to the regime's end".into(), work.body["permit"]["token"].as_str().unwrap().into()));
    let path = format!("/portal/api/employees/{}", work.body["id"]);
    let trip = s
        .post(
            &format!("{path}/trips"),
            &a,
            json!({"zones": [3, 5, 17], "valid_from": "2020-12-17", "valid_until": "2020-12-20"}),
        )
        .await;
    assert_eq!(trip.status, StatusCode::CREATED, "{}", trip.body);
    tokens.push(("business trip to three zones".into(), trip.body["permit"]["token"].as_str().unwrap().into()));

    let (status, body) = s.admin("/v1/operators", json!({"login": "op1", "name": "Operator One"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let op = s.own_session("op1", body["password"].as_str().unwrap()).await;
    let funeral = |from: &str| json!({"document": "AZE50000005", "zone": 17, "valid_from": from, "valid_until": "2020-12-16T15:10"});
    let odd = s.post("/portal/api/funeral", &op, funeral("2020-12-16T09:07")).await;
    assert_eq!((odd.status.as_u16(), odd.body["code"].as_str()), (400, Some("invalid_dates")), "{}", odd.body);
    let issued = s.post("/portal/api/funeral", &op, funeral("2020-12-16T09:30")).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    assert_eq!(issued.body["zones"].as_array().map(Vec::len), Some(2), "destination and registered zone");
    tokens.push(("funeral permit for two zones".into(), issued.body["token"].as_str().unwrap().into()));

    for (what, token) in &tokens {
        assert!(token.starts_with("IZ2"), "{what}: issuers write format v2: {token}");
        assert!(qr_version(token) <= 5, "{what}: QR version {}", qr_version(token));
    }
    // A permit that names a vehicle is the one kind that takes version 6
    // (docs/token-format.md §10): its plate's 46 bits do not fit beside the rest.
    let driver = s.add_employee(&a, "AZE50000006", json!([1]), "2021-01-17").await;
    let edited = s
        .put(
            &format!("/portal/api/employees/{}", driver.body["id"]),
            &a,
            json!({"document": "AZE50000006", "name": "Məmmədov Elçin", "position": "driver", "zones": [1], "valid_from": "2020-12-15",
                "valid_until": "2021-01-17", "plate": "10-AA-123"}),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(qr_version(edited.body["permit"]["token"].as_str().unwrap()), 6);
}

/// Issue 22 item 13: portal logins by outcome in `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_counted_by_outcome_in_the_metrics() {
    let s = Service::start().await;
    s.org("1111111111", "org.a").await;
    for _ in 0..5 {
        assert_eq!(s.login("org.a", "not the password").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(s.login("org.a", "whatever it is").await.status, StatusCode::TOO_MANY_REQUESTS);
    let token = std::fs::read_to_string(s.svc.data().join("metrics-token")).unwrap();
    let response = s.client.get(s.url("/metrics")).bearer_auth(token.trim()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let metrics = response.text().await.unwrap();
    for line in [
        "icaze_portal_logins_total{outcome=\"ok\"} 1",
        "icaze_portal_logins_total{outcome=\"bad_credentials\"} 5",
        "icaze_portal_logins_total{outcome=\"throttled\"} 1",
        "icaze_portal_logins_total{outcome=\"refused\"} 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
}
