//! `cpic docs`: check, compute the data when the database is reachable,
//! build the site in memory, then move it into place whole.

use std::io;
use std::path::{Path, PathBuf};

use super::run::{database_url, open_database};
use super::{checked_model, load, parse_date, EXIT_ERRORS, EXIT_OK};
use crate::date::Date;
use crate::model::Model;
use crate::run::{execute, plan, Report, RunOptions};

#[derive(clap::Args)]
pub struct DocsArgs {
    /// A project directory or one `.cpi` file.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Where to write the site (default: `<project>/<[build] out>/docs`,
    /// i.e. `target/docs`). Replaced whole on every build.
    #[arg(short = 'o', long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The database to compute values on (default: `[database] url` of
    /// `cpi.toml`, else an in-memory DuckDB). Given explicitly, it must work.
    #[arg(long, value_name = "URL", conflicts_with = "no_data")]
    db: Option<String>,
    /// Build without values, charts and verdicts: no database is opened.
    #[arg(long)]
    no_data: bool,
    /// The date that decides complete periods, active targets and overdue
    /// reviews (default: today, UTC).
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
}

pub fn docs(args: &DocsArgs) -> io::Result<u8> {
    let sources = match load(&args.path) {
        Ok(db) => db,
        Err(code) => return Ok(code),
    };
    let today = args.today.unwrap_or_else(Date::today_utc);
    let model = match checked_model(&sources, Some(today))? {
        Ok(model) => model,
        Err(code) => return Ok(code),
    };
    let root = sources.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join(&model.project.out).join("docs"));
    let data = match site_data(&model, &root, args.db.as_deref(), args.no_data, today) {
        Ok(data) => data,
        Err(code) => return Ok(code),
    };
    let mut pages = 0;
    crate::output::write_tree_with(&out, |tree| {
        crate::docs::render(
            &model,
            &sources,
            data.as_ref(),
            today,
            &mut |path, bytes| {
                pages += usize::from(path.ends_with(".html"));
                tree.file(path, bytes)
            },
        )
    })?;
    eprintln!(
        "wrote {pages} pages to {}{}",
        out.display(),
        if data.is_some() {
            ""
        } else {
            " (without data)"
        }
    );
    Ok(EXIT_OK)
}

/// The values the site shows: none with `--no-data`; else computed on the
/// database, which must work when given with `--db` (exit status 1) and
/// otherwise may fail with a warning (the site is built without data).
pub(super) fn site_data<'m>(
    model: &'m Model,
    root: &Path,
    db: Option<&str>,
    no_data: bool,
    today: Date,
) -> Result<Option<Report<'m>>, u8> {
    if no_data {
        return Ok(None);
    }
    match compute(model, root, db, today) {
        Ok(report) => Ok(Some(report)),
        Err(message) if db.is_some() => {
            eprintln!("error: {message}");
            Err(EXIT_ERRORS)
        }
        Err(message) => {
            eprintln!("warning: building the site without data: {message}");
            Ok(None)
        }
    }
}

/// Every series, target and link (with its pairs) on the project's database.
fn compute<'m>(
    model: &'m Model,
    root: &Path,
    db: Option<&str>,
    today: Date,
) -> Result<Report<'m>, String> {
    let url = database_url(db, model, root).map_err(|e| e.message)?;
    let options = RunOptions {
        metrics: Vec::new(),
        since: None,
        today,
        pairs: true,
    };
    let dialect = url.dialect();
    let steps = plan(model, dialect, &options).map_err(|e| e.to_string())?;
    let mut database = open_database(&url, model, root).map_err(|e| e.message)?;
    execute(
        model,
        &mut database,
        &url.display(),
        dialect,
        &options,
        &steps,
        &mut |_| {},
    )
    .map_err(|e| e.to_string())
}
