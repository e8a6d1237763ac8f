//! A full replacement of the population registry (issue 23): the file is the
//! whole registry, read as a stream (never held whole in memory), loaded beside
//! the registry in use, and swapped in at once, so the SMS service answers from
//! the old registry until the swap and from the new one after it, never from
//! an empty or half-loaded one. The documents no longer registered are
//! reported (their permits are the caller's to revoke).
//!
//! What is shared by the backends lives here: reading the file a line at a
//! time ([`load_people`]: each bad row reported with its line and skipped, the
//! report capped at [`MAX_PROBLEMS_REPORTED`]), the progress, the report, and
//! the guard against a truncated or foreign file ([`ReplaceLimits`]). A
//! backend brings the staging table, the comparison and the swap.
//!
//! Not checked: that the file is the newest registry (an older file, whole and
//! clean, replaces a newer one), and what a document's permits become once it
//! is removed (the report names the documents; the caller revokes).

use std::io::BufRead;

mod job;

pub use self::job::{JobEnd, JobId, JobStart, JobState, ReplacementJob};

use crate::csv::{is_people_header, people_header_problem, person_line, PersonRow};
use crate::store::{RowProblem, StoreError};

/// The most problems a report lists; the rest are only counted
/// ([`ReplaceReport::problem_count`]).
pub const MAX_PROBLEMS_REPORTED: usize = 1_000;

/// Rows a backend loads into its staging table at a time; progress is told
/// after each batch.
pub const BATCH_ROWS: usize = 10_000;

/// The longest line read, in bytes: a longer one is a problem of its line
/// (and is skipped without being held), not a reason to hold a file with no
/// line ends in memory.
pub const MAX_LINE_BYTES: usize = 4_096;

/// When a replacement is refused (a guard against a truncated, foreign or
/// damaged file).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplaceLimits {
    /// The largest share of the file's rows that may be bad (0.01: 1 %).
    pub max_bad_share: f64,
    /// The largest share of the registry in use that may leave it (0.05: 5 %).
    pub max_removed_share: f64,
    /// Replace even past both shares (a file with a wrong header is refused
    /// all the same: it is not a population registry).
    pub force: bool,
}

impl Default for ReplaceLimits {
    fn default() -> Self {
        Self { max_bad_share: 0.01, max_removed_share: 0.05, force: false }
    }
}

impl ReplaceLimits {
    /// Why the replacement of a registry of `registered` people, by a file
    /// read as `report` says, that would remove `removed` of them, is refused;
    /// `None` if it may go on.
    pub fn refusal(&self, report: &ReplaceReport, removed: usize, registered: usize) -> Option<ReplaceRefusal> {
        if report.problems.first().is_some_and(|p| p.line == 1) && report.loaded == 0 {
            return Some(ReplaceRefusal::NotARegistry);
        }
        if self.force {
            return None;
        }
        let rows = report.loaded + report.problem_count;
        if report.problem_count as f64 > self.max_bad_share * rows as f64 {
            return Some(ReplaceRefusal::TooManyProblems { problems: report.problem_count, rows });
        }
        if removed as f64 > self.max_removed_share * registered as f64 {
            return Some(ReplaceRefusal::TooManyRemoved { removed, registered });
        }
        None
    }
}

/// How far a replacement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplaceProgress {
    /// A replacement kept as a job (the backends' `replace_people_job`) has
    /// its record, and holds the lock: told once, before anything is read.
    Started {
        /// The record's number.
        job: JobId,
    },
    /// Reading the file into the staging table: lines and bytes read so far.
    Loading {
        /// Lines read (blank and bad ones included).
        lines: usize,
        /// Bytes read.
        bytes: u64,
    },
    /// The file is read; finding the documents it no longer holds.
    Comparing {
        /// Rows loaded.
        loaded: usize,
    },
    /// The new registry is the one in use.
    Swapped,
}

/// Why a replacement was refused; the registry in use is untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplaceRefusal {
    /// The first line is not the header `document,birth_date,zone` (or the
    /// file is empty): not a population registry, refused even when forced.
    NotARegistry,
    /// More rows are bad than [`ReplaceLimits::max_bad_share`] allows.
    TooManyProblems {
        /// Bad rows.
        problems: usize,
        /// Rows in the file (blank lines not counted).
        rows: usize,
    },
    /// More people would leave the registry than
    /// [`ReplaceLimits::max_removed_share`] allows (a truncated file?).
    TooManyRemoved {
        /// People not in the file.
        removed: usize,
        /// People in the registry in use.
        registered: usize,
    },
}

impl std::fmt::Display for ReplaceRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplaceRefusal::NotARegistry => {
                write!(f, "the file is not a population registry: its first line must be `document,birth_date,zone`")
            }
            ReplaceRefusal::TooManyProblems { problems, rows } => {
                write!(f, "{problems} of {rows} rows are bad: fix the file, or force the replacement")
            }
            ReplaceRefusal::TooManyRemoved { removed, registered } => write!(
                f,
                "{removed} of the {registered} people registered are not in the file (is it whole?): \
                 check it, or force the replacement"
            ),
        }
    }
}

/// What a replacement came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplaceReport {
    /// Rows read cleanly: the people of the new registry (if it replaced the old).
    pub loaded: usize,
    /// The first [`MAX_PROBLEMS_REPORTED`] bad rows found (within a batch of
    /// [`BATCH_ROWS`], a document on an earlier line is found after the rows
    /// that do not read), by line, each skipped.
    pub problems: Vec<RowProblem>,
    /// Every bad row, also those not listed.
    pub problem_count: usize,
    /// People in the registry before.
    pub registered: usize,
    /// The documents no longer in the registry, in order; empty if refused.
    /// Their permits are the caller's to revoke.
    pub removed: Vec<String>,
    /// Why nothing was replaced; `None` when the new registry is in use.
    pub refused: Option<ReplaceRefusal>,
}

impl ReplaceReport {
    fn problem(&mut self, line: usize, message: String) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS_REPORTED {
            self.problems.push(RowProblem { line, message });
        }
    }
}

/// What stopped a replacement midway; the registry in use is untouched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplaceError {
    /// The file could not be read (a broken upload, a disk error).
    #[error("reading the registry file: {0}")]
    Read(#[source] std::io::Error),
    /// Another replacement of the registry is running.
    #[error("another replacement of the population registry is running: wait for it to end")]
    Busy,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A row read cleanly, with its line.
pub type Numbered = (usize, PersonRow);

/// Reads the file a line at a time and hands its good rows to `stage`, a
/// batch of up to [`BATCH_ROWS`] at a time, which answers the lines (and
/// documents) of the rows it did not take because an earlier row of the file
/// holds their document; those are problems too. The report has `loaded` and
/// the problems; the caller fills in the rest.
pub fn load_people<R: BufRead>(
    mut reader: R,
    progress: &mut dyn FnMut(ReplaceProgress),
    mut stage: impl FnMut(Vec<Numbered>) -> Result<Vec<(usize, String)>, ReplaceError>,
) -> Result<ReplaceReport, ReplaceError> {
    let mut report = ReplaceReport::default();
    let mut buf = Vec::with_capacity(128);
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let (mut lines, mut bytes) = (0usize, 0u64);
    let mut flush = |batch: &mut Vec<Numbered>, report: &mut ReplaceReport| -> Result<(), ReplaceError> {
        let rows = batch.len();
        let duplicates = stage(std::mem::replace(batch, Vec::with_capacity(BATCH_ROWS)))?;
        report.loaded += rows - duplicates.len();
        for (line, document) in duplicates {
            report.problem(line, format!("the document {document} is on an earlier line too; this line is skipped"));
        }
        Ok(())
    };
    loop {
        buf.clear();
        let read = std::io::Read::take(reader.by_ref(), MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(ReplaceError::Read)?;
        if read == 0 {
            break;
        }
        lines += 1;
        bytes += read as u64;
        if buf.last() != Some(&b'\n') && read > MAX_LINE_BYTES {
            bytes += reader.skip_until(b'\n').map_err(ReplaceError::Read)? as u64;
            report.problem(lines, format!("the line is longer than {MAX_LINE_BYTES} bytes"));
            if lines == 1 {
                break;
            }
            continue;
        }
        let text = match std::str::from_utf8(&buf) {
            Ok(text) => text.trim_end_matches('\n').trim_end_matches('\r'),
            Err(_) => {
                report.problem(lines, "the line is not UTF-8 text".to_owned());
                if lines == 1 {
                    break;
                }
                continue;
            }
        };
        if lines == 1 {
            if !is_people_header(text) {
                report.problem(1, people_header_problem());
                break;
            }
            continue;
        }
        if text.trim().is_empty() {
            continue;
        }
        match person_line(text) {
            Ok(row) => batch.push((lines, row)),
            Err(message) => report.problem(lines, message),
        }
        if batch.len() == BATCH_ROWS {
            flush(&mut batch, &mut report)?;
            progress(ReplaceProgress::Loading { lines, bytes });
        }
    }
    if lines == 0 {
        report.problem(1, people_header_problem());
    }
    if !batch.is_empty() {
        flush(&mut batch, &mut report)?;
    }
    // A batch's duplicates are found after the bad rows read with it.
    report.problems.sort_by_key(|p| p.line);
    progress(ReplaceProgress::Loading { lines, bytes });
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads `csv` with a stage that keeps the first row of each document.
    fn load(csv: &[u8]) -> (ReplaceReport, Vec<Numbered>, Vec<ReplaceProgress>) {
        let mut staged: Vec<Numbered> = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut told = Vec::new();
        let report = load_people(csv, &mut |p| told.push(p), |batch| {
            let mut duplicates = Vec::new();
            for (line, row) in batch {
                if seen.insert(row.document.clone()) {
                    staged.push((line, row));
                } else {
                    duplicates.push((line, row.document));
                }
            }
            Ok(duplicates)
        })
        .expect("read");
        (report, staged, told)
    }

    #[test]
    fn rows_are_read_with_their_lines_and_bad_ones_skipped() {
        let csv = b"Document,Birth_date,Zone\r\nAZE11111111,1980-05-17,1\r\n\nAZE22222222,1980-02-30,1\nAZE33333333,1\n\xff\xfe,1,1\nAZE11111111,1990-01-01,2\nAZE44444444,1990-04-04,7";
        let (report, staged, told) = load(csv);
        assert_eq!(report.loaded, 2);
        assert_eq!(
            staged.iter().map(|(l, r)| (*l, r.document.as_str())).collect::<Vec<_>>(),
            [(2, "AZE11111111"), (8, "AZE44444444")]
        );
        assert_eq!(report.problems.iter().map(|p| p.line).collect::<Vec<_>>(), [4, 5, 6, 7]);
        assert!(report.problems[3].message.contains("earlier line"), "{:?}", report.problems[3]);
        assert_eq!(report.problem_count, 4);
        assert_eq!(told.last(), Some(&ReplaceProgress::Loading { lines: 8, bytes: csv.len() as u64 }));
    }

    #[test]
    fn a_wrong_header_or_an_empty_file_is_no_registry_even_forced() {
        let forced = ReplaceLimits { force: true, ..ReplaceLimits::default() };
        for csv in [&b"document,phone\nAZE11111111,994501112233\n"[..], b"", b"\xff\n"] {
            let (report, staged, _) = load(csv);
            assert!(staged.is_empty());
            assert_eq!(report.problems.iter().map(|p| p.line).collect::<Vec<_>>(), [1]);
            assert_eq!(forced.refusal(&report, 0, 0), Some(ReplaceRefusal::NotARegistry));
        }
    }

    #[test]
    fn a_long_line_is_a_problem_and_is_not_held() {
        let mut csv = b"document,birth_date,zone\n".to_vec();
        csv.extend(std::iter::repeat_n(b'A', 3 * MAX_LINE_BYTES));
        csv.extend(b"\nAZE11111111,1980-05-17,1\n");
        let (report, staged, _) = load(&csv);
        assert_eq!(staged.len(), 1);
        assert_eq!(staged[0].0, 3);
        assert_eq!(report.problems.iter().map(|p| p.line).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn the_problems_listed_are_capped_and_all_counted() {
        let mut csv = String::from("document,birth_date,zone\n");
        for _ in 0..MAX_PROBLEMS_REPORTED + 5 {
            csv.push_str("nonsense\n");
        }
        let (report, _, _) = load(csv.as_bytes());
        assert_eq!(report.problems.len(), MAX_PROBLEMS_REPORTED);
        assert_eq!(report.problem_count, MAX_PROBLEMS_REPORTED + 5);
    }

    #[test]
    fn the_guard_refuses_past_its_shares_unless_forced() {
        let limits = ReplaceLimits::default();
        let report = |loaded, problem_count| ReplaceReport { loaded, problem_count, ..ReplaceReport::default() };
        assert_eq!(limits.refusal(&report(99, 1), 5, 100), None);
        assert_eq!(
            limits.refusal(&report(98, 2), 0, 100),
            Some(ReplaceRefusal::TooManyProblems { problems: 2, rows: 100 })
        );
        assert_eq!(
            limits.refusal(&report(100, 0), 6, 100),
            Some(ReplaceRefusal::TooManyRemoved { removed: 6, registered: 100 })
        );
        // A first registry removes no one.
        assert_eq!(limits.refusal(&report(100, 0), 0, 0), None);
        let forced = ReplaceLimits { force: true, ..limits };
        assert_eq!(forced.refusal(&report(50, 50), 90, 100), None);
    }
}
