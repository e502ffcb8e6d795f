//! UDP sockets for BFD (RFC 5881 single hop on port 3784, RFC 5883 multihop on 4784).
//!
//! - [`UdpSocket::listen`]: one per (family, port), bound to the wildcard address, shared by all
//!   sessions of that kind. Every datagram comes with its TTL or hop limit (`IP_RECVTTL`,
//!   `IPV6_RECVHOPLIMIT`) for the GTSM check, and its destination address and interface
//!   (`IP_PKTINFO`, `IPV6_RECVPKTINFO`) for the session lookup, and the kernel's receive time
//!   (`SO_TIMESTAMPNS`).
//! - [`UdpSocket::sender`]: one per session, bound to the session's source address (or the
//!   wildcard) and a source port in 49152..=65535 (RFC 5881 4), sending with the session's TTL or
//!   hop limit. Never read: answers come to the well-known port.
//!
//! Non-blocking and close-on-exec; `EINTR` is retried here, `WouldBlock` is the caller's.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use super::raw::{raw_sockaddr, recv_msgs, retry_isize, setsockopt, socket};

/// RFC 5881 section 4: the source port range of BFD control packets.
pub const SOURCE_PORTS: std::ops::RangeInclusive<u16> = 49152..=65535;

/// One received datagram: length, source, destination, TTL or hop limit, interface.
pub use super::raw::Msg as Received;

/// A UDP socket of one family; see the module doc.
#[derive(Debug)]
pub struct UdpSocket {
    fd: OwnedFd,
    local: SocketAddr,
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

fn bind(fd: RawFd, a: SocketAddr) -> io::Result<()> {
    let (sa, len) = raw_sockaddr(a);
    // SAFETY: `sa` is a live local of `len` meaningful bytes.
    super::cvt(unsafe { libc::bind(fd, (&sa as *const libc::sockaddr_storage).cast(), len) })
        .map(drop)
}

fn udp(v6: bool) -> io::Result<OwnedFd> {
    let fd = socket(
        if v6 { libc::AF_INET6 } else { libc::AF_INET },
        libc::SOCK_DGRAM,
        libc::IPPROTO_UDP,
    )?;
    if v6 {
        setsockopt(fd.as_raw_fd(), libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, &1i32)?;
    }
    Ok(fd)
}

impl UdpSocket {
    /// The receiving socket of one family on `port` (3784 or 4784), any local address.
    pub fn listen(v6: bool, port: u16) -> io::Result<UdpSocket> {
        let fd = udp(v6)?;
        let raw = fd.as_raw_fd();
        setsockopt(raw, libc::SOL_SOCKET, libc::SO_REUSEADDR, &1i32)?;
        // The kernel's receive time of each packet: the detection time counts from it, not
        // from when the loop got to the packet.
        setsockopt(raw, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, &1i32)?;
        let local = if v6 {
            setsockopt(raw, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, &1i32)?;
            setsockopt(raw, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, &1i32)?;
            SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0))
        } else {
            setsockopt(raw, libc::IPPROTO_IP, libc::IP_RECVTTL, &1i32)?;
            setsockopt(raw, libc::IPPROTO_IP, libc::IP_PKTINFO, &1i32)?;
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))
        };
        bind(raw, local)?;
        Ok(UdpSocket { fd, local })
    }

    /// The sending socket of one session: bound to `source` (or the wildcard of `v6`'s family)
    /// with IPv6 scope `scope` (the interface of a link-local source, else 0) and a free port
    /// of [`SOURCE_PORTS`] tried from `pick()` on; sends with TTL or hop limit `ttl`.
    pub fn sender(
        v6: bool,
        source: Option<IpAddr>,
        scope: u32,
        ttl: u8,
        mut pick: impl FnMut() -> u16,
    ) -> io::Result<UdpSocket> {
        let fd = udp(v6)?;
        let raw = fd.as_raw_fd();
        let ttl = i32::from(ttl);
        if v6 {
            setsockopt(raw, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, &ttl)?;
        } else {
            setsockopt(raw, libc::IPPROTO_IP, libc::IP_TTL, &ttl)?;
        }
        // Nothing is read from it: keep its receive buffer small.
        let _ = setsockopt(raw, libc::SOL_SOCKET, libc::SO_RCVBUF, &256i32);
        let ip = source.unwrap_or(if v6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        });
        let span = u32::from(SOURCE_PORTS.end() - SOURCE_PORTS.start()) + 1;
        let mut last = io::Error::new(io::ErrorKind::AddrInUse, "no free source port");
        for i in 0..span {
            // The first tries are random; then walk the range from the last pick so that a
            // nearly full range still finds its free port.
            let port = if i < 32 {
                pick()
            } else {
                let base = pick();
                SOURCE_PORTS.start() + ((u32::from(base) + i) % span) as u16
            };
            let port = port.clamp(*SOURCE_PORTS.start(), *SOURCE_PORTS.end());
            let local = match ip {
                IpAddr::V6(a) => SocketAddr::V6(SocketAddrV6::new(a, port, 0, scope)),
                IpAddr::V4(_) => SocketAddr::new(ip, port),
            };
            match bind(raw, local) {
                Ok(()) => return Ok(UdpSocket { fd, local }),
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// The address the socket is bound to.
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// Sends one datagram to `dst`.
    pub fn send_to(&self, buf: &[u8], dst: SocketAddr) -> io::Result<usize> {
        let raw = self.fd.as_raw_fd();
        let (sa, len) = raw_sockaddr(dst);
        // SAFETY: `sa` is a live local of `len` meaningful bytes; buf is live for the call.
        retry_isize(|| unsafe {
            libc::sendto(
                raw,
                buf.as_ptr().cast(),
                buf.len(),
                libc::MSG_NOSIGNAL,
                (&sa as *const libc::sockaddr_storage).cast(),
                len,
            )
        })
    }

    /// Receives up to `bufs.len()` (at most 8) datagrams in one call, appended to `out` in
    /// order, datagram `i` in `bufs[i]`. Fewer than asked means the queue is drained now (an
    /// edge-triggered reader may stop there); `WouldBlock` when there was none.
    pub fn recv_batch(&self, bufs: &mut [[u8; 128]], out: &mut Vec<Received>) -> io::Result<()> {
        recv_msgs(
            self.fd.as_raw_fd(),
            bufs.iter_mut().map(|b| &mut b[..]),
            |m| out.push(m),
        )
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits up to 5 s for `l` to be readable (poll(2), not a sleep).
    fn readable(l: &UdpSocket) -> bool {
        let mut p = libc::pollfd {
            fd: l.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live pollfd.
        unsafe { libc::poll(&mut p, 1, 5000) == 1 }
    }

    /// Loopback only: a sender with TTL 255 reaches a listener on a free port, which sees the
    /// TTL, the destination and the source port.
    #[test]
    fn loopback_ttl_and_pktinfo() {
        // An unprivileged port of our own instead of 3784, so that tests never collide with a
        // running daemon.
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").expect("probe");
        let port = probe.local_addr().expect("addr").port();
        drop(probe);
        let Ok(l) = UdpSocket::listen(false, port) else {
            return; // taken meanwhile: nothing to learn
        };
        let mut n = 50000u16;
        let s = UdpSocket::sender(false, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), 0, 255, || {
            n += 1;
            n
        })
        .expect("sender");
        assert!(SOURCE_PORTS.contains(&s.local().port()));
        s.send_to(b"hello", SocketAddr::from(([127, 0, 0, 1], port)))
            .expect("send");
        let mut bufs = [[0u8; 128]; 8];
        let mut out = Vec::new();
        assert!(readable(&l), "no datagram within 5 s");
        l.recv_batch(&mut bufs, &mut out).expect("recv_batch");
        let buf = bufs[0];
        let r = out.first().copied().expect("datagram");
        assert_eq!(&buf[..r.len], b"hello");
        assert_eq!(r.ttl, Some(255));
        assert_eq!(r.dst, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert_eq!(r.src, s.local());
        assert!(!r.truncated);
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("wall clock");
        let stamp = r.stamp.expect("SO_TIMESTAMPNS");
        assert!(stamp <= wall && wall - stamp < std::time::Duration::from_secs(5));

        // A batch: three datagrams, one call, fewer than asked; then nothing.
        out.clear();
        for m in [b"one".as_slice(), b"two", b"three"] {
            s.send_to(m, SocketAddr::from(([127, 0, 0, 1], port)))
                .expect("send");
        }
        while out.len() < 3 {
            assert!(readable(&l), "datagrams missing: {out:?}");
            l.recv_batch(&mut bufs, &mut out).expect("recv_batch");
        }
        // Each call appends; datagrams of earlier calls were overwritten in bufs, so look at
        // lengths and sources only.
        assert_eq!(out.iter().map(|r| r.len).collect::<Vec<_>>(), [3, 3, 5]);
        assert!(out.iter().all(|r| r.src == s.local() && r.ttl == Some(255)));
        out.clear();
        let e = l.recv_batch(&mut bufs, &mut out).expect_err("drained");
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }

    /// Loopback only: what a full receive buffer drops is what `socket_drops` reports, and
    /// together with what was read it is all that was sent.
    #[test]
    fn full_buffer_drops_are_reported() {
        let probe = std::net::UdpSocket::bind("127.0.0.1:0").expect("probe");
        let port = probe.local_addr().expect("addr").port();
        drop(probe);
        let Ok(l) = UdpSocket::listen(false, port) else {
            return; // taken meanwhile: nothing to learn
        };
        assert_eq!(crate::sys::socket_drops(l.as_raw_fd()), Some(0));
        // The smallest buffer the kernel allows (SO_RCVBUF, unprivileged): a few datagrams.
        setsockopt(l.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, &1i32).expect("rcvbuf");
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").expect("sender");
        let sent = 200;
        for _ in 0..sent {
            // Loopback delivers within the send: each datagram is queued or dropped by now.
            tx.send_to(&[0u8; 100], ("127.0.0.1", port)).expect("send");
        }
        let mut bufs = [[0u8; 128]; 8];
        let mut out = Vec::new();
        while l.recv_batch(&mut bufs, &mut out).is_ok() {}
        let dropped = crate::sys::socket_drops(l.as_raw_fd()).expect("SO_MEMINFO");
        assert!(dropped > 0, "read {} of {sent}, none dropped", out.len());
        assert_eq!(out.len() + dropped as usize, sent, "read + dropped");
    }
}
