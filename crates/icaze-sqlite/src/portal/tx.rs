//! The operations of one transaction of the portal's SQLite store.

use icaze_core::UtcMinute;
use rusqlite::{params, Connection, Row};

use super::{answer, damaged, minute, zones_of, zones_text};
use crate::engine::{read_first, read_rows};
use crate::Error;
use icaze_portal::password::Failures;
use icaze_portal::store::{
    AuditDetails, AuditEntry, AuditRow, EmployeeQuery, EmployeeRow, EmployeeStatus, ImportProblem, ImportRow, OrgRow,
    PermitKind, PermitRow, PersonRow, PortalTx, ProblemCode, Role, SessionRow, StoreError, TripRow,
};

/// An import's problem as the `problems` column keeps it: `[line, message,
/// code]`, or `[line, message]` as it was written before problems had codes.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum StoredProblem {
    Coded(usize, String, ProblemCode),
    Plain(usize, String),
}

impl StoredProblem {
    fn into_problem(self) -> ImportProblem {
        match self {
            StoredProblem::Coded(line, message, code) => ImportProblem { line, message, code },
            StoredProblem::Plain(line, message) => ImportProblem { line, message, code: ProblemCode::default() },
        }
    }
}

/// A transaction, or a read snapshot, on one connection.
pub(super) struct Tx<'a>(pub(super) &'a Connection);

const ORG: &str = "SELECT id, tax_id, name, created_at, revoked_at FROM organisations";
const PERSON: &str = "SELECT id, login, name, role, org_id, password_hash, must_change_password, active, created_by,
    created_at FROM persons";
const EMPLOYEE: &str =
    "SELECT id, org_id, document, name, position, zones, valid_from, valid_until, plate, status, serial FROM employees";
const TRIP: &str = "SELECT id, org_id, employee_id, zones, valid_from, valid_until, serial FROM trips";
const PERMIT: &str = "SELECT serial, kind, org_id, employee_id, trip_id, issued_by, document, zones, token, issued_at,
    valid_from, valid_until, revoked, note FROM permits";

// Each row type is read from its SELECT above by column name, in one
// function: the stores' reads of a row type all go through it.

fn org_row(r: &Row<'_>) -> Result<OrgRow, Error> {
    Ok(OrgRow {
        id: r.get("id")?,
        tax_id: r.get("tax_id")?,
        name: r.get("name")?,
        created_at: minute(r.get("created_at")?),
        revoked_at: r.get::<_, Option<u32>>("revoked_at")?.map(minute),
    })
}

fn person_row(r: &Row<'_>) -> Result<PersonRow, Error> {
    let role: String = r.get("role")?;
    Ok(PersonRow {
        id: r.get("id")?,
        login: r.get("login")?,
        name: r.get("name")?,
        role: Role::parse(&role).ok_or_else(|| damaged("role", &role))?,
        org_id: r.get("org_id")?,
        password_hash: r.get("password_hash")?,
        must_change_password: r.get("must_change_password")?,
        active: r.get("active")?,
        created_by: r.get("created_by")?,
        created_at: minute(r.get("created_at")?),
    })
}

fn employee_row(r: &Row<'_>) -> Result<EmployeeRow, Error> {
    let status: String = r.get("status")?;
    let zones: String = r.get("zones")?;
    Ok(EmployeeRow {
        id: r.get("id")?,
        org_id: r.get("org_id")?,
        document: r.get("document")?,
        name: r.get("name")?,
        position: r.get("position")?,
        zones: zones_of(&zones)?,
        valid_from: r.get("valid_from")?,
        valid_until: r.get("valid_until")?,
        plate: r.get("plate")?,
        status: EmployeeStatus::parse(&status).ok_or_else(|| damaged("status", &status))?,
        serial: r.get("serial")?,
    })
}

fn trip_row(r: &Row<'_>) -> Result<TripRow, Error> {
    let zones: String = r.get("zones")?;
    Ok(TripRow {
        id: r.get("id")?,
        org_id: r.get("org_id")?,
        employee_id: r.get("employee_id")?,
        zones: zones_of(&zones)?,
        valid_from: r.get("valid_from")?,
        valid_until: r.get("valid_until")?,
        serial: r.get("serial")?,
    })
}

fn permit_row(r: &Row<'_>) -> Result<PermitRow, Error> {
    let kind: String = r.get("kind")?;
    let zones: String = r.get("zones")?;
    Ok(PermitRow {
        serial: r.get("serial")?,
        kind: PermitKind::parse(&kind).ok_or_else(|| damaged("permit kind", &kind))?,
        org_id: r.get("org_id")?,
        employee_id: r.get("employee_id")?,
        trip_id: r.get("trip_id")?,
        issued_by: r.get("issued_by")?,
        document: r.get("document")?,
        zones: zones_of(&zones)?,
        token: r.get("token")?,
        issued_at: minute(r.get("issued_at")?),
        valid_from: minute(r.get("valid_from")?),
        valid_until: minute(r.get("valid_until")?),
        revoked: r.get("revoked")?,
        note: r.get("note")?,
    })
}

impl Tx<'_> {
    /// The first row `sql` selects, if any, read by `read`.
    fn one<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: impl FnOnce(&Row<'_>) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        let mut stmt = self.0.prepare_cached(sql)?;
        read_first(&mut stmt, params, read)
    }

    /// Runs the employee's insert or update `sql`: `?1` is `first` (the
    /// organisation for an insert, the employee for an update), `?2` to
    /// `?10` the employee's columns in the order of [`EMPLOYEE`] after `org_id`.
    fn write_employee(&self, sql: &str, first: i64, e: &EmployeeRow) -> Result<usize, Error> {
        Ok(self.0.execute(
            sql,
            params![
                first,
                e.document,
                e.name,
                e.position,
                zones_text(&e.zones),
                e.valid_from,
                e.valid_until,
                e.plate,
                e.status.as_str(),
                e.serial
            ],
        )?)
    }

    /// Every row `sql` selects, each read by `read`.
    fn many<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: impl FnMut(&Row<'_>) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        let mut stmt = self.0.prepare_cached(sql)?;
        read_rows(&mut stmt, params, read)
    }
}

impl PortalTx for Tx<'_> {
    fn org(&self, id: i64) -> Result<Option<OrgRow>, StoreError> {
        answer(|| self.one(&format!("{ORG} WHERE id = ?1"), [id], org_row))
    }

    fn org_by_tax_id(&self, tax_id: &str) -> Result<Option<OrgRow>, StoreError> {
        answer(|| self.one(&format!("{ORG} WHERE tax_id = ?1"), [tax_id], org_row))
    }

    fn insert_org(&mut self, org: &OrgRow) -> Result<i64, StoreError> {
        answer(|| {
            self.0.execute(
                "INSERT INTO organisations (tax_id, name, created_at) VALUES (?1, ?2, ?3)",
                params![org.tax_id, org.name, org.created_at.unix_minutes()],
            )?;
            Ok(self.0.last_insert_rowid())
        })
    }

    fn revoke_org(&mut self, id: i64, at: UtcMinute) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute(
                "UPDATE organisations SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, at.unix_minutes()],
            )?;
            Ok(())
        })
    }

    fn person(&self, id: i64) -> Result<Option<PersonRow>, StoreError> {
        answer(|| self.one(&format!("{PERSON} WHERE id = ?1"), [id], person_row))
    }

    fn person_by_login(&self, login: &str) -> Result<Option<PersonRow>, StoreError> {
        answer(|| self.one(&format!("{PERSON} WHERE login = ?1"), [login], person_row))
    }

    fn persons_of_org(&self, org_id: i64) -> Result<Vec<PersonRow>, StoreError> {
        answer(|| self.many(&format!("{PERSON} WHERE org_id = ?1 ORDER BY id"), [org_id], person_row))
    }

    fn insert_person(&mut self, p: &PersonRow) -> Result<i64, StoreError> {
        answer(|| {
            self.0.execute(
                "INSERT INTO persons (login, name, role, org_id, password_hash, must_change_password, active, created_by,
                    created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    p.login,
                    p.name,
                    p.role.as_str(),
                    p.org_id,
                    p.password_hash,
                    p.must_change_password,
                    p.active,
                    p.created_by,
                    p.created_at.unix_minutes()
                ],
            )?;
            Ok(self.0.last_insert_rowid())
        })
    }

    fn set_password(&mut self, id: i64, hash: &str, must_change: bool) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute(
                "UPDATE persons SET password_hash = ?2, must_change_password = ?3 WHERE id = ?1",
                params![id, hash, must_change],
            )?;
            Ok(())
        })
    }

    fn set_person_active(&mut self, id: i64, active: bool) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute("UPDATE persons SET active = ?2 WHERE id = ?1", params![id, active])?;
            Ok(())
        })
    }

    fn session(&self, id_hash: &[u8; 32]) -> Result<Option<SessionRow>, StoreError> {
        answer(|| {
            self.one(
                "SELECT id_hash, person_id, csrf, created_at, last_seen FROM sessions WHERE id_hash = ?1",
                [&id_hash[..]],
                |r| {
                    let hash: Vec<u8> = r.get("id_hash")?;
                    let id_hash = <[u8; 32]>::try_from(hash.as_slice())
                        .map_err(|_| Error::Damaged("a session hash is not 32 bytes".into()))?;
                    Ok(SessionRow {
                        id_hash,
                        person_id: r.get("person_id")?,
                        csrf: r.get("csrf")?,
                        created_at: minute(r.get("created_at")?),
                        last_seen: minute(r.get("last_seen")?),
                    })
                },
            )
        })
    }

    fn insert_session(&mut self, s: &SessionRow) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute(
                "INSERT INTO sessions (id_hash, person_id, csrf, created_at, last_seen) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![&s.id_hash[..], s.person_id, s.csrf, s.created_at.unix_minutes(), s.last_seen.unix_minutes()],
            )?;
            Ok(())
        })
    }

    fn touch_session(&mut self, id_hash: &[u8; 32], at: UtcMinute) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute(
                "UPDATE sessions SET last_seen = ?2 WHERE id_hash = ?1 AND last_seen < ?2",
                params![&id_hash[..], at.unix_minutes()],
            )?;
            Ok(())
        })
    }

    fn delete_session(&mut self, id_hash: &[u8; 32]) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute("DELETE FROM sessions WHERE id_hash = ?1", [&id_hash[..]])?;
            Ok(())
        })
    }

    fn delete_sessions_of(&mut self, person_id: i64) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute("DELETE FROM sessions WHERE person_id = ?1", [person_id])?;
            Ok(())
        })
    }

    fn delete_other_sessions(&mut self, person_id: i64, keep: &[u8; 32]) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute(
                "DELETE FROM sessions WHERE person_id = ?1 AND id_hash <> ?2",
                params![person_id, &keep[..]],
            )?;
            Ok(())
        })
    }

    fn delete_stale_sessions(&mut self, idle_before: UtcMinute, opened_before: UtcMinute) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute(
                "DELETE FROM sessions WHERE last_seen < ?1 OR created_at < ?2",
                params![idle_before.unix_minutes(), opened_before.unix_minutes()],
            )?;
            Ok(())
        })
    }

    fn failures(&self, login: &str, address: &str, since: UtcMinute) -> Result<Failures, StoreError> {
        answer(|| {
            let count = |sql: &str, key: &str| -> Result<(u32, Option<u32>), Error> {
                Ok(self
                    .0
                    .prepare_cached(sql)?
                    .query_row(params![key, since.unix_minutes()], |r| Ok((r.get("failures")?, r.get("oldest")?)))?)
            };
            let (by_login, oldest_login) = count(
                "SELECT count(*) AS failures, min(at) AS oldest FROM login_failures WHERE login = ?1 AND at > ?2",
                login,
            )?;
            let (by_address, oldest_address) = count(
                "SELECT count(*) AS failures, min(at) AS oldest FROM login_failures WHERE address = ?1 AND at > ?2",
                address,
            )?;
            Ok(Failures { by_login, oldest_login, by_address, oldest_address })
        })
    }

    fn record_failure(
        &mut self,
        login: &str,
        address: &str,
        at: UtcMinute,
        forget_before: UtcMinute,
    ) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute("DELETE FROM login_failures WHERE at < ?1", [forget_before.unix_minutes()])?;
            self.0.execute(
                "INSERT INTO login_failures (login, address, at) VALUES (?1, ?2, ?3)",
                params![login, address, at.unix_minutes()],
            )?;
            Ok(())
        })
    }

    fn clear_failures(&mut self, login: &str) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute("DELETE FROM login_failures WHERE login = ?1", [login])?;
            Ok(())
        })
    }

    fn employee(&self, org_id: i64, id: i64) -> Result<Option<EmployeeRow>, StoreError> {
        answer(|| self.one(&format!("{EMPLOYEE} WHERE id = ?1 AND org_id = ?2"), [id, org_id], employee_row))
    }

    fn employee_by_document(&self, org_id: i64, document: &str) -> Result<Option<EmployeeRow>, StoreError> {
        answer(|| {
            self.one(
                &format!("{EMPLOYEE} WHERE org_id = ?1 AND document = ?2"),
                params![org_id, document],
                employee_row,
            )
        })
    }

    fn documents_of_org(&self, org_id: i64) -> Result<Vec<String>, StoreError> {
        answer(|| self.many("SELECT document FROM employees WHERE org_id = ?1", [org_id], |r| Ok(r.get("document")?)))
    }

    fn employees(&self, org_id: i64, query: &EmployeeQuery) -> Result<Vec<EmployeeRow>, StoreError> {
        answer(|| {
            let pattern = query.q.as_ref().map(|q| {
                let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                format!("%{escaped}%")
            });
            self.many(
                &format!(
                    "{EMPLOYEE} WHERE org_id = ?1 AND id > ?2
                     AND (?3 IS NULL OR document LIKE ?3 ESCAPE '\\' OR name LIKE ?3 ESCAPE '\\')
                     AND (?4 IS NULL OR status = ?4)
                     ORDER BY id LIMIT ?5"
                ),
                params![org_id, query.after, pattern, query.status.map(EmployeeStatus::as_str), query.limit],
                employee_row,
            )
        })
    }

    fn employees_with_status(
        &self,
        org_id: Option<i64>,
        status: EmployeeStatus,
    ) -> Result<Vec<EmployeeRow>, StoreError> {
        answer(|| {
            self.many(
                &format!("{EMPLOYEE} WHERE (?1 IS NULL OR org_id = ?1) AND status = ?2 ORDER BY id"),
                params![org_id, status.as_str()],
                employee_row,
            )
        })
    }

    fn insert_employee(&mut self, e: &EmployeeRow) -> Result<i64, StoreError> {
        answer(|| {
            self.write_employee(
                "INSERT INTO employees (org_id, document, name, position, zones, valid_from, valid_until, plate, status,
                    serial) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                e.org_id,
                e,
            )?;
            Ok(self.0.last_insert_rowid())
        })
    }

    fn update_employee(&mut self, e: &EmployeeRow) -> Result<(), StoreError> {
        answer(|| {
            self.write_employee(
                "UPDATE employees SET document = ?2, name = ?3, position = ?4, zones = ?5, valid_from = ?6,
                    valid_until = ?7, plate = ?8, status = ?9, serial = ?10 WHERE id = ?1",
                e.id,
                e,
            )?;
            Ok(())
        })
    }

    fn delete_employee(&mut self, id: i64) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute("DELETE FROM trips WHERE employee_id = ?1", [id])?;
            self.0.execute("DELETE FROM employees WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    fn trip(&self, org_id: i64, id: i64) -> Result<Option<TripRow>, StoreError> {
        answer(|| self.one(&format!("{TRIP} WHERE id = ?1 AND org_id = ?2"), [id, org_id], trip_row))
    }

    fn trips_of(&self, employee_id: i64) -> Result<Vec<TripRow>, StoreError> {
        answer(|| self.many(&format!("{TRIP} WHERE employee_id = ?1 ORDER BY id"), [employee_id], trip_row))
    }

    fn insert_trip(&mut self, t: &TripRow) -> Result<i64, StoreError> {
        answer(|| {
            self.0.execute(
                "INSERT INTO trips (org_id, employee_id, zones, valid_from, valid_until, serial)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![t.org_id, t.employee_id, zones_text(&t.zones), t.valid_from, t.valid_until, t.serial],
            )?;
            Ok(self.0.last_insert_rowid())
        })
    }

    fn set_trip_serial(&mut self, id: i64, serial: u32) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute("UPDATE trips SET serial = ?2 WHERE id = ?1", params![id, serial])?;
            Ok(())
        })
    }

    fn permit(&self, serial: u32) -> Result<Option<PermitRow>, StoreError> {
        answer(|| self.one(&format!("{PERMIT} WHERE serial = ?1"), [serial], permit_row))
    }

    fn insert_permit(&mut self, p: &PermitRow) -> Result<(), StoreError> {
        answer(|| {
            self.0.execute(
                "INSERT INTO permits (serial, kind, org_id, employee_id, trip_id, issued_by, document, zones, token,
                    issued_at, valid_from, valid_until, revoked, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    p.serial,
                    p.kind.as_str(),
                    p.org_id,
                    p.employee_id,
                    p.trip_id,
                    p.issued_by,
                    p.document,
                    zones_text(&p.zones),
                    p.token,
                    p.issued_at.unix_minutes(),
                    p.valid_from.unix_minutes(),
                    p.valid_until.unix_minutes(),
                    p.revoked,
                    p.note
                ],
            )?;
            Ok(())
        })
    }

    fn mark_revoked(&mut self, serials: &[u32]) -> Result<(), StoreError> {
        answer(|| {
            let mut stmt = self.0.prepare_cached("UPDATE permits SET revoked = 1 WHERE serial = ?1")?;
            for serial in serials {
                stmt.execute([serial])?;
            }
            Ok(())
        })
    }

    fn live_permits_of_org(&self, org_id: i64) -> Result<Vec<u32>, StoreError> {
        answer(|| {
            self.many("SELECT serial FROM permits WHERE org_id = ?1 AND revoked = 0 ORDER BY serial", [org_id], |r| {
                Ok(r.get("serial")?)
            })
        })
    }

    fn live_permits_of_employee(&self, employee_id: i64) -> Result<Vec<u32>, StoreError> {
        answer(|| {
            self.many(
                "SELECT serial FROM permits WHERE employee_id = ?1 AND revoked = 0 ORDER BY serial",
                [employee_id],
                |r| Ok(r.get("serial")?),
            )
        })
    }

    fn funeral_permits(&self, login: &str, after: u32, limit: u32) -> Result<Vec<PermitRow>, StoreError> {
        answer(|| {
            self.many(
                &format!("{PERMIT} WHERE kind = 'funeral' AND issued_by = ?1 AND serial > ?2 ORDER BY serial LIMIT ?3"),
                params![login, after, limit],
                permit_row,
            )
        })
    }

    fn import(&self, org_id: i64, id: &str) -> Result<Option<ImportRow>, StoreError> {
        answer(|| {
            self.one(
                "SELECT id, org_id, state, total, processed, imported, problems, problems_total, created_at
                 FROM imports WHERE id = ?1 AND org_id = ?2",
                params![id, org_id],
                |r| {
                    let problems: String = r.get("problems")?;
                    let list: Vec<StoredProblem> =
                        serde_json::from_str(&problems).map_err(|e| Error::Damaged(format!("import problems: {e}")))?;
                    Ok(ImportRow {
                        id: r.get("id")?,
                        org_id: r.get("org_id")?,
                        state: r.get("state")?,
                        total: r.get("total")?,
                        processed: r.get("processed")?,
                        imported: r.get("imported")?,
                        problems: list.into_iter().map(StoredProblem::into_problem).collect(),
                        problems_total: r.get("problems_total")?,
                        created_at: minute(r.get("created_at")?),
                    })
                },
            )
        })
    }

    fn put_import(&mut self, i: &ImportRow) -> Result<(), StoreError> {
        answer(|| {
            let problems: Vec<(usize, &str, &ProblemCode)> =
                i.problems.iter().map(|p| (p.line, p.message.as_str(), &p.code)).collect();
            let problems = serde_json::to_string(&problems).map_err(|e| Error::Damaged(e.to_string()))?;
            self.0.execute(
                "INSERT INTO imports (id, org_id, state, total, processed, imported, problems, problems_total, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state, total = excluded.total,
                    processed = excluded.processed, imported = excluded.imported, problems = excluded.problems,
                    problems_total = excluded.problems_total",
                params![
                    i.id,
                    i.org_id,
                    i.state,
                    i.total,
                    i.processed,
                    i.imported,
                    problems,
                    i.problems_total,
                    i.created_at.unix_minutes()
                ],
            )?;
            Ok(())
        })
    }

    fn fail_unfinished_imports(&mut self) -> Result<usize, StoreError> {
        answer(|| {
            Ok(self.0.execute("UPDATE imports SET state = 'failed' WHERE state IN ('checking', 'issuing')", [])?)
        })
    }

    fn audit(&mut self, e: &AuditEntry) -> Result<i64, StoreError> {
        answer(|| {
            self.0.execute(
                "INSERT INTO audit (org_id, at, by, action, details) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![e.org_id, e.at.unix_minutes(), e.by, e.action, audit_json(&e.details)?],
            )?;
            Ok(self.0.last_insert_rowid())
        })
    }

    fn audit_entries(&self, org_id: i64, after: i64, limit: u32) -> Result<Vec<AuditRow>, StoreError> {
        answer(|| {
            self.many(
                "SELECT id, org_id, at, by, action, details FROM audit WHERE org_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
                params![org_id, after, limit],
                |r| {
                    Ok(AuditRow {
                        id: r.get("id")?,
                        org_id: r.get("org_id")?,
                        at: minute(r.get("at")?),
                        by: r.get("by")?,
                        action: r.get("action")?,
                        details: r.get("details")?,
                    })
                },
            )
        })
    }
}

/// The audit details as stored: the JSON object of their fields.
pub(super) fn audit_json(details: &AuditDetails) -> Result<String, Error> {
    serde_json::to_string(details).map_err(|e| Error::Damaged(format!("audit details: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_problems_are_read_with_their_codes_and_as_written_before_they_had_any() {
        let text = r#"[[3,"old sentence"],[4,"zone",{"code":"invalid_zone","case":"not_a_number","field":"zones","params":[["value","x"]]}]]"#;
        let problems: Vec<ImportProblem> = serde_json::from_str::<Vec<StoredProblem>>(text)
            .unwrap()
            .into_iter()
            .map(StoredProblem::into_problem)
            .collect();
        assert_eq!(
            problems[0],
            ImportProblem { line: 3, message: "old sentence".into(), code: ProblemCode::default() }
        );
        assert_eq!(problems[1].code.code, "invalid_zone");
        assert_eq!(problems[1].code.case.as_deref(), Some("not_a_number"));
        assert_eq!(problems[1].code.params, vec![("value".to_owned(), "x".to_owned())]);
    }
}
