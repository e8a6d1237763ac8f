//! What every client of the API shares: the HTTP client (rustls, the web PKI
//! roots or pinned certificates), server addresses, answers read whole up to a
//! cap, the API's `{code, message}` refusals, and path segments and times as
//! they are sent.

use std::time::Duration;

use icaze_core::UtcMinute;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

/// The certificate error of rustls somewhere in `e`'s sources (hyper-rustls
/// wraps it in `io::Error`s, whose `source` skips what they wrap: hence `get_ref`).
pub fn refused_certificate(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(error @ (rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)) =
            e.downcast_ref::<rustls::Error>()
        {
            return Some(error.to_string());
        }
        next = match e.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// The longest error message kept from a refusal: the API's messages are a sentence, and
/// a body that is not the API's (a proxy's error page) should not fill a screen or a log.
const MAX_MESSAGE_CHARS: usize = 500;

/// The error body of the API: `{"code": "…", "message": "…"}`.
#[derive(Debug, Deserialize, Serialize)]
pub struct ApiError {
    /// The stable code.
    pub code: String,
    /// What the server said.
    pub message: String,
}

impl ApiError {
    /// The error in the body of a non-2xx answer. A body that is not the API's
    /// error gives the code `http_STATUS` and the body's text as the message;
    /// either message is cut to [`MAX_MESSAGE_CHARS`] characters.
    pub fn from_answer(status: StatusCode, body: &[u8]) -> ApiError {
        let mut error = serde_json::from_slice(body).unwrap_or_else(|_| ApiError {
            code: format!("http_{}", status.as_u16()),
            message: String::from_utf8_lossy(body).trim().to_owned(),
        });
        if let Some((cut, _)) = error.message.char_indices().nth(MAX_MESSAGE_CHARS) {
            error.message.truncate(cut);
        }
        error
    }
}

/// An answer of the API read whole: its status and a body of at most a cap.
/// Each client maps a [`ReadFailure`] to its own error.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The body, whole.
    pub body: Vec<u8>,
}

/// Why an answer could not be read whole.
#[derive(Debug)]
pub enum ReadFailure {
    /// The body is longer than the cap, by its `Content-Length` or as it came.
    TooLarge,
    /// The connection failed while the body came (a reset, a timeout).
    CutShort(reqwest::Error),
}

impl Answer {
    /// Reads `response` whole, refusing a body of more than `cap` bytes before
    /// holding more than that in memory.
    pub async fn read(mut response: reqwest::Response, cap: usize) -> Result<Answer, ReadFailure> {
        let status = response.status();
        if response.content_length().is_some_and(|n| n > cap as u64) {
            return Err(ReadFailure::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(ReadFailure::CutShort)? {
            if body.len().saturating_add(chunk.len()) > cap {
                return Err(ReadFailure::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, body })
    }

    /// The API's error in this answer (see [`ApiError::from_answer`]).
    pub fn error(&self) -> ApiError {
        ApiError::from_answer(self.status, &self.body)
    }
}

/// A server address as the clients of the API use it: `http` or `https`, and
/// ending in `/` so that API paths are joined below it. The error is the reason.
pub fn base_url(server_url: &str) -> Result<reqwest::Url, String> {
    let mut base = reqwest::Url::parse(server_url).map_err(|e| e.to_string())?;
    if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
        return Err("not an http or https address".to_owned());
    }
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    Ok(base)
}

/// The HTTP client of the API's clients: rustls with the web PKI roots, these
/// timeouts, and `user_agent`; with `pinned` certificates, those alone are
/// trusted and only `https://` is spoken.
pub fn http_client(
    connect_timeout: Duration,
    request_timeout: Duration,
    user_agent: &'static str,
    pinned: Option<&[reqwest::Certificate]>,
) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(connect_timeout)
        .timeout(request_timeout)
        .user_agent(user_agent);
    if let Some(pinned) = pinned {
        builder = builder.tls_built_in_root_certs(false).https_only(true);
        for certificate in pinned {
            builder = builder.add_root_certificate(certificate.clone());
        }
    }
    builder.build()
}

/// The certificates of a PEM text (`icaze device init --server-ca`): the
/// server's own self-signed one, or the CA that signs it. The error says why
/// not.
pub fn pinned_certificates(pem: &str) -> Result<Vec<reqwest::Certificate>, String> {
    let certificates = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| e.to_string())?;
    if certificates.is_empty() {
        return Err("no -----BEGIN CERTIFICATE----- in it".into());
    }
    Ok(certificates)
}

/// A path segment (a device id, a supervisor's name) as sent: only the
/// characters those names hold pass unescaped; empty, `.` or `..` (which an
/// address would read as a move up the path) give `None`.
pub fn segment(text: &str) -> Option<String> {
    if text.is_empty() || text == "." || text == ".." {
        return None;
    }
    Some(
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect(),
    )
}

/// A time as the API takes it: RFC 3339 with any offset in, UTC out; `None`
/// when it is not a time.
pub fn utc(text: &str) -> Option<String> {
    UtcMinute::parse_rfc3339(text.trim()).ok().map(UtcMinute::to_rfc3339_utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_escaped_and_moves_up_refused() {
        assert_eq!(segment("ab12-CD_3.x").as_deref(), Some("ab12-CD_3.x"));
        assert_eq!(segment("../x y").as_deref(), Some("..%2Fx%20y"));
        for bad in ["", ".", ".."] {
            assert_eq!(segment(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn times_are_sent_in_utc() {
        assert_eq!(utc("2020-12-15T10:00:00+04:00").as_deref(), Some("2020-12-15T06:00:00Z"));
        assert_eq!(utc("yesterday"), None);
    }

    #[test]
    fn addresses_end_in_a_slash_and_only_http_passes() {
        assert_eq!(base_url("http://127.0.0.1:1/icaze").unwrap().as_str(), "http://127.0.0.1:1/icaze/");
        assert!(base_url("ftp://x").is_err());
        assert!(base_url("not a url").is_err());
    }

    #[test]
    fn api_errors_fall_back_to_the_status_and_are_cut_to_a_sentence() {
        let error = ApiError::from_answer(StatusCode::CONFLICT, br#"{"code":"future_version","message":"above 2"}"#);
        assert_eq!((error.code.as_str(), error.message.as_str()), ("future_version", "above 2"));
        let page = format!("  <html>{}</html>\n", "ə".repeat(2 * MAX_MESSAGE_CHARS));
        let error = ApiError::from_answer(StatusCode::BAD_GATEWAY, page.as_bytes());
        assert_eq!(error.code, "http_502");
        assert_eq!(error.message.chars().count(), MAX_MESSAGE_CHARS);
        assert!(error.message.starts_with("<html>ə"), "{}", error.message);
    }
}
