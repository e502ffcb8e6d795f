//! Trackers at run time: `vrrp_script`, `track_file` and `vrrp_track_process`, and what each
//! instance that tracks them gets from them.
//!
//! # Shape
//! - Each script runs every `interval` (the first run at start), through the reactor
//!   ([`Core::spawn`], its own process group, killed at `timeout`), as its `user`, else
//!   `script_user`, else `keepalived_script`, else root (with `enable_script_security`: no one;
//!   see `config::scripts`). Script security is checked right before every run; a refusal is
//!   logged once and the script counts for nothing until it passes. A run still going at the
//!   next tick skips that tick. Exit 0 is a success; a non-zero exit, a signal or the timeout a failure.
//! - Track files are read when inotify says their directory changed (a write closed, a rename in
//!   or out, a delete), so a file that is created or replaced later is followed too.
//! - Processes are counted from an initial `/proc` scan, then from the kernel's process connector
//!   (fork, exec, comm, exit); where the connector cannot be reached (a network namespace entered
//!   with `ip netns exec`), from a `/proc` scan every second.
//!
//! # What an instance gets
//! [`Trackers::contribution`] is the sum of the weights of its scripts, files and processes, and
//! whether any of them puts it in FAULT, computed as keepalived does (`vrrp_track.c`,
//! `track_file.c`):
//! - script or process with weight `W` and multiplier `M` (-1 with `reverse`, else 1): while OK,
//!   `W*M` if `W > 0`; while failed, `W*M` if `W < 0`; `W == 0`: FAULT while failed (with
//!   `reverse`: while OK);
//! - file holding `V`: `V*W*M` clamped to [-254, 253], where -254 is FAULT; `W == 0`: FAULT while
//!   `V != 0` (with `reverse`: while `V == 0`).
//!
//! A script that has not reported yet counts for nothing (keepalived holds a weight-0 tracker's
//! instance in INIT meanwhile; here it starts, and the first result, milliseconds later, decides).
//! `init_fail` makes it count as failed from the start.
//!
//! # Contract
//! Entry points return `true` when some instance's contribution may have changed; the executor
//! then recomputes and hands the machines their `Input::Tracking` (see `run.rs`).

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use log::{debug, error, info, warn};

use crate::config::Config;
use crate::config::scripts::{self, Ids, NoUser, SystemEnv};
use crate::config::vrrp::{ParamMatch, TrackRef};
use crate::reactor::{ChildEnd, ChildId, Core, TimerId};
use crate::sys::ExitStatus;
use crate::sys::inotify::{self, Inotify};
use crate::sys::proc_events::{self, ProcEvent, ProcEvents};
use crate::time::Instant;

use crate::script::{Spawn, default_script_user, refusal_line, script_ids, split_command};

/// What a reactor token, timer or child of the trackers belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Time to run script `n`.
    ScriptTick(u32),
    /// The running child of script `n`.
    Script(u32),
    /// The inotify fd of the track files.
    Inotify,
    /// The process connector.
    ProcEvents,
    /// The `fork_delay` / `terminate_delay` of process tracker `n` ended.
    ProcDelay(u32),
    /// Time to scan `/proc` again (events were lost, or there is no connector).
    ProcScan,
}

/// How often `/proc` is scanned when the process connector cannot be reached.
pub const PROC_POLL: Duration = Duration::from_secs(1);

/// Receive buffer of the process connector (keepalived's `process_monitor_rcv_bufs` default).
const PROC_RCVBUF: usize = 256 * 1024;

/// The process name the kernel keeps (`comm`) is at most this long.
const COMM_LEN: usize = 15;

// ---------------------------------------------------------------------------------------------
// Weights.

/// A tracker an instance refers to, and with what weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Script(usize),
    File(usize),
    Process(usize),
    /// A `track_bfd` session, by index in [`Trackers::bfds`].
    Bfd(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Link {
    target: Target,
    weight: i32,
    reverse: bool,
}

/// The weight of an OK/failed tracker (script, process) with `weight` and `reverse`, added to
/// `(weight, fault)`: keepalived's `process_script_update_priority`.
fn add_bool(acc: &mut (i32, bool), ok: bool, weight: i32, reverse: bool) {
    let m = if reverse { -1 } else { 1 };
    if weight == 0 {
        if ok != (m == 1) {
            acc.1 = true;
        }
    } else if (ok && weight > 0) || (!ok && weight < 0) {
        acc.0 += weight * m;
    }
}

/// The weight of a track file holding `value`: keepalived's `update_track_file_status`.
fn add_file(acc: &mut (i32, bool), value: i32, weight: i32, reverse: bool) {
    let m: i64 = if reverse { -1 } else { 1 };
    if weight == 0 {
        if (value != 0) == (m == 1) {
            acc.1 = true;
        }
        return;
    }
    let s = (i64::from(value) * i64::from(weight) * m).clamp(-254, 253);
    if s == -254 {
        acc.1 = true;
    } else {
        acc.0 += s as i32;
    }
}

// ---------------------------------------------------------------------------------------------
// Scripts.

/// How one run of a script ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Exited(i32),
    Signaled(i32),
    TimedOut,
    /// It could not be started.
    NotStarted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Init {
    /// No result yet: counts for nothing.
    Pending,
    /// `init_fail` and no result yet: counts as failed.
    Failed,
    Done,
}

/// keepalived's rise/fall counter (`vrrp_script_child_thread`): `result` runs from 0 to
/// `rise + fall - 1` and the script is OK while `result >= rise`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiseFall {
    rise: u32,
    fall: u32,
    result: u32,
    init: Init,
}

impl RiseFall {
    pub fn new(rise: u32, fall: u32, init_fail: bool) -> RiseFall {
        let (rise, fall) = (rise.max(1), fall.max(1));
        RiseFall {
            rise,
            fall,
            // keepalived: "one success is enough" at start; `init_fail`: assume failed.
            result: if init_fail { 0 } else { rise - 1 },
            init: if init_fail {
                Init::Failed
            } else {
                Init::Pending
            },
        }
    }

    /// OK, failed, or `None` before the first result.
    pub fn ok(&self) -> Option<bool> {
        (self.init != Init::Pending).then_some(self.result >= self.rise)
    }

    /// Records one run; returns `Some(ok)` when the state changed (keepalived's "succeeded" /
    /// "failed" lines), including the first result.
    pub fn record(&mut self, success: bool) -> Option<bool> {
        let first = self.init == Init::Pending;
        let top = self.rise + self.fall - 1;
        let mut changed = None;
        if success {
            if self.result + 1 < self.rise {
                self.result += 1;
            } else if self.result != top {
                if self.result < self.rise {
                    changed = Some(true);
                }
                self.result = top;
            }
        } else if self.result > self.rise {
            self.result -= 1;
        } else {
            if self.result == self.rise || first {
                changed = Some(false);
            }
            self.result = 0;
        }
        self.init = Init::Done;
        changed
    }
}

struct Script {
    name: String,
    /// Its words, user and the file it resolved to when loaded.
    spawn: Spawn,
    interval: Duration,
    timeout: Duration,
    state: RiseFall,
    rise: u32,
    fall: u32,
    running: Option<ChildId>,
    /// The last exit status (keepalived logs a change).
    last_status: i32,
    /// Refused (unsafe or missing): not run, counts for nothing.
    refused: bool,
    /// The deadline of its armed tick: a tick armed by trackers a reload replaced is not this
    /// one's (dropped, not re-armed).
    due: Option<Instant>,
}

impl Script {
    fn new(
        s: &crate::config::vrrp::VrrpScript,
        default_user: &Result<Ids, NoUser>,
        security: bool,
    ) -> Script {
        let ids = script_ids(s.user.as_deref(), s.group.as_deref(), default_user);
        let argv = split_command(&s.script);
        let pinned = match (&ids, argv.first()) {
            (Ok(ids), Some(prog)) => scripts::resolve(prog, *ids, &SystemEnv).ok(),
            _ => None,
        };
        Script {
            name: s.name.clone(),
            spawn: Spawn {
                argv,
                ids,
                security,
                pinned,
            },
            interval: s.interval,
            timeout: s.effective_timeout(),
            state: RiseFall::new(s.rise, s.fall, s.init_fail),
            rise: s.rise,
            fall: s.fall,
            running: None,
            last_status: 0,
            refused: false,
            due: None,
        }
    }

    /// OK, failed, or not counted.
    fn ok(&self) -> Option<bool> {
        if self.refused { None } else { self.state.ok() }
    }
}

// ---------------------------------------------------------------------------------------------
// Track files.

struct File {
    name: String,
    path: PathBuf,
    /// The directory watched and the file's name in it.
    dir: PathBuf,
    part: OsString,
    wd: Option<i32>,
    value: i32,
}

/// C's `strtol(s, NULL, 0)`: blanks, a sign, then hex (`0x`), octal (leading `0`) or decimal
/// digits, up to the first other character; nothing readable is 0. `None` when out of `i32`
/// (keepalived: "Invalid number ... - ignoring").
pub fn parse_c_long(s: &[u8]) -> Option<i32> {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let (radix, start) = match (s.get(i), s.get(i + 1), s.get(i + 2)) {
        (Some(b'0'), Some(b'x' | b'X'), Some(c)) if c.is_ascii_hexdigit() => (16, i + 2),
        (Some(b'0'), _, _) => (8, i),
        _ => (10, i),
    };
    let mut v: i64 = 0;
    for &c in &s[start.min(s.len())..] {
        let Some(d) = (c as char).to_digit(radix) else {
            break;
        };
        v = v
            .saturating_mul(i64::from(radix))
            .saturating_add(i64::from(d));
    }
    let v = if neg { -v } else { v };
    i32::try_from(v).ok()
}

impl File {
    /// The file of `track_file` `f`, with its value now; `None` (logged) when neither it nor its
    /// directory exists.
    fn open(f: &crate::config::vrrp::TrackFile) -> Option<File> {
        let Some((path, dir, part)) = resolve_track_file(Path::new(&f.file)) else {
            error!(
                "Track file directory for {} ({}) does not exist - removing",
                f.name, f.file
            );
            return None;
        };
        let mut file = File {
            name: f.name.clone(),
            path,
            dir,
            part,
            wd: None,
            value: 0,
        };
        file.value = file.read();
        Some(file)
    }

    /// Reads the value: a missing or unreadable file is 0; an out-of-range number keeps the old
    /// value.
    fn read(&self) -> i32 {
        use std::io::Read;
        let mut buf = [0u8; 127];
        let n = match std::fs::File::open(&self.path) {
            Ok(mut f) => f.read(&mut buf).unwrap_or(0),
            Err(_) => return 0,
        };
        match parse_c_long(&buf[..n]) {
            Some(v) => v,
            None => {
                info!(
                    "Invalid number {:?} read from {} - ignoring",
                    String::from_utf8_lossy(&buf[..n]).trim(),
                    self.path.display()
                );
                self.value
            }
        }
    }
}

/// `init_file [VALUE] [overwrite]`: writes the value when the file is missing, or always with
/// `overwrite` (never over something that is not a regular file). Written in place, so the file
/// keeps the owner the scripts that update it need, but never through a symlink or into a file
/// with other links (`sys::files`).
fn init_file(name: &str, path: &Path, init: crate::config::vrrp::InitFile) {
    use crate::sys::files;
    match std::fs::symlink_metadata(path) {
        Ok(_) if !init.overwrite => return,
        Ok(m) if !m.is_file() && !m.file_type().is_symlink() => {
            warn!("Cannot initialise track file {name} - it is not a regular file");
            return;
        }
        _ => {}
    }
    let written = files::open_checked(
        path,
        std::fs::OpenOptions::new().write(true).create(true),
        0,
        0o644,
        files::Kind::Regular,
    )
    .and_then(|mut f| {
        use std::io::Write as _;
        f.set_len(0)?;
        f.write_all(format!("{}\n", init.value).as_bytes())
    });
    if let Err(e) = written {
        warn!(
            "Unable to initialise track file {name} ({}): {e}",
            path.display()
        );
    }
}

/// keepalived's path resolution: the file itself when it exists, else its directory (which must
/// exist) and its name. `None` when neither resolves.
fn resolve_track_file(path: &Path) -> Option<(PathBuf, PathBuf, OsString)> {
    let full = match std::fs::canonicalize(path) {
        Ok(p) => p,
        Err(_) => {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let dir = std::fs::canonicalize(parent).ok()?;
            if !dir.is_dir() {
                return None;
            }
            dir.join(path.file_name()?)
        }
    };
    let dir = full.parent()?.to_path_buf();
    let part = full.file_name()?.to_os_string();
    Some((full, dir, part))
}

// ---------------------------------------------------------------------------------------------
// Processes.

/// How a `vrrp_track_process` recognises its processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcMatch {
    /// The process name (`comm`, at most 15 bytes) or, with `full_command`, the command's first
    /// word.
    pub name: Vec<u8>,
    /// The parameters, each followed by a NUL, as in `/proc/PID/cmdline`.
    pub params: Vec<u8>,
    pub param_match: Option<ParamMatch>,
    pub full_command: bool,
}

impl ProcMatch {
    pub fn new(
        process: &str,
        params: &[String],
        param_match: Option<ParamMatch>,
        full: bool,
    ) -> ProcMatch {
        let mut name = process.as_bytes().to_vec();
        if !full {
            name.truncate(COMM_LEN);
        }
        let mut p = Vec::new();
        for w in params {
            p.extend_from_slice(w.as_bytes());
            p.push(0);
        }
        ProcMatch {
            name,
            params: p,
            param_match,
            full_command: full,
        }
    }

    /// Does a process with this `comm` and `cmdline` (NUL-separated, as read) match?
    pub fn matches(&self, comm: Option<&[u8]>, cmdline: Option<&[u8]>) -> bool {
        if !self.full_command {
            return comm == Some(&self.name[..]);
        }
        let Some(cmd) = cmdline else { return false };
        let end = cmd.iter().position(|&b| b == 0).unwrap_or(cmd.len());
        if cmd[..end] != self.name[..] {
            return false;
        }
        match self.param_match {
            None => true,
            Some(pm) => check_params(pm, &self.params, cmd.get(end + 1..).unwrap_or(&[])),
        }
    }
}

/// keepalived's `check_params`: `want` and `have` are NUL-terminated parameters.
fn check_params(pm: ParamMatch, want: &[u8], have: &[u8]) -> bool {
    if pm == ParamMatch::Exact && want.is_empty() && have.is_empty() {
        return true;
    }
    if have.len() < want.len() {
        return false;
    }
    match pm {
        ParamMatch::Exact => have == want,
        _ if want.is_empty() => true,
        ParamMatch::Partial => have.starts_with(want),
        // The last parameter may be longer than configured.
        ParamMatch::Initial => want.len() == 1 || have.starts_with(&want[..want.len() - 1]),
    }
}

/// What changed a process count (it decides the delay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    Exec,
    Fork,
    Exit,
    Scan,
}

struct Process {
    name: String,
    m: ProcMatch,
    quorum: u32,
    quorum_max: u32,
    fork_delay: Option<Duration>,
    terminate_delay: Option<Duration>,
    /// Matching processes counted now.
    count: u32,
    /// Quorum as last reported to the instances.
    up: bool,
    /// A pending `fork_delay` or `terminate_delay`: its deadline and timer.
    delay: Option<(Instant, TimerId)>,
}

impl Process {
    fn new(p: &crate::config::vrrp::TrackProcess) -> Process {
        let m = ProcMatch::new(&p.process, &p.params, p.param_match, p.full_command);
        if !p.full_command && p.process.len() > COMM_LEN {
            warn!(
                "vrrp_track_process {}: process names are at most {COMM_LEN} bytes; matching `{}`",
                p.name,
                String::from_utf8_lossy(&m.name)
            );
        }
        Process {
            name: p.name.clone(),
            m,
            quorum: u32::from(p.quorum),
            quorum_max: p.quorum_max.map_or(u32::MAX, u32::from),
            fork_delay: p.fork_delay,
            terminate_delay: p.terminate_delay,
            count: 0,
            up: false,
            delay: None,
        }
    }

    fn want(&self) -> bool {
        self.count >= self.quorum && self.count <= self.quorum_max
    }
}

/// What `/proc` says of a process: its `comm` (unless a zombie), its command line.
fn read_proc(pid: i32, comm: bool, cmdline: bool) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let c = if comm {
        std::fs::read(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| stat_comm(&s))
    } else {
        None
    };
    let l = if cmdline {
        std::fs::read(format!("/proc/{pid}/cmdline")).ok()
    } else {
        None
    };
    (c, l)
}

/// The `comm` field of `/proc/PID/stat`, `None` for a zombie.
fn stat_comm(stat: &[u8]) -> Option<Vec<u8>> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    if close < open || stat.get(close + 2) == Some(&b'Z') {
        return None;
    }
    Some(stat[open + 1..close].to_vec())
}

fn proc_pids() -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The runtime.

/// The trackers the running instances use.
pub struct Trackers {
    scripts: Vec<Script>,
    files: Vec<File>,
    procs: Vec<Process>,
    /// `track_bfd` sessions by name and whether they are up: the hook the BFD side sets
    /// ([`Trackers::set_bfd`]); until it does, a session counts as up.
    bfds: Vec<(String, bool)>,
    /// Per instance (the executor's order): what it tracks.
    links: Vec<Vec<Link>>,
    security: bool,
    inotify: Option<Inotify>,
    proc_events: Option<ProcEvents>,
    /// pid -> the process trackers it counts for.
    pids: HashMap<i32, Vec<usize>>,
    need_comm: bool,
    need_cmdline: bool,
    /// The deadline of the armed rescan (a stale one is dropped).
    scan_at: Option<Instant>,
    stopped: bool,
    /// The reactor tokens of `inotify` and `proc_events`, released at stop.
    tokens: (Option<mio::Token>, Option<mio::Token>),
    buf: Vec<u8>,
}

fn key<K: From<super::run::Key>>(k: Key) -> K {
    K::from(super::run::Key::Tracker(k))
}

/// The weight and reverse of a reference: its own, else the tracker's.
fn link_of(r: &TrackRef, target: Target, weight: i32, reverse: bool) -> Link {
    Link {
        target,
        weight: r.weight.unwrap_or(weight),
        reverse: r.reverse.unwrap_or(reverse),
    }
}

impl Trackers {
    /// Nothing tracked.
    pub fn none() -> Trackers {
        Trackers {
            scripts: Vec::new(),
            files: Vec::new(),
            procs: Vec::new(),
            bfds: Vec::new(),
            links: Vec::new(),
            security: false,
            inotify: None,
            proc_events: None,
            pids: HashMap::new(),
            need_comm: false,
            need_cmdline: false,
            scan_at: None,
            stopped: false,
            tokens: (None, None),
            buf: Vec::new(),
        }
    }

    /// The trackers the instances called `instances` (in the executor's order) use: scripts are
    /// scheduled (the first run now), files read and watched, processes counted and watched.
    pub fn start<K: From<super::run::Key> + Copy>(
        cfg: &Config,
        instances: &[&str],
        core: &mut Core<K>,
        now: Instant,
    ) -> Trackers {
        let mut t = Trackers::none();
        t.security = cfg.global.enable_script_security();
        let default_user = default_script_user(cfg);
        let security = t.security;
        let v = &cfg.vrrp;
        // Every defined track file is initialised, as keepalived does when it reads them.
        for f in &v.track_files {
            if let Some(init) = f.init_file {
                init_file(&f.name, Path::new(&f.file), init);
            }
        }
        let mut script_ix: HashMap<&str, usize> = HashMap::new();
        let mut file_ix: HashMap<&str, Option<usize>> = HashMap::new();
        let mut proc_ix: HashMap<&str, usize> = HashMap::new();
        for name in instances {
            let mut links = Vec::new();
            let Some(inst) = v.instance(name) else {
                t.links.push(links);
                continue;
            };
            // keepalived: an address owner drops its weighted scripts and processes and tracks its
            // files with weight 0 (the configuration check said so). A sync group member runs
            // with its group's trackers and its own at weight 0 (see `vrrp::sync`).
            let no_weights = inst.effective_priority() == 255;
            let tracking = crate::vrrpd::params::effective_tracking(cfg, inst);
            for r in &tracking.scripts {
                let Some(s) = v.script(&r.name) else { continue };
                if no_weights && r.weight.unwrap_or(s.weight) != 0 {
                    continue;
                }
                let n = *script_ix.entry(s.name.as_str()).or_insert_with(|| {
                    t.scripts.push(Script::new(s, &default_user, security));
                    t.scripts.len() - 1
                });
                links.push(link_of(r, Target::Script(n), s.weight, s.weight_reverse));
            }
            for r in &tracking.files {
                let Some(f) = v.track_files.iter().find(|f| f.name == r.name) else {
                    continue;
                };
                let n = *file_ix.entry(f.name.as_str()).or_insert_with(|| {
                    t.files.push(File::open(f)?);
                    Some(t.files.len() - 1)
                });
                if let Some(n) = n {
                    let mut l = link_of(r, Target::File(n), f.weight, f.weight_reverse);
                    if no_weights {
                        l.weight = 0;
                    }
                    links.push(l);
                }
            }
            for r in &tracking.processes {
                let Some(p) = v.track_processes.iter().find(|p| p.name == r.name) else {
                    continue;
                };
                if no_weights && r.weight.unwrap_or(p.weight) != 0 {
                    continue;
                }
                let n = *proc_ix.entry(p.name.as_str()).or_insert_with(|| {
                    t.procs.push(Process::new(p));
                    t.procs.len() - 1
                });
                links.push(link_of(r, Target::Process(n), p.weight, p.weight_reverse));
            }
            // track_bfd: the bfd_instance's `weight` unless given (0: a down session is a
            // FAULT). A session starts Down, as in keepalived, until the BFD side says Up.
            for r in &tracking.bfds {
                let (w, rev) = cfg
                    .bfd
                    .instance(&r.name)
                    .map_or((0, false), |b| (b.weight, b.weight_reverse));
                if no_weights && r.weight.unwrap_or(w) != 0 {
                    continue;
                }
                let n = match t.bfds.iter().position(|(b, _)| *b == r.name) {
                    Some(n) => n,
                    None => {
                        t.bfds
                            .push((r.name.clone(), !cfg.bfd.has_instance(&r.name)));
                        t.bfds.len() - 1
                    }
                };
                links.push(link_of(r, Target::Bfd(n), w, rev));
            }
            t.links.push(links);
        }
        for (i, s) in t.scripts.iter_mut().enumerate() {
            core.arm(now, key(Key::ScriptTick(i as u32)));
            s.due = Some(now);
        }
        t.watch_files(core);
        t.watch_processes(core, now);
        t
    }

    fn watch_files<K: From<super::run::Key> + Copy>(&mut self, core: &mut Core<K>) {
        if self.files.is_empty() {
            return;
        }
        let ino = match Inotify::new() {
            Ok(i) => i,
            Err(e) => {
                error!("Unable to monitor track files: {e}");
                return;
            }
        };
        let mask = inotify::IN_CLOSE_WRITE
            | inotify::IN_DELETE
            | inotify::IN_MOVED_FROM
            | inotify::IN_MOVED_TO;
        for f in &mut self.files {
            match ino.add_watch(&f.dir, mask) {
                Ok(wd) => f.wd = Some(wd),
                Err(e) => error!(
                    "track_file {}: cannot watch {}: {e}",
                    f.name,
                    f.dir.display()
                ),
            }
            debug!(
                "track_file {} ({}): value {}",
                f.name,
                f.path.display(),
                f.value
            );
        }
        match core.register_fd(&ino, mio::Interest::READABLE, key(Key::Inotify)) {
            Ok(t) => self.tokens.0 = Some(t),
            Err(e) => {
                error!("Unable to monitor track files: {e}");
                return;
            }
        }
        self.buf.resize(8192, 0);
        self.inotify = Some(ino);
    }

    fn watch_processes<K: From<super::run::Key> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
    ) {
        if self.procs.is_empty() {
            return;
        }
        self.need_comm = self.procs.iter().any(|p| !p.m.full_command);
        self.need_cmdline = self.procs.iter().any(|p| p.m.full_command);
        self.buf.resize(8192, 0);
        // Subscribe first, then scan: a process started in between is seen by both, and counted
        // once.
        match ProcEvents::open() {
            Ok(pe) => {
                if let Err(e) = pe.set_rcvbuf(PROC_RCVBUF) {
                    debug!("process connector receive buffer: {e}");
                }
                match core.register_fd(&pe, mio::Interest::READABLE, key(Key::ProcEvents)) {
                    Ok(t) => {
                        self.tokens.1 = Some(t);
                        if pe.from_launch_netns {
                            info!(
                                "Process monitor: using the process connector of the namespace keepalived-rs was started in"
                            );
                        }
                        self.proc_events = Some(pe);
                    }
                    Err(e) => error!("Process monitor: cannot register the connector: {e}"),
                }
            }
            Err(e) => {
                warn!(
                    "Process monitor: the kernel's process connector is not reachable ({e}); scanning /proc every {}s instead (it answers in the initial network namespace only: start keepalived-rs there with `-s NAME` rather than under `ip netns exec` for immediate events)",
                    PROC_POLL.as_secs()
                );
            }
        }
        self.rescan(core, None);
        for p in &mut self.procs {
            p.up = p.want();
            info!(
                "Process monitor: {} matching process(es) for vrrp_track_process {} - quorum {}",
                p.count,
                p.name,
                if p.up { "up" } else { "down" }
            );
        }
        if self.proc_events.is_none() {
            self.arm_scan(core, now + PROC_POLL);
        }
    }

    /// What instance `inst` gets from its trackers: the sum of their weights, and whether one of
    /// them puts it in FAULT.
    pub fn contribution(&self, inst: usize) -> (i32, bool) {
        let mut acc = (0, false);
        for l in self.links.get(inst).map(Vec::as_slice).unwrap_or(&[]) {
            match l.target {
                Target::Script(s) => {
                    if let Some(ok) = self.scripts[s].ok() {
                        add_bool(&mut acc, ok, l.weight, l.reverse);
                    }
                }
                Target::Process(p) => add_bool(&mut acc, self.procs[p].up, l.weight, l.reverse),
                Target::File(f) => add_file(&mut acc, self.files[f].value, l.weight, l.reverse),
                Target::Bfd(b) => add_bool(&mut acc, self.bfds[b].1, l.weight, l.reverse),
            }
        }
        acc
    }

    /// The BFD side's hook: session `name` went up or down. Returns true if an instance tracks
    /// it and its state changed (the caller then recomputes the instances' tracking).
    pub fn set_bfd(&mut self, name: &str, up: bool) -> bool {
        match self.bfds.iter_mut().find(|(b, _)| b == name) {
            Some((_, s)) if *s != up => {
                *s = up;
                true
            }
            _ => false,
        }
    }

    /// The tracked BFD sessions and whether each counts as up.
    pub fn bfd_states(&self) -> Vec<(String, bool)> {
        self.bfds.clone()
    }

    /// No new script runs, no rescans (the daemon stops; running scripts get SIGTERM from it),
    /// and the fds leave the reactor (a reload starts new trackers; the timers of these ones
    /// that are still armed fire once and are dropped, see `due`).
    pub fn stop<K: Copy>(&mut self, core: &mut Core<K>) {
        self.stopped = true;
        let (ino, pe) = std::mem::take(&mut self.tokens);
        if let (Some(fd), Some(t)) = (&self.inotify, ino) {
            let _ = core.deregister_fd(fd, t);
        }
        if let (Some(fd), Some(t)) = (&self.proc_events, pe) {
            let _ = core.deregister_fd(fd, t);
        }
    }

    /// A readiness of the inotify fd or the process connector.
    pub fn on_io<K: From<super::run::Key> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        k: Key,
    ) -> bool {
        match k {
            Key::Inotify => self.on_inotify(),
            Key::ProcEvents => self.on_proc_events(core, now),
            _ => false,
        }
    }

    /// A timer of the trackers is due.
    pub fn on_timer<K: From<super::run::Key> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        k: Key,
        deadline: Instant,
    ) -> bool {
        if self.stopped {
            return false;
        }
        match k {
            Key::ScriptTick(n) => self.tick(core, now, n as usize, deadline),
            Key::ProcDelay(n) => {
                let mine = |p: &&mut Process| p.delay.is_some_and(|(at, _)| at == deadline);
                let Some(p) = self.procs.get_mut(n as usize).filter(mine) else {
                    return false;
                };
                p.delay = None;
                set_quorum(p, p.want())
            }
            Key::ProcScan => {
                if self.scan_at != Some(deadline) {
                    return false;
                }
                self.scan_at = None;
                let changed = self.rescan(core, Some(now));
                if self.proc_events.is_none() {
                    self.arm_scan(core, now + PROC_POLL);
                }
                changed
            }
            _ => false,
        }
    }

    /// A script's child ended.
    pub fn on_child(&mut self, k: Key, id: ChildId, end: ChildEnd) -> bool {
        let Key::Script(n) = k else { return false };
        let Some(s) = self.scripts.get_mut(n as usize) else {
            return false;
        };
        if s.running != Some(id) {
            return false;
        }
        s.running = None;
        if self.stopped {
            // Told to stop with the daemon: not a result.
            return false;
        }
        let outcome = match end {
            ChildEnd::TimedOut(_) => Outcome::TimedOut,
            ChildEnd::Exited(ExitStatus::Code(c)) => Outcome::Exited(c),
            ChildEnd::Exited(ExitStatus::Signal(sig)) => Outcome::Signaled(sig),
        };
        debug!("VRRP_Script({}) pid {} ended: {outcome:?}", s.name, id.0);
        record(s, outcome)
    }

    fn tick<K: From<super::run::Key> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        n: usize,
        deadline: Instant,
    ) -> bool {
        let Some(s) = self.scripts.get_mut(n).filter(|s| s.due == Some(deadline)) else {
            return false;
        };
        let mut next = deadline + s.interval;
        if next <= now {
            next = now + s.interval;
        }
        core.arm(next, key(Key::ScriptTick(n as u32)));
        s.due = Some(next);
        if s.running.is_some() {
            info!(
                "Track script {} is already running, expect idle - skipping run",
                s.name
            );
            return false;
        }
        let mut changed = false;
        // Script security, checked before every run, so that a fix takes effect without a
        // reload and nothing changed since the load runs unchecked.
        let mut cmd = match s.spawn.checked_command() {
            Err(r) => {
                if !s.refused {
                    let prog = s.spawn.argv.first().map(String::as_str).unwrap_or("");
                    error!("VRRP_Script({}): {}", s.name, refusal_line(&r, prog));
                    s.refused = true;
                    changed = s.state.ok().is_some();
                }
                return changed;
            }
            Ok(cmd) => cmd,
        };
        if s.refused {
            info!("VRRP_Script({}): the script can run now", s.name);
            s.refused = false;
            s.state = RiseFall::new(s.rise, s.fall, false);
        }
        match core.spawn(now, &mut cmd, Some(s.timeout), key(Key::Script(n as u32))) {
            Ok(id) => {
                s.running = Some(id);
                changed
            }
            Err(e) => {
                warn!(
                    "VRRP_Script({}): cannot run {:?}: {e}",
                    s.name, s.spawn.argv
                );
                record(s, Outcome::NotStarted) || changed
            }
        }
    }

    fn on_inotify(&mut self) -> bool {
        let Some(ino) = &self.inotify else {
            return false;
        };
        let mut changed = false;
        let mut buf = std::mem::take(&mut self.buf);
        loop {
            let n = match ino.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    warn!("inotify read: {e}");
                    break;
                }
            };
            for ev in inotify::events(&buf[..n]) {
                if ev.mask & inotify::IN_Q_OVERFLOW != 0 {
                    // Events were lost: read every file again.
                    for f in &mut self.files {
                        changed |= set_value(f, f.read());
                    }
                    continue;
                }
                if ev.mask & inotify::IN_ISDIR != 0 {
                    continue;
                }
                let gone = ev.mask & (inotify::IN_DELETE | inotify::IN_MOVED_FROM) != 0;
                let written = ev.mask & (inotify::IN_CLOSE_WRITE | inotify::IN_MOVED_TO) != 0;
                if !gone && !written {
                    continue;
                }
                for f in &mut self.files {
                    if f.wd != Some(ev.wd) || f.part.as_encoded_bytes() != ev.name {
                        continue;
                    }
                    // keepalived: a file that disappears reads as 0.
                    let v = if gone { 0 } else { f.read() };
                    changed |= set_value(f, v);
                }
            }
        }
        self.buf = buf;
        changed
    }

    fn on_proc_events<K: From<super::run::Key> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
    ) -> bool {
        let mut changed = false;
        let mut buf = std::mem::take(&mut self.buf);
        while let Some(pe) = &self.proc_events {
            let n = match pe.recv(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    // Events were lost: let things settle, then count again (keepalived waits
                    // one second too).
                    warn!("Process monitor: events lost (receive buffer full); rescanning /proc");
                    if self.scan_at.is_none() {
                        self.arm_scan(core, now + Duration::from_secs(1));
                    }
                    continue;
                }
                Err(e) => {
                    warn!("Process monitor: receive error: {e}");
                    break;
                }
            };
            for ev in proc_events::parse(&buf[..n]) {
                changed |= self.proc_event(core, now, ev);
            }
        }
        self.buf = buf;
        changed
    }

    fn proc_event<K: From<super::run::Key> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        ev: ProcEvent,
    ) -> bool {
        match ev {
            ProcEvent::Fork {
                parent_tgid,
                child_pid,
                child_tgid,
            } if child_pid == child_tgid => {
                // A child of a tracked process counts as one (same name, same command line)
                // until it execs something else.
                let Some(ps) = self.pids.get(&parent_tgid).cloned() else {
                    return false;
                };
                let mut changed = false;
                for p in ps {
                    changed |= self.add_pid(core, now, child_tgid, p, Cause::Fork);
                }
                changed
            }
            ProcEvent::Exec { pid, tgid } if pid == tgid => {
                let (comm, cmdline) = read_proc(pid, self.need_comm, self.need_cmdline);
                self.check_pid(core, now, pid, comm.as_deref(), cmdline.as_deref(), true)
            }
            ProcEvent::Comm { pid, tgid, comm } if pid == tgid && self.need_comm => {
                let end = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
                self.check_pid(core, now, pid, Some(&comm[..end]), None, false)
            }
            ProcEvent::Exit { pid, tgid } if pid == tgid => {
                let Some(ps) = self.pids.remove(&pid) else {
                    return false;
                };
                let mut changed = false;
                for p in ps {
                    self.procs[p].count = self.procs[p].count.saturating_sub(1);
                    changed |= self.count_changed(core, now, p, Cause::Exit);
                }
                changed
            }
            _ => false,
        }
    }

    /// Matches process `pid` against every tracker again: with `cmdline_known`, the trackers on
    /// the command line too (an exec); without (a comm change), those on the name only.
    fn check_pid<K: From<super::run::Key> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        pid: i32,
        comm: Option<&[u8]>,
        cmdline: Option<&[u8]>,
        cmdline_known: bool,
    ) -> bool {
        let mut changed = false;
        for p in 0..self.procs.len() {
            if self.procs[p].m.full_command && !cmdline_known {
                continue;
            }
            let now_match = self.procs[p].m.matches(comm, cmdline);
            let counted = self.pids.get(&pid).is_some_and(|v| v.contains(&p));
            if now_match && !counted {
                changed |= self.add_pid(core, now, pid, p, Cause::Exec);
            } else if !now_match && counted {
                if let Some(v) = self.pids.get_mut(&pid) {
                    v.retain(|&x| x != p);
                    if v.is_empty() {
                        self.pids.remove(&pid);
                    }
                }
                self.procs[p].count = self.procs[p].count.saturating_sub(1);
                changed |= self.count_changed(core, now, p, Cause::Exec);
            }
        }
        changed
    }

    fn add_pid<K: From<super::run::Key> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        pid: i32,
        p: usize,
        cause: Cause,
    ) -> bool {
        let v = self.pids.entry(pid).or_default();
        if v.contains(&p) {
            return false;
        }
        v.push(p);
        self.procs[p].count += 1;
        self.count_changed(core, now, p, cause)
    }

    /// The count of tracker `p` changed: keepalived's quorum rules. A change of quorum through
    /// a fork waits `fork_delay`, through an exit `terminate_delay`, through an exec not at all;
    /// going back meanwhile cancels the wait. A `/proc` scan cannot tell forks from execs: its
    /// losses wait `terminate_delay`, its gains do not wait.
    fn count_changed<K: From<super::run::Key> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        p: usize,
        cause: Cause,
    ) -> bool {
        let pr = &mut self.procs[p];
        let want = pr.want();
        if want == pr.up {
            if let Some((_, id)) = pr.delay.take() {
                core.cancel(id);
            }
            return false;
        }
        if pr.delay.is_some() {
            return false;
        }
        let delay = match cause {
            Cause::Fork => pr.fork_delay,
            Cause::Exit => pr.terminate_delay,
            Cause::Scan if !want => pr.terminate_delay,
            Cause::Exec | Cause::Scan => None,
        };
        if let Some(d) = delay {
            let at = now + d;
            pr.delay = Some((at, core.arm(at, key(Key::ProcDelay(p as u32)))));
            return false;
        }
        set_quorum(pr, want)
    }

    /// Counts every process again from `/proc` (`now` is `None` at start: no delays, no logs).
    fn rescan<K: From<super::run::Key> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Option<Instant>,
    ) -> bool {
        let mut pids: HashMap<i32, Vec<usize>> = HashMap::new();
        let mut counts = vec![0u32; self.procs.len()];
        for pid in proc_pids() {
            let (comm, cmdline) = read_proc(pid, self.need_comm, self.need_cmdline);
            for (i, p) in self.procs.iter().enumerate() {
                if p.m.matches(comm.as_deref(), cmdline.as_deref()) {
                    pids.entry(pid).or_default().push(i);
                    counts[i] += 1;
                }
            }
        }
        self.pids = pids;
        let mut changed = false;
        for (i, c) in counts.into_iter().enumerate() {
            if self.procs[i].count == c {
                continue;
            }
            self.procs[i].count = c;
            if let Some(now) = now {
                changed |= self.count_changed(core, now, i, Cause::Scan);
            }
        }
        changed
    }

    fn arm_scan<K: From<super::run::Key> + Copy>(&mut self, core: &mut Core<K>, at: Instant) {
        if self.stopped {
            return;
        }
        core.arm(at, key(Key::ProcScan));
        self.scan_at = Some(at);
    }
}

fn set_quorum(p: &mut Process, up: bool) -> bool {
    if p.up == up {
        return false;
    }
    p.up = up;
    info!(
        "Quorum {} for tracked process {}",
        if up { "gained" } else { "lost" },
        p.name
    );
    true
}

fn set_value(f: &mut File, v: i32) -> bool {
    if f.value == v {
        return false;
    }
    info!(
        "track_file {} ({}): value {v} (was {})",
        f.name,
        f.path.display(),
        f.value
    );
    f.value = v;
    true
}

/// Records a run and logs as keepalived does; `true` when the script's state changed.
fn record(s: &mut Script, outcome: Outcome) -> bool {
    if let Outcome::Exited(c) = outcome
        && c != s.last_status
    {
        info!("Script `{}` now returning {c}", s.name);
        s.last_status = c;
    }
    let before = s.ok();
    match s.state.record(outcome == Outcome::Exited(0)) {
        Some(true) => info!("VRRP_Script({}) succeeded", s.name),
        Some(false) => match outcome {
            Outcome::Exited(c) => info!("VRRP_Script({}) failed (exited with status {c})", s.name),
            Outcome::Signaled(sig) => info!("VRRP_Script({}) failed (due to signal {sig})", s.name),
            Outcome::TimedOut => info!("VRRP_Script({}) timed_out", s.name),
            Outcome::NotStarted => info!("VRRP_Script({}) failed (not started)", s.name),
        },
        None => {}
    }
    s.ok() != before
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_bfd_hook_moves_the_instance() {
        let mut t = Trackers::none();
        t.bfds.push(("b1".into(), true));
        t.links.push(vec![Link {
            target: Target::Bfd(0),
            weight: 0,
            reverse: false,
        }]);
        t.links.push(vec![Link {
            target: Target::Bfd(0),
            weight: -20,
            reverse: false,
        }]);
        assert_eq!(t.contribution(0), (0, false));
        assert!(t.set_bfd("b1", false));
        assert_eq!(t.contribution(0), (0, true), "weight 0: FAULT");
        assert_eq!(t.contribution(1), (-20, false));
        assert!(!t.set_bfd("b1", false), "no change");
        assert!(!t.set_bfd("nobody", false), "not tracked");
        assert!(t.set_bfd("b1", true));
        assert_eq!(t.contribution(0), (0, false));
    }

    #[test]
    fn weights_follow_keepalived() {
        let f = |ok, w, r| {
            let mut a = (0, false);
            add_bool(&mut a, ok, w, r);
            a
        };
        assert_eq!(f(true, 10, false), (10, false));
        assert_eq!(f(false, 10, false), (0, false));
        assert_eq!(f(false, -10, false), (-10, false));
        assert_eq!(f(true, -10, false), (0, false));
        // reverse negates the adjustment; the condition stays.
        assert_eq!(f(true, 10, true), (-10, false));
        assert_eq!(f(false, -10, true), (10, false));
        assert_eq!(f(false, 0, false), (0, true));
        assert_eq!(f(true, 0, false), (0, false));
        assert_eq!(f(true, 0, true), (0, true));
        let g = |v, w, r| {
            let mut a = (0, false);
            add_file(&mut a, v, w, r);
            a
        };
        assert_eq!(g(5, 2, false), (10, false));
        assert_eq!(g(5, 2, true), (-10, false));
        assert_eq!(g(-3, 1, false), (-3, false));
        assert_eq!(g(200, 2, false), (253, false));
        assert_eq!(g(-200, 2, false), (0, true), "-254 and below is FAULT");
        assert_eq!(g(i32::MAX, 254, true), (0, true), "no overflow");
        assert_eq!(g(1, 0, false), (0, true));
        assert_eq!(g(0, 0, false), (0, false));
        assert_eq!(g(0, 0, true), (0, true));
    }

    #[test]
    fn rise_and_fall_count_as_keepalived() {
        // rise 2, fall 3: the first result decides at once; then 3 failures, 2 successes.
        let mut r = RiseFall::new(2, 3, false);
        assert_eq!(r.ok(), None);
        assert_eq!(r.record(true), Some(true));
        assert_eq!(r.ok(), Some(true));
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(true), None, "a success in between resets the fall");
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(false), Some(false));
        assert_eq!(r.ok(), Some(false));
        assert_eq!(r.record(true), None);
        assert_eq!(r.record(false), None, "a failure restarts the rise");
        assert_eq!(r.record(true), None);
        assert_eq!(r.record(true), Some(true));
        // A first failure is reported at once too.
        let mut r = RiseFall::new(3, 3, false);
        assert_eq!(r.record(false), Some(false));
        // init_fail: failed from the start, `rise` successes to be OK.
        let mut r = RiseFall::new(2, 1, true);
        assert_eq!(r.ok(), Some(false));
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(true), None);
        assert_eq!(r.record(true), Some(true));
        // rise 1, fall 1: every change reported.
        let mut r = RiseFall::new(1, 1, false);
        assert_eq!(r.record(true), Some(true));
        assert_eq!(r.record(true), None);
        assert_eq!(r.record(false), Some(false));
        assert_eq!(r.record(false), None);
        assert_eq!(r.record(true), Some(true));
    }

    #[test]
    fn file_values_read_as_strtol() {
        assert_eq!(parse_c_long(b"42\n"), Some(42));
        assert_eq!(parse_c_long(b"  -7 apples"), Some(-7));
        assert_eq!(parse_c_long(b"+3"), Some(3));
        assert_eq!(parse_c_long(b"0x1f"), Some(31));
        assert_eq!(parse_c_long(b"010"), Some(8));
        assert_eq!(parse_c_long(b"09"), Some(0), "octal stops at 9");
        assert_eq!(parse_c_long(b"0x"), Some(0));
        assert_eq!(parse_c_long(b""), Some(0));
        assert_eq!(parse_c_long(b"abc"), Some(0));
        assert_eq!(parse_c_long(b"99999999999"), None);
        assert_eq!(parse_c_long(b"-2147483648"), Some(i32::MIN));
    }

    #[test]
    fn processes_match_by_name_or_command_line() {
        let comm = ProcMatch::new("a-very-long-process-name", &[], None, false);
        assert!(comm.matches(Some(b"a-very-long-pro"), None));
        assert!(!comm.matches(Some(b"a-very-long"), None));
        let cmd = |params: &[&str], pm| {
            let p: Vec<String> = params.iter().map(|s| s.to_string()).collect();
            ProcMatch::new("/usr/sbin/nginx", &p, pm, true)
        };
        let line = b"/usr/sbin/nginx\0-c\0/etc/nginx/nginx.conf\0";
        assert!(cmd(&[], None).matches(None, Some(line)), "name only");
        assert!(!cmd(&[], None).matches(None, Some(b"nginx\0-c\0")));
        assert!(!cmd(&[], Some(ParamMatch::Exact)).matches(None, Some(line)));
        assert!(cmd(&[], Some(ParamMatch::Exact)).matches(None, Some(b"/usr/sbin/nginx\0")));
        assert!(
            cmd(&["-c", "/etc/nginx/nginx.conf"], Some(ParamMatch::Exact))
                .matches(None, Some(line))
        );
        assert!(!cmd(&["-c"], Some(ParamMatch::Exact)).matches(None, Some(line)));
        assert!(cmd(&["-c"], Some(ParamMatch::Partial)).matches(None, Some(line)));
        assert!(!cmd(&["-c", "/etc/ng"], Some(ParamMatch::Partial)).matches(None, Some(line)));
        assert!(cmd(&["-c", "/etc/ng"], Some(ParamMatch::Initial)).matches(None, Some(line)));
        assert!(!cmd(&["-x", "/etc/ng"], Some(ParamMatch::Initial)).matches(None, Some(line)));
        assert!(!cmd(&[], None).matches(None, None));
    }

    /// keepalived's delays: a loss waits `terminate_delay` and a process that comes back meanwhile
    /// cancels it; a gain through a fork waits `fork_delay`, through an exec it does not.
    #[test]
    fn quorum_changes_wait_their_delays() {
        use crate::daemon::Key as DKey;
        use crate::reactor::{Reactor, ReactorConfig};
        let mut r: Reactor<DKey> = Reactor::new(&ReactorConfig::default()).unwrap();
        let now = r.now();
        let core = r.core();
        let mut t = Trackers::none();
        t.procs.push(Process {
            name: "p".into(),
            m: ProcMatch::new("x", &[], None, false),
            quorum: 1,
            quorum_max: 2,
            fork_delay: Some(Duration::from_secs(5)),
            terminate_delay: Some(Duration::from_secs(5)),
            count: 0,
            up: false,
            delay: None,
        });
        t.links.push(vec![Link {
            target: Target::Process(0),
            weight: 0,
            reverse: false,
        }]);
        assert_eq!(t.contribution(0), (0, true));
        // An exec: at once.
        assert!(t.add_pid(core, now, 10, 0, Cause::Exec));
        assert_eq!(t.contribution(0), (0, false));
        // It exits: the loss waits; a new one execs meanwhile: nothing happened.
        assert!(!t.proc_event(core, now, ProcEvent::Exit { pid: 10, tgid: 10 }));
        assert!(t.procs[0].delay.is_some() && t.procs[0].up);
        assert!(!t.add_pid(core, now, 11, 0, Cause::Exec));
        assert!(t.procs[0].delay.is_none() && t.procs[0].up);
        // Two children by fork: the second goes over quorum_max, which waits too.
        assert!(!t.proc_event(
            core,
            now,
            ProcEvent::Fork {
                parent_tgid: 11,
                child_pid: 12,
                child_tgid: 12
            }
        ));
        assert!(t.procs[0].delay.is_none(), "2 is within [1, 2]");
        assert!(!t.proc_event(
            core,
            now,
            ProcEvent::Fork {
                parent_tgid: 11,
                child_pid: 13,
                child_tgid: 13
            }
        ));
        assert_eq!(t.procs[0].count, 3);
        assert!(t.procs[0].delay.is_some() && t.procs[0].up);
        // A delay timer of trackers a reload replaced (another deadline) changes nothing.
        let (at, _) = t.procs[0].delay.unwrap();
        assert!(!t.on_timer(core, now, Key::ProcDelay(0), now));
        assert!(t.procs[0].up);
        // The delay ends: the quorum is lost.
        assert!(t.on_timer(core, now, Key::ProcDelay(0), at));
        assert_eq!(t.contribution(0), (0, true));
        // A thread of a tracked process is not a process.
        assert!(!t.proc_event(
            core,
            now,
            ProcEvent::Fork {
                parent_tgid: 11,
                child_pid: 14,
                child_tgid: 11
            }
        ));
        assert_eq!(t.procs[0].count, 3);
    }

    #[test]
    fn stat_comm_skips_zombies_and_keeps_parentheses() {
        assert_eq!(stat_comm(b"12 (a (b) c) S 1 2"), Some(b"a (b) c".to_vec()));
        assert_eq!(stat_comm(b"12 (sleep) Z 1 2"), None);
        assert_eq!(stat_comm(b"garbage"), None);
    }

    #[test]
    fn track_files_resolve_through_their_directory() {
        let dir = std::env::temp_dir().join(format!("krs-trk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (full, d, part) = resolve_track_file(&dir.join("missing")).unwrap();
        assert_eq!(part, "missing");
        assert_eq!(d, std::fs::canonicalize(&dir).unwrap());
        assert_eq!(full, d.join("missing"));
        assert!(resolve_track_file(&dir.join("no/such/dir/file")).is_none());
        let p = dir.join("init");
        init_file(
            "t",
            &p,
            crate::config::vrrp::InitFile {
                value: 7,
                overwrite: false,
            },
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "7\n");
        init_file(
            "t",
            &p,
            crate::config::vrrp::InitFile {
                value: 8,
                overwrite: false,
            },
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "7\n", "kept");
        init_file(
            "t",
            &p,
            crate::config::vrrp::InitFile {
                value: 9,
                overwrite: true,
            },
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "9\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
