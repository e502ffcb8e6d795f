//! Where configuration text comes from, and how a position in the preprocessed text maps back to
//! `file:line:col` of what the user wrote.
//!
//! The preprocessor ([`super::preprocess`]) turns the main file and its includes into one text of
//! logical lines (comments stripped, `$VAR`s expanded, `@id` lines filtered, `~SEQ` unrolled).
//! Each output line records its [`LineOrigin`]: the file and line it came from, and column segments
//! so that a token produced by an expansion still points at the text the user typed.

use std::fmt;
use std::path::{Path, PathBuf};

/// Index of a file in the [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A position in a configuration file. Lines and columns count from 1; columns in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
}

/// The files read for one configuration, in the order they were opened.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<PathBuf>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, path: &Path) -> FileId {
        self.files.push(path.to_path_buf());
        FileId((self.files.len() - 1) as u32)
    }

    pub fn path(&self, id: FileId) -> &Path {
        self.files
            .get(id.0 as usize)
            .map_or(Path::new("?"), |p| p.as_path())
    }

    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|p| p.as_path())
    }

    /// `file:line:col` for humans.
    pub fn display(&self, loc: Loc) -> String {
        format!("{}:{}:{}", self.path(loc.file).display(), loc.line, loc.col)
    }
}

/// Where one line of preprocessed text came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOrigin {
    pub file: FileId,
    /// Line number in that file (1-based).
    pub line: u32,
    /// `(output column, source column)` pairs, both 1-based and in characters, sorted by output
    /// column: output column `c` maps to `src + (c - out)` of the last pair with `out <= c`.
    /// Empty means the identity mapping.
    pub segments: Vec<(u32, u32)>,
}

impl LineOrigin {
    pub fn identity(file: FileId, line: u32) -> LineOrigin {
        LineOrigin {
            file,
            line,
            segments: Vec::new(),
        }
    }

    /// The source column of output column `col` (1-based).
    pub fn map_col(&self, col: u32) -> u32 {
        match self.segments.iter().rev().find(|&&(out, _)| out <= col) {
            Some(&(out, src)) => src + (col - out),
            None => col,
        }
    }
}

/// The preprocessor's output: logical lines joined by `\n`, with one origin per line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preprocessed {
    pub text: String,
    pub lines: Vec<LineOrigin>,
    /// Byte offset in `text` where each line starts (same length as `lines`).
    starts: Vec<usize>,
}

impl Preprocessed {
    /// Appends one logical line (without its newline).
    pub fn push_line(&mut self, line: &str, origin: LineOrigin) {
        debug_assert!(!line.contains('\n'));
        if !self.lines.is_empty() {
            self.text.push('\n');
        }
        self.starts.push(self.text.len());
        self.text.push_str(line);
        self.lines.push(origin);
    }

    /// Maps a byte offset in `text` back to the source.
    /// O(log lines + line length).
    pub fn loc_of(&self, offset: usize) -> Option<Loc> {
        let offset = offset.min(self.text.len());
        let line_idx = self
            .starts
            .partition_point(|&s| s <= offset)
            .checked_sub(1)?;
        let line_start = self.starts[line_idx];
        let col = self
            .text
            .get(line_start..offset)
            .map_or(0, |t| t.chars().count()) as u32
            + 1;
        let origin = self.lines.get(line_idx)?;
        Some(Loc {
            file: origin.file,
            line: origin.line,
            col: origin.map_col(col),
        })
    }
}

/// How bad a diagnostic is, in keepalived's terms (they decide `-t`'s exit status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Ours only: keepalived says nothing here (a keyword keepalived-rs does not act on yet, a
    /// deprecation keepalived accepts silently). Does not change `-t`'s exit status.
    Note,
    /// keepalived reports it and runs anyway, after ignoring or fixing the item: exit 4.
    Warning,
    /// Scripts are configured but script security is not enabled: exit 5.
    Security,
    /// The configuration cannot run: exit 3.
    Fatal,
}

impl Severity {
    fn word(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Security => "security",
            Severity::Fatal => "error",
        }
    }
}

/// One message about the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub loc: Option<Loc>,
    pub message: String,
    /// A suggestion, shown on its own line ("did you mean `priority`?").
    pub hint: Option<String>,
}

/// The diagnostics of one load, in the order they were found.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    pub list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(
        &mut self,
        severity: Severity,
        loc: Option<Loc>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.list.push(Diagnostic {
            severity,
            loc,
            message: message.into(),
            hint: None,
        });
        self.list.last_mut().expect("just pushed")
    }

    pub fn note(&mut self, loc: Loc, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Note, Some(loc), message)
    }

    pub fn warn(&mut self, loc: Loc, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Warning, Some(loc), message)
    }

    pub fn fatal(&mut self, loc: Loc, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Fatal, Some(loc), message)
    }

    pub fn worst(&self) -> Option<Severity> {
        self.list.iter().map(|d| d.severity).max()
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.list.iter().filter(|d| d.severity == severity).count()
    }

    /// keepalived's `-t` exit status for these diagnostics (reference 1.7).
    pub fn exit_status(&self) -> i32 {
        match self.worst() {
            None | Some(Severity::Note) => 0,
            Some(Severity::Warning) => 4,
            Some(Severity::Security) => 5,
            Some(Severity::Fatal) => 3,
        }
    }

    /// Every diagnostic as `file:line:col: severity: message` (plus hint lines), then one summary line.
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        for d in &self.list {
            match d.loc {
                Some(loc) => out.push_str(&format!(
                    "{}: {}: {}\n",
                    sources.display(loc),
                    d.severity.word(),
                    d.message
                )),
                None => out.push_str(&format!("{}: {}\n", d.severity.word(), d.message)),
            }
            if let Some(h) = &d.hint {
                out.push_str(&format!("    hint: {h}\n"));
            }
        }
        out.push_str(&self.summary());
        out.push('\n');
        out
    }

    pub fn summary(&self) -> String {
        let (f, w, s, n) = (
            self.count(Severity::Fatal),
            self.count(Severity::Warning),
            self.count(Severity::Security),
            self.count(Severity::Note),
        );
        let verdict = match self.worst() {
            None | Some(Severity::Note) => "configuration OK",
            Some(Severity::Warning) => "configuration has errors but would run",
            Some(Severity::Security) => "scripts configured without script security",
            Some(Severity::Fatal) => "configuration cannot run",
        };
        format!("{verdict}: {f} error(s), {w} warning(s), {s} security problem(s), {n} note(s)")
    }
}

impl Diagnostic {
    pub fn hint(&mut self, hint: impl Into<String>) -> &mut Diagnostic {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_map_back_through_segments() {
        let mut sm = SourceMap::new();
        let f = sm.add(Path::new("/etc/k.conf"));
        let mut p = Preprocessed::default();
        p.push_line("vrrp_instance VI_1 {", LineOrigin::identity(f, 3));
        // "priority 150" where "150" came from `$PRIO` at source column 14.
        p.push_line(
            "  priority 150",
            LineOrigin {
                file: f,
                line: 4,
                segments: vec![(1, 1), (12, 14)],
            },
        );
        assert_eq!(
            p.loc_of(0),
            Some(Loc {
                file: f,
                line: 3,
                col: 1
            })
        );
        assert_eq!(
            p.loc_of(5),
            Some(Loc {
                file: f,
                line: 3,
                col: 6
            })
        );
        let off = p.text.find("150").unwrap();
        assert_eq!(
            p.loc_of(off),
            Some(Loc {
                file: f,
                line: 4,
                col: 14
            })
        );
        let off = p.text.find("priority").unwrap();
        assert_eq!(
            p.loc_of(off),
            Some(Loc {
                file: f,
                line: 4,
                col: 3
            })
        );
        assert_eq!(
            sm.display(Loc {
                file: f,
                line: 4,
                col: 14
            }),
            "/etc/k.conf:4:14"
        );
    }

    #[test]
    fn exit_status_follows_the_worst() {
        let mut d = Diagnostics::default();
        let loc = Loc {
            file: FileId(0),
            line: 1,
            col: 1,
        };
        assert_eq!(d.exit_status(), 0);
        d.note(loc, "n");
        assert_eq!(d.exit_status(), 0);
        d.warn(loc, "w");
        assert_eq!(d.exit_status(), 4);
        d.push(Severity::Security, None, "s");
        assert_eq!(d.exit_status(), 5);
        d.fatal(loc, "f");
        assert_eq!(d.exit_status(), 3);
    }
}

/// Where a value of the model was written, for diagnostics and the script list. Not part of the
/// value: every `At` compares equal to every other (and hashes to nothing), so a model compares by
/// what it says, and a model read back from its own `-d` dump equals the original.
#[derive(Debug, Clone, Copy, Default)]
pub struct At(pub Option<Loc>);

impl At {
    pub fn loc(loc: Loc) -> At {
        At(Some(loc))
    }

    pub fn word(w: &super::tree::Word) -> At {
        At(Some(w.loc))
    }

    pub fn node(n: &super::tree::Node) -> At {
        At(Some(n.loc))
    }
}

impl PartialEq for At {
    fn eq(&self, _: &At) -> bool {
        true
    }
}

impl Eq for At {}

impl std::hash::Hash for At {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}
