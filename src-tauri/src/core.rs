//! What the app does, without Tauri: the device directory, the opened
//! [`Device`], the settings, and one method per command. The commands in
//! `commands.rs` only take the lock, read the clock and call these, so the
//! tests below exercise everything but the IPC.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use icaze_core::UtcMinute;
use icaze_device::answers::{LogRecord, StatusAnswer, SyncAnswer, VerdictAnswer};
use icaze_device::{
    BundleApplied, Device, InitConfig, ManualCheck, Notes, OfficerBadge, Scene, SyncClient, SyncConfig,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::AppError;
use crate::settings::{zone_id, EnrollmentStatus, Settings};

mod cards;

pub use cards::ServiceCardRequest;

/// The environment variable that overrides the device directory (tests, kiosks).
pub const DEVICE_DIR_ENV: &str = "ICAZE_DEVICE_DIR";

/// The longest text accepted for a check: a permit SMS is 160 characters and
/// a forwarded one a few hundred; anything longer is not a permit and is
/// refused before it reaches the parser or the log.
pub const MAX_TEXT_BYTES: usize = 4096;
/// The largest image accepted for a QR check (a phone photo is 2 to 8 MB).
pub const MAX_IMAGE_BYTES: usize = 24 * 1024 * 1024;
/// The largest bundle file accepted.
pub const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;
/// The most records the log screen receives.
pub const MAX_LOG_SHOWN: u64 = 500;
/// The longest officer's note.
pub const MAX_NOTE_CHARS: usize = 1000;
pub use icaze_device::EXPORT_DIR;

/// The device time now, from the system clock.
pub fn now() -> Result<UtcMinute, AppError> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| AppError::new("clock", "the system clock is before 1970: set the clock"))?
        .as_secs();
    i64::try_from(secs)
        .ok()
        .and_then(UtcMinute::from_unix_seconds)
        .ok_or_else(|| AppError::new("clock", "the system clock is out of range: set the clock"))
}

/// The app's state: one device directory, its device once set up, the settings.
pub struct AppCore {
    dir: PathBuf,
    device: Option<Device>,
    // Why the device could not be opened (damaged database, newer schema…);
    // `None` when it opened or when the directory holds no device yet.
    open_error: Option<AppError>,
    settings: Settings,
    // What the last sync that reached the server learnt; `None` before it.
    enrollment: Option<EnrollmentStatus>,
}

/// The app's standing, for the header, the Sync screen and first start.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppStatus {
    /// The device directory.
    pub dir: String,
    /// `icaze device status`, when a device is open.
    pub device: Option<StatusAnswer>,
    /// Why the device could not be opened, if it could not.
    pub open_error: Option<AppError>,
    /// The badge that records will carry, if any.
    pub officer: Option<String>,
    /// The settings.
    pub settings: Settings,
    /// The sync server the app will use: the one in the settings, else the
    /// one the device was set up with; `None` when neither is set.
    pub server: Option<String>,
    /// The device's enrollment as the last sync learnt it; `None` before the first sync.
    pub enrollment: Option<EnrollmentStatus>,
}

/// An export file written for the precinct.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Exported {
    /// Where the file is.
    pub path: String,
    /// Records in it.
    pub records: usize,
    /// The first record's sequence number, if any.
    pub first_seq: Option<u64>,
    /// The last record's sequence number, if any.
    pub last_seq: Option<u64>,
    /// The file's length.
    pub bytes: u64,
    /// Outbox records left out because a file holds at most 100 000.
    pub left_out: u64,
}

/// A manual check as the UI sends it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ManualRequest {
    /// A service card.
    ServiceCard {
        /// The organisation on the card.
        organisation: String,
        /// The card's number.
        card_number: String,
        /// The zone the officer stands in.
        zone: u16,
        /// A free note.
        note: Option<String>,
    },
    /// A summons.
    Summons {
        /// The body that issued it.
        issuer: String,
        /// Its number.
        document: String,
        /// The zone.
        zone: u16,
        /// A free note.
        note: Option<String>,
    },
    /// Imminent danger to life or health.
    Danger {
        /// What the danger was.
        what: String,
        /// The zone.
        zone: u16,
        /// A free note.
        note: Option<String>,
    },
    /// A violation, with its protocol.
    Violation {
        /// The protocol's number.
        protocol_number: String,
        /// The article, e.g. `211.2`.
        article: String,
        /// The person's document, if known.
        document: Option<String>,
        /// The zone.
        zone: u16,
        /// A free note.
        note: Option<String>,
    },
}

/// Today's inspections, for the Log screen.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TodayLog {
    /// The start of today in Baku time (RFC 3339).
    pub day_start: String,
    /// Today's records, newest first, at most [`MAX_LOG_SHOWN`] (`icaze device log` JSON).
    pub records: Vec<LogRecord>,
    /// Records waiting for upload (all days).
    pub outbox: u64,
    /// Records in the whole log.
    pub log_records: u64,
}

/// A zone with its names, for the officer to pick in Settings and to read on
/// the Result, Log and header (the number stays on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "Zone")]
pub struct ZoneName {
    /// The zone's number, as permits, checks and records carry it.
    pub id: u16,
    /// Its name in Azerbaijani.
    pub name_az: String,
    /// Its name in Russian.
    pub name_ru: String,
    /// Its name in English.
    pub name_en: String,
}

impl From<icaze_core::BundleZone> for ZoneName {
    fn from(z: icaze_core::BundleZone) -> Self {
        Self { id: z.id.get(), name_az: z.name_az, name_ru: z.name_ru, name_en: z.name_en }
    }
}

/// The device's enrollment code, for the supervisor to scan or type.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Enrollment {
    /// The device id.
    pub device_id: String,
    /// The code, `ICZD1-…`.
    pub code: String,
    /// The code as a QR image, an SVG `data:` URL for an `<img>`.
    pub qr_svg: String,
}

/// How the app talks to the sync server: fewer tries and shorter timeouts than
/// the CLI's defaults, because the officer's other commands wait while a sync
/// holds the device (see `commands::Shared`). A phone without a network fails
/// at the connection within seconds; a server that hangs costs at most
/// 3 tries of 30 s per request.
fn app_sync_config() -> SyncConfig {
    SyncConfig {
        attempts: 3,
        base_delay: Duration::from_millis(500),
        max_delay: Duration::from_secs(4),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(30),
        ..SyncConfig::default()
    }
}

fn too_large(what: &str, len: usize, max: usize) -> AppError {
    AppError::new("too_large", format!("the {what} is {len} bytes, more than the {max} accepted: is it the right one?"))
}

fn no_device(dir: &Path) -> AppError {
    AppError::new(
        "not_a_device",
        format!("{} holds no device yet: set it up with the authority's root key first", dir.display()),
    )
}

fn optional(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

fn note(text: Option<String>) -> Result<Option<String>, AppError> {
    let text = optional(text);
    match &text {
        Some(t) if t.chars().count() > MAX_NOTE_CHARS => {
            Err(AppError::new("too_large", format!("the note is longer than {MAX_NOTE_CHARS} characters: shorten it")))
        }
        _ => Ok(text),
    }
}

impl AppCore {
    /// Opens the device in `dir` if there is one; a directory without a device
    /// gives an app waiting to be set up, a damaged one an app that says so.
    pub fn open(dir: &Path) -> Self {
        let settings = Settings::load(dir);
        let (device, open_error) = if dir.join(icaze_device::DB_FILE).exists() {
            match Device::open(dir) {
                Ok(device) => (Some(device), None),
                Err(e) => (None, Some(AppError::from(e))),
            }
        } else {
            (None, None)
        };
        let enrollment = EnrollmentStatus::load(dir);
        Self { dir: dir.to_owned(), device, open_error, settings, enrollment }
    }

    fn device(&self) -> Result<&Device, AppError> {
        match (&self.device, &self.open_error) {
            (Some(device), _) => Ok(device),
            (None, Some(e)) => Err(e.clone()),
            (None, None) => Err(no_device(&self.dir)),
        }
    }

    fn device_mut(&mut self) -> Result<&mut Device, AppError> {
        match (&mut self.device, &self.open_error) {
            (Some(device), _) => Ok(device),
            (None, Some(e)) => Err(e.clone()),
            (None, None) => Err(no_device(&self.dir)),
        }
    }

    /// The badge the records carry: the one set in the settings, else the one
    /// the device was issued with.
    fn officer(&self) -> Option<String> {
        let issued = self.device.as_ref().and_then(|d| d.officer()).map(|o| o.as_str().to_owned());
        self.settings.officer.clone().or(issued)
    }

    fn scene(&self, zone: u16, now: UtcMinute) -> Result<Scene, AppError> {
        let zone = zone_id(zone)?;
        let badge = self
            .officer()
            .ok_or_else(|| AppError::new("no_officer", "no badge number is set: enter yours in Settings"))?;
        let officer = OfficerBadge::new(&badge).map_err(|e| AppError::new("bad_badge", e.to_string()))?;
        Ok(Scene { at: now, zone, officer, location: None })
    }

    /// The app's standing at `now` (with a full check of the log's chain).
    pub fn status(&self, now: UtcMinute) -> Result<AppStatus, AppError> {
        let device = match &self.device {
            Some(device) => Some(device.status(now)?.answer()),
            None => None,
        };
        Ok(AppStatus {
            dir: self.dir.display().to_string(),
            device,
            open_error: self.open_error.clone(),
            officer: self.officer(),
            settings: self.settings.clone(),
            server: self.server(),
            enrollment: self.enrollment.clone(),
        })
    }

    /// The sync server: the one in the settings, else the device's own.
    fn server(&self) -> Option<String> {
        let own = self.device.as_ref().and_then(|d| d.server()).map(str::to_owned);
        self.settings.server.clone().or(own)
    }

    /// Syncs with the server now: uploads the outbox, learns the device's
    /// enrollment (stored, so that it outlives a restart) and applies a newer
    /// bundle. Returns what `icaze device sync` prints ([`SyncAnswer`]).
    ///
    /// This holds `&mut self` for the whole sync, network waits included: the
    /// command runs it under the async mutex of `commands.rs`, so other
    /// commands wait for the sync rather than fail (see `commands::Shared`);
    /// the app's sync timeouts are shorter than the CLI's for that reason.
    pub async fn sync_now(&mut self, now: UtcMinute) -> Result<SyncAnswer, AppError> {
        let server = self.server().ok_or_else(|| {
            AppError::new("no_server", "no sync server is set: enter its address in Settings, or export a file")
        })?;
        let client = SyncClient::for_device(self.device()?, &server, app_sync_config())?;
        let report = client.sync(self.device_mut()?, now).await?;
        let enrollment = EnrollmentStatus {
            status: report.enrollment,
            badge: report.badge.clone(),
            precinct: report.precinct.clone(),
            checked_at: now.baku().to_rfc3339(),
            server: client.server().to_owned(),
        };
        // The sync itself succeeded (records acknowledged, bundle applied):
        // a status file that cannot be written only costs showing this status
        // after a restart, so it is reported in the log and not as a failure.
        if let Err(e) = enrollment.save(&self.dir) {
            eprintln!("icaze-app: the enrollment status was not stored: {e}");
        }
        self.enrollment = Some(enrollment);
        Ok(report.answer())
    }

    /// Writes the outbox as a signed export file for the precinct, in the
    /// device directory's `exports/` folder, named after the device and the
    /// minute (Baku time); returns where it is. An empty outbox gives a file
    /// with no records, which the server takes as a status request.
    pub fn export(&self, now: UtcMinute) -> Result<Exported, AppError> {
        let device = self.device()?;
        let folder = self.dir.join(EXPORT_DIR);
        std::fs::create_dir_all(&folder).map_err(|e| {
            AppError::new("io", format!("{}: {e}: check that the device directory is writable", folder.display()))
        })?;
        let stamp: String =
            now.baku().to_rfc3339().chars().take(16).filter(|c| c.is_ascii_digit() || *c == 'T').collect();
        let path = folder.join(format!("icaze-{}-{stamp}.iczu", device.device_id()));
        let report = device.export(&path, now)?;
        Ok(Exported {
            path: report.path.display().to_string(),
            records: report.records,
            first_seq: report.first_seq,
            last_seq: report.last_seq,
            bytes: report.bytes,
            left_out: report.left_out,
        })
    }

    /// Sets up the device: pins the root key given as the text of a
    /// `root.public` file, and records the officer it is issued to.
    pub fn init_device(
        &mut self,
        root_public: &str,
        officer: Option<String>,
        now: UtcMinute,
    ) -> Result<AppStatus, AppError> {
        if self.device.is_some() || self.open_error.is_some() {
            return Err(AppError::new(
                "already_exists",
                format!("{} already holds a device: it keeps its key and log", self.dir.display()),
            ));
        }
        if root_public.len() > MAX_TEXT_BYTES {
            return Err(too_large("root key text", root_public.len(), MAX_TEXT_BYTES));
        }
        let root = icaze_authority::read_public_key(root_public).map_err(|e| {
            AppError::new("bad_root_key", format!("{e}: paste the whole root.public file from the authority"))
        })?;
        let officer = optional(officer)
            .map(|b| OfficerBadge::new(&b))
            .transpose()
            .map_err(|e| AppError::new("bad_badge", e.to_string()))?;
        let config = InitConfig { root, server: None, officer };
        self.device = Some(Device::init(&self.dir, &config, now)?);
        self.status(now)
    }

    /// Checks a pasted or typed text (a token, QR digits or a whole SMS) in
    /// `zone` and logs the inspection; the verdict is `icaze device check` JSON.
    pub fn check_text(&mut self, text: &str, zone: u16, now: UtcMinute) -> Result<VerdictAnswer, AppError> {
        if text.len() > MAX_TEXT_BYTES {
            return Err(too_large("text", text.len(), MAX_TEXT_BYTES));
        }
        let scene = self.scene(zone, now)?;
        self.device()?;
        // A text that holds no readable token (a typo in the base64, a cut or
        // garbled paste, a QR code of something else) is not an inspection:
        // it is not logged, and the officer is asked to paste or scan again,
        // not shown a red refusal. A token that reads but fails its signature
        // is an inspection ("forged"), and so is every other verdict.
        if let Err(e) = icaze_core::UnverifiedPermit::find_in_text(text) {
            let code = if matches!(e, icaze_core::ParseError::UnsupportedVersion(_)) {
                "newer_token"
            } else {
                "unreadable_token"
            };
            return Err(AppError::new(code, format!("{e} ({})", e.code())));
        }
        let verdict = self.device_mut()?.check(text, &scene, &Notes::default())?;
        Ok(verdict.answer())
    }

    /// Reads the QR code in a PNG or JPEG image and checks what it holds.
    /// When the image holds several codes the first one read is checked:
    /// a permit shown on a phone holds one.
    pub fn check_image(&mut self, image: &[u8], zone: u16, now: UtcMinute) -> Result<VerdictAnswer, AppError> {
        if image.len() > MAX_IMAGE_BYTES {
            return Err(too_large("image", image.len(), MAX_IMAGE_BYTES));
        }
        // The scene and the device are checked first so that a missing zone
        // is reported before seconds are spent on a large photo.
        self.scene(zone, now)?;
        self.device()?;
        let texts = icaze_qr::decode_image(image)?;
        let text = texts.first().ok_or_else(|| AppError::from(icaze_qr::QrError::NotFound))?;
        self.check_text(text, zone, now)
    }

    /// Records a manual check; returns the record as `icaze device log` JSON.
    pub fn record_manual(&mut self, request: ManualRequest, now: UtcMinute) -> Result<LogRecord, AppError> {
        let (check, zone, note_text) = match request {
            ManualRequest::ServiceCard { organisation, card_number, zone, note } => {
                (ManualCheck::ServiceCard { organisation, card_number }, zone, note)
            }
            ManualRequest::Summons { issuer, document, zone, note } => {
                (ManualCheck::Summons { issuer, document }, zone, note)
            }
            ManualRequest::Danger { what, zone, note } => (ManualCheck::ImminentDanger { note: what }, zone, note),
            ManualRequest::Violation { protocol_number, article, document, zone, note } => {
                (ManualCheck::Violation { protocol_number, article, document: optional(document) }, zone, note)
            }
        };
        let notes = Notes { action: None, note: note(note_text)? };
        let scene = self.scene(zone, now)?;
        let record = self.device_mut()?.record_manual(&check, &scene, &notes)?;
        Ok(record.to_api())
    }

    /// Today's inspections (Baku day) and the number waiting for upload.
    pub fn today_log(&self, now: UtcMinute) -> Result<TodayLog, AppError> {
        let device = self.device()?;
        let status = device.status(now)?;
        let offset = i64::from(icaze_core::BAKU_OFFSET_MINUTES);
        let local = i64::from(now.unix_minutes()) + offset;
        let start_minutes = local - local.rem_euclid(24 * 60) - offset;
        // A minute before 1970 cannot come from `now`; clamp rather than panic.
        let start = UtcMinute::from_unix_minutes(u32::try_from(start_minutes).unwrap_or(0));
        let from = status.log_records.saturating_sub(MAX_LOG_SHOWN) + 1;
        let mut records: Vec<LogRecord> = device
            .log(from, MAX_LOG_SHOWN as usize)?
            .into_iter()
            .filter(|r| r.at >= start)
            .map(|r| r.to_api())
            .collect();
        records.reverse();
        Ok(TodayLog {
            day_start: start.baku().to_rfc3339(),
            records,
            outbox: status.outbox,
            log_records: status.log_records,
        })
    }

    /// Applies a bundle file (a precinct's offline copy).
    pub fn import_bundle(&mut self, bytes: &[u8], now: UtcMinute) -> Result<BundleApplied, AppError> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(too_large("bundle file", bytes.len(), MAX_BUNDLE_BYTES));
        }
        Ok(self.device_mut()?.import_bundle(bytes, now)?)
    }

    /// The device's enrollment code, as text and as a QR image.
    pub fn enrollment(&self) -> Result<Enrollment, AppError> {
        let device = self.device()?;
        let code = device.enrollment_code().to_string();
        let svg = icaze_qr::encode(&code)?.to_svg();
        Ok(Enrollment {
            device_id: device.device_id().to_string(),
            qr_svg: format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg)),
            code,
        })
    }

    /// The zones of the bundle's regimes with their names
    /// ([`Device::zones`]: those of the regimes in force at `now`, else of
    /// every regime), in id order. Empty when the device has no bundle yet,
    /// or no device: the UI then asks for the zone's number.
    pub fn zones(&self, now: UtcMinute) -> Vec<ZoneName> {
        self.device.as_ref().map_or_else(Vec::new, |d| d.zones(now).into_iter().map(ZoneName::from).collect())
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Checks and saves new settings; the old ones stay if they are refused.
    pub fn save_settings(&mut self, settings: Settings) -> Result<Settings, AppError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| AppError::new("io", format!("{}: {e}", self.dir.display())))?;
        settings.save(&self.dir)?;
        self.settings = settings;
        Ok(self.settings.clone())
    }
}

#[cfg(test)]
mod tests {
    use icaze_core::*;

    use super::*;

    /// An answer as the UI receives it.
    fn json<T: Serialize>(answer: T) -> serde_json::Value {
        serde_json::to_value(answer).unwrap()
    }

    fn at(s: &str) -> UtcMinute {
        UtcMinute::parse_rfc3339(s).unwrap()
    }

    /// An authority from fixed test seeds: the root, an SMS issuer key (id 1),
    /// the sync key (id 4); and its bundle with zone 1 restricted and serial 7 revoked.
    struct Authority {
        root: SecretKey,
        sms: SecretKey,
        bundle: Vec<u8>,
    }

    fn authority() -> Authority {
        let (root, sms, sync) =
            (SecretKey::from_seed(&[1; 32]), SecretKey::from_seed(&[2; 32]), SecretKey::from_seed(&[4; 32]));
        let key = |id, k: &SecretKey, purposes, may_sign_bundles| TrustedKey {
            id: KeyId(id),
            public_key: k.public_key(),
            valid_from: at("2020-12-01T00:00:00Z"),
            valid_until: at("2021-02-01T00:00:00Z"),
            purposes,
            revoked: false,
            may_sign_bundles,
            label: format!("key-{id}"),
        };
        let trust = TrustList::new(
            1,
            at("2020-12-01T00:00:00Z"),
            vec![
                key(1, &sms, PurposeSet::of(&[Purpose::Medical, Purpose::Necessities]), false),
                key(4, &sync, PurposeSet::default(), true),
            ],
        )
        .unwrap();
        let bundle = BundleContents {
            version: 1,
            base_version: None,
            server_time_unix_seconds: at("2020-12-15T09:00:00+04:00").unix_seconds() as u64,
            trust_list: trust.sign(&root),
            regimes: vec![BundleRegime {
                id: "2020-12-14".into(),
                name: "Special quarantine regime".into(),
                start: at("2020-12-14T00:00:00+04:00"),
                end: at("2021-01-31T06:00:00+04:00"),
                scope: RegimeScope::Listed,
                zones: vec![BundleZone {
                    id: ZoneId::new(1).unwrap(),
                    name_az: "Bakı".into(),
                    name_ru: "Баку".into(),
                    name_en: "Baku".into(),
                }],
                purposes: PurposeSet::of(&[Purpose::Medical, Purpose::Necessities]),
            }],
            freshness: FreshnessPolicy::default(),
            revocations: RevocationSet::from_serials([7]),
            sections: Default::default(),
        }
        .sign(&sync, KeyId(4));
        Authority { root, sms, bundle }
    }

    fn permit(a: &Authority, serial: u32) -> Token {
        let claims = PermitClaims::new(ClaimsSpec {
            serial: PermitSerial(serial),
            document: DocumentNumber::parse("AZE11111111").unwrap(),
            purpose: Purpose::Necessities,
            zones: vec![ZoneId::new(1).unwrap()],
            issued_at: at("2020-12-15T10:00:00+04:00"),
            valid_from: at("2020-12-15T10:00:00+04:00"),
            valid_until: at("2020-12-15T13:00:00+04:00"),
            vehicle: None,
        })
        .unwrap();
        issue(&a.sms, KeyId(1), &claims)
    }

    fn root_text(a: &Authority) -> String {
        icaze_authority::write_public_key_text("root", &a.root.public_key())
    }

    /// A device set up in a fresh directory with the authority's bundle applied.
    fn ready(a: &Authority, dir: &Path) -> AppCore {
        let mut core = AppCore::open(dir);
        core.init_device(&root_text(a), Some("B-1042".into()), at("2020-12-15T09:30:00+04:00")).unwrap();
        core.import_bundle(&a.bundle, at("2020-12-15T09:30:00+04:00")).unwrap();
        core
    }

    const CHECK_TIME: &str = "2020-12-15T11:00:00+04:00";

    #[test]
    fn an_empty_directory_waits_for_set_up() {
        let dir = tempfile::tempdir().unwrap();
        let mut core = AppCore::open(dir.path());
        let status = core.status(at(CHECK_TIME)).unwrap();
        assert!(status.device.is_none() && status.open_error.is_none());
        assert_eq!(core.check_text("IZ1", 1, at(CHECK_TIME)).unwrap_err().code, "no_officer");
        core.save_settings(Settings { officer: Some("B-1".into()), ..Settings::default() }).unwrap();
        assert_eq!(core.check_text("IZ1", 1, at(CHECK_TIME)).unwrap_err().code, "not_a_device");
        assert_eq!(core.enrollment().unwrap_err().code, "not_a_device");
        assert_eq!(core.init_device("not a key", None, at(CHECK_TIME)).unwrap_err().code, "bad_root_key");
    }

    #[test]
    fn valid_and_revoked_permits_are_judged_and_logged() {
        let a = authority();
        let dir = tempfile::tempdir().unwrap();
        let mut core = ready(&a, dir.path());
        let sms = format!("Icaze AZE11111111 15.12 10:00-13:00 {}", permit(&a, 42).to_text());
        let valid = json(core.check_text(&sms, 1, at(CHECK_TIME)).unwrap());
        assert_eq!(valid["kind"], "valid");
        assert_eq!(valid["display"], "valid");
        assert_eq!(valid["document"], "AZE11111111");
        assert_eq!(valid["seq"], 1);
        let revoked = json(core.check_text(&permit(&a, 7).to_text(), 1, at(CHECK_TIME)).unwrap());
        assert_eq!(revoked["kind"], "revoked");
        assert_eq!(revoked["display"], "not_valid");
        // Zone 2 is not restricted by the bundle's regime: no permit is needed there.
        let elsewhere = json(core.check_text(&permit(&a, 43).to_text(), 2, at(CHECK_TIME)).unwrap());
        assert_eq!(elsewhere["kind"], "no_permit_needed");
        assert_eq!(elsewhere["zone"], 2);

        let log = core.today_log(at(CHECK_TIME)).unwrap();
        assert_eq!(log.log_records, 3);
        assert_eq!(log.outbox, 3);
        assert_eq!(log.day_start, "2020-12-15T00:00:00+04:00");
        let verdicts: Vec<&str> = log.records.iter().map(|r| r.verdict.as_deref().unwrap()).collect();
        assert_eq!(verdicts[1..], ["revoked", "valid"], "newest first");
        // The next Baku day starts at 20:00 UTC: yesterday's records are not today's.
        assert!(core.today_log(at("2020-12-15T20:00:00Z")).unwrap().records.is_empty());
        assert_eq!(core.today_log(at("2020-12-15T19:59:00Z")).unwrap().records.len(), 3);
    }

    #[test]
    fn a_qr_image_is_decoded_then_checked() {
        let a = authority();
        let dir = tempfile::tempdir().unwrap();
        let mut core = ready(&a, dir.path());
        let png = icaze_qr::encode(&permit(&a, 42).to_qr_digits()).unwrap().to_png(4).unwrap();
        let verdict = json(core.check_image(&png, 1, at(CHECK_TIME)).unwrap());
        assert_eq!(verdict["kind"], "valid");
        assert_eq!(core.check_image(b"not an image", 1, at(CHECK_TIME)).unwrap_err().code, "qr_image_unreadable");
        let huge = vec![0; MAX_IMAGE_BYTES + 1];
        assert_eq!(core.check_image(&huge, 1, at(CHECK_TIME)).unwrap_err().code, "too_large");
        let log = core.today_log(at(CHECK_TIME)).unwrap();
        assert_eq!(log.records.len(), 1, "unreadable images are not inspections");
        assert_eq!(log.records[0].input, "qr_digits");
    }

    #[test]
    fn bad_input_gives_codes_not_panics() {
        let a = authority();
        let dir = tempfile::tempdir().unwrap();
        let mut core = ready(&a, dir.path());
        let huge = "9".repeat(MAX_TEXT_BYTES + 1);
        assert_eq!(core.check_text(&huge, 1, at(CHECK_TIME)).unwrap_err().code, "too_large");
        assert_eq!(core.check_text("IZ1", 0, at(CHECK_TIME)).unwrap_err().code, "bad_zone");
        // Issue 22: text without a readable token is no inspection.
        let before = core.today_log(at(CHECK_TIME)).unwrap().records.len();
        assert_eq!(core.check_text("hello", 1, at(CHECK_TIME)).unwrap_err().code, "unreadable_token");
        let token = permit(&a, 42).to_text();
        let cut = &token[..token.len() - 5];
        assert_eq!(core.check_text(cut, 1, at(CHECK_TIME)).unwrap_err().code, "unreadable_token");
        let newer = format!("IZ7{}", &token[3..]);
        assert_eq!(core.check_text(&newer, 1, at(CHECK_TIME)).unwrap_err().code, "newer_token");
        assert_eq!(core.today_log(at(CHECK_TIME)).unwrap().records.len(), before, "none of them is logged");
        // A token that reads but whose signature fails is an inspection: forged.
        let mut forged = token.clone().into_bytes();
        let last = forged.len() - 1;
        forged[last] = if forged[last] == b'A' { b'Q' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        let verdict = json(core.check_text(&forged, 1, at(CHECK_TIME)).unwrap());
        assert_eq!(verdict["kind"], "bad_signature", "{verdict}");
        assert_eq!(core.today_log(at(CHECK_TIME)).unwrap().records.len(), before + 1);
        assert_eq!(core.import_bundle(&a.bundle, at(CHECK_TIME)).unwrap_err().code, "rollback");
        assert_eq!(core.import_bundle(b"junk", at(CHECK_TIME)).unwrap_err().code, "bad_bundle");
        let again = core.init_device(&root_text(&a), None, at(CHECK_TIME)).unwrap_err();
        assert_eq!(again.code, "already_exists");
    }

    #[test]
    fn manual_checks_are_logged_with_their_fields() {
        let a = authority();
        let dir = tempfile::tempdir().unwrap();
        let mut core = ready(&a, dir.path());
        let request: ManualRequest = serde_json::from_value(serde_json::json!({
            "kind": "violation", "protocol_number": "P-17", "article": "211.2",
            "document": " ", "zone": 1, "note": "no permit"
        }))
        .unwrap();
        let record = json(core.record_manual(request, at(CHECK_TIME)).unwrap());
        assert_eq!(record["input"], "violation");
        assert_eq!(record["document"], serde_json::Value::Null, "a blank document is no document");
        assert_eq!(record["note"], "no permit");
        let empty =
            ManualRequest::ServiceCard { organisation: "".into(), card_number: "1".into(), zone: 1, note: None };
        assert_eq!(core.record_manual(empty, at(CHECK_TIME)).unwrap_err().code, "missing_field");
        let unknown = serde_json::from_value::<ManualRequest>(serde_json::json!({ "kind": "bribe", "zone": 1 }));
        assert!(unknown.is_err());
    }

    #[test]
    fn the_device_survives_a_restart_and_shows_its_enrollment_code() {
        let a = authority();
        let dir = tempfile::tempdir().unwrap();
        let mut core = ready(&a, dir.path());
        core.check_text(&permit(&a, 42).to_text(), 1, at(CHECK_TIME)).unwrap();
        let code = core.enrollment().unwrap();
        drop(core);
        let core = AppCore::open(dir.path());
        let status = core.status(at(CHECK_TIME)).unwrap();
        let device = json(status.device.unwrap());
        assert_eq!(device["log_records"], 1);
        assert_eq!(device["bundle_version"], 1);
        assert_eq!(device["chain_ok"], true);
        assert_eq!(status.officer.as_deref(), Some("B-1042"));
        let again = core.enrollment().unwrap();
        assert_eq!(again.code, code.code);
        assert!(again.code.starts_with("ICZD1-"));
        assert!(again.qr_svg.starts_with("data:image/svg+xml;base64,"));
        assert_eq!(icaze_device::EnrollmentCode::parse(&again.code).unwrap().device_id().to_string(), again.device_id);
    }

    #[test]
    fn the_zones_of_the_bundle_come_with_their_three_names() {
        let a = authority();
        let dir = tempfile::tempdir().unwrap();
        let mut core = AppCore::open(dir.path());
        assert_eq!(core.zones(at(CHECK_TIME)), [], "no device, no names");
        core.init_device(&root_text(&a), None, at(CHECK_TIME)).unwrap();
        assert_eq!(core.zones(at(CHECK_TIME)), [], "no bundle, no names");
        core.import_bundle(&a.bundle, at(CHECK_TIME)).unwrap();
        let zones = core.zones(at(CHECK_TIME));
        let baku = ZoneName { id: 1, name_az: "Bakı".into(), name_ru: "Баку".into(), name_en: "Baku".into() };
        assert_eq!(zones, [baku]);
        assert_eq!(
            serde_json::to_value(&zones).unwrap(),
            serde_json::json!([{ "id": 1, "name_az": "Bakı", "name_ru": "Баку", "name_en": "Baku" }]),
            "the shape the UI reads"
        );
        // After the regime's end none is in force: its zones are still named.
        assert_eq!(core.zones(at("2021-06-01T12:00:00+04:00")), zones);
    }

    #[test]
    fn a_damaged_database_is_reported_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(icaze_device::DB_FILE), b"not sqlite").unwrap();
        let mut core = AppCore::open(dir.path());
        let status = core.status(at(CHECK_TIME)).unwrap();
        assert!(status.open_error.is_some());
        let a = authority();
        assert_eq!(core.init_device(&root_text(&a), None, at(CHECK_TIME)).unwrap_err().code, "already_exists");
        assert_eq!(std::fs::read(dir.path().join(icaze_device::DB_FILE)).unwrap(), b"not sqlite");
    }
}
