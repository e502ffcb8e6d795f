//! BFD control packets (RFC 5880 4.1, single hop RFC 5881), byte-compatible with keepalived
//! (reference §2.10): the UDP payload sent to port 3784 (4784 multihop).
//!
//! Receive path, in the order of RFC 5880 6.8.6, each step naming its [`DropReason`]:
//! [`receive`] runs [`check`] on the bytes a UDP socket delivered, then [`Repr::parse`]. Session
//! lookup by discriminator, TTL (GTSM, RFC 5881 5) and the source port are the caller's.
//!
//! Invariants of the view: after [`Packet::new_checked`] the 24-byte mandatory section lies
//! inside the buffer and the Length field is at least 24 and at most the buffer
//! ([`Packet::auth_section`] is then the bytes from 24 to Length). Bytes after Length are ignored.
//!
//! Authentication is not implemented (as in keepalived): the optional authentication section is
//! kept as bytes so parse then emit gives the same packet, and [`check`] drops a packet whose A
//! bit does not match the session's (always off here).
//!
//! Intervals are microseconds on the wire and stay `u32` microseconds in the [`Repr`]; the
//! session machine converts.

use super::bytes;
use super::{Error, Result};
use std::fmt;

/// Length of the mandatory section.
pub const HEADER_LEN: usize = 24;
/// UDP destination port of single-hop BFD (RFC 5881 4).
pub const PORT_SINGLE_HOP: u16 = 3784;
/// UDP destination port of multihop BFD (RFC 5883 5).
pub const PORT_MULTIHOP: u16 = 4784;
/// The protocol version this codec reads and writes.
pub const VERSION: u8 = 1;

mod field {
    /// Version (3 bits), diagnostic (5 bits).
    pub const VERS_DIAG: usize = 0;
    /// State (2 bits), P F C A D M.
    pub const STATE_FLAGS: usize = 1;
    pub const DETECT_MULT: usize = 2;
    pub const LENGTH: usize = 3;
    pub const MY_DISCR: usize = 4;
    pub const YOUR_DISCR: usize = 8;
    pub const DESIRED_MIN_TX: usize = 12;
    pub const REQUIRED_MIN_RX: usize = 16;
    pub const REQUIRED_MIN_ECHO_RX: usize = 20;
    pub const AUTH: usize = 24;
}

/// Flag bits of the second octet, below the state.
mod flag {
    pub const POLL: u8 = 0x20;
    pub const FINAL: u8 = 0x10;
    pub const CPI: u8 = 0x08;
    pub const AUTH: u8 = 0x04;
    pub const DEMAND: u8 = 0x02;
    pub const MULTIPOINT: u8 = 0x01;
}

/// The session states (RFC 5880 4.1; 2 bits, all values defined).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    AdminDown,
    Down,
    Init,
    Up,
}

impl State {
    fn from_bits(v: u8) -> State {
        match v & 3 {
            0 => State::AdminDown,
            1 => State::Down,
            2 => State::Init,
            _ => State::Up,
        }
    }

    fn bits(self) -> u8 {
        match self {
            State::AdminDown => 0,
            State::Down => 1,
            State::Init => 2,
            State::Up => 3,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::AdminDown => "AdminDown",
            State::Down => "Down",
            State::Init => "Init",
            State::Up => "Up",
        })
    }
}

/// The diagnostic codes (RFC 5880 4.1); values 9 to 31 are kept as `Unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Diag {
    None,
    ControlDetectionTimeExpired,
    EchoFunctionFailed,
    NeighborSignaledSessionDown,
    ForwardingPlaneReset,
    PathDown,
    ConcatenatedPathDown,
    AdministrativelyDown,
    ReverseConcatenatedPathDown,
    Unknown(u8),
}

impl Diag {
    /// The code of a 5-bit field.
    pub fn from_code(v: u8) -> Diag {
        match v & 0x1f {
            0 => Diag::None,
            1 => Diag::ControlDetectionTimeExpired,
            2 => Diag::EchoFunctionFailed,
            3 => Diag::NeighborSignaledSessionDown,
            4 => Diag::ForwardingPlaneReset,
            5 => Diag::PathDown,
            6 => Diag::ConcatenatedPathDown,
            7 => Diag::AdministrativelyDown,
            8 => Diag::ReverseConcatenatedPathDown,
            v => Diag::Unknown(v),
        }
    }

    /// The wire code (5 bits).
    pub fn code(self) -> u8 {
        match self {
            Diag::None => 0,
            Diag::ControlDetectionTimeExpired => 1,
            Diag::EchoFunctionFailed => 2,
            Diag::NeighborSignaledSessionDown => 3,
            Diag::ForwardingPlaneReset => 4,
            Diag::PathDown => 5,
            Diag::ConcatenatedPathDown => 6,
            Diag::AdministrativelyDown => 7,
            Diag::ReverseConcatenatedPathDown => 8,
            Diag::Unknown(v) => v & 0x1f,
        }
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diag::None => f.write_str("No Diagnostic"),
            Diag::ControlDetectionTimeExpired => f.write_str("Control Detection Time Expired"),
            Diag::EchoFunctionFailed => f.write_str("Echo Function Failed"),
            Diag::NeighborSignaledSessionDown => f.write_str("Neighbor Signaled Session Down"),
            Diag::ForwardingPlaneReset => f.write_str("Forwarding Plane Reset"),
            Diag::PathDown => f.write_str("Path Down"),
            Diag::ConcatenatedPathDown => f.write_str("Concatenated Path Down"),
            Diag::AdministrativelyDown => f.write_str("Administratively Down"),
            Diag::ReverseConcatenatedPathDown => f.write_str("Reverse Concatenated Path Down"),
            Diag::Unknown(v) => write!(f, "Unknown ({v})"),
        }
    }
}

/// The six flag bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags {
    /// P: the sender asks for verification (a Poll Sequence, RFC 5880 6.5).
    pub poll: bool,
    /// F: the answer to a Poll.
    pub final_: bool,
    /// C: control plane independent.
    pub cpi: bool,
    /// A: an authentication section follows.
    pub auth: bool,
    /// D: demand mode.
    pub demand: bool,
    /// M: multipoint, reserved; must be zero.
    pub multipoint: bool,
}

impl Flags {
    fn from_bits(v: u8) -> Flags {
        Flags {
            poll: v & flag::POLL != 0,
            final_: v & flag::FINAL != 0,
            cpi: v & flag::CPI != 0,
            auth: v & flag::AUTH != 0,
            demand: v & flag::DEMAND != 0,
            multipoint: v & flag::MULTIPOINT != 0,
        }
    }

    fn bits(self) -> u8 {
        [
            (self.poll, flag::POLL),
            (self.final_, flag::FINAL),
            (self.cpi, flag::CPI),
            (self.auth, flag::AUTH),
            (self.demand, flag::DEMAND),
            (self.multipoint, flag::MULTIPOINT),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |acc, (_, bit)| acc | bit)
    }
}

view!(
    /// A view over a BFD control packet (RFC 5880 4.1):
    ///
    /// ```text
    ///  0                   1                   2                   3
    ///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                       My Discriminator                        |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                      Your Discriminator                       |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                    Desired Min TX Interval                    |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                   Required Min RX Interval                    |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |                 Required Min Echo RX Interval                 |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// |       Optional Authentication Section (Auth Type, Len, ...)   |
    /// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    /// ```
    Packet
);

impl<T: AsRef<[u8]>> Packet<T> {
    /// The mandatory section fits and the Length field lies between 24 and the buffer's length.
    pub fn check_len(&self) -> Result<()> {
        let len = self.data().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let declared = usize::from(self.length());
        if declared < HEADER_LEN {
            return Err(Error::BadLength);
        }
        if declared > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    pub fn version(&self) -> u8 {
        bytes::u8_at(self.data(), field::VERS_DIAG) >> 5
    }

    pub fn diag(&self) -> Diag {
        Diag::from_code(bytes::u8_at(self.data(), field::VERS_DIAG))
    }

    pub fn state(&self) -> State {
        State::from_bits(bytes::u8_at(self.data(), field::STATE_FLAGS) >> 6)
    }

    pub fn flags(&self) -> Flags {
        Flags::from_bits(bytes::u8_at(self.data(), field::STATE_FLAGS))
    }

    pub fn detect_mult(&self) -> u8 {
        bytes::u8_at(self.data(), field::DETECT_MULT)
    }

    /// The Length field: the whole packet, authentication section included.
    pub fn length(&self) -> u8 {
        bytes::u8_at(self.data(), field::LENGTH)
    }

    pub fn my_discr(&self) -> u32 {
        bytes::u32_at(self.data(), field::MY_DISCR)
    }

    pub fn your_discr(&self) -> u32 {
        bytes::u32_at(self.data(), field::YOUR_DISCR)
    }

    /// Microseconds.
    pub fn desired_min_tx(&self) -> u32 {
        bytes::u32_at(self.data(), field::DESIRED_MIN_TX)
    }

    /// Microseconds.
    pub fn required_min_rx(&self) -> u32 {
        bytes::u32_at(self.data(), field::REQUIRED_MIN_RX)
    }

    /// Microseconds.
    pub fn required_min_echo_rx(&self) -> u32 {
        bytes::u32_at(self.data(), field::REQUIRED_MIN_ECHO_RX)
    }

    /// The bytes from the end of the mandatory section to Length (empty without authentication).
    pub fn auth_section(&self) -> &[u8] {
        bytes::slice(self.data(), field::AUTH, usize::from(self.length()))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    pub fn set_version_diag(&mut self, version: u8, diag: Diag) {
        bytes::put_u8(
            self.data_mut(),
            field::VERS_DIAG,
            (version << 5) | diag.code(),
        );
    }

    pub fn set_state_flags(&mut self, state: State, flags: Flags) {
        bytes::put_u8(
            self.data_mut(),
            field::STATE_FLAGS,
            (state.bits() << 6) | flags.bits(),
        );
    }

    pub fn set_detect_mult(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::DETECT_MULT, v);
    }

    pub fn set_length(&mut self, v: u8) {
        bytes::put_u8(self.data_mut(), field::LENGTH, v);
    }

    pub fn set_my_discr(&mut self, v: u32) {
        bytes::put_u32(self.data_mut(), field::MY_DISCR, v);
    }

    pub fn set_your_discr(&mut self, v: u32) {
        bytes::put_u32(self.data_mut(), field::YOUR_DISCR, v);
    }

    pub fn set_desired_min_tx(&mut self, us: u32) {
        bytes::put_u32(self.data_mut(), field::DESIRED_MIN_TX, us);
    }

    pub fn set_required_min_rx(&mut self, us: u32) {
        bytes::put_u32(self.data_mut(), field::REQUIRED_MIN_RX, us);
    }

    pub fn set_required_min_echo_rx(&mut self, us: u32) {
        bytes::put_u32(self.data_mut(), field::REQUIRED_MIN_ECHO_RX, us);
    }

    pub fn set_auth_section(&mut self, auth: &[u8]) {
        bytes::put(self.data_mut(), field::AUTH, auth);
    }
}

/// A BFD control packet as a value. The authentication section borrows from the received
/// buffer (or the caller's bytes to emit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    pub diag: Diag,
    pub state: State,
    pub flags: Flags,
    pub detect_mult: u8,
    pub my_discr: u32,
    pub your_discr: u32,
    /// Microseconds.
    pub desired_min_tx: u32,
    /// Microseconds.
    pub required_min_rx: u32,
    /// Microseconds.
    pub required_min_echo_rx: u32,
    /// The optional authentication section, unchecked (empty without one).
    pub auth: &'a [u8],
}

impl<'a> Repr<'a> {
    /// The value of a packet: `Truncated`/`BadLength` as in `check_len`, `BadVersion` for a
    /// version other than 1. Nothing else is judged here: that is [`check`]'s job.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&'a T>) -> Result<Repr<'a>> {
        packet.check_len()?;
        if packet.version() != VERSION {
            return Err(Error::BadVersion);
        }
        let data: &'a [u8] = T::as_ref(packet.buffer);
        Ok(Repr {
            diag: packet.diag(),
            state: packet.state(),
            flags: packet.flags(),
            detect_mult: packet.detect_mult(),
            my_discr: packet.my_discr(),
            your_discr: packet.your_discr(),
            desired_min_tx: packet.desired_min_tx(),
            required_min_rx: packet.required_min_rx(),
            required_min_echo_rx: packet.required_min_echo_rx(),
            auth: bytes::slice(data, field::AUTH, usize::from(packet.length())),
        })
    }

    /// The bytes `emit` writes: 24 plus the authentication section.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.auth.len()
    }

    /// Writes the packet at the start of `packet`'s buffer: `Truncated` if it is shorter than
    /// `buffer_len()`, `BadLength` if the authentication section makes Length exceed 255.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) -> Result<()> {
        let len = u8::try_from(self.buffer_len()).map_err(|_| Error::BadLength)?;
        if packet.data().len() < self.buffer_len() {
            return Err(Error::Truncated);
        }
        packet.set_version_diag(VERSION, self.diag);
        packet.set_state_flags(self.state, self.flags);
        packet.set_detect_mult(self.detect_mult);
        packet.set_length(len);
        packet.set_my_discr(self.my_discr);
        packet.set_your_discr(self.your_discr);
        packet.set_desired_min_tx(self.desired_min_tx);
        packet.set_required_min_rx(self.required_min_rx);
        packet.set_required_min_echo_rx(self.required_min_echo_rx);
        packet.set_auth_section(self.auth);
        Ok(())
    }
}

/// Why a received control packet was discarded (RFC 5880 6.8.6, in that order). Each variant is
/// one counter of the stats dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The version is not 1.
    Version,
    /// Shorter than 24 bytes, a Length field below 24 (26 with the A bit), or Length larger
    /// than the UDP payload.
    Length,
    /// Detect Mult is zero.
    DetectMult,
    /// The M bit is set.
    Multipoint,
    /// P and F both set (RFC 5880 4.1 forbids it; keepalived drops it at this point).
    PollAndFinal,
    /// My Discriminator is zero.
    MyDiscriminator,
    /// Your Discriminator is zero while the state is neither Down nor AdminDown.
    YourDiscriminator,
    /// The A bit disagrees with the session's authentication (none is implemented).
    Auth,
}

impl DropReason {
    /// Every reason, in checklist order (for counters).
    pub const ALL: [DropReason; 8] = [
        DropReason::Version,
        DropReason::Length,
        DropReason::DetectMult,
        DropReason::Multipoint,
        DropReason::PollAndFinal,
        DropReason::MyDiscriminator,
        DropReason::YourDiscriminator,
        DropReason::Auth,
    ];
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DropReason::Version => "wrong version",
            DropReason::Length => "bad length",
            DropReason::DetectMult => "zero detect multiplier",
            DropReason::Multipoint => "multipoint bit set",
            DropReason::PollAndFinal => "poll and final both set",
            DropReason::MyDiscriminator => "zero my discriminator",
            DropReason::YourDiscriminator => "zero your discriminator",
            DropReason::Auth => "authentication mismatch",
        })
    }
}

/// The receive checklist of RFC 5880 6.8.6 over a UDP payload, for a session that uses
/// authentication (`auth_enabled`) or not. Reads through the bounds-checked helpers, so any
/// input is safe.
pub fn check(payload: &[u8], auth_enabled: bool) -> core::result::Result<(), DropReason> {
    let p = Packet::new_unchecked(payload);
    // RFC 5880 6.8.6: "If the version number is not correct (1), the packet MUST be discarded."
    if p.version() != VERSION {
        return Err(DropReason::Version);
    }
    // RFC 5880 6.8.6: Length less than the minimum (24 without, 26 with the A bit) or greater
    // than the payload. keepalived also drops a payload longer than Length; we follow the RFC.
    let declared = usize::from(p.length());
    let min = if p.flags().auth {
        HEADER_LEN + 2
    } else {
        HEADER_LEN
    };
    if payload.len() < HEADER_LEN || declared < min || declared > payload.len() {
        return Err(DropReason::Length);
    }
    // RFC 5880 6.8.6: Detect Mult zero.
    if p.detect_mult() == 0 {
        return Err(DropReason::DetectMult);
    }
    // RFC 5880 6.8.6: Multipoint (M) bit nonzero.
    if p.flags().multipoint {
        return Err(DropReason::Multipoint);
    }
    // RFC 5880 4.1 (not in the 6.8.6 list): P and F never together; keepalived checks it here.
    if p.flags().poll && p.flags().final_ {
        return Err(DropReason::PollAndFinal);
    }
    // RFC 5880 6.8.6: My Discriminator zero.
    if p.my_discr() == 0 {
        return Err(DropReason::MyDiscriminator);
    }
    // RFC 5880 6.8.6: Your Discriminator zero and State neither Down nor AdminDown.
    if p.your_discr() == 0 && !matches!(p.state(), State::Down | State::AdminDown) {
        return Err(DropReason::YourDiscriminator);
    }
    // RFC 5880 6.8.6: A bit set without authentication in use, or clear with it.
    if p.flags().auth != auth_enabled {
        return Err(DropReason::Auth);
    }
    Ok(())
}

/// [`check`], then the value. Session lookup by Your Discriminator (RFC 5880 6.3) is the
/// caller's next step.
pub fn receive(payload: &[u8], auth_enabled: bool) -> core::result::Result<Repr<'_>, DropReason> {
    check(payload, auth_enabled)?;
    // After `check`, the view is long enough and the version right.
    Repr::parse(&Packet::new_unchecked(payload)).map_err(|e| match e {
        Error::BadVersion => DropReason::Version,
        _ => DropReason::Length,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testdata::{BFD_DOWN, CAPTURES, datagram};
    use super::*;
    use crate::rng::Rng;

    /// The UDP payload of a captured IPv4 datagram (20-byte IP header, 8-byte UDP header).
    fn payload(hex: &str) -> Vec<u8> {
        datagram(hex).split_off(28)
    }

    fn captured() -> Repr<'static> {
        Repr {
            diag: Diag::None,
            state: State::Down,
            flags: Flags::default(),
            detect_mult: 3,
            my_discr: 0x38e9_e22b,
            your_discr: 0,
            desired_min_tx: 1_000_000,
            required_min_rx: 50_000,
            required_min_echo_rx: 0,
            auth: &[],
        }
    }

    #[test]
    fn deconstruct_capture() {
        let bytes = payload(BFD_DOWN);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(p.version(), 1);
        assert_eq!(p.diag(), Diag::None);
        assert_eq!(p.state(), State::Down);
        assert_eq!(p.flags(), Flags::default());
        assert_eq!(p.detect_mult(), 3);
        assert_eq!(p.length(), 24);
        assert_eq!(p.my_discr(), 0x38e9_e22b);
        assert_eq!(p.your_discr(), 0);
        assert_eq!(p.desired_min_tx(), 1_000_000);
        assert_eq!(p.required_min_rx(), 50_000);
        assert_eq!(p.required_min_echo_rx(), 0);
        assert!(p.auth_section().is_empty());
    }

    #[test]
    fn parse_then_emit_gives_the_capture() {
        let bytes = payload(BFD_DOWN);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        let repr = Repr::parse(&p).unwrap();
        assert_eq!(repr, captured());
        assert_eq!(receive(&bytes, false), Ok(captured()));
        let mut out = vec![0u8; repr.buffer_len()];
        repr.emit(&mut Packet::new_unchecked(&mut out[..])).unwrap();
        assert_eq!(out, bytes);
    }

    #[test]
    fn construct_every_field() {
        let auth = [1u8, 4, 7, 0];
        let repr = Repr {
            diag: Diag::Unknown(31),
            state: State::Up,
            flags: Flags {
                poll: true,
                final_: false,
                cpi: true,
                auth: true,
                demand: true,
                multipoint: true,
            },
            detect_mult: 255,
            my_discr: 1,
            your_discr: 0xffff_ffff,
            desired_min_tx: 10_000,
            required_min_rx: 20_000,
            required_min_echo_rx: 30_000,
            auth: &auth,
        };
        let mut out = [0u8; 28];
        repr.emit(&mut Packet::new_unchecked(&mut out[..])).unwrap();
        assert_eq!(
            out,
            [
                0x3f, 0xef, 255, 28, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x27, 0x10, 0, 0,
                0x4e, 0x20, 0, 0, 0x75, 0x30, 1, 4, 7, 0
            ]
        );
        let p = Packet::new_checked(&out[..]).unwrap();
        assert_eq!(Repr::parse(&p), Ok(repr));
        let mut short = [0u8; 27];
        assert_eq!(
            repr.emit(&mut Packet::new_unchecked(&mut short[..])),
            Err(Error::Truncated)
        );
        let big = [0u8; 240];
        let too_long = Repr { auth: &big, ..repr };
        assert_eq!(
            too_long.emit(&mut Packet::new_unchecked(&mut [0u8; 300][..])),
            Err(Error::BadLength)
        );
    }

    #[test]
    fn length_checks() {
        let mut bytes = payload(BFD_DOWN);
        assert_eq!(
            Packet::new_checked(&bytes[..23]).unwrap_err(),
            Error::Truncated
        );
        bytes[3] = 23;
        assert_eq!(
            Packet::new_checked(&bytes[..]).unwrap_err(),
            Error::BadLength
        );
        bytes[3] = 25;
        assert_eq!(
            Packet::new_checked(&bytes[..]).unwrap_err(),
            Error::Truncated
        );
        // Bytes after Length are ignored.
        bytes[3] = 24;
        bytes.push(0xaa);
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(Repr::parse(&p), Ok(captured()));
        bytes[0] = 0x40;
        let p = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(Repr::parse(&p), Err(Error::BadVersion));
    }

    /// Each step of the checklist, each on a packet that passes every other step, and the order
    /// where several fail.
    #[test]
    fn checklist_in_rfc_order() {
        let good = payload(BFD_DOWN);
        let with = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut b = good.clone();
            f(&mut b);
            check(&b, false)
        };
        assert_eq!(check(&good, false), Ok(()));
        assert_eq!(with(&|b| b[0] = 0x40), Err(DropReason::Version));
        assert_eq!(with(&|b| b.truncate(20)), Err(DropReason::Length));
        assert_eq!(with(&|b| b[3] = 23), Err(DropReason::Length));
        assert_eq!(with(&|b| b[3] = 25), Err(DropReason::Length));
        assert_eq!(with(&|b| b[2] = 0), Err(DropReason::DetectMult));
        assert_eq!(with(&|b| b[1] |= 0x01), Err(DropReason::Multipoint));
        assert_eq!(with(&|b| b[1] |= 0x30), Err(DropReason::PollAndFinal));
        assert_eq!(with(&|b| b[4..8].fill(0)), Err(DropReason::MyDiscriminator));
        // Your Discriminator 0 is fine in Down (the capture) and AdminDown, not in Init or Up.
        assert_eq!(with(&|b| b[1] = 0x00), Ok(()));
        assert_eq!(with(&|b| b[1] = 0x80), Err(DropReason::YourDiscriminator));
        assert_eq!(with(&|b| b[1] = 0xc0), Err(DropReason::YourDiscriminator));
        assert_eq!(with(&|b| b[8] = 1), Ok(()));
        // The A bit: Length at least 26 with it, then it must match the session.
        assert_eq!(with(&|b| b[1] |= 0x04), Err(DropReason::Length));
        let mut authed = good.clone();
        authed[1] |= 0x04;
        authed[3] = 26;
        authed.extend_from_slice(&[1, 2]);
        assert_eq!(check(&authed, false), Err(DropReason::Auth));
        assert_eq!(check(&authed, true), Ok(()));
        assert_eq!(check(&good, true), Err(DropReason::Auth));
        // Order: the earliest failing step names the reason.
        assert_eq!(
            with(&|b| {
                b[2] = 0;
                b[4..8].fill(0);
            }),
            Err(DropReason::DetectMult)
        );
        assert_eq!(
            with(&|b| {
                b[0] = 0;
                b.truncate(3);
            }),
            Err(DropReason::Version)
        );
        assert_eq!(receive(&good[..10], false), Err(DropReason::Length));
    }

    /// Random bytes and mutated captures never panic; whatever parses emits back to the same
    /// bytes (up to Length).
    #[test]
    fn random_input_never_panics() {
        let mut rng = Rng::new(5880);
        let seed = payload(BFD_DOWN);
        let others: Vec<Vec<u8>> = CAPTURES.iter().map(|h| datagram(h)).collect();
        for i in 0..200_000u32 {
            let mut b: Vec<u8> = match i % 3 {
                0 => seed.clone(),
                1 => others[i as usize % others.len()].clone(),
                _ => (0..rng.below(64)).map(|_| rng.next_u64() as u8).collect(),
            };
            for _ in 0..rng.below(4) {
                if !b.is_empty() {
                    let at = rng.below(b.len() as u64) as usize;
                    b[at] = rng.next_u64() as u8;
                }
            }
            if rng.below(8) == 0 {
                b.truncate(rng.below(40) as usize);
            }
            let _ = check(&b, i % 2 == 0);
            let p = Packet::new_unchecked(&b[..]);
            let _ = (p.auth_section(), p.diag(), p.state(), p.flags());
            if let Ok(repr) = Repr::parse(&p) {
                let mut out = vec![0u8; repr.buffer_len()];
                repr.emit(&mut Packet::new_unchecked(&mut out[..])).unwrap();
                assert_eq!(out[..], b[..usize::from(p.length())]);
            }
            if let Ok(repr) = receive(&b, i % 2 == 0) {
                assert_eq!(repr.buffer_len(), usize::from(p.length()));
            }
        }
    }
}
