//! Time of each stage of cpic in one process, on a project folder:
//! compile (load, parse, configure, check), SQL for all seven dialects (in
//! memory) and the documentation site (in memory, without data).
//! `cargo run --release --example stages -- DIR` prints one line per stage;
//! `benches/scale.sh` runs it with whole-binary timings and peak memory.

use std::time::Instant;

use cpic::sql::{self, DialectName};

fn main() {
    let dir = std::env::args().nth(1).expect("usage: stages DIR");
    let today = cpic::date::Date::from_ymd(2026, 6, 1).expect("a date");
    let start = Instant::now();
    let db = cpic::source::SourceDb::load(std::path::Path::new(&dir)).expect("a project");
    let compilation = cpic::compile(&db, &cpic::Options { today });
    let model = compilation.model.expect("the project checks");
    println!("compile\t{:.3} s", start.elapsed().as_secs_f64());

    let start = Instant::now();
    let options = sql::Options {
        as_of: Some(today),
        since: None,
    };
    let mut bytes = 0;
    for dialect in DialectName::ALL {
        if let Ok(files) = sql::all_queries(&model, dialect, &options) {
            bytes += files.iter().map(|f| f.sql.len()).sum::<usize>();
        }
    }
    println!(
        "sql (7 dialects)\t{:.3} s\t{} MB",
        start.elapsed().as_secs_f64(),
        bytes / 1_000_000
    );

    let start = Instant::now();
    let site = cpic::docs::build(&model, &db, None, today);
    let bytes: usize = site.files.values().map(Vec::len).sum();
    println!(
        "docs\t{:.3} s\t{} MB",
        start.elapsed().as_secs_f64(),
        bytes / 1_000_000
    );
}
