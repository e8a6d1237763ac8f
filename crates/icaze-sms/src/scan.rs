//! The first step of reading an SMS: characters folded to a small alphabet,
//! then cut into runs of letters and runs of digits.
//!
//! Folding forgives what phones and people do to text: case, full-width
//! forms (U+FF10..U+FF5A), Arabic-Indic digits, Cyrillic letters that look
//! Latin (`А В Е К М Н О Р С Т У Х`, `І Ј Ѕ Ү Һ Ӏ Ԛ Ԝ`, either case), the
//! dotted `İ` and dotless `ı`, Unicode spaces, and zero-width characters and
//! combining marks (dropped, so `AZE\u{200B}111` is one document). Azerbaijani
//! letters `ə ş ç ğ ö ü` are folded too (to `E S C G O U`) so that words
//! such as `icazə` are recognised, but a word holding one is never read as a
//! document series.
//!
//! Language markers are found after folding, so the Cyrillic `РУ` and `РУС`
//! (folded to `PY`, `PYC`) are recognised by whether every letter of the word
//! was Cyrillic: they ask for Russian, while `PY` in Latin letters is left to
//! be read as a series.
//!
//! Not folded: letters that look like digits (`O`, `l`, `З`) or digits that
//! look like letters; a typo stays a typo, and the registry lookup refuses it.

use crate::gsm7::is_cyrillic;
use crate::Language;

/// The most characters of an SMS that are read; a longer text is refused
/// before any other work (three concatenated GSM-7 segments hold 459).
pub const MAX_CHARS: usize = 480;

/// A run of letters or digits, and whether it touches the run before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub kind: RunKind,
    /// No space, punctuation or removed word between this run and the one before.
    pub glued: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RunKind {
    /// Upper-case letters: `A`–`Z`, and `?` for a letter with no Latin reading.
    /// `latin` when every letter is Latin or a Latin look-alike.
    Word { text: String, latin: bool },
    /// ASCII digits.
    Number(String),
}

/// What a scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scan {
    /// The runs, without language markers and ignorable words.
    pub runs: Vec<Run>,
    /// The language of the first language marker found; `Az` without one.
    pub language: Language,
    /// Whether the text has any letter or digit at all.
    pub any_text: bool,
}

/// Words that ask for English replies.
const ENGLISH_MARKERS: [&str; 4] = ["EN", "ENG", "ENGL", "ENGLISH"];
/// Words in Latin letters that ask for Russian replies.
const RUSSIAN_MARKERS: [&str; 2] = ["RU", "RUS"];
/// `РУ` and `РУС` as folded (`Р`→`P`, `У`→`Y`, `С`→`C`): they ask for Russian
/// replies only when every letter of the word was Cyrillic, so that `PY` typed
/// in Latin letters stays a possible document series.
const RUSSIAN_CYRILLIC_MARKERS: [&str; 2] = ["PY", "PYC"];
/// Words people add around a request; dropped, so that `kod2 AZE11111111`
/// reads like `2 AZE11111111`.
const IGNORED_WORDS: [&str; 4] = ["ICAZE", "KOD", "CODE", "SMS"];

enum Folded {
    /// An upper-case letter, and whether it is Latin (or looks it).
    Letter(char, bool),
    Digit(char),
    /// Dropped without a trace.
    Invisible,
    /// Spaces, punctuation, symbols, control characters: a boundary.
    Separator,
}

fn fold(c: char) -> Folded {
    if c.is_ascii_digit() {
        return Folded::Digit(c);
    }
    if c.is_ascii_alphabetic() {
        return Folded::Letter(c.to_ascii_uppercase(), true);
    }
    if let Some(d) = other_digit(c) {
        return Folded::Digit(d);
    }
    if is_invisible(c) {
        return Folded::Invisible;
    }
    if let Some(l) = latin_look_alike(c) {
        return Folded::Letter(l, true);
    }
    let azerbaijani = match c {
        'Ə' | 'ə' => Some('E'),
        'Ş' | 'ş' => Some('S'),
        'Ç' | 'ç' => Some('C'),
        'Ğ' | 'ğ' => Some('G'),
        'Ö' | 'ö' => Some('O'),
        'Ü' | 'ü' => Some('U'),
        _ => None,
    };
    match azerbaijani {
        Some(l) => Folded::Letter(l, false),
        None if c.is_alphanumeric() => Folded::Letter('?', false),
        None => Folded::Separator,
    }
}

/// Full-width, Arabic-Indic and Extended Arabic-Indic digits as ASCII.
fn other_digit(c: char) -> Option<char> {
    let (base, zero) = match c {
        '\u{ff10}'..='\u{ff19}' => (c, 0xff10),
        '\u{660}'..='\u{669}' => (c, 0x660),
        '\u{6f0}'..='\u{6f9}' => (c, 0x6f0),
        _ => return None,
    };
    char::from_u32(u32::from('0') + (u32::from(base) - zero))
}

/// Zero-width and formatting characters, variation selectors and combining
/// marks (the dot of a decomposed `İ`, the keycap of `2️⃣`).
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{180b}'..='\u{180e}' | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}'
        | '\u{300}'..='\u{36f}' | '\u{20d0}'..='\u{20ff}' | '\u{e0000}'..='\u{e007f}')
}

/// A letter that is Latin in all but code point, as upper-case ASCII.
fn latin_look_alike(c: char) -> Option<char> {
    let l = match c {
        '\u{ff21}'..='\u{ff3a}' => return char::from_u32(u32::from(c) - 0xff21 + u32::from('A')),
        '\u{ff41}'..='\u{ff5a}' => return char::from_u32(u32::from(c) - 0xff41 + u32::from('A')),
        'İ' | 'ı' => 'I',
        'А' | 'а' => 'A',
        'В' | 'в' => 'B',
        'Е' | 'е' => 'E',
        'К' | 'к' => 'K',
        'М' | 'м' => 'M',
        'Н' | 'н' => 'H',
        'О' | 'о' => 'O',
        'Р' | 'р' => 'P',
        'С' | 'с' => 'C',
        'Т' | 'т' => 'T',
        'У' | 'у' | 'Ү' | 'ү' => 'Y',
        'Х' | 'х' => 'X',
        'І' | 'і' | 'Ӏ' | 'ӏ' => 'I',
        'Ј' | 'ј' => 'J',
        'Ѕ' | 'ѕ' => 'S',
        'Һ' | 'һ' => 'H',
        'Ԛ' | 'ԛ' => 'Q',
        'Ԝ' | 'ԝ' => 'W',
        _ => return None,
    };
    Some(l)
}

/// The language a word asks for, if it is a language marker: `EN`, `ENG`,
/// `ENGL`, `ENGLISH` for English; `RU`, `RUS`, or `РУ`, `РУС` written in
/// Cyrillic letters only, for Russian.
fn marker(text: &str, latin: bool, cyrillic: bool) -> Option<Language> {
    if !latin {
        None
    } else if ENGLISH_MARKERS.contains(&text) {
        Some(Language::En)
    } else if RUSSIAN_MARKERS.contains(&text) || (cyrillic && RUSSIAN_CYRILLIC_MARKERS.contains(&text)) {
        Some(Language::Ru)
    } else {
        None
    }
}

/// Folds and cuts `chars` (the caller caps their number) into runs, taking
/// language markers and ignorable words out. The first marker of the text
/// decides the language; later ones are taken out too.
pub(crate) fn scan(chars: impl Iterator<Item = char>) -> Scan {
    let mut raw: Vec<Run> = Vec::new();
    // Whether each run of `raw` is a word of Cyrillic letters only.
    let mut all_cyrillic: Vec<bool> = Vec::new();
    let mut glued = false;
    let mut any_text = false;
    for c in chars {
        match fold(c) {
            Folded::Invisible => {}
            Folded::Separator => glued = false,
            Folded::Letter(l, latin) => {
                any_text = true;
                let cyrillic = is_cyrillic(c);
                match (raw.last_mut(), all_cyrillic.last_mut()) {
                    (Some(Run { kind: RunKind::Word { text, latin: all_latin }, .. }), Some(word_cyrillic))
                        if glued =>
                    {
                        text.push(l);
                        *all_latin &= latin;
                        *word_cyrillic &= cyrillic;
                    }
                    _ => {
                        raw.push(Run { kind: RunKind::Word { text: l.into(), latin }, glued });
                        all_cyrillic.push(cyrillic);
                    }
                }
                glued = true;
            }
            Folded::Digit(d) => {
                any_text = true;
                match raw.last_mut() {
                    Some(Run { kind: RunKind::Number(digits), .. }) if glued => digits.push(d),
                    _ => {
                        raw.push(Run { kind: RunKind::Number(d.into()), glued });
                        all_cyrillic.push(false);
                    }
                }
                glued = true;
            }
        }
    }

    let mut language: Option<Language> = None;
    let mut runs = Vec::with_capacity(raw.len());
    let mut after_removed = false;
    for (mut run, cyrillic) in raw.into_iter().zip(all_cyrillic) {
        if let RunKind::Word { text, latin } = &run.kind {
            if let Some(asked) = marker(text, *latin, cyrillic) {
                language.get_or_insert(asked);
                after_removed = true;
                continue;
            }
        }
        if let RunKind::Word { text, .. } = &run.kind {
            if IGNORED_WORDS.contains(&text.as_str()) {
                after_removed = true;
                continue;
            }
        }
        if after_removed {
            run.glued = false;
            after_removed = false;
        }
        runs.push(run);
    }
    Scan { runs, language: language.unwrap_or_default(), any_text }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(text: &str, latin: bool, glued: bool) -> Run {
        Run { kind: RunKind::Word { text: text.into(), latin }, glued }
    }

    fn number(digits: &str, glued: bool) -> Run {
        Run { kind: RunKind::Number(digits.into()), glued }
    }

    #[test]
    fn runs_and_glue() {
        let s = scan("2AZE 1111-1111.".chars());
        assert_eq!(
            s.runs,
            vec![number("2", false), word("AZE", true, true), number("1111", false), number("1111", false)]
        );
        assert_eq!(s.language, Language::Az);
        assert!(s.any_text);
    }

    #[test]
    fn look_alikes_fold_to_latin() {
        let s = scan("АZЕ１２ мyı ＡＺＥ".chars());
        assert_eq!(
            s.runs,
            vec![word("AZE", true, false), number("12", true), word("MYI", true, false), word("AZE", true, false)]
        );
    }

    #[test]
    fn azerbaijani_and_other_letters_are_not_latin() {
        let s = scan("icazə salam Привет".chars());
        // `icazə` folds to ICAZE, an ignored word.
        assert_eq!(s.runs, vec![word("SALAM", true, false), word("?P?BET", false, false)]);
    }

    #[test]
    fn invisible_characters_do_not_cut() {
        let s = scan("AZE\u{200b}1111\u{feff}1111 2\u{fe0f}\u{20e3}".chars());
        assert_eq!(s.runs, vec![word("AZE", true, false), number("11111111", true), number("2", false)]);
    }

    #[test]
    fn markers_and_ignored_words_leave_a_gap() {
        let s = scan("EN2 kod3AZE1 ən".chars());
        assert_eq!(s.language, Language::En);
        assert_eq!(
            s.runs,
            vec![
                number("2", false),
                number("3", false),
                word("AZE", true, true),
                number("1", true),
                word("EN", false, false)
            ]
        );
    }

    #[test]
    fn russian_markers_latin_and_cyrillic() {
        for text in ["RU 2", "rus 2", "РУ 2", "ру 2", "Рус 2", "РУС 2", "2 рУ", "ру2"] {
            let s = scan(text.chars());
            assert_eq!(s.language, Language::Ru, "{text:?}");
            assert_eq!(s.runs, vec![number("2", false)], "{text:?}");
        }
        // `PY` in Latin letters, or mixed with a Cyrillic letter, is a word like any other.
        for text in ["PY 2", "PУ 2", "РY 2", "RUSSIA 2", "РУСЬ 2"] {
            let s = scan(text.chars());
            assert_eq!(s.language, Language::Az, "{text:?}");
            assert_eq!(s.runs.len(), 2, "{text:?}");
        }
    }

    #[test]
    fn the_first_marker_decides() {
        let s = scan("RU EN 2".chars());
        assert_eq!((s.language, s.runs.clone()), (Language::Ru, vec![number("2", false)]));
        let s = scan("eng 2 ру".chars());
        assert_eq!((s.language, s.runs.clone()), (Language::En, vec![number("2", false)]));
    }

    #[test]
    fn unicode_digits_and_spaces() {
        let s = scan("\u{662}\u{a0}\u{6f1}\u{3000}x".chars());
        assert_eq!(s.runs, vec![number("2", false), number("1", false), word("X", true, false)]);
        assert!(!scan(" .,!\u{200b} ".chars()).any_text);
    }
}
