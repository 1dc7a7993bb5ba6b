//! `cargo bench --bench check`: time of `cpic::compile` (parse, configure,
//! check) on generated projects of 120, 1,200 and 12,000 metrics, held in
//! memory. Peak memory and whole-binary times: `benches/check-scale.sh`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "support/generate.rs"]
mod generate;

fn check(c: &mut Criterion) {
    let mut group = c.benchmark_group("check");
    group.sample_size(10);
    for n in [120, 1_200, 12_000] {
        let mut db = cpic::source::SourceDb::new();
        for (name, text) in generate::project(n) {
            db.add(name, text);
        }
        let options = cpic::Options {
            today: cpic::date::Date::from_ymd(2026, 6, 1).expect("a date"),
        };
        group.bench_with_input(BenchmarkId::from_parameter(n), &db, |b, db| {
            b.iter(|| {
                let compilation = cpic::compile(db, &options);
                assert!(!compilation.has_errors());
                compilation
            })
        });
    }
    group.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
