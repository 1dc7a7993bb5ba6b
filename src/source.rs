//! Source files, spans and the loader.
//!
//! Every later stage reads sources from a [`SourceDb`], never from the disk:
//! the database is filled either by [`SourceDb::load`] (the only function of
//! the front end that touches the filesystem) or in memory by tests and
//! library users with [`SourceDb::add`].

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Index of a file in its [`SourceDb`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileId(pub u32);

/// A byte range in one file. Spans own no data and have no lifetime, so AST
/// and model nodes can carry them freely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (which must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl Serialize for Span {
    // Spans serialise as `[file, start, end]`: compact in snapshots and manifests.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.file.0, self.start, self.end).serialize(s)
    }
}

/// What kind of file this is: a spec file or the project configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Spec,
    Config,
}

/// One loaded file.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the project root, with `/` separators: what
    /// diagnostics show and what output order is sorted by.
    pub name: String,
    pub kind: FileKind,
    /// The text; for a file that is not UTF-8, its lossy decoding.
    pub text: String,
    /// Byte offset of the first byte that is not valid UTF-8, if any.
    pub invalid_utf8_at: Option<usize>,
    line_starts: Vec<usize>,
}

impl SourceFile {
    fn new(name: String, kind: FileKind, bytes: Vec<u8>) -> SourceFile {
        let (text, invalid_utf8_at) = match String::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(err) => {
                let at = err.utf8_error().valid_up_to();
                (
                    String::from_utf8_lossy(err.as_bytes()).into_owned(),
                    Some(at),
                )
            }
        };
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name,
            kind,
            text,
            invalid_utf8_at,
            line_starts,
        }
    }

    /// Zero-based line index of a byte offset.
    pub fn line_index(&self, byte: usize) -> usize {
        match self.line_starts.binary_search(&byte) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    pub fn line_range(&self, line: usize) -> Option<Range<usize>> {
        let start = *self.line_starts.get(line)?;
        let end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        Some(start..end)
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.text.len());
        let line = self.line_index(byte);
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..byte)
            .map_or(byte - start, |s| s.chars().count());
        (line + 1, column + 1)
    }
}

/// All files of a project, in a deterministic order (sorted by name).
#[derive(Debug, Default)]
pub struct SourceDb {
    files: Vec<SourceFile>,
    /// The project root on disk, when loaded from disk (set with
    /// `set_root`, which also names the project).
    pub root: Option<PathBuf>,
    /// The name of the root folder, resolved on disk (`.` has one too):
    /// the project's default name.
    pub folder_name: Option<String>,
}

/// A problem that stops loading before any diagnostic can be given (exit status 2).
#[derive(Debug)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

impl SourceDb {
    pub fn new() -> SourceDb {
        SourceDb::default()
    }

    /// Adds a file from memory. Files are kept sorted by name, so the order of
    /// calls never changes results.
    pub fn add(&mut self, name: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        let name = name.into();
        let kind = if name == "cpi.toml" {
            FileKind::Config
        } else {
            FileKind::Spec
        };
        let file = SourceFile::new(name, kind, bytes.into());
        let at = self.files.partition_point(|f| f.name < file.name);
        if self.files.get(at).is_some_and(|f| f.name == file.name) {
            self.files[at] = file;
        } else {
            self.files.insert(at, file);
        }
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn spec_count(&self) -> usize {
        self.files
            .iter()
            .filter(|f| f.kind == FileKind::Spec)
            .count()
    }

    pub fn config(&self) -> Option<FileId> {
        self.files()
            .find(|(_, f)| f.kind == FileKind::Config)
            .map(|(id, _)| id)
    }

    /// Loads a project: a directory (every `*.cpi` below it, skipping hidden
    /// folders and `target/`, plus `cpi.toml` at its root) or one `.cpi` file.
    pub fn load(path: &Path) -> Result<SourceDb, LoadError> {
        let meta = std::fs::metadata(path)
            .map_err(|e| LoadError(format!("cannot read `{}`: {e}", path.display())))?;
        let mut db = SourceDb::new();
        if meta.is_file() {
            let bytes = read(path)?;
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            db.add(name, bytes);
            if let Some(parent) = path.parent() {
                db.set_root(parent.to_path_buf());
            }
            return Ok(db);
        }
        let mut found = Vec::new();
        collect_specs(path, path, &mut found)?;
        for (name, full) in found {
            db.add(name, read(&full)?);
        }
        let config = path.join("cpi.toml");
        if config.is_file() {
            db.add("cpi.toml", read(&config)?);
        }
        db.set_root(path.to_path_buf());
        Ok(db)
    }

    /// Sets the project root on disk, and the folder's name from the file
    /// system (the only other file-system access of the front end).
    pub fn set_root(&mut self, root: PathBuf) {
        self.folder_name = std::fs::canonicalize(&root)
            .ok()
            .and_then(|root| root.file_name().map(|n| n.to_string_lossy().into_owned()));
        self.root = Some(root);
    }
}

fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|e| LoadError(format!("cannot read `{}`: {e}", path.display())))
}

fn collect_specs(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| LoadError(format!("cannot read directory `{}`: {e}", dir.display())))?;
    for entry in entries {
        let entry = entry
            .map_err(|e| LoadError(format!("cannot read directory `{}`: {e}", dir.display())))?;
        let path = entry.path();
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let file_type = entry
            .file_type()
            .map_err(|e| LoadError(format!("cannot read `{}`: {e}", path.display())))?;
        if file_type.is_dir() {
            if file_name.starts_with('.') || file_name == "target" {
                continue;
            }
            collect_specs(root, &path, out)?;
        } else if file_name.ends_with(".cpi") && !file_name.starts_with('.') {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push((name, path));
        }
    }
    Ok(())
}

impl<'a> codespan_reporting::files::Files<'a> for SourceDb {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(&self.get(id).name)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(&self.get(id).text)
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self.get(id).line_index(byte))
    }

    fn line_range(
        &'a self,
        id: FileId,
        line: usize,
    ) -> Result<Range<usize>, codespan_reporting::files::Error> {
        let file = self.get(id);
        file.line_range(line)
            .ok_or(codespan_reporting::files::Error::LineTooLarge {
                given: line,
                max: file.line_starts.len() - 1,
            })
    }
}
