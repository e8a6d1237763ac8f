//! The permits store on PostgreSQL: registries, permits, the daily limits, the
//! serial counter and the regimes (see the crate doc for how the limits and the
//! serials hold across instances).

use std::collections::BTreeMap;
use std::ops::Range;

use deadpool_postgres::{Client, Pool};
use icaze_core::{AuthorisedOrganisation, AuthorisedOrganisations, PermitSerial, TaxId, UtcMinute, ZoneId};
use icaze_permits::csv::baku_day;
use icaze_permits::store::{
    BatchApplied, BatchRecord, CodeHour, Denial, DenialsLock, FeedBatch, FeedCredential, Found, Generations,
    ImportReport, LastPermit, Limits, PermitRecord, PermitStore, Person, Recorded, RefusedRequest, Registry,
    RowProblem, Search, StoreError, ToRevoke, TopRequesters,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

pub(crate) use crate::connect::{db, pool_error};
use crate::feeds;
use crate::runtime::StoreRuntime;
use crate::schema::{migrate, MIGRATIONS};
use crate::{OpenError, PgConfig};

pub(crate) mod jobs;
mod replace;

/// How often a transaction that failed with a deadlock or a serialization
/// failure is tried again.
const RETRIES: u32 = 5;

/// Rows an import sends in one statement.
const IMPORT_CHUNK: usize = 5_000;

/// The PostgreSQL permits store: a pool of connections to one database, which
/// other instances may share.
pub struct PgPermitStore {
    pool: Pool,
    // Invariant: declared after `pool`, so the pool's connections are dropped
    // before the runtime that drives them stops.
    runtime: StoreRuntime,
}

impl std::fmt::Debug for PgPermitStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPermitStore").field("pool", &self.pool.status()).finish()
    }
}

/// Whether a transaction may simply run again.
fn retryable(e: &tokio_postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// A stored number that must fit the type it is read into.
pub(crate) fn fits<T: TryFrom<i64>>(value: i64, what: &str) -> Result<T, StoreError> {
    T::try_from(value).map_err(|_| StoreError::Damaged(format!("{what} {value} is out of range")))
}

/// A column of a row, or `Damaged` if it is missing or of another type (a
/// foreign or damaged database): `Row::get` would panic.
pub(crate) fn col<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, StoreError> {
    row.try_get(i).map_err(|e| StoreError::Damaged(format!("column {i}: {e}")))
}

fn minute(value: i64) -> Result<UtcMinute, StoreError> {
    Ok(UtcMinute::from_unix_minutes(fits(value, "a time")?))
}

impl PgPermitStore {
    /// Connects to the database at `url` (`postgres://USER@HOST:PORT/DATABASE`,
    /// or the key-value form), creating or migrating the permits schema.
    ///
    /// Blocks until the database answered; unreachable, it fails after
    /// [`PgConfig::connect_timeout`].
    pub fn open(url: &str, config: PgConfig) -> Result<PgPermitStore, OpenError> {
        let pool = crate::connect::pool(url, &config, "icaze")?;
        let runtime = StoreRuntime::start(config.worker_threads)?;
        let migrating = pool.clone();
        let migrated = runtime.block(async move {
            let mut client = migrating.get().await.map_err(pool_error)?;
            Ok(migrate(&mut client, MIGRATIONS).await)
        })?;
        migrated?;
        Ok(PgPermitStore { pool, runtime })
    }

    /// Runs `work` with a pooled connection on the store's runtime, and waits.
    fn read<T, F>(&self, work: impl FnOnce(Client) -> F + Send + 'static) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let pool = self.pool.clone();
        self.runtime.block(async move {
            let client = pool.get().await.map_err(pool_error)?;
            work(client).await
        })
    }

    /// Imports the population registry, CSV columns `document,birth_date,zone`
    /// (a header line is required; `birth_date` is `YYYY-MM-DD`). Rows that do
    /// not read are reported with their line and skipped; the good ones are
    /// committed together, replacing earlier rows of the same document (the
    /// last row of a document in the file wins).
    ///
    /// The rows go in chunks of [`IMPORT_CHUNK`] as they are read, so a
    /// registry of millions is held once, as its text, not also as rows.
    pub fn import_people(&self, csv: &str) -> Result<ImportReport, StoreError> {
        let csv = csv.to_owned();
        self.read(move |mut client| async move {
            let mut report = ImportReport::default();
            let tx = client.transaction().await.map_err(db)?;
            let insert = tx
                .prepare(
                    "INSERT INTO people (document, birth_day, zone)
                     SELECT * FROM unnest($1::text[], $2::int[], $3::int[])
                     ON CONFLICT (document) DO UPDATE SET birth_day = excluded.birth_day, zone = excluded.zone",
                )
                .await
                .map_err(db)?;
            let mut rows = icaze_permits::csv::people(&csv);
            loop {
                let chunk =
                    next_chunk(&mut rows, &mut report, |p| (p.document, (p.birth_day, i32::from(p.zone.get()))));
                if chunk.is_empty() {
                    break;
                }
                let documents: Vec<&str> = chunk.keys().map(String::as_str).collect();
                let births: Vec<i32> = chunk.values().map(|(b, _)| *b).collect();
                let zones: Vec<i32> = chunk.values().map(|(_, z)| *z).collect();
                tx.execute(&insert, &[&documents, &births, &zones]).await.map_err(db)?;
            }
            tx.commit().await.map_err(db)?;
            Ok(report)
        })
    }

    /// Imports the deny list, CSV columns `document,reason,until` (`until` is
    /// RFC 3339 or a date `YYYY-MM-DD` meaning its start in Baku, or empty for
    /// open-ended). Every document imported is also put on
    /// [`PermitStore::denials_to_apply`], in the same transaction.
    pub fn import_denials(&self, csv: &str) -> Result<ImportReport, StoreError> {
        let csv = csv.to_owned();
        self.read(move |mut client| async move {
            let mut report = ImportReport::default();
            let tx = client.transaction().await.map_err(db)?;
            let insert = tx
                .prepare(
                    "INSERT INTO denials (document, reason, until)
                     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
                     ON CONFLICT (document) DO UPDATE SET reason = excluded.reason, until = excluded.until",
                )
                .await
                .map_err(db)?;
            let to_apply = tx
                .prepare(
                    "INSERT INTO to_revoke (document, cause, feed) SELECT unnest($1::text[]), 0, ''
                     ON CONFLICT DO NOTHING",
                )
                .await
                .map_err(db)?;
            let mut rows = icaze_permits::csv::denials(&csv);
            loop {
                let chunk = next_chunk(&mut rows, &mut report, |d| {
                    (d.document, (d.reason, d.until.map(|u| i64::from(u.unix_minutes()))))
                });
                if chunk.is_empty() {
                    break;
                }
                let documents: Vec<&str> = chunk.keys().map(String::as_str).collect();
                let reasons: Vec<&str> = chunk.values().map(|(r, _)| r.as_str()).collect();
                let untils: Vec<Option<i64>> = chunk.values().map(|(_, u)| *u).collect();
                tx.execute(&insert, &[&documents, &reasons, &untils]).await.map_err(db)?;
                tx.execute(&to_apply, &[&documents]).await.map_err(db)?;
            }
            tx.commit().await.map_err(db)?;
            Ok(report)
        })
    }

    /// Imports the phone register, CSV columns `document,phone`. The file is
    /// the whole register: it replaces the one before, in one transaction, and
    /// a file with a problem in any row replaces nothing.
    pub fn import_phones(&self, csv: &str) -> Result<ImportReport, StoreError> {
        let csv = csv.to_owned();
        self.read(move |mut client| async move {
            let mut report = ImportReport::default();
            let tx = client.transaction().await.map_err(db)?;
            tx.execute("DELETE FROM phones", &[]).await.map_err(db)?;
            let insert = tx
                .prepare(
                    "INSERT INTO phones (document, phone) SELECT * FROM unnest($1::text[], $2::text[])
                     ON CONFLICT DO NOTHING",
                )
                .await
                .map_err(db)?;
            let mut rows = icaze_permits::csv::phones(&csv);
            loop {
                let mut chunk = Vec::new();
                for (line, row) in rows.by_ref() {
                    match row {
                        Ok(p) => {
                            chunk.push((p.document, p.phone));
                            report.imported += 1;
                        }
                        Err(message) => report.problems.push(RowProblem { line, message }),
                    }
                    if chunk.len() == IMPORT_CHUNK {
                        break;
                    }
                }
                if chunk.is_empty() {
                    break;
                }
                // Once a row failed nothing is kept: the rest is only read for its problems.
                if report.problems.is_empty() {
                    let documents: Vec<&str> = chunk.iter().map(|(d, _)| d.as_str()).collect();
                    let phones: Vec<&str> = chunk.iter().map(|(_, p)| p.as_str()).collect();
                    tx.execute(&insert, &[&documents, &phones]).await.map_err(db)?;
                }
            }
            if report.problems.is_empty() {
                tx.commit().await.map_err(db)?;
            } else {
                tx.rollback().await.map_err(db)?;
                report.imported = 0;
            }
            Ok(report)
        })
    }

    /// Number of permits recorded.
    pub fn permit_count(&self) -> Result<i64, StoreError> {
        self.read(
            |client| async move { col(&client.query_one("SELECT count(*) FROM permits", &[]).await.map_err(db)?, 0) },
        )
    }
}

/// The next chunk of an import that replaces rows by document: up to
/// [`IMPORT_CHUNK`] documents from `rows`, each row's `entry` keyed by its
/// document, counting the rows imported in `report` and adding the rows that
/// do not read to its problems with their line. Empty when `rows` is done.
///
/// One entry a document: `ON CONFLICT DO UPDATE` may not touch a row twice in
/// a statement, so a later row of a document replaces an earlier one in the
/// chunk, and a later chunk the earlier one in the table (the last row wins).
fn next_chunk<T, V>(
    rows: &mut impl Iterator<Item = (usize, Result<T, String>)>,
    report: &mut ImportReport,
    entry: impl Fn(T) -> (String, V),
) -> BTreeMap<String, V> {
    let mut chunk = BTreeMap::new();
    for (line, row) in rows.by_ref() {
        match row {
            Ok(row) => {
                let (document, value) = entry(row);
                chunk.insert(document, value);
                report.imported += 1;
            }
            Err(message) => report.problems.push(RowProblem { line, message }),
        }
        if chunk.len() == IMPORT_CHUNK {
            break;
        }
    }
    chunk
}

/// One row of `permits` from a `PermitRecord`, with the day it counts in.
async fn insert_permit(tx: &deadpool_postgres::Transaction<'_>, p: &PermitRecord) -> Result<(), tokio_postgres::Error> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO permits (serial, document, code, purpose, zone, key_id, issued_at, valid_from, valid_until, phone, token)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .await?;
    tx.execute(
        &insert,
        &[
            &i64::from(p.serial.0),
            &p.document,
            &i16::from(p.code),
            &i16::from(p.purpose),
            &i32::from(p.zone.get()),
            &i16::from(p.key_id),
            &i64::from(p.issued_at.unix_minutes()),
            &i64::from(p.valid_from.unix_minutes()),
            &i64::from(p.valid_until.unix_minutes()),
            &p.phone,
            &p.token,
        ],
    )
    .await?;
    Ok(())
}

/// Checks the limits and records the permit in one transaction (see the crate
/// doc): the document's counter of the day and code first, then the phone's,
/// each bumped only below its limit; a refusal rolls back.
async fn record(
    client: &mut Client,
    p: &PermitRecord,
    limits: &Limits,
) -> Result<Result<Recorded, StoreError>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let (code, serial) = (i16::from(p.code), i64::from(p.serial.0));
    if let Some(replaced) = limits.replaces {
        let moved = tx
            .prepare_cached(
                "UPDATE document_day SET last_serial = $4
                 WHERE document = $1 AND day = $2 AND code = $3 AND last_serial = $5",
            )
            .await?;
        let moved = tx.execute(&moved, &[&p.document, &limits.day, &code, &serial, &i64::from(replaced.0)]).await?;
        if moved == 0 {
            tx.rollback().await?;
            return Ok(last_permit(client, p, limits).await?.map(|last| Recorded::DocumentLimit { last }));
        }
        insert_permit(&tx, p).await?;
        tx.commit().await?;
        return Ok(Ok(Recorded::Issued));
    }
    let per_document = i64::from(limits.per_document);
    let counted = tx
        .prepare_cached(
            "INSERT INTO document_day (document, day, code, count, last_serial)
             SELECT $1::text, $2::int, $3::smallint, 1, $4::bigint WHERE $5::bigint > 0
             ON CONFLICT (document, day, code) DO UPDATE
                SET count = document_day.count + 1, last_serial = excluded.last_serial
                WHERE document_day.count < $5::bigint
             RETURNING count",
        )
        .await?;
    let counted = tx.query_opt(&counted, &[&p.document, &limits.day, &code, &serial, &per_document]).await?;
    if counted.is_none() {
        tx.rollback().await?;
        return Ok(last_permit(client, p, limits).await?.map(|last| Recorded::DocumentLimit { last }));
    }
    if let Some(per_week) = limits.per_week {
        // Today's row is locked by the upsert above, so the requests of one
        // document count their week one after the other.
        let week = tx
            .prepare_cached(
                "SELECT coalesce(sum(count), 0)::bigint FROM document_day
                 WHERE document = $1 AND code = $3 AND day BETWEEN $2 - 6 AND $2",
            )
            .await?;
        let week: i64 = tx.query_one(&week, &[&p.document, &limits.day, &code]).await?.get(0);
        if week > i64::from(per_week) {
            tx.rollback().await?;
            return Ok(Ok(Recorded::WeekLimit));
        }
    }
    let per_phone = i64::from(limits.per_phone);
    let phone_counted = tx
        .prepare_cached(
            "INSERT INTO phone_day (day, phone, count) SELECT $1::int, $2::text, 1 WHERE $3::bigint > 0
             ON CONFLICT (day, phone) DO UPDATE SET count = phone_day.count + 1 WHERE phone_day.count < $3::bigint
             RETURNING count",
        )
        .await?;
    if tx.query_opt(&phone_counted, &[&limits.day, &p.phone, &per_phone]).await?.is_none() {
        tx.rollback().await?;
        return Ok(Ok(Recorded::PhoneLimit));
    }
    if let Some(per_code) = limits.per_phone_code {
        let code_counted = tx
            .prepare_cached(
                "INSERT INTO phone_code_day (day, phone, code, count)
                 SELECT $1::int, $2::text, $3::smallint, 1 WHERE $4::bigint > 0
                 ON CONFLICT (day, phone, code) DO UPDATE SET count = phone_code_day.count + 1
                    WHERE phone_code_day.count < $4::bigint
                 RETURNING count",
            )
            .await?;
        let per_code = i64::from(per_code);
        if tx.query_opt(&code_counted, &[&limits.day, &p.phone, &code, &per_code]).await?.is_none() {
            tx.rollback().await?;
            return Ok(Ok(Recorded::PhoneLimit));
        }
    }
    insert_permit(&tx, p).await?;
    tx.commit().await?;
    Ok(Ok(Recorded::Issued))
}

/// The document's last permit of the day and code, as the counter names it.
async fn last_permit(
    client: &Client,
    p: &PermitRecord,
    limits: &Limits,
) -> Result<Result<Option<LastPermit>, StoreError>, tokio_postgres::Error> {
    let query = client
        .prepare_cached(
            "SELECT p.serial, p.key_id, p.token, p.valid_from, p.valid_until, p.phone
             FROM document_day d JOIN permits p ON p.serial = d.last_serial
             WHERE d.document = $1 AND d.day = $2 AND d.code = $3",
        )
        .await?;
    let row = client.query_opt(&query, &[&p.document, &limits.day, &i16::from(p.code)]).await?;
    Ok(row.map(|r| last_permit_of(&r)).transpose())
}

fn last_permit_of(r: &Row) -> Result<LastPermit, StoreError> {
    Ok(LastPermit {
        serial: PermitSerial(fits(col::<i64>(r, 0)?, "a serial")?),
        key_id: fits(i64::from(col::<i16>(r, 1)?), "a key id")?,
        token: col(r, 2)?,
        valid_from: minute(col(r, 3)?)?,
        valid_until: minute(col(r, 4)?)?,
        phone: col(r, 5)?,
    })
}

/// Records permits of the channels without daily limits, all in one
/// transaction: each is counted in its document's day and becomes its last.
///
/// The day rows are locked in key order (a stable sort, so a document's last
/// permit of a day is still the batch's last for it): two batches touching the
/// same documents then never wait for each other in a cycle.
async fn issue_unlimited(client: &mut Client, permits: &[PermitRecord]) -> Result<(), tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let count = tx
        .prepare_cached(
            "INSERT INTO document_day (document, day, code, count, last_serial) VALUES ($1, $2, $3, 1, $4)
             ON CONFLICT (document, day, code) DO UPDATE
                SET count = document_day.count + 1, last_serial = excluded.last_serial",
        )
        .await?;
    let mut ordered: Vec<&PermitRecord> = permits.iter().collect();
    ordered.sort_by_key(|p| (p.document.as_str(), baku_day(p.issued_at), p.code));
    for p in ordered {
        tx.execute(&count, &[&p.document, &baku_day(p.issued_at), &i16::from(p.code), &i64::from(p.serial.0)]).await?;
    }
    for p in permits {
        insert_permit(&tx, p).await?;
    }
    tx.commit().await
}

/// Moves the serial counter on by `count` in a transaction of its own,
/// committed before the range is returned.
async fn reserve(client: &Client, count: u32) -> Result<Result<Range<u32>, StoreError>, tokio_postgres::Error> {
    let count = i64::from(count);
    let row = client
        .query_opt(
            "UPDATE serials SET reserved_until = reserved_until + $1
             WHERE id = 1 AND reserved_until + $1 <= 4294967295
             RETURNING reserved_until - $1, reserved_until",
            &[&count],
        )
        .await?;
    let Some(row) = row else {
        return Ok(Err(StoreError::Damaged("serial numbers exhausted".into())));
    };
    let range =
        (|| Ok::<_, StoreError>(fits(col::<i64>(&row, 0)?, "a serial")?..fits(col::<i64>(&row, 1)?, "a serial")?))();
    Ok(range)
}

impl PermitStore for PgPermitStore {
    fn person(&self, document: &str) -> Result<Option<Person>, StoreError> {
        let document = document.to_owned();
        self.read(move |client| async move {
            let query =
                client.prepare_cached("SELECT birth_day, zone FROM people WHERE document = $1").await.map_err(db)?;
            let row = client.query_opt(&query, &[&document]).await.map_err(db)?;
            row.map(|r| person_of(col(&r, 0)?, col(&r, 1)?)).transpose()
        })
    }

    fn denial(&self, document: &str, at: UtcMinute) -> Result<Option<Denial>, StoreError> {
        let document = document.to_owned();
        self.read(move |client| async move {
            let query =
                client.prepare_cached("SELECT reason, until FROM denials WHERE document = $1").await.map_err(db)?;
            let row = client.query_opt(&query, &[&document]).await.map_err(db)?;
            match row {
                Some(r) => denial_of(Some(col(&r, 0)?), col(&r, 1)?, at),
                None => Ok(None),
            }
        })
    }

    /// One query, one round trip.
    fn person_and_denial(&self, document: &str, at: UtcMinute) -> Result<Option<(Person, Option<Denial>)>, StoreError> {
        let document = document.to_owned();
        self.read(move |client| async move {
            let query = client
                .prepare_cached(
                    "SELECT p.birth_day, p.zone, d.reason, d.until
                     FROM people p LEFT JOIN denials d ON d.document = p.document WHERE p.document = $1",
                )
                .await
                .map_err(db)?;
            let Some(r) = client.query_opt(&query, &[&document]).await.map_err(db)? else { return Ok(None) };
            Ok(Some((person_of(col(&r, 0)?, col(&r, 1)?)?, denial_of(col(&r, 2)?, col(&r, 3)?, at)?)))
        })
    }

    fn phone_may_ask(&self, document: &str, phone: &str) -> Result<bool, StoreError> {
        let (document, phone) = (document.to_owned(), phone.to_owned());
        self.read(move |client| async move {
            let query = client
                .prepare_cached(
                    "SELECT NOT EXISTS (SELECT 1 FROM phones WHERE document = $1)
                         OR EXISTS (SELECT 1 FROM phones WHERE document = $1 AND phone = $2)",
                )
                .await
                .map_err(db)?;
            col(&client.query_one(&query, &[&document, &phone]).await.map_err(db)?, 0)
        })
    }

    fn denials_to_apply(&self, limit: u32) -> Result<Vec<ToRevoke>, StoreError> {
        self.read(move |client| async move { feeds::queued(&client, limit).await })
    }

    fn denials_applied(&self, done: &[ToRevoke]) -> Result<(), StoreError> {
        let done = done.to_vec();
        self.read(move |client| async move { feeds::applied(&client, done).await })
    }

    /// One query for the round ([`feeds::still_to_revoke`]).
    fn still_to_revoke(&self, queued: &[ToRevoke], at: UtcMinute) -> Result<Vec<ToRevoke>, StoreError> {
        let queued = queued.to_vec();
        self.read(move |client| async move { feeds::still_to_revoke(&client, queued, at).await })
    }

    fn lock_denials(&self) -> Result<Option<DenialsLock>, StoreError> {
        let runtime = self.runtime.handle();
        self.read(move |client| crate::shared::lock_denials(client, runtime))
    }

    fn add_feed(&self, credential: &FeedCredential) -> Result<bool, StoreError> {
        let credential = credential.clone();
        self.read(move |client| async move { feeds::add(&client, credential).await })
    }

    fn feeds(&self) -> Result<Vec<FeedCredential>, StoreError> {
        self.read(|client| async move { feeds::all(&client).await })
    }

    fn remove_feed(&self, agency: &str) -> Result<bool, StoreError> {
        let agency = agency.to_owned();
        self.read(move |client| async move {
            Ok(client.execute("DELETE FROM feeds WHERE agency = $1", &[&agency]).await.map_err(db)? == 1)
        })
    }

    fn feed_by_token_hash(&self, token_hash: &str) -> Result<Option<FeedCredential>, StoreError> {
        let hash = token_hash.to_owned();
        self.read(move |client| async move { feeds::by_token_hash(&client, hash).await })
    }

    fn apply_feed_batch(&self, batch: &FeedBatch) -> Result<BatchApplied, StoreError> {
        let batch = batch.clone();
        self.read(move |mut client| async move {
            let tx = client.transaction().await.map_err(db)?;
            let applied = feeds::apply(&tx, &batch).await?;
            if matches!(applied, BatchApplied::Applied(_)) {
                tx.commit().await.map_err(db)?;
            } else {
                tx.rollback().await.map_err(db)?;
            }
            Ok(applied)
        })
    }

    fn feed_batches(&self, registry: Registry, limit: u32) -> Result<Vec<BatchRecord>, StoreError> {
        self.read(move |client| async move { feeds::batches(&client, registry, limit).await })
    }

    async fn reserve_serials(&self, count: u32) -> Result<Range<u32>, StoreError> {
        let pool = self.pool.clone();
        self.runtime
            .run(async move {
                let client = pool.get().await.map_err(pool_error)?;
                reserve(&client, count).await.map_err(db)?
            })
            .await
    }

    async fn record_permit(&self, permit: PermitRecord, limits: Limits) -> Result<Recorded, StoreError> {
        let pool = self.pool.clone();
        self.runtime
            .run(async move {
                let mut tries = 0;
                loop {
                    let mut client = pool.get().await.map_err(pool_error)?;
                    match record(&mut client, &permit, &limits).await {
                        Ok(answer) => return answer,
                        Err(e) if retryable(&e) && tries < RETRIES => tries += 1,
                        Err(e) => return Err(db(e)),
                    }
                }
            })
            .await
    }

    async fn record_issued_many(&self, permits: Vec<PermitRecord>) -> Result<(), StoreError> {
        if permits.is_empty() {
            return Ok(());
        }
        let pool = self.pool.clone();
        self.runtime
            .run(async move {
                let mut tries = 0;
                loop {
                    let mut client = pool.get().await.map_err(pool_error)?;
                    match issue_unlimited(&mut client, &permits).await {
                        Ok(()) => return Ok(()),
                        Err(e) if retryable(&e) && tries < RETRIES => tries += 1,
                        Err(e) => return Err(db(e)),
                    }
                }
            })
            .await
    }

    fn organisations(&self) -> Result<AuthorisedOrganisations, StoreError> {
        self.read(|client| async move {
            let rows = client
                .query("SELECT tax_id, name, sector, zones, until FROM organisations ORDER BY tax_id", &[])
                .await
                .map_err(db)?;
            let list = rows.iter().map(organisation_of).collect::<Result<Vec<_>, _>>()?;
            AuthorisedOrganisations::new(list)
                .map_err(|e| StoreError::Damaged(format!("the authorised organisations: {e}")))
        })
    }

    /// One `unnest` insert per [`IMPORT_CHUNK`] organisations, all in one transaction.
    fn replace_organisations(&self, organisations: &AuthorisedOrganisations) -> Result<(), StoreError> {
        let list = organisations.clone();
        self.read(move |mut client| async move {
            let tx = client.transaction().await.map_err(db)?;
            tx.execute("DELETE FROM organisations", &[]).await.map_err(db)?;
            let insert = tx
                .prepare(
                    "INSERT INTO organisations (tax_id, name, sector, zones, until)
                     SELECT t, n, s, string_to_array(z, ';')::INTEGER[], u
                     FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[]) AS r(t, n, s, z, u)",
                )
                .await
                .map_err(db)?;
            for chunk in list.as_slice().chunks(IMPORT_CHUNK) {
                let tax: Vec<i64> = chunk.iter().map(|o| o.tax_id.get() as i64).collect();
                let names: Vec<&str> = chunk.iter().map(|o| o.name.as_str()).collect();
                let sectors: Vec<&str> = chunk.iter().map(|o| o.sector.as_str()).collect();
                let zones: Vec<String> = chunk
                    .iter()
                    .map(|o| o.zones.iter().map(|z| z.get().to_string()).collect::<Vec<_>>().join(";"))
                    .collect();
                let until: Vec<Option<i64>> =
                    chunk.iter().map(|o| o.until.map(|u| i64::from(u.unix_minutes()))).collect();
                tx.execute(&insert, &[&tax, &names, &sectors, &zones, &until]).await.map_err(db)?;
            }
            tx.commit().await.map_err(db)
        })
    }

    fn regimes(&self) -> Result<Vec<String>, StoreError> {
        self.read(|client| async move {
            let rows = client.query("SELECT toml FROM regimes ORDER BY loaded, id", &[]).await.map_err(db)?;
            rows.iter().map(|r| col(r, 0)).collect()
        })
    }

    fn put_regime(&self, id: &str, toml: &str) -> Result<(), StoreError> {
        let (id, toml) = (id.to_owned(), toml.to_owned());
        self.read(move |client| crate::shared::put_regime(client, id, toml))
    }

    fn generations(&self) -> Result<Generations, StoreError> {
        self.read(crate::shared::generations)
    }

    fn trust_list_reloaded(&self, version: u64) -> Result<(), StoreError> {
        self.read(move |client| crate::shared::trust_list_reloaded(client, version))
    }

    fn valid_permits(&self, document: &str, at: UtcMinute) -> Result<Vec<PermitSerial>, StoreError> {
        let mut many = self.valid_permits_many(&[document.to_owned()], at)?;
        Ok(many.remove(document).unwrap_or_default())
    }

    fn valid_permits_many(
        &self,
        documents: &[String],
        at: UtcMinute,
    ) -> Result<BTreeMap<String, Vec<PermitSerial>>, StoreError> {
        let documents = documents.to_vec();
        self.read(move |client| async move { crate::feeds::valid_permits_many(&client, documents, at).await })
    }

    /// A round trip (`SELECT 1`) on a pooled connection; the pool replaces a
    /// connection the database broke first, so this fails exactly while no
    /// new connection can be made. Bounded by [`PgConfig::connect_timeout`].
    async fn ready(&self) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        self.runtime
            .run(async move {
                let client = pool.get().await.map_err(pool_error)?;
                client.simple_query("SELECT 1").await.map_err(db)?;
                Ok(())
            })
            .await
    }

    async fn record_refused(&self, request: RefusedRequest) -> Result<(), StoreError> {
        let pool = self.pool.clone();
        self.runtime
            .run(async move {
                let client = pool.get().await.map_err(pool_error)?;
                crate::reports::insert_refused(&client, &request).await
            })
            .await
    }

    fn search(&self, search: &Search) -> Result<Vec<Found>, StoreError> {
        let search = search.clone();
        self.read(move |client| async move { crate::reports::search(&client, &search).await })
    }

    fn code_hours(&self, from: UtcMinute, to: UtcMinute) -> Result<Vec<CodeHour>, StoreError> {
        self.read(move |client| async move { crate::reports::code_hours(&client, from, to).await })
    }

    fn top_requesters(
        &self,
        code: u8,
        from: UtcMinute,
        to: UtcMinute,
        limit: u32,
    ) -> Result<TopRequesters, StoreError> {
        self.read(move |client| async move { crate::reports::top_requesters(&client, code, from, to, limit).await })
    }
}

/// A stored organisation; a value out of its range is damage.
fn organisation_of(r: &Row) -> Result<AuthorisedOrganisation, StoreError> {
    let tax: i64 = col(r, 0)?;
    let tax_id = TaxId::new(fits(tax, "a tax id")?).ok_or_else(|| StoreError::Damaged(format!("tax id {tax}")))?;
    let zones: Vec<i32> = col(r, 3)?;
    let zones = zones
        .into_iter()
        .map(|z| {
            fits::<u16>(i64::from(z), "a zone")
                .and_then(|z| ZoneId::new(z).ok_or_else(|| StoreError::Damaged(format!("zone {z}"))))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let until: Option<i64> = col(r, 4)?;
    Ok(AuthorisedOrganisation {
        tax_id,
        name: col(r, 1)?,
        sector: col(r, 2)?,
        zones,
        until: until.map(minute).transpose()?,
    })
}

fn person_of(birth_day: i32, zone: i32) -> Result<Person, StoreError> {
    let zone =
        u16::try_from(zone).ok().and_then(ZoneId::new).ok_or_else(|| StoreError::Damaged(format!("zone {zone}")))?;
    Ok(Person { birth_day, zone })
}

pub(crate) fn denial_of(
    reason: Option<String>,
    until: Option<i64>,
    at: UtcMinute,
) -> Result<Option<Denial>, StoreError> {
    let Some(reason) = reason else { return Ok(None) };
    let until = until.map(minute).transpose()?;
    Ok(until.is_none_or(|u| at < u).then_some(Denial { reason, until }))
}
