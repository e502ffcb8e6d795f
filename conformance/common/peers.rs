//! BFD peers and BFD on the wire, for the interop tests and the BFD benchmark.
//!
//! - [`Frr`]: FRR's zebra and bfdd (Debian frr 8.4) run in a namespace as lab.md says: user frr,
//!   a private directory for the pid files, the zserv and vty sockets; queried with `vtysh`.
//!   Killed on drop, also when the test fails.
//! - [`bfd_packets`]: the BFD control packets among captured frames (IPv4 and IPv6, UDP 3784 and
//!   4784), with the IP and UDP fields the tests check.
//! - [`routed`]: a second segment behind router 1 of a [`Lab`], for multihop sessions.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use keepalived_rs::wire::bfd as wb;

use super::lab::{Frame, Lab, ip, ns_exec};
use super::{Netns, poll_until, send};

/// Where Debian installs FRR's daemons.
pub const FRR_DIR: &str = "/usr/lib/frr";

/// Is FRR's bfdd installed?
pub fn have_frr() -> bool {
    Path::new(FRR_DIR).join("bfdd").exists() && Path::new("/usr/bin/vtysh").exists()
}

/// zebra and bfdd of FRR in one namespace.
pub struct Frr {
    ns: String,
    dir: PathBuf,
    zebra: Option<Child>,
    bfdd: Option<Child>,
}

static FRR_SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn spawn_frr(ns: &str, daemon: &str, dir: &Path, extra: &[&str]) -> Child {
    let d = |f: &str| dir.join(f).to_string_lossy().into_owned();
    let conf = d(&format!("{daemon}.conf"));
    let pid = d(&format!("{daemon}.pid"));
    let zserv = d("zserv.api");
    let vty = dir.to_string_lossy().into_owned();
    let bin = format!("{FRR_DIR}/{daemon}");
    let mut args: Vec<&str> = vec![
        "netns",
        "exec",
        ns,
        &bin,
        "-u",
        "frr",
        "-g",
        "frr",
        "-f",
        &conf,
        "-i",
        &pid,
        "-z",
        &zserv,
        "--vty_socket",
        &vty,
        "-A",
        "127.0.0.1",
        "-P",
        "0",
    ];
    args.extend_from_slice(extra);
    Command::new("ip")
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start an FRR daemon")
}

impl Frr {
    /// Starts zebra, then bfdd with `bfdd_conf` (e.g. `bfd\n peer 10.0.0.2 local-address
    /// 10.0.0.1\n  transmit-interval 50\n`), and waits until vtysh answers.
    pub fn start(ns: &str, bfdd_conf: &str) -> Frr {
        let n = FRR_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("krs-frr-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("zebra.conf"), "").unwrap();
        std::fs::write(dir.join("bfdd.conf"), bfdd_conf).unwrap();
        let (uid, gid) = keepalived_rs::sys::user_ids("frr").expect("user frr");
        for f in ["", "zebra.conf", "bfdd.conf"] {
            std::os::unix::fs::chown(dir.join(f), Some(uid), Some(gid)).unwrap();
        }
        let mut frr = Frr {
            ns: ns.to_string(),
            dir: dir.clone(),
            zebra: None,
            bfdd: None,
        };
        frr.zebra = Some(spawn_frr(ns, "zebra", &dir, &[]));
        let zserv = dir.join("zserv.api");
        assert!(
            poll_until(Duration::from_secs(10), || zserv.exists()),
            "zebra did not start in {ns}"
        );
        let ctl = dir.join("bfdd.sock").to_string_lossy().into_owned();
        frr.bfdd = Some(spawn_frr(ns, "bfdd", &dir, &["--bfdctl", &ctl]));
        assert!(
            super::poll_every(Duration::from_secs(10), Duration::from_millis(20), || frr
                .vtysh(&["show bfd peers"])
                .contains("BFD Peers")),
            "bfdd does not answer in {ns}"
        );
        frr
    }

    /// Runs vtysh commands (`-c` each) against this instance; stdout and stderr.
    pub fn vtysh(&self, cmds: &[&str]) -> String {
        let vty = self.dir.to_string_lossy().into_owned();
        let mut args = vec!["vtysh", "--vty_socket", vty.as_str()];
        for c in cmds {
            args.push("-c");
            args.push(c);
        }
        let out = ns_exec(&self.ns, &args);
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }

    /// The status bfdd gives peer `addr` ("up", "down", "init"), from `show bfd peers json`.
    pub fn peer_status(&self, addr: &str) -> Option<String> {
        let json = self.vtysh(&["show bfd peers json"]);
        let at = json.find(&format!("\"peer\":\"{addr}\""))?;
        let rest = &json[at..];
        let end = rest.find('}').unwrap_or(rest.len());
        let obj = &rest[..end];
        let s = obj.find("\"status\":\"")? + "\"status\":\"".len();
        let len = obj[s..].find('"')?;
        Some(obj[s..s + len].to_string())
    }

    /// bfdd's pid (the daemon itself: `ip netns exec` execs it).
    pub fn bfdd_pid(&self) -> i32 {
        self.bfdd.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// Runs bfdd (every thread) at SCHED_RR 50, as our daemon runs in these tests: a peer
    /// starved by the tests beside it on a loaded host would time our session out and the
    /// test would see a flap that is the host's, not ours.
    pub fn realtime(&self) {
        let pid = self.bfdd_pid().to_string();
        let ok = std::process::Command::new("chrt")
            .args(["-a", "-r", "-p", "50", &pid])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "chrt -a -r -p 50 {pid} failed");
    }

    /// zebra's pid.
    pub fn zebra_pid(&self) -> i32 {
        self.zebra.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// Waits until bfdd reports `addr` with `status`.
    pub fn wait_status(&self, addr: &str, status: &str, limit: Duration) -> bool {
        // vtysh is a process per call: ask every 50 ms, not every 2 ms, so that waiting does
        // not load the machine the other tests measure on.
        super::poll_every(limit, Duration::from_millis(50), || {
            self.peer_status(addr).as_deref() == Some(status)
        })
    }
}

impl Drop for Frr {
    fn drop(&mut self) {
        for c in [self.bfdd.take(), self.zebra.take()].into_iter().flatten() {
            let mut c = c;
            let pid = c.id() as i32;
            send(pid, libc::SIGCONT);
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Freezes process `pid` until dropped.
pub struct Frozen(pub i32);

impl Frozen {
    pub fn new(pid: i32) -> Frozen {
        send(pid, libc::SIGSTOP);
        Frozen(pid)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        send(self.0, libc::SIGCONT);
    }
}

/// A BFD control packet seen on the wire.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    /// The kernel's receive stamp (see [`Frame::kts`]).
    pub kts: Option<Duration>,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    /// TTL or hop limit.
    pub ttl: u8,
    pub state: wb::State,
    pub diag: wb::Diag,
    pub poll: bool,
    pub fin: bool,
    pub mult: u8,
    pub my_discr: u32,
    pub your_discr: u32,
    /// Microseconds.
    pub min_tx: u32,
    /// Microseconds.
    pub min_rx: u32,
}

impl Seen {
    /// The time stamp to measure intervals with: the kernel's, else the capture thread's.
    pub fn stamp(&self) -> Duration {
        self.kts.unwrap_or_else(|| self.at.elapsed())
    }
}

/// The BFD control packets (UDP to 3784 or 4784) among `frames`.
pub fn bfd_packets(frames: &[Frame]) -> Vec<Seen> {
    frames.iter().filter_map(decode).collect()
}

fn decode(f: &Frame) -> Option<Seen> {
    let b = &f.bytes;
    let (src, dst, ttl, udp) = match b.get(12..14)? {
        [0x08, 0x00] => {
            let ip = b.get(14..)?;
            let ihl = usize::from(ip.first()? & 0x0f) * 4;
            if *ip.get(9)? != 17 {
                return None;
            }
            let src = Ipv4Addr::from(<[u8; 4]>::try_from(ip.get(12..16)?).ok()?);
            let dst = Ipv4Addr::from(<[u8; 4]>::try_from(ip.get(16..20)?).ok()?);
            (
                IpAddr::V4(src),
                IpAddr::V4(dst),
                *ip.get(8)?,
                ip.get(ihl..)?,
            )
        }
        [0x86, 0xdd] => {
            let ip = b.get(14..)?;
            if *ip.get(6)? != 17 {
                return None;
            }
            let src = Ipv6Addr::from(<[u8; 16]>::try_from(ip.get(8..24)?).ok()?);
            let dst = Ipv6Addr::from(<[u8; 16]>::try_from(ip.get(24..40)?).ok()?);
            (IpAddr::V6(src), IpAddr::V6(dst), *ip.get(7)?, ip.get(40..)?)
        }
        _ => return None,
    };
    let sport = u16::from_be_bytes([*udp.first()?, *udp.get(1)?]);
    let dport = u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]);
    if dport != 3784 && dport != 4784 {
        return None;
    }
    let payload = udp.get(8..)?;
    let p = wb::Packet::new_checked(payload).ok()?;
    let r = wb::Repr::parse(&p).ok()?;
    Some(Seen {
        at: f.at,
        kts: f.kts,
        src,
        dst,
        sport,
        dport,
        ttl,
        state: r.state,
        diag: r.diag,
        poll: r.flags.poll,
        fin: r.flags.final_,
        mult: r.detect_mult,
        my_discr: r.my_discr,
        your_discr: r.your_discr,
        min_tx: r.desired_min_tx,
        min_rx: r.required_min_rx,
    })
}

/// A second segment behind router 1 of `lab`: namespace `far` with `eth0` =
/// `10.98.<net>.2/24`, router 1's `eth1` = `10.98.<net>.1/24`, forwarding on in router 1, and
/// routes both ways (router 0 reaches it via router 1). The namespace goes on drop.
pub struct Routed {
    pub far: Netns,
    pub far_v4: Ipv4Addr,
}

/// Builds the [`Routed`] segment.
pub fn routed(lab: &Lab) -> Routed {
    let far = Netns::new("bfdfar");
    let net = lab.net;
    let r1 = &lab.routers[1].ns;
    ip(&[
        "-n", r1, "link", "add", "eth1", "type", "veth", "peer", "name", "eth0", "netns", &far.0,
    ]);
    ip(&[
        "-n",
        r1,
        "addr",
        "add",
        &format!("10.98.{net}.1/24"),
        "dev",
        "eth1",
    ]);
    ip(&["-n", r1, "link", "set", "eth1", "up"]);
    let _ = ns_exec(r1, &["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    ip(&[
        "-n",
        &far.0,
        "addr",
        "add",
        &format!("10.98.{net}.2/24"),
        "dev",
        "eth0",
    ]);
    ip(&["-n", &far.0, "link", "set", "lo", "up"]);
    ip(&["-n", &far.0, "link", "set", "eth0", "up"]);
    ip(&[
        "-n",
        &far.0,
        "route",
        "add",
        "default",
        "via",
        &format!("10.98.{net}.1"),
    ]);
    ip(&[
        "-n",
        &lab.routers[0].ns,
        "route",
        "add",
        &format!("10.98.{net}.0/24"),
        "via",
        &lab.routers[1].v4.to_string(),
    ]);
    Routed {
        far,
        far_v4: Ipv4Addr::new(10, 98, net, 2),
    }
}
