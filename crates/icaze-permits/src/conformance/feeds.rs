//! The registry feeds' part of the suite: credentials, batches applied whole
//! and once, and the revocations they queue.

use icaze_core::UtcMinute;

use super::{noon, Backend};
use crate::feeds::{parse_batch, BatchApplied, FeedBatch, FeedCredential, Registry, RevokeCause, ToRevoke};
use crate::store::PermitStore;

fn credential(agency: &str, registry: Registry, hash: &str) -> FeedCredential {
    FeedCredential { agency: agency.into(), registry, token_hash: hash.into(), created_at: noon() }
}

/// A batch of `agency` read from `text`, its hash `hash`, received at `at`.
fn batch(agency: &str, registry: Registry, id: &str, hash: &str, at: UtcMinute, text: &str) -> FeedBatch {
    let changes = parse_batch(registry, text).expect("a good batch");
    FeedBatch::new(agency, registry, id, hash.into(), at, changes)
}

fn applied<S: PermitStore>(store: &S, batch: &FeedBatch) -> BatchApplied {
    store.apply_feed_batch(batch).expect("the store answers")
}

/// An agency has one credential, found by its token's hash, until removed.
pub async fn feed_credentials_are_kept_by_agency<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    assert!(store.feeds().expect("feeds").is_empty());
    let etabib = credential("etabib", Registry::Deny, "aa11");
    assert!(store.add_feed(&etabib).expect("added"));
    assert!(!store.add_feed(&credential("etabib", Registry::People, "bb22")).expect("refused"));
    assert!(store.add_feed(&credential("asan", Registry::People, "cc33")).expect("added"));
    let all = store.feeds().expect("feeds");
    assert_eq!(all.iter().map(|c| c.agency.as_str()).collect::<Vec<_>>(), ["asan", "etabib"]);
    assert_eq!(all[1], etabib);
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
