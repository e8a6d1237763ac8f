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
