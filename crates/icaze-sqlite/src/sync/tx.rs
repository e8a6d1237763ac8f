//! The transaction the rules write through: the [`SyncTx`] implementation.

use std::sync::OnceLock;

use icaze_core::UtcMinute;
use rusqlite::{params, Connection, OptionalExtension};

use super::answer;
use super::rows::{bundle_state, chain_before, hash32, int, one_device, uint, DEVICE_COLUMNS, DEVICE_NUM, HASH_BEFORE};
use super::schema::{coded, CHANNEL_CODES, DISPLAY_CODES, INPUT_CODES};
use crate::engine::{read_first, read_rows};
use crate::Error;
use icaze_permits::store::StoreError;
use icaze_sync_service::store::{
    AuditDetails, AuditEntry, BundleState, ConflictRow, DeviceRow, NewInspections, RevocationRow, SupervisorRow, SyncTx,
};

/// The sizes of the multi-row inserts, largest first.
const INSERT_CHUNKS: [usize; 7] = [64, 32, 16, 8, 4, 2, 1];

/// Parameters of one row in a multi-row insert, after the four shared ones.
const PER_ROW: usize = 9;

/// `INSERT` of `rows` inspections (one of [`INSERT_CHUNKS`]): `?1` device
/// number, `?2` precinct number, `?3` received_at, `?4` channel's code, then [`PER_ROW`]
/// parameters a row. Made once: the statement cache is keyed by the text.
fn insert_sql(rows: usize) -> &'static str {
    static SQL: OnceLock<Vec<(usize, String)>> = OnceLock::new();
    let all = SQL.get_or_init(|| INSERT_CHUNKS.iter().map(|&n| (n, make_insert_sql(n))).collect());
    // Invariant: callers pass a size of INSERT_CHUNKS, and size 1 is always there.
    all.iter().find(|(n, _)| *n == rows).or(all.last()).map_or("", |(_, sql)| sql.as_str())
}

/// `OR FAIL`: a statement that meets a stored `(device, seq)` stops there and
/// keeps the rows it inserted before, which the caller's savepoint then rolls
/// back with the whole write (`SqliteSyncStore::run`). With the default
/// `ABORT`, SQLite would open a statement journal for each statement, copying
/// again every page it changes, for nothing: the savepoint already does.
fn make_insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT OR FAIL INTO inspections (device, precinct, received_at, channel, seq, at, officer, zone, input,
            display,
            gap_prev_hash, hash, body) VALUES ",
    );
    for k in 0..rows {
        let p = 5 + k * PER_ROW;
        if k > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("(?1, ?2, ?3, ?4, ?{p}"));
        for j in 1..PER_ROW {
            sql.push_str(&format!(", ?{}", p + j));
        }
        sql.push(')');
    }
    sql
}

/// The number of a precinct's name in the inspection rows, made the first
/// time a record of that precinct is stored (in the caller's savepoint, so a
/// write that fails leaves no number behind).
fn precinct_num(conn: &Connection, name: &str) -> Result<i64, Error> {
    let found: Option<i64> =
        conn.prepare_cached("SELECT num FROM precincts WHERE name = ?1")?.query_row([name], |r| r.get(0)).optional()?;
    if let Some(num) = found {
        return Ok(num);
    }
    conn.prepare_cached("INSERT INTO precincts (name) VALUES (?1)")?.execute([name])?;
    Ok(conn.last_insert_rowid())
}

/// The transaction the rules write through (the writer connection inside
/// a savepoint).
pub(super) struct Tx<'a>(pub(super) &'a Connection);

impl SyncTx for Tx<'_> {
    fn device(&mut self, device_id: &str) -> Result<Option<DeviceRow>, StoreError> {
        answer(|| one_device(self.0, "device_id", &device_id))
    }

    fn put_device(&mut self, d: &DeviceRow) -> Result<(), StoreError> {
        answer(|| {
            self.0
                .prepare_cached(&format!(
                    "INSERT INTO devices ({DEVICE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                     ON CONFLICT (device_id) DO UPDATE SET public_key = excluded.public_key, badge = excluded.badge,
                        precinct = excluded.precinct, suspended = excluded.suspended,
                        approved_at = excluded.approved_at, approved_by = excluded.approved_by,
                        last_sync = excluded.last_sync, high_water = excluded.high_water,
                        max_seq = excluded.max_seq, fork_seq = excluded.fork_seq, badge_seq = excluded.badge_seq"
                ))?
                .execute(params![
                    d.device_id,
                    d.public_key.as_slice(),
                    d.badge,
                    d.precinct,
                    d.suspended,
                    d.approved_at.unix_minutes(),
                    d.approved_by,
                    d.last_sync.map(|t| t.unix_minutes()),
                    int(d.high_water)?,
                    int(d.max_seq)?,
                    d.fork_seq.map(int).transpose()?,
                    d.badge_seq.map(int).transpose()?,
                ])?;
            Ok(())
        })
    }

    fn hashes(&mut self, device_id: &str, from: u64, to: u64) -> Result<Vec<(u64, [u8; 32])>, StoreError> {
        answer(|| {
            let mut stmt = self.0.prepare_cached(&format!(
                "SELECT seq, hash FROM inspections WHERE device = {DEVICE_NUM} AND seq BETWEEN ?2 AND ?3 ORDER BY seq"
            ))?;
            // By position (`seq, hash`): read for every upload's records.
            const SEQ: usize = 0;
            const HASH: usize = 1;
            read_rows(&mut stmt, params![device_id, int(from)?, int(to)?], |r| {
                Ok((uint(r.get(SEQ)?)?, hash32(r.get(HASH)?)?))
            })
        })
    }

    fn prev_hash_of(&mut self, device_id: &str, seq: u64) -> Result<Option<[u8; 32]>, StoreError> {
        answer(|| {
            let mut stmt = self.0.prepare_cached(&format!(
                "SELECT i.seq, i.gap_prev_hash, {HASH_BEFORE} FROM inspections i WHERE i.device = {DEVICE_NUM}
                 AND i.seq = ?2"
            ))?;
            // By position (`seq, gap_prev_hash, hash before`): read for every upload.
            const SEQ: usize = 0;
            const GAP_PREV_HASH: usize = 1;
            const HASH_BEFORE_IT: usize = 2;
            read_first(&mut stmt, params![device_id, int(seq)?], |r| {
                chain_before(r.get(SEQ)?, r.get(GAP_PREV_HASH)?, r.get(HASH_BEFORE_IT)?)
            })
        })
    }

    fn seqs_after(&mut self, device_id: &str, after: u64, limit: u32) -> Result<Vec<u64>, StoreError> {
        answer(|| {
            let mut stmt = self.0.prepare_cached(&format!(
                "SELECT seq FROM inspections WHERE device = {DEVICE_NUM} AND seq > ?2 ORDER BY seq LIMIT ?3"
            ))?;
            let rows = stmt.query_map(params![device_id, int(after)?, limit], |r| r.get::<_, i64>(0))?;
            rows.map(|r| uint(r?)).collect()
        })
    }

    fn insert_inspections(&mut self, records: &NewInspections<'_>) -> Result<(), StoreError> {
        answer(|| {
            if records.rows.is_empty() {
                return Ok(());
            }
            let device: i64 = self
                .0
                .prepare_cached("SELECT num FROM devices WHERE device_id = ?1")?
                .query_row([records.device_id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| Error::Damaged(format!("records of device {} that is not stored", records.device_id)))?;
            let precinct = precinct_num(self.0, records.precinct)?;
            let channel = coded(&CHANNEL_CODES, records.channel);
            // A few multi-row statements of power-of-two sizes (500 rows: 7 × 64,
            // 32, 16, 4), each prepared once and cached, rather than one statement
            // execution per row.
            let mut rest = records.rows.as_slice();
            while !rest.is_empty() {
                let size = INSERT_CHUNKS.iter().copied().find(|&n| n <= rest.len()).unwrap_or(1);
                let (chunk, tail) = rest.split_at(size.min(rest.len()));
                rest = tail;
                let mut stmt = self.0.prepare_cached(insert_sql(chunk.len()))?;
                stmt.raw_bind_parameter(1, device)?;
                stmt.raw_bind_parameter(2, precinct)?;
                stmt.raw_bind_parameter(3, records.received_at.unix_minutes())?;
                stmt.raw_bind_parameter(4, &channel)?;
                for (k, row) in chunk.iter().enumerate() {
                    let at = 5 + k * PER_ROW;
                    stmt.raw_bind_parameter(at, int(row.seq)?)?;
                    stmt.raw_bind_parameter(at + 1, row.at.unix_minutes())?;
                    stmt.raw_bind_parameter(at + 2, row.officer)?;
                    stmt.raw_bind_parameter(at + 3, row.zone)?;
                    stmt.raw_bind_parameter(at + 4, coded(&INPUT_CODES, row.input))?;
                    stmt.raw_bind_parameter(at + 5, row.display.map(|d| coded(&DISPLAY_CODES, d)))?;
                    stmt.raw_bind_parameter(at + 6, row.gap_prev_hash.as_ref().map(|h| h.as_slice()))?;
                    stmt.raw_bind_parameter(at + 7, row.hash.as_slice())?;
                    stmt.raw_bind_parameter(at + 8, row.body)?;
                }
                stmt.raw_execute()?;
            }
            Ok(())
        })
    }

    fn insert_conflict(&mut self, row: &ConflictRow) -> Result<bool, StoreError> {
        answer(|| {
            let n = self
                .0
                .prepare_cached(
                    "INSERT OR IGNORE INTO conflicts (device_id, seq, prev_hash, hash, body, received_at, channel)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    row.device_id,
                    int(row.seq)?,
                    row.prev_hash.as_slice(),
                    row.hash.as_slice(),
                    row.body,
                    row.received_at.unix_minutes(),
                    row.channel,
                ])?;
            Ok(n == 1)
        })
    }

    fn bundle_state(&mut self) -> Result<BundleState, StoreError> {
        answer(|| bundle_state(self.0))
    }

    fn set_bundle_state(&mut self, state: &BundleState) -> Result<(), StoreError> {
        answer(|| {
            self.0
                .prepare_cached(
                    "UPDATE bundle_state SET version = ?1, fingerprint = ?2, minted_at = ?3, organisations = ?4,
                        organisations_version = ?5, organisations_checked = ?6 WHERE id = 1",
                )?
                .execute(params![
                    int(state.version)?,
                    state.fingerprint.as_ref().map(|f| f.as_slice()),
                    state.minted_at.map(|t| t.unix_minutes()),
                    state.organisations.as_ref().map(|f| f.as_slice()),
                    int(state.organisations_version)?,
                    int(state.organisations_checked)?,
                ])?;
            Ok(())
        })
    }

    fn is_revoked(&mut self, serial: u32) -> Result<bool, StoreError> {
        answer(|| {
            Ok(self
                .0
                .prepare_cached("SELECT 1 FROM revocations WHERE serial = ?1")?
                .query_row([serial], |_| Ok(()))
                .optional()?
                .is_some())
        })
    }

    fn insert_revocation(&mut self, row: &RevocationRow) -> Result<(), StoreError> {
        answer(|| {
            self.0
                .prepare_cached(
                    "INSERT INTO revocations (serial, version, at, by, reason, document, kind)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?
                .execute(params![
                    row.serial,
                    int(row.version)?,
                    row.at.unix_minutes(),
                    row.by,
                    row.reason,
                    row.document,
                    row.kind.code()
                ])?;
            Ok(())
        })
    }

    fn revocations_by_since(&mut self, by: &str, since: UtcMinute) -> Result<u64, StoreError> {
        answer(|| {
            let n: i64 = self
                .0
                .prepare_cached("SELECT count(*) FROM revocations WHERE by = ?1 AND at >= ?2")?
                .query_row(params![by, since.unix_minutes()], |r| r.get(0))?;
            Ok(n as u64)
        })
    }

    fn insert_supervisor(&mut self, row: &SupervisorRow) -> Result<bool, StoreError> {
        answer(|| {
            let n = self
                .0
                .prepare_cached(
                    "INSERT OR IGNORE INTO supervisors (name, precinct, token_hash, created_at, role)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    row.name,
                    row.precinct,
                    row.token_hash.as_slice(),
                    row.created_at.unix_minutes(),
                    row.role.as_str()
                ])?;
            Ok(n == 1)
        })
    }

    fn delete_supervisor(&mut self, name: &str) -> Result<bool, StoreError> {
        answer(|| {
            let n = self.0.prepare_cached("DELETE FROM supervisors WHERE name = ?1")?.execute([name])?;
            Ok(n == 1)
        })
    }

    fn audit(&mut self, e: &AuditEntry) -> Result<(), StoreError> {
        answer(|| {
            self.0
                .prepare_cached("INSERT INTO audit (at, who, what, details) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![e.at.unix_minutes(), e.who, e.what, audit_json(&e.details)?])?;
            Ok(())
        })
    }
}

/// The audit details as stored: the JSON object of their fields.
fn audit_json(details: &AuditDetails) -> Result<String, Error> {
    serde_json::to_string(details).map_err(|e| Error::Damaged(format!("audit details: {e}")))
}
