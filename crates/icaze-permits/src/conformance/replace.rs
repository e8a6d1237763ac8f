//! The full replacement of the population registry ([`crate::replace`]), as
//! every backend must do it.

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::Backend;
use crate::feeds::RevokeCause;
use crate::replace::{ReplaceLimits, ReplaceProgress, ReplaceRefusal, MAX_PROBLEMS_REPORTED};
use crate::store::PermitStore;

/// The document of synthetic person `n`.
fn doc(n: u32) -> String {
    format!("AZE5{n:07}")
}

/// A registry file of the people `range`, person `n` in zone `zone(n)`.
fn people(range: Range<u32>, zone: impl Fn(u32) -> u16) -> String {
    let mut csv = String::from("document,birth_date,zone\n");
    for n in range {
        let _ = writeln!(csv, "{},1980-05-17,{}", doc(n), zone(n));
    }
    csv
}

fn zone_of<S: PermitStore>(store: &S, n: u32) -> Option<u16> {
    store.person(&doc(n)).expect("person").map(|p| p.zone.get())
}

fn no_progress(_: ReplaceProgress) {}

/// The file is the whole registry: people left out leave and are named,
/// changed rows change, new people come, and progress is told.
pub async fn a_replacement_names_who_left_and_swaps_the_registry<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    // A first registry replaces an empty one.
    let first = backend.replace_people(&store, &people(0..100, |_| 1), ReplaceLimits::default(), &mut no_progress);
    let first = first.expect("replace");
    assert_eq!((first.loaded, first.registered, first.refused.clone()), (100, 0, None));
    assert!(first.removed.is_empty());
    // Two leave, one moves, two come (2 % of the registry removed: within the guard).
    let mut told = Vec::new();
    let csv = people(2..102, |n| if n == 2 { 9 } else { 1 });
    let report = backend.replace_people(&store, &csv, ReplaceLimits::default(), &mut |p| told.push(p));
    let report = report.expect("replace");
    assert_eq!(report.refused, None);
    assert_eq!((report.loaded, report.registered, report.problem_count), (100, 100, 0));
    assert_eq!(report.removed, [doc(0), doc(1)]);
    // Their documents are cancelled: queued, in the swap's transaction, for
    // the applier to revoke their live permits.
    let queued = store.denials_to_apply(10).expect("to revoke");
    let queued: Vec<_> = queued.iter().map(|q| (q.document.clone(), q.cause, q.reason())).collect();
    let cancelled = |n| (doc(n), RevokeCause::Cancelled, "document cancelled".to_owned());
    assert_eq!(queued, [cancelled(0), cancelled(1)]);
    assert_eq!((zone_of(&store, 0), zone_of(&store, 1)), (None, None));
    assert_eq!((zone_of(&store, 2), zone_of(&store, 3), zone_of(&store, 101)), (Some(9), Some(1), Some(1)));
    let lines = csv.lines().count();
    assert!(told.contains(&ReplaceProgress::Loading { lines, bytes: csv.len() as u64 }), "{told:?}");
    assert_eq!(told.last(), Some(&ReplaceProgress::Swapped));
    // The replaced registry answers through the other queries too.
    let at = super::noon();
    assert!(store.person_and_denial(&doc(0), at).expect("both").is_none());
    assert!(store.person_and_denial(&doc(2), at).expect("both").is_some());
}

/// Bad rows (and a document on an earlier line) are reported with their
/// line and skipped; the listed problems are capped, all are counted.
pub async fn bad_rows_are_reported_with_their_lines_and_skipped<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let mut csv = people(0..300, |_| 1);
    csv.push_str("AZE50000001,1980-05-17,2\n\nAZE59999999,1980-02-30,1\nnot a row\n");
    let report = backend.replace_people(&store, &csv, ReplaceLimits::default(), &mut no_progress).expect("replace");
    assert_eq!(report.refused, None);
    assert_eq!(report.loaded, 300);
    assert_eq!(report.problems.iter().map(|p| p.line).collect::<Vec<_>>(), [302, 304, 305]);
    assert!(report.problems[0].message.contains("AZE50000001"), "{:?}", report.problems[0]);
    // The first row of a document is the one kept.
    assert_eq!(zone_of(&store, 1), Some(1));
    assert_eq!(zone_of(&store, 9_999_999), None);

    let mut bad = people(0..10, |_| 1);
    for _ in 0..MAX_PROBLEMS_REPORTED + 10 {
        bad.push_str("AZE50000000,1980-13-01,1\n");
    }
    let forced = ReplaceLimits { force: true, ..ReplaceLimits::default() };
    let report = backend.replace_people(&store, &bad, forced, &mut no_progress).expect("replace");
    assert_eq!((report.problems.len(), report.problem_count), (MAX_PROBLEMS_REPORTED, MAX_PROBLEMS_REPORTED + 10));
    assert_eq!(report.problems.last().map(|p| p.line), Some(MAX_PROBLEMS_REPORTED + 11));
    assert_eq!(report.removed.len(), 290);
}

/// A file that would remove too many people, or with too many bad rows,
/// replaces nothing unless forced; one that is no registry, not even forced.
pub async fn the_guard_refuses_a_truncated_or_bad_file_unless_forced<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    let limits = ReplaceLimits::default();
    backend.replace_people(&store, &people(0..100, |_| 1), limits, &mut no_progress).expect("replace");
    // Truncated: half the registry.
    let truncated = people(0..50, |_| 2);
    let report = backend.replace_people(&store, &truncated, limits, &mut no_progress).expect("replace");
    assert_eq!(report.refused, Some(ReplaceRefusal::TooManyRemoved { removed: 50, registered: 100 }));
    assert!(report.removed.is_empty());
    assert_eq!((zone_of(&store, 0), zone_of(&store, 99)), (Some(1), Some(1)));
    // Too many bad rows.
    let mut bad = people(0..100, |_| 3);
    bad.push_str("AZE50000100,1980-13-01,1\nAZE50000200,1980-05-17,0\n");
    let report = backend.replace_people(&store, &bad, limits, &mut no_progress).expect("replace");
    assert_eq!(report.refused, Some(ReplaceRefusal::TooManyProblems { problems: 2, rows: 102 }));
    assert_eq!(zone_of(&store, 0), Some(1));
    // Not a registry, even forced.
    let forced = ReplaceLimits { force: true, ..limits };
    let phones = "document,phone\nAZE50000000,994501112233\n";
    let report = backend.replace_people(&store, phones, forced, &mut no_progress).expect("replace");
    assert_eq!(report.refused, Some(ReplaceRefusal::NotARegistry));
    assert_eq!(zone_of(&store, 0), Some(1));
    // Forced, the truncated file replaces the registry.
    let report = backend.replace_people(&store, &truncated, forced, &mut no_progress).expect("replace");
    assert_eq!((report.refused, report.removed.len()), (None, 50));
    assert_eq!((zone_of(&store, 0), zone_of(&store, 99)), (Some(2), None));
    // A refused replacement left nothing behind: the next one goes through.
    let report = backend.replace_people(&store, &people(0..51, |_| 4), limits, &mut no_progress).expect("replace");
    assert_eq!((report.refused, report.loaded), (None, 51));
}

/// Readers answer from the old registry until the swap and from the new one
/// after it: a reader asking for a person in both never finds them missing.
pub async fn readers_answer_from_the_old_registry_until_the_swap<B: Backend>(backend: &B) {
    let db = backend.database();
    let store = backend.open(&db);
    const PEOPLE: u32 = 30_000;
    backend.import_people(&store, &people(0..PEOPLE, |_| 1));
    // The new registry: person 0 leaves, PEOPLE comes, everyone moves to zone 2.
    let csv = people(1..PEOPLE + 1, |_| 2);
    let stop = AtomicBool::new(false);
    let (reads, missing, failed) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    let (mut loading, mut swapped) = (0, false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                match store.person(&doc(PEOPLE / 2)) {
                    Ok(Some(_)) => reads.fetch_add(1, Ordering::Relaxed),
                    Ok(None) => missing.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        });
        // Each step waits for the reader to have read meanwhile, so that it
        // reads while the file loads and around the swap.
        let read_on = || {
            let seen = reads.load(Ordering::Relaxed) + missing.load(Ordering::Relaxed);
            while reads.load(Ordering::Relaxed) + missing.load(Ordering::Relaxed) < seen + 3 {
                if failed.load(Ordering::Relaxed) > 0 {
                    break;
                }
                std::thread::yield_now();
            }
        };
        let report = backend.replace_people(&store, &csv, ReplaceLimits::default(), &mut |p| {
            match p {
                ReplaceProgress::Loading { .. } | ReplaceProgress::Comparing { .. } => {
                    // Until the swap, the registry in use answers.
                    assert_eq!(zone_of(&store, 0), Some(1));
                    assert_eq!(zone_of(&store, PEOPLE), None);
                    loading += 1;
                }
                ReplaceProgress::Swapped => {
                    assert_eq!(zone_of(&store, 0), None);
                    assert_eq!(zone_of(&store, PEOPLE), Some(2));
                    swapped = true;
                }
                ReplaceProgress::Started { .. } => {}
            }
            read_on();
        });
        stop.store(true, Ordering::Relaxed);
        let report = report.expect("replace");
        assert_eq!((report.refused, report.removed), (None, vec![doc(0)]));
    });
    assert!(loading >= 3 && swapped, "progress: {loading} steps of loading, swapped: {swapped}");
    assert_eq!((missing.into_inner(), failed.into_inner()), (0, 0));
    assert!(reads.into_inner() >= 3 * 4);
    assert_eq!(zone_of(&store, PEOPLE / 2), Some(2));
}

/// One replacement at a time: another, from a second store on the same
/// database, is refused while the first loads, and goes through after it.
pub async fn a_second_replacement_is_refused_while_one_runs<B: Backend>(backend: &B) {
    let db = backend.database();
    let (store, other) = (backend.open(&db), backend.open(&db));
    let limits = ReplaceLimits::default();
    let mut second = None;
    let first = backend.replace_people(&store, &people(0..100, |_| 1), limits, &mut |p| {
        if second.is_none() && matches!(p, ReplaceProgress::Loading { .. }) {
            second = Some(backend.replace_people(&other, &people(0..100, |_| 2), limits, &mut no_progress));
        }
    });
    assert_eq!(first.expect("replace").loaded, 100);
    assert!(matches!(second, Some(Err(crate::replace::ReplaceError::Busy))), "{second:?}");
    assert_eq!(zone_of(&other, 0), Some(1));
    let again = backend.replace_people(&other, &people(0..100, |_| 2), limits, &mut no_progress);
    assert_eq!(again.expect("replace").refused, None);
    assert_eq!(zone_of(&store, 0), Some(2));
}

/// The clock of the jobs' tests: their start and end at minute 60.
static CLOCK: std::sync::LazyLock<crate::clock::FixedClock> =
    std::sync::LazyLock::new(|| crate::clock::FixedClock::new(icaze_core::UtcMinute::from_unix_minutes(60)));

fn job_start(agency: &str, forced: bool) -> crate::replace::JobStart<'_> {
    crate::replace::JobStart { agency, forced, clock: &*CLOCK }
}

/// A replacement kept as a job is recorded from its start to its end, and
/// read from another store on the database (another instance): loading
/// while it loads, swapped with its report in the swap's transaction; a
/// refused one refused with the guard's reason; the newest read without a
/// number.
pub async fn a_replacement_job_is_recorded_to_its_end<B: Backend>(backend: &B) {
    use crate::replace::{JobId, JobState};
    let db = backend.database();
    let (store, other) = (backend.open(&db), backend.open(&db));
    assert_eq!(backend.replacement_job(&other, None).expect("no job"), None);
    let mut csv = people(0..100, |_| 1);
    csv.push_str("nonsense\n");
    let (mut id, mut seen) = (None, None);
    let report =
        backend.replace_people_job(&store, &csv, &job_start("asan", false), ReplaceLimits::default(), &mut |p| {
            match p {
                ReplaceProgress::Started { job } => id = Some(job),
                ReplaceProgress::Comparing { .. } if seen.is_none() => {
                    // The runner holds the lock: another instance reads it running.
                    seen = backend.replacement_job(&other, id).expect("a job");
                }
                _ => {}
            }
        });
    let report = report.expect("replace");
    let id = id.expect("told its number");
    let seen = seen.expect("read while it ran");
    assert!(seen.state.running(), "{seen:?}");
    assert_eq!((seen.agency.as_str(), seen.forced, seen.ended_at), ("asan", false, None));
    assert_eq!(seen.lines, csv.lines().count() as u64, "{seen:?}");
    let done = backend.replacement_job(&other, Some(id)).expect("a job").expect("recorded");
    assert_eq!(done.state, JobState::Swapped);
    assert_eq!((done.loaded, done.registered, done.removed, done.problem_count), (100, 0, 0, 1));
    assert_eq!(done.problems, report.problems);
    assert_eq!((done.bytes, done.reason.clone()), (csv.len() as u64, None));
    let at = icaze_core::UtcMinute::from_unix_minutes(60);
    assert_eq!((done.started_at, done.ended_at), (at, Some(at)));
    assert_eq!(backend.replacement_job(&other, None).expect("newest"), Some(done));

    // A truncated file: refused, its reason kept, the registry untouched.
    let mut refused_id = None;
    let refused = backend.replace_people_job(
        &store,
        &people(0..10, |_| 2),
        &job_start("asan", false),
        ReplaceLimits::default(),
        &mut |p| {
            if let ReplaceProgress::Started { job } = p {
                refused_id = Some(job);
            }
        },
    );
    assert!(refused.expect("replace").refused.is_some());
    let refused_id = refused_id.expect("told its number");
    assert!(refused_id > id, "{refused_id} after {id}");
    let refused = backend.replacement_job(&other, None).expect("newest").expect("recorded");
    assert_eq!(
        (refused.id, refused.state, refused.removed, refused.registered),
        (refused_id, JobState::Refused, 0, 100)
    );
    assert!(refused.reason.as_deref().is_some_and(|r| r.contains("90 of the 100")), "{refused:?}");
    assert_eq!(zone_of(&other, 50), Some(1));
    assert_eq!(backend.replacement_job(&other, Some(JobId(refused_id.0 + 1))).expect("none"), None);
}

/// A job whose runner died midway (here: a panic while it loads, which
/// drops its lock as a dead process's is dropped) reads interrupted from
/// any store, and the registry in use is untouched; the next replacement
/// runs.
pub async fn a_job_whose_runner_died_reads_interrupted<B: Backend>(backend: &B) {
    use crate::replace::JobState;
    let db = backend.database();
    let (store, other) = (backend.open(&db), backend.open(&db));
    backend
        .replace_people(&store, &people(0..100, |_| 1), ReplaceLimits::default(), &mut no_progress)
        .expect("replace");
    let mut id = None;
    let died = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let csv = people(0..100, |_| 2);
        let _ =
            backend.replace_people_job(&store, &csv, &job_start("asan", true), ReplaceLimits::default(), &mut |p| {
                match p {
                    ReplaceProgress::Started { job } => id = Some(job),
                    ReplaceProgress::Loading { .. } => panic!("the runner dies while it loads"),
                    _ => {}
                }
            });
    }));
    assert!(died.is_err());
    let id = id.expect("told its number");
    // A connection closed by the store may take a moment to let its lock go.
    let mut job = None;
    for _ in 0..500 {
        job = backend.replacement_job(&other, Some(id)).expect("a job");
        if job.as_ref().is_some_and(|j| !j.state.running()) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let job = job.expect("recorded");
    assert_eq!((job.state, job.forced, job.ended_at), (JobState::Interrupted, true, None), "{job:?}");
    assert_eq!(zone_of(&other, 0), Some(1));
    let report = backend.replace_people_job(
        &other,
        &people(0..100, |_| 3),
        &job_start("asan", false),
        ReplaceLimits::default(),
        &mut no_progress,
    );
    assert_eq!(report.expect("replace").refused, None);
    assert_eq!(zone_of(&store, 0), Some(3));
    assert_eq!(backend.replacement_job(&store, Some(id)).expect("a job").map(|j| j.state), Some(JobState::Interrupted));
    assert_eq!(backend.replacement_job(&store, None).expect("newest").map(|j| j.state), Some(JobState::Swapped));
}
