//! rtnetlink, asynchronously: VIPs, routes and rules out ([`Rtnl`]), link and address changes in
//! ([`Monitor`]). Two `NETLINK_ROUTE` sockets, as keepalived has (a command channel and a
//! monitor), both non-blocking and registered with the one event loop.
//!
//! # Call order
//! 1. `Rtnl::new()` and `Monitor::new()` in the network namespace the daemon runs in (a
//!    socket belongs to the namespace of the thread that opened it).
//! 2. Register both fds with the reactor for `READABLE`: `core.register_fd(&rtnl, ..)`, same for
//!    the monitor (both are `AsRawFd`). mio is edge-triggered: every readable wake must drain,
//!    which `recv` does (until `WouldBlock`, retrying `EINTR`).
//! 3. `monitor.start_dump()`; the monitor reports every link and address it learns, then
//!    [`Event::Synced`]; from then on its link table resolves interface names
//!    ([`MonitorNames`]). Before that, [`SysNames`] (`if_nametoindex`) does.
//! 4. `rtnl.change(Op::Add, &addr, what, tag)` (and the other requests) return a [`Seq`] at
//!    once; the answer comes later from `rtnl.recv()` as a [`Reply`] with the same `Seq`, the
//!    caller's `tag` and an [`Outcome`]. Nothing ever waits for the kernel: a request is one
//!    `send(2)`. The requests are in kernel terms ([`Addr`], [`RouteMsg`], [`RuleMsg`],
//!    [`NewMacvlan`]): nothing here knows the configuration (the VRRP executor converts its
//!    lines in `crate::executor::vrrp::kernel_terms`).
//!
//! The [`Tracker`] numbers the requests and matches the answers; it knows no protocol family,
//! so that the generic netlink client (IPVS) shares it.
//!
//! # What counts as done
//! As keepalived: `EEXIST` for an add, `EADDRNOTAVAIL` for an address delete, `ESRCH` for a route
//! delete and `ENOENT` for a rule delete are the state we wanted already; they are logged at
//! debug and answered [`Outcome::AlreadyDone`] (which callers treat as done). keepalived logs
//! `EEXIST` on a rule add as an error; we send rule adds with `NLM_F_EXCL` (a duplicate is
//! refused, not added twice) and treat the refusal as done, like addresses and routes. Other
//! errors are logged at warning with the kernel's extended-ack text when there is one and
//! answered [`Outcome::Failed`]. A receive overrun (`ENOBUFS`) on the command socket answers
//! every pending request [`Outcome::Lost`] (reported with `ENOBUFS`): the outcome is unknown.
//!
//! # What is sent
//! - Addresses: family, prefix length, scope, `IFA_LOCAL`, `IFA_ADDRESS` (the peer when given),
//!   `brd` (address, `+`, `-`), `label`, the flags `home`, `mngtmpaddr`, `noprefixroute`,
//!   `autojoin`, `IFA_F_NODAD` on IPv6 unless `-nodad`, and the IPv6 `preferred_lft` (keepalived's
//!   default 0 for a /128). `dev` is the caller's `ifindex` (a VIP's interface depends on the
//!   instance: its interface or VMAC). `use_vmac`, `track_group` and `no_track` are the
//!   daemon's business, not the kernel's.
//! - Routes: family, type, destination, `src`, `from`, `via` (`RTA_VIA` for a gateway of the
//!   other family), `dev`, `table`, `metric`, `scope`, `protocol`, `tos`/`dsfield`, `onlink`,
//!   `pref`, `expires` (IPv6), the metrics `mtu`, `window`, `ssthresh`, `cwnd`, `advmss`,
//!   `reordering`, `hoplimit`, `initcwnd`, `initrwnd`, `quickack`, `fastopen_no_cookie` (with
//!   `lock`), and `nexthop` lists with `via`, `dev`, `weight`, `onlink`.
//!   **Not sent yet** (logged at warning when a route has them): `or`, `realms`, `rtt`, `rttvar`,
//!   `rto_min`, `features`, `congctl`, `ttl-propagate`, `vrf`, `encap`, and nexthop
//!   `realms`/`encap`.
//! - Rules: family, `not`, `from`, `to`, `preference`, `table` (or `lookup`), `goto`, `nop`,
//!   `blackhole`, `prohibit`, `unreachable`, `l3mdev`, `iif`, `oif`, `fwmark[/mask]`, `tos`,
//!   `protocol` (`keepalived` for tracked rules), `suppress_prefixlength`, numeric
//!   `suppress_ifgroup`, `uidrange`, `ipproto`, `sport`, `dport`. **Not sent yet**: `realms`,
//!   `tunnel-id`, a `suppress_ifgroup` given by name.
//! - Links (VMACs): `RTM_NEWLINK` creating a macvlan (`IFLA_LINKINFO` kind `macvlan`, mode,
//!   `IFLA_LINK` parent, `IFLA_ADDRESS`, `IFLA_IFNAME`, `IFLA_GROUP`) with `NLM_F_EXCL`, whose
//!   `EEXIST` is an error (the name is somebody else's); setting a link up; `RTM_DELLINK`, whose
//!   `ENODEV` counts as done. The monitor reads each link's parent, kind, macvlan mode, group.
//!   `use_ipvlan`: the same with kind `ipvlan` (mode L2, flags bridge/private/vepa, no MAC).
//! - One query ([`route::route_get`]): the route the kernel would use to a unicast peer
//!   (`RTM_GETROUTE`), answered within the `send(2)` (see there).
//! - Table and protocol names resolve through [`RtNames`] (numbers, iproute2's built-in names,
//!   `rt_tables`/`rt_protos`); an unknown name is an [`EncodeError`] before anything is sent.
//!
//! # nftables
//! [`nft`] encodes nf_tables batches (tables, chains, sets, elements, rules) and applies one at a
//! time on a `NETLINK_NETFILTER` socket: the kernel applies a batch inside `send(2)` and queues
//! its answers there, so they are read at once without waiting (accept mode's drop rules).
//!
//! # Why neli for the socket only
//! neli opens, binds, subscribes and sends on the sockets ([`neli::socket::NlSocket`]). Messages
//! are written and read here ([`wire`]): neli's derived decoders compute `nl_len - 16` without a
//! check (a panic in debug builds on a short message, and the daemon must never panic on input),
//! some of its attribute enums (`RTA_PREF`, `RTA_VIA`, ...) exist only on glibc targets (OpenWrt
//! is musl), and its builders allocate per attribute. Receiving goes through
//! [`crate::sys::netlink_recv`], which, unlike neli's `recv`, returns the sender, so that only
//! the kernel's messages are read.

pub mod monitor;
pub mod names;
pub mod nft;
pub mod request;
pub mod route;
pub mod rtnl;
pub mod tracker;
pub mod wire;

pub use monitor::{Event, HwAddr, Link, Monitor, MonitorNames, MonitorStats};
pub use names::{Resolve, RtNames, SysNames};
pub use request::{Addr, EncodeError, NewIpvlan, NewMacvlan, NextHop, RouteMsg, RuleMsg};
pub use rtnl::{Object, RequestError, Rtnl, RtnlStats};
pub use tracker::{Kind, Outcome, Reply, Seq, Tracker, TrackerStats};

use std::io;
use std::os::fd::RawFd;

/// A command socket of `family`: non-blocking, close-on-exec, no multicast groups, in the
/// calling thread's network namespace, with capped ACKs (the echoed request cut to its header)
/// and extended-ack text (a kernel without either still works), and a receive buffer of
/// `rcvbuf` bytes.
pub fn command_socket(
    family: neli::consts::socket::NlFamily,
    rcvbuf: usize,
) -> io::Result<neli::socket::NlSocket> {
    use std::os::fd::AsRawFd;
    let sock = neli::socket::NlSocket::connect(family, None, neli::utils::Groups::empty())?;
    sock.nonblock()?;
    let fd = sock.as_raw_fd();
    let _ = crate::sys::netlink_setsockopt(fd, wire::NETLINK_CAP_ACK, 1);
    let _ = crate::sys::netlink_setsockopt(fd, wire::NETLINK_EXT_ACK, 1);
    let _ = crate::sys::set_rcvbuf(fd, rcvbuf);
    Ok(sock)
}

/// One thing [`drain`] read.
pub(crate) enum Rx<'a> {
    /// A datagram from the kernel; `truncated`: it was longer than the buffer, the rest is lost.
    Datagram { bytes: &'a [u8], truncated: bool },
    /// A datagram from a sender other than the kernel (to drop).
    Foreign,
    /// `ENOBUFS`: the kernel dropped messages for this socket.
    Overrun,
}

/// Reads datagrams from `fd` into `rx` until it would block (`EINTR` is retried below), handing
/// each to `f`. Another receive error is logged and ends the drain.
pub(crate) fn drain(fd: RawFd, rx: &mut [u8], who: &str, mut f: impl FnMut(Rx<'_>)) {
    loop {
        match crate::sys::netlink_recv(fd, rx) {
            Ok(d) if d.sender != 0 => f(Rx::Foreign),
            Ok(d) => f(Rx::Datagram {
                bytes: &rx[..d.len],
                truncated: d.truncated,
            }),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => f(Rx::Overrun),
            Err(e) => {
                log::error!("{who}: receive failed: {e}");
                return;
            }
        }
    }
}
