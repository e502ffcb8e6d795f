//! The alerts' words and the message around them, as keepalived 2.2.7 writes them
//! (`core/smtp.c`, `vrrp/vrrp_notify.c`, the checkers): pure, the time comes in as an argument.
//!
//! ```text
//! Date: Mon, 07 Dec 2026 17:26:38 +0000
//! From: keepalived@host
//! Subject: [router_id] VRRP Instance VI_1 - Entering MASTER state
//! X-Mailer: Keepalived
//! To: a@example.org, b@example.org
//!
//! => VRRP Instance is now owning VRRP VIPs <=
//!
//! ```
//!
//! The subject is cut to 255 bytes and the body to 511 (keepalived's buffers), at a character
//! boundary; line ends are removed from what goes into a header.

use super::smtp::one_line;
use crate::vrrp::State;

/// An alert's subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub body: String,
}

/// The longest subject and body (keepalived's `MAX_HEADERS_LENGTH` and `MAX_BODY_LENGTH`, less
/// their NUL).
pub const MAX_SUBJECT: usize = 255;
pub const MAX_BODY: usize = 511;

fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// A VRRP instance (`group` false) or sync group entering `state` (`Init` is keepalived's
/// STOP): keepalived's `vrrp_smtp_notifier` and `vrrp_sync_smtp_notifier`.
pub fn vrrp(router_id: &str, name: &str, group: bool, state: State) -> Message {
    let what = match state {
        State::Master => "Entering MASTER state",
        State::Backup => "Entering BACKUP state",
        State::Fault => "Entering FAULT state",
        State::Init => "Stopping",
    };
    let body = match (group, state) {
        (false, State::Master) => "=> VRRP Instance is now owning VRRP VIPs <=",
        (false, State::Backup | State::Fault) => {
            "=> VRRP Instance is no longer owning VRRP VIPs <="
        }
        (false, State::Init) => "=> VRRP Instance stopping <=",
        (true, State::Master) => "=> All VRRP group instances are now in MASTER state <=",
        (true, State::Backup) => "=> All VRRP group instances are now in BACKUP state <=",
        (true, State::Fault) => "=> All VRRP group instances are now in FAULT state <=",
        (true, State::Init) => "=> All VRRP group instances are now stopping <=",
    };
    let kind = if group { "Group" } else { "Instance" };
    Message {
        subject: cut(
            format!("[{router_id}] VRRP {kind} {name} - {what}"),
            MAX_SUBJECT,
        ),
        body: body.to_string(),
    }
}

/// A check of real server `rs` (keepalived's `[IP]:PROTO:PORT`) of virtual server `vs` went
/// up or down; `alive` is the real server's state after it. `check` is the checker's keyword
/// (`TCP_CHECK`, ...): the body is keepalived's TCP_CHECK, MISC_CHECK and UDP_CHECK wording
/// for every kind ("=> TCP CHECK failed on service <=").
pub fn real_server(
    router_id: &str,
    rs: &str,
    vs: &str,
    alive: bool,
    check: &str,
    up: bool,
) -> Message {
    let kind = check.strip_suffix("_CHECK").unwrap_or(check);
    let kind = kind.strip_suffix("_GET").unwrap_or(kind);
    Message {
        subject: cut(
            format!(
                "[{router_id}] Realserver {rs} of virtual server {vs} - {}",
                if alive { "UP" } else { "DOWN" }
            ),
            MAX_SUBJECT,
        ),
        body: format!(
            "=> {kind} CHECK {} on service <=",
            if up { "succeed" } else { "failed" }
        ),
    }
}

/// Virtual server `vs` gained (`up`) or lost its quorum; `body` says how (keepalived's
/// `do_vs_notifies`).
pub fn virtual_server(router_id: &str, vs: &str, up: bool, body: &str) -> Message {
    Message {
        subject: cut(
            format!(
                "[{router_id}] Virtualserver {vs} - {}",
                if up { "UP" } else { "DOWN" }
            ),
            MAX_SUBJECT,
        ),
        body: body.to_string(),
    }
}

/// RFC 5322 3.3 date, as keepalived's `strftime("%a, %d %b %Y %H:%M:%S %z")`: `unix` seconds
/// since the epoch in a zone `offset` seconds east of UTC.
pub fn date(unix: i64, offset: i32) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = unix.saturating_add(i64::from(offset));
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs() / 60;
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1).clamp(0, 11) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        off / 60,
        off % 60,
    )
}

/// The message DATA carries: keepalived's headers (Date, From, Subject, X-Mailer, To with the
/// recipients joined by `, `), an empty line, the body and an empty line.
pub fn compose(date: &str, from: &str, to: &[String], m: &Message) -> Vec<u8> {
    let to: Vec<String> = to.iter().map(|t| one_line(t)).collect();
    format!(
        "Date: {date}\r\nFrom: {}\r\nSubject: {}\r\nX-Mailer: Keepalived\r\nTo: {}\r\n\r\n{}\r\n\r\n",
        one_line(from),
        one_line(&m.subject),
        to.join(", "),
        cut(m.body.clone(), MAX_BODY)
    )
    .into_bytes()
}
