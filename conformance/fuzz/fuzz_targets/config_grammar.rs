//! Fuzzes the pest grammar and the statement tree alone, on input lines as the preprocessor
//! would hand them over (up to 4 KiB, at most 64 `{`: the preprocessor's nesting bound). The
//! grammar accepts every input: any input must give statements and structural warnings, never
//! a panic, a "cannot parse" or a word located outside the input.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use keepalived_rs::config::Diagnostics;
use keepalived_rs::config::tree::{self, Node};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(pre) = common::raw_lines(data) else {
        return;
    };
    let mut d = Diagnostics::default();
    let nodes = tree::parse(&pre, &mut d);
    for diag in &d.list {
        assert!(
            !diag.message.starts_with("cannot parse"),
            "the grammar refused an input: {}",
            diag.message
        );
    }
    let lines = pre.line_count() as u32;
    check(&nodes, lines);
});

fn check(nodes: &[Node], lines: u32) {
    for n in nodes {
        assert!(n.loc.line >= 1 && n.loc.line <= lines, "{:?}", n.loc);
        for w in &n.words {
            assert!(w.loc.line >= 1 && w.loc.line <= lines, "{:?}", w.loc);
            assert!(
                !w.text.is_empty() || w.quoted,
                "an empty unquoted word at {:?}",
                w.loc
            );
        }
        if let Some(b) = &n.block {
            check(&b.nodes, lines);
        }
    }
}
