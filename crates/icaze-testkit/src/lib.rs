//! A real SMS gateway for tests: Debian's Kannel (bearerbox and smsbox) on loopback in
//! front of an HTTP application, with a fake SMSC driven by Kannel's own `fakesmsc`.
//! Also a fault-injecting TCP proxy on loopback, [`FaultProxy`], for tests of clients
//! on a bad network; throwaway PostgreSQL clusters ([`postgres`]); and a real front,
//! HAProxy round robin over several instances with health checks ([`haproxy`]).
//!
//! ```no_run
//! use icaze_testkit::Kannel;
//!
//! # fn main() -> Result<(), icaze_testkit::KannelError> {
//! // The application under test answers GET /sms/8103?from=...&text=... on this port
//! // with a text/plain reply.
//! let kannel = Kannel::start("http://127.0.0.1:8080/sms/8103")?;
//!
//! let reply = kannel.send("+994501234567", "İcazə 2")?;
//! assert!(!reply.is_empty(), "{}", kannel.log_tail());
//!
//! let replies = kannel.send_batch(&[
//!     ("+994501111111", "2 AZE11111111"),
//!     ("+994502222222", "1"),
//! ])?;
//! assert_eq!(replies.len(), 2);
//! # Ok(())
//! # }
//! ```
//!
//! Needs the Debian packages `kannel` (bearerbox, smsbox) and `kannel-extras`
//! (fakesmsc); [`available`] says whether they are installed. Each [`Kannel`] has its own
//! ports and temporary directory, so tests may run in parallel. Start-up takes well
//! under a second.
//!
//! # What the gateway does to messages (Kannel 1.4.5, measured)
//!
//! Towards the application (mobile-originated):
//! - The application receives `from` and `text` URL-encoded as UTF-8, space as `+`.
//!   `text` is the message exactly as sent: runs of spaces, leading and trailing spaces,
//!   line breaks, `#`, `&`, `%` and `+` arrive intact (the `get-url` uses `%b`; `%a`
//!   would collapse spaces and turn line breaks into spaces).
//! - Printable ASCII is sent as a `text` (GSM-7) message. Anything else is sent as UCS-2,
//!   as phones send Cyrillic or Azerbaijani letters; smsbox's `mo-recode` converts it to
//!   UTF-8 (without it the application would receive UTF-16BE bytes). A non-ASCII text
//!   too long for fakesmsc's 254-byte input line as UCS-2 is sent as a `text` message
//!   carrying UTF-8, which the application receives the same way.
//! - fakesmsc cannot carry longer lines at all: such a message is refused with
//!   [`KannelError::InvalidMessage`] rather than cut.
//! - Senders are passed as given (no `unified-prefix`).
//!
//! Back to the phone (the reply):
//! - Replies are GSM-7: a character outside the GSM-7 alphabet (Cyrillic, `ə`, `Ə`, `İ`,
//!   `ı`, `ş`, `Ş`, `ğ`, `Ğ`, `` ` ``) comes back as `?`; GSM-7 letters such as `é`,
//!   `ä`, `ö`, `ü`, `Ö`, `Ü`, `Ç` come back as themselves, and `ç` as `Ç`. Replies are
//!   expected to stay within GSM-7; a `?` in a reply shows that one did not.
//! - One SMS per reply: a reply of 160 GSM-7 characters comes back whole; a longer one
//!   comes back cut to its first 160, silently. Characters of the GSM-7 extension
//!   table (`{ } [ ] \ ^ ~ |` and `€`) take two of the 160 (measured with `{`).
//! - Line breaks in a reply (`\n` or `\r\n`) come back as `\n`.
//! - An empty reply body comes back as [`REPLY_EMPTY`]; an HTTP error status, an
//!   unreachable application, or a content type Kannel does not take (such as
//!   `application/json`) as [`REPLY_COULD_NOT_FETCH`]. Kannel does not retry.
//!   `X-Kannel-*` reply headers are refused.

#![deny(missing_docs)]

mod config;
mod error;
mod fakesmsc;
mod faultproxy;
pub mod haproxy;
mod kannel;
pub mod postgres;
#[cfg(feature = "service")]
pub mod service;

pub use config::{REPLY_COULD_NOT_FETCH, REPLY_EMPTY};
pub use error::KannelError;
pub use faultproxy::{Fault, FaultCounts, FaultKind, FaultProxy, FaultProxyError, FaultSchedule};
pub use kannel::{available, Kannel, SHORT_CODE};

/// A PDF's text as poppler's `pdftotext` extracts it (UTF-8, in reading order):
/// what a reader copies or a screen reader reads.
///
/// # Panics
/// Where poppler-utils is not installed (saying so), or when it fails on the file.
pub fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).expect("the PDF is written");
    let output =
        std::process::Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&path).arg("-").output().unwrap_or_else(
            |e| {
                panic!("this test needs pdftotext (Debian package poppler-utils; `apt-get install poppler-utils`): {e}")
            },
        );
    assert!(output.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("pdftotext writes UTF-8")
}
