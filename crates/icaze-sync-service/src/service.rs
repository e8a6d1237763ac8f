//! [`SyncService`]: the rules of the sync service.

use std::sync::Arc;

use icaze_core::UtcMinute;
use icaze_permits::keys::{KeyRing, Reloaded};
use icaze_permits::regime::Regime;
use icaze_permits::store::{Outcome, PermitStore};
use icaze_permits::Clock;
use icaze_protocol::{EnrollmentCode, InspectionRecord, OfficerBadge, RecordHash, UploadBatch, GENESIS_HASH};

use crate::auth::{self, Caller};
use crate::bundle::{self, BundleAnswer, Bundles};
use crate::limits::{Limiters, RateLimited, SyncLimits};
use crate::store::{
    AuditDetails, AuditEntry, AuditRecord, ConflictRow, DeviceRow, InspectionQuery, InspectionRow, NewInspections,
    RevocationRow, StoreError, SyncStore, SyncTx,
};
use crate::views::{
    Activity, Approval, Channel, DeviceView, InspectionFilter, InspectionPage, KeysReloaded, Receipt, Reissue,
};
use crate::SyncError;

mod revoke;

/// The most inspections one query returns.
pub const MAX_PAGE: u32 = 10_000;
/// Inspections per page when the query says none.
pub const DEFAULT_PAGE: u32 = 1000;
/// The longest reason of a suspension, resumption or revocation, in bytes.
pub const MAX_REASON: usize = 500;

/// The sync service, shared by every request.
pub struct SyncService<S: PermitStore> {
    pub(crate) store: Box<dyn SyncStore>,
    pub(crate) permits: Arc<S>,
    pub(crate) keys: Arc<KeyRing>,
    pub(crate) rehearsal: Option<Regime>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) admin_token: String,
    pub(crate) bundles: Bundles,
    pub(crate) key_hook: std::sync::OnceLock<KeyHook>,
    pub(crate) limiters: Limiters,
}

/// What runs after a reload that revoked keys ([`SyncService::on_keys_reloaded`]).
pub type KeyHook = Box<dyn Fn(&Reloaded) -> Option<Reissue> + Send + Sync>;

/// A text field that must be 1 to 32 printable ASCII characters (a badge, a precinct).
pub(crate) fn short_name(code: &'static str, what: &str, value: &str) -> Result<String, SyncError> {
    OfficerBadge::new(value).map(|b| b.as_str().to_owned()).map_err(|_| {
        SyncError::invalid(code, format!("the {what} {value:?} must be 1 to 32 printable ASCII characters, no spaces"))
    })
}

fn reason(text: &str) -> Result<String, SyncError> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_REASON || text.chars().any(char::is_control) {
        return Err(SyncError::invalid(
            "invalid_reason",
            format!("give a reason of 1 to {MAX_REASON} bytes without control characters: it goes to the audit trail"),
        ));
    }
    Ok(text.to_owned())
}

impl<S: PermitStore> SyncService<S> {
    /// A service over its store, the SMS service's store (for permits and
    /// regimes), the authority's keys (for signing bundles) and the admin token.
    pub fn new(
        store: Box<dyn SyncStore>,
        permits: Arc<S>,
        keys: Arc<KeyRing>,
        rehearsal: Option<Regime>,
        clock: Arc<dyn Clock>,
        admin_token: String,
    ) -> Self {
        Self {
            store,
            permits,
            keys,
            rehearsal,
            clock,
            admin_token,
            bundles: Bundles::new(32),
            key_hook: std::sync::OnceLock::new(),
            limiters: Limiters::new(SyncLimits::default()),
        }
    }

    /// The same service within `limits` instead of [`SyncLimits::default`].
    pub fn with_limits(mut self, limits: SyncLimits) -> Self {
        self.limiters = Limiters::new(limits);
        self
    }

    /// The current minute of the service's clock.
    pub fn now(&self) -> UtcMinute {
        self.clock.now()
    }

    /// Recognises the `Authorization` header (`401` without a valid one),
    /// and takes the request from a supervisor's bucket (`429` when empty).
    pub fn authenticate(&self, header: Option<&str>) -> Result<Caller, SyncError> {
        let caller = auth::authenticate(self.store.as_ref(), &self.admin_token, header)?;
        if let Caller::Supervisor { name, .. } = &caller {
            self.limiters.supervisors.take(name).map_err(|wait| self.limiters.refuse("supervisor", wait))?;
        }
        Ok(caller)
    }

    fn view(&self, row: DeviceRow) -> Result<DeviceView, SyncError> {
        let gap = if row.max_seq > row.high_water {
            let next = self.store.next_seq_after(&row.device_id, row.high_water)?.unwrap_or(row.max_seq + 1);
            Some((row.high_water + 1, next.saturating_sub(1)))
        } else {
            None
        };
        // Counted also once a fork was cleared: the records kept apart stay.
        let conflicts = self.store.conflict_count(&row.device_id)?;
        Ok(DeviceView { row, gap, conflicts })
    }

    pub(crate) fn write<T>(
        &self,
        mut work: impl FnMut(&mut dyn SyncTx) -> Result<T, SyncError>,
    ) -> Result<T, SyncError> {
        let mut outcome = Outcome::default();
        let done = self.store.write(&mut |tx| outcome.keep(work(tx)));
        outcome.finish(done, || SyncError::Internal("the transaction did not run".into()))
    }

    pub(crate) fn audit(
        &self,
        tx: &mut dyn SyncTx,
        caller: &Caller,
        what: &str,
        details: AuditDetails,
    ) -> Result<(), StoreError> {
        tx.audit(&AuditEntry { at: self.now(), who: caller.name().to_owned(), what: what.to_owned(), details })
    }

    /// Puts the key directory's keys in force again after `icaze keys rotate`
    /// (administrators only), audited; then runs the hook another part of the
    /// service set ([`SyncService::on_keys_reloaded`]: the portal re-issues its
    /// long-lived permits of a revoked key), and answers with what changed and
    /// what the hook said. The next bundle carries the new trust list (its
    /// fingerprint changed, so its version goes up). The version put in force
    /// is counted in the main store ([`PermitStore::trust_list_reloaded`]):
    /// the other instances on the same database reload their own key
    /// directories when they see it (the hook runs here only: what it does
    /// is stored, once).
    pub fn reload_keys(&self, caller: &Caller) -> Result<KeysReloaded, SyncError> {
        caller.require_admin()?;
        let reloaded = self.keys.reload().map_err(|e| SyncError::invalid("keys_refused", e.to_string()))?;
        let revoked: Vec<u8> = reloaded.newly_revoked.iter().map(|k| k.0).collect();
        let details = AuditDetails::KeysReloaded {
            from_version: reloaded.from_version,
            revoked_keys: revoked.clone(),
            to_version: reloaded.to_version,
        };
        self.write(|tx| Ok(self.audit(tx, caller, "keys_reloaded", details.clone())?))?;
        let hook = match self.key_hook.get() {
            Some(hook) if !reloaded.newly_revoked.is_empty() => hook(&reloaded),
            _ => None,
        };
        // Last, so that a failure here leaves the hook done: the call again
        // reloads nothing new and counts the version for the other instances.
        self.permits.trust_list_reloaded(reloaded.to_version)?;
        Ok(KeysReloaded { trust_list_version: reloaded.to_version, revoked_keys: revoked, reissued: hook })
    }

    /// Sets what runs after a reload that revoked keys (once; later calls are ignored).
    pub fn on_keys_reloaded(&self, hook: KeyHook) {
        let _ = self.key_hook.set(hook);
    }

    /// Approves (or re-assigns) the device of an enrollment code.
    pub fn approve(
        &self,
        caller: &Caller,
        code: &str,
        badge: &str,
        precinct: &str,
    ) -> Result<(Approval, DeviceView), SyncError> {
        let code = EnrollmentCode::parse(code)?;
        let badge = short_name("invalid_badge", "badge", badge)?;
        let precinct = short_name("invalid_precinct", "precinct", precinct)?;
        caller.require_precinct(&precinct)?;
        let device_id = code.device_id().to_string();
        let now = self.now();
        let (approval, row) = self.write(|tx| {
            let existing = tx.device(&device_id)?;
            let (approval, row) = match existing {
                Some(d) if d.badge == badge && d.precinct == precinct => return Ok((Approval::Unchanged, d)),
                Some(d) => {
                    caller.require_precinct(&d.precinct)?;
                    let row = DeviceRow {
                        badge: badge.clone(),
                        precinct: precinct.clone(),
                        approved_at: now,
                        approved_by: caller.name().to_owned(),
                        ..d.clone()
                    };
                    let details = AuditDetails::DeviceReassigned {
                        badge: badge.to_owned(),
                        device_id: device_id.to_owned(),
                        precinct: precinct.to_owned(),
                        previous_badge: d.badge.clone(),
                        previous_precinct: d.precinct.clone(),
                    };
                    self.audit(tx, caller, "device_reassigned", details)?;
                    (Approval::Reassigned, row)
                }
                None => {
                    let row = DeviceRow {
                        device_id: device_id.clone(),
                        public_key: code.public_key().to_bytes(),
                        badge: badge.clone(),
                        precinct: precinct.clone(),
                        suspended: false,
                        approved_at: now,
                        approved_by: caller.name().to_owned(),
                        last_sync: None,
                        high_water: 0,
                        max_seq: 0,
                        fork_seq: None,
                        badge_seq: None,
                    };
                    let details = AuditDetails::DeviceApproved {
                        badge: badge.to_owned(),
                        device_id: device_id.to_owned(),
                        precinct: precinct.to_owned(),
                    };
                    self.audit(tx, caller, "device_approved", details)?;
                    (Approval::Created, row)
                }
            };
            tx.put_device(&row)?;
            Ok((approval, row))
        })?;
        Ok((approval, self.view(row)?))
    }

    /// Suspends (`true`) or resumes (`false`) a device.
    pub fn set_suspended(
        &self,
        caller: &Caller,
        device_id: &str,
        suspended: bool,
        why: &str,
    ) -> Result<DeviceView, SyncError> {
        let why = reason(why)?;
        let row = self.write(|tx| {
            let device = tx.device(device_id)?.ok_or_else(|| SyncError::DeviceNotFound(device_id.to_owned()))?;
            caller.require_precinct(&device.precinct)?;
            if device.suspended == suspended {
                return Ok(device);
            }
            let row = DeviceRow { suspended, ..device };
            tx.put_device(&row)?;
            let what = if suspended { "device_suspended" } else { "device_resumed" };
            let details = AuditDetails::DeviceStatus { device_id: device_id.to_owned(), reason: why.to_owned() };
            self.audit(tx, caller, what, details)?;
            Ok(row)
        })?;
        self.view(row)
    }

    /// Clears a device's fork and badge flags once a supervisor has looked
    /// into them (audited with the seqs they pointed at). The conflicting
    /// records stay kept apart, the records stay as they came, and a new
    /// conflict or a new record under another badge flags the device again.
    pub fn clear_fork(&self, caller: &Caller, device_id: &str, why: &str) -> Result<DeviceView, SyncError> {
        let why = reason(why)?;
        let row = self.write(|tx| {
            let device = tx.device(device_id)?.ok_or_else(|| SyncError::DeviceNotFound(device_id.to_owned()))?;
            caller.require_precinct(&device.precinct)?;
            if device.fork_seq.is_none() && device.badge_seq.is_none() {
                return Ok(device);
            }
            let (fork_seq, badge_seq) = (device.fork_seq, device.badge_seq);
            let row = DeviceRow { fork_seq: None, badge_seq: None, ..device };
            tx.put_device(&row)?;
            self.audit(
                tx,
                caller,
                "fork_cleared",
                AuditDetails::ForkCleared {
                    badge_seq,
                    device_id: device_id.to_owned(),
                    fork_seq,
                    reason: why.to_owned(),
                },
            )?;
            Ok(row)
        })?;
        self.view(row)
    }

    /// The devices of a precinct (a supervisor's own when none is named), or
    /// all for an administrator; with `not_synced_hours`, only those whose
    /// last sync is older than that, or never happened.
    pub fn devices(
        &self,
        caller: &Caller,
        precinct: Option<&str>,
        not_synced_hours: Option<u32>,
    ) -> Result<Vec<DeviceView>, SyncError> {
        let scope = caller.scope(precinct)?;
        let now = self.now();
        let mut out = Vec::new();
        for row in self.store.devices(scope.as_deref())? {
            if let Some(hours) = not_synced_hours {
                let fresh = row.last_sync.is_some_and(|t| now.minutes_since(t) <= i64::from(hours) * 60);
                if fresh {
                    continue;
                }
            }
            out.push(self.view(row)?);
        }
        Ok(out)
    }

    /// Takes an upload batch (`caller` is `None`: the device itself) or an
    /// export file (`caller`: who imports it), in one transaction.
    pub fn upload(&self, bytes: &[u8], channel: Channel, caller: Option<&Caller>) -> Result<Receipt, SyncError> {
        let batch = UploadBatch::verify(bytes).map_err(SyncError::Batch)?;
        let device_id = batch.device_id().to_string();
        let now = self.now();
        let known = self.store.device_by_key(&batch.device_key().to_bytes())?;
        let Some(known) = known else {
            if batch.is_empty() && channel == Channel::Upload {
                return Ok(Receipt {
                    device: None,
                    device_id,
                    acknowledged_seq: 0,
                    acknowledged_hash: None,
                    accepted: 0,
                    duplicates: 0,
                    conflicts: 0,
                    channel,
                    server_time: now,
                });
            }
            return Err(SyncError::DeviceUnknown);
        };
        if let Some(caller) = caller {
            caller.require_precinct(&known.precinct)?;
        } else {
            // Counted once its signature is checked: a forged batch cannot empty a device's bucket.
            self.limiters.devices.take(&known.device_id).map_err(|wait| self.limiters.refuse("device", wait))?;
        }
        let n = batch.records().len() as u64;
        let first = batch.first_seq();
        // A log starts at seq 1 (record 0 would have no record before it to chain on).
        let last = first
            .checked_add(n.saturating_sub(1))
            .filter(|l| *l <= i64::MAX as u64 && (n == 0 || first >= 1))
            .ok_or_else(|| {
            SyncError::invalid(
                "invalid_seq",
                "the batch's sequence numbers must be 1 or more, and within what a device log can reach",
            )
        })?;
        let receipt = self.write(|tx| {
            let device = tx.device(&known.device_id)?.ok_or(SyncError::DeviceUnknown)?;
            if device.suspended {
                if batch.is_empty() && channel == Channel::Upload {
                    return Ok((device, 0, 0, 0, None));
                }
                return Err(SyncError::DeviceSuspended);
            }
            let (device, accepted, duplicates, conflicts) =
                if batch.is_empty() { (device, 0, 0, 0) } else { self.ingest(tx, device, &batch, last, channel)? };
            let device = DeviceRow { last_sync: Some(now), ..device };
            tx.put_device(&device)?;
            // What the device may drop: for a batch its last record, which is now kept
            // (in the log or apart); for a status request the record at high_water, by
            // its hash, so that a copy of a phone whose log went another way than the
            // server's drops nothing it has not sent.
            let acknowledged_hash = if !batch.is_empty() {
                Some(batch.last_hash())
            } else if device.high_water > 0 {
                tx.hashes(&device.device_id, device.high_water, device.high_water)?.first().map(|(_, h)| RecordHash(*h))
            } else {
                None
            };
            if channel == Channel::File {
                if let Some(caller) = caller {
                    let details = AuditDetails::FileImported {
                        accepted,
                        conflicts,
                        device_id: device.device_id.clone(),
                        duplicates,
                        first_seq: first,
                        records: n,
                    };
                    self.audit(tx, caller, "file_imported", details)?;
                }
            }
            Ok((device, accepted, duplicates, conflicts, acknowledged_hash))
        })?;
        let (device, accepted, duplicates, conflicts, acknowledged_hash) = receipt;
        let acknowledged_seq = if batch.is_empty() { device.high_water } else { last };
        Ok(Receipt {
            device: Some(self.view(device)?),
            device_id,
            acknowledged_seq,
            acknowledged_hash,
            accepted,
            duplicates,
            conflicts,
            channel,
            server_time: now,
        })
    }

    /// Classifies a non-empty batch's records (new, duplicate, conflicting)
    /// and stores them; returns the device row updated and the counts.
    fn ingest(
        &self,
        tx: &mut dyn SyncTx,
        mut device: DeviceRow,
        batch: &UploadBatch,
        last: u64,
        channel: Channel,
    ) -> Result<(DeviceRow, u64, u64, u64), SyncError> {
        let first = batch.first_seq();
        let id = device.device_id.clone();
        let now = self.now();
        // The stored hashes of first-1 ..= last, only when some may exist.
        let lookup_from = first.saturating_sub(1).max(1);
        let stored = if lookup_from <= device.max_seq { tx.hashes(&id, lookup_from, last)? } else { Vec::new() };
        let stored_hash =
            |seq: u64| stored.binary_search_by_key(&seq, |(s, _)| *s).ok().and_then(|i| stored.get(i)).map(|(_, h)| *h);

        // The left side: does the batch chain onto what the server holds?
        let mut conflict_seq: Option<u64> = None;
        // (Record first-1 not stored is a gap: the records are stored all the same.)
        let left_chained = if first == 1 {
            *batch.prev_hash() == GENESIS_HASH
        } else {
            stored_hash(first - 1).is_none_or(|h| RecordHash(h) == *batch.prev_hash())
        };
        if !left_chained {
            conflict_seq = Some(first);
        }
        let mut duplicates = 0u64;
        let mut new: Vec<usize> = Vec::new();
        for (i, record) in batch.records().iter().enumerate() {
            if conflict_seq.is_some() {
                break;
            }
            match stored_hash(record.seq) {
                Some(h) if RecordHash(h) == record.hash => duplicates += 1,
                Some(_) => conflict_seq = Some(record.seq),
                None => new.push(i),
            }
        }
        // The right side: the first stored record after the batch must chain on its last one.
        if conflict_seq.is_none() && !new.is_empty() && last < device.max_seq {
            if let Some(prev) = tx.prev_hash_of(&id, last + 1)? {
                if RecordHash(prev) != batch.last_hash() {
                    conflict_seq = new.first().and_then(|&i| batch.records().get(i)).map(|r| r.seq);
                }
            }
        }
        // A record made since the approval under another officer's badge than
        // the approved one: someone else used this device (or its key).
        if device.badge_seq.is_none() {
            let other = new
                .iter()
                .filter_map(|&i| batch.records().get(i))
                .find(|r| r.officer.as_str() != device.badge && r.at >= device.approved_at);
            device.badge_seq = other.map(|r| r.seq);
        }
        let bodies: Vec<&[u8]> = batch.bodies().collect();
        if let Some(seq) = conflict_seq {
            // Everything of the batch that is not an exact duplicate is kept apart.
            let mut conflicts = 0u64;
            for (record, body) in batch.records().iter().zip(&bodies) {
                if stored_hash(record.seq).is_some_and(|h| RecordHash(h) == record.hash) {
                    continue;
                }
                conflicts += 1;
                tx.insert_conflict(&ConflictRow {
                    device_id: id.clone(),
                    seq: record.seq,
                    prev_hash: record.prev_hash.0,
                    hash: record.hash.0,
                    body: body.to_vec(),
                    received_at: now,
                    channel: channel.code(),
                })?;
            }
            if device.fork_seq.is_none() {
                device.fork_seq = Some(seq);
            }
            return Ok((device, 0, duplicates, conflicts));
        }
        // The rows borrow the batch: nothing is copied before SQLite copies it.
        let rows = new
            .iter()
            .filter_map(|&i| Some((i, batch.records().get(i)?, *bodies.get(i)?)))
            .map(|(i, record, body)| InspectionRow {
                seq: record.seq,
                at: record.at,
                officer: record.officer.as_str(),
                zone: record.zone.get(),
                input: record.input.code(),
                display: record.outcome.as_ref().map(|o| o.display.as_str()),
                // Only the batch's first record can follow one that is not
                // stored: every other one follows a record of the batch, new
                // (stored just before it) or a duplicate (stored already).
                gap_prev_hash: (i == 0 && first > 1 && stored_hash(first - 1).is_none()).then_some(record.prev_hash.0),
                hash: record.hash.0,
                body,
            })
            .collect();
        tx.insert_inspections(&NewInspections {
            device_id: &id,
            precinct: &device.precinct,
            received_at: now,
            channel: channel.code(),
            rows,
        })?;
        let accepted = new.len() as u64;
        if accepted > 0 {
            // Records 1..=high_water and first..=last are now all stored, chained
            // (the batch chains on record first-1 and on the record after it);
            // when they touch, the chained prefix reaches last, and maybe beyond.
            if device.high_water.saturating_add(1) >= first {
                let mut hw = last.max(device.high_water);
                while device.max_seq > hw {
                    let seqs = tx.seqs_after(&id, hw, 1024)?;
                    let full = seqs.len() == 1024;
                    let before = hw;
                    for s in seqs {
                        if s != hw + 1 {
                            break;
                        }
                        hw = s;
                    }
                    if !full || hw != before + 1024 {
                        break;
                    }
                }
                device.high_water = hw;
            }
            device.max_seq = device.max_seq.max(last);
        }
        Ok((device, accepted, duplicates, 0))
    }

    /// The requests refused for their rate since the service started.
    pub fn rate_limited(&self) -> &RateLimited {
        self.limiters.refused()
    }

    /// Whether the permit `serial` is revoked (for the SMS service, which
    /// never sends a revoked permit again).
    pub fn is_revoked(&self, serial: u32) -> Result<bool, SyncError> {
        Ok(self.store.is_revoked(serial)?)
    }

    /// The revocations in versions above `since_version` (administrators only).
    pub fn revocations(&self, caller: &Caller, since_version: u64) -> Result<Vec<RevocationRow>, SyncError> {
        caller.require_admin()?;
        Ok(self.store.revocations(since_version)?)
    }

    /// A page of inspections within the caller's reach.
    pub fn inspections(&self, caller: &Caller, filter: &InspectionFilter) -> Result<InspectionPage, SyncError> {
        let precinct = caller.scope(filter.precinct.as_deref())?;
        if let (Some(device), Some(own)) = (&filter.device, caller.precinct()) {
            if let Some(row) = self.store.device(device)? {
                if row.precinct != own {
                    return Err(SyncError::Forbidden(format!("device {device} is not of your precinct {own}")));
                }
            }
        }
        let limit = filter.limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(SyncError::invalid("invalid_limit", format!("limit must be 1 to {MAX_PAGE}")));
        }
        let after = filter.after.as_deref().map(parse_cursor).transpose()?;
        let query = InspectionQuery {
            precinct,
            officer: filter.officer.clone(),
            zone: filter.zone,
            device: filter.device.clone(),
            from: filter.from,
            to: filter.to,
            violations: filter.violations,
            limit,
            after,
        };
        let rows = self.store.inspections(&query)?;
        let next = if rows.len() == limit as usize {
            rows.last().map(|r| format!("{}.{}", r.at.unix_minutes(), r.id))
        } else {
            None
        };
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let record = InspectionRecord::decode(&row.body, RecordHash(row.prev_hash), RecordHash(row.hash))
                .map_err(|e| StoreError::Damaged(format!("a stored record of {} does not read: {e}", row.device_id)))?;
            records.push((row.device_id, row.precinct, record));
        }
        Ok(InspectionPage { records, next })
    }

    /// Counts per hour and per officer in `[from, to)` (default: the last 24 hours).
    pub fn hourly(
        &self,
        caller: &Caller,
        precinct: Option<&str>,
        from: Option<UtcMinute>,
        to: Option<UtcMinute>,
    ) -> Result<Activity, SyncError> {
        let scope = caller.scope(precinct)?;
        let to = to.unwrap_or_else(|| self.now());
        let from = from.unwrap_or_else(|| UtcMinute::from_unix_minutes(to.unix_minutes().saturating_sub(24 * 60)));
        let hours = self.store.hourly(scope.as_deref(), from, to)?;
        let officers = self.store.officers(scope.as_deref(), from, to)?;
        Ok(Activity { hours, officers })
    }

    /// The audit trail after the entry `after`, oldest first (administrators only).
    pub fn audit_trail(&self, caller: &Caller, after: i64, limit: u32) -> Result<Vec<(i64, AuditRecord)>, SyncError> {
        caller.require_admin()?;
        if limit == 0 || limit > MAX_PAGE {
            return Err(SyncError::invalid("invalid_limit", format!("limit must be 1 to {MAX_PAGE}")));
        }
        Ok(self.store.audit_entries(after, limit)?)
    }

    /// The bundle for a device that holds version `since` (`None`: none).
    pub fn bundle(&self, since: Option<u64>) -> Result<BundleAnswer, SyncError> {
        bundle::answer(self, since)
    }

    /// A recently built bundle by its ETag, while the cache has it.
    pub fn cached_bundle(&self, etag: &str) -> Option<Arc<bundle::BuiltBundle>> {
        self.bundles.get(etag)
    }
}

/// Reads a page cursor `<unix minute>.<row id>`.
fn parse_cursor(text: &str) -> Result<(UtcMinute, i64), SyncError> {
    let bad = || SyncError::invalid("invalid_cursor", "`after` must be the `next` of the page before, as given");
    let (at, id) = text.split_once('.').ok_or_else(bad)?;
    Ok((UtcMinute::from_unix_minutes(at.parse().map_err(|_| bad())?), id.parse().map_err(|_| bad())?))
}

pub(crate) mod feeds;
#[cfg(test)]
mod tests;
