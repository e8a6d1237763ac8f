//! The JSON the portal's routes answer with (`docs/portal-api.md`), written
//! from the portal's plain values at this edge only.

use serde_json::{json, Value};

use super::store::{PermitRow, TripRow};
use super::{day_text, EmployeeView, Principal, Reactivated};

/// The login answer: `{"user": {…}, "csrf"}`.
pub fn principal(principal: &Principal) -> Value {
    let org = principal.org.as_ref().map(|o| json!({"id": o.id, "name": o.name, "tax_id": o.tax_id}));
    json!({
        "user": {
            "login": principal.person.login,
            "name": principal.person.name,
            "role": principal.person.role.as_str(),
            "must_change_password": principal.person.must_change_password,
            "org": org,
        },
        "csrf": principal.csrf,
    })
}

/// A permit's JSON: serial, token, validity.
pub fn permit(p: &PermitRow) -> Value {
    json!({"serial": p.serial, "token": p.token, "valid_from": p.valid_from.to_rfc3339_utc(),
        "valid_until": p.valid_until.to_rfc3339_utc()})
}

/// A trip's JSON, with its permit.
pub fn trip(t: &TripRow, permit: Option<&PermitRow>) -> Value {
    json!({"id": t.id, "employee": t.employee_id, "zones": t.zones, "valid_from": day_text(t.valid_from),
        "valid_until": day_text(t.valid_until), "permit": permit.map(self::permit)})
}

/// An employee with their permits, `docs/portal-api.md` section 3.
pub fn employee(view: &EmployeeView) -> Value {
    let e = &view.employee;
    json!({
        "id": e.id, "document": e.document, "name": e.name, "position": e.position, "zones": e.zones,
        "valid_from": day_text(e.valid_from), "valid_until": day_text(e.valid_until), "plate": e.plate,
        "status": e.status.as_str(), "permit": view.permit.as_ref().map(permit),
        "trips": view.trips.iter().map(|t| trip(&t.trip, t.permit.as_ref())).collect::<Vec<_>>(),
    })
}

/// A reactivation's answer: how many, and the others' problems.
pub fn reactivated(done: &Reactivated) -> Value {
    let problems: Vec<Value> =
        done.problems.iter().map(|p| json!({"id": p.id, "code": p.code, "message": p.message})).collect();
    json!({"reactivated": done.reactivated, "problems": problems})
}

/// A funeral permit's JSON.
pub fn funeral(p: &PermitRow) -> Value {
    json!({"serial": p.serial, "token": p.token, "document": p.document, "zones": p.zones,
        "valid_from": p.valid_from.to_rfc3339_utc(), "valid_until": p.valid_until.to_rfc3339_utc(),
        "operator": p.issued_by, "note": p.note, "revoked": p.revoked})
}
