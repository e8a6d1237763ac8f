//! The packed binary payload of permit format v2, bit for bit as in
//! `docs/token-format.md` §10.
//!
//! Format v2 carries the same claims as v1 in fewer bits, so that the permits
//! the shipped regimes issue fit a version-5 QR code at error correction M
//! (83 token bytes, 64 of them the signature): SMS permits with their
//! activation delay, work permits and business trips of whole days, funeral
//! permits for two zones; not those that name a vehicle. Where v1 has one encoding for a
//! field, v2 has a few *forms* of it, tried in a fixed order; the encoder uses
//! the first form that can hold the value, and the decoder refuses a value in a
//! later form that an earlier one could hold. So one set of claims still has
//! exactly one payload.

use crate::bits::{BitReader, BitWriter};
use crate::claims::{KeyId, PermitClaims};
use crate::document::{DocumentKind, DocumentNumber};
use crate::error::ParseError;
use crate::time::{UtcMinute, WIRE_EPOCH};
use crate::wire::{
    end_of_payload, get_digits, get_header, get_letters, get_plate, get_zones, put_digits, put_header, put_letters,
    put_plate,
};

/// The format version of this payload.
pub const VERSION: u8 = 2;

const TIME_BITS: u32 = 26;

// `valid_from`, relative to `issued_at` (I, minutes since the 2020 epoch).
const FROM_SAME: u64 = 0;
/// I + 1 .. I + 64: the activation delay of an SMS permit.
const FROM_SOON: u64 = 1;
const SOON_BITS: u32 = 6;
/// A quarter hour near I: 15 · (⌊I/15⌋ + q), q a 13-bit two's complement.
const FROM_QUARTER: u64 = 2;
const QUARTER_BITS: u32 = 13;
/// Any minute within 2^20 − 1 of I, as in v1.
const FROM_ANY: u64 = 3;
const DELTA_BITS: u32 = 20;

// The duration, `valid_until − valid_from`.
const DURATION_DAYS: u64 = 0;
const DAYS_BITS: u32 = 8;
const DURATION_HOURS: u64 = 1;
const HOURS_BITS: u32 = 10;
const DURATION_MINUTES: u64 = 2;
const MINUTES_BITS: u32 = 11;
const DURATION_LONG: u64 = 3;
const LONG_BITS: u32 = 20;

/// Zones of at most 5 bits unless one is above 31.
const NARROW_ZONE_BITS: u32 = 5;
const WIDE_ZONE_BITS: u32 = 12;

const DOC_ID_CARD: u64 = 1;
const DOC_AZE_8: u64 = 2;
const DOC_AA_7: u64 = 3;
const DOC_TEMPORARY_RESIDENCE: u64 = 4;
const DOC_PERMANENT_RESIDENCE: u64 = 5;
const DOC_EXTENDED_STAY: u64 = 6;
const DOC_REGISTRATION_NOTICE: u64 = 7;
const DOC_AZE: u64 = 8;
const DOC_AA: u64 = 9;

/// Series that a literal ID card series (type 1) may not be: each has a type.
const RESERVED_SERIES: [&str; 5] = ["AZE", "AA", "MYI", "DYI", "MOM"];

/// The `valid_from` form and field value that express `from` for an issue
/// minute `issued` (both minutes since the 2020 epoch): the first that fits.
fn from_form(issued: i64, from: i64) -> (u64, u64, u32) {
    let delta = from - issued;
    if delta == 0 {
        return (FROM_SAME, 0, 0);
    }
    if (1..=1 << SOON_BITS).contains(&delta) {
        return (FROM_SOON, (delta - 1) as u64, SOON_BITS);
    }
    if let Some(q) = quarter_offset(issued, from) {
        let field = (q as u64) & ((1 << QUARTER_BITS) - 1);
        return (FROM_QUARTER, field, QUARTER_BITS);
    }
    let before = u64::from(delta < 0);
    (FROM_ANY, (before << DELTA_BITS) | delta.unsigned_abs(), 1 + DELTA_BITS)
}

/// `q` with `from = 15 · (⌊issued/15⌋ + q)`, if `from` is on a quarter hour and
/// `q` fits 13 bits.
fn quarter_offset(issued: i64, from: i64) -> Option<i64> {
    if from.rem_euclid(15) != 0 {
        return None;
    }
    let q = from / 15 - issued.div_euclid(15);
    let half = 1i64 << (QUARTER_BITS - 1);
    (-half..half).contains(&q).then_some(q)
}

/// The duration form and field value for `minutes` (1 .. 2^20 − 1): the first
/// that fits.
fn duration_form(minutes: u64) -> (u64, u64, u32) {
    if minutes.is_multiple_of(1440) && minutes / 1440 <= 1 << DAYS_BITS {
        (DURATION_DAYS, minutes / 1440 - 1, DAYS_BITS)
    } else if minutes.is_multiple_of(60) && minutes / 60 <= 1 << HOURS_BITS {
        (DURATION_HOURS, minutes / 60 - 1, HOURS_BITS)
    } else if minutes <= 1 << MINUTES_BITS {
        (DURATION_MINUTES, minutes - 1, MINUTES_BITS)
    } else {
        (DURATION_LONG, minutes, LONG_BITS)
    }
}

/// Packs the payload. `claims` satisfy the `PermitClaims` invariant, which
/// bounds every field as v1 does, so every value fits its form.
pub(crate) fn encode(key_id: KeyId, claims: &PermitClaims) -> Vec<u8> {
    let mut w = BitWriter::new();
    put_header(&mut w, VERSION, key_id, claims);
    let issued = i64::from(claims.issued_at.unix_minutes() - WIRE_EPOCH);
    w.put(issued as u64, TIME_BITS);

    let from = issued + claims.valid_from.minutes_since(claims.issued_at);
    let (form, value, width) = from_form(issued, from);
    w.put(form, 2);
    w.put(value, width);

    let (form, value, width) = duration_form(claims.valid_until.minutes_since(claims.valid_from) as u64);
    w.put(form, 2);
    w.put(value, width);

    let wide = claims.zones.iter().any(|z| u32::from(z.get()) >= 1 << NARROW_ZONE_BITS);
    w.put_bool(wide);
    let zone_bits = if wide { WIDE_ZONE_BITS } else { NARROW_ZONE_BITS };
    for (i, zone) in claims.zones.iter().enumerate() {
        w.put(u64::from(zone.get()), zone_bits);
        w.put_bool(i + 1 < claims.zones.len());
    }

    put_plate(&mut w, claims.vehicle.as_ref());

    let doc = &claims.document;
    let digits = doc.digits();
    let (doc_type, series, count) = match (doc.kind(), doc.series()) {
        (DocumentKind::IdCard, "AZE") if digits.len() == 8 => (DOC_AZE_8, false, false),
        (DocumentKind::IdCard, "AA") if digits.len() == 7 => (DOC_AA_7, false, false),
        (DocumentKind::IdCard, "AZE") => (DOC_AZE, false, true),
        (DocumentKind::IdCard, "AA") => (DOC_AA, false, true),
        (DocumentKind::IdCard, _) => (DOC_ID_CARD, true, true),
        (DocumentKind::TemporaryResidence, _) => (DOC_TEMPORARY_RESIDENCE, false, false),
        (DocumentKind::PermanentResidence, _) => (DOC_PERMANENT_RESIDENCE, false, false),
        (DocumentKind::ExtendedStay, _) => (DOC_EXTENDED_STAY, false, false),
        (DocumentKind::RegistrationNotice, _) => (DOC_REGISTRATION_NOTICE, true, true),
    };
    w.put(doc_type, 4);
    if series {
        put_letters(&mut w, doc.series());
    }
    if count {
        w.put(digits.len() as u64, 4);
    }
    put_digits(&mut w, digits);
    w.finish()
}

/// Unpacks a v2 payload (the bytes before the signature), field by field,
/// refusing each field as soon as its rules can be checked.
pub(crate) fn decode(payload: &[u8]) -> Result<(KeyId, PermitClaims), ParseError> {
    let invalid = ParseError::InvalidField;
    let mut r = BitReader::new(payload);
    let (purpose, key_id, serial) = get_header(&mut r, VERSION)?;
    let issued = r.get(TIME_BITS)? as i64;

    let form = r.get(2)?;
    let from = match form {
        FROM_SAME => issued,
        FROM_SOON => issued + r.get(SOON_BITS)? as i64 + 1,
        FROM_QUARTER => {
            let field = r.get(QUARTER_BITS)? as i64;
            let q = if field >= 1 << (QUARTER_BITS - 1) { field - (1 << QUARTER_BITS) } else { field };
            15 * (issued.div_euclid(15) + q)
        }
        _ => {
            let before = r.get_bool()?;
            let delta = r.get(DELTA_BITS)? as i64;
            if before {
                issued - delta
            } else {
                issued + delta
            }
        }
    };
    if from < 0 || from_form(issued, from).0 != form {
        return Err(invalid("valid_from"));
    }

    let form = r.get(2)?;
    let duration = match form {
        DURATION_DAYS => (r.get(DAYS_BITS)? + 1) * 1440,
        DURATION_HOURS => (r.get(HOURS_BITS)? + 1) * 60,
        DURATION_MINUTES => r.get(MINUTES_BITS)? + 1,
        _ => r.get(LONG_BITS)?,
    };
    if duration == 0 || duration_form(duration).0 != form {
        return Err(invalid("duration"));
    }

    let issued_at = UtcMinute::from_unix_minutes(WIRE_EPOCH + issued as u32);
    // Invariant: 0 <= from < 2^26 + 2^20, far below u32::MAX minus the epoch.
    let valid_from = UtcMinute::from_unix_minutes(WIRE_EPOCH + from as u32);
    let valid_until = valid_from.checked_add(duration as u32).ok_or(invalid("duration"))?;

    let wide = r.get_bool()?;
    let zone_bits = if wide { WIDE_ZONE_BITS } else { NARROW_ZONE_BITS };
    let zones = get_zones(&mut r, zone_bits)?;
    if wide && zones.iter().all(|z| u32::from(z.get()) < 1 << NARROW_ZONE_BITS) {
        return Err(invalid("zone"));
    }

    let vehicle = get_plate(&mut r)?;

    let doc_type = r.get(4)?;
    let (kind, fixed, digit_count) = match doc_type {
        DOC_ID_CARD => (DocumentKind::IdCard, None, None),
        DOC_AZE_8 => (DocumentKind::IdCard, Some("AZE"), Some(8)),
        DOC_AA_7 => (DocumentKind::IdCard, Some("AA"), Some(7)),
        DOC_TEMPORARY_RESIDENCE => (DocumentKind::TemporaryResidence, Some("MYI"), Some(7)),
        DOC_PERMANENT_RESIDENCE => (DocumentKind::PermanentResidence, Some("DYI"), Some(7)),
        DOC_EXTENDED_STAY => (DocumentKind::ExtendedStay, Some("MOM"), Some(7)),
        DOC_REGISTRATION_NOTICE => (DocumentKind::RegistrationNotice, None, None),
        DOC_AZE => (DocumentKind::IdCard, Some("AZE"), None),
        DOC_AA => (DocumentKind::IdCard, Some("AA"), None),
        _ => return Err(invalid("document_type")),
    };
    let series = match fixed {
        Some(series) => series.to_owned(),
        None => {
            let n = r.get(3)? as usize;
            if n == 0 && doc_type == DOC_ID_CARD {
                return Err(invalid("document"));
            }
            let series = get_letters(&mut r, n)?;
            if doc_type == DOC_ID_CARD && RESERVED_SERIES.contains(&series.as_str()) {
                return Err(invalid("document"));
            }
            series
        }
    };
    let n = match digit_count {
        Some(n) => n,
        None => {
            let n = r.get(4)? as usize;
            let implied = match doc_type {
                DOC_AZE => Some(8),
                DOC_AA => Some(7),
                _ => None,
            };
            if n == 0 || implied == Some(n) {
                return Err(invalid("document"));
            }
            n
        }
    };
    let digits = get_digits(&mut r, n)?;
    let document = DocumentNumber::new(kind, &series, &digits).map_err(|_| invalid("document"))?;
    end_of_payload(&mut r)?;

    let claims = PermitClaims { serial, document, purpose, zones, issued_at, valid_from, valid_until, vehicle };
    Ok((key_id, claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{ClaimsSpec, PermitSerial, Purpose, ZoneId};
    use crate::wire::tests::{claims, minute};

    fn round_trip(c: &PermitClaims) -> usize {
        let payload = encode(KeyId(255), c);
        assert_eq!(decode(&payload).unwrap(), (KeyId(255), c.clone()));
        payload.len()
    }

    #[test]
    fn the_shipped_permits_fit_a_version_5_qr_code() {
        // 83 token bytes (202 digits) fit QR version 5 at M; 64 are the signature.
        let sms =
            claims("AZE11111111", &[17], "2020-12-15T10:07:00Z", "2020-12-15T10:22:00Z", "2020-12-15T13:22:00Z", None);
        assert_eq!(round_trip(&sms), 17);
        let work =
            claims("AZE11111111", &[1], "2020-12-15T10:07:00Z", "2020-12-14T20:00:00Z", "2021-01-17T20:00:00Z", None);
        assert_eq!(round_trip(&work), 18);
        let trip = claims(
            "AZE11111111",
            &[1, 4, 17],
            "2020-12-15T10:07:00Z",
            "2020-12-17T20:00:00Z",
            "2020-12-20T20:00:00Z",
            None,
        );
        assert_eq!(round_trip(&trip), 19);
        let funeral = claims(
            "AZE11111111",
            &[3, 17],
            "2020-12-15T10:07:00Z",
            "2020-12-16T05:30:00Z",
            "2020-12-16T15:10:00Z",
            None,
        );
        assert_eq!(round_trip(&funeral), 19);
    }

    #[test]
    fn every_form_round_trips_at_its_edges() {
        let issued = "2020-12-15T10:07:00Z";
        // valid_from: the same minute, 1 and 64 minutes later, 65 minutes later
        // (a quarter hour), quarter hours at both ends of q, just beyond, and
        // off the grid before and after.
        for from in [
            "2020-12-15T10:07:00Z",
            "2020-12-15T10:08:00Z",
            "2020-12-15T11:11:00Z",
            "2020-12-15T11:15:00Z",
            "2020-11-02T18:00:00Z",
            "2021-01-27T01:45:00Z",
            "2020-11-02T17:45:00Z",
            "2021-01-27T02:00:00Z",
            "2020-12-15T10:06:00Z",
            "2020-12-15T11:12:00Z",
            "2020-01-01T00:00:00Z",
        ] {
            for until in ["2021-02-01T00:00:00Z", "2021-02-01T00:01:00Z", "2021-02-01T01:00:00Z"] {
                let c = claims("AA1234567", &[31], issued, from, until, Some("10-AB-123"));
                round_trip(&c);
            }
        }
        for minutes in [1u32, 59, 60, 61, 1439, 1440, 2048, 2049, 2100, 61_440, 61_500, 368_640, 368_700, (1 << 20) - 1]
        {
            let from = minute(issued);
            let until = UtcMinute::from_unix_minutes(from.unix_minutes() + minutes);
            let c = PermitClaims::new(ClaimsSpec {
                serial: PermitSerial(1),
                document: DocumentNumber::parse("AZE1").unwrap(),
                purpose: Purpose::Work,
                zones: vec![ZoneId::new(32).unwrap(), ZoneId::new(4095).unwrap()],
                issued_at: from,
                valid_from: from,
                valid_until: until,
                vehicle: None,
            })
            .unwrap();
            round_trip(&c);
        }
        for doc in [
            "AZE1",
            "AZE123456789",
            "AA123456",
            "AA12345678",
            "MYI1234567",
            "DYI0000001",
            "MOM7654321",
            "RN1",
            "123456789012345",
            "ABCDEFG000000000000042",
        ] {
            round_trip(&claims(doc, &[1], issued, issued, "2020-12-16T00:00:00Z", None));
        }
    }

    #[test]
    fn a_later_form_that_an_earlier_one_could_hold_is_refused() {
        let header = |w: &mut BitWriter| {
            w.put(2, 4);
            w.put(2, 4);
            w.put(1, 8);
            w.put(7, 32);
            w.put(502_927, 26);
        };
        // valid_from 15 minutes later written in the general form.
        let mut w = BitWriter::new();
        header(&mut w);
        w.put(FROM_ANY, 2);
        w.put(15, 21);
        assert_eq!(decode(&w.finish()), Err(ParseError::InvalidField("valid_from")));
        // A whole quarter hour written in the general form.
        let mut w = BitWriter::new();
        header(&mut w);
        w.put(FROM_ANY, 2);
        w.put((1 << 20) | (502_927 % 15 + 15 * 4), 21);
        assert_eq!(decode(&w.finish()), Err(ParseError::InvalidField("valid_from")));
        // The quarter form landing 15 minutes after issued_at: the soon form holds it.
        let mut w = BitWriter::new();
        header(&mut w);
        w.put(FROM_QUARTER, 2);
        w.put(1, QUARTER_BITS);
        assert_eq!(decode(&w.finish()), Err(ParseError::InvalidField("valid_from")));
        // 180 minutes in the minutes form, and one day in the hours form.
        for (form, value, width) in [(DURATION_MINUTES, 179, MINUTES_BITS), (DURATION_HOURS, 23, HOURS_BITS)] {
            let mut w = BitWriter::new();
            header(&mut w);
            w.put(FROM_SAME, 2);
            w.put(form, 2);
            w.put(value, width);
            assert_eq!(decode(&w.finish()), Err(ParseError::InvalidField("duration")));
        }
    }

    #[test]
    fn wide_zones_only_when_one_needs_them() {
        let c =
            claims("AZE11111111", &[3], "2020-12-15T10:07:00Z", "2020-12-15T10:07:00Z", "2020-12-15T13:07:00Z", None);
        let payload = encode(KeyId(1), &c);
        // The zone field follows 74 + 2 + 12 bits: set the width bit and write
        // zone 3 in 12 bits, then the rest as it was.
        let copy = |r: &mut BitReader<'_>, w: &mut BitWriter, bits: usize| {
            for _ in 0..bits {
                w.put(r.get(1).unwrap(), 1);
            }
        };
        let mut w = BitWriter::new();
        let mut r = BitReader::new(&payload);
        copy(&mut r, &mut w, 88);
        assert_eq!(r.get(1), Ok(0));
        w.put_bool(true);
        w.put(r.get(NARROW_ZONE_BITS).unwrap(), WIDE_ZONE_BITS);
        let rest = r.remaining();
        copy(&mut r, &mut w, rest);
        assert_eq!(decode(&w.finish()), Err(ParseError::InvalidField("zone")));
    }
}
