//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use cpic::date::Date;
use cpic::source::SourceDb;
use cpic::{compile, Compilation, Options};

/// The fixed "today" of every test, so that expired targets do not depend
/// on the day the tests run.
pub const TODAY: &str = "2026-06-01";

pub fn options() -> Options {
    Options {
        today: Date::parse(TODAY).expect("a date"),
    }
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn compile_path(path: &Path) -> (SourceDb, Compilation) {
    let db = SourceDb::load(path).expect("the fixture loads");
    let compilation = compile(&db, &options());
    (db, compilation)
}

pub fn compile_text(files: &[(&str, &str)]) -> (SourceDb, Compilation) {
    let mut db = SourceDb::new();
    for (name, text) in files {
        db.add(*name, *text);
    }
    let compilation = compile(&db, &options());
    (db, compilation)
}

pub fn codes(c: &Compilation) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code.as_str()).collect()
}

pub fn cpic() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_cpic"))
}
pub mod browser;
pub mod engines;
pub mod oracle;
