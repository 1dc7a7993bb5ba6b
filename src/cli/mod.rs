//! Commands and their options, one file per command. Every command returns
//! `Result<(), Failure>`; [`main`] turns that into the exit status, once:
//! 0 no errors (warnings allowed), 1 errors (or warnings with
//! `--deny-warnings`), 2 usage or I/O problems.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use crate::date::Date;
use crate::diag::render;
use crate::model::Model;
use crate::source::SourceDb;
use crate::{compile, Options};

mod build;
mod check;
mod debug;
mod docs;
mod explain;
mod export;
mod fmt;
mod graph;
mod init;
mod man;
mod run;
mod sql;
mod test;

pub const EXIT_OK: u8 = 0;
pub const EXIT_ERRORS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// Why a command did not succeed. `main` prints what was not shown yet
/// and maps it to the exit status.
#[derive(Debug)]
pub enum Failure {
    /// Everything was already shown (diagnostics, a report, messages).
    Shown(Exit),
    /// An error about the project or its data, to show: exit status 1.
    Error(String),
    /// A wrong use of the command line or an unusable path: exit status 2.
    Usage(String),
    /// Reading or writing failed: exit status 2.
    Io(io::Error),
}

/// The two failing exit statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Errors in the specs or the data (1).
    Errors,
    /// Usage or I/O problems (2).
    Usage,
}

/// Errors were shown (diagnostics, a list of unformatted files): exit 1.
pub const REPORTED: Failure = Failure::Shown(Exit::Errors);

impl Failure {
    pub fn exit(&self) -> Exit {
        match self {
            Failure::Shown(exit) => *exit,
            Failure::Error(_) => Exit::Errors,
            Failure::Usage(_) | Failure::Io(_) => Exit::Usage,
        }
    }

    /// Prints its message, if it has one not shown yet. A closed pipe
    /// (`cpic sql | head`) is not an error worth a message.
    fn show(&self) {
        match self {
            Failure::Shown(_) => {}
            Failure::Io(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            _ => eprintln!("error: {self}"),
        }
    }

    /// The exit status.
    fn status(&self) -> u8 {
        match self {
            Failure::Io(e) if e.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
            _ => match self.exit() {
                Exit::Errors => EXIT_ERRORS,
                Exit::Usage => EXIT_USAGE,
            },
        }
    }
}

/// The message, without the `error: ` in front.
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Shown(_) => f.write_str("already reported"),
            Failure::Error(message) | Failure::Usage(message) => f.write_str(message),
            Failure::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Io(e)
    }
}

/// What every command returns.
pub type Outcome = Result<(), Failure>;

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

#[derive(Subcommand)]
enum Command {
    /// Check a project: names, types, units, links, targets and methodology.
    Check(check::CheckArgs),
    /// Compile a project to SQL: metric series, link evidence, target status.
    Sql(sql::SqlArgs),
    /// Compute every metric, target and link on a database and report them.
    Run(run::RunArgs),
    /// Evaluate the data expectations (`fresh`, `unique`, `not_null`,
    /// `expect`) on a database: exit 1 when one fails.
    Test(test::TestArgs),
    /// Build the documentation site: every metric, team, link and source.
    Docs(docs::DocsArgs),
    /// Build everything into one folder: the SQL of every dialect, the docs
    /// site and `manifest.json` (the checked model for other tools).
    Build(build::BuildArgs),
    /// Export the project to another tool's format.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Run the language server on standard input and output (for editors).
    Lsp,
    /// Print the link graph: metrics (title, unit) and links (status, lag).
    Graph(graph::GraphArgs),
    /// Create a starter project in DIR: a team, a source over a small CSV, a
    /// CPI with a target, a KPI and a link; it checks clean and runs at once.
    Init(init::InitArgs),
    /// Rewrite spec files in the canonical layout (comments kept), or list
    /// the ones that are not with `--check`.
    Fmt(fmt::FmtArgs),
    /// Print a shell completion script: `cpic completions bash > ~/.local/share/bash-completion/completions/cpic`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (`cpic.1` and one per command) into DIR, or
    /// print `cpic.1` without `-o`.
    Man(man::ManArgs),
    /// Explain a diagnostic code, e.g. `cpic explain E0301`.
    Explain(explain::ExplainArgs),
    /// Print an intermediate stage, to localise a bug.
    Debug(debug::DebugArgs),
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
    let outcome = match cli.command {
        Command::Check(args) => check::check(&args),
        Command::Sql(args) => sql::sql(&args),
        Command::Run(args) => run::run(&args),
        Command::Test(args) => test::test(&args),
        Command::Docs(args) => docs::docs(&args),
        Command::Fmt(args) => fmt::fmt(&args),
        Command::Build(args) => build::build(&args),
        Command::Lsp => crate::lsp::run().map_err(|e| Failure::Usage(e.to_string())),
        Command::Export(command) => export::export(&command),
        Command::Init(args) => init::init(&args),
        Command::Graph(args) => graph::graph(&args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "cpic", &mut io::stdout());
            Ok(())
        }
        Command::Man(args) => man::man(<Cli as clap::CommandFactory>::command(), &args),
        Command::Explain(args) => explain::explain(&args),
        Command::Debug(args) => debug::debug(&args),
    };
    match outcome {
        Ok(()) => EXIT_OK,
        Err(failure) => {
            failure.show();
            failure.status()
        }
    }
}

/// `--today`, `--as-of` and `--since` values.
pub(crate) fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("`{s}` is not a date (YYYY-MM-DD)"))
}

/// The options of `cpic docs` and `cpic build` that decide the site's data.
#[derive(clap::Args)]
pub(crate) struct DataArgs {
    /// The database to compute values on (default: `[database] url` of
    /// `cpi.toml`, else an in-memory DuckDB). Given explicitly, it must work.
    #[arg(long, value_name = "URL", conflicts_with = "no_data")]
    pub db: Option<String>,
    /// Build the site without values, charts and verdicts: no database is
    /// opened.
    #[arg(long)]
    pub no_data: bool,
    /// The date that decides complete periods, active targets and overdue
    /// reviews (default: today, UTC).
    #[arg(long, value_parser = parse_date)]
    pub today: Option<Date>,
}

pub(crate) fn options(today: Option<Date>) -> Options {
    Options {
        today: today.unwrap_or_else(Date::today_utc),
    }
}

/// Loads the project at `path`; a path without specs is a usage error.
pub(crate) fn load(path: &Path) -> Result<SourceDb, Failure> {
    let db = SourceDb::load(path).map_err(|e| Failure::Usage(e.to_string()))?;
    if db.spec_count() == 0 {
        return Err(Failure::Usage(format!(
            "no `.cpi` files in `{}`",
            path.display()
        )));
    }
    Ok(db)
}

/// Compiles for a backend: diagnostics go to standard error; the model, or
/// a failure when there are errors (with the summary line printed).
pub(crate) fn checked_model(sources: &SourceDb, today: Option<Date>) -> Result<Model, Failure> {
    let compilation = compile(sources, &options(today));
    report(sources, &compilation.diagnostics)?;
    compilation.model.ok_or_else(|| {
        eprintln!(
            "{}",
            render::summary(&compilation.diagnostics, sources.spec_count())
        );
        REPORTED
    })
}

/// The project's root folder (the working directory for a lone file read
/// from memory).
pub(crate) fn root(sources: &SourceDb) -> PathBuf {
    sources.root.clone().unwrap_or_else(|| PathBuf::from("."))
}

/// Whether colour may be used at all: `NO_COLOR` (any non-empty value)
/// turns it off everywhere (<https://no-color.org>).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Colour and Unicode decoration for a stream: only on a terminal without
/// `NO_COLOR`.
pub(crate) fn fancy(stream: &impl IsTerminal) -> bool {
    stream.is_terminal() && !no_color()
}

fn color_for(fancy: bool) -> ColorChoice {
    if fancy {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    }
}

/// Prints diagnostics on standard error (the standard output carries SQL).
pub(crate) fn report(db: &SourceDb, diags: &[crate::diag::Diagnostic]) -> io::Result<()> {
    if diags.is_empty() {
        return Ok(());
    }
    let mut err = StandardStream::stderr(color_for(fancy(&io::stderr())));
    render::human(db, diags, &mut err)
}
