//! Writes a project for the `cpic run` scale benchmark (issue 17): one
//! long source (`data/obs.csv`, 104 weeks of N rows a week, a group `g` of
//! 100 values and 20 measurement columns), N CPIs and N KPIs filtered from
//! it, and a link from each CPI to its KPI:
//! `cargo run --release --example generate_run_project -- 1000 /tmp/r1000`.
//! With `--tables`, the sources are tables named `obs` (for SQLite and
//! PostgreSQL, loaded from the same CSV).

use std::fmt::Write as _;

use cpic::random::SplitMix64;

const WEEKS: usize = 104;
const COLUMNS: usize = 20;
const GROUPS: usize = 100;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: generate_run_project N DIR [--tables]";
    let n: usize = args.first().and_then(|a| a.parse().ok()).expect(usage);
    let dir = std::path::PathBuf::from(args.get(1).expect(usage));
    let tables = args.iter().any(|a| a == "--tables");
    std::fs::create_dir_all(dir.join("data")).expect("create the project folder");
    std::fs::write(
        dir.join("cpi.toml"),
        format!("[project]\nname = \"run{n}\"\n"),
    )
    .expect("cpi.toml");
    let origin = if tables {
        "table: \"obs\"".to_string()
    } else {
        "file: \"data/obs.csv\"".to_string()
    };
    let columns: String = (0..COLUMNS).map(|c| format!(" c{c}: s")).collect();
    let mut spec = format!(
        "team t {{ name: \"T\" }}\nsource obs {{ {origin} time: at columns {{ at: date g: int{columns} }} }}\n"
    );
    for k in 0..n {
        let core = if k == 0 { " tier: core" } else { "" };
        let _ = writeln!(
            spec,
            "cpi x{k} {{ title: \"X{k}\" outcome: \"o\" owner: t unit: s direction: lower{core} evidence: contextual_inquiry \"v\" source: obs measure: avg(c{}) filter: g != {} grain: week }}",
            k % COLUMNS,
            k % GROUPS
        );
        let _ = writeln!(
            spec,
            "kpi y{k} {{ title: \"Y{k}\" owner: t unit: s direction: higher source: obs measure: avg(c{}) filter: g != {} grain: week }}",
            (k + 7) % COLUMNS,
            (k * 7 + 3) % GROUPS
        );
        let _ = writeln!(
            spec,
            "link x{k} -> y{k} {{ hypothesis: \"h\" lag: 1 week }}"
        );
    }
    std::fs::write(dir.join("metrics.cpi"), spec).expect("metrics.cpi");
    let mut random = SplitMix64(17);
    let mut csv = String::from("at,g");
    for c in 0..COLUMNS {
        let _ = write!(csv, ",c{c}");
    }
    csv.push('\n');
    let monday = cpic::date::Date::parse("2024-01-01").expect("a date");
    for week in 0..WEEKS {
        for row in 0..n {
            let day = cpic::date::Date::from_days_since_epoch(
                monday.days_since_epoch() + (week * 7 + row % 7) as i64,
            );
            let _ = write!(csv, "{day},{}", (random.next_u64() % GROUPS as u64));
            for _ in 0..COLUMNS {
                let _ = write!(csv, ",{:.2}", 30.0 + 40.0 * random.unit());
            }
            csv.push('\n');
        }
    }
    std::fs::write(dir.join("data/obs.csv"), csv).expect("obs.csv");
}
