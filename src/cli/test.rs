//! `cpic test`: every data expectation evaluated on the database, reported
//! in the chosen format; exit 1 when one fails.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::ValueEnum;

use super::run::{database_url, open_database};
use super::{checked_model, load, parse_date, root, Exit, Failure, Outcome};
use crate::date::{Date, Moment};
use crate::run::expectations::{self, Outcome as ExpectationOutcome};
use crate::run::test_report;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// A line per expectation, failures explained, a summary line.
    Human,
    /// An array of objects: `name`, `status`, `expected`, `found`.
    Json,
    /// JUnit XML: one test case per expectation.
    Junit,
    /// GitHub Actions workflow commands: failures as annotations on the
    /// spec lines that declare them.
    Github,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// A project directory or one `.cpi` file.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The database: duckdb://PATH, sqlite://PATH, postgres://... or
    /// sc://HOST:PORT (Spark Connect) (default: `[database] url` of
    /// `cpi.toml`, else an in-memory DuckDB).
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Judge as of the start (00:00 UTC) of this day: the age of the
    /// newest rows for `fresh`, complete periods for `expect` (default:
    /// now, UTC).
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    format: TestFormat,
    /// Only this expectation (`quotes.fresh`) or the expectations of this
    /// source or metric.
    #[arg(long, value_name = "NAME")]
    only: Option<String>,
}

pub fn test(args: &TestArgs) -> Outcome {
    let sources = load(&args.path)?;
    let model = checked_model(&sources, args.today)?;
    let selected = expectations::select(&model, args.only.as_deref()).ok_or_else(|| {
        Failure::Usage(format!(
            "no expectation or source or metric with expectations is named `{}`",
            args.only.as_deref().unwrap_or_default()
        ))
    })?;
    let root = root(&sources);
    let url = database_url(args.db.as_deref(), &model, &root)?;
    let mut db = open_database(&url, &model, &root)?;
    let now = Moment::judged_at(args.today);
    let outcomes: Vec<ExpectationOutcome> =
        expectations::evaluate(&model, &selected, &mut db, url.dialect(), now);
    // The whole output is made before anything is printed.
    let mut text: Vec<u8> = Vec::new();
    match args.format {
        TestFormat::Human => {
            test_report::human(&outcomes, now, super::fancy(&io::stdout()), &mut text)?
        }
        TestFormat::Json => {
            serde_json::to_writer_pretty(&mut text, &test_report::json(&outcomes))
                .map_err(io::Error::from)?;
            text.push(b'\n');
        }
        TestFormat::Junit => test_report::junit(&outcomes, &sources, &mut text)?,
        TestFormat::Github => {
            let annotations = test_report::annotations(&outcomes, &sources);
            crate::ci::github(&annotations, &mut text)?;
            text.extend_from_slice(test_report::summary(&outcomes).as_bytes());
            text.push(b'\n');
        }
        TestFormat::Sarif => {
            let annotations = test_report::annotations(&outcomes, &sources);
            let sarif = crate::ci::sarif(&annotations, &test_report::rules());
            serde_json::to_writer_pretty(&mut text, &sarif).map_err(io::Error::from)?;
            text.push(b'\n');
        }
    }
    io::stdout().lock().write_all(&text)?;
    if outcomes.iter().all(ExpectationOutcome::passed) {
        Ok(())
    } else {
        Err(Failure::Shown(Exit::Errors))
    }
}
