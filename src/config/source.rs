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

/// Where one line of preprocessed text came from, with its columns as `(output column, source
/// column)` segments: the form [`Preprocessed::push_line`] takes and [`Preprocessed::origin`] gives.
/// [`Preprocessed`] itself stores columns more compactly.
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

/// A run of output columns of one line, for lines whose columns are not a plain shift.
///
/// Typed text maps column by column: output column `c` of the run is source column
/// `src + (c - out)`. Text inserted by a substitution is one run per `$` at the column of that `$`:
/// each word of it (blank-separated) maps to `src`, the k-th character of the word to `src + k`, so
/// that a token produced by `$VAR` points at the `$` and a column inside it still moves right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColRun {
    /// First output column of the run (1-based, in characters).
    pub out: u32,
    /// Its source column.
    pub src: u32,
    /// Inserted by a substitution (else typed).
    pub inserted: bool,
}

/// How the columns of one line map back, in one `u32`: the two high bits say how, the rest is the
/// value. Almost every line is a plain shift (its leading blanks were trimmed); a line wholly
/// inserted by a substitution (the lines of a multi-line definition, `~SEQ` over one) needs only
/// its `$`'s column; anything else keeps its runs in [`Preprocessed`]'s shared run list.
const COLS_KIND: u32 = 0b11 << 30;
/// Source column = output column + value.
const COLS_SHIFT: u32 = 0;
/// One inserted run from column 1 at source column `value`.
const COLS_INSERTED: u32 = 0b01 << 30;
/// `runs[value]` holds the number of runs (in `out`), and they follow it.
const COLS_RUNS: u32 = 0b10 << 30;

/// One output line: where it starts in the text, its source line, its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LineRec {
    start: u32,
    line: u32,
    cols: u32,
}

/// One run as stored: `out` with the high bit set for inserted text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    out: u32,
    src: u32,
}

const RUN_INSERTED: u32 = 1 << 31;

/// The preprocessor's output: logical lines joined by `\n`, with the origin of each line.
///
/// Kept small for configurations that expand to millions of lines (keepalived.conf(5)'s `~SEQ`
/// example): 12 bytes per line beside the text (start, source line, columns), the file only where
/// it changes, column runs only for lines that mix typed and substituted text. Offsets and columns
/// are `u32`: the preprocessor stops far below 4 GiB ([`super::preprocess::MAX_OUT_BYTES`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preprocessed {
    pub text: String,
    lines: Vec<LineRec>,
    /// `(first line index, file)` each time the file changes.
    files: Vec<(u32, FileId)>,
    runs: Vec<Run>,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Preprocessed {
    /// Appends one logical line (without its newline).
    pub fn push_line(&mut self, line: &str, origin: LineOrigin) {
        let runs: Vec<ColRun> = origin
            .segments
            .iter()
            .map(|&(out, src)| ColRun {
                out,
                src,
                inserted: false,
            })
            .collect();
        let mut with_start = Vec::with_capacity(runs.len() + 1);
        if runs.first().is_some_and(|r| r.out > 1) {
            with_start.push(ColRun {
                out: 1,
                src: 1,
                inserted: false,
            });
        }
        with_start.extend(runs);
        self.push_mapped(line, origin.file, origin.line, &with_start);
    }

    /// Appends one line whose source column is its output column plus `shift` (the blanks trimmed
    /// at its start).
    pub fn push_shifted(&mut self, line: &str, file: FileId, line_no: u32, shift: u32) {
        if shift & COLS_KIND != 0 {
            let run = ColRun {
                out: 1,
                src: shift.saturating_add(1),
                inserted: false,
            };
            return self.push_mapped(line, file, line_no, &[run]);
        }
        self.push_rec(line, file, line_no, COLS_SHIFT | shift);
    }

    /// Appends one line with its column runs (sorted by `out`; no runs is the identity).
    pub fn push_mapped(&mut self, line: &str, file: FileId, line_no: u32, runs: &[ColRun]) {
        let fits = |v: u32| v & COLS_KIND == 0;
        let cols = match runs {
            [] => COLS_SHIFT,
            [r] if r.out == 1 && !r.inserted && r.src >= 1 && fits(r.src - 1) => {
                COLS_SHIFT | (r.src - 1)
            }
            [r] if r.out == 1 && r.inserted && fits(r.src) => COLS_INSERTED | r.src,
            _ if fits(to_u32(self.runs.len())) => {
                let at = to_u32(self.runs.len());
                self.runs.push(Run {
                    out: to_u32(runs.len()),
                    src: 0,
                });
                self.runs.extend(runs.iter().map(|r| Run {
                    out: r.out.min(!RUN_INSERTED) | if r.inserted { RUN_INSERTED } else { 0 },
                    src: r.src,
                }));
                COLS_RUNS | at
            }
            _ => COLS_SHIFT,
        };
        self.push_rec(line, file, line_no, cols);
    }

    fn push_rec(&mut self, line: &str, file: FileId, line_no: u32, cols: u32) {
        debug_assert!(!line.contains('\n'));
        if !self.lines.is_empty() {
            self.text.push('\n');
        }
        if self.files.last().is_none_or(|&(_, f)| f != file) {
            self.files.push((to_u32(self.lines.len()), file));
        }
        self.lines.push(LineRec {
            start: to_u32(self.text.len()),
            line: line_no,
            cols,
        });
        self.text.push_str(line);
    }

    /// How many lines there are.
    pub fn line_count(&self) -> usize {
        self.lines.len()
    }

    /// Where line `i` (0-based) came from, its columns as segments.
    pub fn origin(&self, i: usize) -> Option<LineOrigin> {
        let rec = self.lines.get(i)?;
        let segments = match rec.cols & COLS_KIND {
            COLS_SHIFT => {
                let shift = rec.cols & !COLS_KIND;
                if shift == 0 {
                    Vec::new()
                } else {
                    vec![(1, shift + 1)]
                }
            }
            _ => {
                let mut cols = Vec::new();
                self.src_cols(i, &mut cols);
                if cols.is_empty() {
                    self.runs_of(rec.cols)
                        .iter()
                        .map(|r| (r.out & !RUN_INSERTED, r.src))
                        .collect()
                } else {
                    let mut segs = Vec::new();
                    let mut prev: Option<u32> = None;
                    for (i, &src) in cols.iter().enumerate() {
                        if prev.is_none_or(|p| p.checked_add(1) != Some(src)) {
                            segs.push((to_u32(i + 1), src));
                        }
                        prev = Some(src);
                    }
                    if segs == [(1, 1)] {
                        segs.clear();
                    }
                    segs
                }
            }
        };
        Some(LineOrigin {
            file: self.file_of(i),
            line: rec.line,
            segments,
        })
    }

    /// The origin of every line, in order.
    pub fn origins(&self) -> impl Iterator<Item = LineOrigin> + '_ {
        (0..self.lines.len()).filter_map(|i| self.origin(i))
    }

    /// Maps a byte offset in `text` back to the source.
    /// O(log lines + line length).
    pub fn loc_of(&self, offset: usize) -> Option<Loc> {
        self.cursor().loc(offset)
    }

    /// A [`Cursor`] for offsets in increasing order.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor {
            pre: self,
            line: None,
            line_start: 0,
            line_end: 0,
            offset: 0,
            col: 1,
            file: FileId(0),
            cols: Vec::new(),
        }
    }

    fn file_of(&self, i: usize) -> FileId {
        if let [(_, only)] = self.files[..] {
            return only;
        }
        let i = to_u32(i);
        let at = self.files.partition_point(|&(first, _)| first <= i);
        at.checked_sub(1)
            .and_then(|k| self.files.get(k))
            .map_or(FileId(0), |&(_, f)| f)
    }

    /// Byte range of line `i` in `text` (without its newline).
    fn line_range(&self, i: usize) -> (usize, usize) {
        let start = self.lines[i].start as usize;
        let end = self
            .lines
            .get(i + 1)
            .map_or(self.text.len(), |next| next.start as usize - 1);
        (start, end)
    }

    fn runs_of(&self, cols: u32) -> &[Run] {
        if cols & COLS_KIND != COLS_RUNS {
            return &[];
        }
        let at = (cols & !COLS_KIND) as usize;
        let n = self.runs.get(at).map_or(0, |h| h.out as usize);
        self.runs.get(at + 1..at + 1 + n).unwrap_or(&[])
    }

    /// The source column of every character of line `i` that is not a plain shift (else nothing).
    fn src_cols(&self, i: usize, out: &mut Vec<u32>) {
        out.clear();
        let rec = self.lines[i];
        if rec.cols & COLS_KIND == COLS_SHIFT {
            return;
        }
        let (start, end) = self.line_range(i);
        let text = &self.text[start..end];
        let single = [Run {
            out: 1 | RUN_INSERTED,
            src: rec.cols & !COLS_KIND,
        }];
        let runs = match rec.cols & COLS_KIND {
            COLS_INSERTED => &single[..],
            COLS_RUNS => self.runs_of(rec.cols),
            _ => return,
        };
        let mut next = 0; // the next run to enter
        let mut run = Run { out: 1, src: 1 };
        let mut k = 0u32;
        let mut prev_blank = true;
        for (j, c) in text.chars().enumerate() {
            let col = to_u32(j + 1);
            let mut entered = false;
            while let Some(r) = runs.get(next).filter(|r| r.out & !RUN_INSERTED <= col) {
                run = *r;
                next += 1;
                entered = true;
            }
            let blank = c.is_whitespace();
            let src = if run.out & RUN_INSERTED == 0 {
                run.src.saturating_add(col - run.out)
            } else {
                // Each word of inserted text maps to the `$`, its k-th character to `$` + k.
                k = if entered || blank || prev_blank {
                    0
                } else {
                    k + 1
                };
                run.src.saturating_add(k)
            };
            prev_blank = blank;
            out.push(src);
        }
    }

    /// The source column of output column `col` of line `i`, given the columns of its characters
    /// (`cols`, empty for a shifted line).
    fn map_col(&self, i: usize, cols: &[u32], col: u32) -> u32 {
        let rec = self.lines[i];
        if rec.cols & COLS_KIND == COLS_SHIFT {
            return col.saturating_add(rec.cols);
        }
        let n = cols.len();
        if let Some(&src) = cols.get(col as usize - 1) {
            src
        } else if let Some(&last) = cols.last() {
            // Past the end: the last segment goes on.
            last.saturating_add(col - to_u32(n))
        } else {
            match self
                .runs_of(rec.cols)
                .iter()
                .rev()
                .find(|r| r.out & !RUN_INSERTED <= col)
            {
                Some(r) => r.src.saturating_add(col - (r.out & !RUN_INSERTED)),
                None => col,
            }
        }
    }
}

/// Maps byte offsets of a [`Preprocessed`] text to source locations. Offsets in increasing order
/// cost only the characters between them; any other order works too (a binary search).
pub struct Cursor<'a> {
    pre: &'a Preprocessed,
    /// The line of the last offset.
    line: Option<usize>,
    line_start: usize,
    /// Where the line's newline is (or the end of the text).
    line_end: usize,
    /// The last offset and its column (in characters, 1-based).
    offset: usize,
    col: u32,
    file: FileId,
    /// The source column of each character of the line, if it is not a plain shift.
    cols: Vec<u32>,
}

impl Cursor<'_> {
    pub fn loc(&mut self, offset: usize) -> Option<Loc> {
        let pre = self.pre;
        let offset = offset.min(pre.text.len());
        let same_line =
            self.line.is_some() && offset >= self.line_start && (offset <= self.line_end);
        if !same_line {
            // Mostly the next line (or one soon after it): a few steps, else a binary search.
            let ahead = self.line.filter(|_| offset > self.line_end).and_then(|l| {
                let next = pre.lines.get(l + 1..(l + 5).min(pre.lines.len()))?;
                let k = next.partition_point(|r| r.start as usize <= offset);
                (k < next.len()).then(|| l + k)
            });
            let i = match ahead {
                Some(i) => i,
                None => pre
                    .lines
                    .partition_point(|r| r.start as usize <= offset)
                    .checked_sub(1)?,
            };
            let (start, end) = pre.line_range(i);
            self.line = Some(i);
            self.line_start = start;
            self.line_end = end;
            self.offset = start;
            self.col = 1;
            self.file = pre.file_of(i);
            pre.src_cols(i, &mut self.cols);
        }
        let i = self.line?;
        let col = if !pre.text.is_char_boundary(offset) {
            1
        } else {
            if offset < self.offset {
                self.offset = self.line_start;
                self.col = 1;
            }
            let between = &pre.text.as_bytes()[self.offset..offset];
            // Characters are the bytes that do not continue one.
            let n = between.iter().filter(|&&b| b & 0xc0 != 0x80).count();
            self.col = self.col.saturating_add(to_u32(n));
            self.offset = offset;
            self.col
        };
        Some(Loc {
            file: self.file,
            line: pre.lines[i].line,
            col: pre.map_col(i, &self.cols, col),
        })
    }
}

/// How bad a diagnostic is, in keepalived's terms (they decide `-t`'s exit status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Ours only: keepalived says nothing here (a keyword keepalived-rs does not act on yet, a
    /// deprecation keepalived accepts silently). Does not change `-t`'s exit status.
    Note,
    /// keepalived reports it and runs anyway, after ignoring or fixing the item: exit 5.
    Warning,
    /// Scripts are configured but script security is not enabled: exit 6.
    Security,
    /// The configuration cannot run: exit 2.
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
    /// Past [`MAX_HINTED`] (and past [`MAX_KEPT`]: counted, not kept): no hint is computed.
    suppressed: bool,
}

/// The diagnostics of one load, in the order they were found.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    /// The first [`MAX_KEPT`] diagnostics, in the order found.
    pub list: Vec<Diagnostic>,
    /// How many more of each severity (indexed by `Severity as usize`) were found and counted but
    /// not kept: a configuration that expands to millions of bad lines must not take millions of
    /// messages (and "did you mean" searches) to report.
    dropped: [usize; 4],
    /// Where a diagnostic past the limit is written (and overwritten).
    scratch: Diagnostic,
}

/// The most diagnostics one load keeps; the summary still counts all.
pub const MAX_KEPT: usize = 10_000;

/// Past this many diagnostics, no "did you mean" is searched for (a generated file with
/// thousands of the same typo needs the first hints only).
pub const MAX_HINTED: usize = 1_000;

impl Default for Diagnostic {
    fn default() -> Diagnostic {
        Diagnostic {
            severity: Severity::Note,
            loc: None,
            message: String::new(),
            hint: None,
            suppressed: false,
        }
    }
}

impl Diagnostics {
    pub fn push(
        &mut self,
        severity: Severity,
        loc: Option<Loc>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        if self.list.len() >= MAX_KEPT {
            self.dropped[severity as usize] += 1;
            self.scratch = Diagnostic {
                severity,
                loc,
                message: String::new(),
                hint: None,
                suppressed: true,
            };
            return &mut self.scratch;
        }
        let suppressed = self.list.len() >= MAX_HINTED;
        self.list.push(Diagnostic {
            severity,
            loc,
            message: message.into(),
            hint: None,
            suppressed,
        });
        self.list.last_mut().expect("just pushed")
    }

    /// Moves `other`'s diagnostics after ours (the limit applies to the whole).
    pub fn absorb(&mut self, other: Diagnostics) {
        for d in other.list {
            let (sev, loc, hint) = (d.severity, d.loc, d.hint);
            let kept = self.push(sev, loc, d.message);
            kept.hint = hint;
        }
        for (mine, theirs) in self.dropped.iter_mut().zip(other.dropped) {
            *mine += theirs;
        }
    }

    /// Diagnostics found but not kept (past [`MAX_KEPT`]).
    pub fn dropped(&self) -> usize {
        self.dropped.iter().sum()
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
        let dropped = [
            Severity::Note,
            Severity::Warning,
            Severity::Security,
            Severity::Fatal,
        ]
        .into_iter()
        .filter(|&s| self.dropped[s as usize] > 0);
        self.list.iter().map(|d| d.severity).chain(dropped).max()
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.list.iter().filter(|d| d.severity == severity).count()
            + self.dropped[severity as usize]
    }

    /// keepalived's `-t` exit status for these diagnostics, as Debian's 2.2.7 binary exits
    /// (its `KEEPALIVED_EXIT_CONFIG_TEST` 5 and `..._SECURITY` 6, and 2 when it stops reading;
    /// keepalived.8 says 4, 5 and 3, one less than the binary).
    pub fn exit_status(&self) -> i32 {
        match self.worst() {
            None | Some(Severity::Note) => 0,
            Some(Severity::Warning) => 5,
            Some(Severity::Security) => 6,
            Some(Severity::Fatal) => 2,
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
        if self.dropped() > 0 {
            out.push_str(&format!(
                "... and {} more (only the first {MAX_KEPT} are shown)\n",
                self.dropped()
            ));
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
    /// True for a diagnostic past [`MAX_HINTED`]: a hint would be wasted work.
    pub fn suppressed(&self) -> bool {
        self.suppressed
    }

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
        assert_eq!(d.exit_status(), 5);
        d.push(Severity::Security, None, "s");
        assert_eq!(d.exit_status(), 6);
        d.fatal(loc, "f");
        assert_eq!(d.exit_status(), 2);
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
