//! The two text forms of a token, and finding a token inside a longer text.
//!
//! - The **SMS form**: `IZ1` followed by the token bytes in unpadded base64url.
//!   Every character is in the GSM 03.38 basic set and none is a space, so it
//!   travels in one GSM-7 SMS segment and survives copy and paste.
//! - The **QR form**: the token bytes as decimal digits, 17 digits for each
//!   group of 7 bytes (the last group shorter), so a QR code can use numeric
//!   mode, its densest. The token's own first 4 bits carry the version.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::ParseError;

/// The prefix of the SMS form: `IZ` and the format version.
pub const SMS_PREFIX: &str = "IZ1";

/// No valid v1 token is longer than this many bytes (65 payload + 64 signature).
pub(crate) const MAX_TOKEN_BYTES: usize = 160;

/// Digits for a final group of 0..=7 bytes: the least `d` with `10^d >= 2^(8n)`.
const GROUP_DIGITS: [usize; 8] = [0, 3, 5, 8, 10, 13, 15, 17];

pub(crate) fn to_sms(bytes: &[u8]) -> String {
    format!("{SMS_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
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

/// Reads exactly one token in either text form (surrounding white space allowed).
pub(crate) fn decode_exact(text: &str) -> Result<Vec<u8>, ParseError> {
    let text = text.trim();
    if let Some(body) = text.strip_prefix(SMS_PREFIX) {
        return from_b64(body);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return from_qr_digits(text);
    }
    if let Some(version) = other_version(text) {
        return Err(ParseError::UnsupportedVersion(version));
    }
    Err(ParseError::NotFound)
}

/// `IZ` followed by a digit other than the one we read.
fn other_version(text: &str) -> Option<u8> {
    let rest = text.strip_prefix("IZ")?;
    let d = *rest.as_bytes().first()?;
    (d.is_ascii_digit() && d != b'1').then(|| d - b'0')
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
        assert!(text.starts_with("IZ1"));
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
