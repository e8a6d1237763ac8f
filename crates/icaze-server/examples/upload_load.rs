//! A hundred devices uploading at once over HTTP: the real `icaze serve`
//! service (`Server::start`, in this process, on a loopback port), `DEVICES`
//! devices (default 100) each sending `BATCHES` signed batches (default 5) of
//! `BATCH` records (default 500) concurrently, then each replaying its first
//! batch. Prints throughput, batch latency percentiles and this process's
//! memory, and checks that the server holds every record exactly once.
//!
//! ```text
//! cargo run --release -p icaze-server --example upload_load
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use icaze_core::{SecretKey, UtcMinute};
use icaze_protocol::{EnrollmentCode, UploadBatch};
use icaze_server::{FixedClock, ServeConfig, Server};
use serde_json::{json, Value};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `VmRSS` and `VmHWM` (peak) of this process, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (devices, batches, batch) = (env("DEVICES", 100), env("BATCHES", 5), env("BATCH", 500));
    let dir = tempfile::tempdir()?;
    let now = UtcMinute::parse_rfc3339("2020-12-15T10:00:00+04:00")?;
    let mut config = ServeConfig::new(dir.path().join("data"));
    config.listen = "127.0.0.1:0".parse()?;
    config.clock = Arc::new(FixedClock::new(now));
    // The load generator measures the service, not its per-device rate limit.
    config.sync_limits = icaze_server::sync::SyncLimits::unlimited_rates();
    let server = Server::start(config).await?;
    let base = format!("http://{}", server.addr());
    let admin = std::fs::read_to_string(dir.path().join("data/admin-token"))?.trim().to_owned();
    let client = reqwest::Client::new();

    let mut uploads = Vec::with_capacity(devices);
    for d in 0..devices {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&(d as u64 + 1).to_le_bytes());
        let key = SecretKey::from_seed(&seed);
        let code = EnrollmentCode::of(&key.public_key()).to_string();
        let body = json!({"code": code, "badge": format!("B-{d}"), "precinct": format!("P-{}", d % 10)});
        let answer =
            client.post(format!("{base}/v1/devices")).bearer_auth(&admin).body(body.to_string()).send().await?;
        assert!(answer.status().is_success(), "approval: {}", answer.text().await?);
        let records = icaze_protocol::samples::sample_log(d as u8, &format!("B-{d}"), (batches * batch) as u64, now);
        let signed = records.chunks(batch).map(|c| UploadBatch::sign(&key, now, c)).collect::<Result<Vec<_>, _>>()?;
        uploads.push(signed);
    }
    let (rss_before, _) = memory();

    let started = Instant::now();
    let tasks: Vec<_> = uploads
        .into_iter()
        .map(|signed| {
            let (client, url) = (client.clone(), format!("{base}/v1/upload"));
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(signed.len() + 1);
                let mut accepted = 0u64;
                // Every batch in order, then the first one again: a replay stores nothing.
                for (i, bytes) in signed.iter().chain(signed.first()).enumerate() {
                    let t = Instant::now();
                    let answer = client.post(&url).body(bytes.clone()).send().await.map_err(|e| e.to_string())?;
                    let status = answer.status();
                    let bytes = answer.bytes().await.map_err(|e| e.to_string())?;
                    let body: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
                    latencies.push(t.elapsed());
                    if !status.is_success() {
                        return Err(format!("upload {i}: {status} {body}"));
                    }
                    let n = body["accepted"].as_u64().unwrap_or(0);
                    if i == signed.len() && n != 0 {
                        return Err(format!("a replayed batch stored {n} records"));
                    }
                    accepted += n;
                }
                Ok::<_, String>((accepted, latencies))
            })
        })
        .collect();
    let mut accepted = 0;
    let mut latencies = Vec::new();
    for task in tasks {
        let (n, l) = task.await??;
        accepted += n;
        latencies.extend(l);
    }
    let seconds = started.elapsed().as_secs_f64();
    let (rss_after, peak) = memory();
    latencies.sort();

    let listing = client.get(format!("{base}/v1/devices")).bearer_auth(&admin).send().await?.error_for_status()?;
    let listing: Value = serde_json::from_slice(&listing.bytes().await?)?;
    let listed = listing["devices"].as_array().ok_or("no device list")?;
    let whole = listed.iter().filter(|d| d["high_water"].as_u64() == Some((batches * batch) as u64)).count();
    assert_eq!(accepted, (devices * batches * batch) as u64, "every record stored once");
    assert_eq!(whole, devices, "every device's log held whole, no gap");

    println!(
        "{devices} devices × {batches} batches × {batch} records, then one replay each, over HTTP: {seconds:.2} s, \
         {:.0} records/s stored",
        accepted as f64 / seconds
    );
    println!(
        "batch latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} requests)",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        latencies.len()
    );
    println!("memory (this process: server and clients): {rss_before:.0} MiB before, {rss_after:.0} MiB after, peak {peak:.0} MiB");
    server.stop().await;
    Ok(())
}
