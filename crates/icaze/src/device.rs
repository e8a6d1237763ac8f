//! `icaze device`: the officer device core without the app, for precinct
//! desktops, scripts and tests. Each subcommand is a few lines over
//! `icaze_device`, the same code the app calls.
//!
//! Exit status of `check`: 0 the holder may pass (display `valid` or
//! `valid_with_warning`, which includes `no_permit_needed`), 1 not valid, 2 a
//! usage or set-up error (no device, a refused bundle, a failed write: then
//! nothing was logged and no verdict is printed). `status` exits 1 when the
//! log's chain is broken. `sync` exits 0 when the device is approved and
//! everything went up and down, 1 when the device is not approved yet or is
//! suspended, or the server refused something (its code is shown), 2 when it
//! could not run (no network after the retries, no device).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand, ValueEnum};
use icaze_device::{
    BundleOutcome, Device, Enrollment, InitConfig, Location, ManualCheck, Notes, OfficerBadge, Scene, SyncClient,
    SyncConfig, SyncError, SyncReport,
};
use serde_json::json;

#[derive(Args)]
pub(crate) struct DeviceArgs {
    /// The device's data directory (device.key and device.db); before or after the subcommand.
    #[arg(long, alias = "dir", global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: DeviceCommand,
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Set up a device: make its key, pin the root, print the enrollment code.
    Init {
        /// The authority's root public key file (root.public of `icaze keys init`).
        #[arg(long)]
        root: PathBuf,
        /// The sync server's address.
        #[arg(long)]
        server: Option<String>,
        /// The officer's badge, the default for inspections.
        #[arg(long)]
        officer: Option<String>,
        /// Pin the sync server's certificate, or its CA's (PEM, e.g. the --tls-cert of
        /// `icaze serve`): the device then trusts it alone and syncs over https:// only.
        #[arg(long, requires = "server")]
        server_ca: Option<PathBuf>,
    },
    /// Apply a bundle file (a precinct's offline copy of `icaze bundle make`).
    ImportBundle {
        /// The bundle file.
        file: PathBuf,
        /// The device time, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Check a permit (token, QR digits or a whole SMS), log it, print the verdict as JSON.
    Check {
        #[command(flatten)]
        scene: SceneArgs,
        /// The text; `-` reads standard input.
        text: String,
    },
    /// Record a check without a token.
    Manual {
        #[command(flatten)]
        scene: SceneArgs,
        #[command(subcommand)]
        kind: ManualKind,
    },
    /// Print the inspection log as JSON lines.
    Log {
        /// From this sequence number on.
        #[arg(long, default_value_t = 1)]
        from: u64,
    },
    /// Print the device's standing as JSON: data version and age, last sync, outbox, chain.
    Status {
        /// The device time, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Upload the inspection log's outbox and fetch the bundle from the sync server.
    Sync {
        /// The sync server (default: the one given at init).
        #[arg(long)]
        server: Option<String>,
        /// The device time, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
    },
    /// Write the outbox to a signed export file, for `icaze admin import` at the precinct.
    Export {
        /// The file to write (replaced whole, never half written).
        #[arg(long)]
        out: PathBuf,
        /// From this sequence number on (for an outbox of more than 100000 records).
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// The device time, RFC 3339 (default: now).
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Args)]
struct SceneArgs {
    /// The zone the officer stands in.
    #[arg(long)]
    zone: u16,
    /// The device time, RFC 3339 (default: now).
    #[arg(long)]
    at: Option<String>,
    /// The officer's badge (default: the one given at init).
    #[arg(long)]
    officer: Option<String>,
    /// Where, as LAT,LON in decimal degrees.
    #[arg(long)]
    location: Option<String>,
    /// What the officer did.
    #[arg(long, value_enum)]
    action: Option<Action>,
    /// A free note.
    #[arg(long)]
    note: Option<String>,
}

/// What the officer did after a check, as the inspection log records it
/// (`docs/inspection-log.md`, field 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Action {
    /// The holder went on.
    #[value(name = "let_pass")]
    LetPass,
    /// The holder was sent back.
    #[value(name = "turned_back")]
    TurnedBack,
    /// A protocol of an administrative offence was drawn up.
    Protocol,
}

impl Action {
    /// The name written in the log.
    fn name(self) -> &'static str {
        match self {
            Action::LetPass => "let_pass",
            Action::TurnedBack => "turned_back",
            Action::Protocol => "protocol",
        }
    }
}

#[derive(Subcommand)]
enum ManualKind {
    /// A service card.
    ServiceCard {
        /// The organisation that issued the card.
        #[arg(long)]
        organisation: String,
        /// The card's number.
        #[arg(long)]
        card_number: String,
    },
    /// A court or law-enforcement summons.
    Summons {
        /// The court or body that issued it.
        #[arg(long)]
        issuer: String,
        /// The summons' number.
        #[arg(long, alias = "document")]
        number: String,
    },
    /// Imminent danger to life or health.
    Danger {
        /// What the danger was.
        #[arg(long = "what")]
        what: String,
    },
    /// No permit: a violation with its protocol.
    Violation {
        /// The protocol's number.
        #[arg(long)]
        protocol: String,
        /// The article of the Code of Administrative Offences, e.g. 211.2.
        #[arg(long)]
        article: String,
        /// The person's identity document, if known.
        #[arg(long)]
        document: Option<String>,
    },
}

impl SceneArgs {
    fn scene(&self, device: &Device) -> anyhow::Result<(Scene, Notes)> {
        let officer = match &self.officer {
            Some(badge) => OfficerBadge::new(badge)?,
            None => device.officer().cloned().context("give --officer BADGE (or set it with init --officer)")?,
        };
        let location = match &self.location {
            Some(text) => {
                Some(Location::parse(text).with_context(|| format!("--location {text:?}: expected LAT,LON"))?)
            }
            None => None,
        };
        let scene =
            Scene { at: crate::time_or_now(self.at.as_deref())?, zone: crate::zone_id(self.zone)?, officer, location };
        Ok((scene, Notes { action: self.action.map(|a| a.name().to_owned()), note: self.note.clone() }))
    }
}

pub(crate) fn run(args: DeviceArgs) -> anyhow::Result<ExitCode> {
    let dir = &args.data.context("give the device's data directory with --data DIR")?;
    match args.command {
        DeviceCommand::Init { root, server, officer, server_ca } => {
            let text = std::fs::read_to_string(&root).with_context(|| format!("reading {}", root.display()))?;
            let root = icaze_authority::read_public_key(&text).with_context(|| root.display().to_string())?;
            let officer = officer.as_deref().map(OfficerBadge::new).transpose()?;
            // Checked before the device is made, so that a wrong file leaves nothing behind.
            let pinned = match &server_ca {
                Some(path) => {
                    let pem = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                    icaze_device::pinned_certificates(&pem)
                        .map_err(|e| anyhow::anyhow!("{}: not a certificate to pin: {e}", path.display()))?;
                    if !server.as_deref().is_some_and(|s| s.starts_with("https://")) {
                        anyhow::bail!("--server-ca pins an https:// server: give --server https://...");
                    }
                    Some(pem)
                }
                None => None,
            };
            let device = Device::init(dir, &InitConfig { root, server, officer }, crate::now()?)?;
            if let Some(pem) = pinned {
                device.pin_server_ca(&pem)?;
            }
            let code = device.enrollment_code().to_string();
            println!("device {}\nenrollment code {code}", device.device_id());
            print!("{}", icaze_qr::encode(&code)?.to_terminal());
            Ok(ExitCode::SUCCESS)
        }
        DeviceCommand::ImportBundle { file, at } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let mut device = Device::open(dir)?;
            let applied = device.import_bundle(&bytes, crate::time_or_now(at.as_deref())?)?;
            eprintln!("bundle version {} applied, {} revoked serials", applied.version, applied.revocations);
            if applied.clock_suspicious {
                eprintln!("warning: the device clock is earlier than the bundle's time: set the clock and sync");
            }
            Ok(ExitCode::SUCCESS)
        }
        DeviceCommand::Check { scene, text } => {
            let mut device = Device::open(dir)?;
            let (scene, notes) = scene.scene(&device)?;
            let verdict = device.check(&crate::read_text(&text)?, &scene, &notes)?;
            println!("{}", serde_json::to_string_pretty(&verdict.answer())?);
            Ok(if verdict.display.may_pass() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        DeviceCommand::Manual { scene, kind } => {
            let mut device = Device::open(dir)?;
            let (scene, notes) = scene.scene(&device)?;
            let check = match kind {
                ManualKind::ServiceCard { organisation, card_number } => {
                    ManualCheck::ServiceCard { organisation, card_number }
                }
                ManualKind::Summons { issuer, number } => ManualCheck::Summons { issuer, document: number },
                ManualKind::Danger { what } => ManualCheck::ImminentDanger { note: what },
                ManualKind::Violation { protocol, article, document } => {
                    ManualCheck::Violation { protocol_number: protocol, article, document }
                }
            };
            let record = device.record_manual(&check, &scene, &notes)?;
            println!("{}", serde_json::to_string(&record.to_api())?);
            Ok(ExitCode::SUCCESS)
        }
        DeviceCommand::Log { from } => {
            let device = Device::open(dir)?;
            for record in device.log(from, usize::MAX)? {
                println!("{}", serde_json::to_string(&record.to_api())?);
            }
            Ok(ExitCode::SUCCESS)
        }
        DeviceCommand::Status { at } => {
            let status = Device::open(dir)?.status(crate::time_or_now(at.as_deref())?)?;
            println!("{}", serde_json::to_string_pretty(&status.answer())?);
            Ok(if status.chain.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        DeviceCommand::Sync { server, at } => {
            let mut device = Device::open(dir)?;
            let server = match server.as_deref().or(device.server()) {
                Some(server) => server.to_owned(),
                None => bail!("give --server URL: the device was set up without a sync server"),
            };
            let now = crate::time_or_now(at.as_deref())?;
            let client = SyncClient::for_device(&device, &server, SyncConfig::default())?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            match runtime.block_on(client.sync(&mut device, now)) {
                Ok(report) => {
                    println!("{}", serde_json::to_string(&report.answer())?);
                    eprintln!("{}", sync_summary(&report));
                    Ok(if report.enrollment == Enrollment::Active { ExitCode::SUCCESS } else { ExitCode::from(1) })
                }
                Err(e) => {
                    println!("{}", json!({ "code": e.code(), "message": e.to_string() }));
                    eprintln!("icaze: sync failed ({}): {e}", e.code());
                    Ok(if e.is_transient() || matches!(e, SyncError::Device(_)) {
                        ExitCode::from(2)
                    } else {
                        ExitCode::from(1)
                    })
                }
            }
        }
        DeviceCommand::Export { out, from, at } => {
            let device = Device::open(dir)?;
            let report = device.export_from(&out, from, crate::time_or_now(at.as_deref())?)?;
            println!(
                "{}",
                json!({
                    "file": report.path.display().to_string(),
                    "records": report.records,
                    "first_seq": report.first_seq,
                    "last_seq": report.last_seq,
                    "bytes": report.bytes,
                    "left_out": report.left_out,
                })
            );
            match (report.first_seq, report.last_seq) {
                (Some(first), Some(last)) => {
                    eprintln!("exported records {first} to {last} to {}", report.path.display())
                }
                _ => eprintln!("the outbox is empty: {} holds no records", report.path.display()),
            }
            if report.left_out > 0 {
                eprintln!(
                    "warning: {} more records did not fit in one file (at most 100000): export them with --from {}",
                    report.left_out,
                    report.last_seq.unwrap_or(0) + 1
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The human line of `device sync`.
fn sync_summary(report: &SyncReport) -> String {
    let standing = match report.enrollment {
        Enrollment::Active => format!(
            "approved for {} in {}",
            report.badge.as_deref().unwrap_or("?"),
            report.precinct.as_deref().unwrap_or("?")
        ),
        Enrollment::Suspended => "SUSPENDED: records stay on the device; ask your supervisor".to_owned(),
        Enrollment::Unknown => {
            "NOT APPROVED yet: show the enrollment code (`icaze device init` printed it) to your supervisor".to_owned()
        }
    };
    let bundle = match &report.bundle {
        BundleOutcome::Applied { applied, resumed_from, .. } => format!(
            "bundle version {} applied ({} revoked serials){}{}",
            applied.version,
            applied.revocations,
            if resumed_from.is_some() { ", download resumed" } else { "" },
            if applied.clock_suspicious { "; WARNING: the device clock is wrong, set it" } else { "" }
        ),
        BundleOutcome::UpToDate { version } => format!("bundle version {version} is current"),
    };
    let diverged = if report.diverged {
        "; WARNING: the server holds this device's log otherwise than this phone does (a copy, or restored from a backup): \
         its records were sent and are kept apart for the supervisor"
    } else {
        ""
    };
    format!(
        "device {}: {standing}; {} records sent ({} new, {} already there, {} conflicts), {} left in the outbox{diverged}; {bundle}",
        report.device_id, report.sent, report.accepted, report.duplicates, report.conflicts, report.outbox_left
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_spelled_on_the_command_line_as_in_the_log() {
        for action in Action::value_variants() {
            assert_eq!(action.to_possible_value().unwrap().get_name(), action.name());
        }
    }
}
