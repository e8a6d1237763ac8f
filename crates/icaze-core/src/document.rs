//! Identity documents: what a permit holder shows the officer beside the permit.

use std::fmt;

/// The kind of identity document a permit names.
///
/// The wire code of each kind is fixed by token format v1 (see
/// `docs/token-format.md`); kinds with an implied series carry only digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DocumentKind {
    /// National identity card of any series (`AZE`, `AA`, and series to come).
    IdCard,
    /// Temporary residence permit, series `MYİ`.
    TemporaryResidence,
    /// Permanent residence permit, series `DYİ`.
    PermanentResidence,
    /// Decision extending a foreigner's stay, series `MOM`.
    ExtendedStay,
    /// Registration notification of a foreigner: optional letters, then digits.
    RegistrationNotice,
}

impl DocumentKind {
    /// A stable machine name, e.g. `id_card`.
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::IdCard => "id_card",
            DocumentKind::TemporaryResidence => "temporary_residence",
            DocumentKind::PermanentResidence => "permanent_residence",
            DocumentKind::ExtendedStay => "extended_stay",
            DocumentKind::RegistrationNotice => "registration_notice",
        }
    }
}

/// The most letters a series may have.
pub const MAX_SERIES_LETTERS: usize = 7;
/// The most digits a document number may have.
pub const MAX_DIGITS: usize = 15;

/// An identity document: kind, series letters (ASCII `A`–`Z`) and digits.
///
/// Invariant: `series` is 0..=7 ASCII uppercase letters, non-empty for ID cards,
/// and fixed for the residence and extended-stay kinds; `digits` is 1..=15 ASCII
/// digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentNumber {
    kind: DocumentKind,
    series: String,
    digits: String,
}

/// A document number that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// Nothing but spaces or punctuation.
    #[error("the document number is empty: write the series and number, e.g. AZE11111111")]
    Empty,
    /// Characters other than Latin letters and digits.
    #[error("the document number {0:?} has characters other than Latin letters and digits: write it as on the card, e.g. AZE11111111")]
    BadCharacter(String),
    /// Letters and digits not in the form series-then-number.
    #[error("the document number {0:?} is not a series followed by digits, e.g. AZE11111111 or MYI1234567")]
    BadShape(String),
    /// Too many letters or digits.
    #[error("the document number {0:?} is too long: at most 7 letters and 15 digits")]
    TooLong(String),
    /// A residence permit or extended-stay decision with the wrong number of digits.
    #[error("the document number {0:?} needs 7 digits after its series")]
    WrongDigitCount(String),
}

impl DocumentNumber {
    /// Reads a document number as a person types it: case, spaces, hyphens and
    /// the dotted capital `İ` (or `ı`) are forgiven, so `myi 1234567`,
    /// `MYİ1234567` and `MYI-1234567` are the same permit.
    ///
    /// The series decides the kind: `MYI`, `DYI` and `MOM` are residence permits
    /// and extended-stay decisions (7 digits); other letters are ID card series;
    /// digits alone are a registration notification. Which ID card series are
    /// *accepted* is the issuing service's configuration, not this parser's.
    pub fn parse(input: &str) -> Result<Self, DocumentError> {
        let mut compact = String::with_capacity(input.len());
        for c in input.chars() {
            match c {
                ' ' | '-' | '\t' | '.' | '/' => {}
                'İ' | 'ı' | 'i' => compact.push('I'),
                c if c.is_ascii_alphanumeric() => compact.push(c.to_ascii_uppercase()),
                _ => return Err(DocumentError::BadCharacter(input.to_owned())),
            }
        }
        if compact.is_empty() {
            return Err(DocumentError::Empty);
        }
        let split = compact.find(|c: char| c.is_ascii_digit()).unwrap_or(compact.len());
        let (series, digits) = compact.split_at(split);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DocumentError::BadShape(input.to_owned()));
        }
        let kind = match series {
            "" => DocumentKind::RegistrationNotice,
            "MYI" => DocumentKind::TemporaryResidence,
            "DYI" => DocumentKind::PermanentResidence,
            "MOM" => DocumentKind::ExtendedStay,
            _ => DocumentKind::IdCard,
        };
        Self::new(kind, series, digits).map_err(|e| match e {
            DocumentError::BadShape(_) => DocumentError::BadShape(input.to_owned()),
            DocumentError::TooLong(_) => DocumentError::TooLong(input.to_owned()),
            DocumentError::WrongDigitCount(_) => DocumentError::WrongDigitCount(input.to_owned()),
            other => other,
        })
    }

    /// A document from its parts, checked against the invariant.
    pub fn new(kind: DocumentKind, series: &str, digits: &str) -> Result<Self, DocumentError> {
        let shown = || format!("{series}{digits}");
        if series.len() > MAX_SERIES_LETTERS || digits.len() > MAX_DIGITS {
            return Err(DocumentError::TooLong(shown()));
        }
        if !series.bytes().all(|b| b.is_ascii_uppercase())
            || digits.is_empty()
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(DocumentError::BadShape(shown()));
        }
        let fixed = match kind {
            DocumentKind::TemporaryResidence => Some("MYI"),
            DocumentKind::PermanentResidence => Some("DYI"),
            DocumentKind::ExtendedStay => Some("MOM"),
            DocumentKind::IdCard | DocumentKind::RegistrationNotice => None,
        };
        match fixed {
            Some(expected) if series != expected => return Err(DocumentError::BadShape(shown())),
            Some(_) if digits.len() != 7 => return Err(DocumentError::WrongDigitCount(shown())),
            // An ID card has a series, and not one that names another kind.
            None if kind == DocumentKind::IdCard && matches!(series, "" | "MYI" | "DYI" | "MOM") => {
                return Err(DocumentError::BadShape(shown()))
            }
            _ => {}
        }
        Ok(Self { kind, series: series.to_owned(), digits: digits.to_owned() })
    }

    /// The kind of document.
    pub fn kind(&self) -> DocumentKind {
        self.kind
    }

    /// The series letters in ASCII (`MYI`, not `MYİ`).
    pub fn series(&self) -> &str {
        &self.series
    }

    /// The digits, leading zeros kept.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// The canonical ASCII form, `AZE11111111` or `MYI1234567`: GSM-7 safe, for
    /// SMS replies, keys and registries.
    pub fn canonical(&self) -> String {
        format!("{}{}", self.series, self.digits)
    }
}

impl fmt::Display for DocumentNumber {
    /// As printed on the document: residence permits with the dotted `İ`
    /// (`MYİ1234567`). Use [`DocumentNumber::canonical`] where GSM-7 matters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let series = match self.kind {
            DocumentKind::TemporaryResidence => "MYİ",
            DocumentKind::PermanentResidence => "DYİ",
            _ => &self.series,
        };
        write!(f, "{series}{}", self.digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgiving_forms_of_one_residence_permit() {
        for typed in ["MYI1234567", "myi1234567", "MYİ1234567", "myı 1234567", "MYI-1234567", " Myi 123 4567 "] {
            let doc = DocumentNumber::parse(typed).unwrap();
            assert_eq!(doc.kind(), DocumentKind::TemporaryResidence, "{typed}");
            assert_eq!(doc.canonical(), "MYI1234567");
            assert_eq!(doc.to_string(), "MYİ1234567");
        }
    }

    #[test]
    fn kinds_follow_the_series() {
        let kinds = [
            ("AZE11111111", DocumentKind::IdCard),
            ("AA1234567", DocumentKind::IdCard),
            ("DYI7654321", DocumentKind::PermanentResidence),
            ("MOM0000001", DocumentKind::ExtendedStay),
            ("123456789012", DocumentKind::RegistrationNotice),
        ];
        for (typed, kind) in kinds {
            assert_eq!(DocumentNumber::parse(typed).unwrap().kind(), kind, "{typed}");
        }
    }

    #[test]
    fn bad_documents_are_refused() {
        assert_eq!(DocumentNumber::parse("  "), Err(DocumentError::Empty));
        assert!(matches!(DocumentNumber::parse("AZE"), Err(DocumentError::BadShape(_))));
        assert!(matches!(DocumentNumber::parse("12AZE"), Err(DocumentError::BadShape(_))));
        assert!(matches!(DocumentNumber::parse("AZE1111A111"), Err(DocumentError::BadShape(_))));
        assert!(matches!(DocumentNumber::parse("АZE11111111"), Err(DocumentError::BadCharacter(_))), "Cyrillic А");
        assert!(matches!(DocumentNumber::parse("MYI123456"), Err(DocumentError::WrongDigitCount(_))));
        assert!(matches!(DocumentNumber::parse("ABCDEFGH1"), Err(DocumentError::TooLong(_))));
        assert!(matches!(DocumentNumber::parse("A1234567890123456"), Err(DocumentError::TooLong(_))));
    }
}
