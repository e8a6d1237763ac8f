//! The registry CSV files (`docs/regimes.md`, "Registries"): their rows and
//! fields, read with no I/O so that every storage backend imports the same
//! rows, and so that the parsers can be fuzzed alone (`fuzz/`).

use std::borrow::Cow;

use icaze_core::{AuthorisedOrganisation, AuthorisedOrganisations, DocumentNumber, TaxId, UtcMinute, ZoneId};

/// A row of the population registry: `document,birth_date,zone`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRow {
    /// The document in canonical form.
    pub document: String,
    /// Date of birth as days since 1970-01-01.
    pub birth_day: i32,
    /// The registered zone.
    pub zone: ZoneId,
}

/// A row of the deny list: `document,reason,until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenialRow {
    /// The document in canonical form.
    pub document: String,
    /// Why (never told to the citizen); not empty.
    pub reason: String,
    /// Until when, exclusive; `None` for open-ended.
    pub until: Option<UtcMinute>,
}

/// A row of the phone register: `document,phone` (the SIM cards registered
/// to an identity document, fed by the operators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneRow {
    /// The document in canonical form.
    pub document: String,
    /// The phone number in canonical form ([`phone`]).
    pub phone: String,
}

/// The rows of a population registry file, each with its 1-based line number:
/// the person, or what is wrong with the line. A wrong header is a problem of
/// line 1 and ends the file. Lazy, so that a 10-million-row registry is not
/// held twice in memory (the rows as vectors of fields took four times the
/// text: 1.35 GB at 10 million).
pub fn people(csv: &str) -> impl Iterator<Item = (usize, Result<PersonRow, String>)> + '_ {
    rows(csv, &PEOPLE_COLUMNS).map(|(line, fields)| (line, fields.and_then(|f| person_row(&f))))
}

/// The population registry's columns, in order.
const PEOPLE_COLUMNS: [&str; 3] = ["document", "birth_date", "zone"];

/// Whether `line` is the population registry's header (`document,birth_date,zone`,
/// any case, a byte-order mark allowed), for a reader of one line at a time.
pub fn is_people_header(line: &str) -> bool {
    is_header(line, &PEOPLE_COLUMNS)
}

/// The population registry's header, for a problem of line 1.
pub fn people_header_problem() -> String {
    header_problem(&PEOPLE_COLUMNS)
}

/// One line of a population registry file after its header (not blank, its
/// `\r` and `\n` removed), as [`people`] reads it.
pub fn person_line(text: &str) -> Result<PersonRow, String> {
    person_row(&line_fields(text, PEOPLE_COLUMNS.len())?)
}

/// A population registry row from its fields `document,birth_date,zone`
/// (the caller checked there are three).
pub(crate) fn person_row(f: &[Cow<'_, str>]) -> Result<PersonRow, String> {
    let document = person_document(&f[0])?;
    let birth_day = date(&f[1])?;
    let zone = f[2]
        .trim()
        .parse()
        .ok()
        .and_then(ZoneId::new)
        .ok_or_else(|| format!("zone {:?} is not a number from 1 to 4095", f[2]))?;
    Ok(PersonRow { document, birth_day, zone })
}

/// The rows of a deny-list file (`until` is RFC 3339, or a date `YYYY-MM-DD`
/// meaning its start in Baku, or empty), as [`people`] gives them.
pub fn denials(csv: &str) -> impl Iterator<Item = (usize, Result<DenialRow, String>)> + '_ {
    rows(csv, &["document", "reason", "until"]).map(|(line, fields)| (line, fields.and_then(|f| denial_row(&f))))
}

/// A deny-list row from its fields `document,reason,until` (the caller
/// checked there are three).
pub(crate) fn denial_row(f: &[Cow<'_, str>]) -> Result<DenialRow, String> {
    let document = document(&f[0])?;
    let reason = f[1].trim().to_owned();
    if reason.is_empty() {
        return Err("the reason is empty".to_owned());
    }
    let until = optional_time(&f[2])?;
    Ok(DenialRow { document, reason, until })
}

/// The rows of a phone-register file (`document,phone`), as [`people`] gives them.
pub fn phones(csv: &str) -> impl Iterator<Item = (usize, Result<PhoneRow, String>)> + '_ {
    rows(csv, &["document", "phone"]).map(|(line, fields)| (line, fields.and_then(|f| phone_row(&f))))
}

/// A phone-register row from its fields `document,phone` (the caller checked
/// there are two).
pub(crate) fn phone_row(f: &[Cow<'_, str>]) -> Result<PhoneRow, String> {
    Ok(PhoneRow { document: document(&f[0])?, phone: phone(&f[1])? })
}

/// The rows of the authorised organisations' file
/// (`tax_id,name,sector,zones,until`: `zones` `;`-separated zone ids, empty
/// for every zone; `until` as in [`denials`]), as [`people`] gives them.
pub fn organisations(csv: &str) -> impl Iterator<Item = (usize, Result<AuthorisedOrganisation, String>)> + '_ {
    rows(csv, &["tax_id", "name", "sector", "zones", "until"]).map(|(line, fields)| {
        let row = fields.and_then(|f| {
            let tax_id =
                TaxId::parse(&f[0]).ok_or_else(|| format!("tax id {:?} is not ten digits (the VÖEN)", f[0].trim()))?;
            let mut zones = Vec::new();
            for zone in f[3].split(';').map(str::trim).filter(|z| !z.is_empty()) {
                zones.push(
                    zone.parse()
                        .ok()
                        .and_then(ZoneId::new)
                        .ok_or_else(|| format!("zone {zone:?} is not a number from 1 to 4095"))?,
                );
            }
            zones.sort_unstable();
            zones.dedup();
            let organisation = AuthorisedOrganisation {
                tax_id,
                name: f[1].trim().to_owned(),
                sector: f[2].trim().to_owned(),
                zones,
                until: optional_time(&f[4])?,
            };
            organisation.check().map_err(|e| format!("{e} (an empty field, one too long, or a control character)"))?;
            Ok(organisation)
        });
        (line, row)
    })
}

/// The whole authorised organisations' file as one list, or every problem
/// with its line: a row that does not read, a tax id listed twice, a list
/// over the bundle's caps. The file replaces the list before it, so one bad
/// row refuses the file (a partial list would take authorisations away).
pub fn organisation_list(csv: &str) -> Result<AuthorisedOrganisations, Vec<(usize, String)>> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashMap::new();
    let mut list = Vec::new();
    for (line, row) in organisations(csv) {
        match row {
            Ok(o) => match seen.insert(o.tax_id, line) {
                Some(first) => problems.push((line, format!("tax id {} is already on line {first}", o.tax_id))),
                None => list.push(o),
            },
            Err(message) => problems.push((line, message)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    AuthorisedOrganisations::new(list).map_err(|e| vec![(0, format!("{e}: split the file or shorten it"))])
}

/// A phone number in canonical form: its digits, international, without `+`
/// (`+994 50 111-22-33` is `994501112233`), as gateways write the sender
/// with or without the `+`. 7 to 15 digits (E.164); spaces, `-`, `(`, `)`
/// and one leading `+` are dropped, anything else is refused.
pub fn phone(field: &str) -> Result<String, String> {
    let field = field.trim();
    let rest = field.strip_prefix('+').unwrap_or(field);
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' => {}
            _ => return Err(format!("phone number {field:?}: only digits, spaces, '-', '(', ')' and a leading '+'")),
        }
    }
    if !(7..=15).contains(&digits.len()) {
        return Err(format!("phone number {field:?}: 7 to 15 digits, international form (994...)"));
    }
    Ok(digits)
}

/// The rows after a header that must name `columns` in order, blank lines
/// skipped; a row with the wrong number of fields comes as its problem.
/// Fields may be quoted as in RFC 4180 (`"Aliyev, R"`, `""` for a quote)
/// within their line, as spreadsheets write them; a line without a quote is
/// split in place, with no copy.
pub(crate) fn rows<'a>(
    csv: &'a str,
    columns: &'static [&'static str],
) -> impl Iterator<Item = (usize, Result<Vec<Cow<'a, str>>, String>)> + 'a {
    let mut lines = csv.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    let header_ok = lines.next().is_some_and(|(_, h)| is_header(h, columns));
    let header_problem = (!header_ok).then(|| (1, Err(header_problem(columns))));
    let body = lines
        .filter(move |(_, text)| header_ok && !text.trim().is_empty())
        .map(move |(line, text)| (line, line_fields(text, columns.len())));
    header_problem.into_iter().chain(body)
}

/// Whether `line` names `columns` in order (any case, spaces around them, a
/// byte-order mark before).
fn is_header(line: &str, columns: &[&str]) -> bool {
    let line = line.trim_end_matches('\r').trim_start_matches('\u{feff}');
    let header = fields(line).unwrap_or_default();
    header.len() == columns.len() && header.iter().zip(columns).all(|(h, c)| h.trim().to_lowercase() == *c)
}

fn header_problem(columns: &[&str]) -> String {
    format!("the first line must be the header `{}`", columns.join(","))
}

/// The fields of a row that must have `count` of them.
fn line_fields(text: &str, count: usize) -> Result<Vec<Cow<'_, str>>, String> {
    let fields: Vec<Cow<'_, str>> = if text.contains('"') {
        fields(text).map_err(|e| e.to_string())?.into_iter().map(Cow::Owned).collect()
    } else {
        text.split(',').map(Cow::Borrowed).collect()
    };
    if fields.len() == count {
        Ok(fields)
    } else {
        Err(format!("expected {count} columns, found {}", fields.len()))
    }
}

/// Why a CSV line cannot be split into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    /// A quoted field runs to the end of the line.
    #[error("a quoted field is not closed on its line")]
    QuoteOpen,
    /// A quoted field's closing quote is followed by something else.
    #[error("a quoted field must be followed by a comma or the end of the line")]
    QuoteEnd,
}

impl LineError {
    /// The stable snake-case name of the problem (`quote_open`, `quote_end`).
    pub fn code(self) -> &'static str {
        match self {
            LineError::QuoteOpen => "quote_open",
            LineError::QuoteEnd => "quote_end",
        }
    }
}

/// The fields of one CSV line; quoted fields may hold commas and `""`.
pub fn fields(line: &str) -> Result<Vec<String>, LineError> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err(LineError::QuoteOpen),
                }
            }
            match chars.next() {
                None => {
                    out.push(field);
                    return Ok(out);
                }
                Some(',') => out.push(field),
                Some(_) => return Err(LineError::QuoteEnd),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        out.push(field);
                        return Ok(out);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            out.push(field);
        }
    }
}

/// A document number in canonical form, or what is wrong with it.
pub fn document(field: &str) -> Result<String, String> {
    DocumentNumber::parse(field).map(|d| d.canonical()).map_err(|e| e.to_string())
}

/// A document of the population registry: one that [`document`] reads and
/// whose SMS permit reply fits one 160-character SMS whatever its window.
///
/// The token is measured for the longest SMS permit any regime may give the
/// document: a zone above 31, an activation delay of 64 minutes, a duration in
/// odd minutes (format v2 gives each its widest form).
pub fn person_document(field: &str) -> Result<String, String> {
    let document = DocumentNumber::parse(field).map_err(|e| e.to_string())?;
    let token_chars = longest_sms_token_chars(&document);
    if !icaze_sms::reply::permit_fits(&document, token_chars) {
        let most = icaze_sms::reply::longest_document_that_fits(token_chars);
        return Err(format!(
            "the document {} is too long for its permit to fit one SMS: a document of this form may have at most {most} characters",
            document.canonical()
        ));
    }
    Ok(document.canonical())
}

/// The SMS form's length (`IZ2` and base64url) of the longest SMS permit for
/// `document` (see [`person_document`]).
fn longest_sms_token_chars(document: &DocumentNumber) -> usize {
    let issued = UtcMinute::from_unix_minutes(27_000_000);
    let claims = icaze_core::PermitClaims::new(icaze_core::ClaimsSpec {
        serial: icaze_core::PermitSerial(u32::MAX),
        document: document.clone(),
        purpose: icaze_core::Purpose::Medical,
        zones: ZoneId::new(ZoneId::MAX).into_iter().collect(),
        issued_at: issued,
        valid_from: UtcMinute::from_unix_minutes(27_000_064),
        valid_until: UtcMinute::from_unix_minutes(27_000_064 + 2047),
        vehicle: None,
    });
    // Invariant: these claims are within every range of the format (a zone,
    // times after 2020, a window of 2047 minutes); 0 would refuse nothing.
    let bytes = claims.map_or(0, |c| c.token_len(icaze_core::Format::V2));
    3 + (bytes * 4).div_ceil(3)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day number ([`icaze_core::civil_from_days`]).
pub fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let (y, m, d) = icaze_core::civil_from_days(i64::from(days));
    // Invariant: an i32 day count is under 6 million years from 1970, so the
    // year fits an i32; a month is 1..=12 and a day 1..=31.
    (y as i32, m as u32, d as u32)
}

/// A date `YYYY-MM-DD` as days since 1970-01-01, or what is wrong with it.
pub fn date(field: &str) -> Result<i32, String> {
    let err = || format!("the date {field:?} is not YYYY-MM-DD");
    let mut parts = field.trim().splitn(3, '-');
    let mut next = || parts.next().and_then(|p| p.parse::<u32>().ok()).ok_or_else(err);
    let (y, m, d) = (next()?, next()?, next()?);
    if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return Err(err());
    }
    let days = days_from_civil(y as i32, m, d);
    if civil_from_days(days) != (y as i32, m, d) {
        return Err(err());
    }
    Ok(days)
}

/// Empty, a date (its start in Baku time), or an RFC 3339 time.
pub fn optional_time(field: &str) -> Result<Option<UtcMinute>, String> {
    let field = field.trim();
    if field.is_empty() {
        return Ok(None);
    }
    if field.len() == 10 {
        let days = date(field)?;
        let minutes = i64::from(days) * 1440 - i64::from(icaze_core::BAKU_OFFSET_MINUTES);
        return u32::try_from(minutes)
            .map(|m| Some(UtcMinute::from_unix_minutes(m)))
            .map_err(|_| format!("{field:?} is out of range"));
    }
    UtcMinute::parse_rfc3339(field).map(Some).map_err(|e| e.to_string())
}

/// The Asia/Baku calendar day of an instant, as days since 1970-01-01.
pub fn baku_day(at: UtcMinute) -> i32 {
    ((i64::from(at.unix_minutes()) + i64::from(icaze_core::BAKU_OFFSET_MINUTES)) / 1440) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_with_quotes() {
        assert_eq!(fields("a,b,,c").unwrap(), vec!["a", "b", "", "c"]);
        assert_eq!(fields("\"Aliyev, R\",\"say \"\"hi\"\"\",x").unwrap(), vec!["Aliyev, R", "say \"hi\"", "x"]);
        assert_eq!(fields("").unwrap(), vec![""]);
        assert_eq!(fields("\"open"), Err(LineError::QuoteOpen));
        assert_eq!(fields("\"a\"b,c"), Err(LineError::QuoteEnd));
        assert_eq!(LineError::QuoteOpen.code(), "quote_open");
        assert_eq!(LineError::QuoteEnd.code(), "quote_end");
    }

    #[test]
    fn registry_rows_may_be_quoted_as_spreadsheets_write_them() {
        let csv =
            "\u{feff}document,reason,until\r\n\"AZE11111111\",\"infected, ward 3 \"\"B\"\"\",\r\nAZE22222222,\"open\n";
        let rows: Vec<_> = denials(csv).collect();
        let first = rows[0].1.as_ref().unwrap();
        assert_eq!((first.document.as_str(), first.reason.as_str()), ("AZE11111111", "infected, ward 3 \"B\""));
        assert_eq!(rows[1].0, 3);
        assert!(rows[1].1.as_ref().unwrap_err().contains("quoted field"), "{rows:?}");
        let phones: Vec<_> = phones("document,phone\nAZE11111111,\"+994 50 111-22-33\"\n").collect();
        assert_eq!(phones[0].1.as_ref().unwrap().phone, "994501112233");
    }

    #[test]
    fn issue_19_the_registry_refuses_documents_whose_permit_reply_cannot_fit_one_sms() {
        // Every document form the registries hold in practice fits, whatever
        // the regime; a long literal series with 15 digits does not.
        let fits =
            ["AZE11111111", "AA1234567", "MYI1234567", "DYI1234567", "MOM1234567", "123456789012345", "RN000123456"];
        for document in fits {
            assert_eq!(person_document(document), Ok(document.to_owned()));
        }
        let csv = "document,birth_date,zone\nAZE11111111,1980-01-01,1\nABCDEFG123456789012345,1980-01-01,1\n";
        let rows: Vec<_> = people(csv).collect();
        assert!(rows[0].1.is_ok());
        let (line, refused) = &rows[1];
        let reason = refused.as_ref().unwrap_err();
        assert_eq!(*line, 3);
        assert!(reason.contains("ABCDEFG123456789012345") && reason.contains("one SMS"), "{reason}");
        // The longest reply really is over 160 characters for it, and within for AZE.
        let longest = |doc: &str| {
            let d = DocumentNumber::parse(doc).unwrap();
            d.canonical().len() + 2 + icaze_sms::reply::LONGEST_WINDOW_CHARS + longest_sms_token_chars(&d)
        };
        assert!(longest("ABCDEFG123456789012345") > 160 && longest("AZE11111111") <= 160);
        // The deny list takes any document: denying issues nothing.
        assert!(denials("document,reason,until\nABCDEFG123456789012345,x,\n").all(|(_, r)| r.is_ok()));
    }

    #[test]
    fn issue_23_authorised_organisations_are_read_whole_or_not_at_all() {
        let csv = "tax_id,name,sector,zones,until\n\
                   1700000001,\"Bakı Metropoliteni, QSC\",nəqliyyat,,\n\
                   0101234567, Azərsu ASC ,kommunal,3;1;3,2021-01-01\n";
        let list = organisation_list(csv).unwrap();
        let azersu = &list.as_slice()[0];
        assert_eq!((azersu.tax_id.to_string().as_str(), azersu.name.as_str()), ("0101234567", "Azərsu ASC"));
        assert_eq!(azersu.zones.iter().map(|z| z.get()).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(azersu.until, optional_time("2021-01-01").unwrap());
        assert_eq!((list.as_slice()[1].name.as_str(), list.as_slice()[1].zones.len()), ("Bakı Metropoliteni, QSC", 0));

        let bad = "tax_id,name,sector,zones,until\n\
                   170000000,A,s,,\n\
                   1700000001,A,s,0,\n\
                   1700000002,,s,,\n\
                   1700000003,A,s,,soon\n\
                   1700000004,A,s,,\n\
                   1700000004,B,s,,\n";
        let problems = organisation_list(bad).unwrap_err();
        assert_eq!(problems.iter().map(|p| p.0).collect::<Vec<_>>(), [2, 3, 4, 5, 7], "{problems:?}");
        assert!(problems[0].1.contains("ten digits"), "{problems:?}");
        assert!(problems[4].1.contains("line 6"), "{problems:?}");
        assert_eq!(organisation_list("tax_id,name\n").unwrap_err()[0].0, 1);
        assert!(organisation_list("tax_id,name,sector,zones,until\n").unwrap().is_empty());
    }

    #[test]
    fn phone_numbers() {
        assert_eq!(phone("+994 (50) 111-22-33"), Ok("994501112233".into()));
        assert_eq!(phone("994501112233"), Ok("994501112233".into()));
        assert!(phone("12345").is_err());
        assert!(phone("+994 50 111 22 33 ext 4").is_err());
        assert!(phone("++994501112233").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(date("1970-01-01"), Ok(0));
        assert_eq!(date("2020-12-14"), Ok(18_610));
        assert!(date("2020-02-30").is_err());
        assert!(date("2020-13-01").is_err());
        assert!(date("14.12.2020").is_err());
        for days in [-25_000, -1, 0, 18_610, 60_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn baku_days_turn_at_local_midnight() {
        let before = UtcMinute::parse_rfc3339("2020-12-14T23:59:00+04:00").unwrap();
        let after = UtcMinute::parse_rfc3339("2020-12-15T00:00:00+04:00").unwrap();
        assert_eq!(baku_day(before), 18_610);
        assert_eq!(baku_day(after), 18_611);
        assert_eq!(optional_time("2020-12-15").unwrap(), Some(after));
        assert_eq!(optional_time(" ").unwrap(), None);
    }
}
