//! Where, when and by whom an inspection happens.

use icaze_core::{UtcMinute, ZoneId};
use icaze_protocol::{Location, OfficerBadge};

/// The circumstances of one inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scene {
    /// The device's clock at the inspection (not trusted blindly: see the clock warnings).
    pub at: UtcMinute,
    /// The zone the officer stands in.
    pub zone: ZoneId,
    /// The officer.
    pub officer: OfficerBadge,
    /// Where, if known.
    pub location: Option<Location>,
}
