//! The SMS service killed with SIGKILL under load, round after round: every
//! permit whose reply reached the sender is in the database afterwards (asking
//! again gives the very same permit back), no document gets a second permit of
//! a once-a-day code, and no serial is given to two documents.
//!
//! The service runs as the real `icaze serve` process on loopback; eight
//! client threads send SMS requests over plain HTTP until it dies. The moment
//! of each kill varies from round to round; no assertion depends on timing.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use icaze_core::{PermitSerial, UnverifiedPermit};

const ROUNDS: u64 = 8;
const CLIENTS: usize = 8;
const DOCUMENTS: u64 = 4000;

fn icaze(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_icaze")).args(args).output().expect("run icaze");
    assert!(out.status.success(), "icaze {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn regime() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../regimes/2020-12-14.toml")
}

/// Starts `icaze serve` on a free loopback port and waits for its address.
fn start(data: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_icaze"))
        .args(["serve", "--data"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0", "--regime"])
        .arg(regime())
        .args(["--regime-start", "today"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start icaze serve");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("icaze serving on http://") {
                let addr = rest.split_whitespace().next().unwrap_or_default().to_owned();
                let _ = tx.send(addr);
            }
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(60)).expect("icaze serve printed its address");
    (child, addr.parse().expect("a socket address"))
}

/// One SMS through the gateway endpoint; `None` unless a whole reply arrived.
fn sms(addr: SocketAddr, from: u64, text: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let query: String = form_encode(&[("from", &format!("+99450{from:07}")), ("text", text)]);
    write!(stream, "GET /sms/8103?{query} HTTP/1.1\r\nHost: icaze\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8(response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 200") {
        return None;
    }
    // A reply cut off by the kill is not a reply that went out.
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))?
        .parse()
        .ok()?;
    (body.len() == length).then(|| body.to_owned())
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => char::from(b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect::<Vec<_>>().join("&")
}

fn document(i: u64) -> String {
    format!("AZE{:08}", 50_000_000 + i)
}

/// Every token each document received, across all rounds.
/// Per document, each token received and the phone it was sent to.
type Received = Arc<Mutex<HashMap<String, HashMap<String, u64>>>>;

fn token_of(reply: &str) -> Option<String> {
    UnverifiedPermit::find_in_text(reply).ok().map(|p| p.token().to_text())
}

#[test]
fn permits_survive_sigkill_under_load() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let data_arg = data.to_str().unwrap();
    icaze(&["registry", "demo", "--data", data_arg, "--count", &DOCUMENTS.to_string()]);

    let received: Received = Arc::default();
    let phone = Arc::new(AtomicU64::new(0));
    let mut replies = 0u64;
    for round in 0..ROUNDS {
        let (mut child, addr) = start(&data);
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..CLIENTS as u64)
            .map(|_| {
                let (received, phone, stop) = (received.clone(), phone.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut answered = 0u64;
                    while !stop.load(Ordering::SeqCst) {
                        // Code 2 is once a day per document: the rule a lost commit would break.
                        // Documents are spread so that every round issues new permits and repeats old ones.
                        let from = phone.fetch_add(1, Ordering::SeqCst);
                        let doc = document(from.wrapping_mul(2_654_435_761) % DOCUMENTS);
                        match sms(addr, from, &format!("2 {doc}")) {
                            Some(reply) => {
                                answered += 1;
                                if let Some(token) = token_of(&reply) {
                                    received.lock().unwrap().entry(doc).or_default().insert(token, from);
                                }
                            }
                            // The server is gone (killed): this round is over for this client.
                            None => break,
                        }
                    }
                    answered
                })
            })
            .collect();
        // Let the load run a varying while, then kill the service mid-flight.
        std::thread::sleep(Duration::from_millis(300 + 173 * (round % 5)));
        child.kill().expect("SIGKILL icaze serve");
        child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        for client in clients {
            replies += client.join().unwrap();
        }
    }

    let received = received.lock().unwrap().clone();
    assert!(replies > 0 && !received.is_empty(), "the load got replies before the kills ({replies})");
    // The once-a-day code: one permit per document, whatever the kills did.
    for (doc, tokens) in &received {
        assert_eq!(tokens.len(), 1, "{doc} got {} different permits of a once-a-day code", tokens.len());
    }

    // After a clean start, each document that got a permit gets that same one
    // again: its row was committed before its reply went out.
    let (mut child, addr) = start(&data);
    let authority = icaze_authority::Authority::load(&data.join("authority")).unwrap();
    let mut serials: HashMap<PermitSerial, String> = HashMap::new();
    for (n, (doc, tokens)) in received.iter().enumerate() {
        // Sent again only to the phone it was sent to; another phone gets no token.
        let (sent, &phone) = tokens.iter().next().unwrap();
        let other = sms(addr, 9_000_000 + n as u64, &format!("2 {doc}")).expect("a reply");
        assert!(token_of(&other).is_none(), "{doc}: another phone got a token: {other:?}");
        let reply = sms(addr, phone, &format!("2 {doc}")).expect("a reply");
        let token = token_of(&reply).unwrap_or_else(|| panic!("{doc}: no permit in the repeat reply {reply:?}"));
        assert_eq!(&token, sent, "{doc}: the repeat gave another permit than the one sent before");
        let permit = UnverifiedPermit::find_in_text(&reply).unwrap();
        let verified = authority.trust_list().verify(&permit).expect("the service's permits verify");
        let serial = verified.claims().serial();
        if let Some(other) = serials.insert(serial, doc.clone()) {
            panic!("serial {serial:?} was given to both {other} and {doc}");
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    println!("{ROUNDS} kills; {replies} replies received; {} documents with a permit, each kept", received.len());
}
