//! `cpic build`: everything a project produces, in one folder — the SQL of
//! every dialect, the documentation site and `manifest.json` (the checked
//! model for other tools) — written into a staging folder as it is made
//! and moved into place whole.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use serde::Serialize;

use super::docs::site_data;
use super::{checked_model, load, parse_date, report, EXIT_ERRORS, EXIT_OK};
use crate::date::Date;
use crate::model::Project;
use crate::sql::{self as sqlgen, DialectName};

/// The version of `manifest.json`'s layout (`schemas/manifest.schema.json`).
/// Raised on any change that removes or renames a field.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;

#[derive(clap::Args)]
pub struct BuildArgs {
    /// A project directory or one `.cpi` file.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The output folder (default: `<project>/<[build] out>/build`, i.e.
    /// `target/build`). Replaced whole on every build.
    #[arg(short = 'o', long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The database the docs site computes values on (as `cpic docs`).
    #[arg(long, value_name = "URL", conflicts_with = "no_data")]
    db: Option<String>,
    /// Build the site without values: no database is opened.
    #[arg(long)]
    no_data: bool,
    /// The date that decides expired and active targets (default: today, UTC).
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
}

#[derive(Serialize)]
struct Manifest<'a> {
    schema_version: u32,
    generator: String,
    /// The date targets and reviews were judged against.
    as_of: String,
    /// The checked model; the database URL's password is masked.
    project: Project,
    teams: &'a [crate::model::Team],
    sources: &'a [crate::model::Source],
    metrics: &'a [crate::model::Metric],
    links: &'a [crate::model::Link],
    /// Per dialect: the SQL files written, or why the dialect was left out.
    sql: BTreeMap<&'static str, DialectOutput>,
    /// The entry page of the documentation site.
    docs: &'static str,
    /// Whether the site shows values computed on the database.
    docs_with_data: bool,
}

#[derive(Serialize)]
#[serde(untagged)]
enum DialectOutput {
    Files { files: Vec<String> },
    Unsupported { unsupported: Vec<String> },
}

pub fn build(args: &BuildArgs) -> io::Result<u8> {
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
        .unwrap_or_else(|| root.join(&model.project.out).join("build"));

    // Everything is written as it is made (SQL a dialect per core at a
    // time, then the site page by page), never held whole. An early stop
    // (the project's own dialect cannot express a query, or the database
    // given with --db fails) leaves nothing behind: `stop` says why.
    let project_dialect = DialectName::parse(&model.project.dialect).unwrap_or(DialectName::Duckdb);
    let mut stop: Option<u8> = None;
    let result = crate::output::write_tree_with(&out, |tree| {
        // SQL: the project's own dialect must compile; another dialect that
        // cannot express something is left out with the reason recorded.
        let mut sql = BTreeMap::new();
        sqlgen::for_each_dialect(&model, &sqlgen::Options::default(), |dialect, queries| {
            match queries {
                Ok(queries) => {
                    let mut paths = Vec::new();
                    for query in queries {
                        let path = format!("sql/{}/{}", dialect.as_str(), query.path);
                        tree.file(&path, query.sql.as_bytes())?;
                        paths.push(path);
                    }
                    sql.insert(dialect.as_str(), DialectOutput::Files { files: paths });
                }
                Err(diags) if dialect == project_dialect => {
                    report(&sources, &diags)?;
                    eprintln!("error: the project's dialect `{}` cannot express every query; nothing was written", dialect.as_str());
                    stop = Some(EXIT_ERRORS);
                    return Err(io::Error::other("stopped"));
                }
                Err(diags) => {
                    eprintln!(
                        "warning: no {} SQL: {}",
                        dialect.as_str(),
                        diags.first().map_or("", |d| d.message.as_str())
                    );
                    let unsupported = diags.into_iter().map(|d| d.message).collect();
                    sql.insert(dialect.as_str(), DialectOutput::Unsupported { unsupported });
                }
            }
            Ok(())
        })?;

        let data = match site_data(&model, &root, args.db.as_deref(), args.no_data, today) {
            Ok(data) => data,
            Err(code) => {
                stop = Some(code);
                return Err(io::Error::other("stopped"));
            }
        };
        crate::docs::render(
            &model,
            &sources,
            data.as_ref(),
            today,
            &mut |path, bytes| tree.file(&format!("docs/{path}"), bytes),
        )?;

        let mut project = model.project.clone();
        project.database = project
            .database
            .as_deref()
            .map(crate::run::db::mask_password);
        let manifest = Manifest {
            schema_version: MANIFEST_SCHEMA_VERSION,
            generator: format!("cpic {}", env!("CARGO_PKG_VERSION")),
            as_of: today.to_string(),
            project,
            teams: &model.teams,
            sources: &model.sources,
            metrics: &model.metrics,
            links: &model.links,
            sql,
            docs: "docs/index.html",
            docs_with_data: data.is_some(),
        };
        let mut json = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
        json.push(b'\n');
        tree.file("manifest.json", &json)
    });
    let count = match (result, stop) {
        (_, Some(code)) => return Ok(code),
        (result, None) => result?,
    };
    eprintln!("built {count} files into {}", out.display());
    Ok(EXIT_OK)
}
