//! `icaze`: the command line of the Icaze permit system.
//!
//! Exit status: 0 success (for `verify`: the permit is valid), 1 the permit is
//! not valid (for `bundle show`: the bundle is refused), 2 a usage or set-up
//! error (bad arguments, unreadable files).

mod admin;
mod backup;
mod bundle;
mod demo;
mod desktop;
mod device;
mod loadgen;
mod portal;
mod replace;
mod report;
mod serve;
mod up;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{CommandFactory as _, Parser, Subcommand, ValueEnum};
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
    Serve(Box<serve::ServeArgs>),
    /// The whole system on one machine: the service with demo data, permits by SMS (one revoked), an approved officer device.
    Up(up::UpArgs),
    /// Import the population registry and the deny list into a data directory or the database.
    #[command(subcommand)]
    Registry(serve::RegistryCommand),
    /// Copy a data directory's databases while the service runs (SQLite; for PostgreSQL use pg_dump).
    Backup(backup::BackupArgs),
    /// Restore a backup into a new data directory, skipping serials the lost service may have issued.
    Restore(backup::RestoreArgs),
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
    /// Print a shell completion script, e.g. `icaze completions bash > /etc/bash_completion.d/icaze`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a new authority: root key, SMS, portal and call-centre issuer keys,
    /// the sync bundle key, and the signed trust list at KEYS/trustlist.
    Init {
        /// The authority directory to create (must hold no keys yet).
        #[arg(long, alias = "dir")]
        keys: PathBuf,
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
    /// key in KEYS. Then `icaze admin keys reload` on the running service.
    Rotate {
        /// The authority directory made by `icaze keys init`.
        #[arg(long, alias = "dir")]
        keys: PathBuf,
        /// The role whose key to replace.
        #[arg(long, value_enum)]
        role: Role,
    },
}

/// The roles of an authority's keys, as `icaze_authority` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Role {
    /// The SMS issuer key (medical, necessities).
    Sms,
    /// The employer portal's issuer key (work, business trips).
    Portal,
    /// The 102 call centre's issuer key (funerals).
    Callcentre,
    /// The key that signs sync bundles.
    Sync,
}

impl Role {
    /// The role's name in the authority directory (`ROLE.secret`).
    fn name(self) -> &'static str {
        match self {
            Role::Sms => "sms",
            Role::Portal => "portal",
            Role::Callcentre => "callcentre",
            Role::Sync => "sync",
        }
    }
}

/// The purposes a permit can be issued for; each also answers to its wire code,
/// and `business_trip` to the spelling `Purpose::name` writes. Codes 6..15 have no
/// name and no issuer key that may sign them, so they are not offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum PurposeArg {
    /// Code 1: urgent medical need or scheduled treatment.
    #[value(alias = "1")]
    Medical,
    /// Code 2: food, medicine, public, bank and postal services, time outdoors.
    #[value(alias = "2")]
    Necessities,
    /// Code 3: the funeral of a close relative.
    #[value(alias = "3")]
    Funeral,
    /// Code 4: an employee of a permitted organisation.
    #[value(alias = "4")]
    Work,
    /// Code 5: an employee's business trip to other zones.
    #[value(alias = "5", alias = "business_trip")]
    BusinessTrip,
}

impl From<PurposeArg> for Purpose {
    fn from(purpose: PurposeArg) -> Purpose {
        match purpose {
            PurposeArg::Medical => Purpose::Medical,
            PurposeArg::Necessities => Purpose::Necessities,
            PurposeArg::Funeral => Purpose::Funeral,
            PurposeArg::Work => Purpose::Work,
            PurposeArg::BusinessTrip => Purpose::BusinessTrip,
        }
    }
}

#[derive(clap::Args)]
struct IssueArgs {
    /// The authority directory made by `icaze keys init`.
    #[arg(long)]
    keys: PathBuf,
    /// The holder's document, e.g. AZE11111111 or MYİ1234567.
    #[arg(long, alias = "doc")]
    document: String,
    /// Why the holder may move (or the purpose's code, 1 to 5).
    #[arg(long, value_enum, ignore_case = true)]
    purpose: PurposeArg,
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
    /// The signed trust list (KEYS/trustlist of `icaze keys init`).
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
    /// The data directory: the demo authority, images and device (reused if it exists).
    #[arg(long, alias = "dir", default_value = "demo-data")]
    data: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr);
    match &cli.command {
        // The current span (the request's, with its `request_id`) goes into each line.
        Command::Serve(args) if args.log_format == serve::LogFormat::Json => {
            logs.json().with_current_span(true).with_span_list(false).init()
        }
        _ => logs.init(),
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("icaze: {}", error_text(&e));
            ExitCode::from(2)
        }
    }
}

/// An error and its causes as `{:#}` writes them, less each cause whose words
/// are already written: an error that shows its source in its own message
/// and also gives it as its source (a store's database error) would say the
/// same sentence two or three times.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let words = cause.to_string();
        if text.contains(&words) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&words);
    }
    text
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Keys(KeysCommand::Init { keys, valid_days, valid_from }) => {
            let from = time_or_now(valid_from.as_deref())?;
            Authority::init(&keys, from, &InitOptions { issuer_valid_days: valid_days })?;
            eprintln!(
                "created an authority in {}: move root.secret offline; pin root.public in devices; trust list: {}",
                keys.display(),
                keys.join("trustlist").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys(KeysCommand::Rotate { keys, role }) => {
            let role = role.name();
            let rotation = icaze_authority::Authority::rotate(&keys, role, now()?, &InitOptions::default())?;
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
        Command::Demo(args) => demo::run(&args.data, now()?),
        Command::Serve(args) => serve::serve(*args, now()?),
        Command::Up(args) => up::run(args, now()?),
        Command::Registry(command) => serve::registry(command),
        Command::Loadgen(args) => loadgen::run(args),
        Command::Device(args) => device::run(args),
        Command::Admin(args) => admin::run(args),
        Command::Portal(command) => portal::run(command),
        Command::Bundle(command) => bundle::run(command),
        Command::Backup(args) => backup::run_backup(args),
        Command::Restore(args) => backup::run_restore(args),
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
                if let Some(week) = code.per_week {
                    println!("    at most {week} per document in 7 days");
                }
                if let Some(phone) = code.per_phone_per_day {
                    println!("    at most {phone} per phone a day");
                }
            }
            println!("  {} zones, scope {:?}, age limit {:?}", regime.zones.len(), regime.scope, regime.age_limit);
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "icaze", &mut std::io::stdout());
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
    let purpose = Purpose::from(args.purpose);
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
        document: DocumentNumber::parse(&args.document)?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// A cause is written once, however many layers show it; distinct causes
    /// are all written, outermost first.
    #[test]
    fn an_error_s_causes_are_written_once_each() {
        /// Shows its source in its message and gives it as its source, as
        /// `StoreError::Database` does.
        #[derive(Debug)]
        struct Shows(std::io::Error);
        impl std::fmt::Display for Shows {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "database: {}", self.0)
            }
        }
        impl std::error::Error for Shows {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        /// Says what its source says, and gives it too.
        #[derive(Debug)]
        struct Wraps(Shows);
        impl std::fmt::Display for Wraps {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
        impl std::error::Error for Wraps {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let inner = std::io::Error::other("migration 6 failed: SQLSTATE 42P07");
        let e = anyhow::Error::new(Wraps(Shows(inner)));
        assert_eq!(error_text(&e), "database: migration 6 failed: SQLSTATE 42P07");
        let e = anyhow::Error::new(std::io::Error::other("refused")).context("the store did not open");
        assert_eq!(error_text(&e), "the store did not open: refused");
    }

    /// Every argument and subcommand of `cmd` and below without help, by path.
    fn undocumented(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            let sub_path = format!("{path} {}", sub.get_name());
            if sub.get_about().is_none() && sub.get_long_about().is_none() {
                missing.push(format!("{sub_path} (subcommand)"));
            }
            undocumented(sub, &sub_path, missing);
        }
    }

    #[test]
    fn every_flag_and_subcommand_has_help() {
        let cli = Cli::command();
        cli.clone().debug_assert();
        let mut missing = Vec::new();
        undocumented(&cli, "icaze", &mut missing);
        assert!(missing.is_empty(), "give these a doc comment: {missing:#?}");
    }

    #[test]
    fn the_help_walk_sees_every_subcommand() {
        // A walk that stopped at the top would pass the test above on any tree.
        let mut missing = Vec::new();
        let bare = clap::Command::new("x")
            .subcommand(clap::Command::new("a").subcommand(clap::Command::new("b").arg(clap::Arg::new("c").long("c"))));
        undocumented(&bare, "x", &mut missing);
        assert_eq!(missing, ["x a (subcommand)", "x a b (subcommand)", "x a b c"]);
    }

    #[test]
    fn roles_are_the_authority_s_roles() {
        let mut ours: Vec<&str> = Role::value_variants().iter().map(|r| r.name()).collect();
        let mut theirs: Vec<&str> = icaze_authority::ISSUER_ROLES.iter().map(|(role, _, _)| *role).collect();
        theirs.push(icaze_authority::BUNDLE_ROLE.0);
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(ours, theirs);
        for role in Role::value_variants() {
            assert_eq!(role.to_possible_value().unwrap().get_name(), role.name(), "the CLI spelling is the file name");
        }
    }

    /// `icaze issue` with this `--purpose`, parsed.
    fn issue_purpose(purpose: &str) -> Option<PurposeArg> {
        let args = ["icaze", "issue", "--keys", "k", "--document", "D", "--zone", "1", "--purpose", purpose];
        match Cli::try_parse_from(args) {
            Ok(Cli { command: Command::Issue(args) }) => Some(args.purpose),
            _ => None,
        }
    }

    #[test]
    fn every_purpose_spelling_means_what_the_core_reads_it_as() {
        for purpose in PurposeArg::value_variants() {
            let value = purpose.to_possible_value().unwrap();
            for spelling in value.get_name_and_aliases() {
                assert_eq!(Purpose::from_name(spelling), Some(Purpose::from(*purpose)), "{spelling}");
                assert_eq!(issue_purpose(spelling), Some(*purpose), "{spelling}");
                assert_eq!(issue_purpose(&spelling.to_uppercase()), Some(*purpose), "{spelling} in capitals");
            }
        }
        for unknown in ["walking", "0", "6", "16", ""] {
            assert_eq!(issue_purpose(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn old_flag_spellings_still_parse() {
        for args in [
            &["icaze", "keys", "init", "--dir", "a"][..],
            &["icaze", "keys", "rotate", "--dir", "a", "--role", "callcentre"],
            &["icaze", "issue", "--keys", "a", "--doc", "AZE11111111", "--purpose", "necessities", "--zone", "1"],
            &["icaze", "demo", "--dir", "d"],
            &["icaze", "device", "--dir", "d", "log"],
            &["icaze", "device", "log", "--dir", "d"],
            &["icaze", "device", "--dir", "d", "manual", "--zone", "1", "summons", "--issuer", "c", "--document", "n"],
            &["icaze", "loadgen", "--url", "http://127.0.0.1:8103"],
            &["icaze", "admin", "device", "approve", "ICZD1-X", "--badge", "B-1", "--precinct", "P-1"],
        ] {
            if let Err(e) = Cli::try_parse_from(args) {
                panic!("{args:?}: {e}");
            }
        }
    }
}
