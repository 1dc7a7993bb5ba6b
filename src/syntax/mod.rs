//! Syntax: source text to AST. Pest is used only inside this module.

pub mod ast;
mod build;
mod grammar;
pub mod literals;
mod parser;

pub use build::MAX_EXPR_DEPTH;
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
    let specs: Vec<FileId> = db
        .files()
        .filter(|(_, f)| f.kind == FileKind::Spec)
        .map(|(id, _)| id)
        .collect();
    // Files are independent: parse them on all cores, then put the results
    // back in file order so the output never depends on scheduling.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(specs.len().max(1));
    let chunk = specs.len().div_ceil(workers).max(1);
    let results: Vec<Vec<Parsed>> = if workers <= 1 {
        vec![specs.iter().map(|&id| parse_one(db, id)).collect()]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = specs
                .chunks(chunk)
                .map(|ids| {
                    std::thread::Builder::new()
                        .stack_size(PARSER_STACK)
                        .spawn_scoped(scope, move || {
                            ids.iter().map(|&id| parse_one(db, id)).collect::<Vec<_>>()
                        })
                        .expect("spawn a parser thread")
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for (id, file, file_diags) in results.into_iter().flatten() {
        diags.extend(file_diags);
        if let Some(file) = file {
            files.push((id, file));
        }
    }
    (Ast { files }, diags)
}

/// Parses the text of one file (the formatter and the language server work
/// on text that is not saved yet). Problems are pushed to `diags`.
pub fn parse_text(file: FileId, text: &str, diags: &mut Vec<Diagnostic>) -> ast::File {
    parser::parse_file(file, text, diags)
}

/// Stack of each parser thread: nesting is bounded (`MAX_NESTING`), this is
/// a wide margin on top.
const PARSER_STACK: usize = 64 * 1024 * 1024;

/// One file's parse: its AST (None if it could not be read) and diagnostics.
type Parsed = (FileId, Option<ast::File>, Vec<Diagnostic>);

fn parse_one(db: &SourceDb, id: FileId) -> Parsed {
    let file = db.get(id);
    let mut diags = Vec::new();
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
        return (id, None, diags);
    }
    let parsed = parser::parse_file(id, &file.text, &mut diags);
    (id, Some(parsed), diags)
}
