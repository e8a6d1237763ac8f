//! The read queries of the [`SyncStore`] implementation.

use deadpool_postgres::Client;
use icaze_core::UtcMinute;
use icaze_permits::store::StoreError;
use icaze_sync_service::store::{
    AuditRecord, BundleState, DeviceRow, HourCount, InspectionQuery, OfficerCount, RevocationKind, RevocationRow,
    StoredInspection, SupervisorRow, SyncStore, SyncTx,
};
use tokio_postgres::types::ToSql;

use super::rows::{
    bundle_state, chain_before, db, device_row, hash32, int, minute, one_device, revocation_kind, serial, uint,
    DEVICE_COLUMNS, HASH_BEFORE,
};
use super::PgSyncStore;
use crate::permits::col;

/// A query's parameter, owned, for a statement made at run time.
type Param = Box<dyn ToSql + Sync + Send>;

/// The `WHERE` clauses of an inspections query on `i`, and their values
/// (`$1`, `$2`… in order).
fn filters(q: &InspectionQuery) -> (Vec<String>, Vec<Param>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut values: Vec<Param> = Vec::new();
    let mut push = |column: &str, op: &str, value: Param| {
        values.push(value);
        clauses.push(format!("i.{column} {op} ${}", values.len()));
    };
    if let Some(p) = &q.precinct {
        push("precinct", "=", Box::new(p.clone()));
    }
    if let Some(o) = &q.officer {
        push("officer", "=", Box::new(o.clone()));
    }
    if let Some(z) = q.zone {
        push("zone", "=", Box::new(i32::from(z)));
    }
    if let Some(d) = &q.device {
        push("device_id", "=", Box::new(d.clone()));
    }
    if let Some(t) = q.from {
        push("at", ">=", Box::new(i64::from(t.unix_minutes())));
    }
    if let Some(t) = q.to {
        push("at", "<", Box::new(i64::from(t.unix_minutes())));
    }
    if let Some((at, id)) = q.after {
        // A row comparison, which the index on (precinct, at, id) reads as a range.
        values.push(Box::new(i64::from(at.unix_minutes())));
        values.push(Box::new(id));
        clauses.push(format!("(i.at, i.id) < (${}, ${})", values.len() - 1, values.len()));
    }
    if q.violations {
        clauses.push("i.input = 'violation'".into());
    }
    (clauses, values)
}

/// The counts' rows of `[from, to)` (`$2`, `$3`), of the precinct `$1` or all.
fn counted(precinct: bool) -> &'static str {
    if precinct {
        "FROM sync_inspections WHERE precinct = $1 AND at >= $2 AND at < $3"
    } else {
        "FROM sync_inspections WHERE $1::text IS NULL AND at >= $2 AND at < $3"
    }
}

pub(super) async fn is_revoked(c: &Client, serial: u32) -> Result<bool, StoreError> {
    let query = c.prepare_cached("SELECT 1 FROM sync_revocations WHERE serial = $1").await.map_err(db)?;
    Ok(c.query_opt(&query, &[&i64::from(serial)]).await.map_err(db)?.is_some())
}

impl SyncStore for PgSyncStore {
    fn write(&self, work: &mut dyn FnMut(&mut dyn SyncTx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        self.write_retried(work)
    }

    fn device(&self, device_id: &str) -> Result<Option<DeviceRow>, StoreError> {
        let id = device_id.to_owned();
        self.read(move |c| async move { one_device(&c, "device_id", &id).await })
    }

    fn device_by_key(&self, key: &[u8; 32]) -> Result<Option<DeviceRow>, StoreError> {
        let key = key.to_vec();
        self.read(move |c| async move { one_device(&c, "public_key", &key).await })
    }

    /// By id in byte order (`COLLATE "C"`), as SQLite orders them, whatever
    /// the database's collation.
    fn devices(&self, precinct: Option<&str>) -> Result<Vec<DeviceRow>, StoreError> {
        let precinct = precinct.map(str::to_owned);
        self.read(move |c| async move {
            let query = c
                .prepare_cached(&format!(
                    "SELECT {DEVICE_COLUMNS} FROM sync_devices WHERE $1::text IS NULL OR precinct = $1
                     ORDER BY device_id COLLATE \"C\""
                ))
                .await
                .map_err(db)?;
            c.query(&query, &[&precinct]).await.map_err(db)?.iter().map(device_row).collect()
        })
    }

    fn next_seq_after(&self, device_id: &str, after: u64) -> Result<Option<u64>, StoreError> {
        let id = device_id.to_owned();
        self.read(move |c| async move {
            let query = c
                .prepare_cached("SELECT min(seq) FROM sync_inspections WHERE device_id = $1 AND seq > $2")
                .await
                .map_err(db)?;
            let row = c.query_one(&query, &[&id, &int(after)?]).await.map_err(db)?;
            col::<Option<i64>>(&row, 0)?.map(uint).transpose()
        })
    }

    /// The page is chosen first (newest first, limited), and only its rows
    /// read the hash of the record before them.
    fn inspections(&self, q: &InspectionQuery) -> Result<Vec<StoredInspection>, StoreError> {
        let (clauses, mut values) = filters(q);
        values.push(Box::new(i64::from(q.limit)));
        let filter = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        let sql = format!(
            "SELECT i.id, i.device_id, i.precinct, i.seq, i.gap_prev_hash, {HASH_BEFORE}, i.hash, i.body, i.at
             FROM (SELECT * FROM sync_inspections i {filter} ORDER BY i.at DESC, i.id DESC LIMIT ${}) i
             ORDER BY i.at DESC, i.id DESC",
            values.len()
        );
        self.read(move |c| async move {
            let query = c.prepare_cached(&sql).await.map_err(db)?;
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref() as &(dyn ToSql + Sync)).collect();
            let rows = c.query(&query, &params).await.map_err(db)?;
            rows.iter()
                .map(|r| {
                    Ok(StoredInspection {
                        id: col(r, 0)?,
                        device_id: col(r, 1)?,
                        precinct: col(r, 2)?,
                        prev_hash: chain_before(col(r, 3)?, col(r, 4)?, col(r, 5)?)?,
                        hash: hash32(col(r, 6)?)?,
                        body: col(r, 7)?,
                        at: minute(col(r, 8)?)?,
                    })
                })
                .collect()
        })
    }

    fn hourly(&self, precinct: Option<&str>, from: UtcMinute, to: UtcMinute) -> Result<Vec<HourCount>, StoreError> {
        let sql = format!(
            "SELECT at / 60 * 60 AS hour, count(*), count(*) FILTER (WHERE input = 'violation'),
                count(*) FILTER (WHERE display = 'not_valid')
             {} GROUP BY hour ORDER BY hour",
            counted(precinct.is_some())
        );
        let precinct = precinct.map(str::to_owned);
        self.read(move |c| async move {
            let query = c.prepare_cached(&sql).await.map_err(db)?;
            let (from, to) = (i64::from(from.unix_minutes()), i64::from(to.unix_minutes()));
            let rows = c.query(&query, &[&precinct, &from, &to]).await.map_err(db)?;
            rows.iter()
                .map(|r| {
                    Ok(HourCount {
                        hour: minute(col(r, 0)?)?,
                        inspections: uint(col(r, 1)?)?,
                        violations: uint(col(r, 2)?)?,
                        not_valid: uint(col(r, 3)?)?,
                    })
                })
                .collect()
        })
    }

    /// By badge in byte order (`COLLATE "C"`), as SQLite orders them.
    fn officers(
        &self,
        precinct: Option<&str>,
        from: UtcMinute,
        to: UtcMinute,
    ) -> Result<Vec<OfficerCount>, StoreError> {
        let sql = format!(
            "SELECT officer, count(*), count(*) FILTER (WHERE input = 'violation')
             {} GROUP BY officer ORDER BY officer COLLATE \"C\"",
            counted(precinct.is_some())
        );
        let precinct = precinct.map(str::to_owned);
        self.read(move |c| async move {
            let query = c.prepare_cached(&sql).await.map_err(db)?;
            let (from, to) = (i64::from(from.unix_minutes()), i64::from(to.unix_minutes()));
            let rows = c.query(&query, &[&precinct, &from, &to]).await.map_err(db)?;
            rows.iter()
                .map(|r| {
                    Ok(OfficerCount {
                        badge: col(r, 0)?,
                        inspections: uint(col(r, 1)?)?,
                        violations: uint(col(r, 2)?)?,
                    })
                })
                .collect()
        })
    }

    fn conflict_count(&self, device_id: &str) -> Result<u64, StoreError> {
        let id = device_id.to_owned();
        self.read(move |c| async move {
            let query =
                c.prepare_cached("SELECT count(*) FROM sync_conflicts WHERE device_id = $1").await.map_err(db)?;
            uint(col(&c.query_one(&query, &[&id]).await.map_err(db)?, 0)?)
        })
    }

    fn bundle_state(&self) -> Result<BundleState, StoreError> {
        self.read(|c| async move { bundle_state(&c, false).await })
    }

    fn revoked_serials(&self, after_version: u64, up_to_version: u64) -> Result<Vec<u32>, StoreError> {
        self.read(move |c| async move {
            let query = c
                .prepare_cached(
                    "SELECT serial FROM sync_revocations WHERE version > $1 AND version <= $2 ORDER BY serial",
                )
                .await
                .map_err(db)?;
            let rows = c.query(&query, &[&int(after_version)?, &int(up_to_version)?]).await.map_err(db)?;
            rows.iter().map(|r| serial(col(r, 0)?)).collect()
        })
    }

    fn replaced_serials(&self, after_version: u64, up_to_version: u64) -> Result<Vec<u32>, StoreError> {
        self.read(move |c| async move {
            let query = c
                .prepare_cached(
                    "SELECT serial FROM sync_revocations WHERE version > $1 AND version <= $2 AND kind = $3
                     ORDER BY serial",
                )
                .await
                .map_err(db)?;
            let replaced = RevocationKind::Replaced.code();
            let rows = c.query(&query, &[&int(after_version)?, &int(up_to_version)?, &replaced]).await.map_err(db)?;
            rows.iter().map(|r| serial(col(r, 0)?)).collect()
        })
    }

    fn is_revoked(&self, serial: u32) -> Result<bool, StoreError> {
        self.read(move |c| async move { is_revoked(&c, serial).await })
    }

    fn revoked_count(&self, after_version: u64) -> Result<u64, StoreError> {
        self.read(move |c| async move {
            let query =
                c.prepare_cached("SELECT count(*) FROM sync_revocations WHERE version > $1").await.map_err(db)?;
            uint(col(&c.query_one(&query, &[&int(after_version)?]).await.map_err(db)?, 0)?)
        })
    }

    fn revocations(&self, after_version: u64) -> Result<Vec<RevocationRow>, StoreError> {
        self.read(move |c| async move {
            let query = c
                .prepare_cached(
                    "SELECT serial, version, at, by, reason, document, kind FROM sync_revocations WHERE version > $1
                     ORDER BY version, serial",
                )
                .await
                .map_err(db)?;
            let rows = c.query(&query, &[&int(after_version)?]).await.map_err(db)?;
            rows.iter()
                .map(|r| {
                    Ok(RevocationRow {
                        serial: serial(col(r, 0)?)?,
                        version: uint(col(r, 1)?)?,
                        at: minute(col(r, 2)?)?,
                        by: col(r, 3)?,
                        reason: col(r, 4)?,
                        document: col(r, 5)?,
                        kind: revocation_kind(col(r, 6)?)?,
                    })
                })
                .collect()
        })
    }

    fn supervisor_by_token_hash(&self, hash: &[u8; 32]) -> Result<Option<SupervisorRow>, StoreError> {
        let hash = hash.to_vec();
        self.read(move |c| async move {
            let query = c
                .prepare_cached(
                    "SELECT name, precinct, token_hash, created_at, role FROM sync_supervisors WHERE token_hash = $1",
                )
                .await
                .map_err(db)?;
            let row = c.query_opt(&query, &[&hash]).await.map_err(db)?;
            row.map(|r| {
                Ok(SupervisorRow {
                    name: col(&r, 0)?,
                    precinct: col(&r, 1)?,
                    token_hash: hash32(col(&r, 2)?)?,
                    created_at: minute(col(&r, 3)?)?,
                    role: super::rows::role(col(&r, 4)?)?,
                })
            })
            .transpose()
        })
    }

    fn audit_entries(&self, after: i64, limit: u32) -> Result<Vec<(i64, AuditRecord)>, StoreError> {
        self.read(move |c| async move {
            let query = c
                .prepare_cached("SELECT id, at, who, what, details FROM sync_audit WHERE id > $1 ORDER BY id LIMIT $2")
                .await
                .map_err(db)?;
            let rows = c.query(&query, &[&after, &i64::from(limit)]).await.map_err(db)?;
            rows.iter()
                .map(|r| {
                    let record =
                        AuditRecord { at: minute(col(r, 1)?)?, who: col(r, 2)?, what: col(r, 3)?, details: col(r, 4)? };
                    Ok((col(r, 0)?, record))
                })
                .collect()
        })
    }
}
