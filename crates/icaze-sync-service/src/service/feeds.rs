//! The registry feeds of `docs/feeds.md` and what they cause: agencies'
//! credentials (the administrator's), a batch applied all or nothing under
//! its agency's credential, the records of the batches, and the applier that
//! revokes the live permits of the people a feed or an import denied or
//! whose document a feed cancelled.

use icaze_permits::feeds::{self, BatchApplied, BatchRecord, FeedBatch, FeedCredential, Registry, RevokeCause};
use icaze_permits::replace::ReplaceReport;
use icaze_permits::store::{PermitStore, RowProblem};
use sha2::{Digest as _, Sha256};

use super::revoke::DocumentRevocation;
use crate::auth::{self, Caller};
use crate::store::AuditDetails;
use crate::{SyncError, SyncService};

/// The most batch records one query returns.
pub const MAX_BATCH_RECORDS: u32 = 1000;

/// What a batch sent came to: its record, and whether it had been applied
/// before (the same id with the same bytes: nothing done again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedReceipt {
    /// The batch's record, as first applied.
    pub record: BatchRecord,
    /// Sent again: this answer is the first one's.
    pub replayed: bool,
}

/// Lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A credential's expiry read from `text`: it must be after `now`.
fn expiry(text: &str, now: icaze_core::UtcMinute) -> Result<icaze_core::UtcMinute, SyncError> {
    let at = icaze_permits::csv::optional_time(text)
        .map_err(|e| SyncError::invalid("invalid_expiry", format!("the expiry {text:?} does not read: {e}")))?
        .ok_or_else(|| {
            SyncError::invalid("invalid_expiry", "the expiry is empty: give a date (2021-01-31) or an RFC 3339 time")
        })?;
    if at <= now {
        return Err(SyncError::invalid(
            "expiry_not_in_future",
            format!("the expiry {} (Baku time) is not in the future (now {}): give a later one", at.baku(), now.baku()),
        ));
    }
    Ok(at)
}

fn registry(name: &str) -> Result<Registry, SyncError> {
    Registry::parse(name).ok_or_else(|| {
        SyncError::invalid(
            "unknown_registry",
            format!("there is no registry {name:?}: deny, organisations, people or phones"),
        )
    })
}

impl<S: PermitStore> SyncService<S> {
    /// Makes an agency's feed credential for one registry (administrators
    /// only), expiring at `expires` if given (a date meaning its start in
    /// Baku, or RFC 3339, as the deny list's `until`); returns it and its
    /// token, which is kept only as its SHA-256. An expiry not in the future
    /// is refused.
    pub fn add_feed(
        &self,
        caller: &Caller,
        agency: &str,
        registry_name: &str,
        expires: Option<&str>,
    ) -> Result<(FeedCredential, String), SyncError> {
        caller.require_admin()?;
        feeds::valid_name("agency", agency).map_err(|m| SyncError::invalid("invalid_name", m))?;
        let registry = registry(registry_name)?;
        let now = self.now();
        let expires_at = expires.map(|text| expiry(text, now)).transpose()?;
        let token = auth::new_token()?;
        let credential = FeedCredential {
            agency: agency.to_owned(),
            registry,
            token_hash: hex(&auth::token_hash(&token)),
            created_at: now,
            expires_at,
        };
        if !self.permits.add_feed(&credential)? {
            return Err(SyncError::FeedExists(agency.to_owned()));
        }
        let expires = expires_at.map(|at| at.to_rfc3339_utc());
        tracing::info!(agency, registry = registry.as_str(), expires, "feed credential made");
        Ok((credential, token))
    }

    /// Every feed credential (administrators only).
    pub fn feeds(&self, caller: &Caller) -> Result<Vec<FeedCredential>, SyncError> {
        caller.require_admin()?;
        Ok(self.permits.feeds()?)
    }

    /// Removes an agency's feed credential (administrators only): its token
    /// stops working at once; its batches' records stay.
    pub fn remove_feed(&self, caller: &Caller, agency: &str) -> Result<(), SyncError> {
        caller.require_admin()?;
        if !self.permits.remove_feed(agency)? {
            return Err(SyncError::FeedNotFound(agency.to_owned()));
        }
        tracing::info!(agency, "feed credential removed");
        Ok(())
    }

    /// The credential an `Authorization` header names: `401` without one or
    /// with a token no agency holds.
    fn feed_caller(&self, header: Option<&str>) -> Result<FeedCredential, SyncError> {
        let token = header
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(SyncError::FeedUnauthenticated)?;
        let hash = hex(&auth::token_hash(token));
        match self.permits.feed_by_token_hash(&hash)? {
            Some(c) if auth::constant_time_eq(c.token_hash.as_bytes(), hash.as_bytes()) => match c.expires_at {
                Some(expired_at) if c.expired(self.now()) => {
                    tracing::warn!(
                        agency = c.agency,
                        expired_at = expired_at.to_rfc3339_utc(),
                        "feed credential refused: it has expired"
                    );
                    Err(SyncError::FeedExpired { agency: c.agency, expired_at })
                }
                _ => Ok(c),
            },
            _ => Err(SyncError::FeedUnauthenticated),
        }
    }

    /// The credential the `Authorization` header names, if it may feed
    /// `registry_name`: `401` without one or with a token no agency holds,
    /// `403` when it is another registry's.
    pub fn feed_for(&self, bearer: Option<&str>, registry_name: &str) -> Result<FeedCredential, SyncError> {
        let credential = self.feed_caller(bearer)?;
        let registry = registry(registry_name)?;
        if credential.registry != registry {
            return Err(SyncError::Forbidden(format!(
                "the feed of {} changes the {} registry, not {registry}",
                credential.agency, credential.registry
            )));
        }
        Ok(credential)
    }

    /// Replaces the authorised organisations with the whole list `body` (CSV
    /// `tax_id,name,sector,zones,until`) under the `organisations` feed's
    /// credential, audited as `registry_replaced`: all or nothing, a list with
    /// bad rows refused with every one (`BadRows`). Returns the agency and
    /// how many organisations are authorised now.
    pub fn replace_organisations(&self, bearer: Option<&str>, body: &[u8]) -> Result<(String, usize), SyncError> {
        let credential = self.feed_for(bearer, Registry::Organisations.as_str())?;
        let text = std::str::from_utf8(body)
            .map_err(|e| SyncError::invalid("invalid_list", format!("the list is not UTF-8 text: {e}")))?;
        let list = icaze_permits::csv::organisation_list(text).map_err(|problems| {
            SyncError::BadRows(problems.into_iter().map(|(line, message)| RowProblem { line, message }).collect())
        })?;
        let count = list.len();
        self.permits.replace_organisations(&list)?;
        let details = AuditDetails::RegistryReplaced {
            forced: false,
            loaded: count as u64,
            problems: 0,
            refused: None,
            registry: Registry::Organisations.as_str(),
            removed: 0,
        };
        self.audit_feed(&credential.agency, "registry_replaced", details)?;
        tracing::info!(agency = credential.agency, count, "authorised organisations replaced");
        Ok((credential.agency, count))
    }

    /// Audits a replacement of the population registry by `agency`'s feed
    /// (made by the server over its backend, which streams the file), as
    /// `registry_replaced` or, when refused, `registry_replacement_refused`.
    pub fn people_replaced(&self, agency: &str, forced: bool, report: &ReplaceReport) -> Result<(), SyncError> {
        let what = if report.refused.is_some() { "registry_replacement_refused" } else { "registry_replaced" };
        let details = AuditDetails::RegistryReplaced {
            forced,
            loaded: report.loaded as u64,
            problems: report.problem_count as u64,
            refused: report.refused.as_ref().map(ToString::to_string),
            registry: Registry::People.as_str(),
            removed: report.removed.len() as u64,
        };
        self.audit_feed(agency, what, details)
    }

    fn audit_feed(&self, agency: &str, what: &str, details: AuditDetails) -> Result<(), SyncError> {
        let caller = Caller::Service { name: format!("feed:{agency}") };
        self.write(|tx| Ok(self.audit(tx, &caller, what, details.clone())?))
    }

    /// Applies an agency's batch `batch_id` of changes to `registry_name`:
    /// the credential is checked first (`401`; another registry's `403`),
    /// then every row (`BadRows` lists each bad one: nothing applied), then
    /// the store applies it all in one transaction with its record, unless
    /// the agency sent that id before: the same bytes answer the first
    /// record again, other bytes are a `BatchConflict`.
    pub fn feed_batch(
        &self,
        bearer: Option<&str>,
        registry_name: &str,
        batch_id: &str,
        body: &[u8],
    ) -> Result<FeedReceipt, SyncError> {
        let credential = self.feed_for(bearer, registry_name)?;
        let registry = credential.registry;
        if !registry.has_batches() {
            return Err(SyncError::invalid(
                "no_batches",
                format!("the {registry} registry is replaced whole: PUT /v1/registries/{registry}"),
            ));
        }
        feeds::valid_name("batch id", batch_id).map_err(|m| SyncError::invalid("invalid_batch_id", m))?;
        if body.len() > feeds::MAX_BATCH_BYTES {
            return Err(SyncError::invalid(
                "too_large",
                format!("a batch has at most {} bytes: send the change as several batches", feeds::MAX_BATCH_BYTES),
            ));
        }
        let text = std::str::from_utf8(body)
            .map_err(|e| SyncError::invalid("invalid_batch", format!("the batch is not UTF-8 text: {e}")))?;
        let changes = feeds::parse_batch(registry, text).map_err(SyncError::BadRows)?;
        let hash = hex(&Sha256::digest(body));
        let batch = FeedBatch::new(&credential.agency, registry, batch_id, hash, self.now(), changes);
        match self.permits.apply_feed_batch(&batch)? {
            BatchApplied::Applied(record) => {
                tracing::info!(
                    agency = record.agency,
                    registry = registry.as_str(),
                    batch = record.batch_id,
                    added = record.added,
                    removed = record.removed,
                    "feed batch applied"
                );
                Ok(FeedReceipt { record, replayed: false })
            }
            BatchApplied::Replayed(record) => Ok(FeedReceipt { record, replayed: true }),
            BatchApplied::Conflict(record) => {
                Err(SyncError::BatchConflict { batch_id: record.batch_id, hash: record.hash })
            }
        }
    }

    /// The records of the batches applied to a registry, newest first
    /// (administrators only).
    pub fn feed_batches(
        &self,
        caller: &Caller,
        registry_name: &str,
        limit: u32,
    ) -> Result<Vec<BatchRecord>, SyncError> {
        caller.require_admin()?;
        let registry = registry(registry_name)?;
        if limit == 0 || limit > MAX_BATCH_RECORDS {
            return Err(SyncError::invalid("invalid_limit", format!("limit must be 1 to {MAX_BATCH_RECORDS}")));
        }
        Ok(self.permits.feed_batches(registry, limit)?)
    }

    /// Revokes the live permits of every channel of the people put on the
    /// deny list (by an import or a feed) or whose document a feed cancelled
    /// since the last call ([`PermitStore::denials_to_apply`], queued in the
    /// change's own transaction): a round of the queue (256 documents) in one
    /// transaction of the sync store and one bundle version, each document
    /// with its own audit line, by `deny-list` or `people-registry`, with the reason of
    /// [`icaze_permits::feeds::ToRevoke::reason`] (the feed, never the row's
    /// own words), so that they are in the next bundle. A denial already
    /// lifted or expired, or a document registered again, revokes nothing,
    /// and neither revokes anything back. Returns the serials revoked. Safe to
    /// run again after a crash: a serial revoked twice is revoked once.
    ///
    /// Only the holder of the store's applier lock ([`PermitStore::lock_denials`])
    /// applies: while another instance on the same database (or another call
    /// here) has it, this call revokes nothing and returns at once, so that
    /// the instances that all run the applier never revoke and audit one
    /// denial twice. (Were the lock lost mid-way, with its connection, a
    /// second applier would still revoke each serial once, under the bundle's
    /// lock, and audit only the serials it revoked.)
    pub fn apply_denials(&self) -> Result<Vec<u32>, SyncError> {
        let Some(_turn) = self.permits.lock_denials()? else {
            return Ok(Vec::new());
        };
        let mut revoked = Vec::new();
        loop {
            let queued = self.permits.denials_to_apply(256)?;
            if queued.is_empty() {
                return Ok(revoked);
            }
            let now = self.now();
            // One read for the round finds the entries whose cause still
            // holds, and one more those of them who hold a permit (most
            // people denied hold none).
            let held = self.permits.still_to_revoke(&queued, now)?;
            let documents: Vec<String> = held.iter().map(|entry| entry.document.clone()).collect();
            let live = self.permits.valid_permits_many(&documents, now)?;
            let mut round = Vec::new();
            for entry in &held {
                let name = match entry.cause {
                    RevokeCause::Denied => "deny-list",
                    RevokeCause::Cancelled => "people-registry",
                };
                let serials = live.get(&entry.document).cloned().unwrap_or_default();
                if !serials.is_empty() {
                    round.push(DocumentRevocation {
                        caller: Caller::Service { name: name.into() },
                        document: entry.document.clone(),
                        reason: entry.reason(),
                        serials: serials.into_iter().map(|s| s.0).collect(),
                    });
                }
            }
            revoked.extend(self.revoke_documents(&round)?);
            self.permits.denials_applied(&queued)?;
        }
    }
}
