//! Character-level helpers: decommenting, conditionals, names, columns.

use super::*;

/// `s` without its leading spaces and tabs. (Byte loops: the `[char]` pattern searchers cost about
/// 60 instructions a character at `opt-level = "z"`, a third of `-t`'s time on a large file.)
pub(super) fn trim_blanks_start(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| b == b' ' || b == b'\t').count();
    &s[n..]
}

/// `s` without its trailing spaces and tabs.
pub(super) fn trim_blanks_end(s: &str) -> &str {
    let n = s
        .bytes()
        .rev()
        .take_while(|&b| b == b' ' || b == b'\t')
        .count();
    &s[..s.len() - n]
}

/// Step 3: strips the comment and the blanks around the line; says whether the physical line
/// ends in an unescaped `\` (keepalived honours it even inside a comment).
pub(super) fn decomment(line: &[Ch]) -> (Vec<Ch>, bool) {
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
pub(super) fn strip_continuation(t: &mut Vec<Ch>) {
    if t.last().map(|c| c.c) == Some('\\') {
        t.pop();
    }
    trim(t);
}

/// `@ID rest` / `@^ID rest`: the index where `rest` starts, or `None` to drop the line
/// (keepalived drops `@ID` with nothing after it).
pub(super) fn conditional(t: &[Ch], config_id: &str) -> Option<usize> {
    let (negate, start) = if t.get(1).map(|c| c.c) == Some('^') {
        (true, 2)
    } else {
        (false, 1)
    };
    let end = start + t.get(start..)?.iter().position(|c| is_blank(c.c))?;
    let matches = string_of(&t[start..end]) == config_id;
    (matches != negate).then_some(end)
}

/// Fatal if the check is on, else a warning.
pub(super) fn severity(check: bool) -> Severity {
    if check {
        Severity::Fatal
    } else {
        Severity::Warning
    }
}

pub(super) fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

pub(super) fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub(super) fn is_name(s: &str) -> bool {
    s.chars().next().is_some_and(is_name_start) && s.chars().all(is_name_char)
}

pub(super) fn trim(t: &mut Vec<Ch>) {
    while t.last().is_some_and(|c| is_blank(c.c)) {
        t.pop();
    }
    let lead = t.iter().take_while(|c| is_blank(c.c)).count();
    t.drain(..lead);
}

pub(super) fn starts_with(t: &[Ch], prefix: &str) -> bool {
    let mut it = t.iter();
    prefix.chars().all(|p| it.next().is_some_and(|c| c.c == p))
}

pub(super) fn string_of(t: &[Ch]) -> String {
    t.iter().map(|c| c.c).collect()
}

/// Inserted text: every character at the `$`'s column. A newline (from `${_ENV}`) becomes a
/// blank, since a logical line cannot hold one.
pub(super) fn chars_of(s: &str, col: u32, depth: u8) -> Vec<Ch> {
    s.chars()
        .map(|c| Ch {
            c: if c == '\n' { ' ' } else { c },
            col,
            depth,
        })
        .collect()
}
