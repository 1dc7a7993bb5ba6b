//! `cpic run`, `test`, `docs` and experiments on Spark through Spark
//! Connect (`--db sc://...`): every example loaded as Spark tables gives
//! the report the embedded DuckDB gives, and the failures (an unreachable
//! server, a missing table, a query the engine refuses, a time-out) are
//! explained with the engine's own words and without the token. The server
//! is `CPIC_TEST_SPARK_CONNECT` (`.ci/run` starts one from the PySpark
//! wheel, requiring a token); without it the tests skip, except in CI.

mod common;

use std::path::{Path, PathBuf};

use cpic::model::Model;

use common::cpic_output as run_cpic;
use common::engines::Spark;
use common::loaded::{assert_same_report, load_tables, tables_copy_in};
use common::{example, EXAMPLES, TODAY};

/// Every example, its tables loaded into a Spark database: `cpic run
/// --test` reports the same metrics, targets, links, experiments and
/// expectations as on DuckDB (whose report `tests/run.rs` holds to the
/// oracle), and `cpic test` passes. One example at a time: side by side
/// they are no faster on two cores and need twice the server's memory.
#[test]
fn every_example_gives_the_same_report_as_duckdb() {
    if common::engines::spark_connect_url("examples").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    for name in EXAMPLES {
        same_report(name, dir.path());
    }
}

/// Example `name`'s tables loaded into `spark`'s database, a copy of the
/// example (in `dir`) whose sources name them there, and its model.
fn on_spark(spark: &mut Spark, name: &str, dir: &Path) -> (PathBuf, Model) {
    let copy = tables_copy_in(name, dir, Some(spark.database()));
    let model = common::checked_model_at(&example(name));
    load_tables(spark, &model, &example(name), "");
    (copy, model)
}

fn same_report(name: &str, dir: &Path) {
    let mut spark = Spark::start(&format!("run_{}", name.replace('-', "_"))).expect("a server");
    let started = std::time::Instant::now();
    let (copy, model) = on_spark(&mut spark, name, dir);
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
    let database = report["database"].as_str().expect("the database");
    assert!(database.starts_with("sc://"), "{database}");
    if spark.url().contains(";token=") {
        assert!(
            database.contains(";token=***"),
            "the token is masked: {database}"
        );
    }
    assert_eq!(
        report["experiments"].as_array().map_or(0, Vec::len),
        model.experiments.len(),
        "{name}: every experiment ran"
    );
    let (status, stdout, stderr) = run_cpic(&[
        "test",
        &copy.to_string_lossy(),
        "--db",
        spark.url(),
        "--today",
        TODAY,
    ]);
    assert_eq!(status, 0, "{name}: {stdout}{stderr}");
}

// ------------------------------------------------------------ errors

/// A server that does not answer: every command that opens the database
/// exits 1 and names the URL with its token masked.
#[test]
fn an_unreachable_server_is_an_error_without_the_token() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let copy = tables_copy_in("insurance", dir.path(), Some("anywhere"));
    let copy = copy.to_string_lossy();
    let url = "sc://127.0.0.1:9/;token=s3cret-token;connect_timeout=3";
    let site = dir.path().join("site");
    let site = site.to_string_lossy();
    for args in [
        vec!["run", &copy, "--db", url],
        vec!["test", &copy, "--db", url],
        vec!["docs", &copy, "-o", &site, "--db", url],
    ] {
        let (status, stdout, stderr) = run_cpic(&args);
        assert_eq!(status, 1, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(
            stderr.contains("cannot open database sc://127.0.0.1:9/;token=***;connect_timeout=3"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("s3cret"), "{args:?}: {stderr}");
    }
    assert!(!dir.path().join("site").exists(), "no site is written");
}

/// A `file` source cannot run on Spark: E0701, before any connection.
#[test]
fn file_sources_are_e0701_on_spark() {
    let (status, _, stderr) = run_cpic(&[
        "run",
        &example("insurance").to_string_lossy(),
        "--db",
        "sc://127.0.0.1:9",
    ]);
    assert_eq!(status, 1, "{stderr}");
    assert!(stderr.contains("E0701"), "{stderr}");
    assert!(!stderr.contains("cannot open database"), "{stderr}");
}

/// A wrong token is refused by the server, and not printed.
#[test]
fn a_wrong_token_is_refused_and_not_printed() {
    let Some(url) = common::engines::spark_connect_url("wrong_token") else {
        return;
    };
    let wrong = match url.split_once(";token=") {
        Some((base, _)) => format!("{base};token=wrong-s3cret"),
        None => format!("{url}/;token=wrong-s3cret"),
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let copy = tables_copy_in("insurance", dir.path(), Some("anywhere"));
    let (status, _, stderr) = run_cpic(&["run", &copy.to_string_lossy(), "--db", &wrong]);
    assert_eq!(status, 1, "{stderr}");
    assert!(stderr.contains("cannot open database sc://"), "{stderr}");
    assert!(stderr.contains("token=***"), "{stderr}");
    assert!(!stderr.contains("wrong-s3cret"), "{stderr}");
}

/// A table that does not exist: the source, the database and Spark's own
/// message; no half-written report.
#[test]
fn a_missing_table_names_the_source_and_spark_says_why() {
    let Some(spark) = Spark::start("missing_table") else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    // The database exists, its tables do not.
    let copy = tables_copy_in("insurance", dir.path(), Some(spark.database()));
    let (status, stdout, stderr) = run_cpic(&["run", &copy.to_string_lossy(), "--db", spark.url()]);
    assert_eq!(status, 1, "{stderr}");
    assert!(stdout.is_empty(), "no half-written report: {stdout}");
    assert!(stderr.contains("cannot compute source `"), "{stderr}");
    assert!(stderr.contains("token=***"), "{stderr}");
    assert!(stderr.contains("TABLE_OR_VIEW_NOT_FOUND"), "{stderr}");
}

/// A query Spark refuses (a declared column the table lacks): Spark's
/// own message.
#[test]
fn a_query_spark_refuses_gives_its_message() {
    let Some(mut spark) = Spark::start("query_error") else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (copy, _) = on_spark(&mut spark, "insurance", dir.path());
    // `quotes` without its `channel` column.
    common::engines::Engine::execute(
        &mut spark,
        "CREATE TABLE quotes_without_channel AS SELECT * EXCEPT (channel) FROM quotes; \
         DROP TABLE quotes; \
         ALTER TABLE quotes_without_channel RENAME TO quotes",
    );
    let (status, stdout, stderr) = run_cpic(&["run", &copy.to_string_lossy(), "--db", spark.url()]);
    assert_eq!(status, 1, "{stderr}");
    assert!(stdout.is_empty(), "no half-written report: {stdout}");
    assert!(stderr.contains("UNRESOLVED_COLUMN"), "{stderr}");
    assert!(stderr.contains("`channel`"), "{stderr}");
}

/// A query longer than `query_timeout` is interrupted on the server, and
/// the session serves the next query.
#[test]
fn a_query_past_its_time_out_is_interrupted() {
    let Some(url) = common::engines::spark_connect_url("query_timeout") else {
        return;
    };
    let url = format!("{url};query_timeout=5");
    let url = cpic::run::db::DatabaseUrl::parse(&url, Path::new(".")).expect("a URL");
    let mut db = cpic::run::db::Database::open(&url, Path::new(".")).expect("the server");
    use cpic::run::cell::{Cell, ColumnKind};
    // A first query, so that the JVM's warming up is not counted.
    db.query("SELECT 1", &[ColumnKind::Number])
        .expect("an answer");
    let started = std::time::Instant::now();
    let error = db
        .query(
            // A second per row, in a call the server can interrupt (a
            // tight loop such as COUNT over a huge range is not, and would
            // keep the server busy after the test).
            "SELECT COUNT(r) FROM (SELECT reflect('java.lang.Thread', 'sleep', \
             CAST(1000 AS BIGINT)) AS r FROM range(0, 120))",
            &[ColumnKind::Number],
        )
        .expect_err("too long");
    assert!(
        error.contains("did not finish within 5 s (query_timeout) and was interrupted"),
        "{error}"
    );
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
    let started = std::time::Instant::now();
    let rows = db
        .query("SELECT 1 + 1", &[ColumnKind::Number])
        .expect("the session still serves");
    assert_eq!(rows, vec![vec![Cell::Number(Some(2.0))]]);
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

/// `[database] init` runs on the session, statement by statement (a `;`
/// inside a string does not cut), before the queries: here it defines the
/// view the source reads.
#[test]
fn the_init_file_runs_on_the_session() {
    let Some(url) = common::engines::spark_connect_url("init") else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = dir.path();
    std::fs::write(
        root.join("init.sql"),
        "CREATE OR REPLACE TEMPORARY VIEW sales AS\n\
         SELECT * FROM VALUES\n\
           (TIMESTAMP '2026-05-04 00:30:00', 10.0, 'a;b'),\n\
           (TIMESTAMP '2026-05-10 23:30:00', 20.0, 'c'),\n\
           (TIMESTAMP '2026-05-11 00:10:00', 5.0, 'd')\n\
         AS t(at, amount, note);\n\
         SELECT 'one more; statement' AS x; -- done\n",
    )
    .expect("written");
    std::fs::write(
        root.join("cpi.toml"),
        "[project]\nname = \"Init\"\n\n[database]\ninit = \"init.sql\"\n",
    )
    .expect("written");
    std::fs::write(
        root.join("spec.cpi"),
        "team ops {\n  name: \"Ops\"\n}\n\nsource sales {\n  table: \"sales\"\n  time: at\n  columns {\n    at:     timestamp\n    amount: USD\n    note:   text\n  }\n}\n\nkpi revenue {\n  title: \"Revenue\"\n  owner: ops\n  unit: USD\n  direction: higher\n  source: sales\n  measure: sum(amount)\n  grain: week\n}\n",
    )
    .expect("written");
    let report = common::run_json(root, &["--db", &url]);
    let series = &report["metrics"][0]["series"];
    let points: Vec<(String, f64)> = series
        .as_array()
        .expect("a series")
        .iter()
        .map(|p| {
            (
                p["period"].as_str().expect("a period").to_string(),
                p["value"].as_f64().expect("a value"),
            )
        })
        .collect();
    assert_eq!(
        points,
        vec![
            ("2026-05-04".to_string(), 30.0),
            ("2026-05-11".to_string(), 5.0)
        ],
        "{report}"
    );
}

/// `cpic docs` on Spark builds the site DuckDB builds from the same
/// tables (loaded into both, in a schema of the same name), page for page,
/// but for the database's URL.
#[test]
fn the_site_on_spark_is_the_site_on_duckdb() {
    let Some(mut spark) = Spark::start("docs") else {
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (copy, model) = on_spark(&mut spark, "insurance", dir.path());
    let file = dir.path().join("insurance.duckdb");
    {
        let mut duck =
            common::engines::DuckDb(duckdb::Connection::open(&file).expect("a DuckDB file"));
        common::engines::Engine::execute(&mut duck, &format!("CREATE SCHEMA {}", spark.database()));
        let prefix = format!("{}.", spark.database());
        load_tables(&mut duck, &model, &example("insurance"), &prefix);
    }
    let duck_url = format!("duckdb://{}", file.display());
    let build = |url: &str, name: &str| {
        let out = dir.path().join(name);
        let (status, _, stderr) = run_cpic(&[
            "docs",
            &copy.to_string_lossy(),
            "-o",
            &out.to_string_lossy(),
            "--db",
            url,
            "--today",
            TODAY,
        ]);
        assert_eq!(status, 0, "{url}: {stderr}");
        common::files(&out)
    };
    let on_duckdb = build(&duck_url, "duckdb");
    let on_spark = build(spark.url(), "spark");
    assert_eq!(
        on_duckdb.keys().collect::<Vec<_>>(),
        on_spark.keys().collect::<Vec<_>>()
    );
    let spark_shown = cpic::run::db::DatabaseUrl::parse(spark.url(), Path::new("."))
        .expect("a URL")
        .display();
    for (path, duck_bytes) in &on_duckdb {
        let spark_bytes = &on_spark[path];
        let (Ok(a), Ok(b)) = (
            std::str::from_utf8(duck_bytes),
            std::str::from_utf8(spark_bytes),
        ) else {
            assert_eq!(duck_bytes, spark_bytes, "{path}");
            continue;
        };
        assert!(!b.contains("cpic-test-token"), "{path} shows the token");
        let a = a.replace(&duck_url, "DATABASE");
        let b = b.replace(&spark_shown, "DATABASE");
        assert!(a == b, "{path} differs:\n{}", first_difference(&a, &b));
    }
}

/// The lines around the first difference of two texts.
fn first_difference(a: &str, b: &str) -> String {
    let line = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or(0);
    let around = |t: &str| {
        t.lines()
            .skip(line.saturating_sub(2))
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!("duckdb:\n{}\nspark:\n{}", around(a), around(b))
}
