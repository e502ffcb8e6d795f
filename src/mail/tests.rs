use super::message::{compose, date, real_server, vrrp};
use super::*;
use crate::vrrp::State;

#[test]
fn queue_is_bounded_and_counts() {
    let mut q = Queue::new(2);
    assert!(q.push(1));
    assert!(q.push(2));
    assert!(!q.push(3));
    assert_eq!(q.len(), 2);
    assert_eq!(q.pop(), Some(1));
    q.ended(true);
    q.ended(false);
    assert_eq!(
        q.counters,
        Counters {
            queued: 2,
            sent: 1,
            failed: 1,
            dropped: 1
        }
    );
}

#[test]
fn rfc5322_dates() {
    assert_eq!(date(0, 0), "Thu, 01 Jan 1970 00:00:00 +0000");
    // 2026-12-07 17:26:38 UTC, a Monday.
    assert_eq!(date(1_796_664_398, 0), "Mon, 07 Dec 2026 17:26:38 +0000");
    assert_eq!(date(1_796_664_398, 3600), "Mon, 07 Dec 2026 18:26:38 +0100");
    assert_eq!(
        date(1_796_664_398, -5 * 3600 - 1800),
        "Mon, 07 Dec 2026 11:56:38 -0530"
    );
    // A leap day, and the day before the epoch.
    assert_eq!(date(951_782_400, 0), "Tue, 29 Feb 2000 00:00:00 +0000");
    assert_eq!(date(-1, 0), "Wed, 31 Dec 1969 23:59:59 +0000");
    // Never panics at the ends.
    let _ = date(i64::MAX, i32::MAX);
    let _ = date(i64::MIN, i32::MIN);
}

#[test]
fn keepalived_words() {
    let m = vrrp("r1", "VI_1", false, State::Master);
    assert_eq!(m.subject, "[r1] VRRP Instance VI_1 - Entering MASTER state");
    assert_eq!(m.body, "=> VRRP Instance is now owning VRRP VIPs <=");
    let m = vrrp("r1", "VI_1", false, State::Backup);
    assert_eq!(m.body, "=> VRRP Instance is no longer owning VRRP VIPs <=");
    let m = vrrp("r1", "VI_1", false, State::Init);
    assert_eq!(m.subject, "[r1] VRRP Instance VI_1 - Stopping");
    let m = vrrp("r1", "G", true, State::Fault);
    assert_eq!(m.subject, "[r1] VRRP Group G - Entering FAULT state");
    assert_eq!(
        m.body,
        "=> All VRRP group instances are now in FAULT state <="
    );
    let m = real_server(
        "r1",
        "[10.0.0.2]:tcp:80",
        "[10.0.0.1]:tcp:80",
        false,
        "TCP_CHECK",
        false,
    );
    assert_eq!(
        m.subject,
        "[r1] Realserver [10.0.0.2]:tcp:80 of virtual server [10.0.0.1]:tcp:80 - DOWN"
    );
    assert_eq!(m.body, "=> TCP CHECK failed on service <=");
    let m = real_server("r1", "a", "b", true, "HTTP_GET", true);
    assert_eq!(m.body, "=> HTTP CHECK succeed on service <=");
    let m = message::virtual_server(
        "r1",
        "[10.0.0.1]:tcp:80",
        false,
        "=> Lost quorum 1+0=1 <= 0 <=",
    );
    assert_eq!(m.subject, "[r1] Virtualserver [10.0.0.1]:tcp:80 - DOWN");
    // Cut at a character boundary.
    let long = "é".repeat(300);
    assert!(vrrp("r", &long, false, State::Master).subject.len() <= message::MAX_SUBJECT);
}

#[test]
fn composed_message() {
    let m = vrrp("r1", "VI_1", false, State::Master);
    let text = compose(
        "Thu, 01 Jan 1970 00:00:00 +0000",
        "ka@h",
        &["a@x".into(), "b@\r\nx".into()],
        &m,
    );
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\nFrom: ka@h\r\n\
         Subject: [r1] VRRP Instance VI_1 - Entering MASTER state\r\nX-Mailer: Keepalived\r\n\
         To: a@x, b@x\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n"
    );
}

#[test]
fn hosts_file_lookup() {
    let hosts = "# comment mail\n127.0.0.1 localhost\n\n10.0.0.5  Mail.example.org mail # relay\nbad line\n::1 mail6\n10.0.0.6 mail\n";
    assert_eq!(
        hosts_entry(hosts, "mail"),
        Some("10.0.0.5".parse().unwrap())
    );
    assert_eq!(
        hosts_entry(hosts, "MAIL.example.org"),
        Some("10.0.0.5".parse().unwrap())
    );
    assert_eq!(hosts_entry(hosts, "mail6"), Some("::1".parse().unwrap()));
    assert_eq!(hosts_entry(hosts, "relay"), None);
    assert_eq!(hosts_entry(hosts, "comment"), None);
    assert_eq!(hosts_entry("", "x"), None);
}
