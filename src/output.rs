//! Writing a generated tree of files (SQL, the docs site) all at once.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

/// The file that marks a folder as written by cpic: only such a folder (or
/// an empty one) is ever replaced, so `-o .` cannot delete a project.
pub const MARKER: &str = ".cpic-output";

/// Writes `files` (relative paths with `/`) as the folder `dir`, through a
/// temporary sibling that is renamed into place: an error never leaves a
/// half-written tree, and the previous tree stays until the new one is whole.
pub fn write_tree<'a>(
    dir: &Path,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> io::Result<()> {
    write_tree_with(dir, |tree| {
        for (path, bytes) in files {
            tree.file(path, bytes)?;
        }
        Ok(())
    })
    .map(|_| ())
}

/// Where `write_tree_with` puts files while the tree is being made.
pub struct TreeWriter {
    staging: PathBuf,
    folders: HashSet<PathBuf>,
    count: usize,
}

impl TreeWriter {
    /// Writes one file (a relative path with `/`).
    pub fn file(&mut self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.staging.join(path);
        if let Some(folder) = path.parent() {
            if !self.folders.contains(folder) {
                std::fs::create_dir_all(folder)?;
                self.folders.insert(folder.to_path_buf());
            }
        }
        self.count += 1;
        std::fs::write(&path, bytes)
    }
}

/// As `write_tree`, with the files given one at a time by `fill` as they
/// are made, so that a large tree is never held in memory. Returns the
/// number of files written. `fill` may fail with an error of its own
/// (a command's failure), which is handed back after the staging folder
/// is removed.
pub fn write_tree_with<E: From<io::Error>>(
    dir: &Path,
    fill: impl FnOnce(&mut TreeWriter) -> Result<(), E>,
) -> Result<usize, E> {
    if dir.exists() && !replaceable(dir)? {
        return Err(io::Error::other(format!(
            "{} exists and was not written by cpic (no `{MARKER}` file in it); \
             choose an empty or new folder",
            dir.display()
        ))
        .into());
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent)?;
    let name = dir
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = (|| -> Result<usize, E> {
        std::fs::create_dir_all(&staging)?;
        std::fs::write(
            staging.join(MARKER),
            "Written by cpic; the whole folder is replaced on the next build.\n",
        )?;
        let mut tree = TreeWriter {
            staging: staging.clone(),
            folders: HashSet::new(),
            count: 0,
        };
        fill(&mut tree)?;
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::rename(&staging, dir)?;
        Ok(tree.count)
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// An empty folder, or one that cpic wrote.
fn replaceable(dir: &Path) -> io::Result<bool> {
    if !dir.is_dir() {
        return Ok(false);
    }
    if dir.join(MARKER).is_file() {
        return Ok(true);
    }
    Ok(std::fs::read_dir(dir)?.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_its_own_output_but_not_other_folders() {
        let tmp = std::env::temp_dir().join(format!("cpic-output-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let out = tmp.join("site");
        write_tree(&out, [("a/b.txt", &b"one"[..])]).unwrap();
        assert_eq!(std::fs::read(out.join("a/b.txt")).unwrap(), b"one");
        write_tree(&out, [("c.txt", &b"two"[..])]).unwrap();
        assert!(!out.join("a/b.txt").exists(), "the old tree is replaced");
        assert_eq!(std::fs::read(out.join("c.txt")).unwrap(), b"two");

        let project = tmp.join("project");
        std::fs::create_dir_all(&project).unwrap();
        std::fs::write(project.join("metrics.cpi"), "keep me").unwrap();
        let err = write_tree(&project, [("x.txt", &b"x"[..])]).unwrap_err();
        assert!(err.to_string().contains("was not written by cpic"), "{err}");
        assert_eq!(
            std::fs::read(project.join("metrics.cpi")).unwrap(),
            b"keep me"
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
