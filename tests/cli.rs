//! The real binary: every output format, every exit status, `explain`.

mod common;

use common::cpic;
use common::cpic_output as run;

fn fixture(name: &str) -> String {
    common::root()
        .join("tests/fixtures/diagnostics")
        .join(name)
        .display()
        .to_string()
}

fn example(name: &str) -> String {
    common::root()
        .join("examples")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn clean_project_exits_0_with_a_summary() {
    let (code, out, _) = run(&["check", &example("insurance"), "--today", common::TODAY]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "0 errors, 0 warnings in 3 files");
}

#[test]
fn errors_exit_1_in_every_format() {
    let path = fixture("E0301.cpi");
    let (code, human, _) = run(&["check", &path, "--today", common::TODAY]);
    assert_eq!(code, 1);
    assert!(
        human.contains("error[E0301]: cannot mix `USD` and `EUR`"),
        "{human}"
    );
    assert!(human.contains("┌─ E0301.cpi:15:"), "{human}");
    assert!(!human.contains('\u{1b}'), "no colour when piped");
    assert!(
        human.trim_end().ends_with("2 errors, 0 warnings in 1 file"),
        "{human}"
    );

    let (code, short, _) = run(&[
        "check",
        &path,
        "--format",
        "short",
        "--today",
        common::TODAY,
    ]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = short.lines().collect();
    assert_eq!(
        lines[0],
        "E0301.cpi:15:41: error[E0301]: cannot mix `USD` and `EUR`: currencies are never converted"
    );
    assert_eq!(lines.last(), Some(&"2 errors, 0 warnings in 1 file"));

    let (code, json, _) = run(&["check", &path, "--format", "json", "--today", common::TODAY]);
    assert_eq!(code, 1);
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let first = &value[0];
    assert_eq!(first["code"], "E0301");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "E0301.cpi");
    assert_eq!(first["line"], 15);
    assert_eq!(first["column"], 41);
    assert_eq!(first["end_line"], 15);
    assert_eq!(first["end_column"], 51);
    assert_eq!(first["labels"][0]["primary"], true);
    assert_eq!(first["labels"][1]["message"], "this is in `USD`");
    assert!(first["hints"].is_array());
}

#[test]
fn warnings_exit_0_unless_denied() {
    let path = fixture("W0601.cpi");
    let (code, out, _) = run(&[
        "check",
        &path,
        "--format",
        "short",
        "--today",
        common::TODAY,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning[W0601]"));
    let (code, _, _) = run(&["check", &path, "--deny-warnings", "--today", common::TODAY]);
    assert_eq!(code, 1);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let out = cpic()
        .args([
            "check",
            &fixture("E0301.cpi"),
            "--color",
            "always",
            "--today",
            common::TODAY,
        ])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
}

#[test]
fn usage_and_io_problems_exit_2() {
    let (code, _, err) = run(&["check", "/no/such/project"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `/no/such/project`"), "{err}");
    let (code, _, _) = run(&["check", "--format", "xml"]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&["frobnicate"]);
    assert_eq!(code, 2);
    let empty = tempfile::tempdir().expect("a temp dir");
    let (code, _, err) = run(&["check", &empty.path().display().to_string()]);
    assert_eq!(code, 2);
    assert!(err.contains("no `.cpi` files"), "{err}");
}

#[test]
fn a_single_file_can_be_checked() {
    let (code, out, _) = run(&[
        "check",
        &fixture("W0607.cpi"),
        "--format",
        "short",
        "--today",
        common::TODAY,
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("W0607.cpi:7:5: warning[W0607]"), "{out}");
}

#[test]
fn explain_prints_the_documentation() {
    let (code, out, _) = run(&["explain", "E0301"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("## E0301: incompatible units"));
    assert!(out.contains("**How to fix.**"));
    let (code, out, _) = run(&["explain", "w0601"]);
    assert_eq!(code, 0);
    assert!(out.contains("contextual_inquiry"));
    let (code, _, err) = run(&["explain", "E9999"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown diagnostic code"));
    let (code, out, _) = run(&["explain", "--list"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), cpic::diag::Code::ALL.len());
}

#[test]
fn debug_prints_the_model_as_json() {
    let (code, out, _) = run(&[
        "debug",
        "model",
        &example("grocery-delivery"),
        "--today",
        common::TODAY,
    ]);
    assert_eq!(code, 0);
    let model: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(model["project"]["name"], "FreshBox Grocery Delivery");
    let (code, out, _) = run(&["debug", "ast", &fixture("E0301.cpi")]);
    assert_eq!(code, 1);
    assert!(out.contains("\"items\""));
}

#[test]
fn sql_prints_one_query_or_writes_them_all() {
    let insurance = example("insurance");
    let (code, out, _) = run(&["sql", &insurance, "--metric", "quote_turnaround"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("-- Series of CPI `quote_turnaround` (Time to a firm quote), in s per week\n-- Defined at metrics.cpi:1\n"), "{out}");
    assert!(out.contains("read_csv('data/quotes.csv', header = true)"));

    let (code, out, _) = run(&[
        "sql",
        &insurance,
        "--metric",
        "quote_turnaround",
        "--by",
        "channel",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("AS \"channel\""));

    let (code, out, _) = run(&["sql", &insurance, "--link", "quote_turnaround", "bind_rate"]);
    assert_eq!(code, 0);
    assert!(out.contains("AS \"verdict\""));

    let (code, out, _) = run(&["sql", &insurance, "--targets", "--as-of", "2026-06-01"]);
    assert_eq!(code, 0);
    assert!(out.contains("DATE '2026-06-01'"));

    let dir = tempfile::tempdir().expect("a temp dir");
    let (code, _, err) = run(&["sql", &insurance, "-o", &dir.path().display().to_string()]);
    assert_eq!(code, 0, "{err}");
    let root = dir.path().join("duckdb");
    for file in [
        "metrics/bind_rate.sql",
        "links/quote_turnaround__bind_rate.sql",
        "sources/quotes__week.sql",
        "targets.sql",
    ] {
        assert!(root.join(file).is_file(), "{file} is written");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(leftovers.len(), 1, "no staging folder is left behind");
}

#[test]
fn sql_errors_have_the_documented_statuses() {
    let insurance = example("insurance");
    let (code, _, err) = run(&["sql", &insurance, "--metric", "no_such_metric"]);
    assert_eq!(code, 2);
    assert!(err.contains("no metric named `no_such_metric`"), "{err}");
    let (code, _, err) = run(&["sql", &insurance, "--metric", "bind_rate", "--by", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("has no dimension `nope`"), "{err}");
    let (code, _, err) = run(&["sql", &insurance, "--link", "bind_rate", "quote_turnaround"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no link bind_rate -> quote_turnaround"),
        "{err}"
    );
    // File sources are a diagnostic outside DuckDB.
    let (code, out, err) = run(&["sql", &insurance, "--dialect", "postgres"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("error[E0701]"), "{err}");
    // A spec with errors is not compiled.
    let (code, out, err) = run(&["sql", &fixture("E0301.cpi")]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("error[E0301]"), "{err}");
}

#[test]
fn completions_cover_every_command_and_are_valid_scripts() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for word in [
            "check", "sql", "run", "docs", "explain", "no-data", "format",
        ] {
            assert!(out.contains(word), "{shell} completion lacks `{word}`");
        }
    }
    // bash and fish can say whether the script parses.
    let (_, script, _) = run(&["completions", "bash"]);
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("cpic.bash");
    std::fs::write(&path, script).expect("write");
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
        .expect("bash runs");
    assert!(status.success(), "the bash completion script parses");
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, 2, "an unknown shell is a usage error: {err}");
}

#[test]
fn man_pages_are_generated_from_the_command_line_definition() {
    let (code, out, err) = run(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(".TH cpic 1") && out.contains(".SH NAME"),
        "{out}"
    );
    let dir = tempfile::tempdir().expect("tmp");
    let man = dir.path().join("man");
    let (code, _, err) = run(&["man", "-o", man.to_str().expect("UTF-8")]);
    assert_eq!(code, 0, "{err}");
    for command in [
        "check",
        "sql",
        "run",
        "docs",
        "explain",
        "debug",
        "completions",
        "man",
    ] {
        let page = std::fs::read_to_string(man.join(format!("cpic-{command}.1")))
            .unwrap_or_else(|e| panic!("cpic-{command}.1: {e}"));
        assert!(page.contains(&format!(".TH cpic-{command} 1")), "{page}");
        assert!(
            page.contains(&format!("cpic {command}")),
            "the synopsis names the command"
        );
    }
    let docs = std::fs::read_to_string(man.join("cpic-docs.1")).expect("page");
    assert!(docs.contains("no\\-data"), "options are documented: {docs}");
}

/// `.pre-commit-hooks.yaml` offers `cpic-fmt` and `cpic-check`, and each
/// hook's entry is a command this binary has.
#[test]
fn pre_commit_hooks_run_real_commands() {
    let hooks = std::fs::read_to_string(common::root().join(".pre-commit-hooks.yaml"))
        .expect("the hooks file");
    let ids: Vec<&str> = hooks
        .lines()
        .filter_map(|l| l.strip_prefix("- id: "))
        .collect();
    assert_eq!(ids, ["cpic-fmt", "cpic-check"]);
    let entries: Vec<&str> = hooks
        .lines()
        .filter_map(|l| l.trim().strip_prefix("entry: "))
        .collect();
    assert_eq!(entries.len(), 2);
    for entry in entries {
        let mut words = entry.split_whitespace();
        assert_eq!(words.next(), Some("cpic"));
        let command: Vec<&str> = words.collect();
        common::cpic_ok(command.iter().copied().chain(["--help"]));
    }
}
