//! `cpic explain`: what a diagnostic code means and how to fix it.

use std::io::{self, Write};

use super::{Failure, Outcome};
use crate::diag::Code;

#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The code; omit it with `--list` to list every code.
    code: Option<String>,
    /// List every code with its title.
    #[arg(long)]
    list: bool,
}

pub fn explain(args: &ExplainArgs) -> Outcome {
    let mut out = io::stdout().lock();
    match (&args.code, args.list) {
        (Some(code), _) => match Code::parse(code) {
            Some(code) => Ok(writeln!(out, "{}", code.explanation())?),
            None => Err(Failure::Usage(format!(
                "unknown diagnostic code `{code}`; `cpic explain --list` lists them"
            ))),
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
            Ok(())
        }
        (None, false) => Err(Failure::Usage(
            "give a code, e.g. `cpic explain E0301`, or `--list`".to_string(),
        )),
    }
}
