//! Sockets of the health checkers: non-blocking, close-on-exec, connected to their target, with
//! the checker's source address and port (`bindto`, `bind_port`), interface (`bind_if`) and
//! mark (`fwmark`). A TCP connect comes back in progress; its end is told by writability and
//! [`take_error`]. A connected UDP socket hears the target's ICMP errors as `ECONNREFUSED` (port
//! unreachable) or `EHOSTUNREACH` on its next receive; a raw ICMP socket connected to the
//! target receives only what the target sends.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use super::raw::{bind_to_device, raw_sockaddr, setsockopt};
use super::{cvt, retry};

/// What kind of socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tcp,
    Udp,
    /// Raw ICMP (IPv4) or ICMPv6.
    Icmp,
}

/// The checker's connection options.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bind<'a> {
    pub addr: Option<IpAddr>,
    pub port: Option<u16>,
    pub ifname: Option<&'a str>,
    pub mark: Option<u32>,
}

/// A socket of `kind` connecting to `to` (a TCP connect is in progress when this returns).
pub fn connect(kind: Kind, to: SocketAddr, b: &Bind) -> io::Result<OwnedFd> {
    let family = if to.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    let (ty, proto) = match kind {
        Kind::Tcp => (libc::SOCK_STREAM, 0),
        Kind::Udp => (libc::SOCK_DGRAM, 0),
        Kind::Icmp if to.is_ipv4() => (libc::SOCK_RAW, libc::IPPROTO_ICMP),
        Kind::Icmp => (libc::SOCK_RAW, libc::IPPROTO_ICMPV6),
    };
    // SAFETY: plain socket(2); the descriptor is owned at once.
    let fd =
        cvt(unsafe { libc::socket(family, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, proto) })?;
    // SAFETY: fd is a fresh descriptor nobody else owns.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    if let Some(m) = b.mark {
        setsockopt(fd, libc::SOL_SOCKET, libc::SO_MARK, &m)?;
    }
    if let Some(name) = b.ifname {
        bind_to_device(fd, name)?;
    }
    if b.addr.is_some() || b.port.is_some() {
        let one: libc::c_int = 1;
        setsockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, &one)?;
        let ip = b.addr.unwrap_or(if to.is_ipv4() {
            IpAddr::from([0u8; 4])
        } else {
            IpAddr::from([0u16; 8])
        });
        let (sa, len) = raw_sockaddr(SocketAddr::new(ip, b.port.unwrap_or(0)));
        // SAFETY: sa holds a sockaddr of length len.
        cvt(unsafe { libc::bind(fd, (&sa as *const libc::sockaddr_storage).cast(), len) })?;
    }
    // Raw sockets take no port.
    let to = if kind == Kind::Icmp {
        SocketAddr::new(to.ip(), 0)
    } else {
        to
    };
    let (sa, len) = raw_sockaddr(to);
    // SAFETY: sa holds a sockaddr of length len.
    match retry(|| unsafe { libc::connect(fd, (&sa as *const libc::sockaddr_storage).cast(), len) })
    {
        Ok(_) => Ok(sock),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(sock),
        Err(e) => Err(e),
    }
}

/// A non-blocking Unix stream socket connected to `path` (the AgentX master agent). A local
/// connect completes at once or fails; a full listen backlog is `EAGAIN` (try again later),
/// never a wait.
pub fn connect_unix(path: &std::path::Path) -> io::Result<OwnedFd> {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: sockaddr_un is plain data; all-zero is valid.
    let mut sa: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() >= sa.sun_path.len() {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    for (d, s) in sa.sun_path.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    // SAFETY: plain socket(2); the descriptor is owned at once.
    let fd = cvt(unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    })?;
    // SAFETY: fd is a fresh descriptor nobody else owns.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    let len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    // SAFETY: sa is a sockaddr_un of length len.
    retry(|| unsafe { libc::connect(fd, (&sa as *const libc::sockaddr_un).cast(), len) })?;
    Ok(sock)
}

/// The pending error of a socket (`SO_ERROR`), cleared: how a connect in progress ended.
pub fn take_error(fd: RawFd) -> io::Result<Option<io::Error>> {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: v and len are valid for getsockopt to write.
    cvt(unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    })?;
    Ok((v != 0).then(|| io::Error::from_raw_os_error(v)))
}

/// Reads what is there (`Ok(0)`: the peer closed a stream).
pub fn recv(fd: &impl AsRawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: buf is valid for writes of its length.
    let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Writes what the socket takes now.
pub fn send(fd: &impl AsRawFd, data: &[u8]) -> io::Result<usize> {
    // SAFETY: data is valid for reads of its length.
    let n = unsafe {
        libc::send(
            fd.as_raw_fd(),
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Whether a stream socket has a peer (its connect completed).
pub fn has_peer(fd: RawFd) -> bool {
    // SAFETY: sockaddr_storage is plain data; all-zero is valid.
    let mut sa: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: sa and len are valid for getpeername to write.
    let r = unsafe {
        libc::getpeername(
            fd,
            (&mut sa as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    r == 0
}

/// Makes the socket's close send a reset and free it at once (`SO_LINGER` on, 0 s): no FIN
/// exchange, no TIME_WAIT.
pub fn reset_on_close(fd: RawFd) -> io::Result<()> {
    let l = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    setsockopt(fd, libc::SOL_SOCKET, libc::SO_LINGER, &l)
}
