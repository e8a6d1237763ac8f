//! What the index of the permits by time (`permits_by_issued_at`, schema 5,
//! for the searches and the abuse report) costs the SMS path: permits
//! recorded into two SQLite stores in the same process, one with the index
//! and one with it dropped, in alternating rounds, each round `PERMITS`
//! permits with `IN_FLIGHT` at a time. The figure is the CPU time of each
//! store's writer thread per permit (from `/proc/self/task`), which a loaded
//! machine disturbs far less than the wall-clock rate (printed too).
//!
//! ```text
//! cargo run --release -p icaze-sqlite --example time_index_cost
//! ```

use std::sync::Arc;
use std::time::Instant;

use icaze_permits::conformance::{limits, sms_permit};
use icaze_permits::store::{PermitStore, Recorded};
use icaze_sqlite::permits::SqlitePermitStore;
use icaze_sqlite::{Durability, SqliteConfig};

const PERMITS: u32 = 20_000;
const IN_FLIGHT: u32 = 64;
const ROUNDS: usize = 9;

/// The writer threads of the stores opened so far, once there are `count`
/// (a new thread names itself a moment after it starts).
fn writer_threads(count: usize) -> std::collections::BTreeSet<String> {
    for _ in 0..200 {
        let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
        let found: std::collections::BTreeSet<String> = tasks
            .flatten()
            .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.starts_with("icaze-sqlite-wr")))
            .map(|t| t.file_name().to_string_lossy().into_owned())
            .collect();
        if found.len() >= count {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the stores' writer threads did not start");
}

/// A thread's CPU time (user and system) in clock ticks.
fn cpu_ticks(tid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).expect("the thread's stat");
    let fields: Vec<&str> = stat[stat.rfind(')').expect("comm") + 2..].split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command.
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

/// The writer's CPU µs per permit and the permits/s of one round, serials from `first`.
async fn round(store: &Arc<SqlitePermitStore>, writer: &str, first: u32) -> (f64, f64) {
    let cpu_before = cpu_ticks(writer);
    let at = icaze_core::UtcMinute::parse_rfc3339("2020-12-14T12:00:00+04:00").expect("a time");
    let started = Instant::now();
    let workers: Vec<_> = (0..IN_FLIGHT)
        .map(|w| {
            let store = Arc::clone(store);
            tokio::spawn(async move {
                let mut serial = first + w;
                while serial < first + PERMITS {
                    let permit = sms_permit(serial, &format!("AZE{serial:08}"), &format!("99450{serial:07}"), at);
                    let recorded = store.record_permit(permit, limits(at, 1, 1)).await.expect("record");
                    assert_eq!(recorded, Recorded::Issued);
                    serial += IN_FLIGHT;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a worker");
    }
    let rate = f64::from(PERMITS) / started.elapsed().as_secs_f64();
    // Clock ticks are 10 ms (USER_HZ = 100).
    let cpu_us = (cpu_ticks(writer) - cpu_before) as f64 * 10_000.0 / f64::from(PERMITS);
    (cpu_us, rate)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let config = SqliteConfig { durability: Durability::Normal, ..SqliteConfig::default() };
    let open = |name: &str| SqlitePermitStore::open(&dir.path().join(name).join("icaze.db"), config.clone());
    std::fs::create_dir(dir.path().join("with"))?;
    std::fs::create_dir(dir.path().join("without"))?;
    let with = Arc::new(open("with")?);
    let writer_with = writer_threads(1).into_iter().next().expect("a writer");
    let without = Arc::new(open("without")?);
    let writer_without = writer_threads(2).into_iter().find(|t| *t != writer_with).expect("a second writer");
    rusqlite::Connection::open(dir.path().join("without/icaze.db"))?
        .execute_batch("DROP INDEX permits_by_issued_at")?;
    let (mut rates_with, mut rates_without) = (Vec::new(), Vec::new());
    for r in 0..ROUNDS {
        let first = 1 + r as u32 * PERMITS;
        // Each goes first in every other round.
        if r % 2 == 0 {
            rates_with.push(round(&with, &writer_with, first).await);
            rates_without.push(round(&without, &writer_without, first).await);
        } else {
            rates_without.push(round(&without, &writer_without, first).await);
            rates_with.push(round(&with, &writer_with, first).await);
        }
    }
    let cpu = |rounds: &[(f64, f64)]| median(rounds.iter().map(|r| r.0).collect());
    let rate = |rounds: &[(f64, f64)]| median(rounds.iter().map(|r| r.1).collect());
    println!("{PERMITS} permits a round, {ROUNDS} rounds each, alternating, synchronous = NORMAL");
    println!("writer CPU µs/permit, with the index:    {:.1?}", rates_with.iter().map(|r| r.0).collect::<Vec<_>>());
    println!("writer CPU µs/permit, without the index: {:.1?}", rates_without.iter().map(|r| r.0).collect::<Vec<_>>());
    println!(
        "medians: with {:.1} µs ({:.0} permits/s), without {:.1} µs ({:.0} permits/s); CPU ratio {:.3}",
        cpu(&rates_with),
        rate(&rates_with),
        cpu(&rates_without),
        rate(&rates_without),
        cpu(&rates_with) / cpu(&rates_without)
    );
    Ok(())
}
