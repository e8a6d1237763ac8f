//! The `icaze` binary end to end: each test gets its own directory, runs the
//! real executable, and checks its output and exit status.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn icaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_icaze")).args(args).output().expect("run icaze")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Authority {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Authority {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("authority");
        let out = icaze(&["keys", "init", "--keys", dir.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Self { _tmp: tmp, dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }

    fn issue(&self, extra: &[&str]) -> String {
        let keys = self.path("");
        let mut args = vec!["issue", "--keys", keys.as_str()];
        args.extend_from_slice(extra);
        let out = icaze(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        stdout(&out).trim().to_owned()
    }

    fn verify(&self, extra: &[&str]) -> (i32, Value) {
        let trust = self.path("trustlist");
        let mut args = vec!["verify", "--trust", trust.as_str()];
        args.extend_from_slice(extra);
        let out = icaze(&args);
        let code = out.status.code().unwrap();
        (code, serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null))
    }
}

const FROM: &str = "2020-12-15T10:00:00+04:00";

fn sms_permit(a: &Authority) -> String {
    // The keys are valid from now; a permit may start in the past.
    a.issue(&["--document", "aze 11111111", "--purpose", "necessities", "--zone", "1", "--minutes", "180"])
}

#[test]
fn issue_then_verify_valid_in_its_zone_and_window() {
    let a = Authority::new();
    let token = sms_permit(&a);
    assert!(token.starts_with("IZ2") && token.len() <= 112, "{token}");
    let (code, v) = a.verify(&["--zone", "1", &token]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["status"], "valid");
    assert_eq!(v["permit"]["document"], "AZE11111111");
    assert_eq!(v["permit"]["purpose"], "necessities");
    assert_eq!(v["permit"]["zones"], serde_json::json!([1]));
    assert!(v["permit"]["valid_from"].as_str().unwrap().ends_with("+04:00"), "Baku time in display");

    let (code, v) = a.verify(&["--zone", "2", &token]);
    assert_eq!((code, v["status"].as_str()), (1, Some("wrong_zone")));

    let whole_sms = format!("AZE11111111 10:00-13:00 {token}");
    let (code, _) = a.verify(&["--zone", "1", &whole_sms]);
    assert_eq!(code, 0, "a whole SMS is accepted");
}

#[test]
fn verify_at_a_given_time() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rehearsal");
    let out = icaze(&["keys", "init", "--keys", dir.to_str().unwrap(), "--valid-from", "2020-12-01T00:00:00+04:00"]);
    assert!(out.status.success());
    let a = Authority { _tmp: tmp, dir };
    let token = a.issue(&[
        "--document",
        "MYİ1234567",
        "--purpose",
        "medical",
        "--zone",
        "3",
        "--from",
        FROM,
        "--issued-at",
        "2020-12-15T09:58:00+04:00",
    ]);
    let (code, v) = a.verify(&["--at", "2020-12-15T09:59:00+04:00", &token]);
    assert_eq!((code, v["status"].as_str()), (1, Some("not_yet_valid")));
    let (code, v) = a.verify(&["--at", "2020-12-15T11:00:00+04:00", "--zone", "3", &token]);
    assert_eq!((code, v["status"].as_str()), (0, Some("valid")), "{v}");
    assert_eq!(v["permit"]["document"], "MYİ1234567");
    assert_eq!(v["permit"]["issued_minutes_ago"], 62);
    assert_eq!(v["permit"]["minutes_left"], 120);
    let (code, v) = a.verify(&["--at", "2020-12-15T13:00:00+04:00", &token]);
    assert_eq!((code, v["status"].as_str()), (1, Some("expired")));
}

#[test]
fn tampered_and_foreign_tokens_are_refused() {
    let a = Authority::new();
    let b = Authority::new();
    let token = sms_permit(&a);
    let (code, v) = b.verify(&[&token]);
    assert_eq!((code, v["status"].as_str()), (1, Some("bad_signature")), "another authority's key 1");

    let mut chars: Vec<char> = token.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'x' { 'y' } else { 'x' };
    let (code, v) = a.verify(&[&chars.iter().collect::<String>()]);
    assert_eq!((code, v["status"].as_str()), (1, Some("bad_signature")));

    let (code, v) = a.verify(&["hello"]);
    assert_eq!(
        (code, v["status"].as_str(), v["reasons"][0]["code"].as_str()),
        (1, Some("malformed"), Some("no_token"))
    );
}

#[test]
fn purposes_go_to_their_keys() {
    let a = Authority::new();
    let work = a.issue(&["--document", "AZE22222222", "--purpose", "work", "--zone", "1", "--minutes", "43200"]);
    let funeral = a.issue(&["--document", "AZE33333333", "--purpose", "funeral", "--zone", "5"]);
    for (token, key) in [(work, 2), (funeral, 3)] {
        let (code, v) = a.verify(&[&token]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["permit"]["key_id"], key);
    }
}

#[test]
fn qr_png_round_trip_verifies() {
    let a = Authority::new();
    let token = sms_permit(&a);
    let png = a.path("permit.png");
    let out = icaze(&["qr", "--png", &png, &token]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("QR version 5"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = icaze(&["qr", "--decode", &png]);
    assert!(out.status.success());
    let scanned = stdout(&out).trim().to_owned();
    assert!(scanned.bytes().all(|b| b.is_ascii_digit()), "the QR carries the digits form: {scanned}");
    let (code, v) = a.verify(&["--zone", "1", &scanned]);
    assert_eq!(code, 0, "{v}");

    let svg = a.path("permit.svg");
    assert!(icaze(&["qr", "--svg", &svg, &token]).status.success());
    assert!(std::fs::read_to_string(svg).unwrap().contains("<svg"));

    let out = icaze(&["qr", &token]);
    assert!(out.status.success() && stdout(&out).contains('█'), "terminal rendering");
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let a = Authority::new();
    let keys = a.path("");
    let cases: &[&[&str]] = &[
        &["issue", "--keys", &keys, "--document", "AZE111", "--purpose", "walking", "--zone", "1"],
        &["issue", "--keys", &keys, "--document", "АЗЕ11111111", "--purpose", "medical", "--zone", "1"],
        &["issue", "--keys", &keys, "--document", "AZE11111111", "--purpose", "medical", "--zone", "0"],
        &[
            "issue",
            "--keys",
            &keys,
            "--document",
            "AZE11111111",
            "--purpose",
            "medical",
            "--zone",
            "1",
            "--from",
            "tomorrow",
        ],
        &["issue", "--keys", "/nonexistent", "--document", "AZE11111111", "--purpose", "medical", "--zone", "1"],
        &["verify", "--trust", "/nonexistent/trustlist", "IZ1AAAA"],
        &["verify", "--trust", &a.path("trustlist"), "--at", "noon", "IZ1AAAA"],
        &["qr", "--decode", &a.path("trustlist")],
        &["qr", "not a token"],
        &["keys", "init", "--keys", &keys],
        &["frobnicate"],
    ];
    for args in cases {
        let out = icaze(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.trim().is_empty(), "{args:?} says what is wrong");
    }
}

#[test]
fn secret_keys_are_owner_only_and_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a");
    let out = icaze(&["keys", "init", "--keys", dir.to_str().unwrap()]);
    let printed = format!("{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    for name in ["root.secret", "sms.secret", "portal.secret", "callcentre.secret", "sync.secret"] {
        let path: &Path = &dir.join(name);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(path).unwrap().permissions().mode() & 0o777, 0o600, "{name}");
        }
        let text = std::fs::read_to_string(path).unwrap();
        let seed = text.lines().last().unwrap().split(' ').next_back().unwrap();
        assert!(!printed.contains(seed), "{name} printed");
    }
}

#[test]
fn demo_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let out = icaze(&["demo", "--data", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(
        text.contains("VALID")
            && text.contains("WRONG_ZONE")
            && text.contains("EXPIRED")
            && text.contains("BAD_SIGNATURE")
    );
    assert!(dir.join("permit.png").exists());
}

fn regime_file(name: &str) -> String {
    format!("{}/../../regimes/{name}", env!("CARGO_MANIFEST_DIR"))
}

impl Authority {
    /// `icaze bundle make` with the authority's keys; `extra` adds options.
    fn make_bundle(&self, name: &str, extra: &[&str]) -> String {
        let (keys, out_path) = (self.path(""), self.path(name));
        let mut args = vec!["bundle", "make", "--keys", keys.as_str(), "--out", out_path.as_str()];
        args.extend_from_slice(extra);
        let out = icaze(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out_path
    }

    /// `icaze bundle show` against this authority's root: exit status, JSON, standard error.
    fn show_bundle(&self, bundle: &str) -> (i32, Value, String) {
        let root = self.path("root.public");
        let out = icaze(&["bundle", "show", "--root", &root, bundle]);
        let json = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
        (out.status.code().unwrap(), json, String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn bundle_make_then_show() {
    let a = Authority::new();
    let revoked = a.path("revoked.txt");
    std::fs::write(&revoked, "# revoked serials\n12\n907  # a stolen phone\n\n12\n").unwrap();
    let december = regime_file("2020-12-14.toml");
    let april = regime_file("2020-04-05.toml");
    let full = a
        .make_bundle("bundle-5", &["--regime", &december, "--regime", &april, "--version", "5", "--revoked", &revoked]);
    let (code, v, stderr) = a.show_bundle(&full);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(v["version"], 5);
    assert_eq!(v["base_version"], Value::Null);
    assert_eq!(v["revocation_count"], 2, "12 is listed twice");
    assert_eq!((v["format"].as_u64(), v["replaced_count"].as_u64()), (Some(2), Some(0)), "the server writes format 2");
    assert_eq!(v["signer"], 4, "the sync key");
    assert_eq!(v["trust_list_version"], 1);
    assert_eq!(v["regimes"][0]["id"], "2020-12-14");
    assert_eq!(v["regimes"][0]["scope"], "listed");
    assert_eq!(v["regimes"][0]["zones"].as_array().unwrap().len(), 17);
    assert_eq!(v["regimes"][1]["scope"], "everywhere");
    assert_eq!(v["freshness"]["invalid_after_minutes"], 72 * 60);

    // The sync key is valid for 400 days from `keys init`: no bundle for 2030.
    let delta = a.path("bundle-6");
    let keys = a.path("");
    let late = ["bundle", "make", "--keys", &keys, "--out", &delta, "--version", "6", "--base", "5"];
    let out = icaze(&[&late[..], &["--server-time", "2030-01-01T00:00:00+04:00"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no key that may sign sync bundles"));
    let out = icaze(&late);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (code, v, _) = a.show_bundle(&delta);
    assert_eq!((code, v["version"].as_u64(), v["base_version"].as_u64()), (0, Some(6), Some(5)));
    assert_eq!(v["revocation_count"], 0);
}

#[test]
fn tampered_and_foreign_bundles_are_refused_with_status_1() {
    let a = Authority::new();
    let b = Authority::new();
    let bundle = a.make_bundle("bundle", &["--version", "1", "--regime", &regime_file("2020-12-14.toml")]);
    let mut bytes = std::fs::read(&bundle).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let tampered = a.path("tampered");
    std::fs::write(&tampered, &bytes).unwrap();
    let (code, v, stderr) = a.show_bundle(&tampered);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(v, Value::Null, "nothing printed on standard output");
    assert!(stderr.contains("refused") && !stderr.contains("panicked"), "{stderr}");

    let (code, _, stderr) = b.show_bundle(&bundle);
    assert_eq!(code, 1);
    assert!(stderr.contains("(trust_list)") && stderr.contains("not signed by the pinned root key"), "{stderr}");

    // Set-up errors are status 2: no such file, a root key file that is not one.
    let (code, _, stderr) = a.show_bundle(&a.path("no-such-bundle"));
    assert_eq!(code, 2, "{stderr}");
    let out = icaze(&["bundle", "show", "--root", &bundle, &bundle]);
    assert_eq!(out.status.code(), Some(2));
    let keys = a.path("");
    for bad in [&["--version", "0"][..], &["--version", "2", "--base", "2"], &["--version", "3", "--revoked", &keys]] {
        let mut args = vec!["bundle", "make", "--keys", keys.as_str(), "--out", tampered.as_str()];
        args.extend_from_slice(bad);
        let out = icaze(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(!stderr.trim().is_empty() && !stderr.contains("panicked"), "{bad:?}: {stderr}");
    }
}

#[test]
fn completions_for_bash_name_every_subcommand() {
    let out = icaze(&["completions", "bash"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let script = stdout(&out);
    assert!(script.contains("complete -F"), "a bash completion script: {script:.200}");
    // The top level's words: every subcommand, as `icaze <TAB>` offers them.
    let top = script.lines().find(|l| l.contains("opts=") && l.contains(" issue ")).expect("the top-level opts line");
    for name in [
        "keys",
        "issue",
        "verify",
        "qr",
        "demo",
        "serve",
        "up",
        "registry",
        "backup",
        "restore",
        "loadgen",
        "bundle",
        "device",
        "admin",
        "portal",
        "regime",
        "completions",
    ] {
        assert!(top.split(['"', ' ']).any(|w| w == name), "{name} missing from {top}");
    }
    // And below: `icaze device <TAB>` and `icaze admin device <TAB>`.
    for word in ["import-bundle", "clear-fork", "--data", "--server"] {
        assert!(script.contains(word), "{word} missing");
    }

    let out = icaze(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "an unknown shell is a usage error");
}

/// Issue 22 item 13: `icaze serve --log-format json` writes its log lines as
/// JSON objects, and a request's lines carry its `X-Request-Id` in their span.
#[test]
fn serve_writes_json_log_lines_with_the_request_id() {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_icaze"))
        .args(["serve", "--data"])
        .arg(tmp.path().join("data"))
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .env("RUST_LOG", "info,icaze_server=debug")
        .env_remove("ICAZE_LOG_FORMAT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start icaze serve");
    // Killed however the test ends, so that no server outlives it.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stderr = child.stderr.take().unwrap();
    let _child = Kill(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next = || rx.recv_timeout(Duration::from_secs(60)).expect("icaze serve kept writing");
    let mut json = Vec::new();
    let addr = loop {
        let line = next();
        // The first start's notices (the tokens, the development authority) are for
        // the person at the terminal: plain lines. Every log line is JSON.
        if let Some(rest) = line.strip_prefix("icaze serving on http://") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
        if line.starts_with('{') {
            json.push(serde_json::from_str::<Value>(&line).unwrap_or_else(|e| panic!("{e}: {line}")));
        }
    };
    assert!(json.iter().any(|l| l["fields"]["message"] == "icaze serving"), "{json:?}");

    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: icaze\r\nX-Request-Id: json-log-test-1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.to_ascii_lowercase().contains("x-request-id: json-log-test-1"), "{response}");
    let line = loop {
        let line = next();
        if !line.starts_with('{') {
            continue;
        }
        let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if value["span"]["request_id"] == "json-log-test-1" {
            break value;
        }
    };
    assert_eq!(line["fields"]["message"], "request answered", "{line}");
    assert_eq!(line["fields"]["status"], 200, "{line}");
    assert_eq!(line["span"]["route"], "/healthz", "{line}");
}

/// Issue 21 item 7: `icaze backup` copies a data directory's databases and
/// tokens, `icaze restore` puts them in a new directory with the serial
/// counter moved on, and neither overwrites anything.
#[test]
fn backup_and_restore_a_data_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let path = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();
    let out = icaze(&["registry", "demo", "--data", &path("data"), "--count", "50"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = icaze(&["backup", "--data", &path("data"), "--to", &path("copy")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = stdout(&out);
    assert!(said.contains("icaze.db") && said.contains("registry.db"), "{said}");
    assert!(said.contains(&format!("to {}", path("copy"))), "{said}");

    let out = icaze(&["restore", "--from", &path("copy"), "--data", &path("restored"), "--serial-gap", "5000"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = stdout(&out);
    let next: u32 = said.rsplit("the next serial is ").next().unwrap().trim().parse().expect(&said);
    assert!(next >= 5000, "{said}");
    assert!(tmp.path().join("restored/registry.db").is_file());

    for args in [
        ["backup", "--data", &path("data"), "--to", &path("copy")],
        ["restore", "--from", &path("copy"), "--data", &path("restored")],
    ] {
        let out = icaze(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?} refused as a set-up error");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not empty") || err.contains("holds databases already"), "{err}");
    }
}

/// `icaze regime FILE` says a code's caps (issue 23 item 5), and names a bad one.
#[test]
fn regime_prints_the_caps_of_a_code() {
    let tmp = tempfile::tempdir().unwrap();
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../regimes/2020-12-14.toml")).unwrap();
    let capped = shipped.replace("per_day = 3\n", "per_day = 3\nper_week = 5\nper_phone_per_day = 2\n");
    assert_ne!(capped, shipped);
    let file = tmp.path().join("capped.toml");
    std::fs::write(&file, &capped).unwrap();
    let out = icaze(&["regime", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = stdout(&out);
    assert!(said.contains("at most 5 per document in 7 days") && said.contains("at most 2 per phone a day"), "{said}");

    std::fs::write(&file, capped.replace("per_week = 5", "per_week = 2")).unwrap();
    let out = icaze(&["regime", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("per_week must be at least per_day"));
}

/// Issue 23 item 1: `icaze registry people --replace FILE` replaces the whole
/// registry (exit 0), with its progress on standard error and the documents
/// removed written out; a truncated file is refused (exit 2) unless forced.
#[test]
fn registry_people_replace_replaces_the_whole_registry() {
    let tmp = tempfile::tempdir().unwrap();
    let path = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();
    let registry = |range: std::ops::Range<u32>| {
        let rows: String = range.map(|n| format!("AZE5{n:07},1980-05-17,1\n")).collect();
        format!("document,birth_date,zone\n{rows}")
    };
    std::fs::write(path("first.csv"), registry(0..100)).unwrap();
    std::fs::write(path("next.csv"), registry(2..102) + "AZE5,1980-13-01,1\n").unwrap();
    std::fs::write(path("truncated.csv"), registry(0..40)).unwrap();
    let replace = |file: &str, extra: &[&str]| {
        let data = path("data");
        let mut args = vec!["registry", "people", "--data", data.as_str()];
        args.extend_from_slice(&["--replace", file]);
        args.extend_from_slice(extra);
        let out = icaze(&args);
        (out.status.code(), stdout(&out), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    std::fs::create_dir(path("data")).unwrap();
    let (code, said, progress) = replace(&path("first.csv"), &[]);
    assert_eq!(code, Some(0), "{said}{progress}");
    assert!(said.contains("replaced: 100 people (was 0), 0 removed"), "{said}");
    assert!(progress.contains("loading") && progress.contains("swapped"), "{progress}");

    let (code, said, _) = replace(&path("next.csv"), &["--removed", &path("removed.txt")]);
    assert_eq!(code, Some(1), "replaced, with a bad row skipped: {said}");
    assert!(said.contains("line 102: ") && said.contains("replaced: 100 people (was 100), 2 removed"), "{said}");
    assert_eq!(std::fs::read_to_string(path("removed.txt")).unwrap(), "AZE50000000\nAZE50000001\n");

    let (code, said, _) = replace(&path("truncated.csv"), &[]);
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("not replaced: 62 of the 100 people registered are not in the file"), "{said}");
    let (code, said, progress) = replace(&path("truncated.csv"), &["--force"]);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("replaced: 40 people (was 100), 62 removed"), "{said}");
    assert!(progress.contains("replacement job 4"), "the fourth replacement's record: {progress}");

    // Each was kept as a job, as a feed's replacement over HTTP is.
    let store = icaze_server::Database::Sqlite.open_permits(std::path::Path::new(&path("data")), &Default::default());
    let store = store.unwrap();
    let states: Vec<_> = (1..=4)
        .map(|id| {
            let job = store.replacement_job(Some(icaze_server::replace::JobId(id))).unwrap().unwrap();
            (job.agency, job.forced, job.state, job.removed)
        })
        .collect();
    use icaze_server::replace::JobState::{Refused, Swapped};
    assert_eq!(
        states,
        [
            ("local".to_owned(), false, Swapped, 0),
            ("local".to_owned(), false, Swapped, 2),
            ("local".to_owned(), false, Refused, 0),
            ("local".to_owned(), true, Swapped, 62),
        ]
    );
}
