//! What the measuring benchmarks (token, revocation) share: Criterion as they
//! configure it, and the estimates it wrote, read back for their reports.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use criterion::Criterion;

/// Criterion with three seconds of measurement and one of warm-up a
/// benchmark, no plots, and the command line's options.
pub fn criterion() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .without_plots()
        .configure_from_args()
}

/// Where Criterion writes its estimates.
pub fn criterion_dir() -> PathBuf {
    // Criterion's own order: $CRITERION_HOME, $CARGO_TARGET_DIR/criterion, then
    // the target directory `cargo metadata` names. This binary lives in
    // <target>/<profile>/deps, which gives the same directory without running
    // cargo again (which fails while another crate's manifest is half-edited).
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    let beside_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("criterion")))
        .filter(|dir| dir.is_dir());
    if let Some(dir) = beside_exe {
        return dir;
    }
    let metadata = std::env::var_os("CARGO").and_then(|cargo| {
        std::process::Command::new(cargo).args(["metadata", "--format-version", "1", "--no-deps"]).output().ok()
    });
    metadata
        .and_then(|out| serde_json::from_slice::<serde_json::Value>(&out.stdout).ok())
        .and_then(|v| v["target_directory"].as_str().map(PathBuf::from))
        .map_or_else(|| PathBuf::from("target/criterion"), |t| t.join("criterion"))
}

/// Criterion's median and mean (ns) for one benchmark, if it was measured
/// since `since` (so that a filtered run never mixes in older numbers).
pub fn estimate(dir: &Path, group: &str, id: &str, since: SystemTime) -> Option<(f64, f64)> {
    let path = dir.join(group).join(id).join("new").join("estimates.json");
    if std::fs::metadata(&path).ok()?.modified().ok()? < since {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    Some((json["median"]["point_estimate"].as_f64()?, json["mean"]["point_estimate"].as_f64()?))
}
