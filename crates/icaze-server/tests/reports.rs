//! Issue 23 items 3, 4 and 7 over real HTTP on loopback: the administrator's
//! search of permits and refused SMS requests, the abuse report of the codes
//! (JSON and CSV), and the alert in `/metrics` when code 1's share of the
//! day's requests grows past its usual share; what a plain supervisor and an
//! investigator see of them, and the audit trail of every view.

use icaze_testkit::service::{at, TestService};
use serde_json::Value;

struct Service {
    svc: TestService,
    client: reqwest::Client,
}

impl Service {
    async fn sms(&self, from: &str, text: &str) -> String {
        let response =
            self.client.get(self.svc.url("/sms/8103")).query(&[("from", from), ("text", text)]).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut request = self.client.get(self.svc.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn admin_json(&self, path: &str) -> Value {
        self.json(path, &self.svc.admin_token()).await
    }

    async fn json(&self, path: &str, token: &str) -> Value {
        let (status, body) = self.get(path, Some(token)).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// A supervisor of precinct P-1 with `role` (`None`: the default); their token.
    async fn supervisor(&self, name: &str, role: Option<&str>) -> String {
        let mut body = serde_json::json!({"name": name, "precinct": "P-1"});
        if let Some(role) = role {
            body["role"] = role.into();
        }
        let response = self
            .client
            .post(self.svc.url("/v1/supervisors"))
            .bearer_auth(self.svc.admin_token())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let added: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(added["role"], role.unwrap_or("supervisor"));
        added["token"].as_str().unwrap().to_owned()
    }
}

fn document(i: u32) -> String {
    format!("AZE{:08}", 50_000_000 + i)
}

#[tokio::test]
async fn searches_and_the_code_report_show_code_1_growing_past_its_usual_share() {
    let svc = TestService::start(at("2020-12-14T08:00:00+04:00"), |_| {}).await;
    svc.import_demo_people(20);
    svc.import_demo_denials();
    let s = Service { svc, client: reqwest::Client::new() };

    // The usual day: code 2 eight times, code 1 twice.
    for i in 0..10 {
        let code = if i < 2 { 1 } else { 2 };
        let reply = s.sms(&format!("99450100{i:04}"), &format!("{code} {}", document(i))).await;
        assert!(reply.contains("IZ2"), "{reply}");
    }
    // The next day: code 1 six times from one phone, code 2 twice, and a denied holder's code 1.
    s.svc.clock().set(at("2020-12-15T10:00:00+04:00"));
    for i in 10..16 {
        assert!(s.sms("994502223344", &format!("1 {}", document(i))).await.contains("IZ2"));
    }
    for i in 16..18 {
        assert!(s.sms(&format!("99450300{i:04}"), &format!("2 {}", document(i))).await.contains("IZ2"));
    }
    let denied = s.sms("994509998877", "1 AZE44444444").await;
    assert!(!denied.contains("IZ2"), "{denied}");

    // The search: the denied holder's request is there, with its reason but no health detail.
    let (status, _) = s.get("/admin/search?document=AZE44444444", None).await;
    assert_eq!(status, 401, "the search is the administrator's");
    let found = s.admin_json("/admin/search?document=aze44444444&from=2020-12-14&to=2020-12-15").await;
    let rows = found["found"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{found}");
    assert_eq!(rows[0]["reason"], "denied");
    assert_eq!((rows[0]["code"].as_u64(), rows[0]["channel"].as_str()), (Some(1), Some("sms")));
    assert_eq!(rows[0]["phone"], "994509998877");
    assert!(rows[0]["serial"].is_null());
    let by_phone = s.admin_json("/admin/search?phone=%2B994%2050%20222-33-44&limit=4").await;
    assert_eq!(by_phone["found"].as_array().unwrap().len(), 4);
    assert_eq!(by_phone["truncated"], true);
    assert_eq!(by_phone["found"][0]["document"], document(15), "newest first: {by_phone}");
    let (status, body) = s.get("/admin/search?from=14.12.2020", Some(&s.svc.admin_token())).await;
    assert_eq!(status, 400);
    assert!(body.contains("YYYY-MM-DD"), "{body}");

    // The report of the 15th: code 1 is 7 of 9 requests against 2 of 10 the day before.
    let report = s.admin_json("/admin/report/codes?from=2020-12-15&to=2020-12-15&baseline_days=1").await;
    assert_eq!(report["alert"], true, "{report}");
    let code_1 = report["shares"].as_array().unwrap().iter().find(|s| s["code"] == 1).unwrap().clone();
    assert_eq!(code_1["requests"], 7);
    assert_eq!(code_1["usual_share"], 0.2);
    assert_eq!(code_1["alert"], true);
    assert_eq!(report["top_phones"][0]["key"], "994502223344");
    assert_eq!(report["top_phones"][0]["permits"], 6);
    let (status, csv) =
        s.get("/admin/report/codes?from=2020-12-15&to=2020-12-15&format=csv", Some(&s.svc.admin_token())).await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "hour_utc,hour_baku,code,permits,refused,share_of_hour");
    assert_eq!(
        lines[1..],
        ["2020-12-15T06:00:00Z,2020-12-15 10:00,1,6,1,0.778", "2020-12-15T06:00:00Z,2020-12-15 10:00,2,2,0,0.222"]
    );

    // A plain supervisor: no search by a person, the report masked; an investigator sees all.
    let plain = s.supervisor("bob", None).await;
    let investigator = s.supervisor("ana", Some("investigator")).await;
    assert_eq!(s.json("/v1/whoami", &plain).await["investigator"], false);
    assert_eq!(s.json("/v1/whoami", &investigator).await["investigator"], true);
    let (status, body) = s.get("/admin/search?document=AZE44444444", Some(&plain)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("investigator"), "{body}");
    let (status, _) = s.get("/admin/search?phone=994509998877", Some(&plain)).await;
    assert_eq!(status, 403);
    let by_code = s.json("/admin/search?code=1&from=2020-12-15&to=2020-12-15", &plain).await;
    assert_eq!(by_code["masked"], true);
    let denied = by_code["found"].as_array().unwrap().iter().find(|f| f["reason"] == "denied").unwrap();
    assert_eq!((denied["document"].as_str(), denied["phone"].as_str()), (Some("AZ•••••••44"), Some("+99450•••••77")));
    assert_eq!(by_code["found"][0]["document"], "AZ•••••••15", "{by_code}");
    let masked = s.json("/admin/report/codes?from=2020-12-15&to=2020-12-15&baseline_days=1", &plain).await;
    assert_eq!((masked["masked"].clone(), masked["alert"].clone()), (true.into(), true.into()));
    assert_eq!(masked["top_phones"][0]["key"], "+99450•••••44");
    assert_eq!(masked["top_documents"][0]["key"].as_str().unwrap().chars().filter(|c| *c == '•').count(), 7);
    let full = s.json("/admin/search?document=AZE44444444&from=2020-12-15&to=2020-12-15", &investigator).await;
    assert_eq!((full["masked"].clone(), full["found"][0]["phone"].clone()), (false.into(), "994509998877".into()));

    // Every view is in the audit trail: who, what was asked, how many rows.
    let (status, _) = s.get("/v1/audit", Some(&investigator)).await;
    assert_eq!(status, 403, "the trail is the administrator's");
    let trail = s.admin_json("/v1/audit?limit=100").await;
    let views: Vec<(String, String, Value)> = trail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["what"] == "permits_searched" || e["what"] == "code_report_viewed")
        .map(|e| (e["who"].as_str().unwrap().to_owned(), e["what"].as_str().unwrap().to_owned(), e["details"].clone()))
        .collect();
    let who_what: Vec<(&str, &str)> = views.iter().map(|(w, x, _)| (w.as_str(), x.as_str())).collect();
    assert_eq!(
        who_what,
        [
            ("admin", "permits_searched"),
            ("admin", "permits_searched"),
            ("admin", "code_report_viewed"),
            ("admin", "code_report_viewed"),
            ("bob", "permits_searched"),
            ("bob", "code_report_viewed"),
            ("ana", "permits_searched"),
        ],
        "the refused and the bad requests left no line, the CSV did: {trail}"
    );
    assert_eq!(views[0].2["document"], "AZE44444444");
    assert_eq!(views[0].2["results"], 1);
    assert_eq!(views[1].2["phone"], "994502223344");
    assert_eq!(
        (views[5].2["masked"].clone(), views[5].2["results"].clone()),
        (true.into(), 7.into()),
        "one phone, six documents"
    );
    assert_eq!(views[6].2["masked"], false);

    // The alert in /metrics: the last day against the seven before.
    let metrics = s.get("/metrics", Some(&s.svc.admin_token())).await.1;
    assert!(metrics.contains("icaze_code_share_alert{code=\"1\"} 1"), "{metrics}");
    assert!(metrics.contains("icaze_code_share_alert{code=\"2\"} 0"), "{metrics}");
}
