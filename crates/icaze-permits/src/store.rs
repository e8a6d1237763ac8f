//! Storage behind one interface: the registries, the permits, the daily
//! counters, the serial numbers and the regimes. `icaze_sqlite::PermitsSqlite`
//! is the embedded default; another backend (PostgreSQL) implements
//! [`PermitStore`] without touching the rules in `sms.rs`.

use std::collections::BTreeMap;
use std::ops::Range;

use icaze_core::{AuthorisedOrganisations, PermitSerial, UtcMinute, ZoneId};

pub use crate::feeds::{BatchApplied, BatchRecord, FeedBatch, FeedCredential, Registry, ToRevoke};

/// A person in the population registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Date of birth as days since 1970-01-01.
    pub birth_day: i32,
    /// The registered zone: the permit's zone.
    pub zone: ZoneId,
}

/// An entry of the deny list (health system, border service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// Why, for the audit trail; never told to the citizen.
    pub reason: String,
    /// Until when (exclusive); `None` for open-ended.
    pub until: Option<UtcMinute>,
}

/// A permit to record, with everything the limits need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermitRecord {
    /// Its serial.
    pub serial: PermitSerial,
    /// The document in canonical ASCII form.
    pub document: String,
    /// The SMS code (0 for permits from other channels).
    pub code: u8,
    /// The purpose's wire code.
    pub purpose: u8,
    /// The zone.
    pub zone: ZoneId,
    /// The issuing key.
    pub key_id: u8,
    /// Issue time.
    pub issued_at: UtcMinute,
    /// Start of validity.
    pub valid_from: UtcMinute,
    /// End of validity.
    pub valid_until: UtcMinute,
    /// The requesting phone number.
    pub phone: String,
    /// The token text sent to the citizen.
    pub token: String,
}

/// The limits a permit must fit, checked atomically with its insertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The Asia/Baku calendar day (days since 1970-01-01) the limits count in.
    pub day: i32,
    /// Permits of this code per document per day.
    pub per_document: u32,
    /// Permits per phone per day, all documents and codes together.
    pub per_phone: u32,
    /// Permits of this code per document in the seven days that end with
    /// `day`, if the regime caps them (`Recorded::WeekLimit` beyond).
    pub per_week: Option<u32>,
    /// Permits of this code per phone per day, all documents together, if
    /// the regime caps them (`Recorded::PhoneLimit` beyond).
    pub per_phone_code: Option<u32>,
    /// The document's last permit of this code today, which this one replaces
    /// without counting against either limit: that permit's issuer key was
    /// revoked (a stolen key), so it no longer verifies through no fault of
    /// the citizen. Only the permit the day's counter still names is replaced;
    /// if another request replaced it first, the answer is `DocumentLimit`
    /// with that request's permit.
    pub replaces: Option<PermitSerial>,
}

/// What happened to a permit offered to [`PermitStore::record_permit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Committed to disk: the reply may go out.
    Issued,
    /// The document had its permits of this code for the day; the last one is given.
    DocumentLimit {
        /// The last permit of that code today, with its window.
        last: Option<LastPermit>,
    },
    /// The phone had its permits for the day (of all codes, or of this one).
    PhoneLimit,
    /// The document had its permits of this code for the seven days.
    WeekLimit,
}

/// The last permit given to a document for a code on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastPermit {
    /// Its serial number.
    pub serial: PermitSerial,
    /// The key that signed it.
    pub key_id: u8,
    /// The token text.
    pub token: String,
    /// Start of validity.
    pub valid_from: UtcMinute,
    /// End of validity.
    pub valid_until: UtcMinute,
    /// The phone it was sent to, as the gateway gave it.
    pub phone: String,
}

/// A storage failure: the request gets a "try again" reply and nothing half-done stays.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The writer thread is gone (the service is shutting down).
    #[error("the database writer has stopped")]
    WriterGone,
    /// Stored data that does not read back (a damaged or foreign database).
    #[error("stored data is damaged: {0}")]
    Damaged(String),
    /// A database file could not be made or its permissions set.
    #[error("{0}: check the data directory's owner and permissions")]
    File(String),
}

/// What a service's work inside one of its store's transactions came to.
/// The stores take closures that answer only `Result<(), StoreError>`; the
/// service keeps its value or its own error here, and a rule's refusal
/// rolls the transaction back like a storage error:
///
/// ```text
/// let mut outcome = Outcome::default();
/// let done = self.store.write(&mut |tx| outcome.keep(work(tx)));
/// outcome.finish(done, || MyError::Internal("the transaction did not run".into()))
/// ```
pub struct Outcome<T, E>(Option<Result<T, E>>);

impl<T, E> Default for Outcome<T, E> {
    fn default() -> Self {
        Outcome(None)
    }
}

impl<T, E: From<StoreError>> Outcome<T, E> {
    /// Keeps the work's result; an error asks the store to roll back.
    pub fn keep(&mut self, result: Result<T, E>) -> Result<(), StoreError> {
        let failed = result.is_err();
        self.0 = Some(result);
        if failed {
            Err(StoreError::Damaged("rolled back".into()))
        } else {
            Ok(())
        }
    }

    /// The work's value, its error, or the store's; `missing` names the
    /// impossible case of a transaction that ended well without the work.
    pub fn finish(self, done: Result<(), StoreError>, missing: impl FnOnce() -> E) -> Result<T, E> {
        match (self.0, done) {
            (Some(Err(e)), _) => Err(e),
            (_, Err(e)) => Err(e.into()),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (None, Ok(())) => Err(missing()),
        }
    }
}

/// One row of a registry CSV that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The 1-based line number in the file.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// The result of a CSV import: all good rows are in, in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows imported (inserted or replaced).
    pub imported: usize,
    /// Rows refused.
    pub problems: Vec<RowProblem>,
}

/// An SMS request that named a document and a code and got no new permit,
/// kept for the searches and the abuse report (issue 23).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRequest {
    /// When it came.
    pub at: UtcMinute,
    /// The sender, canonical ([`crate::csv::phone`]).
    pub phone: String,
    /// The document asked for, canonical.
    pub document: String,
    /// The code asked for.
    pub code: u8,
    /// Why, as the metrics name it (`daily_limit`, `denied`, `repeat`, …):
    /// never a registry's own words (a health detail).
    pub reason: String,
}

/// What a search looks for: every field given must match, within `from..to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// A canonical document number.
    pub document: Option<String>,
    /// A canonical phone.
    pub phone: Option<String>,
    /// An SMS code (0: the portal's and the 102 console's permits).
    pub code: Option<u8>,
    /// Start (inclusive).
    pub from: UtcMinute,
    /// End (exclusive).
    pub to: UtcMinute,
    /// The most rows to return, newest first.
    pub limit: u32,
}

/// A permit or a refused request that a [`Search`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// When it was issued or asked for.
    pub at: UtcMinute,
    /// The document.
    pub document: String,
    /// The phone (empty for the portal's and the 102 console's permits).
    pub phone: String,
    /// The SMS code (0 for the other channels).
    pub code: u8,
    /// The permit's serial, or `None` for a refused request.
    pub serial: Option<PermitSerial>,
    /// For a permit its purpose code; for a refused request 0.
    pub purpose: u8,
    /// For a refused request, why.
    pub reason: Option<String>,
}

/// Permits and refused requests of one code in one hour (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeHour {
    /// The hour's first minute.
    pub hour: UtcMinute,
    /// The SMS code.
    pub code: u8,
    /// Permits issued.
    pub permits: u32,
    /// Requests refused (named a document and this code, got no new permit).
    pub refused: u32,
}

/// Who got the most permits of a code in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopRequesters {
    /// Phones, most permits first.
    pub phones: Vec<(String, u32)>,
    /// Documents, most permits first.
    pub documents: Vec<(String, u32)>,
}

/// What every instance of the service holds in memory and must change when
/// another instance on the same database changed it, each counted in the
/// database ([`PermitStore::generations`]): an instance that finds a number
/// moved loads again (the keys from its own key directory, the regimes from
/// the store). One process on its own files reads its own changes only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Generations {
    /// The newest trust list version an instance put in force by a reload
    /// ([`PermitStore::trust_list_reloaded`]); 0 before the first reload.
    /// An instance whose keys are older reloads its key directory.
    pub trust_list: u64,
    /// Counted up by every [`PermitStore::put_regime`], in its transaction.
    pub regimes: u64,
}

/// The deny-list applier's turn, held until dropped
/// ([`PermitStore::lock_denials`]).
pub struct DenialsLock(#[allow(dead_code)] Box<dyn Send>);

impl DenialsLock {
    /// A lock a store keeps as `guard` (released when `guard` is dropped).
    pub fn new(guard: impl Send + 'static) -> Self {
        DenialsLock(Box::new(guard))
    }
}

/// The storage interface of the service.
pub trait PermitStore: Send + Sync + 'static {
    /// The person with this canonical document number.
    fn person(&self, document: &str) -> Result<Option<Person>, StoreError>;
    /// A denial in force at `at` for this document.
    fn denial(&self, document: &str, at: UtcMinute) -> Result<Option<Denial>, StoreError>;
    /// The person with this document and a denial in force at `at`, if any:
    /// [`PermitStore::person`] and [`PermitStore::denial`] together, which a backend may
    /// answer in one query (the SMS service asks both for every request).
    fn person_and_denial(&self, document: &str, at: UtcMinute) -> Result<Option<(Person, Option<Denial>)>, StoreError> {
        match self.person(document)? {
            Some(person) => Ok(Some((person, self.denial(document, at)?))),
            None => Ok(None),
        }
    }
    /// Whether `phone` (canonical, [`crate::csv::phone`]) may ask for
    /// permits for this document under the phone register: yes if the
    /// register names no phone for the document (it is optional, and no
    /// register covers every holder), else only if it names this one.
    fn phone_may_ask(&self, document: &str, phone: &str) -> Result<bool, StoreError>;
    /// Documents whose live permits are not yet revoked: put on the deny
    /// list (by an import or a feed) or cancelled in the population registry
    /// (by a feed), at most `limit`, in document order.
    fn denials_to_apply(&self, limit: u32) -> Result<Vec<ToRevoke>, StoreError>;
    /// These documents' permits are revoked: they leave [`PermitStore::denials_to_apply`]
    /// (an entry queued again since, with another feed, stays).
    fn denials_applied(&self, done: &[ToRevoke]) -> Result<(), StoreError>;
    /// Of `queued` (a round of [`PermitStore::denials_to_apply`]), in order,
    /// those whose cause still holds at `at`: a denied document with a
    /// denial in force at `at` (as [`PermitStore::denial`] answers), a
    /// cancelled one still absent from the population registry (as
    /// [`PermitStore::person`]). A denial lifted or expired, or a document
    /// registered again, since it was queued revokes nothing. The whole round
    /// in one read (one query on a database server, not one an entry).
    fn still_to_revoke(&self, queued: &[ToRevoke], at: UtcMinute) -> Result<Vec<ToRevoke>, StoreError>;
    /// Keeps an agency's feed credential; `false` (and nothing changed) if
    /// the agency has one already.
    fn add_feed(&self, credential: &FeedCredential) -> Result<bool, StoreError>;
    /// Every feed credential, by agency.
    fn feeds(&self) -> Result<Vec<FeedCredential>, StoreError>;
    /// Removes an agency's feed credential; `false` if it had none. Its
    /// batches' records stay.
    fn remove_feed(&self, agency: &str) -> Result<bool, StoreError>;
    /// The feed credential whose token has this SHA-256 (hexadecimal).
    fn feed_by_token_hash(&self, token_hash: &str) -> Result<Option<FeedCredential>, StoreError>;
    /// Applies a batch of a feed in one transaction with its record, unless
    /// its agency sent its id before (then nothing is done, and the answer
    /// says whether with the same bytes). A denial added and a document
    /// cancelled are queued for [`PermitStore::denials_to_apply`] in the same
    /// transaction.
    fn apply_feed_batch(&self, batch: &FeedBatch) -> Result<BatchApplied, StoreError>;
    /// The records of the batches applied to `registry`, newest first, at
    /// most `limit`.
    fn feed_batches(&self, registry: Registry, limit: u32) -> Result<Vec<BatchRecord>, StoreError>;
    /// The deny-list applier's turn, if no one else (another instance on the
    /// same database, or another applier of this one) has it: `None` means
    /// another applier is at work, and this one leaves the round to it, so
    /// that a denial is revoked and audited by one applier only. Released
    /// when the lock is dropped, or when its holder's process ends.
    fn lock_denials(&self) -> Result<Option<DenialsLock>, StoreError>;
    /// Serial numbers reserved for this process, persisted before they are
    /// returned so that none is ever handed out twice, also across a crash.
    fn reserve_serials(&self, count: u32) -> impl std::future::Future<Output = Result<Range<u32>, StoreError>> + Send;
    /// Checks the limits and records the permit in one transaction, committed
    /// (durably) before it returns `Issued`.
    fn record_permit(
        &self,
        permit: PermitRecord,
        limits: Limits,
    ) -> impl std::future::Future<Output = Result<Recorded, StoreError>> + Send;
    /// Records permits issued outside the SMS rules (the employer portal, the
    /// 102 call centre), with no daily limits, all or none in one transaction,
    /// committed (durably) before it returns. Their serials come from
    /// [`PermitStore::reserve_serials`] like every other permit's, so a serial is never
    /// used twice across channels, and revoking by document finds them.
    fn record_issued_many(
        &self,
        permits: Vec<PermitRecord>,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    /// [`PermitStore::record_issued_many`] for one permit.
    fn record_issued(&self, permit: PermitRecord) -> impl std::future::Future<Output = Result<(), StoreError>> + Send {
        self.record_issued_many(vec![permit])
    }
    /// The authorised organisations (issue 23: their employees move on their
    /// service card), as the last [`PermitStore::replace_organisations`] left them.
    fn organisations(&self) -> Result<AuthorisedOrganisations, StoreError>;
    /// Replaces the authorised organisations with `organisations`, in one
    /// transaction: an organisation no longer listed is no longer authorised.
    fn replace_organisations(&self, organisations: &AuthorisedOrganisations) -> Result<(), StoreError>;
    /// Every regime text stored, oldest first.
    fn regimes(&self) -> Result<Vec<String>, StoreError>;
    /// Stores a regime text under its id, replacing one with the same id,
    /// and counts [`Generations::regimes`] up in the same transaction.
    fn put_regime(&self, id: &str, toml: &str) -> Result<(), StoreError>;
    /// What the instances sharing the store hold in memory, as counted.
    fn generations(&self) -> Result<Generations, StoreError>;
    /// An instance put trust list `version` in force: raises
    /// [`Generations::trust_list`] to it (never lowers it), so that the
    /// other instances reload their key directories.
    fn trust_list_reloaded(&self, version: u64) -> Result<(), StoreError>;
    /// The serials of this document's permits still valid at `at` (or not
    /// yet valid), for revoking by document.
    fn valid_permits(&self, document: &str, at: UtcMinute) -> Result<Vec<PermitSerial>, StoreError>;
    /// [`PermitStore::valid_permits`] of many documents (canonical) in one
    /// call, for the deny-list applier's round: each document that holds any
    /// with its serials in order; a document that holds none is absent.
    fn valid_permits_many(
        &self,
        documents: &[String],
        at: UtcMinute,
    ) -> Result<BTreeMap<String, Vec<PermitSerial>>, StoreError>;
    /// Keeps an SMS request that got no new permit (committed in the
    /// writer's next batch; its failure loses no permit, only this row).
    fn record_refused(
        &self,
        request: RefusedRequest,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    /// Permits and refused requests matching `search`, newest first.
    fn search(&self, search: &Search) -> Result<Vec<Found>, StoreError>;
    /// Permits and refused requests per code and hour in `from..to`, by hour
    /// then code; hours with neither are left out.
    fn code_hours(&self, from: UtcMinute, to: UtcMinute) -> Result<Vec<CodeHour>, StoreError>;
    /// The `limit` phones and documents with the most permits of `code`
    /// in `from..to`.
    fn top_requesters(&self, code: u8, from: UtcMinute, to: UtcMinute, limit: u32)
        -> Result<TopRequesters, StoreError>;
    /// Whether the store can answer now, for a load balancer's health check
    /// (`/healthz`): a backend on a database server asks it something; the
    /// embedded one, whose files are on this machine, is ready by default.
    fn ready(&self) -> impl std::future::Future<Output = Result<(), StoreError>> + Send {
        std::future::ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Failure {
        Rule,
        Store(String),
        Missing,
    }

    impl From<StoreError> for Failure {
        fn from(e: StoreError) -> Self {
            Failure::Store(e.to_string())
        }
    }

    #[test]
    fn an_outcome_carries_the_work_s_value_its_refusal_or_the_store_s_failure() {
        let mut ok = Outcome::<u8, Failure>::default();
        let done = ok.keep(Ok(7));
        assert!(done.is_ok());
        assert_eq!(ok.finish(done, || Failure::Missing), Ok(7));

        // A rule's refusal asks for a rollback, and the refusal is what the caller sees.
        let mut refused = Outcome::<u8, Failure>::default();
        let done = refused.keep(Err(Failure::Rule));
        assert!(matches!(done, Err(StoreError::Damaged(_))));
        assert_eq!(refused.finish(done, || Failure::Missing), Err(Failure::Rule));

        // The work went well but the commit failed: the store's error.
        let mut unlucky = Outcome::<u8, Failure>::default();
        let _ = unlucky.keep(Ok(1));
        let got = unlucky.finish(Err(StoreError::WriterGone), || Failure::Missing);
        assert_eq!(got, Err(Failure::Store("the database writer has stopped".into())));

        let never = Outcome::<u8, Failure>::default();
        assert_eq!(never.finish(Ok(()), || Failure::Missing), Err(Failure::Missing));
    }
}
