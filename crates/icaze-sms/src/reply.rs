//! Every reply the 8103 service sends, in Azerbaijani or English.
//!
//! Each function returns text in the GSM 03.38 basic set only (see
//! [`gsm7`](crate::gsm7)), so a reply is never turned into UCS-2. The
//! Azerbaijani texts are written here with their proper letters and
//! transliterated by [`to_basic`] (`ş`→`sh`, `ə`→`e`,
//! ...), the way people text without diacritics.
//!
//! Every reply but [`permit`] fits one 160-character SMS for any input: a
//! document number of up to 22 characters (7 letters and 15 digits), any
//! `u8` code, any list of available codes (only 1..=9 are shown, once each).
//! [`permit`] fits one SMS for a token of up to 111 characters and any
//! document of `icaze-core`.
//!
//! Document numbers are shown in their canonical ASCII form (`MYI1234567`,
//! not `MYİ1234567`).

use icaze_core::{DocumentNumber, UtcMinute, BAKU_OFFSET_MINUTES};

use crate::gsm7::{segments, to_basic};
use crate::{Language, ParseProblem};

/// The ASAN service call centre, for questions about the SMS system.
pub const HELP_LINE: &str = "9108";

/// The example request every help text shows.
const EXAMPLE_DOCUMENT: &str = "AZE11111111";

/// The SMS that carries a permit: a label, the document, the validity window
/// in Baku time, and the token last so it is easy to copy.
///
/// `Icaze AZE11111111 15.12 10:00-13:00 IZ1…` (English: `Permit …`). When
/// the window ends on another Baku date, the end date is shown too:
/// `15.12 22:00-16.12 01:00`. The label is dropped if the text would not fit
/// one SMS with it. `token_text` is the token's SMS form (`IZ1…`, already
/// GSM basic); any character outside the basic set is replaced by `?`.
///
/// ```
/// use icaze_core::{DocumentNumber, UtcMinute};
/// use icaze_sms::{reply, Language};
///
/// let at = |s| UtcMinute::parse_rfc3339(s).unwrap();
/// let doc = DocumentNumber::parse("AZE11111111")?;
/// let text = reply::permit(Language::Az, &doc, at("2020-12-15T10:00:00+04:00"), at("2020-12-15T13:00:00+04:00"), "IZ1abc");
/// assert_eq!(text, "Icaze AZE11111111 15.12 10:00-13:00 IZ1abc");
/// # Ok::<(), icaze_core::DocumentError>(())
/// ```
pub fn permit(
    lang: Language,
    document: &DocumentNumber,
    from: UtcMinute,
    until: UtcMinute,
    token_text: &str,
) -> String {
    let ((from_day, from_time), (until_day, until_time)) = (baku_parts(from), baku_parts(until));
    let end = if baku_date(from) == baku_date(until) { until_time } else { format!("{until_day} {until_time}") };
    let body = format!("{} {from_day} {from_time}-{end} {}", document.canonical(), to_basic(token_text));
    let label = match lang {
        Language::Az => "Icaze",
        Language::En => "Permit",
    };
    first_fitting(format!("{label} {body}"), || body)
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
/// Azerbaijani replies end with a hint that `EN` gives English replies.
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
            let form = format!("{lead} Yazın: kod{list}, boşluq, sənədin seriya və nömrəsi. Məs: {example}");
            first_fitting(az(&format!("{form}. English: EN {example}")), || az(&form))
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
    }
}

/// No regime is in force: movement is not restricted.
pub fn no_permit_needed(lang: Language) -> String {
    match lang {
        Language::Az => az("Hazırda hərəkət məhdudiyyəti yoxdur: SMS icazəsi tələb olunmur."),
        Language::En => en("There are no movement restrictions now: no SMS permit is needed."),
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
    }
}

/// Too many messages from this phone in a short time.
pub fn rate_limited(lang: Language) -> String {
    match lang {
        Language::Az => az("Çox tez-tez yazırsınız. Bir neçə dəqiqədən sonra yenidən yazın."),
        Language::En => en("Too many messages in a short time. Send again in a few minutes."),
    }
}

/// Something failed on the service's side: try again later.
pub fn service_error(lang: Language) -> String {
    match lang {
        Language::Az => az("Texniki səbəbdən sorğu icra olunmadı. Bir neçə dəqiqədən sonra yenidən yazın."),
        Language::En => {
            en("Your request could not be processed for a technical reason. Send it again in a few minutes.")
        }
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

/// `1`, `1 və ya 2`, `1, 2 və ya 3` (English: `or`).
fn list(lang: Language, codes: &[u8]) -> String {
    let or = match lang {
        Language::Az => "və ya",
        Language::En => "or",
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

    const BOTH: [Language; 2] = [Language::Az, Language::En];

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

    #[test]
    fn permit_fits_one_sms_in_both_languages() {
        let token = token_111();
        let document = doc("AZE11111111");
        for lang in BOTH {
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
        for lang in BOTH {
            let text = permit(lang, &doc("AZE11111111"), from, until, &token);
            assert_one_basic_sms(&text);
            let check = Check { at: at("2020-12-15T11:30:00+04:00"), zone: ZoneId::new(1) };
            assert_eq!(evaluate(&text, &trust, &check).status, Status::Valid, "{text}");
        }
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
        for lang in BOTH {
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
            "Kod yazilmayib. Yazin: kod (1 ve ya 2), boshluq, senedin seriya ve nomresi. Mes: 2 AZE11111111. English: EN 2 AZE11111111"
        );
        let text = how_to_write(Language::En, &ParseProblem::SeveralRequests, &[1, 2]);
        assert_eq!(
            text,
            "Send one request per SMS. Write: code (1 or 2), space, document series and number. E.g. EN 2 AZE11111111"
        );
        let text = how_to_write(Language::Az, &ParseProblem::BadDocument { read: "AZE1111".into() }, &[1, 2]);
        assert!(text.starts_with("Sened nomresi sehvdir: AZE1111. Yazin:"), "{text}");
        for lang in BOTH {
            let text = not_issued(lang, &doc("AZE11111111"));
            assert!(text.starts_with("AZE11111111: ") && text.contains("9108"), "{text}");
            assert!(permit_revoked(lang, 2, &doc("AZE11111111")).contains("9108"));
        }
        assert!(code_not_available(Language::En, 3, &[1, 2]).contains("Codes: 1 or 2."));
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
        fn permit_never_panics(from in any::<u32>(), until in any::<u32>(), token in any::<String>()) {
            let text = permit(
                Language::Az,
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
            for lang in BOTH {
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
