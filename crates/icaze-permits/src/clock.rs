//! Where the services read the time: the system clock, or a fixed one in tests
//! and rehearsals.

use icaze_core::UtcMinute;

/// Where the service reads the time. Tests use a fixed clock.
pub trait Clock: Send + Sync + 'static {
    /// The current minute.
    fn now(&self) -> UtcMinute;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UtcMinute {
        let secs =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        UtcMinute::from_unix_seconds(secs).unwrap_or(UtcMinute::from_unix_minutes(0))
    }
}

/// A clock that says what it is told, for tests and rehearsals.
#[derive(Debug)]
pub struct FixedClock(pub std::sync::atomic::AtomicU32);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: UtcMinute) -> Self {
        Self(std::sync::atomic::AtomicU32::new(at.unix_minutes()))
    }
    /// Moves it to `at`.
    pub fn set(&self, at: UtcMinute) {
        self.0.store(at.unix_minutes(), std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> UtcMinute {
        UtcMinute::from_unix_minutes(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}
