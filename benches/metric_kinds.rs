//! `cargo bench --bench metric_kinds`: on DuckDB with the 10 million rows
//! of `sql_scan` (two years of events, 50,000 customers) and 1 million
//! sign-ups, the time of a 28-day `count_distinct` window and of a 7-day
//! conversion (`followed_by`) against the plain weekly metric of the same
//! rows. Prints the best of three runs of each (target: within 3x).

#[path = "support/events.rs"]
mod events;

const KPIS: &str = r#"
team t { name: "T" }
kpi plain_customers { title: "P" owner: t unit: count direction: higher tier: core source: events
  measure: count_distinct(customer) grain: week }
kpi active_28d { title: "A" owner: t unit: count direction: higher tier: driver source: events
  measure: count_distinct(customer) grain: week window: 28 days }
kpi plain_share { title: "S" owner: t unit: % direction: higher tier: driver source: events
  measure: avg(ok) grain: week }
kpi converted_7d { title: "C" owner: t unit: % direction: higher tier: driver source: events
  measure: avg(followed_by(signups, customer, 7 days where plan = "pro")) grain: week }
"#;

fn main() {
    let conn = events::connection();
    let model = events::model(&format!("{}{KPIS}", events::sources("")));
    let generator = cpic::sql::Generator::new(
        &model,
        cpic::sql::DialectName::Duckdb,
        &cpic::sql::Options::default(),
    );
    let time = |name: &str| {
        let sql = generator.metric_series(name, None).expect("sql");
        events::best_of_three(&conn, &[sql])
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
