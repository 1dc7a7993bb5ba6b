//! `cpic run`: check, plan the queries, execute them, print the report.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use codespan_reporting::term::termcolor::Buffer;

use super::{checked_model, fancy, load, parse_date, report, root, Failure, Outcome, REPORTED};
use crate::date::Date;
use crate::model::Model;
use crate::run::db::{Database, DatabaseUrl};
use crate::run::report::{self as output, Style};
use crate::run::{execute, plan, Phase, RunError, RunOptions};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    /// A report for people (colour and Unicode only on a terminal).
    Table,
    #[value(help = format!("Every number, schema `{}`.", output::JSON_SCHEMA))]
    Json,
    /// One row per metric and period.
    Csv,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// A project directory or one `.cpi` file.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The database: duckdb://PATH, duckdb://:memory:, sqlite://PATH,
    /// postgres://... or sc://HOST:PORT (Spark Connect) (default:
    /// `[database] url` of `cpi.toml`, else an in-memory DuckDB).
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Report only this metric (repeatable); links touching it are kept.
    #[arg(long, value_name = "NAME")]
    metric: Vec<String>,
    /// Run only this experiment (repeatable); by default every experiment
    /// that analyses a metric of the run.
    #[arg(long, value_name = "NAME")]
    experiment: Vec<String>,
    /// Only periods that start on or after this date take part.
    #[arg(long, value_parser = parse_date)]
    since: Option<Date>,
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    format: RunFormat,
    /// Periods that end after this date are not complete yet (default:
    /// today, UTC).
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
    /// Print how long loading, checking and each phase of the queries
    /// took, on stderr.
    #[arg(long)]
    timings: bool,
    /// Run the self-contained queries of `cpic sql` one by one instead of
    /// keeping the series in temporary tables (slower: each query reads
    /// the rows again).
    #[arg(long)]
    standalone: bool,
    /// Also evaluate the data expectations (as `cpic test` does) and warn,
    /// on stderr, about those that fail; the exit status stays the run's.
    #[arg(long)]
    test: bool,
}

pub fn run(args: &RunArgs) -> Outcome {
    let started = Instant::now();
    let sources = load(&args.path)?;
    let loaded = started.elapsed();
    let today = args.today.unwrap_or_else(Date::today_utc);
    let model = checked_model(&sources, Some(today))?;
    let checked = started.elapsed();
    let root = root(&sources);
    let url = database_url(args.db.as_deref(), &model, &root)?;
    let dialect = url.dialect();
    let run_options = RunOptions {
        metrics: args.metric.clone(),
        since: args.since,
        today,
        pairs: false,
        standalone: args.standalone,
        experiments: args.experiment.clone(),
    };
    let plan = match plan(&model, dialect, run_options) {
        Ok(plan) => plan,
        Err(RunError::Unsupported(diags)) => {
            report(&sources, &diags)?;
            return Err(REPORTED);
        }
        Err(e) => return Err(Failure::Usage(e.to_string())),
    };
    let database = url.display();
    let mut db = open_database(&url, &model, &root)?;
    let opened = started.elapsed();
    let bar = Progress::new(plan.phases().len() as u64);
    let mut phases: Vec<(Phase, usize, Duration)> = Vec::new();
    let result = execute(&model, &mut db, &database, &plan, &mut |step, took| {
        match phases.last_mut() {
            Some((phase, count, time)) if *phase == step.phase => {
                *count += 1;
                *time += took;
            }
            _ => {
                if !phases.is_empty() {
                    bar.advance();
                }
                phases.push((step.phase, 1, took));
            }
        }
        bar.show(step.phase.name(), &step.what);
    });
    bar.finish();
    let mut report = result.map_err(|e| Failure::Error(e.to_string()))?;
    if args.test {
        let now = crate::date::Moment::judged_at(args.today);
        report.expectations = Some(crate::run::expectations::evaluate(
            &model,
            &model.expectations(),
            &mut db,
            dialect,
            now,
        ));
    }
    let queried = started.elapsed();
    // The whole report is built before anything is printed: no half output.
    let mut text = Vec::new();
    match args.format {
        RunFormat::Table => {
            let fancy = fancy(&io::stdout());
            let mut buffer = if fancy {
                Buffer::ansi()
            } else {
                Buffer::no_color()
            };
            output::table(&report, &mut buffer, Style { unicode: fancy })?;
            text = buffer.into_inner();
        }
        RunFormat::Json => {
            serde_json::to_writer_pretty(&mut text, &output::json(&report))
                .map_err(io::Error::other)?;
            text.push(b'\n');
        }
        RunFormat::Csv => output::csv(&report, &mut text)?,
    }
    io::stdout().lock().write_all(&text)?;
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    if let Some(warning) = report
        .expectations
        .as_deref()
        .and_then(crate::run::test_report::warning)
    {
        eprint!("{warning}");
    }
    if args.timings {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let queries: Vec<String> = phases
            .iter()
            .map(|(phase, count, time)| {
                let s = if *count == 1 { "y" } else { "ies" };
                format!("{} {:.1} ms ({count} quer{s})", phase.name(), ms(*time))
            })
            .collect();
        eprintln!(
            "timings: load {:.1} ms, check {:.1} ms, open database {:.1} ms, queries {:.1} ms: {}",
            ms(loaded),
            ms(checked - loaded),
            ms(opened - checked),
            ms(queried - opened),
            queries.join(", ")
        );
    }
    Ok(())
}

/// The database of a run: `--db` (relative to the working directory), else
/// `[database] url` (relative to the project root), else an in-memory DuckDB.
pub(super) fn database_url(
    db: Option<&str>,
    model: &Model,
    root: &Path,
) -> Result<DatabaseUrl, Failure> {
    let usage = Failure::Usage;
    match (db, &model.project.database) {
        (Some(url), _) => {
            let cwd = std::env::current_dir().map_err(|e| usage(e.to_string()))?;
            DatabaseUrl::parse(url, &cwd)
        }
        (None, Some(url)) => DatabaseUrl::parse(url, root),
        (None, None) => Ok(DatabaseUrl::DuckDb(None)),
    }
    .map_err(usage)
}

/// Opens the database and runs the project's `[database] init` file on it.
pub(super) fn open_database(
    url: &DatabaseUrl,
    model: &Model,
    root: &Path,
) -> Result<Database, Failure> {
    let database = url.display();
    let mut db = Database::open(url, root)
        .map_err(|message| Failure::Error(format!("cannot open database {database}: {message}")))?;
    if let Some(init) = &model.project.database_init {
        let path = root.join(init);
        let sql = std::fs::read_to_string(&path).map_err(|e| {
            Failure::Usage(format!(
                "cannot read `[database] init` file {}: {e}",
                path.display()
            ))
        })?;
        db.execute_batch(&sql).map_err(|message| {
            Failure::Error(format!(
                "the `[database] init` file {} failed on {database}: {message}",
                path.display()
            ))
        })?;
    }
    Ok(db)
}

/// A progress bar on a terminal, shown only once a run has taken more than
/// a moment.
struct Progress {
    bar: indicatif::ProgressBar,
    started: Instant,
    visible: std::cell::Cell<bool>,
    terminal: bool,
}

impl Progress {
    const DELAY: Duration = Duration::from_millis(300);

    fn new(len: u64) -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len),
            indicatif::ProgressDrawTarget::hidden(),
        );
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} phases  {msg}")
        {
            bar.set_style(style);
        }
        Progress {
            bar,
            started: Instant::now(),
            visible: std::cell::Cell::new(false),
            terminal: io::stderr().is_terminal(),
        }
    }

    /// Shows the phase and step just done.
    fn show(&self, phase: &str, what: &str) {
        if self.terminal && !self.visible.get() && self.started.elapsed() >= Self::DELAY {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.visible.set(true);
        }
        self.bar.set_message(format!("{phase}: {what}"));
    }

    /// One more phase done.
    fn advance(&self) {
        self.bar.inc(1);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
