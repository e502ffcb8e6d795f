//! Fuzzes the regex engine of HTTP_GET's `url { regex }` (`src/check/regex.rs`): any pattern
//! compiles or gives an error, and any match runs in bounded time with a span inside the
//! haystack. Input: pattern, a NUL byte, haystack.
#![no_main]

use keepalived_rs::check::regex::Regex;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(nul) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let (pat, hay) = (&data[..nul], &data[nul + 1..]);
    let Ok(pat) = std::str::from_utf8(pat) else {
        return;
    };
    if pat.len() > 256 || hay.len() > 4096 {
        return;
    }
    for opts in [&[][..], &["caseless".to_string(), "multiline".to_string()][..]] {
        if let Ok(r) = Regex::new(pat, opts) {
            let _ = r.is_match(hay);
            if let Some((a, b)) = r.find_in(hay, 1, Some(hay.len() / 2)) {
                assert!(a <= b && b <= hay.len());
            }
        }
    }
});
