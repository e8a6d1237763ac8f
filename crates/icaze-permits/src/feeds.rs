//! Registry feeds (`docs/feeds.md`): an agency sends the changes of one
//! registry as a batch of CSV rows, each an addition or a removal, applied
//! all or nothing. This module reads a batch into changes with no I/O (every
//! bad row reported with its line, not only the first) and holds the values
//! the stores keep: the agencies' credentials, the record of each batch, and
//! the documents whose live permits a change makes the service revoke.
//!
//! What is *not* checked here: who sent the batch (the sync service checks
//! the credential) and whether it was sent before (the store answers that
//! from its record of batches, in the transaction that applies it).

use crate::csv::{self, DenialRow, PersonRow, PhoneRow};
use crate::store::RowProblem;
use icaze_core::UtcMinute;

/// The largest batch body, in bytes: a larger change is sent as many batches.
pub const MAX_BATCH_BYTES: usize = 16 << 20;
/// The most rows of one batch (the header not counted).
pub const MAX_BATCH_ROWS: usize = 200_000;
/// The longest agency name and batch id.
pub const MAX_NAME: usize = 64;

/// A registry an agency may feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Registry {
    /// The deny list (`document,reason,until`): health system, border service.
    Deny,
    /// The population registry (`document,birth_date,zone`); a removal is a
    /// document cancelled.
    People,
    /// The phone register (`document,phone`).
    Phones,
    /// The authorised organisations (`tax_id,name,sector,zones,until`): fed
    /// only whole (`PUT /v1/registries/organisations`), never in batches.
    Organisations,
}

impl Registry {
    /// Every registry, in the order of their names.
    pub const ALL: [Registry; 4] = [Registry::Deny, Registry::Organisations, Registry::People, Registry::Phones];

    /// Its name in paths, on the command line and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Registry::Deny => "deny",
            Registry::People => "people",
            Registry::Phones => "phones",
            Registry::Organisations => "organisations",
        }
    }

    /// The registry of a name ([`Registry::as_str`]).
    pub fn parse(name: &str) -> Option<Registry> {
        Registry::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Whether an agency sends it as batches of changes; the authorised
    /// organisations are only ever replaced whole.
    pub fn has_batches(self) -> bool {
        self != Registry::Organisations
    }

    /// The header of its batches: `op` and the registry's columns (for the
    /// organisations, which have no batches, the columns of their whole file).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Registry::Organisations => &["tax_id", "name", "sector", "zones", "until"],
            Registry::Deny => &["op", "document", "reason", "until"],
            Registry::People => &["op", "document", "birth_date", "zone"],
            Registry::Phones => &["op", "document", "phone"],
        }
    }
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of a batch, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedChange {
    /// A denial added or replaced.
    Deny(DenialRow),
    /// The denial of this document lifted (revokes nothing back).
    Undeny(String),
    /// A person added or replaced.
    Person(PersonRow),
    /// This document cancelled: its holder leaves the registry and their
    /// live permits are revoked.
    Cancel(String),
    /// A phone registered to a document.
    Phone(PhoneRow),
    /// A phone no longer registered to a document.
    Unphone(PhoneRow),
}

impl FeedChange {
    /// Whether it is an `add` row.
    pub fn is_addition(&self) -> bool {
        matches!(self, FeedChange::Deny(_) | FeedChange::Person(_) | FeedChange::Phone(_))
    }
}

/// The changes of a batch for `registry`, in the order of its rows, or every
/// row that does not read, with its line (1 is the header). A batch with
/// any bad row, no row, or more than [`MAX_BATCH_ROWS`] rows is refused whole.
pub fn parse_batch(registry: Registry, text: &str) -> Result<Vec<FeedChange>, Vec<RowProblem>> {
    let mut changes = Vec::new();
    let mut problems = Vec::new();
    let mut rows = 0usize;
    for (line, fields) in csv::rows(text, registry.columns()) {
        rows += 1;
        if rows > MAX_BATCH_ROWS {
            problems.push(RowProblem {
                line,
                message: format!("a batch has at most {MAX_BATCH_ROWS} rows: send the rest as another batch"),
            });
            break;
        }
        match fields.and_then(|f| change(registry, &f)) {
            Ok(change) => changes.push(change),
            Err(message) => problems.push(RowProblem { line, message }),
        }
    }
    if problems.is_empty() && changes.is_empty() {
        problems.push(RowProblem { line: 1, message: "the batch has no rows after its header".into() });
    }
    if problems.is_empty() {
        Ok(changes)
    } else {
        Err(problems)
    }
}

/// One row's change: `op` then the registry's fields.
fn change(registry: Registry, f: &[std::borrow::Cow<'_, str>]) -> Result<FeedChange, String> {
    let (op, rest) = f.split_first().ok_or("an empty row")?;
    let add = match op.trim().to_ascii_lowercase().as_str() {
        "add" => true,
        "remove" => false,
        other => return Err(format!("op {other:?} must be `add` or `remove`")),
    };
    let document = || csv::document(rest.first().map_or("", |d| d.as_ref()));
    Ok(match (registry, add) {
        (Registry::Deny, true) => FeedChange::Deny(csv::denial_row(rest)?),
        (Registry::Deny, false) => FeedChange::Undeny(document()?),
        (Registry::People, true) => FeedChange::Person(csv::person_row(rest)?),
        (Registry::People, false) => FeedChange::Cancel(document()?),
        (Registry::Phones, true) => FeedChange::Phone(csv::phone_row(rest)?),
        (Registry::Phones, false) => FeedChange::Unphone(csv::phone_row(rest)?),
        (Registry::Organisations, _) => {
            return Err("the authorised organisations are replaced whole, not changed by batches".into())
        }
    })
}

/// A name the administrator gives (an agency) or a sender gives (a batch
/// id): 1 to [`MAX_NAME`] letters, digits, `.`, `_` or `-`.
pub fn valid_name(what: &str, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!("the {what} {name:?} must be 1 to {MAX_NAME} letters, digits, '.', '_' or '-'"))
    }
}

/// An agency's feed credential, as stored: only the SHA-256 of its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedCredential {
    /// The agency (`etabib`), unique.
    pub agency: String,
    /// The one registry it may change.
    pub registry: Registry,
    /// The SHA-256 of its token, in lower-case hexadecimal.
    pub token_hash: String,
    /// When the administrator made it.
    pub created_at: UtcMinute,
    /// From when its token is refused (`feed_expired`); none: until removed.
    pub expires_at: Option<UtcMinute>,
}

impl FeedCredential {
    /// Whether its token is refused at `now`: its expiry is reached.
    pub fn expired(&self, now: UtcMinute) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }
}

/// The record of a batch applied: the audit of the feed, and what a batch
/// sent again answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRecord {
    /// Who sent it.
    pub agency: String,
    /// What it changed.
    pub registry: Registry,
    /// Its id, unique per agency.
    pub batch_id: String,
    /// The SHA-256 of its body, in lower-case hexadecimal.
    pub hash: String,
    /// When it was applied.
    pub received_at: UtcMinute,
    /// Its `add` rows.
    pub added: u32,
    /// Its `remove` rows.
    pub removed: u32,
}

/// A batch to apply: its record (as it will be kept) and its changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedBatch {
    /// What the store keeps of it.
    pub record: BatchRecord,
    /// Its rows, in order.
    pub changes: Vec<FeedChange>,
}

impl FeedBatch {
    /// A batch of `changes` with their counts in its record.
    pub fn new(
        agency: &str,
        registry: Registry,
        batch_id: &str,
        hash: String,
        at: UtcMinute,
        changes: Vec<FeedChange>,
    ) -> Self {
        let added = changes.iter().filter(|c| c.is_addition()).count();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let record = BatchRecord {
            agency: agency.to_owned(),
            registry,
            batch_id: batch_id.to_owned(),
            hash,
            received_at: at,
            added: count(added),
            removed: count(changes.len() - added),
        };
        FeedBatch { record, changes }
    }
}

/// What the store did with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchApplied {
    /// Applied now, all of it.
    Applied(BatchRecord),
    /// The agency sent this id with these bytes before: nothing done, the
    /// first application's record.
    Replayed(BatchRecord),
    /// The agency sent this id with other bytes: nothing done.
    Conflict(BatchRecord),
}

/// Why a document's live permits are to be revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RevokeCause {
    /// Put on the deny list.
    Denied,
    /// The document was cancelled in the population registry.
    Cancelled,
}

impl RevokeCause {
    /// Its number in storage.
    pub fn code(self) -> i16 {
        match self {
            RevokeCause::Denied => 0,
            RevokeCause::Cancelled => 1,
        }
    }

    /// The cause of a stored number.
    pub fn from_code(code: i64) -> Option<RevokeCause> {
        match code {
            0 => Some(RevokeCause::Denied),
            1 => Some(RevokeCause::Cancelled),
            _ => None,
        }
    }
}

/// A document whose live permits the deny-list applier is still to revoke
/// ([`crate::store::PermitStore::denials_to_apply`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ToRevoke {
    /// The document, canonical.
    pub document: String,
    /// Why.
    pub cause: RevokeCause,
    /// The agency whose feed caused it; empty for an import by the
    /// administrator.
    pub feed: String,
}

impl ToRevoke {
    /// The reason of the revocation, as devices and the audit trail show it:
    /// the cause and the feed, never a registry's own words (a health detail).
    pub fn reason(&self) -> String {
        match (self.cause, self.feed.as_str()) {
            (RevokeCause::Denied, "") => "put on the deny list".to_owned(),
            (RevokeCause::Denied, feed) => format!("deny list (feed {feed})"),
            (RevokeCause::Cancelled, "") => "document cancelled".to_owned(),
            (RevokeCause::Cancelled, feed) => format!("document cancelled (feed {feed})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_reads_its_adds_and_removes_in_order() {
        let text = "op,document,reason,until\nadd,AZE11111111,positive test,\nREMOVE,aze22222222,,\n";
        let changes = parse_batch(Registry::Deny, text).unwrap();
        assert!(matches!(&changes[0], FeedChange::Deny(d) if d.document == "AZE11111111" && d.until.is_none()));
        assert_eq!(changes[1], FeedChange::Undeny("AZE22222222".into()));
        let people = "op,document,birth_date,zone\nadd,AZE11111111,1980-01-31,7\nremove,AZE22222222,,\n";
        let changes = parse_batch(Registry::People, people).unwrap();
        assert!(changes[0].is_addition() && !changes[1].is_addition());
        assert_eq!(changes[1], FeedChange::Cancel("AZE22222222".into()));
        let phones = "op,document,phone\nremove,AZE11111111,+994 50 111 22 33\n";
        let changes = parse_batch(Registry::Phones, phones).unwrap();
        assert_eq!(
            changes,
            [FeedChange::Unphone(PhoneRow { document: "AZE11111111".into(), phone: "994501112233".into() })]
        );
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let text = "op,document,reason,until\nadd,AZE11111111,x,\nadd,nonsense!,x,\nkeep,AZE22222222,x,\n\nadd,AZE33333333,,\nadd,AZE4\n";
        let problems = parse_batch(Registry::Deny, text).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 6, 7]);
        assert!(problems[1].message.contains("`add` or `remove`"), "{problems:?}");
        assert!(problems[2].message.contains("reason"), "{problems:?}");
        assert!(problems[3].message.contains("columns"), "{problems:?}");
        // A wrong header is line 1; so is a batch with no rows.
        assert_eq!(parse_batch(Registry::Deny, "document,reason,until\nAZE1,x,\n").unwrap_err()[0].line, 1);
        assert_eq!(parse_batch(Registry::People, "op,document,birth_date,zone\n").unwrap_err()[0].line, 1);
    }

    #[test]
    fn a_batch_over_its_row_limit_is_refused_at_the_first_row_beyond() {
        let mut text = String::from("op,document,phone\n");
        for _ in 0..=MAX_BATCH_ROWS {
            text.push_str("add,AZE11111111,994501112233\n");
        }
        let problems = parse_batch(Registry::Phones, &text).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, MAX_BATCH_ROWS + 2);
    }

    #[test]
    fn names_registries_and_reasons() {
        assert!(valid_name("agency", "etabib").is_ok() && valid_name("batch id", "2020-12-06.1").is_ok());
        assert!(valid_name("agency", "").is_err() && valid_name("agency", "a b").is_err());
        assert!(valid_name("batch id", &"x".repeat(MAX_NAME + 1)).is_err());
        for r in Registry::ALL {
            assert_eq!(Registry::parse(r.as_str()), Some(r));
        }
        assert_eq!(Registry::parse("denials"), None);
        // The organisations are fed whole: a batch of them is every row refused.
        assert!(!Registry::Organisations.has_batches() && Registry::People.has_batches());
        let rows = "op,tax_id,name,sector,zones,until\nadd,1234567891,x,health,,\n";
        assert_eq!(parse_batch(Registry::Organisations, rows).unwrap_err()[0].line, 1);
        let denied = ToRevoke { document: "AZE1".into(), cause: RevokeCause::Denied, feed: "etabib".into() };
        assert_eq!(denied.reason(), "deny list (feed etabib)");
        let imported = ToRevoke { feed: String::new(), ..denied.clone() };
        assert_eq!(imported.reason(), "put on the deny list");
        let cancelled = ToRevoke { cause: RevokeCause::Cancelled, ..denied };
        assert_eq!(cancelled.reason(), "document cancelled (feed etabib)");
        for cause in [RevokeCause::Denied, RevokeCause::Cancelled] {
            assert_eq!(RevokeCause::from_code(i64::from(cause.code())), Some(cause));
        }
        assert_eq!(RevokeCause::from_code(9), None);
    }
}
