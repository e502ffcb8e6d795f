//! Trackers (`vrrp_script`, `vrrp_track_process`, `track_file`), the tracking blocks that refer to
//! them (`track_interface`, `track_script`, `track_file`, `track_process`, `track_bfd`), notify
//! commands, `vrrp_sync_group` and `track_group`.

use std::time::Duration;

use super::super::dump::Writer;
use super::super::source::Diagnostics;
use super::super::tree::{Node, Word};
use super::super::value;
use super::{
    At, Vrrp, bare, block_name, block_words, bool_line, int_arg, opt_bool, quote, secs_line,
    timer_arg, value_block, warn_at,
};

/// A member of a `group { ... }` list: an instance name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub at: At,
}

/// `vrrp_script NAME { ... }`: a command run periodically; its exit status moves the priority of
/// the instances and sync groups that track it.
#[derive(Debug, Clone, PartialEq)]
pub struct VrrpScript {
    pub name: String,
    pub at: At,
    /// `script CMD [ARGS...]`: the command line (words after `script`, joined by one space; a
    /// quoted word is kept whole). Required: keepalived removes a vrrp_script without one.
    pub script: String,
    pub script_at: At,
    /// `interval SECS`: time between runs. Default 1 s; range [1, 4294] s (keepalived 2.2.7 reads
    /// whole seconds; 2.3+ reads milliseconds, accepted here); 0 is read as 1 with a warning.
    pub interval: Duration,
    /// `timeout SECS`: a run taking longer has failed. Default: the interval.
    pub timeout: Option<Duration>,
    /// `weight W [reverse]`: -253..253, default 0 (0 means failure puts trackers in FAULT).
    pub weight: i32,
    pub weight_reverse: bool,
    /// `rise N`: successes needed to go OK. Default 1, range [1, 2^31-1].
    pub rise: u32,
    /// `fall N`: failures needed to go KO. Default 1, range [1, 2^31-1].
    pub fall: u32,
    /// `user USER [GROUP]`: who runs it (default: global `script_user`).
    pub user: Option<String>,
    pub group: Option<String>,
    /// `init_fail`: start in the failed state.
    pub init_fail: bool,
}

impl VrrpScript {
    fn new(name: &Word) -> VrrpScript {
        VrrpScript {
            name: name.text.clone(),
            at: At::word(name),
            script: String::new(),
            script_at: At::default(),
            interval: Duration::from_secs(1),
            timeout: None,
            weight: 0,
            weight_reverse: false,
            rise: 1,
            fall: 1,
            user: None,
            group: None,
            init_fail: false,
        }
    }

    /// The timeout in force: `timeout`, or the interval.
    pub fn effective_timeout(&self) -> Duration {
        self.timeout.unwrap_or(self.interval)
    }

    pub(super) fn dump(&self, w: &mut Writer) {
        w.open("vrrp_script", &[&self.name]);
        w.line("script", std::slice::from_ref(&self.script));
        secs_line(w, "interval", Some(self.interval));
        secs_line(w, "timeout", self.timeout);
        if self.weight != 0 || self.weight_reverse {
            let mut v = vec![self.weight.to_string()];
            if self.weight_reverse {
                v.push("reverse".into());
            }
            w.line("weight", &v);
        }
        if self.rise != 1 {
            w.line("rise", &[self.rise.to_string()]);
        }
        if self.fall != 1 {
            w.line("fall", &[self.fall.to_string()]);
        }
        if let Some(u) = &self.user {
            let mut v = vec![u.clone()];
            v.extend(self.group.clone());
            w.line("user", &v);
        }
        w.flag("init_fail", self.init_fail);
        w.close();
    }
}

/// `param_match` of a `vrrp_track_process`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamMatch {
    /// Bare `param_match` (or parameters given): the parameters must match exactly.
    Exact,
    /// `param_match initial`: the last parameter may be longer than configured.
    Initial,
    /// `param_match partial`: the first N parameters must match.
    Partial,
}

/// `vrrp_track_process NAME { ... }`: a process watched through the proc connector.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackProcess {
    pub name: String,
    pub at: At,
    /// `process NAME [PARAMS...]`: required.
    pub process: String,
    pub params: Vec<String>,
    /// `param_match [initial|partial]`; `None` means match the name only (unless `params`).
    pub param_match: Option<ParamMatch>,
    /// `weight W [reverse]`: -254..254, default 0.
    pub weight: i32,
    pub weight_reverse: bool,
    /// `quorum N`: fewest matching processes for OK. Default 1, range [1, 65535] (0 only through
    /// `quorum_max 0`).
    pub quorum: u16,
    /// `quorum_max N`: most matching processes for OK. Default unlimited, range [0, 65535].
    pub quorum_max: Option<u16>,
    /// `fork_delay SECS` (also set by `delay`): [0.000001, 3600] s.
    pub fork_delay: Option<Duration>,
    /// `terminate_delay SECS` (also set by `delay`): [0.000001, 3600] s.
    pub terminate_delay: Option<Duration>,
    /// `full_command` (implied by parameters or `param_match`): match the whole command line.
    pub full_command: bool,
}

impl TrackProcess {
    pub(super) fn dump(&self, w: &mut Writer) {
        w.open("vrrp_track_process", &[&self.name]);
        let mut v = vec![self.process.clone()];
        v.extend(self.params.iter().cloned());
        w.line("process", &v);
        match self.param_match {
            Some(ParamMatch::Exact) => w.raw("param_match"),
            Some(ParamMatch::Initial) => w.raw("param_match initial"),
            Some(ParamMatch::Partial) => w.raw("param_match partial"),
            None => {}
        }
        if self.weight != 0 || self.weight_reverse {
            let mut v = vec![self.weight.to_string()];
            if self.weight_reverse {
                v.push("reverse".into());
            }
            w.line("weight", &v);
        }
        w.opt("quorum_max", &self.quorum_max);
        if self.quorum != 1 && !(self.quorum == 0 && self.quorum_max == Some(0)) {
            w.line("quorum", &[self.quorum.to_string()]);
        }
        secs_line(w, "fork_delay", self.fork_delay);
        secs_line(w, "terminate_delay", self.terminate_delay);
        w.flag("full_command", self.full_command);
        w.close();
    }
}

/// `init_file [VALUE] [overwrite]` of a `track_file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InitFile {
    /// Written at start-up when the file is missing. Default 0.
    pub value: i32,
    /// Write it even if the file exists.
    pub overwrite: bool,
}

/// `track_file NAME { ... }` (legacy `vrrp_track_file`): a file holding a number.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackFile {
    pub name: String,
    pub at: At,
    /// `file PATH`: required.
    pub file: String,
    /// `weight W [reverse]`: -254..254, default 1 (the value read is multiplied by it).
    pub weight: i32,
    pub weight_reverse: bool,
    /// `init_file [VALUE] [overwrite]`.
    pub init_file: Option<InitFile>,
}

impl TrackFile {
    pub(super) fn dump(&self, w: &mut Writer) {
        w.open("track_file", &[&self.name]);
        w.line("file", std::slice::from_ref(&self.file));
        if self.weight != 1 || self.weight_reverse {
            let mut v = vec![self.weight.to_string()];
            if self.weight_reverse {
                v.push("reverse".into());
            }
            w.line("weight", &v);
        }
        if let Some(i) = self.init_file {
            let mut v = vec![i.value.to_string()];
            if i.overwrite {
                v.push("overwrite".into());
            }
            w.line("init_file", &v);
        }
        w.close();
    }
}

/// One line of `track_interface { IF [weight W [reverse]] }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackIf {
    pub name: String,
    /// -253..253; `None`: 0, a failure means FAULT.
    pub weight: Option<i32>,
    pub reverse: bool,
    pub at: At,
}

/// One line of `track_script`, `track_file`, `track_process` or `track_bfd`:
/// `NAME [weight W [reverse|noreverse]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackRef {
    pub name: String,
    /// `None`: the tracker's own weight (track_bfd: 0).
    pub weight: Option<i32>,
    /// `reverse` (true), `noreverse` (false), or unset (the tracker's own setting).
    pub reverse: Option<bool>,
    pub at: At,
}

/// One notify command: `notify_master CMD [USER [GROUP]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// The command line (one word; quote it when it has arguments).
    pub command: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub at: At,
}

impl Notify {
    fn words(&self) -> Vec<String> {
        let mut v = vec![self.command.clone()];
        v.extend(self.user.clone());
        v.extend(self.group.clone());
        v
    }
}

/// The notify commands of an instance or a sync group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notifies {
    pub master: Option<Notify>,
    pub backup: Option<Notify>,
    pub fault: Option<Notify>,
    pub stop: Option<Notify>,
    /// `notify_deleted [CMD]`: report DELETED (not FAULT) when a reload removes the instance.
    pub deleted: bool,
    pub deleted_script: Option<Notify>,
    /// `notify CMD`: run on every transition with 4 extra arguments.
    pub notify: Option<Notify>,
    /// `notify_master_rx_lower_pri CMD` (instances only).
    pub master_rx_lower_pri: Option<Notify>,
}

impl Notifies {
    /// Reads a `notify*` keyword; false if `kw` is not one (or not allowed here).
    pub(super) fn parse(&mut self, d: &mut Diagnostics, n: &Node, instance: bool) -> bool {
        let slot = match n.keyword() {
            "notify_master" => &mut self.master,
            "notify_backup" => &mut self.backup,
            "notify_fault" => &mut self.fault,
            "notify_stop" => &mut self.stop,
            "notify" => &mut self.notify,
            "notify_master_rx_lower_pri" if instance => &mut self.master_rx_lower_pri,
            "notify_deleted" => {
                value::no_block(d, n);
                if !instance {
                    super::note_at(
                        d,
                        At::node(n),
                        "`notify_deleted` in a vrrp_sync_group needs keepalived 2.3 or later (2.2.7 reports it as an unknown keyword)",
                    );
                }
                if self.deleted {
                    warn_at(
                        d,
                        At::node(n),
                        "`notify_deleted` already specified - ignoring",
                    );
                    return true;
                }
                self.deleted = true;
                if !n.args().is_empty() {
                    self.deleted_script = parse_notify(d, n);
                }
                return true;
            }
            _ => return false,
        };
        value::no_block(d, n);
        if let Some(old) = slot {
            let what = n.args().first().map_or("", |w| w.text.as_str());
            let msg = format!(
                "`{}` already specified (`{}`) - ignoring `{what}`",
                n.keyword(),
                old.command
            );
            warn_at(d, At::node(n), msg);
            return true;
        }
        *slot = parse_notify(d, n);
        true
    }

    /// Appends every command with its location.
    pub(super) fn collect(&self, out: &mut Vec<crate::config::scripts::ScriptRef>) {
        for n in [
            &self.master,
            &self.backup,
            &self.fault,
            &self.stop,
            &self.deleted_script,
            &self.notify,
            &self.master_rx_lower_pri,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(loc) = n.at.0 {
                out.push(crate::config::scripts::ScriptRef::new(
                    &n.command,
                    n.user.as_deref(),
                    n.group.as_deref(),
                    loc,
                ));
            }
        }
    }

    pub(super) fn dump(&self, w: &mut Writer) {
        for (kw, n) in [
            ("notify_master", &self.master),
            ("notify_backup", &self.backup),
            ("notify_fault", &self.fault),
            ("notify_stop", &self.stop),
            ("notify", &self.notify),
            ("notify_master_rx_lower_pri", &self.master_rx_lower_pri),
        ] {
            if let Some(n) = n {
                w.line(kw, &n.words());
            }
        }
        if self.deleted {
            match &self.deleted_script {
                Some(n) => w.line("notify_deleted", &n.words()),
                None => w.raw("notify_deleted"),
            }
        }
    }
}

fn parse_notify(d: &mut Diagnostics, n: &Node) -> Option<Notify> {
    let args = n.args();
    let Some(cmd) = args.first() else {
        warn_at(
            d,
            At::node(n),
            format!("`{}` needs a command - ignoring", n.keyword()),
        );
        return None;
    };
    if cmd.text.trim().is_empty() {
        warn_at(
            d,
            At::word(cmd),
            format!("`{}`: empty command - ignoring", n.keyword()),
        );
        return None;
    }
    if let Some(extra) = args.get(3) {
        // keepalived ignores these silently.
        super::note_at(
            d,
            At::word(extra),
            format!(
                "`{}` takes a command, a user and a group; `{}` and what follows are ignored (quote a command that has arguments)",
                n.keyword(),
                extra.text
            ),
        );
    }
    Some(Notify {
        command: cmd.text.clone(),
        user: args.get(1).map(|w| w.text.clone()),
        group: args.get(2).map(|w| w.text.clone()),
        at: At::word(cmd),
    })
}

// ---------------------------------------------------------------------------------------------
// Tracking blocks.

/// Which tracker a tracking block names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Script,
    File,
    Process,
    Bfd,
}

impl Kind {
    fn keyword(self) -> &'static str {
        match self {
            Kind::Script => "track_script",
            Kind::File => "track_file",
            Kind::Process => "track_process",
            Kind::Bfd => "track_bfd",
        }
    }

    fn definer(self) -> &'static str {
        match self {
            Kind::Script => "vrrp_script",
            Kind::File => "track_file",
            Kind::Process => "vrrp_track_process",
            Kind::Bfd => "bfd_instance",
        }
    }

    /// The weight range keepalived reads, and whether ±254 is clamped to ±253 (with a warning)
    /// rather than accepted.
    fn range(self) -> (i64, bool) {
        match self {
            Kind::Script | Kind::Bfd => (254, true),
            Kind::File | Kind::Process => (254, false),
        }
    }
}

/// `track_interface { IF [weight W [reverse]] ... }`.
pub(super) fn parse_track_ifs(d: &mut Diagnostics, node: &Node, into: &mut Vec<TrackIf>) {
    let Some(lines) = value_block(d, node) else {
        return;
    };
    for l in lines {
        let name = &l.words[0];
        if !super::ifname_ok(d, "track_interface", name) {
            continue;
        }
        let mut t = TrackIf {
            name: name.text.clone(),
            weight: None,
            reverse: false,
            at: At::word(name),
        };
        let rest = &l.words[1..];
        match rest.first() {
            None => {}
            Some(w) if w.text == "weight" => match rest.get(1) {
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`track_interface`: `weight` without a value for `{}` - ignoring the weight",
                            t.name
                        ),
                    );
                }
                Some(v) => {
                    t.weight = weight_value(d, "track_interface", v, 253, false);
                    match rest.get(2) {
                        None => {}
                        Some(r) if r.text == "reverse" => t.reverse = true,
                        Some(r) => {
                            warn_at(
                                d,
                                At::word(r),
                                format!(
                                    "`track_interface`: unknown option `{}` for `{}` (use weight W [reverse]) - ignoring",
                                    r.text, t.name
                                ),
                            );
                        }
                    }
                    extra_words(d, "track_interface", &rest[rest.len().min(3)..]);
                }
            },
            Some(w) => {
                warn_at(
                    d,
                    At::word(w),
                    format!(
                        "`track_interface`: unknown option `{}` for `{}` (use weight W [reverse]) - ignoring",
                        w.text, t.name
                    ),
                );
            }
        }
        if into.iter().any(|o| o.name == t.name) {
            warn_at(
                d,
                t.at,
                format!(
                    "`track_interface`: `{}` is already tracked - ignoring the duplicate",
                    t.name
                ),
            );
            continue;
        }
        into.push(t);
    }
}

/// `track_script|track_file|track_process|track_bfd { NAME [weight W [reverse|noreverse]] }`.
/// `known`: the trackers of that kind defined so far (keepalived resolves the names as it reads,
/// so a tracker defined later is "not found"); `None` skips the check (track_bfd: the BFD section
/// is checked elsewhere).
pub(super) fn parse_track_refs(
    d: &mut Diagnostics,
    node: &Node,
    kind: Kind,
    known: Option<&[&str]>,
    into: &mut Vec<TrackRef>,
) {
    let Some(lines) = value_block(d, node) else {
        return;
    };
    let kw = kind.keyword();
    for l in lines {
        let name = &l.words[0];
        let mut t = TrackRef {
            name: name.text.clone(),
            weight: None,
            reverse: None,
            at: At::word(name),
        };
        let rest = &l.words[1..];
        match rest.first() {
            None => {}
            Some(w) if w.text == "weight" => match rest.get(1) {
                None => {
                    warn_at(
                        d,
                        At::word(w),
                        format!(
                            "`{kw}`: `weight` without a value for `{}` - ignoring the weight",
                            t.name
                        ),
                    );
                }
                Some(v) => {
                    let (max, clamp) = kind.range();
                    t.weight = weight_value(d, kw, v, max, clamp);
                    match rest.get(2) {
                        None => {}
                        Some(r) if r.text == "reverse" => t.reverse = Some(true),
                        Some(r) if r.text == "noreverse" => t.reverse = Some(false),
                        Some(r) => {
                            let diag = warn_at(
                                d,
                                At::word(r),
                                format!(
                                    "`{kw}`: unknown weight option `{}` for `{}` (use reverse|noreverse) - ignoring",
                                    r.text, t.name
                                ),
                            );
                            value::did_you_mean(diag, &r.text, &["reverse", "noreverse"]);
                        }
                    }
                    extra_words(d, kw, &rest[rest.len().min(3)..]);
                }
            },
            Some(w) => {
                warn_at(
                    d,
                    At::word(w),
                    format!(
                        "`{kw}`: unknown option `{}` for `{}` (use weight W [reverse|noreverse]) - ignoring",
                        w.text, t.name
                    ),
                );
            }
        }
        if let Some(known) = known
            && !known.contains(&t.name.as_str())
        {
            let diag = warn_at(
                d,
                t.at,
                format!(
                    "`{kw}`: no {} `{}` is defined before this point - ignoring",
                    kind.definer(),
                    t.name
                ),
            );
            value::did_you_mean(diag, &t.name, known);
            continue;
        }
        if into.iter().any(|o| o.name == t.name) {
            warn_at(
                d,
                t.at,
                format!("`{kw}`: duplicate `{}` - ignoring", t.name),
            );
            continue;
        }
        into.push(t);
    }
}

fn extra_words(d: &mut Diagnostics, kw: &str, extra: &[Word]) {
    if let Some(x) = extra.first() {
        warn_at(
            d,
            At::word(x),
            format!("`{kw}`: unexpected `{}` - ignoring", x.text),
        );
    }
}

/// A tracking weight in `-max..=max`; with `clamp`, ±(max) is accepted as ±(max-1) with a warning
/// (keepalived: "weight for X cannot be +/-254. Setting to +/-253").
fn weight_value(d: &mut Diagnostics, kw: &str, w: &Word, max: i64, clamp: bool) -> Option<i32> {
    let v = value::int_in(d, kw, w, -max, max)?;
    if clamp && v.abs() == max {
        let v2 = v.signum() * (max - 1);
        warn_at(
            d,
            At::word(w),
            format!(
                "`{kw}`: weight `{}` is outside [{}, {}] - using {v2}",
                w.text,
                -(max - 1),
                max - 1
            ),
        );
        return Some(v2 as i32);
    }
    Some(v as i32)
}

/// Writes a tracking block.
pub(super) fn dump_track_ifs(w: &mut Writer, list: &[TrackIf]) {
    if list.is_empty() {
        return;
    }
    w.open("track_interface", super::NO_WORDS);
    for t in list {
        let mut s = quote(&t.name);
        if let Some(wt) = t.weight {
            s.push_str(&format!(" weight {wt}"));
            if t.reverse {
                s.push_str(" reverse");
            }
        }
        w.raw(&s);
    }
    w.close();
}

pub(super) fn dump_track_refs(w: &mut Writer, kw: &str, list: &[TrackRef]) {
    if list.is_empty() {
        return;
    }
    w.open(kw, super::NO_WORDS);
    for t in list {
        let mut s = quote(&t.name);
        if let Some(wt) = t.weight {
            s.push_str(&format!(" weight {wt}"));
            match t.reverse {
                Some(true) => s.push_str(" reverse"),
                Some(false) => s.push_str(" noreverse"),
                None => {}
            }
        }
        w.raw(&s);
    }
    w.close();
}

/// The names of the trackers defined so far, by kind.
pub(super) fn known(v: &Vrrp, kind: Kind) -> Vec<String> {
    match kind {
        Kind::Script => v.scripts.iter().map(|s| s.name.clone()).collect(),
        Kind::File => v.track_files.iter().map(|s| s.name.clone()).collect(),
        Kind::Process => v.track_processes.iter().map(|s| s.name.clone()).collect(),
        Kind::Bfd => Vec::new(),
    }
}

/// Reads a tracking block keyword into `into`; false if `n` is not one.
pub(super) fn parse_tracking(v: &Vrrp, d: &mut Diagnostics, n: &Node, t: &mut Tracking) -> bool {
    let kind = match n.keyword() {
        "track_interface" => {
            parse_track_ifs(d, n, &mut t.interfaces);
            return true;
        }
        "track_script" => Kind::Script,
        "track_file" => Kind::File,
        "track_process" => Kind::Process,
        "track_bfd" => Kind::Bfd,
        _ => return false,
    };
    let names = known(v, kind);
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    // TODO(bfd): check track_bfd names against the BFD section once it exposes its instances
    // (keepalived: "track bfd X not found, ignoring...").
    let known = (kind != Kind::Bfd).then_some(names.as_slice());
    let list = match kind {
        Kind::Script => &mut t.scripts,
        Kind::File => &mut t.files,
        Kind::Process => &mut t.processes,
        Kind::Bfd => &mut t.bfds,
    };
    parse_track_refs(d, n, kind, known, list);
    true
}

/// What an instance or a sync group tracks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tracking {
    pub interfaces: Vec<TrackIf>,
    pub scripts: Vec<TrackRef>,
    pub files: Vec<TrackRef>,
    pub processes: Vec<TrackRef>,
    pub bfds: Vec<TrackRef>,
}

impl Tracking {
    pub(super) fn dump(&self, w: &mut Writer) {
        dump_track_ifs(w, &self.interfaces);
        dump_track_refs(w, "track_script", &self.scripts);
        dump_track_refs(w, "track_file", &self.files);
        dump_track_refs(w, "track_process", &self.processes);
        dump_track_refs(w, "track_bfd", &self.bfds);
    }
}

// ---------------------------------------------------------------------------------------------
// Top-level trackers.

pub(super) const SCRIPT_KEYWORDS: &[&str] = &[
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
fn script_secs(d: &mut Diagnostics, n: &Node, what: &str) -> Option<Duration> {
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
        super::note_at(
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

pub(super) fn parse_script(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
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
        super::note_at(
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

pub(super) const PROCESS_KEYWORDS: &[&str] = &[
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

pub(super) fn parse_track_process(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
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

pub(super) const FILE_KEYWORDS: &[&str] = &["file", "weight", "init_file"];

pub(super) fn parse_track_file(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    let Some(name) = block_name(d, node) else {
        return;
    };
    let Some(b) = value::expect_block(d, node) else {
        return;
    };
    if node.keyword() == "vrrp_track_file" {
        // keepalived accepts the old spelling silently.
        super::note_at(
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
                if let Some(p) = super::str_arg(d, n) {
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

// ---------------------------------------------------------------------------------------------
// Sync groups and track groups.

/// `vrrp_sync_group NAME { ... }`: instances that change state together.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncGroup {
    pub name: String,
    pub at: At,
    /// `group { VI ... }`: the member instances (resolved by [`super::Vrrp::check`]).
    pub group: Vec<Member>,
    /// `track_*` blocks: they act on every member.
    pub tracking: Tracking,
    pub notify: Notifies,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<bool>,
    /// `notify_priority_changes [BOOL]`.
    pub notify_priority_changes: Option<bool>,
    /// `sync_group_tracking_weight` (also set by the deprecated `global_tracking`): members may
    /// keep weighted trackers.
    pub sync_group_tracking_weight: bool,
}

pub(super) const SYNC_GROUP_KEYWORDS: &[&str] = &[
    "group",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "notify_backup",
    "notify_master",
    "notify_fault",
    "notify_stop",
    "notify_deleted",
    "notify",
    "smtp_alert",
    "global_tracking",
    "sync_group_tracking_weight",
    "notify_priority_changes",
];

pub(super) fn parse_sync_group(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    let Some(name) = block_name(d, node) else {
        return;
    };
    if v.sync_groups.iter().any(|g| g.name == name.text) {
        warn_at(
            d,
            At::word(name),
            format!(
                "vrrp_sync_group `{}` is already defined - skipping",
                name.text
            ),
        );
        return;
    }
    let Some(b) = value::expect_block(d, node) else {
        return;
    };
    let mut g = SyncGroup {
        name: name.text.clone(),
        at: At::word(name),
        group: Vec::new(),
        tracking: Tracking::default(),
        notify: Notifies::default(),
        smtp_alert: None,
        notify_priority_changes: None,
        sync_group_tracking_weight: false,
    };
    let mut had_group = false;
    for n in &b.nodes {
        let Some(kw) = n.words.first() else { continue };
        if g.notify.parse(d, n, false) || parse_tracking(v, d, n, &mut g.tracking) {
            continue;
        }
        match kw.text.as_str() {
            "group" => {
                if had_group {
                    warn_at(
                        d,
                        At::node(n),
                        format!(
                            "`group` already specified for vrrp_sync_group `{}` - ignoring this one",
                            g.name
                        ),
                    );
                    continue;
                }
                had_group = true;
                let Some(words) = block_words(d, n) else {
                    continue;
                };
                if words.is_empty() {
                    warn_at(
                        d,
                        At::node(n),
                        format!("vrrp_sync_group `{}` has an empty `group` block", g.name),
                    );
                }
                for w in words {
                    g.group.push(Member {
                        name: w.text.clone(),
                        at: At::word(w),
                    });
                }
            }
            "smtp_alert" => {
                if let Some(b) = opt_bool(d, n) {
                    g.smtp_alert = Some(b);
                }
            }
            "notify_priority_changes" => {
                if let Some(b) = opt_bool(d, n) {
                    g.notify_priority_changes = Some(b);
                }
            }
            "sync_group_tracking_weight" => {
                bare(d, n);
                g.sync_group_tracking_weight = true;
            }
            "global_tracking" => {
                bare(d, n);
                warn_at(
                    d,
                    At::node(n),
                    "`global_tracking` is deprecated - use track_interface/track_script/track_file on the sync group (read as `sync_group_tracking_weight`)",
                );
                g.sync_group_tracking_weight = true;
            }
            _ => value::unknown(
                d,
                kw,
                SYNC_GROUP_KEYWORDS,
                &format!("vrrp_sync_group {}", g.name),
            ),
        }
    }
    if g.group.is_empty() {
        warn_at(
            d,
            g.at,
            format!(
                "vrrp_sync_group `{}` has no member instances - removing it",
                g.name
            ),
        );
        return;
    }
    v.sync_groups.push(g);
}

impl SyncGroup {
    pub(super) fn dump(&self, w: &mut Writer) {
        w.open("vrrp_sync_group", &[&self.name]);
        w.open("group", super::NO_WORDS);
        for m in &self.group {
            w.raw(&quote(&m.name));
        }
        w.close();
        self.tracking.dump(w);
        self.notify.dump(w);
        bool_line(w, "smtp_alert", self.smtp_alert);
        bool_line(w, "notify_priority_changes", self.notify_priority_changes);
        w.flag(
            "sync_group_tracking_weight",
            self.sync_group_tracking_weight,
        );
        w.close();
    }
}

/// `track_group NAME { group { VI ... } }`: instances that go to FAULT when a static address,
/// route or rule naming this group is deleted and cannot be restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackGroup {
    pub name: String,
    pub at: At,
    pub group: Vec<Member>,
}

pub(super) fn parse_track_group(v: &mut Vrrp, node: &Node, d: &mut Diagnostics) {
    let Some(name) = block_name(d, node) else {
        return;
    };
    if v.track_groups.iter().any(|g| g.name == name.text) {
        warn_at(
            d,
            At::word(name),
            format!("track_group `{}` is already defined - skipping", name.text),
        );
        return;
    }
    let Some(b) = value::expect_block(d, node) else {
        return;
    };
    let mut g = TrackGroup {
        name: name.text.clone(),
        at: At::word(name),
        group: Vec::new(),
    };
    let mut had_group = false;
    for n in &b.nodes {
        let Some(kw) = n.words.first() else { continue };
        if kw.text != "group" {
            value::unknown(d, kw, &["group"], &format!("track_group {}", g.name));
            continue;
        }
        if had_group {
            warn_at(
                d,
                At::node(n),
                format!(
                    "`group` already specified for track_group `{}` - ignoring this one",
                    g.name
                ),
            );
            continue;
        }
        had_group = true;
        let Some(words) = block_words(d, n) else {
            continue;
        };
        if words.is_empty() {
            warn_at(
                d,
                At::node(n),
                format!("track_group `{}` has an empty `group` block", g.name),
            );
        }
        for w in words {
            g.group.push(Member {
                name: w.text.clone(),
                at: At::word(w),
            });
        }
    }
    if g.group.is_empty() {
        // keepalived 2.2.7 says nothing; 2.3+ removes the group.
        super::note_at(
            d,
            g.at,
            format!("track_group `{}` has no member instances", g.name),
        );
    }
    v.track_groups.push(g);
}

impl TrackGroup {
    pub(super) fn dump(&self, w: &mut Writer) {
        w.open("track_group", &[&self.name]);
        w.open("group", super::NO_WORDS);
        for m in &self.group {
            w.raw(&quote(&m.name));
        }
        w.close();
        w.close();
    }
}
