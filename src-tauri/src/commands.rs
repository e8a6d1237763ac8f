//! The Tauri commands: each takes the lock, reads the clock and calls one
//! [`AppCore`] method. Nothing here decides anything.
//!
//! Commands are `async` so that Tauri runs them off the main thread: a check
//! waits for SQLite to commit, decoding a photo takes a while, and a sync
//! waits for the network.

use icaze_device::answers::{LogRecord, ServiceCardAnswer, SyncAnswer, VerdictAnswer};
use icaze_device::BundleApplied;
use tauri::ipc::{InvokeBody, Request};
use tauri::State;
use tokio::sync::{Mutex, MutexGuard};

use crate::core::{
    now, AppCore, AppStatus, Enrollment, Exported, ManualRequest, ServiceCardRequest, TodayLog, ZoneName,
};
use crate::error::AppError;
use crate::settings::Settings;

/// The shared state: one device, one writer at a time.
///
/// The mutex is tokio's, not std's, because `sync_now` keeps the device
/// borrowed across the network's `.await`s (the sync client needs
/// `&mut Device` from its first upload to applying the bundle). A std guard
/// held across an `.await` would block a runtime thread and make the command's
/// future not `Send`; an async guard just makes the other commands wait their
/// turn. So a check made during a sync is answered when the sync ends (within
/// the app's sync timeouts, see `AppCore::sync_now`), never refused and never
/// interleaved with the sync's acknowledgements. Taking the device out of
/// `AppCore` for the sync would answer sooner, but only with an error, and
/// would leave every other command to handle a device that is briefly missing.
pub type Shared<'a> = State<'a, Mutex<AppCore>>;

/// The header that carries the zone with a raw-bytes request.
pub const ZONE_HEADER: &str = "icaze-zone";

async fn lock<'a>(state: &'a Shared<'_>) -> MutexGuard<'a, AppCore> {
    // tokio's mutex is not poisoned by a panic: a panic while it was held can
    // only have happened before a device call returned (each commits or rolls
    // back on its own) or in reading, so the state is consistent.
    state.lock().await
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
    lock(&state).await.status(now()?)
}

/// First start: pin the root key (text of `root.public`) and set the badge.
#[tauri::command]
pub async fn init_device(
    state: Shared<'_>,
    root_public: String,
    officer: Option<String>,
) -> Result<AppStatus, AppError> {
    lock(&state).await.init_device(&root_public, officer, now()?)
}

/// Checks a pasted or typed text in `zone`.
#[tauri::command]
pub async fn check_text(state: Shared<'_>, text: String, zone: u16) -> Result<VerdictAnswer, AppError> {
    lock(&state).await.check_text(&text, zone, now()?)
}

/// Checks the QR code in an image: the body is the file's bytes, the zone a header.
#[tauri::command]
pub async fn check_image(state: Shared<'_>, request: Request<'_>) -> Result<VerdictAnswer, AppError> {
    let (bytes, zone) = (raw_body(&request)?, zone_header(&request)?);
    lock(&state).await.check_image(bytes, zone, now()?)
}

/// Records a manual check.
#[tauri::command]
pub async fn record_manual(state: Shared<'_>, request: ManualRequest) -> Result<LogRecord, AppError> {
    lock(&state).await.record_manual(request, now()?)
}

/// Checks a service card's organisation and records the check.
#[tauri::command]
pub async fn check_service_card(state: Shared<'_>, request: ServiceCardRequest) -> Result<ServiceCardAnswer, AppError> {
    lock(&state).await.check_service_card(request, now()?)
}

/// Today's inspections and the number waiting for upload.
#[tauri::command]
pub async fn today_log(state: Shared<'_>) -> Result<TodayLog, AppError> {
    lock(&state).await.today_log(now()?)
}

/// Applies a bundle file: the body is the file's bytes.
#[tauri::command]
pub async fn import_bundle(state: Shared<'_>, request: Request<'_>) -> Result<BundleApplied, AppError> {
    let bytes = raw_body(&request)?;
    lock(&state).await.import_bundle(bytes, now()?)
}

/// The enrollment code as text and QR.
#[tauri::command]
pub async fn enrollment(state: Shared<'_>) -> Result<Enrollment, AppError> {
    lock(&state).await.enrollment()
}

/// The zones of the bundle's regimes with their names, for the zone picker.
#[tauri::command]
pub async fn zones(state: Shared<'_>) -> Result<Vec<ZoneName>, AppError> {
    let now = now()?;
    Ok(lock(&state).await.zones(now))
}

/// The settings.
#[tauri::command]
pub async fn get_settings(state: Shared<'_>) -> Result<Settings, AppError> {
    Ok(lock(&state).await.settings().clone())
}

/// Checks and saves the settings.
#[tauri::command]
pub async fn save_settings(state: Shared<'_>, settings: Settings) -> Result<Settings, AppError> {
    lock(&state).await.save_settings(settings)
}

/// Syncs with the server now; the answer is what `icaze device sync` prints.
#[tauri::command]
pub async fn sync_now(state: Shared<'_>) -> Result<SyncAnswer, AppError> {
    let now = now()?;
    lock(&state).await.sync_now(now).await
}

/// Writes an export file for the precinct into the device directory's `exports/`.
#[tauri::command]
pub async fn export_outbox(state: Shared<'_>) -> Result<Exported, AppError> {
    lock(&state).await.export(now()?)
}
