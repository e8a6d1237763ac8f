//! The language of the 8103 SMS service: reading what citizens text, and
//! writing every reply, in Azerbaijani, Russian or English, so that it stays
//! one GSM-7 SMS.
//!
//! ```
//! use icaze_core::{DocumentNumber, UtcMinute};
//! use icaze_sms::{gsm7, language_of, parse, reply, Language, ParseProblem};
//!
//! // Real texts are messy: case, spacing, punctuation, a Cyrillic А, the code last.
//! let request = parse("аze 1111-1111, 2")?;
//! assert_eq!(request.code, 2);
//! assert_eq!(request.document.canonical(), "AZE11111111");
//! assert_eq!(request.language, Language::Az);
//!
//! // The permit reply: the document, the window in Baku time, the token last.
//! let at = |s| UtcMinute::parse_rfc3339(s).unwrap();
//! let token = format!("IZ2{}", "A".repeat(108));
//! let text = reply::permit(request.language, &request.document,
//!     at("2020-12-15T10:00:00+04:00"), at("2020-12-15T13:00:00+04:00"), &token);
//! assert!(text.starts_with("Icaze AZE11111111 15.12 10:00-13:00 IZ2"));
//! assert_eq!(gsm7::segments(&text), 1);
//!
//! // Every text gets a reply: a wrong one says how to write it.
//! let text = "EN AZE11111111";
//! assert_eq!(parse(text), Err(ParseProblem::NoCode));
//! let help = reply::how_to_write(language_of(text), &ParseProblem::NoCode, &[1, 2]);
//! assert_eq!(help, "No code. Write: code (1 or 2), space, document series and number. E.g. EN 2 AZE11111111");
//! assert!(gsm7::is_basic(&help));
//!
//! // `RU`, or `РУ` in Cyrillic, asks for Russian, written in Latin letters:
//! // a Cyrillic letter would turn the SMS into UCS-2.
//! let text = "РУ AZE11111111";
//! assert_eq!(language_of(text), Language::Ru);
//! let help = reply::how_to_write(language_of(text), &ParseProblem::NoCode, &[1, 2]);
//! assert_eq!(help, "Net koda. Napishite: kod (1 ili 2), probel, seriya i nomer dokumenta. Primer: RU 2 AZE11111111");
//! assert!(gsm7::is_basic(&help));
//! # Ok::<(), ParseProblem>(())
//! ```
//!
//! - [`parse`] reads a text as one [`Request`] (a code 1..=9, a
//!   [`DocumentNumber`](icaze_core::DocumentNumber), a [`Language`]) or says
//!   which [`ParseProblem`] it has; the rules for ambiguous texts are in the
//!   docs of [`parse`]'s module, [`request`].
//! - [`reply`] writes every answer in Azerbaijani (`az`, the default),
//!   Russian (`ru`, transliterated to Latin letters) or English (`en`), in
//!   the GSM 03.38 basic set, each in one SMS.
//! - [`gsm7`] knows the alphabet: [`gsm7::is_basic`], [`gsm7::segments`],
//!   [`gsm7::to_basic`] (Azerbaijani) and [`gsm7::russian_to_basic`].
//!
//! This crate does no I/O, reads no clock and holds no state: which codes
//! exist, whether a document is registered and whether a permit is allowed
//! are decided by the caller, which passes in the times and codes to show.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod gsm7;
pub mod reply;
pub mod request;
mod scan;

pub use request::{
    language_of, parse, ParseProblem, Request, MAX_DOCUMENT_DIGITS, MIN_ID_CARD_DIGITS, MIN_REGISTRATION_DIGITS,
};
pub use scan::MAX_CHARS;

/// The language a reply is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Language {
    /// Azerbaijani, transliterated to the GSM basic set; the default.
    #[default]
    Az,
    /// English, when the text holds the word `EN` or `ENG`.
    En,
    /// Russian, transliterated to Latin letters of the GSM basic set, when the
    /// text holds the word `RU` or `RUS`, or `РУ` or `РУС` in Cyrillic.
    Ru,
}

impl Language {
    /// A stable machine code: `az`, `en` or `ru`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Az => "az",
            Language::En => "en",
            Language::Ru => "ru",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes() {
        assert_eq!(Language::default(), Language::Az);
        assert_eq!(Language::Az.code(), "az");
        assert_eq!(Language::En.code(), "en");
        assert_eq!(Language::Ru.code(), "ru");
    }
}
