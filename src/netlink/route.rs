//! One question to the kernel: which route reaches an address (`ip route get ADDR`). The VRRP
//! executor asks it for an instance with unicast peers and no `interface`: the route to the
//! first peer gives the interface (`RTA_OIF`) and, unless `unicast_src_ip` says, the source
//! address (`RTA_PREFSRC`).
//!
//! rtnetlink handles a request within the sender's `sendmsg(2)`: when `send` returns, the answer
//! (an `RTM_NEWROUTE`, or an `NLMSG_ERROR` such as `ENETUNREACH`) is already queued on the
//! socket, so the read after it never waits and the event loop is never held up. The request
//! and the answer's decoding are pure ([`request`], [`parse_answer`]); [`route_get`] does the IO
//! on a socket of its own, opened and closed for the one question.

use std::io;
use std::net::IpAddr;
use std::os::fd::AsRawFd;

use neli::consts::socket::{Msg as SendFlags, NlFamily};

use super::wire::{
    AF_INET, AF_INET6, Attrs, Emitter, Messages, NLM_F_REQUEST, NLMSG_ERROR, RTA_DST, RTA_OIF,
    RTA_PREFSRC, RTM_NEWROUTE, TooLong, ip_from, parse_error, u32_from,
};

/// `RTM_GETROUTE`.
const RTM_GETROUTE: u16 = 26;

/// The kernel's route to an address: the output interface and its preferred source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteTo {
    pub oif: u32,
    pub prefsrc: Option<IpAddr>,
}

/// `RTM_GETROUTE` for `dst` (a host route: prefix length 32 or 128), as `ip route get` sends.
pub fn request(buf: &mut Vec<u8>, seq: u32, dst: IpAddr) -> Result<(), TooLong> {
    let mut e = Emitter::new(buf, RTM_GETROUTE, NLM_F_REQUEST, seq);
    let (family, len) = match dst {
        IpAddr::V4(_) => (AF_INET, 32),
        IpAddr::V6(_) => (AF_INET6, 128),
    };
    // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags (u32).
    e.fixed(&[family, len, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    e.attr_ip(RTA_DST, dst);
    e.finish()
}

/// Decodes the answer to request `seq` from one datagram: the route, or the kernel's errno
/// (`ENETUNREACH`, ...) as an error; a datagram that says neither is `EBADMSG`.
pub fn parse_answer(datagram: &[u8], seq: u32) -> Result<RouteTo, i32> {
    for m in Messages::new(datagram) {
        let Ok(m) = m else { break };
        if m.seq != seq {
            continue;
        }
        if m.ty == NLMSG_ERROR {
            return Err(parse_error(&m).map_or(libc::EBADMSG, |e| e.errno.max(1)));
        }
        if m.ty != RTM_NEWROUTE {
            continue;
        }
        let mut r = RouteTo {
            oif: 0,
            prefsrc: None,
        };
        for a in Attrs::new(m.payload.get(12..).unwrap_or(&[])) {
            match a {
                Ok((RTA_OIF, p)) => r.oif = u32_from(p).unwrap_or(0),
                Ok((RTA_PREFSRC, p)) => r.prefsrc = ip_from(p),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        return if r.oif == 0 {
            Err(libc::EBADMSG)
        } else {
            Ok(r)
        };
    }
    Err(libc::EBADMSG)
}

/// Asks the kernel (of the calling thread's network namespace) for its route to `dst`.
pub fn route_get(dst: IpAddr) -> io::Result<RouteTo> {
    let sock = super::command_socket(NlFamily::Route, 64 * 1024)?;
    let mut tx = Vec::with_capacity(64);
    request(&mut tx, 1, dst).map_err(|_| io::Error::from_raw_os_error(libc::EMSGSIZE))?;
    loop {
        match sock.send(&tx, SendFlags::empty()) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    let mut rx = vec![0u8; 8192];
    // The answer is queued already (see the module doc); a foreign datagram is skipped.
    for _ in 0..4 {
        let d = crate::sys::netlink_recv(sock.as_raw_fd(), &mut rx)?;
        if d.sender != 0 {
            continue;
        }
        let bytes = rx.get(..d.len).unwrap_or(&[]);
        return parse_answer(bytes, 1).map_err(io::Error::from_raw_os_error);
    }
    Err(io::Error::from_raw_os_error(libc::EBADMSG))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ip route get 10.99.0.2`: the request, and the kernel's answer (oif 2, prefsrc
    /// 10.99.0.1), built field by field.
    #[test]
    fn request_and_answer() {
        let mut b = Vec::new();
        request(&mut b, 7, "10.99.0.2".parse().unwrap()).unwrap();
        assert_eq!(
            b,
            [
                36, 0, 0, 0, 26, 0, 1, 0, 7, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr
                2, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // rtmsg
                8, 0, 1, 0, 10, 99, 0, 2 // RTA_DST
            ]
        );
        let mut a = Vec::new();
        let mut e = Emitter::new(&mut a, RTM_NEWROUTE, 0, 7);
        e.fixed(&[2, 32, 0, 0, 254, 0, 0, 1, 0, 0, 0, 0]);
        e.attr_ip(RTA_DST, "10.99.0.2".parse().unwrap());
        e.attr_u32(RTA_OIF, 2);
        e.attr_ip(RTA_PREFSRC, "10.99.0.1".parse().unwrap());
        e.finish().unwrap();
        assert_eq!(
            parse_answer(&a, 7),
            Ok(RouteTo {
                oif: 2,
                prefsrc: Some("10.99.0.1".parse().unwrap())
            })
        );
        // Another request's answer is not ours; garbage is no answer.
        assert_eq!(parse_answer(&a, 8), Err(libc::EBADMSG));
        assert_eq!(parse_answer(&a[..20], 7), Err(libc::EBADMSG));
        assert_eq!(parse_answer(&[], 7), Err(libc::EBADMSG));
    }

    /// `NLMSG_ERROR` with -ENETUNREACH (the echoed request's header follows the code).
    #[test]
    fn unreachable() {
        let mut a = Vec::new();
        let mut e = Emitter::new(&mut a, NLMSG_ERROR, 0, 3);
        let mut p = (-libc::ENETUNREACH).to_ne_bytes().to_vec();
        p.extend_from_slice(&[0u8; 16]);
        e.fixed(&p);
        e.finish().unwrap();
        assert_eq!(parse_answer(&a, 3), Err(libc::ENETUNREACH));
    }

    /// Hostile bytes never panic.
    #[test]
    fn any_bytes() {
        for n in 0..64u8 {
            let b: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37) ^ n).collect();
            let _ = parse_answer(&b, 0);
        }
    }
}
