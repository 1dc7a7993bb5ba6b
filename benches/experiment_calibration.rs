//! Calibration of an experiment's intervals (LANGUAGE.md section 11,
//! issue 18), for every kind of aggregate: simulated experiments whose
//! units have several correlated rows (a unit-level random effect on every
//! row), analysed by the generated effects SQL on DuckDB (what `cpic run`
//! does).
//!
//! - A/A (no effect): a 95% interval should exclude zero in about 5% of
//!   experiments (at most 6.5% is the bar).
//! - A/B (a known effect on every metric): the interval should hold the
//!   true population difference in about 95% (at least 93%). The truth is
//!   each metric's value on 400,000 simulated units per arm.
//!
//! `cargo run --release --example experiment_calibration [RUNS] [UNITS]`
//! (default 500 runs of each kind, 1,000 units per arm; deterministic:
//! SplitMix64 from a fixed seed).
//!
//! `cargo run --release --example experiment_calibration speed [UNITS]
//! [GUARDRAILS]` times instead one experiment of 1,000,000 assigned units
//! (and about 2.3 rows each) through the enrolment and effects queries, as
//! `cpic run` runs them on the embedded DuckDB (one thread); GUARDRAILS
//! (`spend,orders`) replaces the six guardrails.

use std::time::Instant;

use cpic::date::Date;
use cpic::model::Model;
use cpic::random::SplitMix64;
use cpic::sql::{self, results::EffectColumn, DialectName, Options};

const SPEC: &str = r#"
team t { name: "T" }
source rows { table: "rows" time: at columns { unit: int  at: date  x: USD  b: bool  web: bool  order_id: int } }
source assign { table: "assign" time: at columns { unit: int  at: date  arm: text } }
cpi visits { title: "Visits" outcome: "o" owner: t unit: count direction: higher tier: core
  evidence: contextual_inquiry "v" source: rows measure: count() grain: week }
kpi conversion { title: "C" owner: t unit: % direction: higher source: rows measure: avg(b) grain: week }
kpi spend { title: "S" owner: t unit: USD direction: higher source: rows measure: sum(x) grain: week }
kpi avg_spend { title: "A" owner: t unit: USD direction: higher source: rows measure: avg(x) grain: week }
kpi web_share { title: "W" owner: t unit: % direction: higher source: rows measure: count(where web) / count() grain: week }
kpi orders { title: "O" owner: t unit: count direction: higher source: rows measure: count_distinct(order_id) grain: week }
kpi median_spend { title: "M" owner: t unit: USD direction: higher source: rows measure: median(x) grain: week }
kpi p90_spend { title: "P" owner: t unit: USD direction: higher source: rows measure: percentile(x, 0.9) grain: week }
link visits -> conversion { hypothesis: "h" }
experiment e { title: "E" owner: t tests: visits -> conversion
  guardrails: spend, avg_spend, web_share, orders, median_spend, p90_spend
  assignments: assign unit: unit variant: arm control: "a" from: 2026-04-01 until: 2026-04-28 }
"#;

/// The metrics in the query's order, with how the truth is computed.
const METRICS: [&str; 8] = [
    "visits",
    "conversion",
    "spend",
    "avg_spend",
    "web_share",
    "orders",
    "median_spend",
    "p90_spend",
];

fn model() -> Model {
    let mut db = cpic::source::SourceDb::new();
    db.add("experiment.cpi", SPEC);
    let options = cpic::Options {
        today: Date::parse("2026-06-01").expect("a date"),
    };
    cpic::compile(&db, &options)
        .model
        .expect("the calibration spec checks")
}

fn normal(rng: &mut SplitMix64) -> f64 {
    let (u, v) = (rng.unit().max(1e-300), rng.unit());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The mean number of rows per unit of the calibration (before the cap).
const CALIBRATION_ROWS: f64 = 2.4;

/// One simulated row.
struct Row {
    day: i32,
    x: f64,
    b: bool,
    web: bool,
    order: i64,
}

/// A unit's rows: 0 to 7 (a geometric count of mean about `rows`, ×1.15
/// under the effect, then capped), every value
/// shifted by the unit's own random effect, so that rows of one unit are
/// correlated.
fn unit_rows(rng: &mut SplitMix64, unit: i64, day: i32, effect: bool, rows: f64) -> Vec<Row> {
    let u = 0.6 * normal(rng);
    let mean = if effect { rows * 1.15 } else { rows };
    // A geometric-like count, capped.
    let mut k = 0;
    while k < 7 && rng.unit() < mean / (mean + 1.0) {
        k += 1;
    }
    (0..k)
        .map(|i| {
            let lift = if effect { 0.1 } else { 0.0 };
            Row {
                day: day + (rng.next_u64() % (29 - day as u64)) as i32,
                x: (3.0 + u + lift + 0.5 * normal(rng)).exp(),
                b: rng.unit() < 1.0 / (1.0 + (0.5 - u - 2.0 * lift).exp()),
                web: rng.unit() < 0.5 + 0.3 * u.tanh() + lift,
                order: unit * 100 + i64::from(i / 2),
            }
        })
        .collect()
}

/// Every metric's population value for one arm, from `units` simulated
/// units (the ratios of expectations the metrics estimate).
fn truth(rng: &mut SplitMix64, units: i64, effect: bool) -> [f64; 8] {
    let (mut rows, mut b, mut x, mut web, mut orders) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut xs = Vec::new();
    for unit in 0..units {
        let r = unit_rows(rng, unit, 1, effect, CALIBRATION_ROWS);
        rows += r.len() as f64;
        b += r.iter().filter(|r| r.b).count() as f64;
        web += r.iter().filter(|r| r.web).count() as f64;
        x += r.iter().map(|r| r.x).sum::<f64>();
        orders += r.len().div_ceil(2) as f64;
        xs.extend(r.iter().map(|r| r.x));
    }
    xs.sort_by(f64::total_cmp);
    let quantile = |p: f64| xs[((xs.len() - 1) as f64 * p).round() as usize];
    let n = units as f64;
    [
        rows / n,
        100.0 * b / rows,
        x / n,
        x / rows,
        100.0 * web / rows,
        orders / n,
        quantile(0.5),
        quantile(0.9),
    ]
}

/// Fills the two tables with `units` units, alternately in arm a and b.
fn load(conn: &duckdb::Connection, rng: &mut SplitMix64, units: i64, effect: bool, mean_rows: f64) {
    conn.execute_batch("DELETE FROM assign_raw; DELETE FROM rows_raw")
        .expect("emptied");
    let mut assign = conn.appender("assign_raw").expect("an appender");
    let mut rows = conn.appender("rows_raw").expect("an appender");
    for unit in 0..units {
        let arm = if unit % 2 == 0 { "a" } else { "b" };
        let day = 1 + (rng.next_u64() % 28) as i32;
        assign
            .append_row(duckdb::params![unit, day, arm])
            .expect("a row");
        for r in unit_rows(rng, unit, day, effect && arm == "b", mean_rows) {
            rows.append_row(duckdb::params![unit, r.day, r.x, r.b, r.web, r.order])
                .expect("a row");
        }
    }
}

fn connection() -> duckdb::Connection {
    let conn = duckdb::Connection::open_in_memory().expect("DuckDB");
    conn.execute_batch(
        "SET threads = 1;
         CREATE TABLE assign_raw (unit BIGINT, day INTEGER, arm TEXT);
         CREATE VIEW assign AS SELECT unit, DATE '2026-03-31' + day AS \"at\", arm FROM assign_raw;
         CREATE TABLE rows_raw (unit BIGINT, day INTEGER, x DOUBLE, b BOOLEAN, web BOOLEAN, order_id BIGINT);
         CREATE VIEW \"rows\" AS SELECT unit, DATE '2026-03-31' + day AS \"at\", x, b, web, order_id FROM rows_raw;",
    )
    .expect("tables");
    conn
}

/// One large experiment, timed.
fn speed(units: i64, guardrails: Option<&str>) {
    // Fewer guardrails: a smaller experiment on the same data.
    let model = match guardrails {
        Some(g) => {
            let spec = SPEC.replace(
                "guardrails: spend, avg_spend, web_share, orders, median_spend, p90_spend",
                &format!("guardrails: {g}"),
            );
            let mut db = cpic::source::SourceDb::new();
            db.add("experiment.cpi", spec.as_str());
            let options = cpic::Options {
                today: Date::parse("2026-06-01").expect("a date"),
            };
            cpic::compile(&db, &options).model.expect("checks")
        }
        None => model(),
    };
    let e = model.experiment("e").expect("the experiment");
    let generator = sql::Generator::new(&model, DialectName::Duckdb, &Options::default());
    let conn = connection();
    let mut rng = SplitMix64(0x5EED_0019);
    let started = Instant::now();
    // About three metric rows per unit.
    load(&conn, &mut rng, units, true, 3.6);
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM rows_raw", [], |r| r.get(0))
        .expect("a count");
    eprintln!(
        "loaded {units} units and {rows} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for (what, sql) in [
        ("enrolment", generator.enrolment(e).expect("sql")),
        ("effects", generator.effects(e).expect("sql")),
    ] {
        let started = Instant::now();
        let mut statement = conn.prepare(&sql).expect("the query");
        let mut result = statement.query([]).expect("the query runs");
        let mut n = 0;
        while result.next().expect("a row").is_some() {
            n += 1;
        }
        println!(
            "{what}: {n} rows in {:.2} s ({units} units, {rows} metric rows, {} metrics)",
            started.elapsed().as_secs_f64(),
            e.metrics().count()
        );
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("speed") {
        let units = std::env::args()
            .nth(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or(1_000_000);
        let guardrails = std::env::args().nth(3);
        return speed(units, guardrails.as_deref());
    }
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let per_arm: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let model = model();
    let e = model.experiment("e").expect("the experiment");
    let query = sql::Generator::new(&model, DialectName::Duckdb, &Options::default())
        .effects(e)
        .expect("sql");
    let conn = connection();
    let select = format!(
        "SELECT q.{}, q.{}, q.{} FROM ({}) AS q",
        EffectColumn::Metric.name(),
        EffectColumn::Low.name(),
        EffectColumn::High.name(),
        query.trim_end().trim_end_matches(';')
    );
    let mut statement = conn.prepare(&select).expect("the query");
    let mut rng = SplitMix64(0x5EED_0018);
    let started = Instant::now();
    let control = truth(&mut rng, 400_000, false);
    let treated = truth(&mut rng, 400_000, true);
    eprintln!("truth in {:.1} s", started.elapsed().as_secs_f64());
    println!("| metric | A/A: interval excludes 0 | A/B: true difference | A/B: interval holds it | A/B: excludes 0 (power) |");
    println!("|---|---:|---:|---:|---:|");
    let mut excluded_aa = [0usize; 8];
    let mut held = [0usize; 8];
    let mut excluded_ab = [0usize; 8];
    for effect in [false, true] {
        for _ in 0..runs {
            load(&conn, &mut rng, 2 * per_arm, effect, CALIBRATION_ROWS);
            let mut result = statement.query([]).expect("the effects");
            while let Some(row) = result.next().expect("a row") {
                let metric: String = row.get(0).expect("metric");
                let (lo, hi): (Option<f64>, Option<f64>) =
                    (row.get(1).expect("low"), row.get(2).expect("high"));
                let i = METRICS.iter().position(|m| *m == metric).expect("a metric");
                let (Some(lo), Some(hi)) = (lo, hi) else {
                    continue;
                };
                if effect {
                    let truth = treated[i] - control[i];
                    if lo <= truth && truth <= hi {
                        held[i] += 1;
                    }
                    if lo > 0.0 || hi < 0.0 {
                        excluded_ab[i] += 1;
                    }
                } else if lo > 0.0 || hi < 0.0 {
                    excluded_aa[i] += 1;
                }
            }
        }
    }
    let percent = |n: usize| 100.0 * n as f64 / runs as f64;
    for (i, m) in METRICS.iter().enumerate() {
        println!(
            "| {m} | {:.1}% | {:+.4} | {:.1}% | {:.1}% |",
            percent(excluded_aa[i]),
            treated[i] - control[i],
            percent(held[i]),
            percent(excluded_ab[i]),
        );
    }
    eprintln!(
        "{} experiments of {} units in {:.1} s",
        2 * runs,
        2 * per_arm,
        started.elapsed().as_secs_f64()
    );
}
