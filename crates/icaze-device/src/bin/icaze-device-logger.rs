//! A test tool for crash safety: `icaze-device-logger DIR MAX` opens the
//! device in DIR and logs inspections in a loop (checks of a text and manual
//! checks, alternately), printing each committed sequence number on its own
//! line as soon as `check` or `record_manual` has returned. A test kills it
//! with SIGKILL at any moment and checks that every number it printed is in
//! the log and that the chain verifies. Stops after MAX records.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use icaze_core::{UtcMinute, ZoneId};
use icaze_device::{Device, ManualCheck, Notes, OfficerBadge, Scene};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(max)) = (args.next(), args.next().and_then(|m| m.parse::<u64>().ok())) else {
        eprintln!("usage: icaze-device-logger DIR MAX");
        return ExitCode::from(2);
    };
    match run(PathBuf::from(dir), max) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("icaze-device-logger: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(dir: PathBuf, max: u64) -> Result<(), Box<dyn std::error::Error>> {
    let mut device = Device::open(&dir)?;
    let scene = Scene {
        at: UtcMinute::parse_rfc3339("2020-12-15T11:00:00+04:00")?,
        zone: ZoneId::new(1).ok_or("zone 1")?,
        officer: OfficerBadge::new("B-1042")?,
        location: None,
    };
    let card = ManualCheck::ServiceCard { organisation: "Baku Metro".into(), card_number: "4711".into() };
    let mut out = std::io::stdout().lock();
    for i in 0..max {
        let seq = if i % 2 == 0 {
            device.check("IZ1 not a token", &scene, &Notes::default())?.seq.ok_or("no sequence number")?
        } else {
            device.record_manual(&card, &scene, &Notes { action: Some("let_pass".into()), note: None })?.seq
        };
        writeln!(out, "{seq}")?;
        out.flush()?;
    }
    Ok(())
}
