//! Which fields each kind of item takes, and typed access to them.

use std::collections::HashMap;

use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{DateLit, Field, Ident, ItemKind, Quantity, Str, Value};

/// A field a kind of item accepts.
struct Rule {
    key: &'static str,
    repeatable: bool,
}

const fn once(key: &'static str) -> Rule {
    Rule {
        key,
        repeatable: false,
    }
}

const fn many(key: &'static str) -> Rule {
    Rule {
        key,
        repeatable: true,
    }
}

const TEAM: &[Rule] = &[once("name"), once("contact")];
const SOURCE: &[Rule] = &[once("table"), once("file"), once("time"), once("columns")];
const CPI: &[Rule] = &[once("outcome"), once("title")];
const METRIC: &[Rule] = &[
    once("title"),
    once("description"),
    once("owner"),
    once("unit"),
    once("direction"),
    once("tier"),
    many("evidence"),
    once("source"),
    once("measure"),
    once("filter"),
    once("grain"),
    once("time"),
    once("dimensions"),
    once("review"),
    once("reviewed"),
    many("target"),
];
const LINK: &[Rule] = &[
    once("hypothesis"),
    once("expect"),
    once("lag"),
    once("grain"),
    once("status"),
    once("experiment"),
    once("min_periods"),
];
const TARGET: &[Rule] = &[
    once("range"),
    once("from"),
    once("until"),
    once("baseline"),
    once("competitor"),
    once("note"),
];

/// Where a set of fields lives, which decides the fields allowed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Item(ItemKind),
    Target,
}

impl Owner {
    fn rules(self) -> &'static [Rule] {
        match self {
            Owner::Item(ItemKind::Team) => TEAM,
            Owner::Item(ItemKind::Source) => SOURCE,
            Owner::Item(ItemKind::Cpi | ItemKind::Kpi) => METRIC,
            Owner::Item(ItemKind::Link) => LINK,
            Owner::Target => TARGET,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Owner::Item(ItemKind::Team) => "a team",
            Owner::Item(ItemKind::Source) => "a source",
            Owner::Item(ItemKind::Cpi) => "a cpi",
            Owner::Item(ItemKind::Kpi) => "a kpi",
            Owner::Item(ItemKind::Link) => "a link",
            Owner::Target => "a target",
        }
    }
}

/// The fields of one item (or target block), validated: no field twice
/// unless repeatable, none that the kind does not take.
pub struct Fields<'a> {
    owner: Owner,
    /// The span to point at when a required field is missing.
    anchor: Span,
    what: String,
    by_key: HashMap<&'a str, Vec<&'a Field>>,
}

impl<'a> Fields<'a> {
    pub fn collect(
        owner: Owner,
        anchor: Span,
        what: String,
        fields: &'a [Field],
        diags: &mut Vec<Diagnostic>,
    ) -> Fields<'a> {
        let rules = owner.rules();
        let cpi_rules = if owner == Owner::Item(ItemKind::Cpi) {
            CPI
        } else {
            &[]
        };
        let mut by_key: HashMap<&'a str, Vec<&'a Field>> = HashMap::new();
        for field in fields {
            if matches!(field.value, Value::Unknown) {
                continue; // already reported by the parser
            }
            let key = field.key.name.as_str();
            let Some(rule) = rules.iter().chain(cpi_rules).find(|r| r.key == key) else {
                let mut d = Diagnostic::new(
                    Code::FieldNotAllowed,
                    field.key.span,
                    format!("field `{key}` is not allowed on {}", owner.describe()),
                )
                .label("not allowed here");
                if key == "outcome" && owner == Owner::Item(ItemKind::Kpi) {
                    d = d.hint(
                        "an outcome is the customer's; only CPIs have one. Is this metric a CPI?",
                    );
                } else {
                    d = d.hint_opt(did_you_mean(key, rules.iter().map(|r| r.key)));
                }
                diags.push(d);
                continue;
            };
            let entry = by_key.entry(key).or_default();
            if let (false, Some(first)) = (rule.repeatable, entry.first()) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateField,
                        field.key.span,
                        format!("field `{key}` is given more than once"),
                    )
                    .label("given again here")
                    .secondary(first.key.span, "first given here")
                    .hint("keep one of them"),
                );
                continue;
            }
            entry.push(field);
        }
        Fields {
            owner,
            anchor,
            what,
            by_key,
        }
    }

    pub fn get(&self, key: &str) -> Option<&'a Field> {
        self.by_key.get(key).and_then(|v| v.first().copied())
    }

    pub fn all(&self, key: &str) -> &[&'a Field] {
        self.by_key.get(key).map_or(&[], Vec::as_slice)
    }

    pub fn has(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    /// Reports a missing required field.
    pub fn missing(&self, key: &str, diags: &mut Vec<Diagnostic>, hint: Option<String>) {
        diags.push(
            Diagnostic::new(
                Code::MissingField,
                self.anchor,
                format!("{} is missing the required field `{key}`", self.what),
            )
            .label(format!("{} needs `{key}`", self.owner.describe()))
            .hint_opt(hint),
        );
    }

    /// Reports, in one diagnostic, every one of `keys` that is missing.
    pub fn require(&self, keys: &[&str], diags: &mut Vec<Diagnostic>, hint: Option<String>) {
        let missing: Vec<String> = keys
            .iter()
            .filter(|k| !self.has(k))
            .map(|k| format!("`{k}`"))
            .collect();
        match missing.as_slice() {
            [] => {}
            [one] => self.missing(one.trim_matches('`'), diags, hint),
            [init @ .., last] => diags.push(
                Diagnostic::new(
                    Code::MissingField,
                    self.anchor,
                    format!(
                        "{} is missing the required fields {} and {last}",
                        self.what,
                        init.join(", ")
                    ),
                )
                .label(format!("{} needs these fields", self.owner.describe()))
                .hint_opt(hint),
            ),
        }
    }

    pub fn string(&self, key: &str) -> Option<&'a Str> {
        match &self.get(key)?.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn required_string(&self, key: &str, diags: &mut Vec<Diagnostic>) -> Option<&'a Str> {
        if !self.has(key) {
            self.missing(key, diags, None);
        }
        self.string(key)
    }

    pub fn word(&self, key: &str) -> Option<&'a Ident> {
        match &self.get(key)?.value {
            Value::Word(w) => Some(w),
            _ => None,
        }
    }

    pub fn date(&self, key: &str) -> Option<&'a DateLit> {
        match &self.get(key)?.value {
            Value::Date(d) => Some(d),
            _ => None,
        }
    }

    pub fn quantity(&self, key: &str) -> Option<&'a Quantity> {
        match &self.get(key)?.value {
            Value::Quantity(q) => Some(q),
            _ => None,
        }
    }

    /// An enumerated value such as `direction: higher`, reported if unknown.
    pub fn keyword<T: Copy>(
        &self,
        key: &str,
        options: &[(&str, T)],
        diags: &mut Vec<Diagnostic>,
    ) -> Option<T> {
        let word = self.word(key)?;
        keyword(word, key, options, diags)
    }
}

/// Looks a word up among the allowed values of an enumerated field.
pub fn keyword<T: Copy>(
    word: &Ident,
    what: &str,
    options: &[(&str, T)],
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    if let Some((_, value)) = options.iter().find(|(name, _)| *name == word.name) {
        return Some(*value);
    }
    let names: Vec<String> = options.iter().map(|(n, _)| format!("`{n}`")).collect();
    diags.push(
        Diagnostic::new(
            Code::InvalidKeyword,
            word.span,
            format!("`{}` is not a valid {what}", word.name),
        )
        .label(format!("expected one of {}", names.join(", ")))
        .hint_opt(did_you_mean(&word.name, options.iter().map(|(n, _)| *n))),
    );
    None
}
