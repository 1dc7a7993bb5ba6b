//! What each fuzz target does with its input, and what it requires of cpic
//! beyond not crashing. Shared by the fuzz targets (`fuzz/fuzz_targets/`)
//! and by `tests/fuzz_regressions.rs`, which replays the seed corpus and
//! every minimised finding on stable Rust in the ordinary test run.
//!
//! An input is one spec file, optionally followed by a NUL byte and the
//! text of `cpi.toml` (so that the project settings are fuzzed too).
#![allow(dead_code)]

use cpic::date::Date;
use cpic::model::Model;
use cpic::source::{FileId, SourceDb};
use cpic::sql::{self, DialectName};

/// The fixed "today" of every target, so that a finding replays.
fn today() -> Date {
    Date::from_ymd(2026, 6, 1).expect("a date")
}

/// The project an input stands for.
pub fn project(data: &[u8]) -> SourceDb {
    let mut db = SourceDb::new();
    match data.iter().position(|&b| b == 0) {
        Some(nul) => {
            db.add("fuzz.cpi", &data[..nul]);
            db.add("cpi.toml", &data[nul + 1..]);
        }
        None => db.add("fuzz.cpi", data),
    }
    db
}

/// Compiles the input and renders every diagnostic in every format (a
/// span outside its file, or on a byte that is not a character boundary,
/// would panic in the renderer). Returns the model when there is one.
fn compile(data: &[u8]) -> (SourceDb, Option<Model>) {
    let db = project(data);
    let compilation = cpic::compile(&db, &cpic::Options { today: today() });
    for d in &compilation.diagnostics {
        let text = &db.get(d.span.file).text;
        let range = d.span.range();
        assert!(range.end <= text.len(), "span past the end: {d:?}");
        assert!(
            text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
            "span inside a character: {d:?}"
        );
    }
    let _ = cpic::diag::render::human_string(&db, &compilation.diagnostics);
    let mut short = Vec::new();
    cpic::diag::render::short(&db, &compilation.diagnostics, &mut short).expect("in memory");
    let _ = cpic::diag::render::json_value(&db, &compilation.diagnostics);
    (db, compilation.model)
}

/// The parser alone, on text as the language server and formatter see it.
pub fn parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut diags = Vec::new();
    let _ = cpic::syntax::parse_text(FileId(0), &text, &mut diags);
    for d in &diags {
        assert!(d.span.range().end <= text.len(), "span past the end: {d:?}");
    }
}

/// Parse, configure and check; a model must serialise.
pub fn check(data: &[u8]) {
    if let (_, Some(model)) = compile(data) {
        serde_json::to_string(&model).expect("a model serialises");
    }
}

/// Which sqlparser dialect reads each of cpic's dialects.
pub fn parser_dialect(d: DialectName) -> Box<dyn sqlparser::dialect::Dialect> {
    use sqlparser::dialect::*;
    match d {
        DialectName::Duckdb => Box::new(DuckDbDialect {}),
        DialectName::Postgres => Box::new(PostgreSqlDialect {}),
        DialectName::Sqlite => Box::new(SQLiteDialect {}),
        DialectName::Bigquery => Box::new(BigQueryDialect {}),
        DialectName::Snowflake => Box::new(SnowflakeDialect {}),
        DialectName::Spark => Box::new(DatabricksDialect {}),
        // sqlparser has no Trino dialect; Trino follows ANSI SQL closely.
        DialectName::Trino => Box::new(GenericDialect {}),
    }
}

/// Every query of every dialect. Each generated file must be exactly one
/// statement that sqlparser reads: a name or string of the spec that broke
/// out of its quotes would show up as a parse error or a second statement.
pub fn sql(data: &[u8]) {
    let (_, Some(model)) = compile(data) else {
        return;
    };
    let options = sql::Options {
        as_of: Some(today()),
        since: None,
    };
    for &dialect in DialectName::ALL {
        let Ok(files) = sql::Generator::new(&model, dialect, &options).all_queries() else {
            continue;
        };
        let parser = parser_dialect(dialect);
        for f in &files {
            // sqlparser's default recursion limit (50) is below the
            // nesting cpic accepts (MAX_EXPR_DEPTH), which engines take.
            let parsed = sqlparser::parser::Parser::new(parser.as_ref())
                .with_recursion_limit(4 * cpic::syntax::MAX_EXPR_DEPTH)
                .try_with_sql(&f.sql)
                .and_then(|mut p| p.parse_statements());
            match parsed {
                Ok(statements) => assert_eq!(
                    statements.len(),
                    1,
                    "{}/{} is not one statement:\n{}",
                    dialect.name(),
                    f.path,
                    f.sql
                ),
                Err(e) => panic!(
                    "{}/{} does not parse: {e}\n{}",
                    dialect.name(),
                    f.path,
                    f.sql
                ),
            }
        }
    }
}

/// The formatter never changes a spec's meaning (it checks itself and says
/// `Unfaithful` otherwise) and is idempotent.
pub fn fmt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match cpic::fmt::format_file(FileId(0), text) {
        Ok(once) => match cpic::fmt::format_file(FileId(0), &once) {
            Ok(twice) => assert_eq!(once, twice, "formatting is not idempotent"),
            Err(e) => panic!("formatted text does not format again: {e:?}\n{once}"),
        },
        Err(cpic::fmt::FormatError::Syntax(_)) => {}
        Err(e @ cpic::fmt::FormatError::Unfaithful { .. }) => {
            panic!("the formatter would change the spec: {e:?}")
        }
    }
}

/// The documentation site (without data): every page has exactly the
/// site's own two scripts, whatever the spec's strings hold.
pub fn docs(data: &[u8]) {
    let (db, Some(model)) = compile(data) else {
        return;
    };
    let site = cpic::docs::build(&model, &db, None, today());
    for (path, bytes) in &site.files {
        if !path.ends_with(".html") {
            continue;
        }
        let html = std::str::from_utf8(bytes).expect("pages are UTF-8");
        let scripts = html.to_ascii_lowercase().matches("<script").count();
        assert_eq!(scripts, 2, "{path} has {scripts} script tags");
    }
}
