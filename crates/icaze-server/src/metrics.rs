//! Requests by route, method and status with their latency, written in the
//! Prometheus text format ([`HttpMetrics`]); sync uploads, bundles served,
//! portal logins and the SQLite writer's queue ([`ServiceMetrics`]); the SMS
//! service's own metrics are [`icaze_permits::metrics::Metrics`].
//!
//! The exposition is written by hand rather than with the `prometheus-client`
//! crate: the text format is a few lines of `name{labels} value`, every series
//! here is a fixed set of atomics (or a map of them under a read lock), and
//! the SMS service's counters live in `icaze-permits`, a rules crate that
//! should not depend on a metrics library to count. One more dependency (and
//! its registry, encoder and types threaded through three crates) would buy
//! nothing the tests below do not already check: names, labels, escaping and
//! the `# HELP`/`# TYPE` lines. The series are listed in `docs/operations.md`.

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

/// How a sync batch reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncChannel {
    /// `POST /v1/upload`, from the device itself.
    Upload,
    /// `POST /v1/imports`, a file carried by a supervisor.
    Import,
}

impl SyncChannel {
    const ALL: [Self; 2] = [Self::Upload, Self::Import];

    fn name(self) -> &'static str {
        match self {
            Self::Upload => "upload",
            Self::Import => "import",
        }
    }
}

/// How a portal login ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    /// A session was opened.
    Ok,
    /// Unknown login or wrong password.
    BadCredentials,
    /// Too many failures from that login or address: refused without looking.
    Throttled,
    /// Anything else (a malformed body, a deactivated account, a failure).
    Refused,
}

impl LoginOutcome {
    const ALL: [Self; 4] = [Self::Ok, Self::BadCredentials, Self::Throttled, Self::Refused];

    fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::BadCredentials => "bad_credentials",
            Self::Throttled => "throttled",
            Self::Refused => "refused",
        }
    }

    /// The outcome a refusal's machine code stands for.
    pub fn of_code(code: &str) -> Self {
        match code {
            "bad_credentials" => Self::BadCredentials,
            "throttled" => Self::Throttled,
            _ => Self::Refused,
        }
    }
}

/// What the sync API and the portal did, counted by their HTTP handlers from
/// the services' typed answers (the rules crates count nothing of HTTP), and
/// the SQLite writer's queue, read from the store when `/metrics` is asked.
/// Every series is a fixed atomic: all of them are written out, zeros
/// included, so that a dashboard sees a series before its first event.
pub struct ServiceMetrics {
    /// Batches by channel, then accepted (0) or refused (1).
    batches: [[AtomicU64; 2]; 2],
    /// Records of accepted batches by channel, then accepted, duplicate, conflicting.
    records: [[AtomicU64; 3]; 2],
    /// Bundle bytes sent: full (0) and delta (1), each a sum and a count.
    bundle_bytes: [[AtomicU64; 2]; 2],
    logins: [AtomicU64; 4],
    writer_queue: Box<dyn Fn() -> Option<u64> + Send + Sync>,
    /// The sync service's requests refused for their rate: devices', supervisors'.
    rate_limited: Option<Box<dyn Fn() -> (u64, u64) + Send + Sync>>,
}

impl Default for ServiceMetrics {
    fn default() -> Self {
        Self::new(Box::new(|| Some(0)))
    }
}

impl ServiceMetrics {
    /// Metrics whose writer queue gauge reads `writer_queue` (the permit
    /// store's jobs sent and not yet answered); a store with no writer
    /// thread (PostgreSQL) answers `None` and the gauge is left out.
    pub fn new(writer_queue: Box<dyn Fn() -> Option<u64> + Send + Sync>) -> Self {
        Self {
            batches: Default::default(),
            records: Default::default(),
            bundle_bytes: Default::default(),
            logins: Default::default(),
            writer_queue,
            rate_limited: None,
        }
    }

    /// The same, with the sync service's rate-limit refusals read from
    /// `refused` (devices', supervisors').
    pub fn with_rate_limited(mut self, refused: Box<dyn Fn() -> (u64, u64) + Send + Sync>) -> Self {
        self.rate_limited = Some(refused);
        self
    }

    /// A batch came by `channel` and was taken, with its records' outcomes.
    pub fn batch_accepted(&self, channel: SyncChannel, accepted: u64, duplicates: u64, conflicts: u64) {
        let c = channel as usize;
        self.batches[c][0].fetch_add(1, Ordering::Relaxed);
        for (counter, n) in self.records[c].iter().zip([accepted, duplicates, conflicts]) {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// A batch came by `channel` and was refused whole.
    pub fn batch_refused(&self, channel: SyncChannel) {
        self.batches[channel as usize][1].fetch_add(1, Ordering::Relaxed);
    }

    /// `bytes` of a bundle were sent, of a delta bundle or a full one.
    pub fn bundle_sent(&self, delta: bool, bytes: usize) {
        let kind = &self.bundle_bytes[usize::from(delta)];
        kind[0].fetch_add(bytes as u64, Ordering::Relaxed);
        kind[1].fetch_add(1, Ordering::Relaxed);
    }

    /// A portal login ended with `outcome`.
    pub fn login(&self, outcome: LoginOutcome) {
        self.logins[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        out.push_str("# HELP icaze_sync_batches_total Inspection batches received, by channel and result.\n# TYPE icaze_sync_batches_total counter\n");
        for channel in SyncChannel::ALL {
            for (result, n) in ["accepted", "refused"].iter().zip(&self.batches[channel as usize]) {
                let _ = writeln!(
                    out,
                    "icaze_sync_batches_total{{channel=\"{}\",result=\"{result}\"}} {}",
                    channel.name(),
                    load(n)
                );
            }
        }
        out.push_str("# HELP icaze_sync_records_total Inspection records of accepted batches, by channel and outcome.\n# TYPE icaze_sync_records_total counter\n");
        for channel in SyncChannel::ALL {
            for (outcome, n) in ["accepted", "duplicate", "conflict"].iter().zip(&self.records[channel as usize]) {
                let _ = writeln!(
                    out,
                    "icaze_sync_records_total{{channel=\"{}\",outcome=\"{outcome}\"}} {}",
                    channel.name(),
                    load(n)
                );
            }
        }
        out.push_str("# HELP icaze_bundle_bytes Bytes of the sync bundles sent, full or delta.\n# TYPE icaze_bundle_bytes summary\n");
        for (kind, [sum, count]) in ["full", "delta"].iter().zip(&self.bundle_bytes) {
            let _ = writeln!(out, "icaze_bundle_bytes_sum{{kind=\"{kind}\"}} {}", load(sum));
            let _ = writeln!(out, "icaze_bundle_bytes_count{{kind=\"{kind}\"}} {}", load(count));
        }
        out.push_str(
            "# HELP icaze_portal_logins_total Portal logins, by outcome.\n# TYPE icaze_portal_logins_total counter\n",
        );
        for outcome in LoginOutcome::ALL {
            let _ = writeln!(
                out,
                "icaze_portal_logins_total{{outcome=\"{}\"}} {}",
                outcome.name(),
                load(&self.logins[outcome as usize])
            );
        }
        if let Some(refused) = &self.rate_limited {
            let (devices, supervisors) = refused();
            out.push_str("# HELP icaze_sync_rate_limited_total Sync API requests refused for their rate (429), by caller.\n# TYPE icaze_sync_rate_limited_total counter\n");
            let _ = writeln!(out, "icaze_sync_rate_limited_total{{caller=\"device\"}} {devices}");
            let _ = writeln!(out, "icaze_sync_rate_limited_total{{caller=\"supervisor\"}} {supervisors}");
        }
        if let Some(queued) = (self.writer_queue)() {
            out.push_str("# HELP icaze_sqlite_writer_queue Permit jobs sent to the SQLite writer thread and not yet answered.\n# TYPE icaze_sqlite_writer_queue gauge\n");
            let _ = writeln!(out, "icaze_sqlite_writer_queue {queued}");
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

    #[test]
    fn sync_bundle_login_and_queue_series() {
        let m = ServiceMetrics::new(Box::new(|| Some(7)));
        m.batch_accepted(SyncChannel::Upload, 3, 1, 0);
        m.batch_accepted(SyncChannel::Import, 2, 0, 1);
        m.batch_refused(SyncChannel::Upload);
        m.bundle_sent(false, 1000);
        m.bundle_sent(true, 40);
        m.bundle_sent(true, 60);
        m.login(LoginOutcome::of_code("bad_credentials"));
        m.login(LoginOutcome::Ok);
        let text = m.render();
        for line in [
            "icaze_sync_batches_total{channel=\"upload\",result=\"accepted\"} 1",
            "icaze_sync_batches_total{channel=\"upload\",result=\"refused\"} 1",
            "icaze_sync_batches_total{channel=\"import\",result=\"accepted\"} 1",
            "icaze_sync_records_total{channel=\"upload\",outcome=\"accepted\"} 3",
            "icaze_sync_records_total{channel=\"upload\",outcome=\"duplicate\"} 1",
            "icaze_sync_records_total{channel=\"import\",outcome=\"conflict\"} 1",
            "icaze_bundle_bytes_sum{kind=\"full\"} 1000",
            "icaze_bundle_bytes_count{kind=\"delta\"} 2",
            "icaze_bundle_bytes_sum{kind=\"delta\"} 100",
            "icaze_portal_logins_total{outcome=\"bad_credentials\"} 1",
            "icaze_portal_logins_total{outcome=\"ok\"} 1",
            "icaze_portal_logins_total{outcome=\"throttled\"} 0",
            "icaze_sqlite_writer_queue 7",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in {text}");
        }
        assert_eq!(text.lines().filter(|l| l.starts_with("# TYPE")).count(), 5);
        // With no writer thread (PostgreSQL), no writer queue series.
        let text = ServiceMetrics::new(Box::new(|| None)).render();
        assert!(!text.contains("icaze_sqlite_writer_queue"), "{text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("# TYPE")).count(), 4);
    }
}
