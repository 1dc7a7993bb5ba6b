//! Names that are SQL keywords and strings full of quotes, backslashes and
//! `; DROP TABLE` and line breaks compile to SQL that runs and does exactly what the spec
//! says, on every engine (no injection).

mod common;

use common::engines::{self, select, Kind};
use cpic::sql;

const SPEC: &str = r#"
team select { name: "Robert'); DROP TABLE students;--" }
source order {
  table: "group"
  time: from
  columns { from: timestamp  where_: text  table: text  limit: USD }
}
kpi user {
  title: "It's \"quoted\" \\ and -- commented /* too */"
  owner: select
  unit: count
  direction: higher
  tier: core
  source: order
  measure: count(where table = "it's \\ \"; DROP TABLE \"group\"; --\n  ' /* a second line")
  filter: where_ != "x' OR '1'='1"
  grain: month
  dimensions: table
}
"#;

/// With a line break followed by spaces: queries are indented line by
/// line, and a literal spanning lines would have been padded (a wrong
/// count, not an error).
const HOSTILE: &str = "it's \\ \"; DROP TABLE \"group\"; --\n  ' /* a second line";

fn load(engine: &mut dyn engines::Engine) {
    let columns = [
        ("from", "timestamp"),
        ("where_", "text"),
        ("table", "text"),
        ("limit", "number"),
    ];
    let rows: Vec<Vec<Option<String>>> = [
        ("2026-01-05 10:00:00", "a", HOSTILE),
        ("2026-01-06 10:00:00", "b", HOSTILE),
        ("2026-01-07 10:00:00", "x' OR '1'='1", HOSTILE),
        ("2026-01-08 10:00:00", "c", "plain"),
        ("2026-02-02 10:00:00", "d", HOSTILE),
    ]
    .iter()
    .map(|(at, w, t)| [*at, *w, *t, "1.0"].map(|v| Some(v.to_string())).to_vec())
    .collect();
    let table = engine.dialect().dialect().ident("group");
    engines::load_table(engine, &table, &columns, &rows);
}

/// Every check of this file on one engine.
fn check(engine: &mut dyn engines::Engine, model: &cpic::model::Model) {
    load(engine);
    let dialect = engine.dialect();
    let query = sql::Generator::new(model, dialect, &sql::Options::default())
        .metric_series("user", None)
        .expect("sql");
    let got: Vec<(String, Option<f64>)> = select(
        engine,
        &query,
        &[("period", Kind::Text), ("value", Kind::Num)],
    )
    .iter()
    .map(|r| (r[0].text().expect("period")[..10].to_string(), r[1].num()))
    .collect();
    // January: rows a and b match (the third is filtered out by its
    // `where_`, the fourth has another `table`); February: row d.
    assert_eq!(
        got,
        vec![
            ("2026-01-01".to_string(), Some(2.0)),
            ("2026-02-01".to_string(), Some(1.0))
        ],
        "{}",
        dialect.name()
    );
    let by = sql::Generator::new(model, dialect, &sql::Options::default())
        .metric_series("user", Some("table"))
        .expect("sql");
    let rows = select(engine, &by, &[("table", Kind::Text)]);
    assert!(rows.iter().any(|r| r[0].text().as_deref() == Some(HOSTILE)));
    // Everything else compiles and runs too, and the table survives.
    for file in sql::Generator::new(model, dialect, &sql::Options::default())
        .all_queries()
        .expect("sql")
    {
        let sql = file.sql.trim_end().trim_end_matches(';');
        engine.rows(
            &format!("SELECT {} FROM (\n{sql}\n) AS q", engine.as_num("COUNT(*)")),
            &[Kind::Num],
        );
    }
    let d = dialect.dialect();
    let left = engine.rows(
        &format!(
            "SELECT {} FROM {}",
            engine.as_num("COUNT(*)"),
            d.ident("group")
        ),
        &[Kind::Num],
    );
    assert_eq!(left[0][0].num(), Some(5.0));
}

#[test]
fn keywords_and_hostile_strings_run_exactly() {
    let model = common::checked_model(SPEC);
    for mut engine in engines::all("hostile") {
        check(engine.as_mut(), &model);
    }
}

#[test]
fn keywords_and_hostile_strings_run_exactly_on_spark() {
    if let Some(mut spark) = engines::Spark::start("sql_hostile") {
        check(&mut spark, &common::checked_model(SPEC));
    }
}

#[test]
fn comments_cannot_be_escaped() {
    let spec = SPEC.replace(
        "title: \"It's",
        "title: \"line one\\n DROP TABLE x; -- It's",
    );
    let (_, c) = common::compile_text(&[("hostile.cpi", &spec)]);
    let model = c.model.expect("model");
    let query = sql::Generator::new(&model, sql::DialectName::Duckdb, &sql::Options::default())
        .metric_series("user", None)
        .expect("sql");
    for line in query.lines().take(2) {
        assert!(
            line.starts_with("-- "),
            "header lines stay comments: {line}"
        );
    }
}

/// Internal CTE names are made of spec names, which may contain `__`
/// themselves: metric `a` at month grain and metric `a__month` both want
/// `_series_a__month`; the rows of source `s` by time `t__x` and of source
/// `s__t` by time `x` both want `_rows_s__t__x__month`. Each CTE must
/// still hold its own data.
const CLASHING: &str = r#"
team ops { name: "Ops" }
source s { table: "s_table" time: t__x columns { t__x: timestamp  v: int } }
source s__t { table: "st_table" time: x columns { x: timestamp  v: int } }
cpi a {
  title: "A" outcome: "o" owner: ops unit: count direction: higher tier: core
  evidence: contextual_inquiry "Visits" source: s measure: count() grain: day
}
kpi a__month { title: "A monthly" owner: ops unit: 1 direction: higher source: s__t measure: sum(v) grain: month }
kpi from_s { title: "S" owner: ops unit: 1 direction: higher source: s measure: sum(v) grain: month }
kpi from_st { title: "ST" owner: ops unit: 1 direction: higher source: s__t measure: sum(v) grain: month }
kpi total { title: "Total" owner: ops unit: 1 direction: higher measure: from_s + from_st grain: month }
link a -> a__month { hypothesis: "h" }
"#;

fn load_clashing(engine: &mut dyn engines::Engine) {
    let d = engine.dialect().dialect();
    for (table, time, rows) in [
        (
            "s_table",
            "t__x",
            &[
                ("2026-01-05 10:00:00", 1),
                ("2026-01-20 10:00:00", 2),
                ("2026-02-03 10:00:00", 5),
            ],
        ),
        (
            "st_table",
            "x",
            &[
                ("2026-01-10 10:00:00", 10),
                ("2026-02-11 10:00:00", 20),
                ("2026-02-12 10:00:00", 30),
            ],
        ),
    ] {
        engine.execute(&format!(
            "CREATE TABLE {} ({} {}, {} {})",
            d.ident(table),
            d.ident(time),
            engine.column_type("timestamp"),
            d.ident("v"),
            engine.column_type("number"),
        ));
        for (at, v) in rows {
            engine.execute(&format!(
                "INSERT INTO {} VALUES ({}, {v})",
                d.ident(table),
                engine.literal("timestamp", Some(at)),
            ));
        }
    }
}

#[test]
fn clashing_internal_names_keep_their_own_data() {
    let (db, c) = common::compile_text(&[("clash.cpi", CLASHING)]);
    let model = c
        .model
        .unwrap_or_else(|| panic!("{}", cpic::diag::render::human_string(&db, &c.diagnostics)));
    let options = sql::Options::default();
    for mut engine in engines::all("clashing_names") {
        let engine = engine.as_mut();
        load_clashing(engine);
        let dialect = engine.dialect();
        let month = |r: &Vec<common::engines::Val>| r[0].text().expect("period")[..7].to_string();
        // `a` per month (2, 1) against `a__month` (10, 50).
        let pairs = sql::Generator::new(&model, dialect, &options)
            .link_pairs("a", "a__month")
            .expect("sql");
        let got: Vec<(String, Option<f64>, Option<f64>)> = select(
            engine,
            &pairs,
            &[("period", Kind::Text), ("x", Kind::Num), ("y", Kind::Num)],
        )
        .iter()
        .map(|r| (month(r), r[1].num(), r[2].num()))
        .collect();
        assert_eq!(
            got,
            vec![
                ("2026-01".to_string(), Some(2.0), Some(10.0)),
                ("2026-02".to_string(), Some(1.0), Some(50.0)),
            ],
            "{}: link pairs",
            dialect.name()
        );
        // `total` adds the two sources: 3 + 10, 5 + 50.
        let total = sql::Generator::new(&model, dialect, &options)
            .metric_series("total", None)
            .expect("sql");
        let got: Vec<(String, Option<f64>)> = select(
            engine,
            &total,
            &[("period", Kind::Text), ("value", Kind::Num)],
        )
        .iter()
        .map(|r| (month(r), r[1].num()))
        .collect();
        assert_eq!(
            got,
            vec![
                ("2026-01".to_string(), Some(13.0)),
                ("2026-02".to_string(), Some(55.0)),
            ],
            "{}: total",
            dialect.name()
        );
        // The same queries made together (sharing their series) agree.
        let all = sql::Generator::new(&model, dialect, &options)
            .all_queries()
            .expect("sql");
        let file = |path: &str| &all.iter().find(|f| f.path == path).expect(path).sql;
        assert_eq!(
            file("metrics/total.sql"),
            &total,
            "{}: alone and together",
            dialect.name()
        );
    }
}
