//! Time (wall and CPU) and peak memory of each stage of cpic in one
//! process, on a project folder: compile (load, parse, configure, check),
//! SQL for all seven dialects (on every core, as `cpic build` makes it,
//! kept in memory one dialect per core at a time) and the documentation
//! site (rendered in memory, without data, page by page as `cpic docs`
//! does).
//! `cargo run --release --example stages -- DIR [--no-docs]` prints a
//! tab-separated line per stage (name, wall, CPU, peak, output size);
//! `benches/scale.sh` runs it on generated projects.
//! Peak memory is Linux's VmHWM, reset between stages.

use std::time::Instant;

use cpic::sql;

// The allocator of the `cpic` binary (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The peak resident memory since the last reset, in MB, and a reset.
fn peak_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    // "5" resets the peak to the current size (Linux 4.0+).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    kb / 1024
}

/// CPU time of the process so far (user + system, every thread), in
/// seconds: steadier than wall time on a shared machine.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime and
    // stime are the 12th and 13th, in clock ticks (100 per second).
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let ticks: Vec<u64> = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    ticks.iter().sum::<u64>() as f64 / 100.0
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: stages DIR");
    let today = cpic::date::Date::from_ymd(2026, 6, 1).expect("a date");
    peak_mb();
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let db = cpic::source::SourceDb::load(std::path::Path::new(&dir)).expect("a project");
    // The syntax trees and diagnostics go, as in `cpic build`.
    let model = cpic::compile(&db, &cpic::Options { today })
        .model
        .expect("the project checks");
    println!(
        "compile\t{:.3} s\t{:.2} s CPU\t{} MB peak",
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
        peak_mb()
    );

    let (start, cpu) = (Instant::now(), cpu_seconds());
    let options = sql::Options {
        as_of: Some(today),
        since: None,
    };
    let mut bytes = 0;
    sql::for_each_dialect(&model, &options, |_, queries| {
        if let Ok(files) = queries {
            bytes += files.iter().map(|f| f.sql.len()).sum::<usize>();
        }
        Ok::<(), ()>(())
    })
    .expect("in memory");
    println!(
        "sql, 7 dialects\t{:.3} s\t{:.2} s CPU\t{} MB peak\t{} MB of SQL",
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
        peak_mb(),
        bytes / 1_000_000
    );

    if std::env::args().nth(2).as_deref() == Some("--no-docs") {
        return;
    }
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let mut bytes = 0;
    cpic::docs::render(&model, &db, None, today, None, &mut |_, page| {
        bytes += page.len();
        Ok(())
    })
    .expect("in memory");
    println!(
        "docs\t{:.3} s\t{:.2} s CPU\t{} MB peak\t{} MB of pages",
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu,
        peak_mb(),
        bytes / 1_000_000
    );
}
