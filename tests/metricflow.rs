//! `cpic export metricflow`, verified by MetricFlow itself: the exported
//! dbt project is built with dbt-duckdb, validated by `mf validate-configs`
//! (parsing, semantics and every measure, dimension and metric against the
//! warehouse), and `mf query` must give every value `cpic run` gives.
//!
//! Needs dbt-core 1.9, dbt-duckdb 1.9 and dbt-metricflow 0.8 in the virtual
//! environment `CPIC_TEST_DBT_VENV` (`.ci/run` installs them from PyPI).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn venv() -> Option<PathBuf> {
    match std::env::var_os("CPIC_TEST_DBT_VENV") {
        Some(v) => Some(PathBuf::from(v)),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must set CPIC_TEST_DBT_VENV"
            );
            eprintln!("skipped: CPIC_TEST_DBT_VENV is not set");
            None
        }
    }
}

/// Runs a tool of the dbt environment in the exported project.
fn tool(venv: &Path, dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(venv.join("bin").join(program))
        .args(args)
        .current_dir(dir)
        .env("DBT_PROFILES_DIR", dir)
        .env("DO_NOT_TRACK", "1")
        .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", venv.join("bin").display()),
        )
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{program} {args:?} failed:\n{text}");
    text
}

/// Exports `example` to `out`; returns the metrics left out (warned).
fn export(example: &Path, out: &Path) -> Vec<String> {
    let run = common::cpic_ok([
        "export".as_ref(),
        "metricflow".as_ref(),
        "--today".as_ref(),
        common::TODAY.as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        example.as_os_str(),
    ]);
    String::from_utf8_lossy(&run.stderr)
        .lines()
        .filter_map(|l| {
            let rest = l.split("metric `").nth(1)?;
            let (name, after) = rest.split_once('`')?;
            after.starts_with(" is left out").then(|| name.to_string())
        })
        .collect()
}

/// `cpic run`'s series: metric → period → value.
fn cpic_series(example: &Path) -> BTreeMap<String, BTreeMap<String, f64>> {
    let out = common::cpic()
        .args(["run", "--today", common::TODAY, "--format", "json"])
        .arg(example)
        .output()
        .expect("cpic runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mut series = BTreeMap::new();
    for metric in report["metrics"].as_array().expect("metrics") {
        let values = metric["series"]
            .as_array()
            .expect("a series")
            .iter()
            .filter_map(|p| Some((p["period"].as_str()?.to_string(), p["value"].as_f64()?)))
            .collect();
        series.insert(metric["name"].as_str().unwrap().to_string(), values);
    }
    series
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn verify(example: &str, at_least: usize, expected_left_out: &[&str]) {
    let Some(venv) = venv() else { return };
    let example = common::root().join(example);
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("dbt");
    let left_out = export(&example, &project);
    assert_eq!(left_out, expected_left_out, "metrics left out");

    tool(&venv, &project, "dbt", &["run"]);
    let validation = tool(&venv, &project, "mf", &["validate-configs"]);
    assert!(
        !validation.contains("ERRORS: 1")
            && validation.contains("Successfully validated metrics against data warehouse"),
        "{validation}"
    );

    let (_, compilation) = common::compile_path(&example);
    let model = compilation.model.expect("the example checks");
    let want = cpic_series(&example);
    // One query per grain, every metric of that grain in it.
    let mut by_grain: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for metric in model
        .metrics
        .iter()
        .filter(|m| !expected_left_out.contains(&m.name.as_str()))
    {
        by_grain
            .entry(metric.grain.name())
            .or_default()
            .push(&metric.name);
    }
    let mut compared = 0;
    for (grain, metrics) in by_grain {
        let csv = dir.path().join(format!("{grain}.csv"));
        let group_by = format!("metric_time__{grain}");
        tool(
            &venv,
            &project,
            "mf",
            &[
                "query",
                "--metrics",
                &metrics.join(","),
                "--group-by",
                &group_by,
                "--csv",
                csv.to_str().unwrap(),
            ],
        );
        let text = std::fs::read_to_string(&csv).expect("mf wrote the CSV");
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
        let mut got: BTreeMap<&str, BTreeMap<String, f64>> = BTreeMap::new();
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            let period = cells[0].split(' ').next().unwrap().to_string();
            for (name, cell) in header.iter().zip(&cells).skip(1) {
                if let Ok(value) = cell.parse::<f64>() {
                    got.entry(name).or_default().insert(period.clone(), value);
                }
            }
        }
        for metric in metrics {
            let want = &want[metric];
            let got = got.remove(metric).unwrap_or_default();
            // A cumulative metric goes on after cpic's last period (its
            // windows still hold rows); cpic's periods must all be there.
            if model.metric(metric).is_some_and(|m| m.window.is_some()) {
                assert!(
                    want.keys().all(|p| got.contains_key(p)),
                    "periods of {metric}: MetricFlow lacks some of cpic's"
                );
            } else {
                assert_eq!(
                    got.keys().collect::<Vec<_>>(),
                    want.keys().collect::<Vec<_>>(),
                    "periods of {metric}"
                );
            }
            for (period, value) in want {
                assert!(
                    close(got[period], *value),
                    "{metric} at {period}: MetricFlow {}, cpic {value}",
                    got[period]
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= at_least, "only {compared} values compared");
}

#[test]
fn insurance_in_metricflow_gives_cpics_numbers() {
    verify("examples/insurance", 500, &[]);
}

#[test]
fn grocery_delivery_in_metricflow_gives_cpics_numbers() {
    verify("examples/grocery-delivery", 500, &[]);
}

/// Names that are SQL keywords (`at`) and strings built to break out of
/// YAML, Jinja and SQL still give MetricFlow's validation and cpic's numbers.
#[test]
fn the_hostile_fixture_in_metricflow_gives_cpics_numbers() {
    verify("tests/fixtures/docs/hostile", 4, &[]);
}

/// The language's kinds that MetricFlow expresses exactly are exported
/// (the examples' windows, `*_to_date` and `prior` are verified by
/// `mf query` above; a snapshot over dates as a non-additive dimension);
/// the others are left out with a warning naming the metric.
#[test]
fn metric_kinds_are_exported_exactly_or_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("dbt");
    let left_out = export(&common::root().join("tests/fixtures/kinds"), &project);
    assert_eq!(
        left_out,
        [
            "active_converted",
            "complaints",
            "converted",
            "converted_by_day",
            "day_and_a_half",
            "first_amount",
            "last_level",
            "mean_filled",
            "median_28d",
            "month_to_date",
            "p90_3m",
            "pro_customers",
            "quarter_window",
            "same_instant",
            // Derived: after the metrics it reads.
            "month_over_month",
        ]
    );
    let metrics = std::fs::read_to_string(project.join("models/metrics.yml")).unwrap();
    for expected in [
        "window: \"28 days\"",
        "window: \"7 days\"",
        "grain_to_date: \"year\"",
        "grain_to_date: \"quarter\"",
        "grain_to_date: \"week\"",
        "period_agg: \"last\"",
        "offset_window: \"52 weeks\"",
        "alias: \"weekly_prior_52\"",
    ] {
        assert!(metrics.contains(expected), "{expected} missing:\n{metrics}");
    }
    let project = dir.path().join("service");
    export(&common::root().join("examples/customer-service"), &project);
    let models = std::fs::read_to_string(project.join("models/semantic_models.yml")).unwrap();
    assert!(models.contains("window_choice: \"max\""), "{models}");
}

/// What MetricFlow has no field for travels in `config.meta.cpic`.
#[test]
fn links_targets_and_evidence_are_in_meta() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("dbt");
    export(&common::root().join("examples/insurance"), &project);
    let metrics = std::fs::read_to_string(project.join("models/metrics.yml")).unwrap();
    for expected in [
        "name: \"quote_turnaround\"",
        "kind: \"contextual_inquiry\"",
        "experiment: \"instant_quotes\"",
        "name: \"h1_2026\"",
        "to: \"bind_rate\"",
        "unit: \"s\"",
        "direction: \"lower\"",
        "expected_sign: -1",
        "evidence: \"LANGUAGE.md section 9",
    ] {
        assert!(metrics.contains(expected), "{expected} missing");
    }
}
