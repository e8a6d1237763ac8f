//! `icaze serve` and `icaze registry`: thin wrappers over `icaze-server`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use icaze_core::UtcMinute;
use icaze_server::database::PermitBackend;
use icaze_server::regime::Regime;
use icaze_server::sqlite::SqliteConfig;
use icaze_server::store::{ImportReport, PermitStore as _, RowProblem};
use icaze_server::{Database, GatewayAuth, ServeConfig, Server};

#[derive(clap::Args)]
pub(crate) struct ServeArgs {
    /// The data directory (database, development authority, admin token); created if missing.
    #[arg(long)]
    data: PathBuf,
    /// Where the state is kept: `sqlite`, the default (files in DATA, one instance), or
    /// postgres://USER@HOST:PORT/DATABASE, shared by every instance behind one address
    /// (needs --keys). Give a password through the environment, not on the command line.
    #[arg(long, env = "ICAZE_DATABASE", hide_env_values = true, value_parser = database)]
    database: Option<Database>,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8103")]
    listen: SocketAddr,
    /// An authority made by `icaze keys init` (default: a development authority in DATA).
    #[arg(long)]
    keys: Option<PathBuf>,
    /// A regime file to run (kept in memory, for rehearsals and demos).
    #[arg(long)]
    regime: Option<PathBuf>,
    /// Move the --regime to begin on this date (YYYY-MM-DD in Baku, `today`, or RFC 3339), keeping its length.
    #[arg(long, requires = "regime")]
    regime_start: Option<String>,
    /// A shared secret the SMS gateway must send as the `key` parameter.
    #[arg(long, env = "ICAZE_GATEWAY_SECRET")]
    gateway_secret: Option<String>,
    /// Gateway addresses allowed without the secret (repeatable). With neither: callers on
    /// loopback only, and never one that came through a --trusted-proxy.
    #[arg(long = "gateway-allow")]
    gateway_allow: Vec<std::net::IpAddr>,
    /// Where people reach the service, e.g. https://permits.example.az behind a TLS proxy:
    /// https makes the portal's cookies Secure, wherever this process listens.
    #[arg(long, value_parser = icaze_server::public_url)]
    public_url: Option<String>,
    /// The citizen page's public address, e.g. https://icaze.az/p: permit replies then write
    /// the token as a link to it, icaze.az/p#IZ2..., wherever the reply still fits one SMS
    /// (docs/sms.md). Phones open such a link over http://: redirect it to https.
    #[arg(long, value_parser = page_link)]
    citizen_page: Option<icaze_server::sms::PageLink>,
    /// The SMS gateway's send interface with its user and password, e.g. Kannel's
    /// http://127.0.0.1:13013/cgi-bin/sendsms?username=icaze&password=...: the 102 console
    /// then sends funeral permits to callers' phones (docs/deploy/kannel.conf).
    #[arg(long, env = "ICAZE_SMS_SEND_URL", hide_env_values = true)]
    sms_send_url: Option<String>,
    /// A proxy in front of the service (repeatable): its X-Forwarded-For names the client
    /// for throttles, the gateway allow list and logs. From anyone else it is ignored.
    #[arg(long = "trusted-proxy", requires = "public_url")]
    trusted_proxy: Vec<std::net::IpAddr>,
    /// Serve HTTPS without a proxy: the certificate chain (PEM), the server's own first.
    /// Devices pin it, or its CA, with `icaze device init --server-ca`.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Connections served at once; more wait in the kernel's backlog (default: 4096, or
    /// fewer to stay 128 below the process's open-file limit).
    #[arg(long)]
    max_connections: Option<usize>,
    /// How log lines are written to stderr: `text` for people, `json` (one object a line,
    /// with the request's `request_id` in `span`) for a log collector.
    #[arg(long, value_enum, env = "ICAZE_LOG_FORMAT", default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
}

/// The format of the log lines (`icaze serve --log-format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object a line.
    Json,
}

/// Which service's registries `icaze registry` writes to.
#[derive(clap::Args)]
pub(crate) struct StoreArgs {
    /// The service's data directory (with the default SQLite database).
    #[arg(long, required_unless_present = "database")]
    data: Option<PathBuf>,
    /// The service's database, as `icaze serve --database` (postgres://…).
    #[arg(long, env = "ICAZE_DATABASE", hide_env_values = true, value_parser = database)]
    database: Option<Database>,
}

#[derive(clap::Subcommand)]
pub(crate) enum RegistryCommand {
    /// Import the population registry: CSV `document,birth_date,zone`.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        /// The CSV file.
        file: PathBuf,
    },
    /// Import the deny list (health system, border service): CSV `document,reason,until`.
    Deny {
        #[command(flatten)]
        store: StoreArgs,
        /// The CSV file.
        file: PathBuf,
    },
    /// Import the phone register (the operators' SIM registrations): CSV `document,phone`.
    /// The file is the whole register and replaces the one before; a document it names
    /// gets SMS permits only on its registered phones.
    Phones {
        #[command(flatten)]
        store: StoreArgs,
        /// The CSV file.
        file: PathBuf,
    },
    /// Replace the whole population registry with a file (CSV `document,birth_date,zone`):
    /// people not in it leave the registry. The file is loaded beside the registry in use and
    /// swapped in at once, so a running service keeps answering from the old one until then.
    /// Refused (exit code 2, nothing changed) past 1 % of bad rows or 5 % of the registry
    /// removed, unless --force; exit code 1 if it replaced with bad rows skipped. The people
    /// removed are cancelled: the running service revokes their live permits.
    People {
        #[command(flatten)]
        store: StoreArgs,
        /// The CSV file: the whole registry.
        #[arg(long)]
        replace: PathBuf,
        /// Replace even past the shares of bad rows and of people removed.
        #[arg(long)]
        force: bool,
        /// Write the documents no longer registered to this file, one a line.
        #[arg(long)]
        removed: Option<PathBuf>,
    },
    /// Import the organisations authorised to work, whose employees move on their service
    /// card: CSV `tax_id,name,sector,zones,until` (`zones` `;`-separated, empty for every
    /// zone). The file is the whole list and replaces the one before: an organisation it
    /// leaves out is no longer authorised. A file with any bad row replaces nothing.
    Organisations {
        #[command(flatten)]
        store: StoreArgs,
        /// The CSV file.
        file: PathBuf,
    },
    /// Import a synthetic demo registry and deny list (no real people).
    Demo {
        #[command(flatten)]
        store: StoreArgs,
        /// Synthetic people besides the named demo people.
        #[arg(long, default_value_t = 1000)]
        count: u32,
    },
}

/// --database: `sqlite` or a PostgreSQL URL.
fn database(text: &str) -> Result<Database, String> {
    Database::parse(text)
}

/// The address of --citizen-page, as the SMS writes it.
fn page_link(text: &str) -> Result<icaze_server::sms::PageLink, String> {
    icaze_server::sms::PageLink::parse(text).map_err(|e| e.to_string())
}

/// A date or time for --regime-start: `today`, `YYYY-MM-DD` (midnight in Baku), or RFC 3339.
fn start_time(text: &str, now: UtcMinute) -> anyhow::Result<UtcMinute> {
    let offset = icaze_core::BAKU_OFFSET_MINUTES as u32;
    if text == "today" {
        let local = now.unix_minutes() + offset;
        return Ok(UtcMinute::from_unix_minutes(local - local % 1440 - offset));
    }
    if text.len() == 10 {
        return Ok(UtcMinute::parse_rfc3339(&format!("{text}T00:00:00+04:00"))?);
    }
    Ok(UtcMinute::parse_rfc3339(text)?)
}

pub(crate) fn serve(args: ServeArgs, now: UtcMinute) -> anyhow::Result<ExitCode> {
    let rehearsal = match &args.regime {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let regime = Regime::from_toml(&text).with_context(|| path.display().to_string())?;
            Some(match &args.regime_start {
                Some(start) => regime.moved_to(start_time(start, now)?),
                None => regime,
            })
        }
        None => None,
    };
    let mut config = ServeConfig::new(args.data);
    config.database = args.database.unwrap_or_default();
    config.listen = args.listen;
    config.keys = args.keys;
    config.rehearsal = rehearsal;
    config.gateway = GatewayAuth { secret: args.gateway_secret, allow: args.gateway_allow };
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        config.tls = Some(icaze_server::TlsFiles { cert, key });
    }
    if args.public_url.is_none() && config.tls.is_none() && args.listen.ip().is_loopback() {
        eprintln!(
            "note: listening on loopback without --public-url: the portal's cookies are not Secure. \
             Behind a TLS proxy, start with --public-url https://... and --trusted-proxy"
        );
    }
    config.public_url = args.public_url;
    config.sms.page_link = args.citizen_page;
    config.trusted_proxies = args.trusted_proxy;
    config.sms_send_url = args.sms_send_url;
    if let Some(max) = args.max_connections {
        config.limits.max_connections = max;
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let server = Server::start(config).await?;
        eprintln!(
            "icaze serving on {}://{} for {} (SMS gateway URL: {}/sms/8103?from=...&text=...)",
            if server.tls() { "https" } else { "http" },
            server.addr(),
            server.public_url(),
            server.public_url()
        );
        server.wait().await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

fn open_store(args: &StoreArgs) -> anyhow::Result<PermitBackend> {
    let database = args.database.clone().unwrap_or_default();
    // The registries go to one place: a data directory given with a PostgreSQL
    // database (perhaps from the environment) is a mistake to name, not to guess at.
    let data = match (&args.data, &database) {
        (Some(data), Database::Sqlite) => data.as_path(),
        (None, Database::Postgres { .. }) => Path::new("."),
        (Some(_), Database::Postgres { .. }) => anyhow::bail!(
            "both --data and a PostgreSQL database (--database or ICAZE_DATABASE) are given: \
             the registries go to one of them; leave out the other"
        ),
        (None, Database::Sqlite) => anyhow::bail!("--data is needed with the SQLite database"),
    };
    Ok(database.open_permits(data, &SqliteConfig::default())?)
}

fn print_report(what: &str, report: &ImportReport) -> ExitCode {
    for p in &report.problems {
        eprintln!("line {}: {}", p.line, p.message);
    }
    println!("{what}: {} rows imported, {} refused", report.imported, report.problems.len());
    if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

pub(crate) fn registry(command: RegistryCommand) -> anyhow::Result<ExitCode> {
    match command {
        RegistryCommand::Import { store, file } => {
            let csv = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            Ok(print_report("population registry", &open_store(&store)?.import_people(&csv)?))
        }
        RegistryCommand::Deny { store, file } => {
            let csv = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            Ok(print_report("deny list", &open_store(&store)?.import_denials(&csv)?))
        }
        RegistryCommand::Phones { store, file } => {
            let csv = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let report = open_store(&store)?.import_phones(&csv)?;
            if !report.problems.is_empty() {
                eprintln!("the phone register was not replaced: fix the rows below and import the whole file again");
            }
            Ok(print_report("phone register", &report))
        }
        RegistryCommand::People { store, replace, force, removed } => {
            crate::replace::people(&open_store(&store)?, &replace, force, removed.as_deref())
        }
        RegistryCommand::Organisations { store, file } => {
            let csv = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            match icaze_server::csv::organisation_list(&csv) {
                Ok(list) => {
                    open_store(&store)?.replace_organisations(&list)?;
                    Ok(print_report(
                        "authorised organisations",
                        &ImportReport { imported: list.len(), problems: vec![] },
                    ))
                }
                Err(problems) => {
                    eprintln!("the authorised organisations were not replaced: fix the rows below and import the whole file again");
                    let problems = problems.into_iter().map(|(line, message)| RowProblem { line, message }).collect();
                    Ok(print_report("authorised organisations", &ImportReport { imported: 0, problems }))
                }
            }
        }
        RegistryCommand::Demo { store, count } => {
            let store = open_store(&store)?;
            print_report(
                "demo population registry",
                &store.import_people(&icaze_server::registry::demo_people_csv(count))?,
            );
            print_report("demo deny list", &store.import_denials(&icaze_server::registry::demo_denials_csv())?);
            for (document, _, zone, about) in icaze_server::registry::DEMO_PEOPLE {
                println!("  {document} (zone {zone}): {about}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
