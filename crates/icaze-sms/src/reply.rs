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

/// The document has had the code's permits of the day (`per_day` of them).
pub fn daily_limit(lang: Language, code: u8, per_day: u32, document: &DocumentNumber) -> String {
    let doc = document.canonical();
    match lang {
        Language::Az => az(&format!(
            "{doc}: kod {code} ilə icazə bu gün artıq verilib (gündə {per_day} dəfə). Sabah yenidən yazın."
        )),
        Language::En if per_day == 1 => {
            en(&format!("{doc}: a code {code} permit was already issued today (once a day). Send again tomorrow."))
        }
        Language::En => en(&format!(
            "{doc}: code {code} permits were already issued today ({per_day} times a day). Send again tomorrow."
        )),
        Language::Ru => ru(&format!(
            "{doc}: пропуск по коду {code} сегодня уже выдан ({per_day} {} в день). Напишите завтра.",
            russian_times(per_day)
        )),
    }
}

/// The document has had the code's permits of seven days (`per_week` of them).
pub fn weekly_limit(lang: Language, code: u8, per_week: u32, document: &DocumentNumber) -> String {
    let doc = document.canonical();
    match lang {
        Language::Az => az(&format!(
            "{doc}: kod {code} ilə icazə limiti dolub (7 gündə {per_week} dəfə). Məlumat: ASAN xidmət {HELP_LINE}"
        )),
        Language::En => en(&format!(
            "{doc}: the limit of code {code} permits is reached ({per_week} in 7 days). Help: ASAN service {HELP_LINE}"
        )),
        Language::Ru => ru(&format!(
            "{doc}: лимит пропусков по коду {code} исчерпан ({per_week} {} за 7 дней). Справки: служба ASAN {HELP_LINE}",
            russian_times(per_week)
        )),
    }
}

/// «раз» or «раза» after a number, as Russian says it.
fn russian_times(n: u32) -> &'static str {
    match (n % 10, n % 100) {
        (2..=4, 12..=14) => "раз",
        (2..=4, _) => "раза",
        _ => "раз",
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
mod tests;
