//! `cargo bench --bench sql_scan`: on DuckDB with 10 million generated rows
//! and one source of 20 metrics, the time of cpic's one-scan source query
//! against (a) one hand-written query computing the same 20 aggregates and
//! (b) the 20 per-metric series queries run one after another.
//! Prints the best of three runs of each.

use std::time::Instant;

#[path = "support/events.rs"]
#[allow(dead_code)] // its tables are the other benches'; the timer is shared
mod events;

const ROWS: u64 = 10_000_000;

const METRICS: &[(&str, &str, &str)] = &[
    // (name, unit, measure); every metric is weekly on `events`.
    ("m01", "count", "count()"),
    ("m02", "count", "count(where ok)"),
    ("m03", "USD", "sum(amount)"),
    ("m04", "USD", "sum(amount where ok)"),
    ("m05", "USD", "avg(amount)"),
    ("m06", "%", "avg(ok)"),
    ("m07", "s", "median(done_at - at)"),
    ("m08", "s", "percentile(done_at - at, 0.9)"),
    ("m09", "min", "avg(done_at - at)"),
    ("m10", "USD", "max(amount)"),
    ("m11", "USD", "min(amount)"),
    ("m12", "count", "count_distinct(customer)"),
    ("m13", "%", "count(where done_at - at < 2 min) / count()"),
    ("m14", "USD", "sum(amount where kind = \"a\")"),
    ("m15", "USD", "sum(amount where kind = \"b\")"),
    ("m16", "count", "count(where n > 5)"),
    ("m17", "s", "max(done_at - at)"),
    ("m18", "USD", "sum(amount) / count()"),
    ("m19", "%", "avg(n > 3)"),
    ("m20", "count", "sum(ok)"),
];

const HAND_WRITTEN: &str = "
SELECT
  CAST(date_trunc('week', \"at\") AS DATE) AS period,
  count(*),
  count(*) FILTER (WHERE ok),
  sum(amount),
  sum(amount) FILTER (WHERE ok),
  avg(amount),
  avg(CASE WHEN ok THEN 1.0 ELSE 0.0 END) * 100,
  quantile_cont(epoch(done_at) - epoch(\"at\"), 0.5),
  quantile_cont(epoch(done_at) - epoch(\"at\"), 0.9),
  avg(epoch(done_at) - epoch(\"at\")) / 60,
  max(amount),
  min(amount),
  count(DISTINCT customer),
  count(*) FILTER (WHERE epoch(done_at) - epoch(\"at\") < 120) * 100.0 / count(*),
  sum(amount) FILTER (WHERE kind = 'a'),
  sum(amount) FILTER (WHERE kind = 'b'),
  count(*) FILTER (WHERE n > 5),
  max(epoch(done_at) - epoch(\"at\")),
  sum(amount) / count(*),
  avg(CASE WHEN n > 3 THEN 1.0 ELSE 0.0 END) * 100,
  sum(CASE WHEN ok THEN 1 ELSE 0 END)
FROM events
WHERE \"at\" IS NOT NULL
GROUP BY 1
ORDER BY 1";

/// The bench spec; `origin` is `table: "events"` or `file: "…parquet"`.
fn spec(origin: &str) -> String {
    let mut s = format!(
        "team t {{ name: \"T\" }}\nsource events {{\n  {origin}\n  time: at\n  columns {{ at: timestamp done_at: timestamp amount: USD ok: bool kind: text n: int customer: text }}\n}}\n",
    );
    for (i, (name, unit, measure)) in METRICS.iter().enumerate() {
        let tier = if i == 0 { "core" } else { "driver" };
        s.push_str(&format!(
            "kpi {name} {{ title: \"{name}\" owner: t unit: {unit} direction: higher tier: {tier} source: events measure: {measure} grain: week }}\n"
        ));
    }
    s
}

/// The one-scan query and the 20 per-metric queries of the spec.
fn queries(origin: &str) -> (String, Vec<String>) {
    let mut db = cpic::source::SourceDb::new();
    db.add("bench.cpi", spec(origin));
    let options = cpic::Options {
        today: cpic::date::Date::from_ymd(2026, 6, 1).expect("a date"),
    };
    let model = cpic::compile(&db, &options)
        .model
        .expect("the bench spec checks");
    let dialect = cpic::sql::DialectName::Duckdb;
    let sql_options = cpic::sql::Options::default();
    let scans = cpic::sql::source_scans(&model);
    assert_eq!(scans.len(), 1, "one source, one grain");
    let scan = cpic::sql::Generator::new(&model, dialect, &sql_options)
        .source_scan(&scans[0])
        .expect("sql");
    let per_metric = model
        .metrics
        .iter()
        .map(|m| {
            cpic::sql::Generator::new(&model, dialect, &sql_options)
                .metric_series(&m.name, None)
                .expect("sql")
        })
        .collect();
    (scan, per_metric)
}

fn compare(
    what: &str,
    conn: &duckdb::Connection,
    scan: String,
    hand: String,
    per_metric: &[String],
) {
    let one_scan = events::best_of_three(conn, &[scan]);
    let hand = events::best_of_three(conn, &[hand]);
    let separate = events::best_of_three(conn, per_metric);
    println!("{what}:");
    println!("  one-scan source query (20 metrics): {one_scan:.2?}");
    println!("  hand-written single query:          {hand:.2?}");
    println!("  20 per-metric queries in a row:     {separate:.2?}");
    println!(
        "  one-scan / hand-written = {:.2}x (target <= 1.5x); per-metric / one-scan = {:.1}x (target >= 5x)",
        one_scan.as_secs_f64() / hand.as_secs_f64(),
        separate.as_secs_f64() / one_scan.as_secs_f64()
    );
}

fn main() {
    let conn = duckdb::Connection::open_in_memory().expect("DuckDB");
    let start = Instant::now();
    conn.execute_batch(&format!(
        "CREATE TABLE events AS
         SELECT
           TIMESTAMP '2024-01-01' + INTERVAL (i * 6) SECOND AS \"at\",
           TIMESTAMP '2024-01-01' + INTERVAL (i * 6 + (i * 7919) % 900) SECOND AS done_at,
           ((i * 104729) % 100000) / 100.0 AS amount,
           (i % 3) <> 0 AS ok,
           CASE i % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END AS kind,
           CAST(i % 10 AS INTEGER) AS n,
           'c' || CAST((i * 31) % 50000 AS VARCHAR) AS customer
         FROM range({ROWS}) t(i)"
    ))
    .expect("data");
    println!("generated {ROWS} rows in {:.2?}", start.elapsed());

    let (scan, per_metric) = queries("table: \"events\"");
    compare(
        "in-memory table",
        &conn,
        scan,
        HAND_WRITTEN.to_string(),
        &per_metric,
    );

    // The same rows in a CSV file, read where they lie (a `file` source, as
    // in the examples): every extra query reads the file again.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let csv = dir.path().join("events.csv");
    let path = csv.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!("COPY events TO '{path}' (HEADER)"))
        .expect("a CSV file");
    let (scan, per_metric) = queries(&format!("file: \"{}\"", csv.display()));
    let hand = HAND_WRITTEN.replace(
        "FROM events",
        &format!("FROM read_csv('{path}', header = true)"),
    );
    compare("CSV file", &conn, scan, hand, &per_metric);
}
