//! The one error type every command returns: a stable machine code for the
//! UI to translate, and an English sentence for logs and for codes the UI does
//! not know yet.

use serde::Serialize;

/// What reaches the UI when a command fails, serialised as `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS, thiserror::Error)]
#[error("{message} ({code})")]
pub struct AppError {
    /// A stable snake_case code, e.g. `not_a_device`, `bad_zone`, `not_found`.
    pub code: String,
    /// What went wrong and what to do, in English.
    pub message: String,
}

impl AppError {
    /// An error with this code and message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into() }
    }
}

impl From<icaze_device::DeviceError> for AppError {
    fn from(e: icaze_device::DeviceError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<icaze_device::SyncError> for AppError {
    fn from(e: icaze_device::SyncError) -> Self {
        match e {
            // The device's own failures keep their codes, which the UI
            // already translates (`storage`, `damaged`…).
            icaze_device::SyncError::Device(inner) => inner.into(),
            other => Self::new(other.code(), other.to_string()),
        }
    }
}

impl From<icaze_qr::QrError> for AppError {
    fn from(e: icaze_qr::QrError) -> Self {
        // The codes of icaze-qr are namespaced so that `not_found` (no QR code
        // in the image) cannot be confused with any other `not_found`.
        Self::new(&format!("qr_{}", e.code()), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_code_and_message() {
        let e: AppError = icaze_qr::QrError::NotFound.into();
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "qr_not_found");
        assert!(json["message"].as_str().unwrap().starts_with("no QR code was found"));
        assert_eq!(json.as_object().unwrap().len(), 2);
    }
}
