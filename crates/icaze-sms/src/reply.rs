//! Every reply the 8103 service sends, in Azerbaijani (`az`, the default),
//! Russian (`ru`) or English (`en`).
//!
//! Each function returns text in the GSM 03.38 basic set only (see
//! [`gsm7`](crate::gsm7)), so a reply is never turned into UCS-2. The
//! Azerbaijani texts are written here with their proper letters and
//! transliterated by [`to_basic`] (`ş`→`sh`, `ə`→`e`,
//! ...), the way people text without diacritics.
//!
//! The Russian texts are written here in Cyrillic and transliterated to
//! Latin letters by [`russian_to_basic`] (`Пропуск`→`Propusk`, `ш`→`sh`,
//! `щ`→`shch`, `ю`→`yu`, the soft sign dropped), as SMS services of the
//! region write Russian: Cyrillic is outside the basic set, and one Cyrillic
//! letter would make the reply UCS-2, 70 characters an SMS, too short for a
//! permit.
//!
//! Every reply but [`permit`] fits one 160-character SMS for any input, in
//! each language: a document number of up to 22 characters (7 letters and
//! 15 digits), any `u8` code, any list of available codes (only 1..=9 are
//! shown, once each). [`permit`] fits one SMS when the document, the longest
//! window and the token leave room, the label dropped if need be
//! ([`permit_fits`], [`longest_document_that_fits`]): with a token of up to
//! 111 characters, any document of `icaze-core`. A v2 token grows with the
//! document; with the tokens of SMS permits (one zone, an activation delay
//! of at most 64 minutes, whole hours), every document of up to 16
//! characters fits (15 in a zone above 31), which covers the documents
//! people hold (`AZE` + 8, `AA` + 7, `MYİ`, `DYİ`, `MOM` + 7, registration
//! notices of up to 15 digits), but not every longer one: the longest
//! document, 7 letters and 15 digits, takes a 122-character token (123 in
//! a zone above 31) and 169 characters without the label.
//!
//! Document numbers are shown in their canonical ASCII form (`MYI1234567`,
//! not `MYİ1234567`).
//!
//! [`permit_with_link`] can write the token as a link to the citizen page,
//! `icaze.az/p#IZ2…` ([`PageLink`]): the link takes the token's place, so it
//! costs only the page's address and `#`, and it is written only where the
//! reply still fits one SMS, else the reply is [`permit`]'s, byte for byte.
//! With a 10-character address, the permits of the documents people hold
//! carry it within one Baku date in every language, and across midnight
//! without the label; the longest permits never do (`docs/sms.md`).

use icaze_core::{DocumentNumber, UtcMinute, BAKU_OFFSET_MINUTES};

use crate::gsm7::{russian_to_basic, segments, to_basic};
use crate::{Language, ParseProblem};

/// The ASAN service call centre, for questions about the SMS system.
pub const HELP_LINE: &str = "9108";

/// The example request every help text shows.
const EXAMPLE_DOCUMENT: &str = "AZE11111111";

/// The most characters of one GSM-7 SMS.
const SMS_CHARS: usize = 160;

/// The longest validity window [`permit`] writes: one that ends on another
/// Baku date, `15.12 22:00-16.12 01:00` (or `??.?? ??:??-??.?? ??:??`).
pub const LONGEST_WINDOW_CHARS: usize = 23;

/// The longest document (its canonical form, [`DocumentNumber::canonical`])
/// whose [`permit`] reply fits one SMS with a token of `token_chars`
/// characters (its SMS form, `IZ2…`) and any window, the label dropped if
/// need be: `160 − 23 − 2 − token_chars`, or 0 if nothing fits.
///
/// For a 111-character token (a typical permit): 24, every document of
/// `icaze-core` (at most 22). For 122 (the longest v2 SMS permit, for a
/// document of 7 letters and 15 digits, in a zone of 1 to 31): 13; for 123
/// (the same in a zone above 31): 12.
///
/// ```
/// use icaze_sms::reply;
///
/// assert_eq!(reply::longest_document_that_fits(111), 24);
/// assert_eq!(reply::longest_document_that_fits(122), 13);
/// assert_eq!(reply::longest_document_that_fits(123), 12);
/// ```
pub fn longest_document_that_fits(token_chars: usize) -> usize {
    // Two spaces: after the document and after the window.
    SMS_CHARS.saturating_sub(LONGEST_WINDOW_CHARS + 2).saturating_sub(token_chars)
}

/// Whether every [`permit`] reply for `document` with a token of
/// `token_chars` characters fits one SMS, whatever its window; see
/// [`longest_document_that_fits`].
///
/// The token's length depends on the document (its letters and digits, and
/// whether format v2 implies its series) and on the permit's other claims
/// (zones above 31, an activation delay over 64 minutes or a duration in
/// odd minutes make it longer), so a caller that refuses documents on
/// registry import passes the length of the longest token it would issue
/// for that document, e.g. that of a token issued for it with the regime's
/// longest claims. Passing 123 instead is safe for any SMS permit of one
/// zone, 64 minutes of delay and whole hours, but refuses every document of
/// 13 characters or more, registration notices of 13 to 15 digits among
/// them, whose permits do fit.
pub fn permit_fits(document: &DocumentNumber, token_chars: usize) -> bool {
    document.canonical().len() <= longest_document_that_fits(token_chars)
}

/// The SMS that carries a permit: a label, the document, the validity window
/// in Baku time, and the token last so it is easy to copy.
///
/// `Icaze AZE11111111 15.12 10:00-13:00 IZ2…` (Russian: `Propusk …`,
/// English: `Permit …`). When the window ends on another Baku date, the end
/// date is shown too: `15.12 22:00-16.12 01:00`. The label is dropped if the
/// text would not fit one SMS with it; whether it fits without it is
/// [`permit_fits`]. `token_text` is the token's SMS form (`IZ2…`, already
/// GSM basic); any character outside the basic set is replaced by `?`.
///
/// ```
/// use icaze_core::{DocumentNumber, UtcMinute};
/// use icaze_sms::{reply, Language};
///
/// let at = |s| UtcMinute::parse_rfc3339(s).unwrap();
/// let doc = DocumentNumber::parse("AZE11111111")?;
/// let text = reply::permit(Language::Az, &doc, at("2020-12-15T10:00:00+04:00"), at("2020-12-15T13:00:00+04:00"), "IZ2abc");
/// assert_eq!(text, "Icaze AZE11111111 15.12 10:00-13:00 IZ2abc");
/// let text = reply::permit(Language::Ru, &doc, at("2020-12-15T22:00:00+04:00"), at("2020-12-16T01:00:00+04:00"), "IZ2abc");
/// assert_eq!(text, "Propusk AZE11111111 15.12 22:00-16.12 01:00 IZ2abc");
/// # Ok::<(), icaze_core::DocumentError>(())
/// ```
pub fn permit(
    lang: Language,
    document: &DocumentNumber,
    from: UtcMinute,
    until: UtcMinute,
    token_text: &str,
) -> String {
    permit_with_link(lang, document, from, until, token_text, None)
}

/// [`permit`], with the token written as a link to the citizen page where it
/// fits: `Icaze AZE11111111 15.12 10:00-13:00 icaze.az/p#IZ2…`.
///
/// A phone shows the link as one a citizen taps to open the permit and its
/// QR code (`/p#<token>`: the token is in the fragment, which no browser sends
/// to a server). The token is still the reply's last word of base64url
/// characters, found by every reader of `docs/token-format.md` §2.3 (`#` ends
/// the word before it), and the citizen page finds it in the whole SMS pasted.
///
/// The forms, the first that fits one SMS is sent: label and link, link
/// without the label, label and bare token, bare token. So the link never
/// makes a reply longer than one SMS, and where it fits nowhere (or `link` is
/// `None`) the reply is [`permit`]'s, byte for byte. [`permit_fits`] stays the
/// rule for whether a permit fits at all.
///
/// ```
/// use icaze_core::{DocumentNumber, UtcMinute};
/// use icaze_sms::{gsm7, reply, Language};
///
/// let at = |s| UtcMinute::parse_rfc3339(s).unwrap();
/// let link = reply::PageLink::parse("https://icaze.az/p")?;
/// let doc = DocumentNumber::parse("AZE11111111").unwrap();
/// let token = format!("IZ2{}", "A".repeat(108));
/// let (from, until) = (at("2020-12-15T10:00:00+04:00"), at("2020-12-15T13:00:00+04:00"));
/// let text = reply::permit_with_link(Language::Az, &doc, from, until, &token, Some(&link));
/// assert_eq!(text, format!("Icaze AZE11111111 15.12 10:00-13:00 icaze.az/p#{token}"));
/// assert_eq!(gsm7::segments(&text), 1);
/// // Across midnight the window is 6 characters longer: the label gives way.
/// let (from, until) = (at("2020-12-15T22:00:00+04:00"), at("2020-12-16T01:00:00+04:00"));
/// let text = reply::permit_with_link(Language::Az, &doc, from, until, &token, Some(&link));
/// assert_eq!(text, format!("AZE11111111 15.12 22:00-16.12 01:00 icaze.az/p#{token}"));
/// # Ok::<(), reply::PageLinkError>(())
/// ```
pub fn permit_with_link(
    lang: Language,
    document: &DocumentNumber,
    from: UtcMinute,
    until: UtcMinute,
    token_text: &str,
    link: Option<&PageLink>,
) -> String {
    let ((from_day, from_time), (until_day, until_time)) = (baku_parts(from), baku_parts(until));
    let end = if baku_date(from) == baku_date(until) { until_time } else { format!("{until_day} {until_time}") };
    let token = to_basic(token_text);
    let body = |token: &str| format!("{} {from_day} {from_time}-{end} {token}", document.canonical());
    let label = match lang {
        Language::Az => "Icaze",
        Language::En => "Permit",
        Language::Ru => "Propusk",
    };
    if let Some(link) = link {
        let linked = body(&format!("{}#{token}", link.0));
        for text in [format!("{label} {linked}"), linked] {
            if segments(&text) == 1 {
                return text;
            }
        }
    }
    let bare = body(&token);
    first_fitting(format!("{label} {bare}"), || bare)
}

/// The citizen page's address as a permit reply writes it before `#` and the
/// token ([`permit_with_link`]): `icaze.az/p` for `https://icaze.az/p`.
///
/// The scheme is left out, to save 8 characters of the SMS: phones show
/// `host/path` as a link and open it with `http://`, so the host must answer
/// plain HTTP with a redirect to `https://` (browsers keep the fragment, the
/// token, across a redirect, and never send it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink(String);

/// Why a citizen page address cannot go into an SMS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PageLinkError {
    /// Not `http://` or `https://`, a host, and a path.
    #[error("{0:?}: the citizen page's address is https://, a host and the page's path, e.g. https://icaze.az/p")]
    Malformed(String),
    /// A character an SMS link cannot carry plainly: a query, a fragment,
    /// credentials, or anything outside `a-z 0-9 . - : / _ ~`.
    #[error("{0:?}: only letters a-z, digits and . - : / _ ~ (no query, fragment or credentials)")]
    BadCharacter(String),
}

impl PageLink {
    /// Reads the citizen page's public address, e.g. `https://icaze.az/p`:
    /// `http://` or `https://`, a host (with a port if need be) and the
    /// page's path, a trailing `/` dropped; the host is written in lower case.
    pub fn parse(url: &str) -> Result<Self, PageLinkError> {
        let url = url.trim();
        let malformed = || PageLinkError::Malformed(url.to_owned());
        let lower = url.to_ascii_lowercase();
        let skip = if lower.starts_with("https://") {
            8
        } else if lower.starts_with("http://") {
            7
        } else {
            return Err(malformed());
        };
        let rest = url.get(skip..).ok_or_else(malformed)?.trim_end_matches('/');
        let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '/' | '_' | '~');
        if !rest.chars().all(fine) {
            return Err(PageLinkError::BadCharacter(url.to_owned()));
        }
        let (host, path) = rest.split_once('/').ok_or_else(malformed)?;
        if host.is_empty() || path.is_empty() || host.starts_with(['.', '-', ':']) {
            return Err(malformed());
        }
        Ok(Self(format!("{}/{path}", host.to_ascii_lowercase())))
    }

    /// The address as the SMS writes it, without a scheme: `icaze.az/p`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The first minute whose Baku time is in the year 10000, which `icaze-core`
/// cannot show (its display panics from here to the year 10000 in UTC, and
/// shows 1970 after it): 9999-12-31T20:00Z.
const FIRST_UNSHOWABLE_MINUTE: u32 = 4_223_371_440;

/// Day and month (`15.12`) and hour and minute (`10:00`) in Baku; `??.??`
/// and `??:??` for instants past the year 9999, which no real permit has.
fn baku_parts(t: UtcMinute) -> (String, String) {
    if t.unix_minutes() >= FIRST_UNSHOWABLE_MINUTE {
        return ("??.??".into(), "??:??".into());
    }
    (t.baku().day_month(), t.baku().hour_minute())
}

/// Days since 1970-01-01 in Baku, to tell whether two instants fall on one date.
fn baku_date(t: UtcMinute) -> i64 {
    (i64::from(t.unix_minutes()) + i64::from(BAKU_OFFSET_MINUTES)).div_euclid(24 * 60)
}

/// The reply to a text that is not a request: what was wrong, then the form
/// of a request with the codes of the regime in force (`available_codes`,
/// as configured; with none, the form says only "code").
///
/// Azerbaijani replies end with a hint that `EN` gives English replies and
/// `RU` Russian ones, as long as it fits one SMS: else with the hint for
/// English alone, else with none (a long bad document and a long list of
/// codes leave no room).
pub fn how_to_write(lang: Language, problem: &ParseProblem, available_codes: &[u8]) -> String {
    let codes = shown_codes(available_codes);
    let example = format!("{} {EXAMPLE_DOCUMENT}", codes.last().copied().unwrap_or(2));
    match lang {
        Language::Az => {
            let lead = match problem {
                ParseProblem::Empty => "Sorğu boşdur.".to_owned(),
                ParseProblem::TooLong => "SMS çox uzundur.".to_owned(),
                ParseProblem::Unreadable => "Sorğu oxunmadı.".to_owned(),
                ParseProblem::NoCode => "Kod yazılmayıb.".to_owned(),
                ParseProblem::NoDocument => "Sənəd yazılmayıb.".to_owned(),
                ParseProblem::BadCode => "Kod bir rəqəmdir.".to_owned(),
                ParseProblem::BadDocument { read } => format!("Sənəd nömrəsi səhvdir: {read}."),
                ParseProblem::SeveralRequests => "Bir SMS-də bir sorğu göndərin.".to_owned(),
            };
            let list = if codes.is_empty() { String::new() } else { format!(" ({})", list(lang, &codes)) };
            let form = az(&format!("{lead} Yazın: kod{list}, boşluq, sənədin seriya və nömrəsi. Məs: {example}"));
            // The hints name each language in itself; the longest that fits is sent.
            let with_en = format!("{form}. English: EN {example}");
            let with_en_ru = ru(&format!("{with_en}. По-русски: RU {example}"));
            first_fitting(with_en_ru, || first_fitting(with_en, || form))
        }
        Language::Ru => {
            let lead = match problem {
                ParseProblem::Empty => "Пустое SMS.".to_owned(),
                ParseProblem::TooLong => "SMS слишком длинное.".to_owned(),
                ParseProblem::Unreadable => "Запрос не понят.".to_owned(),
                ParseProblem::NoCode => "Нет кода.".to_owned(),
                ParseProblem::NoDocument => "Нет документа.".to_owned(),
                ParseProblem::BadCode => "Код - одна цифра.".to_owned(),
                ParseProblem::BadDocument { read } => format!("Неверный номер документа: {read}."),
                ParseProblem::SeveralRequests => "Один запрос в одном SMS.".to_owned(),
            };
            let list = if codes.is_empty() { String::new() } else { format!(" ({})", list(lang, &codes)) };
            ru(&format!("{lead} Напишите: код{list}, пробел, серия и номер документа. Пример: RU {example}"))
        }
        Language::En => {
            let lead = match problem {
                ParseProblem::Empty => "Empty SMS.".to_owned(),
                ParseProblem::TooLong => "SMS too long.".to_owned(),
                ParseProblem::Unreadable => "Request not understood.".to_owned(),
                ParseProblem::NoCode => "No code.".to_owned(),
                ParseProblem::NoDocument => "No document.".to_owned(),
                ParseProblem::BadCode => "The code is one digit.".to_owned(),
                ParseProblem::BadDocument { read } => format!("Wrong document number: {read}."),
                ParseProblem::SeveralRequests => "Send one request per SMS.".to_owned(),
            };
            let list = if codes.is_empty() { String::new() } else { format!(" ({})", list(lang, &codes)) };
            en(&format!("{lead} Write: code{list}, space, document series and number. E.g. EN {example}"))
        }
    }
}

/// No permit for this request, for a reason the asker is not told: the
/// document is in no registry, its holder is registered where the regime
/// restricts nothing, is over the age limit or on the deny list, or the day's
/// permit of this document went to another phone. One text for all of them,
/// so that a phone cannot learn from the replies who is registered where, who
/// is infected, or who has a permit today; it echoes the document (a typo
/// shows) and names the help line, where the holder is told more.
pub fn not_issued(lang: Language, document: &DocumentNumber) -> String {
    let doc = document.canonical();
    match lang {
        Language::Az => az(&format!(
            "{doc}: icazə verilmədi. Seriya və nömrəni yoxlayın. Məlumat: ASAN xidmət {HELP_LINE}. Həyat və sağlamlıq üçün təhlükədə icazə lazım deyil."
        )),
        Language::En => en(&format!(
            "{doc}: no permit. Check the series and number. Help: ASAN service {HELP_LINE}. No permit is needed if life or health is in danger."
        )),
        Language::Ru => ru(&format!(
            "{doc}: пропуск не выдан. Проверьте серию и номер. Справки: служба ASAN {HELP_LINE}. При угрозе жизни и здоровью пропуск не нужен."
        )),
    }
}

/// The day's permit of this code, asked for again by the phone that got it,
/// was revoked: it is not sent again, and the code's daily permits are used.
pub fn permit_revoked(lang: Language, code: u8, document: &DocumentNumber) -> String {
    let doc = document.canonical();
    match lang {
        Language::Az => az(&format!(
            "{doc}: bu günkü kod {code} icazəsi ləğv edilib. Bu gün SMS ilə yenisi verilmir. Məlumat: ASAN xidmət {HELP_LINE}"
        )),
        Language::En => en(&format!(
            "{doc}: today's code {code} permit was revoked. No new one is issued by SMS today. Help: ASAN service {HELP_LINE}"
        )),
        Language::Ru => ru(&format!(
            "{doc}: сегодняшний пропуск по коду {code} отозван. Новый сегодня по SMS не выдаётся. Справки: служба ASAN {HELP_LINE}"
        )),
    }
}

/// The code allows one permit a day for this document, and it was given.
pub fn daily_limit(lang: Language, code: u8, document: &DocumentNumber) -> String {
    let doc = document.canonical();
    match lang {
        Language::Az => {
            az(&format!("{doc}: kod {code} ilə icazə bu gün artıq verilib (gündə 1 dəfə). Sabah yenidən yazın."))
        }
        Language::En => {
            en(&format!("{doc}: a code {code} permit was already issued today (once a day). Send again tomorrow."))
        }
        Language::Ru => {
            ru(&format!("{doc}: пропуск по коду {code} сегодня уже выдан (1 раз в день). Напишите завтра."))
        }
    }
}

/// The code is not one the regime in force offers by SMS.
pub fn code_not_available(lang: Language, code: u8, available_codes: &[u8]) -> String {
    let codes = shown_codes(available_codes);
    match (lang, codes.last()) {
        (Language::Az, Some(example)) => az(&format!(
            "Kod {code} ilə icazə hazırda verilmir. Mümkün kodlar: {}. Məs: {example} {EXAMPLE_DOCUMENT}. Məlumat: {HELP_LINE}",
            list(lang, &codes)
        )),
        (Language::Az, None) => {
            az(&format!("Hazırda SMS ilə icazə verilmir (kod {code}). Məlumat: ASAN xidmət Çağrı Mərkəzi {HELP_LINE}"))
        }
        (Language::En, Some(example)) => en(&format!(
            "Code {code} permits are not issued now. Codes: {}. E.g. EN {example} {EXAMPLE_DOCUMENT}. Help: {HELP_LINE}",
            list(lang, &codes)
        )),
        (Language::En, None) => en(&format!(
            "No permits are issued by SMS now (code {code}). Help: ASAN service call centre {HELP_LINE}"
        )),
        (Language::Ru, Some(example)) => ru(&format!(
            "Пропуска по коду {code} сейчас не выдаются. Коды: {}. Пример: RU {example} {EXAMPLE_DOCUMENT}. Справки: {HELP_LINE}",
            list(lang, &codes)
        )),
        (Language::Ru, None) => ru(&format!(
            "Сейчас пропуска по SMS не выдаются (код {code}). Справки: колл-центр службы ASAN {HELP_LINE}"
        )),
    }
}

/// No regime is in force: movement is not restricted.
pub fn no_permit_needed(lang: Language) -> String {
    match lang {
        Language::Az => az("Hazırda hərəkət məhdudiyyəti yoxdur: SMS icazəsi tələb olunmur."),
        Language::En => en("There are no movement restrictions now: no SMS permit is needed."),
        Language::Ru => ru("Сейчас ограничений передвижения нет: SMS-пропуск не нужен."),
    }
}

/// This phone number has asked for as many permits today as one phone may.
pub fn phone_limit(lang: Language) -> String {
    match lang {
        Language::Az => az(&format!(
            "Bu telefon nömrəsi üçün bu günkü sorğu limiti dolub. Sabah yenidən yazın. Məlumat: {HELP_LINE}"
        )),
        Language::En => en(&format!(
            "This phone number has reached today's limit of requests. Send again tomorrow. Help: {HELP_LINE}"
        )),
        Language::Ru => ru(&format!(
            "Лимит запросов с этого номера телефона на сегодня исчерпан. Напишите завтра. Справки: {HELP_LINE}"
        )),
    }
}

/// Too many messages from this phone in a short time.
pub fn rate_limited(lang: Language) -> String {
    match lang {
        Language::Az => az("Çox tez-tez yazırsınız. Bir neçə dəqiqədən sonra yenidən yazın."),
        Language::En => en("Too many messages in a short time. Send again in a few minutes."),
        Language::Ru => ru("Слишком много сообщений за короткое время. Напишите через несколько минут."),
    }
}

/// Something failed on the service's side: try again later.
pub fn service_error(lang: Language) -> String {
    match lang {
        Language::Az => az("Texniki səbəbdən sorğu icra olunmadı. Bir neçə dəqiqədən sonra yenidən yazın."),
        Language::En => {
            en("Your request could not be processed for a technical reason. Send it again in a few minutes.")
        }
        Language::Ru => ru("Запрос не выполнен по технической причине. Напишите снова через несколько минут."),
    }
}

/// The codes 1..=9 of `available`, each once, in the order given.
fn shown_codes(available: &[u8]) -> Vec<u8> {
    let mut codes: Vec<u8> = Vec::new();
    for &code in available {
        if (1..=9).contains(&code) && !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// `1`, `1 və ya 2`, `1, 2 və ya 3` (Russian: `или`, English: `or`), as
/// written in the source: the caller transliterates.
fn list(lang: Language, codes: &[u8]) -> String {
    let or = match lang {
        Language::Az => "və ya",
        Language::En => "or",
        Language::Ru => "или",
    };
    match codes.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => {
            let rest: Vec<String> = rest.iter().map(u8::to_string).collect();
            format!("{} {or} {last}", rest.join(", "))
        }
    }
}

/// Azerbaijani text in the basic set.
fn az(text: &str) -> String {
    to_basic(text)
}

/// Russian text in the basic set, transliterated to Latin letters.
fn ru(text: &str) -> String {
    russian_to_basic(text)
}

/// English text in the basic set (already plain; this only guards the invariant).
fn en(text: &str) -> String {
    to_basic(text)
}

/// `full` if it fits one SMS, else the shorter form.
fn first_fitting(full: String, shorter: impl FnOnce() -> String) -> String {
    if segments(&full) == 1 {
        full
    } else {
        shorter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gsm7::is_basic;
    use icaze_core::DocumentKind;
    use proptest::prelude::*;

    const ALL: [Language; 3] = [Language::Az, Language::Ru, Language::En];

    fn at(s: &str) -> UtcMinute {
        UtcMinute::parse_rfc3339(s).unwrap()
    }

    fn doc(s: &str) -> DocumentNumber {
        DocumentNumber::parse(s).unwrap()
    }

    /// A token of the typical SMS permit's length: `IZ1` and 108 base64url characters.
    fn token_111() -> String {
        format!("IZ1{}", "Ab-_9".repeat(22)).chars().take(111).collect()
    }

    fn problems() -> Vec<ParseProblem> {
        vec![
            ParseProblem::Empty,
            ParseProblem::TooLong,
            ParseProblem::Unreadable,
            ParseProblem::NoCode,
            ParseProblem::NoDocument,
            ParseProblem::BadCode,
            ParseProblem::BadDocument { read: "AZE1111".into() },
            ParseProblem::BadDocument { read: format!("{}..", "9".repeat(20)) },
            ParseProblem::SeveralRequests,
        ]
    }

    /// Every reply but the permit, for one set of inputs.
    fn all_replies(lang: Language, document: &DocumentNumber, code: u8, available: &[u8]) -> Vec<String> {
        let mut out: Vec<String> = problems().iter().map(|p| how_to_write(lang, p, available)).collect();
        out.extend([
            not_issued(lang, document),
            permit_revoked(lang, code, document),
            daily_limit(lang, code, document),
            code_not_available(lang, code, available),
            no_permit_needed(lang),
            phone_limit(lang),
            rate_limited(lang),
            service_error(lang),
        ]);
        out
    }

    fn assert_one_basic_sms(text: &str) {
        assert!(is_basic(text), "not GSM basic: {text:?}");
        assert_eq!(segments(text), 1, "{} characters: {text:?}", text.chars().count());
    }

    /// A token of the longest v2 SMS permit's length, that of a document of 7
    /// letters and 15 digits: `IZ2` and 119 base64url characters.
    fn token_122() -> String {
        format!("IZ2{}", "Ab-_9".repeat(24)).chars().take(122).collect()
    }

    /// The two windows: one Baku date, and the longest, across midnight.
    fn windows() -> [(UtcMinute, UtcMinute); 2] {
        [
            (at("2020-12-15T10:00:00+04:00"), at("2020-12-15T13:00:00+04:00")),
            (at("2020-12-15T22:00:00+04:00"), at("2020-12-16T01:00:00+04:00")),
        ]
    }

    #[test]
    fn permit_fits_one_sms_in_all_languages() {
        let token = token_111();
        let document = doc("AZE11111111");
        for lang in ALL {
            let same_day =
                permit(lang, &document, at("2020-12-15T10:00:00+04:00"), at("2020-12-15T13:00:00+04:00"), &token);
            let overnight =
                permit(lang, &document, at("2020-12-15T22:00:00+04:00"), at("2020-12-16T01:00:00+04:00"), &token);
            for text in [&same_day, &overnight] {
                assert_one_basic_sms(text);
                assert!(text.ends_with(&token));
            }
        }
        let az =
            permit(Language::Az, &document, at("2020-12-15T10:00:00+04:00"), at("2020-12-15T13:00:00+04:00"), &token);
        assert_eq!(az, format!("Icaze AZE11111111 15.12 10:00-13:00 {token}"));
        let en =
            permit(Language::En, &document, at("2020-12-15T22:00:00+04:00"), at("2020-12-16T01:00:00+04:00"), &token);
        assert_eq!(en, format!("Permit AZE11111111 15.12 22:00-16.12 01:00 {token}"));
        let ru =
            permit(Language::Ru, &document, at("2020-12-15T22:00:00+04:00"), at("2020-12-16T01:00:00+04:00"), &token);
        assert_eq!(ru, format!("Propusk AZE11111111 15.12 22:00-16.12 01:00 {token}"));
        assert_eq!(ru.len(), 155);
    }

    #[test]
    fn issue_no_russian_replies_permit_label_is_propusk() {
        let text = permit(Language::Ru, &doc("MYI1234567"), windows()[0].0, windows()[0].1, "IZ2abc");
        assert_eq!(text, "Propusk MYI1234567 15.12 10:00-13:00 IZ2abc");
    }

    /// Every document of 1 to 22 characters, each form once: the permit fits
    /// one SMS with a 122-character token exactly when [`permit_fits`] says
    /// so, in every language and either window; the label goes first.
    #[test]
    fn permit_with_a_122_character_token_fits_up_to_13_characters() {
        let token = token_122();
        assert_eq!(longest_document_that_fits(122), 13);
        assert_eq!(longest_document_that_fits(111), 24);
        assert_eq!(longest_document_that_fits(135), 0);
        assert_eq!(longest_document_that_fits(usize::MAX), 0);
        for letters in 0..=7 {
            for digits in 1..=15 {
                let series = &"ABCDEFG"[..letters];
                let kind = if letters == 0 { DocumentKind::RegistrationNotice } else { DocumentKind::IdCard };
                let document = DocumentNumber::new(kind, series, &"123456789012345"[..digits]).unwrap();
                let length = letters + digits;
                assert_eq!(permit_fits(&document, 122), length <= 13, "{length}");
                for lang in ALL {
                    for (from, until) in windows() {
                        let text = permit(lang, &document, from, until, &token);
                        assert!(is_basic(&text) && text.ends_with(&token));
                        let overnight = text.contains("-16.12");
                        let room = 160 - 2 - token.len() - if overnight { 23 } else { 17 };
                        assert_eq!(segments(&text), if length <= room { 1 } else { 2 }, "{text}");
                        let labelled = ["Icaze ", "Permit ", "Propusk "].iter().any(|l| text.starts_with(l));
                        let label = match lang {
                            Language::Az => 6,
                            Language::En => 7,
                            Language::Ru => 8,
                        };
                        assert_eq!(labelled, length + label <= room, "{text}");
                    }
                }
            }
        }
    }

    #[test]
    fn permit_drops_the_label_for_the_longest_documents() {
        let token = token_111();
        let longest = DocumentNumber::new(DocumentKind::IdCard, "ABCDEFG", "123456789012345").unwrap();
        let text =
            permit(Language::En, &longest, at("2020-12-15T22:00:00+04:00"), at("2020-12-16T01:00:00+04:00"), &token);
        assert_eq!(text, format!("ABCDEFG123456789012345 15.12 22:00-16.12 01:00 {token}"));
        assert_one_basic_sms(&text);
    }

    #[test]
    fn permit_is_read_back_by_icaze_core() {
        use icaze_core::*;
        // A real SMS permit, issued and judged by icaze-core: the reply is what
        // an officer's device is given, and the token must be found in it.
        let key = SecretKey::from_seed(&[2; 32]);
        let root = SecretKey::from_seed(&[1; 32]);
        let trust = TrustList::new(
            1,
            at("2020-12-01T00:00:00Z"),
            vec![TrustedKey {
                id: KeyId(1),
                public_key: key.public_key(),
                valid_from: at("2020-12-01T00:00:00Z"),
                valid_until: at("2021-02-01T00:00:00Z"),
                purposes: PurposeSet::of(&[Purpose::Necessities]),
                revoked: false,
                may_sign_bundles: false,
                label: "test".into(),
            }],
        )
        .unwrap();
        let trust = TrustList::verify_bytes(&trust.sign(&root), &root.public_key()).unwrap();
        let (from, until) = (at("2020-12-15T10:00:00+04:00"), at("2020-12-15T13:00:00+04:00"));
        let claims = PermitClaims::new(ClaimsSpec {
            serial: PermitSerial(4_000_000),
            document: doc("AZE11111111"),
            purpose: Purpose::Necessities,
            zones: vec![ZoneId::new(1).unwrap()],
            issued_at: from,
            valid_from: from,
            valid_until: until,
            vehicle: None,
        })
        .unwrap();
        let token = issue(&key, KeyId(1), &claims).to_text();
        assert!(token.len() <= 111, "{} characters", token.len());
        for lang in ALL {
            let text = permit(lang, &doc("AZE11111111"), from, until, &token);
            assert!(["Icaze AZE", "Permit AZE", "Propusk AZE"].iter().any(|l| text.starts_with(l)), "{text}");
            assert_one_basic_sms(&text);
            let check = Check { at: at("2020-12-15T11:30:00+04:00"), zone: ZoneId::new(1) };
            assert_eq!(evaluate(&text, &trust, &check).status, Status::Valid, "{text}");
        }
    }

    /// The SMS form of a v2 token for `document`, with the claims of an SMS
    /// permit as the server makes them (a 15-minute activation delay, three
    /// hours, one zone), the largest serial, and `zone`.
    fn sms_token(document: &DocumentNumber, zone: u16) -> String {
        use icaze_core::*;
        let key = SecretKey::from_seed(&[2; 32]);
        let now = at("2020-12-15T21:50:00+04:00");
        let valid_from = now.checked_add(15).unwrap();
        let claims = PermitClaims::new(ClaimsSpec {
            serial: PermitSerial(u32::MAX),
            document: document.clone(),
            purpose: Purpose::Necessities,
            zones: vec![ZoneId::new(zone).unwrap()],
            issued_at: now,
            valid_from,
            valid_until: valid_from.checked_add(180).unwrap(),
            vehicle: None,
        })
        .unwrap();
        issue(&key, KeyId(1), &claims).to_text()
    }

    /// One document of every form `icaze-core` knows: ID cards and
    /// registration notices of 0 to 7 letters (`AZE` and `AA` apart, which
    /// format v2 implies) and 1 to 15 digits, and the three 7-digit kinds.
    fn every_document_form() -> Vec<DocumentNumber> {
        let mut forms: Vec<DocumentNumber> = Vec::new();
        for digits in 1..=15 {
            let number = &"987654321098765"[..digits];
            for series in ["", "A", "AB", "ABC", "ABCD", "ABCDE", "ABCDEF", "ABCDEFG", "AZE", "AA"] {
                if !series.is_empty() {
                    forms.push(DocumentNumber::new(DocumentKind::IdCard, series, number).unwrap());
                }
                forms.push(DocumentNumber::new(DocumentKind::RegistrationNotice, series, number).unwrap());
            }
        }
        for series in ["MYI", "DYI", "MOM"] {
            forms.push(doc(&format!("{series}1234567")));
        }
        forms
    }

    /// Every document form with a real v2 token, in a zone of 5 bits (1..=31)
    /// and of 12 (up to 4095): [`permit_fits`] says exactly which permits fit
    /// one SMS across midnight, in every language; the documents people hold
    /// all fit; beyond 16 characters (15 in a zone above 31) some do not.
    #[test]
    fn permit_fits_agrees_with_real_v2_tokens() {
        let forms = every_document_form();
        let (from, until) = windows()[1];
        for (zone, longest_token, all_fit_up_to) in [(1, 122, 16), (4095, 123, 15)] {
            let mut tokens = 0;
            for document in &forms {
                let length = document.canonical().len();
                let token = sms_token(document, zone);
                tokens = tokens.max(token.len());
                let fits = permit_fits(document, token.len());
                for lang in ALL {
                    let text = permit(lang, document, from, until, &token);
                    assert!(is_basic(&text) && text.ends_with(&token));
                    assert_eq!(segments(&text) == 1, fits, "zone {zone}: {text}");
                }
                if length <= all_fit_up_to {
                    assert!(fits, "zone {zone}: {} with {} characters of token", document.canonical(), token.len());
                }
            }
            assert_eq!(tokens, longest_token, "zone {zone}");
            let first_misfit =
                forms.iter().filter(|d| !permit_fits(d, sms_token(d, zone).len())).map(|d| d.canonical().len()).min();
            assert_eq!(first_misfit, Some(all_fit_up_to + 1), "zone {zone}");
        }
        // The documents people hold: ID cards AZE + 8 and AA + 7, residence
        // permits and extended stays + 7, registration notices of 9 to 15 digits.
        for text in
            ["AZE12345678", "AA1234567", "MYI1234567", "DYI1234567", "MOM1234567", "123456789", "123456789012345"]
        {
            for zone in [1, 4095] {
                assert!(permit_fits(&doc(text), sms_token(&doc(text), zone).len()), "{text} in zone {zone}");
            }
        }
    }

    #[test]
    fn page_links_are_written_as_the_sms_writes_them() {
        let read = |url: &str| PageLink::parse(url).map(|link| link.as_str().to_owned());
        assert_eq!(read("https://icaze.az/p").as_deref(), Ok("icaze.az/p"));
        assert_eq!(read(" HTTPS://Icaze.E-Gov.AZ/p/ ").as_deref(), Ok("icaze.e-gov.az/p"));
        assert_eq!(read("http://127.0.0.1:8103/p").as_deref(), Ok("127.0.0.1:8103/p"));
        assert_eq!(read("https://icaze.az/citizen/P").as_deref(), Ok("icaze.az/citizen/P"));
        for malformed in
            ["icaze.az/p", "ftp://icaze.az/p", "https://icaze.az", "https://icaze.az/", "https:///p", "https://-x.az/p"]
        {
            assert!(matches!(PageLink::parse(malformed), Err(PageLinkError::Malformed(_))), "{malformed}");
        }
        for bad in [
            "https://icaze.az/p?x=1",
            "https://icaze.az/p#",
            "https://me@icaze.az/p",
            "https://icazə.az/p",
            "https://i z.az/p",
        ] {
            assert!(matches!(PageLink::parse(bad), Err(PageLinkError::BadCharacter(_))), "{bad}");
        }
    }

    /// The label and its space, as [`permit`] writes them.
    fn label(lang: Language) -> &'static str {
        match lang {
            Language::Az => "Icaze ",
            Language::En => "Permit ",
            Language::Ru => "Propusk ",
        }
    }

    /// Every document form with a real v2 token (zones of 5 and of 12 bits), both
    /// windows, every language, addresses of 6 to 24 characters: a reply with the link
    /// is one GSM-7 SMS whenever the permit fits at all ([`permit_fits`], the rule of
    /// registry imports), it takes the first form that fits (label and link, link,
    /// label, bare token), else it is [`permit`]'s byte for byte, and the token is read
    /// from it as from the reply without the link.
    #[test]
    fn a_linked_permit_is_one_sms_or_the_permit_as_before() {
        let links: Vec<PageLink> =
            ["https://x.az/p", "https://icaze.az/p", "https://icaze.e-gov.az/p", "https://permits.example.gov.az/p"]
                .iter()
                .map(|url| PageLink::parse(url).unwrap())
                .collect();
        let mut forms_seen = std::collections::BTreeSet::new();
        for document in every_document_form() {
            for zone in [1, 4095] {
                let token = sms_token(&document, zone);
                let fits = permit_fits(&document, token.len());
                for (from, until) in windows() {
                    for lang in ALL {
                        let plain = permit(lang, &document, from, until, &token);
                        let bare = plain.strip_prefix(label(lang)).unwrap_or(&plain);
                        let bare_room = SMS_CHARS as isize - bare.len() as isize;
                        for link in &links {
                            let text = permit_with_link(lang, &document, from, until, &token, Some(link));
                            let cost = link.as_str().len() as isize + 1;
                            let with_link = bare.replace(&token, &format!("{}#{token}", link.as_str()));
                            let form = if bare_room - label(lang).len() as isize >= cost {
                                assert_eq!(text, format!("{}{with_link}", label(lang)));
                                "label and link"
                            } else if bare_room >= cost {
                                assert_eq!(text, with_link);
                                "link"
                            } else {
                                assert_eq!(text, plain);
                                "as before"
                            };
                            forms_seen.insert(form);
                            assert!(is_basic(&text), "{text}");
                            if fits {
                                assert_one_basic_sms(&text);
                            }
                            let found = icaze_core::UnverifiedPermit::find_in_text(&text).unwrap();
                            assert_eq!(found.token().to_text(), token, "{text}");
                        }
                    }
                }
            }
        }
        assert_eq!(forms_seen.len(), 3, "{forms_seen:?}");
    }

    /// The figures of `docs/sms.md`: characters left in the permit reply, its label
    /// written, for the documents people hold (real v2 tokens, zone 1) in one Baku date
    /// and across midnight, in az, ru and en; and where `icaze.az/p#` (11) goes.
    #[test]
    fn room_for_the_link_as_docs_sms_md_says() {
        let link = PageLink::parse("https://icaze.az/p").unwrap();
        // document, token characters, room in az/ru/en within one date, across midnight.
        let table: [(&str, usize, [usize; 3], [usize; 3]); 5] = [
            ("AZE11111111", 111, [13, 11, 12], [7, 5, 6]),
            ("AA1234567", 111, [15, 13, 14], [9, 7, 8]),
            ("MYI1234567", 111, [14, 12, 13], [8, 6, 7]),
            ("123456789", 113, [13, 11, 12], [7, 5, 6]),
            ("123456789012345", 117, [3, 1, 2], [3, 3, 3]),
        ];
        for (name, token_chars, same_day, midnight) in table {
            let document = doc(name);
            let token = sms_token(&document, 1);
            assert_eq!(token.len(), token_chars, "{name}");
            for ((from, until), rooms) in windows().into_iter().zip([same_day, midnight]) {
                let measured: Vec<usize> =
                    ALL.iter().map(|&lang| SMS_CHARS - permit(lang, &document, from, until, &token).len()).collect();
                assert_eq!(measured, rooms, "{name} from {from:?}");
            }
        }
        // Over every document a registry import accepts, the least room across midnight,
        // the label dropped: none; the longest token of those is 119 characters in a zone
        // of 1 to 31 and above alike (a zone above 31 takes 7 bits more, and one
        // character less of document).
        let (from, until) = windows()[1];
        for (zone, least, longest) in [(1, 0, 119), (4095, 0, 119)] {
            let accepted: Vec<(usize, usize)> = every_document_form()
                .iter()
                .filter_map(|d| {
                    let token = sms_token(d, zone);
                    permit_fits(d, token.len())
                        .then(|| (SMS_CHARS - permit(Language::Az, d, from, until, &token).len(), token.len()))
                })
                .collect();
            assert_eq!(accepted.iter().map(|a| a.0).min(), Some(least), "zone {zone}");
            assert_eq!(accepted.iter().map(|a| a.1).max(), Some(longest), "zone {zone}");
        }
        // AZE + 8: the link with the label within one date, without it across midnight.
        let (document, token) = (doc("AZE11111111"), sms_token(&doc("AZE11111111"), 1));
        for lang in ALL {
            let [same_day, midnight] =
                windows().map(|(from, until)| permit_with_link(lang, &document, from, until, &token, Some(&link)));
            assert!(same_day.starts_with(label(lang)) && same_day.contains(" icaze.az/p#IZ2"), "{same_day}");
            assert!(midnight.starts_with("AZE11111111 ") && midnight.contains(" icaze.az/p#IZ2"), "{midnight}");
            assert_one_basic_sms(&same_day);
            assert_one_basic_sms(&midnight);
        }
    }

    /// The longest tokens a registry import lets through (122 characters in a zone of 1 to
    /// 31, 123 above) with the longest documents it accepts beside them: no room at all
    /// across midnight, so the reply is the bare token's, one SMS, in every language.
    #[test]
    fn the_longest_permits_leave_no_room_for_a_link() {
        let link = PageLink::parse("https://x.az/p").unwrap();
        let longest_123 = format!("IZ2{}", "Ab-_9".repeat(24)).chars().take(123).collect::<String>();
        for token in [token_122(), longest_123] {
            let length = longest_document_that_fits(token.len());
            let document = DocumentNumber::new(DocumentKind::RegistrationNotice, "", &"9".repeat(length)).unwrap();
            assert!(permit_fits(&document, token.len()));
            let (from, until) = windows()[1];
            for lang in ALL {
                let text = permit_with_link(lang, &document, from, until, &token, Some(&link));
                assert_eq!(text, permit(lang, &document, from, until, &token));
                assert_eq!(text.len(), SMS_CHARS, "{text}");
                assert_one_basic_sms(&text);
            }
        }
    }

    #[test]
    fn azerbaijani_help_hints_russian_where_it_fits() {
        let hints = |problem: &ParseProblem, codes: &[u8]| {
            let text = how_to_write(Language::Az, problem, codes);
            assert_one_basic_sms(&text);
            (text.contains(". English: EN "), text.contains(". Po-russki: RU "))
        };
        // The regime's two codes: both hints for all but the longest leads.
        for problem in [
            ParseProblem::Empty,
            ParseProblem::TooLong,
            ParseProblem::Unreadable,
            ParseProblem::NoCode,
            ParseProblem::NoDocument,
            ParseProblem::BadCode,
        ] {
            assert_eq!(hints(&problem, &[1, 2]), (true, true), "{problem:?}");
            assert_eq!(hints(&problem, &[]), (true, true), "{problem:?}");
            assert_eq!(hints(&problem, &[1, 2, 3, 4, 5, 6, 7, 8, 9]), (true, false), "{problem:?}");
        }
        assert_eq!(hints(&ParseProblem::SeveralRequests, &[1, 2]), (true, false));
        let bad = |read: &str| ParseProblem::BadDocument { read: read.into() };
        assert_eq!(hints(&bad("AZE1111"), &[1, 2]), (true, false));
        assert_eq!(hints(&bad(&format!("{}..", "9".repeat(20))), &[1, 2]), (true, false));
        assert_eq!(hints(&bad(&format!("{}..", "9".repeat(20))), &[1, 2, 3, 4, 5, 6, 7, 8, 9]), (false, false));
        // Where the Russian hint is left out, it would not have fitted.
        let without = how_to_write(Language::Az, &ParseProblem::SeveralRequests, &[1, 2]);
        assert!(without.len() + ". Po-russki: RU 2 AZE11111111".len() > 160, "{without}");
    }

    #[test]
    fn issue_no_russian_replies_every_reply_in_russian() {
        let d = doc("AZE11111111");
        let replies = [
            not_issued(Language::Ru, &d),
            permit_revoked(Language::Ru, 2, &d),
            daily_limit(Language::Ru, 2, &d),
            code_not_available(Language::Ru, 3, &[1, 2]),
            code_not_available(Language::Ru, 3, &[]),
            no_permit_needed(Language::Ru),
            phone_limit(Language::Ru),
            rate_limited(Language::Ru),
            service_error(Language::Ru),
            how_to_write(Language::Ru, &ParseProblem::BadDocument { read: "AZE1111".into() }, &[1, 2]),
        ];
        assert_eq!(
            replies,
            [
                "AZE11111111: propusk ne vydan. Proverte seriyu i nomer. Spravki: sluzhba ASAN 9108. Pri ugroze zhizni i zdorovyu propusk ne nuzhen.",
                "AZE11111111: segodnyashniy propusk po kodu 2 otozvan. Novyy segodnya po SMS ne vydaetsya. Spravki: sluzhba ASAN 9108",
                "AZE11111111: propusk po kodu 2 segodnya uzhe vydan (1 raz v den). Napishite zavtra.",
                "Propuska po kodu 3 seychas ne vydayutsya. Kody: 1 ili 2. Primer: RU 2 AZE11111111. Spravki: 9108",
                "Seychas propuska po SMS ne vydayutsya (kod 3). Spravki: koll-tsentr sluzhby ASAN 9108",
                "Seychas ogranicheniy peredvizheniya net: SMS-propusk ne nuzhen.",
                "Limit zaprosov s etogo nomera telefona na segodnya ischerpan. Napishite zavtra. Spravki: 9108",
                "Slishkom mnogo soobshcheniy za korotkoe vremya. Napishite cherez neskolko minut.",
                "Zapros ne vypolnen po tekhnicheskoy prichine. Napishite snova cherez neskolko minut.",
                "Nevernyy nomer dokumenta: AZE1111. Napishite: kod (1 ili 2), probel, seriya i nomer dokumenta. Primer: RU 2 AZE11111111",
            ]
        );
        // Every help reply in Russian shows a request that is answered in Russian.
        for problem in problems() {
            let text = how_to_write(Language::Ru, &problem, &[1, 2]);
            let example = text.rsplit("Primer: ").next().unwrap_or_default();
            assert_eq!(example, "RU 2 AZE11111111", "{text}");
            assert_eq!(crate::parse(example).map(|r| r.language), Ok(Language::Ru));
        }
        assert_eq!(list(Language::Ru, &[1, 2, 3]), "1, 2 или 3");
    }

    #[test]
    fn a_window_ending_at_midnight_shows_the_next_date() {
        let text = permit(
            Language::Az,
            &doc("AA1234567"),
            at("2020-12-15T21:00:00+04:00"),
            at("2020-12-16T00:00:00+04:00"),
            "IZ1x",
        );
        assert_eq!(text, "Icaze AA1234567 15.12 21:00-16.12 00:00 IZ1x");
        // Baku midnight is 20:00 UTC: the date is Baku's, not UTC's.
        let text =
            permit(Language::En, &doc("AA1234567"), at("2020-12-15T19:00:00Z"), at("2020-12-15T21:00:00Z"), "IZ1x");
        assert_eq!(text, "Permit AA1234567 15.12 23:00-16.12 01:00 IZ1x");
    }

    #[test]
    fn every_reply_is_one_basic_sms() {
        let longest = DocumentNumber::new(DocumentKind::IdCard, "ABCDEFG", "123456789012345").unwrap();
        let all_codes: Vec<u8> = (0..=255).collect();
        for lang in ALL {
            for document in [doc("AZE11111111"), doc("MYI1234567"), longest.clone()] {
                for (code, available) in [(3, &[1u8, 2][..]), (255, &all_codes[..]), (0, &[][..]), (1, &[1][..])] {
                    for text in all_replies(lang, &document, code, available) {
                        assert_one_basic_sms(&text);
                    }
                }
            }
        }
    }

    #[test]
    fn code_lists() {
        assert_eq!(list(Language::Az, &[1]), "1");
        assert_eq!(list(Language::Az, &[1, 2]), "1 və ya 2");
        assert_eq!(list(Language::En, &[1, 2, 3]), "1, 2 or 3");
        assert_eq!(shown_codes(&[2, 0, 1, 2, 10, 9]), vec![2, 1, 9]);
    }

    #[test]
    fn help_texts_say_what_to_do() {
        let text = how_to_write(Language::Az, &ParseProblem::NoCode, &[1, 2]);
        assert_eq!(
            text,
            "Kod yazilmayib. Yazin: kod (1 ve ya 2), boshluq, senedin seriya ve nomresi. Mes: 2 AZE11111111. English: EN 2 AZE11111111. Po-russki: RU 2 AZE11111111"
        );
        let text = how_to_write(Language::Ru, &ParseProblem::NoCode, &[1, 2]);
        assert_eq!(
            text,
            "Net koda. Napishite: kod (1 ili 2), probel, seriya i nomer dokumenta. Primer: RU 2 AZE11111111"
        );
        let text = how_to_write(Language::En, &ParseProblem::SeveralRequests, &[1, 2]);
        assert_eq!(
            text,
            "Send one request per SMS. Write: code (1 or 2), space, document series and number. E.g. EN 2 AZE11111111"
        );
        let text = how_to_write(Language::Az, &ParseProblem::BadDocument { read: "AZE1111".into() }, &[1, 2]);
        assert!(text.starts_with("Sened nomresi sehvdir: AZE1111. Yazin:"), "{text}");
        for lang in ALL {
            let text = not_issued(lang, &doc("AZE11111111"));
            assert!(text.starts_with("AZE11111111: ") && text.contains("9108"), "{text}");
            assert!(permit_revoked(lang, 2, &doc("AZE11111111")).contains("9108"));
        }
        assert!(code_not_available(Language::En, 3, &[1, 2]).contains("Codes: 1 or 2."));
        assert!(code_not_available(Language::Ru, 3, &[1, 2]).contains("Kody: 1 ili 2. Primer: RU 2 AZE11111111."));
        assert!(daily_limit(Language::Az, 2, &doc("AZE11111111")).starts_with("AZE11111111: kod 2 ile icaze bu gun"));
    }

    #[test]
    fn permit_shows_impossible_times_without_panicking() {
        let last = UtcMinute::from_unix_minutes(FIRST_UNSHOWABLE_MINUTE - 1);
        assert_eq!(last.baku().to_rfc3339(), "9999-12-31T23:59:00+04:00");
        let d = doc("AA1234567");
        assert_eq!(permit(Language::Az, &d, last, last, "IZ1x"), "Icaze AA1234567 31.12 23:59-23:59 IZ1x");
        let past = UtcMinute::from_unix_minutes(FIRST_UNSHOWABLE_MINUTE);
        assert_eq!(permit(Language::Az, &d, last, past, "IZ1x"), "Icaze AA1234567 31.12 23:59-??.?? ??:?? IZ1x");
        let max = UtcMinute::from_unix_minutes(u32::MAX);
        assert_eq!(permit(Language::En, &d, max, max, "IZ1x"), "Permit AA1234567 ??.?? ??:??-??:?? IZ1x");
    }

    proptest! {
        #[test]
        fn permit_never_panics(
            from in any::<u32>(),
            until in any::<u32>(),
            token in any::<String>(),
            lang in prop_oneof![Just(Language::Az), Just(Language::Ru), Just(Language::En)],
        ) {
            let text = permit(
                lang,
                &doc("AZE11111111"),
                UtcMinute::from_unix_minutes(from),
                UtcMinute::from_unix_minutes(until),
                &token,
            );
            prop_assert!(is_basic(&text));
        }

        #[test]
        fn replies_fit_for_any_document_and_codes(
            series in "[A-Z]{1,7}",
            digits in "[0-9]{1,15}",
            code in any::<u8>(),
            available in proptest::collection::vec(any::<u8>(), 0..20),
            read in "[A-Z0-9.]{0,22}",
        ) {
            let Ok(document) = DocumentNumber::parse(&format!("{series}{digits}")) else { return Ok(()) };
            for lang in ALL {
                for text in all_replies(lang, &document, code, &available) {
                    prop_assert!(is_basic(&text));
                    prop_assert_eq!(segments(&text), 1, "{:?}", text);
                }
                let text = how_to_write(lang, &ParseProblem::BadDocument { read: read.clone() }, &available);
                prop_assert_eq!(segments(&text), 1, "{:?}", text);
            }
        }
    }
}
