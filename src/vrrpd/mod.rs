//! The VRRP side of the daemon: configured instances become [`crate::vrrp::Instance`] machines,
//! their adverts go through raw sockets, their actions through rtnetlink and AF_PACKET.

pub mod params;
