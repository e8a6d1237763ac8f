//! Checks without a token: the officer records what was shown or done.

use crate::error::DeviceError;
use icaze_protocol::{InputKind, MAX_SHORT};

/// A manual check, each logged as an inspection record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ManualCheck {
    /// A service card (medical staff, utilities, officials…).
    ServiceCard {
        /// The organisation on the card.
        organisation: String,
        /// The card's number.
        card_number: String,
    },
    /// A court or law-enforcement summons.
    Summons {
        /// The court or law-enforcement body that issued it.
        issuer: String,
        /// The summons' number or reference.
        document: String,
    },
    /// Imminent danger to life or health (no permit needed); the note says what.
    ImminentDanger {
        /// What the danger was.
        note: String,
    },
    /// No permit: a violation, with the protocol drawn up.
    Violation {
        /// The protocol's number.
        protocol_number: String,
        /// The article of the Code of Administrative Offences, as text (e.g. `211.2`).
        article: String,
        /// The person's identity document, if known.
        document: Option<String>,
    },
}

/// What a manual check puts in its record.
pub(crate) struct ManualFields {
    pub input: InputKind,
    pub document: Option<String>,
    pub note: Option<String>,
    pub details: Vec<(String, String)>,
}

fn field(name: &'static str, value: &str) -> Result<String, DeviceError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DeviceError::MissingField(name));
    }
    if value.len() > MAX_SHORT {
        return Err(icaze_protocol::RecordError::TooLong { field: name, len: value.len(), max: MAX_SHORT }.into());
    }
    Ok(value.to_owned())
}

impl ManualCheck {
    /// The record's input kind.
    pub fn input_kind(&self) -> InputKind {
        match self {
            ManualCheck::ServiceCard { .. } => InputKind::ServiceCard,
            ManualCheck::Summons { .. } => InputKind::Summons,
            ManualCheck::ImminentDanger { .. } => InputKind::ImminentDanger,
            ManualCheck::Violation { .. } => InputKind::Violation,
        }
    }

    /// Checks the fields (none empty, none over 200 bytes) and lays them out
    /// for the record, in a fixed order per kind.
    pub(crate) fn fields(&self, note: Option<&str>) -> Result<ManualFields, DeviceError> {
        let mut out =
            ManualFields { input: self.input_kind(), document: None, note: note.map(str::to_owned), details: vec![] };
        match self {
            ManualCheck::ServiceCard { organisation, card_number } => {
                out.details.push(("organisation".into(), field("organisation", organisation)?));
                out.details.push(("card_number".into(), field("card_number", card_number)?));
            }
            ManualCheck::Summons { issuer, document } => {
                out.details.push(("issuer".into(), field("issuer", issuer)?));
                out.details.push(("summons".into(), field("document", document)?));
            }
            ManualCheck::ImminentDanger { note: danger } => {
                let danger = field("note", danger)?;
                out.note = Some(match note {
                    Some(extra) => format!("{danger}\n{extra}"),
                    None => danger,
                });
            }
            ManualCheck::Violation { protocol_number, article, document } => {
                out.details.push(("protocol_number".into(), field("protocol_number", protocol_number)?));
                out.details.push(("article".into(), field("article", article)?));
                out.document = document.as_deref().map(|d| field("document", d)).transpose()?;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_are_refused_and_order_is_fixed() {
        let card = ManualCheck::ServiceCard { organisation: " ASAN ".into(), card_number: "77".into() };
        let f = card.fields(None).unwrap();
        assert_eq!(f.details, vec![("organisation".into(), "ASAN".into()), ("card_number".into(), "77".into())]);
        let empty = ManualCheck::Summons { issuer: "Court".into(), document: "  ".into() };
        assert!(matches!(empty.fields(None), Err(DeviceError::MissingField("document"))));
        let danger = ManualCheck::ImminentDanger { note: "fire".into() };
        assert_eq!(
            danger.fields(Some("took a child to hospital")).unwrap().note.unwrap(),
            "fire\ntook a child to hospital"
        );
    }
}
