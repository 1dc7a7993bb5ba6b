//! What CI systems read, after ruff's conventions: GitHub Actions workflow
//! commands (annotations on the changed lines of a pull request) and SARIF
//! 2.1.0 (code-scanning dashboards). `cpic check` turns diagnostics into
//! [`Annotation`]s, `cpic test` failed expectations; both print them here.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
}

/// One finding at a place in a spec file.
#[derive(Clone, Debug)]
pub struct Annotation {
    /// The rule broken: a diagnostic code (`E0204`) or an expectation's
    /// kind (`fresh`).
    pub rule: String,
    pub level: Level,
    /// A short title (the rule's).
    pub title: String,
    pub message: String,
    /// The file, as the repository sees it (see [`repository_path`]).
    pub file: String,
    /// 1-based, both ends.
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// A rule as SARIF lists it.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    /// Where it is explained (`cpic explain E0204`, ...).
    pub help: String,
}

/// A spec file's path as a CI system resolves it: from the working
/// directory (the repository's root in a workflow), with `/`.
pub fn repository_path(root: Option<&Path>, name: &str) -> String {
    let path = root.map_or_else(|| PathBuf::from(name), |r| r.join(name));
    let path = match std::env::current_dir() {
        Ok(cwd) => path
            .strip_prefix(&cwd)
            .map(Path::to_path_buf)
            .unwrap_or(path),
        Err(_) => path,
    };
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_string()
}

/// GitHub Actions workflow commands, one line each:
/// `::error file=F,line=L,col=C,endLine=..,endColumn=..,title=T::message`.
pub fn github(annotations: &[Annotation], out: &mut dyn Write) -> io::Result<()> {
    for a in annotations {
        let command = match a.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&a.file),
            a.line,
            a.column,
            a.end_line,
            a.end_column,
            property(&format!("{} [{}]", a.title, a.rule)),
            data(&a.message)
        )?;
    }
    Ok(())
}

/// A workflow command's message: `%`, CR and LF escaped (the runner's
/// `escapeData`).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,` (the runner's
/// `escapeProperty`).
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A SARIF 2.1.0 log of one run of cpic: its rules (each once, in the
/// order given) and a result per annotation.
pub fn sarif(annotations: &[Annotation], rules: &[Rule]) -> Value {
    let rule_index = |id: &str| rules.iter().position(|r| r.id == id);
    let results: Vec<Value> = annotations
        .iter()
        .map(|a| {
            let mut result = json!({
                "ruleId": a.rule,
                "level": match a.level {
                    Level::Error => "error",
                    Level::Warning => "warning",
                },
                "message": { "text": a.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": a.file, "uriBaseId": "%SRCROOT%" },
                        "region": {
                            "startLine": a.line,
                            "startColumn": a.column,
                            "endLine": a.end_line,
                            "endColumn": a.end_column,
                        }
                    }
                }],
            });
            if let Some(i) = rule_index(&a.rule) {
                result["ruleIndex"] = json!(i);
            }
            result
        })
        .collect();
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.title },
                "help": { "text": r.help },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cpic",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "originalUriBaseIds": {
                "%SRCROOT%": { "description": { "text": "the working directory cpic ran in" } }
            },
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_what_the_runner_parses() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
