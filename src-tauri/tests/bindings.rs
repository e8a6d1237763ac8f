//! The UI's TypeScript types (`ui/src/bindings/`) are the ones the answers'
//! Rust types generate: a changed answer without new bindings fails here, and
//! new bindings that the UI does not fit fail its `tsc`.
//!
//! `ICAZE_BLESS=1 cargo test -p icaze-app --test bindings` writes them again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const BLESS: &str = "ICAZE_BLESS=1 cargo test -p icaze-app --test bindings";

fn checked_in() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings")
}

/// Every `.ts` file of `dir` by name, with its text.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return BTreeMap::new() };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ts"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

fn generated() -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    icaze_app::bindings::export(dir.path()).unwrap();
    files(dir.path())
}

#[test]
fn the_checked_in_bindings_are_the_generated_ones() {
    let fresh = generated();
    let dir = checked_in();
    if std::env::var_os("ICAZE_BLESS").is_some() {
        for name in files(&dir).keys() {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &fresh {
            std::fs::write(dir.join(name), text).unwrap();
        }
        return;
    }
    let old = files(&dir);
    let missing: Vec<&String> = fresh.keys().filter(|n| !old.contains_key(*n)).collect();
    let stale: Vec<&String> = old.keys().filter(|n| !fresh.contains_key(*n)).collect();
    let changed: Vec<&String> = fresh.keys().filter(|n| old.get(*n).is_some_and(|t| t != &fresh[*n])).collect();
    assert!(
        missing.is_empty() && stale.is_empty() && changed.is_empty(),
        "ui/src/bindings/ is not what the answers' Rust types generate (missing {missing:?}, not generated \
         {stale:?}, changed {changed:?}): write it again with `{BLESS}`, then fit the UI to it (`cd ui && npm run build`)"
    );
}

#[test]
fn every_command_has_its_answer_typed_and_the_generation_is_stable() {
    assert_eq!(icaze_app::bindings::commands(), icaze_app::command_names::ALL);
    let fresh = generated();
    assert_eq!(fresh, generated(), "two generations agree");
    let commands = &fresh[icaze_app::bindings::COMMANDS_FILE];
    for command in icaze_app::command_names::ALL {
        assert!(commands.contains(&format!("\n  {command}: ")), "{command} in {commands}");
    }
    assert!(commands.contains("  zones: Array<Zone>;"), "{commands}");
    assert!(commands.contains("import type { Zone } from \"./Zone\";"), "{commands}");
    assert!(fresh["Verdict.ts"].contains("kind: VerdictKind"), "{}", fresh["Verdict.ts"]);
    assert!(!fresh.values().any(|t| t.contains("bigint")), "64-bit integers are numbers");
}
