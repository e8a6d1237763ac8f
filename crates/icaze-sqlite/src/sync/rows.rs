//! The rows as stored: the conversions of their integers, hashes and
//! times, and the reads that the transaction and the queries share.

use icaze_core::UtcMinute;
use icaze_protocol::GENESIS_HASH;
use rusqlite::types::ToSql;
use rusqlite::{Connection, Row};

use crate::engine::read_first;
use crate::Error;
use icaze_sync_service::store::{BundleState, DeviceRow};

pub(super) fn int(v: u64) -> Result<i64, Error> {
    i64::try_from(v).map_err(|_| Error::Damaged(format!("{v} does not fit the database's integers")))
}

pub(super) fn uint(v: i64) -> Result<u64, Error> {
    u64::try_from(v).map_err(|_| Error::Damaged(format!("negative count {v}")))
}

pub(super) fn hash32(v: Vec<u8>) -> Result<[u8; 32], Error> {
    v.try_into().map_err(|v: Vec<u8>| Error::Damaged(format!("a stored hash or key of {} bytes", v.len())))
}

/// A stored revocation kind (`RevocationKind::code`).
pub(super) fn revocation_kind(v: i64) -> Result<icaze_sync_service::store::RevocationKind, Error> {
    icaze_sync_service::store::RevocationKind::from_code(v)
        .ok_or_else(|| Error::Damaged(format!("revocation kind {v}")))
}

/// A stored supervisor role.
pub(super) fn role(v: String) -> Result<icaze_sync_service::store::SupervisorRole, Error> {
    icaze_sync_service::store::SupervisorRole::parse(&v).ok_or_else(|| Error::Damaged(format!("supervisor role {v:?}")))
}

pub(super) fn minute(v: i64) -> Result<UtcMinute, Error> {
    u32::try_from(v).map(UtcMinute::from_unix_minutes).map_err(|_| Error::Damaged(format!("time {v}")))
}

/// The number of the device whose text id is `?1`, inside a statement.
pub(super) const DEVICE_NUM: &str = "(SELECT num FROM devices WHERE device_id = ?1)";

/// The stored hash of the record before the row `i`, inside a statement.
pub(super) const HASH_BEFORE: &str =
    "(SELECT p.hash FROM inspections p WHERE p.device = i.device AND p.seq = i.seq - 1)";

/// The chain hash before a stored record: kept in its row (after a gap),
/// else the hash of the stored record before it, else (record 1) genesis.
pub(super) fn chain_before(seq: i64, kept: Option<Vec<u8>>, before: Option<Vec<u8>>) -> Result<[u8; 32], Error> {
    match (kept, before) {
        (Some(h), _) | (None, Some(h)) => hash32(h),
        (None, None) if seq == 1 => Ok(GENESIS_HASH.0),
        (None, None) => {
            Err(Error::Damaged(format!("record {seq} keeps no chain hash and the record before it is not stored")))
        }
    }
}

pub(super) const DEVICE_COLUMNS: &str = "device_id, public_key, badge, precinct, suspended, approved_at, approved_by, \
                              last_sync, high_water, max_seq, fork_seq, badge_seq";

/// A device's row, read from a SELECT of [`DEVICE_COLUMNS`] by column name.
pub(super) fn device_row(r: &Row<'_>) -> Result<DeviceRow, Error> {
    Ok(DeviceRow {
        device_id: r.get("device_id")?,
        public_key: hash32(r.get("public_key")?)?,
        badge: r.get("badge")?,
        precinct: r.get("precinct")?,
        suspended: r.get("suspended")?,
        approved_at: minute(r.get("approved_at")?)?,
        approved_by: r.get("approved_by")?,
        last_sync: r.get::<_, Option<i64>>("last_sync")?.map(minute).transpose()?,
        high_water: uint(r.get("high_water")?)?,
        max_seq: uint(r.get("max_seq")?)?,
        fork_seq: r.get::<_, Option<i64>>("fork_seq")?.map(uint).transpose()?,
        badge_seq: r.get::<_, Option<i64>>("badge_seq")?.map(uint).transpose()?,
    })
}

pub(super) fn one_device(conn: &Connection, column: &str, value: &dyn ToSql) -> Result<Option<DeviceRow>, Error> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE {column} = ?1");
    let mut stmt = conn.prepare_cached(&sql)?;
    read_first(&mut stmt, [value], device_row)
}

pub(super) fn bundle_state(conn: &Connection) -> Result<BundleState, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, fingerprint, minted_at, organisations, organisations_version, organisations_checked
         FROM bundle_state WHERE id = 1",
    )?;
    let mut rows = stmt.query([])?;
    let r = rows.next()?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    Ok(BundleState {
        version: uint(r.get("version")?)?,
        fingerprint: r.get::<_, Option<Vec<u8>>>("fingerprint")?.map(hash32).transpose()?,
        minted_at: r.get::<_, Option<i64>>("minted_at")?.map(minute).transpose()?,
        organisations: r.get::<_, Option<Vec<u8>>>("organisations")?.map(hash32).transpose()?,
        organisations_version: uint(r.get("organisations_version")?)?,
        organisations_checked: uint(r.get("organisations_checked")?)?,
    })
}
