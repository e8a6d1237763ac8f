//! The conformance tests of who sees a person's data (`crate::people`): the
//! supervisors' roles as stored, and the audit line of every view.

use std::sync::Arc;

use icaze_core::UtcMinute;
use icaze_permits::keys::KeyRing;
use icaze_permits::store::{PermitStore, RefusedRequest, Search};
use icaze_permits::FixedClock;

use super::{Backend, START};
use crate::store::{SupervisorRole, SupervisorRow, SyncStore};
use crate::{Caller, PeopleAccess, SyncError, SyncService};

/// A supervisor keeps the role they were made with, on every backend.
pub fn supervisors_keep_their_role<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let sup = |name: &str, hash: u8, role| SupervisorRow {
        name: name.into(),
        precinct: "P-1".into(),
        token_hash: [hash; 32],
        created_at: UtcMinute::from_unix_minutes(START),
        role,
    };
    let rows = [sup("ana", 1, SupervisorRole::Investigator), sup("bob", 2, SupervisorRole::Supervisor)];
    store
        .write(&mut |tx| {
            for row in &rows {
                assert!(tx.insert_supervisor(row)?);
            }
            Ok(())
        })
        .expect("supervisors");
    drop(store);
    let store = backend.open(&db);
    assert_eq!(store.supervisor_by_token_hash(&[1; 32]).expect("by hash").as_ref(), Some(&rows[0]));
    assert_eq!(store.supervisor_by_token_hash(&[2; 32]).expect("by hash").as_ref(), Some(&rows[1]));
}

/// Every search is written to the audit trail with who asked what and how
/// many rows it showed; a plain supervisor's search by document is refused
/// and leaves no line, their search by code comes masked.
pub fn every_view_of_people_is_audited<B: Backend>(backend: &B) {
    let db = backend.database();
    let keys = tempfile::tempdir().expect("a directory");
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00").expect("a time");
    icaze_authority::Authority::init(&keys.path().join("authority"), now, &Default::default()).expect("keys");
    let permits = Arc::new(backend.permits(&db));
    for (i, document) in ["AA1234567", "AA1234567", "AZE12345678"].into_iter().enumerate() {
        let refused = RefusedRequest {
            at: UtcMinute::from_unix_minutes(now.unix_minutes() - 10 + i as u32),
            phone: "994501234512".into(),
            document: document.into(),
            code: 1,
            reason: "daily_limit".into(),
        };
        block_on(permits.record_refused(refused)).expect("a refused request");
    }
    let service = SyncService::new(
        Box::new(backend.open(&db)),
        permits.clone(),
        Arc::new(KeyRing::load(&keys.path().join("authority")).expect("the key ring")),
        None,
        Arc::new(FixedClock::new(now)),
        "admin".into(),
    );
    let search = |document: Option<&str>| Search {
        document: document.map(str::to_owned),
        phone: None,
        code: Some(1),
        from: UtcMinute::from_unix_minutes(now.unix_minutes() - 60),
        to: UtcMinute::from_unix_minutes(now.unix_minutes() + 1),
        limit: 100,
    };
    let investigator =
        Caller::Supervisor { name: "ana".into(), precinct: "P-1".into(), role: SupervisorRole::Investigator };
    let plain = Caller::Supervisor { name: "bob".into(), precinct: "P-1".into(), role: SupervisorRole::Supervisor };

    // `record_refused` answers once its row is committed.
    let (found, _) = service.search_permits(&Caller::Admin, &search(Some("AA1234567"))).expect("a search");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].phone, "994501234512");
    let (rows, access) = service.search_permits(&investigator, &search(Some("AA1234567"))).expect("a search");
    assert_eq!((rows.len(), access), (2, PeopleAccess::Full));
    let refused = service.search_permits(&plain, &search(Some("AA1234567")));
    assert!(matches!(refused, Err(SyncError::Forbidden(_))), "{refused:?}");
    let (masked, access) = service.search_permits(&plain, &search(None)).expect("a search by code");
    assert_eq!(access, PeopleAccess::Masked);
    assert_eq!(
        masked.iter().map(|f| f.document.as_str()).collect::<Vec<_>>(),
        ["AZ•••••••78", "AA•••••67", "AA•••••67"]
    );
    assert!(masked.iter().all(|f| f.phone == "+99450•••••12"));

    let trail = service.audit_trail(&Caller::Admin, 0, 1000).expect("the trail");
    let last: Vec<_> = trail.iter().rev().take(2).rev().map(|(_, r)| r).collect();
    assert!(trail.iter().all(|(_, r)| r.what == "permits_searched"));
    let whos: Vec<&str> = trail.iter().map(|(_, r)| r.who.as_str()).collect();
    assert_eq!(whos, ["admin", "ana", "bob"], "the refused search left no line");
    assert_eq!(last[0].who, "ana");
    assert_eq!(
        last[0].details,
        r#"{"code":1,"document":"AA1234567","from":"2020-12-15T05:00:00Z","masked":false,"phone":null,"results":2,"to":"2020-12-15T06:01:00Z"}"#
    );
    assert_eq!((last[1].who.as_str(), last[1].at), ("bob", now));
    assert!(last[1].details.contains(r#""document":null"#) && last[1].details.contains(r#""masked":true"#));
    assert!(last[1].details.contains(r#""results":3"#), "{}", last[1].details);
}

/// Runs a future to its end on this thread (the stores' futures are woken
/// by their own threads).
pub(super) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
