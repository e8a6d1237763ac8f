//! The permits store's writer thread: every job waiting committed in one
//! transaction (group commit), the daily limits checked and bumped in it.

use super::*;

/// The writer: takes every job waiting (up to `max_batch`), runs them all in
/// one transaction, commits once, then answers them all. Nobody hears
/// `Issued` before the commit returned.
pub(super) fn write_loop(
    mut conn: Connection,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    max_batch: usize,
    checkpointer: &Checkpointer,
    queued: &AtomicU64,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let results = run_batch(&mut conn, &batch);
        checkpointer.committed(batch.len() as u64);
        checkpointer.restart_if_wanted(&conn, "icaze.db");
        for (job, result) in batch.drain(..).zip(results) {
            // Off the queue before its answer goes out: whoever hears the answer
            // (and reads the gauge next) no longer counts it as waiting.
            queued.fetch_sub(1, Ordering::Relaxed);
            match (job, result) {
                (Job::Record(_, _, reply), Answer::Recorded(r)) => {
                    let _ = reply.send(r);
                }
                (Job::Reserve(_, reply), Answer::Reserved(r)) => {
                    let _ = reply.send(r);
                }
                (Job::Record(_, _, reply), Answer::Failed(e)) => {
                    let _ = reply.send(Err(Error::Damaged(e)));
                }
                (Job::Reserve(_, reply), Answer::Failed(e)) => {
                    let _ = reply.send(Err(Error::Damaged(e)));
                }
                (Job::Issue(_, reply), Answer::Issued(r)) => {
                    let _ = reply.send(r);
                }
                (Job::Issue(_, reply) | Job::Refused(_, reply), Answer::Failed(e)) => {
                    let _ = reply.send(Err(Error::Damaged(e)));
                }
                (Job::Refused(_, reply), Answer::Issued(r)) => {
                    let _ = reply.send(r);
                }
                // Invariant: run_batch answers each job with its own kind or Failed.
                _ => {}
            }
        }
    }
}

enum Answer {
    Recorded(Result<Recorded, Error>),
    Reserved(Result<Range<u32>, Error>),
    Issued(Result<(), Error>),
    Failed(String),
}

/// Runs a batch in one transaction. A permit's job runs without a savepoint
/// of its own: `record` leaves no trace when it refuses, and the statements
/// of a savepoint (and the copies of the pages it may have to restore) were a
/// good part of the writer's work per permit. If a statement fails (a full
/// disk, a damaged page), the whole transaction is rolled back and the batch
/// runs again with a savepoint per job, so that one bad job fails alone.
fn run_batch(conn: &mut Connection, batch: &[Job]) -> Vec<Answer> {
    match run_batch_fast(conn, batch) {
        Some(answers) => answers,
        None => run_batch_savepoints(conn, batch),
    }
}

/// [`run_batch`]'s common path; `None` if a permit's job failed (nothing of
/// the batch is then kept).
fn run_batch_fast(conn: &mut Connection, batch: &[Job]) -> Option<Vec<Answer>> {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return Some(batch.iter().map(|_| Answer::Failed(format!("begin: {e}"))).collect()),
    };
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let answer = match job {
            Job::Record(permit, limits, _) => match record(&tx, permit, limits) {
                Ok(recorded) => Answer::Recorded(Ok(recorded)),
                // Dropping the transaction rolls it back.
                Err(_) => return None,
            },
            Job::Reserve(count, _) => Answer::Reserved(in_savepoint(&tx, |tx| reserve(tx, *count), |_| true)),
            Job::Issue(permits, _) => Answer::Issued(in_savepoint(&tx, |tx| issue_unlimited(tx, permits), |_| true)),
            Job::Refused(request, _) => match insert_refused(&tx, request) {
                Ok(()) => Answer::Issued(Ok(())),
                Err(_) => return None,
            },
        };
        answers.push(answer);
    }
    if let Err(e) = tx.commit() {
        tracing::error!(error = %e, "commit failed: {} requests refused", batch.len());
        return Some(batch.iter().map(|_| Answer::Failed(format!("commit: {e}"))).collect());
    }
    Some(answers)
}

/// [`run_batch`] with a savepoint per job, after a failure of the fast path.
fn run_batch_savepoints(conn: &mut Connection, batch: &[Job]) -> Vec<Answer> {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return batch.iter().map(|_| Answer::Failed(format!("begin: {e}"))).collect(),
    };
    let mut answers = Vec::with_capacity(batch.len());
    for job in batch {
        let answer = match job {
            Job::Record(permit, limits, _) => {
                Answer::Recorded(in_savepoint(&tx, |tx| record(tx, permit, limits), |r| *r == Recorded::Issued))
            }
            Job::Reserve(count, _) => Answer::Reserved(in_savepoint(&tx, |tx| reserve(tx, *count), |_| true)),
            Job::Issue(permits, _) => Answer::Issued(in_savepoint(&tx, |tx| issue_unlimited(tx, permits), |_| true)),
            Job::Refused(request, _) => Answer::Issued(in_savepoint(&tx, |tx| insert_refused(tx, request), |_| true)),
        };
        answers.push(answer);
    }
    if let Err(e) = tx.commit() {
        tracing::error!(error = %e, "commit failed: {} requests refused", batch.len());
        return batch.iter().map(|_| Answer::Failed(format!("commit: {e}"))).collect();
    }
    answers
}

/// Runs one job in a savepoint: kept when it succeeds and `keep` says so,
/// undone otherwise (an error, or a refusal that must leave no trace).
fn in_savepoint<T>(
    tx: &rusqlite::Transaction<'_>,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, Error>,
    keep: impl FnOnce(&T) -> bool,
) -> Result<T, Error> {
    // Cached statements: parsing them for every job showed in the writer's profile (sqlite3RunParser).
    tx.prepare_cached("SAVEPOINT job")?.execute([])?;
    let result = f(tx);
    if !result.as_ref().is_ok_and(keep) {
        tx.prepare_cached("ROLLBACK TO job")?.execute([])?;
    }
    tx.prepare_cached("RELEASE job")?.execute([])?;
    result
}

fn reserve(tx: &rusqlite::Transaction<'_>, count: u32) -> Result<Range<u32>, Error> {
    let start: u32 = tx.query_row("SELECT reserved_until FROM serials WHERE id = 1", [], |r| r.get(0))?;
    let end = start.checked_add(count).ok_or_else(|| Error::Damaged("serial numbers exhausted".into()))?;
    tx.execute("UPDATE serials SET reserved_until = ?1 WHERE id = 1", [end])?;
    Ok(start..end)
}

/// The limits and the insert. The counters are bumped only below their limit
/// (`WHERE count < limit`, and for the document a row `n` only while `n` is
/// within its limit), in the writer's transaction, so the database, not a lock
/// in memory, holds the daily limit under any concurrency.
///
/// A refusal leaves no trace, without a savepoint: the phone's counters are
/// bumped first; if the phone is at a limit nothing more is written, and if
/// the document then is at one of its own, the phone's bumps are taken back
/// (`count - 1`, exact because nothing else ran in between). A document at its
/// daily limit is told so (its permit is sent again) before a phone at its
/// limit or a document at its weekly cap, as when the document's counter was
/// bumped first.
fn record(tx: &rusqlite::Transaction<'_>, p: &PermitRecord, limits: &Limits) -> Result<Recorded, Error> {
    if let Some(replaced) = limits.replaces {
        return replace(tx, p, limits, replaced);
    }
    let phone_bumped = tx
        .prepare_cached(
            "INSERT INTO phone_day (day, phone, count) VALUES (?1, ?2, 1)
             ON CONFLICT (day, phone) DO UPDATE SET count = count + 1 WHERE count < ?3",
        )?
        .execute(params![limits.day, p.phone, limits.per_phone])?;
    let code_bumped = phone_bumped == 1 && bump_phone_code(tx, p, limits)?;
    if !code_bumped {
        if phone_bumped == 1 {
            take_back_phone(tx, p, limits, false)?;
        }
        return if document_count(tx, p, limits)? >= limits.per_document {
            Ok(Recorded::DocumentLimit { last: last_permit(tx, p, limits)? })
        } else {
            Ok(Recorded::PhoneLimit)
        };
    }
    if let Some(per_week) = limits.per_week {
        let week: u32 = tx
            .prepare_cached(
                "SELECT count(*) FROM document_permits WHERE document = ?1 AND day BETWEEN ?2 - 6 AND ?2 AND code = ?3",
            )?
            .query_row(params![p.document, limits.day, p.code], |r| r.get(0))?;
        if week >= per_week {
            take_back_phone(tx, p, limits, true)?;
            return if document_count(tx, p, limits)? >= limits.per_document {
                Ok(Recorded::DocumentLimit { last: last_permit(tx, p, limits)? })
            } else {
                Ok(Recorded::WeekLimit)
            };
        }
    }
    // One row more for the document only while the day's count is below its limit.
    let document_bumped = tx
        .prepare_cached(
            "INSERT INTO document_permits (document, day, code, n, serial)
             SELECT ?1, ?2, ?3, coalesce(max(n), 0) + 1, ?4 FROM document_permits
             WHERE document = ?1 AND day = ?2 AND code = ?3
             HAVING coalesce(max(n), 0) < ?5",
        )?
        .execute(params![p.document, limits.day, p.code, p.serial.0, limits.per_document])?;
    if document_bumped == 0 {
        take_back_phone(tx, p, limits, true)?;
        return Ok(Recorded::DocumentLimit { last: last_permit(tx, p, limits)? });
    }
    insert_permit(tx, p)?;
    Ok(Recorded::Issued)
}

/// Bumps the phone's counter of the permit's code below the regime's cap, if
/// the code has one; whether the permit fits it.
fn bump_phone_code(tx: &rusqlite::Transaction<'_>, p: &PermitRecord, limits: &Limits) -> Result<bool, Error> {
    let Some(cap) = limits.per_phone_code else { return Ok(true) };
    if cap == 0 {
        return Ok(false);
    }
    let bumped = tx
        .prepare_cached(
            "INSERT INTO phone_code_day (day, phone, code, count) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (day, phone, code) DO UPDATE SET count = count + 1 WHERE count < ?4",
        )?
        .execute(params![limits.day, p.phone, p.code, cap])?;
    Ok(bumped == 1)
}

/// Takes back the phone's bump of the day, and of the code's counter if it
/// was bumped too.
fn take_back_phone(
    tx: &rusqlite::Transaction<'_>,
    p: &PermitRecord,
    limits: &Limits,
    code_too: bool,
) -> Result<(), Error> {
    tx.prepare_cached("UPDATE phone_day SET count = count - 1 WHERE day = ?1 AND phone = ?2")?
        .execute(params![limits.day, p.phone])?;
    if code_too && limits.per_phone_code.is_some() {
        tx.prepare_cached("UPDATE phone_code_day SET count = count - 1 WHERE day = ?1 AND phone = ?2 AND code = ?3")?
            .execute(params![limits.day, p.phone, p.code])?;
    }
    Ok(())
}

/// The document's permits of the code on the day.
fn document_count(tx: &rusqlite::Transaction<'_>, p: &PermitRecord, limits: &Limits) -> Result<u32, Error> {
    Ok(tx
        .prepare_cached(
            "SELECT coalesce(max(n), 0) FROM document_permits WHERE document = ?1 AND day = ?2 AND code = ?3",
        )?
        .query_row(params![p.document, limits.day, p.code], |r| r.get(0))?)
}

/// Records `p` in place of the day's permit `replaced` (see
/// [`Limits::replaces`]): the document's last row for the day and code moves
/// to `p` only if it still names `replaced`, in the writer's transaction, so
/// of many requests at once exactly one replaces it and the others are given
/// its permit.
fn replace(
    tx: &rusqlite::Transaction<'_>,
    p: &PermitRecord,
    limits: &Limits,
    replaced: PermitSerial,
) -> Result<Recorded, Error> {
    let moved = tx
        .prepare_cached(
            "UPDATE document_permits SET serial = ?4
             WHERE document = ?1 AND day = ?2 AND code = ?3 AND serial = ?5
               AND n = (SELECT max(n) FROM document_permits WHERE document = ?1 AND day = ?2 AND code = ?3)",
        )?
        .execute(params![p.document, limits.day, p.code, p.serial.0, replaced.0])?;
    if moved == 0 {
        return Ok(Recorded::DocumentLimit { last: last_permit(tx, p, limits)? });
    }
    insert_permit(tx, p)?;
    Ok(Recorded::Issued)
}

/// The last permit of the document for the day and code.
fn last_permit(tx: &rusqlite::Transaction<'_>, p: &PermitRecord, limits: &Limits) -> Result<Option<LastPermit>, Error> {
    Ok(tx
        .prepare_cached(
            "SELECT p.serial, p.key_id, p.token, p.valid_from, p.valid_until, p.phone
             FROM document_permits d JOIN permits p ON p.serial = d.serial
             WHERE d.document = ?1 AND d.day = ?2 AND d.code = ?3
             ORDER BY d.n DESC LIMIT 1",
        )?
        .query_row(params![p.document, limits.day, p.code], last_permit_row)
        .optional()?)
}

/// The row of [`last_permit`]'s SELECT, read by position: it is on the
/// permit insert path (every request over a daily limit), where a read by
/// name would look each name up among the columns.
fn last_permit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LastPermit> {
    // The positions of `p.serial, p.key_id, p.token, p.valid_from, p.valid_until, p.phone`.
    const SERIAL: usize = 0;
    const KEY_ID: usize = 1;
    const TOKEN: usize = 2;
    const VALID_FROM: usize = 3;
    const VALID_UNTIL: usize = 4;
    const PHONE: usize = 5;
    Ok(LastPermit {
        serial: PermitSerial(r.get(SERIAL)?),
        key_id: r.get(KEY_ID)?,
        token: r.get(TOKEN)?,
        valid_from: UtcMinute::from_unix_minutes(r.get(VALID_FROM)?),
        valid_until: UtcMinute::from_unix_minutes(r.get(VALID_UNTIL)?),
        phone: r.get(PHONE)?,
    })
}

/// Records permits of the channels without daily limits (the portal, the 102
/// console): each gets the next row of its document for its day.
fn issue_unlimited(tx: &rusqlite::Transaction<'_>, permits: &[PermitRecord]) -> Result<(), Error> {
    for p in permits {
        tx.prepare_cached(
            "INSERT INTO document_permits (document, day, code, n, serial)
             SELECT ?1, ?2, ?3, coalesce(max(n), 0) + 1, ?4 FROM document_permits
             WHERE document = ?1 AND day = ?2 AND code = ?3",
        )?
        .execute(params![p.document, baku_day(p.issued_at), p.code, p.serial.0])?;
        insert_permit(tx, p)?;
    }
    Ok(())
}

fn insert_refused(tx: &rusqlite::Transaction<'_>, r: &RefusedRequest) -> Result<(), Error> {
    tx.prepare_cached("INSERT INTO refused (at, phone, document, code, reason) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![r.at.unix_minutes(), r.phone, r.document, r.code, r.reason])?;
    Ok(())
}

fn insert_permit(tx: &rusqlite::Transaction<'_>, p: &PermitRecord) -> Result<(), Error> {
    tx.prepare_cached(
        "INSERT INTO permits (serial, document, code, purpose, zone, key_id, issued_at, valid_from, valid_until, phone, token)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        p.serial.0,
        p.document,
        p.code,
        p.purpose,
        p.zone.get(),
        p.key_id,
        p.issued_at.unix_minutes(),
        p.valid_from.unix_minutes(),
        p.valid_until.unix_minutes(),
        p.phone,
        p.token
    ])?;
    Ok(())
}
