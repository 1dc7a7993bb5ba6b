//! Golden SQL for every example in every dialect (insta snapshots), each
//! query also parsed by sqlparser with the matching dialect.
//!
//! The examples read some sources from CSV files, which only DuckDB can do
//! (E0701 elsewhere); for the other dialects this test turns file sources
//! into tables of the same name, so that every query is still covered.

mod common;

use cpic::model::Origin;
use cpic::sql::{self, DialectName};
#[path = "../fuzz/harness.rs"]
mod harness;

use harness::parser_dialect;

fn golden(example: &str) {
    golden_of(example, &common::root().join("examples").join(example));
}

fn golden_of(example: &str, path: &std::path::Path) {
    let (_, c) = common::compile_path(path);
    let model = c.model.expect("the example checks");
    for &dialect in DialectName::ALL {
        let mut model = model.clone();
        if dialect != DialectName::Duckdb {
            for s in &mut model.sources {
                if let Origin::File(path) = &s.origin {
                    let stem = std::path::Path::new(path)
                        .file_stem()
                        .expect("a file name")
                        .to_string_lossy();
                    s.origin = Origin::Table(stem.into_owned());
                }
            }
        }
        let as_of = Some(cpic::date::Date::parse("2026-06-01").expect("date"));
        let files = sql::Generator::new(&model, dialect, &sql::Options { as_of, since: None })
            .all_queries()
            .expect("every query compiles");
        let parser = parser_dialect(dialect);
        let mut text = String::new();
        for f in &files {
            if let Err(e) = sqlparser::parser::Parser::parse_sql(parser.as_ref(), &f.sql) {
                panic!(
                    "{example}/{}/{} does not parse: {e}\n{}",
                    dialect.name(),
                    f.path,
                    f.sql
                );
            }
            text.push_str(&format!("-- file: {}\n{}\n", f.path, f.sql));
        }
        insta::assert_snapshot!(format!("{example}__{}", dialect.name()), text);
    }
}

#[test]
fn insurance() {
    golden("insurance");
}

#[test]
fn online_course() {
    golden("online-course");
}

#[test]
fn customer_service() {
    golden("customer-service");
}

#[test]
fn grocery_delivery() {
    golden("grocery-delivery");
}

/// Every window form, snapshots, fills, `prior` and `followed_by`.
#[test]
fn metric_kinds() {
    golden_of("kinds", &common::root().join("tests/fixtures/kinds"));
}

/// Every data expectation's query (`cpic sql --tests`), judged at a fixed
/// moment: a hostile table name, columns named after SQL keywords.
#[test]
fn expectations() {
    let (_, c) = common::compile_path(&common::root().join("tests/fixtures/expectations/spec.cpi"));
    let model = c.model.expect("the fixture checks");
    let now = cpic::date::Moment {
        date: cpic::date::Date::parse("2026-05-30").expect("date"),
        second: 3_723,
    };
    for &dialect in DialectName::ALL {
        let generator = sql::Generator::new(&model, dialect, &sql::Options::default());
        let parser = parser_dialect(dialect);
        let mut text = String::new();
        for e in model.expectations() {
            let sql = generator
                .expectation(&e, now)
                .expect("every query compiles");
            if let Err(err) = sqlparser::parser::Parser::parse_sql(parser.as_ref(), &sql) {
                panic!(
                    "{} in {} does not parse: {err}\n{sql}",
                    e.name(),
                    dialect.name()
                );
            }
            text.push_str(&format!("-- expectation: {}\n{sql}\n", e.name()));
        }
        insta::assert_snapshot!(format!("expectations__{}", dialect.name()), text);
    }
}

#[test]
fn file_sources_are_a_diagnostic_outside_duckdb() {
    let (_, c) = common::compile_path(&common::root().join("examples/insurance"));
    let model = c.model.expect("checks");
    let diags = sql::Generator::new(&model, DialectName::Postgres, &sql::Options::default())
        .all_queries()
        .expect_err("files need DuckDB");
    assert!(diags.iter().all(|d| d.code.as_str() == "E0701"));
    assert_eq!(diags.len(), 3, "once per file source");
    assert!(
        sql::Generator::new(&model, DialectName::Duckdb, &sql::Options::default())
            .all_queries()
            .is_ok()
    );
}
