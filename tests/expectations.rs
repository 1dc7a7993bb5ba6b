//! Data expectations (LANGUAGE.md section 10) executed on DuckDB, SQLite,
//! PostgreSQL (through `cpic::run`'s database layer, as `cpic test` runs
//! them) and Spark (through PySpark), on good data (every expectation
//! passes) and bad data (every one fails), each outcome held to values
//! computed here from the rows: `fresh` over a timestamp and a date column
//! (its bound included), `unique` over two columns (a key with a NULL is no
//! key), `not_null` over two columns, `expect` with unit conversions
//! (seconds against minutes, percentages against a fraction), periods
//! still running left alone, and a metric with no periods. The table name
//! holds a quote and the columns are SQL keywords.

mod common;

use std::collections::BTreeMap;

use common::engines::{self, Engine, Kind, Val};
use cpic::date::{Date, Moment};
use cpic::model::Model;
use cpic::run::cell::{Cell, ColumnKind};
use cpic::run::db::{Database, DatabaseUrl};
use cpic::run::expectations::{evaluate, evaluate_with, Found, Outcome};
use cpic::sql::results::ExpectationStatus;

const SPEC: &str = include_str!("fixtures/expectations/spec.cpi");
/// Judged at the start of this Saturday: the week of 2026-05-25 is still
/// running.
const TODAY: &str = "2026-05-30";
const HOSTILE: &str = "it's \\ \"x\"";

fn today() -> Date {
    Date::parse(TODAY).expect("a date")
}

fn model() -> Model {
    common::checked_model(SPEC)
}

/// Spark refuses table names beyond letters, digits and `_`: there the
/// orders are `its_orders`.
/// The spec with Spark's table names (Spark refuses `it's orders`), in
/// `database` when given.
fn spark_model(database: Option<&str>) -> Model {
    let prefix = database.map_or(String::new(), |d| format!("{d}."));
    common::checked_model(
        &SPEC
            .replace(&format!("\"{ORDERS}\""), &format!("\"{prefix}its_orders\""))
            .replace("\"visits\"", &format!("\"{prefix}visits\"")),
    )
}

const ORDERS: &str = "it's orders";

#[derive(Clone)]
struct Order {
    id: Option<String>,
    at: i64,
    group: Option<&'static str>,
    order: Option<&'static str>,
    amount: f64,
    wait: f64,
}

#[derive(Clone)]
struct Visit {
    visit: i64,
    day: Date,
    ok: Option<bool>,
}

fn seconds(date: Date) -> i64 {
    date.days_since_epoch() * 86_400
}

/// Good data: an order every 6 hours from 2026-03-02 to 2026-05-29 18:00
/// (6 hours before the judgement), a visit a day to 2026-05-29 (one day
/// old: `fresh: 1 day` holds, its bound included), both from Monday
/// 2026-03-02.
fn good() -> (Vec<Order>, Vec<Visit>) {
    let start = seconds(Date::parse("2026-03-02").expect("a date"));
    let end = seconds(today()) - 6 * 3600;
    let orders = (0..)
        .map(|i: i64| (i, start + i * 6 * 3600))
        .take_while(|(_, at)| *at <= end)
        .map(|(i, at)| Order {
            id: Some(format!("o{i}")),
            at,
            group: [Some("north"), Some("so'uth"), None][(i % 3) as usize],
            order: Some([HOSTILE, "plain"][(i % 2) as usize]),
            amount: 10.0 + (i % 5) as f64,
            wait: 5.0 + (i % 7) as f64,
        })
        .collect();
    let first = Date::parse("2026-03-02")
        .expect("a date")
        .days_since_epoch();
    let last = today().days_since_epoch() - 1;
    let visits = (first..=last)
        .enumerate()
        .map(|(i, day)| Visit {
            visit: i as i64,
            day: Date::from_days_since_epoch(day),
            ok: Some(i % 2 == 0),
        })
        .collect();
    (orders, visits)
}

/// Bad data: every expectation broken, and a few traps that must not
/// count (a repeated key with a NULL, an out-of-range week still running).
fn bad() -> (Vec<Order>, Vec<Visit>) {
    let (mut orders, mut visits) = good();
    let week = |d: &str| {
        let s = seconds(Date::parse(d).expect("a date"));
        s..s + 7 * 86_400
    };
    // Stale: nothing after 2026-05-27 00:00 (3 days old).
    let stale = seconds(Date::parse("2026-05-27").expect("a date"));
    orders.retain(|o| o.at <= stale);
    // A complete week out of range (30 minutes), and the running week too
    // (not judged: it has not ended).
    let (april, running) = (week("2026-04-06"), week("2026-05-25"));
    for o in orders.iter_mut() {
        if april.contains(&o.at) || running.contains(&o.at) {
            o.wait = 30.0;
        }
    }
    // Duplicates: o9 (north) three times, o10 (so'uth) twice; o11's group
    // is NULL, so its copy is no duplicate key.
    for (i, copies) in [(9, 2), (10, 1), (11, 1)] {
        for _ in 0..copies {
            orders.push(orders[i].clone());
        }
    }
    // Nulls: an id, an order, both.
    orders[30].id = None;
    orders[31].order = None;
    orders[32].id = None;
    orders[32].order = None;
    // Visits: stale by a day, visit 5 twice, two NULL `ok`s, and a week
    // where every visit was OK (above 90%).
    visits.pop();
    visits.push(Visit {
        visit: 5,
        ..visits[40].clone()
    });
    visits[3].ok = None;
    visits[4].ok = None;
    let ok_week = Date::parse("2026-04-13")
        .expect("a date")
        .days_since_epoch();
    for v in visits.iter_mut() {
        let d = v.day.days_since_epoch();
        if (ok_week..ok_week + 7).contains(&d) {
            v.ok = Some(true);
        }
    }
    (orders, visits)
}

const ORDER_COLUMNS: [(&str, &str); 6] = [
    ("id", "text"),
    ("at", "timestamp"),
    ("group", "text"),
    ("order", "text"),
    ("amount", "number"),
    ("wait", "number"),
];
const VISIT_COLUMNS: [(&str, &str); 3] = [("visit", "int"), ("day", "date"), ("ok", "bool")];

fn load(engine: &mut dyn Engine, data: &(Vec<Order>, Vec<Visit>)) {
    load_as(engine, ORDERS, data);
}

fn load_as(
    engine: &mut dyn Engine,
    orders_table: &str,
    (orders, visits): &(Vec<Order>, Vec<Visit>),
) {
    let d = engine.dialect().dialect();
    engines::load_table(engine, &d.ident(orders_table), &ORDER_COLUMNS, orders);
    engines::load_table(engine, &d.ident("visits"), &VISIT_COLUMNS, visits);
}

impl engines::TableRow for Order {
    fn texts(&self) -> Vec<Option<String>> {
        vec![
            self.id.clone(),
            Some(common::timestamp(self.at)),
            self.group.map(str::to_string),
            self.order.map(str::to_string),
            Some(self.amount.to_string()),
            Some(self.wait.to_string()),
        ]
    }
}

impl engines::TableRow for Visit {
    fn texts(&self) -> Vec<Option<String>> {
        vec![
            Some(self.visit.to_string()),
            Some(self.day.to_string()),
            self.ok.map(|b| b.to_string()),
        ]
    }
}

/// What an expectation should find, computed from the rows.
#[derive(Debug, PartialEq)]
struct Want {
    pass: bool,
    /// fresh: the age in seconds; the others: keys, rows or periods found.
    found: f64,
    checked: u64,
    /// unique: (key, rows); not_null: the rows with a null (first five,
    /// as many as found); expect: (period, value).
    examples: Vec<String>,
}

fn week_start(day: i64) -> i64 {
    // 1970-01-01 was a Thursday: Monday is 4 days earlier.
    day - (day + 3).rem_euclid(7)
}

/// Weekly means of complete weeks (ending on or before today).
fn weekly(points: impl Iterator<Item = (i64, f64)>) -> BTreeMap<i64, f64> {
    let mut sums: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
    for (day, v) in points {
        let e = sums.entry(week_start(day)).or_default();
        e.0 += v;
        e.1 += 1.0;
    }
    let today = today().days_since_epoch();
    sums.into_iter()
        .filter(|(w, _)| w + 7 <= today)
        .map(|(w, (s, n))| (w, s / n))
        .collect()
}

fn expect_want(series: BTreeMap<i64, f64>, low: f64, high: f64) -> Want {
    let out: Vec<String> = series
        .iter()
        .filter(|(_, v)| **v < low || **v > high)
        .map(|(w, v)| format!("{} {v:.6}", Date::from_days_since_epoch(*w)))
        .collect();
    Want {
        pass: out.is_empty(),
        found: out.len() as f64,
        checked: series.len() as u64,
        examples: out,
    }
}

fn oracle((orders, visits): &(Vec<Order>, Vec<Visit>)) -> BTreeMap<&'static str, Want> {
    let now = seconds(today());
    let mut want = BTreeMap::new();
    let newest = orders.iter().map(|o| o.at).max().expect("orders");
    want.insert(
        "orders.fresh",
        Want {
            pass: now - newest <= 2 * 86_400,
            found: (now - newest) as f64,
            checked: orders.len() as u64,
            examples: vec![],
        },
    );
    let mut keys: BTreeMap<(String, &str), u64> = BTreeMap::new();
    for o in orders {
        if let (Some(id), Some(g)) = (&o.id, o.group) {
            *keys.entry((id.clone(), g)).or_default() += 1;
        }
    }
    let mut dupes: Vec<((String, &str), u64)> = keys
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    dupes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    want.insert(
        "orders.unique",
        Want {
            pass: dupes.is_empty(),
            found: dupes.len() as f64,
            checked: keys.values().sum(),
            examples: dupes
                .iter()
                .take(5)
                .map(|((id, g), n)| format!("{id}|{g}|{n}"))
                .collect(),
        },
    );
    let nulls = orders
        .iter()
        .filter(|o| o.id.is_none() || o.order.is_none())
        .count();
    want.insert(
        "orders.not_null",
        Want {
            pass: nulls == 0,
            found: nulls as f64,
            checked: orders.len() as u64,
            examples: vec![String::new(); nulls.min(5)],
        },
    );
    let newest = visits.iter().map(|v| v.day).max().expect("visits");
    let age = (today().days_since_epoch() - newest.days_since_epoch()) * 86_400;
    want.insert(
        "visits.fresh",
        Want {
            pass: age <= 86_400,
            found: age as f64,
            checked: visits.len() as u64,
            examples: vec![],
        },
    );
    let mut ids: BTreeMap<i64, u64> = BTreeMap::new();
    for v in visits {
        *ids.entry(v.visit).or_default() += 1;
    }
    let dupes: Vec<String> = ids
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, n)| format!("{id}|{n}"))
        .collect();
    want.insert(
        "visits.unique",
        Want {
            pass: dupes.is_empty(),
            found: dupes.len() as f64,
            checked: visits.len() as u64,
            examples: dupes,
        },
    );
    let nulls = visits.iter().filter(|v| v.ok.is_none()).count();
    want.insert(
        "visits.not_null",
        Want {
            pass: nulls == 0,
            found: nulls as f64,
            checked: visits.len() as u64,
            examples: vec![String::new(); nulls.min(5)],
        },
    );
    // `wait` in minutes; its range, written in seconds, is 0.5 .. 20 min.
    let waits = weekly(orders.iter().map(|o| (o.at.div_euclid(86_400), o.wait)));
    want.insert("wait.expect", expect_want(waits, 0.5, 20.0));
    // `ok_share` a fraction; its range, in percent, is 0.1 .. 0.9.
    let oks = weekly(
        visits
            .iter()
            .filter_map(|v| Some((v.day.days_since_epoch(), f64::from(u8::from(v.ok?))))),
    );
    want.insert("ok_share.expect", expect_want(oks, 0.1, 0.9));
    want.insert(
        "nowhere.expect",
        Want {
            pass: true,
            found: 0.0,
            checked: 0,
            examples: vec![],
        },
    );
    want
}

/// An outcome in the oracle's terms.
fn got(o: &Outcome) -> Want {
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".to_string());
    let (found, checked, examples) = match &o.found {
        Found::Fresh {
            age_seconds, rows, ..
        } => (age_seconds.expect("an age"), *rows, vec![]),
        Found::Unique {
            duplicate_keys,
            rows,
            examples,
        } => (
            *duplicate_keys as f64,
            *rows,
            examples
                .iter()
                .map(|d| {
                    let mut parts: Vec<String> = d.key.iter().map(|v| text(&v.value)).collect();
                    parts.push(d.rows.to_string());
                    parts.join("|")
                })
                .collect(),
        ),
        Found::NotNull {
            rows_with_null,
            rows,
            examples,
        } => (
            *rows_with_null as f64,
            *rows,
            examples.iter().map(|_| String::new()).collect(),
        ),
        Found::Expect {
            out_of_range,
            periods,
            examples,
        } => (
            *out_of_range as f64,
            *periods,
            examples
                .iter()
                .map(|p| format!("{} {:.6}", &p.period[..10], p.value))
                .collect(),
        ),
        Found::Error { message } => panic!("{}: {message}", o.name),
    };
    Want {
        pass: o.status == ExpectationStatus::Pass,
        found,
        checked,
        examples,
    }
}

fn assert_outcomes(what: &str, outcomes: &[Outcome], want: &BTreeMap<&str, Want>) {
    let names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        want.keys().copied().collect::<Vec<_>>(),
        "{what}: the expectations, by name"
    );
    for o in outcomes {
        let got = got(o);
        let w = &want[o.name.as_str()];
        assert!(
            common::engines::close(got.found, w.found),
            "{what}: {} found {} (want {})",
            o.name,
            got.found,
            w.found
        );
        assert_eq!(got, *w, "{what}: {}", o.name);
        if let Found::NotNull { examples, .. } = &o.found {
            for row in examples {
                let null = |c: &str| row.iter().any(|v| v.column == c && v.value.is_none());
                let hit = if o.name == "orders.not_null" {
                    null("id") || null("order")
                } else {
                    null("visit") || null("ok")
                };
                assert!(hit, "{what}: {} example {row:?} has a null", o.name);
            }
        }
    }
}

fn now() -> Moment {
    Moment::start_of(today())
}

/// `cpic test`'s evaluation through `cpic::run::db` at `url`.
fn run_on(url: &str, model: &Model) -> Vec<Outcome> {
    let url = DatabaseUrl::parse(url, std::path::Path::new(".")).expect("a URL");
    let mut db = Database::open(&url, std::path::Path::new(".")).expect("the database opens");
    evaluate(model, &model.expectations(), &mut db, url.dialect(), now())
}

#[test]
fn every_expectation_passes_and_fails_on_every_engine() {
    let model = model();
    let dir = tempfile::tempdir().expect("a folder");
    for (label, data) in [("good", good()), ("bad", bad())] {
        let want = oracle(&data);
        assert_eq!(
            want.values().filter(|w| w.pass).count(),
            if label == "good" { 9 } else { 1 },
            "the {label} data set passes as designed (bad: only the metric without periods)"
        );
        let duck = dir.path().join(format!("{label}.duckdb"));
        let lite = dir.path().join(format!("{label}.sqlite"));
        {
            let mut engine =
                engines::DuckDb(duckdb::Connection::open(&duck).expect("a DuckDB file"));
            load(&mut engine, &data);
            let mut engine =
                engines::Sqlite(rusqlite::Connection::open(&lite).expect("a SQLite file"));
            load(&mut engine, &data);
        }
        let duck_url = format!("duckdb://{}", duck.display());
        let outcomes = run_on(&duck_url, &model);
        assert_outcomes(&format!("duckdb, {label}"), &outcomes, &want);
        let outcomes = run_on(&format!("sqlite://{}", lite.display()), &model);
        assert_outcomes(&format!("sqlite, {label}"), &outcomes, &want);
        if let Some(mut pg) = engines::Postgres::connect(&format!("expectations_{label}")) {
            load(&mut pg, &data);
            let separator = if pg.url().contains('?') { '&' } else { '?' };
            let url = format!(
                "{}{separator}options=-csearch_path%3D{}",
                pg.url(),
                pg.schema()
            );
            let outcomes = run_on(&url, &model);
            assert_outcomes(&format!("postgres, {label}"), &outcomes, &want);
        }
    }
}

#[test]
fn every_expectation_passes_and_fails_on_spark() {
    let Some(mut spark) = engines::Spark::start("expectations") else {
        return;
    };
    let model = spark_model(None);
    // The same spec with qualified names, for cpic's own session.
    let qualified = spark_model(Some(spark.database()));
    for (label, data) in [("good", good()), ("bad", bad())] {
        let d = spark.dialect().dialect();
        for table in ["its_orders", "visits"] {
            spark.execute(&format!("DROP TABLE IF EXISTS {}", d.ident(table)));
        }
        load_as(&mut spark, "its_orders", &data);
        let outcomes = evaluate_with(
            &model,
            &model.expectations(),
            cpic::sql::DialectName::Spark,
            now(),
            &mut |sql, columns| {
                let kinds: Vec<(&str, Kind)> = columns
                    .iter()
                    .map(|(name, kind)| {
                        let kind = match kind {
                            ColumnKind::Number => Kind::Num,
                            ColumnKind::Text => Kind::Text,
                        };
                        (*name, kind)
                    })
                    .collect();
                Ok(engines::select(&mut spark, sql, &kinds)
                    .into_iter()
                    .map(|row| {
                        row.into_iter()
                            .map(|v| match v {
                                Val::Num(n) => Cell::Number(n),
                                Val::Text(t) => Cell::Text(t),
                            })
                            .collect()
                    })
                    .collect())
            },
        );
        assert_outcomes(&format!("spark, {label}"), &outcomes, &oracle(&data));
        // Through `cpic test`'s own database layer, in a session of its own.
        let outcomes = run_on(spark.url(), &qualified);
        assert_outcomes(
            &format!("spark connect, {label}"),
            &outcomes,
            &oracle(&data),
        );
    }
}

// ------------------------------------------------------------ `cpic test`

const FAILING: &str = "tests/fixtures/expectations/failing";

/// `cpic test` on the fixture project whose data breaks every kind, from
/// the repository's root (as a CI job runs it).
fn cpic_test(extra: &[&str]) -> std::process::Output {
    common::cpic()
        .current_dir(common::root())
        .args(["test", FAILING, "--today", "2026-05-01"])
        .args(extra)
        .output()
        .expect("cpic runs")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8")
}

const FAILED: [&str; 5] = [
    "days.fresh",
    "quote_wait.expect",
    "quotes.fresh",
    "quotes.not_null",
    "quotes.unique",
];

#[test]
fn cpic_test_says_what_failed_and_where() {
    let out = cpic_test(&[]);
    assert_eq!(out.status.code(), Some(1), "a failure exits 1");
    let text = stdout(&out);
    for name in FAILED {
        assert!(
            text.lines()
                .any(|l| l.starts_with("FAIL") && l.contains(name)),
            "{name} fails:\n{text}"
        );
    }
    assert!(text.contains("pass  visits.expect"), "{text}");
    assert!(text.contains("found: the newest is 2026-04-19 12:00:00, 11 days 12 hours old"));
    assert!(text.contains(
        "2 keys are shared by more than one row: quote_id = q3 (3 rows); quote_id = q8 (2 rows)"
    ));
    assert!(text.contains("2 of 31 rows have a null"));
    assert!(text.contains("1 of 2 complete periods out of the range: 2026-04-13: 15 min"));
    assert!(text.contains("declared at spec.cpi:16"));
    assert!(text
        .trim_end()
        .ends_with("6 expectations: 1 passed, 5 failed"));
}

#[test]
fn cpic_test_json_is_stable() {
    let out = cpic_test(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let failed: Vec<&str> = json
        .as_array()
        .expect("an array")
        .iter()
        .filter(|o| o["status"] == "fail")
        .map(|o| o["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(failed, FAILED);
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn cpic_test_junit_is_read_by_a_junit_reader() {
    let out = cpic_test(&["--format", "junit"]);
    assert_eq!(out.status.code(), Some(1));
    let suites = junit_parser::from_reader(std::io::Cursor::new(out.stdout.clone()))
        .expect("JUnit XML a JUnit reader accepts");
    assert_eq!(suites.suites.len(), 1);
    let suite = &suites.suites[0];
    assert_eq!((suite.tests, suite.failures, suite.errors), (6, 5, 0));
    let failed: Vec<&str> = suite
        .cases
        .iter()
        .filter(|c| c.status.is_failure())
        .map(|c| c.original_name.as_str())
        .collect();
    assert_eq!(failed, FAILED);
    let unique = suite
        .cases
        .iter()
        .find(|c| c.original_name == "quotes.unique")
        .expect("the unique case");
    assert_eq!(unique.classname.as_deref(), Some("quotes"));
    let failure = unique.status.failure_as_ref();
    assert!(
        failure.message.contains("quote_id = q3 (3 rows)"),
        "{failure:?}"
    );
    assert_eq!(failure.failure_type, "unique");
}

#[test]
fn cpic_test_github_annotates_the_declaring_lines() {
    let out = cpic_test(&["--format", "github"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines.contains(&"::error file=tests/fixtures/expectations/failing/spec.cpi,line=16,col=3,endLine=16,endColumn=8,title=cpic test%3A quotes.fresh [fresh]::quotes.fresh failed: expected the newest `requested_at` is at most 2 days old; the newest is 2026-04-19 12:00:00, 11 days 12 hours old"),
        "{text}"
    );
}

#[test]
fn sarif_validates_against_the_sarif_schema() {
    let dir = tempfile::tempdir().expect("a folder");
    let test = cpic_test(&["--format", "sarif"]);
    assert_eq!(test.status.code(), Some(1));
    let check = common::cpic()
        .current_dir(common::root())
        .args([
            "check",
            "tests/fixtures/diagnostics/E0319.cpi",
            "--format",
            "sarif",
        ])
        .output()
        .expect("cpic runs");
    assert_eq!(check.status.code(), Some(1));
    for (what, out, results) in [("test", &test, 5), ("check", &check, 3)] {
        let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(log["version"], "2.1.0");
        let found = log["runs"][0]["results"].as_array().expect("results");
        assert_eq!(found.len(), results, "{what}");
        let location = &found[0]["locations"][0]["physicalLocation"];
        assert!(
            location["artifactLocation"]["uri"]
                .as_str()
                .expect("a uri")
                .starts_with("tests/fixtures/"),
            "{what}: {location}"
        );
        let path = dir.path().join(format!("{what}.sarif"));
        std::fs::write(&path, &out.stdout).expect("written");
        if let Some(python) = common::jsonschema_python() {
            let errors = common::schema_errors(
                &python,
                &common::root().join("tests/fixtures/sarif-schema-2.1.0.json"),
                &path,
            );
            assert!(errors.is_empty(), "{what}: {errors:#?}");
        }
    }
}

#[test]
fn check_github_annotates_diagnostics() {
    let out = common::cpic()
        .current_dir(common::root())
        .args([
            "check",
            "tests/fixtures/diagnostics/E0319.cpi",
            "--format",
            "github",
        ])
        .output()
        .expect("cpic runs");
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.starts_with("::error file=tests/fixtures/diagnostics/E0319.cpi,line=17,col=10,endLine=17,endColumn=17,title=`fresh` is not a positive duration [E0319]::`fresh` must be a positive duration, such as `2 days`: not a duration%0Ahelp: "),
        "{text}"
    );
}

#[test]
fn only_selects_and_names_nothing_is_a_usage_error() {
    let out = cpic_test(&["--only", "quotes.unique", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json.as_array().expect("an array").len(), 1);
    let out = cpic_test(&["--only", "visits"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("1 expectation: 1 passed, 0 failed"));
    let out = cpic_test(&["--only", "nothing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`nothing`"));
}

#[test]
fn sql_tests_prints_every_query() {
    let out = common::cpic_ok([
        "sql",
        &format!("{}/{FAILING}", common::root().display()),
        "--tests",
        "--today",
        "2026-05-01",
    ]);
    let text = stdout(&out);
    assert_eq!(text.matches("-- Expectation `").count(), 6, "{text}");
    assert!(text.contains("-- Expectation `quotes.fresh`, as of 2026-05-01 00:00:00 UTC"));
}

#[test]
fn the_site_shows_expectations_and_marks_stale_sources() {
    let dir = tempfile::tempdir().expect("a folder");
    let out = dir.path().join("site");
    common::cpic_ok([
        "docs".as_ref(),
        common::root().join(FAILING).as_os_str(),
        "--today".as_ref(),
        "2026-05-01".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    let page = |p: &str| std::fs::read_to_string(out.join(p)).expect("a page");
    let source = page("sources/quotes.html");
    for name in ["quotes.fresh", "quotes.unique", "quotes.not_null"] {
        let row = source
            .lines()
            .find(|l| l.contains(&format!("<code>{name}</code>")))
            .unwrap_or_else(|| panic!("{name} is listed"));
        assert!(row.contains("badge-bad\">fails"), "{row}");
    }
    // A value from the data is text, never markup.
    assert!(
        source.contains("&#60;i&#62;phone&#60;/i&#62; &#38; &#34;co&#34;"),
        "escaped"
    );
    assert!(!source.contains("<i>phone"));
    let metric = page("metrics/quote_wait.html");
    assert!(
        metric.contains("⚠ Source quotes may be stale: it is expected that the newest `requested_at` is at most 2 days old, but the newest is 2026-04-19 12:00:00, 11 days 12 hours old."),
        "the metric page warns"
    );
    assert!(metric.contains("Expected range"));
    let days = page("sources/days.html");
    assert!(days.contains("<code>days.fresh</code>"));
    // Without data nothing is judged.
    let bare = dir.path().join("bare");
    common::cpic_ok([
        "docs".as_ref(),
        common::root().join(FAILING).as_os_str(),
        "--no-data".as_ref(),
        "-o".as_ref(),
        bare.as_os_str(),
    ]);
    let source = std::fs::read_to_string(bare.join("sources/quotes.html")).expect("a page");
    assert!(source.contains("not checked") && !source.contains("fails"));
}

#[test]
fn run_with_test_warns_and_reports_expectations() {
    let out = common::cpic()
        .current_dir(common::root())
        .args([
            "run",
            FAILING,
            "--today",
            "2026-05-01",
            "--test",
            "--format",
            "json",
        ])
        .output()
        .expect("cpic runs");
    assert!(out.status.success(), "the run itself succeeds");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: 5 of 6 data expectations fail"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  quotes.unique: 2 keys are shared"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["expectations"].as_array().map(Vec::len), Some(6));
    // Not asked: not run.
    let out = common::cpic()
        .current_dir(common::root())
        .args(["run", FAILING, "--today", "2026-05-01", "--format", "json"])
        .output()
        .expect("cpic runs");
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("expectations fail"));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(report["expectations"].is_null());
}

#[test]
fn every_example_declares_expectations_that_hold_on_its_data() {
    for example in common::examples() {
        let out = common::cpic()
            .args(["test".as_ref(), example.as_os_str()])
            .args(["--today", common::TODAY, "--format", "json"])
            .output()
            .expect("cpic runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}: {text}", example.display());
        let outcomes: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let kinds: std::collections::BTreeSet<&str> = outcomes
            .as_array()
            .expect("an array")
            .iter()
            .map(|o| o["kind"].as_str().expect("a kind"))
            .collect();
        assert_eq!(
            kinds.len(),
            4,
            "{} declares every kind: {kinds:?}",
            example.display()
        );
    }
}
