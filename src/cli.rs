//! Commands and their options. Exit status: 0 no errors (warnings allowed),
//! 1 errors (or warnings with `--deny-warnings`), 2 usage or I/O problems.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use crate::date::Date;
use crate::diag::render::{self, Format};
use crate::diag::{Code, Diagnostic};
use crate::source::SourceDb;
use crate::{compile, Options};

pub const EXIT_OK: u8 = 0;
pub const EXIT_ERRORS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "cpic",
    version,
    about = "Check, compile and run customer performance indicator specs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args)]
struct CheckArgs {
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

#[derive(Subcommand)]
enum Command {
    /// Check a project: names, types, units, links, targets and methodology.
    Check(CheckArgs),
    /// Explain a diagnostic code, e.g. `cpic explain E0301`.
    Explain {
        /// The code; omit it with `--list` to list every code.
        code: Option<String>,
        /// List every code with its title.
        #[arg(long)]
        list: bool,
    },
    /// Print an intermediate stage, to localise a bug.
    Debug {
        #[arg(value_enum)]
        stage: Stage,
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_parser = parse_date)]
        today: Option<Date>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Stage {
    /// The syntax tree, as JSON.
    Ast,
    /// The checked model, as JSON.
    Model,
}

fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

/// Runs the command line; returns the exit status.
pub fn main() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let result = match cli.command {
        Command::Check(args) => check(&args),
        Command::Explain { code, list } => explain(code.as_deref(), list),
        Command::Debug { stage, path, today } => debug(stage, &path, today),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_USAGE
        }
    }
}

fn options(today: Option<Date>) -> Options {
    Options {
        today: today.unwrap_or_else(Date::today_utc),
    }
}

fn load(path: &std::path::Path) -> Result<SourceDb, u8> {
    let db = SourceDb::load(path).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_USAGE
    })?;
    if db.spec_count() == 0 {
        eprintln!("error: no `.cpi` files in `{}`", path.display());
        return Err(EXIT_USAGE);
    }
    Ok(db)
}

fn color_choice(when: ColorWhen) -> ColorChoice {
    match when {
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
        ColorWhen::Auto => {
            if io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            {
                ColorChoice::Auto
            } else {
                ColorChoice::Never
            }
        }
    }
}

fn check(args: &CheckArgs) -> io::Result<u8> {
    let db = match load(&args.path) {
        Ok(db) => db,
        Err(code) => return Ok(code),
    };
    let compilation = compile(&db, &options(args.today));
    let diags = &compilation.diagnostics;
    print_diagnostics(&db, diags, args.format, color_choice(args.color))?;
    Ok(exit_status(diags, args.deny_warnings))
}

/// Prints diagnostics and, for human and short output, the summary line.
pub fn print_diagnostics(
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
    }
    Ok(())
}

pub fn exit_status(diags: &[Diagnostic], deny_warnings: bool) -> u8 {
    let errors = diags.iter().any(Diagnostic::is_error);
    if errors || (deny_warnings && !diags.is_empty()) {
        EXIT_ERRORS
    } else {
        EXIT_OK
    }
}

fn explain(code: Option<&str>, list: bool) -> io::Result<u8> {
    let mut out = io::stdout().lock();
    match (code, list) {
        (Some(code), _) => match Code::parse(code) {
            Some(code) => {
                writeln!(out, "{}", code.explanation())?;
                Ok(EXIT_OK)
            }
            None => {
                eprintln!(
                    "error: unknown diagnostic code `{code}`; `cpic explain --list` lists them"
                );
                Ok(EXIT_USAGE)
            }
        },
        (None, true) => {
            for code in Code::ALL {
                writeln!(
                    out,
                    "{}  {:<7}  {}",
                    code.as_str(),
                    format!("{:?}", code.severity()).to_lowercase(),
                    code.title()
                )?;
            }
            Ok(EXIT_OK)
        }
        (None, false) => {
            eprintln!("error: give a code, e.g. `cpic explain E0301`, or `--list`");
            Ok(EXIT_USAGE)
        }
    }
}

fn debug(stage: Stage, path: &std::path::Path, today: Option<Date>) -> io::Result<u8> {
    let db = match load(path) {
        Ok(db) => db,
        Err(code) => return Ok(code),
    };
    let compilation = compile(&db, &options(today));
    let mut out = io::stdout().lock();
    let value = match stage {
        Stage::Ast => serde_json::to_value(&compilation.ast),
        Stage::Model => serde_json::to_value(&compilation.model),
    }
    .map_err(io::Error::other)?;
    serde_json::to_writer_pretty(&mut out, &value).map_err(io::Error::other)?;
    writeln!(out)?;
    if compilation.has_errors() {
        let mut err = io::stderr().lock();
        render::short(&db, &compilation.diagnostics, &mut err)?;
        return Ok(EXIT_ERRORS);
    }
    Ok(EXIT_OK)
}
