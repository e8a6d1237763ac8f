//! The 102 call centre: funeral permits, issued and revoked by operators.

use icaze_core::Purpose;
use icaze_permits::store::PermitStore;
use icaze_sync_service::Caller;

use crate::fields::{document_field, local_time, text_field};
use crate::service::{Checked, DEFAULT_PAGE, FUNERAL_MAX_AHEAD_MINUTES, FUNERAL_MAX_MINUTES};
use crate::store::{AuditDetails, PermitKind, PermitRow};
use crate::{PortalError, PortalService, Principal};

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

impl<S: PermitStore> PortalService<S> {
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
            )
            .case("funeral_length")
            .field("valid_until")
            .param("hours", FUNERAL_MAX_MINUTES / 60));
        }
        if start.minutes_since(now) > i64::from(FUNERAL_MAX_AHEAD_MINUTES) {
            return Err(PortalError::invalid("invalid_dates", "a funeral permit starts at most 3 days ahead")
                .case("funeral_ahead")
                .field("valid_from")
                .param("days", FUNERAL_MAX_AHEAD_MINUTES / (24 * 60)));
        }
        // A start on a quarter hour is the short form of token format v2, which
        // keeps a funeral permit for two zones in a version-5 QR code.
        if !start.unix_minutes().is_multiple_of(15) {
            return Err(PortalError::invalid(
                "invalid_dates",
                "a funeral permit starts on a quarter hour (:00, :15, :30 or :45)",
            )
            .case("funeral_quarter")
            .field("valid_from"));
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
            let details = AuditDetails::FuneralIssued {
                document: permit.document.clone(),
                operator: login.clone(),
                serial: permit.serial,
                zones: permit.zones.clone(),
            };
            tx.audit(&self.audit_entry(None, login, "funeral_issued", details))?;
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
        let _changes = self.changes()?;
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
            let details = AuditDetails::FuneralRevoked { operator: login.clone(), reason: reason.clone(), serial };
            tx.audit(&self.audit_entry(None, login, "funeral_revoked", details))?;
            Ok(())
        })?;
        permit.revoked = true;
        Ok(permit)
    }

    /// A funeral permit an operator is about to send by SMS, and the caller's
    /// phone in canonical form (`994501112233`). A revoked permit is refused
    /// (`permit_revoked`): the caller would hold a permit that devices refuse.
    /// Nothing is recorded: [`PortalService::funeral_sms_sent`] does that once
    /// the gateway has taken the message.
    pub fn funeral_for_sms(
        &self,
        principal: &Principal,
        serial: u32,
        phone: &str,
    ) -> Result<(PermitRow, String), PortalError> {
        principal.operator()?;
        let phone =
            icaze_permits::csv::phone(phone).map_err(|e| PortalError::invalid("invalid_phone", e).field("phone"))?;
        let permit = self.funeral_permit(serial)?;
        if permit.revoked {
            return Err(PortalError::conflict(
                "permit_revoked",
                format!("funeral permit {serial} is revoked: issue a new one to send"),
            ));
        }
        Ok((permit, phone))
    }

    /// Audits a funeral permit sent by SMS (`funeral_sms_sent`, the phone masked).
    pub fn funeral_sms_sent(&self, principal: &Principal, serial: u32, phone: &str) -> Result<(), PortalError> {
        principal.operator()?;
        let login = &principal.person.login;
        self.write(|tx| {
            let details = AuditDetails::FuneralSmsSent { operator: login.clone(), phone: mask_phone(phone), serial };
            tx.audit(&self.audit_entry(None, login, "funeral_sms_sent", details))?;
            Ok(())
        })
    }

    fn funeral_permit(&self, serial: u32) -> Result<PermitRow, PortalError> {
        self.read(|tx| Ok(tx.permit(serial)?))?
            .filter(|p| p.kind == PermitKind::Funeral)
            .ok_or_else(|| PortalError::not_found("permit_not_found", format!("there is no funeral permit {serial}")))
    }

    /// The operator's own funeral permits with serials above `after`, oldest first.
    pub fn funerals(&self, principal: &Principal, after: u32) -> Result<(Vec<PermitRow>, Option<u32>), PortalError> {
        principal.operator()?;
        let limit = DEFAULT_PAGE;
        let rows = self.read(|tx| Ok(tx.funeral_permits(&principal.person.login, after, limit)?))?;
        let next = (rows.len() == limit as usize).then(|| rows.last().map(|r| r.serial)).flatten();
        Ok((rows, next))
    }
}

/// A phone number as the audit log keeps it: the country and network code
/// and the last two digits, the rest as `*` (`994501112233` is
/// `99450*****33`), enough to tell a mistyped number from the right one
/// without keeping whom the family called from.
pub fn mask_phone(phone: &str) -> String {
    let count = phone.chars().count();
    phone.chars().enumerate().map(|(i, c)| if i < 5 || i + 2 >= count { c } else { '*' }).collect()
}

#[cfg(test)]
mod tests {
    use super::mask_phone;

    #[test]
    fn a_masked_phone_keeps_the_network_and_the_last_two_digits() {
        assert_eq!(mask_phone("994501112233"), "99450*****33");
        assert_eq!(mask_phone("1234567"), "1234567", "too short to hide anything");
    }
}
