//! Counters and latency histograms, written in the Prometheus text format:
//! the SMS service's ([`Metrics`]) and every HTTP route's ([`HttpMetrics`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

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

/// Requests by route, method and status, and their latency by route: the
/// service's front door as the monitoring sees it. Routes are the router's
/// templates (`/v1/devices/{id}/approve`), never the raw path, so that the
/// number of series stays bounded whatever is requested; anything no route
/// matches counts under `unmatched`.
///
/// A series is a set of atomics found under a read lock: the busy path (every
/// SMS request) takes no exclusive lock once its series exists.
#[derive(Default)]
pub struct HttpMetrics {
    requests: RwLock<HashMap<(String, String, u16), Arc<AtomicU64>>>,
    latency: RwLock<HashMap<String, Arc<Histogram>>>,
}

/// One latency histogram, in [`BUCKETS`].
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
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
    fn render(&self, out: &mut String, name: &str, labels: &str) {
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

/// The series under `key`, made on first use.
fn series<K: std::hash::Hash + Eq + Clone, V: Default>(map: &RwLock<HashMap<K, Arc<V>>>, key: &K) -> Option<Arc<V>> {
    if let Some(found) = map.read().ok()?.get(key) {
        return Some(found.clone());
    }
    Some(map.write().ok()?.entry(key.clone()).or_default().clone())
}

/// Escapes a label value as the text format asks (`\`, `"`, line breaks).
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl HttpMetrics {
    /// A request to `route` (the matched template, or `unmatched`) by
    /// `method` was answered with `status` after `elapsed`.
    pub fn observe(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        if let Some(counter) = series(&self.requests, &(route.to_owned(), method.to_owned(), status)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(histogram) = series(&self.latency, &route.to_owned()) {
            histogram.observe(elapsed);
        }
    }

    /// The Prometheus text exposition, series sorted.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP icaze_http_requests_total HTTP requests answered, by route, method and status.\n# TYPE icaze_http_requests_total counter\n");
        if let Ok(requests) = self.requests.read() {
            let sorted: BTreeMap<_, _> = requests.iter().map(|(k, v)| (k.clone(), v.load(Ordering::Relaxed))).collect();
            for ((route, method, status), n) in sorted {
                let _ = writeln!(
                    out,
                    "icaze_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                    label(&route),
                    label(&method)
                );
            }
        }
        out.push_str("# HELP icaze_http_request_seconds Time to answer an HTTP request, by route.\n# TYPE icaze_http_request_seconds histogram\n");
        if let Ok(latency) = self.latency.read() {
            let sorted: BTreeMap<_, _> = latency.iter().collect();
            for (route, h) in sorted {
                h.render(&mut out, "icaze_http_request_seconds", &format!("route=\"{}\",", label(route)));
            }
        }
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

    #[test]
    fn http_requests_by_route_method_and_status_with_latency() {
        let m = HttpMetrics::default();
        m.observe("/sms/8103", "GET", 200, Duration::from_millis(3));
        m.observe("/sms/8103", "GET", 200, Duration::from_millis(30));
        m.observe("/v1/devices/{id}", "GET", 404, Duration::from_millis(1));
        m.observe("un\"matched\n", "GET", 404, Duration::from_millis(1));
        let text = m.render();
        assert!(
            text.contains("icaze_http_requests_total{route=\"/sms/8103\",method=\"GET\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(text.contains("icaze_http_requests_total{route=\"/v1/devices/{id}\",method=\"GET\",status=\"404\"} 1"));
        assert!(text.contains("icaze_http_request_seconds_bucket{route=\"/sms/8103\",le=\"0.005\"} 1"));
        assert!(text.contains("icaze_http_request_seconds_bucket{route=\"/sms/8103\",le=\"0.05\"} 2"));
        assert!(text.contains("icaze_http_request_seconds_count{route=\"/sms/8103\"} 2"));
        assert!(text.contains("route=\"un\\\"matched\\n\""), "label values are escaped: {text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("# TYPE")).count(), 2);
    }
}
