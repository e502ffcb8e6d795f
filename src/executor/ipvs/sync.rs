//! The connection-synchronisation daemons of `lvs_sync_daemon`: the kernel's master (sends
//! connection updates) and backup (receives them) threads, started and stopped as the VRRP
//! instance the keyword names changes state.
//!
//! # What runs (keepalived's behaviour)
//! - With an instance named: the backup daemon while the instance is anything but MASTER
//!   (BACKUP, FAULT, not started yet), the master daemon alone while it is MASTER. Debian's
//!   keepalived 2.2.7 in the IPVS guest shows the same `ipvsadm -L --daemon` lines (backup at
//!   start, master alone once MASTER, none after stop; `ipvs_guest`); it does it from its
//!   VRRP process (`ipvs_syncd_master`/`ipvs_syncd_backup`: stop one, start the other).
//! - Without an instance: both run, always (keepalived 2.3+, from its checker process;
//!   2.2.7 needs an instance and ran none in the guest).
//! - `id` defaults to the instance's VRID (0 without an instance).
//! - At stop, the daemons we run are stopped.
//! - `-C` (no VRRP side): a daemon that follows an instance does not run (keepalived: its
//!   VRRP process does not run). Difference: keepalived's `-P` still runs it; here the IPVS
//!   side runs the daemons, and `-P` leaves it out, so `-P` runs none.
//!
//! # How
//! The kernel runs at most one daemon per role. A check dumps them (`GET_DAEMON`), compares
//! with the desired ones ([`diff`]) and sends `DEL_DAEMON`/`NEW_DAEMON` for the difference
//! (stops first). Checks run when IPVS is found, after a reload, on every state change of an
//! instance that changes what should run, and with each periodic pass (a daemon someone
//! stopped comes back). Only one dump runs at a time; a check asked for meanwhile follows it,
//! so a diff never sees a table that changes already sent have made stale. Once
//! `lvs_sync_daemon` is configured the two daemons are ours: one in a role we do not want, or
//! left by a daemon that was killed, is stopped (keepalived stops both at start for that).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use log::{info, warn};

use super::{IpvsExecutor, IpvsKey, Phase, Tag};
use crate::config::Config;
use crate::config::global::SyncDaemon;
use crate::ipvs::codec::Request;
use crate::ipvs::model::{Daemon, SyncState};
use crate::netlink::Outcome;
use crate::reactor::Core;
use crate::time::Instant;
use crate::vrrp::State;

/// The kernel's defaults for what a request leaves out (NETH sync.c).
const DEFAULT_PORT: u16 = 8848;
const DEFAULT_GROUP: IpAddr = IpAddr::V4(Ipv4Addr::new(224, 0, 0, 81));
const DEFAULT_TTL: u8 = 1;

/// A change to the kernel's daemons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOp {
    Start(Daemon),
    Stop(SyncState),
}

/// The sync daemons' part of the IPVS executor.
#[derive(Debug, Default)]
pub struct Syncd {
    conf: Option<SyncDaemon>,
    /// The VRID of the named instance (the default `id`).
    vrid: Option<u8>,
    /// The last state each instance reported.
    states: HashMap<String, State>,
    /// The daemons as we last read and changed them.
    kernel: Vec<Daemon>,
    /// A dump is running: what it has read so far.
    reading: Option<Vec<Daemon>>,
    /// A check was asked for while a dump ran.
    again: bool,
    /// The VRRP side does not run (`-C`): a daemon that follows an instance does not run.
    no_vrrp: bool,
}

impl Syncd {
    pub fn new(cfg: &Config) -> Syncd {
        let mut s = Syncd::default();
        s.configure(cfg);
        s
    }

    /// Takes `lvs_sync_daemon` (and its instance's VRID) from `cfg`.
    pub fn configure(&mut self, cfg: &Config) {
        self.conf = cfg.global.lvs.sync_daemon.clone();
        self.vrid = None;
        if let Some(name) = self.conf.as_ref().and_then(|c| c.instance.as_ref()) {
            match cfg.vrrp.instances.iter().find(|i| &i.name == name) {
                Some(i) => self.vrid = i.virtual_router_id,
                None => warn!(
                    "IPVS: lvs_sync_daemon: no VRRP instance `{name}`; the daemon runs as backup"
                ),
            }
        }
    }

    pub fn configured(&self) -> bool {
        self.conf.is_some()
    }

    /// Instance `name` entered `state`; whether the desired daemons changed.
    pub fn set_state(&mut self, name: &str, state: State) -> bool {
        let before = self.desired();
        self.states.insert(name.to_string(), state);
        self.desired() != before
    }

    /// The daemons that should run now.
    pub fn desired(&self) -> Vec<Daemon> {
        let Some(c) = &self.conf else {
            return Vec::new();
        };
        let make = |state| Daemon {
            state,
            ifname: c.interface.clone(),
            sync_id: u32::from(c.syncid.or(self.vrid).unwrap_or(0)),
            maxlen: c.maxlen,
            group: c.group,
            port: c.port,
            ttl: c.ttl,
        };
        match &c.instance {
            Some(_) if self.no_vrrp => Vec::new(),
            None => vec![make(SyncState::Master), make(SyncState::Backup)],
            Some(name) if self.states.get(name) == Some(&State::Master) => {
                vec![make(SyncState::Master)]
            }
            Some(_) => vec![make(SyncState::Backup)],
        }
    }
}

/// What turns `have` (the kernel's daemons) into `want`: stops first, then starts.
pub fn diff(want: &[Daemon], have: &[Daemon]) -> Vec<SyncOp> {
    let mut ops: Vec<SyncOp> = have
        .iter()
        .filter(|h| !want.iter().any(|w| same(w, h)))
        .map(|h| SyncOp::Stop(h.state))
        .collect();
    ops.extend(
        want.iter()
            .filter(|w| !have.iter().any(|h| same(w, h)))
            .cloned()
            .map(SyncOp::Start),
    );
    ops
}

/// Whether the kernel's `have` is the daemon `want` asks for: what `want` leaves out is the
/// kernel's default, and what the kernel does not report (before 4.3) is taken as asked.
/// `maxlen` left out is derived from the MTU: any value is fine.
fn same(want: &Daemon, have: &Daemon) -> bool {
    fn field<T: PartialEq + Copy>(want: Option<T>, have: Option<T>, default: Option<T>) -> bool {
        match (have, want.or(default)) {
            (Some(h), Some(w)) => h == w,
            _ => true,
        }
    }
    want.state == have.state
        && want.ifname == have.ifname
        && want.sync_id == have.sync_id
        && field(want.maxlen, have.maxlen, None)
        && field(want.group, have.group, Some(DEFAULT_GROUP))
        && field(want.port, have.port, Some(DEFAULT_PORT))
        && field(want.ttl, have.ttl, Some(DEFAULT_TTL))
}

fn role(s: SyncState) -> &'static str {
    match s {
        SyncState::Master => "master",
        SyncState::Backup => "backup",
    }
}

fn describe(op: &SyncOp) -> String {
    match op {
        SyncOp::Start(d) => format!(
            "starting the {} sync daemon on {} (id {})",
            role(d.state),
            d.ifname,
            d.sync_id
        ),
        SyncOp::Stop(s) => format!("stopping the {} sync daemon", role(*s)),
    }
}

impl IpvsExecutor {
    /// Instance `name` entered `state`: the daemons follow when that changes what should run.
    pub fn vrrp_state<K: From<IpvsKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        name: &str,
        state: State,
    ) {
        if self.sync.set_state(name, state) {
            self.sync_check();
            self.flush(core, now);
        }
    }

    /// Whether the VRRP side runs (set once, after the start).
    pub fn set_vrrp_runs(&mut self, runs: bool) {
        self.sync.no_vrrp = !runs;
    }

    /// Dumps the kernel's daemons (or marks a check to follow the running dump).
    pub(super) fn sync_check(&mut self) {
        if !self.sync.configured()
            || matches!(
                self.phase,
                Phase::Unavailable | Phase::Resolving | Phase::Stopping
            )
        {
            return;
        }
        if self.sync.reading.is_some() {
            self.sync.again = true;
            return;
        }
        if self
            .client
            .queue(
                &Request::GetDaemons,
                "dumping sync daemons".into(),
                Tag::Daemons,
            )
            .is_some()
        {
            self.sync.reading = Some(Vec::new());
        }
    }

    /// A daemon of the running dump.
    pub(super) fn sync_seen(&mut self, d: Daemon) {
        if let Some(r) = &mut self.sync.reading {
            r.push(d);
        }
    }

    /// The dump ended: send the difference.
    pub(super) fn sync_read(&mut self, outcome: &Outcome) {
        let Some(read) = self.sync.reading.take() else {
            return;
        };
        if self.phase == Phase::Stopping {
            return;
        }
        if outcome.errno().is_some() {
            self.sync.again = false;
            return;
        }
        let ops = diff(&self.sync.desired(), &read);
        self.sync.kernel = read;
        for op in ops {
            let what = describe(&op);
            info!("IPVS: {what}");
            self.counters.changes += 1;
            match &op {
                SyncOp::Start(d) => {
                    self.client.queue(
                        &Request::NewDaemon(d),
                        what.clone(),
                        Tag::Sync(what, op.clone()),
                    );
                    self.sync.kernel.push(d.clone());
                }
                SyncOp::Stop(s) => {
                    self.client.queue(
                        &Request::DelDaemon(*s),
                        what.clone(),
                        Tag::Sync(what, op.clone()),
                    );
                    self.sync.kernel.retain(|d| d.state != *s);
                }
            }
        }
        if std::mem::take(&mut self.sync.again) {
            self.sync_check();
        }
    }

    /// The answer to a start or stop: a start the kernel refused is not ours to stop.
    pub(super) fn sync_answer(&mut self, what: &str, op: &SyncOp, outcome: &Outcome) {
        if let Outcome::Failed { errno, text } = outcome {
            let detail = text
                .as_deref()
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            log::error!(
                "IPVS: {what}: {}{detail}",
                std::io::Error::from_raw_os_error(*errno)
            );
            if let SyncOp::Start(d) = op {
                self.sync.kernel.retain(|k| k.state != d.state);
            }
        }
    }

    /// At stop: the daemons we run are stopped.
    pub(super) fn sync_stop(&mut self) {
        if !self.sync.configured() {
            return;
        }
        for d in std::mem::take(&mut self.sync.kernel) {
            let what = describe(&SyncOp::Stop(d.state));
            info!("IPVS: {what}");
            self.client.queue(
                &Request::DelDaemon(d.state),
                what.clone(),
                Tag::Change(what),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(instance: Option<&str>) -> SyncDaemon {
        SyncDaemon {
            interface: "eth0".into(),
            instance: instance.map(str::to_string),
            syncid: None,
            maxlen: None,
            port: None,
            ttl: None,
            group: None,
        }
    }

    fn syncd(instance: Option<&str>, vrid: Option<u8>) -> Syncd {
        Syncd {
            conf: Some(conf(instance)),
            vrid,
            ..Syncd::default()
        }
    }

    fn daemon(state: SyncState, id: u32) -> Daemon {
        Daemon {
            state,
            ifname: "eth0".into(),
            sync_id: id,
            maxlen: None,
            group: None,
            port: None,
            ttl: None,
        }
    }

    #[test]
    fn a_named_instance_runs_backup_until_master_and_back() {
        let mut s = syncd(Some("VI_1"), Some(51));
        assert_eq!(s.desired(), vec![daemon(SyncState::Backup, 51)]);
        assert!(!s.set_state("VI_1", State::Backup));
        assert!(!s.set_state("VI_2", State::Master));
        assert!(s.set_state("VI_1", State::Master));
        assert_eq!(s.desired(), vec![daemon(SyncState::Master, 51)]);
        assert!(s.set_state("VI_1", State::Fault));
        assert_eq!(s.desired(), vec![daemon(SyncState::Backup, 51)]);
    }

    #[test]
    fn without_an_instance_both_run_with_id_0_and_an_id_wins_over_the_vrid() {
        let s = syncd(None, None);
        assert_eq!(
            s.desired(),
            vec![daemon(SyncState::Master, 0), daemon(SyncState::Backup, 0)]
        );
        let mut s = syncd(Some("VI_1"), Some(51));
        s.conf.as_mut().unwrap().syncid = Some(7);
        assert_eq!(s.desired(), vec![daemon(SyncState::Backup, 7)]);
        assert!(Syncd::default().desired().is_empty());
        // `-C`: no VRRP, no daemon that follows an instance (keepalived 2.2.7: none either).
        let mut s = syncd(Some("VI_1"), Some(51));
        s.no_vrrp = true;
        assert!(s.desired().is_empty());
        s.conf.as_mut().unwrap().instance = None;
        assert_eq!(s.desired().len(), 2);
    }

    #[test]
    fn diff_stops_first_and_takes_the_kernels_defaults_as_asked() {
        let master = daemon(SyncState::Master, 51);
        let backup = daemon(SyncState::Backup, 51);
        assert_eq!(
            diff(std::slice::from_ref(&master), std::slice::from_ref(&backup)),
            vec![
                SyncOp::Stop(SyncState::Backup),
                SyncOp::Start(master.clone())
            ]
        );
        // The kernel (4.3+) reports every field: its defaults match a daemon that left them out.
        let reported = Daemon {
            maxlen: Some(1472),
            group: Some(DEFAULT_GROUP),
            port: Some(DEFAULT_PORT),
            ttl: Some(DEFAULT_TTL),
            ..master.clone()
        };
        assert!(
            diff(
                std::slice::from_ref(&master),
                std::slice::from_ref(&reported)
            )
            .is_empty()
        );
        // A port configured away from the default is a change: stop, then start.
        let moved = Daemon {
            port: Some(9000),
            ..master.clone()
        };
        assert_eq!(
            diff(std::slice::from_ref(&moved), &[reported]),
            vec![SyncOp::Stop(SyncState::Master), SyncOp::Start(moved)]
        );
        // Another id is another daemon.
        assert_eq!(
            diff(
                std::slice::from_ref(&master),
                &[daemon(SyncState::Master, 1)]
            ),
            vec![SyncOp::Stop(SyncState::Master), SyncOp::Start(master)]
        );
    }
}
