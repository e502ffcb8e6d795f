//! Readers shared by `global_defs` and `bfd_instance`, where keepalived's rules differ from the
//! generic ones in [`crate::config::value`]:
//!
//! - keepalived silently ignores words after the value of most keywords (`router_id a b` is `a`),
//!   and words after a pure flag (`vrrp_strict off` *enables* strict mode). Those are Notes here, not
//!   Warnings, so that `-t` agrees with keepalived's exit status.
//! - its timers reject more than 6 decimal places instead of rounding.
//!
//! Every reader reports its own problem at the offending word and returns `None` (the caller keeps
//! the previous value, as keepalived does).

use std::time::Duration;

use crate::config::source::Diagnostics;
use crate::config::tree::{Node, Word};
use crate::config::value;

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
        if value::parse_bool(&w.text) == Some(false) {
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
    match value::parse_bool(&w.text) {
        Some(b) => Some(b),
        None => {
            d.warn(
                w.loc,
                format!(
                    "`{}`: invalid boolean `{}` (use on|off|true|false|yes|no) - ignoring",
                    node.keyword(),
                    w.text
                ),
            );
            None
        }
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

/// A decimal integer in `min..=max`. keepalived reads numbers in base 10 (`0x10` is "invalid
/// number"), so unlike [`value::int_in`] hexadecimal is refused here.
pub fn int_in(d: &mut Diagnostics, keyword: &str, w: &Word, min: i64, max: i64) -> Option<i64> {
    let t = w.text.as_str();
    if t.starts_with("0x") || t.starts_with("0X") {
        d.warn(
            w.loc,
            format!("`{keyword}`: `{t}` is not an integer (range [{min}, {max}]) - ignoring"),
        );
        return None;
    }
    value::int_in(d, keyword, w, min, max)
}

/// An integer argument in `min..=max` (see [`first`] and [`int_in`]).
pub fn int(d: &mut Diagnostics, node: &Node, min: i64, max: i64) -> Option<i64> {
    let w = first(d, node)?;
    int_in(d, node.keyword(), w, min, max)
}

/// Decimal seconds, at most 6 decimals (keepalived: "has too many decimal places"), in `min..=max`.
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
    value::seconds_in(d, keyword, w, min, max)
}

/// [`timer_in`] for the first argument.
pub fn timer(d: &mut Diagnostics, node: &Node, min: Duration, max: Duration) -> Option<Duration> {
    let w = first(d, node)?;
    timer_in(d, node.keyword(), w, min, max)
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
    let Some(ns) = value::parse_micros(&w.text) else {
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
