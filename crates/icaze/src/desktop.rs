//! The desktop app for `icaze up`: finds or builds `icaze-app` from the
//! source tree and opens its window on the demo device, or says exactly what
//! is missing and how to install it.
//!
//! What it needs, in order: a display (`DISPLAY` or `WAYLAND_DISPLAY`); the
//! app binary (`ICAZE_APP_BINARY`, or built here from `src-tauri/`, which
//! needs the WebKitGTK development packages and Node.js ≥ 20.19 with npm for
//! the UI). Any of them missing leaves the service running and prints the
//! command that would supply it; nothing here is fatal to `icaze up`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The Debian/Ubuntu packages the app is built against (the same set as
/// `tests/app/run.sh` and docs/app.md).
pub(crate) const BUILD_PACKAGES: &str = "libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev \
libjavascriptcoregtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev libssl-dev pkg-config \
build-essential";

/// The pkg-config modules the app's build links against.
const PKG_MODULES: [&str; 4] = ["webkit2gtk-4.1", "javascriptcoregtk-4.1", "libsoup-3.0", "gtk+-3.0"];

/// What the machine offers, probed once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probe {
    /// A graphical session is there.
    pub(crate) display: bool,
    /// A ready binary given by `ICAZE_APP_BINARY`.
    pub(crate) binary: Option<PathBuf>,
    /// The workspace with `src-tauri/` and `ui/`, if this `icaze` was built from one that still exists.
    pub(crate) workspace: Option<PathBuf>,
    /// The WebKitGTK modules pkg-config does not know.
    pub(crate) missing_modules: Vec<&'static str>,
    /// Node.js ≥ 20.19 and npm are on the PATH.
    pub(crate) node: bool,
}

/// What `icaze up` does about the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Start this binary.
    Run(PathBuf),
    /// Build the UI and the app in this workspace, then start it.
    Build(PathBuf),
    /// Do not start it; the text says why and what to do.
    Skip(String),
}

impl Probe {
    /// Looks at this machine.
    pub(crate) fn here() -> Probe {
        let display = ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
        let binary = std::env::var_os("ICAZE_APP_BINARY").filter(|b| !b.is_empty()).map(PathBuf::from);
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .and_then(Path::parent)
            .filter(|w| w.join("src-tauri/Cargo.toml").is_file() && w.join("ui/package-lock.json").is_file())
            .map(Path::to_path_buf);
        // Probed only when they matter: without a display nothing is built.
        let (missing_modules, node) = if display && binary.is_none() {
            let missing = PKG_MODULES
                .into_iter()
                .filter(|m| !Command::new("pkg-config").args(["--exists", m]).status().is_ok_and(|s| s.success()))
                .collect();
            (missing, node_ok())
        } else {
            (Vec::new(), false)
        };
        Probe { display, binary, workspace, missing_modules, node }
    }

    /// Decides, from what was probed.
    pub(crate) fn plan(&self) -> Plan {
        if !self.display {
            return Plan::Skip(
                "no display here (DISPLAY and WAYLAND_DISPLAY are unset), so no window: the service runs on its own"
                    .into(),
            );
        }
        if let Some(binary) = &self.binary {
            return if binary.is_file() {
                Plan::Run(binary.clone())
            } else {
                Plan::Skip(format!(
                    "ICAZE_APP_BINARY={} is not a file: build it, or unset the variable",
                    binary.display()
                ))
            };
        }
        let Some(workspace) = &self.workspace else {
            return Plan::Skip(
                "this icaze was not run from its source tree, which builds the app: run `cargo run --release -p icaze -- up` in a clone, or set ICAZE_APP_BINARY".into(),
            );
        };
        let mut missing = Vec::new();
        if !self.missing_modules.is_empty() {
            missing.push(format!(
                "the WebKitGTK build packages (pkg-config lacks {}): sudo apt-get install {BUILD_PACKAGES}",
                self.missing_modules.join(", ")
            ));
        }
        if !self.node {
            missing.push(
                "Node.js 20.19 or newer with npm, for the UI: sudo apt-get install nodejs npm (Debian 13, Ubuntu 24.04; older releases: nodesource or nvm)"
                    .into(),
            );
        }
        if missing.is_empty() {
            Plan::Build(workspace.clone())
        } else {
            Plan::Skip(format!(
                "the desktop app cannot be built here yet; install {}; then run `icaze up` again (`bash tests/app/run.sh --deps` installs all of it)",
                missing.join("; and ")
            ))
        }
    }
}

fn node_ok() -> bool {
    let version = Command::new("node").arg("--version").output().ok().filter(|o| o.status.success());
    let npm = Command::new("npm").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    npm && version.is_some_and(|o| node_version_ok(&String::from_utf8_lossy(&o.stdout)))
}

/// Vite needs Node.js 20.19 or newer.
fn node_version_ok(version: &str) -> bool {
    let mut parts = version.trim().trim_start_matches('v').split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    major > 20 || (major == 20 && minor >= 19)
}

/// Builds the UI (when `ui/dist` is missing or older than the lock file) and
/// the app (a debug build with the UI embedded, as the window tests use);
/// returns the binary. Output goes to the terminal: the first build takes
/// minutes.
pub(crate) fn build(workspace: &Path) -> anyhow::Result<PathBuf> {
    let ui = workspace.join("ui");
    let stamp = ui.join("node_modules/.icaze-package-lock");
    let lock = std::fs::read(ui.join("package-lock.json"))?;
    if std::fs::read(&stamp).ok().as_deref() != Some(&lock[..]) {
        eprintln!("up: installing the UI's npm packages (npm ci)");
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&ui))?;
        std::fs::write(&stamp, &lock)?;
    }
    eprintln!("up: building the UI (npm run build)");
    run(Command::new("npm").args(["run", "build"]).current_dir(&ui))?;
    eprintln!("up: building the desktop app (cargo build -p icaze-app; the first build takes a few minutes)");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(Command::new(cargo)
        .args(["build", "--locked", "-p", "icaze-app", "--features", "custom-protocol"])
        .current_dir(workspace))?;
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace.join("target"));
    Ok(target.join("debug/icaze-app"))
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command.status().map_err(|e| anyhow::anyhow!("{command:?} did not start: {e}"))?;
    anyhow::ensure!(status.success(), "{command:?} failed ({status})");
    Ok(())
}

/// Opens the app's window on the device in `device_dir`.
pub(crate) fn start(binary: &Path, device_dir: &Path) -> anyhow::Result<Child> {
    Command::new(binary)
        .env("ICAZE_DEVICE_DIR", device_dir)
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| anyhow::anyhow!("{} did not start: {e}", binary.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe() -> Probe {
        Probe {
            display: true,
            binary: None,
            workspace: Some(PathBuf::from("/src/icaze")),
            missing_modules: Vec::new(),
            node: true,
        }
    }

    #[test]
    fn with_everything_there_the_app_is_built_in_the_workspace() {
        assert_eq!(probe().plan(), Plan::Build(PathBuf::from("/src/icaze")));
    }

    /// Why `p` plans to build and run nothing.
    fn skipped(p: &Probe) -> String {
        match p.plan() {
            Plan::Skip(why) => why,
            plan => panic!("planned {plan:?}, not to skip"),
        }
    }

    #[test]
    fn without_a_display_nothing_is_built() {
        assert!(skipped(&Probe { display: false, ..probe() }).contains("no display"));
    }

    #[test]
    fn missing_packages_are_named_with_the_command_that_installs_them() {
        let why = skipped(&Probe { missing_modules: vec!["webkit2gtk-4.1"], node: false, ..probe() });
        assert!(why.contains("webkit2gtk-4.1"), "{why}");
        assert!(why.contains("sudo apt-get install libwebkit2gtk-4.1-dev"), "{why}");
        assert!(why.contains("Node.js 20.19"), "{why}");
    }

    #[test]
    fn a_given_binary_is_used_only_if_it_exists() {
        let exe = std::env::current_exe().unwrap();
        assert_eq!(Probe { binary: Some(exe.clone()), ..probe() }.plan(), Plan::Run(exe));
        let p = Probe { binary: Some(PathBuf::from("/nonexistent/icaze-app")), ..probe() };
        assert!(skipped(&p).contains("is not a file"));
    }

    #[test]
    fn outside_the_source_tree_it_says_how_to_get_the_app() {
        assert!(skipped(&Probe { workspace: None, ..probe() }).contains("ICAZE_APP_BINARY"));
    }

    #[test]
    fn node_versions() {
        for (v, ok) in
            [("v20.19.0\n", true), ("v22.1.0", true), ("v20.18.9", false), ("v18.19.0", false), ("junk", false)]
        {
            assert_eq!(node_version_ok(v), ok, "{v}");
        }
    }
}
