//! Calibration of the sample-ratio check of experiments (LANGUAGE.md
//! section 11, issue 18): simulated assignments, 2,000 units expected in
//! the smallest variant, analysed by the generated enrolment SQL on DuckDB
//! (what `cpic run` will do). On healthy experiments `srm_p < 0.001` must
//! be as rare as 0.1%; on experiments that lost 20% of one variant's units
//! it must be (almost) always. (With 2,000 units in all, 1,000 against 800,
//! no test at the 0.001 level can flag more than ~92%: the noncentrality
//! is 22, so √22 − 3.29 standard deviations.)
//!
//! `cargo run --release --example srm_calibration [RUNS]` (default 1,000
//! per scenario with losses, five times as many healthy ones to see a rate
//! of 0.1%; deterministic: SplitMix64 from a fixed seed).

use std::time::Instant;

use cpic::date::Date;
use cpic::model::Model;
use cpic::random::SplitMix64;
use cpic::sql::{self, results::SRM_ALPHA, DialectName, Options};

/// One assignments table and two experiments over it: 50/50 and, on
/// another variant column, 20/40/40.
const SPEC: &str = r#"
team t { name: "T" }
source sim { table: "sim" time: at columns { unit: int  at: date  x: bool } }
source assign { table: "assign" time: at columns { unit: int  at: date  arm: text  arm3: text } }
cpi c { title: "C" outcome: "o" owner: t unit: % direction: higher tier: core
  evidence: contextual_inquiry "v" source: sim measure: avg(x) grain: week }
kpi k { title: "K" owner: t unit: % direction: higher source: sim measure: avg(x) grain: week }
link c -> k { hypothesis: "h" }
experiment halves { title: "H" owner: t tests: c -> k assignments: assign unit: unit variant: arm
  control: "a" split: 50% 50% from: 2026-04-01 until: 2026-04-28 }
experiment thirds { title: "T" owner: t tests: c -> k assignments: assign unit: unit variant: arm3
  control: "a" split: 20% 40% 40% from: 2026-04-01 until: 2026-04-28 }
"#;

fn model() -> Model {
    let mut db = cpic::source::SourceDb::new();
    db.add("srm.cpi", SPEC);
    let options = cpic::Options {
        today: Date::parse("2026-06-01").expect("a date"),
    };
    cpic::compile(&db, &options)
        .model
        .expect("the calibration spec checks")
}

struct Scenario {
    name: &'static str,
    experiment: &'static str,
    /// Units assigned (2,000 expected in the smallest variant).
    units: u32,
    /// The share of the last variant's units that never reach the data.
    lost: f64,
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let model = model();
    let generator = sql::Generator::new(&model, DialectName::Duckdb, &Options::default());
    let conn = duckdb::Connection::open_in_memory().expect("DuckDB");
    // Rows go in by DuckDB's appender (a VALUES list of thousands of rows
    // takes DuckDB a second to bind); the view makes the day a date.
    conn.execute_batch(
        "SET threads = 1; CREATE TABLE assign_raw (unit INTEGER, day INTEGER, arm TEXT, arm3 TEXT); CREATE VIEW assign AS SELECT unit, DATE '2026-03-31' + day AS \"at\", arm, arm3 FROM assign_raw",
    )
    .expect("a table");
    let mut rng = SplitMix64(0x5EED_0011);
    let scenario = |name, experiment, units, lost| Scenario {
        name,
        experiment,
        units,
        lost,
    };
    let scenarios = [
        scenario("50/50, healthy", "halves", 4_000, 0.0),
        scenario("20/40/40, healthy", "thirds", 10_000, 0.0),
        scenario("50/50, 20% of one variant lost", "halves", 4_000, 0.2),
        scenario("20/40/40, 20% of a 40% variant lost", "thirds", 10_000, 0.2),
        scenario(
            "50/50, 2,000 units in all, 20% of one lost",
            "halves",
            2_000,
            0.2,
        ),
    ];
    println!("| scenario | runs | units | `srm_p < 0.001` | target |");
    println!("|---|---:|---:|---:|---|");
    let started = Instant::now();
    let mut total = 0;
    for s in &scenarios {
        let e = model.experiment(s.experiment).expect("the experiment");
        let query = generator.enrolment(e).expect("sql");
        let select = format!(
            "SELECT MIN(q.srm_p) FROM ({}) AS q",
            query.trim_end().trim_end_matches(';')
        );
        // Planned once: the query's plan is most of a run's time.
        let mut statement = conn.prepare(&select).expect("the query");
        let mut flagged = 0;
        let runs = if s.lost > 0.0 { runs } else { 5 * runs };
        for _ in 0..runs {
            conn.execute_batch("DELETE FROM assign_raw")
                .expect("emptied");
            let mut appender = conn.appender("assign_raw").expect("an appender");
            for unit in 0..s.units {
                let u = rng.unit();
                let arm = if u < 0.5 { "a" } else { "b" };
                let arm3 = if u < 0.2 {
                    "a"
                } else if u < 0.6 {
                    "b"
                } else {
                    "c"
                };
                let last = if s.experiment == "halves" {
                    arm == "b"
                } else {
                    arm3 == "c"
                };
                if last && rng.unit() < s.lost {
                    continue;
                }
                let day = 1 + (rng.next_u64() % 28) as i32;
                appender
                    .append_row(duckdb::params![unit, day, arm, arm3])
                    .expect("a row");
            }
            appender.flush().expect("the rows");
            drop(appender);
            let p: f64 = statement.query_row([], |row| row.get(0)).expect("a p");
            if p < SRM_ALPHA {
                flagged += 1;
            }
        }
        let target = match (s.lost > 0.0, s.units) {
            (true, 2_000) => "≈ 92%: the power of any test at 0.001 here",
            (true, _) => "≥ 99%",
            (false, _) => "≈ 0.1% (the level)",
        };
        println!(
            "| {} | {runs} | {} | {:.2}% | {target} |",
            s.name,
            s.units,
            100.0 * flagged as f64 / runs as f64
        );
        total += runs;
    }
    eprintln!(
        "{total} experiments in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
