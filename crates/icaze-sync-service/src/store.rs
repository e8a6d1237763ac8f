//! Storage of the sync service behind one interface, as `icaze_permits::store` is for
//! the SMS service: devices, the inspections they deliver, the records kept
//! apart, revocations, the bundle version, supervisors and the audit trail.
//!
//! The rules (`crate::SyncService`) see only [`SyncStore`] and [`SyncTx`];
//! `icaze_sqlite::sync` is the embedded implementation. Writes happen inside
//! [`SyncStore::write`], one transaction: the rules read and write through the
//! [`SyncTx`] they are given, and everything they did is committed together or
//! not at all.

use icaze_core::UtcMinute;

pub use icaze_permits::store::StoreError;

/// A device as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    /// The device id (`icaze_protocol::DeviceId`, 16 characters).
    pub device_id: String,
    /// Its Ed25519 public key.
    pub public_key: [u8; 32],
    /// The officer's badge.
    pub badge: String,
    /// The precinct it belongs to.
    pub precinct: String,
    /// Suspended: its uploads are refused.
    pub suspended: bool,
    /// When it was (last) approved.
    pub approved_at: UtcMinute,
    /// Who approved it.
    pub approved_by: String,
    /// The last upload or import that was accepted.
    pub last_sync: Option<UtcMinute>,
    /// Records `1..=high_water` are stored, chained, without a gap.
    pub high_water: u64,
    /// The highest `seq` stored in the device's log (above `high_water` when there is a gap).
    pub max_seq: u64,
    /// The first `seq` of the first conflict seen (a fork), if any.
    pub fork_seq: Option<u64>,
    /// The first `seq` of a record made, since the device's (last) approval,
    /// under another officer's badge than [`DeviceRow::badge`], if any.
    pub badge_seq: Option<u64>,
}

/// Records of one device's log to store together (one upload batch or
/// export file), borrowed from the verified batch so that nothing is copied
/// before the database copies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInspections<'a> {
    /// The device.
    pub device_id: &'a str,
    /// The device's precinct when the records were received.
    pub precinct: &'a str,
    /// When the server received them.
    pub received_at: UtcMinute,
    /// `upload` or `file`.
    pub channel: &'static str,
    /// The records, ascending by `seq`.
    pub rows: Vec<InspectionRow<'a>>,
}

/// One record of a device's log, as stored.
///
/// The row holds no `prev_hash`: it is the `hash` of the device's record
/// `seq - 1`, which is stored whenever the chain holds. Only when that record
/// is not stored (the record opens a gap's far side) is the chain hash before
/// it kept, in `gap_prev_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectionRow<'a> {
    /// The record's sequence number.
    pub seq: u64,
    /// The inspection time (device clock).
    pub at: UtcMinute,
    /// The officer's badge.
    pub officer: &'a str,
    /// The zone.
    pub zone: u16,
    /// The input kind's code (`violation` marks a violation).
    pub input: &'a str,
    /// The display level shown, if there was a verdict.
    pub display: Option<&'a str>,
    /// The chain hash of the record before, only when that record is not
    /// stored (neither in the log nor earlier in the same call).
    pub gap_prev_hash: Option<[u8; 32]>,
    /// The record's chain hash.
    pub hash: [u8; 32],
    /// The canonical record body (`docs/inspection-log.md`).
    pub body: &'a [u8],
}

/// A stored inspection read back for a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInspection {
    /// The row id: the order of reception, and the paging cursor's tie-breaker.
    pub id: i64,
    /// The device.
    pub device_id: String,
    /// Its precinct when received.
    pub precinct: String,
    /// The chain hash of the record before (read from that record when the
    /// row does not keep it).
    pub prev_hash: [u8; 32],
    /// The record's hash.
    pub hash: [u8; 32],
    /// The record body.
    pub body: Vec<u8>,
    /// The inspection time, for the cursor.
    pub at: UtcMinute,
}

/// Filters of an inspections query; every one given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectionQuery {
    /// Only this precinct.
    pub precinct: Option<String>,
    /// Only this officer.
    pub officer: Option<String>,
    /// Only this zone.
    pub zone: Option<u16>,
    /// Only this device.
    pub device: Option<String>,
    /// Inspections at or after.
    pub from: Option<UtcMinute>,
    /// Inspections before.
    pub to: Option<UtcMinute>,
    /// Only violations.
    pub violations: bool,
    /// At most this many rows.
    pub limit: u32,
    /// Only rows after this cursor `(at, id)` in the newest-first order.
    pub after: Option<(UtcMinute, i64)>,
}

/// Counts of one hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourCount {
    /// The hour's start.
    pub hour: UtcMinute,
    /// Inspections.
    pub inspections: u64,
    /// Violations among them.
    pub violations: u64,
    /// Those shown `not_valid`.
    pub not_valid: u64,
}

/// Counts of one officer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerCount {
    /// The badge.
    pub badge: String,
    /// Inspections.
    pub inspections: u64,
    /// Violations among them.
    pub violations: u64,
}

/// A record kept apart: it conflicts with the device's stored log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRow {
    /// The device.
    pub device_id: String,
    /// The record's sequence number.
    pub seq: u64,
    /// The chain hash before it, as the device had it.
    pub prev_hash: [u8; 32],
    /// Its hash.
    pub hash: [u8; 32],
    /// Its body.
    pub body: Vec<u8>,
    /// When received.
    pub received_at: UtcMinute,
    /// `upload` or `file`.
    pub channel: &'static str,
}

/// Why a serial was revoked, as far as devices are told: a replaced permit is
/// shown as "replaced by a newer permit" (the bundle's section 1,
/// `docs/bundle-format.md` §2.1), any other as revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RevocationKind {
    /// Revoked for any reason but a replacement.
    #[default]
    Other,
    /// Revoked because a newer permit replaced it (the portal's edit of a
    /// signed field of an employee).
    Replaced,
}

impl RevocationKind {
    /// The stored code: 0 other, 1 replaced.
    pub fn code(self) -> i16 {
        match self {
            RevocationKind::Other => 0,
            RevocationKind::Replaced => 1,
        }
    }

    /// The kind of a stored code; `None` for a code this version does not know.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(RevocationKind::Other),
            1 => Some(RevocationKind::Replaced),
            _ => None,
        }
    }
}

/// A revoked serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRow {
    /// The serial.
    pub serial: u32,
    /// The bundle version that first carries it.
    pub version: u64,
    /// When.
    pub at: UtcMinute,
    /// Who (the credential's name).
    pub by: String,
    /// Why.
    pub reason: String,
    /// The document it was revoked through, if it was.
    pub document: Option<String>,
    /// Replaced by a newer permit, or revoked for another reason.
    pub kind: RevocationKind,
}

/// A supervisor as stored: the token only as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisorRow {
    /// Unique name.
    pub name: String,
    /// Their precinct.
    pub precinct: String,
    /// SHA-256 of the bearer token.
    pub token_hash: [u8; 32],
    /// When made.
    pub created_at: UtcMinute,
    /// What the administrator granted them beyond their precinct.
    pub role: SupervisorRole,
}

/// A supervisor's role: what of people's data they may see
/// (`docs/security.md`, "Who sees a person's data").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SupervisorRole {
    /// A precinct supervisor: the abuse report with documents and phones
    /// masked, no search by a person.
    #[default]
    Supervisor,
    /// A supervisor the administrator made an investigator: searches by
    /// document or phone, and sees them in full.
    Investigator,
}

impl SupervisorRole {
    /// The stored and wire name: `supervisor` or `investigator`.
    pub fn as_str(self) -> &'static str {
        match self {
            SupervisorRole::Supervisor => "supervisor",
            SupervisorRole::Investigator => "investigator",
        }
    }

    /// The role of a stored or sent name; `None` for any other text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "supervisor" => Some(SupervisorRole::Supervisor),
            "investigator" => Some(SupervisorRole::Investigator),
            _ => None,
        }
    }
}

/// One line of the audit trail, to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: UtcMinute,
    /// Who: the credential's name.
    pub who: String,
    /// What, a stable code (`device_approved`, `revoked`…).
    pub what: String,
    /// The details.
    pub details: AuditDetails,
}

/// One line of the audit trail as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// When.
    pub at: UtcMinute,
    /// Who: the credential's name.
    pub who: String,
    /// What, a stable code (`device_approved`, `revoked`…).
    pub what: String,
    /// The details as the store keeps them: [`AuditDetails`] as JSON text.
    pub details: String,
}

/// The details of an audited action. A store keeps them as the JSON object
/// of their fields (`serde`'s untagged form, fields in name order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
#[allow(missing_docs)] // The fields say what they are.
pub enum AuditDetails {
    /// `keys_reloaded`.
    KeysReloaded { from_version: u64, revoked_keys: Vec<u8>, to_version: u64 },
    /// `device_approved`.
    DeviceApproved { badge: String, device_id: String, precinct: String },
    /// `device_reassigned`.
    DeviceReassigned {
        badge: String,
        device_id: String,
        precinct: String,
        previous_badge: String,
        previous_precinct: String,
    },
    /// `device_suspended`, `device_resumed`.
    DeviceStatus { device_id: String, reason: String },
    /// `fork_cleared`.
    ForkCleared { badge_seq: Option<u64>, device_id: String, fork_seq: Option<u64>, reason: String },
    /// `file_imported`.
    FileImported { accepted: u64, conflicts: u64, device_id: String, duplicates: u64, first_seq: u64, records: u64 },
    /// `revoked`.
    Revoked { document: Option<String>, reason: String, serials: Vec<u32>, version: u64 },
    /// `permits_searched` (a search by document, phone, code and period) and
    /// `code_report_viewed` (the abuse report with its top phones and
    /// documents): a view of people's data, with what was asked and how many
    /// rows it showed (`from`, `to`: the period, RFC 3339 UTC). `masked`:
    /// the documents and phones were shown masked.
    PeopleViewed {
        code: Option<u8>,
        document: Option<String>,
        from: String,
        masked: bool,
        phone: Option<String>,
        results: u64,
        to: String,
    },
    /// `supervisor_added`.
    SupervisorAdded { name: String, precinct: String, role: &'static str },
    /// `supervisor_removed`.
    SupervisorRemoved { name: String },
    /// `registry_replaced` (the registry in use replaced whole by an
    /// agency's feed) and `registry_replacement_refused` (left as it was):
    /// how many rows were loaded, bad, and removed from the registry.
    RegistryReplaced {
        forced: bool,
        loaded: u64,
        problems: u64,
        refused: Option<String>,
        registry: &'static str,
        removed: u64,
    },
}

/// The bundle's version counter and what it was last bumped for.
///
/// Each version has one state: nothing writes it but the transaction that
/// makes the next version ([`BundleState::mint`]), so what it says of the
/// organisations holds for every bundle of that version, whichever instance
/// builds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BundleState {
    /// The current version (0 before anything was ever built or revoked).
    pub version: u64,
    /// The fingerprint of the trust list, regimes and authorised
    /// organisations the version holds.
    pub fingerprint: Option<[u8; 32]>,
    /// When the current version was made.
    pub minted_at: Option<UtcMinute>,
    /// The fingerprint of the authorised organisations alone (their
    /// section's bytes) the version holds; `None` before any bundle of a
    /// build that keeps it.
    pub organisations: Option<[u8; 32]>,
    /// The version at which the organisations last changed: every version
    /// from it up to `version` carries the same list, so a device holding one
    /// of them needs no section 2 in its delta.
    pub organisations_version: u64,
    /// The version at which `organisations` and `organisations_version` were
    /// last known true: `version` itself, unless an instance of an older build
    /// (one that writes neither, during a rolling upgrade) made versions
    /// since, which may have carried another list. Then neither is known
    /// ([`BundleState::organisations_since`]) until the next version.
    pub organisations_checked: u64,
}

impl BundleState {
    /// Moves to the next version, made at `now`; what is known of the
    /// organisations stays known (their list is the same as the version
    /// before's, unless the caller says otherwise).
    pub fn mint(&mut self, now: UtcMinute) {
        let known = self.organisations_since().is_some();
        self.version += 1;
        self.minted_at = Some(now);
        if known {
            self.organisations_checked = self.version;
        }
    }

    /// The version since which the organisations are the same, when known:
    /// a delta from a base at it or above leaves section 2 out.
    pub fn organisations_since(&self) -> Option<u64> {
        (self.organisations.is_some() && self.organisations_checked == self.version)
            .then_some(self.organisations_version)
    }
}

/// Reads and writes inside one transaction of [`SyncStore::write`].
pub trait SyncTx {
    /// The device with this id.
    fn device(&mut self, device_id: &str) -> Result<Option<DeviceRow>, StoreError>;
    /// Inserts or replaces the device row.
    fn put_device(&mut self, device: &DeviceRow) -> Result<(), StoreError>;
    /// `(seq, hash)` of the device's stored records with `from <= seq <= to`, ascending.
    fn hashes(&mut self, device_id: &str, from: u64, to: u64) -> Result<Vec<(u64, [u8; 32])>, StoreError>;
    /// The chain hash before the device's record `seq`, if that record is
    /// stored (kept in its row, or the hash of the stored record `seq - 1`).
    fn prev_hash_of(&mut self, device_id: &str, seq: u64) -> Result<Option<[u8; 32]>, StoreError>;
    /// The stored seqs of the device above `after`, ascending, at most `limit`.
    fn seqs_after(&mut self, device_id: &str, after: u64, limit: u32) -> Result<Vec<u64>, StoreError>;
    /// Appends records to the device's log (a few multi-row statements for all).
    fn insert_inspections(&mut self, records: &NewInspections<'_>) -> Result<(), StoreError>;
    /// Keeps a record apart; `false` when that very record was already kept.
    fn insert_conflict(&mut self, row: &ConflictRow) -> Result<bool, StoreError>;
    /// The bundle version state.
    fn bundle_state(&mut self) -> Result<BundleState, StoreError>;
    /// Sets the bundle version state.
    fn set_bundle_state(&mut self, state: &BundleState) -> Result<(), StoreError>;
    /// Whether a serial is revoked.
    fn is_revoked(&mut self, serial: u32) -> Result<bool, StoreError>;
    /// Records a revocation.
    fn insert_revocation(&mut self, row: &RevocationRow) -> Result<(), StoreError>;
    /// Of `serials`, those revoked already: [`SyncTx::is_revoked`] of each,
    /// which a backend on a database server answers in one query.
    fn revoked_among(&mut self, serials: &[u32]) -> Result<std::collections::BTreeSet<u32>, StoreError> {
        let mut revoked = std::collections::BTreeSet::new();
        for &serial in serials {
            if self.is_revoked(serial)? {
                revoked.insert(serial);
            }
        }
        Ok(revoked)
    }
    /// Records revocations, in order: [`SyncTx::insert_revocation`] of each,
    /// which a backend on a database server sends as one statement.
    fn insert_revocations(&mut self, rows: &[RevocationRow]) -> Result<(), StoreError> {
        rows.iter().try_for_each(|row| self.insert_revocation(row))
    }
    /// How many revocations `by` made at `since` or later (a supervisor's day).
    fn revocations_by_since(&mut self, by: &str, since: UtcMinute) -> Result<u64, StoreError>;
    /// Adds a supervisor; `false` when the name is taken.
    fn insert_supervisor(&mut self, row: &SupervisorRow) -> Result<bool, StoreError>;
    /// Removes a supervisor; `false` when there was none of that name.
    fn delete_supervisor(&mut self, name: &str) -> Result<bool, StoreError>;
    /// Appends to the audit trail.
    fn audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError>;
}

/// The storage interface of the sync service.
pub trait SyncStore: Send + Sync + 'static {
    /// Runs `work` in one transaction, committed (durably) when it returns
    /// `Ok` and rolled back when it returns `Err`. The reads below answer
    /// only with writes that are durable (except [`SyncStore::device_by_key`]).
    fn write(&self, work: &mut dyn FnMut(&mut dyn SyncTx) -> Result<(), StoreError>) -> Result<(), StoreError>;
    /// The device with this id.
    fn device(&self, device_id: &str) -> Result<Option<DeviceRow>, StoreError>;
    /// The device with this public key. Unlike the other reads, the answer
    /// may show a write that is committed but not yet durable: it only serves
    /// to pick the device of an upload, whose own write reads it again.
    fn device_by_key(&self, key: &[u8; 32]) -> Result<Option<DeviceRow>, StoreError>;
    /// Every device, or those of one precinct, by id.
    fn devices(&self, precinct: Option<&str>) -> Result<Vec<DeviceRow>, StoreError>;
    /// The smallest stored seq of the device above `after`, if any.
    fn next_seq_after(&self, device_id: &str, after: u64) -> Result<Option<u64>, StoreError>;
    /// Inspections, newest first (by inspection time, then reception).
    fn inspections(&self, query: &InspectionQuery) -> Result<Vec<StoredInspection>, StoreError>;
    /// Counts per hour in `[from, to)` of one precinct or all.
    fn hourly(&self, precinct: Option<&str>, from: UtcMinute, to: UtcMinute) -> Result<Vec<HourCount>, StoreError>;
    /// Counts per officer in `[from, to)` of one precinct or all.
    fn officers(&self, precinct: Option<&str>, from: UtcMinute, to: UtcMinute)
        -> Result<Vec<OfficerCount>, StoreError>;
    /// The number of records kept apart for a device.
    fn conflict_count(&self, device_id: &str) -> Result<u64, StoreError>;
    /// The bundle version state.
    fn bundle_state(&self) -> Result<BundleState, StoreError>;
    /// Serials revoked in versions above `after_version` (all with 0) and up
    /// to `up_to_version`, ascending: a bundle of one version holds the same
    /// serials whenever, and by whichever instance, it is built.
    fn revoked_serials(&self, after_version: u64, up_to_version: u64) -> Result<Vec<u32>, StoreError>;
    /// The serials revoked as [`RevocationKind::Replaced`] in versions above
    /// `after_version` and up to `up_to_version`, ascending: a subset of
    /// [`SyncStore::revoked_serials`] over the same versions.
    fn replaced_serials(&self, after_version: u64, up_to_version: u64) -> Result<Vec<u32>, StoreError>;
    /// Whether this serial is revoked.
    fn is_revoked(&self, serial: u32) -> Result<bool, StoreError>;
    /// The number of serials revoked in versions above `after_version`.
    fn revoked_count(&self, after_version: u64) -> Result<u64, StoreError>;
    /// Revocations in versions above `after_version`, in order.
    fn revocations(&self, after_version: u64) -> Result<Vec<RevocationRow>, StoreError>;
    /// The supervisor whose token has this SHA-256.
    fn supervisor_by_token_hash(&self, hash: &[u8; 32]) -> Result<Option<SupervisorRow>, StoreError>;
    /// The audit trail, oldest first, after the row id `after`, at most `limit`.
    fn audit_entries(&self, after: i64, limit: u32) -> Result<Vec<(i64, AuditRecord)>, StoreError>;
}
