//! `icaze up`: the whole system on one machine, for a first look and for
//! rehearsals. It starts the service (`icaze serve`) on the embedded SQLite
//! with the 2020-12-14 regime moved to today and a synthetic registry, asks
//! its own 8103 endpoint for three permits as citizens would, revokes one
//! through the sync API, and sets up an officer device in `DATA/device`,
//! approved and synced, for the desktop app (or `icaze device`) to use.
//!
//! Each step is skipped when a previous run already did it, so `icaze up`
//! can be run again on the same directory. With `--check` it stops after
//! the set-up and a verdict on each demo permit (for CI); otherwise it serves
//! until Ctrl-C.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use icaze_core::UtcMinute;
use icaze_device::{Device, InitConfig, OfficerBadge, Scene, SyncClient, SyncConfig, VerdictKind};
use icaze_server::regime::Regime;
use icaze_server::sqlite::{SqliteConfig, SqlitePermitStore};
use icaze_server::store::PermitStore as _;
use icaze_server::{ServeConfig, Server};
use serde_json::{json, Value};

use crate::desktop;

#[derive(clap::Args)]
pub(crate) struct UpArgs {
    /// The data directory: the service's databases and authority, and the demo device in DATA/device.
    #[arg(long, default_value = "demo-data/up")]
    data: PathBuf,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8103")]
    listen: SocketAddr,
    /// Set everything up, check the demo permits on the device, then stop (for CI).
    #[arg(long)]
    check: bool,
    /// Do not open the desktop app's window (it opens when there is a display, built from this source tree).
    #[arg(long)]
    no_app: bool,
}

const BADGE: &str = "B-0001";
const PRECINCT: &str = "P-01";
/// The demo permits: (sender, SMS text). The second is revoked.
const DEMO_SMS: [(&str, &str); 3] =
    [("994501000001", "2 AZE11111111"), ("994501000002", "2 MYI1234567"), ("994501000003", "2 DYI7654321")];

pub(crate) fn run(args: UpArgs, now: UtcMinute) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.data).with_context(|| args.data.display().to_string())?;
    let data = args.data.canonicalize().with_context(|| args.data.display().to_string())?;
    let store = SqlitePermitStore::open(&data.join("icaze.db"), SqliteConfig::default())?;
    if store.person("AZE11111111")?.is_none() {
        store.import_people(&icaze_server::registry::demo_people_csv(1000))?;
        store.import_denials(&icaze_server::registry::demo_denials_csv())?;
        eprintln!("up: a synthetic registry of 1,006 people (no real people) in {}", data.display());
    }
    drop(store);

    let regime = Regime::from_toml(icaze_server::regime::DEFAULT_REGIME)?;
    let offset = icaze_core::BAKU_OFFSET_MINUTES as u32;
    let local = now.unix_minutes() + offset;
    let today = UtcMinute::from_unix_minutes(local - local % 1440 - offset);
    let mut config = ServeConfig::new(data.clone());
    config.listen = args.listen;
    config.rehearsal = Some(regime.moved_to(today));

    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let server = Server::start(config).await?;
        let base = format!("http://{}", server.addr());
        let set_up = set_up(&data, &base, now).await;
        match (set_up, args.check) {
            (Err(e), _) => {
                server.stop().await;
                Err(e)
            }
            (Ok(summary), true) => {
                println!("{}", serde_json::to_string(&summary)?);
                server.stop().await;
                Ok(ExitCode::SUCCESS)
            }
            (Ok(summary), false) => {
                print_guide(&data, &base, &summary);
                if !args.no_app {
                    let device_dir = data.join("device");
                    // Detached: a build takes minutes while the service serves, and
                    // Ctrl-C reaches the app (same process group) as it reaches us.
                    std::thread::spawn(move || open_window(&device_dir));
                }
                server.wait().await;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// Permits by SMS, one revoked, the demo device approved and synced; then a
/// check of each permit on the device. Returns what a person needs to know.
async fn set_up(data: &Path, base: &str, now: UtcMinute) -> anyhow::Result<Value> {
    let http = reqwest::Client::new();
    let admin = std::fs::read_to_string(data.join("admin-token")).context("reading the admin token")?.trim().to_owned();

    // The day's demo permits, kept in `DATA/up-permits.json`: a second run
    // the same day shows them again. It cannot ask 8103 for them again, since
    // the service never sends a revoked permit twice.
    let kept_path = data.join("up-permits.json");
    let day = (now.unix_minutes() + icaze_core::BAKU_OFFSET_MINUTES as u32) / (24 * 60);
    let kept: Option<Vec<String>> = std::fs::read_to_string(&kept_path)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .filter(|kept| kept["baku_day"] == json!(day))
        .and_then(|kept| serde_json::from_value(kept["replies"].clone()).ok())
        .filter(|replies: &Vec<String>| replies.len() == DEMO_SMS.len());
    let replies = match kept {
        Some(replies) => replies,
        None => {
            let mut replies = Vec::new();
            for (from, text) in DEMO_SMS {
                let reply = http
                    .get(format!("{base}/sms/8103"))
                    .query(&[("from", from), ("text", text)])
                    .send()
                    .await
                    .with_context(|| format!("asking {base}/sms/8103 for a permit"))?
                    .text()
                    .await?;
                replies.push(reply);
            }
            write_private(&kept_path, &json!({"baku_day": day, "replies": replies}).to_string())?;
            replies
        }
    };
    let mut tokens = Vec::new();
    for ((_, text), reply) in DEMO_SMS.iter().zip(replies) {
        let permit = icaze_core::UnverifiedPermit::find_in_text(&reply)
            .map_err(|e| anyhow::anyhow!("the SMS service answered {text:?} without a permit ({e}): {reply}"))?;
        let token = permit.token().to_text();
        tokens.push((reply, token));
    }
    let revoked_token = &tokens[1].1;
    let serial = icaze_authority::Authority::load(&data.join("authority"))?
        .trust_list()
        .verify(&icaze_core::UnverifiedPermit::from_text(revoked_token)?)?
        .claims()
        .serial()
        .0;
    let answer = http
        .post(format!("{base}/v1/revocations"))
        .bearer_auth(&admin)
        .body(json!({"serial": serial, "reason": "demo: revoked by icaze up"}).to_string())
        .send()
        .await?;
    if !answer.status().is_success() {
        bail!("revoking the demo permit: {}", answer.text().await?);
    }

    let device_dir = data.join("device");
    let mut device = if device_dir.join(icaze_device::DB_FILE).exists() {
        Device::open(&device_dir)?
    } else {
        let root_text = std::fs::read_to_string(data.join("authority/root.public"))?;
        let config = InitConfig {
            root: icaze_authority::read_public_key(&root_text)?,
            server: Some(base.to_owned()),
            officer: Some(OfficerBadge::new(BADGE)?),
        };
        Device::init(&device_dir, &config, now)?
    };
    let code = device.enrollment_code().to_string();
    let answer = http
        .post(format!("{base}/v1/devices"))
        .bearer_auth(&admin)
        .body(json!({"code": code, "badge": BADGE, "precinct": PRECINCT}).to_string())
        .send()
        .await?;
    if !answer.status().is_success() {
        bail!("approving the demo device: {}", answer.text().await?);
    }
    let client = SyncClient::new(base, SyncConfig::default())?;
    client.sync(&mut device, now).await.context("the demo device's first sync")?;

    // The permits are valid from a quarter of an hour after they were asked for.
    let at = UtcMinute::from_unix_minutes(now.unix_minutes() + 20);
    let scene = |zone| -> anyhow::Result<Scene> {
        Ok(Scene {
            at,
            zone: icaze_core::ZoneId::new(zone).context("zone")?,
            officer: OfficerBadge::new(BADGE)?,
            location: None,
        })
    };
    let mut verdicts = Vec::new();
    let mut kinds = Vec::new();
    for ((_, token), zone) in tokens.iter().zip([1, 2, 7]) {
        let kind = device.evaluate_unlogged(token, &scene(zone)?).kind;
        verdicts.push(json!({"token": token, "zone": zone, "verdict": kind.code()}));
        kinds.push(kind);
    }
    if kinds != [VerdictKind::Valid, VerdictKind::Revoked, VerdictKind::Valid] {
        bail!("the demo device judged the demo permits {kinds:?}, expected valid, revoked, valid");
    }
    let portal = portal_accounts(data, &http, base, &admin).await?;
    Ok(json!({
        "service": base,
        "portal": portal,
        "citizen_page": format!("{base}/p#{}", tokens[0].1),
        "admin_token_file": data.join("admin-token"),
        "device_dir": device_dir,
        "device_id": device.device_id().to_string(),
        "badge": BADGE,
        "precinct": PRECINCT,
        "permits": verdicts,
        "sms_replies": tokens.iter().map(|(reply, _)| reply.clone()).collect::<Vec<_>>(),
    }))
}

/// The demo organisation's authorised person and a 102 operator, made once;
/// their one-time passwords are kept in `DATA/portal-demo.json` (0600) so
/// that a second `icaze up` can show them again.
async fn portal_accounts(data: &Path, http: &reqwest::Client, base: &str, admin: &str) -> anyhow::Result<Value> {
    let path = data.join("portal-demo.json");
    let url = json!(format!("{base}/portal/"));
    if let Ok(text) = std::fs::read_to_string(&path) {
        let mut kept: Value = serde_json::from_str(&text).with_context(|| path.display().to_string())?;
        kept["url"] = url;
        return Ok(kept);
    }
    let mut made = json!({});
    let accounts = [
        (
            "employer",
            "v1/organisations",
            json!({"tax_id": "1000000001", "name": "Demo Bakı Metro", "login": "demo.employer", "person_name": "Demo Person"}),
        ),
        ("operator", "v1/operators", json!({"login": "demo.operator", "name": "Demo Operator"})),
    ];
    for (role, route, body) in accounts {
        let answer = http.post(format!("{base}/{route}")).bearer_auth(admin).body(body.to_string()).send().await?;
        let status = answer.status();
        let answer: Value = serde_json::from_slice(&answer.bytes().await?)?;
        if !status.is_success() {
            bail!("making the demo {role} account: {answer}");
        }
        made[role] = json!({"login": answer["login"], "password": answer["password"]});
    }
    write_private(&path, &made.to_string())?;
    made["url"] = url;
    Ok(made)
}

/// Writes `text` to `path`, replacing it, readable by its owner only.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    use std::io::Write as _;
    options.open(path).and_then(|mut f| f.write_all(text.as_bytes())).with_context(|| path.display().to_string())
}

/// Builds or finds the desktop app and opens it on the demo device; says why not otherwise.
fn open_window(device_dir: &Path) {
    let binary = match desktop::Probe::here().plan() {
        desktop::Plan::Run(binary) => binary,
        desktop::Plan::Build(workspace) => match desktop::build(&workspace) {
            Ok(binary) => binary,
            Err(e) => {
                eprintln!("up: the desktop app was not built: {e:#}; the service still runs");
                return;
            }
        },
        desktop::Plan::Skip(why) => {
            eprintln!("up: {why}");
            return;
        }
    };
    match desktop::start(&binary, device_dir) {
        Ok(mut child) => {
            eprintln!("up: the desktop app is open on the demo device ({})", device_dir.display());
            match child.wait() {
                Ok(status) => {
                    eprintln!("up: the desktop app closed ({status}); the service still runs, Ctrl-C stops it")
                }
                Err(e) => eprintln!("up: waiting for the desktop app failed: {e}"),
            }
        }
        Err(e) => eprintln!("up: {e:#}; the service still runs"),
    }
}

fn print_guide(data: &Path, base: &str, summary: &Value) {
    let device_dir = data.join("device");
    eprintln!();
    eprintln!("Icaze is up: the 8103 SMS service and the sync service on {base} (Ctrl-C stops it).");
    eprintln!("  SMS, as a gateway would send it:  curl -G {base}/sms/8103 --data-urlencode from=994501234567 --data-urlencode 'text=2 AZE11111111'");
    eprintln!("  administrator's token:            {}", data.join("admin-token").display());
    eprintln!("  a demo officer device (B-0001, precinct P-01), approved and synced: {}", device_dir.display());
    if let Some(permits) = summary["permits"].as_array() {
        for p in permits {
            eprintln!(
                "  permit for zone {}: {} on the device: {}",
                p["zone"],
                p["verdict"],
                p["token"].as_str().unwrap_or("")
            );
        }
    }
    let portal = &summary["portal"];
    eprintln!("  the employer portal and the 102 console: {}", portal["url"].as_str().unwrap_or(""));
    for role in ["employer", "operator"] {
        eprintln!(
            "    {role}: login {}  one-time password {}",
            portal[role]["login"].as_str().unwrap_or(""),
            portal[role]["password"].as_str().unwrap_or("")
        );
    }
    eprintln!("  a citizen's permit as a QR page: {}", summary["citizen_page"].as_str().unwrap_or(""));
    eprintln!(
        "  the desktop app on that device opens by itself when there is a display (or by hand: ICAZE_DEVICE_DIR={} target/debug/icaze-app)",
        device_dir.display()
    );
    eprintln!(
        "  an officer's check without the app: icaze device --data {} check --zone 1 '<token or SMS>'",
        device_dir.display()
    );
}
