//! The sections of a format-2 bundle: what follows the revocation set, each a
//! tagged, length-delimited field (`docs/bundle-format.md` §2.1).
//!
//! A section carries what a device shows beyond a permit's verdict (why it
//! was revoked; which organisations' service cards are good), never what
//! makes a permit pass: revocations stay in the revocation set, so a device that
//! skips a section it does not know still refuses every revoked permit.
//! That is why an unknown tag is skipped rather than refused: an app not yet
//! updated keeps taking the server's bundles, and so its revocations.

use super::{AuthorisedOrganisations, BundleError, Reader};
use crate::revocation::RevocationSet;

/// Tag 1: the serials of the revocation set revoked because a newer permit
/// replaced them (an employer's edit of a signed field), in the revocation
/// set's wire form.
pub const SECTION_REPLACED: u8 = 1;
/// Tag 2: the organisations authorised to work, whose employees move on their
/// service card (`organisations.rs`).
pub const SECTION_ORGANISATIONS: u8 = 2;

/// What a bundle's sections say. Format 1 has none: its contents read as the
/// default, every section empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BundleSections {
    /// Serials of the bundle's revocation set (of the delta's, in a delta)
    /// that were revoked because a newer permit replaced them. A subset of
    /// the revocation set: a device reads no other serial from it.
    pub replaced: RevocationSet,
    /// The authorised organisations, all of them: in every full bundle the
    /// service makes, and in a delta when they changed since its base. `Some`
    /// replaces the device's list (an empty list included), `None` (no
    /// section) leaves a delta's device with the list it has, and a full
    /// bundle's with none (a full bundle stands alone: a list it does not
    /// vouch for could still name an organisation removed since).
    pub organisations: Option<AuthorisedOrganisations>,
}

impl BundleSections {
    /// Whether no section is written: a format-2 bundle then writes none.
    pub fn is_empty(&self) -> bool {
        self.replaced.is_empty() && self.organisations.is_none()
    }

    /// Appends `section_count` and the sections, in ascending tag order; an
    /// empty section is left out, so every contents have one encoding.
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        let mut sections: Vec<(u8, Vec<u8>)> = Vec::new();
        if !self.replaced.is_empty() {
            sections.push((SECTION_REPLACED, self.replaced.encode()));
        }
        if let Some(organisations) = &self.organisations {
            sections.push((SECTION_ORGANISATIONS, organisations.encode()));
        }
        // At most one section per known tag, far below 256.
        out.push(sections.len() as u8);
        for (tag, bytes) in sections {
            out.push(tag);
            // A section longer than u32 is cut and refused: the bundle's own
            // cap (64 MiB) refuses it first in `try_sign`.
            out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            out.extend_from_slice(&bytes);
        }
    }
}

/// The sections as read from the body, still in their wire form: decoded only
/// once the signature is known good, as the revocation set is.
#[derive(Default)]
pub(super) struct RawSections<'a> {
    replaced: Option<&'a [u8]>,
    organisations: Option<&'a [u8]>,
    /// The tags read and skipped, ascending.
    pub(super) skipped: Vec<u8>,
}

impl<'a> RawSections<'a> {
    /// `section_count`, then each section: tags strictly ascending from 1, a
    /// length that the body holds (else `Truncated`).
    pub(super) fn parse(r: &mut Reader<'a>) -> Result<Self, BundleError> {
        let count = r.u8()?;
        let mut raw = RawSections::default();
        let mut last = 0u8;
        for _ in 0..count {
            let tag = r.u8()?;
            if tag <= last {
                return Err(BundleError::InvalidField("section tag (0, or not above the one before)"));
            }
            last = tag;
            let len = r.u32()? as usize;
            let bytes = r.take(len)?;
            match tag {
                SECTION_REPLACED => raw.replaced = Some(bytes),
                SECTION_ORGANISATIONS => raw.organisations = Some(bytes),
                _ => raw.skipped.push(tag),
            }
        }
        Ok(raw)
    }

    /// Decodes the known sections and checks them against the revocation set.
    pub(super) fn decode(&self, revocations: &RevocationSet) -> Result<BundleSections, BundleError> {
        let replaced = match self.replaced {
            None => RevocationSet::empty(),
            Some(bytes) => {
                let set = RevocationSet::decode(bytes).map_err(BundleError::Replaced)?;
                if set.is_empty() {
                    return Err(BundleError::InvalidField("replaced section (empty: it is left out instead)"));
                }
                if !set.iter().all(|serial| revocations.contains(crate::PermitSerial(serial))) {
                    return Err(BundleError::InvalidField("replaced section (a serial the bundle does not revoke)"));
                }
                set
            }
        };
        let organisations = self.organisations.map(AuthorisedOrganisations::decode).transpose()?;
        Ok(BundleSections { replaced, organisations })
    }
}
