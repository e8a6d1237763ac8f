//! Counters and a latency histogram, written in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The service's metrics.
#[derive(Default)]
pub struct Metrics {
    issued: Mutex<BTreeMap<u8, u64>>,
    refused: Mutex<BTreeMap<&'static str, u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Metrics {
    /// A permit of SMS code `code` was issued.
    pub fn issued(&self, code: u8) {
        if let Ok(mut m) = self.issued.lock() {
            *m.entry(code).or_default() += 1;
        }
    }

    /// A request was answered without a new permit, for `reason`.
    pub fn refused(&self, reason: &'static str) {
        if let Ok(mut m) = self.refused.lock() {
            *m.entry(reason).or_default() += 1;
        }
    }

    /// An SMS request took `elapsed` to answer.
    pub fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            if secs <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    /// Permits issued for `code` so far.
    pub fn issued_count(&self, code: u8) -> u64 {
        self.issued.lock().map(|m| m.get(&code).copied().unwrap_or(0)).unwrap_or(0)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP icaze_permits_issued_total Permits issued, by SMS code.\n# TYPE icaze_permits_issued_total counter\n");
        if let Ok(m) = self.issued.lock() {
            for (code, n) in m.iter() {
                let _ = writeln!(out, "icaze_permits_issued_total{{code=\"{code}\"}} {n}");
            }
        }
        out.push_str("# HELP icaze_sms_refusals_total SMS requests answered without a new permit, by reason.\n# TYPE icaze_sms_refusals_total counter\n");
        if let Ok(m) = self.refused.lock() {
            for (reason, n) in m.iter() {
                let _ = writeln!(out, "icaze_sms_refusals_total{{reason=\"{reason}\"}} {n}");
            }
        }
        out.push_str("# HELP icaze_sms_request_seconds Time to answer an SMS request.\n# TYPE icaze_sms_request_seconds histogram\n");
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ =
                writeln!(out, "icaze_sms_request_seconds_bucket{{le=\"{bound}\"}} {}", bucket.load(Ordering::Relaxed));
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "icaze_sms_request_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "icaze_sms_request_seconds_sum {}", self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "icaze_sms_request_seconds_count {count}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.issued(2);
        m.issued(2);
        m.refused("unknown_document");
        m.observe(Duration::from_millis(3));
        let text = m.render();
        assert!(text.contains("icaze_permits_issued_total{code=\"2\"} 2"));
        assert!(text.contains("icaze_sms_refusals_total{reason=\"unknown_document\"} 1"));
        assert!(text.contains("icaze_sms_request_seconds_bucket{le=\"0.0025\"} 0"));
        assert!(text.contains("icaze_sms_request_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("icaze_sms_request_seconds_count 1"));
    }
}
