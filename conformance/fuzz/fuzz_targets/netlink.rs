//! Fuzzes the rtnetlink decoders (`src/netlink/wire.rs`) and the link/address monitor's handling
//! of what they decode: any datagram must give messages or a malformed count, never a panic.
//! The first byte chooses whether a dump is running (sequence 1, then 2 for the addresses), so
//! that `NLMSG_DONE`, `NLMSG_ERROR` and `NLM_F_DUMP_INTR` take their dump paths; the rest is one
//! datagram as the kernel would deliver it.
//!
//! The monitor is a fresh one per input (its own `NETLINK_ROUTE` socket: no state carries over
//! between inputs); only a running dump sends anything (an `RTM_GETLINK`/`RTM_GETADDR` dump
//! request whose answers are never read).
#![no_main]

use keepalived_rs::netlink::wire::{self, Messages};
use keepalived_rs::netlink::{Event, Monitor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, datagram)) = data.split_first() else {
        return;
    };
    if datagram.len() > 64 * 1024 {
        return; // the monitor's receive buffer
    }
    // The decoders alone, on every message whatever its type.
    for m in Messages::new(datagram) {
        let Ok(m) = m else { break };
        assert!(m.payload.len() <= datagram.len());
        let _ = wire::parse_error(&m);
        if let Ok(l) = wire::parse_link(m.payload) {
            assert!(l.hwaddr.as_ref().is_none_or(|h| h.len() <= 32));
        }
        if let Ok(a) = wire::parse_addr(m.payload) {
            let _ = a.addr();
        }
    }
    // The monitor on the same datagram.
    let mut monitor = Monitor::new().expect("a NETLINK_ROUTE socket");
    if mode & 1 != 0 {
        monitor.start_dump().expect("dump request");
    }
    let mut out = Vec::new();
    monitor.handle_datagram(datagram, &mut out);
    // The last event about a link agrees with the link table.
    let mut last = std::collections::BTreeMap::new();
    for e in &out {
        match e {
            Event::LinkChange { ifindex, .. } => last.insert(*ifindex, true),
            Event::LinkRemoved { ifindex, .. } => last.insert(*ifindex, false),
            _ => None,
        };
    }
    for (ifindex, present) in last {
        assert_eq!(
            monitor.link_by_index(ifindex).is_some(),
            present,
            "link {ifindex}"
        );
    }
    // A message takes at least its 16-byte header.
    assert!(monitor.stats().messages <= datagram.len() as u64 / 16);
});
