//! `cpic fmt`: idempotent, faithful (the checked model and the diagnostics
//! of a formatted project equal the original's) and comment-preserving, over
//! every fixture, every example and generated specs; and the command line.

mod common;

use std::path::Path;

use cpic::fmt::{format_file, FormatError};
use cpic::source::{FileKind, SourceDb};
use proptest::prelude::*;

/// What a project means: its checked model without source locations, and
/// its diagnostics (code and message).
fn meaning(db: &SourceDb) -> (Option<serde_json::Value>, Vec<String>) {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.remove("location");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let compilation = cpic::compile(db, &common::options());
    let model = compilation.model.map(|m| {
        let mut value = serde_json::to_value(&m).expect("the model serialises");
        strip(&mut value);
        value
    });
    let mut diags: Vec<String> = compilation
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect();
    diags.sort();
    (model, diags)
}

/// The project with every spec file that can be formatted, formatted.
fn formatted(db: &SourceDb) -> SourceDb {
    let mut out = SourceDb::new();
    if let Some(root) = &db.root {
        out.set_root(root.clone());
    }
    for (id, file) in db.files() {
        let text = match file.kind {
            FileKind::Spec if file.invalid_utf8_at.is_none() => match format_file(id, &file.text) {
                Ok(text) => text,
                Err(FormatError::Syntax(_)) => file.text.clone(),
                Err(e) => panic!("{}: {e:?}\n{}", file.name, file.text),
            },
            _ => file.text.clone(),
        };
        out.add(file.name.clone(), text);
    }
    out
}

/// The comments of a file, sorted (a scanner of its own, not the formatter's).
fn comments(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['"', '/']) {
        let after = &rest[i..];
        if let Some(block) = after.strip_prefix("\"\"\"") {
            rest = block.split_once("\"\"\"").map_or("", |(_, r)| r);
        } else if let Some(string) = after.strip_prefix('"') {
            let mut escaped = false;
            let end = string
                .find(|c: char| {
                    let stop = !escaped && (c == '"' || c == '\n');
                    escaped = !escaped && c == '\\';
                    stop
                })
                .unwrap_or(string.len());
            rest = &string[(end + 1).min(string.len())..];
        } else if after.starts_with("//") {
            let line = after.split('\n').next().unwrap_or("");
            found.push(line.trim_end().to_string());
            rest = &after[line.len()..];
        } else {
            rest = &after[1..];
        }
    }
    found.sort();
    found
}

fn assert_faithful(db: &SourceDb, label: &str) {
    let once = formatted(db);
    let twice = formatted(&once);
    for ((_, a), (_, b)) in once.files().zip(twice.files()) {
        assert_eq!(a.text, b.text, "{label}: {} is not idempotent", a.name);
    }
    assert_eq!(
        meaning(db),
        meaning(&once),
        "{label}: formatting changed the meaning"
    );
}

fn projects() -> Vec<std::path::PathBuf> {
    let root = common::root();
    let mut found = Vec::new();
    for dir in [
        "examples",
        "tests/fixtures/diagnostics",
        "tests/fixtures/docs",
    ] {
        for entry in std::fs::read_dir(root.join(dir)).expect("a fixture folder") {
            found.push(entry.expect("an entry").path());
        }
    }
    found.sort();
    found
}

#[test]
fn every_fixture_and_example_formats_faithfully() {
    let projects = projects();
    assert!(
        projects.len() > 60,
        "fixtures were found: {}",
        projects.len()
    );
    let mut formatted_files = 0;
    for path in projects {
        let Ok(db) = SourceDb::load(&path) else {
            continue;
        };
        if db.files().any(|(_, f)| f.invalid_utf8_at.is_some()) {
            continue; // never formatted (`cpic fmt` reports it)
        }
        for (id, file) in db.files().filter(|(_, f)| f.kind == FileKind::Spec) {
            if let Ok(text) = format_file(id, &file.text) {
                formatted_files += 1;
                assert_eq!(comments(&file.text), comments(&text), "{}", path.display());
            }
        }
        assert_faithful(&db, &path.display().to_string());
    }
    assert!(
        formatted_files > 50,
        "only {formatted_files} files could be formatted"
    );
}

#[test]
fn the_examples_are_formatted() {
    for example in common::examples() {
        common::cpic_ok([
            std::ffi::OsStr::new("fmt"),
            "--check".as_ref(),
            example.as_os_str(),
        ]);
    }
}

const MESSY: &str = r#"// File header

// Section: teams
team ops { contact: "a@b" name: "Ops \"team\"" }  // after the item
team sales { // after the brace
  // above name
  name: "Sales"   // short
  contact: "x"    // a longer one
}
source s {
  columns {
    id: text  // the id
    created_at: timestamp
    amount: EUR
  }
  file: "data/x.csv"
  time: created_at
  // at the end of the block
}
cpi c1 {
  unit: EUR
  title: "T"
  measure: avg(amount  // inside the expression
     / 2) + (sum(amount where not (id = "a" or id = "b")))
  target h { until: 2026-12-31 from: 2026-01-01 range: 1EUR..2   EUR baseline: 3EUR }
  owner: ops
  description: """
      indented
        more
  """
  outcome: "O"
  direction: lower
  source: s
  grain: week
  filter: id in ("a", "b") and not id is null
}
// end of file
"#;

#[test]
fn a_messy_file_gets_the_canonical_layout() {
    let mut db = SourceDb::new();
    db.add("messy.cpi", MESSY);
    let (id, _) = db.files().next().expect("a file");
    let text = format_file(id, MESSY).expect("it formats");
    insta::assert_snapshot!(text);
    assert_eq!(comments(MESSY), comments(&text));
    assert_faithful(&db, "messy");
}

/// An experiment's fields keep their values and take the language's order.
#[test]
fn an_experiment_gets_the_canonical_layout() {
    let messy = "experiment e { until: 2026-04-28 from: 2026-04-01\n split:50%   50%\n tests:a->b  guardrails: c,d\n title: \"T\" }\n";
    let (id, _) = {
        let mut db = SourceDb::new();
        db.add("e.cpi", messy);
        let file = db.files().next().expect("a file").0;
        (file, db)
    };
    let text = format_file(id, messy).expect("it formats");
    assert_eq!(
        text,
        "experiment e {\n  title: \"T\"\n  tests: a -> b\n  guardrails: c, d\n  split: 50% 50%\n  from: 2026-04-01\n  until: 2026-04-28\n}\n"
    );
    assert_eq!(format_file(id, &text).expect("it formats"), text);
}

/// Found by the property test: `where (` once parsed as a call of a
/// function named `where`, so the filter below became an argument.
#[test]
fn a_parenthesised_filter_stays_a_filter() {
    let text = "kpi m {\n  filter: count(where created_at is not null\n  - 2.5)\n}\n";
    let mut db = SourceDb::new();
    db.add("p.cpi", text);
    let (id, _) = db.files().next().expect("a file");
    let once = format_file(id, text).expect("it formats");
    assert_eq!(
        once,
        "kpi m {\n  filter: count(where (created_at is not null) - 2.5)\n}\n"
    );
    assert_eq!(format_file(id, &once).expect("again"), once);
}

#[test]
fn files_with_syntax_errors_are_not_formatted() {
    let mut db = SourceDb::new();
    db.add("bad.cpi", "team ops { name: }");
    let (id, file) = db.files().next().expect("a file");
    match format_file(id, &file.text) {
        Err(FormatError::Syntax(diags)) => assert_eq!(diags[0].code.as_str(), "E0102"),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

#[test]
fn check_lists_the_files_and_fmt_rewrites_them() {
    let dir = tempfile::tempdir().expect("a temp dir");
    write(dir.path(), "teams.cpi", "team ops {\n  name: \"Ops\"\n}\n");
    write(
        dir.path(),
        "messy.cpi",
        "team sales { name: \"Sales\" }  // keep me\n",
    );
    let run = |args: &[&str]| {
        common::cpic()
            .args(args)
            .arg(dir.path())
            .output()
            .expect("cpic runs")
    };
    let check = run(&["fmt", "--check"]);
    assert_eq!(check.status.code(), Some(1));
    let listed = String::from_utf8_lossy(&check.stdout);
    assert!(
        listed.contains("messy.cpi") && !listed.contains("teams.cpi"),
        "{listed}"
    );
    let messy = dir.path().join("messy.cpi");
    assert!(std::fs::read_to_string(&messy).unwrap().contains("{ name"));

    let fmt = run(&["fmt"]);
    assert_eq!(
        fmt.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fmt.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "team sales {\n  name: \"Sales\"\n}  // keep me\n"
    );
    assert_eq!(run(&["fmt", "--check"]).status.code(), Some(0));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_file_with_errors_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let broken = "team ops { name: \"Ops\" \n cpi x {";
    write(dir.path(), "broken.cpi", broken);
    write(dir.path(), "good.cpi", "team b { name: \"B\" }");
    let out = common::cpic()
        .arg("fmt")
        .arg(dir.path())
        .output()
        .expect("cpic runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("E0102") && stderr.contains("not formatted"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.cpi")).unwrap(),
        broken
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("good.cpi")).unwrap(),
        "team b {\n  name: \"B\"\n}\n",
        "the other files are still formatted"
    );
}

#[test]
fn standard_input_is_formatted_to_standard_output() {
    use std::io::Write;
    let mut child = common::cpic()
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("cpic runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"kpi k { unit: %  title: \"K\" }")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "kpi k {\n  title: \"K\"\n  unit: %\n}\n"
    );
}

// ------------------------------------------------------------ generated specs

fn gap() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        4 => Just(" "),
        4 => Just("\n  "),
        1 => Just("\n\n    "),
        1 => Just("  // a note\n  "),
        1 => Just("\n// on its own line\n\t"),
    ]
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("amount".to_string()),
        Just("id".to_string()),
        Just("created_at".to_string()),
        Just("flag".to_string()),
        Just("1".to_string()),
        Just("2.5".to_string()),
        Just("1_000".to_string()),
        Just("30s".to_string()),
        Just("2 min".to_string()),
        Just("12%".to_string()),
        Just("9.99\tEUR".to_string()),
        Just("3 {options}".to_string()),
        Just("\"a // b\"".to_string()),
        Just("\"q\\\"t\"".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("2026-01-01".to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    let binary = [
        "+", "-", "*", "/", "=", "!=", "<", "<=", ">", ">=", "and", "or",
    ];
    leaf().prop_recursive(5, 40, 3, move |inner| {
        prop_oneof![
            (
                inner.clone(),
                proptest::sample::select(binary.to_vec()),
                inner.clone(),
                gap()
            )
                .prop_map(|(a, op, b, g)| format!("{a}{g}{op} {b}")),
            inner.clone().prop_map(|x| format!("({x})")),
            inner.clone().prop_map(|x| format!("not {x}")),
            inner.clone().prop_map(|x| format!("-{x}")),
            inner.clone().prop_map(|x| format!("{x} is null")),
            inner.clone().prop_map(|x| format!("{x} is not null")),
            inner
                .clone()
                .prop_map(|x| format!("{x} not in (1, -2, \"a\")")),
            inner.clone().prop_map(|x| format!("sum({x})")),
            inner.clone().prop_map(|x| format!("count(where {x})")),
            (inner.clone(), inner.clone()).prop_map(|(x, w)| format!("avg({x} where {w})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("coalesce({a}, {b})")),
        ]
    })
}

fn quantity() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("30s".to_string()),
        Just("30 s".to_string()),
        Just("0.5\tmin".to_string()),
        Just("1 hour".to_string()),
        Just("45 seconds".to_string()),
    ]
}

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"plain\"".to_string()),
        Just("\"with \\\"quotes\\\" and \\\\ and \\n\"".to_string()),
        Just("\"\"\"\n      Indented.\n\n        More.\n    \"\"\"".to_string()),
        Just("\"\"\"one line\"\"\"".to_string()),
    ]
}

/// A metric whose fields come in a shuffled order, with random gaps.
fn metric() -> impl Strategy<Value = String> {
    (
        expr(),
        proptest::option::of(expr()),
        text_value(),
        quantity(),
        quantity(),
        proptest::collection::vec(gap(), 16),
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(
            |(measure, filter, description, low, high, gaps, seed, kpi)| {
                let mut fields =
                    vec![
                "title: \"A metric\"".to_string(),
                format!("description: {description}"),
                "owner: ops".to_string(),
                "unit: s".to_string(),
                "direction: lower".to_string(),
                "evidence: contextual_inquiry \"visits\"".to_string(),
                "source: events".to_string(),
                format!("measure: {measure}"),
                "grain: week".to_string(),
                "dimensions: id ,flag".to_string(),
                format!("target t {{ until: 2026-12-31 from: 2026-01-01 range: {low} .. {high} }}"),
            ];
                if !kpi {
                    fields.push("outcome: \"Be fast\"".to_string());
                }
                if let Some(filter) = filter {
                    fields.push(format!("filter: {filter}"));
                }
                // A deterministic shuffle from the generated seed.
                let mut state = seed | 1;
                for i in (1..fields.len()).rev() {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    fields.swap(i, (state % (i as u64 + 1)) as usize);
                }
                let mut out = format!("{} m {{", if kpi { "kpi" } else { "cpi" });
                for (field, gap) in fields.iter().zip(gaps.iter().cycle()) {
                    out.push_str(gap);
                    out.push_str(field);
                }
                out.push_str(gaps[15]);
                out.push('}');
                out
            },
        )
}

const PREAMBLE: &str = "team ops { name: \"Ops\" }\nsource events {\n  file: \"e.csv\" time: created_at\n  columns { id: text created_at: timestamp amount: EUR flag: bool }\n}\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn generated_specs_format_faithfully(metric in metric(), header in gap()) {
        let text = format!("{}{header}{metric}\n", PREAMBLE);
        let mut db = SourceDb::new();
        db.add("spec.cpi", text.as_str());
        let (id, _) = db.files().next().expect("a file");
        let once = match format_file(id, &text) {
            Ok(once) => once,
            Err(e) => panic!("{e:?}\n{text}"),
        };
        let twice = format_file(id, &once).expect("formatted text formats");
        prop_assert_eq!(&once, &twice, "not idempotent:\n{}", text);
        prop_assert_eq!(comments(&text), comments(&once));
        let mut formatted_db = SourceDb::new();
        formatted_db.add("spec.cpi", once.as_str());
        prop_assert_eq!(meaning(&db), meaning(&formatted_db), "{}\n---\n{}", text, once);
    }
}
