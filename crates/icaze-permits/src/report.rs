//! The abuse report of the SMS codes (issue 23): in 2020 code 1, "urgent
//! medical", was asked 129,763 times in two days, most of them not medical,
//! and nobody could see it coming. The report puts a period's requests per
//! code and hour beside each code's usual share of them, and flags a code
//! whose share has grown past a threshold; with the phones and documents that
//! got the most permits of the code watched.
//!
//! It reads the permits store ([`PermitStore::code_hours`],
//! [`PermitStore::top_requesters`]) and knows nothing of how it is shown (the
//! server writes it as JSON and CSV).

use std::collections::BTreeMap;

use icaze_core::UtcMinute;

use crate::store::{CodeHour, PermitStore, StoreError, TopRequesters};

/// How a report is asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportRequest {
    /// Start of the period (inclusive).
    pub from: UtcMinute,
    /// End of the period (exclusive).
    pub to: UtcMinute,
    /// The code whose top phones and documents are listed.
    pub watched: u8,
    /// Days before `from` whose shares are the usual ones.
    pub baseline_days: u32,
    /// A code whose share is more than this many times its usual share is flagged.
    pub threshold: f64,
    /// How many phones and documents to list.
    pub top: u32,
}

/// One code's share of the requests in the period, against its usual share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodeShare {
    /// The SMS code.
    pub code: u8,
    /// Its requests (permits and refusals) in the period.
    pub requests: u64,
    /// Its share of all codes' requests in the period, 0..=1.
    pub share: f64,
    /// Its share in the baseline days; `None` when they had no requests.
    pub usual_share: Option<f64>,
    /// `share` is more than the threshold times `usual_share`.
    pub alert: bool,
}

/// The report.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeReport {
    /// What was asked.
    pub request: ReportRequest,
    /// Permits and refused requests per code and hour of the period.
    pub hours: Vec<CodeHour>,
    /// Every code's share, by code.
    pub shares: Vec<CodeShare>,
    /// The phones and documents with the most permits of the watched code.
    pub top: TopRequesters,
}

impl CodeReport {
    /// Whether any code is flagged.
    pub fn alert(&self) -> bool {
        self.shares.iter().any(|s| s.alert)
    }
}

/// Requests per code.
fn by_code(hours: &[CodeHour]) -> BTreeMap<u8, u64> {
    let mut counts = BTreeMap::new();
    for h in hours {
        *counts.entry(h.code).or_insert(0) += u64::from(h.permits) + u64::from(h.refused);
    }
    counts
}

fn share(counts: &BTreeMap<u8, u64>, code: u8) -> Option<f64> {
    let all: u64 = counts.values().sum();
    (all > 0).then(|| counts.get(&code).copied().unwrap_or(0) as f64 / all as f64)
}

/// Builds the report from the store.
pub fn code_report<S: PermitStore + ?Sized>(store: &S, request: ReportRequest) -> Result<CodeReport, StoreError> {
    let hours = store.code_hours(request.from, request.to)?;
    let baseline_from = UtcMinute::from_unix_minutes(
        request.from.unix_minutes().saturating_sub(request.baseline_days.saturating_mul(24 * 60)),
    );
    let baseline = by_code(&store.code_hours(baseline_from, request.from)?);
    let period = by_code(&hours);
    let shares = period
        .keys()
        .chain(baseline.keys())
        .copied()
        .collect::<std::collections::BTreeSet<u8>>()
        .into_iter()
        .map(|code| {
            let usual_share = share(&baseline, code);
            let share = share(&period, code).unwrap_or(0.0);
            let alert = usual_share.is_some_and(|usual| share > usual * request.threshold);
            CodeShare { code, requests: period.get(&code).copied().unwrap_or(0), share, usual_share, alert }
        })
        .collect();
    let top = store.top_requesters(request.watched, request.from, request.to, request.top)?;
    Ok(CodeReport { request, hours, shares, top })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(code: u8, permits: u32, refused: u32) -> CodeHour {
        CodeHour { hour: UtcMinute::from_unix_minutes(0), code, permits, refused }
    }

    #[test]
    fn shares_count_permits_and_refusals_per_code() {
        let counts = by_code(&[hour(1, 3, 1), hour(2, 4, 0), hour(1, 2, 0)]);
        assert_eq!(counts, BTreeMap::from([(1, 6), (2, 4)]));
        assert_eq!(share(&counts, 1), Some(0.6));
        assert_eq!(share(&counts, 3), Some(0.0));
        assert_eq!(share(&BTreeMap::new(), 1), None);
    }
}
