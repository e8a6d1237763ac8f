//! The packed binary payload of permit format v1, bit for bit as in
//! `docs/token-format.md`. Every field has exactly one encoding: the decoder
//! refuses any other, so one set of claims has one byte string.

use crate::bits::{BitReader, BitWriter, Truncated};
use crate::claims::{ClaimsError, KeyId, PermitClaims, PermitSerial, Purpose, VehiclePlate, ZoneId, MAX_ZONES};
use crate::document::{DocumentKind, DocumentNumber};
use crate::error::ParseError;
use crate::sign::Domain;
use crate::time::{UtcMinute, WIRE_EPOCH};

/// The version number of format v1.
pub const VERSION: u8 = 1;

const TIME_BITS: u32 = 26;
const DELTA_BITS: u32 = 20;
const SHORT_DURATION_BITS: u32 = 11;
const LONG_DURATION_BITS: u32 = 20;
const ZONE_BITS: u32 = 12;

const DOC_ID_CARD: u64 = 1;
const DOC_ID_CARD_AZE: u64 = 2;
const DOC_ID_CARD_AA: u64 = 3;
const DOC_TEMPORARY_RESIDENCE: u64 = 4;
const DOC_PERMANENT_RESIDENCE: u64 = 5;
const DOC_EXTENDED_STAY: u64 = 6;
const DOC_REGISTRATION_NOTICE: u64 = 7;

/// The bits needed for a number of `n` decimal digits: the least `w` with
/// `2^w >= 10^n`.
pub(crate) fn digit_bits(n: usize) -> u32 {
    let limit = 10u64.pow(n as u32);
    let mut w = 0;
    while (1u64 << w) < limit {
        w += 1;
    }
    w
}

impl From<Truncated> for ParseError {
    fn from(_: Truncated) -> Self {
        ParseError::Truncated
    }
}

/// Checks that `claims` fit the v1 field widths (called by `PermitClaims::new`).
pub(crate) fn check_encodable(claims: &PermitClaims) -> Result<(), ClaimsError> {
    let time_limit = WIRE_EPOCH + (1 << TIME_BITS);
    let issued = claims.issued_at.unix_minutes();
    if !(WIRE_EPOCH..time_limit).contains(&issued) {
        return Err(ClaimsError::OutOfRange("issued_at must be from 2020-01-01 to 2147"));
    }
    if claims.valid_from.minutes_since(claims.issued_at).unsigned_abs() >= 1 << DELTA_BITS {
        return Err(ClaimsError::OutOfRange("valid_from must be within 728 days of issued_at"));
    }
    if claims.valid_from.unix_minutes() < WIRE_EPOCH {
        return Err(ClaimsError::OutOfRange("valid_from must be from 2020-01-01"));
    }
    if claims.valid_until.minutes_since(claims.valid_from) >= 1 << LONG_DURATION_BITS {
        return Err(ClaimsError::OutOfRange("a permit is valid for at most 728 days"));
    }
    if claims.zones.len() > MAX_ZONES {
        return Err(ClaimsError::TooManyZones);
    }
    Ok(())
}

/// Writes `vehicle_flag` and, for a vehicle, `plate_len` and the plate's
/// characters (the same fields in v1 and v2).
pub(crate) fn put_plate(w: &mut BitWriter, plate: Option<&VehiclePlate>) {
    w.put_bool(plate.is_some());
    if let Some(plate) = plate {
        w.put(plate.as_str().len() as u64, 4);
        for b in plate.as_str().bytes() {
            let v = if b.is_ascii_digit() { b - b'0' } else { b - b'A' + 10 };
            w.put(u64::from(v), 6);
        }
    }
}

/// Reads what [`put_plate`] writes, refusing a plate of no characters or a
/// character code above 35.
pub(crate) fn get_plate(r: &mut BitReader<'_>) -> Result<Option<VehiclePlate>, ParseError> {
    let invalid = ParseError::InvalidField;
    if !r.get_bool()? {
        return Ok(None);
    }
    let len = r.get(4)? as usize;
    let mut plate = String::with_capacity(len);
    for _ in 0..len {
        let v = r.get(6)? as u8;
        plate.push(match v {
            0..=9 => char::from(b'0' + v),
            10..=35 => char::from(b'A' + v - 10),
            _ => return Err(invalid("vehicle")),
        });
    }
    Ok(Some(VehiclePlate::parse(&plate).filter(|p| p.as_str() == plate).ok_or(invalid("vehicle"))?))
}

/// Writes the fields both formats start with: version, purpose, key id, serial.
pub(crate) fn put_header(w: &mut BitWriter, version: u8, key_id: KeyId, claims: &PermitClaims) {
    w.put(u64::from(version), 4);
    w.put(u64::from(claims.purpose.code()), 4);
    w.put(u64::from(key_id.0), 8);
    w.put(u64::from(claims.serial.0), 32);
}

/// Reads what [`put_header`] writes: a version other than `version` is
/// refused first, then a purpose of 0.
pub(crate) fn get_header(r: &mut BitReader<'_>, version: u8) -> Result<(Purpose, KeyId, PermitSerial), ParseError> {
    let read = r.get(4)? as u8;
    if read != version {
        return Err(ParseError::UnsupportedVersion(read));
    }
    let purpose = Purpose::from_code(r.get(4)? as u8).ok_or(ParseError::InvalidField("purpose"))?;
    let key_id = KeyId(r.get(8)? as u8);
    let serial = PermitSerial(r.get(32)? as u32);
    Ok((purpose, key_id, serial))
}

/// Writes `series_len` and the series letters (`A` is 1).
pub(crate) fn put_letters(w: &mut BitWriter, series: &str) {
    w.put(series.len() as u64, 3);
    for b in series.bytes() {
        w.put(u64::from(b - b'A' + 1), 5);
    }
}

/// Writes the document's digits as one number of W(n) bits.
pub(crate) fn put_digits(w: &mut BitWriter, digits: &str) {
    // Invariant: `digits` is 1..=15 ASCII digits, so it parses into a u64.
    let value: u64 = digits.parse().unwrap_or(0);
    w.put(value, digit_bits(digits.len()));
}

/// Reads the zones, each `width` bits and followed by its `more_zones` bit
/// (the same fields in v1 and v2): each refused as soon as it is read when 0,
/// not above the one before, or a 17th.
pub(crate) fn get_zones(r: &mut BitReader<'_>, width: u32) -> Result<Vec<ZoneId>, ParseError> {
    let invalid = || ParseError::InvalidField("zone");
    let mut zones: Vec<ZoneId> = Vec::new();
    loop {
        let zone = ZoneId::new(r.get(width)? as u16).ok_or_else(invalid)?;
        if zones.last().is_some_and(|&last| last >= zone) || zones.len() == MAX_ZONES {
            return Err(invalid());
        }
        zones.push(zone);
        if !r.get_bool()? {
            return Ok(zones);
        }
    }
}

/// Reads `n` series letters of 5 bits (1 is `A`, 26 `Z`), each checked as it is read.
pub(crate) fn get_letters(r: &mut BitReader<'_>, n: usize) -> Result<String, ParseError> {
    let mut series = String::with_capacity(n);
    for _ in 0..n {
        let v = r.get(5)? as u8;
        if !(1..=26).contains(&v) {
            return Err(ParseError::InvalidField("document"));
        }
        series.push(char::from(b'A' + v - 1));
    }
    Ok(series)
}

/// Reads `n` decimal digits as one number of W(n) bits, below 10^n.
pub(crate) fn get_digits(r: &mut BitReader<'_>, n: usize) -> Result<String, ParseError> {
    let value = r.get(digit_bits(n))?;
    if value >= 10u64.pow(n as u32) {
        return Err(ParseError::InvalidField("document"));
    }
    Ok(format!("{value:0n$}"))
}

/// The end of a payload: fewer than 8 bits left, all zero.
pub(crate) fn end_of_payload(r: &mut BitReader<'_>) -> Result<(), ParseError> {
    let rest = r.remaining();
    if rest >= 8 {
        return Err(ParseError::TrailingBytes);
    }
    if r.get(rest as u32)? != 0 {
        return Err(ParseError::InvalidField("padding"));
    }
    Ok(())
}

/// Reads a payload of either format, by its first four bits.
pub(crate) fn decode_any(payload: &[u8]) -> Result<(Format, KeyId, PermitClaims), ParseError> {
    let version = payload.first().ok_or(ParseError::Truncated)? >> 4;
    match Format::from_version(version) {
        Some(Format::V1) => decode(payload).map(|(k, c)| (Format::V1, k, c)),
        Some(Format::V2) => crate::wire2::decode(payload).map(|(k, c)| (Format::V2, k, c)),
        None => Err(ParseError::UnsupportedVersion(version)),
    }
}

/// The formats of the permit payload this crate reads.
///
/// Issuers write [`Format::V2`]; devices read both while v1 permits are live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// Format v1 (`IZ1…`, `docs/token-format.md` §1–9).
    V1,
    /// Format v2 (`IZ2…`, `docs/token-format.md` §10): the same claims in
    /// fewer bits.
    V2,
}

impl Format {
    /// The version number, the payload's first four bits and the digit after
    /// `IZ` in the SMS form.
    pub fn version(self) -> u8 {
        match self {
            Format::V1 => VERSION,
            Format::V2 => crate::wire2::VERSION,
        }
    }

    /// The format of a version number, if this crate reads it.
    pub fn from_version(version: u8) -> Option<Self> {
        match version {
            1 => Some(Format::V1),
            2 => Some(Format::V2),
            _ => None,
        }
    }

    /// The signature domain of permits of this format.
    pub fn domain(self) -> Domain {
        match self {
            Format::V1 => Domain::Permit,
            Format::V2 => Domain::PermitV2,
        }
    }

    /// Packs the payload of `claims` in this format.
    pub(crate) fn encode(self, key_id: KeyId, claims: &PermitClaims) -> Vec<u8> {
        match self {
            Format::V1 => encode(key_id, claims),
            Format::V2 => crate::wire2::encode(key_id, claims),
        }
    }
}

/// Packs the payload. `claims` satisfy the `PermitClaims` invariant, so every
/// field fits its width.
pub(crate) fn encode(key_id: KeyId, claims: &PermitClaims) -> Vec<u8> {
    let mut w = BitWriter::new();
    put_header(&mut w, VERSION, key_id, claims);
    w.put(u64::from(claims.issued_at.unix_minutes() - WIRE_EPOCH), TIME_BITS);

    let delta = claims.valid_from.minutes_since(claims.issued_at);
    w.put_bool(delta != 0);
    if delta != 0 {
        w.put_bool(delta < 0);
        w.put(delta.unsigned_abs(), DELTA_BITS);
    }

    let duration = claims.valid_until.minutes_since(claims.valid_from) as u64;
    let long = duration >= 1 << SHORT_DURATION_BITS;
    w.put_bool(long);
    w.put(duration, if long { LONG_DURATION_BITS } else { SHORT_DURATION_BITS });

    for (i, zone) in claims.zones.iter().enumerate() {
        w.put(u64::from(zone.get()), ZONE_BITS);
        w.put_bool(i + 1 < claims.zones.len());
    }

    put_plate(&mut w, claims.vehicle.as_ref());

    let doc = &claims.document;
    let (doc_type, literal_series) = match (doc.kind(), doc.series()) {
        (DocumentKind::IdCard, "AZE") => (DOC_ID_CARD_AZE, false),
        (DocumentKind::IdCard, "AA") => (DOC_ID_CARD_AA, false),
        (DocumentKind::IdCard, _) => (DOC_ID_CARD, true),
        (DocumentKind::TemporaryResidence, _) => (DOC_TEMPORARY_RESIDENCE, false),
        (DocumentKind::PermanentResidence, _) => (DOC_PERMANENT_RESIDENCE, false),
        (DocumentKind::ExtendedStay, _) => (DOC_EXTENDED_STAY, false),
        (DocumentKind::RegistrationNotice, _) => (DOC_REGISTRATION_NOTICE, true),
    };
    w.put(doc_type, 4);
    if literal_series {
        put_letters(&mut w, doc.series());
    }
    let digits = doc.digits();
    w.put(digits.len() as u64, 4);
    put_digits(&mut w, digits);
    w.finish()
}

/// Unpacks a payload (the bytes before the signature).
pub(crate) fn decode(payload: &[u8]) -> Result<(KeyId, PermitClaims), ParseError> {
    let invalid = ParseError::InvalidField;
    let mut r = BitReader::new(payload);
    let (purpose, key_id, serial) = get_header(&mut r, VERSION)?;
    let issued = WIRE_EPOCH + r.get(TIME_BITS)? as u32;
    let issued_at = UtcMinute::from_unix_minutes(issued);

    let valid_from = if r.get_bool()? {
        let before = r.get_bool()?;
        let delta = r.get(DELTA_BITS)? as u32;
        if delta == 0 {
            return Err(invalid("valid_from"));
        }
        let from = if before { issued.checked_sub(delta) } else { issued.checked_add(delta) };
        match from {
            Some(m) if m >= WIRE_EPOCH => UtcMinute::from_unix_minutes(m),
            _ => return Err(invalid("valid_from")),
        }
    } else {
        issued_at
    };

    let long = r.get_bool()?;
    let duration = r.get(if long { LONG_DURATION_BITS } else { SHORT_DURATION_BITS })? as u32;
    if duration == 0 || (long && duration < 1 << SHORT_DURATION_BITS) {
        return Err(invalid("duration"));
    }
    let valid_until = valid_from.checked_add(duration).ok_or(invalid("duration"))?;

    let zones = get_zones(&mut r, ZONE_BITS)?;

    let vehicle = get_plate(&mut r)?;

    let doc_type = r.get(4)?;
    let (kind, fixed) = match doc_type {
        DOC_ID_CARD => (DocumentKind::IdCard, None),
        DOC_ID_CARD_AZE => (DocumentKind::IdCard, Some("AZE")),
        DOC_ID_CARD_AA => (DocumentKind::IdCard, Some("AA")),
        DOC_TEMPORARY_RESIDENCE => (DocumentKind::TemporaryResidence, Some("MYI")),
        DOC_PERMANENT_RESIDENCE => (DocumentKind::PermanentResidence, Some("DYI")),
        DOC_EXTENDED_STAY => (DocumentKind::ExtendedStay, Some("MOM")),
        DOC_REGISTRATION_NOTICE => (DocumentKind::RegistrationNotice, None),
        _ => return Err(invalid("document_type")),
    };
    let series = match fixed {
        Some(series) => series.to_owned(),
        None => {
            let n = r.get(3)? as usize;
            let series = get_letters(&mut r, n)?;
            // Series with a type code of their own must use it.
            if doc_type == DOC_ID_CARD && matches!(series.as_str(), "AZE" | "AA") {
                return Err(invalid("document"));
            }
            series
        }
    };
    let n = r.get(4)? as usize;
    if n == 0 {
        return Err(invalid("document"));
    }
    let digits = get_digits(&mut r, n)?;
    let document = DocumentNumber::new(kind, &series, &digits).map_err(|_| invalid("document"))?;
    end_of_payload(&mut r)?;

    let claims = PermitClaims { serial, document, purpose, zones, issued_at, valid_from, valid_until, vehicle };
    Ok((key_id, claims))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::claims::ClaimsSpec;

    pub(crate) fn minute(s: &str) -> UtcMinute {
        UtcMinute::parse_rfc3339(s).unwrap()
    }

    /// Claims of serial `u32::MAX` for necessities (the tests of both formats).
    pub(crate) fn claims(
        doc: &str,
        zones: &[u16],
        issued: &str,
        from: &str,
        until: &str,
        plate: Option<&str>,
    ) -> PermitClaims {
        PermitClaims::new(ClaimsSpec {
            serial: PermitSerial(u32::MAX),
            document: DocumentNumber::parse(doc).unwrap(),
            purpose: Purpose::Necessities,
            zones: zones.iter().map(|&z| ZoneId::new(z).unwrap()).collect(),
            issued_at: minute(issued),
            valid_from: minute(from),
            valid_until: minute(until),
            vehicle: plate.and_then(VehiclePlate::parse),
        })
        .unwrap()
    }

    pub(crate) fn sms_claims() -> PermitClaims {
        let at = "2020-12-15T10:00:00+04:00";
        let claims = claims("AZE11111111", &[1], at, at, "2020-12-15T13:00:00+04:00", None);
        PermitClaims { serial: PermitSerial(123_456_789), ..claims }
    }

    #[test]
    fn digit_widths() {
        let widths: Vec<u32> = (1..=15).map(digit_bits).collect();
        assert_eq!(widths, [4, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40, 44, 47, 50]);
    }

    #[test]
    fn sms_permit_is_17_bytes() {
        let payload = encode(KeyId(1), &sms_claims());
        assert_eq!(payload.len(), 17);
        assert_eq!(decode(&payload).unwrap(), (KeyId(1), sms_claims()));
    }

    #[test]
    fn every_field_round_trips() {
        let claims = PermitClaims::new(ClaimsSpec {
            serial: PermitSerial(u32::MAX),
            document: DocumentNumber::parse("ABCDEFG000000000000042").unwrap(),
            purpose: Purpose::Other(15),
            zones: (1..=16).map(|z| ZoneId::new(z * 200).unwrap()).collect(),
            issued_at: minute("2021-01-01T00:00:00Z"),
            valid_from: minute("2020-12-01T00:00:00Z"),
            valid_until: minute("2021-06-01T00:00:00Z"),
            vehicle: VehiclePlate::parse("10-AB-123"),
        })
        .unwrap();
        let payload = encode(KeyId(255), &claims);
        assert_eq!(decode(&payload).unwrap(), (KeyId(255), claims));
    }

    #[test]
    fn non_canonical_encodings_are_refused() {
        // Version 1, purpose 2, key 1, serial 7, issued_at: what comes before valid_from.
        let header = || {
            let mut w = BitWriter::new();
            for (value, width) in [(1, 4), (2, 4), (1, 8), (7, 32), (500_000, 26)] {
                w.put(value, width);
            }
            w
        };
        // valid_from flag set with a zero delta.
        let mut w = header();
        w.put_bool(true);
        w.put_bool(false);
        w.put(0, 20);
        assert_eq!(decode(&w.finish()), Err(ParseError::InvalidField("valid_from")));

        // A long duration that fits the short form.
        let mut w = header();
        w.put_bool(false);
        w.put_bool(true);
        w.put(180, 20);
        assert_eq!(decode(&w.finish()), Err(ParseError::InvalidField("duration")));
    }

    #[test]
    fn unknown_version_is_named() {
        let mut payload = encode(KeyId(1), &sms_claims());
        payload[0] = (payload[0] & 0x0f) | 0x20;
        assert_eq!(decode(&payload), Err(ParseError::UnsupportedVersion(2)));
    }

    #[test]
    fn truncated_and_trailing() {
        let payload = encode(KeyId(1), &sms_claims());
        for len in 0..payload.len() {
            assert!(decode(&payload[..len]).is_err(), "prefix of {len} bytes");
        }
        let mut longer = payload.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(ParseError::TrailingBytes));
    }
}
