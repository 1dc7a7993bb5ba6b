//! Every field of the language, once: which block takes it, what its value
//! is, whether it is required or may be repeated, in LANGUAGE.md's order.
//!
//! **One schema lists every field.** The checker (allowed, repeated and
//! missing fields, keyword values), the formatter (field order), the parser
//! (did-you-mean for unknown keys) and the language server (completions and
//! their details) read this table; `tests/tidy.rs` compares it with the
//! keys of `grammar/cpi.pest`. Adding a field is one row here, one key in
//! the grammar, its meaning in the checker, and its documentation.

use crate::model::{
    Direction, EvidenceKind, Expect, Grain, LinkStatus, Review, Snapshot, Tier, WindowWord,
};

keyword_enum! {
    /// The keyword that starts an item.
    pub enum ItemKind {
        Team = "team",
        Source = "source",
        Cpi = "cpi",
        Kpi = "kpi",
        Link = "link",
        Experiment = "experiment",
    }
}

keyword_enum! {
    /// Every key a field may have, each once: the schema's rows below name
    /// their key by it, and the checker, the formatter and the language
    /// server read fields by it (a misspelt key does not compile).
    pub enum Key {
        Name = "name",
        Contact = "contact",
        Table = "table",
        File = "file",
        Time = "time",
        Columns = "columns",
        Fresh = "fresh",
        Unique = "unique",
        NotNull = "not_null",
        Title = "title",
        Outcome = "outcome",
        Description = "description",
        Owner = "owner",
        Unit = "unit",
        Direction = "direction",
        Tier = "tier",
        Evidence = "evidence",
        Source = "source",
        Measure = "measure",
        Filter = "filter",
        Grain = "grain",
        Dimensions = "dimensions",
        Review = "review",
        Reviewed = "reviewed",
        Window = "window",
        Snapshot = "snapshot",
        Fill = "fill",
        Expect = "expect",
        Target = "target",
        Hypothesis = "hypothesis",
        Lag = "lag",
        Status = "status",
        Experiment = "experiment",
        MinPeriods = "min_periods",
        Segments = "segments",
        Tests = "tests",
        Guardrails = "guardrails",
        Assignments = "assignments",
        Variant = "variant",
        Control = "control",
        Split = "split",
        From = "from",
        Until = "until",
        Range = "range",
        Baseline = "baseline",
        Competitor = "competitor",
        Note = "note",
    }
}

/// A block that holds fields: an item, or a target inside a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    Item(ItemKind),
    Target,
}

impl Block {
    /// The block as a noun in messages: "a cpi", "a target".
    pub fn describe(self) -> &'static str {
        match self {
            Block::Item(ItemKind::Team) => "a team",
            Block::Item(ItemKind::Source) => "a source",
            Block::Item(ItemKind::Cpi) => "a cpi",
            Block::Item(ItemKind::Kpi) => "a kpi",
            Block::Item(ItemKind::Link) => "a link",
            Block::Item(ItemKind::Experiment) => "an experiment",
            Block::Target => "a target",
        }
    }

    /// The block opened by `word` (an item keyword or `target`).
    pub fn parse(word: &str) -> Option<Block> {
        match word {
            "target" => Some(Block::Target),
            _ => ItemKind::parse(word).map(Block::Item),
        }
    }

    /// Its fields, in the language's order.
    pub fn fields(self) -> impl Iterator<Item = &'static FieldSpec> {
        let kind = match self {
            Block::Item(kind) => Some(kind),
            Block::Target => None,
        };
        self.table()
            .iter()
            .filter(move |f| f.only.is_none() || f.only == kind)
    }

    /// The table its fields come from, with the fields of sibling kinds
    /// (a KPI's table holds the CPI's `outcome`): the formatter puts a
    /// misplaced field where the language would have it.
    pub fn table(self) -> &'static [FieldSpec] {
        match self {
            Block::Item(ItemKind::Team) => TEAM,
            Block::Item(ItemKind::Source) => SOURCE,
            Block::Item(ItemKind::Cpi | ItemKind::Kpi) => METRIC,
            Block::Item(ItemKind::Link) => LINK,
            Block::Item(ItemKind::Experiment) => EXPERIMENT,
            Block::Target => TARGET,
        }
    }

    /// The field `key` of this block, if it takes one.
    pub fn field(self, key: Key) -> Option<&'static FieldSpec> {
        self.fields().find(|f| f.key == key)
    }

    /// The field spelt `key` of this block, if it takes one.
    pub fn field_named(self, key: &str) -> Option<&'static FieldSpec> {
        Key::parse(key).and_then(|key| self.field(key))
    }
}

/// What a name in a field refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refers {
    Team,
    Source,
    Column,
    Experiment,
}

/// The value a field takes; fixed by the grammar rule of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// A string or a block string (`string_key`, `note_key`).
    Text,
    /// A name (`ident_key`).
    Name(Refers),
    /// One of these words (`ident_key`).
    Keyword(&'static [&'static str]),
    /// A unit as declared (`unit_key`).
    Unit,
    /// An expression (`expr_key`).
    Expr,
    /// A kind among these words, then a text (`evidence_key`).
    Evidence(&'static [&'static str]),
    /// Column names separated by commas (`dims_key`).
    Columns,
    /// Metric names separated by commas (`dims_key`).
    Metrics,
    /// A text, or a name (`string_key` or `ident_key`): a link's
    /// `experiment`, a note or an experiment item.
    TextOrName(Refers),
    /// `FROM -> TO`, a declared link (`link_ref_key`).
    LinkRef,
    /// Percentages in a row (`split_key`).
    Shares,
    /// A column name where a metric writes its unit (`unit_key`): an
    /// experiment's `unit`, the column that identifies a unit.
    UnitColumn,
    /// A number with an optional unit (`lag_key`, `quantity_key`).
    Quantity,
    /// A length of time, or one of these words (`window_key`).
    Window(&'static [&'static str]),
    /// A whole number (`int_key`).
    Integer,
    /// `YYYY-MM-DD` (`date_key`).
    Date,
    /// A block of column declarations (`columns_key`).
    ColumnBlock,
    /// A target block (`target_key`).
    TargetBlock,
    /// A quantity or `low .. high` (`range_key`).
    Range,
}

impl ValueKind {
    /// What a value of this kind is, in words (for messages).
    pub fn describe(self) -> String {
        let words = |names: &[&str]| {
            let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            names.join(", ")
        };
        match self {
            ValueKind::Text => "a string".into(),
            ValueKind::Name(_) | ValueKind::TextOrName(_) => "a name".into(),
            ValueKind::Keyword(names) => format!("one of {}", words(names)),
            ValueKind::Unit | ValueKind::UnitColumn => "a unit".into(),
            ValueKind::Expr => "an expression".into(),
            ValueKind::Evidence(_) => "an evidence kind and a string".into(),
            ValueKind::Columns => "column names separated by commas".into(),
            ValueKind::Metrics => "metric names separated by commas".into(),
            ValueKind::LinkRef => "a link `FROM -> TO`".into(),
            ValueKind::Shares => "percentages such as `50% 50%`".into(),
            ValueKind::Quantity => "a quantity such as `2 days`".into(),
            ValueKind::Window(names) => format!("a length of time or one of {}", words(names)),
            ValueKind::Integer => "a whole number".into(),
            ValueKind::Date => "a date `YYYY-MM-DD`".into(),
            ValueKind::ColumnBlock => "a block of columns".into(),
            ValueKind::TargetBlock => "a target block".into(),
            ValueKind::Range => "a range `LOW .. HIGH`".into(),
        }
    }

    /// Whether the field opens a block (`columns { }`, `target { }`)
    /// rather than taking a value after a colon.
    pub fn is_block(self) -> bool {
        matches!(self, ValueKind::ColumnBlock | ValueKind::TargetBlock)
    }
}

/// One field of one kind of block.
#[derive(Debug)]
pub struct FieldSpec {
    pub key: Key,
    pub value: ValueKind,
    /// A block without it is an error (E0203).
    pub required: bool,
    /// May be given more than once (`evidence`, `target`).
    pub repeatable: bool,
    /// Only on this kind of item (`outcome`: CPIs only); None for all.
    pub only: Option<ItemKind>,
    /// What it says, in a line (completion details, hover).
    pub doc: &'static str,
}

const fn field(key: Key, value: ValueKind, doc: &'static str) -> FieldSpec {
    FieldSpec {
        key,
        value,
        required: false,
        repeatable: false,
        only: None,
        doc,
    }
}

impl FieldSpec {
    const fn required(self) -> FieldSpec {
        FieldSpec {
            required: true,
            ..self
        }
    }

    const fn repeatable(self) -> FieldSpec {
        FieldSpec {
            repeatable: true,
            ..self
        }
    }

    const fn only(self, kind: ItemKind) -> FieldSpec {
        FieldSpec {
            only: Some(kind),
            ..self
        }
    }
}

use ValueKind as V;

const TEAM: &[FieldSpec] = &[
    field(Key::Name, V::Text, "the team's display name").required(),
    field(Key::Contact, V::Text, "how to reach the team"),
];

const SOURCE: &[FieldSpec] = &[
    field(Key::Table, V::Text, "the table or view the rows come from"),
    field(
        Key::File,
        V::Text,
        "a CSV or Parquet file, relative to the project",
    ),
    field(
        Key::Time,
        V::Name(Refers::Column),
        "the default time column of its metrics",
    ),
    field(Key::Columns, V::ColumnBlock, "the columns metrics may use").required(),
    field(
        Key::Fresh,
        V::Quantity,
        "`cpic test`: the newest `time` is at most this old (`2 days`)",
    ),
    field(
        Key::Unique,
        V::Columns,
        "`cpic test`: no two rows share these columns' values",
    ),
    field(
        Key::NotNull,
        V::Columns,
        "`cpic test`: no row has a null in these columns",
    ),
];

const METRIC: &[FieldSpec] = &[
    field(Key::Title, V::Text, "the name people read").required(),
    field(
        Key::Outcome,
        V::Text,
        "the customer's desired outcome, in their words",
    )
    .required()
    .only(ItemKind::Cpi),
    field(
        Key::Description,
        V::Text,
        "Markdown: what it measures and why",
    ),
    field(
        Key::Owner,
        V::Name(Refers::Team),
        "the team accountable for it",
    )
    .required(),
    field(Key::Unit, V::Unit, "the unit of its values").required(),
    field(
        Key::Direction,
        V::Keyword(Direction::NAMES),
        "which way is better",
    )
    .required(),
    field(
        Key::Tier,
        V::Keyword(Tier::NAMES),
        "its place among the metrics",
    ),
    field(
        Key::Evidence,
        V::Evidence(EvidenceKind::NAMES),
        "how it was found to matter to customers",
    )
    .repeatable(),
    field(
        Key::Source,
        V::Name(Refers::Source),
        "the source its measure reads",
    ),
    field(Key::Measure, V::Expr, "how a period's value is computed").required(),
    field(Key::Filter, V::Expr, "which rows take part"),
    field(
        Key::Grain,
        V::Keyword(Grain::NAMES),
        "the length of its periods",
    )
    .required(),
    field(
        Key::Time,
        V::Name(Refers::Column),
        "the time column of its rows",
    ),
    field(
        Key::Dimensions,
        V::Columns,
        "columns it may be broken down by",
    ),
    field(
        Key::Review,
        V::Keyword(Review::NAMES),
        "how often it is reviewed",
    ),
    field(Key::Reviewed, V::Date, "when it was last reviewed"),
    field(
        Key::Window,
        V::Window(WindowWord::NAMES),
        "which rows a period aggregates: a length (`28 days`), `month_to_date`, ... or `all`",
    ),
    field(
        Key::Snapshot,
        V::Keyword(Snapshot::NAMES),
        "a level: only the rows at the period's latest (`last`) or earliest time",
    ),
    field(
        Key::Fill,
        V::Quantity,
        "the value of a period without one, between the first and the last",
    ),
    field(
        Key::Expect,
        V::Range,
        "`cpic test`: every period's value lies in `LOW .. HIGH`",
    ),
    field(Key::Target, V::TargetBlock, "a range to reach over a time").repeatable(),
];

const LINK: &[FieldSpec] = &[
    field(Key::Hypothesis, V::Text, "why the first moves the second"),
    field(
        Key::Expect,
        V::Keyword(Expect::NAMES),
        "what the second does when the first improves",
    ),
    field(Key::Lag, V::Quantity, "how long the effect takes"),
    field(
        Key::Grain,
        V::Keyword(Grain::NAMES),
        "the periods the two are paired on",
    ),
    field(
        Key::Status,
        V::Keyword(LinkStatus::NAMES),
        "where the link stands",
    ),
    field(
        Key::Experiment,
        V::TextOrName(Refers::Experiment),
        "the controlled experiment that tests it: an experiment's name, or a note",
    ),
    field(
        Key::MinPeriods,
        V::Integer,
        "the fewest pairs of periods for a verdict",
    ),
    field(
        Key::Segments,
        V::Name(Refers::Column),
        "a dimension of both metrics: also judged per value",
    ),
];

const EXPERIMENT: &[FieldSpec] = &[
    field(Key::Title, V::Text, "the name people read").required(),
    field(
        Key::Description,
        V::Text,
        "Markdown: what was tried and why",
    ),
    field(Key::Owner, V::Name(Refers::Team), "the team that runs it").required(),
    field(Key::Tests, V::LinkRef, "the link it tests: CPI -> KPI").required(),
    field(
        Key::Guardrails,
        V::Metrics,
        "more metrics to analyse, which must not get worse",
    ),
    field(
        Key::Assignments,
        V::Name(Refers::Source),
        "the source with a row per assigned unit",
    )
    .required(),
    field(
        Key::Unit,
        V::UnitColumn,
        "the column that identifies a unit, in the assignments and every analysed metric's source",
    )
    .required(),
    field(
        Key::Variant,
        V::Name(Refers::Column),
        "the text column of the assignments naming the variant",
    )
    .required(),
    field(Key::Control, V::Text, "the control variant's value").required(),
    field(
        Key::Split,
        V::Shares,
        "the expected shares of the variants, in their sorted order",
    ),
    field(Key::From, V::Date, "the first day of enrolment").required(),
    field(Key::Until, V::Date, "the last day analysed").required(),
];

const TARGET: &[FieldSpec] = &[
    field(
        Key::Range,
        V::Range,
        "the achievable range, in the metric's unit",
    )
    .required(),
    field(Key::From, V::Date, "the first day it holds").required(),
    field(Key::Until, V::Date, "the last day it holds").required(),
    field(
        Key::Baseline,
        V::Quantity,
        "where the metric stood when it was set",
    ),
    field(
        Key::Competitor,
        V::Quantity,
        "where the best competitor stands",
    ),
    field(Key::Note, V::Text, "why this range"),
];

/// Every block that holds fields.
pub const BLOCKS: &[Block] = &[
    Block::Item(ItemKind::Team),
    Block::Item(ItemKind::Source),
    Block::Item(ItemKind::Cpi),
    Block::Item(ItemKind::Kpi),
    Block::Item(ItemKind::Link),
    Block::Item(ItemKind::Experiment),
    Block::Target,
];

/// Every key an item may have, each once, in the schema's order (for "did
/// you mean" hints on unknown keys).
pub fn item_keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for &kind in ItemKind::ALL {
        for field in Block::Item(kind).fields() {
            if !keys.contains(&field.key.name()) {
                keys.push(field.key.name());
            }
        }
    }
    keys
}

/// The keys of `block`, in the language's order.
pub fn keys(block: Block) -> Vec<&'static str> {
    block.fields().map(|f| f.key.name()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_block_takes_a_key_twice() {
        for &block in BLOCKS {
            let keys = keys(block);
            for (i, key) in keys.iter().enumerate() {
                assert!(!keys[..i].contains(key), "{block:?} lists `{key}` twice");
            }
        }
    }

    #[test]
    fn outcome_is_a_cpi_field_only() {
        assert!(Block::Item(ItemKind::Cpi).field(Key::Outcome).is_some());
        assert!(Block::Item(ItemKind::Kpi).field(Key::Outcome).is_none());
    }
}
