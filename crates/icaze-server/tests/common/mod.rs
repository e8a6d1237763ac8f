//! What the feed tests (`feeds.rs`, `replacements.rs`) share: one request to
//! a test service, answered as its status, `Location` and JSON body.

use icaze_testkit::service::TestService;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Sends `method path` to `svc` with an optional bearer token and body;
/// a body that is not JSON reads as `Value::Null`.
pub async fn send(
    client: &reqwest::Client,
    svc: &TestService,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<String>,
) -> (StatusCode, Option<String>, Value) {
    let mut request = client.request(method, svc.url(path));
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    (status, location, serde_json::from_slice(&response.bytes().await.unwrap()).unwrap_or(Value::Null))
}
