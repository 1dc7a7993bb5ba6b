//! `cpic build`: everything a project produces, in one folder — the SQL of
//! every dialect, the documentation site and `manifest.json` (the checked
//! model for other tools) — written into a staging folder as it is made
//! and moved into place whole.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use serde::Serialize;

use super::docs::site_data;
use super::{checked_model, load, report, root, DataArgs, Failure, Outcome};
use crate::date::Date;
use crate::model::Project;
use crate::sql as sqlgen;
use crate::sql::DialectName;

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
    /// What the docs site shows, as for `cpic docs`.
    #[command(flatten)]
    data: DataArgs,
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
    experiments: &'a [crate::model::Experiment],
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

pub fn build(args: &BuildArgs) -> Outcome {
    let sources = load(&args.path)?;
    let today = args.data.today.unwrap_or_else(Date::today_utc);
    let model = checked_model(&sources, Some(today))?;
    let root = root(&sources);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| root.join(&model.project.out).join("build"));

    // Everything is written as it is made (SQL a dialect per core at a
    // time, then the site page by page), never held whole. An early stop
    // (the project's own dialect cannot express a query, or the database
    // given with --db fails) leaves nothing behind.
    let project_dialect = model.project.dialect;
    let count = crate::output::write_tree_with(&out, |tree| -> Outcome {
        // SQL: the project's own dialect must compile; another dialect that
        // cannot express something is left out with the reason recorded.
        let mut sql = BTreeMap::new();
        sqlgen::for_each_dialect(&model, &sqlgen::Options::default(), |dialect, queries| {
            match queries {
                Ok(queries) => {
                    let mut paths = Vec::new();
                    for query in queries {
                        let path = format!("sql/{}/{}", dialect.name(), query.path);
                        tree.file(&path, query.sql.as_bytes())?;
                        paths.push(path);
                    }
                    sql.insert(dialect.name(), DialectOutput::Files { files: paths });
                }
                Err(diags) if dialect == project_dialect => {
                    report(&sources, &diags)?;
                    return Err(Failure::Error(format!(
                        "the project's dialect `{dialect}` cannot express every query; nothing was written"
                    )));
                }
                Err(diags) => {
                    eprintln!(
                        "warning: no {} SQL: {}",
                        dialect.name(),
                        diags.first().map_or("", |d| d.message.as_str())
                    );
                    let unsupported = diags.into_iter().map(|d| d.message).collect();
                    sql.insert(dialect.name(), DialectOutput::Unsupported { unsupported });
                }
            }
            Ok(())
        })?;

        let data = site_data(&model, &root, &args.data, today)?;
        // The site's pages link the other dialects' queries written above.
        let files = crate::docs::SqlFiles {
            base: "../sql/".to_string(),
            dialects: DialectName::ALL
                .iter()
                .copied()
                .filter(|d| matches!(sql.get(d.name()), Some(DialectOutput::Files { .. })))
                .collect(),
        };
        crate::docs::render(
            &model,
            &sources,
            data.as_ref(),
            today,
            Some(&files),
            &mut |path, bytes| tree.file(&format!("docs/{path}"), bytes),
        )?;

        let mut project = model.project.clone();
        project.database = project
            .database
            .as_deref()
            .map(crate::run::db::mask_secrets);
        let manifest = Manifest {
            schema_version: MANIFEST_SCHEMA_VERSION,
            generator: format!("cpic {}", env!("CARGO_PKG_VERSION")),
            as_of: today.to_string(),
            project,
            teams: &model.teams,
            sources: &model.sources,
            metrics: &model.metrics,
            links: &model.links,
            experiments: &model.experiments,
            sql,
            docs: "docs/index.html",
            docs_with_data: data.is_some(),
        };
        let mut json = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
        json.push(b'\n');
        Ok(tree.file("manifest.json", &json)?)
    })?;
    eprintln!("built {count} files into {}", out.display());
    Ok(())
}
