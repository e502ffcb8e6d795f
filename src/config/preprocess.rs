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

/// `s` without its leading spaces and tabs. (Byte loops: the `[char]` pattern searchers cost about
/// 60 instructions a character at `opt-level = "z"`, a third of `-t`'s time on a large file.)
fn trim_blanks_start(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| b == b' ' || b == b'\t').count();
    &s[n..]
}

/// `s` without its trailing spaces and tabs.
fn trim_blanks_end(s: &str) -> &str {
    let n = s
        .bytes()
        .rev()
        .take_while(|&b| b == b' ' || b == b'\t')
        .count();
    &s[..s.len() - n]
}

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

/// The include checks of keepalived's `include_check` (bits, combined with `|`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Checks(u8);

impl Checks {
    const NONE: Checks = Checks(0);
    /// Every match must be a readable regular non-executable file.
    const READABLE: u8 = 1;
    /// A pattern without wildcards must match.
    const MATCH: u8 = 2;
    /// A pattern with wildcards must match too.
    const WILDCARD: u8 = 4;
    /// Every brace alternative without wildcards must match.
    const BRACE: u8 = 8;
    const ALL: Checks = Checks(15);

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    fn with(self, other: Checks) -> Checks {
        Checks(self.0 | other.0)
    }

    /// The checks an include keyword adds; `None` if `word` is not one. keepalived: "match,
    /// wildcard_match and brace_match include the readable check".
    fn of_keyword(word: &str) -> Option<Checks> {
        let r = Checks::READABLE;
        Some(Checks(match word {
            "include" => 0,
            "includer" => r,
            "includem" => r | Checks::MATCH,
            "includew" => r | Checks::WILDCARD,
            "includeb" => r | Checks::BRACE,
            "includea" => Checks::ALL.0,
            _ => return None,
        }))
    }

    /// `global_defs { include_check [OPTIONS] }`: no option means all; a bare option list sets the
    /// checks; `+opt` adds and `-opt` removes (the sign carries on to the following options).
    /// Unknown options are left for the typed parser to report.
    fn apply(&mut self, options: &[String]) {
        if options.is_empty() {
            *self = Checks::ALL;
            return;
        }
        let mut sign: Option<bool> = None;
        let mut cleared = false;
        for opt in options {
            let name = if let Some(rest) = opt.strip_prefix('+') {
                sign = Some(true);
                rest
            } else if let Some(rest) = opt.strip_prefix('-') {
                sign = Some(false);
                rest
            } else {
                opt.as_str()
            };
            let bit = match name {
                "readable" => Checks::READABLE,
                "match" => Checks::MATCH,
                "wildcard_match" => Checks::WILDCARD,
                "brace_match" => Checks::BRACE,
                _ => continue,
            };
            let implied = if bit == Checks::READABLE {
                0
            } else {
                Checks::READABLE
            };
            match sign {
                None => {
                    if !cleared {
                        *self = Checks::NONE;
                        cleared = true;
                    }
                    self.0 |= bit | implied;
                }
                Some(true) => self.0 |= bit | implied,
                Some(false) => self.0 &= !bit,
            }
        }
    }
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

/// Tracks `{` / `}` over the emitted lines, to find statements inside `global_defs`.
#[derive(Debug, Default)]
struct Blocks {
    depth: u32,
    /// The deepest nesting seen so far.
    peak: u32,
    /// The keyword of the top-level block we are in (at depth >= 1).
    top: String,
    /// The first word of the latest top-level statement, which a `{` turns into `top`.
    last_top_word: String,
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
        let mut pieces = bytes.split(|&b| b == b'\n').peekable();
        let mut line_no: u32 = 0;
        while let Some(piece) = pieces.next() {
            if self.stopped {
                break;
            }
            if pieces.peek().is_none() && piece.is_empty() {
                break; // after the final newline
            }
            line_no = line_no.saturating_add(1);
            if f.collecting.is_none() && self.plain_line(f, line_no, piece) {
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
    fn plain_line(&mut self, f: &mut FileCtx, line_no: u32, piece: &[u8]) -> bool {
        let mut bytes = piece;
        while let [rest @ .., b'\r'] = bytes {
            bytes = rest;
        }
        if bytes.len() > KEEPALIVED_MAX_LINE || bytes.iter().any(|&b| b == 0 || b == b'\\') {
            return false;
        }
        let Ok(line) = std::str::from_utf8(bytes) else {
            return false;
        };
        // Pass 3 (`decomment`) where no backslash escapes anything.
        let mut quote = None;
        let mut end = bytes.len();
        for (i, &b) in bytes.iter().enumerate() {
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'"' || b == b'\'' => quote = Some(b),
                None if b == b'#' || b == b'!' => {
                    end = i;
                    break;
                }
                None => {}
            }
        }
        let text = trim_blanks_end(&line[..end]);
        let body = trim_blanks_start(text);
        if body.is_empty() {
            return true; // blank or comment only: no logical line
        }
        if matches!(body.as_bytes()[0], b'@' | b'~') || body.bytes().any(|b| b == b'$') {
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

    /// `$NAME=value`: (re)defines NAME. With `cont`, the value is the first line of a multi-line
    /// definition and the following physical lines are collected into it.
    fn define(&mut self, f: &mut FileCtx, name: String, mut value: Vec<Ch>, cont: bool) {
        if cont {
            strip_continuation(&mut value);
            let lines = if value.is_empty() {
                Vec::new()
            } else {
                vec![string_of(&value)]
            };
            self.defs.insert(
                name.clone(),
                Def {
                    lines,
                    multiline: true,
                },
            );
            f.collecting = Some(name);
        } else {
            self.defs.insert(
                name,
                Def {
                    lines: vec![string_of(&value)],
                    multiline: false,
                },
            );
        }
    }

    /// One left-to-right substitution pass over `t` (step 4d). Inserted text is rescanned at once,
    /// so definitions may use definitions; the lines after the first of a multi-line definition go
    /// to the front of `pending`. Returns whether anything changed.
    fn substitute(
        &mut self,
        f: &FileCtx,
        line_no: u32,
        t: &mut Vec<Ch>,
        pending: &mut Vec<Vec<Ch>>,
    ) -> bool {
        let mut changed = false;
        let mut i = 0;
        while i + 1 < t.len() {
            if t[i].c != '$' {
                i += 1;
                continue;
            }
            let Some(u) = find_use(t, i) else {
                i += 1;
                continue;
            };
            let loc = f.loc(line_no, t[i].col);
            let at_end = u.end == t.len();
            let Some(value) = self.value_of(f, &u, at_end, loc) else {
                i += 1;
                continue;
            };
            if t[i].depth >= MAX_SUBST_DEPTH || t.len() > MAX_LINE_CHARS {
                if self.depth_reported != Some((f.id, line_no)) {
                    self.depth_reported = Some((f.id, line_no));
                    self.diags.warn(
                        loc,
                        format!(
                            "substitution of `${}` nests more than {MAX_SUBST_DEPTH} deep or grows \
                             the line past {MAX_LINE_CHARS} characters (a definition that uses \
                             itself?); left as is",
                            u.name
                        ),
                    );
                }
                i += 1;
                continue;
            }
            let (col, depth) = (t[i].col, t[i].depth + 1);
            let first = match value {
                Value::Line(s) => s,
                Value::Lines(mut lines) => {
                    let first = if lines.is_empty() {
                        String::new()
                    } else {
                        lines.remove(0)
                    };
                    let more = lines.iter().map(|l| chars_of(l, col, depth));
                    pending.splice(0..0, more);
                    first
                }
            };
            let starts_sequence = first.trim_start_matches([' ', '\t']).starts_with('~');
            t.splice(i..u.end, chars_of(&first, col, depth));
            changed = true;
            // keepalived: a value starting with `~` stops the pass, so that the `~SEQ` it
            // starts is handled before its variable is substituted.
            if starts_sequence {
                break;
            }
        }
        changed
    }

    /// The value a use stands for, or `None` to leave it as written: undefined names, parameters
    /// a definition does not take, a multi-line definition not at the end of the line.
    fn value_of(&mut self, f: &FileCtx, u: &Use, at_end: bool, loc: Loc) -> Option<Value> {
        if let Some(def) = self.defs.get(&u.name) {
            if u.params.is_some() || (def.multiline && !at_end) {
                return None;
            }
            return Some(if def.multiline {
                Value::Lines(def.lines.clone())
            } else {
                Value::Line(def.lines.first().cloned().unwrap_or_default())
            });
        }
        let params = u.params.as_deref();
        let value = match (u.name.as_str(), params) {
            ("_PWD", None) => f.dir.display().to_string(),
            ("_INSTANCE", None) => self.opts.config_id.clone(),
            ("_HASH", None) => "#".to_string(),
            ("_BANG", None) => "!".to_string(),
            ("_RANDOM", p) => self.random(p.unwrap_or(""), loc)?,
            ("_ENV", Some(p)) => {
                let name = p.trim();
                if name.is_empty() || !name.chars().all(is_name_char) {
                    return None;
                }
                match (self.opts.env)(name) {
                    Some(v) => v,
                    None => {
                        self.diags.note(
                            loc,
                            format!(
                                "environment variable {name} is not set; ${{_ENV {name}}} is empty"
                            ),
                        );
                        String::new()
                    }
                }
            }
            _ => return None,
        };
        Some(Value::Line(value))
    }

    /// `${_RANDOM [MIN [MAX]]}`: uniform in MIN..=MAX, defaults 0 and 32767 (keepalived: the one
    /// parameter form gives MIN). Parameters other than decimal numbers leave the use as written.
    fn random(&mut self, params: &str, loc: Loc) -> Option<String> {
        let words: Vec<&str> = params.split_ascii_whitespace().collect();
        if !words.iter().all(|w| w.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        let mut nums = Vec::new();
        for w in &words {
            match w.parse::<u64>() {
                Ok(n) => nums.push(n),
                Err(_) => {
                    self.diags.warn(
                        loc,
                        format!("${{_RANDOM}} parameter {w} is too large; left as is"),
                    );
                    return None;
                }
            }
        }
        if nums.len() > 2 {
            self.diags.warn(
                loc,
                format!(
                    "${{_RANDOM}} takes at most MIN and MAX; ignoring {}",
                    words[2..].join(" ")
                ),
            );
        }
        let mut min = nums.first().copied().unwrap_or(0);
        let mut max = nums.get(1).copied().unwrap_or(32767);
        if min > max {
            // keepalived 2.2.7 divides by zero here.
            self.diags.warn(
                loc,
                format!("${{_RANDOM {min} {max}}}: MIN is greater than MAX; using {max}..{min}"),
            );
            std::mem::swap(&mut min, &mut max);
        }
        let span = max - min;
        let offset = if span == u64::MAX {
            self.rng.next_u64()
        } else {
            self.rng.below(span + 1)
        };
        Some((min + offset).to_string())
    }

    /// Step 4c: `~SEQ(VAR, [START,] [STEP,] END) rest`, `~SEQx(...)` (hexadecimal values) and
    /// `~LST(VAR, V1, V2...)` / `~LST({VAR1, VAR2}, {V1, V2}, ...)`: `rest` once per value, with
    /// the variables defined. Definitions in the parameters are substituted first. An invalid
    /// header is a warning and the line produces nothing (keepalived: "Invalid ~SEQ ...").
    fn sequence(&mut self, f: &mut FileCtx, line_no: u32, t: &[Ch], nest: u32) {
        let (hex, list, mut k) = if starts_with(t, "~SEQx") {
            (true, false, 5)
        } else if starts_with(t, "~SEQ") {
            (false, false, 4)
        } else {
            (false, true, 4)
        };
        let what = if list {
            "~LST"
        } else if hex {
            "~SEQx"
        } else {
            "~SEQ"
        };
        let head_loc = f.loc(line_no, t[0].col);
        while k < t.len() && is_blank(t[k].c) {
            k += 1;
        }
        if t.get(k).map(|c| c.c) != Some('(') {
            self.diags.warn(
                head_loc,
                format!("invalid {what}: expected `(` after `{what}`; line ignored"),
            );
            return;
        }
        let Some(close) = t[k..].iter().position(|c| c.c == ')').map(|p| p + k) else {
            self.diags.warn(
                head_loc,
                format!("invalid {what}: no closing `)`; line ignored"),
            );
            return;
        };
        let mut header = t[k + 1..close].to_vec();
        let mut rest = t[close + 1..].to_vec();
        trim(&mut rest);
        let mut extra = Vec::new();
        self.substitute(f, line_no, &mut header, &mut extra);
        if !extra.is_empty() {
            self.diags.warn(
                head_loc,
                format!("invalid {what}: a multi-line definition in its parameters; line ignored"),
            );
            return;
        }
        let iterations = if list {
            parse_list(&header)
        } else {
            parse_seq(&header, hex).map(|s| Iterations::Seq(s, hex))
        };
        let iterations = match iterations {
            Ok(it) => it,
            Err((col, why)) => {
                let col = col.unwrap_or(t[0].col);
                self.diags.warn(
                    f.loc(line_no, col),
                    format!("invalid {what}: {why}; line ignored"),
                );
                return;
            }
        };
        if rest.is_empty() {
            return;
        }
        match iterations {
            Iterations::Seq(seq, hex) => {
                let mut v = seq.start;
                loop {
                    let text = if hex { format!("{v:x}") } else { v.to_string() };
                    self.set_var(&seq.var, text);
                    self.line(f, line_no, rest.clone(), false, nest + 1);
                    if self.stopped {
                        break;
                    }
                    match v.checked_add(seq.step) {
                        Some(next)
                            if (seq.step > 0 && next <= seq.end)
                                || (seq.step < 0 && next >= seq.end) =>
                        {
                            v = next
                        }
                        _ => break,
                    }
                }
            }
            Iterations::List(vars, groups) => {
                for group in groups {
                    for (i, var) in vars.iter().enumerate() {
                        self.set_var(var, group.get(i).cloned().unwrap_or_default());
                    }
                    self.line(f, line_no, rest.clone(), false, nest + 1);
                    if self.stopped {
                        break;
                    }
                }
            }
        }
    }

    /// A sequence variable; like keepalived, it stays defined after the sequence.
    fn set_var(&mut self, name: &str, value: String) {
        self.defs.insert(
            name.to_string(),
            Def {
                lines: vec![value],
                multiline: false,
            },
        );
    }

    /// Step 5: if `t` is `include PATTERN` (or a variant), reads the files and returns true.
    /// keepalived takes the whole rest of the line as the pattern, spaces and quotes included.
    fn include(&mut self, f: &mut FileCtx, line_no: u32, t: &[Ch]) -> bool {
        let word_end = t.iter().position(|c| is_blank(c.c)).unwrap_or(t.len());
        let Some(variant) = Checks::of_keyword(&string_of(&t[..word_end])) else {
            return false;
        };
        let Some(start) = t[word_end..]
            .iter()
            .position(|c| !is_blank(c.c))
            .map(|p| p + word_end)
        else {
            return false; // a bare `include` is left to the grammar ("unknown keyword")
        };
        let pattern = string_of(&t[start..]);
        let loc = f.loc(line_no, t[start].col);
        let mut checks = f.checks.with(variant);
        if self.opts.all_config {
            checks = Checks::ALL;
        }
        self.include_pattern(f, &pattern, checks, loc);
        true
    }

    /// Expands braces, globs each alternative, reports what keepalived reports, reads the files.
    /// Files come in the order of the brace alternatives, each alternative's matches sorted.
    fn include_pattern(&mut self, f: &mut FileCtx, pattern: &str, checks: Checks, loc: Loc) {
        if pattern.len() > MAX_PATTERN_BYTES {
            self.diags.push(
                severity(checks.has(Checks::READABLE)),
                Some(loc),
                format!("include pattern is longer than {MAX_PATTERN_BYTES} bytes - skipping"),
            );
            return;
        }
        let (alternatives, braces, truncated) = brace_expand(pattern);
        if truncated {
            self.diags.warn(
                loc,
                format!(
                    "include pattern expands to more than {MAX_BRACE_ALTERNATIVES} alternatives; \
                     the rest are ignored"
                ),
            );
        }
        let wild = alternatives.iter().any(|a| has_wildcard(a));
        let mut files = Vec::new();
        let mut missing = false;
        for alt in &alternatives {
            let found = if self.opts.read_includes {
                glob(&f.dir, alt)
            } else {
                Vec::new()
            };
            if found.is_empty() && !has_wildcard(alt) {
                missing = true;
            }
            files.extend(found);
        }
        let hint = format!("relative paths are resolved in {}", f.dir.display());
        if files.is_empty() {
            // keepalived 2.2.7's messages and checks; a wildcard that matches nothing is normal
            // for plain `include` (optional conf.d files), so keepalived says nothing: a note.
            let (sev, message) = if wild {
                let sev = if checks.has(Checks::WILDCARD) {
                    Severity::Fatal
                } else {
                    Severity::Note
                };
                (sev, format!("No config files matched '{pattern}'."))
            } else {
                let must = (!braces && checks.has(Checks::MATCH | Checks::WILDCARD))
                    || checks.has(Checks::BRACE);
                let sev = if must {
                    Severity::Fatal
                } else {
                    Severity::Warning
                };
                (sev, format!("Config files missing '{pattern}'."))
            };
            let d = self.diags.push(sev, Some(loc), message);
            if !pattern.starts_with('/') {
                d.hint(hint);
            }
            return;
        }
        if missing {
            let sev = severity(checks.has(Checks::BRACE));
            let d = self.diags.push(
                sev,
                Some(loc),
                format!("Some config files missing: \"{pattern}\"."),
            );
            if !pattern.starts_with('/') {
                d.hint(hint);
            }
        }
        for path in files {
            if self.stopped {
                break;
            }
            self.include_file(f, &path, checks, loc);
        }
    }

    /// Reads one included file, after keepalived's checks on it.
    fn include_file(&mut self, f: &mut FileCtx, path: &Path, checks: Checks, loc: Loc) {
        let sev = severity(checks.has(Checks::READABLE));
        let shown = path.display();
        let problem = match fs::metadata(path) {
            Err(e) => Some(format!(
                "Configuration file '{shown}' open problem ({e}) - skipping"
            )),
            Ok(m) if m.is_dir() => Some(format!(
                "Configuration file '{shown}/' is a directory - skipping"
            )),
            Ok(m) if !m.is_file() || m.permissions().mode() & 0o111 != 0 => Some(format!(
                "Configuration file '{shown}' is not a regular non-executable file - skipping"
            )),
            Ok(m) if m.len() > MAX_FILE_BYTES => Some(format!(
                "Configuration file '{shown}' is larger than {MAX_FILE_BYTES} bytes - skipping"
            )),
            Ok(_) => None,
        };
        if let Some(message) = problem {
            self.diags.push(sev, Some(loc), message);
            return;
        }
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if self.reading.contains(&canonical) {
            self.diags
                .fatal(
                    loc,
                    format!("include cycle: '{shown}' is already being read - skipping"),
                )
                .hint(format!(
                    "include chain: {}",
                    self.reading
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" -> ")
                ));
            return;
        }
        if self.reading.len() >= MAX_INCLUDE_DEPTH {
            self.diags.fatal(
                loc,
                format!("includes nest more than {MAX_INCLUDE_DEPTH} deep at '{shown}' - skipping"),
            );
            return;
        }
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                self.diags.push(
                    sev,
                    Some(loc),
                    format!("Configuration file '{shown}' open problem ({e}) - skipping"),
                );
                return;
            }
        };
        let id = self.sources.add(path);
        let mut child = FileCtx::new(id, dir_of(path), f.checks);
        self.reading.push(canonical);
        self.run(&mut child, &bytes);
        self.reading.pop();
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

impl Blocks {
    /// Follows the braces of one emitted line; returns the statements (as words) that lie
    /// directly inside a `global_defs` block, if any. Quotes group words as the grammar does.
    fn global_defs_statements(&mut self, line: &str) -> Option<Vec<Vec<String>>> {
        // Deeper in, or in another block, only braces matter.
        if !self.keeps_words() && !line.bytes().any(|b| b == b'{' || b == b'}') {
            return None;
        }
        let mut keep = self.keeps_words();
        let mut found = Vec::new();
        let mut stmt: Vec<String> = Vec::new();
        let mut word = String::new();
        let mut quote: Option<char> = None;
        let mut in_word = false;
        for c in line.chars().chain(std::iter::once('\n')) {
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                } else if c != '\n' && keep {
                    word.push(c);
                }
                continue;
            }
            match c {
                '"' | '\'' => {
                    quote = Some(c);
                    in_word = true;
                }
                '{' | '}' | '\n' | ' ' | '\t' | '\r' | '\x0b' | '\x0c' => {
                    if in_word {
                        if keep {
                            if self.depth == 0 && stmt.is_empty() {
                                self.last_top_word = word.clone();
                            }
                            stmt.push(std::mem::take(&mut word));
                        }
                        in_word = false;
                    }
                    if matches!(c, '{' | '}' | '\n') {
                        if self.depth == 1 && self.top == "global_defs" && !stmt.is_empty() {
                            found.push(std::mem::take(&mut stmt));
                        }
                        stmt.clear();
                        if c == '{' {
                            if self.depth == 0 {
                                self.top = self.last_top_word.clone();
                            }
                            self.depth = self.depth.saturating_add(1);
                            self.peak = self.peak.max(self.depth);
                        } else if c == '}' {
                            self.depth = self.depth.saturating_sub(1);
                            if self.depth == 0 {
                                self.top.clear();
                            }
                        }
                        keep = self.keeps_words();
                    }
                }
                _ => {
                    if keep {
                        word.push(c);
                    }
                    in_word = true;
                }
            }
        }
        (!found.is_empty()).then_some(found)
    }

    /// Whether the words of the current statement matter: the first word of a top-level statement
    /// names the block that may follow, and statements directly in `global_defs` are returned.
    fn keeps_words(&self) -> bool {
        self.depth == 0 || (self.depth == 1 && self.top == "global_defs")
    }
}

/// The columns of a line being emitted.
enum Cols<'a> {
    /// Source column = output column + shift.
    Shift(u32),
    Runs(&'a [ColRun]),
}

/// Which iterations a `~SEQ` or `~LST` header asks for.
enum Iterations {
    Seq(Seq, bool),
    List(Vec<String>, Vec<Vec<String>>),
}

#[derive(Debug, PartialEq, Eq)]
struct Seq {
    var: String,
    start: i64,
    step: i64,
    end: i64,
}

/// A header error: the column of the offending part (if known) and why.
type HeaderError = (Option<u32>, String);

/// Splits header characters at top-level commas (not inside `{...}`), trimmed.
fn split_commas(h: &[Ch]) -> Vec<Vec<Ch>> {
    let mut parts = vec![Vec::new()];
    let mut depth = 0u32;
    for &ch in h {
        match ch.c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(ch);
        }
    }
    for p in &mut parts {
        trim(p);
    }
    parts
}

/// `VAR, [START,] [STEP,] END` with keepalived's defaults: START is 1 (-1 if END < 0), STEP is 1
/// or -1 towards END; numbers as C's `strtol(.., 0)` (decimal, 0x hex, 0 octal).
fn parse_seq(h: &[Ch], hex: bool) -> Result<Seq, HeaderError> {
    let parts = split_commas(h);
    let usage = "expected (VAR, [START,] [STEP,] END)";
    let var = string_of(&parts[0]);
    if !is_name(&var) {
        return Err((
            parts[0].first().map(|c| c.col),
            format!("`{var}` is not a variable name, {usage}"),
        ));
    }
    if parts.len() < 2 || parts.len() > 4 {
        return Err((
            parts[0].first().map(|c| c.col),
            format!("{} parameters, {usage}", parts.len()),
        ));
    }
    let mut nums = Vec::new();
    for p in &parts[1..] {
        let s = string_of(p);
        match parse_c_long(&s) {
            Some(n) => nums.push(n),
            None => {
                return Err((
                    p.first().map(|c| c.col),
                    format!("`{s}` is not a number, {usage}"),
                ));
            }
        }
    }
    let (start, step, end) = match nums[..] {
        [end] => (
            if end < 0 { -1 } else { 1 },
            if end < 1 { -1 } else { 1 },
            end,
        ),
        [start, end] => (start, if start <= end { 1 } else { -1 }, end),
        [start, step, end] => (start, step, end),
        _ => unreachable!("1 to 3 numbers"),
    };
    if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
        return Err((
            parts[1].first().map(|c| c.col),
            format!("step {step} does not go from {start} to {end}"),
        ));
    }
    if hex && (start < 0 || end < 0) {
        return Err((
            parts[1].first().map(|c| c.col),
            "~SEQx takes only non-negative numbers".into(),
        ));
    }
    Ok(Seq {
        var,
        start,
        step,
        end,
    })
}

/// `VAR, V1, V2...` or `{VAR1, VAR2}, {V1, V2}, {V3, V4}...` (values without blanks or quotes,
/// possibly empty; a group with fewer values leaves the other variables empty).
fn parse_list(h: &[Ch]) -> Result<Iterations, HeaderError> {
    let parts = split_commas(h);
    let col = |p: &Vec<Ch>| p.first().map(|c| c.col);
    let usage = "expected (VAR, VALUE...) or ({VAR, ...}, {VALUE, ...}...)";
    if parts.len() < 2 {
        return Err((col(&parts[0]), format!("no values, {usage}")));
    }
    let vars = group_items(&parts[0]).ok_or((col(&parts[0]), usage.to_string()))?;
    if let Some(bad) = vars.iter().find(|v| !is_name(v)) {
        return Err((
            col(&parts[0]),
            format!("`{bad}` is not a variable name, {usage}"),
        ));
    }
    let mut groups = Vec::new();
    for p in &parts[1..] {
        let values =
            group_items(p).ok_or((col(p), format!("bad value `{}`, {usage}", string_of(p))))?;
        if values.len() > vars.len() {
            return Err((
                col(p),
                format!("{} values for {} variables", values.len(), vars.len()),
            ));
        }
        if let Some(bad) = values.iter().find(|v| {
            v.chars()
                .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '{' | '}'))
        }) {
            return Err((
                col(p),
                format!("bad value `{bad}` (no blanks or quotes), {usage}"),
            ));
        }
        groups.push(values);
    }
    Ok(Iterations::List(vars, groups))
}

/// `x` gives `[x]`; `{a, b}` gives `[a, b]`; unbalanced braces give `None`.
fn group_items(p: &[Ch]) -> Option<Vec<String>> {
    let s = string_of(p);
    match s.strip_prefix('{') {
        Some(inner) => {
            let inner = inner.strip_suffix('}')?;
            Some(
                inner
                    .split(',')
                    .map(|v| v.trim_matches([' ', '\t']).to_string())
                    .collect(),
            )
        }
        None if s.contains(['{', '}']) => None,
        None => Some(vec![s]),
    }
}

/// C's `strtol(s, .., 0)` over the whole string: sign, then `0x` hex, `0` octal or decimal.
fn parse_c_long(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, h)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    i64::try_from(if neg { -magnitude } else { magnitude }).ok()
}

/// Step 3: strips the comment and the blanks around the line; says whether the physical line
/// ends in an unescaped `\` (keepalived honours it even inside a comment).
fn decomment(line: &[Ch]) -> (Vec<Ch>, bool) {
    let trailing = line.iter().rev().take_while(|c| c.c == '\\').count();
    let cont = trailing % 2 == 1;
    let mut out = Vec::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < line.len() {
        let c = line[i].c;
        if c == '\\' && i + 1 < line.len() {
            let next = line[i + 1].c;
            // An escaped comment character outside quotes loses its backslash; any other
            // escape is kept for the grammar, and never ends a quote.
            if !(quote.is_none() && (next == '#' || next == '!')) {
                out.push(line[i]);
            }
            out.push(line[i + 1]);
            i += 2;
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            // keepalived 2.2.7 lets only `"` protect a comment; we follow its documentation,
            // where `'` quotes too.
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' || c == '!' => break,
            None => {}
        }
        out.push(line[i]);
        i += 1;
    }
    trim(&mut out);
    (out, cont)
}

/// Removes the continuation `\` (if not already gone with a comment) and the blanks before it.
fn strip_continuation(t: &mut Vec<Ch>) {
    if t.last().map(|c| c.c) == Some('\\') {
        t.pop();
    }
    trim(t);
}

/// `@ID rest` / `@^ID rest`: the index where `rest` starts, or `None` to drop the line
/// (keepalived drops `@ID` with nothing after it).
fn conditional(t: &[Ch], config_id: &str) -> Option<usize> {
    let (negate, start) = if t.get(1).map(|c| c.c) == Some('^') {
        (true, 2)
    } else {
        (false, 1)
    };
    let end = start + t.get(start..)?.iter().position(|c| is_blank(c.c))?;
    let matches = string_of(&t[start..end]) == config_id;
    (matches != negate).then_some(end)
}

/// `$NAME=value` (no blank before `=`): the name and the value without leading blanks.
fn definition(t: &[Ch]) -> Option<(String, Vec<Ch>)> {
    if t.first()?.c != '$' || !is_name_start(t.get(1)?.c) {
        return None;
    }
    let eq = 1 + t[1..].iter().position(|c| !is_name_char(c.c))?;
    if t[eq].c != '=' {
        return None;
    }
    let mut value = t[eq + 1..].to_vec();
    trim(&mut value);
    Some((string_of(&t[1..eq]), value))
}

/// A use of a definition at `t[i]` (a `$`): `${NAME}`, `${NAME params}`, or `$NAME` followed by
/// a blank, `,`, `)` or the end of the line (keepalived's rule; `$NAME}` is not a use).
fn find_use(t: &[Ch], i: usize) -> Option<Use> {
    let braces = t.get(i + 1)?.c == '{';
    let start = i + if braces { 2 } else { 1 };
    if !is_name_start(t.get(start)?.c) {
        return None;
    }
    let mut j = start;
    while j < t.len() && is_name_char(t[j].c) {
        j += 1;
    }
    let name = string_of(&t[start..j]);
    if !braces {
        let ok = j == t.len() || matches!(t[j].c, ' ' | '\t' | ',' | ')');
        return ok.then_some(Use {
            end: j,
            name,
            params: None,
        });
    }
    let mut params = None;
    if t.get(j)?.c == ' ' {
        let close = j + t[j..].iter().position(|c| c.c == '}')?;
        let p = &t[j..close];
        if p.last().map(|c| c.c) == Some(' ') || !p.iter().all(|c| c.c == ' ' || is_name_char(c.c))
        {
            return None;
        }
        params = Some(string_of(p).trim().to_string());
        j = close;
    }
    (t.get(j)?.c == '}').then_some(Use {
        end: j + 1,
        name,
        params,
    })
}

/// The column runs of `t` (see [`ColRun`]): typed characters in runs of consecutive columns,
/// inserted ones in runs of one `$` column.
fn col_runs(t: &[Ch]) -> Vec<ColRun> {
    let mut runs: Vec<ColRun> = Vec::new();
    let mut prev: Option<&Ch> = None;
    for (i, ch) in t.iter().enumerate() {
        let inserted = ch.depth > 0;
        let goes_on = prev.is_some_and(|p| {
            (p.depth > 0) == inserted
                && if inserted {
                    p.col == ch.col
                } else {
                    p.col.checked_add(1) == Some(ch.col)
                }
        });
        if !goes_on {
            runs.push(ColRun {
                out: u32::try_from(i + 1).unwrap_or(u32::MAX),
                src: ch.col,
                inserted,
            });
        }
        prev = Some(ch);
    }
    runs
}

/// csh brace expansion, left to right: `a{b,c{d,e}}f` gives `abf acdf acef`. `{}` and braces
/// without a match stay literal; `\` escapes. Returns the alternatives, whether there were braces,
/// and whether [`MAX_BRACE_ALTERNATIVES`] cut the list short.
fn brace_expand(pattern: &str) -> (Vec<String>, bool, bool) {
    let mut out = Vec::new();
    let mut had_braces = false;
    let mut stack = vec![pattern.to_string()];
    while let Some(p) = stack.pop() {
        match find_brace(&p) {
            None => {
                out.push(p);
                // Every pattern left on the stack gives at least one more alternative.
                if out.len() >= MAX_BRACE_ALTERNATIVES && !stack.is_empty() {
                    return (out, had_braces, true);
                }
            }
            Some((open, close, commas)) => {
                had_braces = true;
                let mut bounds = vec![open];
                bounds.extend(commas);
                bounds.push(close);
                // Pushed in reverse so that they come off the stack in order.
                for w in bounds.windows(2).rev() {
                    stack.push(format!(
                        "{}{}{}",
                        &p[..open],
                        &p[w[0] + 1..w[1]],
                        &p[close + 1..]
                    ));
                }
            }
        }
    }
    (out, had_braces, false)
}

/// The first expandable `{...}` of `p`: byte offsets of `{`, `}` and its top-level commas.
fn find_brace(p: &str) -> Option<(usize, usize, Vec<usize>)> {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'{' => {
                let mut depth = 0usize;
                let mut commas = Vec::new();
                let mut j = i;
                while j < b.len() {
                    match b[j] {
                        b'\\' => j += 1,
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        b',' if depth == 1 => commas.push(j),
                        _ => {}
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return None; // no matching `}`: the rest is literal
                }
                if j == i + 1 {
                    i += 2; // `{}` is literal
                    continue;
                }
                return Some((i, j, commas));
            }
            _ => i += 1,
        }
    }
    None
}

/// Whether a glob pattern has an unescaped `*`, `?` or `[`.
fn has_wildcard(p: &str) -> bool {
    let mut escaped = false;
    for c in p.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if matches!(c, '*' | '?' | '[') {
            return true;
        }
    }
    false
}

/// `glob(3)` of one brace-free pattern, relative to `dir`: the existing paths it names, sorted.
/// Wildcards work in any component; `*` and `?` do not match a leading `.`.
fn glob(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let (mut found, rest) = match pattern.strip_prefix('/') {
        Some(rest) => (vec![PathBuf::from("/")], rest),
        None => (vec![dir.to_path_buf()], pattern),
    };
    for comp in rest.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        if has_wildcard(comp) {
            for base in &found {
                let Ok(entries) = fs::read_dir(base) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    if crate::sys::fnmatch(comp.as_bytes(), name.as_bytes()) {
                        next.push(base.join(&name));
                    }
                }
            }
        } else {
            let literal = unescape(comp);
            next.extend(found.iter().map(|base| base.join(&literal)));
        }
        found = next;
        if found.is_empty() {
            break;
        }
    }
    found.retain(|p| fs::symlink_metadata(p).is_ok());
    found.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    found
}

/// A glob component without wildcards, its backslash escapes removed.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The absolute directory of a file (`${_PWD}`); symlinks resolved where it exists, as
/// keepalived's `getcwd()` after `chdir()` does.
fn dir_of(path: &Path) -> PathBuf {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let absolute = if parent.is_absolute() {
        parent
    } else {
        std::env::current_dir().map_or(parent.clone(), |cwd| cwd.join(&parent))
    };
    fs::canonicalize(&absolute).unwrap_or(absolute)
}

/// Fatal if the check is on, else a warning.
fn severity(check: bool) -> Severity {
    if check {
        Severity::Fatal
    } else {
        Severity::Warning
    }
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_name(s: &str) -> bool {
    s.chars().next().is_some_and(is_name_start) && s.chars().all(is_name_char)
}

fn trim(t: &mut Vec<Ch>) {
    while t.last().is_some_and(|c| is_blank(c.c)) {
        t.pop();
    }
    let lead = t.iter().take_while(|c| is_blank(c.c)).count();
    t.drain(..lead);
}

fn starts_with(t: &[Ch], prefix: &str) -> bool {
    let mut it = t.iter();
    prefix.chars().all(|p| it.next().is_some_and(|c| c.c == p))
}

fn string_of(t: &[Ch]) -> String {
    t.iter().map(|c| c.c).collect()
}

/// Inserted text: every character at the `$`'s column. A newline (from `${_ENV}`) becomes a
/// blank, since a logical line cannot hold one.
fn chars_of(s: &str, col: u32, depth: u8) -> Vec<Ch> {
    s.chars()
        .map(|c| Ch {
            c: if c == '\n' { ' ' } else { c },
            col,
            depth,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "/kprs-test/etc/k.conf";

    fn opts(id: &str) -> Options {
        let mut o = Options::new(id);
        o.env = Box::new(|name| (name == "SITE").then(|| "paris".to_string()));
        o.random_seed = 7;
        o
    }

    /// One preprocessing run and what it produced.
    struct Run {
        p: Preprocessed,
        sm: SourceMap,
        d: Diagnostics,
    }

    fn run_with(o: &Options, text: &str) -> Run {
        let (mut sm, mut d) = (SourceMap::new(), Diagnostics::default());
        let p = preprocess_str(Path::new(NAME), text, o, &mut sm, &mut d);
        Run { p, sm, d }
    }

    fn run(text: &str) -> Run {
        run_with(&opts("main"), text)
    }

    fn run_file(o: &Options, main: &Path) -> Run {
        let (mut sm, mut d) = (SourceMap::new(), Diagnostics::default());
        let p = preprocess(main, o, &mut sm, &mut d);
        Run { p, sm, d }
    }

    impl Run {
        fn lines(&self) -> Vec<&str> {
            if self.p.line_count() == 0 {
                assert_eq!(self.p.text, "");
                return Vec::new();
            }
            let v: Vec<&str> = self.p.text.split('\n').collect();
            assert_eq!(v.len(), self.p.line_count());
            v
        }

        /// `file:line:col` of the `nth` occurrence of `needle` in the output.
        fn at(&self, needle: &str, nth: usize) -> String {
            let (off, _) = self
                .p
                .text
                .match_indices(needle)
                .nth(nth)
                .unwrap_or_else(|| panic!("{needle:?} #{nth} not in {:?}", self.p.text));
            self.sm.display(self.p.loc_of(off).expect("a location"))
        }

        fn diags(&self) -> Vec<String> {
            self.d
                .list
                .iter()
                .map(|d| match d.loc {
                    Some(l) => format!("{}: {}: {}", self.sm.display(l), d.severity, d.message),
                    None => format!("{}: {}", d.severity, d.message),
                })
                .collect()
        }
    }

    /// A scratch directory, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let p = std::env::temp_dir().join(format!("kprs-pre-{}-{tag}", std::process::id()));
            let _ = fs::remove_dir_all(&p);
            fs::create_dir_all(&p).unwrap();
            TempDir(fs::canonicalize(&p).unwrap())
        }

        fn write(&self, rel: &str, text: &str) -> PathBuf {
            let p = self.0.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, text).unwrap();
            p
        }

        fn path(&self, rel: &str) -> String {
            self.0.join(rel).display().to_string()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn comments_are_stripped_outside_quotes() {
        let r = run(
            "a#b\n  router_id \"x#y\" zz ! c\nk 'p!q' w\nesc a\\#b c\\!d\n\
             q \"in\\\"#x\" yy # c\n# only comment\n! bang\ntail\\\\\ncont \\\n",
        );
        assert_eq!(
            r.lines(),
            [
                "a",
                "router_id \"x#y\" zz",
                "k 'p!q' w",
                "esc a#b c!d",
                "q \"in\\\"#x\" yy",
                "tail\\\\",
                "cont \\",
            ]
        );
        assert_eq!(r.at("router_id", 0), format!("{NAME}:2:3"));
        assert_eq!(r.at("zz", 0), format!("{NAME}:2:19"));
        assert_eq!(r.at("w", 0), format!("{NAME}:3:9"));
        // The backslash before `#` and `!` is gone; the characters keep their own columns.
        assert_eq!(r.at("#b", 0), format!("{NAME}:4:7"));
        assert_eq!(r.at("c!d", 0), format!("{NAME}:4:10"));
        assert_eq!(r.at("!d", 0), format!("{NAME}:4:12"));
        assert_eq!(r.at("yy", 0), format!("{NAME}:5:12"));
        assert_eq!(
            r.diags(),
            [format!(
                "{NAME}:9:6: warning: a `\\` at the end of a line continues only a `$NAME=` \
                 definition; it does not join this line with the next"
            )]
        );
    }

    #[test]
    fn conditional_lines_follow_the_config_id() {
        let text = "@main router_id r1\n@backup router_id r2\n  @^backup   prio 1\n@^main prio 2\n\
                    @main\n@ x\n@^ y\n@main $P=5\n@^main $P=6\nval $P\n";
        let r = run(text);
        assert_eq!(r.lines(), ["router_id r1", "prio 1", "y", "val 5"]);
        assert_eq!(r.at("router_id", 0), format!("{NAME}:1:7"));
        assert_eq!(r.at("r1", 0), format!("{NAME}:1:17"));
        assert_eq!(r.at("prio", 0), format!("{NAME}:3:14"));
        assert_eq!(r.at("y", 0), format!("{NAME}:7:4"));
        assert_eq!(r.at("5", 0), format!("{NAME}:10:5"));
        assert!(r.diags().is_empty());
        let r = run_with(&opts("backup"), text);
        assert_eq!(r.lines(), ["router_id r2", "prio 2", "y", "val 6"]);
        assert_eq!(r.at("prio", 0), format!("{NAME}:4:8"));
    }

    #[test]
    fn definitions_substitute_at_use_time() {
        let r = run(
            "$ADDR=10.0.${SUB}\n$SUB=0\nip ${ADDR}.1/32\n$SUB=7\nip $ADDR\n$X =1\n\
             k $X $UNDEF ${UNDEF}x $ADDRy $ADDR, ${ADDR}z\n$EMPTY=\ne[${EMPTY}]\n\
             $IF_MAIN=@main\n$IF_MAIN priority 240\n$IF_BK=@backup\n$IF_BK priority 100\n",
        );
        assert_eq!(
            r.lines(),
            [
                "ip 10.0.0.1/32",
                "ip 10.0.7",
                "$X =1",
                "k $X $UNDEF ${UNDEF}x $ADDRy 10.0.7, 10.0.7z",
                "e[]",
                "priority 240",
            ]
        );
        // A token produced by a substitution points at its `$`; the text after it at itself.
        assert_eq!(r.at("10.0.0.1", 0), format!("{NAME}:3:4"));
        assert_eq!(r.at(".1/32", 0), format!("{NAME}:3:11"));
        assert_eq!(r.at("10.0.7", 0), format!("{NAME}:5:4"));
        assert_eq!(r.at("$ADDRy", 0), format!("{NAME}:7:23"));
        assert_eq!(r.at("10.0.7,", 0), format!("{NAME}:7:30"));
        assert_eq!(r.at("10.0.7z", 0), format!("{NAME}:7:37"));
        assert_eq!(r.at("e[]", 0), format!("{NAME}:9:1"));
        assert_eq!(r.at("]", 0), format!("{NAME}:9:11"));
        assert_eq!(r.at("priority", 0), format!("{NAME}:11:10"));
        assert!(r.diags().is_empty());
    }

    #[test]
    fn dump_origins_shows_files_lines_and_segments() {
        let r = run("$V=a b\n  k $V c\nplain\n");
        assert_eq!(
            dump_origins(&r.p, &r.sm),
            format!("{NAME}:2: k a b c    [(1, 3), (4, 5), (5, 5), (6, 7)]\n{NAME}:3: plain\n")
        );
    }

    #[test]
    fn multi_line_definitions_expand_to_several_lines() {
        let r = run(
            "$INST= \\\nvrrp_instance VI_${N} { \\\n   priority 1${N}0 # comment \\\n\
             # a comment line inside\n}\n$N=1\n$INST\n$N=2\n  $INST\npre $INST post\n\
             $TWO=a \\\n\nb\nx $TWO\n",
        );
        assert_eq!(
            r.lines(),
            [
                "vrrp_instance VI_1 {",
                "priority 110",
                "}",
                "vrrp_instance VI_2 {",
                "priority 120",
                "}",
                "pre $INST post",
                "b",
                "x a",
            ]
        );
        let lines: Vec<u32> = r.p.origins().map(|o| o.line).collect();
        assert_eq!(lines, [7, 7, 7, 9, 9, 9, 10, 13, 14]);
        assert_eq!(r.at("vrrp_instance", 0), format!("{NAME}:7:1"));
        assert_eq!(r.at("VI_2", 0), format!("{NAME}:9:3"));
        assert_eq!(r.at("priority", 1), format!("{NAME}:9:3"));
        assert_eq!(r.at("120", 0), format!("{NAME}:9:3"));
        assert_eq!(r.at("a", 2), format!("{NAME}:14:3"));
        assert!(r.diags().is_empty());
    }

    #[test]
    fn recursive_definition_stops_with_a_warning() {
        let r = run("$X=${X}a\nk ${X}\n$Y=$Y\nl $Y\n");
        let a = "a".repeat(usize::from(MAX_SUBST_DEPTH));
        assert_eq!(r.lines(), [format!("k ${{X}}{a}").as_str(), "l $Y"]);
        let msg = |line, col, name| {
            format!(
                "{NAME}:{line}:{col}: warning: substitution of `${name}` nests more than 32 deep \
                 or grows the line past 16384 characters (a definition that uses itself?); \
                 left as is"
            )
        };
        assert_eq!(r.diags(), [msg(2, 3, "X"), msg(4, 3, "Y")]);
    }

    #[test]
    fn built_in_definitions() {
        let text = "pwd ${_PWD}\ninst ${_INSTANCE} $_INSTANCE\nh ${_HASH}x${_BANG} \"${_HASH}\"\n\
                    env ${_ENV SITE} [${_ENV NOPE}]\nr ${_RANDOM} ${_RANDOM 5 6} ${_RANDOM 3 3} \
                    ${_RANDOM 30000}\nlit ${_RANDOM a} ${_INSTANCE 1} ${_ENV} ${_ENV A B}\n\
                    $_PWD=mine\nover ${_PWD}\nbad ${_RANDOM 9 2} ${_RANDOM 1 2 3}\n";
        let r = run_with(&opts("lb1"), text);
        let lines = r.lines();
        assert_eq!(
            lines[..4],
            [
                "pwd /kprs-test/etc",
                "inst lb1 lb1",
                "h #x! \"#\"",
                "env paris []"
            ]
        );
        let nums: Vec<u64> = lines[4]
            .split(' ')
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect();
        assert!(
            nums[0] <= 32767 && (5..=6).contains(&nums[1]) && nums[2] == 3,
            "{nums:?}"
        );
        assert!((30000..=32767).contains(&nums[3]), "{nums:?}");
        assert_eq!(
            lines[5],
            "lit ${_RANDOM a} ${_INSTANCE 1} ${_ENV} ${_ENV A B}"
        );
        assert_eq!(lines[6], "over mine");
        let bad: Vec<u64> = lines[7]
            .split(' ')
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect();
        assert!(
            (2..=9).contains(&bad[0]) && (1..=2).contains(&bad[1]),
            "{bad:?}"
        );
        assert_eq!(r.at("lb1", 1), format!("{NAME}:2:19"));
        assert_eq!(r.at("#x", 0), format!("{NAME}:3:3"));
        assert_eq!(r.at("x!", 0), format!("{NAME}:3:11"));
        assert_eq!(r.at("paris", 0), format!("{NAME}:4:5"));
        assert_eq!(
            r.diags(),
            [
                format!(
                    "{NAME}:4:19: note: environment variable NOPE is not set; ${{_ENV NOPE}} is empty"
                ),
                format!(
                    "{NAME}:9:5: warning: ${{_RANDOM 9 2}}: MIN is greater than MAX; using 2..9"
                ),
                format!("{NAME}:9:20: warning: ${{_RANDOM}} takes at most MIN and MAX; ignoring 3"),
            ]
        );
        // Deterministic by seed.
        assert_eq!(run_with(&opts("lb1"), text).p, r.p);
        let mut other = opts("lb1");
        other.random_seed = 8;
        assert_ne!(run_with(&other, text).lines()[4], lines[4]);
    }

    #[test]
    fn sequences_and_lists() {
        let r = run(
            "~SEQ(i, 3) a$i\n~SEQx(h,0x9,0xb) h${h}\n~SEQ(i,5,-2,1) d$i\n~SEQ(i,-2) m$i\n\
             ~LST(v, x, , y) l[${v}]\n~LST({a,b},{1,2},{3}) p${a}_${b}\n\
             ~SEQ(i,1,2) ~LST(c,x,y) n${i}$c\n$N=2\n~SEQ(j,$N) q$j\n$S=~SEQ(k,1,2)\n$S s$k\n\
             after $i $k\n~SEQ(i,0)\n",
        );
        assert_eq!(
            r.lines(),
            [
                "a1",
                "a2",
                "a3",
                "h9",
                "ha",
                "hb",
                "d5",
                "d3",
                "d1",
                "m-1",
                "m-2",
                "l[x]",
                "l[]",
                "l[y]",
                "p1_2",
                "p3_",
                "n1x",
                "n1y",
                "n2x",
                "n2y",
                "q1",
                "q2",
                "s1",
                "s2",
                "after 2 2",
            ]
        );
        assert_eq!(r.at("a2", 0), format!("{NAME}:1:12"));
        assert_eq!(r.at("hb", 0), format!("{NAME}:2:18"));
        assert_eq!(r.at("b", 0), format!("{NAME}:2:19"));
        assert_eq!(r.at("l[]", 0), format!("{NAME}:5:17"));
        assert_eq!(r.at("n2y", 0), format!("{NAME}:7:25"));
        assert_eq!(r.at("s2", 0), format!("{NAME}:11:4"));
        assert!(r.diags().is_empty());
    }

    #[test]
    fn sequence_errors_are_located() {
        let r = run(
            "~SEQ(i,1,-2,7) x\n~SEQ(i,a) x\n~SEQx(i,-1,2) x\n~SEQ i x\n~SEQ(i,1\n\
             ~LST(v) x\n~LST({a},{1,2}) x\n~LST(v,\"q r\") x\n~SEQ(1i,2) x\nok\n",
        );
        assert_eq!(r.lines(), ["ok"]);
        let usage = "expected (VAR, [START,] [STEP,] END)";
        let lst = "expected (VAR, VALUE...) or ({VAR, ...}, {VALUE, ...}...)";
        assert_eq!(
            r.diags(),
            [
                format!(
                    "{NAME}:1:8: warning: invalid ~SEQ: step -2 does not go from 1 to 7; line ignored"
                ),
                format!(
                    "{NAME}:2:8: warning: invalid ~SEQ: `a` is not a number, {usage}; line ignored"
                ),
                format!(
                    "{NAME}:3:9: warning: invalid ~SEQx: ~SEQx takes only non-negative numbers; \
                     line ignored"
                ),
                format!(
                    "{NAME}:4:1: warning: invalid ~SEQ: expected `(` after `~SEQ`; line ignored"
                ),
                format!("{NAME}:5:1: warning: invalid ~SEQ: no closing `)`; line ignored"),
                format!("{NAME}:6:6: warning: invalid ~LST: no values, {lst}; line ignored"),
                format!(
                    "{NAME}:7:10: warning: invalid ~LST: 2 values for 1 variables; line ignored"
                ),
                format!(
                    "{NAME}:8:8: warning: invalid ~LST: bad value `\"q r\"` (no blanks or quotes), \
                     {lst}; line ignored"
                ),
                format!(
                    "{NAME}:9:6: warning: invalid ~SEQ: `1i` is not a variable name, {usage}; \
                     line ignored"
                ),
            ]
        );
    }

    #[test]
    fn man_page_style_nested_sequences_over_a_multi_line_definition() {
        let r = run(
            "$VI= \\\nvrrp_instance v.${IF}.${NUM}.${ID} { \\\n  virtual_router_id ${ID} \\\n}\n\
             ~SEQ(IF,0,1) ~SEQ(NUM,0,3) ~SEQ(ID,1,254) $VI\n",
        );
        let lines = r.lines();
        assert_eq!(lines.len(), 2 * 4 * 254 * 3);
        assert_eq!(
            lines[..3],
            ["vrrp_instance v.0.0.1 {", "virtual_router_id 1", "}"]
        );
        assert_eq!(
            lines[lines.len() - 3..],
            ["vrrp_instance v.1.3.254 {", "virtual_router_id 254", "}"]
        );
        assert!(r.p.origins().all(|o| o.line == 5));
        assert_eq!(r.at("vrrp_instance", 0), format!("{NAME}:5:43"));
    }

    #[test]
    fn blocks_nested_too_deep_stop_preprocessing() {
        // 64 levels are read; the 65th stops before the grammar, which recurses (the fuzzer
        // overflowed the stack with 4,000 levels).
        let ok = "a {\n".repeat(64);
        let r = run_with(&opts("main"), &ok);
        assert!(r.diags().is_empty(), "{:?}", r.diags());
        let deep = format!("{ok}b {{ c\n");
        let r = run_with(&opts("main"), &deep);
        assert_eq!(r.lines().len(), 64);
        assert_eq!(
            r.diags(),
            [format!(
                "{NAME}:65:1: error: blocks nest more than 64 deep; preprocessing stopped here"
            )]
        );
        let r = run_with(&opts("main"), &"{".repeat(5000));
        assert_eq!(r.lines().len(), 0);
    }

    #[test]
    fn expansion_stops_at_the_line_budget() {
        let mut o = opts("main");
        o.max_lines = 10;
        let r = run_with(&o, "~SEQ(i,1,100) x$i\n");
        assert_eq!(r.lines().len(), 10);
        assert_eq!(
            r.diags(),
            [format!(
                "{NAME}:1:15: error: the configuration expands to more than 10 lines; \
                 preprocessing stopped here"
            )]
        );
        // Sequences that only define things are counted too.
        let r = run_with(&o, "~SEQ(i,1,1000000) $X=$i\nafter\n");
        assert!(r.lines().is_empty());
        assert_eq!(
            r.diags(),
            [format!(
                "{NAME}:1:19: error: the configuration expands to more than 40 logical lines; \
                 preprocessing stopped here"
            )]
        );
    }

    #[test]
    #[ignore = "timing: cargo test --release -- --ignored man_page_65024"]
    fn man_page_65024_instances() {
        let vi4 = "$VI4= \\\ntrack_file offset_instance_4.${IF}.${NUM}.${ID} { \\\n\
            file \"${_PWD}/679/track_files/4.${IF}.${NUM}.${ID}\" \\\nweight -100 \\\n} \\\n\
            vrrp_instance vrrp4.${IF}.${NUM}.${ID} { \\\ninterface bond${IF}.${NUM} \\\n\
            use_vmac vrrp4.${IF}.${NUM}.${ID} \\\nvirtual_router_id ${ID} \\\npriority 130 \\\n\
            virtual_ipaddress { \\\n10.${IF}.${NUM}.${ID}/24 \\\n} \\\ntrack_file { \\\n\
            offset_instance_4.${IF}.${NUM}.${ID} \\\n} \\\n}\n\
            ~SEQ(IF,0,7) ~SEQ(NUM,0,31) ~SEQ(ID,1,254) $VI4\n";
        let t = std::time::Instant::now();
        let r = run(vi4);
        eprintln!(
            "{} lines, {} bytes in {:?}",
            r.p.line_count(),
            r.p.text.len(),
            t.elapsed()
        );
        assert_eq!(r.p.line_count(), 65024 * 16);
        assert!(r.diags().is_empty(), "{:?}", r.diags());
    }

    #[test]
    fn includes_nest_sort_and_resolve_relative_paths() {
        let td = TempDir::new("incl");
        let main = td.write(
            "main.conf",
            "global_defs {\ninclude conf.d/*.conf\n}\ninclude sub/{b,a}.conf\n\
             includer missing*.conf\ninclude missing.conf\n  include sub/deeper/x.conf\n\
             $D=sub\ninclude ${D}/a.conf\n~LST(f,a,b) include sub/${f}.conf\nend ${_PWD}\n",
        );
        td.write("conf.d/20-b.conf", "b20 ${_PWD}\n");
        td.write("conf.d/10-a.conf", "a10\n");
        td.write("conf.d/.hidden.conf", "hidden\n");
        td.write("conf.d/notes.txt", "txt\n");
        td.write("sub/a.conf", "suba\n");
        td.write("sub/b.conf", "  subb\n");
        td.write("sub/deeper/x.conf", "x1\ninclude ../a.conf\n");
        let r = run_file(&opts("main"), &main);
        let root = td.0.display().to_string();
        assert_eq!(
            r.lines(),
            [
                "global_defs {",
                "a10",
                format!("b20 {root}/conf.d").as_str(),
                "}",
                "subb",
                "suba",
                "x1",
                "suba",
                "suba",
                "suba",
                "subb",
                format!("end {root}").as_str(),
            ]
        );
        assert_eq!(
            r.at("a10", 0),
            format!("{}:1:1", td.path("conf.d/10-a.conf"))
        );
        assert_eq!(
            r.at("b20", 0),
            format!("{}:1:1", td.path("conf.d/20-b.conf"))
        );
        assert_eq!(r.at("subb", 0), format!("{}:1:3", td.path("sub/b.conf")));
        assert_eq!(
            r.at("x1", 0),
            format!("{}:1:1", td.path("sub/deeper/x.conf"))
        );
        assert_eq!(
            r.at("suba", 1),
            format!("{}:1:1", td.path("sub/deeper/../a.conf"))
        );
        assert_eq!(r.at("end", 0), format!("{}:11:1", td.path("main.conf")));
        let files: Vec<String> = r.sm.files().map(|p| p.display().to_string()).collect();
        assert_eq!(files.len(), 10);
        assert_eq!(files[0], main.display().to_string());
        let hint = format!("relative paths are resolved in {root}");
        assert_eq!(
            r.diags(),
            [
                format!(
                    "{}:5:10: note: No config files matched 'missing*.conf'.",
                    td.path("main.conf")
                ),
                format!(
                    "{}:6:9: warning: Config files missing 'missing.conf'.",
                    td.path("main.conf")
                ),
            ]
        );
        assert!(
            r.d.list
                .iter()
                .all(|d| d.hint.as_deref() == Some(hint.as_str()))
        );
    }

    #[test]
    fn includes_not_read_match_nothing() {
        let td = TempDir::new("noread");
        td.write("sub/a.conf", "suba\n");
        let main = td.write("main.conf", "include sub/a.conf\ninclude sub/*.conf\nend\n");
        let mut o = opts("main");
        o.read_includes = false;
        let r = run_file(&o, &main);
        assert_eq!(r.lines(), ["end"]);
        let d = r.diags();
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d[0].contains("Config files missing 'sub/a.conf'"), "{d:?}");
        assert!(
            d[1].contains("No config files matched 'sub/*.conf'"),
            "{d:?}"
        );
    }

    #[test]
    fn include_variants_decide_severity() {
        let td = TempDir::new("variants");
        td.write("ok.conf", "ok\n");
        let exe = td.write("exec.conf", "exe\n");
        fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
        fs::create_dir_all(td.0.join("dir.conf")).unwrap();
        let cases: &[(&str, Severity, &str)] = &[
            (
                "include nothere.conf",
                Severity::Warning,
                "Config files missing 'nothere.conf'.",
            ),
            (
                "includer nothere.conf",
                Severity::Warning,
                "Config files missing 'nothere.conf'.",
            ),
            (
                "includem nothere.conf",
                Severity::Fatal,
                "Config files missing 'nothere.conf'.",
            ),
            (
                "includew nothere.conf",
                Severity::Fatal,
                "Config files missing 'nothere.conf'.",
            ),
            (
                "includeb nothere.conf",
                Severity::Fatal,
                "Config files missing 'nothere.conf'.",
            ),
            (
                "include no*.conf",
                Severity::Note,
                "No config files matched 'no*.conf'.",
            ),
            (
                "includem no*.conf",
                Severity::Note,
                "No config files matched 'no*.conf'.",
            ),
            (
                "includew no*.conf",
                Severity::Fatal,
                "No config files matched 'no*.conf'.",
            ),
            (
                "includea no*.conf",
                Severity::Fatal,
                "No config files matched 'no*.conf'.",
            ),
            (
                "includem {n1,n2}.conf",
                Severity::Warning,
                "Config files missing '{n1,n2}.conf'.",
            ),
            (
                "includeb {n1,n2}.conf",
                Severity::Fatal,
                "Config files missing '{n1,n2}.conf'.",
            ),
            (
                "include {ok,n1}.conf",
                Severity::Warning,
                "Some config files missing: \"{ok,n1}.conf\".",
            ),
            (
                "includew {ok,n1}.conf",
                Severity::Warning,
                "Some config files missing: \"{ok,n1}.conf\".",
            ),
            (
                "includeb {ok,n1}.conf",
                Severity::Fatal,
                "Some config files missing: \"{ok,n1}.conf\".",
            ),
            (
                "include exec.conf",
                Severity::Warning,
                "is not a regular non-executable file - skipping",
            ),
            (
                "includer exec.conf",
                Severity::Fatal,
                "is not a regular non-executable file - skipping",
            ),
            (
                "include dir.conf",
                Severity::Warning,
                "/dir.conf/' is a directory - skipping",
            ),
            (
                "includea dir.conf",
                Severity::Fatal,
                "/dir.conf/' is a directory - skipping",
            ),
        ];
        for &(line, severity, message) in cases {
            let main = td.write("main.conf", &format!("a\n  {line}\n"));
            let r = run_file(&opts("main"), &main);
            assert_eq!(r.d.list.len(), 1, "{line}: {:?}", r.diags());
            let d = &r.d.list[0];
            assert_eq!(
                (d.severity, d.loc.map(|l| (l.line, l.col))),
                (severity, Some((2, 3 + line.find(' ').unwrap() as u32 + 1))),
                "{line}"
            );
            assert!(d.message.ends_with(message), "{line}: {}", d.message);
            let expect_ok = line.contains("{ok,");
            assert_eq!(
                r.lines(),
                if expect_ok {
                    vec!["a", "ok"]
                } else {
                    vec!["a"]
                },
                "{line}"
            );
        }
        // -e makes every check fatal, even for a plain include of a wildcard.
        let main = td.write("main.conf", "include no*.conf\n");
        let mut all = opts("main");
        all.all_config = true;
        assert_eq!(
            run_file(&all, &main).diags(),
            [format!(
                "{}:1:9: error: No config files matched 'no*.conf'.",
                td.path("main.conf")
            )]
        );
    }

    #[test]
    fn include_cycles_are_reported_not_followed() {
        let td = TempDir::new("cycle");
        let a = td.write("a.conf", "in_a\ninclude b.conf\n");
        td.write("b.conf", "in_b\n include a.conf\n");
        let r = run_file(&opts("main"), &a);
        assert_eq!(r.lines(), ["in_a", "in_b"]);
        assert_eq!(
            r.diags(),
            [format!(
                "{}:2:10: error: include cycle: '{}' is already being read - skipping",
                td.path("b.conf"),
                td.path("a.conf")
            )]
        );
        assert_eq!(
            r.d.list[0].hint.as_deref(),
            Some(
                format!(
                    "include chain: {} -> {}",
                    td.path("a.conf"),
                    td.path("b.conf")
                )
                .as_str()
            )
        );
        let s = td.write("self.conf", "include self.conf\n");
        let r = run_file(&opts("main"), &s);
        assert_eq!(r.d.count(Severity::Fatal), 1);
    }

    #[test]
    fn include_check_and_random_seed_in_global_defs() {
        let td = TempDir::new("check");
        td.write(
            "relax.conf",
            "global_defs {\n include_check -match wildcard_match brace_match\n}\ninclude gone1.conf\n",
        );
        let main = td.write(
            "main.conf",
            "global_defs {\n  include_check\n}\ninclude relax.conf\ninclude gone2.conf\n\
             global_defs { include_check readable }\ninclude gone3.conf\n",
        );
        let r = run_file(&opts("main"), &main);
        let sev: Vec<(Severity, String)> =
            r.d.list
                .iter()
                .map(|d| (d.severity, d.message.clone()))
                .collect();
        assert_eq!(
            sev,
            [
                (
                    Severity::Warning,
                    "Config files missing 'gone1.conf'.".to_string()
                ),
                (
                    Severity::Fatal,
                    "Config files missing 'gone2.conf'.".to_string()
                ),
                (
                    Severity::Warning,
                    "Config files missing 'gone3.conf'.".to_string()
                ),
            ]
        );
        let seeded = run("global_defs {\n  random_seed 5\n}\nr ${_RANDOM}\n");
        let mut five = opts("main");
        five.random_seed = 5;
        assert_eq!(
            seeded.lines()[3],
            run_with(&five, "r ${_RANDOM}\n").lines()[0]
        );
        let ignored = run("vrrp_instance x {\n  random_seed 5\n}\nr ${_RANDOM}\n");
        assert_eq!(ignored.lines()[3], run("r ${_RANDOM}\n").lines()[0]);
    }

    #[test]
    fn missing_main_file_is_fatal() {
        let r = run_file(&opts("main"), Path::new("/kprs-nonexistent/k.conf"));
        assert!(r.lines().is_empty());
        assert_eq!(
            r.diags(),
            [
                "error: cannot read configuration file '/kprs-nonexistent/k.conf': \
              No such file or directory (os error 2)"
            ]
        );
        assert_eq!(r.d.exit_status(), 3);
    }

    #[test]
    fn long_lines_are_kept_whole_but_warned_about() {
        let long = "a".repeat(1100);
        let r = run(&format!(
            "k {long}\n$X={}\nx ${{X}}${{X}}\nshort\n",
            "b".repeat(600)
        ));
        assert_eq!(r.lines()[0].len(), 1102);
        assert_eq!(r.lines()[1].len(), 2 + 1200);
        assert_eq!(
            r.diags(),
            [
                format!(
                    "{NAME}:1:1024: warning: line is 1102 bytes long; keepalived reads at most 1023 \
                     bytes per line and would start a new line here"
                ),
                format!(
                    "{NAME}:3:1: warning: after substitution this line is 1202 bytes long; \
                     keepalived stops substituting at 1023 bytes"
                ),
            ]
        );
    }

    #[test]
    fn bad_bytes_are_reported_once_with_their_location() {
        let (mut sm, mut d) = (SourceMap::new(), Diagnostics::default());
        let bytes = b"ok\r\nk \xff\xfe x \xff\nn\x00rest\nz \xc3\xa9 \xff\n";
        let p = preprocess_bytes(Path::new(NAME), bytes, &opts("main"), &mut sm, &mut d);
        let r = Run { p, sm, d };
        assert_eq!(
            r.lines(),
            [
                "ok",
                "k \u{fffd}\u{fffd} x \u{fffd}",
                "n",
                "z \u{e9} \u{fffd}"
            ]
        );
        assert_eq!(r.at("x", 0), format!("{NAME}:2:6"));
        assert_eq!(
            r.diags(),
            [
                format!(
                    "{NAME}:2:3: warning: invalid UTF-8 (byte 0xff); invalid bytes in this file \
                     are read as U+FFFD"
                ),
                format!(
                    "{NAME}:3:2: warning: NUL byte: the rest of the line is ignored (as keepalived does)"
                ),
            ]
        );
    }

    #[test]
    fn brace_expansion_is_csh_like() {
        let e = |p: &str| brace_expand(p).0;
        assert_eq!(e("a{b,c{d,e}}f"), ["abf", "acdf", "acef"]);
        assert_eq!(e("{x,y}{1,2}"), ["x1", "x2", "y1", "y2"]);
        assert_eq!(e("a{}b{c"), ["a{}b{c"]);
        assert_eq!(e("a\\{b,c}"), ["a\\{b,c}"]);
        assert_eq!(e("{,.conf}"), ["", ".conf"]);
        let (many, braces, cut) = brace_expand(&"{a,b}".repeat(20));
        assert!(braces && cut && many.len() == MAX_BRACE_ALTERNATIVES);
    }

    #[test]
    fn random_input_never_panics_and_lines_match_origins() {
        let pieces: &[&[u8]] = &[
            b"$A=",
            b"$B=${A}${A} ",
            b"${A}",
            b"$A ",
            b"~SEQ(i,1,3) ",
            b"~SEQx(i,9,0xb) ",
            b"~LST(v,a,b) ",
            b"~LST({a,b},{1,2}) ",
            b"@main ",
            b"@^x ",
            b"\\\n",
            b"\n",
            b"\n\n",
            b"#",
            b"!",
            b"\"",
            b"'",
            b"\\",
            b"${_RANDOM 1 2}",
            b"${_ENV SITE}",
            b"${_PWD}",
            b"include ",
            b"includea ",
            b"*",
            b"{a,b}",
            b"$i",
            b"${i}",
            b" ",
            b"\t",
            b"x",
            b"{",
            b"}",
            b"(",
            b")",
            b",",
            b"\xff",
            b"\0",
            b"\r",
            b"\xc3\xa9",
            b"global_defs {\n",
            b"include_check\n",
            b"random_seed 3\n",
            b"$M= \\\n",
            b"$M\n",
        ];
        let mut rng = Rng::new(42);
        let mut o = opts("main");
        o.max_lines = 2000;
        for round in 0..3000 {
            let mut bytes = Vec::new();
            let n = rng.below(40) as usize;
            for _ in 0..n {
                if round % 3 == 0 {
                    bytes.push(rng.next_u64() as u8);
                } else {
                    bytes.extend_from_slice(pieces[rng.below(pieces.len() as u64) as usize]);
                }
            }
            let (mut sm, mut d) = (SourceMap::new(), Diagnostics::default());
            let name = Path::new("/kprs-fuzz-nonexistent/k.conf");
            // KPRS_FUZZ_DEBUG=1 prints each input, to find the one that hangs or fails.
            if std::env::var("KPRS_FUZZ_DEBUG").is_ok() {
                eprintln!("{round}: {:?}", String::from_utf8_lossy(&bytes));
            }
            let p = preprocess_bytes(name, &bytes, &o, &mut sm, &mut d);
            let text_lines = if p.line_count() == 0 {
                0
            } else {
                p.text.split('\n').count()
            };
            assert_eq!(
                text_lines,
                p.line_count(),
                "{:?}",
                String::from_utf8_lossy(&bytes)
            );
            for o in p.origins() {
                assert!(o.segments.windows(2).all(|w| w[0].0 < w[1].0));
                assert!(o.line >= 1);
            }
            let mut cursor = p.cursor();
            for off in (0..=p.text.len()).filter(|&i| p.text.is_char_boundary(i)) {
                let loc = cursor.loc(off);
                assert!(p.line_count() == 0 || loc.is_some_and(|l| l.col >= 1));
            }
        }
    }
}
