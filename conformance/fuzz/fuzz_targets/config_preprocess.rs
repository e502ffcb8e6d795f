//! Fuzzes the configuration preprocessor alone (`include`, `$VAR`, `@id`, `~SEQ`/`~LST`,
//! comments, quoting, line origins): any input up to 4 KiB must give logical lines with an origin
//! each and diagnostics, never a panic or a hang. Includes are expanded and checked but read no
//! file (no filesystem walk per input), and the expansion stops at 200 lines (the daemon's
//! budget is 4,000,000: a `~SEQ` over billions of values is bounded, but not within a fuzzer's
//! time per input).
#![no_main]

#[path = "common/mod.rs"]
mod common;

use keepalived_rs::config::preprocess::{self, Options};
use keepalived_rs::config::{Diagnostics, SourceMap};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > common::MAX_INPUT {
        return;
    }
    let mut opts = Options::new("test");
    opts.max_lines = 200;
    opts.read_includes = false;
    opts.env = Box::new(|name| (name == "FUZZ").then(|| "env value".to_string()));
    let (mut sources, mut d) = (SourceMap::new(), Diagnostics::default());
    let pre = preprocess::preprocess_bytes(
        std::path::Path::new("/etc/keepalived/keepalived.conf"),
        data,
        &opts,
        &mut sources,
        &mut d,
    );
    // Every output line has its origin, and its first and last characters map back to a source.
    let n = pre.line_count();
    assert!(n <= 200, "{n} lines past the budget");
    if n == 0 {
        assert_eq!(pre.text, "");
    } else {
        assert_eq!(pre.text.split('\n').count(), n);
        assert!(pre.origin(n - 1).is_some());
        let mut cursor = pre.cursor();
        let mut start = 0;
        for line in pre.text.split('\n') {
            let last = line.char_indices().last().map_or(0, |(i, _)| i);
            for offset in [start, start + last] {
                assert!(
                    cursor.loc(offset).is_some(),
                    "offset {offset} has no origin"
                );
            }
            start += line.len() + 1;
        }
    }
    assert!(pre.origin(n).is_none());
});
