//! What the configuration targets share: the input bound and the raw-lines input of the stages
//! after the preprocessor.
#![allow(dead_code)] // each target uses part of it

use keepalived_rs::config::preprocess::MAX_BLOCK_DEPTH;
use keepalived_rs::config::source::LineOrigin;
use keepalived_rs::config::{FileId, Preprocessed};

/// Inputs longer than this are rejected (CI also passes `-max_len=4096`): a few hundred lines
/// explore every construct, and bigger inputs only repeat them more slowly.
pub const MAX_INPUT: usize = 4096;

/// The input as the preprocessor's output would carry it: one logical line per input line (up to
/// a NUL, which ends a line there), each from line N of file 0 with identity columns. `None` when the input is over [`MAX_INPUT`] or
/// has more `{` than the preprocessor lets through nested ([`MAX_BLOCK_DEPTH`]): the grammar and
/// the tree recurse per block and rely on that bound, which the preprocessor enforces.
pub fn raw_lines(data: &[u8]) -> Option<Preprocessed> {
    lines_with(data, |l| l)
}

/// [`raw_lines`], each line cut at its first `#` or `!` and trimmed, roughly as the preprocessor
/// decomments (quotes aside): seeds full of comments would otherwise be mostly unknown keywords,
/// each costing a "did you mean" search.
pub fn decommented_lines(data: &[u8]) -> Option<Preprocessed> {
    lines_with(data, |l| l.split(['#', '!']).next().unwrap_or("").trim())
}

fn lines_with(data: &[u8], f: impl Fn(&str) -> &str) -> Option<Preprocessed> {
    if data.len() > MAX_INPUT
        || data.iter().filter(|&&b| b == b'{').count() > MAX_BLOCK_DEPTH as usize
    {
        return None;
    }
    let text = String::from_utf8_lossy(data);
    let mut pre = Preprocessed::default();
    for (i, line) in text.split('\n').enumerate() {
        // The preprocessor's lines end at a NUL, as in C.
        let line = line.split('\0').next().unwrap_or("");
        pre.push_line(f(line), LineOrigin::identity(FileId(0), i as u32 + 1));
    }
    Some(pre)
}
