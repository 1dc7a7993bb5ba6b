//! `cpic docs`: check, compute the data when the database is reachable,
//! build the site in memory, then move it into place whole.

use std::path::{Path, PathBuf};

use super::run::{database_url, open_database};
use super::{checked_model, load, root, DataArgs, Failure, Outcome};
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
    #[command(flatten)]
    data: DataArgs,
}

pub fn docs(args: &DocsArgs) -> Outcome {
    let sources = load(&args.path)?;
    let today = args.data.today.unwrap_or_else(Date::today_utc);
    let model = checked_model(&sources, Some(today))?;
    let root = root(&sources);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join(&model.project.out).join("docs"));
    let data = site_data(&model, &root, &args.data, today)?;
    let mut pages = 0;
    crate::output::write_tree_with(&out, |tree| {
        crate::docs::render(
            &model,
            &sources,
            data.as_ref(),
            today,
            None,
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
    Ok(())
}

/// The values the site shows: none with `--no-data`; else computed on the
/// database, which must work when given with `--db` (exit status 1) and
/// otherwise may fail with a warning (the site is built without data).
pub(super) fn site_data<'m>(
    model: &'m Model,
    root: &Path,
    args: &DataArgs,
    today: Date,
) -> Result<Option<Report<'m>>, Failure> {
    if args.no_data {
        return Ok(None);
    }
    let db = args.db.as_deref();
    let now = crate::date::Moment::judged_at(args.today);
    match compute(model, root, db, today, now) {
        Ok(report) => Ok(Some(report)),
        Err(message) if db.is_some() => Err(Failure::Error(message)),
        Err(message) => {
            eprintln!("warning: building the site without data: {message}");
            Ok(None)
        }
    }
}

/// Every series, target and link (with its pairs) on the project's
/// database, and the data expectations judged at `now`.
fn compute<'m>(
    model: &'m Model,
    root: &Path,
    db: Option<&str>,
    today: Date,
    now: crate::date::Moment,
) -> Result<Report<'m>, String> {
    let url = database_url(db, model, root).map_err(|e| e.to_string())?;
    let options = RunOptions {
        metrics: Vec::new(),
        since: None,
        today,
        pairs: true,
        standalone: false,
        experiments: Vec::new(),
    };
    let plan = plan(model, url.dialect(), options).map_err(|e| e.to_string())?;
    let mut database = open_database(&url, model, root).map_err(|e| e.to_string())?;
    let mut report = execute(model, &mut database, &url.display(), &plan, &mut |_, _| {})
        .map_err(|e| e.to_string())?;
    report.expectations = Some(crate::run::expectations::evaluate(
        model,
        &model.expectations(),
        &mut database,
        url.dialect(),
        now,
    ));
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    Ok(report)
}
