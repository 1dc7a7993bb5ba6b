//! `cpic test`'s output: for people (a line per expectation, failures
//! explained, a summary), JSON, JUnit XML, and the CI annotations of
//! `crate::ci` (GitHub workflow commands, SARIF).

use std::io::{self, Write};

use serde_json::{json, Value};

use super::expectations::{summary as found_summary, Outcome};
use crate::ci::{repository_path, Annotation, Level, Rule};
use crate::date::Moment;
use crate::model::ExpectationKind;
use crate::source::SourceDb;

/// "4 expectations: 3 passed, 1 failed"
pub fn summary(outcomes: &[Outcome]) -> String {
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let n = outcomes.len();
    format!(
        "{}: {} passed, {failed} failed",
        crate::words::count(n as f64, "expectation"),
        n - failed
    )
}

/// The short block `cpic run --test` prints when expectations fail: one
/// line each, what was found. None when all pass.
pub fn warning(outcomes: &[Outcome]) -> Option<String> {
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed()).collect();
    if failed.is_empty() {
        return None;
    }
    let mut text = format!(
        "warning: {} of {} data expectations fail; the figures above may mislead (`cpic test` explains):\n",
        failed.len(),
        outcomes.len()
    );
    for o in failed {
        text.push_str(&format!("  {}: {}\n", o.name, found_summary(o)));
    }
    Some(text)
}

/// A line per expectation: `pass` with what was found, `FAIL` with what
/// was expected, what was found and where it is declared.
pub fn human(
    outcomes: &[Outcome],
    now: Moment,
    colour: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let paint = |text: &str, code: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let width = outcomes.iter().map(|o| o.name.len()).max().unwrap_or(0);
    writeln!(out, "judged as of {now} UTC")?;
    for o in outcomes {
        if o.passed() {
            writeln!(
                out,
                "{}  {:width$}  {}",
                paint("pass", "32"),
                o.name,
                found_summary(o)
            )?;
        } else {
            writeln!(
                out,
                "{}  {:width$}  {}",
                paint("FAIL", "1;31"),
                o.name,
                o.expected
            )?;
            writeln!(out, "      found: {}", found_summary(o))?;
            writeln!(out, "      declared at {}", o.location)?;
        }
    }
    writeln!(out, "{}", summary(outcomes))
}

/// An array of objects: `name`, `kind`, `status`, `expected` (words),
/// `found` (the figures of its kind), `summary` (what was found, in
/// words), `file`, `line`.
pub fn json(outcomes: &[Outcome]) -> Value {
    Value::Array(
        outcomes
            .iter()
            .map(|o| {
                json!({
                    "name": o.name,
                    "kind": o.kind,
                    "status": o.status,
                    "expected": o.expected,
                    "found": o.found,
                    "summary": found_summary(o),
                    "file": o.location.file,
                    "line": o.location.line,
                })
            })
            .collect(),
    )
}

/// JUnit XML: one test suite, one test case per expectation (class: the
/// source or metric), a failure with its message for each that failed.
pub fn junit(outcomes: &[Outcome], sources: &SourceDb, out: &mut dyn Write) -> io::Result<()> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new("cpic test");
    for o in outcomes {
        let status = if o.passed() {
            TestCaseStatus::success()
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(format!("expected {}; {}", o.expected, found_summary(o)))
                .set_type(o.kind.name())
                .set_description(format!(
                    "{}\nexpected: {}\nfound: {}\ndeclared at {}",
                    o.name,
                    o.expected,
                    found_summary(o),
                    location_path(sources, o)
                ));
            status
        };
        let mut case = TestCase::new(o.name.as_str(), status);
        case.set_classname(o.name.rsplit_once('.').map_or("", |(owner, _)| owner));
        suite.add_test_case(case);
    }
    let mut report = Report::new("cpic");
    report.add_test_suite(suite);
    report.serialize(out).map_err(io::Error::other)
}

/// Where an expectation is declared, from the working directory.
fn location_path(sources: &SourceDb, o: &Outcome) -> String {
    format!(
        "{}:{}",
        repository_path(sources.root.as_deref(), &o.location.file),
        o.location.line
    )
}

/// The failed expectations as CI annotations on the lines declaring them.
pub fn annotations(outcomes: &[Outcome], sources: &SourceDb) -> Vec<Annotation> {
    outcomes
        .iter()
        .filter(|o| !o.passed())
        .map(|o| {
            let l = &o.location;
            // The span of the field's key, as the checker recorded it.
            let (end_line, end_column) = sources.get(l.span.file).line_col(l.span.end as usize);
            Annotation {
                rule: o.kind.name().to_string(),
                level: Level::Error,
                title: format!("cpic test: {}", o.name),
                message: format!(
                    "{} failed: expected {}; {}",
                    o.name,
                    o.expected,
                    found_summary(o)
                ),
                file: repository_path(sources.root.as_deref(), &l.file),
                line: l.line,
                column: l.column,
                end_line,
                end_column,
            }
        })
        .collect()
}

/// The four kinds of expectation, as SARIF rules.
pub fn rules() -> Vec<Rule> {
    ExpectationKind::ALL
        .iter()
        .map(|k| Rule {
            id: k.name().to_string(),
            title: match k {
                ExpectationKind::Fresh => "the source's newest row is too old",
                ExpectationKind::Unique => "rows share a key that should be unique",
                ExpectationKind::NotNull => "rows have a null where none is allowed",
                ExpectationKind::Expect => "a metric's value is out of its plausible range",
            }
            .to_string(),
            help: "LANGUAGE.md section 10; `cpic test --only NAME` re-runs one".to_string(),
        })
        .collect()
}
