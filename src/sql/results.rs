//! What the queries return, named once: the result columns of each kind of
//! query, and the words the link verdict and the target status columns
//! hold. The generator (`queries.rs`) writes these names and words; the run
//! (`run::execute`) reads them by the same enums, so a column renamed or a
//! verdict added changes both or neither.
//!
//! Each column set is a `keyword_enum!` whose order is the order of the
//! query's SELECT list.

keyword_enum! {
    /// A metric's series (`metrics/<name>.sql`): one row per period.
    pub enum SeriesColumn {
        Period = "period",
        Value = "value",
    }
}

keyword_enum! {
    /// A link's evidence (`links/<from>__<to>.sql`): one row.
    pub enum LinkColumn {
        N = "n",
        R = "r",
        Slope = "slope",
        T = "t",
        RDiff = "r_diff",
        ExpectedSign = "expected_sign",
        Verdict = "verdict",
    }
}

keyword_enum! {
    /// The pairs behind a link's evidence: one row per pair of periods.
    pub enum PairColumn {
        Period = "period",
        X = "x",
        Y = "y",
    }
}

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
        /// The correlation has the expected sign and is strong enough.
        Supports = "supports",
        /// The correlation is strong and has the opposite sign.
        Contradicts = "contradicts",
        /// Neither: too weak, too few periods, or the changes disagree.
        Inconclusive = "inconclusive",
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

/// The position of `column` in its query's SELECT list.
pub fn position<C: crate::keyword::Keyword + PartialEq>(column: C) -> usize {
    C::ALL
        .iter()
        .position(|&c| c == column)
        .expect("a column is one of ALL")
}
