//! Repository hygiene: every diagnostic code is documented and has a
//! fixture; every fixture and snapshot belongs to something; no pending
//! snapshots.

mod common;

use cpic::diag::Code;

fn fixture_names() -> Vec<String> {
    std::fs::read_dir(common::root().join("tests/fixtures/diagnostics"))
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .map(|p| {
            p.file_stem()
                .and_then(|s| s.to_str())
                .expect("name")
                .to_string()
        })
        .collect()
}

#[test]
fn every_code_has_an_explanation() {
    for code in Code::ALL {
        let text = code.explanation();
        assert!(
            text.starts_with(&format!("## {}: {}", code.as_str(), code.title())),
            "{}: the explanation must start with its heading and title",
            code.as_str()
        );
        for section in [
            "**What it means.**",
            "**Why it matters.**",
            "**How to fix.**",
            "**Example.**",
        ] {
            assert!(text.contains(section), "{} lacks {section}", code.as_str());
        }
    }
}

#[test]
fn every_code_has_a_fixture() {
    let fixtures = fixture_names();
    for code in Code::ALL {
        assert!(
            fixtures
                .iter()
                .any(|f| f.split('-').next() == Some(code.as_str())),
            "{} has no fixture under tests/fixtures/diagnostics/",
            code.as_str()
        );
    }
}

#[test]
fn every_fixture_is_named_after_a_code() {
    for name in fixture_names() {
        let code = name.split('-').next().expect("code");
        assert!(
            Code::parse(code).is_some(),
            "fixture {name} is not named after a code"
        );
    }
}

#[test]
fn codes_are_unique_and_in_their_family() {
    let mut seen = std::collections::HashSet::new();
    for code in Code::ALL {
        assert!(
            seen.insert(code.as_str()),
            "{} is used twice",
            code.as_str()
        );
        let warning = code.as_str().starts_with('W');
        assert_eq!(warning, code.severity() == cpic::diag::Severity::Warning);
    }
}

#[test]
fn no_pending_or_orphaned_snapshots() {
    let fixtures = fixture_names();
    let examples: Vec<String> = std::fs::read_dir(common::root().join("examples"))
        .expect("examples")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    for entry in std::fs::read_dir(common::root().join("tests/snapshots")).expect("snapshots") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.ends_with(".snap"),
            "pending or stray snapshot file: {name} (review it with `cargo insta review`)"
        );
        let stem = name.trim_end_matches(".snap");
        let (test, case) = stem
            .split_once("__")
            .expect("insta names snapshots test__name");
        let known = match test {
            "diagnostics" => fixtures.iter().any(|f| f == case),
            "examples" => examples.iter().any(|e| e == case),
            "sql_golden" => case.rsplit_once("__").is_some_and(|(e, d)| {
                examples.iter().any(|x| x == e) && cpic::sql::DialectName::parse(d).is_some()
            }),
            _ => true,
        };
        assert!(known, "snapshot {name} belongs to no fixture or example");
    }
}
