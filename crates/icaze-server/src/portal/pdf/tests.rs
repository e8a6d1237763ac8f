//! The certificate's tests. Those that read the page back need poppler's `pdftotext` and
//! `pdftoppm` (Debian package poppler-utils, which `.ci/run` installs): without them they
//! fail and say so.

use super::*;

/// The QR form of the worked example of docs/token-format.md §7 (197 digits).
const DIGITS_197: &str = "05067680697357569661840089621548164772186126800232747933072212780158073784601490326781941556454020751021671933280623659601032297501990001393413537298265516602017987729846163869741020163172498649098";
const SMS_FORM: &str =
    "IZ1EgEHW80VAesiAWgAIUCpises5lYXqkrgDjxkfho2q6AsJuZE-lpjiGGWTP6CLMmcK9WHkasdQtgxgQW1KKl_OvtyiLaZtjo33bpLUT2U7lwK";

fn sample_in(lang: Lang) -> Vec<u8> {
    let l = |label| lang.text(label);
    let from = UtcMinute::parse_rfc3339("2020-12-14T00:00:00+04:00").unwrap();
    let until = UtcMinute::parse_rfc3339("2021-02-01T00:00:00+04:00").unwrap();
    certificate(&Certificate {
        lang,
        heading: l(Label::WorkHeading),
        lines: vec![
            (l(Label::Document), "AZE11111111".to_string()),
            (l(Label::Name), "Rəşad Əliyev İsmayıl oğlu (\\test)".to_string()),
            (l(Label::Position), "Çörək sexinin müdiri".to_string()),
            (l(Label::Organisation), "Bakı Metropoliteni QSC".to_string()),
            (l(Label::Zones), "1 Bakı, 2 Sumqayıt".to_string()),
            (l(Label::Validity), validity(from, until, lang)),
        ],
        qr_payload: DIGITS_197,
        token_text: SMS_FORM,
    })
    .unwrap()
}

fn sample() -> Vec<u8> {
    sample_in(Lang::Az)
}

/// Finds `needle` in `haystack` from `from` on.
fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|at| at + from)
}

/// The page's content stream, inflated.
fn content(pdf: &[u8]) -> String {
    let start = find(pdf, b"4 0 obj\n", 0).unwrap();
    let data = find(pdf, b"stream\n", start).unwrap() + 7;
    let end = find(pdf, b"\nendstream", data).unwrap();
    String::from_utf8(miniz_oxide::inflate::decompress_to_vec_zlib(&pdf[data..end]).unwrap()).unwrap()
}

#[test]
fn starts_and_ends_as_a_pdf() {
    let pdf = sample();
    assert!(pdf.starts_with(b"%PDF-1.4\n"));
    assert!(pdf.ends_with(b"%%EOF\n"));
    // The same certificate gives the same bytes.
    assert_eq!(pdf, sample());
}

#[test]
fn xref_offsets_point_at_their_objects() {
    let pdf = sample();
    let startxref = find(&pdf, b"startxref\n", 0).unwrap();
    let tail = std::str::from_utf8(&pdf[startxref + 10..]).unwrap();
    let xref_at: usize = tail.lines().next().unwrap().parse().unwrap();
    assert!(pdf[xref_at..].starts_with(b"xref\n0 17\n"));
    let table = std::str::from_utf8(&pdf[xref_at..startxref]).unwrap();
    let entries: Vec<&str> = table.lines().skip(2).take(17).collect();
    assert_eq!(entries[0], "0000000000 65535 f ");
    for (number, entry) in entries.iter().enumerate().skip(1) {
        assert_eq!(entry.len(), 19, "{entry:?}");
        assert!(entry.ends_with(" 00000 n "), "{entry:?}");
        let offset: usize = entry[..10].parse().unwrap();
        let header = format!("{number} 0 obj\n");
        assert!(pdf[offset..].starts_with(header.as_bytes()), "object {number} at {offset}");
    }
    assert!(table.contains("trailer\n<< /Size 17 /Root 1 0 R /Info 5 0 R >>"));
}

#[test]
fn stream_lengths_are_exact() {
    let pdf = sample();
    let mut at = 0;
    let mut streams = 0;
    while let Some(start) = find(&pdf, b"<< /Length ", at) {
        let digits = start + 11;
        let end = find(&pdf, b" ", digits).unwrap();
        let length: usize = std::str::from_utf8(&pdf[digits..end]).unwrap().parse().unwrap();
        let data = find(&pdf, b">>\nstream\n", end).unwrap() + 10;
        assert_eq!(&pdf[data + length..data + length + 10], b"\nendstream");
        miniz_oxide::inflate::decompress_to_vec_zlib(&pdf[data..data + length]).unwrap();
        streams += 1;
        at = data + length;
    }
    // The content, and each font's file and CMap.
    assert_eq!(streams, 5);
}

#[test]
fn strings_are_escaped() {
    assert_eq!(escape(b"a(b)c\\d"), "a\\(b\\)c\\\\d");
    assert_eq!(escape(&[0xE4, b'x', 0x0A]), "\\344x\\012");
}

/// Issue 22 item 7: names kept their letters only in a transliteration (`Räsad Äliyev`).
#[test]
fn issue_22_text_extracts_with_azerbaijani_letters() {
    let text = icaze_testkit::pdftotext(&sample());
    for expected in [
        "İcazə: iş",
        "Ad, soyad",
        "Rəşad Əliyev İsmayıl oğlu (\\test)",
        "Çörək sexinin müdiri",
        "Bakı Metropoliteni QSC",
        "Etibarlılıq",
        "14.12.2020 00:00 – 01.02.2021 00:00 (Bakı vaxtı)",
        &SMS_FORM[..80],
        &SMS_FORM[80..],
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}

#[test]
fn issue_22_text_extracts_in_russian_and_english() {
    let text = icaze_testkit::pdftotext(&sample_in(Lang::Ru));
    for expected in ["Пропуск: работа", "Фамилия, имя", "Rəşad Əliyev", "Срок действия", "(время Баку)"]
    {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    let text = icaze_testkit::pdftotext(&sample_in(Lang::En));
    for expected in ["Permit: work", "Organisation", "Bakı Metropoliteni QSC", "(Baku time)"] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}

#[test]
fn end_of_validity_is_the_first_minute_no_longer_valid() {
    let at = |t| UtcMinute::parse_rfc3339(t).unwrap();
    let text = validity(at("2020-12-15T10:00:00+04:00"), at("2020-12-15T13:00:00+04:00"), Lang::En);
    assert_eq!(text, "15.12.2020 10:00 – 15.12.2020 13:00 (Baku time)");
    // Midnight ends a work permit as 00:00 of the next day, as the device shows it.
    assert_eq!(baku_text(at("2020-12-31T20:00:00Z")), "01.01.2021 00:00");
    assert_eq!(baku_text(UtcMinute::from_unix_minutes(u32::MAX)), "16.02.10136 08:15");
}

#[test]
fn values_wrap_by_width_at_spaces_and_inside_a_long_word() {
    let font = Font::new("DejaVuSans", font::REGULAR).unwrap();
    assert_eq!(wrap(&font, "", 11.0, 100.0, 5), vec![String::new()]);
    // `abc def` is 40.1 points at 11 points, `abc def ghi` 61.7.
    assert_eq!(wrap(&font, "abc def ghi", 11.0, 50.0, 5), ["abc def", "ghi"]);
    // A word wider than the line is cut where the width runs out (`i` and `j` are narrow).
    assert_eq!(wrap(&font, "abcdefghij", 11.0, 25.0, 5), ["abc", "defg", "hij"]);
    assert_eq!(wrap(&font, "abcdefghij", 11.0, 25.0, 2), ["abc", "defg"]);
    assert_eq!(wrap(&font, "ab  cd", 11.0, 15.0, 5), ["ab", "cd"]);
    assert_eq!(wrap(&font, "ab cd   efgh", 11.0, 40.0, 5), ["ab cd", "efgh"]);
    for line in wrap(&font, &"Rəşad Əliyev ".repeat(40), 11.0, VALUE_WIDTH, 100) {
        assert!(font.width(&line, 11.0) <= VALUE_WIDTH, "{line:?}");
        assert!(!line.starts_with(' ') && !line.ends_with(' '), "{line:?}");
    }
}

#[test]
fn too_many_lines_are_capped() {
    let many: Vec<(&str, String)> = (0..40).map(|i| ("Line", format!("value {i}"))).collect();
    let c = Certificate { lang: Lang::En, heading: "H", lines: many, qr_payload: "123", token_text: "123" };
    let text = icaze_testkit::pdftotext(&certificate(&c).unwrap());
    assert!(text.lines().any(|line| line.trim() == "value 24"), "{text}");
    assert!(!text.lines().any(|line| line.trim() == "value 25"), "{text}");
}

#[test]
fn unencodable_payload_says_so_in_the_language() {
    let payload = "x".repeat(3000);
    for (lang, expected) in
        [(Lang::En, "QR code unavailable"), (Lang::Az, "QR kod yoxdur"), (Lang::Ru, "QR-код недоступен")]
    {
        let c = Certificate { lang, heading: "H", lines: vec![], qr_payload: &payload, token_text: "t" };
        assert!(icaze_testkit::pdftotext(&certificate(&c).unwrap()).contains(expected), "{lang:?}");
    }
}

/// Names come from employers' forms and CSV files: no length or character can make the
/// certificate fail, and a character the fonts lack is shown as U+FFFD, not dropped.
#[test]
fn any_name_from_outside_is_drawn_without_panic() {
    let long = "Əliyev ".repeat(20_000) + &"ş".repeat(100_000);
    let strange = "中文 😀 e\u{301} \u{202E}rtl\u{202C} \u{FEFF}\u{FFFF}\u{10FFFF} tab\there\nnew\rline \u{0}";
    let values = [long.as_str(), strange, "", " ", "((((", "\\", "%%EOF", "endstream", ")Tj ET"];
    for value in values {
        let lines = vec![("Ad", value.to_string()), ("Zonalar", "1".to_string())];
        let c = Certificate { lang: Lang::Az, heading: value, lines, qr_payload: value, token_text: value };
        let pdf = certificate(&c).unwrap();
        assert!(pdf.ends_with(b"%%EOF\n"));
    }
    let lines = vec![("Ad", strange.to_string())];
    let c = Certificate { lang: Lang::Az, heading: "H", lines, qr_payload: "1", token_text: strange };
    let pdf = certificate(&c).unwrap();
    let text = icaze_testkit::pdftotext(&pdf);
    assert!(text.contains("\u{FFFD}\u{FFFD} \u{FFFD} e\u{FFFD}"), "{text}");
    assert!(text.contains("tab here new line"), "{text}");
    // The token is ASCII in Courier: anything else is a question mark.
    assert!(content(&pdf).contains("(?? ? e? ?rtl? ??? tab?here?new?line ?) Tj"), "{}", content(&pdf));
    // A very long name fills the lines it may and no more, a very long heading one line.
    let lines = vec![("Ad", long.clone())];
    let c = Certificate { lang: Lang::Az, heading: &long, lines, qr_payload: "1", token_text: "1" };
    let text = icaze_testkit::pdftotext(&certificate(&c).unwrap());
    assert_eq!(text.lines().filter(|line| line.contains("Əliyev")).count(), 1 + MAX_TEXT_LINES, "{text}");
}

/// The widest a label may be, leaving a gap before the values.
const LABEL_WIDTH: f64 = LABEL_COLUMN - 8.0;

#[test]
fn labels_and_headings_fit_their_columns() {
    let bold = Font::new("DejaVuSans-Bold", font::BOLD).unwrap();
    for lang in Lang::ALL {
        for label in labels::Label::ALL {
            let text = lang.text(label);
            let (size, room) = match label {
                Label::WorkHeading | Label::TripHeading => (HEADING_SIZE, PAGE_WIDTH - 2.0 * MARGIN),
                Label::QrUnavailable => (12.0, PAGE_WIDTH - 2.0 * MARGIN),
                // Written inside values, which wrap.
                Label::TaxId | Label::BakuTime => continue,
                _ => (TEXT_SIZE, LABEL_WIDTH),
            };
            assert!(bold.width(text, size) <= room, "{lang:?} {label:?} {text:?} is too wide");
        }
    }
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
    let c = Certificate { lang: Lang::En, heading: "Permit", lines, qr_payload: &digits, token_text: &digits };
    let pdf = certificate(&c).unwrap();
    assert_eq!(icaze_qr::decode_image(&render(&pdf, 100)).unwrap(), vec![digits.clone()]);
    // The token text under the code is wrapped into six lines of Courier.
    assert!(content(&pdf).contains(&format!("({}) Tj", &digits[400..])));
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
