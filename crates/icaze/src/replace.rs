//! `icaze registry people --replace FILE`: the whole population registry
//! replaced from a file, streamed, with its progress on standard error (a bar
//! on a terminal, a line every tenth of the file otherwise). It is kept as a
//! job in the store, as a feed's `PUT /v1/registries/people` is, by the agency
//! [`LOCAL_AGENCY`]: its record read at `/v1/registries/people/replacements/{id}`,
//! and a job a dead instance left running marked interrupted when it starts.

use std::io::{BufReader, IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use icaze_server::database::PermitBackend;
use icaze_server::replace::{JobStart, ReplaceLimits, ReplaceProgress, ReplaceReport};
use icaze_server::SystemClock;

/// The agency a replacement from the server's own disk is recorded under
/// (a feed's agency names are its credential's).
pub(crate) const LOCAL_AGENCY: &str = "local";

/// Width of the progress bar, in characters.
const BAR_WIDTH: usize = 30;

/// Replaces the registry of `store` with `file`; the documents removed go to
/// `removed` if given. Exit code 0 replaced cleanly, 1 replaced with bad rows
/// skipped, 2 refused.
pub(crate) fn people(
    store: &PermitBackend,
    file: &Path,
    force: bool,
    removed: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let opened = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
    let total = opened.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = std::io::stderr().is_terminal();
    let mut shown = None;
    let mut show = |p: ReplaceProgress| {
        if let ReplaceProgress::Started { job } = p {
            eprintln!("replacement job {job}");
            return;
        }
        let line = progress_line(p, total, BAR_WIDTH);
        if bar {
            eprint!("\r{line}");
            let _ = std::io::stderr().flush();
        } else {
            // A line when the tenth of the file or the step changes.
            let step = match p {
                ReplaceProgress::Loading { bytes, .. } => bytes.saturating_mul(10) / total.max(1),
                ReplaceProgress::Comparing { .. } => 11,
                _ => 12,
            };
            if shown != Some(step) {
                shown = Some(step);
                eprintln!("{line}");
            }
        }
    };
    let limits = ReplaceLimits { force, ..ReplaceLimits::default() };
    let job = JobStart { agency: LOCAL_AGENCY, forced: force, clock: &SystemClock };
    let report = store.replace_people_job(BufReader::with_capacity(1 << 16, opened), &job, limits, &mut show);
    if bar {
        eprintln!();
    }
    let report = report.with_context(|| format!("replacing the population registry with {}", file.display()))?;
    if let Some(path) = removed {
        let text: String = report.removed.iter().map(|d| format!("{d}\n")).collect();
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    print!("{}", report_text(&report));
    Ok(match (&report.refused, report.problem_count) {
        (Some(_), _) => ExitCode::from(2),
        (None, 0) => ExitCode::SUCCESS,
        (None, _) => ExitCode::from(1),
    })
}

/// One line of progress: `loading   [######--------]  45% 4500000 lines`.
fn progress_line(progress: ReplaceProgress, total: u64, width: usize) -> String {
    let (step, done, count) = match progress {
        ReplaceProgress::Loading { lines, bytes } => ("loading", bytes.min(total), format!("{lines} lines")),
        ReplaceProgress::Comparing { loaded } => ("comparing", total, format!("{loaded} people")),
        _ => ("swapped", total, String::new()),
    };
    let fraction = if total == 0 { 1.0 } else { done as f64 / total as f64 };
    let filled = ((fraction * width as f64).floor() as usize).min(width);
    let line = format!(
        "{step:<9} [{}{}] {:>3}% {count}",
        "#".repeat(filled),
        "-".repeat(width - filled),
        (fraction * 100.0).floor() as u64
    );
    line.trim_end().to_owned()
}

/// The report for people: the problems by line, then the outcome.
fn report_text(report: &ReplaceReport) -> String {
    let mut text = String::new();
    for p in &report.problems {
        text.push_str(&format!("line {}: {}\n", p.line, p.message));
    }
    if report.problem_count > report.problems.len() {
        text.push_str(&format!("... and {} more bad rows\n", report.problem_count - report.problems.len()));
    }
    match &report.refused {
        Some(why) => text.push_str(&format!(
            "population registry not replaced: {why} ({} people read, {} bad rows, {} registered)\n",
            report.loaded, report.problem_count, report.registered
        )),
        None => text.push_str(&format!(
            "population registry replaced: {} people (was {}), {} removed, {} bad rows skipped\n",
            report.loaded,
            report.registered,
            report.removed.len(),
            report.problem_count
        )),
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use icaze_server::replace::ReplaceRefusal;
    use icaze_server::store::RowProblem;

    #[test]
    fn progress_fills_with_the_bytes_read() {
        let loading = |bytes| ReplaceProgress::Loading { lines: 45, bytes };
        assert_eq!(progress_line(loading(0), 100, 10), "loading   [----------]   0% 45 lines");
        assert_eq!(progress_line(loading(45), 100, 10), "loading   [####------]  45% 45 lines");
        // More read than the file's size at the start (it grew) never overflows the bar.
        assert_eq!(progress_line(loading(120), 100, 4), "loading   [####] 100% 45 lines");
        assert_eq!(progress_line(ReplaceProgress::Comparing { loaded: 7 }, 0, 4), "comparing [####] 100% 7 people");
        assert_eq!(progress_line(ReplaceProgress::Swapped, 10, 4), "swapped   [####] 100%");
    }

    #[test]
    fn the_report_says_whether_it_replaced_and_lists_the_bad_rows() {
        let mut report = ReplaceReport {
            loaded: 98,
            problems: vec![RowProblem { line: 3, message: "zone".into() }],
            problem_count: 2,
            registered: 100,
            removed: vec!["AZE11111111".into()],
            refused: None,
        };
        assert_eq!(
            report_text(&report),
            "line 3: zone\n... and 1 more bad rows\npopulation registry replaced: 98 people (was 100), 1 removed, 2 bad rows skipped\n"
        );
        report.refused = Some(ReplaceRefusal::TooManyProblems { problems: 2, rows: 100 });
        report.removed.clear();
        assert!(report_text(&report).contains("not replaced: 2 of 100 rows are bad"), "{}", report_text(&report));
    }
}
