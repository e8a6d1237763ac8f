//! The device's SQLite database: the only code on the device that knows SQLite.
//!
//! One file, `device.db`, in WAL mode with `synchronous = FULL`, so that a
//! commit has reached the disk (the WAL is fsynced) before it returns.
//! Migrations run in order; `PRAGMA user_version` is the number done.
//!
//! The inspection log is append-only at two levels: this module has no
//! statement that updates or deletes a row of `inspections`, and triggers in
//! the schema abort any `UPDATE` or `DELETE` on it, whoever issues it. Only
//! `outbox` rows (the list of records not yet acknowledged by the server) are
//! ever deleted, and only by [`Store::ack`].

use std::path::{Path, PathBuf};

use icaze_core::{AuthorisedOrganisation, AuthorisedOrganisations, PublicKey, TaxId, UtcMinute, ZoneId};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::error::DeviceError;
use icaze_protocol::{chain_hash, InspectionRecord, RecordHash, GENESIS_HASH};

/// Each migration runs once, in order.
const MIGRATIONS: &[&str] = &[
    // 1: identity, bundle state, sync state, the log and its outbox.
    "CREATE TABLE device (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        root_public BLOB NOT NULL,
        device_public BLOB NOT NULL,
        server TEXT,
        officer TEXT,
        created_at INTEGER NOT NULL
     );
     CREATE TABLE bundle (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        server_time INTEGER NOT NULL,
        trust_list_version INTEGER NOT NULL,
        trust_list BLOB NOT NULL,
        signed_bundle BLOB NOT NULL,
        revocations BLOB NOT NULL,
        revocation_count INTEGER NOT NULL,
        applied_at INTEGER NOT NULL
     );
     CREATE TABLE sync_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_sync_device INTEGER,
        last_sync_server INTEGER,
        clock_suspect TEXT
     );
     INSERT INTO sync_state (id) VALUES (1);
     CREATE TABLE inspections (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        body BLOB NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL
     );
     CREATE INDEX inspections_at ON inspections (at);
     CREATE TRIGGER inspections_no_update BEFORE UPDATE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;
     CREATE TRIGGER inspections_no_delete BEFORE DELETE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;
     CREATE TABLE outbox (seq INTEGER PRIMARY KEY REFERENCES inspections (seq));",
    // 2: records the server acknowledged leave the phone after a while
    // (`Store::prune`). The anchor keeps the hash of the last record gone, so
    // the chain of what stays still verifies; only rows up to the anchor and
    // out of the outbox may be deleted, and the anchor only moves forward.
    "CREATE TABLE prune_anchor (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        up_to_seq INTEGER NOT NULL,
        hash BLOB NOT NULL
     );
     INSERT INTO prune_anchor (id, up_to_seq, hash) VALUES (1, 0, zeroblob(32));
     CREATE TRIGGER prune_anchor_forward BEFORE UPDATE ON prune_anchor
        WHEN NEW.up_to_seq < OLD.up_to_seq
        BEGIN SELECT RAISE(ABORT, 'the prune anchor only moves forward'); END;
     DROP TRIGGER inspections_no_delete;
     CREATE TRIGGER inspections_no_delete BEFORE DELETE ON inspections
        WHEN OLD.seq > (SELECT up_to_seq FROM prune_anchor WHERE id = 1)
          OR OLD.seq IN (SELECT seq FROM outbox)
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only until the server has a record'); END;",
    // 3: the merged set of the revoked serials a newer permit replaced (bundle
    // format 2's section 1), in the revocation set's wire form; empty (`01 00`)
    // for what was applied before.
    "ALTER TABLE bundle ADD COLUMN replaced BLOB NOT NULL DEFAULT x'0100';",
    // 4: the authorised organisations of the last bundle that carried them
    // (issue 23), with each name folded for the service-card search
    // (`cards::fold`); `zones` the zone ids joined by `;`, empty for every zone.
    "CREATE TABLE organisations (
        tax_id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        folded TEXT NOT NULL,
        sector TEXT NOT NULL,
        zones TEXT NOT NULL,
        until INTEGER
     );",
];

/// WAL pages after which a commit checkpoints by itself (SQLite's default is 1000).
const AUTOCHECKPOINT_PAGES: i64 = 10_000;

/// The device's identity row.
pub(crate) struct DeviceRow {
    pub root: PublicKey,
    pub device_public: [u8; 32],
    pub server: Option<String>,
    pub officer: Option<String>,
}

/// The applied bundle: the last signed bundle as received, and the merged state.
pub(crate) struct BundleRow {
    pub version: u64,
    pub server_time: u64,
    pub trust_list_version: u64,
    pub trust_list: Vec<u8>,
    pub signed_bundle: Vec<u8>,
    pub revocations: Vec<u8>,
    pub revocation_count: u64,
    pub applied_at: UtcMinute,
    /// The merged replaced serials, in the revocation set's wire form.
    pub replaced: Vec<u8>,
}

/// The last good sync and the clock's standing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SyncRow {
    /// The device time of the last successful bundle application.
    pub last_sync_device: Option<UtcMinute>,
    /// The server time (Unix seconds) of that bundle.
    pub last_sync_server: Option<u64>,
    /// Why the clock is suspected, until a sync sees it right.
    pub clock_suspect: Option<String>,
}

/// What an appended record follows.
pub(crate) struct LogTip {
    /// The latest device time of any logged inspection.
    pub newest_at: Option<UtcMinute>,
    pub clock_suspect: Option<String>,
}

/// A log row as stored.
pub(crate) struct RawRecord {
    pub seq: i64,
    pub at: i64,
    pub body: Vec<u8>,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// An organisation's row as stored, before its values are checked.
struct OrganisationRow {
    tax_id: i64,
    name: String,
    sector: String,
    zones: String,
    until: Option<i64>,
}

impl OrganisationRow {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self { tax_id: r.get(0)?, name: r.get(1)?, sector: r.get(2)?, zones: r.get(3)?, until: r.get(4)? })
    }

    fn organisation(self) -> Result<AuthorisedOrganisation, String> {
        let tax_id = u64::try_from(self.tax_id).ok().and_then(TaxId::new).ok_or(format!("tax id {}", self.tax_id))?;
        let zones = self
            .zones
            .split(';')
            .filter(|z| !z.is_empty())
            .map(|z| z.parse().ok().and_then(ZoneId::new).ok_or(format!("zone {z:?} of {tax_id}")))
            .collect::<Result<Vec<_>, _>>()?;
        let until = self.until.map(|u| to_minute(u, "an organisation's end")).transpose()?;
        Ok(AuthorisedOrganisation { tax_id, name: self.name, sector: self.sector, zones, until })
    }
}

pub(crate) struct Store {
    conn: Connection,
    path: PathBuf,
}

fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt))
}

fn to_u64(v: i64, what: &str) -> Result<u64, String> {
    u64::try_from(v).map_err(|_| format!("{what} is negative"))
}

fn to_minute(v: i64, what: &str) -> Result<UtcMinute, String> {
    u32::try_from(v).map(UtcMinute::from_unix_minutes).map_err(|_| format!("{what} is out of range"))
}

fn hash32(bytes: &[u8], what: &str) -> Result<RecordHash, String> {
    bytes.try_into().map(RecordHash).map_err(|_| format!("{what} is not 32 bytes"))
}

impl Store {
    /// Creates a new database at `path`; refuses an existing file.
    pub fn create(path: &Path) -> Result<Self, DeviceError> {
        if path.exists() {
            return Err(DeviceError::AlreadyExists(path.to_owned()));
        }
        // Made first, readable by the owner only: SQLite gives its `-wal` and
        // `-shm` files the database file's bits, and the log holds other
        // people's documents and names.
        crate::keyfile::new_private_file()
            .open(path)
            .map_err(|source| DeviceError::Io { path: path.to_owned(), source })?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        let mut store = Self { conn, path: path.to_owned() };
        store.setup()?;
        Ok(store)
    }

    /// Opens an existing database.
    pub fn open(path: &Path) -> Result<Self, DeviceError> {
        if !path.exists() {
            return Err(DeviceError::NotADevice(path.parent().unwrap_or(path).to_owned()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| self_damaged(path, &e))?;
        let mut store = Self { conn, path: path.to_owned() };
        store.setup()?;
        store.check_length()?;
        Ok(store)
    }

    /// Refuses a file cut short. SQLite notices a missing page only when it
    /// reads it, which may be long after opening; the file's length tells at
    /// once. Only when the WAL is empty: otherwise the pages the header counts
    /// may still be in the WAL, waiting for a checkpoint.
    fn check_length(&self) -> Result<(), DeviceError> {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if wal_len > 0 {
            return Ok(());
        }
        let pages = (|| {
            let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            let count: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            Ok::<_, rusqlite::Error>((size, count))
        })();
        let (size, count) = pages.map_err(|e| self.damaged(e))?;
        let len =
            std::fs::metadata(&self.path).map_err(|source| DeviceError::Io { path: self.path.clone(), source })?.len();
        let (size, count) = (u64::try_from(size).unwrap_or(0), u64::try_from(count).unwrap_or(0));
        if size == 0 || len % size != 0 || len < size.saturating_mul(count) {
            return Err(self.bad(format!(
                "the file is {len} bytes, not the {count} pages of {size} bytes it should hold: it was cut short"
            )));
        }
        Ok(())
    }

    /// Maps SQLite's "not a database" and "malformed" to [`DeviceError::Damaged`].
    fn damaged(&self, e: rusqlite::Error) -> DeviceError {
        if is_damage(&e) {
            self_damaged(&self.path, &e)
        } else {
            e.into()
        }
    }

    fn bad(&self, detail: String) -> DeviceError {
        DeviceError::Damaged { path: self.path.clone(), detail }
    }

    fn setup(&mut self) -> Result<(), DeviceError> {
        let result = (|| {
            self.conn.busy_timeout(std::time::Duration::from_secs(10))?;
            self.conn.pragma_update(None, "journal_mode", "WAL")?;
            self.conn.pragma_update(None, "synchronous", "FULL")?;
            // A checkpoint inside a check's commit would add its own writes and
            // fsync to that check's latency; the app runs them while idle
            // (`Device::checkpoint`), and this larger threshold is a backstop.
            self.conn.pragma_update(None, "wal_autocheckpoint", AUTOCHECKPOINT_PAGES)?;
            self.conn.pragma_update(None, "foreign_keys", "ON")?;
            // Pruned records are overwritten, not left in free pages of a stolen phone.
            self.conn.pragma_update(None, "secure_delete", "ON")?;
            self.conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        })();
        let done = result.map_err(|e| self.damaged(e))?;
        let known = MIGRATIONS.len() as i64;
        if done > known {
            return Err(DeviceError::NewerSchema { found: done, known });
        }
        if done < 0 {
            return Err(self.bad(format!("schema version {done}")));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    pub fn insert_device(&mut self, row: &DeviceRow, now: UtcMinute) -> Result<(), DeviceError> {
        self.conn.execute(
            "INSERT INTO device (id, root_public, device_public, server, officer, created_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![
                row.root.to_bytes().as_slice(),
                row.device_public.as_slice(),
                row.server,
                row.officer,
                now.unix_minutes()
            ],
        )?;
        Ok(())
    }

    pub fn device(&self) -> Result<DeviceRow, DeviceError> {
        let row = self
            .conn
            .query_row("SELECT root_public, device_public, server, officer FROM device WHERE id = 1", [], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()
            .map_err(|e| self.damaged(e))?;
        let Some((root, device_public, server, officer)) = row else {
            return Err(self.bad("no device row: init did not finish".into()));
        };
        let root: [u8; 32] = root.as_slice().try_into().map_err(|_| self.bad("the root key is not 32 bytes".into()))?;
        let root = PublicKey::from_bytes(&root).map_err(|_| self.bad("the pinned root key is invalid".into()))?;
        let device_public = device_public
            .as_slice()
            .try_into()
            .map_err(|_| self.bad("the device public key is not 32 bytes".into()))?;
        Ok(DeviceRow { root, device_public, server, officer })
    }

    pub fn bundle(&self) -> Result<Option<BundleRow>, DeviceError> {
        let row = self
            .conn
            .query_row(
                "SELECT version, server_time, trust_list_version, trust_list, signed_bundle, revocations,
                        revocation_count, applied_at, replaced FROM bundle WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                        r.get::<_, Vec<u8>>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, Vec<u8>>(8)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.damaged(e))?;
        let Some((version, server_time, tl_version, trust_list, signed_bundle, revocations, count, applied, replaced)) =
            row
        else {
            return Ok(None);
        };
        let conv = || -> Result<BundleRow, String> {
            Ok(BundleRow {
                version: to_u64(version, "the bundle version")?,
                server_time: to_u64(server_time, "the server time")?,
                trust_list_version: to_u64(tl_version, "the trust list version")?,
                trust_list,
                signed_bundle,
                revocations,
                revocation_count: to_u64(count, "the revocation count")?,
                applied_at: to_minute(applied, "the application time")?,
                replaced,
            })
        };
        conv().map(Some).map_err(|d| self.bad(d))
    }

    pub fn sync_state(&self) -> Result<SyncRow, DeviceError> {
        let row = self
            .conn
            .query_row(
                "SELECT last_sync_device, last_sync_server, clock_suspect FROM sync_state WHERE id = 1",
                [],
                |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, Option<String>>(2)?)),
            )
            .optional()
            .map_err(|e| self.damaged(e))?;
        let Some((device, server, clock_suspect)) = row else {
            return Err(self.bad("no sync state row".into()));
        };
        let conv = || -> Result<SyncRow, String> {
            Ok(SyncRow {
                last_sync_device: device.map(|d| to_minute(d, "the last sync time")).transpose()?,
                last_sync_server: server.map(|s| to_u64(s, "the last server time")).transpose()?,
                clock_suspect,
            })
        };
        conv().map_err(|d| self.bad(d))
    }

    /// Replaces the bundle state and records a good sync, in one transaction;
    /// with `organisations`, the authorised organisations too (a bundle
    /// without them leaves those kept).
    pub fn save_bundle(
        &mut self,
        row: &BundleRow,
        sync: &SyncRow,
        organisations: Option<&AuthorisedOrganisations>,
    ) -> Result<(), DeviceError> {
        let version = i64::try_from(row.version).map_err(|_| self.bad("bundle version over 2^63".into()))?;
        let server_time = i64::try_from(row.server_time).map_err(|_| self.bad("server time over 2^63".into()))?;
        let trust_version =
            i64::try_from(row.trust_list_version).map_err(|_| self.bad("trust list version over 2^63".into()))?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT OR REPLACE INTO bundle (id, version, server_time, trust_list_version, trust_list, signed_bundle,
                revocations, revocation_count, applied_at, replaced) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                version,
                server_time,
                trust_version,
                row.trust_list,
                row.signed_bundle,
                row.revocations,
                i64::try_from(row.revocation_count).unwrap_or(i64::MAX),
                row.applied_at.unix_minutes(),
                row.replaced,
            ],
        )?;
        Self::write_sync(&tx, sync)?;
        if let Some(list) = organisations {
            Self::write_organisations(&tx, list)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn write_organisations(conn: &Connection, list: &AuthorisedOrganisations) -> Result<(), DeviceError> {
        conn.execute("DELETE FROM organisations", [])?;
        let mut insert = conn.prepare(
            "INSERT INTO organisations (tax_id, name, folded, sector, zones, until) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for o in list.as_slice() {
            let zones = o.zones.iter().map(|z| z.get().to_string()).collect::<Vec<_>>().join(";");
            // Invariant: a tax id is below 10^10, well within i64.
            let tax_id = o.tax_id.get() as i64;
            let until = o.until.map(UtcMinute::unix_minutes);
            insert.execute(params![tax_id, o.name, crate::cards::fold(&o.name), o.sector, zones, until])?;
        }
        Ok(())
    }

    /// The organisation with this tax id.
    pub fn organisation(&self, tax_id: TaxId) -> Result<Option<AuthorisedOrganisation>, DeviceError> {
        // Invariant: as in `write_organisations`.
        let tax = tax_id.get() as i64;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT tax_id, name, sector, zones, until FROM organisations WHERE tax_id = ?1")?;
        let row = stmt.query_row([tax], OrganisationRow::read).optional()?;
        row.map(|r| r.organisation().map_err(|e| self.bad(e))).transpose()
    }

    /// How many authorised organisations the device holds.
    pub fn organisation_count(&self) -> Result<u64, DeviceError> {
        let n: i64 = self.conn.query_row("SELECT count(*) FROM organisations", [], |r| r.get(0))?;
        to_u64(n, "the organisation count").map_err(|e| self.bad(e))
    }

    /// Up to `limit` organisations whose folded name holds `folded`, those
    /// that start with it first, then by name.
    pub fn organisations_named(&self, folded: &str, limit: usize) -> Result<Vec<AuthorisedOrganisation>, DeviceError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT tax_id, name, sector, zones, until FROM organisations WHERE instr(folded, ?1) > 0
             ORDER BY instr(folded, ?1) <> 1, folded, tax_id LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![folded, i64::try_from(limit).unwrap_or(i64::MAX)], OrganisationRow::read)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(|r| r.organisation().map_err(|e| self.bad(e))).collect()
    }

    fn write_sync(conn: &Connection, sync: &SyncRow) -> Result<(), DeviceError> {
        conn.execute(
            "UPDATE sync_state SET last_sync_device = ?1, last_sync_server = ?2, clock_suspect = ?3 WHERE id = 1",
            params![
                sync.last_sync_device.map(UtcMinute::unix_minutes),
                sync.last_sync_server.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
                sync.clock_suspect
            ],
        )?;
        Ok(())
    }

    /// Appends one record in one durable transaction. `make` sees the log's tip
    /// and returns the record (its `seq` and hashes are filled in here), a new
    /// clock suspicion to persist if any, and a value handed back with the
    /// committed record. Nothing is written when `make` fails.
    pub fn append<T>(
        &mut self,
        make: impl FnOnce(&LogTip) -> Result<(InspectionRecord, Option<String>, T), DeviceError>,
    ) -> Result<(InspectionRecord, T), DeviceError> {
        let path = self.path.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let last = tx
            .prepare_cached("SELECT seq, hash FROM inspections ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .optional()?;
        let (last_seq, last_hash) = match last {
            None => (0, GENESIS_HASH),
            Some((seq, hash)) => {
                let bad = |detail: String| DeviceError::Damaged { path: path.clone(), detail };
                (to_u64(seq, "a sequence number").map_err(bad)?, hash32(&hash, "a record hash").map_err(bad)?)
            }
        };
        let newest_at: Option<i64> =
            tx.prepare_cached("SELECT MAX(at) FROM inspections")?.query_row([], |r| r.get(0))?;
        let clock_suspect: Option<String> =
            tx.prepare_cached("SELECT clock_suspect FROM sync_state WHERE id = 1")?.query_row([], |r| r.get(0))?;
        let tip = LogTip {
            newest_at: newest_at.and_then(|a| u32::try_from(a).ok()).map(UtcMinute::from_unix_minutes),
            clock_suspect,
        };
        let (mut record, suspect, value) = make(&tip)?;
        record.seq = last_seq + 1;
        record.prev_hash = last_hash;
        let body = record.body()?;
        record.hash = chain_hash(&last_hash, &body);
        let seq = i64::try_from(record.seq).map_err(|_| DeviceError::Damaged {
            path: path.clone(),
            detail: "the sequence number is exhausted".into(),
        })?;
        tx.prepare_cached("INSERT INTO inspections (seq, at, body, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute(params![
                seq,
                record.at.unix_minutes(),
                body,
                record.prev_hash.0.as_slice(),
                record.hash.0.as_slice()
            ])?;
        tx.prepare_cached("INSERT INTO outbox (seq) VALUES (?1)")?.execute([seq])?;
        if let Some(reason) = suspect {
            tx.prepare_cached("UPDATE sync_state SET clock_suspect = ?1 WHERE id = 1")?.execute([reason])?;
        }
        tx.commit()?;
        Ok((record, value))
    }

    /// Calls `f` on every log row from `from_seq` on, in order, until it returns `false`.
    pub fn visit(
        &self,
        from_seq: u64,
        mut f: impl FnMut(RawRecord) -> Result<bool, DeviceError>,
    ) -> Result<(), DeviceError> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, at, body, prev_hash, hash FROM inspections WHERE seq >= ?1 ORDER BY seq")
            .map_err(|e| self.damaged(e))?;
        let mut rows = stmt.query([i64::try_from(from_seq).unwrap_or(i64::MAX)]).map_err(|e| self.damaged(e))?;
        while let Some(row) = rows.next().map_err(|e| self.damaged(e))? {
            let raw = (|| {
                Ok::<_, rusqlite::Error>(RawRecord {
                    seq: row.get(0)?,
                    at: row.get(1)?,
                    body: row.get(2)?,
                    prev_hash: row.get(3)?,
                    hash: row.get(4)?,
                })
            })()
            .map_err(|e| DeviceError::Damaged { path: self.path.clone(), detail: e.to_string() })?;
            if !f(raw)? {
                break;
            }
        }
        Ok(())
    }

    /// Decodes a stored row (without checking the chain).
    pub fn decode(&self, raw: &RawRecord) -> Result<InspectionRecord, DeviceError> {
        let prev = hash32(&raw.prev_hash, "a previous hash").map_err(|d| self.bad(d))?;
        let hash = hash32(&raw.hash, "a record hash").map_err(|d| self.bad(d))?;
        InspectionRecord::decode(&raw.body, prev, hash)
            .map_err(|e| self.bad(format!("the record at sequence number {} does not read: {e}", raw.seq)))
    }

    /// Copies the WAL into the database file as far as no reader prevents it.
    pub fn checkpoint(&self) -> Result<(), DeviceError> {
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())).map_err(|e| self.damaged(e))
    }

    pub fn log_len(&self) -> Result<u64, DeviceError> {
        let n: i64 =
            self.conn.query_row("SELECT COUNT(*) FROM inspections", [], |r| r.get(0)).map_err(|e| self.damaged(e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The newest record's sequence number (0 for an empty log). Not the
    /// number of rows: pruning removes the oldest ones.
    pub fn last_seq(&self) -> Result<u64, DeviceError> {
        let n: Option<i64> =
            self.conn.query_row("SELECT max(seq) FROM inspections", [], |r| r.get(0)).map_err(|e| self.damaged(e))?;
        match n {
            Some(n) => to_u64(n, "a sequence number").map_err(|d| self.bad(d)),
            None => Ok(self.prune_anchor()?.0),
        }
    }

    pub fn outbox_len(&self) -> Result<u64, DeviceError> {
        let n: i64 =
            self.conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0)).map_err(|e| self.damaged(e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The sequence numbers waiting for upload, oldest first, at most `limit`.
    pub fn outbox(&self, limit: usize) -> Result<Vec<u64>, DeviceError> {
        let mut stmt = self.conn.prepare_cached("SELECT seq FROM outbox ORDER BY seq LIMIT ?1")?;
        let rows = stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| r.get::<_, i64>(0))?;
        let mut out = Vec::new();
        for seq in rows {
            out.push(to_u64(seq?, "an outbox sequence number").map_err(|d| self.bad(d))?);
        }
        Ok(out)
    }

    /// The anchor of the pruned log: the last sequence number gone (0 when
    /// none) and its hash (the genesis hash when none).
    pub fn prune_anchor(&self) -> Result<(u64, RecordHash), DeviceError> {
        let (seq, hash): (i64, Vec<u8>) = self
            .conn
            .query_row("SELECT up_to_seq, hash FROM prune_anchor WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.damaged(e))?;
        let seq = to_u64(seq, "the prune anchor").map_err(|d| self.bad(d))?;
        Ok((seq, hash32(&hash, "the prune anchor's hash").map_err(|d| self.bad(d))?))
    }

    /// Deletes, in one transaction, the oldest records that the server has
    /// acknowledged (out of the outbox) and that were made before `before`,
    /// always keeping the newest record (the next one chains on it) and
    /// stopping at the first record still waiting for upload. Moves the
    /// anchor to the last record deleted. Returns how many were deleted.
    pub fn prune(&mut self, before: UtcMinute) -> Result<u64, DeviceError> {
        let path = self.path.clone();
        let bad = |detail: String| DeviceError::Damaged { path: path.clone(), detail };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The last seq that may go: below the first record waiting, below the
        // first record made at or after `before`, below the newest record.
        let limit: Option<i64> = tx.query_row(
            "SELECT min(
                 coalesce((SELECT min(seq) FROM outbox), 9223372036854775807),
                 coalesce((SELECT min(seq) FROM inspections WHERE at >= ?1), 9223372036854775807),
                 coalesce((SELECT max(seq) FROM inspections), 0)
             ) - 1",
            [before.unix_minutes()],
            |r| r.get(0),
        )?;
        let (anchor, _): (i64, Vec<u8>) =
            tx.query_row("SELECT up_to_seq, hash FROM prune_anchor WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let Some(limit) = limit.filter(|&l| l > anchor) else { return Ok(0) };
        let hash: Vec<u8> = tx
            .query_row("SELECT hash FROM inspections WHERE seq = ?1", [limit], |r| r.get(0))
            .map_err(|e| bad(format!("the record at sequence number {limit} is missing before pruning: {e}")))?;
        tx.execute("UPDATE prune_anchor SET up_to_seq = ?1, hash = ?2 WHERE id = 1", params![limit, hash])?;
        let deleted = tx.execute("DELETE FROM inspections WHERE seq <= ?1", [limit])?;
        tx.commit()?;
        Ok(deleted as u64)
    }

    /// Marks every record up to `up_to_seq` as acknowledged by the server;
    /// returns how many left the outbox. The records stay in the log.
    pub fn ack(&mut self, up_to_seq: u64) -> Result<u64, DeviceError> {
        let n =
            self.conn.execute("DELETE FROM outbox WHERE seq <= ?1", [i64::try_from(up_to_seq).unwrap_or(i64::MAX)])?;
        Ok(n as u64)
    }
}

fn self_damaged(path: &Path, e: &rusqlite::Error) -> DeviceError {
    DeviceError::Damaged { path: path.to_owned(), detail: e.to_string() }
}
