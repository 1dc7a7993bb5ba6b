//! Query building: series, one-scan source queries, link evidence and
//! target status, as CTEs named after what they hold.

use std::cell::RefCell;
use std::fmt::Write;
use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::dialect::Dialect;
use super::evidence::{Parameters, Season, Statistics, POOLED, SEGMENT};
use super::kept::Kept;
use super::render::{number, EmulatedPercentile, ExprContext, ExprWriter};
use super::results::{
    LagColumn, PairColumn, SeriesColumn, TargetColumn, TargetStatus, LAG_PROFILE_MAX,
};
use super::{Options, Unsupported};
use crate::model::{Grain, Link, Measure, Metric, Model, ScalarType, Source, TExpr};

mod expectations;
mod kinds;

pub(super) use kinds::{followed_by_nodes, FlagColumns};

pub use expectations::{null_example_columns, EXAMPLES};

/// Where a metric's filter goes in a query.
#[derive(Clone, Copy)]
enum FilterAs<'a> {
    Where,
    Folded,
    /// Applied already (a window's join); this row condition is folded
    /// into every aggregate instead.
    Present(&'a str),
}

/// Internal names start with `_`, which no spec name can: no clash.
pub(super) const PERIOD: &str = "_period";
pub(super) const VALUE: &str = "_value";
/// A link's pairs, pooled; with segments, also grouped (see
/// [`super::evidence`]).
pub(super) const PAIRS: &str = "_pairs";
const GROUPED_PAIRS: &str = "_grouped_pairs";
pub(super) const LAGGED_PAIRS: &str = "_lagged_pairs";
pub(super) const LAG: &str = "_lag";

/// One CTE of a query, rendered (`  "name" AS (` ... `  )`).
#[derive(Clone)]
struct Cte {
    /// What it holds, e.g. `series m_1 week`: one key, one content.
    key: Rc<str>,
    name: Rc<str>,
    text: Rc<str>,
}

/// The CTEs of a series and everything it reads, in dependency order.
struct SeriesCtes {
    name: Rc<str>,
    ctes: Vec<Cte>,
}

/// Work the queries of one dialect share: a metric's series is in its own
/// query, in the query of every link it takes part in and in the target
/// query, and is built once.
#[derive(Default)]
pub(super) struct SharedCtes {
    series: RefCell<FxHashMap<String, Rc<SeriesCtes>>>,
    rows: RefCell<FxHashMap<String, Cte>>,
    /// The statistics of link evidence, by grain and whether the link has
    /// segments.
    link_statistics: RefCell<FxHashMap<StatisticsKey, Rc<[Cte]>>>,
    /// The verdict CTEs and final SELECT of a link's evidence, by where
    /// its parameters come from and how its pairs are grouped.
    link_verdicts: RefCell<FxHashMap<(Parameters, Grouping), Rc<Verdicts>>>,
}

/// A link's grain and how its pairs are grouped.
type StatisticsKey = (Grain, Grouping);

/// How the statistics of a link group its pairs: each grouping reads its
/// own relation of pairs, keyed by its own columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Grouping {
    /// One group: the link's evidence (`_pairs`).
    Pooled,
    /// The pooled pairs and each segment's (`_grouped_pairs`).
    Segments,
    /// The pairs at each lag of the lag profile (`_lagged_pairs`).
    Lags,
    /// Every link of a run at one grain (`_pairs` keyed by `_link`, each
    /// link's pooled pairs and its segments').
    Links,
    /// The lag profile of every link of a run at one grain
    /// (`_lagged_pairs` keyed by `_link` and `_lag`).
    LinkLags,
}

impl Grouping {
    pub(super) fn statistics(self, d: &'static dyn Dialect, grain: Grain) -> Statistics<'static> {
        use super::evidence::LINK;
        match self {
            Grouping::Pooled => Statistics::new(d, PAIRS, &[], false, grain),
            Grouping::Segments => Statistics::new(d, GROUPED_PAIRS, &[], true, grain),
            Grouping::Lags => Statistics::new(d, LAGGED_PAIRS, &[LAG], false, grain),
            Grouping::Links => Statistics::new(d, PAIRS, &[LINK], true, grain),
            Grouping::LinkLags => Statistics::new(d, LAGGED_PAIRS, &[LINK, LAG], false, grain),
        }
    }
}

/// Which group of a link a row of pairs belongs to, written as its leading
/// columns.
enum PairsKey<'a> {
    Pooled,
    /// `_pooled` = 0 and the value of this dimension as `_segment`.
    Segment(&'a str),
    /// `_lag`: the link's lag.
    Lag,
}

/// The parts of a SELECT of pairs (see [`QueryBuilder::pair`]).
pub(super) struct Pair {
    /// (value, quoted name): `_period`, `_before`, [`_season`], `_x`, `_y`.
    pub columns: Vec<(String, String)>,
    /// The join of the right series to the left one.
    pub on: String,
    /// The WHERE condition.
    pub condition: String,
}

/// The verdict CTEs (name, body) and the final SELECT of a link's
/// evidence.
type Verdicts = (Vec<(&'static str, String)>, String);

/// The CTE names of one query, by what they hold. A name is made from
/// spec names (`_series_<metric>__<grain>`), which may contain `__`
/// themselves, so two different CTEs can want one name: the later one
/// gets a numbered name instead.
#[derive(Default)]
struct Names {
    by_key: FxHashMap<Rc<str>, Rc<str>>,
    taken: FxHashSet<Rc<str>>,
}

impl Names {
    fn get(&self, key: &str) -> Option<&Rc<str>> {
        self.by_key.get(key)
    }

    /// A name for `key`: `preferred`, or `preferred_2`, `_3`... if taken.
    fn claim(&mut self, key: &str, preferred: String) -> Rc<str> {
        let mut name = preferred.clone();
        let mut n = 1;
        while self.taken.contains(name.as_str()) {
            n += 1;
            name = format!("{preferred}_{n}");
        }
        let name: Rc<str> = name.into();
        self.taken.insert(name.clone());
        self.by_key.insert(key.into(), name.clone());
        name
    }

    /// Whether `cte` can join this query as it is: its key is here under
    /// the same name, or neither is here.
    fn fits(&self, cte: &Cte) -> bool {
        match self.by_key.get(&cte.key) {
            Some(name) => *name == cte.name,
            None => !self.taken.contains(&cte.name),
        }
    }
}

pub(super) struct QueryBuilder<'m> {
    pub model: &'m Model,
    pub d: &'static dyn Dialect,
    options: Options,
    shared: &'m SharedCtes,
    /// What a run keeps on the database: series are read from there.
    kept: Option<&'m Kept>,
    /// Comment lines written before the query.
    header: String,
    ctes: Vec<Cte>,
    names: Names,
}

fn indent(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + sql.len() / 8);
    push_indented(&mut out, sql, &" ".repeat(by));
    out
}

/// Appends `sql` to `out` with every non-empty line prefixed by `pad` (and
/// no final line break). Literals never span lines (see
/// `Dialect::string`), so no literal is padded.
fn push_indented(out: &mut String, sql: &str, pad: &str) {
    for (i, line) in sql.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !line.is_empty() {
            out.push_str(pad);
            out.push_str(line);
        }
    }
}

/// The column of a kept scan counting the rows that pass its `i`-th
/// distinct filter (see [`QueryBuilder::kept_scan`]).
pub(super) fn scan_rows_column(i: usize) -> String {
    format!("_rows_{i}")
}

/// What identifies a series: its metric, grain and dimension.
pub(super) fn series_key(metric: &str, grain: Grain, by: Option<&str>) -> String {
    format!("series {metric} {} {}", grain.name(), by.unwrap_or(""))
}

/// The name a series' CTE prefers.
fn series_cte_name(metric: &Metric, grain: Grain, by: Option<&str>) -> String {
    let mut name = format!("_series_{}", metric.name);
    if grain != metric.grain {
        name.push_str(&format!("__{}", grain.name()));
    }
    if let Some(dim) = by {
        name.push_str(&format!("__by_{dim}"));
    }
    name
}

impl<'m> QueryBuilder<'m> {
    pub fn new(
        model: &'m Model,
        d: &'static dyn Dialect,
        options: &Options,
        shared: &'m SharedCtes,
        kept: Option<&'m Kept>,
    ) -> QueryBuilder<'m> {
        QueryBuilder {
            model,
            d,
            options: *options,
            shared,
            kept,
            header: String::new(),
            ctes: Vec::new(),
            names: Names::default(),
        }
    }

    /// Starts the query with these comment lines.
    pub fn with_header(mut self, header: String) -> QueryBuilder<'m> {
        self.header = header;
        self
    }

    fn id(&self, name: &str) -> String {
        self.d.ident(name)
    }

    /// The dialect it writes.
    pub(super) fn dialect(&self) -> &'static dyn Dialect {
        self.d
    }

    /// `  "name" AS (` and a line break, in a buffer with room for a body
    /// of `capacity` bytes: the body follows, indented by four spaces,
    /// then `\n  )`.
    fn open_cte(&self, name: &str, capacity: usize) -> String {
        let quoted = self.d.ident(name);
        let mut text = String::with_capacity(quoted.len() + capacity + 16);
        text.push_str("  ");
        text.push_str(&quoted);
        text.push_str(" AS (\n");
        text
    }

    /// Adds the CTE `name` (claimed for `key`) with this body.
    fn add(&mut self, key: &str, name: Rc<str>, body: &str) {
        let mut text = self.open_cte(&name, body.len() + body.len() / 4);
        push_indented(&mut text, body, "    ");
        text.push_str("\n  )");
        self.ctes.push(Cte {
            key: key.into(),
            name,
            text: text.into(),
        });
    }

    /// Claims a fixed internal name (`_pairs`, `_latest`...), which no CTE
    /// named after a spec name can take.
    fn claim_fixed(&mut self, name: &str) -> Rc<str> {
        let claimed = self.names.claim(name, name.to_string());
        debug_assert_eq!(&*claimed, name);
        claimed
    }

    /// Adds a CTE of a fixed internal name.
    pub(super) fn add_fixed(&mut self, name: &str, body: &str) {
        let claimed = self.claim_fixed(name);
        self.add(name, claimed, body);
    }

    /// Adds CTEs built by another query of this dialect; those already
    /// here are skipped. The caller has checked that they fit.
    fn merge(&mut self, ctes: &[Cte]) {
        for cte in ctes {
            if self.names.get(&cte.key).is_none() {
                self.names.taken.insert(cte.name.clone());
                self.names.by_key.insert(cte.key.clone(), cte.name.clone());
                self.ctes.push(cte.clone());
            }
        }
    }

    /// The header, then `WITH ... SELECT ...`
    pub fn finish(self, select: &str) -> String {
        self.finish_with(&[], select)
    }

    /// [`Self::finish`] with `more` CTEs after those added, written by the
    /// caller (see [`Self::cte_start`]).
    fn finish_with(self, more: &[String], select: &str) -> String {
        // One buffer: the target query of a large project is megabytes.
        let texts = || {
            self.ctes
                .iter()
                .map(|c| &*c.text)
                .chain(more.iter().map(String::as_str))
        };
        let size: usize = texts().map(|t| t.len() + 2).sum();
        let mut out = String::with_capacity(self.header.len() + size + select.len() + 8);
        out.push_str(&self.header);
        for (i, text) in texts().enumerate() {
            out.push_str(if i == 0 { "WITH\n" } else { ",\n" });
            out.push_str(text);
        }
        if size > 0 {
            out.push('\n');
        }
        out.push_str(select);
        out.push('\n');
        out
    }

    /// The start of a CTE of a fixed internal name written in place (see
    /// [`Self::open_cte`]), for [`Self::finish_with`].
    fn cte_start(&mut self, name: &str, capacity: usize) -> String {
        self.claim_fixed(name);
        self.open_cte(name, capacity)
    }

    /// The rows of a source with their period at `grain` (from `time`).
    fn rows(
        &mut self,
        source: &Source,
        time: &str,
        time_type: ScalarType,
        grain: Grain,
    ) -> Result<Rc<str>, Unsupported> {
        let key = format!("rows {} {time} {}", source.name, grain.name());
        if let Some(name) = self.names.get(&key) {
            return Ok(name.clone());
        }
        let built = self.shared.rows.borrow().get(&key).cloned();
        if let Some(cte) = built.filter(|cte| self.names.fits(cte)) {
            self.merge(std::slice::from_ref(&cte));
            return Ok(cte.name);
        }
        let table = self.table_of(source)?;
        let name = self.names.claim(
            &key,
            format!("_rows_{}__{}__{}", source.name, time, grain.name()),
        );
        let alias = self.id("_source");
        let time_sql = format!("{alias}.{}", self.id(time));
        let period = self.d.period_start(grain, &time_sql, time_type);
        let mut body = format!(
            "SELECT\n  {period} AS {},\n  {alias}.*\nFROM {table} AS {alias}\nWHERE {time_sql} IS NOT NULL",
            self.id(PERIOD),
        );
        if let Some(since) = self.options.since {
            body.push_str(&format!("\n  AND {period} >= {}", self.d.date(since)));
        }
        self.add(&key, name.clone(), &body);
        if let Some(cte) = self.ctes.last() {
            let mut cache = self.shared.rows.borrow_mut();
            cache.entry(key).or_insert_with(|| cte.clone());
        }
        Ok(name)
    }

    /// CTEs computing emulated percentiles over `rows`, partitioned by the
    /// period and the dimension.
    fn emulate_percentiles(
        &mut self,
        rows: &str,
        dim: Option<&str>,
        list: Vec<(String, EmulatedPercentile)>,
    ) {
        let r = self.id(rows);
        let mut keys = vec![format!("{r}.{}", self.id(PERIOD))];
        if let Some(dim) = dim {
            keys.push(format!("{r}.{}", self.id(dim)));
        }
        let partition = keys.join(", ");
        let key_names: Vec<String> = std::iter::once(self.id(PERIOD))
            .chain(dim.map(|d| self.id(d)))
            .collect();
        for (key, p) in list {
            let x = self.d.to_float(&p.value);
            let mut conditions = vec![format!("{} IS NOT NULL", p.value)];
            conditions.extend(p.condition.map(|c| format!("({c})")));
            let ranked_key = format!("{key} rows");
            let ranked = self.names.claim(&ranked_key, format!("{}_rows", p.cte));
            let body = format!(
                "SELECT\n  {partition},\n  {x} AS {xv},\n  ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {x}) - 1 AS {i},\n  COUNT(*) OVER (PARTITION BY {partition}) AS {n}\nFROM {r}\nWHERE {}",
                conditions.join(" AND "),
                xv = self.id("_x"),
                i = self.id("_i"),
                n = self.id("_n"),
            );
            self.add(&ranked_key, ranked.clone(), &body);
            // Linear interpolation between the two nearest values, as
            // PERCENTILE_CONT: position h = (n - 1) * p, counted from 0.
            let h = format!("({} - 1) * {}", self.id("_n"), number(p.fraction));
            let lo = self.d.floor(&h);
            let keys_list = key_names.join(", ");
            let inner = format!(
                "SELECT\n  {keys_list},\n  MAX(CASE WHEN {i} = {lo} THEN {xv} END) AS {lo_n},\n  MAX(CASE WHEN {i} = {lo} + 1 THEN {xv} END) AS {hi_n},\n  MAX({h} - {lo}) AS {frac}\nFROM {ranked_id}\nGROUP BY {keys_list}",
                i = self.id("_i"),
                xv = self.id("_x"),
                lo_n = self.id("_lo"),
                hi_n = self.id("_hi"),
                frac = self.id("_frac"),
                ranked_id = self.id(&ranked),
            );
            let body = format!(
                "SELECT\n  {keys_list},\n  {lo_n} + COALESCE({hi_n} - {lo_n}, 0) * {frac} AS {v}\nFROM (\n{}\n) AS {p_alias}",
                indent(&inner, 2),
                lo_n = self.id("_lo"),
                hi_n = self.id("_hi"),
                frac = self.id("_frac"),
                v = self.id("_v"),
                p_alias = self.id("_ranks"),
            );
            let name = self
                .names
                .get(&key)
                .expect("named by source_measure")
                .clone();
            self.add(&key, name, &body);
        }
    }

    fn percentile_joins(&self, rows: &str, dim: Option<&str>, ctes: &[String]) -> String {
        let r = self.id(rows);
        ctes.iter()
            .map(|cte| {
                let c = self.id(cte);
                let mut on = format!("{c}.{p} = {r}.{p}", p = self.id(PERIOD));
                if let Some(dim) = dim {
                    on.push_str(&format!(" AND {c}.{d} = {r}.{d}", d = self.id(dim)));
                }
                format!("\nLEFT JOIN {c} ON {on}")
            })
            .collect()
    }

    /// A source measure and its filter as SQL over the rows CTE, with the
    /// percentiles to emulate (and their keys), named `<prefix>N`,
    /// `<prefix>N+1`... from `first` = N, and keyed `<owner> percentile N`...
    /// The filter is either a WHERE clause of the query or folded into
    /// every aggregate (when metrics share a scan).
    fn source_measure(
        &mut self,
        rows: &str,
        expr: &TExpr,
        filter: Option<&TExpr>,
        filter_as: FilterAs,
        (owner, prefix, first): (&str, &str, usize),
    ) -> (Option<String>, String, Vec<(String, EmulatedPercentile)>) {
        let mut cx = self.source_context(rows, (expr, filter), (owner, prefix, first));
        let mut w = ExprWriter::new(&mut cx);
        let filter_sql = filter.map(|f| w.expr(f));
        match filter_as {
            FilterAs::Where => w.where_filter = filter_sql.clone(),
            FilterAs::Folded => w.fold_filter = filter_sql.clone(),
            FilterAs::Present(present) => w.fold_filter = Some(present.to_string()),
        }
        let value = w.expr(expr);
        let percentiles = std::mem::take(&mut w.percentiles);
        (
            filter_sql,
            value,
            cx.keys.into_iter().zip(percentiles).collect(),
        )
    }

    /// A row expression of a source measure (its filter) as SQL over
    /// `rows`, which carry the measure's `followed_by` flags.
    fn row_sql(&mut self, rows: &str, expr: &TExpr, row: &TExpr) -> String {
        let mut cx = self.source_context(rows, (expr, Some(row)), ("", "", 0));
        ExprWriter::new(&mut cx).expr(row)
    }

    /// How a source measure's expressions are written over `rows`: its
    /// `followed_by` flags numbered as [`Self::followed_rows`] numbers them
    /// (the measure's first, then those of `also`), its emulated
    /// percentiles named `<prefix>N` from `first`, keyed after `owner`.
    fn source_context<'q>(
        &'q mut self,
        rows: &str,
        (expr, also): (&TExpr, Option<&TExpr>),
        (owner, prefix, first): (&'q str, &'q str, usize),
    ) -> SourceMeasure<'q> {
        let followed =
            FlagColumns::of(&kinds::followed_by_nodes(std::iter::once(expr).chain(also)));
        SourceMeasure {
            d: self.d,
            rows: self.d.ident(rows),
            names: &mut self.names,
            owner,
            prefix,
            first,
            keys: Vec::new(),
            followed,
        }
    }

    /// A CTE with the series of `metric` at `grain` (`_period`, the
    /// dimension if any, `_value`); returns its name. A series is built
    /// once per dialect (see [`SharedCtes`]) and copied into each query
    /// that needs it.
    pub fn series(
        &mut self,
        metric: &Metric,
        grain: Grain,
        by: Option<&str>,
    ) -> Result<Rc<str>, Unsupported> {
        let key = series_key(&metric.name, grain, by);
        if let Some(name) = self.names.get(&key) {
            return Ok(name.clone());
        }
        if let Some(number) = self.kept.and_then(|k| k.number(&key)) {
            return Ok(self.kept_series(&key, metric, grain, by, number));
        }
        let built = self.shared.series.borrow().get(&key).cloned();
        let built = match built {
            Some(built) => built,
            None => {
                let mut alone =
                    QueryBuilder::new(self.model, self.d, &self.options, self.shared, self.kept);
                let name = alone.build_series(&key, metric, grain, by)?;
                let built = Rc::new(SeriesCtes {
                    name,
                    ctes: alone.ctes,
                });
                self.shared
                    .series
                    .borrow_mut()
                    .insert(key.clone(), built.clone());
                built
            }
        };
        if built.ctes.iter().all(|cte| self.names.fits(cte)) {
            self.merge(&built.ctes);
            return Ok(built.name.clone());
        }
        // Two different CTEs want one name here: build it anew, numbered.
        self.build_series(&key, metric, grain, by)
    }

    /// A CTE reading a series the run keeps (numbered `number` in
    /// [`Kept`]): the same columns as the one [`Self::build_series`] makes.
    fn kept_series(
        &mut self,
        key: &str,
        metric: &Metric,
        grain: Grain,
        by: Option<&str>,
        number: i64,
    ) -> Rc<str> {
        let name = self.names.claim(key, series_cte_name(metric, grain, by));
        let (p, v) = (self.id(PERIOD), self.id(VALUE));
        let mut columns = vec![p.clone()];
        if let Some(dim) = by {
            columns.push(format!("{} AS {}", self.id(SEGMENT), self.id(dim)));
        }
        columns.push(v);
        let body = format!(
            "SELECT {}\nFROM {}\nWHERE {} = {number}",
            columns.join(", "),
            self.id(super::kept::SERIES_TABLE),
            self.id(super::kept::KEY),
        );
        self.add(key, name.clone(), &body);
        name
    }

    /// Adds the CTEs of a series to this query.
    pub(super) fn build_series(
        &mut self,
        key: &str,
        metric: &Metric,
        grain: Grain,
        by: Option<&str>,
    ) -> Result<Rc<str>, Unsupported> {
        let preferred = series_cte_name(metric, grain, by);
        match &metric.measure {
            Measure::Source {
                source,
                time,
                time_type,
                expr,
                filter,
            } => self.source_series(
                (key, &preferred),
                metric,
                (source, time, *time_type),
                (expr, filter.as_ref()),
                (grain, by),
            ),
            Measure::Derived { expr, .. } => {
                // Each input as read: a metric, or its series `periods`
                // earlier (`prior`).
                let mut input_ctes = Vec::new();
                for (input, periods) in expr.reads() {
                    let m = self
                        .model
                        .metric(input)
                        .expect("the model resolves metrics");
                    let series = self.series(m, grain, None)?;
                    let cte = match periods {
                        0 => series,
                        periods => self.shifted(&series, (input, grain), periods),
                    };
                    input_ctes.push(((input.to_string(), periods), cte));
                }
                let (series_key, series_name) = core_name(metric, key, &preferred);
                let name = self.names.claim(&series_key, series_name);
                let mut cx = DerivedMeasure {
                    d: self.d,
                    inputs: &input_ctes,
                };
                let value = ExprWriter::new(&mut cx).expr(expr);
                let first = self.id(&input_ctes[0].1);
                let mut from = first.clone();
                for (_, cte) in input_ctes.iter().skip(1) {
                    let c = self.id(cte);
                    if !from.contains(&format!("JOIN {c} ")) && c != first {
                        from.push_str(&format!(
                            "\nJOIN {c} ON {c}.{p} = {first}.{p}",
                            p = self.id(PERIOD)
                        ));
                    }
                }
                let body = format!(
                    "SELECT\n  {first}.{p} AS {p},\n  {value} AS {v}\nFROM {from}",
                    p = self.id(PERIOD),
                    v = self.id(VALUE)
                );
                self.add(&series_key, name.clone(), &body);
                Ok(self.with_fill(metric, key, &preferred, name, (grain, None)))
            }
        }
    }

    /// A source measure's series (before `fill`): its rows, with the
    /// `followed_by` flags, a snapshot's or a window's rows, aggregated per
    /// period.
    fn source_series(
        &mut self,
        (key, preferred): (&str, &str),
        metric: &Metric,
        (source, time, time_type): (&str, &str, ScalarType),
        (expr, filter): (&TExpr, Option<&TExpr>),
        (grain, by): (Grain, Option<&str>),
    ) -> Result<Rc<str>, Unsupported> {
        let source = self
            .model
            .source(source)
            .expect("the model resolves sources");
        let mut rows = self.rows(source, time, time_type, grain)?;
        let followed = kinds::followed_by_nodes(std::iter::once(expr).chain(filter));
        if !followed.is_empty() {
            rows = self.followed_rows(key, preferred, &rows, (time, time_type), &followed)?;
        }
        // A window or a snapshot applies the filter to the rows
        // before it picks them.
        let row_filter = filter.map(|f| self.row_sql(&rows, expr, f));
        if let (Some(window), Some((arg, own, factor))) =
            (metric.window, kinds::lone_count_distinct(expr))
        {
            if kinds::aligned(window, grain) {
                let x = self.row_sql(&rows, expr, arg);
                let own = own.map(|f| self.row_sql(&rows, expr, f));
                let (series_key, series_name) = core_name(metric, key, preferred);
                let name = self.names.claim(&series_key, series_name);
                self.windowed_distinct(
                    (&series_key, name.clone()),
                    preferred,
                    &rows,
                    (x, own, factor),
                    row_filter.as_deref(),
                    (window, grain),
                    by,
                );
                return Ok(self.with_fill(metric, key, preferred, name, (grain, by)));
            }
        }
        let (rows, filter, windowed) = match (metric.window, metric.snapshot) {
            (Some(window), _) => {
                let mut columns: Vec<String> =
                    source.columns.iter().map(|c| c.name.clone()).collect();
                columns.extend((1..=followed.len()).map(kinds::followed_column));
                let distinct = kinds::distinct_columns(expr, &columns);
                let windowed = self.window_rows(
                    key,
                    preferred,
                    (&rows, &columns, distinct.as_deref()),
                    (time, time_type),
                    (window, grain),
                    row_filter.as_deref(),
                    by,
                );
                (windowed, None, true)
            }
            (None, Some(snapshot)) => {
                let picked = self.snapshot_rows(
                    key,
                    preferred,
                    &rows,
                    (time, snapshot),
                    row_filter.as_deref(),
                    by,
                );
                (picked, None, false)
            }
            (None, None) => (rows, filter, false),
        };
        let present = format!("{}.{} = 1", self.id(&rows), self.id(kinds::PRESENT));
        let filter_as = if windowed {
            FilterAs::Present(&present)
        } else {
            FilterAs::Where
        };
        let (series_key, series_name) = core_name(metric, key, preferred);
        let name = self.names.claim(&series_key, series_name);
        let (filter_sql, value, percentiles) = self.source_measure(
            &rows,
            expr,
            filter,
            filter_as,
            (key, &format!("{name}_percentile_"), 1),
        );
        let pct_names: Vec<String> = percentiles.iter().map(|(_, p)| p.cte.clone()).collect();
        self.emulate_percentiles(&rows, by, percentiles);
        let r = self.id(&rows);
        let mut select = vec![format!("{r}.{p} AS {p}", p = self.id(PERIOD))];
        let mut group = vec![format!("{r}.{}", self.id(PERIOD))];
        if let Some(dim) = by {
            select.push(format!("{r}.{d} AS {d}", d = self.id(dim)));
            group.push(format!("{r}.{}", self.id(dim)));
        }
        select.push(format!("{value} AS {}", self.id(VALUE)));
        let mut body = format!(
            "SELECT\n  {}\nFROM {r}{}",
            select.join(",\n  "),
            self.percentile_joins(&rows, by, &pct_names)
        );
        if let Some(f) = filter_sql {
            body.push_str(&format!("\nWHERE {f}"));
        }
        body.push_str(&format!("\nGROUP BY {}", group.join(", ")));
        self.add(&series_key, name.clone(), &body);
        Ok(self.with_fill(metric, key, preferred, name, (grain, by)))
    }

    /// The series `core` with the metric's `fill` applied (under `key`, the
    /// series' own), or `core` itself.
    fn with_fill(
        &mut self,
        metric: &Metric,
        key: &str,
        preferred: &str,
        core: Rc<str>,
        (grain, by): (Grain, Option<&str>),
    ) -> Rc<str> {
        match metric.fill {
            Some(fill) => {
                let filled = self.names.claim(key, preferred.to_string());
                self.filled((key, filled), preferred, &core, (grain, by), fill)
            }
            None => core,
        }
    }

    /// A series `periods` periods later: `prior(metric, periods)` read on
    /// the period it is compared with.
    fn shifted(&mut self, series: &str, (metric, grain): (&str, Grain), periods: i64) -> Rc<str> {
        let key = format!("prior {metric} {} {periods}", grain.name());
        if let Some(name) = self.names.get(&key) {
            return name.clone();
        }
        let name = self.names.claim(
            &key,
            format!("_prior_{metric}__{}__{periods}", grain.name()),
        );
        let s = self.id(series);
        let (p, v) = (self.id(PERIOD), self.id(VALUE));
        let body = format!(
            "SELECT\n  {} AS {p},\n  {s}.{v} AS {v}\nFROM {s}",
            self.d.add_periods(&format!("{s}.{p}"), grain, periods)
        );
        self.add(&key, name.clone(), &body);
        name
    }

    /// The series query of a metric: `period`, [dimension], `value`.
    pub fn series_query(
        mut self,
        metric: &Metric,
        by: Option<&str>,
    ) -> Result<String, Unsupported> {
        let cte = self.series(metric, metric.grain, by)?;
        let c = self.id(&cte);
        let mut columns = vec![format!(
            "{c}.{} AS {}",
            self.id(PERIOD),
            self.id(SeriesColumn::Period.name())
        )];
        if let Some(dim) = by {
            columns.push(format!("{c}.{d} AS {d}", d = self.id(dim)));
        }
        columns.push(format!(
            "{c}.{} AS {}",
            self.id(VALUE),
            self.id(SeriesColumn::Value.name())
        ));
        let order = if by.is_some() { "1, 2" } else { "1" };
        let select = format!(
            "SELECT\n  {}\nFROM {c}\nWHERE {c}.{} IS NOT NULL\nORDER BY {order}",
            columns.join(",\n  "),
            self.id(VALUE)
        );
        Ok(self.finish(&select))
    }

    /// One scan of a source computing every metric on it with this grain
    /// and time column: one column per metric.
    pub fn source_scan(
        mut self,
        source: &Source,
        time: &str,
        time_type: ScalarType,
        grain: Grain,
        metrics: &[&Metric],
    ) -> Result<String, Unsupported> {
        let rows = self.rows(source, time, time_type, grain)?;
        let r = self.id(&rows);
        let period = format!(
            "{r}.{} AS {}",
            self.id(PERIOD),
            self.id(SeriesColumn::Period.name())
        );
        let (columns, joins, _) = self.scan_columns(&rows, None, metrics, false);
        let select = format!(
            "SELECT\n  {period},\n  {}\nFROM {r}{joins}\nGROUP BY {r}.{}\nORDER BY 1",
            columns.join(",\n  "),
            self.id(PERIOD)
        );
        Ok(self.finish(&select))
    }

    /// The scan a run keeps (see [`super::kept`]): [`Self::source_scan`]
    /// with `_period`, per value of the dimension `by` (as `_segment`) when
    /// there is one, each metric's value as a double, and the number of
    /// rows that pass each distinct filter (`_rows_<i>`): a period where
    /// none passes a metric's has no value, where one does a value that
    /// may be NULL. Also returns each metric's rows column.
    pub fn kept_scan(
        mut self,
        source: &Source,
        (time, time_type): (&str, ScalarType),
        grain: Grain,
        by: Option<&str>,
        metrics: &[&Metric],
    ) -> Result<(String, Vec<String>), Unsupported> {
        let rows = self.rows(source, time, time_type, grain)?;
        let r = self.id(&rows);
        let p = self.id(PERIOD);
        let mut keys = vec![format!("{r}.{p}")];
        let mut select = vec![format!("{r}.{p} AS {p}")];
        if let Some(dim) = by {
            let column = format!("{r}.{}", self.id(dim));
            select.push(format!(
                "{} AS {}",
                self.d.to_text(&column),
                self.id(SEGMENT)
            ));
            keys.push(column);
        }
        let (columns, joins, rows_columns) = self.scan_columns(&rows, by, metrics, true);
        select.extend(columns);
        let select = format!(
            "SELECT\n  {}\nFROM {r}{joins}\nGROUP BY {}",
            select.join(",\n  "),
            keys.join(", ")
        );
        Ok((self.finish(&select), rows_columns))
    }

    /// The columns of a scan, one per metric named after it (and with
    /// `presence`, the `_rows_<i>` of [`Self::kept_scan`]), the joins of
    /// its emulated percentiles, and with `presence` the rows column of
    /// each metric.
    fn scan_columns(
        &mut self,
        rows: &str,
        by: Option<&str>,
        metrics: &[&Metric],
        presence: bool,
    ) -> (Vec<String>, String, Vec<String>) {
        let mut columns = Vec::new();
        let mut counts: FxHashMap<String, String> = FxHashMap::default();
        let mut rows_columns = Vec::new();
        let mut all_percentiles = Vec::new();
        for metric in metrics {
            let Measure::Source { expr, filter, .. } = &metric.measure else {
                continue;
            };
            let (filter_sql, value, percentiles) = self.source_measure(
                rows,
                expr,
                filter.as_ref(),
                FilterAs::Folded,
                ("scan", "_percentile_", all_percentiles.len() + 1),
            );
            all_percentiles.extend(percentiles);
            if !presence {
                // A period where no row passes the metric's filter has no
                // value.
                let value = match &filter_sql {
                    Some(f) => {
                        format!("CASE WHEN COUNT(CASE WHEN {f} THEN 1 END) > 0 THEN {value} END")
                    }
                    None => value,
                };
                columns.push(format!("{value} AS {}", self.id(&metric.name)));
                continue;
            }
            // Kept values are doubles, as the pairs read them; a period
            // where no row passes the filter is left out by its count, so
            // the value needs no guard (which would double the aggregates).
            columns.push(format!(
                "{} AS {}",
                self.d.to_float(&value),
                self.id(&metric.name)
            ));
            // One count per distinct filter: metrics often share one.
            let rows = match filter_sql {
                Some(f) => format!("COUNT(CASE WHEN {f} THEN 1 END)"),
                None => "COUNT(*)".to_string(),
            };
            let next = counts.len();
            let name = counts.entry(rows.clone()).or_insert_with(|| {
                let name = scan_rows_column(next);
                columns.push(format!("{rows} AS {}", self.d.ident(&name)));
                name
            });
            rows_columns.push(name.clone());
        }
        let pct_names: Vec<String> = all_percentiles.iter().map(|(_, p)| p.cte.clone()).collect();
        self.emulate_percentiles(rows, by, all_percentiles);
        (
            columns,
            self.percentile_joins(rows, by, &pct_names),
            rows_columns,
        )
    }

    /// The evidence query of a link (LANGUAGE.md section 9): the pooled
    /// row, then one row per segment when the link has `segments`.
    pub fn link_query(mut self, link: &Link) -> Result<String, Unsupported> {
        self.link_pairs(link)?;
        let grouping = match &link.segments {
            Some(dim) => {
                self.link_segment_pairs(link, dim)?;
                Grouping::Segments
            }
            None => Grouping::Pooled,
        };
        self.add_statistics(link.grain, grouping);
        let shared = self.shared;
        let parameters = Parameters::Link {
            expected_sign: link.expected_sign,
            min_periods: link.min_periods,
        };
        let verdict_key = (parameters, grouping);
        let cached = shared.link_verdicts.borrow().get(&verdict_key).cloned();
        let verdicts = cached.unwrap_or_else(|| {
            let verdicts = Rc::new(grouping.statistics(self.d, link.grain).verdicts(parameters));
            shared
                .link_verdicts
                .borrow_mut()
                .insert(verdict_key, verdicts.clone());
            verdicts
        });
        let (ctes, select) = &*verdicts;
        for (name, body) in ctes {
            self.add_fixed(name, body);
        }
        Ok(self.finish(select))
    }

    /// Adds the statistics CTEs of section 9 (see [`Statistics::ctes`])
    /// for a grouping of a link's pairs. They depend on the link only
    /// through its grain: built once per dialect for each grouping.
    pub(super) fn add_statistics(&mut self, grain: Grain, grouping: Grouping) {
        let shared = self.shared;
        let key = (grain, grouping);
        let cached = shared.link_statistics.borrow().get(&key).cloned();
        let statistics = cached.unwrap_or_else(|| {
            let mut alone = QueryBuilder::new(self.model, self.d, &self.options, shared, self.kept);
            for (name, body) in grouping.statistics(self.d, grain).ctes() {
                alone.add_fixed(name, &body);
            }
            let ctes: Rc<[Cte]> = alone.ctes.into();
            shared
                .link_statistics
                .borrow_mut()
                .insert(key, ctes.clone());
            ctes
        });
        debug_assert!(statistics.iter().all(|cte| self.names.fits(cte)));
        self.merge(&statistics);
    }

    /// The correlation of a link's differences at lags 0 to
    /// `LAG_PROFILE_MAX` (`LagColumn`): the same statistics, keyed by lag.
    pub fn lag_profile_query(mut self, link: &Link) -> Result<String, Unsupported> {
        let mut union = String::new();
        for lag in 0..=LAG_PROFILE_MAX {
            let at_lag = Link {
                lag,
                ..link.clone()
            };
            let body = self.pairs_body(&at_lag, PairsKey::Lag)?;
            if lag > 0 {
                union.push_str("\nUNION ALL\n");
            }
            union.push_str(&body);
        }
        self.add_fixed(LAGGED_PAIRS, &union);
        self.add_statistics(link.grain, Grouping::Lags);
        let select = self.lags_select(&[]);
        Ok(self.finish(&select))
    }

    /// The SELECT of [`LagColumn`] (led by the `outer` keys) from the
    /// correlations of `_lagged_pairs`, by lag.
    pub(super) fn lags_select(&self, outer: &[&str]) -> String {
        let id = |s: &str| self.d.ident(s);
        let c = id("_correlations");
        let mut columns: Vec<String> = outer
            .iter()
            .map(|k| format!("{c}.{k} AS {k}", k = id(k)))
            .collect();
        for (column, name) in [
            (LAG, LagColumn::Lag),
            ("_n", LagColumn::N),
            (LagColumn::RDiff.name(), LagColumn::RDiff),
        ] {
            columns.push(format!("{c}.{} AS {}", id(column), id(name.name())));
        }
        let order: Vec<String> = (1..=outer.len() + 1).map(|i| i.to_string()).collect();
        format!(
            "SELECT\n  {}\nFROM {c}\nORDER BY {}",
            columns.join(",\n  "),
            order.join(", ")
        )
    }

    /// The pairs behind a link's evidence: `period` (of the left metric),
    /// `x` (its value) and `y` (the right metric's value `lag` periods
    /// later), oldest first.
    pub fn link_pairs_query(mut self, link: &Link) -> Result<String, Unsupported> {
        self.link_pairs(link)?;
        self.add_statistics(link.grain, Grouping::Pooled);
        let select = self.pairs_select(&[], false);
        Ok(self.finish(&select))
    }

    /// The SELECT of [`PairColumn`] (led by the `outer` keys) from `_pairs`
    /// and the changes in `_centred`, joined on the keys and the period,
    /// oldest first; with `segmented` keys, the pooled pairs only.
    pub(super) fn pairs_select(&self, outer: &[&str], segmented: bool) -> String {
        let id = |s: &str| self.d.ident(s);
        let (pairs, centred) = (id(PAIRS), id("_centred"));
        let mut keys: Vec<&str> = outer.to_vec();
        if segmented {
            keys.extend([POOLED, SEGMENT]);
        }
        keys.push(PERIOD);
        let on: Vec<String> = keys
            .iter()
            .map(|k| format!("{centred}.{k} = {pairs}.{k}", k = id(k)))
            .collect();
        let mut columns: Vec<String> = outer
            .iter()
            .map(|k| format!("{pairs}.{k} AS {k}", k = id(k)))
            .collect();
        for (from, column, name) in [
            (&pairs, PERIOD, PairColumn::Period),
            (&pairs, "_x", PairColumn::X),
            (&pairs, "_y", PairColumn::Y),
            (&centred, "_u", PairColumn::U),
            (&centred, "_v", PairColumn::V),
        ] {
            columns.push(format!("{from}.{} AS {}", id(column), id(name.name())));
        }
        let filter = match segmented {
            true => format!(
                "\nWHERE {pairs}.{} = 1 AND {pairs}.{} IS NOT NULL",
                id(POOLED),
                id("_x")
            ),
            false => String::new(),
        };
        let order: Vec<String> = (1..=outer.len() + 1).map(|i| i.to_string()).collect();
        format!(
            "SELECT\n  {}\nFROM {pairs}\nLEFT JOIN {centred} ON {}{filter}\nORDER BY {}",
            columns.join(",\n  "),
            on.join(" AND "),
            order.join(", ")
        )
    }

    /// Adds `_pairs`: the left metric's value and the right metric's value
    /// `lag` periods later, for every period where both exist and the later
    /// one has ended by today (section 9), with the period before
    /// (`_before`) and, at month and quarter grain, the month of the year
    /// (`_season`: at quarter grain, the quarter's first month).
    fn link_pairs(&mut self, link: &Link) -> Result<(), Unsupported> {
        let body = self.pairs_body(link, PairsKey::Pooled)?;
        self.add_fixed(PAIRS, &body);
        Ok(())
    }

    /// Adds `_grouped_pairs`: the pooled pairs (`_pooled` = 1) and each
    /// segment's (`_pooled` = 0, `_segment` the value of `dim` as text).
    /// Rows whose dimension value is NULL belong to no segment.
    fn link_segment_pairs(&mut self, link: &Link, dim: &str) -> Result<(), Unsupported> {
        let by_segment = self.pairs_body(link, PairsKey::Segment(dim))?;
        let id = |s: &str| self.d.ident(s);
        let pairs = id(PAIRS);
        let mut pooled = format!(
            "SELECT\n  1 AS {},\n  {} AS {},\n  {pairs}.*\nFROM {pairs}",
            id(POOLED),
            self.d.string(""),
            id(SEGMENT),
        );
        pooled.push_str("\nUNION ALL\n");
        pooled.push_str(&by_segment);
        self.add_fixed(GROUPED_PAIRS, &pooled);
        Ok(())
    }

    /// The SELECT of a link's pairs, led by the columns of `key`; per
    /// value of the dimension of a `PairsKey::Segment`.
    fn pairs_body(&mut self, link: &Link, key: PairsKey) -> Result<String, Unsupported> {
        let dim = match key {
            PairsKey::Segment(dim) => Some(dim),
            PairsKey::Pooled | PairsKey::Lag => None,
        };
        let from = self.model.metric(&link.from).expect("resolved");
        let to = self.model.metric(&link.to).expect("resolved");
        let x = self.series(from, link.grain, dim)?;
        let y = self.series(to, link.grain, dim)?;
        let id = |s: &str| self.d.ident(s);
        let (xs, ys) = (id(&x), id(&y));
        let pair = self.pair(link.grain, link.lag, &xs, &ys);
        let mut columns = Vec::new();
        let mut on = pair.on;
        if let PairsKey::Lag = key {
            columns.push(format!("{} AS {}", link.lag, id(LAG)));
        }
        if let Some(dim) = dim {
            let d = id(dim);
            columns.push(format!("0 AS {}", id(POOLED)));
            columns.push(format!(
                "{} AS {}",
                self.d.to_text(&format!("{xs}.{d}")),
                id(SEGMENT)
            ));
            on.push_str(&format!(" AND {ys}.{d} = {xs}.{d}"));
        }
        columns.extend(
            pair.columns
                .iter()
                .map(|(value, name)| format!("{value} AS {name}")),
        );
        Ok(format!(
            "SELECT\n  {}\nFROM {xs}\nJOIN {ys} ON {on}\nWHERE {}",
            columns.join(",\n  "),
            pair.condition,
        ))
    }

    /// A row of pairs (section 9) from the left metric's series `xs` and
    /// the right one's `ys` (relations with `_period` and `_value`, quoted):
    /// the right value `lag` periods later, both values present, and that
    /// later period ended by today. Every relation of pairs is made here.
    pub(super) fn pair(&self, grain: Grain, lag: i64, xs: &str, ys: &str) -> Pair {
        let id = |s: &str| self.d.ident(s);
        let (p, v) = (id(PERIOD), id(VALUE));
        let later = self.d.add_periods(&format!("{xs}.{p}"), grain, lag);
        let complete = self.d.period_is_complete(grain, &later, &self.today());
        let mut columns = vec![
            (format!("{xs}.{p}"), p.clone()),
            (
                self.d.add_periods(&format!("{xs}.{p}"), grain, -1),
                id("_before"),
            ),
        ];
        if Season::of(grain).is_some() {
            columns.push((self.d.month_of_year(&format!("{xs}.{p}")), id("_season")));
        }
        columns.push((self.d.to_float(&format!("{xs}.{v}")), id("_x")));
        columns.push((self.d.to_float(&format!("{ys}.{v}")), id("_y")));
        Pair {
            columns,
            on: format!("{ys}.{p} = {later}"),
            condition: format!("{xs}.{v} IS NOT NULL AND {ys}.{v} IS NOT NULL AND {complete}"),
        }
    }

    /// Today: `as_of`, or the engine's current date.
    fn today(&self) -> String {
        self.options
            .as_of
            .map_or_else(|| self.d.current_date().to_string(), |d| self.d.date(d))
    }

    /// For each metric with a target active on its latest complete period
    /// (the last one that ended on or before `as_of` and has a value): the
    /// value, the range and the status.
    pub fn targets_query(mut self) -> Result<String, Unsupported> {
        let today = self.today();
        let id = |s: &str| self.d.ident(s);
        let (p, v) = (id(PERIOD), id(VALUE));
        let (metric_c, last_c) = (id(TargetColumn::Metric.name()), id("_last_day"));
        let (low_c, high_c) = (id(TargetColumn::Low.name()), id(TargetColumn::High.name()));
        let (from_c, until_c, direction_c) = (id("_from"), id("_until"), id("_direction"));
        let model = self.model;
        // A run's query covers the metrics it keeps (those it shows).
        let with_targets: Vec<&Metric> = model
            .metrics
            .iter()
            .filter(|m| !m.targets.is_empty())
            .filter(|m| {
                self.kept
                    .is_none_or(|k| k.number(&series_key(&m.name, m.grain, None)).is_some())
            })
            .collect();
        let mut series = Vec::with_capacity(with_targets.len());
        for metric in &with_targets {
            series.push(self.series(metric, metric.grain, None)?);
        }
        // Thousands of SELECTs, each written once, indented, into the CTE
        // text (a few MB for a large project: no copies, no regrowth).
        let mut scratch = String::new();
        let mut latest = self.cte_start("_latest", with_targets.len() * 700);
        let mut targets = self.cte_start("_targets", with_targets.len() * 400);
        // Between two SELECTs, not before the first (just after `AS (`).
        let union = |sql: &mut String| {
            if !sql.ends_with(" AS (\n") {
                sql.push_str("\n    UNION ALL\n");
            }
        };
        for (metric, cte) in with_targets.iter().zip(&series) {
            let c = id(cte);
            let start = format!("{c}.{p}");
            let end = self.d.add_periods(&start, metric.grain, 1);
            let last = self.d.add_periods(&end, Grain::Day, -1);
            let complete = self.d.period_is_complete(metric.grain, &start, &today);
            let name = self.d.string(&metric.name);
            scratch.clear();
            let _ = write!(
                scratch,
                "SELECT\n  {name} AS {metric_c},\n  {c}.{p} AS {p},\n  {last} AS {last_c},\n  {c}.{v} AS {v}\nFROM {c}\nWHERE {c}.{p} = (\n  SELECT MAX({c}.{p}) FROM {c} WHERE {c}.{v} IS NOT NULL AND {complete}\n)",
            );
            union(&mut latest);
            push_indented(&mut latest, &scratch, "    ");
            let direction = metric.direction.sign();
            for t in &metric.targets {
                scratch.clear();
                let _ = write!(
                    scratch,
                    "SELECT {name} AS {metric_c}, {} AS {low_c}, {} AS {high_c}, {} AS {from_c}, {} AS {until_c}, {direction} AS {direction_c}",
                    number(t.low),
                    number(t.high),
                    self.d.date(t.from),
                    self.d.date(t.until),
                );
                union(&mut targets);
                push_indented(&mut targets, &scratch, "    ");
            }
        }
        if with_targets.is_empty() {
            // No metric has a target: an empty result with the same columns.
            let (empty, today) = (self.d.string(""), self.d.current_date());
            let _ = write!(
                latest,
                "    SELECT {empty} AS {metric_c}, {today} AS {p}, {today} AS {last_c}, {} AS {v} WHERE 1 = 0",
                number(0.0)
            );
            let _ = write!(
                targets,
                "    SELECT {empty} AS {metric_c}, {zero} AS {low_c}, {zero} AS {high_c}, {today} AS {from_c}, {today} AS {until_c}, 1 AS {direction_c}",
                zero = number(0.0),
            );
        }
        latest.push_str("\n  )");
        targets.push_str("\n  )");
        let (l, t) = (id("_latest"), id("_targets"));
        let value = format!("{l}.{v}");
        let (low, high) = (format!("{t}.{low_c}"), format!("{t}.{high_c}"));
        let dir = format!("{t}.{direction_c}");
        let select = format!(
            "SELECT\n  {l}.{metric_c} AS {metric_c},\n  {l}.{p} AS {period},\n  {value} AS {value_c},\n  {low} AS {low_c},\n  {high} AS {high_c},\n  CASE WHEN {value} < {low} THEN {below} WHEN {value} > {high} THEN {above} ELSE {within} END AS {status},\n  ({value} >= {low} AND {value} <= {high}) OR ({value} < {low} AND {dir} < 0) OR ({value} > {high} AND {dir} > 0) AS {good}\nFROM {l}\nJOIN {t} ON {t}.{metric_c} = {l}.{metric_c} AND {t}.{from_c} <= {l}.{last_c} AND {t}.{until_c} >= {l}.{last_c}\nORDER BY 1",
            period = id(TargetColumn::Period.name()),
            value_c = id(TargetColumn::Value.name()),
            status = id(TargetColumn::Status.name()),
            good = id(TargetColumn::Good.name()),
            below = self.d.string(TargetStatus::Below.name()),
            above = self.d.string(TargetStatus::Above.name()),
            within = self.d.string(TargetStatus::Within.name()),
        );
        Ok(self.finish_with(&[latest, targets], &select))
    }
}

/// A source measure's expressions: columns of the rows CTE; emulated
/// percentiles named after their series and claimed in the query.
struct SourceMeasure<'q> {
    d: &'static dyn Dialect,
    /// The rows CTE, quoted.
    rows: String,
    names: &'q mut Names,
    owner: &'q str,
    prefix: &'q str,
    /// The number of the first percentile CTE.
    first: usize,
    /// The keys of the percentile CTEs claimed, in order.
    keys: Vec<String>,
    /// The columns of the `followed_by` flags the rows carry.
    followed: FlagColumns,
}

impl ExprContext for SourceMeasure<'_> {
    fn dialect(&self) -> &'static dyn Dialect {
        self.d
    }

    fn column(&self, name: &str) -> String {
        let name = self.d.ident(name);
        let mut column = String::with_capacity(self.rows.len() + 1 + name.len());
        column.push_str(&self.rows);
        column.push('.');
        column.push_str(&name);
        column
    }

    fn followed_by(&mut self, e: &TExpr) -> String {
        self.column(&self.followed.column(e))
    }

    fn percentile_name(&mut self, _: usize) -> String {
        let n = self.first + self.keys.len();
        let key = format!("{} percentile {n}", self.owner);
        let name = self.names.claim(&key, format!("{}{n}", self.prefix));
        self.keys.push(key);
        name.to_string()
    }
}

/// A derived measure's expressions: each metric is the value column of
/// its series CTE (a derived measure has no columns and no aggregates).
struct DerivedMeasure<'q> {
    d: &'static dyn Dialect,
    /// ((metric, periods before), its series CTE, shifted by those).
    inputs: &'q [((String, i64), Rc<str>)],
}

impl DerivedMeasure<'_> {
    fn read(&self, name: &str, periods: i64) -> String {
        let cte = &self
            .inputs
            .iter()
            .find(|((i, p), _)| i == name && *p == periods)
            .expect("an input")
            .1;
        format!("{}.{}", self.d.ident(cte), self.d.ident(VALUE))
    }
}

impl ExprContext for DerivedMeasure<'_> {
    fn dialect(&self) -> &'static dyn Dialect {
        self.d
    }

    fn metric(&self, name: &str) -> String {
        self.read(name, 0)
    }

    fn prior(&self, metric: &str, periods: i64) -> String {
        self.read(metric, periods)
    }
}

/// The key and preferred name of a series before its `fill` (the series'
/// own when it has none).
fn core_name(metric: &Metric, key: &str, preferred: &str) -> (String, String) {
    match metric.fill {
        Some(_) => (format!("{key} unfilled"), format!("{preferred}_unfilled")),
        None => (key.to_string(), preferred.to_string()),
    }
}

/// Flattens text for a `--` comment line (no line breaks can escape it).
pub fn comment_text(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
