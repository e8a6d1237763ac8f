//! Crash safety: a process logging inspections is killed with SIGKILL, many
//! times, at varying moments; every record it reported committed is still
//! there afterwards, and the chain verifies.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use icaze_core::{SecretKey, UtcMinute};
use icaze_device::{Device, InitConfig};

#[test]
fn records_reported_committed_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let config = InitConfig { root: SecretKey::from_seed(&[1; 32]).public_key(), server: None, officer: None };
    drop(Device::init(dir.path(), &config, UtcMinute::from_unix_minutes(26_830_000)).unwrap());

    let mut reported_max = 0u64;
    for round in 0..20u64 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_icaze-device-logger"))
            .arg(dir.path())
            .arg("1000000")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Kill after a varying number of committed records (1 to 37), never after a sleep.
        let kill_after = 1 + (round * 7) % 37;
        for _ in 0..kill_after {
            let seq: u64 = lines.next().expect("the logger stopped early").unwrap().parse().unwrap();
            assert_eq!(seq, reported_max + 1, "round {round}: sequence numbers without gaps");
            reported_max = seq;
        }
        child.kill().unwrap(); // SIGKILL on Unix
                               // Lines already in the pipe were printed after their commit too.
        for line in lines {
            let Ok(line) = line else { break };
            let seq: u64 = line.parse().unwrap();
            assert_eq!(seq, reported_max + 1);
            reported_max = seq;
        }
        let status = child.wait().unwrap();
        assert!(!status.success(), "round {round}: the logger was killed, not finished");

        let device = Device::open(dir.path()).unwrap();
        let report = device.verify_chain().unwrap();
        assert!(report.is_ok(), "round {round}: {report:?}");
        assert!(report.records >= reported_max, "round {round}: {} records, {reported_max} reported", report.records);
        let log = device.log(1, usize::MAX).unwrap();
        assert!(log.iter().enumerate().all(|(i, r)| r.seq == i as u64 + 1));
        // A record committed but not yet reported when the kill came is kept
        // too; the next round continues after it.
        reported_max = report.records;
    }
    assert!(reported_max >= 20);
}

/// A full disk, as the logging process sees it: files it may not grow past
/// a limit (`prlimit --fsize`, with SIGXFSZ ignored so that a write past it
/// fails with EFBIG instead of killing the process). The check that cannot be
/// written gets an error, never a verdict; the process ends with a clear
/// message, not a panic; every record it reported is kept; and once there is
/// room again the device logs on, its chain intact.
#[test]
fn a_full_disk_refuses_the_check_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = InitConfig { root: SecretKey::from_seed(&[1; 32]).public_key(), server: None, officer: None };
    drop(Device::init(dir.path(), &config, UtcMinute::from_unix_minutes(26_830_000)).unwrap());
    let db = std::fs::metadata(dir.path().join(icaze_device::DB_FILE)).unwrap().len();
    // Room for the database as it is and a few dozen commits in its write-ahead log.
    let limit = db + 96 * 1024;
    let script = format!("trap '' XFSZ; exec prlimit --fsize={limit}:{limit} \"$0\" \"$1\" 1000000",);
    let out = Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_icaze-device-logger")])
        .arg(dir.path())
        .output()
        .expect("sh and prlimit (util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the logger stopped on an error, not a signal: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("nothing was recorded") && stderr.contains("free some space"), "a clear message: {stderr}");
    let reported: Vec<u64> = String::from_utf8(out.stdout).unwrap().lines().map(|l| l.parse().unwrap()).collect();
    assert!(reported.len() >= 3, "some records fitted before the disk was full: {reported:?}");
    assert!(reported.iter().enumerate().all(|(i, s)| *s == i as u64 + 1));

    let mut device = Device::open(dir.path()).unwrap();
    let report = device.verify_chain().unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert!(report.records >= reported.len() as u64, "{} records, {} reported", report.records, reported.len());
    let scene = icaze_device::Scene {
        at: UtcMinute::from_unix_minutes(26_830_100),
        zone: icaze_core::ZoneId::new(1).unwrap(),
        officer: icaze_device::OfficerBadge::new("B-1042").unwrap(),
        location: None,
    };
    let next = device.check("IZ1 not a token", &scene, &icaze_device::Notes::default()).unwrap();
    assert_eq!(next.seq, Some(report.records + 1), "logging goes on after the chain");
    assert!(device.verify_chain().unwrap().is_ok());
}
