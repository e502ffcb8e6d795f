//! keepalived-rs: keepalived (VRRP, BFD, health checkers, IPVS) as one single-threaded daemon.
//!
//! The binary is a thin `main`; everything lives here so that tests and benchmarks can drive it.
//! Map of the crate (see DESIGN.md in the project's shared folder), roughly in the order of the
//! data path. The modules form layers (`LAYERS` in `conformance/docs.rs`, which checks them): a
//! module imports only lower layers, so a pure machine never imports the reactor, [`script`],
//! [`track`] or an executor, and [`netlink`] never imports [`config`]:
//! - [`cli`]: keepalived's command line; [`logging`]: syslog, console and file logging;
//! - [`config`]: keepalived.conf -> preprocess -> pest tree -> typed model, with file:line:col
//!   errors;
//! - [`time`]: the monotonic clock; [`rng`]: the deterministic RNG handed to machines;
//! - [`wire`]: pure codecs for VRRP, BFD, IPv4/IPv6 headers, ARP and neighbour advertisements,
//!   DBus messages;
//! - [`netlink`]: netlink in kernel terms: the bytes, one request tracker for every netlink
//!   family (sequence numbers, "already done" errors, ENOBUFS), asynchronous rtnetlink
//!   (addresses, routes, rules, links), the link and address monitor, and nf_tables batches;
//! - [`vrrp`]: the VRRP instance and sync-group state machines (pure), receive validation,
//!   advert translation and building, counters;
//! - [`bfd`]: the BFD session state machine (pure);
//! - [`mail`]: the e-mail alerts (pure): the SMTP client's session, keepalived's messages, the
//!   bounded queue;
//! - [`sys`]: the few `unsafe` libc wrappers (raw IP, UDP and packet sockets, files written
//!   safely, inotify, the process connector);
//! - [`reactor`]: the one `mio` event loop, its timer wheel, signals and child processes, and
//!   the plumbing every executor shares: reusable slots with generations ([`reactor::slots`]), a
//!   slot's armed timer ([`reactor::armed`]), reload by stable identity ([`reactor::reload`]),
//!   the connections of the small servers with their deadlines ([`reactor::conns`]);
//! - [`ipvs`]: IPVS over generic netlink: the table in kernel terms and its codec (pure);
//! - [`script`]: scripts for every subsystem (whom they run as, the script-security check before
//!   each run, started through the reactor in their own process group) and notify FIFOs;
//! - [`track`]: scripts, files, processes and BFD sessions tracked for an owner: the pure
//!   rise/fall, weight and quorum logic, and the runtime (inotify, process connector, script runs);
//! - [`executor`]: each subsystem's machines run against the world: [`executor::vrrp`] (raw
//!   sockets, VIPs, GARP/NA, VMACs), [`executor::bfd`] (UDP sessions), the checkers and IPVS,
//!   [`executor::mail`] (the SMTP connection of the e-mail alerts);
//! - [`daemon`]: the process lifecycle (start-up, shutdown) and the dispatcher the loop drives,
//!   over subsystems of one shape with one queue of events between them; [`pidfile`]: the
//!   locked pid file; [`status`]: the `--status` socket; [`metrics`]: the Prometheus
//!   metrics listener (`metrics_listen`); [`genhash`]: the `-T` mode (the MD5
//!   of a url's body).

pub mod bfd;
pub mod check;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod executor;
pub mod genhash;
pub mod ipvs;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod netlink;
pub mod pidfile;
pub mod reactor;
pub mod rng;
pub mod script;
pub mod snmp;
pub mod status;
pub mod sys;
pub mod time;
pub mod track;
pub mod vrrp;
pub mod wire;
