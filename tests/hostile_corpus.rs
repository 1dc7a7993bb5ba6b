//! The hostile corpus of issue 7: names that are SQL keywords in some
//! dialect, strings in every script and direction, a 1 MB description,
//! 100,000 items and expressions nested to the limits. Each gives a clear
//! diagnostic or correct output; the SQL is parsed as one statement in all
//! seven dialects and executed on DuckDB, SQLite and PostgreSQL against
//! data whose answer is computed here, in Rust.

mod common;

use common::engines::{self, select, Kind};
use cpic::sql::{self, DialectName};

#[path = "../fuzz/harness.rs"]
mod harness;

/// `CREATE TABLE name (column type, ...)` with the engine's types.
fn create_table(engine: &mut dyn engines::Engine, name: &str, columns: &[(&str, &str)]) {
    let d = engine.dialect().dialect();
    let columns: Vec<String> = columns
        .iter()
        .map(|(column, ty)| format!("{} {}", d.ident(column), engine.column_type(ty)))
        .collect();
    engine.execute(&format!(
        "CREATE TABLE {} ({})",
        d.ident(name),
        columns.join(", ")
    ));
}

/// The codes of the errors (warnings left out).
fn error_codes(c: &cpic::Compilation) -> Vec<&'static str> {
    c.diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.as_str())
        .collect()
}

/// Reserved or special words of ANSI SQL, DuckDB, PostgreSQL, SQLite,
/// BigQuery, Snowflake, Spark and Trino.
const KEYWORDS: &[&str] = &[
    "all",
    "alter",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asof",
    "between",
    "both",
    "by",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "cross",
    "cube",
    "current_date",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "delete",
    "desc",
    "distinct",
    "drop",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "full",
    "glob",
    "grant",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "inner",
    "insert",
    "intersect",
    "interval",
    "into",
    "is",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "natural",
    "not",
    "null",
    "offset",
    "on",
    "or",
    "order",
    "outer",
    "over",
    "partition",
    "pivot",
    "primary",
    "qualify",
    "range",
    "recursive",
    "references",
    "regexp",
    "returning",
    "right",
    "rollup",
    "rows",
    "sample",
    "select",
    "session_user",
    "some",
    "struct",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "unnest",
    "update",
    "user",
    "using",
    "values",
    "when",
    "where",
    "window",
    "with",
    "within",
];

/// The rows of the table every metric reads: (day, value), January and
/// February 2026.
const ROWS: &[(&str, f64)] = &[
    ("2026-01-05", 1.0),
    ("2026-01-06", 2.5),
    ("2026-01-20", 4.0),
    ("2026-02-02", 8.0),
    ("2026-02-03", 16.0),
];

/// A spec whose table (schema and name), value column, time column prefix
/// and metric are all named `word` (teams, sources and metrics share one
/// namespace, so the team and source get prefixes); `None` when cpic does
/// not accept the word as a name, which must then be a diagnostic, not a
/// crash.
fn keyword_spec(word: &str) -> String {
    format!(
        r#"
team t_{word} {{ name: "Team {word}" }}
source s_{word} {{
  table: "{word}.{word}"
  time: {word}_at
  columns {{ {word}_at: date  {word}: count  note: text }}
}}
kpi {word} {{
  title: "{word}"
  owner: t_{word}
  unit: count
  direction: higher
  tier: core
  source: s_{word}
  measure: sum({word})
  filter: note != "{word}"
  grain: month
  dimensions: {word}
}}
"#
    )
}

#[test]
fn sql_keywords_as_names_in_every_dialect() {
    let mut accepted = Vec::new();
    for word in KEYWORDS {
        let spec = keyword_spec(word);
        let (db, c) = common::compile_text(&[("keywords.cpi", &spec)]);
        match c.model {
            Some(model) => accepted.push((word, model)),
            None => {
                // cpic's own keywords (`and`, `not`, `true`, ...) cannot be
                // names: a clear diagnostic with a code.
                let text = cpic::diag::render::human_string(&db, &c.diagnostics);
                assert!(text.contains("error["), "{word}: {text}");
                assert!(!c.diagnostics.is_empty());
            }
        }
        // The fuzz targets' checks: SQL in every dialect is one statement
        // that sqlparser reads, and the site has only its own scripts.
        harness::sql(spec.as_bytes());
        harness::docs(spec.as_bytes());
    }
    assert!(accepted.len() > 90, "{} keywords accepted", accepted.len());

    for mut engine in engines::all("hostile_keywords") {
        let dialect = engine.dialect();
        let d = dialect.dialect();
        for (word, model) in &accepted {
            // Each word gets its own schema-qualified table `word.word`.
            let schema = d.ident(word);
            if dialect == DialectName::Sqlite {
                engine.execute(&format!("ATTACH DATABASE ':memory:' AS {schema}"));
            } else {
                engine.execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                engine.execute(&format!("CREATE SCHEMA {schema}"));
            }
            engine.execute(&format!(
                "CREATE TABLE {schema}.{schema} ({} {}, {} {}, {} {})",
                d.ident(&format!("{word}_at")),
                engine.column_type("date"),
                d.ident(word),
                engine.column_type("number"),
                d.ident("note"),
                engine.column_type("text"),
            ));
            for (day, value) in ROWS {
                engine.execute(&format!(
                    "INSERT INTO {schema}.{schema} VALUES ({}, {value}, {})",
                    engine.literal("date", Some(day)),
                    engine.literal("text", Some("kept")),
                ));
            }
            let query = sql::Generator::new(model, dialect, &sql::Options::default())
                .metric_series(word, None)
                .expect("sql");
            let got: Vec<(String, Option<f64>)> = select(
                engine.as_mut(),
                &query,
                &[("period", Kind::Text), ("value", Kind::Num)],
            )
            .iter()
            .map(|r| (r[0].text().expect("a period")[..10].to_string(), r[1].num()))
            .collect();
            assert_eq!(
                got,
                vec![
                    ("2026-01-01".to_string(), Some(7.5)),
                    ("2026-02-01".to_string(), Some(24.0))
                ],
                "{word} on {}",
                dialect.name()
            );
            if dialect == DialectName::Sqlite {
                engine.execute(&format!("DETACH DATABASE {schema}"));
            } else {
                engine.execute(&format!("DROP SCHEMA {schema} CASCADE"));
            }
        }
    }
}

/// Strings in many scripts and directions: combining marks, right-to-left
/// text and overrides, zero-width characters, emoji with joiners, quotes.
const UNICODE: &[&str] = &[
    "e\u{301}te\u{301} \u{5d0}\u{5d1}\u{5d2}",
    "\u{202e}gnp.exe\u{202c} \u{200b}\u{200c}\u{200d}\u{2060}\u{feff}",
    "👩\u{200d}💻 🏳\u{fe0f}\u{200d}🌈 ✓",
    "مرحبا بالعالم",
    "日本語のテキスト '引用' \"quoted\"",
    "a\\b -- c /* d */ e; f",
];

#[test]
fn unicode_strings_are_kept_exactly_in_sql_and_docs() {
    let mut spec = String::from(
        r#"
team t { name: "T" }
source visits {
  table: "visits"
  time: at
  columns { at: date  note: text  wait: s }
}
"#,
    );
    for (i, text) in UNICODE.iter().enumerate() {
        let escaped = text.replace('\\', "\\\\").replace('"', "\\\"");
        spec.push_str(&format!(
            r#"
cpi c{i} {{
  title: "{escaped}"
  outcome: "{escaped}"
  description: "{escaped}"
  owner: t
  unit: count
  direction: higher
  tier: driver
  evidence: contextual_inquiry "{escaped}"
  source: visits
  measure: count(where note = "{escaped}")
  grain: month
}}
"#
        ));
    }
    let (_, c) = common::compile_text(&[("unicode.cpi", &spec)]);
    let model = c.model.expect("unicode strings are accepted");
    harness::sql(spec.as_bytes());
    harness::fmt(spec.as_bytes());

    // Every text shows in the docs site (HTML-escaped where needed).
    let today = cpic::date::Date::parse(common::TODAY).unwrap();
    let db = {
        let mut db = cpic::source::SourceDb::new();
        db.add("unicode.cpi", spec.as_str());
        db
    };
    let site = cpic::docs::build(&model, &db, None, today);
    for (i, text) in UNICODE.iter().enumerate() {
        let page = String::from_utf8(site.files[&format!("metrics/c{i}.html")].clone()).unwrap();
        let html = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&#34;")
            .replace('\'', "&#39;");
        assert!(
            page.contains(&html) || page.contains(&html.replace("&#34;", "&quot;")),
            "metrics/c{i}.html shows {text:?}"
        );
    }

    // Each metric counts exactly the rows whose note is its text.
    for mut engine in engines::all("hostile_unicode") {
        let dialect = engine.dialect();
        let d = dialect.dialect();
        create_table(
            engine.as_mut(),
            "visits",
            &[("at", "date"), ("note", "text"), ("wait", "number")],
        );
        for (i, text) in UNICODE.iter().enumerate() {
            // Text i appears i + 1 times in January; a near miss (the text
            // without its last character) once.
            for _ in 0..=i {
                engine.execute(&format!(
                    "INSERT INTO {} VALUES ({}, {}, 1)",
                    d.ident("visits"),
                    engine.literal("date", Some("2026-01-10")),
                    engine.literal("text", Some(text)),
                ));
            }
            let mut near: Vec<char> = text.chars().collect();
            near.pop();
            let near: String = near.into_iter().collect();
            engine.execute(&format!(
                "INSERT INTO {} VALUES ({}, {}, 1)",
                d.ident("visits"),
                engine.literal("date", Some("2026-01-11")),
                engine.literal("text", Some(&near)),
            ));
        }
        for (i, _) in UNICODE.iter().enumerate() {
            let query = sql::Generator::new(&model, dialect, &sql::Options::default())
                .metric_series(&format!("c{i}"), None)
                .expect("sql");
            let rows = select(engine.as_mut(), &query, &[("value", Kind::Num)]);
            assert_eq!(
                rows.iter().map(|r| r[0].num()).collect::<Vec<_>>(),
                vec![Some((i + 1) as f64)],
                "c{i} on {}",
                dialect.name()
            );
        }
    }
}

#[test]
fn a_one_megabyte_description_is_checked_rendered_and_formatted() {
    let paragraph = "The customer waits <b>too long</b> & gives up. ".repeat(20);
    let mut description = String::new();
    while description.len() < 1_000_000 {
        description.push_str(&paragraph);
        description.push_str("\n\n");
    }
    let spec = format!(
        r#"
team t {{ name: "T" }}
source s {{ table: "s"  time: at  columns {{ at: date  wait: s }} }}
cpi big {{
  title: "Big"
  outcome: "Fast"
  description: """
{description}
"""
  owner: t
  unit: s
  direction: lower
  tier: core
  evidence: contextual_inquiry "visits"
  source: s
  measure: avg(wait)
  grain: week
}}
"#
    );
    let (db, c) = common::compile_text(&[("big.cpi", &spec)]);
    let model = c.model.expect("a long description is fine");
    let kept = model.metrics[0]
        .description
        .as_ref()
        .expect("a description");
    assert!(kept.len() > 990_000, "{} bytes kept", kept.len());
    let site = cpic::docs::build(&model, &db, None, common::options().today);
    let page = String::from_utf8(site.files["metrics/big.html"].clone()).unwrap();
    assert!(!page.contains("<b>too long</b>") && page.contains("&lt;b&gt;too long"));
    harness::fmt(spec.as_bytes());
}

#[test]
fn a_hundred_thousand_items() {
    let mut spec = String::with_capacity(6_000_000);
    for i in 0..99_998 {
        spec.push_str(&format!("team t{i} {{ name: \"Team {i}\" }}\n"));
    }
    spec.push_str(
        r#"
source s { table: "s"  time: at  columns { at: date  wait: s } }
kpi fast {
  title: "Fast"
  owner: t99997
  unit: s
  direction: lower
  tier: core
  source: s
  measure: avg(wait)
  grain: week
}
"#,
    );
    let (_, c) = common::compile_text(&[("many.cpi", &spec)]);
    let model = c.model.expect("100,000 items check");
    assert_eq!(model.teams.len(), 99_998);
    assert_eq!(model.metrics[0].owner, "t99997");
    // A duplicate among them is found, with both places.
    let dup = spec.replace("team t5000 {", "team t4999 {");
    let (_, c) = common::compile_text(&[("many.cpi", &dup)]);
    assert_eq!(error_codes(&c), vec!["E0201"]);
}

#[test]
fn expressions_nested_to_the_limits_compute_exactly() {
    // 30 nested negations (an even number: the value itself) inside the
    // parenthesis limit, and a chain of 150 additions inside the operator
    // depth limit.
    let negated = format!("{}sum(wait){}", "-(".repeat(30), ")".repeat(30));
    let chain = format!("sum(wait){}", " + 1 s".repeat(150));
    let spec = format!(
        r#"
team t {{ name: "T" }}
source s {{ table: "s"  time: at  columns {{ at: date  wait: s }} }}
kpi negated {{
  title: "N"  owner: t  unit: s  direction: lower  tier: core
  source: s  measure: {negated}  grain: month
}}
kpi chained {{
  title: "C"  owner: t  unit: s  direction: lower  tier: driver
  source: s  measure: {chain}  grain: month
}}
"#
    );
    let (db, c) = common::compile_text(&[("deep.cpi", &spec)]);
    let model = c
        .model
        .unwrap_or_else(|| panic!("{}", cpic::diag::render::human_string(&db, &c.diagnostics)));
    harness::sql(spec.as_bytes());
    harness::fmt(spec.as_bytes());
    for mut engine in engines::all("hostile_deep") {
        let dialect = engine.dialect();
        let d = dialect.dialect();
        create_table(engine.as_mut(), "s", &[("at", "date"), ("wait", "number")]);
        for (day, value) in ROWS {
            engine.execute(&format!(
                "INSERT INTO {} VALUES ({}, {value})",
                d.ident("s"),
                engine.literal("date", Some(day)),
            ));
        }
        for (metric, want) in [("negated", [7.5, 24.0]), ("chained", [157.5, 174.0])] {
            let query = sql::Generator::new(&model, dialect, &sql::Options::default())
                .metric_series(metric, None)
                .expect("sql");
            let got: Vec<Option<f64>> = select(engine.as_mut(), &query, &[("value", Kind::Num)])
                .iter()
                .map(|r| r[0].num())
                .collect();
            assert_eq!(
                got,
                vec![Some(want[0]), Some(want[1])],
                "{metric} on {}",
                dialect.name()
            );
        }
    }
    // One level more than allowed is a diagnostic, not a stack overflow.
    let too_deep = spec.replace(
        &negated,
        &format!("{}sum(wait){}", "-(".repeat(40), ")".repeat(40)),
    );
    let (_, c) = common::compile_text(&[("deep.cpi", &too_deep)]);
    assert!(
        common::codes(&c).contains(&"E0103"),
        "{:?}",
        common::codes(&c)
    );
}

#[test]
fn a_table_name_with_an_empty_part_or_a_line_break_is_a_diagnostic() {
    for table in ["a..b", "a\\nb", ".a", "a.", "", "a\\tb"] {
        let spec = format!(
            r#"source s {{ table: "{table}"  time: at  columns {{ at: date }} }}
team t {{ name: "T" }}
kpi k {{ title: "K"  owner: t  unit: count  direction: higher  tier: core  source: s  measure: count()  grain: week }}
"#
        );
        let (db, c) = common::compile_text(&[("t.cpi", &spec)]);
        assert_eq!(error_codes(&c), vec!["E0104"], "{table}");
        let text = cpic::diag::render::human_string(&db, &c.diagnostics);
        assert!(text.contains("is not a table name"), "{text}");
    }
}
