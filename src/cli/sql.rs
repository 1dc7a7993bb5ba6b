//! `cpic sql`: the queries of a project in one dialect, printed or written
//! under a folder.

use std::io::{self, Write};
use std::path::PathBuf;

use super::{checked_model, load, parse_date, report, Failure, Outcome, REPORTED};
use crate::date::Date;
use crate::sql::{self as sqlgen, DialectName, Generator, SqlError, Unsupported};

#[derive(clap::Args)]
pub struct SqlArgs {
    /// A project directory or one `.cpi` file.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The dialect (default: `[build] dialect` of `cpi.toml`, else duckdb).
    #[arg(long, value_enum)]
    dialect: Option<DialectName>,
    /// Print the series query of one metric.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["link", "targets", "experiment"])]
    metric: Option<String>,
    /// With --metric: one series per value of this dimension.
    #[arg(long, value_name = "DIM", requires = "metric")]
    by: Option<String>,
    /// Print the evidence query of the link FROM -> TO.
    #[arg(long, num_args = 2, value_names = ["FROM", "TO"], conflicts_with_all = ["targets", "experiment"])]
    link: Option<Vec<String>>,
    /// Print the queries of an experiment: its enrolment (units per
    /// variant, units left out, the sample-ratio check), then its effects
    /// (each metric per treatment against the control, and the verdict).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["targets", "tests"])]
    experiment: Option<String>,
    /// Print the target status query.
    #[arg(long, conflicts_with = "tests")]
    targets: bool,
    /// Print the query of every data expectation (`fresh`, `unique`,
    /// `not_null`, `expect`), as `cpic test` runs them: judged at the
    /// start of --today (UTC), else now.
    #[arg(long, conflicts_with_all = ["metric", "link"])]
    tests: bool,
    /// Write every query under DIR/<dialect>/ instead of printing.
    #[arg(short = 'o', long, value_name = "DIR", conflicts_with_all = ["metric", "link", "targets", "experiment", "tests"])]
    out: Option<PathBuf>,
    /// Judge target status as of this date instead of the engine's current date.
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
    /// Only periods that start on or after this date take part.
    #[arg(long, value_parser = parse_date)]
    since: Option<Date>,
    /// The date against which expired targets are judged in the check
    /// (and, with --tests, the day expectations are judged on).
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
}

pub fn sql(args: &SqlArgs) -> Outcome {
    let db = load(&args.path)?;
    let model = checked_model(&db, args.today)?;
    let dialect = args.dialect.unwrap_or(model.project.dialect);
    let sql_options = sqlgen::Options {
        as_of: args.as_of,
        since: args.since,
    };
    let queries = Generator::new(&model, dialect, &sql_options);
    let single = if let Some(metric) = &args.metric {
        Some(queries.metric_series(metric, args.by.as_deref()))
    } else if let Some(link) = &args.link {
        Some(queries.link_evidence(&link[0], &link[1]))
    } else if let Some(name) = &args.experiment {
        Some(queries.experiment_enrolment(name).and_then(|enrolment| {
            Ok(format!(
                "{};\n\n{}",
                enrolment.trim_end(),
                queries.experiment_effects(name)?
            ))
        }))
    } else if args.targets {
        Some(queries.target_status().map_err(SqlError::from))
    } else if args.tests {
        let now = crate::date::Moment::judged_at(args.today);
        let all: Result<Vec<String>, Unsupported> = model
            .expectations()
            .iter()
            .map(|e| queries.expectation(e, now))
            .collect();
        Some(
            all.map(|queries| {
                queries
                    .iter()
                    .map(|q| format!("{};\n", q.trim_end()))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .map_err(SqlError::from),
        )
    } else {
        None
    };
    if let Some(result) = single {
        return match result {
            Ok(sql) => Ok(io::stdout().lock().write_all(sql.as_bytes())?),
            Err(SqlError::Unsupported(Unsupported(diags))) => {
                report(&db, &diags)?;
                Err(REPORTED)
            }
            Err(other) => Err(Failure::Usage(other.to_string())),
        };
    }
    let files = match queries.all_queries() {
        Ok(files) => files,
        Err(diags) => {
            report(&db, &diags)?;
            return Err(REPORTED);
        }
    };
    match &args.out {
        Some(dir) => {
            let dir = dir.join(dialect.name());
            crate::output::write_tree(
                &dir,
                files.iter().map(|f| (f.path.as_str(), f.sql.as_bytes())),
            )?;
            eprintln!("wrote {} queries to {}", files.len(), dir.display());
        }
        None => {
            let mut out = io::stdout().lock();
            for (i, file) in files.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "-- file: {}", file.path)?;
                out.write_all(file.sql.as_bytes())?;
            }
        }
    }
    Ok(())
}
