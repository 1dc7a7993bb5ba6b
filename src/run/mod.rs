//! `cpic run`: every metric, target and link computed on a database.
//!
//! **Invariant: the semantics live in the SQL backend only.** This stage
//! executes the one-scan source queries, the series of derived metrics, the
//! link evidence queries and the targets query, and reads their results; it
//! computes nothing about the data itself beyond picking the latest
//! complete period of a series.
//!
//! Four rooms: `types` (the report's types, which the docs read), `plan`
//! (which queries, decided before the database is opened), `execute` (run
//! them, build the report) and reading: `read` (a result's rows, by the
//! enums of `sql::results`) and `decode` (rows into the report's types).

pub mod cell;
pub mod db;
mod decode;
mod execute;
pub mod expectations;
pub mod experiments;
mod plan;
mod read;
pub mod report;
pub mod spark_connect;
pub mod test_report;
mod types;
pub mod words;

pub use execute::execute;
pub use experiments::{Effect, ExperimentResult, VariantUnits};
pub use plan::{plan, Phase, Plan, Step};
pub use types::{
    Evidence, LinkResult, MetricResult, Pair, Point, Report, RunError, RunOptions, SegmentResult,
    TargetResult,
};
