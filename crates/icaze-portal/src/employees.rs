//! Employees and their work permits, business trips, the printable
//! certificate's contents, and the regime-change actions: deactivation of
//! every employee, revocation of an organisation, reactivation.

use std::collections::HashSet;

use icaze_core::{Purpose, VehiclePlate, ZoneId};
use icaze_permits::regime::Zone;
use icaze_permits::store::PermitStore;
use icaze_sync_service::store::RevocationKind;
use icaze_sync_service::Caller;

use crate::fields::{day_text, document_field, text_field};
use crate::service::{Checked, DEFAULT_PAGE, MAX_PAGE};
use crate::store::{
    AuditDetails, EditedFields, EmployeeQuery, EmployeeRow, EmployeeStatus, OrgRow, PermitKind, PermitRow, PortalTx,
    TripRow,
};
use crate::{PortalError, PortalService, Principal};

/// What an employer gives for an employee.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmployeeInput {
    /// The identity document.
    pub document: String,
    /// Name.
    pub name: String,
    /// Position.
    #[serde(default)]
    pub position: String,
    /// Zone ids.
    pub zones: Vec<u16>,
    /// First day, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day, `YYYY-MM-DD`.
    pub valid_until: String,
    /// Vehicle plate.
    #[serde(default)]
    pub plate: Option<String>,
}

/// What an employer gives for a business trip.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TripInput {
    /// Zone ids.
    pub zones: Vec<u16>,
    /// First day, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day, `YYYY-MM-DD`.
    pub valid_until: String,
}

/// An employee with their permits, as the API shows them.
#[derive(Debug, Clone)]
pub struct EmployeeView {
    /// The employee.
    pub employee: EmployeeRow,
    /// The current work permit.
    pub permit: Option<PermitRow>,
    /// The trips with their permits.
    pub trips: Vec<TripView>,
}

/// A business trip with its permit.
#[derive(Debug, Clone)]
pub struct TripView {
    /// The trip.
    pub trip: TripRow,
    /// Its permit (`None` only if the store lost it).
    pub permit: Option<PermitRow>,
}

/// What a reactivation did: how many employees got a new permit, and why the
/// others did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reactivated {
    /// Employees reactivated.
    pub reactivated: usize,
    /// The employees that were not, each with the reason.
    pub problems: Vec<ReactivateProblem>,
}

/// An employee a reactivation left deactivated, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactivateProblem {
    /// The employee's id.
    pub id: i64,
    /// A stable code: `not_deactivated`, or the code of the check that failed.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// The case, field and values of the check that failed.
    pub detail: crate::Detail,
}

/// What an edit of an employee would do to their permit, told before it is
/// saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditPreview {
    /// Whether the edit changes a signed field (document, zones, window,
    /// plate), or the employee has no permit in force: a new permit is issued.
    pub reissues: bool,
    /// The serials the edit revokes (empty when it does not re-issue).
    pub revokes: Vec<u32>,
}

/// A document to print: the permit with what the certificate shows.
#[derive(Debug, Clone)]
pub struct Printable {
    /// The permit.
    pub permit: PermitRow,
    /// The employee.
    pub employee: EmployeeRow,
    /// The organisation.
    pub org: OrgRow,
    /// Whether it is a business trip's.
    pub trip: bool,
    /// The permit's zones, each with its names in the regime in force at
    /// its start (None for a zone that regime does not name).
    pub zones: Vec<(u16, Option<Zone>)>,
}

impl<S: PermitStore> PortalService<S> {
    pub(crate) fn check_employee(&self, input: &EmployeeInput) -> Result<(EmployeeRow, Checked), PortalError> {
        let document = document_field(&input.document)?;
        let name = text_field(&input.name, "name", false)?;
        let position = text_field(&input.position, "position", true)?;
        let plate = match input.plate.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(text) => Some(VehiclePlate::parse(text).ok_or_else(|| {
                PortalError::invalid(
                    "invalid_plate",
                    format!("the plate {text:?} must be 1 to 15 characters 0-9 A-Z (hyphens and spaces are dropped)"),
                )
                .field("plate")
                .param("value", text)
            })?),
            None => None,
        };
        let (from_day, until_day, zones, start, end) =
            self.check_days(&input.zones, &input.valid_from, &input.valid_until, Purpose::Work)?;
        self.check_person(&document)?;
        let row = EmployeeRow {
            id: 0,
            org_id: 0,
            document: document.canonical(),
            name,
            position,
            zones: zones.iter().map(|z| z.get()).collect(),
            valid_from: from_day,
            valid_until: until_day,
            plate: plate.as_ref().map(|p| p.as_str().to_owned()),
            status: EmployeeStatus::Active,
            serial: None,
        };
        let checked = Checked { document, purpose: Purpose::Work, zones, valid_from: start, valid_until: end, plate };
        Ok((row, checked))
    }

    fn view(&self, tx: &mut dyn PortalTx, employee: EmployeeRow) -> Result<EmployeeView, PortalError> {
        let permit = match employee.serial {
            Some(serial) => tx.permit(serial)?,
            None => None,
        };
        let mut trips = Vec::new();
        for trip in tx.trips_of(employee.id)? {
            let permit = tx.permit(trip.serial)?;
            trips.push(TripView { trip, permit });
        }
        Ok(EmployeeView { employee, permit, trips })
    }

    /// A page of the caller's employees.
    pub fn employees(
        &self,
        principal: &Principal,
        mut query: EmployeeQuery,
    ) -> Result<(Vec<EmployeeView>, Option<i64>), PortalError> {
        let org = principal.employer()?;
        query.limit = if query.limit == 0 { DEFAULT_PAGE } else { query.limit.min(MAX_PAGE) };
        let limit = query.limit as usize;
        let views = self.read(|tx| {
            let rows = tx.employees(org.id, &query)?;
            rows.into_iter().map(|e| self.view(tx, e)).collect::<Result<Vec<_>, _>>()
        })?;
        let next = (views.len() == limit).then(|| views.last().map(|v| v.employee.id)).flatten();
        Ok((views, next))
    }

    /// One of the caller's employees.
    pub fn employee(&self, principal: &Principal, id: i64) -> Result<EmployeeView, PortalError> {
        let org = principal.employer()?;
        self.read(|tx| {
            let employee = tx.employee(org.id, id)?.ok_or_else(|| PortalError::employee_not_found(id))?;
            self.view(tx, employee)
        })
    }

    /// Registers an employee and issues their work permit.
    pub fn add_employee(&self, principal: &Principal, input: &EmployeeInput) -> Result<EmployeeView, PortalError> {
        let org = principal.employer()?;
        let (mut row, checked) = self.check_employee(input)?;
        row.org_id = org.id;
        let _changes = self.changes()?;
        self.admitted(org.id)?;
        let duplicate = || {
            PortalError::conflict(
                "duplicate_employee",
                format!("the document {} is registered in your organisation already: edit that employee", row.document),
            )
            .field("document")
            .param("document", &row.document)
        };
        if self.read(|tx| Ok(tx.employee_by_document(org.id, &row.document)?))?.is_some() {
            return Err(duplicate());
        }
        let signed = self.issue(std::slice::from_ref(&checked))?;
        let by = &principal.person.login;
        let mut permit = Self::permit_row(&signed[0], PermitKind::Work, Some(org.id), by);
        row.serial = Some(permit.serial);
        self.commit(&signed, |tx| {
            if tx.employee_by_document(org.id, &row.document)?.is_some() {
                return Err(duplicate());
            }
            let id = tx.insert_employee(&row)?;
            permit.employee_id = Some(id);
            tx.insert_permit(&permit)?;
            let details =
                AuditDetails::EmployeeAdded { document: row.document.clone(), employee: id, serial: permit.serial };
            tx.audit(&self.audit_entry(Some(org.id), by, "employee_added", details))?;
            let mut row = row.clone();
            row.id = id;
            self.view(tx, row)
        })
    }

    /// Checks an edit: the old employee, the new row and its claims, and
    /// what it would do to the permit. The caller holds `changes`.
    fn plan_edit(
        &self,
        org_id: i64,
        id: i64,
        input: &EmployeeInput,
    ) -> Result<(EmployeeRow, EmployeeRow, Checked, EditPreview), PortalError> {
        let old = self.read(|tx| Ok(tx.employee(org_id, id)?))?.ok_or_else(|| PortalError::employee_not_found(id))?;
        let (row, checked) = self.check_employee(input)?;
        if row.document != old.document
            && self.read(|tx| Ok(tx.employee_by_document(org_id, &row.document)?))?.is_some()
        {
            return Err(PortalError::conflict(
                "duplicate_employee",
                format!("the document {} is registered in your organisation already", row.document),
            )
            .field("document")
            .param("document", &row.document));
        }
        // The permit signs the document, the purpose (always work here), the
        // zones, the window and the plate; the name and the position are the
        // portal's own and need no new permit. An employee without a permit in
        // force (deactivated, or their permit revoked) gets one, as before.
        let signed_same = row.document == old.document
            && row.zones == old.zones
            && row.valid_from == old.valid_from
            && row.valid_until == old.valid_until
            && row.plate == old.plate;
        // The sync service's revocations decide, not only the portal's mark: a
        // re-issue whose portal write failed after the old permit was revoked
        // (`PortalService::commit`) leaves that permit unmarked here, and a
        // name-only edit must not keep it.
        let in_force = match old.serial {
            Some(serial) if old.status == EmployeeStatus::Active => {
                self.read(|tx| Ok(tx.permit(serial)?))?.is_some_and(|p| !p.revoked) && !self.sync.is_revoked(serial)?
            }
            _ => false,
        };
        let reissues = !(signed_same && in_force);
        let revokes = if reissues { old.serial.into_iter().collect() } else { Vec::new() };
        Ok((old, row, checked, EditPreview { reissues, revokes }))
    }

    /// What [`Self::edit_employee`] would do with this input, without doing
    /// it: whether the permit is re-issued and which serials are revoked.
    /// The input is checked as the edit checks it.
    pub fn preview_edit(
        &self,
        principal: &Principal,
        id: i64,
        input: &EmployeeInput,
    ) -> Result<EditPreview, PortalError> {
        let org = principal.employer()?;
        let _changes = self.changes()?;
        self.admitted(org.id)?;
        let (_, _, _, preview) = self.plan_edit(org.id, id, input)?;
        Ok(preview)
    }

    /// Changes an employee. An edit of a signed field (document, zones,
    /// window, plate) revokes the old permit and issues a new one; an edit of
    /// the name or position only keeps the permit and its serial.
    pub fn edit_employee(
        &self,
        principal: &Principal,
        id: i64,
        input: &EmployeeInput,
    ) -> Result<EmployeeView, PortalError> {
        let org = principal.employer()?;
        let _changes = self.changes()?;
        self.admitted(org.id)?;
        let (old, mut row, checked, preview) = self.plan_edit(org.id, id, input)?;
        let by = &principal.person.login;
        let before = EditedFields {
            document: old.document.clone(),
            name: old.name.clone(),
            valid_from: day_text(old.valid_from),
            valid_until: day_text(old.valid_until),
            zones: old.zones.clone(),
        };
        row.id = id;
        row.org_id = org.id;
        if !preview.reissues {
            row.serial = old.serial;
            row.status = old.status;
            return self.write(|tx| {
                tx.update_employee(&row)?;
                let details = AuditDetails::EmployeeEdited {
                    before: before.clone(),
                    document: row.document.clone(),
                    employee: id,
                    revoked: Vec::new(),
                    serial: row.serial.unwrap_or_default(),
                };
                tx.audit(&self.audit_entry(Some(org.id), by, "employee_edited", details))?;
                self.view(tx, row.clone())
            });
        }
        // Signed before the revocation, so that nothing but storage can fail
        // between the old permit's end and the new one's record.
        let signed = self.prepare(std::slice::from_ref(&checked))?;
        let caller = Caller::Service { name: principal.service_name() };
        let old_serials = preview.revokes;
        let why = format!("employee {id} edited on the portal");
        self.revoke_as(&caller, &old_serials, &why, RevocationKind::Replaced)?;
        self.record(&signed)?;
        let mut permit = Self::permit_row(&signed[0], PermitKind::Work, Some(org.id), by);
        permit.employee_id = Some(id);
        row.serial = Some(permit.serial);
        self.commit(&signed, |tx| {
            tx.mark_revoked(&old_serials)?;
            tx.update_employee(&row)?;
            tx.insert_permit(&permit)?;
            let details = AuditDetails::EmployeeEdited {
                before: before.clone(),
                document: row.document.clone(),
                employee: id,
                revoked: old_serials.clone(),
                serial: permit.serial,
            };
            tx.audit(&self.audit_entry(Some(org.id), by, "employee_edited", details))?;
            self.view(tx, row.clone())
        })
    }

    /// Removes an employee, revoking their permit and their trips' permits.
    pub fn delete_employee(&self, principal: &Principal, id: i64) -> Result<Vec<u32>, PortalError> {
        let org = principal.employer()?;
        let _changes = self.changes()?;
        self.admitted(org.id)?;
        let (employee, serials) = self.read(|tx| {
            let employee = tx.employee(org.id, id)?.ok_or_else(|| PortalError::employee_not_found(id))?;
            Ok((employee, tx.live_permits_of_employee(id)?))
        })?;
        let caller = Caller::Service { name: principal.service_name() };
        self.revoke(&caller, &serials, &format!("employee {id} removed on the portal"))?;
        self.write(|tx| {
            tx.mark_revoked(&serials)?;
            tx.delete_employee(id)?;
            let details = AuditDetails::EmployeeDeleted {
                document: employee.document.clone(),
                employee: id,
                revoked: serials.clone(),
            };
            tx.audit(&self.audit_entry(Some(org.id), &principal.person.login, "employee_deleted", details))?;
            Ok(())
        })?;
        Ok(serials)
    }

    /// A business trip of an employee, with its permit (purpose 5).
    pub fn add_trip(
        &self,
        principal: &Principal,
        employee_id: i64,
        input: &TripInput,
    ) -> Result<TripView, PortalError> {
        let org = principal.employer()?;
        let _changes = self.changes()?;
        self.admitted(org.id)?;
        let employee = self
            .read(|tx| Ok(tx.employee(org.id, employee_id)?))?
            .ok_or_else(|| PortalError::employee_not_found(employee_id))?;
        if employee.status != EmployeeStatus::Active {
            return Err(PortalError::conflict(
                "employee_deactivated",
                "the employee is deactivated: reactivate them before adding a trip",
            ));
        }
        let (from_day, until_day, zones, start, end) =
            self.check_days(&input.zones, &input.valid_from, &input.valid_until, Purpose::BusinessTrip)?;
        let document = document_field(&employee.document)?;
        self.check_person(&document)?;
        let plate = employee.plate.as_deref().and_then(VehiclePlate::parse);
        let checked =
            Checked { document, purpose: Purpose::BusinessTrip, zones, valid_from: start, valid_until: end, plate };
        let signed = self.issue(std::slice::from_ref(&checked))?;
        let by = &principal.person.login;
        let mut permit = Self::permit_row(&signed[0], PermitKind::Trip, Some(org.id), by);
        permit.employee_id = Some(employee_id);
        let mut trip = TripRow {
            id: 0,
            org_id: org.id,
            employee_id,
            zones: permit.zones.clone(),
            valid_from: from_day,
            valid_until: until_day,
            serial: permit.serial,
        };
        self.commit(&signed, |tx| {
            trip.id = tx.insert_trip(&trip)?;
            permit.trip_id = Some(trip.id);
            tx.insert_permit(&permit)?;
            let details = AuditDetails::TripAdded {
                employee: employee_id,
                serial: permit.serial,
                trip: trip.id,
                zones: trip.zones.clone(),
            };
            tx.audit(&self.audit_entry(Some(org.id), by, "trip_added", details))?;
            Ok(())
        })?;
        Ok(TripView { trip, permit: Some(permit) })
    }

    /// A permit to print: the employee's (`trip == false`, `id` an
    /// employee) or a trip's (`id` a trip), of the caller's organisation.
    pub fn printable(&self, principal: &Principal, id: i64, trip: bool) -> Result<Printable, PortalError> {
        let org = principal.employer()?.clone();
        self.read(|tx| {
            let (employee, serial) = if trip {
                let t = tx.trip(org.id, id)?.ok_or_else(|| {
                    PortalError::not_found("trip_not_found", format!("there is no trip {id} in your organisation"))
                })?;
                let employee = tx
                    .employee(org.id, t.employee_id)?
                    .ok_or_else(|| PortalError::employee_not_found(t.employee_id))?;
                (employee, Some(t.serial))
            } else {
                let employee = tx.employee(org.id, id)?.ok_or_else(|| PortalError::employee_not_found(id))?;
                let serial = employee.serial;
                (employee, serial)
            };
            let permit = match serial {
                Some(serial) => tx.permit(serial)?,
                None => None,
            };
            let permit = permit.filter(|p| !p.revoked).ok_or_else(|| {
                PortalError::not_found("permit_not_found", "this employee has no permit in force: reactivate them")
            })?;
            let regime = self.regime_at(permit.valid_from);
            let zones = permit
                .zones
                .iter()
                .map(|&z| (z, regime.as_ref().and_then(|r| ZoneId::new(z).and_then(|id| r.zones.get(&id))).cloned()))
                .collect();
            Ok(Printable { permit, employee, org: org.clone(), trip, zones })
        })
    }

    // Regime changes.

    /// Admin: deactivates every active employee of every organisation and
    /// revokes their permits; gives (employees, permits).
    pub fn deactivate_all(&self, caller: &Caller, reason: &str) -> Result<(usize, usize), PortalError> {
        caller.require_admin()?;
        let reason = text_field(reason, "reason", false)?;
        let _changes = self.changes()?;
        let (employees, serials) = self.read(|tx| {
            let employees = tx.employees_with_status(None, EmployeeStatus::Active)?;
            let mut serials = Vec::new();
            for e in &employees {
                serials.extend(tx.live_permits_of_employee(e.id)?);
            }
            Ok((employees, serials))
        })?;
        self.revoke(caller, &serials, &format!("regime change: {reason}"))?;
        self.write(|tx| {
            tx.mark_revoked(&serials)?;
            let mut per_org: std::collections::BTreeMap<i64, usize> = Default::default();
            for e in &employees {
                let mut e = e.clone();
                e.status = EmployeeStatus::Deactivated;
                tx.update_employee(&e)?;
                *per_org.entry(e.org_id).or_default() += 1;
            }
            for (org, count) in per_org {
                let details = AuditDetails::EmployeesDeactivated { deactivated: count, reason: reason.clone() };
                tx.audit(&self.audit_entry(Some(org), caller.name(), "employees_deactivated", details))?;
            }
            Ok(())
        })?;
        Ok((employees.len(), serials.len()))
    }

    /// Admin: revokes every permit of an organisation (its employees are
    /// deactivated); gives the serials revoked.
    pub fn revoke_org(&self, caller: &Caller, org_id: i64, reason: &str) -> Result<Vec<u32>, PortalError> {
        caller.require_admin()?;
        let reason = text_field(reason, "reason", false)?;
        let _changes = self.changes()?;
        let (serials, employees) = self.read(|tx| {
            tx.org(org_id)?.ok_or_else(|| {
                PortalError::not_found("organisation_not_found", format!("there is no organisation {org_id}"))
            })?;
            Ok((tx.live_permits_of_org(org_id)?, tx.employees_with_status(Some(org_id), EmployeeStatus::Active)?))
        })?;
        // Revoked first, so that it cannot sign in or add while its permits are
        // revoked; a revocation that fails half way is done again by asking again.
        self.write(|tx| Ok(tx.revoke_org(org_id, self.now())?))?;
        self.revoke(caller, &serials, &format!("organisation {org_id}: {reason}"))?;
        self.write(|tx| {
            tx.mark_revoked(&serials)?;
            for e in &employees {
                let mut e = e.clone();
                e.status = EmployeeStatus::Deactivated;
                tx.update_employee(&e)?;
            }
            let details = AuditDetails::OrganisationRevoked { reason: reason.clone(), revoked: serials.clone() };
            tx.audit(&self.audit_entry(Some(org_id), caller.name(), "organisation_revoked", details))?;
            Ok(())
        })?;
        Ok(serials)
    }

    /// Reactivates deactivated employees (`ids`, or all when `None`) for a
    /// new window; gives how many, and the problems of the others.
    pub fn reactivate(
        &self,
        principal: &Principal,
        ids: Option<&[i64]>,
        valid_from: &str,
        valid_until: &str,
    ) -> Result<Reactivated, PortalError> {
        let org = principal.employer()?;
        let _changes = self.changes()?;
        self.admitted(org.id)?;
        let deactivated = self.read(|tx| Ok(tx.employees_with_status(Some(org.id), EmployeeStatus::Deactivated)?))?;
        let wanted: Option<HashSet<i64>> = ids.map(|ids| ids.iter().copied().collect());
        let mut problems = Vec::new();
        if let Some(wanted) = &wanted {
            let known: HashSet<i64> = deactivated.iter().map(|e| e.id).collect();
            for id in wanted.iter().filter(|id| !known.contains(id)) {
                problems.push(ReactivateProblem {
                    id: *id,
                    code: "not_deactivated",
                    message: format!("employee {id} is not a deactivated employee of your organisation"),
                    detail: crate::Detail { params: vec![("id", id.to_string())], ..crate::Detail::default() },
                });
            }
        }
        let mut rows = Vec::new();
        let mut checks = Vec::new();
        for mut e in deactivated.into_iter().filter(|e| wanted.as_ref().is_none_or(|w| w.contains(&e.id))) {
            let checked = (|| {
                let (from_day, until_day, zones, start, end) =
                    self.check_days(&e.zones, valid_from, valid_until, Purpose::Work)?;
                let document = document_field(&e.document)?;
                self.check_person(&document)?;
                let plate = e.plate.as_deref().and_then(VehiclePlate::parse);
                e.valid_from = from_day;
                e.valid_until = until_day;
                Ok::<_, PortalError>(Checked {
                    document,
                    purpose: Purpose::Work,
                    zones,
                    valid_from: start,
                    valid_until: end,
                    plate,
                })
            })();
            match checked {
                Ok(c) => {
                    rows.push(e);
                    checks.push(c);
                }
                Err(err @ (PortalError::Store(_) | PortalError::Internal(_))) => return Err(err),
                Err(err) => problems.push(ReactivateProblem {
                    id: e.id,
                    code: err.code(),
                    message: err.to_string(),
                    detail: err.detail(),
                }),
            }
        }
        if rows.is_empty() {
            return Ok(Reactivated { reactivated: 0, problems });
        }
        let signed = self.issue(&checks)?;
        let by = &principal.person.login;
        self.commit(&signed, |tx| {
            for (e, s) in rows.iter().zip(&signed) {
                let mut permit = Self::permit_row(s, PermitKind::Work, Some(org.id), by);
                permit.employee_id = Some(e.id);
                let mut e = e.clone();
                e.status = EmployeeStatus::Active;
                e.serial = Some(permit.serial);
                tx.update_employee(&e)?;
                tx.insert_permit(&permit)?;
            }
            let ids: Vec<i64> = rows.iter().map(|e| e.id).collect();
            let details = AuditDetails::EmployeesReactivated {
                employees: ids,
                valid_from: valid_from.to_owned(),
                valid_until: valid_until.to_owned(),
            };
            tx.audit(&self.audit_entry(Some(org.id), by, "employees_reactivated", details))?;
            Ok(())
        })?;
        Ok(Reactivated { reactivated: rows.len(), problems })
    }
}
