//! Fault suite: links on a real kernel.

mod common;
