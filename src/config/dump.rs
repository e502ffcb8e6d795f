//! Writing the model back as canonical keepalived.conf text (`-d`): every value resolved, defaults
//! included where they matter, four-space indentation, one statement per line. The text parses
//! back to an equal model (the round-trip tests hold us to that).

use std::fmt::Write as _;

/// Builds canonical configuration text.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
    depth: usize,
}

/// Quotes a word when the grammar would otherwise split it or the preprocessor would read it.
///
/// The text goes between the quotes as it is: inside quotes the tree builder (`tree.rs`, `words`)
/// keeps a backslash and the character after it as written, so a `\"` it read from a quoted word
/// must be written back unchanged (escaping it again would add a backslash on every round trip).
/// A word the tree builder produced never holds a `"` without a backslash before it.
pub fn quote(word: &str) -> String {
    // To the preprocessor a line that starts with `@` is an `@ID` condition, one that starts
    // with `~` a `~SEQ` and one that starts with `$NAME=` a definition: a word alone on its line
    // (a sync group member, an e-mail address) must not start one.
    let needs = word.is_empty()
        || word.starts_with(['@', '~', '$'])
        || word
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '{' | '}' | '#' | '!' | '"'));
    if needs {
        format!("\"{word}\"")
    } else {
        word.to_string()
    }
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
    }

    /// A statement: the keyword and its values (quoted where needed).
    pub fn line<S: AsRef<str>>(&mut self, keyword: &str, values: &[S]) {
        self.indent();
        self.out.push_str(keyword);
        for v in values {
            let _ = write!(self.out, " {}", quote(v.as_ref()));
        }
        self.out.push('\n');
    }

    /// A flag: `keyword` alone, written when `on`.
    pub fn flag(&mut self, keyword: &str, on: bool) {
        if on {
            self.line::<&str>(keyword, &[]);
        }
    }

    /// `keyword VALUE` (quoted where needed), written when there is a value.
    pub fn opt<T: ToString>(&mut self, keyword: &str, v: &Option<T>) {
        if let Some(v) = v {
            self.line(keyword, &[v.to_string()]);
        }
    }

    /// A statement whose words are written as they are (already quoted where needed).
    pub fn raw(&mut self, text: &str) {
        self.indent();
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// `keyword values {`; the block ends with [`Writer::close`].
    pub fn open<S: AsRef<str>>(&mut self, keyword: &str, values: &[S]) {
        self.indent();
        self.out.push_str(keyword);
        for v in values {
            let _ = write!(self.out, " {}", quote(v.as_ref()));
        }
        self.out.push_str(" {\n");
        self.depth += 1;
    }

    pub fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("}\n");
    }

    pub fn blank(&mut self) {
        self.out.push('\n');
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_indent_and_quote() {
        let mut w = Writer::new();
        w.open("vrrp_instance", &["VI_1"]);
        w.line("priority", &["150"]);
        w.line("notify_master", &["/bin/echo a b"]);
        w.close();
        assert_eq!(
            w.finish(),
            "vrrp_instance VI_1 {\n    priority 150\n    notify_master \"/bin/echo a b\"\n}\n"
        );
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("a#b"), "\"a#b\"");
    }

    /// What `quote` writes, the preprocessor and the tree builder read back as the same word.
    #[test]
    fn quoted_words_read_back_unchanged() {
        use crate::config::source::{Diagnostics, SourceMap};
        use crate::config::{preprocess, tree};
        for word in [
            "",
            "plain",
            "a b",
            "a#b",
            "x!y",
            "{x}",
            "a\\\"b",
            "say \\\"hi\\\" now",
            "back\\slash",
            "a\\ b",
            "/bin/sh -c 'a; b'",
            "@l",
            "@^l",
            "~SEQ(i,1,3)",
            "$IF=eth0",
        ] {
            // Also alone on a line, as a sync group's members are.
            for line in [format!("k {}", quote(word)), quote(word)] {
                let mut d = Diagnostics::default();
                let mut sources = SourceMap::new();
                let pre = preprocess::preprocess_str(
                    std::path::Path::new("q.conf"),
                    &line,
                    &preprocess::Options::new("test"),
                    &mut sources,
                    &mut d,
                );
                let nodes = tree::parse(&pre, &mut d);
                assert!(d.list.is_empty(), "{line}: {:?}", d.list);
                assert_eq!(nodes.len(), 1, "{line}");
                let words: Vec<&str> = nodes[0].words.iter().map(|w| w.text.as_str()).collect();
                let want: &[&str] = if line.starts_with('k') {
                    &["k", word]
                } else {
                    &[word]
                };
                assert_eq!(words, want, "{line}");
            }
        }
    }
}
