//! The population registry replaced whole over HTTP as a job that outlives
//! the request (`docs/feeds.md`, issue 23): `PUT /v1/registries/people`
//! answers `202` once the body is staged, the job is followed at its
//! `Location` to its end (swapped, refused), a second one meanwhile is
//! refused, the upload is not bound by the request timeout, and a job whose
//! instance died reads interrupted after a restart.

mod common;

use std::time::Duration;

use icaze_server::portal::password::HashCost;
use icaze_server::store::PermitStore as _;
use icaze_testkit::service::{at, TestService};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

struct Service {
    svc: TestService,
    client: reqwest::Client,
}

impl Service {
    async fn start(configure: impl FnOnce(&mut icaze_server::ServeConfig)) -> Self {
        let svc = TestService::start(at("2020-12-15T10:00:00+04:00"), |c| {
            c.portal.hash_cost = HashCost::cheap();
            configure(c);
        })
        .await;
        svc.import_demo_people(10);
        Self { svc, client: reqwest::Client::new() }
    }

    /// The answer's status, `Location` and JSON body.
    async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, Option<String>, Value) {
        common::send(&self.client, &self.svc, method, path, bearer, body).await
    }

    /// A new feed credential's token.
    async fn feed(&self, agency: &str, registry: &str) -> String {
        let admin = self.svc.admin_token();
        let body = json!({"agency": agency, "registry": registry}).to_string();
        let (status, _, body) = self.send(Method::POST, "/v1/feeds", Some(&admin), Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// A `PUT` of the registry `file` under `token`.
    async fn put(&self, query: &str, token: Option<&str>, file: &str) -> (StatusCode, Option<String>, Value) {
        let path = format!("/v1/registries/people{query}");
        self.send(Method::PUT, &path, token, Some(file.to_owned())).await
    }

    /// The job at `location` once it no longer runs.
    async fn ended(&self, location: &str, token: &str) -> Value {
        for _ in 0..1_000 {
            let (status, _, job) = self.send(Method::GET, location, Some(token), None).await;
            assert_eq!(status, StatusCode::OK, "{job}");
            if job["state"] != "loading" && job["state"] != "comparing" {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the job at {location} never ended");
    }

    /// A request whose headers are sent with `head` of its body, on a
    /// connection of its own.
    async fn partial(&self, head: &str) -> TcpStream {
        let mut stream = TcpStream::connect(self.svc.addr()).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        stream
    }

    fn zone(&self, document: &str) -> Option<u16> {
        self.svc.permits().person(document).unwrap().map(|p| p.zone.get())
    }
}

/// The rows of a registry file (its header not counted).
fn rows(file: &str) -> u64 {
    file.lines().count() as u64 - 1
}

/// Everything the server sends until it closes the connection.
async fn answer(stream: &mut TcpStream) -> String {
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_string(&mut text)).await.expect("answered").unwrap();
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_23_a_replacement_is_accepted_once_staged_and_followed_to_its_end() {
    let s = Service::start(|_| {}).await;
    let people = s.feed("asan", "people").await;
    let deny = s.feed("etabib", "deny").await;
    let forty = icaze_server::registry::demo_people_csv(40);
    assert_eq!(s.put("", None, &forty).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(s.put("", Some(&deny), &forty).await.0, StatusCode::FORBIDDEN);
    let (_, _, idle) = s.send(Method::GET, "/v1/registries/people/replacement", Some(&people), None).await;
    assert_eq!((idle["state"].as_str(), &idle["id"]), (Some("idle"), &Value::Null), "{idle}");

    // Accepted once read and staged, its record at its Location.
    let (status, location, job) = s.put("", Some(&people), &forty).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_i64().unwrap();
    let location = location.expect("a Location");
    assert_eq!(location, format!("/v1/registries/people/replacements/{id}"));
    assert_eq!((job["agency"].as_str(), job["forced"].as_bool()), (Some("asan"), Some(false)), "{job}");
    assert_ne!(job["state"], "loading", "staged before the answer: {job}");
    assert_eq!(job["bytes"].as_u64(), Some(forty.len() as u64), "{job}");
    let done = s.ended(&location, &people).await;
    assert_eq!(done["state"], "swapped", "{done}");
    assert_eq!((done["loaded"].as_u64(), done["registered"].as_u64()), (Some(rows(&forty)), Some(rows(&forty) - 30)));
    assert_eq!(
        (done["started_at"].as_str(), done["ended_at"].as_str()),
        (Some("2020-12-15T06:00:00Z"), Some("2020-12-15T06:00:00Z"))
    );
    assert_eq!(s.zone("AZE50000039"), Some(6));

    // A truncated file would remove 35 of them: refused, its reason kept, the
    // registry untouched; then forced.
    let five = icaze_server::registry::demo_people_csv(5);
    let (status, location, _) = s.put("", Some(&people), &five).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let refused = s.ended(&location.unwrap(), &people).await;
    assert_eq!((refused["state"].as_str(), refused["removed"].as_u64()), (Some("refused"), Some(0)), "{refused}");
    assert!(refused["reason"].as_str().unwrap().contains("35 of the"), "{refused}");
    assert_eq!(s.zone("AZE50000039"), Some(6));
    let (status, location, _) = s.put("?force=true", Some(&people), &five).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let location = location.unwrap();
    let forced = s.ended(&location, &people).await;
    assert_eq!((forced["state"].as_str(), forced["removed"].as_u64()), (Some("swapped"), Some(35)), "{forced}");
    assert_eq!(forced["forced"], true);
    assert_eq!(s.zone("AZE50000039"), None);

    // The old route reads the newest; an unknown number is not found.
    let (_, _, newest) = s.send(Method::GET, "/v1/registries/people/replacement", Some(&people), None).await;
    assert_eq!((newest["state"].as_str(), &newest["id"]), (Some("swapped"), &forced["id"]), "{newest}");
    for unknown in ["999", "x"] {
        let path = format!("/v1/registries/people/replacements/{unknown}");
        assert_eq!(s.send(Method::GET, &path, Some(&people), None).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(s.send(Method::GET, &location, Some(&deny), None).await.0, StatusCode::FORBIDDEN);

    // Audited under the agency's feed, refused and swapped.
    let admin = s.svc.admin_token();
    let (_, _, audit) = s.send(Method::GET, "/v1/audit", Some(&admin), None).await;
    let text = audit.to_string();
    assert!(text.contains("registry_replacement_refused") && text.contains("registry_replaced"), "{text}");
    assert!(text.contains("feed:asan"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_23_an_upload_outlives_the_request_timeout_and_a_second_one_meanwhile_is_refused() {
    let s = Service::start(|c| {
        c.limits.request_timeout = Duration::from_secs(1);
        c.limits.idle_timeout = Duration::from_secs(60);
    })
    .await;
    let people = s.feed("asan", "people").await;
    let deny = s.feed("etabib", "deny").await;
    let file = icaze_server::registry::demo_people_csv(20);
    let (head, tail) = file.split_at(file.len() / 2);
    let host = s.svc.addr();
    let mut first = s
        .partial(&format!(
            "PUT /v1/registries/people HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {people}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{head}",
            file.len()
        ))
        .await;
    // It runs as a job of its own, recorded from its start.
    let mut seen = Value::Null;
    for _ in 0..1_000 {
        let (_, _, p) = s.send(Method::GET, "/v1/registries/people/replacement", Some(&people), None).await;
        if p["state"] == "loading" {
            seen = p;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen["agency"], "asan", "{seen}");
    let (status, _, body) = s.put("", Some(&people), &file).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("replacement_running")), "{body}");

    // Another route's request that stops midway is cut by the request timeout,
    // which the upload, begun before it, has outlived once it is answered.
    let mut other = s
        .partial(&format!(
            "POST /v1/registries/deny/batches/b1 HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {deny}\r\n\
             Content-Length: 100\r\nConnection: close\r\n\r\nop,document"
        ))
        .await;
    let cut = answer(&mut other).await;
    assert!(cut.starts_with("HTTP/1.1 408"), "{cut}");
    first.write_all(tail.as_bytes()).await.unwrap();
    let accepted = answer(&mut first).await;
    assert!(accepted.starts_with("HTTP/1.1 202"), "{accepted}");
    let location = format!("/v1/registries/people/replacements/{}", seen["id"]);
    assert!(accepted.to_lowercase().contains(&format!("location: {location}")), "{accepted}");
    let done = s.ended(&location, &people).await;
    assert_eq!((done["state"].as_str(), done["loaded"].as_u64()), (Some("swapped"), Some(rows(&file))), "{done}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_23_a_replacement_whose_instance_died_reads_interrupted_after_a_restart() {
    let mut s = Service::start(|_| {}).await;
    let people = s.feed("asan", "people").await;
    s.svc.stop().await;
    // What a crash midway leaves: the job's row still loading, half a staging
    // table; the registry in use is the one before.
    let registry = rusqlite::Connection::open(s.svc.data().join("registry.db")).unwrap();
    registry
        .execute_batch(
            "INSERT INTO replacements (agency, forced, started_at, state, lines, bytes)
                VALUES ('asan', 0, 26782920, 'loading', 5, 120);
             CREATE TABLE people_staging (document TEXT PRIMARY KEY, birth_day INTEGER NOT NULL, zone INTEGER NOT NULL);
             INSERT INTO people_staging VALUES ('AZE59999999', 0, 1);",
        )
        .unwrap();
    let id = registry.last_insert_rowid();
    drop(registry);
    s.svc.restart(|c| c.portal.hash_cost = HashCost::cheap()).await;

    let location = format!("/v1/registries/people/replacements/{id}");
    let (status, _, job) = s.send(Method::GET, &location, Some(&people), None).await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(
        (job["state"].as_str(), job["lines"].as_u64(), &job["ended_at"]),
        (Some("interrupted"), Some(5), &Value::Null)
    );
    assert_eq!(job["started_at"], "2020-12-03T06:00:00Z");
    let (_, _, newest) = s.send(Method::GET, "/v1/registries/people/replacement", Some(&people), None).await;
    assert_eq!((newest["state"].as_str(), newest["id"].as_i64()), (Some("interrupted"), Some(id)), "{newest}");
    assert_eq!((s.zone("AZE50000000"), s.zone("AZE59999999")), (Some(1), None));

    // The next replacement runs, and the interrupted one stays so.
    let file = icaze_server::registry::demo_people_csv(12);
    let (status, location_next, _) = s.put("", Some(&people), &file).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(s.ended(&location_next.unwrap(), &people).await["state"], "swapped");
    assert_eq!(s.send(Method::GET, &location, Some(&people), None).await.2["state"], "interrupted");
    assert_eq!(s.zone("AZE50000011"), Some(12));
}
