//! Tracking `global_defs` blocks so `include_check` and `random_seed` act on later includes.

/// Tracks `{` / `}` over the emitted lines, to find statements inside `global_defs`.
#[derive(Debug, Default)]
pub(super) struct Blocks {
    depth: u32,
    /// The deepest nesting seen so far.
    pub(super) peak: u32,
    /// The keyword of the top-level block we are in (at depth >= 1).
    top: String,
    /// The first word of the latest top-level statement, which a `{` turns into `top`.
    last_top_word: String,
}

impl Blocks {
    /// Follows the braces of one emitted line; returns the statements (as words) that lie
    /// directly inside a `global_defs` block, if any. Quotes group words as the grammar does.
    pub(super) fn global_defs_statements(&mut self, line: &str) -> Option<Vec<Vec<String>>> {
        let bytes = line.as_bytes();
        // Deeper in, or in another block, only braces matter.
        if !self.keeps_words() && !bytes.iter().any(|&b| b == b'{' || b == b'}') {
            return None;
        }
        // Words are kept (as text) only where they matter: every word directly in
        // `global_defs`, and the first word of a top-level statement; the others are counted.
        let mut keep = self.keeps_words();
        let mut found = Vec::new();
        let mut stmt: Vec<String> = Vec::new();
        let mut words = 0usize;
        let mut word = String::new();
        let mut quote: Option<char> = None;
        let mut in_word = false;
        let mut i = 0;
        loop {
            if !keep {
                // Nothing is kept until the next quote or brace: only they change anything.
                let rest = &bytes[i..];
                let skip = match quote {
                    Some(q) => rest.iter().position(|&b| char::from(b) == q),
                    None => rest
                        .iter()
                        .position(|&b| matches!(b, b'"' | b'\'' | b'{' | b'}')),
                };
                i += skip.unwrap_or(rest.len());
            }
            // The line ends as if with a newline.
            let c = line[i..].chars().next().unwrap_or('\n');
            i += c.len_utf8();
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                } else if c != '\n' && keep {
                    word.push(c);
                }
            } else {
                match c {
                    '"' | '\'' => {
                        quote = Some(c);
                        in_word = true;
                    }
                    '{' | '}' | '\n' | ' ' | '\t' | '\r' | '\x0b' | '\x0c' => {
                        if in_word {
                            if self.depth == 0 && words == 0 {
                                self.last_top_word.clone_from(&word);
                            }
                            if self.in_global_defs() {
                                stmt.push(std::mem::take(&mut word));
                            }
                            word.clear();
                            words += 1;
                            in_word = false;
                            keep = self.in_global_defs();
                        }
                        if matches!(c, '{' | '}' | '\n') {
                            if self.in_global_defs() && !stmt.is_empty() {
                                found.push(std::mem::take(&mut stmt));
                            }
                            stmt.clear();
                            words = 0;
                            if c == '{' {
                                if self.depth == 0 {
                                    self.top.clone_from(&self.last_top_word);
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
            if i > bytes.len() {
                break; // the newline after the line
            }
        }
        (!found.is_empty()).then_some(found)
    }

    fn in_global_defs(&self) -> bool {
        self.depth == 1 && self.top == "global_defs"
    }

    /// Whether the words of the current statement matter: the first word of a top-level statement
    /// names the block that may follow, and statements directly in `global_defs` are returned.
    pub(super) fn keeps_words(&self) -> bool {
        self.depth == 0 || (self.depth == 1 && self.top == "global_defs")
    }
}
