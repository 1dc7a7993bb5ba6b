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
use crate::sql::{self as sqlgen, DialectName, SqlRequestError};
use crate::{compile, Options};

mod build;
mod docs;
mod export;
mod fmt;
mod run;

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

#[derive(clap::Args)]
struct SqlArgs {
    /// A project directory or one `.cpi` file.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The dialect (default: `[build] dialect` of `cpi.toml`, else duckdb).
    #[arg(long, value_enum)]
    dialect: Option<DialectName>,
    /// Print the series query of one metric.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["link", "targets"])]
    metric: Option<String>,
    /// With --metric: one series per value of this dimension.
    #[arg(long, value_name = "DIM", requires = "metric")]
    by: Option<String>,
    /// Print the evidence query of the link FROM -> TO.
    #[arg(long, num_args = 2, value_names = ["FROM", "TO"], conflicts_with = "targets")]
    link: Option<Vec<String>>,
    /// Print the target status query.
    #[arg(long)]
    targets: bool,
    /// Write every query under DIR/<dialect>/ instead of printing.
    #[arg(short = 'o', long, value_name = "DIR", conflicts_with_all = ["metric", "link", "targets"])]
    out: Option<PathBuf>,
    /// Judge target status as of this date instead of the engine's current date.
    #[arg(long, value_parser = parse_date)]
    as_of: Option<Date>,
    /// Only periods that start on or after this date take part.
    #[arg(long, value_parser = parse_date)]
    since: Option<Date>,
    /// The date against which expired targets are judged in the check.
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
}

#[derive(Subcommand)]
enum Command {
    /// Check a project: names, types, units, links, targets and methodology.
    Check(CheckArgs),
    /// Compile a project to SQL: metric series, link evidence, target status.
    Sql(SqlArgs),
    /// Compute every metric, target and link on a database and report them.
    Run(run::RunArgs),
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
    Graph {
        /// A project directory or one `.cpi` file.
        #[arg(default_value = ".")]
        path: PathBuf,
        #[arg(long, value_enum, default_value_t = crate::graph::GraphFormat::Dot)]
        format: crate::graph::GraphFormat,
        /// The date against which expired targets are judged in the check.
        #[arg(long, value_parser = parse_date)]
        today: Option<Date>,
    },
    /// Create a starter project in DIR: a team, a source over a small CSV, a
    /// CPI with a target, a KPI and a link; it checks clean and runs at once.
    Init {
        /// The folder (created if needed; files already there are never replaced).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The project's name (default: the folder's name).
        #[arg(long)]
        name: Option<String>,
        /// The date the sample data and the target's year are generated for.
        #[arg(long, value_parser = parse_date)]
        today: Option<Date>,
    },
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
    Man {
        #[arg(short = 'o', long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
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

pub(crate) fn parse_date(s: &str) -> Result<Date, String> {
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
        Command::Sql(args) => sql(&args),
        Command::Run(args) => run::run(&args),
        Command::Docs(args) => docs::docs(&args),
        Command::Fmt(args) => fmt::fmt(&args),
        Command::Build(args) => build::build(&args),
        Command::Lsp => match crate::lsp::run() {
            Ok(()) => Ok(EXIT_OK),
            Err(e) => {
                eprintln!("error: {e}");
                Ok(EXIT_USAGE)
            }
        },
        Command::Export(command) => export::export(&command),
        Command::Init { dir, name, today } => init(&dir, name, today),
        Command::Graph {
            path,
            format,
            today,
        } => graph(&path, format, today),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "cpic", &mut io::stdout());
            Ok(EXIT_OK)
        }
        Command::Man { out } => man(out.as_deref()),
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

pub(crate) fn options(today: Option<Date>) -> Options {
    Options {
        today: today.unwrap_or_else(Date::today_utc),
    }
}

/// Compiles for a backend: diagnostics go to standard error; the model, or
/// the exit status when there are errors (with the summary line printed).
pub(crate) fn checked_model(
    sources: &SourceDb,
    today: Option<Date>,
) -> io::Result<Result<crate::model::Model, u8>> {
    let compilation = compile(sources, &options(today));
    report(sources, &compilation.diagnostics)?;
    Ok(compilation.model.ok_or_else(|| {
        eprintln!(
            "{}",
            render::summary(&compilation.diagnostics, sources.spec_count())
        );
        EXIT_ERRORS
    }))
}

pub(crate) fn load(path: &std::path::Path) -> Result<SourceDb, u8> {
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

/// Prints diagnostics on standard error (the standard output carries SQL).
pub(crate) fn report(db: &SourceDb, diags: &[Diagnostic]) -> io::Result<()> {
    if diags.is_empty() {
        return Ok(());
    }
    let color = if io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    let mut err = StandardStream::stderr(color);
    render::human(db, diags, &mut err)
}

fn sql(args: &SqlArgs) -> io::Result<u8> {
    let db = match load(&args.path) {
        Ok(db) => db,
        Err(code) => return Ok(code),
    };
    let model = match checked_model(&db, args.today)? {
        Ok(model) => model,
        Err(code) => return Ok(code),
    };
    let dialect = args.dialect.unwrap_or_else(|| {
        DialectName::parse(&model.project.dialect).unwrap_or(DialectName::Duckdb)
    });
    let sql_options = sqlgen::Options {
        as_of: args.as_of,
        since: args.since,
    };
    let single = if let Some(metric) = &args.metric {
        Some(sqlgen::metric_series(
            &model,
            dialect,
            &sql_options,
            metric,
            args.by.as_deref(),
        ))
    } else if let Some(link) = &args.link {
        Some(sqlgen::link_evidence(
            &model,
            dialect,
            &sql_options,
            &link[0],
            &link[1],
        ))
    } else if args.targets {
        Some(sqlgen::target_status(&model, dialect, &sql_options))
    } else {
        None
    };
    if let Some(result) = single {
        return match result {
            Ok(sql) => {
                io::stdout().lock().write_all(sql.as_bytes())?;
                Ok(EXIT_OK)
            }
            Err(SqlRequestError::Unsupported(diags)) => {
                report(&db, &diags)?;
                Ok(EXIT_ERRORS)
            }
            Err(other) => {
                eprintln!("error: {other}");
                Ok(EXIT_USAGE)
            }
        };
    }
    let files = match sqlgen::all_queries(&model, dialect, &sql_options) {
        Ok(files) => files,
        Err(diags) => {
            report(&db, &diags)?;
            return Ok(EXIT_ERRORS);
        }
    };
    match &args.out {
        Some(dir) => {
            crate::output::write_tree(
                &dir.join(dialect.as_str()),
                files.iter().map(|f| (f.path.as_str(), f.sql.as_bytes())),
            )?;
            eprintln!(
                "wrote {} queries to {}",
                files.len(),
                dir.join(dialect.as_str()).display()
            );
        }
        None => {
            let mut out = io::stdout().lock();
            for (i, file) in files.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                writeln!(out, "-- file: {}", file.path)?;
                out.write_all(file.sql.as_bytes())?;
            }
        }
    }
    Ok(EXIT_OK)
}

/// The manual pages, generated from the same clap definition as `--help`.
fn man(out: Option<&std::path::Path>) -> io::Result<u8> {
    let command = <Cli as clap::CommandFactory>::command();
    let Some(dir) = out else {
        clap_mangen::Man::new(command).render(&mut io::stdout().lock())?;
        return Ok(EXIT_OK);
    };
    let mut pages: Vec<(String, Vec<u8>)> = Vec::new();
    let mut page = |name: String, command: clap::Command| -> io::Result<()> {
        let mut roff = Vec::new();
        clap_mangen::Man::new(command).render(&mut roff)?;
        pages.push((format!("{name}.1"), roff));
        Ok(())
    };
    page("cpic".to_string(), command.clone())?;
    for sub in command.get_subcommands() {
        let name = format!("cpic-{}", sub.get_name());
        let bin = format!("cpic {}", sub.get_name());
        page(name.clone(), sub.clone().display_name(name).bin_name(bin))?;
    }
    crate::output::write_tree(dir, pages.iter().map(|(p, b)| (p.as_str(), b.as_slice())))?;
    eprintln!("wrote {} manual pages to {}", pages.len(), dir.display());
    Ok(EXIT_OK)
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

fn init(dir: &std::path::Path, name: Option<String>, today: Option<Date>) -> io::Result<u8> {
    let name = name.unwrap_or_else(|| {
        std::path::absolute(dir)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "cpi project".to_string())
    });
    let files = crate::init::files(&name, today.unwrap_or_else(Date::today_utc));
    let taken: Vec<String> = files
        .iter()
        .filter(|(path, _)| dir.join(path).exists())
        .map(|(path, _)| dir.join(path).display().to_string())
        .collect();
    if !taken.is_empty() {
        eprintln!(
            "error: `cpic init` never replaces files, and these exist: {}",
            taken.join(", ")
        );
        return Ok(EXIT_USAGE);
    }
    for (path, text) in &files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
    }
    let shown = dir.display();
    eprintln!(
        "created the cpi project `{name}` in `{shown}`: {} files\n\nnext:\n  cpic check {shown}\n  cpic run {shown}\n  cpic docs {shown}",
        files.len()
    );
    Ok(EXIT_OK)
}

fn graph(
    path: &std::path::Path,
    format: crate::graph::GraphFormat,
    today: Option<Date>,
) -> io::Result<u8> {
    let db = match load(path) {
        Ok(db) => db,
        Err(code) => return Ok(code),
    };
    let model = match checked_model(&db, today)? {
        Ok(model) => model,
        Err(code) => return Ok(code),
    };
    io::stdout()
        .lock()
        .write_all(crate::graph::render(&model, format).as_bytes())?;
    Ok(EXIT_OK)
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
