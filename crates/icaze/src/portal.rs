//! `icaze portal`: the employer portal from a terminal (`docs/portal-api.md`), for an
//! authorised person of an organisation.
//!
//! `icaze portal import --server URL --login L FILE.csv` logs in (the password comes from
//! the `ICAZE_PASSWORD` variable or, on a terminal, a prompt that does not echo), sends
//! the CSV as one bulk import, follows its progress with a bar on standard error (only
//! when standard error is a terminal), and prints the report: how many rows were
//! imported and every problem with its line in the file.
//!
//! Exit status: 0 every row imported; 1 the import left problems, failed, or the server
//! refused (its `code` and `message` are shown); 2 the command could not run (no
//! password, no connection, unreadable file).

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use clap::{Args, Subcommand};
use icaze_client::answers::portal::{ImportStarted, ImportStatus};
use icaze_client::api::{Body, Request, SetupError, Timeouts};
use icaze_client::portal::{LoginError, Portal, PortalSession};
use icaze_client::transport::{segment, Answer, ApiError};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// The largest CSV the server takes (docs/portal-api.md section 1): larger files are
/// refused here before they are sent.
const MAX_CSV: u64 = 16 << 20;
/// The most bytes of an answer read.
const MAX_ANSWER: usize = 16 << 20;
/// How often the import's progress is asked for.
const POLL: Duration = Duration::from_millis(250);
/// Width of the progress bar, in characters.
const BAR_WIDTH: usize = 30;

#[derive(Subcommand)]
pub(crate) enum PortalCommand {
    /// Import employees from a CSV file (header
    /// `document,name,position,zones,valid_from,valid_until,plate`) and print the report.
    Import(ImportArgs),
}

#[derive(Args)]
pub(crate) struct ImportArgs {
    /// The service's address.
    #[arg(long, default_value = "http://127.0.0.1:8103")]
    server: String,
    /// The authorised person's login (the password: ICAZE_PASSWORD, or a prompt).
    #[arg(long)]
    login: String,
    /// Print the final status as one JSON line instead of the report.
    #[arg(long)]
    json: bool,
    /// The CSV file, UTF-8.
    file: PathBuf,
}

pub(crate) fn run(command: PortalCommand) -> anyhow::Result<ExitCode> {
    match command {
        PortalCommand::Import(args) => import(&args),
    }
}

/// Shows a refusal by the server (JSON on standard output, a sentence on standard error).
fn refused(status: StatusCode, error: &ApiError, during: &str) -> ExitCode {
    let status = status.as_u16();
    println!("{}", json!({ "status": status, "code": error.code, "message": error.message }));
    eprintln!("icaze: the server refused {during} ({status} {}): {}", error.code, error.message);
    ExitCode::from(1)
}

fn import(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let timeouts = Timeouts { connect: Duration::from_secs(10), request: Duration::from_secs(300) };
    let portal = Portal::new(&args.server, timeouts, concat!("icaze-portal/", env!("CARGO_PKG_VERSION"))).map_err(
        |e| match e {
            SetupError::BadUrl { .. } => {
                anyhow!("--server {:?}: give it as http://HOST:PORT or https://HOST", args.server)
            }
            other => anyhow!("{other}"),
        },
    )?;
    let size = std::fs::metadata(&args.file).with_context(|| format!("reading {}", args.file.display()))?.len();
    if size > MAX_CSV {
        bail!("{} is {size} bytes, over the 16 MiB the portal takes: split it into several files", args.file.display());
    }
    let csv = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let password = password(&args.login)?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the async runtime")?;
    runtime.block_on(async {
        let session = match portal.login(&args.login, &password).await {
            Ok(session) => session,
            Err(LoginError::Refused { status, error }) => return Ok(refused(status, &error, "the login")),
            Err(other) => return Err(other.into()),
        };
        if session.must_change_password() {
            eprintln!(
                "icaze: a one-time password allows nothing but setting your own: do that on the portal (/portal/) first"
            );
        }
        let result = import_with(&session, csv, args.json).await;
        // Ending the session is a courtesy (it also expires by itself): a failure here
        // changes nothing about the import.
        let logout =
            Request { method: Method::POST, path: "portal/api/logout".into(), query: Vec::new(), body: Body::None };
        let _ = session.send(logout, MAX_ANSWER).await;
        result
    })
}

async fn import_with(session: &PortalSession, csv: Vec<u8>, as_json: bool) -> anyhow::Result<ExitCode> {
    let start =
        Request { method: Method::POST, path: "portal/api/imports".into(), query: Vec::new(), body: Body::Csv(csv) };
    let Answer { status, body } = session.send(start, MAX_ANSWER).await?;
    if status != StatusCode::ACCEPTED {
        return Ok(refused(status, &ApiError::from_answer(status, &body), "the import"));
    }
    let started: ImportStarted = serde_json::from_slice(&body).context("the server's answer is not an import's")?;
    let id = &started.id;
    let id = segment(id).with_context(|| format!("the server's answer has an import id that is not one: {id:?}"))?;
    let path = format!("portal/api/imports/{id}");
    let bar = std::io::stderr().is_terminal();
    let report = loop {
        let Answer { status, body } = session.send(Request::get(&path), MAX_ANSWER).await?;
        if status != StatusCode::OK {
            if bar {
                eprintln!();
            }
            return Ok(refused(status, &ApiError::from_answer(status, &body), "the progress query"));
        }
        let report: ImportStatus =
            serde_json::from_slice(&body).context("the server's answer is not an import's status")?;
        if bar {
            let (processed, total) = (report.processed.into(), report.total.into());
            eprint!("\r{}", progress_line(&report.state, processed, total, BAR_WIDTH));
            let _ = std::io::stderr().flush();
        }
        if matches!(report.state.as_str(), "done" | "failed") {
            if bar {
                eprintln!();
            }
            break report;
        }
        tokio::time::sleep(POLL).await;
    };
    if as_json {
        println!("{}", serde_json::to_string(&report).context("writing the report")?);
    } else {
        print!("{}", report_text(&report));
    }
    let done = report.state == "done";
    Ok(if done && report.problems_total == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The password: `ICAZE_PASSWORD`, or typed on the terminal without echo.
fn password(login: &str) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("ICAZE_PASSWORD") {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password: set ICAZE_PASSWORD, or run the command on a terminal to type it");
    }
    eprint!("password for {login}: ");
    let _ = std::io::stderr().flush();
    // The terminal's echo is turned off with stty, the one portable way without a
    // terminal library; if stty is missing the password is typed visibly, as `read` does.
    let hidden = std::process::Command::new("stty").arg("-echo").status().is_ok_and(|s| s.success());
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if hidden {
        let _ = std::process::Command::new("stty").arg("echo").status();
    }
    eprintln!();
    read.context("reading the password")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password typed");
    }
    Ok(password)
}

/// One line of progress: `checking [#######-------] 45% 45000/100000 rows`.
fn progress_line(state: &str, processed: u64, total: u64, width: usize) -> String {
    let processed = processed.min(total);
    // A finished import of zero rows shows a full bar, not an empty one.
    let fraction =
        if total == 0 { u64::from(matches!(state, "done" | "failed")) as f64 } else { processed as f64 / total as f64 };
    let filled = ((fraction * width as f64).floor() as usize).min(width);
    format!(
        "{state:<8} [{}{}] {:>3}% {processed}/{total} rows",
        "#".repeat(filled),
        "-".repeat(width - filled),
        (fraction * 100.0).floor() as u64
    )
}

/// The report for people: the outcome, then one line per problem.
fn report_text(report: &ImportStatus) -> String {
    let mut text = String::new();
    let (total, imported, problems_total) = (report.total, report.imported, u64::from(report.problems_total));
    if report.state == "failed" {
        text.push_str("import failed: nothing was imported\n");
    }
    text.push_str(&format!("imported: {imported} of {total} rows\n"));
    text.push_str(&format!("problems: {problems_total}\n"));
    let problems = &report.problems;
    for problem in problems {
        text.push_str(&format!("  line {}: {}\n", problem.line, problem.message));
    }
    if (problems.len() as u64) < problems_total {
        text.push_str(&format!(
            "  … and {} more (the server lists the first {})\n",
            problems_total - problems.len() as u64,
            problems.len()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line_fills_with_the_rows_processed() {
        assert_eq!(progress_line("checking", 0, 100, 10), "checking [----------]   0% 0/100 rows");
        assert_eq!(progress_line("issuing", 45, 100, 10), "issuing  [####------]  45% 45/100 rows");
        assert_eq!(progress_line("done", 100, 100, 10), "done     [##########] 100% 100/100 rows");
        // More processed than the total (a racing answer) never overflows the bar.
        assert_eq!(progress_line("issuing", 120, 100, 4), "issuing  [####] 100% 100/100 rows");
        assert_eq!(progress_line("done", 0, 0, 4), "done     [####] 100% 0/0 rows");
        assert_eq!(progress_line("checking", 0, 0, 4), "checking [----]   0% 0/0 rows");
    }

    #[test]
    fn report_lists_every_problem_with_its_line() {
        let status = |value: serde_json::Value| serde_json::from_value::<ImportStatus>(value).unwrap();
        let report = status(json!({"id": "i1", "state": "done", "total": 5, "processed": 5, "imported": 3,
            "problems_total": 2,
            "problems": [{"line": 3, "message": "unknown document"}, {"line": 6, "message": "repeats line 2"}]}));
        assert_eq!(
            report_text(&report),
            "imported: 3 of 5 rows\nproblems: 2\n  line 3: unknown document\n  line 6: repeats line 2\n"
        );
        let capped = status(json!({"id": "i2", "state": "failed", "total": 2000, "processed": 2000, "imported": 0,
            "problems_total": 1500, "problems": [{"line": 2, "message": "x"}]}));
        let text = report_text(&capped);
        assert!(text.starts_with("import failed: nothing was imported\nimported: 0 of 2000 rows\n"), "{text}");
        assert!(text.ends_with("  … and 1499 more (the server lists the first 1)\n"), "{text}");
    }
}
