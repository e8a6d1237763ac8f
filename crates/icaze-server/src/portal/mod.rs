//! The employer portal and the 102 call-centre console (`docs/portal-api.md`):
//! accounts and sessions, organisations and their authorised persons,
//! employees with their work and business-trip permits, CSV imports, funeral
//! permits, and the administrator's regime-change actions.
//!
//! [`PortalService`] holds the rules; it sees its own data only through
//! [`store::PortalStore`] (SQLite in [`sqlite`], `DATA/portal.db`), records
//! every permit it issues in the main permits table ([`PermitStore::record_issued`],
//! so that revoking by document finds them), and revokes through the sync
//! service, so that its revocations reach devices in the next bundle. The
//! routes in [`http`] are thin.
//!
//! Every method is blocking (SQLite, Argon2, signing): the routes call them on
//! the blocking pool, where the few asynchronous calls into the main store
//! are waited for with the runtime handle the service was made with.
//!
//! What is *not* checked: that a person's name or position is true; that an
//! employee works where the employer says (the employer answers for it, and
//! every change is in the audit log); revocations made outside the portal
//! (by document, by an administrator) are not reflected in the portal's own
//! `revoked` flags, only in the sync service's list, which is what devices use.

pub mod http;
pub mod import;
pub mod password;
pub mod pdf;
pub mod sqlite;
pub mod store;

use std::collections::HashSet;
use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use icaze_core::{ClaimsSpec, DocumentNumber, PermitClaims, PermitSerial, Purpose, UtcMinute, VehiclePlate, ZoneId};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::csv::civil_from_days;
use crate::keys::KeyRing;
use crate::regime::Regime;
use crate::store::{Outcome, PermitRecord, PermitStore, Person, StoreError};
use crate::sync::{Caller, RevokeTarget, SyncError, SyncService};
use crate::sync::{Reissue, ReissueProblem};
use crate::Clock;
use password::{HashCost, Hasher};
use store::{
    AuditRow, EmployeeQuery, EmployeeRow, EmployeeStatus, ImportRow, OrgRow, PermitKind, PermitRow, PersonRow,
    PortalStore, PortalTx, Role, SessionRow, TripRow,
};

/// Minutes without a request after which a session ends.
pub const IDLE_MINUTES: u32 = 30;
/// Minutes after login after which a session ends in any case.
pub const ABSOLUTE_MINUTES: u32 = 12 * 60;
/// The most employees one page lists.
pub const MAX_PAGE: u32 = 1000;
/// Employees per page when the query says none.
pub const DEFAULT_PAGE: u32 = 100;
/// The longest name, position, login or note, in characters.
pub const MAX_TEXT: usize = 200;
/// A funeral permit lasts at most this many minutes.
pub const FUNERAL_MAX_MINUTES: u32 = 24 * 60;
/// A funeral permit starts at most this many minutes ahead.
pub const FUNERAL_MAX_AHEAD_MINUTES: u32 = 3 * 24 * 60;

/// Where the portal learns the regime in force at an instant. It is asked
/// at every check, so a regime replaced while the service runs is seen at
/// once.
pub type RegimeSource = Arc<dyn Fn(UtcMinute) -> Option<Arc<Regime>> + Send + Sync>;

/// Settings of the portal.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// The cost of password hashes.
    pub hash_cost: HashCost,
    /// Whether the session cookie carries `Secure` (set unless the service
    /// listens on loopback, where there is no TLS).
    pub secure_cookie: bool,
    /// Serial numbers reserved at a time.
    pub serial_block: u32,
}

impl Default for PortalConfig {
    fn default() -> Self {
        Self { hash_cost: HashCost::default(), secure_cookie: true, serial_block: 256 }
    }
}

/// Why a portal request was refused. [`PortalError::code`] is the stable
/// code the API answers with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PortalError {
    /// No session cookie, or one nobody holds.
    #[error("you are not logged in: log in on /portal/")]
    NoSession,
    /// The session ended.
    #[error("your session has ended (30 minutes without activity, or 12 hours after login): log in again")]
    SessionExpired,
    /// Wrong login or password (the same answer for both).
    #[error("wrong login or password")]
    BadCredentials,
    /// Too many failed logins.
    #[error("too many failed logins: try again in {retry_after} seconds")]
    Throttled {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The CSRF token is missing or wrong.
    #[error("the request lacks this session's X-CSRF-Token header: reload the page")]
    Csrf,
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The administrator revoked the caller's organisation: it cannot sign
    /// in, add, import or reactivate.
    #[error("the administrator revoked this organisation's permission: its permits were revoked and nothing can be added or reactivated")]
    OrgRevoked,
    /// The session was opened with a one-time password: it may only set a
    /// new one (`POST /portal/api/password`), read itself and end.
    #[error("this session was opened with a one-time password: set a password of your own first")]
    PasswordChangeRequired,
    /// Something that does not exist, or not for this caller.
    #[error("{message}")]
    NotFound {
        /// A stable code.
        code: &'static str,
        /// What was not found.
        message: String,
    },
    /// A conflict with what is stored.
    #[error("{message}")]
    Conflict {
        /// A stable code.
        code: &'static str,
        /// What conflicts and how to go on.
        message: String,
    },
    /// A field of the request is wrong.
    #[error("{message}")]
    Invalid {
        /// A stable code.
        code: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The document is not in the population registry.
    #[error("the document {0} is not in the population registry: check the number")]
    UnknownDocument(String),
    /// The person may not get a permit; the reason is not told.
    #[error("no permit can be issued for this document: the holder may call 9108")]
    Refused,
    /// The sync service refused or failed to revoke.
    #[error("revoking failed: {0}")]
    Sync(#[from] SyncError),
    /// The database failed.
    #[error("storage failed, try again: {0}")]
    Store(#[from] StoreError),
    /// Something else inside the server.
    #[error("{0}")]
    Internal(String),
}

impl PortalError {
    /// The stable snake-case code of the API.
    pub fn code(&self) -> &'static str {
        match self {
            PortalError::NoSession => "no_session",
            PortalError::SessionExpired => "session_expired",
            PortalError::BadCredentials => "bad_credentials",
            PortalError::Throttled { .. } => "throttled",
            PortalError::Csrf => "csrf",
            PortalError::Forbidden(_) => "forbidden",
            PortalError::OrgRevoked => "organisation_revoked",
            PortalError::PasswordChangeRequired => "password_change_required",
            PortalError::NotFound { code, .. }
            | PortalError::Conflict { code, .. }
            | PortalError::Invalid { code, .. } => code,
            PortalError::UnknownDocument(_) => "unknown_document",
            PortalError::Refused => "refused",
            PortalError::Sync(e) => e.code(),
            PortalError::Store(_) => "storage",
            PortalError::Internal(_) => "internal",
        }
    }

    /// A wrong field.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        PortalError::Invalid { code, message: message.into() }
    }

    fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        PortalError::NotFound { code, message: message.into() }
    }

    fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        PortalError::Conflict { code, message: message.into() }
    }

    fn employee_not_found(id: i64) -> Self {
        Self::not_found("employee_not_found", format!("there is no employee {id} in your organisation"))
    }
}

/// Who is calling, once their session was recognised. Its `Debug` shows
/// who, not the session's secrets.
#[derive(Clone)]
pub struct Principal {
    /// The person.
    pub person: PersonRow,
    /// Their organisation (employers).
    pub org: Option<OrgRow>,
    /// The session's CSRF token.
    pub csrf: String,
    session: [u8; 32],
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal").field("person", &self.person).field("org", &self.org).finish_non_exhaustive()
    }
}

impl Principal {
    /// The login answer: `{"user": {…}, "csrf"}`.
    pub fn to_json(&self) -> Value {
        let org = self.org.as_ref().map(|o| json!({"id": o.id, "name": o.name, "tax_id": o.tax_id}));
        json!({
            "user": {
                "login": self.person.login,
                "name": self.person.name,
                "role": self.person.role.as_str(),
                "must_change_password": self.person.must_change_password,
                "org": org,
            },
            "csrf": self.csrf,
        })
    }

    fn employer(&self) -> Result<&OrgRow, PortalError> {
        match (&self.org, self.person.role) {
            (Some(org), Role::Employer) if org.revoked_at.is_some() => Err(PortalError::OrgRevoked),
            (Some(org), Role::Employer) => Ok(org),
            _ => Err(PortalError::Forbidden("only an organisation's authorised person may do this".into())),
        }
    }

    fn operator(&self) -> Result<(), PortalError> {
        match self.person.role {
            Role::Operator => Ok(()),
            Role::Employer => Err(PortalError::Forbidden("only a 102 call-centre operator may do this".into())),
        }
    }

    /// The name in the sync service's audit trail.
    fn service_name(&self) -> String {
        match &self.org {
            Some(org) => format!("portal:{}:{}", org.id, self.person.login),
            None => format!("callcentre:{}", self.person.login),
        }
    }
}

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

/// What an operator gives for a funeral permit.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FuneralInput {
    /// The identity document.
    pub document: String,
    /// The destination zone.
    pub zone: u16,
    /// Start, Baku local time `YYYY-MM-DDTHH:MM` (or RFC 3339).
    pub valid_from: String,
    /// End, the same.
    pub valid_until: String,
    /// The operator's note.
    #[serde(default)]
    pub note: Option<String>,
}

/// An employee with their permits, as the API shows them.
#[derive(Debug, Clone)]
pub struct EmployeeView {
    /// The employee.
    pub employee: EmployeeRow,
    /// The current work permit.
    pub permit: Option<PermitRow>,
    /// The trips with their permits.
    pub trips: Vec<(TripRow, Option<PermitRow>)>,
}

/// A permit's JSON: serial, token, validity.
pub fn permit_json(p: &PermitRow) -> Value {
    json!({"serial": p.serial, "token": p.token, "valid_from": p.valid_from.to_rfc3339_utc(),
        "valid_until": p.valid_until.to_rfc3339_utc()})
}

/// A trip's JSON.
pub fn trip_json(t: &TripRow, permit: Option<&PermitRow>) -> Value {
    json!({"id": t.id, "employee": t.employee_id, "zones": t.zones, "valid_from": day_text(t.valid_from),
        "valid_until": day_text(t.valid_until), "permit": permit.map(permit_json)})
}

impl EmployeeView {
    /// The JSON of `docs/portal-api.md` section 3.
    pub fn to_json(&self) -> Value {
        let e = &self.employee;
        json!({
            "id": e.id, "document": e.document, "name": e.name, "position": e.position, "zones": e.zones,
            "valid_from": day_text(e.valid_from), "valid_until": day_text(e.valid_until), "plate": e.plate,
            "status": e.status.as_str(), "permit": self.permit.as_ref().map(permit_json),
            "trips": self.trips.iter().map(|(t, p)| trip_json(t, p.as_ref())).collect::<Vec<_>>(),
        })
    }
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
    pub zones: Vec<(u16, Option<crate::regime::Zone>)>,
}

/// A Baku day as `YYYY-MM-DD`.
pub fn day_text(day: i32) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The first minute of a Baku day.
fn day_start(day: i32) -> Option<UtcMinute> {
    let minutes = i64::from(day) * 1440 - i64::from(icaze_core::BAKU_OFFSET_MINUTES);
    u32::try_from(minutes).ok().map(UtcMinute::from_unix_minutes)
}

/// A date field.
fn day_of(field: &str, what: &str) -> Result<i32, PortalError> {
    crate::csv::date(field)
        .map_err(|_| PortalError::invalid("invalid_dates", format!("{what} {field:?} is not a date YYYY-MM-DD")))
}

/// A Baku local time `YYYY-MM-DDTHH:MM`, or RFC 3339.
fn local_time(field: &str, what: &str) -> Result<UtcMinute, PortalError> {
    let field = field.trim();
    let text = if field.len() == 16 { format!("{field}:00+04:00") } else { field.to_owned() };
    UtcMinute::parse_rfc3339(&text).map_err(|_| {
        PortalError::invalid("invalid_dates", format!("{what} {field:?} is not a Baku time YYYY-MM-DDTHH:MM"))
    })
}

/// A text field of 1 (or 0 when `optional`) to [`MAX_TEXT`] characters, no control characters.
fn text_field(value: &str, what: &str, optional: bool) -> Result<String, PortalError> {
    let value = value.trim();
    let count = value.chars().count();
    if (count == 0 && !optional) || count > MAX_TEXT || value.chars().any(char::is_control) {
        let least = if optional { 0 } else { 1 };
        return Err(PortalError::invalid(
            "invalid_field",
            format!("the {what} must be {least} to {MAX_TEXT} characters without control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A login: 3 to 64 characters `a-z 0-9 . _ -`, kept in lower case.
fn login_field(value: &str) -> Result<String, PortalError> {
    let login = value.trim().to_ascii_lowercase();
    let ok = (3..=64).contains(&login.len())
        && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(PortalError::invalid(
            "invalid_login",
            format!("the login {value:?} must be 3 to 64 characters: letters a-z, digits, '.', '_', '-'"),
        ));
    }
    Ok(login)
}

/// A document number, parsed.
fn document_field(value: &str) -> Result<DocumentNumber, PortalError> {
    DocumentNumber::parse(value)
        .map_err(|e| PortalError::invalid("invalid_document", format!("the document {value:?}: {e}")))
}

fn session_hash(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

fn random_hex(bytes: usize) -> Result<String, PortalError> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| PortalError::Internal(format!("random source: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// A permit ready to sign: checked against the regime and the registry.
#[derive(Debug, Clone)]
struct Checked {
    document: DocumentNumber,
    purpose: Purpose,
    zones: Vec<ZoneId>,
    valid_from: UtcMinute,
    valid_until: UtcMinute,
    plate: Option<VehiclePlate>,
}

/// A signed permit, not yet recorded.
#[derive(Debug, Clone)]
struct Signed {
    record: PermitRecord,
    zones: Vec<u16>,
}

/// The portal service, shared by every request.
pub struct PortalService<S: PermitStore> {
    store: Box<dyn PortalStore>,
    main: Arc<S>,
    sync: Arc<SyncService<S>>,
    keys: Arc<KeyRing>,
    regimes: RegimeSource,
    clock: Arc<dyn Clock>,
    config: PortalConfig,
    hasher: Hasher,
    serials: Mutex<Range<u32>>,
    /// Held by every change of employees and their permits: an edit revokes,
    /// signs and records in three stores, and two edits of one employee at
    /// once must not both see the old permit.
    changes: Mutex<()>,
    runtime: tokio::runtime::Handle,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data are a serial range and a unit: a panic elsewhere
    // cannot leave them inconsistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S: PermitStore> PortalService<S> {
    /// A service over its store, the main store, the sync service (for
    /// revocations and the admin token), the authority's keys (the ring the
    /// SMS service signs with, so that a reload applies to both), where
    /// regimes come from, and the clock. Must be called inside a tokio
    /// runtime, whose handle it keeps.
    pub fn new(
        store: Box<dyn PortalStore>,
        main: Arc<S>,
        sync: Arc<SyncService<S>>,
        keys: Arc<KeyRing>,
        regimes: RegimeSource,
        clock: Arc<dyn Clock>,
        config: PortalConfig,
    ) -> Result<Self, PortalError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| PortalError::Internal("the portal must be started inside a tokio runtime".into()))?;
        let mut cut = 0;
        store.write(&mut |tx| {
            cut = tx.fail_unfinished_imports()?;
            Ok(())
        })?;
        if cut > 0 {
            tracing::warn!(
                imports = cut,
                "imports cut by a restart are marked failed: nothing of them is in the portal"
            );
        }
        Ok(Self {
            store,
            main,
            sync,
            keys,
            regimes,
            clock,
            hasher: Hasher::new(config.hash_cost)?,
            config,
            serials: Mutex::new(0..0),
            changes: Mutex::new(()),
            runtime,
        })
    }

    /// The current minute.
    pub fn now(&self) -> UtcMinute {
        self.clock.now()
    }

    /// The settings.
    pub fn config(&self) -> &PortalConfig {
        &self.config
    }

    /// Recognises the sync API's bearer token (for the administrator's routes).
    pub fn authenticate_admin(&self, header: Option<&str>) -> Result<Caller, PortalError> {
        let caller = self.sync.authenticate(header)?;
        caller.require_admin()?;
        Ok(caller)
    }

    fn write<T>(&self, mut work: impl FnMut(&mut dyn PortalTx) -> Result<T, PortalError>) -> Result<T, PortalError> {
        let mut outcome = Outcome::default();
        let done = self.store.write(&mut |tx| outcome.keep(work(tx)));
        outcome.finish(done, || PortalError::Internal("the transaction did not run".into()))
    }

    fn read<T>(&self, mut work: impl FnMut(&mut dyn PortalTx) -> Result<T, PortalError>) -> Result<T, PortalError> {
        let mut outcome = Outcome::default();
        let done = self.store.read(&mut |tx| outcome.keep(work(tx)));
        outcome.finish(done, || PortalError::Internal("the read did not run".into()))
    }

    fn audit_row(&self, org_id: Option<i64>, by: &str, action: &str, details: Value) -> AuditRow {
        AuditRow {
            id: 0,
            org_id,
            at: self.now(),
            by: by.to_owned(),
            action: action.to_owned(),
            details: details.to_string(),
        }
    }

    // Accounts and sessions.

    /// Checks a login and password from `address`, and opens a session:
    /// the session id (for the cookie) and who logged in.
    pub fn login(&self, login: &str, password: &str, address: &str) -> Result<(String, Principal), PortalError> {
        let now = self.now();
        let login = login.trim().to_ascii_lowercase();
        let window = now.unix_minutes().saturating_sub(password::THROTTLE_WINDOW_MINUTES);
        let since = UtcMinute::from_unix_minutes(window);
        // The attempt is counted as a failure before its password is checked,
        // in the one transaction that checks the count: concurrent guesses are
        // bounded as sequential ones are (when the count was read first and
        // written after the check, 30 guesses sent at once were all checked).
        // A success takes the count back.
        let person = self.write(|tx| {
            if let Some(retry_after) = tx.failures(&login, address, since)?.retry_after(now.unix_minutes()) {
                return Err(PortalError::Throttled { retry_after });
            }
            tx.record_failure(&login, address, now, since)?;
            Ok(tx.person_by_login(&login)?)
        })?;
        let usable = person.filter(|p| p.active);
        let matches = self.hasher.verify(password, usable.as_ref().map(|p| p.password_hash.as_str()));
        let Some(person) = usable.filter(|_| matches) else {
            return Err(PortalError::BadCredentials);
        };
        // Told only to who knows the password: a revoked organisation's person
        // gets no session.
        if let Some(org_id) = person.org_id {
            self.admitted(org_id)?;
        }
        let id = random_hex(32)?;
        let session = SessionRow {
            id_hash: session_hash(&id),
            person_id: person.id,
            csrf: random_hex(24)?,
            created_at: now,
            last_seen: now,
        };
        // Sessions that ended unused are forgotten at the next login.
        let idle_before = UtcMinute::from_unix_minutes(now.unix_minutes().saturating_sub(IDLE_MINUTES));
        let opened_before = UtcMinute::from_unix_minutes(now.unix_minutes().saturating_sub(ABSOLUTE_MINUTES));
        let org = self.write(|tx| {
            tx.clear_failures(&login)?;
            tx.delete_stale_sessions(idle_before, opened_before)?;
            tx.insert_session(&session)?;
            Ok(match person.org_id {
                Some(org) => tx.org(org)?,
                None => None,
            })
        })?;
        let principal = Principal { person, org, csrf: session.csrf.clone(), session: session.id_hash };
        Ok((id, principal))
    }

    /// The person of a session cookie's value, if the session is alive;
    /// records the request (the idle timer starts again).
    pub fn session(&self, cookie: Option<&str>) -> Result<Principal, PortalError> {
        let id = cookie.filter(|c| !c.is_empty()).ok_or(PortalError::NoSession)?;
        let hash = session_hash(id);
        let now = self.now();
        let found = self.read(|tx| {
            let Some(session) = tx.session(&hash)? else { return Ok(None) };
            let person = tx.person(session.person_id)?;
            let org = match person.as_ref().and_then(|p| p.org_id) {
                Some(org) => tx.org(org)?,
                None => None,
            };
            Ok(person.map(|p| (session, p, org)))
        })?;
        let Some((session, person, org)) = found else { return Err(PortalError::NoSession) };
        let idle = now.minutes_since(session.last_seen) >= i64::from(IDLE_MINUTES);
        let old = now.minutes_since(session.created_at) >= i64::from(ABSOLUTE_MINUTES);
        let revoked = org.as_ref().is_some_and(|o| o.revoked_at.is_some());
        if idle || old || !person.active || revoked {
            self.write(|tx| Ok(tx.delete_session(&hash)?))?;
            return Err(if revoked { PortalError::OrgRevoked } else { PortalError::SessionExpired });
        }
        if now > session.last_seen {
            self.write(|tx| Ok(tx.touch_session(&hash, now)?))?;
        }
        Ok(Principal { person, org, csrf: session.csrf, session: hash })
    }

    /// Refuses a session opened with a one-time password: such a session
    /// may only set a new password, read itself and end (the routes that
    /// allow it do not call this).
    pub fn check_own_password(&self, principal: &Principal) -> Result<(), PortalError> {
        if principal.person.must_change_password {
            return Err(PortalError::PasswordChangeRequired);
        }
        Ok(())
    }

    /// Refuses a request whose `X-CSRF-Token` is not the session's.
    pub fn check_csrf(&self, principal: &Principal, header: Option<&str>) -> Result<(), PortalError> {
        match header {
            Some(token) if crate::sync::auth::constant_time_eq(token.as_bytes(), principal.csrf.as_bytes()) => Ok(()),
            _ => Err(PortalError::Csrf),
        }
    }

    /// Refuses an organisation the administrator revoked, read again from the
    /// store: called with `changes` held before a permit is issued, so that a
    /// request whose session was read before the revocation issues nothing
    /// after it.
    fn admitted(&self, org_id: i64) -> Result<(), PortalError> {
        match self.read(|tx| Ok(tx.org(org_id)?))? {
            Some(org) if org.revoked_at.is_none() => Ok(()),
            _ => Err(PortalError::OrgRevoked),
        }
    }

    /// Ends the session.
    pub fn logout(&self, principal: &Principal) -> Result<(), PortalError> {
        self.write(|tx| Ok(tx.delete_session(&principal.session)?))
    }

    /// Changes one's own password (the old one is checked again).
    pub fn change_password(&self, principal: &Principal, old: &str, new: &str) -> Result<(), PortalError> {
        if !self.hasher.verify(old, Some(&principal.person.password_hash)) {
            return Err(PortalError::invalid("wrong_password", "the current password is wrong"));
        }
        password::check_new_password(new)?;
        if old == new {
            return Err(PortalError::invalid("weak_password", "choose a password other than the current one"));
        }
        let hash = self.hasher.hash(new)?;
        let p = &principal.person;
        let audit = self.audit_row(p.org_id, &p.login, "password_changed", json!({"login": p.login}));
        // Whoever else signed in with the old password is signed out: this
        // session goes on, every other one of the person ends.
        self.write(|tx| {
            tx.set_password(p.id, &hash, false)?;
            tx.delete_other_sessions(p.id, &principal.session)?;
            tx.audit(&audit)?;
            Ok(())
        })
    }

    /// A new person with a one-time password; `login` was checked by [`login_field`].
    fn new_person(
        &self,
        login: String,
        name: &str,
        role: Role,
        org_id: Option<i64>,
        by: &str,
    ) -> Result<(PersonRow, String), PortalError> {
        let name = text_field(name, "person's name", false)?;
        let one_time = password::one_time_password()?;
        let person = PersonRow {
            id: 0,
            login,
            name,
            role,
            org_id,
            password_hash: self.hasher.hash(&one_time)?,
            must_change_password: true,
            active: true,
            created_by: by.to_owned(),
            created_at: self.now(),
        };
        Ok((person, one_time))
    }

    fn login_taken(login: &str) -> PortalError {
        PortalError::conflict("duplicate_login", format!("the login {login} is taken: choose another"))
    }

    /// Admin: creates an organisation with its first authorised person;
    /// gives the organisation's id and the person's one-time password.
    pub fn create_org(
        &self,
        caller: &Caller,
        tax_id: &str,
        name: &str,
        login: &str,
        person_name: &str,
    ) -> Result<(i64, String, String), PortalError> {
        caller.require_admin()?;
        let tax_id = tax_id.trim().to_owned();
        if tax_id.len() != 10 || !tax_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PortalError::invalid("invalid_tax_id", format!("the tax id {tax_id:?} must be 10 digits")));
        }
        let name = text_field(name, "organisation's name", false)?;
        let (mut person, one_time) =
            self.new_person(login_field(login)?, person_name, Role::Employer, None, caller.name())?;
        let id = self.write(|tx| {
            if tx.org_by_tax_id(&tax_id)?.is_some() {
                return Err(PortalError::conflict(
                    "duplicate_organisation",
                    format!("an organisation with tax id {tax_id} exists already"),
                ));
            }
            if tx.person_by_login(&person.login)?.is_some() {
                return Err(Self::login_taken(&person.login));
            }
            let org =
                OrgRow { id: 0, tax_id: tax_id.clone(), name: name.clone(), created_at: self.now(), revoked_at: None };
            let id = tx.insert_org(&org)?;
            person.org_id = Some(id);
            tx.insert_person(&person)?;
            let details = json!({"tax_id": tax_id, "name": name, "login": person.login});
            tx.audit(&self.audit_row(Some(id), caller.name(), "organisation_created", details))?;
            Ok(id)
        })?;
        Ok((id, person.login, one_time))
    }

    /// Admin: creates a call-centre operator; gives their one-time password.
    pub fn create_operator(&self, caller: &Caller, login: &str, name: &str) -> Result<(String, String), PortalError> {
        caller.require_admin()?;
        let (person, one_time) = self.new_person(login_field(login)?, name, Role::Operator, None, caller.name())?;
        self.write(|tx| {
            if tx.person_by_login(&person.login)?.is_some() {
                return Err(Self::login_taken(&person.login));
            }
            tx.insert_person(&person)?;
            let details = json!({"login": person.login, "name": person.name});
            tx.audit(&self.audit_row(None, caller.name(), "operator_created", details))?;
            Ok(())
        })?;
        Ok((person.login, one_time))
    }

    /// The caller's organisation with its persons.
    pub fn org(&self, principal: &Principal) -> Result<(OrgRow, Vec<PersonRow>), PortalError> {
        let org = principal.employer()?.clone();
        let persons = self.read(|tx| Ok(tx.persons_of_org(org.id)?))?;
        Ok((org, persons))
    }

    /// The zones of the regime in force now, for the forms (any signed-in
    /// person): `(id, az, ru, en)` ascending; none outside every regime.
    pub fn zones(&self, _principal: &Principal) -> Vec<(u16, String, String, String)> {
        match (self.regimes)(self.now()) {
            Some(regime) => {
                regime.zones.values().map(|z| (z.id.get(), z.az.clone(), z.ru.clone(), z.en.clone())).collect()
            }
            None => Vec::new(),
        }
    }

    /// Delegation: a new authorised person of the caller's organisation;
    /// gives their login and one-time password.
    pub fn add_person(&self, principal: &Principal, login: &str, name: &str) -> Result<(String, String), PortalError> {
        let org = principal.employer()?;
        let by = &principal.person.login;
        // The login is qualified by the organisation's tax id (`deputy@1234567890`):
        // logins are unique across organisations, and a bare one taken elsewhere
        // would tell this employer that it exists there (and whose to lock out).
        // Qualified, it can only be taken by this organisation's own persons.
        let login = format!("{}@{}", login_field(login)?, org.tax_id);
        let (person, one_time) = self.new_person(login, name, Role::Employer, Some(org.id), by)?;
        self.write(|tx| {
            if tx.person_by_login(&person.login)?.is_some() {
                return Err(Self::login_taken(&person.login));
            }
            tx.insert_person(&person)?;
            let details = json!({"login": person.login, "name": person.name});
            tx.audit(&self.audit_row(Some(org.id), by, "person_added", details))?;
            Ok(())
        })?;
        Ok((person.login, one_time))
    }

    /// Deactivates another authorised person of the caller's organisation
    /// and ends their sessions.
    pub fn remove_person(&self, principal: &Principal, login: &str) -> Result<(), PortalError> {
        let org = principal.employer()?;
        let login = login.trim().to_ascii_lowercase();
        if login == principal.person.login {
            return Err(PortalError::invalid("cannot_remove_self", "you cannot deactivate yourself"));
        }
        self.write(|tx| {
            let person = tx.person_by_login(&login)?.filter(|p| p.org_id == Some(org.id)).ok_or_else(|| {
                PortalError::not_found("person_not_found", format!("there is no person {login} in your organisation"))
            })?;
            tx.set_person_active(person.id, false)?;
            tx.delete_sessions_of(person.id)?;
            let details = json!({"login": login});
            tx.audit(&self.audit_row(Some(org.id), &principal.person.login, "person_deactivated", details))?;
            Ok(())
        })
    }

    /// The organisation's audit log after entry `after`, oldest first, and
    /// the cursor of the next page.
    pub fn audit(&self, principal: &Principal, after: i64) -> Result<(Vec<AuditRow>, Option<i64>), PortalError> {
        let org = principal.employer()?;
        let limit = DEFAULT_PAGE;
        let rows = self.read(|tx| Ok(tx.audit_entries(org.id, after, limit)?))?;
        let next = (rows.len() == limit as usize).then(|| rows.last().map(|r| r.id)).flatten();
        Ok((rows, next))
    }

    // Permits.

    fn regime_at(&self, at: UtcMinute) -> Option<Arc<Regime>> {
        (self.regimes)(at)
    }

    /// Checks a window of whole Baku days and zones against the regime in
    /// force on the first day.
    fn check_days(
        &self,
        zones: &[u16],
        from: &str,
        until: &str,
        purpose: Purpose,
    ) -> Result<(i32, i32, Vec<ZoneId>, UtcMinute, UtcMinute), PortalError> {
        let from_day = day_of(from, "valid_from")?;
        let until_day = day_of(until, "valid_until")?;
        if until_day < from_day {
            return Err(PortalError::invalid("invalid_dates", "valid_until is before valid_from"));
        }
        let bad = || PortalError::invalid("invalid_dates", "the dates are out of range");
        let start = day_start(from_day).ok_or_else(bad)?;
        let end = day_start(until_day + 1).ok_or_else(bad)?;
        let zones = self.check_window(zones, start, end, purpose, "portal")?;
        Ok((from_day, until_day, zones, start, end))
    }

    /// Checks a window and zones against the regime in force at its start.
    fn check_window(
        &self,
        zones: &[u16],
        start: UtcMinute,
        end: UtcMinute,
        purpose: Purpose,
        channel: &str,
    ) -> Result<Vec<ZoneId>, PortalError> {
        if end <= self.now() {
            return Err(PortalError::invalid("invalid_dates", "the permit would end in the past"));
        }
        let regime = self.regime_at(start).ok_or_else(|| {
            PortalError::invalid(
                "outside_regime",
                format!("no regime is in force on {}: no permit is needed or possible then", start.baku()),
            )
        })?;
        if !regime.has_channel(channel) || !regime.purposes.contains(&purpose) {
            return Err(PortalError::invalid(
                "outside_regime",
                format!("the regime {} gives no {} permits through the {channel}", regime.id, purpose.name()),
            ));
        }
        if end > regime.end {
            return Err(PortalError::invalid(
                "outside_regime",
                format!("the regime {} ends on {}: the permit must end by then", regime.id, regime.end.baku()),
            ));
        }
        if zones.is_empty() || zones.len() > icaze_core::MAX_ZONES {
            return Err(PortalError::invalid(
                "invalid_zone",
                format!("give 1 to {} zones of the regime", icaze_core::MAX_ZONES),
            ));
        }
        let mut out = Vec::with_capacity(zones.len());
        for &zone in zones {
            match ZoneId::new(zone).filter(|z| regime.zones.contains_key(z)) {
                Some(z) => out.push(z),
                None => {
                    return Err(PortalError::invalid(
                        "invalid_zone",
                        format!("zone {zone} is not a zone of the regime {}", regime.id),
                    ))
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The registry's answer for a document: unknown and denied are refused.
    fn check_person(&self, document: &DocumentNumber) -> Result<Person, PortalError> {
        match self.main.person_and_denial(&document.canonical(), self.now())? {
            None => Err(PortalError::UnknownDocument(document.to_string())),
            Some((_, Some(_))) => Err(PortalError::Refused),
            Some((person, None)) => Ok(person),
        }
    }

    /// Serial numbers: a block is reserved durably in the main store and
    /// handed out one by one.
    fn serials(&self, count: u32) -> Result<Vec<u32>, PortalError> {
        let mut out = Vec::with_capacity(count as usize);
        let mut serials = lock(&self.serials);
        while out.len() < count as usize {
            if serials.is_empty() {
                let want = self.config.serial_block.max(count - out.len() as u32).max(1);
                *serials = self.runtime.block_on(self.main.reserve_serials(want))?;
            }
            let take = (serials.end - serials.start).min(count - out.len() as u32);
            out.extend(serials.start..serials.start + take);
            serials.start += take;
        }
        Ok(out)
    }

    /// Signs checked permits with the key of their purpose, with the serials given.
    fn sign(&self, permits: &[Checked], serials: &[u32]) -> Result<Vec<Signed>, PortalError> {
        let now = self.now();
        let authority = self.keys.current();
        let mut out = Vec::with_capacity(permits.len());
        for (c, &serial) in permits.iter().zip(serials) {
            let (key_id, key) = authority.signing_key(c.purpose, now).ok_or_else(|| {
                tracing::error!(purpose = %c.purpose.name(), "no issuer key may sign this purpose now");
                PortalError::Internal(format!("no key of the authority may sign {} permits now", c.purpose.name()))
            })?;
            let claims = PermitClaims::new(ClaimsSpec {
                serial: PermitSerial(serial),
                document: c.document.clone(),
                purpose: c.purpose,
                zones: c.zones.clone(),
                issued_at: now,
                valid_from: c.valid_from,
                valid_until: c.valid_until,
                vehicle: c.plate.clone(),
            })
            .map_err(|e| PortalError::invalid("invalid_dates", format!("the permit cannot be made: {e}")))?;
            let token = icaze_core::issue(key, key_id, &claims).to_text();
            let zone = c.zones.first().copied().ok_or_else(|| PortalError::invalid("invalid_zone", "no zone"))?;
            out.push(Signed {
                record: PermitRecord {
                    serial: PermitSerial(serial),
                    document: c.document.canonical(),
                    code: 0,
                    purpose: c.purpose.code(),
                    zone,
                    key_id: key_id.0,
                    issued_at: now,
                    valid_from: c.valid_from,
                    valid_until: c.valid_until,
                    phone: String::new(),
                    token,
                },
                zones: c.zones.iter().map(|z| z.get()).collect(),
            });
        }
        Ok(out)
    }

    /// Signs permits with fresh serials, recording nothing yet.
    fn prepare(&self, permits: &[Checked]) -> Result<Vec<Signed>, PortalError> {
        let serials = self.serials(permits.len() as u32)?;
        self.sign(permits, &serials)
    }

    /// Records signed permits in the main permits table, all or none.
    fn record(&self, signed: &[Signed]) -> Result<(), PortalError> {
        let records = signed.iter().map(|s| s.record.clone()).collect();
        Ok(self.runtime.block_on(self.main.record_issued_many(records))?)
    }

    /// Writes the portal's side of permits just recorded in the main
    /// store. If that fails, the permits were recorded but never handed out:
    /// they are revoked (best effort, logged) so that no valid token exists
    /// that the portal does not show.
    fn commit<T>(
        &self,
        signed: &[Signed],
        work: impl FnMut(&mut dyn PortalTx) -> Result<T, PortalError>,
    ) -> Result<T, PortalError> {
        let written = self.write(work);
        if let Err(e) = &written {
            let serials: Vec<u32> = signed.iter().map(|s| s.record.serial.0).collect();
            tracing::error!(error = %e, ?serials, "permits were recorded but the portal could not store them");
            let caller = Caller::Service { name: "portal".into() };
            if let Err(e) = self.revoke(&caller, &serials, "issued but not handed out: the portal's storage failed") {
                tracing::error!(error = %e, ?serials, "and they could not be revoked");
            }
        }
        written
    }

    /// Signs and records permits in the main permits table, all or none.
    fn issue(&self, permits: &[Checked]) -> Result<Vec<Signed>, PortalError> {
        let signed = self.prepare(permits)?;
        self.record(&signed)?;
        Ok(signed)
    }

    fn permit_row(signed: &Signed, kind: PermitKind, org_id: Option<i64>, by: &str) -> PermitRow {
        let r = &signed.record;
        PermitRow {
            serial: r.serial.0,
            kind,
            org_id,
            employee_id: None,
            trip_id: None,
            issued_by: by.to_owned(),
            document: r.document.clone(),
            zones: signed.zones.clone(),
            token: r.token.clone(),
            issued_at: r.issued_at,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            revoked: false,
            note: None,
        }
    }

    /// Revokes serials through the sync service (so that devices learn of
    /// them in the next bundle), naming `who` in its audit trail.
    fn revoke(&self, caller: &Caller, serials: &[u32], why: &str) -> Result<(), PortalError> {
        if !serials.is_empty() {
            self.sync.revoke(caller, RevokeTarget::Serials(serials.to_vec()), why)?;
        }
        Ok(())
    }

    // Employees.

    fn check_employee(&self, input: &EmployeeInput) -> Result<(EmployeeRow, Checked), PortalError> {
        let document = document_field(&input.document)?;
        let name = text_field(&input.name, "name", false)?;
        let position = text_field(&input.position, "position", true)?;
        let plate = match input.plate.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(text) => Some(VehiclePlate::parse(text).ok_or_else(|| {
                PortalError::invalid(
                    "invalid_plate",
                    format!("the plate {text:?} must be 1 to 15 characters 0-9 A-Z (hyphens and spaces are dropped)"),
                )
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
            trips.push((trip, permit));
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
        let _changes = lock(&self.changes);
        self.admitted(org.id)?;
        let duplicate = || {
            PortalError::conflict(
                "duplicate_employee",
                format!("the document {} is registered in your organisation already: edit that employee", row.document),
            )
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
            let details = json!({"employee": id, "document": row.document, "serial": permit.serial});
            tx.audit(&self.audit_row(Some(org.id), by, "employee_added", details))?;
            let mut row = row.clone();
            row.id = id;
            self.view(tx, row)
        })
    }

    /// Changes an employee: the old permit is revoked, then a new one issued.
    pub fn edit_employee(
        &self,
        principal: &Principal,
        id: i64,
        input: &EmployeeInput,
    ) -> Result<EmployeeView, PortalError> {
        let org = principal.employer()?;
        let _changes = lock(&self.changes);
        self.admitted(org.id)?;
        let old = self.read(|tx| Ok(tx.employee(org.id, id)?))?.ok_or_else(|| PortalError::employee_not_found(id))?;
        let (mut row, checked) = self.check_employee(input)?;
        if row.document != old.document
            && self.read(|tx| Ok(tx.employee_by_document(org.id, &row.document)?))?.is_some()
        {
            return Err(PortalError::conflict(
                "duplicate_employee",
                format!("the document {} is registered in your organisation already", row.document),
            ));
        }
        // Signed before the revocation, so that nothing but storage can fail
        // between the old permit's end and the new one's record.
        let signed = self.prepare(std::slice::from_ref(&checked))?;
        let caller = Caller::Service { name: principal.service_name() };
        let old_serials: Vec<u32> = old.serial.into_iter().collect();
        self.revoke(&caller, &old_serials, &format!("employee {id} edited on the portal"))?;
        self.record(&signed)?;
        let by = &principal.person.login;
        let mut permit = Self::permit_row(&signed[0], PermitKind::Work, Some(org.id), by);
        permit.employee_id = Some(id);
        row.id = id;
        row.org_id = org.id;
        row.serial = Some(permit.serial);
        self.commit(&signed, |tx| {
            tx.mark_revoked(&old_serials)?;
            tx.update_employee(&row)?;
            tx.insert_permit(&permit)?;
            let details = json!({"employee": id, "document": row.document, "revoked": old_serials,
                "serial": permit.serial, "before": {"document": old.document, "name": old.name,
                "zones": old.zones, "valid_from": day_text(old.valid_from), "valid_until": day_text(old.valid_until)}});
            tx.audit(&self.audit_row(Some(org.id), by, "employee_edited", details))?;
            self.view(tx, row.clone())
        })
    }

    /// Removes an employee, revoking their permit and their trips' permits.
    pub fn delete_employee(&self, principal: &Principal, id: i64) -> Result<Vec<u32>, PortalError> {
        let org = principal.employer()?;
        let _changes = lock(&self.changes);
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
            let details = json!({"employee": id, "document": employee.document, "revoked": serials});
            tx.audit(&self.audit_row(Some(org.id), &principal.person.login, "employee_deleted", details))?;
            Ok(())
        })?;
        Ok(serials)
    }

    /// A business trip of an employee, with its permit (purpose 5).
    pub fn add_trip(&self, principal: &Principal, employee_id: i64, input: &TripInput) -> Result<Value, PortalError> {
        let org = principal.employer()?;
        let _changes = lock(&self.changes);
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
            let details =
                json!({"employee": employee_id, "trip": trip.id, "zones": trip.zones, "serial": permit.serial});
            tx.audit(&self.audit_row(Some(org.id), by, "trip_added", details))?;
            Ok(())
        })?;
        Ok(trip_json(&trip, Some(&permit)))
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
        let _changes = lock(&self.changes);
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
                let details = json!({"deactivated": count, "reason": reason});
                tx.audit(&self.audit_row(Some(org), caller.name(), "employees_deactivated", details))?;
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
        let _changes = lock(&self.changes);
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
            let details = json!({"revoked": serials, "reason": reason});
            tx.audit(&self.audit_row(Some(org_id), caller.name(), "organisation_revoked", details))?;
            Ok(())
        })?;
        Ok(serials)
    }

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
        let _changes = lock(&self.changes);
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
                let details = json!({"reason": "the key that signed them was revoked",
                    "reissued": pairs.iter().map(|(old, new)| json!({"old": old, "new": new})).collect::<Vec<_>>()});
                tx.audit(&self.audit_row(Some(org), "key-rotation", "permits_reissued", details))?;
            }
            Ok(())
        })?;
        Ok(Reissue::Done { reissued: signed.len(), problems })
    }

    /// Reactivates deactivated employees (`ids`, or all when `None`) for a
    /// new window; gives how many, and the problems of the others.
    pub fn reactivate(
        &self,
        principal: &Principal,
        ids: Option<&[i64]>,
        valid_from: &str,
        valid_until: &str,
    ) -> Result<(usize, Vec<Value>), PortalError> {
        let org = principal.employer()?;
        let _changes = lock(&self.changes);
        self.admitted(org.id)?;
        let deactivated = self.read(|tx| Ok(tx.employees_with_status(Some(org.id), EmployeeStatus::Deactivated)?))?;
        let wanted: Option<HashSet<i64>> = ids.map(|ids| ids.iter().copied().collect());
        let mut problems = Vec::new();
        if let Some(wanted) = &wanted {
            let known: HashSet<i64> = deactivated.iter().map(|e| e.id).collect();
            for id in wanted.iter().filter(|id| !known.contains(id)) {
                problems.push(json!({"id": id, "code": "not_deactivated",
                    "message": format!("employee {id} is not a deactivated employee of your organisation")}));
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
                Err(err) => problems.push(json!({"id": e.id, "code": err.code(), "message": err.to_string()})),
            }
        }
        if rows.is_empty() {
            return Ok((0, problems));
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
            let details = json!({"employees": ids, "valid_from": valid_from, "valid_until": valid_until});
            tx.audit(&self.audit_row(Some(org.id), by, "employees_reactivated", details))?;
            Ok(())
        })?;
        Ok((rows.len(), problems))
    }

    // The call centre.

    /// Issues a funeral permit (operators).
    pub fn funeral(&self, principal: &Principal, input: &FuneralInput) -> Result<PermitRow, PortalError> {
        principal.operator()?;
        let document = document_field(&input.document)?;
        let start = local_time(&input.valid_from, "valid_from")?;
        let end = local_time(&input.valid_until, "valid_until")?;
        let now = self.now();
        if end <= start || end.minutes_since(start) > i64::from(FUNERAL_MAX_MINUTES) {
            return Err(PortalError::invalid(
                "invalid_dates",
                "a funeral permit lasts more than 0 and at most 24 hours",
            ));
        }
        if start.minutes_since(now) > i64::from(FUNERAL_MAX_AHEAD_MINUTES) {
            return Err(PortalError::invalid("invalid_dates", "a funeral permit starts at most 3 days ahead"));
        }
        // A start on a quarter hour is the short form of token format v2, which
        // keeps a funeral permit for two zones in a version-5 QR code.
        if !start.unix_minutes().is_multiple_of(15) {
            return Err(PortalError::invalid(
                "invalid_dates",
                "a funeral permit starts on a quarter hour (:00, :15, :30 or :45)",
            ));
        }
        let note = match input.note.as_deref() {
            Some(note) => Some(text_field(note, "note", true)?).filter(|n| !n.is_empty()),
            None => None,
        };
        // The destination must be a zone of the regime; the registered zone
        // is added whatever it is, so that the holder may travel home.
        let destination = self.check_window(&[input.zone], start, end, Purpose::Funeral, "callcentre")?;
        let person = self.check_person(&document)?;
        let mut zones = destination;
        zones.push(person.zone);
        zones.sort_unstable();
        zones.dedup();
        let checked =
            Checked { document, purpose: Purpose::Funeral, zones, valid_from: start, valid_until: end, plate: None };
        let signed = self.issue(std::slice::from_ref(&checked))?;
        let login = &principal.person.login;
        let mut permit = Self::permit_row(&signed[0], PermitKind::Funeral, None, login);
        permit.note = note;
        self.commit(&signed, |tx| {
            tx.insert_permit(&permit)?;
            let details = json!({"serial": permit.serial, "document": permit.document, "zones": permit.zones,
                "operator": login});
            tx.audit(&self.audit_row(None, login, "funeral_issued", details))?;
            Ok(())
        })?;
        Ok(permit)
    }

    /// Revokes a funeral permit (any 102 operator: the family calls back, the
    /// funeral was moved), audited with the operator's name and the reason;
    /// the revocation reaches devices in the next bundle. Revoking it again
    /// is no error. Another kind of permit, or none, is `404`.
    pub fn revoke_funeral(&self, principal: &Principal, serial: u32, reason: &str) -> Result<PermitRow, PortalError> {
        principal.operator()?;
        let reason = text_field(reason, "reason", false)?;
        let login = &principal.person.login;
        let _changes = lock(&self.changes);
        let mut permit =
            self.read(|tx| Ok(tx.permit(serial)?))?.filter(|p| p.kind == PermitKind::Funeral).ok_or_else(|| {
                PortalError::not_found("permit_not_found", format!("there is no funeral permit {serial}"))
            })?;
        if permit.revoked {
            return Ok(permit);
        }
        let caller = Caller::Service { name: format!("callcentre:{login}") };
        self.revoke(&caller, &[serial], &format!("102: {reason}"))?;
        self.write(|tx| {
            tx.mark_revoked(&[serial])?;
            let details = json!({"serial": serial, "reason": reason, "operator": login});
            tx.audit(&self.audit_row(None, login, "funeral_revoked", details))?;
            Ok(())
        })?;
        permit.revoked = true;
        Ok(permit)
    }

    /// The operator's own funeral permits with serials above `after`, oldest first.
    pub fn funerals(&self, principal: &Principal, after: u32) -> Result<(Vec<PermitRow>, Option<u32>), PortalError> {
        principal.operator()?;
        let limit = DEFAULT_PAGE;
        let rows = self.read(|tx| Ok(tx.funeral_permits(&principal.person.login, after, limit)?))?;
        let next = (rows.len() == limit as usize).then(|| rows.last().map(|r| r.serial)).flatten();
        Ok((rows, next))
    }

    /// An import of the caller's organisation.
    pub fn import_status(&self, principal: &Principal, id: &str) -> Result<ImportRow, PortalError> {
        let org = principal.employer()?;
        self.read(|tx| Ok(tx.import(org.id, id)?))?
            .ok_or_else(|| PortalError::not_found("import_not_found", format!("there is no import {id}")))
    }
}

/// A funeral permit's JSON.
pub fn funeral_json(p: &PermitRow) -> Value {
    json!({"serial": p.serial, "token": p.token, "document": p.document, "zones": p.zones,
        "valid_from": p.valid_from.to_rfc3339_utc(), "valid_until": p.valid_until.to_rfc3339_utc(),
        "operator": p.issued_by, "note": p.note, "revoked": p.revoked})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_run_from_baku_midnight_to_baku_midnight() {
        let day = crate::csv::date("2020-12-15").unwrap();
        assert_eq!(day_start(day), Some(UtcMinute::parse_rfc3339("2020-12-15T00:00:00+04:00").unwrap()));
        assert_eq!(day_text(day), "2020-12-15");
        assert!(day_of("2020-12-32", "valid_from").is_err());
    }

    #[test]
    fn funeral_times_are_baku_local() {
        let t = local_time("2020-12-15T09:00", "valid_from").unwrap();
        assert_eq!(t.to_rfc3339_utc(), "2020-12-15T05:00:00Z");
        assert_eq!(local_time("2020-12-15T05:00:00Z", "x").unwrap(), t);
        assert_eq!(local_time("15.12.2020 09:00", "x").unwrap_err().code(), "invalid_dates");
    }

    #[test]
    fn fields_are_checked() {
        assert_eq!(login_field(" Aliyev.R ").unwrap(), "aliyev.r");
        for bad in ["ab", "with space", "ünicode", &"x".repeat(65)] {
            assert_eq!(login_field(bad).unwrap_err().code(), "invalid_login", "{bad}");
        }
        assert_eq!(text_field("  Rashad  ", "name", false).unwrap(), "Rashad");
        assert!(text_field("", "name", false).is_err());
        assert_eq!(text_field("", "position", true).unwrap(), "");
        assert!(text_field("a\nb", "name", false).is_err());
        assert!(text_field(&"ə".repeat(MAX_TEXT + 1), "name", false).is_err());
        assert_eq!(document_field("???").unwrap_err().code(), "invalid_document");
    }
}
