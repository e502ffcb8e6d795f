//! nf_tables over netlink (`NETLINK_NETFILTER`): a batch encoder (pure) and a small client that
//! applies one batch at a time.
//!
//! ```text
//!  batch (one datagram): BATCH_BEGIN | message | message | ... | BATCH_END
//!  every message: nlmsghdr (type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_*) | nfgenmsg | attributes
//!  nfgenmsg: | family u8 (NFPROTO_*) | version u8 (0) | res_id be16 (batch: NFNL_SUBSYS_NFTABLES) |
//! ```
//!
//! # Invariants
//! - The encoder is pure: [`Batch`] writes messages into its own buffer, numbers them from the
//!   caller's first sequence number and remembers what each one was (for the log). Every
//!   integer attribute of nf_tables is big-endian (the kernel reads them with `ntohl`); set keys
//!   are raw bytes (addresses in network order, interface indexes in host order, as
//!   `meta iif` loads them). Nested attributes carry `NLA_F_NESTED`.
//! - A batch is one transaction: the kernel applies all of it or none of it. Its answers (one
//!   ACK or error per message, every message asks for one) are queued on the socket while
//!   `send(2)` runs, so [`Nft::apply`] reads them right after the send without blocking (the
//!   socket is non-blocking); nothing is left pending between two calls.
//! - Nothing here knows the configuration or keepalived's ruleset: the VRRP executor decides
//!   which tables, chains, sets and rules to send (`crate::executor::vrrp::nft`).
//!
//! The constants are the kernel's ABI (`linux/netfilter/nf_tables.h`, `nfnetlink.h`,
//! `netfilter.h`), and the set key types are nft's (`include/datatype.h`), which `nft list`
//! uses to print the elements.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use neli::consts::socket::{Msg as SendFlags, NlFamily};
use neli::socket::NlSocket;

use super::wire::{self, Emitter, Messages, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_REQUEST};

pub const NFNL_SUBSYS_NFTABLES: u16 = 10;
pub const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
pub const NFNL_MSG_BATCH_END: u16 = 0x11;

pub const NFT_MSG_NEWTABLE: u16 = 0;
pub const NFT_MSG_DELTABLE: u16 = 2;
pub const NFT_MSG_NEWCHAIN: u16 = 3;
pub const NFT_MSG_NEWRULE: u16 = 6;
pub const NFT_MSG_NEWSET: u16 = 9;
pub const NFT_MSG_NEWSETELEM: u16 = 12;
pub const NFT_MSG_DELSETELEM: u16 = 14;

pub const NFPROTO_IPV4: u8 = 2;
pub const NFPROTO_IPV6: u8 = 10;

/// `NF_INET_LOCAL_IN`, `NF_INET_LOCAL_OUT`.
pub const HOOK_INPUT: u32 = 1;
pub const HOOK_OUTPUT: u32 = 3;

pub const NLA_F_NESTED: u16 = 0x8000;

const NFTA_TABLE_NAME: u16 = 1;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_HOOK: u16 = 4;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_CHAIN_TYPE: u16 = 7;
const NFTA_HOOK_HOOKNUM: u16 = 1;
const NFTA_HOOK_PRIORITY: u16 = 2;
const NFTA_SET_TABLE: u16 = 1;
const NFTA_SET_NAME: u16 = 2;
const NFTA_SET_FLAGS: u16 = 3;
const NFTA_SET_KEY_TYPE: u16 = 4;
const NFTA_SET_KEY_LEN: u16 = 5;
const NFTA_SET_ID: u16 = 10;
const NFTA_SET_ELEM_LIST_TABLE: u16 = 1;
const NFTA_SET_ELEM_LIST_SET: u16 = 2;
const NFTA_SET_ELEM_LIST_ELEMENTS: u16 = 3;
const NFTA_SET_ELEM_KEY: u16 = 1;
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_DATA_VALUE: u16 = 1;
const NFTA_DATA_VERDICT: u16 = 2;
const NFTA_VERDICT_CODE: u16 = 1;
const NFTA_VERDICT_CHAIN: u16 = 2;
const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;

/// `NFT_SET_CONSTANT`.
pub const SET_CONSTANT: u32 = 0x2;
/// nft's data types (`include/datatype.h`), 6 bits each in a concatenation.
pub const TYPE_IPADDR: u32 = 7;
pub const TYPE_IP6ADDR: u32 = 8;
pub const TYPE_IFINDEX: u32 = 20;
pub const TYPE_ICMPV6_TYPE: u32 = 29;
pub const TYPE_BITS: u32 = 6;

/// `NFT_PAYLOAD_NETWORK_HEADER`, `NFT_PAYLOAD_TRANSPORT_HEADER`.
pub const NETWORK_HEADER: u32 = 1;
pub const TRANSPORT_HEADER: u32 = 2;
/// `NFT_META_IIF`, `NFT_META_OIF`.
pub const META_IIF: u32 = 4;
pub const META_OIF: u32 = 5;
/// `NFT_REG_1`, `NFT_REG_2` (16 bytes each: a 16-byte address in 1 is followed by 2, so a
/// lookup of 20 bytes from 1 reads the address and then an interface index loaded into 2).
pub const REG_1: u32 = 1;
pub const REG_2: u32 = 2;
const REG_VERDICT: u32 = 0;
const NF_DROP: u32 = 0;
const NF_ACCEPT: u32 = 1;
/// `NFT_GOTO` (-4).
const NFT_GOTO: u32 = 0xffff_fffc;

/// An nf_tables table: its family (`NFPROTO_*`) and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table<'a> {
    pub family: u8,
    pub name: &'a str,
}

/// What a rule ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict<'a> {
    Accept,
    Drop,
    Goto(&'a str),
}

/// One expression of a rule (the few keepalived's rules use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expr<'a> {
    /// `len` bytes at `offset` of header `base` into `dreg`.
    Payload {
        base: u32,
        offset: u32,
        len: u32,
        dreg: u32,
    },
    /// `NFT_META_*` `key` into `dreg`.
    Meta {
        key: u32,
        dreg: u32,
    },
    /// `reg == data`.
    CmpEq {
        sreg: u32,
        data: &'a [u8],
    },
    /// `reg = (reg & mask) ^ xor` (`mask` and `xor` of one length).
    Bitwise {
        reg: u32,
        mask: &'a [u8],
        xor: &'a [u8],
    },
    /// The key in `sreg` is in set `set`.
    Lookup {
        set: &'a str,
        sreg: u32,
    },
    /// Count packets and bytes.
    Counter,
    Verdict(Verdict<'a>),
}

/// A set: its name, nft key type, key length in bytes, `NFT_SET_*` flags and its id in the
/// batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Set<'a> {
    pub name: &'a str,
    pub key_type: u32,
    pub key_len: u32,
    pub flags: u32,
    pub id: u32,
}

/// One transaction under construction. Each message asks for an ACK; [`Batch::what`] says what
/// each sequence number was.
#[derive(Debug)]
pub struct Batch {
    buf: Vec<u8>,
    scratch: Vec<u8>,
    next: u32,
    /// The messages (sequence number, what it does), without the begin and end markers.
    what: Vec<(u32, &'static str)>,
    too_long: bool,
}

impl Batch {
    /// Starts a batch whose first message (the begin marker) has sequence number `seq`.
    pub fn new(seq: u32) -> Batch {
        let mut b = Batch {
            buf: Vec::with_capacity(1024),
            scratch: Vec::with_capacity(256),
            next: seq,
            what: Vec::new(),
            too_long: false,
        };
        b.marker(NFNL_MSG_BATCH_BEGIN);
        b
    }

    /// The batch's messages so far (begin and end markers excluded).
    pub fn len(&self) -> usize {
        self.what.len()
    }

    pub fn is_empty(&self) -> bool {
        self.what.is_empty()
    }

    /// The sequence number the next batch may start with.
    pub fn next_seq(&self) -> u32 {
        self.next
    }

    /// What the message with sequence number `seq` did.
    pub fn what(&self, seq: u32) -> Option<&'static str> {
        self.what.iter().find(|(s, _)| *s == seq).map(|(_, w)| *w)
    }

    /// The sequence numbers of the messages, in order.
    pub fn seqs(&self) -> impl Iterator<Item = u32> + '_ {
        self.what.iter().map(|(s, _)| *s)
    }

    fn take_seq(&mut self) -> u32 {
        let s = self.next;
        self.next = self.next.wrapping_add(1).max(1);
        s
    }

    /// `NFNL_MSG_BATCH_BEGIN` / `_END`: `AF_UNSPEC`, `res_id` = the nf_tables subsystem.
    fn marker(&mut self, ty: u16) {
        let seq = self.take_seq();
        let res = NFNL_SUBSYS_NFTABLES.to_be_bytes();
        let r = self
            .open(ty, NLM_F_REQUEST, seq, [0, 0, res[0], res[1]])
            .finish();
        self.close(r);
    }

    /// Starts message `msg` of `family` (flags beyond `NLM_F_REQUEST | NLM_F_ACK`) in the
    /// scratch buffer, with its nfgenmsg and the table name as attribute `name_attr`; the
    /// caller adds its attributes, finishes the emitter and hands the result to
    /// [`Batch::close`].
    fn start(
        &mut self,
        msg: u16,
        flags: u16,
        what: &'static str,
        t: Table<'_>,
        name_attr: u16,
    ) -> Emitter<'_> {
        let seq = self.take_seq();
        self.what.push((seq, what));
        let ty = (NFNL_SUBSYS_NFTABLES << 8) | msg;
        let mut e = self.open(
            ty,
            NLM_F_REQUEST | NLM_F_ACK | flags,
            seq,
            [t.family, 0, 0, 0],
        );
        e.attr_str(name_attr, t.name);
        e
    }

    fn open(&mut self, ty: u16, flags: u16, seq: u32, nfgenmsg: [u8; 4]) -> Emitter<'_> {
        let mut e = Emitter::new(&mut self.scratch, ty, flags, seq);
        e.fixed(&nfgenmsg);
        e
    }

    /// Appends the message the scratch buffer holds, unless it did not fit.
    fn close(&mut self, finished: Result<(), wire::TooLong>) {
        if finished.is_err() {
            self.too_long = true;
        }
        self.buf.extend_from_slice(&self.scratch);
    }

    /// `NFT_MSG_NEWTABLE` (no `NLM_F_EXCL`: an existing table is no error).
    pub fn new_table(&mut self, t: Table<'_>) {
        let r = self
            .start(
                NFT_MSG_NEWTABLE,
                NLM_F_CREATE,
                "add table",
                t,
                NFTA_TABLE_NAME,
            )
            .finish();
        self.close(r);
    }

    /// `NFT_MSG_DELTABLE`: the table with everything in it.
    pub fn del_table(&mut self, t: Table<'_>) {
        let r = self
            .start(NFT_MSG_DELTABLE, 0, "delete table", t, NFTA_TABLE_NAME)
            .finish();
        self.close(r);
    }

    /// `NFT_MSG_NEWCHAIN`: a regular chain, or with `hook` (hook number, priority) a base
    /// chain of type filter with policy accept.
    pub fn new_chain(&mut self, t: Table<'_>, name: &str, hook: Option<(u32, i32)>) {
        let mut e = self.start(
            NFT_MSG_NEWCHAIN,
            NLM_F_CREATE,
            "add chain",
            t,
            NFTA_CHAIN_TABLE,
        );
        e.attr_str(NFTA_CHAIN_NAME, name);
        if let Some((num, prio)) = hook {
            let at = e.begin_nest(NFTA_CHAIN_HOOK | NLA_F_NESTED);
            e.attr(NFTA_HOOK_HOOKNUM, &num.to_be_bytes());
            e.attr(NFTA_HOOK_PRIORITY, &prio.to_be_bytes());
            e.end_nest(at);
            e.attr(NFTA_CHAIN_POLICY, &NF_ACCEPT.to_be_bytes());
            e.attr_str(NFTA_CHAIN_TYPE, "filter");
        }
        let r = e.finish();
        self.close(r);
    }

    /// `NFT_MSG_NEWSET`.
    pub fn new_set(&mut self, t: Table<'_>, s: Set<'_>) {
        let mut e = self.start(NFT_MSG_NEWSET, NLM_F_CREATE, "add set", t, NFTA_SET_TABLE);
        e.attr_str(NFTA_SET_NAME, s.name);
        if s.flags != 0 {
            e.attr(NFTA_SET_FLAGS, &s.flags.to_be_bytes());
        }
        e.attr(NFTA_SET_KEY_TYPE, &s.key_type.to_be_bytes());
        e.attr(NFTA_SET_KEY_LEN, &s.key_len.to_be_bytes());
        e.attr(NFTA_SET_ID, &s.id.to_be_bytes());
        let r = e.finish();
        self.close(r);
    }

    /// `NFT_MSG_NEWSETELEM` (`add`, without `NLM_F_EXCL`: an element already there is no
    /// error) or `NFT_MSG_DELSETELEM` (an element not there is `ENOENT`, which aborts the
    /// batch) for the keys `keys` of set `set`.
    pub fn elements(&mut self, t: Table<'_>, set: &str, add: bool, keys: &[&[u8]]) {
        let (msg, flags, what) = if add {
            (NFT_MSG_NEWSETELEM, NLM_F_CREATE, "add elements")
        } else {
            (NFT_MSG_DELSETELEM, 0, "delete elements")
        };
        let mut e = self.start(msg, flags, what, t, NFTA_SET_ELEM_LIST_TABLE);
        e.attr_str(NFTA_SET_ELEM_LIST_SET, set);
        let list = e.begin_nest(NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED);
        for k in keys {
            let el = e.begin_nest(NFTA_LIST_ELEM | NLA_F_NESTED);
            let key = e.begin_nest(NFTA_SET_ELEM_KEY | NLA_F_NESTED);
            e.attr(NFTA_DATA_VALUE, k);
            e.end_nest(key);
            e.end_nest(el);
        }
        e.end_nest(list);
        let r = e.finish();
        self.close(r);
    }

    /// `NFT_MSG_NEWRULE`, appended to chain `chain`: the expressions `matches`, a counter
    /// (`counter`), then the verdict.
    pub fn new_rule(
        &mut self,
        t: Table<'_>,
        chain: &str,
        matches: &[Expr<'_>],
        counter: bool,
        verdict: Verdict<'_>,
    ) {
        let flags = NLM_F_CREATE | NLM_F_APPEND;
        let mut e = self.start(NFT_MSG_NEWRULE, flags, "add rule", t, NFTA_RULE_TABLE);
        e.attr_str(NFTA_RULE_CHAIN, chain);
        let list = e.begin_nest(NFTA_RULE_EXPRESSIONS | NLA_F_NESTED);
        for x in matches {
            expr(&mut e, x);
        }
        if counter {
            expr(&mut e, &Expr::Counter);
        }
        expr(&mut e, &Expr::Verdict(verdict));
        e.end_nest(list);
        let r = e.finish();
        self.close(r);
    }

    /// Ends the batch: the datagram to send, or `None` when a message or attribute did not fit
    /// its length field.
    pub fn finish(mut self) -> Option<Finished> {
        self.marker(NFNL_MSG_BATCH_END);
        if self.too_long {
            return None;
        }
        Some(Finished {
            bytes: self.buf,
            what: self.what,
            next: self.next,
        })
    }
}

/// A batch ready to send.
#[derive(Debug)]
pub struct Finished {
    /// The datagram.
    pub bytes: Vec<u8>,
    /// The messages (sequence number, what each does), without the markers.
    pub what: Vec<(u32, &'static str)>,
    /// The sequence number the next batch may start with.
    pub next: u32,
}

/// One `NFTA_LIST_ELEM` of a rule's expressions.
fn expr(e: &mut Emitter<'_>, x: &Expr<'_>) {
    let el = e.begin_nest(NFTA_LIST_ELEM | NLA_F_NESTED);
    let name = match x {
        Expr::Payload { .. } => "payload",
        Expr::Meta { .. } => "meta",
        Expr::CmpEq { .. } => "cmp",
        Expr::Bitwise { .. } => "bitwise",
        Expr::Lookup { .. } => "lookup",
        Expr::Counter => "counter",
        Expr::Verdict(_) => "immediate",
    };
    e.attr_str(NFTA_EXPR_NAME, name);
    if *x != Expr::Counter {
        let data = e.begin_nest(NFTA_EXPR_DATA | NLA_F_NESTED);
        let be = |v: u32| v.to_be_bytes();
        match *x {
            // NFTA_PAYLOAD_DREG, BASE, OFFSET, LEN.
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                e.attr(1, &be(dreg));
                e.attr(2, &be(base));
                e.attr(3, &be(offset));
                e.attr(4, &be(len));
            }
            // NFTA_META_DREG, KEY.
            Expr::Meta { key, dreg } => {
                e.attr(1, &be(dreg));
                e.attr(2, &be(key));
            }
            // NFTA_CMP_SREG, OP (NFT_CMP_EQ), DATA.
            Expr::CmpEq { sreg, data } => {
                e.attr(1, &be(sreg));
                e.attr(2, &be(0));
                value(e, 3, data);
            }
            // NFTA_BITWISE_SREG, DREG, LEN, MASK, XOR.
            Expr::Bitwise { reg, mask, xor } => {
                e.attr(1, &be(reg));
                e.attr(2, &be(reg));
                e.attr(3, &be(mask.len() as u32));
                value(e, 4, mask);
                value(e, 5, xor);
            }
            // NFTA_LOOKUP_SET, SREG.
            Expr::Lookup { set, sreg } => {
                e.attr_str(1, set);
                e.attr(2, &be(sreg));
            }
            // NFTA_IMMEDIATE_DREG (the verdict register), DATA { VERDICT { CODE, CHAIN } }.
            Expr::Verdict(v) => {
                e.attr(1, &be(REG_VERDICT));
                let d = e.begin_nest(2 | NLA_F_NESTED);
                let vn = e.begin_nest(NFTA_DATA_VERDICT | NLA_F_NESTED);
                let (code, chain) = match v {
                    Verdict::Accept => (NF_ACCEPT, None),
                    Verdict::Drop => (NF_DROP, None),
                    Verdict::Goto(c) => (NFT_GOTO, Some(c)),
                };
                e.attr(NFTA_VERDICT_CODE, &be(code));
                if let Some(c) = chain {
                    e.attr_str(NFTA_VERDICT_CHAIN, c);
                }
                e.end_nest(vn);
                e.end_nest(d);
            }
            Expr::Counter => {}
        }
        e.end_nest(data);
    }
    e.end_nest(el);
}

/// A nested `NFTA_DATA_VALUE` holding `data`.
fn value(e: &mut Emitter<'_>, ty: u16, data: &[u8]) {
    let at = e.begin_nest(ty | NLA_F_NESTED);
    e.attr(NFTA_DATA_VALUE, data);
    e.end_nest(at);
}

/// A message of a batch the kernel refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// What the message did ([`Batch`]'s text), or the sequence number.
    pub what: &'static str,
    pub errno: i32,
    /// The kernel's extended-ack text.
    pub text: Option<String>,
}

/// Why a batch was not applied.
#[derive(Debug)]
pub enum ApplyError {
    /// A message or attribute too long for its length field (nothing was sent).
    TooLong,
    /// `send(2)` failed (nothing was applied).
    Send(io::Error),
    /// The kernel refused these messages: the whole batch was rolled back.
    Refused(Vec<Refused>),
    /// Not every message was answered (a receive overrun, or the kernel stopped at a bad
    /// batch header): whether the batch was applied is unknown.
    Unanswered(usize),
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::TooLong => f.write_str("a message is too long for netlink"),
            ApplyError::Send(e) => write!(f, "netlink send failed: {e}"),
            // The first refusal (the others often follow from it).
            ApplyError::Refused(r) => {
                let Some(x) = r.first() else { return Ok(()) };
                let err = io::Error::from_raw_os_error(x.errno);
                write!(f, "{}: {err}", x.what)?;
                if let Some(t) = &x.text {
                    write!(f, " ({t})")?;
                }
                if r.len() > 1 {
                    write!(f, ", and {} more message(s)", r.len() - 1)?;
                }
                Ok(())
            }
            ApplyError::Unanswered(n) => write!(f, "{n} message(s) unanswered (outcome unknown)"),
        }
    }
}

/// The answers to a batch's messages `what` in the datagrams read: `Ok` when every message was
/// acknowledged without an error (pure; see [`Nft::apply`]).
pub fn judge(datagrams: &[Vec<u8>], what: &[(u32, &'static str)]) -> Result<(), ApplyError> {
    let mut acked = vec![false; what.len()];
    let mut refused = Vec::new();
    for d in datagrams {
        for m in Messages::new(d) {
            let Ok(m) = m else { break };
            if m.ty != wire::NLMSG_ERROR {
                continue;
            }
            let Some(i) = what.iter().position(|(s, _)| *s == m.seq) else {
                continue;
            };
            let Ok(err) = wire::parse_error(&m) else {
                continue;
            };
            if let Some(a) = acked.get_mut(i) {
                *a = true;
            }
            if err.errno != 0 {
                refused.push(Refused {
                    what: what.get(i).map_or("", |(_, w)| *w),
                    errno: err.errno,
                    text: err.text,
                });
            }
        }
    }
    if !refused.is_empty() {
        return Err(ApplyError::Refused(refused));
    }
    match acked.iter().filter(|a| !**a).count() {
        0 => Ok(()),
        n => Err(ApplyError::Unanswered(n)),
    }
}

/// The client: one non-blocking `NETLINK_NETFILTER` socket.
pub struct Nft {
    sock: NlSocket,
    rx: Vec<u8>,
    /// The next batch's first sequence number.
    pub seq: u32,
}

impl std::fmt::Debug for Nft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nft")
            .field("fd", &self.sock.as_raw_fd())
            .finish()
    }
}

impl Nft {
    /// Opens the socket in the calling thread's network namespace.
    pub fn new() -> io::Result<Nft> {
        let sock = super::command_socket(NlFamily::Netfilter, 256 * 1024)?;
        Ok(Nft {
            sock,
            rx: vec![0; 64 * 1024],
            seq: 1,
        })
    }

    /// Sends `batch` and reads its answers, which the kernel queued while `send(2)` ran (never
    /// waits: the socket is non-blocking and what is not there is reported unanswered).
    pub fn apply(&mut self, batch: Batch) -> Result<(), ApplyError> {
        let Finished { bytes, what, next } = batch.finish().ok_or(ApplyError::TooLong)?;
        self.seq = next;
        loop {
            match self.sock.send(&bytes, SendFlags::empty()) {
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ApplyError::Send(e)),
            }
        }
        let mut got: Vec<Vec<u8>> = Vec::new();
        let mut rx = std::mem::take(&mut self.rx);
        super::drain(self.sock.as_raw_fd(), &mut rx, "nftables", |r| {
            if let super::Rx::Datagram { bytes, .. } = r {
                got.push(bytes.to_vec());
            }
        });
        self.rx = rx;
        judge(&got, &what)
    }
}

impl AsRawFd for Nft {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T4: Table<'static> = Table {
        family: NFPROTO_IPV4,
        name: "keepalived",
    };

    fn hdr(len: u32, ty: u16, flags: u16, seq: u32) -> Vec<u8> {
        let mut v = len.to_ne_bytes().to_vec();
        v.extend(ty.to_ne_bytes());
        v.extend(flags.to_ne_bytes());
        v.extend(seq.to_ne_bytes());
        v.extend(0u32.to_ne_bytes());
        v
    }

    fn attr(ty: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = ((4 + payload.len()) as u16).to_ne_bytes().to_vec();
        v.extend(ty.to_ne_bytes());
        v.extend(payload);
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
        v
    }

    fn nest(ty: u16, parts: &[Vec<u8>]) -> Vec<u8> {
        let inner: Vec<u8> = parts.concat();
        let mut v = ((4 + inner.len()) as u16).to_ne_bytes().to_vec();
        v.extend((ty | NLA_F_NESTED).to_ne_bytes());
        v.extend(inner);
        v
    }

    fn msg(ty: u16, flags: u16, seq: u32, family: u8, res: u16, attrs: &[Vec<u8>]) -> Vec<u8> {
        let body: Vec<u8> = attrs.concat();
        let mut v = hdr(20 + body.len() as u32, ty, flags, seq);
        v.extend([family, 0]);
        v.extend(res.to_be_bytes());
        v.extend(body);
        v
    }

    const REQ_ACK: u16 = NLM_F_REQUEST | NLM_F_ACK;

    fn begin_end(seq: u32, ty: u16) -> Vec<u8> {
        msg(ty, NLM_F_REQUEST, seq, 0, NFNL_SUBSYS_NFTABLES, &[])
    }

    /// `nft add table ip keepalived; delete table ip keepalived` as one batch, byte for byte
    /// (the layout `nft --debug=mnl` prints).
    #[test]
    fn table_add_and_delete() {
        let mut b = Batch::new(7);
        b.new_table(T4);
        b.del_table(T4);
        let Finished { bytes, what, next } = b.finish().unwrap();
        let name = attr(1, b"keepalived\0");
        let mut want = begin_end(7, NFNL_MSG_BATCH_BEGIN);
        // 0x0a00: NEWTABLE, 0x0a02: DELTABLE.
        want.extend(msg(
            0x0a00,
            REQ_ACK | NLM_F_CREATE,
            8,
            2,
            0,
            std::slice::from_ref(&name),
        ));
        want.extend(msg(0x0a02, REQ_ACK, 9, 2, 0, &[name]));
        want.extend(begin_end(10, NFNL_MSG_BATCH_END));
        assert_eq!(bytes, want);
        assert_eq!(what, vec![(8, "add table"), (9, "delete table")]);
        assert_eq!(next, 11);
        // The begin marker: 20 bytes, type 16, res_id 10 big-endian.
        assert_eq!(
            &want[..20],
            &[
                20, 0, 0, 0, 16, 0, 1, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10
            ]
        );
    }

    #[test]
    fn base_chain_and_set() {
        let mut b = Batch::new(1);
        b.new_chain(T4, "in", Some((HOOK_INPUT, -1)));
        b.new_chain(T4, "in_link_local", None);
        b.new_set(
            T4,
            Set {
                name: "vips",
                key_type: TYPE_IPADDR,
                key_len: 4,
                flags: 0,
                id: 1,
            },
        );
        let bytes = b.finish().unwrap().bytes;
        let table = attr(1, b"keepalived\0");
        let mut want = begin_end(1, NFNL_MSG_BATCH_BEGIN);
        want.extend(msg(
            0x0a03,
            REQ_ACK | NLM_F_CREATE,
            2,
            2,
            0,
            &[
                table.clone(),
                attr(3, b"in\0"),
                nest(
                    4,
                    &[attr(1, &[0, 0, 0, 1]), attr(2, &[0xff, 0xff, 0xff, 0xff])],
                ),
                attr(5, &[0, 0, 0, 1]),
                attr(7, b"filter\0"),
            ],
        ));
        want.extend(msg(
            0x0a03,
            REQ_ACK | NLM_F_CREATE,
            3,
            2,
            0,
            &[table.clone(), attr(3, b"in_link_local\0")],
        ));
        want.extend(msg(
            0x0a09,
            REQ_ACK | NLM_F_CREATE,
            4,
            2,
            0,
            &[
                table,
                attr(2, b"vips\0"),
                attr(4, &[0, 0, 0, 7]),
                attr(5, &[0, 0, 0, 4]),
                attr(10, &[0, 0, 0, 1]),
            ],
        ));
        want.extend(begin_end(5, NFNL_MSG_BATCH_END));
        assert_eq!(bytes, want);
    }

    /// `ip daddr @vips counter drop` and `ip6 daddr fe80::/10 goto in_link_local`, as keepalived
    /// 2.2.7 sends them (`nft --debug=netlink list ruleset` shows the same expressions).
    #[test]
    fn rules() {
        let mut b = Batch::new(1);
        b.new_rule(
            T4,
            "in",
            &[
                Expr::Payload {
                    base: NETWORK_HEADER,
                    offset: 16,
                    len: 4,
                    dreg: REG_1,
                },
                Expr::Lookup {
                    set: "vips",
                    sreg: REG_1,
                },
            ],
            true,
            Verdict::Drop,
        );
        let mask = [0xff, 0xc0, 0, 0];
        b.new_rule(
            T4,
            "in",
            &[
                Expr::Bitwise {
                    reg: REG_1,
                    mask: &mask,
                    xor: &[0; 4],
                },
                Expr::CmpEq {
                    sreg: REG_1,
                    data: &[0xfe, 0x80, 0, 0],
                },
            ],
            false,
            Verdict::Goto("in_ll"),
        );
        let bytes = b.finish().unwrap().bytes;
        let be = |v: u32| v.to_be_bytes().to_vec();
        let el = |name: &[u8], data: Option<Vec<u8>>| {
            let mut parts = vec![attr(1, name)];
            if let Some(d) = data {
                let mut n = ((4 + d.len()) as u16).to_ne_bytes().to_vec();
                n.extend((2 | NLA_F_NESTED).to_ne_bytes());
                n.extend(d);
                parts.push(n);
            }
            nest(1, &parts)
        };
        let payload = el(
            b"payload\0",
            Some(
                [
                    attr(1, &be(1)),
                    attr(2, &be(1)),
                    attr(3, &be(16)),
                    attr(4, &be(4)),
                ]
                .concat(),
            ),
        );
        let lookup = el(
            b"lookup\0",
            Some([attr(1, b"vips\0"), attr(2, &be(1))].concat()),
        );
        let counter = el(b"counter\0", None);
        let drop = el(
            b"immediate\0",
            Some([attr(1, &be(0)), nest(2, &[nest(2, &[attr(1, &be(0))])])].concat()),
        );
        let table = attr(1, b"keepalived\0");
        let chain = attr(2, b"in\0");
        let flags = REQ_ACK | NLM_F_CREATE | NLM_F_APPEND;
        let mut want = begin_end(1, NFNL_MSG_BATCH_BEGIN);
        want.extend(msg(
            0x0a06,
            flags,
            2,
            2,
            0,
            &[
                table.clone(),
                chain.clone(),
                nest(4, &[payload, lookup, counter, drop]),
            ],
        ));
        let bitwise = el(
            b"bitwise\0",
            Some(
                [
                    attr(1, &be(1)),
                    attr(2, &be(1)),
                    attr(3, &be(4)),
                    nest(4, &[attr(1, &mask)]),
                    nest(5, &[attr(1, &[0; 4])]),
                ]
                .concat(),
            ),
        );
        let cmp = el(
            b"cmp\0",
            Some(
                [
                    attr(1, &be(1)),
                    attr(2, &be(0)),
                    nest(3, &[attr(1, &[0xfe, 0x80, 0, 0])]),
                ]
                .concat(),
            ),
        );
        let goto = el(
            b"immediate\0",
            Some(
                [
                    attr(1, &be(0)),
                    nest(
                        2,
                        &[nest(2, &[attr(1, &be(0xffff_fffc)), attr(2, b"in_ll\0")])],
                    ),
                ]
                .concat(),
            ),
        );
        want.extend(msg(
            0x0a06,
            flags,
            3,
            2,
            0,
            &[table, chain, nest(4, &[bitwise, cmp, goto])],
        ));
        want.extend(begin_end(4, NFNL_MSG_BATCH_END));
        assert_eq!(bytes, want);
    }

    #[test]
    fn elements_add_and_delete() {
        let mut b = Batch::new(1);
        let keys: [&[u8]; 2] = [&[10, 0, 0, 1], &[10, 0, 0, 2]];
        b.elements(T4, "vips", true, &keys);
        b.elements(T4, "vips", false, &[&[10, 0, 0, 1][..]]);
        let Finished { bytes, what, .. } = b.finish().unwrap();
        let key = |k: &[u8]| nest(1, &[nest(1, &[attr(1, k)])]);
        let set = [attr(1, b"keepalived\0"), attr(2, b"vips\0")];
        let mut want = begin_end(1, NFNL_MSG_BATCH_BEGIN);
        let mut a = set.to_vec();
        a.push(nest(3, &[key(&[10, 0, 0, 1]), key(&[10, 0, 0, 2])]));
        want.extend(msg(0x0a0c, REQ_ACK | NLM_F_CREATE, 2, 2, 0, &a));
        let mut d = set.to_vec();
        d.push(nest(3, &[key(&[10, 0, 0, 1])]));
        want.extend(msg(0x0a0e, REQ_ACK, 3, 2, 0, &d));
        want.extend(begin_end(4, NFNL_MSG_BATCH_END));
        assert_eq!(bytes, want);
        assert_eq!(what[1].1, "delete elements");
    }

    /// An ACK per message: applied; an error: refused, with what the message was; a missing
    /// answer: unknown.
    #[test]
    fn judging_answers() {
        let ack = crate::netlink::tracker::tests::ack;
        let what = vec![(2, "add table"), (3, "add rule")];
        let mut d = ack(2, 0);
        d.extend(ack(3, 0));
        assert!(judge(&[d], &what).is_ok());
        let mut d = ack(2, 0);
        d.extend(ack(3, libc::ENOENT));
        match judge(&[d], &what) {
            Err(ApplyError::Refused(r)) => {
                assert_eq!(r.len(), 1);
                assert_eq!((r[0].what, r[0].errno), ("add rule", libc::ENOENT));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            judge(&[ack(2, 0)], &what),
            Err(ApplyError::Unanswered(1))
        ));
        // Garbage and answers to other requests are ignored.
        assert!(matches!(
            judge(&[vec![1, 2, 3], ack(9, 0)], &what),
            Err(ApplyError::Unanswered(2))
        ));
    }

    /// A key too long for its attribute makes no batch.
    #[test]
    fn too_long_is_refused() {
        let mut b = Batch::new(1);
        let big = vec![0u8; 70_000];
        b.elements(T4, "vips", true, &[&big[..]]);
        assert!(b.finish().is_none());
    }
}
