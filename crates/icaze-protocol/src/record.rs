//! The inspection log's records: their canonical binary encoding and the
//! hash chain that makes the log tamper-evident.
//!
//! Every record is hashed with the one before it:
//! `hash = SHA-256("icaze:inspection:v1\0" || prev_hash || body)`, where
//! `body` is the canonical encoding below and the first record's `prev_hash`
//! is 32 zero bytes. `docs/inspection-log.md` specifies the encoding byte by
//! byte so that the server can re-check a device's chain.
//!
//! The chain shows that records were altered, removed or reordered after they
//! were written; it does not prove who wrote them (the device key signs the
//! upload batches, not single records) and does not stop someone with the
//! device's database from rewriting the whole chain from some record on. The
//! server, which keeps the hashes it has received, detects that.

use std::fmt;

use icaze_core::{PermitSerial, UtcMinute, ZoneId};
use sha2::{Digest as _, Sha256};

use crate::badge::{Location, OfficerBadge};

/// The domain prefix of a record's hash.
pub const HASH_PREFIX: &[u8] = b"icaze:inspection:v1\0";
/// The format byte that opens every record body.
pub const RECORD_FORMAT: u8 = 1;
/// The `prev_hash` of the first record.
pub const GENESIS_HASH: RecordHash = RecordHash([0; 32]);

/// The longest text field (note), in bytes.
pub const MAX_NOTE: usize = 1000;
/// The longest short text field (codes, action, document, detail values), in bytes.
pub const MAX_SHORT: usize = 200;
/// The most reasons, warnings or details in one record.
pub const MAX_ITEMS: usize = 32;

/// A SHA-256 chain hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordHash(pub [u8; 32]);

impl RecordHash {
    /// Lower-case hexadecimal.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl fmt::Debug for RecordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordHash({})", self.to_hex())
    }
}

/// A record's random identity, unique across devices (16 bytes from the
/// operating system's random source), so the server can deduplicate uploads.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordId(pub [u8; 16]);

impl RecordId {
    /// Lower-case hexadecimal.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({})", self.to_hex())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the officer checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InputKind {
    /// A token in its SMS form (`IZ1…`) alone.
    Token,
    /// A token in its QR form (digits only), as a scanner reads it.
    QrDigits,
    /// Any other text: a whole pasted SMS, or something that holds no token.
    Text,
    /// A manual check: a service card.
    ServiceCard,
    /// A manual check: a court or law-enforcement summons.
    Summons,
    /// A manual check: imminent danger.
    ImminentDanger,
    /// A manual check: a violation (no permit), with a protocol.
    Violation,
}

impl InputKind {
    /// The stable code written in the record.
    pub fn code(self) -> &'static str {
        match self {
            InputKind::Token => "token",
            InputKind::QrDigits => "qr_digits",
            InputKind::Text => "text",
            InputKind::ServiceCard => "service_card",
            InputKind::Summons => "summons",
            InputKind::ImminentDanger => "imminent_danger",
            InputKind::Violation => "violation",
        }
    }

    /// The kind with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            InputKind::Token,
            InputKind::QrDigits,
            InputKind::Text,
            InputKind::ServiceCard,
            InputKind::Summons,
            InputKind::ImminentDanger,
            InputKind::Violation,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }

    /// The kind of a text given to `check`: a lone SMS-form token, QR digits, or other text.
    pub fn of_text(text: &str) -> Self {
        let t = text.trim();
        if t.len() >= 3 && t.starts_with("IZ") && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            InputKind::Token
        } else if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            InputKind::QrDigits
        } else {
            InputKind::Text
        }
    }
}

/// The verdict as it was shown, in stable codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The verdict kind, e.g. `valid`, `revoked`.
    pub verdict: String,
    /// The display level: `valid`, `valid_with_warning` or `not_valid`.
    pub display: String,
    /// The reasons' codes, the decisive one first.
    pub reasons: Vec<String>,
    /// The warnings' codes.
    pub warnings: Vec<String>,
}

/// One inspection, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionRecord {
    /// Random identity.
    pub id: RecordId,
    /// The device's sequence number: 1, 2, 3… with no gap.
    pub seq: u64,
    /// The device time of the inspection.
    pub at: UtcMinute,
    /// The officer who made it.
    pub officer: OfficerBadge,
    /// The zone the officer stood in.
    pub zone: ZoneId,
    /// Where, if the device knew.
    pub location: Option<Location>,
    /// What was checked.
    pub input: InputKind,
    /// The permit's serial, when a signed permit was read.
    pub serial: Option<PermitSerial>,
    /// The holder's document: the permit's (canonical form) or the one noted in a manual check.
    pub document: Option<String>,
    /// The verdict, for a check of a text; `None` for a manual check.
    pub outcome: Option<Outcome>,
    /// What the officer did, e.g. `let_pass`, `turned_back`, `protocol`.
    pub action: Option<String>,
    /// A free note.
    pub note: Option<String>,
    /// The fields of a manual check, in a fixed order per kind, e.g. `organisation`, `card_number`.
    pub details: Vec<(String, String)>,
    /// The hash of the record before (zero bytes for the first).
    pub prev_hash: RecordHash,
    /// This record's hash.
    pub hash: RecordHash,
}

/// A record that does not encode or decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The body ends inside a field.
    #[error("the record is truncated")]
    Truncated,
    /// Bytes follow the last field.
    #[error("the record has trailing bytes")]
    TrailingBytes,
    /// A field is out of range or not canonical.
    #[error("the record's field `{0}` is invalid")]
    InvalidField(&'static str),
    /// A text is longer than its cap.
    #[error("the field `{field}` is {len} bytes long, more than the {max} allowed: shorten it")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The cap.
        max: usize,
    },
}

impl InspectionRecord {
    /// The canonical encoding of everything but the two hashes.
    pub fn body(&self) -> Result<Vec<u8>, RecordError> {
        let mut w = Writer(Vec::with_capacity(160));
        w.0.push(RECORD_FORMAT);
        w.0.extend_from_slice(&self.id.0);
        w.0.extend_from_slice(&self.seq.to_be_bytes());
        w.0.extend_from_slice(&self.at.unix_minutes().to_be_bytes());
        w.str("officer", self.officer.as_str(), OfficerBadge::MAX_LEN)?;
        w.0.extend_from_slice(&self.zone.get().to_be_bytes());
        match self.location {
            None => w.0.push(0),
            Some(loc) => {
                w.0.push(1);
                w.0.extend_from_slice(&loc.lat_e7().to_be_bytes());
                w.0.extend_from_slice(&loc.lon_e7().to_be_bytes());
            }
        }
        w.str("input", self.input.code(), MAX_SHORT)?;
        match self.serial {
            None => w.0.push(0),
            Some(s) => {
                w.0.push(1);
                w.0.extend_from_slice(&s.0.to_be_bytes());
            }
        }
        w.opt_str("document", self.document.as_deref(), MAX_SHORT)?;
        match &self.outcome {
            None => w.0.push(0),
            Some(o) => {
                w.0.push(1);
                w.str("verdict", &o.verdict, MAX_SHORT)?;
                w.str("display", &o.display, MAX_SHORT)?;
                w.list("reasons", &o.reasons)?;
                w.list("warnings", &o.warnings)?;
            }
        }
        w.opt_str("action", self.action.as_deref(), MAX_SHORT)?;
        w.opt_str("note", self.note.as_deref(), MAX_NOTE)?;
        w.count("details", self.details.len())?;
        for (name, value) in &self.details {
            w.str("detail name", name, MAX_SHORT)?;
            w.str("detail value", value, MAX_SHORT)?;
        }
        Ok(w.0)
    }

    /// Reads a record body (and takes the hashes as given; [`chain_hash`]
    /// checks them). Refuses anything but the canonical encoding.
    pub fn decode(body: &[u8], prev_hash: RecordHash, hash: RecordHash) -> Result<Self, RecordError> {
        let mut r = Reader(body);
        if r.u8()? != RECORD_FORMAT {
            return Err(RecordError::InvalidField("format"));
        }
        let id = RecordId(r.array()?);
        let seq = u64::from_be_bytes(r.array()?);
        let at = UtcMinute::from_unix_minutes(u32::from_be_bytes(r.array()?));
        let officer =
            OfficerBadge::new(&r.str(OfficerBadge::MAX_LEN)?).map_err(|_| RecordError::InvalidField("officer"))?;
        let zone = ZoneId::new(u16::from_be_bytes(r.array()?)).ok_or(RecordError::InvalidField("zone"))?;
        let location = if r.flag("location")? {
            let lat = i32::from_be_bytes(r.array()?);
            let lon = i32::from_be_bytes(r.array()?);
            Some(Location::from_e7(lat, lon).ok_or(RecordError::InvalidField("location"))?)
        } else {
            None
        };
        let input = InputKind::from_code(&r.str(MAX_SHORT)?).ok_or(RecordError::InvalidField("input"))?;
        let serial = if r.flag("serial")? { Some(PermitSerial(u32::from_be_bytes(r.array()?))) } else { None };
        let document = r.opt_str("document", MAX_SHORT)?;
        let outcome = if r.flag("outcome")? {
            Some(Outcome {
                verdict: r.str(MAX_SHORT)?,
                display: r.str(MAX_SHORT)?,
                reasons: r.list()?,
                warnings: r.list()?,
            })
        } else {
            None
        };
        let action = r.opt_str("action", MAX_SHORT)?;
        let note = r.opt_str("note", MAX_NOTE)?;
        let n = usize::from(r.u8()?);
        if n > MAX_ITEMS {
            return Err(RecordError::InvalidField("details"));
        }
        let mut details = Vec::with_capacity(n);
        for _ in 0..n {
            details.push((r.str(MAX_SHORT)?, r.str(MAX_SHORT)?));
        }
        if !r.0.is_empty() {
            return Err(RecordError::TrailingBytes);
        }
        Ok(Self {
            id,
            seq,
            at,
            officer,
            zone,
            location,
            input,
            serial,
            document,
            outcome,
            action,
            note,
            details,
            prev_hash,
            hash,
        })
    }
}

#[cfg(feature = "json")]
impl InspectionRecord {
    /// The JSON shape of a record in the API and in `icaze device log`; times in Baku time.
    pub fn to_api(&self) -> crate::api::sync::Record {
        use crate::api::sync::{Detail, Position, Record};
        let outcome = self.outcome.as_ref();
        Record {
            seq: self.seq,
            id: self.id.to_hex(),
            at: self.at.baku().to_rfc3339(),
            officer: self.officer.as_str().to_owned(),
            zone: self.zone.get(),
            location: self.location.map(|l| Position { lat: l.lat(), lon: l.lon() }),
            input: self.input.code().to_owned(),
            serial: self.serial.map(|s| s.0),
            document: self.document.clone(),
            verdict: outcome.map(|o| o.verdict.clone()),
            display: outcome.map(|o| o.display.clone()),
            reasons: outcome.map(|o| o.reasons.clone()),
            warnings: outcome.map(|o| o.warnings.clone()),
            action: self.action.clone(),
            note: self.note.clone(),
            details: self
                .details
                .iter()
                .map(|(name, value)| Detail { name: name.clone(), value: value.clone() })
                .collect(),
            prev_hash: self.prev_hash.to_hex(),
            hash: self.hash.to_hex(),
        }
    }

    /// [`InspectionRecord::to_api`] as a JSON value (one line a record of `icaze device log`).
    pub fn to_json(&self) -> serde_json::Value {
        // A struct of strings, numbers and finite-or-null floats always serializes.
        serde_json::to_value(self.to_api()).unwrap_or(serde_json::Value::Null)
    }
}

/// `SHA-256("icaze:inspection:v1\0" || prev_hash || body)`.
pub fn chain_hash(prev_hash: &RecordHash, body: &[u8]) -> RecordHash {
    let mut h = Sha256::new();
    h.update(HASH_PREFIX);
    h.update(prev_hash.0);
    h.update(body);
    RecordHash(h.finalize().into())
}

struct Writer(Vec<u8>);

impl Writer {
    fn str(&mut self, field: &'static str, s: &str, max: usize) -> Result<(), RecordError> {
        if s.len() > max {
            return Err(RecordError::TooLong { field, len: s.len(), max });
        }
        // Invariant: max ≤ MAX_NOTE < u16::MAX, so the length fits.
        self.0.extend_from_slice(&(s.len() as u16).to_be_bytes());
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }

    fn opt_str(&mut self, field: &'static str, s: Option<&str>, max: usize) -> Result<(), RecordError> {
        match s {
            None => {
                self.0.push(0);
                Ok(())
            }
            Some(s) => {
                self.0.push(1);
                self.str(field, s, max)
            }
        }
    }

    fn count(&mut self, field: &'static str, n: usize) -> Result<(), RecordError> {
        if n > MAX_ITEMS {
            return Err(RecordError::TooLong { field, len: n, max: MAX_ITEMS });
        }
        // Invariant: n ≤ MAX_ITEMS < 256.
        self.0.push(n as u8);
        Ok(())
    }

    fn list(&mut self, field: &'static str, items: &[String]) -> Result<(), RecordError> {
        self.count(field, items.len())?;
        for item in items {
            self.str(field, item, MAX_SHORT)?;
        }
        Ok(())
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], RecordError> {
        if self.0.len() < n {
            return Err(RecordError::Truncated);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, RecordError> {
        Ok(self.array::<1>()?[0])
    }

    fn flag(&mut self, field: &'static str) -> Result<bool, RecordError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(RecordError::InvalidField(field)),
        }
    }

    fn str(&mut self, max: usize) -> Result<String, RecordError> {
        let len = usize::from(u16::from_be_bytes(self.array()?));
        if len > max {
            return Err(RecordError::InvalidField("text length"));
        }
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| RecordError::InvalidField("text encoding"))
    }

    fn opt_str(&mut self, field: &'static str, max: usize) -> Result<Option<String>, RecordError> {
        if self.flag(field)? {
            Ok(Some(self.str(max)?))
        } else {
            Ok(None)
        }
    }

    fn list(&mut self) -> Result<Vec<String>, RecordError> {
        let n = usize::from(self.u8()?);
        if n > MAX_ITEMS {
            return Err(RecordError::InvalidField("list length"));
        }
        (0..n).map(|_| self.str(MAX_SHORT)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> InspectionRecord {
        InspectionRecord {
            id: RecordId([7; 16]),
            seq: 1,
            at: UtcMinute::from_unix_minutes(26_830_000),
            officer: OfficerBadge::new("B-1042").unwrap(),
            zone: ZoneId::new(1).unwrap(),
            location: Location::from_degrees(40.4093, 49.8671),
            input: InputKind::Token,
            serial: Some(PermitSerial(42)),
            document: Some("AZE11111111".into()),
            outcome: Some(Outcome {
                verdict: "valid".into(),
                display: "valid_with_warning".into(),
                reasons: vec![],
                warnings: vec!["data_stale".into()],
            }),
            action: Some("let_pass".into()),
            note: None,
            details: vec![("organisation".into(), "ASAN".into())],
            prev_hash: GENESIS_HASH,
            hash: GENESIS_HASH,
        }
    }

    #[test]
    fn round_trips_and_refuses_every_truncation_and_trailing_byte() {
        let record = sample();
        let body = record.body().unwrap();
        assert_eq!(InspectionRecord::decode(&body, GENESIS_HASH, GENESIS_HASH).unwrap(), record);
        for n in 0..body.len() {
            assert!(InspectionRecord::decode(&body[..n], GENESIS_HASH, GENESIS_HASH).is_err(), "prefix {n}");
        }
        let mut longer = body.clone();
        longer.push(0);
        assert_eq!(InspectionRecord::decode(&longer, GENESIS_HASH, GENESIS_HASH), Err(RecordError::TrailingBytes));
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics() {
        let body = sample().body().unwrap();
        for i in 0..body.len() {
            for bit in 0..8 {
                let mut b = body.clone();
                b[i] ^= 1 << bit;
                let _ = InspectionRecord::decode(&b, GENESIS_HASH, GENESIS_HASH);
            }
        }
    }

    #[test]
    fn the_hash_covers_the_previous_hash_and_every_byte() {
        let body = sample().body().unwrap();
        let h = chain_hash(&GENESIS_HASH, &body);
        assert_ne!(h, chain_hash(&RecordHash([1; 32]), &body));
        let mut other = body.clone();
        other[20] ^= 1;
        assert_ne!(h, chain_hash(&GENESIS_HASH, &other));
    }

    /// The worked example of `docs/inspection-log.md`, section 3.
    #[test]
    fn the_documented_example() {
        let at = UtcMinute::from_unix_minutes(26_830_000);
        let officer = OfficerBadge::new("B-1042").unwrap();
        let record = crate::samples::valid_check(RecordId([7; 16]), 1, at, officer, PermitSerial(42));
        let body = record.body().unwrap();
        assert_eq!(
            hex(&body),
            "01070707070707070707070707070707070000000000000001019964b00006422d3130343200010000\
             05746f6b656e010000002a01000b415a45313131313131313101000576616c6964000576616c69640000000000"
        );
        assert_eq!(
            chain_hash(&GENESIS_HASH, &body).to_hex(),
            "552342a6dab18e6cac374286610ac2c0ae491f620b5d3fb211f59fe8021268fb"
        );
    }

    #[test]
    fn over_long_fields_are_refused_when_writing() {
        let mut record = sample();
        record.note = Some("x".repeat(MAX_NOTE + 1));
        assert!(matches!(record.body(), Err(RecordError::TooLong { field: "note", .. })));
    }

    #[test]
    fn input_kinds_of_texts() {
        assert_eq!(InputKind::of_text(" IZ1abc_- "), InputKind::Token);
        assert_eq!(InputKind::of_text("0123"), InputKind::QrDigits);
        assert_eq!(InputKind::of_text("AZE1 IZ1abc"), InputKind::Text);
        assert_eq!(InputKind::of_text(""), InputKind::Text);
        for k in [InputKind::Token, InputKind::Violation, InputKind::ServiceCard] {
            assert_eq!(InputKind::from_code(k.code()), Some(k));
        }
    }
}
