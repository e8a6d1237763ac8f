//! QR codes for Icaze: a content string in, a QR symbol out, and image bytes back to text.
//!
//! ```
//! # fn main() -> Result<(), icaze_qr::QrError> {
//! let symbol = icaze_qr::encode("IZ1-example-permit")?;
//! let png = symbol.to_png(8)?;
//! assert_eq!(icaze_qr::decode_image(&png)?, vec!["IZ1-example-permit".to_string()]);
//! assert_eq!(symbol.info().ec_level, 'M');
//! # Ok(())
//! # }
//! ```
//!
//! This crate knows nothing of tokens, permits or signatures: it moves an opaque string
//! into a QR symbol and back. Whatever it decodes is untrusted text that the caller must
//! still parse and verify.
//!
//! # Encoding
//!
//! [`encode`] always uses error correction level M, picks the smallest QR version that
//! fits, and lets the `qrcode` crate split the content into numeric, alphanumeric and
//! byte segments optimally, so a digits-only string is stored in numeric mode
//! (about 3.3 bits per digit instead of 8). Micro QR codes are never produced.
//!
//! # Decoding
//!
//! [`decode_image`] accepts PNG or JPEG bytes from any source and never panics. In order:
//!
//! 1. The format is guessed from the bytes (not from a file name); other formats are
//!    refused as [`QrError::ImageUnreadable`].
//! 2. The header alone is read, and images wider or taller than
//!    [`MAX_IMAGE_SIDE`] px or larger than [`MAX_IMAGE_PIXELS`] pixels are refused as
//!    [`QrError::ImageTooLarge`] before any pixel is decompressed, so a small file that
//!    claims to be a huge image (a decompression bomb) costs nothing.
//! 3. The pixels are decoded under the same limits and an allocation cap of
//!    [`MAX_DECODE_BYTES`], then converted to 8-bit greyscale, with transparent pixels
//!    laid over white.
//! 4. Images whose longer side exceeds [`SEARCH_MAX_SIDE`] px (common for phone photos)
//!    are scaled down to that size before the search: this bounds the search time and
//!    memory, and a code that fills even a tenth of the frame keeps several pixels per
//!    module.
//! 5. The `rqrr` crate finds candidate codes and decodes each one; candidates that fail
//!    to decode are skipped.
//!
//! Not checked: whether the text makes sense, whether two codes in one image carry the
//! same text (both are returned), and codes too small to survive the downscale in step 4.

#![deny(missing_docs)]

use std::fmt;
use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};

use image::{DynamicImage, GrayImage, ImageError, ImageFormat, ImageReader, Limits};
use qrcode::render::{svg, unicode};
use qrcode::{EcLevel, QrCode, Version};

/// Widest or tallest image, in pixels, that [`decode_image`] accepts.
pub const MAX_IMAGE_SIDE: u32 = 8000;

/// Largest image, in pixels (width times height), that [`decode_image`] accepts.
pub const MAX_IMAGE_PIXELS: u64 = 40_000_000;

/// Most memory, in bytes, that the image decoder may allocate for one image.
///
/// A 40-megapixel image with 16-bit RGBA samples needs 320 MB; this leaves room for that
/// and for the decoder's own buffers.
pub const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// Longer side, in pixels, to which larger images are scaled down before the QR search.
pub const SEARCH_MAX_SIDE: u32 = 2000;

/// Width of the light border around the symbol, in modules, in every rendering.
///
/// Four modules is what the QR specification requires for normal (not micro) symbols.
pub const QUIET_ZONE_MODULES: u32 = 4;

/// Everything that can go wrong while making or reading a QR code.
///
/// [`QrError::code`] gives a stable machine code for each variant; the `Display` text is a
/// lowercase English sentence, without a trailing period, for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    /// The content does not fit in the largest QR code (version 40) at error correction M.
    #[error(
        "content of {len} bytes is too long for one QR code at error correction M; shorten it \
         (at most 2331 bytes of arbitrary text, or 5596 digits)"
    )]
    TooLong {
        /// Length of the content, in bytes of UTF-8.
        len: usize,
    },
    /// The QR encoder refused the content for a reason other than its length.
    #[error("the content could not be encoded as a QR code ({detail}); report this as a bug")]
    EncodeFailed {
        /// What the encoder said.
        detail: String,
    },
    /// [`QrSymbol::to_png`] was asked for a module size that is zero or that would make an
    /// image [`decode_image`] itself would refuse.
    #[error(
        "module size of {module_px} px is out of range for this {modules}-module code; \
         use 1 to {max_module_px} px per module"
    )]
    ModuleSizeOutOfRange {
        /// The module size asked for.
        module_px: u32,
        /// Width of the symbol in modules, without the quiet zone.
        modules: u32,
        /// Largest module size allowed for this symbol.
        max_module_px: u32,
    },
    /// Writing the PNG file failed.
    #[error("the PNG image could not be written ({detail}); report this as a bug")]
    ImageEncodeFailed {
        /// What the PNG encoder said.
        detail: String,
    },
    /// The bytes are not a PNG or JPEG image, or the image is damaged or truncated.
    #[error("the image could not be read ({detail}); send a complete PNG or JPEG file")]
    ImageUnreadable {
        /// What was wrong, as reported by the image decoder.
        detail: String,
    },
    /// The image is larger than [`MAX_IMAGE_SIDE`] or [`MAX_IMAGE_PIXELS`] allow.
    #[error(
        "the image is {width}x{height} px, larger than this reader accepts; send one at most \
         {MAX_IMAGE_SIDE} px on each side and at most {MAX_IMAGE_PIXELS} pixels in all"
    )]
    ImageTooLarge {
        /// Width the image claims, in pixels.
        width: u32,
        /// Height the image claims, in pixels.
        height: u32,
    },
    /// The image was read but no QR code was found in it.
    #[error(
        "no QR code was found in the image; photograph the code straight on, in focus and \
         filling most of the frame"
    )]
    NotFound,
    /// Something that looks like a QR code was found, but none could be read.
    #[error(
        "{found} QR code candidate(s) found but none could be read; retake the photo closer, \
         in focus and without glare or folds"
    )]
    Undecodable {
        /// How many candidates the search found.
        found: usize,
    },
}

impl QrError {
    /// A stable snake_case code for this error, for machines and user interfaces.
    ///
    /// These strings never change meaning; new variants bring new codes.
    pub fn code(&self) -> &'static str {
        match self {
            QrError::TooLong { .. } => "too_long",
            QrError::EncodeFailed { .. } => "encode_failed",
            QrError::ModuleSizeOutOfRange { .. } => "module_size_out_of_range",
            QrError::ImageEncodeFailed { .. } => "image_encode_failed",
            QrError::ImageUnreadable { .. } => "image_unreadable",
            QrError::ImageTooLarge { .. } => "image_too_large",
            QrError::NotFound => "not_found",
            QrError::Undecodable { .. } => "undecodable",
        }
    }
}

/// How a QR symbol came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QrInfo {
    /// QR version, 1 to 40.
    pub version: u8,
    /// Width (and height) of the symbol in modules, without the quiet zone: `17 + 4 * version`.
    pub modules: u32,
    /// Error correction level: `'L'`, `'M'`, `'Q'` or `'H'`.
    pub ec_level: char,
}

/// A QR symbol made by [`encode`], ready to be drawn.
#[derive(Clone)]
pub struct QrSymbol {
    code: QrCode,
    // Invariant: `info` describes `code`; both are set together in `encode` and never change.
    info: QrInfo,
}

impl fmt::Debug for QrSymbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `QrCode` has no `Debug`; the info says what a reader needs to know.
        f.debug_struct("QrSymbol").field("info", &self.info).finish_non_exhaustive()
    }
}

/// Encodes `content` as a QR code at error correction level M in the smallest version
/// that fits, with optimal segmentation (digits in numeric mode).
///
/// # Errors
///
/// [`QrError::TooLong`] if the content does not fit even in version 40.
pub fn encode(content: &str) -> Result<QrSymbol, QrError> {
    let code = QrCode::with_error_correction_level(content.as_bytes(), EcLevel::M).map_err(|error| match error {
        qrcode::types::QrError::DataTooLong => QrError::TooLong { len: content.len() },
        other => QrError::EncodeFailed { detail: other.to_string() },
    })?;
    let version = match code.version() {
        Version::Normal(v) => u8::try_from(v).ok().filter(|v| (1..=40).contains(v)),
        Version::Micro(_) => None,
    }
    .ok_or_else(|| QrError::EncodeFailed { detail: format!("unexpected QR version {:?}", code.version()) })?;
    let modules = u32::try_from(code.width())
        .map_err(|_| QrError::EncodeFailed { detail: format!("unexpected symbol width {}", code.width()) })?;
    let ec_level = match code.error_correction_level() {
        EcLevel::L => 'L',
        EcLevel::M => 'M',
        EcLevel::Q => 'Q',
        EcLevel::H => 'H',
    };
    Ok(QrSymbol { code, info: QrInfo { version, modules, ec_level } })
}

impl QrSymbol {
    /// Version, width and error correction level of this symbol.
    pub fn info(&self) -> QrInfo {
        self.info
    }

    /// Draws the symbol with Unicode half blocks (`▀`, `▄`, `█` and space), one character
    /// for one module across and two modules down, with a quiet zone of
    /// [`QUIET_ZONE_MODULES`] modules. Lines are joined with `\n`; there is no trailing
    /// newline.
    ///
    /// The light modules and the quiet zone are drawn as blocks and the dark modules as
    /// spaces. On a terminal with light text on a dark background (the usual default)
    /// this shows dark modules on a light field, which is what phone scanners expect.
    /// On a light-background terminal the colours come out inverted, which many scanners
    /// still read but some do not. No colour escape codes are written, so the text can
    /// also be saved to a file.
    pub fn to_terminal(&self) -> String {
        self.code
            .render::<unicode::Dense1x2>()
            // Blocks are painted in the terminal's foreground colour, which is light on a
            // dark terminal: so light modules are drawn as blocks, dark ones as spaces.
            .dark_color(unicode::Dense1x2::Light)
            .light_color(unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .module_dimensions(1, 1)
            .build()
    }

    /// Draws the symbol as a standalone SVG document, black on white, with a quiet zone of
    /// [`QUIET_ZONE_MODULES`] modules.
    pub fn to_svg(&self) -> String {
        self.code
            .render::<svg::Color<'_>>()
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .quiet_zone(true)
            .build()
    }

    /// Draws the symbol as an 8-bit greyscale PNG file, black on white, `module_px`
    /// pixels per module, with a quiet zone of [`QUIET_ZONE_MODULES`] modules.
    ///
    /// # Errors
    ///
    /// [`QrError::ModuleSizeOutOfRange`] if `module_px` is zero or would make the image
    /// wider than [`MAX_IMAGE_SIDE`], so that every PNG made here can be read back by
    /// [`decode_image`].
    pub fn to_png(&self, module_px: u32) -> Result<Vec<u8>, QrError> {
        let side_modules = self.info.modules + 2 * QUIET_ZONE_MODULES;
        let max_module_px = MAX_IMAGE_SIDE / side_modules;
        if module_px == 0 || module_px > max_module_px {
            return Err(QrError::ModuleSizeOutOfRange { module_px, modules: self.info.modules, max_module_px });
        }
        let image: GrayImage =
            self.code.render::<image::Luma<u8>>().quiet_zone(true).module_dimensions(module_px, module_px).build();
        let mut png = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .map_err(|error| QrError::ImageEncodeFailed { detail: error.to_string() })?;
        Ok(png)
    }
}

/// Finds and reads every QR code in an image file (PNG or JPEG), in the order found.
///
/// See the [crate documentation](crate#decoding) for the steps and limits. This function
/// never panics, whatever the bytes, and never returns an empty list.
///
/// # Errors
///
/// - [`QrError::ImageUnreadable`]: not a PNG or JPEG, or damaged or truncated;
/// - [`QrError::ImageTooLarge`]: over [`MAX_IMAGE_SIDE`] or [`MAX_IMAGE_PIXELS`];
/// - [`QrError::NotFound`]: no QR code in the image;
/// - [`QrError::Undecodable`]: QR codes were found but none could be read.
pub fn decode_image(bytes: &[u8]) -> Result<Vec<String>, QrError> {
    let luma = read_greyscale(bytes)?;
    let luma = shrink_for_search(luma);
    search(luma)
}

/// Decodes image bytes to greyscale, refusing oversized images before decompressing them.
fn read_greyscale(bytes: &[u8]) -> Result<GrayImage, QrError> {
    // The header is read twice: first with no size limits, to learn the claimed size
    // and refuse it with a precise error; then under strict limits for the real decode,
    // as a second guard should a decoder allocate more than its header suggested.
    let (width, height) = reader(bytes, lenient_limits())?.into_dimensions().map_err(unreadable)?;
    let too_large = QrError::ImageTooLarge { width, height };
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(too_large);
    }
    let image = reader(bytes, strict_limits())?.decode().map_err(|error| match error {
        ImageError::Limits(_) => too_large,
        other => unreadable(other),
    })?;
    Ok(flatten_to_greyscale(image))
}

/// Converts to 8-bit greyscale, laying transparent pixels over white.
///
/// QR images exported from web tools often have a transparent background whose hidden
/// colour is black; dropping the alpha channel would turn the whole image black.
fn flatten_to_greyscale(image: DynamicImage) -> GrayImage {
    if !image.color().has_alpha() {
        return image.into_luma8();
    }
    let with_alpha = image.into_luma_alpha8();
    GrayImage::from_fn(with_alpha.width(), with_alpha.height(), |x, y| {
        let [luma, alpha] = with_alpha.get_pixel(x, y).0;
        let (luma, alpha) = (u16::from(luma), u16::from(alpha));
        // Since luma <= 255, the sum is at most 255 * alpha + 255 * (255 - alpha)
        // = 255 * 255, which fits in a u16, and the quotient is at most 255.
        let blended = (luma * alpha + 255 * (255 - alpha)) / 255;
        image::Luma([u8::try_from(blended).unwrap_or(u8::MAX)])
    })
}

/// An image reader over `bytes` whose format is guessed from the content.
fn reader(bytes: &[u8], limits: Limits) -> Result<ImageReader<Cursor<&[u8]>>, QrError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| QrError::ImageUnreadable { detail: error.to_string() })?;
    if reader.format().is_none() {
        return Err(QrError::ImageUnreadable { detail: "not a known image format".to_string() });
    }
    reader.limits(limits);
    Ok(reader)
}

/// Limits for reading the header only: no size limits, so that the size can be reported.
fn lenient_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

/// Limits for decoding the pixels.
fn strict_limits() -> Limits {
    let mut limits = lenient_limits();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits
}

fn unreadable(error: ImageError) -> QrError {
    QrError::ImageUnreadable { detail: error.to_string() }
}

/// Scales the image down so that its longer side is at most [`SEARCH_MAX_SIDE`].
fn shrink_for_search(luma: GrayImage) -> GrayImage {
    let (width, height) = luma.dimensions();
    let longer = width.max(height);
    if longer <= SEARCH_MAX_SIDE {
        return luma;
    }
    // Computed in u64 so that the product cannot overflow; the result is at most
    // SEARCH_MAX_SIDE because `width <= longer` and `height <= longer`.
    let scale = |side: u32| -> u32 {
        let scaled = u64::from(side) * u64::from(SEARCH_MAX_SIDE) / u64::from(longer);
        u32::try_from(scaled).unwrap_or(SEARCH_MAX_SIDE).max(1)
    };
    // Triangle (bilinear) filtering widens its kernel when shrinking, so it averages
    // the pixels it drops instead of aliasing the module edges.
    image::imageops::resize(&luma, scale(width), scale(height), image::imageops::FilterType::Triangle)
}

/// Runs the `rqrr` search and decodes every candidate.
fn search(luma: GrayImage) -> Result<Vec<String>, QrError> {
    // Why catch_unwind: `rqrr` does geometry on untrusted pixels (perspective fits,
    // index arithmetic on sampled grids), and older versions panicked on some crafted or
    // unlucky images. This function promises never to panic, so a panic inside `rqrr` is
    // caught and treated as "nothing found here" (for the search) or "this candidate
    // could not be read" (for one candidate). This is defence in depth, not a guarantee:
    // it does nothing when a binary is built with `panic = "abort"`, and the default
    // panic hook still prints the message to stderr.
    let grids = panic::catch_unwind(AssertUnwindSafe(move || {
        let mut prepared = rqrr::PreparedImage::prepare(luma);
        prepared
            .detect_grids()
            .into_iter()
            .map(|grid| panic::catch_unwind(AssertUnwindSafe(|| grid.decode())))
            .collect::<Vec<_>>()
    }))
    .unwrap_or_default();

    if grids.is_empty() {
        return Err(QrError::NotFound);
    }
    let found = grids.len();
    let texts: Vec<String> = grids
        .into_iter()
        .filter_map(|outcome| match outcome {
            Ok(Ok((_meta, text))) => Some(text),
            // A candidate that fails to decode, or whose decoder panicked, is skipped.
            Ok(Err(_)) | Err(_) => None,
        })
        .collect();
    if texts.is_empty() {
        return Err(QrError::Undecodable { found });
    }
    Ok(texts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Luma};
    use proptest::prelude::*;

    /// A 197-digit string, the length of a numeric-only token.
    fn digits_197() -> String {
        (0..197).map(|i| char::from(b'0' + ((i * 7 + 3) % 10) as u8)).collect()
    }

    /// "IZ1" and 108 characters from the base64url alphabet, chosen by a fixed LCG.
    fn base64url_111() -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut state: u32 = 0x1CA2E;
        let tail: String = (0..108)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                char::from(ALPHABET[(state >> 26) as usize])
            })
            .collect();
        format!("IZ1{tail}")
    }

    fn round_trip(content: &str) -> QrInfo {
        let symbol = encode(content).unwrap();
        let png = symbol.to_png(6).unwrap();
        assert_eq!(decode_image(&png).unwrap(), vec![content.to_string()]);
        symbol.info()
    }

    fn png_of(image: &GrayImage) -> Vec<u8> {
        let mut png = Vec::new();
        image.write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
        png
    }

    /// `content`, of `len` characters, round-trips as a symbol of `version` at ECC M.
    fn round_trips_at_m(content: &str, len: usize, version: u8, modules: u32) {
        assert_eq!(content.len(), len);
        assert_eq!(round_trip(content), QrInfo { version, modules, ec_level: 'M' });
    }

    #[test]
    fn digits_197_are_numeric_mode_version_5() {
        // Byte mode would need version 8 at M; version 5 holds at most 202 digits at M.
        round_trips_at_m(&digits_197(), 197, 5, 37);
    }

    #[test]
    fn base64url_111_round_trips() {
        round_trips_at_m(&base64url_111(), 111, 7, 45);
    }

    #[test]
    fn short_text_round_trips() {
        let info = round_trip("Hello, Icaze!");
        assert_eq!(info, QrInfo { version: 1, modules: 21, ec_level: 'M' });
    }

    #[test]
    fn non_ascii_text_round_trips() {
        round_trip("İcazə: Bakı → Gəncə");
    }

    #[test]
    fn modules_follow_version() {
        for content in ["1", &digits_197(), &base64url_111(), &"x".repeat(2331)] {
            let info = encode(content).unwrap().info();
            assert_eq!(info.modules, 17 + 4 * u32::from(info.version), "{info:?}");
        }
    }

    #[test]
    fn longest_content_is_version_40_and_one_more_byte_is_too_long() {
        assert_eq!(encode(&"x".repeat(2331)).unwrap().info().version, 40);
        let error = encode(&"x".repeat(2332)).unwrap_err();
        assert_eq!(error, QrError::TooLong { len: 2332 });
        assert_eq!(error.code(), "too_long");
        assert_eq!(encode(&"7".repeat(5596)).unwrap().info().version, 40);
        assert_eq!(encode(&"7".repeat(5597)).unwrap_err().code(), "too_long");
    }

    #[test]
    fn svg_is_an_svg_document() {
        let svg = encode("Hello, Icaze!").unwrap().to_svg();
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
        assert!(svg.contains("#000000") && svg.contains("#ffffff"), "{svg}");
    }

    /// Paints `to_terminal` as a light-on-dark terminal would (blocks in a light
    /// foreground, spaces in the dark background), one pixel per module.
    fn paint_terminal(text: &str) -> GrayImage {
        let lines: Vec<Vec<char>> = text.lines().map(|line| line.chars().collect()).collect();
        let width = lines[0].len() as u32;
        assert!(lines.iter().all(|line| line.len() as u32 == width));
        let mut image = GrayImage::new(width, 2 * lines.len() as u32);
        for (row, line) in lines.iter().enumerate() {
            for (x, ch) in line.iter().enumerate() {
                let (top, bottom) = match ch {
                    ' ' => (false, false),
                    '▀' => (true, false),
                    '▄' => (false, true),
                    '█' => (true, true),
                    other => panic!("unexpected character {other:?}"),
                };
                let y = 2 * row as u32;
                image.put_pixel(x as u32, y, Luma([if top { 255 } else { 0 }]));
                image.put_pixel(x as u32, y + 1, Luma([if bottom { 255 } else { 0 }]));
            }
        }
        image
    }

    #[test]
    fn terminal_is_dark_on_light_with_quiet_zone_and_scans() {
        let content = base64url_111();
        let symbol = encode(&content).unwrap();
        let text = symbol.to_terminal();
        let side = symbol.info().modules + 2 * QUIET_ZONE_MODULES;
        assert_eq!(text.lines().count() as u32, side.div_ceil(2));
        assert_eq!(text.lines().next().unwrap().chars().count() as u32, side);
        assert!(!text.ends_with('\n'));
        // The first two lines are all quiet zone, hence all light, hence full blocks.
        assert!(text.lines().take(2).all(|line| line.chars().all(|ch| ch == '█')), "{text}");

        let painted = paint_terminal(&text);
        // Crop the blank half row that an odd height leaves at the bottom, then scale up.
        let painted = image::imageops::crop_imm(&painted, 0, 0, side, side).to_image();
        let scaled = image::imageops::resize(&painted, side * 6, side * 6, image::imageops::FilterType::Nearest);
        assert_eq!(decode_image(&png_of(&scaled)).unwrap(), vec![content]);
    }

    #[test]
    fn jpeg_round_trips() {
        let content = base64url_111();
        let png = encode(&content).unwrap().to_png(6).unwrap();
        let image = image::load_from_memory(&png).unwrap();
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&image).unwrap();
        assert_eq!(&jpeg[..3], &[0xFF, 0xD8, 0xFF]);
        assert_eq!(decode_image(&jpeg).unwrap(), vec![content]);
    }

    #[test]
    fn large_image_is_scaled_down_and_still_decodes() {
        let content = digits_197();
        let symbol = encode(&content).unwrap();
        // 45 modules with the quiet zone, 60 px each: 2700 px, over SEARCH_MAX_SIDE.
        let png = symbol.to_png(60).unwrap();
        let (width, _) = image::load_from_memory(&png).unwrap().into_luma8().dimensions();
        assert!(width > SEARCH_MAX_SIDE);
        assert_eq!(decode_image(&png).unwrap(), vec![content]);
    }

    #[test]
    fn shrink_keeps_aspect_and_bounds_longer_side() {
        let shrunk = shrink_for_search(GrayImage::new(6000, 1500));
        assert_eq!(shrunk.dimensions(), (SEARCH_MAX_SIDE, 500));
        let shrunk = shrink_for_search(GrayImage::new(3, 5000));
        assert_eq!(shrunk.dimensions(), (1, SEARCH_MAX_SIDE));
        let small = shrink_for_search(GrayImage::new(2000, 10));
        assert_eq!(small.dimensions(), (2000, 10));
    }

    #[test]
    fn two_codes_in_one_image_are_both_found() {
        let first = image::load_from_memory(&encode("first code").unwrap().to_png(5).unwrap()).unwrap().into_luma8();
        let second = image::load_from_memory(&encode("second code").unwrap().to_png(5).unwrap()).unwrap().into_luma8();
        let mut both: GrayImage = ImageBuffer::from_pixel(first.width() + second.width(), first.height(), Luma([255]));
        image::imageops::replace(&mut both, &first, 0, 0);
        image::imageops::replace(&mut both, &second, i64::from(first.width()), 0);
        let mut found = decode_image(&png_of(&both)).unwrap();
        found.sort();
        assert_eq!(found, vec!["first code".to_string(), "second code".to_string()]);
    }

    #[test]
    fn damaged_code_is_found_but_undecodable() {
        let symbol = encode(&base64url_111()).unwrap();
        let px = 6;
        let mut image = image::load_from_memory(&symbol.to_png(px).unwrap()).unwrap().into_luma8();
        // Black out a band of data modules (rows 12 to 32, columns 12 to 28 of 45), away
        // from the finder patterns, the timing patterns and the corner alignment pattern:
        // far more damage than error correction M can repair.
        let quiet = QUIET_ZONE_MODULES;
        for y in (quiet + 12) * px..(quiet + 32) * px {
            for x in (quiet + 12) * px..(quiet + 28) * px {
                image.put_pixel(x, y, Luma([0]));
            }
        }
        let error = decode_image(&png_of(&image)).unwrap_err();
        assert_eq!(error, QrError::Undecodable { found: 1 });
        assert_eq!(error.code(), "undecodable");
    }

    #[test]
    fn transparent_background_is_read_as_white() {
        let content = "dark modules on a transparent background";
        let opaque = image::load_from_memory(&encode(content).unwrap().to_png(4).unwrap()).unwrap().into_luma8();
        // Light modules become fully transparent black, as many web tools export them.
        let transparent: image::RgbaImage = ImageBuffer::from_fn(opaque.width(), opaque.height(), |x, y| {
            if opaque.get_pixel(x, y).0 == [0] {
                image::Rgba([0, 0, 0, 255])
            } else {
                image::Rgba([0, 0, 0, 0])
            }
        });
        let mut png = Vec::new();
        transparent.write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
        assert_eq!(decode_image(&png).unwrap(), vec![content.to_string()]);
    }

    #[test]
    fn module_size_is_checked() {
        let symbol = encode("Hello, Icaze!").unwrap();
        // 21 modules + 8 of quiet zone = 29; 8000 / 29 = 275.
        let error = symbol.to_png(0).unwrap_err();
        assert_eq!(error, QrError::ModuleSizeOutOfRange { module_px: 0, modules: 21, max_module_px: 275 });
        assert_eq!(error.code(), "module_size_out_of_range");
        assert_eq!(symbol.to_png(276).unwrap_err().code(), "module_size_out_of_range");
        assert!(symbol.to_png(1).is_ok());
    }

    #[test]
    fn png_has_quiet_zone_of_four_modules() {
        let symbol = encode("Hello, Icaze!").unwrap();
        let image = image::load_from_memory(&symbol.to_png(3).unwrap()).unwrap().into_luma8();
        assert_eq!(image.dimensions(), (29 * 3, 29 * 3));
        // The quiet zone (12 px) is white, and the finder pattern's corner just inside it
        // is black.
        assert!((0..12).all(|i| image.get_pixel(i, i).0 == [255]));
        assert_eq!(image.get_pixel(12, 12).0, [0]);
    }

    #[test]
    fn garbage_is_unreadable() {
        let error = decode_image(b"this is not an image, just some words").unwrap_err();
        assert_eq!(error.code(), "image_unreadable", "{error}");
    }

    #[test]
    fn empty_input_is_unreadable() {
        assert_eq!(decode_image(&[]).unwrap_err().code(), "image_unreadable");
    }

    #[test]
    fn blank_image_has_no_code() {
        let white: GrayImage = ImageBuffer::from_pixel(100, 100, Luma([255]));
        assert_eq!(decode_image(&png_of(&white)).unwrap_err(), QrError::NotFound);
    }

    #[test]
    fn truncated_png_is_unreadable() {
        let png = encode("Hello, Icaze!").unwrap().to_png(6).unwrap();
        for len in [4, 8, 20, 40, png.len() / 2, png.len() - 13] {
            let error = decode_image(&png[..len]).unwrap_err();
            assert_eq!(error.code(), "image_unreadable", "len {len}: {error}");
        }
    }

    #[test]
    fn unsupported_format_is_unreadable() {
        // A GIF header: the format is recognised, but its decoder is not built in.
        let error = decode_image(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").unwrap_err();
        assert_eq!(error.code(), "image_unreadable", "{error}");
    }

    /// CRC-32 as PNG chunks use it (ISO-HDLC, reflected 0xEDB88320).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// A small valid PNG whose header is rewritten to claim `width` x `height`.
    fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut png = png_of(&ImageBuffer::from_pixel(8, 8, Luma([255u8])));
        // Signature (8 bytes), then the IHDR chunk: length (4), type (4), data (13), CRC (4).
        assert_eq!(&png[12..16], b"IHDR");
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    fn oversized_images_are_refused_before_decoding() {
        for (width, height) in [(8001, 10), (10, 8001), (7000, 7000), (100_000, 100_000)] {
            let error = decode_image(&png_claiming(width, height)).unwrap_err();
            assert_eq!(error, QrError::ImageTooLarge { width, height });
            assert_eq!(error.code(), "image_too_large");
        }
    }

    #[test]
    fn image_at_the_limits_is_not_refused_for_size() {
        // 8000x5000 is exactly 40 megapixels: allowed in size, then found damaged because
        // the pixel data is that of an 8x8 image.
        let error = decode_image(&png_claiming(8000, 5000)).unwrap_err();
        assert_eq!(error.code(), "image_unreadable", "{error}");
    }

    #[test]
    fn codes_are_stable_and_messages_are_sentences() {
        let errors = [
            (QrError::TooLong { len: 3000 }, "too_long"),
            (QrError::EncodeFailed { detail: "x".into() }, "encode_failed"),
            (
                QrError::ModuleSizeOutOfRange { module_px: 0, modules: 21, max_module_px: 275 },
                "module_size_out_of_range",
            ),
            (QrError::ImageEncodeFailed { detail: "x".into() }, "image_encode_failed"),
            (QrError::ImageUnreadable { detail: "x".into() }, "image_unreadable"),
            (QrError::ImageTooLarge { width: 9000, height: 9000 }, "image_too_large"),
            (QrError::NotFound, "not_found"),
            (QrError::Undecodable { found: 1 }, "undecodable"),
        ];
        for (error, code) in errors {
            assert_eq!(error.code(), code);
            let message = error.to_string();
            assert!(message.starts_with(|c: char| c.is_lowercase() || c.is_ascii_digit()));
            assert!(!message.ends_with('.'), "{message}");
            assert!(message.contains("; "), "a message says what to do: {message}");
        }
    }

    fn valid_png() -> Vec<u8> {
        encode("Hello, Icaze!").unwrap().to_png(2).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let result = decode_image(&bytes);
            prop_assert!(!matches!(&result, Ok(texts) if texts.is_empty()));
        }

        #[test]
        fn png_prefix_with_arbitrary_tail_never_panics(
            tail in proptest::collection::vec(any::<u8>(), 0..1024),
        ) {
            let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
            bytes.extend_from_slice(&tail);
            prop_assert!(decode_image(&bytes).is_err());
        }

        #[test]
        fn damaged_png_never_panics(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut png = valid_png();
            for (at, byte) in flips {
                let i = at.index(png.len());
                png[i] ^= byte;
            }
            let len = png.len();
            png.truncate(len / 2 + cut.index(len / 2 + 1));
            let result = decode_image(&png);
            prop_assert!(!matches!(&result, Ok(texts) if texts.is_empty()));
        }
    }
}
