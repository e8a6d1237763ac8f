//! Round trips through a real Kannel to a tiny echo application.
//!
//! The application answers `GET /sms/8103?from=..&text=..` with `200 text/plain`
//! `echo:<from>:<text>` and records what it received, except for three texts that make
//! it fail: `fail` (HTTP 500), `empty` (an empty body) and `json` (`application/json`).

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use icaze_testkit::{Kannel, KannelError, REPLY_COULD_NOT_FETCH, REPLY_EMPTY};

/// The echo application, listening on 127.0.0.1 for as long as the test runs.
struct App {
    url: String,
    received: Arc<Mutex<Vec<(String, String)>>>,
}

impl App {
    fn start() -> App {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let url = format!("http://{}/sms/8103", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                thread::spawn(move || answer(stream, &log));
            }
        });
        App { url, received }
    }

    /// What the application received, sorted (Kannel calls it concurrently).
    fn received(&self) -> Vec<(String, String)> {
        let mut received = self.received.lock().unwrap().clone();
        received.sort();
        received
    }
}

fn answer(stream: TcpStream, log: &Mutex<Vec<(String, String)>>) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // The rest of the head; Kannel's GET has no body.
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let target = request_line.split(' ').nth(1).unwrap_or_default();
    let query = target.strip_prefix("/sms/8103?").unwrap_or_default();
    let mut from = None;
    let mut text = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("from", value)) => from = percent_decode(value),
            Some(("text", value)) => text = percent_decode(value),
            _ => {}
        }
    }
    let (status, content_type, body) = match (from, text) {
        (Some(from), Some(text)) => {
            log.lock().unwrap().push((from.clone(), text.clone()));
            match text.as_str() {
                "fail" => ("500 Internal Server Error", "text/plain", String::new()),
                "empty" => ("200 OK", "text/plain; charset=utf-8", String::new()),
                "json" => ("200 OK", "application/json", "{}".to_owned()),
                _ => ("200 OK", "text/plain; charset=utf-8", format!("echo:{from}:{text}")),
            }
        }
        _ => ("400 Bad Request", "text/plain", String::new()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = (&stream).write_all(response.as_bytes());
}

/// Decodes `application/x-www-form-urlencoded` UTF-8: `+` is a space, `%XX` a byte.
/// `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn start() -> (App, Kannel) {
    let app = App::start();
    let kannel = Kannel::start(&app.url).unwrap_or_else(|error| panic!("{error}"));
    (app, kannel)
}

fn send(kannel: &Kannel, from: &str, text: &str) -> String {
    kannel.send(from, text).unwrap_or_else(|error| panic!("{error}"))
}

fn pair(from: &str, text: &str) -> (String, String) {
    (from.to_owned(), text.to_owned())
}

/// `text` sent from +994501234567 through Kannel reaches the app as it was,
/// and the app's echo of it comes back as `echoed`.
fn arrives_and_comes_back(text: &str, echoed: &str) {
    let (app, kannel) = start();
    let reply = send(&kannel, "+994501234567", text);
    assert_eq!(app.received(), [pair("+994501234567", text)]);
    assert_eq!(reply, format!("echo:+994501234567:{echoed}"), "{}", kannel.log_tail());
}

#[test]
fn texts_arrive_intact_and_echoes_come_back_in_gsm7() {
    for (text, echoed) in [
        // Plain text round-trips.
        ("2 AZE11111111", "2 AZE11111111"),
        // Spaces and punctuation arrive intact.
        ("  #2,  AZE-11111111.  ", "  #2,  AZE-11111111.  "),
        // Ampersand, percent and plus arrive intact.
        ("a&text=b %41 %zz 100% +1+2 ?x=y", "a&text=b %41 %zz 100% +1+2 ?x=y"),
        // Azerbaijani text arrives as UTF-8 and comes back as GSM-7.
        ("İcazə 2", "?caz? 2"),
        // Line breaks arrive and come back.
        ("2\nAZE11111111\n", "2\nAZE11111111\n"),
    ] {
        arrives_and_comes_back(text, echoed);
    }
}

#[test]
fn cyrillic_text_arrives_as_utf8_and_comes_back_as_gsm7() {
    let (app, kannel) = start();
    // Cyrillic А and Е among Latin letters, as a citizen might type a plate number; and
    // a text too long to go as UCS-2 through fakesmsc, which goes as UTF-8 text.
    let long = "Я".repeat(100);
    let replies = kannel
        .send_batch(&[("+994501111111", "2 АZЕ11111111"), ("+994502222222", &long)])
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(app.received(), [pair("+994501111111", "2 АZЕ11111111"), pair("+994502222222", &long)]);
    // The reply is GSM-7: letters outside its alphabet become "?".
    assert_eq!(
        replies,
        ["echo:+994501111111:2 ?Z?11111111".to_owned(), format!("echo:+994502222222:{}", "?".repeat(100))],
        "{}",
        kannel.log_tail()
    );
}

#[test]
fn reply_of_160_characters_comes_back_whole() {
    let (_app, kannel) = start();
    // "echo:+994500000160:" is 19 characters.
    let text = "x".repeat(141);
    let reply = send(&kannel, "+994500000160", &text);
    assert_eq!(reply.chars().count(), 160);
    assert_eq!(reply, format!("echo:+994500000160:{text}"), "{}", kannel.log_tail());
}

#[test]
fn reply_of_200_characters_is_cut_to_160() {
    let (app, kannel) = start();
    let text = format!("{}END", "y".repeat(178));
    let reply = send(&kannel, "+994500000200", &text);
    assert_eq!(app.received(), [pair("+994500000200", &text)]);
    let whole = format!("echo:+994500000200:{text}");
    assert_eq!(whole.chars().count(), 200);
    assert_eq!(reply, whole[..160], "{}", kannel.log_tail());
}

#[test]
fn batch_of_50_senders_each_get_their_own_reply() {
    let (app, kannel) = start();
    let messages: Vec<(String, String)> =
        (0..50).map(|i| (format!("+9945000000{i:02}"), format!("{i} AZE{i:08}"))).collect();
    let borrowed: Vec<(&str, &str)> = messages.iter().map(|(from, text)| (from.as_str(), text.as_str())).collect();
    let replies = kannel.send_batch(&borrowed).unwrap_or_else(|error| panic!("{error}"));
    let expected: Vec<String> = messages.iter().map(|(from, text)| format!("echo:{from}:{text}")).collect();
    assert_eq!(replies, expected, "{}", kannel.log_tail());
    let mut sorted = messages.clone();
    sorted.sort();
    assert_eq!(app.received(), sorted);
}

#[test]
fn application_failures_come_back_as_kannel_replies() {
    let (_app, kannel) = start();
    let replies =
        kannel.send_batch(&[("+1", "fail"), ("+2", "empty"), ("+3", "json")]).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(replies, [REPLY_COULD_NOT_FETCH, REPLY_EMPTY, REPLY_COULD_NOT_FETCH], "{}", kannel.log_tail());
}

#[test]
fn what_fakesmsc_cannot_carry_is_refused_before_sending() {
    let (app, kannel) = start();
    let too_long = "a".repeat(300);
    let error = kannel.send_batch(&[("+1", "fine"), ("+2", &too_long)]).unwrap_err();
    assert!(matches!(error, KannelError::InvalidMessage { index: 1, .. }), "{error}");
    let error = kannel.send("+994 50", "hi").unwrap_err();
    assert!(matches!(error, KannelError::InvalidMessage { index: 0, .. }), "{error}");
    assert!(app.received().is_empty());
    // The gateway still works afterwards.
    assert_eq!(send(&kannel, "+1", "fine"), "echo:+1:fine");
}

#[test]
fn application_url_beyond_loopback_is_refused() {
    let error = Kannel::start("http://192.0.2.1:8080/sms/8103").unwrap_err();
    assert!(matches!(error, KannelError::InvalidAppUrl { .. }), "{error}");
}
