//! Checks: a permit judged and its inspection recorded, or a manual record.

use super::{Device, Notes};
use crate::cards::{CardAnswer, CardQuery, MAX_MATCHES};
use crate::error::DeviceError;
use crate::manual::ManualCheck;
use crate::scene::Scene;
use crate::store::LogTip;
use crate::verdict::{evaluate, ClockFacts, DeviceVerdict};
use icaze_protocol::{InputKind, InspectionRecord, Outcome, RecordId, GENESIS_HASH};

fn new_record_id() -> Result<RecordId, DeviceError> {
    let mut id = [0; 16];
    getrandom::getrandom(&mut id).map_err(|e| DeviceError::Random(e.to_string()))?;
    Ok(RecordId(id))
}

/// A new record of a check in `scene` with the action and note of `notes`,
/// nothing judged or read yet, before the store numbers and chains it (seq 0,
/// genesis hashes): what every kind of check records alike.
fn new_record(scene: &Scene, notes: &Notes, input: InputKind) -> Result<InspectionRecord, DeviceError> {
    Ok(InspectionRecord {
        id: new_record_id()?,
        seq: 0,
        at: scene.at,
        officer: scene.officer.clone(),
        zone: scene.zone,
        location: scene.location,
        input,
        serial: None,
        document: None,
        outcome: None,
        action: notes.action.clone(),
        note: notes.note.clone(),
        details: vec![],
        prev_hash: GENESIS_HASH,
        hash: GENESIS_HASH,
    })
}

impl Device {
    /// Judges `text` without recording it: for benchmarks and previews only.
    /// An inspection must go through [`Device::check`], which logs it first.
    pub fn evaluate_unlogged(&self, text: &str, scene: &Scene) -> DeviceVerdict {
        let clock = ClockFacts { suspect: self.clock_suspect.as_deref(), newest_logged: None };
        evaluate(self.data.as_ref(), text, scene, &clock).0
    }

    /// Checks a permit text (a token, QR digits or a whole SMS) and records the
    /// inspection. The record is committed durably before the verdict is
    /// returned; if it cannot be, the error is returned and no verdict.
    pub fn check(&mut self, text: &str, scene: &Scene, notes: &Notes) -> Result<DeviceVerdict, DeviceError> {
        let data = self.data.as_ref();
        let (record, verdict) = self.store.append(|tip: &LogTip| {
            let facts = ClockFacts { suspect: tip.clock_suspect.as_deref(), newest_logged: tip.newest_at };
            let (verdict, suspicion) = evaluate(data, text, scene, &facts);
            let claims = verdict.permit.as_ref().map(|p| p.claims());
            let record = InspectionRecord {
                serial: claims.map(|c| c.serial()),
                document: claims.map(|c| c.document().canonical()),
                outcome: Some(Outcome {
                    verdict: verdict.kind.code().to_owned(),
                    display: verdict.display.code().to_owned(),
                    reasons: verdict.reasons.iter().map(|r| r.code.to_owned()).collect(),
                    warnings: verdict.warnings.iter().map(|r| r.code.to_owned()).collect(),
                }),
                ..new_record(scene, notes, InputKind::of_text(text))?
            };
            let suspect_now = tip.clock_suspect.clone().or_else(|| suspicion.map(str::to_owned));
            Ok((record, suspicion.map(str::to_owned), (verdict, suspect_now)))
        })?;
        let (mut verdict, suspect_now) = verdict;
        self.clock_suspect = suspect_now;
        verdict.seq = Some(record.seq);
        Ok(verdict)
    }

    /// Records a check without a token. Committed durably before it returns.
    /// A service card is looked up as [`Device::check_service_card`] does,
    /// its answer kept in the record.
    pub fn record_manual(
        &mut self,
        check: &ManualCheck,
        scene: &Scene,
        notes: &Notes,
    ) -> Result<InspectionRecord, DeviceError> {
        match check {
            ManualCheck::ServiceCard { organisation, card_number } => {
                Ok(self.check_service_card(organisation, card_number, scene, notes)?.1)
            }
            _ => self.log_manual(check, scene, notes, vec![]),
        }
    }

    /// Checks a service card: the organisation on it (its tax id or name,
    /// typed, or the text of the card's QR code or barcode) looked up among
    /// the authorised organisations of the last bundle and judged for the
    /// officer's zone at the scene's time, then the check recorded with its
    /// answer. Committed durably before it returns.
    pub fn check_service_card(
        &mut self,
        organisation: &str,
        card_number: &str,
        scene: &Scene,
        notes: &Notes,
    ) -> Result<(CardAnswer, InspectionRecord), DeviceError> {
        let card =
            ManualCheck::ServiceCard { organisation: organisation.to_owned(), card_number: card_number.to_owned() };
        // The fields first: an empty one is refused before any lookup.
        card.fields(notes.note.as_deref())?;
        let answer = self.card_answer(organisation, scene)?;
        let record = self.log_manual(&card, scene, notes, answer.details())?;
        Ok((answer, record))
    }

    /// The answer for the organisation text of a card, nothing logged.
    fn card_answer(&self, organisation: &str, scene: &Scene) -> Result<CardAnswer, DeviceError> {
        if self.data.is_none() {
            return Ok(CardAnswer::no_data());
        }
        let query = CardQuery::of(organisation).ok_or(DeviceError::MissingField("organisation"))?;
        let found = match &query {
            CardQuery::TaxId(tax_id) => self.store.organisation(*tax_id)?.into_iter().collect(),
            CardQuery::Name(name) => self.store.organisations_named(name, MAX_MATCHES + 1)?,
        };
        Ok(CardAnswer::of(&query, found, scene.zone, scene.at))
    }

    fn log_manual(
        &mut self,
        check: &ManualCheck,
        scene: &Scene,
        notes: &Notes,
        more: Vec<(String, String)>,
    ) -> Result<InspectionRecord, DeviceError> {
        let mut fields = check.fields(notes.note.as_deref())?;
        fields.details.extend(more);
        let (record, ()) = self.store.append(|_tip: &LogTip| {
            let record = InspectionRecord {
                document: fields.document,
                note: fields.note,
                details: fields.details,
                ..new_record(scene, notes, fields.input)?
            };
            Ok((record, None, ()))
        })?;
        Ok(record)
    }
}
