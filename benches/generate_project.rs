//! Writes a generated project of N metrics (with teams, sources, targets,
//! links and derived metrics) for benchmarks:
//! `cargo run --release --example generate_project -- 12000 /tmp/p12000`.
//! The same generator feeds the criterion benchmark in memory.

#[path = "support/generate.rs"]
mod generate;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: generate_project N DIR");
    let dir = std::path::PathBuf::from(args.next().expect("usage: generate_project N DIR"));
    std::fs::create_dir_all(&dir).expect("create the project folder");
    for (name, text) in generate::project(n) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create a folder");
        std::fs::write(path, text).expect("write a file");
    }
}
