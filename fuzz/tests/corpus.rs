//! Every harness over its seed corpus (`corpus/<target>/`), on stable Rust:
//! the seeds read without a panic and keep their promises, and each target
//! has seeds, so a fuzzing run starts from real inputs.

use std::path::Path;

#[test]
fn every_target_runs_over_its_seed_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, harness) in icaze_fuzz::TARGETS {
        let dir = root.join(name);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut seeds = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            harness(&std::fs::read(&path).unwrap());
            seeds += 1;
        }
        assert!(seeds >= 3, "{name}: only {seeds} seeds in {}", dir.display());
    }
}

#[test]
fn every_target_has_a_libfuzzer_entry_point() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    for (name, _) in icaze_fuzz::TARGETS {
        assert!(manifest.contains(&format!("path = \"fuzz_targets/{name}.rs\"")), "{name} has no [[bin]]");
    }
}
