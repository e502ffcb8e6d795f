//! A network lab as ../shared/reference/lab.md describes it: one namespace holds a bridge, each
//! router namespace gets a veth into it named `eth0`, with `10.99.<net>.<i+1>/24` and
//! `fd00:99:<net>::<i+1>/64` (DAD off). A capture thread reads every frame on the bridge with one
//! clock. Everything is removed on drop, also when the test fails: processes in the namespaces get
//! SIGCONT, SIGTERM, then SIGKILL, then the namespaces go.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use keepalived_rs::netlink::monitor::{Event as MonitorEvent, Monitor};

use super::poll_until;

/// Runs `ip ARGS`, panicking with its stderr on failure.
pub fn ip(args: &[&str]) -> Output {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a command inside namespace `ns`, returning its output (not checked).
pub fn ns_exec(ns: &str, cmd: &[&str]) -> Output {
    Command::new("ip")
        .args(["netns", "exec", ns])
        .args(cmd)
        .stdin(Stdio::null())
        .output()
        .expect("ip netns exec")
}

/// The command that runs a daemon in the foreground in namespace `ns` with config `conf`, its
/// pid files in `run`: keepalived-rs, or (`keepalived`) Debian's keepalived with all its pid
/// files there (lab.md).
pub fn daemon_cmd(ns: &str, keepalived: bool, conf: &Path, run: &Path) -> Command {
    let conf = conf.to_string_lossy().into_owned();
    let p = |n: &str| run.join(n).to_string_lossy().into_owned();
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns]);
    if keepalived {
        cmd.args(["keepalived", "-n", "-l", "-D", "-P", "-f", &conf]);
        for (flag, file) in [("-p", "ka"), ("-r", "vrrp"), ("-c", "chk"), ("-b", "bfd")] {
            cmd.args([flag, &p(&format!("{file}.pid"))]);
        }
    } else {
        cmd.args([
            super::bin(),
            "-n",
            "-l",
            "-D",
            "-f",
            &conf,
            "-p",
            &p("rs.pid"),
        ]);
    }
    cmd
}

/// A sysctl of namespace `ns` by its `/proc/sys` path (`net/ipv4/conf/eth0/arp_ignore`).
pub fn ns_sysctl(ns: &str, path: &str) -> String {
    let out = ns_exec(ns, &["cat", &format!("/proc/sys/{path}")]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn sysctl(ns: &str, key: &str, val: &str) {
    let _ = ns_exec(ns, &["sysctl", "-qw", &format!("{key}={val}")]);
}

/// One router namespace of a lab.
pub struct Router {
    pub ns: String,
    pub v4: Ipv4Addr,
    pub v6: Ipv6Addr,
}

/// A bridge and its routers; see the module doc.
pub struct Lab {
    pub bridge_ns: String,
    pub routers: Vec<Router>,
    pub net: u8,
    capture: Option<Capture>,
}

/// A frame seen on the bridge: when (the kernel's receive stamp, on the clock of `Instant`), and
/// its bytes (Ethernet header on).
#[derive(Clone)]
pub struct Frame {
    pub at: Instant,
    /// The kernel's receive time stamp (`SO_TIMESTAMPNS`, wall clock): for intervals between
    /// frames, free of the capture thread's scheduling delays.
    pub kts: Option<Duration>,
    pub bytes: Vec<u8>,
}

struct Capture {
    frames: Arc<Mutex<Vec<Frame>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

impl Lab {
    /// A lab of `n` routers; `tag` names it (at most a few characters).
    pub fn new(tag: &str, n: usize) -> Lab {
        let k = SEQ.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let base = format!("krs{tag}{pid}x{k}");
        // A subnet per lab so that parallel labs never share addresses (they are isolated anyway).
        let net = ((pid as usize + k as usize * 7) % 200 + 20) as u8;
        let mut lab = Lab {
            bridge_ns: format!("{base}br"),
            routers: Vec::new(),
            net,
            capture: None,
        };
        ip(&["netns", "add", &lab.bridge_ns]);
        let br = lab.bridge_ns.clone();
        ip(&[
            "-n",
            &br,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "stp_state",
            "0",
            "forward_delay",
            "0",
            "mcast_snooping",
            "0",
        ]);
        sysctl(&br, "net.ipv6.conf.br0.disable_ipv6", "1");
        // Promiscuous: the bridge device then sees unicast frames between ports too.
        ip(&["-n", &br, "link", "set", "br0", "promisc", "on", "up"]);
        for i in 0..n {
            let ns = format!("{base}r{i}");
            ip(&["netns", "add", &ns]);
            lab.routers.push(Router {
                ns: ns.clone(),
                v4: Ipv4Addr::new(10, 99, net, i as u8 + 1),
                v6: format!("fd00:99:{net:x}::{:x}", i + 1).parse().unwrap(),
            });
            for key in ["all", "default"] {
                sysctl(&ns, &format!("net.ipv6.conf.{key}.accept_dad"), "0");
                sysctl(&ns, &format!("net.ipv6.conf.{key}.dad_transmits"), "0");
            }
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
            lab.plug(i);
        }
        // Link-local addresses come up without DAD now; wait for them to be usable.
        for r in &lab.routers {
            let ok = poll_until(Duration::from_secs(5), || {
                let out = ns_exec(
                    &r.ns,
                    &["ip", "-6", "addr", "show", "dev", "eth0", "scope", "link"],
                );
                let s = String::from_utf8_lossy(&out.stdout);
                s.contains("fe80") && !s.contains("tentative")
            });
            assert!(ok, "link-local address of {} not ready", r.ns);
        }
        lab
    }

    /// Router `i`'s `eth0`: a veth into the bridge (port `p<i>`), up, with its addresses. Also
    /// makes it again after a test deleted it (a new ifindex and MAC, the same name and
    /// addresses).
    pub fn plug(&self, i: usize) {
        let r = &self.routers[i];
        let (br, ns) = (&self.bridge_ns, &r.ns);
        let port = format!("p{i}");
        ip(&[
            "-n", br, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", ns,
        ]);
        ip(&["-n", br, "link", "set", &port, "master", "br0", "up"]);
        sysctl(ns, "net.ipv6.conf.eth0.accept_dad", "0");
        sysctl(ns, "net.ipv6.conf.eth0.dad_transmits", "0");
        ip(&["-n", ns, "link", "set", "eth0", "up"]);
        ip(&[
            "-n",
            ns,
            "addr",
            "add",
            &format!("{}/24", r.v4),
            "dev",
            "eth0",
        ]);
        ip(&[
            "-n",
            ns,
            "addr",
            "add",
            &format!("{}/64", r.v6),
            "dev",
            "eth0",
            "nodad",
        ]);
    }

    /// Starts capturing every frame on the bridge (from now on).
    pub fn capture(&mut self) {
        let frames = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (f, s) = (frames.clone(), stop.clone());
        let ns = self.bridge_ns.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || capture_thread(&ns, f, s, tx));
        rx.recv_timeout(Duration::from_secs(5))
            .expect("capture thread did not start")
            .expect("capture socket");
        self.capture = Some(Capture {
            frames,
            stop,
            thread: Some(thread),
        });
    }

    /// The frames captured so far.
    pub fn frames(&self) -> Vec<Frame> {
        self.capture
            .as_ref()
            .map(|c| c.frames.lock().unwrap().clone())
            .unwrap_or_default()
    }

    /// The frames captured at `t` or later (cheap when `t` is recent: the capture is scanned from
    /// its end).
    pub fn frames_since(&self, t: Instant) -> Vec<Frame> {
        let Some(c) = &self.capture else {
            return Vec::new();
        };
        let frames = c.frames.lock().unwrap();
        // Frames are stored in arrival order; kernel stamps from two CPUs may cross by a little.
        let slack = Duration::from_millis(20);
        let mut out: Vec<Frame> = frames
            .iter()
            .rev()
            .take_while(|f| f.at + slack >= t)
            .filter(|f| f.at >= t)
            .cloned()
            .collect();
        out.sort_by_key(|f| f.at);
        out
    }

    /// Drops from router `i`'s side of the bridge: all frames (a partition of that router) while
    /// `on`. Uses nftables in the bridge namespace.
    pub fn isolate(&self, i: usize, on: bool) {
        let port = format!("p{i}");
        let ns = &self.bridge_ns;
        if on {
            let _ = ns_exec(ns, &["nft", "add", "table", "bridge", "krs"]);
            let _ = ns_exec(
                ns,
                &[
                    "nft", "add", "chain", "bridge", "krs", "fwd", "{", "type", "filter", "hook",
                    "forward", "priority", "0", ";", "}",
                ],
            );
            let out = ns_exec(
                ns,
                &[
                    "nft", "add", "rule", "bridge", "krs", "fwd", "iifname", &port, "drop",
                ],
            );
            assert!(
                out.status.success(),
                "nft: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            let _ = ns_exec(ns, &["nft", "flush", "chain", "bridge", "krs", "fwd"]);
        }
    }

    /// IPv4 addresses on router `i`'s eth0, as `ip -4 -o addr` prints them.
    pub fn addrs(&self, i: usize) -> String {
        let out = ns_exec(
            &self.routers[i].ns,
            &["ip", "-o", "addr", "show", "dev", "eth0"],
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Does router `i` hold address `a` (text, without prefix)?
    pub fn has_addr(&self, i: usize, a: &str) -> bool {
        self.addrs(i)
            .split_whitespace()
            .any(|w| w.split('/').next() == Some(a))
    }

    /// The routers that hold address `a`.
    pub fn holders(&self, a: &str) -> Vec<usize> {
        (0..self.routers.len())
            .filter(|&i| self.has_addr(i, a))
            .collect()
    }

    /// Waits until router `i` alone holds `a`: when it was first seen so, or who held it at the
    /// end of `limit`.
    pub fn wait_sole_holder(
        &self,
        i: usize,
        a: &str,
        limit: Duration,
    ) -> Result<Instant, Vec<usize>> {
        if poll_until(limit, || self.holders(a) == [i]) {
            Ok(Instant::now())
        } else {
            Err(self.holders(a))
        }
    }

    fn kill_all(&self, ns: &str) {
        let ps = ns_pids(ns);
        for &p in &ps {
            super::send(p, libc::SIGCONT);
            super::send(p, libc::SIGTERM);
        }
        if !ps.is_empty() {
            poll_until(Duration::from_secs(2), || ns_pids(ns).is_empty());
        }
        for p in ns_pids(ns) {
            super::send(p, libc::SIGKILL);
        }
    }
}

/// The processes in namespace `ns` (`ip netns pids`).
pub fn ns_pids(ns: &str) -> Vec<i32> {
    let out = Command::new("ip").args(["netns", "pids", ns]).output();
    out.map(|o| {
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    })
    .unwrap_or_default()
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut c) = self.capture.take() {
            c.stop.store(true, Ordering::Relaxed);
            if let Some(t) = c.thread.take() {
                let _ = t.join();
            }
        }
        for r in &self.routers {
            self.kill_all(&r.ns);
            let _ = Command::new("ip").args(["netns", "del", &r.ns]).status();
        }
        self.kill_all(&self.bridge_ns);
        let _ = Command::new("ip")
            .args(["netns", "del", &self.bridge_ns])
            .status();
    }
}

/// Enters the bridge namespace (this thread only), opens AF_PACKET on br0 for all protocols, and
/// reads frames until `stop`.
fn capture_thread(
    ns: &str,
    frames: Arc<Mutex<Vec<Frame>>>,
    stop: Arc<AtomicBool>,
    ready: std::sync::mpsc::Sender<Result<(), String>>,
) {
    let open = || -> Result<OwnedFd, String> {
        enter_ns(ns)?;
        let proto = (libc::ETH_P_ALL as u16).to_be() as i32;
        // SAFETY: plain syscall.
        let fd =
            unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, proto) };
        if fd < 0 {
            return Err(format!("socket: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: fd is new and ours.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let c = std::ffi::CString::new("br0").unwrap();
        // SAFETY: valid C string.
        let idx = unsafe { libc::if_nametoindex(c.as_ptr()) };
        // SAFETY: sockaddr_ll is plain data.
        let mut sa: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sa.sll_family = libc::AF_PACKET as u16;
        sa.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
        sa.sll_ifindex = idx as i32;
        // SAFETY: sa is a live sockaddr_ll of the size given.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sa as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        if r != 0 {
            return Err(format!("bind: {}", std::io::Error::last_os_error()));
        }
        // SAFETY: plain setsockopt with an int.
        unsafe {
            let one: i32 = 1;
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_TIMESTAMPNS,
                (&one as *const i32).cast(),
                std::mem::size_of::<i32>() as u32,
            )
        };
        let tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 50_000,
        };
        sol_socket_opt(&fd, libc::SO_RCVTIMEO, &tv);
        // Kernel receive stamps: the thread's wake-up latency stays out of the measurements.
        sol_socket_opt(&fd, libc::SO_TIMESTAMPNS, &1 as &libc::c_int);
        Ok(fd)
    };
    let fd = match open() {
        Ok(fd) => {
            let _ = ready.send(Ok(()));
            fd
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let mut buf = vec![0u8; 65536];
    let mut control = [0u64; 16];
    while !stop.load(Ordering::Relaxed) {
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: msghdr is plain data; the buffers it points to outlive the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        // SAFETY: msg describes live buffers.
        let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, 0) };
        if n <= 0 {
            continue;
        }
        let at = Instant::now();
        let mut kts = None;
        // SAFETY: the CMSG macros walk the control buffer the kernel filled.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SO_TIMESTAMPNS {
                    let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                    kts = Some(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32));
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
        let at = kernel_stamp(&msg)
            .and_then(|ago| at.checked_sub(ago))
            .unwrap_or(at);
        frames.lock().unwrap().push(Frame {
            at,
            kts,
            bytes: buf[..n as usize].to_vec(),
        });
    }
}

/// Sets `SOL_SOCKET` option `name` to `val` (best effort).
fn sol_socket_opt<T>(fd: &OwnedFd, name: i32, val: &T) {
    // SAFETY: `val` is a live T of the size given.
    unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            name,
            (val as *const T).cast(),
            std::mem::size_of::<T>() as u32,
        )
    };
}

/// How long ago (on the wall clock, read now) the kernel stamped the datagram `msg` holds.
fn kernel_stamp(msg: &libc::msghdr) -> Option<Duration> {
    // SAFETY: the control buffer was filled by recvmsg; the CMSG macros stay within it.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SO_TIMESTAMPNS {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                let mut now: libc::timespec = std::mem::zeroed();
                libc::clock_gettime(libc::CLOCK_REALTIME, &mut now);
                let ns = |t: &libc::timespec| t.tv_sec as i128 * 1_000_000_000 + t.tv_nsec as i128;
                let ago = (ns(&now) - ns(&ts)).max(0);
                return Some(Duration::from_nanos(ago as u64));
            }
            c = libc::CMSG_NXTHDR(msg, c);
        }
    }
    None
}

/// The prerequisites of a namespace lab: root and `ip`, and keepalived when `keepalived` gives
/// the reason it is needed. One `SKIP` line when one is missing ([`super::require`]).
pub fn prerequisites(keepalived: Option<&str>) -> bool {
    super::require(
        super::is_root(),
        "not root: network namespace tests need root",
    ) && super::require(
        super::have("ip", "-V"),
        "iproute2 (`ip`) not installed: needed for the namespace labs",
    ) && keepalived.is_none_or(|why| super::require(super::have("keepalived", "-v"), why))
}

/// Moves the calling thread into network namespace `ns`.
pub fn enter_ns(ns: &str) -> Result<(), String> {
    let f = std::fs::File::open(format!("/run/netns/{ns}")).map_err(|e| e.to_string())?;
    // SAFETY: setns on this thread only, with a namespace fd we hold.
    if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(format!("setns: {}", std::io::Error::last_os_error()));
    }
    Ok(())
}

/// An address change seen by [`AddrWatch`]: when the event was read, added or removed, which.
#[derive(Debug, Clone, Copy)]
pub struct AddrEvent {
    pub at: Instant,
    pub added: bool,
    pub addr: IpAddr,
}

/// A thread in a namespace that stamps every address added or removed there (the daemon's own
/// rtnetlink monitor, read as soon as the socket is readable), on the clock of `Instant`.
pub struct AddrWatch {
    events: Arc<Mutex<Vec<AddrEvent>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl AddrWatch {
    pub fn new(ns: &str) -> AddrWatch {
        let events = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (ev, st) = (events.clone(), stop.clone());
        let ns = ns.to_string();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let open = || -> Result<Monitor, String> {
                enter_ns(&ns)?;
                let mut m = Monitor::new().map_err(|e| format!("monitor: {e}"))?;
                m.start_dump().map_err(|e| format!("dump: {e}"))?;
                Ok(m)
            };
            let mut m = match open() {
                Ok(m) => {
                    let _ = tx.send(Ok(()));
                    m
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let mut synced = false;
            while !st.load(Ordering::Relaxed) {
                let mut p = libc::pollfd {
                    fd: m.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one live pollfd.
                if unsafe { libc::poll(&mut p, 1, 50) } <= 0 {
                    continue;
                }
                let at = Instant::now();
                for e in m.recv() {
                    let (added, addr) = match e {
                        MonitorEvent::Synced => {
                            synced = true;
                            continue;
                        }
                        MonitorEvent::AddrAdded { addr, .. } => (true, addr),
                        MonitorEvent::AddrRemoved { addr, .. } => (false, addr),
                        _ => continue,
                    };
                    if synced {
                        ev.lock().unwrap().push(AddrEvent { at, added, addr });
                    }
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(5))
            .expect("address watch did not start")
            .expect("address watch");
        AddrWatch {
            events,
            stop,
            thread: Some(thread),
        }
    }

    /// The events read at `t` or later.
    pub fn since(&self, t: Instant) -> Vec<AddrEvent> {
        let ev = self.events.lock().unwrap();
        ev.iter().filter(|e| e.at >= t).copied().collect()
    }
}

impl Drop for AddrWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// VRRP frames among `frames`: (time, source MAC, IP payload) for IPv4 protocol 112 or IPv6 next
/// header 112.
pub fn vrrp_frames(frames: &[Frame]) -> Vec<(Instant, Vec<u8>)> {
    frames
        .iter()
        .filter(|f| {
            let b = &f.bytes;
            b.len() > 34
                && ((b[12..14] == [0x08, 0x00] && b[23] == 112)
                    || (b[12..14] == [0x86, 0xdd] && b.len() > 54 && b[20] == 112))
        })
        .map(|f| (f.at, f.bytes.clone()))
        .collect()
}
