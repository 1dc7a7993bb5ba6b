//! Calibration of the link verdict, first step (issue 16): simulated pairs
//! of series with no effect and with a real lagged effect, judged by the
//! rule `cpic` uses today (levels' correlation, |t| ≥ 2) and by LANGUAGE.md
//! section 9 (differences, effective size, one-sided Fisher z at 5%) as the
//! Rust reference in `tests/common/section9.rs` computes it.
//!
//! `cargo run --release --example link_calibration [RUNS]` (default 1,000
//! per scenario; deterministic: SplitMix64 from a fixed seed). The next
//! step runs the same scenarios through the generated SQL on DuckDB.

#[allow(dead_code)] // Holm is for segments, which this benchmark does not simulate.
#[path = "../tests/common/section9.rs"]
mod section9;

use cpic::date::Date;
use cpic::model::Grain;
use cpic::random::SplitMix64;
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

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let start = Date::parse("2022-01-03").expect("a Monday");
    let mut rng = Rng(SplitMix64(0x00C0_FFEE));
    println!("| scenario | runs | old rule: supports | old: contradicts | section 9: supports | section 9: contradicts | target |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for scenario in scenarios() {
        let (mut old, mut new) = ([0usize; 2], [0usize; 2]);
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
            tally(
                &mut new,
                section9::evidence(&pairs, case.grain, 1, 8).verdict,
            );
        }
        let pct = |k: usize| format!("{:.1}%", 100.0 * k as f64 / runs as f64);
        let target = if scenario.effect {
            "supports ≥ 90%"
        } else {
            "each ≤ 6%"
        };
        println!(
            "| {} | {runs} | {} | {} | {} | {} | {target} |",
            scenario.name,
            pct(old[0]),
            pct(old[1]),
            pct(new[0]),
            pct(new[1]),
        );
    }
}
