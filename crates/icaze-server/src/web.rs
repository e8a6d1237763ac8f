//! The browser pages `icaze serve` ships: the employer portal and 102 console
//! (`/portal/`, over the JSON API of `docs/portal-api.md`) and the citizen page
//! (`/p`, which draws a permit's QR from the URL fragment).
//!
//! The files under `crates/icaze-server/web/` are plain HTML, CSS and ES
//! modules with no build step, embedded with `include_str!` so that
//! `cargo build` alone gives a working portal. Every answer carries a strict
//! Content-Security-Policy (no inline script or style, no `eval`, no framing),
//! so text from the server or a user can only ever reach the page as text.
//!
//! Not done here: caching. Every file is sent with `Cache-Control: no-cache`
//! (revalidate each time) because the citizen page's service worker, not the
//! HTTP cache, is what keeps a page usable offline.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// The policy of every page: only this origin's files; images also from
/// `data:` and `blob:` URLs (QR codes drawn in the browser).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; \
                                           base-uri 'none'; frame-ancestors 'none'";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const PORTAL_HTML: &str = include_str!("../web/portal/index.html");
const PORTAL_JS: &str = include_str!("../web/portal/app.js");
const PORTAL_CSS: &str = include_str!("../web/portal/app.css");
const CITIZEN_HTML: &str = include_str!("../web/p/index.html");
const CITIZEN_JS: &str = include_str!("../web/p/p.js");
const CITIZEN_QR_JS: &str = include_str!("../web/p/qr.js");
const CITIZEN_SW_JS: &str = include_str!("../web/p/sw.js");
const CITIZEN_CSS: &str = include_str!("../web/p/p.css");

/// The routes of the pages, for any state: merge them into the service's router.
///
/// `/portal` without the slash redirects to `/portal/`, because the portal's
/// page loads `app.js` by a relative URL. The citizen page answers at both
/// `/p` and `/p/`; its service worker may control the whole `/p` scope.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/portal", get(|| async { Redirect::permanent("/portal/") }))
        .route("/portal/", get(|| async { file(HTML, PORTAL_HTML) }))
        .route("/portal/app.js", get(|| async { file(JS, PORTAL_JS) }))
        .route("/portal/app.css", get(|| async { file(CSS, PORTAL_CSS) }))
        .route("/p", get(|| async { file(HTML, CITIZEN_HTML) }))
        .route("/p/", get(|| async { file(HTML, CITIZEN_HTML) }))
        .route("/p/p.js", get(|| async { file(JS, CITIZEN_JS) }))
        .route("/p/qr.js", get(|| async { file(JS, CITIZEN_QR_JS) }))
        .route("/p/p.css", get(|| async { file(CSS, CITIZEN_CSS) }))
        .route("/p/sw.js", get(|| async { service_worker() }))
}

/// One embedded file with the security headers every page carries.
fn file(content_type: &'static str, body: &'static str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// The citizen page's service worker, allowed to control `/p` itself (a
/// worker's default scope is its own directory, `/p/`, which excludes `/p`).
fn service_worker() -> Response {
    let mut response = file(JS, CITIZEN_SW_JS);
    response.headers_mut().insert("service-worker-allowed", HeaderValue::from_static("/p"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;

    async fn get(path: &str) -> Response {
        router::<()>().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap()
    }

    fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn every_file_has_its_content_type_and_the_security_headers() {
        let cases = [
            ("/portal/", "text/html; charset=utf-8"),
            ("/portal/app.js", "text/javascript; charset=utf-8"),
            ("/portal/app.css", "text/css; charset=utf-8"),
            ("/p", "text/html; charset=utf-8"),
            ("/p/", "text/html; charset=utf-8"),
            ("/p/p.js", "text/javascript; charset=utf-8"),
            ("/p/qr.js", "text/javascript; charset=utf-8"),
            ("/p/sw.js", "text/javascript; charset=utf-8"),
            ("/p/p.css", "text/css; charset=utf-8"),
        ];
        for (path, content_type) in cases {
            let response = get(path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(header(&response, "content-type"), Some(content_type), "{path}");
            assert_eq!(header(&response, "content-security-policy"), Some(CONTENT_SECURITY_POLICY), "{path}");
            assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"), "{path}");
            assert_eq!(header(&response, "referrer-policy"), Some("no-referrer"), "{path}");
            assert_eq!(header(&response, "cache-control"), Some("no-cache"), "{path}");
        }
    }

    #[test]
    fn the_policy_forbids_inline_code_plugins_and_framing() {
        assert!(CONTENT_SECURITY_POLICY.starts_with("default-src 'self';"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
        assert!(CONTENT_SECURITY_POLICY.contains("object-src 'none'"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
        assert!(CONTENT_SECURITY_POLICY.contains("base-uri 'none'"));
    }

    #[tokio::test]
    async fn the_service_worker_may_control_the_citizen_page() {
        let response = get("/p/sw.js").await;
        assert_eq!(header(&response, "service-worker-allowed"), Some("/p"));
        assert_eq!(header(&get("/p/p.js").await, "service-worker-allowed"), None);
    }

    #[tokio::test]
    async fn the_portal_without_its_slash_redirects_and_unknown_files_are_not_found() {
        let response = get("/portal").await;
        assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(header(&response, "location"), Some("/portal/"));
        assert_eq!(get("/portal/secret.txt").await.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn the_portal_page_loads_its_module_and_styles_by_file_not_inline() {
        let body = axum::body::to_bytes(get("/portal/").await.into_body(), 1 << 20).await.unwrap();
        let html = String::from_utf8(body.to_vec()).unwrap();
        assert!(html.contains(r#"<script type="module" src="app.js">"#), "{html}");
        assert!(html.contains(r#"href="app.css""#), "{html}");
        assert!(!html.contains("<style"), "inline styles break under the CSP");
        assert!(!html.contains(" style="), "inline styles break under the CSP");
    }
}
