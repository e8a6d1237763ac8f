//! `icaze admin`: the sync service's administration from a terminal, for an
//! administrator or a precinct supervisor, against a running `icaze serve`
//! (`docs/sync-api.md` sections 2, 4, 6, 7 and 8), and the portal's
//! administrator actions (`docs/portal-api.md`: organisations, call-centre
//! operators, deactivation at a regime change). Each subcommand is one
//! request; the server decides what the credential may do.
//!
//! Output: the server's JSON answer as one line on standard output (CSV as
//! it comes for `inspections --format csv`), a short summary on standard
//! error. Exit status: 0 done, 1 the server refused (its `code` and `message`
//! are shown), 2 the command could not run (no credential, no connection,
//! bad arguments).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use clap::{Args, Subcommand, ValueEnum};
use icaze_client::api::{ApiClient, Body, Request, SetupError, Timeouts};
use icaze_client::transport::Answer;
use reqwest::Method;
use serde_json::{json, Value};

/// The most bytes of an answer read.
const MAX_ANSWER: usize = 256 << 20;

#[derive(Args)]
pub(crate) struct AdminArgs {
    /// The service's address.
    #[arg(long, default_value = "http://127.0.0.1:8103", global = true)]
    server: String,
    /// The bearer token (an administrator's or a supervisor's).
    #[arg(long, env = "ICAZE_TOKEN", hide_env_values = true, global = true)]
    token: Option<String>,
    /// A file holding the token, e.g. DATA/admin-token.
    #[arg(long, conflicts_with = "token", global = true)]
    token_file: Option<PathBuf>,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Approve, suspend or resume an officer's device.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// List devices, e.g. those not synced for a while.
    Devices {
        /// Only this precinct (a supervisor always gets their own).
        #[arg(long)]
        precinct: Option<String>,
        /// Only devices whose last sync is older than this many hours, or that never synced.
        #[arg(long)]
        not_synced_hours: Option<u32>,
    },
    /// Revoke a permit by serial, a list of serials, or every valid permit of a document.
    Revoke {
        /// The permit's serial number.
        #[arg(long, required_unless_present_any = ["document", "serials"], conflicts_with_all = ["document", "serials"])]
        serial: Option<u32>,
        /// A file of serials, one per line (`#` starts a comment), revoked together as one bundle version.
        #[arg(long, conflicts_with = "document")]
        serials: Option<std::path::PathBuf>,
        /// The holder's document: every permit of it still valid now.
        #[arg(long)]
        document: Option<String>,
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// The inspections devices uploaded, newest first.
    Inspections(InspectionArgs),
    /// Inspections, violations and refusals per hour and per officer.
    Stats {
        /// Only this precinct (a supervisor always gets their own).
        #[arg(long)]
        precinct: Option<String>,
        /// From this time, RFC 3339 (default: 24 hours before --to).
        #[arg(long)]
        from: Option<String>,
        /// Up to this time, RFC 3339 (default: now).
        #[arg(long)]
        to: Option<String>,
    },
    /// Import a device's export file (`icaze device export`).
    Import {
        /// The export file.
        file: PathBuf,
    },
    /// Make or remove a precinct supervisor (administrator only).
    #[command(subcommand)]
    Supervisor(SupervisorCommand),
    /// Registry feeds: an agency's credential for one registry and the batches applied
    /// (administrator only, docs/feeds.md).
    #[command(subcommand)]
    Feed(FeedCommand),
    /// Who the credential is.
    Whoami,
    /// Employer portal organisations: add one with its first authorised person, or revoke
    /// every permit of one (administrator only, docs/portal-api.md section 2).
    #[command(subcommand)]
    Org(OrgCommand),
    /// 102 call-centre operators (administrator only, docs/portal-api.md section 4).
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// The employer portal at a regime change (administrator only).
    #[command(subcommand)]
    Portal(PortalAdminCommand),
    /// The authority's keys in the running service (administrator only).
    #[command(subcommand)]
    Keys(KeysAdminCommand),
}

#[derive(Subcommand)]
enum KeysAdminCommand {
    /// Put the key directory in force again after `icaze keys rotate`: new permits are
    /// signed by the new key, the next bundle carries the new trust list, and the portal
    /// re-issues its permits of the revoked key (docs/sync-api.md section 6).
    Reload,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Register an organisation and its first authorised person; prints their one-time
    /// password, shown only once.
    Add {
        /// The organisation's tax id (VÖEN), 10 digits.
        #[arg(long)]
        tax_id: String,
        /// The organisation's name.
        #[arg(long)]
        name: String,
        /// The authorised person's login on the portal.
        #[arg(long)]
        login: String,
        /// The authorised person's full name.
        #[arg(long)]
        person_name: String,
    },
    /// Revoke every permit of an organisation (its employees' and their trips').
    Revoke {
        /// The organisation's id (the `id` that `org add` printed).
        id: u64,
        /// Why (kept in the audit trails).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create a call-centre operator; prints their one-time password, shown only once.
    Add {
        /// The operator's login on the portal.
        #[arg(long)]
        login: String,
        /// The operator's full name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum PortalAdminCommand {
    /// Deactivate every active employee of every organisation and revoke their permits,
    /// at a regime change; employers then reactivate whom the new regime allows.
    Deactivate {
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Approve a device by its enrollment code (ICZD1-…), for an officer and a precinct.
    Approve {
        /// The enrollment code the device shows.
        code: String,
        /// The officer's badge.
        #[arg(long, alias = "badge")]
        officer: String,
        /// The precinct.
        #[arg(long)]
        precinct: String,
    },
    /// Suspend a device: its uploads are refused until it is resumed.
    Suspend {
        /// The device id.
        id: String,
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Resume a suspended device.
    Resume {
        /// The device id.
        id: String,
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Clear a device's fork flag once it was looked into (the conflicting records stay kept apart).
    ClearFork {
        /// The device id.
        id: String,
        /// Why (kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum SupervisorCommand {
    /// Make a supervisor of a precinct; prints their token, shown only once.
    Add {
        /// The supervisor's name (A-Z, a-z, 0-9, dot, dash, underscore).
        name: String,
        /// Their precinct.
        #[arg(long)]
        precinct: String,
        /// What they may see of people's data (`docs/security.md`).
        #[arg(long, value_enum, default_value_t = Role::Supervisor)]
        role: Role,
    },
    /// Remove a supervisor: their token stops working at once.
    Remove {
        /// The supervisor's name.
        name: String,
    },
}

#[derive(Subcommand)]
enum FeedCommand {
    /// Make an agency's feed credential for one registry; prints its token, shown only once.
    Add {
        /// The agency (letters, digits, '.', '_', '-').
        #[arg(long)]
        agency: String,
        /// The one registry its batches may change.
        #[arg(long, value_enum)]
        registry: FeedRegistry,
        /// When its token stops working: a date (its start in Baku, 2021-01-31)
        /// or an RFC 3339 time; without it, until removed.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List the feed credentials (never their tokens).
    List,
    /// Remove an agency's feed credential: its token stops working at once.
    Remove {
        /// The agency.
        #[arg(long)]
        agency: String,
    },
    /// The batches applied to a registry, newest first.
    Batches {
        /// The registry.
        #[arg(long, value_enum)]
        registry: FeedRegistry,
        /// At most this many (1 to 1000; default 100).
        #[arg(long)]
        limit: Option<u32>,
    },
}

/// A registry a feed changes.
#[derive(Clone, Copy, ValueEnum)]
enum FeedRegistry {
    /// The deny list.
    Deny,
    /// The population registry.
    People,
    /// The phone register.
    Phones,
    /// The authorised organisations (replaced whole, never in batches).
    Organisations,
}

impl FeedRegistry {
    fn as_str(self) -> &'static str {
        match self {
            FeedRegistry::Deny => "deny",
            FeedRegistry::People => "people",
            FeedRegistry::Phones => "phones",
            FeedRegistry::Organisations => "organisations",
        }
    }
}

#[derive(Args)]
struct InspectionArgs {
    /// Only this precinct (a supervisor always gets their own).
    #[arg(long)]
    precinct: Option<String>,
    /// Only this officer's badge.
    #[arg(long)]
    officer: Option<String>,
    /// Only this zone.
    #[arg(long)]
    zone: Option<u16>,
    /// Only this device.
    #[arg(long)]
    device: Option<String>,
    /// From this time, RFC 3339.
    #[arg(long)]
    from: Option<String>,
    /// Up to this time, RFC 3339.
    #[arg(long)]
    to: Option<String>,
    /// Only violations (checks recorded as a violation).
    #[arg(long)]
    violations: bool,
    /// At most this many (the server allows up to 10000).
    #[arg(long)]
    limit: Option<u32>,
    /// The next page: the `next` of the page before.
    #[arg(long)]
    after: Option<String>,
    /// The answer's form.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Role {
    /// Their precinct; the abuse report with documents and phones masked.
    Supervisor,
    /// Also searches permits by document or phone, and sees them in full.
    Investigator,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The server's JSON page, with `next` for the page after.
    Json,
    /// CSV with a header line, as it comes.
    Csv,
}

/// A time argument, checked here and sent in UTC.
fn utc(arg: &str, text: Option<&str>) -> anyhow::Result<Option<String>> {
    text.map(|t| {
        icaze_client::transport::utc(t)
            .with_context(|| format!("--{arg} {t:?}: give a time as RFC 3339, e.g. 2020-12-15T10:00:00+04:00"))
    })
    .transpose()
}

/// A path segment (a device id, a supervisor's name) as sent.
fn segment(text: &str) -> anyhow::Result<String> {
    icaze_client::transport::segment(text).with_context(|| format!("{text:?} is not a name or a device id"))
}

impl AdminArgs {
    fn token(&self) -> anyhow::Result<String> {
        if let Some(token) = &self.token {
            return Ok(token.trim().to_owned());
        }
        if let Some(path) = &self.token_file {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading the token {}", path.display()))?;
            let token = text.trim();
            if token.is_empty() {
                bail!("{} is empty: it should hold the token", path.display());
            }
            return Ok(token.to_owned());
        }
        bail!("give a credential: --token TOKEN, the ICAZE_TOKEN variable, or --token-file DATA/admin-token")
    }
}

/// The request a subcommand makes, and how its answer is summed up.
fn request(command: &AdminCommand) -> anyhow::Result<(Request, &'static str)> {
    Ok(match command {
        AdminCommand::Device(DeviceCommand::Approve { code, officer, precinct }) => (
            Request::post("v1/devices", json!({ "code": code.trim(), "badge": officer, "precinct": precinct })),
            "device approved",
        ),
        AdminCommand::Device(DeviceCommand::Suspend { id, reason }) => (
            Request::post(format!("v1/devices/{}/suspend", segment(id)?), json!({ "reason": reason })),
            "device suspended",
        ),
        AdminCommand::Device(DeviceCommand::Resume { id, reason }) => (
            Request::post(format!("v1/devices/{}/resume", segment(id)?), json!({ "reason": reason })),
            "device resumed",
        ),
        AdminCommand::Device(DeviceCommand::ClearFork { id, reason }) => (
            Request::post(format!("v1/devices/{}/clear-fork", segment(id)?), json!({ "reason": reason })),
            "fork flag cleared",
        ),
        AdminCommand::Keys(KeysAdminCommand::Reload) => (Request::post("v1/keys/reload", json!({})), "keys reloaded"),
        AdminCommand::Devices { precinct, not_synced_hours } => (
            Request::get("v1/devices")
                .query("precinct", precinct.as_ref())
                .query("not_synced_hours", *not_synced_hours),
            "devices",
        ),
        AdminCommand::Revoke { serial, serials, document, reason } => {
            let body = match (serial, serials, document) {
                (Some(serial), None, None) => json!({ "serial": serial, "reason": reason }),
                (None, Some(path), None) => {
                    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                    let serials = crate::bundle::parse_serials(&text).with_context(|| path.display().to_string())?;
                    json!({ "serials": serials, "reason": reason })
                }
                (None, None, Some(document)) => json!({ "document": document, "reason": reason }),
                _ => bail!("give exactly one of --serial, --serials and --document"),
            };
            (Request::post("v1/revocations", body), "revoked")
        }
        AdminCommand::Inspections(a) => (
            Request::get("v1/inspections")
                .query("precinct", a.precinct.as_ref())
                .query("officer", a.officer.as_ref())
                .query("zone", a.zone)
                .query("device", a.device.as_ref())
                .query("from", utc("from", a.from.as_deref())?)
                .query("to", utc("to", a.to.as_deref())?)
                .query("violations", a.violations.then_some("true"))
                .query("limit", a.limit)
                .query("after", a.after.as_ref())
                .query("format", (a.format == Format::Csv).then_some("csv")),
            "inspections",
        ),
        AdminCommand::Stats { precinct, from, to } => (
            Request::get("v1/stats/hourly")
                .query("precinct", precinct.as_ref())
                .query("from", utc("from", from.as_deref())?)
                .query("to", utc("to", to.as_deref())?),
            "statistics",
        ),
        AdminCommand::Import { file } => {
            let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let request = Request {
                method: Method::POST,
                path: "v1/imports".into(),
                query: Vec::new(),
                body: Body::Bytes(bytes),
            };
            (request, "imported")
        }
        AdminCommand::Supervisor(SupervisorCommand::Add { name, precinct, role }) => {
            let role = match role {
                Role::Supervisor => "supervisor",
                Role::Investigator => "investigator",
            };
            let body = json!({ "name": name, "precinct": precinct, "role": role });
            (Request::post("v1/supervisors", body), "supervisor added")
        }
        AdminCommand::Supervisor(SupervisorCommand::Remove { name }) => (
            Request {
                method: Method::DELETE,
                path: format!("v1/supervisors/{}", segment(name)?),
                query: Vec::new(),
                body: Body::None,
            },
            "supervisor removed",
        ),
        AdminCommand::Feed(FeedCommand::Add { agency, registry, expires }) => (
            Request::post(
                "v1/feeds",
                json!({ "agency": agency, "registry": registry.as_str(), "expires_at": expires }),
            ),
            "feed added",
        ),
        AdminCommand::Feed(FeedCommand::List) => (Request::get("v1/feeds"), "feeds"),
        AdminCommand::Feed(FeedCommand::Remove { agency }) => (
            Request {
                method: Method::DELETE,
                path: format!("v1/feeds/{}", segment(agency)?),
                query: Vec::new(),
                body: Body::None,
            },
            "feed removed",
        ),
        AdminCommand::Feed(FeedCommand::Batches { registry, limit }) => {
            (Request::get(format!("v1/registries/{}/batches", registry.as_str())).query("limit", *limit), "batches")
        }
        AdminCommand::Whoami => (Request::get("v1/whoami"), "whoami"),
        AdminCommand::Org(OrgCommand::Add { tax_id, name, login, person_name }) => (
            Request::post(
                "v1/organisations",
                json!({ "tax_id": tax_id, "name": name, "login": login, "person_name": person_name }),
            ),
            "organisation added",
        ),
        AdminCommand::Org(OrgCommand::Revoke { id, reason }) => (
            Request::post(format!("v1/organisations/{id}/revoke"), json!({ "reason": reason })),
            "organisation revoked",
        ),
        AdminCommand::Operator(OperatorCommand::Add { login, name }) => {
            (Request::post("v1/operators", json!({ "login": login, "name": name })), "operator added")
        }
        AdminCommand::Portal(PortalAdminCommand::Deactivate { reason }) => {
            (Request::post("v1/portal/deactivate", json!({ "reason": reason })), "portal deactivated")
        }
    })
}

/// The answer read as its type `T`, the one the server writes it from.
fn read<T: serde::de::DeserializeOwned>(body: &[u8]) -> anyhow::Result<T> {
    serde_json::from_slice(body)
        .with_context(|| format!("the server's answer is not the API's {}", std::any::type_name::<T>()))
}

/// One line for a person, from the answer read as its type: an answer of
/// another shape is an error, not a summary of zeros.
fn summary(what: &str, body: &[u8]) -> anyhow::Result<String> {
    use icaze_client::answers::{feeds, portal, sync};
    Ok(match what {
        "devices" => format!("{} devices", read::<sync::DeviceList>(body)?.devices.len()),
        "device approved" | "device suspended" | "device resumed" | "fork flag cleared" => {
            format!("{what}: {}", read::<sync::Device>(body)?.device_id)
        }
        "inspections" => {
            let page = read::<sync::InspectionPage>(body)?;
            let more = page.next.map(|next| format!(" (more: --after {next})")).unwrap_or_default();
            format!("{} inspections{more}", page.inspections.len())
        }
        "statistics" => format!("{} hours", read::<sync::Activity>(body)?.hours.len()),
        "revoked" => {
            let revoked = read::<sync::Revoked>(body)?;
            format!("{} permits revoked now, bundle version {}", revoked.revoked.len(), revoked.version)
        }
        "imported" => {
            let receipt = read::<sync::Receipt>(body)?;
            format!(
                "device {}: {} records accepted, {} duplicates, {} kept apart as conflicts",
                receipt.device_id, receipt.accepted, receipt.duplicates, receipt.conflicts
            )
        }
        "keys reloaded" => {
            format!("keys reloaded: trust list version {}", read::<sync::KeysReloaded>(body)?.trust_list_version)
        }
        "whoami" => read::<sync::Whoami>(body)?.role,
        "supervisor added" => {
            read::<sync::SupervisorAdded>(body)?;
            "supervisor added: the token above is shown only now; hand it over safely".into()
        }
        "feed added" => {
            let added = read::<feeds::FeedAdded>(body)?;
            let until = added.expires_at.map(|at| format!(" until {at}")).unwrap_or_default();
            format!(
                "feed of {} for the {} registry added{until}: the token above is shown only now; hand it over safely",
                added.agency, added.registry
            )
        }
        "feeds" => format!("{} feeds", read::<feeds::FeedList>(body)?.feeds.len()),
        "feed removed" => format!("feed of {} removed", read::<feeds::FeedRemoved>(body)?.agency),
        "batches" => format!("{} batches", read::<feeds::BatchList>(body)?.batches.len()),
        "supervisor removed" => format!("supervisor {} removed", read::<sync::SupervisorRemoved>(body)?.name),
        "organisation added" | "operator added" => {
            if what == "organisation added" {
                read::<portal::OrgCreated>(body)?;
            } else {
                read::<portal::NewAccount>(body)?;
            }
            format!(
                "{what}: the one-time password above is shown only now; hand it over safely (it must be changed at \
                 the first login)"
            )
        }
        "organisation revoked" => {
            format!("{} permits of the organisation revoked", read::<portal::PermitsRevoked>(body)?.revoked.len())
        }
        "portal deactivated" => {
            let done = read::<portal::Deactivated>(body)?;
            format!("{} employees deactivated, {} permits revoked", done.deactivated, done.revoked)
        }
        _ => what.to_owned(),
    })
}

pub(crate) fn run(args: AdminArgs) -> anyhow::Result<ExitCode> {
    let token = args.token()?;
    let timeouts = Timeouts { connect: Duration::from_secs(10), request: Duration::from_secs(300) };
    let client = ApiClient::new(&args.server, &token, timeouts, concat!("icaze-admin/", env!("CARGO_PKG_VERSION")))
        .map_err(|e| match e {
            SetupError::BadUrl { .. } => {
                anyhow!("--server {:?}: give it as http://HOST:PORT or https://HOST", args.server)
            }
            other => anyhow!("{other}"),
        })?;
    let (request, what) = request(&args.command)?;
    let csv = matches!(&args.command, AdminCommand::Inspections(a) if a.format == Format::Csv);
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the async runtime")?;
    let Answer { status, body } = runtime.block_on(client.send(request, MAX_ANSWER))?;
    if !status.is_success() {
        let (code, message) = match serde_json::from_slice::<Value>(&body) {
            Ok(v) => (
                v.get("code").and_then(Value::as_str).unwrap_or("unknown").to_owned(),
                v.get("message").and_then(Value::as_str).unwrap_or("").to_owned(),
            ),
            Err(_) => (format!("http_{}", status.as_u16()), String::from_utf8_lossy(&body).trim().to_owned()),
        };
        println!("{}", json!({ "status": status.as_u16(), "code": code, "message": message }));
        eprintln!("icaze: the server refused ({} {code}): {message}", status.as_u16());
        return Ok(ExitCode::from(1));
    }
    if csv {
        use std::io::Write as _;
        std::io::stdout().write_all(&body).context("writing the CSV")?;
        let rows = body.iter().filter(|&&b| b == b'\n').count().saturating_sub(1);
        eprintln!("{rows} inspections");
        return Ok(ExitCode::SUCCESS);
    }
    let answer: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&body).context("the server's answer is not JSON: is --server the icaze service?")?
    };
    println!("{answer}");
    eprintln!("{}", summary(what, &body)?);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(segment("ab12-CD_3.x").unwrap(), "ab12-CD_3.x");
        assert_eq!(segment("../x y").unwrap(), "..%2Fx%20y");
        assert!(segment("..").is_err());
        assert!(segment("").is_err());
    }

    #[test]
    fn times_are_checked_and_sent_in_utc() {
        assert_eq!(utc("from", Some("2020-12-15T10:00:00+04:00")).unwrap().as_deref(), Some("2020-12-15T06:00:00Z"));
        assert!(utc("from", Some("yesterday")).is_err());
        assert_eq!(utc("from", None).unwrap(), None);
    }
    /// Issue 23: `feed add --expires` sends the expiry as written (the server
    /// reads it), and the summary says until when the credential works.
    #[test]
    fn a_feed_s_expiry_is_sent_and_summarised() {
        let add = AdminCommand::Feed(FeedCommand::Add {
            agency: "etabib".into(),
            registry: FeedRegistry::Deny,
            expires: Some("2021-01-31".into()),
        });
        let (sent, what) = request(&add).unwrap();
        let Body::Json(body) = sent.body else { panic!("a JSON body") };
        assert_eq!(body, json!({"agency": "etabib", "registry": "deny", "expires_at": "2021-01-31"}));
        let answer =
            json!({"agency": "etabib", "registry": "deny", "token": "t", "expires_at": "2021-01-30T20:00:00Z"});
        let said = summary(what, answer.to_string().as_bytes()).unwrap();
        assert!(said.contains("deny registry added until 2021-01-30T20:00:00Z"), "{said}");
        let forever = AdminCommand::Feed(FeedCommand::Add {
            agency: "asan".into(),
            registry: FeedRegistry::People,
            expires: None,
        });
        let Body::Json(body) = request(&forever).unwrap().0.body else { panic!("a JSON body") };
        assert_eq!(body["expires_at"], Value::Null);
    }
}
