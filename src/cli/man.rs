//! `cpic man`: the manual pages, generated from the same clap definition
//! as `--help`.

use std::io;
use std::path::PathBuf;

use super::Outcome;

#[derive(clap::Args)]
pub struct ManArgs {
    #[arg(short = 'o', long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn man(command: clap::Command, args: &ManArgs) -> Outcome {
    let Some(dir) = &args.out else {
        clap_mangen::Man::new(command).render(&mut io::stdout().lock())?;
        return Ok(());
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
    Ok(())
}
