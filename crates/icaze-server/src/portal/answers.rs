//! The portal's answers (`docs/portal-api.md`), written from the portal's
//! plain values as the typed answers of `icaze_protocol::api::portal` at this
//! edge only; the client reads the same types.

use icaze_protocol::api::portal as api;

use super::store::{AuditRow, ImportRow, OrgRow, PermitRow, PersonRow, TripRow};
use super::{day_text, EditPreview, EmployeeView, Principal, Reactivated};

/// The login answer: `{"user": {…}, "csrf"}`.
pub fn principal(principal: &Principal) -> api::Session {
    let person = &principal.person;
    let org = principal.org.as_ref().map(|o| api::OrgRef { id: o.id, name: o.name.clone(), tax_id: o.tax_id.clone() });
    api::Session {
        user: api::User {
            login: person.login.clone(),
            name: person.name.clone(),
            role: person.role.as_str().to_owned(),
            must_change_password: person.must_change_password,
            org,
        },
        csrf: principal.csrf.clone(),
    }
}

/// The organisation with its authorised persons.
pub fn org(org: &OrgRow, persons: &[PersonRow]) -> api::Org {
    let person = |p: &PersonRow| api::Person {
        login: p.login.clone(),
        name: p.name.clone(),
        active: p.active,
        created_by: p.created_by.clone(),
        created_at: p.created_at.to_rfc3339_utc(),
    };
    api::Org {
        id: org.id,
        name: org.name.clone(),
        tax_id: org.tax_id.clone(),
        persons: persons.iter().map(person).collect(),
    }
}

/// The zones of the regime in force, `(id, az, ru, en)`.
pub fn zones(zones: Vec<(u16, String, String, String)>) -> api::ZoneList {
    api::ZoneList { zones: zones.into_iter().map(|(id, az, ru, en)| api::Zone { id, az, ru, en }).collect() }
}

/// A page of the organisation's audit log.
pub fn audit(rows: &[AuditRow], next: Option<i64>) -> api::AuditPage {
    let entry = |r: &AuditRow| api::AuditEntry {
        id: r.id,
        at: r.at.to_rfc3339_utc(),
        by: r.by.clone(),
        action: r.action.clone(),
        details: crate::api::stored_details(&r.details),
    };
    api::AuditPage { entries: rows.iter().map(entry).collect(), next }
}

/// A permit: serial, token, validity.
pub fn permit(p: &PermitRow) -> api::Permit {
    api::Permit {
        serial: p.serial,
        token: p.token.clone(),
        valid_from: p.valid_from.to_rfc3339_utc(),
        valid_until: p.valid_until.to_rfc3339_utc(),
    }
}

/// A trip, with its permit.
pub fn trip(t: &TripRow, permit: Option<&PermitRow>) -> api::Trip {
    api::Trip {
        id: t.id,
        employee: t.employee_id,
        zones: t.zones.clone(),
        valid_from: day_text(t.valid_from),
        valid_until: day_text(t.valid_until),
        permit: permit.map(self::permit),
    }
}

/// An employee with their permits, `docs/portal-api.md` section 3.
pub fn employee(view: &EmployeeView) -> api::Employee {
    let e = &view.employee;
    api::Employee {
        id: e.id,
        document: e.document.clone(),
        name: e.name.clone(),
        position: e.position.clone(),
        zones: e.zones.clone(),
        valid_from: day_text(e.valid_from),
        valid_until: day_text(e.valid_until),
        plate: e.plate.clone(),
        status: e.status.as_str().to_owned(),
        permit: view.permit.as_ref().map(permit),
        trips: view.trips.iter().map(|t| trip(&t.trip, t.permit.as_ref())).collect(),
    }
}

/// A page of employees.
pub fn employees(views: &[EmployeeView], next: Option<i64>) -> api::EmployeePage {
    api::EmployeePage { employees: views.iter().map(employee).collect(), next }
}

/// What an edit would do.
pub fn preview(preview: &EditPreview) -> api::EditPreview {
    api::EditPreview { reissues: preview.reissues, revokes: preview.revokes.clone() }
}

/// A reactivation's answer: how many, and the others' problems.
pub fn reactivated(done: &Reactivated) -> api::Reactivated {
    let problems = done
        .problems
        .iter()
        .map(|p| api::ReactivateProblem {
            id: p.id,
            code: p.code.to_owned(),
            message: p.message.clone(),
            detail: crate::api::wire_detail(&p.detail),
        })
        .collect();
    api::Reactivated { reactivated: done.reactivated as u64, problems }
}

/// An import's progress and its first problems.
pub fn import(job: &ImportRow) -> api::ImportStatus {
    api::ImportStatus {
        id: job.id.clone(),
        state: job.state.clone(),
        total: job.total,
        processed: job.processed,
        imported: job.imported,
        problems: job
            .problems
            .iter()
            .map(|p| api::ImportProblem {
                line: p.line as u64,
                message: p.message.clone(),
                code: p.code.code.clone(),
                detail: icaze_protocol::api::Detail {
                    case: p.code.case.clone(),
                    field: p.code.field.clone(),
                    params: p.code.params.iter().cloned().collect(),
                },
            })
            .collect(),
        problems_total: job.problems_total,
    }
}

/// A funeral permit.
pub fn funeral(p: &PermitRow) -> api::Funeral {
    api::Funeral {
        serial: p.serial,
        token: p.token.clone(),
        document: p.document.clone(),
        zones: p.zones.clone(),
        valid_from: p.valid_from.to_rfc3339_utc(),
        valid_until: p.valid_until.to_rfc3339_utc(),
        operator: p.issued_by.clone(),
        note: p.note.clone(),
        revoked: p.revoked,
    }
}

/// A page of funeral permits.
pub fn funerals(rows: &[PermitRow], next: Option<u32>) -> api::FuneralPage {
    api::FuneralPage { permits: rows.iter().map(funeral).collect(), next }
}

#[cfg(test)]
mod tests {
    use icaze_core::UtcMinute;
    use serde_json::{json, Value};

    use super::*;
    use crate::api::round_trip;
    use crate::portal::store::{EmployeeRow, EmployeeStatus, ImportProblem, PermitKind, ProblemCode};
    use crate::portal::PortalError;
    use crate::portal::{ReactivateProblem, TripView};

    fn permit_row(serial: u32, kind: PermitKind) -> PermitRow {
        PermitRow {
            serial,
            kind,
            org_id: Some(1),
            employee_id: Some(2),
            trip_id: None,
            issued_by: "op".into(),
            document: "AZE12345678".into(),
            zones: vec![1, 3],
            token: format!("IZ2T{serial}"),
            issued_at: UtcMinute::from_unix_minutes(26_830_000),
            valid_from: UtcMinute::from_unix_minutes(26_830_000),
            valid_until: UtcMinute::from_unix_minutes(26_830_060),
            revoked: false,
            note: None,
        }
    }

    #[test]
    fn an_employee_carries_its_permit_and_trips() {
        let employee = EmployeeRow {
            id: 2,
            org_id: 1,
            document: "AZE12345678".into(),
            name: "Əli Məmmədov".into(),
            position: "sürücü".into(),
            zones: vec![1, 3],
            valid_from: 18_611,
            valid_until: 18_620,
            plate: None,
            status: EmployeeStatus::Active,
            serial: Some(7),
        };
        let trip = TripRow {
            id: 5,
            org_id: 1,
            employee_id: 2,
            zones: vec![4],
            valid_from: 18_612,
            valid_until: 18_613,
            serial: 8,
        };
        let view = EmployeeView {
            employee,
            permit: Some(permit_row(7, PermitKind::Work)),
            trips: vec![TripView { trip, permit: Some(permit_row(8, PermitKind::Trip)) }],
        };
        let json = round_trip(&employees(&[view], Some(2)));
        let e = &json["employees"][0];
        assert_eq!((e["status"].as_str(), e["valid_from"].as_str()), (Some("active"), Some("2020-12-15")));
        assert_eq!(e["plate"], Value::Null);
        assert_eq!(e["permit"]["valid_from"], "2021-01-04T22:40:00Z");
        assert_eq!(e["trips"][0]["employee"], 2);
        assert_eq!(e["trips"][0]["permit"]["serial"], 8);
        assert_eq!(json["next"], 2);
    }

    #[test]
    fn a_funeral_permit_names_its_operator() {
        let json = round_trip(&funerals(&[permit_row(9, PermitKind::Funeral)], None));
        let p = &json["permits"][0];
        assert_eq!((p["operator"].as_str(), p["revoked"].as_bool()), (Some("op"), Some(false)));
        assert_eq!((p["note"].clone(), json["next"].clone()), (Value::Null, Value::Null));
        assert_eq!(p["zones"], json!([1, 3]));
    }

    #[test]
    fn an_import_and_a_reactivation_list_their_problems() {
        let job = ImportRow {
            id: "i1".into(),
            org_id: 1,
            state: "done".into(),
            total: 3,
            processed: 3,
            imported: 2,
            problems: vec![
                ImportProblem::of(3, &PortalError::UnknownDocument("AZE9".into())),
                ImportProblem { line: 4, message: "old".into(), code: ProblemCode::default() },
            ],
            problems_total: 1,
            created_at: UtcMinute::from_unix_minutes(26_830_000),
        };
        let json = round_trip(&import(&job));
        assert_eq!(
            json["problems"],
            json!([
                {"line": 3, "message": "the document AZE9 is not in the population registry: check the number",
                    "code": "unknown_document", "field": "document", "params": {"document": "AZE9"}},
                {"line": 4, "message": "old", "code": ""},
            ])
        );
        assert!(json.get("created_at").is_none() && json.get("org_id").is_none(), "{json}");
        let past = PortalError::invalid("invalid_dates", "m").case("past").field("valid_until");
        let problem = ReactivateProblem { id: 4, code: "invalid_dates", message: "m".into(), detail: past.detail() };
        let done = Reactivated { reactivated: 1, problems: vec![problem] };
        assert_eq!(
            round_trip(&reactivated(&done)),
            json!({"reactivated": 1, "problems": [{"id": 4, "code": "invalid_dates", "message": "m",
                "case": "past", "field": "valid_until"}]})
        );
    }

    #[test]
    fn audit_details_are_the_stored_json() {
        let row = |id, details: &str| AuditRow {
            id,
            org_id: Some(1),
            at: UtcMinute::from_unix_minutes(26_830_000),
            by: "a".into(),
            action: "login".into(),
            details: details.into(),
        };
        let json = round_trip(&audit(&[row(1, r#"{"login": "a"}"#), row(2, "plain")], None));
        assert_eq!(json["entries"][0]["details"], json!({"login": "a"}));
        assert_eq!(json["entries"][1]["details"], "plain");
    }
}
