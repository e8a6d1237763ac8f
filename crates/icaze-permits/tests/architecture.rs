//! The crate graph keeps the rules apart from how they are reached and kept:
//! a rules crate depends, directly or through other workspace crates, on no
//! HTTP framework, no JSON, no database and not the app's TypeScript
//! generation (ts-rs). `ARCHITECTURE.md` states the
//! invariants this checks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The crates that hold rules, and what none of them may reach.
const RULES: &[&str] =
    &["icaze-permits", "icaze-sync-service", "icaze-portal", "icaze-core", "icaze-sms", "icaze-authority"];
const FORBIDDEN: &[&str] = &[
    "axum",
    "hyper",
    "hyper-util",
    "tower",
    "reqwest",
    "serde_json",
    "rusqlite",
    "tokio-postgres",
    "postgres",
    "sqlx",
    // The app's TypeScript generation (`icaze-protocol`'s feature `ts`) is the edges' too.
    "ts-rs",
];

/// Each workspace crate's normal (not dev, not build) dependencies, by name:
/// optional ones only where a dependent turns them on through a feature
/// (`icaze-protocol`'s JSON and TypeScript are for the edges).
fn workspace() -> BTreeMap<String, BTreeSet<String>> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut manifests = BTreeMap::new();
    for entry in std::fs::read_dir(&crates).expect("the crates directory") {
        let manifest = entry.expect("a directory entry").path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        let name = doc["package"]["name"].as_str().expect("a package name").to_owned();
        manifests.insert(name, doc);
    }
    graph(&manifests)
}

/// The dependency graph of these manifests, by package name.
fn graph(manifests: &BTreeMap<String, toml::Table>) -> BTreeMap<String, BTreeSet<String>> {
    // What a feature of a crate turns on: `dep:x` or `x`, and what the crate's
    // own features it names turn on (`ts = ["json", "dep:ts-rs"]`).
    let enables = |krate: &str, feature: &str| -> Vec<String> {
        let features = manifests.get(krate).and_then(|m| m.get("features"));
        let mut todo = vec![feature.to_owned()];
        let (mut seen, mut out) = (BTreeSet::new(), Vec::new());
        while let Some(next) = todo.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            let list = features.and_then(|f| f.get(next.as_str())).and_then(|l| l.as_array());
            for item in list.into_iter().flatten().filter_map(|v| v.as_str()) {
                let is_feature = features.and_then(|f| f.get(item)).is_some();
                if is_feature && !item.starts_with("dep:") {
                    todo.push(item.to_owned());
                } else {
                    out.push(item.trim_start_matches("dep:").to_owned());
                }
            }
        }
        out
    };
    let mut graph = BTreeMap::new();
    for (name, doc) in manifests {
        let mut deps = BTreeSet::new();
        for (dep, spec) in doc.get("dependencies").and_then(|d| d.as_table()).into_iter().flatten() {
            if spec.get("optional").and_then(|o| o.as_bool()) != Some(true) {
                deps.insert(dep.clone());
            }
            for feature in spec.get("features").and_then(|f| f.as_array()).into_iter().flatten() {
                deps.extend(enables(dep, feature.as_str().unwrap_or_default()));
            }
        }
        graph.insert(name.clone(), deps);
    }
    graph
}

/// `name` and everything it depends on, through workspace crates.
fn reach(graph: &BTreeMap<String, BTreeSet<String>>, name: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_owned()];
    while let Some(next) = todo.pop() {
        if seen.insert(next.clone()) {
            todo.extend(graph.get(&next).into_iter().flatten().cloned());
        }
    }
    seen
}

#[test]
fn rules_crates_know_no_http_json_or_database() {
    let graph = workspace();
    assert!(graph.contains_key("icaze-server") && graph.contains_key("icaze-sqlite"), "read the workspace: {graph:?}");
    for rules in RULES {
        assert!(graph.contains_key(*rules), "{rules} is a workspace crate");
        let reached = reach(&graph, rules);
        let bad: Vec<_> = FORBIDDEN.iter().filter(|f| reached.contains(**f)).collect();
        assert!(bad.is_empty(), "{rules} reaches {bad:?} through {reached:?}");
    }
}

#[test]
fn the_check_sees_a_forbidden_dependency() {
    // The server reaches axum and the SQLite backend rusqlite: the walk finds them.
    let graph = workspace();
    assert!(reach(&graph, "icaze-server").contains("axum"));
    assert!(reach(&graph, "icaze-sqlite").contains("rusqlite"));
    assert!(reach(&graph, "icaze-sqlite").contains("icaze-permits"));
    assert!(reach(&graph, "icaze-postgres").contains("tokio-postgres"));
    // The protocol's JSON and TypeScript are optional: on its own it reaches
    // neither; the device core turns on `ts`, which turns on `json`.
    assert!(!reach(&graph, "icaze-protocol").contains("serde_json"));
    assert!(!reach(&graph, "icaze-protocol").contains("ts-rs"));
    assert!(reach(&graph, "icaze-device").contains("ts-rs"));
    assert!(reach(&graph, "icaze-device").contains("serde_json"));
    assert!(reach(&graph, "icaze-sync-service").contains("icaze-protocol"));
}

#[test]
fn a_feature_that_names_another_feature_turns_on_what_that_one_does() {
    let manifest = |text: &str| -> toml::Table { text.parse().expect("a test manifest") };
    let manifests = BTreeMap::from([
        (
            "protocol".to_owned(),
            manifest(
                r#"
                [package]
                name = "protocol"
                [features]
                json = ["dep:serde_json"]
                ts = ["json", "dep:ts-rs"]
                [dependencies]
                serde_json = { version = "1", optional = true }
                ts-rs = { version = "12", optional = true }
                "#,
            ),
        ),
        (
            "app".to_owned(),
            manifest(
                r#"
                [package]
                name = "app"
                [dependencies]
                protocol = { path = "../protocol", features = ["ts"] }
                "#,
            ),
        ),
    ]);
    let graph = graph(&manifests);
    assert_eq!(reach(&graph, "protocol"), BTreeSet::from(["protocol".to_owned()]));
    let app = reach(&graph, "app");
    assert!(app.contains("ts-rs") && app.contains("serde_json"), "{app:?}");
    assert!(!app.contains("json") && !app.contains("ts"), "features are not crates: {app:?}");
}

#[test]
fn the_client_and_the_device_know_no_server_crate() {
    let graph = workspace();
    for name in ["icaze-client", "icaze-device"] {
        let reached = reach(&graph, name);
        for server in [
            "icaze-server",
            "icaze-permits",
            "icaze-sync-service",
            "icaze-portal",
            "icaze-sqlite",
            "icaze-postgres",
            "axum",
            "rusqlite",
        ] {
            if name == "icaze-device" && server == "rusqlite" {
                continue; // The device keeps its own log in SQLite.
            }
            assert!(!reached.contains(server), "{name} reaches {server}");
        }
    }
}

#[test]
fn backends_and_rules_do_not_depend_on_the_server() {
    let graph = workspace();
    for name in
        ["icaze-permits", "icaze-sync-service", "icaze-portal", "icaze-sqlite", "icaze-postgres", "icaze-client"]
    {
        assert!(!reach(&graph, name).contains("icaze-server"), "{name} depends on the server");
    }
}
