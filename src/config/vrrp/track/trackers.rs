//! The top-level trackers: `vrrp_script`, `vrrp_track_process`, `vrrp_track_file`.

use super::*;

pub(in crate::config::vrrp) const SCRIPT_KEYWORDS: &[&str] = &[
    "script",
    "interval",
    "timeout",
    "weight",
    "rise",
    "fall",
    "user",
    "init_fail",
];

/// Whole seconds in [0, 4294] with millisecond resolution; 0 is read as 1 with a warning.
pub(super) fn script_secs(d: &mut Diagnostics, n: &Node, what: &str) -> Option<Duration> {
    let v = timer_arg(d, n, Duration::ZERO, Duration::from_secs(4294))?;
    if v.is_zero() {
        warn_at(
            d,
            At::node(n),
            format!("`{what}` must be greater than 0 - using 1"),
        );
        return Some(Duration::from_secs(1));
    }
    if v.subsec_micros() != 0
        && let Some(w) = n.args().first()
    {
        super::super::note_at(
            d,
            At::word(w),
            format!(
                "`{what}`: fractional seconds need keepalived 2.3 or later (2.2.7 reports `{}` as invalid)",
                w.text
            ),
        );
    }
    Some(v)
}

pub(in crate::config::vrrp) fn parse_script(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    let Some(name) = block_name(d, node) else {
        return;
    };
    let Some(b) = value::expect_block(d, node) else {
        return;
    };
    let mut s = VrrpScript::new(name);
    for n in &b.nodes {
        let Some(kw) = n.words.first() else { continue };
        match kw.text.as_str() {
            "script" => {
                value::no_block(d, n);
                let words: Vec<&str> = n.args().iter().map(|w| w.text.as_str()).collect();
                if words.is_empty() {
                    warn_at(d, At::node(n), "`script` needs a command - ignoring");
                } else {
                    s.script = words.join(" ");
                    s.script_at = At::word(&n.args()[0]);
                }
            }
            "interval" => {
                if let Some(t) = script_secs(d, n, "interval") {
                    s.interval = t;
                }
            }
            "timeout" => {
                if let Some(t) = script_secs(d, n, "timeout") {
                    s.timeout = Some(t);
                }
            }
            "weight" => {
                value::no_block(d, n);
                let args = n.args();
                match args.first() {
                    None => {
                        warn_at(d, At::node(n), "`weight` needs a value - ignoring");
                    }
                    Some(w) => {
                        if let Some(x) = value::int_in(d, "weight", w, -253, 253) {
                            s.weight = x as i32;
                        }
                        match args.get(1) {
                            None => {}
                            Some(r) if r.text == "reverse" => s.weight_reverse = true,
                            Some(r) => {
                                warn_at(
                                    d,
                                    At::word(r),
                                    format!(
                                        "`weight`: unknown option `{}` (use reverse) - ignoring",
                                        r.text
                                    ),
                                );
                            }
                        }
                        extra_words(d, "weight", args.get(2..).unwrap_or(&[]));
                    }
                }
            }
            "rise" | "fall" => {
                let v = int_arg(d, n, 1, i32::MAX as i64);
                let slot = if kw.text == "rise" {
                    &mut s.rise
                } else {
                    &mut s.fall
                };
                // keepalived: an invalid value resets to the default 1.
                *slot = v.map_or(1, |x| x as u32);
            }
            "user" => {
                value::no_block(d, n);
                let args = n.args();
                match args.first() {
                    None => {
                        warn_at(d, At::node(n), "`user` needs a user name - ignoring");
                    }
                    Some(u) => {
                        s.user = Some(u.text.clone());
                        s.group = args.get(1).map(|g| g.text.clone());
                        extra_words(d, "user", args.get(2..).unwrap_or(&[]));
                    }
                }
            }
            "init_fail" => {
                bare(d, n);
                s.init_fail = true;
            }
            _ => value::unknown(d, kw, SCRIPT_KEYWORDS, &format!("vrrp_script {}", s.name)),
        }
    }
    if s.script.is_empty() {
        warn_at(
            d,
            s.at,
            format!("vrrp_script `{}` has no `script` - removing it", s.name),
        );
        return;
    }
    if v.scripts.iter().any(|o| o.name == s.name) {
        super::super::note_at(
            d,
            s.at,
            format!(
                "vrrp_script `{}` is defined twice; trackers use the first",
                s.name
            ),
        );
    }
    v.scripts.push(s);
}

pub(in crate::config::vrrp) const PROCESS_KEYWORDS: &[&str] = &[
    "process",
    "param_match",
    "weight",
    "quorum",
    "quorum_max",
    "delay",
    "terminate_delay",
    "fork_delay",
    "full_command",
];

pub(in crate::config::vrrp) fn parse_track_process(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    let Some(name) = block_name(d, node) else {
        return;
    };
    let Some(b) = value::expect_block(d, node) else {
        return;
    };
    let mut p = TrackProcess {
        name: name.text.clone(),
        at: At::word(name),
        process: String::new(),
        params: Vec::new(),
        param_match: None,
        weight: 0,
        weight_reverse: false,
        quorum: 1,
        quorum_max: None,
        fork_delay: None,
        terminate_delay: None,
        full_command: false,
    };
    let mut weight_set = false;
    let delay_range = (Duration::from_micros(1), Duration::from_secs(3600));
    for n in &b.nodes {
        let Some(kw) = n.words.first() else { continue };
        match kw.text.as_str() {
            "process" => {
                value::no_block(d, n);
                let args = n.args();
                if args.is_empty() {
                    warn_at(d, At::node(n), "`process` needs a process name - ignoring");
                } else if !p.process.is_empty() {
                    warn_at(
                        d,
                        At::word(&args[0]),
                        format!(
                            "`process` already set for vrrp_track_process `{}` - ignoring `{}`",
                            p.name, args[0].text
                        ),
                    );
                } else {
                    p.process = args[0].text.clone();
                    p.params = args[1..].iter().map(|w| w.text.clone()).collect();
                    if !p.params.is_empty() {
                        p.param_match.get_or_insert(ParamMatch::Exact);
                        p.full_command = true;
                    }
                }
            }
            "param_match" => {
                value::no_block(d, n);
                match n.args().first().map(|w| w.text.as_str()) {
                    None => p.param_match = Some(ParamMatch::Exact),
                    Some("initial") => p.param_match = Some(ParamMatch::Initial),
                    Some("partial") => p.param_match = Some(ParamMatch::Partial),
                    Some(other) => {
                        warn_at(
                            d,
                            At::word(&n.args()[0]),
                            format!("`param_match`: `{other}` is not initial|partial - ignoring"),
                        );
                        continue;
                    }
                }
                p.full_command = true;
            }
            "weight" => {
                value::no_block(d, n);
                let args = n.args();
                let Some(w) = args.first() else {
                    warn_at(d, At::node(n), "`weight` needs a value - ignoring");
                    continue;
                };
                if weight_set {
                    warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`weight` already set for vrrp_track_process `{}` - ignoring `{}`",
                            p.name, w.text
                        ),
                    );
                    continue;
                }
                let Some(x) = value::int_in(d, "weight", w, -254, 254) else {
                    continue;
                };
                match args.get(1) {
                    None => {}
                    Some(r) if r.text == "reverse" => p.weight_reverse = true,
                    Some(r) => {
                        warn_at(
                            d,
                            At::word(r),
                            format!(
                                "`weight`: unknown option `{}` (use reverse) - ignoring",
                                r.text
                            ),
                        );
                    }
                }
                p.weight = x as i32;
                weight_set = x != 0;
            }
            "quorum" => {
                let Some(q) = int_arg(d, n, 1, 65535) else {
                    continue;
                };
                if let Some(max) = p.quorum_max
                    && q > max as i64
                {
                    warn_at(
                        d,
                        At::word(&n.args()[0]),
                        format!("`quorum` {q} is greater than `quorum_max` {max} - ignoring"),
                    );
                    continue;
                }
                p.quorum = q as u16;
            }
            "quorum_max" => {
                let Some(m) = int_arg(d, n, 0, 65535) else {
                    continue;
                };
                if (m != 0 || p.quorum > 1) && m < p.quorum as i64 {
                    warn_at(
                        d,
                        At::word(&n.args()[0]),
                        format!(
                            "`quorum_max` {m} is less than `quorum` {} - ignoring",
                            p.quorum
                        ),
                    );
                    continue;
                }
                p.quorum_max = Some(m as u16);
                if m == 0 {
                    p.quorum = 0;
                } else if p.quorum == 0 {
                    p.quorum = 1;
                }
            }
            "delay" | "fork_delay" | "terminate_delay" => {
                let Some(t) = timer_arg(d, n, delay_range.0, delay_range.1) else {
                    continue;
                };
                if kw.text != "fork_delay" {
                    p.terminate_delay = Some(t);
                }
                if kw.text != "terminate_delay" {
                    p.fork_delay = Some(t);
                }
            }
            "full_command" => {
                bare(d, n);
                p.full_command = true;
            }
            _ => value::unknown(
                d,
                kw,
                PROCESS_KEYWORDS,
                &format!("vrrp_track_process {}", p.name),
            ),
        }
    }
    if p.process.is_empty() {
        warn_at(
            d,
            p.at,
            format!(
                "vrrp_track_process `{}` has no `process` - removing it",
                p.name
            ),
        );
        return;
    }
    v.track_processes.push(p);
}

pub(in crate::config::vrrp) const FILE_KEYWORDS: &[&str] = &["file", "weight", "init_file"];

pub(in crate::config::vrrp) fn parse_track_file(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    let Some(name) = block_name(d, node) else {
        return;
    };
    let Some(b) = value::expect_block(d, node) else {
        return;
    };
    if node.keyword() == "vrrp_track_file" {
        // keepalived accepts the old spelling silently.
        super::super::note_at(
            d,
            At::node(node),
            "`vrrp_track_file` is the deprecated spelling of `track_file`",
        );
    }
    let mut f = TrackFile {
        name: name.text.clone(),
        at: At::word(name),
        file: String::new(),
        weight: 1,
        weight_reverse: false,
        init_file: None,
    };
    for n in &b.nodes {
        let Some(kw) = n.words.first() else { continue };
        match kw.text.as_str() {
            "file" => {
                if let Some(p) = super::super::str_arg(d, n) {
                    f.file = p;
                }
            }
            "weight" => {
                value::no_block(d, n);
                let args = n.args();
                let Some(w) = args.first() else {
                    warn_at(d, At::node(n), "`weight` needs a value - ignoring");
                    continue;
                };
                let Some(x) = value::int_in(d, "weight", w, -254, 254) else {
                    continue;
                };
                f.weight = x as i32;
                match args.get(1) {
                    None => {}
                    Some(r) if r.text == "reverse" => f.weight_reverse = true,
                    Some(r) => {
                        warn_at(
                            d,
                            At::word(r),
                            format!(
                                "`weight`: unknown option `{}` (use reverse) - ignoring",
                                r.text
                            ),
                        );
                    }
                }
            }
            "init_file" => {
                value::no_block(d, n);
                let mut init = InitFile::default();
                let mut ok = true;
                for (i, w) in n.args().iter().enumerate() {
                    if w.text == "overwrite" {
                        init.overwrite = true;
                    } else if i == 0 {
                        match value::int_in(d, "init_file", w, i32::MIN as i64, i32::MAX as i64) {
                            Some(x) => init.value = x as i32,
                            None => ok = false,
                        }
                    } else {
                        warn_at(
                            d,
                            At::word(w),
                            format!(
                                "`init_file`: unknown option `{}` (use [VALUE] [overwrite]) - ignoring",
                                w.text
                            ),
                        );
                    }
                }
                if ok {
                    f.init_file = Some(init);
                }
            }
            _ => value::unknown(d, kw, FILE_KEYWORDS, &format!("track_file {}", f.name)),
        }
    }
    if f.file.is_empty() {
        warn_at(
            d,
            f.at,
            format!("track_file `{}` has no `file` - removing it", f.name),
        );
        return;
    }
    v.track_files.push(f);
}
