//! `cpic run`, `test`, `docs` and experiments on Spark through Spark
//! Connect (`--db sc://...`): every example loaded as Spark tables gives
//! the report the embedded DuckDB gives, and the failures (an unreachable
//! server, a missing table, a query the engine refuses, a time-out) are
//! explained with the engine's own words and without the token. The server
//! is `CPIC_TEST_SPARK_CONNECT` (`.ci/run` starts one from the PySpark
//! wheel, requiring a token); without it the tests skip, except in CI.

mod common;

use std::path::Path;

use common::engines::Spark;
use common::loaded::{assert_same_report, load_tables, tables_copy_in};
use common::{example, EXAMPLES, TODAY};

/// Runs cpic and returns (exit status, stdout, stderr).
fn cpic(args: &[&str]) -> (i32, String, String) {
    let out = common::cpic()
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("cpic runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn model_of(path: &Path) -> cpic::model::Model {
    let (db, c) = common::compile_path(path);
    c.model
        .unwrap_or_else(|| panic!("{}", cpic::diag::render::human_string(&db, &c.diagnostics)))
}

/// Every example, its tables loaded into a Spark database: `cpic run
/// --test` reports the same metrics, targets, links, experiments and
/// expectations as on DuckDB (whose report `tests/run.rs` holds to the
/// oracle), and `cpic test` passes. The examples run side by side, each in
/// its own session.
#[test]
fn every_example_gives_the_same_report_as_duckdb() {
    if common::engines::spark_connect_url("examples").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::thread::scope(|scope| {
        for name in EXAMPLES {
            let dir = dir.path();
            scope.spawn(move || same_report(name, dir));
        }
    });
}

fn same_report(name: &str, dir: &Path) {
    let mut spark = Spark::start(&format!("run_{}", name.replace('-', "_"))).expect("a server");
    let copy = tables_copy_in(name, dir, Some(spark.database()));
    let model = model_of(&example(name));
    let started = std::time::Instant::now();
    load_tables(&mut spark, &model, &example(name), "");
    let loaded = started.elapsed();
    let duckdb = common::run_json(&example(name), &["--test"]);
    let started = std::time::Instant::now();
    let report = common::run_json(&copy, &["--test", "--db", spark.url()]);
    eprintln!(
        "{name}: loaded in {:.1} s, `cpic run --test` in {:.1} s",
        loaded.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert_same_report(&duckdb, &report, &format!("spark connect {name}"));
    assert_eq!(
        report["experiments"].as_array().map_or(0, Vec::len),
        model.experiments.len(),
        "{name}: every experiment ran"
    );
    let (status, stdout, stderr) = cpic(&[
        "test",
        &copy.to_string_lossy(),
        "--db",
        spark.url(),
        "--today",
        TODAY,
    ]);
    assert_eq!(status, 0, "{name}: {stdout}{stderr}");
}
