//! What the examples that measure the PostgreSQL server's CPU share: the
//! server's processes, found in `/proc`, and the CPU they used between two
//! readings (each example reads its processes' CPU seconds its own way).

use std::collections::HashMap;

/// The CPU seconds the processes of `after` used since `before` (a process
/// started since counts whole).
pub fn cpu_since(before: &HashMap<u32, f64>, after: &HashMap<u32, f64>) -> f64 {
    after.iter().map(|(pid, t)| t - before.get(pid).copied().unwrap_or(0.0)).sum()
}

/// The pids of the cluster's server: its postmaster (the `postgres` whose
/// command line names `port`) and the processes it started (the backends).
pub fn server_pids(port: u16) -> Vec<u32> {
    let processes: Vec<(u32, String, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let parent = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, String::from_utf8_lossy(&cmdline).replace('\0', " "), parent))
        })
        .collect();
    let Some(&(postmaster, ..)) =
        processes.iter().find(|(_, cmd, _)| cmd.contains("postgres") && cmd.contains(&format!("port={port} ")))
    else {
        return Vec::new();
    };
    processes.iter().filter(|(pid, _, parent)| *pid == postmaster || *parent == postmaster).map(|p| p.0).collect()
}
