//! `cpic run` end to end: the real binary on every example, its numbers held
//! to an independent evaluation of the example data in Rust
//! (`common/oracle.rs`), the verdicts the data was designed to give, the
//! same report from SQLite and PostgreSQL, and the error cases.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::engines::{self, close};
use common::oracle;
use cpic::date::Date;
use cpic::model::Direction;
use serde_json::Value;

use common::loaded::{assert_close, assert_same_report, load_tables, num, tables_copy};
use common::{example, plans};

fn today() -> Date {
    Date::parse(common::TODAY).expect("a date")
}

/// Runs `cpic run` and returns (exit status, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    common::cpic_output(&[&["run"], args].concat())
}

/// Every number of the report against the oracle, and the designed verdicts.
fn check_example(name: &str, designed: &[(&str, &str, &str)]) -> BTreeSet<String> {
    check_project(&example(name), designed)
}

fn check_project(root: &Path, designed: &[(&str, &str, &str)]) -> BTreeSet<String> {
    let root = root.to_path_buf();
    let model = common::checked_model_at(&root);
    let tables = oracle::load_sources(&model, &root);
    let report = common::run_json(&root, &[]);
    let metrics = report["metrics"].as_array().expect("metrics");
    assert_eq!(
        metrics.len(),
        model.metrics.len(),
        "every metric is reported"
    );
    for m in metrics {
        let name = m["name"].as_str().expect("a name");
        let metric = model.metric(name).expect("a metric of the model");
        let want: Vec<(Date, f64)> = oracle::series(&model, &tables, metric, metric.grain)
            .into_iter()
            .filter_map(|(p, v)| Some((p, v?)))
            .collect();
        let got: Vec<(Date, f64)> = m["series"]
            .as_array()
            .expect("a series")
            .iter()
            .map(|p| {
                (
                    Date::parse(p["period"].as_str().expect("a period")).expect("a date"),
                    num(&p["value"]).expect("a value"),
                )
            })
            .collect();
        assert!(want.len() >= 8, "{name} has data");
        assert_eq!(
            got.iter().map(|p| p.0).collect::<Vec<_>>(),
            want.iter().map(|p| p.0).collect::<Vec<_>>(),
            "periods of {name}"
        );
        for ((p, g), (_, w)) in got.iter().zip(&want) {
            assert!(close(*g, *w), "{name} at {p}: got {g}, want {w}");
        }
        // The latest complete period and the change from the one before.
        let latest = want
            .iter()
            .rev()
            .find(|(p, _)| metric.grain.add(*p, 1) <= today())
            .copied();
        let (lp, lv) = latest.expect("a complete period");
        assert_eq!(
            m["latest"]["period"].as_str(),
            Some(lp.to_string().as_str()),
            "{name}"
        );
        assert_close(
            &format!("latest {name}"),
            num(&m["latest"]["value"]),
            Some(lv),
        );
        let previous = want
            .iter()
            .find(|(p, _)| *p == metric.grain.add(lp, -1))
            .map(|p| p.1);
        assert_close(
            &format!("change of {name}"),
            num(&m["change"]),
            previous.map(|p| lv - p),
        );
        // The target active on the latest period's last day.
        let last_day = Date::from_days_since_epoch(metric.grain.add(lp, 1).days_since_epoch() - 1);
        match metric
            .targets
            .iter()
            .find(|t| t.from <= last_day && last_day <= t.until)
        {
            Some(t) => {
                let status = if lv < t.low {
                    "below"
                } else if lv > t.high {
                    "above"
                } else {
                    "within"
                };
                let higher = metric.direction == Direction::Higher;
                let good = status == "within" || (status == "above") == higher;
                assert_eq!(
                    m["target"]["status"].as_str(),
                    Some(status),
                    "target status of {name}"
                );
                assert_eq!(
                    m["target"]["good"].as_bool(),
                    Some(good),
                    "target of {name}"
                );
                assert_eq!(num(&m["target"]["low"]), Some(t.low));
            }
            None => assert!(m["target"].is_null(), "{name} has no active target"),
        }
    }
    let links = report["links"].as_array().expect("links");
    assert_eq!(links.len(), model.links.len());
    let mut verdicts = BTreeSet::new();
    for l in links {
        let (from, to) = (
            l["from"].as_str().expect("from"),
            l["to"].as_str().expect("to"),
        );
        let link = model
            .links
            .iter()
            .find(|k| k.from == from && k.to == to)
            .expect("a link");
        let want = oracle::link(&model, &tables, link, today());
        let what = format!("{from} -> {to}");
        assert_eq!(l["n"].as_i64(), Some(want.n as i64), "n of {what}");
        assert_eq!(l["m"].as_i64(), Some(want.m as i64), "m of {what}");
        for (key, value) in [
            ("r", want.r),
            ("r_diff", want.r_diff),
            ("rho_from", want.rho_from),
            ("rho_to", want.rho_to),
            ("n_eff", want.n_eff),
            ("z", want.z),
            ("effect", want.effect),
            ("effect_low", want.effect_low),
            ("effect_high", want.effect_high),
        ] {
            assert_close(&format!("{key} of {what}"), num(&l[key]), value);
        }
        engines::assert_same(
            &format!("p of {what}"),
            num(&l["p"]),
            want.p,
            engines::close_p,
        );
        assert_eq!(
            l["verdict"].as_str(),
            Some(want.verdict),
            "verdict of {what}"
        );
        verdicts.insert(want.verdict.to_string());
    }
    for (from, to, verdict) in designed {
        let l = links
            .iter()
            .find(|l| l["from"] == *from && l["to"] == *to)
            .unwrap_or_else(|| panic!("no link {from} -> {to}"));
        assert_eq!(
            l["verdict"].as_str(),
            Some(*verdict),
            "the data was designed so that {from} -> {to} {verdict}"
        );
    }
    verdicts
}

/// `cpic init`'s starter project checks without a warning, is already
/// formatted, and runs: every number matches the oracle over its CSV, and
/// its link is supported by the data it generated.
#[test]
fn the_starter_project_checks_clean_and_matches_its_data() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let project = dir.path().join("starter");
    let project_arg = project.to_string_lossy();
    common::cpic_ok(["init", "--today", common::TODAY, &project_arg]);
    common::cpic_ok([
        "check",
        "--deny-warnings",
        "--today",
        common::TODAY,
        &project_arg,
    ]);
    common::cpic_ok(["fmt", "--check", &project_arg]);
    check_project(
        &project,
        &[("time_to_answer", "conversion_rate", "supports")],
    );

    let again = common::cpic()
        .arg("init")
        .arg(&project)
        .output()
        .expect("cpic runs");
    assert_eq!(
        again.status.code(),
        Some(2),
        "an existing project is never replaced"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("cpi.toml"));
}

#[test]
fn insurance_matches_the_data() {
    let verdicts = check_example(
        "insurance",
        &[
            ("quote_turnaround", "bind_rate", "supports"),
            ("slow_quote_share", "quote_turnaround", "supports"),
            ("quote_turnaround", "premium_per_policy", "contradicts"),
            ("payment_options", "bind_rate", "inconclusive"),
        ],
    );
    assert_eq!(verdicts.len(), 3, "insurance shows all three verdicts");
}

#[test]
fn insurance_target_statuses_differ() {
    let report = common::run_json(&example("insurance"), &[]);
    let statuses: BTreeSet<(String, bool)> = report["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .filter(|m| !m["target"].is_null())
        .map(|m| {
            (
                m["target"]["status"]
                    .as_str()
                    .expect("a status")
                    .to_string(),
                m["target"]["good"].as_bool().expect("good"),
            )
        })
        .collect();
    assert!(statuses.len() >= 3, "several statuses: {statuses:?}");
}

#[test]
fn online_course_matches_the_data() {
    check_example(
        "online-course",
        &[
            ("time_to_trial_lesson", "signups", "supports"),
            ("trial_start_share", "time_to_trial_lesson", "supports"),
        ],
    );
}

#[test]
fn grocery_delivery_matches_the_data() {
    check_example(
        "grocery-delivery",
        &[
            ("intact_orders", "repeat_customers", "supports"),
            ("slots_offered", "late_minutes", "supports"),
            ("late_minutes", "repeat_customers", "contradicts"),
        ],
    );
}

#[test]
fn customer_service_matches_the_data() {
    check_example(
        "customer-service",
        &[
            ("first_contact_resolution", "retention", "supports"),
            ("repeat_contacts", "first_contact_resolution", "supports"),
            (
                "first_contact_resolution",
                "lifetime_value",
                "too_few_periods",
            ),
        ],
    );
}

#[test]
fn a_declared_status_the_data_disagrees_with_is_a_warning() {
    // grocery-delivery declares `slots_offered -> late_minutes` refuted; its
    // data supports it.
    let report = common::run_json(&example("grocery-delivery"), &[]);
    let link = report["links"]
        .as_array()
        .expect("links")
        .iter()
        .find(|l| l["from"] == "slots_offered" && l["to"] == "late_minutes")
        .expect("the link");
    assert_eq!(link["declared_status"], "refuted");
    assert!(link["warning"]
        .as_str()
        .expect("a warning")
        .contains("supports"));
    let (status, table, _) = run(&[
        &example("grocery-delivery").to_string_lossy(),
        "--today",
        common::TODAY,
    ]);
    assert_eq!(status, 0);
    assert!(
        table.contains("warning: slots_offered -> late_minutes"),
        "{table}"
    );
}

/// The JSON schema (keys and value types), snapshotted.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
        Value::String(_) => Value::String("string".into()),
        Value::Number(_) => Value::String("number".into()),
        Value::Bool(_) => Value::String("boolean".into()),
        Value::Null => Value::String("null".into()),
    }
}

#[test]
fn json_schema() {
    let report = common::run_json(&example("insurance"), &[]);
    let schema = serde_json::to_string_pretty(&shape(&report)).expect("JSON");
    insta::assert_snapshot!("run_json_schema", schema);
    // The schema's name is read from one place; docs/run-json.md and
    // `cpic run --help` give the same.
    let name = cpic::run::report::JSON_SCHEMA;
    assert_eq!(report["schema"], name);
    assert_eq!(
        name, "cpic-run/2",
        "a new schema version needs docs/run-json.md"
    );
    let docs = std::fs::read_to_string(common::root().join("docs/run-json.md")).expect("docs");
    assert!(docs.starts_with(&format!("# `cpic run --format json`: schema `{name}`")));
    let help = common::cpic_ok(["run", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains(&format!("Every number, schema `{name}`")),
        "`cpic run --help` names another schema:\n{help}"
    );
}

#[test]
fn table_report_of_insurance() {
    let (status, stdout, stderr) = run(&[
        &example("insurance").to_string_lossy(),
        "--today",
        common::TODAY,
    ]);
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.is_ascii(), "plain ASCII when piped");
    insta::assert_snapshot!("run_table_insurance", stdout);
}

#[test]
fn csv_has_a_row_per_metric_and_period() {
    let root = example("online-course");
    let (status, stdout, _) = run(&[
        &root.to_string_lossy(),
        "--today",
        common::TODAY,
        "--format",
        "csv",
    ]);
    assert_eq!(status, 0);
    let report = common::run_json(&root, &[]);
    let periods: usize = report["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .map(|m| m["series"].as_array().expect("series").len())
        .sum();
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("metric,kind,unit,grain,period,value"));
    assert_eq!(lines.count(), periods);
}

#[test]
fn metric_and_since_select() {
    let root = example("insurance");
    let report = common::run_json(&root, &["--metric", "bind_rate", "--since", "2026-01-05"]);
    let metrics = report["metrics"].as_array().expect("metrics");
    assert_eq!(metrics.len(), 1);
    let series = metrics[0]["series"].as_array().expect("series");
    assert_eq!(series[0]["period"], "2026-01-05");
    // Only the links touching bind_rate, computed on the selected periods.
    for l in report["links"].as_array().expect("links") {
        assert!(l["from"] == "bind_rate" || l["to"] == "bind_rate");
        assert!(l["n"].as_f64().expect("n") <= 21.0);
    }
    // A metric chosen alone keeps its target's status (the run computes
    // the targets of the metrics it shows only).
    let all = common::run_json(&root, &[]);
    let alone = common::run_json(&root, &["--metric", "quote_turnaround"]);
    let target = |report: &serde_json::Value| {
        report["metrics"]
            .as_array()
            .expect("metrics")
            .iter()
            .find(|m| m["name"] == "quote_turnaround")
            .expect("quote_turnaround")["target"]
            .clone()
    };
    assert!(target(&alone).is_object(), "{alone}");
    assert_eq!(target(&alone), target(&all));
    let (status, _, stderr) = run(&[&root.to_string_lossy(), "--metric", "nope"]);
    assert_eq!(status, 2);
    assert!(stderr.contains("no metric named `nope`"), "{stderr}");
}

// ------------------------------------------------------------ other databases

#[test]
fn sqlite_and_postgres_give_the_same_report() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for name in ["insurance", "customer-service"] {
        let duckdb = common::run_json(&example(name), &[]);
        let copy = tables_copy(name, dir.path());
        let model = common::checked_model_at(&example(name));
        // SQLite: a file loaded by the test, opened read-only by cpic.
        let file = dir.path().join(format!("{name}.sqlite"));
        let mut sqlite =
            common::engines::Sqlite(rusqlite::Connection::open(&file).expect("a SQLite file"));
        load_tables(&mut sqlite, &model, &example(name), "");
        drop(sqlite);
        let url = format!("sqlite://{}", file.display());
        let report = common::run_json(&copy, &["--db", &url]);
        assert_same_report(&duckdb, &report, &format!("sqlite {name}"));
        // PostgreSQL, in a schema of its own.
        if let Some(mut pg) =
            common::engines::Postgres::connect(&format!("run_{}", name.replace('-', "_")))
        {
            load_tables(&mut pg, &model, &example(name), "");
            let separator = if pg.url().contains('?') { '&' } else { '?' };
            let url = format!(
                "{}{separator}options=-csearch_path%3D{}",
                pg.url(),
                pg.schema()
            );
            let report = common::run_json(&copy, &["--db", &url]);
            assert_same_report(&duckdb, &report, &format!("postgres {name}"));
        }
    }
}

// ------------------------------------------------------------ errors

#[test]
fn a_missing_table_names_the_source_and_the_database() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let copy = tables_copy("insurance", dir.path());
    let file = dir.path().join("empty.sqlite");
    rusqlite::Connection::open(&file)
        .expect("a file")
        .execute_batch("CREATE TABLE unrelated (x INTEGER)")
        .expect("a table");
    let url = format!("sqlite://{}", file.display());
    let (status, stdout, stderr) = run(&[
        &copy.to_string_lossy(),
        "--db",
        &url,
        "--today",
        common::TODAY,
    ]);
    assert_eq!(status, 1, "{stderr}");
    assert!(stdout.is_empty(), "no half-written report: {stdout}");
    assert!(stderr.contains("cannot compute source `"), "{stderr}");
    assert!(stderr.contains(&url), "{stderr}");
    assert!(
        stderr.contains("no such table"),
        "the engine's own message: {stderr}"
    );
}

#[test]
fn a_bad_url_is_a_usage_error() {
    let (status, _, stderr) = run(&[
        &example("insurance").to_string_lossy(),
        "--db",
        "mysql://localhost/x",
    ]);
    assert_eq!(status, 2);
    assert!(
        stderr.contains("is not a database URL cpic knows"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_server_is_an_error() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let copy = tables_copy("insurance", dir.path());
    let (status, _, stderr) = run(&[
        &copy.to_string_lossy(),
        "--db",
        "postgres://nobody:secret@127.0.0.1:9/nothing?connect_timeout=2",
    ]);
    assert_eq!(status, 1);
    assert!(
        stderr.contains("cannot open database postgres://nobody:***@127.0.0.1:9/nothing"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "the password is not printed");
}

#[test]
fn a_missing_database_file_is_an_error() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let copy = tables_copy("insurance", dir.path());
    let (status, _, stderr) = run(&[
        &copy.to_string_lossy(),
        "--db",
        "sqlite:///nonexistent/x.db",
    ]);
    assert_eq!(status, 1);
    assert!(
        stderr.contains("cannot open database sqlite:///nonexistent/x.db"),
        "{stderr}"
    );
}

#[test]
fn a_spec_with_errors_is_not_run() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join("bad.cpi"), "kpi x { unit: parsecs }").expect("write");
    let (status, stdout, stderr) = run(&[&dir.path().to_string_lossy()]);
    assert_eq!(status, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("error["), "{stderr}");
}

#[test]
fn file_sources_cannot_run_on_sqlite() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("x.sqlite");
    rusqlite::Connection::open(&file).expect("a file");
    let url = format!("sqlite://{}", file.display());
    let (status, _, stderr) = run(&[&example("insurance").to_string_lossy(), "--db", &url]);
    assert_eq!(status, 1);
    assert!(stderr.contains("E0701"), "{stderr}");
}

#[test]
fn parquet_file_sources_run_on_the_embedded_duckdb() {
    // The insurance example with its quotes in a Parquet file instead of a
    // CSV file gives the same report.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let from = example("insurance");
    let to = dir.path().join("insurance");
    std::fs::create_dir_all(to.join("data")).expect("a folder");
    for entry in std::fs::read_dir(&from).expect("the example") {
        let path = entry.expect("an entry").path();
        if path.is_file() {
            let text = std::fs::read_to_string(&path).expect("a file");
            let text = text.replace("file: \"data/quotes.csv\"", "file: \"data/quotes.parquet\"");
            std::fs::write(to.join(path.file_name().expect("a name")), text).expect("write");
        }
    }
    for file in ["policies.csv", "quote_assignments.csv"] {
        std::fs::copy(from.join("data").join(file), to.join("data").join(file)).expect("copy");
    }
    let conn = duckdb::Connection::open_in_memory().expect("DuckDB");
    let quote = |p: &Path| p.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!(
        "SET autoinstall_known_extensions = false; SET autoload_known_extensions = false;
         COPY (SELECT * FROM read_csv('{}', header = true)) TO '{}' (FORMAT parquet)",
        quote(&from.join("data/quotes.csv")),
        quote(&to.join("data/quotes.parquet"))
    ))
    .expect("a Parquet file");
    let csv = common::run_json(&from, &[]);
    let parquet = common::run_json(&to, &[]);
    assert_same_report(&csv, &parquet, "parquet");
}

/// The pairs behind each link (for the docs' scatter plots) come from the
/// SQL backend's `link_pairs` query and equal the oracle's.
#[test]
fn link_pairs_match_the_data() {
    use cpic::run::db::{Database, DatabaseUrl};
    use cpic::run::{execute, plan, RunOptions};
    let root = example("insurance");
    let model = common::checked_model_at(&root);
    let tables = oracle::load_sources(&model, &root);
    let options = RunOptions {
        metrics: Vec::new(),
        since: None,
        today: today(),
        pairs: true,
        standalone: false,
        experiments: Vec::new(),
    };
    let url = DatabaseUrl::DuckDb(None);
    let plan = plan(&model, url.dialect(), options).expect("a plan");
    let mut db = Database::open(&url, &root).expect("DuckDB opens");
    let report =
        execute(&model, &mut db, "duckdb", &plan, &mut |_, _| {}).expect("the run succeeds");
    assert_eq!(report.links.len(), model.links.len());
    for result in &report.links {
        let link = result.link;
        let want: Vec<_> = oracle::link_pairs(&model, &tables, link)
            .into_iter()
            .filter(|(p, _, _)| link.grain.add(link.grain.add(*p, link.lag), 1) <= today())
            .collect();
        let what = format!("{} -> {}", result.link.from, result.link.to);
        assert!(want.len() >= 5, "{what}: the oracle pairs ({})", want.len());
        assert_eq!(result.pairs.len(), want.len(), "{what}: number of pairs");
        assert_eq!(
            result.pairs.len() as i64,
            result.evidence.n,
            "{what}: as many as n"
        );
        for (got, (period, x, y)) in result.pairs.iter().zip(&want) {
            assert_eq!(got.period, *period, "{what}");
            assert_close(&format!("{what} x at {period}"), Some(got.x), Some(*x));
            assert_close(&format!("{what} y at {period}"), Some(got.y), Some(*y));
        }
    }
}

// ------------------------------------------------------------ the run plan

/// Every example gives the same report, pairs and lag profiles by the run
/// plan as by the standalone queries, on the embedded DuckDB.
#[test]
fn the_run_plan_and_the_standalone_queries_agree() {
    for root in common::examples() {
        let model = common::checked_model_at(&root);
        let url = cpic::run::db::DatabaseUrl::DuckDb(None);
        let kept = plans::library_run(&model, &root, &url, today(), false);
        let standalone = plans::library_run(&model, &root, &url, today(), true);
        assert!(!kept.links.is_empty() && kept.links.iter().any(|l| !l.pairs.is_empty()));
        plans::assert_same_results(&kept, &standalone, &root.display().to_string());
    }
}

/// The bytes of a file, to show a run left it alone.
fn bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("the file")
}

/// On SQLite and PostgreSQL too, the run plan and the standalone queries
/// agree; the SQLite file is unchanged by either (temporary tables live in
/// the connection's own space).
#[test]
fn the_run_plan_agrees_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for name in ["insurance", "grocery-delivery"] {
        let copy = tables_copy(name, dir.path());
        let model = common::checked_model_at(&copy);
        let file = dir.path().join(format!("{name}.sqlite"));
        let mut sqlite =
            common::engines::Sqlite(rusqlite::Connection::open(&file).expect("a SQLite file"));
        load_tables(&mut sqlite, &model, &example(name), "");
        drop(sqlite);
        let before = bytes(&file);
        let url = cpic::run::db::DatabaseUrl::Sqlite(file.clone());
        let kept = plans::library_run(&model, &copy, &url, today(), false);
        let standalone = plans::library_run(&model, &copy, &url, today(), true);
        plans::assert_same_results(&kept, &standalone, &format!("sqlite {name}"));
        assert!(bytes(&file) == before, "{name}: the SQLite file changed");
        if let Some(mut pg) =
            common::engines::Postgres::connect(&format!("plan_{}", name.replace('-', "_")))
        {
            load_tables(&mut pg, &model, &example(name), "");
            let separator = if pg.url().contains('?') { '&' } else { '?' };
            let url = cpic::run::db::DatabaseUrl::Postgres(format!(
                "{}{separator}options=-csearch_path%3D{}",
                pg.url(),
                pg.schema()
            ));
            let kept = plans::library_run(&model, &copy, &url, today(), false);
            let standalone = plans::library_run(&model, &copy, &url, today(), true);
            plans::assert_same_results(&kept, &standalone, &format!("postgres {name}"));
        }
    }
}

/// A DuckDB database file opened by a run is unchanged, byte for byte.
#[test]
fn a_duckdb_file_is_unchanged_by_a_run() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let copy = tables_copy("insurance", dir.path());
    let model = common::checked_model_at(&copy);
    let file = dir.path().join("insurance.duckdb");
    {
        let mut duck = common::engines::DuckDb(duckdb::Connection::open(&file).expect("a file"));
        load_tables(&mut duck, &model, &example("insurance"), "");
        duck.0.execute_batch("CHECKPOINT").expect("written");
    }
    let before = bytes(&file);
    let url = cpic::run::db::DatabaseUrl::DuckDb(Some(file.clone()));
    let kept = plans::library_run(&model, &copy, &url, today(), false);
    assert!(bytes(&file) == before, "the DuckDB file changed");
    let standalone = plans::library_run(&model, &copy, &url, today(), true);
    plans::assert_same_results(&kept, &standalone, "duckdb file");
}

/// A PostgreSQL role that may not create temporary tables still gets the
/// report: the run falls back to the standalone queries and says so.
#[test]
fn a_postgres_role_without_temp_gets_the_report() {
    let Ok(admin_url) = std::env::var("CPIC_TEST_POSTGRES_URL") else {
        if std::env::var_os("CI").is_some() {
            panic!("CI must provide a PostgreSQL server in CPIC_TEST_POSTGRES_URL");
        }
        eprintln!("skipping: CPIC_TEST_POSTGRES_URL is not set");
        return;
    };
    let config: postgres::Config = admin_url.parse().expect("a URL");
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let suffix = std::process::id();
    let (database, role) = (
        format!("cpic_no_temp_{suffix}"),
        format!("cpic_reader_{suffix}"),
    );
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).expect("PostgreSQL");
    for statement in [
        format!("DROP DATABASE IF EXISTS {database}"),
        format!("CREATE DATABASE {database}"),
        format!("DROP ROLE IF EXISTS {role}"),
        format!("CREATE ROLE {role} LOGIN PASSWORD 'reader'"),
        format!("REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC"),
    ] {
        admin
            .batch_execute(&statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let copy = tables_copy("insurance", dir.path());
    let model = common::checked_model_at(&copy);
    let owner_url = format!(
        "postgres://{}:{}@{host}:{port}/{database}",
        config.get_user().unwrap_or("postgres"),
        String::from_utf8_lossy(config.get_password().unwrap_or_default()),
    );
    {
        let client = postgres::Client::connect(&owner_url, postgres::NoTls).expect("the database");
        let mut owner = common::engines::Postgres::from_client(client, &owner_url);
        use common::engines::Engine;
        load_tables(&mut owner, &model, &example("insurance"), "");
        owner.execute(&format!(
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"
        ));
    }
    let reader = cpic::run::db::DatabaseUrl::Postgres(format!(
        "postgres://{role}:reader@{host}:{port}/{database}"
    ));
    let options = cpic::run::RunOptions {
        metrics: Vec::new(),
        since: None,
        today: today(),
        pairs: true,
        standalone: false,
        experiments: Vec::new(),
    };
    let plan = cpic::run::plan(&model, reader.dialect(), options).expect("a plan");
    let mut db = cpic::run::db::Database::open(&reader, &copy).expect("the reader connects");
    let report = cpic::run::execute(&model, &mut db, "pg", &plan, &mut |_, _| {})
        .expect("the run falls back");
    drop(db);
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    assert!(
        report.notes[0].contains("temporary table"),
        "{}",
        report.notes[0]
    );
    let original = common::checked_model_at(&example("insurance"));
    let url = cpic::run::db::DatabaseUrl::DuckDb(None);
    let duckdb = plans::library_run(&original, &example("insurance"), &url, today(), false);
    plans::assert_same_results(&report, &duckdb, "postgres without TEMP");
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
    let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
}
