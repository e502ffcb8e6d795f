//! SNMP as an AgentX subagent (RFC 2741), pure: [`agentx`] (the PDUs and their bytes) and
//! [`mib`] (the objects served, built from plain rows, and the answers to Get, GetNext and
//! GetBulk). The connection to the master agent lives in [`crate::executor::snmp`].

pub mod agentx;
pub mod mib;
