//! The full replacement of a population registry of `ROWS` people (default
//! 10,000,000) on SQLite and on PostgreSQL (a throwaway cluster of
//! `icaze-testkit`, `fsync` and full-page writes on), through each store's
//! `replace_people`, without HTTP.
//!
//! Two files are written to a temporary directory, each the whole registry in
//! a scattered order (document numbers by a permutation, not sorted): the
//! first registry, then the next one, with 0.5 % of the people gone, 0.5 % new
//! and every tenth moved to another zone. Each backend loads the first into an
//! empty registry, then replaces it with the next (the figure that matters)
//! while a reader thread looks up a person who is in both, as the SMS service
//! would; the run fails if the reader ever finds them missing.
//!
//! Reported for each step: rows a second, the wall-clock time, this process's
//! CPU time (user and system) and, for PostgreSQL, the server's; this
//! process's peak RSS during the step (`VmHWM`, reset before each step through
//! `/proc/self/clear_refs`); the database's size after it. Not a benchmark to
//! quote to the last digit: the machine is shared.
//!
//! ```text
//! cargo run --release -p icaze-postgres --example replace_people
//! ROWS=1000000 BACKENDS=sqlite cargo run --release -p icaze-postgres --example replace_people
//! ```

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Write as _};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use icaze_permits::replace::{ReplaceLimits, ReplaceProgress, ReplaceReport};
use icaze_permits::store::PermitStore;
use icaze_postgres::{PgConfig, PgPermitStore};
use icaze_sqlite::permits::SqlitePermitStore;
use icaze_sqlite::SqliteConfig;
use icaze_testkit::postgres::PgCluster;

mod common;
use common::{cpu_since, server_pids};

/// A multiplier prime to any power of ten: the file's order of the people.
const SCATTER: u64 = 7_777_777;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn document(n: u64) -> String {
    format!("AZE{:08}", 10_000_000 + n)
}

/// Writes the registry of people `first..first + rows`, person `n` in zone
/// `1 + (n + shift) % 17`, scattered.
fn write_registry(path: &Path, first: u64, rows: u64, shift: impl Fn(u64) -> u64) {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).expect("the file"));
    writeln!(out, "document,birth_date,zone").expect("write");
    for i in 0..rows {
        let n = first + (i * SCATTER) % rows;
        let (year, month, day) = (1930 + n % 80, 1 + n % 12, 1 + n % 28);
        writeln!(out, "{},{year}-{month:02}-{day:02},{}", document(n), 1 + (n + shift(n)) % 17).expect("write");
    }
    out.flush().expect("write");
}

/// A field of `/proc/self/status` in kB.
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok()).unwrap_or(0)
}

/// CPU seconds (user + system) of each process of `pids`, with those of its
/// children that ended and were waited for: the replacement's backend ends
/// with its connection, before the step is measured, and its time is then
/// the postmaster's.
fn cpu_seconds(pids: &[u32]) -> HashMap<u32, f64> {
    pids.iter()
        .filter_map(|&pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let ticks: u64 = (11..15).map(|i| fields.get(i)?.parse::<u64>().ok()).sum::<Option<u64>>()?;
            Some((pid, ticks as f64 / 100.0))
        })
        .collect()
}

/// One replacement of `store`'s registry with `file`, measured, while a
/// reader looks up `present` (a person in both registries, once there is one).
fn step<S: PermitStore>(
    name: &str,
    store: &S,
    file: &Path,
    present: Option<&str>,
    server: Option<u16>,
    replace: impl Fn(&S, BufReader<std::fs::File>, &mut dyn FnMut(ReplaceProgress)) -> ReplaceReport,
    size: impl Fn() -> u64,
) {
    // Resets VmHWM to the current RSS (Linux 4.0 and later).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let pids = || server.map(server_pids).unwrap_or_default();
    let (cpu_before, server_before) = (cpu_seconds(&[std::process::id()]), cpu_seconds(&pids()));
    let stop = AtomicBool::new(false);
    let (reads, missing) = (AtomicU64::new(0), AtomicU64::new(0));
    let started = Instant::now();
    let report = std::thread::scope(|s| {
        if let Some(document) = present {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    match store.person(document).expect("a lookup") {
                        Some(_) => reads.fetch_add(1, Ordering::Relaxed),
                        None => missing.fetch_add(1, Ordering::Relaxed),
                    };
                    // About a thousand lookups a second: a reader, not a load.
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            });
        }
        let mut last = Instant::now();
        let file = BufReader::with_capacity(1 << 16, std::fs::File::open(file).expect("the file"));
        let report = replace(store, file, &mut |p| {
            if last.elapsed().as_secs() >= 10 || !matches!(p, ReplaceProgress::Loading { .. }) {
                eprintln!("  {name}: {:.0} s {p:?}", started.elapsed().as_secs_f64());
                last = Instant::now();
            }
        });
        stop.store(true, Ordering::Relaxed);
        report
    });
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_since(&cpu_before, &cpu_seconds(&[std::process::id()]));
    let server_cpu = cpu_since(&server_before, &cpu_seconds(&pids()));
    assert_eq!(report.refused, None, "{name}");
    assert_eq!(report.problem_count, 0, "{name}");
    assert_eq!(missing.load(Ordering::Relaxed), 0, "{name}: a reader found the person missing");
    let in_server = match server {
        Some(_) => format!(", {server_cpu:.0} s in the PostgreSQL server"),
        None => String::new(),
    };
    println!(
        "{name}: {} rows in {seconds:.1} s, {:.0} rows/s; {} removed; CPU {cpu:.0} s here{in_server}; \
         peak RSS {} MB (RSS now {} MB); database {} MB; {} lookups during it, none missing",
        report.loaded,
        report.loaded as f64 / seconds,
        report.removed.len(),
        status_kb("VmHWM:") / 1024,
        status_kb("VmRSS:") / 1024,
        size() / (1 << 20),
        reads.load(Ordering::Relaxed),
    );
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn main() {
    let rows = env("ROWS", 10_000_000).max(1_000) as u64;
    let backends = std::env::var("BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let dir = tempfile::tempdir().expect("a directory");
    let (first, next) = (dir.path().join("first.csv"), dir.path().join("next.csv"));
    let started = Instant::now();
    write_registry(&first, 0, rows, |_| 0);
    // 0.5 % gone from the start, 0.5 % new at the end, every tenth moved.
    write_registry(&next, rows / 200, rows, |n| u64::from(n % 10 == 0));
    println!(
        "two registries of {rows} people written in {:.1} s ({} MB each)",
        started.elapsed().as_secs_f64(),
        file_size(&next) / (1 << 20)
    );
    let present = document(rows / 2);
    let limits = ReplaceLimits::default();

    if backends.contains("sqlite") {
        let data = dir.path().join("sqlite");
        std::fs::create_dir(&data).expect("a directory");
        let store = SqlitePermitStore::open(&data.join("icaze.db"), SqliteConfig::default()).expect("open");
        let replace = |s: &SqlitePermitStore, r, p: &mut dyn FnMut(ReplaceProgress)| {
            s.replace_people(r, limits, p).expect("a replacement")
        };
        let size = || {
            file_size(&data.join("registry.db"))
                + file_size(&data.join("registry.db-wal"))
                + file_size(&data.join("registry.db-shm"))
        };
        step("sqlite, first registry", &store, &first, None, None, replace, size);
        step("sqlite, replacement", &store, &next, Some(&present), None, replace, size);
    }
    if backends.contains("postgres") {
        let cluster = Arc::new(PgCluster::start().expect("a PostgreSQL cluster"));
        // Durable as SQLite's FULL: fsync and full-page writes back on.
        for sql in ["ALTER SYSTEM SET fsync = on", "ALTER SYSTEM SET full_page_writes = on", "SELECT pg_reload_conf()"]
        {
            cluster.psql("postgres", sql).expect("fsync on");
        }
        let db = cluster.create_database().expect("a database");
        let store = PgPermitStore::open(&db.url(), PgConfig::default()).expect("open");
        let replace = |s: &PgPermitStore, r, p: &mut dyn FnMut(ReplaceProgress)| {
            s.replace_people(r, limits, p).expect("a replacement")
        };
        let size = || {
            let out = db.psql("SELECT pg_database_size(current_database())").expect("the size");
            out.split_whitespace().find_map(|w| w.parse().ok()).unwrap_or(0)
        };
        let port = Some(cluster.port());
        step("postgres, first registry", &store, &first, None, port, replace, size);
        step("postgres, replacement", &store, &next, Some(&present), port, replace, size);
        let people = db.psql("SELECT pg_total_relation_size('people')").expect("the size");
        println!("postgres: the people table and its index take {} bytes", people.trim());
    }
}
