//! Experiments (LANGUAGE.md section 11): the enrolment query of every
//! dialect that runs here (DuckDB, SQLite, PostgreSQL) against an
//! independent computation in Rust — units per variant, units left out,
//! the expected counts, Pearson's chi-squared and its p-value (here from
//! the regularized incomplete gamma function's series, not from the closed
//! forms the SQL uses).

mod common;

use common::engines::{self, select, Engine, Kind};
use cpic::date::Date;
use cpic::sql::{self, results::EnrolmentColumn, Options};

const HOSTILE: &str = "it's \"q\" \\ ; --";

/// Three experiments over one assignments table: a split with a designed
/// imbalance, three variants with equal shares, and a control that no
/// unit was assigned to (with a hostile variant value in the data).
fn spec() -> String {
    let hostile = HOSTILE.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        r#"
team ops {{ name: "Ops" }}
source events {{
  table: "events"
  time: at
  columns {{ customer_id: text  at: timestamp  ok: bool  amount: USD  wait: s  channel: text  order_id: text }}
}}
source payments {{
  table: "payments"
  time: paid_at
  columns {{ customer_id: text  paid_at: timestamp  method: text }}
}}
source assignments {{
  table: "assignments"
  time: assigned_at
  columns {{ customer_id: text  assigned_at: timestamp  arm: text  cohort: text }}
}}
cpi wait {{
  title: "Wait" outcome: "Be served" owner: ops unit: min direction: lower tier: core
  evidence: contextual_inquiry "Visits" source: events measure: median(wait) grain: week
}}
kpi conversion {{ title: "Conversion" owner: ops unit: % direction: higher source: events measure: avg(ok) grain: week }}
kpi spend {{ title: "Spend per order" owner: ops unit: USD direction: higher source: events measure: sum(amount) / count_distinct(order_id) filter: channel != "test" grain: week }}
kpi web_share {{ title: "Web share" owner: ops unit: % direction: higher source: events measure: count(where channel = "web") / count() grain: week }}
kpi visits {{ title: "Visits" owner: ops unit: count direction: higher source: events measure: count() grain: week }}
kpi slow {{ title: "Slow waits" owner: ops unit: s direction: lower source: events measure: percentile(wait, 0.9) grain: week }}
kpi paid {{ title: "Paid" owner: ops unit: USD direction: higher source: events measure: sum(amount where ok) grain: week }}
kpi converted {{ title: "Paid by card within 2 days" owner: ops unit: % direction: higher source: events measure: avg(followed_by(payments, customer_id, 2 days where method = "card")) filter: channel != "test" grain: week }}
kpi paying {{ title: "Paid within a day" owner: ops unit: count direction: higher source: events measure: count(where followed_by(payments, customer_id, 1 day)) grain: week window: 28 days fill: 0 }}
link wait -> conversion {{ hypothesis: "h" }}
experiment two_arms {{
  title: "Two arms" owner: ops tests: wait -> conversion assignments: assignments
  guardrails: spend, web_share, visits, slow, paid, converted, paying
  unit: customer_id variant: arm control: "control" split: 30% 70%
  from: 2026-04-01 until: 2026-04-28
}}
experiment three_arms {{
  title: "Three arms" owner: ops tests: wait -> conversion assignments: assignments
  guardrails: spend
  unit: customer_id variant: cohort control: "a"
  from: 2026-04-01 until: 2026-04-28
}}
experiment empty_control {{
  title: "Empty control" owner: ops tests: wait -> conversion assignments: assignments
  guardrails: visits
  unit: customer_id variant: arm control: "{hostile}"
  from: 2026-04-10 until: 2026-04-20
}}
"#
    )
}

/// Month, day, hour, minute (of 2026).
type Time = (u32, u32, u32, u32);

struct Assignment {
    unit: Option<String>,
    at: Time,
    arm: Option<String>,
    cohort: Option<String>,
}

/// A deterministic draw below n (a 64-bit LCG's high bits) from `seed`.
fn draws(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut state = seed;
    move |n| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    }
}

/// Deterministic assignments: units with one row, several rows of one
/// variant, rows in two variants (left out), rows outside the window
/// (ignored), rows without a unit or a variant (ignored), and the window's
/// edges (April 1 at 00:00 and April 28 at 23:59 in, March 31 and April 29
/// out).
fn assignments() -> Vec<Assignment> {
    let mut rows = Vec::new();
    let mut next = draws(42);
    for i in 0..600u32 {
        let unit = Some(format!("u{i:04}"));
        // A 30/70 split drawn with a tilt: 40% control.
        let arm = if next(100) < 40 {
            "control"
        } else {
            "treatment"
        };
        // A hostile third cohort: a variant with units whose value needs
        // escaping everywhere it lands.
        let cohort = ["a", "b", "c'\"\\;--"][next(3) as usize];
        let day = 1 + next(28) as u32;
        let at = (4, day, next(24) as u32, next(60) as u32);
        rows.push(Assignment {
            unit: unit.clone(),
            at,
            arm: Some(arm.to_string()),
            cohort: Some(cohort.to_string()),
        });
        match i % 10 {
            // The same variant again, later: assigned at the earliest.
            1 => rows.push(Assignment {
                unit: unit.clone(),
                at: (4, 28, 23, 59),
                arm: Some(arm.to_string()),
                cohort: Some(cohort.to_string()),
            }),
            // Another variant inside the window: left out.
            2 => rows.push(Assignment {
                unit: unit.clone(),
                at: (4, 1, 0, 0),
                arm: Some(
                    if arm == "control" {
                        "treatment"
                    } else {
                        "control"
                    }
                    .to_string(),
                ),
                cohort: Some(if cohort == "a" { "b" } else { "a" }.to_string()),
            }),
            // Another variant outside the window: ignored.
            3 => rows.push(Assignment {
                unit: unit.clone(),
                at: (
                    if i % 20 == 3 { 3 } else { 4 },
                    if i % 20 == 3 { 31 } else { 29 },
                    12,
                    0,
                ),
                arm: Some(HOSTILE.to_string()),
                cohort: Some("z".to_string()),
            }),
            _ => {}
        }
    }
    // Rows that name no unit or no variant.
    rows.push(Assignment {
        unit: None,
        at: (4, 5, 0, 0),
        arm: Some("control".into()),
        cohort: Some("a".into()),
    });
    rows.push(Assignment {
        unit: Some("u9999".into()),
        at: (4, 5, 0, 0),
        arm: None,
        cohort: None,
    });
    rows
}

fn timestamp((month, day, hour, minute): Time) -> String {
    format!("2026-{month:02}-{day:02} {hour:02}:{minute:02}:00")
}

const ASSIGNMENT_COLUMNS: [(&str, &str); 4] = [
    ("customer_id", "text"),
    ("assigned_at", "timestamp"),
    ("arm", "text"),
    ("cohort", "text"),
];

impl engines::TableRow for Assignment {
    fn texts(&self) -> Vec<Option<String>> {
        vec![
            self.unit.clone(),
            Some(timestamp(self.at)),
            self.arm.clone(),
            self.cohort.clone(),
        ]
    }
}

fn load(engine: &mut dyn Engine, rows: &[Assignment]) {
    engines::load_table(engine, "assignments", &ASSIGNMENT_COLUMNS, rows);
}

/// What the enrolment query must return, computed here.
struct Expected {
    variants: Vec<(String, f64, Option<f64>)>,
    left_out: f64,
    chi_squared: Option<f64>,
    p: Option<f64>,
}

/// Each unit with an assignment row in the window (and a variant): the
/// variants it was assigned to there and its earliest time.
fn assigned(
    e: &cpic::model::Experiment,
    rows: &[Assignment],
) -> std::collections::BTreeMap<String, (std::collections::BTreeSet<String>, Time)> {
    let mut by_unit = std::collections::BTreeMap::new();
    for r in rows {
        let day = Date::from_ymd(2026, r.at.0, r.at.1).expect("a date");
        if day < e.from || day > e.until {
            continue;
        }
        let variant = if e.variant == "arm" {
            &r.arm
        } else {
            &r.cohort
        };
        if let (Some(unit), Some(variant)) = (&r.unit, variant) {
            let entry = by_unit
                .entry(unit.clone())
                .or_insert_with(|| (std::collections::BTreeSet::new(), r.at));
            entry.0.insert(variant.clone());
            entry.1 = entry.1.min(r.at);
        }
    }
    by_unit
}

fn expected(e: &cpic::model::Experiment, rows: &[Assignment]) -> Expected {
    use std::collections::BTreeMap;
    let by_unit = assigned(e, rows);
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    let mut left_out = 0.0;
    for (variants, _) in by_unit.values() {
        if variants.len() > 1 {
            left_out += 1.0;
        } else {
            *counts
                .entry(variants.iter().next().expect("one").to_string())
                .or_default() += 1.0;
        }
    }
    counts.entry(e.control.clone()).or_default();
    // BTreeMap orders by bytes: the order `split` lists variants in.
    let total: f64 = counts.values().sum();
    let k = counts.len();
    let shares: Option<Vec<f64>> = match &e.split {
        None => Some(vec![1.0 / k as f64; k]),
        Some(split) if split.len() == k => Some(split.iter().map(|s| s / 100.0).collect()),
        Some(_) => None,
    };
    let variants: Vec<(String, f64, Option<f64>)> = counts
        .iter()
        .enumerate()
        .map(|(i, (v, n))| (v.clone(), *n, shares.as_ref().map(|s| s[i] * total)))
        .collect();
    let chi_squared = variants
        .iter()
        .map(|(_, n, want)| want.filter(|w| *w > 0.0).map(|w| (n - w) * (n - w) / w))
        .sum::<Option<f64>>();
    let p = chi_squared.map(|x| chi_squared_upper(x, (k - 1) as f64));
    Expected {
        variants,
        left_out,
        chi_squared,
        p,
    }
}

/// The upper tail of the chi-squared distribution with `df` degrees of
/// freedom at `x`: 1 − P(df/2, x/2), P the regularized lower incomplete
/// gamma function by its power series.
fn chi_squared_upper(x: f64, df: f64) -> f64 {
    let (a, x) = (df / 2.0, x / 2.0);
    if x == 0.0 {
        return 1.0;
    }
    // Γ(a + 1) for a a multiple of 1/2.
    let mut gamma = if (a * 2.0) as i64 % 2 == 0 {
        1.0
    } else {
        std::f64::consts::PI.sqrt() / 2.0
    };
    let mut g = if (a * 2.0) as i64 % 2 == 0 { 1.0 } else { 1.5 };
    while g <= a + 1e-9 {
        gamma *= g;
        g += 1.0;
    }
    let (mut term, mut sum) = (1.0, 1.0);
    for n in 1..10_000 {
        term *= x / (a + n as f64);
        sum += term;
        if term < 1e-17 * sum {
            break;
        }
    }
    1.0 - (a * x.ln() - x).exp() / gamma * sum
}

#[test]
fn the_reference_chi_squared_tail_is_right() {
    // Known values: df 1 at 3.841459 and df 2 at 5.991465 are the 5%
    // critical values; df 3 at 7.814728; df 4 at 2 is e^-1·2.
    for (x, df, want) in [
        (3.841_458_820_694_124, 1.0, 0.05),
        (5.991_464_547_107_979, 2.0, 0.05),
        (7.814_727_903_251_178, 3.0, 0.05),
        (2.0, 4.0, 2.0 * (-1.0f64).exp()),
    ] {
        let got = chi_squared_upper(x, df);
        assert!(
            (got - want).abs() < 1e-12,
            "df {df} at {x}: {got}, want {want}"
        );
    }
}

fn check(engine: &mut dyn Engine) {
    let spec = spec();
    let (db, c) = common::compile_text(&[("a.cpi", &spec)]);
    let model = c
        .model
        .unwrap_or_else(|| panic!("{}", cpic::diag::render::human_string(&db, &c.diagnostics)));
    let rows = assignments();
    load(engine, &rows);
    let name = engine.dialect().name();
    for e in &model.experiments {
        let sql = sql::Generator::new(&model, engine.dialect(), &Options::default())
            .enrolment(e)
            .expect("sql");
        let columns: Vec<(&str, Kind)> = EnrolmentColumn::ALL
            .iter()
            .map(|c| {
                let kind = if *c == EnrolmentColumn::Variant {
                    Kind::Text
                } else {
                    Kind::Num
                };
                (c.name(), kind)
            })
            .collect();
        let got = select(engine, &sql, &columns);
        let want = expected(e, &rows);
        let what = format!("{name} {}", e.name);
        assert_eq!(got.len(), want.variants.len(), "{what}: variants");
        for (row, (variant, units, expected)) in got.iter().zip(&want.variants) {
            assert_eq!(row[0].text().as_deref(), Some(variant.as_str()), "{what}");
            assert_eq!(row[1].num(), Some(*units), "{what} {variant}: units");
            engines::assert_same(
                &format!("{what} {variant}: expected"),
                row[2].num(),
                *expected,
                engines::close,
            );
            assert_eq!(row[3].num(), Some(want.left_out), "{what}: left out");
            engines::assert_same(
                &format!("{what}: chi-squared"),
                row[4].num(),
                want.chi_squared,
                engines::close,
            );
            // Twice Φ's error for odd degrees (2·Q(√x)).
            engines::assert_same(&format!("{what}: p"), row[5].num(), want.p, |a, b| {
                (a - b).abs() < 2e-7
            });
        }
    }
    // The designed cases happened: units left out, an empty control, a
    // mismatch on the tilted split, none on three equal arms.
    let two = expected(model.experiment("two_arms").expect("two_arms"), &rows);
    assert!(
        two.left_out > 0.0 && two.p.is_some_and(|p| p < 0.05),
        "{:?}",
        two.p
    );
    let three = expected(model.experiment("three_arms").expect("three_arms"), &rows);
    assert!(three.variants.len() == 3 && three.p.is_some_and(|p| p > 0.01));
    let empty = expected(
        model.experiment("empty_control").expect("empty_control"),
        &rows,
    );
    assert!(empty
        .variants
        .iter()
        .any(|(v, n, _)| v == HOSTILE && *n == 0.0));
}

#[test]
fn enrolment_matches_on_every_engine() {
    for mut engine in engines::all("experiments") {
        check(engine.as_mut());
    }
}

/// The closed forms of the chi-squared tail for 1 to `MAX_DEGREES` degrees
/// of freedom, as the SQL writes them, against the incomplete gamma
/// series; beyond, NULL.
fn check_chi_squared_tail(engine: &mut dyn Engine) {
    use cpic::sql::experiment::{chi_squared_p, MAX_DEGREES};
    let d = engine.dialect().dialect();
    let (x, df, root, t, q, phi) = (
        d.ident("x"),
        d.ident("df"),
        d.ident("root"),
        d.ident("t"),
        d.ident("q"),
        d.ident("phi"),
    );
    let mut cases = Vec::new();
    for degrees in 1..=MAX_DEGREES + 1 {
        for value in [0.5, 3.0, 10.0, 25.0, 40.0] {
            cases.push((value, degrees as f64));
        }
    }
    let values: Vec<String> = cases
        .iter()
        .map(|(value, degrees)| {
            format!(
                "SELECT {} AS {x}, {} AS {df}",
                d.to_float(&sql::number(*value)),
                *degrees as i64
            )
        })
        .collect();
    let query = format!(
        "SELECT {x}, {df}, {} AS {}\nFROM (SELECT {x}, {df}, {root}, {} AS {q}, 0.3989422804014327 * EXP(-{x} / 2.0E0) AS {phi}\n  FROM (SELECT {x}, {df}, SQRT({x}) AS {root}, {} AS {t} FROM ({}) AS {}) AS {}) AS {}",
        chi_squared_p(&x, &root, &q, &phi, &df),
        d.ident("p"),
        sql::stats::normal_cdf(&format!("-{root}"), &t),
        sql::stats::tail_variable(&format!("SQRT({x})")),
        values.join("\nUNION ALL\n"),
        d.ident("_a"),
        d.ident("_b"),
        d.ident("_c"),
    );
    let rows = select(
        engine,
        &query,
        &[("x", Kind::Num), ("df", Kind::Num), ("p", Kind::Num)],
    );
    assert_eq!(rows.len(), cases.len());
    for row in rows {
        let (value, degrees) = (row[0].num().expect("x"), row[1].num().expect("df"));
        let got = row[2].num();
        if degrees as usize > MAX_DEGREES {
            assert_eq!(got, None, "df {degrees}: no p beyond the closed forms");
            continue;
        }
        let want = chi_squared_upper(value, degrees);
        let got = got.expect("a p");
        assert!(
            (got - want).abs() < 2e-7,
            "{}: df {degrees} at {value}: {got}, want {want}",
            engine.dialect().name()
        );
    }
}

#[test]
fn the_chi_squared_tail_matches_on_every_engine() {
    for mut engine in engines::all("experiments_chi") {
        check_chi_squared_tail(engine.as_mut());
    }
}

/// Spark is slow to start: one session runs both checks.
#[test]
fn enrolment_matches_on_spark() {
    let Some(mut spark) = engines::Spark::start("experiments") else {
        return;
    };
    check(&mut spark);
    check_chi_squared_tail(&mut spark);
    check_effects(&mut spark);
}

/// `cpic sql --experiment NAME` prints the enrolment query; an unknown
/// name is a usage error.
#[test]
fn cpic_sql_prints_an_experiments_enrolment() {
    let dir = tempfile::tempdir().expect("a folder");
    std::fs::write(dir.path().join("a.cpi"), spec()).expect("a spec");
    let project = dir.path().as_os_str().to_owned();
    let out = common::cpic_ok([
        std::ffi::OsString::from("sql"),
        project,
        "--experiment".into(),
        "two_arms".into(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("-- Enrolment of experiment two_arms"),
        "{text}"
    );
    assert!(text.contains("AS \"srm_p\""), "{text}");
    assert!(
        text.contains("\n-- Effects of experiment two_arms"),
        "{text}"
    );
    let out = common::cpic()
        .args(["sql", &dir.path().to_string_lossy(), "--experiment", "nope"])
        .output()
        .expect("cpic runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no experiment named `nope`"));
}

// ---------------------------------------------------------------------
// Effects: every number of the effects query against a computation here
// (per-unit sums, the delta method by dual numbers, Woodruff's interval),
// not the generator's decomposition.

struct Event {
    unit: Option<String>,
    at: Time,
    ok: Option<bool>,
    amount: Option<f64>,
    wait: Option<f64>,
    channel: &'static str,
    order: Option<String>,
    /// Followed by a card payment of its unit within 2 days (`converted`).
    card_2d: bool,
    /// Followed by any payment of its unit within a day (`paying`).
    paid_1d: bool,
}

/// A payment: its unit, seconds since 1970, method.
type Payment = (Option<String>, i64, &'static str);

/// Seconds since 1970 of a time of 2026.
fn seconds((month, day, hour, minute): Time) -> i64 {
    let date = Date::from_ymd(2026, month, day).expect("a date");
    date.days_since_epoch() * 86_400 + i64::from(hour * 3600 + minute * 60)
}

/// Payments around the events: at both edges of the 2-day and 1-day
/// windows and just outside them, before the event, of the wrong method,
/// without a unit; then each event's flags, straight from LANGUAGE.md
/// section 5 (a payment of the same non-null unit, its time in [t, t + W],
/// passing the filter).
fn payments(events: &mut [Event]) -> Vec<Payment> {
    let mut next = draws(11);
    let mut rows: Vec<Payment> = Vec::new();
    for e in events.iter() {
        let t = seconds(e.at);
        let (day, minute) = (86_400, 60);
        let (offset, method) = match next(12) {
            0 => (2 * day, "card"),
            1 => (2 * day + minute, "card"),
            2 => (0, "cash"),
            3 => (day, "cash"),
            4 => (day + minute, "cash"),
            5 => (-minute, "card"),
            6 => (next(4 * day as u64) as i64, "card"),
            _ => continue,
        };
        let unit = if next(15) == 0 { None } else { e.unit.clone() };
        rows.push((unit, t + offset, method));
    }
    for e in events.iter_mut() {
        let (Some(unit), t) = (e.unit.as_deref(), seconds(e.at)) else {
            continue;
        };
        let within = |w: i64, card: bool| {
            rows.iter().any(|(u, at, method)| {
                u.as_deref() == Some(unit)
                    && (t..=t + w).contains(at)
                    && (!card || *method == "card")
            })
        };
        e.card_2d = within(2 * 86_400, true);
        e.paid_1d = within(86_400, false);
    }
    rows
}

const PAYMENT_COLUMNS: [(&str, &str); 3] = [
    ("customer_id", "text"),
    ("paid_at", "timestamp"),
    ("method", "text"),
];

impl engines::TableRow for Payment {
    fn texts(&self) -> Vec<Option<String>> {
        let (unit, at, method) = self;
        vec![
            unit.clone(),
            Some(common::timestamp(*at)),
            Some(method.to_string()),
        ]
    }
}

/// Events of the assigned units and of others: several rows per unit,
/// rows before the assignment and after `until` (left out), NULLs, a few
/// orders shared between units.
fn events() -> Vec<Event> {
    let mut rows = Vec::new();
    let mut next = draws(7);
    for i in 0..640u32 {
        let unit = format!("u{i:04}");
        for k in 0..next(7) {
            let (month, day) = match next(10) {
                0 => (3, 25 + next(7) as u32),
                1 => (5, 1 + next(3) as u32),
                _ => (4, 1 + next(30) as u32),
            };
            rows.push(Event {
                unit: Some(unit.clone()),
                at: (month, day, next(24) as u32, next(60) as u32),
                ok: match next(10) {
                    0 => None,
                    n => Some(n < 4 + (i % 3) as u64),
                },
                amount: (next(8) != 0).then(|| (next(20_000) as f64) / 100.0),
                wait: (next(9) != 0).then(|| 30.0 + next(600) as f64 + (i % 5) as f64 * 20.0),
                channel: ["web", "phone", "test"][next(3) as usize],
                order: match next(12) {
                    0 => None,
                    1 => Some(format!("shared{}", next(3))),
                    _ => Some(format!("o{i}_{k}")),
                },
                card_2d: false,
                paid_1d: false,
            });
        }
    }
    rows
}

fn load_events(engine: &mut dyn Engine, rows: &[Event]) {
    let columns = [
        ("customer_id", "text"),
        ("at", "timestamp"),
        ("ok", "bool"),
        ("amount", "number"),
        ("wait", "number"),
        ("channel", "text"),
        ("order_id", "text"),
    ];
    let texts: Vec<Vec<Option<String>>> = rows
        .iter()
        .map(|r| {
            vec![
                r.unit.clone(),
                Some(timestamp(r.at)),
                r.ok.map(|b| b.to_string()),
                r.amount.map(|a| a.to_string()),
                r.wait.map(|w| w.to_string()),
                Some(r.channel.to_string()),
                r.order.clone(),
            ]
        })
        .collect();
    engines::load_table(engine, "events", &columns, &texts);
}

/// A value with its gradient (forward-mode differentiation).
#[derive(Clone, Debug)]
struct Dual {
    v: f64,
    g: Vec<f64>,
}

impl Dual {
    fn var(v: f64, i: usize, n: usize) -> Dual {
        let mut g = vec![0.0; n];
        g[i] = 1.0;
        Dual { v, g }
    }
    fn scale(&self, k: f64) -> Dual {
        Dual {
            v: self.v * k,
            g: self.g.iter().map(|g| g * k).collect(),
        }
    }
    fn div(&self, o: &Dual) -> Option<Dual> {
        (o.v != 0.0).then(|| Dual {
            v: self.v / o.v,
            g: self
                .g
                .iter()
                .zip(&o.g)
                .map(|(a, b)| (a * o.v - self.v * b) / (o.v * o.v))
                .collect(),
        })
    }
}

/// How the reference computes one fixture metric: what each row adds to
/// each per-unit sum, and the measure over the sums' means.
enum Reference {
    /// Per-unit sums of these row contributions (rows that pass the
    /// metric's filter), then `combine` over their means.
    Sums {
        filter: fn(&Event) -> bool,
        rows: Vec<fn(&Event) -> f64>,
        /// The order ids counted distinct, credited to the smallest unit.
        distinct: Option<fn(&Event) -> Option<String>>,
        combine: fn(&[Dual]) -> Option<Dual>,
    },
    /// A quantile of a row value, times `scale`.
    Quantile {
        value: fn(&Event) -> Option<f64>,
        fraction: f64,
        scale: f64,
    },
}

fn reference(metric: &str) -> Reference {
    let all = |_: &Event| true;
    match metric {
        "wait" => Reference::Quantile {
            value: |e| e.wait,
            fraction: 0.5,
            scale: 1.0 / 60.0,
        },
        "slow" => Reference::Quantile {
            value: |e| e.wait,
            fraction: 0.9,
            scale: 1.0,
        },
        "conversion" => Reference::Sums {
            filter: all,
            rows: vec![|e| f64::from(e.ok == Some(true)), |e| {
                f64::from(e.ok.is_some())
            }],
            distinct: None,
            combine: |m| m[0].div(&m[1]).map(|r| r.scale(100.0)),
        },
        "spend" => Reference::Sums {
            filter: |e| e.channel != "test",
            rows: vec![|e| e.amount.unwrap_or(0.0)],
            distinct: Some(|e| e.order.clone()),
            combine: |m| m[0].div(&m[1]),
        },
        "web_share" => Reference::Sums {
            filter: all,
            rows: vec![|e| f64::from(e.channel == "web"), |_| 1.0],
            distinct: None,
            combine: |m| m[0].div(&m[1]).map(|r| r.scale(100.0)),
        },
        "visits" => Reference::Sums {
            filter: all,
            rows: vec![|_| 1.0],
            distinct: None,
            combine: |m| Some(m[0].clone()),
        },
        "paid" => Reference::Sums {
            filter: all,
            rows: vec![|e| {
                if e.ok == Some(true) {
                    e.amount.unwrap_or(0.0)
                } else {
                    0.0
                }
            }],
            distinct: None,
            combine: |m| Some(m[0].clone()),
        },
        // `window` and `fill` shape periods only: the experiment reads the
        // measure over the rows (docs/experiments.md).
        "converted" => Reference::Sums {
            filter: |e| e.channel != "test",
            rows: vec![|e| f64::from(e.card_2d), |_| 1.0],
            distinct: None,
            combine: |m| m[0].div(&m[1]).map(|r| r.scale(100.0)),
        },
        "paying" => Reference::Sums {
            filter: all,
            rows: vec![|e| f64::from(e.paid_1d)],
            distinct: None,
            combine: |m| Some(m[0].clone()),
        },
        other => panic!("no reference for {other}"),
    }
}

/// Enrolled units: unit → (variant, assignment time).
fn enrolled(
    e: &cpic::model::Experiment,
    rows: &[Assignment],
) -> std::collections::BTreeMap<String, (String, Time)> {
    assigned(e, rows)
        .into_iter()
        .filter(|(_, (v, _))| v.len() == 1)
        .map(|(u, (v, at))| (u, (v.into_iter().next().expect("one"), at)))
        .collect()
}

/// (value, variance) of a metric in one variant; None when it has none.
fn variant_figures(
    r: &Reference,
    units: &[&str],
    rows: &std::collections::BTreeMap<&str, Vec<&Event>>,
) -> (Option<f64>, Option<f64>) {
    let n = units.len() as f64;
    if units.is_empty() {
        return (None, None);
    }
    let none: Vec<&Event> = Vec::new();
    let of = |u: &str| rows.get(u).unwrap_or(&none);
    match r {
        Reference::Sums {
            filter,
            rows: contributions,
            distinct,
            combine,
        } => {
            let k = contributions.len() + usize::from(distinct.is_some());
            let mut sums: Vec<Vec<f64>> = units
                .iter()
                .map(|u| {
                    contributions
                        .iter()
                        .map(|c| of(u).iter().filter(|e| filter(e)).map(|e| c(e)).sum())
                        .collect()
                })
                .collect();
            if let Some(value) = distinct {
                let mut owner: std::collections::BTreeMap<String, &str> = Default::default();
                for u in units {
                    for e in of(u).iter().filter(|e| filter(e)) {
                        if let Some(v) = value(e) {
                            let o = owner.entry(v).or_insert(u);
                            if *u < *o {
                                *o = u;
                            }
                        }
                    }
                }
                for (i, u) in units.iter().enumerate() {
                    sums[i].push(owner.values().filter(|o| **o == *u).count() as f64);
                }
            }
            let means: Vec<f64> = (0..k)
                .map(|j| sums.iter().map(|s| s[j]).sum::<f64>() / n)
                .collect();
            let duals: Vec<Dual> = means
                .iter()
                .enumerate()
                .map(|(j, m)| Dual::var(*m, j, k))
                .collect();
            let Some(value) = combine(&duals) else {
                return (None, None);
            };
            let mut var = None;
            if units.len() > 1 {
                let mut v = 0.0;
                for a in 0..k {
                    for b in 0..k {
                        let cov = sums
                            .iter()
                            .map(|s| (s[a] - means[a]) * (s[b] - means[b]))
                            .sum::<f64>()
                            / (n - 1.0);
                        v += value.g[a] * value.g[b] * cov;
                    }
                }
                var = Some(v / n);
            }
            (Some(value.v), var)
        }
        Reference::Quantile {
            value,
            fraction,
            scale,
        } => {
            let mut xs: Vec<f64> = units
                .iter()
                .flat_map(|u| of(u).iter().filter_map(|e| value(e)))
                .collect();
            if xs.is_empty() {
                return (None, None);
            }
            xs.sort_by(f64::total_cmp);
            let h = (xs.len() - 1) as f64 * fraction;
            let lo = h.floor() as usize;
            let q = xs[lo] + xs.get(lo + 1).map_or(0.0, |hi| hi - xs[lo]) * (h - lo as f64);
            // Woodruff: the share at or below q, a ratio of per-unit sums.
            let d: Vec<(f64, f64)> = units
                .iter()
                .map(|u| {
                    let values: Vec<f64> = of(u).iter().filter_map(|e| value(e)).collect();
                    let below = values.iter().filter(|x| **x <= q).count() as f64;
                    (below, values.len() as f64)
                })
                .collect();
            let var = if units.len() > 1 {
                let resid: Vec<f64> = d.iter().map(|(c, r)| c - fraction * r).collect();
                let mean = resid.iter().sum::<f64>() / n;
                let rows_mean = d.iter().map(|(_, r)| r).sum::<f64>() / n;
                let s2 = resid.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
                let se_f = (s2 / n).sqrt() / rows_mean;
                let z = cpic::sql::results::Z_95;
                let k1 = (xs.len() - 1) as f64;
                let lo = (k1 * (fraction - z * se_f).max(0.0)).floor() as usize;
                let hi = (k1 * (fraction + z * se_f).min(1.0)).ceil() as usize;
                let se = (xs[hi] - xs[lo]) / (2.0 * z);
                Some(se * se * scale * scale)
            } else {
                None
            };
            (Some(q * scale), var)
        }
    }
}

/// A row of the effects query, computed here.
#[derive(Debug)]
struct Effect {
    metric: String,
    variant: String,
    control: Option<f64>,
    value: Option<f64>,
    difference: Option<f64>,
    low: Option<f64>,
    high: Option<f64>,
    p: Option<f64>,
    relative: Option<f64>,
    relative_low: Option<f64>,
    relative_high: Option<f64>,
    verdict: String,
}

fn expected_effects(
    model: &cpic::model::Model,
    e: &cpic::model::Experiment,
    assignments: &[Assignment],
    events: &[Event],
) -> Vec<Effect> {
    use cpic::model::Direction;
    use std::collections::BTreeMap;
    let units = enrolled(e, assignments);
    let until = e.until;
    // Each enrolled unit's rows from its assignment to the end of `until`.
    let mut rows: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for ev in events {
        let Some(u) = ev.unit.as_deref() else {
            continue;
        };
        let Some((_, at)) = units.get(u) else {
            continue;
        };
        let day = Date::from_ymd(2026, ev.at.0, ev.at.1).expect("a date");
        if ev.at >= *at && day <= until {
            rows.entry(u).or_default().push(ev);
        }
    }
    let mut variants: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (u, (v, _)) in &units {
        variants.entry(v).or_default().push(u);
    }
    variants.entry(&e.control).or_default();
    let srm = expected(e, assignments).p;
    let z = cpic::sql::results::Z_95;
    let mut effects = Vec::new();
    for metric in e.metrics() {
        let r = reference(metric);
        let (cv, cvar) = variant_figures(&r, &variants[e.control.as_str()], &rows);
        for (variant, members) in &variants {
            if *variant == e.control {
                continue;
            }
            let (tv, tvar) = variant_figures(&r, members, &rows);
            let difference = tv.zip(cv).map(|(t, c)| t - c);
            let se = tvar.zip(cvar).map(|(a, b)| (a + b).sqrt());
            let relative = tv.zip(cv.filter(|c| *c != 0.0)).map(|(t, c)| t / c - 1.0);
            let rel_se = match (tv, cv.filter(|c| *c != 0.0), tvar, cvar) {
                (Some(t), Some(c), Some(a), Some(b)) => {
                    Some((a / (c * c) + t * t * b / (c * c * c * c)).sqrt())
                }
                _ => None,
            };
            let p = difference
                .zip(se.filter(|s| *s > 0.0))
                .map(|(d, s)| 2.0 * common::section9::normal_cdf(-(d / s).abs()));
            effects.push(Effect {
                metric: metric.to_string(),
                variant: variant.to_string(),
                control: cv,
                value: tv,
                difference,
                low: difference.zip(se).map(|(d, s)| d - z * s),
                high: difference.zip(se).map(|(d, s)| d + z * s),
                p,
                relative,
                relative_low: relative.zip(rel_se).map(|(r, s)| r - z * s),
                relative_high: relative.zip(rel_se).map(|(r, s)| r + z * s),
                verdict: String::new(),
            });
        }
    }
    // The verdict per treatment, from the link's two ends.
    let direction = |m: &str| model.metric(m).expect("a metric").direction;
    let better = |f: &Effect, d: Direction| match d {
        Direction::Higher => f.low.is_some_and(|l| l > 0.0),
        Direction::Lower => f.high.is_some_and(|h| h < 0.0),
    };
    let worse = |f: &Effect, d: Direction| match d {
        Direction::Higher => f.high.is_some_and(|h| h < 0.0),
        Direction::Lower => f.low.is_some_and(|l| l > 0.0),
    };
    let verdicts: BTreeMap<String, &str> = variants
        .keys()
        .filter(|v| **v != e.control)
        .map(|v| {
            let find = |m: &str| {
                effects
                    .iter()
                    .find(|f| f.metric == m && f.variant == *v)
                    .expect("an effect")
            };
            let (cpi, kpi) = (find(&e.tests.from), find(&e.tests.to));
            let (df, dt) = (direction(&e.tests.from), direction(&e.tests.to));
            let verdict = if srm.is_some_and(|p| p < cpic::sql::results::SRM_ALPHA) {
                "sample_ratio_mismatch"
            } else if !better(cpi, df) {
                "cpi_unchanged"
            } else if better(kpi, dt) {
                "confirmed"
            } else if worse(kpi, dt) {
                "contradicted"
            } else {
                "not_confirmed"
            };
            (v.to_string(), verdict)
        })
        .collect();
    for f in &mut effects {
        f.verdict = verdicts[&f.variant].to_string();
    }
    effects
}

fn check_effects(engine: &mut dyn Engine) {
    use cpic::sql::results::EffectColumn;
    let spec = spec();
    let (db, c) = common::compile_text(&[("a.cpi", &spec)]);
    let model = c
        .model
        .unwrap_or_else(|| panic!("{}", cpic::diag::render::human_string(&db, &c.diagnostics)));
    // The assignments are loaded by `check` or by the caller.
    let (assignments, mut events) = (assignments(), events());
    let payments = payments(&mut events);
    // The fixture has both kinds of row, at the windows' edges too.
    for flag in [|e: &Event| e.card_2d, |e: &Event| e.paid_1d] {
        let n = events.iter().filter(|e| flag(e)).count();
        assert!(n > 50 && n < events.len() / 2, "{n} of {}", events.len());
    }
    load_events(engine, &events);
    engines::load_table(engine, "payments", &PAYMENT_COLUMNS, &payments);
    let name = engine.dialect().name();
    let columns: Vec<(&str, Kind)> = EffectColumn::ALL
        .iter()
        .map(|c| {
            let kind = match c {
                EffectColumn::Metric | EffectColumn::Variant | EffectColumn::Verdict => Kind::Text,
                _ => Kind::Num,
            };
            (c.name(), kind)
        })
        .collect();
    let mut verdicts = std::collections::BTreeSet::new();
    for e in &model.experiments {
        let sql = sql::Generator::new(&model, engine.dialect(), &Options::default())
            .effects(e)
            .expect("sql");
        let got = select(engine, &sql, &columns);
        let want = expected_effects(&model, e, &assignments, &events);
        assert_eq!(got.len(), want.len(), "{name} {}: rows\n{sql}", e.name);
        for (row, w) in got.iter().zip(&want) {
            let what = format!("{name} {} {} {}", e.name, w.metric, w.variant);
            assert_eq!(row[0].text().as_deref(), Some(w.metric.as_str()), "{what}");
            assert_eq!(row[1].text().as_deref(), Some(w.variant.as_str()), "{what}");
            // Every number by its column, at 1e-9; p at the accuracy of Φ.
            let numbers = [
                (EffectColumn::ControlValue, w.control),
                (EffectColumn::Value, w.value),
                (EffectColumn::Difference, w.difference),
                (EffectColumn::Low, w.low),
                (EffectColumn::High, w.high),
                (EffectColumn::P, w.p),
                (EffectColumn::Relative, w.relative),
                (EffectColumn::RelativeLow, w.relative_low),
                (EffectColumn::RelativeHigh, w.relative_high),
            ];
            for (column, want) in numbers {
                let near: fn(f64, f64) -> bool = if column == EffectColumn::P {
                    |a, b| (a - b).abs() < 2e-7
                } else {
                    engines::close
                };
                let got = row[cpic::sql::results::position(column)].num();
                engines::assert_same(&format!("{what}: {}", column.name()), got, want, near);
            }
            assert_eq!(
                row[11].text().as_deref(),
                Some(w.verdict.as_str()),
                "{what}"
            );
            verdicts.insert(w.verdict.clone());
        }
    }
    // The fixture reaches more than one verdict.
    assert!(verdicts.len() > 1, "{verdicts:?}");
}

#[test]
fn effects_match_on_every_engine() {
    for mut engine in engines::all("experiment_effects") {
        load(engine.as_mut(), &assignments());
        check_effects(engine.as_mut());
    }
}

// ---------------------------------------------------------------------
// `cpic run`, its JSON and the site on the examples' experiments.

/// The designed results: insurance's `instant_quotes` confirms its link,
/// online-course's `fast_lane` leaves it not confirmed; the JSON has every
/// field docs/run-json.md lists, and its numbers are the effects query's.
#[test]
fn the_examples_experiments_reach_their_designed_verdicts() {
    use cpic::sql::results::EffectColumn;
    for (example, name, verdict) in [
        ("insurance", "instant_quotes", "confirmed"),
        ("online-course", "fast_lane", "not_confirmed"),
    ] {
        let report = common::run_json(&common::example(example), &[]);
        let experiments = report["experiments"].as_array().expect("experiments");
        assert_eq!(experiments.len(), 1, "{example}");
        let x = &experiments[0];
        assert_eq!(x["name"], name);
        for key in [
            "tests",
            "variants",
            "left_out_units",
            "srm_p",
            "results",
            "verdicts",
        ] {
            assert!(x.get(key).is_some(), "{example}: {key}");
        }
        assert_eq!(x["verdicts"][0]["verdict"], verdict, "{example}: {x}");
        assert!(x["srm_p"].as_f64().is_some_and(|p| p > 0.001));
        let results = x["results"].as_array().expect("results");
        for r in results {
            for c in EffectColumn::ALL
                .iter()
                .filter(|c| **c != EffectColumn::Verdict)
            {
                assert!(r.get(c.name()).is_some(), "{example}: {}", c.name());
            }
        }
        // The CPI first, improved beyond chance.
        assert_eq!(results[0]["metric"], x["tests"]["from"]);
        let (low, high) = (results[0]["low"].as_f64(), results[0]["high"].as_f64());
        assert!(
            low.zip(high).is_some_and(|(l, h)| l < h && h < 0.0),
            "{example}"
        );
        // `--experiment` selects; an unknown name is a usage error.
        let only = common::run_json(&common::example(example), &["--experiment", name]);
        assert_eq!(only["experiments"], report["experiments"]);
    }
    let out = common::cpic()
        .args([
            "run",
            &common::example("insurance").to_string_lossy(),
            "--experiment",
            "nope",
        ])
        .output()
        .expect("cpic runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no experiment named `nope`"));
}

/// A link declared `confirmed` whose named experiment did not confirm it
/// gets the methodology warning, in the table and in the JSON; the site
/// has the experiment's page, linked from the link and both metrics.
#[test]
fn a_confirmed_link_its_experiment_does_not_confirm_is_warned_about() {
    let dir = tempfile::tempdir().expect("a folder");
    let from = common::example("online-course");
    for entry in std::fs::read_dir(&from).expect("the example") {
        let path = entry.expect("an entry").path();
        let to = dir.path().join(path.file_name().expect("a name"));
        if path.is_dir() {
            std::fs::create_dir_all(&to).expect("a folder");
            for file in std::fs::read_dir(&path).expect("data") {
                let file = file.expect("a file").path();
                std::fs::copy(&file, to.join(file.file_name().expect("a name"))).expect("copied");
            }
        } else {
            std::fs::copy(&path, &to).expect("copied");
        }
    }
    let spec = dir.path().join("course.cpi");
    let text = std::fs::read_to_string(&spec).expect("the spec");
    let text = text.replace(
        "  status: testing\n  experiment: fast_lane",
        "  status: confirmed\n  experiment: fast_lane",
    );
    assert!(text.contains("status: confirmed\n  experiment: fast_lane"));
    std::fs::write(&spec, text).expect("written");
    let warning = "link time_to_trial_lesson -> signup_revenue is declared `confirmed`, but its experiment `fast_lane` did not confirm it (fast: not_confirmed)";
    let report = common::run_json(dir.path(), &[]);
    assert_eq!(report["experiments"][0]["warnings"][0], warning);
    let out = common::cpic_ok([
        std::ffi::OsString::from("run"),
        dir.path().into(),
        "--today".into(),
        "2026-06-01".into(),
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(&format!("warning: {warning}")), "{table}");
    assert!(table.contains("fast: not_confirmed."), "{table}");
    // The site.
    let site = dir.path().join("site");
    common::cpic_ok([
        std::ffi::OsString::from("docs"),
        dir.path().into(),
        "--today".into(),
        "2026-06-01".into(),
        "-o".into(),
        site.clone().into(),
    ]);
    let page = std::fs::read_to_string(site.join("experiments/fast_lane.html")).expect("a page");
    assert!(page.contains("class=\"chart forest\""), "a forest plot");
    assert!(page.contains("not confirmed"), "the verdict");
    assert!(page.contains("did not confirm it"), "the warning");
    for linking in [
        "links/time_to_trial_lesson__signup_revenue.html",
        "metrics/time_to_trial_lesson.html",
        "metrics/signup_revenue.html",
        "map.html",
        "experiments.html",
    ] {
        let html = std::fs::read_to_string(site.join(linking)).expect("a page");
        assert!(html.contains("experiments/fast_lane.html"), "{linking}");
    }
}
