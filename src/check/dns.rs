//! DNS_CHECK's query and reply judge (keepalived `check/check_dns.c`): one UDP query, one reply.
//!
//! The query is the one keepalived builds (`dns_make_query`): header with the given ID, flags
//! RD only, QDCOUNT 1, other counts 0; one question for `name`, the configured type, class IN.
//! The name is cut at each `.` into labels; a trailing `.` ends the name as keepalived reads it,
//! and `.` (the default) or an empty name is the root. Like keepalived, the name is not
//! validated here: a label over 63 bytes gets its length as one byte (`n as u8`) and a name over
//! 255 bytes is sent as it is, so a server answers FORMERR (or nothing) and the check fails
//! visibly. [`name_problem`] says what is wrong, for the configuration check to warn about.
//!
//! The judge follows keepalived's `dns_recv_thread`: the ID must be ours, QR must be set, the
//! RCODE must be 0 (NOERROR); the answer section is not examined (NOERROR/NODATA passes).
//! Deviation: keepalived ignores a datagram that is too short, has another ID or is not a
//! response, and keeps reading until the timeout (which then fails the check); here such a
//! datagram fails the check at once. Both end in a failure unless a good reply follows, which on
//! keepalived's fresh connected socket per check does not happen in practice.

use super::Verdict;
use crate::config::lvs::DnsCheck;

/// RFC 1035 4.1.1: the header's length.
const HEADER_LEN: usize = 12;
/// RFC 1035 4.1.1: QR, the response bit of the flags word.
const QR: u16 = 0x8000;
/// RFC 1035 4.1.1: RD, recursion desired (the only flag keepalived sets).
const RD: u16 = 0x0100;
/// RFC 1035 3.2.4: class IN.
const CLASS_IN: u16 = 1;

/// The labels of `name` as keepalived cuts them: at each `.`, a trailing `.` ends the name, `.`
/// alone is the root (no label).
fn labels(name: &str) -> impl Iterator<Item = &[u8]> {
    let name = if name == "." { "" } else { name };
    let name = name.strip_suffix('.').unwrap_or(name);
    name.split('.')
        .map(str::as_bytes)
        .filter(move |_| !name.is_empty())
}

/// The query keepalived sends for `check` with header ID `id`.
///
/// ```text
///  0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
/// |                      ID                       |
/// |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
/// |          QDCOUNT  |  ANCOUNT | NSCOUNT | ARCOUNT |
/// | QNAME ... | QTYPE | QCLASS |
/// ```
pub fn query(id: u16, check: &DnsCheck) -> Vec<u8> {
    let mut q = Vec::with_capacity(HEADER_LEN + check.name.len() + 6);
    for word in [id, RD, 1, 0, 0, 0] {
        q.extend_from_slice(&word.to_be_bytes());
    }
    for label in labels(&check.name) {
        // As keepalived: the length as one byte, whatever it is (see the module doc).
        q.push(label.len() as u8);
        q.extend_from_slice(label);
    }
    q.push(0);
    q.extend_from_slice(&check.qtype.code().to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    q
}

/// What makes `name` unfit for a query (RFC 1035 2.3.4: labels of 63 bytes at most, names of 255
/// bytes at most on the wire; no empty label), or `None`.
pub fn name_problem(name: &str) -> Option<&'static str> {
    let mut wire = 1usize;
    for label in labels(name) {
        if label.is_empty() {
            return Some("empty label");
        }
        if label.len() > 63 {
            return Some("label longer than 63 bytes");
        }
        wire += 1 + label.len();
    }
    (wire > 255).then_some("name longer than 255 bytes")
}

/// Judge one datagram read after sending the query with header ID `id`.
pub fn judge(id: u16, reply: &[u8]) -> Verdict {
    let [i0, i1, f0, f1, _, _, _, _, _, _, _, _, ..] = *reply else {
        return Err(format!("DNS reply too short ({} bytes)", reply.len()));
    };
    let (got, flags) = (u16::from_be_bytes([i0, i1]), u16::from_be_bytes([f0, f1]));
    if got != id {
        return Err(format!("DNS reply ID {got:#06x}, sent {id:#06x}"));
    }
    if flags & QR == 0 {
        return Err("DNS reply is a query (QR clear)".into());
    }
    match flags & 0xf {
        0 => Ok(()),
        rcode => Err(format!("DNS rcode {rcode} ({})", rcode_name(rcode))),
    }
}

/// RFC 1035 4.1.1 and RFC 6895 2.3: the RCODEs a server answers with.
fn rcode_name(rcode: u16) -> &'static str {
    match rcode {
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lvs::DnsType;

    fn check(qtype: DnsType, name: &str) -> DnsCheck {
        DnsCheck {
            qtype,
            name: name.into(),
        }
    }

    #[test]
    fn query_like_dig() {
        // Hand-written from RFC 1035 4.1: the query `dig +noedns +noadflag -t A www.example.com`
        // sends with ID 0xbeef (RD only, as keepalived; not captured here, no dig on this host).
        let want: &[u8] = &[
            0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
            3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm',
            0, //
            0x00, 0x01, 0x00, 0x01,
        ];
        assert_eq!(query(0xbeef, &check(DnsType::A, "www.example.com")), want);
        // A trailing dot is the same name.
        assert_eq!(query(0xbeef, &check(DnsType::A, "www.example.com.")), want);
    }

    #[test]
    fn query_root_soa() {
        // The defaults: SOA of the root.
        let want: &[u8] = &[
            0x00, 0x07, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
            0, 0x00, 0x06, 0x00, 0x01,
        ];
        assert_eq!(query(7, &check(DnsType::Soa, ".")), want);
        assert_eq!(query(7, &check(DnsType::Soa, "")), want);
        let q = query(7, &check(DnsType::Dnskey, "org"));
        assert_eq!(&q[12..], &[3, b'o', b'r', b'g', 0, 0, 48, 0, 1]);
    }

    #[test]
    fn long_label_sent_as_keepalived_does() {
        let name = "a".repeat(64);
        let q = query(1, &check(DnsType::A, &name));
        assert_eq!(q[12], 64);
        assert_eq!(q.len(), 12 + 1 + 64 + 1 + 4);
        assert_eq!(name_problem(&name), Some("label longer than 63 bytes"));
        assert_eq!(name_problem(&"a".repeat(63)), None);
        let long = vec!["a".repeat(63); 4].join(".");
        assert_eq!(long.len(), 255);
        assert_eq!(name_problem(&long), Some("name longer than 255 bytes"));
        assert_eq!(name_problem(&long[2..]), None); // 253 characters: 255 on the wire
        assert_eq!(name_problem("a..b"), Some("empty label"));
        assert_eq!(name_problem("."), None);
        assert_eq!(name_problem("example.com."), None);
    }

    fn reply(id: u16, flags: u16) -> Vec<u8> {
        let mut r = query(id, &check(DnsType::A, "example.com"));
        r[2..4].copy_from_slice(&flags.to_be_bytes());
        r
    }

    #[test]
    fn judge_header() {
        // Only the header counts: no answer section, even no question.
        assert_eq!(judge(0x1234, &reply(0x1234, 0x8180)[..12]), Ok(()));
        let table: [(u16, u16, Verdict); 6] = [
            (0x1234, 0x8180, Ok(())),
            (
                0x1235,
                0x8180,
                Err("DNS reply ID 0x1235, sent 0x1234".into()),
            ),
            (
                0x1234,
                0x0100,
                Err("DNS reply is a query (QR clear)".into()),
            ),
            (0x1234, 0x8183, Err("DNS rcode 3 (NXDOMAIN)".into())),
            (0x1234, 0x8182, Err("DNS rcode 2 (SERVFAIL)".into())),
            (0x1234, 0x818b, Err("DNS rcode 11 (other)".into())),
        ];
        for (id, flags, want) in table {
            assert_eq!(judge(0x1234, &reply(id, flags)), want, "{id:#x} {flags:#x}");
        }
    }

    #[test]
    fn judge_short() {
        let r = reply(0x1234, 0x8180);
        for n in 0..12 {
            assert_eq!(
                judge(0x1234, &r[..n]),
                Err(format!("DNS reply too short ({n} bytes)"))
            );
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = crate::rng::Rng::new(0x9e37_79b9);
        let mut next = move || rng.next_u64() as u32;
        for _ in 0..5000 {
            let len = (next() % 40) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = judge(next() as u16, &bytes);
            let name = String::from_utf8_lossy(&bytes).into_owned();
            let _ = query(1, &check(DnsType::Txt, &name));
            let _ = name_problem(&name);
        }
    }
}
