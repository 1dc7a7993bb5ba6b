//! The enrolment of an experiment (LANGUAGE.md section 11): who is
//! enrolled in which variant, who is left out, and the sample-ratio check
//! (Pearson's chi-squared of the enrolled units against `split`).
//!
//! A unit is enrolled when it has an assignment row whose day lies between
//! `from` and `until` (rows outside are ignored, and so are rows without a
//! unit or a variant); a unit whose rows there name more than one variant
//! is left out and counted; a unit with several rows of one variant is
//! assigned at the earliest. The control is listed even when no unit was
//! assigned to it. The chi-squared p-value is exact for up to
//! [`MAX_DEGREES`] degrees of freedom (the closed forms for whole degrees,
//! in arithmetic, `SQRT` and `EXP` only); beyond, and when `split` does not
//! give one share per variant found, it is NULL and the run says why.

use super::render::number;
use super::results::EnrolmentColumn;
use super::series::QueryBuilder;
use super::stats;
use super::Unsupported;
use crate::model::{Experiment, Grain, Model};

/// The most degrees of freedom (variants − 1) with a p-value.
pub const MAX_DEGREES: usize = 19;

/// 1/√(2π).
const INV_SQRT_TAU: f64 = 0.398_942_280_401_432_7;

/// The enrolment query of `e` (`results::EnrolmentColumn`): a row per
/// variant, in sorted order.
pub(super) fn enrolment_query(
    mut b: QueryBuilder<'_>,
    model: &Model,
    e: &Experiment,
) -> Result<String, Unsupported> {
    add_enrolment(&mut b, model, e)?;
    let d = b.dialect();
    let id = |s: &str| d.ident(s);
    let (ex, variant, count, rank) = (id("_expected"), id("_variant"), id("_count"), id("_rank"));
    let (expected, chi2, srm_p) = (
        id(EnrolmentColumn::Expected.name()),
        id(EnrolmentColumn::ChiSquared.name()),
        id(EnrolmentColumn::SrmP.name()),
    );
    let (srm, left, left_out) = (
        id("_srm"),
        id("_left_out"),
        id(EnrolmentColumn::LeftOut.name()),
    );
    let columns: Vec<String> = EnrolmentColumn::ALL
        .iter()
        .map(|&c| {
            let value = match c {
                EnrolmentColumn::Variant => format!("{ex}.{variant}"),
                EnrolmentColumn::Units => format!("{ex}.{count}"),
                EnrolmentColumn::Expected => format!("{ex}.{expected}"),
                EnrolmentColumn::LeftOut => format!("{left}.{left_out}"),
                EnrolmentColumn::ChiSquared => format!("{srm}.{chi2}"),
                EnrolmentColumn::SrmP => format!("{srm}.{srm_p}"),
            };
            format!("{value} AS {}", id(c.name()))
        })
        .collect();
    Ok(b.query.finish(&format!(
        "SELECT\n  {}\nFROM {ex}\nJOIN {srm} ON 1 = 1\nJOIN {left} ON 1 = 1\nORDER BY {ex}.{rank}",
        columns.join(",\n  ")
    )))
}

/// The enrolment's CTEs: `_enrolled` (`_unit`, `_variant`, `_at`: a
/// row per enrolled unit), `_expected` (a row per variant with its
/// `_count` and `_rank`, the control included), `_srm` (the
/// chi-squared and `srm_p`) and `_left_out`.
pub(super) fn add_enrolment(
    b: &mut QueryBuilder<'_>,
    model: &Model,
    e: &Experiment,
) -> Result<(), Unsupported> {
    let d = b.dialect();
    let id = |s: &str| d.ident(s);
    let source = model.source(&e.assignments).expect("a checked source");
    let table = d
        .table(&source.origin)
        .ok_or_else(|| Unsupported::file_source(d.name(), source))?;
    let s = id("_source");
    let (unit, variant, at) = (id("_unit"), id("_variant"), id("_at"));
    let time = format!("{s}.{}", id(&e.time));
    let day = d.period_start(Grain::Day, &time, e.time_type);
    b.query.add_fixed(
        "_assigned",
        &format!(
            "SELECT\n  {s}.{} AS {unit},\n  {s}.{} AS {variant},\n  {time} AS {at}\nFROM {table} AS {s}\nWHERE {time} IS NOT NULL AND {s}.{} IS NOT NULL AND {s}.{} IS NOT NULL\n  AND {day} >= {} AND {day} <= {}",
            id(&e.unit),
            id(&e.variant),
            id(&e.unit),
            id(&e.variant),
            d.date(e.from),
            d.date(e.until),
        ),
    );
    let (assigned, units) = (id("_assigned"), id("_units"));
    let variants_of = id("_variants");
    b.query.add_fixed(
        "_units",
        &format!(
            "SELECT\n  {assigned}.{unit} AS {unit},\n  MIN({assigned}.{variant}) AS {variant},\n  MIN({assigned}.{at}) AS {at},\n  COUNT(DISTINCT {assigned}.{variant}) AS {variants_of}\nFROM {assigned}\nGROUP BY {assigned}.{unit}"
        ),
    );
    b.query.add_fixed(
        "_enrolled",
        &format!(
            "SELECT\n  {units}.{unit} AS {unit},\n  {units}.{variant} AS {variant},\n  {units}.{at} AS {at}\nFROM {units}\nWHERE {units}.{variants_of} = 1"
        ),
    );
    let (enrolled, counted, count) = (id("_enrolled"), id("_counted"), id("_count"));
    b.query.add_fixed(
        "_counted",
        &format!(
            "SELECT\n  {enrolled}.{variant} AS {variant},\n  COUNT(*) AS {count}\nFROM {enrolled}\nGROUP BY {enrolled}.{variant}"
        ),
    );
    // The control, counted even without units (a one-row relation
    // joined to the counts: BigQuery has no WHERE without FROM).
    let (control, found) = (id("_control"), id("_found"));
    b.query.add_fixed(
        "_control",
        &format!("SELECT {} AS {variant}", d.string(&e.control)),
    );
    b.query.add_fixed(
        "_found",
        &format!(
            "SELECT\n  {counted}.{variant} AS {variant},\n  {counted}.{count} AS {count}\nFROM {counted}\nUNION ALL\nSELECT\n  {control}.{variant} AS {variant},\n  0 AS {count}\nFROM {control}\nLEFT JOIN {counted} ON {counted}.{variant} = {control}.{variant}\nWHERE {counted}.{variant} IS NULL"
        ),
    );
    let (rank, k, total) = (id("_rank"), id("_k"), id("_total"));
    b.query.add_fixed(
        "_ranked",
        &format!(
            "SELECT\n  {found}.{variant} AS {variant},\n  {found}.{count} AS {count},\n  ROW_NUMBER() OVER (ORDER BY {}) AS {rank},\n  COUNT(*) OVER () AS {k},\n  SUM({found}.{count}) OVER () AS {total}\nFROM {found}",
            d.binary_order(&format!("{found}.{variant}")),
        ),
    );
    // The expected count: the variant's share of all enrolled units;
    // NULL when `split` gives another number of shares.
    let ranked = id("_ranked");
    let share = match &e.split {
        None => format!("1.0E0 / {ranked}.{k}"),
        Some(shares) => {
            let cases: String = shares
                .iter()
                .enumerate()
                // As floats: Spark reads `0.3` as a decimal and
                // rounds what it multiplies.
                .map(|(i, s)| format!(" WHEN {} THEN {}", i + 1, d.to_float(&number(s / 100.0))))
                .collect();
            format!(
                "CASE WHEN {ranked}.{k} = {} THEN CASE {ranked}.{rank}{cases} END END",
                shares.len()
            )
        }
    };
    let expected = id(EnrolmentColumn::Expected.name());
    b.query.add_fixed(
        "_expected",
        &format!(
            "SELECT\n  {ranked}.*,\n  {share} * {ranked}.{total} AS {expected}\nFROM {ranked}"
        ),
    );
    let ex = id("_expected");
    let (chi2, df) = (id(EnrolmentColumn::ChiSquared.name()), id("_df"));
    b.query.add_fixed(
        "_chi",
        &format!(
            "SELECT\n  CASE WHEN COUNT({ex}.{expected}) = COUNT(*) AND MIN({ex}.{expected}) > 0 THEN SUM(({ex}.{count} - {ex}.{expected}) * ({ex}.{count} - {ex}.{expected}) / {ex}.{expected}) END AS {chi2},\n  MAX({ex}.{k}) - 1 AS {df}\nFROM {ex}"
        ),
    );
    let (chi, tails, root, t) = (id("_chi"), id("_chi_tails"), id("_root"), id("_t"));
    b.query.add_fixed(
        "_chi_tails",
        &format!(
            "SELECT\n  {chi}.*,\n  SQRT({chi}.{chi2}) AS {root},\n  {} AS {t}\nFROM {chi}",
            stats::tail_variable(&format!("SQRT({chi}.{chi2})"))
        ),
    );
    // Q(√x) = Φ(−√x), the normal tail itself (not 1 − Φ), and φ(√x).
    let (normal, q, phi) = (id("_chi_normal"), id("_q"), id("_phi"));
    b.query.add_fixed(
        "_chi_normal",
        &format!(
            "SELECT\n  {tails}.*,\n  {} AS {q},\n  {} * EXP(-{tails}.{chi2} / 2.0E0) AS {phi}\nFROM {tails}",
            stats::normal_cdf(&format!("-{tails}.{root}"), &format!("{tails}.{t}")),
            number(INV_SQRT_TAU),
        ),
    );
    let column = |c: &str| format!("{normal}.{c}");
    let p = chi_squared_p(
        &column(&chi2),
        &column(&root),
        &column(&q),
        &column(&phi),
        &column(&id("_df")),
    );
    let srm_p = id(EnrolmentColumn::SrmP.name());
    b.query.add_fixed(
        "_srm",
        &format!("SELECT\n  {normal}.{chi2} AS {chi2},\n  {p} AS {srm_p}\nFROM {normal}"),
    );
    let left_out = id(EnrolmentColumn::LeftOut.name());
    b.query.add_fixed(
        "_left_out",
        &format!("SELECT\n  COUNT(*) AS {left_out}\nFROM {units}\nWHERE {units}.{variants_of} > 1"),
    );
    Ok(())
}

/// The upper tail of the chi-squared distribution at `x` with `df` whole
/// degrees of freedom (a column), for 1 to [`MAX_DEGREES`]; NULL beyond.
/// `root` is √x, `q` the normal tail Q(√x) and `phi` the normal density
/// φ(√x), all columns. Closed forms (Abramowitz and Stegun 26.4.4 and
/// 26.4.5): for even df = 2m, e^(−x/2)·Σ_{i<m} (x/2)^i/i!; for odd
/// df = 2m + 1, 2·Q(√x) + 2·φ(√x)·Σ_{j=1..m} √x^(2j−1)/(1·3·…·(2j−1));
/// each sum in Horner's form.
pub fn chi_squared_p(x: &str, root: &str, q: &str, phi: &str, df: &str) -> String {
    let mut cases = String::new();
    for degrees in 1..=MAX_DEGREES {
        let m = degrees / 2;
        let value = if degrees % 2 == 0 {
            // 1 + h·(1 + h/2·(1 + h/3·(… (1 + h/(m−1)))), h = x/2.
            let mut sum = "1.0E0".to_string();
            for i in (1..m).rev() {
                sum = format!("(1.0E0 + {x} / {}.0E0 * {sum})", 2 * i);
            }
            format!("EXP(-{x} / 2.0E0) * {sum}")
        } else if m == 0 {
            format!("2.0E0 * {q}")
        } else {
            // √x·(1 + x/3·(1 + x/5·(… (1 + x/(2m−1))))).
            let mut sum = "1.0E0".to_string();
            for j in (1..m).rev() {
                sum = format!("(1.0E0 + {x} / {}.0E0 * {sum})", 2 * j + 1);
            }
            format!("2.0E0 * {q} + 2.0E0 * {phi} * {root} * {sum}")
        };
        cases.push_str(&format!("\n    WHEN {df} = {degrees} THEN {value}"));
    }
    format!("CASE\n    WHEN {x} IS NULL THEN NULL{cases}\n  END")
}
