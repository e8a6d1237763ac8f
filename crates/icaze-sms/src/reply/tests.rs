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
    let mut all = ParseProblem::WITHOUT_DETAIL.to_vec();
    all.extend([
        ParseProblem::BadDocument { read: "AZE1111".into() },
        ParseProblem::BadDocument { read: format!("{}..", "9".repeat(20)) },
        ParseProblem::SeveralRequests,
    ]);
    all
}

/// Every reply but the permit, for one set of inputs.
fn all_replies(lang: Language, document: &DocumentNumber, code: u8, available: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = problems().iter().map(|p| how_to_write(lang, p, available)).collect();
    out.extend([
        not_issued(lang, document),
        permit_revoked(lang, code, document),
        daily_limit(lang, code, 1, document),
        daily_limit(lang, code, 3, document),
        weekly_limit(lang, code, 14, document),
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
    let az = permit(Language::Az, &document, at("2020-12-15T10:00:00+04:00"), at("2020-12-15T13:00:00+04:00"), &token);
    assert_eq!(az, format!("Icaze AZE11111111 15.12 10:00-13:00 {token}"));
    let en = permit(Language::En, &document, at("2020-12-15T22:00:00+04:00"), at("2020-12-16T01:00:00+04:00"), &token);
    assert_eq!(en, format!("Permit AZE11111111 15.12 22:00-16.12 01:00 {token}"));
    let ru = permit(Language::Ru, &document, at("2020-12-15T22:00:00+04:00"), at("2020-12-16T01:00:00+04:00"), &token);
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
    let text = permit(Language::En, &longest, at("2020-12-15T22:00:00+04:00"), at("2020-12-16T01:00:00+04:00"), &token);
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
    for text in ["AZE12345678", "AA1234567", "MYI1234567", "DYI1234567", "MOM1234567", "123456789", "123456789012345"] {
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
    for problem in ParseProblem::WITHOUT_DETAIL {
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
        daily_limit(Language::Ru, 2, 1, &d),
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
    let text = permit(Language::En, &doc("AA1234567"), at("2020-12-15T19:00:00Z"), at("2020-12-15T21:00:00Z"), "IZ1x");
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
    assert_eq!(text, "Net koda. Napishite: kod (1 ili 2), probel, seriya i nomer dokumenta. Primer: RU 2 AZE11111111");
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
    assert!(daily_limit(Language::Az, 2, 1, &doc("AZE11111111")).starts_with("AZE11111111: kod 2 ile icaze bu gun"));
}

/// Code 1 gives three permits a day: the reply says three, not once (it said
/// "once a day" whatever the code's limit was).
#[test]
fn limit_replies_say_the_code_s_own_limit() {
    let d = doc("AZE11111111");
    assert!(daily_limit(Language::En, 1, 3, &d).contains("(3 times a day)"), "{}", daily_limit(Language::En, 1, 3, &d));
    assert!(daily_limit(Language::En, 2, 1, &d).contains("(once a day)"));
    assert!(daily_limit(Language::Az, 1, 3, &d).contains("(gunde 3 defe)"), "{}", daily_limit(Language::Az, 1, 3, &d));
    assert!(daily_limit(Language::Ru, 1, 3, &d).contains("(3 raza v den)"), "{}", daily_limit(Language::Ru, 1, 3, &d));
    assert!(daily_limit(Language::Ru, 1, 5, &d).contains("(5 raz v den)"));
    assert!(daily_limit(Language::Ru, 1, 12, &d).contains("(12 raz v den)"));
    let week = weekly_limit(Language::En, 1, 5, &d);
    assert!(week.starts_with("AZE11111111: ") && week.contains("5 in 7 days") && week.contains("9108"), "{week}");
    assert!(
        weekly_limit(Language::Ru, 1, 22, &d).contains("(22 raza za 7 dney)"),
        "{}",
        weekly_limit(Language::Ru, 1, 22, &d)
    );
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
