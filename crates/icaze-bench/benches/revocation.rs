//! The country-sized revocation set: ten million revoked serials drawn
//! uniformly, without replacement, from a billion issued, and a day's delta of
//! a hundred thousand more (see `icaze_core::RevocationSet`).
//!
//! Run with `cargo bench -p icaze-bench --bench revocation` (about a minute).
//! After criterion's own output this prints the sizes of this run (heap,
//! wire, and a sorted `Vec<u32>` and `HashSet<u32>` of the same serials) and
//! the medians measured against the goals. Under `cargo test` each benchmark
//! runs once on a set a tenth the size, so that the unoptimised build stays
//! quick.

mod common;

use std::collections::HashSet;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, SystemTime};

use criterion::{BatchSize, Criterion, SamplingMode};
use icaze_core::{PermitSerial, RevocationSet};

/// Serials are drawn from `0..ISSUED`.
const ISSUED: u64 = 1_000_000_000;
const GROUP: &str = "revocation";
const BULK: &str = "revocation bulk";
const PROBES: usize = 4096;

/// splitmix64: fast and deterministic, so every run measures the same sets.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (multiply-shift; the bias is below 2^-32).
    fn below(&mut self, bound: u64) -> u32 {
        ((u128::from(self.next()) * u128::from(bound)) >> 64) as u32
    }
}

/// `count` distinct serials drawn uniformly from `0..ISSUED`, none of them in
/// `exclude`, sorted. Duplicates are dropped and exactly as many drawn again,
/// which gives the first `count` distinct values of a uniform stream: a
/// uniform subset.
fn draw(rng: &mut SplitMix, count: usize, exclude: &RevocationSet) -> Vec<u32> {
    let mut serials: Vec<u32> = Vec::with_capacity(count);
    while serials.len() < count {
        let missing = count - serials.len();
        serials.extend((0..missing).map(|_| rng.below(ISSUED)).filter(|&s| !exclude.contains(PermitSerial(s))));
        serials.sort_unstable();
        serials.dedup();
    }
    serials
}

struct Fixture {
    sorted: Vec<u32>,
    set: RevocationSet,
    delta: RevocationSet,
    delta_bytes: Vec<u8>,
    set_bytes: Vec<u8>,
    members: Vec<u32>,
    strangers: Vec<u32>,
}

impl Fixture {
    fn new(revoked: usize, delta: usize) -> Self {
        let mut rng = SplitMix(20_201_215);
        let sorted = draw(&mut rng, revoked, &RevocationSet::empty());
        let set = RevocationSet::from_serials(sorted.iter().copied());
        let delta = RevocationSet::from_serials(draw(&mut rng, delta, &set));
        let members = (0..PROBES).map(|_| sorted[rng.below(sorted.len() as u64) as usize]).collect();
        let strangers = draw(&mut rng, PROBES, &set);
        let (delta_bytes, set_bytes) = (delta.encode(), set.encode());
        Self { sorted, set, delta, delta_bytes, set_bytes, members, strangers }
    }
}

fn lookups_and_delta(c: &mut Criterion, fx: &Fixture) {
    let mut g = c.benchmark_group(GROUP);
    // The probes cycle through 4096 random serials, so each lookup touches
    // memory the last one did not: the cache misses of a real check are in.
    g.bench_function("contains member", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % PROBES;
            fx.set.contains(PermitSerial(black_box(fx.members[i])))
        })
    });
    g.bench_function("contains non-member", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % PROBES;
            fx.set.contains(PermitSerial(black_box(fx.strangers[i])))
        })
    });
    g.bench_function("encode delta 100k", |b| b.iter(|| black_box(&fx.delta).encode()));
    g.bench_function("decode delta 100k", |b| {
        b.iter(|| RevocationSet::decode(black_box(&fx.delta_bytes)).expect("own encoding decodes"))
    });
    g.finish();
}

fn bulk(c: &mut Criterion, fx: &Fixture) {
    let mut g = c.benchmark_group(BULK);
    // Each call takes a tenth of a second or more: ten samples of equal
    // iteration counts keep the group near twenty seconds.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("union 10M + delta 100k", |b| b.iter(|| black_box(&fx.set).union(black_box(&fx.delta))));
    g.bench_function("decode delta 100k + union", |b| {
        b.iter(|| {
            let delta = RevocationSet::decode(black_box(&fx.delta_bytes)).expect("own encoding decodes");
            fx.set.union(&delta)
        })
    });
    g.bench_function("encode 10M", |b| b.iter(|| black_box(&fx.set).encode()));
    g.bench_function("decode 10M", |b| {
        b.iter(|| RevocationSet::decode(black_box(&fx.set_bytes)).expect("own encoding decodes"))
    });
    g.bench_function("from_serials 10M (sorted input)", |b| {
        b.iter_batched(|| fx.sorted.clone(), RevocationSet::from_serials, BatchSize::LargeInput)
    });
    g.finish();
}

/// `log2(universe choose n)`: the fewest bits that can name one set of `n`
/// serials below `universe`, in bytes.
fn entropy_floor_bytes(universe: u64, n: u64) -> f64 {
    (0..n).map(|i| ((universe - i) as f64 / (n - i) as f64).log2()).sum::<f64>() / 8.0
}

/// Criterion's median (ns) for one benchmark, if measured since `since`.
fn median(dir: &Path, group: &str, id: &str, since: SystemTime) -> Option<f64> {
    common::estimate(dir, group, id, since).map(|(median, _)| median)
}

fn human_time(ns: f64) -> String {
    match ns {
        ns if ns >= 1e6 => format!("{:.1} ms", ns / 1e6),
        ns if ns >= 1e3 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{ns:.0} ns"),
    }
}

fn mb(bytes: usize) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

fn report(fx: &Fixture, since: SystemTime) {
    let n = fx.set.len();
    let hash: HashSet<u32> = fx.sorted.iter().copied().collect();
    // hashbrown keeps a power of two of buckets, at most 7/8 full, each a
    // 4-byte slot and a control byte, plus one group of trailing control bytes.
    let buckets = (hash.capacity() * 8 / 7).next_power_of_two();
    let hash_bytes = buckets * (size_of::<u32>() + 1) + 16;
    let hash64_bytes = buckets * (size_of::<u64>() + 1) + 16;
    let set_floor = entropy_floor_bytes(ISSUED, n as u64);
    let delta_floor = entropy_floor_bytes(ISSUED, fx.delta.len() as u64);
    let bits = |bytes: usize, count: usize| bytes as f64 * 8.0 / count as f64;

    println!("\nSizes ({n} serials from 0..{ISSUED}; delta {} more):", fx.delta.len());
    println!("| what | bytes | bits per serial |");
    println!("| --- | ---: | ---: |");
    let heap = fx.set.heap_bytes();
    println!("| `RevocationSet` heap_bytes, 10M | {} | {:.2} |", mb(heap), bits(heap, n));
    println!("| wire, 10M (`encode`) | {} | {:.2} |", mb(fx.set_bytes.len()), bits(fx.set_bytes.len(), n));
    println!("| entropy floor, 10M | {} | {:.2} |", mb(set_floor as usize), set_floor * 8.0 / n as f64);
    let d = fx.delta.len();
    println!(
        "| wire, delta 100k | {:.1} KB | {:.2} |",
        fx.delta_bytes.len() as f64 / 1e3,
        bits(fx.delta_bytes.len(), d)
    );
    println!("| entropy floor, delta 100k | {:.1} KB | {:.2} |", delta_floor / 1e3, delta_floor * 8.0 / d as f64);
    println!(
        "| `RevocationSet` heap_bytes, delta 100k | {:.1} KB | {:.2} |",
        fx.delta.heap_bytes() as f64 / 1e3,
        bits(fx.delta.heap_bytes(), d)
    );
    println!("| sorted `Vec<u32>`, 10M | {} | {:.2} |", mb(n * size_of::<u32>()), 32.0);
    println!("| `HashSet<u32>`, 10M ({buckets} buckets) | {} | {:.2} |", mb(hash_bytes), bits(hash_bytes, n));
    println!("| `HashSet<u64>`, 10M (same buckets) | {} | {:.2} |", mb(hash64_bytes), bits(hash64_bytes, n));

    let dir = common::criterion_dir();
    println!("\nMedians from {} (this run only):", dir.display());
    println!("| benchmark | median |");
    println!("| --- | ---: |");
    let rows = [
        (GROUP, "contains member"),
        (GROUP, "contains non-member"),
        (GROUP, "encode delta 100k"),
        (GROUP, "decode delta 100k"),
        (BULK, "union 10M + delta 100k"),
        (BULK, "decode delta 100k + union"),
        (BULK, "encode 10M"),
        (BULK, "decode 10M"),
        (BULK, "from_serials 10M (sorted input)"),
    ];
    for (group, id) in rows {
        if let Some(ns) = median(&dir, group, id, since) {
            println!("| {id} | {} |", human_time(ns));
        }
    }
    let worst_lookup = ["contains member", "contains non-member"]
        .iter()
        .filter_map(|id| median(&dir, GROUP, id, since))
        .fold(None, |acc: Option<f64>, ns| Some(acc.map_or(ns, |a| a.max(ns))));
    let apply = median(&dir, BULK, "decode delta 100k + union", since);
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!("\nGoals:");
    println!("| goal | measured | |");
    println!("| --- | ---: | --- |");
    println!("| memory of 10M ≤ 16 MB | {} | {} |", mb(heap), verdict(heap <= 16_000_000));
    if let Some(ns) = worst_lookup {
        println!("| lookup ≤ 1 µs (slower median) | {} | {} |", human_time(ns), verdict(ns <= 1000.0));
    }
    if let Some(ns) = apply {
        println!("| delta of 100k applied ≤ 1 s | {} | {} |", human_time(ns), verdict(ns <= 1e9));
    }
    let delta_len = fx.delta_bytes.len();
    println!("| wire delta 100k ≤ 200 KB | {:.1} KB | {} |", delta_len as f64 / 1e3, verdict(delta_len <= 200_000));
    let set_len = fx.set_bytes.len();
    println!("| wire 10M ≤ 16 MB | {} | {} |", mb(set_len), verdict(set_len <= 16_000_000));
}

fn main() {
    let started = SystemTime::now();
    // Under `cargo test --benches` each benchmark runs once, unoptimised.
    let measuring = std::env::args().any(|a| a == "--bench");
    let fx = if measuring { Fixture::new(10_000_000, 100_000) } else { Fixture::new(1_000_000, 10_000) };
    assert_eq!(RevocationSet::decode(&fx.set_bytes).as_ref(), Ok(&fx.set), "the fixture round-trips");
    let mut c = common::criterion();
    lookups_and_delta(&mut c, &fx);
    bulk(&mut c, &fx);
    c.final_summary();
    if measuring {
        report(&fx, started);
    }
}
