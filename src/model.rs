//! The checked model: the only input of every backend (SQL, run, docs).
//!
//! **Invariant: a `Model` exists only for a project without errors.** Every
//! name in it resolves, every expression is typed, every unit conversion is
//! explicit (`TExprKind::Scale`), and every list is sorted by name so that
//! output never depends on file order.

use serde::Serialize;

use crate::date::Date;
use crate::source::Span;
use crate::units::Unit;

mod expr;

pub use expr::{AggFunc, TExpr, TExprKind, Type};

#[derive(Clone, Debug, Serialize)]
pub struct Model {
    pub project: Project,
    pub teams: Vec<Team>,
    pub sources: Vec<Source>,
    pub metrics: Vec<Metric>,
    pub links: Vec<Link>,
    /// Sorted by name.
    pub experiments: Vec<Experiment>,
}

impl Model {
    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics
            .binary_search_by(|m| m.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.metrics[i])
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources
            .binary_search_by(|s| s.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.sources[i])
    }

    /// Every data expectation, sorted by name.
    pub fn expectations(&self) -> Vec<Expectation<'_>> {
        let mut all = Vec::new();
        for s in &self.sources {
            all.extend(s.fresh.as_ref().map(|f| Expectation::Fresh(s, f)));
            all.extend(s.unique.as_ref().map(|c| Expectation::Unique(s, c)));
            all.extend(s.not_null.as_ref().map(|c| Expectation::NotNull(s, c)));
        }
        for m in &self.metrics {
            all.extend(m.expect.as_ref().map(|r| Expectation::Expect(m, r)));
        }
        all.sort_by_cached_key(Expectation::name);
        all
    }

    /// The link `from -> to` (links are sorted by their two ends).
    pub fn link(&self, from: &str, to: &str) -> Option<&Link> {
        self.links
            .binary_search_by(|l| (l.from.as_str(), l.to.as_str()).cmp(&(from, to)))
            .ok()
            .map(|i| &self.links[i])
    }

    pub fn experiment(&self, name: &str) -> Option<&Experiment> {
        self.experiments
            .binary_search_by(|e| e.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.experiments[i])
    }

    /// The experiments whose `tests` is `link`.
    pub fn experiments_testing<'m>(
        &'m self,
        link: &'m Link,
    ) -> impl Iterator<Item = &'m Experiment> {
        self.experiments
            .iter()
            .filter(move |e| e.tests.from == link.from && e.tests.to == link.to)
    }

    pub fn team(&self, name: &str) -> Option<&Team> {
        self.teams
            .binary_search_by(|t| t.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.teams[i])
    }
}

/// Project settings from `cpi.toml`, with defaults applied.
#[derive(Clone, Debug, Serialize)]
pub struct Project {
    pub name: String,
    /// `[build] dialect`: the dialect of `cpic sql` and `cpic build`.
    pub dialect: DialectName,
    pub out: String,
    pub database: Option<String>,
    /// `[database] init`: a SQL file run after connecting (`cpic run`).
    pub database_init: Option<String>,
}

keyword_enum! {
    /// The seven SQL dialects cpic emits (`sql::dialect` writes them).
    #[derive(clap::ValueEnum)]
    pub enum DialectName {
        Duckdb = "duckdb",
        Postgres = "postgres",
        Sqlite = "sqlite",
        Bigquery = "bigquery",
        Snowflake = "snowflake",
        Spark = "spark",
        Trino = "trino",
    }
}

/// Where an item is defined: shown in docs and messages as `file:line`.
#[derive(Clone, Debug, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The item's name.
    #[serde(skip)]
    pub span: Span,
    /// The whole item, from its keyword to its closing brace.
    #[serde(skip)]
    pub item: Span,
}

/// `file:line`, as docs and messages show it.
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Team {
    pub name: String,
    pub display_name: String,
    pub contact: Option<String>,
    pub location: Location,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "path")]
pub enum Origin {
    /// A table or view; dots separate schema parts.
    Table(String),
    /// A CSV or Parquet file, relative to the project root.
    File(String),
}

keyword_enum! {
    /// A column type that is not a number with a unit.
    pub enum ScalarType {
        Text = "text",
        Bool = "bool",
        Int = "int",
        Float = "float",
        Date = "date",
        Timestamp = "timestamp",
    }
}

/// A column's declared type: a scalar type or a number carrying a unit.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ColumnType {
    Scalar(ScalarType),
    Quantity { unit: Unit },
}

#[derive(Clone, Debug, Serialize)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
}

#[derive(Clone, Debug, Serialize)]
pub struct Source {
    pub name: String,
    pub origin: Origin,
    /// The default time column of metrics on this source.
    pub time: Option<String>,
    pub columns: Vec<Column>,
    /// `fresh:` (LANGUAGE.md section 10): the newest `time` is at most
    /// this old.
    pub fresh: Option<Fresh>,
    /// `unique:`: no two rows share these columns' values.
    pub unique: Option<ColumnsRule>,
    /// `not_null:`: no row has a null in one of these columns.
    pub not_null: Option<ColumnsRule>,
    pub location: Location,
}

/// A source's `fresh: 2 days`.
#[derive(Clone, Debug, Serialize)]
pub struct Fresh {
    /// The greatest age of the newest `time` value, in seconds.
    pub seconds: f64,
    /// Where it is written.
    pub location: Location,
}

/// A source's `unique:` or `not_null:` columns.
#[derive(Clone, Debug, Serialize)]
pub struct ColumnsRule {
    pub columns: Vec<String>,
    /// Where it is written.
    pub location: Location,
}

/// A metric's `expect: LOW .. HIGH`, both ends in its unit, `low <= high`.
#[derive(Clone, Debug, Serialize)]
pub struct ExpectRange {
    pub low: f64,
    pub high: f64,
    /// Where it is written.
    pub location: Location,
}

keyword_enum! {
    /// The kinds of data expectation (LANGUAGE.md section 10), spelt as
    /// an expectation's name ends: `quotes.fresh`, `bind_rate.expect`.
    pub enum ExpectationKind {
        Fresh = "fresh",
        Unique = "unique",
        NotNull = "not_null",
        Expect = "expect",
    }
}

/// One data expectation of the project: what `cpic test` evaluates.
#[derive(Clone, Copy, Debug)]
pub enum Expectation<'m> {
    Fresh(&'m Source, &'m Fresh),
    Unique(&'m Source, &'m ColumnsRule),
    NotNull(&'m Source, &'m ColumnsRule),
    Expect(&'m Metric, &'m ExpectRange),
}

impl<'m> Expectation<'m> {
    pub fn kind(&self) -> ExpectationKind {
        match self {
            Expectation::Fresh(..) => ExpectationKind::Fresh,
            Expectation::Unique(..) => ExpectationKind::Unique,
            Expectation::NotNull(..) => ExpectationKind::NotNull,
            Expectation::Expect(..) => ExpectationKind::Expect,
        }
    }

    /// The source or metric it belongs to.
    pub fn owner(&self) -> &'m str {
        match self {
            Expectation::Fresh(s, _) | Expectation::Unique(s, _) | Expectation::NotNull(s, _) => {
                &s.name
            }
            Expectation::Expect(m, _) => &m.name,
        }
    }

    /// `<source>.fresh`, `<metric>.expect`: unique in a project, as
    /// sources and metrics share one namespace.
    pub fn name(&self) -> String {
        format!("{}.{}", self.owner(), self.kind())
    }

    /// Where it is written.
    pub fn location(&self) -> &'m Location {
        match self {
            Expectation::Fresh(_, f) => &f.location,
            Expectation::Unique(_, c) | Expectation::NotNull(_, c) => &c.location,
            Expectation::Expect(_, r) => &r.location,
        }
    }
}

impl Source {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

keyword_enum! {
    /// The item keyword of a metric.
    pub enum MetricKind {
        Cpi = "cpi",
        Kpi = "kpi",
    }
}

impl MetricKind {
    /// As people write it: `CPI`, `KPI`.
    pub fn label(self) -> &'static str {
        match self {
            MetricKind::Cpi => "CPI",
            MetricKind::Kpi => "KPI",
        }
    }
}

keyword_enum! {
    pub enum Direction {
        Higher = "higher",
        Lower = "lower",
    }
}

impl Direction {
    /// +1 when higher is better, -1 when lower is better.
    pub fn sign(self) -> i8 {
        match self {
            Direction::Higher => 1,
            Direction::Lower => -1,
        }
    }
}

keyword_enum! {
    pub enum Tier {
        Core = "core",
        Driver = "driver",
        Leading = "leading",
    }
}

keyword_enum! {
    /// The length of a metric's periods, finest first (so `max` is the
    /// coarser of two grains).
    pub enum Grain {
        Day = "day",
        Week = "week",
        Month = "month",
        Quarter = "quarter",
        Year = "year",
    }
}

impl Grain {
    /// The first day of the period holding `date` (weeks start on Monday).
    pub fn period_start(self, date: Date) -> Date {
        match self {
            Grain::Day => date,
            Grain::Week => {
                let days = date.days_since_epoch();
                // 1970-01-01 was a Thursday, three days after a Monday.
                Date::from_days_since_epoch(days - (days + 3).rem_euclid(7))
            }
            Grain::Month => Date { day: 1, ..date },
            Grain::Quarter => Date {
                month: (date.month - 1) / 3 * 3 + 1,
                day: 1,
                ..date
            },
            Grain::Year => Date {
                month: 1,
                day: 1,
                ..date
            },
        }
    }

    /// A period's length: fixed seconds for days and weeks, calendar months
    /// for months, quarters and years.
    pub fn length(self) -> PeriodLength {
        match self {
            Grain::Day => PeriodLength::Seconds(86_400.0),
            Grain::Week => PeriodLength::Seconds(604_800.0),
            Grain::Month => PeriodLength::Months(1),
            Grain::Quarter => PeriodLength::Months(3),
            Grain::Year => PeriodLength::Months(12),
        }
    }

    /// The start of the period `n` periods after the one starting at
    /// `start` (a period start).
    pub fn add(self, start: Date, n: i64) -> Date {
        let months = |m: i64| {
            let total = i64::from(start.year) * 12 + i64::from(start.month) - 1 + m;
            Date {
                year: total.div_euclid(12) as i32,
                month: total.rem_euclid(12) as u32 + 1,
                day: 1,
            }
        };
        match self {
            Grain::Day => Date::from_days_since_epoch(start.days_since_epoch() + n),
            Grain::Week => Date::from_days_since_epoch(start.days_since_epoch() + 7 * n),
            Grain::Month => months(n),
            Grain::Quarter => months(3 * n),
            Grain::Year => months(12 * n),
        }
    }
}

/// The length of a grain's period ([`Grain::length`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PeriodLength {
    Seconds(f64),
    Months(i64),
}

keyword_enum! {
    /// How often a metric is reviewed.
    pub enum Review {
        Weekly = "weekly",
        Monthly = "monthly",
        Quarterly = "quarterly",
        Yearly = "yearly",
    }
}

impl Review {
    /// When the next review is due after one held on `reviewed`: a week,
    /// or one, three or twelve months later (on the month's last day when
    /// the day does not exist, as 31 January + 1 month = 28 February).
    pub fn next_due(self, reviewed: Date) -> Date {
        let (grain, periods) = match self {
            Review::Weekly => return Grain::Week.add(reviewed, 1),
            Review::Monthly => (Grain::Month, 1),
            Review::Quarterly => (Grain::Month, 3),
            Review::Yearly => (Grain::Month, 12),
        };
        let month = grain.add(Grain::Month.period_start(reviewed), periods);
        (1..=reviewed.day)
            .rev()
            .find_map(|day| Date::from_ymd(month.year, month.month, day))
            .unwrap_or(month)
    }
}

keyword_enum! {
    /// How a metric was found to matter to customers.
    pub enum EvidenceKind {
        ContextualInquiry = "contextual_inquiry",
        Experiment = "experiment",
        Analytics = "analytics",
        Survey = "survey",
        FocusGroup = "focus_group",
        ExpertJudgment = "expert_judgment",
        Benchmark = "benchmark",
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub text: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Metric {
    pub name: String,
    pub kind: MetricKind,
    pub title: String,
    pub outcome: Option<String>,
    pub description: Option<String>,
    pub owner: String,
    pub unit: Unit,
    pub direction: Direction,
    pub tier: Option<Tier>,
    pub evidence: Vec<Evidence>,
    pub measure: Measure,
    pub grain: Grain,
    pub dimensions: Vec<String>,
    pub review: Option<Review>,
    /// When the metric was last reviewed (`reviewed:`, an extension).
    pub reviewed: Option<Date>,
    /// `window:` (source measures): which rows a period aggregates.
    pub window: Option<Window>,
    /// `snapshot:` (source measures): only the rows at the period's
    /// latest or earliest time.
    pub snapshot: Option<Snapshot>,
    /// `fill:`, in the metric's unit: the value of a period without one
    /// between the first and the last period with a value.
    pub fill: Option<f64>,
    /// `expect:` (LANGUAGE.md section 10): every period's value lies in it.
    pub expect: Option<ExpectRange>,
    /// Sorted by `from`; they never overlap.
    pub targets: Vec<Target>,
    pub location: Location,
}

keyword_enum! {
    /// The words a `window:` may be instead of a length.
    pub enum WindowWord {
        All = "all",
        WeekToDate = "week_to_date",
        MonthToDate = "month_to_date",
        QuarterToDate = "quarter_to_date",
        YearToDate = "year_to_date",
    }
}

/// Which rows period P (ending at E, exclusive) of a windowed metric
/// aggregates (LANGUAGE.md section 2, `window`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Window {
    /// The rows with time in `[E - seconds, E)`.
    Duration { seconds: f64 },
    /// The rows with time in `[E - months calendar months, E)`.
    Months { months: i64 },
    /// The rows from the start of the calendar `grain` (a week, month,
    /// quarter or year) holding P's first day up to E.
    ToDate { grain: Grain },
    /// Every row with time before E.
    All,
}

impl Window {
    /// The window of a word (`all`, `month_to_date`, ...).
    pub fn of_word(word: WindowWord) -> Window {
        match word {
            WindowWord::All => Window::All,
            WindowWord::WeekToDate => Window::ToDate { grain: Grain::Week },
            WindowWord::MonthToDate => Window::ToDate {
                grain: Grain::Month,
            },
            WindowWord::QuarterToDate => Window::ToDate {
                grain: Grain::Quarter,
            },
            WindowWord::YearToDate => Window::ToDate { grain: Grain::Year },
        }
    }
}

keyword_enum! {
    /// `snapshot:`: which rows of a period a level metric reads.
    pub enum Snapshot {
        First = "first",
        Last = "last",
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    /// Aggregates over the rows of a source.
    Source(SourceMeasure),
    /// Arithmetic over other metrics of the same grain, joined on the period.
    Derived {
        expr: TExpr,
        /// The metrics it reads, sorted and deduplicated.
        inputs: Vec<String>,
    },
}

impl Measure {
    /// Every expression of the measure: a source measure's and its filter,
    /// or a derived measure's arithmetic.
    pub fn exprs(&self) -> Vec<&TExpr> {
        match self {
            Measure::Source(m) => m.exprs().collect(),
            Measure::Derived { expr, .. } => vec![expr],
        }
    }
}

/// Aggregates over the rows of a source: what every backend that reads a
/// source measure takes apart, named once.
#[derive(Clone, Debug, Serialize)]
pub struct SourceMeasure {
    pub source: String,
    /// The time column that assigns rows to periods.
    pub time: String,
    pub time_type: ScalarType,
    /// The measure, converted to the metric's unit.
    pub expr: TExpr,
    pub filter: Option<TExpr>,
}

impl SourceMeasure {
    /// The measure and its filter: every expression over the rows.
    pub fn exprs(&self) -> impl Iterator<Item = &TExpr> {
        std::iter::once(&self.expr).chain(&self.filter)
    }
}

/// Whether a target held from `from` to `until` (both days included) is
/// in force on `day`: the one rule for the docs, the language server and
/// the target query's join.
pub fn in_force(from: Date, until: Date, day: Date) -> bool {
    from <= day && day <= until
}

#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub name: Option<String>,
    /// Both ends in the metric's unit, `low <= high`.
    pub low: f64,
    pub high: f64,
    pub from: Date,
    pub until: Date,
    pub baseline: Option<f64>,
    pub competitor: Option<f64>,
    pub note: Option<String>,
}

impl Target {
    /// Whether it is in force on `day`.
    pub fn is_active(&self, day: Date) -> bool {
        in_force(self.from, self.until, day)
    }
}

impl Metric {
    /// Its source measure; None for a derived one.
    pub fn source_measure(&self) -> Option<&SourceMeasure> {
        match &self.measure {
            Measure::Source(m) => Some(m),
            Measure::Derived { .. } => None,
        }
    }

    /// Whether its series comes from the one-scan query of its source (a
    /// source measure without window, snapshot, fill or `followed_by`);
    /// the others have a query of their own.
    pub fn in_scan(&self) -> bool {
        match &self.measure {
            Measure::Source(m) => {
                self.window.is_none()
                    && self.snapshot.is_none()
                    && self.fill.is_none()
                    && !m.exprs().any(TExpr::contains_followed_by)
            }
            Measure::Derived { .. } => false,
        }
    }

    /// The target in force on `day`, if any (targets never overlap).
    pub fn target_on(&self, day: Date) -> Option<&Target> {
        self.targets.iter().find(|t| t.is_active(day))
    }
}

keyword_enum! {
    /// What a link expects of its `TO` end when its `FROM` end improves.
    pub enum Expect {
        Improves = "improves",
        Worsens = "worsens",
    }
}

keyword_enum! {
    /// Where a link stands in the method: declared by its owners.
    pub enum LinkStatus {
        Hypothesized = "hypothesized",
        Testing = "testing",
        Confirmed = "confirmed",
        Refuted = "refuted",
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Link {
    pub from: String,
    pub to: String,
    pub hypothesis: Option<String>,
    pub expect: Expect,
    /// The lag in periods of the link's grain.
    pub lag: i64,
    pub grain: Grain,
    pub status: LinkStatus,
    /// `experiment:` as written: an experiment's name or a note.
    pub experiment: Option<String>,
    /// The experiment item `experiment:` names, when it names one (its
    /// verdict is the link's proof).
    pub experiment_item: Option<String>,
    pub min_periods: i64,
    /// `segments: DIM`: the evidence also per value of this dimension of
    /// both metrics.
    pub segments: Option<String>,
    /// The expected sign of the correlation of the raw values (+1 or -1),
    /// from `expect` and the directions of both metrics.
    pub expected_sign: i8,
    pub location: Location,
}

/// A controlled experiment that tests a link (LANGUAGE.md section 11).
#[derive(Clone, Debug, Serialize)]
pub struct Experiment {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub owner: String,
    /// The link it tests.
    pub tests: LinkEnds,
    /// More metrics analysed, after the link's two.
    pub guardrails: Vec<String>,
    /// The source with a row per assignment.
    pub assignments: String,
    /// The assignments' time column: when a unit was assigned.
    pub time: String,
    pub time_type: ScalarType,
    /// The column that identifies a unit, in the assignments and in every
    /// analysed metric's source.
    pub unit: String,
    /// The assignments' text column naming the variant.
    pub variant: String,
    pub control: String,
    /// Expected shares in percent, in the variants' sorted order; None:
    /// equal.
    pub split: Option<Vec<f64>>,
    /// First day of enrolment and last day analysed (inclusive).
    pub from: Date,
    pub until: Date,
    pub location: Location,
}

/// A link by its two ends.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkEnds {
    pub from: String,
    pub to: String,
}

impl Experiment {
    /// The metrics analysed: the link's two ends, then the guardrails.
    pub fn metrics(&self) -> impl Iterator<Item = &str> {
        [self.tests.from.as_str(), self.tests.to.as_str()]
            .into_iter()
            .chain(self.guardrails.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).expect("a date")
    }

    #[test]
    fn the_next_review_is_due_a_cadence_later_clamped_to_the_month_end() {
        assert_eq!(Review::Weekly.next_due(d("2026-12-29")), d("2027-01-05"));
        assert_eq!(Review::Monthly.next_due(d("2026-01-15")), d("2026-02-15"));
        assert_eq!(Review::Monthly.next_due(d("2026-01-31")), d("2026-02-28"));
        assert_eq!(Review::Monthly.next_due(d("2028-01-31")), d("2028-02-29"));
        assert_eq!(Review::Quarterly.next_due(d("2026-11-30")), d("2027-02-28"));
        assert_eq!(Review::Yearly.next_due(d("2028-02-29")), d("2029-02-28"));
    }
}
