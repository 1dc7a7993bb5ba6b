//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use cpic::date::Date;
use cpic::source::SourceDb;
use cpic::{compile, Compilation, Options};

/// The fixed "today" of every test, so that expired targets do not depend
/// on the day the tests run.
pub const TODAY: &str = "2026-06-01";

pub fn options() -> Options {
    Options {
        today: Date::parse(TODAY).expect("a date"),
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn compile_path(path: &Path) -> (SourceDb, Compilation) {
    let db = SourceDb::load(path).expect("the fixture loads");
    let compilation = compile(&db, &options());
    (db, compilation)
}

pub fn compile_text(files: &[(&str, &str)]) -> (SourceDb, Compilation) {
    let mut db = SourceDb::new();
    for (name, text) in files {
        db.add(*name, *text);
    }
    let compilation = compile(&db, &options());
    (db, compilation)
}

pub fn codes(c: &Compilation) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

pub fn cpic() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_cpic"))
}

/// Every file of a folder (a site): relative path, with `/`, → bytes.
pub fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, base: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("a folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let rel = path.strip_prefix(base).expect("inside");
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("readable"));
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Runs `cpic` with `args`, colour off: (exit status, stdout, stderr).
pub fn cpic_output(args: &[&str]) -> (i32, String, String) {
    let out = cpic()
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("cpic runs");
    (
        out.status.code().expect("an exit status"),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

/// Runs `cpic` with `args` and requires success; its output.
pub fn cpic_ok<I, S>(args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().into()).collect();
    let out = cpic().args(&args).output().expect("cpic runs");
    assert!(
        out.status.success(),
        "cpic {args:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `cpic run PATH --today TODAY --format json` with `extra` arguments,
/// required to succeed; its report.
pub fn run_json(path: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args: Vec<std::ffi::OsString> = vec!["run".into(), path.into()];
    args.extend(
        ["--today", TODAY, "--format", "json"]
            .iter()
            .chain(extra)
            .map(Into::into),
    );
    let out = cpic_ok(args);
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The example projects under `examples/`, by name, sorted.
pub const EXAMPLES: &[&str] = &[
    "customer-service",
    "grocery-delivery",
    "insurance",
    "online-course",
];

/// An example project's folder.
pub fn example(name: &str) -> PathBuf {
    root().join("examples").join(name)
}

/// Every example project's folder, in `EXAMPLES` order.
pub fn examples() -> Vec<PathBuf> {
    EXAMPLES.iter().map(|name| example(name)).collect()
}
pub mod browser;
pub mod engines;
pub mod loaded;
pub mod oracle;
pub mod plans;
pub mod section9;

/// The Python of a virtual environment that has `jsonschema` (the dbt
/// environment `.ci/run` installs has it), or None outside CI.
pub fn jsonschema_python() -> Option<PathBuf> {
    match std::env::var_os("CPIC_TEST_DBT_VENV") {
        Some(venv) => Some(PathBuf::from(venv).join("bin/python")),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must set CPIC_TEST_DBT_VENV"
            );
            eprintln!("skipped schema validation: CPIC_TEST_DBT_VENV is not set");
            None
        }
    }
}

/// Validates the JSON file `instance` against the JSON Schema `schema`
/// with Python's `jsonschema` (the draft its `$schema` names, after
/// checking the schema itself); returns the errors.
pub fn schema_errors(python: &Path, schema: &Path, instance: &Path) -> Vec<String> {
    let script = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema)
for error in validator.iter_errors(json.load(open(sys.argv[2]))):
    print("/".join(map(str, error.absolute_path)), error.message[:200])
"#;
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(schema)
        .arg(instance)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The checked model of one spec file (`spec.cpi`); panics with the
/// diagnostics when it has errors.
pub fn checked_model(spec: &str) -> cpic::model::Model {
    let (db, c) = compile_text(&[("spec.cpi", spec)]);
    assert!(
        !c.has_errors(),
        "{}",
        cpic::diag::render::human_string(&db, &c.diagnostics)
    );
    c.model.expect("a model")
}

/// The model of the project (or `.cpi` file) at `path`; panics with the
/// diagnostics when it has none.
pub fn checked_model_at(path: &Path) -> cpic::model::Model {
    let (db, c) = compile_path(path);
    c.model
        .unwrap_or_else(|| panic!("{}", cpic::diag::render::human_string(&db, &c.diagnostics)))
}

/// `YYYY-MM-DD HH:MM:SS` of a time in seconds since 1970 (UTC), as test
/// tables take it.
pub fn timestamp(secs: i64) -> String {
    cpic::date::Moment::from_unix_seconds(secs).to_string()
}
