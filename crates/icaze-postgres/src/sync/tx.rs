//! The transaction the rules write through: the [`SyncTx`] implementation,
//! each call one round trip on the transaction's connection.

use std::collections::BTreeSet;
use std::future::Future;

use deadpool_postgres::{Client, Object};
use icaze_core::UtcMinute;
use icaze_permits::store::StoreError;
use icaze_sync_service::store::{
    AuditEntry, BundleState, ConflictRow, DeviceRow, NewInspections, RevocationRow, SupervisorRow, SyncTx,
};

use super::rows::{bundle_state, chain_before, db, device_row, hash32, int, uint, DEVICE_COLUMNS, HASH_BEFORE};
use tokio_postgres::types::ToSql;

use crate::permits::col;
use crate::runtime::StoreRuntime;

/// The advisory lock class of a device (`pg_advisory_xact_lock(DEVICE_LOCK,
/// hashtext(device_id))`): every write that reads a device in its
/// transaction holds it until its commit. Two device ids of one hash only
/// wait for each other.
const DEVICE_LOCK: i32 = 0x6963_7a01;

/// The advisory lock under which the audit trail is appended, so that its row
/// ids are in the order of the commits (a reader paging by id never skips an
/// entry committed after it read).
const AUDIT_LOCK: i64 = 0x6963_617a_6502;

/// A pooled connection inside a transaction.
///
/// Invariant: dropped, it closes the connection (`Object::take`), so that a
/// connection never goes back to the pool inside a transaction, whoever drops
/// it and wherever (a future that panicked on the store's runtime included);
/// only [`Held::release`], after a `COMMIT` or a `ROLLBACK` that succeeded,
/// gives it back to the pool.
pub(super) struct Held(Option<Client>);

impl Held {
    pub(super) fn new(client: Client) -> Held {
        Held(Some(client))
    }

    /// Gives the connection back to the pool: its transaction has ended.
    pub(super) fn release(mut self) {
        drop(self.0.take());
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            drop(Object::take(client));
        }
    }
}

impl std::ops::Deref for Held {
    type Target = Client;

    fn deref(&self) -> &Client {
        // Invariant: `self.0` is `None` only inside `release` and `drop`,
        // which consume the value; no deref can happen after either.
        self.0.as_ref().expect("a held connection until released")
    }
}

/// The transaction of one [`SyncStore::write`](icaze_sync_service::store::SyncStore::write):
/// its connection, handed to the store's runtime for each call and back.
pub(super) struct Tx<'a> {
    pub(super) runtime: &'a StoreRuntime,
    /// `None` once a call lost it (the runtime stopped).
    pub(super) client: Option<Held>,
    /// The first error a call met: PostgreSQL aborts the transaction at an
    /// error, so it can only be rolled back, whatever the work answers.
    pub(super) failed: Option<String>,
    /// That error was a deadlock or a serialization failure: the whole
    /// transaction may simply run again.
    pub(super) retry: bool,
}

impl Tx<'_> {
    /// Runs `work` with the connection on the store's runtime, and takes the
    /// connection back.
    fn call<T, F>(&mut self, work: impl FnOnce(Held) -> F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = (Held, Result<T, StoreError>)> + Send + 'static,
    {
        let client =
            self.client.take().ok_or_else(|| StoreError::Damaged("the transaction's connection was lost".into()))?;
        let future = work(client);
        let (client, result) = self.runtime.block(async move { Ok(future.await) })?;
        self.client = Some(client);
        if let Err(e) = &result {
            if self.failed.is_none() {
                self.failed = Some(e.to_string());
                self.retry = super::retryable(e);
            }
        }
        result
    }
}

impl SyncTx for Tx<'_> {
    /// Takes the device's lock first, then reads it (one round trip, the two
    /// statements pipelined): at READ COMMITTED the read, and every later
    /// statement, sees what a write of the same device committed before the
    /// lock was given. So an upload sent to two instances at once is
    /// classified by the second after the first committed: duplicates.
    fn device(&mut self, device_id: &str) -> Result<Option<DeviceRow>, StoreError> {
        let id = device_id.to_owned();
        self.call(move |c| async move {
            let result = async {
                let lock = c.prepare_cached("SELECT pg_advisory_xact_lock($1, hashtext($2))").await.map_err(db)?;
                let select = c
                    .prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM sync_devices WHERE device_id = $1"))
                    .await
                    .map_err(db)?;
                let (lock_params, select_params): ([&(dyn ToSql + Sync); 2], [&(dyn ToSql + Sync); 1]) =
                    ([&DEVICE_LOCK, &id], [&id]);
                let (_, row) = tokio::try_join!(c.execute(&lock, &lock_params), c.query_opt(&select, &select_params))
                    .map_err(db)?;
                row.map(|r| device_row(&r)).transpose()
            }
            .await;
            (c, result)
        })
    }

    fn put_device(&mut self, d: &DeviceRow) -> Result<(), StoreError> {
        let d = d.clone();
        self.call(move |c| async move {
            let result = async {
                let upsert = c
                    .prepare_cached(&format!(
                        "INSERT INTO sync_devices ({DEVICE_COLUMNS})
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                         ON CONFLICT (device_id) DO UPDATE SET public_key = excluded.public_key,
                            badge = excluded.badge, precinct = excluded.precinct, suspended = excluded.suspended,
                            approved_at = excluded.approved_at, approved_by = excluded.approved_by,
                            last_sync = excluded.last_sync, high_water = excluded.high_water,
                            max_seq = excluded.max_seq, fork_seq = excluded.fork_seq, badge_seq = excluded.badge_seq"
                    ))
                    .await
                    .map_err(db)?;
                c.execute(
                    &upsert,
                    &[
                        &d.device_id,
                        &d.public_key.as_slice(),
                        &d.badge,
                        &d.precinct,
                        &d.suspended,
                        &i64::from(d.approved_at.unix_minutes()),
                        &d.approved_by,
                        &d.last_sync.map(|t| i64::from(t.unix_minutes())),
                        &int(d.high_water)?,
                        &int(d.max_seq)?,
                        &d.fork_seq.map(int).transpose()?,
                        &d.badge_seq.map(int).transpose()?,
                    ],
                )
                .await
                .map_err(db)?;
                Ok(())
            }
            .await;
            (c, result)
        })
    }

    fn hashes(&mut self, device_id: &str, from: u64, to: u64) -> Result<Vec<(u64, [u8; 32])>, StoreError> {
        let id = device_id.to_owned();
        self.call(move |c| async move {
            let result = async {
                let query = c
                    .prepare_cached(
                        "SELECT seq, hash FROM sync_inspections WHERE device_id = $1 AND seq BETWEEN $2 AND $3
                         ORDER BY seq",
                    )
                    .await
                    .map_err(db)?;
                let rows = c.query(&query, &[&id, &int(from)?, &int(to)?]).await.map_err(db)?;
                rows.iter().map(|r| Ok((uint(col(r, 0)?)?, hash32(col(r, 1)?)?))).collect()
            }
            .await;
            (c, result)
        })
    }

    fn prev_hash_of(&mut self, device_id: &str, seq: u64) -> Result<Option<[u8; 32]>, StoreError> {
        let id = device_id.to_owned();
        self.call(move |c| async move {
            let result = async {
                let query = c
                    .prepare_cached(&format!(
                        "SELECT i.seq, i.gap_prev_hash, {HASH_BEFORE} FROM sync_inspections i
                         WHERE i.device_id = $1 AND i.seq = $2"
                    ))
                    .await
                    .map_err(db)?;
                let row = c.query_opt(&query, &[&id, &int(seq)?]).await.map_err(db)?;
                row.map(|r| chain_before(col(&r, 0)?, col(&r, 1)?, col(&r, 2)?)).transpose()
            }
            .await;
            (c, result)
        })
    }

    fn seqs_after(&mut self, device_id: &str, after: u64, limit: u32) -> Result<Vec<u64>, StoreError> {
        let id = device_id.to_owned();
        self.call(move |c| async move {
            let result = async {
                let query = c
                    .prepare_cached(
                        "SELECT seq FROM sync_inspections WHERE device_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    )
                    .await
                    .map_err(db)?;
                let rows = c.query(&query, &[&id, &int(after)?, &i64::from(limit)]).await.map_err(db)?;
                rows.iter().map(|r| uint(col(r, 0)?)).collect()
            }
            .await;
            (c, result)
        })
    }

    /// One statement for the whole batch: the rows go as arrays, `unnest`ed.
    /// A stored `(device_id, seq)` fails it whole (the unique constraint),
    /// and with it the transaction.
    fn insert_inspections(&mut self, records: &NewInspections<'_>) -> Result<(), StoreError> {
        if records.rows.is_empty() {
            return Ok(());
        }
        let (id, precinct, channel) = (records.device_id.to_owned(), records.precinct.to_owned(), records.channel);
        let received = i64::from(records.received_at.unix_minutes());
        let seqs = records.rows.iter().map(|r| int(r.seq)).collect::<Result<Vec<i64>, _>>()?;
        let ats: Vec<i64> = records.rows.iter().map(|r| i64::from(r.at.unix_minutes())).collect();
        let officers: Vec<String> = records.rows.iter().map(|r| r.officer.to_owned()).collect();
        let zones: Vec<i32> = records.rows.iter().map(|r| i32::from(r.zone)).collect();
        let inputs: Vec<String> = records.rows.iter().map(|r| r.input.to_owned()).collect();
        let displays: Vec<Option<String>> = records.rows.iter().map(|r| r.display.map(str::to_owned)).collect();
        let gaps: Vec<Option<Vec<u8>>> = records.rows.iter().map(|r| r.gap_prev_hash.map(|h| h.to_vec())).collect();
        let hashes: Vec<Vec<u8>> = records.rows.iter().map(|r| r.hash.to_vec()).collect();
        let bodies: Vec<Vec<u8>> = records.rows.iter().map(|r| r.body.to_vec()).collect();
        self.call(move |c| async move {
            let result = async {
                // Only for a stored device (no row at all otherwise), in the same round trip.
                let insert = c
                    .prepare_cached(
                        "INSERT INTO sync_inspections (device_id, precinct, received_at, channel, seq, at, officer,
                            zone, input, display, gap_prev_hash, hash, body)
                         SELECT $1, $2, $3, $4, * FROM unnest($5::bigint[], $6::bigint[], $7::text[], $8::int[],
                            $9::text[], $10::text[], $11::bytea[], $12::bytea[], $13::bytea[])
                         WHERE EXISTS (SELECT 1 FROM sync_devices WHERE device_id = $1)",
                    )
                    .await
                    .map_err(db)?;
                let inserted = c
                    .execute(
                        &insert,
                        &[
                            &id, &precinct, &received, &channel, &seqs, &ats, &officers, &zones, &inputs, &displays,
                            &gaps, &hashes, &bodies,
                        ],
                    )
                    .await
                    .map_err(db)?;
                if inserted == 0 {
                    return Err(StoreError::Damaged(format!("records of device {id} that is not stored")));
                }
                Ok(())
            }
            .await;
            (c, result)
        })
    }

    fn insert_conflict(&mut self, row: &ConflictRow) -> Result<bool, StoreError> {
        let row = row.clone();
        self.call(move |c| async move {
            let result = async {
                let insert = c
                    .prepare_cached(
                        "INSERT INTO sync_conflicts (device_id, seq, prev_hash, hash, body, received_at, channel)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                    )
                    .await
                    .map_err(db)?;
                let n = c
                    .execute(
                        &insert,
                        &[
                            &row.device_id,
                            &int(row.seq)?,
                            &row.prev_hash.as_slice(),
                            &row.hash.as_slice(),
                            &row.body,
                            &i64::from(row.received_at.unix_minutes()),
                            &row.channel,
                        ],
                    )
                    .await
                    .map_err(db)?;
                Ok(n == 1)
            }
            .await;
            (c, result)
        })
    }

    /// Takes the bundle state's row lock until the transaction ends: the
    /// version is read and raised by one transaction at a time, on any
    /// instance (see the module doc).
    fn bundle_state(&mut self) -> Result<BundleState, StoreError> {
        self.call(move |c| async move {
            let result = bundle_state(&c, true).await;
            (c, result)
        })
    }

    fn set_bundle_state(&mut self, state: &BundleState) -> Result<(), StoreError> {
        let state = state.clone();
        self.call(move |c| async move {
            let result = async {
                let update = c
                    .prepare_cached(
                        "UPDATE sync_bundle_state SET version = $1, fingerprint = $2, minted_at = $3,
                            organisations = $4, organisations_version = $5, organisations_checked = $6 WHERE id = 1",
                    )
                    .await
                    .map_err(db)?;
                let fingerprint = state.fingerprint.map(|f| f.to_vec());
                let minted = state.minted_at.map(|t| i64::from(t.unix_minutes()));
                let organisations = state.organisations.map(|f| f.to_vec());
                let (since, checked) = (int(state.organisations_version)?, int(state.organisations_checked)?);
                c.execute(&update, &[&int(state.version)?, &fingerprint, &minted, &organisations, &since, &checked])
                    .await
                    .map_err(db)?;
                Ok(())
            }
            .await;
            (c, result)
        })
    }

    fn is_revoked(&mut self, serial: u32) -> Result<bool, StoreError> {
        self.call(move |c| async move {
            let result = super::queries::is_revoked(&c, serial).await;
            (c, result)
        })
    }

    /// One query: the serials found among the revoked.
    fn revoked_among(&mut self, serials: &[u32]) -> Result<BTreeSet<u32>, StoreError> {
        let serials: Vec<i64> = serials.iter().map(|&s| i64::from(s)).collect();
        self.call(move |c| async move {
            let result = async {
                let query =
                    c.prepare_cached("SELECT serial FROM sync_revocations WHERE serial = ANY($1)").await.map_err(db)?;
                let rows = c.query(&query, &[&serials]).await.map_err(db)?;
                rows.iter()
                    .map(|r| {
                        let serial: i64 = col(r, 0)?;
                        u32::try_from(serial).map_err(|_| StoreError::Damaged(format!("revoked serial {serial}")))
                    })
                    .collect()
            }
            .await;
            (c, result)
        })
    }

    /// One `unnest` statement for the rows.
    fn insert_revocations(&mut self, rows: &[RevocationRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let serials: Vec<i64> = rows.iter().map(|r| i64::from(r.serial)).collect();
        let versions = rows.iter().map(|r| int(r.version)).collect::<Result<Vec<i64>, _>>()?;
        let ats: Vec<i64> = rows.iter().map(|r| i64::from(r.at.unix_minutes())).collect();
        let bys: Vec<String> = rows.iter().map(|r| r.by.clone()).collect();
        let reasons: Vec<String> = rows.iter().map(|r| r.reason.clone()).collect();
        let documents: Vec<Option<String>> = rows.iter().map(|r| r.document.clone()).collect();
        let kinds: Vec<i16> = rows.iter().map(|r| r.kind.code()).collect();
        self.call(move |c| async move {
            let result = async {
                let insert = c
                    .prepare_cached(
                        "INSERT INTO sync_revocations (serial, version, at, by, reason, document, kind)
                         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[],
                                              $6::text[], $7::smallint[])",
                    )
                    .await
                    .map_err(db)?;
                c.execute(&insert, &[&serials, &versions, &ats, &bys, &reasons, &documents, &kinds])
                    .await
                    .map_err(db)?;
                Ok(())
            }
            .await;
            (c, result)
        })
    }

    fn insert_revocation(&mut self, row: &RevocationRow) -> Result<(), StoreError> {
        let row = row.clone();
        self.call(move |c| async move {
            let result = async {
                let insert = c
                    .prepare_cached(
                        "INSERT INTO sync_revocations (serial, version, at, by, reason, document, kind)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .await
                    .map_err(db)?;
                c.execute(
                    &insert,
                    &[
                        &i64::from(row.serial),
                        &int(row.version)?,
                        &i64::from(row.at.unix_minutes()),
                        &row.by,
                        &row.reason,
                        &row.document,
                        &row.kind.code(),
                    ],
                )
                .await
                .map_err(db)?;
                Ok(())
            }
            .await;
            (c, result)
        })
    }

    fn revocations_by_since(&mut self, by: &str, since: UtcMinute) -> Result<u64, StoreError> {
        let by = by.to_owned();
        self.call(move |c| async move {
            let result = async {
                let query = c
                    .prepare_cached("SELECT count(*) FROM sync_revocations WHERE by = $1 AND at >= $2")
                    .await
                    .map_err(db)?;
                let row = c.query_one(&query, &[&by, &i64::from(since.unix_minutes())]).await.map_err(db)?;
                uint(col(&row, 0)?)
            }
            .await;
            (c, result)
        })
    }

    fn insert_supervisor(&mut self, row: &SupervisorRow) -> Result<bool, StoreError> {
        let row = row.clone();
        self.call(move |c| async move {
            let result = async {
                let insert = c
                    .prepare_cached(
                        "INSERT INTO sync_supervisors (name, precinct, token_hash, created_at, role)
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .await
                    .map_err(db)?;
                let created = i64::from(row.created_at.unix_minutes());
                let n = c
                    .execute(
                        &insert,
                        &[&row.name, &row.precinct, &row.token_hash.as_slice(), &created, &row.role.as_str()],
                    )
                    .await
                    .map_err(db)?;
                Ok(n == 1)
            }
            .await;
            (c, result)
        })
    }

    fn delete_supervisor(&mut self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.call(move |c| async move {
            let result = async {
                let delete = c.prepare_cached("DELETE FROM sync_supervisors WHERE name = $1").await.map_err(db)?;
                Ok(c.execute(&delete, &[&name]).await.map_err(db)? == 1)
            }
            .await;
            (c, result)
        })
    }

    /// Under the audit lock (pipelined with the insert), so that row ids
    /// follow the commits.
    fn audit(&mut self, e: &AuditEntry) -> Result<(), StoreError> {
        let details = serde_json::to_string(&e.details)
            .map_err(|e| StoreError::Damaged(format!("audit details do not write as JSON: {e}")))?;
        let (at, who, what) = (i64::from(e.at.unix_minutes()), e.who.clone(), e.what.clone());
        self.call(move |c| async move {
            let result = async {
                let lock = c.prepare_cached("SELECT pg_advisory_xact_lock($1)").await.map_err(db)?;
                let insert = c
                    .prepare_cached("INSERT INTO sync_audit (at, who, what, details) VALUES ($1, $2, $3, $4)")
                    .await
                    .map_err(db)?;
                let (lock_params, insert_params): ([&(dyn ToSql + Sync); 1], [&(dyn ToSql + Sync); 4]) =
                    ([&AUDIT_LOCK], [&at, &who, &what, &details]);
                tokio::try_join!(c.execute(&lock, &lock_params), c.execute(&insert, &insert_params)).map_err(db)?;
                Ok(())
            }
            .await;
            (c, result)
        })
    }
}
