//! The test suite every [`PermitStore`] backend runs, the same tests for each
//! (behind the `conformance` feature, for backends' tests only).
//!
//! A backend's test file implements [`Backend`] (a fresh database, a store on
//! it, the registry imports) and expands [`permit_store_conformance!`], which
//! makes one `#[tokio::test]` of each function here:
//!
//! ```text
//! struct Sqlite;
//! impl icaze_permits::conformance::Backend for Sqlite { /* ... */ }
//! icaze_permits::permit_store_conformance!(Sqlite);
//! ```
//!
//! The tests hold what the store interface promises and what the rules rely on;
//! they use `assert!` and panic on a failure, as tests do. What a backend does
//! under concurrency across processes is tested by the backend itself, where it
//! can start several processes' worth of stores.

use std::collections::BTreeSet;
use std::ops::Range;

use icaze_core::{PermitSerial, UtcMinute, ZoneId};

use crate::csv::baku_day;
use crate::feeds::{RevokeCause, ToRevoke};
use crate::replace::{JobId, JobStart, ReplaceError, ReplaceLimits, ReplaceProgress, ReplaceReport, ReplacementJob};
use crate::store::{
    CodeHour, Generations, ImportReport, Limits, PermitRecord, PermitStore, Recorded, RefusedRequest, Search,
    StoreError,
};

mod feeds;
pub use self::feeds::*;

mod replace;

pub use self::replace::{
    a_job_whose_runner_died_reads_interrupted, a_replacement_job_is_recorded_to_its_end,
    a_replacement_names_who_left_and_swaps_the_registry, a_second_replacement_is_refused_while_one_runs,
    bad_rows_are_reported_with_their_lines_and_skipped, readers_answer_from_the_old_registry_until_the_swap,
    the_guard_refuses_a_truncated_or_bad_file_unless_forced,
};

/// What the suite needs of a backend besides the store interface.
pub trait Backend: Send + Sync {
    /// Keeps a fresh, empty database alive (a temporary directory, a
    /// throwaway PostgreSQL database).
    type Database: Send + Sync;
    /// The store.
    type Store: PermitStore;
    /// A fresh, empty database.
    fn database(&self) -> Self::Database;
    /// A store on `database`; called twice, two stores on one database, as
    /// two instances of the service would have.
    fn open(&self, database: &Self::Database) -> Self::Store;
    /// Imports the population registry CSV.
    fn import_people(&self, store: &Self::Store, csv: &str) -> ImportReport;
    /// Imports the deny list CSV.
    fn import_denials(&self, store: &Self::Store, csv: &str) -> ImportReport;
    /// Imports the phone register CSV.
    fn import_phones(&self, store: &Self::Store, csv: &str) -> ImportReport;
    /// Replaces the population registry with the CSV `csv`, streamed
    /// ([`crate::replace`]).
    fn replace_people(
        &self,
        store: &Self::Store,
        csv: &str,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError>;
    /// Replaces the population registry as [`Backend::replace_people`] does,
    /// kept as a job ([`crate::replace::ReplacementJob`]).
    fn replace_people_job(
        &self,
        store: &Self::Store,
        csv: &str,
        job: &JobStart,
        limits: ReplaceLimits,
        progress: &mut dyn FnMut(ReplaceProgress),
    ) -> Result<ReplaceReport, ReplaceError>;
    /// The record of the replacement `id`, or of the newest with `None`.
    fn replacement_job(&self, store: &Self::Store, id: Option<JobId>) -> Result<Option<ReplacementJob>, StoreError>;
}

/// One `#[tokio::test]` of each conformance test for the [`Backend`] `$backend`
/// (an expression, evaluated in each test).
#[macro_export]
macro_rules! permit_store_conformance {
    (@tests $backend:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $crate::conformance::$name(&$backend).await;
            }
        )*
    };
    ($backend:expr) => {
        $crate::permit_store_conformance!(@tests $backend;
            registries_answer_after_imports,
            a_bad_phone_register_replaces_nothing,
            authorised_organisations_are_replaced_whole,
            the_document_limit_counts_per_code_per_baku_day,
            the_phone_limit_counts_every_document_and_refusals_leave_no_trace,
            the_caps_of_a_code_count_per_week_and_per_phone,
            a_replacement_moves_the_day_s_permit_once_and_counts_nothing,
            serials_of_two_instances_never_overlap,
            permits_from_other_channels_are_all_or_nothing,
            regimes_round_trip,
            what_instances_hold_in_memory_is_counted_for_all,
            the_deny_list_is_applied_by_one_applier_at_a_time,
            valid_permits_are_those_not_yet_ended,
            valid_permits_of_many_documents_are_read_at_once,
            denials_to_apply_until_applied,
            permits_and_refused_requests_are_searched_and_counted,
            feed_credentials_are_kept_by_agency,
            a_feed_batch_is_applied_whole_in_order_once,
            feed_batches_queue_denials_and_cancellations_by_feed,
            only_the_causes_still_holding_are_to_revoke,
            a_replacement_names_who_left_and_swaps_the_registry,
            bad_rows_are_reported_with_their_lines_and_skipped,
            the_guard_refuses_a_truncated_or_bad_file_unless_forced,
            readers_answer_from_the_old_registry_until_the_swap,
            a_second_replacement_is_refused_while_one_runs,
            a_replacement_job_is_recorded_to_its_end,
            a_job_whose_runner_died_reads_interrupted,
        );
    };
}

/// 2020-12-14 12:00 in Baku.
fn noon() -> UtcMinute {
    UtcMinute::parse_rfc3339("2020-12-14T12:00:00+04:00").expect("a valid time")
}

/// An SMS permit of code 2, valid three hours from `at`.
pub fn sms_permit(serial: u32, document: &str, phone: &str, at: UtcMinute) -> PermitRecord {
    PermitRecord {
        serial: PermitSerial(serial),
        document: document.to_owned(),
        code: 2,
        purpose: 2,
        zone: ZoneId::new(1).expect("zone 1"),
        key_id: 1,
        issued_at: at,
        valid_from: at,
        valid_until: at.checked_add(180).expect("in range"),
        phone: phone.to_owned(),
        token: format!("IZ2-{serial}"),
    }
}

/// The limits of code 2 on `at`'s Baku day.
pub fn limits(at: UtcMinute, per_document: u32, per_phone: u32) -> Limits {
    Limits { day: baku_day(at), per_document, per_phone, per_week: None, per_phone_code: None, replaces: None }
}

fn last_serial(recorded: &Recorded) -> Option<u32> {
    match recorded {
        Recorded::DocumentLimit { last: Some(last) } => Some(last.serial.0),
        _ => None,
    }
}

/// People, denials (with and without an end) and the phone register, as the
/// SMS service asks them.
pub async fn registries_answer_after_imports<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    assert_eq!(store.person("AZE11111111").expect("person"), None);
    let people =
        "document,birth_date,zone\nAZE11111111,1980-05-17,1\n\nAZE22222222,1980-02-30,1\nAZE33333333,1\nAZE44444444,1990-04-04,7\n";
    let report = backend.import_people(&store, people);
    assert_eq!(report.imported, 2);
    assert_eq!(report.problems.iter().map(|p| p.line).collect::<Vec<_>>(), [4, 5]);
    let person = store.person("AZE11111111").expect("person").expect("imported");
    assert_eq!((person.birth_day, person.zone.get()), (crate::csv::days_from_civil(1980, 5, 17), 1));
    // A later import replaces a document's row.
    backend.import_people(&store, "document,birth_date,zone\nAZE11111111,1980-05-17,3\n");
    assert_eq!(store.person("AZE11111111").expect("person").map(|p| p.zone.get()), Some(3));
    assert_eq!(store.person("AZE99999999").expect("person"), None);

    let denials = "document,reason,until\nAZE44444444,infected,\nAZE11111111,arrival,2020-12-15\n";
    assert!(backend.import_denials(&store, denials).problems.is_empty());
    let before = noon();
    let after = UtcMinute::parse_rfc3339("2020-12-15T00:00:00+04:00").expect("a time");
    let denial = store.denial("AZE11111111", before).expect("denial").expect("in force");
    assert_eq!((denial.reason.as_str(), denial.until), ("arrival", Some(after)));
    assert_eq!(store.denial("AZE11111111", after).expect("denial"), None);
    assert_eq!(store.denial("AZE44444444", after).expect("denial").map(|d| d.until), Some(None));
    for document in ["AZE11111111", "AZE44444444", "AZE99999999"] {
        for at in [before, after] {
            let separate =
                store.person(document).expect("person").map(|p| (p, store.denial(document, at).expect("denial")));
            assert_eq!(store.person_and_denial(document, at).expect("both"), separate, "{document} at {at:?}");
        }
    }

    // No register entry for a document: any phone may ask; with entries, only those.
    assert!(store.phone_may_ask("AZE11111111", "994500000001").expect("phones"));
    let phones = "document,phone\nAZE11111111,+994 50 000-00-01\nAZE11111111,994500000002\n";
    assert_eq!(backend.import_phones(&store, phones).imported, 2);
    assert!(store.phone_may_ask("AZE11111111", "994500000001").expect("phones"));
    assert!(store.phone_may_ask("AZE11111111", "994500000002").expect("phones"));
    assert!(!store.phone_may_ask("AZE11111111", "994500000003").expect("phones"));
    assert!(store.phone_may_ask("AZE44444444", "994500000003").expect("phones"));
    // The register is the whole file: a number left out leaves.
    backend.import_phones(&store, "document,phone\nAZE11111111,994500000002\n");
    assert!(!store.phone_may_ask("AZE11111111", "994500000001").expect("phones"));
}

/// A phone register with any bad row replaces nothing.
pub async fn a_bad_phone_register_replaces_nothing<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    backend.import_phones(&store, "document,phone\nAZE11111111,994500000001\n");
    let report = backend.import_phones(&store, "document,phone\nAZE11111111,994500000002\nAZE22222222,call me\n");
    assert_eq!((report.imported, report.problems.len()), (0, 1));
    assert_eq!(report.problems[0].line, 3);
    assert!(store.phone_may_ask("AZE11111111", "994500000001").expect("phones"));
    assert!(!store.phone_may_ask("AZE11111111", "994500000002").expect("phones"));
}

/// The authorised organisations read back as replaced, every field, and a
/// replacement leaves out who it no longer lists (issue 23).
pub async fn authorised_organisations_are_replaced_whole<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    assert!(store.organisations().expect("organisations").is_empty());
    let csv = "tax_id,name,sector,zones,until\n\
               1700000001,Bakı Metropoliteni QSC,nəqliyyat,,\n\
               0101234567,\"Azərsu, ASC\",kommunal,3;1,2021-01-01\n\
               9900000000,Mərkəzi Klinika MMC,səhiyyə,4095,\n";
    let list = crate::csv::organisation_list(csv).expect("a good file");
    store.replace_organisations(&list).expect("replace");
    assert_eq!(store.organisations().expect("organisations"), list);
    // A second instance on the same database reads the same list.
    assert_eq!(backend.open(&db).organisations().expect("organisations"), list);

    let fewer = crate::csv::organisation_list("tax_id,name,sector,zones,until\n0101234567,Azərsu ASC,kommunal,,\n")
        .expect("a good file");
    store.replace_organisations(&fewer).expect("replace");
    let now = store.organisations().expect("organisations");
    assert_eq!(now.len(), 1);
    assert_eq!((now.as_slice()[0].name.as_str(), now.as_slice()[0].zones.len()), ("Azərsu ASC", 0));
    store.replace_organisations(&icaze_core::AuthorisedOrganisations::default()).expect("replace");
    assert!(store.organisations().expect("organisations").is_empty());
}

/// A document's permits of a code are counted per Baku day: at the limit, the
/// last one is given back; another code and the next day count apart.
pub async fn the_document_limit_counts_per_code_per_baku_day<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let at = noon();
    let limits = limits(at, 2, 100);
    let phone = "994500000001";
    assert_eq!(
        store.record_permit(sms_permit(1, "AZE10000001", phone, at), limits).await.expect("record"),
        Recorded::Issued
    );
    assert_eq!(
        store.record_permit(sms_permit(2, "AZE10000001", phone, at), limits).await.expect("record"),
        Recorded::Issued
    );
    let third = store.record_permit(sms_permit(3, "AZE10000001", phone, at), limits).await.expect("record");
    let Recorded::DocumentLimit { last: Some(last) } = &third else { panic!("{third:?}") };
    assert_eq!((last.serial.0, last.token.as_str(), last.phone.as_str()), (2, "IZ2-2", phone));
    assert_eq!((last.valid_from, last.valid_until), (at, at.checked_add(180).expect("in range")));
    // Another code of the same document is counted apart.
    let mut code_1 = sms_permit(4, "AZE10000001", phone, at);
    code_1.code = 1;
    assert_eq!(store.record_permit(code_1, limits).await.expect("record"), Recorded::Issued);
    // 23:59 the same Baku day is the same day; the next Baku day starts again.
    let late = UtcMinute::parse_rfc3339("2020-12-14T23:59:00+04:00").expect("a time");
    let refused = store.record_permit(sms_permit(5, "AZE10000001", phone, late), limits).await.expect("record");
    assert_eq!(last_serial(&refused), Some(2), "{refused:?}");
    let tomorrow = UtcMinute::parse_rfc3339("2020-12-15T00:00:00+04:00").expect("a time");
    let next_day = crate::conformance::limits(tomorrow, 2, 100);
    assert_eq!(
        store.record_permit(sms_permit(6, "AZE10000001", phone, tomorrow), next_day).await.expect("record"),
        Recorded::Issued
    );
    // Refused permits are not stored.
    assert!(!store.valid_permits("AZE10000001", at).expect("valid").contains(&PermitSerial(3)));
    assert!(!store.valid_permits("AZE10000001", at).expect("valid").contains(&PermitSerial(5)));
}

/// A phone's permits of a day, all documents together; a document at its limit
/// is told so first; refusals bump no counter.
pub async fn the_phone_limit_counts_every_document_and_refusals_leave_no_trace<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let at = noon();
    let limits = limits(at, 1, 2);
    let record =
        |serial, document: &str, phone: &str| store.record_permit(sms_permit(serial, document, phone, at), limits);
    assert_eq!(record(1, "AZE10000001", "994500000001").await.expect("record"), Recorded::Issued);
    // The document again: its permit, and the phone's count is not taken.
    let again = record(2, "AZE10000001", "994500000001").await.expect("record");
    assert_eq!(last_serial(&again), Some(1), "{again:?}");
    assert_eq!(record(3, "AZE10000002", "994500000001").await.expect("record"), Recorded::Issued);
    // The phone at its limit: another document is refused, and its own counter stays untouched...
    assert_eq!(record(4, "AZE10000003", "994500000001").await.expect("record"), Recorded::PhoneLimit);
    assert_eq!(record(5, "AZE10000003", "994500000002").await.expect("record"), Recorded::Issued);
    // ...and a document at its own limit is told that, before the phone's.
    let both = record(6, "AZE10000002", "994500000001").await.expect("record");
    assert_eq!(last_serial(&both), Some(3), "{both:?}");
    // The other phone has one left.
    assert_eq!(record(7, "AZE10000004", "994500000002").await.expect("record"), Recorded::Issued);
    assert_eq!(record(8, "AZE10000005", "994500000002").await.expect("record"), Recorded::PhoneLimit);
    let stored: Vec<_> = ["AZE10000001", "AZE10000002", "AZE10000003", "AZE10000004", "AZE10000005"]
        .iter()
        .flat_map(|d| store.valid_permits(d, at).expect("valid"))
        .map(|s| s.0)
        .collect();
    assert_eq!(stored, [1, 3, 5, 7]);
}

/// A regime's caps of a code (issue 23: code 1's abuse): per document over
/// seven Baku days and per phone per day, whoever's documents it asks for. A
/// document at its daily limit is told so first; a refusal bumps no counter;
/// another code is not counted.
pub async fn the_caps_of_a_code_count_per_week_and_per_phone<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let day = |n: u32| noon().checked_add(n * 24 * 60).expect("in range");
    let capped = |at| Limits { per_week: Some(3), per_phone_code: Some(2), ..limits(at, 2, 10) };
    let medical = |serial, document: &str, phone: &str, at| {
        let permit = PermitRecord { code: 1, purpose: 1, ..sms_permit(serial, document, phone, at) };
        store.record_permit(permit, capped(at))
    };
    let (a, p1, p2, p3) = ("AZE20000001", "994500000001", "994500000002", "994500000003");
    assert_eq!(medical(1, a, p1, day(0)).await.expect("record"), Recorded::Issued);
    assert_eq!(medical(2, a, p2, day(0)).await.expect("record"), Recorded::Issued);
    let daily = medical(3, a, p3, day(0)).await.expect("record");
    assert_eq!(last_serial(&daily), Some(2), "the daily limit first: {daily:?}");
    assert_eq!(medical(4, a, p1, day(3)).await.expect("record"), Recorded::Issued);
    // Three in the week: days 5 and 6 are refused, day 7 no longer counts day 0.
    assert_eq!(medical(5, a, p3, day(5)).await.expect("record"), Recorded::WeekLimit);
    assert_eq!(medical(6, a, p3, day(6)).await.expect("record"), Recorded::WeekLimit);
    assert_eq!(medical(7, a, p1, day(7)).await.expect("record"), Recorded::Issued);
    // The refusals took nothing of p3's cap: two documents more, then the cap.
    assert_eq!(medical(8, "AZE20000002", p3, day(5)).await.expect("record"), Recorded::Issued);
    assert_eq!(medical(9, "AZE20000003", p3, day(5)).await.expect("record"), Recorded::Issued);
    assert_eq!(medical(10, "AZE20000004", p3, day(5)).await.expect("record"), Recorded::PhoneLimit);
    // Code 2 is not capped and does not count code 1's permits.
    let necessities = sms_permit(11, "AZE20000004", p3, day(5));
    assert_eq!(store.record_permit(necessities, limits(day(5), 1, 10)).await.expect("record"), Recorded::Issued);
    // The phone's refusal took nothing of the document's day.
    assert_eq!(medical(12, "AZE20000004", p2, day(5)).await.expect("record"), Recorded::Issued);
    let stored: Vec<u32> = (0..8)
        .flat_map(|n| store.valid_permits(a, day(n)).expect("valid"))
        .map(|s| s.0)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(stored, [1, 2, 4, 7]);
}

/// A permit replaces the day's permit the counter names, without counting;
/// a second replacement of the same permit is given the first one's permit.
pub async fn a_replacement_moves_the_day_s_permit_once_and_counts_nothing<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let at = noon();
    let limits = limits(at, 1, 2);
    let replacing = |serial| Limits { replaces: Some(PermitSerial(serial)), ..limits };
    let record = |serial, limits| store.record_permit(sms_permit(serial, "AZE10000001", "994500000001", at), limits);
    assert_eq!(record(1, limits).await.expect("record"), Recorded::Issued);
    assert_eq!(record(2, replacing(1)).await.expect("record"), Recorded::Issued);
    let late = record(3, replacing(1)).await.expect("record");
    assert_eq!(last_serial(&late), Some(2), "{late:?}");
    let again = record(4, limits).await.expect("record");
    assert_eq!(last_serial(&again), Some(2), "{again:?}");
    // The replacement did not count against the phone: one more document fits.
    let other = store.record_permit(sms_permit(5, "AZE10000002", "994500000001", at), limits).await.expect("record");
    assert_eq!(other, Recorded::Issued);
    // The replacement is found by document and the late one was not stored. Whether
    // the replaced permit is still found differs (SQLite finds a document's permits
    // through the day's rows, where the replacement took its place; PostgreSQL
    // through the permits' own index): either is safe, as its key is revoked.
    let serials = store.valid_permits("AZE10000001", at).expect("valid");
    assert!(serials.contains(&PermitSerial(2)) && !serials.contains(&PermitSerial(3)), "{serials:?}");
}

/// Serials reserved by two stores on one database, one after the other and at
/// once, never overlap; a store opened again (after a crash) continues after
/// every range handed out.
pub async fn serials_of_two_instances_never_overlap<B: Backend>(backend: &B) {
    let db = backend.database();
    let (a, b) = (backend.open(&db), backend.open(&db));
    let mut ranges: Vec<Range<u32>> = Vec::new();
    for i in 0..10u32 {
        ranges.push(a.reserve_serials(i + 1).await.expect("reserve"));
        ranges.push(b.reserve_serials(7).await.expect("reserve"));
    }
    let together = futures_join(a.reserve_serials(50), b.reserve_serials(50)).await;
    ranges.push(together.0.expect("reserve"));
    ranges.push(together.1.expect("reserve"));
    assert_eq!(a.reserve_serials(0).await.expect("reserve").len(), 0);
    drop((a, b));
    let reopened = backend.open(&db);
    let after = reopened.reserve_serials(1).await.expect("reserve");
    let mut seen = BTreeSet::new();
    for range in &ranges {
        assert!(range.start >= 1, "serial 0 is never handed out: {range:?}");
        for serial in range.clone() {
            assert!(seen.insert(serial), "serial {serial} handed out twice: {ranges:?}");
        }
    }
    assert_eq!(seen.len(), 10 * 11 / 2 + 70 + 100);
    assert!(seen.iter().all(|s| *s < after.start), "{after:?} after {ranges:?}");
}

/// Two futures at once, without a dependency on a futures crate.
async fn futures_join<A: std::future::Future, B: std::future::Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let std::task::Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let std::task::Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    match (ra, rb) {
        (Some(a), Some(b)) => (a, b),
        // Invariant: the poll_fn above ends only with both answers.
        _ => unreachable!("both futures are ready"),
    }
}

/// Permits of the portal and the 102 console: all of a call or none, found by document.
pub async fn permits_from_other_channels_are_all_or_nothing<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let serials = store.reserve_serials(3).await.expect("reserve");
    let at = noon();
    let permit = |serial: u32, document: &str| PermitRecord {
        code: 0,
        purpose: 4,
        key_id: 2,
        phone: String::new(),
        ..sms_permit(serial, document, "", at)
    };
    let (a, b, c) = (serials.start, serials.start + 1, serials.start + 2);
    store.record_issued_many(vec![permit(a, "AZE11111111"), permit(b, "AZE11111111")]).await.expect("issue");
    // A serial already used fails the whole call and leaves nothing of it.
    let twice = store.record_issued_many(vec![permit(c, "AZE22222222"), permit(a, "AZE22222222")]).await;
    assert!(twice.is_err());
    assert_eq!(store.valid_permits("AZE11111111", at).expect("valid"), [PermitSerial(a), PermitSerial(b)]);
    assert!(store.valid_permits("AZE22222222", at).expect("valid").is_empty());
    store.record_issued(permit(c, "AZE22222222")).await.expect("issue");
    assert_eq!(store.valid_permits("AZE22222222", at).expect("valid"), [PermitSerial(c)]);
    store.record_issued_many(Vec::new()).await.expect("nothing to issue");
    // An SMS permit of code 2 is not counted with the portal's (code 0).
    let sms = store.record_permit(sms_permit(c + 1, "AZE11111111", "994500000001", at), limits(at, 1, 5)).await;
    assert_eq!(sms.expect("record"), Recorded::Issued);
}

/// Regimes are stored by id, replaced by id, and read oldest first.
pub async fn regimes_round_trip<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    assert!(store.regimes().expect("regimes").is_empty());
    store.put_regime("a-first", "id = \"a-first\"\n").expect("put");
    store.put_regime("b-second", "id = \"b-second\"\n").expect("put");
    assert_eq!(store.regimes().expect("regimes"), ["id = \"a-first\"\n", "id = \"b-second\"\n"]);
    store.put_regime("a-first", "id = \"a-first\"\n# changed\n").expect("put");
    let regimes = store.regimes().expect("regimes");
    assert_eq!(regimes.len(), 2);
    assert!(regimes.contains(&"id = \"a-first\"\n# changed\n".to_owned()), "{regimes:?}");
    // Another instance reads the same.
    let other = backend.open(&db);
    assert_eq!(other.regimes().expect("regimes").len(), 2);
}

/// A regime stored and a trust list put in force through one instance are
/// counted where every instance on the database reads them (issue 21).
pub async fn what_instances_hold_in_memory_is_counted_for_all<B: Backend>(backend: &B) {
    let db = backend.database();
    let (one, other) = (backend.open(&db), backend.open(&db));
    let start = one.generations().expect("generations");
    assert_eq!(start, Generations { trust_list: 0, regimes: 0 });
    one.put_regime("a", "id = \"a\"\n").expect("put");
    let after_one = other.generations().expect("generations");
    assert_eq!(after_one.trust_list, 0);
    assert!(after_one.regimes > start.regimes, "a regime stored moves the count: {after_one:?}");
    // Replacing a regime by its id moves it again.
    other.put_regime("a", "id = \"a\"\n# changed\n").expect("put");
    let after_two = one.generations().expect("generations");
    assert!(after_two.regimes > after_one.regimes, "{after_two:?} after {after_one:?}");

    one.trust_list_reloaded(3).expect("reloaded");
    assert_eq!(other.generations().expect("generations"), Generations { trust_list: 3, ..after_two });
    // An instance that reloads an older directory never takes the others back.
    other.trust_list_reloaded(2).expect("reloaded");
    assert_eq!(one.generations().expect("generations").trust_list, 3);
    other.trust_list_reloaded(4).expect("reloaded");
    assert_eq!(one.generations().expect("generations"), Generations { trust_list: 4, regimes: after_two.regimes });
}

/// One applier of the deny list at a time, among all the stores on one
/// database: the others are told to leave the round (issue 21).
pub async fn the_deny_list_is_applied_by_one_applier_at_a_time<B: Backend>(backend: &B) {
    let db = backend.database();
    let (one, other) = (backend.open(&db), backend.open(&db));
    let held = one.lock_denials().expect("lock").expect("free at first");
    assert!(other.lock_denials().expect("lock").is_none(), "another instance waits its turn");
    assert!(one.lock_denials().expect("lock").is_none(), "another applier of the same instance too");
    drop(held);
    let held = other.lock_denials().expect("lock").expect("free once dropped");
    assert!(one.lock_denials().expect("lock").is_none());
    drop(held);
    assert!(one.lock_denials().expect("lock").is_some());
}

/// A document's permits still valid at a time (or not yet valid), by serial.
pub async fn valid_permits_are_those_not_yet_ended<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let at = noon();
    let limits = limits(at, 5, 5);
    for serial in [3, 1, 2] {
        let mut permit = sms_permit(serial, "AZE10000001", "994500000001", at);
        permit.valid_until = at.checked_add(60 * serial).expect("in range");
        assert_eq!(store.record_permit(permit, limits).await.expect("record"), Recorded::Issued);
    }
    let later = store.record_permit(sms_permit(4, "AZE10000002", "994500000001", at), limits).await;
    assert_eq!(later.expect("record"), Recorded::Issued);
    let valid =
        |minutes: u32| store.valid_permits("AZE10000001", at.checked_add(minutes).expect("in range")).expect("valid");
    assert_eq!(valid(0), [PermitSerial(1), PermitSerial(2), PermitSerial(3)]);
    assert_eq!(valid(60), [PermitSerial(2), PermitSerial(3)]);
    assert_eq!(valid(179), [PermitSerial(3)]);
    assert!(valid(180).is_empty());
    assert!(store.valid_permits("AZE99999999", at).expect("valid").is_empty());
}

/// Many documents' valid permits in one call: each document that holds any,
/// its serials in order, those ended left out, those holding none absent.
pub async fn valid_permits_of_many_documents_are_read_at_once<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let at = noon();
    let limits = limits(at, 5, 5);
    for (serial, document, hours) in [(3, "AZE10000001", 3), (1, "AZE10000001", 1), (2, "AZE10000002", 2)] {
        let mut permit = sms_permit(serial, document, "994500000001", at);
        permit.valid_until = at.checked_add(60 * hours).expect("in range");
        assert_eq!(store.record_permit(permit, limits).await.expect("record"), Recorded::Issued);
    }
    let documents: Vec<String> = ["AZE10000001", "AZE10000002", "AZE99999999"].map(String::from).to_vec();
    let many =
        |minutes: u32| store.valid_permits_many(&documents, at.checked_add(minutes).expect("in range")).expect("valid");
    let now = many(0);
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!(now["AZE10000001"], [PermitSerial(1), PermitSerial(3)]);
    assert_eq!(now["AZE10000002"], [PermitSerial(2)]);
    let later = many(150);
    assert_eq!(later.into_iter().collect::<Vec<_>>(), [("AZE10000001".to_owned(), vec![PermitSerial(3)])]);
    assert!(many(180).is_empty());
    assert!(store.valid_permits_many(&[], at).expect("valid").is_empty());
    // More documents than one statement asks for.
    let plenty: Vec<String> = (0..1200).map(|i| format!("AZE{:08}", 20_000_000 + i)).chain(documents.clone()).collect();
    assert_eq!(store.valid_permits_many(&plenty, at).expect("valid"), now);
}

/// Denied documents wait for their permits to be revoked, in document order.
pub async fn denials_to_apply_until_applied<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    assert!(store.denials_to_apply(10).expect("to apply").is_empty());
    let csv = "document,reason,until\nAZE33333333,infected,\nAZE11111111,arrival,\nAZE22222222,arrival,\n";
    backend.import_denials(&store, csv);
    let documents = |queued: Vec<ToRevoke>| -> Vec<String> {
        assert!(queued.iter().all(|q| q.cause == RevokeCause::Denied && q.feed.is_empty()), "{queued:?}");
        queued.into_iter().map(|q| q.document).collect()
    };
    let first = store.denials_to_apply(2).expect("to apply");
    assert_eq!(documents(first.clone()), ["AZE11111111", "AZE22222222"]);
    store.denials_applied(&first).expect("applied");
    assert_eq!(documents(store.denials_to_apply(10).expect("to apply")), ["AZE33333333"]);
    store.denials_applied(&[]).expect("nothing applied");
    // Denied again: applied again.
    backend.import_denials(&store, "document,reason,until\nAZE11111111,infected,\n");
    assert_eq!(documents(store.denials_to_apply(10).expect("to apply")), ["AZE11111111", "AZE33333333"]);
}

/// Issue 23: the permits of every channel and the SMS requests that got
/// none, found by document, phone, code and period, newest first; counted
/// per code and hour (the SMS codes only); the phones and documents with the
/// most permits of a code.
pub async fn permits_and_refused_requests_are_searched_and_counted<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let at = |minutes: u32| noon().checked_add(minutes).expect("in range");
    let (a, b, c) = ("AZE30000001", "AZE30000002", "AZE30000003");
    let (p1, p2, p3) = ("994500000001", "994500000002", "994500000003");
    let medical = |serial, document: &str, phone: &str, minutes| PermitRecord {
        code: 1,
        purpose: 1,
        ..sms_permit(serial, document, phone, at(minutes))
    };
    let permits = [sms_permit(1, a, p1, at(0)), medical(2, a, p1, 5), medical(3, b, p1, 70), medical(4, c, p2, 71)];
    for permit in permits {
        let limits = limits(permit.issued_at, 3, 10);
        assert_eq!(store.record_permit(permit, limits).await.expect("record"), Recorded::Issued);
    }
    let portal = PermitRecord { code: 0, purpose: 4, phone: String::new(), ..sms_permit(5, a, "", at(10)) };
    store.record_issued(portal).await.expect("record the portal's permit");
    let refused = RefusedRequest {
        at: at(20),
        phone: p3.to_owned(),
        document: a.to_owned(),
        code: 1,
        reason: "denied".to_owned(),
    };
    store.record_refused(refused).await.expect("record the refused request");

    let day = Search { document: None, phone: None, code: None, from: at(0), to: at(24 * 60), limit: 100 };
    let found = |search: Search| {
        let rows = store.search(&search).expect("search");
        rows.iter().map(|f| (f.serial.map(|s| s.0), f.at.minutes_since(noon()))).collect::<Vec<_>>()
    };
    assert_eq!(
        found(Search { document: Some(a.to_owned()), ..day.clone() }),
        [(None, 20), (Some(5), 10), (Some(2), 5), (Some(1), 0)]
    );
    assert_eq!(
        found(Search { phone: Some(p1.to_owned()), ..day.clone() }),
        [(Some(3), 70), (Some(2), 5), (Some(1), 0)]
    );
    assert_eq!(
        found(Search { code: Some(1), ..day.clone() }),
        [(Some(4), 71), (Some(3), 70), (None, 20), (Some(2), 5)]
    );
    assert_eq!(found(Search { code: Some(1), limit: 2, ..day.clone() }), [(Some(4), 71), (Some(3), 70)]);
    assert_eq!(found(Search { code: Some(1), from: at(60), ..day.clone() }), [(Some(4), 71), (Some(3), 70)]);
    let refusal = store.search(&Search { phone: Some(p3.to_owned()), ..day.clone() }).expect("search");
    assert_eq!(refusal.len(), 1);
    assert_eq!((refusal[0].document.as_str(), refusal[0].code, refusal[0].reason.as_deref()), (a, 1, Some("denied")));

    let hours = store.code_hours(at(0), at(24 * 60)).expect("count");
    let hour = |h: u32, code, permits, refused| CodeHour { hour: at(h * 60), code, permits, refused };
    assert_eq!(hours, [hour(0, 1, 1, 1), hour(0, 2, 1, 0), hour(1, 1, 2, 0)]);
    let top = store.top_requesters(1, at(0), at(24 * 60), 2).expect("top");
    assert_eq!(top.phones, [(p1.to_owned(), 2), (p2.to_owned(), 1)]);
    assert_eq!(top.documents, [(a.to_owned(), 1), (b.to_owned(), 1)]);
}
