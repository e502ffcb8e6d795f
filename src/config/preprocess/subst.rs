//! Definitions and their substitution: `$NAME=value`, `$NAME`, `${NAME}` and the built-ins.

use super::*;

impl<'a> Pre<'a> {
    /// `$NAME=value`: (re)defines NAME. With `cont`, the value is the first line of a multi-line
    /// definition and the following physical lines are collected into it.
    pub(super) fn define(&mut self, f: &mut FileCtx, name: String, mut value: Vec<Ch>, cont: bool) {
        if cont {
            strip_continuation(&mut value);
            let lines = if value.is_empty() {
                Vec::new()
            } else {
                vec![string_of(&value)]
            };
            self.defs.insert(
                name.clone(),
                Def {
                    lines,
                    multiline: true,
                },
            );
            f.collecting = Some(name);
        } else {
            self.defs.insert(
                name,
                Def {
                    lines: vec![string_of(&value)],
                    multiline: false,
                },
            );
        }
    }

    /// One left-to-right substitution pass over `t` (step 4d). Inserted text is rescanned at once,
    /// so definitions may use definitions; the lines after the first of a multi-line definition go
    /// to the front of `pending`. Returns whether anything changed.
    pub(super) fn substitute(
        &mut self,
        f: &FileCtx,
        line_no: u32,
        t: &mut Vec<Ch>,
        pending: &mut Vec<Vec<Ch>>,
    ) -> bool {
        let mut changed = false;
        let mut i = 0;
        while i + 1 < t.len() {
            if t[i].c != '$' {
                i += 1;
                continue;
            }
            let Some(u) = find_use(t, i) else {
                i += 1;
                continue;
            };
            let loc = f.loc(line_no, t[i].col);
            let at_end = u.end == t.len();
            let Some(value) = self.value_of(f, &u, at_end, loc) else {
                i += 1;
                continue;
            };
            if t[i].depth >= MAX_SUBST_DEPTH || t.len() > MAX_LINE_CHARS {
                if self.depth_reported != Some((f.id, line_no)) {
                    self.depth_reported = Some((f.id, line_no));
                    self.diags.warn(
                        loc,
                        format!(
                            "substitution of `${}` nests more than {MAX_SUBST_DEPTH} deep or grows \
                             the line past {MAX_LINE_CHARS} characters (a definition that uses \
                             itself?); left as is",
                            u.name
                        ),
                    );
                }
                i += 1;
                continue;
            }
            let (col, depth) = (t[i].col, t[i].depth + 1);
            let first = match value {
                Value::Line(s) => s,
                Value::Lines(mut lines) => {
                    let first = if lines.is_empty() {
                        String::new()
                    } else {
                        lines.remove(0)
                    };
                    let more = lines.iter().map(|l| chars_of(l, col, depth));
                    pending.splice(0..0, more);
                    first
                }
            };
            let starts_sequence = first.trim_start_matches([' ', '\t']).starts_with('~');
            t.splice(i..u.end, chars_of(&first, col, depth));
            changed = true;
            // keepalived: a value starting with `~` stops the pass, so that the `~SEQ` it
            // starts is handled before its variable is substituted.
            if starts_sequence {
                break;
            }
        }
        changed
    }

    /// The value a use stands for, or `None` to leave it as written: undefined names, parameters
    /// a definition does not take, a multi-line definition not at the end of the line.
    pub(super) fn value_of(
        &mut self,
        f: &FileCtx,
        u: &Use,
        at_end: bool,
        loc: Loc,
    ) -> Option<Value> {
        if let Some(def) = self.defs.get(&u.name) {
            if u.params.is_some() || (def.multiline && !at_end) {
                return None;
            }
            return Some(if def.multiline {
                Value::Lines(def.lines.clone())
            } else {
                Value::Line(def.lines.first().cloned().unwrap_or_default())
            });
        }
        let params = u.params.as_deref();
        let value = match (u.name.as_str(), params) {
            ("_PWD", None) => f.dir.display().to_string(),
            ("_INSTANCE", None) => self.opts.config_id.clone(),
            ("_HASH", None) => "#".to_string(),
            ("_BANG", None) => "!".to_string(),
            ("_RANDOM", p) => self.random(p.unwrap_or(""), loc)?,
            ("_ENV", Some(p)) => {
                let name = p.trim();
                if name.is_empty() || !name.chars().all(is_name_char) {
                    return None;
                }
                match (self.opts.env)(name) {
                    Some(v) => v,
                    None => {
                        self.diags.note(
                            loc,
                            format!(
                                "environment variable {name} is not set; ${{_ENV {name}}} is empty"
                            ),
                        );
                        String::new()
                    }
                }
            }
            _ => return None,
        };
        Some(Value::Line(value))
    }

    /// `${_RANDOM [MIN [MAX]]}`: uniform in MIN..=MAX, defaults 0 and 32767 (keepalived: the one
    /// parameter form gives MIN). Parameters other than decimal numbers leave the use as written.
    pub(super) fn random(&mut self, params: &str, loc: Loc) -> Option<String> {
        let words: Vec<&str> = params.split_ascii_whitespace().collect();
        if !words.iter().all(|w| w.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        let mut nums = Vec::new();
        for w in &words {
            match w.parse::<u64>() {
                Ok(n) => nums.push(n),
                Err(_) => {
                    self.diags.warn(
                        loc,
                        format!("${{_RANDOM}} parameter {w} is too large; left as is"),
                    );
                    return None;
                }
            }
        }
        if nums.len() > 2 {
            self.diags.warn(
                loc,
                format!(
                    "${{_RANDOM}} takes at most MIN and MAX; ignoring {}",
                    words[2..].join(" ")
                ),
            );
        }
        let mut min = nums.first().copied().unwrap_or(0);
        let mut max = nums.get(1).copied().unwrap_or(32767);
        if min > max {
            // keepalived 2.2.7 divides by zero here.
            self.diags.warn(
                loc,
                format!("${{_RANDOM {min} {max}}}: MIN is greater than MAX; using {max}..{min}"),
            );
            std::mem::swap(&mut min, &mut max);
        }
        let span = max - min;
        let offset = if span == u64::MAX {
            self.rng.next_u64()
        } else {
            self.rng.below(span + 1)
        };
        Some((min + offset).to_string())
    }

    /// A sequence variable; like keepalived, it stays defined after the sequence.
    pub(super) fn set_var(&mut self, name: &str, value: String) {
        self.defs.insert(
            name.to_string(),
            Def {
                lines: vec![value],
                multiline: false,
            },
        );
    }
}

/// `$NAME=value` (no blank before `=`): the name and the value without leading blanks.
pub(super) fn definition(t: &[Ch]) -> Option<(String, Vec<Ch>)> {
    if t.first()?.c != '$' || !is_name_start(t.get(1)?.c) {
        return None;
    }
    let eq = 1 + t[1..].iter().position(|c| !is_name_char(c.c))?;
    if t[eq].c != '=' {
        return None;
    }
    let mut value = t[eq + 1..].to_vec();
    trim(&mut value);
    Some((string_of(&t[1..eq]), value))
}

/// A use of a definition at `t[i]` (a `$`): `${NAME}`, `${NAME params}`, or `$NAME` followed by
/// a blank, `,`, `)` or the end of the line (keepalived's rule; `$NAME}` is not a use).
pub(super) fn find_use(t: &[Ch], i: usize) -> Option<Use> {
    let braces = t.get(i + 1)?.c == '{';
    let start = i + if braces { 2 } else { 1 };
    if !is_name_start(t.get(start)?.c) {
        return None;
    }
    let mut j = start;
    while j < t.len() && is_name_char(t[j].c) {
        j += 1;
    }
    let name = string_of(&t[start..j]);
    if !braces {
        let ok = j == t.len() || matches!(t[j].c, ' ' | '\t' | ',' | ')');
        return ok.then_some(Use {
            end: j,
            name,
            params: None,
        });
    }
    let mut params = None;
    if t.get(j)?.c == ' ' {
        let close = j + t[j..].iter().position(|c| c.c == '}')?;
        let p = &t[j..close];
        if p.last().map(|c| c.c) == Some(' ') || !p.iter().all(|c| c.c == ' ' || is_name_char(c.c))
        {
            return None;
        }
        params = Some(string_of(p).trim().to_string());
        j = close;
    }
    (t.get(j)?.c == '}').then_some(Use {
        end: j + 1,
        name,
        params,
    })
}

/// The column runs of `t` (see [`ColRun`]): typed characters in runs of consecutive columns,
/// inserted ones in runs of one `$` column.
pub(super) fn col_runs(t: &[Ch]) -> Vec<ColRun> {
    let mut runs: Vec<ColRun> = Vec::new();
    let mut prev: Option<&Ch> = None;
    for (i, ch) in t.iter().enumerate() {
        let inserted = ch.depth > 0;
        let goes_on = prev.is_some_and(|p| {
            (p.depth > 0) == inserted
                && if inserted {
                    p.col == ch.col
                } else {
                    p.col.checked_add(1) == Some(ch.col)
                }
        });
        if !goes_on {
            runs.push(ColRun {
                out: u32::try_from(i + 1).unwrap_or(u32::MAX),
                src: ch.col,
                inserted,
            });
        }
        prev = Some(ch);
    }
    runs
}
