//! The Supervisor screen's commands: a precinct supervisor (or the
//! administrator) signs in with the service's address and their token, and
//! then reads the precinct's inspections and statistics and acts on devices
//! and permits through [`icaze_device::supervisor::SupervisorClient`].
//!
//! The credential is kept in memory only, in [`SupervisorSession`], for as
//! long as the app runs: it is never written to disk, never logged and never
//! sent back to the UI (the client's `Debug` output hides it). Signing in
//! again or signing out replaces it.
//!
//! The commands are thin: each takes the signed-in client out of the session
//! and makes one call; [`SupervisorSession`]'s methods are what the tests call.
//! Nothing here touches the officer's device or its inspection log.

use std::sync::{Mutex, PoisonError};

use icaze_device::supervisor::{
    CodesFilter, HourlyFilter, InspectionFilter, RevokeTarget, SupervisorClient, SupervisorError,
};
use icaze_protocol::api::report::CodeReport;
use icaze_protocol::api::sync::{Activity, Device, DeviceList, InspectionPage, Receipt, Revoked, Whoami};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tauri::ipc::{InvokeBody, Request};
use tauri::State;
use ts_rs::TS;

use crate::error::AppError;

/// `value` read as the answer `T`, one of `icaze_protocol::api`'s types (the
/// ones the server answers with, and whose TypeScript the UI reads), or the
/// error the UI shows: an answer that does not read is the service's fault
/// (`supervisor_protocol`), not a screen that shows blanks. Fields the app
/// does not know are dropped, so a newer service still works.
fn read<T: DeserializeOwned>(what: &str, value: Value) -> Result<T, AppError> {
    serde_json::from_value(value).map_err(|e| {
        AppError::new("supervisor_protocol", format!("the service's answer to {what} does not read as expected: {e}"))
    })
}

impl From<SupervisorError> for AppError {
    fn from(e: SupervisorError) -> Self {
        // Namespaced, so that the Sync screen's `refused` or `unreachable`
        // (which tell an officer to sync again) are never shown for these.
        AppError::new(&format!("supervisor_{}", e.code()), e.to_string())
    }
}

/// Who signed in, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SignedIn {
    /// The service's address, as requests go to it.
    pub server: String,
    /// Who the token is.
    pub whoami: Whoami,
}

/// The signed-in credential, if any.
#[derive(Debug, Default)]
pub struct SupervisorSession {
    // Invariant: only ever holds a client whose token the service accepted
    // at sign-in (it may have been revoked since: every call is checked again).
    client: Mutex<Option<SupervisorClient>>,
}

impl SupervisorSession {
    /// Checks the credential with `whoami` and keeps it; a refused one leaves
    /// the session signed out, whatever it held before.
    pub async fn login(&self, server: &str, token: &str) -> Result<SignedIn, AppError> {
        self.logout();
        let client = SupervisorClient::new(server, token)?;
        let whoami = client.whoami().await?;
        if whoami.role == "service" {
            return Err(AppError::new(
                "supervisor_not_a_supervisor",
                "this is a service's token, not a supervisor's: sign in with a supervisor's or the administrator's token",
            ));
        }
        let signed_in = SignedIn { server: client.server().to_owned(), whoami };
        *self.slot() = Some(client);
        Ok(signed_in)
    }

    /// Forgets the credential.
    pub fn logout(&self) {
        *self.slot() = None;
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<SupervisorClient>> {
        // The guarded value is a plain Option replaced whole: a panic while it
        // was held cannot have left it half written.
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The signed-in client (a cheap clone), so that no lock is held across a request.
    pub fn client(&self) -> Result<SupervisorClient, AppError> {
        self.slot().clone().ok_or_else(|| AppError::new("supervisor_signed_out", "sign in as a supervisor first"))
    }

    /// A page of inspections.
    pub async fn inspections(&self, filter: &InspectionFilter) -> Result<InspectionPage, AppError> {
        read("the inspections", self.client()?.inspections(filter).await?)
    }

    /// The same page as CSV text.
    pub async fn inspections_csv(&self, filter: &InspectionFilter) -> Result<String, AppError> {
        Ok(self.client()?.inspections_csv(filter).await?)
    }

    /// Counts per hour and per officer.
    pub async fn hourly(&self, filter: &HourlyFilter) -> Result<Activity, AppError> {
        read("the hourly counts", self.client()?.hourly(filter).await?)
    }

    /// The abuse report of the SMS codes for a day (the Codes view).
    pub async fn codes(&self, filter: &CodesFilter) -> Result<CodeReport, AppError> {
        read("the code report", self.client()?.code_report(filter).await?)
    }

    /// The same report's hours as CSV text.
    pub async fn codes_csv(&self, filter: &CodesFilter) -> Result<String, AppError> {
        Ok(self.client()?.code_report_csv(filter).await?)
    }

    /// The devices, or those not synced for `stale_hours`.
    pub async fn devices(&self, stale_hours: Option<u32>) -> Result<DeviceList, AppError> {
        read("the devices", self.client()?.devices(stale_hours).await?)
    }

    /// Approves a device's enrollment code for a badge and a precinct.
    pub async fn approve(&self, code: &str, badge: &str, precinct: &str) -> Result<Device, AppError> {
        read("the approval", self.client()?.approve(code, badge, precinct).await?)
    }

    /// Suspends (`suspended`) or resumes a device.
    pub async fn set_suspended(&self, device: &str, suspended: bool, reason: &str) -> Result<Device, AppError> {
        let client = self.client()?;
        let answer =
            if suspended { client.suspend(device, reason).await? } else { client.resume(device, reason).await? };
        read("the device's new status", answer)
    }

    /// Revokes a permit by serial, or every valid permit of a document: exactly one of the two.
    pub async fn revoke(
        &self,
        serial: Option<u32>,
        document: Option<String>,
        reason: &str,
    ) -> Result<Revoked, AppError> {
        let document = document.filter(|d| !d.trim().is_empty());
        let target = match (serial, document) {
            (Some(serial), None) => RevokeTarget::Serial(serial),
            (None, Some(document)) => RevokeTarget::Document(document),
            _ => {
                return Err(AppError::new(
                    "supervisor_revoke_target",
                    "give either the permit's serial or the document, not both and not neither",
                ))
            }
        };
        read("the revocation", self.client()?.revoke(&target, reason).await?)
    }

    /// Imports a device's export file.
    pub async fn import(&self, bytes: Vec<u8>) -> Result<Receipt, AppError> {
        read("the import", self.client()?.import_export_file(bytes).await?)
    }
}

/// The session as Tauri keeps it.
pub type Session<'a> = State<'a, SupervisorSession>;

/// Signs in with the service's address and a token (checked with `whoami`).
#[tauri::command]
pub async fn supervisor_login(session: Session<'_>, server: String, token: String) -> Result<SignedIn, AppError> {
    session.login(&server, &token).await
}

/// Signs out: the token is forgotten.
#[tauri::command]
pub async fn supervisor_logout(session: Session<'_>) -> Result<(), AppError> {
    session.logout();
    Ok(())
}

/// `GET /v1/inspections` with the filter.
#[tauri::command]
pub async fn supervisor_inspections(
    session: Session<'_>,
    filter: InspectionFilter,
) -> Result<InspectionPage, AppError> {
    session.inspections(&filter).await
}

/// `GET /v1/inspections?format=csv` with the filter: the CSV text.
#[tauri::command]
pub async fn supervisor_inspections_csv(session: Session<'_>, filter: InspectionFilter) -> Result<String, AppError> {
    session.inspections_csv(&filter).await
}

/// `GET /v1/stats/hourly` with the filter.
#[tauri::command]
pub async fn supervisor_hourly(session: Session<'_>, filter: HourlyFilter) -> Result<Activity, AppError> {
    session.hourly(&filter).await
}

/// `GET /admin/report/codes` for a day: the Codes view.
#[tauri::command]
pub async fn supervisor_codes(session: Session<'_>, filter: CodesFilter) -> Result<CodeReport, AppError> {
    session.codes(&filter).await
}

/// `GET /admin/report/codes?format=csv` for a day: the CSV text.
#[tauri::command]
pub async fn supervisor_codes_csv(session: Session<'_>, filter: CodesFilter) -> Result<String, AppError> {
    session.codes_csv(&filter).await
}

/// `GET /v1/devices`, only those not synced for `hours` when given.
#[tauri::command]
pub async fn supervisor_devices(session: Session<'_>, hours: Option<u32>) -> Result<DeviceList, AppError> {
    session.devices(hours).await
}

/// `POST /v1/devices`: approves an enrollment code.
#[tauri::command]
pub async fn supervisor_approve(
    session: Session<'_>,
    code: String,
    badge: String,
    precinct: String,
) -> Result<Device, AppError> {
    session.approve(&code, &badge, &precinct).await
}

/// Suspends a device.
#[tauri::command]
pub async fn supervisor_suspend(session: Session<'_>, device: String, reason: String) -> Result<Device, AppError> {
    session.set_suspended(&device, true, &reason).await
}

/// Resumes a device.
#[tauri::command]
pub async fn supervisor_resume(session: Session<'_>, device: String, reason: String) -> Result<Device, AppError> {
    session.set_suspended(&device, false, &reason).await
}

/// `POST /v1/revocations` by serial or by document.
#[tauri::command]
pub async fn supervisor_revoke(
    session: Session<'_>,
    serial: Option<u32>,
    document: Option<String>,
    reason: String,
) -> Result<Revoked, AppError> {
    session.revoke(serial, document, &reason).await
}

/// `POST /v1/imports`: the body is the export file's bytes.
#[tauri::command]
pub async fn supervisor_import(session: Session<'_>, request: Request<'_>) -> Result<Receipt, AppError> {
    let bytes = match request.body() {
        InvokeBody::Raw(bytes) => bytes.clone(),
        InvokeBody::Json(_) => return Err(AppError::new("bad_request", "expected the file's bytes, not JSON")),
    };
    session.import(bytes).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_namespaced_and_a_signed_out_session_says_so() {
        let e: AppError = SupervisorError::Unauthorized { message: "no".into() }.into();
        assert_eq!(e.code, "supervisor_unauthorized");
        let session = SupervisorSession::default();
        assert_eq!(session.client().unwrap_err().code, "supervisor_signed_out");
    }

    #[test]
    fn revoking_needs_exactly_one_target() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let session = SupervisorSession::default();
        let both = runtime.block_on(session.revoke(Some(7), Some("AZE1".into()), "lost"));
        assert_eq!(both.unwrap_err().code, "supervisor_revoke_target");
        let neither = runtime.block_on(session.revoke(None, Some("  ".into()), "lost"));
        assert_eq!(neither.unwrap_err().code, "supervisor_revoke_target");
        // One target, but nobody signed in.
        let one = runtime.block_on(session.revoke(Some(7), None, "lost"));
        assert_eq!(one.unwrap_err().code, "supervisor_signed_out");
    }
}
