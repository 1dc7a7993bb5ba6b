//! The 10 million events of `sql_scan` (two years, one every 6 s, 50,000
//! customers, each every 3.5 days) and 1 million sign-ups, in an
//! in-memory DuckDB on one thread (as `cpic run` runs it), and the
//! best-of-three timer the DuckDB benchmarks share.

use std::time::{Duration, Instant};

pub const ROWS: u64 = 10_000_000;
pub const SIGNUPS: u64 = 1_000_000;

/// The source declarations of the two tables, for a bench's spec, with
/// `events_fields` (expectations) in the events source.
pub fn sources(events_fields: &str) -> String {
    format!(
        r#"
source events {{
  table: "events"
  time: at
  columns {{ at: timestamp amount: USD ok: bool customer: text }}
  {events_fields}
}}
source signups {{
  table: "signups"
  time: at
  columns {{ at: timestamp customer: text plan: text }}
}}
"#
    )
}

pub fn connection() -> duckdb::Connection {
    let conn = duckdb::Connection::open_in_memory().expect("DuckDB");
    conn.execute_batch("SET threads TO 1").expect("a setting");
    let start = Instant::now();
    conn.execute_batch(&format!(
        "CREATE TABLE events AS
         SELECT
           TIMESTAMP '2024-01-01' + INTERVAL (i * 6) SECOND AS \"at\",
           ((i * 104729) % 100000) / 100.0 AS amount,
           (i % 3) <> 0 AS ok,
           'c' || CAST((i * 31) % 50000 AS VARCHAR) AS customer
         FROM range({ROWS}) t(i);
         CREATE TABLE signups AS
         SELECT
           TIMESTAMP '2024-01-01' + INTERVAL (i * 60 + (i * 7919) % 3600) SECOND AS \"at\",
           'c' || CAST((i * 17) % 50000 AS VARCHAR) AS customer,
           CASE WHEN i % 4 = 0 THEN 'pro' ELSE 'basic' END AS plan
         FROM range({SIGNUPS}) t(i);"
    ))
    .expect("data");
    println!(
        "generated {ROWS} events and {SIGNUPS} sign-ups in {:.2?}",
        start.elapsed()
    );
    conn
}

/// The best of three runs of some queries one after the other, every row
/// read.
pub fn best_of_three(conn: &duckdb::Connection, sqls: &[String]) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            for sql in sqls {
                let mut stmt = conn.prepare(sql).expect("valid SQL");
                let mut rows = stmt.query([]).expect("runs");
                while rows.next().expect("a row").is_some() {}
            }
            start.elapsed()
        })
        .min()
        .expect("three runs")
}

/// The checked model of a bench's spec.
pub fn model(spec: &str) -> cpic::model::Model {
    let mut db = cpic::source::SourceDb::new();
    db.add("bench.cpi", spec.to_string());
    let options = cpic::Options {
        today: cpic::date::Date::from_ymd(2026, 6, 1).expect("a date"),
    };
    cpic::compile(&db, &options)
        .model
        .expect("the bench spec checks")
}
