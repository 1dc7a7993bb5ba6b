//! Replays every fuzz finding (`tests/fixtures/fuzz/`, each the minimised
//! input of a crash the fuzzers found, named after what it broke) and the
//! seed corpus (every spec of the examples and fixtures, alone and joined
//! per project) through the five fuzz targets' checks, on stable Rust.
//! The targets themselves are under `fuzz/` (see fuzz/run.sh).

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn every_target(name: &str, input: &[u8]) {
    for (target, run) in [
        ("parse", harness::parse as fn(&[u8])),
        ("check", harness::check),
        ("sql", harness::sql),
        ("fmt", harness::fmt),
        ("docs", harness::docs),
    ] {
        if let Err(e) = std::panic::catch_unwind(|| run(input)) {
            let message = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{name}: the {target} target fails: {message}");
        }
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_finding_passes_every_target() {
    let mut findings = Vec::new();
    files_under(&root().join("tests/fixtures/fuzz"), &mut findings);
    assert!(!findings.is_empty());
    for path in findings {
        let bytes = std::fs::read(&path).expect("a finding");
        every_target(&path.display().to_string(), &bytes);
    }
}

#[test]
fn the_seed_corpus_passes_every_target() {
    let mut files = Vec::new();
    files_under(&root().join("examples"), &mut files);
    files_under(&root().join("tests/fixtures"), &mut files);
    files.sort();
    let mut seeds = 0;
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "cpi"))
    {
        every_target(&path.display().to_string(), &std::fs::read(path).unwrap());
        seeds += 1;
    }
    // Each project as one input: its specs joined, a NUL, its cpi.toml.
    for toml in files.iter().filter(|p| p.ends_with("cpi.toml")) {
        let dir = toml.parent().expect("a folder");
        let mut input = Vec::new();
        for spec in files
            .iter()
            .filter(|p| p.starts_with(dir) && p.extension().is_some_and(|e| e == "cpi"))
        {
            input.extend(std::fs::read(spec).unwrap());
        }
        input.push(0);
        input.extend(std::fs::read(toml).unwrap());
        every_target(&dir.display().to_string(), &input);
        seeds += 1;
    }
    assert!(seeds > 60, "{seeds} seeds");
}
