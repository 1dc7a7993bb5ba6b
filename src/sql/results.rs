//! What the queries return, named once: the result columns of each kind of
//! query, and the words the link verdict and the target status columns
//! hold. The generator (`queries.rs`) writes these names and words; the run
//! (`run::execute`) reads them by the same enums, so a column renamed or a
//! verdict added changes both or neither.
//!
//! Each column set is a `keyword_enum!` whose order is the order of the
//! query's SELECT list, and a [`ResultColumn`]: which of its columns are
//! read back as text.

use crate::keyword::Keyword;

/// The columns of one kind of query, in SELECT order: each is read back as
/// a number (a double) or, when it holds a period, a name or a word, as
/// text.
pub trait ResultColumn: Keyword + PartialEq {
    /// The columns read as text; every other one is a number.
    const TEXT: &'static [Self];

    fn is_text(self) -> bool {
        Self::TEXT.contains(&self)
    }
}

/// Says which columns of each result are text, next to the result's enum.
macro_rules! text_columns {
    ($($columns:ident: [$($text:ident),*];)+) => {
        $(impl ResultColumn for $columns {
            const TEXT: &'static [Self] = &[$($columns::$text),*];
        })+
    };
}

text_columns! {
    SeriesColumn: [Period];
    LinkColumn: [Segment, Verdict];
    EnrolmentColumn: [Variant];
    EffectColumn: [Metric, Variant, Verdict];
    PairColumn: [Period];
    LagColumn: [];
    TargetColumn: [Metric, Period, Status, Good];
    ExpectationColumn: [Status, Newest];
}

keyword_enum! {
    /// A metric's series (`metrics/<name>.sql`): one row per period.
    pub enum SeriesColumn {
        Period = "period",
        Value = "value",
    }
}

keyword_enum! {
    /// A link's evidence (`links/<from>__<to>.sql`), LANGUAGE.md section
    /// 9: the pooled row (`segment` NULL), then one row per value of the
    /// link's `segments` dimension.
    pub enum LinkColumn {
        /// The segment's dimension value as text; NULL for the pooled row.
        Segment = "segment",
        /// Pairs (FROM at p, TO at p + lag) whose later period has ended.
        N = "n",
        /// Differences between pairs of consecutive periods.
        M = "m",
        /// The levels' correlation: shown, never decides.
        R = "r",
        /// The correlation of the (seasonally adjusted) differences.
        RDiff = "r_diff",
        /// Lag-1 autocorrelations of the differences.
        RhoFrom = "rho_from",
        RhoTo = "rho_to",
        /// The effective number of independent differences.
        NEff = "n_eff",
        /// Fisher's z of `r_diff`, scaled by √(n_eff − 3).
        Z = "z",
        /// One-sided p in the expected direction.
        P = "p",
        /// A segment's p in the direction of its sign, Holm-adjusted across
        /// the segments; NULL for the pooled row.
        PAdjusted = "p_adjusted",
        /// The slope of TO's differences on FROM's: TO's unit per FROM's.
        Effect = "effect",
        EffectLow = "effect_low",
        EffectHigh = "effect_high",
        ExpectedSign = "expected_sign",
        Verdict = "verdict",
    }
}

keyword_enum! {
    /// An experiment's enrolment (LANGUAGE.md section 11): one row per
    /// variant found (and the control, even without units), in sorted
    /// order; the experiment's figures repeated on every row.
    pub enum EnrolmentColumn {
        Variant = "variant",
        /// Units enrolled in the variant.
        Units = "units",
        /// The units `split` expects of the variant out of all enrolled.
        Expected = "expected",
        /// Units left out: assigned to more than one variant.
        LeftOut = "left_out",
        /// Pearson's chi-squared of `units` against `expected`.
        ChiSquared = "chi_squared",
        /// Its upper-tail p with (variants − 1) degrees of freedom; below
        /// `SRM_ALPHA` the experiment has a sample-ratio mismatch.
        SrmP = "srm_p",
    }
}

/// Below this sample-ratio p an experiment gets no other verdict.
pub const SRM_ALPHA: f64 = 0.001;

keyword_enum! {
    /// An experiment's effects (LANGUAGE.md section 11): one row per
    /// analysed metric (the link's two ends, then the guardrails) and
    /// treatment variant (sorted), each compared with the control.
    pub enum EffectColumn {
        Metric = "metric",
        Variant = "variant",
        /// The control's value: the metric's measure over the control's
        /// rows, additive aggregates per enrolled unit.
        ControlValue = "control_value",
        /// The variant's value, the same way.
        Value = "value",
        /// `value - control_value`, in the metric's unit.
        Difference = "difference",
        /// Its 95% interval.
        Low = "low",
        High = "high",
        /// Two-sided p of the difference.
        P = "p",
        /// `value / control_value - 1`.
        Relative = "relative",
        RelativeLow = "relative_low",
        RelativeHigh = "relative_high",
        /// The variant's verdict on the tested link, the same on each of
        /// its rows.
        Verdict = "verdict",
    }
}

/// The normal quantile of a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

keyword_enum! {
    /// What a treatment variant says of the link its experiment tests
    /// (LANGUAGE.md section 11).
    pub enum ExperimentVerdict {
        /// The CPI improved (its interval on the better side of 0) and so
        /// did the KPI.
        Confirmed = "confirmed",
        /// The CPI improved and the KPI got worse.
        Contradicted = "contradicted",
        /// The CPI improved; the KPI's interval holds 0.
        NotConfirmed = "not_confirmed",
        /// The CPI did not improve: the variant does not test the link.
        CpiUnchanged = "cpi_unchanged",
        /// The enrolment is off its split (`srm_p` below `SRM_ALPHA`): no
        /// other verdict.
        SampleRatioMismatch = "sample_ratio_mismatch",
    }
}

keyword_enum! {
    /// The pairs behind a link's evidence: one row per pair of periods.
    pub enum PairColumn {
        Period = "period",
        X = "x",
        Y = "y",
        /// The changes section 9 correlates (from the pair before,
        /// seasonally adjusted where it applies, centred); NULL for a pair
        /// whose period before has none.
        U = "u",
        V = "v",
    }
}

keyword_enum! {
    /// A link's differences correlated at other lags (context for the docs,
    /// never a verdict): one row per lag from 0 to `LAG_PROFILE_MAX`.
    pub enum LagColumn {
        Lag = "lag",
        N = "n",
        RDiff = "r_diff",
    }
}

/// The longest lag, in periods of the link's grain, of the lag profile.
pub const LAG_PROFILE_MAX: i64 = 6;

keyword_enum! {
    /// The target status query (`targets.sql`): one row per metric with a
    /// target active on its latest complete period.
    pub enum TargetColumn {
        Metric = "metric",
        Period = "period",
        Value = "value",
        Low = "low",
        High = "high",
        Status = "status",
        Good = "good",
    }
}

keyword_enum! {
    /// What the data says of a link (the `verdict` column).
    pub enum Verdict {
        /// The changes move together in the expected direction, beyond
        /// chance at 5% (one-sided).
        Supports = "supports",
        /// They move together in the opposite direction, beyond chance.
        Contradicts = "contradicts",
        /// Neither: what the data show is within chance.
        Inconclusive = "inconclusive",
        /// Fewer pairs than the link's `min_periods`: no test.
        TooFewPeriods = "too_few_periods",
    }
}

keyword_enum! {
    /// Where a metric's latest complete value stands against its target's
    /// range (the `status` column).
    pub enum TargetStatus {
        Below = "below",
        Within = "within",
        Above = "above",
    }
}

keyword_enum! {
    /// A data expectation's query (`cpic sql --tests`, LANGUAGE.md section
    /// 10): one row per example found (a duplicate key, a row with a null,
    /// a period out of range), or one row without an example; the
    /// expectation's figures repeated on every row. After these columns,
    /// `expectation_value(1)`, `(2)`, ...: the example's values.
    pub enum ExpectationColumn {
        Status = "status",
        /// fresh: the newest time's age in seconds (NULL without rows);
        /// unique: the keys that more than one row shares; not_null: the
        /// rows with a null; expect: the periods out of the range.
        Found = "found",
        /// What was looked at: rows with a time, rows with the whole key,
        /// rows, complete periods with a value.
        Checked = "checked",
        /// fresh: the newest time.
        Newest = "newest",
        /// The example's rank (1 first), NULL on a row without one.
        Example = "example",
        /// unique: the rows sharing the key; expect: the period's value.
        Number = "number",
    }
}

/// The column of an expectation's query holding the example's `i`-th
/// value (from 1): the key columns of `unique`, the shown columns of
/// `not_null`, the period of `expect`.
pub fn expectation_value(i: usize) -> String {
    format!("value_{i}")
}

keyword_enum! {
    /// Whether a data expectation holds (the `status` column).
    pub enum ExpectationStatus {
        Pass = "pass",
        Fail = "fail",
    }
}

/// The position of `column` in its query's SELECT list.
pub fn position<C: Keyword + PartialEq>(column: C) -> usize {
    C::ALL
        .iter()
        .position(|&c| c == column)
        .expect("a column is one of ALL")
}
