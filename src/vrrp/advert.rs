//! Adverts between the wire codec and the machine, both ways, pure: what a parsed
//! [`wv::Repr`] means to an [`Instance`](super::Instance) ([`from_wire`]), which [`Input`] a
//! received advert is given the checksum variant the instance checks ([`classify`]), and the
//! [`wv::Repr`] an [`AdvertOut`] is sent as ([`to_wire`]).
//!
//! Invariants: the units follow the version (v2 `advert_int` in whole seconds, clamped to
//! 1..=255 when sent; v3 `max_advert_int` in centiseconds, 12 bits); a v3 advert carries no
//! authentication (type 0, zero data); only VRRPv3 over IPv4 has more than one checksum form, so
//! only there is a peer's other form reported for the machine to follow.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::config::vrrp::Family;
use crate::wire::IpPair;
use crate::wire::vrrp::{self as wv, Addresses, ChecksumVariant};

use super::instance::{AdvertOut, Auth, Input};
use super::validate::{Advert, DropReason, RxMeta};

/// The machine's view of `repr`, its addresses already copied into `addrs`.
pub fn from_wire<'a>(repr: &wv::Repr<'_>, addrs: &'a [IpAddr]) -> Advert<'a> {
    let (interval, auth_type, auth_data) = match repr.version {
        wv::Version::V2 {
            auth_type,
            advert_int,
            auth_data,
        } => (
            Duration::from_secs(u64::from(advert_int)),
            u8::from(auth_type),
            auth_data,
        ),
        wv::Version::V3 { max_advert_int, .. } => (
            Duration::from_millis(u64::from(max_advert_int & 0x0fff) * 10),
            0,
            [0; 8],
        ),
    };
    Advert {
        version: repr.version.number(),
        kind: u8::from(repr.msg_type),
        vrid: repr.vrid,
        priority: repr.priority,
        interval,
        addrs,
        auth_type,
        auth_data,
        ah: None,
    }
}

/// Whether an instance of `version` over `family` follows a peer's checksum variant (keepalived
/// learns it only for VRRPv3 over IPv4, the one case with several forms).
pub fn follows_checksum(version: u8, family: Family) -> bool {
    version == 3 && family == Family::Inet
}

/// The input for an instance that checks `variant` (and, when `follows`, may adopt another):
/// the advert when its checksum verifies; [`Input::AdvertOtherChecksum`] when it verifies only
/// under another variant the instance may follow (the machine decides, `Action::AdoptChecksum`);
/// else a checksum drop.
pub fn classify<'a>(
    pkt: &wv::Packet<&[u8]>,
    pair: &IpPair,
    variant: ChecksumVariant,
    follows: bool,
    group4: Ipv4Addr,
    advert: Advert<'a>,
    meta: RxMeta,
) -> Input<'a> {
    if pkt.verify_checksum(pair, variant) {
        return Input::Advert { advert, meta };
    }
    match follows
        .then(|| pkt.detect_checksum_variant(pair, group4))
        .flatten()
        .filter(|&v| v != variant)
    {
        Some(variant) => Input::AdvertOtherChecksum {
            advert,
            meta,
            variant,
        },
        None => Input::Malformed {
            src: meta.src,
            reason: DropReason::Checksum,
        },
    }
}

/// The wire form of `a` from an instance with `auth`, carrying `addresses`.
pub fn to_wire<'a>(a: &AdvertOut, auth: &Auth, addresses: Addresses<'a>) -> wv::Repr<'a> {
    let version = if a.version == 3 {
        wv::Version::V3 {
            max_advert_int: (a.interval.as_millis() / 10).min(4095) as u16,
            reserved: 0,
        }
    } else {
        let (auth_type, auth_data) = match *auth {
            Auth::Pass(pw) => (wv::AuthType::Pass, pw),
            Auth::Ah(_) => (wv::AuthType::Ah, [0; 8]),
            Auth::None => (wv::AuthType::None, [0; 8]),
        };
        wv::Version::V2 {
            auth_type,
            advert_int: a.interval.as_secs().clamp(1, 255) as u8,
            auth_data,
        }
    };
    wv::Repr {
        version,
        msg_type: wv::Type::Advertisement,
        vrid: a.vrid,
        priority: a.priority,
        addresses,
    }
}

#[cfg(test)]
mod tests;
