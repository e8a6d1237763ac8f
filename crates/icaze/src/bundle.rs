//! `icaze bundle make` and `icaze bundle show`: signed sync bundles for
//! officers' devices (`docs/bundle-format.md`), over `icaze-authority` and
//! `icaze-core`.
//!
//! `show` exits 0 when the bundle verifies and prints it as JSON; 1 when the
//! bundle is refused (altered, foreign, badly signed), with the reason and its
//! code on standard error; 2 when it cannot run (unreadable files, a bad root
//! key file).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use icaze_authority::Authority;
use icaze_core::{BundleContents, FreshnessPolicy, RevocationSet, VerifiedBundle};
use icaze_server::regime::Regime;
use serde_json::{json, Value};

#[derive(clap::Subcommand)]
pub(crate) enum BundleCommand {
    /// Make a sync bundle signed with the authority's bundle key (sync.secret).
    Make(MakeArgs),
    /// Verify a sync bundle against a root public key and print what it says as JSON.
    Show {
        /// The pinned root public key (root.public of `icaze keys init`).
        #[arg(long)]
        root: PathBuf,
        /// The bundle file.
        bundle: PathBuf,
    },
}

#[derive(clap::Args)]
pub(crate) struct MakeArgs {
    /// The authority directory made by `icaze keys init`; its trust list is embedded.
    #[arg(long)]
    keys: PathBuf,
    /// A regime file (TOML, docs/regimes.md), current or announced; repeat for several.
    #[arg(long = "regime")]
    regimes: Vec<PathBuf>,
    /// The bundle's version, above every earlier bundle's.
    #[arg(long)]
    version: u64,
    /// Make a delta on top of this version: --revoked then lists only the serials revoked since.
    #[arg(long)]
    base: Option<u64>,
    /// Revoked permit serials, one per line; `#` starts a comment.
    #[arg(long)]
    revoked: Option<PathBuf>,
    /// The server time written in the bundle, RFC 3339 (default: now).
    #[arg(long)]
    server_time: Option<String>,
    /// Where to write the bundle.
    #[arg(long)]
    out: PathBuf,
}

/// Runs a `bundle` subcommand.
pub(crate) fn run(command: BundleCommand) -> anyhow::Result<ExitCode> {
    match command {
        BundleCommand::Make(args) => make(&args),
        BundleCommand::Show { root, bundle } => show(&root, &bundle),
    }
}

fn make(args: &MakeArgs) -> anyhow::Result<ExitCode> {
    let authority = Authority::load(&args.keys)?;
    let mut regimes = Vec::new();
    for path in &args.regimes {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        regimes.push(Regime::from_toml(&text).with_context(|| path.display().to_string())?.to_bundle());
    }
    let revocations = match &args.revoked {
        Some(path) => read_serials(path)?,
        None => RevocationSet::empty(),
    };
    let contents = BundleContents {
        version: args.version,
        base_version: args.base,
        server_time_unix_seconds: crate::time_or_now(args.server_time.as_deref())?.unix_seconds() as u64,
        trust_list: authority.trust_list_file().to_vec(),
        regimes,
        freshness: FreshnessPolicy::default(),
        revocations,
        sections: Default::default(),
    };
    let bytes = authority.sign_bundle(&contents)?;
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("wrote {} ({} bytes, version {})", args.out.display(), bytes.len(), args.version);
    Ok(ExitCode::SUCCESS)
}

fn show(root: &Path, bundle: &Path) -> anyhow::Result<ExitCode> {
    let root_text =
        std::fs::read_to_string(root).with_context(|| format!("reading the root public key {}", root.display()))?;
    let root_key = icaze_authority::read_public_key(&root_text).with_context(|| root.display().to_string())?;
    let bytes = std::fs::read(bundle).with_context(|| format!("reading {}", bundle.display()))?;
    match VerifiedBundle::verify(&bytes, &root_key) {
        Ok(verified) => {
            println!("{}", serde_json::to_string_pretty(&bundle_json(&verified))?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("icaze: {}: refused ({}): {e}", bundle.display(), e.code());
            Ok(ExitCode::from(1))
        }
    }
}

/// Reads a text file of permit serials: one per line, blank lines and `#`
/// comments ignored.
fn read_serials(path: &Path) -> anyhow::Result<RevocationSet> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let serials = parse_serials(&text).with_context(|| path.display().to_string())?;
    Ok(RevocationSet::from_serials(serials))
}

pub(crate) fn parse_serials(text: &str) -> anyhow::Result<Vec<u32>> {
    let mut serials = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let serial = line.parse().with_context(|| {
            format!("line {}: {line:?} is not a permit serial (a number from 0 to 4294967295)", number + 1)
        })?;
        serials.push(serial);
    }
    Ok(serials)
}

fn bundle_json(verified: &VerifiedBundle) -> Value {
    let c = verified.contents();
    let f = &c.freshness;
    json!({
        "version": c.version,
        "base_version": c.base_version,
        "server_time": verified.server_time().to_rfc3339_utc(),
        "server_time_unix_seconds": c.server_time_unix_seconds,
        "signer": verified.signer().0,
        "trust_list_version": verified.trust_list().version(),
        "trust_list_keys": verified.trust_list().keys().len(),
        "freshness": {
            "warn_after_minutes": f.warn_after_minutes,
            "strong_warn_after_minutes": f.strong_warn_after_minutes,
            "invalid_after_minutes": f.invalid_after_minutes,
            "max_clock_drift_minutes": f.max_clock_drift_minutes,
        },
        "regimes": c.regimes.iter().map(|r| json!({
            "id": r.id,
            "name": r.name,
            "start": r.start.baku().to_rfc3339(),
            "end": r.end.baku().to_rfc3339(),
            "scope": r.scope.to_string(),
            "zones": r.zones.iter().map(|z| z.id.get()).collect::<Vec<_>>(),
            "purposes": r.purposes.iter().map(|p| p.name()).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "revocation_count": c.revocations.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_files_allow_comments_and_blank_lines() {
        let serials = parse_serials("# revoked on 15.12\n12\n\n  907  # stolen phone\n4294967295\n").unwrap();
        assert_eq!(serials, [12, 907, 4_294_967_295]);
        let err = parse_serials("12\nAZE11111111\n").unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(parse_serials("4294967296").is_err());
        assert!(parse_serials("-1").is_err());
    }
}
