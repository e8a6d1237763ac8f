//! Regimes as data: the period, the zones, the SMS codes and their rules.
//!
//! A regime is read from a TOML file (format in `docs/regimes.md`) and can be
//! replaced while the service runs. All times are minutes in UTC; the file
//! writes them in RFC 3339 (usually with the Baku offset, +04:00).

use std::collections::BTreeMap;

use icaze_core::{Purpose, UtcMinute, ZoneId};
use serde::Deserialize;

/// One SMS code of a regime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsCode {
    /// What the citizen texts, 1..=9.
    pub code: u8,
    /// The purpose of the permits it gives.
    pub purpose: Purpose,
    /// How long a permit is valid.
    pub minutes: u32,
    /// How many permits of this code one document may get per calendar day (Asia/Baku).
    pub per_day: u32,
    /// How many permits of this code one document may get in seven Baku days
    /// (today and the six before), if capped.
    pub per_week: Option<u32>,
    /// How many permits of this code one phone may get per Baku day, all
    /// documents together, if capped (the phone's cap of all codes, the
    /// service's `per_phone_per_day`, holds besides).
    pub per_phone_per_day: Option<u32>,
    /// Minutes between the request and the start of validity.
    pub activation_delay_minutes: u32,
}

/// A zone with its names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// The id permits carry.
    pub id: ZoneId,
    /// Name in Azerbaijani.
    pub az: String,
    /// Name in Russian.
    pub ru: String,
    /// Name in English.
    pub en: String,
}

/// Which zones a regime restricts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Only the zones listed.
    Listed,
    /// Every zone of the country (the list only names some).
    WholeCountry,
}

/// A regime, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regime {
    /// A short id, e.g. `2020-12-14`.
    pub id: String,
    /// A name for people.
    pub name: String,
    /// Start (inclusive).
    pub start: UtcMinute,
    /// End (exclusive).
    pub end: UtcMinute,
    /// Which zones are restricted.
    pub scope: Scope,
    /// People older than this get no permit.
    pub age_limit: Option<u8>,
    /// The channels that issue permits: `sms`, `portal`, `callcentre`.
    pub channels: Vec<String>,
    /// The purposes that exist under this regime.
    pub purposes: Vec<Purpose>,
    /// The SMS codes, by code.
    pub codes: BTreeMap<u8, SmsCode>,
    /// The zones, by id.
    pub zones: BTreeMap<ZoneId, Zone>,
}

/// A regime file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegimeError {
    /// Not valid TOML of the regime format.
    #[error("the regime file is not valid: {0}")]
    Toml(#[from] toml::de::Error),
    /// A value the format does not allow.
    #[error("the regime file is not valid: {0}")]
    Invalid(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegimeFile {
    id: String,
    name: String,
    start: String,
    end: String,
    scope: Scope,
    #[serde(default)]
    age_limit: Option<u8>,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    purposes: Vec<String>,
    #[serde(default)]
    codes: Vec<CodeFile>,
    #[serde(default)]
    zones: Vec<ZoneFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeFile {
    code: u8,
    purpose: String,
    minutes: u32,
    per_day: u32,
    #[serde(default)]
    per_week: Option<u32>,
    #[serde(default)]
    per_phone_per_day: Option<u32>,
    #[serde(default)]
    activation_delay_minutes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneFile {
    id: u16,
    az: String,
    ru: String,
    en: String,
}

fn invalid(message: impl Into<String>) -> RegimeError {
    RegimeError::Invalid(message.into())
}

impl Regime {
    /// Reads and checks a regime file.
    pub fn from_toml(text: &str) -> Result<Self, RegimeError> {
        let file: RegimeFile = toml::from_str(text)?;
        let time =
            |field: &str, value: &str| UtcMinute::parse_rfc3339(value).map_err(|e| invalid(format!("{field}: {e}")));
        let start = time("start", &file.start)?;
        let end = time("end", &file.end)?;
        if end <= start {
            return Err(invalid("end must be after start"));
        }
        let purpose = |name: &str| {
            Purpose::from_name(name).ok_or_else(|| {
                invalid(format!("unknown purpose {name:?}: use medical, necessities, funeral, work, business_trip"))
            })
        };
        let mut purposes = Vec::new();
        for name in &file.purposes {
            purposes.push(purpose(name)?);
        }
        for channel in &file.channels {
            if !matches!(channel.as_str(), "sms" | "portal" | "callcentre") {
                return Err(invalid(format!("unknown channel {channel:?}: use sms, portal, callcentre")));
            }
        }
        let mut codes = BTreeMap::new();
        for c in file.codes {
            if !(1..=9).contains(&c.code) {
                return Err(invalid(format!("SMS code {} is out of range: codes are 1 to 9", c.code)));
            }
            let p = purpose(&c.purpose)?;
            if !purposes.contains(&p) {
                return Err(invalid(format!(
                    "SMS code {} gives {} permits, not among the regime's purposes",
                    c.code, c.purpose
                )));
            }
            if c.minutes == 0 || c.minutes > 7 * 24 * 60 {
                return Err(invalid(format!("SMS code {}: minutes must be 1 to 10080", c.code)));
            }
            if c.per_day == 0 {
                return Err(invalid(format!("SMS code {}: per_day must be at least 1", c.code)));
            }
            if c.per_week.is_some_and(|week| week < c.per_day) {
                return Err(invalid(format!("SMS code {}: per_week must be at least per_day", c.code)));
            }
            if c.per_phone_per_day == Some(0) {
                return Err(invalid(format!("SMS code {}: per_phone_per_day must be at least 1", c.code)));
            }
            if c.activation_delay_minutes > 24 * 60 {
                return Err(invalid(format!("SMS code {}: activation_delay_minutes must be at most 1440", c.code)));
            }
            let code = SmsCode {
                code: c.code,
                purpose: p,
                minutes: c.minutes,
                per_day: c.per_day,
                per_week: c.per_week,
                per_phone_per_day: c.per_phone_per_day,
                activation_delay_minutes: c.activation_delay_minutes,
            };
            if codes.insert(c.code, code).is_some() {
                return Err(invalid(format!("SMS code {} is given twice", c.code)));
            }
        }
        let mut zones = BTreeMap::new();
        for z in file.zones {
            let id = ZoneId::new(z.id).ok_or_else(|| invalid(format!("zone id {} is out of range 1..4095", z.id)))?;
            if zones.insert(id, Zone { id, az: z.az, ru: z.ru, en: z.en }).is_some() {
                return Err(invalid(format!("zone {} is given twice", z.id)));
            }
        }
        if file.scope == Scope::Listed && zones.is_empty() {
            return Err(invalid("a regime with scope = \"listed\" needs at least one zone"));
        }
        Ok(Self {
            id: file.id,
            name: file.name,
            start,
            end,
            scope: file.scope,
            age_limit: file.age_limit,
            channels: file.channels,
            purposes,
            codes,
            zones,
        })
    }

    /// The same regime moved to begin at `start`, keeping its length and rules
    /// (for rehearsals, demos and tests).
    pub fn moved_to(&self, start: UtcMinute) -> Self {
        let length = self.end.unix_minutes() - self.start.unix_minutes();
        let end = start.checked_add(length).unwrap_or(UtcMinute::from_unix_minutes(u32::MAX));
        Self { start, end, ..self.clone() }
    }

    /// Whether the regime is in force at `at`.
    pub fn in_force(&self, at: UtcMinute) -> bool {
        (self.start..self.end).contains(&at)
    }

    /// Whether `zone` is restricted by this regime.
    pub fn restricts(&self, zone: ZoneId) -> bool {
        match self.scope {
            Scope::Listed => self.zones.contains_key(&zone),
            Scope::WholeCountry => true,
        }
    }

    /// Whether permits come by SMS under this regime.
    pub fn has_channel(&self, channel: &str) -> bool {
        self.channels.iter().any(|c| c == channel)
    }

    /// What officers' devices learn of this regime in a sync bundle: the
    /// period, the scope, the zones with their names (ascending by id) and
    /// the purposes. The SMS codes, limits and channels stay on the server.
    /// Lengths are not checked here: `BundleContents::try_sign` refuses a
    /// regime whose id or names are over the bundle's caps.
    pub fn to_bundle(&self) -> icaze_core::BundleRegime {
        icaze_core::BundleRegime {
            id: self.id.clone(),
            name: self.name.clone(),
            start: self.start,
            end: self.end,
            scope: match self.scope {
                Scope::Listed => icaze_core::RegimeScope::Listed,
                Scope::WholeCountry => icaze_core::RegimeScope::Everywhere,
            },
            zones: self
                .zones
                .values()
                .map(|z| icaze_core::BundleZone {
                    id: z.id,
                    name_az: z.az.clone(),
                    name_ru: z.ru.clone(),
                    name_en: z.en.clone(),
                })
                .collect(),
            purposes: icaze_core::PurposeSet::of(&self.purposes),
        }
    }
}

/// The regime of 14 December 2020, shipped as the default.
pub const DEFAULT_REGIME: &str = include_str!("../../../regimes/2020-12-14.toml");
/// The regime of April 2020 (whole country, code 3 for funerals, over-65s refused).
pub const APRIL_2020_REGIME: &str = include_str!("../../../regimes/2020-04-05.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_regimes_load() {
        let december = Regime::from_toml(DEFAULT_REGIME).unwrap();
        assert_eq!(december.zones.len(), 17);
        assert_eq!(december.codes.len(), 2);
        assert_eq!(december.codes[&2].minutes, 180);
        assert_eq!(december.start.to_rfc3339_utc(), "2020-12-13T20:00:00Z");
        assert!(december.restricts(ZoneId::new(1).unwrap()));
        assert!(!december.restricts(ZoneId::new(101).unwrap()));
        assert!(december.age_limit.is_none());

        let april = Regime::from_toml(APRIL_2020_REGIME).unwrap();
        assert_eq!(april.codes[&3].purpose, Purpose::Funeral);
        assert_eq!(april.age_limit, Some(65));
        assert!(april.restricts(ZoneId::new(101).unwrap()));
    }

    #[test]
    fn bundle_form_keeps_what_devices_need() {
        for text in [DEFAULT_REGIME, APRIL_2020_REGIME] {
            let regime = Regime::from_toml(text).unwrap();
            let bundle = regime.to_bundle();
            assert_eq!((bundle.start, bundle.end), (regime.start, regime.end));
            assert_eq!(bundle.zones.len(), regime.zones.len());
            assert!(bundle.zones.windows(2).all(|w| w[0].id < w[1].id), "ascending, as bundles need");
            for zone in [1, 101] {
                let zone = ZoneId::new(zone).unwrap();
                assert_eq!(bundle.restricts(zone), regime.restricts(zone), "{} zone {zone}", regime.id);
            }
            assert!(regime.purposes.iter().all(|&p| bundle.purposes.contains(p)));
            assert_eq!(bundle.purposes.iter().count(), regime.purposes.len());
        }
    }

    #[test]
    fn moved_keeps_length() {
        let december = Regime::from_toml(DEFAULT_REGIME).unwrap();
        let start = UtcMinute::parse_rfc3339("2026-11-25T00:00:00+04:00").unwrap();
        let moved = december.moved_to(start);
        assert_eq!(moved.start, start);
        assert_eq!(moved.end.minutes_since(moved.start), december.end.minutes_since(december.start));
        assert!(moved.in_force(start) && !moved.in_force(moved.end));
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let cases = [
            ("", "missing field"),
            ("id='x'\nname='x'\nstart='2020-12-14T00:00:00+04:00'\nend='2020-12-13T00:00:00+04:00'\nscope='whole_country'", "end must be after start"),
            ("id='x'\nname='x'\nstart='noon'\nend='2020-12-13T00:00:00+04:00'\nscope='whole_country'", "start"),
            ("id='x'\nname='x'\nstart='2020-12-14T00:00:00+04:00'\nend='2020-12-15T00:00:00+04:00'\nscope='listed'", "at least one zone"),
            ("id='x'\nname='x'\nstart='2020-12-14T00:00:00+04:00'\nend='2020-12-15T00:00:00+04:00'\nscope='whole_country'\npurposes=['medical']\n[[codes]]\ncode=2\npurpose='necessities'\nminutes=180\nper_day=1", "not among"),
            ("id='x'\nname='x'\nstart='2020-12-14T00:00:00+04:00'\nend='2020-12-15T00:00:00+04:00'\nscope='whole_country'\nfrobs=1", "unknown field"),
            ("id='x'\nname='x'\nstart='2020-12-14T00:00:00+04:00'\nend='2020-12-15T00:00:00+04:00'\nscope='whole_country'\npurposes=['medical']\n[[codes]]\ncode=1\npurpose='medical'\nminutes=180\nper_day=3\nper_week=2", "per_week must be at least per_day"),
            ("id='x'\nname='x'\nstart='2020-12-14T00:00:00+04:00'\nend='2020-12-15T00:00:00+04:00'\nscope='whole_country'\npurposes=['medical']\n[[codes]]\ncode=1\npurpose='medical'\nminutes=180\nper_day=3\nper_phone_per_day=0", "per_phone_per_day must be at least 1"),
        ];
        for (text, expected) in cases {
            let err = Regime::from_toml(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{err:?} should mention {expected:?}");
        }
    }
}
