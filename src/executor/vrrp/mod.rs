//! The VRRP side of the daemon: configured instances become [`crate::vrrp::Instance`] machines,
//! their adverts go through raw sockets, their actions through rtnetlink and AF_PACKET
//! ([`run`]); [`params`] turns the configuration into what those need, [`kernel_terms`] its
//! addresses, routes and rules into what the rtnetlink client sends; [`nft`] makes `no_accept`
//! masters drop traffic to their addresses (nftables).

pub mod dump;
pub mod kernel_terms;
pub mod loglimit;
pub mod nft;
pub mod notify;
pub mod params;
pub mod run;
pub mod vmac;

pub use run::{VrrpExecutor, VrrpKey};
