//! The service-card check (issue 23): whether the organisation on a card is
//! one the bundle lists as authorised to work, here and now.
//!
//! The officer types the organisation's tax id or its name, or scans the
//! card's QR code or barcode (whatever it holds: a ten-digit run in it is
//! taken as the tax id). A tax id is looked up exactly; a name is folded
//! ([`fold`]: case, Azerbaijani letters, punctuation) and matched as a prefix
//! or anywhere in the names. The lookup itself is in `store.rs`; this module
//! is pure: what a text asks for, and what a found organisation means at a
//! zone and a time.
//!
//! Not checked: that the card itself is genuine or belongs to the bearer;
//! the officer judges the card, the device only the organisation.

use icaze_core::{AuthorisedOrganisation, TaxId, UtcMinute, ZoneId};

/// The most organisations a name search lists.
pub const MAX_MATCHES: usize = 20;

/// What the officer's text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardQuery {
    /// An exact tax id.
    TaxId(TaxId),
    /// A name, folded ([`fold`]); not empty.
    Name(String),
}

impl CardQuery {
    /// The query of a typed or scanned text: the tax id if the text holds
    /// exactly one run of exactly ten digits (a bare VÖEN, or a scanned
    /// `VÖEN: 1700000001`), else the folded name; `None` if nothing is left.
    pub fn of(text: &str) -> Option<Self> {
        let runs: Vec<&str> = text.split(|c: char| !c.is_ascii_digit()).filter(|run| !run.is_empty()).collect();
        if let [run] = runs.as_slice() {
            if let Some(tax_id) = TaxId::parse(run) {
                return Some(CardQuery::TaxId(tax_id));
            }
        }
        let name = fold(text);
        (!name.is_empty()).then_some(CardQuery::Name(name))
    }
}

/// A name for matching: lower case, the Azerbaijani letters as their Latin
/// base letters (`ə` `e`, `ı` and `İ` `i`, `ö` `o`, `ü` `u`, `ğ` `g`, `ş` `s`,
/// `ç` `c`), every run of other characters than letters and digits one
/// space, none at the ends. `"«Azərsu» ASC"` and `"AZERSU asc"` fold alike.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'ə' => 'e',
            'ı' => 'i',
            'ö' => 'o',
            'ü' => 'u',
            'ğ' => 'g',
            'ş' => 's',
            'ç' => 'c',
            // The dot of `İ`, which lower-cases to `i` and this mark.
            '\u{307}' => continue,
            c => c,
        };
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        } else {
            space = true;
        }
    }
    out
}

/// What the device answers of a service card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardStanding {
    /// Listed, for the officer's zone, and in force now.
    Authorised,
    /// Listed, but not for this zone ([`CardReason::Zone`]) or no longer ([`CardReason::Expired`]).
    NotAuthorised,
    /// Not in the list (or the device has no list yet: [`CardReason::NoData`]).
    Unknown,
    /// A name that matches several organisations: the officer picks one.
    Several,
}

impl CardStanding {
    /// A stable code, as the log and the app write it.
    pub fn code(self) -> &'static str {
        match self {
            CardStanding::Authorised => "authorised",
            CardStanding::NotAuthorised => "not_authorised",
            CardStanding::Unknown => "unknown",
            CardStanding::Several => "several",
        }
    }
}

/// Why a card is not authorised, or unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardReason {
    /// The organisation is listed for other zones.
    Zone,
    /// Its authorisation has ended.
    Expired,
    /// The device has applied no bundle: it knows no organisation.
    NoData,
}

impl CardReason {
    /// A stable code.
    pub fn code(self) -> &'static str {
        match self {
            CardReason::Zone => "zone",
            CardReason::Expired => "expired",
            CardReason::NoData => "no_data",
        }
    }
}

/// The answer to a service card: the standing, and the organisation judged or
/// the ones to choose from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAnswer {
    /// The standing.
    pub standing: CardStanding,
    /// Why, for `NotAuthorised` and for an `Unknown` without data.
    pub reason: Option<CardReason>,
    /// The organisation judged (`Authorised`, `NotAuthorised`).
    pub organisation: Option<AuthorisedOrganisation>,
    /// For `Several`: the matches, by name, at most [`MAX_MATCHES`].
    pub matches: Vec<AuthorisedOrganisation>,
}

impl CardAnswer {
    /// The answer for `found`, the organisations the query matched (by tax id
    /// at most one; by name those whose folded name holds the query, those
    /// that start with it first), in `zone` at `at`. A name equal to the query
    /// once folded picks its organisation among several.
    pub fn of(query: &CardQuery, mut found: Vec<AuthorisedOrganisation>, zone: ZoneId, at: UtcMinute) -> Self {
        if let (CardQuery::Name(name), true) = (query, found.len() > 1) {
            let exact: Vec<usize> = (0..found.len()).filter(|&i| fold(&found[i].name) == *name).collect();
            if let [i] = exact.as_slice() {
                found = vec![found.swap_remove(*i)];
            }
        }
        match found.len() {
            0 => Self { standing: CardStanding::Unknown, reason: None, organisation: None, matches: vec![] },
            1 => {
                let organisation = found.swap_remove(0);
                let (standing, reason) = if !organisation.in_force(at) {
                    (CardStanding::NotAuthorised, Some(CardReason::Expired))
                } else if !organisation.covers(zone) {
                    (CardStanding::NotAuthorised, Some(CardReason::Zone))
                } else {
                    (CardStanding::Authorised, None)
                };
                Self { standing, reason, organisation: Some(organisation), matches: vec![] }
            }
            _ => {
                found.truncate(MAX_MATCHES);
                Self { standing: CardStanding::Several, reason: None, organisation: None, matches: found }
            }
        }
    }

    /// The answer of a device with no bundle applied.
    pub fn no_data() -> Self {
        Self { standing: CardStanding::Unknown, reason: Some(CardReason::NoData), organisation: None, matches: vec![] }
    }

    /// What the inspection record keeps of it, after the card's own fields.
    pub(crate) fn details(&self) -> Vec<(String, String)> {
        let mut details = vec![("card_answer".to_owned(), self.standing.code().to_owned())];
        if let Some(reason) = self.reason {
            details.push(("card_reason".to_owned(), reason.code().to_owned()));
        }
        if let Some(o) = &self.organisation {
            details.push(("tax_id".to_owned(), o.tax_id.to_string()));
        }
        details
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(tax: u64, name: &str, zones: &[u16], until: Option<u32>) -> AuthorisedOrganisation {
        AuthorisedOrganisation {
            tax_id: TaxId::new(tax).unwrap(),
            name: name.into(),
            sector: "səhiyyə".into(),
            zones: zones.iter().map(|&z| ZoneId::new(z).unwrap()).collect(),
            until: until.map(UtcMinute::from_unix_minutes),
        }
    }

    #[test]
    fn names_fold_case_azerbaijani_letters_and_punctuation() {
        assert_eq!(fold("«Azərsu» ASC"), "azersu asc");
        assert_eq!(fold("  AZERSU   asc "), "azersu asc");
        assert_eq!(fold("İçərişəhər Dövlət Qoruğu"), "iceriseher dovlet qorugu");
        assert_eq!(fold("ŞÜŞƏ-ĞÖÇ ı"), "suse goc i");
        assert_eq!(fold("--"), "");
    }

    #[test]
    fn a_text_asks_for_a_tax_id_or_a_name() {
        let tax = |t: u64| Some(CardQuery::TaxId(TaxId::new(t).unwrap()));
        assert_eq!(CardQuery::of("1700000001"), tax(1_700_000_001));
        assert_eq!(CardQuery::of(" VÖEN: 0101234567 "), tax(101_234_567));
        assert_eq!(CardQuery::of("https://e-taxes.gov.az/vo/0101234567"), tax(101_234_567));
        // Two runs, or a run of another length, are a name.
        assert_eq!(CardQuery::of("1700000001 0101234567"), Some(CardQuery::Name("1700000001 0101234567".into())));
        assert_eq!(CardQuery::of("Poliklinika 12"), Some(CardQuery::Name("poliklinika 12".into())));
        assert_eq!(CardQuery::of(" - "), None);
    }

    #[test]
    fn a_found_organisation_is_judged_by_zone_and_validity() {
        let zone = |z| ZoneId::new(z).unwrap();
        let at = UtcMinute::from_unix_minutes(26_800_000);
        let q = CardQuery::TaxId(TaxId::new(1).unwrap());
        let everywhere = CardAnswer::of(&q, vec![org(1, "A", &[], None)], zone(9), at);
        assert_eq!((everywhere.standing, everywhere.reason), (CardStanding::Authorised, None));
        let elsewhere = CardAnswer::of(&q, vec![org(1, "A", &[1, 2], None)], zone(9), at);
        assert_eq!((elsewhere.standing, elsewhere.reason), (CardStanding::NotAuthorised, Some(CardReason::Zone)));
        let here = CardAnswer::of(&q, vec![org(1, "A", &[1, 9], Some(26_800_001))], zone(9), at);
        assert_eq!(here.standing, CardStanding::Authorised);
        let ended = CardAnswer::of(&q, vec![org(1, "A", &[9], Some(26_800_000))], zone(9), at);
        assert_eq!((ended.standing, ended.reason), (CardStanding::NotAuthorised, Some(CardReason::Expired)));
        assert_eq!(ended.details()[2], ("tax_id".to_owned(), "0000000001".to_owned()));
        let unknown = CardAnswer::of(&q, vec![], zone(9), at);
        assert_eq!((unknown.standing, unknown.organisation), (CardStanding::Unknown, None));
    }

    #[test]
    fn several_names_are_listed_unless_one_is_the_name_typed() {
        let at = UtcMinute::from_unix_minutes(26_800_000);
        let zone = ZoneId::new(1).unwrap();
        let found = || vec![org(1, "Azərsu ASC", &[], None), org(2, "Azərsu Servis MMC", &[], None)];
        let several = CardAnswer::of(&CardQuery::Name("azersu".into()), found(), zone, at);
        assert_eq!((several.standing, several.matches.len()), (CardStanding::Several, 2));
        assert_eq!(several.details(), [("card_answer".to_owned(), "several".to_owned())]);
        let exact = CardAnswer::of(&CardQuery::Name("azersu asc".into()), found(), zone, at);
        assert_eq!(exact.standing, CardStanding::Authorised);
        assert_eq!(exact.organisation.unwrap().tax_id.get(), 1);
    }
}
