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
  columns {{ customer_id: text  at: timestamp  ok: bool }}
}}
source assignments {{
  table: "assignments"
  time: assigned_at
  columns {{ customer_id: text  assigned_at: timestamp  arm: text  cohort: text }}
}}
cpi wait {{
  title: "Wait" outcome: "Be served" owner: ops unit: % direction: higher tier: core
  evidence: contextual_inquiry "Visits" source: events measure: avg(ok) grain: week
}}
kpi conversion {{ title: "Conversion" owner: ops unit: % direction: higher source: events measure: avg(ok) grain: week }}
link wait -> conversion {{ hypothesis: "h" }}
experiment two_arms {{
  title: "Two arms" owner: ops tests: wait -> conversion assignments: assignments
  unit: customer_id variant: arm control: "control" split: 30% 70%
  from: 2026-04-01 until: 2026-04-28
}}
experiment three_arms {{
  title: "Three arms" owner: ops tests: wait -> conversion assignments: assignments
  unit: customer_id variant: cohort control: "a"
  from: 2026-04-01 until: 2026-04-28
}}
experiment empty_control {{
  title: "Empty control" owner: ops tests: wait -> conversion assignments: assignments
  unit: customer_id variant: arm control: "{hostile}"
  from: 2026-04-10 until: 2026-04-20
}}
"#
    )
}

struct Assignment {
    unit: Option<String>,
    at: (u32, u32, u32, u32), // month, day, hour, minute
    arm: Option<String>,
    cohort: Option<String>,
}

/// Deterministic assignments: units with one row, several rows of one
/// variant, rows in two variants (left out), rows outside the window
/// (ignored), rows without a unit or a variant (ignored), and the window's
/// edges (April 1 at 00:00 and April 28 at 23:59 in, March 31 and April 29
/// out).
fn assignments() -> Vec<Assignment> {
    let mut rows = Vec::new();
    let mut state: u64 = 42;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    for i in 0..600u32 {
        let unit = Some(format!("u{i:04}"));
        // A 30/70 split drawn with a tilt: 40% control.
        let arm = if next(100) < 40 {
            "control"
        } else {
            "treatment"
        };
        let cohort = ["a", "b", "c"][next(3) as usize];
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

fn timestamp((month, day, hour, minute): (u32, u32, u32, u32)) -> String {
    format!("2026-{month:02}-{day:02} {hour:02}:{minute:02}:00")
}

fn load(engine: &mut dyn Engine, rows: &[Assignment]) {
    let columns = [
        ("customer_id", "text"),
        ("assigned_at", "timestamp"),
        ("arm", "text"),
        ("cohort", "text"),
    ];
    let texts: Vec<Vec<Option<String>>> = rows
        .iter()
        .map(|r| {
            vec![
                r.unit.clone(),
                Some(timestamp(r.at)),
                r.arm.clone(),
                r.cohort.clone(),
            ]
        })
        .collect();
    engines::load_table(engine, "assignments", &columns, &texts);
}

/// What the enrolment query must return, computed here.
struct Expected {
    variants: Vec<(String, f64, Option<f64>)>,
    left_out: f64,
    chi_squared: Option<f64>,
    p: Option<f64>,
}

fn expected(e: &cpic::model::Experiment, rows: &[Assignment]) -> Expected {
    use std::collections::{BTreeMap, BTreeSet};
    let in_window = |r: &Assignment| {
        let day = Date::from_ymd(2026, r.at.0, r.at.1).expect("a date");
        e.from <= day && day <= e.until
    };
    let mut by_unit: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in rows.iter().filter(|r| in_window(r)) {
        let variant = if e.variant == "arm" {
            &r.arm
        } else {
            &r.cohort
        };
        if let (Some(unit), Some(variant)) = (&r.unit, variant) {
            by_unit.entry(unit).or_default().insert(variant);
        }
    }
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    let mut left_out = 0.0;
    for variants in by_unit.values() {
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
    let out = common::cpic()
        .args(["sql", &dir.path().to_string_lossy(), "--experiment", "nope"])
        .output()
        .expect("cpic runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no experiment named `nope`"));
}
