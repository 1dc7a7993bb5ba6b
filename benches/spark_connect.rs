//! `cargo bench --bench spark_connect`: `cpic run` of the insurance example
//! over Spark Connect, its tables loaded into a Spark database, and the
//! time of the first and of later queries of one session (a trivial query
//! and the weekly series of a metric). Needs a server in
//! `CPIC_TEST_SPARK_CONNECT` (`.ci/spark-connect VENV` starts one on
//! loopback); prints why it did nothing otherwise.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use cpic::run::cell::ColumnKind;
use cpic::run::db::{Database, DatabaseUrl};

fn main() {
    let Ok(url) = std::env::var("CPIC_TEST_SPARK_CONNECT") else {
        println!("CPIC_TEST_SPARK_CONNECT is not set: start a server with .ci/spark-connect VENV");
        return;
    };
    let mut spark = common::engines::Spark::start("bench").expect("the server");
    let insurance = common::example("insurance");
    let model = common::checked_model_at(&insurance);
    let started = Instant::now();
    common::loaded::load_tables(&mut spark, &model, &insurance, "");
    println!(
        "insurance loaded (16,000 rows in three tables): {:.1?}",
        started.elapsed()
    );
    let dir = tempfile::tempdir().expect("a folder");
    let copy = common::loaded::tables_copy_in("insurance", dir.path(), Some(spark.database()));

    for run in 1..=2 {
        let started = Instant::now();
        let copy = copy.to_string_lossy();
        let out = common::cpic_ok([
            "run",
            &copy,
            "--db",
            &url,
            "--today",
            common::TODAY,
            "--timings",
        ]);
        println!(
            "cpic run insurance #{run}: {:.1?}\n  {}",
            started.elapsed(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }

    let url = DatabaseUrl::parse(&url, std::path::Path::new(".")).expect("a URL");
    let started = Instant::now();
    let mut db = Database::open(&url, std::path::Path::new(".")).expect("the server");
    println!(
        "session opened (connect, time zone set): {:.1?}",
        started.elapsed()
    );
    let tables = common::checked_model_at(&copy);
    let generator = cpic::sql::Generator::new(
        &tables,
        cpic::sql::DialectName::Spark,
        &cpic::sql::Options::default(),
    );
    let series = generator
        .metric_series("quote_turnaround", None)
        .expect("sql");
    let (number, text) = (ColumnKind::Number, ColumnKind::Text);
    for (what, sql, kinds) in [
        ("SELECT 1", "SELECT 1".to_string(), vec![number]),
        ("quote_turnaround per week", series, vec![text, number]),
    ] {
        let times: Vec<Duration> = (0..6)
            .map(|_| {
                let started = Instant::now();
                db.query(&sql, &kinds).expect("rows");
                started.elapsed()
            })
            .collect();
        let later: Vec<String> = times[1..].iter().map(|t| format!("{t:.0?}")).collect();
        println!("{what}: first {:.0?}, then {}", times[0], later.join(", "));
    }
}
