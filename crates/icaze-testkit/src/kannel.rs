//! The bearerbox and smsbox processes, their readiness, and the fakesmsc runs that carry
//! messages through them.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::config::{self, Ports};
use crate::fakesmsc::{self, Output, NUDGE};
use crate::KannelError;

/// The short code the citizens write to: every message goes to it, every reply comes
/// from it.
pub const SHORT_CODE: &str = "8103";

/// A Kannel program and where Debian installs it.
struct Program {
    name: &'static str,
    path: &'static str,
}

const BEARERBOX: Program = Program { name: "bearerbox", path: "/usr/sbin/bearerbox" };
const SMSBOX: Program = Program { name: "smsbox", path: "/usr/sbin/smsbox" };
const FAKESMSC: Program = Program { name: "fakesmsc", path: "/usr/lib/kannel/test/fakesmsc" };

/// How long bearerbox and smsbox get to become ready (they take well under a second).
const START_DEADLINE: Duration = Duration::from_secs(30);
/// How long one batch gets for all its replies.
const BATCH_DEADLINE: Duration = Duration::from_secs(30);
/// How often the status page is polled while starting, and how often fakesmsc is told
/// to read its connection while replies are outstanding.
const POLL: Duration = Duration::from_millis(10);
/// How often start-up is tried with fresh ports, when bearerbox exits because a port it
/// was given has been taken in the meantime.
const START_ATTEMPTS: usize = 5;

/// Whether bearerbox, smsbox and fakesmsc are installed where Debian puts them
/// (packages `kannel` and `kannel-extras`).
pub fn available() -> bool {
    missing_program().is_none()
}

fn missing_program() -> Option<&'static Program> {
    [&BEARERBOX, &SMSBOX, &FAKESMSC].into_iter().find(|program| !Path::new(program.path).is_file())
}

/// A real Kannel SMS gateway, bearerbox and smsbox, on loopback in front of an HTTP
/// application, with a fake SMSC that [`Kannel::send`] drives through fakesmsc.
///
/// Each instance has its own ports and its own temporary directory with the
/// configuration and logs. Dropping it kills and reaps both processes, then removes the
/// directory.
pub struct Kannel {
    // Invariant: at most one fakesmsc is connected at a time. The fake SMSC serves one
    // client and hands queued replies to whichever client connects next, so concurrent
    // batches would take each other's replies. Holding this lock while a batch runs
    // keeps them apart.
    boxes: Mutex<Boxes>,
    ports: Ports,
    // Declared last so that it is removed after the processes writing into it are dead.
    dir: TempDir,
}

/// The two running Kannel processes. Fields drop in declaration order: smsbox is killed
/// before bearerbox, so that it does not log a lost connection.
struct Boxes {
    smsbox: Process,
    bearerbox: Process,
}

impl Kannel {
    /// Starts bearerbox and smsbox on free loopback ports with a fake SMSC and an
    /// `sms-service` that calls `app_url` with the sender as `from` and the message as
    /// `text`, both URL-encoded (UTF-8, space as `+`), and waits until bearerbox reports
    /// smsbox connected and the fake SMSC listening.
    ///
    /// `app_url` is the application's endpoint without the query, such as
    /// `http://127.0.0.1:PORT/sms/8103`; it must be plain HTTP on loopback. If it already
    /// has a query, `from` and `text` are appended to it.
    ///
    /// # Errors
    /// [`KannelError::NotInstalled`] without the Debian packages,
    /// [`KannelError::InvalidAppUrl`] for a URL Kannel should not call, and otherwise
    /// errors that carry the last lines of Kannel's logs.
    pub fn start(app_url: &str) -> Result<Kannel, KannelError> {
        if let Some(program) = missing_program() {
            return Err(KannelError::NotInstalled { missing: program.path.into() });
        }
        let get_url = config::get_url(app_url)?;
        let mut attempt = 1;
        loop {
            match Kannel::start_once(&get_url) {
                // A port that was free when chosen may have been taken since, by another
                // test's Kannel or by an outgoing connection: bearerbox then panics or
                // logs a failed bind. Fresh ports are worth another try.
                Err(KannelError::Exited { .. } | KannelError::PortInUse { .. }) if attempt < START_ATTEMPTS => {
                    attempt += 1
                }
                result => return result,
            }
        }
    }

    fn start_once(get_url: &str) -> Result<Kannel, KannelError> {
        let dir = tempfile::Builder::new()
            .prefix("icaze-kannel-")
            .tempdir()
            .map_err(KannelError::io("create a temporary directory for Kannel"))?;
        let path = dir.path();
        if path.to_str().is_none_or(|p| p.contains(['"', '\n', '\r'])) {
            return Err(KannelError::Io {
                action: format!("use {} in a Kannel configuration", path.display()),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the path is not UTF-8 or has a quote or line break; set TMPDIR to a plain path",
                ),
            });
        }
        let ports = Ports::pick().map_err(KannelError::io("choose free loopback ports"))?;
        let conf = path.join("kannel.conf");
        fs::write(&conf, config::render(&ports, path, get_url))
            .map_err(KannelError::io(format!("write {}", conf.display())))?;

        let deadline = Instant::now() + START_DEADLINE;
        let mut bearerbox = Process::spawn(&BEARERBOX, &conf, path)?;
        wait_until(
            deadline,
            path,
            ports.admin,
            &mut [&mut bearerbox],
            "bearerbox running with the fake SMSC listening",
            |status| status.running() && status.smsc_listening(ports.smsc),
        )?;
        let mut smsbox = Process::spawn(&SMSBOX, &conf, path)?;
        wait_until(
            deadline,
            path,
            ports.admin,
            &mut [&mut bearerbox, &mut smsbox],
            "smsbox connected to bearerbox",
            |status| status.smsbox_connected(),
        )?;
        Ok(Kannel { boxes: Mutex::new(Boxes { smsbox, bearerbox }), ports, dir })
    }

    /// Sends one mobile-originated message from `from` to [`SHORT_CODE`] and returns the
    /// text of the reply Kannel sent back.
    ///
    /// # Errors
    /// As [`Kannel::send_batch`].
    pub fn send(&self, from: &str, text: &str) -> Result<String, KannelError> {
        let mut replies = self.send_batch(&[(from, text)])?;
        // send_batch returns one reply per message, and there is one message.
        Ok(replies.pop().unwrap_or_default())
    }

    /// Sends mobile-originated messages `(from, text)` to [`SHORT_CODE`] through one
    /// fakesmsc run, and returns the text of the reply to each, in the order of
    /// `messages`.
    ///
    /// Replies are matched to messages by sender. Kannel calls the application
    /// concurrently, so when one sender appears more than once in a batch, its replies
    /// are given to its messages in the order they arrive, which need not be the order
    /// the messages were sent.
    ///
    /// Batches on one `Kannel` run one at a time. Not checked: a reply still on its way
    /// from an earlier batch that failed with [`KannelError::NoReply`] is taken by the
    /// next batch if that batch waits for a reply to the same sender.
    ///
    /// # Errors
    /// [`KannelError::InvalidMessage`] for a sender with spaces or a text too long for
    /// fakesmsc's input line, [`KannelError::NoReply`] when replies are missing after 30
    /// seconds, and [`KannelError::Exited`] when a Kannel program died.
    pub fn send_batch(&self, messages: &[(&str, &str)]) -> Result<Vec<String>, KannelError> {
        let lines = messages
            .iter()
            .enumerate()
            .map(|(index, (from, text))| {
                fakesmsc::mo_line(from, SHORT_CODE, text).map_err(|reason| KannelError::InvalidMessage {
                    index,
                    from: (*from).to_owned(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        let mut boxes = self.boxes.lock().unwrap_or_else(PoisonError::into_inner);
        let deadline = Instant::now() + BATCH_DEADLINE;
        let mut run = FakesmscRun::spawn(self.ports.smsc)?;
        let mut pending = Pending::new(messages);
        match run.carry(&lines, deadline, &mut pending) {
            Ok(()) => Ok(pending.into_replies()),
            Err(stop) => Err(self.batch_failure(stop, &mut boxes, run, &pending)),
        }
    }

    /// Kannel's send interface with this gateway's `sendsms-user`:
    /// `http://127.0.0.1:PORT/cgi-bin/sendsms?username=…&password=…`, to which the
    /// application adds `to`, `text` and the rest. Messages sent through it wait in
    /// bearerbox until [`Kannel::received`] connects a phone network to take them.
    pub fn sendsms_url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/cgi-bin/sendsms?username={}&password={}",
            self.ports.sendsms,
            config::SENDSMS_USER,
            config::SENDSMS_PASSWORD
        )
    }

    /// Connects the fake SMSC and returns the text of the next message from
    /// [`SHORT_CODE`] to the phone `to`, such as one sent through
    /// [`Kannel::sendsms_url`]. Messages to other phones that arrive meanwhile are
    /// dropped.
    ///
    /// # Errors
    /// [`KannelError::NoReply`] when no message reached `to` within 30 seconds, and
    /// [`KannelError::Exited`] when a Kannel program died.
    pub fn received(&self, to: &str) -> Result<String, KannelError> {
        let mut boxes = self.boxes.lock().unwrap_or_else(PoisonError::into_inner);
        let deadline = Instant::now() + BATCH_DEADLINE;
        let mut run = FakesmscRun::spawn(self.ports.smsc)?;
        let mut pending = Pending::new(&[(to, "")]);
        match run.carry(&[], deadline, &mut pending) {
            Ok(()) => Ok(pending.into_replies().pop().unwrap_or_default()),
            Err(stop) => Err(self.batch_failure(stop, &mut boxes, run, &pending)),
        }
    }

    /// The last lines of bearerbox's and smsbox's logs and of smsbox's access log, for
    /// the message of a failed assertion.
    pub fn log_tail(&self) -> String {
        diagnostics(self.dir.path(), None)
    }

    fn batch_failure(&self, stop: Stop, boxes: &mut Boxes, mut run: FakesmscRun, pending: &Pending) -> KannelError {
        let dir = self.dir.path();
        // A dead bearerbox or smsbox explains any failure best.
        for process in [&mut boxes.bearerbox, &mut boxes.smsbox] {
            if let Err(exited) = process.check_running(dir) {
                return exited;
            }
        }
        match stop {
            Stop::Deadline => KannelError::NoReply {
                total: pending.replies.len(),
                missing: pending.missing(),
                waited: BATCH_DEADLINE,
                logs: diagnostics(dir, Some(&run.output)),
            },
            Stop::Closed => {
                let status = run.finish();
                KannelError::Exited { program: FAKESMSC.name, status, logs: diagnostics(dir, Some(&run.output)) }
            }
            Stop::Io(source) => KannelError::Io { action: "talk to fakesmsc".into(), source },
        }
    }
}

impl fmt::Debug for Kannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kannel").field("ports", &self.ports).field("dir", &self.dir.path()).finish_non_exhaustive()
    }
}

/// A Kannel process that is killed and reaped when dropped.
struct Process {
    name: &'static str,
    child: Child,
}

impl Process {
    /// Starts bearerbox or smsbox on `conf`, with its standard output and error, where
    /// only errors and panics go (`-v 3`), in `NAME.stderr` in `dir`. Everything else
    /// goes to the log files the configuration names.
    fn spawn(program: &Program, conf: &Path, dir: &Path) -> Result<Process, KannelError> {
        let output_path = dir.join(format!("{}.stderr", program.name));
        let output =
            File::create(&output_path).map_err(KannelError::io(format!("create {}", output_path.display())))?;
        let output_copy = output.try_clone().map_err(KannelError::io(format!("open {}", output_path.display())))?;
        let child = Command::new(program.path)
            .arg("-v")
            .arg("3")
            .arg(conf)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(output_copy)
            .stderr(output)
            .spawn()
            .map_err(KannelError::io(format!("start {}", program.path)))?;
        Ok(Process { name: program.name, child })
    }

    fn check_running(&mut self, dir: &Path) -> Result<(), KannelError> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(KannelError::Exited {
                program: self.name,
                status: status.to_string(),
                logs: diagnostics(dir, None),
            }),
            Err(source) => Err(KannelError::Io { action: format!("check on {}", self.name), source }),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Errors are ignored: kill fails only when the process has already been reaped,
        // and then wait has nothing left to do.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls bearerbox's status page until `ready` holds, a process exits, or the deadline
/// passes.
fn wait_until(
    deadline: Instant,
    dir: &Path,
    admin_port: u16,
    processes: &mut [&mut Process],
    goal: &str,
    ready: impl Fn(&Status<'_>) -> bool,
) -> Result<(), KannelError> {
    let mut last = String::from("bearerbox never finished starting up");
    loop {
        for process in processes.iter_mut() {
            process.check_running(dir)?;
        }
        // Until bearerbox has bound its ports, whatever answers on the admin port may be
        // another process, even another test's bearerbox.
        let started = match bearerbox_startup(dir) {
            Startup::Running => true,
            Startup::Starting => false,
            Startup::PortTaken => return Err(KannelError::PortInUse { logs: diagnostics(dir, None) }),
        };
        if let Some(page) = started.then(|| fetch_status(admin_port)).flatten() {
            let status = Status(&page);
            if ready(&status) {
                return Ok(());
            }
            last = format!("the last status page said:\n{}", status.summary());
        }
        if Instant::now() >= deadline {
            return Err(KannelError::NotReady {
                waited: START_DEADLINE,
                reason: format!("still waiting for {goal}; {last}"),
                logs: diagnostics(dir, None),
            });
        }
        thread::sleep(POLL);
    }
}

/// How far bearerbox's start-up has got, from its log file.
enum Startup {
    Starting,
    /// It has bound all its ports and entered its main loop.
    Running,
    /// A port it was given was taken. bearerbox exits when that is the SMSC port, but
    /// carries on without an admin port it could not bind, so the log is what tells.
    PortTaken,
}

fn bearerbox_startup(dir: &Path) -> Startup {
    let log = fs::read(dir.join("bearerbox.log")).unwrap_or_default();
    let log = String::from_utf8_lossy(&log);
    if log.contains("ERROR: bind failed") {
        Startup::PortTaken
    } else if log.contains("MAIN: Start-up done") {
        Startup::Running
    } else {
        Startup::Starting
    }
}

/// bearerbox's `/status.txt`, or `None` while it does not answer.
fn fetch_status(admin_port: u16) -> Option<String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, admin_port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(b"GET /status.txt HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n")?;
    (head.split(' ').nth(1) == Some("200")).then(|| body.to_owned())
}

/// bearerbox's plain-text status page.
struct Status<'a>(&'a str);

impl Status<'_> {
    fn running(&self) -> bool {
        self.0.contains("Status: running")
    }

    /// `smsbox:(none), IP 127.0.0.1 (0 queued), (on-line 0d 0h 0m 1s)` under
    /// "Box connections".
    fn smsbox_connected(&self) -> bool {
        self.0.lines().any(|line| line.trim_start().starts_with("smsbox:") && line.contains("(on-line"))
    }

    /// `fake[fake]    FAKE:PORT (connecting, ...`: the fake SMSC has bound its port and
    /// waits for fakesmsc. It is "online" only while a fakesmsc is connected.
    fn smsc_listening(&self, port: u16) -> bool {
        let tag = format!("FAKE:{port} (");
        self.0.lines().any(|line| {
            line.split_once(&tag).is_some_and(|(_, state)| {
                ["online", "connecting", "re-connecting"].iter().any(|listening| state.starts_with(listening))
            })
        })
    }

    /// The page from its status line on, without the version banner.
    fn summary(&self) -> &str {
        self.0.find("Status:").map_or(self.0, |start| &self.0[start..]).trim_end()
    }
}

/// Why a fakesmsc run stopped before all replies were in.
enum Stop {
    Deadline,
    /// fakesmsc closed its output: it exited.
    Closed,
    Io(io::Error),
}

/// One fakesmsc process in interactive mode: messages go in on its standard input, one a
/// line, and everything it has to say comes out of its standard error.
///
/// fakesmsc reads its connection only right after it has taken a line from its input
/// (or after a second of idle input). So every line is written only after fakesmsc has
/// said it sent the previous one: its stdio buffer then never holds a line it has not
/// acted on. While replies are outstanding, it is nudged with [`NUDGE`] every [`POLL`].
struct FakesmscRun {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    reader: Option<JoinHandle<()>>,
    /// What fakesmsc printed, for diagnostics, without its acknowledgements of nudges.
    output: Vec<String>,
    /// How many lines fakesmsc has said it sent.
    sent: u64,
    /// How many of the lines are messages; the lines after them are nudges.
    messages: u64,
}

impl FakesmscRun {
    fn spawn(smsc_port: u16) -> Result<FakesmscRun, KannelError> {
        let mut child = Command::new(FAKESMSC.path)
            .args(["-H", "127.0.0.1", "-r", &smsc_port.to_string(), "-i", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(KannelError::io(format!("start {}", FAKESMSC.path)))?;
        // Both are Some: they were just configured as pipes and not taken before.
        let stdin = child.stdin.take().expect("stdin is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (sender, lines) = mpsc::channel();
        let reader = thread::spawn(move || {
            let mut stderr = BufReader::new(stderr);
            let mut line = Vec::new();
            loop {
                line.clear();
                match stderr.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line).into_owned();
                        if sender.send(text).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Ok(FakesmscRun { child, stdin, lines, reader: Some(reader), output: Vec::new(), sent: 0, messages: 0 })
    }

    /// Sends every line, then nudges fakesmsc until every message has its reply and a
    /// nudge written after that has been sent: fakesmsc prints all lines of one reply
    /// before it reads its next input line, so nothing of the last reply is still to come.
    fn carry(&mut self, lines: &[String], deadline: Instant, pending: &mut Pending) -> Result<(), Stop> {
        self.messages = lines.len() as u64;
        for line in lines {
            self.write_and_confirm(line, deadline, pending)?;
        }
        loop {
            let complete = pending.complete();
            self.write_and_confirm(NUDGE, deadline, pending)?;
            if complete {
                return Ok(());
            }
            self.read_for(POLL, deadline, pending)?;
        }
    }

    /// Writes one line and reads output until fakesmsc says it has sent it.
    fn write_and_confirm(&mut self, line: &str, deadline: Instant, pending: &mut Pending) -> Result<(), Stop> {
        let target = self.sent + 1;
        // One write, so that fakesmsc never sees half a line.
        let mut bytes = String::with_capacity(line.len() + 1);
        bytes.push_str(line);
        bytes.push('\n');
        self.stdin.write_all(bytes.as_bytes()).map_err(|error| match error.kind() {
            io::ErrorKind::BrokenPipe => Stop::Closed,
            _ => Stop::Io(error),
        })?;
        while self.sent < target {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Stop::Deadline);
            }
            self.read_one(left, pending)?;
        }
        Ok(())
    }

    /// Reads output for `period` (or until the deadline).
    fn read_for(&mut self, period: Duration, deadline: Instant, pending: &mut Pending) -> Result<(), Stop> {
        let until = (Instant::now() + period).min(deadline);
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return if Instant::now() >= deadline { Err(Stop::Deadline) } else { Ok(()) };
            }
            self.read_one(left, pending)?;
        }
    }

    /// Waits up to `timeout` for one line of output and takes note of it.
    fn read_one(&mut self, timeout: Duration, pending: &mut Pending) -> Result<(), Stop> {
        let line = match self.lines.recv_timeout(timeout) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => return Ok(()),
            Err(RecvTimeoutError::Disconnected) => return Err(Stop::Closed),
        };
        match fakesmsc::classify(&line) {
            Output::Sent(n) => {
                self.sent = n;
                if n > self.messages {
                    return Ok(());
                }
            }
            Output::Received(content) => pending.take(content),
            Output::Other => {}
        }
        self.output.push(line);
        Ok(())
    }

    /// Kills fakesmsc (it never exits on its own: it waits for more replies, and at the
    /// end of its input it crashes with a double free), reaps it, collects the rest of its
    /// output, and returns its exit status.
    fn finish(&mut self) -> String {
        // Errors are ignored: kill fails only when the process has already been reaped.
        let _ = self.child.kill();
        let status = match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(error) => format!("unknown: {error}"),
        };
        if let Some(reader) = self.reader.take() {
            // The reader ends at the end of the output, which the kill brings about.
            let _ = reader.join();
        }
        self.output.extend(self.lines.try_iter());
        status
    }
}

impl Drop for FakesmscRun {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The replies of one batch, matched to its messages by sender.
struct Pending {
    /// For each sender, the batch positions still waiting for a reply, in batch order.
    waiting: HashMap<String, VecDeque<usize>>,
    replies: Vec<Option<String>>,
    senders: Vec<String>,
    /// The position that took the latest reply: where a continuation line belongs.
    last: Option<usize>,
}

impl Pending {
    fn new(messages: &[(&str, &str)]) -> Pending {
        let mut waiting: HashMap<String, VecDeque<usize>> = HashMap::new();
        for (index, (from, _)) in messages.iter().enumerate() {
            waiting.entry((*from).to_owned()).or_default().push_back(index);
        }
        Pending {
            waiting,
            replies: vec![None; messages.len()],
            senders: messages.iter().map(|(from, _)| (*from).to_owned()).collect(),
            last: None,
        }
    }

    /// Takes note of one line the fake SMSC sent.
    ///
    /// Kannel sends a reply containing line breaks as one line a line: lines that are
    /// not shaped as a reply from the short code continue the latest reply. Not checked:
    /// a reply line that happens to look like a whole reply.
    fn take(&mut self, content: &str) {
        match fakesmsc::parse_reply(content) {
            Some(reply) if reply.sender == crate::SHORT_CODE => {
                // A reply for nobody waiting is left over from an earlier batch.
                self.last = self.waiting.get_mut(reply.receiver).and_then(VecDeque::pop_front);
                if let Some(index) = self.last {
                    self.replies[index] = Some(reply.text);
                }
            }
            _ => {
                if let Some(reply) = self.last.and_then(|index| self.replies[index].as_mut()) {
                    reply.push('\n');
                    reply.push_str(content);
                }
            }
        }
    }

    fn complete(&self) -> bool {
        self.replies.iter().all(Option::is_some)
    }

    fn missing(&self) -> Vec<String> {
        self.replies
            .iter()
            .zip(&self.senders)
            .filter(|(reply, _)| reply.is_none())
            .map(|(_, sender)| sender.clone())
            .collect()
    }

    fn into_replies(self) -> Vec<String> {
        self.replies.into_iter().map(Option::unwrap_or_default).collect()
    }
}

/// The last lines of the Kannel logs in `dir`, and of fakesmsc's output if given.
fn diagnostics(dir: &Path, fakesmsc: Option<&[String]>) -> String {
    let mut out = String::new();
    for (file, count) in [
        ("bearerbox.stderr", 10),
        ("smsbox.stderr", 10),
        ("bearerbox.log", 20),
        ("smsbox.log", 20),
        ("smsbox-access.log", 10),
    ] {
        let text = fs::read(dir.join(file)).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let lines: Vec<&str> = text
            .lines()
            // Every nudge makes bearerbox log "invalid message syntax"; they say nothing.
            .filter(|line| !line.contains("invalid message syntax from client"))
            // The standard error repeats some start-up lines of the log files.
            .filter(|line| !file.ends_with(".stderr") || line.contains("ERROR:") || line.contains("PANIC:"))
            .collect();
        push_tail(&mut out, file, &lines, count);
    }
    if let Some(output) = fakesmsc {
        let lines: Vec<&str> = output.iter().map(|line| line.trim_end()).collect();
        push_tail(&mut out, "fakesmsc output", &lines, 20);
    }
    out
}

fn push_tail(out: &mut String, title: &str, lines: &[&str], count: usize) {
    if lines.is_empty() {
        return;
    }
    let start = lines.len().saturating_sub(count);
    out.push_str(&format!("--- {title}, last {} lines ---\n", lines.len() - start));
    for line in &lines[start..] {
        out.push_str(line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "Kannel bearerbox version `1.4.5'.\n\
        Status: running, uptime 0d 0h 0m 2s\n\n\
        Box connections:\n    smsbox:(none), IP 127.0.0.1 (0 queued), (on-line 0d 0h 0m 1s)  \n\n\n\
        SMSC connections:\n    fake[fake]    FAKE:18002 (connecting, rcvd: sms 0 (0.00,0.00,0.00) / dlr 0)\n";

    #[test]
    fn status_page_is_read() {
        let status = Status(PAGE);
        assert!(status.running());
        assert!(status.smsbox_connected());
        assert!(status.smsc_listening(18002));
        assert!(!status.smsc_listening(18003));
        assert!(status.summary().starts_with("Status: running"));
        let starting = Status("Status: running\n\nBox connections:\n    (none)\n");
        assert!(!starting.smsbox_connected());
        assert!(!Status(&PAGE.replace("(connecting", "(dead")).smsc_listening(18002));
    }

    #[test]
    fn replies_are_matched_by_sender_and_continued() {
        let mut pending = Pending::new(&[("+1", "a"), ("+2", "b"), ("+1", "c")]);
        pending.take("8103 +2 text for two");
        pending.take("8103 +9 text left over");
        pending.take("second line of nothing");
        pending.take("8103 +1 text first");
        pending.take("second line");
        assert!(!pending.complete());
        assert_eq!(pending.missing(), ["+1"]);
        pending.take("8103 +1 text third");
        assert!(pending.complete());
        assert_eq!(pending.into_replies(), ["first\nsecond line", "for two", "third"]);
    }
}
