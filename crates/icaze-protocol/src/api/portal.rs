//! The portal's answers (`docs/portal-api.md`): the session, the
//! organisation, employees and their permits, imports, the 102 console's
//! funeral permits, and the administrator's portal actions.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Detail;

/// An organisation as a session names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRef {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its tax id (VÖEN).
    pub tax_id: String,
}

/// The person a session is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Their login.
    pub login: String,
    /// Their name.
    pub name: String,
    /// `employer` or `operator`.
    pub role: String,
    /// The password was a one-time one: the session may only set a new one.
    pub must_change_password: bool,
    /// The organisation of an authorised person; `None` for an operator.
    pub org: Option<OrgRef>,
}

/// `POST /portal/api/login` and `GET /portal/api/session`: the person and the
/// CSRF token the session's other requests carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Who.
    pub user: User,
    /// The `X-CSRF-Token` of the session.
    pub csrf: String,
}

/// `POST /portal/api/logout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedOut {
    /// Always `true`.
    pub logged_out: bool,
}

/// `POST /portal/api/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChanged {
    /// Always `true`.
    pub changed: bool,
}

/// An authorised person of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Their login.
    pub login: String,
    /// Their name.
    pub name: String,
    /// Not removed.
    pub active: bool,
    /// Who added them.
    pub created_by: String,
    /// When, RFC 3339 UTC.
    pub created_at: String,
}

/// `GET /portal/api/org`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Org {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its tax id.
    pub tax_id: String,
    /// Its authorised persons.
    pub persons: Vec<Person>,
}

/// A zone of the regime in force, named in the three languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    /// Its number.
    pub id: u16,
    /// Azerbaijani.
    pub az: String,
    /// Russian.
    pub ru: String,
    /// English.
    pub en: String,
}

/// `GET /portal/api/zones`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneList {
    /// The zones.
    pub zones: Vec<Zone>,
}

/// A new account and its one-time password, shown only now
/// (`POST /portal/api/org/persons`, `POST /v1/operators`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    /// The login.
    pub login: String,
    /// The one-time password.
    pub password: String,
}

/// `DELETE /portal/api/org/persons/{login}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRemoved {
    /// The login.
    pub login: String,
    /// Always `false`.
    pub active: bool,
}

/// One entry of an organisation's audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its id.
    pub id: i64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Who.
    pub by: String,
    /// What (`employee_added`, …).
    pub action: String,
    /// The action's details as the store keeps them.
    pub details: Value,
}

/// `GET /portal/api/audit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditEntry>,
    /// The `after` of the next page, if there is one.
    pub next: Option<i64>,
}

/// A permit: serial, token, validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permit {
    /// Its serial.
    pub serial: u32,
    /// The token, SMS form.
    pub token: String,
    /// From, RFC 3339 UTC.
    pub valid_from: String,
    /// Until, RFC 3339 UTC.
    pub valid_until: String,
}

/// A business trip with its permit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trip {
    /// Its id.
    pub id: i64,
    /// The employee's id.
    pub employee: i64,
    /// The zones.
    pub zones: Vec<u16>,
    /// The first day, `YYYY-MM-DD`.
    pub valid_from: String,
    /// The last day, `YYYY-MM-DD`.
    pub valid_until: String,
    /// Its permit.
    pub permit: Option<Permit>,
}

/// An employee with their permits, section 3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    /// Its id.
    pub id: i64,
    /// The document.
    pub document: String,
    /// The name.
    pub name: String,
    /// The position.
    pub position: String,
    /// The zones of the work permit.
    pub zones: Vec<u16>,
    /// The first day, `YYYY-MM-DD`.
    pub valid_from: String,
    /// The last day, `YYYY-MM-DD`.
    pub valid_until: String,
    /// The vehicle's plate.
    pub plate: Option<String>,
    /// `active` or `deactivated`.
    pub status: String,
    /// The work permit.
    pub permit: Option<Permit>,
    /// The business trips.
    pub trips: Vec<Trip>,
}

/// `GET /portal/api/employees`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployeePage {
    /// The employees.
    pub employees: Vec<Employee>,
    /// The `after` of the next page, if there is one.
    pub next: Option<i64>,
}

/// `POST /portal/api/employees/{id}/preview`: what an edit would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditPreview {
    /// A new permit would be issued.
    pub reissues: bool,
    /// These serials would be revoked.
    pub revokes: Vec<u32>,
}

/// The serials an action revoked (an employee deleted, an organisation revoked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermitsRevoked {
    /// The serials.
    pub revoked: Vec<u32>,
}

/// An employee not reactivated, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactivateProblem {
    /// The employee's id.
    pub id: i64,
    /// The stable code.
    pub code: String,
    /// Why.
    pub message: String,
    /// Its case, field and values, as a refusal's.
    #[serde(flatten)]
    pub detail: Detail,
}

/// `POST /portal/api/employees/reactivate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reactivated {
    /// How many were reactivated.
    pub reactivated: u64,
    /// The others.
    pub problems: Vec<ReactivateProblem>,
}

/// `POST /portal/api/imports`: the import goes on; poll its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportStarted {
    /// The import's id.
    pub id: String,
}

/// A line of an import that was not imported, said as a refusal is
/// ([`crate::api::Refusal`]): a code, its case, field and values, and the
/// English message. A problem kept before problems had codes has the code `""`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProblem {
    /// The CSV line, from 1; 0 for what stopped the whole import (nothing was imported).
    pub line: u64,
    /// What is wrong with it.
    pub message: String,
    /// The code (`unknown_document`, `invalid_csv`, …).
    #[serde(default)]
    pub code: String,
    /// Its case, field (the row's, by the API's names: `document`) and values, as a refusal's.
    #[serde(flatten)]
    pub detail: Detail,
}

/// `GET /portal/api/imports/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportStatus {
    /// The import's id.
    pub id: String,
    /// `checking`, `issuing`, `done` or `failed`.
    pub state: String,
    /// Rows in the file.
    pub total: u32,
    /// Rows checked so far.
    pub processed: u32,
    /// Employees imported.
    pub imported: u32,
    /// The first problems.
    pub problems: Vec<ImportProblem>,
    /// How many problems in all.
    pub problems_total: u32,
}

/// A funeral permit of the 102 console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funeral {
    /// Its serial.
    pub serial: u32,
    /// The token, SMS form.
    pub token: String,
    /// The holder's document.
    pub document: String,
    /// The zones.
    pub zones: Vec<u16>,
    /// From, RFC 3339 UTC.
    pub valid_from: String,
    /// Until, RFC 3339 UTC.
    pub valid_until: String,
    /// The operator who issued it.
    pub operator: String,
    /// The operator's note.
    pub note: Option<String>,
    /// Revoked since.
    pub revoked: bool,
}

/// `GET /portal/api/funeral`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuneralPage {
    /// The permits.
    pub permits: Vec<Funeral>,
    /// The `after` of the next page, if there is one.
    pub next: Option<u32>,
}

/// `POST /portal/api/funeral/{serial}/sms`: what was sent, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuneralSent {
    /// The permit.
    pub serial: u32,
    /// The phone, canonical form.
    pub phone: String,
    /// The SMS text.
    pub text: String,
    /// Always `true`.
    pub sent: bool,
}

/// `POST /v1/organisations`: the organisation and its authorised person's one-time password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgCreated {
    /// The organisation's id.
    pub id: i64,
    /// The person's login.
    pub login: String,
    /// The one-time password.
    pub password: String,
}

/// `POST /v1/portal/deactivate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deactivated {
    /// Employees deactivated.
    pub deactivated: u64,
    /// Permits revoked.
    pub revoked: u64,
}
