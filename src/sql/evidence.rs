//! The link evidence of LANGUAGE.md section 9 as SQL: the CTEs that take a
//! link's pairs to its numbers and verdict, with aggregates, joins and
//! arithmetic only, the same text in every dialect but for quoting and
//! casts.
//!
//! The CTEs read a relation of pairs (`_period`, `_before` = the period
//! before, `_season` at month and quarter grain, `_x`, `_y`) partitioned by
//! key columns: none for a link's pooled evidence (`_pairs`), and
//! `_pooled`, `_segment` for a link with segments (`_grouped_pairs`: the
//! pooled pairs once more beside each segment's). Outer keys lead them when
//! one query holds many groups of pairs: `_lag` for the lag profile,
//! `_link` for every link of a run at once (see [`Parameters::Columns`]).
//! Every step is a CTE named after what it holds; a step reads only the
//! ones before.

use super::dialect::Dialect;
use super::render::number;
use super::results::{LinkColumn, Verdict};
use super::stats;
use crate::model::Grain;

/// A link's pairs, pooled; with segments, also grouped (see
/// this module).
pub(super) const PAIRS: &str = "_pairs";
pub(super) const GROUPED_PAIRS: &str = "_grouped_pairs";
pub(super) const LAGGED_PAIRS: &str = "_lagged_pairs";
pub(super) const LAG: &str = "_lag";

/// A link's grain and how its pairs are grouped.
pub(super) type StatisticsKey = (Grain, Grouping);

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
        match self {
            Grouping::Pooled => Statistics::new(d, PAIRS, &[], false, grain),
            Grouping::Segments => Statistics::new(d, GROUPED_PAIRS, &[], true, grain),
            Grouping::Lags => Statistics::new(d, LAGGED_PAIRS, &[LAG], false, grain),
            Grouping::Links => Statistics::new(d, PAIRS, &[LINK], true, grain),
            Grouping::LinkLags => Statistics::new(d, LAGGED_PAIRS, &[LINK, LAG], false, grain),
        }
    }
}

/// The verdict CTEs (name, body) and the final SELECT of a link's
/// evidence.
pub(super) type Verdicts = (Vec<(&'static str, String)>, String);

/// The one-sided 5% critical value of the test (section 9, step 7, which
/// writes it with these digits).
pub const CRITICAL_Z: f64 = 1.645;
/// The two-sided 95% quantile of the effect's interval (step 8).
pub const INTERVAL_Z: f64 = 1.96;
/// The level of the test and of Holm's correction across segments.
pub const ALPHA: f64 = 0.05;

/// Seasonal adjustment at a grain (section 9, step 2): the number of
/// seasons in a year and the number of differences it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Season {
    pub seasons: i64,
    pub min_differences: i64,
}

impl Season {
    pub fn of(grain: Grain) -> Option<Season> {
        match grain {
            Grain::Month => Some(Season {
                seasons: 12,
                min_differences: 24,
            }),
            Grain::Quarter => Some(Season {
                seasons: 4,
                min_differences: 8,
            }),
            _ => None,
        }
    }
}

/// Writes the statistics CTEs for one dialect and one set of keys.
pub(super) struct Statistics<'a> {
    d: &'a dyn Dialect,
    /// The relation of pairs read.
    pairs: &'static str,
    /// Key columns, quoted: the outer keys, then `_pooled`, `_segment`
    /// when segmented.
    keys: Vec<String>,
    /// How many of `keys` are outer keys (one link, or one lag, each).
    outer: usize,
    segmented: bool,
    season: Option<Season>,
}

/// Where a link's expected sign and minimum number of periods come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Parameters {
    /// One link: written into the query.
    Link { expected_sign: i8, min_periods: i64 },
    /// Many links, keyed by `_link`: read from the relation of links,
    /// whose `_expected_sign` and `_min_periods` columns hold them.
    Columns { links: &'static str },
}

/// The key of each link in the relation of links, and its parameters.
pub const LINK: &str = "_link";
pub(super) const EXPECTED_SIGN: &str = "_expected_sign";
pub(super) const MIN_PERIODS: &str = "_min_periods";
/// The key columns of a segmented relation of pairs.
pub(super) const POOLED: &str = "_pooled";
pub(super) const SEGMENT: &str = "_segment";

/// The columns of the last statistics CTE, `_tests`, besides the keys.
const N: &str = "_n";
const M: &str = "_m";

impl<'a> Statistics<'a> {
    /// Statistics of the pairs in `pairs`, grouped by the `outer` keys
    /// and, when `segmented`, by `_pooled` and `_segment`.
    pub fn new(
        d: &'a dyn Dialect,
        pairs: &'static str,
        outer: &[&str],
        segmented: bool,
        grain: Grain,
    ) -> Statistics<'a> {
        let segment_keys: &[&str] = if segmented { &[POOLED, SEGMENT] } else { &[] };
        Statistics {
            d,
            pairs,
            keys: outer
                .iter()
                .chain(segment_keys)
                .map(|k| d.ident(k))
                .collect(),
            outer: outer.len(),
            segmented,
            season: Season::of(grain),
        }
    }

    /// `PARTITION BY a.k1, ... ` over the outer keys (empty without).
    fn partition(&self, alias: &str) -> String {
        if self.outer == 0 {
            return String::new();
        }
        let a = self.id(alias);
        let list: Vec<String> = self.keys[..self.outer]
            .iter()
            .map(|k| format!("{a}.{k}"))
            .collect();
        format!("PARTITION BY {} ", list.join(", "))
    }

    fn id(&self, name: &str) -> String {
        self.d.ident(name)
    }

    /// `a.k1, a.k2, ` for the SELECT list (empty without keys).
    fn keys_of(&self, alias: &str) -> String {
        self.keys
            .iter()
            .map(|k| format!("{}.{k}, ", self.id(alias)))
            .collect()
    }

    /// `a.k1 = b.k1 AND ...`, or `1 = 1` without keys.
    fn same_keys(&self, a: &str, b: &str) -> String {
        if self.keys.is_empty() {
            return "1 = 1".to_string();
        }
        let (a, b) = (self.id(a), self.id(b));
        self.keys
            .iter()
            .map(|k| format!("{a}.{k} = {b}.{k}"))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// `\nGROUP BY a.k1, ...` (nothing without keys: one row).
    fn group_by(&self, alias: &str) -> String {
        if self.keys.is_empty() {
            return String::new();
        }
        let a = self.id(alias);
        let list: Vec<String> = self.keys.iter().map(|k| format!("{a}.{k}")).collect();
        format!("\nGROUP BY {}", list.join(", "))
    }

    /// The CTEs from `_pairs` to `_tests`, in order: (name, body).
    pub fn ctes(&self) -> Vec<(&'static str, String)> {
        let id = |s: &str| self.id(s);
        let (p, before, season) = (id("_period"), id("_before"), id("_season"));
        let (x, y, a, b, u, v) = (id("_x"), id("_y"), id("_a"), id("_b"), id("_u"), id("_v"));
        let (n, m) = (id(N), id(M));
        let mut ctes = Vec::new();

        // The levels: their correlation, for display (two passes: exact
        // where the one-pass formula loses digits). Pairs are counted by
        // `_x`: a relation of many links holds a row of NULLs for each, so
        // that a link with no pair still has its (empty) statistics.
        ctes.push((
            "_pair_means",
            format!(
                "SELECT\n  {}COUNT({x}) AS {n},\n  AVG({x}) AS {mx},\n  AVG({y}) AS {my}\nFROM {pairs}{}",
                self.keys_of(self.pairs),
                self.group_by(self.pairs),
                mx = id("_mx"),
                my = id("_my"),
                pairs = id(self.pairs),
            ),
        ));
        let (pm, pr) = (id("_pair_means"), id(self.pairs));
        let (dx, dy) = (
            format!("({pr}.{x} - {pm}.{})", id("_mx")),
            format!("({pr}.{y} - {pm}.{})", id("_my")),
        );
        ctes.push((
            "_pair_stats",
            format!(
                "SELECT\n  {}MAX({pm}.{n}) AS {n},\n  SUM({dx} * {dy}) AS {sxy},\n  SUM({dx} * {dx}) AS {sxx},\n  SUM({dy} * {dy}) AS {syy}\nFROM {pm}\nLEFT JOIN {pr} ON {}{}",
                self.keys_of("_pair_means"),
                self.same_keys("_pair_means", self.pairs),
                self.group_by("_pair_means"),
                sxy = id("_sxy"),
                sxx = id("_sxx"),
                syy = id("_syy"),
            ),
        ));

        // 1. Differences between pairs of consecutive periods only.
        let (cur, prev) = (id("_current"), id("_previous"));
        let season_column = if self.season.is_some() {
            format!("  {cur}.{season} AS {season},\n")
        } else {
            String::new()
        };
        ctes.push((
            "_differences",
            format!(
                "SELECT\n  {}{cur}.{p} AS {p},\n  {cur}.{before} AS {before},\n{season_column}  {cur}.{x} - {prev}.{x} AS {a},\n  {cur}.{y} - {prev}.{y} AS {b}\nFROM {pr} AS {cur}\nJOIN {pr} AS {prev} ON {prev}.{p} = {cur}.{before} AND {}",
                self.keys_of("_current"),
                self.same_keys("_previous", "_current"),
            ),
        ));
        let (dc, df) = (id("_difference_counts"), id("_differences"));
        ctes.push((
            "_difference_counts",
            format!(
                "SELECT\n  {}COUNT({df}.{p}) AS {m}\nFROM {pm}\nLEFT JOIN {df} ON {}{}",
                self.keys_of("_pair_means"),
                self.same_keys("_pair_means", "_differences"),
                self.group_by("_pair_means"),
            ),
        ));

        // 2. Seasonal means removed, when there are enough differences.
        let adjusted = if let Some(Season {
            min_differences, ..
        }) = self.season
        {
            let (sm, sa, sb) = (id("_season_means"), id("_season_a"), id("_season_b"));
            let mut keys_and_season: Vec<String> =
                self.keys.iter().map(|k| format!("{df}.{k}")).collect();
            keys_and_season.push(format!("{df}.{season}"));
            ctes.push((
                "_season_means",
                format!(
                    "SELECT\n  {}{df}.{season} AS {season},\n  AVG({df}.{a}) AS {sa},\n  AVG({df}.{b}) AS {sb}\nFROM {df}\nGROUP BY {}",
                    self.keys_of("_differences"),
                    keys_and_season.join(", "),
                ),
            ));
            let seasonal = format!("{dc}.{m} >= {min_differences}");
            ctes.push((
                "_adjusted",
                format!(
                    "SELECT\n  {}{df}.{p} AS {p},\n  {df}.{before} AS {before},\n  CASE WHEN {seasonal} THEN {df}.{a} - {sm}.{sa} ELSE {df}.{a} END AS {a},\n  CASE WHEN {seasonal} THEN {df}.{b} - {sm}.{sb} ELSE {df}.{b} END AS {b}\nFROM {df}\nJOIN {dc} ON {}\nJOIN {sm} ON {sm}.{season} = {df}.{season} AND {}",
                    self.keys_of("_differences"),
                    self.same_keys("_difference_counts", "_differences"),
                    self.same_keys("_season_means", "_differences"),
                ),
            ));
            "_adjusted"
        } else {
            "_differences"
        };
        let ad = id(adjusted);

        // 3. Centred differences.
        let dm = id("_difference_means");
        let (ma, mb) = (id("_mean_a"), id("_mean_b"));
        ctes.push((
            "_difference_means",
            format!(
                "SELECT\n  {}MAX({dc}.{m}) AS {m},\n  AVG({ad}.{a}) AS {ma},\n  AVG({ad}.{b}) AS {mb}\nFROM {dc}\nLEFT JOIN {ad} ON {}{}",
                self.keys_of("_difference_counts"),
                self.same_keys("_difference_counts", adjusted),
                self.group_by("_difference_counts"),
            ),
        ));
        let ce = id("_centred");
        ctes.push((
            "_centred",
            format!(
                "SELECT\n  {}{ad}.{p} AS {p},\n  {ad}.{before} AS {before},\n  {ad}.{a} - {dm}.{ma} AS {u},\n  {ad}.{b} - {dm}.{mb} AS {v}\nFROM {ad}\nJOIN {dm} ON {}",
                self.keys_of(adjusted),
                self.same_keys("_difference_means", adjusted),
            ),
        ));
        let (suv, suu, svv) = (id("_suv"), id("_suu"), id("_svv"));
        ctes.push((
            "_difference_stats",
            format!(
                "SELECT\n  {}MAX({dm}.{m}) AS {m},\n  SUM({ce}.{u} * {ce}.{v}) AS {suv},\n  SUM({ce}.{u} * {ce}.{u}) AS {suu},\n  SUM({ce}.{v} * {ce}.{v}) AS {svv}\nFROM {dm}\nLEFT JOIN {ce} ON {}{}",
                self.keys_of("_difference_means"),
                self.same_keys("_difference_means", "_centred"),
                self.group_by("_difference_means"),
            ),
        ));

        // 4. Lag-1 products over consecutive differences.
        let (lp, earlier) = (id("_lag_products"), id("_earlier"));
        let (uu, vv) = (id("_uu"), id("_vv"));
        ctes.push((
            "_lag_products",
            format!(
                "SELECT\n  {}{ce}.{u} * {earlier}.{u} AS {uu},\n  {ce}.{v} * {earlier}.{v} AS {vv}\nFROM {ce}\nJOIN {ce} AS {earlier} ON {earlier}.{p} = {ce}.{before} AND {}",
                self.keys_of("_centred"),
                self.same_keys("_earlier", "_centred"),
            ),
        ));
        let (luu, lvv) = (id("_luu"), id("_lvv"));
        ctes.push((
            "_lag_sums",
            format!(
                "SELECT\n  {}COALESCE(SUM({lp}.{uu}), 0) AS {luu},\n  COALESCE(SUM({lp}.{vv}), 0) AS {lvv}\nFROM {dm}\nLEFT JOIN {lp} ON {}{}",
                self.keys_of("_difference_means"),
                self.same_keys("_difference_means", "_lag_products"),
                self.group_by("_difference_means"),
            ),
        ));

        // 3 and 4: the correlations.
        let (ps, ds, ls) = (id("_pair_stats"), id("_difference_stats"), id("_lag_sums"));
        let col = |c: LinkColumn| id(c.name());
        let (r, r_diff, rho_from, rho_to) = (
            col(LinkColumn::R),
            col(LinkColumn::RDiff),
            col(LinkColumn::RhoFrom),
            col(LinkColumn::RhoTo),
        );
        let s_value = match self.season {
            Some(Season {
                seasons,
                min_differences,
            }) => format!("CASE WHEN {ds}.{m} >= {min_differences} THEN {seasons} ELSE 0 END"),
            None => "0".to_string(),
        };
        let (mf, s) = (id("_mf"), id("_s"));
        ctes.push((
            "_correlations",
            format!(
                "SELECT\n  {}{ps}.{n} AS {n},\n  {ds}.{m} AS {m},\n  {} AS {mf},\n  {s_value} AS {s},\n  {ds}.{suv} AS {suv},\n  {ds}.{suu} AS {suu},\n  {ds}.{svv} AS {svv},\n  CASE WHEN {ps}.{sxx} > 0 AND {ps}.{syy} > 0 THEN {ps}.{sxy} / SQRT({ps}.{sxx} * {ps}.{syy}) END AS {r},\n  CASE WHEN {ds}.{suu} > 0 AND {ds}.{svv} > 0 THEN {ds}.{suv} / SQRT({ds}.{suu} * {ds}.{svv}) END AS {r_diff},\n  CASE WHEN {ds}.{suu} > 0 THEN {ls}.{luu} / {ds}.{suu} END AS {rho_from},\n  CASE WHEN {ds}.{svv} > 0 THEN {ls}.{lvv} / {ds}.{svv} END AS {rho_to}\nFROM {ps}\nJOIN {ds} ON {}\nJOIN {ls} ON {}",
                self.keys_of("_pair_stats"),
                self.d.to_float(&format!("{ds}.{m}")),
                self.same_keys("_difference_stats", "_pair_stats"),
                self.same_keys("_lag_sums", "_pair_stats"),
                sxy = id("_sxy"),
                sxx = id("_sxx"),
                syy = id("_syy"),
            ),
        ));

        // 5. The effective size: min(m, max(3, m·(1 − q)/(1 + q)))·(m − s)/m,
        // where q = ρ_a·ρ_b; with 1 + q ≤ 0 the raw size is unbounded. The
        // raw size reaches m exactly when q ≤ 0.
        let co = id("_correlations");
        let q = format!("({co}.{rho_from} * {co}.{rho_to})");
        let raw = format!("({co}.{mf} * (1 - {q}) / (1 + {q}))");
        let n_eff = col(LinkColumn::NEff);
        ctes.push((
            "_sizes",
            format!(
                "SELECT\n  {co}.*,\n  CASE\n    WHEN {co}.{r_diff} IS NULL OR {co}.{rho_from} IS NULL OR {co}.{rho_to} IS NULL THEN NULL\n    WHEN {q} <= 0 THEN {co}.{mf}\n    WHEN {raw} >= 3 THEN {raw}\n    WHEN {co}.{mf} < 3 THEN {co}.{mf}\n    ELSE 3\n  END * ({co}.{mf} - {co}.{s}) / {co}.{mf} AS {n_eff}\nFROM {co}"
            ),
        ));

        // 6. Fisher's z; a perfect correlation has none (see `verdicts`).
        let si = id("_sizes");
        let z = col(LinkColumn::Z);
        let effect = col(LinkColumn::Effect);
        let half = id("_half");
        let rd = format!("{si}.{r_diff}");
        let size = format!("{si}.{n_eff}");
        ctes.push((
            "_tests",
            format!(
                "SELECT\n  {si}.*,\n  CASE WHEN ABS({rd}) < 1 THEN 0.5 * LN((1 + {rd}) / (1 - {rd})) * SQRT(CASE WHEN {size} - 3 > 1 THEN {size} - 3 ELSE 1 END) END AS {z},\n  CASE WHEN {si}.{suu} > 0 THEN {si}.{suv} / {si}.{suu} END AS {effect},\n  CASE WHEN {si}.{suu} > 0 AND {size} IS NOT NULL THEN {} * SQRT({si}.{svv} * CASE WHEN {rd} * {rd} < 1 THEN 1 - {rd} * {rd} ELSE 0 END / (CASE WHEN {size} - 2 > 1 THEN {size} - 2 ELSE 1 END * {si}.{suu})) END AS {half}\nFROM {si}",
                number(INTERVAL_Z),
            ),
        ));
        ctes
    }

    /// The CTEs after `_tests` and the final SELECT: one row per group,
    /// the outer keys then the columns of [`LinkColumn`] in order. With
    /// segments, a link's pooled row comes first, then its segments by
    /// value.
    pub fn verdicts(&self, parameters: Parameters) -> (Vec<(&'static str, String)>, String) {
        let id = |s: &str| self.id(s);
        let (te, ta, pv) = (id("_tests"), id("_tails"), id("_p_values"));
        let (z, r_diff, p, t) = (
            id(LinkColumn::Z.name()),
            id(LinkColumn::RDiff.name()),
            id(LinkColumn::P.name()),
            id("_t"),
        );
        // 6. The one-sided p = 1 − Φ(e·z) = Φ(−e·z); with |r_diff| = 1
        // there is no finite z, and p is 0 or 1 by the sign.
        let (e_tails, join, e, min_periods) = match parameters {
            Parameters::Link {
                expected_sign,
                min_periods,
            } => {
                let e = i64::from(expected_sign).to_string();
                (e.clone(), String::new(), e, min_periods.to_string())
            }
            Parameters::Columns { links } => {
                let l = id(links);
                let (sign, min) = (id(EXPECTED_SIGN), id(MIN_PERIODS));
                (
                    format!("{l}.{sign}"),
                    format!("\nJOIN {l} ON {l}.{link} = {ta}.{link}", link = id(LINK)),
                    format!("{pv}.{sign}"),
                    format!("{pv}.{min}"),
                )
            }
        };
        let against = match parameters {
            Parameters::Link { expected_sign, .. } if expected_sign > 0 => format!("-{ta}.{z}"),
            Parameters::Link { .. } => format!("{ta}.{z}"),
            Parameters::Columns { .. } => format!("-({e_tails} * {ta}.{z})"),
        };
        let p_of_z = stats::normal_cdf(&against, &format!("{ta}.{t}"));
        let carried = match parameters {
            Parameters::Link { .. } => String::new(),
            Parameters::Columns { links } => format!(
                "  {l}.{sign} AS {sign},\n  {l}.{min} AS {min},\n",
                l = id(links),
                sign = id(EXPECTED_SIGN),
                min = id(MIN_PERIODS)
            ),
        };
        let mut ctes = vec![
            (
                "_tails",
                format!(
                    "SELECT\n  {te}.*,\n  {} AS {t}\nFROM {te}",
                    stats::tail_variable(&format!("{te}.{z}"))
                ),
            ),
            (
                "_p_values",
                format!(
                    "SELECT\n  {ta}.*,\n{carried}  CASE\n    WHEN {ta}.{z} IS NOT NULL THEN {p_of_z}\n    WHEN {ta}.{r_diff} * {e_tails} > 0 THEN 0\n    WHEN {ta}.{r_diff} * {e_tails} < 0 THEN 1\n  END AS {p}\nFROM {ta}{join}"
                ),
            ),
        ];
        let word = |v: Verdict| self.d.string(v.name());
        let col = |c: LinkColumn| format!("{pv}.{}", id(c.name()));
        let (n, pooled, segment) = (format!("{pv}.{}", id(N)), id(POOLED), id(SEGMENT));
        let critical = number(CRITICAL_Z);
        // 7. The verdict of the pooled evidence.
        let (vz, vr) = (col(LinkColumn::Z), col(LinkColumn::RDiff));
        let pooled_verdict = format!(
            "WHEN {vz} * {e} >= {critical} OR ({vz} IS NULL AND {vr} * {e} >= 1) THEN {supports}\n    WHEN {vz} * {e} <= -{critical} OR ({vz} IS NULL AND {vr} * {e} <= -1) THEN {contradicts}",
            supports = word(Verdict::Supports),
            contradicts = word(Verdict::Contradicts),
        );
        let p_adjusted = id(LinkColumn::PAdjusted.name());
        let outer_order: String = self.keys[..self.outer]
            .iter()
            .map(|k| format!("{pv}.{k}, "))
            .collect();
        let (verdict_cases, from, segment_value, adjusted, order) = if self.segmented {
            // Holm across the segments of a link that are tested: each
            // one's p in the direction of its own sign, min(p, 1 − p),
            // ranked; the adjusted p is the running maximum of
            // min(1, (k − rank + 1)·p).
            let (hr, ho) = (id("_holm_ranks"), id("_holm"));
            let (p_dir, rank, k) = (id("_p_direction"), id("_rank"), id("_k"));
            let direction = format!("CASE WHEN {pv}.{p} < 0.5 THEN {pv}.{p} ELSE 1 - {pv}.{p} END");
            let by_link = self.partition("_p_values");
            ctes.push((
                "_holm_ranks",
                format!(
                    "SELECT\n  {}{direction} AS {p_dir},\n  ROW_NUMBER() OVER ({by_link}ORDER BY {direction}, {pv}.{segment}) AS {rank},\n  COUNT(*) OVER ({}) AS {k}\nFROM {pv}\nWHERE {pv}.{pooled} = 0 AND {n} >= {min_periods} AND {pv}.{p} IS NOT NULL",
                    self.keys_of("_p_values"),
                    by_link.trim_end(),
                ),
            ));
            let scaled = format!("({hr}.{k} - {hr}.{rank} + 1) * {hr}.{p_dir}");
            ctes.push((
                "_holm",
                format!(
                    "SELECT\n  {}MAX(CASE WHEN {scaled} < 1 THEN {scaled} ELSE 1 END) OVER ({}ORDER BY {hr}.{rank} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS {p_adjusted}\nFROM {hr}",
                    self.keys_of("_holm_ranks"),
                    self.partition("_holm_ranks"),
                ),
            ));
            let adjusted = format!("{ho}.{p_adjusted}");
            let cases = format!(
                "WHEN {pv}.{pooled} = 1 THEN CASE\n      {}\n      ELSE {inconclusive}\n    END\n    WHEN {adjusted} < {alpha} AND {pv}.{p} < 0.5 THEN {supports}\n    WHEN {adjusted} < {alpha} AND {pv}.{p} > 0.5 THEN {contradicts}",
                pooled_verdict.replace("\n    ", "\n      "),
                inconclusive = word(Verdict::Inconclusive),
                alpha = number(ALPHA),
                supports = word(Verdict::Supports),
                contradicts = word(Verdict::Contradicts),
            );
            (
                cases,
                format!(
                    "{pv}\nLEFT JOIN {ho} ON {}",
                    self.same_keys("_holm", "_p_values")
                ),
                format!("CASE WHEN {pv}.{pooled} = 1 THEN NULL ELSE {pv}.{segment} END"),
                adjusted,
                format!("\nORDER BY {outer_order}{pv}.{pooled} DESC, {pv}.{segment}"),
            )
        } else {
            let order = if self.outer == 0 {
                String::new()
            } else {
                format!("\nORDER BY {}", outer_order.trim_end_matches(", "))
            };
            (
                pooled_verdict,
                pv.clone(),
                format!("CAST(NULL AS {})", self.d.text_type()),
                self.d.to_float("NULL"),
                order,
            )
        };
        let verdict = format!(
            "CASE\n    WHEN {n} < {min_periods} THEN {too_few}\n    {verdict_cases}\n    ELSE {inconclusive}\n  END",
            too_few = word(Verdict::TooFewPeriods),
            inconclusive = word(Verdict::Inconclusive),
        );
        let effect = col(LinkColumn::Effect);
        let half = format!("{pv}.{}", id("_half"));
        let columns: Vec<String> = self.keys[..self.outer]
            .iter()
            .map(|k| format!("{pv}.{k} AS {k}"))
            .chain(LinkColumn::ALL.iter().map(|&c| {
                let value = match c {
                    LinkColumn::Segment => segment_value.clone(),
                    LinkColumn::N => n.clone(),
                    LinkColumn::M => format!("{pv}.{}", id(M)),
                    LinkColumn::PAdjusted => adjusted.clone(),
                    LinkColumn::EffectLow => format!("{effect} - {half}"),
                    LinkColumn::EffectHigh => format!("{effect} + {half}"),
                    LinkColumn::ExpectedSign => e.clone(),
                    LinkColumn::Verdict => verdict.clone(),
                    _ => col(c),
                };
                format!("{value} AS {}", id(c.name()))
            }))
            .collect();
        let select = format!("SELECT\n  {}\nFROM {from}{order}", columns.join(",\n  "));
        (ctes, select)
    }
}
