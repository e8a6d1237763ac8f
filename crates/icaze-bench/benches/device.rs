//! The officer device, scan to verdict: find the token in the scanned text,
//! verify it against the bundle's trust list, look its serial up in a
//! revocation set of one million serials, judge window, zone, regime, data age
//! and clock — and, for a real inspection, commit the hash-chained log record
//! to SQLite (WAL, `synchronous = FULL`) before the verdict is returned.
//!
//! Run with `cargo bench -p icaze-bench --bench device`. After criterion's
//! output it measures every call one by one and prints p50, p99 and the
//! maximum of both paths against the goals (p99 ≤ 100 µs without the write,
//! ≤ 5 ms with it). The device directory lives under `target/`, on the same
//! disk as the build, not in a RAM-backed temporary directory, so that the
//! fsync is real. Under `cargo test` each benchmark runs once.
//!
//! Wall-clock percentiles on a shared machine measure its load as much as the
//! code: `uptime` before and after a run tells which.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use icaze_core::*;
use icaze_device::{Device, InitConfig, Notes, OfficerBadge, Scene};

const REVOKED: usize = 1_000_000;
const ISSUED: u64 = 1_000_000_000;

fn at(s: &str) -> UtcMinute {
    UtcMinute::parse_rfc3339(s).expect("a valid time")
}

struct Fixture {
    _dir: tempfile::TempDir,
    device: Device,
    text: String,
    scene: Scene,
}

fn fixture(revoked: usize) -> Fixture {
    let (root, sms, sync) =
        (SecretKey::from_seed(&[1; 32]), SecretKey::from_seed(&[2; 32]), SecretKey::from_seed(&[4; 32]));
    let key = |id, k: &SecretKey, purposes: &[Purpose], bundles| TrustedKey {
        id: KeyId(id),
        public_key: k.public_key(),
        valid_from: at("2020-12-01T00:00:00Z"),
        valid_until: at("2022-01-01T00:00:00Z"),
        purposes: PurposeSet::of(purposes),
        revoked: false,
        may_sign_bundles: bundles,
        label: format!("key-{id}"),
    };
    let trust = TrustList::new(
        1,
        at("2020-12-01T00:00:00Z"),
        vec![key(1, &sms, &[Purpose::Medical, Purpose::Necessities], false), key(4, &sync, &[], true)],
    )
    .expect("a valid trust list");
    // One million distinct serials from a billion (splitmix64, fixed seed).
    let mut state = 0x1ca2e_u64;
    let mut serials = Vec::with_capacity(revoked);
    while serials.len() < revoked {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let s = (((u128::from(z ^ (z >> 31))) * u128::from(ISSUED)) >> 64) as u32;
        if s != 42 {
            serials.push(s);
        }
        if serials.len() == revoked {
            serials.sort_unstable();
            serials.dedup();
        }
    }
    let zone = |id| BundleZone {
        id: ZoneId::new(id).expect("zone"),
        name_az: "z".into(),
        name_ru: "z".into(),
        name_en: "z".into(),
    };
    let bundle = BundleContents {
        version: 1,
        base_version: None,
        server_time_unix_seconds: at("2020-12-15T09:00:00+04:00").unix_seconds() as u64,
        trust_list: trust.sign(&root),
        regimes: vec![BundleRegime {
            id: "2020-12-14".into(),
            name: "Special quarantine regime".into(),
            start: at("2020-12-14T00:00:00+04:00"),
            end: at("2021-01-18T00:00:00+04:00"),
            scope: RegimeScope::Listed,
            zones: (1..=17).map(zone).collect(),
            purposes: PurposeSet::of(&[Purpose::Medical, Purpose::Necessities]),
        }],
        freshness: FreshnessPolicy::default(),
        revocations: RevocationSet::from_serials(serials),
        sections: Default::default(),
    }
    .try_sign(&sync, KeyId(4))
    .expect("a valid bundle");

    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target");
    let dir = tempfile::tempdir_in(&target).expect("a directory under target/");
    let config = InitConfig { root: root.public_key(), server: None, officer: None };
    let mut device = Device::init(dir.path(), &config, at("2020-12-15T09:00:00+04:00")).expect("init");
    let applied = device.import_bundle(&bundle, at("2020-12-15T09:00:00+04:00")).expect("import");
    assert_eq!(applied.revocations, revoked);

    let claims = PermitClaims::new(ClaimsSpec {
        serial: PermitSerial(42),
        document: DocumentNumber::parse("AZE11111111").expect("document"),
        purpose: Purpose::Necessities,
        zones: vec![ZoneId::new(1).expect("zone")],
        issued_at: at("2020-12-15T10:00:00+04:00"),
        valid_from: at("2020-12-15T10:00:00+04:00"),
        valid_until: at("2020-12-15T13:00:00+04:00"),
        vehicle: None,
    })
    .expect("claims");
    // What a scanner reads from the permit's QR code.
    let text = issue(&sms, KeyId(1), &claims).to_qr_digits();
    let scene = Scene {
        at: at("2020-12-15T11:00:00+04:00"),
        zone: ZoneId::new(1).expect("zone"),
        officer: OfficerBadge::new("B-1042").expect("badge"),
        location: None,
    };
    Fixture { _dir: dir, device, text, scene }
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    (at(0.50), at(0.99), at(1.0))
}

fn main() {
    // Under `cargo test --benches` each benchmark runs once, unoptimised, on a smaller set.
    let measuring = std::env::args().any(|a| a == "--bench");
    let mut f = fixture(if measuring { REVOKED } else { REVOKED / 100 });
    let notes = Notes::default();
    let v = f.device.check(&f.text, &f.scene, &notes).expect("check");
    assert_eq!(v.kind, icaze_device::VerdictKind::Valid, "{:?}", v.reasons);

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("device scan to verdict");
    group.bench_function("without the log write", |b| {
        b.iter(|| f.device.evaluate_unlogged(black_box(&f.text), &f.scene))
    });
    group.sample_size(20);
    group.bench_function("with the durable log write", |b| {
        b.iter(|| f.device.check(black_box(&f.text), &f.scene, &notes).expect("check"))
    });
    group.finish();
    c.final_summary();

    if !measuring {
        return;
    }
    let mut unlogged = Vec::with_capacity(20_000);
    for _ in 0..20_000 {
        let start = Instant::now();
        black_box(f.device.evaluate_unlogged(black_box(&f.text), &f.scene));
        unlogged.push(start.elapsed());
    }
    // The app checkpoints the WAL while the officer reads a verdict: here
    // every 50 checks, outside the timed calls (and timed on its own).
    let mut logged = Vec::with_capacity(2_000);
    let mut checkpoints = Vec::new();
    for i in 0..2_000 {
        let start = Instant::now();
        black_box(f.device.check(black_box(&f.text), &f.scene, &notes).expect("check"));
        logged.push(start.elapsed());
        if i % 50 == 49 {
            let start = Instant::now();
            f.device.checkpoint().expect("checkpoint");
            checkpoints.push(start.elapsed());
        }
    }
    let revocations = f.device.revocations().expect("data");
    println!("revocation set: {} serials, {} bytes on the heap", revocations.len(), revocations.heap_bytes());
    let (p50, p99, max) = percentiles(checkpoints);
    println!("idle checkpoint (every 50 checks): p50 {p50:?}, p99 {p99:?}, max {max:?}");
    for (name, samples, goal) in [
        ("without the write (20,000 calls)", unlogged, Duration::from_micros(100)),
        ("with the durable write (2,000 calls)", logged, Duration::from_millis(5)),
    ] {
        let (p50, p99, max) = percentiles(samples);
        let verdict = if p99 <= goal { "met" } else { "NOT met" };
        println!("scan to verdict {name}: p50 {p50:?}, p99 {p99:?}, max {max:?}; goal p99 <= {goal:?}: {verdict}");
    }
}
