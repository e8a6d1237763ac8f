//! The verdict on a permit text at a given time and place.

use crate::claims::ZoneId;
use crate::error::{ParseError, VerifyError};
use crate::permit::{UnverifiedPermit, VerifiedPermit};
use crate::time::UtcMinute;
use crate::trust::TrustList;

/// The outcome of a check, most decisive first. `Valid` is the only one that
/// lets the holder pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// Signed by a trusted key, in its window, in this zone.
    Valid,
    /// Its window has not started.
    NotYetValid,
    /// Its window has ended.
    Expired,
    /// Not valid in the zone where the check happens.
    WrongZone,
    /// The key id is not in the trust list.
    UnknownKey,
    /// The key has been revoked.
    KeyRevoked,
    /// The key was not valid when the permit was issued.
    KeyNotValid,
    /// The signature does not match.
    BadSignature,
    /// The key may not sign this purpose.
    PurposeNotAllowed,
    /// Not a well-formed token (or none was found).
    Malformed,
}

impl Status {
    /// A stable machine code, e.g. `not_yet_valid`.
    pub fn code(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::NotYetValid => "not_yet_valid",
            Status::Expired => "expired",
            Status::WrongZone => "wrong_zone",
            Status::UnknownKey => "unknown_key",
            Status::KeyRevoked => "key_revoked",
            Status::KeyNotValid => "key_not_valid",
            Status::BadSignature => "bad_signature",
            Status::PurposeNotAllowed => "purpose_not_allowed",
            Status::Malformed => "malformed",
        }
    }

    fn of_verify_error(e: &VerifyError) -> Self {
        match e {
            VerifyError::UnknownKey(_) => Status::UnknownKey,
            VerifyError::BadSignature => Status::BadSignature,
            VerifyError::KeyRevoked(_) => Status::KeyRevoked,
            VerifyError::KeyNotValid(_) => Status::KeyNotValid,
            VerifyError::PurposeNotAllowed { .. } => Status::PurposeNotAllowed,
        }
    }
}

/// One reason behind a verdict: a stable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// Stable machine code (e.g. `expired`, `truncated`).
    pub code: &'static str,
    /// What was found, in English.
    pub message: String,
}

/// Where and when a permit is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// The time of the check (the caller's clock; this crate reads none).
    pub at: UtcMinute,
    /// The zone the officer stands in, if known; `None` skips the zone test.
    pub zone: Option<ZoneId>,
}

/// The answer to "may this person pass?".
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The decisive outcome.
    pub status: Status,
    /// Every failed test, the decisive one first; empty when valid.
    pub reasons: Vec<Reason>,
    /// The permit, when its signature verified (so its claims can be shown).
    pub permit: Option<VerifiedPermit>,
}

/// Reads a text (a token in either form, or a whole SMS containing one),
/// verifies it against `trust`, and judges it for `check`.
pub fn evaluate(text: &str, trust: &TrustList, check: &Check) -> Verdict {
    let unverified = match UnverifiedPermit::find_in_text(text) {
        Ok(p) => p,
        Err(e) => return malformed(&e),
    };
    match trust.verify(&unverified) {
        Ok(permit) => judge(permit, check),
        Err(e) => Verdict {
            status: Status::of_verify_error(&e),
            reasons: vec![Reason { code: e.code(), message: e.to_string() }],
            permit: None,
        },
    }
}

fn malformed(e: &ParseError) -> Verdict {
    Verdict {
        status: Status::Malformed,
        reasons: vec![Reason { code: e.code(), message: e.to_string() }],
        permit: None,
    }
}

/// Judges a verified permit's window and zone for `check`.
pub fn judge(permit: VerifiedPermit, check: &Check) -> Verdict {
    let claims = permit.claims();
    let mut found: Vec<(Status, Reason)> = Vec::new();
    if check.at < claims.valid_from() {
        found.push((
            Status::NotYetValid,
            Reason {
                code: Status::NotYetValid.code(),
                message: format!("valid only from {} (Baku time)", claims.valid_from().baku()),
            },
        ));
    } else if check.at >= claims.valid_until() {
        found.push((
            Status::Expired,
            Reason {
                code: Status::Expired.code(),
                message: format!("expired at {} (Baku time)", claims.valid_until().baku()),
            },
        ));
    }
    if let Some(zone) = check.zone {
        if !claims.zones().contains(&zone) {
            let zones: Vec<String> = claims.zones().iter().map(ZoneId::to_string).collect();
            found.push((
                Status::WrongZone,
                Reason {
                    code: Status::WrongZone.code(),
                    message: format!("valid in zone {} only, not in zone {zone}", zones.join(", ")),
                },
            ));
        }
    }
    let status = found.first().map_or(Status::Valid, |(s, _)| *s);
    Verdict { status, reasons: found.into_iter().map(|(_, r)| r).collect(), permit: Some(permit) }
}
