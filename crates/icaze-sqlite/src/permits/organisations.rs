//! The authorised organisations in `registry.db` (issue 23): written whole by
//! [`PermitStore::replace_organisations`](icaze_permits::store::PermitStore::replace_organisations),
//! read whole by the sync service for its bundles.

use icaze_core::{AuthorisedOrganisation, AuthorisedOrganisations, TaxId, UtcMinute, ZoneId};
use rusqlite::{params, Connection, Transaction};

use crate::Error;

/// Replaces every row with `organisations`, in the caller's transaction.
pub(super) fn replace(tx: &Transaction<'_>, organisations: &AuthorisedOrganisations) -> Result<(), Error> {
    tx.execute("DELETE FROM organisations", [])?;
    let mut insert =
        tx.prepare("INSERT INTO organisations (tax_id, name, sector, zones, until) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for o in organisations.as_slice() {
        let tax_id = i64::try_from(o.tax_id.get()).map_err(|_| Error::Damaged(format!("tax id {}", o.tax_id)))?;
        insert.execute(params![tax_id, o.name, o.sector, zones_text(&o.zones), o.until.map(|u| u.unix_minutes())])?;
    }
    Ok(())
}

/// Every row, as a canonical list; a row that does not read is damage.
pub(super) fn read(c: &Connection) -> Result<AuthorisedOrganisations, Error> {
    let mut stmt = c.prepare_cached("SELECT tax_id, name, sector, zones, until FROM organisations ORDER BY tax_id")?;
    let mut rows = stmt.query([])?;
    let mut list = Vec::new();
    while let Some(r) = rows.next()? {
        let tax: i64 = r.get(0)?;
        let tax_id =
            u64::try_from(tax).ok().and_then(TaxId::new).ok_or_else(|| Error::Damaged(format!("tax id {tax}")))?;
        let zones: String = r.get(3)?;
        let until: Option<u32> = r.get(4)?;
        list.push(AuthorisedOrganisation {
            tax_id,
            name: r.get(1)?,
            sector: r.get(2)?,
            zones: zones_of(&zones).ok_or_else(|| Error::Damaged(format!("the zones {zones:?} of {tax_id}")))?,
            until: until.map(UtcMinute::from_unix_minutes),
        });
    }
    AuthorisedOrganisations::new(list).map_err(|e| Error::Damaged(format!("the authorised organisations: {e}")))
}

/// Zone ids joined by `;`, as the CSV writes them.
fn zones_text(zones: &[ZoneId]) -> String {
    zones.iter().map(|z| z.get().to_string()).collect::<Vec<_>>().join(";")
}

/// The zones of [`zones_text`], `None` if one is not a zone.
fn zones_of(text: &str) -> Option<Vec<ZoneId>> {
    text.split(';').filter(|z| !z.is_empty()).map(|z| z.parse().ok().and_then(ZoneId::new)).collect()
}
