//! The `url` block of an HTTP_GET / SSL_GET checker.

use super::*;

pub(super) const URL_KNOWN: &[&str] = &[
    "path",
    "digest",
    "status_code",
    "virtualhost",
    "regex",
    "regex_no_match",
    "regex_options",
    "regex_min_offset",
    "regex_max_offset",
    "regex_stack",
];

pub(super) fn parse_url(node: &Node, d: &mut Diagnostics) -> Option<Url> {
    read::extra_words(d, node, 0);
    needs_block(d, node);
    let mut path: Option<String> = None;
    let mut digest = None;
    let mut codes: Option<StatusCodes> = None;
    let mut virtualhost = None;
    let mut pattern: Option<String> = None;
    let mut no_match = false;
    let mut options: Vec<String> = Vec::new();
    let mut min_offset = 0u64;
    let mut max_offset: Option<u64> = None;
    let mut stack = None;
    for n in node.children() {
        let Some(kw) = n.words.first() else { continue };
        let k = kw.text.as_str();
        if URL_KNOWN.contains(&k) {
            value::no_block(d, n);
        }
        match k {
            "path" => {
                if read::arg1_quiet(d, n).is_some() {
                    path = Some(read::join(n.args()));
                }
            }
            "digest" => {
                let Some(w) = read::arg1(d, n) else { continue };
                if digest.is_some() {
                    d.warn(w.loc, "`digest` given again - ignoring");
                    continue;
                }
                match parse_digest(&w.text) {
                    Ok(v) => digest = Some(v),
                    Err(why) => {
                        d.warn(w.loc, format!("`digest`: `{}` {why} - ignoring", w.text))
                            .hint("compute it with `genhash -s SERVER -p PORT -u PATH`");
                    }
                }
            }
            "status_code" => {
                let set = codes.get_or_insert_with(|| StatusCodes(Vec::new()));
                for w in n.args() {
                    match parse_code_range(&w.text) {
                        Some((lo, hi)) => set.add(lo, hi),
                        None => {
                            d.warn(
                                w.loc,
                                format!(
                                    "`status_code`: `{}` is not a code or range in 100..599 - ignoring",
                                    w.text
                                ),
                            );
                        }
                    }
                }
            }
            "virtualhost" => {
                if let Some(v) = read::text(d, n, "a host name") {
                    virtualhost = Some(v);
                }
            }
            "regex" => {
                if n.args().len() != 1 {
                    d.note(
                        n.loc,
                        "`regex` takes exactly one (quoted) pattern - ignored (keepalived only logs this)",
                    );
                } else {
                    pattern = Some(n.args()[0].text.clone());
                }
            }
            "regex_no_match" => {
                read::extra_words(d, n, 0);
                no_match = true;
            }
            "regex_options" => {
                for w in n.args() {
                    if REGEX_OPTIONS.contains(&w.text.as_str()) {
                        if !options.contains(&w.text) {
                            options.push(w.text.clone());
                        }
                    } else {
                        let diag = d.note(
                            w.loc,
                            format!(
                                "`regex_options`: unknown option `{}` - keepalived ignores it silently",
                                w.text
                            ),
                        );
                        value::did_you_mean(diag, &w.text, REGEX_OPTIONS);
                    }
                }
            }
            "regex_min_offset" | "regex_max_offset" => {
                let v = match n.args() {
                    [w] if !w.text.is_empty() && w.text.bytes().all(|b| b.is_ascii_digit()) => {
                        w.text.parse::<u64>().ok()
                    }
                    _ => None,
                };
                match v {
                    Some(v) if k == "regex_min_offset" => min_offset = v,
                    Some(v) => max_offset = Some(v),
                    None => {
                        d.note(
                            n.loc,
                            format!(
                                "`{k}` takes one decimal offset - ignored (keepalived only logs this)"
                            ),
                        );
                    }
                }
            }
            "regex_stack" => {
                let v = match n.args() {
                    [a, b] => a.text.parse::<u64>().ok().zip(b.text.parse::<u64>().ok()),
                    _ => None,
                };
                match v {
                    Some((a, b)) if a <= b => stack = Some((a, b)),
                    _ => {
                        d.note(
                            n.loc,
                            "`regex_stack` takes START MAX with START <= MAX - ignored (keepalived only logs this)",
                        );
                    }
                }
            }
            _ => value::unknown(d, kw, URL_KNOWN, "url"),
        }
    }
    let Some(path) = path else {
        d.warn(node.loc, "`url` has no `path` - url ignored");
        return None;
    };
    let regex = match pattern {
        Some(pattern) => {
            let (mut min_offset, mut max_offset) = (min_offset, max_offset);
            if let Some(max) = max_offset
                && min_offset > max
            {
                d.note(
                        node.loc,
                        format!(
                            "regex_min_offset {min_offset} > regex_max_offset {max} - both ignored (keepalived only logs this)"
                        ),
                    );
                min_offset = 0;
                max_offset = None;
            }
            Some(Regex {
                pattern,
                no_match,
                options,
                min_offset,
                max_offset,
                stack,
            })
        }
        None => {
            if no_match
                || !options.is_empty()
                || min_offset != 0
                || max_offset.is_some()
                || stack.is_some()
            {
                d.note(
                    node.loc,
                    "regex options without `regex` - ignored (keepalived only logs this)",
                );
            }
            None
        }
    };
    Some(Url {
        path,
        digest,
        status_codes: codes.filter(|c| !c.0.is_empty()).unwrap_or_default(),
        virtualhost,
        regex,
    })
}

pub(super) fn parse_digest(s: &str) -> Result<[u8; 16], String> {
    if s.len() != 32 {
        return Err(format!("has {} characters, an MD5 digest has 32", s.len()));
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        let pair = s.get(2 * i..2 * i + 2).ok_or("is not hexadecimal")?;
        *b = u8::from_str_radix(pair, 16)
            .map_err(|_| format!("has a non-hex digit at offset {}", 2 * i))?;
    }
    Ok(out)
}

pub(super) fn parse_code_range(s: &str) -> Option<(u16, u16)> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return None;
    }
    let lo: u16 = a.parse().ok()?;
    let hi: u16 = b.parse().ok()?;
    ((100..=599).contains(&lo) && (100..=599).contains(&hi) && lo <= hi).then_some((lo, hi))
}
