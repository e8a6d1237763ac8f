//! Reading a citizen's SMS: one code and one identity document.
//!
//! # How a text is read
//!
//! 1. More than [`MAX_CHARS`] characters: [`ParseProblem::TooLong`], before
//!    any other work.
//! 2. Characters are folded (case, full-width forms, Cyrillic look-alikes,
//!    `İ`/`ı`, Unicode spaces, zero-width characters; see the crate docs) and
//!    cut into runs of letters and runs of digits. `2AZE11111111` is three
//!    runs: `2`, `AZE`, `11111111`. `EN`, `ENG` (`ENGL`, `ENGLISH`) as a run
//!    of their own ask for English replies, `RU`, `RUS`, or `РУ`, `РУС` in
//!    Cyrillic letters (any case) ask for Russian ones; they are taken out,
//!    before or after the request, as are the words `icaze`, `kod`, `code`
//!    and `sms`. The first language word of a text decides.
//! 3. A **series** is a run of 1 to 7 Latin letters followed by digits: glued
//!    to it (`AZE11111111`, `AZE1 1111111`), or after a space or punctuation
//!    when the first digit group has two digits or more (`AZE 11111111`,
//!    `AZE-1111 1111`). A word followed by a lone digit is not a series:
//!    in `salam 2 AZE11111111` the `2` is the code.
//! 4. **Digit groups** separated by spaces or punctuation are read as one
//!    number while the number so far is shorter than 7 digits (the shortest
//!    document number in use, `AA` + 7 and `MYİ` + 7): `AZE 1111 1111`,
//!    `MYI 123 456 7`. So a lone digit after a number of 7 digits or more is
//!    a code: `AZE11111111 2` and `AZE 1111 1111 2` are code 2. A number
//!    without a series (a registration notification, 9 to 15 digits) also
//!    takes each next group of 2 to 4 digits, the usual way of writing a
//!    long number: `1234 5678 9012`.
//! 5. A number that is not after a series is, by its length: one digit, a
//!    **code** (1..=9; `0` is a bad code); 2 to 4 digits, a **bad code**
//!    (`12`, `22`); 5 digits or more, a **digits-only document** (a
//!    registration notification number).
//! 6. Words that are not a series (`salam`, `please`, `xahiş edirəm`) are
//!    ignored.
//!
//! # Decisions on ambiguous texts
//!
//! - A digit run is never split. `AZE111111112` is the ID card `AZE` with 9
//!   digits and no code ([`ParseProblem::NoCode`]), not code 2 after
//!   `AZE11111111`: which series has how many digits is the registry's
//!   business, and the reply shows the right form. `2AZE11111111` is code 2.
//! - A digits-only document must be separated from its code by a space or
//!   punctuation: `2 123456789` is code 2 and document `123456789`, but
//!   `2123456789` is a 10-digit document without a code.
//! - ID cards need at least 5 digits ([`MIN_ID_CARD_DIGITS`]), so `AZE1111`
//!   is a bad document; residence permits (`MYİ`, `DYİ`) and extended-stay
//!   decisions (`MOM`) need exactly 7; registration notifications 9 to 15.
//! - The same code or document twice counts once; two different codes or two
//!   different valid documents are [`ParseProblem::SeveralRequests`].
//! - `EN`, `ENG`, `RU` and `RUS` can never be a series; `en` written for
//!   `ən` asks for English (`ən` itself does not).
//! - `РУ` and `РУС` written in Cyrillic letters only are the Russian
//!   language word, never a series, although folding makes them look like the
//!   Latin series `PY` and `PYC`: `РУ 1234567 2` asks for Russian and has a
//!   7-digit number that is no document. `PY` typed in Latin letters, or
//!   mixing scripts (`PУ`), is read as any other word: `2 PY1234567` is the
//!   ID card `PY1234567`. No series `PY` or `PYC` is known; if one were
//!   issued, its holders typing it in Cyrillic would be asked to retype it.
//!
//! Not checked here: which codes the regime in force offers, which ID card
//! series exist, and whether the document is in a registry.

use icaze_core::{DocumentKind, DocumentNumber, MAX_SERIES_LETTERS};

use crate::scan::{scan, Run, RunKind, MAX_CHARS};
use crate::Language;

/// The fewest digits of an ID card number the parser accepts (real series:
/// `AZE` + 8, `AA` + 7).
pub const MIN_ID_CARD_DIGITS: usize = 5;
/// The fewest digits of a registration notification number.
pub const MIN_REGISTRATION_DIGITS: usize = 9;
/// The most digits of any document number (that of `icaze-core`).
pub const MAX_DOCUMENT_DIGITS: usize = icaze_core::MAX_DIGITS;

/// Digit groups are joined while the number is shorter than this.
const SHORTEST_NUMBER: usize = 7;
/// A number standing alone with this many digits or more is a document.
const MIN_DIGITS_ALONE: usize = 5;
/// The most characters of a bad document shown back in [`ParseProblem::BadDocument`].
const MAX_SHOWN: usize = 22;

/// A readable request: which code, for which document, answered in which
/// language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The code the citizen sent, 1..=9. Whether the regime in force offers
    /// it is for the caller to check.
    pub code: u8,
    /// The identity document the permit is for.
    pub document: DocumentNumber,
    /// The language the reply is to be written in.
    pub language: Language,
}

/// Why an SMS is not a request. Each has a stable [`code`](Self::code), and
/// each gets a reply from [`reply::how_to_write`](crate::reply::how_to_write).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseProblem {
    /// No letter or digit at all.
    #[error("the SMS is empty: write the code and the document, e.g. 2 AZE11111111")]
    Empty,
    /// More than [`MAX_CHARS`] characters.
    #[error("the SMS is longer than {MAX_CHARS} characters: write only the code and the document, e.g. 2 AZE11111111")]
    TooLong,
    /// Letters but no digit: nothing that could be a code or a document.
    #[error("the SMS has no code and no document number: write e.g. 2 AZE11111111")]
    Unreadable,
    /// A document but no code.
    #[error("the SMS has no code: write the code, one digit, before the document, e.g. 2 AZE11111111")]
    NoCode,
    /// No document (perhaps a code).
    #[error("the SMS has no document number: write the series and number after the code, e.g. 2 AZE11111111")]
    NoDocument,
    /// A number where the code goes that is not one digit 1..=9 (`0`, `12`).
    #[error("the code is one digit from 1 to 9: write e.g. 2 AZE11111111")]
    BadCode,
    /// Something that looks like a document but is not one.
    #[error("{read:?} is not a document number: write the series and number as on the document, e.g. AZE11111111 or MYI1234567")]
    BadDocument {
        /// The series and digits as read, upper-case ASCII, at most 22
        /// characters (a longer one is cut and ends in `..`).
        read: String,
    },
    /// Two codes or two documents in one SMS.
    #[error("the SMS holds more than one request: send one code and one document in each SMS")]
    SeveralRequests,
}

impl ParseProblem {
    /// Every problem that carries no detail, in the order they are declared
    /// (for the tests of this crate, which go through them all).
    #[cfg(test)]
    pub(crate) const WITHOUT_DETAIL: [ParseProblem; 6] = [
        ParseProblem::Empty,
        ParseProblem::TooLong,
        ParseProblem::Unreadable,
        ParseProblem::NoCode,
        ParseProblem::NoDocument,
        ParseProblem::BadCode,
    ];

    /// A stable machine code: `empty`, `too_long`, `unreadable`, `no_code`,
    /// `no_document`, `bad_code`, `bad_document` or `several_requests`.
    pub fn code(&self) -> &'static str {
        match self {
            ParseProblem::Empty => "empty",
            ParseProblem::TooLong => "too_long",
            ParseProblem::Unreadable => "unreadable",
            ParseProblem::NoCode => "no_code",
            ParseProblem::NoDocument => "no_document",
            ParseProblem::BadCode => "bad_code",
            ParseProblem::BadDocument { .. } => "bad_document",
            ParseProblem::SeveralRequests => "several_requests",
        }
    }
}

/// Reads a citizen's SMS as one request; see the [module docs](self) for
/// the rules. Never panics, whatever the text.
///
/// ```
/// use icaze_sms::{parse, Language, ParseProblem};
///
/// for text in ["2 AZE11111111", "2aze 1111 1111", "AZE11111111 2", "#2, АZЕ-11111111."] {
///     let request = parse(text)?;
///     assert_eq!((request.code, request.document.canonical()), (2, "AZE11111111".into()));
/// }
/// assert_eq!(parse("EN 1 myı1234567")?.language, Language::En);
/// assert_eq!(parse("РУ 2 AZE11111111")?.language, Language::Ru);
/// assert_eq!(parse("2 AZE11111111 rus")?.language, Language::Ru);
/// assert_eq!(parse("AZE11111111"), Err(ParseProblem::NoCode));
/// assert_eq!(parse("2 AZE11111111 AZE22222222"), Err(ParseProblem::SeveralRequests));
/// # Ok::<(), ParseProblem>(())
/// ```
pub fn parse(text: &str) -> Result<Request, ParseProblem> {
    if text.chars().nth(MAX_CHARS).is_some() {
        return Err(ParseProblem::TooLong);
    }
    let scan = scan(text.chars());
    if !scan.any_text {
        return Err(ParseProblem::Empty);
    }
    if !scan.runs.iter().any(|r| matches!(r.kind, RunKind::Number(_))) {
        return Err(ParseProblem::Unreadable);
    }
    let found = pieces(&scan.runs);

    let mut codes: Vec<u8> = Vec::new();
    let mut documents: Vec<DocumentNumber> = Vec::new();
    let mut bad_document: Option<String> = None;
    let mut bad_code = false;
    for piece in found {
        match piece {
            Piece::Code(code) if !codes.contains(&code) => codes.push(code),
            Piece::Code(_) => {}
            Piece::BadCode => bad_code = true,
            Piece::Document(doc) if !documents.contains(&doc) => documents.push(doc),
            Piece::Document(_) => {}
            Piece::BadDocument(read) => {
                bad_document.get_or_insert(read);
            }
        }
    }
    if codes.len() > 1 || documents.len() > 1 {
        return Err(ParseProblem::SeveralRequests);
    }
    if let Some(read) = bad_document {
        return Err(ParseProblem::BadDocument { read });
    }
    if bad_code {
        return Err(ParseProblem::BadCode);
    }
    match (codes.pop(), documents.pop()) {
        (_, None) => Err(ParseProblem::NoDocument),
        (None, Some(_)) => Err(ParseProblem::NoCode),
        (Some(code), Some(document)) => Ok(Request { code, document, language: scan.language }),
    }
}

/// The language to answer `text` in, whether or not it is a request: English
/// when the text holds the word `EN` or `ENG`, Russian when it holds `RU`,
/// `RUS`, or `РУ`, `РУС` in Cyrillic (the first such word decides; only the
/// first [`MAX_CHARS`] characters are looked at), Azerbaijani otherwise.
pub fn language_of(text: &str) -> Language {
    scan(text.chars().take(MAX_CHARS)).language
}

/// What a stretch of runs was read as.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Code(u8),
    BadCode,
    Document(DocumentNumber),
    BadDocument(String),
}

/// Reads the runs left to right into codes and documents; words that are not
/// a series are skipped.
fn pieces(runs: &[Run]) -> Vec<Piece> {
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(run) = runs.get(i) {
        match &run.kind {
            RunKind::Word { text, latin } => {
                let series = *latin && text.len() <= MAX_SERIES_LETTERS;
                match runs.get(i + 1) {
                    Some(Run { kind: RunKind::Number(first), glued }) if series && (*glued || first.len() >= 2) => {
                        let (digits, next) = number_from(runs, i + 1, false);
                        found.push(document(text, &digits));
                        i = next;
                    }
                    _ => i += 1,
                }
            }
            RunKind::Number(digits) if digits.len() == 1 => {
                found.push(match digits.parse::<u8>() {
                    Ok(code @ 1..=9) => Piece::Code(code),
                    _ => Piece::BadCode,
                });
                i += 1;
            }
            RunKind::Number(_) => {
                let (digits, next) = number_from(runs, i, true);
                found.push(if digits.len() >= MIN_DIGITS_ALONE { document("", &digits) } else { Piece::BadCode });
                i = next;
            }
        }
    }
    found
}

/// The number that starts with the digit run at `start`, joined with the
/// digit groups that follow it (rule 4 of the module docs; `long_groups` for
/// a number without a series), and the index of the first run after it.
fn number_from(runs: &[Run], start: usize, long_groups: bool) -> (String, usize) {
    let mut digits = String::new();
    let mut i = start;
    while let Some(Run { kind: RunKind::Number(group), .. }) = runs.get(i) {
        let joins = i == start || digits.len() < SHORTEST_NUMBER || (long_groups && (2..=4).contains(&group.len()));
        if !joins {
            break;
        }
        // Digits beyond any document's length are not kept: the number is
        // refused as too long either way, and memory stays bounded.
        if digits.len() <= MAX_DOCUMENT_DIGITS {
            digits.push_str(group);
        }
        i += 1;
    }
    (digits, i)
}

/// A document read from a series (maybe empty) and digits, checked by
/// `icaze-core` and by the parser's own digit counts.
fn document(series: &str, digits: &str) -> Piece {
    let read = format!("{series}{digits}");
    match DocumentNumber::parse(&read) {
        Ok(doc) if plausible(&doc) => Piece::Document(doc),
        _ => Piece::BadDocument(shown(&read)),
    }
}

fn plausible(doc: &DocumentNumber) -> bool {
    let n = doc.digits().len();
    match doc.kind() {
        DocumentKind::IdCard => n >= MIN_ID_CARD_DIGITS,
        DocumentKind::RegistrationNotice => (MIN_REGISTRATION_DIGITS..=MAX_DOCUMENT_DIGITS).contains(&n),
        // Residence permits and extended-stay decisions: icaze-core checks the 7 digits.
        _ => true,
    }
}

fn shown(read: &str) -> String {
    if read.chars().count() <= MAX_SHOWN {
        read.to_owned()
    } else {
        let mut cut: String = read.chars().take(MAX_SHOWN - 2).collect();
        cut.push_str("..");
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a text was read as: code, canonical document and language, or the problem.
    type Read = Result<(u8, String, Language), ParseProblem>;

    fn ok(code: u8, doc: &str) -> Read {
        Ok((code, doc.to_owned(), Language::Az))
    }

    fn ok_en(code: u8, doc: &str) -> Read {
        Ok((code, doc.to_owned(), Language::En))
    }

    fn ok_ru(code: u8, doc: &str) -> Read {
        Ok((code, doc.to_owned(), Language::Ru))
    }

    fn bad(read: &str) -> Read {
        Err(ParseProblem::BadDocument { read: read.to_owned() })
    }

    fn read(text: &str) -> Read {
        parse(text).map(|r| (r.code, r.document.canonical(), r.language))
    }

    #[test]
    fn realistic_messages() {
        use ParseProblem::*;
        let table: Vec<(&str, Read)> = vec![
            // The form the announcement asks for, and the usual slips.
            ("2 AZE11111111", ok(2, "AZE11111111")),
            ("1 AZE11111111", ok(1, "AZE11111111")),
            ("2AZE11111111", ok(2, "AZE11111111")),
            ("2  aze 1111 1111", ok(2, "AZE11111111")),
            ("AZE11111111 2", ok(2, "AZE11111111")),
            ("aze 1111 1111 2", ok(2, "AZE11111111")),
            ("2.AZE11111111", ok(2, "AZE11111111")),
            ("2,AZE-11111111", ok(2, "AZE11111111")),
            ("#2 AZE11111111.", ok(2, "AZE11111111")),
            ("(2) AZE 11 11 11 11", ok(2, "AZE11111111")),
            ("2-AZE-111-111-11", ok(2, "AZE11111111")),
            ("AZE11111111, 2", ok(2, "AZE11111111")),
            ("AZE1 1111111 2", ok(2, "AZE11111111")),
            ("  2\tAZE11111111\n", ok(2, "AZE11111111")),
            ("1 AA1234567", ok(1, "AA1234567")),
            ("AA 1234567 1", ok(1, "AA1234567")),
            ("AA 123 4567 2", ok(2, "AA1234567")),
            // Cyrillic look-alikes, full-width forms, Unicode spaces, zero-width characters.
            ("2 АZЕ11111111", ok(2, "AZE11111111")),
            ("АZЕ11111111 1", ok(1, "AZE11111111")),
            ("2 МYI 1234567", ok(2, "MYI1234567")),
            ("２ ＡＺＥ１１１１１１１１", ok(2, "AZE11111111")),
            ("2\u{a0}AZE\u{200b}1111\u{200b}1111", ok(2, "AZE11111111")),
            ("\u{feff}2\u{2009}AZE11111111\u{200e}", ok(2, "AZE11111111")),
            ("2\u{fe0f}\u{20e3} AZE11111111", ok(2, "AZE11111111")),
            ("\u{662} AZE11111111", ok(2, "AZE11111111")),
            // Residence permits, extended stay, registration notifications.
            ("myı1234567 1", ok(1, "MYI1234567")),
            ("2 MYİ1234567", ok(2, "MYI1234567")),
            ("2 myi 123 4567", ok(2, "MYI1234567")),
            ("2 MYI 123 456 7", ok(2, "MYI1234567")),
            ("1 Dyİ7654321", ok(1, "DYI7654321")),
            ("2 DYI-7654321", ok(2, "DYI7654321")),
            ("2 MOM1234567", ok(2, "MOM1234567")),
            ("2 123456789012", ok(2, "123456789012")),
            ("123456789012 1", ok(1, "123456789012")),
            ("2 1234 5678 9012", ok(2, "123456789012")),
            // Words around the request.
            ("icaze 2 AZE11111111", ok(2, "AZE11111111")),
            ("İcazə: 2 AZE11111111", ok(2, "AZE11111111")),
            ("Salam. 2 AZE11111111 tesekkur edirem", ok(2, "AZE11111111")),
            ("salam 2 aze11111111 sagolun", ok(2, "AZE11111111")),
            ("kod2 AZE11111111", ok(2, "AZE11111111")),
            ("xahiş edirəm 1 AZE11111111", ok(1, "AZE11111111")),
            ("2 AZE11111111 2", ok(2, "AZE11111111")),
            ("2 AZE11111111 AZE 1111 1111", ok(2, "AZE11111111")),
            // English replies.
            ("EN 2 AZE11111111", ok_en(2, "AZE11111111")),
            ("2 AZE11111111 eng", ok_en(2, "AZE11111111")),
            ("en2aze11111111", ok_en(2, "AZE11111111")),
            ("English please: 1 MYI1234567", ok_en(1, "MYI1234567")),
            ("ən tez 2 AZE11111111", ok(2, "AZE11111111")),
            ("2 AZE11111111 ENGLAND", ok(2, "AZE11111111")),
            // Russian replies: Latin RU, RUS; Cyrillic РУ, РУС in any case.
            ("RU 2 AZE11111111", ok_ru(2, "AZE11111111")),
            ("2 AZE11111111 rus", ok_ru(2, "AZE11111111")),
            ("Rus, 1 MYI 1234567", ok_ru(1, "MYI1234567")),
            ("ru2aze11111111", ok_ru(2, "AZE11111111")),
            ("РУ 2 AZE11111111", ok_ru(2, "AZE11111111")),
            ("2 АZЕ11111111 ру", ok_ru(2, "AZE11111111")),
            ("Рус: 1 MYI1234567", ok_ru(1, "MYI1234567")),
            ("ру2 aze11111111", ok_ru(2, "AZE11111111")),
            ("РУС2АZЕ11111111", ok_ru(2, "AZE11111111")),
            ("AZE11111111 2 рУс", ok_ru(2, "AZE11111111")),
            ("RU EN 2 AZE11111111", ok_ru(2, "AZE11111111")),
            ("EN 2 AZE11111111 РУ", ok_en(2, "AZE11111111")),
            ("2 AZE11111111 RUSSIA", ok(2, "AZE11111111")),
            ("2 AZE11111111 РУСЬ", ok(2, "AZE11111111")),
            // `PY` in Latin letters is a series; `РУ` in Cyrillic never is.
            ("2 PY1234567", ok(2, "PY1234567")),
            ("PY 1234567 2", ok(2, "PY1234567")),
            ("РУ 1234567 2", bad("1234567")),
            ("2 РУ1234567", bad("1234567")),
            ("2 РY1234567", ok(2, "PY1234567")),
            // Any code 1..=9 is read; the regime decides which exist.
            ("3 AZE11111111", ok(3, "AZE11111111")),
            ("9 AZE11111111", ok(9, "AZE11111111")),
            // Not requests.
            ("", Err(Empty)),
            ("   ", Err(Empty)),
            ("?!.", Err(Empty)),
            ("\u{200b}", Err(Empty)),
            ("salam", Err(Unreadable)),
            ("AZE", Err(Unreadable)),
            ("EN", Err(Unreadable)),
            ("RU", Err(Unreadable)),
            ("РУС", Err(Unreadable)),
            ("3", Err(NoDocument)),
            ("2 AZE", Err(NoDocument)),
            ("salam 2", Err(NoDocument)),
            ("AZE11111111", Err(NoCode)),
            ("AZE111111112", Err(NoCode)),
            ("2123456789", Err(NoCode)),
            ("MYI1234567", Err(NoCode)),
            ("0 AZE11111111", Err(BadCode)),
            ("12 AZE11111111", Err(BadCode)),
            ("22AZE11111111", Err(BadCode)),
            ("2 AZE11111111 12", Err(BadCode)),
            ("123456789 12 1", ok(1, "12345678912")),
            ("1 AZE1111", bad("AZE1111")),
            ("2 MYI123456", bad("MYI123456")),
            ("2 MOM12345678", bad("MOM12345678")),
            ("2 12345678", bad("12345678")),
            ("2 AZE1234567890123456", bad("AZE1234567890123456")),
            ("2 AZE11111111 AZE22222222", Err(SeveralRequests)),
            ("1 2 AZE11111111", Err(SeveralRequests)),
            ("1 AZE11111111 2", Err(SeveralRequests)),
            ("2 AZE11111111\n2 MYI1234567", Err(SeveralRequests)),
            ("2 AZE11111111 ve 2 AZE22222222", Err(SeveralRequests)),
            ("2 AZE11111111 123456789012", Err(SeveralRequests)),
        ];
        assert!(table.len() >= 40);
        for (text, expected) in table {
            assert_eq!(read(text), expected, "{text:?}");
        }
    }

    #[test]
    fn too_long_is_refused_before_reading() {
        let padded = format!("2 AZE11111111{}", " ".repeat(MAX_CHARS));
        assert_eq!(parse(&padded), Err(ParseProblem::TooLong));
        let just_fits = format!("2 AZE11111111{}", " ".repeat(MAX_CHARS - 13));
        assert_eq!(read(&just_fits), ok(2, "AZE11111111"));
        assert_eq!(language_of(&format!("EN {}", "x ".repeat(MAX_CHARS))), Language::En);
    }

    #[test]
    fn bad_documents_are_shown_cut() {
        let text = format!("2 AZE{}", "1".repeat(40));
        assert_eq!(parse(&text), Err(ParseProblem::BadDocument { read: format!("AZE{}..", "1".repeat(17)) }));
    }

    #[test]
    fn language_of_any_text() {
        for (text, language) in [
            ("EN salam", Language::En),
            ("ENG", Language::En),
            ("2 AZE11111111", Language::Az),
            ("ən yaxşı", Language::Az),
            ("ENGAZE", Language::Az),
            ("RU salam", Language::Ru),
            ("ру", Language::Ru),
            ("РУ 1234567 2", Language::Ru),
            ("salam, РУС", Language::Ru),
            ("PY 2", Language::Az),
            ("RUAZE", Language::Az),
            ("Привет", Language::Az),
            ("EN RU", Language::En),
        ] {
            assert_eq!(language_of(text), language, "{text:?}");
        }
        assert_eq!(language_of(&format!("RU {}", "x ".repeat(MAX_CHARS))), Language::Ru);
    }

    #[test]
    fn problem_codes_are_stable() {
        let with_detail = [ParseProblem::BadDocument { read: "X".into() }, ParseProblem::SeveralRequests];
        let codes: Vec<&str> =
            ParseProblem::WITHOUT_DETAIL.iter().chain(&with_detail).map(ParseProblem::code).collect();
        assert_eq!(
            codes,
            [
                "empty",
                "too_long",
                "unreadable",
                "no_code",
                "no_document",
                "bad_code",
                "bad_document",
                "several_requests"
            ]
        );
    }

    /// A document as people write it: the series in some case, maybe with a
    /// dotted or dotless I, digits maybe in two groups.
    fn typed_document() -> impl Strategy<Value = (String, String)> {
        let series = prop_oneof![
            Just(("AZE", 8)),
            Just(("AA", 7)),
            Just(("MYI", 7)),
            Just(("DYI", 7)),
            Just(("MOM", 7)),
            Just(("", 12))
        ];
        (series, proptest::collection::vec(0u8..10, 15), 0usize..4, any::<bool>()).prop_map(
            |((series, len), digits, style, split)| {
                let digits: String = digits.iter().take(len).map(|d| char::from(b'0' + d)).collect();
                let canonical = format!("{series}{digits}");
                let typed_series = match style {
                    0 => series.to_owned(),
                    1 => series.to_lowercase(),
                    2 => series.replace('I', "İ"),
                    _ => series.to_lowercase().replace('i', "ı"),
                };
                let typed_digits = if split { format!("{} {}", &digits[..4], &digits[4..]) } else { digits };
                let sep = if series.is_empty() { "" } else { " " };
                (format!("{typed_series}{sep}{typed_digits}"), canonical)
            },
        )
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in any::<String>()) {
            let _ = parse(&text);
            let _ = language_of(&text);
        }

        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse(&text);
        }

        #[test]
        fn never_panics_on_request_like_text(text in "[0-9 A-Za-zİıМАЕ.,#\u{200b}\u{a0}-]{0,600}") {
            if let Ok(request) = parse(&text) {
                prop_assert!((1..=9).contains(&request.code));
            }
        }

        #[test]
        fn well_written_requests_are_read(
            code in 1u8..=9,
            (typed, canonical) in typed_document(),
            code_first in any::<bool>(),
            sep in prop_oneof![Just(" "), Just("  "), Just(". "), Just(","), Just("\u{a0}")],
            (marker, language) in prop_oneof![
                Just(("", Language::Az)),
                Just(("EN", Language::En)),
                Just(("eng", Language::En)),
                Just(("RU", Language::Ru)),
                Just(("rus", Language::Ru)),
                Just(("РУ", Language::Ru)),
                Just(("рус", Language::Ru)),
            ],
            marker_first in any::<bool>(),
        ) {
            let body = if code_first { format!("{code}{sep}{typed}") } else { format!("{typed}{sep}{code}") };
            let text = match (marker, marker_first) {
                ("", _) => body,
                (marker, true) => format!("{marker} {body}"),
                (marker, false) => format!("{body} {marker}"),
            };
            let request = parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
            prop_assert_eq!(request.code, code);
            prop_assert_eq!(request.document.canonical(), canonical);
            prop_assert_eq!(request.language, language);
            prop_assert_eq!(language_of(&text), language);
        }
    }
}
