//! Wire formats: pure, allocation-free codecs for what keepalived-rs sends and receives.
//!
//! One file per format, each a *view plus a value* (smoltcp's `src/wire/` shape):
//! - a `Packet<T: AsRef<[u8]>>` (or `Frame`) view over a byte buffer; `new_checked` runs
//!   `check_len`, field offsets live in `mod field`, setters in the `T: AsMut<[u8]>` impl;
//! - a `Repr`, the validated value, with `parse`, `emit` into a caller's buffer and `buffer_len`.
//!
//! Files: [`checksum`] (the Internet checksum and pseudo-headers), [`md5`] and [`ah`] (the IP
//! Authentication Header of VRRPv2 `auth_type AH`, HMAC-MD5-96), [`ethernet`], [`ipv4`],
//! [`ipv6`] (fixed headers only), [`vrrp`] (VRRPv2 and v3, the checksum variants), [`arp`]
//! (gratuitous ARP), [`ndisc`] (unsolicited neighbour advertisements), [`bfd`] (BFD control
//! packets) and [`dbus`] (DBus messages and the SASL exchange, for `enable_dbus`; it allocates, see
//! its doc).
//!
//! Invariants, for every file:
//! - No input panics. Every read and write goes through the bounds-checked helpers of the private
//!   `bytes` module: a read past the end gives zeros and a write past the end does nothing, so
//!   even a view made with `new_unchecked` over a short buffer cannot panic (it reads garbage
//!   instead; `new_checked` is what makes the values meaningful).
//! - Nothing allocates per packet: views borrow, `Repr`s borrow their variable parts (the VRRP
//!   address list) from the received buffer or from the caller.
//! - Numeric fields keep unknown values (`Unknown(u8)`), so parse then emit gives the same bytes.
//! - Checksums are verified or filled by explicit calls, never as a side effect of `parse`: the
//!   receive checklist (RFC 5798 7.1, keepalived's `vrrp_check_packet()` order) decides when.

/// Declares a view `$name<T: AsRef<[u8]>>` over a byte buffer with what every view shares:
/// `new_unchecked`, `new_checked` (which runs the type's own `check_len`), `into_inner`, and the
/// private `data`/`data_mut`. Attributes and doc comments before the name (the RFC diagram) go
/// on the struct. The VRRP view, which also carries a family, is written out by hand.
macro_rules! view {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[derive(Debug, Clone)]
        pub struct $name<T: AsRef<[u8]>> {
            buffer: T,
        }

        impl<T: AsRef<[u8]>> $name<T> {
            /// A view without checks: accessors read zeros past the end of a short buffer.
            pub fn new_unchecked(buffer: T) -> $name<T> {
                $name { buffer }
            }

            /// A view over a buffer that passed `check_len`.
            pub fn new_checked(buffer: T) -> $crate::wire::Result<$name<T>> {
                let view = $name::new_unchecked(buffer);
                view.check_len()?;
                Ok(view)
            }

            /// The underlying buffer.
            pub fn into_inner(self) -> T {
                self.buffer
            }

            fn data(&self) -> &[u8] {
                self.buffer.as_ref()
            }
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> $name<T> {
            fn data_mut(&mut self) -> &mut [u8] {
                self.buffer.as_mut()
            }
        }
    };
}

pub mod ah;
pub mod arp;
pub mod bfd;
mod bytes;
pub mod checksum;
pub mod dbus;
pub mod ethernet;
pub mod ipv4;
pub mod ipv6;
pub mod md5;
pub mod ndisc;
#[cfg(test)]
mod testdata;
pub mod vrrp;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a buffer could not be read (or written) as a wire format. Each variant names one drop
/// reason, so the VRRP receive path can map it one-to-one onto a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// The buffer is shorter than the fixed header, or than the length its own fields declare
    /// (IPv4 total length, IPv6 payload length); on emit, shorter than `buffer_len()`.
    Truncated,
    /// The version field is not one this codec reads (IPv4 not 4, IPv6 not 6, VRRP not 2 or 3).
    BadVersion,
    /// The length fields contradict each other or the packet: IPv4 IHL below 5 or total length
    /// below the header, a VRRP address count larger than the packet holds; on emit, more than
    /// 255 VRRP addresses or a datagram over 65535 bytes.
    BadLength,
    /// A checksum does not verify.
    Checksum,
    /// Well formed but not what this codec handles: ARP for other than Ethernet/IPv4, an ICMPv6
    /// message other than a neighbour advertisement, an IP protocol other than VRRP, an address
    /// family that does not match the checksum variant asked for.
    Unsupported,
    /// A field breaks its format: an ICMPv6 code other than 0, a neighbour discovery option of
    /// length 0.
    Malformed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated packet",
            Error::BadVersion => "unsupported version",
            Error::BadLength => "inconsistent length",
            Error::Checksum => "bad checksum",
            Error::Unsupported => "unsupported packet kind",
            Error::Malformed => "malformed field",
        })
    }
}

impl std::error::Error for Error {}

/// The result of the wire codecs.
pub type Result<T> = core::result::Result<T, Error>;

/// An IP address family, for the formats whose layout depends on it (the VRRP address list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// Bytes in one address of this family: 4 or 16.
    pub const fn addr_len(self) -> usize {
        match self {
            Family::V4 => 4,
            Family::V6 => 16,
        }
    }
}

/// The source and destination of an IP packet, of one family: what a checksum pseudo-header
/// needs. For IPv4 take them from the received header; for IPv6 from the socket (`recvmsg`
/// source and `IPV6_PKTINFO` destination).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpPair {
    V4 { src: Ipv4Addr, dst: Ipv4Addr },
    V6 { src: Ipv6Addr, dst: Ipv6Addr },
}

impl IpPair {
    /// The family of both addresses.
    pub fn family(&self) -> Family {
        match self {
            IpPair::V4 { .. } => Family::V4,
            IpPair::V6 { .. } => Family::V6,
        }
    }

    /// The source address.
    pub fn src(&self) -> IpAddr {
        match *self {
            IpPair::V4 { src, .. } => IpAddr::V4(src),
            IpPair::V6 { src, .. } => IpAddr::V6(src),
        }
    }

    /// The destination address.
    pub fn dst(&self) -> IpAddr {
        match *self {
            IpPair::V4 { dst, .. } => IpAddr::V4(dst),
            IpPair::V6 { dst, .. } => IpAddr::V6(dst),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Properties over every parser: random and mutated bytes never panic, and whatever parses
    //! emits back to the same bytes.
    use super::testdata::{CAPTURES, frame};
    use super::*;
    use crate::rng::Rng;

    /// Runs every parser of the module over `data`, as a datagram and as a frame, and checks
    /// that what parses emits back to the same bytes.
    fn all_parsers(data: &[u8]) {
        vrrp::tests::roundtrip_any(data);
        if let Ok((ip, vrrp_packet)) = vrrp::ipv4_datagram(data) {
            assert_eq!(ip.protocol, ipv4::PROTO_VRRP);
            assert!(vrrp_packet.message().len() <= data.len());
        }
        ipv4::tests::roundtrip_any(data);
        ipv6::tests::roundtrip_any(data);
        ethernet::tests::roundtrip_any(data);
        arp::tests::roundtrip_any(data);
        ndisc::tests::roundtrip_any(data);
    }

    fn random_bytes(rng: &mut Rng, buf: &mut [u8]) -> usize {
        let len = rng.below(buf.len() as u64 + 1) as usize;
        for b in buf.iter_mut().take(len) {
            *b = rng.next_u64() as u8;
        }
        len
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng::new(0x57_1e);
        let mut buf = [0u8; 200];
        for _ in 0..20_000 {
            let len = random_bytes(&mut rng, &mut buf);
            all_parsers(&buf[..len]);
        }
    }

    /// Random bytes rarely pass a version check; mutating real frames reaches the deeper paths.
    #[test]
    fn mutated_captures_never_panic() {
        let mut rng = Rng::new(0xcafe);
        for hex in CAPTURES {
            let orig = frame(hex);
            for _ in 0..2_000 {
                let mut f = orig.clone();
                for _ in 0..=rng.below(4) {
                    let i = rng.below(f.len() as u64) as usize;
                    if let Some(b) = f.get_mut(i) {
                        *b = rng.next_u64() as u8;
                    }
                }
                if rng.below(4) == 0 {
                    f.truncate(rng.below(f.len() as u64 + 1) as usize);
                }
                all_parsers(&f);
                // The IP datagram inside the frame, as a raw socket would deliver it.
                all_parsers(f.get(ethernet::HEADER_LEN..).unwrap_or(&[]));
            }
        }
    }

    #[test]
    fn error_display_is_one_line() {
        for e in [
            Error::Truncated,
            Error::BadVersion,
            Error::BadLength,
            Error::Checksum,
            Error::Unsupported,
            Error::Malformed,
        ] {
            let s = e.to_string();
            assert!(!s.is_empty() && !s.contains('\n'), "{e:?}");
        }
    }

    #[test]
    fn ip_pair_accessors() {
        let p = IpPair::V4 {
            src: Ipv4Addr::new(192, 168, 77, 1),
            dst: Ipv4Addr::new(224, 0, 0, 18),
        };
        assert_eq!(p.family(), Family::V4);
        assert_eq!(p.src(), IpAddr::V4(Ipv4Addr::new(192, 168, 77, 1)));
        assert_eq!(p.dst(), IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)));
        let p6 = IpPair::V6 {
            src: Ipv6Addr::LOCALHOST,
            dst: Ipv6Addr::UNSPECIFIED,
        };
        assert_eq!(p6.family(), Family::V6);
        assert_eq!(p6.dst(), IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        assert_eq!(Family::V6.addr_len(), 16);
    }
}
