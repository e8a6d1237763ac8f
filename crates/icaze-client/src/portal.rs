//! [`PortalSession`]: an authorised person's session of the employer portal's
//! API (`docs/portal-api.md`), as `icaze portal` opens it: a login with the
//! person's login and password gives a session cookie and a CSRF token, which
//! every request of the session then carries.

use icaze_protocol::api::portal::Session;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::{Method, StatusCode};

use crate::api::{send, server_base, unreachable_at, Request, SendError, SetupError, Timeouts};
use crate::transport::{http_client, Answer, ApiError, ReadFailure};

/// The session cookie's name (docs/portal-api.md section 1).
pub const SESSION_COOKIE: &str = "icaze_portal";
/// The most bytes of the login's answer read (a user and a token).
const MAX_LOGIN_ANSWER: usize = 64 << 10;
/// The header that carries the CSRF token.
const CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");

/// The portal's API at one address, before anyone logged in.
#[derive(Debug, Clone)]
pub struct Portal {
    base: reqwest::Url,
    http: reqwest::Client,
}

/// A login that gave no session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// No answer, or not a whole one.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The server refused the login (a wrong password, a locked account).
    #[error("the server refused the login ({} {}): {}", status.as_u16(), error.code, error.message)]
    Refused {
        /// The answer's status.
        status: StatusCode,
        /// The API's error in it.
        error: ApiError,
    },
    /// The answer is not the portal's login answer.
    #[error("the login answer is not the portal's ({reason}): is the server address the icaze service?")]
    BadAnswer {
        /// What is wrong with it.
        reason: String,
    },
    /// The answer set no session cookie.
    #[error("the login answer set no session cookie ({SESSION_COOKIE}): is the server address the icaze service?")]
    NoSessionCookie,
}

impl Portal {
    /// The portal of the service at `server_url`.
    pub fn new(server_url: &str, timeouts: Timeouts, user_agent: &'static str) -> Result<Self, SetupError> {
        let base = server_base(server_url)?;
        let http = http_client(timeouts.connect, timeouts.request, user_agent, None)
            .map_err(|e| SetupError::Client(e.to_string()))?;
        Ok(Portal { base, http })
    }

    /// The service's address, as requests are made to it.
    pub fn server(&self) -> &str {
        self.base.as_str()
    }

    /// Logs `login` in with `password`: a session of the portal.
    pub async fn login(&self, login: &str, password: &str) -> Result<PortalSession, LoginError> {
        let path = "portal/api/login";
        let url =
            self.base.join(path).map_err(|e| SendError::BadPath { path: path.to_owned(), reason: e.to_string() })?;
        let body = serde_json::json!({ "login": login, "password": password }).to_string();
        let response = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| unreachable_at(&self.base, e))?;
        let headers = response.headers().clone();
        let answer = Answer::read(response, MAX_LOGIN_ANSWER).await.map_err(|failure| match failure {
            ReadFailure::TooLarge => SendError::TooLarge { limit: MAX_LOGIN_ANSWER },
            ReadFailure::CutShort(e) => unreachable_at(&self.base, e),
        })?;
        PortalSession::from_login(self.clone(), &answer, &headers)
    }
}

/// A logged-in session of the portal: its requests carry the session cookie,
/// and the CSRF token on every one but `GET`.
#[derive(Debug)]
pub struct PortalSession {
    portal: Portal,
    // Invariant: both marked sensitive, so that no Debug output shows them.
    cookie: HeaderValue,
    csrf: HeaderValue,
    must_change_password: bool,
}

impl PortalSession {
    /// The session that the login's `answer` and its `headers` open.
    fn from_login(portal: Portal, answer: &Answer, headers: &HeaderMap) -> Result<Self, LoginError> {
        if answer.status != StatusCode::OK {
            return Err(LoginError::Refused { status: answer.status, error: answer.error() });
        }
        let login: Session =
            serde_json::from_slice(&answer.body).map_err(|e| LoginError::BadAnswer { reason: e.to_string() })?;
        let mut csrf = HeaderValue::from_str(&login.csrf)
            .map_err(|_| LoginError::BadAnswer { reason: "the csrf token is not a header value".to_owned() })?;
        csrf.set_sensitive(true);
        let mut cookie = session_cookie(headers).ok_or(LoginError::NoSessionCookie)?;
        cookie.set_sensitive(true);
        Ok(PortalSession { portal, cookie, csrf, must_change_password: login.user.must_change_password })
    }

    /// Whether the password was a one-time one: such a session may do nothing
    /// but set the person's own password.
    pub fn must_change_password(&self) -> bool {
        self.must_change_password
    }

    /// The service's address, as requests are made to it.
    pub fn server(&self) -> &str {
        self.portal.server()
    }

    /// Sends `request` in the session and reads the answer whole, up to `cap`
    /// bytes, whatever its status.
    pub async fn send(&self, request: Request, cap: usize) -> Result<Answer, SendError> {
        let cookie = (COOKIE, &self.cookie);
        let credentials = [cookie, (CSRF_HEADER, &self.csrf)];
        let credentials = if request.method == Method::GET { &credentials[..1] } else { &credentials[..] };
        send(&self.portal.http, &self.portal.base, request, credentials, cap).await
    }
}

/// The session cookie among the `Set-Cookie` headers, as a `Cookie` header
/// sends it back (`icaze_portal=VALUE`); `None` when none sets it to a value.
fn session_cookie(headers: &HeaderMap) -> Option<HeaderValue> {
    headers.get_all(SET_COOKIE).iter().find_map(|value| {
        let text = value.to_str().ok()?;
        let pair = text.split(';').next()?.trim();
        let (name, value) = pair.split_once('=')?;
        if name != SESSION_COOKIE || value.is_empty() {
            return None;
        }
        HeaderValue::from_str(&format!("{SESSION_COOKIE}={value}")).ok()
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn portal() -> Portal {
        let timeouts = Timeouts { connect: Duration::from_secs(1), request: Duration::from_secs(1) };
        Portal::new("http://127.0.0.1:1/icaze", timeouts, "test").unwrap()
    }

    fn ok(body: &str) -> Answer {
        Answer { status: StatusCode::OK, body: body.as_bytes().to_vec() }
    }

    /// The login answer as the server writes it (`icaze_protocol::api::portal::Session`).
    fn login_answer(must_change_password: bool, csrf: &str) -> Answer {
        let user = format!(
            r#"{{"login": "a.b", "name": "A B", "role": "employer", "must_change_password": {must_change_password},
                "org": {{"id": 1, "name": "Org", "tax_id": "1234567890"}}}}"#
        );
        ok(&format!(r#"{{"user": {user}, "csrf": "{csrf}"}}"#))
    }

    fn set_cookies(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(SET_COOKIE, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let headers = set_cookies(&["other=1; Path=/", "icaze_portal=abc123; HttpOnly; SameSite=Strict; Path=/portal"]);
        assert_eq!(session_cookie(&headers).unwrap(), "icaze_portal=abc123");
        assert_eq!(session_cookie(&set_cookies(&["icaze_portal=; Max-Age=0"])), None);
        assert_eq!(session_cookie(&set_cookies(&["icaze_portal_x=abc"])), None);
    }

    #[test]
    fn a_login_opens_a_session_that_never_shows_its_cookie_or_token() {
        let headers = set_cookies(&["icaze_portal=cookie-secret-42; HttpOnly; Path=/portal"]);
        let answer = login_answer(true, "csrf-secret-17");
        let session = PortalSession::from_login(portal(), &answer, &headers).unwrap();
        assert!(session.must_change_password());
        assert_eq!(session.server(), "http://127.0.0.1:1/icaze/");
        let shown = format!("{session:?}");
        assert!(!shown.contains("cookie-secret-42") && !shown.contains("csrf-secret-17"), "{shown}");
        let answer = login_answer(false, "t");
        assert!(!PortalSession::from_login(portal(), &answer, &headers).unwrap().must_change_password());
    }

    #[test]
    fn a_login_without_the_session_cookie_or_the_token_is_a_clear_error() {
        let answer = login_answer(false, "t");
        let error = PortalSession::from_login(portal(), &answer, &set_cookies(&["other=1; Path=/"])).unwrap_err();
        assert!(matches!(error, LoginError::NoSessionCookie), "{error:?}");
        assert!(error.to_string().contains("no session cookie (icaze_portal)"), "{error}");
        let headers = set_cookies(&["icaze_portal=abc"]);
        let error = PortalSession::from_login(portal(), &ok(r#"{"user": {}}"#), &headers).unwrap_err();
        assert!(matches!(error, LoginError::BadAnswer { .. }), "{error:?}");
        let error = PortalSession::from_login(portal(), &ok("<html>"), &headers).unwrap_err();
        assert!(error.to_string().contains("is the server address the icaze service?"), "{error}");
    }

    #[test]
    fn a_refused_login_keeps_the_servers_code_and_message() {
        let answer = Answer {
            status: StatusCode::UNAUTHORIZED,
            body: br#"{"code": "bad_credentials", "message": "wrong login or password"}"#.to_vec(),
        };
        match PortalSession::from_login(portal(), &answer, &HeaderMap::new()) {
            Err(LoginError::Refused { status, error }) => {
                assert_eq!((status.as_u16(), error.code.as_str()), (401, "bad_credentials"));
                assert_eq!(error.message, "wrong login or password");
            }
            other => panic!("{other:?}"),
        }
    }
}
