//! Revocations: a serial, a list, or a document's live permits, recorded
//! with their kind in one transaction with the audit line.

use std::collections::BTreeSet;

use icaze_core::{DocumentNumber, UtcMinute};
use icaze_permits::store::PermitStore;

use super::{reason, SyncService};
use crate::auth::Caller;
use crate::store::{AuditDetails, RevocationKind, RevocationRow};
use crate::views::{RevokeTarget, MAX_REVOKE_SERIALS};
use crate::SyncError;

/// One document's live permits in a round of the deny-list applier: who
/// revokes them and why, audited on its own line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DocumentRevocation {
    /// The service caller (`deny-list`, `people-registry`).
    pub caller: Caller,
    /// The document, canonical.
    pub document: String,
    /// The reason devices and the audit trail show.
    pub reason: String,
    /// The document's permits valid when the round read them.
    pub serials: Vec<u32>,
}

impl<S: PermitStore> SyncService<S> {
    /// Revokes a round of documents' permits in one transaction and one
    /// bundle version (none when nothing new was revoked), with one audit
    /// line for each document that had a serial not yet revoked: a serial
    /// revoked before (a round applied again after a crash, another applier)
    /// is neither revoked nor audited again. Service callers only, so no
    /// supervisor's limits apply. Returns the serials revoked.
    pub(crate) fn revoke_documents(&self, round: &[DocumentRevocation]) -> Result<Vec<u32>, SyncError> {
        if round.is_empty() {
            return Ok(Vec::new());
        }
        let mut documents = Vec::with_capacity(round.len());
        for item in round {
            documents.push((item, reason(&item.reason)?));
        }
        let now = self.now();
        self.write(|tx| {
            let mut state = tx.bundle_state()?;
            // The round's serials revoked before, in one read.
            let all: Vec<u32> = documents.iter().flat_map(|(item, _)| item.serials.iter().copied()).collect();
            let before = tx.revoked_among(&all)?;
            // A serial met twice in a round (one document queued twice) is
            // revoked and audited the first time only.
            let mut seen = BTreeSet::new();
            let mut fresh = Vec::with_capacity(documents.len());
            for &(item, ref why) in &documents {
                let mut serials = Vec::new();
                for &serial in &item.serials {
                    if seen.insert(serial) && !before.contains(&serial) {
                        serials.push(serial);
                    }
                }
                if !serials.is_empty() {
                    fresh.push((item, why, serials));
                }
            }
            if fresh.is_empty() {
                return Ok(Vec::new());
            }
            state.mint(now);
            tx.set_bundle_state(&state)?;
            // The round's revocations in one call, then an audit line a document.
            let rows: Vec<RevocationRow> = fresh
                .iter()
                .flat_map(|(item, why, serials)| {
                    serials.iter().map(|&serial| RevocationRow {
                        serial,
                        version: state.version,
                        at: now,
                        by: item.caller.name().to_owned(),
                        reason: (*why).clone(),
                        document: Some(item.document.clone()),
                        kind: RevocationKind::Other,
                    })
                })
                .collect();
            tx.insert_revocations(&rows)?;
            let mut revoked = Vec::new();
            for (item, why, serials) in fresh {
                let details = AuditDetails::Revoked {
                    document: Some(item.document.clone()),
                    reason: why.clone(),
                    serials: serials.clone(),
                    version: state.version,
                };
                self.audit(tx, &item.caller, "revoked", details)?;
                revoked.extend(serials);
            }
            Ok(revoked)
        })
    }

    /// Revokes a serial, or every permit of a document still valid now, in
    /// one transaction with its audit line; bumps the bundle version when
    /// anything new was revoked.
    pub fn revoke(&self, caller: &Caller, target: RevokeTarget, why: &str) -> Result<(Vec<u32>, u64), SyncError> {
        self.revoke_as(caller, target, why, RevocationKind::Other)
    }

    /// [`SyncService::revoke`], the serials recorded as `kind`: those of
    /// [`RevocationKind::Replaced`] reach devices as replaced by a newer permit.
    /// A serial already revoked keeps the kind it was revoked as.
    pub fn revoke_as(
        &self,
        caller: &Caller,
        target: RevokeTarget,
        why: &str,
        kind: RevocationKind,
    ) -> Result<(Vec<u32>, u64), SyncError> {
        let why = reason(why)?;
        let now = self.now();
        let (mut serials, document) = match target {
            RevokeTarget::Serial(serial) => (vec![serial], None),
            RevokeTarget::Serials(serials) if serials.len() > MAX_REVOKE_SERIALS => {
                return Err(SyncError::invalid(
                    "too_many_serials",
                    format!("{} serials in one call, more than {MAX_REVOKE_SERIALS}: split the list", serials.len()),
                ))
            }
            RevokeTarget::Serials(serials) => (serials, None),
            RevokeTarget::Document(text) => {
                let document = DocumentNumber::parse(&text)
                    .map_err(|e| SyncError::invalid("invalid_document", format!("the document {text:?}: {e}")))?
                    .canonical();
                let serials = self.permits.valid_permits(&document, now)?.into_iter().map(|s| s.0).collect();
                (serials, Some(document))
            }
        };
        serials.sort_unstable();
        serials.dedup();
        let limits = self.limiters.limits;
        if matches!(caller, Caller::Supervisor { .. }) && serials.len() > limits.supervisor_serials {
            return Err(SyncError::Forbidden(format!(
                "{} permits in one revocation: a supervisor revokes at most {} at a time; longer lists are an \
                 administrator's",
                serials.len(),
                limits.supervisor_serials
            )));
        }
        self.write(|tx| {
            let mut state = tx.bundle_state()?;
            let mut fresh = Vec::with_capacity(serials.len());
            for &serial in &serials {
                if !tx.is_revoked(serial)? {
                    fresh.push(serial);
                }
            }
            if fresh.is_empty() {
                return Ok((fresh, state.version));
            }
            if let Caller::Supervisor { name, .. } = caller {
                // Counted in the writer's transaction: requests at once are bounded as sequential ones.
                let since = UtcMinute::from_unix_minutes(now.unix_minutes().saturating_sub(24 * 60));
                let done = tx.revocations_by_since(name, since)?;
                if done + fresh.len() as u64 > limits.supervisor_revocations_a_day {
                    return Err(SyncError::Forbidden(format!(
                        "you revoked {done} permits in the last 24 hours and a supervisor revokes at most {} a \
                         day: ask an administrator",
                        limits.supervisor_revocations_a_day
                    )));
                }
            }
            state.mint(now);
            tx.set_bundle_state(&state)?;
            for &serial in &fresh {
                tx.insert_revocation(&RevocationRow {
                    serial,
                    version: state.version,
                    at: now,
                    by: caller.name().to_owned(),
                    reason: why.clone(),
                    document: document.clone(),
                    kind,
                })?;
            }
            let details = AuditDetails::Revoked {
                document: document.clone(),
                reason: why.clone(),
                serials: fresh.clone(),
                version: state.version,
            };
            self.audit(tx, caller, "revoked", details)?;
            Ok((fresh, state.version))
        })
    }
}
