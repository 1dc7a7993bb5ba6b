//! The metric kinds of LANGUAGE.md version 1 — `window`, `snapshot`,
//! `fill`, `prior` and `followed_by` — executed on DuckDB, SQLite,
//! PostgreSQL and Spark, every series held to the oracle
//! (`common/oracle.rs`, written from the language reference): every window
//! form at every grain (weeks that cross months and years, holistic
//! aggregates, a span with empty periods), snapshots with ties, fill with
//! gaps, `prior` across a gap and with calendar offsets, `followed_by` at
//! both edges of its window, with NULL entities, its own filter and an
//! entity converting twice; per dimension value too. Column names are SQL
//! keywords and strings carry quotes and backslashes.

mod common;

use std::collections::BTreeMap;

use common::engines::{self, close, select, Engine, Kind};
use common::oracle::{self, Table, V};
use cpic::date::Date;
use cpic::model::Model;
use cpic::sql::{self, Options};

const SPEC: &str = include_str!("fixtures/kinds/spec.cpi");

/// An order: id, customer, instant (seconds), amount, group, order.
struct Order {
    id: String,
    customer: Option<String>,
    at: i64,
    amount: Option<f64>,
    group: Option<&'static str>,
    order: &'static str,
}

struct Signup {
    customer: String,
    at: i64,
    plan: &'static str,
}

const HOSTILE: &str = "it's \\ \"x\"";

/// Two years of orders with a two-month gap, times on the hour (so a
/// period's latest time is often shared), and signups at exactly 0 and 7
/// days after some orders and one second past 7 days after others.
fn data() -> (Vec<Order>, Vec<Signup>) {
    let mut seed: u64 = 19;
    let mut next = move |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    let start = Date::parse("2025-01-01")
        .expect("a date")
        .days_since_epoch()
        * 86_400;
    let gap = (
        Date::parse("2025-07-01")
            .expect("a date")
            .days_since_epoch()
            * 86_400,
        Date::parse("2025-09-01")
            .expect("a date")
            .days_since_epoch()
            * 86_400,
    );
    let mut orders = Vec::new();
    let mut signups = Vec::new();
    for i in 0..1_400 {
        let at = start + (i as i64) * 45_000 + 3600 * next(10) as i64;
        let at = at - at.rem_euclid(3600);
        if at >= gap.0 && at < gap.1 {
            continue;
        }
        let customer = (next(12) != 0).then(|| format!("c{}", next(50)));
        if let Some(c) = &customer {
            match next(9) {
                0 => signups.push(Signup {
                    customer: c.clone(),
                    at,
                    plan: HOSTILE,
                }),
                1 => signups.push(Signup {
                    customer: c.clone(),
                    at: at + 7 * 86_400,
                    plan: "basic",
                }),
                2 => signups.push(Signup {
                    customer: c.clone(),
                    at: at + 7 * 86_400 + 1,
                    plan: HOSTILE,
                }),
                3 => signups.push(Signup {
                    customer: c.clone(),
                    at: at + next(3 * 86_400) as i64,
                    plan: HOSTILE,
                }),
                _ => {}
            }
        }
        orders.push(Order {
            id: format!("o{i}"),
            customer,
            at,
            amount: (next(15) != 0).then(|| (next(20_000) as f64) / 100.0 - 20.0),
            group: [Some("north"), Some("so'uth"), None][next(3) as usize],
            order: [HOSTILE, "plain", "other"][next(3) as usize],
        });
    }
    (orders, signups)
}

const ORDER_COLUMNS: [(&str, &str); 7] = [
    ("id", "text"),
    ("customer", "text"),
    ("at", "timestamp"),
    ("day", "date"),
    ("amount", "number"),
    ("group", "text"),
    ("order", "text"),
];
const SIGNUP_COLUMNS: [(&str, &str); 3] =
    [("customer", "text"), ("at", "timestamp"), ("plan", "text")];

impl engines::TableRow for Order {
    fn texts(&self) -> Vec<Option<String>> {
        let o = self;
        vec![
            Some(o.id.clone()),
            o.customer.clone(),
            Some(common::timestamp(o.at)),
            Some(Date::from_days_since_epoch(o.at.div_euclid(86_400)).to_string()),
            o.amount.map(|a| a.to_string()),
            o.group.map(str::to_string),
            Some(o.order.to_string()),
        ]
    }
}

impl engines::TableRow for Signup {
    fn texts(&self) -> Vec<Option<String>> {
        let s = self;
        vec![
            Some(s.customer.clone()),
            Some(common::timestamp(s.at)),
            Some(s.plan.to_string()),
        ]
    }
}

fn load(engine: &mut dyn Engine, (orders, signups): &(Vec<Order>, Vec<Signup>)) {
    let d = engine.dialect().dialect();
    engines::load_table(engine, &d.ident("orders"), &ORDER_COLUMNS, orders);
    engines::load_table(engine, &d.ident("signups"), &SIGNUP_COLUMNS, signups);
}

/// The same rows for the oracle.
fn tables((orders, signups): &(Vec<Order>, Vec<Signup>)) -> BTreeMap<String, Table> {
    let value = |ty: &str, text: Option<String>| match (ty, text) {
        (_, None) => V::Null,
        ("timestamp", Some(t)) => {
            let date = Date::parse(&t[..10]).expect("a date");
            let s: Vec<f64> = t[11..]
                .split(':')
                .map(|x| x.parse().expect("a number"))
                .collect();
            V::Ts(date.days_since_epoch() as f64 * 86_400.0 + s[0] * 3600.0 + s[1] * 60.0 + s[2])
        }
        ("date", Some(t)) => V::Date(Date::parse(&t).expect("a date").days_since_epoch()),
        ("number", Some(t)) => V::Num(t.parse().expect("a number")),
        (_, Some(t)) => V::Text(t),
    };
    let table = |columns: &[(&str, &str)], rows: Vec<Vec<Option<String>>>| Table {
        columns: columns.iter().map(|c| c.0.to_string()).collect(),
        rows: rows
            .into_iter()
            .map(|r| {
                columns
                    .iter()
                    .zip(r)
                    .map(|((_, ty), t)| value(ty, t))
                    .collect()
            })
            .collect(),
    };
    BTreeMap::from([
        (
            "orders".to_string(),
            table(
                &ORDER_COLUMNS,
                orders.iter().map(engines::TableRow::texts).collect(),
            ),
        ),
        (
            "signups".to_string(),
            table(
                &SIGNUP_COLUMNS,
                signups.iter().map(engines::TableRow::texts).collect(),
            ),
        ),
    ])
}

fn model() -> Model {
    common::checked_model(SPEC)
}

fn without_nulls(s: BTreeMap<Date, Option<f64>>) -> BTreeMap<Date, f64> {
    s.into_iter().filter_map(|(p, v)| Some((p, v?))).collect()
}

fn assert_series(what: &str, got: &BTreeMap<Date, f64>, want: &BTreeMap<Date, f64>) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "periods of {what}"
    );
    for (p, w) in want {
        let g = got[p];
        assert!(close(g, *w), "{what} at {p}: got {g}, want {w}");
    }
}

/// Every metric's series, and per dimension value those with dimensions.
fn check(engine: &mut dyn Engine, model: &Model, data: &(Vec<Order>, Vec<Signup>)) {
    let dialect = engine.dialect();
    let tables = tables(data);
    let generator = sql::Generator::new(model, dialect, &Options::default());
    for m in &model.metrics {
        let what = format!("{}: {}", dialect.name(), m.name);
        let sql = generator.metric_series(&m.name, None).expect("sql");
        let got: BTreeMap<Date, f64> = select(
            engine,
            &sql,
            &[("period", Kind::Text), ("value", Kind::Num)],
        )
        .into_iter()
        .map(|r| {
            (
                Date::parse(&r[0].text().expect("a period")[..10]).expect("a date"),
                r[1].num().expect("a value"),
            )
        })
        .collect();
        let want = without_nulls(oracle::series(model, &tables, m, m.grain));
        assert!(want.len() >= 3, "{what} has data");
        assert_series(&what, &got, &want);
        for dim in &m.dimensions {
            let sql = generator.metric_series(&m.name, Some(dim)).expect("sql");
            let rows = select(
                engine,
                &sql,
                &[
                    ("period", Kind::Text),
                    (dim.as_str(), Kind::Text),
                    ("value", Kind::Num),
                ],
            );
            for value in [Some("north"), Some("so'uth"), None] {
                let got: BTreeMap<Date, f64> = rows
                    .iter()
                    .filter(|r| r[1].text().as_deref() == value)
                    .map(|r| {
                        (
                            Date::parse(&r[0].text().expect("a period")[..10]).expect("a date"),
                            r[2].num().expect("a value"),
                        )
                    })
                    .collect();
                let v = value.map_or(V::Null, |v| V::Text(v.to_string()));
                let want = without_nulls(oracle::series_of(
                    model,
                    &tables,
                    m,
                    m.grain,
                    Some((dim, &v)),
                ));
                assert!(!want.is_empty(), "{what} by {dim} = {value:?} has data");
                assert_series(&format!("{what} by {dim} = {value:?}"), &got, &want);
            }
        }
    }
}

#[test]
fn every_kind_matches_the_oracle_on_every_engine() {
    let model = model();
    let data = data();
    for mut engine in engines::all("metric_kinds") {
        load(engine.as_mut(), &data);
        check(engine.as_mut(), &model, &data);
    }
}

#[test]
fn every_kind_matches_the_oracle_on_spark() {
    let Some(mut spark) = engines::Spark::start("metric_kinds") else {
        return;
    };
    let model = model();
    let data = data();
    load(&mut spark, &data);
    check(&mut spark, &model, &data);
}

/// The mistakes the issue lists, each with its code (the fixtures under
/// `tests/fixtures/diagnostics/` show the messages).
#[test]
fn mistakes_have_their_codes() {
    let base = r#"
team ops { name: "Ops" }
source a { table: "a" time: at columns { id: text  at: timestamp  n: int  amount: USD } }
source b { table: "b" time: at columns { id: int  at: timestamp  other: text } }
source c { table: "c" columns { id: text  at: timestamp } }
kpi weekly { title: "W" owner: ops unit: USD direction: higher source: a measure: sum(amount) grain: week }
kpi monthly { title: "M" owner: ops unit: USD direction: higher source: a measure: sum(amount) grain: month }
"#;
    let cases = [
        ("measure: avg(followed_by(nowhere, id, 1 day)) source: a grain: week unit: %", "E0203"),
        ("measure: avg(followed_by(b, other, 1 day)) source: a grain: week unit: %", "E0204"),
        ("measure: avg(followed_by(b, id, 1 day)) source: a grain: week unit: %", "E0304"),
        ("measure: avg(followed_by(c, id, 1 day)) source: a grain: week unit: %", "E0210"),
        ("measure: avg(followed_by(a, id, 1 day where followed_by(a, id, 1 day))) source: a grain: week unit: %", "E0318"),
        ("measure: sum(followed_by(a, id)) source: a grain: week unit: count", "E0310"),
        ("measure: prior(nothing, 1 week) grain: week unit: USD", "E0205"),
        ("measure: prior(monthly, 1 month) grain: week unit: USD", "E0313"),
        ("measure: prior(x, 1 week) grain: week unit: USD", "E0208"),
        ("measure: prior(weekly, 1 week, 2) grain: week unit: USD", "E0310"),
        ("measure: weekly - prior(weekly, 1 year) grain: week unit: USD", "E0317"),
        ("measure: sum(amount) source: a grain: month window: 28 days unit: USD", "E0314"),
        ("measure: sum(amount) source: a grain: week window: all snapshot: last unit: USD", "E0315"),
        ("measure: sum(amount) source: a grain: week fill: 3 unit: USD", "E0302"),
        ("measure: sum(amount) source: a grain: week fill: 1 month unit: USD", "E0312"),
        ("measure: sum(amount) source: a grain: week window: forever unit: USD", "E0105"),
    ];
    for (fields, code) in cases {
        let text =
            format!("{base}kpi x {{ title: \"X\" owner: ops direction: higher {fields} }}\n");
        let (_, c) = common::compile_text(&[("spec.cpi", &text)]);
        let codes = common::codes(&c);
        assert!(
            codes.contains(&code),
            "{fields}: want {code}, got {codes:?}"
        );
    }
}
