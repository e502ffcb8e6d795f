//! VRRP on a real kernel: raw sockets between network namespaces on a bridge, keepalived-rs with
//! keepalived-rs and with Debian's keepalived, packets checked on the wire, addresses read back
//! from the kernel. Needs root, `ip netns` and (for the mixed cases) keepalived; without them each
//! test prints one `SKIP` line (a failure under `KEEPALIVED_RS_FULL_TESTS=1`).

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;
use std::time::Duration;

use common::lab::Lab;
use common::{is_root, poll_until, require};
use keepalived_rs::sys::sock::{VrrpSocket, if_index};

/// Runs `f` on a thread that has entered namespace `ns`.
fn in_ns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).expect("open netns");
        // SAFETY: setns on this thread only, with a namespace fd we hold.
        assert_eq!(
            unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) },
            0,
            "setns"
        );
        f()
    })
    .join()
    .expect("thread in namespace")
}

fn can_run() -> bool {
    require(is_root(), "not root: network namespace tests need root")
        && require(
            common::have("ip", "-V"),
            "iproute2 (`ip`) not installed: needed for the namespace labs",
        )
}

/// A VRRPv2 advert as keepalived sends it (IPv4 header with TOS 0xC0, TTL 255), built by hand.
fn hand_made_v2(src: Ipv4Addr) -> Vec<u8> {
    let mut v = vec![
        0x45, 0xc0, 0, 40, 0, 0, 0x40, 0, 255, 112, 0, 0, //
    ];
    v.extend_from_slice(&src.octets());
    v.extend_from_slice(&[224, 0, 0, 18]);
    let mut vrrp = vec![
        0x21, 51, 150, 1, 0, 1, 0, 0, 10, 99, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let sum = checksum(&vrrp);
    vrrp[6..8].copy_from_slice(&sum.to_be_bytes());
    v.extend_from_slice(&vrrp);
    let hsum = checksum(&v[..20]);
    v[10..12].copy_from_slice(&hsum.to_be_bytes());
    v
}

fn checksum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        s += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

#[test]
fn raw_sockets_carry_multicast_vrrp_between_namespaces() {
    if !can_run() {
        return;
    }
    let mut lab = Lab::new("sk", 2);
    lab.capture();
    let (ns0, ns1) = (lab.routers[0].ns.clone(), lab.routers[1].ns.clone());
    let src = lab.routers[0].v4;
    // The receiver joins and waits; the sender sends once it is ready.
    let (tx, rx) = std::sync::mpsc::channel();
    let receiver = std::thread::spawn(move || {
        in_ns(&ns1, move || {
            let idx = if_index("eth0").unwrap();
            let s = VrrpSocket::v4("eth0", idx).unwrap();
            s.join(IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18))).unwrap();
            tx.send(()).unwrap();
            let mut buf = [0u8; 2048];
            let mut got = None;
            poll_until(Duration::from_secs(5), || match s.recv(&mut buf) {
                Ok(r) => {
                    got = Some((r, buf[..r.len].to_vec()));
                    true
                }
                Err(_) => false,
            });
            got
        })
    });
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let sent = hand_made_v2(src);
    let pkt = sent.clone();
    in_ns(&ns0, move || {
        let idx = if_index("eth0").unwrap();
        let s = VrrpSocket::v4("eth0", idx).unwrap();
        s.send(&pkt, IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)), None)
            .unwrap();
    });
    let (r, bytes) = receiver.join().unwrap().expect("advert received");
    assert_eq!(r.src, IpAddr::V4(src));
    // The kernel fills the identification when it is 0 and the checksum; the rest is ours.
    assert_eq!(bytes[20..], sent[20..], "VRRP message");
    assert_eq!(bytes[8], 255, "TTL");
    assert_eq!(bytes[1], 0xc0, "TOS");
    // On the wire: to the VRRP multicast MAC 01:00:5e:00:00:12.
    assert!(poll_until(Duration::from_secs(2), || {
        common::lab::vrrp_frames(&lab.frames())
            .iter()
            .any(|(_, f)| f[..6] == [1, 0, 0x5e, 0, 0, 0x12] && f[34..] == sent[20..])
    }));
}
