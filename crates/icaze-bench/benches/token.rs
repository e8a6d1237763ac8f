//! Time of the Icaze token paths against raw Ed25519 and the peer formats, on
//! the same permit (see `icaze_bench::Fixture`).
//!
//! Run with `cargo bench -p icaze-bench --bench token`. After criterion's own
//! output this prints a markdown table of the medians measured in this run
//! and their ratios to the raw Ed25519 operation of the same group.

mod common;

use std::hint::black_box;
use std::time::{Instant, SystemTime};

use criterion::Criterion;
use ed25519_dalek::Signer as _;
use icaze_bench::{hc1, jwt, paseto, Fixture};
use icaze_core::{issue, KeyId, UnverifiedPermit};

const VERIFY: &str = "verify";
const SIGN: &str = "sign";
const PARTS: &str = "icaze parts";

const ICAZE_VERIFY: &str = "icaze parse+verify (SMS)";
const RAW_VERIFY: &str = "raw verify_strict";
const RAW_VERIFY_AGAIN: &str = "raw verify_strict again (A-A control)";
const ICAZE_SIGN: &str = "icaze sign+encode";
const RAW_SIGN: &str = "raw sign";

fn verify(c: &mut Criterion, fx: &Fixture) {
    let sms = fx.token.to_text();
    let digits = fx.token.to_qr_digits();
    let message = fx.signed_message();
    let signature = fx.signature();
    let public = fx.public_key();
    let paseto_text = paseto::sign(&fx.paseto_signer(), &fx.plain).expect("PASETO signs");
    let paseto_verifier = fx.paseto_verifier();
    let jwt_text = jwt::sign(&fx.jwt_signer(), &fx.plain).expect("JWT signs");
    let jwt_verifier = fx.jwt_verifier();
    let hc1_text = hc1::sign(&fx.signing_key(), &fx.plain, hc1::Compression::Zlib).expect("COSE signs");

    let mut g = c.benchmark_group(VERIFY);
    g.bench_function(ICAZE_VERIFY, |b| {
        b.iter(|| {
            let unverified = UnverifiedPermit::from_text(black_box(&sms)).expect("fixture token parses");
            fx.trust.verify(&unverified).expect("fixture token verifies")
        })
    });
    g.bench_function(RAW_VERIFY, |b| {
        b.iter(|| public.verify_strict(black_box(&message), black_box(&signature)).expect("fixture signature verifies"))
    });
    // The same call again: how far apart criterion puts identical work here.
    g.bench_function(RAW_VERIFY_AGAIN, |b| {
        b.iter(|| public.verify_strict(black_box(&message), black_box(&signature)).expect("fixture signature verifies"))
    });
    g.bench_function("icaze parse+verify (QR digits)", |b| {
        b.iter(|| {
            let unverified = UnverifiedPermit::from_text(black_box(&digits)).expect("fixture token parses");
            fx.trust.verify(&unverified).expect("fixture token verifies")
        })
    });
    g.bench_function("PASETO v4.public", |b| {
        b.iter(|| paseto::verify(&paseto_verifier, black_box(&paseto_text)).expect("fixture PASETO verifies"))
    });
    g.bench_function("JWT EdDSA", |b| {
        b.iter(|| jwt::verify(&jwt_verifier, black_box(&jwt_text)).expect("fixture JWT verifies"))
    });
    g.bench_function("COSE_Sign1 zlib base45", |b| {
        b.iter(|| hc1::verify(&public, black_box(&hc1_text)).expect("fixture COSE verifies"))
    });
    g.finish();
}

fn sign(c: &mut Criterion, fx: &Fixture) {
    let message = fx.signed_message();
    let key = fx.signing_key();
    let paseto_signer = fx.paseto_signer();
    let jwt_signer = fx.jwt_signer();

    let mut g = c.benchmark_group(SIGN);
    g.bench_function(ICAZE_SIGN, |b| b.iter(|| issue(&fx.issuer, KeyId(1), black_box(&fx.claims)).to_text()));
    g.bench_function(RAW_SIGN, |b| b.iter(|| key.sign(black_box(&message))));
    g.bench_function("PASETO v4.public", |b| {
        b.iter(|| paseto::sign(&paseto_signer, black_box(&fx.plain)).expect("PASETO signs"))
    });
    g.bench_function("JWT EdDSA", |b| b.iter(|| jwt::sign(&jwt_signer, black_box(&fx.plain)).expect("JWT signs")));
    g.bench_function("COSE_Sign1 zlib base45", |b| {
        b.iter(|| hc1::sign(&key, black_box(&fx.plain), hc1::Compression::Zlib).expect("COSE signs"))
    });
    g.finish();
}

/// Where the icaze verify path spends its time beyond the signature check.
fn parts(c: &mut Criterion, fx: &Fixture) {
    let sms = fx.token.to_text();
    let digits = fx.token.to_qr_digits();
    let reply = format!("Icaze: icaze verildi. AZE11111111 15.12 10:00-13:00 {sms}");
    let unverified = UnverifiedPermit::from_text(&sms).expect("fixture token parses");
    let bytes = fx.token.as_bytes();
    let payload = &bytes[..bytes.len() - icaze_core::SIGNATURE_LEN];
    let signature = fx.signature();
    let public = fx.public_key();

    let mut g = c.benchmark_group(PARTS);
    g.bench_function("parse SMS text", |b| b.iter(|| UnverifiedPermit::from_text(black_box(&sms))));
    g.bench_function("parse QR digits", |b| b.iter(|| UnverifiedPermit::from_text(black_box(&digits))));
    g.bench_function("find_in_text whole SMS", |b| b.iter(|| UnverifiedPermit::find_in_text(black_box(&reply))));
    g.bench_function("trust.verify parsed", |b| b.iter(|| fx.trust.verify(black_box(&unverified))));
    g.bench_function("prefix concat + verify_strict", |b| {
        b.iter(|| {
            let message = [fx.token.format().domain().prefix(), black_box(payload)].concat();
            public.verify_strict(&message, black_box(&signature))
        })
    });
    g.finish();
}

fn ratio_table(since: SystemTime) {
    let dir = common::criterion_dir();
    println!("\nMedians and means from {} (this run only):", dir.display());
    let groups: [(&str, &str, &[&str]); 3] = [
        (
            VERIFY,
            RAW_VERIFY,
            &[
                ICAZE_VERIFY,
                RAW_VERIFY,
                RAW_VERIFY_AGAIN,
                "icaze parse+verify (QR digits)",
                "PASETO v4.public",
                "JWT EdDSA",
                "COSE_Sign1 zlib base45",
            ],
        ),
        (SIGN, RAW_SIGN, &[ICAZE_SIGN, RAW_SIGN, "PASETO v4.public", "JWT EdDSA", "COSE_Sign1 zlib base45"]),
        (
            PARTS,
            "",
            &[
                "parse SMS text",
                "parse QR digits",
                "find_in_text whole SMS",
                "trust.verify parsed",
                "prefix concat + verify_strict",
            ],
        ),
    ];
    println!("| group | benchmark | median | mean | median / raw |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for (group, baseline, ids) in groups {
        let base = common::estimate(&dir, group, baseline, since).map(|(median, _)| median);
        for id in ids {
            let Some((median, mean)) = common::estimate(&dir, group, id, since) else { continue };
            let ratio = base.map_or_else(|| "".to_owned(), |b| format!("{:.3}x", median / b));
            println!("| {group} | {id} | {} | {} | {ratio} |", human(median), human(mean));
        }
    }
}

/// Alternates short batches of `a` and `b` (in turn first, so that neither
/// always follows the other) and returns the median over rounds of the
/// per-round ratio time(a) / time(b), and the ratio of the fastest rounds.
/// On a shared machine the load changes over seconds, between two criterion
/// benchmarks; within one round both see the same load.
fn interleaved_ratio(mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, f64) {
    const ROUNDS: usize = 301;
    const BATCH: u32 = 50;
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..BATCH {
            f();
        }
        start.elapsed().as_secs_f64()
    };
    let mut ratios = Vec::with_capacity(ROUNDS);
    let (mut best_a, mut best_b) = (f64::MAX, f64::MAX);
    for round in 0..ROUNDS {
        let (ta, tb) = if round % 2 == 0 {
            let ta = time(&mut a);
            (ta, time(&mut b))
        } else {
            let tb = time(&mut b);
            (time(&mut a), tb)
        };
        ratios.push(ta / tb);
        best_a = best_a.min(ta);
        best_b = best_b.min(tb);
    }
    ratios.sort_by(f64::total_cmp);
    (ratios[ROUNDS / 2], best_a / best_b)
}

fn interleaved(fx: &Fixture) {
    let sms = fx.token.to_text();
    let message = fx.signed_message();
    let signature = fx.signature();
    let public = fx.public_key();
    let key = fx.signing_key();
    let (verify_median, verify_best) = interleaved_ratio(
        || {
            let unverified = UnverifiedPermit::from_text(black_box(&sms)).expect("fixture token parses");
            black_box(fx.trust.verify(&unverified).expect("fixture token verifies"));
        },
        || public.verify_strict(black_box(&message), black_box(&signature)).expect("fixture signature verifies"),
    );
    // A/A control: the same raw call on both sides shows how far apart two
    // identical workloads come out on this machine.
    let (control_median, control_best) = interleaved_ratio(
        || public.verify_strict(black_box(&message), black_box(&signature)).expect("fixture signature verifies"),
        || public.verify_strict(black_box(&message), black_box(&signature)).expect("fixture signature verifies"),
    );
    let (sign_median, sign_best) = interleaved_ratio(
        || {
            black_box(issue(&fx.issuer, KeyId(1), black_box(&fx.claims)).to_text());
        },
        || {
            black_box(key.sign(black_box(&message)));
        },
    );
    println!("\nInterleaved A/B check (301 rounds of 50 calls each, alternating):");
    println!("| ratio | median of per-round ratios | fastest round / fastest round |");
    println!("| --- | ---: | ---: |");
    println!("| {ICAZE_VERIFY} / {RAW_VERIFY} | {verify_median:.3}x | {verify_best:.3}x |");
    println!("| {RAW_VERIFY} / {RAW_VERIFY} (A/A control) | {control_median:.3}x | {control_best:.3}x |");
    println!("| {ICAZE_SIGN} / {RAW_SIGN} | {sign_median:.3}x | {sign_best:.3}x |");
}

fn human(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() {
    let started = SystemTime::now();
    let fx = Fixture::new();
    let mut c = common::criterion();
    verify(&mut c, &fx);
    sign(&mut c, &fx);
    parts(&mut c, &fx);
    c.final_summary();
    // Under `cargo test --benches` each benchmark ran once and measured nothing.
    if std::env::args().any(|a| a == "--bench") {
        ratio_table(started);
        interleaved(&fx);
    }
}
