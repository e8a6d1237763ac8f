//! The deny-list applier: the live permits of the people put on the deny
//! list revoked, by one applier at a time across every instance on the
//! database.

use icaze_permits::store::PermitStore;

use super::SyncService;
use crate::auth::Caller;
use crate::views::RevokeTarget;
use crate::SyncError;

impl<S: PermitStore> SyncService<S> {
    /// Revokes the live permits of every channel of the people put on the
    /// deny list since the last call (an import writes them to
    /// [`PermitStore::denials_to_apply`], in its own transaction): each document in
    /// one revocation with its audit line, by `deny-list`, so that they are
    /// in the next bundle. A denial already lifted or expired revokes
    /// nothing, and lifting one revokes nothing back. Returns the serials
    /// revoked. Safe to run again after a crash: a serial revoked twice is
    /// revoked once.
    ///
    /// Only the holder of the store's applier lock ([`PermitStore::lock_denials`])
    /// applies: while another instance on the same database (or another call
    /// here) has it, this call revokes nothing and returns at once, so that
    /// the instances that all run the applier never revoke and audit one
    /// denial twice. (Were the lock lost mid-way, with its connection, a
    /// second applier would still revoke each serial once, under the bundle's
    /// lock, and audit only the serials it revoked.)
    pub fn apply_denials(&self) -> Result<Vec<u32>, SyncError> {
        let Some(_turn) = self.permits.lock_denials()? else {
            return Ok(Vec::new());
        };
        let caller = Caller::Service { name: "deny-list".into() };
        let mut revoked = Vec::new();
        loop {
            let documents = self.permits.denials_to_apply(256)?;
            if documents.is_empty() {
                return Ok(revoked);
            }
            let now = self.now();
            for document in &documents {
                if self.permits.denial(document, now)?.is_some() {
                    let target = RevokeTarget::Document(document.clone());
                    revoked.extend(self.revoke(&caller, target, "put on the deny list")?.0);
                }
            }
            self.permits.denials_applied(&documents)?;
        }
    }
}
