//! The registry feeds in `registry.db`: the agencies' credentials, a batch
//! applied with its record in one transaction, and the records read back.

use std::collections::BTreeMap;

use icaze_core::{PermitSerial, UtcMinute};
use icaze_permits::feeds::{
    BatchApplied, BatchRecord, FeedBatch, FeedChange, FeedCredential, Registry, RevokeCause, ToRevoke,
};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::Error;

/// Documents one statement asks for: well under SQLite's bound on a
/// statement's parameters.
const DOCUMENTS_AT_ONCE: usize = 500;

/// The permits still valid at `at` of each of `documents` that holds any,
/// in statements of up to [`DOCUMENTS_AT_ONCE`] documents.
pub(super) fn valid_permits_many(
    c: &Connection,
    documents: &[String],
    at: UtcMinute,
) -> Result<BTreeMap<String, Vec<PermitSerial>>, Error> {
    let mut found: BTreeMap<String, Vec<PermitSerial>> = BTreeMap::new();
    for chunk in documents.chunks(DOCUMENTS_AT_ONCE) {
        let marks = vec!["?"; chunk.len()].join(",");
        let mut stmt = c.prepare_cached(&format!(
            "SELECT d.document, p.serial FROM document_permits d JOIN permits p ON p.serial = d.serial
             WHERE d.document IN ({marks}) AND p.valid_until > ? ORDER BY d.document, p.serial"
        ))?;
        let at = at.unix_minutes();
        let values =
            chunk.iter().map(|d| d as &dyn rusqlite::ToSql).chain(std::iter::once(&at as &dyn rusqlite::ToSql));
        let rows =
            stmt.query_map(rusqlite::params_from_iter(values), |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
        for row in rows {
            let (document, serial) = row?;
            found.entry(document).or_default().push(PermitSerial(serial));
        }
    }
    Ok(found)
}

/// The queue of documents to revoke, at most `limit`, in document order.
pub(super) fn queued(c: &Connection, limit: u32) -> Result<Vec<ToRevoke>, Error> {
    let mut stmt =
        c.prepare_cached("SELECT document, cause, feed FROM to_revoke ORDER BY document, cause, feed LIMIT ?1")?;
    let rows = stmt.query_map([limit], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?, r.get(2)?)))?;
    let mut queued = Vec::new();
    for row in rows {
        let (document, cause, feed) = row?;
        let cause = RevokeCause::from_code(cause)
            .ok_or_else(|| Error::Damaged(format!("cause {cause} of a revocation to apply")))?;
        queued.push(ToRevoke { document, cause, feed });
    }
    Ok(queued)
}

/// These entries leave the queue (one queued again since, with another
/// feed, is another entry and stays).
pub(super) fn applied(tx: &Transaction<'_>, done: &[ToRevoke]) -> Result<(), Error> {
    let mut delete = tx.prepare("DELETE FROM to_revoke WHERE document = ?1 AND cause = ?2 AND feed = ?3")?;
    for d in done {
        delete.execute(params![d.document, d.cause.code(), d.feed])?;
    }
    Ok(())
}

/// Of `queued`, in order, the entries whose cause still holds at `at`: a
/// denial in force, a document still out of the population registry. An
/// entry a lookup each, on one connection: on a local file each is a few
/// pages read from the cache, and the round needs no statement of its own
/// size.
pub(super) fn still_to_revoke(c: &Connection, queued: &[ToRevoke], at: UtcMinute) -> Result<Vec<ToRevoke>, Error> {
    let mut denial = c.prepare_cached("SELECT reason, until FROM denials WHERE document = ?1")?;
    let mut person = c.prepare_cached("SELECT 1 FROM people WHERE document = ?1")?;
    let mut held = Vec::new();
    for entry in queued {
        let holds = match entry.cause {
            RevokeCause::Denied => denial
                .query_row([&entry.document], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<u32>>(1)?)))
                .optional()?
                .and_then(|(reason, until)| super::denial_of(reason, until, at))
                .is_some(),
            RevokeCause::Cancelled => !person.exists([&entry.document])?,
        };
        if holds {
            held.push(entry.clone());
        }
    }
    Ok(held)
}

/// The registry of a stored name.
fn registry(name: &str) -> Result<Registry, Error> {
    Registry::parse(name).ok_or_else(|| Error::Damaged(format!("registry {name:?} of a feed")))
}

/// A credential's columns, as [`CREDENTIAL_COLUMNS`] reads them.
type CredentialRow = (String, String, String, u32, Option<u32>);

const CREDENTIAL_COLUMNS: &str = "agency, registry, token_hash, created_at, expires_at";

fn credential(r: &rusqlite::Row<'_>) -> rusqlite::Result<CredentialRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn credential_of((agency, name, token_hash, at, expires): CredentialRow) -> Result<FeedCredential, Error> {
    Ok(FeedCredential {
        agency,
        registry: registry(&name)?,
        token_hash,
        created_at: UtcMinute::from_unix_minutes(at),
        expires_at: expires.map(UtcMinute::from_unix_minutes),
    })
}

/// Keeps a credential unless its agency has one.
pub(super) fn add(tx: &Transaction<'_>, c: &FeedCredential) -> Result<bool, Error> {
    let added = tx.execute(
        "INSERT INTO feeds (agency, registry, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT DO NOTHING",
        params![
            c.agency,
            c.registry.as_str(),
            c.token_hash,
            c.created_at.unix_minutes(),
            c.expires_at.map(UtcMinute::unix_minutes)
        ],
    )?;
    Ok(added == 1)
}

/// Every credential, by agency.
pub(super) fn all(c: &Connection) -> Result<Vec<FeedCredential>, Error> {
    let mut stmt = c.prepare_cached(&format!("SELECT {CREDENTIAL_COLUMNS} FROM feeds ORDER BY agency"))?;
    let rows = stmt.query_map([], credential)?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(credential_of).collect()
}

/// The credential of a token's hash.
pub(super) fn by_token_hash(c: &Connection, hash: &str) -> Result<Option<FeedCredential>, Error> {
    let mut stmt = c.prepare_cached(&format!("SELECT {CREDENTIAL_COLUMNS} FROM feeds WHERE token_hash = ?1"))?;
    stmt.query_row([hash], credential).optional()?.map(credential_of).transpose()
}

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, String, u32, u32, u32)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
}

type RecordRow = (String, String, String, String, u32, u32, u32);

fn record_of((agency, name, batch_id, hash, at, added, removed): RecordRow) -> Result<BatchRecord, Error> {
    Ok(BatchRecord {
        agency,
        registry: registry(&name)?,
        batch_id,
        hash,
        received_at: UtcMinute::from_unix_minutes(at),
        added,
        removed,
    })
}

const RECORD_COLUMNS: &str = "agency, registry, batch_id, hash, received_at, added, removed";

/// Applies `batch` in `tx` unless its agency sent its id before; the caller
/// commits only an `Applied`.
pub(super) fn apply(tx: &Transaction<'_>, batch: &FeedBatch) -> Result<BatchApplied, Error> {
    let r = &batch.record;
    let before = tx
        .prepare_cached(&format!("SELECT {RECORD_COLUMNS} FROM feed_batches WHERE agency = ?1 AND batch_id = ?2"))?
        .query_row([&r.agency, &r.batch_id], record)
        .optional()?;
    if let Some(before) = before {
        let before = record_of(before)?;
        return Ok(if before.hash == r.hash { BatchApplied::Replayed(before) } else { BatchApplied::Conflict(before) });
    }
    let mut deny = tx.prepare_cached(
        "INSERT INTO denials (document, reason, until) VALUES (?1, ?2, ?3)
         ON CONFLICT (document) DO UPDATE SET reason = excluded.reason, until = excluded.until",
    )?;
    let mut undeny = tx.prepare_cached("DELETE FROM denials WHERE document = ?1")?;
    let mut person = tx.prepare_cached(
        "INSERT INTO people (document, birth_day, zone) VALUES (?1, ?2, ?3)
         ON CONFLICT (document) DO UPDATE SET birth_day = excluded.birth_day, zone = excluded.zone",
    )?;
    let mut cancel = tx.prepare_cached("DELETE FROM people WHERE document = ?1")?;
    let mut phone = tx.prepare_cached("INSERT OR IGNORE INTO phones (document, phone) VALUES (?1, ?2)")?;
    let mut unphone = tx.prepare_cached("DELETE FROM phones WHERE document = ?1 AND phone = ?2")?;
    let mut queue = tx.prepare_cached("INSERT OR IGNORE INTO to_revoke (document, cause, feed) VALUES (?1, ?2, ?3)")?;
    for change in &batch.changes {
        match change {
            FeedChange::Deny(d) => {
                deny.execute(params![d.document, d.reason, d.until.map(|u| u.unix_minutes())])?;
                queue.execute(params![d.document, RevokeCause::Denied.code(), r.agency])?;
            }
            FeedChange::Undeny(document) => {
                undeny.execute([document])?;
            }
            FeedChange::Person(p) => {
                person.execute(params![p.document, p.birth_day, p.zone.get()])?;
            }
            FeedChange::Cancel(document) => {
                cancel.execute([document])?;
                queue.execute(params![document, RevokeCause::Cancelled.code(), r.agency])?;
            }
            FeedChange::Phone(p) => {
                phone.execute([&p.document, &p.phone])?;
            }
            FeedChange::Unphone(p) => {
                unphone.execute([&p.document, &p.phone])?;
            }
        }
    }
    tx.execute(
        &format!("INSERT INTO feed_batches ({RECORD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        params![r.agency, r.registry.as_str(), r.batch_id, r.hash, r.received_at.unix_minutes(), r.added, r.removed],
    )?;
    Ok(BatchApplied::Applied(r.clone()))
}

/// The records of `registry`'s batches, newest first.
pub(super) fn batches(c: &Connection, registry: Registry, limit: u32) -> Result<Vec<BatchRecord>, Error> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {RECORD_COLUMNS} FROM feed_batches WHERE registry = ?1 ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![registry.as_str(), limit], record)?.collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(record_of).collect()
}
