//! The permits store's searches and the abuse report's counts (issue 23):
//! the permits and the SMS requests that got none, by time
//! (`permits_by_issued_at`, `refused_by_at`), the other conditions checked on
//! the rows of the period.

use deadpool_postgres::Client;
use icaze_core::{PermitSerial, UtcMinute};
use icaze_permits::store::{CodeHour, Found, RefusedRequest, Search, StoreError, TopRequesters};

use crate::permits::{col, db, fits};

fn minutes(at: UtcMinute) -> i64 {
    i64::from(at.unix_minutes())
}

fn minute(value: i64) -> Result<UtcMinute, StoreError> {
    Ok(UtcMinute::from_unix_minutes(fits(value, "a time")?))
}

pub(crate) async fn insert_refused(client: &Client, r: &RefusedRequest) -> Result<(), StoreError> {
    let insert = client
        .prepare_cached("INSERT INTO refused (at, phone, document, code, reason) VALUES ($1, $2, $3, $4, $5)")
        .await
        .map_err(db)?;
    client
        .execute(&insert, &[&minutes(r.at), &r.phone, &r.document, &i16::from(r.code), &r.reason])
        .await
        .map_err(db)?;
    Ok(())
}

pub(crate) async fn search(client: &Client, s: &Search) -> Result<Vec<Found>, StoreError> {
    let query = client
        .prepare_cached(
            "SELECT at, document, phone, code, serial, purpose, reason FROM (
                SELECT issued_at AS at, document, phone, code, serial, purpose, NULL::text AS reason FROM permits
                WHERE issued_at >= $1 AND issued_at < $2 AND ($3::text IS NULL OR document = $3)
                  AND ($4::text IS NULL OR phone = $4) AND ($5::smallint IS NULL OR code = $5)
                UNION ALL
                SELECT at, document, phone, code, NULL, 0::smallint, reason FROM refused
                WHERE at >= $1 AND at < $2 AND ($3::text IS NULL OR document = $3)
                  AND ($4::text IS NULL OR phone = $4) AND ($5::smallint IS NULL OR code = $5)) found
             ORDER BY at DESC, serial DESC NULLS LAST LIMIT $6",
        )
        .await
        .map_err(db)?;
    let code = s.code.map(i16::from);
    let rows = client
        .query(&query, &[&minutes(s.from), &minutes(s.to), &s.document, &s.phone, &code, &i64::from(s.limit)])
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(Found {
                at: minute(col(r, 0)?)?,
                document: col(r, 1)?,
                phone: col(r, 2)?,
                code: fits(i64::from(col::<i16>(r, 3)?), "a code")?,
                serial: col::<Option<i64>>(r, 4)?.map(|s| fits(s, "a serial").map(PermitSerial)).transpose()?,
                purpose: fits(i64::from(col::<i16>(r, 5)?), "a purpose")?,
                reason: col(r, 6)?,
            })
        })
        .collect()
}

pub(crate) async fn code_hours(client: &Client, from: UtcMinute, to: UtcMinute) -> Result<Vec<CodeHour>, StoreError> {
    let query = client
        .prepare_cached(
            "SELECT hour, code, sum(permits)::bigint, sum(refused)::bigint FROM (
                SELECT issued_at / 60 * 60 AS hour, code, 1 AS permits, 0 AS refused FROM permits
                WHERE issued_at >= $1 AND issued_at < $2 AND code > 0
                UNION ALL
                SELECT at / 60 * 60, code, 0, 1 FROM refused WHERE at >= $1 AND at < $2) counted
             GROUP BY hour, code ORDER BY hour, code",
        )
        .await
        .map_err(db)?;
    let rows = client.query(&query, &[&minutes(from), &minutes(to)]).await.map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(CodeHour {
                hour: minute(col(r, 0)?)?,
                code: fits(i64::from(col::<i16>(r, 1)?), "a code")?,
                permits: fits(col(r, 2)?, "a count")?,
                refused: fits(col(r, 3)?, "a count")?,
            })
        })
        .collect()
}

pub(crate) async fn top_requesters(
    client: &Client,
    code: u8,
    from: UtcMinute,
    to: UtcMinute,
    limit: u32,
) -> Result<TopRequesters, StoreError> {
    let mut top = TopRequesters::default();
    for (column, into) in [("phone", &mut top.phones), ("document", &mut top.documents)] {
        let query = client
            .prepare_cached(&format!(
                "SELECT {column}, count(*) AS n FROM permits WHERE issued_at >= $1 AND issued_at < $2 AND code = $3
                 GROUP BY {column} ORDER BY n DESC, {column} LIMIT $4"
            ))
            .await
            .map_err(db)?;
        let args: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&minutes(from), &minutes(to), &i16::from(code), &i64::from(limit)];
        for r in client.query(&query, &args).await.map_err(db)? {
            into.push((col(&r, 0)?, fits(col(&r, 1)?, "a count")?));
        }
    }
    Ok(top)
}
