//! The authorised organisations a bundle carries (section tag 2 of
//! `docs/bundle-format.md`): the organisations whose employees may move on
//! their service card, and where and until when.
//!
//! The list is canonical: sorted by tax id, one entry per tax id, each zone
//! list strictly ascending, the sector names in a table of their own (each
//! organisation names its sector by index), so that one list has one
//! encoding and a decoder refuses every other.
//!
//! Not checked here: that a tax id's check digit is right (the tax service's
//! algorithm is not public; the registry is trusted for it), nor that two
//! organisations do not share a name (they may: the officer sees both).

use std::fmt;

use super::{BundleError, Reader};
use crate::claims::ZoneId;
use crate::time::UtcMinute;

/// The most organisations a bundle carries.
pub const MAX_ORGANISATIONS: usize = 200_000;
/// The longest organisation name, in bytes of UTF-8.
pub const MAX_ORGANISATION_NAME_LEN: usize = 160;
/// The longest sector name, in bytes of UTF-8.
pub const MAX_SECTOR_LEN: usize = 64;
/// The most distinct sectors in one list (an organisation names its sector by a `u8` index).
pub const MAX_SECTORS: usize = 255;
/// The most zones one organisation is listed for (none: everywhere).
pub const MAX_ORGANISATION_ZONES: usize = 64;

/// The largest tax id plus one: a tax id (VÖEN) has ten digits.
const TAX_ID_LIMIT: u64 = 10_000_000_000;
/// Bytes of a tax id on the wire: ten digits fit 40 bits.
const TAX_ID_BYTES: usize = 5;

/// An Azerbaijani tax id (VÖEN): ten decimal digits, leading zeros kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaxId(u64);

impl TaxId {
    /// The tax id of this number, `None` from 10^10 up.
    pub fn new(value: u64) -> Option<Self> {
        (value < TAX_ID_LIMIT).then_some(Self(value))
    }

    /// Exactly ten ASCII digits (surrounding spaces ignored), else `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok().and_then(Self::new)
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:010}", self.0)
    }
}

/// An organisation whose employees may move on their service card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorisedOrganisation {
    /// Its tax id, unique in a list.
    pub tax_id: TaxId,
    /// Its name as registered (UTF-8, 1 to [`MAX_ORGANISATION_NAME_LEN`] bytes, no
    /// control characters, no surrounding spaces).
    pub name: String,
    /// Its sector as the registry names it (e.g. `səhiyyə`; 1 to [`MAX_SECTOR_LEN`] bytes).
    pub sector: String,
    /// The zones it may work in, strictly ascending; empty for every zone.
    pub zones: Vec<ZoneId>,
    /// Until when (exclusive); `None` while the regime lasts.
    pub until: Option<UtcMinute>,
}

impl AuthorisedOrganisation {
    /// Whether it may work in `zone`.
    pub fn covers(&self, zone: ZoneId) -> bool {
        self.zones.is_empty() || self.zones.contains(&zone)
    }

    /// Whether its authorisation holds at `at`.
    pub fn in_force(&self, at: UtcMinute) -> bool {
        self.until.is_none_or(|until| at < until)
    }

    /// Refuses what the format cannot carry, naming the field.
    pub fn check(&self) -> Result<(), BundleError> {
        check_text(&self.name, MAX_ORGANISATION_NAME_LEN, "organisation name")?;
        check_text(&self.sector, MAX_SECTOR_LEN, "organisation sector")?;
        if self.zones.len() > MAX_ORGANISATION_ZONES {
            return Err(BundleError::TooLarge("organisation zone count"));
        }
        if self.zones.windows(2).any(|w| w[0] >= w[1]) {
            return Err(BundleError::InvalidField("organisation zone order"));
        }
        // Minute 0 stands for "no end" on the wire.
        if self.until.is_some_and(|u| u.unix_minutes() == 0) {
            return Err(BundleError::InvalidField("organisation until"));
        }
        Ok(())
    }
}

/// Not empty, at most `max` bytes, no control characters, no surrounding spaces.
fn check_text(text: &str, max: usize, field: &'static str) -> Result<(), BundleError> {
    if text.len() > max {
        return Err(BundleError::TooLarge(field));
    }
    if text.is_empty() || text.trim() != text || text.chars().any(char::is_control) {
        return Err(BundleError::InvalidField(field));
    }
    Ok(())
}

/// A canonical list of authorised organisations: sorted by tax id, one entry each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorisedOrganisations(Vec<AuthorisedOrganisation>);

impl AuthorisedOrganisations {
    /// The list of `organisations` in canonical order; refuses two entries of
    /// one tax id, and an entry [`AuthorisedOrganisation::check`] refuses.
    pub fn new(mut organisations: Vec<AuthorisedOrganisation>) -> Result<Self, BundleError> {
        if organisations.len() > MAX_ORGANISATIONS {
            return Err(BundleError::TooLarge("organisation count"));
        }
        organisations.sort_by_key(|o| o.tax_id);
        if organisations.windows(2).any(|w| w[0].tax_id == w[1].tax_id) {
            return Err(BundleError::InvalidField("organisation tax id (duplicate)"));
        }
        for organisation in &organisations {
            organisation.check()?;
        }
        let list = Self(organisations);
        if list.sectors().len() > MAX_SECTORS {
            return Err(BundleError::TooLarge("sector count"));
        }
        Ok(list)
    }

    /// The organisations, by tax id.
    pub fn as_slice(&self) -> &[AuthorisedOrganisation] {
        &self.0
    }

    /// The organisations, by tax id.
    pub fn into_vec(self) -> Vec<AuthorisedOrganisation> {
        self.0
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The organisation with this tax id.
    pub fn by_tax_id(&self, tax_id: TaxId) -> Option<&AuthorisedOrganisation> {
        self.0.binary_search_by_key(&tax_id, |o| o.tax_id).ok().map(|i| &self.0[i])
    }

    /// The distinct sectors, ascending by their bytes.
    fn sectors(&self) -> Vec<&str> {
        let mut sectors: Vec<&str> = self.0.iter().map(|o| o.sector.as_str()).collect();
        sectors.sort_unstable();
        sectors.dedup();
        sectors
    }

    /// The section's bytes (`docs/bundle-format.md`, section tag 2).
    pub fn encode(&self) -> Vec<u8> {
        let sectors = self.sectors();
        let mut out = Vec::with_capacity(5 + sectors.len() * 16 + self.0.len() * 48);
        // Invariant: `new` refused more than MAX_SECTORS (255) sectors, names
        // over their caps (below 256 bytes) and more than 64 zones, so every
        // `as u8` below is exact.
        out.push(sectors.len() as u8);
        for sector in &sectors {
            out.push(sector.len() as u8);
            out.extend_from_slice(sector.as_bytes());
        }
        out.extend_from_slice(&(self.0.len() as u32).to_be_bytes());
        for o in &self.0 {
            out.extend_from_slice(&o.tax_id.0.to_be_bytes()[8 - TAX_ID_BYTES..]);
            out.push(o.name.len() as u8);
            out.extend_from_slice(o.name.as_bytes());
            // Invariant: the sector is one of `sectors`, found by the same order.
            let index = sectors.binary_search(&o.sector.as_str()).unwrap_or(0);
            out.push(index as u8);
            out.push(o.zones.len() as u8);
            for zone in &o.zones {
                out.extend_from_slice(&zone.get().to_be_bytes());
            }
            out.extend_from_slice(&o.until.map_or(0, UtcMinute::unix_minutes).to_be_bytes());
        }
        out
    }

    /// Reads a section's bytes, refusing anything [`Self::encode`] would not
    /// have written: every sector used and in order, tax ids strictly
    /// ascending, every field within its cap, no trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, BundleError> {
        let mut r = Reader(bytes);
        let sector_count = usize::from(r.u8()?);
        let mut sectors: Vec<String> = Vec::with_capacity(sector_count);
        for _ in 0..sector_count {
            let sector = r.text(MAX_SECTOR_LEN, "sector")?;
            check_text(&sector, MAX_SECTOR_LEN, "sector")?;
            if sectors.last().is_some_and(|last| last.as_str() >= sector.as_str()) {
                return Err(BundleError::InvalidField("sector order"));
            }
            sectors.push(sector);
        }
        let count = r.u32()? as usize;
        if count > MAX_ORGANISATIONS {
            return Err(BundleError::TooLarge("organisation count"));
        }
        let mut used = vec![false; sectors.len()];
        // Each organisation takes at least 13 bytes: reserve no more than the input can fill.
        let mut list: Vec<AuthorisedOrganisation> = Vec::with_capacity(count.min(r.0.len() / 13));
        for _ in 0..count {
            let mut tax = [0u8; 8];
            tax[8 - TAX_ID_BYTES..].copy_from_slice(r.take(TAX_ID_BYTES)?);
            let tax_id = TaxId::new(u64::from_be_bytes(tax)).ok_or(BundleError::InvalidField("organisation tax id"))?;
            if list.last().is_some_and(|last| last.tax_id >= tax_id) {
                return Err(BundleError::InvalidField("organisation order"));
            }
            let name = r.text(MAX_ORGANISATION_NAME_LEN, "organisation name")?;
            let index = usize::from(r.u8()?);
            let sector = sectors.get(index).ok_or(BundleError::InvalidField("organisation sector"))?.clone();
            used[index] = true;
            let zone_count = usize::from(r.u8()?);
            if zone_count > MAX_ORGANISATION_ZONES {
                return Err(BundleError::TooLarge("organisation zone count"));
            }
            let mut zones = Vec::with_capacity(zone_count);
            for _ in 0..zone_count {
                zones.push(ZoneId::new(r.u16()?).ok_or(BundleError::InvalidField("organisation zone"))?);
            }
            let until = match r.u32()? {
                0 => None,
                minutes => Some(UtcMinute::from_unix_minutes(minutes)),
            };
            let organisation = AuthorisedOrganisation { tax_id, name, sector, zones, until };
            organisation.check()?;
            list.push(organisation);
        }
        if used.contains(&false) {
            return Err(BundleError::InvalidField("sector (not used)"));
        }
        if !r.0.is_empty() {
            return Err(BundleError::TrailingBytes);
        }
        Ok(Self(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(tax: u64, name: &str, sector: &str, zones: &[u16], until: Option<u32>) -> AuthorisedOrganisation {
        AuthorisedOrganisation {
            tax_id: TaxId::new(tax).unwrap(),
            name: name.into(),
            sector: sector.into(),
            zones: zones.iter().map(|&z| ZoneId::new(z).unwrap()).collect(),
            until: until.map(UtcMinute::from_unix_minutes),
        }
    }

    fn sample() -> AuthorisedOrganisations {
        AuthorisedOrganisations::new(vec![
            org(1_700_000_001, "Bakı Metropoliteni QSC", "nəqliyyat", &[], None),
            org(101_234_567, "Azərsu ASC", "kommunal", &[1, 3], Some(26_900_000)),
            org(9_900_000_000, "Mərkəzi Klinika MMC", "səhiyyə", &[2], None),
        ])
        .unwrap()
    }

    #[test]
    fn tax_ids_are_ten_digits() {
        assert_eq!(TaxId::parse(" 0101234567 ").map(TaxId::get), Some(101_234_567));
        assert_eq!(TaxId::new(101_234_567).unwrap().to_string(), "0101234567");
        for bad in ["101234567", "01012345678", "01012345a7", "+101234567", ""] {
            assert_eq!(TaxId::parse(bad), None, "{bad}");
        }
        assert_eq!(TaxId::new(TAX_ID_LIMIT), None);
        assert!(TaxId::new(TAX_ID_LIMIT - 1).is_some());
    }

    #[test]
    fn a_list_round_trips_sorted_by_tax_id() {
        let list = sample();
        assert_eq!(list.as_slice()[0].tax_id.get(), 101_234_567);
        let bytes = list.encode();
        assert_eq!(AuthorisedOrganisations::decode(&bytes).unwrap(), list);
        // Sectors once each, by their bytes; tax ids in 5 bytes.
        assert_eq!(bytes[0], 3);
        assert_eq!(&bytes[1..10], b"\x08kommunal");
        let empty = AuthorisedOrganisations::default();
        assert_eq!(empty.encode(), [0, 0, 0, 0, 0]);
        assert_eq!(AuthorisedOrganisations::decode(&[0, 0, 0, 0, 0]).unwrap(), empty);
        assert_eq!(list.by_tax_id(TaxId::new(9_900_000_000).unwrap()).unwrap().name, "Mərkəzi Klinika MMC");
        assert!(list.by_tax_id(TaxId::new(5).unwrap()).is_none());
    }

    #[test]
    fn zones_and_validity_answer_where_and_when() {
        let list = sample();
        let azersu = &list.as_slice()[0];
        let zone = |z| ZoneId::new(z).unwrap();
        assert!(azersu.covers(zone(3)) && !azersu.covers(zone(2)));
        assert!(list.as_slice()[1].covers(zone(4000)), "no zones: everywhere");
        assert!(azersu.in_force(UtcMinute::from_unix_minutes(26_899_999)));
        assert!(!azersu.in_force(UtcMinute::from_unix_minutes(26_900_000)));
    }

    #[test]
    fn lists_the_format_cannot_carry_are_refused() {
        let dup = vec![org(1, "A", "s", &[], None), org(1, "B", "s", &[], None)];
        assert_eq!(
            AuthorisedOrganisations::new(dup),
            Err(BundleError::InvalidField("organisation tax id (duplicate)"))
        );
        let cases = [
            (org(1, "", "s", &[], None), "organisation name"),
            (org(1, " A", "s", &[], None), "organisation name"),
            (org(1, "A\nB", "s", &[], None), "organisation name"),
            (org(1, "A", "", &[], None), "organisation sector"),
            (org(1, "A", "s", &[3, 2], None), "organisation zone order"),
            (org(1, "A", "s", &[2, 2], None), "organisation zone order"),
            (org(1, "A", "s", &[], Some(0)), "organisation until"),
        ];
        for (o, field) in cases {
            assert_eq!(AuthorisedOrganisations::new(vec![o]), Err(BundleError::InvalidField(field)));
        }
        let long = org(1, &"ə".repeat(81), "s", &[], None);
        assert_eq!(AuthorisedOrganisations::new(vec![long]), Err(BundleError::TooLarge("organisation name")));
        let zones: Vec<u16> = (1..=65).collect();
        assert_eq!(
            AuthorisedOrganisations::new(vec![org(1, "A", "s", &zones, None)]),
            Err(BundleError::TooLarge("organisation zone count"))
        );
        let many: Vec<_> = (0..256).map(|i| org(i, "A", &format!("s{i}"), &[], None)).collect();
        assert_eq!(AuthorisedOrganisations::new(many), Err(BundleError::TooLarge("sector count")));
    }

    #[test]
    fn every_other_encoding_is_refused() {
        let good = sample().encode();
        let decode = |b: &[u8]| AuthorisedOrganisations::decode(b);
        // Every cut is refused, never a panic.
        for n in 0..good.len() {
            assert!(decode(&good[..n]).is_err(), "cut at {n}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(decode(&trailing), Err(BundleError::TrailingBytes));

        let one = |sectors: &[&[u8]], tax: [u8; 5], sector: u8, zones: &[u16], until: u32| {
            let mut b = vec![sectors.len() as u8];
            for s in sectors {
                b.push(s.len() as u8);
                b.extend_from_slice(s);
            }
            b.extend_from_slice(&1u32.to_be_bytes());
            b.extend_from_slice(&tax);
            b.extend_from_slice(b"\x01A");
            b.push(sector);
            b.push(zones.len() as u8);
            for z in zones {
                b.extend_from_slice(&z.to_be_bytes());
            }
            b.extend_from_slice(&until.to_be_bytes());
            b
        };
        assert!(decode(&one(&[b"s"], [0, 0, 0, 0, 1], 0, &[1], 0)).is_ok());
        let refused = [
            (one(&[b"s"], [0x02, 0x54, 0x0B, 0xE4, 0x00], 0, &[], 0), BundleError::InvalidField("organisation tax id")),
            (one(&[b"s"], [0, 0, 0, 0, 1], 1, &[], 0), BundleError::InvalidField("organisation sector")),
            (one(&[b"s", b"t"], [0, 0, 0, 0, 1], 0, &[], 0), BundleError::InvalidField("sector (not used)")),
            (one(&[b"t", b"s"], [0, 0, 0, 0, 1], 0, &[], 0), BundleError::InvalidField("sector order")),
            (one(&[b"s"], [0, 0, 0, 0, 1], 0, &[0], 0), BundleError::InvalidField("organisation zone")),
            (one(&[b"s"], [0, 0, 0, 0, 1], 0, &[2, 1], 0), BundleError::InvalidField("organisation zone order")),
            (one(&[b" s"], [0, 0, 0, 0, 1], 0, &[], 0), BundleError::InvalidField("sector")),
        ];
        for (bytes, error) in refused {
            assert_eq!(decode(&bytes), Err(error));
        }
        // Two organisations out of order.
        let two = AuthorisedOrganisations::new(vec![org(1, "A", "s", &[], None), org(2, "B", "s", &[], None)])
            .unwrap()
            .encode();
        let mut swapped = two.clone();
        let first = 7..7 + 13;
        let second = 7 + 13..7 + 26;
        let (a, b) = (two[first.clone()].to_vec(), two[second.clone()].to_vec());
        swapped[first].copy_from_slice(&b);
        swapped[second].copy_from_slice(&a);
        assert_eq!(decode(&swapped), Err(BundleError::InvalidField("organisation order")));
        // A count over the cap is refused before anything is reserved.
        let mut huge = vec![0u8];
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(decode(&huge), Err(BundleError::TooLarge("organisation count")));
    }
}
