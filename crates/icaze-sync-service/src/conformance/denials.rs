//! The conformance test of the deny-list applier (`SyncService::apply_denials`)
//! over a backend's permits and sync stores: what it revokes is judged when it
//! runs, not when the document was queued.

use std::sync::Arc;

use icaze_core::{PermitSerial, UtcMinute, ZoneId};
use icaze_permits::feeds::{parse_batch, BatchApplied, FeedBatch, Registry};
use icaze_permits::keys::KeyRing;
use icaze_permits::store::{PermitRecord, PermitStore};
use icaze_permits::FixedClock;

use super::people::block_on;
use super::Backend;
use crate::store::{RevocationKind, RevocationRow, SyncStore};
use crate::{Caller, SyncService};

/// A permit of `document`, valid a day from `at`.
fn permit(serial: u32, document: &str, at: UtcMinute) -> PermitRecord {
    PermitRecord {
        serial: PermitSerial(serial),
        document: document.to_owned(),
        code: 2,
        purpose: 2,
        zone: ZoneId::new(1).expect("zone 1"),
        key_id: 1,
        issued_at: at,
        valid_from: at,
        valid_until: at.checked_add(24 * 60).expect("in range"),
        phone: String::new(),
        token: format!("IZ2-{serial}"),
    }
}

/// Applies the feed batch `text` of `agency` to `registry`.
fn feed<S: PermitStore>(permits: &S, agency: &str, registry: Registry, id: &str, at: UtcMinute, text: &str) {
    let changes = parse_batch(registry, text).expect("a good batch");
    let batch = FeedBatch::new(agency, registry, id, format!("hash-{id}"), at, changes);
    assert!(matches!(permits.apply_feed_batch(&batch).expect("applied"), BatchApplied::Applied(_)));
}

/// Issue 23: a document queued for the applier whose cause no longer holds
/// when the applier runs keeps its permits — a denial lifted, or one already
/// ended, before the round; a cancelled document registered again — while
/// the denied and the cancelled who still are lose theirs, each by its own
/// service caller and reason, and the queue is emptied either way.
pub fn the_applier_revokes_only_what_still_holds_when_it_runs<B: Backend>(backend: &B) {
    let db = backend.database();
    let keys = tempfile::tempdir().expect("a directory");
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").expect("a time");
    icaze_authority::Authority::init(&keys.path().join("authority"), now, &Default::default()).expect("keys");
    let permits = Arc::new(backend.permits(&db));
    let documents: Vec<String> = (0..6).map(|i| format!("AZE{:08}", 40_000_000 + i)).collect();
    let serials = block_on(permits.reserve_serials(6)).expect("serials");
    let issued: Vec<_> = serials.clone().zip(&documents).map(|(s, d)| permit(s, d, now)).collect();
    block_on(permits.record_issued_many(issued)).expect("permits");
    let serial = |i: usize| serials.start + i as u32;

    let registered: String = documents.iter().map(|d| format!("add,{d},1980-05-17,1\n")).collect();
    feed(&*permits, "asan", Registry::People, "p1", now, &format!("op,document,birth_date,zone\n{registered}"));
    // 0 denied; 1 denied, then lifted; 2 denied until a day already begun.
    let deny = format!(
        "op,document,reason,until\nadd,{},positive PCR,\nadd,{},contact,\nadd,{},arrival,2020-12-15\n",
        documents[0], documents[1], documents[2]
    );
    feed(&*permits, "etabib", Registry::Deny, "d1", now, &deny);
    feed(
        &*permits,
        "etabib",
        Registry::Deny,
        "d2",
        now,
        &format!("op,document,reason,until\nremove,{},,\n", documents[1]),
    );
    // 3 cancelled; 4 cancelled, then registered again; 5 never queued.
    let cancel = format!("op,document,birth_date,zone\nremove,{},,\nremove,{},,\n", documents[3], documents[4]);
    feed(&*permits, "asan", Registry::People, "p2", now, &cancel);
    let back = format!("op,document,birth_date,zone\nadd,{},1980-05-17,2\n", documents[4]);
    feed(&*permits, "asan", Registry::People, "p3", now, &back);
    assert_eq!(permits.denials_to_apply(100).expect("queued").len(), 5);

    let service = SyncService::new(
        Box::new(backend.open(&db)),
        permits.clone(),
        Arc::new(KeyRing::load(&keys.path().join("authority")).expect("the key ring")),
        None,
        Arc::new(FixedClock::new(now)),
        "admin".into(),
    );
    let mut revoked = service.apply_denials().expect("applied");
    revoked.sort_unstable();
    assert_eq!(revoked, [serial(0), serial(3)]);
    assert!(permits.denials_to_apply(100).expect("queued").is_empty());
    let rows = service.revocations(&Caller::Admin, 0).expect("revocations");
    let by: Vec<(u32, &str, &str)> = rows.iter().map(|r| (r.serial, r.by.as_str(), r.reason.as_str())).collect();
    assert_eq!(
        by,
        [
            (serial(0), "deny-list", "deny list (feed etabib)"),
            (serial(3), "people-registry", "document cancelled (feed asan)")
        ]
    );
    for kept in [1, 2, 4, 5] {
        let valid = permits.valid_permits(&documents[kept], now).expect("valid");
        assert_eq!(valid, [PermitSerial(serial(kept))], "{}", documents[kept]);
    }
    assert_eq!(service.apply_denials().expect("applied again"), Vec::<u32>::new());
}

/// A round's revocations read and written at once in a transaction
/// (`SyncTx::revoked_among`, `SyncTx::insert_revocations`) are what the same
/// calls one serial at a time would read and write: the serials revoked
/// before found among others, the rows kept with every field, a round that
/// repeats a stored serial refused whole.
pub fn a_round_of_revocations_is_read_and_written_at_once<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let at = UtcMinute::from_unix_minutes(super::START);
    let row = |serial: u32, kind| RevocationRow {
        serial,
        version: 1,
        at,
        by: "deny-list".into(),
        reason: "deny list (feed etabib)".into(),
        document: serial.is_multiple_of(2).then(|| format!("AZE{serial:08}")),
        kind,
    };
    let rows =
        [row(12, RevocationKind::Other), row(7, RevocationKind::Replaced), row(4_000_000_000, RevocationKind::Other)];
    store
        .write(&mut |tx| {
            assert!(tx.revoked_among(&[12, 7]).expect("read").is_empty());
            tx.insert_revocations(&[])?;
            tx.insert_revocations(&rows)?;
            let among = tx.revoked_among(&[1, 7, 12, 13, 4_000_000_000, 7]).expect("read");
            assert_eq!(among.into_iter().collect::<Vec<_>>(), [7, 12, 4_000_000_000]);
            assert!(tx.revoked_among(&[]).expect("read").is_empty());
            Ok(())
        })
        .expect("written");
    let mut stored = store.revocations(0).expect("revocations");
    stored.sort_by_key(|r| r.serial);
    let mut expected = rows.to_vec();
    expected.sort_by_key(|r| r.serial);
    assert_eq!(stored, expected);
    // A stored serial again: the whole call fails, the transaction rolls back.
    let again =
        store.write(&mut |tx| tx.insert_revocations(&[row(99, RevocationKind::Other), row(12, RevocationKind::Other)]));
    assert!(again.is_err());
    assert!(!store.is_revoked(99).expect("read"), "nothing of the refused round stays");
}
