//! The rows as stored: the conversions of their integers, hashes and times,
//! and the reads that the transaction and the queries share.

use deadpool_postgres::Client;
use icaze_core::UtcMinute;
use icaze_permits::store::StoreError;
use icaze_protocol::GENESIS_HASH;
use icaze_sync_service::store::{BundleState, DeviceRow};
use tokio_postgres::Row;

pub(super) use crate::connect::db;
use crate::permits::col;

/// A count, a sequence number or a version as stored (`BIGINT`).
pub(super) fn int(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Damaged(format!("{v} does not fit the database's integers")))
}

/// A stored count, sequence number or version, never negative.
pub(super) fn uint(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Damaged(format!("a negative count or number {v}")))
}

pub(super) fn hash32(v: Vec<u8>) -> Result<[u8; 32], StoreError> {
    v.try_into().map_err(|v: Vec<u8>| StoreError::Damaged(format!("a stored hash or key of {} bytes", v.len())))
}

pub(super) fn role(v: String) -> Result<icaze_sync_service::store::SupervisorRole, StoreError> {
    icaze_sync_service::store::SupervisorRole::parse(&v)
        .ok_or_else(|| StoreError::Damaged(format!("supervisor role {v:?}")))
}

pub(super) fn minute(v: i64) -> Result<UtcMinute, StoreError> {
    u32::try_from(v).map(UtcMinute::from_unix_minutes).map_err(|_| StoreError::Damaged(format!("time {v}")))
}

/// A stored revocation kind (`RevocationKind::code`).
pub(super) fn revocation_kind(v: i16) -> Result<icaze_sync_service::store::RevocationKind, StoreError> {
    icaze_sync_service::store::RevocationKind::from_code(i64::from(v))
        .ok_or_else(|| StoreError::Damaged(format!("revocation kind {v}")))
}

pub(super) fn serial(v: i64) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Damaged(format!("serial {v}")))
}

/// The chain hash before a stored record: kept in its row (after a gap),
/// else the hash of the stored record before it, else (record 1) genesis.
pub(super) fn chain_before(seq: i64, kept: Option<Vec<u8>>, before: Option<Vec<u8>>) -> Result<[u8; 32], StoreError> {
    match (kept, before) {
        (Some(h), _) | (None, Some(h)) => hash32(h),
        (None, None) if seq == 1 => Ok(GENESIS_HASH.0),
        (None, None) => {
            Err(StoreError::Damaged(format!("record {seq} keeps no chain hash and the record before it is not stored")))
        }
    }
}

/// The stored hash of the record before the row `i`, inside a statement.
pub(super) const HASH_BEFORE: &str =
    "(SELECT p.hash FROM sync_inspections p WHERE p.device_id = i.device_id AND p.seq = i.seq - 1)";

pub(super) const DEVICE_COLUMNS: &str = "device_id, public_key, badge, precinct, suspended, approved_at, \
                                         approved_by, last_sync, high_water, max_seq, fork_seq, badge_seq";

/// A device's row, from a SELECT of [`DEVICE_COLUMNS`].
pub(super) fn device_row(r: &Row) -> Result<DeviceRow, StoreError> {
    Ok(DeviceRow {
        device_id: col(r, 0)?,
        public_key: hash32(col(r, 1)?)?,
        badge: col(r, 2)?,
        precinct: col(r, 3)?,
        suspended: col(r, 4)?,
        approved_at: minute(col(r, 5)?)?,
        approved_by: col(r, 6)?,
        last_sync: col::<Option<i64>>(r, 7)?.map(minute).transpose()?,
        high_water: uint(col(r, 8)?)?,
        max_seq: uint(col(r, 9)?)?,
        fork_seq: col::<Option<i64>>(r, 10)?.map(uint).transpose()?,
        badge_seq: col::<Option<i64>>(r, 11)?.map(uint).transpose()?,
    })
}

/// The device whose `column` is `$1`.
pub(super) async fn one_device(
    c: &Client,
    column: &str,
    value: &(dyn tokio_postgres::types::ToSql + Sync),
) -> Result<Option<DeviceRow>, StoreError> {
    let query = c
        .prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM sync_devices WHERE {column} = $1"))
        .await
        .map_err(db)?;
    c.query_opt(&query, &[value]).await.map_err(db)?.map(|r| device_row(&r)).transpose()
}

/// The bundle's version state; `lock` takes its row's lock until the
/// transaction ends (see the module doc: versions one after the other).
pub(super) async fn bundle_state(c: &Client, lock: bool) -> Result<BundleState, StoreError> {
    let sql = if lock {
        "SELECT version, fingerprint, minted_at, organisations, organisations_version, organisations_checked
         FROM sync_bundle_state WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT version, fingerprint, minted_at, organisations, organisations_version, organisations_checked
         FROM sync_bundle_state WHERE id = 1"
    };
    let query = c.prepare_cached(sql).await.map_err(db)?;
    let r = c
        .query_opt(&query, &[])
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::Damaged("the bundle state's row is missing".into()))?;
    Ok(BundleState {
        version: uint(col(&r, 0)?)?,
        fingerprint: col::<Option<Vec<u8>>>(&r, 1)?.map(hash32).transpose()?,
        minted_at: col::<Option<i64>>(&r, 2)?.map(minute).transpose()?,
        organisations: col::<Option<Vec<u8>>>(&r, 3)?.map(hash32).transpose()?,
        organisations_version: uint(col(&r, 4)?)?,
        organisations_checked: uint(col(&r, 5)?)?,
    })
}
