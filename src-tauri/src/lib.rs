//! The Icaze officer app: a Tauri 2 window over the device core.
//!
//! All decisions live in `icaze-device`; [`core::AppCore`] holds the opened
//! device and the settings and has one method per command, and `commands`
//! wraps each in a few lines of Tauri. The UI (`ui/`, TypeScript) receives
//! verdicts as the JSON of `icaze device check` and errors as
//! `{code, message}` ([`error::AppError`]).
//!
//! ```no_run
//! // The device directory is the app data directory, or ICAZE_DEVICE_DIR.
//! let core = icaze_app::core::AppCore::open(std::path::Path::new("/tmp/officer-device"));
//! let status = core.status(icaze_app::core::now()?)?;
//! println!("{}", status.dir);
//! # Ok::<(), icaze_app::error::AppError>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod bindings;
#[cfg(target_os = "linux")]
mod camera;
pub mod commands;
pub mod core;
pub mod error;
pub mod settings;
pub mod supervisor;

use std::path::PathBuf;

use tauri::Manager as _;

/// The names of the app's commands, each granted by `capabilities/main.json`.
pub mod command_names {
    include!("command_names.rs");
}

/// The device directory: `ICAZE_DEVICE_DIR` if set, else the app data directory.
fn device_dir(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(dir) = std::env::var_os(core::DEVICE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    Ok(app.path().app_data_dir()?)
}

/// Starts the app; returns when its window closes.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let result = tauri::Builder::default()
        .setup(|app| {
            let dir = device_dir(app)?;
            eprintln!("icaze-app: device directory {}", dir.display());
            app.manage(tokio::sync::Mutex::new(core::AppCore::open(&dir)));
            app.manage(supervisor::SupervisorSession::default());
            #[cfg(target_os = "linux")]
            if let Some(window) = app.get_webview_window("main") {
                window.with_webview(camera::allow_camera)?;
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::init_device,
            commands::check_text,
            commands::check_image,
            commands::record_manual,
            commands::check_service_card,
            commands::today_log,
            commands::import_bundle,
            commands::enrollment,
            commands::zones,
            commands::get_settings,
            commands::save_settings,
            commands::sync_now,
            commands::export_outbox,
            supervisor::supervisor_login,
            supervisor::supervisor_logout,
            supervisor::supervisor_inspections,
            supervisor::supervisor_inspections_csv,
            supervisor::supervisor_hourly,
            supervisor::supervisor_codes,
            supervisor::supervisor_codes_csv,
            supervisor::supervisor_devices,
            supervisor::supervisor_approve,
            supervisor::supervisor_suspend,
            supervisor::supervisor_resume,
            supervisor::supervisor_revoke,
            supervisor::supervisor_import,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("icaze-app: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    /// Every command is granted to the main window, and nothing else is:
    /// no core, event, window or plugin permission.
    #[test]
    fn the_main_capability_grants_exactly_the_commands() {
        let text = include_str!("../capabilities/main.json");
        let capability: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
        let granted: Vec<&str> =
            capability["permissions"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        let expected: Vec<String> =
            super::command_names::ALL.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
        assert_eq!(granted, expected);
    }
}
