//! The portal's storage behind one interface, so that the backends leave the
//! rules of this crate alone: SQLite in `icaze_sqlite::portal`
//! (`DATA/portal.db`), PostgreSQL in `icaze_postgres` (`PgPortalStore`, for
//! several instances on one database). Both run the same tests
//! (`conformance`, behind the feature of that name).
//!
//! Every change runs inside [`PortalStore::write`]: one transaction, all of
//! it or nothing. Reads run inside [`PortalStore::read`]: one consistent
//! snapshot, on a connection that cannot write.

use icaze_core::UtcMinute;

pub use icaze_permits::store::StoreError;

/// What a person does on the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// An authorised person of an organisation.
    Employer,
    /// A 102 call-centre operator.
    Operator,
}

impl Role {
    /// The name stored and sent: `employer` or `operator`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employer => "employer",
            Role::Operator => "operator",
        }
    }

    /// Reads [`Role::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "employer" => Some(Role::Employer),
            "operator" => Some(Role::Operator),
            _ => None,
        }
    }
}

/// An organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRow {
    /// Its id.
    pub id: i64,
    /// The tax id (VÖEN), 10 digits, unique.
    pub tax_id: String,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_at: UtcMinute,
    /// When the administrator revoked it (`POST /v1/organisations/{id}/revoke`):
    /// from then on its persons cannot sign in, and nothing can add, import or
    /// reactivate a permit of it.
    pub revoked_at: Option<UtcMinute>,
}

/// A person who logs in. Its `Debug` leaves the password hash out, so that
/// a log line never carries one.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonRow {
    /// Its id (0 before insertion).
    pub id: i64,
    /// The login, unique.
    pub login: String,
    /// The person's name.
    pub name: String,
    /// Employer or operator.
    pub role: Role,
    /// The organisation of an employer; `None` for an operator.
    pub org_id: Option<i64>,
    /// The Argon2id PHC string.
    pub password_hash: String,
    /// Set for a one-time password: the person must choose their own.
    pub must_change_password: bool,
    /// A deactivated person cannot log in.
    pub active: bool,
    /// Who created the account (`admin` or a login).
    pub created_by: String,
    /// When.
    pub created_at: UtcMinute,
}

impl std::fmt::Debug for PersonRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonRow")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("role", &self.role)
            .field("org_id", &self.org_id)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// A session: only the SHA-256 of its id is kept, so that a copy of the
/// database does not hold credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 of the cookie's value.
    pub id_hash: [u8; 32],
    /// Whose.
    pub person_id: i64,
    /// The CSRF token the session's forms send back.
    pub csrf: String,
    /// Login time.
    pub created_at: UtcMinute,
    /// The last request.
    pub last_seen: UtcMinute,
}

/// Whether an employee's permits are in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmployeeStatus {
    /// Their permit was issued and not revoked by the portal.
    Active,
    /// Revoked at a regime change or by an administrator; reactivation issues a new one.
    Deactivated,
}

impl EmployeeStatus {
    /// `active` or `deactivated`.
    pub fn as_str(self) -> &'static str {
        match self {
            EmployeeStatus::Active => "active",
            EmployeeStatus::Deactivated => "deactivated",
        }
    }

    /// Reads [`EmployeeStatus::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(EmployeeStatus::Active),
            "deactivated" => Some(EmployeeStatus::Deactivated),
            _ => None,
        }
    }
}

/// An employee of an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeRow {
    /// Its id (0 before insertion).
    pub id: i64,
    /// The organisation.
    pub org_id: i64,
    /// The document, canonical; unique within the organisation.
    pub document: String,
    /// Name.
    pub name: String,
    /// Position.
    pub position: String,
    /// Zone ids, ascending.
    pub zones: Vec<u16>,
    /// First Baku day (days since 1970-01-01).
    pub valid_from: i32,
    /// Last Baku day, included.
    pub valid_until: i32,
    /// Vehicle plate as the permit carries it.
    pub plate: Option<String>,
    /// Active or deactivated.
    pub status: EmployeeStatus,
    /// The serial of the current work permit.
    pub serial: Option<u32>,
}

/// Which kind of permit the portal issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermitKind {
    /// An employee's work permit (purpose 4).
    Work,
    /// A business trip (purpose 5).
    Trip,
    /// A funeral permit of the 102 call centre (purpose 3).
    Funeral,
}

impl PermitKind {
    /// `work`, `trip` or `funeral`.
    pub fn as_str(self) -> &'static str {
        match self {
            PermitKind::Work => "work",
            PermitKind::Trip => "trip",
            PermitKind::Funeral => "funeral",
        }
    }

    /// Reads [`PermitKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "work" => Some(PermitKind::Work),
            "trip" => Some(PermitKind::Trip),
            "funeral" => Some(PermitKind::Funeral),
            _ => None,
        }
    }
}

/// A permit the portal or the call centre issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitRow {
    /// Its serial (from the main store's counter).
    pub serial: u32,
    /// Its kind.
    pub kind: PermitKind,
    /// The organisation, for work and trip permits.
    pub org_id: Option<i64>,
    /// The employee, for work and trip permits.
    pub employee_id: Option<i64>,
    /// The trip, for trip permits.
    pub trip_id: Option<i64>,
    /// The login of whoever issued it.
    pub issued_by: String,
    /// The holder's document, canonical.
    pub document: String,
    /// Zone ids, ascending.
    pub zones: Vec<u16>,
    /// The token text (`IZ1…`).
    pub token: String,
    /// Issue time.
    pub issued_at: UtcMinute,
    /// Start of validity.
    pub valid_from: UtcMinute,
    /// End of validity (exclusive).
    pub valid_until: UtcMinute,
    /// Revoked through the portal (revocations by others are in the sync service only).
    pub revoked: bool,
    /// The operator's note of a funeral permit.
    pub note: Option<String>,
}

/// A business trip of an employee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TripRow {
    /// Its id (0 before insertion).
    pub id: i64,
    /// The organisation.
    pub org_id: i64,
    /// The employee.
    pub employee_id: i64,
    /// Zone ids, ascending.
    pub zones: Vec<u16>,
    /// First Baku day.
    pub valid_from: i32,
    /// Last Baku day, included.
    pub valid_until: i32,
    /// Its permit.
    pub serial: u32,
}

/// One problem of an import, by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// The 1-based line of the file; 0 for a problem that stopped the whole
    /// import (nothing was imported).
    pub line: usize,
    /// What is wrong, in English.
    pub message: String,
    /// Its code, case, field and values, as a refusal's.
    pub code: ProblemCode,
}

impl ImportProblem {
    /// The problem of a line that a refusal names.
    pub fn of(line: usize, refusal: &crate::PortalError) -> Self {
        ImportProblem { line, message: refusal.to_string(), code: ProblemCode::of(refusal) }
    }
}

/// A problem's code, case, field and values, as a refusal's ([`crate::Detail`])
/// and kept as text by the store. A problem stored before these were kept has
/// the code `""` and nothing else: only its message says it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProblemCode {
    /// The code (`unknown_document`, `invalid_csv`).
    pub code: String,
    /// Its case, when the code covers several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    /// The field of the row it is about, by the API's names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The values the message names, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<(String, String)>,
}

impl ProblemCode {
    /// The code, case, field and values of a refusal.
    pub fn of(refusal: &crate::PortalError) -> Self {
        let detail = refusal.detail();
        ProblemCode {
            code: refusal.code().to_owned(),
            case: detail.case.map(str::to_owned),
            field: detail.field.map(str::to_owned),
            params: detail.params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }
}

/// A CSV import job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// Its id (random, hexadecimal).
    pub id: String,
    /// The organisation.
    pub org_id: i64,
    /// `checking`, `issuing`, `done` or `failed`.
    pub state: String,
    /// Data rows in the file.
    pub total: u32,
    /// Rows checked so far.
    pub processed: u32,
    /// Rows registered.
    pub imported: u32,
    /// The first problems.
    pub problems: Vec<ImportProblem>,
    /// All problems, counted.
    pub problems_total: u32,
    /// When it started.
    pub created_at: UtcMinute,
}

/// An entry of the portal's audit log, to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The organisation concerned, if any.
    pub org_id: Option<i64>,
    /// When.
    pub at: UtcMinute,
    /// Who (`admin`, a login).
    pub by: String,
    /// What, e.g. `employee_added`.
    pub action: String,
    /// The details.
    pub details: AuditDetails,
}

/// An entry of the portal's audit log as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Its id, increasing.
    pub id: i64,
    /// The organisation concerned, if any.
    pub org_id: Option<i64>,
    /// When.
    pub at: UtcMinute,
    /// Who (`admin`, a login).
    pub by: String,
    /// What, e.g. `employee_added`.
    pub action: String,
    /// The details as the store keeps them: [`AuditDetails`] as JSON text.
    pub details: String,
}

/// The details of an audited action. A store keeps them as the JSON object
/// of their fields (`serde`'s untagged form; the fields are declared in name
/// order, so the text is the one a sorted JSON object gives).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
#[allow(missing_docs)] // The fields say what they are.
pub enum AuditDetails {
    /// `password_changed`, `person_deactivated`.
    Login { login: String },
    /// `operator_created`, `person_added`.
    Person { login: String, name: String },
    /// `organisation_created`.
    OrganisationCreated { login: String, name: String, tax_id: String },
    /// `organisation_revoked`.
    OrganisationRevoked { reason: String, revoked: Vec<u32> },
    /// `employee_added`.
    EmployeeAdded { document: String, employee: i64, serial: u32 },
    /// `employee_edited`: the permit `revoked` replaced by `serial`.
    EmployeeEdited { before: EditedFields, document: String, employee: i64, revoked: Vec<u32>, serial: u32 },
    /// `employee_deleted`.
    EmployeeDeleted { document: String, employee: i64, revoked: Vec<u32> },
    /// `employees_imported`.
    EmployeesImported { import: String, imported: usize },
    /// `employees_deactivated`.
    EmployeesDeactivated { deactivated: usize, reason: String },
    /// `employees_reactivated`: the window as the employer gave it.
    EmployeesReactivated { employees: Vec<i64>, valid_from: String, valid_until: String },
    /// `trip_added`.
    TripAdded { employee: i64, serial: u32, trip: i64, zones: Vec<u16> },
    /// `permits_reissued`.
    PermitsReissued { reason: String, reissued: Vec<ReissuedPermit> },
    /// `funeral_issued`.
    FuneralIssued { document: String, operator: String, serial: u32, zones: Vec<u16> },
    /// `funeral_revoked`.
    FuneralRevoked { operator: String, reason: String, serial: u32 },
    /// `funeral_sms_sent`: the phone masked ([`crate::mask_phone`]).
    FuneralSmsSent { operator: String, phone: String, serial: u32 },
}

/// An employee's fields before an edit, as the audit log keeps them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EditedFields {
    /// The document.
    pub document: String,
    /// The name.
    pub name: String,
    /// The first day, `YYYY-MM-DD`.
    pub valid_from: String,
    /// The last day, `YYYY-MM-DD`.
    pub valid_until: String,
    /// Zone ids.
    pub zones: Vec<u16>,
}

/// A permit re-issued under another key: the old serial and the new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ReissuedPermit {
    /// The new permit's serial.
    pub new: u32,
    /// The replaced permit's serial.
    pub old: u32,
}

/// The filters of the employee list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmployeeQuery {
    /// Part of the document or of the name.
    pub q: Option<String>,
    /// Only this status.
    pub status: Option<EmployeeStatus>,
    /// Ids above this one.
    pub after: i64,
    /// At most this many.
    pub limit: u32,
}

/// The operations of one transaction.
pub trait PortalTx {
    /// An organisation by id.
    fn org(&self, id: i64) -> Result<Option<OrgRow>, StoreError>;
    /// An organisation by tax id.
    fn org_by_tax_id(&self, tax_id: &str) -> Result<Option<OrgRow>, StoreError>;
    /// Inserts an organisation, returning its id.
    fn insert_org(&mut self, org: &OrgRow) -> Result<i64, StoreError>;
    /// Marks an organisation revoked (a revoked one stays revoked: the first time is kept).
    fn revoke_org(&mut self, id: i64, at: UtcMinute) -> Result<(), StoreError>;

    /// A person by id.
    fn person(&self, id: i64) -> Result<Option<PersonRow>, StoreError>;
    /// A person by login.
    fn person_by_login(&self, login: &str) -> Result<Option<PersonRow>, StoreError>;
    /// The persons of an organisation, by id.
    fn persons_of_org(&self, org_id: i64) -> Result<Vec<PersonRow>, StoreError>;
    /// Inserts a person, returning its id.
    fn insert_person(&mut self, person: &PersonRow) -> Result<i64, StoreError>;
    /// Sets a person's password hash and `must_change_password`.
    fn set_password(&mut self, id: i64, hash: &str, must_change: bool) -> Result<(), StoreError>;
    /// Activates or deactivates a person.
    fn set_person_active(&mut self, id: i64, active: bool) -> Result<(), StoreError>;

    /// A session by the hash of its id.
    fn session(&self, id_hash: &[u8; 32]) -> Result<Option<SessionRow>, StoreError>;
    /// Inserts a session.
    fn insert_session(&mut self, session: &SessionRow) -> Result<(), StoreError>;
    /// Records a request of a session.
    fn touch_session(&mut self, id_hash: &[u8; 32], at: UtcMinute) -> Result<(), StoreError>;
    /// Ends a session.
    fn delete_session(&mut self, id_hash: &[u8; 32]) -> Result<(), StoreError>;
    /// Ends every session of a person.
    fn delete_sessions_of(&mut self, person_id: i64) -> Result<(), StoreError>;
    /// Deletes every session of a person but `keep` (after a password change).
    fn delete_other_sessions(&mut self, person_id: i64, keep: &[u8; 32]) -> Result<(), StoreError>;
    /// Forgets sessions idle since before `idle_before` or opened before `opened_before`.
    fn delete_stale_sessions(&mut self, idle_before: UtcMinute, opened_before: UtcMinute) -> Result<(), StoreError>;

    /// Failed logins after `since` for the login and for the address.
    fn failures(&self, login: &str, address: &str, since: UtcMinute) -> Result<crate::password::Failures, StoreError>;
    /// Records a failed login (and forgets those older than `forget_before`).
    fn record_failure(
        &mut self,
        login: &str,
        address: &str,
        at: UtcMinute,
        forget_before: UtcMinute,
    ) -> Result<(), StoreError>;
    /// Forgets a login's failures (after a successful login).
    fn clear_failures(&mut self, login: &str) -> Result<(), StoreError>;

    /// An employee of an organisation (`None` for another organisation's).
    fn employee(&self, org_id: i64, id: i64) -> Result<Option<EmployeeRow>, StoreError>;
    /// An employee of an organisation by document.
    fn employee_by_document(&self, org_id: i64, document: &str) -> Result<Option<EmployeeRow>, StoreError>;
    /// Every document registered in an organisation.
    fn documents_of_org(&self, org_id: i64) -> Result<Vec<String>, StoreError>;
    /// A page of employees, by id.
    fn employees(&self, org_id: i64, query: &EmployeeQuery) -> Result<Vec<EmployeeRow>, StoreError>;
    /// Employees with this status, of one organisation or of all.
    fn employees_with_status(
        &self,
        org_id: Option<i64>,
        status: EmployeeStatus,
    ) -> Result<Vec<EmployeeRow>, StoreError>;
    /// Inserts an employee, returning its id.
    fn insert_employee(&mut self, employee: &EmployeeRow) -> Result<i64, StoreError>;
    /// Replaces an employee's fields (by id).
    fn update_employee(&mut self, employee: &EmployeeRow) -> Result<(), StoreError>;
    /// Removes an employee and their trips (their permits stay, revoked).
    fn delete_employee(&mut self, id: i64) -> Result<(), StoreError>;

    /// A trip of an organisation.
    fn trip(&self, org_id: i64, id: i64) -> Result<Option<TripRow>, StoreError>;
    /// The trips of an employee, by id.
    fn trips_of(&self, employee_id: i64) -> Result<Vec<TripRow>, StoreError>;
    /// Inserts a trip, returning its id.
    fn insert_trip(&mut self, trip: &TripRow) -> Result<i64, StoreError>;
    /// Sets the permit of a trip.
    fn set_trip_serial(&mut self, id: i64, serial: u32) -> Result<(), StoreError>;

    /// A permit by serial.
    fn permit(&self, serial: u32) -> Result<Option<PermitRow>, StoreError>;
    /// Inserts a permit.
    fn insert_permit(&mut self, permit: &PermitRow) -> Result<(), StoreError>;
    /// Marks permits revoked.
    fn mark_revoked(&mut self, serials: &[u32]) -> Result<(), StoreError>;
    /// Serials of an organisation's permits not revoked by the portal.
    fn live_permits_of_org(&self, org_id: i64) -> Result<Vec<u32>, StoreError>;
    /// Serials of an employee's permits (work and trips) not revoked by the portal.
    fn live_permits_of_employee(&self, employee_id: i64) -> Result<Vec<u32>, StoreError>;
    /// Funeral permits issued by `login`, serials above `after`, oldest first.
    fn funeral_permits(&self, login: &str, after: u32, limit: u32) -> Result<Vec<PermitRow>, StoreError>;

    /// An import of an organisation.
    fn import(&self, org_id: i64, id: &str) -> Result<Option<ImportRow>, StoreError>;
    /// Inserts or replaces an import.
    fn put_import(&mut self, import: &ImportRow) -> Result<(), StoreError>;
    /// Marks every import still `checking` or `issuing` as `failed` (after a
    /// restart, nothing runs them any more); gives how many.
    fn fail_unfinished_imports(&mut self) -> Result<usize, StoreError>;

    /// Appends to the audit log, returning the entry's id.
    fn audit(&mut self, entry: &AuditEntry) -> Result<i64, StoreError>;
    /// An organisation's audit entries with ids above `after`, oldest first.
    fn audit_entries(&self, org_id: i64, after: i64, limit: u32) -> Result<Vec<AuditRow>, StoreError>;
}

/// Held while a change of employees and their permits runs (see
/// [`PortalStore::lock_changes`]); dropping it lets the next one in.
pub struct ChangeLock(#[allow(dead_code)] Option<Box<dyn Send>>);

impl ChangeLock {
    /// A lock a store keeps as `guard` (released when `guard` is dropped).
    pub fn new(guard: impl Send + 'static) -> Self {
        ChangeLock(Some(Box::new(guard)))
    }

    /// Nothing to hold: the service's own lock is enough (one process).
    pub fn none() -> Self {
        ChangeLock(None)
    }
}

/// The portal's storage.
pub trait PortalStore: Send + Sync + 'static {
    /// Waits until no other change of employees and their permits runs on
    /// the store's database, in any process, and holds that until the lock
    /// is dropped. A change revokes, signs and records in three stores (the
    /// portal's, the sync service's and the main one), not in one
    /// transaction; two edits of one employee at once must not both see the
    /// old permit. The service takes its own lock first, so this is for
    /// several instances on one database; a store that only one process
    /// opens answers [`ChangeLock::none`] (the default).
    fn lock_changes(&self) -> Result<ChangeLock, StoreError> {
        Ok(ChangeLock::none())
    }

    /// Runs `work` in one write transaction, committed (durably) when it
    /// returns `Ok`, rolled back otherwise.
    fn write(&self, work: &mut dyn FnMut(&mut dyn PortalTx) -> Result<(), StoreError>) -> Result<(), StoreError>;
    /// Runs `work` on one read snapshot; writes fail.
    fn read(&self, work: &mut dyn FnMut(&mut dyn PortalTx) -> Result<(), StoreError>) -> Result<(), StoreError>;
}
