//! Syntax: source text to AST. Pest is used only inside this module.

pub mod ast;
mod build;
pub mod literals;
mod parser;

pub use build::{ITEM_KEYS, MAX_EXPR_DEPTH, TARGET_KEYS};
pub use parser::MAX_NESTING;

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, FileKind, SourceDb, Span};

/// The parsed files of a project, in file order.
#[derive(Debug, serde::Serialize)]
pub struct Ast {
    pub files: Vec<(FileId, ast::File)>,
}

/// Parses every spec file of the project. Never fails: problems become
/// diagnostics and the items that could be read are returned.
pub fn parse(db: &SourceDb) -> (Ast, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for (id, file) in db.files() {
        if file.kind != FileKind::Spec {
            continue;
        }
        if let Some(at) = file.invalid_utf8_at {
            diags.push(
                Diagnostic::new(
                    Code::InvalidUtf8,
                    Span::new(id, at, at + '\u{FFFD}'.len_utf8()),
                    format!("`{}` is not valid UTF-8 text", file.name),
                )
                .label("first invalid byte here")
                .hint("spec files must be saved as UTF-8"),
            );
            continue;
        }
        files.push((id, parser::parse_file(id, &file.text, &mut diags)));
    }
    (Ast { files }, diags)
}
