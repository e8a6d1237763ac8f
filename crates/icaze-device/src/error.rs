//! What can go wrong on the device, apart from a permit being invalid (that is
//! a verdict, not an error).

use std::fmt;
use std::path::PathBuf;

use icaze_protocol::RecordError;

/// A failure of the device store or of a bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The directory holds no device.
    #[error("{0} holds no device: run `icaze device --data DIR init` first")]
    NotADevice(PathBuf),
    /// `init` found a device already there.
    #[error("{0} already holds a device: refusing to replace its key and log (choose an empty directory)")]
    AlreadyExists(PathBuf),
    /// The database file is not an Icaze device database, or is damaged.
    #[error(
        "{path} is damaged or not an Icaze device database ({detail}): restore it from a backup, \
         or move it away and init a new device"
    )]
    Damaged {
        /// The database file.
        path: PathBuf,
        /// What SQLite or the reader found.
        detail: String,
    },
    /// The database was written by newer software.
    #[error("the device database is at schema version {found}, newer than this software ({known}): update it")]
    NewerSchema {
        /// The database's version.
        found: i64,
        /// The newest this software knows.
        known: i64,
    },
    /// SQLite failed (a full disk, for instance); nothing was committed.
    #[error("the device database failed, nothing was recorded: {0}")]
    Storage(#[from] StorageError),
    /// The device key file is damaged.
    #[error("{0}: the device key file is damaged (expected `icaze-device-key-v1 SEED`)")]
    KeyFile(PathBuf),
    /// The server certificate to pin is not one.
    #[error("the server certificate to pin is refused: {0}; give the PEM file of the server's certificate or its CA")]
    ServerCertificate(String),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(String),
    /// The bundle does not verify against the pinned root, or is malformed.
    #[error("the bundle is refused: {0}")]
    Bundle(#[from] icaze_core::BundleError),
    /// The bundle is not newer than the data the device has.
    #[error("the bundle is version {offered}, not newer than the device's version {current}: refused as a rollback")]
    Rollback {
        /// The device's bundle version.
        current: u64,
        /// The bundle's.
        offered: u64,
    },
    /// The bundle's trust list is older than the device's.
    #[error(
        "the bundle carries trust list version {offered}, older than the device's version {current}: refused as a rollback"
    )]
    TrustListRollback {
        /// The device's trust list version.
        current: u64,
        /// The bundle's.
        offered: u64,
    },
    /// A delta bundle that does not apply to the device's version.
    #[error("the bundle is a delta from version {base}, but the device has {}: a full bundle is needed", match .current { Some(v) => format!("version {v}"), None => "no data".to_owned() })]
    NeedFullBundle {
        /// The version the delta applies to.
        base: u64,
        /// The device's version, if any.
        current: Option<u64>,
    },
    /// A required field of a manual check is empty.
    #[error("the field `{0}` is required: fill it in")]
    MissingField(&'static str),
    /// A record cannot be written (a field too long) or read back.
    #[error("inspection record: {0}")]
    Record(#[from] RecordError),
}

/// An error of the embedded database, kept opaque so that the public API does
/// not name the SQLite binding.
#[derive(Debug)]
pub struct StorageError(pub(crate) rusqlite::Error);

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What the officer can do about the two failures a phone meets: a full
        // disk (ENOSPC) and a write refused by the system (a file size limit,
        // failing storage), which SQLite reports as an I/O error.
        match self.0.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => {
                write!(f, "{}: the storage is full; free some space on the device, then check again", self.0)
            }
            Some(rusqlite::ErrorCode::SystemIoFailure) => write!(
                f,
                "{}: the storage could not be written (full or failing); free some space, then check again",
                self.0
            ),
            _ => self.0.fmt(f),
        }
    }
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl From<rusqlite::Error> for DeviceError {
    fn from(e: rusqlite::Error) -> Self {
        DeviceError::Storage(StorageError(e))
    }
}

impl DeviceError {
    /// A stable machine code, e.g. `rollback`, `need_full_bundle`.
    pub fn code(&self) -> &'static str {
        match self {
            DeviceError::Io { .. } => "io",
            DeviceError::NotADevice(_) => "not_a_device",
            DeviceError::AlreadyExists(_) => "already_exists",
            DeviceError::Damaged { .. } => "damaged",
            DeviceError::NewerSchema { .. } => "newer_schema",
            DeviceError::Storage(_) => "storage",
            DeviceError::KeyFile(_) => "key_file",
            DeviceError::Random(_) => "random",
            DeviceError::ServerCertificate(_) => "server_certificate",
            DeviceError::Bundle(_) => "bad_bundle",
            DeviceError::Rollback { .. } => "rollback",
            DeviceError::TrustListRollback { .. } => "trust_list_rollback",
            DeviceError::NeedFullBundle { .. } => "need_full_bundle",
            DeviceError::MissingField(_) => "missing_field",
            DeviceError::Record(_) => "record",
        }
    }
}
