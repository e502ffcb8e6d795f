//! Sending: adverts out of the raw sockets, gratuitous ARP and unsolicited NA out of the packet sockets.

use crate::config::vrrp::Family;
use crate::executor::vrrp::loglimit::LineKey;
use crate::reactor::Core;
use crate::sys::raw::{PacketSocket, if_mac};
use crate::time::Instant;
use crate::vrrp::pace::DomainKey;
use crate::vrrp::{AdvertOut, Auth, advert};
use crate::wire::vrrp::{self as wv, Addresses, ChecksumVariant};
use crate::wire::{self, IpPair};
use log::{debug, error};
use std::io;
use std::net::IpAddr;
use std::time::Duration;

use super::receive::limited;
use super::{VrrpExecutor, VrrpKey};

impl VrrpExecutor {
    pub(super) fn transmit(&mut self, i: usize, a: &AdvertOut) {
        // AH: one sequence number per advert (all unicast peers get the same), as keepalived's
        // `vrrp_update_pkt()`: it stops counting at 0xfffffffe (136 years of 1 s adverts).
        let ah = match self.insts[i].machine.params().auth {
            Auth::Ah(key) => {
                let seq = &mut self.insts[i].ah_seq;
                if *seq <= 0xffff_fffd {
                    *seq += 1;
                }
                Some((key, *seq))
            }
            _ => None,
        };
        let inst = &self.insts[i];
        let p = inst.machine.params();
        let addresses = match inst.io.family {
            Family::Inet => Addresses::V4(&inst.vips4),
            Family::Inet6 => Addresses::V6(&inst.vips6),
        };
        let repr = advert::to_wire(a, &p.auth, addresses);
        // No allocation per advert: the group, or the unicast peers, borrowed.
        let group = [inst.io.group];
        let dsts: &[IpAddr] = if inst.io.peers.is_empty() {
            &group
        } else {
            &inst.io.peers
        };
        let ttl = if inst.io.peers.is_empty() {
            255
        } else {
            inst.io.unicast_ttl
        };
        let Some(sock) = inst.sock else {
            debug!("({}) no VRRP socket yet: advert not sent", p.name);
            return;
        };
        let mut failed = Vec::new();
        for &dst in dsts {
            let res = match (inst.src, dst) {
                (IpAddr::V4(s), IpAddr::V4(d)) => {
                    self.ip_ident = self.ip_ident.wrapping_add(1);
                    let mut ip = wire::ipv4::Repr::vrrp(s, d, self.ip_ident, 0);
                    ip.ttl = ttl;
                    match ah {
                        // keepalived zeroes the TTL in the ICV of a unicast instance.
                        Some((key, seq)) => wire::ah::emit_ipv4_datagram(
                            &mut self.tx,
                            &ip,
                            &wire::ah::Repr::vrrp(s, seq),
                            &repr,
                            &key,
                            !inst.io.peers.is_empty(),
                        ),
                        None => wv::emit_ipv4_datagram(&mut self.tx, &ip, &repr, inst.variant),
                    }
                    .map_err(|e| io::Error::other(e.to_string()))
                    .and_then(|n| self.socks[sock].raw.send(&self.tx[..n], dst, None))
                }
                (IpAddr::V6(s), IpAddr::V6(d)) => {
                    let len = repr.buffer_len();
                    let pair = IpPair::V6 { src: s, dst: d };
                    let mut pkt = wv::Packet::new_unchecked(&mut self.tx[..len], wire::Family::V6);
                    repr.emit(&mut pkt, &pair, ChecksumVariant::Ipv6Pseudo)
                        .map_err(|e| io::Error::other(e.to_string()))
                        .and_then(|()| self.socks[sock].raw.send(&self.tx[..len], dst, Some(s)))
                }
                _ => Err(io::Error::other("address families differ")),
            };
            if let Err(e) = res {
                // Logged after the loop (`inst` is borrowed here); no allocation without one.
                failed.push((dst, e));
            }
        }
        for (dst, e) in failed {
            self.counters.send_errors += 1;
            let key = LineKey {
                what: "send error",
                inst: Some(self.insts.id(i)),
                addr: dst,
                level: log::Level::Warn,
            };
            let name = &self.insts[i].machine.params().name;
            let line = format!("({name}) cannot send advert to {dst}: {e}");
            limited(&mut self.limit, &self.insts, Instant::now(), key, || line);
        }
    }

    /// `repeat` gratuitous ARPs / unsolicited NAs for every VIP and eVIP of instance `i`, each on
    /// the interface it is installed on (its `dev`, else the instance's), from that interface's
    /// MAC. The NA's Router flag is set when IPv6 forwarding is on for the interface, as keepalived
    /// does. An interface with a pacing interval (`vrrp_garp_interval`, `vrrp_gna_interval`,
    /// `garp_group`) gets its frames through the pacer instead, every one of them.
    pub(super) fn garp(&mut self, i: usize, repeat: u32) {
        let inst = &self.insts[i];
        let id = self.insts.id(i);
        let mut targets: Vec<(u32, String, IpAddr)> = Vec::new();
        for a in inst.io.vips.iter().chain(&inst.io.evips) {
            let dev = a.dev.clone().unwrap_or_else(|| inst.io.interface.clone());
            let Some(ifindex) = self.dev_index(inst, a) else {
                continue;
            };
            targets.push((ifindex, dev, a.addr.addr));
        }
        let now = Instant::now();
        let own = inst.io.garp_pacing;
        for (ifindex, dev, addr) in targets {
            let (key, interval) = self.pace_cfg.domain(ifindex, &dev, addr.is_ipv6(), own);
            if interval.is_zero() {
                self.send_garps(i, ifindex, &dev, addr, repeat);
            } else {
                let item = Paced {
                    inst: id,
                    ifindex,
                    dev,
                    addr,
                };
                self.pacer.push(key, interval, item, repeat, now);
            }
        }
    }

    /// The pacer's timer: the frames due, each for an instance still MASTER (the others'
    /// are dropped), then the timer for the next.
    pub fn on_pacer<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        deadline: Instant,
    ) {
        if !self.pace_armed.fired(deadline) {
            return;
        }
        let insts = &self.insts;
        let gone = |p: &Paced| {
            insts
                .check(p.inst)
                .is_none_or(|i| insts[i].machine.state() != crate::vrrp::State::Master)
        };
        self.pacer.forget(gone, now);
        while let Some(p) = self.pacer.poll(now) {
            if let Some(i) = self.insts.check(p.inst) {
                self.send_garps(i, p.ifindex, &p.dev, p.addr, 1);
                self.counters.garps_paced += 1;
            }
        }
        self.arm_pacer(core);
    }

    /// The pacer's timer armed for its next frame (none when nothing is pending).
    pub(super) fn arm_pacer<K: From<VrrpKey> + Copy>(&mut self, core: &mut Core<K>) {
        let want = self.pacer.poll_timeout();
        self.pace_armed.set(core, want, K::from(VrrpKey::Pacer));
    }

    /// `count` GARPs (IPv4) or unsolicited NAs (IPv6) for `v` on `ifindex` (`dev`), for
    /// instance `i`.
    fn send_garps(&mut self, i: usize, ifindex: u32, dev: &str, v: IpAddr, count: u32) {
        let mut buf = [0u8; 128];
        // `use_vmac_addr`: the virtual MAC for VIPs on other interfaces too.
        let vmac_everywhere = self.insts[i]
            .vmac
            .as_ref()
            .is_some_and(|v| v.addr_on_others);
        let mac = if ifindex == self.insts[i].ifindex || vmac_everywhere {
            self.insts[i].mac
        } else {
            self.link_mac(ifindex, dev)
        };
        let mac = wire::ethernet::Address(mac);
        let router = v.is_ipv6() && self.ipv6_forwarding(ifindex, dev);
        let sock = match self.frames.entry(ifindex) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => match PacketSocket::new(ifindex) {
                Ok(s) => e.insert(s),
                Err(e) => {
                    let name = &self.insts[i].machine.params().name;
                    error!("({name}) cannot open a packet socket on {dev}: {e}");
                    return;
                }
            },
        };
        for _ in 0..count {
            let n = match v {
                IpAddr::V4(a) => wire::arp::emit_gratuitous_frame(&mut buf, mac, a),
                IpAddr::V6(a) => wire::ndisc::emit_unsolicited_na_frame(&mut buf, mac, a, router),
            };
            match n {
                Ok(n) => {
                    if let Err(e) = sock.send(&buf[..n]) {
                        self.counters.send_errors += 1;
                        debug!("GARP/NA for {v} not sent: {e}");
                    }
                }
                Err(e) => debug!("GARP/NA for {v} not built: {e}"),
            }
        }
    }

    /// The MAC of interface `ifindex` as the link monitor has it (its first 6 bytes, as
    /// `SIOCGIFHWADDR` gives them); asked of the kernel only for a link the monitor does not know.
    pub(super) fn link_mac(&self, ifindex: u32, dev: &str) -> [u8; 6] {
        match self.monitor.link_by_index(ifindex) {
            Some(l) => {
                let mut mac = [0; 6];
                let b = l.mac.as_ref().map_or(&[][..], |m| m.as_bytes());
                mac.iter_mut().zip(b).for_each(|(d, s)| *d = *s);
                mac
            }
            None => if_mac(dev).unwrap_or([0; 6]),
        }
    }

    /// Whether IPv6 forwarding is on for `dev` (keepalived sets the NA's Router flag then): the
    /// sysctl, read once per interface until a link event for it or a reload.
    pub(super) fn ipv6_forwarding(&mut self, ifindex: u32, dev: &str) -> bool {
        *self.forwarding.entry(ifindex).or_insert_with(|| {
            std::fs::read_to_string(format!("/proc/sys/net/ipv6/conf/{dev}/forwarding"))
                .is_ok_and(|s| s.trim() == "1")
        })
    }
}

/// One paced frame's target: the instance it is for, the interface and the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Paced {
    inst: crate::reactor::slots::SlotId,
    ifindex: u32,
    dev: String,
    addr: IpAddr,
}

/// The pacing intervals of the configuration: the global ones per interface, and the
/// `garp_group`s' (an interval a group leaves unset is 0 there: no pacing, as keepalived).
#[derive(Debug, Default)]
pub(super) struct PaceConfig {
    garp: Duration,
    gna: Duration,
    groups: Vec<(Vec<String>, Duration, Duration)>,
}

impl PaceConfig {
    pub(super) fn new(cfg: &crate::config::Config) -> PaceConfig {
        let v = &cfg.global.vrrp;
        PaceConfig {
            garp: v.garp_interval,
            gna: v.gna_interval,
            groups: cfg
                .vrrp
                .garp_groups
                .iter()
                .map(|g| {
                    let mut ifs = g.interfaces.clone();
                    ifs.extend(g.interface.clone());
                    (
                        ifs,
                        g.garp_interval.unwrap_or_default(),
                        g.gna_interval.unwrap_or_default(),
                    )
                })
                .collect(),
        }
    }

    /// The pacing domain of `dev` for ARP (`v6` false) or NA, and its interval: a group's, else
    /// the instance's own (`own`: its ARP and NA intervals), else the global one.
    pub(super) fn domain(
        &self,
        ifindex: u32,
        dev: &str,
        v6: bool,
        own: (Option<Duration>, Option<Duration>),
    ) -> (DomainKey, Duration) {
        for (group, (ifs, garp, gna)) in self.groups.iter().enumerate() {
            if ifs.iter().any(|i| i == dev) {
                return (
                    DomainKey::Group { group, v6 },
                    if v6 { *gna } else { *garp },
                );
            }
        }
        let interval = if v6 {
            own.1.unwrap_or(self.gna)
        } else {
            own.0.unwrap_or(self.garp)
        };
        (DomainKey::Interface { ifindex, v6 }, interval)
    }
}
