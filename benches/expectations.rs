//! `cargo bench --bench expectations`: on DuckDB with the 10 million rows
//! of `sql_scan`, the time of each data expectation's query (`fresh`,
//! `unique` over two columns, `not_null` over two, `expect` on a weekly
//! metric) against the plain weekly metric of the same rows. Prints the
//! best of three runs of each.

#[path = "support/events.rs"]
mod events;

const EXPECTATIONS: &str = r#"
  fresh: 2 days
  unique: customer, at
  not_null: customer, amount
"#;

const KPIS: &str = r#"
team t { name: "T" }
kpi ok_share { title: "S" owner: t unit: % direction: higher tier: core source: events
  measure: avg(ok) grain: week expect: 50% .. 80% }
"#;

fn main() {
    let conn = events::connection();
    let model = events::model(&format!("{}{KPIS}", events::sources(EXPECTATIONS)));
    let generator = cpic::sql::Generator::new(
        &model,
        cpic::sql::DialectName::Duckdb,
        &cpic::sql::Options::default(),
    );
    let plain = generator.metric_series("ok_share", None).expect("sql");
    let plain = events::best_of_three(&conn, &[plain]);
    println!("plain weekly avg(ok): {plain:.2?}");
    let now = cpic::date::Moment::start_of(cpic::date::Date::from_ymd(2026, 1, 1).expect("a date"));
    for e in model.expectations() {
        let sql = generator.expectation(&e, now).expect("sql");
        let took = events::best_of_three(&conn, &[sql]);
        println!(
            "{}: {took:.2?} ({:.2}x)",
            e.name(),
            took.as_secs_f64() / plain.as_secs_f64()
        );
    }
}
