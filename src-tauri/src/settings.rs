//! The officer's preferences: language, zone, badge and theme, kept as JSON
//! next to the device database (`app-settings.json`). They are not part of the
//! inspection log and carry no trust: a zone chosen here is only what the
//! officer says, and every record repeats it.

use std::path::{Path, PathBuf};

use icaze_core::ZoneId;
use icaze_device::OfficerBadge;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The settings file in the device directory.
pub const SETTINGS_FILE: &str = "app-settings.json";

/// The longest settings file read; anything larger is not ours.
const MAX_SETTINGS_BYTES: u64 = 16 * 1024;

/// The interface language. Azerbaijani is the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
        Ok(())
    }

    /// The settings in `dir`, or the defaults when there are none yet. A
    /// damaged or oversized file also gives the defaults (and is replaced at
    /// the next save): preferences are not worth stopping an inspection for.
    pub fn load(dir: &Path) -> Self {
        let path = dir.join(SETTINGS_FILE);
        let read = || -> Option<Settings> {
            let meta = std::fs::metadata(&path).ok()?;
            if meta.len() > MAX_SETTINGS_BYTES {
                return None;
            }
            let settings: Settings = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
            settings.validate().ok()?;
            Some(settings)
        };
        read().unwrap_or_default()
    }

    /// Writes the settings to `dir`, through a temporary file and a rename so
    /// that a crash leaves the old file or the new one, never half of one.
    pub fn save(&self, dir: &Path) -> Result<(), AppError> {
        self.validate()?;
        let io = |path: &PathBuf, e: std::io::Error| {
            AppError::new("io", format!("{}: {e}: check that the device directory is writable", path.display()))
        };
        let path = dir.join(SETTINGS_FILE);
        let tmp = dir.join(format!("{SETTINGS_FILE}.tmp"));
        let text = serde_json::to_vec_pretty(self).map_err(|e| AppError::new("io", e.to_string()))?;
        std::fs::write(&tmp, text).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))
    }
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
        let s =
            Settings { language: Language::Ru, zone: Some(3), officer: Some("B-7".into()), theme: Theme::HighContrast };
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
        std::fs::write(dir.path().join(SETTINGS_FILE), b"{\"language\": \"fr\"}").unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
        std::fs::write(dir.path().join(SETTINGS_FILE), vec![b' '; 20_000]).unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
    }
}
