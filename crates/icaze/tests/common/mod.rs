//! The real service for the `icaze` crate's integration tests, set up in one place:
//! `icaze_server::Server` in this process on a loopback port of its own, in a temporary
//! directory of its own, with a fixed clock at 10:00 on 15 December 2020 (inside the
//! December 2020 regime) and its development authority; and the real `icaze` executable,
//! run without the credentials of whoever runs the tests.
//!
//! Each test starts its own [`Service`], so tests may run in parallel. Dropping it stops
//! the server before its runtime goes ([`BlockingService`]).

// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::ops::Deref;
use std::process::{Command, Output, Stdio};

use icaze_server::sqlite::SqlitePermitStore;
use icaze_server::ServeConfig;
pub use icaze_testkit::service::at;
use icaze_testkit::service::BlockingService;
use serde_json::Value;

/// The service's clock when it starts: SMS permits asked for now are valid from 10:15.
pub const START: &str = "2020-12-15T10:00:00+04:00";
/// The service's clock and the devices', once the permits are valid.
pub const NOW: &str = "2020-12-15T10:30:00+04:00";

/// A running service and the directory it keeps its data in; it reads as the
/// [`BlockingService`] it holds (its `runtime`, `clock`, `url`, data and paths).
pub struct Service(BlockingService);

impl Deref for Service {
    type Target = BlockingService;

    fn deref(&self) -> &BlockingService {
        &self.0
    }
}

impl Service {
    /// The service with the default configuration and an empty registry.
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// The service with `adjust` applied to its configuration before it starts (the
    /// address and the clock are set before, and are best left alone).
    pub fn start_with(adjust: impl FnOnce(&mut ServeConfig)) -> Self {
        Self(BlockingService::start(at(START), adjust))
    }

    /// The same service with `n` synthetic people in its registry (all imported cleanly).
    pub fn with_demo_people(self, n: u32) -> Self {
        self.import_demo_people(n);
        self
    }

    /// The service's database, opened beside the running server.
    pub fn store(&self) -> SqlitePermitStore {
        self.permits()
    }

    /// `icaze admin …` with the administrator's token file: the exit status and the
    /// JSON line printed.
    pub fn admin(&self, args: &[&str]) -> (i32, Value) {
        let token_file = self.data().join("admin-token");
        let base = ["admin", "--server", &self.url, "--token-file", token_file.to_str().unwrap()];
        let out = icaze(&[&base[..], args].concat());
        (out.status.code().unwrap(), json_line(&out))
    }

    /// A `GET` straight to the service, without a credential: status, headers and body.
    pub fn get(&self, path_and_query: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        self.send(reqwest::Client::new().get(format!("{}{path_and_query}", self.url)))
    }

    /// A request straight to the service as the administrator, with `body` as JSON if
    /// given: status, headers and body.
    pub fn admin_request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let url = format!("{}{path}", self.url);
        let mut request = reqwest::Client::new().request(method, url).bearer_auth(self.admin_token());
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        self.send(request)
    }

    fn send(&self, request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        self.runtime.block_on(async {
            let response = request.send().await.unwrap();
            let (status, headers) = (response.status().as_u16(), response.headers().clone());
            (status, headers, response.bytes().await.unwrap().to_vec())
        })
    }
}

/// The `icaze` executable with `args`, without the caller's `ICAZE_TOKEN` and
/// `ICAZE_PASSWORD`, and with no standard input (so no prompt can wait for it).
pub fn icaze_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_icaze"));
    command.args(args).env_remove("ICAZE_TOKEN").env_remove("ICAZE_PASSWORD").stdin(Stdio::null());
    command
}

/// Runs [`icaze_command`] to the end.
pub fn icaze(args: &[&str]) -> Output {
    icaze_command(args).output().expect("run icaze")
}

/// The JSON line a command printed last on standard output.
pub fn json_line(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("{e}: stdout {stdout:?}, stderr {}", String::from_utf8_lossy(&out.stderr)))
}
