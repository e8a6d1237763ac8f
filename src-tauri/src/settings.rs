//! The officer's preferences: language, zone, badge, theme and sync server,
//! kept as JSON next to the device database (`app-settings.json`), and what
//! the last sync learnt of the device's enrollment (`app-sync.json`). Neither
//! is part of the inspection log and neither carries trust: a zone chosen here
//! is only what the officer says, and every record repeats it; the enrollment
//! is only shown, never used to decide anything.

use std::path::{Path, PathBuf};

use icaze_core::ZoneId;
use icaze_device::{Enrollment, OfficerBadge};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::AppError;

/// The settings file in the device directory.
pub const SETTINGS_FILE: &str = "app-settings.json";

/// What the last sync learnt, in the device directory. A file of its own, not a
/// field of [`Settings`], so that saving the settings from the UI can never
/// write back an enrollment status older than the one a sync just stored.
pub const ENROLLMENT_FILE: &str = "app-sync.json";

/// The longest settings file read; anything larger is not ours.
const MAX_SETTINGS_BYTES: u64 = 16 * 1024;

/// The longest sync server address accepted.
pub const MAX_SERVER_CHARS: usize = 512;

/// The interface language. Azerbaijani is the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Azerbaijani.
    #[default]
    Az,
    /// Russian.
    Ru,
    /// English.
    En,
}

/// The colour scheme: outdoors by day, at night, or for poor sight and glare.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Dark text on light ground.
    #[default]
    Light,
    /// Light text on dark ground, for night duty.
    Dark,
    /// Black and white with heavy borders, for glare.
    HighContrast,
}

/// What the officer chose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The interface language.
    #[serde(default)]
    pub language: Language,
    /// The zone the officer stands in, 1 to `ZoneId::MAX`; none until chosen.
    #[serde(default)]
    pub zone: Option<u16>,
    /// The badge number for records, when the device was not issued with one.
    #[serde(default)]
    pub officer: Option<String>,
    /// The colour scheme.
    #[serde(default)]
    pub theme: Theme,
    /// The sync server (`http://HOST:PORT` or `https://HOST`), when not the
    /// one the device was set up with; it wins over that one.
    #[serde(default)]
    pub server: Option<String>,
}

impl Settings {
    /// Checks the fields a command will rely on: the zone in range, the badge well formed.
    pub fn validate(&self) -> Result<(), AppError> {
        if let Some(zone) = self.zone {
            zone_id(zone)?;
        }
        if let Some(badge) = &self.officer {
            OfficerBadge::new(badge).map_err(|e| AppError::new("bad_badge", e.to_string()))?;
        }
        if let Some(server) = &self.server {
            check_server(server)?;
        }
        Ok(())
    }

    /// The settings in `dir`, or the defaults when there are none yet. A
    /// damaged or oversized file also gives the defaults (and is replaced at
    /// the next save): preferences are not worth stopping an inspection for.
    pub fn load(dir: &Path) -> Self {
        read_json::<Settings>(&dir.join(SETTINGS_FILE)).filter(|s| s.validate().is_ok()).unwrap_or_default()
    }

    /// Writes the settings to `dir`, through a temporary file and a rename so
    /// that a crash leaves the old file or the new one, never half of one.
    pub fn save(&self, dir: &Path) -> Result<(), AppError> {
        self.validate()?;
        write_json(dir, SETTINGS_FILE, self)
    }
}

/// The device's standing on the sync server, as the last sync that reached
/// it said (`docs/sync-api.md` section 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentStatus {
    /// `active`, `suspended`, or `unknown` (not approved yet).
    pub status: Enrollment,
    /// The officer the server assigned the device to.
    pub badge: Option<String>,
    /// The device's precinct.
    pub precinct: Option<String>,
    /// When the device learnt it: its clock at that sync, RFC 3339 in Baku time.
    pub checked_at: String,
    /// The server that said so.
    pub server: String,
}

impl EnrollmentStatus {
    /// The status stored in `dir`, or `None` before the first sync (or when
    /// the file is damaged: the next sync writes it again).
    pub fn load(dir: &Path) -> Option<Self> {
        read_json(&dir.join(ENROLLMENT_FILE))
    }

    /// Stores the status in `dir`, atomically like the settings.
    pub fn save(&self, dir: &Path) -> Result<(), AppError> {
        write_json(dir, ENROLLMENT_FILE, self)
    }
}

/// Checks the shape of a sync server address (the sync client parses it again).
fn check_server(server: &str) -> Result<(), AppError> {
    let bad = |why: &str| {
        AppError::new(
            "bad_url",
            format!("the server address {server:?} {why}: give it as http://HOST:PORT or https://HOST"),
        )
    };
    if server.chars().count() > MAX_SERVER_CHARS {
        return Err(bad(&format!("is longer than {MAX_SERVER_CHARS} characters")));
    }
    if server.chars().any(char::is_whitespace) {
        return Err(bad("holds spaces"));
    }
    let rest = server.strip_prefix("http://").or_else(|| server.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() => Ok(()),
        _ => Err(bad("is not an http or https address")),
    }
}

/// A small JSON file of the app's, or `None` when it is missing, oversized or
/// does not read: preferences are not worth stopping an inspection for.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_SETTINGS_BYTES {
        return None;
    }
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Writes `value` as `dir/name` through a temporary file and a rename.
fn write_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<(), AppError> {
    let io = |path: &PathBuf, e: std::io::Error| {
        AppError::new("io", format!("{}: {e}: check that the device directory is writable", path.display()))
    };
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let text = serde_json::to_vec_pretty(value).map_err(|e| AppError::new("io", e.to_string()))?;
    std::fs::write(&tmp, text).map_err(|e| io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))
}

/// A zone number as a `ZoneId`, or the error the UI shows.
pub fn zone_id(zone: u16) -> Result<ZoneId, AppError> {
    ZoneId::new(zone).ok_or_else(|| {
        AppError::new("bad_zone", format!("zone {zone} is out of range: zones are 1 to {}", ZoneId::MAX))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
        assert_eq!(Settings::default().language, Language::Az);
        let s = Settings {
            language: Language::Ru,
            zone: Some(3),
            officer: Some("B-7".into()),
            theme: Theme::HighContrast,
            server: Some("http://10.0.0.5:8103".into()),
        };
        s.save(dir.path()).unwrap();
        assert_eq!(Settings::load(dir.path()), s);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(SETTINGS_FILE)).unwrap()).unwrap();
        assert_eq!(json["theme"], "high_contrast");
        assert_eq!(json["language"], "ru");
    }

    #[test]
    fn bad_values_are_refused_and_bad_files_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let zero = Settings { zone: Some(0), ..Settings::default() };
        assert_eq!(zero.save(dir.path()).unwrap_err().code, "bad_zone");
        let badge = Settings { officer: Some("has space".into()), ..Settings::default() };
        assert_eq!(badge.save(dir.path()).unwrap_err().code, "bad_badge");
        for server in ["ftp://x", "http://", "http://a b", "10.0.0.5:8103"] {
            let s = Settings { server: Some(server.into()), ..Settings::default() };
            assert_eq!(s.save(dir.path()).unwrap_err().code, "bad_url", "{server}");
        }
        std::fs::write(dir.path().join(SETTINGS_FILE), b"{\"language\": \"fr\"}").unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
        std::fs::write(dir.path().join(SETTINGS_FILE), vec![b' '; 20_000]).unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
    }

    #[test]
    fn the_enrollment_status_survives_and_a_settings_file_without_a_server_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(EnrollmentStatus::load(dir.path()), None);
        let e = EnrollmentStatus {
            status: Enrollment::Active,
            badge: Some("B-1042".into()),
            precinct: Some("P-12".into()),
            checked_at: "2020-12-15T10:30:00+04:00".into(),
            server: "http://127.0.0.1:8103/".into(),
        };
        e.save(dir.path()).unwrap();
        assert_eq!(EnrollmentStatus::load(dir.path()), Some(e));
        // A file written before the server address existed keeps its values.
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            br#"{"language": "en", "zone": 2, "officer": null, "theme": "dark"}"#,
        )
        .unwrap();
        let s = Settings::load(dir.path());
        assert_eq!((s.language, s.zone, s.server), (Language::En, Some(2), None));
    }
}
