//! The QR version a text needs at error correction level M.

use qrcode::bits::encode_auto;
use qrcode::{EcLevel, Version};

/// The smallest normal QR version (1..=40) holding `text` at level M, with
/// the `qrcode` crate's optimal split into numeric, alphanumeric and byte
/// segments (so a digits-only text is stored in numeric mode); `None` if no
/// version holds it. This is what `icaze-qr` produces too.
pub fn version_m(text: &str) -> Option<i16> {
    version(text, EcLevel::M)
}

/// The smallest normal QR version holding `text` at error correction `level`.
pub fn version(text: &str, level: EcLevel) -> Option<i16> {
    match encode_auto(text.as_bytes(), level).ok()?.version() {
        Version::Normal(v) => Some(v),
        Version::Micro(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_capacities_at_level_m() {
        // Version 1-M holds 34 digits, 20 alphanumeric characters or 14 bytes.
        assert_eq!(version_m(&"1".repeat(34)), Some(1));
        assert_eq!(version_m(&"1".repeat(35)), Some(2));
        assert_eq!(version_m(&"A".repeat(20)), Some(1));
        assert_eq!(version_m(&"a".repeat(14)), Some(1));
        assert_eq!(version_m(&"a".repeat(15)), Some(2));
        // Version 40-M holds 2331 bytes.
        assert_eq!(version_m(&"a".repeat(2331)), Some(40));
        assert_eq!(version_m(&"a".repeat(2332)), None);
    }

    #[test]
    fn the_icaze_digits_fit_a_small_symbol() {
        let digits = crate::Fixture::new().token.to_qr_digits();
        // 197 digits in numeric mode: version 5-M holds 202 digits, 4-M 122.
        assert_eq!(version_m(&digits), Some(5));
        assert_eq!(version_m(&"1".repeat(202)), Some(5));
        assert_eq!(version_m(&"1".repeat(203)), Some(6));
    }
}
