//! Outgoing SMS: the 102 console sends a funeral permit to the caller's phone
//! through the SMS gateway's send interface (Kannel's `cgi-bin/sendsms`,
//! `icaze serve --sms-send-url`). The text is the one-SMS permit reply of the
//! 8103 service ([`icaze_sms::reply::permit_with_link`]).

use std::time::Duration;

use icaze_core::DocumentNumber;
use icaze_sms::reply::{self, PageLink};
use icaze_sms::Language;

use axum::http::StatusCode;

use super::store::PermitRow;
use super::PortalError;
use crate::api::ApiError;

/// How long the gateway may take to accept a message: the operator is on the
/// phone with the caller and retries rather than waits.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The short code permits come from.
const SENDER: &str = "8103";

/// Why `--sms-send-url` cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SenderError {
    /// Not an `http://` or `https://` URL.
    #[error("the SMS send URL {0:?} is not an http:// or https:// URL, such as http://127.0.0.1:13013/cgi-bin/sendsms?username=icaze&password=...")]
    Url(String),
    /// The HTTP client could not be made.
    #[error("the HTTP client for the SMS gateway could not be made: {0}")]
    Client(String),
}

/// Sends permits through the gateway's send interface.
#[derive(Clone)]
pub struct SmsSender {
    /// Kannel's sendsms URL with `username` and `password`; `from`, `to`,
    /// `text`, `charset` and `coding` are added.
    // Invariant: no Debug, the URL holds the gateway password.
    url: reqwest::Url,
    client: reqwest::Client,
    page_link: Option<PageLink>,
}

impl SmsSender {
    /// A sender to `url`; permits written with `page_link` as the 8103 service writes them.
    ///
    /// # Errors
    /// [`SenderError::Url`] for anything but an `http(s)://` URL.
    pub fn new(url: &str, page_link: Option<PageLink>) -> Result<Self, SenderError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| SenderError::Url(redacted(url)))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(SenderError::Url(redacted(url)));
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| SenderError::Client(e.to_string()))?;
        Ok(Self { url: parsed, client, page_link })
    }

    /// The permit's SMS, as the 8103 service would send it.
    pub fn text(&self, permit: &PermitRow, language: Language) -> Result<String, PortalError> {
        let document = DocumentNumber::parse(&permit.document)
            .map_err(|e| PortalError::Internal(format!("stored document {}: {e}", permit.document)))?;
        Ok(reply::permit_with_link(
            language,
            &document,
            permit.valid_from,
            permit.valid_until,
            &permit.token,
            self.page_link.as_ref(),
        ))
    }

    /// Hands `text` to the gateway for `phone` (digits, international).
    /// Kannel answers `202 Accepted` (queued) or `200`; anything else, or no
    /// answer within ten seconds, is `sms_gateway_failed`.
    /// Nothing is retried here: the operator sees the error and sends again.
    pub async fn send(&self, phone: &str, text: &str) -> Result<(), ApiError> {
        let mut url = self.url.clone();
        url.query_pairs_mut()
            .append_pair("from", SENDER)
            .append_pair("to", phone)
            .append_pair("text", text)
            // The replies are GSM-7 text (ASCII here): Kannel's 7-bit coding, one SMS.
            .append_pair("charset", "UTF-8")
            .append_pair("coding", "0");
        let failed = |why: String| {
            tracing::warn!(reason = %why, "the SMS gateway did not take a permit");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "sms_gateway_failed",
                format!(
                    "the SMS gateway did not take the message ({why}): try again, or read the permit to the caller"
                ),
            )
        };
        let response = self.client.get(url).send().await.map_err(|e| failed(error_kind(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let body = response.text().await.unwrap_or_default();
            Err(failed(format!("HTTP {}: {}", status.as_u16(), body.trim().chars().take(100).collect::<String>())))
        }
    }
}

/// What went wrong talking to the gateway, without the URL (it holds the password).
fn error_kind(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer within 10 seconds".into()
    } else if e.is_connect() {
        "it could not be reached".into()
    } else {
        "the connection failed".into()
    }
}

/// `url` without its query, which holds the password.
fn redacted(url: &str) -> String {
    url.split('?').next().unwrap_or_default().to_owned()
}

/// The answer when the service runs without `--sms-send-url`.
pub fn not_configured() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "sms_not_configured",
        "this service sends no SMS (started without --sms-send-url): read the permit to the caller",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_make_a_sender_and_the_password_is_not_repeated() {
        assert!(SmsSender::new("http://127.0.0.1:13013/cgi-bin/sendsms?username=u&password=p", None).is_ok());
        let error = SmsSender::new("ftp://gw/cgi-bin/sendsms?username=u&password=secret", None).err().unwrap();
        assert!(!error.to_string().contains("secret"), "{error}");
        assert!(SmsSender::new("127.0.0.1:13013/sendsms", None).is_err());
    }
}
