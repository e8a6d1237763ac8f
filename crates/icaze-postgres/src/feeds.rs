//! The registry feeds on PostgreSQL: the agencies' credentials, a batch
//! applied with its record in one transaction, and the records read back.
//!
//! A batch's id is claimed first, by inserting its record: a batch sent to
//! two instances at once waits on the unique key of `(agency, batch_id)` for
//! the other's transaction, and then finds its record. The rows go as runs
//! of one kind of change, each run in statements of up to [`CHUNK`] rows
//! (`unnest`), in the batch's order.

use std::collections::{BTreeMap, BTreeSet};

use deadpool_postgres::{Client, Transaction};
use icaze_core::{PermitSerial, UtcMinute};
use icaze_permits::feeds::{
    BatchApplied, BatchRecord, FeedBatch, FeedChange, FeedCredential, Registry, RevokeCause, ToRevoke,
};
use icaze_permits::store::StoreError;
use tokio_postgres::Row;

use crate::permits::{col, db, denial_of, fits};

/// The permits still valid at `at` of each of `documents` that holds any,
/// read through the index by document and validity, [`CHUNK`] documents a
/// statement (`= ANY`).
pub(crate) async fn valid_permits_many(
    client: &Client,
    documents: Vec<String>,
    at: UtcMinute,
) -> Result<BTreeMap<String, Vec<PermitSerial>>, StoreError> {
    let query = client
        .prepare_cached(
            "SELECT document, serial FROM permits WHERE document = ANY($1) AND valid_until > $2
             ORDER BY document, serial",
        )
        .await
        .map_err(db)?;
    let mut found: BTreeMap<String, Vec<PermitSerial>> = BTreeMap::new();
    for chunk in documents.chunks(CHUNK) {
        let rows = client.query(&query, &[&chunk, &i64::from(at.unix_minutes())]).await.map_err(db)?;
        for row in &rows {
            let serial = PermitSerial(fits(col::<i64>(row, 1)?, "a serial")?);
            found.entry(col(row, 0)?).or_default().push(serial);
        }
    }
    Ok(found)
}

/// The queue of documents to revoke, at most `limit`, in document order.
pub(crate) async fn queued(client: &Client, limit: u32) -> Result<Vec<ToRevoke>, StoreError> {
    let rows = client
        .query(
            "SELECT document, cause, feed FROM to_revoke ORDER BY document, cause, feed LIMIT $1",
            &[&i64::from(limit)],
        )
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| {
            let cause: i16 = col(r, 1)?;
            let cause = RevokeCause::from_code(i64::from(cause))
                .ok_or_else(|| StoreError::Damaged(format!("cause {cause} of a revocation to apply")))?;
            Ok(ToRevoke { document: col(r, 0)?, cause, feed: col(r, 2)? })
        })
        .collect()
}

/// These entries leave the queue, in one statement (one queued again
/// since, with another feed, is another entry and stays).
pub(crate) async fn applied(client: &Client, done: Vec<ToRevoke>) -> Result<(), StoreError> {
    let documents: Vec<&str> = done.iter().map(|d| d.document.as_str()).collect();
    let causes: Vec<i16> = done.iter().map(|d| d.cause.code()).collect();
    let feeds: Vec<&str> = done.iter().map(|d| d.feed.as_str()).collect();
    client
        .execute(
            "DELETE FROM to_revoke t USING unnest($1::text[], $2::smallint[], $3::text[]) AS d(document, cause, feed)
             WHERE t.document = d.document AND t.cause = d.cause AND t.feed = d.feed",
            &[&documents, &causes, &feeds],
        )
        .await
        .map_err(db)?;
    Ok(())
}

/// Of `queued`, in order, the entries whose cause still holds at `at`: a
/// denial in force ([`denial_of`], as `PermitStore::denial` judges it), a
/// document still out of the population registry. One statement of up to
/// [`CHUNK`] distinct documents: each document's denial (if any) and whether
/// the registry has it, read through both primary keys.
pub(crate) async fn still_to_revoke(
    client: &Client,
    queued: Vec<ToRevoke>,
    at: UtcMinute,
) -> Result<Vec<ToRevoke>, StoreError> {
    let query = client
        .prepare_cached(
            "SELECT q.document, d.reason, d.until, EXISTS (SELECT 1 FROM people p WHERE p.document = q.document)
             FROM unnest($1::text[]) AS q(document) LEFT JOIN denials d ON d.document = q.document",
        )
        .await
        .map_err(db)?;
    let documents: Vec<&str> =
        queued.iter().map(|e| e.document.as_str()).collect::<BTreeSet<_>>().into_iter().collect();
    // Each document: denied now, registered now.
    let mut found: BTreeMap<String, (bool, bool)> = BTreeMap::new();
    for chunk in documents.chunks(CHUNK) {
        for row in client.query(&query, &[&chunk]).await.map_err(db)? {
            let denied = denial_of(col(&row, 1)?, col(&row, 2)?, at)?.is_some();
            found.insert(col(&row, 0)?, (denied, col(&row, 3)?));
        }
    }
    let mut held = Vec::with_capacity(queued.len());
    for entry in queued {
        let (denied, registered) = found
            .get(&entry.document)
            .copied()
            .ok_or_else(|| StoreError::Damaged(format!("no answer for queued document {:?}", entry.document)))?;
        let holds = match entry.cause {
            RevokeCause::Denied => denied,
            RevokeCause::Cancelled => !registered,
        };
        if holds {
            held.push(entry);
        }
    }
    Ok(held)
}

/// Rows one statement sends.
const CHUNK: usize = 5_000;

fn minute(value: i64) -> Result<UtcMinute, StoreError> {
    Ok(UtcMinute::from_unix_minutes(fits(value, "a time")?))
}

fn registry(name: &str) -> Result<Registry, StoreError> {
    Registry::parse(name).ok_or_else(|| StoreError::Damaged(format!("registry {name:?} of a feed")))
}

fn credential_of(r: &Row) -> Result<FeedCredential, StoreError> {
    Ok(FeedCredential {
        agency: col(r, 0)?,
        registry: registry(&col::<String>(r, 1)?)?,
        token_hash: col(r, 2)?,
        created_at: minute(col(r, 3)?)?,
        expires_at: col::<Option<i64>>(r, 4)?.map(minute).transpose()?,
    })
}

const CREDENTIAL_COLUMNS: &str = "agency, registry, token_hash, created_at, expires_at";

const RECORD_COLUMNS: &str = "agency, registry, batch_id, hash, received_at, added, removed";

fn record_of(r: &Row) -> Result<BatchRecord, StoreError> {
    Ok(BatchRecord {
        agency: col(r, 0)?,
        registry: registry(&col::<String>(r, 1)?)?,
        batch_id: col(r, 2)?,
        hash: col(r, 3)?,
        received_at: minute(col(r, 4)?)?,
        added: fits(col::<i64>(r, 5)?, "a count")?,
        removed: fits(col::<i64>(r, 6)?, "a count")?,
    })
}

/// Keeps a credential unless its agency has one.
pub(crate) async fn add(client: &Client, c: FeedCredential) -> Result<bool, StoreError> {
    let added = client
        .execute(
            "INSERT INTO feeds (agency, registry, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
            &[
                &c.agency,
                &c.registry.as_str(),
                &c.token_hash,
                &i64::from(c.created_at.unix_minutes()),
                &c.expires_at.map(|at| i64::from(at.unix_minutes())),
            ],
        )
        .await
        .map_err(db)?;
    Ok(added == 1)
}

/// Every credential, by agency.
pub(crate) async fn all(client: &Client) -> Result<Vec<FeedCredential>, StoreError> {
    let rows =
        client.query(&format!("SELECT {CREDENTIAL_COLUMNS} FROM feeds ORDER BY agency"), &[]).await.map_err(db)?;
    rows.iter().map(credential_of).collect()
}

/// The credential of a token's hash.
pub(crate) async fn by_token_hash(client: &Client, hash: String) -> Result<Option<FeedCredential>, StoreError> {
    let query = client
        .prepare_cached(&format!("SELECT {CREDENTIAL_COLUMNS} FROM feeds WHERE token_hash = $1"))
        .await
        .map_err(db)?;
    client.query_opt(&query, &[&hash]).await.map_err(db)?.as_ref().map(credential_of).transpose()
}

/// The records of `registry`'s batches, newest first.
pub(crate) async fn batches(client: &Client, registry: Registry, limit: u32) -> Result<Vec<BatchRecord>, StoreError> {
    let rows = client
        .query(
            &format!("SELECT {RECORD_COLUMNS} FROM feed_batches WHERE registry = $1 ORDER BY id DESC LIMIT $2"),
            &[&registry.as_str(), &i64::from(limit)],
        )
        .await
        .map_err(db)?;
    rows.iter().map(record_of).collect()
}

/// Applies `batch` in `tx` unless its agency sent its id before; the caller
/// commits only an `Applied`.
pub(crate) async fn apply(tx: &Transaction<'_>, batch: &FeedBatch) -> Result<BatchApplied, StoreError> {
    let r = &batch.record;
    let claimed = tx
        .execute(
            &format!(
                "INSERT INTO feed_batches ({RECORD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (agency, batch_id) DO NOTHING"
            ),
            &[
                &r.agency,
                &r.registry.as_str(),
                &r.batch_id,
                &r.hash,
                &i64::from(r.received_at.unix_minutes()),
                &i64::from(r.added),
                &i64::from(r.removed),
            ],
        )
        .await
        .map_err(db)?;
    if claimed == 0 {
        let row = tx
            .query_one(
                &format!("SELECT {RECORD_COLUMNS} FROM feed_batches WHERE agency = $1 AND batch_id = $2"),
                &[&r.agency, &r.batch_id],
            )
            .await
            .map_err(db)?;
        let before = record_of(&row)?;
        return Ok(if before.hash == r.hash { BatchApplied::Replayed(before) } else { BatchApplied::Conflict(before) });
    }
    let mut start = 0;
    while start < batch.changes.len() {
        let kind = std::mem::discriminant(&batch.changes[start]);
        let end = batch.changes[start..]
            .iter()
            .take(CHUNK)
            .position(|c| std::mem::discriminant(c) != kind)
            .map_or((start + CHUNK).min(batch.changes.len()), |n| start + n);
        run(tx, &batch.changes[start..end], &r.agency).await?;
        start = end;
    }
    Ok(BatchApplied::Applied(r.clone()))
}

/// A run of changes of one kind, in one or two statements.
async fn run(tx: &Transaction<'_>, changes: &[FeedChange], agency: &str) -> Result<(), StoreError> {
    // `ON CONFLICT DO UPDATE` may not touch a row twice in a statement: the
    // last row of a document in the run wins, as it would one by one.
    let mut denials = BTreeMap::new();
    let mut people = BTreeMap::new();
    let mut removed = Vec::new();
    let mut phones = (Vec::new(), Vec::new());
    for change in changes {
        match change {
            FeedChange::Deny(d) => {
                denials.insert(d.document.as_str(), (d.reason.as_str(), d.until.map(|u| i64::from(u.unix_minutes()))));
            }
            FeedChange::Person(p) => {
                people.insert(p.document.as_str(), (p.birth_day, i32::from(p.zone.get())));
            }
            FeedChange::Undeny(document) | FeedChange::Cancel(document) => removed.push(document.as_str()),
            FeedChange::Phone(p) | FeedChange::Unphone(p) => {
                phones.0.push(p.document.as_str());
                phones.1.push(p.phone.as_str());
            }
        }
    }
    let queue = "INSERT INTO to_revoke (document, cause, feed) SELECT d, $2, $3 FROM unnest($1::text[]) AS d
                 ON CONFLICT DO NOTHING";
    match changes.first() {
        Some(FeedChange::Deny(_)) => {
            let documents: Vec<&str> = denials.keys().copied().collect();
            let reasons: Vec<&str> = denials.values().map(|(r, _)| *r).collect();
            let untils: Vec<Option<i64>> = denials.values().map(|(_, u)| *u).collect();
            tx.execute(
                "INSERT INTO denials (document, reason, until) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
                 ON CONFLICT (document) DO UPDATE SET reason = excluded.reason, until = excluded.until",
                &[&documents, &reasons, &untils],
            )
            .await
            .map_err(db)?;
            tx.execute(queue, &[&documents, &RevokeCause::Denied.code(), &agency]).await.map_err(db)?;
        }
        Some(FeedChange::Undeny(_)) => {
            tx.execute("DELETE FROM denials WHERE document = ANY($1)", &[&removed]).await.map_err(db)?;
        }
        Some(FeedChange::Person(_)) => {
            let documents: Vec<&str> = people.keys().copied().collect();
            let births: Vec<i32> = people.values().map(|(b, _)| *b).collect();
            let zones: Vec<i32> = people.values().map(|(_, z)| *z).collect();
            tx.execute(
                "INSERT INTO people (document, birth_day, zone) SELECT * FROM unnest($1::text[], $2::int[], $3::int[])
                 ON CONFLICT (document) DO UPDATE SET birth_day = excluded.birth_day, zone = excluded.zone",
                &[&documents, &births, &zones],
            )
            .await
            .map_err(db)?;
        }
        Some(FeedChange::Cancel(_)) => {
            tx.execute("DELETE FROM people WHERE document = ANY($1)", &[&removed]).await.map_err(db)?;
            tx.execute(queue, &[&removed, &RevokeCause::Cancelled.code(), &agency]).await.map_err(db)?;
        }
        Some(FeedChange::Phone(_)) => {
            tx.execute(
                "INSERT INTO phones (document, phone) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
                &[&phones.0, &phones.1],
            )
            .await
            .map_err(db)?;
        }
        Some(FeedChange::Unphone(_)) => {
            tx.execute(
                "DELETE FROM phones p USING unnest($1::text[], $2::text[]) AS u(document, phone)
                 WHERE p.document = u.document AND p.phone = u.phone",
                &[&phones.0, &phones.1],
            )
            .await
            .map_err(db)?;
        }
        None => {}
    }
    Ok(())
}
