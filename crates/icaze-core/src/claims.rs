//! What a permit says: the claims and the small types they are made of.

use std::fmt;

use crate::document::DocumentNumber;
use crate::time::UtcMinute;

/// Why the holder may move. The wire code is a 4-bit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Purpose {
    /// SMS code 1: urgent medical need or scheduled treatment.
    Medical,
    /// SMS code 2: food, medicine, public, bank and postal services, time outdoors.
    Necessities,
    /// Funeral of a close relative (the 102 call centre, or SMS code 3 in April 2020).
    Funeral,
    /// An employee of a permitted organisation, registered on the employer portal.
    Work,
    /// An employee's business trip to other zones.
    BusinessTrip,
    /// A code this version does not know by name (6..=15): kept, so that a newer
    /// authority's permits still verify, and shown by number.
    Other(u8),
}

impl Purpose {
    /// The 4-bit wire code, 1..=15.
    pub fn code(self) -> u8 {
        match self {
            Purpose::Medical => 1,
            Purpose::Necessities => 2,
            Purpose::Funeral => 3,
            Purpose::Work => 4,
            Purpose::BusinessTrip => 5,
            Purpose::Other(n) => n,
        }
    }

    /// The purpose of a wire code; `None` for 0 and codes over 15.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => Purpose::Medical,
            2 => Purpose::Necessities,
            3 => Purpose::Funeral,
            4 => Purpose::Work,
            5 => Purpose::BusinessTrip,
            6..=15 => Purpose::Other(code),
            _ => return None,
        })
    }

    /// A stable machine name: `medical`, `necessities`, `funeral`, `work`,
    /// `business_trip`, or `purpose_N`.
    pub fn name(self) -> String {
        match self {
            Purpose::Medical => "medical".into(),
            Purpose::Necessities => "necessities".into(),
            Purpose::Funeral => "funeral".into(),
            Purpose::Work => "work".into(),
            Purpose::BusinessTrip => "business_trip".into(),
            Purpose::Other(n) => format!("purpose_{n}"),
        }
    }

    /// Reads a name as [`Purpose::name`] writes it (hyphens allowed), or a code.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        match name.as_str() {
            "medical" => Some(Purpose::Medical),
            "necessities" => Some(Purpose::Necessities),
            "funeral" => Some(Purpose::Funeral),
            "work" => Some(Purpose::Work),
            "business_trip" => Some(Purpose::BusinessTrip),
            other => {
                let digits = other.strip_prefix("purpose_").unwrap_or(other);
                digits.parse().ok().and_then(Self::from_code)
            }
        }
    }
}

/// A set of purposes, as a 16-bit mask (bit n = wire code n; bit 0 unused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PurposeSet(u16);

impl PurposeSet {
    /// The set with these purposes.
    pub fn of(purposes: &[Purpose]) -> Self {
        Self(purposes.iter().fold(0, |mask, p| mask | 1 << p.code()))
    }

    /// The set of a mask; bit 0 is ignored.
    pub fn from_mask(mask: u16) -> Self {
        Self(mask & !1)
    }

    /// The mask.
    pub fn mask(self) -> u16 {
        self.0
    }

    /// Whether `purpose` is in the set.
    pub fn contains(self, purpose: Purpose) -> bool {
        self.0 & (1 << purpose.code()) != 0
    }

    /// The purposes, by code.
    pub fn iter(self) -> impl Iterator<Item = Purpose> {
        (1..=15u8).filter(move |c| self.0 & (1 << c) != 0).filter_map(Purpose::from_code)
    }
}

/// A zone where a permit is valid: a city, a region or a region centre,
/// numbered by the regime's configuration (1..=4095).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneId(u16);

impl ZoneId {
    /// The largest zone id a v1 permit can carry.
    pub const MAX: u16 = 4095;

    /// A zone id, `None` outside 1..=4095.
    pub fn new(id: u16) -> Option<Self> {
        (1..=Self::MAX).contains(&id).then_some(Self(id))
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for ZoneId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which issuer key signed a permit: an index into the trust list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub u8);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A permit's serial number, unique per authority; what revocations name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermitSerial(pub u32);

impl fmt::Display for PermitSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A vehicle registration plate: 1..=15 characters `0-9 A-Z`, written without
/// the hyphens and spaces of the plate (`10AB123` for `10-AB-123`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VehiclePlate(String);

impl VehiclePlate {
    /// The most characters a plate may have.
    pub const MAX_LEN: usize = 15;

    /// Reads a plate as written, dropping hyphens and spaces; `None` if empty,
    /// too long, or with characters outside `0-9 A-Z`.
    pub fn parse(input: &str) -> Option<Self> {
        let plate: String = input.chars().filter(|c| !matches!(c, '-' | ' ')).map(|c| c.to_ascii_uppercase()).collect();
        let ok = !plate.is_empty()
            && plate.len() <= Self::MAX_LEN
            && plate.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        ok.then_some(Self(plate))
    }

    /// The plate characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The most zones one permit may name.
pub const MAX_ZONES: usize = 16;

/// Everything a permit says about its holder, apart from the key that signs it.
///
/// Invariant (checked by [`PermitClaims::new`]): `zones` is non-empty, strictly
/// ascending and at most [`MAX_ZONES`] long; `valid_from < valid_until`; every
/// time is within what the v1 wire format can carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitClaims {
    pub(crate) serial: PermitSerial,
    pub(crate) document: DocumentNumber,
    pub(crate) purpose: Purpose,
    pub(crate) zones: Vec<ZoneId>,
    pub(crate) issued_at: UtcMinute,
    pub(crate) valid_from: UtcMinute,
    pub(crate) valid_until: UtcMinute,
    pub(crate) vehicle: Option<VehiclePlate>,
}

/// The parts of a permit, given to [`PermitClaims::new`].
#[derive(Debug, Clone)]
pub struct ClaimsSpec {
    /// The serial number.
    pub serial: PermitSerial,
    /// The holder's identity document.
    pub document: DocumentNumber,
    /// Why the holder may move.
    pub purpose: Purpose,
    /// Where the permit is valid, in any order; duplicates are merged.
    pub zones: Vec<ZoneId>,
    /// When the permit was issued.
    pub issued_at: UtcMinute,
    /// Start of validity.
    pub valid_from: UtcMinute,
    /// End of validity (exclusive).
    pub valid_until: UtcMinute,
    /// The vehicle the holder may drive, if the permit names one.
    pub vehicle: Option<VehiclePlate>,
}

/// Claims that the v1 format cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimsError {
    /// No zone was given.
    #[error("a permit needs at least one zone")]
    NoZone,
    /// More zones than [`MAX_ZONES`].
    #[error("a permit names at most 16 zones")]
    TooManyZones,
    /// Validity ends at or before it starts.
    #[error("the validity window is empty: valid_until must be after valid_from")]
    EmptyWindow,
    /// A time outside 2020-01-01 .. 2147, or a window or offset too long to encode.
    #[error("{0}")]
    OutOfRange(&'static str),
}

impl PermitClaims {
    /// Claims from their parts, checked against what format v1 can carry.
    pub fn new(spec: ClaimsSpec) -> Result<Self, ClaimsError> {
        let mut zones = spec.zones;
        zones.sort_unstable();
        zones.dedup();
        if zones.is_empty() {
            return Err(ClaimsError::NoZone);
        }
        if zones.len() > MAX_ZONES {
            return Err(ClaimsError::TooManyZones);
        }
        if spec.valid_until <= spec.valid_from {
            return Err(ClaimsError::EmptyWindow);
        }
        let claims = Self {
            serial: spec.serial,
            document: spec.document,
            purpose: spec.purpose,
            zones,
            issued_at: spec.issued_at,
            valid_from: spec.valid_from,
            valid_until: spec.valid_until,
            vehicle: spec.vehicle,
        };
        crate::wire::check_encodable(&claims)?;
        Ok(claims)
    }

    /// The serial number.
    pub fn serial(&self) -> PermitSerial {
        self.serial
    }
    /// The holder's identity document.
    pub fn document(&self) -> &DocumentNumber {
        &self.document
    }
    /// Why the holder may move.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }
    /// Where the permit is valid, ascending.
    pub fn zones(&self) -> &[ZoneId] {
        &self.zones
    }
    /// When it was issued.
    pub fn issued_at(&self) -> UtcMinute {
        self.issued_at
    }
    /// Start of validity (inclusive).
    pub fn valid_from(&self) -> UtcMinute {
        self.valid_from
    }
    /// End of validity (exclusive).
    pub fn valid_until(&self) -> UtcMinute {
        self.valid_until
    }
    /// The vehicle, if any.
    pub fn vehicle(&self) -> Option<&VehiclePlate> {
        self.vehicle.as_ref()
    }

    /// The length in bytes of a token of these claims in `format` (payload and
    /// signature), without signing one: what an issuer needs to know whether a
    /// permit fits an SMS or a QR code of a given size.
    pub fn token_len(&self, format: crate::Format) -> usize {
        format.encode(crate::KeyId(0), self).len() + crate::SIGNATURE_LEN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purpose_names_round_trip() {
        for code in 1..=15 {
            let p = Purpose::from_code(code).unwrap();
            assert_eq!(p.code(), code);
            assert_eq!(Purpose::from_name(&p.name()), Some(p));
        }
        assert_eq!(Purpose::from_code(0), None);
        assert_eq!(Purpose::from_code(16), None);
        assert_eq!(Purpose::from_name("business-trip"), Some(Purpose::BusinessTrip));
        assert_eq!(Purpose::from_name("2"), Some(Purpose::Necessities));
        assert_eq!(Purpose::from_name("walk"), None);
    }

    #[test]
    fn purpose_sets() {
        let set = PurposeSet::of(&[Purpose::Medical, Purpose::Necessities]);
        assert_eq!(set.mask(), 0b110);
        assert!(set.contains(Purpose::Medical) && !set.contains(Purpose::Work));
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![Purpose::Medical, Purpose::Necessities]);
    }

    #[test]
    fn plates() {
        assert_eq!(VehiclePlate::parse("10-ab-123").unwrap().as_str(), "10AB123");
        assert!(VehiclePlate::parse("").is_none());
        assert!(VehiclePlate::parse("10-АВ-123").is_none(), "Cyrillic");
        assert!(VehiclePlate::parse("1234567890123456").is_none());
    }

    #[test]
    fn zone_range() {
        assert!(ZoneId::new(0).is_none());
        assert!(ZoneId::new(4096).is_none());
        assert_eq!(ZoneId::new(4095).unwrap().get(), 4095);
    }
}
