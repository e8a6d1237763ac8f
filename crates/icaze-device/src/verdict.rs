//! The device's verdict: the token's own checks (`icaze_core`), then the
//! device's — the revoked serials, the regime in force, the age of the data
//! and the clock — and the level the screen shows.
//!
//! Order of the decisive checks, first failure decides the kind, every failure
//! is listed among the reasons:
//!
//! 1. no bundle applied yet: `no_data` (never `valid`: the device knows no key);
//! 2. no regime in force at the check's time restricts the officer's zone:
//!    `no_permit_needed` (a token in the text is still read, for the log);
//! 3. the token cannot be found or read: `malformed`;
//! 4. trust list: `unknown_key`, `bad_signature`, `key_revoked`,
//!    `key_not_valid`, `purpose_not_allowed` (the key may not sign it);
//! 5. the serial is in the revocation set: `revoked` (reason `replaced` when
//!    the bundle said a newer permit replaced it, `revoked` otherwise);
//! 6. the regimes in force admit no permit of this purpose: `purpose_not_allowed`
//!    (reason `purpose_not_in_regime`);
//! 7. the window: `not_yet_valid`, `expired`; the zone: `wrong_zone`;
//! 8. otherwise `valid`.
//!
//! Warnings never change the kind: `clock_suspicious`, `data_stale`,
//! `data_very_stale`, `issued_in_future`. Two findings change what the screen
//! shows without changing the kind: data older than the policy's
//! `invalid_after_minutes` (reason `data_too_old`: the device can no longer
//! vouch for the revocations and regimes it holds), and a device time more
//! than the allowed drift before the data's own server time (reason
//! `clock_wrong`: the time is provably wrong, so neither the permit's window
//! nor the regime can be judged). A `valid` or `no_permit_needed` verdict is
//! then shown as not valid.
//!
//! Not checked here: that the holder is the document's holder (the officer
//! compares the document number shown with the card).

use icaze_core::{
    BundleRegime, Check, FreshnessPolicy, Purpose, Reason, RevocationSet, Status, TrustList, UtcMinute, VerifiedPermit,
    ZoneId,
};
use serde::Serialize;
use ts_rs::TS;

use crate::answers::VerdictAnswer;

use crate::scene::Scene;

/// The verdict kind: what was found, most decisive first. Serialised as its
/// [`VerdictKind::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VerdictKind {
    /// Signed by a trusted key, not revoked, in its window, in this zone, under the regime.
    Valid,
    /// Its window has not started.
    NotYetValid,
    /// Its window has ended.
    Expired,
    /// The permit's serial was revoked.
    Revoked,
    /// Not valid in the officer's zone.
    WrongZone,
    /// The key id is not in the trust list.
    UnknownKey,
    /// The issuer key was revoked.
    KeyRevoked,
    /// The issuer key was not valid when the permit was issued.
    KeyNotValid,
    /// The signature does not match.
    BadSignature,
    /// The key may not sign this purpose, or the regime admits no such permit.
    PurposeNotAllowed,
    /// No well-formed token in the text.
    Malformed,
    /// No regime in force restricts the officer's zone at this time.
    NoPermitNeeded,
    /// The device has no data yet (no bundle applied).
    NoData,
}

impl VerdictKind {
    /// A stable machine code, e.g. `no_permit_needed`.
    pub fn code(self) -> &'static str {
        match self {
            VerdictKind::Valid => "valid",
            VerdictKind::NotYetValid => "not_yet_valid",
            VerdictKind::Expired => "expired",
            VerdictKind::Revoked => "revoked",
            VerdictKind::WrongZone => "wrong_zone",
            VerdictKind::UnknownKey => "unknown_key",
            VerdictKind::KeyRevoked => "key_revoked",
            VerdictKind::KeyNotValid => "key_not_valid",
            VerdictKind::BadSignature => "bad_signature",
            VerdictKind::PurposeNotAllowed => "purpose_not_allowed",
            VerdictKind::Malformed => "malformed",
            VerdictKind::NoPermitNeeded => "no_permit_needed",
            VerdictKind::NoData => "no_data",
        }
    }

    fn of_status(status: Status) -> Self {
        match status {
            Status::Valid => VerdictKind::Valid,
            Status::NotYetValid => VerdictKind::NotYetValid,
            Status::Expired => VerdictKind::Expired,
            Status::WrongZone => VerdictKind::WrongZone,
            Status::UnknownKey => VerdictKind::UnknownKey,
            Status::KeyRevoked => VerdictKind::KeyRevoked,
            Status::KeyNotValid => VerdictKind::KeyNotValid,
            Status::BadSignature => VerdictKind::BadSignature,
            Status::PurposeNotAllowed => VerdictKind::PurposeNotAllowed,
            // Malformed, and any status a later core adds: the device does not
            // know it, so it must not let the holder pass.
            _ => VerdictKind::Malformed,
        }
    }
}

/// What the screen shows, as EU DCC verifiers do. Serialised as its [`Display::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "VerdictDisplay")]
pub enum Display {
    /// Green: the holder may pass.
    Valid,
    /// Green with a notice the officer must read (stale data, a suspicious clock…).
    ValidWithWarning,
    /// Red: the holder may not pass on this permit.
    NotValid,
}

impl Display {
    /// A stable machine code: `valid`, `valid_with_warning`, `not_valid`.
    pub fn code(self) -> &'static str {
        match self {
            Display::Valid => "valid",
            Display::ValidWithWarning => "valid_with_warning",
            Display::NotValid => "not_valid",
        }
    }

    /// Whether the holder may pass.
    pub fn may_pass(self) -> bool {
        self != Display::NotValid
    }
}

/// The answer to one check.
#[derive(Debug, Clone)]
pub struct DeviceVerdict {
    /// What was found.
    pub kind: VerdictKind,
    /// What the screen shows.
    pub display: Display,
    /// Why, decisive reason first; empty for a plain `valid`.
    pub reasons: Vec<Reason>,
    /// Notices that do not change the kind but must be shown.
    pub warnings: Vec<Reason>,
    /// The permit, when its signature verified: its document number is what
    /// the officer compares with the card.
    pub permit: Option<VerifiedPermit>,
    /// Minutes from the permit's issue to the check (negative: issued "later").
    pub issued_minutes_ago: Option<i64>,
    /// Minutes from the data's server time to the check.
    pub data_age_minutes: Option<i64>,
    /// The bundle version the verdict rests on.
    pub bundle_version: Option<u64>,
    /// The device time of the check.
    pub checked_at: UtcMinute,
    /// The officer's zone.
    pub zone: ZoneId,
    /// The inspection log's sequence number, once the check is recorded.
    pub seq: Option<u64>,
}

impl DeviceVerdict {
    /// The JSON answer `icaze device check` prints and the app receives.
    pub fn answer(&self) -> VerdictAnswer {
        VerdictAnswer::from(self)
    }
}

/// What the device keeps of the applied bundles: the last one's trust list,
/// regimes and policy (a delta carries them whole), and the merged revocations.
/// The bundle itself is dropped once read, so the revocation set is held once.
pub(crate) struct Data {
    pub version: u64,
    pub server_time_unix_seconds: u64,
    pub trust: TrustList,
    pub regimes: Vec<BundleRegime>,
    pub freshness: FreshnessPolicy,
    pub revocations: RevocationSet,
    /// The revoked serials a newer permit replaced (a subset of `revocations`).
    pub replaced: RevocationSet,
}

impl Data {
    /// The data's server time as a minute (saturating far in the future).
    pub fn server_minute(&self) -> UtcMinute {
        server_minute(self.server_time_unix_seconds)
    }
}

pub(crate) fn server_minute(seconds: u64) -> UtcMinute {
    UtcMinute::from_unix_seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
        .unwrap_or(UtcMinute::from_unix_minutes(u32::MAX))
}

/// What the device knows about its clock before this check.
pub(crate) struct ClockFacts<'a> {
    /// A suspicion persisted by an earlier check or sync.
    pub suspect: Option<&'a str>,
    /// The latest time of any logged inspection.
    pub newest_logged: Option<UtcMinute>,
}

/// Codes of clock suspicions, persisted until a sync sees the clock right.
pub(crate) mod clock {
    /// The device time is before the newest bundle's server time.
    pub const BEHIND_DATA: &str = "clock_behind_data";
    /// The device time is before an inspection already logged.
    pub const WENT_BACK: &str = "clock_went_back";
    /// At the last sync the device time was far from the server time.
    pub const DRIFT: &str = "clock_drift";

    pub fn message(code: &str) -> &'static str {
        match code {
            BEHIND_DATA => "the device clock is earlier than the time the data was made: set the clock and sync",
            WENT_BACK => "the device clock is earlier than an inspection already logged: set the clock and sync",
            DRIFT => "at the last sync the device clock was far from the server's: set the clock and sync",
            _ => "the device clock is not trusted: set the clock and sync",
        }
    }
}

fn reason(code: &'static str, message: impl Into<String>) -> Reason {
    Reason { code, message: message.into() }
}

/// Judges `text` for `scene`. Returns the verdict and a new clock suspicion
/// to persist, if this check found one. Reads no clock and does no I/O.
pub(crate) fn evaluate(
    data: Option<&Data>,
    text: &str,
    scene: &Scene,
    clock: &ClockFacts<'_>,
) -> (DeviceVerdict, Option<&'static str>) {
    let at = scene.at;
    let mut verdict = DeviceVerdict {
        kind: VerdictKind::NoData,
        display: Display::NotValid,
        reasons: Vec::new(),
        warnings: Vec::new(),
        permit: None,
        issued_minutes_ago: None,
        data_age_minutes: None,
        bundle_version: None,
        checked_at: at,
        zone: scene.zone,
        seq: None,
    };

    // The clock, judged before anything else so that every verdict carries it.
    let drift =
        data.map_or(FreshnessPolicy::default().max_clock_drift_minutes, |d| d.freshness.max_clock_drift_minutes);
    let behind_data = data.is_some_and(|d| at.minutes_since(d.server_minute()) < -i64::from(drift));
    let found = if behind_data {
        Some(clock::BEHIND_DATA)
    } else if clock.newest_logged.is_some_and(|newest| at < newest) {
        Some(clock::WENT_BACK)
    } else {
        None
    };
    if let Some(code) = clock.suspect.or(found) {
        verdict.warnings.push(reason("clock_suspicious", clock::message(code)));
    }
    let new_suspicion = if clock.suspect.is_none() { found } else { None };

    let Some(data) = data else {
        verdict
            .reasons
            .push(reason("no_data", "the device has no data yet: import a bundle or sync before checking permits"));
        return (verdict, new_suspicion);
    };
    verdict.bundle_version = Some(data.version);

    // The age of the data.
    let age = at.minutes_since(data.server_minute());
    verdict.data_age_minutes = Some(age);
    let policy = &data.freshness;
    let too_old = age > i64::from(policy.invalid_after_minutes);
    if !too_old && age > i64::from(policy.strong_warn_after_minutes) {
        verdict.warnings.push(reason(
            "data_very_stale",
            format!("the data is {} old: sync now, revocations may be missing", minutes_text(age)),
        ));
    } else if !too_old && age > i64::from(policy.warn_after_minutes) {
        verdict.warnings.push(reason("data_stale", format!("the data is {} old: sync soon", minutes_text(age))));
    }

    // The token is read whatever the regime, so that the log names it.
    let regimes: Vec<&BundleRegime> =
        data.regimes.iter().filter(|r| r.in_force(at) && r.restricts(scene.zone)).collect();
    let core = icaze_core::evaluate(text, &data.trust, &Check { at, zone: Some(scene.zone) });
    let mut found: Vec<(VerdictKind, Reason)> = Vec::new();
    if let Some(permit) = &core.permit {
        let claims = permit.claims();
        let issued_ago = at.minutes_since(claims.issued_at());
        verdict.issued_minutes_ago = Some(issued_ago);
        if issued_ago < 0 {
            verdict.warnings.push(reason(
                "issued_in_future",
                format!("issued {} after the device's time: check the device clock", minutes_text(-issued_ago)),
            ));
        }
        if data.replaced.contains(claims.serial()) {
            let message = format!("permit {} was replaced by a newer permit: ask for the new one", claims.serial());
            found.push((VerdictKind::Revoked, reason("replaced", message)));
        } else if data.revocations.contains(claims.serial()) {
            found.push((VerdictKind::Revoked, reason("revoked", format!("permit {} was revoked", claims.serial()))));
        }
        if !regimes.is_empty() && !regimes.iter().any(|r| admits(r, claims.purpose())) {
            found.push((
                VerdictKind::PurposeNotAllowed,
                reason(
                    "purpose_not_in_regime",
                    format!("the regime in force admits no {} permits", claims.purpose().name()),
                ),
            ));
        }
    }
    // The core's own status decides only if the device's checks found nothing.
    let core_kind = VerdictKind::of_status(core.status);
    verdict.permit = core.permit;

    if regimes.is_empty() {
        verdict.kind = VerdictKind::NoPermitNeeded;
        verdict.reasons.push(reason(
            "no_permit_needed",
            format!("no regime in force restricts zone {} at {} (Baku time)", scene.zone, at.baku()),
        ));
    } else {
        verdict.kind = found.first().map_or(core_kind, |(k, _)| *k);
        verdict.reasons.extend(found.into_iter().map(|(_, r)| r));
        verdict.reasons.extend(core.reasons);
    }
    if too_old {
        let r = reason(
            "data_too_old",
            format!(
                "the data is {} old, more than the {} allowed: sync before checking permits",
                minutes_text(age),
                minutes_text(i64::from(policy.invalid_after_minutes))
            ),
        );
        if matches!(verdict.kind, VerdictKind::Valid | VerdictKind::NoPermitNeeded) {
            verdict.reasons.push(r);
        } else {
            verdict.warnings.push(r);
        }
    }
    if behind_data && matches!(verdict.kind, VerdictKind::Valid | VerdictKind::NoPermitNeeded) {
        verdict.reasons.push(reason(
            "clock_wrong",
            "the device clock is earlier than the data it holds, so the time of the check is wrong: set the clock",
        ));
    }
    verdict.display = match verdict.kind {
        VerdictKind::Valid | VerdictKind::NoPermitNeeded if !too_old && !behind_data => {
            if verdict.warnings.is_empty() {
                Display::Valid
            } else {
                Display::ValidWithWarning
            }
        }
        _ => Display::NotValid,
    };
    (verdict, new_suspicion)
}

/// Whether permits of this purpose exist under the regime.
fn admits(regime: &BundleRegime, purpose: Purpose) -> bool {
    regime.purposes.contains(purpose)
}

/// "95 minutes", "5 h 20 min", "3 days".
fn minutes_text(minutes: i64) -> String {
    if minutes < 120 {
        format!("{minutes} minutes")
    } else if minutes < 48 * 60 {
        format!("{} h {} min", minutes / 60, minutes % 60)
    } else {
        format!("{} days", minutes / (24 * 60))
    }
}
