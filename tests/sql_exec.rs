//! The generated SQL executed on real engines (DuckDB, SQLite, PostgreSQL)
//! against generated data, compared with values computed independently in
//! Rust below: every aggregate, unit conversion, grain, filter, dimension,
//! derived metric, link and target status.

mod common;

use std::collections::BTreeMap;

use common::engines::{self, close, select, Engine, Kind};
use cpic::date::Date;
use cpic::sql::{self, DialectName, Options};

const SPEC: &str = r#"
team ops { name: "Ops" }
source events {
  table: "events"
  time: at
  columns {
    id: text  customer: text  at: timestamp  done_at: timestamp  day: date  closed: date
    amount: USD  ok: bool  kind: text  n: int
  }
}
cpi wait_median {
  title: "Median wait" outcome: "Get an answer fast" owner: ops unit: min direction: lower tier: core
  evidence: contextual_inquiry "Visits" source: events
  measure: median(done_at - at)
  filter: kind != "test"
  grain: week
  dimensions: kind
  target { range: 4 min .. 5 min from: 2025-01-01 until: 2026-12-31 baseline: 6 min }
}
cpi wait_p90 {
  title: "Slow waits" outcome: "Never wait long" owner: ops unit: s direction: lower tier: driver
  evidence: contextual_inquiry "Visits" source: events
  measure: percentile(done_at - at, 0.9) grain: month
}
cpi fast_share {
  title: "Fast answers" outcome: "Get an answer fast" owner: ops unit: % direction: higher tier: driver
  evidence: contextual_inquiry "Visits" source: events
  measure: count(where done_at - at < 2 min) / count() grain: week
}
cpi days_to_close {
  title: "Time to close" outcome: "Be done" owner: ops unit: h direction: lower tier: leading
  evidence: contextual_inquiry "Visits" source: events time: day
  measure: avg(closed - day) grain: quarter
}
kpi ok_share { title: "OK" owner: ops unit: % direction: higher source: events measure: avg(ok) grain: week
  target first { range: 40% .. 60% from: 2025-01-01 until: 2025-12-31 baseline: 30% }
  target second { range: 70% .. 80% from: 2026-01-01 until: 2026-12-31 baseline: 50% }
}
kpi ok_count { title: "OK count" owner: ops unit: count direction: higher source: events measure: sum(ok) grain: day }
kpi revenue { title: "Revenue" owner: ops unit: USD direction: higher source: events measure: sum(amount where ok) grain: week
  target { range: 100 USD .. 200 USD from: 2026-01-01 until: 2026-12-31 baseline: 90 USD }
}
kpi orders { title: "Orders" owner: ops unit: {orders} direction: higher source: events measure: count() grain: week }
kpi per_order { title: "Per order" owner: ops unit: USD direction: higher measure: revenue / orders grain: week }
kpi customers { title: "Customers" owner: ops unit: {customers} direction: higher source: events measure: count_distinct(customer) grain: month
  target { range: 10 {customers} .. 20 {customers} from: 2026-01-01 until: 2026-12-31 baseline: 8 {customers} }
}
kpi spread { title: "Spread" owner: ops unit: USD direction: lower source: events measure: max(amount) - min(amount) grain: quarter }
kpi safe_revenue { title: "Safe revenue" owner: ops unit: USD direction: higher source: events
  measure: sum(coalesce(amount, 0 USD)) filter: kind in ("a", "b") and n > 2 grain: year }
kpi amount_known { title: "Known" owner: ops unit: 1 direction: higher source: events
  measure: count(amount) / count() filter: not (amount is null and ok) grain: month }
kpi slowest_a { title: "Slowest a" owner: ops unit: s direction: lower source: events measure: max(done_at - at where kind = "a") grain: week }
kpi quickest_h { title: "Quickest" owner: ops unit: h direction: lower source: events measure: min(done_at - at) + 0.5 min grain: month }
kpi a_events { title: "A events" owner: ops unit: {events} direction: higher source: events measure: count(where kind = "a") grain: day }
kpi a_customers { title: "A customers" owner: ops unit: {customers} direction: higher source: events
  measure: count_distinct(customer where kind = "a") grain: day }
link wait_median -> ok_share { hypothesis: "h" lag: 1 week }
link fast_share -> revenue { hypothesis: "h" }
link wait_median -> customers { hypothesis: "h" grain: month lag: 1 month }
link fast_share -> per_order { hypothesis: "h" expect: worsens min_periods: 5 }
link days_to_close -> spread { hypothesis: "h" }
link wait_p90 -> quickest_h { hypothesis: "h" lag: 1 quarter grain: quarter min_periods: 3 }
"#;

#[derive(Clone, Debug)]
struct Row {
    id: String,
    customer: String,
    at: i64,
    done_at: Option<i64>,
    day: Date,
    closed: Date,
    amount: Option<f64>,
    ok: Option<bool>,
    kind: &'static str,
    n: i64,
}

/// A deterministic data set: 900 events from 2025-01-01 to mid-2026, with
/// NULLs sprinkled in every nullable column.
fn data() -> Vec<Row> {
    let mut seed: u64 = 42;
    let mut next = move |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    let start = Date::parse("2025-01-01").expect("date").days_since_epoch() * 86_400;
    (0..900)
        .map(|i| {
            let at = start + (i as i64) * 57_600 + next(50_000) as i64; // ~16 h apart
            let wait = 10 + next(400) as i64 + (i as i64 % 50);
            let day = Date::from_days_since_epoch(at.div_euclid(86_400));
            let kind = ["a", "b", "test"][next(3) as usize];
            Row {
                id: format!("e{i}"),
                customer: format!("c{}", next(40)),
                at,
                done_at: (next(20) != 0).then_some(at + wait),
                day,
                closed: Date::from_days_since_epoch(day.days_since_epoch() + next(9) as i64),
                amount: (next(20) != 0).then(|| (next(100_000) as f64) / 100.0),
                ok: (next(30) != 0).then(|| next(1000) as i64 > wait * 2),
                kind,
                n: next(6) as i64,
            }
        })
        .collect()
}

const EVENT_COLUMNS: [(&str, &str); 10] = [
    ("id", "text"),
    ("customer", "text"),
    ("at", "timestamp"),
    ("done_at", "timestamp"),
    ("day", "date"),
    ("closed", "date"),
    ("amount", "number"),
    ("ok", "bool"),
    ("kind", "text"),
    ("n", "int"),
];

impl engines::TableRow for Row {
    fn texts(&self) -> Vec<Option<String>> {
        let r = self;
        vec![
            Some(r.id.clone()),
            Some(r.customer.clone()),
            Some(common::timestamp(r.at)),
            r.done_at.map(common::timestamp),
            Some(r.day.to_string()),
            Some(r.closed.to_string()),
            r.amount.map(|a| format!("{a:?}")),
            r.ok.map(|b| b.to_string()),
            Some(r.kind.to_string()),
            Some(r.n.to_string()),
        ]
    }
}

// ------------------------------------------------------------ expectations

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum G {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

fn period(g: G, d: Date) -> Date {
    match g {
        G::Day => d,
        G::Week => {
            let days = d.days_since_epoch();
            // 1970-01-01 was a Thursday: Monday is 3 days before.
            Date::from_days_since_epoch(days - (days + 3).rem_euclid(7))
        }
        G::Month => Date::from_ymd(d.year, d.month, 1).expect("date"),
        G::Quarter => Date::from_ymd(d.year, (d.month - 1) / 3 * 3 + 1, 1).expect("date"),
        G::Year => Date::from_ymd(d.year, 1, 1).expect("date"),
    }
}

fn add(g: G, d: Date, n: i64) -> Date {
    let months = |m: i64| {
        let total = d.year as i64 * 12 + (d.month as i64 - 1) + m;
        Date::from_ymd(
            total.div_euclid(12) as i32,
            total.rem_euclid(12) as u32 + 1,
            1,
        )
        .expect("date")
    };
    match g {
        G::Day => Date::from_days_since_epoch(d.days_since_epoch() + n),
        G::Week => Date::from_days_since_epoch(d.days_since_epoch() + 7 * n),
        G::Month => months(n),
        G::Quarter => months(3 * n),
        G::Year => months(12 * n),
    }
}

fn percentile(mut v: Vec<f64>, p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    Some(v[lo] + (v[hi] - v[lo]) * (h - lo as f64))
}

fn wait(r: &Row) -> Option<f64> {
    r.done_at.map(|d| (d - r.at) as f64)
}

type Measure = fn(&[&Row]) -> Option<f64>;

/// A metric computed by hand: its grain, time, filter and measure.
struct Expected {
    name: &'static str,
    grain: G,
    by_day: bool,
    filter: fn(&Row) -> bool,
    measure: Measure,
}

fn avg(v: Vec<f64>) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn expected() -> Vec<Expected> {
    let all = |_: &Row| true;
    vec![
        Expected {
            name: "wait_median",
            grain: G::Week,
            by_day: false,
            filter: |r| r.kind != "test",
            measure: |rows| {
                percentile(rows.iter().filter_map(|r| wait(r)).collect(), 0.5).map(|s| s / 60.0)
            },
        },
        Expected {
            name: "wait_p90",
            grain: G::Month,
            by_day: false,
            filter: all,
            measure: |rows| percentile(rows.iter().filter_map(|r| wait(r)).collect(), 0.9),
        },
        Expected {
            name: "fast_share",
            grain: G::Week,
            by_day: false,
            filter: all,
            measure: |rows| {
                Some(
                    rows.iter()
                        .filter(|r| wait(r).is_some_and(|w| w < 120.0))
                        .count() as f64
                        / rows.len() as f64
                        * 100.0,
                )
            },
        },
        Expected {
            name: "days_to_close",
            grain: G::Quarter,
            by_day: true,
            filter: all,
            measure: |rows| {
                avg(rows
                    .iter()
                    .map(|r| (r.closed.days_since_epoch() - r.day.days_since_epoch()) as f64)
                    .collect())
                .map(|d| d * 24.0)
            },
        },
        Expected {
            name: "ok_share",
            grain: G::Week,
            by_day: false,
            filter: all,
            measure: |rows| {
                avg(rows
                    .iter()
                    .filter_map(|r| r.ok)
                    .map(|b| if b { 1.0 } else { 0.0 })
                    .collect())
                .map(|v| v * 100.0)
            },
        },
        Expected {
            name: "ok_count",
            grain: G::Day,
            by_day: false,
            filter: all,
            measure: |rows| {
                let v: Vec<f64> = rows
                    .iter()
                    .filter_map(|r| r.ok)
                    .map(|b| if b { 1.0 } else { 0.0 })
                    .collect();
                (!v.is_empty()).then(|| v.iter().sum())
            },
        },
        Expected {
            name: "revenue",
            grain: G::Week,
            by_day: false,
            filter: all,
            measure: |rows| {
                let v: Vec<f64> = rows
                    .iter()
                    .filter(|r| r.ok == Some(true))
                    .filter_map(|r| r.amount)
                    .collect();
                (!v.is_empty()).then(|| v.iter().sum())
            },
        },
        Expected {
            name: "orders",
            grain: G::Week,
            by_day: false,
            filter: all,
            measure: |rows| Some(rows.len() as f64),
        },
        Expected {
            name: "customers",
            grain: G::Month,
            by_day: false,
            filter: all,
            measure: |rows| {
                Some(
                    rows.iter()
                        .map(|r| r.customer.as_str())
                        .collect::<std::collections::BTreeSet<_>>()
                        .len() as f64,
                )
            },
        },
        Expected {
            name: "spread",
            grain: G::Quarter,
            by_day: false,
            filter: all,
            measure: |rows| {
                let v: Vec<f64> = rows.iter().filter_map(|r| r.amount).collect();
                let max = v
                    .iter()
                    .copied()
                    .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
                let min = v
                    .iter()
                    .copied()
                    .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))));
                Some(max? - min?)
            },
        },
        Expected {
            name: "safe_revenue",
            grain: G::Year,
            by_day: false,
            filter: |r| (r.kind == "a" || r.kind == "b") && r.n > 2,
            measure: |rows| Some(rows.iter().map(|r| r.amount.unwrap_or(0.0)).sum()),
        },
        Expected {
            name: "amount_known",
            grain: G::Month,
            by_day: false,
            // SQL's three-valued logic: NOT (NULL AND ok) keeps a row only when it is TRUE.
            filter: |r| matches!((r.amount.is_none(), r.ok), (false, _) | (true, Some(false))),
            measure: |rows| {
                Some(rows.iter().filter(|r| r.amount.is_some()).count() as f64 / rows.len() as f64)
            },
        },
        // Days with events but none of kind a count 0, not "no value".
        Expected {
            name: "a_events",
            grain: G::Day,
            by_day: false,
            filter: all,
            measure: |rows| Some(rows.iter().filter(|r| r.kind == "a").count() as f64),
        },
        Expected {
            name: "a_customers",
            grain: G::Day,
            by_day: false,
            filter: all,
            measure: |rows| {
                Some(
                    rows.iter()
                        .filter(|r| r.kind == "a")
                        .map(|r| r.customer.as_str())
                        .collect::<std::collections::BTreeSet<_>>()
                        .len() as f64,
                )
            },
        },
        Expected {
            name: "slowest_a",
            grain: G::Week,
            by_day: false,
            filter: all,
            measure: |rows| {
                rows.iter()
                    .filter(|r| r.kind == "a")
                    .filter_map(|r| wait(r))
                    .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))
            },
        },
        Expected {
            name: "quickest_h",
            grain: G::Month,
            by_day: false,
            filter: all,
            measure: |rows| {
                rows.iter()
                    .filter_map(|r| wait(r))
                    .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))))
                    .map(|s| (s + 30.0) / 3600.0)
            },
        },
    ]
}

/// A metric's series at a grain: every period with filtered rows, and the
/// value there (None where the measure has no value).
fn series_at(rows: &[Row], e: &Expected, g: G) -> BTreeMap<Date, Option<f64>> {
    let mut groups: BTreeMap<Date, Vec<&Row>> = BTreeMap::new();
    for r in rows.iter().filter(|r| (e.filter)(r)) {
        let d = if e.by_day {
            r.day
        } else {
            Date::from_days_since_epoch(r.at.div_euclid(86_400))
        };
        groups.entry(period(g, d)).or_default().push(r);
    }
    groups
        .into_iter()
        .map(|(p, rs)| (p, (e.measure)(&rs)))
        .collect()
}

fn expected_series(rows: &[Row], name: &str, g: G) -> BTreeMap<Date, Option<f64>> {
    if name == "per_order" {
        let revenue = expected_series(rows, "revenue", g);
        let orders = expected_series(rows, "orders", g);
        return revenue
            .iter()
            .filter_map(|(p, r)| {
                let o = orders.get(p)?;
                Some((
                    *p,
                    match (r, o) {
                        (Some(r), Some(o)) if *o != 0.0 => Some(r / o),
                        _ => None,
                    },
                ))
            })
            .collect();
    }
    let e = expected()
        .into_iter()
        .find(|e| e.name == name)
        .expect("an expectation");
    series_at(rows, &e, g)
}

fn grain_of(name: &str) -> G {
    if name == "per_order" {
        return G::Week;
    }
    expected()
        .into_iter()
        .find(|e| e.name == name)
        .expect("known")
        .grain
}

// ------------------------------------------------------------ helpers

fn model() -> cpic::model::Model {
    common::checked_model(SPEC)
}

fn series_rows(engine: &mut dyn Engine, sql: &str) -> BTreeMap<Date, Option<f64>> {
    select(engine, sql, &[("period", Kind::Text), ("value", Kind::Num)])
        .into_iter()
        .map(|r| {
            (
                Date::parse(&r[0].text().expect("a period")[..10]).expect("a date"),
                r[1].num(),
            )
        })
        .collect()
}

fn assert_series(
    engine: &str,
    what: &str,
    got: &BTreeMap<Date, Option<f64>>,
    want: &BTreeMap<Date, Option<f64>>,
) {
    let got_keys: Vec<&Date> = got.keys().collect();
    let want_keys: Vec<&Date> = want.keys().collect();
    assert_eq!(got_keys, want_keys, "{engine}: periods of {what}");
    for (p, w) in want {
        let g = got[p];
        match (g, w) {
            (Some(g), Some(w)) => {
                assert!(close(g, *w), "{engine}: {what} at {p}: got {g}, want {w}")
            }
            (None, None) => {}
            _ => panic!("{engine}: {what} at {p}: got {g:?}, want {w:?}"),
        }
    }
}

fn without_nulls(s: BTreeMap<Date, Option<f64>>) -> BTreeMap<Date, Option<f64>> {
    s.into_iter().filter(|(_, v)| v.is_some()).collect()
}

/// Runs `check` on every engine configured here, each loaded with the data.
fn on_every_engine(test: &str, check: fn(&mut dyn Engine, &cpic::model::Model, &[Row])) {
    let model = model();
    let rows = data();
    for mut engine in engines::all(test) {
        engines::load_table(engine.as_mut(), "events", &EVENT_COLUMNS, &rows);
        check(engine.as_mut(), &model, &rows);
    }
}

fn check_series(engine: &mut dyn Engine, model: &cpic::model::Model, rows: &[Row]) {
    let dialect = engine.dialect();
    for m in &model.metrics {
        let sql = sql::Generator::new(model, dialect, &Options::default())
            .metric_series(&m.name, None)
            .expect("sql");
        let got = series_rows(engine, &sql);
        let want = without_nulls(expected_series(rows, &m.name, grain_of(&m.name)));
        assert!(!want.is_empty(), "{} has data", m.name);
        assert_series(dialect.name(), &m.name, &got, &want);
    }
}

fn check_by_dimension(engine: &mut dyn Engine, model: &cpic::model::Model, rows: &[Row]) {
    let sql = sql::Generator::new(model, engine.dialect(), &Options::default())
        .metric_series("wait_median", Some("kind"))
        .expect("sql");
    let got = select(
        engine,
        &sql,
        &[
            ("period", Kind::Text),
            ("kind", Kind::Text),
            ("value", Kind::Num),
        ],
    );
    let e = expected()
        .into_iter()
        .find(|e| e.name == "wait_median")
        .expect("known");
    let mut want: Vec<(String, String, f64)> = Vec::new();
    for kind in ["a", "b"] {
        let only: Vec<Row> = rows.iter().filter(|r| r.kind == kind).cloned().collect();
        for (p, v) in series_at(&only, &e, G::Week) {
            if let Some(v) = v {
                want.push((p.to_string(), kind.to_string(), v));
            }
        }
    }
    want.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    assert_eq!(got.len(), want.len(), "{}: rows", engine.dialect().name());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(&g[0].text().expect("period")[..10], w.0);
        assert_eq!(g[1].text().as_deref(), Some(w.1.as_str()));
        assert!(close(g[2].num().expect("value"), w.2));
    }
}

fn check_scans(engine: &mut dyn Engine, model: &cpic::model::Model, rows: &[Row]) {
    let dialect = engine.dialect();
    for scan in sql::source_scans(model) {
        let query = sql::Generator::new(model, dialect, &Options::default())
            .source_scan(&scan)
            .expect("sql");
        let mut columns = vec![("period", Kind::Text)];
        for m in &scan.metrics {
            columns.push((m.name.as_str(), Kind::Num));
        }
        let got = select(engine, &query, &columns);
        for (i, m) in scan.metrics.iter().enumerate() {
            let got: BTreeMap<Date, Option<f64>> = got
                .iter()
                .map(|r| {
                    (
                        Date::parse(&r[0].text().expect("period")[..10]).expect("date"),
                        r[i + 1].num(),
                    )
                })
                .filter(|(_, v)| v.is_some())
                .collect();
            let want = without_nulls(expected_series(rows, &m.name, grain_of(&m.name)));
            assert_series(
                dialect.name(),
                &format!("scan column {}", m.name),
                &got,
                &want,
            );
        }
    }
}

#[test]
fn series_match_on_every_engine() {
    on_every_engine("series", check_series);
}

#[test]
fn series_by_dimension() {
    on_every_engine("by_dimension", check_by_dimension);
}

#[test]
fn one_scan_per_source_matches_the_series() {
    on_every_engine("scans", check_scans);
}

#[test]
fn link_evidence_matches_on_every_engine() {
    on_every_engine("links", check_links);
}

#[test]
fn target_status_matches_on_every_engine() {
    on_every_engine("targets", check_targets);
}

/// Φ as the SQL backend writes it (`sql::stats::normal_cdf` over the
/// column of `sql::stats::tail_variable`, Abramowitz and Stegun 26.2.17) is
/// within 1e-7 of the reference's Φ on every engine, from far in the lower
/// tail to far in the upper, and NULL stays NULL.
fn check_normal_cdf(engine: &mut dyn Engine, _: &cpic::model::Model, _: &[Row]) {
    let dialect = engine.dialect();
    let d = dialect.dialect();
    let (z, t, p) = (d.ident("z"), d.ident("t"), d.ident("p"));
    // Φ of every value of the SELECTs' column `z`, in two steps as the
    // evidence query does (t, then Φ from z and t).
    let phi = |zs: &str| {
        format!(
            "SELECT {z} AS {z}, {} AS {p}\nFROM (SELECT {z} AS {z}, {} AS {t} FROM ({zs}) AS {}) AS {}",
            sql::stats::normal_cdf(&z, &t),
            sql::stats::tail_variable(&z),
            d.ident("_zs"),
            d.ident("_ts"),
        )
    };
    let mut zs: Vec<f64> = (-32..=32).map(|i| f64::from(i) / 4.0).collect();
    zs.extend([1.645, -1.645, 1.96, 0.001, -0.001, 0.5e-9]);
    let selects: Vec<String> = zs
        .iter()
        .map(|&value| format!("SELECT {} AS {z}", d.to_float(&sql::number(value))))
        .collect();
    let rows = select(
        engine,
        &phi(&selects.join("\nUNION ALL\n")),
        &[("z", Kind::Num), ("p", Kind::Num)],
    );
    assert_eq!(rows.len(), zs.len(), "{}", dialect.name());
    for row in rows {
        let z = row[0].num().expect("z");
        let p = row[1].num().expect("p");
        let want = common::section9::normal_cdf(z);
        assert!(
            engines::close_p(p, want),
            "{}: Φ({z}) = {p}, want {want}",
            dialect.name()
        );
    }
    let null = select(
        engine,
        &phi(&format!("SELECT {} AS {z}", d.to_float("NULL"))),
        &[("z", Kind::Num), ("p", Kind::Num)],
    );
    assert_eq!(null[0][1].num(), None, "{}: Φ(NULL)", dialect.name());
}

#[test]
fn normal_cdf_matches_the_reference_on_every_engine() {
    on_every_engine("normal_cdf", check_normal_cdf);
}

/// Spark is slow to start: one session runs every check.
#[test]
fn everything_matches_on_spark() {
    let Some(mut spark) = engines::Spark::start("sql_exec") else {
        return;
    };
    let model = model();
    let rows = data();
    engines::load_table(&mut spark, "events", &EVENT_COLUMNS, &rows);
    for check in [
        check_series,
        check_by_dimension,
        check_scans,
        check_links,
        check_targets,
        check_normal_cdf,
    ] {
        check(&mut spark, &model, &rows);
    }
}

/// The evidence queries of this file take this as today: every period of
/// the fixture has ended.
fn links_as_of() -> Date {
    Date::parse("2026-12-31").expect("a date")
}

fn expected_link(rows: &[Row], link: &cpic::model::Link) -> common::section9::Evidence {
    let g = match link.grain {
        cpic::model::Grain::Day => G::Day,
        cpic::model::Grain::Week => G::Week,
        cpic::model::Grain::Month => G::Month,
        cpic::model::Grain::Quarter => G::Quarter,
        cpic::model::Grain::Year => G::Year,
    };
    let xs = expected_series(rows, &link.from, g);
    let ys = expected_series(rows, &link.to, g);
    let pairs: Vec<(Date, f64, f64)> = xs
        .iter()
        .filter_map(|(p, x)| Some((*p, (*x)?, (*ys.get(&add(g, *p, link.lag))?)?)))
        .filter(|(p, _, _)| add(g, add(g, *p, link.lag), 1) <= links_as_of())
        .collect();
    common::section9::evidence(&pairs, link.grain, link.expected_sign, link.min_periods)
}

fn opt_close(engine: &str, what: &str, got: Option<f64>, want: Option<f64>) {
    engines::assert_same(&format!("{engine}: {what}"), got, want, close);
}

fn check_links(engine: &mut dyn Engine, model: &cpic::model::Model, rows: &[Row]) {
    let dialect = engine.dialect();
    let options = Options {
        as_of: Some(links_as_of()),
        since: None,
    };
    let mut verdicts = std::collections::BTreeSet::new();
    for link in &model.links {
        let query = sql::Generator::new(model, dialect, &options)
            .link_evidence(&link.from, &link.to)
            .expect("sql");
        let columns = [
            ("n", Kind::Num),
            ("m", Kind::Num),
            ("r", Kind::Num),
            ("r_diff", Kind::Num),
            ("n_eff", Kind::Num),
            ("z", Kind::Num),
            ("effect", Kind::Num),
            ("effect_low", Kind::Num),
            ("effect_high", Kind::Num),
            ("verdict", Kind::Text),
        ];
        let got = select(engine, &query, &columns);
        assert_eq!(got.len(), 1, "one row");
        let g = &got[0];
        let want = expected_link(rows, link);
        let what = format!("{} -> {}", link.from, link.to);
        let e = dialect.name();
        assert_eq!(g[0].num(), Some(want.n as f64), "{e}: n of {what}");
        assert_eq!(g[1].num(), Some(want.m as f64), "{e}: m of {what}");
        assert!(want.n >= 5, "{what} has pairs");
        let numbers = [
            ("r", want.r),
            ("r_diff", want.r_diff),
            ("n_eff", want.n_eff),
            ("z", want.z),
            ("effect", want.effect),
            ("effect_low", want.effect_low),
            ("effect_high", want.effect_high),
        ];
        for (i, (name, value)) in numbers.into_iter().enumerate() {
            opt_close(e, &format!("{name} of {what}"), g[i + 2].num(), value);
        }
        assert_eq!(
            g[9].text().as_deref(),
            Some(want.verdict),
            "{e}: verdict of {what}"
        );
        verdicts.insert(want.verdict);
    }
    assert!(!verdicts.is_empty(), "the fixture has links: {verdicts:?}");
}

fn check_targets(engine: &mut dyn Engine, model: &cpic::model::Model, rows: &[Row]) {
    let as_of = Date::parse("2026-05-20").expect("date");
    let dialect = engine.dialect();
    let query = sql::Generator::new(
        model,
        dialect,
        &Options {
            as_of: Some(as_of),
            since: None,
        },
    )
    .target_status()
    .expect("sql");
    let columns = [
        ("metric", Kind::Text),
        ("period", Kind::Text),
        ("value", Kind::Num),
        ("low", Kind::Num),
        ("high", Kind::Num),
        ("status", Kind::Text),
        ("good", Kind::Text),
    ];
    let got = select(engine, &query, &columns);
    let mut want = Vec::new();
    for m in model.metrics.iter().filter(|m| !m.targets.is_empty()) {
        let g = grain_of(&m.name);
        let series = expected_series(rows, &m.name, g);
        let Some((p, v)) = series
            .iter()
            .rfind(|(p, v)| v.is_some() && add(g, **p, 1) <= as_of)
            .map(|(p, v)| (*p, v.expect("a value")))
        else {
            continue;
        };
        let last = Date::from_days_since_epoch(add(g, p, 1).days_since_epoch() - 1);
        let Some(t) = m.targets.iter().find(|t| t.from <= last && t.until >= last) else {
            continue;
        };
        let status = if v < t.low {
            "below"
        } else if v > t.high {
            "above"
        } else {
            "within"
        };
        let higher = m.direction == cpic::model::Direction::Higher;
        let good =
            status == "within" || (status == "below" && !higher) || (status == "above" && higher);
        want.push((
            m.name.clone(),
            p.to_string(),
            v,
            t.low,
            t.high,
            status,
            good,
        ));
    }
    assert!(want.len() >= 3, "several metrics have an active target");
    assert_eq!(got.len(), want.len(), "{}: rows {got:?}", dialect.name());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g[0].text().as_deref(), Some(w.0.as_str()));
        assert_eq!(&g[1].text().expect("period")[..10], w.1, "{}", w.0);
        assert!(close(g[2].num().expect("value"), w.2), "{}: value", w.0);
        assert_eq!((g[3].num(), g[4].num()), (Some(w.3), Some(w.4)));
        assert_eq!(g[5].text().as_deref(), Some(w.5), "{}: status", w.0);
        let good = matches!(g[6].text().as_deref(), Some("true" | "1"));
        assert_eq!(good, w.6, "{}: good ({:?})", w.0, g[6]);
    }
}

#[test]
fn every_dialect_compiles_every_query() {
    let model = model();
    for &dialect in DialectName::ALL {
        let files = sql::Generator::new(&model, dialect, &Options::default())
            .all_queries()
            .expect("table sources work everywhere");
        assert_eq!(
            files.len(),
            model.metrics.len() + model.links.len() + sql::source_scans(&model).len() + 1
        );
    }
}
