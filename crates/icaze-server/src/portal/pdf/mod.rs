//! The printable permit certificate: a one-page A4 PDF with a heading, label/value lines,
//! the permit's QR code and its token text, in Azerbaijani, Russian or English.
//!
//! The file is written by hand (PDF 1.4) so that the server needs no PDF library: a
//! catalog, one page, one content stream, the standard Courier font for the token, and
//! two embedded fonts ([`font`]: subsets of DejaVu Sans and DejaVu Sans Bold, with a
//! `ToUnicode` CMap) for every other text, so that names keep their letters (`Rəşad
//! Əliyev`, `Bakı`, `Пропуск`) on the page and when the text is copied or extracted.
//! Streams are compressed with Flate. The QR code is drawn as filled vector rectangles,
//! so it prints sharp at any resolution.
//!
//! # What is not checked
//!
//! Values are wrapped by the fonts' advance widths at spaces (inside a word only when the
//! word alone is too wide); there is no kerning, shaping or hyphenation, none of which
//! Azerbaijani, Russian or English needs. At most [`MAX_TEXT_LINES`] label/value lines are
//! drawn (after wrapping) so that the QR code always fits on the page; further lines, and
//! so the end of a very long value, are left out, as is the end of a heading longer than
//! one line. The labels and headings of [`labels`] fit their columns (a test measures
//! them). A character the fonts lack is drawn as U+FFFD, a control character as a space.
//! The token is written in Courier: characters outside printable ASCII (a token has none)
//! become `?`. If `qr_payload` cannot be encoded at all (longer than a version 40 symbol
//! holds), the page says so where the code would be.

mod font;
pub mod labels;

use std::fmt::Write as _;

use icaze_core::UtcMinute;
use qrcode::{Color, EcLevel, QrCode};

use font::Font;
pub use font::FontError;
use labels::{Label, Lang};

use super::Printable;
use crate::regime::Zone;

/// What the certificate shows.
#[derive(Debug, Clone)]
pub struct Certificate<'a> {
    /// The language of the words the page adds itself (the QR code's absence).
    pub lang: Lang,
    /// The title at the top of the page, e.g. `İcazə: iş`.
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
/// Where the values start, from the left margin: the labels' column.
const LABEL_COLUMN: f64 = 150.0;
/// The width of the value column, to the right margin.
const VALUE_WIDTH: f64 = PAGE_WIDTH - 2.0 * MARGIN - LABEL_COLUMN;
/// Size of the heading, in points.
const HEADING_SIZE: f64 = 20.0;
/// Size of labels and values, in points.
const TEXT_SIZE: f64 = 11.0;
/// Side of the QR code including its quiet zone, in points: 80 mm, so that even a
/// version 10 symbol (57 modules + 8 of quiet zone) gets modules of 1.2 mm.
const QR_SIDE: f64 = 226.8;
/// Width of the light border around the symbol, in modules, as the QR specification asks.
const QUIET_ZONE_MODULES: usize = 4;
/// Most label/value lines drawn, after wrapping; more would push the QR code off the page.
pub const MAX_TEXT_LINES: usize = 25;
/// Characters per line of the token text (Courier 10 pt is 6 pt a character: 480 pt).
const TOKEN_WRAP: usize = 80;
/// Most lines of token text; 405 digits (the longest QR form) take six.
const MAX_TOKEN_LINES: usize = 6;

/// The certificate of a permit, in `lang`.
pub fn permit_certificate(printable: &Printable, qr_payload: &str, lang: Lang) -> Result<Vec<u8>, FontError> {
    let (permit, e, org) = (&printable.permit, &printable.employee, &printable.org);
    let heading = lang.text(if printable.trip { Label::TripHeading } else { Label::WorkHeading });
    let label = |l| lang.text(l);
    let mut lines = vec![
        (label(Label::Document), e.document.clone()),
        (label(Label::Name), e.name.clone()),
        (label(Label::Position), e.position.clone()),
        (label(Label::Organisation), format!("{} ({} {})", org.name, label(Label::TaxId), org.tax_id)),
        (label(Label::Zones), zone_list(&printable.zones, lang)),
        (label(Label::Validity), validity(permit.valid_from, permit.valid_until, lang)),
        (label(Label::Serial), permit.serial.to_string()),
    ];
    if let Some(plate) = &e.plate {
        lines.push((label(Label::Vehicle), plate.clone()));
    }
    certificate(&Certificate { lang, heading, lines, qr_payload, token_text: &permit.token })
}

/// The zones as the portal page lists them, `Bakı (1), Sumqayıt (2)`, each named in `lang`
/// (the id alone for a zone the regime does not name).
fn zone_list(zones: &[(u16, Option<Zone>)], lang: Lang) -> String {
    let names: Vec<String> = zones
        .iter()
        .map(|(id, zone)| match zone {
            Some(zone) => {
                let name = match lang {
                    Lang::Az => &zone.az,
                    Lang::Ru => &zone.ru,
                    Lang::En => &zone.en,
                };
                format!("{name} ({id})")
            }
            None => id.to_string(),
        })
        .collect();
    names.join(", ")
}

/// The validity period, `14.12.2020 00:00 – 01.02.2021 00:00 (Bakı vaxtı)`.
///
/// # The end of validity: one convention everywhere
///
/// A permit is valid in the half-open interval [`valid_from`, `valid_until`): `until` is
/// the first minute at which it is no longer valid. The certificate shows that instant
/// itself, in Baku time, exactly as the officer's device does (`ui/src/time.ts`,
/// `validityWindow(valid_from, valid_until)` on the Result screen) and as the portal page
/// does (`bakuTime(permit.valid_until)`, the same `dd.mm.yyyy HH:MM`). A work permit
/// through 31 January therefore ends `01.02.2021 00:00`, never `31.01.2021 23:59` or
/// `24:00`, so that paper, page and device never differ by a minute.
fn validity(from: UtcMinute, until: UtcMinute, lang: Lang) -> String {
    format!("{} – {} ({})", baku_text(from), baku_text(until), lang.text(Label::BakuTime))
}

/// An instant as `dd.mm.yyyy HH:MM` in Baku time.
fn baku_text(t: UtcMinute) -> String {
    // `BakuTime` displays as `yyyy-mm-dd HH:MM`, with more year digits after 9999.
    let text = t.baku().to_string();
    let Some((date, time)) = text.split_once(' ') else { return text };
    let mut parts = date.rsplitn(3, '-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(day), Some(month), Some(year)) => format!("{day}.{month}.{year} {time}"),
        _ => text,
    }
}

/// Writes the certificate as a complete PDF file.
///
/// The result starts with `%PDF-1.4` and ends with `%%EOF`. The only error is a font
/// compiled into the server that does not read (which the unit tests rule out): no text
/// in `c` can make it fail or panic.
pub fn certificate(c: &Certificate<'_>) -> Result<Vec<u8>, FontError> {
    let mut page = Page {
        content: String::new(),
        regular: Font::new("DejaVuSans", font::REGULAR)?,
        bold: Font::new("DejaVuSans-Bold", font::BOLD)?,
    };
    page.draw(c);
    // Objects 1 to 6, then each embedded font's five.
    const REGULAR: usize = 7;
    const BOLD: usize = REGULAR + font::OBJECTS;
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
             /Resources << /Font << /F1 {REGULAR} 0 R /F2 {BOLD} 0 R /F3 6 0 R >> >> /Contents 4 0 R >>"
        )
        .into_bytes(),
        stream("", page.content.as_bytes()),
        b"<< /Producer (Icaze) >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>".to_vec(),
    ];
    objects.extend(page.regular.objects(REGULAR)?);
    objects.extend(page.bold.objects(BOLD)?);
    Ok(assemble(&objects, "/Root 1 0 R /Info 5 0 R"))
}

/// A stream object compressed with Flate; `extra` is added to its dictionary.
fn stream(extra: &str, data: &[u8]) -> Vec<u8> {
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(data, 9);
    let space = if extra.is_empty() { "" } else { " " };
    let mut out = format!("<< /Length {} /Filter /FlateDecode{space}{extra} >>\nstream\n", packed.len()).into_bytes();
    out.extend_from_slice(&packed);
    out.extend_from_slice(b"\nendstream");
    out
}

/// Joins numbered objects (1, 2, …) into a file with a cross-reference table and trailer.
fn assemble(objects: &[Vec<u8>], trailer: &str) -> Vec<u8> {
    // The second line is the customary comment with bytes above 127, which tells file
    // transfer tools that the file is binary.
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (index, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", index + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
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

/// The page being drawn: its content stream and the fonts whose glyphs it uses.
struct Page {
    content: String,
    /// `/F1`.
    regular: Font,
    /// `/F2`.
    bold: Font,
}

impl Page {
    /// Text and the QR code's rectangles.
    fn draw(&mut self, c: &Certificate<'_>) {
        let top = PAGE_HEIGHT - 60.0;
        // One line of heading: the end of a heading too long for it is left out.
        let heading = wrap(&self.bold, c.heading, HEADING_SIZE, PAGE_WIDTH - 2.0 * MARGIN, 1);
        self.text(true, HEADING_SIZE, MARGIN, top, heading.first().map_or("", String::as_str));

        // Label/value lines, values wrapped; a wrapped value continues in the value column.
        let mut y = top - 34.0;
        let mut drawn = 0;
        for (label, value) in &c.lines {
            let chunks = wrap(&self.regular, value, TEXT_SIZE, VALUE_WIDTH, MAX_TEXT_LINES - drawn);
            for (index, chunk) in chunks.iter().enumerate() {
                if index == 0 {
                    self.text(true, TEXT_SIZE, MARGIN, y, label);
                }
                self.text(false, TEXT_SIZE, MARGIN + LABEL_COLUMN, y, chunk);
                y -= 16.0;
                drawn += 1;
            }
            if drawn == MAX_TEXT_LINES {
                break;
            }
        }

        // The QR code, centred, its quiet zone starting 12 pt below the last line.
        let qr_top = y - 12.0;
        let qr_left = (PAGE_WIDTH - QR_SIDE) / 2.0;
        let qr_bottom = qr_top - QR_SIDE;
        match QrCode::with_error_correction_level(c.qr_payload.as_bytes(), EcLevel::M) {
            Ok(code) => qr_rectangles(&mut self.content, &code, qr_left, qr_bottom),
            Err(_) => self.text(true, 12.0, MARGIN, qr_top - 40.0, c.lang.text(Label::QrUnavailable)),
        }

        // The token text under the code, in Courier, wrapped by characters.
        let token: Vec<u8> =
            c.token_text.chars().map(|ch| if matches!(ch, ' '..='~') { ch as u8 } else { b'?' }).collect();
        let mut y = qr_bottom - 14.0;
        for chunk in token.chunks(TOKEN_WRAP).take(MAX_TOKEN_LINES) {
            let _ = writeln!(self.content, "BT /F3 10 Tf {MARGIN:.2} {y:.2} Td ({}) Tj ET", escape(chunk));
            y -= 12.0;
        }
    }

    /// Shows `value` (any Unicode text) at (x, y), in bold or regular, at `size` points.
    fn text(&mut self, bold: bool, size: f64, x: f64, y: f64, value: &str) {
        let (name, font) = if bold { ("F2", &mut self.bold) } else { ("F1", &mut self.regular) };
        let glyphs = font.encode(value);
        let _ = writeln!(self.content, "BT /{name} {size} Tf {x:.2} {y:.2} Td {glyphs} Tj ET");
    }
}

/// Cuts `text` into at most `max` lines no wider than `width` points at `size` in `font`,
/// breaking at the last space that fits, and inside a word only when the word alone is
/// too wide; spaces at a break are dropped. An empty text gives one empty line, so that a
/// label with an empty value is still drawn. Reads no more of `text` than the lines hold.
fn wrap(font: &Font, text: &str, size: f64, width: f64, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0.0;
    for ch in text.chars() {
        if lines.len() == max {
            return lines;
        }
        let ch = if ch.is_control() { ' ' } else { ch };
        if ch == ' ' && line.is_empty() && !lines.is_empty() {
            // A continued line starts with the next word.
            continue;
        }
        let advance = font.width(ch.encode_utf8(&mut [0; 4]), size);
        if line_width + advance > width && !line.is_empty() {
            if ch == ' ' {
                // The space at a break is dropped.
                push_trimmed(&mut lines, std::mem::take(&mut line));
                line_width = 0.0;
                continue;
            }
            // Break after the line's last space, carrying the word begun to the next line,
            // or, for a word alone wider than a line, before this character.
            let rest = match line.rfind(' ') {
                Some(space) if space > 0 => line.split_off(space + 1),
                _ => String::new(),
            };
            push_trimmed(&mut lines, std::mem::replace(&mut line, rest));
            line_width = font.width(&line, size);
            if lines.len() == max {
                return lines;
            }
            if line_width + advance > width && !line.is_empty() {
                push_trimmed(&mut lines, std::mem::take(&mut line));
                line_width = 0.0;
                if lines.len() == max {
                    return lines;
                }
            }
        }
        line.push(ch);
        line_width += advance;
    }
    if lines.len() < max {
        push_trimmed(&mut lines, line);
    }
    lines
}

/// Adds a wrapped line without the spaces it ends with.
fn push_trimmed(lines: &mut Vec<String>, mut line: String) {
    line.truncate(line.trim_end_matches(' ').len());
    lines.push(line);
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

/// Writes bytes as the inside of a PDF literal string: `(`, `)` and `\` escaped, bytes
/// outside printable ASCII as three-digit octal escapes.
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

#[cfg(test)]
mod tests;
