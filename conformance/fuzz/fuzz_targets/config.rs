//! Fuzzes the configuration front end: preprocessor, grammar, tree and section parsers, checks and
//! the dump. Any input must give a model and diagnostics, never a panic or a hang; and the dump of
//! whatever model comes out must parse again.
#![no_main]

use keepalived_rs::config::{Config, Diagnostics};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut d = Diagnostics::default();
    let cfg = Config::from_text(&text, &mut d);
    let dump = cfg.dump();
    let mut d2 = Diagnostics::default();
    let _ = Config::from_text(&dump, &mut d2);
});
