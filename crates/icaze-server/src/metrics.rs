//! Requests by route, method and status with their latency, written in the
//! Prometheus text format ([`HttpMetrics`]); the SMS service's own metrics are
//! [`icaze_permits::metrics::Metrics`].

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use icaze_permits::metrics::Histogram;

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
