//! [`ApiClient`]: one credential's requests to the service's API, whoever
//! makes them (`icaze admin`, the supervisor's screen).

use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde_json::Value;

use crate::transport::{base_url, http_client, Answer, ReadFailure};

/// The longest token accepted (the service's are 64 characters or so).
pub const MAX_TOKEN_CHARS: usize = 512;
/// The longest server address accepted.
pub const MAX_SERVER_CHARS: usize = 512;

/// The body of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// None.
    None,
    /// A JSON document.
    Json(Value),
    /// Bytes (`application/octet-stream`): an export file, an upload.
    Bytes(Vec<u8>),
    /// A CSV file (`text/csv`): the portal's imports.
    Csv(Vec<u8>),
}

/// A request of the API, relative to the server's address.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path below the server's address, without a leading `/` (`v1/devices`).
    pub path: String,
    /// The query parameters.
    pub query: Vec<(&'static str, String)>,
    /// The body.
    pub body: Body,
}

impl Request {
    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Self {
        Request { method: Method::GET, path: path.into(), query: Vec::new(), body: Body::None }
    }

    /// `POST path` with a JSON body.
    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Request { method: Method::POST, path: path.into(), query: Vec::new(), body: Body::Json(body) }
    }

    /// Adds the query parameter `name` when there is a value.
    pub fn query(mut self, name: &'static str, value: Option<impl ToString>) -> Self {
        if let Some(value) = value {
            self.query.push((name, value.to_string()));
        }
        self
    }
}

/// A client that could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The server address does not parse, or is not `http`/`https`.
    #[error("the server address {url:?} is not usable ({reason}): give it as http://HOST:PORT or https://HOST")]
    BadUrl {
        /// The address given.
        url: String,
        /// Why.
        reason: String,
    },
    /// The token is empty, too long or holds characters a token cannot hold.
    #[error("the token {0}")]
    BadToken(&'static str),
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// A request that got no whole answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// No answer, or the connection failed while it came.
    #[error("cannot reach the service at {url} ({detail}): check the address and the network")]
    Unreachable {
        /// The server's address.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The answer is larger than the cap.
    #[error("the service's answer is larger than {limit} bytes: narrow the query")]
    TooLarge {
        /// The cap.
        limit: usize,
    },
    /// The path does not join the server's address.
    #[error("the path {path:?} ({reason})")]
    BadPath {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
}

/// How a client talks to the server.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// How long to wait for a connection.
    pub connect: Duration,
    /// How long one request may take, its body included.
    pub request: Duration,
}

/// One credential's client of one service.
#[derive(Debug, Clone)]
pub struct ApiClient {
    base: reqwest::Url,
    http: reqwest::Client,
    // Invariant: marked sensitive, so that no Debug output shows the token.
    auth: HeaderValue,
}

impl ApiClient {
    /// A client of the service at `server_url` with the bearer `token`.
    pub fn new(
        server_url: &str,
        token: &str,
        timeouts: Timeouts,
        user_agent: &'static str,
    ) -> Result<Self, SetupError> {
        let base = server_base(server_url)?;
        let token = token.trim();
        if token.is_empty() {
            return Err(SetupError::BadToken("is empty"));
        }
        if token.chars().count() > MAX_TOKEN_CHARS {
            return Err(SetupError::BadToken("is too long"));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SetupError::BadToken("holds spaces or characters that are not in a token"));
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| SetupError::BadToken("holds characters that are not in a token"))?;
        auth.set_sensitive(true);
        let http = http_client(timeouts.connect, timeouts.request, user_agent, None)
            .map_err(|e| SetupError::Client(e.to_string()))?;
        Ok(Self { base, http, auth })
    }

    /// The service's address, as requests are made to it.
    pub fn server(&self) -> &str {
        self.base.as_str()
    }

    /// Sends `request` with the credential and reads the answer whole, up to
    /// `cap` bytes, whatever its status.
    pub async fn send(&self, request: Request, cap: usize) -> Result<Answer, SendError> {
        send(&self.http, &self.base, request, &[(AUTHORIZATION, &self.auth)], cap).await
    }
}

/// Sends `request` below `base` with the `credentials` headers and reads the
/// answer whole, up to `cap` bytes, whatever its status: the one way a request
/// of the API is made, whatever the credential.
pub(crate) async fn send(
    http: &reqwest::Client,
    base: &reqwest::Url,
    request: Request,
    credentials: &[(HeaderName, &HeaderValue)],
    cap: usize,
) -> Result<Answer, SendError> {
    let url = base
        .join(&request.path)
        .map_err(|e| SendError::BadPath { path: request.path.clone(), reason: e.to_string() })?;
    let mut builder = http.request(request.method, url).query(&request.query);
    for (name, value) in credentials {
        builder = builder.header(name, *value);
    }
    builder = match request.body {
        Body::None => builder,
        Body::Json(value) => builder.header(CONTENT_TYPE, "application/json").body(value.to_string()),
        Body::Bytes(bytes) => builder.header(CONTENT_TYPE, "application/octet-stream").body(bytes),
        Body::Csv(bytes) => builder.header(CONTENT_TYPE, "text/csv").body(bytes),
    };
    let response = builder.send().await.map_err(|e| unreachable_at(base, e))?;
    Answer::read(response, cap).await.map_err(|failure| match failure {
        ReadFailure::TooLarge => SendError::TooLarge { limit: cap },
        ReadFailure::CutShort(e) => unreachable_at(base, e),
    })
}

/// A request to the service at `base` that failed on the way.
pub(crate) fn unreachable_at(base: &reqwest::Url, e: reqwest::Error) -> SendError {
    SendError::Unreachable {
        url: base.to_string(),
        // Without the URL: it is ours, and a query can be long.
        detail: e.without_url().to_string(),
    }
}

/// The service's address from `server_url` as typed, for a [`SetupError`].
pub(crate) fn server_base(server_url: &str) -> Result<reqwest::Url, SetupError> {
    let server_url = server_url.trim();
    let bad = |reason: &str| SetupError::BadUrl { url: server_url.to_owned(), reason: reason.to_owned() };
    if server_url.chars().count() > MAX_SERVER_CHARS {
        return Err(bad(&format!("longer than {MAX_SERVER_CHARS} characters")));
    }
    base_url(server_url).map_err(|reason| bad(&reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timeouts = Timeouts { connect: Duration::from_secs(1), request: Duration::from_secs(1) };

    #[test]
    fn addresses_and_tokens_are_checked_and_the_token_is_not_shown() {
        let new = |url, token| ApiClient::new(url, token, T, "test");
        assert!(matches!(new("ftp://x", "t"), Err(SetupError::BadUrl { .. })));
        assert!(matches!(new("http://127.0.0.1:1", "  "), Err(SetupError::BadToken(_))));
        assert!(matches!(new("http://127.0.0.1:1", "a b"), Err(SetupError::BadToken(_))));
        let client = new("http://127.0.0.1:1/icaze", " secret-token-123 ").unwrap();
        assert_eq!(client.server(), "http://127.0.0.1:1/icaze/");
        assert!(!format!("{client:?}").contains("secret-token-123"));
    }

    #[test]
    fn requests_carry_only_the_query_given() {
        let r = Request::get("v1/devices").query("stale", Some(3)).query("precinct", None::<String>);
        assert_eq!(r.query, vec![("stale", "3".to_owned())]);
    }
}
