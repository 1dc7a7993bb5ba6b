//! Series: a metric's values per period as CTEs named after what they
//! hold (its rows, emulated percentiles, the kinds of `kinds`, `fill`,
//! `prior`), built once per dialect and copied into each query that reads
//! them. [`QueryBuilder`] is where every query starts: the products
//! (`scans`, `links`, `targets`, `expectations`, `experiment`, `effects`)
//! read series through it and write their own CTEs into its [`Query`].

use std::cell::RefCell;
use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::dialect::Dialect;
use super::evidence::{Grouping, Parameters, StatisticsKey, Verdicts};
use super::query::{indent, Cte, Names, Query};
use super::render::{number, EmulatedPercentile, ExprContext, ExprWriter};
use super::{Options, Unsupported};
use crate::model::{Grain, Measure, Metric, Model, ScalarType, Source, TExpr};

mod kinds;

pub(super) use kinds::{followed_by_nodes, FlagColumns};

/// Where a metric's filter goes in a query.
#[derive(Clone, Copy)]
pub(super) enum FilterAs<'a> {
    Where,
    Folded,
    /// Applied already (a window's join); this row condition is folded
    /// into every aggregate instead.
    Present(&'a str),
}

/// Internal names start with `_`, which no spec name can: no clash.
pub(super) const PERIOD: &str = "_period";
pub(super) const VALUE: &str = "_value";
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
    pub(super) link_statistics: RefCell<FxHashMap<StatisticsKey, Rc<[Cte]>>>,
    /// The verdict CTEs and final SELECT of a link's evidence, by where
    /// its parameters come from and how its pairs are grouped.
    pub(super) link_verdicts: RefCell<FxHashMap<(Parameters, Grouping), Rc<Verdicts>>>,
}

/// Where a query reads a metric's series and a source's rows: from the
/// source's own table ([`FromSources`], `cpic sql`), or from what a run
/// keeps on the database (`kept::Kept`). The run passes it in, so that
/// building a query never knows about the run.
pub(super) trait SeriesOrigin {
    /// The body of a CTE that reads the series `key` (see [`series_key`])
    /// with the columns a built one has (`_period`, the dimension `by`,
    /// `_value`), when the series is not to be built from rows.
    fn read_series(&self, d: &dyn Dialect, key: &str, by: Option<&str>) -> Option<String>;
    /// The table to read a source's rows from instead of its own.
    fn source_table(&self, source: &str) -> Option<&str>;
    /// Whether a query over every metric with a target (the target query)
    /// covers this series.
    fn covers(&self, key: &str) -> bool;
}

/// Every series from its source's rows.
pub(super) struct FromSources;

impl SeriesOrigin for FromSources {
    fn read_series(&self, _: &dyn Dialect, _: &str, _: Option<&str>) -> Option<String> {
        None
    }
    fn source_table(&self, _: &str) -> Option<&str> {
        None
    }
    fn covers(&self, _: &str) -> bool {
        true
    }
}

/// Builds one query: the series it reads (each from its rows, or from
/// `origin`), added to its [`Query`]. The products (`scans`, `links`,
/// `targets`, `expectations`, `experiment`, `effects`) write their CTEs and
/// SELECT over it.
pub(super) struct QueryBuilder<'m> {
    pub model: &'m Model,
    pub d: &'static dyn Dialect,
    pub(super) options: Options,
    pub(super) shared: &'m SharedCtes,
    pub(super) origin: &'m dyn SeriesOrigin,
    pub(super) query: Query,
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
        origin: &'m dyn SeriesOrigin,
    ) -> QueryBuilder<'m> {
        QueryBuilder {
            model,
            d,
            options: *options,
            shared,
            origin,
            query: Query::new(d),
        }
    }

    /// Starts the query with these comment lines.
    pub fn with_header(mut self, header: String) -> QueryBuilder<'m> {
        self.query.header = header;
        self
    }

    pub(super) fn id(&self, name: &str) -> String {
        self.d.ident(name)
    }

    /// The dialect it writes.
    pub(super) fn dialect(&self) -> &'static dyn Dialect {
        self.d
    }

    /// The rows of a source with their period at `grain` (from `time`).
    pub(super) fn rows(
        &mut self,
        source: &Source,
        time: &str,
        time_type: ScalarType,
        grain: Grain,
    ) -> Result<Rc<str>, Unsupported> {
        let key = format!("rows {} {time} {}", source.name, grain.name());
        if let Some(name) = self.query.names.get(&key) {
            return Ok(name.clone());
        }
        let built = self.shared.rows.borrow().get(&key).cloned();
        if let Some(cte) = built.filter(|cte| self.query.names.fits(cte)) {
            self.query.merge(std::slice::from_ref(&cte));
            return Ok(cte.name);
        }
        let table = self.table_of(source)?;
        let name = self.query.names.claim(
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
        self.query.add(&key, name.clone(), &body);
        if let Some(cte) = self.query.ctes.last() {
            let mut cache = self.shared.rows.borrow_mut();
            cache.entry(key).or_insert_with(|| cte.clone());
        }
        Ok(name)
    }

    /// CTEs computing emulated percentiles over `rows`, partitioned by the
    /// period and the dimension.
    pub(super) fn emulate_percentiles(
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
            let ranked = self
                .query
                .names
                .claim(&ranked_key, format!("{}_rows", p.cte));
            let body = format!(
                "SELECT\n  {partition},\n  {x} AS {xv},\n  ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {x}) - 1 AS {i},\n  COUNT(*) OVER (PARTITION BY {partition}) AS {n}\nFROM {r}\nWHERE {}",
                conditions.join(" AND "),
                xv = self.id("_x"),
                i = self.id("_i"),
                n = self.id("_n"),
            );
            self.query.add(&ranked_key, ranked.clone(), &body);
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
                .query
                .names
                .get(&key)
                .expect("named by source_measure")
                .clone();
            self.query.add(&key, name, &body);
        }
    }

    pub(super) fn percentile_joins(
        &self,
        rows: &str,
        dim: Option<&str>,
        ctes: &[String],
    ) -> String {
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
    pub(super) fn source_measure(
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
    ) -> SourceRows<'q> {
        let followed =
            FlagColumns::of(&kinds::followed_by_nodes(std::iter::once(expr).chain(also)));
        SourceRows {
            d: self.d,
            rows: self.d.ident(rows),
            names: &mut self.query.names,
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
        if let Some(name) = self.query.names.get(&key) {
            return Ok(name.clone());
        }
        if let Some(body) = self.origin.read_series(self.d, &key, by) {
            let name = self
                .query
                .names
                .claim(&key, series_cte_name(metric, grain, by));
            self.query.add(&key, name.clone(), &body);
            return Ok(name);
        }
        let built = self.shared.series.borrow().get(&key).cloned();
        let built = match built {
            Some(built) => built,
            None => {
                let mut alone =
                    QueryBuilder::new(self.model, self.d, &self.options, self.shared, self.origin);
                let name = alone.build_series(&key, metric, grain, by)?;
                let built = Rc::new(SeriesCtes {
                    name,
                    ctes: alone.query.ctes,
                });
                self.shared
                    .series
                    .borrow_mut()
                    .insert(key.clone(), built.clone());
                built
            }
        };
        if built.ctes.iter().all(|cte| self.query.names.fits(cte)) {
            self.query.merge(&built.ctes);
            return Ok(built.name.clone());
        }
        // Two different CTEs want one name here: build it anew, numbered.
        self.build_series(&key, metric, grain, by)
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
            Measure::Source(m) => self.source_series(
                (key, &preferred),
                metric,
                (&m.source, &m.time, m.time_type),
                (&m.expr, m.filter.as_ref()),
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
                let name = self.query.names.claim(&series_key, series_name);
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
                self.query.add(&series_key, name.clone(), &body);
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
                let name = self.query.names.claim(&series_key, series_name);
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
        let name = self.query.names.claim(&series_key, series_name);
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
        self.query.add(&series_key, name.clone(), &body);
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
                let filled = self.query.names.claim(key, preferred.to_string());
                self.filled((key, filled), preferred, &core, (grain, by), fill)
            }
            None => core,
        }
    }

    /// A series `periods` periods later: `prior(metric, periods)` read on
    /// the period it is compared with.
    fn shifted(&mut self, series: &str, (metric, grain): (&str, Grain), periods: i64) -> Rc<str> {
        let key = format!("prior {metric} {} {periods}", grain.name());
        if let Some(name) = self.query.names.get(&key) {
            return name.clone();
        }
        let name = self.query.names.claim(
            &key,
            format!("_prior_{metric}__{}__{periods}", grain.name()),
        );
        let s = self.id(series);
        let (p, v) = (self.id(PERIOD), self.id(VALUE));
        let body = format!(
            "SELECT\n  {} AS {p},\n  {s}.{v} AS {v}\nFROM {s}",
            self.d.add_periods(&format!("{s}.{p}"), grain, periods)
        );
        self.query.add(&key, name.clone(), &body);
        name
    }

    /// Today: `as_of`, or the engine's current date.
    pub(super) fn today(&self) -> String {
        self.options
            .as_of
            .map_or_else(|| self.d.current_date().to_string(), |d| self.d.date(d))
    }
}

/// A source measure's expressions: columns of the rows CTE; emulated
/// percentiles named after their series and claimed in the query.
struct SourceRows<'q> {
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

impl ExprContext for SourceRows<'_> {
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
