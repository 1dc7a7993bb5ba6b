//! `cpic lsp`: a language server over standard input and output.
//!
//! Every request works on a fresh view of the project that holds the
//! file: the files on disk with the editor's unsaved text laid over them.
//! Checking a project takes milliseconds at the sizes people edit, so there
//! is no incremental state to keep right; diagnostics are published for
//! every spec file of the project after each change.

mod complete;
mod convert;
mod hover;
mod symbols;

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::{Path, PathBuf};

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, Formatting, GotoDefinition, HoverRequest, References, Request as _,
};
use lsp_types::{
    CompletionOptions, DiagnosticRelatedInformation, DiagnosticSeverity, GotoDefinitionResponse,
    HoverProviderCapability, Location, NumberOrString, OneOf, PublishDiagnosticsParams,
    ServerCapabilities, TextDocumentPositionParams, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextEdit, Uri,
};

use crate::date::Date;
use crate::diag::{Diagnostic, Severity};
use crate::source::{FileId, FileKind, SourceDb};
use crate::syntax::Ast;
use symbols::Occurrence;

type Fallible<T> = Result<T, Box<dyn Error + Sync + Send>>;

/// Serves on standard input and output until the client says `exit`.
pub fn run() -> Fallible<()> {
    let (connection, io_threads) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into(), " ".into(), ">".into(), "(".into()]),
            ..CompletionOptions::default()
        }),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    };
    let params = connection.initialize(serde_json::to_value(capabilities)?)?;
    let params: lsp_types::InitializeParams = serde_json::from_value(params)?;
    #[allow(deprecated)] // `root_uri` is what older clients send.
    let root = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| f.uri.as_str().to_string())
        .or_else(|| params.root_uri.as_ref().map(|u| u.as_str().to_string()))
        .and_then(|u| convert::uri_to_path(&u));
    let mut server = Server {
        root,
        open: BTreeMap::new(),
        published: BTreeMap::new(),
        connection: &connection,
    };
    let result = server.main_loop();
    // The writer thread ends when the last sender is gone.
    drop(connection);
    io_threads.join()?;
    result
}

struct Server<'c> {
    root: Option<PathBuf>,
    /// Unsaved texts of the open documents, by path.
    open: BTreeMap<PathBuf, String>,
    /// Per project folder, the URIs that have diagnostics now.
    published: BTreeMap<PathBuf, BTreeSet<String>>,
    connection: &'c Connection,
}

/// One project as the editor sees it.
struct Project {
    dir: PathBuf,
    db: SourceDb,
    ast: Ast,
    /// The parse's diagnostics, kept for `publish` (which checks the same
    /// trees rather than parsing again).
    parse_diagnostics: Vec<crate::diag::Diagnostic>,
    occurrences: Vec<Occurrence>,
}

impl Project {
    fn file_id(&self, path: &Path) -> Option<FileId> {
        let name = relative_name(&self.dir, path)?;
        self.db
            .files()
            .find(|(_, f)| f.name == name)
            .map(|(id, _)| id)
    }

    fn uri(&self, id: FileId) -> String {
        convert::path_to_uri(&self.dir.join(&self.db.get(id).name))
    }

    fn location(&self, span: crate::source::Span) -> Location {
        let text = &self.db.get(span.file).text;
        let range = span.range();
        Location {
            uri: self.uri(span.file).parse().expect("a file URI"),
            range: convert::range(text, range.start, range.end),
        }
    }
}

/// `path` relative to `dir`, with `/` separators.
fn relative_name(dir: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(dir).ok()?;
    Some(
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

impl Server<'_> {
    fn main_loop(&mut self) -> Fallible<()> {
        for message in &self.connection.receiver {
            match message {
                Message::Request(request) => {
                    if self.connection.handle_shutdown(&request)? {
                        return Ok(());
                    }
                    let id = request.id.clone();
                    let response = match self.request(request) {
                        Ok(value) => Response::new_ok(id, value),
                        Err(e) => Response::new_err(
                            id,
                            lsp_server::ErrorCode::InternalError as i32,
                            e.to_string(),
                        ),
                    };
                    self.connection.sender.send(Message::Response(response))?;
                }
                Message::Notification(notification) => self.notification(notification)?,
                Message::Response(_) => {}
            }
        }
        Ok(())
    }

    fn request(&mut self, request: Request) -> Fallible<serde_json::Value> {
        fn params<P: serde::de::DeserializeOwned>(request: Request) -> Fallible<P> {
            serde_json::from_value(request.params)
                .map_err(|e| format!("invalid parameters of `{}`: {e}", request.method).into())
        }
        let value = match request.method.as_str() {
            GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = params(request)?;
                serde_json::to_value(self.definition(&p.text_document_position_params))
            }
            References::METHOD => {
                let p: lsp_types::ReferenceParams = params(request)?;
                let declaration = p.context.include_declaration;
                serde_json::to_value(self.references(&p.text_document_position, declaration))
            }
            HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = params(request)?;
                serde_json::to_value(self.hover(&p.text_document_position_params))
            }
            Completion::METHOD => {
                let p: lsp_types::CompletionParams = params(request)?;
                serde_json::to_value(self.complete(&p.text_document_position))
            }
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = params(request)?;
                serde_json::to_value(self.format(&p.text_document.uri))
            }
            other => return Err(format!("cpic lsp does not handle `{other}`").into()),
        };
        Ok(value?)
    }

    fn notification(&mut self, notification: Notification) -> Fallible<()> {
        let path = |uri: &Uri| convert::uri_to_path(uri.as_str());
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let params: lsp_types::DidOpenTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                if let Some(path) = path(&params.text_document.uri) {
                    self.open.insert(path.clone(), params.text_document.text);
                    self.publish(&path)?;
                }
            }
            DidChangeTextDocument::METHOD => {
                let params: lsp_types::DidChangeTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                if let (Some(path), Some(change)) = (
                    path(&params.text_document.uri),
                    params.content_changes.into_iter().last(),
                ) {
                    self.open.insert(path.clone(), change.text);
                    self.publish(&path)?;
                }
            }
            DidSaveTextDocument::METHOD => {
                let params: lsp_types::DidSaveTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                if let Some(path) = path(&params.text_document.uri) {
                    self.publish(&path)?;
                }
            }
            DidCloseTextDocument::METHOD => {
                let params: lsp_types::DidCloseTextDocumentParams =
                    serde_json::from_value(notification.params)?;
                if let Some(path) = path(&params.text_document.uri) {
                    self.open.remove(&path);
                    self.publish(&path)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The project folder of a file: the nearest folder above it with a
    /// `cpi.toml`, else the workspace root when the file is inside it,
    /// else the file's own folder.
    fn project_dir(&self, file: &Path) -> PathBuf {
        let parent = file.parent().unwrap_or(Path::new("/"));
        for dir in parent.ancestors() {
            if dir.join("cpi.toml").is_file() {
                return dir.to_path_buf();
            }
            if self.root.as_deref() == Some(dir) {
                break;
            }
        }
        match &self.root {
            Some(root) if file.starts_with(root) => root.clone(),
            _ => parent.to_path_buf(),
        }
    }

    fn project(&self, file: &Path) -> Project {
        let dir = self.project_dir(file);
        let mut db = SourceDb::load(&dir).unwrap_or_default();
        db.set_root(dir.clone());
        for (path, text) in &self.open {
            if let Some(name) = relative_name(&dir, path) {
                if name.ends_with(".cpi")
                    && !name.split('/').any(|p| p.starts_with('.') || p == "target")
                {
                    db.add(name, text.as_bytes());
                }
            }
        }
        let (ast, parse_diagnostics) = crate::syntax::parse(&db);
        let occurrences = symbols::occurrences(&ast);
        Project {
            dir,
            db,
            ast,
            parse_diagnostics,
            occurrences,
        }
    }

    fn publish(&mut self, changed: &Path) -> Fallible<()> {
        let project = self.project(changed);
        let options = crate::Options {
            today: Date::today_utc(),
        };
        let (_, diagnostics) = crate::check_parsed(
            &project.db,
            &project.ast,
            project.parse_diagnostics.clone(),
            &options,
        );
        let mut by_file: BTreeMap<String, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
        for (id, file) in project.db.files() {
            if file.kind == FileKind::Spec {
                by_file.insert(project.uri(id), Vec::new());
            }
        }
        for diagnostic in &diagnostics {
            let uri = project.uri(diagnostic.span.file);
            by_file
                .entry(uri)
                .or_default()
                .push(to_lsp(&project, diagnostic));
        }
        let previous = self.published.remove(&project.dir).unwrap_or_default();
        for uri in previous.difference(&by_file.keys().cloned().collect()) {
            by_file.insert(uri.clone(), Vec::new());
        }
        let mut now = BTreeSet::new();
        for (uri, diagnostics) in by_file {
            if !diagnostics.is_empty() {
                now.insert(uri.clone());
            }
            let params = PublishDiagnosticsParams {
                uri: uri.parse()?,
                diagnostics,
                version: None,
            };
            self.connection
                .sender
                .send(Message::Notification(Notification::new(
                    PublishDiagnostics::METHOD.to_string(),
                    params,
                )))?;
        }
        self.published.insert(project.dir, now);
        Ok(())
    }

    /// The project, file and byte offset of a position.
    fn locate(&self, at: &TextDocumentPositionParams) -> Option<(Project, FileId, usize)> {
        let path = convert::uri_to_path(at.text_document.uri.as_str())?;
        let project = self.project(&path);
        let id = project.file_id(&path)?;
        let offset = convert::offset(&project.db.get(id).text, at.position);
        Some((project, id, offset))
    }

    fn definition(&self, at: &TextDocumentPositionParams) -> Option<GotoDefinitionResponse> {
        let (project, id, offset) = self.locate(at)?;
        let symbol = &symbols::at(&project.occurrences, id, offset)?.symbol;
        let locations: Vec<Location> = project
            .occurrences
            .iter()
            .filter(|o| o.definition && &o.symbol == symbol)
            .map(|o| project.location(o.span))
            .collect();
        (!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations))
    }

    fn references(
        &self,
        at: &TextDocumentPositionParams,
        declaration: bool,
    ) -> Option<Vec<Location>> {
        let (project, id, offset) = self.locate(at)?;
        let symbol = symbols::at(&project.occurrences, id, offset)?
            .symbol
            .clone();
        Some(
            project
                .occurrences
                .iter()
                .filter(|o| o.symbol == symbol && (declaration || !o.definition))
                .map(|o| project.location(o.span))
                .collect(),
        )
    }

    fn hover(&self, at: &TextDocumentPositionParams) -> Option<lsp_types::Hover> {
        let (project, id, offset) = self.locate(at)?;
        let occurrence = symbols::at(&project.occurrences, id, offset)?;
        let text = &project.db.get(id).text;
        let markdown = hover::markdown(
            &project.ast,
            &project.db,
            &occurrence.symbol,
            Date::today_utc(),
        )?;
        let range = occurrence.span.range();
        Some(lsp_types::Hover {
            contents: lsp_types::HoverContents::Markup(lsp_types::MarkupContent {
                kind: lsp_types::MarkupKind::Markdown,
                value: markdown,
            }),
            range: Some(convert::range(text, range.start, range.end)),
        })
    }

    fn complete(&self, at: &TextDocumentPositionParams) -> Option<lsp_types::CompletionResponse> {
        let (project, id, offset) = self.locate(at)?;
        let items = complete::items(&project.ast, &project.db, id, offset);
        Some(lsp_types::CompletionResponse::Array(items))
    }

    fn format(&self, uri: &Uri) -> Option<Vec<TextEdit>> {
        let path = convert::uri_to_path(uri.as_str())?;
        let project = self.project(&path);
        let id = project.file_id(&path)?;
        let text = &project.db.get(id).text;
        let formatted = crate::fmt::format_file(id, text).ok()?;
        if &formatted == text {
            return Some(Vec::new());
        }
        Some(vec![TextEdit {
            range: convert::range(text, 0, text.len()),
            new_text: formatted,
        }])
    }
}

fn to_lsp(project: &Project, diagnostic: &Diagnostic) -> lsp_types::Diagnostic {
    let text = &project.db.get(diagnostic.span.file).text;
    let range = diagnostic.span.range();
    let mut message = diagnostic.message.clone();
    for hint in &diagnostic.hints {
        message.push_str("\nhelp: ");
        message.push_str(hint);
    }
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .secondary
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: project.location(label.span),
            message: label.message.clone(),
        })
        .collect();
    lsp_types::Diagnostic {
        range: convert::range(text, range.start, range.end),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.as_str().to_string())),
        source: Some("cpic".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}
