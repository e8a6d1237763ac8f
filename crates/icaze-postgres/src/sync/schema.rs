//! The sync store's tables and their versioned migrations, in the same
//! database as the permits store, every name prefixed `sync_` so that neither
//! store's tables can meet another's.

/// The name of the sync store's row in `schema_version`.
pub(crate) const STORE: &str = "sync";

/// Each migration runs once, in order, in one transaction with the version's
/// update (`crate::schema::migrate_store`).
///
/// Times are UTC minutes (`BIGINT`), sequence numbers and versions `BIGINT`
/// (stored as `i64`, refused above it), serials `BIGINT` (a `u32`).
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: devices, the log, the records kept apart, revocations, the bundle
    // version, supervisors, the audit trail.
    "CREATE TABLE sync_devices (
        device_id TEXT PRIMARY KEY,
        public_key BYTEA NOT NULL UNIQUE,
        badge TEXT NOT NULL,
        precinct TEXT NOT NULL,
        suspended BOOLEAN NOT NULL,
        approved_at BIGINT NOT NULL,
        approved_by TEXT NOT NULL,
        last_sync BIGINT,
        high_water BIGINT NOT NULL,
        max_seq BIGINT NOT NULL,
        fork_seq BIGINT,
        badge_seq BIGINT
     );
     CREATE INDEX sync_devices_precinct ON sync_devices (precinct);
     -- Invariant: a device's record is stored once (UNIQUE (device_id, seq)),
     -- whichever instance received it and however often.
     CREATE TABLE sync_inspections (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        device_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        precinct TEXT NOT NULL,
        at BIGINT NOT NULL,
        officer TEXT NOT NULL,
        zone INTEGER NOT NULL,
        input TEXT NOT NULL,
        display TEXT,
        gap_prev_hash BYTEA,
        hash BYTEA NOT NULL,
        body BYTEA NOT NULL,
        received_at BIGINT NOT NULL,
        channel TEXT NOT NULL,
        UNIQUE (device_id, seq)
     );
     CREATE INDEX sync_inspections_precinct_at ON sync_inspections (precinct, at, id);
     CREATE TABLE sync_conflicts (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        device_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        prev_hash BYTEA NOT NULL,
        hash BYTEA NOT NULL,
        body BYTEA NOT NULL,
        received_at BIGINT NOT NULL,
        channel TEXT NOT NULL,
        UNIQUE (device_id, seq, hash)
     );
     -- Invariant: a serial is revoked once, in the version that first carries it.
     CREATE TABLE sync_revocations (
        serial BIGINT PRIMARY KEY,
        version BIGINT NOT NULL,
        at BIGINT NOT NULL,
        by TEXT NOT NULL,
        reason TEXT NOT NULL,
        document TEXT
     );
     CREATE INDEX sync_revocations_version ON sync_revocations (version);
     CREATE INDEX sync_revocations_by_at ON sync_revocations (by, at);
     -- Invariant: one row, locked (FOR UPDATE) by every transaction that reads
     -- it to change it: versions are handed out one after the other.
     CREATE TABLE sync_bundle_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version BIGINT NOT NULL,
        fingerprint BYTEA,
        minted_at BIGINT
     );
     INSERT INTO sync_bundle_state VALUES (1, 0, NULL, NULL);
     CREATE TABLE sync_supervisors (
        name TEXT PRIMARY KEY,
        precinct TEXT NOT NULL,
        token_hash BYTEA NOT NULL UNIQUE,
        created_at BIGINT NOT NULL
     );
     CREATE TABLE sync_audit (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        who TEXT NOT NULL,
        what TEXT NOT NULL,
        details TEXT NOT NULL
     );
     -- The log, the records kept apart and the audit trail are append-only.
     CREATE FUNCTION sync_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
     CREATE TRIGGER sync_inspections_append_only BEFORE UPDATE OR DELETE ON sync_inspections
        FOR EACH ROW EXECUTE FUNCTION sync_append_only();
     CREATE TRIGGER sync_inspections_no_truncate BEFORE TRUNCATE ON sync_inspections
        FOR EACH STATEMENT EXECUTE FUNCTION sync_append_only();
     CREATE TRIGGER sync_conflicts_append_only BEFORE UPDATE OR DELETE ON sync_conflicts
        FOR EACH ROW EXECUTE FUNCTION sync_append_only();
     CREATE TRIGGER sync_conflicts_no_truncate BEFORE TRUNCATE ON sync_conflicts
        FOR EACH STATEMENT EXECUTE FUNCTION sync_append_only();
     CREATE TRIGGER sync_audit_append_only BEFORE UPDATE OR DELETE ON sync_audit
        FOR EACH ROW EXECUTE FUNCTION sync_append_only();
     CREATE TRIGGER sync_audit_no_truncate BEFORE TRUNCATE ON sync_audit
        FOR EACH STATEMENT EXECUTE FUNCTION sync_append_only();",
    // 2 (issue 22): why a serial was revoked, as devices are told
    // (`RevocationKind::code`: 0 other, 1 replaced by a newer permit).
    "ALTER TABLE sync_revocations ADD COLUMN kind SMALLINT NOT NULL DEFAULT 0;",
    // 3 (issue 23): a supervisor's role, `supervisor` or `investigator`
    // (`icaze_sync_service::people`).
    "ALTER TABLE sync_supervisors ADD COLUMN role TEXT NOT NULL DEFAULT 'supervisor';",
    // 4 (issue 23): the authorised organisations' own fingerprint and the
    // version at which they last changed, so that a delta from it or later
    // leaves them out (`icaze_sync_service::bundle`). An instance of the build
    // before, still running in a rolling upgrade, writes neither: the version
    // it makes leaves `organisations_checked` behind, which makes them
    // unknown, and the next version carries them to every device.
    "ALTER TABLE sync_bundle_state ADD COLUMN organisations BYTEA;
     ALTER TABLE sync_bundle_state ADD COLUMN organisations_version BIGINT NOT NULL DEFAULT 0;
     ALTER TABLE sync_bundle_state ADD COLUMN organisations_checked BIGINT NOT NULL DEFAULT 0;",
];
