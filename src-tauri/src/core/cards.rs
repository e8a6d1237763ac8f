//! The service-card check of the Manual screen (issue 23): the organisation
//! on a card looked up among the authorised ones, and the check logged.

use icaze_core::UtcMinute;
use icaze_device::answers::ServiceCardAnswer;
use icaze_device::Notes;
use serde::Deserialize;
use ts_rs::TS;

use super::{note, AppCore};
use crate::error::AppError;

/// A service card as the UI sends it.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ServiceCardRequest {
    /// The organisation on the card: its tax id or name, typed, or the text
    /// of the card's QR code or barcode.
    pub organisation: String,
    /// The card's number.
    pub card_number: String,
    /// The zone the officer stands in.
    pub zone: u16,
    /// A free note.
    pub note: Option<String>,
}

impl AppCore {
    /// Checks a service card and logs the check with its answer.
    pub fn check_service_card(
        &mut self,
        request: ServiceCardRequest,
        now: UtcMinute,
    ) -> Result<ServiceCardAnswer, AppError> {
        let notes = Notes { action: None, note: note(request.note)? };
        let scene = self.scene(request.zone, now)?;
        let device = self.device_mut()?;
        let (answer, record) =
            device.check_service_card(&request.organisation, &request.card_number, &scene, &notes)?;
        Ok(ServiceCardAnswer::new(&answer, &record))
    }
}
