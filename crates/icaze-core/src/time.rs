//! Minute-precision UTC instants, and their display in Asia/Baku time.
//!
//! This module never reads a clock: the current time is always passed in.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

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

    /// The calendar date and time of this instant at `offset_minutes` from UTC.
    ///
    /// Computed here rather than with `time::OffsetDateTime`, whose range ends
    /// in the year 9999: a trust list may carry any u32 minute (up to the year
    /// 10136), and such an instant must not be shown as something else.
    fn civil(self, offset_minutes: i32) -> Civil {
        let minutes = i64::from(self.0) + i64::from(offset_minutes);
        let (days, minute_of_day) = (minutes.div_euclid(1440), minutes.rem_euclid(1440));
        let (year, month, day) = civil_from_days(days);
        Civil { year, month, day, hour: minute_of_day / 60, minute: minute_of_day % 60 }
    }

    /// RFC 3339 in UTC, e.g. `2020-12-15T06:00:00Z` (for machines). Years
    /// after 9999 have five digits.
    pub fn to_rfc3339_utc(self) -> String {
        let t = self.civil(0);
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:00Z", t.year, t.month, t.day, t.hour, t.minute)
    }

    /// Asia/Baku local time, e.g. `2020-12-15 10:00` (for people).
    pub fn baku(self) -> BakuTime {
        BakuTime(self)
    }
}

/// A calendar date and time of day, for display.
/// The proleptic Gregorian (year, month, day) of a day counted from
/// 1970-01-01 (H. Hinnant's `civil_from_days`, counting from 0000-03-01 so that
/// leap days end each 4-year cycle). Months and days start at 1.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
}

/// An instant displayed in Asia/Baku time; see [`UtcMinute::baku`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BakuTime(UtcMinute);

impl BakuTime {
    /// RFC 3339 with the +04:00 offset, e.g. `2020-12-15T10:00:00+04:00`.
    pub fn to_rfc3339(self) -> String {
        let t = self.0.civil(BAKU_OFFSET_MINUTES);
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:00+04:00", t.year, t.month, t.day, t.hour, t.minute)
    }

    /// Day and month, `15.12`, as in an SMS reply.
    pub fn day_month(self) -> String {
        let t = self.0.civil(BAKU_OFFSET_MINUTES);
        format!("{:02}.{:02}", t.day, t.month)
    }

    /// Hour and minute, `10:00`.
    pub fn hour_minute(self) -> String {
        let t = self.0.civil(BAKU_OFFSET_MINUTES);
        format!("{:02}:{:02}", t.hour, t.minute)
    }
}

impl fmt::Display for BakuTime {
    /// `2020-12-15 10:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0.civil(BAKU_OFFSET_MINUTES);
        write!(f, "{:04}-{:02}-{:02} {:02}:{:02}", t.year, t.month, t.day, t.hour, t.minute)
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
    fn every_u32_minute_has_its_date() {
        // The `time` crate cannot represent these without its `large-dates`
        // feature; they must still be shown as what they are.
        let last = UtcMinute::from_unix_minutes(u32::MAX);
        assert_eq!(last.to_rfc3339_utc(), "10136-02-16T04:15:00Z");
        assert_eq!(last.baku().to_string(), "10136-02-16 08:15");
        assert_eq!(UtcMinute::from_unix_minutes(0).to_rfc3339_utc(), "1970-01-01T00:00:00Z");
        // Leap days, and the turn of a year in Baku before it turns in UTC.
        assert_eq!(UtcMinute::parse_rfc3339("2024-02-29T23:59:00Z").unwrap().to_rfc3339_utc(), "2024-02-29T23:59:00Z");
        assert_eq!(UtcMinute::parse_rfc3339("2100-03-01T00:00:00Z").unwrap().to_rfc3339_utc(), "2100-03-01T00:00:00Z");
        let new_year = UtcMinute::parse_rfc3339("2020-12-31T20:00:00Z").unwrap();
        assert_eq!(new_year.baku().to_rfc3339(), "2021-01-01T00:00:00+04:00");
        // Every day of 1970..2200 against `time`, which covers that range.
        for day in 0..(230 * 366) {
            let t = UtcMinute::from_unix_minutes(day * 1440 + 1439);
            let reference = OffsetDateTime::from_unix_timestamp(t.unix_seconds()).unwrap();
            let expected =
                format!("{:04}-{:02}-{:02}T23:59:00Z", reference.year(), u8::from(reference.month()), reference.day());
            assert_eq!(t.to_rfc3339_utc(), expected);
        }
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
