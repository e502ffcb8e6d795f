//! The executors: each runs the pure machines of one subsystem against the world (sockets,
//! timers, kernel requests, scripts) through the reactor, with the shared plumbing of
//! [`crate::reactor`] (slots with generations, armed timers, reload by identity).
//!
//! - [`vrrp`]: VRRP instances (raw IP sockets, VIPs and routes over rtnetlink, GARP/NA, VMACs);
//! - [`bfd`]: BFD sessions (UDP sockets, discriminators, GTSM);
//! - [`mail`]: the e-mail alerts (one SMTP connection at a time, a bounded queue).
//!
//! The health checkers and the IPVS reconciler will be executors here too (`check`, `ipvs`),
//! their pure parts beside [`crate::vrrp`] and [`crate::bfd`].

pub mod bfd;
pub mod check;
pub mod ipvs;
pub mod mail;
pub mod snmp;
pub mod vrrp;
