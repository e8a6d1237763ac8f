//! The GSM 03.38 alphabet (3GPP TS 23.038): what fits one SMS, and writing
//! Azerbaijani and Russian so that it does.
//!
//! A text made only of the 128 characters of the *basic set* is sent in the
//! 7-bit default alphabet: 160 characters in one SMS. The *extension table*
//! (`^ { } \ [ ~ ] |`, `€` and form feed) costs two septets a character. Any
//! other character, a single `ə` or `ş` among them, turns the whole text into
//! UCS-2: 70 characters in one SMS. Replies of this crate use the basic set
//! only, so every handset shows them alike.
//!
//! Not modelled: the national language shift tables of 3GPP TS 23.038 (no
//! Azerbaijani one exists, and not every handset supports the Turkish one).

/// The basic set in code order 0x00..=0x7F; 0x1B is the escape to the
/// extension table, not a character, and is never counted as basic.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1b}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table: each costs the escape septet and its own.
const EXTENSION: [char; 10] = ['\u{c}', '^', '{', '}', '\\', '[', '~', ']', '|', '€'];

/// Septets in one GSM-7 SMS, and in each segment of a longer one (7 octets of
/// each segment go to the concatenation header).
const GSM7_SINGLE: usize = 160;
const GSM7_SEGMENT: usize = 153;
/// UTF-16 units in one UCS-2 SMS, and in each segment of a longer one.
const UCS2_SINGLE: usize = 70;
const UCS2_SEGMENT: usize = 67;

/// Whether `c` is in the GSM 03.38 basic set (the escape 0x1B excluded).
pub fn is_basic_char(c: char) -> bool {
    if c.is_ascii() {
        return ASCII_BASIC >> (c as u32) & 1 == 1;
    }
    BASIC.contains(&c)
}

/// The ASCII characters of the basic set as a bit mask (bit n: the character
/// n): the SMS service checks every reply, almost all ASCII, and a scan of
/// [`BASIC`] per character showed in its profile.
const ASCII_BASIC: u128 = {
    let mut mask = 0u128;
    let mut i = 0;
    while i < BASIC.len() {
        let c = BASIC[i] as u32;
        if c < 128 && c != 0x1b {
            mask |= 1 << c;
        }
        i += 1;
    }
    mask
};

/// Whether every character of `s` is in the GSM 03.38 basic set: no
/// extension characters, nothing that would need UCS-2.
pub fn is_basic(s: &str) -> bool {
    s.chars().all(is_basic_char)
}

/// How many SMS segments `s` takes.
///
/// In GSM-7 (basic set and extension table, an extension character counting
/// two septets): 160 septets or fewer are one SMS, a longer text takes
/// segments of 153. Otherwise in UCS-2: 70 UTF-16 units or fewer are one SMS,
/// a longer text takes segments of 67. As senders do, an escape pair or a
/// surrogate pair is never split across two segments, so a long text can take
/// one segment more than `ceil(len / 153)`. An empty text is one (empty) SMS.
pub fn segments(s: &str) -> usize {
    // The common case, a reply of basic ASCII characters: one septet each.
    if s.bytes().all(|b| b.is_ascii() && ASCII_BASIC >> b & 1 == 1) {
        return if s.len() <= GSM7_SINGLE { 1 } else { s.len().div_ceil(GSM7_SEGMENT) };
    }
    let gsm7: Option<Vec<usize>> = s
        .chars()
        .map(|c| {
            if is_basic_char(c) {
                Some(1)
            } else if EXTENSION.contains(&c) {
                Some(2)
            } else {
                None
            }
        })
        .collect();
    match gsm7 {
        Some(costs) => pack(&costs, GSM7_SINGLE, GSM7_SEGMENT),
        None => {
            let costs: Vec<usize> = s.chars().map(char::len_utf16).collect();
            pack(&costs, UCS2_SINGLE, UCS2_SEGMENT)
        }
    }
}

/// Segments for characters of the given costs: one if all fit `single`, else
/// as many `segment`-sized segments as a greedy fill needs, never splitting a
/// character.
fn pack(costs: &[usize], single: usize, segment: usize) -> usize {
    if costs.iter().sum::<usize>() <= single {
        return 1;
    }
    let mut count = 1;
    let mut used = 0;
    for &cost in costs {
        if used + cost > segment {
            count += 1;
            used = 0;
        }
        used += cost;
    }
    count
}

/// `s` in the basic set: Azerbaijani letters transliterated, a few
/// typographic look-alikes made plain, anything else outside the basic set
/// replaced by `?`.
///
/// The transliteration is the one Azerbaijanis use when texting without
/// diacritics: `ə`→`e`, `ş`→`sh`, `ç`→`ch`, `ğ`→`gh`, `ı`→`i`, `İ`→`I`,
/// `ö`→`o`, `ü`→`u`. `ö`, `ü` and `Ç` are in the basic set, but are
/// transliterated too, so that a word is spelt one way throughout a reply. A
/// capital digraph is `SH` inside an all-capital word and `Sh` otherwise.
/// Curly quotes, dashes, the ellipsis and Unicode spaces become `' " - ... `
/// and a space; zero-width characters and combining marks are dropped.
pub fn to_basic(s: &str) -> String {
    if s.bytes().all(|b| b.is_ascii() && ASCII_BASIC >> b & 1 == 1) {
        return s.to_owned();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let digraph = |upper: &str, title: &str| {
            let next_upper = chars.get(i + 1).is_some_and(|n| n.is_uppercase());
            let next_letter = chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
            let prev_upper = i > 0 && chars.get(i - 1).is_some_and(|p| p.is_uppercase());
            if next_upper || (!next_letter && prev_upper) {
                upper.to_owned()
            } else {
                title.to_owned()
            }
        };
        let piece: String = match c {
            'ə' => "e".into(),
            'Ə' => "E".into(),
            'ş' => "sh".into(),
            'Ş' => digraph("SH", "Sh"),
            'ç' => "ch".into(),
            'Ç' => digraph("CH", "Ch"),
            'ğ' => "gh".into(),
            'Ğ' => digraph("GH", "Gh"),
            'ı' => "i".into(),
            'İ' => "I".into(),
            'ö' => "o".into(),
            'Ö' => "O".into(),
            'ü' => "u".into(),
            'Ü' => "U".into(),
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{2032}' | '`' | '´' => "'".into(),
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '«' | '»' => "\"".into(),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => "-".into(),
            '\u{2026}' => "...".into(),
            '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{ad}' | '\u{300}'..='\u{36f}' => {
                String::new()
            }
            c if c.is_whitespace() && c != '\n' && c != '\r' => " ".into(),
            c if is_basic_char(c) => c.into(),
            _ => "?".into(),
        };
        out.push_str(&piece);
    }
    out
}

/// Russian `s` in the basic set: Cyrillic letters transliterated to Latin
/// ones, then everything else as by [`to_basic`].
///
/// The scheme is the one SMS services and passports of the region made
/// familiar (close to BGN/PCGN, without its diacritics and apostrophes), one
/// spelling for each letter: `а б в г д е ё ж з и й к л м н о п р с т у ф х
/// ц ч ш щ ъ ы ь э ю я` → `a b v g d e e zh z i y k l m n o p r s t u f kh ts
/// ch sh shch - y - e yu ya`; the hard and soft signs are dropped. So
/// `Пропуск` is `Propusk` and `Справки` is `Spravki`. A capital digraph is
/// all capitals inside an all-capital word (`ЖД` → `ZHD`) and title case
/// otherwise (`Щи` → `Shchi`), as in [`to_basic`]. Cyrillic letters of other
/// languages become `?`.
pub fn russian_to_basic(s: &str) -> String {
    if !s.chars().any(is_cyrillic) {
        return to_basic(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let Some(latin) = russian_letter(c) else {
            out.push(c);
            continue;
        };
        if !c.is_uppercase() {
            out.push_str(latin);
            continue;
        }
        // A capital: the first letter upper-case, the rest of a digraph too
        // only inside an all-capital word (the rule of `to_basic`).
        let next_upper = chars.get(i + 1).is_some_and(|n| n.is_uppercase());
        let next_letter = chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
        let prev_upper = i > 0 && chars.get(i - 1).is_some_and(|p| p.is_uppercase());
        let all_capitals = next_upper || (!next_letter && prev_upper);
        for (j, l) in latin.chars().enumerate() {
            out.push(if j == 0 || all_capitals { l.to_ascii_uppercase() } else { l });
        }
    }
    to_basic(&out)
}

/// Whether `c` is in the Cyrillic block (U+0400..U+04FF).
pub(crate) fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{400}'..='\u{4ff}')
}

/// The Latin spelling of a Russian letter, in lower case; `None` for any
/// other character.
fn russian_letter(c: char) -> Option<&'static str> {
    let latin = match c.to_lowercase().next().unwrap_or(c) {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'ё' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    };
    Some(latin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ascii_fast_paths_agree_with_the_full_rules() {
        for b in 0u8..128 {
            let c = char::from(b);
            assert_eq!(is_basic_char(c), c != '\u{1b}' && BASIC.contains(&c), "{b:#x}");
            // 'é' is basic but not ASCII: it sends the text down the full path.
            let slow = to_basic(&format!("{c}\u{e9}"));
            assert_eq!(format!("{}\u{e9}", to_basic(&c.to_string())), slow, "{b:#x}");
            let text = c.to_string().repeat(161);
            let costs: Vec<usize> = text.chars().map(|c| if is_basic_char(c) { 1 } else { 2 }).collect();
            if is_basic_char(c) {
                assert_eq!(segments(&text), pack(&costs, GSM7_SINGLE, GSM7_SEGMENT), "{b:#x}");
            }
        }
    }

    #[test]
    fn the_basic_set_has_127_characters_and_no_escape() {
        let mut seen: Vec<char> = BASIC.iter().copied().filter(|&c| is_basic_char(c)).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 127);
        assert!(!is_basic_char('\u{1b}'));
        assert!(EXTENSION.iter().all(|&c| !is_basic_char(c)));
    }

    #[test]
    fn ascii_outside_the_basic_set() {
        let not_basic: String = (' '..='~').filter(|&c| !is_basic_char(c)).collect();
        assert_eq!(not_basic, "[\\]^`{|}~");
        assert!(is_basic("AZE11111111 15.12 10:00-13:00 IZ1abc_-9"));
        assert!(!is_basic("Icazə"));
        assert!(!is_basic("a€"));
    }

    #[test]
    fn segment_boundaries() {
        let a = |n: usize| "a".repeat(n);
        assert_eq!(segments(""), 1);
        assert_eq!(segments(&a(160)), 1);
        assert_eq!(segments(&a(161)), 2);
        assert_eq!(segments(&a(306)), 2);
        assert_eq!(segments(&a(307)), 3);
        // An extension character costs two septets.
        assert_eq!(segments(&"€".repeat(80)), 1);
        assert_eq!(segments(&"€".repeat(81)), 2);
        assert_eq!(segments(&format!("{}[", a(158))), 1);
        assert_eq!(segments(&format!("{}[", a(159))), 2);
        // An escape pair is not split: 152 septets, then the pair goes whole to segment 2.
        assert_eq!(segments(&format!("{}[{}", a(152), a(153))), 3);
        // One letter outside GSM-7 makes it UCS-2.
        let e = |n: usize| "ə".repeat(n);
        assert_eq!(segments(&e(70)), 1);
        assert_eq!(segments(&e(71)), 2);
        assert_eq!(segments(&e(134)), 2);
        assert_eq!(segments(&e(135)), 3);
        assert_eq!(segments(&format!("{}ə", a(69))), 1);
        assert_eq!(segments(&format!("{}ə", a(70))), 2);
        // A character outside the BMP is two UTF-16 units.
        assert_eq!(segments(&"😀".repeat(35)), 1);
        assert_eq!(segments(&"😀".repeat(36)), 2);
    }

    /// Each input turned into basic GSM-7 by `f` gives its expected text.
    fn expect_each(f: fn(&str) -> String, cases: &[(&str, &str)]) {
        for (input, want) in cases {
            assert_eq!(f(input), *want, "{input:?}");
        }
    }

    #[test]
    fn azerbaijani_is_transliterated() {
        expect_each(
            to_basic,
            &[
                ("Şəxsiyyət vəsiqəsi", "Shexsiyyet vesiqesi"),
                ("ŞƏXS", "SHEXS"),
                ("ASAN xidmət Çağrı Mərkəzi", "ASAN xidmet Chaghri Merkezi"),
                ("İcazə, ölkə, gün", "Icaze, olke, gun"),
                ("Ç", "Ch"),
                ("AĞ", "AGH"),
                ("ÖÜ öü", "OU ou"),
            ],
        );
    }

    #[test]
    fn other_characters_become_plain_or_question_marks() {
        expect_each(
            to_basic,
            &[
                ("a[b]{c}", "a?b??c?"),
                ("5 €", "5 ?"),
                ("“quoted” – it’s…", "\"quoted\" - it's..."),
                ("a\u{a0}b\u{200b}c", "a bc"),
                ("Привет", "??????"),
                ("café ñ", "café ñ"),
            ],
        );
    }

    #[test]
    fn russian_is_transliterated() {
        expect_each(
            russian_to_basic,
            &[
                ("Пропуск не выдан.", "Propusk ne vydan."),
                ("Справки: служба ASAN 9108", "Spravki: sluzhba ASAN 9108"),
                ("шчщжхцюяыйеёэ", "shchshchzhkhtsyuyayyeee"),
                ("объявление, подъезд, выдаётся, Проверьте", "obyavlenie, podezd, vydaetsya, Proverte"),
                ("Жизнь Щука Юг Ёж Я", "Zhizn Shchuka Yug Ezh Ya"),
                ("ЖД ЩИТ ШУМ", "ZHD SHCHIT SHUM"),
                ("Ж", "Zh"),
                ("«Пропуск» – код…", "\"Propusk\" - kod..."),
                // Not Russian: other Cyrillic letters and Azerbaijani ones.
                ("Ғ Һ", "? ?"),
                ("İcazə", "Icaze"),
                ("plain", "plain"),
            ],
        );
    }

    proptest! {
        #[test]
        fn russian_to_basic_is_always_basic(s in any::<String>(), r in "[а-яА-ЯёЁ ,.:-]{0,40}") {
            prop_assert!(is_basic(&russian_to_basic(&s)));
            let basic = russian_to_basic(&r);
            prop_assert!(basic.is_ascii());
            prop_assert!(is_basic(&basic));
        }

        #[test]
        fn to_basic_is_always_basic(s in any::<String>()) {
            let basic = to_basic(&s);
            prop_assert!(is_basic(&basic));
            prop_assert_eq!(to_basic(&basic), basic.clone());
        }

        #[test]
        fn segments_grow_with_length(s in any::<String>()) {
            let n = segments(&s);
            prop_assert!(n >= 1);
            prop_assert!(n <= s.chars().count().max(1));
        }
    }
}
