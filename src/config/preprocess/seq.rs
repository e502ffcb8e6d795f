//! `~SEQ(...)`, `~SEQx(...)` and `~LST(...)`: the rest of the line once per value.

use super::*;

impl<'a> Pre<'a> {
    /// Step 4c: `~SEQ(VAR, [START,] [STEP,] END) rest`, `~SEQx(...)` (hexadecimal values) and
    /// `~LST(VAR, V1, V2...)` / `~LST({VAR1, VAR2}, {V1, V2}, ...)`: `rest` once per value, with
    /// the variables defined. Definitions in the parameters are substituted first. An invalid
    /// header is a warning and the line produces nothing (keepalived: "Invalid ~SEQ ...").
    pub(super) fn sequence(&mut self, f: &mut FileCtx, line_no: u32, t: &[Ch], nest: u32) {
        let (hex, list, mut k) = if starts_with(t, "~SEQx") {
            (true, false, 5)
        } else if starts_with(t, "~SEQ") {
            (false, false, 4)
        } else {
            (false, true, 4)
        };
        let what = if list {
            "~LST"
        } else if hex {
            "~SEQx"
        } else {
            "~SEQ"
        };
        let head_loc = f.loc(line_no, t[0].col);
        while k < t.len() && is_blank(t[k].c) {
            k += 1;
        }
        if t.get(k).map(|c| c.c) != Some('(') {
            self.diags.warn(
                head_loc,
                format!("invalid {what}: expected `(` after `{what}`; line ignored"),
            );
            return;
        }
        let Some(close) = t[k..].iter().position(|c| c.c == ')').map(|p| p + k) else {
            self.diags.warn(
                head_loc,
                format!("invalid {what}: no closing `)`; line ignored"),
            );
            return;
        };
        let mut header = t[k + 1..close].to_vec();
        let mut rest = t[close + 1..].to_vec();
        trim(&mut rest);
        let mut extra = Vec::new();
        self.substitute(f, line_no, &mut header, &mut extra);
        if !extra.is_empty() {
            self.diags.warn(
                head_loc,
                format!("invalid {what}: a multi-line definition in its parameters; line ignored"),
            );
            return;
        }
        let iterations = if list {
            parse_list(&header)
        } else {
            parse_seq(&header, hex).map(|s| Iterations::Seq(s, hex))
        };
        let iterations = match iterations {
            Ok(it) => it,
            Err((col, why)) => {
                let col = col.unwrap_or(t[0].col);
                self.diags.warn(
                    f.loc(line_no, col),
                    format!("invalid {what}: {why}; line ignored"),
                );
                return;
            }
        };
        if rest.is_empty() {
            return;
        }
        match iterations {
            Iterations::Seq(seq, hex) => {
                let mut v = seq.start;
                loop {
                    let text = if hex { format!("{v:x}") } else { v.to_string() };
                    self.set_var(&seq.var, text);
                    self.line(f, line_no, rest.clone(), false, nest + 1);
                    if self.stopped {
                        break;
                    }
                    match v.checked_add(seq.step) {
                        Some(next)
                            if (seq.step > 0 && next <= seq.end)
                                || (seq.step < 0 && next >= seq.end) =>
                        {
                            v = next
                        }
                        _ => break,
                    }
                }
            }
            Iterations::List(vars, groups) => {
                for group in groups {
                    for (i, var) in vars.iter().enumerate() {
                        self.set_var(var, group.get(i).cloned().unwrap_or_default());
                    }
                    self.line(f, line_no, rest.clone(), false, nest + 1);
                    if self.stopped {
                        break;
                    }
                }
            }
        }
    }
}

/// Which iterations a `~SEQ` or `~LST` header asks for.
pub(super) enum Iterations {
    Seq(Seq, bool),
    List(Vec<String>, Vec<Vec<String>>),
}

#[derive(Debug, PartialEq, Eq)]
pub(super) struct Seq {
    var: String,
    start: i64,
    step: i64,
    end: i64,
}

/// A header error: the column of the offending part (if known) and why.
pub(super) type HeaderError = (Option<u32>, String);

/// Splits header characters at top-level commas (not inside `{...}`), trimmed.
pub(super) fn split_commas(h: &[Ch]) -> Vec<Vec<Ch>> {
    let mut parts = vec![Vec::new()];
    let mut depth = 0u32;
    for &ch in h {
        match ch.c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(ch);
        }
    }
    for p in &mut parts {
        trim(p);
    }
    parts
}

/// `VAR, [START,] [STEP,] END` with keepalived's defaults: START is 1 (-1 if END < 0), STEP is 1
/// or -1 towards END; numbers as C's `strtol(.., 0)` (decimal, 0x hex, 0 octal).
pub(super) fn parse_seq(h: &[Ch], hex: bool) -> Result<Seq, HeaderError> {
    let parts = split_commas(h);
    let usage = "expected (VAR, [START,] [STEP,] END)";
    let var = string_of(&parts[0]);
    if !is_name(&var) {
        return Err((
            parts[0].first().map(|c| c.col),
            format!("`{var}` is not a variable name, {usage}"),
        ));
    }
    if parts.len() < 2 || parts.len() > 4 {
        return Err((
            parts[0].first().map(|c| c.col),
            format!("{} parameters, {usage}", parts.len()),
        ));
    }
    let mut nums = Vec::new();
    for p in &parts[1..] {
        let s = string_of(p);
        match parse_c_long(&s) {
            Some(n) => nums.push(n),
            None => {
                return Err((
                    p.first().map(|c| c.col),
                    format!("`{s}` is not a number, {usage}"),
                ));
            }
        }
    }
    let (start, step, end) = match nums[..] {
        [end] => (
            if end < 0 { -1 } else { 1 },
            if end < 1 { -1 } else { 1 },
            end,
        ),
        [start, end] => (start, if start <= end { 1 } else { -1 }, end),
        [start, step, end] => (start, step, end),
        _ => unreachable!("1 to 3 numbers"),
    };
    if step == 0 || (start < end && step < 0) || (start > end && step > 0) {
        return Err((
            parts[1].first().map(|c| c.col),
            format!("step {step} does not go from {start} to {end}"),
        ));
    }
    if hex && (start < 0 || end < 0) {
        return Err((
            parts[1].first().map(|c| c.col),
            "~SEQx takes only non-negative numbers".into(),
        ));
    }
    Ok(Seq {
        var,
        start,
        step,
        end,
    })
}

/// `VAR, V1, V2...` or `{VAR1, VAR2}, {V1, V2}, {V3, V4}...` (values without blanks or quotes,
/// possibly empty; a group with fewer values leaves the other variables empty).
pub(super) fn parse_list(h: &[Ch]) -> Result<Iterations, HeaderError> {
    let parts = split_commas(h);
    let col = |p: &Vec<Ch>| p.first().map(|c| c.col);
    let usage = "expected (VAR, VALUE...) or ({VAR, ...}, {VALUE, ...}...)";
    if parts.len() < 2 {
        return Err((col(&parts[0]), format!("no values, {usage}")));
    }
    let vars = group_items(&parts[0]).ok_or((col(&parts[0]), usage.to_string()))?;
    if let Some(bad) = vars.iter().find(|v| !is_name(v)) {
        return Err((
            col(&parts[0]),
            format!("`{bad}` is not a variable name, {usage}"),
        ));
    }
    let mut groups = Vec::new();
    for p in &parts[1..] {
        let values =
            group_items(p).ok_or((col(p), format!("bad value `{}`, {usage}", string_of(p))))?;
        if values.len() > vars.len() {
            return Err((
                col(p),
                format!("{} values for {} variables", values.len(), vars.len()),
            ));
        }
        if let Some(bad) = values.iter().find(|v| {
            v.chars()
                .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '{' | '}'))
        }) {
            return Err((
                col(p),
                format!("bad value `{bad}` (no blanks or quotes), {usage}"),
            ));
        }
        groups.push(values);
    }
    Ok(Iterations::List(vars, groups))
}

/// `x` gives `[x]`; `{a, b}` gives `[a, b]`; unbalanced braces give `None`.
pub(super) fn group_items(p: &[Ch]) -> Option<Vec<String>> {
    let s = string_of(p);
    match s.strip_prefix('{') {
        Some(inner) => {
            let inner = inner.strip_suffix('}')?;
            Some(
                inner
                    .split(',')
                    .map(|v| v.trim_matches([' ', '\t']).to_string())
                    .collect(),
            )
        }
        None if s.contains(['{', '}']) => None,
        None => Some(vec![s]),
    }
}

/// C's `strtol(s, .., 0)` over the whole string: sign, then `0x` hex, `0` octal or decimal.
pub(super) fn parse_c_long(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, h)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    i64::try_from(if neg { -magnitude } else { magnitude }).ok()
}
