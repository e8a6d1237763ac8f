//! Issue 21: several real `icaze serve --database postgres://…` processes on one
//! PostgreSQL database (a throwaway cluster of icaze-testkit) behind a real
//! front (HAProxy from Debian, round robin, health checks on `/healthz`).
//!
//! - two instances serve requests through the one front, both of them, and the
//!   database holds the once-a-day rule and the serials across them: 100
//!   simultaneous code-2 requests for one document give exactly one permit, and
//!   10,000 requests for distinct documents 10,000 distinct serials;
//! - one instance killed with SIGKILL mid-load: every permit whose reply went
//!   out is in the database, and the front keeps answering through the other;
//!   the instance started again, and the other stopped and started, are put
//!   back in by the front;
//! - the database stopped: an SMS gets "try again later" and no permit,
//!   `/healthz` answers 503 and the front takes the instance out; the database
//!   back, the instance is back and the SMS is answered.
//!
//! - what an administrator changes through one instance reaches the others: a
//!   regime loaded through one is applied by the SMS another answers, and a
//!   key rotation reloaded through one makes another sign with the new key.
//! - issue 23: a population registry replacement's job is read through
//!   another instance; killed midway, its job reads interrupted there.
//!
//! No assertion depends on timing: waits poll for a state, with a deadline
//! that only turns a hang into a failure.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use icaze_core::UnverifiedPermit;
use icaze_testkit::haproxy::HaProxy;
use icaze_testkit::postgres::{PgCluster, PgDatabase};

/// Runs `icaze` to its end, successfully.
fn icaze(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_icaze")).args(args).output().expect("run icaze");
    assert!(out.status.success(), "icaze {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn regime() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../regimes/2020-12-14.toml")
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port()
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// The demo registry's synthetic document number `i`.
fn document(i: u64) -> String {
    format!("AZE{:08}", 50_000_000 + i)
}

/// Polls `done` until it holds; panics with `what` after a minute.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(60), "waited a minute for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A database with the demo registry of `people` synthetic people, and an
/// authority made offline, which every instance is started with.
struct Deployment {
    tmp: tempfile::TempDir,
    db: PgDatabase,
}

impl Deployment {
    fn new(cluster: &Arc<PgCluster>, people: u32) -> Deployment {
        let tmp = tempfile::tempdir().unwrap();
        let db = cluster.create_database().unwrap();
        let keys = tmp.path().join("keys");
        icaze(&["keys", "init", "--keys", keys.to_str().unwrap()]);
        icaze(&["registry", "demo", "--database", &db.url(), "--count", &people.to_string()]);
        Deployment { tmp, db }
    }

    fn keys(&self) -> PathBuf {
        self.tmp.path().join("keys")
    }

    /// Instance `n`'s data directory (its tokens, and what is still local).
    fn data(&self, n: usize) -> PathBuf {
        self.tmp.path().join(format!("instance-{n}"))
    }

    /// `document` → the tokens of its stored permits, read back with psql.
    fn stored(&self) -> HashMap<String, HashSet<String>> {
        let mut stored: HashMap<String, HashSet<String>> = HashMap::new();
        for line in self.db.psql("SELECT document || ' ' || token FROM permits").unwrap().lines() {
            let (document, token) = line.split_once(' ').expect("document and token");
            stored.entry(document.to_owned()).or_default().insert(token.to_owned());
        }
        stored
    }
}

/// A running `icaze serve` process with the deployment's database and keys.
struct Instance {
    child: Child,
    port: u16,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Instance {
    /// Starts instance `n` on `port` and waits until it serves. Instance 0 is
    /// given the database as `--database`, the others as `ICAZE_DATABASE`.
    fn start(deployment: &Deployment, n: usize, port: u16) -> Instance {
        Instance::start_with(deployment, n, port, true)
    }

    /// [`Instance::start`], with the regime of `regimes/` rehearsed from today
    /// or with only the regimes stored in the database.
    fn start_with(deployment: &Deployment, n: usize, port: u16, rehearsal: bool) -> Instance {
        let mut command = Command::new(env!("CARGO_BIN_EXE_icaze"));
        command
            .args(["serve", "--data"])
            .arg(deployment.data(n))
            .arg("--keys")
            .arg(deployment.keys())
            .args(["--listen", &loopback(port).to_string()]);
        if rehearsal {
            command.arg("--regime").arg(regime()).args(["--regime-start", "today"]);
        }
        command.env_remove("ICAZE_DATABASE").env("RUST_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::piped());
        if n == 0 {
            command.args(["--database", &deployment.db.url()]);
        } else {
            command.env("ICAZE_DATABASE", deployment.db.url());
        }
        let mut child = command.spawn().expect("start icaze serve");
        let pipe = child.stderr.take().expect("piped stderr");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (serving, started) = mpsc::channel();
        let lines = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if line.starts_with("icaze serving on ") {
                    let _ = serving.send(());
                }
                lines.lock().unwrap().push(line);
            }
        });
        if started.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = child.kill();
            panic!("icaze serve did not start: {}", stderr.lock().unwrap().join("\n"));
        }
        Instance { child, port, stderr }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// SIGKILL: no shutdown of any kind.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, as systemd stops it: the requests under way are finished.
    fn stop(&mut self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        assert!(self.child.wait().unwrap().success(), "a stopped instance exits cleanly: {}", self.stderr());
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET over a connection of its own; the status and the body, or `None`
/// unless a whole answer arrived.
fn get(addr: SocketAddr, target: &str) -> Option<(u16, String)> {
    get_as(addr, target, "")
}

/// [`get`] with a bearer token (none if empty).
fn get_as(addr: SocketAddr, target: &str, token: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let authorization = if token.is_empty() { String::new() } else { format!("Authorization: Bearer {token}\r\n") };
    write!(stream, "GET {target} HTTP/1.1\r\nHost: icaze\r\n{authorization}Connection: close\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8(response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    // An answer cut off (by a kill) is not an answer.
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))?
        .parse()
        .ok()?;
    (body.len() == length).then(|| (status, body.to_owned()))
}

/// A POST of `body` with a bearer token over a connection of its own: the
/// status and the body, or `None` unless a whole answer arrived.
fn post_as(addr: SocketAddr, target: &str, token: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    write!(
        stream,
        "POST {target} HTTP/1.1\r\nHost: icaze\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    Some((head.split(' ').nth(1)?.parse().ok()?, body.to_owned()))
}

/// One SMS from phone number `from` as the gateway sends it: the reply that
/// went out, or `None` (no answer, or an error the gateway would not send).
fn sms(addr: SocketAddr, from: u64, text: &str) -> Option<String> {
    let text: String =
        text.bytes().map(|b| if b == b' ' { "+".to_owned() } else { char::from(b).to_string() }).collect();
    match get(addr, &format!("/sms/8103?from=%2B99450{from:07}&text={text}"))? {
        (200, reply) => Some(reply),
        _ => None,
    }
}

fn token_of(reply: &str) -> Option<String> {
    UnverifiedPermit::find_in_text(reply).ok().map(|p| p.token().to_text())
}

/// 32 clients sending a code-2 SMS for each document of a range once, through
/// `addr`, from a phone each, until the range is done or they are stopped.
struct Load {
    stop: Arc<AtomicBool>,
    received: Arc<Mutex<Vec<(String, String)>>>,
    unanswered: Arc<AtomicU64>,
    clients: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(addr: SocketAddr, documents: std::ops::Range<u64>) -> Load {
        let next = Arc::new(AtomicU64::new(documents.start));
        let stop = Arc::new(AtomicBool::new(false));
        let received: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let unanswered = Arc::new(AtomicU64::new(0));
        let clients = (0..32)
            .map(|_| {
                let (next, stop, received, unanswered) =
                    (next.clone(), stop.clone(), received.clone(), unanswered.clone());
                let end = documents.end;
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= end {
                            return;
                        }
                        match sms(addr, i, &format!("2 {}", document(i))).as_deref().and_then(token_of) {
                            Some(token) => received.lock().unwrap().push((document(i), token)),
                            // Cut off (the front answers 502 for a request under way on a killed instance).
                            None => _ = unanswered.fetch_add(1, Ordering::SeqCst),
                        }
                    }
                })
            })
            .collect();
        Load { stop, received, unanswered, clients }
    }

    /// Permits received so far.
    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    /// Stops the clients: every (document, token) received, and how many requests got no permit.
    fn finish(self) -> (Vec<(String, String)>, u64) {
        self.stop.store(true, Ordering::SeqCst);
        for client in self.clients {
            client.join().unwrap();
        }
        let received = self.received.lock().unwrap().clone();
        (received, self.unanswered.load(Ordering::SeqCst))
    }
}

/// Starts `n` instances and the front, and waits until the front has them all.
fn instances_behind_a_front(deployment: &Deployment, n: usize) -> (Vec<Instance>, HaProxy) {
    let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
    let front = HaProxy::start(&ports.iter().map(|p| loopback(*p)).collect::<Vec<_>>()).unwrap();
    let instances: Vec<Instance> = ports.iter().enumerate().map(|(i, p)| Instance::start(deployment, i, *p)).collect();
    for (i, instance) in instances.iter().enumerate() {
        front.wait_for(i, true).unwrap_or_else(|e| panic!("{e}\n{}", instance.stderr()));
    }
    (instances, front)
}

#[test]
fn issue_21_two_instances_behind_haproxy_give_one_permit_a_document_and_distinct_serials() {
    const DOCUMENTS: u64 = 10_000;
    let cluster = PgCluster::shared().unwrap();
    let deployment = Deployment::new(&cluster, DOCUMENTS as u32);
    let (_instances, front) = instances_behind_a_front(&deployment, 2);
    // Every store is in the shared database: its schemas are there, none in an instance's files.
    assert_eq!(
        deployment.db.psql("SELECT string_agg(store, ',' ORDER BY store) FROM schema_version").unwrap(),
        "permits,portal,sync"
    );

    // 100 simultaneous code-2 requests for one document, from 100 phones.
    let at_once = Arc::new(Barrier::new(100));
    let replies: Vec<Option<String>> = (0..100u64)
        .map(|phone| {
            let at_once = at_once.clone();
            let addr = front.addr();
            std::thread::spawn(move || {
                at_once.wait();
                sms(addr, 9_000_000 + phone, "2 AZE11111111")
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    assert!(replies.iter().all(Option::is_some), "every request is answered: {replies:?}");
    // The permit goes to the phone that got it only: the others are told the day's is given.
    let tokens: Vec<String> = replies.iter().flatten().filter_map(|r| token_of(r)).collect();
    assert_eq!(tokens.len(), 1, "one permit for one document: {replies:?}");
    assert_eq!(deployment.db.psql("SELECT count(*) FROM permits WHERE document = 'AZE11111111'").unwrap(), "1");

    // 10,000 documents, each asked once, by 16 clients across both instances.
    let next = Arc::new(AtomicU64::new(0));
    let received: Vec<(String, String)> = (0..16)
        .map(|_| {
            let (next, addr) = (next.clone(), front.addr());
            std::thread::spawn(move || {
                let mut received = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= DOCUMENTS {
                        return received;
                    }
                    let reply = sms(addr, i, &format!("2 {}", document(i))).expect("a reply");
                    received.push((document(i), token_of(&reply).unwrap_or_else(|| panic!("no permit: {reply}"))));
                }
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(received.len(), DOCUMENTS as usize);
    let authority = icaze_authority::Authority::load(&deployment.keys()).unwrap();
    let serials: HashSet<u32> = received
        .iter()
        .map(|(_, token)| {
            let permit = UnverifiedPermit::find_in_text(token).unwrap();
            authority.trust_list().verify(&permit).expect("every instance signs with the authority").claims().serial().0
        })
        .collect();
    assert_eq!(serials.len(), DOCUMENTS as usize, "10,000 permits, 10,000 distinct serials");
    let stored = deployment.stored();
    for (document, token) in &received {
        assert!(stored.get(document).is_some_and(|t| t.contains(token)), "{document}'s permit is stored");
    }
    assert_eq!(
        deployment.db.psql("SELECT count(*), count(DISTINCT serial) FROM permits WHERE document LIKE 'AZE5%'").unwrap(),
        "10000|10000"
    );

    // Both instances served: round robin over the two.
    let stats = front.stats().unwrap();
    println!("requests sent by the front: {stats:?}");
    assert!(stats.iter().all(|s| s.sent >= 1000), "both instances served: {stats:?}");
}

#[test]
fn issue_21_an_instance_killed_mid_load_loses_no_permit_and_the_front_keeps_answering() {
    const DOCUMENTS: u64 = 20_000;
    let cluster = PgCluster::shared().unwrap();
    let deployment = Deployment::new(&cluster, DOCUMENTS as u32);
    let (mut instances, front) = instances_behind_a_front(&deployment, 2);

    let load = Load::start(front.addr(), 0..DOCUMENTS);
    wait_until("300 permits", || load.count() >= 300);
    instances[0].kill();
    let at_kill = load.count();
    front.wait_for(0, false).unwrap();
    // The front keeps answering, through the other instance.
    let sent_to_other = front.stats().unwrap()[1].sent;
    wait_until("500 permits more after the kill", || load.count() >= at_kill + 500);
    let (received, unanswered) = load.finish();
    assert!(front.stats().unwrap()[1].sent > sent_to_other);

    // Every permit whose reply went out is in the database.
    let stored = deployment.stored();
    for (document, token) in &received {
        assert!(
            stored.get(document).is_some_and(|t| t.contains(token)),
            "{document}'s permit was sent and is not stored"
        );
    }
    println!(
        "{} permits received, {} requests unanswered by the kill, {} permits stored",
        received.len(),
        unanswered,
        stored.values().map(HashSet::len).sum::<usize>()
    );

    // Started again, the killed instance is put back in by the front.
    let port = instances[0].port;
    instances[0] = Instance::start(&deployment, 0, port);
    front.wait_for(0, true).unwrap();
    let before = front.stats().unwrap()[0].sent;
    for i in 0..20 {
        assert!(sms(front.addr(), 8_000_000 + i, "2 AZE11111111").is_some());
    }
    assert!(front.stats().unwrap()[0].sent > before, "the instance started again serves");

    // The other taken out under load (stopped as systemd stops it, SIGTERM) and put back.
    let load = Load::start(front.addr(), 10_000..DOCUMENTS);
    wait_until("100 permits", || load.count() >= 100);
    instances[1].stop();
    front.wait_for(1, false).unwrap();
    let at_stop = load.count();
    wait_until("100 permits more after the stop", || load.count() >= at_stop + 100);
    let (received, unanswered) = load.finish();
    let stored = deployment.stored();
    for (document, token) in &received {
        assert!(
            stored.get(document).is_some_and(|t| t.contains(token)),
            "{document}'s permit was sent and is not stored"
        );
    }
    println!("an instance stopped under load: {} permits received, {unanswered} requests unanswered", received.len());
    let port = instances[1].port;
    instances[1] = Instance::start(&deployment, 1, port);
    front.wait_for(1, true).unwrap();
    let before = front.stats().unwrap()[1].sent;
    for i in 0..20 {
        assert!(sms(front.addr(), 8_200_000 + i, "2 AZE11111111").is_some());
    }
    assert!(front.stats().unwrap()[1].sent > before, "the instance put back serves");
}

#[test]
fn issue_21_the_database_unreachable_says_try_again_and_the_front_takes_the_instance_out() {
    // A cluster of its own: this test stops it.
    let cluster = Arc::new(PgCluster::start().unwrap());
    let deployment = Deployment::new(&cluster, 10);
    let (instances, front) = instances_behind_a_front(&deployment, 1);
    let direct = loopback(instances[0].port);
    let reply = sms(front.addr(), 1, "2 AZE50000001").unwrap();
    assert!(token_of(&reply).is_some(), "{reply}");
    // No SQLite writer on PostgreSQL: its queue's gauge is left out, the rest is there.
    let token = std::fs::read_to_string(deployment.data(0).join("metrics-token")).unwrap();
    let (status, metrics) = get_as(direct, "/metrics", token.trim()).unwrap();
    assert_eq!(status, 200, "{metrics}");
    assert!(metrics.contains("icaze_permits_issued_total{code=\"2\"} 1"), "{metrics}");
    assert!(!metrics.contains("icaze_sqlite_writer_queue"), "{metrics}");

    cluster.stop().unwrap();
    // The SMS is answered, "try again later", with no permit; nothing is stored.
    let reply = sms(direct, 2, "2 AZE50000002").expect("a reply while the database is away");
    assert!(token_of(&reply).is_none() && reply.contains("Texniki"), "{reply}");
    let (status, body) = get(direct, "/healthz").unwrap();
    assert_eq!(status, 503, "{body}");
    front.wait_for(0, false).unwrap();
    assert_eq!(get(front.addr(), "/healthz").map(|(s, _)| s), Some(503), "no instance left behind the front");

    cluster.restart().unwrap();
    front.wait_for(0, true).unwrap();
    assert_eq!(get(direct, "/healthz"), Some((200, "ok\n".to_owned())));
    let reply = sms(front.addr(), 2, "2 AZE50000002").unwrap();
    assert!(token_of(&reply).is_some(), "{reply}");
    let stored = deployment.stored();
    assert_eq!(stored.values().map(HashSet::len).sum::<usize>(), 2, "{stored:?}");
    assert!(instances[0].stderr().contains("not ready"), "the outage is logged: {}", instances[0].stderr());
}

/// The administrator's token of instance `n` (made at its first start).
fn admin_token(deployment: &Deployment, n: usize) -> String {
    std::fs::read_to_string(deployment.data(n).join("admin-token")).unwrap().trim().to_owned()
}

/// Sends code-2 SMS for documents from `next` on to `addr`, one a tenth of a
/// second, until a reply's token satisfies `wanted`; panics after a minute.
/// Returns the token.
fn sms_until(addr: SocketAddr, next: &mut u64, what: &str, wanted: impl Fn(&UnverifiedPermit) -> bool) -> String {
    let started = Instant::now();
    loop {
        *next += 1;
        let reply = sms(addr, *next, &format!("2 {}", document(*next))).expect("a reply");
        if let Some(permit) = UnverifiedPermit::find_in_text(&reply).ok().filter(|p| wanted(p)) {
            return permit.token().to_text();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "waited a minute for {what}; last reply {reply}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The shipped regime of `regimes/` as another regime, in force from
/// yesterday for thirty days.
fn regime_from_yesterday() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let at = |days: i64| icaze_core::UtcMinute::from_unix_seconds(now + days * 86_400).unwrap().to_rfc3339_utc();
    let mut header = true;
    std::fs::read_to_string(regime())
        .unwrap()
        .lines()
        .map(|line| {
            // The regime's own keys come before its first table (`[[codes]]`, whose `id`s are codes).
            header &= !line.starts_with('[');
            (line, header)
        })
        .map(|(line, header)| match line.split_once(" = ").map(|(key, _)| key).filter(|_| header) {
            Some("id") => "id = \"scale-out\"".to_owned(),
            Some("start") => format!("start = \"{}\"", at(-1)),
            Some("end") => format!("end = \"{}\"", at(30)),
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn issue_21_a_regime_loaded_through_one_instance_is_applied_by_the_other() {
    let cluster = PgCluster::shared().unwrap();
    let deployment = Deployment::new(&cluster, 1_000);
    let ports = [free_port(), free_port()];
    let front = HaProxy::start(&ports.map(loopback)).unwrap();
    // Only the regimes stored in the database: the shipped default, long ended.
    let instances: Vec<Instance> =
        ports.iter().enumerate().map(|(n, port)| Instance::start_with(&deployment, n, *port, false)).collect();
    for (n, instance) in instances.iter().enumerate() {
        front.wait_for(n, true).unwrap_or_else(|e| panic!("{e}\n{}", instance.stderr()));
    }
    let (one, other) = (loopback(ports[0]), loopback(ports[1]));
    let mut next = 0;
    let reply = sms(other, next, &format!("2 {}", document(next))).expect("a reply");
    assert!(token_of(&reply).is_none(), "no regime in force, no permit: {reply}");

    let (status, body) = post_as(one, "/admin/regime", &admin_token(&deployment, 0), &regime_from_yesterday()).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("scale-out"), "{body}");
    // The other instance never got the call; it reads the change from the database.
    sms_until(other, &mut next, "the other instance to apply the regime", |_| true);
    assert_eq!(
        deployment.db.psql("SELECT count(*) FROM permits").unwrap(),
        "1",
        "the permit answered by the other instance is stored"
    );
    // Through the front, every instance applies it.
    let before = front.stats().unwrap();
    for _ in 0..10 {
        next += 1;
        let reply = sms(front.addr(), next, &format!("2 {}", document(next))).expect("a reply");
        assert!(token_of(&reply).is_some(), "{reply}");
    }
    let after = front.stats().unwrap();
    assert!(after.iter().zip(&before).all(|(a, b)| a.sent > b.sent), "both answered: {after:?}");
}

#[test]
fn issue_21_a_key_rotation_reloaded_through_one_instance_makes_the_other_sign_with_the_new_key() {
    let cluster = PgCluster::shared().unwrap();
    let deployment = Deployment::new(&cluster, 1_000);
    let (instances, front) = instances_behind_a_front(&deployment, 2);
    let (one, other) = (loopback(instances[0].port), loopback(instances[1].port));
    let mut next = 0;
    let first = sms_until(other, &mut next, "a permit", |_| true);
    let old_key = UnverifiedPermit::find_in_text(&first).unwrap().key_id().0;

    // The instances share the key directory here; in a deployment each has its
    // copy, and the operator copies the new files to every one first.
    let rotated = Command::new(env!("CARGO_BIN_EXE_icaze"))
        .args(["keys", "rotate", "--keys", deployment.keys().to_str().unwrap(), "--role", "sms"])
        .output()
        .unwrap();
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
    let (status, body) = post_as(one, "/v1/keys/reload", &admin_token(&deployment, 0), "{}").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"trust_list_version\":2") && body.contains(&format!("[{old_key}]")), "{body}");

    // The other instance, which got no call, signs with the new key once it has read the change.
    let authority = icaze_authority::Authority::load(&deployment.keys()).unwrap();
    let new = sms_until(other, &mut next, "the other instance to sign with the new key", |p| p.key_id().0 != old_key);
    let permit = UnverifiedPermit::find_in_text(&new).unwrap();
    authority.trust_list().verify(&permit).expect("the new trust list verifies the new key's permit");
    let old = UnverifiedPermit::find_in_text(&first).unwrap();
    assert!(authority.trust_list().verify(&old).is_err(), "the old key is revoked in the new list");
    // From then on no instance signs with the old key, whichever the front picks.
    for _ in 0..10 {
        next += 1;
        let reply = sms(front.addr(), next, &format!("2 {}", document(next))).expect("a reply");
        let permit = UnverifiedPermit::find_in_text(&reply).unwrap_or_else(|e| panic!("{e:?}: {reply}"));
        assert_ne!(permit.key_id().0, old_key, "{reply}");
    }
    assert!(!instances[1].stderr().contains("does not load it"), "{}", instances[1].stderr());
}

/// What cannot work is refused before anything starts, with what to do.
#[test]
fn issue_21_a_shared_database_without_the_authority_or_an_unknown_database_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let run = |args: &[&str], env: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_icaze"));
        command.args(args).env_remove("ICAZE_DATABASE");
        if let Some(url) = env {
            command.env("ICAZE_DATABASE", url);
        }
        let out = command.output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let data = data.to_str().unwrap();
    // Instances sharing a database must share an authority: no development one of their own.
    let (code, stderr) =
        run(&["serve", "--data", data, "--listen", "127.0.0.1:0"], Some("postgres://u:pw@127.0.0.1:1/icaze"));
    assert_ne!(code, Some(0));
    assert!(stderr.contains("--keys") && !stderr.contains("pw@"), "{stderr}");
    assert!(!Path::new(data).join("authority").exists(), "no development authority made");
    // Not a database the service knows.
    let (code, stderr) = run(&["serve", "--data", data, "--database", "mysql://db/icaze"], None);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("postgres://"), "{stderr}");
    // The registries go to one place, said when both are given.
    let csv = tmp.path().join("people.csv");
    std::fs::write(&csv, "document,birth_date,zone\nAZE10000001,1980-05-17,1\n").unwrap();
    let import = ["registry", "import", "--data", data, csv.to_str().unwrap()];
    let (code, stderr) = run(&import, Some("postgres://127.0.0.1:1/icaze"));
    assert_ne!(code, Some(0));
    assert!(stderr.contains("leave out the other"), "{stderr}");
    let (code, stderr) = run(&import, None);
    assert_eq!(code, Some(0), "{stderr}");
}

/// Issue 23: the population registry's replacement is a job whose record
/// every instance reads from the database; one whose instance is killed
/// midway reads `interrupted` on the other (its advisory lock went with its
/// connection), the registry in use untouched, and the next one runs there.
#[test]
fn issue_23_a_replacement_whose_instance_is_killed_reads_interrupted_on_the_other() {
    let cluster = PgCluster::shared().unwrap();
    let deployment = Deployment::new(&cluster, 100);
    let mut one = Instance::start(&deployment, 0, free_port());
    let other = Instance::start(&deployment, 1, free_port());
    let (a, b) = (loopback(one.port), loopback(other.port));
    let feed = r#"{"agency":"asan","registry":"people"}"#;
    let (status, body) = post_as(a, "/v1/feeds", &admin_token(&deployment, 0), feed).unwrap();
    assert_eq!(status, 201, "{body}");
    let token = serde_json::from_str::<serde_json::Value>(&body).unwrap()["token"].as_str().unwrap().to_owned();
    let mut file = String::from("document,birth_date,zone\n");
    for i in 0..100 {
        file.push_str(&format!("{},1980-05-17,9\n", document(i)));
    }
    let put = |addr: SocketAddr, body: &str| {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "PUT /v1/registries/people?force=true HTTP/1.1\r\nHost: icaze\r\nAuthorization: Bearer {token}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            file.len()
        )
        .unwrap();
        stream
    };
    let state = |job: &str| -> Option<serde_json::Value> {
        let (status, body) = get_as(b, job, &token)?;
        (status == 200).then(|| serde_json::from_str(&body).unwrap())
    };

    // Half the file sent to one instance: the other reads its job loading.
    let _upload = put(a, &file[..file.len() / 2]);
    let mut id = None;
    wait_until("the other instance to read the job loading", || {
        let newest = state("/v1/registries/people/replacement");
        id = newest.filter(|p| p["state"] == "loading").map(|p| p["id"].clone());
        id.is_some()
    });
    let job = format!("/v1/registries/people/replacements/{}", id.unwrap());
    one.kill();
    wait_until("the killed instance's job to read interrupted", || {
        state(&job).is_some_and(|j| j["state"] == "interrupted")
    });
    let zone = || deployment.db.psql(&format!("SELECT zone FROM people WHERE document = '{}'", document(0))).unwrap();
    assert_ne!(zone(), "9", "the registry in use is untouched");

    // The next replacement, through the other instance, runs to its end.
    let mut accepted = String::new();
    put(b, &file).read_to_string(&mut accepted).unwrap();
    assert!(accepted.starts_with("HTTP/1.1 202"), "{accepted}");
    let (_, body) = accepted.split_once("\r\n\r\n").unwrap();
    let next = format!(
        "/v1/registries/people/replacements/{}",
        serde_json::from_str::<serde_json::Value>(body).unwrap()["id"]
    );
    wait_until("the next replacement to be swapped", || state(&next).is_some_and(|j| j["state"] == "swapped"));
    assert_eq!(zone(), "9");
    assert_eq!(state(&job).unwrap()["state"], "interrupted");
}
