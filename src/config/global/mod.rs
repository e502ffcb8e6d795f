//! global_defs.
//!
//! Placeholder until this section's model lands: its top-level keywords are recognised (so they are
//! not reported as unknown) and a note says they are not modelled yet.

pub mod read;

use crate::config::Config;
use crate::config::dump::Writer;
use crate::config::source::Diagnostics;
use crate::config::tree::Node;

/// The top-level keywords this section owns.
pub const TOP: &[&str] = &["global_defs"];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Global {}

impl Global {
    pub fn parse_top(&mut self, node: &Node, d: &mut Diagnostics) {
        d.note(
            node.loc,
            format!(
                "`{}` is not modelled yet by keepalived-rs; ignored",
                node.keyword()
            ),
        );
    }

    pub fn check(&self, _cfg: &Config, _d: &mut Diagnostics) {}

    pub fn dump(&self, _w: &mut Writer) {}
}
