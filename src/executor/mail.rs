//! The e-mail alerts against the world (keepalived's `smtp_alert`): one non-blocking TCP
//! connection at a time to `smtp_server`, driven by [`crate::mail::smtp::Client`], with the
//! mails waiting in a bounded [`Queue`] ([`crate::mail::QUEUE_LEN`]).
//!
//! - An alert is formatted when it happens (its `Date` is the time of the event; keepalived
//!   dates it when the body is sent) and queued; a full queue drops it and counts it.
//! - A session starts when none runs and a mail waits. It has one deadline,
//!   `smtp_connect_timeout` from its start, for the whole conversation (keepalived: that long
//!   for the connect and for each read and write). At the deadline it ends, failed unless the
//!   server took the mail already. Then the next mail's session starts.
//! - The socket's wakes: the first ends the connect (`SO_ERROR`), then whatever is left to
//!   write goes out, then the socket is read until it would block, each read fed to the
//!   client. Nothing here blocks: a dead server costs one socket and one timer.
//! - At stop, mails still go out for at most [`STOP_BUDGET`] (the STOP alerts of the
//!   instances); the daemon's stop waits for them no longer (see [`MailExecutor::pending`]).
//! - Which objects mail follows keepalived: an instance's or sync group's `smtp_alert`, else
//!   `smtp_alert_vrrp`, else `smtp_alert`, else no; a real server's `smtp_alert`, else
//!   `smtp_alert_checker`, else `smtp_alert`, else yes; a virtual server's quorum the same but
//!   else no. `no_email_faults` mails no FAULT,
//!   `no_checker_emails` only checks that changed whether the real server is alive. An
//!   instance or group mails a state once per change (a reload does not mail it again).

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

use log::{info, warn};

use crate::check::Step;
use crate::config::Config;
use crate::config::global::SmtpHost;
use crate::executor::check::CheckAlert;
use crate::mail::message::{self, Message};
use crate::mail::smtp::{Client, Envelope};
use crate::mail::{Counters, QUEUE_LEN, Queue};
use crate::reactor::{Core, TimerId};
use crate::sys::probe;
use crate::time::Instant;
use crate::vrrp::State;

/// How long mails may still go out once the daemon stops.
pub const STOP_BUDGET: Duration = Duration::from_secs(2);

/// The mailer's fd and timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKey {
    Socket,
    Deadline,
}

/// What the configuration says about mail.
#[derive(Debug, Clone, Default)]
struct Settings {
    server: Option<SocketAddr>,
    /// `smtp_server` as written, so that a reload that keeps it keeps its address.
    server_conf: Option<crate::config::global::SmtpServer>,
    helo: String,
    from: String,
    to: Vec<String>,
    router_id: String,
    timeout: Duration,
    /// Instances and sync groups that mail.
    vrrp: Vec<(String, bool)>,
    groups: Vec<(String, bool)>,
    /// Each sync group's members.
    members: Vec<(String, Vec<String>)>,
    /// A real server, and a virtual server's quorum, without their own `smtp_alert`.
    checker: bool,
    quorum: bool,
    no_email_faults: bool,
    no_checker_emails: bool,
}

impl Settings {
    /// `[ip]:port`, as keepalived names the server in its log.
    fn server_text(&self) -> String {
        self.server
            .map_or_else(String::new, crate::executor::check::addr_text)
    }

    /// The settings of `cfg`. A host name is looked up (a blocking call) only when it is new:
    /// at start, when a reload changes `smtp_server`, or when the last lookup failed; a reload
    /// that keeps a name found keeps the address `prev` has, so an unreachable DNS server does
    /// not stall the loop at each reload.
    fn load(cfg: &Config, prev: Option<&Settings>) -> Settings {
        let e = &cfg.global.email;
        let host = crate::sys::hostname();
        let server = match prev {
            Some(p) if p.server_conf == e.smtp_server && p.server.is_some() => p.server,
            _ => e.smtp_server.as_ref().and_then(|s| match &s.host {
                SmtpHost::Ip(a) => Some(SocketAddr::new(*a, s.port)),
                SmtpHost::Name(n) => resolve(n, s.port),
            }),
        };
        let vrrp_default = e.alert_vrrp.or(e.alert).unwrap_or(false);
        Settings {
            server,
            server_conf: e.smtp_server.clone(),
            helo: e.helo_name.clone().unwrap_or_else(|| host.clone()),
            from: e
                .from
                .clone()
                .unwrap_or_else(|| format!("keepalived@{host}")),
            to: e.to.clone(),
            router_id: cfg.global.router_id.clone().unwrap_or(host),
            timeout: e.connect_timeout,
            vrrp: cfg
                .vrrp
                .instances
                .iter()
                .map(|i| (i.name.clone(), i.smtp_alert.unwrap_or(vrrp_default)))
                .collect(),
            groups: cfg
                .vrrp
                .sync_groups
                .iter()
                .map(|g| (g.name.clone(), g.smtp_alert.unwrap_or(vrrp_default)))
                .collect(),
            members: cfg
                .vrrp
                .sync_groups
                .iter()
                .map(|g| {
                    (
                        g.name.clone(),
                        g.group.iter().map(|m| m.name.clone()).collect(),
                    )
                })
                .collect(),
            checker: e.alert_checker.or(e.alert).unwrap_or(true),
            quorum: e.alert_checker.or(e.alert).unwrap_or(false),
            no_email_faults: e.no_email_faults,
            no_checker_emails: e.no_checker_emails,
        }
    }
}

/// `smtp_server HOST`, resolved once per start or reload (keepalived: when it reads the
/// configuration): `/etc/hosts` first, then, with the `dns` feature (a default one: the C
/// library's resolver costs 20 KB of the router build), DNS.
fn resolve(name: &str, port: u16) -> Option<SocketAddr> {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    if let Some(ip) = crate::mail::hosts_entry(&hosts, name) {
        return Some(SocketAddr::new(ip, port));
    }
    #[cfg(feature = "dns")]
    {
        use std::net::ToSocketAddrs;
        match (name, port).to_socket_addrs() {
            Ok(mut a) => a.next(),
            Err(err) => {
                warn!("smtp_server {name}: cannot resolve: {err}; no e-mail alerts");
                None
            }
        }
    }
    #[cfg(not(feature = "dns"))]
    {
        warn!(
            "smtp_server {name}: not in /etc/hosts, and this build makes no DNS lookups; no e-mail alerts"
        );
        None
    }
}

/// The connection of the mail being sent.
struct Session {
    sock: OwnedFd,
    token: mio::Token,
    client: Client,
    /// Bytes the client asked for that the socket has not taken yet.
    out: Vec<u8>,
    connecting: bool,
    timer: TimerId,
}

/// A group (`true`) or instance, by name, and a state of it (a list, not a map: a few hundred
/// at most, and no map's code in the router build).
type Known = (bool, String, State);

fn get(v: &[Known], group: bool, name: &str) -> Option<State> {
    v.iter()
        .find(|(g, n, _)| *g == group && n == name)
        .map(|e| e.2)
}

fn set(v: &mut Vec<Known>, group: bool, name: &str, state: State) {
    match v.iter_mut().find(|(g, n, _)| *g == group && n == name) {
        Some(e) => e.2 = state,
        None => v.push((group, name.to_string(), state)),
    }
}

/// See the module doc.
pub struct MailExecutor {
    s: Settings,
    queue: Queue<Envelope>,
    session: Option<Session>,
    /// The state each instance and group mailed last.
    mailed: Vec<Known>,
    /// Each instance's state.
    states: Vec<Known>,
    /// At stop: when mails stop going out.
    stop_by: Option<Instant>,
    rx: Vec<u8>,
}

impl MailExecutor {
    /// The mailer of `cfg`.
    pub fn new(cfg: &Config) -> MailExecutor {
        MailExecutor {
            s: Settings::load(cfg, None),
            queue: Queue::new(QUEUE_LEN),
            session: None,
            mailed: Vec::new(),
            states: Vec::new(),
            stop_by: None,
            rx: vec![0; 2048],
        }
    }

    /// A reload: the new settings; the queue, the session and what was mailed stay.
    pub fn reload(&mut self, cfg: &Config) {
        self.s = Settings::load(cfg, Some(&self.s));
    }

    /// Whether alerts can go anywhere (keepalived: recipients and a server).
    pub fn enabled(&self) -> bool {
        self.s.server.is_some() && !self.s.to.is_empty()
    }

    pub fn counters(&self) -> Counters {
        self.queue.counters
    }

    pub fn clear_counters(&mut self) {
        self.queue.counters = Counters::default();
    }

    /// VRRP instance (`group` false) or sync group `name` entered `state`.
    ///
    /// Our sync groups start in BACKUP and leave no state at stop, where keepalived's enter
    /// BACKUP and STOP (mailed after the member's): a group mails BACKUP after its first member
    /// does when it has mailed nothing yet, and Stopping once its last member stopped during
    /// the daemon's stop.
    pub fn vrrp<K: From<MailKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        group: bool,
        name: &str,
        state: State,
    ) {
        let mut mails: Vec<Message> = self.vrrp_message(group, name, state).into_iter().collect();
        if !group {
            set(&mut self.states, false, name, state);
            mails.extend(self.group_follows(name, state));
        }
        for m in mails {
            self.alert(core, now, &m);
        }
    }

    /// The mail of the sync group of instance `name`, when the group follows it (see
    /// [`MailExecutor::vrrp`]).
    fn group_follows(&mut self, name: &str, state: State) -> Option<Message> {
        let (g, members) = self
            .s
            .members
            .iter()
            .find(|(_, m)| m.iter().any(|n| n == name))?;
        let follow = match state {
            State::Backup => get(&self.mailed, true, g).is_none(),
            State::Init => {
                self.stop_by.is_some()
                    && members
                        .iter()
                        .all(|m| get(&self.states, false, m).is_none_or(|s| s == State::Init))
            }
            _ => false,
        };
        if !follow {
            return None;
        }
        let g = g.clone();
        self.vrrp_message(true, &g, state)
    }

    /// The mail of an instance or group entering `state`, when it mails and has not mailed
    /// that state last.
    fn vrrp_message(&mut self, group: bool, name: &str, state: State) -> Option<Message> {
        let on = if group { &self.s.groups } else { &self.s.vrrp };
        if !on.iter().any(|(n, on)| n == name && *on)
            || (self.s.no_email_faults && state == State::Fault)
        {
            return None;
        }
        if get(&self.mailed, group, name).unwrap_or(State::Init) == state {
            return None;
        }
        set(&mut self.mailed, group, name, state);
        Some(message::vrrp(&self.s.router_id, name, group, state))
    }

    /// A check of a real server went up or down, or a virtual server's quorum changed.
    pub fn check<K: From<MailKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        a: &CheckAlert,
    ) {
        let m = match a {
            CheckAlert::Server(a) => {
                if !a.smtp_alert.unwrap_or(self.s.checker)
                    || (self.s.no_checker_emails && !a.alive_changed)
                {
                    return;
                }
                message::real_server(&self.s.router_id, &a.rs, &a.vs, a.alive, a.check, a.up)
            }
            CheckAlert::Quorum {
                vs,
                up,
                body,
                smtp_alert,
            } => {
                if !smtp_alert.unwrap_or(self.s.quorum) {
                    return;
                }
                message::virtual_server(&self.s.router_id, vs, *up, body)
            }
        };
        self.alert(core, now, &m);
    }

    /// Queues `m` and starts a session if none runs.
    fn alert<K: From<MailKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant, m: &Message) {
        if !self.enabled() {
            return;
        }
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let date = message::date(unix, crate::sys::utc_offset(unix));
        let env = Envelope {
            helo: self.s.helo.clone(),
            from: self.s.from.clone(),
            to: self.s.to.clone(),
            message: message::compose(&date, &self.s.from, &self.s.to, m),
        };
        if !self.queue.push(env) {
            warn!(
                "SMTP alert dropped, {QUEUE_LEN} waiting already: {}",
                m.subject
            );
            return;
        }
        self.next(core, now);
    }

    fn server_text(&self) -> String {
        self.s.server_text()
    }

    /// Starts the next session when none runs (a failed connect moves on to the next mail).
    fn next<K: From<MailKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        while self.session.is_none() {
            let Some(server) = self.s.server else { return };
            if self.stop_by.is_some_and(|t| now >= t) {
                while self.queue.pop().is_some() {
                    self.queue.ended(false);
                }
                return;
            }
            let Some(env) = self.queue.pop() else { return };
            match self.open(core, now, server, env) {
                Ok(s) => self.session = Some(s),
                Err(e) => {
                    info!("SMTP connection ERROR to {}: {e}", self.server_text());
                    self.queue.ended(false);
                }
            }
        }
    }

    fn open<K: From<MailKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        server: SocketAddr,
        env: Envelope,
    ) -> io::Result<Session> {
        let sock = probe::connect(probe::Kind::Tcp, server, &probe::Bind::default())?;
        let token = core.register_fd(
            &sock,
            mio::Interest::READABLE | mio::Interest::WRITABLE,
            K::from(MailKey::Socket),
        )?;
        let mut deadline = now + self.s.timeout;
        if let Some(t) = self.stop_by {
            deadline = deadline.min(t);
        }
        Ok(Session {
            sock,
            token,
            client: Client::new(env),
            out: Vec::new(),
            connecting: true,
            timer: core.arm(deadline, K::from(MailKey::Deadline)),
        })
    }

    /// The socket woke: the connect's end, then writes, then reads until it would block.
    pub fn on_io<K: From<MailKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        let verdict = self.drive();
        if let Some(v) = verdict {
            self.end(core, now, v);
        }
    }

    /// `None` while the session goes on.
    fn drive(&mut self) -> Option<crate::check::Verdict> {
        let s = self.session.as_mut()?;
        if s.connecting {
            match probe::take_error(s.sock.as_raw_fd()) {
                Ok(None) => {
                    s.connecting = false;
                    info!(
                        "Remote SMTP server {} connected.",
                        self.s
                            .server
                            .map_or_else(String::new, |a| { crate::executor::check::addr_text(a) })
                    );
                }
                Ok(Some(e)) | Err(e) => return Some(Err(format!("connect: {e}"))),
            }
        }
        loop {
            while !s.out.is_empty() {
                match probe::send(&s.sock, &s.out) {
                    Ok(n) => {
                        s.out.drain(..n.min(s.out.len()));
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Some(Err(format!("send: {e}"))),
                }
            }
            let n = match probe::recv(&s.sock, &mut self.rx) {
                Ok(0) => return Some(s.client.on_eof()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(format!("receive: {e}"))),
            };
            match s.client.on_data(self.rx.get(..n).unwrap_or_default()) {
                Step::Send(b) => s.out.extend_from_slice(&b),
                Step::Read => {}
                Step::Done(v) => return Some(v),
            }
        }
    }

    /// The session's deadline.
    pub fn on_timer<K: From<MailKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        let Some(s) = &mut self.session else { return };
        let v = s.client.on_timeout();
        self.end(core, now, v);
    }

    /// Ends the session with its verdict and starts the next.
    fn end<K: From<MailKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        v: crate::check::Verdict,
    ) {
        let Some(s) = self.session.take() else { return };
        core.cancel(s.timer);
        let _ = core.deregister_fd(&s.sock, s.token);
        drop(s);
        match &v {
            Ok(()) => info!("SMTP alert successfully sent."),
            Err(e) => info!("SMTP alert to {} failed: {e}", self.server_text()),
        }
        self.queue.ended(v.is_ok());
        self.next(core, now);
    }

    /// The daemon stops: mails go out for [`STOP_BUDGET`] more.
    pub fn stop<K: From<MailKey> + Copy>(&mut self, core: &mut Core<K>, now: Instant) {
        let by = now + STOP_BUDGET;
        self.stop_by = Some(by);
        if let Some(s) = &mut self.session {
            core.cancel(s.timer);
            s.timer = core.arm(by, K::from(MailKey::Deadline));
        }
    }

    /// Mails waiting or being sent (an orderly stop waits for them, [`STOP_BUDGET`] at most).
    pub fn pending(&self) -> usize {
        self.queue.len() + usize::from(self.session.is_some())
    }

    /// The statistics dump's part.
    pub fn dump(&self) -> String {
        let c = self.queue.counters;
        format!(
            "------< SMTP alerts >------\n Server = {}\n Queue = {} of {QUEUE_LEN}, session running = {}\n Queued = {}\n Sent = {}\n Failed = {}\n Dropped (queue full) = {}\n",
            self.server_text(),
            self.queue.len(),
            self.session.is_some(),
            c.queued,
            c.sent,
            c.failed,
            c.dropped
        )
    }
}

#[cfg(test)]
mod tests;
