//! The crate graph keeps the rules apart from how they are reached and kept:
//! a rules crate depends, directly or through other workspace crates, on no
//! HTTP framework, no JSON and no database. `ARCHITECTURE.md` states the
//! invariants this checks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The crates that hold rules, and what none of them may reach.
const RULES: &[&str] = &["icaze-permits", "icaze-core", "icaze-sms", "icaze-authority"];
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
];

/// Each workspace crate's normal (not dev, not build) dependencies, by name.
fn workspace() -> BTreeMap<String, BTreeSet<String>> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&crates).expect("the crates directory") {
        let manifest = entry.expect("a directory entry").path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        let name = doc["package"]["name"].as_str().expect("a package name").to_owned();
        let deps = doc.get("dependencies").and_then(|d| d.as_table()).map(|t| t.keys().cloned().collect());
        graph.insert(name, deps.unwrap_or_default());
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
}

#[test]
fn backends_and_rules_do_not_depend_on_the_server() {
    let graph = workspace();
    for name in ["icaze-permits", "icaze-sqlite"] {
        assert!(!reach(&graph, name).contains("icaze-server"), "{name} depends on the server");
    }
}
