//! cpic: a language and compiler for customer performance indicators.
//!
//! The pipeline has one public function per stage and one that chains them:
//!
//! | stage | function | output |
//! |---|---|---|
//! | load | [`source::SourceDb::load`] | files in memory |
//! | parse | [`syntax::parse`] | [`syntax::Ast`] |
//! | configure | [`config::load`] | [`model::Project`] |
//! | check | [`check::check`] | [`model::Model`] |
//! | all of them | [`compile`] | [`Compilation`] |

#[macro_use]
pub mod keyword;

pub mod check;
pub mod ci;
pub mod cli;
pub mod config;
pub mod date;
pub mod diag;
pub mod docs;
pub mod export;
pub mod fmt;
pub mod graph;
pub mod init;
pub mod lsp;
pub mod model;
pub mod ops;
pub mod output;
pub mod parallel;
pub mod period;
pub mod random;
pub mod run;
pub mod schema;
pub mod source;
pub mod sql;
pub mod syntax;
pub mod units;
pub mod words;

use diag::Diagnostic;
use model::Model;
use source::SourceDb;

pub use check::Options;

/// The result of compiling a project: the checked model (when there is no
/// error) and every diagnostic, in canonical order.
pub struct Compilation {
    pub ast: syntax::Ast,
    pub model: Option<Model>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, configures and checks a project held in a [`SourceDb`].
pub fn compile(db: &SourceDb, options: &Options) -> Compilation {
    let (ast, diagnostics) = syntax::parse(db);
    let (model, diagnostics) = check_parsed(db, &ast, diagnostics, options);
    Compilation {
        ast,
        model,
        diagnostics,
    }
}

/// Configures and checks a project already parsed into `ast`, whose parse
/// produced `diagnostics` (the language server parses once for both its
/// symbols and its diagnostics). Returns the model, when there is no
/// error, and every diagnostic in canonical order.
pub fn check_parsed(
    db: &SourceDb,
    ast: &syntax::Ast,
    mut diagnostics: Vec<Diagnostic>,
    options: &Options,
) -> (Option<Model>, Vec<Diagnostic>) {
    let default_name = db.folder_name.as_deref().unwrap_or("cpi project");
    let (project, config_diags) = config::load(db, default_name);
    diagnostics.extend(config_diags);
    let (model, check_diags) = check::check(db, ast, project, options);
    diagnostics.extend(check_diags);
    diag::sort(&mut diagnostics);
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    (if has_errors { None } else { model }, diagnostics)
}
