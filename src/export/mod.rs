//! Exports of a checked model to other tools' formats.

pub mod metricflow;
mod yaml;
