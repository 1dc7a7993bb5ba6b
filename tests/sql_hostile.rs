//! Names that are SQL keywords and strings full of quotes, backslashes and
//! `; DROP TABLE` compile to SQL that runs and does exactly what the spec
//! says, on every engine (no injection).

mod common;

use common::engines::{self, Kind};
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
  measure: count(where table = "it's \\ \"; DROP TABLE \"group\"; --")
  filter: where_ != "x' OR '1'='1"
  grain: month
  dimensions: table
}
"#;

const HOSTILE: &str = "it's \\ \"; DROP TABLE \"group\"; --";

fn load(engine: &mut dyn engines::Engine) {
    let sqlite = engine.dialect() == sql::DialectName::Sqlite;
    let ts = if sqlite { "TEXT" } else { "TIMESTAMP" };
    engine.execute(&format!(
        "CREATE TABLE \"group\" (\"from\" {ts}, \"where_\" TEXT, \"table\" TEXT, \"limit\" DOUBLE PRECISION)"
    ));
    let quoted = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let lit = |t: &str| if sqlite { format!("'{t}'") } else { format!("TIMESTAMP '{t}'") };
    let rows = [
        ("2026-01-05 10:00:00", "a", HOSTILE),
        ("2026-01-06 10:00:00", "b", HOSTILE),
        ("2026-01-07 10:00:00", "x' OR '1'='1", HOSTILE),
        ("2026-01-08 10:00:00", "c", "plain"),
        ("2026-02-02 10:00:00", "d", HOSTILE),
    ];
    for (at, w, t) in rows {
        engine.execute(&format!(
            "INSERT INTO \"group\" VALUES ({}, {}, {}, 1.0)",
            lit(at),
            quoted(w),
            quoted(t)
        ));
    }
}

#[test]
fn keywords_and_hostile_strings_run_exactly() {
    let (db, c) = common::compile_text(&[("hostile.cpi", SPEC)]);
    let model = c
        .model
        .unwrap_or_else(|| panic!("{}", cpic::diag::render::human_string(&db, &c.diagnostics)));
    for mut engine in engines::all("hostile") {
        load(engine.as_mut());
        let dialect = engine.dialect();
        let query = sql::metric_series(&model, dialect, "user", None).expect("sql");
        let wrapped = format!(
            "SELECT CAST(q.period AS TEXT), CAST(q.value AS DOUBLE PRECISION) FROM (\n{}\n) AS q",
            query.trim_end()
        );
        let got = engine.rows(&wrapped, &[Kind::Text, Kind::Num]);
        let got: Vec<(String, Option<f64>)> = got
            .iter()
            .map(|r| (r[0].text().expect("period")[..10].to_string(), r[1].num()))
            .collect();
        // January: rows a and b match (the third is filtered out by its
        // `where_`, the fourth has another `table`); February: row d.
        assert_eq!(
            got,
            vec![("2026-01-01".to_string(), Some(2.0)), ("2026-02-01".to_string(), Some(1.0))],
            "{}",
            dialect.as_str()
        );
        let by = sql::metric_series(&model, dialect, "user", Some("table")).expect("sql");
        let rows = engine.rows(
            &format!("SELECT CAST(q.\"table\" AS TEXT) FROM (\n{}\n) AS q", by.trim_end()),
            &[Kind::Text],
        );
        assert!(rows.iter().any(|r| r[0].text().as_deref() == Some(HOSTILE)));
        // Everything else compiles and runs too, and the table survives.
        for file in sql::all_queries(&model, dialect, None).expect("sql") {
            engine.rows(&format!("SELECT COUNT(*) FROM (\n{}\n) AS q", file.sql.trim_end()), &[Kind::Num]);
        }
        let left = engine.rows("SELECT COUNT(*) FROM \"group\"", &[Kind::Num]);
        assert_eq!(left[0][0].num(), Some(5.0));
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
    let query = sql::metric_series(&model, sql::DialectName::Duckdb, "user", None).expect("sql");
    for line in query.lines().take(2) {
        assert!(line.starts_with("-- "), "header lines stay comments: {line}");
    }
}
