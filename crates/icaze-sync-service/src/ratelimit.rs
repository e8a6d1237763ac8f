//! Token buckets by key (a device, a supervisor): a burst, then a steady
//! rate, and how long to wait when a request finds its bucket empty
//! (`docs/security.md`, "Rate limits on the sync API").
//!
//! The buckets live in this process: behind a load balancer each instance
//! counts its own, so a caller gets at most the rate times the instances.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A burst and a steady rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Requests a key may make at once after a quiet spell.
    pub burst: u32,
    /// Requests a second it gets back, up to `burst`.
    pub per_second: f64,
}

impl Rate {
    /// `burst` at once, then one every `every`.
    pub fn new(burst: u32, every: Duration) -> Self {
        Self { burst: burst.max(1), per_second: 1.0 / every.as_secs_f64().max(1e-6) }
    }
}

/// Buckets by key, created full on a key's first request.
#[derive(Debug)]
pub struct Limiter {
    rate: Rate,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Keys kept before the full buckets (those that changed nothing) are forgotten.
const PRUNE_ABOVE: usize = 100_000;

impl Limiter {
    /// Buckets of `rate`.
    pub fn new(rate: Rate) -> Self {
        Self { rate, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a request for `key` now: `Ok`, or `Err` with how long until the
    /// next one is let in (whole seconds, at least 1, as `Retry-After` says).
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        self.take_at(key, Instant::now())
    }

    fn take_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Rate { burst, per_second } = self.rate;
        let burst = f64::from(burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= PRUNE_ABOVE && !buckets.contains_key(key) {
            buckets.retain(|_, b| b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_second < burst);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket { tokens: burst, at: now });
        let refilled = now.saturating_duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refilled).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - bucket.tokens) / per_second).ceil().max(1.0);
        Err(Duration::from_secs(wait.min(u32::MAX as f64) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_steady_rate_and_keys_apart() {
        let limiter = Limiter::new(Rate::new(3, Duration::from_secs(2)));
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take_at("a", start), Ok(()));
        }
        assert_eq!(limiter.take_at("a", start), Err(Duration::from_secs(2)));
        assert_eq!(limiter.take_at("b", start), Ok(()), "another key has its own bucket");
        // One back every 2 s; the wait shrinks as the time passes.
        assert_eq!(limiter.take_at("a", start + Duration::from_millis(1500)), Err(Duration::from_secs(1)));
        assert_eq!(limiter.take_at("a", start + Duration::from_secs(2)), Ok(()));
        assert!(limiter.take_at("a", start + Duration::from_secs(2)).is_err());
        // A long quiet spell fills the bucket up to the burst, not beyond.
        let later = start + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(limiter.take_at("a", later), Ok(()));
        }
        assert!(limiter.take_at("a", later).is_err());
    }

    #[test]
    fn a_slow_rate_says_how_long_to_wait() {
        let limiter = Limiter::new(Rate::new(1, Duration::from_secs(3600)));
        let now = Instant::now();
        assert_eq!(limiter.take_at("a", now), Ok(()));
        assert_eq!(limiter.take_at("a", now), Err(Duration::from_secs(3600)));
    }
}
