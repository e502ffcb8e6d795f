//! A small regular-expression engine for HTTP_GET's `url { regex ... }` (a PCRE2 subset), so the
//! binary needs no regex crate. Patterns are compiled to a Thompson NFA and run by a Pike VM: time
//! is O(body length x program size x loop nesting) whatever the pattern or the page, with no
//! backtracking and no recursion at match time; memory is O(program size x loop nesting),
//! independent of the body. A program has at most [`MAX_INSTS`] instructions (counted repetitions
//! expand; more is a configuration error), groups nest at most [`MAX_DEPTH`] deep and unbounded
//! repeats at most [`MAX_LOOPS`].
//!
//! Matching is on bytes. Without `utf` a pattern byte is a character (PCRE2's 8-bit library
//! without UTF: code points 0-255, ASCII case folding). With `utf` the pattern is read as UTF-8:
//! a multi-byte character is one atom, `.` and negated classes consume one UTF-8 sequence,
//! classes may hold code points up to U+00FF; a body that is not UTF-8, or a start offset inside
//! a character, does not match (PCRE2 returns an error there, which keepalived counts as no match).
//!
//! There are no captures, so a match is a span: the leftmost start, as PCRE2's, and at that start
//! the end that PCRE2's backtracking order picks (threads kept in priority order); greedy/lazy only
//! change the end. PCRE2 leaves a loop after an iteration that matched empty (`(?:a?|b)*` on `ab`
//! is 0..1); so does the VM: a thread is an instruction plus the outermost loop head it passed at
//! the current position, and a loop's `Back` reached after its own head at the same position
//! goes to the exit. Checked against libpcre2-8 10.42 (ctypes harness, not in the tree) on the
//! test table and on over 300,000 random patterns: equal spans and errors-or-not, except
//! `firstline` with a `^`-anchored pattern at an empty first line, where PCRE2's start
//! optimisation decides (approximated below).
//!
//! Syntax: literals; escapes `\t \n \r \f \e \a \0oo \xHH \x{HH} \cX`, escaped punctuation,
//! `\Q..\E`; `\d \D \w \W \s \S \h \H \v \V \N`; `\b \B \A \z \Z`; `\C` (one byte); `.`; classes
//! `[...]` with ranges, `^`, escapes, POSIX `[:name:]` and `[:^name:]`; `^ $`; groups `( )`,
//! `(?: )`, `(?| )`, named `(?<n> )` `(?'n' )` `(?P<n> )`, comments `(?# )`; alternation;
//! `* + ? {n} {n,} {n,m}` and lazy `?` forms; inline flags `(?imsxUnJ-imsxUnJ)` and `(?i: )`.
//! Errors name the problem and the byte offset ("unsupported: backreference at 7"):
//! backreferences, lookaround, atomic groups, possessive quantifiers, recursion, conditionals,
//! callouts, `(*VERB)`s, `\p{..}`, `\X`, `\R`, `\K`, `\G`, `\o{}`, `[[.x.]]`, `\Q` inside a class.
//! `{,n}` is literal text, as in PCRE2 before 10.43.
//!
//! `regex_options` (keepalived's list):
//!
//! | option | here |
//! |---|---|
//! | caseless, multiline, dotall, extended, ungreedy | as PCRE2 (also inline `i m s x U`) |
//! | dollar_endonly | `$` only at the very end (ignored with multiline, as PCRE2) |
//! | firstline | the match must start at or before the first `\n` at or after the start offset |
//! | allow_empty_class | `[]` never matches, `[^]` matches any character |
//! | alt_circumflex | multiline `^` also matches after a final `\n` |
//! | alt_bsux | `\U`, `\u` literal, `\uHHHH` a character, `\x` needs exactly two hex digits |
//! | utf | UTF-8 mode as above; caseless folds ASCII and Latin-1 only (PCRE2 also folds K/k/U+212A, s/U+017F, µ, ÿ) |
//! | ucp | accepted, but `\d \w \s \b` (and negations), POSIX classes and caseless, whose meaning ucp changes, are errors |
//! | never_backslash_c | `\C` is an error |
//! | dupnames | repeated group names allowed (also `(?J)`); without it they are an error, as PCRE2 |
//! | no_auto_capture | no captures here: no effect |
//! | match_unset_backref | backreferences are errors anyway: no effect |
//! | never_ucp, never_utf, alt_verbnames | only restrict `(*UCP)`/`(*UTF)`/verbs, which are errors: no effect |
//! | no_auto_possess, no_start_optimize, no_dotstar_anchor | optimisations only: no effect |
//! | auto_callout, use_offset_limit | keepalived sets no callout function nor offset limit: no effect |
//!
//! Offsets (keepalived's check_http.c): `regex_min_offset N` is PCRE2's start offset, the match
//! must start at or after byte N of the body (assertions such as `\b` still see the byte before;
//! `^` does not match there); `regex_max_offset M` accepts a match only if it starts at or before
//! byte M (keepalived stores M + 1 and tests `start < M + 1`). [`Regex::find_in`] takes both.
//! keepalived feeds the body in 4 KB pieces with partial matching; here the caller passes the
//! whole body it kept.

/// The most instructions a compiled pattern may have.
pub const MAX_INSTS: usize = 10_000;
/// The deepest group nesting accepted.
pub const MAX_DEPTH: usize = 100;
/// The deepest nesting of unbounded loops (`*`, `+`, `{n,}`): it multiplies the matcher's work.
pub const MAX_LOOPS: usize = 16;

type Set = [u64; 4];

fn has(s: &Set, b: u8) -> bool {
    s[usize::from(b >> 6)] >> (b & 63) & 1 == 1
}

fn add(s: &mut Set, b: u8) {
    s[usize::from(b >> 6)] |= 1 << (b & 63);
}

fn set_of(f: impl Fn(u8) -> bool) -> Set {
    let mut s = [0; 4];
    (0..=255u8).filter(|&b| f(b)).for_each(|b| add(&mut s, b));
    s
}

fn not(s: Set) -> Set {
    s.map(|w| !w)
}

/// Adds the other case of ASCII letters (and of Latin-1 letters when `latin1`).
fn fold(s: Set, latin1: bool) -> Set {
    let mut out = s;
    for b in (0..=255u8).filter(|&b| has(&s, b)) {
        if b.is_ascii_alphabetic()
            || (latin1 && b >= 0xC0 && b != 0xD7 && b != 0xF7 && b != 0xDF && b != 0xFF)
        {
            add(&mut out, b ^ 0x20);
        }
    }
    out
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn posix(name: &[u8]) -> Option<Set> {
    let f: fn(u8) -> bool = match name {
        b"alpha" => |b| b.is_ascii_alphabetic(),
        b"digit" => |b| b.is_ascii_digit(),
        b"alnum" => |b| b.is_ascii_alphanumeric(),
        b"upper" => |b| b.is_ascii_uppercase(),
        b"lower" => |b| b.is_ascii_lowercase(),
        b"punct" => |b| b.is_ascii_punctuation(),
        b"xdigit" => |b| b.is_ascii_hexdigit(),
        b"space" => |b| matches!(b, b' ' | 9..=13),
        b"blank" => |b| b == b' ' || b == b'\t',
        b"cntrl" => |b| b.is_ascii_control(),
        b"graph" => |b| b.is_ascii_graphic(),
        b"print" => |b| (0x20..0x7F).contains(&b),
        b"word" => is_word,
        b"ascii" => |b| b < 0x80,
        _ => return None,
    };
    Some(set_of(f))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    TextStart,
    TextEnd,
    TextEndNl,
    LineStart,
    LineStartAlt,
    LineEnd,
    Word,
    NotWord,
}

impl Look {
    fn holds(self, hay: &[u8], pos: usize) -> bool {
        let before = pos.checked_sub(1).and_then(|p| hay.get(p)).copied();
        let at = hay.get(pos).copied();
        let end = pos >= hay.len();
        match self {
            Look::TextStart => pos == 0,
            Look::TextEnd => end,
            Look::TextEndNl => end || (at == Some(b'\n') && pos + 1 == hay.len()),
            Look::LineStart => pos == 0 || (before == Some(b'\n') && !end),
            Look::LineStartAlt => pos == 0 || before == Some(b'\n'),
            Look::LineEnd => end || at == Some(b'\n'),
            Look::Word | Look::NotWord => {
                let w = before.is_some_and(is_word) != at.is_some_and(is_word);
                w == (self == Look::Word)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Set(Set),
    Look(Look),
    Cat(Vec<Node>),
    Alt(Vec<Node>),
    Rep(Box<Node>, u32, Option<u32>, bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Inst {
    Set(Set),
    Look(Look),
    /// Try the first, then the second.
    Split(usize, usize),
    Jmp(usize),
    /// The head of a `*` loop at this nesting level (0 outermost); a split follows.
    Head(usize),
    /// The end of a `*` loop's body: back to its head (pc, level); but if this path passed that
    /// head at this position (the iteration matched empty), on to the loop's exit, the next
    /// instruction, as PCRE2 leaves a loop after an empty iteration.
    Back(usize, usize),
    Match,
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Regex {
    prog: Vec<Inst>,
    firstline: bool,
    /// PCRE2 10.42's start optimisation with firstline: a pattern whose every alternative starts
    /// with `\A` or `^` (not multiline), that cannot match empty and whose first byte is one of
    /// few (`\n`, `[\nx]`; not `.` with dotall, `\C`, `\W`), does not match when the subject's
    /// first line is empty. Measured, and approximated here by "at most 128 first bytes".
    empty_line_fails: bool,
    utf: bool,
    /// Loop nesting levels plus one: a thread is (instruction, outermost loop head passed at
    /// this position, or none).
    levels: usize,
}

#[derive(Clone, Copy, Default)]
struct Flags {
    i: bool,
    m: bool,
    s: bool,
    x: bool,
    u: bool,
}

#[derive(Default)]
struct Opts {
    dollar_endonly: bool,
    firstline: bool,
    empty_class: bool,
    alt_circ: bool,
    bsux: bool,
    utf: bool,
    ucp: bool,
    no_bsc: bool,
    dupnames: bool,
}

enum Esc {
    Char(u32),
    Class(Set, bool),
    Look(Look),
    AnyByte,
    Quote,
    Skip,
}

fn err<T>(what: &str, at: usize) -> Result<T, String> {
    Err(format!("{what} at {at}"))
}

struct Parser<'a> {
    p: &'a [u8],
    i: usize,
    f: Flags,
    o: Opts,
    quoting: bool,
    /// Group names so far, and how deep in `(?|` (where names may repeat).
    names: Vec<Vec<u8>>,
    reset: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.p.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<u8> {
        self.p.get(self.i + k).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.i += usize::from(hit);
        hit
    }

    /// Skips `(?#...)` comments, and whitespace and `#` comments in extended mode.
    fn skip_x(&mut self) {
        while !self.quoting {
            let rest = self.p.get(self.i..).unwrap_or_default();
            match self.peek() {
                Some(b'(') if rest.starts_with(b"(?#") => {
                    match rest.iter().position(|&c| c == b')') {
                        Some(end) => self.i += end + 1,
                        None => break,
                    }
                }
                _ if !self.f.x => break,
                Some(b' ' | 9..=13) => self.i += 1,
                Some(b'#') => {
                    while let Some(c) = self.peek() {
                        self.i += 1;
                        if c == b'\n' {
                            break;
                        }
                    }
                }
                _ => break,
            }
        }
    }

    fn alt(&mut self, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return err("groups nested too deeply", self.i);
        }
        let saved = self.f;
        let mut alts = vec![self.cat(depth)?];
        while self.eat(b'|') {
            alts.push(self.cat(depth)?);
        }
        self.f = saved;
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Cat(Vec::new()))
        } else {
            Node::Alt(alts)
        })
    }

    fn cat(&mut self, depth: usize) -> Result<Node, String> {
        let mut items = Vec::new();
        loop {
            self.skip_x();
            match self.peek() {
                None => break,
                Some(b'|' | b')') if !self.quoting => break,
                _ => {}
            }
            let atom = self.atom(depth)?;
            self.skip_x();
            let at = self.i;
            match (atom, self.quant()?) {
                // PCRE2 compiles `[]` to a failure and drops its quantifier.
                (Some(Node::Alt(v)), Some(_)) if v.is_empty() => items.push(Node::Alt(v)),
                (Some(n), Some((lo, hi, greedy))) if !matches!(n, Node::Look(_)) => {
                    items.push(Node::Rep(Box::new(n), lo, hi, greedy))
                }
                (_, Some(_)) => return err("quantifier does not follow a repeatable item", at),
                (Some(n), None) => items.push(n),
                (None, None) => {}
            }
        }
        Ok(Node::Cat(items))
    }

    /// `{n}`, `{n,}`, `{n,m}` at `self.i`: consumed if it is one, else `None` and nothing consumed.
    fn braces(&mut self) -> Result<Option<(u32, Option<u32>)>, String> {
        let at = self.i;
        let mut k = 1;
        let num = |k: &mut usize| -> Result<Option<u32>, String> {
            let start = *k;
            let mut v: u32 = 0;
            while let Some(d) = self.p.get(at + *k).filter(|d| d.is_ascii_digit()) {
                v = v.saturating_mul(10).saturating_add(u32::from(d - b'0'));
                *k += 1;
            }
            if v > 65_535 {
                return err("number too big in {} quantifier", at);
            }
            Ok((*k > start).then_some(v))
        };
        let Some(lo) = num(&mut k)? else {
            return Ok(None);
        };
        let hi = if self.p.get(at + k) == Some(&b',') {
            k += 1;
            num(&mut k)?
        } else {
            Some(lo)
        };
        if self.p.get(at + k) != Some(&b'}') {
            return Ok(None);
        }
        if hi.is_some_and(|h| h < lo) {
            return err("numbers out of order in {} quantifier", at);
        }
        self.i = at + k + 1;
        Ok(Some((lo, hi)))
    }

    fn quant(&mut self) -> Result<Option<(u32, Option<u32>, bool)>, String> {
        if self.quoting {
            return Ok(None);
        }
        let (lo, hi) = match self.peek() {
            Some(b'*') => (0, None),
            Some(b'+') => (1, None),
            Some(b'?') => (0, Some(1)),
            Some(b'{') => match self.braces()? {
                Some(q) => {
                    self.i -= 1;
                    q
                }
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        self.i += 1;
        let mut greedy = !self.f.u;
        self.skip_x();
        if self.eat(b'?') {
            greedy = !greedy;
        } else if self.peek() == Some(b'+') {
            return err("unsupported: possessive quantifier", self.i);
        }
        Ok(Some((lo, hi, greedy)))
    }

    fn atom(&mut self, depth: usize) -> Result<Option<Node>, String> {
        let at = self.i;
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        if self.quoting {
            if c == b'\\' && self.peek_at(1) == Some(b'E') {
                self.i += 2;
                self.quoting = false;
                return Ok(None);
            }
            let lit = self.raw_literal()?;
            if self.peek() == Some(b'\\') && self.peek_at(1) == Some(b'E') {
                self.i += 2;
                self.quoting = false;
            }
            return Ok(Some(lit));
        }
        let look = |l| Ok(Some(Node::Look(l)));
        match c {
            b'(' => self.group(depth),
            b'[' if self.posix_outside() => {
                err("POSIX named classes are supported only within a class", at)
            }
            b'[' => self.class().map(Some),
            b'.' => {
                self.i += 1;
                let s = set_of(|b| self.f.s || b != b'\n');
                Ok(Some(self.class_node(s, true)))
            }
            b'^' => {
                self.i += 1;
                match (self.f.m, self.o.alt_circ) {
                    (false, _) => look(Look::TextStart),
                    (true, false) => look(Look::LineStart),
                    (true, true) => look(Look::LineStartAlt),
                }
            }
            b'$' => {
                self.i += 1;
                match (self.f.m, self.o.dollar_endonly) {
                    (true, _) => look(Look::LineEnd),
                    (false, true) => look(Look::TextEnd),
                    (false, false) => look(Look::TextEndNl),
                }
            }
            b'*' | b'+' | b'?' => err("quantifier does not follow a repeatable item", at),
            b'{' if self.braces()?.is_some() => {
                err("quantifier does not follow a repeatable item", at)
            }
            b'\\' => match self.escape(false)? {
                Esc::Char(cp) => self.lit(cp, at).map(Some),
                Esc::Class(s, above) => Ok(Some(self.class_node(s, above))),
                Esc::Look(l) => look(l),
                Esc::AnyByte => Ok(Some(Node::Set([u64::MAX; 4]))),
                Esc::Quote => {
                    self.quoting = true;
                    Ok(None)
                }
                Esc::Skip => Ok(None),
            },
            _ => self.raw_literal().map(Some),
        }
    }

    /// One pattern character (a UTF-8 sequence with `utf`) as a literal.
    fn raw_literal(&mut self) -> Result<Node, String> {
        let at = self.i;
        let cp = self.raw_char()?;
        self.lit(cp, at)
    }

    fn raw_char(&mut self) -> Result<u32, String> {
        let at = self.i;
        let Some(c) = self.peek() else {
            return err("unexpected end of pattern", at);
        };
        if !self.o.utf || c < 0x80 {
            self.i += 1;
            return Ok(u32::from(c));
        }
        let len = match c {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 0,
        };
        let s = self
            .p
            .get(at..at + len)
            .and_then(|b| std::str::from_utf8(b).ok());
        match s.and_then(|s| s.chars().next()) {
            Some(ch) if len > 0 => {
                self.i += len;
                Ok(u32::from(ch))
            }
            _ => err("invalid UTF-8 string in pattern", at),
        }
    }

    fn lit(&self, cp: u32, at: usize) -> Result<Node, String> {
        if cp < 0x80 || (!self.o.utf && cp <= 0xFF) {
            let b = cp as u8;
            let s = set_of(|x| x == b);
            return Ok(Node::Set(if self.f.i { fold(s, false) } else { s }));
        }
        if !self.o.utf {
            return err("character code point value in \\x{} is too large", at);
        }
        if self.f.i {
            if cp > 0xFF {
                return err(
                    "unsupported: caseless match of a character above U+00FF",
                    at,
                );
            }
            return Ok(self.class_node(fold(set_of(|x| u32::from(x) == cp), true), false));
        }
        let ch = char::from_u32(cp).ok_or(format!("invalid code point at {at}"))?;
        let mut buf = [0; 4];
        let bytes = ch.encode_utf8(&mut buf).as_bytes();
        Ok(Node::Cat(
            bytes
                .iter()
                .map(|&b| Node::Set(set_of(|x| x == b)))
                .collect(),
        ))
    }

    /// A class of characters 0-255 (Latin-1 code points with `utf`) plus, with `utf` and
    /// `above`, every character above U+00FF.
    fn class_node(&self, s: Set, above: bool) -> Node {
        if !self.o.utf {
            return Node::Set(s);
        }
        let one = |lo: u8, hi: u8| Node::Set(set_of(|b| (lo..=hi).contains(&b)));
        let mut alts = Vec::new();
        let ascii = set_of(|b| b < 0x80 && has(&s, b));
        if ascii != [0; 4] {
            alts.push(Node::Set(ascii));
        }
        for lead in [0xC2u8, 0xC3] {
            let cont = set_of(|b| (0x80..0xC0).contains(&b) && has(&s, b + (lead - 0xC2) * 0x40));
            if cont != [0; 4] {
                alts.push(Node::Cat(vec![one(lead, lead), Node::Set(cont)]));
            }
        }
        if above {
            alts.push(Node::Cat(vec![one(0xC4, 0xDF), one(0x80, 0xBF)]));
            alts.push(Node::Cat(vec![
                one(0xE0, 0xEF),
                one(0x80, 0xBF),
                one(0x80, 0xBF),
            ]));
            let four = vec![
                one(0xF0, 0xF4),
                one(0x80, 0xBF),
                one(0x80, 0xBF),
                one(0x80, 0xBF),
            ];
            alts.push(Node::Cat(four));
        }
        Node::Alt(alts)
    }

    fn escape(&mut self, in_class: bool) -> Result<Esc, String> {
        let at = self.i;
        let Some(c) = self.peek_at(1) else {
            return err("\\ at end of pattern", at);
        };
        self.i += 2;
        let uns = |what: &str| err(&format!("unsupported: {what}"), at);
        if self.o.ucp && matches!(c, b'd' | b'D' | b'w' | b'W' | b's' | b'S' | b'b' | b'B') {
            return uns("ucp with \\d \\w \\s \\b");
        }
        let utf_h = self.o.utf && matches!(c, b'h' | b'H' | b'v' | b'V');
        let digit = set_of(|b| b.is_ascii_digit());
        let word = set_of(is_word);
        let space = set_of(|b| matches!(b, b' ' | 9..=13));
        let hspace = set_of(|b| matches!(b, b' ' | b'\t' | 0xA0));
        let vspace = set_of(|b| matches!(b, 10..=13 | 0x85));
        Ok(match c {
            _ if utf_h => return uns("\\h \\v with utf"),
            b't' => Esc::Char(9),
            b'n' => Esc::Char(10),
            b'r' => Esc::Char(13),
            b'f' => Esc::Char(12),
            b'e' => Esc::Char(27),
            b'a' => Esc::Char(7),
            b'0' => Esc::Char(self.digits(8, 2)),
            b'1'..=b'7' if in_class => {
                self.i -= 1;
                Esc::Char(self.digits(8, 3))
            }
            b'8' | b'9' if in_class => Esc::Char(u32::from(c)),
            b'1'..=b'9' | b'g' | b'k' => return uns("backreference"),
            b'x' if self.o.bsux => match self.exact_hex(2) {
                Some(v) => Esc::Char(v),
                None => Esc::Char(u32::from(b'x')),
            },
            b'u' if self.o.bsux => match self.exact_hex(4) {
                Some(v) => Esc::Char(v),
                None => Esc::Char(u32::from(b'u')),
            },
            b'U' if self.o.bsux => Esc::Char(u32::from(b'U')),
            b'x' if self.eat(b'{') => {
                let start = self.i;
                let v = self.digits(16, 8);
                if self.i == start || !self.eat(b'}') {
                    return err("malformed \\x{}", at);
                }
                Esc::Char(v)
            }
            b'x' => Esc::Char(self.digits(16, 2)),
            b'c' => match self.peek() {
                Some(x @ 0x20..=0x7E) => {
                    self.i += 1;
                    Esc::Char(u32::from(x.to_ascii_uppercase() ^ 0x40))
                }
                _ => return err("\\c must be followed by a printable ASCII character", at),
            },
            b'd' => Esc::Class(digit, false),
            b'D' => Esc::Class(not(digit), true),
            b'w' => Esc::Class(word, false),
            b'W' => Esc::Class(not(word), true),
            b's' => Esc::Class(space, false),
            b'S' => Esc::Class(not(space), true),
            b'h' => Esc::Class(hspace, false),
            b'H' => Esc::Class(not(hspace), true),
            b'v' => Esc::Class(vspace, false),
            b'V' => Esc::Class(not(vspace), true),
            b'b' if in_class => Esc::Char(8),
            b'N' if !in_class && (self.peek() != Some(b'{') || self.quant_follows()) => {
                Esc::Class(set_of(|b| b != b'\n'), true)
            }
            b'E' => Esc::Skip,
            _ if in_class && matches!(c, b'b' | b'B' | b'A' | b'z' | b'Z' | b'N' | b'C' | b'Q') => {
                return err("escape sequence is invalid in character class", at);
            }
            b'b' => Esc::Look(Look::Word),
            b'B' => Esc::Look(Look::NotWord),
            b'A' => Esc::Look(Look::TextStart),
            b'z' => Esc::Look(Look::TextEnd),
            b'Z' => Esc::Look(Look::TextEndNl),
            b'Q' => Esc::Quote,
            b'C' if self.o.no_bsc => return err("using \\C is disabled (never_backslash_c)", at),
            b'C' if self.o.utf => return uns("\\C with utf"),
            b'C' => Esc::AnyByte,
            b'G' | b'K' | b'R' | b'X' | b'o' => return uns(&format!("\\{}", char::from(c))),
            b'p' | b'P' => return uns("\\p{..} Unicode property"),
            b'l' | b'L' | b'u' | b'U' | b'N' => {
                return err(
                    "PCRE2 does not support \\L, \\l, \\N{name}, \\U, or \\u",
                    at,
                );
            }
            _ if c.is_ascii_alphanumeric() => return err("unrecognized character follows \\", at),
            _ if c >= 0x80 => {
                self.i -= 1;
                Esc::Char(self.raw_char()?)
            }
            _ => Esc::Char(u32::from(c)),
        })
    }

    fn quant_follows(&mut self) -> bool {
        let at = self.i;
        let q = matches!(self.braces(), Ok(Some(_)));
        self.i = at;
        q
    }

    /// Up to `max` digits in `radix` (none is 0).
    fn digits(&mut self, radix: u32, max: usize) -> u32 {
        let mut v = 0u32;
        for _ in 0..max {
            let Some(d) = self.peek().and_then(|c| char::from(c).to_digit(radix)) else {
                break;
            };
            v = v.saturating_mul(radix).saturating_add(d);
            self.i += 1;
        }
        v
    }

    fn exact_hex(&mut self, n: usize) -> Option<u32> {
        let digits = self.p.get(self.i..self.i + n)?;
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        Some(self.digits(16, n))
    }

    fn group(&mut self, depth: usize) -> Result<Option<Node>, String> {
        let at = self.i;
        self.i += 1;
        let uns = |what: &str| err(&format!("unsupported: {what}"), at);
        if self.peek() == Some(b'*') {
            return uns("(*VERB)");
        }
        if self.eat(b'?') {
            let next = self.peek_at(1);
            match self.peek() {
                Some(b':') => self.i += 1,
                Some(b'|') => {
                    self.i += 1;
                    self.reset += 1;
                    let inner = self.alt(depth + 1);
                    self.reset -= 1;
                    return self.close(inner?, at);
                }
                Some(b'=' | b'!') => return uns("lookahead"),
                Some(b'<') if matches!(next, Some(b'=' | b'!')) => return uns("lookbehind"),
                Some(b'>') => return uns("atomic group"),
                Some(b'(') => return uns("conditional group"),
                Some(b'C') => return uns("callout"),
                Some(b'P') if next == Some(b'=') => return uns("backreference"),
                Some(b'P') if next == Some(b'>') => return uns("recursion"),
                Some(b'R' | b'&' | b'0'..=b'9' | b'+') => return uns("recursion"),
                Some(b'-') if next.is_some_and(|d| d.is_ascii_digit()) => return uns("recursion"),
                Some(b'P') if next != Some(b'<') => {
                    return err("unrecognized character after (?P", at);
                }
                Some(b'<' | b'\'' | b'P') => {
                    self.i += usize::from(self.peek() == Some(b'P'));
                    let close = if self.peek() == Some(b'<') {
                        b'>'
                    } else {
                        b'\''
                    };
                    self.i += 1;
                    let start = self.i;
                    if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        return err("subpattern name must start with a non-digit", at);
                    }
                    while self.peek().is_some_and(is_word) {
                        self.i += 1;
                    }
                    let name = self.p.get(start..self.i).unwrap_or_default().to_vec();
                    if self.i == start || !self.eat(close) {
                        return err("syntax error in subpattern name", at);
                    }
                    if self.names.contains(&name) && !self.o.dupnames && self.reset == 0 {
                        return err(
                            "two named subpatterns have the same name (PCRE2_DUPNAMES not set)",
                            at,
                        );
                    }
                    self.names.push(name);
                }
                Some(b'#') => {
                    while let Some(c) = self.peek() {
                        self.i += 1;
                        if c == b')' {
                            return Ok(None);
                        }
                    }
                    return err("missing ) at end of comment", at);
                }
                _ => return self.flag_group(depth, at),
            }
        }
        let inner = self.alt(depth + 1)?;
        self.close(inner, at)
    }

    fn close(&mut self, inner: Node, at: usize) -> Result<Option<Node>, String> {
        if !self.eat(b')') {
            return err("missing closing parenthesis", at);
        }
        Ok(Some(inner))
    }

    fn flag_group(&mut self, depth: usize, at: usize) -> Result<Option<Node>, String> {
        let mut f = self.f;
        let mut on = true;
        let mut xs = 0;
        loop {
            let Some(c) = self.peek() else {
                return err("missing closing parenthesis", at);
            };
            self.i += 1;
            match c {
                b'-' if on => on = false,
                b'i' if on && self.o.ucp => return err("unsupported: ucp with caseless", at),
                b'i' => f.i = on,
                b'm' => f.m = on,
                b's' => f.s = on,
                b'x' if xs > 0 => return err("unsupported: (?xx)", at),
                b'x' => {
                    f.x = on;
                    xs += 1;
                }
                b'U' => f.u = on,
                b'J' => self.o.dupnames |= on,
                b'n' => {}
                b')' => {
                    self.f = f;
                    return Ok(None);
                }
                b':' => {
                    let saved = std::mem::replace(&mut self.f, f);
                    let inner = self.alt(depth + 1)?;
                    self.f = saved;
                    return self.close(inner, at);
                }
                _ => return err("unrecognized character after (? or (?-", self.i - 1),
            }
        }
    }

    /// `[:name:]` (or `[.x.]`, `[=x=]`) outside a class, which PCRE2 refuses.
    fn posix_outside(&self) -> bool {
        self.posix_end().is_some()
    }

    /// At `[`: the length of the name in `[:name:]` (`[.x.]`, `[=x=]`), scanned as PCRE2 does.
    fn posix_end(&self) -> Option<usize> {
        let rest = self.p.get(self.i + 1..)?;
        let term = *rest.first().filter(|c| matches!(c, b':' | b'.' | b'='))?;
        let mut k = 1;
        while let Some(&c) = rest.get(k) {
            let next = rest.get(k + 1).copied();
            if c == b'\\' && matches!(next, Some(b']' | b'\\')) {
                k += 1;
            } else if (c == b'[' && next == Some(term)) || c == b']' {
                return None;
            } else if c == term && next == Some(b']') {
                return Some(k - 1);
            }
            k += 1;
        }
        None
    }

    fn class(&mut self) -> Result<Node, String> {
        let at = self.i;
        self.i += 1;
        let neg = self.eat(b'^');
        let mut s: Set = [0; 4];
        let mut first = true;
        loop {
            let item_at = self.i;
            match self.peek() {
                None => return err("missing terminating ] for character class", at),
                Some(b']') if !first => {
                    self.i += 1;
                    break;
                }
                Some(b']') if self.o.empty_class => {
                    self.i += 1;
                    return Ok(if neg {
                        self.class_node(not([0; 4]), true)
                    } else {
                        Node::Alt(Vec::new())
                    });
                }
                Some(b'[') if self.peek_at(1) != Some(b':') && self.posix_outside() => {
                    return err("unsupported: POSIX collating element", item_at);
                }
                Some(b'[') if self.posix_outside() => {
                    let end = self.posix_end().unwrap_or_default();
                    let name = self.p.get(self.i + 2..self.i + 2 + end).unwrap_or_default();
                    let (pneg, name) = match name.strip_prefix(b"^") {
                        Some(n) => (true, n),
                        None => (false, name),
                    };
                    let Some(p) = posix(name) else {
                        return err("unknown POSIX class name", item_at);
                    };
                    if self.o.ucp {
                        return err("unsupported: ucp with a POSIX class", item_at);
                    }
                    let p = if pneg { not(p) } else { p };
                    (0..4).for_each(|k| s[k] |= p[k]);
                    self.i += end + 4;
                }
                _ => {
                    let lo = self.class_atom()?;
                    let range =
                        self.peek() == Some(b'-') && !matches!(self.peek_at(1), None | Some(b']'));
                    self.i += usize::from(range);
                    if range && self.peek() == Some(b'[') && self.posix_outside() {
                        return err("invalid range in character class", item_at);
                    }
                    self.i -= usize::from(range);
                    match lo {
                        Err(_) if range => return err("invalid range in character class", item_at),
                        Err(p) => (0..4).for_each(|k| s[k] |= p[k]),
                        Ok(lo) if range => {
                            self.i += 1;
                            match self.class_atom()? {
                                Ok(hi) if hi >= lo => (lo..=hi).for_each(|b| add(&mut s, b)),
                                Ok(_) => {
                                    return err("range out of order in character class", item_at);
                                }
                                Err(_) => return err("invalid range in character class", item_at),
                            }
                        }
                        Ok(b) => add(&mut s, b),
                    }
                }
            }
            first = false;
        }
        if self.f.i {
            s = fold(s, self.o.utf);
        }
        Ok(self.class_node(if neg { not(s) } else { s }, neg))
    }

    /// One class member: a character (`Ok`) or an escape's set (`Err`).
    fn class_atom(&mut self) -> Result<Result<u8, Set>, String> {
        let at = self.i;
        let cp = if self.peek() == Some(b'\\') {
            match self.escape(true)? {
                Esc::Char(cp) => cp,
                Esc::Class(s, _) => return Ok(Err(s)),
                _ => return err("escape sequence is invalid in character class", at),
            }
        } else {
            self.raw_char()?
        };
        match u8::try_from(cp) {
            Ok(b) => Ok(Ok(b)),
            Err(_) if self.o.utf => err("unsupported: character above U+00FF in a class", at),
            Err(_) => err("character code point value in \\x{} is too large", at),
        }
    }
}

fn too_large() -> String {
    format!("pattern too large: more than {MAX_INSTS} instructions")
}

fn emit(prog: &mut Vec<Inst>, inst: Inst) -> Result<usize, String> {
    if prog.len() >= MAX_INSTS {
        return Err(too_large());
    }
    prog.push(inst);
    Ok(prog.len() - 1)
}

fn patch(prog: &mut [Inst], at: usize, to: usize, second: bool) {
    if let Some(Inst::Split(a, b)) = prog.get_mut(at) {
        *if second { b } else { a } = to;
    }
}

/// Appends `n`'s code; `work` counts visits so that repeated empty groups (`(){65535}`) are
/// bounded too.
fn compile(n: &Node, prog: &mut Vec<Inst>, work: &mut usize, level: usize) -> Result<(), String> {
    *work += 1;
    if *work > 4 * MAX_INSTS {
        return Err(too_large());
    }
    match n {
        Node::Set(s) => emit(prog, Inst::Set(*s)).map(drop),
        Node::Look(l) => emit(prog, Inst::Look(*l)).map(drop),
        Node::Cat(v) => v.iter().try_for_each(|n| compile(n, prog, work, level)),
        Node::Alt(v) if v.is_empty() => emit(prog, Inst::Set([0; 4])).map(drop),
        Node::Alt(v) => {
            let mut jumps = Vec::new();
            for (k, alt) in v.iter().enumerate() {
                let split = if k + 1 < v.len() {
                    Some(emit(prog, Inst::Split(0, 0))?)
                } else {
                    None
                };
                let start = prog.len();
                compile(alt, prog, work, level)?;
                if let Some(split) = split {
                    jumps.push(emit(prog, Inst::Jmp(0))?);
                    patch(prog, split, start, false);
                    let next = prog.len();
                    patch(prog, split, next, true);
                }
            }
            let end = prog.len();
            for j in jumps {
                if let Some(Inst::Jmp(t)) = prog.get_mut(j) {
                    *t = end;
                }
            }
            Ok(())
        }
        Node::Rep(body, lo, hi, greedy) => {
            for _ in 0..*lo {
                compile(body, prog, work, level)?;
            }
            let (take, skip) = if *greedy {
                (false, true)
            } else {
                (true, false)
            };
            match hi {
                None if level >= MAX_LOOPS => {
                    return Err(format!(
                        "unbounded repeats nested more than {MAX_LOOPS} deep"
                    ));
                }
                None => {
                    let head = emit(prog, Inst::Head(level))?;
                    let split = emit(prog, Inst::Split(0, 0))?;
                    compile(body, prog, work, level + 1)?;
                    emit(prog, Inst::Back(head, level))?;
                    patch(prog, split, split + 1, take);
                    let end = prog.len();
                    patch(prog, split, end, skip);
                }
                Some(hi) => {
                    let mut splits = Vec::new();
                    for _ in *lo..*hi {
                        let split = emit(prog, Inst::Split(0, 0))?;
                        patch(prog, split, split + 1, take);
                        splits.push(split);
                        compile(body, prog, work, level)?;
                    }
                    let end = prog.len();
                    splits.into_iter().for_each(|s| patch(prog, s, end, skip));
                }
            }
            Ok(())
        }
    }
}

/// Whether the program can reach `Match` without a byte, and the bytes it can start with
/// (assertions taken as true).
fn first_bytes(prog: &[Inst]) -> (bool, Set) {
    let (mut seen, mut stack) = (vec![false; prog.len()], vec![0]);
    let (mut nullable, mut first) = (false, [0; 4]);
    while let Some(pc) = stack.pop() {
        match seen.get_mut(pc) {
            Some(s) if !*s => *s = true,
            _ => continue,
        }
        match prog.get(pc) {
            Some(Inst::Set(s)) => (0..4).for_each(|k| first[k] |= s[k]),
            Some(Inst::Match) => nullable = true,
            Some(Inst::Jmp(t)) => stack.push(*t),
            Some(Inst::Split(a, b)) => stack.extend([*a, *b]),
            Some(Inst::Back(..) | Inst::Head(_) | Inst::Look(_)) => stack.push(pc + 1),
            None => {}
        }
    }
    (nullable, first)
}

fn anchored(n: &Node) -> bool {
    match n {
        Node::Look(l) => *l == Look::TextStart,
        Node::Cat(v) => v.first().is_some_and(anchored),
        Node::Alt(v) => !v.is_empty() && v.iter().all(anchored),
        Node::Rep(body, lo, _, _) => *lo > 0 && anchored(body),
        Node::Set(_) => false,
    }
}

/// Threads at one position, in priority order, each with the start of its match.
struct Threads {
    /// (instruction, loop level state, match start)
    dense: Vec<(usize, usize, usize)>,
    seen: Vec<bool>,
    levels: usize,
}

impl Threads {
    fn new(n: usize, levels: usize) -> Threads {
        Threads {
            dense: Vec::with_capacity(n),
            seen: vec![false; n * levels],
            levels,
        }
    }

    /// Marks (pc, e) seen; false if it already was.
    fn insert(&mut self, pc: usize, e: usize) -> bool {
        match self.seen.get_mut(pc * self.levels + e) {
            Some(seen) if !*seen => {
                *seen = true;
                true
            }
            _ => false,
        }
    }

    fn clear(&mut self) {
        for &(pc, e, _) in &self.dense {
            if let Some(s) = self.seen.get_mut(pc * self.levels + e) {
                *s = false;
            }
        }
        self.dense.clear();
    }
}

impl Regex {
    /// Compiles `pattern` with keepalived's `regex_options` names.
    pub fn new(pattern: &str, options: &[String]) -> Result<Regex, String> {
        let mut f = Flags::default();
        let mut o = Opts::default();
        for opt in options {
            match opt.as_str() {
                "caseless" => f.i = true,
                "multiline" => f.m = true,
                "dotall" => f.s = true,
                "extended" => f.x = true,
                "ungreedy" => f.u = true,
                "dollar_endonly" => o.dollar_endonly = true,
                "firstline" => o.firstline = true,
                "allow_empty_class" => o.empty_class = true,
                "alt_circumflex" => o.alt_circ = true,
                "alt_bsux" => o.bsux = true,
                "utf" => o.utf = true,
                "ucp" => o.ucp = true,
                "never_backslash_c" => o.no_bsc = true,
                "dupnames" => o.dupnames = true,
                "no_auto_capture"
                | "match_unset_backref"
                | "never_ucp"
                | "never_utf"
                | "alt_verbnames"
                | "no_auto_possess"
                | "no_start_optimize"
                | "no_dotstar_anchor"
                | "auto_callout"
                | "use_offset_limit" => {}
                other => return Err(format!("unknown regex option `{other}`")),
            }
        }
        if o.ucp && f.i {
            return err("unsupported: ucp with caseless", 0);
        }
        let (firstline, utf) = (o.firstline, o.utf);
        let mut p = Parser {
            p: pattern.as_bytes(),
            i: 0,
            f,
            o,
            quoting: false,
            names: Vec::new(),
            reset: 0,
        };
        let node = p.alt(0)?;
        if p.i < p.p.len() {
            return err("unmatched closing parenthesis", p.i);
        }
        let mut prog = Vec::new();
        compile(&node, &mut prog, &mut 0, 0)?;
        emit(&mut prog, Inst::Match)?;
        let (nullable, first) = first_bytes(&prog);
        let empty_line_fails = anchored(&node)
            && !nullable
            && first.iter().map(|w| w.count_ones()).sum::<u32>() <= 128
            && !options.iter().any(|o| o == "no_start_optimize");
        let levels = 1 + prog
            .iter()
            .map(|i| if let Inst::Head(l) = i { l + 1 } else { 0 })
            .max()
            .unwrap_or(0);
        Ok(Regex {
            prog,
            firstline,
            empty_line_fails,
            utf,
            levels,
        })
    }

    /// Whether the pattern matches anywhere in `hay`.
    pub fn is_match(&self, hay: &[u8]) -> bool {
        self.find_in(hay, 0, None).is_some()
    }

    /// The leftmost match `(start, end)` starting in `min_offset..=max_offset` (the whole rest
    /// of `hay` without a maximum): keepalived's `regex_min_offset` / `regex_max_offset`.
    pub fn find_in(
        &self,
        hay: &[u8],
        min_offset: usize,
        max_offset: Option<usize>,
    ) -> Option<(usize, usize)> {
        self.search(hay, min_offset, max_offset, &mut 0)
    }

    /// The Pike VM; `steps` counts state visits, at most `(len + 1) * 2 * prog.len() * levels`.
    fn search(
        &self,
        hay: &[u8],
        min: usize,
        max: Option<usize>,
        steps: &mut u64,
    ) -> Option<(usize, usize)> {
        // PCRE2 fails (keepalived: no match) on invalid UTF-8 or a start inside a character.
        let bad_utf = || std::str::from_utf8(hay).map_or(true, |h| !h.is_char_boundary(min));
        if min > hay.len() || (self.utf && bad_utf()) {
            return None;
        }
        let mut last_start = max.unwrap_or(usize::MAX).min(hay.len());
        if self.firstline {
            let nl = hay
                .get(min..)
                .and_then(|h| h.iter().position(|&b| b == b'\n'));
            let nl = nl.map_or(hay.len(), |n| min + n);
            if self.empty_line_fails && nl == min && nl < hay.len() {
                return None;
            }
            last_start = last_start.min(nl);
        }
        let n = self.prog.len();
        let (mut cur, mut next) = (Threads::new(n, self.levels), Threads::new(n, self.levels));
        let mut stack = Vec::new();
        let mut found = None;
        for pos in min..=hay.len() {
            let boundary = !self.utf || !hay.get(pos).is_some_and(|&b| (0x80..0xC0).contains(&b));
            if found.is_none() && pos <= last_start && boundary {
                self.add(&mut cur, &mut stack, 0, pos, hay, pos, steps);
            }
            if cur.dense.is_empty() && (found.is_some() || pos >= last_start) {
                break;
            }
            let byte = hay.get(pos).copied();
            for k in 0..cur.dense.len() {
                let Some(&(pc, _, start)) = cur.dense.get(k) else {
                    break;
                };
                *steps += 1;
                match self.prog.get(pc) {
                    Some(Inst::Match) => {
                        found = Some((start, pos));
                        break;
                    }
                    Some(Inst::Set(s)) if byte.is_some_and(|b| has(s, b)) => {
                        self.add(&mut next, &mut stack, pc + 1, start, hay, pos + 1, steps);
                    }
                    _ => {}
                }
            }
            std::mem::swap(&mut cur, &mut next);
            next.clear();
        }
        found
    }

    /// Adds `pc`'s epsilon closure at `pos` to `list`, in priority order. The second half of a
    /// state is the outermost loop level whose head this path passed at `pos` (`levels - 1`:
    /// none): a `Back` at that level or deeper ends an empty iteration.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        list: &mut Threads,
        stack: &mut Vec<(usize, usize)>,
        pc: usize,
        start: usize,
        hay: &[u8],
        pos: usize,
        steps: &mut u64,
    ) {
        stack.push((pc, self.levels - 1));
        while let Some((pc, e)) = stack.pop() {
            if !list.insert(pc, e) {
                continue;
            }
            *steps += 1;
            list.dense.push((pc, e, start));
            match self.prog.get(pc) {
                Some(Inst::Jmp(t)) => stack.push((*t, e)),
                Some(Inst::Head(l)) => stack.push((pc + 1, e.min(*l))),
                Some(Inst::Back(_, l)) if e <= *l => stack.push((pc + 1, e)),
                Some(Inst::Back(head, _)) => stack.push((*head, e)),
                Some(Inst::Split(a, b)) => {
                    stack.push((*b, e));
                    stack.push((*a, e));
                }
                Some(Inst::Look(l)) if l.holds(hay, pos) => stack.push((pc + 1, e)),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (pattern, options, haystack, expected span)
    type Case<'a> = (&'a str, &'a str, &'a [u8], Option<(usize, usize)>);

    fn re(pattern: &str, opts: &str) -> Result<Regex, String> {
        let opts: Vec<String> = opts.split_whitespace().map(String::from).collect();
        Regex::new(pattern, &opts)
    }

    #[test]
    #[rustfmt::skip]
    fn table() {
        let cases: &[Case] = &[
            ("abc", "", b"xxabcxx", Some((2, 5))),
            ("", "", b"abc", Some((0, 0))),
            ("a.c", "", b"a\nc abc", Some((4, 7))),
            ("a.c", "dotall", b"a\nc", Some((0, 3))),
            ("(?s)a.c", "", b"a\nc", Some((0, 3))),
            ("a\\Nc", "dotall", b"a\nc", None),
            ("\\d+", "", b"ab123c", Some((2, 5))),
            ("\\D\\w\\W\\s\\S", "", b"1a_- x", Some((1, 6))),
            ("\\h\\v\\H\\V", "", b"\t\nab", Some((0, 4))),
            ("[a-c]+", "", b"xxbcay", Some((2, 5))),
            ("[^a-c]+", "", b"abxyzc", Some((2, 5))),
            ("[^a]", "", b"a\n", Some((1, 2))),
            ("[[:digit:][:upper:]]+", "", b"aB9Cd", Some((1, 4))),
            ("[[:^alpha:]]", "", b"ab1", Some((2, 3))),
            ("[[:space:][:punct:]]+", "", b"a \t!,b", Some((1, 5))),
            ("[[:alnum:]][[:lower:]][[:xdigit:]]", "", b"-Zaf", Some((1, 4))),
            ("[\\]\\-]+", "", b"a]-]b", Some((1, 4))),
            ("[]a]+", "", b"x]a]", Some((1, 4))),
            ("[:a]+", "", b"x:a", Some((1, 3))),
            ("[[:a]+", "", b"x:[a", Some((1, 4))),
            ("[\\d-]+", "", b"x1-", Some((1, 3))),
            ("[a-]+", "", b"x-a", Some((1, 3))),
            ("[\\d.]+", "", b"v1.2", Some((1, 4))),
            ("[\\x41-\\x43\\n]+", "", b"zAB\nC", Some((1, 5))),
            ("[\\b]", "", b"a\x08", Some((1, 2))),
            ("[]", "allow_empty_class", b"abc", None),
            ("[^]", "allow_empty_class", b"\n", Some((0, 1))),
            ("x[]?", "allow_empty_class", b"x", None),
            ("x(?:[])*", "allow_empty_class", b"x", Some((0, 1))),
            ("a(?#c)+", "", b"aa", Some((0, 2))),
            ("(?J)(?<n>a)(?<n>b)", "", b"ab", Some((0, 2))),
            ("(?<n>a)(?<n>b)", "dupnames", b"ab", Some((0, 2))),
            ("(?|(?<n>a)|(?<n>b))", "", b"b", Some((0, 1))),
            ("x*", "", b"aaa", Some((0, 0))),
            ("a+", "", b"baaa", Some((1, 4))),
            ("a+?", "", b"aaa", Some((0, 1))),
            ("a??b", "", b"ab", Some((0, 2))),
            ("a{2}", "", b"aaaa", Some((0, 2))),
            ("a{2,}", "", b"aaaaa", Some((0, 5))),
            ("a{2,3}", "", b"aaaaa", Some((0, 3))),
            ("a{2,3}?", "", b"aaaaa", Some((0, 2))),
            ("a{0}b", "", b"ab", Some((1, 2))),
            ("a{,3}", "", b"a{,3}", Some((0, 5))),
            ("x{a}", "", b"x{a}", Some((0, 4))),
            ("{", "", b"{", Some((0, 1))),
            ("a|ab", "", b"ab", Some((0, 1))),
            ("ab|a", "", b"ab", Some((0, 2))),
            ("(a|ab)(c|bcd)", "", b"abcd", Some((0, 4))),
            ("(a*)*b", "", b"aab", Some((0, 3))),
            ("(a|)+b", "", b"aab", Some((0, 3))),
            ("(?:a?|b)*", "", b"ab", Some((0, 1))),
            ("(?:a?a?|b)*", "", b"aaab", Some((0, 3))),
            ("(?:(?:a|)*b?)*", "", b"ab", Some((0, 2))),
            ("^b", "", b"a\nb", None),
            ("^b", "multiline", b"a\nb", Some((2, 3))),
            ("(?m)^b", "", b"a\nb", Some((2, 3))),
            ("a$", "", b"a\n", Some((0, 1))),
            ("a$", "dollar_endonly", b"a\n", None),
            ("a$", "", b"a\nb", None),
            ("a$", "multiline", b"a\nb", Some((0, 1))),
            ("a\\z", "", b"a\n", None),
            ("a\\Z", "", b"a\n", Some((0, 1))),
            ("\\Aa", "", b"ba", None),
            ("^$", "multiline", b"a\n", None),
            ("^$", "multiline alt_circumflex", b"a\n", Some((2, 2))),
            ("\\bfoo\\b", "", b"a foo b", Some((2, 5))),
            ("\\bfoo\\b", "", b"afoo", None),
            ("\\Boo", "", b"foo", Some((1, 3))),
            ("ABC", "caseless", b"xabc", Some((1, 4))),
            ("[a-c]+", "caseless", b"ABC", Some((0, 3))),
            ("[^a]", "caseless", b"Ab", Some((1, 2))),
            ("(?i)abc", "", b"aBc", Some((0, 3))),
            ("a(?i)b", "", b"aB", Some((0, 2))),
            ("a(?i)b", "", b"AB", None),
            ("(?i:a)b", "", b"AB", None),
            ("(?i:a)b", "", b"Ab", Some((0, 2))),
            ("(a(?i)b)c", "", b"aBC", None),
            ("(a(?i)b|c)", "", b"C", Some((0, 1))),
            ("(?i)a(?-i)b", "", b"AB", None),
            ("a b # comment\n c", "extended", b"abc", Some((0, 3))),
            ("a\\ b [ ]", "extended", b"a b ", Some((0, 4))),
            ("(?x) a +", "", b"aa", Some((0, 2))),
            ("a.*b", "ungreedy", b"aabab", Some((0, 3))),
            ("a.*?b", "ungreedy", b"aabab", Some((0, 5))),
            ("(?U)a+", "", b"aa", Some((0, 1))),
            ("b", "firstline", b"a\nb", None),
            ("\\nb", "firstline", b"a\nb", Some((1, 3))),
            ("a.b", "firstline dotall", b"a\nb", Some((0, 3))),
            ("^\n", "firstline", b"\n\n", None),
            ("^a\nb|\\Ab", "firstline", b"a\nb", Some((0, 3))),
            ("(?s).*\n", "firstline", b"\n", Some((0, 1))),
            ("(?:^a|(^))\n", "firstline", b"\n", None),
            ("^", "firstline", b"\nx", Some((0, 0))),
            ("^\n?", "firstline", b"\nx", Some((0, 1))),
            ("^\\C", "firstline", b"\nx", Some((0, 1))),
            ("^\n", "firstline no_start_optimize", b"\n", Some((0, 1))),
            ("\\A\\W", "firstline", b"\n", Some((0, 1))),
            ("(?:ab)+", "", b"ababx", Some((0, 4))),
            ("(?<n>a)(?'m'b)(?P<o>c)", "", b"abc", Some((0, 3))),
            ("a(?#comment)b", "", b"ab", Some((0, 2))),
            ("(?|a|b)", "", b"b", Some((0, 1))),
            ("\\x41\\x{42}\\0\\x", "", b"AB\0\0", Some((0, 4))),
            ("\\t\\n\\r\\f\\e\\a", "", b"\t\n\r\x0c\x1b\x07", Some((0, 6))),
            ("\\ca\\c[", "", b"\x01\x1b", Some((0, 2))),
            ("\\Qa.b\\E+", "", b"a.bb", Some((0, 4))),
            ("\\Q(a|", "", b"(a|", Some((0, 3))),
            ("\\.\\*\\\\\\E", "", b".*\\", Some((0, 3))),
            ("\\C\\C", "", "é".as_bytes(), Some((0, 2))),
            ("^.$", "", "é".as_bytes(), None),
            ("^.$", "utf", "é".as_bytes(), Some((0, 2))),
            ("^.$", "utf", "€".as_bytes(), Some((0, 3))),
            ("^.$", "utf", "😀".as_bytes(), Some((0, 4))),
            ("é+", "utf", "éé".as_bytes(), Some((0, 4))),
            ("[é]", "utf", "é".as_bytes(), Some((0, 2))),
            ("[à-é]+", "utf", "eàé".as_bytes(), Some((1, 5))),
            ("\\xe9", "utf", "é".as_bytes(), Some((0, 2))),
            ("\\xe9", "", b"\xe9", Some((0, 1))),
            ("É", "utf caseless", "é".as_bytes(), Some((0, 2))),
            ("[^a]", "utf", "a€".as_bytes(), Some((1, 4))),
            ("\\W", "utf", "é".as_bytes(), Some((0, 2))),
            ("a", "utf", b"a\xff", None),
            ("\\U\\u0041\\x4", "alt_bsux", b"UAx4", Some((0, 4))),
            ("a", "no_auto_capture dupnames match_unset_backref never_ucp never_utf", b"a", Some((0, 1))),
            ("a", "alt_verbnames no_auto_possess no_start_optimize no_dotstar_anchor", b"a", Some((0, 1))),
            ("a", "auto_callout use_offset_limit ucp never_backslash_c", b"a", Some((0, 1))),
        ];
        for (pattern, opts, hay, want) in cases {
            let r = re(pattern, opts).unwrap_or_else(|e| panic!("{pattern:?}: {e}"));
            assert_eq!(
                r.find_in(hay, 0, None),
                *want,
                "{pattern:?} {opts:?} on {:?}",
                hay.escape_ascii().to_string()
            );
            assert_eq!(r.is_match(hay), want.is_some());
        }
    }

    #[test]
    fn offsets() {
        let r = re("abc", "").unwrap();
        assert_eq!(r.find_in(b"abcabc", 1, None), Some((3, 6)));
        assert_eq!(r.find_in(b"abcabc", 0, Some(0)), Some((0, 3)));
        assert_eq!(r.find_in(b"abcabc", 1, Some(2)), None);
        assert_eq!(r.find_in(b"abcabc", 1, Some(3)), Some((3, 6)));
        assert_eq!(r.find_in(b"abc", 7, None), None);
        let r = re("\\bb", "").unwrap();
        assert_eq!(
            r.find_in(b"ab", 1, None),
            None,
            "\\b sees the byte before the start offset"
        );
        assert_eq!(re("^b", "").unwrap().find_in(b"ab", 1, None), None);
        assert_eq!(
            re("b", "firstline").unwrap().find_in(b"a\nb", 2, None),
            Some((2, 3))
        );
        assert_eq!(re("x*", "").unwrap().find_in(b"ab", 2, None), Some((2, 2)));
        assert_eq!(
            re("", "utf").unwrap().find_in("é".as_bytes(), 1, None),
            None
        );
    }

    #[test]
    #[rustfmt::skip]
    fn errors() {
        let deep = format!("{}a{}", "(".repeat(200), ")".repeat(200));
        let cases: &[(&str, &str, &str)] = &[
            ("ab(c)\\1", "", "unsupported: backreference at 5"),
            ("\\k<n>", "", "unsupported: backreference at 0"),
            ("(?P=n)", "", "unsupported: backreference at 0"),
            ("a(?=b)", "", "unsupported: lookahead at 1"),
            ("a(?!b)", "", "unsupported: lookahead at 1"),
            ("(?<=a)b", "", "unsupported: lookbehind at 0"),
            ("(?<!a)b", "", "unsupported: lookbehind at 0"),
            ("(?>a)", "", "unsupported: atomic group at 0"),
            ("a++", "", "unsupported: possessive quantifier at 2"),
            ("a{2}+", "", "unsupported: possessive quantifier at 4"),
            ("(?R)", "", "unsupported: recursion at 0"),
            ("(a)(?1)", "", "unsupported: recursion at 3"),
            ("(?(1)a)", "", "unsupported: conditional group at 0"),
            ("(?C1)", "", "unsupported: callout at 0"),
            ("\\p{L}", "", "unsupported: \\p{..} Unicode property at 0"),
            ("a\\K", "", "unsupported: \\K at 1"),
            ("\\R", "", "unsupported: \\R at 0"),
            ("(*UTF)a", "", "unsupported: (*VERB) at 0"),
            ("[[.a.]]", "", "unsupported: POSIX collating element at 1"),
            ("(a", "", "missing closing parenthesis at 0"),
            ("a)", "", "unmatched closing parenthesis at 1"),
            ("[a", "", "missing terminating ] for character class at 0"),
            ("[]", "", "missing terminating ] for character class at 0"),
            ("*a", "", "quantifier does not follow a repeatable item at 0"),
            ("a**", "", "quantifier does not follow a repeatable item at 2"),
            ("^*", "", "quantifier does not follow a repeatable item at 1"),
            ("a|?", "", "quantifier does not follow a repeatable item at 2"),
            ("{2}", "", "quantifier does not follow a repeatable item at 0"),
            ("[z-a]", "", "range out of order in character class at 1"),
            ("[a-\\d]", "", "invalid range in character class at 1"),
            ("[\\d-z]", "", "invalid range in character class at 1"),
            ("[a-[:digit:]]", "", "invalid range in character class at 1"),
            ("[:alpha:]", "", "POSIX named classes are supported only within a class at 0"),
            ("[.\\.]", "", "POSIX named classes are supported only within a class at 0"),
            ("(?Pa')", "", "unrecognized character after (?P at 0"),
            ("[[:foo:]]", "", "unknown POSIX class name at 1"),
            ("a{3,2}", "", "numbers out of order in {} quantifier at 1"),
            ("a{65536}", "", "number too big in {} quantifier at 1"),
            ("\\y", "", "unrecognized character follows \\ at 0"),
            ("\\u", "", "PCRE2 does not support \\L, \\l, \\N{name}, \\U, or \\u at 0"),
            ("ab\\", "", "\\ at end of pattern at 2"),
            ("\\x{100}", "", "character code point value in \\x{} is too large at 0"),
            ("[\\x{100}]", "utf", "unsupported: character above U+00FF in a class at 1"),
            ("\\C", "never_backslash_c", "using \\C is disabled (never_backslash_c) at 0"),
            ("\\w", "ucp", "unsupported: ucp with \\d \\w \\s \\b at 0"),
            ("[[:alpha:]]", "ucp", "unsupported: ucp with a POSIX class at 1"),
            ("a", "ucp caseless", "unsupported: ucp with caseless at 0"),
            ("\\h", "utf", "unsupported: \\h \\v with utf at 0"),
            ("(?xx)a", "", "unsupported: (?xx) at 0"),
            ("(?z)", "", "unrecognized character after (? or (?- at 2"),
            ("(?<1a>x)", "", "subpattern name must start with a non-digit at 0"),
            ("(?<>x)", "", "syntax error in subpattern name at 0"),
            ("(?<n>a)(?<n>b)", "", "two named subpatterns have the same name (PCRE2_DUPNAMES not set) at 7"),
            ("(?#x", "", "missing ) at end of comment at 0"),
            ("a", "bogus", "unknown regex option `bogus`"),
            ("(a{100}){101}", "", "pattern too large: more than 10000 instructions"),
            (&deep, "", "groups nested too deeply at 101"),
            ("((){65535}){65535}", "", "pattern too large: more than 10000 instructions"),
            (&format!("{}a{}", "(".repeat(17), ")*".repeat(17)), "", "unbounded repeats nested more than 16 deep"),
            ("(?:(?:(?:){999}){999}){999}", "", "pattern too large: more than 10000 instructions"),
        ];
        for (pattern, opts, want) in cases {
            assert_eq!(
                re(pattern, opts).err().as_deref(),
                Some(*want),
                "{pattern:?}"
            );
        }
        assert!(re("(a{100}){99}", "").is_ok());
        assert!(re(&format!("{}a{}", "(?:".repeat(100), ")?".repeat(100)), "").is_ok());
        assert!(re(&format!("{}a{}", "(?:".repeat(16), ")*".repeat(16)), "").is_ok());
        assert!(re("\\xff", "utf").is_ok() && re("\\xff", "").is_ok());
        let invalid = String::from_utf8_lossy(b"\xff").into_owned();
        assert!(re(&invalid, "").is_ok());
    }

    #[test]
    fn pathological_patterns_are_linear() {
        let mut hay = vec![b'a'; 100_000];
        for pattern in [
            "(a*)*b",
            "(a|a)*b",
            "(a?){30}a{30}b",
            "(a*)+$x",
            "(?:a+a+)+b",
            "(.*)*b",
        ] {
            let r = re(pattern, "").unwrap();
            let mut steps = 0;
            assert_eq!(r.search(&hay, 0, None, &mut steps), None, "{pattern}");
            let bound = (hay.len() as u64 + 1) * 2 * (r.prog.len() * r.levels) as u64;
            assert!(steps <= bound, "{pattern}: {steps} steps > {bound}");
        }
        hay.push(b'b');
        let mut steps = 0;
        assert_eq!(
            re("(a|a)*b", "").unwrap().search(&hay, 0, None, &mut steps),
            Some((0, 100_001))
        );
    }

    #[test]
    fn random_patterns_never_panic() {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let alphabet = b"ab.()[]|*+?{},0123^$\\-:dwsbBxzQEu<=!?#imsxU\n \xc3\xa9";
        let opts = [
            "",
            "caseless",
            "multiline dotall",
            "extended",
            "utf",
            "ungreedy firstline",
            "allow_empty_class alt_bsux",
        ];
        let mut compiled = 0;
        for _ in 0..20_000 {
            let len = (next() % 12) as usize;
            let pat: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let pat = String::from_utf8_lossy(&pat).into_owned();
            let Ok(r) = re(&pat, opts[(next() % opts.len() as u64) as usize]) else {
                continue;
            };
            compiled += 1;
            let hay: Vec<u8> = (0..next() % 30)
                .map(|_| b"ab\n\xc3\xa9"[(next() % 5) as usize])
                .collect();
            let min = (next() % 8) as usize;
            if let Some((s, e)) = r.find_in(&hay, min, Some(min + (next() % 8) as usize)) {
                assert!(min <= s && s <= e && e <= hay.len(), "{pat:?}");
            }
        }
        assert!(compiled > 2_000, "only {compiled} random patterns compiled");
    }
}
