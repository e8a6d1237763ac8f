//! The operations of one transaction of the portal's PostgreSQL store.

use icaze_core::UtcMinute;
use icaze_portal::password::Failures;
use icaze_portal::store::{
    AuditEntry, AuditRow, EmployeeQuery, EmployeeRow, EmployeeStatus, ImportProblem, ImportRow, OrgRow, PermitKind,
    PermitRow, PersonRow, PortalTx, ProblemCode, Role, SessionRow, StoreError, TripRow,
};
use tokio_postgres::Row;

use super::conn::{damaged, fits, minute, p, zones, zones_param, Param, Tx};
use crate::permits::col;

const ORG: &str = "SELECT id, tax_id, name, created_at, revoked_at FROM portal_organisations";
const PERSON: &str = "SELECT id, login, name, role, org_id, password_hash, must_change_password, active, created_by,
    created_at FROM portal_persons";
const EMPLOYEE: &str = "SELECT id, org_id, document, name, position, zones, valid_from, valid_until, plate, status,
    serial FROM portal_employees";
const TRIP: &str = "SELECT id, org_id, employee_id, zones, valid_from, valid_until, serial FROM portal_trips";
const PERMIT: &str = "SELECT serial, kind, org_id, employee_id, trip_id, issued_by, document, zones, token, issued_at,
    valid_from, valid_until, revoked, note FROM portal_permits";

// Each row type is read from its SELECT above by position, in one function.

fn org_row(r: &Row) -> Result<OrgRow, StoreError> {
    Ok(OrgRow {
        id: col(r, 0)?,
        tax_id: col(r, 1)?,
        name: col(r, 2)?,
        created_at: minute(col(r, 3)?)?,
        revoked_at: col::<Option<i64>>(r, 4)?.map(minute).transpose()?,
    })
}

fn person_row(r: &Row) -> Result<PersonRow, StoreError> {
    let role: String = col(r, 3)?;
    Ok(PersonRow {
        id: col(r, 0)?,
        login: col(r, 1)?,
        name: col(r, 2)?,
        role: Role::parse(&role).ok_or_else(|| damaged("role", &role))?,
        org_id: col(r, 4)?,
        password_hash: col(r, 5)?,
        must_change_password: col(r, 6)?,
        active: col(r, 7)?,
        created_by: col(r, 8)?,
        created_at: minute(col(r, 9)?)?,
    })
}

fn employee_row(r: &Row) -> Result<EmployeeRow, StoreError> {
    let status: String = col(r, 9)?;
    Ok(EmployeeRow {
        id: col(r, 0)?,
        org_id: col(r, 1)?,
        document: col(r, 2)?,
        name: col(r, 3)?,
        position: col(r, 4)?,
        zones: zones(col(r, 5)?)?,
        valid_from: col(r, 6)?,
        valid_until: col(r, 7)?,
        plate: col(r, 8)?,
        status: EmployeeStatus::parse(&status).ok_or_else(|| damaged("status", &status))?,
        serial: col::<Option<i64>>(r, 10)?.map(|s| fits(s, "a serial")).transpose()?,
    })
}

fn trip_row(r: &Row) -> Result<TripRow, StoreError> {
    Ok(TripRow {
        id: col(r, 0)?,
        org_id: col(r, 1)?,
        employee_id: col(r, 2)?,
        zones: zones(col(r, 3)?)?,
        valid_from: col(r, 4)?,
        valid_until: col(r, 5)?,
        serial: fits(col(r, 6)?, "a serial")?,
    })
}

fn permit_row(r: &Row) -> Result<PermitRow, StoreError> {
    let kind: String = col(r, 1)?;
    Ok(PermitRow {
        serial: fits(col(r, 0)?, "a serial")?,
        kind: PermitKind::parse(&kind).ok_or_else(|| damaged("permit kind", &kind))?,
        org_id: col(r, 2)?,
        employee_id: col(r, 3)?,
        trip_id: col(r, 4)?,
        issued_by: col(r, 5)?,
        document: col(r, 6)?,
        zones: zones(col(r, 7)?)?,
        token: col(r, 8)?,
        issued_at: minute(col(r, 9)?)?,
        valid_from: minute(col(r, 10)?)?,
        valid_until: minute(col(r, 11)?)?,
        revoked: col(r, 12)?,
        note: col(r, 13)?,
    })
}

/// The employee's columns after `org_id`, in the order of [`EMPLOYEE`].
fn employee_params(first: i64, e: &EmployeeRow) -> Vec<Param> {
    vec![
        p(first),
        p(e.document.clone()),
        p(e.name.clone()),
        p(e.position.clone()),
        zones_param(&e.zones),
        p(e.valid_from),
        p(e.valid_until),
        p(e.plate.clone()),
        p(e.status.as_str()),
        p(e.serial.map(i64::from)),
    ]
}

fn at(minute: UtcMinute) -> Param {
    p(i64::from(minute.unix_minutes()))
}

/// The advisory lock keys of a login's and an address's failures.
fn throttle_keys(login: &str, address: &str) -> Vec<String> {
    vec![format!("icaze-portal-login:{login}"), format!("icaze-portal-address:{address}")]
}

impl PortalTx for Tx<'_> {
    fn org(&self, id: i64) -> Result<Option<OrgRow>, StoreError> {
        self.one(format!("{ORG} WHERE id = $1"), vec![p(id)], org_row)
    }

    fn org_by_tax_id(&self, tax_id: &str) -> Result<Option<OrgRow>, StoreError> {
        self.one(format!("{ORG} WHERE tax_id = $1"), vec![p(tax_id.to_owned())], org_row)
    }

    fn insert_org(&mut self, org: &OrgRow) -> Result<i64, StoreError> {
        self.returning_id(
            "INSERT INTO portal_organisations (tax_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
            vec![p(org.tax_id.clone()), p(org.name.clone()), at(org.created_at)],
        )
    }

    fn revoke_org(&mut self, id: i64, when: UtcMinute) -> Result<(), StoreError> {
        self.execute(
            "UPDATE portal_organisations SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            vec![p(id), at(when)],
        )
    }

    fn person(&self, id: i64) -> Result<Option<PersonRow>, StoreError> {
        self.one(format!("{PERSON} WHERE id = $1"), vec![p(id)], person_row)
    }

    fn person_by_login(&self, login: &str) -> Result<Option<PersonRow>, StoreError> {
        self.one(format!("{PERSON} WHERE login = $1"), vec![p(login.to_owned())], person_row)
    }

    fn persons_of_org(&self, org_id: i64) -> Result<Vec<PersonRow>, StoreError> {
        self.many(format!("{PERSON} WHERE org_id = $1 ORDER BY id"), vec![p(org_id)], person_row)
    }

    fn insert_person(&mut self, x: &PersonRow) -> Result<i64, StoreError> {
        self.returning_id(
            "INSERT INTO portal_persons (login, name, role, org_id, password_hash, must_change_password, active,
                created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            vec![
                p(x.login.clone()),
                p(x.name.clone()),
                p(x.role.as_str()),
                p(x.org_id),
                p(x.password_hash.clone()),
                p(x.must_change_password),
                p(x.active),
                p(x.created_by.clone()),
                at(x.created_at),
            ],
        )
    }

    fn set_password(&mut self, id: i64, hash: &str, must_change: bool) -> Result<(), StoreError> {
        self.execute(
            "UPDATE portal_persons SET password_hash = $2, must_change_password = $3 WHERE id = $1",
            vec![p(id), p(hash.to_owned()), p(must_change)],
        )
    }

    fn set_person_active(&mut self, id: i64, active: bool) -> Result<(), StoreError> {
        self.execute("UPDATE portal_persons SET active = $2 WHERE id = $1", vec![p(id), p(active)])
    }

    fn session(&self, id_hash: &[u8; 32]) -> Result<Option<SessionRow>, StoreError> {
        self.one(
            "SELECT id_hash, person_id, csrf, created_at, last_seen FROM portal_sessions WHERE id_hash = $1".into(),
            vec![p(id_hash.to_vec())],
            |r| {
                let hash: Vec<u8> = col(r, 0)?;
                Ok(SessionRow {
                    id_hash: <[u8; 32]>::try_from(hash.as_slice())
                        .map_err(|_| StoreError::Damaged("a session hash is not 32 bytes".into()))?,
                    person_id: col(r, 1)?,
                    csrf: col(r, 2)?,
                    created_at: minute(col(r, 3)?)?,
                    last_seen: minute(col(r, 4)?)?,
                })
            },
        )
    }

    fn insert_session(&mut self, s: &SessionRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO portal_sessions (id_hash, person_id, csrf, created_at, last_seen) VALUES ($1, $2, $3, $4, $5)",
            vec![p(s.id_hash.to_vec()), p(s.person_id), p(s.csrf.clone()), at(s.created_at), at(s.last_seen)],
        )
    }

    fn touch_session(&mut self, id_hash: &[u8; 32], when: UtcMinute) -> Result<(), StoreError> {
        self.execute(
            "UPDATE portal_sessions SET last_seen = $2 WHERE id_hash = $1 AND last_seen < $2",
            vec![p(id_hash.to_vec()), at(when)],
        )
    }

    fn delete_session(&mut self, id_hash: &[u8; 32]) -> Result<(), StoreError> {
        self.execute("DELETE FROM portal_sessions WHERE id_hash = $1", vec![p(id_hash.to_vec())])
    }

    fn delete_sessions_of(&mut self, person_id: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM portal_sessions WHERE person_id = $1", vec![p(person_id)])
    }

    fn delete_other_sessions(&mut self, person_id: i64, keep: &[u8; 32]) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM portal_sessions WHERE person_id = $1 AND id_hash <> $2",
            vec![p(person_id), p(keep.to_vec())],
        )
    }

    /// Stale sessions another transaction holds (one forgetting them at the
    /// same moment, or a request ending one) are left to it, so that logins
    /// on several instances never wait on each other here; a stale session
    /// left over is refused by the rules when used, and forgotten at a later
    /// login.
    fn delete_stale_sessions(&mut self, idle_before: UtcMinute, opened_before: UtcMinute) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM portal_sessions WHERE id_hash IN
                (SELECT id_hash FROM portal_sessions WHERE last_seen < $1 OR created_at < $2 FOR UPDATE SKIP LOCKED)",
            vec![at(idle_before), at(opened_before)],
        )
    }

    /// In a write, first takes the login's and the address's locks (see the
    /// module doc of `portal`), then counts in a statement of its own, whose
    /// snapshot is taken once the locks are held.
    fn failures(&self, login: &str, address: &str, since: UtcMinute) -> Result<Failures, StoreError> {
        self.lock(&throttle_keys(login, address))?;
        let counted = self.one(
            "SELECT
                (SELECT count(*) FROM portal_login_failures WHERE login = $1 AND at > $3),
                (SELECT min(at) FROM portal_login_failures WHERE login = $1 AND at > $3),
                (SELECT count(*) FROM portal_login_failures WHERE address = $2 AND at > $3),
                (SELECT min(at) FROM portal_login_failures WHERE address = $2 AND at > $3)"
                .into(),
            vec![p(login.to_owned()), p(address.to_owned()), at(since)],
            |r| {
                let oldest = |i: usize| -> Result<Option<u32>, StoreError> {
                    col::<Option<i64>>(r, i)?.map(|m| fits(m, "a time")).transpose()
                };
                Ok(Failures {
                    by_login: fits(col(r, 0)?, "a count")?,
                    oldest_login: oldest(1)?,
                    by_address: fits(col(r, 2)?, "a count")?,
                    oldest_address: oldest(3)?,
                })
            },
        )?;
        counted.ok_or_else(|| StoreError::Damaged("the failure count returned no row".into()))
    }

    fn record_failure(
        &mut self,
        login: &str,
        address: &str,
        when: UtcMinute,
        forget_before: UtcMinute,
    ) -> Result<(), StoreError> {
        self.lock(&throttle_keys(login, address))?;
        // Old rows another transaction is forgetting at the same moment are
        // left to it: two forgetting transactions never wait on each other.
        self.execute(
            "DELETE FROM portal_login_failures WHERE id IN
                (SELECT id FROM portal_login_failures WHERE at < $1 FOR UPDATE SKIP LOCKED)",
            vec![at(forget_before)],
        )?;
        self.execute(
            "INSERT INTO portal_login_failures (login, address, at) VALUES ($1, $2, $3)",
            vec![p(login.to_owned()), p(address.to_owned()), at(when)],
        )
    }

    fn clear_failures(&mut self, login: &str) -> Result<(), StoreError> {
        self.lock(&[format!("icaze-portal-login:{login}")])?;
        self.execute("DELETE FROM portal_login_failures WHERE login = $1", vec![p(login.to_owned())])
    }

    fn employee(&self, org_id: i64, id: i64) -> Result<Option<EmployeeRow>, StoreError> {
        self.one(format!("{EMPLOYEE} WHERE id = $1 AND org_id = $2"), vec![p(id), p(org_id)], employee_row)
    }

    fn employee_by_document(&self, org_id: i64, document: &str) -> Result<Option<EmployeeRow>, StoreError> {
        self.one(
            format!("{EMPLOYEE} WHERE org_id = $1 AND document = $2"),
            vec![p(org_id), p(document.to_owned())],
            employee_row,
        )
    }

    fn documents_of_org(&self, org_id: i64) -> Result<Vec<String>, StoreError> {
        self.many("SELECT document FROM portal_employees WHERE org_id = $1".into(), vec![p(org_id)], |r| col(r, 0))
    }

    /// `q` matches as SQLite's `LIKE` does: ASCII letters in either case,
    /// every other character as it is.
    fn employees(&self, org_id: i64, query: &EmployeeQuery) -> Result<Vec<EmployeeRow>, StoreError> {
        let pattern = query.q.as_ref().map(|q| {
            let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{}%", escaped.to_ascii_lowercase())
        });
        self.many(
            format!(
                "{EMPLOYEE} WHERE org_id = $1 AND id > $2
                 AND ($3::text IS NULL
                    OR translate(document, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') LIKE $3
                    OR translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') LIKE $3)
                 AND ($4::text IS NULL OR status = $4)
                 ORDER BY id LIMIT $5"
            ),
            vec![
                p(org_id),
                p(query.after),
                p(pattern),
                p(query.status.map(EmployeeStatus::as_str)),
                p(i64::from(query.limit)),
            ],
            employee_row,
        )
    }

    fn employees_with_status(
        &self,
        org_id: Option<i64>,
        status: EmployeeStatus,
    ) -> Result<Vec<EmployeeRow>, StoreError> {
        self.many(
            format!("{EMPLOYEE} WHERE ($1::bigint IS NULL OR org_id = $1) AND status = $2 ORDER BY id"),
            vec![p(org_id), p(status.as_str())],
            employee_row,
        )
    }

    fn insert_employee(&mut self, e: &EmployeeRow) -> Result<i64, StoreError> {
        self.returning_id(
            "INSERT INTO portal_employees (org_id, document, name, position, zones, valid_from, valid_until, plate,
                status, serial) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            employee_params(e.org_id, e),
        )
    }

    fn update_employee(&mut self, e: &EmployeeRow) -> Result<(), StoreError> {
        self.execute(
            "UPDATE portal_employees SET document = $2, name = $3, position = $4, zones = $5, valid_from = $6,
                valid_until = $7, plate = $8, status = $9, serial = $10 WHERE id = $1",
            employee_params(e.id, e),
        )
    }

    fn delete_employee(&mut self, id: i64) -> Result<(), StoreError> {
        self.execute("DELETE FROM portal_trips WHERE employee_id = $1", vec![p(id)])?;
        self.execute("DELETE FROM portal_employees WHERE id = $1", vec![p(id)])
    }

    fn trip(&self, org_id: i64, id: i64) -> Result<Option<TripRow>, StoreError> {
        self.one(format!("{TRIP} WHERE id = $1 AND org_id = $2"), vec![p(id), p(org_id)], trip_row)
    }

    fn trips_of(&self, employee_id: i64) -> Result<Vec<TripRow>, StoreError> {
        self.many(format!("{TRIP} WHERE employee_id = $1 ORDER BY id"), vec![p(employee_id)], trip_row)
    }

    fn insert_trip(&mut self, t: &TripRow) -> Result<i64, StoreError> {
        self.returning_id(
            "INSERT INTO portal_trips (org_id, employee_id, zones, valid_from, valid_until, serial)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            vec![
                p(t.org_id),
                p(t.employee_id),
                zones_param(&t.zones),
                p(t.valid_from),
                p(t.valid_until),
                p(i64::from(t.serial)),
            ],
        )
    }

    fn set_trip_serial(&mut self, id: i64, serial: u32) -> Result<(), StoreError> {
        self.execute("UPDATE portal_trips SET serial = $2 WHERE id = $1", vec![p(id), p(i64::from(serial))])
    }

    fn permit(&self, serial: u32) -> Result<Option<PermitRow>, StoreError> {
        self.one(format!("{PERMIT} WHERE serial = $1"), vec![p(i64::from(serial))], permit_row)
    }

    fn insert_permit(&mut self, x: &PermitRow) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO portal_permits (serial, kind, org_id, employee_id, trip_id, issued_by, document, zones, token,
                issued_at, valid_from, valid_until, revoked, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            vec![
                p(i64::from(x.serial)),
                p(x.kind.as_str()),
                p(x.org_id),
                p(x.employee_id),
                p(x.trip_id),
                p(x.issued_by.clone()),
                p(x.document.clone()),
                zones_param(&x.zones),
                p(x.token.clone()),
                at(x.issued_at),
                at(x.valid_from),
                at(x.valid_until),
                p(x.revoked),
                p(x.note.clone()),
            ],
        )
    }

    fn mark_revoked(&mut self, serials: &[u32]) -> Result<(), StoreError> {
        if serials.is_empty() {
            return Ok(());
        }
        let serials: Vec<i64> = serials.iter().map(|&s| i64::from(s)).collect();
        self.execute("UPDATE portal_permits SET revoked = true WHERE serial = ANY($1)", vec![p(serials)])
    }

    fn live_permits_of_org(&self, org_id: i64) -> Result<Vec<u32>, StoreError> {
        self.serials(
            "SELECT serial FROM portal_permits WHERE org_id = $1 AND NOT revoked ORDER BY serial".into(),
            vec![p(org_id)],
        )
    }

    fn live_permits_of_employee(&self, employee_id: i64) -> Result<Vec<u32>, StoreError> {
        self.serials(
            "SELECT serial FROM portal_permits WHERE employee_id = $1 AND NOT revoked ORDER BY serial".into(),
            vec![p(employee_id)],
        )
    }

    fn funeral_permits(&self, login: &str, after: u32, limit: u32) -> Result<Vec<PermitRow>, StoreError> {
        self.many(
            format!("{PERMIT} WHERE kind = 'funeral' AND issued_by = $1 AND serial > $2 ORDER BY serial LIMIT $3"),
            vec![p(login.to_owned()), p(i64::from(after)), p(i64::from(limit))],
            permit_row,
        )
    }

    fn import(&self, org_id: i64, id: &str) -> Result<Option<ImportRow>, StoreError> {
        self.one(
            "SELECT id, org_id, state, total, processed, imported, problem_lines, problem_messages, problems_total,
                created_at, problem_codes FROM portal_imports WHERE id = $1 AND org_id = $2"
                .into(),
            vec![p(id.to_owned()), p(org_id)],
            |r| {
                let lines: Vec<i64> = col(r, 6)?;
                let messages: Vec<String> = col(r, 7)?;
                if lines.len() != messages.len() {
                    return Err(StoreError::Damaged("an import's problems and their lines differ in number".into()));
                }
                // An import written before problems had codes has none.
                let codes: Vec<String> = col(r, 10)?;
                let mut codes = codes.into_iter();
                let problems = lines
                    .into_iter()
                    .zip(messages)
                    .map(|(line, message)| {
                        let code = match codes.next() {
                            Some(text) => serde_json::from_str(&text)
                                .map_err(|e| StoreError::Damaged(format!("an import problem's code: {e}")))?,
                            None => ProblemCode::default(),
                        };
                        Ok(ImportProblem { line: fits(line, "a line")?, message, code })
                    })
                    .collect::<Result<_, StoreError>>()?;
                Ok(ImportRow {
                    id: col(r, 0)?,
                    org_id: col(r, 1)?,
                    state: col(r, 2)?,
                    total: fits(col(r, 3)?, "a count")?,
                    processed: fits(col(r, 4)?, "a count")?,
                    imported: fits(col(r, 5)?, "a count")?,
                    problems,
                    problems_total: fits(col(r, 8)?, "a count")?,
                    created_at: minute(col(r, 9)?)?,
                })
            },
        )
    }

    fn put_import(&mut self, i: &ImportRow) -> Result<(), StoreError> {
        let lines = i.problems.iter().map(|x| i64::try_from(x.line)).collect::<Result<Vec<i64>, _>>();
        let lines = lines.map_err(|_| StoreError::Damaged("an import problem's line is out of range".into()))?;
        let messages: Vec<String> = i.problems.iter().map(|x| x.message.clone()).collect();
        let codes = i.problems.iter().map(|x| serde_json::to_string(&x.code)).collect::<Result<Vec<String>, _>>();
        let codes = codes.map_err(|e| StoreError::Damaged(format!("an import problem's code: {e}")))?;
        self.execute(
            "INSERT INTO portal_imports (id, org_id, state, total, processed, imported, problem_lines, problem_messages,
                problems_total, created_at, problem_codes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, total = excluded.total,
                processed = excluded.processed, imported = excluded.imported,
                problem_lines = excluded.problem_lines, problem_messages = excluded.problem_messages,
                problems_total = excluded.problems_total, problem_codes = excluded.problem_codes",
            vec![
                p(i.id.clone()),
                p(i.org_id),
                p(i.state.clone()),
                p(i64::from(i.total)),
                p(i64::from(i.processed)),
                p(i64::from(i.imported)),
                p(lines),
                p(messages),
                p(i64::from(i.problems_total)),
                at(i.created_at),
                p(codes),
            ],
        )
    }

    fn fail_unfinished_imports(&mut self) -> Result<usize, StoreError> {
        let rows = self.rows(
            "UPDATE portal_imports SET state = 'failed' WHERE state IN ('checking', 'issuing') RETURNING id".into(),
            Vec::new(),
        )?;
        Ok(rows.len())
    }

    /// Takes the organisation's lock first (see the module doc of `portal`).
    fn audit(&mut self, e: &AuditEntry) -> Result<i64, StoreError> {
        if let Some(org) = e.org_id {
            self.lock(&[format!("icaze-portal-audit:{org}")])?;
        }
        let details = serde_json::to_string(&e.details)
            .map_err(|error| StoreError::Damaged(format!("audit details: {error}")))?;
        self.returning_id(
            "INSERT INTO portal_audit (org_id, at, by, action, details) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            vec![p(e.org_id), at(e.at), p(e.by.clone()), p(e.action.clone()), p(details)],
        )
    }

    fn audit_entries(&self, org_id: i64, after: i64, limit: u32) -> Result<Vec<AuditRow>, StoreError> {
        self.many(
            "SELECT id, org_id, at, by, action, details FROM portal_audit WHERE org_id = $1 AND id > $2
             ORDER BY id LIMIT $3"
                .into(),
            vec![p(org_id), p(after), p(i64::from(limit))],
            |r| {
                Ok(AuditRow {
                    id: col(r, 0)?,
                    org_id: col(r, 1)?,
                    at: minute(col(r, 2)?)?,
                    by: col(r, 3)?,
                    action: col(r, 4)?,
                    details: col(r, 5)?,
                })
            },
        )
    }
}
