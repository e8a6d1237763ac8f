//! The registry feeds' answers (`docs/feeds.md`): an agency's batch applied
//! or refused with its bad rows, the records of the batches, and the
//! administrator's feed credentials.

use serde::{Deserialize, Serialize};

/// The record of a batch applied (`POST /v1/registries/{registry}/batches/{batch_id}`
/// answers it; `GET /v1/registries/{registry}/batches` lists them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The agency that sent it.
    pub agency: String,
    /// `deny`, `people` or `phones`.
    pub registry: String,
    /// Its id, the agency's own.
    pub batch_id: String,
    /// The SHA-256 of its body, in hexadecimal.
    pub sha256: String,
    /// When it was applied, RFC 3339 UTC.
    pub received_at: String,
    /// Its `add` rows.
    pub added: u32,
    /// Its `remove` rows.
    pub removed: u32,
}

/// The answer to a batch: its record as first applied, and whether this
/// was the same batch sent again (nothing done again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchApplied {
    /// The record.
    #[serde(flatten)]
    pub batch: Batch,
    /// `true` when the agency had sent this id with these bytes before.
    pub replayed: bool,
}

/// A row of a batch that does not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// Its line in the body (1 is the header).
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// `422`: rows of the batch do not read, so nothing was applied; every bad
/// row is listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRefused {
    /// `bad_rows`.
    pub code: String,
    /// For people.
    pub message: String,
    /// Every bad row, in order.
    pub problems: Vec<RowProblem>,
}

/// `GET /v1/registries/{registry}/batches`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchList {
    /// The records.
    pub batches: Vec<Batch>,
}

/// A feed credential, without its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feed {
    /// The agency.
    pub agency: String,
    /// The one registry it may change.
    pub registry: String,
    /// When it was made, RFC 3339 UTC.
    pub created_at: String,
    /// From when its token is refused (`401 feed_expired`), RFC 3339 UTC;
    /// none: until removed.
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// `GET /v1/feeds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedList {
    /// By agency.
    pub feeds: Vec<Feed>,
}

/// `POST /v1/feeds`: the new credential and its token, shown only now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedAdded {
    /// The agency.
    pub agency: String,
    /// Its registry.
    pub registry: String,
    /// The bearer token.
    pub token: String,
    /// From when the token is refused, RFC 3339 UTC; none: until removed.
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// `DELETE /v1/feeds/{agency}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedRemoved {
    /// The agency.
    pub agency: String,
    /// Always `true`.
    pub removed: bool,
}

/// A replacement of the population registry kept as a job: `PUT
/// /v1/registries/people` answers it `202 Accepted` once the body is read
/// and staged (with `Location: /v1/registries/people/replacements/{id}`), and
/// `GET /v1/registries/people/replacements/{id}` answers it from any
/// instance until it ends and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplacementJob {
    /// Its number.
    pub id: i64,
    /// The agency whose feed sent it.
    pub agency: String,
    /// `?force=true` was given.
    pub forced: bool,
    /// When it started, RFC 3339 UTC.
    pub started_at: String,
    /// `loading`, `comparing` (running); `swapped` (the new registry is in
    /// use), `refused` (by the guard, with why), `failed` (with why), or
    /// `interrupted` (its instance stopped before it ended); the registry in
    /// use is untouched unless `swapped`.
    pub state: String,
    /// Lines of the body read (after each batch while loading).
    pub lines: u64,
    /// Bytes of the body read (after each batch while loading).
    pub bytes: u64,
    /// Rows read cleanly: the people of the new registry (known once comparing).
    pub loaded: u64,
    /// People in the registry before (known once ended).
    pub registered: u64,
    /// Documents no longer registered (their live permits are revoked as
    /// "document cancelled"); 0 unless swapped.
    pub removed: u64,
    /// Every bad row, also those not listed (known once ended).
    pub problem_count: u64,
    /// The first bad rows, by line.
    pub problems: Vec<RowProblem>,
    /// Why it was refused (`?force=true` passes the guard, not a wrong
    /// header) or failed.
    pub reason: Option<String>,
    /// When it ended, RFC 3339 UTC; `null` while it runs or once interrupted.
    pub ended_at: Option<String>,
}

/// `GET /v1/registries/people/replacement`: how far the newest replacement
/// is, from any instance (its whole record is at
/// `/v1/registries/people/replacements/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplacementProgress {
    /// `idle` (none ever ran), or the newest one's state
    /// ([`ReplacementJob::state`]).
    pub state: String,
    /// The newest one's number.
    #[serde(default)]
    pub id: Option<i64>,
    /// The agency whose replacement it is.
    pub agency: Option<String>,
    /// Lines of the body read so far.
    pub lines: u64,
    /// Bytes of the body read so far.
    pub bytes: u64,
    /// Rows loaded (known once comparing).
    pub loaded: u64,
}

/// `PUT /v1/registries/organisations`: the authorised organisations replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationsReplaced {
    /// The agency whose feed sent the list.
    pub agency: String,
    /// Organisations authorised now.
    pub organisations: u64,
}
