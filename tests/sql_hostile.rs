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
    let d = engine.dialect().dialect();
    let columns = [
        ("from", "timestamp"),
        ("where_", "text"),
        ("table", "text"),
        ("limit", "number"),
    ];
    let definitions: Vec<String> = columns
        .iter()
        .map(|(name, ty)| format!("{} {}", d.ident(name), engine.column_type(ty)))
        .collect();
    engine.execute(&format!(
        "CREATE TABLE {} ({})",
        d.ident("group"),
        definitions.join(", ")
    ));
    let rows = [
        ("2026-01-05 10:00:00", "a", HOSTILE),
        ("2026-01-06 10:00:00", "b", HOSTILE),
        ("2026-01-07 10:00:00", "x' OR '1'='1", HOSTILE),
        ("2026-01-08 10:00:00", "c", "plain"),
        ("2026-02-02 10:00:00", "d", HOSTILE),
    ];
    for (at, w, t) in rows {
        engine.execute(&format!(
            "INSERT INTO {} VALUES ({}, {}, {}, 1.0)",
            d.ident("group"),
            engine.literal("timestamp", Some(at)),
            engine.literal("text", Some(w)),
            engine.literal("text", Some(t))
        ));
    }
}

/// Every check of this file on one engine.
fn check(engine: &mut dyn engines::Engine, model: &cpic::model::Model) {
    load(engine);
    let dialect = engine.dialect();
    let query =
        sql::metric_series(model, dialect, &sql::Options::default(), "user", None).expect("sql");
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
        dialect.as_str()
    );
    let by = sql::metric_series(
        model,
        dialect,
        &sql::Options::default(),
        "user",
        Some("table"),
    )
    .expect("sql");
    let rows = select(engine, &by, &[("table", Kind::Text)]);
    assert!(rows.iter().any(|r| r[0].text().as_deref() == Some(HOSTILE)));
    // Everything else compiles and runs too, and the table survives.
    for file in sql::all_queries(model, dialect, &sql::Options::default()).expect("sql") {
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

fn model() -> cpic::model::Model {
    let (db, c) = common::compile_text(&[("hostile.cpi", SPEC)]);
    c.model
        .unwrap_or_else(|| panic!("{}", cpic::diag::render::human_string(&db, &c.diagnostics)))
}

#[test]
fn keywords_and_hostile_strings_run_exactly() {
    let model = model();
    for mut engine in engines::all("hostile") {
        check(engine.as_mut(), &model);
    }
}

#[test]
fn keywords_and_hostile_strings_run_exactly_on_spark() {
    if let Some(mut spark) = engines::Spark::start("sql_hostile") {
        check(&mut spark, &model());
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
    let query = sql::metric_series(
        &model,
        sql::DialectName::Duckdb,
        &sql::Options::default(),
        "user",
        None,
    )
    .expect("sql");
    for line in query.lines().take(2) {
        assert!(
            line.starts_with("-- "),
            "header lines stay comments: {line}"
        );
    }
}
