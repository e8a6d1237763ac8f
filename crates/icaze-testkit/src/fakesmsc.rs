//! fakesmsc's line protocol and output: encoding mobile-originated messages, and
//! recognising what it prints.
//!
//! fakesmsc (from `kannel-extras`) reads one message a line, `FROM TO TYPE DATA`, and
//! prints every line the fake SMSC sends back through Kannel's logging as
//! `... DEBUG: Got message N: <FROM TO TYPE DATA>`.

/// The longest line fakesmsc reads whole from standard input. It reads with
/// `fgets(buffer, 256, stdin)`: a line of 255 bytes loses its line break and is glued to
/// the next message, a longer one is cut into two messages (measured with Kannel 1.4.5).
pub(crate) const MAX_LINE: usize = 254;

/// A line that fakesmsc sends but the fake SMSC rejects ("invalid message syntax",
/// ignored). Writing it makes fakesmsc read its connection and say `sent message N`,
/// which tells us that it has printed everything it had received before.
pub(crate) const NUDGE: &str = "-";

/// The fakesmsc line for one mobile-originated message, or why there is none.
///
/// Printable ASCII goes as `text`, as a phone would send GSM-7. Anything else goes as
/// `ucs2` (URL-encoded UTF-16BE), as a phone sends Cyrillic or Azerbaijani letters, and
/// smsbox's `mo-recode` turns it into UTF-8 for the application. A text whose `ucs2`
/// line would not fit in [`MAX_LINE`] but has no line breaks or other control characters
/// goes as `text` carrying UTF-8, which reaches the application as the same UTF-8.
pub(crate) fn mo_line(from: &str, to: &str, text: &str) -> Result<String, String> {
    if from.is_empty() || from.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the sender must be non-empty, without spaces or control characters".into());
    }
    if text.chars().all(|c| matches!(c, ' '..='~')) {
        return fitting(format!("{from} {to} text {text}"));
    }
    let mut line = format!("{from} {to} ucs2 ");
    for byte in text.encode_utf16().flat_map(u16::to_be_bytes) {
        push_url_encoded(&mut line, byte);
    }
    if line.len() <= MAX_LINE || text.chars().any(char::is_control) {
        return fitting(line);
    }
    fitting(format!("{from} {to} text {text}"))
}

fn fitting(line: String) -> Result<String, String> {
    if line.len() <= MAX_LINE {
        Ok(line)
    } else {
        Err(format!(
            "its fakesmsc line is {} bytes and fakesmsc reads at most {MAX_LINE} a line; \
             shorten the text (non-ASCII text costs up to 6 bytes a character)",
            line.len()
        ))
    }
}

/// Appends one byte as Kannel's URL decoder reads it: printable ASCII other than `%` and
/// `+` as itself, everything else as `%XX`.
fn push_url_encoded(out: &mut String, byte: u8) {
    if (0x21..=0x7e).contains(&byte) && byte != b'%' && byte != b'+' {
        out.push(char::from(byte));
    } else {
        out.push_str(&format!("%{byte:02X}"));
    }
}

/// What one line of fakesmsc's output says.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Output<'a> {
    /// fakesmsc has written its `n`-th message to the fake SMSC.
    Sent(u64),
    /// A line the fake SMSC sent, as fakesmsc printed it between `<` and `>`.
    Received(&'a str),
    /// Anything else: start-up and connection messages.
    Other,
}

/// Recognises one line of fakesmsc's output (with or without its line break).
pub(crate) fn classify(line: &str) -> Output<'_> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    if let Some((_, rest)) =
        line.split_once("] DEBUG: Got message ").or_else(|| line.split_once("] INFO: Got message "))
    {
        // "N: <...>": the content is everything between the first "<" and the final ">".
        if let Some((_, content)) = rest.split_once(": <") {
            if let Some(content) = content.strip_suffix('>') {
                return Output::Received(content);
            }
        }
        return Output::Other;
    }
    if let Some((_, count)) = line
        .split_once("] DEBUG: fakesmsc: sent message ")
        .or_else(|| line.split_once("] INFO: fakesmsc: sent message "))
    {
        if let Ok(n) = count.trim().parse() {
            return Output::Sent(n);
        }
    }
    Output::Other
}

/// A mobile-terminated message as the fake SMSC handed it to fakesmsc.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reply<'a> {
    /// Who Kannel sent it as: the short code.
    pub(crate) sender: &'a str,
    /// The phone it is for.
    pub(crate) receiver: &'a str,
    /// Its text, decoded.
    pub(crate) text: String,
}

/// Reads a received line as a reply, or `None` when it does not have the shape
/// `FROM TO TYPE DATA` with a type the fake SMSC writes. A reply containing line breaks
/// arrives as several lines, and only the first has that shape.
pub(crate) fn parse_reply(content: &str) -> Option<Reply<'_>> {
    let mut fields = content.splitn(4, ' ');
    let sender = fields.next()?;
    let receiver = fields.next()?;
    let kind = fields.next()?;
    let data = fields.next()?;
    let text = match kind {
        // Kannel's internal text, which is UTF-8.
        "text" => data.to_owned(),
        "data" => String::from_utf8_lossy(&url_decode(data)).into_owned(),
        "ucs-2" => utf16be_lossy(&url_decode(data)),
        // "udh UDH data DATA": one part of a concatenated message. The configuration
        // turns concatenation off, so this appears only if that changes.
        "udh" => {
            let (_, data) = data.split_once(" data ")?;
            String::from_utf8_lossy(&url_decode(data)).into_owned()
        }
        _ => return None,
    };
    Some(Reply { sender, receiver, text })
}

/// Kannel's URL decoding: `%XX` is a byte, `+` a space, anything else itself. A `%` not
/// followed by two hex digits stays as it is.
fn url_decode(data: &str) -> Vec<u8> {
    let bytes = data.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match bytes.get(i + 1..i + 3).and_then(|pair| hex_pair(pair[0], pair[1])) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}

fn hex_pair(high: u8, low: u8) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    let value = digit(high)? * 16 + digit(low)?;
    u8::try_from(value).ok()
}

fn utf16be_lossy(bytes: &[u8]) -> String {
    // `chunks` never yields an empty chunk; an odd last byte is padded with zero.
    let units = bytes.chunks(2).map(|pair| u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ascii_goes_as_text_untouched() {
        assert_eq!(
            mo_line("+994501234567", "8103", "  #2,  AZE-1 & % + ").unwrap(),
            "+994501234567 8103 text   #2,  AZE-1 & % + "
        );
        assert_eq!(mo_line("+1", "8103", "").unwrap(), "+1 8103 text ");
    }

    #[test]
    fn other_text_goes_as_ucs2_that_decodes_back() {
        for text in ["İcazə 2", "2 АZЕ11111111", "line1\nline2", "100%+\t", "😀"] {
            let line = mo_line("+1", "8103", text).unwrap();
            let data = line.strip_prefix("+1 8103 ucs2 ").unwrap();
            assert_eq!(utf16be_lossy(&url_decode(data)), text);
        }
    }

    #[test]
    fn long_non_ascii_text_falls_back_to_utf8_text() {
        // "Я" is U+042F, "%04/" in a ucs2 line: 100 of them do not fit, as UTF-8 they do.
        let text = "Я".repeat(100);
        assert_eq!(mo_line("+1", "8103", &text).unwrap(), format!("+1 8103 text {text}"));
    }

    #[test]
    fn lines_fakesmsc_cannot_read_are_refused() {
        assert!(mo_line("+1", "8103", &"a".repeat(MAX_LINE)).is_err());
        assert!(mo_line("+1", "8103", &format!("{}\n", "Я".repeat(100))).is_err());
        assert!(mo_line("", "8103", "hi").is_err());
        assert!(mo_line("+1 2", "8103", "hi").is_err());
        let longest = "a".repeat(MAX_LINE - "+1 8103 text ".len());
        assert_eq!(mo_line("+1", "8103", &longest).unwrap().len(), MAX_LINE);
    }

    #[test]
    fn output_lines_are_recognised() {
        let got = "2026-11-25 04:34:48 [28967] [0] DEBUG: Got message 12: <8103 +1 text a > b>\n";
        assert_eq!(classify(got), Output::Received("8103 +1 text a > b"));
        let last = "2026-11-25 04:34:48 [28967] [0] INFO: Got message 1: <8103 +1 text  >";
        assert_eq!(classify(last), Output::Received("8103 +1 text  "));
        let sent = "2026-11-25 04:36:38 [30030] [0] DEBUG: fakesmsc: sent message 7\n";
        assert_eq!(classify(sent), Output::Sent(7));
        let other = "2026-11-25 04:36:38 [30030] [0] INFO: fakesmsc starting";
        assert_eq!(classify(other), Output::Other);
    }

    #[test]
    fn replies_of_every_coding_are_decoded() {
        let text = parse_reply("8103 +1 text echo:+1:a  b").unwrap();
        assert_eq!(text, Reply { sender: "8103", receiver: "+1", text: "echo:+1:a  b".into() });
        assert_eq!(parse_reply("8103 +1 text ").unwrap().text, "");
        assert_eq!(parse_reply("8103 +1 data a+b%25%C9%99").unwrap().text, "a b%ə");
        assert_eq!(parse_reply("8103 +1 ucs-2 %01%30%02Y").unwrap().text, "İə");
        assert_eq!(parse_reply("8103 +1 udh %05%00%03%0C%02%01 data xy").unwrap().text, "xy");
        assert_eq!(parse_reply("second line of a reply"), None);
        assert_eq!(parse_reply("8103 +1"), None);
    }

    #[test]
    fn url_decoding_keeps_what_is_not_an_escape() {
        assert_eq!(url_decode("%zz%4"), b"%zz%4");
        assert_eq!(url_decode("%41%"), b"A%");
    }
}
