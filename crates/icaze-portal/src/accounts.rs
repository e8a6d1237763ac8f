//! Accounts and sessions: login with throttling, sessions and their CSRF
//! token, passwords, organisations with their authorised persons, the call
//! centre's operators, and an organisation's audit log.

use icaze_core::UtcMinute;
use icaze_permits::store::PermitStore;
use icaze_sync_service::auth::constant_time_eq;
use icaze_sync_service::Caller;

use crate::fields::{login_field, random_hex, session_hash, text_field};
use crate::password;
use crate::service::{ABSOLUTE_MINUTES, DEFAULT_PAGE, IDLE_MINUTES};
use crate::store::{AuditDetails, AuditRow, OrgRow, PersonRow, Role, SessionRow};
use crate::{PortalError, PortalService};

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
    pub(crate) session: [u8; 32],
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal").field("person", &self.person).field("org", &self.org).finish_non_exhaustive()
    }
}

impl Principal {
    pub(crate) fn employer(&self) -> Result<&OrgRow, PortalError> {
        match (&self.org, self.person.role) {
            (Some(org), Role::Employer) if org.revoked_at.is_some() => Err(PortalError::OrgRevoked),
            (Some(org), Role::Employer) => Ok(org),
            _ => Err(PortalError::Forbidden("only an organisation's authorised person may do this".into())),
        }
    }

    pub(crate) fn operator(&self) -> Result<(), PortalError> {
        match self.person.role {
            Role::Operator => Ok(()),
            Role::Employer => Err(PortalError::Forbidden("only a 102 call-centre operator may do this".into())),
        }
    }

    /// The name in the sync service's audit trail.
    pub(crate) fn service_name(&self) -> String {
        match &self.org {
            Some(org) => format!("portal:{}:{}", org.id, self.person.login),
            None => format!("callcentre:{}", self.person.login),
        }
    }
}

impl<S: PermitStore> PortalService<S> {
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
            Some(token) if constant_time_eq(token.as_bytes(), principal.csrf.as_bytes()) => Ok(()),
            _ => Err(PortalError::Csrf),
        }
    }

    /// Refuses an organisation the administrator revoked, read again from the
    /// store: called with `changes` held before a permit is issued, so that a
    /// request whose session was read before the revocation issues nothing
    /// after it.
    pub(crate) fn admitted(&self, org_id: i64) -> Result<(), PortalError> {
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
            return Err(PortalError::invalid("wrong_password", "the current password is wrong").field("old"));
        }
        password::check_new_password(new)?;
        if old == new {
            return Err(PortalError::invalid("weak_password", "choose a password other than the current one")
                .case("same")
                .field("new"));
        }
        let hash = self.hasher.hash(new)?;
        let p = &principal.person;
        let audit =
            self.audit_entry(p.org_id, &p.login, "password_changed", AuditDetails::Login { login: p.login.clone() });
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
            .field("login")
            .param("login", login)
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
            return Err(PortalError::invalid("invalid_tax_id", format!("the tax id {tax_id:?} must be 10 digits"))
                .field("tax_id")
                .param("value", tax_id));
        }
        let name = text_field(name, "organisation's name", false)?;
        let (mut person, one_time) =
            self.new_person(login_field(login)?, person_name, Role::Employer, None, caller.name())?;
        let id = self.write(|tx| {
            if tx.org_by_tax_id(&tax_id)?.is_some() {
                return Err(PortalError::conflict(
                    "duplicate_organisation",
                    format!("an organisation with tax id {tax_id} exists already"),
                )
                .field("tax_id")
                .param("tax_id", &tax_id));
            }
            if tx.person_by_login(&person.login)?.is_some() {
                return Err(Self::login_taken(&person.login));
            }
            let org =
                OrgRow { id: 0, tax_id: tax_id.clone(), name: name.clone(), created_at: self.now(), revoked_at: None };
            let id = tx.insert_org(&org)?;
            person.org_id = Some(id);
            tx.insert_person(&person)?;
            let details = AuditDetails::OrganisationCreated {
                login: person.login.clone(),
                name: name.clone(),
                tax_id: tax_id.clone(),
            };
            tx.audit(&self.audit_entry(Some(id), caller.name(), "organisation_created", details))?;
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
            let details = AuditDetails::Person { login: person.login.clone(), name: person.name.clone() };
            tx.audit(&self.audit_entry(None, caller.name(), "operator_created", details))?;
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
            let details = AuditDetails::Person { login: person.login.clone(), name: person.name.clone() };
            tx.audit(&self.audit_entry(Some(org.id), by, "person_added", details))?;
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
            let details = AuditDetails::Login { login: login.clone() };
            tx.audit(&self.audit_entry(Some(org.id), &principal.person.login, "person_deactivated", details))?;
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
}
