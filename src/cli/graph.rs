//! `cpic graph`: the link graph as DOT, Mermaid or JSON.

use std::io::{self, Write};
use std::path::PathBuf;

use super::{checked_model, load, parse_date, Outcome};
use crate::date::Date;
use crate::graph::GraphFormat;

#[derive(clap::Args)]
pub struct GraphArgs {
    /// A project directory or one `.cpi` file.
    #[arg(default_value = ".")]
    path: PathBuf,
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    /// The date against which expired targets are judged in the check.
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
}

pub fn graph(args: &GraphArgs) -> Outcome {
    let db = load(&args.path)?;
    let model = checked_model(&db, args.today)?;
    io::stdout()
        .lock()
        .write_all(crate::graph::render(&model, args.format).as_bytes())?;
    Ok(())
}
