//! How many SMS segments a text takes (3GPP TS 23.038 and 23.040).
//!
//! A text of GSM 03.38 characters is sent in the 7-bit default alphabet:
//! 160 septets fit one SMS, and a longer text is split into segments of 153
//! septets (7 octets go to the concatenation header). A character of the
//! extension table (`^ { } \ [ ~ ] |`, `€` and form feed) takes two septets,
//! an escape and the character, and the pair is never split across segments.
//! A text with any other character is sent as UCS-2: 70 UTF-16 units in one
//! SMS, 67 per segment when longer, a surrogate pair never split.
//!
//! Not modelled: national language shift tables, and senders that replace
//! characters (e.g. `ç` by `Ç`) to stay in GSM-7.

/// The basic character set, in code order 0x00..=0x7F without the escape (0x1B).
pub const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: each of these takes an escape septet and its own.
pub const GSM_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// How a text is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// GSM 7-bit default alphabet (with its extension table).
    Gsm7,
    /// UCS-2 (UTF-16 units).
    Ucs2,
}

/// The length of a text as an SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsLength {
    /// The encoding the text needs.
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 units (UCS-2).
    pub units: usize,
    /// Segments; an empty text is still one (empty) SMS.
    pub segments: usize,
}

/// Whether every character is in the basic set: no escapes, no UCS-2.
pub fn is_gsm_basic(text: &str) -> bool {
    text.chars().all(|c| GSM_BASIC.contains(c))
}

/// Septets a character takes in GSM-7, or `None` if it is not in GSM 03.38.
fn septets(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Segments for characters of the given widths: everything in one SMS if it
/// fits `single`, otherwise greedily `multi` units per segment, never
/// splitting a character.
fn segments(widths: &[usize], single: usize, multi: usize) -> usize {
    if widths.iter().sum::<usize>() <= single {
        return 1;
    }
    let mut count = 1;
    let mut used = 0;
    for &w in widths {
        if used + w > multi {
            count += 1;
            used = 0;
        }
        used += w;
    }
    count
}

/// The encoding, length and segment count of `text` as an SMS.
pub fn measure(text: &str) -> SmsLength {
    if let Some(widths) = text.chars().map(septets).collect::<Option<Vec<_>>>() {
        return SmsLength {
            encoding: Encoding::Gsm7,
            units: widths.iter().sum(),
            segments: segments(&widths, 160, 153),
        };
    }
    let widths: Vec<usize> = text.chars().map(char::len_utf16).collect();
    SmsLength { encoding: Encoding::Ucs2, units: widths.iter().sum(), segments: segments(&widths, 70, 67) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_have_the_standard_sizes() {
        assert_eq!(GSM_BASIC.chars().count(), 127);
        assert_eq!(GSM_EXTENSION.chars().count(), 10);
        let mut all: Vec<char> = GSM_BASIC.chars().chain(GSM_EXTENSION.chars()).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 137, "no character is in both tables or twice in one");
    }

    #[test]
    fn gsm7_boundaries() {
        let m = |n| measure(&"a".repeat(n));
        assert_eq!(m(0).segments, 1);
        assert_eq!(m(160), SmsLength { encoding: Encoding::Gsm7, units: 160, segments: 1 });
        assert_eq!(m(161).segments, 2);
        assert_eq!(m(306).segments, 2);
        assert_eq!(m(307).segments, 3);
    }

    #[test]
    fn extension_characters_count_twice_and_are_not_split() {
        assert_eq!(measure("{}").units, 4);
        assert_eq!(measure(&"^".repeat(80)).segments, 1);
        assert_eq!(measure(&"^".repeat(81)).segments, 2);
        // 152 septets, an escape pair, 152 septets: 306 fit two segments of
        // 153 only if the pair were split, so the pair moves whole to the
        // second segment and the last character spills into a third.
        let text = format!("{}[{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(measure(&text), SmsLength { encoding: Encoding::Gsm7, units: 306, segments: 3 });
        assert!(!is_gsm_basic("a[b"));
        assert!(is_gsm_basic("HC1:6BF+70790T9WJWG.FKY*4GO0.O1CV2"));
    }

    #[test]
    fn one_character_outside_gsm_switches_to_ucs2() {
        assert_eq!(measure("Salam, Əli").encoding, Encoding::Ucs2);
        assert_eq!(measure(&"ə".repeat(70)).segments, 1);
        assert_eq!(measure(&"ə".repeat(71)).segments, 2);
        assert_eq!(measure(&"ə".repeat(134)).segments, 2);
        assert_eq!(measure(&"ə".repeat(135)).segments, 3);
        // A backtick is ASCII but not GSM.
        assert_eq!(measure("`").encoding, Encoding::Ucs2);
        // An emoji is a surrogate pair: two units, never split.
        let text = format!("{}😀", "ə".repeat(66));
        assert_eq!(measure(&text), SmsLength { encoding: Encoding::Ucs2, units: 68, segments: 1 });
        let text = format!("{}😀", "ə".repeat(69));
        assert_eq!(measure(&text), SmsLength { encoding: Encoding::Ucs2, units: 71, segments: 2 });
    }

    #[test]
    fn the_icaze_sms_form_is_one_basic_segment() {
        let text = crate::Fixture::new().token.to_text();
        assert!(is_gsm_basic(&text));
        assert_eq!(measure(&text), SmsLength { encoding: Encoding::Gsm7, units: 111, segments: 1 });
    }
}
