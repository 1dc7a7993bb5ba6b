//! Query building: series, one-scan source queries, link evidence and
//! target status, as CTEs named after what they hold.

use std::collections::HashSet;

use super::dialect::Dialect;
use super::render::{number, EmulatedPercentile, ExprWriter};
use super::Options;
use crate::model::{Direction, Grain, Link, Measure, Metric, Model, ScalarType, Source, TExpr};
use crate::source::Span;

/// Why a query cannot be written.
#[derive(Debug)]
pub enum SqlError {
    /// A `file` source in a dialect that cannot read files.
    FileSource { source: String, span: Span },
}

/// Where a metric's filter goes in a query.
#[derive(Clone, Copy)]
enum FilterAs {
    Where,
    Folded,
}

/// Internal names start with `_`, which no spec name can: no clash.
const PERIOD: &str = "_period";
const VALUE: &str = "_value";

pub(super) struct QueryBuilder<'m> {
    pub model: &'m Model,
    pub d: &'static dyn Dialect,
    options: Options,
    ctes: Vec<(String, String)>,
    /// The names in `ctes`, for `has` (the target query of a large project
    /// has tens of thousands of CTEs).
    cte_names: HashSet<String>,
    percentiles: usize,
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

impl<'m> QueryBuilder<'m> {
    pub fn new(model: &'m Model, d: &'static dyn Dialect, options: &Options) -> QueryBuilder<'m> {
        QueryBuilder {
            model,
            d,
            options: *options,
            ctes: Vec::new(),
            cte_names: HashSet::new(),
            percentiles: 0,
        }
    }

    fn id(&self, name: &str) -> String {
        self.d.ident(name)
    }

    fn has(&self, name: &str) -> bool {
        self.cte_names.contains(name)
    }

    fn add(&mut self, name: String, body: String) {
        self.cte_names.insert(name.clone());
        self.ctes.push((name, body));
    }

    /// `WITH ... SELECT ...`
    pub fn finish(self, select: &str) -> String {
        if self.ctes.is_empty() {
            return format!("{select}\n");
        }
        // One buffer: the target query of a large project is megabytes.
        let size: usize = self
            .ctes
            .iter()
            .map(|(name, body)| name.len() + body.len() + body.len() / 4 + 16)
            .sum();
        let mut out = String::with_capacity(size + select.len() + 8);
        out.push_str("WITH\n");
        for (i, (name, body)) in self.ctes.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n");
            }
            out.push_str("  ");
            out.push_str(&self.d.ident(name));
            out.push_str(" AS (\n");
            push_indented(&mut out, body, "    ");
            out.push_str("\n  )");
        }
        out.push('\n');
        out.push_str(select);
        out.push('\n');
        out
    }

    /// The rows of a source with their period at `grain` (from `time`).
    fn rows(
        &mut self,
        source: &Source,
        time: &str,
        time_type: ScalarType,
        grain: Grain,
    ) -> Result<String, SqlError> {
        let name = format!("_rows_{}__{}__{}", source.name, time, grain.name());
        if self.has(&name) {
            return Ok(name);
        }
        let table = self
            .d
            .table(&source.origin)
            .map_err(|_| SqlError::FileSource {
                source: source.name.clone(),
                span: source.location.span,
            })?;
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
        self.add(name.clone(), body);
        Ok(name)
    }

    /// CTEs computing emulated percentiles over `rows`, partitioned by the
    /// period and the dimension.
    fn emulate_percentiles(
        &mut self,
        rows: &str,
        dim: Option<&str>,
        list: Vec<EmulatedPercentile>,
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
        for p in list {
            let x = self.d.to_float(&p.value);
            let mut conditions = vec![format!("{} IS NOT NULL", p.value)];
            conditions.extend(p.condition.map(|c| format!("({c})")));
            let ranked = format!("{}_rows", p.cte);
            let body = format!(
                "SELECT\n  {partition},\n  {x} AS {xv},\n  ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {x}) - 1 AS {i},\n  COUNT(*) OVER (PARTITION BY {partition}) AS {n}\nFROM {r}\nWHERE {}",
                conditions.join(" AND "),
                xv = self.id("_x"),
                i = self.id("_i"),
                n = self.id("_n"),
            );
            self.add(ranked.clone(), body);
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
            self.add(p.cte, body);
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
    /// percentiles to emulate. The filter is either a WHERE clause of the
    /// query or folded into every aggregate (when metrics share a scan).
    fn source_measure(
        &mut self,
        rows: &str,
        expr: &TExpr,
        filter: Option<&TExpr>,
        filter_as: FilterAs,
    ) -> (Option<String>, String, Vec<EmulatedPercentile>) {
        let no_metrics = |_: &str| String::new();
        let d = self.d;
        let column = |name: &str| format!("{}.{}", d.ident(rows), d.ident(name));
        let mut counter = self.percentiles;
        let mut w = ExprWriter {
            d,
            column: &column,
            fold_filter: None,
            where_filter: None,
            metric_ref: &no_metrics,
            percentiles: Vec::new(),
            next_percentile: &mut counter,
        };
        let filter_sql = filter.map(|f| w.expr(f));
        match filter_as {
            FilterAs::Where => w.where_filter = filter_sql.clone(),
            FilterAs::Folded => w.fold_filter = filter_sql.clone(),
        }
        let value = w.expr(expr);
        let percentiles = std::mem::take(&mut w.percentiles);
        self.percentiles = counter;
        (filter_sql, value, percentiles)
    }

    /// A CTE with the series of `metric` at `grain` (`_period`, the
    /// dimension if any, `_value`); returns its name.
    pub fn series(
        &mut self,
        metric: &Metric,
        grain: Grain,
        by: Option<&str>,
    ) -> Result<String, SqlError> {
        let mut name = format!("_series_{}", metric.name);
        if grain != metric.grain {
            name.push_str(&format!("__{}", grain.name()));
        }
        if let Some(dim) = by {
            name.push_str(&format!("__by_{dim}"));
        }
        if self.has(&name) {
            return Ok(name);
        }
        match &metric.measure {
            Measure::Source {
                source,
                time,
                time_type,
                expr,
                filter,
            } => {
                let source = self
                    .model
                    .source(source)
                    .expect("the model resolves sources");
                let rows = self.rows(source, time, *time_type, grain)?;
                let (filter_sql, value, percentiles) =
                    self.source_measure(&rows, expr, filter.as_ref(), FilterAs::Where);
                let pct_names: Vec<String> = percentiles.iter().map(|p| p.cte.clone()).collect();
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
                self.add(name.clone(), body);
            }
            Measure::Derived { expr, inputs } => {
                let mut input_ctes = Vec::new();
                for input in inputs {
                    let m = self
                        .model
                        .metric(input)
                        .expect("the model resolves metrics");
                    input_ctes.push((input.clone(), self.series(m, grain, None)?));
                }
                let d = self.d;
                let refs = input_ctes.clone();
                let metric_ref = move |n: &str| {
                    let cte = &refs.iter().find(|(i, _)| i == n).expect("an input").1;
                    format!("{}.{}", d.ident(cte), d.ident(VALUE))
                };
                let mut counter = 0;
                let no_columns = |_: &str| String::new();
                let mut w = ExprWriter {
                    d,
                    column: &no_columns,
                    fold_filter: None,
                    where_filter: None,
                    metric_ref: &metric_ref,
                    percentiles: Vec::new(),
                    next_percentile: &mut counter,
                };
                let value = w.expr(expr);
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
                self.add(name.clone(), body);
            }
        }
        Ok(name)
    }

    /// The series query of a metric: `period`, [dimension], `value`.
    pub fn series_query(mut self, metric: &Metric, by: Option<&str>) -> Result<String, SqlError> {
        let cte = self.series(metric, metric.grain, by)?;
        let c = self.id(&cte);
        let mut columns = vec![format!("{c}.{} AS {}", self.id(PERIOD), self.id("period"))];
        if let Some(dim) = by {
            columns.push(format!("{c}.{d} AS {d}", d = self.id(dim)));
        }
        columns.push(format!("{c}.{} AS {}", self.id(VALUE), self.id("value")));
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
    ) -> Result<String, SqlError> {
        let rows = self.rows(source, time, time_type, grain)?;
        let r = self.id(&rows);
        let mut columns = vec![format!("{r}.{} AS {}", self.id(PERIOD), self.id("period"))];
        let mut all_percentiles = Vec::new();
        for metric in metrics {
            let Measure::Source { expr, filter, .. } = &metric.measure else {
                continue;
            };
            let (filter_sql, value, percentiles) =
                self.source_measure(&rows, expr, filter.as_ref(), FilterAs::Folded);
            all_percentiles.extend(percentiles);
            // A period where no row passes the metric's filter has no value.
            let value = match filter_sql {
                Some(f) => {
                    format!("CASE WHEN COUNT(CASE WHEN {f} THEN 1 END) > 0 THEN {value} END")
                }
                None => value,
            };
            columns.push(format!("{value} AS {}", self.id(&metric.name)));
        }
        let pct_names: Vec<String> = all_percentiles.iter().map(|p| p.cte.clone()).collect();
        self.emulate_percentiles(&rows, None, all_percentiles);
        let select = format!(
            "SELECT\n  {}\nFROM {r}{}\nGROUP BY {r}.{}\nORDER BY 1",
            columns.join(",\n  "),
            self.percentile_joins(&rows, None, &pct_names),
            self.id(PERIOD)
        );
        Ok(self.finish(&select))
    }

    /// The evidence query of a link: one row with n, r, slope, t, r_diff,
    /// expected_sign and verdict.
    pub fn link_query(mut self, link: &Link) -> Result<String, SqlError> {
        self.link_pairs(link)?;
        let id = |s: &str| self.d.ident(s);
        let p = id(PERIOD);
        let (xc, yc) = (id("_x"), id("_y"));
        let diffs = format!(
            "SELECT {xc}, {yc}\nFROM (\n  SELECT\n    {xc} - LAG({xc}) OVER (ORDER BY {p}) AS {xc},\n    {yc} - LAG({yc}) OVER (ORDER BY {p}) AS {yc}\n  FROM {}\n) AS {}\nWHERE {xc} IS NOT NULL AND {yc} IS NOT NULL",
            id("_pairs"),
            id("_lagged"),
        );
        self.add("_differences".into(), diffs);
        // Pearson correlation in two passes (means, then centred sums):
        // exact where the one-pass formula loses digits.
        for (stats, input) in [
            ("_pair_stats", "_pairs"),
            ("_difference_stats", "_differences"),
        ] {
            let means = format!("{stats}_means");
            self.add(
                means.clone(),
                format!(
                    "SELECT\n  COUNT(*) AS {n},\n  AVG({xc}) AS {mx},\n  AVG({yc}) AS {my}\nFROM {}",
                    id(input),
                    n = id("_n"),
                    mx = id("_mx"),
                    my = id("_my"),
                ),
            );
            let (i, m) = (id(input), id(&means));
            self.add(
                stats.into(),
                format!(
                    "SELECT\n  MAX({m}.{n}) AS {n},\n  SUM(({i}.{xc} - {m}.{mx}) * ({i}.{yc} - {m}.{my})) AS {sxy},\n  SUM(({i}.{xc} - {m}.{mx}) * ({i}.{xc} - {m}.{mx})) AS {sxx},\n  SUM(({i}.{yc} - {m}.{my}) * ({i}.{yc} - {m}.{my})) AS {syy}\nFROM {m}\nLEFT JOIN {i} ON 1 = 1",
                    n = id("_n"),
                    mx = id("_mx"),
                    my = id("_my"),
                    sxy = id("_sxy"),
                    sxx = id("_sxx"),
                    syy = id("_syy"),
                ),
            );
        }
        let corr = |stats: &str| {
            let s = id(stats);
            format!(
                "{s}.{sxy} / NULLIF(SQRT({s}.{sxx} * {s}.{syy}), 0)",
                sxy = id("_sxy"),
                sxx = id("_sxx"),
                syy = id("_syy")
            )
        };
        let ps = id("_pair_stats");
        self.add(
            "_statistics".into(),
            format!(
                "SELECT\n  {ps}.{n} AS {n},\n  {} AS {r},\n  {ps}.{sxy} / NULLIF({ps}.{sxx}, 0) AS {slope},\n  {} AS {r_diff}\nFROM {ps}\nCROSS JOIN {}",
                corr("_pair_stats"),
                corr("_difference_stats"),
                id("_difference_stats"),
                n = id("_n"),
                r = id("r"),
                sxy = id("_sxy"),
                sxx = id("_sxx"),
                slope = id("slope"),
                r_diff = id("r_diff"),
            ),
        );
        let s = id("_statistics");
        let (n, r, rd) = (
            format!("{s}.{}", id("_n")),
            format!("{s}.{}", id("r")),
            format!("{s}.{}", id("r_diff")),
        );
        let t = format!(
            "CASE WHEN {n} > 2 AND {r} IS NOT NULL AND {r} * {r} < 1 THEN {r} * SQRT(({n} - 2) / (1 - {r} * {r})) END"
        );
        let (same, opposite) = if link.expected_sign > 0 {
            (">", "<")
        } else {
            ("<", ">")
        };
        let strong = format!("(ABS({r}) >= 1 OR ABS({t}) >= 2)");
        let enough = format!("{n} >= {}", link.min_periods);
        let verdict = format!(
            "CASE\n    WHEN {enough} AND {r} {same} 0 AND {strong} AND NOT COALESCE({rd} {opposite} 0, {false_}) THEN 'supports'\n    WHEN {enough} AND {r} {opposite} 0 AND {strong} THEN 'contradicts'\n    ELSE 'inconclusive'\n  END",
            false_ = self.d.boolean(false)
        );
        let select = format!(
            "SELECT\n  {n} AS {},\n  {r} AS {},\n  {s}.{slope} AS {slope},\n  {t} AS {},\n  {rd} AS {},\n  {} AS {},\n  {verdict} AS {}\nFROM {s}",
            id("n"),
            id("r"),
            id("t"),
            id("r_diff"),
            link.expected_sign,
            id("expected_sign"),
            id("verdict"),
            slope = id("slope"),
        );
        Ok(self.finish(&select))
    }

    /// The pairs behind a link's evidence: `period` (of the left metric),
    /// `x` (its value) and `y` (the right metric's value `lag` periods
    /// later), oldest first.
    pub fn link_pairs_query(mut self, link: &Link) -> Result<String, SqlError> {
        self.link_pairs(link)?;
        let id = |s: &str| self.d.ident(s);
        let select = format!(
            "SELECT\n  {} AS {},\n  {} AS {},\n  {} AS {}\nFROM {}\nORDER BY 1",
            id(PERIOD),
            id("period"),
            id("_x"),
            id("x"),
            id("_y"),
            id("y"),
            id("_pairs"),
        );
        Ok(self.finish(&select))
    }

    /// Adds `_pairs`: the left metric's value and the right metric's value
    /// `lag` periods later, for every period where both exist.
    fn link_pairs(&mut self, link: &Link) -> Result<(), SqlError> {
        let from = self.model.metric(&link.from).expect("resolved");
        let to = self.model.metric(&link.to).expect("resolved");
        let x = self.series(from, link.grain, None)?;
        let y = self.series(to, link.grain, None)?;
        let id = |s: &str| self.d.ident(s);
        let (p, v) = (id(PERIOD), id(VALUE));
        let (xs, ys) = (id(&x), id(&y));
        let pairs = format!(
            "SELECT\n  {xs}.{p} AS {p},\n  {} AS {x_},\n  {} AS {y_}\nFROM {xs}\nJOIN {ys} ON {ys}.{p} = {}\nWHERE {xs}.{v} IS NOT NULL AND {ys}.{v} IS NOT NULL",
            self.d.to_float(&format!("{xs}.{v}")),
            self.d.to_float(&format!("{ys}.{v}")),
            self.d.add_periods(&format!("{xs}.{p}"), link.grain, link.lag),
            x_ = id("_x"),
            y_ = id("_y"),
        );
        self.add("_pairs".into(), pairs);
        Ok(())
    }

    /// For each metric with a target active on its latest complete period
    /// (the last one that ended on or before `as_of` and has a value): the
    /// value, the range and the status.
    pub fn targets_query(mut self) -> Result<String, SqlError> {
        let today = self
            .options
            .as_of
            .map_or_else(|| self.d.current_date().to_string(), |d| self.d.date(d));
        let id = |s: &str| self.d.ident(s);
        let (p, v) = (id(PERIOD), id(VALUE));
        let mut latest = Vec::new();
        let mut targets = Vec::new();
        let model = self.model;
        for metric in model.metrics.iter().filter(|m| !m.targets.is_empty()) {
            let cte = self.series(metric, metric.grain, None)?;
            let c = id(&cte);
            let end = self.d.add_periods(&format!("{c}.{p}"), metric.grain, 1);
            let last = self.d.add_periods(&end, Grain::Day, -1);
            latest.push(format!(
                "SELECT\n  {} AS {metric_c},\n  {c}.{p} AS {p},\n  {last} AS {last_c},\n  {c}.{v} AS {v}\nFROM {c}\nWHERE {c}.{p} = (\n  SELECT MAX({c}.{p}) FROM {c} WHERE {c}.{v} IS NOT NULL AND {end} <= {today}\n)",
                self.d.string(&metric.name),
                metric_c = id("metric"),
                last_c = id("_last_day"),
            ));
            for t in &metric.targets {
                targets.push(format!(
                    "SELECT {} AS {}, {} AS {}, {} AS {}, {} AS {}, {} AS {}, {} AS {}",
                    self.d.string(&metric.name),
                    id("metric"),
                    number(t.low),
                    id("low"),
                    number(t.high),
                    id("high"),
                    self.d.date(t.from),
                    id("_from"),
                    self.d.date(t.until),
                    id("_until"),
                    if metric.direction == Direction::Higher {
                        1
                    } else {
                        -1
                    },
                    id("_direction"),
                ));
            }
        }
        if latest.is_empty() {
            // No metric has a target: an empty result with the same columns.
            latest.push(format!(
                "SELECT {} AS {}, {} AS {p}, {} AS {}, {} AS {v}",
                self.d.string(""),
                id("metric"),
                self.d.current_date(),
                self.d.current_date(),
                id("_last_day"),
                number(0.0)
            ));
            targets.push(format!(
                "SELECT {} AS {}, {} AS {}, {} AS {}, {} AS {}, {} AS {}, 1 AS {}",
                self.d.string(""),
                id("metric"),
                number(0.0),
                id("low"),
                number(0.0),
                id("high"),
                self.d.current_date(),
                id("_from"),
                self.d.current_date(),
                id("_until"),
                id("_direction")
            ));
            latest[0].push_str(" WHERE 1 = 0");
        }
        self.add("_latest".into(), latest.join("\nUNION ALL\n"));
        self.add("_targets".into(), targets.join("\nUNION ALL\n"));
        let (l, t) = (id("_latest"), id("_targets"));
        let value = format!("{l}.{v}");
        let (low, high) = (format!("{t}.{}", id("low")), format!("{t}.{}", id("high")));
        let dir = format!("{t}.{}", id("_direction"));
        let select = format!(
            "SELECT\n  {l}.{m} AS {m},\n  {l}.{p} AS {period},\n  {value} AS {value_c},\n  {low} AS {low_c},\n  {high} AS {high_c},\n  CASE WHEN {value} < {low} THEN 'below' WHEN {value} > {high} THEN 'above' ELSE 'within' END AS {status},\n  ({value} >= {low} AND {value} <= {high}) OR ({value} < {low} AND {dir} < 0) OR ({value} > {high} AND {dir} > 0) AS {good}\nFROM {l}\nJOIN {t} ON {t}.{m} = {l}.{m} AND {t}.{from} <= {l}.{last} AND {t}.{until} >= {l}.{last}\nORDER BY 1",
            m = id("metric"),
            period = id("period"),
            value_c = id("value"),
            low_c = id("low"),
            high_c = id("high"),
            status = id("status"),
            good = id("good"),
            from = id("_from"),
            until = id("_until"),
            last = id("_last_day"),
        );
        Ok(self.finish(&select))
    }
}

/// Flattens text for a `--` comment line (no line breaks can escape it).
pub fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
