//! A replacement's record, kept by the store beside the registry so that any
//! instance answers how a replacement went (issue 23): the upload is answered
//! once staged, and the comparison and the swap go on after the request.
//!
//! The record is written by the runner: started once it holds the
//! replacement lock, its progress after each batch, and its end — `swapped`
//! in the swap's own transaction, so a record never says swapped of a
//! registry that was not, nor loading of one that was. A record still
//! loading or comparing whose runner no longer holds the lock (its process
//! died, its connection was cut) reads [`JobState::Interrupted`]; the
//! registry in use was untouched, since the swap is one transaction.
//!
//! Not kept: the documents removed (the report's list; the queue of
//! documents to revoke holds them), and problems past
//! [`crate::replace::MAX_PROBLEMS_REPORTED`] (only counted).

use icaze_core::UtcMinute;

use super::ReplaceReport;
use crate::clock::Clock;
use crate::store::RowProblem;

/// A replacement's number, given by the store; the newest has the highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub i64);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a replacement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobState {
    /// Reading the file into the staging table.
    Loading,
    /// The file is read; comparing with the registry in use, then swapping.
    Comparing,
    /// The new registry is in use.
    Swapped,
    /// The guard refused the file; the registry in use is untouched.
    Refused,
    /// Stopped by an error (a broken upload, the store); untouched.
    Failed,
    /// Its runner is gone (a crash, a restart) before it ended; untouched.
    Interrupted,
}

impl JobState {
    /// The name it is stored and answered by.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Loading => "loading",
            JobState::Comparing => "comparing",
            JobState::Swapped => "swapped",
            JobState::Refused => "refused",
            JobState::Failed => "failed",
            JobState::Interrupted => "interrupted",
        }
    }

    /// The state named `name`; `None` for any other text.
    pub fn parse(name: &str) -> Option<Self> {
        [
            JobState::Loading,
            JobState::Comparing,
            JobState::Swapped,
            JobState::Refused,
            JobState::Failed,
            JobState::Interrupted,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// Whether it has not ended (loading or comparing).
    pub fn running(self) -> bool {
        matches!(self, JobState::Loading | JobState::Comparing)
    }
}

/// Who starts a replacement kept as a job, and the clock its start and end
/// are read from.
#[derive(Clone, Copy)]
pub struct JobStart<'a> {
    /// The agency whose feed sent the file.
    pub agency: &'a str,
    /// The guard's shares were passed over (`ReplaceLimits::force`).
    pub forced: bool,
    /// The service's clock.
    pub clock: &'a dyn Clock,
}

/// A replacement's record as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacementJob {
    /// Its number.
    pub id: JobId,
    /// The agency whose feed sent the file.
    pub agency: String,
    /// The guard's shares were passed over.
    pub forced: bool,
    /// When it started.
    pub started_at: UtcMinute,
    /// Where it is.
    pub state: JobState,
    /// Lines of the file read (after each batch while loading).
    pub lines: u64,
    /// Bytes of the file read (after each batch while loading).
    pub bytes: u64,
    /// Rows read cleanly (known once comparing).
    pub loaded: u64,
    /// People in the registry before (known once ended).
    pub registered: u64,
    /// Documents no longer registered (0 unless swapped).
    pub removed: u64,
    /// Every bad row (known once ended).
    pub problem_count: u64,
    /// The first bad rows, by line.
    pub problems: Vec<RowProblem>,
    /// Why it was refused or failed.
    pub reason: Option<String>,
    /// When it ended; `None` while it runs (and for one interrupted).
    pub ended_at: Option<UtcMinute>,
}

/// What a job's record says at its end, from the replacement's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEnd<'a> {
    /// `Swapped`, `Refused` or `Failed`.
    pub state: JobState,
    /// The report (of a failed one, what was known: it may be empty).
    pub report: &'a ReplaceReport,
    /// Why it was refused or failed.
    pub reason: Option<String>,
    /// Now.
    pub at: UtcMinute,
}

impl<'a> JobEnd<'a> {
    /// The end of a replacement that reported `report`: swapped, or refused
    /// with the guard's reason.
    pub fn of(report: &'a ReplaceReport, at: UtcMinute) -> Self {
        match &report.refused {
            None => JobEnd { state: JobState::Swapped, report, reason: None, at },
            Some(why) => JobEnd { state: JobState::Refused, report, reason: Some(why.to_string()), at },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_by_its_name_and_only_two_run() {
        for state in [
            JobState::Loading,
            JobState::Comparing,
            JobState::Swapped,
            JobState::Refused,
            JobState::Failed,
            JobState::Interrupted,
        ] {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
            assert_eq!(state.running(), matches!(state, JobState::Loading | JobState::Comparing));
        }
        assert_eq!(JobState::parse("idle"), None);
    }

    #[test]
    fn a_refused_report_ends_refused_with_the_guard_s_reason() {
        let at = UtcMinute::from_unix_minutes(1);
        let refused = ReplaceReport { refused: Some(super::super::ReplaceRefusal::NotARegistry), ..Default::default() };
        let end = JobEnd::of(&refused, at);
        assert_eq!(end.state, JobState::Refused);
        assert!(end.reason.as_deref().is_some_and(|r| r.contains("not a population registry")), "{end:?}");
        assert_eq!(JobEnd::of(&ReplaceReport::default(), at).state, JobState::Swapped);
    }
}
