//! The statement tree: preprocessed text parsed by the pest grammar (`grammar/keepalived.pest`)
//! into statements of words and the blocks that belong to them, every word with its source location.
//!
//! This layer knows no keywords. The section parsers walk the tree and give it meaning.

use pest::Parser;
use pest::iterators::Pair;

use super::source::{Cursor, Diagnostics, Loc, Preprocessed, Severity};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/keepalived.pest"]
struct Grammar;

/// One word, quotes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub loc: Loc,
    /// It was written (at least partly) in double quotes.
    pub quoted: bool,
}

/// A statement: its words (the first is the keyword) and the block that follows it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub words: Vec<Word>,
    pub block: Option<Block>,
    /// Where the statement starts (the keyword, or the `{` of a block without one).
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub open: Loc,
    /// `None` when the input ended before the `}`.
    pub close: Option<Loc>,
    pub nodes: Vec<Node>,
}

impl Node {
    /// The keyword (first word), or "" for a block without one.
    pub fn keyword(&self) -> &str {
        self.words.first().map_or("", |w| w.text.as_str())
    }

    /// The words after the keyword.
    pub fn args(&self) -> &[Word] {
        self.words.get(1..).unwrap_or(&[])
    }

    /// The statements of the block, or none.
    pub fn children(&self) -> &[Node] {
        self.block.as_ref().map_or(&[], |b| b.nodes.as_slice())
    }
}

/// Parses preprocessed text into the top-level statements. Never fails: structural problems (a
/// block that is never closed, a `}` that closes nothing, a block with no statement before it) are
/// reported as keepalived reports them (warnings: it runs anyway) and parsing goes on.
pub fn parse(pre: &Preprocessed, diags: &mut Diagnostics) -> Vec<Node> {
    let mut nodes = Vec::new();
    parse_each(pre, diags, |n| nodes.push(n));
    nodes
}

/// [`parse`], handing each top-level statement to `each` as soon as it is complete (with its
/// block), so that only one top-level block is in memory at a time. Same statements, same
/// diagnostics in the same order.
pub fn parse_each(pre: &Preprocessed, diags: &mut Diagnostics, mut each: impl FnMut(Node)) {
    let fallback = pre.origin(0).map(|o| Loc {
        file: o.file,
        line: o.line,
        col: 1,
    });
    let text = pre.text.as_str();
    let mut b = Builder {
        cursor: pre.cursor(),
        diags,
        unclosed: 0,
        stack: Vec::new(),
    };
    // The last top-level statement, while a block may still attach to it: only white space came
    // after it, and it has no block yet.
    let mut pending: Option<Node> = None;
    let mut pos = 0;
    while pos < text.len() {
        let items = match Grammar::parse(Rule::items, &text[pos..]) {
            Ok(mut pairs) => pairs.next(),
            Err(e) => {
                // The grammar accepts every input; this is a bug, reported rather than panicking.
                let offset = match e.location {
                    pest::error::InputLocation::Pos(p) => p,
                    pest::error::InputLocation::Span((p, _)) => p,
                };
                b.diags.push(
                    Severity::Fatal,
                    pre.loc_of(pos + offset).or(fallback),
                    format!("cannot parse: {e}"),
                );
                return;
            }
        };
        let Some(items) = items else { break };
        let end = pos + items.as_span().end();
        for pair in items.into_inner().flat_map(|item| item.into_inner()) {
            b.top(pair, pos, &mut pending, &mut each);
        }
        if end <= pos {
            break; // nothing consumed: cannot happen, every character starts an item
        }
        pos = end;
    }
    if let Some(last) = pending.take() {
        each(last);
    }
    if b.unclosed > 0 {
        let n = b.unclosed;
        let eof = pre.loc_of(text.len()).or(fallback);
        b.diags.push(
            Severity::Warning,
            eof,
            format!("{n} missing '}}'(s) at end of input (or extra '{{'s)"),
        );
    }
}

struct Builder<'a> {
    cursor: Cursor<'a>,
    diags: &'a mut Diagnostics,
    unclosed: usize,
    /// The statements of the blocks being built, innermost last: each block's go to a vector of
    /// their own size when it ends (no vector grows statement by statement).
    stack: Vec<Node>,
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

impl Builder<'_> {
    fn loc(&mut self, offset: usize) -> Loc {
        self.cursor.loc(offset).unwrap_or(Loc {
            file: super::source::FileId(0),
            line: 1,
            col: 1,
        })
    }

    /// One pair of a top-level item (its input starts at `base`), as [`Builder::body`] does for
    /// the statements of a block.
    fn top(
        &mut self,
        pair: Pair<'_, Rule>,
        base: usize,
        pending: &mut Option<Node>,
        each: &mut impl FnMut(Node),
    ) {
        match pair.as_rule() {
            Rule::stmt => {
                let words = self.words(pair.as_str(), base + pair.as_span().start());
                let Some(first) = words.first() else { return };
                let loc = first.loc;
                if let Some(last) = pending.replace(Node {
                    words,
                    block: None,
                    loc,
                }) {
                    each(last);
                }
            }
            Rule::block => {
                let block = self.block(pair, base);
                match pending.take() {
                    Some(mut last) => {
                        last.block = Some(block);
                        each(last);
                    }
                    None => {
                        self.diags
                            .warn(block.open, "block '{' without a keyword before it: ignored");
                        each(Node {
                            words: Vec::new(),
                            loc: block.open,
                            block: Some(block),
                        });
                    }
                }
            }
            Rule::stray => {
                let loc = self.loc(base + pair.as_span().start());
                self.diags.warn(loc, "extra '}' closes no block: ignored");
                if let Some(last) = pending.take() {
                    each(last);
                }
            }
            _ => {}
        }
    }

    /// The statements of a block (input starting at `base`); its `}` goes to `close`.
    fn body<'i>(
        &mut self,
        pairs: impl Iterator<Item = Pair<'i, Rule>>,
        base: usize,
        close: &mut Option<Loc>,
    ) -> Vec<Node> {
        let mark = self.stack.len();
        // May the next block attach to the last statement? Only if nothing but white space came
        // between them and that statement has no block yet.
        let mut attachable = false;
        for pair in pairs {
            match pair.as_rule() {
                Rule::stmt => {
                    let words = self.words(pair.as_str(), base + pair.as_span().start());
                    let Some(first) = words.first() else { continue };
                    let loc = first.loc;
                    self.stack.push(Node {
                        words,
                        block: None,
                        loc,
                    });
                    attachable = true;
                }
                Rule::block => {
                    let block = self.block(pair, base);
                    match self.stack[mark..].last_mut() {
                        Some(last) if attachable => last.block = Some(block),
                        _ => {
                            self.diags
                                .warn(block.open, "block '{' without a keyword before it: ignored");
                            self.stack.push(Node {
                                words: Vec::new(),
                                loc: block.open,
                                block: Some(block),
                            });
                        }
                    }
                    attachable = false;
                }
                Rule::close => *close = Some(self.loc(base + pair.as_span().start())),
                _ => {}
            }
        }
        self.stack.drain(mark..).collect()
    }

    fn block(&mut self, pair: Pair<'_, Rule>, base: usize) -> Block {
        let open = self.loc(base + pair.as_span().start());
        let mut close = None;
        let nodes = self.body(pair.into_inner(), base, &mut close);
        if close.is_none() {
            self.unclosed += 1;
        }
        Block { open, close, nodes }
    }

    /// Splits a statement (at offset `base` of the text) into words: blanks separate, double
    /// quotes group (and are removed), a backslash inside quotes keeps the next character from
    /// ending the quote. Every word is allocated once, at its size.
    fn words(&mut self, stmt: &str, base: usize) -> Vec<Word> {
        // Everything that matters here is ASCII; other characters go with the text around them.
        let bytes = stmt.as_bytes();
        let mut words = Vec::with_capacity(4);
        let mut i = 0;
        while i < bytes.len() {
            if is_blank(bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            // Most words have no quote: up to a blank or a quote at once.
            while i < bytes.len() && !is_blank(bytes[i]) && bytes[i] != b'"' {
                i += 1;
            }
            let mut quoted = false;
            let mut q = Quotes::default();
            while i < bytes.len() && (q.inside || !is_blank(bytes[i])) {
                quoted |= q.toggles(bytes[i]);
                i += 1;
            }
            let raw = &stmt[start..i];
            let text = if quoted {
                let mut t = String::with_capacity(raw.len());
                let mut q = Quotes::default();
                let mut from = 0;
                for (j, &c) in raw.as_bytes().iter().enumerate() {
                    if q.toggles(c) {
                        t.push_str(&raw[from..j]);
                        from = j + 1;
                    }
                }
                t.push_str(&raw[from..]);
                t
            } else {
                raw.to_string()
            };
            words.push(Word {
                text,
                loc: self.loc(base + start),
                quoted,
            });
        }
        words
    }
}

/// Double-quote state while reading a word.
#[derive(Default)]
struct Quotes {
    inside: bool,
    escaped: bool,
}

impl Quotes {
    /// Takes the next byte; true if it is a `"` that opens or closes a quote (and is dropped).
    fn toggles(&mut self, c: u8) -> bool {
        if !self.inside {
            self.inside = c == b'"';
            return self.inside;
        }
        if self.escaped {
            self.escaped = false;
        } else if c == b'\\' {
            self.escaped = true;
        } else if c == b'"' {
            self.inside = false;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::source::{FileId, LineOrigin};

    fn pre(text: &str) -> Preprocessed {
        let mut p = Preprocessed::default();
        for (i, line) in text.split('\n').enumerate() {
            p.push_line(line, LineOrigin::identity(FileId(0), i as u32 + 1));
        }
        p
    }

    fn at(line: u32, col: u32) -> Loc {
        Loc {
            file: FileId(0),
            line,
            col,
        }
    }

    fn words(n: &Node) -> Vec<&str> {
        n.words.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn statements_blocks_and_locations() {
        let mut d = Diagnostics::default();
        let t = parse(
            &pre("vrrp_instance VI_1 {\n  state MASTER\n  priority  150\n}\n"),
            &mut d,
        );
        assert!(d.list.is_empty(), "{:?}", d.list);
        assert_eq!(t.len(), 1);
        assert_eq!(words(&t[0]), ["vrrp_instance", "VI_1"]);
        assert_eq!(t[0].words[1].loc, at(1, 15));
        let b = t[0].block.as_ref().unwrap();
        assert_eq!(b.open, at(1, 20));
        assert_eq!(b.close, Some(at(4, 1)));
        assert_eq!(words(&b.nodes[1]), ["priority", "150"]);
        assert_eq!(b.nodes[1].words[1].loc, at(3, 13));
    }

    #[test]
    fn braces_separate_like_keepalived() {
        let mut d = Diagnostics::default();
        let t = parse(
            &pre("vrrp_sync_group G { group { VI_1 VI_2 } }\nvrrp_instance X\n{\n state BACKUP }"),
            &mut d,
        );
        assert!(d.list.is_empty(), "{:?}", d.list);
        let g = &t[0];
        let group = &g.children()[0];
        assert_eq!(group.keyword(), "group");
        assert_eq!(words(&group.children()[0]), ["VI_1", "VI_2"]);
        // A block on the next line belongs to the statement before it.
        assert_eq!(words(&t[1]), ["vrrp_instance", "X"]);
        assert_eq!(t[1].children()[0].keyword(), "state");
    }

    #[test]
    fn quotes_group_words_and_braces() {
        let mut d = Diagnostics::default();
        let t = parse(&pre("script \"/bin/check {a} b\" x\"y z\"w 'q r'"), &mut d);
        assert_eq!(
            words(&t[0]),
            ["script", "/bin/check {a} b", "xy zw", "'q", "r'"]
        );
        assert!(t[0].words[1].quoted && !t[0].words[3].quoted);
        // Unterminated quote: to the end of the line.
        let t = parse(&pre("a \"b c\nd"), &mut d);
        assert_eq!(words(&t[0]), ["a", "b c"]);
        assert_eq!(words(&t[1]), ["d"]);
    }

    #[test]
    fn structural_problems_are_located_warnings() {
        let mut d = Diagnostics::default();
        let t = parse(&pre("a {\n b\n"), &mut d);
        assert_eq!(t[0].children().len(), 1);
        assert_eq!(d.list.len(), 1);
        assert_eq!(
            d.list[0].message,
            "1 missing '}'(s) at end of input (or extra '{'s)"
        );
        let mut d = Diagnostics::default();
        parse(&pre("a\n}\n{ b }"), &mut d);
        assert_eq!(d.list[0].loc, Some(at(2, 1)));
        assert_eq!(d.list[0].message, "extra '}' closes no block: ignored");
        // The `}` separates the block from `a`: it has no keyword.
        assert_eq!(d.list[1].loc, Some(at(3, 1)));
        assert_eq!(
            d.list[1].message,
            "block '{' without a keyword before it: ignored"
        );
    }

    #[test]
    fn arbitrary_input_never_panics() {
        let mut rng = crate::rng::Rng::new(42);
        let alphabet = b"ab {}\"\n\t\\#!$@~x1.";
        for _ in 0..2_000 {
            let len = rng.below(60) as usize;
            let s: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize] as char)
                .collect();
            let mut d = Diagnostics::default();
            let _ = parse(&pre(&s), &mut d);
        }
    }
}
