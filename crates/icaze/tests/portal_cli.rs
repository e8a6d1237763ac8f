//! The portal from the command line, end to end: the real service (`icaze_server::Server`
//! in this process, on a loopback port, with a fixed clock inside the December 2020
//! regime and the demo registry) and the real `icaze` executable.
//!
//! The administrator registers an organisation and a call-centre operator with
//! `icaze admin org add` / `operator add`; the authorised person imports employees with
//! `icaze portal import` (a file with bad rows: the report names each line and the exit
//! status is 1; a clean file: exit 0); a wrong password and a missing one are refused
//! clearly; then `icaze admin org revoke` revokes the permits issued, and
//! `icaze admin portal deactivate` the employee registered after it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{icaze_command, json_line, Service};
use icaze_server::portal::password::HashCost;

/// The service with cheap password hashing, 50 synthetic people and the demo denials.
fn start() -> Service {
    let s = Service::start_with(|config| config.portal.hash_cost = HashCost::cheap()).with_demo_people(50);
    s.store().import_denials(&icaze_server::registry::demo_denials_csv()).unwrap();
    s
}

/// `icaze portal import` as `login`, with the password in ICAZE_PASSWORD (if any).
fn import(s: &Service, login: &str, password: Option<&str>, file: &Path, extra: &[&str]) -> Output {
    let file = file.to_str().unwrap();
    let args = [&["portal", "import", "--server", &s.url, "--login", login][..], extra, &[file]].concat();
    icaze(&args, password)
}

fn csv(s: &Service, name: &str, text: &str) -> PathBuf {
    let path = s.path(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn icaze(args: &[&str], password: Option<&str>) -> Output {
    let mut command = icaze_command(args);
    if let Some(password) = password {
        command.env("ICAZE_PASSWORD", password);
    }
    command.output().expect("run icaze")
}

/// The password a person sets on the portal after the one-time one.
const OWN: &str = "a password of my own";

/// Signs in with the one-time password and sets [`OWN`], as the portal's first sign-in
/// asks (a one-time password allows nothing else, the command line included).
fn set_own_password(s: &Service, login: &str, one_time: &str) {
    s.runtime.block_on(async {
        let client = reqwest::Client::new();
        let body = serde_json::json!({"login": login, "password": one_time}).to_string();
        let answer = client.post(format!("{}/portal/api/login", s.url)).body(body).send().await.unwrap();
        assert_eq!(answer.status(), reqwest::StatusCode::OK);
        let cookie = answer.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let session: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
        let body = serde_json::json!({"old": one_time, "new": OWN}).to_string();
        let changed = client
            .post(format!("{}/portal/api/password", s.url))
            .header("cookie", cookie)
            .header("x-csrf-token", session["csrf"].as_str().unwrap())
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), reqwest::StatusCode::OK);
    });
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const HEADER: &str = "document,name,position,zones,valid_from,valid_until,plate\n";

#[test]
fn organisations_operators_imports_and_regime_change_from_the_command_line() {
    let s = start();

    // The administrator registers an organisation and gets the one-time password.
    let (code, org) = s.admin(&[
        "org",
        "add",
        "--tax-id",
        "1234567890",
        "--name",
        "Azərsu ASC",
        "--login",
        "aliyev.r",
        "--person-name",
        "Rəşad Əliyev",
    ]);
    assert_eq!(code, 0, "{org}");
    assert_eq!(org["login"], "aliyev.r");
    let one_time = org["password"].as_str().unwrap().to_owned();
    let org_id = org["id"].as_u64().unwrap().to_string();
    let (code, again) =
        s.admin(&["org", "add", "--tax-id", "1234567890", "--name", "X", "--login", "x.y", "--person-name", "X Y"]);
    assert_eq!((code, again["code"].as_str()), (1, Some("duplicate_organisation")), "{again}");

    let (code, operator) = s.admin(&["operator", "add", "--login", "op.one", "--name", "Operator One"]);
    assert_eq!(code, 0, "{operator}");
    assert_eq!(operator["login"], "op.one");
    assert!(operator["password"].as_str().is_some_and(|p| !p.is_empty()), "{operator}");

    // An import with bad rows: the good ones are imported, each bad one named by its line.
    let mixed = csv(
        &s,
        "mixed.csv",
        &format!(
            "{HEADER}AZE50000000,\"Aliyev, Rashad\",driver,1;2,2020-12-15,2020-12-31,\n\
             AZE99999999,Unknown Person,clerk,1,2020-12-15,2020-12-31,\n\
             AZE50000001,Leyla Mammadova,engineer,1,2020-12-16,2020-12-30,10-AB-123\n\
             AZE50000001,Repeated,engineer,1,2020-12-16,2020-12-30,\n"
        ),
    );
    // The one-time password imports nothing: it only sets a password of one's own.
    let out = import(&s, "aliyev.r", Some(&one_time), &mixed, &[]);
    assert_eq!(out.status.code(), Some(1), "{} {}", text(&out.stdout), text(&out.stderr));
    assert_eq!(json_line(&out)["code"], "password_change_required");
    set_own_password(&s, "aliyev.r", &one_time);
    let password = OWN.to_owned();

    let out = import(&s, "aliyev.r", Some(&password), &mixed, &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "problems make the exit status 1: {stdout} {}", text(&out.stderr));
    assert!(stdout.starts_with("imported: 2 of 4 rows\nproblems: 2\n"), "{stdout}");
    assert!(stdout.contains("  line 3: "), "{stdout}");
    assert!(stdout.contains("  line 5: "), "{stdout}");
    assert!(!stdout.contains("  line 2: ") && !stdout.contains("  line 4: "), "{stdout}");
    // Standard error is not a terminal: no progress bar redrawn with carriage returns.
    assert!(!out.stderr.contains(&b'\r'), "{}", text(&out.stderr));

    // A clean file, with the report as JSON.
    let clean = csv(&s, "clean.csv", &format!("{HEADER}AZE50000002,Nigar Huseynova,nurse,1,2020-12-15,2020-12-31,\n"));
    let out = import(&s, "aliyev.r", Some(&password), &clean, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{} {}", text(&out.stdout), text(&out.stderr));
    let report = json_line(&out);
    assert_eq!(report["state"], "done", "{report}");
    assert_eq!((report["imported"].as_u64(), report["problems_total"].as_u64()), (Some(1), Some(0)), "{report}");

    // A wrong password is the server's refusal (1); no password at all cannot run (2).
    let out = import(&s, "aliyev.r", Some("not the password"), &clean, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_line(&out)["code"], "bad_credentials");
    let out = import(&s, "aliyev.r", None, &clean, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("ICAZE_PASSWORD"), "{}", text(&out.stderr));
    let out = import(&s, "aliyev.r", Some(&password), &s.path("missing.csv"), &[]);
    assert_eq!(out.status.code(), Some(2));

    // The organisation's permits are revoked by the administrator: the three issued.
    let (code, revoked) = s.admin(&["org", "revoke", &org_id, "--reason", "licence withdrawn"]);
    assert_eq!(code, 0, "{revoked}");
    assert_eq!(revoked["revoked"].as_array().map(Vec::len), Some(3), "{revoked}");

    // It stays revoked: its person's import is refused, and nothing is issued.
    let later = csv(&s, "later.csv", &format!("{HEADER}AZE50000003,Elvin Quliyev,guard,1,2020-12-15,2020-12-31,\n"));
    let out = import(&s, "aliyev.r", Some(&password), &later, &[]);
    assert_eq!(out.status.code(), Some(1), "{} {}", text(&out.stdout), text(&out.stderr));
    assert_eq!(json_line(&out)["code"], "organisation_revoked");

    // Another organisation's employee; at a regime change every active employee is
    // deactivated and their permits revoked.
    let (code, other) = s.admin(&[
        "org",
        "add",
        "--tax-id",
        "2222222222",
        "--name",
        "Bakı Metropoliteni",
        "--login",
        "quliyev.e",
        "--person-name",
        "Elvin Quliyev",
    ]);
    assert_eq!(code, 0, "{other}");
    set_own_password(&s, "quliyev.e", other["password"].as_str().unwrap());
    let out = import(&s, "quliyev.e", Some(OWN), &later, &[]);
    assert_eq!(out.status.code(), Some(0), "{} {}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).starts_with("imported: 1 of 1 rows\nproblems: 0\n"), "{}", text(&out.stdout));
    let (code, deactivated) = s.admin(&["portal", "deactivate", "--reason", "new regime"]);
    assert_eq!(code, 0, "{deactivated}");
    assert_eq!(
        (deactivated["deactivated"].as_u64(), deactivated["revoked"].as_u64()),
        (Some(1), Some(1)),
        "{deactivated}"
    );
}

/// A stolen key from the command line: `icaze keys rotate` where the root key is (here the
/// development authority in the data directory), then `icaze admin keys reload`.
#[test]
fn keys_rotate_and_reload_from_the_command_line() {
    let s = start();
    let keys = s.data().join("authority");
    let out = icaze(&["keys", "rotate", "--keys", keys.to_str().unwrap(), "--role", "callcentre"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rotated = json_line(&out);
    assert_eq!((rotated["revoked_key"].as_u64(), rotated["trust_list_version"].as_u64()), (Some(3), Some(2)));
    let (code, answer) = s.admin(&["keys", "reload"]);
    assert_eq!(code, 0, "{answer}");
    assert_eq!(
        (answer["trust_list_version"].as_u64(), answer["revoked_keys"].clone()),
        (Some(2), serde_json::json!([3]))
    );
    let out = icaze(&["keys", "rotate", "--keys", keys.to_str().unwrap(), "--role", "nobody"], None);
    assert_eq!(out.status.code(), Some(2), "an unknown role is refused: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
}
