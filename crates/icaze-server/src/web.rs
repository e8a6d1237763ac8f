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
//! Text: each page's strings are JSON catalogues in the officer app's format
//! (`web/portal/i18n/*.json`, `web/p/i18n/*.json`: flat keys, `{name}`
//! placeholders). The server writes a page's three catalogues into the page
//! itself, as the JSON data block `<script type="application/json" id="i18n">`
//! (a data block is never run, so the CSP stays as strict): no request of its
//! own, no build step, and the citizen page's service worker keeps the text
//! offline with the page it belongs to.
//!
//! Not done here: caching. Every file is sent with `Cache-Control: no-cache`
//! (revalidate each time) because the citizen page's service worker, not the
//! HTTP cache, is what keeps a page usable offline.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::sync::LazyLock;

/// The policy of every page: only this origin's files; images also from
/// `data:` and `blob:` URLs (QR codes drawn in the browser).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; \
                                           base-uri 'none'; frame-ancestors 'none'";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const PORTAL_HTML: &str = include_str!("../web/portal/index.html");
const PORTAL_CSS: &str = include_str!("../web/portal/app.css");
/// The portal's ES modules by file name: the page loads `app.js`, which imports the rest.
/// The portal's modules by name, as served (and read by `portal::page_shapes`'s test).
pub(crate) const PORTAL_MODULES: [(&str, &str); 19] = [
    ("app.js", include_str!("../web/portal/app.js")),
    ("account.js", include_str!("../web/portal/account.js")),
    ("api.js", include_str!("../web/portal/api.js")),
    ("audit.js", include_str!("../web/portal/audit.js")),
    ("chrome.js", include_str!("../web/portal/chrome.js")),
    ("dom.js", include_str!("../web/portal/dom.js")),
    ("employees.js", include_str!("../web/portal/employees.js")),
    ("funeral.js", include_str!("../web/portal/funeral.js")),
    ("i18n.js", include_str!("../web/portal/i18n.js")),
    ("import.js", include_str!("../web/portal/import.js")),
    ("messages.js", include_str!("../web/portal/messages.js")),
    ("org.js", include_str!("../web/portal/org.js")),
    ("permit.js", include_str!("../web/portal/permit.js")),
    ("reactivate.js", include_str!("../web/portal/reactivate.js")),
    ("router.js", include_str!("../web/portal/router.js")),
    ("session.js", include_str!("../web/portal/session.js")),
    ("time.js", include_str!("../web/portal/time.js")),
    ("trips.js", include_str!("../web/portal/trips.js")),
    ("zones.js", include_str!("../web/portal/zones.js")),
];
const PORTAL_CATALOGUES: Catalogues = Catalogues {
    az: include_str!("../web/portal/i18n/az.json"),
    ru: include_str!("../web/portal/i18n/ru.json"),
    en: include_str!("../web/portal/i18n/en.json"),
};
const CITIZEN_HTML: &str = include_str!("../web/p/index.html");
const CITIZEN_JS: &str = include_str!("../web/p/p.js");
const CITIZEN_QR_JS: &str = include_str!("../web/p/qr.js");
const CITIZEN_SW_JS: &str = include_str!("../web/p/sw.js");
const CITIZEN_CSS: &str = include_str!("../web/p/p.css");
const CITIZEN_CATALOGUES: Catalogues = Catalogues {
    az: include_str!("../web/p/i18n/az.json"),
    ru: include_str!("../web/p/i18n/ru.json"),
    en: include_str!("../web/p/i18n/en.json"),
};

/// The pages as served: their HTML with the catalogues written in, made once.
static PORTAL_PAGE: LazyLock<String> = LazyLock::new(|| with_catalogues(PORTAL_HTML, &PORTAL_CATALOGUES));
static CITIZEN_PAGE: LazyLock<String> = LazyLock::new(|| with_catalogues(CITIZEN_HTML, &CITIZEN_CATALOGUES));

/// The routes of the pages, for any state: merge them into the service's router.
///
/// `/portal` without the slash redirects to `/portal/`, because the portal's
/// page loads `app.js` by a relative URL. The citizen page answers at both
/// `/p` and `/p/`; its service worker may control the whole `/p` scope.
pub fn router<S: Clone + Send + Sync + 'static>(zones: ZoneNames) -> Router<S> {
    let mut router = Router::new()
        .route("/portal", get(|| async { Redirect::permanent("/portal/") }))
        .route("/portal/", get(|| async { file(HTML, PORTAL_PAGE.as_str()) }))
        .route("/portal/app.css", get(|| async { file(CSS, PORTAL_CSS) }));
    for (name, body) in PORTAL_MODULES {
        router = router.route(&format!("/portal/{name}"), get(move || async move { file(JS, body) }));
    }
    router
        .route("/p", get(|| async { file(HTML, CITIZEN_PAGE.as_str()) }))
        .route("/p/", get(|| async { file(HTML, CITIZEN_PAGE.as_str()) }))
        .route("/p/p.js", get(|| async { file(JS, CITIZEN_JS) }))
        .route("/p/qr.js", get(|| async { file(JS, CITIZEN_QR_JS) }))
        .route("/p/p.css", get(|| async { file(CSS, CITIZEN_CSS) }))
        .route("/p/sw.js", get(|| async { service_worker() }))
        .route("/p/zones.js", get(move || async move { zones_module(&zones()) }))
}

/// A page's catalogues, one JSON object of strings a language.
struct Catalogues {
    az: &'static str,
    ru: &'static str,
    en: &'static str,
}

/// The element of a page that the server fills with the page's catalogues.
const CATALOGUE_SLOT: &str = r#"<script type="application/json" id="i18n"></script>"#;

/// `html` with its catalogue slot holding `{"az": …, "ru": …, "en": …}`. In JSON a `<` can
/// only stand inside a string, where `\u003c` is the same character, so writing every `<`
/// that way leaves the text intact and lets none of it end the element (`</script>`) or
/// open a comment. The files are not parsed here: tests/web/i18n.test.mjs and the tests
/// below check that they are JSON of the right shape.
fn with_catalogues(html: &str, catalogues: &Catalogues) -> String {
    let Catalogues { az, ru, en } = catalogues;
    let json = format!(r#"{{"az": {az}, "ru": {ru}, "en": {en}}}"#).replace('<', r"\u003c");
    html.replacen(CATALOGUE_SLOT, &format!(r#"<script type="application/json" id="i18n">{json}</script>"#), 1)
}

/// The names of the zones, as the regimes give them, read anew for each request
/// (a regime loaded at run time names its zones at once).
pub type ZoneNames = std::sync::Arc<dyn Fn() -> Vec<crate::regime::Zone> + Send + Sync>;

/// `/p/zones.js`: a JavaScript module the citizen page imports, so that it
/// shows zones by name in the reader's language with no request of its own
/// (the page makes none: no fetch, no beacon) and the service worker keeps it
/// for offline use. `ZONES[id] = {az, ru, en}`; the text is JSON, which
/// escapes every quote and control character, so a zone name cannot break out
/// of its string.
fn zones_module(zones: &[crate::regime::Zone]) -> Response {
    let names: serde_json::Map<String, serde_json::Value> = zones
        .iter()
        .map(|z| (z.id.get().to_string(), serde_json::json!({"az": z.az, "ru": z.ru, "en": z.en})))
        .collect();
    let json = serde_json::Value::Object(names).to_string();
    let body = format!(
        "// The zones the regimes name, by id (generated by icaze serve).\nexport const ZONES = Object.freeze({json});\n"
    );
    let mut response = file(JS, "");
    *response.body_mut() = axum::body::Body::from(body);
    response
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

    fn zone(id: u16, az: &str, ru: &str, en: &str) -> crate::regime::Zone {
        let id = icaze_core::ZoneId::new(id).unwrap();
        crate::regime::Zone { id, az: az.into(), ru: ru.into(), en: en.into() }
    }

    async fn get(path: &str) -> Response {
        let zones: ZoneNames = std::sync::Arc::new(|| {
            vec![zone(1, "Bakı", "Баку", "Baku"), zone(17, "Say \"hi\"</script>\n", "\u{2028}", "x\\")]
        });
        router::<()>(zones).oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap()
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
            ("/p/zones.js", "text/javascript; charset=utf-8"),
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
    async fn issue_19_the_citizen_page_reads_zone_names_from_a_module_of_plain_json() {
        let response = get("/p/zones.js").await;
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let json = text
            .split_once("Object.freeze(")
            .and_then(|(_, rest)| rest.strip_suffix(");\n"))
            .unwrap_or_else(|| panic!("not the module's shape: {text}"));
        let names: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(names["1"], serde_json::json!({"az": "Bakı", "ru": "Баку", "en": "Baku"}));
        assert_eq!(names["17"]["az"], "Say \"hi\"</script>\n", "quotes and newlines stay inside the string");
        // One line of code after the comment: nothing in a name ended the string.
        assert_eq!(text.lines().count(), 2, "{text}");
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

    async fn body(path: &str) -> String {
        let bytes = axum::body::to_bytes(get(path).await.into_body(), 1 << 22).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    /// The text of a served page's catalogue block.
    fn block_text(html: &str) -> &str {
        let start = r#"<script type="application/json" id="i18n">"#;
        let (_, rest) = html.split_once(start).unwrap_or_else(|| panic!("no catalogue block: {html}"));
        rest.split_once("</script>").unwrap().0
    }

    /// The catalogues a served page carries, from its data block.
    fn data_block(html: &str) -> serde_json::Value {
        let json = block_text(html);
        serde_json::from_str(json).unwrap_or_else(|e| panic!("the catalogue block is not JSON ({e}): {json}"))
    }

    /// Every file under `dir`, as paths relative to `web/` with `/` between the parts.
    fn files_under(dir: &std::path::Path, web: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files_under(&path, web, out);
            } else {
                let relative = path.strip_prefix(web).unwrap();
                out.push(relative.components().map(|c| c.as_os_str().to_str().unwrap()).collect::<Vec<_>>().join("/"));
            }
        }
    }

    /// Nothing under web/ is forgotten: each module and style sheet is served at its path as
    /// it is on disk, with its content type and the security headers, each page with its
    /// catalogues written in, and each catalogue is in its page. A file of another kind fails
    /// the test until a route (and this test) knows it.
    #[tokio::test]
    async fn every_file_under_web_is_served() {
        let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut files = Vec::new();
        files_under(&web, &web, &mut files);
        files.sort();
        assert!(files.len() > 20, "{files:?}");
        for relative in &files {
            let on_disk = std::fs::read_to_string(web.join(relative)).unwrap();
            let (dir, name) = relative.split_once('/').unwrap();
            if let Some(lang) = name.strip_prefix("i18n/").and_then(|n| n.strip_suffix(".json")) {
                let page = data_block(&body(&format!("/{dir}/")).await);
                let file: serde_json::Value = serde_json::from_str(&on_disk).unwrap();
                assert_eq!(page[lang], file, "{relative} is the page's {lang} catalogue");
                continue;
            }
            let (path, content_type) = match name.rsplit_once('.').map(|(_, ext)| ext) {
                Some("js") => (format!("/{relative}"), JS),
                Some("css") => (format!("/{relative}"), CSS),
                _ if name == "index.html" => (format!("/{dir}/"), HTML),
                _ => panic!("{relative}: no route serves this kind of file"),
            };
            let response = get(&path).await;
            assert_eq!(response.status(), StatusCode::OK, "{relative} at {path}");
            assert_eq!(header(&response, "content-type"), Some(content_type), "{relative}");
            assert_eq!(header(&response, "content-security-policy"), Some(CONTENT_SECURITY_POLICY), "{relative}");
            assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"), "{relative}");
            assert_eq!(header(&response, "cache-control"), Some("no-cache"), "{relative}");
            let served = body(&path).await;
            if content_type == HTML {
                assert!(on_disk.contains(CATALOGUE_SLOT), "{relative} has no catalogue slot");
                assert_eq!(served, on_disk.replacen(CATALOGUE_SLOT, &served_block(&served), 1), "{relative}");
            } else {
                assert_eq!(served, on_disk, "{relative} is served as it is");
            }
        }
        let modules: Vec<_> = files.iter().filter(|f| f.starts_with("portal/") && f.ends_with(".js")).collect();
        assert_eq!(modules.len(), PORTAL_MODULES.len(), "{modules:?}");
    }

    /// The filled data block of a served page, element and all.
    fn served_block(html: &str) -> String {
        let start = html.find(r#"<script type="application/json" id="i18n">"#).unwrap();
        let end = start + html[start..].find("</script>").unwrap() + "</script>".len();
        html[start..end].to_string()
    }

    #[tokio::test]
    async fn each_page_carries_its_three_catalogues_of_strings() {
        for (page, key, az) in [("/portal/", "nav.employees", "İşçilər"), ("/p", "page.title", "İcazə")] {
            let html = body(page).await;
            let catalogues = data_block(&html);
            let catalogues = catalogues.as_object().unwrap();
            let mut langs: Vec<_> = catalogues.keys().collect();
            langs.sort();
            assert_eq!(langs, ["az", "en", "ru"], "{page}");
            for (lang, catalogue) in catalogues {
                let catalogue = catalogue.as_object().unwrap();
                assert!(catalogue.len() > 20, "{page} {lang}");
                assert!(catalogue.values().all(|v| v.is_string()), "{page} {lang}: strings only");
            }
            assert_eq!(catalogues["az"][key], az, "{page}");
            // The block holds the catalogues and nothing that a browser would read as markup.
            assert!(!block_text(&html).contains('<'), "{page}");
        }
    }

    #[test]
    fn no_text_in_a_catalogue_can_end_its_element() {
        let hostile = r#"{"a.b": "</script><script>alert(1)</script><!--"}"#;
        let html = with_catalogues(CATALOGUE_SLOT, &Catalogues { az: hostile, ru: hostile, en: hostile });
        assert_eq!(html.matches("</script>").count(), 1, "{html}");
        assert!(!html.contains("<!--"), "{html}");
        assert_eq!(data_block(&html)["ru"]["a.b"], "</script><script>alert(1)</script><!--");
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
