//! The kernel's process connector (`NETLINK_CONNECTOR`, `CN_IDX_PROC`): fork, exec, comm and exit
//! events of every process, and a safe parser of its datagrams.
//!
//! The connector exists in the initial network namespace only: from any other namespace the
//! subscription is refused (`ECONNREFUSED`) and no event arrives. [`ProcEvents::open`] therefore
//! tries the namespace the daemon was launched from when `-s NAME` moved it elsewhere
//! ([`remember_launch_netns`], called by [`super::enter_netns`]); a socket keeps the namespace it was
//! made in. Under `ip netns exec` there is no way back, and the caller falls back to scanning
//! `/proc`.
//!
//! Wire layout (`linux/netlink.h`, `linux/connector.h`, `linux/cn_proc.h`), native byte order:
//!
//! ```text
//!  0 nlmsghdr   len u32 | type u16 | flags u16 | seq u32 | pid u32
//! 16 cn_msg     idx u32 | val u32 | seq u32 | ack u32 | len u16 | flags u16
//! 36 proc_event what u32 | cpu u32 | timestamp_ns u64
//! 52            event_data: fork  parent_pid parent_tgid child_pid child_tgid (u32 each)
//!                           exec  process_pid process_tgid
//!                           comm  process_pid process_tgid comm[16]
//!                           exit  process_pid process_tgid exit_code exit_signal ...
//! ```

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use super::cvt;

const NETLINK_CONNECTOR: libc::c_int = 11;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const NLMSG_DONE: u16 = 3;

const PROC_EVENT_FORK: u32 = 0x0000_0001;
const PROC_EVENT_EXEC: u32 = 0x0000_0002;
const PROC_EVENT_COMM: u32 = 0x0000_0200;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

const NLMSG_HDR: usize = 16;
const CN_MSG: usize = 20;
const EVENT_DATA: usize = NLMSG_HDR + CN_MSG + 16;

/// The namespace the process started in, kept when `-s` leaves it.
static LAUNCH_NETNS: OnceLock<OwnedFd> = OnceLock::new();

/// Keeps an fd of the current network namespace, before [`super::enter_netns`] leaves it, so that
/// [`ProcEvents::open`] can reach the connector from there. Failures are ignored: the caller then
/// falls back to scanning `/proc`.
pub fn remember_launch_netns() {
    if let Ok(f) = std::fs::File::open("/proc/self/ns/net") {
        let _ = LAUNCH_NETNS.set(OwnedFd::from(f));
    }
}

/// One process event. Thread events (pid != tgid) are reported too; callers usually skip them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcEvent {
    Fork {
        parent_tgid: i32,
        child_pid: i32,
        child_tgid: i32,
    },
    Exec {
        pid: i32,
        tgid: i32,
    },
    /// The process renamed itself (`prctl(PR_SET_NAME)`, `/proc/PID/comm`).
    Comm {
        pid: i32,
        tgid: i32,
        comm: [u8; 16],
    },
    Exit {
        pid: i32,
        tgid: i32,
    },
}

/// A subscribed, non-blocking process connector socket.
#[derive(Debug)]
pub struct ProcEvents {
    fd: OwnedFd,
    /// Made in the launch namespace rather than the current one.
    pub from_launch_netns: bool,
}

impl ProcEvents {
    /// Opens and subscribes, in the current network namespace or else in the one the daemon was
    /// launched from. The error is the current namespace's.
    pub fn open() -> io::Result<ProcEvents> {
        match open_here() {
            Ok(fd) => Ok(ProcEvents {
                fd,
                from_launch_netns: false,
            }),
            Err(e) => {
                let Some(launch) = LAUNCH_NETNS.get() else {
                    return Err(e);
                };
                match in_netns(launch, open_here) {
                    Ok(Ok(fd)) => Ok(ProcEvents {
                        fd,
                        from_launch_netns: true,
                    }),
                    _ => Err(e),
                }
            }
        }
    }

    /// Receives one datagram from the kernel into `buf` (`WouldBlock` when none; `ENOBUFS` when
    /// events were lost). Datagrams from anyone but the kernel are skipped.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let d = super::netlink_recv(self.fd.as_raw_fd(), buf)?;
            if d.sender == 0 {
                return Ok(d.len);
            }
        }
    }

    /// A larger receive buffer (events come in bursts when many processes start).
    pub fn set_rcvbuf(&self, bytes: usize) -> io::Result<()> {
        super::set_rcvbuf(self.fd.as_raw_fd(), bytes)
    }
}

impl AsRawFd for ProcEvents {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// Runs `f` in network namespace `ns` and comes back. Only at start-up: the daemon has one thread.
fn in_netns<T>(ns: &OwnedFd, f: impl FnOnce() -> T) -> io::Result<T> {
    let here = OwnedFd::from(std::fs::File::open("/proc/thread-self/ns/net")?);
    // SAFETY: plain syscall on an fd we own.
    cvt(unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) })?;
    let out = f();
    // SAFETY: as above. Failing to come back would leave the daemon in the wrong namespace.
    if unsafe { libc::setns(here.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        let e = io::Error::last_os_error();
        panic!("cannot return to the daemon's network namespace: {e}");
    }
    Ok(out)
}

fn open_here() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall.
    let fd = cvt(unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            NETLINK_CONNECTOR,
        )
    })?;
    // SAFETY: a new fd that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: sockaddr_nl is plain data; zeroed is valid.
    let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    sa.nl_groups = CN_IDX_PROC;
    // SAFETY: a live sockaddr_nl of the size given.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sa as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    })?;
    let msg = listen_message(super::getpid() as u32);
    // SAFETY: the buffer is valid for its length. Unaddressed netlink goes to the kernel.
    let n = unsafe { libc::send(fd.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

/// The subscription: `nlmsghdr` + `cn_msg` + `PROC_CN_MCAST_LISTEN`.
fn listen_message(pid: u32) -> [u8; 40] {
    let mut m = [0u8; 40];
    m[0..4].copy_from_slice(&40u32.to_ne_bytes());
    m[4..6].copy_from_slice(&NLMSG_DONE.to_ne_bytes());
    m[12..16].copy_from_slice(&pid.to_ne_bytes());
    m[16..20].copy_from_slice(&CN_IDX_PROC.to_ne_bytes());
    m[20..24].copy_from_slice(&CN_VAL_PROC.to_ne_bytes());
    m[32..34].copy_from_slice(&4u16.to_ne_bytes());
    m[36..40].copy_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
    m
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The process events in one datagram (several netlink messages may share it). Messages that are
/// not proc events, are cut short, or are of other kinds are skipped.
pub fn parse(buf: &[u8]) -> Vec<ProcEvent> {
    let mut out = Vec::new();
    let mut rest = buf;
    while let Some(len) = u32_at(rest, 0) {
        let len = len as usize;
        if len < NLMSG_HDR || len > rest.len() {
            break;
        }
        let msg = &rest[..len];
        rest = &rest[((len + 3) & !3).min(rest.len())..];
        if let Some(ev) = parse_one(msg) {
            out.push(ev);
        }
    }
    out
}

fn parse_one(m: &[u8]) -> Option<ProcEvent> {
    let kind = u16::from_ne_bytes(m.get(4..6)?.try_into().ok()?);
    // NLMSG_NOOP (1), NLMSG_ERROR (2): nothing for us.
    if kind == 1 || kind == 2 {
        return None;
    }
    if u32_at(m, 16)? != CN_IDX_PROC || u32_at(m, 20)? != CN_VAL_PROC || u32_at(m, 28)? != 0 {
        return None;
    }
    let what = u32_at(m, NLMSG_HDR + CN_MSG)?;
    let d = |i: usize| u32_at(m, EVENT_DATA + 4 * i).map(|v| v as i32);
    Some(match what {
        PROC_EVENT_FORK => ProcEvent::Fork {
            parent_tgid: d(1)?,
            child_pid: d(2)?,
            child_tgid: d(3)?,
        },
        PROC_EVENT_EXEC => ProcEvent::Exec {
            pid: d(0)?,
            tgid: d(1)?,
        },
        PROC_EVENT_COMM => ProcEvent::Comm {
            pid: d(0)?,
            tgid: d(1)?,
            comm: m.get(EVENT_DATA + 8..EVENT_DATA + 24)?.try_into().ok()?,
        },
        PROC_EVENT_EXIT => ProcEvent::Exit {
            pid: d(0)?,
            tgid: d(1)?,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A datagram as the kernel sends it: nlmsghdr, cn_msg, proc_event.
    fn datagram(what: u32, data: &[u32], comm: Option<&[u8]>) -> Vec<u8> {
        let mut ev = Vec::new();
        ev.extend_from_slice(&what.to_ne_bytes());
        ev.extend_from_slice(&1u32.to_ne_bytes()); // cpu
        ev.extend_from_slice(&123_456u64.to_ne_bytes());
        for v in data {
            ev.extend_from_slice(&v.to_ne_bytes());
        }
        if let Some(c) = comm {
            let mut c = c.to_vec();
            c.resize(16, 0);
            ev.extend_from_slice(&c);
        }
        let mut cn = Vec::new();
        for v in [CN_IDX_PROC, CN_VAL_PROC, 7, 0] {
            cn.extend_from_slice(&v.to_ne_bytes());
        }
        cn.extend_from_slice(&(ev.len() as u16).to_ne_bytes());
        cn.extend_from_slice(&0u16.to_ne_bytes());
        let len = 16 + cn.len() + ev.len();
        let mut m = Vec::new();
        m.extend_from_slice(&(len as u32).to_ne_bytes());
        m.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        m.extend_from_slice(&0u16.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend(cn);
        m.extend(ev);
        m
    }

    #[test]
    fn parses_the_four_events_we_use() {
        assert_eq!(
            parse(&datagram(PROC_EVENT_FORK, &[10, 10, 11, 11], None)),
            [ProcEvent::Fork {
                parent_tgid: 10,
                child_pid: 11,
                child_tgid: 11
            }]
        );
        assert_eq!(
            parse(&datagram(PROC_EVENT_EXEC, &[12, 12], None)),
            [ProcEvent::Exec { pid: 12, tgid: 12 }]
        );
        assert_eq!(
            parse(&datagram(PROC_EVENT_EXIT, &[13, 14, 0, 17, 1, 1], None)),
            [ProcEvent::Exit { pid: 13, tgid: 14 }]
        );
        let mut comm = [0u8; 16];
        comm[..5].copy_from_slice(b"nginx");
        assert_eq!(
            parse(&datagram(PROC_EVENT_COMM, &[15, 15], Some(b"nginx"))),
            [ProcEvent::Comm {
                pid: 15,
                tgid: 15,
                comm
            }]
        );
    }

    #[test]
    fn skips_others_acks_and_short_messages() {
        // The subscription's acknowledgement (PROC_EVENT_NONE), a UID change, a cut message.
        assert!(parse(&datagram(0, &[0, 0], None)).is_empty());
        assert!(parse(&datagram(0x4, &[1, 1, 0, 0], None)).is_empty());
        let d = datagram(PROC_EVENT_EXEC, &[12, 12], None);
        assert!(parse(&d[..d.len() - 6]).is_empty());
        assert!(parse(&[]).is_empty());
        // Two messages in one datagram.
        let mut two = datagram(PROC_EVENT_EXEC, &[1, 1], None);
        two.extend(datagram(PROC_EVENT_EXIT, &[2, 2, 0, 0], None));
        assert_eq!(parse(&two).len(), 2);
    }

    #[test]
    fn listen_message_layout() {
        let m = listen_message(42);
        assert_eq!(u32_at(&m, 0), Some(40));
        assert_eq!(u32_at(&m, 12), Some(42));
        assert_eq!(u32_at(&m, 16), Some(CN_IDX_PROC));
        assert_eq!(u32_at(&m, 36), Some(PROC_CN_MCAST_LISTEN));
    }
}
