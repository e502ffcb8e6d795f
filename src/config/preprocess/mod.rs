//! The configuration preprocessor: keepalived.conf and its includes in, logical lines with their
//! origins out ([`Preprocessed`]). The grammar then only sees statements, words, quotes and braces.
//!
//! keepalived does all this inside its line reader (`lib/parser.c`, `read_line`); the semantics here
//! were checked against Debian's keepalived 2.2.7 with `keepalived -t`, and the few places where we
//! deliberately differ say so. The passes, per physical line of a file:
//!
//! 1. **Read.** Files are read as bytes; a line ends at `\n` and loses its trailing `\r`s. Invalid
//!    UTF-8 becomes U+FFFD (one warning per file); a NUL ends the line, as in C (warning). A line
//!    longer than keepalived's 1023-byte buffer (`MAXBUF`) is kept whole, with a warning, because
//!    keepalived would cut it in two.
//! 2. **Multi-line definition.** While a `$NAME=... \` definition is open, the line is decommented
//!    and appended to it; an empty line, or a line not ending in `\`, closes it (a line that
//!    decomments to nothing is skipped).
//! 3. **Decomment.** `#` or `!` outside `"..."` / `'...'` ends the line; `\#` and `\!` outside quotes
//!    are a literal `#` / `!`; leading and trailing blanks go. This happens before any substitution,
//!    so `${_HASH}` and `${_BANG}` survive as literal `#` and `!`: the grammar must not strip
//!    comments again.
//! 4. **Logical line** (`Pre::line`), repeated while substitution changes the line:
//!    - a. `@ID rest` / `@^ID rest`: keep `rest` only if ID is (is not) the config id;
//!    - b. `$NAME=value`: define or redefine; produces no line;
//!    - c. `~SEQ(...)`, `~SEQx(...)`, `~LST(...)`: the rest of the line once per value (back to 4);
//!    - d. substitute `$NAME`, `${NAME}` and the built-ins left to right, rescanning inserted
//!      text; the further lines of a multi-line definition become logical lines of their own
//!      (back to 4, after this one).
//! 5. **Include.** `include PATTERN` and its variants read the matching files (back to 1 for each,
//!    relative paths and `${_PWD}` taken from that file's directory).
//! 6. **Emit** the line with its [`LineOrigin`]. A statement inside `global_defs` that says
//!    `include_check` or `random_seed` is also acted on here (and still emitted, for the typed
//!    parser to validate), because it changes how later includes are checked and `${_RANDOM}`.
//!
//! Columns: every character carries the source column it came from; text inserted by a
//! substitution carries the column of its `$`, and each word of it maps to that column, so a token
//! produced by `$VAR` points at the `$`. Lines produced by `~SEQ` and by multi-line definitions keep
//! the file and line where they were used.
//!
//! Built-ins: `${_PWD}` (the current file's directory), `${_INSTANCE}` (the config id),
//! `${_RANDOM [MIN [MAX]]}` (0..=32767 by default, from [`Options::random_seed`]),
//! `${_ENV NAME}` (keepalived 2.4.0+), `${_HASH}` (`#`) and `${_BANG}` (`!`); a user definition of
//! the same name wins, as in keepalived.
//!
//! Where we deliberately differ from keepalived 2.2.7: `'...'` protects a comment character like
//! `"..."` does (its man page says both quote); lines longer than 1023 bytes are not cut; definitions
//! are substituted in `~LST` parameters as in `~SEQ` ones; `~SEQ` needs its commas; a wildcard
//! include that matches nothing is a note (keepalived says nothing); `${_RANDOM MIN MAX}` with
//! MIN > MAX is a warning (keepalived divides by zero); include cycles and runaway substitutions
//! are diagnosed (keepalived recurses until it runs out of file descriptors or buffer). The main
//! file name is not globbed.
//!
//! Limits (keepalived has none, and loops or crashes): substitutions nest at most
//! [`MAX_SUBST_DEPTH`] deep, includes [`MAX_INCLUDE_DEPTH`] deep, and the whole expansion stops with
//! an error past [`Options::max_lines`] lines. Nothing here panics on any input.

use std::collections::HashMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::source::{ColRun, Diagnostics, FileId, Loc, Preprocessed, Severity, SourceMap};
use crate::rng::Rng;

mod blocks;
mod include;
mod seq;
mod subst;
mod text;

use blocks::Blocks;
use include::{Checks, dir_of};
use subst::{col_runs, definition};
use text::*;

/// keepalived reads lines into a 1024-byte buffer: 1023 bytes and the NUL.
pub const KEEPALIVED_MAX_LINE: usize = 1023;
/// How many substitutions may nest inside one another (a definition using itself stops here).
pub const MAX_SUBST_DEPTH: u8 = 32;
/// How deep `{` blocks may nest (keepalived's deepest is 4: a checker's `url` in a real server
/// in a virtual server); deeper input is refused before the grammar and the tree, which recurse.
pub const MAX_BLOCK_DEPTH: u32 = 64;
/// How deep includes may nest.
pub const MAX_INCLUDE_DEPTH: usize = 32;
/// How deep `~SEQ`/`~LST` and multi-line definitions may nest inside one logical line.
pub const MAX_NEST: u32 = 64;
/// The default of [`Options::max_lines`]: keepalived.conf(5)'s largest example, 65024 VRRP
/// instances of 16 lines each, is about a million lines.
pub const MAX_OUT_LINES: usize = 4_000_000;
/// The expansion also stops past this many output bytes.
pub const MAX_OUT_BYTES: usize = 256 << 20;
/// A line grown past this many characters by substitution is not substituted further
/// (keepalived stops at 1023 bytes).
pub const MAX_LINE_CHARS: usize = 16 << 10;
/// Included files larger than this are refused.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// A brace expansion in an include pattern stops after this many alternatives.
pub const MAX_BRACE_ALTERNATIVES: usize = 4096;
/// Include patterns longer than this are refused (`PATH_MAX`).
pub const MAX_PATTERN_BYTES: usize = 4096;

/// Looks up an environment variable for `${_ENV NAME}`.
pub type EnvLookup = Box<dyn Fn(&str) -> Option<String>>;

/// What the preprocessor needs from the command line and the environment.
pub struct Options {
    /// `-i`: compared with `@ID` lines and given by `${_INSTANCE}` (keepalived's default is the
    /// short host name, see [`crate::sys::short_hostname`]).
    pub config_id: String,
    /// `-e`: every include check is on, so a missing include is fatal.
    pub all_config: bool,
    /// Looks up `${_ENV NAME}`; tests inject their own.
    pub env: EnvLookup,
    /// Seeds `${_RANDOM}` until a `random_seed` in `global_defs` reseeds it.
    pub random_seed: u64,
    /// The expansion stops with an error past this many output lines, or four times as many
    /// logical lines handled (a `~SEQ` over definitions produces none).
    pub max_lines: usize,
    /// Whether `include` reads files. When false, include patterns are still expanded and
    /// checked, but match no file (the fuzzer: no filesystem walk per input). Default true.
    pub read_includes: bool,
}

impl Options {
    /// Options reading `${_ENV}` from the process environment, no `-e`, seed 0,
    /// [`MAX_OUT_LINES`], includes read.
    pub fn new(config_id: impl Into<String>) -> Options {
        Options {
            config_id: config_id.into(),
            all_config: false,
            env: Box::new(|name| std::env::var(name).ok()),
            random_seed: 0,
            max_lines: MAX_OUT_LINES,
            read_includes: true,
        }
    }
}

/// Preprocesses the main configuration file `main` and everything it includes.
///
/// A main file that cannot be read is a fatal diagnostic and gives an empty result.
pub fn preprocess(
    main: &Path,
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Preprocessed {
    let id = sources.add(main);
    let mut pre = Pre::new(opts, sources, diags);
    let bytes = match fs::metadata(main) {
        Ok(m) if m.is_dir() => Err("it is a directory".to_string()),
        Ok(m) if m.len() > MAX_FILE_BYTES => {
            Err(format!("it is larger than {MAX_FILE_BYTES} bytes"))
        }
        Ok(_) => fs::read(main).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match bytes {
        Ok(bytes) => {
            pre.reading
                .push(fs::canonicalize(main).unwrap_or_else(|_| main.to_path_buf()));
            let mut f = FileCtx::new(id, dir_of(main), Checks::NONE);
            pre.run(&mut f, &bytes);
        }
        Err(e) => {
            pre.diags.push(
                Severity::Fatal,
                None,
                format!("cannot read configuration file '{}': {e}", main.display()),
            );
        }
    }
    pre.out
}

/// Preprocesses `text` as if it were the file `name` (which need not exist); includes are
/// resolved against `name`'s directory. For tests and fuzzing.
pub fn preprocess_str(
    name: &Path,
    text: &str,
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Preprocessed {
    preprocess_bytes(name, text.as_bytes(), opts, sources, diags)
}

/// [`preprocess_str`] for arbitrary bytes.
pub fn preprocess_bytes(
    name: &Path,
    bytes: &[u8],
    opts: &Options,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Preprocessed {
    let id = sources.add(name);
    let mut pre = Pre::new(opts, sources, diags);
    pre.reading.push(name.to_path_buf());
    let mut f = FileCtx::new(id, dir_of(name), Checks::NONE);
    pre.run(&mut f, bytes);
    pre.out
}

/// Every output line with its origin, one per line: `file:line: text` and, when the columns are
/// not the identity, the `(output col, source col)` segments. For debugging and tests.
pub fn dump_origins(p: &Preprocessed, sources: &SourceMap) -> String {
    let mut out = String::new();
    for (text, origin) in p.text.split('\n').zip(p.origins()) {
        out.push_str(&format!(
            "{}:{}: {text}",
            sources.path(origin.file).display(),
            origin.line
        ));
        if !origin.segments.is_empty() {
            out.push_str(&format!("    {:?}", origin.segments));
        }
        out.push('\n');
    }
    out
}

/// One character of a line being processed, with where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ch {
    c: char,
    /// Source column (1-based, in characters); for inserted text, the column of the `$`.
    col: u32,
    /// How many substitutions produced it: 0 for text the user typed on this line.
    depth: u8,
}

/// The state of one file being read.
struct FileCtx {
    id: FileId,
    /// Absolute directory of the file: `${_PWD}` and the base of relative includes.
    dir: PathBuf,
    /// This file's `include_check` level, inherited from the including file.
    checks: Checks,
    /// The multi-line definition being collected, if any.
    collecting: Option<String>,
    /// Whether invalid UTF-8 was already reported for this file.
    bad_utf8_reported: bool,
}

impl FileCtx {
    fn new(id: FileId, dir: PathBuf, checks: Checks) -> FileCtx {
        FileCtx {
            id,
            dir,
            checks,
            collecting: None,
            bad_utf8_reported: false,
        }
    }

    fn loc(&self, line: u32, col: u32) -> Loc {
        Loc {
            file: self.id,
            line,
            col,
        }
    }
}

/// A definition's value: one line, or the lines of a multi-line definition.
#[derive(Debug, Clone)]
struct Def {
    lines: Vec<String>,
    multiline: bool,
}

/// What a substitution inserts.
enum Value {
    Line(String),
    Lines(Vec<String>),
}

/// A `$NAME` or `${NAME params}` found in a line.
struct Use {
    /// One past the last character of the use.
    end: usize,
    name: String,
    params: Option<String>,
}

/// The preprocessor's state across all files of one configuration.
struct Pre<'a> {
    opts: &'a Options,
    sources: &'a mut SourceMap,
    diags: &'a mut Diagnostics,
    out: Preprocessed,
    defs: HashMap<String, Def>,
    rng: Rng,
    /// Canonical paths of the files being read, outermost first: include cycles.
    reading: Vec<PathBuf>,
    blocks: Blocks,
    /// Logical lines handled so far, against four times [`Options::max_lines`].
    work: usize,
    /// A limit was hit: everything unwinds without producing more.
    stopped: bool,
    /// The source line whose too-deep substitution was already reported.
    depth_reported: Option<(FileId, u32)>,
}

impl<'a> Pre<'a> {
    fn new(opts: &'a Options, sources: &'a mut SourceMap, diags: &'a mut Diagnostics) -> Pre<'a> {
        Pre {
            opts,
            sources,
            diags,
            out: Preprocessed::default(),
            defs: HashMap::new(),
            rng: Rng::new(opts.random_seed),
            reading: Vec::new(),
            blocks: Blocks::default(),
            work: 0,
            stopped: false,
            depth_reported: None,
        }
    }

    /// Passes 1 to 3 over the bytes of one file, handing logical lines to [`Pre::line`].
    fn run(&mut self, f: &mut FileCtx, bytes: &[u8]) {
        // A file of valid UTF-8 (nearly all) is checked once, not line by line.
        let whole = std::str::from_utf8(bytes).ok();
        let mut pieces = bytes.split(|&b| b == b'\n').peekable();
        let mut line_no: u32 = 0;
        let mut at = 0;
        while let Some(piece) = pieces.next() {
            let piece_text = whole.and_then(|t| t.get(at..at + piece.len()));
            at += piece.len() + 1;
            if self.stopped {
                break;
            }
            if pieces.peek().is_none() && piece.is_empty() {
                break; // after the final newline
            }
            line_no = line_no.saturating_add(1);
            if f.collecting.is_none() && self.plain_line(f, line_no, piece, piece_text) {
                continue;
            }
            let chars = self.read_line(f, line_no, piece);
            if f.collecting.is_some() {
                self.collect(f, &chars);
                continue;
            }
            let (text, cont) = decomment(&chars);
            if !text.is_empty() {
                self.line(f, line_no, text, cont, 0);
            }
        }
        self.close_definition(f);
    }

    /// Passes 1 to 6 for the common line, on its bytes: valid UTF-8 without NUL, backslash, `$`,
    /// or a leading `@` or `~`, not too long, not an include, no definition being collected. Such a
    /// line keeps its characters: pass 3 cuts a comment and trims blanks, pass 4 has nothing to
    /// do, and the columns are a shift. Returns false, having done nothing, for any other line.
    /// `piece_text`: the piece as text, when the whole file is valid UTF-8.
    fn plain_line(
        &mut self,
        f: &mut FileCtx,
        line_no: u32,
        piece: &[u8],
        piece_text: Option<&str>,
    ) -> bool {
        let mut bytes = piece;
        while let [rest @ .., b'\r'] = bytes {
            bytes = rest;
        }
        if bytes.len() > KEEPALIVED_MAX_LINE {
            return false;
        }
        // One pass: no NUL or backslash anywhere; pass 3 (`decomment`, where no backslash escapes
        // anything) finds the comment; a `$` before it is noted.
        let mut quote = None;
        let mut end = bytes.len();
        let mut dollar = false;
        let mut i = 0;
        while i < bytes.len() {
            // Only the bytes in `SPECIAL` change anything: skip the others at once.
            if !SPECIAL[bytes[i] as usize] {
                i += 1;
                continue;
            }
            let b = bytes[i];
            match b {
                0 | b'\\' => return false,
                b'$' => dollar |= end == bytes.len(),
                _ => {}
            }
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'"' || b == b'\'' => quote = Some(b),
                None if (b == b'#' || b == b'!') && end == bytes.len() => end = i,
                None => {}
            }
            i += 1;
        }
        let line = match piece_text.and_then(|t| t.get(..bytes.len())) {
            Some(line) => line,
            None => match std::str::from_utf8(bytes) {
                Ok(line) => line,
                Err(_) => return false,
            },
        };
        let text = trim_blanks_end(&line[..end]);
        let body = trim_blanks_start(text);
        if body.is_empty() {
            return true; // blank or comment only: no logical line
        }
        if matches!(body.as_bytes()[0], b'@' | b'~') || dollar {
            return false;
        }
        let word_end = body
            .bytes()
            .position(|b| b == b' ' || b == b'\t')
            .unwrap_or(body.len());
        if Checks::of_keyword(&body[..word_end]).is_some() {
            return false;
        }
        // Blanks are one byte and one column each.
        let shift = u32::try_from(text.len() - body.len()).unwrap_or(u32::MAX);
        let loc = f.loc(line_no, shift.saturating_add(1));
        if !self.over_budget(loc) {
            self.emit_text(f, line_no, body, loc, Cols::Shift(shift));
        }
        true
    }

    /// Pass 1 for one physical line: bytes to characters with their columns, and the warnings
    /// about bytes keepalived would read differently.
    fn read_line(&mut self, f: &mut FileCtx, line_no: u32, piece: &[u8]) -> Vec<Ch> {
        let mut bytes = piece;
        while let [rest @ .., b'\r'] = bytes {
            bytes = rest;
        }
        let col_at =
            |b: &[u8], at: usize| String::from_utf8_lossy(&b[..at]).chars().count() as u32 + 1;
        if bytes.len() > KEEPALIVED_MAX_LINE {
            let col = col_at(bytes, KEEPALIVED_MAX_LINE);
            self.diags.warn(
                f.loc(line_no, col),
                format!(
                    "line is {} bytes long; keepalived reads at most {KEEPALIVED_MAX_LINE} bytes \
                     per line and would start a new line here",
                    bytes.len()
                ),
            );
        }
        if let Some(nul) = bytes.iter().position(|&b| b == 0) {
            let col = col_at(bytes, nul);
            self.diags.warn(
                f.loc(line_no, col),
                "NUL byte: the rest of the line is ignored (as keepalived does)",
            );
            bytes = &bytes[..nul];
        }
        if let Err(e) = std::str::from_utf8(bytes)
            && !f.bad_utf8_reported
        {
            f.bad_utf8_reported = true;
            let at = e.valid_up_to();
            let col = col_at(bytes, at);
            self.diags.warn(
                f.loc(line_no, col),
                format!(
                    "invalid UTF-8 (byte 0x{:02x}); invalid bytes in this file are read as U+FFFD",
                    bytes[at]
                ),
            );
        }
        String::from_utf8_lossy(bytes)
            .chars()
            .enumerate()
            .map(|(i, c)| Ch {
                c,
                col: u32::try_from(i + 1).unwrap_or(u32::MAX),
                depth: 0,
            })
            .collect()
    }

    /// Pass 2: one physical line while a multi-line definition is open. keepalived 2.2.7: an
    /// empty line ends the definition; a line that decomments to nothing is skipped.
    fn collect(&mut self, f: &mut FileCtx, chars: &[Ch]) {
        if chars.is_empty() {
            self.close_definition(f);
            return;
        }
        let (mut text, cont) = decomment(chars);
        if cont {
            strip_continuation(&mut text);
        }
        if text.is_empty() {
            return; // blanks, a comment or a lone `\`: skipped, the definition goes on
        }
        if let Some(def) = f
            .collecting
            .as_ref()
            .and_then(|name| self.defs.get_mut(name))
        {
            def.lines.push(string_of(&text));
        }
        if !cont {
            self.close_definition(f);
        }
    }

    fn close_definition(&mut self, f: &mut FileCtx) {
        if let Some(name) = f.collecting.take()
            && let Some(def) = self.defs.get_mut(&name)
            && def.lines.is_empty()
        {
            // Nothing but `\`s: keepalived makes it an ordinary empty definition.
            *def = Def {
                lines: vec![String::new()],
                multiline: false,
            };
        }
    }

    /// Counts one logical line against the budget; true if we must stop.
    fn over_budget(&mut self, loc: Loc) -> bool {
        if self.stopped {
            return true;
        }
        self.work += 1;
        let max = self.opts.max_lines.saturating_mul(4);
        if self.work > max {
            let why = format!("the configuration expands to more than {max} logical lines");
            self.stop(loc, why);
        }
        self.stopped
    }

    fn stop(&mut self, loc: Loc, why: String) {
        self.diags
            .fatal(loc, format!("{why}; preprocessing stopped here"));
        self.stopped = true;
    }

    /// Passes 4 to 6 for one logical line (decommented, or produced by `~SEQ` or a multi-line
    /// definition). `cont`: the physical line ended in `\`.
    fn line(&mut self, f: &mut FileCtx, line_no: u32, mut t: Vec<Ch>, cont: bool, nest: u32) {
        let start = f.loc(line_no, t.first().map_or(1, |c| c.col));
        if self.over_budget(start) {
            return;
        }
        if nest > MAX_NEST {
            self.diags.warn(
                start,
                format!(
                    "~SEQ, ~LST and multi-line definitions nest more than {MAX_NEST} deep here; \
                     the line is skipped"
                ),
            );
            return;
        }
        // Lines of multi-line definitions still to handle after this one, in order.
        let mut pending: Vec<Vec<Ch>> = Vec::new();
        let mut first = true;
        loop {
            trim(&mut t);
            if t.is_empty() {
                break;
            }
            // 4a. Conditional line.
            if t[0].c == '@' {
                match conditional(&t, &self.opts.config_id) {
                    Some(rest) => {
                        t.drain(..rest);
                        trim(&mut t);
                    }
                    None => t.clear(),
                }
                if t.is_empty() {
                    break;
                }
            }
            // 4b. Definition.
            if let Some((name, value)) = definition(&t) {
                self.define(f, name, value, first && cont);
                t.clear();
                break;
            }
            if first && cont {
                let col = t.last().map_or(1, |c| c.col);
                self.diags.warn(
                    f.loc(line_no, col),
                    "a `\\` at the end of a line continues only a `$NAME=` definition; \
                     it does not join this line with the next",
                );
            }
            // 4c. Sequence or list.
            if starts_with(&t, "~SEQ") || starts_with(&t, "~LST") {
                self.sequence(f, line_no, &t, nest);
                t.clear();
                break;
            }
            // 4d. Substitution; a changed line goes round again (it may now be `@ID ...`).
            first = false;
            if !self.substitute(f, line_no, &mut t, &mut pending) {
                break;
            }
        }
        trim(&mut t);
        if !t.is_empty() && !self.include(f, line_no, &t) {
            self.emit(f, line_no, &t);
        }
        for next in pending {
            if self.stopped {
                break;
            }
            self.line(f, line_no, next, false, nest + 1);
        }
    }

    /// Step 6: appends the line to the output with its origin.
    fn emit(&mut self, f: &mut FileCtx, line_no: u32, t: &[Ch]) {
        if self.stopped {
            return;
        }
        let text = string_of(t);
        let loc = f.loc(line_no, t[0].col);
        if text.len() > KEEPALIVED_MAX_LINE && t.iter().any(|c| c.depth > 0) {
            self.diags.warn(
                loc,
                format!(
                    "after substitution this line is {} bytes long; keepalived stops substituting \
                     at {KEEPALIVED_MAX_LINE} bytes",
                    text.len()
                ),
            );
        }
        let runs = col_runs(t);
        self.emit_text(f, line_no, &text, loc, Cols::Runs(&runs));
    }

    /// The end of step 6, for a line as text: the limits, `global_defs` keywords, the output.
    fn emit_text(&mut self, f: &mut FileCtx, line_no: u32, text: &str, loc: Loc, cols: Cols<'_>) {
        if self.stopped {
            return;
        }
        if self.out.line_count() >= self.opts.max_lines {
            let why = format!(
                "the configuration expands to more than {} lines",
                self.opts.max_lines
            );
            self.stop(loc, why);
            return;
        }
        if self.out.text.len() + text.len() >= MAX_OUT_BYTES {
            self.stop(
                loc,
                format!("the configuration expands to more than {MAX_OUT_BYTES} bytes"),
            );
            return;
        }
        let stmts = self.blocks.global_defs_statements(text);
        if self.blocks.peak > MAX_BLOCK_DEPTH {
            let why = format!("blocks nest more than {MAX_BLOCK_DEPTH} deep");
            self.stop(loc, why);
            return;
        }
        if let Some(stmt) = stmts {
            for words in stmt {
                self.preprocessor_keyword(f, &words);
            }
        }
        match cols {
            Cols::Shift(shift) => self.out.push_shifted(text, f.id, line_no, shift),
            Cols::Runs(runs) => self.out.push_mapped(text, f.id, line_no, runs),
        }
    }

    /// The `global_defs` keywords that change preprocessing from where they appear.
    fn preprocessor_keyword(&mut self, f: &mut FileCtx, words: &[String]) {
        match words.first().map(String::as_str) {
            Some("include_check") => f.checks.apply(&words[1..]),
            Some("random_seed") => {
                if let Some(seed) = words.get(1).and_then(|w| w.parse::<u32>().ok()) {
                    self.rng = Rng::new(u64::from(seed));
                }
            }
            _ => {}
        }
    }
}

/// The bytes that [`Pre::plain_line`] looks at: NUL, backslash, `$`, quotes, comment characters.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let special = b"\0\\$\"'#!";
    let mut k = 0;
    while k < special.len() {
        t[special[k] as usize] = true;
        k += 1;
    }
    t
};

/// The columns of a line being emitted.
enum Cols<'a> {
    /// Source column = output column + shift.
    Shift(u32),
    Runs(&'a [ColRun]),
}

#[cfg(test)]
mod tests;
