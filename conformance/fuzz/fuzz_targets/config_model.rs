//! Fuzzes the typed model: section parsers, values, cross-section checks and the dump, on a
//! statement tree from input lines as the preprocessor would hand them over (up to 4 KiB, cut at
//! `#`/`!`). Any input must give a model and diagnostics, never a panic or a hang; the dump of
//! whatever model comes out, read again through the whole front end, must give the same dump
//! (`-d` output is a configuration that means what it says).
#![no_main]

#[path = "common/mod.rs"]
mod common;

use keepalived_rs::config::preprocess::{self, Options};
use keepalived_rs::config::{Config, Diagnostics, SourceMap, tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `$_NAME` and `${...}` are substitutions the preprocessor would have made (built-ins
    // included); a word that still holds one is not something this stage can be given.
    if data.windows(2).any(|w| w == b"$_" || w == b"${") {
        return;
    }
    let Some(pre) = common::decommented_lines(data) else {
        return;
    };
    let mut d = Diagnostics::default();
    let nodes = tree::parse(&pre, &mut d);
    let cfg = Config::from_nodes(&nodes, &mut d);
    let dump = cfg.dump();
    // The whole front end reads the dump back, as `-d` output would be read (no include read).
    let mut opts = Options::new("test");
    opts.read_includes = false;
    let (mut sources, mut d2) = (SourceMap::new(), Diagnostics::default());
    let path = std::path::Path::new("/etc/keepalived/keepalived.conf");
    let pre = preprocess::preprocess_str(path, &dump, &opts, &mut sources, &mut d2);
    let again = Config::from_preprocessed(&pre, &mut d2);
    assert_eq!(again.dump(), dump, "the dump of the dump differs");
});
