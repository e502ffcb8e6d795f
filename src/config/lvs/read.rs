//! Statement and number readers with keepalived's checker-parser rules (private to the LVS
//! section); the word readers they share with the other sections are in [`crate::config::value`].
//!
//! Why they are not value.rs's: a keyword whose value is missing where keepalived reads it
//! unconditionally stops keepalived's parser altogether ("is missing a parameter", exit status 2),
//! a fatal error here, where value.rs's [`value::first`] warns. The rest says the same things as
//! value.rs in other words, which the LVS tests pin down: extra words are a note listing them all
//! ([`value::extra`] counts them), numbers are "not a decimal integer" with a message of their own
//! for a negative one ([`value::dec_in`]: "not an integer"), and timers have a message for a
//! negative value and round past 6 decimals ([`value::timer_in`] refuses them).

use std::net::IpAddr;
use std::time::Duration;

use crate::config::source::Diagnostics;
use crate::config::tree::{Node, Word};
use crate::config::value::{self, NumError, fmt_secs, parse_dec, parse_micros};

/// The first value of `node`. Missing: fatal, as keepalived's parser stops there. Extra words: a
/// note (keepalived ignores them silently).
pub(super) fn arg1<'n>(d: &mut Diagnostics, node: &'n Node) -> Option<&'n Word> {
    let args = node.args();
    match args.first() {
        None => {
            d.fatal(
                node.loc,
                format!(
                    "`{}` needs a value; keepalived stops reading the configuration here",
                    node.keyword()
                ),
            );
            None
        }
        Some(first) => {
            extra_words(d, node, 1);
            Some(first)
        }
    }
}

/// The first value of `node`, fatal if missing (as [`arg1`]); further words are the caller's.
pub(super) fn arg1_quiet<'n>(d: &mut Diagnostics, node: &'n Node) -> Option<&'n Word> {
    let first = node.args().first();
    if first.is_none() {
        d.fatal(
            node.loc,
            format!(
                "`{}` needs a value; keepalived stops reading the configuration here",
                node.keyword()
            ),
        );
    }
    first
}

/// A note for words after the first `used` values, which keepalived ignores silently.
pub(super) fn extra_words(d: &mut Diagnostics, node: &Node, used: usize) {
    if let Some(extra) = node.args().get(used) {
        let rest: Vec<&str> = node.args()[used..]
            .iter()
            .map(|w| w.text.as_str())
            .collect();
        d.note(
            extra.loc,
            format!(
                "`{}`: extra `{}` ignored (keepalived ignores it too)",
                node.keyword(),
                rest.join(" ")
            ),
        );
    }
}

/// The words after the keyword joined by single spaces (keepalived's `set_value`), or `None` with
/// a warning naming `what` when there are none.
pub(super) fn text(d: &mut Diagnostics, node: &Node, what: &str) -> Option<String> {
    if node.args().is_empty() {
        d.warn(
            node.loc,
            format!("`{}` needs {what} - ignoring", node.keyword()),
        );
        return None;
    }
    Some(join(node.args()))
}

pub(super) fn join(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An unsigned decimal integer in `min..=max` (keepalived's `read_unsigned`).
pub(super) fn uint(
    d: &mut Diagnostics,
    keyword: &str,
    w: &Word,
    min: u64,
    max: u64,
) -> Option<u64> {
    dec(d, keyword, w, min.into(), max.into(), true).map(|v| v as u64)
}

/// A signed decimal integer in `min..=max`.
pub(super) fn int(d: &mut Diagnostics, keyword: &str, w: &Word, min: i64, max: i64) -> Option<i64> {
    dec(d, keyword, w, min.into(), max.into(), false).map(|v| v as i64)
}

/// [`uint`] (a negative value has a message of its own) and [`int`]. Unlike [`value::dec_in`],
/// a number too long for any range is out of range rather than not a number, and the message
/// says "decimal" (keepalived's checker parser says "invalid number").
fn dec(
    d: &mut Diagnostics,
    keyword: &str,
    w: &Word,
    min: i128,
    max: i128,
    unsigned: bool,
) -> Option<i128> {
    let t = w.text.as_str();
    let msg = match parse_dec(t) {
        Ok(v) if unsigned && v < 0 => {
            format!("`{keyword}`: `{t}` is negative (range [{min}, {max}]) - ignoring")
        }
        Ok(v) if (min..=max).contains(&v) => return Some(v),
        Ok(_) | Err(NumError::Range) => {
            format!("`{keyword}`: `{t}` is outside the range [{min}, {max}] - ignoring")
        }
        Err(NumError::Invalid) => {
            format!("`{keyword}`: `{t}` is not a decimal integer (range [{min}, {max}]) - ignoring")
        }
    };
    d.warn(w.loc, msg);
    None
}

/// The largest timer keepalived accepts where it sets no upper bound (`ULONG_MAX - 1` µs).
pub(super) const TIMER_MAX: Duration = Duration::from_micros(u64::MAX - 1);

/// A timer in seconds with microsecond resolution in `min..=max` (keepalived's `read_timer`).
pub(super) fn timer(
    d: &mut Diagnostics,
    keyword: &str,
    w: &Word,
    min: Duration,
    max: Duration,
) -> Option<Duration> {
    let t = w.text.as_str();
    // Formatted only for a message: this runs for every timer of every checker.
    let range = || {
        if max == TIMER_MAX {
            format!("at least {} seconds", fmt_secs(min))
        } else {
            format!("range [{}, {}] seconds", fmt_secs(min), fmt_secs(max))
        }
    };
    if t.starts_with('-') {
        d.warn(
            w.loc,
            format!("`{keyword}`: `{t}` is negative ({}) - ignoring", range()),
        );
        return None;
    }
    let Some(us) = parse_micros(t) else {
        d.warn(
            w.loc,
            format!(
                "`{keyword}`: `{t}` is not a number of seconds ({}) - ignoring",
                range()
            ),
        );
        return None;
    };
    let v = Duration::from_micros(us);
    if v < min || v > max {
        d.warn(
            w.loc,
            format!(
                "`{keyword}`: `{t}` is out of range ({}) - ignoring",
                range()
            ),
        );
        return None;
    }
    Some(v)
}

/// `keyword [BOOL]`: no value means true; an invalid value is a warning and `None` (the setting is
/// left as it was, as keepalived does).
pub(super) fn opt_bool(d: &mut Diagnostics, node: &Node) -> Option<bool> {
    let Some(w) = node.args().first() else {
        return Some(true);
    };
    extra_words(d, node, 1);
    value::bool_in(d, node.keyword(), w)
}

/// A port number 1..=65535; `0` (and `00`...) means "no port", as keepalived reads it.
pub(super) fn port(d: &mut Diagnostics, keyword: &str, w: &Word) -> Option<u16> {
    if !w.text.is_empty() && w.text.bytes().all(|b| b == b'0') {
        return Some(0);
    }
    uint(d, keyword, w, 1, 65535).map(|p| p as u16)
}

/// An IP address (no prefix, no brackets).
pub(super) fn ip_addr(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}
