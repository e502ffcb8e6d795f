//! keepalived-rs: keepalived (VRRP, BFD, health checkers, IPVS) as one single-threaded daemon.
//!
//! The binary is a thin `main`; everything lives here so that tests and benchmarks can drive it.
//! Map of the crate (see DESIGN.md in the project's shared folder):
//! - [`cli`]: keepalived's command line;
//! - [`reactor`]: the one `mio` event loop, its timer wheel, signals and child processes;
//! - [`daemon`]: start-up, the loop's handler, shutdown; [`pidfile`]: the locked pid file;
//! - [`rng`]: the deterministic RNG handed to machines;
//! - [`logging`]: syslog, console and file logging; [`time`]: the monotonic clock;
//! - [`netlink`]: rtnetlink requests (VIPs, routes, rules) and the link/address monitor;
//! - [`sys`]: the few `unsafe` libc wrappers.

pub mod cli;
pub mod config;
pub mod daemon;
pub mod logging;
pub mod netlink;
pub mod pidfile;
pub mod reactor;
pub mod rng;
pub mod sys;
pub mod time;
