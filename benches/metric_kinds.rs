//! `cargo bench --bench metric_kinds`: on DuckDB with the 10 million rows
//! of `sql_scan` (two years of events, 50,000 customers) and 1 million
//! sign-ups, the time of a 28-day `count_distinct` window and of a 7-day
//! conversion (`followed_by`) against the plain weekly metric of the same
//! rows. Prints the best of three runs of each (target: within 3x), then
//! the floors of any exact conversion plan built on a hash join (hand-written
//! DuckDB SQL, not cpic's): the bare semi-join of the rows on the key, and
//! on (key, bucket of the window's length), against the same plain metric.

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

/// The sign-ups a conversion looks for, as the conversion's own query
/// filters them.
const PRO: &str =
    "SELECT customer, \"at\" FROM signups WHERE plan = 'pro' AND customer IS NOT NULL";

/// A row's bucket of time as long as the 7-day window (whole weeks since
/// 1970), as the conversion's query buckets time.
fn bucket(time: &str) -> String {
    format!("CAST(FLOOR(EPOCH({time}) / 604800) AS BIGINT)")
}

/// Hand-written reference queries: the least work any exact conversion
/// built on a hash join does, each with the weekly grouping of the metric.
fn floors() -> [(&'static str, String); 2] {
    [
        (
            "semi-join on the key alone (cannot decide a window)",
            format!(
                "SELECT DATE_TRUNC('week', e.at), COUNT(*) FROM events AS e \
                 WHERE e.customer IN (SELECT customer FROM ({PRO})) GROUP BY 1"
            ),
        ),
        (
            "semi-join on (key, bucket): one probe per row of a table with a row per (key, bucket) holding a sign-up and the bucket before",
            format!(
                "SELECT DATE_TRUNC('week', e.at), COUNT(*) FROM events AS e \
                 WHERE (e.customer, {}) IN (\
                   SELECT customer, {b} FROM ({PRO}) UNION SELECT customer, {b} - 1 FROM ({PRO})) \
                 GROUP BY 1",
                bucket("e.at"),
                b = bucket("\"at\""),
            ),
        ),
    ]
}

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
    let plain = time("plain_share");
    for (floor, sql) in floors() {
        let f = events::best_of_three(&conn, &[sql]);
        println!(
            "floor, {floor}: {f:.2?}; {:.2}x the plain weekly plain_share",
            f.as_secs_f64() / plain.as_secs_f64()
        );
    }
}
