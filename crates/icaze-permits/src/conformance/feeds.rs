//! The registry feeds' part of the suite: credentials, batches applied whole
//! and once, and the revocations they queue.

use icaze_core::UtcMinute;

use super::{noon, Backend};
use crate::feeds::{parse_batch, BatchApplied, FeedBatch, FeedCredential, Registry, RevokeCause, ToRevoke};
use crate::store::PermitStore;

fn credential(agency: &str, registry: Registry, hash: &str) -> FeedCredential {
    FeedCredential { agency: agency.into(), registry, token_hash: hash.into(), created_at: noon(), expires_at: None }
}

/// A batch of `agency` read from `text`, its hash `hash`, received at `at`.
fn batch(agency: &str, registry: Registry, id: &str, hash: &str, at: UtcMinute, text: &str) -> FeedBatch {
    let changes = parse_batch(registry, text).expect("a good batch");
    FeedBatch::new(agency, registry, id, hash.into(), at, changes)
}

fn applied<S: PermitStore>(store: &S, batch: &FeedBatch) -> BatchApplied {
    store.apply_feed_batch(batch).expect("the store answers")
}

/// An agency has one credential, found by its token's hash, until removed;
/// its expiry, if it has one, is kept.
pub async fn feed_credentials_are_kept_by_agency<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    assert!(store.feeds().expect("feeds").is_empty());
    let etabib = credential("etabib", Registry::Deny, "aa11");
    assert!(store.add_feed(&etabib).expect("added"));
    assert!(!store.add_feed(&credential("etabib", Registry::People, "bb22")).expect("refused"));
    let asan = FeedCredential {
        expires_at: Some(noon().checked_add(30 * 24 * 60).expect("in range")),
        ..credential("asan", Registry::People, "cc33")
    };
    assert!(store.add_feed(&asan).expect("added"));
    let all = store.feeds().expect("feeds");
    assert_eq!(all.iter().map(|c| c.agency.as_str()).collect::<Vec<_>>(), ["asan", "etabib"]);
    assert_eq!(all, [asan.clone(), etabib.clone()]);
    assert_eq!(store.feed_by_token_hash("cc33").expect("found"), Some(asan));
    assert_eq!(store.feed_by_token_hash("aa11").expect("found"), Some(etabib));
    assert_eq!(store.feed_by_token_hash("bb22").expect("looked up"), None);
    assert!(store.remove_feed("etabib").expect("removed"));
    assert!(!store.remove_feed("etabib").expect("gone already"));
    assert_eq!(store.feed_by_token_hash("aa11").expect("looked up"), None);
}

/// A batch's rows apply in their order, with its record, once: the same id
/// again answers the first record (same hash) or a conflict (another), on
/// this store or another on the same database; ids are an agency's own.
pub async fn a_feed_batch_is_applied_whole_in_order_once<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let at = noon();
    let people = "op,document,birth_date,zone\nadd,AZE11111111,1980-05-17,3\nadd,AZE22222222,1990-01-01,4\n\
                  add,AZE22222222,1990-01-01,5\nadd,AZE33333333,1970-01-01,1\nremove,AZE33333333,,\n";
    let first = batch("asan", Registry::People, "b-1", "h1", at, people);
    let BatchApplied::Applied(record) = applied(&store, &first) else { panic!("not applied") };
    assert_eq!((record.added, record.removed, record.registry), (4, 1, Registry::People));
    assert_eq!(store.person("AZE11111111").expect("read").map(|p| p.zone.get()), Some(3));
    // The last row of a document wins; a row removed later in the batch is gone.
    assert_eq!(store.person("AZE22222222").expect("read").map(|p| p.zone.get()), Some(5));
    assert_eq!(store.person("AZE33333333").expect("read"), None);

    let later = at.checked_add(60).expect("in range");
    let again = batch("asan", Registry::People, "b-1", "h1", later, people);
    assert_eq!(applied(&store, &again), BatchApplied::Replayed(record.clone()));
    let other = backend.open(&db);
    let changed =
        batch("asan", Registry::People, "b-1", "h2", later, "op,document,birth_date,zone\nremove,AZE11111111,,\n");
    assert_eq!(applied(&other, &changed), BatchApplied::Conflict(record.clone()));
    // Nothing of the refused batch is in.
    assert!(other.person("AZE11111111").expect("read").is_some());
    // Another agency's b-1 is its own.
    let theirs =
        batch("civil", Registry::People, "b-1", "h2", later, "op,document,birth_date,zone\nremove,AZE11111111,,\n");
    assert!(matches!(applied(&other, &theirs), BatchApplied::Applied(_)));
    assert!(store.person("AZE11111111").expect("read").is_none());

    let records = store.feed_batches(Registry::People, 10).expect("records");
    assert_eq!(records.len(), 2);
    assert_eq!((records[0].agency.as_str(), records[0].received_at), ("civil", later));
    assert_eq!(records[1], record);
    assert_eq!(store.feed_batches(Registry::People, 1).expect("records").len(), 1);
    assert!(store.feed_batches(Registry::Deny, 10).expect("records").is_empty());

    // Phones: added, then removed by the pair.
    let phones = "op,document,phone\nadd,AZE11111111,994501112233\n";
    assert!(matches!(
        applied(&store, &batch("op", Registry::Phones, "p1", "h3", at, phones)),
        BatchApplied::Applied(_)
    ));
    assert!(!store.phone_may_ask("AZE11111111", "994509999999").expect("asked"));
    let gone = "op,document,phone\nremove,AZE11111111,+994 50 111 22 33\n";
    assert!(matches!(applied(&store, &batch("op", Registry::Phones, "p2", "h4", at, gone)), BatchApplied::Applied(_)));
    assert!(store.phone_may_ask("AZE11111111", "994509999999").expect("asked"));
}

/// A denial added and a document cancelled by a feed wait for the applier
/// with their cause and feed; a denial lifted queues nothing.
pub async fn feed_batches_queue_denials_and_cancellations_by_feed<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let at = noon();
    backend.import_people(&store, "document,birth_date,zone\nAZE11111111,1980-05-17,1\nAZE22222222,1980-05-17,1\n");
    let deny = "op,document,reason,until\nadd,AZE22222222,positive PCR ward 3,\nadd,AZE33333333,arrival,2020-12-20\n\
                remove,AZE44444444,,\n";
    assert!(matches!(applied(&store, &batch("etabib", Registry::Deny, "d1", "h", at, deny)), BatchApplied::Applied(_)));
    assert_eq!(store.denial("AZE22222222", at).expect("read").map(|d| d.reason), Some("positive PCR ward 3".into()));
    assert!(store.denial("AZE33333333", at).expect("read").is_some());
    let cancel = "op,document,birth_date,zone\nremove,AZE11111111,,\n";
    assert!(matches!(
        applied(&store, &batch("asan", Registry::People, "c1", "h", at, cancel)),
        BatchApplied::Applied(_)
    ));
    let queued = store.denials_to_apply(10).expect("queued");
    let entry = |document: &str, cause, feed: &str| ToRevoke { document: document.into(), cause, feed: feed.into() };
    assert_eq!(
        queued,
        [
            entry("AZE11111111", RevokeCause::Cancelled, "asan"),
            entry("AZE22222222", RevokeCause::Denied, "etabib"),
            entry("AZE33333333", RevokeCause::Denied, "etabib"),
        ]
    );
    store.denials_applied(&queued[..2]).expect("applied");
    assert_eq!(store.denials_to_apply(10).expect("queued"), [entry("AZE33333333", RevokeCause::Denied, "etabib")]);
    let lift = "op,document,reason,until\nremove,AZE33333333,,\n";
    assert!(matches!(applied(&store, &batch("etabib", Registry::Deny, "d2", "h", at, lift)), BatchApplied::Applied(_)));
    assert!(store.denial("AZE33333333", at).expect("read").is_none());
    assert_eq!(store.denials_to_apply(10).expect("queued").len(), 1);
}

/// The applier's check of a round, issue 23: of the entries queued, only
/// those whose cause still holds are to revoke, in their order — a denial
/// lifted or expired since, or a document registered again since its
/// cancellation, drops out; the same document queued for both causes is
/// judged for each. The answer is the one `denial` and `person` give entry
/// by entry, also for a round larger than a backend's statement.
pub async fn only_the_causes_still_holding_are_to_revoke<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let at = noon();
    backend.import_people(&store, "document,birth_date,zone\nAZE55555555,1980-05-17,1\nAZE77777777,1980-05-17,1\n");
    let deny = "op,document,reason,until\nadd,AZE11111111,positive PCR,\nadd,AZE22222222,contact,\n\
                add,AZE33333333,arrival,2020-12-20\nadd,AZE77777777,contact,\nremove,AZE22222222,,\n";
    assert!(matches!(applied(&store, &batch("etabib", Registry::Deny, "d1", "h", at, deny)), BatchApplied::Applied(_)));
    let cancel = "op,document,birth_date,zone\nremove,AZE44444444,,\nremove,AZE55555555,,\nremove,AZE77777777,,\n\
                  add,AZE55555555,1980-05-17,2\n";
    assert!(matches!(
        applied(&store, &batch("asan", Registry::People, "c1", "h", at, cancel)),
        BatchApplied::Applied(_)
    ));
    let people_back = "op,document,birth_date,zone\nadd,AZE77777777,1980-05-17,1\n";
    assert!(matches!(
        applied(&store, &batch("asan", Registry::People, "c2", "h", at, people_back)),
        BatchApplied::Applied(_)
    ));
    let entry = |document: &str, cause, feed: &str| ToRevoke { document: document.into(), cause, feed: feed.into() };
    let queued = store.denials_to_apply(100).expect("queued");
    assert_eq!(
        queued,
        [
            entry("AZE11111111", RevokeCause::Denied, "etabib"),
            entry("AZE22222222", RevokeCause::Denied, "etabib"),
            entry("AZE33333333", RevokeCause::Denied, "etabib"),
            entry("AZE44444444", RevokeCause::Cancelled, "asan"),
            entry("AZE55555555", RevokeCause::Cancelled, "asan"),
            entry("AZE77777777", RevokeCause::Denied, "etabib"),
            entry("AZE77777777", RevokeCause::Cancelled, "asan"),
        ]
    );
    // Lifted (AZE22222222) and registered again (AZE55555555, AZE77777777's
    // cancellation) drop out; AZE77777777 stays denied.
    assert_eq!(
        store.still_to_revoke(&queued, at).expect("checked"),
        [
            entry("AZE11111111", RevokeCause::Denied, "etabib"),
            entry("AZE33333333", RevokeCause::Denied, "etabib"),
            entry("AZE44444444", RevokeCause::Cancelled, "asan"),
            entry("AZE77777777", RevokeCause::Denied, "etabib"),
        ]
    );
    // Past its end, AZE33333333's denial no longer holds.
    let later = UtcMinute::parse_rfc3339("2020-12-20T00:00:00+04:00").expect("a time");
    let held = store.still_to_revoke(&queued, later).expect("checked");
    assert!(!held.iter().any(|e| e.document == "AZE33333333"), "{held:?}");
    assert_eq!(held.len(), 3);
    assert!(store.still_to_revoke(&[], at).expect("checked").is_empty());
    // A document never denied nor registered: a denial entry drops out, a
    // cancellation holds; a document twice in the round is answered twice.
    let twice = [
        entry("AZE99999999", RevokeCause::Denied, ""),
        entry("AZE11111111", RevokeCause::Denied, ""),
        entry("AZE99999999", RevokeCause::Cancelled, ""),
        entry("AZE11111111", RevokeCause::Denied, "etabib"),
    ];
    assert_eq!(
        store.still_to_revoke(&twice, at).expect("checked"),
        [twice[1].clone(), twice[2].clone(), twice[3].clone()]
    );

    // A round larger than a statement (PostgreSQL sends 5,000 documents a
    // statement): every other document denied, every third registered.
    let mut denials = String::from("document,reason,until\n");
    let mut people = String::from("document,birth_date,zone\n");
    let mut many = Vec::new();
    for i in 0..6_001u32 {
        let document = format!("AZE{:08}", 70_000_000 + i);
        if i % 2 == 0 {
            denials.push_str(&format!("{document},contact,\n"));
        }
        if i % 3 == 0 {
            people.push_str(&format!("{document},1980-05-17,1\n"));
        }
        many.push(entry(&document, if i % 5 == 0 { RevokeCause::Cancelled } else { RevokeCause::Denied }, ""));
    }
    backend.import_denials(&store, &denials);
    backend.import_people(&store, &people);
    let held = store.still_to_revoke(&many, at).expect("checked");
    let mut one_by_one = Vec::new();
    for e in &many {
        let holds = match e.cause {
            RevokeCause::Denied => store.denial(&e.document, at).expect("read").is_some(),
            RevokeCause::Cancelled => store.person(&e.document).expect("read").is_none(),
        };
        if holds {
            one_by_one.push(e.clone());
        }
    }
    assert_eq!(held, one_by_one);
    // Counted apart from the store too: a cancellation (every fifth) holds
    // where the document is not registered, a denial where it is denied.
    let cancelled_out = (0..6_001u32).filter(|i| i % 5 == 0 && i % 3 != 0).count();
    let denied_in = (0..6_001u32).filter(|i| i % 5 != 0 && i % 2 == 0).count();
    assert_eq!(held.len(), cancelled_out + denied_in);
}
