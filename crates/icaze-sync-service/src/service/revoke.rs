//! Revocations: a serial, a list, or a document's live permits, recorded
//! with their kind in one transaction with the audit line.

use icaze_core::{DocumentNumber, UtcMinute};
use icaze_permits::store::PermitStore;

use super::{reason, SyncService};
use crate::auth::Caller;
use crate::store::{AuditDetails, RevocationKind, RevocationRow};
use crate::views::{RevokeTarget, MAX_REVOKE_SERIALS};
use crate::SyncError;

impl<S: PermitStore> SyncService<S> {
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
            state.version += 1;
            state.minted_at = Some(now);
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
