//! `cpic debug`: an intermediate stage as JSON, to localise a bug.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::ValueEnum;

use super::{load, options, parse_date, Outcome, REPORTED};
use crate::compile;
use crate::date::Date;
use crate::diag::render;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Stage {
    /// The syntax tree, as JSON.
    Ast,
    /// The checked model, as JSON.
    Model,
}

#[derive(clap::Args)]
pub struct DebugArgs {
    #[arg(value_enum)]
    stage: Stage,
    #[arg(default_value = ".")]
    path: PathBuf,
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
}

pub fn debug(args: &DebugArgs) -> Outcome {
    let db = load(&args.path)?;
    let compilation = compile(&db, &options(args.today));
    let mut out = io::stdout().lock();
    let value = match args.stage {
        Stage::Ast => serde_json::to_value(&compilation.ast),
        Stage::Model => serde_json::to_value(&compilation.model),
    }
    .map_err(io::Error::other)?;
    serde_json::to_writer_pretty(&mut out, &value).map_err(io::Error::other)?;
    writeln!(out)?;
    if compilation.has_errors() {
        let mut err = io::stderr().lock();
        render::short(&db, &compilation.diagnostics, &mut err)?;
        return Err(REPORTED);
    }
    Ok(())
}
