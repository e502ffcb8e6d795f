//! The BFD part of the data (SIGUSR1) and statistics (SIGUSR2) dumps. keepalived writes these to
//! a file of its BFD process (`/tmp/keepalived_bfd.data`); ours is one process, so the sections
//! follow the VRRP ones in the same files. The layout is line-oriented `name = value`, as
//! keepalived's dumps, and not a stable interface (keepalived's is not either).

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use crate::wire::bfd::DropReason;

use super::{Counters, View};
use crate::executor::vrrp::dump::js;

fn us(d: Duration) -> u128 {
    d.as_micros()
}

/// The "BFD Topology" section: every session, its configuration and its state now.
pub fn topology(views: &[View<'_>]) -> String {
    let mut o = String::new();
    if views.is_empty() {
        return o;
    }
    let _ = writeln!(o, "------< BFD Topology >------");
    for v in views {
        let c = v.cfg;
        let s = v.session;
        let _ = writeln!(o, " BFD Instance = {}", c.name);
        let _ = writeln!(o, "   Neighbor IP = {}", c.neighbor);
        match c.source {
            Some(a) => {
                let _ = writeln!(o, "   Source IP = {a}");
            }
            None => {
                let _ = writeln!(o, "   Source IP = (kernel's choice)");
            }
        }
        if let Some(l) = v.local {
            let _ = writeln!(o, "   Local socket = {l}");
        }
        let _ = writeln!(o, "   Multihop = {}", if c.multihop { "yes" } else { "no" });
        let _ = writeln!(o, "   Required min RX interval = {} us", us(c.min_rx));
        let _ = writeln!(o, "   Desired min TX interval = {} us", us(c.min_tx));
        let _ = writeln!(o, "   Desired idle TX interval = {} us", us(c.idle_tx));
        let _ = writeln!(o, "   Detection multiplier = {}", c.multiplier);
        let _ = writeln!(o, "   Passive = {}", if c.passive { "yes" } else { "no" });
        let _ = writeln!(o, "   TTL = {}, max hops = {}", c.ttl, c.max_hops);
        let _ = writeln!(o, "   State = {}", s.state());
        let _ = writeln!(
            o,
            "   Local discriminator = {:#010x}",
            s.params().local_discr
        );
        let _ = writeln!(o, "   Remote discriminator = {:#010x}", s.remote_discr());
        let _ = writeln!(o, "   Local diagnostic = {}", s.local_diag());
        let _ = writeln!(o, "   Remote state = {}", s.remote_state());
        match s.tx_interval() {
            Some(t) => {
                let _ = writeln!(o, "   Transmit interval = {} us", us(t));
            }
            None => {
                let _ = writeln!(o, "   Transmit interval = none (peer asks for no packets)");
            }
        }
        let _ = writeln!(o, "   Detection time = {} us", us(s.detection_time()));
        let _ = writeln!(
            o,
            "   Poll sequence = {}",
            if s.poll_active() { "running" } else { "idle" }
        );
    }
    o
}

/// The BFD statistics: per session, then the datagrams no session took.
pub fn stats(views: &[View<'_>], c: &Counters) -> String {
    let mut o = String::new();
    if views.is_empty() {
        return o;
    }
    for v in views {
        let k = v.session.counters();
        let _ = writeln!(o, "BFD Instance: {}", v.cfg.name);
        let _ = writeln!(o, "  State: {}", v.session.state());
        let _ = writeln!(o, "  Packets received: {}", k.rx);
        let _ = writeln!(o, "  Packets sent: {}", k.tx);
        let _ = writeln!(o, "  Wrong your discriminator: {}", k.rx_wrong_discr);
        let _ = writeln!(o, "  Received while admin down: {}", k.rx_admin_down);
        let _ = writeln!(o, "  Poll sequences started: {}", k.polls_started);
        let _ = writeln!(o, "  Poll sequences completed: {}", k.polls_completed);
        let _ = writeln!(o, "  Finals sent: {}", k.finals_sent);
        let _ = writeln!(o, "  Detection time expired: {}", k.detect_expired);
    }
    let _ = writeln!(o, "BFD receive:");
    let _ = writeln!(o, "  Datagrams: {}", c.rx);
    for (r, n) in DropReason::ALL.iter().zip(c.dropped) {
        let _ = writeln!(o, "  Dropped, {r}: {n}");
    }
    let _ = writeln!(o, "  Dropped, no session: {}", c.no_session);
    let _ = writeln!(o, "  Dropped, TTL below ttl - max_hops: {}", c.ttl);
    let _ = writeln!(o, "  Dropped, too long: {}", c.truncated);
    let _ = writeln!(o, "  Dropped by the kernel: {}", c.kernel_drops);
    let _ = writeln!(o, "  Send errors: {}", c.tx_errors);
    o
}

/// The sessions in the JSON state (the JSON file and `--status`): one
/// `{"bfd_instance":{...}}` per session; intervals in microseconds, `since` in seconds since
/// the epoch.
pub fn json(views: &[View<'_>]) -> String {
    let mut o = String::from("[");
    for (k, v) in views.iter().enumerate() {
        if k > 0 {
            o.push(',');
        }
        let c = v.cfg;
        let s = v.session;
        let n = s.counters();
        let (rdiag, rtx, rrx, rmult) = s.remote_values();
        let opt = |a: Option<String>| a.map_or("null".to_string(), |a| js(&a));
        let since = v
            .since
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let _ = write!(
            o,
            concat!(
                "{{\"bfd_instance\":{{\"name\":{},\"state\":{},\"since\":{:.6},",
                "\"neighbor\":{},\"source\":{},\"local\":{},\"multihop\":{},",
                "\"local_discr\":{},\"remote_discr\":{},\"remote_state\":{},",
                "\"local_diag\":{},\"remote_diag\":{},\"passive\":{},",
                "\"min_tx_us\":{},\"min_rx_us\":{},\"idle_tx_us\":{},\"multiplier\":{},",
                "\"remote_min_tx_us\":{},\"remote_min_rx_us\":{},\"remote_multiplier\":{},",
                "\"tx_interval_us\":{},\"detection_time_us\":{},\"poll\":{},",
                "\"packets_in\":{},\"packets_out\":{},\"wrong_discr\":{},",
                "\"rx_admin_down\":{},\"polls_started\":{},\"polls_completed\":{},",
                "\"finals_sent\":{},\"detect_expired\":{}}}}}"
            ),
            js(&c.name),
            js(&s.state().to_string()),
            since,
            js(&c.neighbor.to_string()),
            opt(c.source.map(|a| a.to_string())),
            opt(v.local.map(|a| a.to_string())),
            c.multihop,
            s.params().local_discr,
            s.remote_discr(),
            js(&s.remote_state().to_string()),
            js(&s.local_diag().to_string()),
            js(&rdiag.to_string()),
            s.params().passive,
            us(s.params().min_tx),
            us(s.params().min_rx),
            us(s.params().idle_tx),
            s.params().detect_mult,
            us(rtx),
            us(rrx),
            rmult,
            s.tx_interval()
                .map_or("null".to_string(), |t| us(t).to_string()),
            us(s.detection_time()),
            s.poll_active(),
            n.rx,
            n.tx,
            n.rx_wrong_discr,
            n.rx_admin_down,
            n.polls_started,
            n.polls_completed,
            n.finals_sent,
            n.detect_expired,
        );
    }
    o.push(']');
    o
}
