//! `cargo bench --bench metric_kinds`: on DuckDB with the 10 million rows
//! of `sql_scan` (two years of events, 50,000 customers) and 1 million
//! sign-ups, the time of a 28-day `count_distinct` window and of a 7-day
//! conversion (`followed_by`) against the plain weekly metric of the same
//! rows. Prints the best of three runs of each (target: within 3x).

use std::time::{Duration, Instant};

const ROWS: u64 = 10_000_000;
const SIGNUPS: u64 = 1_000_000;

const SPEC: &str = r#"
team t { name: "T" }
source events {
  table: "events"
  time: at
  columns { at: timestamp amount: USD ok: bool customer: text }
}
source signups {
  table: "signups"
  time: at
  columns { at: timestamp customer: text plan: text }
}
kpi plain_customers { title: "P" owner: t unit: count direction: higher tier: core source: events
  measure: count_distinct(customer) grain: week }
kpi active_28d { title: "A" owner: t unit: count direction: higher tier: driver source: events
  measure: count_distinct(customer) grain: week window: 28 days }
kpi plain_share { title: "S" owner: t unit: % direction: higher tier: driver source: events
  measure: avg(ok) grain: week }
kpi converted_7d { title: "C" owner: t unit: % direction: higher tier: driver source: events
  measure: avg(followed_by(signups, customer, 7 days where plan = "pro")) grain: week }
"#;

fn best_of_three(conn: &duckdb::Connection, sql: &str) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            let mut stmt = conn.prepare(sql).expect("valid SQL");
            let mut rows = stmt.query([]).expect("runs");
            while rows.next().expect("a row").is_some() {}
            start.elapsed()
        })
        .min()
        .expect("three runs")
}

fn main() {
    let conn = duckdb::Connection::open_in_memory().expect("DuckDB");
    // One thread, as `cpic run` runs the embedded DuckDB.
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
    let mut db = cpic::source::SourceDb::new();
    db.add("bench.cpi", SPEC.to_string());
    let options = cpic::Options {
        today: cpic::date::Date::from_ymd(2026, 6, 1).expect("a date"),
    };
    let model = cpic::compile(&db, &options)
        .model
        .expect("the bench spec checks");
    let generator = cpic::sql::Generator::new(
        &model,
        cpic::sql::DialectName::Duckdb,
        &cpic::sql::Options::default(),
    );
    let time = |name: &str| {
        let sql = generator.metric_series(name, None).expect("sql");
        best_of_three(&conn, &sql)
    };
    for (kind, plain) in [
        ("active_28d", "plain_customers"),
        ("converted_7d", "plain_share"),
    ] {
        let (k, p) = (time(kind), time(plain));
        println!(
            "{kind}: {k:.2?}; plain weekly {plain}: {p:.2?}; {:.2}x (target <= 3x)",
            k.as_secs_f64() / p.as_secs_f64()
        );
    }
}
