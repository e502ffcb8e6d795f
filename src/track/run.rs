//! The trackers at run time: scripts scheduled and started through the reactor, track files
//! watched with inotify, processes followed through the process connector (or `/proc` scans),
//! and what each owner gets from them ([`Trackers::contribution`]).
//!
//! The reactor keys are the owner's: every entry point takes an [`Io`], the reactor and the
//! function that wraps a tracker [`TrackKey`] into the owner's key type, so this module knows no
//! executor.

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::time::Duration;

use log::{debug, error, info, warn};

use crate::config::Config;
use crate::config::vrrp::Tracking;
use crate::reactor::{ChildEnd, ChildId, Core};
use crate::script::default_script_user;
use crate::sys::ExitStatus;
use crate::sys::inotify::{self, Inotify};
use crate::sys::proc_events::{self, ProcEvent, ProcEvents};
use crate::time::Instant;

use super::file::{File, init_file, set_value};
use super::process::{Cause, Process, Step, proc_pids, read_proc, set_quorum};
use super::script::{Outcome, Script, record};
use super::weight::{Link, Target, add_bool, add_file, link_of};

/// What a reactor token, timer or child of the trackers belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKey {
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

/// The reactor as the trackers' owner sees it: `own` wraps a tracker [`TrackKey`] into the owner's
/// key type (VRRP: `vrrp_exec::VrrpKey::Tracker`).
pub struct Io<'a, K> {
    pub core: &'a mut Core<K>,
    pub own: fn(TrackKey) -> K,
}

/// What one owner (a VRRP instance) tracks.
pub struct Owner {
    /// Its scripts, files, processes and BFD sessions, with their weights.
    pub tracking: Tracking,
    /// Only its weight-0 references count, files with weight 0 (keepalived's address owner).
    pub no_weights: bool,
}

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

    /// The trackers `owners` (in the executor's order; `None`: tracks nothing) use: scripts are
    /// scheduled (the first run now), files read and watched, processes counted and watched.
    pub fn start<K: Copy>(
        cfg: &Config,
        owners: &[Option<Owner>],
        io: &mut Io<'_, K>,
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
        for owner in owners {
            let mut links = Vec::new();
            let Some(Owner {
                tracking,
                no_weights,
            }) = owner
            else {
                t.links.push(links);
                continue;
            };
            let no_weights = *no_weights;
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
            io.core.arm(now, (io.own)(TrackKey::ScriptTick(i as u32)));
            s.due = Some(now);
        }
        t.watch_files(io);
        t.watch_processes(io, now);
        t
    }

    fn watch_files<K: Copy>(&mut self, io: &mut Io<'_, K>) {
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
        match io
            .core
            .register_fd(&ino, mio::Interest::READABLE, (io.own)(TrackKey::Inotify))
        {
            Ok(t) => self.tokens.0 = Some(t),
            Err(e) => {
                error!("Unable to monitor track files: {e}");
                return;
            }
        }
        self.buf.resize(8192, 0);
        self.inotify = Some(ino);
    }

    fn watch_processes<K: Copy>(&mut self, io: &mut Io<'_, K>, now: Instant) {
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
                match io.core.register_fd(
                    &pe,
                    mio::Interest::READABLE,
                    (io.own)(TrackKey::ProcEvents),
                ) {
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
        self.rescan(io, None);
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
            self.arm_scan(io, now + PROC_POLL);
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
    pub fn on_io<K: Copy>(&mut self, io: &mut Io<'_, K>, now: Instant, k: TrackKey) -> bool {
        match k {
            TrackKey::Inotify => self.on_inotify(),
            TrackKey::ProcEvents => self.on_proc_events(io, now),
            _ => false,
        }
    }

    /// A timer of the trackers is due.
    pub fn on_timer<K: Copy>(
        &mut self,
        io: &mut Io<'_, K>,
        now: Instant,
        k: TrackKey,
        deadline: Instant,
    ) -> bool {
        if self.stopped {
            return false;
        }
        match k {
            TrackKey::ScriptTick(n) => self.tick(io, now, n as usize, deadline),
            TrackKey::ProcDelay(n) => {
                let mine = |p: &&mut Process| p.delay.is_some_and(|(at, _)| at == deadline);
                let Some(p) = self.procs.get_mut(n as usize).filter(mine) else {
                    return false;
                };
                p.delay = None;
                set_quorum(p, p.want())
            }
            TrackKey::ProcScan => {
                if self.scan_at != Some(deadline) {
                    return false;
                }
                self.scan_at = None;
                let changed = self.rescan(io, Some(now));
                if self.proc_events.is_none() {
                    self.arm_scan(io, now + PROC_POLL);
                }
                changed
            }
            _ => false,
        }
    }

    /// A script's child ended.
    pub fn on_child(&mut self, k: TrackKey, id: ChildId, end: ChildEnd) -> bool {
        let TrackKey::Script(n) = k else { return false };
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

    fn tick<K: Copy>(
        &mut self,
        io: &mut Io<'_, K>,
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
        io.core.arm(next, (io.own)(TrackKey::ScriptTick(n as u32)));
        s.due = Some(next);
        if s.running.is_some() {
            info!(
                "Track script {} is already running, expect idle - skipping run",
                s.name
            );
            return false;
        }
        // Script security, checked before every run, so that a fix takes effect without a
        // reload and nothing changed since the load runs unchecked.
        let mut cmd = match s.spawn.checked_command() {
            Err(r) => return s.refuse(&r),
            Ok(cmd) => cmd,
        };
        s.admit();
        match io.core.spawn(
            now,
            &mut cmd,
            Some(s.timeout),
            (io.own)(TrackKey::Script(n as u32)),
        ) {
            Ok(id) => {
                s.running = Some(id);
                false
            }
            Err(e) => {
                warn!(
                    "VRRP_Script({}): cannot run {:?}: {e}",
                    s.name, s.spawn.argv
                );
                record(s, Outcome::NotStarted)
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

    fn on_proc_events<K: Copy>(&mut self, io: &mut Io<'_, K>, now: Instant) -> bool {
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
                        self.arm_scan(io, now + Duration::from_secs(1));
                    }
                    continue;
                }
                Err(e) => {
                    warn!("Process monitor: receive error: {e}");
                    break;
                }
            };
            for ev in proc_events::parse(&buf[..n]) {
                changed |= self.proc_event(io, now, ev);
            }
        }
        self.buf = buf;
        changed
    }

    fn proc_event<K: Copy>(&mut self, io: &mut Io<'_, K>, now: Instant, ev: ProcEvent) -> bool {
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
                    changed |= self.add_pid(io, now, child_tgid, p, Cause::Fork);
                }
                changed
            }
            ProcEvent::Exec { pid, tgid } if pid == tgid => {
                let (comm, cmdline) = read_proc(pid, self.need_comm, self.need_cmdline);
                self.check_pid(io, now, pid, comm.as_deref(), cmdline.as_deref(), true)
            }
            ProcEvent::Comm { pid, tgid, comm } if pid == tgid && self.need_comm => {
                let end = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
                self.check_pid(io, now, pid, Some(&comm[..end]), None, false)
            }
            ProcEvent::Exit { pid, tgid } if pid == tgid => {
                let Some(ps) = self.pids.remove(&pid) else {
                    return false;
                };
                let mut changed = false;
                for p in ps {
                    self.procs[p].count = self.procs[p].count.saturating_sub(1);
                    changed |= self.count_changed(io, now, p, Cause::Exit);
                }
                changed
            }
            _ => false,
        }
    }

    /// Matches process `pid` against every tracker again: with `cmdline_known`, the trackers on
    /// the command line too (an exec); without (a comm change), those on the name only.
    fn check_pid<K: Copy>(
        &mut self,
        io: &mut Io<'_, K>,
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
                changed |= self.add_pid(io, now, pid, p, Cause::Exec);
            } else if !now_match && counted {
                if let Some(v) = self.pids.get_mut(&pid) {
                    v.retain(|&x| x != p);
                    if v.is_empty() {
                        self.pids.remove(&pid);
                    }
                }
                self.procs[p].count = self.procs[p].count.saturating_sub(1);
                changed |= self.count_changed(io, now, p, Cause::Exec);
            }
        }
        changed
    }

    fn add_pid<K: Copy>(
        &mut self,
        io: &mut Io<'_, K>,
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
        self.count_changed(io, now, p, cause)
    }

    /// The count of tracker `p` changed: [`Process::step`] says what to do (keepalived's quorum
    /// rules); this arms or cancels the delay timer.
    fn count_changed<K: Copy>(
        &mut self,
        io: &mut Io<'_, K>,
        now: Instant,
        p: usize,
        cause: Cause,
    ) -> bool {
        let pr = &mut self.procs[p];
        match pr.step(cause) {
            Step::Settled => {
                if let Some((_, id)) = pr.delay.take() {
                    io.core.cancel(id);
                }
                false
            }
            Step::Waiting => false,
            Step::Wait(d) => {
                let at = now + d;
                pr.delay = Some((at, io.core.arm(at, (io.own)(TrackKey::ProcDelay(p as u32)))));
                false
            }
            Step::Report(up) => set_quorum(pr, up),
        }
    }

    /// Counts every process again from `/proc` (`now` is `None` at start: no delays, no logs).
    fn rescan<K: Copy>(&mut self, io: &mut Io<'_, K>, now: Option<Instant>) -> bool {
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
                changed |= self.count_changed(io, now, i, Cause::Scan);
            }
        }
        changed
    }

    fn arm_scan<K: Copy>(&mut self, io: &mut Io<'_, K>, at: Instant) {
        if self.stopped {
            return;
        }
        io.core.arm(at, (io.own)(TrackKey::ProcScan));
        self.scan_at = Some(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::process::ProcMatch;

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

    /// keepalived's delays: a loss waits `terminate_delay` and a process that comes back meanwhile
    /// cancels it; a gain through a fork waits `fork_delay`, through an exec it does not.
    #[test]
    fn quorum_changes_wait_their_delays() {
        use crate::reactor::{Reactor, ReactorConfig};
        let mut r: Reactor<TrackKey> = Reactor::new(&ReactorConfig::default()).unwrap();
        let now = r.now();
        let io = &mut Io {
            core: r.core(),
            own: |k| k,
        };
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
        assert!(t.add_pid(io, now, 10, 0, Cause::Exec));
        assert_eq!(t.contribution(0), (0, false));
        // It exits: the loss waits; a new one execs meanwhile: nothing happened.
        assert!(!t.proc_event(io, now, ProcEvent::Exit { pid: 10, tgid: 10 }));
        assert!(t.procs[0].delay.is_some() && t.procs[0].up);
        assert!(!t.add_pid(io, now, 11, 0, Cause::Exec));
        assert!(t.procs[0].delay.is_none() && t.procs[0].up);
        // Two children by fork: the second goes over quorum_max, which waits too.
        assert!(!t.proc_event(
            io,
            now,
            ProcEvent::Fork {
                parent_tgid: 11,
                child_pid: 12,
                child_tgid: 12
            }
        ));
        assert!(t.procs[0].delay.is_none(), "2 is within [1, 2]");
        assert!(!t.proc_event(
            io,
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
        assert!(!t.on_timer(io, now, TrackKey::ProcDelay(0), now));
        assert!(t.procs[0].up);
        // The delay ends: the quorum is lost.
        assert!(t.on_timer(io, now, TrackKey::ProcDelay(0), at));
        assert_eq!(t.contribution(0), (0, true));
        // A thread of a tracked process is not a process.
        assert!(!t.proc_event(
            io,
            now,
            ProcEvent::Fork {
                parent_tgid: 11,
                child_pid: 14,
                child_tgid: 11
            }
        ));
        assert_eq!(t.procs[0].count, 3);
    }
}
