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
                (examples.iter().any(|x| x == e) || e == "kinds" || e == "expectations")
                    && cpic::sql::DialectName::parse(d).is_some()
            }),
            _ => true,
        };
        assert!(known, "snapshot {name} belongs to no fixture or example");
    }
}

/// The keys each `*_key` rule of the grammar lists, by rule name.
fn grammar_keys() -> Vec<(String, Vec<String>)> {
    let grammar =
        std::fs::read_to_string(common::root().join("grammar/cpi.pest")).expect("grammar");
    grammar
        .lines()
        .filter_map(|line| {
            let (rule, body) = line.split_once('=')?;
            let rule = rule.trim();
            if !rule.ends_with("_key") || rule == "known_key" {
                return None;
            }
            let keys = body
                .split('"')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect();
            Some((rule.to_string(), keys))
        })
        .collect()
}

/// The grammar rule whose keys take values of this kind.
fn rule_of(value: cpic::schema::ValueKind) -> &'static [&'static str] {
    use cpic::schema::ValueKind as V;
    match value {
        V::Text => &["string_key", "note_key"],
        V::Name(_) | V::Keyword(_) => &["ident_key"],
        V::Unit => &["unit_key"],
        V::Expr => &["expr_key"],
        V::Evidence(_) => &["evidence_key"],
        V::Columns | V::Metrics => &["dims_key"],
        V::TextOrName(_) => &["string_key", "ident_key"],
        V::LinkRef => &["link_ref_key"],
        V::Shares => &["split_key"],
        V::UnitColumn => &["unit_key"],
        V::Quantity => &["lag_key", "quantity_key"],
        V::Window(_) => &["window_key"],
        V::Integer => &["int_key"],
        V::Date => &["date_key"],
        V::ColumnBlock => &["columns_key"],
        V::TargetBlock => &["target_key"],
        V::Range => &["range_key"],
    }
}

#[test]
fn the_schema_and_the_grammar_list_the_same_keys() {
    use cpic::schema::BLOCKS;
    let grammar = grammar_keys();
    assert!(
        grammar.len() >= 10,
        "the grammar's key rules were not found: {grammar:?}"
    );
    // Every field of the schema is a key of the grammar, in a rule that
    // parses the value the schema says it takes.
    for &block in BLOCKS {
        for field in block.fields() {
            let rules = rule_of(field.value);
            assert!(
                grammar
                    .iter()
                    .any(|(rule, keys)| rules.contains(&rule.as_str())
                        && keys.iter().any(|k| k == field.key)),
                "{block:?} field `{}` ({:?}) is not a key of {rules:?} in grammar/cpi.pest",
                field.key,
                field.value
            );
        }
    }
    // Every key of the grammar is a field of some block.
    for (rule, keys) in &grammar {
        for key in keys {
            assert!(
                BLOCKS.iter().any(|b| b.field(key).is_some()),
                "grammar/cpi.pest's {rule} lists `{key}`, which no block of src/schema.rs takes"
            );
        }
    }
}
