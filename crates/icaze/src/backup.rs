//! `icaze backup` and `icaze restore`: the embedded databases of a data
//! directory copied while the service runs, and copied back
//! (`icaze_sqlite::backup`; docs/operations.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use icaze_server::sqlite::backup;

#[derive(Args)]
pub(crate) struct BackupArgs {
    /// The service's data directory (the service may be running).
    #[arg(long)]
    data: PathBuf,
    /// A new (or empty) directory for the copy.
    #[arg(long)]
    to: PathBuf,
}

#[derive(Args)]
pub(crate) struct RestoreArgs {
    /// A directory made by `icaze backup`.
    #[arg(long)]
    from: PathBuf,
    /// The data directory to restore into: new, or without databases. Stop the service first.
    #[arg(long)]
    data: PathBuf,
    /// Serials to skip, so that none that the lost service issued after the backup is issued again.
    #[arg(long, default_value_t = backup::DEFAULT_SERIAL_GAP)]
    serial_gap: u32,
}

pub(crate) fn run_backup(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let files = backup::backup(&args.data, &args.to)
        .with_context(|| format!("backing up {} to {}", args.data.display(), args.to.display()))?;
    for file in &files {
        println!("{:>12} bytes  {}", file.bytes, file.name);
    }
    println!("backed up {} files to {}", files.len(), args.to.display());
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn run_restore(args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let restored = backup::restore(&args.from, &args.data, args.serial_gap)
        .with_context(|| format!("restoring {} into {}", args.from.display(), args.data.display()))?;
    for file in &restored.files {
        println!("{:>12} bytes  {}", file.bytes, file.name);
    }
    println!(
        "restored {} files into {}; the next serial is {}",
        restored.files.len(),
        args.data.display(),
        restored.next_serial
    );
    Ok(ExitCode::SUCCESS)
}
