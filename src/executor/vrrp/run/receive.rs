//! Receiving: adverts off the raw sockets, through the codec and validation to the machines of their VRID; the rate-limited lines about what was dropped.

use crate::config::vrrp::Family;
use crate::executor::vrrp::loglimit::LineKey;
use crate::reactor::Core;
use crate::reactor::slots::Slots;
use crate::sys::raw;
use crate::time::Instant;
use crate::vrrp::{AhCheck, Auth, RxMeta, advert};
use crate::wire::vrrp::{self as wv};
use crate::wire::{self, IpPair};
use log::{log, warn};
use std::io;
use std::net::{IpAddr, Ipv4Addr};

use super::{VirtualRouter, VrrpExecutor, VrrpKey};

impl VrrpExecutor {
    /// Drains socket `n`: up to [`raw::BATCH`] datagrams per `recvmmsg`, until a batch says the
    /// queue is empty (one call per readiness for the usual lone advert, none only to see `EAGAIN`).
    pub(super) fn on_socket<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        n: usize,
    ) {
        let mut got = [raw::Received::NONE; raw::BATCH];
        loop {
            let Some(sock) = self.socks.get(n) else {
                return;
            };
            let batch = match sock.raw.recv_batch(&mut self.rx, &mut got) {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    self.counters.receive_errors += 1;
                    let key = LineKey {
                        what: "receive error",
                        inst: None,
                        addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                        level: log::Level::Warn,
                    };
                    limited(&mut self.limit, &self.insts, now, key, || {
                        format!("VRRP socket receive error: {e}")
                    });
                    return;
                }
            };
            let rx = std::mem::take(&mut self.rx);
            for (r, slot) in got[..batch.count].iter().zip(rx.chunks(raw::RX_SLOT)) {
                self.packet(core, now, n, *r, slot);
            }
            self.rx = rx;
            if batch.drained {
                return;
            }
        }
    }

    /// One received datagram on socket `n`: decode, demultiplex by VRID, check the checksum per
    /// instance, hand it to the machines.
    pub(super) fn packet<K: From<VrrpKey> + Copy>(
        &mut self,
        core: &mut Core<K>,
        now: Instant,
        n: usize,
        r: raw::Received,
        rx: &[u8],
    ) {
        self.flush_limit(now);
        let family = self.socks[n].family;
        let data = &rx[..r.len.min(rx.len())];
        let (pair, ttl, multicast, pkt, ah) = match family {
            // Protocol 112, or 51 (AH) on the sockets of `auth_type AH` instances.
            Family::Inet => match wire::ah::ipv4_datagram(data) {
                Ok((ip, ah, pkt)) => (
                    IpPair::V4 {
                        src: ip.src_addr,
                        dst: ip.dst_addr,
                    },
                    Some(ip.ttl),
                    ip.dst_addr.is_multicast(),
                    pkt,
                    ah,
                ),
                Err(e) => {
                    self.counters.malformed += 1;
                    limited(&mut self.limit, &self.insts, now, malformed(r.src), || {
                        format!("dropped a VRRP datagram from {}: {e}", r.src)
                    });
                    return;
                }
            },
            Family::Inet6 => {
                let (IpAddr::V6(src), Some(IpAddr::V6(dst))) = (r.src, r.dst) else {
                    self.counters.malformed += 1;
                    limited(&mut self.limit, &self.insts, now, malformed(r.src), || {
                        format!("dropped a VRRP datagram from {}: no destination", r.src)
                    });
                    return;
                };
                match wv::Packet::new_checked(data, wire::Family::V6) {
                    Ok(pkt) => (
                        IpPair::V6 { src, dst },
                        r.hop_limit,
                        dst.is_multicast(),
                        pkt,
                        None,
                    ),
                    Err(e) => {
                        self.counters.malformed += 1;
                        limited(&mut self.limit, &self.insts, now, malformed(r.src), || {
                            format!("dropped a VRRP datagram from {}: {e}", r.src)
                        });
                        return;
                    }
                }
            }
        };
        let src = match pair {
            IpPair::V4 { src, .. } => IpAddr::V4(src),
            IpPair::V6 { src, .. } => IpAddr::V6(src),
        };
        // Our own adverts come back on some setups (a second socket on the same link).
        self.demux.refresh(&self.insts);
        if self.demux.own.contains(&(n, src)) {
            return;
        }
        let repr = match wv::Repr::parse(&pkt) {
            Ok(r) => r,
            Err(e) => {
                self.counters.malformed += 1;
                limited(&mut self.limit, &self.insts, now, malformed(src), || {
                    format!("dropped a VRRP advert from {src}: {e}")
                });
                return;
            }
        };
        let mut addrs = std::mem::take(&mut self.addrs);
        addrs.clear();
        addrs.extend(repr.addresses.iter());
        let advert = advert::from_wire(&repr, &addrs);
        let meta = RxMeta {
            src,
            multicast,
            ttl,
        };
        let mut matched = false;
        let key = (n, repr.vrid);
        for k in 0.. {
            // Looked up again each time: a drain may change the instances (and so the index).
            self.demux.refresh(&self.insts);
            let Some(&i) = self.demux.by.get(&key).and_then(|v| v.get(k)) else {
                break;
            };
            let inst = &mut self.insts[i];
            matched = true;
            let mut advert = advert;
            if let (Some(h), IpPair::V4 { src, .. }) = (&ah, pair) {
                advert.ah = Some(ah_check(inst, data, src, h, &advert, &meta));
            }
            let follows = advert::follows_checksum(inst.machine.params().version, inst.io.family);
            let input = advert::classify(
                &pkt,
                &pair,
                inst.variant,
                follows,
                self.group4,
                advert,
                meta,
            );
            // Dated by its arrival (the timers then count from when the advert reached the
            // host, however late the loop read it), never before a time the machines were
            // given already.
            let at = if self.kernel_clock {
                Instant::arrival(now, r.stamp).max(self.floor)
            } else {
                now
            };
            inst.machine.handle_input(at, input);
            self.drain(core, now, i);
        }
        self.addrs = addrs;
        if !matched {
            self.counters.unknown_vrid += 1;
            let key = LineKey {
                what: "unknown VRID",
                inst: None,
                addr: src,
                level: log::Level::Debug,
            };
            let vrid = repr.vrid;
            limited(&mut self.limit, &self.insts, now, key, || {
                format!("advert from {src} for VRID {vrid}: no instance")
            });
        }
    }
}

/// The verdict on an AH header for instance `inst`, in keepalived's order (`vrrp_in_chk_ipsecah()`):
/// next header and length, ICV (TTL zeroed for a unicast instance), SPI = source address,
/// sequence number above the instance's counter. A good one moves the counter, as keepalived
/// does at that step, when the steps before it in the checklist pass (TTL, version, auth type 2):
/// a packet refused there leaves the counter alone.
fn ah_check(
    inst: &mut VirtualRouter,
    datagram: &[u8],
    src: Ipv4Addr,
    h: &wire::ah::Repr,
    advert: &crate::vrrp::Advert<'_>,
    meta: &RxMeta,
) -> AhCheck {
    let p = inst.machine.params();
    // Not an AH instance: the checklist refuses the packet before looking at the verdict.
    let Auth::Ah(key) = p.auth else {
        return AhCheck::Ok;
    };
    let unicast = !p.unicast_peers.is_empty();
    if !h.is_vrrp() {
        return AhCheck::Header;
    }
    if !wire::ah::verify_icv(&key, datagram, unicast) {
        return AhCheck::Icv;
    }
    if h.spi != u32::from(src) {
        return AhCheck::Spi;
    }
    if h.seq <= inst.ah_seq {
        return AhCheck::Replay {
            got: h.seq,
            last: inst.ah_seq,
        };
    }
    let ttl_ok = unicast || meta.ttl.is_none_or(|t| t == 255);
    if ttl_ok && advert.version == p.version && advert.auth_type == 2 {
        inst.ah_seq = h.seq;
    }
    AhCheck::Ok
}

/// Which live instances an advert on socket `n` for VRID `v` is for, and the advert sources of
/// ours on each socket (our own adverts come back on some setups): an index instead of two
/// passes over every instance per received advert (about 12 % of 200 backups' CPU). Rebuilt
/// when marked stale: an instance added or removed, its socket or advert source changed, a
/// reload.
#[derive(Debug, Default)]
pub(super) struct Demux {
    pub(super) stale: bool,
    by: std::collections::HashMap<(usize, u8), Vec<usize>>,
    own: std::collections::HashSet<(usize, IpAddr)>,
}

impl Demux {
    fn refresh(&mut self, insts: &crate::reactor::slots::Slots<VirtualRouter>) {
        if !std::mem::take(&mut self.stale) {
            return;
        }
        self.by.clear();
        self.own.clear();
        for (i, inst) in insts.iter_live() {
            let Some(n) = inst.sock else { continue };
            self.by
                .entry((n, inst.machine.params().vrid))
                .or_default()
                .push(i);
            self.own.insert((n, inst.src));
        }
    }
}

pub(super) fn malformed(src: IpAddr) -> LineKey {
    LineKey {
        what: "malformed",
        inst: None,
        addr: src,
        level: log::Level::Debug,
    }
}

/// Logs `line()` with `key`'s level unless the rate limit holds it back (then it is only
/// counted for a summary line). Nothing is formatted for a line that is not logged.
pub(super) fn limited(
    limit: &mut crate::executor::vrrp::loglimit::LogLimit,
    insts: &Slots<VirtualRouter>,
    now: Instant,
    key: LineKey,
    line: impl FnOnce() -> String,
) {
    if log::log_enabled!(key.level) && limit.check(now, key, |s| log_summary(insts, s)) {
        log!(key.level, "{}", line());
    }
}

/// One summary line of the rate limit.
pub(super) fn log_summary(
    insts: &Slots<VirtualRouter>,
    s: crate::executor::vrrp::loglimit::Summary,
) {
    let secs = crate::executor::vrrp::loglimit::WINDOW.as_secs();
    let n = s.suppressed;
    let Some(k) = s.key else {
        warn!("{n} more log lines about dropped VRRP packets not logged in {secs} s (rate limit)");
        return;
    };
    // An instance removed since: no name (its slot may hold another one now).
    let prefix = k
        .inst
        .and_then(|id| insts.check(id))
        .map(|i| &insts[i])
        .map(|i| format!("({}) ", i.machine.params().name))
        .unwrap_or_default();
    log!(
        k.level,
        "{prefix}{n} more lines like the last ({}, {}) not logged in {secs} s (rate limit)",
        k.what,
        k.addr
    );
}
