//! The parameters of a VRRP instance, as the machine takes them: what the executor makes of the
//! configuration (see `executor::vrrp::params`), normalized once when a machine is created
//! (VRRPv3 intervals in whole centiseconds, `down_timer_adverts` within 1..=100).

use std::net::IpAddr;
use std::time::Duration;

use crate::config::vrrp::Family;

use super::instance::StartState;

/// A `unicast_peer` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The peer's address (advert destination, and expected source with `check_unicast_src`).
    pub addr: IpAddr,
    /// Accepted TTL range when `check_unicast_src` is on (keepalived default 0..=255).
    pub min_ttl: u8,
    pub max_ttl: u8,
}

impl Peer {
    /// A peer accepting any TTL.
    pub fn new(addr: IpAddr) -> Peer {
        Peer {
            addr,
            min_ttl: 0,
            max_ttl: 255,
        }
    }
}

/// VRRPv2 authentication (`authentication { auth_type ...; auth_pass ... }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Auth {
    #[default]
    None,
    /// Simple password: `auth_pass` truncated to 8 bytes, zero padded.
    Pass([u8; 8]),
    /// IPv4 AH (HMAC-MD5-96) keyed with `auth_pass` truncated to 8 bytes, zero padded; the
    /// executor checks the header ([`crate::wire::ah`]) and reports it in [`Advert::ah`].
    Ah([u8; 8]),
}

impl Auth {
    /// `auth_type PASS` with `auth_pass pw` (truncated to 8 bytes as keepalived does).
    pub fn pass(pw: &str) -> Auth {
        let mut b = [0u8; 8];
        for (d, s) in b.iter_mut().zip(pw.as_bytes()) {
            *d = *s;
        }
        Auth::Pass(b)
    }

    /// The value of the VRRPv2 Auth Type field.
    pub fn type_code(&self) -> u8 {
        match self {
            Auth::None => 0,
            Auth::Pass(_) => 1,
            Auth::Ah(_) => 2,
        }
    }
}

/// Gratuitous ARP / unsolicited NA settings (the executor paces the packets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Garp {
    /// Second burst this long after becoming master (`garp_master_delay`, 5 s; zero: none).
    pub master_delay: Duration,
    /// Packets per VIP in a burst on becoming master (`garp_master_repeat`, 5).
    pub master_repeat: u32,
    /// Periodic refresh while master (`garp_master_refresh`, zero: off).
    pub master_refresh: Duration,
    /// Packets per VIP in a refresh (`garp_master_refresh_repeat`, 1).
    pub master_refresh_repeat: u32,
    /// Second burst after a lower-priority advert (`garp_lower_prio_delay`, = master delay).
    pub lower_prio_delay: Duration,
    /// Packets per VIP when a lower-priority advert arrives (`garp_lower_prio_repeat`,
    /// = master repeat; zero: none).
    pub lower_prio_repeat: u32,
}

impl Default for Garp {
    /// keepalived's defaults (`VRRP_GARP_*` in `vrrp.h`).
    fn default() -> Garp {
        Garp {
            master_delay: Duration::from_secs(5),
            master_repeat: 5,
            master_refresh: Duration::ZERO,
            master_refresh_repeat: 1,
            lower_prio_delay: Duration::from_secs(5),
            lower_prio_repeat: 5,
        }
    }
}

/// The configuration of one instance, already resolved against `global_defs` by the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// The instance name (`VI_1`), used in log lines.
    pub name: String,
    /// `virtual_router_id` 1..=255.
    pub vrid: u8,
    /// 2 or 3 (anything else is taken as 2).
    pub version: u8,
    /// Address family of the VIPs and the adverts.
    pub family: Family,
    /// Base priority 1..=255; 255 is the address owner (0 is taken as 1).
    pub priority: u8,
    /// `advert_int`: v2 whole seconds 1..=255, v3 centiseconds 1..=4095 (rounded and clamped).
    pub advert_int: Duration,
    /// `nopreempt` (keepalived's `preempt` keyword clears it): a backup never takes over from a
    /// lower-priority master that is alive.
    pub nopreempt: bool,
    /// `preempt_delay`: after startup or after first seeing a lower-priority master, wait this
    /// long before preempting it (zero: off).
    pub preempt_delay: Duration,
    /// `state MASTER|BACKUP`: the initial wish.
    pub initial: StartState,
    /// Primary address: the advert source and the tie-breaker (`unicast_src_ip`/`mcast_src_ip` or
    /// the interface's address).
    pub primary_addr: IpAddr,
    /// `virtual_ipaddress` addresses, in configuration order (the advert's address list).
    pub vips: Vec<IpAddr>,
    /// `down_timer_adverts` 1..=100 (default 3).
    pub down_timer_adverts: u8,
    /// `lower_prio_no_advert`: do not answer a lower-priority advert (RFC 5798 behaviour).
    pub lower_prio_no_advert: bool,
    /// `higher_prio_send_advert`: send an advert before yielding to a higher priority.
    pub higher_prio_send_advert: bool,
    /// `unicast_peer`: empty for a multicast instance.
    pub unicast_peers: Vec<Peer>,
    /// `check_unicast_src` (instance or global).
    pub check_unicast_src: bool,
    /// `skip_check_adv_addr`: skip the address checks for the known master.
    pub skip_check_adv_addr: bool,
    /// `owner_ignore_adverts`: an address owner ignores every advert.
    pub owner_ignore_adverts: bool,
    /// VRRPv2 authentication.
    pub auth: Auth,
    /// `accept` / `no_accept`: when false (and not owner) the executor blocks traffic to the VIPs.
    pub accept: bool,
    /// Gratuitous ARP / NA bursts.
    pub garp: Garp,
    /// `vrrp_startup_delay`: time from creation to the first state.
    pub startup_delay: Duration,
    /// A member of a `vrrp_sync_group` ([`super::sync`]): the machine then never becomes MASTER
    /// nor leaves FAULT on its own. It reports what it would do ([`Event::Want`], keepalived's
    /// `wantstate`) and its [`super::SyncGroup`] answers with [`Input::Sync`].
    pub sync_member: bool,
}

impl Params {
    /// keepalived's defaults: VRRPv2, priority 100, `advert_int 1`, `state BACKUP`, preemption
    /// on, `down_timer_adverts 3`, accept mode, GARP defaults, no VIPs.
    pub fn new(name: &str, vrid: u8, primary_addr: IpAddr) -> Params {
        Params {
            name: name.to_string(),
            vrid,
            version: 2,
            family: Family::of(primary_addr),
            priority: 100,
            advert_int: Duration::from_secs(1),
            nopreempt: false,
            preempt_delay: Duration::ZERO,
            initial: StartState::Backup,
            primary_addr,
            vips: Vec::new(),
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            unicast_peers: Vec::new(),
            check_unicast_src: false,
            skip_check_adv_addr: false,
            owner_ignore_adverts: false,
            auth: Auth::None,
            accept: true,
            garp: Garp::default(),
            startup_delay: Duration::ZERO,
            sync_member: false,
        }
    }

    /// Brings every field into its valid range (see the field docs); never fails.
    pub(super) fn normalized(mut self) -> Params {
        self.version = if self.version == 3 { 3 } else { 2 };
        self.priority = self.priority.max(1);
        self.advert_int = if self.version == 2 {
            let s = (self.advert_int.as_millis() + 500) / 1000;
            Duration::from_secs(s.clamp(1, 255) as u64)
        } else {
            clamp_v3_interval(self.advert_int)
        };
        self.down_timer_adverts = self.down_timer_adverts.clamp(1, 100);
        self
    }
}

/// Rounds to whole centiseconds within the 12-bit field: 10 ms ..= 40.95 s.
pub(super) fn clamp_v3_interval(d: Duration) -> Duration {
    let cs = (d.as_micros() + 5_000) / 10_000;
    Duration::from_millis(cs.clamp(1, 4095) as u64 * 10)
}
