//! The re-issue of the portal's long-lived permits after a key that signed
//! them was revoked.

use icaze_core::{Purpose, VehiclePlate, ZoneId};
use icaze_permits::store::PermitStore;
use icaze_sync_service::{Reissue, ReissueProblem};

use crate::fields::document_field;
use crate::service::Checked;
use crate::store::{AuditDetails, EmployeeStatus, PermitKind, PermitRow, ReissuedPermit};
use crate::{PortalError, PortalService};

impl<S: PermitStore> PortalService<S> {
    /// After a stolen key was revoked (`POST /v1/keys/reload`): re-issues,
    /// under the key now in force for their purpose, every work and
    /// business-trip permit still valid that one of `revoked` signed — new
    /// serials, the same holder, zones, window and plate — and points the
    /// employee or trip at the new permit, audited in each organisation.
    /// The old permits need no revocation of their own: their key is
    /// revoked. Gives how many were re-issued, and the problems (a permit
    /// whose holder the registry now refuses is not re-issued).
    pub fn reissue_revoked_keys(&self, revoked: &[icaze_core::KeyId]) -> Result<Reissue, PortalError> {
        let now = self.now();
        let _changes = self.changes()?;
        let signed_by_revoked = |permit: &PermitRow| {
            !permit.revoked
                && permit.valid_until > now
                && icaze_core::UnverifiedPermit::from_text(&permit.token)
                    .is_ok_and(|token| revoked.contains(&token.key_id()))
        };
        // (employee, trip id if a trip, the old permit)
        let stale = self.read(|tx| {
            let mut stale = Vec::new();
            for e in tx.employees_with_status(None, EmployeeStatus::Active)? {
                if let Some(permit) = e.serial.map(|s| tx.permit(s)).transpose()?.flatten() {
                    if signed_by_revoked(&permit) {
                        stale.push((e.clone(), None, permit));
                    }
                }
                for trip in tx.trips_of(e.id)? {
                    if let Some(permit) = tx.permit(trip.serial)? {
                        if signed_by_revoked(&permit) {
                            stale.push((e.clone(), Some(trip.id), permit));
                        }
                    }
                }
            }
            Ok(stale)
        })?;
        let mut problems = Vec::new();
        let mut todo = Vec::new();
        let mut checks = Vec::new();
        for (employee, trip, old) in stale {
            let checked = (|| {
                let document = document_field(&old.document)?;
                self.check_person(&document)?;
                let zones = old.zones.iter().filter_map(|&z| ZoneId::new(z)).collect::<Vec<_>>();
                let purpose = if trip.is_some() { Purpose::BusinessTrip } else { Purpose::Work };
                let plate = employee.plate.as_deref().and_then(VehiclePlate::parse);
                Ok::<_, PortalError>(Checked {
                    document,
                    purpose,
                    zones,
                    valid_from: old.valid_from.max(now),
                    valid_until: old.valid_until,
                    plate,
                })
            })();
            match checked {
                Ok(c) => {
                    checks.push(c);
                    todo.push((employee, trip, old));
                }
                Err(err @ (PortalError::Store(_) | PortalError::Internal(_))) => return Err(err),
                Err(err) => {
                    problems.push(ReissueProblem { serial: old.serial, code: err.code(), message: err.to_string() })
                }
            }
        }
        if todo.is_empty() {
            return Ok(Reissue::Done { reissued: 0, problems });
        }
        let signed = self.issue(&checks)?;
        self.commit(&signed, |tx| {
            let mut per_org: std::collections::BTreeMap<i64, Vec<(u32, u32)>> = Default::default();
            for ((employee, trip, old), s) in todo.iter().zip(&signed) {
                let kind = if trip.is_some() { PermitKind::Trip } else { PermitKind::Work };
                let mut permit = Self::permit_row(s, kind, Some(employee.org_id), "key-rotation");
                permit.employee_id = Some(employee.id);
                permit.trip_id = *trip;
                tx.insert_permit(&permit)?;
                match trip {
                    Some(trip) => tx.set_trip_serial(*trip, permit.serial)?,
                    None => {
                        let mut e = employee.clone();
                        e.serial = Some(permit.serial);
                        tx.update_employee(&e)?;
                    }
                }
                tx.mark_revoked(&[old.serial])?;
                per_org.entry(employee.org_id).or_default().push((old.serial, permit.serial));
            }
            for (org, pairs) in per_org {
                let details = AuditDetails::PermitsReissued {
                    reason: "the key that signed them was revoked".into(),
                    reissued: pairs.iter().map(|&(old, new)| ReissuedPermit { new, old }).collect(),
                };
                tx.audit(&self.audit_entry(Some(org), "key-rotation", "permits_reissued", details))?;
            }
            Ok(())
        })?;
        Ok(Reissue::Done { reissued: signed.len(), problems })
    }
}
