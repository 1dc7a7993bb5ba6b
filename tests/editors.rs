//! `editors/vscode`: the extension manifest is consistent, and the TextMate
//! grammar tokenizes real specs as VS Code would (vscode-textmate on
//! Oniguruma, from npm; `.ci/run` installs them and sets
//! `CPIC_TEST_NODE_PATH`).

mod common;

use std::path::PathBuf;

use serde_json::Value;

fn vscode() -> PathBuf {
    common::root().join("editors/vscode")
}

fn json(name: &str) -> Value {
    let text = std::fs::read_to_string(vscode().join(name)).expect("the file exists");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

#[test]
fn the_manifest_starts_the_server_for_cpi_files() {
    let manifest = json("package.json");
    let language = &manifest["contributes"]["languages"][0];
    assert_eq!(language["id"], "cpi");
    assert_eq!(language["extensions"][0], ".cpi");
    assert!(vscode()
        .join(language["configuration"].as_str().unwrap())
        .is_file());
    let grammar = &manifest["contributes"]["grammars"][0];
    assert_eq!(grammar["language"], "cpi");
    let tm = json(grammar["path"].as_str().unwrap());
    assert_eq!(tm["scopeName"], grammar["scopeName"]);
    assert_eq!(manifest["activationEvents"][0], "onLanguage:cpi");
    let main = std::fs::read_to_string(vscode().join(manifest["main"].as_str().unwrap())).unwrap();
    assert!(
        main.contains("args: [\"lsp\"]"),
        "the extension starts `cpic lsp`"
    );
    json("language-configuration.json");
}

/// (line, token text, a scope it must have)
type Expectation = (usize, &'static str, &'static str);

#[test]
fn the_grammar_highlights_real_specs() {
    let Some(node_path) = std::env::var_os("CPIC_TEST_NODE_PATH") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set CPIC_TEST_NODE_PATH"
        );
        eprintln!("skipped: CPIC_TEST_NODE_PATH is not set");
        return;
    };
    let file = common::root().join("examples/insurance/metrics.cpi");
    let text = std::fs::read_to_string(&file).unwrap();
    let out = std::process::Command::new("node")
        .arg(vscode().join("tokenize.js"))
        .arg(&file)
        .env("NODE_PATH", node_path)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tokens: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON token"))
        .collect();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).expect(needle);
    let expectations: Vec<Expectation> = vec![
        (
            line_of("cpi quote_turnaround"),
            "cpi",
            "keyword.declaration.cpi",
        ),
        (
            line_of("cpi quote_turnaround"),
            "quote_turnaround",
            "entity.name.type.cpi",
        ),
        (
            line_of("title: \"Time to a firm quote\""),
            "Time to a firm quote",
            "string.quoted.double.cpi",
        ),
        (
            line_of("Shoppers told"),
            "    Shoppers told our researchers that the first insurer to show a *firm*",
            "string.quoted.triple.cpi",
        ),
        (
            line_of("reviewed: 2026-09-14"),
            "2026-09-14",
            "constant.numeric.date.cpi",
        ),
        (
            line_of("reviewed: 2026-09-14"),
            "// last review; the docs flag an overdue one",
            "comment.line.double-slash.cpi",
        ),
        (line_of("range: 30 s .. 45 s"), "30", "constant.numeric.cpi"),
        (
            line_of("range: 30 s .. 45 s"),
            "s",
            "keyword.other.unit.cpi",
        ),
        (
            line_of("measure: median("),
            "median",
            "support.function.aggregate.cpi",
        ),
        (line_of("direction: lower"), "lower", "support.constant.cpi"),
        (
            line_of("link quote_turnaround -> bind_rate"),
            "->",
            "keyword.operator.arrow.cpi",
        ),
        (
            line_of("link quote_turnaround -> bind_rate"),
            "bind_rate",
            "entity.name.function.cpi",
        ),
        (
            line_of("count(where"),
            "where",
            "keyword.operator.logical.cpi",
        ),
    ];
    for (line, token, scope) in expectations {
        let found = tokens
            .iter()
            .find(|t| t["line"] == line && t["text"] == token);
        let found = found.unwrap_or_else(|| panic!("no token {token:?} on line {line}"));
        let scopes: Vec<&str> = found["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            scopes.contains(&scope),
            "{token:?} on line {line} has {scopes:?}, not {scope}"
        );
    }
    // No comment scope inside a string.
    assert!(tokens.iter().all(|t| {
        let scopes = t["scopes"].to_string();
        !(scopes.contains("string.quoted") && scopes.contains("comment"))
    }));
}
