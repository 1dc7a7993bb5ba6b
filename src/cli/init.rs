//! `cpic init`: a starter project that checks clean and runs at once.

use std::path::PathBuf;

use super::{parse_date, Failure, Outcome};
use crate::date::Date;

#[derive(clap::Args)]
pub struct InitArgs {
    /// The folder (created if needed; files already there are never replaced).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The project's name (default: the folder's name).
    #[arg(long)]
    name: Option<String>,
    /// The date the sample data and the target's year are generated for.
    #[arg(long, value_parser = parse_date)]
    today: Option<Date>,
}

pub fn init(args: &InitArgs) -> Outcome {
    let dir = &args.dir;
    let name = args.name.clone().unwrap_or_else(|| {
        std::path::absolute(dir)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "cpi project".to_string())
    });
    let files = crate::init::files(&name, args.today.unwrap_or_else(Date::today_utc));
    let taken: Vec<String> = files
        .iter()
        .filter(|(path, _)| dir.join(path).exists())
        .map(|(path, _)| dir.join(path).display().to_string())
        .collect();
    if !taken.is_empty() {
        return Err(Failure::Usage(format!(
            "`cpic init` never replaces files, and these exist: {}",
            taken.join(", ")
        )));
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
    Ok(())
}
