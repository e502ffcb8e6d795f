//! The health checkers' executor: runs every check of the configuration on the daemon's one
//! loop, non-blocking (a socket, a child or an event per running probe, never a thread), and
//! keeps each virtual server's pool ([`crate::check::pool`]) for the IPVS executor and the
//! notify and quorum scripts.
//!
//! # Checks and probes
//! A check is a checker with its target: identical checks (same type, parameters, target and
//! timing) behind many virtual servers run one probe and tell every real server they belong to
//! (keepalived runs one each: issue #2358). Each check has one timer: the start of its next
//! probe ([`crate::check::machine`]), then the probe's deadline: `connect_timeout` from the
//! start of its connection for TCP, HTTP, SMTP, DNS, UDP and PING (a total, not a per-read
//! time: a server that trickles bytes fails at it), `misc_timeout` for MISC_CHECK.
//!
//! # Reload
//! A check whose identity did not change keeps its state, schedule and figures (a probe that
//! was running starts again at once); a real server keeps its dynamic weight; a virtual server
//! its quorum. The reload itself adds and removes no real server (keepalived issues #608,
//! #1163, #2253).

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::rc::Rc;
use std::time::Duration;

use log::{debug, info};

use crate::check::machine::{Machine, Timing};
use crate::check::pool::{Change, Pool};
use crate::check::{Verdict, dns, http, icmp, smtp, udp};
use crate::config::At;
use crate::config::Config;
use crate::config::lvs::checker::{Checker, CheckerKind, HttpCheck};
use crate::config::lvs::{Lvs, RealServer, VirtualServer};
use crate::reactor::armed::Armed;
use crate::reactor::{ChildEnd, ChildId, Core};
use crate::rng::Rng;
use crate::script::Settings;
use crate::sys::ExitStatus;
use crate::sys::probe::{self, Bind, Kind};
use crate::time::Instant;

pub mod dump;

/// What a reactor wake of the checkers is for: check `i` of configuration `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckKey {
    Timer {
        i: u32,
        epoch: u32,
    },
    Io {
        i: u32,
        epoch: u32,
    },
    Child {
        i: u32,
        epoch: u32,
    },
    /// A notify or quorum script (not waited for).
    Script,
    /// The inotify instance of the FILE_CHECKs.
    Files,
}

/// A running probe.
enum Probe {
    Stream {
        fd: OwnedFd,
        connected: bool,
        /// Bytes still to write.
        out: Vec<u8>,
        talk: Talk,
    },
    Datagram {
        fd: OwnedFd,
        /// The DNS id; the ICMP id and sequence.
        id: u16,
        seq: u16,
        sent: Vec<u8>,
    },
    Child(ChildId),
}

enum Talk {
    Connect,
    Http {
        d: Box<http::Dialogue>,
        url: usize,
        /// SSL_GET: the TLS client the bytes go through.
        tls: Option<Box<Tls>>,
    },
    Smtp(Box<smtp::Dialogue>),
}

#[cfg(feature = "tls")]
type Tls = crate::check::tls::Client;
#[cfg(feature = "tls")]
type TlsConfig = crate::check::tls::Config;

/// Without the `tls` feature no SSL_GET connection is ever made.
#[cfg(not(feature = "tls"))]
enum Tls {}
#[cfg(not(feature = "tls"))]
type TlsConfig = ();

#[cfg(not(feature = "tls"))]
impl Tls {
    fn outgoing(&mut self) -> Vec<u8> {
        match *self {}
    }
    fn incoming(&mut self, _: &[u8]) -> Result<(), String> {
        match *self {}
    }
    fn write_plain(&mut self, _: &[u8]) -> Result<(), String> {
        match *self {}
    }
    fn read_plain(&mut self) -> Vec<u8> {
        match *self {}
    }
    fn peer_closed(&self) -> bool {
        match *self {}
    }
    fn close(&mut self) {
        match *self {}
    }
}

/// One check: see the module doc.
struct Check {
    spec: Rc<Checker>,
    /// Where the probe goes (`connect_ip`/`connect_port` or the real server's).
    target: SocketAddr,
    /// HTTP: the Host header's default (the real server's virtualhost, else the virtual
    /// server's; none: the address and port).
    host: Option<String>,
    /// The real servers it decides: (virtual server, real server) indices.
    members: Vec<(usize, usize)>,
    m: Machine,
    timer: Armed,
    probe: Option<Probe>,
    /// When the current connection began (HTTP: each URL's).
    began: Instant,
    /// The probe's socket's token in the reactor.
    token: Option<mio::Token>,
    /// HTTP: each url's regex, compiled (an error fails every probe).
    regexes: Vec<Option<Result<crate::check::regex::Regex, String>>>,
    /// SSL_GET: the TLS client configuration (an error fails every probe).
    tls: Option<Result<TlsConfig, String>>,
}

/// See the module doc.
pub struct CheckExecutor {
    epoch: u32,
    checks: Vec<Check>,
    pools: Vec<Pool>,
    lvs: Rc<Lvs>,
    /// The checks by the hash of their identity (equal identities compared in full).
    by_identity: HashMap<u64, Vec<u32>>,
    /// Virtual servers whose pool changed since [`CheckExecutor::take_changed`].
    changed: BTreeSet<usize>,
    settings: Settings,
    rng: Rng,
    seq: u16,
    /// The BFD sessions the BFD_CHECKs follow, and their state.
    bfd: HashMap<String, bool>,
    /// `checker_log_all_failures`.
    log_all: bool,
    /// FILE_CHECK: the inotify instance, and per check its file, weight and the adjustment
    /// it gave its real servers.
    inotify: Option<(crate::sys::inotify::Inotify, mio::Token)>,
    files: Vec<FileWatch>,
    /// How late probes started against their schedule.
    pub lateness: dump::Lateness,
    /// `notify_fifo` and `lvs_notify_fifo`: a line per real server and quorum change.
    fifos: Vec<crate::script::FifoOut>,
    /// Checks of real servers that went up or down and quorums gained or lost, not yet taken
    /// (the e-mail alerts).
    alerts: Vec<CheckAlert>,
    /// E-mail alerts are configured (recipients and a server): else no alert is made.
    mails: bool,
    /// SSL_GET client configurations by their options.
    #[cfg(feature = "tls")]
    tls_configs: HashMap<crate::check::tls::Options, Result<TlsConfig, String>>,
}

/// What the checkers mail (`smtp_alert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckAlert {
    Server(RsAlert),
    /// Virtual server `vs` gained (`up`) or lost its quorum; `body` is keepalived's
    /// ("=> Gained quorum 2+0=2 <= 2 <="), `smtp_alert` the virtual server's own.
    Quorum {
        vs: String,
        up: bool,
        body: String,
        smtp_alert: Option<bool>,
    },
}

/// A check of a real server went up or down (keepalived mails it: `smtp_alert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsAlert {
    /// The virtual server and the real server as keepalived names them in mails
    /// (`[IP]:PROTO:PORT`).
    pub vs: String,
    pub rs: String,
    /// The checker's keyword.
    pub check: &'static str,
    pub up: bool,
    /// The real server is alive after it, and whether that changed.
    pub alive: bool,
    pub alive_changed: bool,
    /// The real server's own `smtp_alert`.
    pub smtp_alert: Option<bool>,
}

/// One FILE_CHECK's file.
struct FileWatch {
    check: usize,
    path: std::path::PathBuf,
    wd: i32,
    /// `weight` (0: a non-zero value is down) and `reverse`.
    weight: i64,
    reverse: bool,
    /// The adjustment given now.
    given: i64,
}

/// A virtual server as keepalived names it in its log.
fn vs_text(vs: &VirtualServer) -> String {
    match &vs.target {
        crate::config::lvs::VsTarget::Addr { ip, port } => addr_text(SocketAddr::new(*ip, *port)),
        crate::config::lvs::VsTarget::Fwmark(m) => format!("FWM {m}"),
        crate::config::lvs::VsTarget::Group(g) => g.clone(),
    }
}

/// An address in the FIFO lines: `[IP]:tcp:PORT` (the virtual server's protocol).
fn fifo_addr(ip: std::net::IpAddr, vs: &VirtualServer, port: u16) -> String {
    let proto = match vs.protocol {
        Some(crate::config::lvs::Protocol::Tcp) => "tcp",
        Some(crate::config::lvs::Protocol::Sctp) => "sctp",
        _ => "udp",
    };
    format!("[{ip}]:{proto}:{port}")
}

/// A virtual server in the FIFO lines.
fn fifo_vs(vs: &VirtualServer) -> String {
    match &vs.target {
        crate::config::lvs::VsTarget::Addr { ip, port } => fifo_addr(*ip, vs, *port),
        crate::config::lvs::VsTarget::Fwmark(m) => format!("FWM {m}"),
        crate::config::lvs::VsTarget::Group(g) => g.clone(),
    }
}

/// `[ip]:port` as keepalived writes a real server.
pub fn addr_text(a: SocketAddr) -> String {
    format!("[{}]:{}", a.ip(), a.port())
}

impl CheckExecutor {
    /// Builds the checks of `cfg` (taking over the state of `old`'s where the identity is the
    /// same), and arms them.
    pub fn new<K: From<CheckKey> + Copy>(
        cfg: &Config,
        old: Option<CheckExecutor>,
        core: &mut Core<K>,
        now: Instant,
    ) -> CheckExecutor {
        let mut settings = Settings::default();
        settings.load(cfg);
        let epoch = old.as_ref().map_or(0, |o| o.epoch.wrapping_add(1));
        let mut x = CheckExecutor {
            epoch,
            checks: Vec::new(),
            pools: Vec::new(),
            lvs: Rc::clone(&cfg.lvs),
            by_identity: HashMap::new(),
            changed: BTreeSet::new(),
            settings,
            rng: Rng::new(crate::sys::random_u64()),
            seq: 0,
            bfd: HashMap::new(),
            log_all: cfg.global.lvs.checker_log_all_failures,
            inotify: None,
            files: Vec::new(),
            lateness: old.as_ref().map(|o| o.lateness.clone()).unwrap_or_default(),
            fifos: Vec::new(),
            alerts: Vec::new(),
            mails: !cfg.global.email.to.is_empty() && cfg.global.email.smtp_server.is_some(),
            #[cfg(feature = "tls")]
            tls_configs: HashMap::new(),
        };
        let g = &cfg.global.fifos;
        for f in [&g.notify, &g.lvs] {
            let Some(path) = &f.path else { continue };
            x.fifos
                .push(crate::script::FifoOut::open(std::path::PathBuf::from(
                    &path.path,
                )));
        }
        // The lvs_notify_fifo reader starts once, with the daemon (keepalived's).
        if old.is_none()
            && let (Some(path), Some(s)) = (&g.lvs.path, &g.lvs.script)
        {
            x.settings
                .spawn(&s.cmd, s.user.as_deref(), s.group.as_deref(), &[&path.path])
                .start(core, K::from(CheckKey::Script));
        }
        let lvs = Rc::clone(&cfg.lvs);
        let n: usize = lvs
            .virtual_servers
            .iter()
            .flat_map(|vs| &vs.real_servers)
            .map(|rs| rs.checkers.len())
            .sum();
        x.checks.reserve_exact(n);
        for (v, vs) in lvs.virtual_servers.iter().enumerate() {
            for (r, rs) in vs.real_servers.iter().enumerate() {
                for c in &rs.checkers {
                    x.add(vs, v, rs, r, c, now);
                }
            }
        }
        let mut old = old;
        if let Some(o) = &mut old {
            o.abort_all(core);
        }
        // Adopt the state of checks that stayed.
        if let Some(o) = &old {
            for c in &mut x.checks {
                if let Some(oc) = o.find(&c.spec, c.target).and_then(|i| o.checks.get(i)) {
                    c.m.adopt(&oc.m);
                    c.m.abort(now);
                }
            }
            x.bfd = o.bfd.clone();
        }
        // The pools: every real server's checks and how many are down.
        let mut counts: Vec<Vec<(u32, u32)>> = lvs
            .virtual_servers
            .iter()
            .map(|vs| vec![(0, 0); vs.real_servers.len()])
            .collect();
        for c in &x.checks {
            for &(v, r) in &c.members {
                if let Some(n) = counts.get_mut(v).and_then(|l| l.get_mut(r)) {
                    n.0 += 1;
                    n.1 += u32::from(!c.m.is_up());
                }
            }
        }
        let mut quorum_changes = Vec::new();
        for (v, vs) in lvs.virtual_servers.iter().enumerate() {
            let mut pool = Pool::new(vs, |r| counts[v][r]);
            if let Some(o) = &old
                && let Some((ov, ovs)) = o
                    .lvs
                    .virtual_servers
                    .iter()
                    .enumerate()
                    .find(|(_, ovs)| ovs.target == vs.target && ovs.protocol == vs.protocol)
                && let Some(op) = o.pools.get(ov)
            {
                let map: Vec<(usize, usize)> = vs
                    .real_servers
                    .iter()
                    .enumerate()
                    .filter_map(|(r, rs)| {
                        ovs.real_servers
                            .iter()
                            .position(|ors| ors.ip == rs.ip && ors.port == rs.port)
                            .map(|or| (r, or))
                    })
                    .collect();
                if let Some(ch) = pool.adopt(op, &map, true) {
                    quorum_changes.push((v, ch));
                }
            } else {
                // keepalived runs quorum_up once at start for a pool that is up; with
                // `rs_init_notifies`, each real server's script of its state at start.
                if pool.quorum_up() {
                    x.script(core, vs.quorum_up.as_ref());
                }
                if cfg.global.lvs.rs_init_notifies {
                    for (r, rs) in vs.real_servers.iter().enumerate() {
                        let s = match pool.weight_of(r) {
                            Some(_) => &rs.notify_up,
                            None => &rs.notify_down,
                        };
                        x.script(core, s.as_deref());
                    }
                }
            }
            x.pools.push(pool);
        }
        // A reload that changed which servers are alive may gain or lose a quorum.
        for (v, ch) in quorum_changes {
            x.act(core, v, &[ch]);
        }
        x.watch_files(cfg, core);
        for i in 0..x.checks.len() {
            x.arm(core, i);
        }
        x
    }

    /// FILE_CHECK: watches each file's directory and takes its value now.
    fn watch_files<K: From<CheckKey> + Copy>(&mut self, cfg: &Config, core: &mut Core<K>) {
        for i in 0..self.checks.len() {
            let CheckerKind::File(f) = &self.checks[i].spec.kind else {
                continue;
            };
            let Some(tf) = cfg.vrrp.track_files.iter().find(|t| t.name == f.track_file) else {
                log::warn!(
                    "FILE_CHECK: no track_file {} - the check stays up",
                    f.track_file
                );
                continue;
            };
            if self.inotify.is_none() {
                match crate::sys::inotify::Inotify::new() {
                    Ok(ino) => match core.register_fd(
                        &ino.as_raw_fd(),
                        mio::Interest::READABLE,
                        K::from(CheckKey::Files),
                    ) {
                        Ok(t) => self.inotify = Some((ino, t)),
                        Err(e) => {
                            log::error!("FILE_CHECK: register inotify: {e}");
                            return;
                        }
                    },
                    Err(e) => {
                        log::error!("FILE_CHECK: inotify: {e}");
                        return;
                    }
                }
            }
            let path = std::path::PathBuf::from(&tf.file);
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."))
                .to_path_buf();
            let mask = crate::sys::inotify::IN_CLOSE_WRITE
                | libc::IN_MOVED_TO
                | libc::IN_CREATE
                | libc::IN_DELETE
                | libc::IN_MOVED_FROM;
            let wd = match self
                .inotify
                .as_ref()
                .map(|(ino, _)| ino.add_watch(&dir, mask))
            {
                Some(Ok(wd)) => wd,
                Some(Err(e)) => {
                    log::error!("FILE_CHECK: cannot watch {}: {e}", dir.display());
                    -1
                }
                None => -1,
            };
            let (weight, reverse) = match f.weight {
                Some(w) => (i64::from(w), f.reverse),
                None => (i64::from(tf.weight), tf.weight_reverse),
            };
            self.files.push(FileWatch {
                check: i,
                path,
                wd,
                weight,
                reverse,
                given: 0,
            });
            let n = self.files.len() - 1;
            self.read_file(core, n);
        }
    }

    /// Reads FILE_CHECK `n`'s file and applies its value (a missing file reads 0).
    fn read_file<K: From<CheckKey> + Copy>(&mut self, core: &mut Core<K>, n: usize) {
        let Some(fw) = self.files.get(n) else {
            return;
        };
        let value = std::fs::read(&fw.path)
            .ok()
            .and_then(|b| crate::track::parse_c_long(&b))
            .unwrap_or(0);
        let (i, weight, reverse, given) = (fw.check, fw.weight, fw.reverse, fw.given);
        let Some(c) = self.checks.get_mut(i) else {
            return;
        };
        c.m.probes += 1;
        c.m.latency = None;
        if weight == 0 {
            // keepalived: with weight 0 any non-zero value is down.
            if value != 0 {
                c.m.failures += 1;
                c.m.last_error = Some(format!("{} holds {value}", fw.path.display()));
            }
            if let Some(up) = c.m.set(value == 0) {
                self.changed_check(core, i, up);
            }
            return;
        }
        let _ = c.m.set(true);
        let adj = i64::from(value).saturating_mul(if reverse { -weight } else { weight });
        if adj == given {
            return;
        }
        if let Some(fw) = self.files.get_mut(n) {
            fw.given = adj;
        }
        let members = c.members.clone();
        let mut out = Vec::new();
        for (v, r) in members {
            out.clear();
            if let Some(p) = self.pools.get_mut(v) {
                p.add_file(r, adj - given, &mut out);
                self.changed.insert(v);
            }
            self.act(core, v, &out);
        }
    }

    /// The FILE_CHECKs' directories changed.
    pub fn on_files<K: From<CheckKey> + Copy>(&mut self, core: &mut Core<K>) {
        let mut buf = [0u8; 4096];
        let mut touched: BTreeSet<usize> = BTreeSet::new();
        loop {
            let Some((ino, _)) = &self.inotify else {
                return;
            };
            let n = match ino.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(_) => break,
            };
            for ev in crate::sys::inotify::events(&buf[..n]) {
                for (k, fw) in self.files.iter().enumerate() {
                    let overflow = ev.mask & crate::sys::inotify::IN_Q_OVERFLOW != 0;
                    let named = fw.wd == ev.wd
                        && fw.path.file_name().map(|f| f.as_encoded_bytes()) == Some(ev.name);
                    if overflow || named {
                        touched.insert(k);
                    }
                }
            }
        }
        for k in touched {
            self.read_file(core, k);
        }
    }

    fn add(
        &mut self,
        vs: &VirtualServer,
        v: usize,
        rs: &RealServer,
        r: usize,
        c: &Checker,
        now: Instant,
    ) {
        let conn = c.conn.as_ref();
        let target = SocketAddr::new(
            conn.and_then(|o| o.connect_ip).unwrap_or(rs.ip),
            conn.and_then(|o| o.connect_port).unwrap_or(rs.port),
        );
        if let Some(i) = self.find(c, target) {
            if let Some(ch) = self.checks.get_mut(i) {
                ch.members.push((v, r));
            }
            return;
        }
        let rise = c.rise.unwrap_or(match &c.kind {
            CheckerKind::Http(_) => 2,
            _ => 1,
        });
        let timing = Timing {
            delay_loop: c.delay_loop,
            retry: c.retry,
            delay_before_retry: c.delay_before_retry,
            rise,
            fast_edge: c.fast_reprobe,
            fast_recovery: matches!(&c.kind, CheckerKind::Http(h) if h.fast_recovery),
        };
        let warm = c.warmup.as_millis() as u64;
        let first = Duration::from_millis(if warm == 0 {
            0
        } else {
            self.rng.below(warm + 1)
        });
        let alpha = c.alpha;
        let host = rs.virtualhost.clone().or_else(|| vs.virtualhost.clone());
        let mut m = Machine::new(timing, alpha, now, first);
        if let CheckerKind::Bfd(name) = &c.kind {
            // Follows its session: up until told otherwise (as `track_bfd`).
            let _ = m.set(!alpha && self.bfd.get(name).copied().unwrap_or(true));
        }
        let regexes = match &c.kind {
            CheckerKind::Http(h) => h
                .urls
                .iter()
                .map(|u| {
                    u.regex.as_ref().map(|r| {
                        crate::check::regex::Regex::new(&r.pattern, &r.options).map_err(|e| {
                            log::error!("{}: regex {:?}: {e}", at_text(&c.loc), r.pattern);
                            format!("regex {:?}: {e}", r.pattern)
                        })
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        let tls = match &c.kind {
            CheckerKind::Http(h) if h.tls => Some(self.tls_config(h)),
            _ => None,
        };
        self.by_identity
            .entry(identity(c, target))
            .or_default()
            .push(self.checks.len() as u32);
        self.checks.push(Check {
            spec: Rc::new(c.clone()),
            target,
            host,
            members: vec![(v, r)],
            m,
            timer: Armed::default(),
            probe: None,
            began: now,
            token: None,
            regexes,
            tls,
        });
    }

    /// The TLS client configuration of an SSL_GET (one per distinct set of options).
    #[cfg(feature = "tls")]
    fn tls_config(&mut self, h: &HttpCheck) -> Result<TlsConfig, String> {
        let ssl = self.lvs.ssl.as_ref();
        let file = |f: Option<&String>| f.map(std::path::PathBuf::from);
        let o = crate::check::tls::Options {
            ca: file(ssl.and_then(|s| s.ca.as_ref())),
            cert: file(ssl.and_then(|s| s.certificate.as_ref())),
            key: file(ssl.and_then(|s| s.key.as_ref())),
            ..tls_options(h)
        };
        self.tls_configs
            .entry(o)
            .or_insert_with_key(|o| {
                crate::check::tls::load(o).inspect_err(|e| log::error!("SSL_GET: {e}"))
            })
            .clone()
    }

    #[cfg(not(feature = "tls"))]
    fn tls_config(&mut self, _: &HttpCheck) -> Result<TlsConfig, String> {
        Err("SSL_GET: this build has no TLS (built without the `tls` feature)".into())
    }

    /// The check a wake of this configuration's is for (`None`: a wake of a configuration a
    /// reload replaced, or not a check's).
    fn current(&self, key: CheckKey) -> Option<usize> {
        let (CheckKey::Timer { i, epoch }
        | CheckKey::Io { i, epoch }
        | CheckKey::Child { i, epoch }) = key
        else {
            return None;
        };
        (epoch == self.epoch).then_some(i as usize)
    }

    /// The check of this identity: the same checker (locations aside: they compare equal) and
    /// target.
    fn find(&self, c: &Checker, target: SocketAddr) -> Option<usize> {
        self.by_identity
            .get(&identity(c, target))?
            .iter()
            .map(|&i| i as usize)
            .find(|&i| {
                self.checks
                    .get(i)
                    .is_some_and(|k| k.target == target && *k.spec == *c)
            })
    }

    /// The number of checks (shared ones once).
    pub fn len(&self) -> usize {
        self.checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }

    /// The virtual servers whose pool changed since the last call.
    pub fn take_changed(&mut self) -> BTreeSet<usize> {
        std::mem::take(&mut self.changed)
    }

    fn key<K: From<CheckKey>>(&self, i: usize, f: fn(u32, u32) -> CheckKey) -> K {
        K::from(f(i as u32, self.epoch))
    }

    fn arm<K: From<CheckKey> + Copy>(&mut self, core: &mut Core<K>, i: usize) {
        let key = self.key(i, |i, epoch| CheckKey::Timer { i, epoch });
        let Some(c) = self.checks.get_mut(i) else {
            return;
        };
        let want = match (&c.probe, c.m.poll_timeout()) {
            (Some(Probe::Child(_)), _) => {
                let t = match &c.spec.kind {
                    CheckerKind::Misc(m) => m
                        .timeout
                        .map(|s| Duration::from_secs(u64::from(s)))
                        .unwrap_or(c.spec.delay_loop),
                    _ => c.spec.delay_loop,
                };
                // The reactor kills the child at its timeout; this is the backstop.
                Some(c.began + t + Duration::from_secs(1))
            }
            (Some(_), _) => Some(c.began + connect_timeout(&c.spec)),
            (None, next) => match c.spec.kind {
                CheckerKind::Bfd(_) | CheckerKind::File(_) => None,
                _ => next,
            },
        };
        c.timer.set(core, want, key);
    }

    /// A check's timer: start its probe, or its probe timed out.
    pub fn on_timer<K: From<CheckKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        key: CheckKey,
        deadline: Instant,
    ) {
        let Some(i) = self.current(key) else {
            return;
        };
        let Some(c) = self.checks.get_mut(i) else {
            return;
        };
        if !c.timer.fired(deadline) {
            return;
        }
        match &c.probe {
            None => {
                self.lateness
                    .record(now.saturating_duration_since(deadline));
                self.start(core, now, i)
            }
            Some(p) => {
                let v = match (p, &c.spec.kind) {
                    (Probe::Datagram { .. }, CheckerKind::Udp(u)) => udp::on_timeout(u),
                    (Probe::Child(_), _) => Err("timed out".into()),
                    _ => Err(format!(
                        "timed out after {} s",
                        crate::config::value::fmt_secs(connect_timeout(&c.spec))
                    )),
                };
                self.finish(core, now, i, v);
            }
        }
    }

    fn start<K: From<CheckKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant, i: usize) {
        let io_key: K = self.key(i, |i, epoch| CheckKey::Io { i, epoch });
        let child_key: K = self.key(i, |i, epoch| CheckKey::Child { i, epoch });
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let rnd = self.rng.next_u64();
        let Some(c) = self.checks.get_mut(i) else {
            return;
        };
        c.m.start(now);
        c.began = now;
        let spec = Rc::clone(&c.spec);
        let started = match &spec.kind {
            CheckerKind::Bfd(_) | CheckerKind::File(_) => return,
            CheckerKind::Misc(misc) => {
                let s = self.settings.spawn(
                    &misc.path,
                    misc.user.as_deref(),
                    misc.group.as_deref(),
                    &[],
                );
                let timeout = misc
                    .timeout
                    .map(|s| Duration::from_secs(u64::from(s)))
                    .unwrap_or(spec.delay_loop);
                match s.checked_command() {
                    Err(r) => Err(crate::script::refusal_line(
                        &r,
                        s.argv.first().map(String::as_str).unwrap_or(""),
                    )),
                    Ok(mut cmd) => core
                        .spawn(now, &mut cmd, Some(timeout), child_key)
                        .map(Probe::Child)
                        .map_err(|e| format!("cannot run {}: {e}", misc.path)),
                }
            }
            kind => {
                let conn = spec.conn.clone().unwrap_or_else(|| default_conn(&spec));
                let b = Bind {
                    addr: conn.bindto,
                    port: conn.bind_port,
                    ifname: conn.bind_if.as_deref(),
                    mark: conn.fwmark,
                };
                open(kind, c, &b, seq, rnd)
            }
        };
        match started {
            Ok(p) => {
                let fd = match &p {
                    Probe::Stream { fd, .. } | Probe::Datagram { fd, .. } => Some(fd.as_raw_fd()),
                    Probe::Child(_) => None,
                };
                if let Some(fd) = fd {
                    let interest = match &p {
                        Probe::Stream { .. } => mio::Interest::READABLE | mio::Interest::WRITABLE,
                        _ => mio::Interest::READABLE,
                    };
                    match core.register_fd(&fd, interest, io_key) {
                        Ok(t) => c.token = Some(t),
                        Err(e) => {
                            self.finish(core, now, i, Err(format!("register: {e}")));
                            return;
                        }
                    }
                }
                c.probe = Some(p);
                self.arm(core, i);
            }
            Err(e) => self.finish(core, now, i, Err(e)),
        }
    }

    /// A probe's socket is ready.
    pub fn on_io<K: From<CheckKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        key: CheckKey,
    ) {
        if key == CheckKey::Files {
            self.on_files(core);
            return;
        }
        let Some(i) = self.current(key) else {
            return;
        };
        let verdict = match self.checks.get_mut(i) {
            Some(c) => step(c),
            None => return,
        };
        match verdict {
            Next::Wait => {}
            Next::Reconnect => {
                // HTTP: the next URL on a new connection.
                self.close(core, i);
                let io_key: K = self.key(i, |i, epoch| CheckKey::Io { i, epoch });
                let Some(c) = self.checks.get_mut(i) else {
                    return;
                };
                c.began = now;
                let Some(Probe::Stream { fd, .. }) = &c.probe else {
                    return;
                };
                match core.register_fd(
                    &fd.as_raw_fd(),
                    mio::Interest::READABLE | mio::Interest::WRITABLE,
                    io_key,
                ) {
                    Ok(t) => c.token = Some(t),
                    Err(e) => {
                        self.finish(core, now, i, Err(format!("register: {e}")));
                        return;
                    }
                }
                self.arm(core, i);
            }
            Next::Done(v) => self.finish(core, now, i, v),
        }
    }

    /// A MISC_CHECK's script ended.
    pub fn on_child<K: From<CheckKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        key: CheckKey,
        id: ChildId,
        end: ChildEnd,
    ) {
        let Some(i) = self.current(key) else {
            return;
        };
        let Some(c) = self.checks.get_mut(i) else {
            return;
        };
        // Only the script of the probe running now (one given up on at the backstop may end
        // later).
        if !matches!(&c.probe, Some(Probe::Child(run)) if *run == id) {
            return;
        }
        let dynamic = matches!(&c.spec.kind, CheckerKind::Misc(m) if m.dynamic);
        let (v, weight) = match end {
            ChildEnd::TimedOut(_) => (Err("timed out".to_string()), None),
            ChildEnd::Exited(st) => match st {
                ExitStatus::Code(0) => (Ok(()), Some(None)),
                ExitStatus::Code(n @ 2..=255) if dynamic => (Ok(()), Some(Some(n as u32 - 2))),
                ExitStatus::Code(n) => (Err(format!("exit status {n}")), None),
                ExitStatus::Signal(n) => (Err(format!("killed by signal {n}")), None),
            },
        };
        if dynamic && let Some(w) = weight {
            let members = c.members.clone();
            let mut out = Vec::new();
            for (vi, r) in members {
                if let Some(p) = self.pools.get_mut(vi) {
                    let before = p.weight_of(r);
                    out.clear();
                    p.set_dynamic(r, w, &mut out);
                    if p.weight_of(r) != before {
                        self.changed.insert(vi);
                    }
                    self.act(core, vi, &out);
                }
            }
        }
        self.finish(core, now, i, v);
    }

    fn close<K: From<CheckKey> + Copy>(&mut self, core: &mut Core<K>, i: usize) {
        let Some(c) = self.checks.get_mut(i) else {
            return;
        };
        if let Some(t) = c.token.take()
            && let Some(Probe::Stream { fd, .. } | Probe::Datagram { fd, .. }) = &c.probe
        {
            let _ = core.deregister_fd(&fd.as_raw_fd(), t);
        }
    }

    /// The probe of check `i` ended with `v`.
    fn finish<K: From<CheckKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        i: usize,
        v: Verdict,
    ) {
        self.close(core, i);
        let Some(c) = self.checks.get_mut(i) else {
            return;
        };
        // A TCP_CHECK, or a dialogue cut short, ends with a reset: no FIN exchange and no
        // TIME_WAIT socket left on the balancer for 60 s (at 10,000 checks a second that would
        // be 600,000 of them; keepalived closes normally). A finished dialogue closes normally.
        if let Some(Probe::Stream { fd, talk, .. }) = &c.probe
            && (matches!(talk, Talk::Connect) || v.is_err())
        {
            let _ = probe::reset_on_close(fd.as_raw_fd());
        }
        c.probe = None;
        let was_up = c.m.is_up();
        let change = c.m.finish(now, &v);
        let log_all = self.log_all || c.spec.log_all_failures;
        if let Err(e) = &v
            && (log_all || change.is_some() || was_up)
        {
            let what = c.spec.kind.keyword();
            if change.is_some() || log_all {
                info!("{what} on service {} failed: {e}", addr_text(c.target));
            } else {
                debug!("{what} on service {} failed: {e}", addr_text(c.target));
            }
        }
        if let Some(up) = change {
            self.changed_check(core, i, up);
        }
        self.arm(core, i);
    }

    /// Check `i` changed state: its real servers and their pools follow.
    fn changed_check<K: From<CheckKey> + Copy>(&mut self, core: &mut Core<K>, i: usize, up: bool) {
        let Some(c) = self.checks.get(i) else {
            return;
        };
        let what = c.spec.kind.keyword();
        info!(
            "{what} on service {} {}",
            addr_text(c.target),
            if up { "succeeded" } else { "failed" }
        );
        let members = c.members.clone();
        let mut out = Vec::new();
        for (v, r) in members {
            out.clear();
            if let Some(p) = self.pools.get_mut(v) {
                p.check_changed(r, up, &mut out);
                let alive = p.servers.get(r).is_some_and(|s| s.alive);
                self.alert(v, r, what, up, alive, &out);
            }
            self.act(core, v, &out);
        }
    }

    /// Runs what a pool's changes ask for: notify and quorum scripts; marks the pool changed.
    fn act<K: From<CheckKey> + Copy>(&mut self, core: &mut Core<K>, v: usize, out: &[Change]) {
        if out.is_empty() {
            return;
        }
        self.changed.insert(v);
        let lvs = Rc::clone(&self.lvs);
        let Some(vs) = lvs.virtual_servers.get(v) else {
            return;
        };
        for ch in out {
            match *ch {
                Change::Server { rs, up } => {
                    let Some(r) = vs.real_servers.get(rs) else {
                        continue;
                    };
                    info!(
                        "{} server {} {} VS {}",
                        if up { "Adding" } else { "Removing" },
                        addr_text(SocketAddr::new(r.ip, r.port)),
                        if up { "to" } else { "from" },
                        vs_text(vs)
                    );
                    let s = if up { &r.notify_up } else { &r.notify_down };
                    self.script(core, s.as_deref());
                    let line = format!(
                        "RS {} {} {}",
                        fifo_addr(r.ip, vs, r.port),
                        fifo_vs(vs),
                        if up { "UP" } else { "DOWN" }
                    );
                    self.fifo_line(&line);
                }
                Change::Quorum { up } => {
                    info!(
                        "{} the quorum of VS {}",
                        if up { "Gained" } else { "Lost" },
                        vs_text(vs)
                    );
                    let s = if up { &vs.quorum_up } else { &vs.quorum_down };
                    self.script(core, s.as_ref());
                    let line = format!("VS {} {}", fifo_vs(vs), if up { "UP" } else { "DOWN" });
                    self.fifo_line(&line);
                    if !self.mails {
                        continue;
                    }
                    // keepalived's threshold: the one the quorum crossed.
                    let h = i64::from(vs.hysteresis);
                    let threshold = i64::from(vs.quorum) + if up { h } else { -h };
                    let sum = self.pools.get(v).map_or(0, Pool::sum);
                    self.alerts.push(CheckAlert::Quorum {
                        vs: fifo_vs(vs),
                        up,
                        body: format!(
                            "=> {} {}+{}={threshold} <= {sum} <=",
                            if up { "Gained quorum" } else { "Lost quorum" },
                            vs.quorum,
                            vs.hysteresis
                        ),
                        smtp_alert: vs.smtp_alert,
                    });
                }
                Change::Weight { .. } => {}
            }
        }
    }

    /// Check `check` of real server `r` of virtual server `v` went `up`; the server is `alive`
    /// after it (`out`: what its pool did).
    fn alert(
        &mut self,
        v: usize,
        r: usize,
        check: &'static str,
        up: bool,
        alive: bool,
        out: &[Change],
    ) {
        let Some(vs) = self.lvs.virtual_servers.get(v).filter(|_| self.mails) else {
            return;
        };
        let Some(rs) = vs.real_servers.get(r) else {
            return;
        };
        self.alerts.push(CheckAlert::Server(RsAlert {
            vs: fifo_vs(vs),
            rs: fifo_addr(rs.ip, vs, rs.port),
            check,
            up,
            alive,
            alive_changed: out.contains(&Change::Server { rs: r, up }),
            smtp_alert: rs.smtp_alert,
        }));
    }

    /// The alerts since the last call, in order.
    pub fn take_alerts(&mut self) -> Vec<CheckAlert> {
        std::mem::take(&mut self.alerts)
    }

    fn fifo_line(&mut self, line: &str) {
        for f in &mut self.fifos {
            f.write(line);
        }
    }

    fn script<K: From<CheckKey> + Copy>(
        &self,
        core: &mut Core<K>,
        s: Option<&crate::config::lvs::Script>,
    ) {
        if let Some(s) = s {
            let sp = self
                .settings
                .spawn(&s.command, s.user.as_deref(), s.group.as_deref(), &[]);
            sp.start(core, K::from(CheckKey::Script));
        }
    }

    /// A BFD session the BFD_CHECKs may follow changed.
    pub fn bfd_changed<K: From<CheckKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        name: &str,
        up: bool,
    ) {
        self.bfd.insert(name.to_string(), up);
        for i in 0..self.checks.len() {
            let Some(c) = self.checks.get_mut(i) else {
                continue;
            };
            if !matches!(&c.spec.kind, CheckerKind::Bfd(n) if n == name) {
                continue;
            }
            c.m.probes += 1;
            if !up {
                c.m.failures += 1;
                c.m.last_error = Some(format!("BFD session {name} down"));
            }
            if let Some(u) = c.m.set(up) {
                self.changed_check(core, i, u);
            }
        }
    }

    /// The BFD sessions the BFD_CHECKs follow.
    pub fn tracked_bfds(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .checks
            .iter()
            .filter_map(|c| match &c.spec.kind {
                CheckerKind::Bfd(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn abort_all<K: From<CheckKey> + Copy>(&mut self, core: &mut Core<K>) {
        if let Some((ino, t)) = self.inotify.take() {
            let _ = core.deregister_fd(&ino.as_raw_fd(), t);
        }
        for i in 0..self.checks.len() {
            self.close(core, i);
            if let Some(c) = self.checks.get_mut(i) {
                // A MISC_CHECK script still running is ended with everything it started.
                if let Some(Probe::Child(id)) = c.probe.take() {
                    let _ = crate::sys::kill(-id.0, libc::SIGKILL);
                }
                c.timer.cancel(core);
            }
        }
    }

    /// The daemon stops: probes end; with `omega`, keepalived's scripts of a stop
    /// (`notify_down` of the servers alive, `quorum_down` when the quorum was held).
    pub fn stop<K: From<CheckKey> + Copy>(&mut self, core: &mut Core<K>) {
        self.abort_all(core);
        let lvs = Rc::clone(&self.lvs);
        for (v, vs) in lvs.virtual_servers.iter().enumerate() {
            if !vs.omega {
                continue;
            }
            let Some(p) = self.pools.get(v) else {
                continue;
            };
            let alive: Vec<usize> = (0..vs.real_servers.len())
                .filter(|&r| p.weight_of(r).is_some())
                .collect();
            let quorum = p.quorum_up();
            for r in alive {
                if let Some(rs) = vs.real_servers.get(r) {
                    self.script(core, rs.notify_down.as_deref());
                }
            }
            if quorum {
                self.script(core, vs.quorum_down.as_ref());
            }
        }
    }

    /// Per check: (kind, target, up, probes, failures, last error, latency), for the dumps.
    pub fn views(&self) -> Vec<dump::CheckView<'_>> {
        self.checks
            .iter()
            .map(|c| dump::CheckView {
                kind: c.spec.kind.keyword(),
                target: c.target,
                up: c.m.is_up(),
                probes: c.m.probes,
                failures: c.m.failures,
                last_error: c.m.last_error.as_deref(),
                latency: c.m.latency,
                members: c.members.len(),
            })
            .collect()
    }
}

/// What the configuration asks of the checkers that this build or engine cannot do, as
/// warnings with their location (`-t`): a `regex` outside the engine's syntax, SSL_GET in a
/// build without TLS. At run time such a check fails with the same reason.
pub fn validate(cfg: &Config, d: &mut crate::config::Diagnostics) {
    for vs in &cfg.lvs.virtual_servers {
        for rs in &vs.real_servers {
            for c in &rs.checkers {
                let CheckerKind::Http(h) = &c.kind else {
                    continue;
                };
                let Some(loc) = c.loc.0 else { continue };
                if h.tls && !cfg!(feature = "tls") {
                    d.warn(
                        loc,
                        "SSL_GET: this build has no TLS (built without the `tls` feature) - \
                         its checks will fail",
                    );
                }
                for u in &h.urls {
                    if let Some(r) = &u.regex
                        && let Err(e) = crate::check::regex::Regex::new(&r.pattern, &r.options)
                    {
                        d.warn(
                            loc,
                            format!("regex {:?}: {e} - the check will fail", r.pattern),
                        );
                    }
                }
            }
        }
    }
}

/// What a readiness wake leads to.
enum Next {
    Wait,
    /// HTTP: the connection for the next URL is open (in `probe`); register it.
    Reconnect,
    Done(Verdict),
}

/// The hash of a check's identity: what it is and where it goes, without where it was
/// written (a location is in the `Debug` text but not in the comparison).
fn identity(c: &Checker, target: SocketAddr) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    target.hash(&mut h);
    match &c.kind {
        CheckerKind::Misc(m) => (&m.path, m.timeout, m.dynamic, &m.user, &m.group).hash(&mut h),
        k => format!("{k:?}").hash(&mut h),
    }
    format!(
        "{:?}|{}|{}|{:?}|{:?}|{:?}|{}|{:?}|{}",
        c.conn,
        c.alpha,
        c.retry,
        c.delay_before_retry,
        c.warmup,
        c.delay_loop,
        c.log_all_failures,
        c.rise,
        c.fast_reprobe
    )
    .hash(&mut h);
    h.finish()
}

fn connect_timeout(c: &Checker) -> Duration {
    c.conn
        .as_ref()
        .map_or(Duration::from_secs(5), |o| o.connect_timeout)
}

fn default_conn(c: &Checker) -> crate::config::lvs::checker::ConnOpts {
    crate::config::lvs::checker::ConnOpts {
        connect_ip: None,
        connect_port: None,
        bindto: None,
        bind_port: None,
        bind_if: None,
        fwmark: None,
        connect_timeout: connect_timeout(c),
    }
}

/// Opens the probe of a network check.
fn open(kind: &CheckerKind, c: &Check, b: &Bind, seq: u16, rnd: u64) -> Result<Probe, String> {
    let err = |e: io::Error| e.to_string();
    match kind {
        CheckerKind::Tcp => Ok(Probe::Stream {
            fd: probe::connect(Kind::Tcp, c.target, b).map_err(err)?,
            connected: false,
            out: Vec::new(),
            talk: Talk::Connect,
        }),
        CheckerKind::Http(h) => http_probe(h, c, b, 0),
        CheckerKind::Smtp(s) => {
            let mut d = smtp::Dialogue::new(&s.helo_name);
            let out = d.start();
            Ok(Probe::Stream {
                fd: probe::connect(Kind::Tcp, c.target, b).map_err(err)?,
                connected: false,
                out,
                talk: Talk::Smtp(Box::new(d)),
            })
        }
        CheckerKind::Dns(d) => {
            let id = (rnd & 0xffff) as u16;
            let q = dns::query(id, d);
            datagram(Kind::Udp, c.target, b, id, q)
        }
        CheckerKind::Udp(u) => {
            let mut r = Rng::new(rnd);
            let p = udp::payload(u, &mut || r.next_u64() as u32);
            datagram(Kind::Udp, c.target, b, 0, p)
        }
        CheckerKind::Ping => {
            let id = (rnd & 0xffff) as u16;
            let payload = rnd.to_be_bytes();
            let v6 = c.target.is_ipv6();
            let pkt = icmp::echo_request(v6, id, seq, &payload);
            let fd = probe::connect(Kind::Icmp, c.target, b).map_err(err)?;
            probe::send(&fd, &pkt).map_err(err)?;
            Ok(Probe::Datagram {
                fd,
                id,
                seq,
                sent: payload.to_vec(),
            })
        }
        CheckerKind::Misc(_) | CheckerKind::File(_) | CheckerKind::Bfd(_) => {
            Err("not a network check".into())
        }
    }
}

fn datagram(kind: Kind, to: SocketAddr, b: &Bind, id: u16, data: Vec<u8>) -> Result<Probe, String> {
    let fd = probe::connect(kind, to, b).map_err(|e| e.to_string())?;
    probe::send(&fd, &data).map_err(|e| e.to_string())?;
    Ok(Probe::Datagram {
        fd,
        id,
        seq: 0,
        sent: data,
    })
}

/// The connection for URL `url` of an HTTP check.
fn http_probe(h: &HttpCheck, c: &Check, b: &Bind, url: usize) -> Result<Probe, String> {
    let Some(u) = h.urls.get(url) else {
        return Err("no url".into());
    };
    let host = u
        .virtualhost
        .as_deref()
        .or(h.virtualhost.as_deref())
        .or(c.host.as_deref());
    let req = http::request(&u.path, host, c.target, h.http_protocol);
    let keep = u.regex.as_ref().map_or(0, |r| {
        r.max_offset
            .map_or(64 * 1024, |m| usize::try_from(m).unwrap_or(usize::MAX))
            .min(1 << 20)
    });
    let mut d = http::Dialogue::new(u, req, keep, false);
    let mut out = d.start();
    let tls = match &c.tls {
        None => None,
        Some(Err(e)) => return Err(e.clone()),
        Some(Ok(cfg)) => {
            let mut t = new_tls(cfg, h, c.target.ip())?;
            // The request waits in the client until the handshake is over.
            t.write_plain(&std::mem::take(&mut out))?;
            Some(Box::new(t))
        }
    };
    Ok(Probe::Stream {
        fd: probe::connect(Kind::Tcp, c.target, b).map_err(|e| e.to_string())?,
        connected: false,
        out,
        talk: Talk::Http {
            d: Box::new(d),
            url,
            tls,
        },
    })
}

#[cfg(feature = "tls")]
fn new_tls(cfg: &TlsConfig, h: &HttpCheck, ip: std::net::IpAddr) -> Result<Tls, String> {
    crate::check::tls::Client::with(cfg, &tls_options(h), ip)
}

/// An SSL_GET's SNI (with `enable_sni`: `sni_name`, else the virtualhost) and verification.
#[cfg(feature = "tls")]
fn tls_options(h: &HttpCheck) -> crate::check::tls::Options {
    crate::check::tls::Options {
        sni: h
            .enable_sni
            .then(|| h.sni_name.clone().or_else(|| h.virtualhost.clone()))
            .flatten(),
        verify: h.verify,
        ..Default::default()
    }
}

#[cfg(not(feature = "tls"))]
fn new_tls(_: &TlsConfig, _: &HttpCheck, _: std::net::IpAddr) -> Result<Tls, String> {
    Err("SSL_GET: this build has no TLS".into())
}

/// Writes what `out` holds as far as the socket takes it now.
fn flush(fd: &OwnedFd, out: &mut Vec<u8>) -> Result<(), String> {
    while !out.is_empty() {
        match probe::send(fd, out) {
            Ok(n) => {
                out.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(())
}

/// Moves a probe on after a readiness wake.
fn step(c: &mut Check) -> Next {
    let spec = Rc::clone(&c.spec);
    let target = c.target;
    let Some(p) = &mut c.probe else {
        return Next::Wait;
    };
    match p {
        Probe::Child(_) => Next::Wait,
        Probe::Datagram { fd, id, seq, sent } => {
            let mut buf = [0u8; 2048];
            loop {
                match probe::recv(fd, &mut buf) {
                    Ok(n) => {
                        let data = &buf[..n];
                        let v = match &spec.kind {
                            CheckerKind::Dns(_) => dns::judge(*id, data),
                            CheckerKind::Udp(u) => udp::judge(u, data),
                            CheckerKind::Ping => {
                                if icmp::is_echo_reply(
                                    target.is_ipv6(),
                                    data,
                                    Some(*id),
                                    *seq,
                                    sent,
                                ) {
                                    Ok(())
                                } else {
                                    continue;
                                }
                            }
                            _ => Ok(()),
                        };
                        return Next::Done(v);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::Wait,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Next::Done(Err(unreach_text(&e))),
                }
            }
        }
        Probe::Stream {
            fd,
            connected,
            out,
            talk,
        } => {
            if !*connected {
                match probe::take_error(fd.as_raw_fd()) {
                    Ok(None) => {}
                    Ok(Some(e)) | Err(e) => return Next::Done(Err(unreach_text(&e))),
                }
                // The first wake of a connecting socket is the end of its connect (nothing can
                // be read before it): without a pending error it is connected (one system
                // call a probe fewer than asking for the peer).
                *connected = true;
                match talk {
                    Talk::Connect => return Next::Done(Ok(())),
                    // The TLS handshake's first flight.
                    Talk::Http { tls: Some(t), .. } => out.extend(t.outgoing()),
                    _ => {}
                }
            }
            if let Err(e) = flush(fd, out) {
                return Next::Done(Err(e));
            }
            let mut buf = [0u8; 4096];
            loop {
                let n = match probe::recv(fd, &mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::Wait,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Next::Done(Err(e.to_string())),
                };
                let step = match talk {
                    Talk::Connect => return Next::Done(Ok(())),
                    Talk::Http { d, .. } if n == 0 => crate::check::Step::Done(d.on_eof()),
                    Talk::Smtp(d) if n == 0 => crate::check::Step::Done(d.on_eof()),
                    Talk::Http {
                        d, tls: Some(t), ..
                    } => {
                        if let Err(e) = t.incoming(&buf[..n]) {
                            out.extend(t.outgoing());
                            let _ = flush(fd, out);
                            return Next::Done(Err(format!("TLS: {e}")));
                        }
                        out.extend(t.outgoing());
                        let plain = t.read_plain();
                        match d.on_data(&plain) {
                            crate::check::Step::Read if t.peer_closed() => {
                                crate::check::Step::Done(d.on_eof())
                            }
                            crate::check::Step::Send(b) => match t.write_plain(&b) {
                                Ok(()) => {
                                    out.extend(t.outgoing());
                                    crate::check::Step::Read
                                }
                                Err(e) => crate::check::Step::Done(Err(e)),
                            },
                            s => s,
                        }
                    }
                    Talk::Http { d, .. } => d.on_data(&buf[..n]),
                    Talk::Smtp(d) => d.on_data(&buf[..n]),
                };
                match step {
                    crate::check::Step::Read => {
                        if let Err(e) = flush(fd, out) {
                            return Next::Done(Err(e));
                        }
                    }
                    crate::check::Step::Send(b) => {
                        out.extend_from_slice(&b);
                        if let Err(e) = flush(fd, out) {
                            return Next::Done(Err(e));
                        }
                    }
                    crate::check::Step::Done(Err(e)) => return Next::Done(Err(e)),
                    crate::check::Step::Done(Ok(())) => {
                        let Talk::Http { d, url, tls } = talk else {
                            return Next::Done(Ok(()));
                        };
                        let CheckerKind::Http(h) = &spec.kind else {
                            return Next::Done(Ok(()));
                        };
                        // `tls_compliant`: a close_notify before the connection closes.
                        if let Some(t) = tls
                            && h.tls_compliant
                        {
                            t.close();
                            out.extend(t.outgoing());
                            let _ = flush(fd, out);
                        }
                        if let Some(re) = h.urls.get(*url).and_then(|u| u.regex.as_ref())
                            && let Err(e) = regex_verdict(
                                re,
                                c.regexes.get(*url).and_then(Option::as_ref),
                                d.body(),
                            )
                        {
                            return Next::Done(Err(e));
                        }
                        let next = *url + 1;
                        if next >= h.urls.len() {
                            return Next::Done(Ok(()));
                        }
                        // The next URL, on a new connection.
                        let b = c.spec.conn.clone().unwrap_or_else(|| default_conn(&spec));
                        let bind = Bind {
                            addr: b.bindto,
                            port: b.bind_port,
                            ifname: b.bind_if.as_deref(),
                            mark: b.fwmark,
                        };
                        return match http_probe(h, c, &bind, next) {
                            Ok(np) => {
                                c.probe = Some(np);
                                Next::Reconnect
                            }
                            Err(e) => Next::Done(Err(e)),
                        };
                    }
                }
            }
        }
    }
}

fn unreach_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ECONNREFUSED) => "connection refused (port unreachable)".into(),
        Some(libc::EHOSTUNREACH) => "host unreachable".into(),
        Some(libc::ENETUNREACH) => "network unreachable".into(),
        _ => e.to_string(),
    }
}

/// A `url`'s regex over the body kept (`regex_no_match` inverts it; the offsets bound where
/// the match may start).
fn regex_verdict(
    re: &crate::config::lvs::checker::Regex,
    compiled: Option<&Result<crate::check::regex::Regex, String>>,
    body: &[u8],
) -> Verdict {
    let r = match compiled {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(e.clone()),
        None => return Ok(()),
    };
    let min = usize::try_from(re.min_offset).unwrap_or(usize::MAX);
    let max = re
        .max_offset
        .map(|m| usize::try_from(m).unwrap_or(usize::MAX));
    match (r.find_in(body, min, max).is_some(), re.no_match) {
        (true, false) | (false, true) => Ok(()),
        (false, false) => Err(format!("regex {:?} does not match", re.pattern)),
        (true, true) => Err(format!("regex {:?} matches (regex_no_match)", re.pattern)),
    }
}

/// A configuration location for the log.
fn at_text(at: &At) -> String {
    match &at.0 {
        Some(l) => format!("{l:?}"),
        None => "checker".into(),
    }
}
