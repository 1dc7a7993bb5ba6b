//! An experiment's effects (LANGUAGE.md section 11): per analysed metric
//! and treatment variant, the control's and the variant's value, the
//! difference and the relative difference with 95% intervals and a
//! two-sided p, then the verdict on the tested link.
//!
//! A metric's rows are its source's rows that pass its filter, whose unit
//! is enrolled and whose time lies between the unit's assignment and the
//! end of `until`. The variance treats the unit as the observation:
//! - arithmetic of `count`, `sum`, `avg` and `count_distinct`: the delta
//!   method over per-unit sums (`delta.rs`), with the units' covariance
//!   matrix computed in two passes (means, then centred products);
//! - one `median` or `percentile`: Woodruff's interval for clustered
//!   samples. The share of rows at or below the quantile q is a ratio of
//!   per-unit sums (rows ≤ q over rows), whose standard error s follows
//!   from the delta method; the values at fractions p ± 1.96·s (the ranks
//!   just outside) bound the quantile's 95% interval, and
//!   (high − low) / (2 · 1.96) is its standard error (Woodruff 1952;
//!   Deng, Knoblich and Lu 2018, section 4.3);
//! - `min`, `max`, or a quantile mixed with other aggregates: no interval.
//!
//! Variants hold disjoint units, so a difference's variance is the sum of
//! the two; the relative difference's follows by the delta method on
//! t/c − 1: var(t)/c² + t²·var(c)/c⁴.

use super::delta::{is_bool, Decomposition, Method, Moment, Var};
use super::experiment::add_enrolment;
use super::render::{number, ExprContext, ExprWriter};
use super::results::{EffectColumn, EnrolmentColumn, ExperimentVerdict, SRM_ALPHA, Z_95};
use super::series::{followed_by_nodes, FlagColumns, QueryBuilder};
use super::stats;
use super::Unsupported;
use crate::model::{Direction, Experiment, Grain, Metric, Model, ScalarType, SourceMeasure, TExpr};

/// Row expressions over the source's alias, whose rows carry the flags of
/// the metrics' `followed_by` calls.
struct Rows {
    d: &'static dyn super::dialect::Dialect,
    alias: String,
    flags: FlagColumns,
}

impl ExprContext for Rows {
    fn dialect(&self) -> &'static dyn super::dialect::Dialect {
        self.d
    }

    fn column(&self, name: &str) -> String {
        format!("{}.{}", self.alias, self.d.ident(name))
    }

    fn followed_by(&mut self, e: &TExpr) -> String {
        self.column(&self.flags.column(e))
    }
}

/// The effects query of `e` (`results::EffectColumn`).
pub(super) fn effects_query(
    mut b: QueryBuilder<'_>,
    model: &Model,
    e: &Experiment,
) -> Result<String, Unsupported> {
    add_enrolment(&mut b, model, e)?;
    let d = b.dialect();
    let id = |s: &str| d.ident(s);
    let metrics: Vec<(&Metric, Decomposition)> = e
        .metrics()
        .map(|name| {
            let m = model.metric(name).expect("a checked metric");
            (m, Decomposition::of(&source_measure(m).expr))
        })
        .collect();
    // Metrics of one source and time column share their rows and
    // their per-unit sums: one join and one grouping by unit.
    let mut groups: Vec<((&str, &str), Vec<usize>)> = Vec::new();
    for (i, (m, _)) in metrics.iter().enumerate() {
        let s = source_measure(m);
        match groups
            .iter_mut()
            .find(|(key, _)| *key == (s.source.as_str(), s.time.as_str()))
        {
            Some((_, members)) => members.push(i),
            None => groups.push(((&s.source, &s.time), vec![i])),
        }
    }
    let mut group_of = vec![0; metrics.len()];
    for (g, (_, members)) in groups.iter().enumerate() {
        let list: Vec<(usize, &Metric, &Decomposition)> = members
            .iter()
            .map(|&i| (i, metrics[i].0, &metrics[i].1))
            .collect();
        add_unit_sums(&mut b, model, e, g, &list)?;
        for &i in members {
            group_of[i] = g;
        }
    }
    let mut results = Vec::new();
    for (i, (metric, dec)) in metrics.iter().enumerate() {
        results.push(add_effect(&mut b, e, i, metric, dec, group_of[i]));
    }
    let metrics: Vec<&Metric> = metrics.iter().map(|(m, _)| *m).collect();
    let (variant, rank) = (id(EffectColumn::Variant.name()), id("_rank"));
    let all = id("_effects");
    let union: Vec<String> = results
        .iter()
        .map(|r| format!("SELECT * FROM {}", id(r)))
        .collect();
    b.query.add_fixed("_effects", &union.join("\nUNION ALL\n"));
    // The verdict, from the link's two ends (metrics 0 and 1).
    let (cpi, kpi) = (id(&results[0]), id(&results[1]));
    let (low, high) = (id(EffectColumn::Low.name()), id(EffectColumn::High.name()));
    let better = |m: &str, direction: Direction| match direction {
        Direction::Higher => format!("{m}.{low} > 0"),
        Direction::Lower => format!("{m}.{high} < 0"),
    };
    let worse = |m: &str, direction: Direction| match direction {
        Direction::Higher => format!("{m}.{high} < 0"),
        Direction::Lower => format!("{m}.{low} > 0"),
    };
    let (from, to) = (metrics[0].direction, metrics[1].direction);
    let word = |v: ExperimentVerdict| d.string(v.name());
    let srm_p = format!("{}.{}", id("_srm"), id(EnrolmentColumn::SrmP.name()));
    let verdict = id(EffectColumn::Verdict.name());
    b.query.add_fixed(
        "_verdicts",
        &format!(
            "SELECT\n  {cpi}.{variant} AS {variant},\n  CASE\n    WHEN {srm_p} < {} THEN {}\n    WHEN {} AND {} THEN {}\n    WHEN {} AND {} THEN {}\n    WHEN {} THEN {}\n    ELSE {}\n  END AS {verdict}\nFROM {cpi}\nJOIN {kpi} ON {kpi}.{variant} = {cpi}.{variant}\nJOIN {} ON 1 = 1",
            number(SRM_ALPHA),
            word(ExperimentVerdict::SampleRatioMismatch),
            better(&cpi, from),
            better(&kpi, to),
            word(ExperimentVerdict::Confirmed),
            better(&cpi, from),
            worse(&kpi, to),
            word(ExperimentVerdict::Contradicted),
            better(&cpi, from),
            word(ExperimentVerdict::NotConfirmed),
            word(ExperimentVerdict::CpiUnchanged),
            id("_srm"),
        ),
    );
    let verdicts = id("_verdicts");
    let columns: Vec<String> = EffectColumn::ALL
        .iter()
        .map(|c| match c {
            EffectColumn::Verdict => format!("{verdicts}.{verdict}"),
            c => format!("{all}.{}", id(c.name())),
        })
        .collect();
    Ok(b.query.finish(&format!(
        "SELECT\n  {}\nFROM {all}\nJOIN {verdicts} ON {verdicts}.{variant} = {all}.{variant}\nORDER BY {all}.{}, {all}.{rank}",
        columns.join(",\n  "),
        id("_index"),
    )))
}

/// The rows of one source's analysed metrics (`members`: their index,
/// metric and decomposition; one source and time column) of enrolled units,
/// from the unit's assignment to the end of `until` (`_g{g}_rows`:
/// `_unit`, `_variant`, then per metric i what its aggregates read,
/// `_m{i}_r{j}` and `_m{i}_x{j}`, each metric's filter folded in), and
/// each enrolled unit's sums (`_g{g}_units`: `_unit`, `_variant`,
/// `_m{i}_s{j}` as floats, 0 for a unit without rows).
fn add_unit_sums(
    b: &mut QueryBuilder<'_>,
    model: &Model,
    e: &Experiment,
    g: usize,
    members: &[(usize, &Metric, &Decomposition)],
) -> Result<(), Unsupported> {
    let d = b.dialect();
    let id = |s: &str| d.ident(s);
    let measure = source_measure(members[0].1);
    let source = model.source(&measure.source).expect("a checked source");
    let mut table = d
        .table(&source.origin)
        .ok_or_else(|| Unsupported::file_source(d.name(), source))?;
    // A `followed_by` is a flag of each row, as in a metric's series:
    // the source's rows with the flags of every metric of the group.
    let nodes = followed_by_nodes(
        members
            .iter()
            .flat_map(|(_, m, _)| source_measure(m).exprs()),
    );
    let flags = FlagColumns::of(&nodes);
    if !nodes.is_empty() {
        // Only the enrolled units' rows need a flag.
        let (all, enrolled, unit) = (format!("_g{g}_source"), id("_enrolled"), id("_unit"));
        b.query.add_fixed(
            &all,
            &format!(
                "SELECT *\nFROM {table}\nWHERE {} IN (SELECT {enrolled}.{unit} FROM {enrolled})",
                id(&e.unit)
            ),
        );
        let flagged = b.followed_rows(
            &format!("_g{g} flagged"),
            &format!("_g{g}_flagged"),
            &all,
            (&measure.time, measure.time_type),
            &nodes,
        )?;
        table = id(&flagged);
    }
    let alias = id("_source");
    let mut rows = Rows {
        d,
        alias: alias.clone(),
        flags,
    };
    let mut w = ExprWriter::new(&mut rows);
    let (enrolled, unit, variant, at) = (id("_enrolled"), id("_unit"), id("_variant"), id("_at"));
    let t = format!("{alias}.{}", id(&measure.time));
    let day = |x: &str, ty: ScalarType| d.period_start(Grain::Day, x, ty);
    let time_type = measure.time_type;
    let since = if time_type == ScalarType::Timestamp && e.time_type == ScalarType::Timestamp {
        format!("{t} >= {enrolled}.{at}")
    } else {
        format!(
            "{} >= {}",
            day(&t, time_type),
            day(&format!("{enrolled}.{at}"), e.time_type)
        )
    };
    let conditions = [
        format!("{t} IS NOT NULL"),
        since,
        format!("{} <= {}", day(&t, time_type), d.date(e.until)),
    ];
    let mut columns = vec![
        format!("{enrolled}.{unit} AS {unit}"),
        format!("{enrolled}.{variant} AS {variant}"),
    ];
    let mut plain = Vec::new();
    let mut distinct = Vec::new();
    for &(i, metric, dec) in members {
        let mf = source_measure(metric)
            .filter
            .as_ref()
            .map(|f| format!("({})", w.expr(f)));
        // The metric's filter and the aggregate's own, as one condition.
        let both = |w: &mut ExprWriter, own: Option<&TExpr>| -> Vec<String> {
            mf.iter()
                .cloned()
                .chain(own.map(|f| format!("({})", w.expr(f))))
                .collect()
        };
        let when = |c: &[String], value: &str| {
            if c.is_empty() {
                value.to_string()
            } else {
                format!("CASE WHEN {} THEN {value} END", c.join(" AND "))
            }
        };
        for (j, m) in dec.moments.iter().enumerate() {
            let value = match *m {
                Moment::Rows { arg, filter } => {
                    let mut c = both(&mut w, filter);
                    c.extend(arg.map(|a| format!("{} IS NOT NULL", w.expr(a))));
                    if c.is_empty() {
                        "1".to_string()
                    } else {
                        format!("CASE WHEN {} THEN 1 ELSE 0 END", c.join(" AND "))
                    }
                }
                Moment::Sum { arg, filter } if is_bool(arg) => {
                    let mut c = both(&mut w, filter);
                    c.push(format!("({})", w.expr(arg)));
                    format!("CASE WHEN {} THEN 1 ELSE 0 END", c.join(" AND "))
                }
                Moment::Sum { arg, filter } => {
                    let c = both(&mut w, filter);
                    when(&c, &d.to_float(&w.expr(arg)))
                }
                Moment::Distinct { arg, filter } => {
                    let c = both(&mut w, filter);
                    when(&c, &w.expr(arg))
                }
            };
            columns.push(format!("{value} AS {}", id(&format!("_m{i}_r{j}"))));
            match m {
                Moment::Distinct { .. } => distinct.push((i, j)),
                _ => plain.push((i, j)),
            }
        }
        for (j, o) in dec.orders.iter().enumerate() {
            let c = both(&mut w, o.filter);
            let value = when(&c, &d.to_float(&w.expr(o.arg)));
            columns.push(format!("{value} AS {}", id(&format!("_m{i}_x{j}"))));
        }
    }
    let rows_cte = format!("_g{g}_rows");
    b.query.add_fixed(
        &rows_cte,
        &format!(
            "SELECT\n  {}\nFROM {table} AS {alias}\nJOIN {enrolled} ON {enrolled}.{unit} = {alias}.{}\nWHERE {}",
            columns.join(",\n  "),
            id(&e.unit),
            conditions.join("\n  AND ")
        ),
    );
    let r = id(&rows_cte);
    let s = |i: usize, j: usize| id(&format!("_m{i}_s{j}"));
    let rc = |i: usize, j: usize| id(&format!("_m{i}_r{j}"));
    let mut joins = Vec::new();
    let mut sums = Vec::new();
    if !plain.is_empty() {
        let cte = format!("_g{g}_sums");
        let list: Vec<String> = plain
            .iter()
            .map(|&(i, j)| format!("SUM({r}.{}) AS {}", rc(i, j), s(i, j)))
            .collect();
        b.query.add_fixed(
            &cte,
            &format!(
                "SELECT\n  {r}.{unit} AS {unit},\n  {}\nFROM {r}\nGROUP BY {r}.{unit}",
                list.join(",\n  ")
            ),
        );
        let c = id(&cte);
        joins.push(format!("LEFT JOIN {c} ON {c}.{unit} = {enrolled}.{unit}"));
        sums.extend(
            plain
                .iter()
                .map(|&(i, j)| ((i, j), format!("{c}.{}", s(i, j)))),
        );
    }
    for &(i, j) in &distinct {
        // Each distinct value credited to the smallest unit of the
        // variant that has it.
        let cte = format!("_m{i}_credit{j}");
        let (owner, values) = (id("_owner"), id("_values"));
        b.query.add_fixed(
            &cte,
            &format!(
                "SELECT\n  {values}.{owner} AS {unit},\n  COUNT(*) AS {}\nFROM (\n  SELECT MIN({r}.{unit}) AS {owner}\n  FROM {r}\n  WHERE {r}.{rj} IS NOT NULL\n  GROUP BY {r}.{variant}, {r}.{rj}\n) AS {values}\nGROUP BY {values}.{owner}",
                s(i, j),
                rj = rc(i, j),
            ),
        );
        let c = id(&cte);
        joins.push(format!("LEFT JOIN {c} ON {c}.{unit} = {enrolled}.{unit}"));
        sums.push(((i, j), format!("{c}.{}", s(i, j))));
    }
    if sums.is_empty() {
        return Ok(());
    }
    sums.sort();
    let list: Vec<String> = sums
        .iter()
        .map(|((i, j), c)| {
            format!(
                "{} AS {}",
                d.to_float(&format!("COALESCE({c}, 0)")),
                s(*i, *j)
            )
        })
        .collect();
    b.query.add_fixed(
        &format!("_g{g}_units"),
        &format!(
            "SELECT\n  {enrolled}.{unit} AS {unit},\n  {enrolled}.{variant} AS {variant},\n  {}\nFROM {enrolled}\n{}",
            list.join(",\n  "),
            joins.join("\n")
        ),
    );
    Ok(())
}

/// The CTEs of metric `i`'s effects, over its group `g`'s rows and
/// units (see [`add_unit_sums`]); returns the name of the last,
/// which has `_index`, `_rank`, `_variant` and the effect columns but
/// the verdict.
fn add_effect(
    b: &mut QueryBuilder<'_>,
    e: &Experiment,
    i: usize,
    metric: &Metric,
    dec: &Decomposition,
    g: usize,
) -> String {
    let d = b.dialect();
    let id = |s: &str| d.ident(s);
    let p = format!("_m{i}");
    let name = |s: &str| format!("{p}_{s}");
    let (unit, variant) = (id("_unit"), id("_variant"));
    let r = id(&format!("_g{g}_rows"));
    let u = id(&format!("_g{g}_units"));
    let s = |j: usize| id(&format!("_m{i}_s{j}"));
    // The means of the per-unit sums and their covariances, per
    // variant (two passes: means, then centred products).
    let means = id(&name("means"));
    let n = id("_n");
    let mean = |j: usize| id(&format!("_mean{j}"));
    let cov = |j: usize, k: usize| id(&format!("_c{j}_{k}"));
    if !dec.moments.is_empty() {
        let list: Vec<String> = (0..dec.moments.len())
            .map(|j| format!("SUM({u}.{}) / COUNT(*) AS {}", s(j), mean(j)))
            .collect();
        b.query.add_fixed(
            &name("means"),
            &format!(
                "SELECT\n  {u}.{variant} AS {variant},\n  COUNT(*) AS {n},\n  {}\nFROM {u}\nGROUP BY {u}.{variant}",
                list.join(",\n  ")
            ),
        );
        if dec.method() == Method::Delta {
            let mut list = Vec::new();
            for j in 0..dec.moments.len() {
                for k in j..dec.moments.len() {
                    list.push(format!(
                        "SUM(({u}.{} - {means}.{}) * ({u}.{} - {means}.{})) / NULLIF(MAX({means}.{n}) - 1, 0) AS {}",
                        s(j),
                        mean(j),
                        s(k),
                        mean(k),
                        cov(j, k)
                    ));
                }
            }
            b.query.add_fixed(
                &name("cov"),
                &format!(
                    "SELECT\n  {u}.{variant} AS {variant},\n  {}\nFROM {u}\nJOIN {means} ON {means}.{variant} = {u}.{variant}\nGROUP BY {u}.{variant}",
                    list.join(",\n  ")
                ),
            );
        }
    }

    // Order leaves: the value per variant, and for a lone quantile
    // Woodruff's standard error.
    let (x, i_, k_, v_) = (id("_x"), id("_i"), id("_k"), id("_v"));
    for (j, o) in dec.orders.iter().enumerate() {
        let xj = id(&format!("_m{i}_x{j}"));
        let ranked = name(&format!("o{j}_ranked"));
        b.query.add_fixed(
            &ranked,
            &format!(
                "SELECT\n  {r}.{unit} AS {unit},\n  {r}.{variant} AS {variant},\n  {r}.{xj} AS {x},\n  ROW_NUMBER() OVER (PARTITION BY {r}.{variant} ORDER BY {r}.{xj}) - 1 AS {i_},\n  COUNT(*) OVER (PARTITION BY {r}.{variant}) AS {k_}\nFROM {r}\nWHERE {r}.{xj} IS NOT NULL"
            ),
        );
        let rk = id(&ranked);
        let body = match o.fraction {
            // Linear interpolation, as PERCENTILE_CONT: position
            // h = (k − 1)·p from 0.
            Some(fraction) => {
                let h = format!("({rk}.{k_} - 1) * {}", number(fraction));
                let lo = d.floor(&h);
                let at = |off: &str| format!("MAX(CASE WHEN {rk}.{i_} = {lo}{off} THEN {rk}.{x} END)");
                format!(
                    "SELECT\n  {rk}.{variant} AS {variant},\n  {} + COALESCE({} - {}, 0) * MAX({h} - {lo}) AS {v_},\n  MAX({rk}.{k_}) AS {k_}\nFROM {rk}\nGROUP BY {rk}.{variant}",
                    at(""),
                    at(" + 1"),
                    at(""),
                )
            }
            None => format!(
                "SELECT\n  {rk}.{variant} AS {variant},\n  {}({rk}.{x}) AS {v_},\n  MAX({rk}.{k_}) AS {k_}\nFROM {rk}\nGROUP BY {rk}.{variant}",
                if o.func == crate::model::AggFunc::Min { "MIN" } else { "MAX" }
            ),
        };
        b.query.add_fixed(&name(&format!("o{j}")), &body);
    }
    if dec.method() == Method::Quantile {
        add_woodruff(b, &p, dec.orders[0].fraction.expect("a quantile"));
    }

    // The value and its variance per variant (the control included,
    // also without units).
    let ex = id("_expected");
    let var_sql = |v: Var| match v {
        Var::Mean(j) => format!("{means}.{}", mean(j)),
        Var::Order(j) => format!("{}.{v_}", id(&name(&format!("o{j}")))),
    };
    let float = |s: &str| d.to_float(s);
    let value = dec.form.sql(&var_sql, &float);
    let mut from = format!("FROM {ex}");
    if !dec.moments.is_empty() {
        from.push_str(&format!(
            "\nLEFT JOIN {means} ON {means}.{variant} = {ex}.{variant}"
        ));
    }
    for j in 0..dec.orders.len() {
        let o = id(&name(&format!("o{j}")));
        from.push_str(&format!(
            "\nLEFT JOIN {o} ON {o}.{variant} = {ex}.{variant}"
        ));
    }
    let g = |j: usize| id(&format!("_g{j}"));
    let vars = dec.vars();
    let mut list = vec![
        format!("{ex}.{variant} AS {variant}"),
        format!("{ex}.{} AS {}", id("_rank"), id("_rank")),
        format!("{value} AS {}", id("_value")),
    ];
    let variance = match dec.method() {
        Method::Delta => {
            let c = id(&name("cov"));
            from.push_str(&format!(
                "\nLEFT JOIN {c} ON {c}.{variant} = {ex}.{variant}"
            ));
            for (j, v) in vars.iter().enumerate() {
                list.push(format!(
                    "{} AS {}",
                    dec.form.derivative(*v).sql(&var_sql, &float),
                    g(j)
                ));
            }
            for j in 0..vars.len() {
                for k in j..vars.len() {
                    list.push(format!("{c}.{} AS {}", cov(j, k), cov(j, k)));
                }
            }
            list.push(format!("{means}.{n} AS {n}"));
            // gᵀΣg / n: the diagonal once, the rest twice.
            let mut terms = Vec::new();
            for j in 0..vars.len() {
                for k in j..vars.len() {
                    let twice = if j == k { "" } else { "2.0E0 * " };
                    terms.push(format!("{twice}{} * {} * {}", g(j), g(k), cov(j, k)));
                }
            }
            format!("({}) / {n}", terms.join(" + "))
        }
        Method::Quantile => {
            let w = id(&name("o0_se"));
            from.push_str(&format!(
                "\nLEFT JOIN {w} ON {w}.{variant} = {ex}.{variant}"
            ));
            list.push(format!(
                "{} AS {}",
                dec.form.derivative(Var::Order(0)).sql(&var_sql, &float),
                g(0)
            ));
            list.push(format!("{w}.{} AS {}", id("_se"), id("_se")));
            format!("{g0} * {g0} * {se} * {se}", g0 = g(0), se = id("_se"))
        }
        Method::None => "NULL".to_string(),
    };
    let parts = name("parts");
    b.query
        .add_fixed(&parts, &format!("SELECT\n  {}\n{from}", list.join(",\n  ")));
    let pt = id(&parts);
    let (value_, var_) = (id("_value"), id("_var"));
    let values = name("values");
    b.query.add_fixed(
        &values,
        &format!(
            "SELECT\n  {pt}.{variant} AS {variant},\n  {pt}.{} AS {},\n  {pt}.{value_} AS {value_},\n  {} AS {var_}\nFROM {pt}",
            id("_rank"),
            id("_rank"),
            variance
        ),
    );
    add_comparison(b, e, i, metric, &p)
}

/// Woodruff's standard error of the lone quantile of metric `p`
/// (`{p}_o0_se`: `_variant`, `_se`).
fn add_woodruff(b: &mut QueryBuilder<'_>, p: &str, fraction: f64) {
    let d = b.dialect();
    let id = |s: &str| d.ident(s);
    let name = |s: &str| format!("{p}_{s}");
    let (unit, variant) = (id("_unit"), id("_variant"));
    let (x, i_, k_, v_) = (id("_x"), id("_i"), id("_k"), id("_v"));
    let (rk, q) = (id(&name("o0_ranked")), id(&name("o0")));
    let (c, rows, n) = (id("_c"), id("_rows"), id("_n"));
    let frac = number(fraction);
    // Per unit with rows: its rows at or below the quantile, and its
    // rows. Enrolled units without rows add 0 to both; they enter the
    // means and the variance below by the variant's count alone.
    let units = name("o0_units");
    b.query.add_fixed(
        &units,
        &format!(
            "SELECT\n  {rk}.{variant} AS {variant},\n  {rk}.{unit} AS {unit},\n  {} AS {c},\n  {} AS {rows}\nFROM {rk}\nJOIN {q} ON {q}.{variant} = {rk}.{variant}\nGROUP BY {rk}.{variant}, {rk}.{unit}",
            d.to_float(&format!("SUM(CASE WHEN {rk}.{x} <= {q}.{v_} THEN 1 ELSE 0 END)")),
            d.to_float("COUNT(*)"),
        ),
    );
    // The share F = Σc / Σrows, a ratio of per-unit means over the n
    // enrolled units: its variance is var(c − p·rows) / (n ·
    // mean(rows)²).
    let u = id(&units);
    let (ex, count) = (id("_expected"), id("_count"));
    let (dm, rm, with_rows) = (id("_d_mean"), id("_rows_mean"), id("_with_rows"));
    let share = name("o0_share");
    b.query.add_fixed(
        &share,
        &format!(
            "SELECT\n  {ex}.{variant} AS {variant},\n  MAX({ex}.{count}) AS {n},\n  COUNT({u}.{unit}) AS {with_rows},\n  SUM({u}.{rows}) / NULLIF(MAX({ex}.{count}), 0) AS {rm},\n  SUM({u}.{c} - {frac} * {u}.{rows}) / NULLIF(MAX({ex}.{count}), 0) AS {dm}\nFROM {ex}\nLEFT JOIN {u} ON {u}.{variant} = {ex}.{variant}\nGROUP BY {ex}.{variant}"
        ),
    );
    let sh = id(&share);
    let se_f = id("_se_f");
    // Σ over all n units of (d − mean)², the units without rows (d = 0)
    // counted as (n − with_rows)·mean².
    let centred = format!("({u}.{c} - {frac} * {u}.{rows} - {sh}.{dm})");
    b.query.add_fixed(
        &name("o0_sf"),
        &format!(
            "SELECT\n  {u}.{variant} AS {variant},\n  {} / NULLIF(MAX({sh}.{rm}), 0) AS {se_f}\nFROM {u}\nJOIN {sh} ON {sh}.{variant} = {u}.{variant}\nGROUP BY {u}.{variant}",
            sqrt(&format!("(SUM({centred} * {centred}) + MAX(({sh}.{n} - {sh}.{with_rows}) * {sh}.{dm} * {sh}.{dm})) / NULLIF(MAX({sh}.{n}) - 1, 0) / MAX({sh}.{n})")),
        ),
    );
    // The ranks of p ± z·s, clamped to [0, 1], just outside.
    let sf = id(&name("o0_sf"));
    let z = number(Z_95);
    let (lo, hi) = (id("_lo"), id("_hi"));
    let low = format!("{frac} - {z} * {sf}.{se_f}");
    let high = format!("{frac} + {z} * {sf}.{se_f}");
    b.query.add_fixed(
        &name("o0_bounds"),
        &format!(
            "SELECT\n  {sf}.{variant} AS {variant},\n  {} AS {lo},\n  {} AS {hi}\nFROM {sf}\nJOIN {q} ON {q}.{variant} = {sf}.{variant}",
            d.floor(&format!("({q}.{k_} - 1) * CASE WHEN {low} < 0 THEN 0.0E0 ELSE {low} END")),
            d.ceil(&format!("({q}.{k_} - 1) * CASE WHEN {high} > 1 THEN 1.0E0 ELSE {high} END")),
        ),
    );
    // The two values by (variant, rank): equality joins that match one
    // row each, not every row of the variant.
    let bounds = id(&name("o0_bounds"));
    let (low_row, high_row) = (id("_low"), id("_high"));
    b.query.add_fixed(
        &name("o0_se"),
        &format!(
            "SELECT\n  {bounds}.{variant} AS {variant},\n  ({high_row}.{x} - {low_row}.{x}) / {} AS {}\nFROM {bounds}\nLEFT JOIN {rk} AS {low_row} ON {low_row}.{variant} = {bounds}.{variant} AND {low_row}.{i_} = {bounds}.{lo}\nLEFT JOIN {rk} AS {high_row} ON {high_row}.{variant} = {bounds}.{variant} AND {high_row}.{i_} = {bounds}.{hi}",
            number(2.0 * Z_95),
            id("_se"),
        ),
    );
}

/// Each treatment against the control for metric `i` (`{p}_result`):
/// `_index`, `_rank`, then the effect columns but the verdict.
fn add_comparison(
    b: &mut QueryBuilder<'_>,
    e: &Experiment,
    i: usize,
    metric: &Metric,
    p: &str,
) -> String {
    let d = b.dialect();
    let id = |s: &str| d.ident(s);
    let name = |s: &str| format!("{p}_{s}");
    let (variant, rank, value, var) = (id("_variant"), id("_rank"), id("_value"), id("_var"));
    let values = id(&name("values"));
    let control = d.string(&e.control);
    let (dif, se, rel, rel_se) = (id("_d"), id("_se"), id("_rel"), id("_rel_se"));
    let col = |c: EffectColumn| id(c.name());
    let (t, c) = (id("_t"), id("_c"));
    b.query.add_fixed(
        &name("diff"),
        &format!(
            "SELECT\n  {t}.{variant} AS {variant},\n  {t}.{rank} AS {rank},\n  {c}.{value} AS {cv},\n  {t}.{value} AS {tv},\n  {t}.{value} - {c}.{value} AS {dif},\n  {} AS {se},\n  {t}.{value} / NULLIF({c}.{value}, 0) - 1 AS {rel},\n  {} AS {rel_se}\nFROM {values} AS {t}\nJOIN {values} AS {c} ON {c}.{variant} = {control}\nWHERE {t}.{variant} <> {control}",
            sqrt(&format!("{t}.{var} + {c}.{var}")),
            sqrt(&format!(
                "{t}.{var} / NULLIF({c}.{value} * {c}.{value}, 0) + {t}.{value} * {t}.{value} * {c}.{var} / NULLIF({c}.{value} * {c}.{value} * {c}.{value} * {c}.{value}, 0)"
            )),
            cv = col(EffectColumn::ControlValue),
            tv = col(EffectColumn::Value),
        ),
    );
    let diff = id(&name("diff"));
    let (z, t) = (id("_z"), id("_tail"));
    b.query.add_fixed(
        &name("z"),
        &format!(
            "SELECT\n  {diff}.*,\n  {diff}.{dif} / NULLIF({diff}.{se}, 0) AS {z}\nFROM {diff}"
        ),
    );
    let zc = id(&name("z"));
    b.query.add_fixed(
        &name("tails"),
        &format!(
            "SELECT\n  {zc}.*,\n  {} AS {t}\nFROM {zc}",
            stats::tail_variable(&format!("{zc}.{z}"))
        ),
    );
    let tl = id(&name("tails"));
    let zz = number(Z_95);
    let columns: Vec<String> = EffectColumn::ALL
        .iter()
        .filter(|c| **c != EffectColumn::Verdict)
        .map(|&c| {
            let v = match c {
                EffectColumn::Metric => d.string(&metric.name),
                EffectColumn::Variant => format!("{tl}.{variant}"),
                EffectColumn::ControlValue | EffectColumn::Value => format!("{tl}.{}", col(c)),
                EffectColumn::Difference => format!("{tl}.{dif}"),
                EffectColumn::Low => format!("{tl}.{dif} - {zz} * {tl}.{se}"),
                EffectColumn::High => format!("{tl}.{dif} + {zz} * {tl}.{se}"),
                EffectColumn::P => format!(
                    "2.0E0 * {}",
                    stats::normal_cdf(&format!("-ABS({tl}.{z})"), &format!("{tl}.{t}"))
                ),
                EffectColumn::Relative => format!("{tl}.{rel}"),
                EffectColumn::RelativeLow => format!("{tl}.{rel} - {zz} * {tl}.{rel_se}"),
                EffectColumn::RelativeHigh => format!("{tl}.{rel} + {zz} * {tl}.{rel_se}"),
                EffectColumn::Verdict => unreachable!("filtered"),
            };
            format!("{v} AS {}", col(c))
        })
        .collect();
    let result = name("result");
    b.query.add_fixed(
        &result,
        &format!(
            "SELECT\n  {i} AS {},\n  {tl}.{rank} AS {rank},\n  {}\nFROM {tl}",
            id("_index"),
            columns.join(",\n  ")
        ),
    );
    result
}

/// The measure of an analysed metric: the checker allows experiments to
/// analyse source measures only (E0807); a `window` or `fill` shapes
/// periods, which an experiment does not have.
fn source_measure(m: &Metric) -> &SourceMeasure {
    m.source_measure()
        .expect("an experiment analyses source measures (E0807)")
}

/// √x, and 0 for the tiny negatives that rounding can leave in a
/// variance (PostgreSQL refuses the square root of a negative); NULL stays
/// NULL.
fn sqrt(x: &str) -> String {
    format!("SQRT(CASE WHEN {x} < 0 THEN 0.0E0 ELSE {x} END)")
}
