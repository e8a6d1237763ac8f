//! The two text forms of a token, and finding a token inside a longer text.
//!
//! - The **SMS form**: `IZ`, the format version (`1` or `2`), then the token
//!   bytes in unpadded base64url.
//!   Every character is in the GSM 03.38 basic set and none is a space, so it
//!   travels in one GSM-7 SMS segment and survives copy and paste.
//! - The **QR form**: the token bytes as decimal digits, 17 digits for each
//!   group of 7 bytes (the last group shorter), so a QR code can use numeric
//!   mode, its densest. The token's own first 4 bits carry the version.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::ParseError;

/// The prefix of the SMS form, before the format version's digit.
pub const SMS_PREFIX: &str = "IZ";

/// No valid token of either format is longer than this many bytes (65 payload
/// + 64 signature).
pub(crate) const MAX_TOKEN_BYTES: usize = 160;

/// Digits for a final group of 0..=7 bytes: the least `d` with `10^d >= 2^(8n)`.
const GROUP_DIGITS: [usize; 8] = [0, 3, 5, 8, 10, 13, 15, 17];

/// The SMS form of token bytes; the version digit is the token's first four bits.
pub(crate) fn to_sms(bytes: &[u8]) -> String {
    let version = bytes.first().map_or(0, |b| b >> 4);
    format!("{SMS_PREFIX}{version}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub(crate) fn to_qr_digits(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 17 / 7 + 17);
    for group in bytes.chunks(7) {
        let value = group.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let width = GROUP_DIGITS[group.len()];
        out.push_str(&format!("{value:0width$}"));
    }
    out
}

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// Decodes the base64url characters that follow the prefix.
fn from_b64(body: &str) -> Result<Vec<u8>, ParseError> {
    if body.len() > MAX_TOKEN_BYTES * 4 / 3 + 2 {
        return Err(ParseError::TooLong);
    }
    // The engine refuses padding and non-zero trailing bits: one token, one text.
    URL_SAFE_NO_PAD.decode(body).map_err(|_| ParseError::BadEncoding("base64url"))
}

fn from_qr_digits(digits: &str) -> Result<Vec<u8>, ParseError> {
    if digits.len() > MAX_TOKEN_BYTES * 17 / 7 + 17 {
        return Err(ParseError::TooLong);
    }
    let tail = digits.len() % 17;
    let tail_bytes = GROUP_DIGITS.iter().position(|&d| d == tail).ok_or(ParseError::BadEncoding("QR digit groups"))?;
    let mut out = Vec::with_capacity(digits.len() / 17 * 7 + tail_bytes);
    let mut rest = digits;
    while !rest.is_empty() {
        let (len, n_bytes) = if rest.len() >= 17 { (17, 7) } else { (tail, tail_bytes) };
        let (group, after) = rest.split_at(len);
        let value: u64 = group.parse().map_err(|_| ParseError::BadEncoding("QR digit groups"))?;
        if n_bytes < 8 && value >> (8 * n_bytes) != 0 {
            return Err(ParseError::BadEncoding("QR digit groups"));
        }
        out.extend_from_slice(&value.to_be_bytes()[8 - n_bytes..]);
        rest = after;
    }
    Ok(out)
}

/// Token bytes read from a text, and the version its SMS prefix named.
pub(crate) struct Decoded {
    pub(crate) bytes: Vec<u8>,
    /// The digit after `IZ`; `None` for the QR form, which has no prefix.
    pub(crate) prefix_version: Option<u8>,
}

/// Reads exactly one token in either text form (surrounding white space allowed).
/// An SMS form of a version this crate does not read is refused unread.
pub(crate) fn decode_exact(text: &str) -> Result<Decoded, ParseError> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix(SMS_PREFIX) {
        if let Some(&d) = rest.as_bytes().first().filter(|d| d.is_ascii_digit()) {
            let version = d - b'0';
            if crate::wire::Format::from_version(version).is_none() {
                return Err(ParseError::UnsupportedVersion(version));
            }
            return Ok(Decoded { bytes: from_b64(&rest[1..])?, prefix_version: Some(version) });
        }
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Decoded { bytes: from_qr_digits(text)?, prefix_version: None });
    }
    Err(ParseError::NotFound)
}

/// Candidate token texts in `text`, in order: each `IZ<digit>` that starts a
/// word, with the base64url run that follows it; and each run of 100 or more
/// digits (a QR form pasted as text). A run longer than any token is still a
/// candidate, so that the caller reports it as too long rather than absent.
pub(crate) fn candidates(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_b64url(bytes[i - 1]);
        if starts_word && bytes[i..].starts_with(b"IZ") && bytes.get(i + 2).is_some_and(u8::is_ascii_digit) {
            let end = (i + 3..bytes.len()).find(|&j| !is_b64url(bytes[j])).unwrap_or(bytes.len());
            // Invariant: `i` and `end` are at ASCII bytes, hence char boundaries.
            found.push(&text[i..end]);
            i = end;
            continue;
        }
        if starts_word && bytes[i].is_ascii_digit() {
            let end = (i..bytes.len()).find(|&j| !bytes[j].is_ascii_digit()).unwrap_or(bytes.len());
            if end - i >= 100 && bytes.get(end).is_none_or(|&b| !is_b64url(b)) {
                found.push(&text[i..end]);
            }
            i = end;
            continue;
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_digit_groups_round_trip_for_every_length() {
        for len in 0..40usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 255) as u8).collect();
            let digits = to_qr_digits(&bytes);
            assert!(digits.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(from_qr_digits(&digits).unwrap(), bytes, "{len} bytes");
        }
        let max = to_qr_digits(&[0xff; 7]);
        assert_eq!(max, "72057594037927935");
    }

    #[test]
    fn qr_groups_out_of_range_are_refused() {
        // 3 digits hold one byte: 256 is too large.
        assert_eq!(from_qr_digits("256"), Err(ParseError::BadEncoding("QR digit groups")));
        // 4 digits is no group length.
        assert_eq!(from_qr_digits("1234"), Err(ParseError::BadEncoding("QR digit groups")));
        // 17 digits above 2^56.
        assert_eq!(from_qr_digits("99999999999999999"), Err(ParseError::BadEncoding("QR digit groups")));
    }

    #[test]
    fn sms_form_is_gsm_basic_without_spaces() {
        let text = to_sms(&(0..=255).collect::<Vec<u8>>());
        assert!(text.starts_with("IZ0"));
        assert!(to_sms(&[0x21]).starts_with("IZ2"));
        assert!(text.bytes().all(is_b64url));
    }

    #[test]
    fn candidates_in_an_sms() {
        let sms = "Icaze AZE11111111 15.12 10:00-13:00 IZ1abc_-9. Also XIZ1nope and IZ2future";
        assert_eq!(candidates(sms), vec!["IZ1abc_-9", "IZ2future"]);
        let digits = "7".repeat(120);
        let qr = format!("code: {digits}\n");
        assert_eq!(candidates(&qr), vec![digits.as_str()]);
        assert!(candidates("call 102 or 9108").is_empty());
        assert!(candidates("İZ1 ə ş IZ").is_empty());
    }
}
