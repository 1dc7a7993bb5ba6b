//! `cpic fmt`: rewrite spec files in the canonical layout, or with
//! `--check` list the ones that are not.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::{report, Failure, Outcome, REPORTED};
use crate::fmt::{format_file, FormatError};
use crate::source::{FileKind, SourceDb};

#[derive(clap::Args)]
pub struct FmtArgs {
    /// Project directories or `.cpi` files; `-` reads standard input and
    /// writes the result to standard output.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Write nothing: list the files that would change and exit 1 if any would.
    #[arg(long)]
    check: bool,
}

/// Every path is formatted even when an earlier one fails; the exit
/// status is the worst of them.
pub fn fmt(args: &FmtArgs) -> Outcome {
    let mut worst = None;
    for path in &args.paths {
        let outcome = if path.as_os_str() == "-" {
            stdin(args.check)
        } else {
            project(path, args.check)
        };
        if let Err(failure) = outcome {
            failure.show();
            worst = worst.max(Some(failure.exit()));
        }
    }
    worst.map_or(Ok(()), |exit| Err(Failure::Shown(exit)))
}

fn stdin(check: bool) -> Outcome {
    let mut bytes = Vec::new();
    io::stdin().read_to_end(&mut bytes)?;
    let mut db = SourceDb::new();
    db.add("<stdin>.cpi", bytes);
    let (id, file) = db.files().next().expect("one file was added");
    if file.invalid_utf8_at.is_some() {
        return Err(Failure::Error(
            "standard input is not valid UTF-8".to_string(),
        ));
    }
    match format_file(id, &file.text) {
        Ok(formatted) if check => {
            if formatted == file.text {
                Ok(())
            } else {
                Err(REPORTED)
            }
        }
        Ok(formatted) => Ok(io::stdout().lock().write_all(formatted.as_bytes())?),
        Err(error) => {
            failed(&db, "<stdin>", error)?;
            Err(REPORTED)
        }
    }
}

fn project(path: &Path, check: bool) -> Outcome {
    let db = SourceDb::load(path).map_err(|e| Failure::Usage(e.to_string()))?;
    let root = db.root.clone().unwrap_or_default();
    let mut failed_any = false;
    let (mut changed, mut unchanged) = (0, 0);
    for (id, file) in db.files().filter(|(_, f)| f.kind == FileKind::Spec) {
        let on_disk = root.join(&file.name);
        if file.invalid_utf8_at.is_some() {
            eprintln!("error: `{}` is not valid UTF-8", on_disk.display());
            failed_any = true;
            continue;
        }
        let formatted = match format_file(id, &file.text) {
            Ok(formatted) => formatted,
            Err(error) => {
                failed(&db, &on_disk.display().to_string(), error)?;
                failed_any = true;
                continue;
            }
        };
        if formatted == file.text {
            unchanged += 1;
            continue;
        }
        changed += 1;
        if check {
            println!("{}", on_disk.display());
            failed_any = true;
        } else {
            write_atomically(&on_disk, &formatted)?;
        }
    }
    let files = crate::words::count(changed as f64, "file");
    if check {
        if changed > 0 {
            eprintln!("{files} would be reformatted, {unchanged} already formatted");
        }
    } else {
        eprintln!("{files} reformatted, {unchanged} unchanged");
    }
    if failed_any {
        Err(REPORTED)
    } else {
        Ok(())
    }
}

/// Says why a file was not formatted.
fn failed(db: &SourceDb, name: &str, error: FormatError) -> io::Result<()> {
    match error {
        FormatError::Syntax(diags) => {
            report(db, &diags)?;
            eprintln!("error: `{name}` has syntax errors and was not formatted");
        }
        FormatError::Unfaithful { what } => eprintln!(
            "error: formatting `{name}` would change {what}, so it was left as it is; \
             this is a bug in cpic, please report it with the file"
        ),
    }
    Ok(())
}

/// Replaces a file through a temporary file beside it, so that an
/// interrupted run never leaves half a spec.
fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".cpic-fmt.tmp");
    let temp = PathBuf::from(temp);
    std::fs::write(&temp, text)?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(&temp, meta.permissions())?;
    }
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}
