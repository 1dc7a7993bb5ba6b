//! `cpic check`: every diagnostic of a project, in the chosen format.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::ValueEnum;
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use super::{color_for, fancy, load, options, parse_date, Outcome, REPORTED};
use crate::compile;
use crate::date::Date;
use crate::diag::render::{self, Format};
use crate::diag::Diagnostic;
use crate::source::SourceDb;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    /// A project directory or one `.cpi` file.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Treat warnings as errors (exit status 1).
    #[arg(long)]
    deny_warnings: bool,
    /// When to colour human output (auto: only on a terminal, never with NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    /// The date against which expired targets are judged (default: today, UTC).
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
}

pub fn check(args: &CheckArgs) -> Outcome {
    let db = load(&args.path)?;
    let compilation = compile(&db, &options(args.today));
    let diags = &compilation.diagnostics;
    let color = match args.color {
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
        ColorWhen::Auto => color_for(fancy(&io::stdout())),
    };
    print_diagnostics(&db, diags, args.format, color)?;
    let errors = diags.iter().any(Diagnostic::is_error);
    if errors || (args.deny_warnings && !diags.is_empty()) {
        return Err(REPORTED);
    }
    Ok(())
}

/// Prints diagnostics and, for human and short output, the summary line.
fn print_diagnostics(
    db: &SourceDb,
    diags: &[Diagnostic],
    format: Format,
    color: ColorChoice,
) -> io::Result<()> {
    match format {
        Format::Human => {
            let mut out = StandardStream::stdout(color);
            render::human(db, diags, &mut out)?;
            writeln!(out, "{}", render::summary(diags, db.spec_count()))?;
        }
        Format::Short => {
            let mut out = io::stdout().lock();
            render::short(db, diags, &mut out)?;
            writeln!(out, "{}", render::summary(diags, db.spec_count()))?;
        }
        Format::Json => {
            let mut out = io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &render::json_value(db, diags))
                .map_err(io::Error::other)?;
            writeln!(out)?;
        }
        Format::Github => {
            let mut out = io::stdout().lock();
            crate::ci::github(&render::annotations(db, diags).0, &mut out)?;
            writeln!(out, "{}", render::summary(diags, db.spec_count()))?;
        }
        Format::Sarif => {
            let (annotations, rules) = render::annotations(db, diags);
            let mut out = io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &crate::ci::sarif(&annotations, &rules))
                .map_err(io::Error::from)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
