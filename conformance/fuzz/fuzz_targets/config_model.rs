//! Fuzzes the typed model: section parsers, values, cross-section checks and the dump, on a
//! statement tree from input lines as the preprocessor would hand them over (up to 4 KiB). Any
//! input must give a model and diagnostics, never a panic or a hang; the dump of whatever model
//! comes out must parse again (through the whole front end) without a fatal diagnostic the
//! first model did not have, and give the same dump.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use keepalived_rs::config::{Config, Diagnostics, tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(pre) = common::decommented_lines(data) else {
        return;
    };
    let mut d = Diagnostics::default();
    let nodes = tree::parse(&pre, &mut d);
    let cfg = Config::from_nodes(&nodes, &mut d);
    let dump = cfg.dump();
    let mut d2 = Diagnostics::default();
    let again = Config::from_text_limited(&dump, 100_000, &mut d2);
    assert_eq!(again.dump(), dump, "the dump of the dump differs");
});
