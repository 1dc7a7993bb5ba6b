//! `cpic init`: a starter project that checks clean and runs at once — a
//! team, a source over a small CSV it writes, a CPI with a target and a
//! baseline, a KPI, and a link between them that the data supports.

use crate::date::Date;
use crate::model::Grain;
use crate::random::SplitMix64;

/// Weeks of generated data, ending with the last complete week before today.
const WEEKS: i64 = 16;
/// Requests per week in the generated data.
const PER_WEEK: u64 = 25;

/// The files of the starter project, by path relative to its folder.
pub fn files(project_name: &str, today: Date) -> Vec<(&'static str, String)> {
    let year = today.year;
    vec![
        ("cpi.toml", config(project_name)),
        ("teams.cpi", TEAMS.to_string()),
        ("sources.cpi", SOURCES.to_string()),
        ("metrics.cpi", metrics(year)),
        ("data/requests.csv", requests_csv(today)),
    ]
}

fn config(project_name: &str) -> String {
    let mut name = String::new();
    for c in project_name.chars() {
        match c {
            '"' => name.push_str("\\\""),
            '\\' => name.push_str("\\\\"),
            c if c.is_control() => {}
            c => name.push(c),
        }
    }
    format!(
        "[project]\nname = \"{name}\"\n\n[build]\ndialect = \"duckdb\"\nout = \"target\"\n\n\
         [database]\n# An in-memory DuckDB that reads the CSV files of `file:` sources.\n\
         url = \"duckdb://:memory:\"\n"
    )
}

const TEAMS: &str = r#"// Who owns each metric. Replace with your own teams.
team support {
  name: "Customer Support"
  contact: "support-leads@example.com"
}
"#;

const SOURCES: &str = r#"// Where rows come from: a table of your database (`table: "schema.name"`)
// or, as here, a CSV or Parquet file relative to the project.
source requests {
  file: "data/requests.csv"
  time: requested_at
  columns {
    request_id:   text
    requested_at: timestamp
    answered_at:  timestamp
    converted:    bool
  }
}
"#;

fn metrics(year: i32) -> String {
    format!(
        r#"// A CPI: how the company performs for the customer, in the customer's units.
cpi time_to_answer {{
  title: "Time to a first answer"
  outcome: "Get an answer before I give up and look elsewhere"
  description: """
    Median time between a customer's request and the first answer.

    Replace the evidence below with what you learned from watching
    customers (contextual inquiry).
  """
  owner: support
  unit: min
  direction: lower
  tier: core
  evidence: contextual_inquiry "Shadowed 10 customers asking for help"
  source: requests
  measure: median(answered_at - requested_at)
  grain: week
  review: monthly
  target {{
    range: 10 min .. 20 min
    from: {year}-01-01
    until: {year}-12-31
    baseline: 35 min
  }}
}}

// A KPI: how customers perform for the company.
kpi conversion_rate {{
  title: "Requests that become a sale"
  owner: support
  unit: %
  direction: higher
  evidence: analytics "Sales system"
  source: requests
  measure: avg(converted)
  grain: week
}}

// The hypothesis that makes the CPI matter, tested by `cpic run`.
link time_to_answer -> conversion_rate {{
  hypothesis: "Customers who get a quick answer buy before they shop around"
  expect: improves
  status: testing
}}
"#
    )
}

/// Requests over the last complete weeks: each week has a typical answer
/// time, and the slower the week, the fewer requests convert.
fn requests_csv(today: Date) -> String {
    // The same day gives the same data.
    let mut random = SplitMix64(today.days_since_epoch() as u64);
    let this_week = Grain::Week.period_start(today);
    let mut out = String::from("request_id,requested_at,answered_at,converted\n");
    let mut id = 0;
    for week in (1..=WEEKS).rev() {
        let start = Grain::Week.add(this_week, -week);
        let typical_minutes = 12.0 + 30.0 * random.unit();
        let conversion = (0.55 - typical_minutes / 100.0).clamp(0.05, 0.95);
        for _ in 0..PER_WEEK {
            id += 1;
            let day = Date::from_days_since_epoch(
                start.days_since_epoch() + (random.next_u64() % 7) as i64,
            );
            let at_second = 8 * 3600 + random.next_u64() % (10 * 3600);
            let wait = (typical_minutes * (0.5 + random.unit()) * 60.0).round() as u64;
            let converted = random.unit() < conversion;
            out.push_str(&format!(
                "R{id:05},{},{},{converted}\n",
                timestamp(day, at_second),
                timestamp(day, at_second + wait),
            ));
        }
    }
    out
}

/// `YYYY-MM-DD HH:MM:SS`, rolling over to the next day past midnight.
fn timestamp(day: Date, second: u64) -> String {
    let day = Date::from_days_since_epoch(day.days_since_epoch() + (second / 86_400) as i64);
    let second = second % 86_400;
    format!(
        "{day} {:02}:{:02}:{:02}",
        second / 3600,
        second / 60 % 60,
        second % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_ends_before_this_week() {
        let today = Date::parse("2026-06-03").unwrap();
        let csv = requests_csv(today);
        assert_eq!(csv.lines().count() as u64, 1 + WEEKS as u64 * PER_WEEK);
        let monday = Grain::Week.period_start(today).to_string();
        assert!(csv
            .lines()
            .skip(1)
            .all(|l| l.split(',').nth(1).unwrap() < monday.as_str()));
        assert_eq!(csv, requests_csv(today), "deterministic");
    }

    #[test]
    fn timestamps_roll_over_midnight() {
        let day = Date::parse("2026-12-31").unwrap();
        assert_eq!(timestamp(day, 86_400 + 61), "2027-01-01 00:01:01");
    }

    #[test]
    fn the_project_name_is_a_toml_string() {
        let toml = config("Acme \"Q\" \\ Co");
        let parsed: toml::Table = toml.parse().expect("valid TOML");
        assert_eq!(parsed["project"]["name"].as_str(), Some("Acme \"Q\" \\ Co"));
    }
}
