//! `icaze device` end to end with the real executable: an authority from
//! `icaze keys init`, bundles from `icaze bundle make`, permits from
//! `icaze issue`, and a device that imports, checks, logs and reports.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn icaze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_icaze")).args(args).output().expect("run icaze")
}

fn ok(args: &[&str]) -> String {
    let out = icaze(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn regime_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../regimes/2020-12-14.toml")
}

struct Setup {
    _tmp: tempfile::TempDir,
    keys: String,
    device: String,
    root: PathBuf,
}

impl Setup {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_owned();
        let keys = root.join("authority").to_str().unwrap().to_owned();
        ok(&["keys", "init", "--keys", &keys, "--valid-from", "2020-12-01T00:00:00+04:00"]);
        let device = root.join("device").to_str().unwrap().to_owned();
        Self { _tmp: tmp, keys, device, root }
    }

    fn path(&self, name: &str) -> String {
        self.root.join(name).to_str().unwrap().to_owned()
    }

    fn bundle(&self, version: &str, base: Option<&str>, revoked: &str, server_time: &str) -> String {
        let (revoked_file, out) = (self.path(&format!("revoked-{version}")), self.path(&format!("bundle-{version}")));
        std::fs::write(&revoked_file, revoked).unwrap();
        let regime = regime_file();
        let mut args = vec![
            "bundle",
            "make",
            "--keys",
            &self.keys,
            "--regime",
            regime.to_str().unwrap(),
            "--version",
            version,
            "--revoked",
            &revoked_file,
            "--server-time",
            server_time,
            "--out",
            &out,
        ];
        if let Some(base) = base {
            args.extend(["--base", base]);
        }
        ok(&args);
        out
    }

    fn issue(&self) -> String {
        let from = "2020-12-15T10:00:00+04:00";
        let args =
            ["issue", "--keys", &self.keys, "--document", "AZE11111111", "--purpose", "necessities", "--zone", "1"];
        ok(&[&args[..], &["--from", from, "--issued-at", from]].concat()).trim().to_owned()
    }

    fn device(&self, args: &[&str]) -> Output {
        icaze(&[&["device", "--data", &self.device][..], args].concat())
    }

    fn check(&self, zone: &str, time: &str, text: &str) -> (i32, Value) {
        let out = self.device(&["check", "--zone", zone, "--at", time, text]);
        (out.status.code().unwrap(), serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
    }
}

const NOON: &str = "2020-12-15T11:00:00+04:00";

#[test]
fn init_import_check_log_status() {
    let s = Setup::new();
    let root = format!("{}/root.public", s.keys);
    let out = s.device(&["init", "--root", &root, "--officer", "B-1042", "--server", "https://sync.example"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let code = text.lines().find_map(|l| l.strip_prefix("enrollment code ")).unwrap();
    assert!(code.starts_with("ICZD1-"), "{text}");
    assert!(text.contains('█'), "a QR code in the terminal");
    assert!(!text.contains("icaze-device-key"), "the key is never printed");
    assert_eq!(s.device(&["init", "--root", &root]).status.code(), Some(2), "init twice");

    let first = s.issue();
    let second = s.issue();
    // Before any bundle: no data, never valid.
    let (code, v) = s.check("1", NOON, &first);
    assert_eq!((code, v["kind"].as_str()), (1, Some("no_data")), "{v}");

    let bundle = s.bundle("1", None, "2\n", "2020-12-15T09:00:00+04:00");
    let out = s.device(&["import-bundle", &bundle, "--at", "2020-12-15T09:05:00+04:00"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (code, v) = s.check("1", NOON, &format!("AZE11111111 15.12 10:00-13:00 {first}"));
    assert_eq!((code, v["kind"].as_str(), v["display"].as_str()), (0, Some("valid"), Some("valid")), "{v}");
    assert_eq!(v["document"], "AZE11111111");
    assert_eq!(v["issued_minutes_ago"], 60);
    assert_eq!(v["seq"], 2);
    let (code, v) = s.check("1", NOON, &second);
    assert_eq!((code, v["kind"].as_str()), (1, Some("revoked")), "{v}");
    let (code, v) = s.check("2", NOON, &first);
    assert_eq!((code, v["kind"].as_str()), (1, Some("wrong_zone")), "{v}");
    let (code, v) = s.check("40", NOON, "no permit shown");
    assert_eq!((code, v["kind"].as_str()), (0, Some("no_permit_needed")), "zone 40 is outside the regime: {v}");

    // A delta revokes the first permit too.
    let delta = s.bundle("2", Some("1"), "1\n", "2020-12-15T11:10:00+04:00");
    assert!(s.device(&["import-bundle", &delta, "--at", "2020-12-15T11:10:00+04:00"]).status.success());
    let (code, v) = s.check("1", "2020-12-15T11:15:00+04:00", &first);
    assert_eq!((code, v["kind"].as_str()), (1, Some("revoked")), "{v}");
    // The same delta again is a rollback: a set-up error, nothing applied.
    let out = s.device(&["import-bundle", &delta, "--at", "2020-12-15T11:20:00+04:00"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rollback"));

    let out = s.device(&[
        "manual",
        "--zone",
        "1",
        "--at",
        "2020-12-15T11:30:00+04:00",
        "--action",
        "protocol",
        "violation",
        "--protocol",
        "AB-000123",
        "--article",
        "211.2",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((record["input"].as_str(), record["seq"].as_u64()), (Some("violation"), Some(7)));

    let log = ok(&["device", "--data", &s.device, "log"]);
    let records: Vec<Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 7);
    assert!(records.iter().enumerate().all(|(i, r)| r["seq"] == i as u64 + 1 && r["officer"] == "B-1042"));
    assert_eq!(records[0]["verdict"], "no_data");
    assert_eq!(records[1]["serial"], 1);
    assert_eq!(records[1]["prev_hash"], records[0]["hash"]);

    let status: Value =
        serde_json::from_str(&ok(&["device", "--data", &s.device, "status", "--at", "2020-12-15T12:00:00+04:00"]))
            .unwrap();
    assert_eq!(status["bundle_version"], 2);
    assert_eq!(status["chain_ok"], true);
    assert_eq!(status["outbox"], 7);
    assert_eq!(status["data_age_minutes"], 50);
    assert_eq!(status["freshness"], "fresh");
}

#[test]
fn usage_and_set_up_errors_exit_2() {
    let s = Setup::new();
    assert_eq!(s.device(&["status"]).status.code(), Some(2), "no device yet");
    let root = format!("{}/root.public", s.keys);
    assert!(s.device(&["init", "--root", &root]).status.success());
    assert_eq!(s.device(&["check", "IZ1abc"]).status.code(), Some(2), "--zone is required");
    let out = s.device(&["check", "--zone", "1", "IZ1abc"]);
    assert_eq!(out.status.code(), Some(2), "no officer given at init or now");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--officer"));
    std::fs::write(s.path("junk"), b"not a bundle").unwrap();
    assert_eq!(s.device(&["import-bundle", &s.path("junk")]).status.code(), Some(2));
    let out = s.device(&["check", "--zone", "1", "--officer", "B-7", "--at", NOON, "IZ1abc"]);
    assert_eq!(out.status.code(), Some(1), "logged as no_data");
}
