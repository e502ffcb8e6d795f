//! Fuzzes the configuration front end: preprocessor, grammar, tree and section parsers, checks and
//! the dump. Any input must give a model and diagnostics, never a panic or a hang; and the dump of
//! whatever model comes out must parse again. The expansion budget is 4,000 lines (the daemon's is
//! 4,000,000, which a `~SEQ` over billions of values takes seconds to reach: bounded, but beyond the
//! fuzzer's time limit).
#![no_main]

use keepalived_rs::config::{Config, Diagnostics};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut d = Diagnostics::default();
    let cfg = Config::from_text_limited(&text, 4_000, &mut d);
    let dump = cfg.dump();
    let mut d2 = Diagnostics::default();
    let _ = Config::from_text_limited(&dump, 4_000, &mut d2);
});
