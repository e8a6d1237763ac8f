//! Generates the permissions of the app's own commands (`allow-<command>`),
//! so that a capability must name each command a window may call.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(icaze_app_commands::ALL);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .unwrap_or_else(|e| panic!("tauri-build failed: {e:#}"));
}

/// The command list, shared with `src/commands.rs` through `include!`.
mod icaze_app_commands {
    include!("src/command_names.rs");
}
