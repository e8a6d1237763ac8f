//! The Tauri commands: each takes the lock, reads the clock and calls one
//! [`AppCore`] method. Nothing here decides anything.
//!
//! Commands are `async` so that Tauri runs them off the main thread: a check
//! waits for SQLite to commit, and decoding a photo takes a while.

use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use tauri::ipc::{InvokeBody, Request};
use tauri::State;

use crate::core::{now, AppCore, AppStatus, Enrollment, ManualRequest, TodayLog};
use crate::error::AppError;
use crate::settings::Settings;

/// The shared state: one device, one writer at a time.
pub type Shared<'a> = State<'a, Mutex<AppCore>>;

/// The header that carries the zone with a raw-bytes request.
pub const ZONE_HEADER: &str = "icaze-zone";

fn lock<'a>(state: &'a Shared<'_>) -> MutexGuard<'a, AppCore> {
    // A panic while the lock was held can only have happened before a
    // device call returned (each commits or rolls back on its own) or in
    // reading: the state is consistent, so carry on rather than brick the app.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The raw bytes of a request (a file the UI read), or an error.
fn raw_body<'r>(request: &'r Request<'_>) -> Result<&'r [u8], AppError> {
    match request.body() {
        InvokeBody::Raw(bytes) => Ok(bytes),
        InvokeBody::Json(_) => Err(AppError::new("bad_request", "expected the file's bytes, not JSON")),
    }
}

fn zone_header(request: &Request<'_>) -> Result<u16, AppError> {
    request
        .headers()
        .get(ZONE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| AppError::new("bad_zone", "choose your zone in Settings before checking permits"))
}

/// The app's standing: device, data age, outbox, settings.
#[tauri::command]
pub async fn status(state: Shared<'_>) -> Result<AppStatus, AppError> {
    lock(&state).status(now()?)
}

/// First start: pin the root key (text of `root.public`) and set the badge.
#[tauri::command]
pub async fn init_device(
    state: Shared<'_>,
    root_public: String,
    officer: Option<String>,
) -> Result<AppStatus, AppError> {
    lock(&state).init_device(&root_public, officer, now()?)
}

/// Checks a pasted or typed text in `zone`.
#[tauri::command]
pub async fn check_text(state: Shared<'_>, text: String, zone: u16) -> Result<Value, AppError> {
    lock(&state).check_text(&text, zone, now()?)
}

/// Checks the QR code in an image: the body is the file's bytes, the zone a header.
#[tauri::command]
pub async fn check_image(state: Shared<'_>, request: Request<'_>) -> Result<Value, AppError> {
    let (bytes, zone) = (raw_body(&request)?, zone_header(&request)?);
    lock(&state).check_image(bytes, zone, now()?)
}

/// Records a manual check.
#[tauri::command]
pub async fn record_manual(state: Shared<'_>, request: ManualRequest) -> Result<Value, AppError> {
    lock(&state).record_manual(request, now()?)
}

/// Today's inspections and the number waiting for upload.
#[tauri::command]
pub async fn today_log(state: Shared<'_>) -> Result<TodayLog, AppError> {
    lock(&state).today_log(now()?)
}

/// Applies a bundle file: the body is the file's bytes.
#[tauri::command]
pub async fn import_bundle(state: Shared<'_>, request: Request<'_>) -> Result<Value, AppError> {
    let bytes = raw_body(&request)?;
    lock(&state).import_bundle(bytes, now()?)
}

/// The enrollment code as text and QR.
#[tauri::command]
pub async fn enrollment(state: Shared<'_>) -> Result<Enrollment, AppError> {
    lock(&state).enrollment()
}

/// The settings.
#[tauri::command]
pub async fn get_settings(state: Shared<'_>) -> Result<Settings, AppError> {
    Ok(lock(&state).settings().clone())
}

/// Checks and saves the settings.
#[tauri::command]
pub async fn save_settings(state: Shared<'_>, settings: Settings) -> Result<Settings, AppError> {
    lock(&state).save_settings(settings)
}
