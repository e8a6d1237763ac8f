//! Who made an inspection, and where: the officer's badge and a position.

use std::fmt;

/// An officer's badge number: 1 to 32 printable ASCII characters, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OfficerBadge(String);

/// A badge that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the badge {0:?} is not 1 to 32 printable ASCII characters without spaces")]
pub struct BadBadge(pub String);

impl OfficerBadge {
    /// The longest badge, in bytes.
    pub const MAX_LEN: usize = 32;

    /// Checks a badge number.
    pub fn new(badge: &str) -> Result<Self, BadBadge> {
        if badge.is_empty() || badge.len() > Self::MAX_LEN || !badge.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(BadBadge(badge.to_owned()));
        }
        Ok(Self(badge.to_owned()))
    }

    /// The badge as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OfficerBadge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A position in units of 10⁻⁷ degree (about 1 cm), integers so that a record
/// has one encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    lat_e7: i32,
    lon_e7: i32,
}

impl Location {
    /// A position from 10⁻⁷ degrees; `None` outside ±90° latitude, ±180° longitude.
    pub fn from_e7(lat_e7: i32, lon_e7: i32) -> Option<Self> {
        let ok = (-900_000_000..=900_000_000).contains(&lat_e7) && (-1_800_000_000..=1_800_000_000).contains(&lon_e7);
        ok.then_some(Self { lat_e7, lon_e7 })
    }

    /// A position from decimal degrees, rounded to 10⁻⁷; `None` out of range or not finite.
    pub fn from_degrees(lat: f64, lon: f64) -> Option<Self> {
        if !lat.is_finite() || !lon.is_finite() || lat.abs() > 90.0 || lon.abs() > 180.0 {
            return None;
        }
        // The range checks above keep both products inside i32.
        Self::from_e7((lat * 1e7).round() as i32, (lon * 1e7).round() as i32)
    }

    /// Reads `LAT,LON` in decimal degrees, e.g. `40.4093,49.8671`.
    pub fn parse(text: &str) -> Option<Self> {
        let (lat, lon) = text.split_once(',')?;
        Self::from_degrees(lat.trim().parse().ok()?, lon.trim().parse().ok()?)
    }

    /// Latitude in 10⁻⁷ degrees.
    pub fn lat_e7(self) -> i32 {
        self.lat_e7
    }

    /// Longitude in 10⁻⁷ degrees.
    pub fn lon_e7(self) -> i32 {
        self.lon_e7
    }

    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        f64::from(self.lat_e7) / 1e7
    }

    /// Longitude in degrees.
    pub fn lon(self) -> f64 {
        f64::from(self.lon_e7) / 1e7
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badges_and_locations() {
        assert!(OfficerBadge::new("B-1042").is_ok());
        assert!(OfficerBadge::new("").is_err());
        assert!(OfficerBadge::new("a b").is_err());
        assert!(OfficerBadge::new(&"x".repeat(33)).is_err());
        let baku = Location::parse("40.4093, 49.8671").unwrap();
        assert_eq!((baku.lat_e7(), baku.lon_e7()), (404_093_000, 498_671_000));
        assert!(Location::parse("91,0").is_none());
        assert!(Location::parse("NaN,0").is_none());
        assert!(Location::parse("40.4").is_none());
        assert_eq!(Location::from_degrees(-90.0, 180.0).unwrap().lon_e7(), 1_800_000_000);
    }
}
