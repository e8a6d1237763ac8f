//! Counters and latency histograms of the SMS service, written in the
//! Prometheus text format ([`Metrics`]); [`Histogram`] is shared with the HTTP
//! server's per-route metrics.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
pub const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The service's metrics.
pub struct Metrics {
    /// Permits by SMS code: an atomic per code, as a permit is counted on every
    /// request of the busy path (a mutex there is a point of contention).
    issued: [AtomicU64; 256],
    refused: Mutex<BTreeMap<&'static str, u64>>,
    latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            issued: std::array::from_fn(|_| AtomicU64::new(0)),
            refused: Mutex::default(),
            latency: Histogram::default(),
        }
    }
}

impl Metrics {
    /// A permit of SMS code `code` was issued.
    pub fn issued(&self, code: u8) {
        self.issued[usize::from(code)].fetch_add(1, Ordering::Relaxed);
    }

    /// A request was answered without a new permit, for `reason`.
    pub fn refused(&self, reason: &'static str) {
        if let Ok(mut m) = self.refused.lock() {
            *m.entry(reason).or_default() += 1;
        }
    }

    /// An SMS request took `elapsed` to answer.
    pub fn observe(&self, elapsed: Duration) {
        self.latency.observe(elapsed);
    }

    /// Permits issued for `code` so far.
    pub fn issued_count(&self, code: u8) -> u64 {
        self.issued[usize::from(code)].load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP icaze_permits_issued_total Permits issued, by SMS code.\n# TYPE icaze_permits_issued_total counter\n");
        for (code, n) in self.issued.iter().enumerate() {
            let n = n.load(Ordering::Relaxed);
            if n > 0 {
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
        self.latency.render(&mut out, "icaze_sms_request_seconds", "");
        out
    }
}

/// One latency histogram, in [`BUCKETS`].
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Counts one observation.
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

    /// Writes the histogram's lines as `name_bucket`, `name_sum` and
    /// `name_count`; `labels` (`route="/x",` or empty) go before `le`.
    pub fn render(&self, out: &mut String, name: &str, labels: &str) {
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            let n = bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {n}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {count}");
        let bare = labels.trim_end_matches(',');
        let braces = if bare.is_empty() { String::new() } else { format!("{{{bare}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
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
