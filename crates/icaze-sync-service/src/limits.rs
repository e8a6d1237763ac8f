//! What one caller of the sync API may do: rates and the supervisor's bounds
//! on revocations.

use crate::ratelimit::{Limiter, Rate};
use crate::SyncError;

/// What one caller of the sync API may do, per instance of the service.
#[derive(Clone, Copy, Debug)]
pub struct SyncLimits {
    /// Uploads and status requests of one device (after its signature is checked).
    pub device: Rate,
    /// Requests of one supervisor's token.
    pub supervisor: Rate,
    /// Permits a supervisor revokes in one request (by serials or by document);
    /// longer lists are the administrator's.
    pub supervisor_serials: usize,
    /// Permits a supervisor revokes in 24 hours.
    pub supervisor_revocations_a_day: u64,
}

impl Default for SyncLimits {
    /// A device: 60 at once, then one every 2 s (a device syncs every few
    /// minutes; a long outbox goes in batches of 500). A supervisor: 120 at
    /// once, then 2 a second (a screen loads a few pages). 10 permits a
    /// revocation and 200 a day.
    fn default() -> Self {
        Self {
            device: Rate::new(60, std::time::Duration::from_secs(2)),
            supervisor: Rate::new(120, std::time::Duration::from_millis(500)),
            supervisor_serials: 10,
            supervisor_revocations_a_day: 200,
        }
    }
}

impl SyncLimits {
    /// No bound on rates (load generators and benchmarks); the supervisor's
    /// bounds on revocations stay.
    pub fn unlimited_rates() -> Self {
        let unlimited = Rate::new(u32::MAX, std::time::Duration::from_nanos(1));
        Self { device: unlimited, supervisor: unlimited, ..Self::default() }
    }
}

/// The buckets of [`SyncLimits`], and the requests they refused.
pub(crate) struct Limiters {
    pub(crate) limits: SyncLimits,
    pub(crate) devices: Limiter,
    pub(crate) supervisors: Limiter,
    refused: RateLimited,
}

/// Requests refused for their rate since the service started, by caller
/// (`icaze_sync_rate_limited_total` in `/metrics`).
#[derive(Debug, Default)]
pub struct RateLimited {
    /// Of devices.
    pub devices: std::sync::atomic::AtomicU64,
    /// Of supervisors.
    pub supervisors: std::sync::atomic::AtomicU64,
}

impl Limiters {
    pub(crate) fn new(limits: SyncLimits) -> Self {
        Self {
            limits,
            devices: Limiter::new(limits.device),
            supervisors: Limiter::new(limits.supervisor),
            refused: RateLimited::default(),
        }
    }

    /// A request of `who` refused until `wait` has passed, and counted.
    pub(crate) fn refuse(&self, who: &'static str, wait: std::time::Duration) -> SyncError {
        let counter = if who == "device" { &self.refused.devices } else { &self.refused.supervisors };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        SyncError::RateLimited { who, retry_after: wait.as_secs() }
    }

    /// The requests refused so far.
    pub(crate) fn refused(&self) -> &RateLimited {
        &self.refused
    }
}
