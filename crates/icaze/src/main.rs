//! `icaze`: the command line of the Icaze permit system.
//!
//! Exit status: 0 success (for `verify`: the permit is valid), 1 the permit is
//! not valid (for `bundle show`: the bundle is refused), 2 a usage or set-up
//! error (bad arguments, unreadable files).

mod admin;
mod bundle;
mod demo;
mod desktop;
mod device;
mod loadgen;
mod portal;
mod report;
mod serve;
mod up;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Parser, Subcommand};
use icaze_authority::{Authority, InitOptions};
use icaze_core::{
    Check, ClaimsSpec, DocumentNumber, PermitClaims, Purpose, Status, TrustList, UnverifiedPermit, UtcMinute,
    VehiclePlate, ZoneId,
};

#[derive(Parser)]
#[command(
    name = "icaze",
    version,
    about = "Movement permits under a quarantine regime: keys, issuing, offline verification, QR codes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the authority's keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Issue a permit and print its token (SMS form) on stdout.
    Issue(IssueArgs),
    /// Verify a token, or a whole SMS that contains one, and print a JSON verdict.
    Verify(VerifyArgs),
    /// Show a token as a QR code, or decode a QR image.
    Qr(QrArgs),
    /// Walk through the system once: keys, an SMS permit, its QR code, verification.
    Demo(DemoArgs),
    /// Run the service: the 8103 SMS endpoint, health, metrics, administration.
    Serve(serve::ServeArgs),
    /// The whole system on one machine: the service with demo data, permits by SMS (one revoked), an approved officer device.
    Up(up::UpArgs),
    /// Import the population registry and the deny list into a data directory.
    #[command(subcommand)]
    Registry(serve::RegistryCommand),
    /// Benchmark the SMS endpoint: distinct documents on many connections, permits/s and latency.
    Loadgen(loadgen::LoadgenArgs),
    /// Make or show signed sync bundles for officers' devices.
    #[command(subcommand)]
    Bundle(bundle::BundleCommand),
    /// The officer device core without the app: init, bundles, checks, the inspection log.
    Device(device::DeviceArgs),
    /// Administer the service: devices, revocations, inspections, supervisors, portal organisations and operators.
    Admin(admin::AdminArgs),
    /// The employer portal from a terminal: bulk import of employees.
    #[command(subcommand)]
    Portal(portal::PortalCommand),
    /// Check a regime file and print what it says.
    Regime {
        /// The regime file (TOML, see docs/regimes.md).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a new authority: root key, SMS, portal and call-centre issuer keys,
    /// the sync bundle key, and the signed trust list at DIR/trustlist.
    Init {
        /// The directory to create it in (must hold no keys yet).
        #[arg(long)]
        dir: PathBuf,
        /// How many days the issuer keys may sign.
        #[arg(long, default_value_t = 400)]
        valid_days: u32,
        /// When the issuer keys start to be valid, RFC 3339 (default: now);
        /// for rehearsing a past regime.
        #[arg(long)]
        valid_from: Option<String>,
    },
    /// Replace a stolen or suspect key: the old key is flagged revoked in a new
    /// trust list (every token it signed stops verifying on devices after their
    /// next sync), a new key of the same role takes its purposes. Needs the root
    /// key in DIR. Then `icaze admin keys reload` on the running service.
    Rotate {
        /// The authority directory.
        #[arg(long)]
        dir: PathBuf,
        /// The role whose key to replace: sms, portal, callcentre or sync.
        #[arg(long)]
        role: String,
    },
}

#[derive(clap::Args)]
struct IssueArgs {
    /// The authority directory made by `icaze keys init`.
    #[arg(long)]
    keys: PathBuf,
    /// The holder's document, e.g. AZE11111111 or MYİ1234567.
    #[arg(long)]
    doc: String,
    /// medical, necessities, funeral, work, business-trip (or the code 1..15).
    #[arg(long)]
    purpose: String,
    /// A zone id where the permit is valid; repeat for several.
    #[arg(long = "zone", required = true)]
    zones: Vec<u16>,
    /// Start of validity, RFC 3339 (default: now).
    #[arg(long)]
    from: Option<String>,
    /// Length of validity in minutes.
    #[arg(long, default_value_t = 180)]
    minutes: u32,
    /// A vehicle plate the holder may drive, e.g. 10-AB-123.
    #[arg(long)]
    vehicle: Option<String>,
    /// The issue time written in the permit, RFC 3339 (default: now); for
    /// rehearsals and tests.
    #[arg(long)]
    issued_at: Option<String>,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The signed trust list (DIR/trustlist of `icaze keys init`).
    #[arg(long)]
    trust: PathBuf,
    /// The pinned root public key (default: root.public beside the trust list).
    #[arg(long)]
    root: Option<PathBuf>,
    /// The time of the check, RFC 3339, e.g. 2020-12-15T10:00:00+04:00 (default: now).
    #[arg(long)]
    at: Option<String>,
    /// The zone where the check happens (default: no zone test).
    #[arg(long)]
    zone: Option<u16>,
    /// The token, or a whole SMS containing one; `-` reads standard input.
    text: String,
}

#[derive(clap::Args)]
struct QrArgs {
    /// Write a PNG image instead of drawing in the terminal.
    #[arg(long, conflicts_with_all = ["svg", "decode"])]
    png: Option<PathBuf>,
    /// Write an SVG image instead of drawing in the terminal.
    #[arg(long, conflicts_with = "decode")]
    svg: Option<PathBuf>,
    /// Encode TEXT as it is, not as a permit token.
    #[arg(long, conflicts_with = "decode")]
    raw: bool,
    /// Decode the QR codes in an image (PNG or JPEG) and print their text.
    #[arg(long, value_name = "IMAGE", conflicts_with = "text")]
    decode: Option<PathBuf>,
    /// The token (or an SMS containing one); `-` reads standard input.
    #[arg(required_unless_present = "decode")]
    text: Option<String>,
}

#[derive(clap::Args)]
struct DemoArgs {
    /// Where to keep the demo authority and images (reused if it exists).
    #[arg(long, default_value = "demo-data")]
    dir: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("icaze: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Keys(KeysCommand::Init { dir, valid_days, valid_from }) => {
            let from = time_or_now(valid_from.as_deref())?;
            Authority::init(&dir, from, &InitOptions { issuer_valid_days: valid_days })?;
            eprintln!(
                "created an authority in {}: move root.secret offline; pin root.public in devices; trust list: {}",
                dir.display(),
                dir.join("trustlist").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys(KeysCommand::Rotate { dir, role }) => {
            let rotation = icaze_authority::Authority::rotate(&dir, &role, now()?, &InitOptions::default())?;
            println!(
                "{}",
                serde_json::json!({"revoked_key": rotation.revoked.0, "new_key": rotation.new_key.0,
                    "trust_list_version": rotation.version})
            );
            eprintln!(
                "key {} ({role}) is revoked in trust list version {}; key {} signs from now on. Load it into the \
                 running service with `icaze admin keys reload`; devices refuse the old key's tokens after their next sync",
                rotation.revoked.0, rotation.version, rotation.new_key.0
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Issue(args) => {
            println!("{}", issue(&args, time_or_now(args.issued_at.as_deref())?)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify(args) => {
            let at = time_or_now(args.at.as_deref())?;
            let trust = load_trust(&args.trust, args.root.as_deref())?;
            let zone = args.zone.map(zone_id).transpose()?;
            let check = Check { at, zone };
            let verdict = icaze_core::evaluate(&read_text(&args.text)?, &trust, &check);
            println!("{}", serde_json::to_string_pretty(&report::verdict_json(&verdict, &check))?);
            Ok(if verdict.status == Status::Valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
        }
        Command::Qr(args) => qr(args),
        Command::Demo(args) => demo::run(&args.dir, now()?),
        Command::Serve(args) => serve::serve(args, now()?),
        Command::Up(args) => up::run(args, now()?),
        Command::Registry(command) => serve::registry(command),
        Command::Loadgen(args) => loadgen::run(args),
        Command::Device(args) => device::run(args),
        Command::Admin(args) => admin::run(args),
        Command::Portal(command) => portal::run(command),
        Command::Bundle(command) => bundle::run(command),
        Command::Regime { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let regime = icaze_server::regime::Regime::from_toml(&text).with_context(|| file.display().to_string())?;
            println!("{}: {}", regime.id, regime.name);
            println!("  in force {} .. {} (Baku time)", regime.start.baku(), regime.end.baku());
            for code in regime.codes.values() {
                println!(
                    "  SMS code {}: {}, {} minutes, {} a day, starts {} minutes after the request",
                    code.code,
                    code.purpose.name(),
                    code.minutes,
                    code.per_day,
                    code.activation_delay_minutes
                );
            }
            println!("  {} zones, scope {:?}, age limit {:?}", regime.zones.len(), regime.scope, regime.age_limit);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn now() -> anyhow::Result<UtcMinute> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs();
    UtcMinute::from_unix_seconds(secs as i64).context("the system clock is out of range")
}

fn time_or_now(time: Option<&str>) -> anyhow::Result<UtcMinute> {
    match time {
        Some(time) => Ok(UtcMinute::parse_rfc3339(time)?),
        None => now(),
    }
}

fn zone_id(id: u16) -> anyhow::Result<ZoneId> {
    ZoneId::new(id).with_context(|| format!("zone {id} is out of range: zones are numbered 1 to {}", ZoneId::MAX))
}

/// The text argument, or standard input for `-`.
fn read_text(arg: &str) -> anyhow::Result<String> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    let mut text = String::new();
    std::io::stdin().take(1 << 20).read_to_string(&mut text).context("reading standard input")?;
    Ok(text)
}

/// Loads a trust list and checks it against the pinned root.
fn load_trust(path: &Path, root: Option<&Path>) -> anyhow::Result<TrustList> {
    let root_path = match root {
        Some(root) => root.to_owned(),
        None => path.parent().unwrap_or(Path::new(".")).join("root.public"),
    };
    let root_text = std::fs::read_to_string(&root_path)
        .with_context(|| format!("reading the root public key {} (give it with --root)", root_path.display()))?;
    let root = icaze_authority::read_public_key(&root_text).with_context(|| root_path.display().to_string())?;
    let bytes = std::fs::read(path).with_context(|| format!("reading the trust list {}", path.display()))?;
    TrustList::verify_bytes(&bytes, &root).with_context(|| path.display().to_string())
}

/// Issues a permit from the authority in `args.keys`; returns the SMS form.
fn issue(args: &IssueArgs, now: UtcMinute) -> anyhow::Result<String> {
    let authority = Authority::load(&args.keys)?;
    let purpose = Purpose::from_name(&args.purpose).with_context(|| {
        format!(
            "unknown purpose {:?}: use medical, necessities, funeral, work, business-trip or a code 1..15",
            args.purpose
        )
    })?;
    let valid_from = match &args.from {
        Some(from) => UtcMinute::parse_rfc3339(from)?,
        None => now,
    };
    let valid_until = valid_from.checked_add(args.minutes).context("--minutes is too large")?;
    let vehicle = match &args.vehicle {
        Some(plate) => Some(VehiclePlate::parse(plate).with_context(|| {
            format!("cannot read the plate {plate:?}: 1 to 15 Latin letters and digits, e.g. 10-AB-123")
        })?),
        None => None,
    };
    let Some((key_id, key)) = authority.signing_key(purpose, now) else {
        bail!("no issuer key in {} may sign {} permits now", args.keys.display(), purpose.name());
    };
    let claims = PermitClaims::new(ClaimsSpec {
        serial: authority.next_serial()?,
        document: DocumentNumber::parse(&args.doc)?,
        purpose,
        zones: args.zones.iter().map(|&z| zone_id(z)).collect::<anyhow::Result<_>>()?,
        issued_at: now,
        valid_from,
        valid_until,
        vehicle,
    })?;
    Ok(icaze_core::issue(key, key_id, &claims).to_text())
}

fn qr(args: QrArgs) -> anyhow::Result<ExitCode> {
    if let Some(image) = args.decode {
        let bytes = std::fs::read(&image).with_context(|| format!("reading {}", image.display()))?;
        for text in icaze_qr::decode_image(&bytes).with_context(|| image.display().to_string())? {
            println!("{text}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    // Invariant: clap requires TEXT when --decode is absent.
    let text = read_text(args.text.as_deref().unwrap_or("-"))?;
    let content = if args.raw {
        text
    } else {
        // A token goes in its QR form, digits only: numeric mode, the smallest symbol.
        UnverifiedPermit::find_in_text(&text)
            .context("TEXT is not a permit token (use --raw to encode any text)")?
            .token()
            .to_qr_digits()
    };
    let symbol = icaze_qr::encode(&content)?;
    if let Some(path) = args.png {
        std::fs::write(&path, symbol.to_png(8)?).with_context(|| format!("writing {}", path.display()))?;
    } else if let Some(path) = args.svg {
        std::fs::write(&path, symbol.to_svg()).with_context(|| format!("writing {}", path.display()))?;
    } else {
        print!("{}", symbol.to_terminal());
    }
    let info = symbol.info();
    eprintln!(
        "QR version {} ({}x{} modules), error correction {}",
        info.version, info.modules, info.modules, info.ec_level
    );
    Ok(ExitCode::SUCCESS)
}
