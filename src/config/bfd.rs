//! BFD: bfd_instance.
//!
//! Placeholder until this section's model lands: its top-level keywords are recognised (so they are
//! not reported as unknown) and a note says they are not modelled yet.

use super::Config;
use super::dump::Writer;
use super::source::Diagnostics;
use super::tree::Node;

/// The top-level keywords this section owns.
pub const TOP: &[&str] = &["bfd_instance"];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bfd {}

impl Bfd {
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
