//! Rendering diagnostics: `human` (codespan-reporting), `short` (one line
//! each) and `json`.

use std::io::{self, Write};

use codespan_reporting::diagnostic::{
    Diagnostic as CsDiagnostic, Label as CsLabel, LabelStyle, Severity as CsSeverity,
};
use codespan_reporting::term::{self, termcolor::WriteColor};
use serde::Serialize;

use super::{Diagnostic, Severity};
use crate::source::SourceDb;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source excerpts with labels and hints.
    Human,
    /// One line each: `file:line:col: severity[CODE]: message`.
    Short,
    /// A JSON array of objects.
    Json,
    /// GitHub Actions workflow commands: annotations on a pull request's
    /// changed lines.
    Github,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

fn to_codespan(d: &Diagnostic) -> CsDiagnostic<crate::source::FileId> {
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
    };
    let mut labels =
        vec![CsLabel::new(LabelStyle::Primary, d.span.file, d.span.range()).with_message(&d.label)];
    labels.extend(d.secondary.iter().map(|l| {
        CsLabel::new(LabelStyle::Secondary, l.span.file, l.span.range()).with_message(&l.message)
    }));
    CsDiagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(d.hints.iter().map(|h| format!("help: {h}")).collect())
}

/// Writes diagnostics in the human format (colour as the writer allows).
pub fn human(db: &SourceDb, diags: &[Diagnostic], out: &mut dyn WriteColor) -> io::Result<()> {
    let config = term::Config::default();
    for d in diags {
        term::emit(out, &config, db, &to_codespan(d)).map_err(|e| match e {
            codespan_reporting::files::Error::Io(e) => e,
            other => io::Error::other(other.to_string()),
        })?;
    }
    Ok(())
}

/// Writes one line per diagnostic.
pub fn short(db: &SourceDb, diags: &[Diagnostic], out: &mut dyn Write) -> io::Result<()> {
    for d in diags {
        let file = db.get(d.span.file);
        let (line, col) = file.line_col(d.span.start as usize);
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(
            out,
            "{}:{line}:{col}: {severity}[{}]: {}",
            file.name,
            d.code.as_str(),
            d.message
        )?;
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    primary: bool,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: Severity,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    labels: Vec<JsonLabel<'a>>,
    hints: &'a [String],
}

fn json_label<'a>(
    db: &'a SourceDb,
    span: crate::source::Span,
    message: &'a str,
    primary: bool,
) -> JsonLabel<'a> {
    let file = db.get(span.file);
    let (line, column) = file.line_col(span.start as usize);
    let (end_line, end_column) = file.line_col(span.end as usize);
    JsonLabel {
        file: &file.name,
        line,
        column,
        end_line,
        end_column,
        message,
        primary,
    }
}

/// The JSON value of a list of diagnostics (a stable, documented schema).
pub fn json_value(db: &SourceDb, diags: &[Diagnostic]) -> serde_json::Value {
    let items: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| {
            let primary = json_label(db, d.span, &d.label, true);
            let mut labels = vec![];
            labels.push(json_label(db, d.span, &d.label, true));
            labels.extend(
                d.secondary
                    .iter()
                    .map(|l| json_label(db, l.span, &l.message, false)),
            );
            JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity,
                message: &d.message,
                file: primary.file,
                line: primary.line,
                column: primary.column,
                end_line: primary.end_line,
                end_column: primary.end_column,
                labels,
                hints: &d.hints,
            }
        })
        .collect();
    serde_json::to_value(items).expect("diagnostics serialise")
}

/// Diagnostics as CI annotations (`--format github` and `sarif`), and the
/// rules they break, each once in code order.
pub fn annotations(
    db: &SourceDb,
    diags: &[Diagnostic],
) -> (Vec<crate::ci::Annotation>, Vec<crate::ci::Rule>) {
    let mut rules: Vec<crate::ci::Rule> = Vec::new();
    let annotations = diags
        .iter()
        .map(|d| {
            let file = db.get(d.span.file);
            let (line, column) = file.line_col(d.span.start as usize);
            let (end_line, end_column) = file.line_col(d.span.end as usize);
            let mut message = format!("{}: {}", d.message, d.label);
            for hint in &d.hints {
                message.push_str(&format!("\nhelp: {hint}"));
            }
            crate::ci::Annotation {
                rule: d.code.as_str().to_string(),
                level: match d.severity {
                    Severity::Error => crate::ci::Level::Error,
                    Severity::Warning => crate::ci::Level::Warning,
                },
                title: d.code.title().to_string(),
                message,
                file: crate::ci::repository_path(db.root.as_deref(), &file.name),
                line,
                column,
                end_line,
                end_column,
            }
        })
        .collect();
    let mut codes: Vec<super::Code> = diags.iter().map(|d| d.code).collect();
    codes.sort_by_key(|c| c.as_str());
    codes.dedup();
    rules.extend(codes.into_iter().map(|c| crate::ci::Rule {
        id: c.as_str().to_string(),
        title: c.title().to_string(),
        help: format!("cpic explain {}", c.as_str()),
    }));
    (annotations, rules)
}

/// "2 errors, 1 warning in 5 files"
pub fn summary(diags: &[Diagnostic], files: usize) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let plural = |n: usize, word: &str| crate::words::count(n as f64, word);
    format!(
        "{}, {} in {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(files, "file")
    )
}

/// The human format without colour, as a string (for tests and tools).
pub fn human_string(db: &SourceDb, diags: &[Diagnostic]) -> String {
    let mut out = codespan_reporting::term::termcolor::NoColor::new(Vec::new());
    human(db, diags, &mut out).expect("writing to memory cannot fail");
    String::from_utf8_lossy(&out.into_inner()).into_owned()
}
