//! Credentials and roles of the sync API (`docs/sync-api.md` section 1).
//!
//! An administrator holds the admin token of `DATA/admin-token`; a
//! supervisor holds a token made by `POST /v1/supervisors`, which the server
//! keeps only as its SHA-256. A device has no bearer token: its key signs
//! every upload batch, and that signature is its credential (checked by
//! `icaze_protocol::UploadBatch::verify`).

use sha2::{Digest as _, Sha256};

use icaze_permits::store::PermitStore;

use crate::store::{AuditDetails, SupervisorRole, SupervisorRow, SyncStore};
use crate::{SyncError, SyncService};

/// Who is calling, once the bearer token was recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The administrator: may do everything.
    Admin,
    /// A precinct supervisor: only within their precinct.
    Supervisor {
        /// Their name, for the audit trail.
        name: String,
        /// Their precinct.
        precinct: String,
        /// What they may see of people's data (`crate::people`).
        role: SupervisorRole,
    },
    /// Another part of this service acting on its own users' behalf (the
    /// employer portal revoking an employee's permit). Never the answer of
    /// [`authenticate`]: no bearer token makes one. It may revoke and nothing
    /// else: every check of this module refuses it.
    Service {
        /// Who, for the audit trail (e.g. `portal:7:aliyev`).
        name: String,
    },
}

impl Caller {
    /// The name written in the audit trail.
    pub fn name(&self) -> &str {
        match self {
            Caller::Admin => "admin",
            Caller::Supervisor { name, .. } | Caller::Service { name } => name,
        }
    }

    /// Their precinct; `None` for the administrator and a service.
    pub fn precinct(&self) -> Option<&str> {
        match self {
            Caller::Admin | Caller::Service { .. } => None,
            Caller::Supervisor { precinct, .. } => Some(precinct),
        }
    }

    /// Refuses (`403`) anyone but the administrator.
    pub fn require_admin(&self) -> Result<(), SyncError> {
        match self {
            Caller::Admin => Ok(()),
            Caller::Supervisor { .. } | Caller::Service { .. } => {
                Err(SyncError::Forbidden("only an administrator may do this".into()))
            }
        }
    }

    /// Refuses (`403`) a supervisor of another precinct than `precinct`.
    pub fn require_precinct(&self, precinct: &str) -> Result<(), SyncError> {
        if let Caller::Service { name } = self {
            return Err(SyncError::Forbidden(format!("{name} may only revoke permits")));
        }
        match self.precinct() {
            None => Ok(()),
            Some(own) if own == precinct => Ok(()),
            Some(own) => Err(SyncError::Forbidden(format!(
                "you supervise precinct {own}, not {precinct}: ask that precinct's supervisor or an administrator"
            ))),
        }
    }

    /// The precinct a query is about: what the caller named, checked
    /// against their own; a supervisor who names none gets their own.
    pub fn scope(&self, named: Option<&str>) -> Result<Option<String>, SyncError> {
        if let Caller::Service { name } = self {
            return Err(SyncError::Forbidden(format!("{name} may only revoke permits")));
        }
        match (self.precinct(), named) {
            (None, named) => Ok(named.map(str::to_owned)),
            (Some(own), None) => Ok(Some(own.to_owned())),
            (Some(_), Some(named)) => {
                self.require_precinct(named)?;
                Ok(Some(named.to_owned()))
            }
        }
    }
}

/// A new bearer token: 32 random bytes in hexadecimal.
pub fn new_token() -> Result<String, SyncError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| SyncError::Internal(format!("random source: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// SHA-256 of a token, as stored.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Equality that takes the same time wherever the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Recognises an `Authorization` header's value: `401` without one or with
/// a token nobody holds.
///
/// A supervisor's token is looked up by its SHA-256 in the database; the
/// lookup's timing can tell an attacker at most something about the hash of
/// their own guess, never about a stored token, and the hash found is
/// compared again in constant time.
pub fn authenticate(store: &dyn SyncStore, admin_token: &str, header: Option<&str>) -> Result<Caller, SyncError> {
    let token = header
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(SyncError::Unauthenticated)?;
    if constant_time_eq(token.as_bytes(), admin_token.as_bytes()) {
        return Ok(Caller::Admin);
    }
    let hash = token_hash(token);
    match store.supervisor_by_token_hash(&hash)? {
        Some(row) if constant_time_eq(&row.token_hash, &hash) => {
            Ok(Caller::Supervisor { name: row.name, precinct: row.precinct, role: row.role })
        }
        _ => Err(SyncError::Unauthenticated),
    }
}

/// Supervisors' credentials, made and removed by the administrator.
impl<S: PermitStore> SyncService<S> {
    /// Makes a supervisor with a role (`crate::people`); returns their
    /// token, which is not kept.
    pub fn add_supervisor(
        &self,
        caller: &Caller,
        name: &str,
        precinct: &str,
        role: SupervisorRole,
    ) -> Result<String, SyncError> {
        caller.require_admin()?;
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !valid {
            return Err(SyncError::invalid(
                "invalid_name",
                "a supervisor's name is 1 to 64 characters of A-Z, a-z, 0-9, dot, dash and underscore",
            ));
        }
        let precinct = crate::service::short_name("invalid_precinct", "precinct", precinct)?;
        let token = new_token()?;
        let row = SupervisorRow {
            name: name.to_owned(),
            precinct: precinct.clone(),
            token_hash: token_hash(&token),
            created_at: self.now(),
            role,
        };
        self.write(|tx| {
            if !tx.insert_supervisor(&row)? {
                return Err(SyncError::SupervisorExists(name.to_owned()));
            }
            let details = AuditDetails::SupervisorAdded {
                name: name.to_owned(),
                precinct: precinct.to_owned(),
                role: role.as_str(),
            };
            self.audit(tx, caller, "supervisor_added", details)?;
            Ok(())
        })?;
        Ok(token)
    }

    /// Removes a supervisor: their token stops working at once.
    pub fn remove_supervisor(&self, caller: &Caller, name: &str) -> Result<(), SyncError> {
        caller.require_admin()?;
        self.write(|tx| {
            if !tx.delete_supervisor(name)? {
                return Err(SyncError::SupervisorNotFound(name.to_owned()));
            }
            self.audit(tx, caller, "supervisor_removed", AuditDetails::SupervisorRemoved { name: name.to_owned() })?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_keep_supervisors_in_their_precinct() {
        let sup = Caller::Supervisor { name: "s".into(), precinct: "P-1".into(), role: SupervisorRole::Supervisor };
        assert_eq!(sup.scope(None).unwrap().as_deref(), Some("P-1"));
        assert_eq!(sup.scope(Some("P-1")).unwrap().as_deref(), Some("P-1"));
        assert!(matches!(sup.scope(Some("P-2")), Err(SyncError::Forbidden(_))));
        assert!(matches!(sup.require_admin(), Err(SyncError::Forbidden(_))));
        assert_eq!(Caller::Admin.scope(None).unwrap(), None);
        assert_eq!(Caller::Admin.scope(Some("P-2")).unwrap().as_deref(), Some("P-2"));
        let service = Caller::Service { name: "portal:1:a".into() };
        assert!(matches!(service.scope(None), Err(SyncError::Forbidden(_))));
        assert!(matches!(service.require_precinct("P-1"), Err(SyncError::Forbidden(_))));
        assert!(matches!(service.require_admin(), Err(SyncError::Forbidden(_))));
        assert_eq!(service.name(), "portal:1:a");
        assert!(
            constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd") && !constant_time_eq(b"a", b"ab")
        );
        assert_eq!(new_token().unwrap().len(), 64);
        assert_ne!(new_token().unwrap(), new_token().unwrap());
    }
}
