//! The portal service: its settings, its state, and the machinery every
//! permit goes through (the window and zones checked against the regime,
//! the holder against the registry, serials reserved, signed, recorded in
//! the main store, then in the portal's own; revoked through the sync
//! service).

use std::ops::Range;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use icaze_core::{ClaimsSpec, DocumentNumber, PermitClaims, PermitSerial, Purpose, UtcMinute, VehiclePlate, ZoneId};
use icaze_permits::keys::KeyRing;
use icaze_permits::regime::Regime;
use icaze_permits::store::{Outcome, PermitRecord, PermitStore, Person};
use icaze_permits::Clock;
use icaze_sync_service::store::RevocationKind;
use icaze_sync_service::{Caller, RevokeTarget, SyncService};

use crate::fields::{day_of, day_start};
use crate::password::{HashCost, Hasher};
use crate::store::{AuditDetails, AuditEntry, PermitKind, PermitRow, PortalStore, PortalTx};
use crate::PortalError;

/// Minutes without a request after which a session ends.
pub const IDLE_MINUTES: u32 = 30;
/// Minutes after login after which a session ends in any case.
pub const ABSOLUTE_MINUTES: u32 = 12 * 60;
/// The most employees one page lists.
pub const MAX_PAGE: u32 = 1000;
/// Employees per page when the query says none.
pub const DEFAULT_PAGE: u32 = 100;
/// The longest name, position, login or note, in characters.
pub const MAX_TEXT: usize = 200;
/// A funeral permit lasts at most this many minutes.
pub const FUNERAL_MAX_MINUTES: u32 = 24 * 60;
/// A funeral permit starts at most this many minutes ahead.
pub const FUNERAL_MAX_AHEAD_MINUTES: u32 = 3 * 24 * 60;

/// Where the portal learns the regime in force at an instant. It is asked
/// at every check, so a regime replaced while the service runs is seen at
/// once.
pub type RegimeSource = Arc<dyn Fn(UtcMinute) -> Option<Arc<Regime>> + Send + Sync>;

/// Settings of the portal.
#[derive(Debug, Clone)]
pub struct PortalConfig {
    /// The cost of password hashes.
    pub hash_cost: HashCost,
    /// Whether the session cookie carries `Secure` (set unless the service
    /// listens on loopback, where there is no TLS).
    pub secure_cookie: bool,
    /// Serial numbers reserved at a time.
    pub serial_block: u32,
}

impl Default for PortalConfig {
    fn default() -> Self {
        Self { hash_cost: HashCost::default(), secure_cookie: true, serial_block: 256 }
    }
}

/// A permit ready to sign: checked against the regime and the registry.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub(crate) document: DocumentNumber,
    pub(crate) purpose: Purpose,
    pub(crate) zones: Vec<ZoneId>,
    pub(crate) valid_from: UtcMinute,
    pub(crate) valid_until: UtcMinute,
    pub(crate) plate: Option<VehiclePlate>,
}

/// A signed permit, not yet recorded.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    record: PermitRecord,
    zones: Vec<u16>,
}

/// The portal service, shared by every request.
pub struct PortalService<S: PermitStore> {
    store: Box<dyn PortalStore>,
    main: Arc<S>,
    pub(crate) sync: Arc<SyncService<S>>,
    keys: Arc<KeyRing>,
    pub(crate) regimes: RegimeSource,
    clock: Arc<dyn Clock>,
    config: PortalConfig,
    pub(crate) hasher: Hasher,
    serials: Mutex<Range<u32>>,
    /// Held by every change of employees and their permits: an edit revokes,
    /// signs and records in three stores, and two edits of one employee at
    /// once must not both see the old permit. Across instances, the store's
    /// lock ([`Self::changes`]).
    changes: Mutex<()>,
    runtime: tokio::runtime::Handle,
}

/// The right to change employees and their permits ([`PortalService::changes`]),
/// until dropped. The store's lock is let go first.
pub(crate) struct Changes<'a> {
    _store: crate::store::ChangeLock,
    _process: MutexGuard<'a, ()>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data are a serial range and a unit: a panic elsewhere
    // cannot leave them inconsistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<S: PermitStore> PortalService<S> {
    /// A service over its store, the main store, the sync service (for
    /// revocations and the admin token), the authority's keys (the ring the
    /// SMS service signs with, so that a reload applies to both), where
    /// regimes come from, and the clock. Must be called inside a tokio
    /// runtime, whose handle it keeps.
    pub fn new(
        store: Box<dyn PortalStore>,
        main: Arc<S>,
        sync: Arc<SyncService<S>>,
        keys: Arc<KeyRing>,
        regimes: RegimeSource,
        clock: Arc<dyn Clock>,
        config: PortalConfig,
    ) -> Result<Self, PortalError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| PortalError::Internal("the portal must be started inside a tokio runtime".into()))?;
        let mut cut = 0;
        store.write(&mut |tx| {
            cut = tx.fail_unfinished_imports()?;
            Ok(())
        })?;
        if cut > 0 {
            tracing::warn!(
                imports = cut,
                "imports cut by a restart are marked failed: nothing of them is in the portal"
            );
        }
        Ok(Self {
            store,
            main,
            sync,
            keys,
            regimes,
            clock,
            hasher: Hasher::new(config.hash_cost)?,
            config,
            serials: Mutex::new(0..0),
            changes: Mutex::new(()),
            runtime,
        })
    }

    /// The current minute.
    pub fn now(&self) -> UtcMinute {
        self.clock.now()
    }

    /// The settings.
    pub fn config(&self) -> &PortalConfig {
        &self.config
    }

    /// Recognises the sync API's bearer token (for the administrator's routes).
    pub fn authenticate_admin(&self, header: Option<&str>) -> Result<Caller, PortalError> {
        let caller = self.sync.authenticate(header)?;
        caller.require_admin()?;
        Ok(caller)
    }

    /// Waits for and holds the right to change employees and their permits:
    /// this process's lock, then the store's, which other instances on the
    /// same database take too.
    pub(crate) fn changes(&self) -> Result<Changes<'_>, PortalError> {
        let process = lock(&self.changes);
        let store = self.store.lock_changes()?;
        Ok(Changes { _store: store, _process: process })
    }

    pub(crate) fn write<T>(
        &self,
        mut work: impl FnMut(&mut dyn PortalTx) -> Result<T, PortalError>,
    ) -> Result<T, PortalError> {
        let mut outcome = Outcome::default();
        let done = self.store.write(&mut |tx| outcome.keep(work(tx)));
        outcome.finish(done, || PortalError::Internal("the transaction did not run".into()))
    }

    pub(crate) fn read<T>(
        &self,
        mut work: impl FnMut(&mut dyn PortalTx) -> Result<T, PortalError>,
    ) -> Result<T, PortalError> {
        let mut outcome = Outcome::default();
        let done = self.store.read(&mut |tx| outcome.keep(work(tx)));
        outcome.finish(done, || PortalError::Internal("the read did not run".into()))
    }

    /// An entry of the audit log, made now.
    pub(crate) fn audit_entry(&self, org_id: Option<i64>, by: &str, action: &str, details: AuditDetails) -> AuditEntry {
        AuditEntry { org_id, at: self.now(), by: by.to_owned(), action: action.to_owned(), details }
    }

    // Permits.

    pub(crate) fn regime_at(&self, at: UtcMinute) -> Option<Arc<Regime>> {
        (self.regimes)(at)
    }

    /// Checks a window of whole Baku days and zones against the regime in
    /// force on the first day.
    pub(crate) fn check_days(
        &self,
        zones: &[u16],
        from: &str,
        until: &str,
        purpose: Purpose,
    ) -> Result<(i32, i32, Vec<ZoneId>, UtcMinute, UtcMinute), PortalError> {
        let from_day = day_of(from, "valid_from")?;
        let until_day = day_of(until, "valid_until")?;
        if until_day < from_day {
            return Err(PortalError::invalid("invalid_dates", "valid_until is before valid_from")
                .case("until_before_from")
                .field("valid_until"));
        }
        let bad = || {
            PortalError::invalid("invalid_dates", "the dates are out of range").case("out_of_range").field("valid_from")
        };
        let start = day_start(from_day).ok_or_else(bad)?;
        let end = day_start(until_day + 1).ok_or_else(bad)?;
        let zones = self.check_window(zones, start, end, purpose, "portal")?;
        Ok((from_day, until_day, zones, start, end))
    }

    /// Checks a window and zones against the regime in force at its start.
    pub(crate) fn check_window(
        &self,
        zones: &[u16],
        start: UtcMinute,
        end: UtcMinute,
        purpose: Purpose,
        channel: &str,
    ) -> Result<Vec<ZoneId>, PortalError> {
        if end <= self.now() {
            return Err(PortalError::invalid("invalid_dates", "the permit would end in the past")
                .case("past")
                .field("valid_until"));
        }
        let regime = self.regime_at(start).ok_or_else(|| {
            PortalError::invalid(
                "outside_regime",
                format!("no regime is in force on {}: no permit is needed or possible then", start.baku()),
            )
            .case("no_regime")
            .field("valid_from")
            .param("date", start.baku())
        })?;
        if !regime.has_channel(channel) || !regime.purposes.contains(&purpose) {
            return Err(PortalError::invalid(
                "outside_regime",
                format!("the regime {} gives no {} permits through the {channel}", regime.id, purpose.name()),
            )
            .case("no_channel")
            .field("valid_from")
            .param("regime", &regime.id)
            .param("purpose", purpose.name())
            .param("channel", channel));
        }
        if end > regime.end {
            return Err(PortalError::invalid(
                "outside_regime",
                format!("the regime {} ends on {}: the permit must end by then", regime.id, regime.end.baku()),
            )
            .case("ends")
            .field("valid_until")
            .param("regime", &regime.id)
            .param("date", regime.end.baku()));
        }
        if zones.is_empty() || zones.len() > icaze_core::MAX_ZONES {
            return Err(PortalError::invalid(
                "invalid_zone",
                format!("give 1 to {} zones of the regime", icaze_core::MAX_ZONES),
            )
            .case("count")
            .field("zones")
            .param("max", icaze_core::MAX_ZONES));
        }
        let mut out = Vec::with_capacity(zones.len());
        for &zone in zones {
            match ZoneId::new(zone).filter(|z| regime.zones.contains_key(z)) {
                Some(z) => out.push(z),
                None => {
                    return Err(PortalError::invalid(
                        "invalid_zone",
                        format!("zone {zone} is not a zone of the regime {}", regime.id),
                    )
                    .case("not_in_regime")
                    .field("zones")
                    .param("zone", zone)
                    .param("regime", &regime.id))
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The registry's answer for a document: unknown and denied are refused.
    pub(crate) fn check_person(&self, document: &DocumentNumber) -> Result<Person, PortalError> {
        match self.main.person_and_denial(&document.canonical(), self.now())? {
            None => Err(PortalError::UnknownDocument(document.to_string())),
            Some((_, Some(_))) => Err(PortalError::Refused),
            Some((person, None)) => Ok(person),
        }
    }

    /// Serial numbers: a block is reserved durably in the main store and
    /// handed out one by one.
    fn serials(&self, count: u32) -> Result<Vec<u32>, PortalError> {
        let mut out = Vec::with_capacity(count as usize);
        let mut serials = lock(&self.serials);
        while out.len() < count as usize {
            if serials.is_empty() {
                let want = self.config.serial_block.max(count - out.len() as u32).max(1);
                *serials = self.runtime.block_on(self.main.reserve_serials(want))?;
            }
            let take = (serials.end - serials.start).min(count - out.len() as u32);
            out.extend(serials.start..serials.start + take);
            serials.start += take;
        }
        Ok(out)
    }

    /// Signs checked permits with the key of their purpose, with the serials given.
    fn sign(&self, permits: &[Checked], serials: &[u32]) -> Result<Vec<Signed>, PortalError> {
        let now = self.now();
        let authority = self.keys.current();
        let mut out = Vec::with_capacity(permits.len());
        for (c, &serial) in permits.iter().zip(serials) {
            let (key_id, key) = authority.signing_key(c.purpose, now).ok_or_else(|| {
                tracing::error!(purpose = %c.purpose.name(), "no issuer key may sign this purpose now");
                PortalError::Internal(format!("no key of the authority may sign {} permits now", c.purpose.name()))
            })?;
            let claims = PermitClaims::new(ClaimsSpec {
                serial: PermitSerial(serial),
                document: c.document.clone(),
                purpose: c.purpose,
                zones: c.zones.clone(),
                issued_at: now,
                valid_from: c.valid_from,
                valid_until: c.valid_until,
                vehicle: c.plate.clone(),
            })
            .map_err(|e| PortalError::invalid("invalid_dates", format!("the permit cannot be made: {e}")))?;
            let token = icaze_core::issue(key, key_id, &claims).to_text();
            let zone = c.zones.first().copied().ok_or_else(|| PortalError::invalid("invalid_zone", "no zone"))?;
            out.push(Signed {
                record: PermitRecord {
                    serial: PermitSerial(serial),
                    document: c.document.canonical(),
                    code: 0,
                    purpose: c.purpose.code(),
                    zone,
                    key_id: key_id.0,
                    issued_at: now,
                    valid_from: c.valid_from,
                    valid_until: c.valid_until,
                    phone: String::new(),
                    token,
                },
                zones: c.zones.iter().map(|z| z.get()).collect(),
            });
        }
        Ok(out)
    }

    /// Signs permits with fresh serials, recording nothing yet.
    pub(crate) fn prepare(&self, permits: &[Checked]) -> Result<Vec<Signed>, PortalError> {
        let serials = self.serials(permits.len() as u32)?;
        self.sign(permits, &serials)
    }

    /// Records signed permits in the main permits table, all or none.
    pub(crate) fn record(&self, signed: &[Signed]) -> Result<(), PortalError> {
        let records = signed.iter().map(|s| s.record.clone()).collect();
        Ok(self.runtime.block_on(self.main.record_issued_many(records))?)
    }

    /// Writes the portal's side of permits just recorded in the main
    /// store. If that fails, the permits were recorded but never handed out:
    /// they are revoked (best effort, logged) so that no valid token exists
    /// that the portal does not show.
    pub(crate) fn commit<T>(
        &self,
        signed: &[Signed],
        work: impl FnMut(&mut dyn PortalTx) -> Result<T, PortalError>,
    ) -> Result<T, PortalError> {
        let written = self.write(work);
        if let Err(e) = &written {
            let serials: Vec<u32> = signed.iter().map(|s| s.record.serial.0).collect();
            tracing::error!(error = %e, ?serials, "permits were recorded but the portal could not store them");
            let caller = Caller::Service { name: "portal".into() };
            if let Err(e) = self.revoke(&caller, &serials, "issued but not handed out: the portal's storage failed") {
                tracing::error!(error = %e, ?serials, "and they could not be revoked");
            }
        }
        written
    }

    /// Signs and records permits in the main permits table, all or none.
    pub(crate) fn issue(&self, permits: &[Checked]) -> Result<Vec<Signed>, PortalError> {
        let signed = self.prepare(permits)?;
        self.record(&signed)?;
        Ok(signed)
    }

    pub(crate) fn permit_row(signed: &Signed, kind: PermitKind, org_id: Option<i64>, by: &str) -> PermitRow {
        let r = &signed.record;
        PermitRow {
            serial: r.serial.0,
            kind,
            org_id,
            employee_id: None,
            trip_id: None,
            issued_by: by.to_owned(),
            document: r.document.clone(),
            zones: signed.zones.clone(),
            token: r.token.clone(),
            issued_at: r.issued_at,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            revoked: false,
            note: None,
        }
    }

    /// Revokes serials through the sync service (so that devices learn of
    /// them in the next bundle), naming `who` in its audit trail.
    pub(crate) fn revoke(&self, caller: &Caller, serials: &[u32], why: &str) -> Result<(), PortalError> {
        self.revoke_as(caller, serials, why, RevocationKind::Other)
    }

    /// [`PortalService::revoke`], the serials recorded as `kind`: a permit a
    /// newer one replaces reaches devices as replaced, not merely revoked.
    pub(crate) fn revoke_as(
        &self,
        caller: &Caller,
        serials: &[u32],
        why: &str,
        kind: RevocationKind,
    ) -> Result<(), PortalError> {
        if !serials.is_empty() {
            self.sync.revoke_as(caller, RevokeTarget::Serials(serials.to_vec()), why, kind)?;
        }
        Ok(())
    }
}
