//! What hovering over a name shows: a metric's title, kind, unit,
//! direction, owner and current target; a team's name and contact; a
//! source's origin and columns; an experiment's title, link and dates; a
//! column's type.

use super::symbols::{find_item, Symbol};
use crate::date::Date;
use crate::schema::Key;
use crate::source::SourceDb;
use crate::syntax::ast::{Field, Item, ItemKind, Value};
use crate::syntax::Ast;

fn field(item: &Item, key: Key) -> Option<&Field> {
    item.fields.iter().find(|f| f.is(key))
}

fn string(item: &Item, key: Key) -> Option<&str> {
    match &field(item, key)?.value {
        Value::Str(s) => Some(&s.value),
        _ => None,
    }
}

fn word(item: &Item, key: Key) -> Option<&str> {
    match &field(item, key)?.value {
        Value::Word(w) | Value::Unit(w) => Some(&w.name),
        _ => None,
    }
}

fn date(item: &Item, key: Key) -> Option<Date> {
    match &field(item, key)?.value {
        Value::Date(d) => Some(d.value),
        _ => None,
    }
}

/// Markdown code, with backticks in the text made harmless.
fn code(text: &str) -> String {
    format!("`{}`", text.replace('`', "'"))
}

/// Text from a spec shown as Markdown: characters Markdown reads as markup
/// are escaped.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_{}[]()<>#+-.!|~&".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub fn markdown(ast: &Ast, db: &SourceDb, symbol: &Symbol, today: Date) -> Option<String> {
    match symbol {
        Symbol::Item(name) => {
            let (file, item) = find_item(ast, name)?;
            let text = &db.get(file).text;
            Some(match item.kind {
                ItemKind::Cpi | ItemKind::Kpi => metric(ast, text, item, today),
                ItemKind::Team => {
                    let mut out = format!(
                        "**{}** — team {}",
                        plain(string(item, Key::Name).unwrap_or(name)),
                        code(name)
                    );
                    if let Some(contact) = string(item, Key::Contact) {
                        out.push_str(&format!("\n\ncontact: {}", plain(contact)));
                    }
                    out
                }
                ItemKind::Source => {
                    let origin = string(item, Key::Table)
                        .map(|t| format!("table {}", code(t)))
                        .or_else(|| string(item, Key::File).map(|f| format!("file {}", code(f))))
                        .unwrap_or_default();
                    let columns = match field(item, Key::Columns).map(|f| &f.value) {
                        Some(Value::Columns { columns }) => columns.len(),
                        _ => 0,
                    };
                    format!("source {} — {origin}, {columns} columns", code(name))
                }
                ItemKind::Experiment => {
                    let title = string(item, Key::Title).unwrap_or(name);
                    let mut out = format!("**{}** — experiment {}", plain(title), code(name));
                    if let Some(Value::LinkRef { from, to }) =
                        field(item, Key::Tests).map(|f| &f.value)
                    {
                        out.push_str(&format!(
                            "\n\ntests {}",
                            code(&format!("{} -> {}", from.name, to.name))
                        ));
                    }
                    if let (Some(from), Some(until)) =
                        (date(item, Key::From), date(item, Key::Until))
                    {
                        out.push_str(&format!(", from {from} until {until}"));
                    }
                    out
                }
                ItemKind::Link => return None,
            })
        }
        Symbol::Column { source, column } => {
            let (_, item) = find_item(ast, source)?;
            let Some(Value::Columns { columns }) = field(item, Key::Columns).map(|f| &f.value)
            else {
                return None;
            };
            let declared = columns.iter().find(|c| &c.name.name == column)?;
            Some(format!(
                "column {}: {} of source {}",
                code(column),
                code(&declared.ty.name),
                code(source)
            ))
        }
    }
}

fn metric(ast: &Ast, text: &str, item: &Item, today: Date) -> String {
    let name = &item.name.name;
    let kind = if item.kind == ItemKind::Cpi {
        "CPI"
    } else {
        "KPI"
    };
    let title = string(item, Key::Title).unwrap_or(name);
    let mut out = format!("**{}** — {kind} {}", plain(title), code(name));
    let mut facts = Vec::new();
    if let Some(unit) = word(item, Key::Unit) {
        facts.push(format!("unit {}", code(unit)));
    }
    if let Some(direction) = word(item, Key::Direction) {
        facts.push(format!("{} is better", plain(direction)));
    }
    if let Some(owner) = word(item, Key::Owner) {
        let team = find_item(ast, owner).and_then(|(_, t)| string(t, Key::Name));
        facts.push(match team {
            Some(team) => format!("owner {} ({})", plain(team), code(owner)),
            None => format!("owner {}", code(owner)),
        });
    }
    if !facts.is_empty() {
        out.push_str("\n\n");
        out.push_str(&facts.join(" · "));
    }
    if let Some(target) = current_target(text, item, today) {
        out.push_str("\n\n");
        out.push_str(&target);
    }
    if let Some(outcome) = string(item, Key::Outcome) {
        out.push_str(&format!("\n\n> {}", plain(outcome)));
    }
    out
}

/// The target active on `today`, else the latest one, as written.
fn current_target(text: &str, item: &Item, today: Date) -> Option<String> {
    let mut targets = Vec::new();
    for f in item.fields.iter().filter(|f| f.is(Key::Target)) {
        let Value::Target(target) = &f.value else {
            continue;
        };
        let date = |key: &str| {
            target
                .fields
                .iter()
                .find_map(|f| match (&f.value, f.key.name == key) {
                    (Value::Date(d), true) => Some(d.value),
                    _ => None,
                })
        };
        let Some(range) = target.fields.iter().find(|f| f.is(Key::Range)).map(|f| {
            text[f.value_span().range()]
                .trim()
                .trim_start_matches(':')
                .trim()
                .to_string()
        }) else {
            continue;
        };
        targets.push((date("from"), date("until"), range));
    }
    let active = targets
        .iter()
        .find(|(from, until, _)| match (from, until) {
            (Some(from), Some(until)) => crate::model::in_force(*from, *until, today),
            _ => false,
        })
        .or(targets.last())?;
    let (from, until, range) = active;
    let dates = match (from, until) {
        (Some(f), Some(u)) => format!(" from {f} until {u}"),
        _ => String::new(),
    };
    Some(format!("target {}{dates}", code(range)))
}
