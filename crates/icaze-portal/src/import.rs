//! The CSV import of employees (`docs/portal-api.md`, "Bulk import"): every
//! row is checked first, then the good rows are registered and their permits
//! issued in one transaction, all of them or none.
//!
//! The file is UTF-8 with the header
//! `document,name,position,zones,valid_from,valid_until,plate`; fields may be
//! quoted as in RFC 4180 (`"Aliyev, Rashad"`, `""` for a quote), but a quoted
//! field cannot span lines: a line is a row, which keeps the problems' line
//! numbers those of the file.

use std::collections::{HashMap, HashSet};

use icaze_permits::csv::fields;
use icaze_permits::store::PermitStore;

use crate::fields::{document_field, random_hex};
use crate::store::{AuditDetails, ImportProblem, ImportRow, PermitKind};
use crate::{EmployeeInput, PortalError, PortalService, Principal};

/// The most data rows of one file.
pub const MAX_ROWS: usize = 100_000;
/// The problems kept for the report (all are counted).
pub const MAX_PROBLEMS: usize = 1000;
/// The columns, in order.
pub const HEADER: [&str; 7] = ["document", "name", "position", "zones", "valid_from", "valid_until", "plate"];
/// Rows between two progress updates.
const PROGRESS_EVERY: u32 = 1000;

/// Zones as the file writes them: ids separated by `;`.
fn zones(field: &str) -> Result<Vec<u16>, PortalError> {
    field
        .split(';')
        .map(str::trim)
        .filter(|z| !z.is_empty())
        .map(|z| {
            z.parse().map_err(|_| {
                PortalError::invalid("invalid_zone", format!("the zone {z:?} is not a number"))
                    .case("not_a_number")
                    .field("zones")
                    .param("value", z)
            })
        })
        .collect()
}

/// A problem of the file itself (`invalid_csv`), of the case `case`.
fn csv_problem(case: &'static str, message: String) -> PortalError {
    PortalError::invalid("invalid_csv", message).case(case)
}

impl<S: PermitStore> PortalService<S> {
    /// Starts an import of the caller's organisation: checks the encoding,
    /// records the job (`checking`) and gives its id and the text. The
    /// caller then runs [`PortalService::run_import`] on a blocking thread.
    pub fn start_import(&self, principal: &Principal, body: &[u8]) -> Result<(String, String), PortalError> {
        let org = principal.employer()?;
        let text = std::str::from_utf8(body).map_err(|e| {
            PortalError::invalid("bad_encoding", format!("the file is not UTF-8 ({e}): save it as UTF-8 CSV"))
                .field("file")
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text).to_owned();
        let id = random_hex(16)?;
        let total = text.lines().skip(1).filter(|l| !l.trim().is_empty()).count() as u32;
        let job = ImportRow {
            id: id.clone(),
            org_id: org.id,
            state: "checking".into(),
            total,
            processed: 0,
            imported: 0,
            problems: Vec::new(),
            problems_total: 0,
            created_at: self.now(),
        };
        self.write(|tx| Ok(tx.put_import(&job)?))?;
        Ok((id, text))
    }

    /// Runs an import started by [`PortalService::start_import`] to its end
    /// (`done` or `failed`), recording its progress as it goes.
    pub fn run_import(&self, principal: &Principal, id: &str, text: &str) {
        let Ok(org) = principal.employer() else { return };
        let job = match self.read(|tx| Ok(tx.import(org.id, id)?)) {
            Ok(Some(job)) => job,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, import = id, "an import could not start");
                return;
            }
        };
        let mut job = job;
        if let Err(e) = self.import_rows(principal, &mut job, text) {
            tracing::error!(error = %e, import = id, "an import failed");
            job.state = "failed".into();
            job.imported = 0;
            job.problems_total += 1;
            if job.problems.len() < MAX_PROBLEMS {
                let mut problem = ImportProblem::of(0, &e);
                problem.message = format!("nothing was imported: {e}");
                job.problems.push(problem);
            }
        }
        if let Err(e) = self.write(|tx| Ok(tx.put_import(&job)?)) {
            tracing::error!(error = %e, import = id, "an import's end could not be recorded");
        }
    }

    /// An import of the caller's organisation.
    pub fn import_status(&self, principal: &Principal, id: &str) -> Result<ImportRow, PortalError> {
        let org = principal.employer()?;
        self.read(|tx| Ok(tx.import(org.id, id)?))?
            .ok_or_else(|| PortalError::not_found("import_not_found", format!("there is no import {id}")))
    }

    fn import_rows(&self, principal: &Principal, job: &mut ImportRow, text: &str) -> Result<(), PortalError> {
        let org = principal.employer()?.clone();
        let problem = |job: &mut ImportRow, line: usize, refusal: PortalError| {
            job.problems_total += 1;
            if job.problems.len() < MAX_PROBLEMS {
                job.problems.push(ImportProblem::of(line, &refusal));
            }
        };
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
        let header: Vec<String> = lines
            .next()
            .map(|(_, h)| h.split(',').map(|c| c.trim().trim_matches('"').to_lowercase()).collect())
            .unwrap_or_default();
        if header != HEADER {
            let header = HEADER.join(",");
            let message = format!("the first line must be the header `{header}`: columns are missing or out of order");
            problem(job, 1, csv_problem("header", message).param("header", header));
            job.state = "failed".into();
            return Ok(());
        }
        let rows: Vec<(usize, &str)> = lines.filter(|(_, l)| !l.trim().is_empty()).collect();
        if let Some((line, _)) = rows.get(MAX_ROWS) {
            let message = format!("more than {MAX_ROWS} rows: split the file, nothing was imported");
            problem(job, *line, csv_problem("too_many", message).param("max", MAX_ROWS));
            job.state = "failed".into();
            return Ok(());
        }
        let existing: HashSet<String> = self.read(|tx| Ok(tx.documents_of_org(org.id)?))?.into_iter().collect();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut good = Vec::new();
        for (line, text) in rows {
            job.processed += 1;
            if job.processed.is_multiple_of(PROGRESS_EVERY) {
                self.write(|tx| Ok(tx.put_import(job)?))?;
            }
            let fields = match fields(text) {
                Ok(f) if f.len() == HEADER.len() => f,
                Ok(f) => {
                    let message = format!("expected {} columns, found {}", HEADER.len(), f.len());
                    problem(
                        job,
                        line,
                        csv_problem("columns", message).param("expected", HEADER.len()).param("found", f.len()),
                    );
                    continue;
                }
                Err(e) => {
                    problem(job, line, csv_problem(e.code(), e.to_string()));
                    continue;
                }
            };
            let zones = match zones(&fields[3]) {
                Ok(z) => z,
                Err(e) => {
                    problem(job, line, e);
                    continue;
                }
            };
            let input = EmployeeInput {
                document: fields[0].clone(),
                name: fields[1].clone(),
                position: fields[2].clone(),
                zones,
                valid_from: fields[4].clone(),
                valid_until: fields[5].clone(),
                plate: Some(fields[6].clone()),
            };
            let document = match document_field(&input.document) {
                Ok(d) => d.canonical(),
                Err(e) => {
                    problem(job, line, e);
                    continue;
                }
            };
            if let Some(first) = seen.get(&document) {
                let message = format!("the document {document} repeats line {first} of the file");
                let repeat = PortalError::conflict("duplicate_employee", message).case("repeat").field("document");
                problem(job, line, repeat.param("document", &document).param("line", first));
                continue;
            }
            seen.insert(document.clone(), line);
            if existing.contains(&document) {
                let message = format!("the document {document} is registered in your organisation already");
                let here = PortalError::conflict("duplicate_employee", message).field("document");
                problem(job, line, here.param("document", &document));
                continue;
            }
            match self.check_employee(&input) {
                Ok(checked) => good.push(checked),
                Err(e @ (PortalError::Store(_) | PortalError::Internal(_))) => return Err(e),
                Err(e) => problem(job, line, e),
            }
        }
        job.state = "issuing".into();
        self.write(|tx| Ok(tx.put_import(job)?))?;
        if !good.is_empty() {
            let _changes = self.changes()?;
            self.admitted(org.id)?;
            // Someone may have added one of these documents since the check.
            let now_existing: HashSet<String> = self.read(|tx| Ok(tx.documents_of_org(org.id)?))?.into_iter().collect();
            if let Some((row, _)) = good.iter().find(|(row, _)| now_existing.contains(&row.document)) {
                return Err(PortalError::conflict(
                    "duplicate_employee",
                    format!("the document {} was registered while the file was checked: import it again", row.document),
                )
                .case("raced")
                .param("document", &row.document));
            }
            let checks: Vec<_> = good.iter().map(|(_, c)| c.clone()).collect();
            let signed = self.issue(&checks)?;
            let by = &principal.person.login;
            let count = good.len();
            let import_id = job.id.clone();
            self.commit(&signed, |tx| {
                for ((row, _), s) in good.iter().zip(&signed) {
                    let mut permit = Self::permit_row(s, PermitKind::Work, Some(org.id), by);
                    let mut row = row.clone();
                    row.org_id = org.id;
                    row.serial = Some(permit.serial);
                    permit.employee_id = Some(tx.insert_employee(&row)?);
                    tx.insert_permit(&permit)?;
                }
                let details = AuditDetails::EmployeesImported { import: import_id.clone(), imported: count };
                tx.audit(&self.audit_entry(Some(org.id), by, "employees_imported", details))?;
                Ok(())
            })?;
            job.imported = count as u32;
        }
        job.state = "done".into();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_lists() {
        assert_eq!(zones("1;2; 3").unwrap(), vec![1, 2, 3]);
        let e = zones("1;x").unwrap_err();
        assert_eq!(
            (e.code(), e.detail().case, e.detail().field),
            ("invalid_zone", Some("not_a_number"), Some("zones"))
        );
        assert_eq!(e.detail().params, vec![("value", "x".to_owned())]);
        assert_eq!(zones("").unwrap(), Vec::<u16>::new());
    }
}
