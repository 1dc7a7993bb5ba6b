//! A deterministic generated project: `n` metrics in files of 100 metrics,
//! one source per 20 metrics, one team per 50, two targets per metric, a
//! derived metric in every 10, and a link from every CPI to a KPI; one in
//! every 50 metrics has a window, a snapshot, a fill or `followed_by`, and
//! one derived metric in every 100 reads `prior`.

use std::fmt::Write;

pub fn project(n: usize) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut teams = String::new();
    for t in 0..n.div_ceil(50) {
        writeln!(
            teams,
            "team team_{t} {{\n  name: \"Team {t}\"\n  contact: \"team{t}@example.com\"\n}}\n"
        )
        .unwrap();
    }
    files.push(("teams.cpi".to_string(), teams));
    let mut sources = String::new();
    for s in 0..n.div_ceil(20) {
        writeln!(
            sources,
            "source src_{s} {{\n  table: \"analytics.events_{s}\"\n  time: happened_at\n  columns {{\n    id: text\n    happened_at: timestamp\n    done_at: timestamp\n    channel: text\n    region: text\n    amount: USD\n    ok: bool\n    items: {{items}}\n  }}\n}}\n"
        )
        .unwrap();
    }
    files.push(("sources.cpi".to_string(), sources));
    let mut file = String::new();
    for i in 0..n {
        let kind = if i % 2 == 0 { "cpi" } else { "kpi" };
        let team = i / 50;
        let source = i / 20;
        write!(file, "{kind} m_{i} {{\n  title: \"Metric {i}\"\n").unwrap();
        if kind == "cpi" {
            write!(file, "  outcome: \"Reach outcome {i} quickly\"\n  evidence: contextual_inquiry \"Field visits, wave {}\"\n", i % 7).unwrap();
        }
        write!(file, "  description: \"\"\"\n    What metric {i} means for the customer.\n    Second line of *Markdown*.\n  \"\"\"\n  owner: team_{team}\n").unwrap();
        let tier = if i == 0 {
            "core"
        } else if i % 3 == 0 {
            "driver"
        } else {
            "leading"
        };
        if i % 10 == 9 {
            // Derived: combines the two previous metrics of the same grain.
            let measure = if i % 100 == 49 {
                format!("m_{0} - prior(m_{0}, 52 weeks)", i - 2)
            } else {
                format!("m_{} / m_{}", i - 2, i - 1)
            };
            write!(file, "  unit: USD\n  direction: higher\n  tier: {tier}\n  measure: {measure}\n  grain: week\n").unwrap();
        } else {
            let (unit, direction, measure) = match i % 5 {
                0 => ("s", "lower", "median(done_at - happened_at)"),
                1 => ("USD", "higher", "sum(amount where ok)"),
                2 => ("%", "higher", "avg(ok)"),
                3 => ("count", "higher", "count(where ok and channel != \"test\")"),
                _ => ("min", "lower", "percentile(done_at - happened_at, 0.9)"),
            };
            let conversion = format!(
                "avg(followed_by(src_{}, id, 7 days where ok))",
                (source + 1) % n.div_ceil(20)
            );
            let (unit, measure) = if i % 10 == 7 {
                ("USD", "sum(amount) / count()")
            } else if i % 10 == 8 {
                ("count", "count_distinct(id)")
            } else if i % 50 == 41 {
                ("%", conversion.as_str())
            } else {
                (unit, measure)
            };
            let kind_line = match i % 50 {
                1 => "  window: 28 days\n",
                11 => "  window: year_to_date\n",
                21 => "  snapshot: last\n",
                31 => "  fill: 0\n",
                _ => "",
            };
            write!(
                file,
                "  unit: {unit}\n  direction: {direction}\n  tier: {tier}\n  source: src_{source}\n  measure: {measure}\n  filter: region in (\"eu\", \"us\") and channel != \"test\"\n  grain: week\n  dimensions: channel, region\n  review: quarterly\n{kind_line}"
            )
            .unwrap();
            let (low, high, base) = match unit {
                "s" => ("30s", "45s", "55s"),
                "min" => ("2 min", "3 min", "4 min"),
                "USD" => ("100 USD", "200 USD", "90 USD"),
                "%" => ("20%", "30%", "15%"),
                _ => ("10 count", "20 count", "8 count"),
            };
            write!(
                file,
                "  target h1 {{\n    range: {low} .. {high}\n    from: 2026-01-01\n    until: 2026-06-30\n    baseline: {base}\n  }}\n  target h2 {{\n    range: {low} .. {high}\n    from: 2026-07-01\n    until: 2027-12-31\n    baseline: {base}\n    competitor: {low}\n  }}\n"
            )
            .unwrap();
        }
        file.push_str("}\n\n");
        if kind == "cpi" {
            write!(
                file,
                "link m_{i} -> m_{} {{\n  hypothesis: \"Outcome {i} moves business result {}\"\n  expect: improves\n  lag: 1 week\n  status: testing\n  min_periods: 10\n}}\n\n",
                i + 1,
                i + 1
            )
            .unwrap();
        }
        if i % 100 == 99 || i + 1 == n {
            files.push((
                format!("metrics/m_{:05}.cpi", i / 100),
                std::mem::take(&mut file),
            ));
        }
    }
    files
}
