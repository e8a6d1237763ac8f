//! How long the sync service takes to build, and how big it makes, the
//! bundles of a country-sized revocation list: `TOTAL` serials revoked
//! (default 10,000,000, drawn from 0..10^9), then `DELTA` more (default
//! 100,000), through `SyncService::revoke` and `SyncService::bundle` on a
//! fresh `sync.db`, without HTTP.
//!
//! ```text
//! cargo run --release -p icaze-server --example bundle_build
//! ```

use std::sync::Arc;
use std::time::Instant;

use icaze_core::UtcMinute;
use icaze_server::sync::bundle::BundleAnswer;
use icaze_server::sync::{Caller, RevokeTarget, SyncService};

/// splitmix64: serials spread over the whole range, reproducibly.
fn serials(seed: u64, n: usize) -> Vec<u32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) % 1_000_000_000) as u32
        })
        .collect()
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn size(answer: &BundleAnswer) -> (usize, u64, Option<u64>) {
    match answer {
        BundleAnswer::Bundle(b) => (b.bytes.len(), b.version, b.base),
        BundleAnswer::Current { version } => (0, *version, None),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (total, delta) = (env("TOTAL", 10_000_000), env("DELTA", 100_000));
    let dir = tempfile::tempdir()?;
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00")?;
    icaze_authority::Authority::init(&dir.path().join("authority"), now, &Default::default())?;
    let permits =
        Arc::new(icaze_server::sqlite::SqlitePermitStore::open(&dir.path().join("icaze.db"), Default::default())?);
    let store = icaze_server::sync::sqlite::SqliteSyncStore::open(&dir.path().join("sync.db"), Default::default())?;
    let service = SyncService::new(
        Box::new(store),
        permits,
        Arc::new(icaze_server::keys::KeyRing::load(&dir.path().join("authority"))?),
        None,
        Arc::new(icaze_server::FixedClock::new(now)),
        "admin".into(),
    );

    let t = Instant::now();
    let (revoked, v1) = service.revoke(&Caller::Admin, RevokeTarget::Serials(serials(1, total)), "benchmark")?;
    println!("revoke {} serials in one call: {:.2} s (version {v1})", revoked.len(), t.elapsed().as_secs_f64());

    let t = Instant::now();
    let full = service.bundle(None)?;
    let (bytes, full_version, _) = size(&full);
    println!(
        "full bundle, {} revoked: built in {:.0} ms, {bytes} bytes ({:.2} bits a serial), version {version}",
        revoked.len(),
        t.elapsed().as_secs_f64() * 1e3,
        bytes as f64 * 8.0 / revoked.len() as f64,
        version = full_version
    );
    let t = Instant::now();
    let _ = service.bundle(None)?;
    println!("full bundle again (cache): {:.2} ms", t.elapsed().as_secs_f64() * 1e3);

    let t = Instant::now();
    let (added, v2) = service.revoke(&Caller::Admin, RevokeTarget::Serials(serials(2, delta)), "benchmark")?;
    println!("revoke {} more: {:.2} s (version {v2})", added.len(), t.elapsed().as_secs_f64());

    let t = Instant::now();
    let answer = service.bundle(Some(full_version))?;
    let (bytes, version, base) = size(&answer);
    println!(
        "delta of {} over {}: built in {:.0} ms, {bytes} bytes ({:.2} bits a serial), version {version} on {base:?}",
        added.len(),
        revoked.len(),
        t.elapsed().as_secs_f64() * 1e3,
        bytes as f64 * 8.0 / added.len().max(1) as f64
    );
    let t = Instant::now();
    let _ = service.bundle(Some(full_version))?;
    println!("the same delta again (cache): {:.2} ms", t.elapsed().as_secs_f64() * 1e3);
    let t = Instant::now();
    let _ = service.bundle(Some(v2))?;
    println!("a device that is current (version {v2}): {:.2} ms", t.elapsed().as_secs_f64() * 1e3);
    Ok(())
}
