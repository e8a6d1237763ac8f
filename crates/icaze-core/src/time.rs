//! Minute-precision UTC instants, and their display in Asia/Baku time.
//!
//! This module never reads a clock: the current time is always passed in.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// The offset of Asia/Baku from UTC, in minutes. Azerbaijan abolished daylight
/// saving time in 2016, so every instant this system handles (2020 onwards) is
/// shown at +04:00.
pub const BAKU_OFFSET_MINUTES: i32 = 4 * 60;

/// The wire epoch of the permit token: 2020-01-01T00:00Z, in Unix minutes.
pub(crate) const WIRE_EPOCH: u32 = 18_262 * 24 * 60;

/// A UTC instant with minute precision, counted in minutes since the Unix epoch.
///
/// Permits, trust lists and verdicts speak in these; seconds are dropped
/// (rounded down), so a permit valid "until 13:00" stops at 13:00:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcMinute(u32);

/// A time given as text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read the time {input:?}: write it as RFC 3339, e.g. 2020-12-15T10:00:00+04:00")]
pub struct TimeParseError {
    input: String,
}

impl UtcMinute {
    /// The instant `minutes` after 1970-01-01T00:00Z.
    pub const fn from_unix_minutes(minutes: u32) -> Self {
        Self(minutes)
    }

    /// Minutes since 1970-01-01T00:00Z.
    pub const fn unix_minutes(self) -> u32 {
        self.0
    }

    /// The minute containing the Unix time `seconds`; `None` before 1970 or after
    /// the year 10000.
    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        u32::try_from(seconds.div_euclid(60)).ok().map(Self)
    }

    /// Seconds since 1970-01-01T00:00Z of the start of this minute.
    pub fn unix_seconds(self) -> i64 {
        i64::from(self.0) * 60
    }

    /// Reads an RFC 3339 timestamp with any offset, e.g. `2020-12-15T10:00:00+04:00`.
    pub fn parse_rfc3339(input: &str) -> Result<Self, TimeParseError> {
        let err = || TimeParseError { input: input.to_owned() };
        let parsed = OffsetDateTime::parse(input.trim(), &Rfc3339).map_err(|_| err())?;
        Self::from_unix_seconds(parsed.unix_timestamp()).ok_or_else(err)
    }

    /// The instant `minutes` later, or `None` on overflow.
    pub fn checked_add(self, minutes: u32) -> Option<Self> {
        self.0.checked_add(minutes).map(Self)
    }

    /// Signed difference `self - earlier`, in minutes.
    pub fn minutes_since(self, earlier: UtcMinute) -> i64 {
        i64::from(self.0) - i64::from(earlier.0)
    }

    fn to_offset(self, offset_minutes: i32) -> OffsetDateTime {
        // Invariant: any u32 count of minutes (up to year ~10136) is within the
        // range `time` represents, and `offset_minutes` is a valid offset.
        let utc = OffsetDateTime::from_unix_timestamp(self.unix_seconds()).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let offset = UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap_or(UtcOffset::UTC);
        utc.to_offset(offset)
    }

    /// RFC 3339 in UTC, e.g. `2020-12-15T06:00:00Z` (for machines).
    pub fn to_rfc3339_utc(self) -> String {
        let t = self.to_offset(0);
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:00Z", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
    }

    /// Asia/Baku local time, e.g. `2020-12-15 10:00` (for people).
    pub fn baku(self) -> BakuTime {
        BakuTime(self)
    }
}

/// An instant displayed in Asia/Baku time; see [`UtcMinute::baku`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BakuTime(UtcMinute);

impl BakuTime {
    /// RFC 3339 with the +04:00 offset, e.g. `2020-12-15T10:00:00+04:00`.
    pub fn to_rfc3339(self) -> String {
        let t = self.0.to_offset(BAKU_OFFSET_MINUTES);
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:00+04:00", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
    }

    /// Day and month, `15.12`, as in an SMS reply.
    pub fn day_month(self) -> String {
        let t = self.0.to_offset(BAKU_OFFSET_MINUTES);
        format!("{:02}.{:02}", t.day(), u8::from(t.month()))
    }

    /// Hour and minute, `10:00`.
    pub fn hour_minute(self) -> String {
        let t = self.0.to_offset(BAKU_OFFSET_MINUTES);
        format!("{:02}:{:02}", t.hour(), t.minute())
    }
}

impl fmt::Display for BakuTime {
    /// `2020-12-15 10:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0.to_offset(BAKU_OFFSET_MINUTES);
        write!(f, "{:04}-{:02}-{:02} {:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_epoch_is_2020() {
        assert_eq!(UtcMinute::from_unix_minutes(WIRE_EPOCH).to_rfc3339_utc(), "2020-01-01T00:00:00Z");
    }

    #[test]
    fn baku_is_utc_plus_four() {
        let t = UtcMinute::parse_rfc3339("2020-12-14T00:00:00+04:00").unwrap();
        assert_eq!(t.to_rfc3339_utc(), "2020-12-13T20:00:00Z");
        assert_eq!(t.baku().to_rfc3339(), "2020-12-14T00:00:00+04:00");
        assert_eq!(t.baku().to_string(), "2020-12-14 00:00");
        assert_eq!(t.baku().day_month(), "14.12");
        assert_eq!(t.baku().hour_minute(), "00:00");
    }

    #[test]
    fn seconds_round_down() {
        let t = UtcMinute::parse_rfc3339("2020-12-15T10:00:59Z").unwrap();
        assert_eq!(t.to_rfc3339_utc(), "2020-12-15T10:00:00Z");
    }

    #[test]
    fn bad_times_are_errors() {
        for bad in ["", "yesterday", "2020-13-01T00:00:00Z", "1969-12-31T23:59:00Z", "2020-12-15 10:00"] {
            assert!(UtcMinute::parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
