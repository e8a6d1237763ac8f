//! The sync store's schema: its migrations, and the code tables of the
//! inspection rows' texts.

use rusqlite::types::{ToSqlOutput, Value, ValueRef};

/// Each migration runs once, in order; `PRAGMA user_version` is the number done.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: devices, the log, the records kept apart, revocations, the bundle
    // version, supervisors, the audit trail.
    "CREATE TABLE devices (
        device_id TEXT PRIMARY KEY,
        public_key BLOB NOT NULL UNIQUE,
        badge TEXT NOT NULL,
        precinct TEXT NOT NULL,
        suspended INTEGER NOT NULL,
        approved_at INTEGER NOT NULL,
        approved_by TEXT NOT NULL,
        last_sync INTEGER,
        high_water INTEGER NOT NULL,
        max_seq INTEGER NOT NULL,
        fork_seq INTEGER
     ) WITHOUT ROWID;
     CREATE INDEX devices_precinct ON devices (precinct);
     CREATE TABLE inspections (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        precinct TEXT NOT NULL,
        at INTEGER NOT NULL,
        officer TEXT NOT NULL,
        zone INTEGER NOT NULL,
        input TEXT NOT NULL,
        display TEXT,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        body BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        UNIQUE (device_id, seq)
     );
     CREATE INDEX inspections_precinct_at ON inspections (precinct, at);
     CREATE TRIGGER inspections_no_update BEFORE UPDATE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;
     CREATE TRIGGER inspections_no_delete BEFORE DELETE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;
     CREATE TABLE conflicts (
        id INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        body BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        UNIQUE (device_id, seq, hash)
     );
     CREATE TRIGGER conflicts_no_update BEFORE UPDATE ON conflicts
        BEGIN SELECT RAISE(ABORT, 'records kept apart are append-only'); END;
     CREATE TRIGGER conflicts_no_delete BEFORE DELETE ON conflicts
        BEGIN SELECT RAISE(ABORT, 'records kept apart are append-only'); END;
     CREATE TABLE revocations (
        serial INTEGER PRIMARY KEY,
        version INTEGER NOT NULL,
        at INTEGER NOT NULL,
        by TEXT NOT NULL,
        reason TEXT NOT NULL,
        document TEXT
     );
     CREATE INDEX revocations_version ON revocations (version);
     CREATE TABLE bundle_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        fingerprint BLOB,
        minted_at INTEGER
     );
     INSERT INTO bundle_state VALUES (1, 0, NULL, NULL);
     CREATE TABLE supervisors (
        name TEXT PRIMARY KEY,
        precinct TEXT NOT NULL,
        token_hash BLOB NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
     );
     CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        who TEXT NOT NULL,
        what TEXT NOT NULL,
        details TEXT NOT NULL
     );
     CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
     CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
    // 2 (issue 5, ingest speed): devices get an integer number, which keys
    // their inspections in place of the 16-character text id; an inspection
    // row no longer repeats the chain hash before it (the stored hash of the
    // record before), and keeps it only when that record is not stored (the
    // far side of a gap). Both tables are rewritten; row ids are kept, so the
    // order of reception and the paging cursors stay as they were. A row whose
    // device is missing makes the migration fail (NOT NULL) rather than drop it.
    "CREATE TABLE devices_v2 (
        num INTEGER PRIMARY KEY,
        device_id TEXT NOT NULL UNIQUE,
        public_key BLOB NOT NULL UNIQUE,
        badge TEXT NOT NULL,
        precinct TEXT NOT NULL,
        suspended INTEGER NOT NULL,
        approved_at INTEGER NOT NULL,
        approved_by TEXT NOT NULL,
        last_sync INTEGER,
        high_water INTEGER NOT NULL,
        max_seq INTEGER NOT NULL,
        fork_seq INTEGER
     );
     INSERT INTO devices_v2 (device_id, public_key, badge, precinct, suspended, approved_at, approved_by,
        last_sync, high_water, max_seq, fork_seq)
        SELECT device_id, public_key, badge, precinct, suspended, approved_at, approved_by,
            last_sync, high_water, max_seq, fork_seq
        FROM devices ORDER BY device_id;
     CREATE TABLE inspections_v2 (
        id INTEGER PRIMARY KEY,
        device INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        precinct TEXT NOT NULL,
        at INTEGER NOT NULL,
        officer TEXT NOT NULL,
        zone INTEGER NOT NULL,
        input TEXT NOT NULL,
        display TEXT,
        gap_prev_hash BLOB,
        hash BLOB NOT NULL,
        body BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        channel TEXT NOT NULL,
        UNIQUE (device, seq)
     );
     INSERT INTO inspections_v2 (id, device, seq, precinct, at, officer, zone, input, display, gap_prev_hash,
        hash, body, received_at, channel)
        SELECT i.id, (SELECT d.num FROM devices_v2 d WHERE d.device_id = i.device_id), i.seq, i.precinct, i.at,
            i.officer, i.zone, i.input, i.display,
            CASE WHEN (i.seq = 1 AND i.prev_hash = zeroblob(32))
                OR i.prev_hash IS (SELECT p.hash FROM inspections p WHERE p.device_id = i.device_id AND p.seq = i.seq - 1)
                THEN NULL ELSE i.prev_hash END,
            i.hash, i.body, i.received_at, i.channel
        FROM inspections i ORDER BY i.id;
     DROP TABLE inspections;
     DROP TABLE devices;
     ALTER TABLE devices_v2 RENAME TO devices;
     CREATE INDEX devices_precinct ON devices (precinct);
     ALTER TABLE inspections_v2 RENAME TO inspections;
     CREATE INDEX inspections_precinct_at ON inspections (precinct, at);
     CREATE TRIGGER inspections_no_update BEFORE UPDATE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;
     CREATE TRIGGER inspections_no_delete BEFORE DELETE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;",
    // 3 (issue 5, ingest speed, fewer bytes a row): the precinct of an
    // inspection is a number (`precincts.num`), and its input kind, display
    // level and channel are small integers (`INPUT_CODES`, `DISPLAY_CODES`,
    // `CHANNEL_CODES`, which these CASEs must match: a test checks it). The
    // three columns have no type, hence no affinity: a text without a code
    // (a display level a newer device sends) is kept as the text itself.
    // Row ids are kept, as in migration 2.
    "CREATE TABLE precincts (
        num INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
     );
     INSERT INTO precincts (name) SELECT DISTINCT precinct FROM inspections ORDER BY precinct;
     CREATE TABLE inspections_v3 (
        id INTEGER PRIMARY KEY,
        device INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        precinct INTEGER NOT NULL,
        at INTEGER NOT NULL,
        officer TEXT NOT NULL,
        zone INTEGER NOT NULL,
        input NOT NULL,
        display,
        gap_prev_hash BLOB,
        hash BLOB NOT NULL,
        body BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        channel NOT NULL,
        UNIQUE (device, seq)
     );
     INSERT INTO inspections_v3 (id, device, seq, precinct, at, officer, zone, input, display, gap_prev_hash,
        hash, body, received_at, channel)
        SELECT i.id, i.device, i.seq, (SELECT p.num FROM precincts p WHERE p.name = i.precinct), i.at, i.officer,
            i.zone,
            CASE i.input WHEN 'token' THEN 1 WHEN 'qr_digits' THEN 2 WHEN 'text' THEN 3 WHEN 'service_card' THEN 4
                WHEN 'summons' THEN 5 WHEN 'imminent_danger' THEN 6 WHEN 'violation' THEN 7 ELSE i.input END,
            CASE i.display WHEN 'valid' THEN 1 WHEN 'valid_with_warning' THEN 2 WHEN 'not_valid' THEN 3
                ELSE i.display END,
            i.gap_prev_hash, i.hash, i.body, i.received_at,
            CASE i.channel WHEN 'upload' THEN 1 WHEN 'file' THEN 2 ELSE i.channel END
        FROM inspections i ORDER BY i.id;
     DROP TABLE inspections;
     ALTER TABLE inspections_v3 RENAME TO inspections;
     CREATE INDEX inspections_precinct_at ON inspections (precinct, at);
     CREATE TRIGGER inspections_no_update BEFORE UPDATE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;
     CREATE TRIGGER inspections_no_delete BEFORE DELETE ON inspections
        BEGIN SELECT RAISE(ABORT, 'the inspection log is append-only'); END;",
    // 4 (issue 5, ingest speed): the inspections by precinct and time move
    // out of sync.db, into the time index (`time_index`), which a
    // thread of its own fills; the thread indexes the rows already there.
    "DROP INDEX inspections_precinct_at;",
    // 5 (issue 18): a record under another badge than the device's approved one.
    "ALTER TABLE devices ADD COLUMN badge_seq INTEGER;",
    // 6 (issue 18): a supervisor's revocations of the last 24 hours are counted.
    "CREATE INDEX revocations_by_at ON revocations (by, at);",
    // 7 (issue 22): why a serial was revoked, as devices are told
    // (`RevocationKind::code`: 0 other, 1 replaced by a newer permit).
    "ALTER TABLE revocations ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;",
    // 8 (issue 23): a supervisor's role, `supervisor` or `investigator`
    // (`icaze_sync_service::people`).
    "ALTER TABLE supervisors ADD COLUMN role TEXT NOT NULL DEFAULT 'supervisor';",
    // 9 (issue 23): the authorised organisations' own fingerprint and the
    // version at which they last changed, so that a delta from it or later
    // leaves them out (`icaze_sync_service::bundle`); unknown (NULL) until the
    // next version, which then carries them to every device.
    "ALTER TABLE bundle_state ADD COLUMN organisations BLOB;
     ALTER TABLE bundle_state ADD COLUMN organisations_version INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE bundle_state ADD COLUMN organisations_checked INTEGER NOT NULL DEFAULT 0;",
];

/// The stored codes of an inspection's input kinds (`icaze_protocol::InputKind::code`), migration 3.
pub(super) const INPUT_CODES: [(&str, i64); 7] = [
    ("token", 1),
    ("qr_digits", 2),
    ("text", 3),
    ("service_card", 4),
    ("summons", 5),
    ("imminent_danger", 6),
    ("violation", 7),
];

/// The stored codes of the display levels, migration 3.
pub(super) const DISPLAY_CODES: [(&str, i64); 3] = [("valid", 1), ("valid_with_warning", 2), ("not_valid", 3)];

/// The stored codes of the channels (`icaze_sync_service::Channel::code`), migration 3.
pub(super) const CHANNEL_CODES: [(&str, i64); 2] = [("upload", 1), ("file", 2)];

/// The stored form of a text with a code table: its code, or the text itself
/// when it has none (the column has no affinity, so SQLite keeps either).
pub(super) fn coded<'a>(codes: &[(&str, i64)], text: &'a str) -> ToSqlOutput<'a> {
    match codes.iter().find(|(t, _)| *t == text) {
        Some(&(_, code)) => ToSqlOutput::Owned(Value::Integer(code)),
        None => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
    }
}

/// The code of a text that is in its table, for the queries' SQL.
pub(super) fn code_of(codes: &[(&str, i64)], text: &str) -> i64 {
    // Invariant: callers pass a text of the table (checked by a test); 0 matches no row.
    codes.iter().find(|(t, _)| *t == text).map_or(0, |&(_, c)| c)
}
