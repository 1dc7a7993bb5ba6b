//! `cpi.toml`: project settings, with defaults. Problems are diagnostics
//! (E0113) pointing into the file.

use serde::Deserialize;

use crate::diag::{Code, Diagnostic};
use crate::model::{DialectName, Project};
use crate::source::{SourceDb, Span};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    project: ProjectSection,
    #[serde(default)]
    build: BuildSection,
    #[serde(default)]
    database: DatabaseSection,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ProjectSection {
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct BuildSection {
    dialect: Option<toml::Spanned<String>>,
    out: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DatabaseSection {
    url: Option<String>,
    /// An extension: SQL run once after connecting, before any query (to
    /// create views over files, for instance). Path from the project root.
    init: Option<String>,
}

/// Reads the project settings. `default_name` is the project folder's name.
pub fn load(db: &SourceDb, default_name: &str) -> (Project, Vec<Diagnostic>) {
    let mut project = Project {
        name: default_name.to_string(),
        dialect: DialectName::Duckdb,
        out: "target".to_string(),
        database: None,
        database_init: None,
    };
    let mut diags = Vec::new();
    let Some(id) = db.config() else {
        return (project, diags);
    };
    let file = db.get(id);
    if let Some(at) = file.invalid_utf8_at {
        diags.push(
            Diagnostic::new(
                Code::InvalidUtf8,
                Span::new(id, at, at + '\u{FFFD}'.len_utf8()),
                "`cpi.toml` is not valid UTF-8 text",
            )
            .label("first invalid byte here"),
        );
        return (project, diags);
    }
    let config: Config = match toml::from_str(&file.text) {
        Ok(config) => config,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            diags.push(
                Diagnostic::new(Code::InvalidConfig, Span::new(id, span.start, span.end), format!("invalid `cpi.toml`: {message}"))
                    .label("here")
                    .hint("`cpi.toml` has the sections [project] name, [build] dialect and out, [database] url"),
            );
            return (project, diags);
        }
    };
    if let Some(name) = config.project.name {
        project.name = name;
    }
    if let Some(dialect) = config.build.dialect {
        let span = dialect.span();
        let value = dialect.into_inner();
        if let Some(dialect) = DialectName::parse(&value) {
            project.dialect = dialect;
        } else {
            diags.push(
                Diagnostic::new(
                    Code::InvalidConfig,
                    Span::new(id, span.start, span.end),
                    format!("unknown dialect `{value}`"),
                )
                .label("not a dialect")
                .hint_opt(crate::diag::did_you_mean(
                    &value,
                    DialectName::NAMES.iter().copied(),
                ))
                .hint(format!(
                    "the dialects are {}",
                    DialectName::NAMES.join(", ")
                )),
            );
        }
    }
    if let Some(out) = config.build.out {
        project.out = out;
    }
    project.database = config.database.url;
    project.database_init = config.database.init;
    (project, diags)
}
