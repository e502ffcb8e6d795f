//! `enable_dbus`: keepalived's DBus service (`org.keepalived.Vrrp1`) on the system bus, over the
//! loop, with the codec of [`crate::wire::dbus`].
//!
//! Objects, as keepalived 2.2.7 (built with DBus, without `--enable-dbus-create-instance`)
//! serves them:
//! - `/org/keepalived/Vrrp1/Vrrp`, interface `org.keepalived.Vrrp1.Vrrp`: methods `PrintData`,
//!   `PrintStats`, `PrintStatsClear`, `ReloadConfig` (what SIGUSR1, SIGUSR2, SIGRTMIN+2 and
//!   SIGHUP do); signals `VrrpStarted` (once the name is requested), `VrrpReloaded`,
//!   `VrrpStopped`;
//! - `/org/keepalived/Vrrp1/Instance/<interface>/<vrid>/<IPv4|IPv6>` per VRRP instance,
//!   interface `org.keepalived.Vrrp1.Instance`: properties `Name` (`(s)`) and `State` (`(us)`:
//!   keepalived's number and name), method `SendGarp`, signal `VrrpStatusChange` (`u`) on every
//!   change of state (98, keepalived's STOP, when the daemon stops);
//! - `org.freedesktop.DBus.Introspectable`, `.Properties` and `.Peer` on each, and child nodes
//!   introspected as GDBus lists them.
//!
//! The connection never blocks the loop: a non-blocking Unix socket, what is to be sent
//! buffered (at most [`MAX_OUT`] bytes) and written on writable readiness, what arrives read
//! until `WouldBlock` and handled message by message. When the bus goes away (or says
//! something that is not DBus) the service reconnects after a back-off doubling from
//! [`RETRY_MIN`] to [`RETRY_MAX`] (logged as a warning once, the failed retries at debug level);
//! signals raised while it is away are lost.
#![cfg_attr(not(feature = "dbus"), allow(dead_code, unused_imports))]

use std::io::{self, Read, Write};
use std::time::Duration;

use log::{debug, info, warn};
use mio::net::UnixStream;
use mio::{Interest, Token};

use super::subsystem::{Dump, Event, Subsystem};
use crate::config::Config;
use crate::config::vrrp::Family;
use crate::reactor::{Core, TimerId};
use crate::time::Instant;
use crate::vrrp::State;
use crate::wire::dbus::{self as wire, Header, Message, Reader, Writer};

/// keepalived's service name.
pub const DEFAULT_NAME: &str = "org.keepalived.Vrrp1";
const VRRP_PATH: &str = "/org/keepalived/Vrrp1/Vrrp";
const INSTANCE_PATH: &str = "/org/keepalived/Vrrp1/Instance";
const VRRP_IFACE: &str = "org.keepalived.Vrrp1.Vrrp";
const INSTANCE_IFACE: &str = "org.keepalived.Vrrp1.Instance";
const BUS: &str = "org.freedesktop.DBus";
/// keepalived's VRRP_STATE_STOP, sent in `VrrpStatusChange` when the daemon stops.
const STOP: u32 = 98;
/// The most bytes waiting to be sent; past it the bus is too slow and the connection restarts.
pub const MAX_OUT: usize = 4 << 20;
pub const RETRY_MIN: Duration = Duration::from_millis(500);
pub const RETRY_MAX: Duration = Duration::from_secs(30);

/// What a method call asks of the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    PrintData,
    PrintStats,
    PrintStatsClear,
    Reload,
    SendGarp(String),
}

struct Obj {
    name: String,
    path: String,
    state: u32,
}

struct Conn {
    /// A build without the feature `dbus` (the router build) can make no connection: the
    /// compiler then drops everything only a connection reaches (the codec, the objects).
    #[cfg(not(feature = "dbus"))]
    never: std::convert::Infallible,
    stream: UnixStream,
    token: Token,
    authed: bool,
    rbuf: Vec<u8>,
    wbuf: Vec<u8>,
}

/// The service. `K` is the loop's key: `io_key` for the socket, `timer_key` for the back-off.
pub struct DbusService<K> {
    enabled: bool,
    name: String,
    conn: Option<Conn>,
    retry: Option<TimerId>,
    backoff: Duration,
    objs: Vec<Obj>,
    requests: Vec<Request>,
    serial: u32,
    /// The serial of our RequestName call (its answer says whether we own the name).
    name_serial: u32,
    started: bool,
    /// The daemon is stopping: the instances' last word was STOP.
    stopping: bool,
    io_key: K,
    timer_key: K,
}

/// keepalived's state numbers and names.
fn state_num(s: State) -> u32 {
    match s {
        State::Init => 0,
        State::Backup => 1,
        State::Master => 2,
        State::Fault => 3,
    }
}

fn state_name(n: u32) -> &'static str {
    match n {
        0 => "Init",
        1 => "Backup",
        2 => "Master",
        3 => "Fault",
        STOP => "Stop",
        _ => "Unknown",
    }
}

/// An object path element: keepalived replaces what a path may not hold with `_`.
fn element(s: &str) -> String {
    let e: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if e.is_empty() { "_".into() } else { e }
}

/// An instance's object path.
pub fn instance_path(interface: &str, vrid: u8, family: Family) -> String {
    let fam = if family == Family::Inet6 {
        "IPv6"
    } else {
        "IPv4"
    };
    format!("{INSTANCE_PATH}/{}/{vrid}/{fam}", element(interface))
}

/// The system bus's address: `DBUS_SYSTEM_BUS_ADDRESS`, else the standard socket.
fn bus_address() -> String {
    std::env::var("DBUS_SYSTEM_BUS_ADDRESS")
        .unwrap_or_else(|_| "unix:path=/run/dbus/system_bus_socket".into())
}

/// The first `unix:` address of a DBus address list, as a socket address.
fn socket_addr(list: &str) -> io::Result<std::os::unix::net::SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    for a in list.split(';') {
        let Some(kv) = a.strip_prefix("unix:") else {
            continue;
        };
        for kv in kv.split(',') {
            if let Some(p) = kv.strip_prefix("path=") {
                return std::os::unix::net::SocketAddr::from_pathname(unescape(p));
            }
            if let Some(p) = kv.strip_prefix("abstract=") {
                return std::os::unix::net::SocketAddr::from_abstract_name(unescape(p));
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("no unix:path= or unix:abstract= in DBus address {list:?}"),
    ))
}

/// An address value's `%xx` escapes decoded.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut o = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b.get(i), hex) {
            (Some(b'%'), Some(v)) => {
                o.push(v);
                i += 3;
            }
            (Some(&c), _) => {
                o.push(c);
                i += 1;
            }
            (None, _) => break,
        }
    }
    String::from_utf8_lossy(&o).into_owned()
}

const DOCTYPE: &str = "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n                      \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n";

/// The standard interfaces every object has, as GDBus introspects them.
const STANDARD: &str = r#"  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="out"/>
    </method>
    <method name="GetAll">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="a{sv}" name="properties" direction="out"/>
    </method>
    <method name="Set">
      <arg type="s" name="interface_name" direction="in"/>
      <arg type="s" name="property_name" direction="in"/>
      <arg type="v" name="value" direction="in"/>
    </method>
    <signal name="PropertiesChanged">
      <arg type="s" name="interface_name"/>
      <arg type="a{sv}" name="changed_properties"/>
      <arg type="as" name="invalidated_properties"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg type="s" name="xml_data" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg type="s" name="machine_uuid" direction="out"/>
    </method>
  </interface>
"#;

/// keepalived's interface XML, as its GDBus prints it (each element opened and closed on lines
/// of its own; `Name` declared `s`, served `(s)`).
fn vrrp_xml() -> String {
    let mut x = format!("  <interface name=\"{VRRP_IFACE}\">\n");
    for m in ["PrintData", "PrintStats", "PrintStatsClear", "ReloadConfig"] {
        x.push_str(&format!("    <method name=\"{m}\">\n    </method>\n"));
    }
    for s in ["VrrpStarted", "VrrpReloaded", "VrrpStopped"] {
        x.push_str(&format!("    <signal name=\"{s}\">\n    </signal>\n"));
    }
    x + "  </interface>\n"
}

const INSTANCE_XML: &str = r#"  <interface name="org.keepalived.Vrrp1.Instance">
    <method name="SendGarp">
    </method>
    <signal name="VrrpStatusChange">
      <arg type="u" name="status">
      </arg>
    </signal>
    <property type="s" name="Name" access="read">
    </property>
    <property type="(us)" name="State" access="read">
    </property>
  </interface>
"#;

/// The introspection XML of `path` among the object paths `objs` (the VRRP object first), or
/// `None` when there is nothing at or under it.
pub fn introspect<'a>(path: &str, objs: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut own = None;
    let mut children: Vec<&str> = Vec::new();
    let prefix = if path == "/" {
        "/".to_string()
    } else {
        format!("{path}/")
    };
    for o in objs {
        if o == path {
            own = Some(if o == VRRP_PATH {
                vrrp_xml()
            } else {
                INSTANCE_XML.to_string()
            });
        } else if let Some(rest) = o.strip_prefix(&prefix) {
            let child = rest.split('/').next().unwrap_or(rest);
            if !children.contains(&child) {
                children.push(child);
            }
        }
    }
    if own.is_none() && children.is_empty() {
        return None;
    }
    let mut x = format!("{DOCTYPE}<node>\n");
    if let Some(own) = own {
        x.push_str(STANDARD);
        x.push_str(&own);
    }
    for c in children {
        x.push_str(&format!("  <node name=\"{c}\"/>\n"));
    }
    x.push_str("</node>\n");
    Some(x)
}

impl<K: Copy> DbusService<K> {
    pub fn new(io_key: K, timer_key: K) -> DbusService<K> {
        DbusService {
            enabled: false,
            name: DEFAULT_NAME.into(),
            conn: None,
            retry: None,
            backoff: RETRY_MIN,
            objs: Vec::new(),
            requests: Vec::new(),
            serial: 0,
            name_serial: 0,
            started: false,
            stopping: false,
            io_key,
            timer_key,
        }
    }

    /// What the method calls since the last call asked of the daemon.
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.requests)
    }

    fn paths(&self) -> impl Iterator<Item = &str> {
        std::iter::once(VRRP_PATH).chain(self.objs.iter().map(|o| o.path.as_str()))
    }

    /// Opens the connection (the SASL exchange starts once it is writable).
    fn connect(&mut self, core: &mut Core<K>, now: Instant) {
        #[cfg(feature = "dbus")]
        self.connect_bus(core, now);
        #[cfg(not(feature = "dbus"))]
        {
            let _ = (core, now);
            warn!("enable_dbus: this build has no DBus service (cargo feature `dbus`)");
        }
    }

    #[cfg(feature = "dbus")]
    fn connect_bus(&mut self, core: &mut Core<K>, now: Instant) {
        let addr = bus_address();
        let res = socket_addr(&addr).and_then(|a| {
            let mut stream = UnixStream::connect_addr(&a)?;
            let token = core.register(
                &mut stream,
                Interest::READABLE | Interest::WRITABLE,
                self.io_key,
            )?;
            Ok(Conn {
                stream,
                token,
                authed: false,
                rbuf: Vec::new(),
                wbuf: wire::auth_request(crate::sys::geteuid()),
            })
        });
        match res {
            Ok(c) => {
                debug!("DBus: connecting to {addr}");
                self.conn = Some(c);
                self.on_io(core, now);
            }
            Err(e) => self.lost(core, now, &format!("cannot connect to {addr}: {e}")),
        }
    }

    /// The connection is gone: try again after the back-off.
    fn lost(&mut self, core: &mut Core<K>, now: Instant, why: &str) {
        if let Some(mut c) = self.conn.take() {
            let _ = core.deregister(&mut c.stream, c.token);
        }
        // The first failure after a success is a warning, the retries that fail again debug.
        let level = if self.backoff == RETRY_MIN {
            log::Level::Warn
        } else {
            log::Level::Debug
        };
        log::log!(
            level,
            "DBus: {why}; reconnecting in {} ms",
            self.backoff.as_millis()
        );
        if let Some(t) = self.retry.take() {
            core.cancel(t);
        }
        self.retry = Some(core.arm(now + self.backoff, self.timer_key));
        self.backoff = (self.backoff * 2).min(RETRY_MAX);
    }

    /// The back-off is over.
    pub fn on_timer(&mut self, core: &mut Core<K>, now: Instant) {
        self.retry = None;
        if self.enabled && self.conn.is_none() {
            self.connect(core, now);
        }
    }

    /// The socket is ready: what is buffered is written, what arrived is handled.
    pub fn on_io(&mut self, core: &mut Core<K>, now: Instant) {
        if let Err(e) = self.pump() {
            self.lost(core, now, &e);
        }
    }

    /// Writes what is buffered, outside a wake of the socket (what arrived waits for its
    /// readiness, so that method calls are read only in the socket's own wakes).
    fn write(&mut self, core: &mut Core<K>, now: Instant) {
        if let Err(e) = self.flush() {
            self.lost(core, now, &e);
        }
    }

    fn pump(&mut self) -> Result<(), String> {
        self.flush()?;
        let Some(c) = &mut self.conn else {
            return Ok(());
        };
        let mut chunk = [0u8; 8192];
        let mut eof = false;
        loop {
            match c.stream.read(&mut chunk) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => c.rbuf.extend_from_slice(chunk.get(..n).unwrap_or(&[])),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("read: {e}")),
            }
            if c.rbuf.len() > 2 * wire::MAX_MESSAGE {
                return Err("the bus sends faster than we read".into());
            }
        }
        if !c.authed {
            match wire::auth_reply(&c.rbuf) {
                Ok(None) => {}
                Ok(Some(n)) => {
                    c.rbuf.drain(..n);
                    c.authed = true;
                    c.wbuf.extend_from_slice(wire::AUTH_BEGIN);
                    self.call("Hello", "", Vec::new());
                    let mut w = Writer::new();
                    w.str(&self.name.clone());
                    w.u32(0);
                    self.call("RequestName", "su", w.buf);
                    self.name_serial = self.serial;
                }
                Err(e) => return Err(format!("authentication: {e}")),
            }
        }
        while let Some(c) = &mut self.conn
            && c.authed
        {
            let len = match wire::frame_len(&c.rbuf) {
                Ok(Some(n)) if n <= c.rbuf.len() => n,
                Ok(_) => break,
                Err(e) => return Err(format!("bad message from the bus: {e}")),
            };
            let m = wire::decode(c.rbuf.get(..len).unwrap_or(&[]));
            c.rbuf.drain(..len);
            match m {
                Ok(m) => self.handle(&m),
                Err(e) => return Err(format!("bad message from the bus: {e}")),
            }
        }
        self.flush()?;
        if eof {
            return Err("the bus closed the connection".into());
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        let Some(c) = &mut self.conn else {
            return Ok(());
        };
        while !c.wbuf.is_empty() {
            match c.stream.write(&c.wbuf) {
                Ok(0) => return Err("write: nothing written".into()),
                Ok(n) => {
                    c.wbuf.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::NotConnected => break,
                Err(e) => return Err(format!("write: {e}")),
            }
        }
        if c.wbuf.len() > MAX_OUT {
            return Err("the bus does not read what we send".into());
        }
        Ok(())
    }

    fn send(&mut self, mut h: Header, body: Vec<u8>) {
        let Some(c) = &mut self.conn else { return };
        // Past MAX_OUT the bus is not reading: the message is dropped, and the next readiness
        // (or the next message's flush) restarts the connection.
        if !c.authed || c.wbuf.len() > MAX_OUT {
            return;
        }
        self.serial = self.serial.wrapping_add(1).max(1);
        h.serial = self.serial;
        c.wbuf.extend_from_slice(&wire::encode(&h, &body));
    }

    fn call(&mut self, member: &str, sig: &str, body: Vec<u8>) {
        let to = ("/org/freedesktop/DBus", BUS, member);
        self.message(wire::METHOD_CALL, to, Some(BUS), sig, body);
    }

    fn signal(&mut self, path: &str, iface: &str, member: &str, sig: &str, body: Vec<u8>) {
        self.message(wire::SIGNAL, (path, iface, member), None, sig, body);
    }

    /// A method call or signal to `(path, interface, member)`.
    fn message(
        &mut self,
        kind: u8,
        (path, iface, member): (&str, &str, &str),
        dest: Option<&str>,
        sig: &str,
        body: Vec<u8>,
    ) {
        let h = Header {
            kind,
            path: Some(path.into()),
            interface: Some(iface.into()),
            member: Some(member.into()),
            destination: dest.map(Into::into),
            signature: sig.into(),
            ..Header::default()
        };
        self.send(h, body);
    }

    fn state_signal(&mut self, path: &str, state: u32) {
        let mut w = Writer::new();
        w.u32(state);
        self.signal(path, INSTANCE_IFACE, "VrrpStatusChange", "u", w.buf);
    }

    fn reply(&mut self, to: &Message, sig: &str, body: Vec<u8>) {
        if to.header.flags & wire::NO_REPLY_EXPECTED != 0 {
            return;
        }
        let h = Header {
            kind: wire::METHOD_RETURN,
            reply_serial: Some(to.header.serial),
            destination: to.header.sender.clone(),
            signature: sig.into(),
            ..Header::default()
        };
        self.send(h, body);
    }

    fn error(&mut self, to: &Message, name: &str, text: &str) {
        if to.header.flags & wire::NO_REPLY_EXPECTED != 0 {
            return;
        }
        let mut w = Writer::new();
        w.str(text);
        let h = Header {
            kind: wire::ERROR,
            reply_serial: Some(to.header.serial),
            destination: to.header.sender.clone(),
            error_name: Some(name.into()),
            signature: "s".into(),
            ..Header::default()
        };
        self.send(h, w.buf);
    }

    /// One message from the bus.
    fn handle(&mut self, m: &Message) {
        let h = &m.header;
        match h.kind {
            wire::METHOD_RETURN if h.reply_serial == Some(self.name_serial) => {
                // RequestName: 1 primary owner, 4 already owner.
                let code = Reader::body(m).u32().unwrap_or(0);
                if code == 1 || code == 4 {
                    info!("DBus: serving {} on the system bus", self.name);
                    self.backoff = RETRY_MIN;
                    self.signal(VRRP_PATH, VRRP_IFACE, "VrrpStarted", "", Vec::new());
                } else {
                    warn!(
                        "DBus: {} is owned by another (RequestName {code})",
                        self.name
                    );
                }
            }
            wire::ERROR => warn!(
                "DBus: the bus answered {:?}: {}",
                h.error_name,
                Reader::body(m).str().unwrap_or("")
            ),
            wire::METHOD_CALL => self.method(m),
            _ => {}
        }
    }

    fn method(&mut self, m: &Message) {
        let h = &m.header;
        let path = h.path.as_deref().unwrap_or("");
        let iface = h.interface.as_deref().unwrap_or("");
        let member = h.member.as_deref().unwrap_or("");
        let inst = self.objs.iter().position(|o| o.path == path);
        let is_vrrp = path == VRRP_PATH;
        let body = Reader::body(m);
        match (iface, member) {
            ("org.freedesktop.DBus.Introspectable" | "", "Introspect") => {
                match introspect(path, self.paths()) {
                    Some(x) => {
                        let mut w = Writer::new();
                        w.str(&x);
                        self.reply(m, "s", w.buf);
                    }
                    None => self.error(
                        m,
                        "org.freedesktop.DBus.Error.UnknownObject",
                        &format!("No such object path '{path}'"),
                    ),
                }
            }
            ("org.freedesktop.DBus.Peer" | "", "Ping") => self.reply(m, "", Vec::new()),
            ("org.freedesktop.DBus.Peer" | "", "GetMachineId") => {
                let id = std::fs::read_to_string("/etc/machine-id")
                    .or_else(|_| std::fs::read_to_string("/var/lib/dbus/machine-id"))
                    .unwrap_or_default();
                let mut w = Writer::new();
                w.str(id.trim());
                self.reply(m, "s", w.buf);
            }
            ("org.freedesktop.DBus.Properties" | "", "Get" | "GetAll") if inst.is_some() => {
                let i = inst.unwrap_or(0);
                self.properties(m, i, body, member == "GetAll");
            }
            ("org.freedesktop.DBus.Properties" | "", "Get" | "GetAll") if is_vrrp => {
                let mut w = Writer::new();
                if member == "GetAll" {
                    w.array(8, |_| {});
                    self.reply(m, "a{sv}", w.buf);
                } else {
                    self.error(
                        m,
                        "org.freedesktop.DBus.Error.InvalidArgs",
                        "No such property",
                    );
                }
            }
            ("org.freedesktop.DBus.Properties" | "", "Set") if inst.is_some() || is_vrrp => {
                self.error(
                    m,
                    "org.freedesktop.DBus.Error.InvalidArgs",
                    "Property is not writable",
                );
            }
            (VRRP_IFACE | "", "PrintData" | "PrintStats" | "PrintStatsClear" | "ReloadConfig")
                if is_vrrp =>
            {
                self.requests.push(match member {
                    "PrintData" => Request::PrintData,
                    "PrintStats" => Request::PrintStats,
                    "PrintStatsClear" => Request::PrintStatsClear,
                    _ => Request::Reload,
                });
                self.reply(m, "", Vec::new());
            }
            (INSTANCE_IFACE | "", "SendGarp") if inst.is_some() => {
                let name = self.objs.get(inst.unwrap_or(0)).map(|o| o.name.clone());
                self.requests
                    .push(Request::SendGarp(name.unwrap_or_default()));
                self.reply(m, "", Vec::new());
            }
            _ if inst.is_none() && !is_vrrp && introspect(path, self.paths()).is_none() => self
                .error(
                    m,
                    "org.freedesktop.DBus.Error.UnknownObject",
                    &format!("No such object path '{path}'"),
                ),
            _ => self.error(
                m,
                "org.freedesktop.DBus.Error.UnknownMethod",
                &format!("No such method \u{201c}{member}\u{201d}"),
            ),
        }
    }

    /// `Properties.Get(ss)` / `GetAll(s)` on instance `i`: `Name` is `(s)`, `State` `(us)`.
    fn properties(&mut self, m: &Message, i: usize, mut body: Reader<'_>, all: bool) {
        let Some(o) = self.objs.get(i) else { return };
        let iface = body.str().unwrap_or("");
        let prop = if all { "" } else { body.str().unwrap_or("") };
        let (name, state) = (o.name.clone(), o.state);
        let name_v = |w: &mut Writer| {
            w.variant("(s)", |w| {
                w.open_struct();
                w.str(&name)
            })
        };
        let state_v = |w: &mut Writer| {
            w.variant("(us)", |w| {
                w.open_struct();
                w.u32(state);
                w.str(state_name(state))
            })
        };
        if iface != INSTANCE_IFACE && !(all && iface.is_empty()) {
            return self.error(
                m,
                "org.freedesktop.DBus.Error.InvalidArgs",
                &format!("No such interface \u{201c}{iface}\u{201d}"),
            );
        }
        let mut w = Writer::new();
        if all {
            w.array(8, |w| {
                w.open_struct();
                w.str("Name");
                name_v(w);
                w.open_struct();
                w.str("State");
                state_v(w);
            });
            return self.reply(m, "a{sv}", w.buf);
        }
        match prop {
            "Name" => name_v(&mut w),
            "State" => state_v(&mut w),
            _ => {
                return self.error(
                    m,
                    "org.freedesktop.DBus.Error.InvalidArgs",
                    &format!("No such property \u{201c}{prop}\u{201d}"),
                );
            }
        }
        self.reply(m, "v", w.buf);
    }
}

impl<K: Copy> Subsystem<K> for DbusService<K> {
    /// Takes the instances of `cfg` (keeping the state of those that stay), connects when
    /// `enable_dbus` is set, and says `VrrpReloaded` on a reload.
    fn apply(&mut self, cfg: &Config, core: &mut Core<K>, now: Instant) -> Result<(), String> {
        let d = &cfg.global.dbus;
        let name = d
            .service_name
            .clone()
            .unwrap_or_else(|| DEFAULT_NAME.into());
        let objs = cfg
            .vrrp
            .instances
            .iter()
            .map(|i| {
                let path = instance_path(
                    i.interface.as_deref().unwrap_or("none"),
                    i.virtual_router_id.unwrap_or(0),
                    i.family(),
                );
                let state = self
                    .objs
                    .iter()
                    .find(|o| o.name == i.name)
                    .map_or(0, |o| o.state);
                Obj {
                    name: i.name.clone(),
                    path,
                    state,
                }
            })
            .collect();
        self.objs = objs;
        let renamed = name != self.name;
        self.name = name;
        self.enabled = d.enabled;
        if (!self.enabled || renamed)
            && let Some(mut c) = self.conn.take()
        {
            let _ = core.deregister(&mut c.stream, c.token);
        }
        if self.started && self.enabled && !renamed {
            self.signal(VRRP_PATH, VRRP_IFACE, "VrrpReloaded", "", Vec::new());
            self.write(core, now);
        }
        self.started = true;
        if self.enabled && self.conn.is_none() && self.retry.is_none() {
            self.connect(core, now);
        }
        Ok(())
    }

    /// `VrrpStatusChange` 98 for each instance, then `VrrpStopped`, written at once (what
    /// the socket does not take is lost with the process).
    fn stop(&mut self, _core: &mut Core<K>, _now: Instant) {
        self.stopping = true;
        if self.conn.is_none() {
            return;
        }
        let paths: Vec<String> = self.objs.iter().map(|o| o.path.clone()).collect();
        for p in paths {
            self.state_signal(&p, STOP);
        }
        self.signal(VRRP_PATH, VRRP_IFACE, "VrrpStopped", "", Vec::new());
        let _ = self.flush();
    }

    /// A VRRP instance changed state: `VrrpStatusChange` on its object.
    fn on_event(&mut self, core: &mut Core<K>, now: Instant, ev: &Event) {
        let Event::VrrpState { instance, state } = ev else {
            return;
        };
        if self.stopping {
            return;
        }
        let n = state_num(*state);
        let Some(o) = self.objs.iter_mut().find(|o| &o.name == instance) else {
            return;
        };
        if o.state == n {
            return;
        }
        o.state = n;
        let path = o.path.clone();
        self.state_signal(&path, n);
        self.write(core, now);
    }

    fn dump(&self, _what: Dump) -> String {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_nodes() {
        assert_eq!(
            instance_path("eth0.10", 51, Family::Inet),
            "/org/keepalived/Vrrp1/Instance/eth0_10/51/IPv4"
        );
        let objs = [VRRP_PATH, "/org/keepalived/Vrrp1/Instance/d0/51/IPv4"];
        let root = introspect("/", objs.into_iter()).unwrap();
        assert!(root.ends_with("<node>\n  <node name=\"org\"/>\n</node>\n"));
        let v1 = introspect("/org/keepalived/Vrrp1", objs.into_iter()).unwrap();
        assert!(v1.ends_with("  <node name=\"Vrrp\"/>\n  <node name=\"Instance\"/>\n</node>\n"));
        let i = introspect(objs[1], objs.into_iter()).unwrap();
        assert!(i.contains(INSTANCE_XML) && i.contains(STANDARD));
        assert!(introspect("/org/x", objs.into_iter()).is_none());
        assert!(introspect("/org/keepalived/Vrrp1/Vr", objs.into_iter()).is_none());
    }

    #[test]
    fn addresses() {
        assert!(socket_addr("unix:path=/run/x%2cy,guid=1").is_ok());
        assert_eq!(unescape("/a%2cb%zz"), "/a,b%zz");
        assert!(socket_addr("tcp:host=x").is_err());
        assert!(socket_addr("tcp:host=x;unix:abstract=foo").is_ok());
    }
}
