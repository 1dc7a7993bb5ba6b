//! The report's types: what a run found, which the report and the docs
//! read.

use serde::Serialize;

use super::expectations;
use super::experiments::ExperimentResult;
use crate::date::Date;
use crate::diag::Diagnostic;
use crate::model::{Link, LinkStatus, Metric, Model};
use crate::sql::results::{TargetStatus, Verdict};

/// What to run and as of when.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Only these metrics (and the links that touch them); empty: all.
    pub metrics: Vec<String>,
    /// Only periods that start on or after this date.
    pub since: Option<Date>,
    /// Periods that end after this date are not complete.
    pub today: Date,
    /// Also fetch the pairs behind every link's evidence (for charts).
    pub pairs: bool,
    /// Run the self-contained queries of `cpic sql` one by one instead of
    /// keeping series in temporary tables.
    pub standalone: bool,
    /// Only these experiments; empty: every experiment that analyses a
    /// metric of the run.
    pub experiments: Vec<String>,
}

/// One period of a series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Point {
    pub period: Date,
    pub value: f64,
}

/// The target active on the latest complete period, and where the value is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetResult {
    pub low: f64,
    pub high: f64,
    pub status: TargetStatus,
    /// Within the range, or beyond it on the better side.
    pub good: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct MetricResult<'m> {
    #[serde(skip)]
    pub metric: &'m Metric,
    /// Every period with a value, oldest first.
    pub series: Vec<Point>,
    /// The last period that ended on or before today and has a value.
    pub latest: Option<Point>,
    /// The period just before `latest`, when it has a value.
    pub previous: Option<Point>,
    pub target: Option<TargetResult>,
}

impl MetricResult<'_> {
    /// `latest - previous`.
    pub fn change(&self) -> Option<f64> {
        Some(self.latest?.value - self.previous?.value)
    }

    /// Whether the change is an improvement for the metric's direction
    /// (None when there is no change to judge).
    pub fn change_is_better(&self) -> Option<bool> {
        let change = self.change()?;
        if change == 0.0 {
            return None;
        }
        Some((change > 0.0) == (self.metric.direction.sign() > 0))
    }
}

/// One pair behind a link's evidence: the left metric in `period` and the
/// right metric `lag` periods later.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Pair {
    pub period: Date,
    pub x: f64,
    pub y: f64,
    /// The changes section 9 correlates, when the period before has a
    /// pair (`PairColumn::U`, `V`).
    pub change: Option<(f64, f64)>,
}

/// What LANGUAGE.md section 9 says of a link, or of one of its segments
/// (the columns of `LinkColumn`; see there for each).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub n: i64,
    pub m: i64,
    pub r: Option<f64>,
    pub r_diff: Option<f64>,
    pub rho_from: Option<f64>,
    pub rho_to: Option<f64>,
    pub n_eff: Option<f64>,
    pub z: Option<f64>,
    pub p: Option<f64>,
    /// In the TO metric's unit per one unit of the FROM metric's.
    pub effect: Option<f64>,
    pub effect_low: Option<f64>,
    pub effect_high: Option<f64>,
    pub verdict: Verdict,
}

/// The evidence for one value of a link's `segments` dimension.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentResult {
    pub segment: String,
    #[serde(flatten)]
    pub evidence: Evidence,
    /// Holm-adjusted across the segments (None when not tested).
    pub p_adjusted: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkResult<'m> {
    #[serde(skip)]
    pub link: &'m Link,
    /// Only with `RunOptions::pairs`.
    #[serde(skip)]
    pub pairs: Vec<Pair>,
    /// The pooled evidence: the link's verdict.
    #[serde(flatten)]
    pub evidence: Evidence,
    pub expected_sign: i8,
    /// Per value of the link's `segments` dimension, by value.
    pub segments: Vec<SegmentResult>,
    /// Only with `RunOptions::pairs`: (lag, n, r_diff) at lags 0 to
    /// `LAG_PROFILE_MAX`, context for the docs.
    #[serde(skip)]
    pub lags: Vec<(i64, i64, Option<f64>)>,
}

impl LinkResult<'_> {
    /// A warning when the declared status disagrees with the data.
    pub fn disagreement(&self) -> Option<String> {
        match (self.link.status, self.evidence.verdict) {
            (LinkStatus::Confirmed, Verdict::Contradicts) => {
                Some("declared `confirmed`, but the data contradicts it".to_string())
            }
            (LinkStatus::Refuted, Verdict::Supports) => {
                Some("declared `refuted`, but the data supports it".to_string())
            }
            _ => None,
        }
    }
}

/// Everything a run computed.
#[derive(Clone, Debug)]
pub struct Report<'m> {
    pub model: &'m Model,
    pub database: String,
    pub today: Date,
    pub since: Option<Date>,
    /// CPIs first, then KPIs; by name within each.
    pub metrics: Vec<MetricResult<'m>>,
    pub links: Vec<LinkResult<'m>>,
    /// In the model's order (by name).
    pub experiments: Vec<ExperimentResult<'m>>,
    /// What the run has to say about how it ran (a fallback), one line
    /// each.
    pub notes: Vec<String>,
    /// The data expectations, when evaluated (`cpic run --test`, the
    /// docs with data); by name.
    pub expectations: Option<Vec<expectations::Outcome>>,
}

/// Why a run failed.
#[derive(Debug)]
pub enum RunError {
    /// `--metric` names no metric.
    NoSuchMetric(String),
    /// `--experiment` names no experiment.
    NoSuchExperiment(String),
    /// The spec cannot be compiled to the database's dialect.
    Unsupported(Vec<Diagnostic>),
    /// The database rejected a query.
    Query {
        /// What the query computes (`source quotes (metrics a, b)`).
        what: String,
        database: String,
        message: String,
    },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::NoSuchMetric(name) => write!(f, "no metric named `{name}`"),
            RunError::NoSuchExperiment(name) => write!(f, "no experiment named `{name}`"),
            RunError::Unsupported(d) => {
                write!(f, "{} problem(s) with this database's dialect", d.len())
            }
            RunError::Query {
                what,
                database,
                message,
            } => {
                write!(f, "cannot compute {what} on {database}: {message}")
            }
        }
    }
}
