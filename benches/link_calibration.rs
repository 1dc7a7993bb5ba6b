//! Calibration of the link verdict (issue 16): simulated pairs of series
//! with no effect and with a real lagged effect, judged by the rule `cpic`
//! used before section 9 (levels' correlation, |t| ≥ 2), by the generated
//! SQL of LANGUAGE.md section 9 run on DuckDB (what `cpic run` does), and
//! by the Rust reference in `tests/common/section9.rs`, which must agree
//! with the SQL on every simulated link.
//!
//! `cargo run --release --example link_calibration [RUNS]` (default 1,000
//! per scenario; deterministic: SplitMix64 from a fixed seed).

#[allow(dead_code)] // Holm is for segments, which this benchmark does not simulate.
#[path = "../tests/common/section9.rs"]
mod section9;

use std::time::{Duration, Instant};

use cpic::date::Date;
use cpic::model::{Grain, Model};
use cpic::random::SplitMix64;
use cpic::sql::{self, DialectName, Options};
use section9::correlation;

/// The project's SplitMix64 with Box–Muller normals.
struct Rng(SplitMix64);

impl Rng {
    /// Uniform in (0, 1): never 0, whose logarithm Box–Muller takes.
    fn uniform(&mut self) -> f64 {
        ((self.0.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    fn ar1(&mut self, n: usize, phi: f64) -> Vec<f64> {
        let mut x = self.normal() / (1.0 - phi * phi).sqrt();
        (0..n)
            .map(|_| {
                x = phi * x + self.normal();
                x
            })
            .collect()
    }
}

/// One simulated link: both series by period, the grain and the lag.
struct Case {
    x: Vec<f64>,
    y: Vec<f64>,
    grain: Grain,
    lag: usize,
}

struct Scenario {
    name: &'static str,
    effect: bool,
    make: fn(&mut Rng) -> Case,
}

const WEEKS: usize = 104;

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "white noise, 104 weeks",
            effect: false,
            make: |r| Case {
                x: (0..WEEKS).map(|_| r.normal()).collect(),
                y: (0..WEEKS).map(|_| r.normal()).collect(),
                grain: Grain::Week,
                lag: 1,
            },
        },
        Scenario {
            name: "independent random walks, 104 weeks",
            effect: false,
            make: |r| Case {
                x: r.ar1(WEEKS, 1.0 - 1e-9),
                y: r.ar1(WEEKS, 1.0 - 1e-9),
                grain: Grain::Week,
                lag: 1,
            },
        },
        Scenario {
            name: "independent AR(1), phi 0.9, 104 weeks",
            effect: false,
            make: |r| Case {
                x: r.ar1(WEEKS, 0.9),
                y: r.ar1(WEEKS, 0.9),
                grain: Grain::Week,
                lag: 1,
            },
        },
        Scenario {
            name: "both improve over time (trend + AR(1)), 104 weeks",
            effect: false,
            make: |r| {
                let trend = |t: usize| 0.05 * t as f64;
                let (nx, ny) = (r.ar1(WEEKS, 0.5), r.ar1(WEEKS, 0.5));
                Case {
                    x: (0..WEEKS).map(|t| trend(t) + nx[t]).collect(),
                    y: (0..WEEKS).map(|t| trend(t) + ny[t]).collect(),
                    grain: Grain::Week,
                    lag: 1,
                }
            },
        },
        Scenario {
            name: "shared yearly season, 48 months",
            effect: false,
            make: |r| {
                let season = |t: usize| 2.0 * (2.0 * std::f64::consts::PI * t as f64 / 12.0).sin();
                Case {
                    x: (0..48).map(|t| season(t) + r.normal()).collect(),
                    y: (0..48).map(|t| season(t) + r.normal()).collect(),
                    grain: Grain::Month,
                    lag: 0,
                }
            },
        },
        Scenario {
            name: "effect: y a week later, levels r 0.5, 52 weeks",
            effect: true,
            make: |r| effect(r, 0.0),
        },
        Scenario {
            name: "effect with trends in both, 52 weeks",
            effect: true,
            make: |r| effect(r, 0.05),
        },
    ]
}

/// Y at p + 1 moves with X at p (levels correlation 0.5), plus a trend.
fn effect(r: &mut Rng, trend: f64) -> Case {
    let n = 53;
    let x: Vec<f64> = (0..n).map(|_| r.normal()).collect();
    let mut y = vec![r.normal()];
    for t in 1..n {
        y.push(0.5 * x[t - 1] + 0.75f64.sqrt() * r.normal());
    }
    Case {
        x: (0..n).map(|t| x[t] + trend * t as f64).collect(),
        y: (0..n).map(|t| y[t] + trend * t as f64).collect(),
        grain: Grain::Week,
        lag: 1,
    }
}

/// The rule of today: the levels' correlation with |t| ≥ 2 in the expected
/// direction, unless the differences' correlation has the other sign.
fn old_verdict(pairs: &[(Date, f64, f64)]) -> &'static str {
    let levels: Vec<(f64, f64)> = pairs.iter().map(|p| (p.1, p.2)).collect();
    let diffs: Vec<(f64, f64)> = levels
        .windows(2)
        .map(|w| (w[1].0 - w[0].0, w[1].1 - w[0].1))
        .collect();
    let (Some(r), r_diff) = (correlation(&levels), correlation(&diffs)) else {
        return "inconclusive";
    };
    let n = levels.len() as f64;
    let strong = r.abs() >= 1.0 || (r * ((n - 2.0) / (1.0 - r * r)).sqrt()).abs() >= 2.0;
    if r > 0.0 && strong && !r_diff.is_some_and(|d| d < 0.0) {
        "supports"
    } else if r < 0.0 && strong {
        "contradicts"
    } else {
        "inconclusive"
    }
}

/// Two links over one table `sim` (`at`, `x`, `y`): weekly with a lag of
/// one week, monthly with none, as the scenarios need. Both metrics are
/// higher-is-better and the link expects `improves`: expected sign +1.
const SPEC: &str = r#"
team t { name: "T" }
source sim { table: "sim" time: at columns { at: date  x: s  y: USD } }
cpi x_week { title: "X" outcome: "o" owner: t unit: s direction: higher tier: core
  evidence: contextual_inquiry "v" source: sim measure: sum(x) grain: week }
kpi y_week { title: "Y" owner: t unit: USD direction: higher source: sim measure: sum(y) grain: week }
cpi x_month { title: "X" outcome: "o" owner: t unit: s direction: higher
  evidence: contextual_inquiry "v" source: sim measure: sum(x) grain: month }
kpi y_month { title: "Y" owner: t unit: USD direction: higher source: sim measure: sum(y) grain: month }
link x_week -> y_week { hypothesis: "h" lag: 1 week }
link x_month -> y_month { hypothesis: "h" }
"#;

fn model() -> Model {
    let mut db = cpic::source::SourceDb::new();
    db.add("calibration.cpi", SPEC);
    let options = cpic::Options {
        today: Date::parse("2026-06-01").expect("a date"),
    };
    let compilation = cpic::compile(&db, &options);
    compilation.model.expect("the calibration spec checks")
}

/// The generated evidence query of section 9 on an embedded DuckDB.
struct SqlJudge {
    conn: duckdb::Connection,
    weekly: String,
    monthly: String,
    spent: Duration,
}

impl SqlJudge {
    fn new() -> SqlJudge {
        let model = model();
        let options = Options {
            as_of: Date::parse("2100-01-01"),
            since: None,
        };
        let generator = sql::Generator::new(&model, DialectName::Duckdb, &options);
        let query = |from: &str, to: &str| generator.link_evidence(from, to).expect("sql");
        let conn = duckdb::Connection::open_in_memory().expect("DuckDB");
        conn.execute_batch("SET threads = 1; CREATE TABLE sim (\"at\" DATE, x DOUBLE, y DOUBLE)")
            .expect("a table");
        SqlJudge {
            weekly: query("x_week", "y_week"),
            monthly: query("x_month", "y_month"),
            conn,
            spent: Duration::ZERO,
        }
    }

    /// The verdict of the generated SQL on one simulated link: the series
    /// as rows of `sim` (x and y at each period, one row per period).
    fn verdict(&mut self, case: &Case, start: Date) -> String {
        let rows: Vec<String> = (0..case.x.len())
            .map(|t| {
                let period = case.grain.add(case.grain.period_start(start), t as i64);
                format!("(DATE '{period}', {:?}, {:?})", case.x[t], case.y[t])
            })
            .collect();
        self.conn
            .execute_batch(&format!(
                "DELETE FROM sim; INSERT INTO sim VALUES {}",
                rows.join(", ")
            ))
            .expect("the rows");
        let query = match (case.grain, case.lag) {
            (Grain::Week, 1) => &self.weekly,
            (Grain::Month, 0) => &self.monthly,
            other => panic!("no link for {other:?}"),
        };
        let started = Instant::now();
        let verdict: String = self
            .conn
            .query_row(
                &format!(
                    "SELECT verdict FROM ({}) AS q WHERE q.segment IS NULL",
                    query.trim_end().trim_end_matches(';')
                ),
                [],
                |row| row.get(0),
            )
            .expect("a verdict");
        self.spent += started.elapsed();
        verdict
    }
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let start = Date::parse("2022-01-03").expect("a Monday");
    let mut rng = Rng(SplitMix64(0x00C0_FFEE));
    let mut judge = SqlJudge::new();
    let mut queries = 0;
    println!("| scenario | runs | old rule: supports | old: contradicts | section 9 SQL on DuckDB: supports | SQL: contradicts | SQL = Rust reference | target |");
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for scenario in scenarios() {
        let (mut old, mut new, mut agree) = ([0usize; 2], [0usize; 2], 0);
        for _ in 0..runs {
            let case = (scenario.make)(&mut rng);
            let pairs: Vec<(Date, f64, f64)> = (0..case.x.len() - case.lag)
                .map(|t| {
                    let period = case.grain.add(case.grain.period_start(start), t as i64);
                    (period, case.x[t], case.y[t + case.lag])
                })
                .collect();
            let tally = |counts: &mut [usize; 2], verdict: &str| match verdict {
                "supports" => counts[0] += 1,
                "contradicts" => counts[1] += 1,
                _ => {}
            };
            tally(&mut old, old_verdict(&pairs));
            let by_sql = judge.verdict(&case, start);
            queries += 1;
            tally(&mut new, &by_sql);
            if by_sql == section9::evidence(&pairs, case.grain, 1, 8).verdict {
                agree += 1;
            }
        }
        let pct = |k: usize| format!("{:.1}%", 100.0 * k as f64 / runs as f64);
        let target = if scenario.effect {
            "supports ≥ 90%"
        } else {
            "each ≤ 6%"
        };
        println!(
            "| {} | {runs} | {} | {} | {} | {} | {} | {target} |",
            scenario.name,
            pct(old[0]),
            pct(old[1]),
            pct(new[0]),
            pct(new[1]),
            pct(agree),
        );
    }
    eprintln!(
        "{queries} evidence queries on DuckDB in {:.1} s ({:.2} ms each)",
        judge.spent.as_secs_f64(),
        judge.spent.as_secs_f64() * 1000.0 / queries as f64
    );
}
