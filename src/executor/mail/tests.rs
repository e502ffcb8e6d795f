//! Which events mail (the sessions themselves are in `conformance/alerts.rs`): each mail
//! queued counts once in `queued` (the sessions to 127.0.0.1:1 fail, which is not counted
//! here).

use super::*;
use crate::executor::check::RsAlert;
use crate::reactor::{Reactor, ReactorConfig};

const CONF: &str = "global_defs {
  notification_email {
    a@example.org
  }
  smtp_server 127.0.0.1 1
  no_email_faults
}
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 1
  priority 100
  smtp_alert
  virtual_ipaddress {
    192.0.2.1
  }
}
vrrp_instance VI_2 {
  interface lo
  virtual_router_id 2
  priority 100
  virtual_ipaddress {
    192.0.2.2
  }
}
vrrp_instance VI_3 {
  interface lo
  virtual_router_id 3
  priority 100
  virtual_ipaddress {
    192.0.2.3
  }
}
vrrp_sync_group G1 {
  group {
    VI_3
  }
  smtp_alert
}
";

fn setup(conf: &str) -> (Reactor<MailKey>, MailExecutor) {
    let (cfg, _) = crate::config::testutil::load(conf);
    let r = Reactor::new(&ReactorConfig {
        ignore_sigint: false,
    })
    .expect("reactor");
    (r, MailExecutor::new(&cfg))
}

fn at(ms: u64) -> Instant {
    Instant::from_nanos(1_000_000_000 + ms * 1_000_000)
}

#[test]
fn vrrp_mails_once_per_change_and_groups_follow_their_members() {
    let (mut r, mut m) = setup(CONF);
    assert!(m.enabled());
    let queued = |m: &MailExecutor| m.counters().queued;
    let core = r.core();
    m.vrrp(core, at(0), false, "VI_1", State::Backup);
    assert_eq!(queued(&m), 1);
    // The same state again (a reload announces every state): nothing.
    m.vrrp(core, at(1), false, "VI_1", State::Backup);
    // VI_2 has no smtp_alert and no global default: off (keepalived's default for VRRP).
    m.vrrp(core, at(2), false, "VI_2", State::Master);
    // no_email_faults.
    m.vrrp(core, at(3), false, "VI_1", State::Fault);
    assert_eq!(queued(&m), 1);
    m.vrrp(core, at(4), false, "VI_1", State::Master);
    assert_eq!(queued(&m), 2);
    // VI_3 does not mail, its group does: BACKUP after its first member's.
    m.vrrp(core, at(5), false, "VI_3", State::Backup);
    assert_eq!(queued(&m), 3);
    m.vrrp(core, at(6), true, "G1", State::Master);
    assert_eq!(queued(&m), 4);
    // Stopping, for the group only while the daemon stops.
    m.vrrp(core, at(7), false, "VI_3", State::Init);
    assert_eq!(queued(&m), 4);
    m.vrrp(core, at(8), false, "VI_3", State::Master);
    m.stop(core, at(9));
    m.vrrp(core, at(10), false, "VI_3", State::Init);
    assert_eq!(queued(&m), 5);
}

#[test]
fn checks_mail_by_default_quorums_do_not() {
    let (mut r, mut m) = setup(CONF);
    let core = r.core();
    let server = |alive_changed| {
        CheckAlert::Server(RsAlert {
            vs: "[192.0.2.9]:tcp:80".into(),
            rs: "[192.0.2.10]:tcp:80".into(),
            check: "TCP_CHECK",
            up: false,
            alive: false,
            alive_changed,
            smtp_alert: None,
        })
    };
    m.check(core, at(0), &server(false));
    assert_eq!(m.counters().queued, 1);
    let quorum = |smtp_alert| CheckAlert::Quorum {
        vs: "[192.0.2.9]:tcp:80".into(),
        up: false,
        body: "=> Lost quorum 1+0=1 <= 0 <=".into(),
        smtp_alert,
    };
    m.check(core, at(1), &quorum(None));
    assert_eq!(m.counters().queued, 1);
    m.check(core, at(2), &quorum(Some(true)));
    assert_eq!(m.counters().queued, 2);

    // no_checker_emails: only a check that changed whether the server is alive.
    let (mut r, mut m) = setup(&CONF.replace("no_email_faults", "no_checker_emails"));
    let core = r.core();
    m.check(core, at(0), &server(false));
    assert_eq!(m.counters().queued, 0);
    m.check(core, at(1), &server(true));
    assert_eq!(m.counters().queued, 1);
}

#[test]
fn nothing_without_recipients_or_server() {
    let (mut r, mut m) = setup(&CONF.replace("smtp_server 127.0.0.1 1", ""));
    assert!(!m.enabled());
    m.vrrp(r.core(), at(0), false, "VI_1", State::Master);
    assert_eq!(m.counters(), Counters::default());
    assert_eq!(m.pending(), 0);
}
