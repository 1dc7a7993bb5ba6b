//! The checker: AST to checked model.
//!
//! **Invariant: the checker does no I/O.** It reads the AST and the source
//! texts (for line numbers) and reports every problem it finds, not only the
//! first; a model is returned only when there is no error.

mod expectations;
mod experiments;
mod exprs;
mod fields;
mod graph;
mod links;
mod methodology;
mod metrics;
mod periods;
mod targets;

use std::collections::HashMap;

use crate::date::Date;
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::model::{
    Column, ColumnType, Location, Model, Origin, Project, ScalarType, Source, Team,
};
use crate::source::{SourceDb, Span};
use crate::syntax::ast::{Item, ItemKind, Value};
use crate::syntax::Ast;
use crate::units::{Unit, UnitError};

use crate::schema::{Block, Key};
use fields::Fields;

pub use exprs::functions;

/// Inputs of the checker besides the AST.
#[derive(Clone, Debug)]
pub struct Options {
    /// The date against which expired targets are judged (W0606).
    pub today: Date,
}

/// Checks a parsed project. Returns the model when there is no error.
pub fn check(
    db: &SourceDb,
    ast: &Ast,
    project: Project,
    options: &Options,
) -> (Option<Model>, Vec<Diagnostic>) {
    let mut checker = Checker::new(db, ast, options);
    checker.collect_names();
    let teams = checker.teams();
    let sources = checker.sources();
    let metrics = metrics::check_metrics(&mut checker, &sources);
    let links = links::check_links(&mut checker, &metrics);
    let experiments = experiments::check_experiments(&mut checker, &sources, &metrics, &links);
    methodology::lint(&mut checker, &metrics, &links);
    let has_errors = checker.diags.iter().any(Diagnostic::is_error);
    let model = (!has_errors).then(|| {
        let mut model = Model {
            project,
            teams,
            sources: sources.into_iter().map(|s| s.source).collect(),
            metrics: metrics.into_iter().filter_map(|m| m.metric).collect(),
            links,
            experiments,
        };
        model.teams.sort_by(|a, b| a.name.cmp(&b.name));
        model.sources.sort_by(|a, b| a.name.cmp(&b.name));
        model.metrics.sort_by(|a, b| a.name.cmp(&b.name));
        model
            .links
            .sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        model
    });
    (model, checker.diags)
}

/// What a name in the project refers to, for messages ("is a team").
fn kind_word(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Team => "team",
        ItemKind::Source => "source",
        ItemKind::Cpi | ItemKind::Kpi => "metric",
        ItemKind::Link => "link",
        ItemKind::Experiment => "experiment",
    }
}

pub(crate) struct Checker<'a> {
    db: &'a SourceDb,
    /// Every item, in canonical order (file, then position).
    items: Vec<&'a Item>,
    /// The first definition of each name.
    symbols: HashMap<&'a str, &'a Item>,
    /// What each name is (`team`, `source`, `metric`), for hints.
    kinds: HashMap<&'a str, &'static str>,
    pub diags: Vec<Diagnostic>,
    pub today: Date,
}

/// A checked source and what expressions over it need.
pub(crate) struct SourceInfo {
    pub source: Source,
    pub columns: HashMap<String, ColumnType>,
}

impl<'a> Checker<'a> {
    fn new(db: &'a SourceDb, ast: &'a Ast, options: &Options) -> Checker<'a> {
        let items = ast.files.iter().flat_map(|(_, f)| f.items.iter()).collect();
        Checker {
            db,
            items,
            symbols: HashMap::new(),
            kinds: HashMap::new(),
            diags: Vec::new(),
            today: options.today,
        }
    }

    /// Where `item` is defined: its name, and its whole text.
    pub fn location(&self, item: &Item) -> Location {
        self.location_at(item, item.name.span)
    }

    /// Where something inside `item` is written (a field), for the
    /// reports that point at it.
    pub fn location_at(&self, item: &Item, span: Span) -> Location {
        let file = self.db.get(span.file);
        let (line, column) = file.line_col(span.start as usize);
        Location {
            file: file.name.clone(),
            line,
            column,
            span,
            item: item.span,
        }
    }

    fn items_of(&self, kinds: &[ItemKind]) -> Vec<&'a Item> {
        self.items
            .iter()
            .copied()
            .filter(|i| kinds.contains(&i.kind))
            .collect()
    }

    /// Fills the one namespace shared by teams, sources and metrics, and
    /// reports duplicates (pointing at both definitions).
    fn collect_names(&mut self) {
        for &item in &self.items {
            if item.kind == ItemKind::Link {
                continue;
            }
            let name = item.name.name.as_str();
            if let Some(first) = self.symbols.get(name) {
                let what = if first.kind == item.kind {
                    format!("{} `{name}` is defined more than once", item.kind.name())
                } else {
                    format!(
                        "`{name}` names both a {} and a {}",
                        first.kind.name(),
                        item.kind.name()
                    )
                };
                self.diags.push(
                    Diagnostic::new(Code::DuplicateName, item.name.span, what)
                        .label("defined again here")
                        .secondary(first.name.span, "first defined here")
                        .hint("teams, sources and metrics share one namespace across all files: rename one of them"),
                );
                continue;
            }
            self.symbols.insert(name, item);
            self.kinds.insert(name, kind_word(item.kind));
        }
    }

    /// Whether this item is the one its name refers to (not a duplicate).
    fn is_canonical(&self, item: &Item) -> bool {
        self.symbols
            .get(item.name.name.as_str())
            .is_some_and(|first| std::ptr::eq(*first, item))
    }

    /// Whether `ident` names an item of the kind `want` ("team", "source",
    /// "metric", "experiment"); if not, reports it (see [`Self::unresolved`]).
    pub(crate) fn refers_to(
        &mut self,
        ident: &crate::syntax::ast::Ident,
        want: &'static str,
        unknown: Code,
        role: &str,
    ) -> bool {
        match self.unresolved(ident, want, unknown, role) {
            Some(d) => {
                self.diags.push(d);
                false
            }
            None => true,
        }
    }

    /// Why `ident` does not name an item of the kind `want`: `unknown` (no
    /// such name, with a did-you-mean among that kind) or E0206 (another
    /// kind, with `role`, what the field is for, as the hint). None when it
    /// does; a name defined with errors of its own counts as found: it was
    /// reported there.
    pub(crate) fn unresolved(
        &self,
        ident: &crate::syntax::ast::Ident,
        want: &'static str,
        unknown: Code,
        role: &str,
    ) -> Option<Diagnostic> {
        let name = ident.name.as_str();
        Some(match self.kinds.get(name) {
            Some(&kind) if kind == want => return None,
            Some(other) => Diagnostic::new(
                Code::WrongKind,
                ident.span,
                format!("`{name}` is a {other}, not a {want}"),
            )
            .label(format!("not a {want}"))
            .hint(role),
            None => {
                let candidates = self
                    .kinds
                    .iter()
                    .filter(|(_, k)| **k == want)
                    .map(|(n, _)| *n);
                Diagnostic::new(unknown, ident.span, format!("no {want} named `{name}`"))
                    .label(format!("unknown {want}"))
                    .hint_opt(did_you_mean(name, candidates))
            }
        })
    }

    fn fields(&mut self, item: &'a Item) -> Fields<'a> {
        let what = format!("{} `{}`", item.kind.name(), item.name.name);
        let anchor = item.name.span;
        Fields::collect(
            Block::Item(item.kind),
            anchor,
            what,
            &item.fields,
            &mut self.diags,
        )
    }

    fn teams(&mut self) -> Vec<Team> {
        let mut teams = Vec::new();
        for item in self.items_of(&[ItemKind::Team]) {
            let fields = self.fields(item);
            fields.require(&mut self.diags, None);
            let display_name = fields.string(Key::Name);
            let contact = fields.string(Key::Contact).map(|s| s.value.clone());
            if let (Some(display_name), true) = (display_name, self.is_canonical(item)) {
                teams.push(Team {
                    name: item.name.name.clone(),
                    display_name: display_name.value.clone(),
                    contact,
                    location: self.location(item),
                });
            }
        }
        teams
    }

    fn sources(&mut self) -> Vec<SourceInfo> {
        let mut sources = Vec::new();
        for item in self.items_of(&[ItemKind::Source]) {
            let fields = self.fields(item);
            let origin = match (fields.string(Key::Table), fields.string(Key::File)) {
                (Some(table), None) => {
                    if table_name_is_valid(&table.value) {
                        Some(Origin::Table(table.value.clone()))
                    } else {
                        self.diags.push(
                            Diagnostic::new(
                                Code::InvalidLiteral,
                                table.span,
                                format!("`table` of source `{}` is not a table name", item.name.name),
                            )
                            .label("an empty part or a control character")
                            .hint("name a table or view, its schema parts separated by dots: `table: \"analytics.quotes\"`"),
                        );
                        None
                    }
                }
                (None, Some(file)) => Some(Origin::File(file.value.clone())),
                (Some(_), Some(file)) => {
                    self.diags.push(
                        Diagnostic::new(
                            Code::TableOrFile,
                            file.span,
                            format!("source `{}` has both `table` and `file`", item.name.name),
                        )
                        .label("second origin")
                        .secondary(
                            fields.get(Key::Table).expect("table").span,
                            "`table` given here",
                        )
                        .hint("a source reads either a table (or view) or a file, not both"),
                    );
                    None
                }
                (None, None) => {
                    if !fields.has(Key::Table) && !fields.has(Key::File) {
                        self.diags.push(
                            Diagnostic::new(
                                Code::TableOrFile,
                                item.name.span,
                                format!(
                                    "source `{}` has neither `table` nor `file`",
                                    item.name.name
                                ),
                            )
                            .label("where do its rows come from?")
                            .hint("add `table: \"schema.table\"` or `file: \"data/rows.csv\"`"),
                        );
                    }
                    None
                }
            };
            fields.require(
                &mut self.diags,
                Some("declare the columns metrics may use: `columns { id: text  created_at: timestamp }`".into()),
            );
            let mut columns = Vec::new();
            let mut by_name: HashMap<String, ColumnType> = HashMap::new();
            let mut first_span: HashMap<String, Span> = HashMap::new();
            let mut columns_ok = true;
            if let Some(Value::Columns { columns: cols }) =
                fields.get(Key::Columns).map(|f| &f.value)
            {
                for col in cols {
                    let Some(ty) = self.column_type(&col.ty) else {
                        columns_ok = false;
                        continue;
                    };
                    if let Some(first) = first_span.get(&col.name.name) {
                        self.diags.push(
                            Diagnostic::new(
                                Code::DuplicateColumn,
                                col.name.span,
                                format!("column `{}` is declared more than once", col.name.name),
                            )
                            .label("declared again here")
                            .secondary(*first, "first declared here"),
                        );
                        columns_ok = false;
                        continue;
                    }
                    first_span.insert(col.name.name.clone(), col.name.span);
                    by_name.insert(col.name.name.clone(), ty.clone());
                    columns.push(Column {
                        name: col.name.name.clone(),
                        ty,
                    });
                }
            }
            let time = fields.word(Key::Time).cloned();
            if let Some(time) = &time {
                self.time_column(&item.name.name, time, &by_name);
            }
            let expectations = expectations::source(self, item, &fields, time.is_some(), &by_name);
            if let (Some(origin), true, true, Some(expectations)) =
                (origin, columns_ok, self.is_canonical(item), expectations)
            {
                sources.push(SourceInfo {
                    source: Source {
                        name: item.name.name.clone(),
                        origin,
                        time: time.map(|t| t.name),
                        columns,
                        fresh: expectations.fresh,
                        unique: expectations.unique,
                        not_null: expectations.not_null,
                        location: self.location(item),
                    },
                    columns: by_name,
                });
            }
        }
        sources
    }

    /// Checks that a time column exists and holds dates or timestamps.
    fn time_column(
        &mut self,
        source: &str,
        column: &crate::syntax::ast::Ident,
        columns: &HashMap<String, ColumnType>,
    ) -> Option<ScalarType> {
        match columns.get(&column.name) {
            Some(ColumnType::Scalar(t @ (ScalarType::Date | ScalarType::Timestamp))) => Some(*t),
            Some(_) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::TimeColumnType,
                        column.span,
                        format!("time column `{}` is not a date or timestamp", column.name),
                    )
                    .label("not a date or timestamp")
                    .hint("periods are assigned from a `date` or `timestamp` column"),
                );
                None
            }
            None => {
                self.diags.push(
                    Diagnostic::new(
                        Code::UnknownColumn,
                        column.span,
                        format!("source `{source}` has no column `{}`", column.name),
                    )
                    .label("unknown column")
                    .hint_opt(crate::diag::did_you_mean(
                        &column.name,
                        columns.keys().map(String::as_str),
                    )),
                );
                None
            }
        }
    }

    fn column_type(&mut self, ty: &crate::syntax::ast::Ident) -> Option<ColumnType> {
        match ScalarType::parse(&ty.name) {
            Some(scalar) => Some(ColumnType::Scalar(scalar)),
            None => self.unit(ty).map(|unit| ColumnType::Quantity { unit }),
        }
    }

    /// A unit as declared in `unit:` or a column type.
    pub fn unit(&mut self, word: &crate::syntax::ast::Ident) -> Option<Unit> {
        match Unit::parse_declared(&word.name) {
            Ok(unit) => Some(unit),
            Err(UnitError::LongFormInDeclaration(symbol)) => {
                self.diags.push(
                    Diagnostic::new(
                        Code::UnknownUnit,
                        word.span,
                        format!("`{}` is a long form, allowed only in quantities", word.name),
                    )
                    .label("write the unit's symbol")
                    .hint(format!("write `{symbol}`")),
                );
                None
            }
            Err(UnitError::Unknown) => {
                let mut candidates: Vec<&str> = crate::units::SPELLINGS.to_vec();
                candidates.extend(["text", "bool", "int", "float", "date", "timestamp"]);
                self.diags.push(
                    Diagnostic::new(
                        Code::UnknownUnit,
                        word.span,
                        format!("unknown unit or type `{}`", word.name),
                    )
                    .label("not a unit")
                    .hint_opt(crate::diag::did_you_mean(&word.name, candidates))
                    .hint("units are `s`, `min`, `h`, `d`, `wk`, currency codes such as `USD`, `1`, `%`, `count` and `{things}`; column types also `text`, `bool`, `int`, `float`, `date`, `timestamp`"),
                );
                None
            }
        }
    }
}

/// A table reference: dot-separated parts, none empty, none with a control
/// character (a line break inside a quoted identifier would be padded by
/// the SQL indenter, and no engine has such tables).
fn table_name_is_valid(name: &str) -> bool {
    name.split('.')
        .all(|part| !part.is_empty() && !part.chars().any(char::is_control))
}
