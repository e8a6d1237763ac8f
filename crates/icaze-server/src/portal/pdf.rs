//! The printable permit certificate: a one-page A4 PDF with a heading, label/value lines,
//! the permit's QR code and its token text.
//!
//! The file is written by hand (PDF 1.4, no compression, no embedded fonts) so that the
//! server needs no PDF library: the whole document is a catalog, one page, three standard
//! Type 1 fonts and one content stream. The QR code is drawn as filled vector rectangles,
//! so it prints sharp at any resolution.
//!
//! # Fonts and the Azerbaijani alphabet
//!
//! The standard fonts (Helvetica, Helvetica-Bold, Courier) are used with
//! `WinAnsiEncoding`, which every PDF reader supports without an embedded font but which
//! lacks several Azerbaijani letters. Text is therefore transliterated ([`to_win_ansi`]):
//! `ö ü ç Ö Ü Ç` are kept (WinAnsi has them); `ə Ə` become `ä Ä`, the letter the 1991
//! Azerbaijani Latin alphabet used for that sound before `ə` returned in 1992, so a reader
//! still sees a distinct vowel; `ş Ş` become `s S`, `ğ Ğ` become `g G`, `ı` becomes `i` and
//! `İ` becomes `I`. Russian letters are written in a plain Latin transliteration
//! (`Пропуск` → `Propusk`). Any other character outside WinAnsi becomes `?`, and control
//! characters (a newline in a name, say) become spaces.
//!
//! # What is not checked
//!
//! Text is not measured with font metrics: values are wrapped at a fixed number of
//! characters, which suits the names, documents and dates of a certificate. At most
//! [`MAX_TEXT_LINES`] label/value lines are drawn (after wrapping) so that the QR code
//! always fits on the page; further lines are left out. If `qr_payload` cannot be encoded
//! at all (longer than a version 40 symbol holds), the page says so where the code would be.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};

/// What the certificate shows.
#[derive(Debug, Clone)]
pub struct Certificate<'a> {
    /// The title at the top of the page, e.g. `İcazə / Permit`.
    pub heading: &'a str,
    /// Label and value pairs, drawn one under the other in two columns.
    pub lines: Vec<(&'a str, String)>,
    /// The text to encode in the QR code: the token's QR form (decimal digits).
    pub qr_payload: &'a str,
    /// The token as text under the QR code (usually the SMS form, `IZ1…`), in Courier.
    pub token_text: &'a str,
}

/// A4 width in PDF points (1/72 inch): 210 mm.
const PAGE_WIDTH: f64 = 595.28;
/// A4 height in PDF points: 297 mm.
const PAGE_HEIGHT: f64 = 841.89;
/// Left margin of the text, 20 mm.
const MARGIN: f64 = 56.7;
/// Side of the QR code including its quiet zone, in points: 80 mm, so that even a
/// version 10 symbol (57 modules + 8 of quiet zone) gets modules of 1.2 mm.
const QR_SIDE: f64 = 226.8;
/// Width of the light border around the symbol, in modules, as the QR specification asks.
const QUIET_ZONE_MODULES: usize = 4;
/// Most label/value lines drawn, after wrapping; more would push the QR code off the page.
pub const MAX_TEXT_LINES: usize = 25;
/// Characters per wrapped value line (Helvetica 11 pt in the value column).
const VALUE_WRAP: usize = 56;
/// Characters per line of the token text (Courier 10 pt is 6 pt a character: 480 pt).
const TOKEN_WRAP: usize = 80;
/// Most lines of token text; 405 digits (the longest QR form) take six.
const MAX_TOKEN_LINES: usize = 6;

/// Writes the certificate as a complete PDF file.
///
/// The result always starts with `%PDF-1.4` and ends with `%%EOF`; it is plain 7-bit text
/// (bytes outside ASCII in strings are written as octal escapes).
pub fn certificate(c: &Certificate<'_>) -> Vec<u8> {
    let content = page_content(c);
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
             /Resources << /Font << /F1 4 0 R /F2 5 0 R /F3 6 0 R >> >> /Contents 7 0 R >>"
        ),
        font("Helvetica"),
        font("Helvetica-Bold"),
        font("Courier"),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Producer (Icaze) >>".to_string(),
    ];
    assemble(&objects, "/Root 1 0 R /Info 8 0 R")
}

/// A standard Type 1 font dictionary with WinAnsiEncoding.
fn font(name: &str) -> String {
    format!("<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>")
}

/// Joins numbered objects (1, 2, …) into a file with a cross-reference table and trailer.
fn assemble(objects: &[String], trailer: &str) -> Vec<u8> {
    // The second line is the customary comment with bytes above 127, which tells file
    // transfer tools that the file is binary; it is the only non-ASCII part of the file.
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (index, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", index + 1).as_bytes());
    }
    let xref_at = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        // Each entry is exactly 20 bytes: 10 digits, space, 5 digits, space, `n`, space, LF.
        let _ = writeln!(xref, "{offset:010} 00000 n ");
    }
    let _ = write!(xref, "trailer\n<< /Size {} {trailer} >>\nstartxref\n{xref_at}\n%%EOF\n", objects.len() + 1);
    out.extend_from_slice(xref.as_bytes());
    out
}

/// The page's content stream: text and the QR code's rectangles.
fn page_content(c: &Certificate<'_>) -> String {
    let mut s = String::new();
    let top = PAGE_HEIGHT - 60.0;
    text(&mut s, "F2", 20.0, MARGIN, top, c.heading);

    // Label/value lines, values wrapped; a wrapped value continues in the value column.
    let mut y = top - 34.0;
    let mut drawn = 0;
    'lines: for (label, value) in &c.lines {
        let chunks = wrap(&to_win_ansi(value), VALUE_WRAP);
        for (index, chunk) in chunks.iter().enumerate() {
            if drawn == MAX_TEXT_LINES {
                break 'lines;
            }
            if index == 0 {
                text(&mut s, "F2", 11.0, MARGIN, y, label);
            }
            text_win_ansi(&mut s, "F1", 11.0, MARGIN + 150.0, y, chunk);
            y -= 16.0;
            drawn += 1;
        }
    }

    // The QR code, centred, its quiet zone starting 12 pt below the last line.
    let qr_top = y - 12.0;
    let qr_left = (PAGE_WIDTH - QR_SIDE) / 2.0;
    let qr_bottom = qr_top - QR_SIDE;
    match QrCode::with_error_correction_level(c.qr_payload.as_bytes(), EcLevel::M) {
        Ok(code) => qr_rectangles(&mut s, &code, qr_left, qr_bottom),
        Err(_) => text(&mut s, "F2", 12.0, qr_left, qr_top - 40.0, "QR code unavailable: the token is too long"),
    }

    // The token text under the code, in Courier, wrapped by characters.
    let mut y = qr_bottom - 14.0;
    for chunk in wrap(&to_win_ansi(c.token_text), TOKEN_WRAP).iter().take(MAX_TOKEN_LINES) {
        text_win_ansi(&mut s, "F3", 10.0, MARGIN, y, chunk);
        y -= 12.0;
    }
    s
}

/// Draws every dark module as part of one path filled once, so that adjacent modules
/// merge into one shape without hairline seams; horizontal runs are one rectangle each.
fn qr_rectangles(s: &mut String, code: &QrCode, left: f64, bottom: f64) {
    let width = code.width();
    let colors = code.to_colors();
    let module = QR_SIDE / (width + 2 * QUIET_ZONE_MODULES) as f64;
    let origin_x = left + QUIET_ZONE_MODULES as f64 * module;
    let origin_top = bottom + QR_SIDE - QUIET_ZONE_MODULES as f64 * module;
    s.push_str("0 g\n");
    for (row, modules) in colors.chunks(width).enumerate() {
        let y = origin_top - (row + 1) as f64 * module;
        let mut column = 0;
        while column < modules.len() {
            if modules[column] != Color::Dark {
                column += 1;
                continue;
            }
            let start = column;
            while column < modules.len() && modules[column] == Color::Dark {
                column += 1;
            }
            let x = origin_x + start as f64 * module;
            let w = (column - start) as f64 * module;
            let _ = writeln!(s, "{x:.3} {y:.3} {w:.3} {module:.3} re");
        }
    }
    s.push_str("f\n");
}

/// Shows `value` (any Unicode text) at (x, y) in font `font` of `size` points.
fn text(s: &mut String, font: &str, size: f64, x: f64, y: f64, value: &str) {
    text_win_ansi(s, font, size, x, y, &to_win_ansi(value));
}

/// Shows text already in WinAnsi bytes.
fn text_win_ansi(s: &mut String, font: &str, size: f64, x: f64, y: f64, bytes: &[u8]) {
    let _ = writeln!(s, "BT /{font} {size} Tf {x:.2} {y:.2} Td ({}) Tj ET", escape(bytes));
}

/// Cuts `bytes` into pieces of at most `width` bytes, breaking after the last space of a
/// piece when there is one, and anywhere otherwise (a token has no spaces). An empty input
/// gives one empty line, so that a label with an empty value is still drawn.
fn wrap(bytes: &[u8], width: usize) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut rest = bytes;
    while rest.len() > width {
        let (head, _) = rest.split_at(width);
        let cut = match head.iter().rposition(|&b| b == b' ') {
            Some(space) if space > 0 => space + 1,
            _ => width,
        };
        let (line, tail) = rest.split_at(cut);
        lines.push(line.strip_suffix(b" ").unwrap_or(line).to_vec());
        rest = tail;
    }
    lines.push(rest.to_vec());
    lines
}

/// Writes WinAnsi bytes as the inside of a PDF literal string: `(`, `)` and `\` escaped,
/// bytes outside printable ASCII as three-digit octal escapes.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        match byte {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(char::from(byte));
            }
            0x20..=0x7E => out.push(char::from(byte)),
            _ => {
                let _ = write!(out, "\\{byte:03o}");
            }
        }
    }
    out
}

/// Transliterates text to WinAnsiEncoding (Windows-1252) bytes, as the module
/// documentation describes.
pub fn to_win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            ' '..='~' => out.push(ch as u8),
            // Latin-1 letters and signs are at the same codes in WinAnsi.
            '\u{A0}'..='\u{FF}' => out.push(ch as u32 as u8),
            'ə' => out.push(0xE4),
            'Ə' => out.push(0xC4),
            'ş' => out.push(b's'),
            'Ş' => out.push(b'S'),
            'ğ' => out.push(b'g'),
            'Ğ' => out.push(b'G'),
            'ı' => out.push(b'i'),
            'İ' => out.push(b'I'),
            '–' => out.push(0x96),
            '—' => out.push(0x97),
            '‘' => out.push(0x91),
            '’' => out.push(0x92),
            '“' => out.push(0x93),
            '”' => out.push(0x94),
            '…' => out.push(0x85),
            '€' => out.push(0x80),
            '№' => out.extend_from_slice(b"No"),
            c if c.is_control() => out.push(b' '),
            c => match cyrillic(c) {
                Some(latin) => out.extend_from_slice(latin.as_bytes()),
                None => out.push(b'?'),
            },
        }
    }
    out
}

/// A plain Latin transliteration of a Russian letter.
fn cyrillic(ch: char) -> Option<&'static str> {
    const LOWER: [&str; 32] = [
        "a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f", "kh",
        "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
    ];
    const UPPER: [&str; 32] = [
        "A", "B", "V", "G", "D", "E", "Zh", "Z", "I", "Y", "K", "L", "M", "N", "O", "P", "R", "S", "T", "U", "F", "Kh",
        "Ts", "Ch", "Sh", "Shch", "", "Y", "", "E", "Yu", "Ya",
    ];
    match ch {
        'а'..='я' => LOWER.get(ch as usize - 'а' as usize).copied(),
        'А'..='Я' => UPPER.get(ch as usize - 'А' as usize).copied(),
        'ё' => Some("yo"),
        'Ё' => Some("Yo"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The QR form of the worked example of docs/token-format.md §7 (197 digits).
    const DIGITS_197: &str = "05067680697357569661840089621548164772186126800232747933072212780158073784601490326781941556454020751021671933280623659601032297501990001393413537298265516602017987729846163869741020163172498649098";
    const SMS_FORM: &str = "IZ1EgEHW80VAesiAWgAIUCpises5lYXqkrgDjxkfho2q6AsJuZE-lpjiGGWTP6CLMmcK9WHkasdQtgxgQW1KKl_OvtyiLaZtjo33bpLUT2U7lwK";

    fn sample() -> Vec<u8> {
        certificate(&Certificate {
            heading: "İcazə / Permit (işçi)",
            lines: vec![
                ("Sənəd", "AZE11111111".to_string()),
                ("Ad", "Əliyev Şahin Ağa oğlu (\\test)".to_string()),
                ("Təşkilat", "Bakı Metropoliteni QSC".to_string()),
                ("Zonalar", "1, 2".to_string()),
                ("Etibarlıdır", "2020-12-14 00:00 – 2021-01-31 24:00 (Bakı vaxtı)".to_string()),
            ],
            qr_payload: DIGITS_197,
            token_text: SMS_FORM,
        })
    }

    /// Finds `needle` in `haystack` from `from` on.
    fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
        haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|at| at + from)
    }

    #[test]
    fn starts_and_ends_as_a_pdf() {
        let pdf = sample();
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
    }

    #[test]
    fn xref_offsets_point_at_their_objects() {
        let pdf = sample();
        let startxref = find(&pdf, b"startxref\n", 0).unwrap();
        let tail = std::str::from_utf8(&pdf[startxref + 10..]).unwrap();
        let xref_at: usize = tail.lines().next().unwrap().parse().unwrap();
        assert!(pdf[xref_at..].starts_with(b"xref\n0 9\n"));
        let table = std::str::from_utf8(&pdf[xref_at..startxref]).unwrap();
        let entries: Vec<&str> = table.lines().skip(2).take(9).collect();
        assert_eq!(entries[0], "0000000000 65535 f ");
        for (number, entry) in entries.iter().enumerate().skip(1) {
            assert_eq!(entry.len(), 19, "{entry:?}");
            assert!(entry.ends_with(" 00000 n "), "{entry:?}");
            let offset: usize = entry[..10].parse().unwrap();
            let header = format!("{number} 0 obj\n");
            assert!(pdf[offset..].starts_with(header.as_bytes()), "object {number} at {offset}");
        }
        assert!(table.contains("trailer\n<< /Size 9 /Root 1 0 R /Info 8 0 R >>"));
    }

    #[test]
    fn stream_length_is_exact() {
        let pdf = sample();
        let start = find(&pdf, b"7 0 obj\n<< /Length ", 0).unwrap() + 19;
        let end = find(&pdf, b" >>", start).unwrap();
        let length: usize = std::str::from_utf8(&pdf[start..end]).unwrap().parse().unwrap();
        let data = find(&pdf, b"stream\n", end).unwrap() + 7;
        assert_eq!(&pdf[data + length..data + length + 10], b"\nendstream");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(escape(b"a(b)c\\d"), "a\\(b\\)c\\\\d");
        assert_eq!(escape(&[0xE4, b'x', 0x0A]), "\\344x\\012");
        let pdf = String::from_utf8_lossy(&sample()).into_owned();
        assert!(pdf.contains("(\\304liyev Sahin Aga oglu \\(\\\\test\\)) Tj"), "{pdf}");
        assert!(pdf.contains("(Icaz\\344 / Permit \\(is\\347i\\)) Tj"));
    }

    #[test]
    fn azerbaijani_and_russian_are_transliterated() {
        assert_eq!(to_win_ansi("İcazə"), b"Icaz\xE4");
        assert_eq!(to_win_ansi("Şəki, Gəncə, Ağdaş, Bakı"), b"S\xE4ki, G\xE4nc\xE4, Agdas, Baki");
        assert_eq!(to_win_ansi("Göyçay Ümid Çingiz Ə"), b"G\xF6y\xE7ay \xDCmid \xC7ingiz \xC4");
        assert_eq!(to_win_ansi("Пропуск №5"), b"Propusk No5");
        assert_eq!(to_win_ansi("Щука ёж"), b"Shchuka yozh");
        assert_eq!(to_win_ansi("a\nb\u{4E2D}"), b"a b?");
    }

    #[test]
    fn long_values_wrap_at_spaces_and_tokens_anywhere() {
        assert_eq!(wrap(b"", 5), vec![Vec::<u8>::new()]);
        assert_eq!(wrap(b"abc def ghi", 8), vec![b"abc def".to_vec(), b"ghi".to_vec()]);
        assert_eq!(wrap(b"abcdefghij", 4), vec![b"abcd".to_vec(), b"efgh".to_vec(), b"ij".to_vec()]);
        let pdf = String::from_utf8_lossy(&sample()).into_owned();
        // The 111-character token is cut after 80 characters.
        assert!(pdf.contains(&format!("({}) Tj", &SMS_FORM[..80])));
        assert!(pdf.contains(&format!("({}) Tj", &SMS_FORM[80..])));
    }

    #[test]
    fn too_many_lines_are_capped() {
        let many: Vec<(&str, String)> = (0..40).map(|i| ("Line", format!("value {i}"))).collect();
        let pdf = certificate(&Certificate { heading: "H", lines: many, qr_payload: "123", token_text: "123" });
        let text = String::from_utf8_lossy(&pdf).into_owned();
        assert!(text.contains("(value 24) Tj"));
        assert!(!text.contains("(value 25) Tj"));
    }

    #[test]
    fn unencodable_payload_says_so() {
        let payload = "x".repeat(3000);
        let pdf = certificate(&Certificate { heading: "H", lines: vec![], qr_payload: &payload, token_text: "t" });
        assert!(String::from_utf8_lossy(&pdf).contains("QR code unavailable"));
    }

    /// Renders a PDF with poppler's `pdftoppm` at `dpi`, as a printer or a photo would, and
    /// returns the PNG of the page.
    fn render(pdf: &[u8], dpi: u32) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let pdf_path = dir.path().join("certificate.pdf");
        std::fs::write(&pdf_path, pdf).unwrap();
        let status = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", &dpi.to_string(), "-singlefile"])
            .arg(&pdf_path)
            .arg(dir.path().join("page"))
            .status()
            .expect("pdftoppm (Debian package poppler-utils) must be installed to run this test");
        assert!(status.success(), "pdftoppm failed on the certificate");
        std::fs::read(dir.path().join("page.png")).unwrap()
    }

    /// The test that matters: poppler renders the file and the QR code on the bitmap
    /// decodes to the payload. Needs `pdftoppm` (Debian package poppler-utils).
    #[test]
    fn rendered_page_scans_back_to_the_payload() {
        // 100 dpi is a modest printer or a phone photo of the page: modules of about 8 px.
        let png = render(&sample(), 100);
        // A4 at 100 dpi is 826.8 x 1169.3 px, which poppler rounds up.
        let (width, height) = image_size(&png);
        assert!((827..=828).contains(&width) && (1169..=1170).contains(&height), "{width}x{height}");
        assert_eq!(icaze_qr::decode_image(&png).unwrap(), vec![DIGITS_197.to_string()]);
    }

    /// The longest QR form a token can have (405 digits, version 9) still scans at 100 dpi.
    #[test]
    fn longest_payload_scans_back_too() {
        let digits: String = (0..405).map(|i| char::from(b'0' + (i * 7 % 10) as u8)).collect();
        let lines = vec![("Document", "AZE11111111".to_string())];
        let pdf = certificate(&Certificate { heading: "Permit", lines, qr_payload: &digits, token_text: &digits });
        assert_eq!(icaze_qr::decode_image(&render(&pdf, 100)).unwrap(), vec![digits.clone()]);
        // The token text under the code is wrapped into six lines of Courier.
        let text = String::from_utf8_lossy(&pdf).into_owned();
        assert!(text.contains(&format!("({}) Tj", &digits[400..])));
    }

    /// Width and height from a PNG's IHDR chunk.
    fn image_size(png: &[u8]) -> (u32, u32) {
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        (width, height)
    }

    #[test]
    fn qr_is_at_least_50_mm_and_has_its_quiet_zone() {
        let code = QrCode::with_error_correction_level(DIGITS_197.as_bytes(), EcLevel::M).unwrap();
        let module = QR_SIDE / (code.width() + 2 * QUIET_ZONE_MODULES) as f64;
        let symbol_mm = module * code.width() as f64 / 72.0 * 25.4;
        assert!(symbol_mm >= 50.0, "{symbol_mm} mm");
        // The QR area lies within the page and below the last text line.
        let qr_bottom = PAGE_HEIGHT - 60.0 - 34.0 - 16.0 * MAX_TEXT_LINES as f64 - 12.0 - QR_SIDE;
        assert!(qr_bottom - 14.0 - 12.0 * (MAX_TOKEN_LINES - 1) as f64 > 20.0);
    }
}
