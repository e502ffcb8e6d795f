//! Helpers shared by the section tests: reading a configuration from text, picking diagnostics,
//! and the shared corpus (`../shared/corpus`, with keepalived 2.2.7's verdict for each file).

use std::net::IpAddr;
use std::path::PathBuf;

use super::source::{Diagnostic, Diagnostics, FileId, LineOrigin, Preprocessed, Severity};
use super::{Config, tree};

/// The model and every diagnostic of `text` (read as [`Config::from_text`] reads it).
pub fn load(text: &str) -> (Config, Vec<Diagnostic>) {
    let mut d = Diagnostics::default();
    let cfg = Config::from_text(text, &mut d);
    (cfg, d.list)
}

/// The diagnostics of one severity, as (line, col, message).
pub fn of(list: &[Diagnostic], sev: Severity) -> Vec<(u32, u32, String)> {
    list.iter()
        .filter(|x| x.severity == sev)
        .map(|x| {
            let l = x.loc.expect("located");
            (l.line, l.col, x.message.clone())
        })
        .collect()
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The corpus folder, or `None` (with a SKIP line) when it is missing; missing while
/// `KEEPALIVED_RS_FULL_TESTS=1` fails the test.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.join("verdicts.tsv").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var("KEEPALIVED_RS_FULL_TESTS").as_deref() != Ok("1"),
        "corpus missing at {} with KEEPALIVED_RS_FULL_TESTS=1",
        dir.display()
    );
    println!("SKIP corpus not found at {}", dir.display());
    None
}

/// One corpus file with keepalived's verdict.
pub struct Entry {
    /// Path below the corpus folder.
    pub file: String,
    /// `yes`, `no` or `-` (machine-dependent).
    pub accept: String,
    /// keepalived's first diagnostic.
    pub first: String,
    pub text: String,
}

/// Every corpus file (none when the corpus is missing, see [`corpus_dir`]).
pub fn corpus() -> Vec<Entry> {
    let Some(dir) = corpus_dir() else {
        return Vec::new();
    };
    let tsv = std::fs::read_to_string(dir.join("verdicts.tsv")).unwrap();
    tsv.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let text = std::fs::read(dir.join(cols[0])).ok()?;
            Some(Entry {
                file: cols[0].to_string(),
                accept: cols.get(1).unwrap_or(&"").to_string(),
                first: cols.get(5).unwrap_or(&"").to_string(),
                text: String::from_utf8_lossy(&text).into_owned(),
            })
        })
        .collect()
}

/// The line of keepalived's "(Line N) ..." or "(FILE: Line N) ...".
pub fn diag_line(first: &str) -> Option<u32> {
    let rest = first.split("Line ").nth(1)?;
    let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    n.parse().ok()
}

/// The line spans (first, last) of the top-level statements of `text` whose keyword is in `top`:
/// to tell a section's diagnostics from the others'. An unclosed block runs to the end.
pub fn spans(text: &str, top: &[&str]) -> Vec<(u32, u32)> {
    let mut d = Diagnostics::default();
    tree::parse(&preprocessed(text), &mut d)
        .iter()
        .filter(|n| top.contains(&n.keyword()))
        .map(|n| {
            let end = n
                .block
                .as_ref()
                .map_or(n.loc.line, |b| b.close.map_or(u32::MAX, |c| c.line));
            (n.loc.line, end)
        })
        .collect()
}

pub fn in_spans(spans: &[(u32, u32)], line: u32) -> bool {
    spans.iter().any(|&(a, b)| (a..=b).contains(&line))
}

/// `text` as the preprocessor gives it when there is nothing to expand: the lines without their
/// comments, each with its line number.
pub fn preprocessed(text: &str) -> Preprocessed {
    let mut pre = Preprocessed::default();
    for (i, line) in text.lines().enumerate() {
        pre.push_line(
            strip_comment(line),
            LineOrigin::identity(FileId(0), i as u32 + 1),
        );
    }
    pre
}

/// The line without its `#` or `!` comment (outside double quotes).
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' | '!' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}
