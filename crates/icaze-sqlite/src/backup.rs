//! Backup and restore of a data directory's databases, with the service
//! running (`icaze backup`, `icaze restore`).
//!
//! A backup is a directory with a consistent copy of each database
//! (`VACUUM INTO`: a snapshot read in one transaction, so the writers go on
//! while it is taken) and the service's token files. Each copy is checked
//! (`PRAGMA integrity_check`) before it gets its name, so a copy that bears
//! a database's name is whole.
//!
//! Invariant: the permits database (`icaze.db`) is copied last. It holds
//! the serial counter, and the other databases hold serials taken from it
//! (the portal's permits, the sync store's revocations); copied last, its
//! counter is past every serial the other copies name.
//!
//! Invariant: a restore never hands out a serial again. Permits issued
//! after the backup are in citizens' hands but not in the copy; a restore
//! moves the counter on by a gap larger than the permits a service issues
//! between two backups, so none of their serials is given to another
//! permit (a revocation by serial would revoke both).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::engine::Error;

/// The permits database: copied last, its serial counter moved on at restore.
pub const PERMITS_FILE: &str = "icaze.db";

/// Databases a backup leaves out: the sync store's time index is rebuilt
/// from `sync.db` when it is missing.
const REBUILT: &[&str] = &["sync-index.db"];

/// Files beside the databases that a backup carries: the tokens of the
/// administrator and of the metrics scraper.
const TOKENS: &[&str] = &["admin-token", "metrics-token"];

/// The serials a restore skips by default: more than a morning's surge of
/// SMS permits (a million an hour) for ten hours.
pub const DEFAULT_SERIAL_GAP: u32 = 10_000_000;

/// One file of a backup or a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The file's name in the data directory.
    pub name: String,
    /// Its length in the copy.
    pub bytes: u64,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The files copied into the data directory.
    pub files: Vec<Copied>,
    /// The first serial the restored service hands out.
    pub next_serial: u32,
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::File(format!("{}: {e}", path.display()))
}

/// The databases in `dir` to copy, the permits database last.
fn databases(dir: &Path) -> Result<Vec<String>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| file_error(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| file_error(dir, e))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
        if name.ends_with(".db") && !REBUILT.contains(&name.as_str()) && entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort_by_key(|name| (name == PERMITS_FILE, name.clone()));
    Ok(names)
}

/// A new directory of the owner's only, or an empty one.
fn empty_dir(dir: &Path) -> Result<(), Error> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| file_error(dir, e))?;
        if entries.next().is_some() {
            return Err(Error::File(format!("{}: not empty; a backup goes to a new directory", dir.display())));
        }
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| file_error(dir, e))
}

/// An empty file of the owner's only, for a copy to fill.
fn new_private_file(path: &Path) -> Result<(), Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(|e| file_error(path, e))
}

fn check_whole(path: &Path) -> Result<(), Error> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(Error::Damaged(format!("{}: the copy fails its integrity check: {verdict}", path.display())));
    }
    Ok(())
}

fn sync_file(path: &Path) -> Result<(), Error> {
    std::fs::File::open(path).and_then(|f| f.sync_all()).map_err(|e| file_error(path, e))
}

/// Copies the database `from` into `to` (which must not exist) as one
/// snapshot, checks the copy, then gives it its name.
fn copy_database(from: &Path, to: &Path) -> Result<u64, Error> {
    let mut partial = to.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    new_private_file(&partial)?;
    let copied = (|| {
        let conn = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let target = partial.to_str().ok_or_else(|| Error::File(format!("{}: not UTF-8", partial.display())))?;
        conn.execute("VACUUM INTO ?1", [target])?;
        drop(conn);
        check_whole(&partial)?;
        sync_file(&partial)?;
        std::fs::rename(&partial, to).map_err(|e| file_error(to, e))?;
        std::fs::metadata(to).map(|m| m.len()).map_err(|e| file_error(to, e))
    })();
    if copied.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    copied
}

fn copy_tokens(from: &Path, to: &Path, files: &mut Vec<Copied>) -> Result<(), Error> {
    for name in TOKENS {
        let source = from.join(name);
        if !source.is_file() {
            continue;
        }
        let target = to.join(name);
        new_private_file(&target)?;
        let bytes = std::fs::copy(&source, &target).map_err(|e| file_error(&target, e))?;
        sync_file(&target)?;
        files.push(Copied { name: (*name).to_owned(), bytes });
    }
    Ok(())
}

/// Copies the databases of the data directory `data` and its token files
/// into the new (or empty) directory `to`, with the service running.
pub fn backup(data: &Path, to: &Path) -> Result<Vec<Copied>, Error> {
    let names = databases(data)?;
    if !names.iter().any(|n| n == PERMITS_FILE) {
        return Err(Error::File(format!("{}: no {PERMITS_FILE}; is this a service's data directory?", data.display())));
    }
    empty_dir(to)?;
    let mut files = Vec::new();
    for name in names {
        let bytes = copy_database(&data.join(&name), &to.join(&name))?;
        files.push(Copied { name, bytes });
    }
    copy_tokens(data, to, &mut files)?;
    sync_file(to)?;
    Ok(files)
}

/// Copies a backup into the data directory `data` (new, or without any
/// database: a restore never overwrites a service's data) and moves the
/// serial counter on by `serial_gap`. The service must be stopped.
pub fn restore(from: &Path, data: &Path, serial_gap: u32) -> Result<Restored, Error> {
    let names = databases(from)?;
    if !names.iter().any(|n| n == PERMITS_FILE) {
        return Err(Error::File(format!("{}: no {PERMITS_FILE}; is this a backup?", from.display())));
    }
    if data.exists() && !databases(data)?.is_empty() {
        return Err(Error::File(format!(
            "{}: holds databases already; move them away (stop the service first) and restore into an empty directory",
            data.display()
        )));
    }
    std::fs::create_dir_all(data).map_err(|e| file_error(data, e))?;
    let mut files = Vec::new();
    for name in names {
        let bytes = copy_database(&from.join(&name), &data.join(&name))?;
        files.push(Copied { name, bytes });
    }
    copy_tokens(from, data, &mut files)?;
    let next_serial = skip_serials(&data.join(PERMITS_FILE), serial_gap)?;
    sync_file(data)?;
    Ok(Restored { files, next_serial })
}

/// Moves the permits database's serial counter on by `gap`; the first
/// serial it will hand out.
fn skip_serials(path: &Path, gap: u32) -> Result<u32, Error> {
    let mut conn = Connection::open(path)?;
    let tx = conn.transaction()?;
    let reserved: u32 = tx.query_row("SELECT reserved_until FROM serials WHERE id = 1", [], |r| r.get(0))?;
    let next = reserved
        .checked_add(gap)
        .ok_or_else(|| Error::Damaged(format!("the serial counter ({reserved}) cannot move on by {gap}")))?;
    tx.execute("UPDATE serials SET reserved_until = ?1 WHERE id = 1", [next])?;
    tx.commit()?;
    Ok(next)
}
