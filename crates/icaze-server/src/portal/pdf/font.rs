//! An embedded TrueType font: each certificate carries a subset of DejaVu Sans holding
//! only the glyphs it shows, written as a Type 0 font with a CIDFontType2 descendant,
//! `Identity-H` encoding and a `ToUnicode` CMap, so that every reader draws the same
//! letters and text extraction (copy, search, `pdftotext`) gives back the Unicode text.
//!
//! The files in `crates/icaze-server/fonts/` are already cut down to the characters a
//! certificate needs (`fonts/subset.sh`: Latin with Azerbaijani ə ğ ı İ ş, Cyrillic,
//! punctuation); [`subsetter`] then keeps, per certificate, only the glyphs used.
//!
//! A character the font lacks is drawn as U+FFFD (a question mark in a diamond) and
//! extracted as U+FFFD, and a control character as a space: no text can make it fail.
//! Characters are mapped one to one to glyphs: there is no shaping, kerning or
//! composition of combining marks (none is needed for Azerbaijani, Russian or English
//! written with precomposed letters; a decomposed `e` + U+0301 shows `e` and U+FFFD).

use std::fmt::Write as _;

use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

/// DejaVu Sans, subset by `fonts/subset.sh`.
pub(super) const REGULAR: &[u8] = include_bytes!("../../../fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold, subset by `fonts/subset.sh`.
pub(super) const BOLD: &[u8] = include_bytes!("../../../fonts/DejaVuSans-Bold.ttf");

/// The number of PDF objects [`Font::objects`] writes.
pub(super) const OBJECTS: usize = 5;

/// Why a certificate could not be written: only a broken font file compiled into the
/// server can cause it, which the unit tests would catch.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FontError {
    /// The compiled-in font does not parse.
    #[error("the font {0} does not parse as TrueType: {1}")]
    Parse(&'static str, String),
    /// The subsetter refused the font.
    #[error("the font {0} cannot be subset: {1}")]
    Subset(&'static str, String),
}

/// A font being used on one page: the glyphs shown so far and what they stand for.
pub(super) struct Font {
    /// The PostScript name, e.g. `DejaVuSans-Bold`.
    name: &'static str,
    data: &'static [u8],
    face: Face<'static>,
    /// Old glyph id to new (the subset's), in the order of first use; new ids are the CIDs.
    remapper: GlyphRemapper,
    /// Invariant: `shown[cid]` is the character first drawn with the glyph of that CID
    /// (None for .notdef), one entry for every glyph in `remapper`.
    shown: Vec<Option<char>>,
    /// The glyph drawn for a character the font lacks: U+FFFD's, or `?`'s, or .notdef.
    replacement: (GlyphId, char),
}

impl Font {
    /// Reads a TrueType font file; `name` is its PostScript name for the PDF.
    pub(super) fn new(name: &'static str, data: &'static [u8]) -> Result<Self, FontError> {
        let face = Face::parse(data, 0).map_err(|e| FontError::Parse(name, e.to_string()))?;
        let replacement = ['\u{FFFD}', '?']
            .into_iter()
            .find_map(|ch| face.glyph_index(ch).filter(|g| g.0 != 0).map(|g| (g, ch)))
            .unwrap_or((GlyphId(0), '\u{FFFD}'));
        // The remapper starts with .notdef as glyph 0, which every font must keep.
        Ok(Font { name, data, face, remapper: GlyphRemapper::new(), shown: vec![None], replacement })
    }

    /// The glyph drawn for `ch`, and the character it is extracted as.
    fn glyph(&self, ch: char) -> (GlyphId, char) {
        let ch = if ch.is_control() { ' ' } else { ch };
        match self.face.glyph_index(ch) {
            Some(glyph) if glyph.0 != 0 => (glyph, ch),
            _ => self.replacement,
        }
    }

    /// Font units as thousandths of the font size, the unit of PDF font metrics.
    fn thousandths(&self, units: f64) -> f64 {
        units * 1000.0 / f64::from(self.face.units_per_em().max(1))
    }

    /// The advance of `glyph` in whole thousandths of the font size, exactly as the PDF's
    /// `/W` gives it, so that text is measured as readers will place it.
    fn advance(&self, glyph: GlyphId) -> f64 {
        self.thousandths(f64::from(self.face.glyph_hor_advance(glyph).unwrap_or(0))).round()
    }

    /// The width of `text` at `size` points.
    pub(super) fn width(&self, text: &str, size: f64) -> f64 {
        text.chars().map(|ch| self.advance(self.glyph(ch).0)).sum::<f64>() * size / 1000.0
    }

    /// `text` as a PDF hex string of two-byte CIDs, its glyphs added to the subset.
    pub(super) fn encode(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(2 + 4 * text.len());
        out.push('<');
        for ch in text.chars() {
            let (glyph, shown) = self.glyph(ch);
            // Invariant: the remapper panics past 65,536 glyphs; the font has fewer than
            // 500 (`fonts/subset.sh`), and each is given one id only.
            let cid = self.remapper.remap(glyph.0);
            if usize::from(cid) == self.shown.len() {
                self.shown.push(Some(shown));
            }
            let _ = write!(out, "{cid:04X}");
        }
        out.push('>');
        out
    }

    /// The font's five objects, numbered from `first`: the Type 0 font (the one a page's
    /// resources name), its CIDFontType2, the descriptor, the subset font file and the
    /// `ToUnicode` CMap.
    pub(super) fn objects(&self, first: usize) -> Result<[Vec<u8>; OBJECTS], FontError> {
        let [cid_font, descriptor, file, to_unicode] = [first + 1, first + 2, first + 3, first + 4];
        let subset = subsetter::subset(self.data, 0, &self.remapper)
            .map_err(|e| FontError::Subset(self.name, format!("{e:?}")))?;
        let base = format!("{}+{}", self.tag(), self.name);
        let scale = |units: i16| self.thousandths(f64::from(units));
        let bbox = self.face.global_bounding_box();
        // The widths of CIDs 0, 1, …: the glyphs in the order they were first used.
        let mut widths = String::new();
        for glyph in self.remapper.remapped_gids() {
            let _ = write!(widths, "{} ", self.advance(GlyphId(glyph)));
        }
        Ok([
            format!(
                "<< /Type /Font /Subtype /Type0 /BaseFont /{base} /Encoding /Identity-H \
                 /DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
            )
            .into_bytes(),
            format!(
                "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base} \
                 /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
                 /FontDescriptor {descriptor} 0 R /CIDToGIDMap /Identity /W [0 [{}]] >>",
                widths.trim_end()
            )
            .into_bytes(),
            format!(
                "<< /Type /FontDescriptor /FontName /{base} /Flags 32 \
                 /FontBBox [{:.0} {:.0} {:.0} {:.0}] /ItalicAngle 0 /Ascent {:.0} /Descent {:.0} \
                 /CapHeight {:.0} /StemV 80 /FontFile2 {file} 0 R >>",
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
                scale(self.face.ascender()),
                scale(self.face.descender()),
                scale(self.face.capital_height().unwrap_or(self.face.ascender())),
            )
            .into_bytes(),
            super::stream(&format!("/Length1 {}", subset.len()), &subset),
            super::stream("", self.to_unicode().as_bytes()),
        ])
    }

    /// Six capital letters naming this subset, as PDF asks before a subset's font name:
    /// derived from the glyphs kept, so that the same text gives the same file.
    fn tag(&self) -> String {
        // FNV-1a over the kept glyph ids.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for glyph in self.remapper.remapped_gids() {
            for byte in glyph.to_be_bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        (0..6).map(|i| char::from(b'A' + ((hash >> (i * 8)) % 26) as u8)).collect()
    }

    /// The CMap from CIDs to the Unicode text they were drawn for, in blocks of at most
    /// 100 entries as the CMap format allows.
    fn to_unicode(&self) -> String {
        let entries: Vec<(usize, char)> =
            self.shown.iter().enumerate().filter_map(|(cid, ch)| ch.map(|ch| (cid, ch))).collect();
        let mut s = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        for block in entries.chunks(100) {
            let _ = writeln!(s, "{} beginbfchar", block.len());
            for (cid, ch) in block {
                let _ = write!(s, "<{cid:04X}> <");
                for unit in ch.encode_utf16(&mut [0; 2]) {
                    let _ = write!(s, "{unit:04X}");
                }
                s.push_str(">\n");
            }
            s.push_str("endbfchar\n");
        }
        s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fonts_have_every_letter_of_azerbaijani_and_russian() {
        let alphabets = "ABCÇDEƏFGĞHXIİJKQLMNOÖPRSŞTUÜVYZ abcçdeəfgğhxıijkqlmnoöprsştuüvyz \
                         АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ абвгдеёжзийклмнопрстуфхцчшщъыьэюя \
                         0123456789 .,:;!?()[]/-–—«»“”‘’…№";
        for (name, data) in [("DejaVuSans", REGULAR), ("DejaVuSans-Bold", BOLD)] {
            let font = Font::new(name, data).unwrap();
            assert_eq!(font.replacement.1, '\u{FFFD}');
            for ch in alphabets.chars() {
                let (glyph, shown) = font.glyph(ch);
                assert!(glyph != font.replacement.0 && shown == ch, "{name} lacks {ch:?}");
            }
        }
    }

    #[test]
    fn lacking_and_control_characters_are_replaced() {
        let mut font = Font::new("DejaVuSans", REGULAR).unwrap();
        assert_eq!(font.glyph('中'), font.replacement);
        assert_eq!(font.glyph('\u{1F600}').1, '\u{FFFD}');
        assert_eq!(font.glyph('\n').1, ' ');
        // Each new glyph gets the next CID; a glyph seen before keeps its CID.
        let first = font.encode("aə中");
        let again = font.encode("a\u{10FFFF}");
        assert_eq!((first.as_str(), again.as_str()), ("<000100020003>", "<00010003>"));
        let cmap = font.to_unicode();
        assert!(cmap.contains("3 beginbfchar\n<0001> <0061>\n<0002> <0259>\n<0003> <FFFD>\n"), "{cmap}");
    }

    #[test]
    fn widths_are_the_fonts() {
        let font = Font::new("DejaVuSans", REGULAR).unwrap();
        // DejaVu Sans: `a` is 1255 of 2048 units, 613 thousandths; a 10-point `aa` is
        // 12.26 points wide.
        assert_eq!(font.advance(font.glyph('a').0), 613.0);
        assert!((font.width("aa", 10.0) - 12.26).abs() < 1e-9);
        assert_eq!(font.width("", 10.0), 0.0);
    }

    #[test]
    fn the_subset_holds_only_what_was_shown() {
        let mut font = Font::new("DejaVuSans", REGULAR).unwrap();
        font.encode("Rəşad Əliyev");
        let objects = font.objects(7).unwrap();
        let file = String::from_utf8_lossy(&objects[3]).into_owned();
        let length1: usize = file.split("/Length1 ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        // About 11 of 37 kB: most of what is left is the license text in the `name` table,
        // which the license asks every copy of the font to carry.
        assert!(length1 < REGULAR.len() / 3, "{length1} bytes of {}", REGULAR.len());
        let type0 = String::from_utf8_lossy(&objects[0]).into_owned();
        assert!(type0.contains("/DescendantFonts [8 0 R] /ToUnicode 11 0 R"), "{type0}");
        // .notdef and the twelve different glyphs, in the order of first use.
        let cid_font = String::from_utf8_lossy(&objects[1]).into_owned();
        let widths = cid_font.split("/W [0 [").nth(1).unwrap().split(']').next().unwrap();
        let expected: Vec<String> = std::iter::once(font.advance(GlyphId(0)))
            .chain(
                "Rəşad Əliyev"
                    .chars()
                    .scan(String::new(), |seen, ch| {
                        let new = !seen.contains(ch);
                        seen.push(ch);
                        Some(new.then(|| font.advance(font.glyph(ch).0)))
                    })
                    .flatten(),
            )
            .map(|w| w.to_string())
            .collect();
        assert_eq!(expected.len(), 13);
        assert_eq!(widths, expected.join(" "), "{cid_font}");
    }
}
