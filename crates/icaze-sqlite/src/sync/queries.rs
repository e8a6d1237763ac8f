//! The read queries of the [`SyncStore`] implementation.

use icaze_core::UtcMinute;
use rusqlite::types::ToSql;
use rusqlite::{params, OptionalExtension};

use super::rows::{
    bundle_state, chain_before, device_row, hash32, int, minute, one_device, revocation_kind, uint, DEVICE_COLUMNS,
    DEVICE_NUM, HASH_BEFORE,
};
use super::schema::{code_of, DISPLAY_CODES, INPUT_CODES};
use super::{answer, SqliteSyncStore};
use crate::engine::{read_first, read_rows};
use icaze_permits::store::StoreError;
use icaze_sync_service::store::{
    AuditRecord, BundleState, DeviceRow, HourCount, InspectionQuery, OfficerCount, RevocationKind, RevocationRow,
    StoredInspection, SupervisorRow, SyncStore, SyncTx,
};

/// The number of the precinct named `?1`, inside a statement (NULL, which
/// matches no row, for a name never stored).
const PRECINCT_NUM_1: &str = "(SELECT num FROM precincts WHERE name = ?1)";

/// The `WHERE` clauses of an inspections query and their values. `key` is the
/// alias whose `precinct`, `at` and `id` the clauses on those three name:
/// `e` for the time index's entries, `i` for the rows themselves.
fn filters(q: &InspectionQuery, key: &str) -> (Vec<String>, Vec<Box<dyn ToSql>>) {
    let mut clauses: Vec<String> = Vec::new();
    let mut values: Vec<Box<dyn ToSql>> = Vec::new();
    if let Some(p) = &q.precinct {
        clauses.push(format!("{key}.precinct = (SELECT num FROM precincts WHERE name = ?)"));
        values.push(Box::new(p.clone()));
    }
    if let Some(o) = &q.officer {
        clauses.push("i.officer = ?".into());
        values.push(Box::new(o.clone()));
    }
    if let Some(z) = q.zone {
        clauses.push("i.zone = ?".into());
        values.push(Box::new(z));
    }
    if let Some(d) = &q.device {
        clauses.push("i.device = (SELECT num FROM devices WHERE device_id = ?)".into());
        values.push(Box::new(d.clone()));
    }
    if let Some(t) = q.from {
        clauses.push(format!("{key}.at >= ?"));
        values.push(Box::new(t.unix_minutes()));
    }
    if let Some(t) = q.to {
        clauses.push(format!("{key}.at < ?"));
        values.push(Box::new(t.unix_minutes()));
    }
    if q.violations {
        clauses.push(format!("i.input = {}", code_of(&INPUT_CODES, "violation")));
    }
    if let Some((at, id)) = q.after {
        clauses.push(format!("({key}.at < ? OR ({key}.at = ? AND {key}.id < ?))"));
        values.push(Box::new(at.unix_minutes()));
        values.push(Box::new(at.unix_minutes()));
        values.push(Box::new(id));
    }
    (clauses, values)
}

/// `WHERE` and the clauses, or nothing.
fn where_all(clauses: &[String]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
}

/// The last row id of `sync.db` in the time index, inside a statement: the
/// rows up to it are read through the index, the rows after it directly.
const INDEXED: &str = "(SELECT indexed FROM ix.state)";

/// The time index's entries joined with their rows: only with a row of the
/// same precinct and time (see `time_index`), and only up to [`INDEXED`].
const ENTRIES: &str = "ix.entries e JOIN inspections i ON i.id = e.id AND i.precinct = e.precinct AND i.at = e.at";

/// The inspections of `?1`'s precinct from `?2` to `?3` (columns `at`,
/// `officer`, `input`, `display`) as a table: those the time index holds
/// and those after it. Without a precinct (`?1` NULL), every row is read.
fn rows_between(precinct: bool) -> String {
    if precinct {
        format!(
            "(SELECT i.at, i.officer, i.input, i.display FROM {ENTRIES}
                 WHERE e.precinct = {PRECINCT_NUM_1} AND e.at >= ?2 AND e.at < ?3 AND e.id <= {INDEXED}
              UNION ALL
              SELECT at, officer, input, display FROM inspections
                 WHERE id > {INDEXED} AND precinct = {PRECINCT_NUM_1} AND at >= ?2 AND at < ?3)"
        )
    } else {
        "(SELECT at, officer, input, display FROM inspections WHERE ?1 IS NULL AND at >= ?2 AND at < ?3)".into()
    }
}

impl SyncStore for SqliteSyncStore {
    fn write(&self, work: &mut dyn FnMut(&mut dyn SyncTx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        answer(|| self.write_in_group(work))
    }

    fn device(&self, device_id: &str) -> Result<Option<DeviceRow>, StoreError> {
        answer(|| self.with_reader(|c| one_device(c, "device_id", &device_id)))
    }

    fn device_by_key(&self, key: &[u8; 32]) -> Result<Option<DeviceRow>, StoreError> {
        answer(|| {
            // Without waiting for a flush: an upload only picks its device with
            // this answer, reads the device again in its own transaction, and
            // answers after that transaction's flush, which covers whatever this
            // read saw. Waiting here would hold the next group back during the
            // running flush, which is what flushing outside the lock avoids.
            self.readers.with(|c| one_device(c, "public_key", &key.as_slice()))
        })
    }

    fn devices(&self, precinct: Option<&str>) -> Result<Vec<DeviceRow>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices WHERE ?1 IS NULL OR precinct = ?1 ORDER BY device_id"
                ))?;
                read_rows(&mut stmt, [precinct], device_row)
            })
        })
    }

    fn next_seq_after(&self, device_id: &str, after: u64) -> Result<Option<u64>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let seq: Option<i64> = c
                    .prepare_cached(&format!(
                        "SELECT min(seq) FROM inspections WHERE device = {DEVICE_NUM} AND seq > ?2"
                    ))?
                    .query_row(params![device_id, int(after)?], |r| r.get(0))?;
                seq.map(uint).transpose()
            })
        })
    }

    fn inspections(&self, q: &InspectionQuery) -> Result<Vec<StoredInspection>, StoreError> {
        answer(|| {
            let columns = format!(
                "SELECT i.id AS id, d.device_id AS device_id, \
                 (SELECT p.name FROM precincts p WHERE p.num = i.precinct) AS precinct, i.seq AS seq, \
                 i.gap_prev_hash AS gap_prev_hash, {HASH_BEFORE} AS hash_before, i.hash AS hash, i.body AS body, \
                 i.at AS at"
            );
            let (mut clauses, mut values) = filters(q, "i");
            // A device's rows are read by the index by device (a few thousand at
            // most, sorted), not by walking the whole precinct's entries.
            let sql = if q.precinct.is_some() && q.device.is_none() {
                // A precinct's newest first: through the time index, merged with the rows after it.
                let (mut indexed, indexed_values) = filters(q, "e");
                indexed.push(format!("e.id <= {INDEXED}"));
                clauses.push(format!("i.id > {INDEXED}"));
                let (indexed, after) = (where_all(&indexed), where_all(&clauses));
                values =
                    indexed_values.into_iter().chain([Box::new(q.limit) as Box<dyn ToSql>]).chain(values).collect();
                values.extend([Box::new(q.limit) as Box<dyn ToSql>, Box::new(q.limit)]);
                format!(
                    "SELECT * FROM ({columns} FROM {ENTRIES} JOIN devices d ON d.num = i.device {indexed}
                        ORDER BY e.at DESC, e.id DESC LIMIT ?)
                     UNION ALL
                     SELECT * FROM ({columns} FROM inspections i JOIN devices d ON d.num = i.device {after}
                        ORDER BY i.at DESC, i.id DESC LIMIT ?)
                     ORDER BY 9 DESC, 1 DESC LIMIT ?"
                )
            } else {
                values.push(Box::new(q.limit));
                format!(
                    "{columns} FROM inspections i JOIN devices d ON d.num = i.device {}
                     ORDER BY i.at DESC, i.id DESC LIMIT ?",
                    where_all(&clauses)
                )
            };
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(&sql)?;
                let params: Vec<&dyn ToSql> = values.iter().map(|v| v.as_ref()).collect();
                read_rows(&mut stmt, params.as_slice(), |r| {
                    Ok(StoredInspection {
                        id: r.get("id")?,
                        device_id: r.get("device_id")?,
                        precinct: r.get("precinct")?,
                        prev_hash: chain_before(r.get("seq")?, r.get("gap_prev_hash")?, r.get("hash_before")?)?,
                        hash: hash32(r.get("hash")?)?,
                        body: r.get("body")?,
                        at: minute(r.get("at")?)?,
                    })
                })
            })
        })
    }

    fn hourly(&self, precinct: Option<&str>, from: UtcMinute, to: UtcMinute) -> Result<Vec<HourCount>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT at / 60 * 60 AS hour, count(*) AS inspections,
                        sum(CASE WHEN input = {violation} THEN 1 ELSE 0 END) AS violations,
                        sum(CASE WHEN display = {not_valid} THEN 1 ELSE 0 END) AS not_valid
                     FROM {rows} GROUP BY hour ORDER BY hour",
                    rows = rows_between(precinct.is_some()),
                    violation = code_of(&INPUT_CODES, "violation"),
                    not_valid = code_of(&DISPLAY_CODES, "not_valid"),
                ))?;
                read_rows(&mut stmt, params![precinct, from.unix_minutes(), to.unix_minutes()], |r| {
                    Ok(HourCount {
                        hour: minute(r.get("hour")?)?,
                        inspections: uint(r.get("inspections")?)?,
                        violations: uint(r.get("violations")?)?,
                        not_valid: uint(r.get("not_valid")?)?,
                    })
                })
            })
        })
    }

    fn officers(
        &self,
        precinct: Option<&str>,
        from: UtcMinute,
        to: UtcMinute,
    ) -> Result<Vec<OfficerCount>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(&format!(
                    "SELECT officer, count(*) AS inspections, sum(CASE WHEN input = {violation} THEN 1 ELSE 0 END) AS violations
                     FROM {rows} GROUP BY officer ORDER BY officer",
                    rows = rows_between(precinct.is_some()),
                    violation = code_of(&INPUT_CODES, "violation"),
                ))?;
                read_rows(&mut stmt, params![precinct, from.unix_minutes(), to.unix_minutes()], |r| {
                    Ok(OfficerCount {
                        badge: r.get("officer")?,
                        inspections: uint(r.get("inspections")?)?,
                        violations: uint(r.get("violations")?)?,
                    })
                })
            })
        })
    }

    fn conflict_count(&self, device_id: &str) -> Result<u64, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let n: i64 = c
                    .prepare_cached("SELECT count(*) FROM conflicts WHERE device_id = ?1")?
                    .query_row([device_id], |r| r.get(0))?;
                uint(n)
            })
        })
    }

    fn bundle_state(&self) -> Result<BundleState, StoreError> {
        answer(|| self.with_reader(bundle_state))
    }

    fn revoked_serials(&self, after_version: u64, up_to_version: u64) -> Result<Vec<u32>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT serial FROM revocations WHERE version > ?1 AND version <= ?2 ORDER BY serial",
                )?;
                let rows = stmt.query_map([int(after_version)?, int(up_to_version)?], |r| r.get::<_, u32>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
        })
    }

    fn replaced_serials(&self, after_version: u64, up_to_version: u64) -> Result<Vec<u32>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT serial FROM revocations WHERE version > ?1 AND version <= ?2 AND kind = ?3 ORDER BY serial",
                )?;
                let replaced = RevocationKind::Replaced.code();
                let rows = stmt
                    .query_map(params![int(after_version)?, int(up_to_version)?, replaced], |r| r.get::<_, u32>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
        })
    }

    fn is_revoked(&self, serial: u32) -> Result<bool, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                Ok(c.prepare_cached("SELECT 1 FROM revocations WHERE serial = ?1")?
                    .query_row([serial], |_| Ok(()))
                    .optional()?
                    .is_some())
            })
        })
    }

    fn revoked_count(&self, after_version: u64) -> Result<u64, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let n: i64 = c
                    .prepare_cached("SELECT count(*) FROM revocations WHERE version > ?1")?
                    .query_row([int(after_version)?], |r| r.get(0))?;
                uint(n)
            })
        })
    }

    fn revocations(&self, after_version: u64) -> Result<Vec<RevocationRow>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT serial, version, at, by, reason, document, kind FROM revocations WHERE version > ?1
                     ORDER BY version, serial",
                )?;
                read_rows(&mut stmt, [int(after_version)?], |r| {
                    Ok(RevocationRow {
                        serial: r.get("serial")?,
                        version: uint(r.get("version")?)?,
                        at: minute(r.get("at")?)?,
                        by: r.get("by")?,
                        reason: r.get("reason")?,
                        document: r.get("document")?,
                        kind: revocation_kind(r.get("kind")?)?,
                    })
                })
            })
        })
    }

    fn supervisor_by_token_hash(&self, hash: &[u8; 32]) -> Result<Option<SupervisorRow>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT name, precinct, token_hash, created_at, role FROM supervisors WHERE token_hash = ?1",
                )?;
                read_first(&mut stmt, [hash.as_slice()], |r| {
                    Ok(SupervisorRow {
                        name: r.get("name")?,
                        precinct: r.get("precinct")?,
                        token_hash: hash32(r.get("token_hash")?)?,
                        created_at: minute(r.get("created_at")?)?,
                        role: super::rows::role(r.get("role")?)?,
                    })
                })
            })
        })
    }

    fn audit_entries(&self, after: i64, limit: u32) -> Result<Vec<(i64, AuditRecord)>, StoreError> {
        answer(|| {
            self.with_reader(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT id, at, who, what, details FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2",
                )?;
                read_rows(&mut stmt, params![after, limit], |r| {
                    let record = AuditRecord {
                        at: minute(r.get("at")?)?,
                        who: r.get("who")?,
                        what: r.get("what")?,
                        details: r.get("details")?,
                    };
                    Ok((r.get("id")?, record))
                })
            })
        })
    }
}
