//! Ethernet frames captured from keepalived 2.2.7 (Debian) on a veth pair, copied from
//! `reference/captures/cap_v2.txt` and `cap_v3.txt` (time stamp dropped), for the byte-vector
//! tests of every wire file.

/// VRRPv2, VRID 51, priority 150, adv 1 s, PASS "secret12", VIPs 192.168.77.100 and .101,
/// IP id 1 (cap_v2 3.313).
pub const V2_ADVERT: &str = "01005e000012ca095b666bec080045c0002c00010000ff70cce4c0a84d01e0000012\
                             213396020101be2fc0a84d64c0a84d657365637265743132";
/// The same instance's priority-0 advert on shutdown, IP id 4 (cap_v2 5.886).
pub const V2_PRIO0: &str = "01005e000012ca095b666bec080045c0002c00040000ff70cce1c0a84d01e0000012\
                            2133000201015430c0a84d64c0a84d657365637265743132";
/// Gratuitous ARP for 192.168.77.100 from ca:09:5b:66:6b:ec (cap_v2 3.314).
pub const GARP: &str = "ffffffffffffca095b666bec08060001080006040001ca095b666becc0a84d64\
                        ffffffffffffc0a84d64";
/// Gratuitous ARP for 192.168.77.102 from the VMAC 00:00:5e:00:01:34 (cap_v3 1.757).
pub const GARP_VMAC: &str = "ffffffffffff00005e0001340806000108000604000100005e000134c0a84d66\
                             ffffffffffffc0a84d66";
/// VRRPv3 over IPv4 from the VMAC, VRID 52, priority 100, 50 cs, VIP 192.168.77.102, checksum
/// with keepalived's IPv4 pseudo-header (cap_v3 1.754).
pub const V3_V4: &str = "01005e00001200005e000134080045c0002000010000ff70ccf0c0a84d01e0000012\
                         3134640100326e50c0a84d66";
/// Its priority-0 advert, IP id 12 (cap_v3 6.918).
pub const V3_V4_PRIO0: &str = "01005e00001200005e000134080045c00020000c0000ff70cce5c0a84d01e0000012\
                               313400010032d250c0a84d66";
/// VRRPv3 over IPv6, VRID 53, priority 200, 25 cs, VIPs fe80::53 and 2001:db8::53 (cap_v3 0.754).
pub const V3_V6: &str = "333300000012e2df2fb81b3086dd6c04cec8002870fffe80000000000000e0df2ffffeb81b30\
                         ff0200000000000000000000000000123135c8020019b0d8\
                         fe80000000000000000000000000005320010db8000000000000000000000053";
/// Its priority-0 advert (cap_v3 6.918).
pub const V3_V6_PRIO0: &str = "333300000012e2df2fb81b3086dd6c04cec8002870fffe80000000000000e0df2ffffeb81b30\
                               ff02000000000000000000000000001231350002001978d9\
                               fe80000000000000000000000000005320010db8000000000000000000000053";
/// Unsolicited NA for fe80::53 from e2:df:2f:b8:1b:30 (cap_v3 0.754).
pub const NA_LINK_LOCAL: &str = "333300000001e2df2fb81b3086dd6000000000203afffe800000000000000000000000000053\
                                 ff02000000000000000000000000000188002b3020000000\
                                 fe8000000000000000000000000000530201e2df2fb81b30";
/// Unsolicited NA for 2001:db8::53 (cap_v3 0.754).
pub const NA_GLOBAL: &str = "333300000001e2df2fb81b3086dd6000000000203aff20010db8000000000000000000000053\
                             ff0200000000000000000000000000018800ccbf2000000020010db8000000000000\
                             0000000000530201e2df2fb81b30";
/// A router solicitation from the kernel (ICMPv6 type 133), not a neighbour advertisement
/// (cap_v3 0.376).
pub const ROUTER_SOLICIT: &str = "333300000002e2df2fb81b3086dd6000000000103afffe80000000000000e0df2ffffeb81b30\
                                  ff0200000000000000000000000000028500239e000000000101e2df2fb81b30";
/// An IGMPv3 report from the kernel: IPv4 with a 4-byte option (IHL 6, router alert), DF set,
/// TTL 1 (cap_v2 0.880).
pub const IGMP: &str = "01005e000016ca095b666bec080046c00028000040000102f64fc0a84d01e0000016\
                        940400002200f9eb0000000104000000e0000012";

/// VRRPv2 with `auth_type AH`, `auth_pass secret12`: VRID 51, priority 150, VIPs
/// 192.168.77.100 and .101, multicast; IP protocol 51, AH {next header 112, payload length 4,
/// SPI 192.168.77.1, sequence 1, ICV}, then the VRRP message with auth type 2 and zero auth data
/// (keepalived 2.2.7 on a veth pair, 2026-12-07, `tcpdump -xx`).
pub const AH_ADVERT: &str = "01005e00001286122aa1eba1080045c0004400010000ff33cd09c0a84d01e0000012\
                             70040000c0a84d010000000122b3b635903d4463fc9919ac\
                             2133960202012aaec0a84d64c0a84d650000000000000000";
/// The next advert of the same instance: IP id 2, sequence 2.
pub const AH_ADVERT_2: &str = "01005e00001286122aa1eba1080045c0004400020000ff33cd08c0a84d01e0000012\
                               70040000c0a84d0100000002d8f99772a516c8c57f2c6191\
                               2133960202012aaec0a84d64c0a84d650000000000000000";
/// `auth_pass abc` (the key zero padded to 8 bytes), VRID 52: the priority-0 advert on
/// shutdown, sequence 2.
pub const AH_PRIO0_ABC: &str = "01005e00001286122aa1eba1080045c0004400020000ff33cd08c0a84d01e0000012\
                                70040000c0a84d010000000245d5a0a6d2bf98766026526f\
                                213400020201c0adc0a84d64c0a84d650000000000000000";
/// Unicast (`unicast_peer 192.168.77.2`), `auth_pass secret12`, VRID 53, VIP 192.168.77.103,
/// sequence 3: TTL 255 on the wire, 0 in the ICV computation.
pub const AH_UNICAST: &str = "8ab9b4cb6be186122aa1eba1080045c0004000030000ff339f73c0a84d01c0a84d02\
                              70040000c0a84d0100000003af3cd1fe1e94fe9e6fc2a35c\
                              21359601020138b8c0a84d670000000000000000";

/// BFD control packet in Down state from keepalived's `bfd_instance BFD1` (min_rx 50 ms, idle_tx
/// 1 s, multiplier 3), UDP 53345 -> 3784, TTL 255 (cap_bfd 0.792).
pub const BFD_DOWN: &str = "020000000002d68286904133080045000034fdac4000ff1162b7c0a84d01c0a84d02\
                            d0610ec800201b862040031838e9e22b00000000000f42400000c35000000000";

/// Every capture above, for the property tests.
pub const CAPTURES: [&str; 12] = [
    V2_ADVERT,
    V2_PRIO0,
    GARP,
    GARP_VMAC,
    V3_V4,
    V3_V4_PRIO0,
    V3_V6,
    V3_V6_PRIO0,
    NA_LINK_LOCAL,
    NA_GLOBAL,
    ROUTER_SOLICIT,
    IGMP,
];

/// The bytes of a hex string (whitespace ignored). Test data only: panics on bad hex.
pub fn frame(hex: &str) -> Vec<u8> {
    let digits: Vec<u8> = hex
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => panic!("bad hex digit {:?}", b as char),
        })
        .collect();
    assert!(digits.len().is_multiple_of(2), "odd number of hex digits");
    digits.chunks(2).map(|p| p[0] << 4 | p[1]).collect()
}

/// The IP datagram inside an Ethernet frame (what a raw socket delivers).
pub fn datagram(hex: &str) -> Vec<u8> {
    frame(hex).split_off(14)
}
