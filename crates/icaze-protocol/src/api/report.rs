//! The answers of the searches of permits and refused SMS requests
//! (`GET /admin/search`) and of the abuse report of the SMS codes
//! (`GET /admin/report/codes`), `docs/operations.md`. Documents and phones
//! come in full to the administrator and investigators and masked
//! (`AA•••••67`, `+99450•••••12`) to a plain supervisor: `masked` says which.

use serde::{Deserialize, Serialize};
#[cfg(feature = "ts")]
use ts_rs::TS;

/// One permit or refused request a search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// When it was issued or asked for (RFC 3339, UTC).
    pub at: String,
    /// The document, canonical or masked.
    pub document: String,
    /// The phone, canonical or masked (empty for the portal's and the 102 console's permits).
    pub phone: String,
    /// The SMS code (0 for the other channels).
    pub code: u8,
    /// `sms`, `portal` or `callcentre`.
    pub channel: String,
    /// The permit's serial; `None` for a refused request.
    pub serial: Option<u32>,
    /// Why a request was refused (`denied`, `daily_limit`, …); `None` for a permit.
    pub reason: Option<String>,
}

/// `GET /admin/search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchAnswer {
    /// Newest first.
    pub found: Vec<Found>,
    /// More rows matched than `limit`.
    pub truncated: bool,
    /// Documents and phones are masked (a plain supervisor's answer).
    #[serde(default)]
    pub masked: bool,
}

/// Permits and refused requests of one code in one hour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS), ts(rename = "CodeHourStat"))]
pub struct CodeHour {
    /// The hour's start (RFC 3339, UTC).
    pub hour: String,
    /// The SMS code.
    pub code: u8,
    /// Permits issued.
    pub permits: u32,
    /// Requests refused.
    pub refused: u32,
}

/// One code's share of the period's requests against its usual share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS), ts(rename = "CodeShareStat"))]
pub struct CodeShare {
    /// The SMS code.
    pub code: u8,
    /// Its requests (permits and refusals) in the period.
    pub requests: u64,
    /// Its share of all codes' requests, 0 to 1.
    pub share: f64,
    /// Its share in the baseline days; `None` when they had no requests.
    pub usual_share: Option<f64>,
    /// Past the threshold times its usual share.
    pub alert: bool,
}

/// A phone or document with its permits of the watched code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct Requester {
    /// The phone or document, canonical or masked.
    pub key: String,
    /// Its permits of the watched code in the period.
    pub permits: u32,
}

/// `GET /admin/report/codes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(TS))]
pub struct CodeReport {
    /// Start of the period (RFC 3339, UTC, inclusive).
    pub from: String,
    /// End of the period (exclusive).
    pub to: String,
    /// The code whose top phones and documents are listed.
    pub watched_code: u8,
    /// The factor past a code's usual share that flags it.
    pub threshold: f64,
    /// The days before `from` whose shares are the usual ones.
    pub baseline_days: u32,
    /// Some code is flagged.
    pub alert: bool,
    /// Per hour and code, by hour then code.
    pub hours: Vec<CodeHour>,
    /// Every code's share, by code.
    pub shares: Vec<CodeShare>,
    /// The phones with the most permits of the watched code.
    pub top_phones: Vec<Requester>,
    /// The documents with the most permits of the watched code.
    pub top_documents: Vec<Requester>,
    /// Documents and phones are masked (a plain supervisor's answer).
    #[serde(default)]
    pub masked: bool,
}
