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

mod groups;
mod trackers;

pub use groups::*;
pub(super) use trackers::*;

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
