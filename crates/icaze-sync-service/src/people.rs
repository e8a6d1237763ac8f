//! Who sees a person's data, and the audit of every view of it (issue 23
//! item 7; the rule in `docs/security.md`, "Who sees a person's data").
//!
//! The searches of permits and refused SMS requests, and the abuse report of
//! the SMS codes with its top phones and documents, read the permits store
//! (`icaze_permits`); they go through [`SyncService`] so that the caller's role
//! decides what they show and the view is written to the sync service's
//! persistent audit trail in the same call:
//!
//! - the administrator and an investigator (a supervisor the administrator
//!   granted [`SupervisorRole::Investigator`]) search by document or phone
//!   and see documents and phones in full;
//! - a plain supervisor searches by code and period only, and sees the
//!   report and the rows found with documents and phones masked
//!   ([`mask_document`], [`mask_phone`]);
//! - a service caller sees neither.
//!
//! Every search, and every report that lists phones or documents, is
//! audited (`permits_searched`, `code_report_viewed`, details
//! [`AuditDetails::PeopleViewed`]: what was asked, how many rows were shown,
//! masked or not) before the answer is handed back: a view whose audit line
//! cannot be written is not shown. Not checked: what the viewer does with
//! what they saw, and a supervisor's precinct (permits have none; the report
//! covers the whole country).

use icaze_permits::report::{code_report, CodeReport, ReportRequest};
use icaze_permits::store::{Found, PermitStore, Search};

use crate::auth::Caller;
use crate::store::{AuditDetails, SupervisorRole};
use crate::{SyncError, SyncService};

/// What a caller sees of documents and phones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeopleAccess {
    /// In full (the administrator, an investigator).
    Full,
    /// Masked (a plain supervisor).
    Masked,
}

impl Caller {
    /// What this caller sees of documents and phones; a service caller is
    /// refused (`403`).
    pub fn people_access(&self) -> Result<PeopleAccess, SyncError> {
        match self {
            Caller::Admin | Caller::Supervisor { role: SupervisorRole::Investigator, .. } => Ok(PeopleAccess::Full),
            Caller::Supervisor { role: SupervisorRole::Supervisor, .. } => Ok(PeopleAccess::Masked),
            Caller::Service { name } => Err(SyncError::Forbidden(format!("{name} may only revoke permits"))),
        }
    }
}

/// `mask` of a document number: its first two and last two characters kept
/// (`AA1234567` → `AA•••••67`); a shorter text than six characters keeps
/// only its last two, or nothing under four.
pub fn mask_document(document: &str) -> String {
    let chars: Vec<char> = document.chars().collect();
    let head = if chars.len() >= 6 { 2 } else { 0 };
    mask(&chars, head)
}

/// `mask` of a phone (canonical digits, or with a `+`): the country and
/// operator codes (five digits) and the last two kept, written with a `+`
/// (`994501234512` → `+99450•••••12`); a phone shorter than nine digits keeps
/// only its last two, or nothing under four.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim_start_matches('+').chars().collect();
    let head = if chars.len() >= 9 { 5 } else { 0 };
    format!("+{}", mask(&chars, head))
}

fn mask(chars: &[char], head: usize) -> String {
    let tail = if chars.len() >= 4 { 2 } else { 0 };
    let hidden = chars.len().saturating_sub(head + tail);
    let mut out: String = chars.iter().take(head).collect();
    out.extend(std::iter::repeat_n('•', hidden));
    out.extend(chars.iter().skip(head + hidden));
    out
}

impl<S: PermitStore> SyncService<S> {
    /// The permits of every channel and the refused SMS requests `search`
    /// finds, newest first; a search by document or phone is the
    /// administrator's and the investigators' (`403` for a plain supervisor,
    /// whose rows come masked). Audited as `permits_searched`.
    pub fn search_permits(&self, caller: &Caller, search: &Search) -> Result<(Vec<Found>, PeopleAccess), SyncError> {
        let access = caller.people_access()?;
        if access == PeopleAccess::Masked && (search.document.is_some() || search.phone.is_some()) {
            return Err(SyncError::Forbidden(
                "searching by a document or a phone is for the administrator and investigators: ask the \
                 administrator to make you an investigator"
                    .into(),
            ));
        }
        let mut found = self.permits.search(search)?;
        if access == PeopleAccess::Masked {
            for f in &mut found {
                f.document = mask_document(&f.document);
                if !f.phone.is_empty() {
                    f.phone = mask_phone(&f.phone);
                }
            }
        }
        let details = AuditDetails::PeopleViewed {
            code: search.code,
            document: search.document.clone(),
            from: search.from.to_rfc3339_utc(),
            masked: access == PeopleAccess::Masked,
            phone: search.phone.clone(),
            results: found.len().min(search.limit as usize) as u64,
            to: search.to.to_rfc3339_utc(),
        };
        self.write(|tx| Ok(self.audit(tx, caller, "permits_searched", details.clone())?))?;
        Ok((found, access))
    }

    /// The abuse report of the SMS codes, its top phones and documents masked
    /// for a plain supervisor. Audited as `code_report_viewed` when it lists
    /// any phone or document.
    pub fn code_report(
        &self,
        caller: &Caller,
        request: ReportRequest,
    ) -> Result<(CodeReport, PeopleAccess), SyncError> {
        let access = caller.people_access()?;
        let mut report = code_report(self.permits.as_ref(), request)?;
        if access == PeopleAccess::Masked {
            for (phone, _) in &mut report.top.phones {
                *phone = mask_phone(phone);
            }
            for (document, _) in &mut report.top.documents {
                *document = mask_document(document);
            }
        }
        let shown = report.top.phones.len() + report.top.documents.len();
        if shown > 0 {
            let details = AuditDetails::PeopleViewed {
                code: Some(request.watched),
                document: None,
                from: request.from.to_rfc3339_utc(),
                masked: access == PeopleAccess::Masked,
                phone: None,
                results: shown as u64,
                to: request.to.to_rfc3339_utc(),
            };
            self.write(|tx| Ok(self.audit(tx, caller, "code_report_viewed", details.clone())?))?;
        }
        Ok((report, access))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_phones_are_masked_but_for_their_ends() {
        assert_eq!(mask_document("AA1234567"), "AA•••••67");
        assert_eq!(mask_document("AZE12345678"), "AZ•••••••78");
        assert_eq!(mask_document("AB123"), "•••23");
        assert_eq!(mask_document("AB1"), "•••");
        assert_eq!(mask_phone("994501234512"), "+99450•••••12");
        assert_eq!(mask_phone("+994501234512"), "+99450•••••12");
        assert_eq!(mask_phone("12345"), "+•••45");
        assert_eq!(mask_phone(""), "+");
    }

    #[test]
    fn only_the_administrator_and_investigators_see_people_in_full() {
        let sup = |role| Caller::Supervisor { name: "s".into(), precinct: "P-1".into(), role };
        assert_eq!(Caller::Admin.people_access().unwrap(), PeopleAccess::Full);
        assert_eq!(sup(SupervisorRole::Investigator).people_access().unwrap(), PeopleAccess::Full);
        assert_eq!(sup(SupervisorRole::Supervisor).people_access().unwrap(), PeopleAccess::Masked);
        let service = Caller::Service { name: "portal:1:a".into() };
        assert!(matches!(service.people_access(), Err(SyncError::Forbidden(_))));
    }
}
