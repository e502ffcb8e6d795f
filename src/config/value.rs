//! Reading values out of statements, with keepalived's rules and located diagnostics.
//!
//! Every function here reports its own problem (with the location of the offending word and the
//! allowed range or forms) and returns `None`; the caller then keeps the default, as keepalived does
//! ("... - ignoring"). Messages name the keyword and quote the offending text.
//!
//! Two layers:
//!
//! - **Words** (`*_in`, [`ip`], [`prefix`], and the plain parsers `parse_*`): one word to a typed
//!   value. Shared by every section.
//! - **Statements**: how many words a keyword takes and what happens to the others. keepalived's
//!   handlers read the words they want and ignore the rest silently; [`first`], [`extra`],
//!   [`flag`], [`opt_bool`], [`dec_arg`] and [`timer_arg`] follow it and say so in a Note, so that
//!   `-t` exits as keepalived does (`global_defs`, `bfd_instance`). [`one_arg`], [`no_args`],
//!   [`int_arg`] and [`seconds_arg`] are stricter (extra words are a Warning): the VRRP section's
//!   choice, which its tests pin down. The LVS section has its own statement readers
//!   (`lvs/read.rs`), because keepalived's checker parser stops at a missing value.

use std::net::IpAddr;
use std::time::Duration;

use super::source::{At, Diagnostic, Diagnostics, Severity};
use super::tree::{Node, Word};

// ---------------------------------------------------------------------------------------------
// Reporting at a location kept in the model.

/// A warning where a model item was written (no location for an item that has none).
pub fn warn_at(d: &mut Diagnostics, at: At, msg: impl Into<String>) -> &mut Diagnostic {
    d.push(Severity::Warning, at.0, msg)
}

/// A note where a model item was written (see [`warn_at`]).
pub fn note_at(d: &mut Diagnostics, at: At, msg: impl Into<String>) -> &mut Diagnostic {
    d.push(Severity::Note, at.0, msg)
}

// ---------------------------------------------------------------------------------------------
// Statements, keepalived's way: words after the value are ignored, with a Note.

/// Notes the words from index `keep` of the arguments on, which keepalived ignores silently.
pub fn extra(d: &mut Diagnostics, node: &Node, keep: usize) {
    if let Some(w) = node.args().get(keep) {
        let n = node.args().len() - keep;
        let what = if n == 1 {
            format!("`{}`", w.text)
        } else {
            format!("`{}` and {} more word(s)", w.text, n - 1)
        };
        d.note(w.loc, format!("`{}`: extra {what} ignored", node.keyword()));
    }
}

/// The first argument. Missing: a Warning and `None`. Extra words: a Note.
pub fn first<'n>(d: &mut Diagnostics, node: &'n Node) -> Option<&'n Word> {
    first_of(d, node, 1)
}

/// The first argument, when up to `keep` arguments are meaningful (see [`first`]).
pub fn first_of<'n>(d: &mut Diagnostics, node: &'n Node, keep: usize) -> Option<&'n Word> {
    match node.args().first() {
        Some(w) => {
            extra(d, node, keep);
            Some(w)
        }
        None => {
            d.warn(
                node.loc,
                format!("`{}` needs a value - ignoring", node.keyword()),
            );
            None
        }
    }
}

/// The first argument as a string (see [`first`]).
pub fn string(d: &mut Diagnostics, node: &Node) -> Option<String> {
    first(d, node).map(|w| w.text.clone())
}

/// A pure flag: keepalived sets it whatever follows, so `vrrp_strict off` enables strict mode.
/// Returns `true`; a following word is a Note (with a hint when it reads as "off").
pub fn flag(d: &mut Diagnostics, node: &Node) -> bool {
    if let Some(w) = node.args().first() {
        let kw = node.keyword();
        let diag = d.note(
            w.loc,
            format!(
                "`{kw}` takes no value; `{}` ignored and `{kw}` enabled",
                w.text
            ),
        );
        if parse_bool(&w.text) == Some(false) {
            diag.hint(format!(
                "keepalived enables `{kw}` whatever follows it; remove the line to leave it off"
            ));
        }
    }
    true
}

/// A flag with an optional boolean: no word is `true`. An invalid word is a Warning and `None`
/// (keepalived: "Invalid value for KEYWORD specified", value unchanged).
pub fn opt_bool(d: &mut Diagnostics, node: &Node) -> Option<bool> {
    let Some(w) = node.args().first() else {
        return Some(true);
    };
    extra(d, node, 1);
    bool_in(d, node.keyword(), w)
}

/// [`dec_in`] for the first argument (see [`first`]).
pub fn dec_arg(d: &mut Diagnostics, node: &Node, min: i64, max: i64) -> Option<i64> {
    let w = first(d, node)?;
    dec_in(d, node.keyword(), w, min, max)
}

/// [`timer_in`] for the first argument (see [`first`]).
pub fn timer_arg(
    d: &mut Diagnostics,
    node: &Node,
    min: Duration,
    max: Duration,
) -> Option<Duration> {
    let w = first(d, node)?;
    timer_in(d, node.keyword(), w, min, max)
}

// ---------------------------------------------------------------------------------------------
// Statements, the VRRP section's stricter way: words after the value are a Warning.

/// The single argument of `keyword VALUE`. Missing: a warning and `None`. Extra words: a warning,
/// the first is used.
pub fn one_arg<'n>(d: &mut Diagnostics, node: &'n Node) -> Option<&'n Word> {
    let args = node.args();
    match args {
        [] => {
            d.warn(
                node.loc,
                format!("`{}` needs a value - ignoring", node.keyword()),
            );
            None
        }
        [one] => Some(one),
        [first, extra, ..] => {
            d.warn(
                extra.loc,
                format!(
                    "`{}` takes one value; extra `{}` ignored",
                    node.keyword(),
                    extra.text
                ),
            );
            Some(first)
        }
    }
}

/// A keyword that takes no value.
pub fn no_args(d: &mut Diagnostics, node: &Node) {
    if let Some(extra) = node.args().first() {
        d.warn(
            extra.loc,
            format!(
                "`{}` takes no value; `{}` ignored",
                node.keyword(),
                extra.text
            ),
        );
    }
}

/// `int_in` for the single argument of a statement.
pub fn int_arg(d: &mut Diagnostics, node: &Node, min: i64, max: i64) -> Option<i64> {
    let w = one_arg(d, node)?;
    int_in(d, node.keyword(), w, min, max)
}

pub fn seconds_arg(
    d: &mut Diagnostics,
    node: &Node,
    min: Duration,
    max: Duration,
) -> Option<Duration> {
    let w = one_arg(d, node)?;
    seconds_in(d, node.keyword(), w, min, max)
}

// ---------------------------------------------------------------------------------------------
// Words.

/// keepalived's booleans: `on|off|true|false|yes|no` (any case).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Some(true),
        "off" | "false" | "no" => Some(false),
        _ => None,
    }
}

/// A boolean word (see [`parse_bool`]); anything else is a Warning and `None`.
pub fn bool_in(d: &mut Diagnostics, keyword: &str, w: &Word) -> Option<bool> {
    let b = parse_bool(&w.text);
    if b.is_none() {
        d.warn(
            w.loc,
            format!(
                "`{keyword}`: invalid boolean `{}` (use on|off|true|false|yes|no) - ignoring",
                w.text
            ),
        );
    }
    b
}

/// Why a decimal number could not be read.
pub enum NumError {
    /// Not a number at all.
    Invalid,
    /// More digits than any range we use.
    Range,
}

/// A decimal integer with an optional sign, as keepalived reads numbers (`strtol` base 10:
/// `0x10` is "invalid number").
pub fn parse_dec(s: &str) -> Result<i128, NumError> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumError::Invalid);
    }
    // Long strings of digits: out of every range we use.
    let v: i128 = digits.parse().map_err(|_| NumError::Range)?;
    Ok(if neg { -v } else { v })
}

/// An unsigned integer in decimal or `0x` hexadecimal (iproute2's numbers: table, protocol...).
pub fn parse_uint(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

/// A decimal integer in `min..=max` (keepalived's `read_int`); unlike [`int_in`], hexadecimal is
/// refused.
pub fn dec_in(d: &mut Diagnostics, keyword: &str, w: &Word, min: i64, max: i64) -> Option<i64> {
    let t = w.text.as_str();
    match parse_dec(t).ok().and_then(|v| i64::try_from(v).ok()) {
        Some(v) if (min..=max).contains(&v) => Some(v),
        Some(_) => {
            d.warn(
                w.loc,
                format!("`{keyword}`: `{t}` is outside the range [{min}, {max}] - ignoring"),
            );
            None
        }
        None => {
            d.warn(
                w.loc,
                format!("`{keyword}`: `{t}` is not an integer (range [{min}, {max}]) - ignoring"),
            );
            None
        }
    }
}

/// An integer in `min..=max` (decimal; keepalived also reads a leading `0x` as hex for some keywords:
/// accepted here everywhere).
pub fn int_in(d: &mut Diagnostics, keyword: &str, w: &Word, min: i64, max: i64) -> Option<i64> {
    let t = w.text.as_str();
    let parsed = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else {
        t.parse::<i64>().ok()
    };
    match parsed {
        Some(v) if (min..=max).contains(&v) => Some(v),
        Some(_) => {
            d.warn(
                w.loc,
                format!("`{keyword}`: `{t}` is outside the range [{min}, {max}] - ignoring"),
            );
            None
        }
        None => {
            d.warn(
                w.loc,
                format!("`{keyword}`: `{t}` is not an integer (range [{min}, {max}]) - ignoring"),
            );
            None
        }
    }
}

/// Decimal seconds with microsecond resolution (`1`, `0.05`, `2.5`), in `min..=max`.
pub fn seconds_in(
    d: &mut Diagnostics,
    keyword: &str,
    w: &Word,
    min: Duration,
    max: Duration,
) -> Option<Duration> {
    let range = format!("[{}, {}]", fmt_secs(min), fmt_secs(max));
    let Some(v) = parse_micros(&w.text) else {
        d.warn(
            w.loc,
            format!(
                "`{keyword}`: `{}` is not a number of seconds (range {range}) - ignoring",
                w.text
            ),
        );
        return None;
    };
    let v = Duration::from_micros(v);
    if v < min || v > max {
        d.warn(
            w.loc,
            format!(
                "`{keyword}`: `{}` is outside the range {range} seconds - ignoring",
                w.text
            ),
        );
        return None;
    }
    Some(v)
}

/// Decimal seconds, at most 6 decimals (keepalived: "has too many decimal places"), in `min..=max`.
/// [`seconds_in`] rounds further decimals instead.
pub fn timer_in(
    d: &mut Diagnostics,
    keyword: &str,
    w: &Word,
    min: Duration,
    max: Duration,
) -> Option<Duration> {
    if decimals(&w.text) > 6 {
        d.warn(
            w.loc,
            format!(
                "`{keyword}`: `{}` has more than 6 decimal places (resolution is 1 µs) - ignoring",
                w.text
            ),
        );
        return None;
    }
    seconds_in(d, keyword, w, min, max)
}

/// Number of digits after the decimal point.
pub fn decimals(s: &str) -> usize {
    s.split_once('.').map_or(0, |(_, f)| f.len())
}

/// Milliseconds with microsecond resolution (`3.312`), at most 3 decimals, in `min..=max` ms.
pub fn millis_in(
    d: &mut Diagnostics,
    keyword: &str,
    w: &Word,
    min_ms: u64,
    max_ms: u64,
) -> Option<Duration> {
    let range = format!("[{min_ms}, {max_ms}] ms");
    if decimals(&w.text) > 3 {
        d.warn(
            w.loc,
            format!(
                "`{keyword}`: `{}` has more than 3 decimal places (milliseconds, resolution 1 µs) - ignoring",
                w.text
            ),
        );
        return None;
    }
    // `parse_micros` reads seconds to 6 decimals; read as milliseconds, that is nanoseconds.
    let Some(ns) = parse_micros(&w.text) else {
        d.warn(
            w.loc,
            format!(
                "`{keyword}`: `{}` is not a number of milliseconds (range {range}) - ignoring",
                w.text
            ),
        );
        return None;
    };
    let v = Duration::from_nanos(ns);
    if v < Duration::from_millis(min_ms) || v > Duration::from_millis(max_ms) {
        d.warn(
            w.loc,
            format!(
                "`{keyword}`: `{}` is outside the range {range} - ignoring",
                w.text
            ),
        );
        return None;
    }
    Some(v)
}

/// Parses `12`, `12.5`, `.5`, `0.000001` into microseconds (more than 6 decimals are rounded).
pub fn parse_micros(s: &str) -> Option<u64> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut micros = 0u64;
    for (i, c) in frac.chars().enumerate() {
        let digit = c as u64 - '0' as u64;
        if i < 6 {
            micros += digit * 10u64.pow(5 - i as u32);
        } else if i == 6 && digit >= 5 {
            micros += 1;
        }
    }
    whole.checked_mul(1_000_000)?.checked_add(micros)
}

/// Seconds as the shortest decimal: `1`, `0.05`, `2.000001`.
pub fn fmt_secs(d: Duration) -> String {
    let us = d.as_micros();
    let (s, frac) = (us / 1_000_000, us % 1_000_000);
    if frac == 0 {
        s.to_string()
    } else {
        format!("{s}.{}", format!("{frac:06}").trim_end_matches('0'))
    }
}

/// Milliseconds as the shortest decimal: `10`, `3.312`.
pub fn fmt_millis(v: Duration) -> String {
    let us = v.as_micros();
    let (ms, frac) = (us / 1000, us % 1000);
    if frac == 0 {
        ms.to_string()
    } else {
        format!("{ms}.{}", format!("{frac:03}").trim_end_matches('0'))
    }
}

pub fn ip(d: &mut Diagnostics, keyword: &str, w: &Word) -> Option<IpAddr> {
    match w.text.parse::<IpAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            d.warn(
                w.loc,
                format!("`{keyword}`: `{}` is not an IP address - ignoring", w.text),
            );
            None
        }
    }
}

/// An address with an optional prefix length: `10.0.0.1`, `10.0.0.1/24`, `fe80::1/64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: Option<u8>,
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.len {
            Some(l) => write!(f, "{}/{l}", self.addr),
            None => write!(f, "{}", self.addr),
        }
    }
}

pub fn parse_prefix(s: &str) -> Option<Prefix> {
    let (a, l) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr: IpAddr = a.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match l {
        Some(l) => {
            let v: u8 = l.parse().ok()?;
            if v > max {
                return None;
            }
            Some(v)
        }
        None => None,
    };
    Some(Prefix { addr, len })
}

pub fn prefix(d: &mut Diagnostics, keyword: &str, w: &Word) -> Option<Prefix> {
    let p = parse_prefix(&w.text);
    if p.is_none() {
        d.warn(
            w.loc,
            format!(
                "`{keyword}`: `{}` is not an address or address/prefix - ignoring",
                w.text
            ),
        );
    }
    p
}

// ---------------------------------------------------------------------------------------------
// Keywords and blocks.

/// Reports an unknown keyword with the nearest known one as a hint.
pub fn unknown(d: &mut Diagnostics, word: &Word, known: &[&str], context: &str) {
    let diag = d.warn(
        word.loc,
        format!("unknown keyword `{}` in {context} - ignoring", word.text),
    );
    did_you_mean(diag, &word.text, known);
}

/// Adds "did you mean `KNOWN`?" to `diag` when a known word is close to `word` (see [`closest`]).
pub fn did_you_mean(diag: &mut Diagnostic, word: &str, known: &[&str]) {
    if diag.suppressed() {
        return;
    }
    if let Some(best) = closest(word, known) {
        diag.hint(format!("did you mean `{best}`?"));
    }
}

/// Reports a keyword that needs a block and has none, or takes no block and has one.
pub fn expect_block<'n>(d: &mut Diagnostics, node: &'n Node) -> Option<&'n super::tree::Block> {
    if node.block.is_none() {
        d.warn(
            node.loc,
            format!("`{}` needs a block `{{ ... }}` - ignoring", node.keyword()),
        );
    }
    node.block.as_ref()
}

pub fn no_block(d: &mut Diagnostics, node: &Node) {
    if let Some(b) = &node.block {
        d.warn(
            b.open,
            format!("`{}` takes no block - block ignored", node.keyword()),
        );
    }
}

/// The nearest known word by edit distance (Damerau-Levenshtein, optimal string alignment), if it
/// is close enough to be a plausible typo.
pub fn closest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let a: Vec<char> = word.chars().collect();
    // Keywords are short; a long word is no typo of one (and would cost a long comparison).
    if a.len() > 64 {
        return None;
    }
    let limit = (a.len() / 3).clamp(1, 4);
    let mut rows = [Vec::new(), Vec::new(), Vec::new()];
    let mut b = Vec::new();
    let mut best: Option<(usize, &'k str)> = None;
    for k in known {
        // The distance is at least the difference in length.
        let klen = k.chars().count();
        if klen.abs_diff(a.len()) > limit {
            continue;
        }
        b.clear();
        b.extend(k.chars());
        let dist = edit_distance(&a, &b, &mut rows);
        if dist <= limit && best.is_none_or(|(d, bk)| (dist, k.len()) < (d, bk.len())) {
            best = Some((dist, k));
        }
    }
    best.map(|(_, k)| k)
}

/// Optimal string alignment distance, with three rows of the matrix reused across calls.
fn edit_distance(a: &[char], b: &[char], rows: &mut [Vec<usize>; 3]) -> usize {
    let n = b.len() + 1;
    for r in rows.iter_mut() {
        r.clear();
        r.resize(n, 0);
    }
    // rows[0]: i-2, rows[1]: i-1, rows[2]: i.
    for (j, cell) in rows[1].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[2][0] = i;
        for j in 1..n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[1][j] + 1)
                .min(rows[2][j - 1] + 1)
                .min(rows[1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[0][j - 2] + 1);
            }
            rows[2][j] = v;
        }
        rows.rotate_left(1);
    }
    // After the last rotation the row of i = a.len() is rows[1].
    rows[1][n - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::source::{FileId, Loc};

    fn w(text: &str) -> Word {
        Word {
            text: text.into(),
            loc: Loc {
                file: FileId(0),
                line: 7,
                col: 12,
            },
            quoted: false,
        }
    }

    #[test]
    fn booleans() {
        for (s, v) in [
            ("on", true),
            ("YES", true),
            ("true", true),
            ("off", false),
            ("No", false),
            ("false", false),
        ] {
            assert_eq!(parse_bool(s), Some(v), "{s}");
        }
        assert_eq!(parse_bool("1"), None);
    }

    #[test]
    fn micros_table() {
        for (s, v) in [
            ("1", Some(1_000_000)),
            ("0.05", Some(50_000)),
            (".5", Some(500_000)),
            ("2.000001", Some(2_000_001)),
            ("0.0000015", Some(2)),
            ("3.", Some(3_000_000)),
            ("", None),
            (".", None),
            ("1e3", None),
            ("-1", None),
            ("1.2.3", None),
        ] {
            assert_eq!(parse_micros(s), v, "{s}");
        }
        assert_eq!(fmt_secs(Duration::from_micros(50_000)), "0.05");
        assert_eq!(fmt_secs(Duration::from_secs(3)), "3");
    }

    #[test]
    fn ranges_report_the_range_and_location() {
        let mut d = Diagnostics::default();
        assert_eq!(int_in(&mut d, "priority", &w("300"), 1, 255), None);
        assert_eq!(
            d.list[0].message,
            "`priority`: `300` is outside the range [1, 255] - ignoring"
        );
        assert_eq!(
            d.list[0].loc,
            Some(Loc {
                file: FileId(0),
                line: 7,
                col: 12
            })
        );
        assert_eq!(int_in(&mut d, "priority", &w("abc"), 1, 255), None);
        assert_eq!(
            d.list[1].message,
            "`priority`: `abc` is not an integer (range [1, 255]) - ignoring"
        );
        assert_eq!(int_in(&mut d, "x", &w("0x10"), 0, 255), Some(16));
        let r = seconds_in(
            &mut d,
            "advert_int",
            &w("0"),
            Duration::from_micros(1),
            Duration::from_secs(255),
        );
        assert_eq!(r, None);
        assert_eq!(
            d.list[2].message,
            "`advert_int`: `0` is outside the range [0.000001, 255] seconds - ignoring"
        );
    }

    #[test]
    fn decimal_only_integers() {
        let mut d = Diagnostics::default();
        assert_eq!(dec_in(&mut d, "k", &w("+5"), 0, 10), Some(5));
        assert_eq!(dec_in(&mut d, "k", &w("-3"), -5, 5), Some(-3));
        assert!(d.list.is_empty());
        assert_eq!(dec_in(&mut d, "k", &w("0x10"), 0, 255), None);
        assert_eq!(
            d.list[0].message,
            "`k`: `0x10` is not an integer (range [0, 255]) - ignoring"
        );
        assert_eq!(
            dec_in(&mut d, "k", &w("99999999999999999999"), 0, 255),
            None
        );
        assert_eq!(
            d.list[1].message,
            "`k`: `99999999999999999999` is not an integer (range [0, 255]) - ignoring"
        );
        assert!(matches!(parse_dec("-12"), Ok(-12)));
        assert!(matches!(parse_dec("1e3"), Err(NumError::Invalid)));
        assert!(matches!(parse_dec(&"9".repeat(40)), Err(NumError::Range)));
        assert_eq!(parse_uint("0x12"), Some(18));
        assert_eq!(parse_uint("18"), Some(18));
        assert_eq!(parse_uint("-1"), None);
        assert_eq!(parse_uint(""), None);
        assert_eq!(fmt_millis(Duration::from_micros(3312)), "3.312");
        assert_eq!(fmt_millis(Duration::from_millis(10)), "10");
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            parse_prefix("10.0.0.1/24").unwrap().to_string(),
            "10.0.0.1/24"
        );
        assert_eq!(parse_prefix("fe80::1").unwrap().len, None);
        assert!(parse_prefix("10.0.0.1/33").is_none());
        assert!(parse_prefix("10.0.0/24").is_none());
    }

    #[test]
    fn did_you_mean() {
        let known = [
            "priority",
            "state",
            "interface",
            "virtual_router_id",
            "advert_int",
        ];
        assert_eq!(closest("prioirty", &known), Some("priority"));
        assert_eq!(closest("interfce", &known), Some("interface"));
        assert_eq!(
            closest("virtual_routr_id", &known),
            Some("virtual_router_id")
        );
        assert_eq!(closest("zzzz", &known), None);
        let mut d = Diagnostics::default();
        unknown(&mut d, &w("prioirty"), &known, "vrrp_instance VI_1");
        assert_eq!(
            d.list[0].message,
            "unknown keyword `prioirty` in vrrp_instance VI_1 - ignoring"
        );
        assert_eq!(d.list[0].hint.as_deref(), Some("did you mean `priority`?"));
    }
}
