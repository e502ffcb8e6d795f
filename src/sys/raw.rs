//! Raw sockets for VRRP and link-layer frames, behind a safe API.
//!
//! - [`RawIpSocket`]: `SOCK_RAW` with protocol 112 (VRRP), or 51 (AH) for IPv4 `auth_type AH`.
//!   For IPv4 the caller writes the IP header
//!   (`IP_HDRINCL`, as keepalived does: TOS 0xC0, TTL 255, its own identification); received
//!   datagrams start with the IPv4 header, so the TTL is read from the packet. For IPv6 the kernel
//!   writes the header and the VRRP checksum (`IPV6_CHECKSUM` at offset 6); the hop limit and the
//!   destination address come as ancillary data (`IPV6_RECVHOPLIMIT`, `IPV6_RECVPKTINFO`).
//! - [`PacketSocket`]: `AF_PACKET`/`SOCK_RAW` bound to one interface, for gratuitous ARP and
//!   unsolicited neighbour advertisements, written as whole Ethernet frames.
//!
//! Every socket is non-blocking and close-on-exec, bound to its interface (`SO_BINDTODEVICE`), and
//! does not loop its own multicast back. `recv`/`send` return `WouldBlock` as an error for the
//! caller's drain loop; `EINTR` is retried here.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::retry;

/// IANA protocol number of VRRP.
pub const IPPROTO_VRRP: i32 = 112;
/// IP Authentication Header (VRRPv2 `auth_type AH`).
pub const IPPROTO_AH: i32 = 51;

fn cvt_isize(ret: isize) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

pub(super) fn retry_isize(mut f: impl FnMut() -> isize) -> io::Result<usize> {
    loop {
        match cvt_isize(f()) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

pub(super) fn socket(domain: i32, ty: i32, proto: i32) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; on success the fd is new and ours.
    let fd = super::cvt(unsafe {
        libc::socket(domain, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, proto)
    })?;
    // SAFETY: `fd` was just returned by socket(2) and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub(super) fn setsockopt<T>(fd: RawFd, level: i32, name: i32, value: &T) -> io::Result<()> {
    // SAFETY: `value` points at a live T of the size given.
    super::cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (value as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    })
    .map(drop)
}

pub(super) fn bind_to_device(fd: RawFd, ifname: &str) -> io::Result<()> {
    if ifname.len() >= libc::IFNAMSIZ || ifname.as_bytes().contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "interface name too long",
        ));
    }
    // SAFETY: the name is passed with its length; the kernel copies it.
    super::cvt(unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            ifname.as_ptr().cast(),
            ifname.len() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// The index of interface `name`, if it exists.
pub fn if_index(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: `c` is a valid NUL-terminated string.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (i != 0).then_some(i)
}

/// The name of interface `ifindex`, if it exists.
pub fn if_name(ifindex: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has the IF_NAMESIZE bytes if_indextoname may write.
    let p = unsafe { libc::if_indextoname(ifindex, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success the buffer holds a NUL-terminated name.
    let c = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    Some(c.to_string_lossy().into_owned())
}

pub(super) fn sockaddr_v4(a: SocketAddrV4) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain data; all-zero is valid.
    let mut sa: libc::sockaddr_in = unsafe { zeroed() };
    sa.sin_family = libc::AF_INET as libc::sa_family_t;
    sa.sin_port = a.port().to_be();
    sa.sin_addr.s_addr = u32::from_ne_bytes(a.ip().octets());
    sa
}

pub(super) fn sockaddr_v6(a: SocketAddrV6) -> libc::sockaddr_in6 {
    // SAFETY: sockaddr_in6 is plain data; all-zero is valid.
    let mut sa: libc::sockaddr_in6 = unsafe { zeroed() };
    sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
    sa.sin6_port = a.port().to_be();
    sa.sin6_addr.s6_addr = a.ip().octets();
    sa.sin6_scope_id = a.scope_id();
    sa
}

/// `a` as the kernel takes it: the storage and the length of the family's sockaddr.
pub(super) fn raw_sockaddr(a: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all-zero is valid.
    let mut st: libc::sockaddr_storage = unsafe { zeroed() };
    let len = match a {
        SocketAddr::V4(a) => {
            // SAFETY: sockaddr_storage is larger than, and aligned for, sockaddr_in.
            unsafe {
                std::ptr::write(
                    (&mut st as *mut libc::sockaddr_storage).cast(),
                    sockaddr_v4(a),
                )
            };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            // SAFETY: sockaddr_storage is larger than, and aligned for, sockaddr_in6.
            unsafe {
                std::ptr::write(
                    (&mut st as *mut libc::sockaddr_storage).cast(),
                    sockaddr_v6(a),
                )
            };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (st, len as libc::socklen_t)
}

/// One received VRRP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// Bytes written to the buffer: for IPv4 from the IP header on, for IPv6 the VRRP message.
    pub len: usize,
    pub src: IpAddr,
    /// IPv6: the destination (from `IPV6_PKTINFO`); IPv4: read it from the header.
    pub dst: Option<IpAddr>,
    /// IPv6: the hop limit (from `IPV6_HOPLIMIT`); IPv4: read it from the header.
    pub hop_limit: Option<u8>,
    /// The interface it arrived on (IPv6 only).
    pub ifindex: Option<u32>,
    /// When the kernel received it (`SO_TIMESTAMPNS`, wall clock since the epoch).
    pub stamp: Option<std::time::Duration>,
}

impl Received {
    /// Nothing received: what a batch's unused entries hold.
    pub const NONE: Received = Received {
        len: 0,
        src: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        dst: None,
        hop_limit: None,
        ifindex: None,
        stamp: None,
    };

    fn of(m: Msg) -> Received {
        Received {
            len: m.len,
            src: m.src.ip(),
            dst: m.dst.filter(IpAddr::is_ipv6),
            hop_limit: m.ttl.filter(|_| m.src.is_ipv6()),
            ifindex: m.ifindex.filter(|_| m.src.is_ipv6()),
            stamp: m.stamp,
        }
    }
}

/// The bytes of `buf` that [`RawIpSocket::recv_batch`] gives each datagram.
pub const RX_SLOT: usize = 8192;

/// What one [`RawIpSocket::recv_batch`] received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    /// Datagrams, in `out[..count]` and the first `count` slots of the buffer.
    pub count: usize,
    /// The queue was empty after them: no need to call again until the next readiness.
    pub drained: bool,
}

/// A raw VRRP socket of one family on one interface.
#[derive(Debug)]
pub struct RawIpSocket {
    fd: OwnedFd,
    v6: bool,
    ifindex: u32,
}

impl AsRawFd for RawIpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl RawIpSocket {
    /// IPv4, `IP_HDRINCL`, bound to `ifname`, multicast sent from it with TTL 255, no loopback.
    pub fn v4(ifname: &str, ifindex: u32) -> io::Result<RawIpSocket> {
        RawIpSocket::v4_proto(ifname, ifindex, IPPROTO_VRRP)
    }

    /// [`RawIpSocket::v4`] for IP protocol `proto`: [`IPPROTO_AH`] for `auth_type AH` instances
    /// (keepalived opens their socket with `IPPROTO_AH`, so the kernel hands it protocol 51).
    pub fn v4_proto(ifname: &str, ifindex: u32, proto: i32) -> io::Result<RawIpSocket> {
        let fd = socket(libc::AF_INET, libc::SOCK_RAW, proto)?;
        let raw = fd.as_raw_fd();
        bind_to_device(raw, ifname)?;
        setsockopt(raw, libc::IPPROTO_IP, libc::IP_HDRINCL, &1i32)?;
        setsockopt(raw, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, &1i32)?;
        setsockopt(raw, libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP, &0i32)?;
        setsockopt(raw, libc::IPPROTO_IP, libc::IP_MULTICAST_TTL, &255i32)?;
        let mreq = libc::ip_mreqn {
            imr_multiaddr: libc::in_addr { s_addr: 0 },
            imr_address: libc::in_addr { s_addr: 0 },
            imr_ifindex: ifindex as i32,
        };
        setsockopt(raw, libc::IPPROTO_IP, libc::IP_MULTICAST_IF, &mreq)?;
        Ok(RawIpSocket {
            fd,
            v6: false,
            ifindex,
        })
    }

    /// IPv6, kernel checksum at offset 6, hop limit 255, hop limit and destination received.
    pub fn v6(ifname: &str, ifindex: u32) -> io::Result<RawIpSocket> {
        let fd = socket(libc::AF_INET6, libc::SOCK_RAW, IPPROTO_VRRP)?;
        let raw = fd.as_raw_fd();
        bind_to_device(raw, ifname)?;
        setsockopt(raw, libc::IPPROTO_IPV6, libc::IPV6_CHECKSUM, &6i32)?;
        setsockopt(raw, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, &1i32)?;
        setsockopt(raw, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP, &0i32)?;
        setsockopt(raw, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_HOPS, &255i32)?;
        setsockopt(raw, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, &255i32)?;
        setsockopt(
            raw,
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_IF,
            &(ifindex as i32),
        )?;
        setsockopt(raw, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, &1i32)?;
        setsockopt(raw, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, &1i32)?;
        Ok(RawIpSocket {
            fd,
            v6: true,
            ifindex,
        })
    }

    pub fn is_v6(&self) -> bool {
        self.v6
    }

    /// Joins a multicast group on the socket's interface.
    pub fn join(&self, group: IpAddr) -> io::Result<()> {
        let raw = self.fd.as_raw_fd();
        match group {
            IpAddr::V4(g) => {
                let mreq = libc::ip_mreqn {
                    imr_multiaddr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(g.octets()),
                    },
                    imr_address: libc::in_addr { s_addr: 0 },
                    imr_ifindex: self.ifindex as i32,
                };
                setsockopt(raw, libc::IPPROTO_IP, libc::IP_ADD_MEMBERSHIP, &mreq)
            }
            IpAddr::V6(g) => {
                let mreq = libc::ipv6_mreq {
                    ipv6mr_multiaddr: libc::in6_addr {
                        s6_addr: g.octets(),
                    },
                    ipv6mr_interface: self.ifindex,
                };
                setsockopt(raw, libc::IPPROTO_IPV6, libc::IPV6_ADD_MEMBERSHIP, &mreq)
            }
        }
    }

    /// Sends one datagram. IPv4: `buf` starts with the IP header the caller built. IPv6: `buf`
    /// is the VRRP message, `src` is bound per packet with `IPV6_PKTINFO` when given.
    pub fn send(&self, buf: &[u8], dst: IpAddr, src: Option<Ipv6Addr>) -> io::Result<usize> {
        let raw = self.fd.as_raw_fd();
        match dst {
            IpAddr::V4(d) => {
                let sa = sockaddr_v4(SocketAddrV4::new(d, 0));
                // SAFETY: buf and sa are live for the call, lengths given.
                retry_isize(|| unsafe {
                    libc::sendto(
                        raw,
                        buf.as_ptr().cast(),
                        buf.len(),
                        0,
                        (&sa as *const libc::sockaddr_in).cast(),
                        size_of::<libc::sockaddr_in>() as libc::socklen_t,
                    )
                })
            }
            IpAddr::V6(d) => {
                let scope = if d.is_unicast_link_local() || d.is_multicast() {
                    self.ifindex
                } else {
                    0
                };
                let mut sa = sockaddr_v6(SocketAddrV6::new(d, 0, 0, scope));
                let mut iov = libc::iovec {
                    iov_base: buf.as_ptr() as *mut libc::c_void,
                    iov_len: buf.len(),
                };
                let mut cbuf = [0u64; 8];
                // SAFETY: msghdr is plain data; all-zero is valid.
                let mut msg: libc::msghdr = unsafe { zeroed() };
                msg.msg_name = (&mut sa as *mut libc::sockaddr_in6).cast();
                msg.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
                msg.msg_iov = &mut iov;
                msg.msg_iovlen = 1;
                if let Some(s) = src {
                    let info = libc::in6_pktinfo {
                        ipi6_addr: libc::in6_addr {
                            s6_addr: s.octets(),
                        },
                        ipi6_ifindex: self.ifindex,
                    };
                    msg.msg_control = cbuf.as_mut_ptr().cast();
                    // SAFETY: CMSG_SPACE is arithmetic.
                    // (The field is usize in glibc, u32 in musl: `as _`.)
                    msg.msg_controllen =
                        unsafe { libc::CMSG_SPACE(size_of::<libc::in6_pktinfo>() as u32) } as _;
                    // SAFETY: msg_control points at cbuf, large enough for one in6_pktinfo
                    // (checked by the assert); CMSG_FIRSTHDR/CMSG_DATA stay inside it.
                    unsafe {
                        assert!(msg.msg_controllen as usize <= size_of::<[u64; 8]>());
                        let c = libc::CMSG_FIRSTHDR(&msg);
                        (*c).cmsg_level = libc::IPPROTO_IPV6;
                        (*c).cmsg_type = libc::IPV6_PKTINFO;
                        (*c).cmsg_len = libc::CMSG_LEN(size_of::<libc::in6_pktinfo>() as u32) as _;
                        std::ptr::write_unaligned(libc::CMSG_DATA(c).cast(), info);
                    }
                }
                // SAFETY: every pointer in msg points at a live local for the call.
                retry_isize(|| unsafe { libc::sendmsg(raw, &msg, 0) })
            }
        }
    }

    /// Receives one datagram into `buf` (`WouldBlock` when drained).
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Received> {
        Ok(Received::of(recv_msg(self.fd.as_raw_fd(), buf)?))
    }

    /// Receives up to [`BATCH`] datagrams in one `recvmmsg`, datagram `i` into the `i`-th
    /// [`RX_SLOT`]-byte slot of `buf` and its description into `out[i]`. `drained` says the queue
    /// was empty after them (fewer than the slots offered), so an edge-triggered reader stops
    /// without the call that would only say `EAGAIN`. `WouldBlock` when there was none.
    ///
    /// A slot holds the largest advert there is (IPv6: 8 + 255 * 16 bytes; IPv4 with options:
    /// 60 + 8 + 255 * 4 + 8); a longer datagram is cut to the slot (`len` is what the slot holds).
    pub fn recv_batch(&self, buf: &mut [u8], out: &mut [Received; BATCH]) -> io::Result<Batch> {
        let mut count = 0;
        let offered = recv_msgs(self.fd.as_raw_fd(), buf.chunks_mut(RX_SLOT), |m| {
            out[count] = Received::of(m);
            count += 1;
        })?;
        Ok(Batch {
            count,
            // No slot offered (a buffer shorter than nothing) must not spin the caller.
            drained: count < offered.max(1),
        })
    }
}

/// One datagram as `recvmsg` gave it, with the ancillary data the sockets here ask for (the
/// BFD sockets return it as is: [`super::udp::Received`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msg {
    /// Bytes written to the buffer (never more than its length).
    pub len: usize,
    /// The datagram was longer than the buffer.
    pub truncated: bool,
    pub src: SocketAddr,
    /// `IP_PKTINFO` / `IPV6_PKTINFO`: the destination address.
    pub dst: Option<IpAddr>,
    /// `IP_TTL` / `IPV6_HOPLIMIT`.
    pub ttl: Option<u8>,
    /// `IP_PKTINFO` / `IPV6_PKTINFO`: the interface.
    pub ifindex: Option<u32>,
    /// `SO_TIMESTAMPNS`: when the kernel received it, on the wall clock (since the epoch).
    pub stamp: Option<std::time::Duration>,
}

/// Control-message space per datagram: TTL, pktinfo and a time stamp fit.
type Cbuf = [u64; 16];

/// The most datagrams one `recvmmsg` takes ([`recv_msgs`]).
pub const BATCH: usize = 8;

/// A msghdr that receives into `iov` with its source in `sa` and ancillary data in `cbuf`.
fn msghdr(sa: &mut libc::sockaddr_storage, iov: &mut libc::iovec, cbuf: &mut Cbuf) -> libc::msghdr {
    // SAFETY: msghdr is plain data; all-zero is valid.
    let mut h: libc::msghdr = unsafe { zeroed() };
    h.msg_name = (sa as *mut libc::sockaddr_storage).cast();
    h.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    h.msg_iov = iov;
    h.msg_iovlen = 1;
    h.msg_control = cbuf.as_mut_ptr().cast();
    h.msg_controllen = size_of::<Cbuf>() as _;
    h
}

fn iovec(buf: &mut [u8]) -> libc::iovec {
    libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    }
}

/// `recvmsg(2)` of one datagram with its source and ancillary data (`WouldBlock` when drained,
/// `EINTR` retried).
pub(super) fn recv_msg(raw: RawFd, buf: &mut [u8]) -> io::Result<Msg> {
    // SAFETY: sockaddr_storage is plain data; all-zero is valid.
    let mut sa: libc::sockaddr_storage = unsafe { zeroed() };
    let mut iov = iovec(buf);
    let mut cbuf: Cbuf = [0; 16];
    let mut msg = msghdr(&mut sa, &mut iov, &mut cbuf);
    // SAFETY: every pointer in msg points at a live local or at buf for the call.
    let len = retry_isize(|| unsafe { libc::recvmsg(raw, &mut msg, libc::MSG_TRUNC) })?;
    Ok(parse_msg(&msg, &sa, len, buf.len()))
}

/// Datagrams in one `recvmmsg(2)`, one per buffer of `bufs` (the first [`BATCH`] of them), each
/// handed to `out` in order. Returns how many buffers it offered: a receive that fills fewer says
/// the queue was empty, so no further call is needed to see `EAGAIN` (one packet per readiness is
/// one syscall). The kernel keeps an error other than `EAGAIN` that follows some datagrams for the
/// next call. `WouldBlock` when there was none.
pub(super) fn recv_msgs<'a>(
    raw: RawFd,
    bufs: impl IntoIterator<Item = &'a mut [u8]>,
    mut out: impl FnMut(Msg),
) -> io::Result<usize> {
    // SAFETY: all of these are plain data; all-zero is valid.
    let mut sas: [libc::sockaddr_storage; BATCH] = unsafe { zeroed() };
    let mut iovs: [libc::iovec; BATCH] = unsafe { zeroed() };
    let mut cbufs: [Cbuf; BATCH] = [[0; 16]; BATCH];
    let mut msgs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
    let mut caps = [0usize; BATCH];
    let mut n = 0;
    for b in bufs.into_iter().take(BATCH) {
        caps[n] = b.len();
        iovs[n] = iovec(b);
        n += 1;
    }
    for i in 0..n {
        msgs[i].msg_hdr = msghdr(&mut sas[i], &mut iovs[i], &mut cbufs[i]);
    }
    // SAFETY: msgs[..n] point at live locals and at the caller's buffers for the call; no timeout.
    let got = retry_isize(|| unsafe {
        libc::recvmmsg(
            raw,
            msgs.as_mut_ptr(),
            n as _,
            (libc::MSG_TRUNC | libc::MSG_DONTWAIT) as _,
            std::ptr::null_mut(),
        ) as isize
    })?;
    for i in 0..got.min(n) {
        let len = msgs[i].msg_len as usize;
        out(parse_msg(&msgs[i].msg_hdr, &sas[i], len, caps[i]));
    }
    Ok(n)
}

/// The [`Msg`] of a datagram `recvmsg` filled in: `len` its full length, `cap` the buffer's.
fn parse_msg(msg: &libc::msghdr, sa: &libc::sockaddr_storage, len: usize, cap: usize) -> Msg {
    let src = match i32::from(sa.ss_family) {
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let s: libc::sockaddr_in6 =
                unsafe { std::ptr::read((sa as *const libc::sockaddr_storage).cast()) };
            SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(s.sin6_addr.s6_addr),
                u16::from_be(s.sin6_port),
                0,
                s.sin6_scope_id,
            ))
        }
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let s: libc::sockaddr_in =
                unsafe { std::ptr::read((sa as *const libc::sockaddr_storage).cast()) };
            SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(s.sin_addr.s_addr.to_ne_bytes()),
                u16::from_be(s.sin_port),
            ))
        }
        _ => SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)),
    };
    let mut out = Msg {
        len: len.min(cap),
        truncated: len > cap || msg.msg_flags & libc::MSG_TRUNC != 0,
        src,
        dst: None,
        ttl: None,
        ifindex: None,
        stamp: None,
    };
    // SAFETY: the CMSG_* macros walk the control buffer the kernel filled, within
    // msg_controllen; each payload is read unaligned with the size its type says.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(msg);
        while !c.is_null() {
            let level = (*c).cmsg_level;
            let ty = (*c).cmsg_type;
            let data = libc::CMSG_DATA(c);
            if (level == libc::IPPROTO_IPV6 && ty == libc::IPV6_HOPLIMIT)
                || (level == libc::IPPROTO_IP && ty == libc::IP_TTL)
            {
                let h: i32 = std::ptr::read_unaligned(data.cast());
                out.ttl = u8::try_from(h).ok();
            } else if level == libc::IPPROTO_IPV6 && ty == libc::IPV6_PKTINFO {
                let p: libc::in6_pktinfo = std::ptr::read_unaligned(data.cast());
                out.dst = Some(IpAddr::V6(Ipv6Addr::from(p.ipi6_addr.s6_addr)));
                out.ifindex = Some(p.ipi6_ifindex);
            } else if level == libc::IPPROTO_IP && ty == libc::IP_PKTINFO {
                let p: libc::in_pktinfo = std::ptr::read_unaligned(data.cast());
                out.dst = Some(IpAddr::V4(Ipv4Addr::from(p.ipi_addr.s_addr.to_ne_bytes())));
                out.ifindex = u32::try_from(p.ipi_ifindex).ok();
            } else if level == libc::SOL_SOCKET && ty == libc::SCM_TIMESTAMPNS {
                let t: libc::timespec = std::ptr::read_unaligned(data.cast());
                out.stamp = u64::try_from(t.tv_sec).ok().map(|secs| {
                    std::time::Duration::new(secs, u32::try_from(t.tv_nsec).unwrap_or(0))
                });
            }
            c = libc::CMSG_NXTHDR(msg, c);
        }
    }
    out
}

/// An `AF_PACKET` socket on one interface, for whole Ethernet frames (send only).
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
    ifindex: u32,
}

impl AsRawFd for PacketSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl PacketSocket {
    /// A socket that receives nothing (protocol 0) and sends frames on `ifindex`.
    pub fn new(ifindex: u32) -> io::Result<PacketSocket> {
        let fd = socket(libc::AF_PACKET, libc::SOCK_RAW, 0)?;
        Ok(PacketSocket { fd, ifindex })
    }

    /// Sends one Ethernet frame (header included).
    pub fn send(&self, frame: &[u8]) -> io::Result<usize> {
        // SAFETY: sockaddr_ll is plain data.
        let mut sa: libc::sockaddr_ll = unsafe { zeroed() };
        sa.sll_family = libc::AF_PACKET as u16;
        sa.sll_ifindex = self.ifindex as i32;
        sa.sll_halen = 6;
        if frame.len() >= 6 {
            sa.sll_addr[..6].copy_from_slice(&frame[..6]);
        }
        let raw = self.fd.as_raw_fd();
        // SAFETY: frame and sa are live for the call, lengths given.
        retry_isize(|| unsafe {
            libc::sendto(
                raw,
                frame.as_ptr().cast(),
                frame.len(),
                0,
                (&sa as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        })
    }
}

/// The MAC address of interface `name` (SIOCGIFHWADDR).
pub fn if_mac(name: &str) -> io::Result<[u8; 6]> {
    let fd = socket(libc::AF_INET, libc::SOCK_DGRAM, 0)?;
    // SAFETY: ifreq is plain data.
    let mut req: libc::ifreq = unsafe { zeroed() };
    if name.len() >= libc::IFNAMSIZ {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "interface name too long",
        ));
    }
    for (d, s) in req.ifr_name.iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    // SAFETY: req is a live ifreq; SIOCGIFHWADDR fills ifr_hwaddr.
    retry(|| unsafe { libc::ioctl(fd.as_raw_fd(), libc::SIOCGIFHWADDR as _, &mut req) })?;
    // SAFETY: after SIOCGIFHWADDR the union holds a sockaddr.
    let data = unsafe { req.ifr_ifru.ifru_hwaddr.sa_data };
    let mut mac = [0u8; 6];
    for (m, d) in mac.iter_mut().zip(data.iter()) {
        *m = *d as u8;
    }
    Ok(mac)
}

/// The addresses of interface `name` (getifaddrs), IPv4 and IPv6, in the kernel's order.
pub fn if_addrs(name: &str) -> io::Result<Vec<IpAddr>> {
    let mut out = Vec::new();
    each_if_addr(|n, a| {
        if n.to_bytes() == name.as_bytes() {
            out.push(a);
        }
    })?;
    Ok(out)
}

/// The index of the interface that holds address `a` (the first in getifaddrs' order), for the
/// scope of an IPv6 link-local address.
pub fn ifindex_of_addr(a: IpAddr) -> io::Result<Option<u32>> {
    let mut name = None;
    each_if_addr(|n, x| {
        if x == a && name.is_none() {
            name = Some(n.to_owned());
        }
    })?;
    // SAFETY: a NUL-terminated name; if_nametoindex only reads it.
    Ok(name
        .map(|n| unsafe { libc::if_nametoindex(n.as_ptr()) })
        .filter(|i| *i != 0))
}

/// Calls `f` with (interface name, address) for every IPv4 and IPv6 address (getifaddrs).
fn each_if_addr(mut f: impl FnMut(&std::ffi::CStr, IpAddr)) -> io::Result<()> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `head` with a list we free below.
    super::cvt(unsafe { libc::getifaddrs(&mut head) })?;
    let mut p = head;
    while !p.is_null() {
        // SAFETY: `p` is a node of the list getifaddrs returned, alive until freeifaddrs.
        let ifa = unsafe { &*p };
        p = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_name.is_null() {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string owned by the list.
        let n = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) };
        // SAFETY: ifa_addr points at a sockaddr whose family says its real type.
        match i32::from(unsafe { (*ifa.ifa_addr).sa_family }) {
            libc::AF_INET => {
                // SAFETY: the family is AF_INET.
                let s: libc::sockaddr_in = unsafe { std::ptr::read(ifa.ifa_addr.cast()) };
                f(
                    n,
                    IpAddr::V4(Ipv4Addr::from(s.sin_addr.s_addr.to_ne_bytes())),
                );
            }
            libc::AF_INET6 => {
                // SAFETY: the family is AF_INET6.
                let s: libc::sockaddr_in6 = unsafe { std::ptr::read(ifa.ifa_addr.cast()) };
                f(n, IpAddr::V6(Ipv6Addr::from(s.sin6_addr.s6_addr)));
            }
            _ => {}
        }
    }
    // SAFETY: `head` came from getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(head) };
    Ok(())
}
