//! IPVS, the kernel's load balancer, driven over generic netlink.
//!
//! - [`model`]: the table in kernel terms (services, destinations, sync daemons, timeouts);
//! - [`codec`]: requests and replies as bytes, written by hand (pure);
//! - [`desired`]: the table the configuration asks for (pure);
//! - [`reconcile`]: desired table against dumped table, to the operations that make them agree
//!   (pure).
//!
//! Next (issue 13): the client on the loop (family resolution, pipelined requests matched by
//! sequence number through the netlink request tracker), the desired table built from the
//! configuration.

pub mod client;
pub mod codec;
pub mod desired;
pub mod model;
pub mod reconcile;
