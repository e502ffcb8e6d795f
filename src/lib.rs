//! keepalived-rs: keepalived (VRRP, BFD, health checkers, IPVS) as one single-threaded daemon.
//!
//! The binary is a thin `main`; everything lives here so that tests and benchmarks can drive it.
//! Map of the crate (see DESIGN.md in the project's shared folder):
//! - [`cli`]: keepalived's command line;
//! - [`reactor`]: the one `mio` event loop, its timer wheel, signals and child processes, and
//!   the plumbing every executor shares: reusable slots with generations ([`reactor::slots`]), a
//!   slot's armed timer ([`reactor::armed`]), reload by stable identity ([`reactor::reload`]);
//! - [`daemon`]: the process lifecycle (start-up, shutdown) and the dispatcher the loop drives,
//!   over subsystems of one shape with one queue of events between them; [`pidfile`]: the
//!   locked pid file;
//! - [`bfd`]: the BFD session state machine (pure); [`bfdd`]: the BFD side of the daemon (UDP
//!   sockets, session lookup, GTSM, events to VRRP);
//! - [`rng`]: the deterministic RNG handed to machines;
//! - [`script`]: scripts for every subsystem (whom they run as, the script-security check before
//!   each run, started through the reactor in their own process group) and notify FIFOs;
//! - [`vrrp`]: the VRRP instance state machine (pure), receive validation, counters;
//! - [`logging`]: syslog, console and file logging; [`time`]: the monotonic clock;
//! - [`track`]: scripts, files, processes and BFD sessions tracked for an owner: the pure
//!   rise/fall, weight and quorum logic, and the runtime (inotify, process connector, script runs);
//! - [`sys`]: the few `unsafe` libc wrappers;
//! - [`wire`]: pure codecs for VRRP, BFD, IPv4/IPv6 headers, ARP and neighbour advertisements;
//! - [`vrrpd`]: the VRRP side of the daemon (sockets, kernel state, GARP/NA around the machines);
//! - [`netlink`]: asynchronous rtnetlink (addresses, routes, rules, the link monitor).

pub mod bfd;
pub mod bfdd;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod logging;
pub mod netlink;
pub mod pidfile;
pub mod reactor;
pub mod rng;
pub mod script;
pub mod status;
pub mod sys;
pub mod time;
pub mod track;
pub mod vrrp;
pub mod vrrpd;
pub mod wire;
