//! SNMP behind the [`Subsystem`] shape: it starts, restarts or stops the AgentX subagent
//! ([`crate::executor::snmp::Agent`]) from `-x`, `-A` and the `snmp_*` / `enable_*` keywords,
//! and hears VRRP state changes, whose traps the dispatcher sends once the wake settled (with
//! the VRRP views at hand).
//!
//! What is served: the VRRP-MIB (RFC 2787) with `enable_snmp_rfcv2` (or `-x` with no
//! `enable_snmp_*` keyword); `enable_snmp_vrrp` (KEEPALIVED-MIB), `enable_snmp_checker` and
//! `enable_snmp_rfcv3` (VRRPv3-MIB) are not served yet and say so in the log.

use log::warn;

use super::subsystem::{Dump, Event, Subsystem};
use crate::config::Config;
use crate::executor::snmp::{Agent, DEFAULT_SOCKET, SnmpKey, Target};
use crate::reactor::Core;
use crate::snmp::agentx::Oid;
use crate::time::Instant;

/// The SNMP subsystem.
pub struct Snmp {
    /// `-x`.
    flag: bool,
    /// `-A`.
    socket: Option<String>,
    /// VRRP runs in this process (`-P` or no restriction).
    vrrp: bool,
    pub agent: Option<Agent>,
    /// Traps are sent (`enable_traps`).
    pub traps: bool,
    /// Instances that became MASTER in this wake (their trap is not sent yet).
    pub new_masters: Vec<String>,
    /// Each instance's vrrpStatsBecomeMaster when its last trap went: a reload raises the
    /// state of every instance again, which is no new master.
    pub trapped: std::collections::HashMap<String, u64>,
}

impl Snmp {
    pub fn new(flag: bool, socket: Option<String>, vrrp: bool) -> Snmp {
        Snmp {
            flag,
            socket,
            vrrp,
            agent: None,
            traps: false,
            new_masters: Vec::new(),
            trapped: std::collections::HashMap::new(),
        }
    }

    /// The target and subtrees `cfg` asks for (no subtree: no agent).
    fn wanted(&self, cfg: &Config) -> Result<(Target, Vec<Oid>), String> {
        let s = &cfg.global.snmp;
        let any = s.vrrp || s.checker || s.rfcv2 || s.rfcv3;
        let mut subtrees = Vec::new();
        if self.vrrp && (s.rfcv2 || (self.flag && !any)) {
            subtrees.push(crate::snmp::mib::VRRP_MIB.to_vec());
        }
        let socket = self
            .socket
            .clone()
            .or_else(|| s.socket.clone())
            .unwrap_or_else(|| DEFAULT_SOCKET.to_string());
        Ok((Target::parse(&socket)?, subtrees))
    }
}

impl<K: Copy + From<SnmpKey>> Subsystem<K> for Snmp {
    fn apply(&mut self, cfg: &Config, core: &mut Core<K>, now: Instant) -> Result<(), String> {
        let s = &cfg.global.snmp;
        self.traps = s.traps;
        for (on, what) in [
            (s.vrrp, "enable_snmp_vrrp (KEEPALIVED-MIB)"),
            (s.checker, "enable_snmp_checker (KEEPALIVED-MIB)"),
            (s.rfcv3, "enable_snmp_rfcv3 (VRRPv3-MIB)"),
        ] {
            if on {
                warn!("{what}: not served by keepalived-rs yet");
            }
        }
        let (target, subtrees) = match self.wanted(cfg) {
            Ok(x) => x,
            Err(e) => {
                warn!("{e}");
                (Target::Unix(DEFAULT_SOCKET.into()), Vec::new())
            }
        };
        if self
            .agent
            .as_ref()
            .is_some_and(|a| a.same(&target, &subtrees))
        {
            return Ok(());
        }
        if let Some(a) = self.agent.take() {
            a.shut(core);
        }
        if !subtrees.is_empty() {
            #[cfg(feature = "snmp")]
            {
                self.agent = Some(Agent::start(target, subtrees, core, now));
            }
            #[cfg(not(feature = "snmp"))]
            {
                let _ = (target, core, now);
                warn!("SNMP: this build has no AgentX subagent (cargo feature `snmp`)");
            }
        }
        Ok(())
    }

    fn stop(&mut self, core: &mut Core<K>, _now: Instant) {
        if let Some(a) = self.agent.take() {
            a.shut(core);
        }
    }

    fn on_event(&mut self, _core: &mut Core<K>, _now: Instant, ev: &Event) {
        if let Event::VrrpState {
            instance,
            state: crate::vrrp::State::Master,
        } = ev
            && self.traps
            && self.agent.as_ref().is_some_and(Agent::ready)
            && self.new_masters.len() < 1024
        {
            self.new_masters.push(instance.clone());
        }
    }

    fn dump(&self, _what: Dump) -> String {
        String::new()
    }
}
