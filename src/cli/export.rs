//! `cpic export`: the project in another tool's format.

use std::path::{Path, PathBuf};

use super::{checked_model, load, parse_date, root, Outcome};
use crate::date::Date;

#[derive(clap::Subcommand)]
pub enum ExportCommand {
    /// A dbt project with MetricFlow semantic models and metrics equivalent
    /// to the project's measures; links, targets and evidence in `meta`.
    Metricflow {
        /// A project directory or one `.cpi` file.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The folder to write the dbt project into (replaced whole).
        #[arg(short = 'o', long, value_name = "DIR")]
        out: PathBuf,
        /// The date against which expired targets are judged in the check.
        #[arg(long, value_parser = parse_date)]
        today: Option<Date>,
    },
}

pub fn export(command: &ExportCommand) -> Outcome {
    let ExportCommand::Metricflow { path, out, today } = command;
    let sources = load(path)?;
    let model = checked_model(&sources, *today)?;
    let export = crate::export::metricflow::export(&model, &relative_to(&root(&sources), out));
    for warning in &export.warnings {
        eprintln!("warning: {warning}");
    }
    crate::output::write_tree(
        out,
        export.files.iter().map(|(p, t)| (p.as_str(), t.as_bytes())),
    )?;
    eprintln!(
        "wrote a dbt project with {} files to {} (dbt run, then mf query)",
        export.files.len(),
        out.display()
    );
    Ok(())
}

/// `target` as a path from `from` (both made absolute), with `/`
/// separators; the absolute path when they share no prefix.
fn relative_to(target: &Path, from: &Path) -> String {
    let absolute = |p: &Path| {
        std::path::absolute(p)
            .map(|p| p.components().collect::<PathBuf>())
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let (target, from) = (absolute(target), absolute(from));
    let common = target
        .components()
        .zip(from.components())
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return target.display().to_string();
    }
    let ups = from.components().count() - common;
    let mut parts: Vec<String> = vec!["..".to_string(); ups];
    parts.extend(
        target
            .components()
            .skip(common)
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::relative_to;
    use std::path::Path;

    #[test]
    fn paths_are_relative_from_the_output_folder() {
        assert_eq!(
            relative_to(Path::new("/a/b/p"), Path::new("/a/b/p/out")),
            ".."
        );
        assert_eq!(
            relative_to(Path::new("/a/p"), Path::new("/a/x/y")),
            "../../p"
        );
        assert_eq!(relative_to(Path::new("/a"), Path::new("/a")), ".");
    }
}
